/* helper.c: a second translation unit for the multi-file build test. */
#include "helper.h"

int helper_twice(int x)
{
    return 2 * x + HELPER_BIAS;
}
