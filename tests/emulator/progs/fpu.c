/* The FPU in single and double precision: arithmetic, square root, conversions and compares
 * over edge-case operands (zeros, infinities, NaN, denormals); bit patterns printed in hex. */
#include "bm.h"

typedef union { double d; unsigned long long u; } dbits;
typedef union { float f; unsigned u; } fbits;

static volatile double din[] = {
    0.0, -0.0, 1.0, -1.5, 2.5, 3.0, 1e300, -1e-300, 4.9e-324, 123456.789,
    2147483647.0, -2147483648.0, 0.1, 1.0 / 3.0,
};
static volatile float fin[] = {
    0.0f, -0.0f, 1.0f, -1.5f, 2.5f, 3.0f, 3e38f, -1e-38f, 1e-45f, 1234.5678f, 0.1f, 16777217.0f,
};
static volatile int iin[] = {0, 1, -1, 7, -100000, 0x7fffffff, (int)0x80000000, 16777217};
#define N(a) (sizeof a / sizeof a[0])

static void outd(const char *name, double d)
{
    dbits b = {.d = d};
    bm_out(name, (unsigned)(b.u >> 32));
    bm_out(name, (unsigned)b.u);
}

static void outf(const char *name, float f)
{
    fbits b = {.f = f};
    bm_out(name, b.u);
}

static double sqrt_d(double x) { double r; asm("sqrt.d %0, %1" : "=f"(r) : "f"(x)); return r; }
static float sqrt_s(float x) { float r; asm("sqrt.s %0, %1" : "=f"(r) : "f"(x)); return r; }

/* round/trunc/floor/ceil to word: the result register's bits (invalid gives 0x7fffffff) */
#define CVTW(insn, fmt, x) ({ float t_; int r_;                    \
    asm(insn " %1, %2\n mfc1 %0, %1" : "=r"(r_), "=&f"(t_) : fmt(x)); r_; })

int bm_main(void)
{
    double dinf = 1.0 / din[0], dnan = din[0] / din[0];
    float finf = 1.0f / fin[0], fnan = fin[0] / fin[0];
    outd("inf", dinf);
    outd("nan", dnan);
    outf("inf.s", finf);
    outf("nan.s", fnan);
    outd("sqrt(-1)", sqrt_d(-din[2]));
    outf("sqrt.s(-1)", sqrt_s(-fin[2]));
    for (unsigned i = 0; i < N(din); i++) {
        double a = din[i];
        outd("sqrt.d", sqrt_d(a < 0 ? -a : a));
        outd("abs.d", __builtin_fabs(a));
        outd("neg.d", -a);
        outf("cvt.s.d", (float)a);
        bm_out("trunc.w.d", CVTW("trunc.w.d", "f", a));
        bm_out("round.w.d", CVTW("round.w.d", "f", a));
        bm_out("floor.w.d", CVTW("floor.w.d", "f", a));
        bm_out("ceil.w.d", CVTW("ceil.w.d", "f", a));
        bm_out("cvt.w.d", CVTW("cvt.w.d", "f", a));
        for (unsigned j = 0; j < N(din); j++) {
            double b = din[j];
            outd("add.d", a + b);
            outd("sub.d", a - b);
            outd("mul.d", a * b);
            outd("div.d", a / b);
            bm_out("c.eq.d", a == b);
            bm_out("c.lt.d", a < b);
            bm_out("c.le.d", a <= b);
            bm_out("c.un.d", __builtin_isunordered(a, b));
        }
        bm_out("c.eq.d.nan", a == dnan);
        bm_out("c.lt.d.inf", a < dinf);
    }
    for (unsigned i = 0; i < N(fin); i++) {
        float a = fin[i];
        outf("sqrt.s", sqrt_s(a < 0 ? -a : a));
        outf("abs.s", __builtin_fabsf(a));
        outd("cvt.d.s", (double)a);
        bm_out("trunc.w.s", CVTW("trunc.w.s", "f", a));
        bm_out("round.w.s", CVTW("round.w.s", "f", a));
        for (unsigned j = 0; j < N(fin); j++) {
            float b = fin[j];
            outf("add.s", a + b);
            outf("sub.s", a - b);
            outf("mul.s", a * b);
            outf("div.s", a / b);
            bm_out("c.lt.s", a < b);
            bm_out("c.le.s", a <= b);
            bm_out("c.eq.s", a == b);
        }
        bm_out("c.eq.s.nan", a == fnan);
    }
    for (unsigned i = 0; i < N(iin); i++) {
        outd("cvt.d.w", (double)iin[i]);
        outf("cvt.s.w", (float)iin[i]);
    }
    unsigned fcsr;
    asm volatile("cfc1 %0, $31" : "=r"(fcsr));
    bm_out("fcsr", fcsr);
    bm_flush();
    return bm_hash & 0x7f;
}
