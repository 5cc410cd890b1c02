/* stdio.h: buffered streams over file descriptors, printf and scanf families. */
#ifndef _STDIO_H
#define _STDIO_H
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct _FILE FILE;
typedef long fpos_t;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;
#define stdin stdin
#define stdout stdout
#define stderr stderr

#define EOF (-1)
#define BUFSIZ 4096
#define FILENAME_MAX 4096
#define FOPEN_MAX 64
#define L_tmpnam 32
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

FILE *fopen(const char *__restrict, const char *__restrict);
FILE *fdopen(int, const char *);
FILE *freopen(const char *__restrict, const char *__restrict, FILE *__restrict);
int fclose(FILE *);
int fflush(FILE *);
size_t fread(void *__restrict, size_t, size_t, FILE *__restrict);
size_t fwrite(const void *__restrict, size_t, size_t, FILE *__restrict);
int fgetc(FILE *);
int getc(FILE *);
int getchar(void);
int ungetc(int, FILE *);
char *fgets(char *__restrict, int, FILE *__restrict);
int fputc(int, FILE *);
int putc(int, FILE *);
int putchar(int);
int fputs(const char *__restrict, FILE *__restrict);
int puts(const char *);
ssize_t getline(char **__restrict, size_t *__restrict, FILE *__restrict);
ssize_t getdelim(char **__restrict, size_t *__restrict, int, FILE *__restrict);
int fseek(FILE *, long, int);
long ftell(FILE *);
int fgetpos(FILE *__restrict, fpos_t *__restrict);
int fsetpos(FILE *, const fpos_t *);
void rewind(FILE *);
int feof(FILE *);
int ferror(FILE *);
void clearerr(FILE *);
int fileno(FILE *);
int setvbuf(FILE *__restrict, char *__restrict, int, size_t);
void setbuf(FILE *__restrict, char *__restrict);
void setlinebuf(FILE *);
int remove(const char *);
int rename(const char *, const char *);
void perror(const char *);
void flockfile(FILE *);
void funlockfile(FILE *);

int printf(const char *__restrict, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *__restrict, const char *__restrict, ...)
    __attribute__((format(printf, 2, 3)));
int dprintf(int, const char *__restrict, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *__restrict, const char *__restrict, ...)
    __attribute__((format(printf, 2, 3)));
int snprintf(char *__restrict, size_t, const char *__restrict, ...)
    __attribute__((format(printf, 3, 4)));
int asprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
int vprintf(const char *__restrict, va_list);
int vfprintf(FILE *__restrict, const char *__restrict, va_list);
int vdprintf(int, const char *__restrict, va_list);
int vsprintf(char *__restrict, const char *__restrict, va_list);
int vsnprintf(char *__restrict, size_t, const char *__restrict, va_list);
int vasprintf(char **, const char *, va_list);

int scanf(const char *__restrict, ...) __attribute__((format(scanf, 1, 2)));
int fscanf(FILE *__restrict, const char *__restrict, ...)
    __attribute__((format(scanf, 2, 3)));
int sscanf(const char *__restrict, const char *__restrict, ...)
    __attribute__((format(scanf, 2, 3)));
int vscanf(const char *__restrict, va_list);
int vfscanf(FILE *__restrict, const char *__restrict, va_list);
int vsscanf(const char *__restrict, const char *__restrict, va_list);
#endif
