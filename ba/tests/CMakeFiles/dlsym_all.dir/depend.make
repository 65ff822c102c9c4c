# Empty dependencies file for dlsym_all.
# This may be replaced when dependencies are built.
