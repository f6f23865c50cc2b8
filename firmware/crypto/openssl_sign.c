/* openssl_sign.c — ECDSA, RSA PKCS#1 v1.5 and RSA-PSS signing (and the
 * verification the pairwise and self-tests need), with no lock on the path.
 *
 * A signature needs an EVP_PKEY_CTX initialised for signing with the scheme's
 * settings; building one (EVP_PKEY_CTX_new_from_pkey + EVP_PKEY_sign_init +
 * padding and digest) fetches the signature algorithm from the provider store
 * and costs more than an ECDSA P-256 signature's arithmetic. So each key keeps,
 * per mode, a pool of idle initialised contexts: sign takes one with an atomic
 * exchange (scanning from a slot chosen per thread, so that each worker thread
 * tends to find its own context), uses it alone, and puts it back with a
 * compare-and-swap; an empty pool means "make one", a full pool "free it".
 * Contexts are never shared while in use, and the EVP_PKEY they point to is
 * immutable, so no mutex is needed. Only the PSS salt length changes between
 * calls of one mode; it is set on the context at each call.
 */
#include <stdatomic.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "openssl_internal.h"
#include "openssl_testhooks.h"
#include "sig_check.h"
#include "sigil_secmem.h"

/* Largest DER ECDSA-Sig-Value of a P-384 signature is 104 bytes. */
#define ECDSA_DER_MAX 160u

static atomic_bool pool_enabled = true;
static atomic_ulong pool_created;
static atomic_uint next_thread_slot;
static _Thread_local unsigned thread_slot = UINT32_MAX;

void sigil_ossl_test_set_ctx_pool(bool on)
{
    atomic_store(&pool_enabled, on);
}

unsigned long sigil_ossl_test_pool_created(void)
{
    return atomic_load(&pool_created);
}

/* The slot this thread scans from: threads get consecutive slots in order of first use. */
static unsigned my_slot(void)
{
    if (thread_slot == UINT32_MAX)
        thread_slot = atomic_fetch_add_explicit(&next_thread_slot, 1, memory_order_relaxed) %
                      SIGIL_OSSL_POOL_SLOTS;
    return thread_slot;
}

static sigil_ossl_mode mode_of(const sigil_sig_params *params)
{
    switch (params->scheme) {
    case SIGIL_SIG_ECDSA:
        return SIGIL_OSSL_MODE_ECDSA;
    case SIGIL_SIG_RSA_PKCS1:
        return SIGIL_OSSL_MODE_RSA_PKCS1;
    case SIGIL_SIG_RSA_PSS:
    default:
        switch (params->pss_hash) {
        case SIGIL_HASH_SHA384:
            return SIGIL_OSSL_MODE_RSA_PSS_SHA384;
        case SIGIL_HASH_SHA512:
            return SIGIL_OSSL_MODE_RSA_PSS_SHA512;
        case SIGIL_HASH_SHA256:
        case SIGIL_HASH_NONE:
        default:
            return SIGIL_OSSL_MODE_RSA_PSS_SHA256;
        }
    }
}

static sigil_hash_alg pss_hash_of(sigil_ossl_mode mode)
{
    return mode == SIGIL_OSSL_MODE_RSA_PSS_SHA384   ? SIGIL_HASH_SHA384
           : mode == SIGIL_OSSL_MODE_RSA_PSS_SHA512 ? SIGIL_HASH_SHA512
                                                    : SIGIL_HASH_SHA256;
}

/* A new context initialised for signing in mode (padding and hashes set; the
 * PSS salt length is set per call). NULL on failure. */
static EVP_PKEY_CTX *ctx_new(const sigil_crypto_key *key, sigil_ossl_mode mode)
{
    /* RSA: each context signs with its own copy of the key. OpenSSL 3.0 keeps one blinding
     * state per RSA key, and threads other than the one that made it share it under a lock:
     * with one seal's key signing on every worker, that lock is contended. ECDSA has no such
     * state: its contexts share the key. The copy goes with the context (its reference). */
    EVP_PKEY *own = key->is_ec ? NULL : EVP_PKEY_dup(key->pkey);
    EVP_PKEY_CTX *ctx = NULL;

    if (!key->is_ec && own == NULL)
        goto fail;
    ctx = EVP_PKEY_CTX_new_from_pkey(sigil_ossl_libctx, own != NULL ? own : key->pkey, NULL);
    EVP_PKEY_free(own);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1)
        goto fail;
    switch (mode) {
    case SIGIL_OSSL_MODE_ECDSA:
        break; /* no digest: the input is the digest */
    case SIGIL_OSSL_MODE_RSA_PKCS1:
        /* No digest: the caller's block is padded (EMSA-PKCS1-v1_5 type 1) as is. */
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
            goto fail;
        break;
    case SIGIL_OSSL_MODE_RSA_PSS_SHA256:
    case SIGIL_OSSL_MODE_RSA_PSS_SHA384:
    case SIGIL_OSSL_MODE_RSA_PSS_SHA512: {
        const EVP_MD *md = sigil_ossl_md(pss_hash_of(mode));
        if (md == NULL || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1)
            goto fail;
        break;
    }
    case SIGIL_OSSL_MODE_COUNT:
    default:
        goto fail;
    }
    atomic_fetch_add_explicit(&pool_created, 1, memory_order_relaxed);
    return ctx;
