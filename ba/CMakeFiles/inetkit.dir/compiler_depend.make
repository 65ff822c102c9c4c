# Empty compiler generated dependencies file for inetkit.
# This may be replaced when dependencies are built.
