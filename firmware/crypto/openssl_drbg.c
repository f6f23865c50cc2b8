/* openssl_drbg.c — life cycle, library context and device DRBG of the OpenSSL backend.
 *
 * The first sigil_crypto_init builds the backend's library context: the
 * platform seed source (openssl_seed.c) and the "default" provider, with
 * RAND_set_seed_source_type / RAND_set_DRBG_type naming the seed source and
 * CTR-DRBG over AES-256 before any DRBG exists. Every init then hands the
 * seed source the platform entropy function, forces a prediction-resistant
 * reseed of the primary DRBG (which must reach the platform function, or init
 * fails: the chain must not be seeded by anything else) and runs the DRBG
 * health check. OpenSSL's per-thread DRBGs reseed from the primary before
 * their next output whenever the primary has been reseeded.
 *
 * Shutdown refuses further service, detaches the entropy function and
 * uninstantiates (zeroises) the primary DRBG and the calling thread's DRBGs.
 * The library context itself stays for the life of the process: OpenSSL 3.0
 * keeps per-thread DRBGs in thread-local storage that it frees when a thread
 * ends, through the context, so freeing a context that other threads have
 * used is unsafe (openssl/openssl#16778). A later init re-seeds the primary
 * from the new entropy function.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "openssl_internal.h"
#include "sigil_secmem.h"

/* Additional input of the reseed at init: separates this DRBG from other uses of the source. */
static const unsigned char drbg_personalisation[] = "sigil firmware device DRBG v1";

OSSL_LIB_CTX *sigil_ossl_libctx;      /* written once, under init_lock, before ready */
sigil_ossl_algs sigil_ossl_alg;       /* likewise */

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool ready;

/* ---- names and errors ---- */

static pthread_once_t name_once = PTHREAD_ONCE_INIT;
static char backend_name[64];

static void name_init(void)
{
    snprintf(backend_name, sizeof backend_name, "openssl %s",
             OpenSSL_version(OPENSSL_VERSION_STRING));
}

const char *sigil_crypto_backend_name(void)
{
    pthread_once(&name_once, name_init);
    return backend_name;
}

sigil_status sigil_ossl_fail(sigil_status fallback)
{
    sigil_status st = fallback;
    unsigned long e;

    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
            st = SIGIL_ST_NO_MEMORY;
    return st;
}

bool sigil_ossl_ready(void)
{
    return atomic_load_explicit(&ready, memory_order_acquire);
}

/* ---- the library context ---- */

static void algs_free(void)
{
    EVP_MD_free(sigil_ossl_alg.sha256);
    EVP_MD_free(sigil_ossl_alg.sha384);
    EVP_MD_free(sigil_ossl_alg.sha512);
    EVP_CIPHER_free(sigil_ossl_alg.aes256gcm);
    EVP_KDF_free(sigil_ossl_alg.hkdf);
    EVP_KDF_free(sigil_ossl_alg.pbkdf2);
    EVP_MAC_free(sigil_ossl_alg.hmac);
    memset(&sigil_ossl_alg, 0, sizeof sigil_ossl_alg);
}

/* Builds sigil_ossl_libctx once; init_lock held. */
static sigil_status libctx_build_locked(void)
{
    OSSL_LIB_CTX *lc;
    sigil_ossl_algs *a = &sigil_ossl_alg;

    if (sigil_ossl_libctx != NULL)
        return SIGIL_ST_OK;
    lc = OSSL_LIB_CTX_new();
    if (lc == NULL)
        return sigil_ossl_fail(SIGIL_ST_NO_MEMORY);
    /* The seed source and the DRBG type must be named before the first DRBG exists. */
    if (!sigil_ossl_seed_provider_load(lc) || OSSL_PROVIDER_load(lc, "default") == NULL ||
        RAND_set_seed_source_type(lc, SIGIL_OSSL_SEED_ALG,
                                  "provider=" SIGIL_OSSL_SEED_PROVIDER) != 1 ||
        RAND_set_DRBG_type(lc, "CTR-DRBG", NULL, "AES-256-CTR", NULL) != 1)
        goto fail;
    a->sha256 = EVP_MD_fetch(lc, "SHA2-256", NULL);
    a->sha384 = EVP_MD_fetch(lc, "SHA2-384", NULL);
    a->sha512 = EVP_MD_fetch(lc, "SHA2-512", NULL);
    a->aes256gcm = EVP_CIPHER_fetch(lc, "AES-256-GCM", NULL);
    a->hkdf = EVP_KDF_fetch(lc, "HKDF", NULL);
    a->pbkdf2 = EVP_KDF_fetch(lc, "PBKDF2", NULL);
    a->hmac = EVP_MAC_fetch(lc, "HMAC", NULL);
    if (a->sha256 == NULL || a->sha384 == NULL || a->sha512 == NULL || a->aes256gcm == NULL ||
        a->hkdf == NULL || a->pbkdf2 == NULL || a->hmac == NULL)
        goto fail;
    sigil_ossl_libctx = lc;
    return SIGIL_ST_OK;
fail:
    algs_free();
    OSSL_LIB_CTX_free(lc); /* no DRBG was created in it yet */
    return sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
}

