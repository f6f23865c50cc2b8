/* pubkey.h — public keys in the module (OpenSSL): importing CKA_EC_PARAMS/CKA_EC_POINT or
 * CKA_MODULUS/CKA_PUBLIC_EXPONENT into an object, an EVP_PKEY for verification, and the
 * OpenSC-style CKA_ID (SHA-1 of the EC point or the modulus). */
#ifndef SIGIL_PUBKEY_H
#define SIGIL_PUBKEY_H

#include <openssl/evp.h>

#include "object.h"

#define SIGIL_PUBKEY_ID_LEN 20u

/* Sets o's EC public values from CKA_EC_PARAMS (DER OID of a named curve) and CKA_EC_POINT
 * (DER OCTET STRING around 04||X||Y, or the raw point), checking the point is on the curve.
 * CKR_CURVE_NOT_SUPPORTED / CKR_ATTRIBUTE_VALUE_INVALID. */
SIGIL_P11_WUR CK_RV sigil_pubkey_set_ec(sigil_object *o, const uint8_t *params, size_t params_len,
                                        const uint8_t *point, size_t point_len);
/* Sets o's RSA public values (big-endian, leading zeros dropped): CKR_ATTRIBUTE_VALUE_INVALID. */
SIGIL_P11_WUR CK_RV sigil_pubkey_set_rsa(sigil_object *o, const uint8_t *mod, size_t mod_len,
                                         const uint8_t *exp, size_t exp_len);
/* An EVP_PKEY of o's public values (EC or RSA): CKR_OK, or CKR_KEY_TYPE_INCONSISTENT /
 * CKR_HOST_MEMORY. The caller frees it. */
SIGIL_P11_WUR CK_RV sigil_pubkey_evp(const sigil_object *o, EVP_PKEY **out);
/* SHA-1 of the EC point (04||X||Y) or of the modulus, as OpenSC names keys. */
SIGIL_P11_WUR CK_RV sigil_pubkey_id(const sigil_object *o, uint8_t id[SIGIL_PUBKEY_ID_LEN]);

#endif
