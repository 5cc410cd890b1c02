/* Prints the global number of the core it runs on: "ran on core G (cxy C lid L)", with
 * G = (x * y_size + y) * cores_per_cluster + lid for cxy = x << 4 | y. */
#include <almos.h>
#include <stdio.h>

int main(void)
{
    unsigned xs, ys, per, cxy, lid;
    if (get_config(&xs, &ys, &per) || get_core(&cxy, &lid))
        return 1;
    unsigned g = ((cxy >> 4) * ys + (cxy & 15)) * per + lid;
    printf("ran on core %u (cxy %#x lid %u)\n", g, cxy, lid);
    return 0;
}
