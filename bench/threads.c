/* Thread create + join cost under ALMOS: COUNT rounds of pthread_create and pthread_join of a
 * thread that returns at once (built with libc_stubs/almos-gcc). */
#include <pthread.h>
#include <stdlib.h>

#ifndef COUNT
#define COUNT 2000
#endif

static void *nothing(void *arg) { return arg; }

int main(void)
{
    for (long i = 0; i < COUNT; i++) {
        pthread_t t;
        void *v;
        if (pthread_create(&t, NULL, nothing, (void *)i) || pthread_join(t, &v) || v != (void *)i)
            return 1;
    }
    return 0;
}
