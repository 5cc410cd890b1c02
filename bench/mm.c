/* Integer matrix multiply, the compute-bound bare-metal program of bench/bench.py. N is set at
 * build time (-DN=...); exits with the low byte of the trace of the product. */
#ifndef N
#define N 320
#endif
#ifndef EXIT_NR
#define EXIT_NR 4001          /* Linux o32 exit; 0 under ALMOS (-DEXIT_NR=0) */
#endif

int a[N][N], b[N][N], c[N][N];

void _start(void)
{
#ifdef SPLIT_INIT                 /* one loop per matrix: under a kernel, each one's pages get
                                   consecutive frames (first touch), not alternate ones */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = i + j;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            b[i][j] = i - j;
#else
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = i + j;
            b[i][j] = i - j;
        }
#endif
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int s = 0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    int s = 0;
    for (int i = 0; i < N; i++)
        s += c[i][i];
    register int v0 asm("$2") = EXIT_NR;
    register int a0 asm("$4") = s & 0xff;
    asm volatile("syscall" : : "r"(v0), "r"(a0));
    for (;;)
        ;
}
