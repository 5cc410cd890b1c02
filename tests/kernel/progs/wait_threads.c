/* waitpid(0) reaps a child; two threads wait for one child: one gets it, the other ECHILD;
 * WNOHANG without children is ECHILD; exit(265) is status 9. */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/wait.h>
#include <pthread.h>
static pid_t kid;
static void *waiter(void *a){ int st; pid_t r = waitpid(kid, &st, 0); printf("thread waitpid -> %s st %#x\n", r==kid?"kid":"other", st); return 0; }
int main(void){
  pid_t c = fork(); if (c == 0) _exit(3);
  int st; pid_t r = waitpid(0, &st, 0); printf("waitpid(0) -> %s errno %d\n", r==c?"child":"fail", r<0?errno:0);
  if (r < 0) waitpid(c, &st, 0);
  r = waitpid(-1, &st, WNOHANG); printf("WNOHANG no children -> %d errno %d\n", r, errno);
  /* two threads wait for the same child */
  kid = fork(); if (kid == 0) { usleep(3000); _exit(4); }
  pthread_t t1, t2; pthread_create(&t1,0,waiter,0); pthread_create(&t2,0,waiter,0);
  pthread_join(t1,0); pthread_join(t2,0);
  /* exit status 256 */
  c = fork(); if (c == 0) exit(256+9); waitpid(c, &st, 0); printf("exit(265) -> %d\n", WEXITSTATUS(st));
  return 0;
}
