/*
 * abi.h: the structures the kernel reads and writes (docs/ABI.md, "Structures").
 */
#ifndef _INTERNAL_ABI_H
#define _INTERNAL_ABI_H
#include <stdint.h>

struct almos_mmap {
    void *addr;
    uint32_t length;
    int prot, flags, fd;
    uint32_t offset;
};

#define ALMOS_THREAD_DETACHED 1u
struct almos_thread_attr {
    uint32_t flags;
    int32_t cpuid;              /* -1: the kernel chooses */
    uint32_t stack_size;        /* 0: default */
    uint32_t stack_addr;        /* 0: the kernel allocates */
    uint32_t exit_ra;
    uint32_t tls;
};

struct almos_stat {
    uint32_t st_dev, st_ino, st_mode, st_nlink, st_size, st_blksize, st_blocks, st_mtime;
};

struct almos_dirent {
    uint32_t d_ino;
    uint8_t d_type;
    char d_name[255];
};
#endif
