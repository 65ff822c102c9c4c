# Empty compiler generated dependencies file for inetkit_objects.
# This may be replaced when dependencies are built.
