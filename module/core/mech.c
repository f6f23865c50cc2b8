/* mech.c — the one table of mechanisms (specs/pkcs11-profile.md "Mechanisms"). */
#include "mech.h"

/* Signing runs on the appliance (CKF_HW); verification and digesting in the module. The SHA-1 and
 * SHA-224 signature mechanisms verify only: a seal is never made with them. */
#define SIGN_FLAGS (CKF_HW | CKF_SIGN | CKF_VERIFY)
#define VERIFY_FLAGS (CKF_VERIFY)
#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define EC_SIG(t, f, h) \
    {.type = (t), .min_bits = 256, .max_bits = 384, .flags = (f) | EC_FLAGS, .key_type = CKK_EC, \
     .wire_mech = SIGIL_MECH_ECDSA, .hash = (h)}
#define RSA_SIG(t, f, h, w, p) \
    {.type = (t), .min_bits = 2048, .max_bits = 4096, .flags = (f), .key_type = CKK_RSA, .wire_mech = (w), \
     .hash = (h), .pss = (p)}
#define DIGEST(t, h) {.type = (t), .flags = CKF_DIGEST, .key_type = CKK_VENDOR_DEFINED, .hash = (h)}

static const sigil_mech_info g_mechs[] = {
    {.type = CKM_EC_KEY_PAIR_GEN, .min_bits = 256, .max_bits = 384,
     .flags = CKF_HW | CKF_GENERATE_KEY_PAIR | EC_FLAGS, .key_type = CKK_EC},
    {.type = CKM_RSA_PKCS_KEY_PAIR_GEN, .min_bits = 2048, .max_bits = 4096,
     .flags = CKF_HW | CKF_GENERATE_KEY_PAIR, .key_type = CKK_RSA},
    EC_SIG(CKM_ECDSA, SIGN_FLAGS, SIGIL_HASH_NONE),
    EC_SIG(CKM_ECDSA_SHA256, SIGN_FLAGS, SIGIL_HASH_SHA256),
    EC_SIG(CKM_ECDSA_SHA384, SIGN_FLAGS, SIGIL_HASH_SHA384),
    EC_SIG(CKM_ECDSA_SHA512, SIGN_FLAGS, SIGIL_HASH_SHA512),
    EC_SIG(CKM_ECDSA_SHA1, VERIFY_FLAGS, SIGIL_HASH_SHA1),
    EC_SIG(CKM_ECDSA_SHA224, VERIFY_FLAGS, SIGIL_HASH_SHA224),
    RSA_SIG(CKM_RSA_PKCS, SIGN_FLAGS, SIGIL_HASH_NONE, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_SHA256_RSA_PKCS, SIGN_FLAGS, SIGIL_HASH_SHA256, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_SHA384_RSA_PKCS, SIGN_FLAGS, SIGIL_HASH_SHA384, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_SHA512_RSA_PKCS, SIGN_FLAGS, SIGIL_HASH_SHA512, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_SHA1_RSA_PKCS, VERIFY_FLAGS, SIGIL_HASH_SHA1, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_SHA224_RSA_PKCS, VERIFY_FLAGS, SIGIL_HASH_SHA224, SIGIL_MECH_RSA_PKCS, false),
    RSA_SIG(CKM_RSA_PKCS_PSS, SIGN_FLAGS, SIGIL_HASH_NONE, SIGIL_MECH_RSA_PSS, true),
    RSA_SIG(CKM_SHA256_RSA_PKCS_PSS, SIGN_FLAGS, SIGIL_HASH_SHA256, SIGIL_MECH_RSA_PSS, true),
    RSA_SIG(CKM_SHA384_RSA_PKCS_PSS, SIGN_FLAGS, SIGIL_HASH_SHA384, SIGIL_MECH_RSA_PSS, true),
    RSA_SIG(CKM_SHA512_RSA_PKCS_PSS, SIGN_FLAGS, SIGIL_HASH_SHA512, SIGIL_MECH_RSA_PSS, true),
    RSA_SIG(CKM_SHA1_RSA_PKCS_PSS, VERIFY_FLAGS, SIGIL_HASH_SHA1, SIGIL_MECH_RSA_PSS, true),
    RSA_SIG(CKM_SHA224_RSA_PKCS_PSS, VERIFY_FLAGS, SIGIL_HASH_SHA224, SIGIL_MECH_RSA_PSS, true),
    DIGEST(CKM_SHA_1, SIGIL_HASH_SHA1),
    DIGEST(CKM_SHA224, SIGIL_HASH_SHA224),
    DIGEST(CKM_SHA256, SIGIL_HASH_SHA256),
    DIGEST(CKM_SHA384, SIGIL_HASH_SHA384),
    DIGEST(CKM_SHA512, SIGIL_HASH_SHA512),
};

#define N_MECHS (sizeof(g_mechs) / sizeof(g_mechs[0]))

const sigil_mech_info *sigil_mech_lookup(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < N_MECHS; i++)
        if (g_mechs[i].type == type)
            return &g_mechs[i];
    return NULL;
}

size_t sigil_mech_list(CK_MECHANISM_TYPE *out, size_t cap)
{
    for (size_t i = 0; out != NULL && i < N_MECHS && i < cap; i++)
        out[i] = g_mechs[i].type;
    return N_MECHS;
}

size_t sigil_mech_allowed(CK_KEY_TYPE kt, CK_FLAGS need, CK_MECHANISM_TYPE *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_MECHS; i++)
        if (g_mechs[i].key_type == kt && (g_mechs[i].flags & need) == need && n < cap)
            out[n++] = g_mechs[i].type;
    return n;
}

CK_RV sigil_core_mechanism_list(sigil_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
    if (slot >= m->slot_count)
        return CKR_SLOT_ID_INVALID;
    CK_ULONG n = (CK_ULONG)sigil_mech_list(NULL, 0);
    if (list == NULL) {
        *count = n;
        return CKR_OK;
    }
    if (*count < n) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    (void)sigil_mech_list(list, *count);
    *count = n;
    return CKR_OK;
}

CK_RV sigil_core_mechanism_info(sigil_module *m, CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                CK_MECHANISM_INFO *info)
{
    if (slot >= m->slot_count)
        return CKR_SLOT_ID_INVALID;
    const sigil_mech_info *mi = sigil_mech_lookup(type);
    if (mi == NULL)
        return CKR_MECHANISM_INVALID;
    info->ulMinKeySize = mi->min_bits;
    info->ulMaxKeySize = mi->max_bits;
    info->flags = mi->flags;
    return CKR_OK;
}
