/*
 * strings.c: string.h, strings.h and ctype.h functions on fixed inputs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void show_ptr(const char *what, const char *base, const char *p)
{
    if (p)
        printf("%s: +%d \"%s\"\n", what, (int)(p - base), p);
    else
        printf("%s: NULL\n", what);
}

int main(void)
{
    static const char *words[] = { "", "a", "abc", "abd", "ABC", "abcdef", "zebra", "Zebra",
                                   "hello world", "\xff\x01", "ab\0cd" };
    int n = (int)(sizeof words / sizeof *words);
    char buf[128];

    for (int i = 0; i < n; i++) {
        printf("strlen(%d)=%zu strnlen3=%zu\n", i, strlen(words[i]), strnlen(words[i], 3));
        for (int j = 0; j < n; j++)
            printf("cmp %d %d: %d %d %d %d %d\n", i, j, sign(strcmp(words[i], words[j])),
                   sign(strncmp(words[i], words[j], 2)), sign(strcasecmp(words[i], words[j])),
                   sign(strncasecmp(words[i], words[j], 3)),
                   sign(memcmp(words[i], words[j], 1)));
    }

    const char *hay = "the quick brown fox jumps over the lazy dog";
    show_ptr("strchr o", hay, strchr(hay, 'o'));
    show_ptr("strrchr o", hay, strrchr(hay, 'o'));
    show_ptr("strchr NUL", hay, strchr(hay, 0));
    show_ptr("strchr z", hay, strchr(hay, 'Z'));
    show_ptr("strstr the", hay, strstr(hay + 1, "the"));
    show_ptr("strstr empty", hay, strstr(hay, ""));
    show_ptr("strstr none", hay, strstr(hay, "cat"));
    show_ptr("strpbrk", hay, strpbrk(hay, "xyz"));
    show_ptr("memchr", hay, memchr(hay, 'q', strlen(hay)));
    show_ptr("strcasestr", hay, strcasestr(hay, "BROWN"));
    printf("strspn %zu %zu strcspn %zu %zu\n", strspn(hay, "the "), strspn(hay, ""),
           strcspn(hay, "qz"), strcspn(hay, ""));

    strcpy(buf, "abc");
    strcat(buf, "def");
    strncat(buf, "ghijkl", 3);
    printf("cat: %s\n", buf);
    memset(buf, 'x', 10);
    strncpy(buf, "ab", 5);
    printf("strncpy: %d %d %d %c\n", buf[0], buf[2], buf[4], buf[5]);
    strcpy(buf, "0123456789");
    memmove(buf + 2, buf, 5);
    printf("memmove up: %s\n", buf);
    memmove(buf, buf + 3, 5);
    printf("memmove down: %s\n", buf);
    memcpy(buf, "hello", 6);
    printf("memcpy: %s\n", buf);

    char text[] = "  alpha, beta;;gamma ,delta  ";
    for (char *t = strtok(text, " ,;"); t; t = strtok(NULL, " ,;"))
        printf("tok [%s]\n", t);
    char text2[] = "a=1&b=2&&c=3", *save;
    for (char *t = strtok_r(text2, "&", &save); t; t = strtok_r(NULL, "&", &save))
        printf("tok_r [%s]\n", t);
    char text3[] = "x,y,,z", *sp = text3, *f;
    while ((f = strsep(&sp, ",")))
        printf("sep [%s]\n", f);

    char *d = strdup("duplicate");
    char *nd = strndup("duplicate", 3);
    printf("dup %s %s\n", d, nd);
    free(d);
    free(nd);

    for (int e = 0; e <= 34; e++)     /* 35 and up: MIPS Linux numbers differ */
        printf("strerror(%d) = %s\n", e, strerror(e));

    for (int c = 0; c < 256; c++) {
        int cls = !!isalnum(c) | !!isalpha(c) << 1 | !!isdigit(c) << 2 | !!islower(c) << 3 |
                  !!isupper(c) << 4 | !!isspace(c) << 5 | !!ispunct(c) << 6 |
                  !!isprint(c) << 7 | !!isgraph(c) << 8 | !!iscntrl(c) << 9 |
                  !!isxdigit(c) << 10 | !!isblank(c) << 11;
        printf("ctype %d: %x %d %d\n", c, cls, toupper(c), tolower(c));
    }
    return 0;
}
