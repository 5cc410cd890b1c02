/*
 * setjmp.S: setjmp and longjmp. The jmp_buf holds the o32 callee-saved registers:
 * s0-s7, sp, fp, ra, gp, then the even FPU registers f20-f30 as doubles.
 */
    .text
    .set noreorder
    .globl setjmp
    .type setjmp, @function
setjmp:
    sw      $s0, 0($a0)
    sw      $s1, 4($a0)
    sw      $s2, 8($a0)
    sw      $s3, 12($a0)
    sw      $s4, 16($a0)
    sw      $s5, 20($a0)
    sw      $s6, 24($a0)
    sw      $s7, 28($a0)
    sw      $sp, 32($a0)
    sw      $fp, 36($a0)
    sw      $ra, 40($a0)
    sw      $gp, 44($a0)
    sdc1    $f20, 56($a0)
    sdc1    $f22, 64($a0)
    sdc1    $f24, 72($a0)
    sdc1    $f26, 80($a0)
    sdc1    $f28, 88($a0)
    sdc1    $f30, 96($a0)
    jr      $ra
    move    $v0, $zero
    .size setjmp, . - setjmp

    .globl longjmp
    .type longjmp, @function
longjmp:
    lw      $s0, 0($a0)
    lw      $s1, 4($a0)
    lw      $s2, 8($a0)
    lw      $s3, 12($a0)
    lw      $s4, 16($a0)
    lw      $s5, 20($a0)
    lw      $s6, 24($a0)
    lw      $s7, 28($a0)
    lw      $sp, 32($a0)
    lw      $fp, 36($a0)
    lw      $ra, 40($a0)
    lw      $gp, 44($a0)
    ldc1    $f20, 56($a0)
    ldc1    $f22, 64($a0)
    ldc1    $f24, 72($a0)
    ldc1    $f26, 80($a0)
    ldc1    $f28, 88($a0)
    ldc1    $f30, 96($a0)
    move    $v0, $a1
    bnez    $v0, 1f
    nop
    li      $v0, 1                  /* longjmp(env, 0) returns 1 */
1:  jr      $ra
    nop
    .size longjmp, . - longjmp