fail:
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

/* Takes an idle context of mode from the key's pool, or makes one. */
static EVP_PKEY_CTX *ctx_acquire(sigil_crypto_key *key, sigil_ossl_mode mode)
{
    if (atomic_load_explicit(&pool_enabled, memory_order_relaxed)) {
        unsigned start = my_slot();
        for (unsigned i = 0; i < SIGIL_OSSL_POOL_SLOTS; i++) {
            _Atomic(EVP_PKEY_CTX *) *slot =
                &key->pool[mode][(start + i) % SIGIL_OSSL_POOL_SLOTS];
            if (atomic_load_explicit(slot, memory_order_relaxed) == NULL)
                continue;
            EVP_PKEY_CTX *ctx = atomic_exchange_explicit(slot, NULL, memory_order_acquire);
            if (ctx != NULL)
                return ctx;
        }
    }
    return ctx_new(key, mode);
}

/* Returns a context that signed successfully to the pool (or frees it). */
static void ctx_release(sigil_crypto_key *key, sigil_ossl_mode mode, EVP_PKEY_CTX *ctx)
{
    if (atomic_load_explicit(&pool_enabled, memory_order_relaxed)) {
        unsigned start = my_slot();
        for (unsigned i = 0; i < SIGIL_OSSL_POOL_SLOTS; i++) {
            _Atomic(EVP_PKEY_CTX *) *slot =
                &key->pool[mode][(start + i) % SIGIL_OSSL_POOL_SLOTS];
            EVP_PKEY_CTX *expected = NULL;
            if (atomic_compare_exchange_strong_explicit(slot, &expected, ctx,
                                                        memory_order_release,
                                                        memory_order_relaxed))
                return;
        }
    }
    EVP_PKEY_CTX_free(ctx);
}

void sigil_ossl_pool_drain(sigil_crypto_key *key)
{
    for (size_t m = 0; m < SIGIL_OSSL_MODE_COUNT; m++)
        for (size_t i = 0; i < SIGIL_OSSL_POOL_SLOTS; i++)
            EVP_PKEY_CTX_free(atomic_exchange(&key->pool[m][i], NULL));
}

/* ECDSA: the provider's DER ECDSA-Sig-Value as r||s, each coord bytes. */
static int ecdsa_der_to_raw(const unsigned char *der, size_t der_len, uint8_t *sig, size_t coord)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r = NULL, *s = NULL;
    int ok = 0;

    if (es == NULL || p != der + der_len)
        goto cleanup;
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, sig, (int)coord) == (int)coord &&
         BN_bn2binpad(s, sig + coord, (int)coord) == (int)coord;
cleanup:
    ECDSA_SIG_free(es);
    return ok;
}

/* Errors (in this order): SIGIL_ST_BAD_ARGUMENT (NULL pointers), MECHANISM_INVALID
 * (unknown scheme), KEY_TYPE_INCONSISTENT (scheme does not fit the key),
 * MECHANISM_PARAM_INVALID (PSS hash), DATA_LEN_RANGE, MECHANISM_PARAM_INVALID
 * (PSS salt), BAD_ARGUMENT (sig_cap below sigil_crypto_sig_len), CRYPTO_FAILURE
 * (also before sigil_crypto_init and after sigil_crypto_shutdown). */
