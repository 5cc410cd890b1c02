/*
 * stdin.c: reading standard input: getchar, fgets, scanf, ungetc, end of file.
 */
#include <stdio.h>

int main(void)
{
    char buf[64];
    int a = 0, b = 0;
    printf("prompt> ");
    int c = getchar();
    printf("first char %c\n", c);
    ungetc(c, stdin);
    if (fgets(buf, sizeof buf, stdin))
        printf("line: %s", buf);
    printf("scanf: %d", scanf("%d %d", &a, &b));
    printf(" %d %d\n", a, b);
    int n = 0;
    while ((c = getchar()) != EOF)
        n++;
    printf("rest %d chars, eof %d\n", n, feof(stdin));
    return 0;
}
