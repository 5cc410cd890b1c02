/* sync_addr: SEMAPHORE and BARRIER INIT on addresses that are not the caller's writable
 * memory must fail like every other operation (tests/kernel/test_wrong_answers.py): prints
 * "KIND ADDRESS result errno" for each. By the C library's system call entry, as its
 * sem_init and pthread_barrier_init write the object themselves first. */
#include <errno.h>
#include <stdio.h>

#define SYS_SEMAPHORE 6
#define SYS_BARRIER 8
#define OP_INIT 0

long __sys(long n, long a, long b, long c, long d);     /* libc_stubs' system call entry */

static const char text[] = "read-only";

int main(void)
{
    static int ok;
    long addrs[] = {(long)0x80000000u, 0x7fffeff0, (long)text, (long)&ok};
    for (unsigned i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        errno = 0;
        long r = __sys(SYS_SEMAPHORE, addrs[i], OP_INIT, 1, 0);
        printf("sem %#lx %ld %d\n", (unsigned long)addrs[i], r, errno);
        errno = 0;
        r = __sys(SYS_BARRIER, addrs[i], OP_INIT, 2, 0);
        printf("barrier %#lx %ld %d\n", (unsigned long)addrs[i], r, errno);
    }
    return 0;
}
