/* keygen.c — C_GenerateKeyPair: templates validated here, the pair made by GENERATE_KEYPAIR.
 *
 * What a template may ask (specs/pkcs11-profile.md "Key generation"):
 *  - CKA_EC_PARAMS naming P-256 or P-384 (DER OID), else CKR_CURVE_NOT_SUPPORTED;
 *    CKA_MODULUS_BITS 2048/3072/4096, else CKR_KEY_SIZE_RANGE; CKA_PUBLIC_EXPONENT 65537 only.
 *  - CKA_ID / CKA_LABEL from either template (equal if both give one); no CKA_ID -> the SHA-1 of
 *    the public value (EC point, RSA modulus), as OpenSC names keys, set with SET_OBJECT after
 *    the pair is made.
 *  - A private key is always sensitive, never extractable: asking otherwise is
 *    CKR_TEMPLATE_INCONSISTENT. CKA_TOKEN=false is accepted and still makes token objects.
 *  - Usage flags the appliance cannot honour (CKA_DECRYPT, CKA_ENCRYPT, CKA_WRAP, ...) are accepted
 *    and ignored: the keys sign and verify only (pkcs11-tool asks for them by default).
 */
#include <stdlib.h>
#include <string.h>

#include "attrdef.h"
#include "auth.h"
#include "keygen.h"
#include "object.h"
#include "pubkey.h"
#include "session.h"
#include "slot.h"
#include "wire.h"

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

typedef struct {
    uint8_t key_type; /* SIGIL_KEYTYPE_* */
    uint32_t param;   /* curve bits or modulus bits */
    bool have_param;
    uint8_t id[SIGIL_ID_MAX_LEN];
    size_t id_len;
    bool have_id;
    char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
    bool have_label;
} keygen_req;

static CK_RV get_bool(const CK_ATTRIBUTE *a, bool *v)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    *v = *(const CK_BBOOL *)a->pValue != CK_FALSE;
    return CKR_OK;
}

static CK_RV get_ulong(const CK_ATTRIBUTE *a, CK_ULONG *v)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    memcpy(v, a->pValue, sizeof(*v));
    return CKR_OK;
}

static CK_RV take_id(keygen_req *k, const CK_ATTRIBUTE *a)
{
    if (a->ulValueLen > SIGIL_ID_MAX_LEN || (a->ulValueLen > 0 && a->pValue == NULL))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (k->have_id && (k->id_len != a->ulValueLen || memcmp(k->id, a->pValue, k->id_len) != 0))
        return CKR_TEMPLATE_INCONSISTENT;
    if (a->ulValueLen > 0)
        memcpy(k->id, a->pValue, a->ulValueLen);
    k->id_len = a->ulValueLen;
    k->have_id = true;
    return CKR_OK;
}

static CK_RV take_label(keygen_req *k, const CK_ATTRIBUTE *a)
{
    if (a->ulValueLen > SIGIL_OBJ_LABEL_MAX_LEN || (a->ulValueLen > 0 && a->pValue == NULL))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen > 0 && memchr(a->pValue, '\0', a->ulValueLen) != NULL)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (k->have_label &&
        (strlen(k->label) != a->ulValueLen || memcmp(k->label, a->pValue, a->ulValueLen) != 0))
        return CKR_TEMPLATE_INCONSISTENT;
    if (a->ulValueLen > 0)
        memcpy(k->label, a->pValue, a->ulValueLen);
    k->label[a->ulValueLen] = '\0';
    k->have_label = true;
    return CKR_OK;
}

static CK_RV take_ec_params(keygen_req *k, const CK_ATTRIBUTE *a)
{
    if (k->key_type != SIGIL_KEYTYPE_EC)
        return CKR_TEMPLATE_INCONSISTENT;
    if (a->pValue == NULL)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen == sizeof(oid_p256) && memcmp(a->pValue, oid_p256, sizeof(oid_p256)) == 0)
        k->param = 256;
    else if (a->ulValueLen == sizeof(oid_p384) && memcmp(a->pValue, oid_p384, sizeof(oid_p384)) == 0)
        k->param = 384;
    else
        return CKR_CURVE_NOT_SUPPORTED;
    k->have_param = true;
    return CKR_OK;
}

static CK_RV take_modulus_bits(keygen_req *k, const CK_ATTRIBUTE *a)
{
    CK_ULONG bits = 0;
    if (k->key_type != SIGIL_KEYTYPE_RSA)
        return CKR_TEMPLATE_INCONSISTENT;
    CK_RV rv = get_ulong(a, &bits);
    if (rv != CKR_OK)
        return rv;
    if (bits != 2048 && bits != 3072 && bits != 4096)
        return CKR_KEY_SIZE_RANGE;
    k->param = (uint32_t)bits;
    k->have_param = true;
    return CKR_OK;
}

