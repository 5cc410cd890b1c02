/*
 * argv.c: arguments, the exit status returned from main, and stdout writes mixed
 * through puts, putchar, fputs, fwrite and printf.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" (%zu)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is %s\n", argv[argc] ? "not NULL" : "NULL");
    puts("puts line");
    putchar('p');
    putchar('\n');
    fputs("fputs no newline, ", stdout);
    fwrite("fwrite\n", 1, 7, stdout);
    fputc('c', stdout);
    putc('\n', stdout);
    for (int i = 0; i < 3000; i++)      /* more than any buffer */
        printf("%d%c", i, i % 25 == 24 ? '\n' : ',');
    printf("no final newline");
    return argc + 40;
}
