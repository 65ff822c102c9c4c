# Empty dependencies file for echo_demo.
# This may be replaced when dependencies are built.
