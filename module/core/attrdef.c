/* attrdef.c — the attribute table and template shape checks. */
#include <string.h>

#include "attrdef.h"
#include "sigil_proto.h"

#define D(t, k, h, c, s) {.type = (t), .kind = (k), .has = (h), .create = (c), .set = (s)}
#define CERT SIGIL_AC_CERT
#define DATA SIGIL_AC_DATA
#define PUB SIGIL_AC_PUB
#define PRIV SIGIL_AC_PRIV
#define KEYS SIGIL_AC_KEYS
#define ALL SIGIL_AC_ALL

static const sigil_attrdef g_defs[] = {
    /* Every object. CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_DESTROYABLE change only in C_CopyObject;
     * CKA_COPYABLE may become false (footnote 12): object.c's rules. */
    D(CKA_CLASS, SIGIL_AK_ULONG, ALL, ALL, 0),
    D(CKA_TOKEN, SIGIL_AK_BOOL, ALL, ALL, 0),
    D(CKA_PRIVATE, SIGIL_AK_BOOL, ALL, ALL, 0),
    D(CKA_MODIFIABLE, SIGIL_AK_BOOL, ALL, ALL, 0),
    D(CKA_COPYABLE, SIGIL_AK_BOOL, ALL, ALL, 0),
    D(CKA_DESTROYABLE, SIGIL_AK_BOOL, ALL, ALL, 0),
    D(CKA_LABEL, SIGIL_AK_BYTES, ALL, ALL, ALL),
    /* Certificates (X.509). */
    D(CKA_CERTIFICATE_TYPE, SIGIL_AK_ULONG, CERT, CERT, 0),
    D(CKA_TRUSTED, SIGIL_AK_BOOL, CERT | PUB, CERT | PUB, 0),
    D(CKA_CERTIFICATE_CATEGORY, SIGIL_AK_ULONG, CERT, CERT, 0),
    D(CKA_CHECK_VALUE, SIGIL_AK_BYTES, CERT, CERT, 0),
    D(CKA_START_DATE, SIGIL_AK_DATE, CERT | KEYS, CERT | PUB, KEYS),
    D(CKA_END_DATE, SIGIL_AK_DATE, CERT | KEYS, CERT | PUB, KEYS),
    D(CKA_PUBLIC_KEY_INFO, SIGIL_AK_BYTES, CERT | KEYS, CERT | PUB, 0),
    D(CKA_SUBJECT, SIGIL_AK_BYTES, CERT | KEYS, CERT | PUB, KEYS),
    D(CKA_ID, SIGIL_AK_BYTES, CERT | KEYS, CERT | PUB, CERT | KEYS),
    D(CKA_ISSUER, SIGIL_AK_BYTES, CERT, CERT, CERT),
    D(CKA_SERIAL_NUMBER, SIGIL_AK_BYTES, CERT, CERT, CERT),
    D(CKA_VALUE, SIGIL_AK_BYTES, CERT | DATA | PRIV, CERT | DATA, 0),
    D(CKA_URL, SIGIL_AK_BYTES, CERT, CERT, 0),
    D(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, SIGIL_AK_BYTES, CERT, CERT, 0),
    D(CKA_HASH_OF_ISSUER_PUBLIC_KEY, SIGIL_AK_BYTES, CERT, CERT, 0),
    D(CKA_JAVA_MIDP_SECURITY_DOMAIN, SIGIL_AK_ULONG, CERT, CERT, 0),
    D(CKA_NAME_HASH_ALGORITHM, SIGIL_AK_ULONG, CERT, CERT, 0),
    /* Data objects. */
    D(CKA_APPLICATION, SIGIL_AK_BYTES, DATA, DATA, 0),
    D(CKA_OBJECT_ID, SIGIL_AK_BYTES, DATA, DATA, 0),
    /* Keys. */
    D(CKA_KEY_TYPE, SIGIL_AK_ULONG, KEYS, PUB, 0),
    D(CKA_DERIVE, SIGIL_AK_BOOL, KEYS, PUB, KEYS),
    D(CKA_LOCAL, SIGIL_AK_BOOL, KEYS, 0, 0),
    D(CKA_KEY_GEN_MECHANISM, SIGIL_AK_ULONG, KEYS, 0, 0),
    D(CKA_ALLOWED_MECHANISMS, SIGIL_AK_BYTES, KEYS, 0, 0),
    D(CKA_ENCRYPT, SIGIL_AK_BOOL, PUB, PUB, PUB),
    D(CKA_VERIFY, SIGIL_AK_BOOL, PUB, PUB, PUB),
    D(CKA_VERIFY_RECOVER, SIGIL_AK_BOOL, PUB, PUB, PUB),
    D(CKA_WRAP, SIGIL_AK_BOOL, PUB, PUB, PUB),
    D(CKA_EC_PARAMS, SIGIL_AK_BYTES, KEYS, PUB, 0),
    D(CKA_EC_POINT, SIGIL_AK_BYTES, KEYS, PUB, 0),
    D(CKA_MODULUS, SIGIL_AK_BYTES, KEYS, PUB, 0),
    D(CKA_MODULUS_BITS, SIGIL_AK_ULONG, KEYS, PUB, 0),
    D(CKA_PUBLIC_EXPONENT, SIGIL_AK_BYTES, KEYS, PUB, 0),
    D(CKA_SENSITIVE, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_EXTRACTABLE, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_DECRYPT, SIGIL_AK_BOOL, PRIV, 0, PRIV),
    D(CKA_SIGN, SIGIL_AK_BOOL, PRIV, 0, PRIV),
    D(CKA_SIGN_RECOVER, SIGIL_AK_BOOL, PRIV, 0, PRIV),
    D(CKA_UNWRAP, SIGIL_AK_BOOL, PRIV, 0, PRIV),
    D(CKA_ALWAYS_SENSITIVE, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_NEVER_EXTRACTABLE, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_WRAP_WITH_TRUSTED, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_ALWAYS_AUTHENTICATE, SIGIL_AK_BOOL, PRIV, 0, 0),
    D(CKA_PRIVATE_EXPONENT, SIGIL_AK_BYTES, PRIV, 0, 0),
    D(CKA_PRIME_1, SIGIL_AK_BYTES, PRIV, 0, 0),
    D(CKA_PRIME_2, SIGIL_AK_BYTES, PRIV, 0, 0),
    D(CKA_EXPONENT_1, SIGIL_AK_BYTES, PRIV, 0, 0),
    D(CKA_EXPONENT_2, SIGIL_AK_BYTES, PRIV, 0, 0),
    D(CKA_COEFFICIENT, SIGIL_AK_BYTES, PRIV, 0, 0),
};

