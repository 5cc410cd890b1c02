"""What kernel work costs: the cycles the kernel charges the cores it runs on.

ALMOS's kernel runs here as Python in the cores' traps, which takes no emulated time by
itself; this table says how many cycles each piece of kernel work costs on TSAR, so that a
system call, a page fault or a context switch shows in the clocks (kernel/kern/ktime.py charges
them). Costs that touch memory (zeroing or copying pages, copies to and from user buffers,
page-table walks and updates) are also run through the cache model when one is on; with
`--cache off` or `stats` the per-line costs below stand for the memory's time. RPCs add the
mesh's latency (emulator/timing.py's `one_way`) each way.

No published ALMOS figures exist: every default is a guess, from the length in MIPS
instructions (one cycle each on TSAR's single-issue cores) of the equivalent ALMOS-MK path,
or fitted to a TSAR measurement where one exists (docs/KERNEL_COSTS.md).

Set in machine presets (a `[kernel]` table) or with `--set kernel.NAME=VALUE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from almos.emulator.params import ParamTable


@dataclass(frozen=True)
class KernelCosts(ParamTable):
    """Cycles of kernel work, charged to the core that does it."""

    SECTION = "kernel"
    WHAT = "kernel cost"

    # -- traps ---------------------------------------------------------------------------
    syscall_entry: int = 80
    """Trap entry and exit of a system call: save of the user context in the thread's
    kernel stack (32 GPRs, HI, LO, EPC, status: ~40 stores), the switch to the kernel
    stack, then the restore and `eret`. Guess: ~80 MIPS instructions of ALMOS-MK's
    assembly entry (hal_kentry) and exit."""
    syscall_service: int = 60
    """do_syscall's bookkeeping around every service: the number's check and the table
    call, user/system time accounting, interrupts enabled and disabled, the pending-event
    and signal checks on the way out. The simplest services (getpid) do nothing more.
    Guess: ~60 instructions of ALMOS's do_syscall."""
    fault_entry: int = 100
    """Trap entry and exit of a page fault: as syscall_entry, plus reading the MMU's error
    registers (faulting address and access kind). Guess: ~100 instructions."""
    fault_service: int = 150
    """The page-fault handler's bookkeeping: finding the vseg of the address, the
    placement decision, the page descriptor, the process's VMM lock. Guess: ~150
    instructions of ALMOS-MK's vmm_handle_page_fault (without the allocation, the zeroing
    and the page-table update, charged by the entries below)."""
    irq_entry: int = 80
    """Entry and exit of an interrupt (a timer tick, an IPI): the context save and
    restore, reading the XCU's priority encoder, the handler's dispatch. Guess: ~80
    instructions."""

    # -- scheduling ---------------------------------------------------------------------
    context_switch: int = 150
    """A thread leaves a core and another takes it: save of the outgoing CPU context
    (~40 words), restore of the incoming one, the scheduler's choice, the MMU's page-table
    base change. Guess: ~150 instructions of ALMOS-MK's sched_yield and
    hal_cpu_context_switch."""
    wakeup: int = 40
    """Making a blocked thread runnable (thread_unblock): clear its blocked bit with an
    atomic operation, put it on its core's run queue. Charged to the waker. Guess: ~40
    instructions."""
    ipi_send: int = 20
    """Sending an inter-processor interrupt: a write to the target core's WTI mailbox in
    its cluster's XCU. The mesh's one-way latency to that cluster delays the target, not
    the sender (a posted write). Guess: ~20 instructions."""
    tlb_flush: int = 30
    """Invalidating a core's TLBs after a page-table change (munmap, sbrk down), on each
    core that may hold a stale translation (a remote one through an IPI). Guess: ~30
    instructions (the MMU's flush registers, and the bookkeeping)."""

    # -- memory -------------------------------------------------------------------------
    frame_alloc: int = 80
    """The buddy allocator (ppm) giving out a block of pages: the cluster's lock, the free
    lists, splitting a larger block. Guess: ~80 instructions of ALMOS-MK's
    ppm_alloc_pages."""
    frame_free: int = 60
    """The buddy allocator taking a block back, merging it with its free buddies. Guess:
    ~60 instructions of ppm_free_pages."""
    pte_update: int = 20
    """Computing and writing one page-table entry (index arithmetic, the attributes), on
    top of the memory accesses to the table itself, which go to the cluster that holds
    it. Guess: ~20 instructions."""
    zero_word: int = 1
    """Zeroing memory (a fresh page, a new page table), per 32-bit word: an unrolled loop
    of `sw`, one instruction a word. The lines written also go through the cache model
    (or cost line_write each)."""
    copy_byte: int = 1
    """Copying between user and kernel memory (system call arguments and results, the
    buffers of read and write) and copying pages (copy on write after fork, migration),
    per byte: a word loop (lw, sw, two address increments) moves 4 bytes in ~4
    instructions. The lines read and written also go through the cache model (or cost
    line_read / line_write each)."""
    line_read: int = 34
    """Without a timing cache model (`--cache off` or `stats`): the stall of reading one
    cache line of memory into a core, local to its cluster. TSAR: an L2 hit costs 34
    cycles in the requester's cluster; each mesh hop adds the round trip of
    emulator/timing.py's one_way."""
    line_write: int = 18
    """Without a timing cache model: the stall of writing one 64-byte cache line (16
    words) from a core, local to its cluster. TSAR: a burst of stores costs ~2.1 cycles a
    word locally, one of which is the `sw` itself: 16 x 1.1 ~ 18."""

    # -- threads and processes ----------------------------------------------------------
    thread_create: int = 300
    """A new thread: its descriptor allocated and initialised, its kernel stack and
    initial CPU context, its registration in the cluster's and the process's tables.
    Guess: ~300 instructions of ALMOS-MK's thread_user_create."""
    process_create: int = 500
    """A new process image (fork's child, exec's new image): the process descriptor, its
    file descriptor table, an empty VMM with its vsegs. The pages copied (fork) and the
    page tables are charged by the entries above. Guess: ~500 instructions."""

    # -- RPCs (one cluster's kernel asking another's) ----------------------------------
    rpc_client: int = 100
    """The client's side of an RPC: build the request, post it in the server core's FIFO
    (a remote atomic), send the IPI, wait for and read the response. The mesh's one-way
    latency is added each way. Guess: ~100 instructions of ALMOS's rpc_send."""
    rpc_server: int = 150
    """The server's side of an RPC, around the handler's own work: the IPI's entry, the
    FIFO's dequeue, the copy of the request from the client's cluster, the dispatch, the
    copy of the response back. Charged to the server core and waited for by the client.
    Guess: ~150 instructions of ALMOS's rpc_handle and rpc_send_rsp."""

    # -- devices ------------------------------------------------------------------------
    tty_byte: int = 10
    """Writing one character to a terminal: the TTY driver's loop polls the status
    register and writes the character register. Guess: ~10 instructions."""
