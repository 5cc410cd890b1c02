/* multi.c: the main translation unit of the multi-file build test. */
#include <stdio.h>

#include "helper.h"

int main(void)
{
    printf("%d %s\n", helper_twice(21), GREETING);
    return 0;
}
