/* keygen.h — C_GenerateKeyPair (keygen.c) and C_GenerateRandom (random.c). */
#ifndef SIGIL_KEYGEN_H
#define SIGIL_KEYGEN_H

#include "module.h"

SIGIL_P11_WUR CK_RV sigil_core_generate_key_pair(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech,
                                                 const CK_ATTRIBUTE *pub, CK_ULONG n_pub,
                                                 const CK_ATTRIBUTE *priv, CK_ULONG n_priv,
                                                 CK_OBJECT_HANDLE *h_pub, CK_OBJECT_HANDLE *h_priv);
SIGIL_P11_WUR CK_RV sigil_core_generate_random(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *out, size_t len);

#endif
