/* GDB stub test program, bare metal: spins until the debugger sets `release`, then exits with
 * 7 if it set `bonus` too, else 5. */
asm(".globl __start\n__start:\n jal main\n nop\n move $a0, $v0\n li $v0, 4001\n syscall\n");

volatile int release;
volatile int bonus;
volatile unsigned turns;

int main(void)
{
    while (!release)
        turns++;
    return bonus ? 7 : 5;
}
