/* sign.h — signing operations: C_SignInit / C_Sign / C_SignUpdate / C_SignFinal. */
#ifndef SIGIL_SIGN_H
#define SIGIL_SIGN_H

#include "module.h"

typedef struct sigil_sign_op sigil_sign_op;

void sigil_sign_op_free(sigil_sign_op *op);

SIGIL_P11_WUR CK_RV sigil_core_sign_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech,
                                         CK_OBJECT_HANDLE key);
SIGIL_P11_WUR CK_RV sigil_core_sign(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len,
                                    uint8_t *sig, CK_ULONG *sig_len);
SIGIL_P11_WUR CK_RV sigil_core_sign_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part,
                                           size_t len);
SIGIL_P11_WUR CK_RV sigil_core_sign_final(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *sig,
                                          CK_ULONG *sig_len);

#endif
