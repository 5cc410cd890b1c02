/*
 * start.c: what runs between _start and main: the environment, the main thread's
 * TLS block (set as UserLocal through UTLS), the start cycle count for clock(),
 * the constructors; then exit(main(...)).
 */
#include <stdlib.h>
#include <string.h>

#include "libc.h"
#include "syscall.h"

extern char __tdata_start[], __tdata_end[];
extern char __tls_size[], __tls_align[];      /* absolute symbols from almos.ld */
extern void (*__preinit_array_start[])(int, char **, char **);
extern void (*__preinit_array_end[])(int, char **, char **);
extern void (*__init_array_start[])(int, char **, char **);
extern void (*__init_array_end[])(int, char **, char **);

char **__environ;
extern char **environ __attribute__((alias("__environ")));
char *__progname = "";
uint64_t __start_cycles;

int main(int, char **, char **);

static size_t tls_align(void)
{
    size_t a = (size_t)__tls_align;
    return a < 8 ? 8 : a;
}

size_t __tls_block_size(void)
{
    return sizeof(struct __tls) + (size_t)__tls_size + tls_align();
}

uintptr_t __tls_init(void *mem, void *alloc)
{
    size_t align = tls_align();
    uintptr_t image = ((uintptr_t)mem + sizeof(struct __tls) + align - 1) & ~(align - 1);
    struct __tls *t = (struct __tls *)image - 1;
    size_t tdata = (size_t)(__tdata_end - __tdata_start);

    memset(t, 0, sizeof *t);
    t->alloc = alloc;
    t->state = THREAD_RUNNING;
    memcpy((void *)image, __tdata_start, tdata);
    memset((char *)image + tdata, 0, (size_t)__tls_size - tdata);
    return image + TLS_TP_OFFSET;
}

_Noreturn void __libc_start_main(int argc, char **argv, char **envp)
{
    int err;
    uint64_t cycles = 0;

    __environ = envp;
    if (argc > 0 && argv[0]) {
        char *slash = strrchr(argv[0], '/');
        __progname = slash ? slash + 1 : argv[0];
    }

    /* The main thread's block comes from the break, before malloc's first use. */
    void *mem = (void *)__syscall1(SYS_SBRK, (__tls_block_size() + 7) & ~7u, &err);
    if (err)
        __sys_noreturn(SYS_EXIT, 127);
    __syscall2(SYS_UTLS, UTLS_OP_SET, __tls_init(mem, NULL), &err);
    if (err)
        __sys_noreturn(SYS_EXIT, 127);

    if (__syscall1(SYS_CLOCK, &cycles, &err) == 0 && !err)
        __start_cycles = cycles;

    size_t n = (size_t)(__preinit_array_end - __preinit_array_start);
    for (size_t i = 0; i < n; i++)
        __preinit_array_start[i](argc, argv, envp);
    n = (size_t)(__init_array_end - __init_array_start);
    for (size_t i = 0; i < n; i++)
        __init_array_start[i](argc, argv, envp);

    exit(main(argc, argv, envp));
}
