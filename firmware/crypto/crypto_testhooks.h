/* crypto_testhooks.h — test-only hooks shared by every crypto backend. Only
 * tests (and the backends themselves) include this.
 *
 * sigil_crypto_test_corrupt_kat(id) makes sigil_crypto_self_test corrupt the
 * result of known-answer test number id (1..SIGIL_CRYPTO_KAT_COUNT) before
 * comparing it, so that tests can show each check is live; 0 turns it off.
 * The numbering is the same in every backend (selftest_kat.h).
 */
#ifndef SIGIL_CRYPTO_TESTHOOKS_H
#define SIGIL_CRYPTO_TESTHOOKS_H

#define SIGIL_CRYPTO_KAT_COUNT 16u

void sigil_crypto_test_corrupt_kat(unsigned id);

#endif
