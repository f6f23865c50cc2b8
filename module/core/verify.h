/* verify.h — C_VerifyInit / C_Verify / C_VerifyUpdate / C_VerifyFinal, in the module with OpenSSL
 * against the public values of a public key object (token or session). No round trip. */
#ifndef SIGIL_VERIFY_H
#define SIGIL_VERIFY_H

#include "module.h"

typedef struct sigil_verify_op sigil_verify_op;

void sigil_verify_op_free(sigil_verify_op *op);

SIGIL_P11_WUR CK_RV sigil_core_verify_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech,
                                           CK_OBJECT_HANDLE key);
SIGIL_P11_WUR CK_RV sigil_core_verify(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len,
                                      const uint8_t *sig, size_t sig_len);
SIGIL_P11_WUR CK_RV sigil_core_verify_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part,
                                             size_t len);
SIGIL_P11_WUR CK_RV sigil_core_verify_final(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *sig,
                                            size_t sig_len);

#endif
