/* verify.c — OpenSSL side of the conformance suite: signatures are verified with libcrypto from
 * the public key object's attributes, never with the module under test. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "conformance.h"

size_t conf_sha(const char *md, const unsigned char *data, size_t len, unsigned char *out)
{
    unsigned int n = 0;
    EVP_MD *m = EVP_MD_fetch(NULL, md, NULL);
    if (m == NULL || !EVP_Digest(data, len, out, &n, m, NULL))
        n = 0;
    EVP_MD_free(m);
    return n;
}

/* CKA_EC_POINT is a DER OCTET STRING around the point; returns the point inside or NULL. */
static const unsigned char *unwrap_point(const unsigned char *p, size_t len, size_t *out_len)
{
    size_t n, off;
    if (len < 3 || p[0] != 0x04)
        return NULL;
    if (p[1] < 0x80) {
        n = p[1];
        off = 2;
    } else if (p[1] == 0x81 && len > 3) {
        n = p[2];
        off = 3;
    } else {
        return NULL;
    }
    if (off + n != len || p[off] != 0x04)
        return NULL;
    *out_len = n;
    return p + off;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* The public key of object pub, or NULL with a message. */
static EVP_PKEY *public_key(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, const char *check)
{
    unsigned char b1[1024], b2[1024];
    CK_ULONG n1 = 0, n2 = 0;
    CK_KEY_TYPE kt = conf_get_ulong(c, s, pub, CKA_KEY_TYPE);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;

    if (bld == NULL)
        return NULL;
    if (kt == CKK_EC) {
        const unsigned char *q = b1, *point;
        ASN1_OBJECT *oid = NULL;
        size_t point_len = 0;
        int nid = NID_undef;
        if (conf_get_attr(c, s, pub, CKA_EC_PARAMS, b1, sizeof b1, &n1) != CKR_OK ||
            conf_get_attr(c, s, pub, CKA_EC_POINT, b2, sizeof b2, &n2) != CKR_OK) {
            conf_fail(c, "%s: cannot read CKA_EC_PARAMS/CKA_EC_POINT of the public key", check);
            goto out;
        }
        if (d2i_ASN1_OBJECT(&oid, &q, (long)n1) != NULL && q == b1 + n1)
            nid = OBJ_obj2nid(oid);
        ASN1_OBJECT_free(oid);
        point = unwrap_point(b2, n2, &point_len);
        if (nid == NID_undef || point == NULL) {
            conf_fail(c, "%s: CKA_EC_PARAMS is not a known DER OID or CKA_EC_POINT not a DER OCTET STRING", check);
            goto out;
        }
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len))
            pkey = from_params("EC", bld);
    } else if (kt == CKK_RSA) {
        BIGNUM *n = NULL, *e = NULL;
        if (conf_get_attr(c, s, pub, CKA_MODULUS, b1, sizeof b1, &n1) != CKR_OK ||
            conf_get_attr(c, s, pub, CKA_PUBLIC_EXPONENT, b2, sizeof b2, &n2) != CKR_OK) {
            conf_fail(c, "%s: cannot read CKA_MODULUS/CKA_PUBLIC_EXPONENT of the public key", check);
            goto out;
        }
        n = BN_bin2bn(b1, (int)n1, NULL);
        e = BN_bin2bn(b2, (int)n2, NULL);
        if (n != NULL && e != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            pkey = from_params("RSA", bld);
        BN_free(n);
        BN_free(e);
    } else {
        conf_fail(c, "%s: public key has CKA_KEY_TYPE 0x%lx", check, (unsigned long)kt);
        goto out;
    }
    if (pkey == NULL)
        conf_fail(c, "%s: OpenSSL cannot build a public key from the object's attributes", check);
out:
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* r||s → DER; returns the DER length or 0. */
static size_t ecdsa_raw_to_der(const unsigned char *sig, size_t len, unsigned char *der, size_t cap)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
    BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
    unsigned char *p = der;
    int n = 0;
    if (len == 0 || len % 2 != 0 || es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return 0;
    }
    n = i2d_ECDSA_SIG(es, NULL);
    if (n > 0 && (size_t)n <= cap)
        n = i2d_ECDSA_SIG(es, &p);
    else
        n = 0;
    ECDSA_SIG_free(es);
    return n > 0 ? (size_t)n : 0;
}

static const char *md_of(CK_MECHANISM_TYPE m)
{
    switch (m) {
    case CKM_SHA256:
    case CKM_ECDSA_SHA256:
    case CKM_SHA256_RSA_PKCS:
    case CKM_SHA256_RSA_PKCS_PSS:
        return "SHA256";
    case CKM_SHA384:
    case CKM_ECDSA_SHA384:
    case CKM_SHA384_RSA_PKCS:
    case CKM_SHA384_RSA_PKCS_PSS:
        return "SHA384";
    case CKM_SHA512:
    case CKM_ECDSA_SHA512:
    case CKM_SHA512_RSA_PKCS:
    case CKM_SHA512_RSA_PKCS_PSS:
        return "SHA512";
    default:
        return NULL;
    }
}

