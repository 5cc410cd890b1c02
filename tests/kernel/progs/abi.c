/* ALMOS-MK's services 45..48 through the C library: RMDIR, FTIME (its struct timeb, written
 * whole and no further), CHMOD (FAT has no modes: an existing path succeeds, a missing one is
 * ENOENT) and FSYNC. argv[1] is a writable directory. Prints one line per check. */
#include <almos.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timeb.h>
#include <unistd.h>

#define MS_CYCLES (ALMOS_CLOCK_HZ / 1000)

static void ftime_checks(void)
{
    struct { struct timeb tb; unsigned guard; } t;
    memset(&t, 0xA5, sizeof t);
    unsigned long long before = get_cycles() / MS_CYCLES;
    int r = ftime(&t.tb);
    unsigned long long after = get_cycles() / MS_CYCLES;
    unsigned long long ms = (unsigned long long)t.tb.time * 1000 + t.tb.millitm;
    printf("ftime %d size %u guard %s between %s zone %d dst %d\n", r, (unsigned)sizeof t.tb,
           t.guard == 0xA5A5A5A5u ? "kept" : "overwritten",
           before <= ms && ms <= after ? "yes" : "no", t.tb.timezone, t.tb.dstflag);
    usleep(1234567);                                   /* emulated time: seconds and ms */
    ftime(&t.tb);
    printf("after 1.23 s: time %ld millitm %s\n", (long)t.tb.time,
           t.tb.millitm < 1000 && t.tb.time * 1000 + t.tb.millitm >= ms + 1234 ? "ok" : "bad");
    errno = 0;
    r = ftime((struct timeb *)16);
    printf("ftime(bad) %d %s\n", r, strerror(errno));
}

static void chmod_checks(const char *dir)
{
    char file[256], sub[256];
    snprintf(file, sizeof file, "%s/abi_file", dir);
    snprintf(sub, sizeof sub, "%s/abi_dir", dir);
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "abi\n", 4);
    printf("fsync %d\n", fsync(fd));
    close(fd);
    struct stat before, after;
    stat(file, &before);
    printf("chmod file %d\n", chmod(file, 0400));
    stat(file, &after);
    printf("mode %s\n", before.st_mode == after.st_mode ? "unchanged" : "changed");
    mkdir(sub, 0755);
    printf("chmod dir %d\n", chmod(sub, 0700));
    errno = 0;
    printf("chmod missing %d %s\n", chmod("/no/such/path", 0600), strerror(errno));
    errno = 0;
    printf("chmod(bad) %d %s\n", chmod((const char *)16, 0600), strerror(errno));
    printf("rmdir %d\n", rmdir(sub));
    errno = 0;
    printf("rmdir again %d %s\n", rmdir(sub), strerror(errno));
    unlink(file);
}

int main(int argc, char **argv)
{
    ftime_checks();
    chmod_checks(argc > 1 ? argv[1] : "/home");
    return 0;
}
