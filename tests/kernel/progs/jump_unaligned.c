/* jump_unaligned: jumps through a register to 0x00400002 (tests/kernel/test_wrong_answers.py):
 * the fetch there is an address error, to be reported at that PC, as a fetch of it. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    void (*f)(void) = (void (*)(void))(0x00400002 + 4 * (argc - 1));   /* not a constant */
    printf("jumping\n");
    fflush(stdout);
    f();
    return 0;
}
