/* p11_util.c — helpers for the integration test programs (see p11_util.h). */
#include "p11_util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

CK_FUNCTION_LIST_PTR p11u_load(const char *path, void **handle)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    CK_FUNCTION_LIST_PTR fl = NULL;
    CK_RV rv;

    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*handle == NULL) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return NULL;
    }
    *(void **)&get_list = dlsym(*handle, "C_GetFunctionList");
    if (get_list == NULL) {
        fprintf(stderr, "%s does not export C_GetFunctionList\n", path);
        return NULL;
    }
    rv = get_list(&fl);
    if (rv != CKR_OK || fl == NULL) {
        fprintf(stderr, "C_GetFunctionList: %s\n", p11u_rv_name(rv));
        return NULL;
    }
    return fl;
}

const char *p11u_rv_name(CK_RV rv)
{
    static _Thread_local char buf[32];
    switch (rv) {
#define N(x) \
    case x:  \
        return #x;
        N(CKR_OK)
        N(CKR_GENERAL_ERROR)
        N(CKR_FUNCTION_FAILED)
        N(CKR_ARGUMENTS_BAD)
        N(CKR_ATTRIBUTE_SENSITIVE)
        N(CKR_ATTRIBUTE_TYPE_INVALID)
        N(CKR_DEVICE_ERROR)
        N(CKR_DEVICE_REMOVED)
        N(CKR_FUNCTION_NOT_SUPPORTED)
        N(CKR_KEY_HANDLE_INVALID)
        N(CKR_KEY_TYPE_INCONSISTENT)
        N(CKR_MECHANISM_INVALID)
        N(CKR_OBJECT_HANDLE_INVALID)
        N(CKR_OPERATION_ACTIVE)
        N(CKR_OPERATION_NOT_INITIALIZED)
        N(CKR_PIN_INCORRECT)
        N(CKR_PIN_LOCKED)
        N(CKR_SESSION_HANDLE_INVALID)
        N(CKR_SLOT_ID_INVALID)
        N(CKR_TOKEN_NOT_PRESENT)
        N(CKR_USER_ALREADY_LOGGED_IN)
        N(CKR_USER_NOT_LOGGED_IN)
        N(CKR_BUFFER_TOO_SMALL)
        N(CKR_CRYPTOKI_NOT_INITIALIZED)
        N(CKR_CRYPTOKI_ALREADY_INITIALIZED)
        N(CKR_TEMPLATE_INCONSISTENT)
        N(CKR_DATA_LEN_RANGE)
#undef N
    default:
        snprintf(buf, sizeof buf, "CKR_0x%lx", (unsigned long)rv);
        return buf;
    }
}

int p11u_find_slot(CK_FUNCTION_LIST_PTR p11, const char *label, CK_SLOT_ID *slot)
{
    CK_SLOT_ID slots[256];
    CK_ULONG n = sizeof slots / sizeof slots[0];
    CK_RV rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
    size_t len = strlen(label);

    if (rv != CKR_OK) {
        fprintf(stderr, "C_GetSlotList: %s\n", p11u_rv_name(rv));
        return -1;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
            continue;
        /* label: 32 bytes padded with spaces */
        if (len <= sizeof ti.label && memcmp(ti.label, label, len) == 0) {
            size_t k = len;
            while (k < sizeof ti.label && ti.label[k] == ' ')
                k++;
            if (k == sizeof ti.label) {
                *slot = slots[i];
                return 0;
            }
        }
    }
    fprintf(stderr, "no token labelled '%s' among %lu slots\n", label, (unsigned long)n);
    return -1;
}

CK_OBJECT_HANDLE p11u_find_key(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                               const unsigned char *id, size_t id_len)
{
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_ID, (void *)id, id_len},
    };
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv = p11->C_FindObjectsInit(s, tmpl, 2);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_FindObjectsInit: %s\n", p11u_rv_name(rv));
        return CK_INVALID_HANDLE;
    }
    rv = p11->C_FindObjects(s, found, 2, &n);
    (void)p11->C_FindObjectsFinal(s);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_FindObjects: %s\n", p11u_rv_name(rv));
        return CK_INVALID_HANDLE;
    }
    if (n != 1) {
        fprintf(stderr, "C_FindObjects: %lu objects of class %lu with that CKA_ID, expected 1\n",
                (unsigned long)n, (unsigned long)cls);
        return CK_INVALID_HANDLE;
    }
    return found[0];
}

