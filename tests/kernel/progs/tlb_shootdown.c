/* A thread pinned to core 1 maps a page in its TLB, blocks; main unmaps the page and maps a
 * new one (which may get the same frame); the thread reading the old address must fault. */
#include <stdio.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
static sem_t s1, s2;
static volatile char *r1;
static void *reader(void *a){
  printf("A first read: %c\n", r1[0]);
  sem_post(&s2);
  sem_wait(&s1);
  printf("after munmap: %c\n", r1[0]);
  fflush(stdout);
  return 0;
}
int main(void){
  sem_init(&s1,0,0); sem_init(&s2,0,0);
  r1 = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  r1[0] = 'A';
  pthread_attr_t at; pthread_attr_init(&at); pthread_attr_setcpuid_np(&at, 1, 0);
  pthread_t t; pthread_create(&t, &at, reader, 0);
  sem_wait(&s2);
  usleep(1000);
  munmap((void*)r1, 4096);
  /* two pages: too big for the hole r1 left, so a new address (with, maybe, its frame) */
  char *r2 = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  r2[0] = 'B';
  printf("main: r1=%p r2=%p\n", (void*)r1, r2);
  sem_post(&s1);
  pthread_join(t, 0);
  printf("end\n");
  return 0;
}
