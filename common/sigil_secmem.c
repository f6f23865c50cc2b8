/* sigil_secmem.c — non-elidable wipe and constant-time compare. */
#include "sigil_secmem.h"

#include <string.h>

void sigil_wipe(void *p, size_t n)
{
    if (p == NULL || n == 0)
        return;
    /* explicit_bzero is glibc's non-elidable wipe; the barrier keeps other libcs honest too. */
    explicit_bzero(p, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

bool sigil_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a;
    const volatile unsigned char *y = b;
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (unsigned char)(x[i] ^ y[i]);
    return acc == 0;
}
