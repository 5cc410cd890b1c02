/* GDB stub test program, bare metal: one copy runs on each core (a0 = core id, a1 = index,
 * a2 = number of cores). A call in a loop, a global every core writes, a string written with
 * the Linux o32 write system call, exit status 3 + index. The MARK comments are looked up by
 * the tests to find line numbers. */
asm(".globl __start\n__start:\n jal main\n nop\n move $a0, $v0\n li $v0, 4001\n syscall\n");

#define SYS_WRITE 4004

volatile int counter;
int results[4];
int base = 100;

static int sys_write(const char *s, int n)
{
    register int v0 asm("v0") = SYS_WRITE;
    register int a0 asm("a0") = 1;
    register const char *a1 asm("a1") = s;
    register int a2 asm("a2") = n;
    asm volatile("syscall" : "+r"(v0) : "r"(a0), "r"(a1), "r"(a2) : "a3", "memory");
    return v0;
}

int square(int x)
{
    int y = x * x; /* MARK square */
    return y;
}

int work(int id)
{
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += square(i + id); /* MARK loop */
    counter = counter + 1; /* MARK counter */
    return sum + base;
}

int main(int gid, int n, int ncores)
{
    int mine = work(n); /* MARK call */
    results[n] = mine;
    if (n == 0)
        sys_write("hello\n", 6);
    return 3 + n;
}
