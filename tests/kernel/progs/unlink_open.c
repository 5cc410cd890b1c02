/* POSIX unlink of an open file: the name goes at once, the data stays readable and writable
 * through the open descriptor until its last close, then the space is freed. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    static char big[64 * 1024];
    memset(big, 'q', sizeof big);
    int fd = open("/home/tmpfile", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, big, sizeof big);
    printf("unlink: %d\n", unlink("/home/tmpfile"));
    struct stat st;
    printf("stat after unlink: %d\n", stat("/home/tmpfile", &st));
    lseek(fd, 0, SEEK_SET);
    char buf[16] = {0};
    printf("read after unlink: %d %c\n", (int)read(fd, buf, 8), buf[0]);
    printf("write after unlink: %d\n", (int)write(fd, "more", 4));
    printf("size: %ld\n", (long)lseek(fd, 0, SEEK_END));
    printf("close: %d\n", close(fd));
    return 0;
}
