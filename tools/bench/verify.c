/* verify.c — every kept signature checked with OpenSSL against the public key of the key that
 * made it (read from the token with C_GetAttributeValue, or the raw target's own key).
 *
 * ECDSA from PKCS#11 is r||s and is converted to DER first; PKCS#1 v1.5 is verified with the
 * SHA-256/384 DigestInfo, PSS with MGF1 of the same hash and a 32-byte salt.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "bench.h"

/* r||s to DER. Returns the DER length, 0 on failure. */
static size_t raw_to_der(const uint8_t *sig, size_t len, uint8_t *der, size_t cap)
{
    size_t half = len / 2;
    size_t out = 0;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *sv = BN_bin2bn(sig + half, (int)half, NULL);
    if (s == NULL || r == NULL || sv == NULL || len % 2 != 0 || ECDSA_SIG_set0(s, r, sv) != 1) {
        BN_free(r);
        BN_free(sv);
        ECDSA_SIG_free(s);
        return 0;
    }
    int n = i2d_ECDSA_SIG(s, NULL);
    if (n > 0 && (size_t)n <= cap) {
        uint8_t *p = der;
        out = (size_t)i2d_ECDSA_SIG(s, &p);
    }
    ECDSA_SIG_free(s);
    return out;
}

static bool verify_one(const bench_target *t, const bench_sample *s)
{
    const bench_mech *m = t->mech;
    EVP_PKEY *pub = t->pub[s->key];
    uint8_t der[BENCH_MAX_SIG + 16];
    const uint8_t *sig = s->sig;
    size_t sig_len = s->sig_len;
    bool ok = false;

    if (pub == NULL)
        return false;
    if (m->ec && t->raw_ecdsa) {
        if (sig_len != m->sig_len)
            return false;
        sig_len = raw_to_der(s->sig, s->sig_len, der, sizeof(der));
        sig = der;
        if (sig_len == 0)
            return false;
    } else if (!m->ec && sig_len != m->sig_len) {
        return false;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
        goto out;
    if (!m->ec) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, m->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_signature_md(ctx, m->md()) <= 0)
            goto out;
        if (m->pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, m->md()) <= 0 ||
                       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) <= 0))
            goto out;
    }
    ok = EVP_PKEY_verify(ctx, sig, sig_len, s->digest, m->digest_len) == 1;
out:
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

void bench_verify(const bench_target *t, bench_result *r)
{
    r->verified = 0;
    r->verify_failures = 0;
    for (size_t i = 0; i < r->n_samples; i++) {
        if (verify_one(t, &r->samples[i]))
            r->verified++;
        else
            r->verify_failures++;
    }
}
