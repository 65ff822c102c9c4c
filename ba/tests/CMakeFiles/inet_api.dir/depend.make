# Empty dependencies file for inet_api.
# This may be replaced when dependencies are built.
