# Empty dependencies file for inet_threads.
# This may be replaced when dependencies are built.