/* ---- DRBG health check ---- */

/* NIST CAVP CTR_DRBG.rsp, [AES-128 use df] [PredictionResistance = True]
 * [EntropyInputLen = 128] [NonceLen = 64] [PersonalizationStringLen = 128]
 * [AdditionalInputLen = 128] [ReturnedBitsLen = 512], COUNT = 0 — the vector
 * OpenSSL's own FIPS self-test runs. It checks the CTR_DRBG mechanism
 * (instantiate with derivation function, prediction-resistant reseeds,
 * additional input, generate); the live instance runs the same code over
 * AES-256, whose block cipher the AES-256-GCM KAT covers. */
static const uint8_t kat_entropy[16] = {
    0x92, 0x89, 0x8f, 0x31, 0xfa, 0x1c, 0xff, 0x6d, 0x18, 0x2f, 0x26, 0x06, 0x43, 0xdf, 0xf8, 0x18,
};
static const uint8_t kat_nonce[8] = {0xc2, 0xa4, 0xd9, 0x72, 0xc3, 0xb9, 0xb6, 0x97};
static const uint8_t kat_pers[16] = {
    0xea, 0x65, 0xee, 0x60, 0x26, 0x4e, 0x7e, 0xb6, 0x0e, 0x82, 0x68, 0xc4, 0x37, 0x3c, 0x5c, 0x0b,
};
static const uint8_t kat_entropy_pr0[16] = {
    0x20, 0x72, 0x8a, 0x06, 0xf8, 0x6f, 0x8d, 0xd4, 0x41, 0xe2, 0x72, 0xb7, 0xc4, 0x2c, 0xe8, 0x10,
};
static const uint8_t kat_entropy_pr1[16] = {
    0x3d, 0xb0, 0xf0, 0x94, 0xf3, 0x05, 0x50, 0x33, 0x17, 0x86, 0x3e, 0x22, 0x08, 0xf7, 0xa5, 0x01,
};
static const uint8_t kat_addin0[16] = {
    0x1a, 0x40, 0xfa, 0xe3, 0xcc, 0x6c, 0x7c, 0xa0, 0xf8, 0xda, 0xba, 0x59, 0x23, 0x6d, 0xad, 0x1d,
};
static const uint8_t kat_addin1[16] = {
    0x9f, 0x72, 0x76, 0x6c, 0xc7, 0x46, 0xe5, 0xed, 0x2e, 0x53, 0x20, 0x12, 0xbc, 0x59, 0x31, 0x8c,
};
static const uint8_t kat_expected[64] = {
    0x5a, 0x35, 0x39, 0x87, 0x0f, 0x4d, 0x22, 0xa4, 0x09, 0x24, 0xee, 0x71, 0xc9, 0x6f, 0xac, 0x72,
    0x0a, 0xd6, 0xf0, 0x88, 0x82, 0xd0, 0x83, 0x28, 0x73, 0xec, 0x3f, 0x93, 0xd8, 0xab, 0x45, 0x23,
    0xf0, 0x7e, 0xac, 0x45, 0x14, 0x5e, 0x93, 0x9f, 0xb1, 0xd6, 0x76, 0x43, 0x3d, 0xb6, 0xe8, 0x08,
    0x88, 0xf6, 0xda, 0x89, 0x08, 0x77, 0x42, 0xfe, 0x1a, 0xf4, 0x3f, 0xc4, 0x23, 0xc5, 0x1f, 0x68,
};

