/* mech.h — the mechanism table: what the module offers, for which key type, how it signs. */
#ifndef SIGIL_MECH_H
#define SIGIL_MECH_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

typedef enum {
    SIGIL_HASH_NONE = 0, /* 1..3 match the wire's pss_hash */
    SIGIL_HASH_SHA256 = 1,
    SIGIL_HASH_SHA384 = 2,
    SIGIL_HASH_SHA512 = 3,
    SIGIL_HASH_SHA1 = 4,   /* module only: digesting and verification */
    SIGIL_HASH_SHA224 = 5, /* module only: digesting and verification */
} sigil_hash;

typedef struct sigil_mech_info {
    CK_MECHANISM_TYPE type;
    CK_ULONG min_bits;
    CK_ULONG max_bits;
    CK_FLAGS flags;    /* what C_GetMechanismInfo says: CKF_SIGN ones sign on the appliance, CKF_VERIFY
                        * and CKF_DIGEST ones run in the module (OpenSSL) */
    CK_KEY_TYPE key_type; /* CKK_VENDOR_DEFINED for digests */
    uint8_t wire_mech; /* sigil_mech of a signature mechanism; 0 for key generation and digests */
    sigil_hash hash;   /* hashed in the module; NONE: the caller's data go to the appliance */
    bool pss;
} sigil_mech_info;

/* The entry for type, or NULL. */
const sigil_mech_info *sigil_mech_lookup(CK_MECHANISM_TYPE type);
/* All mechanism types (out NULL: just the count). */
size_t sigil_mech_list(CK_MECHANISM_TYPE *out, size_t cap);
/* The mechanisms with flag need (CKF_SIGN, CKF_VERIFY) usable with a key type (CKA_ALLOWED_MECHANISMS). */
size_t sigil_mech_allowed(CK_KEY_TYPE kt, CK_FLAGS need, CK_MECHANISM_TYPE *out, size_t cap);

/* Hash helpers (hash.c). */
size_t sigil_hash_len(sigil_hash h);
/* True for the hashes the appliance's RSA-PSS knows (pss_hash on the wire). */
bool sigil_hash_on_wire(sigil_hash h);
/* CKM_SHA_1/224/256/384/512 -> hash, else NONE. */
sigil_hash sigil_hash_from_ckm(CK_MECHANISM_TYPE t);
/* CKG_MGF1_SHA1/224/256/384/512 -> hash, else NONE. */
sigil_hash sigil_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g);
/* The DER DigestInfo prefix for RSA PKCS#1 v1.5. */
const uint8_t *sigil_hash_digestinfo(sigil_hash h, size_t *len);
/* One-shot digest: 0 ok, -1 failure. out must hold sigil_hash_len(h). */
int sigil_hash_once(sigil_hash h, const uint8_t *data, size_t len, uint8_t *out);
/* An OpenSSL EVP_MD for h (const EVP_MD *). */
const void *sigil_hash_md(sigil_hash h);

SIGIL_P11_WUR CK_RV sigil_core_mechanism_list(sigil_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE *list,
                                              CK_ULONG *count);
SIGIL_P11_WUR CK_RV sigil_core_mechanism_info(sigil_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                              CK_MECHANISM_INFO *info);

#endif