static CK_RV check_exponent(const keygen_req *k, const CK_ATTRIBUTE *a)
{
    static const uint8_t f4[] = {0x01, 0x00, 0x01};
    const uint8_t *p = a->pValue;
    size_t n = a->ulValueLen;
    if (k->key_type != SIGIL_KEYTYPE_RSA)
        return CKR_TEMPLATE_INCONSISTENT;
    if (p == NULL && n > 0)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    while (n > 0 && *p == 0) {
        p++;
        n--;
    }
    return n == sizeof(f4) && memcmp(p, f4, n) == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

/* One attribute of either template. is_priv: the private key's template. */
static CK_RV take_attr(keygen_req *k, const CK_ATTRIBUTE *a, bool is_priv)
{
    CK_ULONG ul = 0;
    bool b = false;
    CK_RV rv = CKR_OK;
    switch (a->type) {
    case CKA_CLASS:
        rv = get_ulong(a, &ul);
        if (rv == CKR_OK && ul != (is_priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY))
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_KEY_TYPE:
        rv = get_ulong(a, &ul);
        if (rv == CKR_OK && ul != (k->key_type == SIGIL_KEYTYPE_EC ? CKK_EC : CKK_RSA))
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_ID: return take_id(k, a);
    case CKA_LABEL: return take_label(k, a);
    case CKA_EC_PARAMS: return is_priv ? CKR_TEMPLATE_INCONSISTENT : take_ec_params(k, a);
    case CKA_MODULUS_BITS: return is_priv ? CKR_TEMPLATE_INCONSISTENT : take_modulus_bits(k, a);
    case CKA_PUBLIC_EXPONENT: return is_priv ? CKR_TEMPLATE_INCONSISTENT : check_exponent(k, a);
    case CKA_PRIVATE:
        /* Private keys are private, public keys are public. */
        rv = get_bool(a, &b);
        if (rv == CKR_OK && b != is_priv)
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_SENSITIVE:
        rv = get_bool(a, &b);
        if (rv == CKR_OK && is_priv && !b)
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_EXTRACTABLE:
        rv = get_bool(a, &b);
        if (rv == CKR_OK && is_priv && b)
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_ALWAYS_AUTHENTICATE:
        /* The seal's policy decides, never the template. */
        rv = get_bool(a, &b);
        if (rv == CKR_OK && b)
            rv = CKR_TEMPLATE_INCONSISTENT;
        return rv;
    case CKA_TOKEN:
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
    case CKA_DESTROYABLE:
    case CKA_SIGN:
    case CKA_VERIFY:
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_WRAP:
    case CKA_UNWRAP:
    case CKA_DERIVE:
    case CKA_SIGN_RECOVER:
    case CKA_VERIFY_RECOVER:
        return get_bool(a, &b); /* accepted, see the top of this file */
    case CKA_START_DATE:
    case CKA_END_DATE:
    case CKA_SUBJECT:
        return a->ulValueLen == 0 ? CKR_OK : CKR_TEMPLATE_INCONSISTENT;
    default:
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV parse_templates(keygen_req *k, const CK_ATTRIBUTE *pub, CK_ULONG n_pub, const CK_ATTRIBUTE *priv,
                             CK_ULONG n_priv)
{
    CK_RV rv = sigil_tmpl_check(pub, n_pub);
    if (rv == CKR_OK)
        rv = sigil_tmpl_check(priv, n_priv);
    for (CK_ULONG i = 0; rv == CKR_OK && i < n_pub; i++)
        rv = take_attr(k, &pub[i], false);
    for (CK_ULONG i = 0; rv == CKR_OK && i < n_priv; i++)
        rv = take_attr(k, &priv[i], true);
    if (rv == CKR_OK && !k->have_param)
        rv = CKR_TEMPLATE_INCOMPLETE;
    return rv;
}

static CK_RV parse_pair(const uint8_t *resp, size_t n, const keygen_req *k, sigil_object obj[2])
{
    sigil_rd r;
    CK_RV rv = CKR_HOST_MEMORY;
    sigil_obj_record *rec = malloc(2 * sizeof(*rec));
    if (rec == NULL)
        return rv;
    sigil_rd_init(&r, resp, n);
    sigil_obj_record_read(&r, &rec[0]);
    sigil_obj_record_read(&r, &rec[1]);
    rv = CKR_DEVICE_ERROR;
    if (!sigil_rd_done(&r))
        goto out;
    if (rec[0].obj_class != SIGIL_CLASS_PUBLIC_KEY || rec[1].obj_class != SIGIL_CLASS_PRIVATE_KEY ||
        rec[0].key_type != k->key_type || rec[1].key_type != k->key_type ||
        rec[0].handle == CK_INVALID_HANDLE || rec[1].handle == CK_INVALID_HANDLE ||
        (rec[0].handle & SIGIL_SESSOBJ_BIT) || (rec[1].handle & SIGIL_SESSOBJ_BIT) || rec[0].attrs_len != 0 ||
        rec[1].attrs_len != 0)
        goto out;
    rv = sigil_object_from_record(&obj[0], &rec[0]);
    if (rv == CKR_OK)
        rv = sigil_object_from_record(&obj[1], &rec[1]);
out:
    free(rec);
    return rv;
}

/* Without CKA_ID in the templates: both halves get the SHA-1 of the public value. If that cannot
 * be stored, the new pair is destroyed (a failed C_GenerateKeyPair leaves nothing behind). */
static CK_RV name_pair(sigil_module *m, uint32_t slot, sigil_object obj[2])
{
    uint8_t id[SIGIL_PUBKEY_ID_LEN];
    CK_RV rv = sigil_pubkey_id(&obj[0], id);
    for (int i = 0; rv == CKR_OK && i < 2; i++) {
        sigil_object nw = obj[i], stored;
        memcpy(nw.id, id, sizeof(id));
        nw.id_len = sizeof(id);
        rv = sigil_object_store_changes(m, slot, &nw, SIGIL_SET_ID, NULL, 0, &stored);
        if (rv == CKR_OK) {
            sigil_object_release(&obj[i]);
            obj[i] = stored;
        }
    }
    for (int i = 0; rv != CKR_OK && i < 2; i++) {
        uint8_t req[16];
        sigil_wr w;
        sigil_wr_init(&w, req, sizeof(req));
        sigil_wr_u32(&w, slot);
        sigil_wr_u32(&w, (uint32_t)obj[i].handle);
        CK_RV drv = sigil_wire_call_empty(m, SIGIL_OP_DESTROY_OBJECT, &w);
        (void)drv; /* best effort: the error that matters is rv */
    }
    return rv;
}

CK_RV sigil_core_generate_key_pair(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech,
                                   const CK_ATTRIBUTE *pub, CK_ULONG n_pub, const CK_ATTRIBUTE *priv,
                                   CK_ULONG n_priv, CK_OBJECT_HANDLE *h_pub, CK_OBJECT_HANDLE *h_priv)
{
    keygen_req k;
    sigil_session *s = NULL;
    sigil_object obj[2];
    uint8_t req[32 + SIGIL_ID_MAX_LEN + SIGIL_OBJ_LABEL_MAX_LEN];
    uint8_t resp[2 * 1024];
    size_t n = 0;
    sigil_wr w;

    memset(&k, 0, sizeof(k));
    memset(obj, 0, sizeof(obj));
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && !s->rw)
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK && m->slots[s->slot].login != SIGIL_LOGIN_USER)
        rv = CKR_USER_NOT_LOGGED_IN;
    uint32_t slot = s != NULL ? (uint32_t)s->slot : 0;
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        return rv;

    if (mech->mechanism == CKM_EC_KEY_PAIR_GEN)
        k.key_type = SIGIL_KEYTYPE_EC;
    else if (mech->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN)
        k.key_type = SIGIL_KEYTYPE_RSA;
    else
        return CKR_MECHANISM_INVALID;
    rv = parse_templates(&k, pub, n_pub, priv, n_priv);
    if (rv != CKR_OK)
        return rv;

    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, slot);
    sigil_wr_u8(&w, k.key_type);
    sigil_wr_u32(&w, k.param);
    sigil_wr_bytes(&w, k.id, k.id_len);
    sigil_wr_str(&w, k.label);
    rv = sigil_wire_call(m, SIGIL_OP_GENERATE_KEYPAIR, &w, resp, sizeof(resp), &n);
    if (rv == CKR_USER_NOT_LOGGED_IN)
        sigil_login_forget(m, slot);
    if (rv == CKR_OK)
        rv = parse_pair(resp, n, &k, obj);
    if (rv == CKR_OK && !k.have_id)
        rv = name_pair(m, slot, obj);
    if (rv != CKR_OK) {
        sigil_object_release(&obj[0]);
        sigil_object_release(&obj[1]);
        return rv;
    }
    *h_pub = obj[0].handle;
    *h_priv = obj[1].handle;
    sigil_module_lock(m);
    sigil_objcache_put(&m->slots[slot], &obj[0]);
    sigil_objcache_put(&m->slots[slot], &obj[1]);
    sigil_tokinfo_stale(&m->slots[slot]);
    sigil_module_unlock(m);
    return CKR_OK;
}
