/* test_crypto_util.c — see test_crypto_util.h. */
#include "test_crypto_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

int tc_entropy_getrandom(void *ctx, uint8_t *out, size_t len)
{
    tc_entropy_stats *stats = ctx;
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    if (stats != NULL) {
        stats->calls++;
        stats->bytes += len;
    }
    return 0;
}

int tc_entropy_failing(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    memset(out, 0, len);
    return -1;
}

void tc_random_bytes(uint8_t *buf, size_t len)
{
    if (tc_entropy_getrandom(NULL, buf, len) != 0)
        abort();
}

bool tc_kind_is_ec(sigil_key_kind kind)
{
    return kind == SIGIL_KEY_KIND_EC_P256 || kind == SIGIL_KEY_KIND_EC_P384;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

EVP_PKEY *tc_pkey_from_pub(sigil_key_kind kind, const sigil_crypto_pub *pub)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    ASN1_OBJECT *oid = NULL;
    BIGNUM *n = NULL, *e = NULL;

    if (bld == NULL)
        goto out;
    if (tc_kind_is_ec(kind)) {
        const unsigned char *p = pub->a;
        oid = d2i_ASN1_OBJECT(NULL, &p, (long)pub->a_len);
        if (oid == NULL || p != pub->a + pub->a_len)
            goto out;
        const char *group = OBJ_nid2sn(OBJ_obj2nid(oid));
        if (group == NULL ||
            !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub->b, pub->b_len))
            goto out;
        pkey = pkey_from_params("EC", bld);
    } else {
        n = BN_bin2bn(pub->a, (int)pub->a_len, NULL);
        e = BN_bin2bn(pub->b, (int)pub->b_len, NULL);
        if (n == NULL || e == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            goto out;
        pkey = pkey_from_params("RSA", bld);
    }
out:
    ASN1_OBJECT_free(oid);
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static const EVP_MD *md_of(sigil_hash_alg alg)
{
    switch (alg) {
    case SIGIL_HASH_SHA256:
        return EVP_sha256();
    case SIGIL_HASH_SHA384:
        return EVP_sha384();
    case SIGIL_HASH_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

bool tc_openssl_verify(EVP_PKEY *pkey, const sigil_sig_params *params, const uint8_t *in,
                       size_t in_len, const uint8_t *sig, size_t sig_len)
{
    bool ok = false;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    ECDSA_SIG *esig = NULL;
    unsigned char *der = NULL;
    int der_len = 0;

    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1)
        goto out;
    switch (params->scheme) {
    case SIGIL_SIG_ECDSA: {
        if (sig_len % 2 != 0)
            goto out;
        BIGNUM *r = BN_bin2bn(sig, (int)(sig_len / 2), NULL);
        BIGNUM *s = BN_bin2bn(sig + sig_len / 2, (int)(sig_len / 2), NULL);
        esig = ECDSA_SIG_new();
        if (r == NULL || s == NULL || esig == NULL || ECDSA_SIG_set0(esig, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            goto out;
        }
        der_len = i2d_ECDSA_SIG(esig, &der);
        if (der_len <= 0)
            goto out;
        ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, in, in_len) == 1;
        break;
    }
    case SIGIL_SIG_RSA_PKCS1: {
        /* Recover the EMSA-PKCS1-v1_5 payload (RSA_public_decrypt) and compare: unlike
         * EVP_PKEY_verify this also covers an empty block. */
        unsigned char rec[SIGIL_CRYPTO_MAX_SIG];
        size_t rec_len = sizeof rec;
        if (EVP_PKEY_verify_recover_init(ctx) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, sig_len) != 1)
            goto out;
        ok = rec_len == in_len && (in_len == 0 || memcmp(rec, in, in_len) == 0);
        break;
    }
    case SIGIL_SIG_RSA_PSS:
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx, md_of(params->pss_hash)) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md_of(params->pss_hash)) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)params->pss_salt_len) != 1)
            goto out;
        ok = EVP_PKEY_verify(ctx, sig, sig_len, in, in_len) == 1;
        break;
    default:
        break;
    }
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(esig);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

void tc_sha256_digest_info(const uint8_t *msg, size_t len, uint8_t out[TC_SHA256_DIGEST_INFO_LEN])
{
    static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                       0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    memcpy(out, prefix, sizeof prefix);
    SHA256(msg, len, out + sizeof prefix);
}
