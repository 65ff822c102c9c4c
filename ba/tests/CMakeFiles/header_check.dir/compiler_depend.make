# Empty compiler generated dependencies file for header_check.
# This may be replaced when dependencies are built.
