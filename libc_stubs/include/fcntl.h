/* fcntl.h: open() and its flags (the values of docs/ABI.md). */
#ifndef _FCNTL_H
#define _FCNTL_H
#include <sys/types.h>
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_ACCMODE 3
#define O_APPEND 0x8
#define O_CREAT 0x100
#define O_TRUNC 0x200
#define O_EXCL 0x400
#define O_NOCTTY 0
#define O_CLOEXEC 0
#define O_NONBLOCK 0
#define O_DIRECTORY 0
int open(const char *, int, ...);
int creat(const char *, mode_t);
#endif