/* Sets the next entropy input TEST-RAND hands out. */
static int test_rand_entropy(EVP_RAND_CTX *test, const uint8_t *e, size_t len)
{
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, (void *)e, len),
        OSSL_PARAM_construct_end(),
    };
    return EVP_RAND_CTX_set_params(test, p);
}

/* The CAVP vector on a CTR-DRBG instance fed by OpenSSL's TEST-RAND. */
static bool drbg_kat(void)
{
    bool ok = false;
    unsigned int strength = 128;
    EVP_RAND *test_alg = EVP_RAND_fetch(sigil_ossl_libctx, "TEST-RAND", NULL);
    EVP_RAND *drbg_alg = EVP_RAND_fetch(sigil_ossl_libctx, "CTR-DRBG", NULL);
    EVP_RAND_CTX *test = NULL, *drbg = NULL;
    uint8_t out[sizeof kat_expected];

    memset(out, 0, sizeof out);
    if (test_alg == NULL || drbg_alg == NULL)
        goto cleanup;
    test = EVP_RAND_CTX_new(test_alg, NULL);
    if (test == NULL)
        goto cleanup;
    OSSL_PARAM sp[] = {
        OSSL_PARAM_construct_uint(OSSL_RAND_PARAM_STRENGTH, &strength),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_RAND_CTX_set_params(test, sp) != 1)
        goto cleanup;
    drbg = EVP_RAND_CTX_new(drbg_alg, test);
    if (drbg == NULL)
        goto cleanup;
    OSSL_PARAM dp[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_CIPHER, (char *)"AES-128-CTR", 0),
        OSSL_PARAM_construct_end(),
    };
    OSSL_PARAM tp[] = {
        OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, (void *)kat_entropy,
                                          sizeof kat_entropy),
        OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_NONCE, (void *)kat_nonce,
                                          sizeof kat_nonce),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_RAND_CTX_set_params(drbg, dp) != 1 ||
        EVP_RAND_instantiate(test, strength, 0, NULL, 0, tp) != 1 ||
        EVP_RAND_instantiate(drbg, strength, 0, kat_pers, sizeof kat_pers, NULL) != 1)
        goto cleanup;
    if (test_rand_entropy(test, kat_entropy_pr0, sizeof kat_entropy_pr0) != 1 ||
        EVP_RAND_generate(drbg, out, sizeof out, strength, 1, kat_addin0, sizeof kat_addin0) != 1)
        goto cleanup;
    if (test_rand_entropy(test, kat_entropy_pr1, sizeof kat_entropy_pr1) != 1 ||
        EVP_RAND_generate(drbg, out, sizeof out, strength, 1, kat_addin1, sizeof kat_addin1) != 1)
        goto cleanup;
    if (!sigil_ct_equal(out, kat_expected, sizeof out))
        goto cleanup;
    /* Uninstantiation must leave no state behind. */
    ok = EVP_RAND_uninstantiate(drbg) == 1 && EVP_RAND_verify_zeroization(drbg) == 1;
cleanup:
    sigil_wipe(out, sizeof out);
    EVP_RAND_CTX_free(drbg);
    EVP_RAND_CTX_free(test);
    EVP_RAND_free(drbg_alg);
    EVP_RAND_free(test_alg);
    ERR_clear_error();
    return ok;
}

/* DRBG health check: the mechanism KAT, then a stuck-output check on the live
 * chain (this thread's private DRBG, reseeded from the primary). */
static sigil_status drbg_health_check(void)
{
    sigil_status st = SIGIL_ST_SELF_TEST_FAILED;
    unsigned char a[32], b[32];

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (!drbg_kat())
        goto cleanup;
    if (RAND_priv_bytes_ex(sigil_ossl_libctx, a, sizeof a, 0) != 1 ||
        RAND_priv_bytes_ex(sigil_ossl_libctx, b, sizeof b, 0) != 1)
        goto cleanup;
    if (sigil_ct_equal(a, b, sizeof a))
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(a, sizeof a);
    sigil_wipe(b, sizeof b);
    ERR_clear_error();
    return st;
}

