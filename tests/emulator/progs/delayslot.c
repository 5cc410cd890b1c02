/* Stores in branch delay slots that take a TLB fill (each to a page touched for the first
 * time), each followed by a return to code that branches at once. Unicorn 2.1.4 left its
 * delay-slot flags set after such a fill, and the next branch raised a reserved-instruction
 * exception (emulator/ucfix.py); the machine must run this as qemu-mipsel does. */
#include "bm.h"

#define NPAGES 16
#define PAGE_WORDS 1024

static volatile unsigned pages[NPAGES][PAGE_WORDS] __attribute__((aligned(4096)));

/* jr $ra with the store in its delay slot */
__asm__(".text\n"
        ".globl ds_store\n"
        ".ent ds_store\n"
        "ds_store:\n"
        ".set push\n.set noreorder\n"
        "jr $ra\n"
        "sw $a1, 0($a0)\n"
        ".set pop\n"
        ".end ds_store\n"
        /* b with the store in its delay slot, then a jal at the target */
        ".globl ds_branch\n"
        ".ent ds_branch\n"
        "ds_branch:\n"
        ".set push\n.set noreorder\n"
        "addiu $sp, $sp, -8\n"
        "sw $ra, 4($sp)\n"
        "b 1f\n"
        "sw $a1, 4($a0)\n"
        "1: jal ds_leaf\n"
        "nop\n"
        "lw $ra, 4($sp)\n"
        "jr $ra\n"
        "addiu $sp, $sp, 8\n"
        ".set pop\n"
        ".end ds_branch\n"
        ".globl ds_leaf\n"
        ".ent ds_leaf\n"
        "ds_leaf:\n"
        "jr $ra\n"
        ".end ds_leaf\n");

void ds_store(volatile unsigned *p, unsigned v);
void ds_branch(volatile unsigned *p, unsigned v);

int bm_main(int a0, int a1, int a2, int a3)
{
    unsigned sum = 0;
    (void)a0; (void)a1; (void)a2; (void)a3;
    for (int i = 0; i < NPAGES; i += 2) {
        ds_store(&pages[i][0], 0x100u + i);
        ds_branch(&pages[i + 1][0], 0x200u + i);
    }
    for (int i = 0; i < NPAGES; i++)
        sum += pages[i][0] + pages[i][1];
    bm_puts("delay-slot stores sum ");
    bm_hex(sum);
    bm_puts("\n");
    bm_flush();
    return sum == 0x100u * 8 + 56 + 0x200u * 8 + 56 ? 0 : 1;
}
