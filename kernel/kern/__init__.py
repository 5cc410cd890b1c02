"""The kernel core: the Kernel, processes and threads, clusters, DQDT, RPC, time, exec, boot."""
