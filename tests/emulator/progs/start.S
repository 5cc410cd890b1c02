/* Entry point of the bare-metal test programs: set $gp, call bm_main(a0, a1, a2, a3) with the
 * registers the loader left (emulator.baremetal passes gid, index, count), exit with its
 * result through the Linux o32 exit system call (4001), served by qemu-mipsel or the monitor. */
        .text
        .set    noreorder
        .globl  _start
        .ent    _start
_start:
        lui     $gp, %hi(_gp)
        addiu   $gp, $gp, %lo(_gp)
        li      $t0, -8
        and     $sp, $sp, $t0
        addiu   $sp, $sp, -32
        jal     bm_main
        nop
        move    $a0, $v0
        li      $v0, 4001
        syscall
1:      b       1b
        nop
        .end    _start
