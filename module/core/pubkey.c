/* pubkey.c — public keys with OpenSSL 3 (EVP_PKEY_fromdata). */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <string.h>

#include "pubkey.h"

/* The curve name of a DER OID, or NULL. */
static const char *curve_name(const uint8_t *params, size_t len)
{
    const unsigned char *p = params;
    ASN1_OBJECT *oid = NULL;
    const char *name = NULL;
    if (params == NULL || len == 0 || len > 64 || params[0] != 0x06)
        return NULL;
    oid = d2i_ASN1_OBJECT(NULL, &p, (long)len);
    if (oid != NULL && p == params + len) {
        int nid = OBJ_obj2nid(oid);
        if (nid != NID_undef)
            name = OBJ_nid2sn(nid);
    }
    ASN1_OBJECT_free(oid);
    return name;
}

static CK_RV build(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    CK_RV rv = CKR_HOST_MEMORY;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY_CTX *check = NULL;
    *out = NULL;
    if (params == NULL || ctx == NULL)
        goto out;
    rv = CKR_ATTRIBUTE_VALUE_INVALID;
    if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
    if (check == NULL || EVP_PKEY_public_check(check) != 1)
        goto out;
    rv = CKR_OK;
out:
    if (rv != CKR_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return rv;
}

static CK_RV evp_ec(const uint8_t *params, size_t params_len, const uint8_t *point, size_t point_len,
                    EVP_PKEY **out)
{
    const char *name = curve_name(params, params_len);
    OSSL_PARAM_BLD *bld = NULL;
    CK_RV rv = CKR_CURVE_NOT_SUPPORTED;
    *out = NULL;
    if (name == NULL)
        return rv;
    rv = CKR_HOST_MEMORY;
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) != 1)
        goto out;
    rv = build("EC", bld, out);
out:
    OSSL_PARAM_BLD_free(bld);
    return rv;
}

static CK_RV evp_rsa(const uint8_t *mod, size_t mod_len, const uint8_t *exp, size_t exp_len, EVP_PKEY **out)
{
    CK_RV rv = CKR_HOST_MEMORY;
    BIGNUM *n = BN_bin2bn(mod, (int)mod_len, NULL);
    BIGNUM *e = BN_bin2bn(exp, (int)exp_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    *out = NULL;
    if (n == NULL || e == NULL || bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
        goto out;
    rv = build("RSA", bld, out);
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return rv;
}

/* The raw point of a CKA_EC_POINT: inside a DER OCTET STRING, or given raw (some applications do). */
static bool unwrap_point(const uint8_t *p, size_t n, const uint8_t **raw, size_t *raw_len)
{
    if (n >= 2 && p[0] == 0x04) {
        size_t h = 0, len = 0;
        if (p[1] < 0x80) {
            h = 2;
            len = p[1];
        } else if (p[1] == 0x81 && n >= 3) {
            h = 3;
            len = p[2];
        } else if (p[1] == 0x82 && n >= 4) {
            h = 4;
            len = ((size_t)p[2] << 8) | p[3];
        }
        if (h > 0 && h + len == n && len > 0 && (p[h] == 0x04 || p[h] == 0x02 || p[h] == 0x03)) {
            *raw = p + h;
            *raw_len = len;
            return true;
        }
    }
    if (n > 0 && p[0] == 0x04 && n % 2 == 1) { /* raw uncompressed 04||X||Y */
        *raw = p;
        *raw_len = n;
        return true;
    }
    return false;
}

CK_RV sigil_pubkey_set_ec(sigil_object *o, const uint8_t *params, size_t params_len, const uint8_t *point,
                          size_t point_len)
{
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    EVP_PKEY *pk = NULL;
    uint8_t unc[SIGIL_PUB_B_MAX];
    size_t unc_len = 0;

    if (params_len > sizeof(o->pub_a))
        return CKR_CURVE_NOT_SUPPORTED;
    if (!unwrap_point(point, point_len, &raw, &raw_len))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    CK_RV rv = evp_ec(params, params_len, raw, raw_len, &pk);
    if (rv != CKR_OK)
        return rv;
    /* Stored uncompressed, whatever form came in. */
    if (EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1 ||
        EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, unc, sizeof(unc), &unc_len) != 1) {
        EVP_PKEY_free(pk);
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    o->key_type = SIGIL_KEYTYPE_EC;
    o->bits = (uint32_t)EVP_PKEY_get_bits(pk);
    memcpy(o->pub_a, params, params_len);
    o->pub_a_len = params_len;
    memcpy(o->pub_b, unc, unc_len);
    o->pub_b_len = unc_len;
    EVP_PKEY_free(pk);
    return CKR_OK;
}

CK_RV sigil_pubkey_set_rsa(sigil_object *o, const uint8_t *mod, size_t mod_len, const uint8_t *exp, size_t exp_len)
{
    EVP_PKEY *pk = NULL;
    while (mod_len > 0 && *mod == 0) {
        mod++;
        mod_len--;
    }
    while (exp_len > 0 && *exp == 0) {
        exp++;
        exp_len--;
    }
    if (mod_len == 0 || mod_len > sizeof(o->pub_a) || exp_len == 0 || exp_len > sizeof(o->pub_b))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    CK_RV rv = evp_rsa(mod, mod_len, exp, exp_len, &pk);
    if (rv != CKR_OK)
        return rv;
    o->key_type = SIGIL_KEYTYPE_RSA;
    o->bits = (uint32_t)EVP_PKEY_get_bits(pk);
    memcpy(o->pub_a, mod, mod_len);
    o->pub_a_len = mod_len;
    memcpy(o->pub_b, exp, exp_len);
    o->pub_b_len = exp_len;
    EVP_PKEY_free(pk);
    return CKR_OK;
}

CK_RV sigil_pubkey_evp(const sigil_object *o, EVP_PKEY **out)
{
    CK_RV rv = CKR_KEY_TYPE_INCONSISTENT;
    *out = NULL;
    if (o->key_type == SIGIL_KEYTYPE_EC)
        rv = evp_ec(o->pub_a, o->pub_a_len, o->pub_b, o->pub_b_len, out);
    else if (o->key_type == SIGIL_KEYTYPE_RSA)
        rv = evp_rsa(o->pub_a, o->pub_a_len, o->pub_b, o->pub_b_len, out);
    if (rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_CURVE_NOT_SUPPORTED)
        rv = CKR_KEY_TYPE_INCONSISTENT; /* values the module cannot use */
    return rv;
}

CK_RV sigil_pubkey_id(const sigil_object *o, uint8_t id[SIGIL_PUBKEY_ID_LEN])
{
    unsigned int n = 0;
    const uint8_t *p = o->key_type == SIGIL_KEYTYPE_EC ? o->pub_b : o->pub_a;
    size_t len = o->key_type == SIGIL_KEYTYPE_EC ? o->pub_b_len : o->pub_a_len;
    if (len == 0)
        return CKR_GENERAL_ERROR;
    if (EVP_Digest(p, len, id, &n, EVP_sha1(), NULL) != 1 || n != SIGIL_PUBKEY_ID_LEN)
        return CKR_GENERAL_ERROR;
    return CKR_OK;
}
