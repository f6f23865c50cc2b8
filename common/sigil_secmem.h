/* sigil_secmem.h — the one way to wipe secrets and compare them. */
#ifndef SIGIL_SECMEM_H
#define SIGIL_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

/* Overwrites n bytes with zeros in a way the optimiser cannot remove. */
void sigil_wipe(void *p, size_t n);

/* Compares in time that depends only on n. True when equal. */
bool sigil_ct_equal(const void *a, const void *b, size_t n);

#endif
