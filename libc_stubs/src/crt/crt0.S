/*
 * crt0.S: process entry point of ALMOS programs.
 *
 * The kernel enters _start with $sp at argc, then argv[0..argc-1], NULL, envp[], NULL
 * (docs/ABI.md, "Process start"). We compute argv and envp from the stack, keep $sp
 * 8-byte aligned with the 16-byte o32 argument area, and call __libc_start_main,
 * which never returns.
 */
    .text
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
    .set noreorder
_start:
    lw      $a0, 0($sp)             /* argc */
    addiu   $a1, $sp, 4             /* argv */
    sll     $t0, $a0, 2
    addu    $a2, $a1, $t0
    addiu   $a2, $a2, 4             /* envp = &argv[argc + 1] */
    move    $fp, $zero
    move    $ra, $zero              /* end of the call chain for debuggers */
    li      $t1, -8
    and     $sp, $sp, $t1
    addiu   $sp, $sp, -16
    jal     __libc_start_main
    nop
1:  break                           /* not reached */
    b       1b
    nop
    .size _start, . - _start
