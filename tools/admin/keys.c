/* keys.c — public keys, signatures and DER with OpenSSL (pure: no appliance, no reporting). */
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "sigil_attrs.h"

static EVP_PKEY *from_params(const char *alg, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

static EVP_PKEY *ec_key(const char *group, const uint8_t *pt, size_t n)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld != NULL && n > 0 && pt[0] == 0x04 &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, n) == 1)
        k = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return k;
}

EVP_PKEY *admin_key_from_p256_point(const uint8_t *pt, size_t n)
{
    return n == 65 ? ec_key("prime256v1", pt, n) : NULL;
}

EVP_PKEY *admin_key_from_record(const sigil_obj_record *r)
{
    if (r->key_type == SIGIL_KEYTYPE_EC) {
        const unsigned char *p = r->pub_a;
        ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)r->pub_a_len);
        int nid = oid != NULL && p == r->pub_a + r->pub_a_len ? OBJ_obj2nid(oid) : NID_undef;
        ASN1_OBJECT_free(oid);
        if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
            return NULL;
        return ec_key(OBJ_nid2sn(nid), r->pub_b, r->pub_b_len);
    }
    if (r->key_type == SIGIL_KEYTYPE_RSA) {
        EVP_PKEY *k = NULL;
        BIGNUM *n = BN_bin2bn(r->pub_a, (int)r->pub_a_len, NULL);
        BIGNUM *e = BN_bin2bn(r->pub_b, (int)r->pub_b_len, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        if (n != NULL && e != NULL && bld != NULL && !BN_is_zero(n) && !BN_is_zero(e) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
            k = from_params("RSA", bld);
        OSSL_PARAM_BLD_free(bld);
        BN_free(n);
        BN_free(e);
        return k;
    }
    return NULL;
}

char *admin_key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    char *data = NULL;
    long n;
    if (b == NULL || PEM_write_bio_PUBKEY(b, k) != 1)
        goto done;
    n = BIO_get_mem_data(b, &data);
    if (n <= 0)
        goto done;
    out = malloc((size_t)n + 1);
    if (out != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
done:
    BIO_free(b);
    return out;
}

int admin_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    static const uint8_t empty[1];
    return EVP_Digest(n > 0 ? p : empty, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

int admin_key_fingerprint(EVP_PKEY *k, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    int rc = n > 0 ? admin_sha256(der, (size_t)n, out) : -1;
    OPENSSL_free(der);
    return rc;
}

EVP_PKEY *admin_key_read_pem(const char *path, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    EVP_PKEY *k = NULL;
    if (admin_file_read(path, 1024 * 1024, &buf, &len, err, errlen) != 0)
        return NULL;
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    if (b != NULL)
        k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    if (k == NULL && b != NULL) {
        (void)BIO_reset(b);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (x != NULL)
            k = X509_get_pubkey(x);
        X509_free(x);
    }
    if (k == NULL) {
        const unsigned char *p = buf;
        k = d2i_PUBKEY(NULL, &p, (long)len);
    }
    BIO_free(b);
    free(buf);
    if (k == NULL)
        snprintf(err, errlen, "%s holds no public key (PEM or DER SubjectPublicKeyInfo, or a PEM certificate)", path);
    return k;
}

int admin_ecdsa_raw_to_der(const uint8_t *rs, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    int rc = -1;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    if (n == 0 || n % 2 != 0 || n > 2 * 66)
        return -1;
    r = BN_bin2bn(rs, (int)(n / 2), NULL);
    s = BN_bin2bn(rs + n / 2, (int)(n / 2), NULL);
    sig = ECDSA_SIG_new();
    if (r == NULL || s == NULL || sig == NULL || ECDSA_SIG_set0(sig, r, s) != 1)
        goto out;
    r = s = NULL; /* owned by sig */
    int len = i2d_ECDSA_SIG(sig, &der);
    if (len <= 0 || (size_t)len > cap)
        goto out;
    memcpy(out, der, (size_t)len);
    *out_len = (size_t)len;
    rc = 0;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    BN_free(r);
    BN_free(s);
    return rc;
}

bool admin_ecdsa_verify_sha256(EVP_PKEY *k, const uint8_t *msg, size_t n, const uint8_t *rs, size_t rs_len)
{
    uint8_t der[2 * 66 + 16];
    size_t der_len = 0;
    bool ok = false;
    EVP_MD_CTX *md = NULL;
    if (k == NULL || admin_ecdsa_raw_to_der(rs, rs_len, der, sizeof(der), &der_len) != 0)
        return false;
    md = EVP_MD_CTX_new();
    if (md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
        EVP_DigestVerify(md, der, der_len, msg, n) == 1)
        ok = true;
    EVP_MD_CTX_free(md);
    return ok;
}

int admin_digest_info(int md_nid, const uint8_t *hash, size_t hash_len, uint8_t *out, size_t cap, size_t *n)
{
    static const uint8_t sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    static const uint8_t sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
    static const uint8_t sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};
    const uint8_t *prefix;
    size_t plen, want;
    switch (md_nid) {
    case NID_sha256: prefix = sha256, plen = sizeof(sha256), want = 32; break;
    case NID_sha384: prefix = sha384, plen = sizeof(sha384), want = 48; break;
    case NID_sha512: prefix = sha512, plen = sizeof(sha512), want = 64; break;
    default: return -1;
    }
    if (hash_len != want || cap < plen + want)
        return -1;
    memcpy(out, prefix, plen);
    memcpy(out + plen, hash, want);
    *n = plen + want;
    return 0;
}

void admin_name_text(const X509_NAME *name, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (n = BIO_get_mem_data(b, &data)) > 0) {
        size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        memcpy(out, data, k);
        out[k] = '\0';
    }
    BIO_free(b);
}

int admin_cert_record(X509 *x, const uint8_t *id, size_t id_len, const char *label, uint64_t category,
                       sigil_obj_record *r)
{
    unsigned char *der = NULL, *subj = NULL, *iss = NULL, *serial = NULL;
    int dl = i2d_X509(x, &der);
    int sl = i2d_X509_NAME(X509_get_subject_name(x), &subj);
    int il = i2d_X509_NAME(X509_get_issuer_name(x), &iss);
    int nl = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &serial);
    int rc = -1;
    sigil_wr w;

    memset(r, 0, sizeof(*r));
    if (dl <= 0 || sl <= 0 || il <= 0 || nl <= 0 || id_len > sizeof r->id)
        goto out;
    r->obj_class = SIGIL_CLASS_CERTIFICATE;
    memcpy(r->id, id, id_len);
    r->id_len = id_len;
    snprintf(r->label, sizeof r->label, "%s", label);
    sigil_wr_init(&w, r->attrs, sizeof r->attrs);
    sigil_attrs_put(&w, SIGIL_ATTR_VALUE, der, (size_t)dl);
    sigil_attrs_put(&w, SIGIL_ATTR_SUBJECT, subj, (size_t)sl);
    sigil_attrs_put(&w, SIGIL_ATTR_ISSUER, iss, (size_t)il);
    sigil_attrs_put(&w, SIGIL_ATTR_SERIAL_NUMBER, serial, (size_t)nl);
    sigil_attrs_put_ulong(&w, SIGIL_ATTR_CERTIFICATE_CATEGORY, category);
    if (!sigil_wr_ok(&w))
        goto out;
    r->attrs_len = w.len;
    rc = 0;
out:
    OPENSSL_free(der);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(serial);
    return rc;
}

