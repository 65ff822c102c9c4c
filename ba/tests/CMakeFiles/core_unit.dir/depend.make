# Empty dependencies file for core_unit.
# This may be replaced when dependencies are built.
