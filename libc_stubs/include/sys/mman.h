/*
 * sys/mman.h: mmap and munmap (Linux MIPS flag values, docs/ABI.md), and ALMOS's page
 * placement services, madvise and mcntl (README.md, "Placement policies").
 */
#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H
#include <sys/types.h>
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x800
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)
/*
 * mmap: address space only, pages come at their first touch (memory is overcommitted as
 * Linux does; a touched page no cluster can back kills the process, "out of memory").
 * MAP_PRIVATE | MAP_ANONYMOUS: zeros, copy on write after fork. MAP_SHARED | MAP_ANONYMOUS:
 * shared with forked children. A file (fd open for reading, offset page aligned):
 * MAP_PRIVATE copies on write, MAP_SHARED writes the pages back to the file (never beyond
 * its size) on msync, munmap and when the last mapping goes, exit included; it needs the fd
 * open for writing if PROT_WRITE (EACCES). MAP_FIXED: EINVAL.
 */
void *mmap(void *, size_t, int, int, int, off_t);
int munmap(void *, size_t);

/* msync(addr, len, flags): write the MAP_SHARED file pages of the range back to the disk;
 * done when it returns, for MS_ASYNC too. EINVAL (unaligned, unknown flags, MS_SYNC with
 * MS_ASYNC), ENOMEM (part of the range not mapped). */
#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4
int msync(void *addr, size_t len, int flags);

/*
 * madvise(addr, len, advice): addr page aligned, len rounded up to pages; every page of the
 * range must be mapped (else ENOMEM, and nothing is done); an unknown advice is EINVAL.
 *   MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL  accepted, no effect (nothing is read ahead)
 *   MADV_WILLNEED  every page present now, placed by the policy as if the caller touched
 *                  it: a later touch from the caller's cluster takes no page fault
 *                  (EAGAIN if memory runs out)
 *   MADV_DONTNEED  the pages are dropped: the next touch gives a zero-filled page (heap,
 *                  stacks, anonymous memory; initialised data and code come back from the
 *                  program's file), as Linux
 *   MADV_MIGRATE   next-touch migration: each page moves to the cluster of the next thread
 *                  that touches it (its bytes copied there on that touch); code pages, of
 *                  which each cluster has its own copy under the `almos` policy, stay
 */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_MIGRATE 5
int madvise(void *addr, size_t len, int advice);

/*
 * mcntl(op, vaddr, len, info): ALMOS's page information and control.
 *   MCNTL_READ      fills *info for the page holding vaddr (len unused): mi_cid its
 *                   cluster's cxy (x << 4 | y, as get_core() reports), mi_cx and mi_cy the
 *                   cluster's coordinates, mi_cz 0 (TSAR's mesh has no z). A code page
 *                   reports the caller's cluster's replica; a page waiting for its next
 *                   touch, where it is now. EFAULT if vaddr is not mapped, ENOENT if no
 *                   thread has touched the page yet (pages are placed at their first touch).
 *   MCNTL_L1_iFLUSH ENOSYS: the kernel keeps translated code in step with code memory itself.
 *   MCNTL_MOVE      the touched pages among the len pages from vaddr's move now to the
 *                   cluster whose cxy is info->mi_cid (EINVAL if there is none; EFAULT if a
 *                   page is not mapped). ALMOS left it unimplemented.
 * Another op is EINVAL.
 */
typedef unsigned int uint_t;
typedef struct {
    uint_t mi_cid, mi_cx, mi_cy, mi_cz;
} minfo_t;
#define MCNTL_READ 0
#define MCNTL_L1_iFLUSH 1
#define MCNTL_MOVE 2
int mcntl(int op, void *vaddr, size_t len, minfo_t *info);
#endif