/* ---- life cycle ---- */

/* Zeroises the primary DRBG and this thread's DRBGs (they re-instantiate from
 * the seed source when next used); init_lock held. */
static void drbg_zeroise_locked(void)
{
    EVP_RAND_CTX *r;

    if (sigil_ossl_libctx == NULL)
        return;
    if ((r = RAND_get0_private(sigil_ossl_libctx)) != NULL)
        (void)EVP_RAND_uninstantiate(r);
    if ((r = RAND_get0_public(sigil_ossl_libctx)) != NULL)
        (void)EVP_RAND_uninstantiate(r);
    if ((r = RAND_get0_primary(sigil_ossl_libctx)) != NULL)
        (void)EVP_RAND_uninstantiate(r);
    ERR_clear_error();
}

/* Returns SIGIL_ST_BAD_ARGUMENT when entropy is NULL or the backend is already
 * initialised (call sigil_crypto_shutdown first), SIGIL_ST_CRYPTO_FAILURE when
 * seeding fails (or the DRBG chain is not fed by entropy), SIGIL_ST_NO_MEMORY,
 * SIGIL_ST_SELF_TEST_FAILED when the DRBG health check fails. */
sigil_status sigil_crypto_init(sigil_entropy_fn entropy, void *entropy_ctx)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    bool started = false;
    EVP_RAND_CTX *primary;
    unsigned long calls_before;

    if (entropy == NULL)
        return st;
    pthread_mutex_lock(&init_lock);
    if (sigil_ossl_ready())
        goto cleanup; /* never tears down a running instance */
    started = true;
    st = libctx_build_locked();
    if (st != SIGIL_ST_OK)
        goto cleanup;

    sigil_ossl_seed_set(entropy, entropy_ctx);
    calls_before = sigil_ossl_seed_calls();
    st = SIGIL_ST_CRYPTO_FAILURE;
    /* Creates and instantiates the primary from the seed source on first use. */
    primary = RAND_get0_primary(sigil_ossl_libctx);
    if (primary == NULL)
        goto cleanup;
    /* Fresh platform entropy now, whatever the primary held before. */
    if (EVP_RAND_reseed(primary, 1, NULL, 0, drbg_personalisation,
                        sizeof drbg_personalisation - 1) != 1)
        goto cleanup;
    /* OpenSSL falls back to the OS source when a named seed source cannot be
     * fetched; refuse a chain that did not draw on the platform function. */
    if (sigil_ossl_seed_calls() == calls_before)
        goto cleanup;
    st = drbg_health_check();
    if (st != SIGIL_ST_OK)
        goto cleanup;
    atomic_store_explicit(&ready, true, memory_order_release);
cleanup:
    if (st != SIGIL_ST_OK && started) {
        /* A failed init leaves nothing usable behind. */
        st = sigil_ossl_fail(st);
        sigil_ossl_seed_set(NULL, NULL);
        drbg_zeroise_locked();
    }
    pthread_mutex_unlock(&init_lock);
    return st;
}

void sigil_crypto_shutdown(void)
{
    pthread_mutex_lock(&init_lock);
    atomic_store_explicit(&ready, false, memory_order_release);
    sigil_ossl_seed_set(NULL, NULL);
    drbg_zeroise_locked();
    pthread_mutex_unlock(&init_lock);
}

/* SIGIL_ST_GENERAL_ERROR before sigil_crypto_init. */
sigil_status sigil_crypto_random(uint8_t *out, size_t len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (len == 0)
        return SIGIL_ST_OK;
    if (out == NULL)
        return st;
    if (!sigil_ossl_ready()) {
        st = SIGIL_ST_GENERAL_ERROR;
        goto cleanup;
    }
    /* This thread's private DRBG: no lock unless it reseeds from the primary. */
    st = RAND_priv_bytes_ex(sigil_ossl_libctx, out, len, 0) == 1
             ? SIGIL_ST_OK
             : sigil_ossl_fail(SIGIL_ST_CRYPTO_FAILURE);
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, len);
    return st;
}
