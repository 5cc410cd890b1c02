/*
 * filetest: exercises the file system calls and stdio on files.
 *
 * Usage: filetest [DIR]      (default DIR: the working directory)
 *
 * In DIR/filetest.d: creates a file and writes a pattern spanning several 4 KiB
 * clusters, checks its size with stat and fstat, reads it back, seeks (SET, CUR,
 * END), overwrites in the middle, appends, checks O_EXCL, writes and reads a
 * second file through stdio (fprintf, fgets, fseek, ftell), lists the directory,
 * unlinks both files and removes the directory. One "step: ok" or
 * "step: FAILED ..." line each; ends with OK (exit 0) or FAILED (exit 1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUBDIR       "filetest.d"
#define DATA_NAME    "data.bin"
#define TEXT_NAME    "text.txt"
#define PATH_LEN     256
#define PATTERN_LEN  10000          /* more than two 4 KiB clusters */
#define SEEK_AT      5000
#define CHUNK        100
#define OVERWRITE_AT 100
#define OVERWRITE    "XYZ"
#define APPENDED     "APPENDED\n"
#define TEXT_LINES   5
#define FILE_MODE    0644
#define DIR_MODE     0755

static int failures;
static char pattern[PATTERN_LEN];
static char buffer[PATTERN_LEN + 64];

static void step(const char *name, int ok, const char *detail)
{
    if (ok) {
        printf("%s: ok\n", name);
    } else {
        failures++;
        printf("%s: FAILED (%s, errno %d)\n", name, detail, errno);
    }
}

/* Reads exactly n bytes (fewer only at the end of the file); returns the count. */
static long read_full(int fd, char *buf, long n)
{
    long got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, (size_t)(n - got));
        if (r <= 0)
            break;
        got += r;
    }
    return got;
}

static int file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

static void test_raw(const char *data)
{
    for (int i = 0; i < PATTERN_LEN; i++)
        pattern[i] = (char)('a' + (i * 7 + i / 26) % 26);

    int fd = open(data, O_WRONLY | O_CREAT | O_TRUNC, FILE_MODE);
    step("create", fd >= 0, "open");
    if (fd < 0)
        return;
    ssize_t w = write(fd, pattern, PATTERN_LEN);
    step("write", w == PATTERN_LEN, "short write");
    step("close", close(fd) == 0, "close");

    struct stat st;
    step("stat", stat(data, &st) == 0 && st.st_size == PATTERN_LEN && S_ISREG(st.st_mode),
         "size or type");

    fd = open(data, O_RDONLY);
    step("open read", fd >= 0, "open");
    if (fd < 0)
        return;
    step("fstat", fstat(fd, &st) == 0 && st.st_size == PATTERN_LEN, "size");
    long got = read_full(fd, buffer, sizeof buffer);
    step("read back", got == PATTERN_LEN && memcmp(buffer, pattern, PATTERN_LEN) == 0,
         "content");
    step("read at end", read(fd, buffer, 1) == 0, "not 0 at end of file");

    step("seek set", lseek(fd, SEEK_AT, SEEK_SET) == SEEK_AT, "offset");
    got = read_full(fd, buffer, CHUNK);
    step("read after seek", got == CHUNK && memcmp(buffer, pattern + SEEK_AT, CHUNK) == 0,
         "content");
    step("seek cur", lseek(fd, 0, SEEK_CUR) == SEEK_AT + CHUNK, "offset");
    step("seek end", lseek(fd, -10, SEEK_END) == PATTERN_LEN - 10, "offset");
    close(fd);

    fd = open(data, O_RDWR);
    step("open rdwr", fd >= 0, "open");
    if (fd >= 0) {
        lseek(fd, OVERWRITE_AT, SEEK_SET);
        write(fd, OVERWRITE, strlen(OVERWRITE));
        lseek(fd, OVERWRITE_AT - 1, SEEK_SET);
        got = read_full(fd, buffer, strlen(OVERWRITE) + 2);
        int ok = got == (long)strlen(OVERWRITE) + 2 && buffer[0] == pattern[OVERWRITE_AT - 1] &&
                 memcmp(buffer + 1, OVERWRITE, strlen(OVERWRITE)) == 0 &&
                 buffer[strlen(OVERWRITE) + 1] == pattern[OVERWRITE_AT + strlen(OVERWRITE)];
        step("overwrite", ok && file_size(data) == PATTERN_LEN, "content or size");
        close(fd);
    }

    fd = open(data, O_WRONLY | O_APPEND);
    step("open append", fd >= 0, "open");
    if (fd >= 0) {
        lseek(fd, 0, SEEK_SET);         /* O_APPEND must still write at the end */
        write(fd, APPENDED, strlen(APPENDED));
        close(fd);
        long want = PATTERN_LEN + (long)strlen(APPENDED);
        fd = open(data, O_RDONLY);
        lseek(fd, PATTERN_LEN, SEEK_SET);
        got = read_full(fd, buffer, sizeof buffer);
        close(fd);
        step("append", file_size(data) == want && got == (long)strlen(APPENDED) &&
                           memcmp(buffer, APPENDED, strlen(APPENDED)) == 0,
             "size or content");
    }

    errno = 0;
    fd = open(data, O_WRONLY | O_CREAT | O_EXCL, FILE_MODE);
    step("excl", fd < 0 && errno == EEXIST, "O_EXCL on an existing file");
    if (fd >= 0)
        close(fd);
}

