/* Thread ids wrap after 0xFFFF creations in a cluster: a long-lived thread must keep its id
 * (no other thread may be given it) and still be joinable. argv[1]: how many create/join. */
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static volatile int stop;
static void *longlived(void *a){ while(!stop) usleep(1000); return (void*)0x1234; }
static void *shorty(void *a){ return a; }
int main(int argc, char **argv){
  int n = atoi(argv[1]);
  pthread_attr_t a1, a0; pthread_attr_init(&a1); pthread_attr_init(&a0);
  __pthread_attr_setcpuid_np(&a1, 1, 0);
  __pthread_attr_setcpuid_np(&a0, 0, 0);
  pthread_t L; pthread_create(&L, &a1, longlived, 0);
  printf("long-lived tid %#lx\n", (unsigned long)L);
  pthread_t last=0;
  for (int i = 0; i < n; i++) {
    pthread_t t; int e = pthread_create(&t, &a0, shorty, (void*)(long)i);
    if (e) { printf("create %d failed %d\n", i, e); break; }
    void *r; e = pthread_join(t, &r);
    if (e || (long)r != i) { printf("join %d: e=%d r=%ld tid %#lx\n", i, e, (long)r, (unsigned long)t); break; }
    if (t == L) printf("tid collision at i=%d: %#lx\n", i, (unsigned long)t);
    last = t;
  }
  printf("last tid %#lx\n", (unsigned long)last);
  stop = 1; void *r; int e = pthread_join(L, &r); printf("join long-lived: e=%d r=%p\n", e, r);
  return 0;
}
