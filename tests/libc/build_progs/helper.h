/* helper.h: see helper.c. */
#define HELPER_BIAS 0
int helper_twice(int x);
