/* Raw ALMOS system calls (no libc): write, sbrk, EFAULT, 8 threads with the kernel mutex, join values, exit.
 * The numbers are libc's (libc_stubs/src/internal/syscall.h, on the include path). */
#include "syscall.h"
static int sc(int nr, int a, int b, int c, int d){
  register int v0 asm("$2")=nr; register int a0 asm("$4")=a; register int a1 asm("$5")=b;
  register int a2 asm("$6")=c; register int a3 asm("$7")=d;
  asm volatile("syscall" : "+r"(v0), "+r"(a0),"+r"(a1),"+r"(a2),"+r"(a3) :: "$3","memory");
  return v0;
}
static int strlen_(const char*s){int n=0;while(s[n])n++;return n;}
static char buf[64];
static volatile int counter;
static int mtx;
void worker(int arg){
  for(int i=0;i<1000;i++){ sc(SYS_MUTEX,(int)&mtx,MUTEX_OP_LOCK,0,0); counter++; sc(SYS_MUTEX,(int)&mtx,MUTEX_OP_UNLOCK,0,0);} 
  sc(SYS_THREAD_EXIT, arg*10, 0,0,0);
}
struct attr { unsigned flags; int cpuid; unsigned ss, sa, ra, tls; };
void _start(int argc, char **argv){
  for(int i=0;i<argc;i++){ sc(SYS_WRITE,1,(int)argv[i],strlen_(argv[i]),0); sc(SYS_WRITE,1,(int)"\n",1,0);}
  char *p=(char*)sc(SYS_SBRK,4096,0,0,0); p[0]='H'; p[1]='i'; p[2]='\n'; sc(SYS_WRITE,1,(int)p,3,0);
  int r=sc(SYS_WRITE,1,4,10,0); buf[0]='0'+ (r==-1); buf[1]='\n'; sc(SYS_WRITE,1,(int)buf,2,0);
  int tids[8]; struct attr a={0,-1,0,0,0,0};
  for(int i=0;i<8;i++) sc(SYS_CREATE,(int)&tids[i],(int)&a,(int)worker,i);
  int sum=0; for(int i=0;i<8;i++){int v; sc(SYS_JOIN,tids[i],(int)&v,0,0); sum+=v;}
  buf[0]='0'+(counter==8000); buf[1]='0'+(sum==280); buf[2]='\n'; sc(SYS_WRITE,1,(int)buf,3,0);
  sc(SYS_EXIT, 7,0,0,0);
}
