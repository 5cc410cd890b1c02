/*
 * thread_ret.S: where a thread's start routine returns to.
 *
 * pthread_create gives the kernel this address as attr->exit_ra, so it is the $ra of
 * every new thread: the routine's return value ($v0) becomes pthread_exit's argument.
 */
    .text
    .globl __thread_return
    .type __thread_return, @function
    .set noreorder
__thread_return:
    move    $a0, $v0
    addiu   $sp, $sp, -16
    jal     pthread_exit
    nop
    break
    .size __thread_return, . - __thread_return
