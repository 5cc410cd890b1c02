/*
 * str.c: NUL-terminated string functions: length, copy, concatenation, comparison,
 * search, tokenising, duplication.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

char *stpcpy(char *restrict d, const char *restrict s)
{
    while ((*d = *s++))
        d++;
    return d;
}

char *strcpy(char *restrict d, const char *restrict s)
{
    stpcpy(d, s);
    return d;
}

char *stpncpy(char *restrict d, const char *restrict s, size_t n)
{
    for (; n && *s; n--)
        *d++ = *s++;
    char *end = d;
    for (; n; n--)
        *d++ = 0;
    return end;
}

char *strncpy(char *restrict d, const char *restrict s, size_t n)
{
    stpncpy(d, s, n);
    return d;
}

char *strcat(char *restrict d, const char *restrict s)
{
    strcpy(d + strlen(d), s);
    return d;
}

char *strncat(char *restrict d, const char *restrict s, size_t n)
{
    char *p = d + strlen(d);
    for (; n && *s; n--)
        *p++ = *s++;
    *p = 0;
    return d;
}

size_t strlcpy(char *restrict d, const char *restrict s, size_t size)
{
    size_t len = strlen(s);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(d, s, n);
        d[n] = 0;
    }
    return len;
}

size_t strlcat(char *restrict d, const char *restrict s, size_t size)
{
    size_t dl = strnlen(d, size);
    if (dl == size)
        return size + strlen(s);
    return dl + strlcpy(d + dl, s, size - dl);
}

int strcmp(const char *a, const char *b)
{
    for (; *a && *a == *b; a++, b++)
        ;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n && *a && *a == *b; n--, a++, b++)
        ;
    return n ? (unsigned char)*a - (unsigned char)*b : 0;
}

int strcoll(const char *a, const char *b)
{
    return strcmp(a, b);
}

size_t strxfrm(char *restrict d, const char *restrict s, size_t n)
{
    size_t len = strlen(s);
    if (len < n)
        strcpy(d, s);
    return len;
}

int strcasecmp(const char *a, const char *b)
{
    for (; *a && tolower((unsigned char)*a) == tolower((unsigned char)*b); a++, b++)
        ;
    return tolower((unsigned char)*a) - tolower((unsigned char)*b);
}

int strncasecmp(const char *a, const char *b, size_t n)
{
    for (; n && *a && tolower((unsigned char)*a) == tolower((unsigned char)*b); n--, a++, b++)
        ;
    return n ? tolower((unsigned char)*a) - tolower((unsigned char)*b) : 0;
}

char *strchrnul(const char *s, int c)
{
    for (; *s && *s != (char)c; s++)
        ;
    return (char *)s;
}

char *strchr(const char *s, int c)
{
    s = strchrnul(s, c);
    return *s == (char)c ? (char *)s : NULL;
}

char *index(const char *s, int c)
{
    return strchr(s, c);
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    do {
        if (*s == (char)c)
            last = s;
    } while (*s++);
    return (char *)last;
}

char *rindex(const char *s, int c)
{
    return strrchr(s, c);
}

char *strstr(const char *h, const char *n)
{
    size_t nl = strlen(n);
    if (nl == 0)
        return (char *)h;
    for (; (h = strchr(h, *n)) != NULL; h++)
        if (strncmp(h, n, nl) == 0)
            return (char *)h;
    return NULL;
}

char *strcasestr(const char *h, const char *n)
{
    size_t nl = strlen(n);
    for (; *h; h++)
        if (strncasecmp(h, n, nl) == 0)
            return (char *)h;
    return nl ? NULL : (char *)h;
}

/* A 256-bit set of the bytes of `chars`. */
static void byteset(unsigned set[8], const char *chars)
{
    memset(set, 0, 8 * sizeof set[0]);
    for (const unsigned char *c = (const unsigned char *)chars; *c; c++)
        set[*c >> 5] |= 1u << (*c & 31);
}

#define IN(set, c) ((set)[(unsigned char)(c) >> 5] & (1u << ((unsigned char)(c) & 31)))

size_t strspn(const char *s, const char *accept)
{
    unsigned set[8];
    byteset(set, accept);
    size_t n = 0;
    while (s[n] && IN(set, s[n]))
        n++;
    return n;
}

size_t strcspn(const char *s, const char *reject)
{
    unsigned set[8];
    byteset(set, reject);
    size_t n = 0;
    while (s[n] && !IN(set, s[n]))
        n++;
    return n;
}

char *strpbrk(const char *s, const char *accept)
{
    s += strcspn(s, accept);
    return *s ? (char *)s : NULL;
}

char *strtok_r(char *restrict s, const char *restrict delim, char **restrict save)
{
    if (!s && !(s = *save))
        return NULL;
    s += strspn(s, delim);
    if (!*s) {
        *save = NULL;
        return NULL;
    }
    char *end = s + strcspn(s, delim);
    if (*end)
        *end++ = 0;
    else
        end = NULL;
    *save = end;
    return s;
}

char *strtok(char *restrict s, const char *restrict delim)
{
    static char *save;
    return strtok_r(s, delim, &save);
}

char *strsep(char **restrict sp, const char *restrict delim)
{
    char *s = *sp;
    if (!s)
        return NULL;
    char *end = s + strcspn(s, delim);
    *sp = *end ? end + 1 : NULL;
    *end = 0;
    return s;
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

char *strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

int ffs(int i)
{
    return __builtin_ffs(i);
}
