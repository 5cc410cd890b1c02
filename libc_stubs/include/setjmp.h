/* setjmp.h: non-local jumps (callee-saved integer and FPU registers). */
#ifndef _SETJMP_H
#define _SETJMP_H
typedef unsigned long long jmp_buf[13];  /* s0-s7 sp fp ra gp, f20-f30 */
int setjmp(jmp_buf) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf, int);
#define _setjmp setjmp
#define _longjmp longjmp
#endif
