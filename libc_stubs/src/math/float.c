/*
 * float.c: the float functions, through the double ones (whose extra precision
 * makes the float results nearly always correctly rounded).
 */
#include <math.h>

float sinf(float x) { return (float)sin(x); }
float cosf(float x) { return (float)cos(x); }
float tanf(float x) { return (float)tan(x); }
float asinf(float x) { return (float)asin(x); }
float acosf(float x) { return (float)acos(x); }
float atanf(float x) { return (float)atan(x); }
float atan2f(float y, float x) { return (float)atan2(y, x); }
float tanhf(float x) { return (float)tanh(x); }
float expf(float x) { return (float)exp(x); }
float logf(float x) { return (float)log(x); }
float log2f(float x) { return (float)log2(x); }
float log10f(float x) { return (float)log10(x); }
float powf(float x, float y) { return (float)pow(x, y); }
float fabsf(float x) { return (float)fabs(x); }
float floorf(float x) { return (float)floor(x); }
float ceilf(float x) { return (float)ceil(x); }
float roundf(float x) { return (float)round(x); }
float truncf(float x) { return (float)trunc(x); }
float fmodf(float x, float y) { return (float)fmod(x, y); }
float fminf(float x, float y) { return (float)fmin(x, y); }
float fmaxf(float x, float y) { return (float)fmax(x, y); }
float copysignf(float x, float y) { return (float)copysign(x, y); }
float ldexpf(float x, int n) { return (float)ldexp(x, n); }
float frexpf(float x, int *e) { return (float)frexp(x, e); }

float modff(float x, float *ip)
{
    double i, f = modf(x, &i);
    *ip = (float)i;
    return (float)f;
}
float exp2f(float x) { return (float)exp2(x); }

void sincosf(float x, float *s, float *c)
{
    double ds = sin(x), dc = cos(x);
    *s = (float)ds;
    *c = (float)dc;
}
