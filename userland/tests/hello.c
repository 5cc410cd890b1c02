/*
 * hello: the smallest test program: prints its arguments and environment size.
 *
 * Usage: hello [ARG...]
 * Output: "hello from pid P", "argc N", one "argv[i] = ..." line per argument,
 * "envp N" (number of environment strings), then "OK".
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp)
{
    int nenv = 0;
    while (envp && envp[nenv])
        nenv++;
    printf("hello from pid %d\n", (int)getpid());
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    printf("envp %d\n", nenv);
    puts("OK");
    return 0;
}
