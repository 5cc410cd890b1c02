/*
 * thread_ret.S: where a thread's start routine returns to.
 *
 * pthread_create gives the kernel __thread_return as attr->exit_ra, so it is the $ra of
 * every new thread: the routine's return value ($v0) becomes pthread_exit's argument.
 *
 * For debuggers: a caller's frame is found at $ra - 1, so the function opens with one
 * instruction before __thread_return (never executed), and its CFI says $ra is undefined:
 * a backtrace ends here, the outermost frame of every thread.
 */
    .text
    .globl __thread_start_frame
    .type __thread_start_frame, @function
    .set noreorder
__thread_start_frame:
    .cfi_startproc
    .cfi_undefined $ra
    nop
    .globl __thread_return
__thread_return:
    move    $a0, $v0
    addiu   $sp, $sp, -16
    jal     pthread_exit
    nop
    break
    .cfi_endproc
    .size __thread_start_frame, . - __thread_start_frame
