/* Bare-metal helpers for the machine's test programs: Linux o32 write/exit system calls (served
 * by qemu-mipsel, or by emulator.baremetal's monitor) and hexadecimal output. */
#ifndef BM_H
#define BM_H

#define SYS_EXIT 4001
#define SYS_WRITE 4004

static inline long sys_write(int fd, const void *buf, unsigned long n)
{
    register long v0 asm("$2") = SYS_WRITE;
    register long a0 asm("$4") = fd;
    register long a1 asm("$5") = (long)buf;
    register long a2 asm("$6") = (long)n;
    register long a3 asm("$7");
    asm volatile("syscall"
                 : "+r"(v0), "=r"(a3)
                 : "r"(a0), "r"(a1), "r"(a2)
                 : "$1", "$3", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
                   "$24", "$25", "hi", "lo", "memory");
    return a3 ? -v0 : v0;
}

static inline void __attribute__((noreturn)) sys_exit(int code)
{
    register long v0 asm("$2") = SYS_EXIT;
    register long a0 asm("$4") = code;
    asm volatile("syscall" : : "r"(v0), "r"(a0) : "memory");
    for (;;)
        ;
}

/* Output is buffered and written in large pieces (fewer system calls). */
static char bm_buf[4096];
static unsigned bm_len;

static inline void bm_flush(void)
{
    if (bm_len)
        sys_write(1, bm_buf, bm_len);
    bm_len = 0;
}

static inline void bm_putc(char c)
{
    if (bm_len == sizeof bm_buf)
        bm_flush();
    bm_buf[bm_len++] = c;
}

static inline void bm_puts(const char *s)
{
    while (*s)
        bm_putc(*s++);
}

static inline void bm_hex(unsigned v)
{
    for (int i = 28; i >= 0; i -= 4)
        bm_putc("0123456789abcdef"[(v >> i) & 15]);
}

/* "name value\n" with value in hex */
static inline void bm_kv(const char *name, unsigned v)
{
    bm_puts(name);
    bm_putc(' ');
    bm_hex(v);
    bm_putc('\n');
}

/* FNV-1a over the results, the exit status of the programs (compared too) */
static unsigned bm_hash = 2166136261u;

static inline void bm_out(const char *name, unsigned v)
{
    bm_kv(name, v);
    for (int i = 0; i < 4; i++)
        bm_hash = (bm_hash ^ ((v >> (8 * i)) & 0xff)) * 16777619u;
}

#endif
