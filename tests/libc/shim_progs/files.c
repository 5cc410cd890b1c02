/*
 * files.c: FILE streams on files in the current directory: fopen modes, fread,
 * fwrite, fgets, fseek, ftell, rewind, ungetc, append, errors, remove, setvbuf,
 * fprintf, fscanf, getline; directories (mkdir, stat, rmdir).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    char buf[256];
    FILE *f = fopen("t1.txt", "w");
    if (!f)
        return 1;
    for (int i = 0; i < 500; i++)
        fprintf(f, "line %d %s %.3f\n", i, i % 2 ? "odd" : "even", i / 7.0);
    printf("ftell after writes: %ld\n", ftell(f));
    printf("fclose: %d\n", fclose(f));

    f = fopen("t1.txt", "r");
    int lines = 0;
    while (fgets(buf, sizeof buf, f))
        lines++;
    printf("lines %d feof %d ferror %d\n", lines, feof(f), ferror(f));
    rewind(f);
    printf("after rewind feof %d ftell %ld\n", feof(f), ftell(f));
    fgets(buf, sizeof buf, f);
    printf("first: %s", buf);
    fseek(f, -20, SEEK_END);
    printf("ftell end-20: %ld\n", ftell(f));
    size_t n = fread(buf, 1, sizeof buf, f);
    buf[n] = 0;
    printf("tail (%zu): %s", n, buf);
    fseek(f, 100, SEEK_SET);
    int c = fgetc(f);
    ungetc('#', f);
    printf("at 100: %c then %c, ftell %ld\n", c, fgetc(f), ftell(f));
    fseek(f, 5, SEEK_CUR);
    printf("after SEEK_CUR: %ld\n", ftell(f));
    int a, b;
    fseek(f, 0, SEEK_SET);
    printf("fscanf: %d ", fscanf(f, "line %d %s", &a, buf));
    printf("%d %s\n", a, buf);
    fclose(f);

    f = fopen("t1.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    f = fopen("t1.txt", "r+");
    fseek(f, 0, SEEK_END);
    printf("size after append: %ld\n", ftell(f));
    fseek(f, 0, SEEK_SET);
    fputs("LINE", f);
    fseek(f, 0, SEEK_SET);
    fgets(buf, sizeof buf, f);
    printf("overwritten: %s", buf);
    fclose(f);

    f = fopen("t2.bin", "w+");
    setvbuf(f, NULL, _IOFBF, 64);
    unsigned char data[1000];
    for (int i = 0; i < 1000; i++)
        data[i] = (unsigned char)(i * 7);
    printf("fwrite %zu\n", fwrite(data, 1, 1000, f));
    rewind(f);
    memset(data, 0, sizeof data);
    printf("fread %zu\n", fread(data, 10, 100, f));
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= data[i] == (unsigned char)(i * 7);
    printf("data ok %d, fread at end %zu feof %d\n", ok, fread(data, 1, 1, f), feof(f));
    fclose(f);

    char *line = NULL;
    size_t cap = 0;
    f = fopen("t1.txt", "r");
    ssize_t len;
    int count = 0;
    while ((len = getline(&line, &cap, f)) > 0)
        count += (int)len;
    printf("getline total %d\n", count);
    free(line);
    fclose(f);

    errno = 0;
    printf("missing: %p errno %d\n", (void *)fopen("no/such/file", "r"), errno);
    printf("bad mode: %p\n", (void *)fopen("t1.txt", "q"));
    printf("remove: %d %d\n", remove("t1.txt"), remove("t2.bin"));
    printf("remove again: %d errno %d\n", remove("t1.txt"), errno);

    struct stat st;
    printf("mkdir %d\n", mkdir("dir1", 0755));
    printf("stat %d isdir %d\n", stat("dir1", &st), S_ISDIR(st.st_mode));
    printf("rmdir %d\n", rmdir("dir1"));
    printf("stat gone %d errno %d\n", stat("dir1", &st), errno);
    printf("fileno %d %d %d\n", fileno(stdin), fileno(stdout), fileno(stderr));
    return 0;
}
