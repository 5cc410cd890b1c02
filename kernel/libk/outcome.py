"""What a kernel service returns instead of a value: the caller blocks, is gone, or yields.

Defined below every other layer so that the VFS's pipes, the kernel core's TTY reads and the
system call dispatcher (kernel/syscalls/syscalls.py) share the same markers.
"""

BLOCK = object()                   # the caller was queued; its result comes when it wakes
NORETURN = object()                # the caller is gone (exit)
YIELD = object()                   # the caller stays runnable but gives its core away
