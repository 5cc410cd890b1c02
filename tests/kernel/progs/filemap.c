/* File-backed mmap on the FAT32 VFS: filemap DIR writes DIR/map.dat (10000 bytes, byte i =
 * 'a' + i % 26), then
 *   1. MAP_PRIVATE: reads the file's bytes, writes stay private (the file keeps 'a'..)
 *   2. MAP_SHARED: writes 'S' at 0, 'T' at 9999, msync; 'U' at 4100, munmap: read() sees all;
 *      a second mapping from offset 4096 shares the pages of a first: 'O' at 4106; a page
 *      only read through a mapping is not written back over a write(): 'W' at 50
 *   3. MAP_SHARED of the file, fork: the child writes 'C' at 200 and exits; the parent sees
 *      it in the mapping and, after the child's exit, in the file; writes 'E' at 8200 and
 *      'Z' in the last page past the file's end, and exits without msync or munmap
 * and checks a read-only open cannot be mapped shared and writable (EACCES). The test reads
 * DIR/map.dat back from the image with mtools. Prints "filemap ok"; a mismatch: BAD, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE 10000

static void check(int cond, const char *what)
{
    if (!cond) {
        printf("BAD %s\n", what);
        exit(1);
    }
}

static char at(int fd, off_t off)
{
    char c = 0;
    check(lseek(fd, off, SEEK_SET) == off && read(fd, &c, 1) == 1, "read back");
    return c;
}

int main(int argc, char **argv)
{
    static char data[SIZE];
    char path[256];
    check(argc == 2, "usage: filemap DIR");
    snprintf(path, sizeof path, "%s/map.dat", argv[1]);
    for (int i = 0; i < SIZE; i++)
        data[i] = 'a' + i % 26;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0 && write(fd, data, SIZE) == SIZE, "create");

    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check(p != MAP_FAILED && memcmp(p, data, SIZE) == 0, "private mapping has the file");
    p[0] = 'P';
    check(munmap(p, SIZE) == 0 && at(fd, 0) == 'a', "private write stays private");

    char *s = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(s != MAP_FAILED && s[4100] == data[4100], "shared mapping has the file");
    s[0] = 'S';
    s[SIZE - 1] = 'T';
    check(msync(s, SIZE, MS_SYNC) == 0, "msync");
    check(at(fd, 0) == 'S' && at(fd, SIZE - 1) == 'T', "msync wrote back");
    check(msync(s, SIZE, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL, "msync flags");
    s[4100] = 'U';
    check(munmap(s, SIZE) == 0 && at(fd, 4100) == 'U', "munmap wrote back");

    char *a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    check(a != MAP_FAILED && b != MAP_FAILED && b[4] == 'U', "mapping from an offset");
    b[10] = 'O';
    check(a[4106] == 'O', "two mappings of a file share its pages");
    check(munmap(b, 4096) == 0 && munmap(a, SIZE) == 0 && at(fd, 4106) == 'O', "munmap both");

    char *r = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(r != MAP_FAILED && r[50] == data[50], "mapped to read");
    check(lseek(fd, 50, SEEK_SET) == 50 && write(fd, "W", 1) == 1, "write beside a mapping");
    check(munmap(r, SIZE) == 0 && at(fd, 50) == 'W', "a page only read is not written back");

    int ro = open(path, O_RDONLY);
    check(ro >= 0, "open read-only");
    check(mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED &&
          errno == EACCES, "read-only fd mapped shared writable");
    close(ro);

    s = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(s != MAP_FAILED && s[0] == 'S', "mapped again");
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        s[200] = 'C';
        _exit(0);
    }
    int status;
    check(waitpid(pid, &status, 0) == pid && status == 0, "child");
    check(s[200] == 'C', "parent sees the child's write");
    check(at(fd, 200) == 'C', "the child's exit wrote back");
    close(fd);                          /* the mapping keeps the file */
    s[8200] = 'E';
    s[SIZE] = 'Z';                      /* past the end of the file, in its last page */
    printf("filemap ok\n");
    return 0;                           /* no msync, no munmap: exit writes back */
}
