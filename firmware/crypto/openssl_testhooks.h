/* openssl_testhooks.h — test- and benchmark-only hooks into the OpenSSL backend.
 * Only tests and tests/bench include this.
 *
 * sigil_ossl_test_set_ctx_pool(false) makes every signature build and free
 * its own EVP_PKEY_CTX instead of taking one from the key's pool, so that a
 * benchmark can measure what the pool saves; true (the default) restores it.
 * sigil_ossl_test_pool_created() counts the signing contexts created so far.
 */
#ifndef SIGIL_OPENSSL_TESTHOOKS_H
#define SIGIL_OPENSSL_TESTHOOKS_H

#include <stdbool.h>

void sigil_ossl_test_set_ctx_pool(bool on);
unsigned long sigil_ossl_test_pool_created(void);

#endif