int conf_verify(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, const CK_MECHANISM *mech,
                const unsigned char *data, size_t data_len, const unsigned char *sig, size_t sig_len,
                const char *check)
{
    EVP_PKEY *pkey = public_key(c, s, pub, check);
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = NULL;
    EVP_MD *md = NULL, *pss_md = NULL;
    unsigned char der[256];
    const unsigned char *vsig = sig;
    size_t vsig_len = sig_len;
    const char *hash = md_of(mech->mechanism);
    int is_ec = mech->mechanism == CKM_ECDSA || mech->mechanism == CKM_ECDSA_SHA256 ||
                mech->mechanism == CKM_ECDSA_SHA384 || mech->mechanism == CKM_ECDSA_SHA512;
    int is_pss = mech->mechanism == CKM_RSA_PKCS_PSS || mech->mechanism == CKM_SHA256_RSA_PKCS_PSS ||
                 mech->mechanism == CKM_SHA384_RSA_PKCS_PSS || mech->mechanism == CKM_SHA512_RSA_PKCS_PSS;
    int ok = 0;

    if (pkey == NULL)
        return 0;
    if (is_ec) {
        vsig_len = ecdsa_raw_to_der(sig, sig_len, der, sizeof der);
        vsig = der;
        if (vsig_len == 0)
            goto out;
    }
    if (is_pss) {
        const CK_RSA_PKCS_PSS_PARAMS *pp = mech->pParameter;
        if (pp == NULL || mech->ulParameterLen != sizeof *pp || md_of(pp->hashAlg) == NULL)
            goto out;
        pss_md = EVP_MD_fetch(NULL, md_of(pp->hashAlg), NULL);
    }
    if (hash != NULL) {
        /* Hash-and-sign mechanisms: OpenSSL hashes the data. */
        md = EVP_MD_fetch(NULL, hash, NULL);
        mctx = EVP_MD_CTX_new();
        if (md == NULL || mctx == NULL || EVP_DigestVerifyInit_ex(mctx, &pctx, hash, NULL, NULL, pkey, NULL) <= 0)
            goto out;
        if (is_pss) {
            const CK_RSA_PKCS_PSS_PARAMS *pp = mech->pParameter;
            if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pss_md) <= 0 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)pp->sLen) <= 0)
                goto out;
        }
        ok = EVP_DigestVerify(mctx, vsig, vsig_len, data, data_len) == 1;
        pctx = NULL; /* owned by mctx */
    } else {
        /* Raw mechanisms: the data is the digest (ECDSA, PSS) or the block to pad (PKCS#1 v1.5). */
        pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (pctx == NULL || EVP_PKEY_verify_init(pctx) <= 0)
            goto out;
        if (mech->mechanism == CKM_RSA_PKCS && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
            goto out;
        if (is_pss) {
            const CK_RSA_PKCS_PSS_PARAMS *pp = mech->pParameter;
            if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
                EVP_PKEY_CTX_set_signature_md(pctx, pss_md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, pss_md) <= 0 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)pp->sLen) <= 0)
                goto out;
        }
        ok = EVP_PKEY_verify(pctx, vsig, vsig_len, data, data_len) == 1;
        EVP_PKEY_CTX_free(pctx);
        pctx = NULL;
    }
out:
    EVP_PKEY_CTX_free(pctx);
    EVP_MD_CTX_free(mctx);
    EVP_MD_free(md);
    EVP_MD_free(pss_md);
    EVP_PKEY_free(pkey);
    return conf_true(c, ok, "%s", check);
}

int conf_make_cert(struct conf_cert *cert)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = NULL;
    ASN1_INTEGER *serial = NULL;
    int ok = 0, n;
    unsigned char *p;

    memset(cert, 0, sizeof *cert);
    if (key == NULL || x == NULL)
        goto out;
    name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 0x5a1e) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), 0) || !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Sigil conformance", -1, -1,
                                    0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) || X509_sign(x, key, EVP_sha256()) <= 0)
        goto out;
    cert->der_len = (size_t)(n = i2d_X509(x, NULL));
    if (n <= 0 || (cert->der = OPENSSL_malloc((size_t)n)) == NULL)
        goto out;
    p = cert->der;
    i2d_X509(x, &p);
    n = i2d_X509_NAME(name, NULL);
    if (n <= 0 || (cert->subject = OPENSSL_malloc((size_t)n)) == NULL)
        goto out;
    cert->subject_len = (size_t)n;
    p = cert->subject;
    i2d_X509_NAME(name, &p);
    serial = X509_get_serialNumber(x);
    n = i2d_ASN1_INTEGER(serial, NULL);
    if (n <= 0 || (cert->serial = OPENSSL_malloc((size_t)n)) == NULL)
        goto out;
    cert->serial_len = (size_t)n;
    p = cert->serial;
    i2d_ASN1_INTEGER(serial, &p);
    ok = 1;
out:
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok)
        conf_free_cert(cert);
    return ok;
}

void conf_free_cert(struct conf_cert *cert)
{
    OPENSSL_free(cert->der);
    OPENSSL_free(cert->subject);
    OPENSSL_free(cert->serial);
    memset(cert, 0, sizeof *cert);
}