#define N_DEFS (sizeof(g_defs) / sizeof(g_defs[0]))

const sigil_attrdef *sigil_attrdef_find(CK_ATTRIBUTE_TYPE t)
{
    for (size_t i = 0; i < N_DEFS; i++)
        if (g_defs[i].type == t)
            return &g_defs[i];
    return NULL;
}

uint8_t sigil_attrdef_class_bit(uint8_t obj_class)
{
    switch (obj_class) {
    case SIGIL_CLASS_CERTIFICATE: return SIGIL_AC_CERT;
    case SIGIL_CLASS_DATA: return SIGIL_AC_DATA;
    case SIGIL_CLASS_PUBLIC_KEY: return SIGIL_AC_PUB;
    case SIGIL_CLASS_PRIVATE_KEY: return SIGIL_AC_PRIV;
    default: return 0;
    }
}

CK_RV sigil_attrdef_check(const sigil_attrdef *d, const CK_ATTRIBUTE *a)
{
    if (a->pValue == NULL && a->ulValueLen > 0)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (d == NULL)
        return CKR_OK;
    switch (d->kind) {
    case SIGIL_AK_BOOL: return a->ulValueLen == sizeof(CK_BBOOL) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
    case SIGIL_AK_ULONG: return a->ulValueLen == sizeof(CK_ULONG) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
    case SIGIL_AK_DATE:
        return a->ulValueLen == 0 || a->ulValueLen == sizeof(CK_DATE) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
    case SIGIL_AK_BYTES: break;
    }
    return CKR_OK;
}

CK_RV sigil_tmpl_check(const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
    for (CK_ULONG i = 0; i < count; i++) {
        if (tmpl[i].pValue == NULL && tmpl[i].ulValueLen > 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        for (CK_ULONG j = 0; j < i; j++) {
            if (tmpl[j].type != tmpl[i].type)
                continue;
            if (tmpl[j].ulValueLen != tmpl[i].ulValueLen ||
                (tmpl[i].ulValueLen > 0 && memcmp(tmpl[j].pValue, tmpl[i].pValue, tmpl[i].ulValueLen) != 0))
                return CKR_TEMPLATE_INCONSISTENT;
        }
    }
    return CKR_OK;
}

bool sigil_tmpl_bool(const CK_ATTRIBUTE *a)
{
    CK_BBOOL b = CK_FALSE;
    memcpy(&b, a->pValue, sizeof(b));
    return b != CK_FALSE;
}

CK_ULONG sigil_tmpl_ulong(const CK_ATTRIBUTE *a)
{
    CK_ULONG v = 0;
    memcpy(&v, a->pValue, sizeof(v));
    return v;
}
