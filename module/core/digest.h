/* digest.h — C_DigestInit / C_Digest / C_DigestUpdate / C_DigestKey / C_DigestFinal, in the module
 * with OpenSSL (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512). No round trip. */
#ifndef SIGIL_DIGEST_H
#define SIGIL_DIGEST_H

#include "module.h"

typedef struct sigil_digest_op sigil_digest_op;

void sigil_digest_op_free(sigil_digest_op *op);

SIGIL_P11_WUR CK_RV sigil_core_digest_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech);
SIGIL_P11_WUR CK_RV sigil_core_digest(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len,
                                      uint8_t *out, CK_ULONG *out_len);
SIGIL_P11_WUR CK_RV sigil_core_digest_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part,
                                             size_t len);
SIGIL_P11_WUR CK_RV sigil_core_digest_key(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE key);
SIGIL_P11_WUR CK_RV sigil_core_digest_final(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *out,
                                            CK_ULONG *out_len);

#endif
