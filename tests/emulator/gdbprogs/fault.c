/* GDB stub test program, bare metal: a load from an address where there is no memory. */
asm(".globl __start\n__start:\n jal main\n nop\n move $a0, $v0\n li $v0, 4001\n syscall\n");

int *volatile bad_pointer = (int *)0x30000000;

int load(int k)
{
    int v = *bad_pointer + k; /* MARK fault */
    return v;
}

int main(void)
{
    return load(1);
}
