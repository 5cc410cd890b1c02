/* Branches and their delay slots, written in assembly (.set noreorder): which instructions of
 * the delay slot and of the fall-through path ran is summed into a bit pattern. */
#include "bm.h"

static volatile int in[] = {-7, -1, 0, 1, 9};
#define NIN (sizeof in / sizeof in[0])

/* r = 1 (delay slot, always) + 16 (fall-through, only if not taken) + 256 (target) */
#define BR2(op, a, b) ({                                   \
    unsigned r_;                                           \
    asm volatile(".set push\n.set noreorder\n"             \
                 "move %0, $0\n"                           \
                 op " %1, %2, 1f\n"                        \
                 "addiu %0, %0, 1\n"                       \
                 "addiu %0, %0, 16\n"                      \
                 "1: addiu %0, %0, 256\n"                  \
                 ".set pop\n"                              \
                 : "=&r"(r_) : "r"(a), "r"(b));            \
    r_; })

#define BR1(op, a) ({                                      \
    unsigned r_;                                           \
    asm volatile(".set push\n.set noreorder\n"             \
                 "move %0, $0\n"                           \
                 op " %1, 1f\n"                            \
                 "addiu %0, %0, 1\n"                       \
                 "addiu %0, %0, 16\n"                      \
                 "1: addiu %0, %0, 256\n"                  \
                 ".set pop\n"                              \
                 : "=&r"(r_) : "r"(a));                    \
    r_; })

/* branch-and-link: r as above, plus whether $ra was set to the address after the delay slot */
#define BAL(op, a) ({                                      \
    unsigned r_, ra_, exp_;                                \
    asm volatile(".set push\n.set noreorder\n"             \
                 "move %0, $0\n"                           \
                 "move $ra, $0\n"                          \
                 "la %2, 2f\n"                             \
                 op " %3, 1f\n"                            \
                 "addiu %0, %0, 1\n"                       \
                 "2: addiu %0, %0, 16\n"                   \
                 "1: addiu %0, %0, 256\n"                  \
                 "move %1, $ra\n"                          \
                 ".set pop\n"                              \
                 : "=&r"(r_), "=&r"(ra_), "=&r"(exp_)      \
                 : "r"(a) : "$31");                        \
    r_ | (ra_ == exp_ ? 0x10000 : 0) | (ra_ == 0 ? 0x20000 : 0); })

static unsigned jal_test(void)
{
    unsigned r, ra, exp;
    asm volatile(".set push\n.set noreorder\n"
                 "move %0, $0\n"
                 "la %2, 2f\n"
                 "jal 3f\n"
                 "addiu %0, %0, 1\n"          /* delay slot of jal */
                 "2: b 4f\n"
                 "addiu %0, %0, 2\n"          /* delay slot of b */
                 "3: move %1, $ra\n"
                 "jr $ra\n"
                 "addiu %0, %0, 4\n"          /* delay slot of jr */
                 "4: nop\n"
                 ".set pop\n"
                 : "=&r"(r), "=&r"(ra), "=&r"(exp) : : "$31");
    return r | (ra == exp ? 0x100 : 0);
}

static unsigned jalr_test(void)
{
    unsigned r, ra, exp, t;
    asm volatile(".set push\n.set noreorder\n"
                 "move %0, $0\n"
                 "la %3, 3f\n"
                 "la %2, 2f\n"
                 "jalr %3\n"
                 "addiu %0, %0, 8\n"
                 "2: b 4f\n"
                 "addiu %0, %0, 32\n"
                 "3: move %1, $ra\n"
                 "jr $ra\n"
                 "addiu %0, %0, 64\n"
                 "4: nop\n"
                 ".set pop\n"
                 : "=&r"(r), "=&r"(ra), "=&r"(exp), "=&r"(t) : : "$31");
    return r | (ra == exp ? 0x100 : 0);
}

/* a loop whose counter is decremented in the delay slot of its backward branch */
static unsigned delay_loop(unsigned n)
{
    unsigned sum;
    asm volatile(".set push\n.set noreorder\n"
                 "move %0, $0\n"
                 "1: addu %0, %0, %1\n"
                 "bnez %1, 1b\n"
                 "addiu %1, %1, -1\n"
                 ".set pop\n"
                 : "=&r"(sum), "+r"(n));
    return sum | (n << 16);
}

int bm_main(void)
{
    for (unsigned i = 0; i < NIN; i++) {
        int a = in[i];
        bm_out("bltz", BR1("bltz", a));
        bm_out("bgez", BR1("bgez", a));
        bm_out("blez", BR1("blez", a));
        bm_out("bgtz", BR1("bgtz", a));
        bm_out("beqz", BR1("beqz", a));
        bm_out("bnez", BR1("bnez", a));
        bm_out("bltzl", BR1("bltzl", a));
        bm_out("bgezl", BR1("bgezl", a));
        bm_out("bltzal", BAL("bltzal", a));
        bm_out("bgezal", BAL("bgezal", a));
        for (unsigned j = 0; j < NIN; j++) {
            int b = in[j];
            bm_out("beq", BR2("beq", a, b));
            bm_out("bne", BR2("bne", a, b));
            bm_out("beql", BR2("beql", a, b));
            bm_out("bnel", BR2("bnel", a, b));
        }
    }
    bm_out("jal", jal_test());
    bm_out("jalr", jalr_test());
    bm_out("loop", delay_loop(in[4] + 3));
    bm_flush();
    return bm_hash & 0x7f;
}
