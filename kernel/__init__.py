"""ALMOS, the kernel: its logic runs as the trap handlers of the emulated cores."""
