/* GDB stub test program, bare metal: one copy runs on each core of one cluster (a0 = core
 * id, a1 = index, a2 = number of cores). Each core calls tick() then works a while, in a loop
 * until the debugger sets `release`; calls[index] counts its calls. Core 0 stops calling
 * tick() at its LAP-th call, when every core has been through it many times: it calls lap()
 * and then only waits for `release`. Exit status: the index. */
asm(".globl __start\n__start:\n jal main\n nop\n move $a0, $v0\n li $v0, 4001\n syscall\n");

#define MAX_CORES 4
#define LAP 20
#define WORK 1000                  /* turns of a loop of about 8 instructions */

volatile int release;
volatile unsigned calls[MAX_CORES];

void lap(void)
{
}

void tick(int n)
{
    calls[n] = calls[n] + 1; /* MARK tick */
}

int main(int gid, int n, int ncores)
{
    while (!release) {
        if (n == 0 && calls[0] == LAP) {
            lap();
            while (!release)
                ;
            break;
        }
        tick(n);
        for (volatile int i = 0; i < WORK; i++)
            ;
    }
    return n;
}
