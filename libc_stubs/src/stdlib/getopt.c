/*
 * getopt.c: POSIX getopt for short options ("ab:c").
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libc.h"

char *optarg;
int optind = 1, opterr = 1, optopt;
static int pos;                 /* index in the current argv element */

int getopt(int argc, char *const argv[], const char *opts)
{
    if (optind == 0) {          /* a reset request */
        optind = 1;
        pos = 0;
    }
    if (pos == 0) {
        if (optind >= argc || !argv[optind] || argv[optind][0] != '-' || !argv[optind][1])
            return -1;
        if (strcmp(argv[optind], "--") == 0) {
            optind++;
            return -1;
        }
        pos = 1;
    }
    int c = argv[optind][pos++];
    const char *spec = c != ':' ? strchr(opts, c) : NULL;
    int quiet = opts[0] == ':';
    if (!spec) {
        optopt = c;
        if (!argv[optind][pos]) {
            optind++;
            pos = 0;
        }
        if (opterr && !quiet)
            fprintf(stderr, "%s: invalid option -- '%c'\n", argv[0], c);
        return '?';
    }
    if (spec[1] == ':') {
        if (argv[optind][pos]) {
            optarg = argv[optind] + pos;
        } else if (optind + 1 < argc) {
            optarg = argv[++optind];
        } else {
            optopt = c;
            optind++;
            pos = 0;
            if (opterr && !quiet)
                fprintf(stderr, "%s: option requires an argument -- '%c'\n", argv[0], c);
            return quiet ? ':' : '?';
        }
        optind++;
        pos = 0;
        return c;
    }
    if (!argv[optind][pos]) {
        optind++;
        pos = 0;
    }
    return c;
}
