/* mech.c — the one table of mechanisms (specs/pkcs11-profile.md "Mechanisms"). */
#include "mech.h"

#define SIGN_FLAGS (CKF_HW | CKF_SIGN)
#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)

static const sigil_mech_info g_mechs[] = {
    {.type = CKM_EC_KEY_PAIR_GEN, .min_bits = 256, .max_bits = 384,
     .flags = CKF_HW | CKF_GENERATE_KEY_PAIR | EC_FLAGS, .key_type = CKK_EC},
    {.type = CKM_RSA_PKCS_KEY_PAIR_GEN, .min_bits = 2048, .max_bits = 4096,
     .flags = CKF_HW | CKF_GENERATE_KEY_PAIR, .key_type = CKK_RSA},
    {.type = CKM_ECDSA, .min_bits = 256, .max_bits = 384, .flags = SIGN_FLAGS | EC_FLAGS,
     .key_type = CKK_EC, .wire_mech = SIGIL_MECH_ECDSA},
    {.type = CKM_ECDSA_SHA256, .min_bits = 256, .max_bits = 384, .flags = SIGN_FLAGS | EC_FLAGS,
     .key_type = CKK_EC, .wire_mech = SIGIL_MECH_ECDSA, .hash = SIGIL_HASH_SHA256},
    {.type = CKM_ECDSA_SHA384, .min_bits = 256, .max_bits = 384, .flags = SIGN_FLAGS | EC_FLAGS,
     .key_type = CKK_EC, .wire_mech = SIGIL_MECH_ECDSA, .hash = SIGIL_HASH_SHA384},
    {.type = CKM_ECDSA_SHA512, .min_bits = 256, .max_bits = 384, .flags = SIGN_FLAGS | EC_FLAGS,
     .key_type = CKK_EC, .wire_mech = SIGIL_MECH_ECDSA, .hash = SIGIL_HASH_SHA512},
    {.type = CKM_RSA_PKCS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PKCS},
    {.type = CKM_SHA256_RSA_PKCS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PKCS, .hash = SIGIL_HASH_SHA256},
    {.type = CKM_SHA384_RSA_PKCS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PKCS, .hash = SIGIL_HASH_SHA384},
    {.type = CKM_SHA512_RSA_PKCS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PKCS, .hash = SIGIL_HASH_SHA512},
    {.type = CKM_RSA_PKCS_PSS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PSS, .pss = true},
    {.type = CKM_SHA256_RSA_PKCS_PSS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PSS, .hash = SIGIL_HASH_SHA256, .pss = true},
    {.type = CKM_SHA384_RSA_PKCS_PSS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PSS, .hash = SIGIL_HASH_SHA384, .pss = true},
    {.type = CKM_SHA512_RSA_PKCS_PSS, .min_bits = 2048, .max_bits = 4096, .flags = SIGN_FLAGS,
     .key_type = CKK_RSA, .wire_mech = SIGIL_MECH_RSA_PSS, .hash = SIGIL_HASH_SHA512, .pss = true},
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

size_t sigil_mech_allowed(CK_KEY_TYPE kt, CK_MECHANISM_TYPE *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_MECHS; i++)
        if (g_mechs[i].key_type == kt && g_mechs[i].wire_mech != 0 && n < cap)
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
