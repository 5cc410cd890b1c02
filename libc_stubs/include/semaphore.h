/* semaphore.h: unnamed semaphores on the kernel's SEMAPHORE service. */
#ifndef _SEMAPHORE_H
#define _SEMAPHORE_H
typedef struct { int __word; int __reserved[3]; } sem_t;
#define SEM_FAILED ((sem_t *)0)
int sem_init(sem_t *, int, unsigned);
int sem_destroy(sem_t *);
int sem_wait(sem_t *);
int sem_trywait(sem_t *);
int sem_post(sem_t *);
int sem_getvalue(sem_t *__restrict, int *__restrict);
#endif
