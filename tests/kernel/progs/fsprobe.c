/*
 * fsprobe: the file system calls' edge cases and errno values (docs/ABI.md); run by
 * tests/kernel/test_vfs.py under `almos boot` in a scratch directory. One line per check.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok)
{
    printf("%s: %s\n", name, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("  errno %d\n", errno);
        failures++;
    }
    fflush(stdout);
}

static int fails_with(int result, int err)
{
    return result < 0 && errno == err;
}

int main(void)
{
    struct stat st;
    char buf[256];
    int fd, fds[2];

    check("mkdir", mkdir("probe.d", 0755) == 0);
    check("mkdir eexist", fails_with(mkdir("probe.d", 0755), EEXIST));
    check("chdir", chdir("probe.d") == 0);
    check("getcwd", getcwd(buf, sizeof buf) && strcmp(buf + strlen(buf) - 8, "/probe.d") == 0);
    check("getcwd erange", getcwd(buf, 3) == NULL && errno == ERANGE);
    check("open enoent", fails_with(open("missing", O_RDONLY), ENOENT));
    check("open empty", fails_with(open("", O_RDONLY), ENOENT));
    fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check("creat", fd >= 0);
    check("write", write(fd, "hello", 5) == 5);
    check("read wronly ebadf", fails_with(read(fd, buf, 1), EBADF));
    check("close", close(fd) == 0);
    check("close ebadf", fails_with(close(fd), EBADF));
    check("excl", fails_with(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST));
    fd = open("f", O_WRONLY | O_APPEND);
    check("append", write(fd, " world", 6) == 6 && close(fd) == 0);
    check("stat size", stat("f", &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode));
    fd = open("../probe.d/./f", O_RDWR);
    check("dotdot path", fd >= 0);
    check("lseek end", lseek(fd, -5, SEEK_END) == 6);
    check("read at", read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
    check("lseek einval", fails_with(lseek(fd, -100, SEEK_SET), EINVAL));
    check("read efault", lseek(fd, 0, SEEK_SET) == 0 && fails_with(read(fd, (void *)4, 4), EFAULT));
    check("write efault", fails_with(write(fd, (void *)4, 4), EFAULT));
    check("fstat", fstat(fd, &st) == 0 && st.st_size == 11);
    int fd2 = dup2(fd, 20);
    check("dup2", fd2 == 20);
    close(fd);
    check("dup shares offset", lseek(fd2, 0, SEEK_CUR) >= 0 && lseek(20, 0, SEEK_SET) == 0 &&
          read(20, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
    close(20);
    fd = open("f", O_WRONLY | O_TRUNC);
    check("trunc", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
    close(fd);
    check("open dir wr", fails_with(open(".", O_WRONLY), EISDIR));
    fd = open(".", O_RDONLY);
    check("read dir eisdir", fd >= 0 && fails_with(read(fd, buf, 1), EISDIR));
    close(fd);
    check("chdir enotdir", fails_with(chdir("f"), ENOTDIR));
    check("mkdir sub", mkdir("sub", 0755) == 0);
    check("unlink dir", fails_with(unlink("sub"), EISDIR));
    fd = open("sub/x", O_WRONLY | O_CREAT, 0644);
    close(fd);
    check("rmdir notempty", fails_with(rmdir("sub"), ENOTEMPTY));
    check("rmdir enotdir", fails_with(rmdir("f"), ENOTDIR));
    check("unlink", unlink("sub/x") == 0 && rmdir("sub") == 0);
    check("unlink enoent", fails_with(unlink("sub/x"), ENOENT));
    check("mkfifo", fails_with(mkfifo("fifo", 0644), ENOSYS));

    DIR *d = opendir("/dev");
    int ttys = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "tty", 3) == 0 && e->d_type == DT_CHR)
            ttys++;
    check("devfs", d && ttys == 4 && closedir(d) == 0);
    check("stat dev", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode));
    check("stat tty", stat("/dev/tty1", &st) == 0 && S_ISCHR(st.st_mode));
    /* /dev/tty0 is a character device, shown as a FIFO when the host feeds it from a pipe
     * (as this test does) so that isatty() is false */
    check("fstat stdout", fstat(1, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
                          && isatty(1) == S_ISCHR(st.st_mode));
    check("dev enoent", fails_with(open("/dev/nothing", O_RDONLY), ENOENT));
    check("dev creat", open("/dev/new", O_WRONLY | O_CREAT, 0644) < 0);
    fd = open("/dev/tty0", O_WRONLY);
    check("tty write", fd >= 0 && write(fd, "tty says hi\n", 12) == 12);
    check("tty lseek", fails_with(lseek(fd, 0, SEEK_SET), ESPIPE));
    close(fd);

    check("pipe", pipe(fds) == 0);
    check("pipe write", write(fds[1], "abc", 3) == 3);
    check("pipe lseek", fails_with(lseek(fds[0], 0, SEEK_SET), ESPIPE));
    check("pipe fstat", fstat(fds[0], &st) == 0 && S_ISFIFO(st.st_mode));
    check("pipe read", read(fds[0], buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);                   /* EPIPE instead of being killed */
    check("epipe", fails_with(write(fds[1], "x", 1), EPIPE));
    close(fds[1]);
    check("readdir ebadf", opendir("f") == NULL && errno == ENOTDIR);

    /* PATH_MAX is 4096 bytes with the NUL, NAME_MAX 255: ENAMETOOLONG, not EFAULT */
    static char path[12000];          /* far over PATH_MAX: the kernel reads only so much */
    memset(path, 'a', sizeof path - 1);
    check("path enametoolong", fails_with(open(path, O_RDONLY), ENAMETOOLONG));
    check("stat enametoolong", fails_with(stat(path, &st), ENAMETOOLONG));
    check("mkdir enametoolong", fails_with(mkdir(path, 0755), ENAMETOOLONG));
    check("chdir enametoolong", fails_with(chdir(path), ENAMETOOLONG));
    check("unlink enametoolong", fails_with(unlink(path), ENAMETOOLONG));
    path[4096] = 0;
    check("path 4096 enametoolong", fails_with(open(path, O_RDONLY), ENAMETOOLONG));
    path[256] = 0;
    check("name enametoolong", fails_with(open(path, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG));
    for (int i = 0; i < 2047; i++)              /* 4094 bytes of "./", then "f": 4095 */
        memcpy(path + 2 * i, "./", 2);
    strcpy(path + 4094, "f");
    fd = open(path, O_RDONLY);
    check("path 4095 ok", fd >= 0 && close(fd) == 0);
    check("path efault", fails_with(open((char *)4, O_RDONLY), EFAULT));

    check("unlink f", unlink("f") == 0);
    check("chdir up", chdir("..") == 0 && rmdir("probe.d") == 0);
    printf(failures ? "FAILED\n" : "OK\n");
    return failures ? 1 : 0;
}
