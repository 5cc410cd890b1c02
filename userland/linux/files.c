/* glibc file I/O on the disk (or /tmp under qemu-mipsel): create, write, seek, read, stat,
 * directories, rename, unlink (differential test, tests/kernel/test_linux.py). Built with
 * -D_FILE_OFFSET_BITS=64: qemu-mipsel on a 64-bit host cannot fit its directory offsets in
 * the 32-bit readdir (EOVERFLOW). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/lxfiles";
    char path[256], path2[256], buf[64];
    if (mkdir(dir, 0755) != 0) { perror("mkdir"); return 1; }
    if (chdir(dir) != 0) { perror("chdir"); return 1; }
    FILE *f = fopen("a.txt", "w");
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    struct stat st;
    if (stat("a.txt", &st) != 0) { perror("stat"); return 1; }
    printf("size %lld regular %d dir %d\n", (long long)st.st_size, S_ISREG(st.st_mode),
           S_ISDIR(st.st_mode));
    int fd = open("a.txt", O_RDONLY);
    lseek(fd, 700, SEEK_SET);
    ssize_t n = read(fd, buf, 20);
    buf[n] = 0;
    printf("read %zd: [%s]\n", n, buf);
    off_t end = lseek(fd, 0, SEEK_END);
    printf("end %lld\n", (long long)end);
    close(fd);
    snprintf(path, sizeof path, "%s/a.txt", dir);
    snprintf(path2, sizeof path2, "%s/b.txt", dir);
    if (rename(path, path2) != 0) { perror("rename"); return 1; }
    printf("open a after rename: %d errno %s\n", open("a.txt", O_RDONLY),
           strerror(errno));
    mkdir("sub", 0755);
    f = fopen("sub/c.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    DIR *d = opendir(".");
    int count = 0, seen_b = 0, seen_sub = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        count++;
        seen_b |= strcmp(e->d_name, "b.txt") == 0;
        seen_sub |= strcmp(e->d_name, "sub") == 0 && e->d_type == DT_DIR;
    }
    closedir(d);
    printf("entries %d b %d sub %d\n", count, seen_b, seen_sub);
    char cwd[256];
    printf("cwd ends %s\n", strrchr(getcwd(cwd, sizeof cwd), '/'));
    printf("rmdir nonempty: %d %s\n", rmdir("sub"), strerror(errno));
    unlink("sub/c.txt");
    printf("rmdir: %d\n", rmdir("sub"));
    unlink("b.txt");
    chdir("/");
    printf("rmdir dir: %d\n", rmdir(dir));
    printf("stat gone: %d %s\n", stat(path2, &st), strerror(errno));
    return 0;
}