/* Reads one attribute into buf; returns its length, or 0 on failure. */
static size_t get_attr(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
                       unsigned char *buf, size_t cap)
{
    CK_ATTRIBUTE a = {t, buf, cap};
    CK_RV rv = p11->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap) {
        fprintf(stderr, "C_GetAttributeValue(0x%lx): %s\n", (unsigned long)t, p11u_rv_name(rv));
        return 0;
    }
    return a.ulValueLen;
}

/* CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 2.40); some tokens return
 * the raw point. Returns the point inside, or the input when it is raw. */
static const unsigned char *unwrap_point(const unsigned char *p, size_t len, size_t *out_len)
{
    size_t n, off;
    *out_len = len;
    if (len < 3 || p[0] != 0x04)
        return p;
    if (p[1] < 0x80) {
        n = p[1];
        off = 2;
    } else if (p[1] == 0x81 && len > 3) {
        n = p[2];
        off = 3;
    } else if (p[1] == 0x82 && len > 4) {
        n = ((size_t)p[2] << 8) | p[3];
        off = 4;
    } else {
        return p;
    }
    if (off + n != len || p[off] != 0x04)
        return p;
    *out_len = n;
    return p + off;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        fprintf(stderr, "OpenSSL cannot build the %s public key from the token's attributes\n", type);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

EVP_PKEY *p11u_public_key(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    unsigned char b1[1024], b2[1024];
    size_t n1, n2;

    if (bld == NULL)
        return NULL;
    if (p11->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK) {
        fprintf(stderr, "cannot read CKA_KEY_TYPE\n");
        goto out;
    }
    if (kt == CKK_EC) {
        const unsigned char *q = b1;
        ASN1_OBJECT *oid = NULL;
        const unsigned char *point;
        size_t point_len;
        int nid;
        n1 = get_attr(p11, s, pub, CKA_EC_PARAMS, b1, sizeof b1);
        n2 = get_attr(p11, s, pub, CKA_EC_POINT, b2, sizeof b2);
        if (n1 == 0 || n2 == 0)
            goto out;
        if (d2i_ASN1_OBJECT(&oid, &q, (long)n1) == NULL || q != b1 + n1) {
            fprintf(stderr, "CKA_EC_PARAMS is not a DER OID\n");
            ASN1_OBJECT_free(oid);
            goto out;
        }
        nid = OBJ_obj2nid(oid);
        ASN1_OBJECT_free(oid);
        point = unwrap_point(b2, n2, &point_len);
        if (nid == NID_undef || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len))
            goto out;
        pkey = from_params("EC", bld);
    } else if (kt == CKK_RSA) {
        BIGNUM *n = NULL, *e = NULL;
        n1 = get_attr(p11, s, pub, CKA_MODULUS, b1, sizeof b1);
        n2 = get_attr(p11, s, pub, CKA_PUBLIC_EXPONENT, b2, sizeof b2);
        if (n1 == 0 || n2 == 0)
            goto out;
        n = BN_bin2bn(b1, (int)n1, NULL);
        e = BN_bin2bn(b2, (int)n2, NULL);
        if (n != NULL && e != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            pkey = from_params("RSA", bld);
        BN_free(n);
        BN_free(e);
    } else {
        fprintf(stderr, "unexpected CKA_KEY_TYPE %lu\n", (unsigned long)kt);
    }
out:
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

size_t p11u_ecdsa_raw_to_der(const unsigned char *sig, size_t len, unsigned char *der, size_t cap)
{
    ECDSA_SIG *es;
    BIGNUM *r, *s;
    unsigned char *p = der;
    int n;
    if (len == 0 || len % 2 != 0)
        return 0;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, (int)(len / 2), NULL);
    s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return 0;
    }
    n = i2d_ECDSA_SIG(es, NULL);
    if (n <= 0 || (size_t)n > cap) {
        ECDSA_SIG_free(es);
        return 0;
    }
    n = i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    return n > 0 ? (size_t)n : 0;
}
