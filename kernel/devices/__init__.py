"""Device drivers: the TTY console, the IOC block device and the block-device interface."""