sigil_status sigil_crypto_sign(sigil_crypto_key *key, const sigil_sig_params *params,
                               const uint8_t *in, size_t in_len, uint8_t *sig, size_t sig_cap,
                               size_t *sig_len)
{
    static const uint8_t empty[1];
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    EVP_PKEY_CTX *ctx = NULL;
    sigil_ossl_mode mode = SIGIL_OSSL_MODE_ECDSA;
    unsigned char der[ECDSA_DER_MAX];
    size_t out_len;
    int ret;

    if (sig_len != NULL)
        *sig_len = 0;
    if (key == NULL || key->sig_len == 0 || params == NULL || sig == NULL || sig_len == NULL ||
        (in == NULL && in_len != 0))
        goto cleanup;
    st = sigil_sig_check_request(params, key->is_ec, key->sig_len, key->mod_bits, in_len);
    if (st != SIGIL_ST_OK)
        goto cleanup;
    st = SIGIL_ST_BAD_ARGUMENT;
    if (sig_cap < key->sig_len)
        goto cleanup;
    st = SIGIL_ST_CRYPTO_FAILURE;
    if (!sigil_ossl_ready()) /* the DRBG (nonces, blinding, salts) is down */
        goto cleanup;

    mode = mode_of(params);
    ctx = ctx_acquire(key, mode);
    if (ctx == NULL) {
        st = sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
        goto cleanup;
    }
    if (in_len == 0)
        in = empty; /* OpenSSL wants a pointer even for an empty block */
    switch (params->scheme) {
    case SIGIL_SIG_ECDSA:
        out_len = sizeof der;
        ret = EVP_PKEY_sign(ctx, der, &out_len, in, in_len) == 1 &&
              ecdsa_der_to_raw(der, out_len, sig, key->sig_len / 2);
        break;
    case SIGIL_SIG_RSA_PKCS1:
        out_len = sig_cap;
        ret = EVP_PKEY_sign(ctx, sig, &out_len, in, in_len) == 1 && out_len == key->sig_len;
        break;
    case SIGIL_SIG_RSA_PSS:
        out_len = sig_cap;
        ret = EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)params->pss_salt_len) == 1 &&
              EVP_PKEY_sign(ctx, sig, &out_len, in, in_len) == 1 && out_len == key->sig_len;
        break;
    default:
        ret = 0; /* unreachable: the request check refused it */
        break;
    }
    if (!ret) {
        st = sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
        EVP_PKEY_CTX_free(ctx); /* a context that failed is not reused */
        ctx = NULL;
        goto cleanup;
    }
    *sig_len = key->sig_len;
    st = SIGIL_ST_OK;
cleanup:
    if (ctx != NULL)
        ctx_release(key, mode, ctx);
    sigil_wipe(der, sizeof der);
    if (st != SIGIL_ST_OK && sig != NULL)
        sigil_wipe(sig, sig_cap);
    return st;
}

sigil_status sigil_ossl_verify(const sigil_crypto_key *key, const sigil_sig_params *params,
                               const uint8_t *in, size_t in_len, const uint8_t *sig,
                               size_t sig_len)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    EVP_PKEY_CTX *ctx = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    unsigned char rec[SIGIL_CRYPTO_MAX_SIG];
    size_t rec_len = sizeof rec;
    int der_len = 0, ok = 0;

    if (key == NULL || key->sig_len == 0 || params == NULL || sig == NULL ||
        (in == NULL && in_len != 0) || sig_len != key->sig_len ||
        sigil_sig_check_request(params, key->is_ec, key->sig_len, key->mod_bits, in_len) !=
            SIGIL_ST_OK)
        goto cleanup;
    ctx = EVP_PKEY_CTX_new_from_pkey(sigil_ossl_libctx, key->pkey, NULL);
    if (ctx == NULL)
        goto cleanup;
    switch (params->scheme) {
    case SIGIL_SIG_ECDSA: {
        size_t clen = sig_len / 2;
        r = BN_bin2bn(sig, (int)clen, NULL);
        s = BN_bin2bn(sig + clen, (int)clen, NULL);
        es = ECDSA_SIG_new();
        if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1)
            goto cleanup;
        r = s = NULL; /* owned by es */
        der_len = i2d_ECDSA_SIG(es, &der);
        ok = der_len > 0 && EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_verify(ctx, der, (size_t)der_len, in, in_len) == 1;
        break;
    }
    case SIGIL_SIG_RSA_PKCS1:
        /* Recover the EMSA-PKCS1-v1_5 payload and compare it with the block. */
        ok = EVP_PKEY_verify_recover_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, sig_len) == 1 &&
             rec_len == in_len && (in_len == 0 || CRYPTO_memcmp(rec, in, in_len) == 0);
        break;
    case SIGIL_SIG_RSA_PSS: {
        const EVP_MD *md = sigil_ossl_md(params->pss_hash);
        ok = EVP_PKEY_verify_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)params->pss_salt_len) == 1 &&
             EVP_PKEY_verify(ctx, sig, sig_len, in, in_len) == 1;
        break;
    }
    default:
        break;
    }
    st = ok ? SIGIL_ST_OK : SIGIL_ST_CRYPTO_FAILURE;
cleanup:
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return st;
}

sigil_status sigil_ossl_pairwise_check(sigil_crypto_key *key)
{
    sigil_status st = SIGIL_ST_CRYPTO_FAILURE;
    /* "Sigil pairwise check digest v1" padded to 32 bytes. */
    static const uint8_t digest[32] = "Sigil pairwise check digest v1";
    const sigil_sig_params params = {
        .scheme = key->is_ec ? SIGIL_SIG_ECDSA : SIGIL_SIG_RSA_PKCS1,
    };
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;

    if (sigil_crypto_sign(key, &params, digest, sizeof digest, sig, sizeof sig, &sig_len) !=
        SIGIL_ST_OK)
        goto cleanup;
    if (sigil_ossl_verify(key, &params, digest, sizeof digest, sig, sig_len) != SIGIL_ST_OK)
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(sig, sizeof sig);
    return st;
}
