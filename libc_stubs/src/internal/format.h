/*
 * format.h: the printf engine's interface: a sink that receives the output in
 * pieces (a string, a FILE, a growing buffer), and the exact double-to-decimal
 * conversion that %f, %e and %g round from.
 */
#ifndef _INTERNAL_FORMAT_H
#define _INTERNAL_FORMAT_H
#include <stdarg.h>
#include <stddef.h>

struct __sink {
    void (*put)(struct __sink *, const char *, size_t);
    void *ctx;                  /* FILE * or char * */
    size_t cap, len;            /* string sinks: capacity and bytes stored */
    int error;                  /* set by put: the result becomes -1 */
};

/* The printf family's engine: returns the number of characters produced, or -1. */
int __vformat(struct __sink *out, const char *fmt, va_list ap);

/*
 * Every significant decimal digit of the finite, nonzero |v|: stores the digits
 * (no leading or trailing zeros, ASCII) in d and returns their count; *dp is where
 * the decimal point goes: |v| = 0.d[0]d[1]... x 10^*dp. d needs DTOA_MAX bytes.
 */
#define DTOA_MAX 800
int __dtoa(double v, char *d, int *dp);

/* Rounds d (n digits, point at *dp) to `keep` digits, ties to even; returns the count. */
int __dround(char *d, int n, int *dp, int keep);
#endif
