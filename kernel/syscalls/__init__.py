"""The system call services (the layer above kern/): dispatch, file and process calls."""
