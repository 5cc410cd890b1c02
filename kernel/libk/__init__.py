"""The kernel library: errno values, panic, trace classes; imports nothing else of kernel/."""
