/*
 * efault: a system call given a bad user pointer must fail with EFAULT, not
 * kill the process nor crash the kernel.
 *
 * Usage: efault
 * Calls write(1, (char *)4, 16): the page at address 0 is never mapped.
 * Prints OK and exits 0 if write returned -1 with errno == EFAULT; otherwise
 * FAILED and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BAD_POINTER ((const char *)4)
#define LENGTH      16

int main(void)
{
    /* volatile: keeps the compiler from diagnosing or folding the bad pointer. */
    const char *volatile bad = BAD_POINTER;
    errno = 0;
    ssize_t n = write(1, bad, LENGTH);
    int err = errno;
    printf("write(1, %p, %d) = %ld, errno = %d (%s)\n", (const void *)BAD_POINTER, LENGTH,
           (long)n, err, strerror(err));
    if (n == -1 && err == EFAULT) {
        puts("OK");
        return 0;
    }
    puts("FAILED");
    return 1;
}
