/*
 * fs_crash_load ROUNDS: the write/unlink workload that tests/kernel/test_fs_crash.py cuts at
 * every one of its disk writes (and kills with kill -9 of the emulator at some of them), each
 * time checked against the lines printed so far. Each round a child writes /w/fN and exits
 * ("kept" once it has: the file must survive any later crash, intact), a file is unlinked
 * while open and written on (closed a round later), an older file is removed ("removed":
 * from then on absent or intact), and every third round a directory is made, used and
 * removed. Contents are a function of the round, so the test can check them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SIZE 30000
#define OPEN_SIZE 12000

static char buf[MAX_SIZE];

static void say(const char *what, const char *name, int size, int round)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s %s %d %d\n", what, name, size, round);
    write(1, line, n);
}

static void fill(int size, int round)
{
    for (int i = 0; i < size; i++)
        buf[i] = (char)(round * 131 + i * 7 + (i >> 9));
}

static int size_of(int round)
{
    return (round * 7919) % MAX_SIZE + 1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    int held = -1;
    char name[32], tmp[32];

    mkdir("/w", 0755);
    say("start", "/w", 0, 0);
    for (int i = 0; i < rounds; i++) {
        int size = size_of(i);
        snprintf(name, sizeof name, "/w/f%d", i);
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            fill(size, i);
            write(fd, buf, size / 2);
            write(fd, buf + size / 2, size - size / 2);
            close(fd);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        say("kept", name, size, i);

        snprintf(tmp, sizeof tmp, "/w/t%d", i);
        int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
        write(fd, buf, OPEN_SIZE);
        unlink(tmp);
        write(fd, buf, OPEN_SIZE);
        if (held >= 0)
            close(held);
        held = fd;

        if (i >= 3 && i % 2) {
            snprintf(name, sizeof name, "/w/f%d", i - 3);
            say("removed", name, size_of(i - 3), i - 3);
            unlink(name);
        }
        if (i % 3 == 0) {
            snprintf(tmp, sizeof tmp, "/w/d%d", i);
            mkdir(tmp, 0755);
            strcat(tmp, "/inner");
            fd = open(tmp, O_WRONLY | O_CREAT, 0644);
            write(fd, buf, 5000);
            close(fd);
            unlink(tmp);
            tmp[strlen(tmp) - 6] = 0;
            rmdir(tmp);
        }
    }
    if (held >= 0)
        close(held);
    say("done", "/w", 0, rounds);
    return 0;
}