static void test_stdio(const char *text)
{
    FILE *f = fopen(text, "w");
    step("fopen w", f != NULL, "fopen");
    if (f == NULL)
        return;
    for (int i = 0; i < TEXT_LINES; i++)
        fprintf(f, "line %d of %d\n", i, TEXT_LINES);
    step("fclose", fclose(f) == 0, "fclose");

    f = fopen(text, "r");
    step("fopen r", f != NULL, "fopen");
    if (f == NULL)
        return;
    char line[64], expected[64];
    int lines_ok = 0;
    for (int i = 0; i < TEXT_LINES; i++) {
        snprintf(expected, sizeof expected, "line %d of %d\n", i, TEXT_LINES);
        if (fgets(line, sizeof line, f) && strcmp(line, expected) == 0)
            lines_ok++;
    }
    step("fgets", lines_ok == TEXT_LINES && fgets(line, sizeof line, f) == NULL, "lines");
    long end = ftell(f);
    step("ftell", end == file_size(text), "offset");
    fseek(f, 0, SEEK_SET);
    snprintf(expected, sizeof expected, "line 0 of %d\n", TEXT_LINES);
    step("fseek", fgets(line, sizeof line, f) && strcmp(line, expected) == 0, "line");
    fclose(f);
}

static void test_dir(const char *dir)
{
    DIR *d = opendir(dir);
    step("opendir", d != NULL, "opendir");
    if (d == NULL)
        return;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        printf("  entry %s\n", e->d_name);
        found += strcmp(e->d_name, DATA_NAME) == 0 || strcmp(e->d_name, TEXT_NAME) == 0;
    }
    closedir(d);
    step("readdir", found == 2, "files not listed");
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : ".";
    char dir[PATH_LEN], data[2 * PATH_LEN], text[2 * PATH_LEN];
    snprintf(dir, sizeof dir, "%s/%s", base, SUBDIR);
    snprintf(data, sizeof data, "%s/%s", dir, DATA_NAME);
    snprintf(text, sizeof text, "%s/%s", dir, TEXT_NAME);

    /* Leftovers of an interrupted run. */
    unlink(data);
    unlink(text);
    rmdir(dir);

    step("mkdir", mkdir(dir, DIR_MODE) == 0, "mkdir");
    struct stat st;
    step("stat dir", stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "not a directory");
    test_raw(data);
    test_stdio(text);
    test_dir(dir);

    step("unlink", unlink(data) == 0 && unlink(text) == 0, "unlink");
    errno = 0;
    step("gone", stat(data, &st) < 0 && errno == ENOENT, "stat after unlink");
    errno = 0;
    step("open missing", open(data, O_RDONLY) < 0 && errno == ENOENT, "open after unlink");
    step("rmdir", rmdir(dir) == 0, "rmdir");

    puts(failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
