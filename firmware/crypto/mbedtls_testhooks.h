/* mbedtls_testhooks.h — test-only hooks into the mbedTLS backend. Only tests include this.
 *
 * sigil_mbt_test_corrupt_kat(id) makes sigil_crypto_self_test corrupt the
 * result of known-answer test number id (1..SIGIL_MBT_KAT_COUNT) before
 * comparing it, so that tests can show each check is live; 0 turns it off.
 */
#ifndef SIGIL_MBEDTLS_TESTHOOKS_H
#define SIGIL_MBEDTLS_TESTHOOKS_H

#define SIGIL_MBT_KAT_COUNT 16u

void sigil_mbt_test_corrupt_kat(unsigned id);

#endif
