/* mbedtls_drbg.c — life cycle and the device DRBG of the mbedTLS backend.
 *
 * One CTR_DRBG (AES-256, no prediction resistance, default reseed interval)
 * seeded from the platform entropy function, behind one mutex. The entropy
 * function is kept for the DRBG's automatic reseeds.
 */
#include <pthread.h>
#include <stdbool.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include "mbedtls_internal.h"
#include "sigil_secmem.h"

/* Personalisation string: separates this DRBG instance from any other use of the source. */
static const unsigned char drbg_personalisation[] = "sigil firmware device DRBG v1";

static pthread_mutex_t drbg_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_ctr_drbg_context drbg;           /* guarded by drbg_lock */
static bool drbg_ready;                         /* guarded by drbg_lock */
static sigil_entropy_fn drbg_entropy;           /* guarded by drbg_lock */
static void *drbg_entropy_ctx;                  /* guarded by drbg_lock */

const char *sigil_crypto_backend_name(void)
{
    return "mbedtls " MBEDTLS_VERSION_STRING;
}

sigil_status sigil_mbt_status(int err)
{
    if (err == 0)
        return SIGIL_ST_OK;
    /* Composite codes: high-level module part in bits 7..15, low-level part in bits 0..6. */
    int low = -((-err) & 0x7F);
    int high = -((-err) & 0xFF80);
    if (low == MBEDTLS_ERR_MPI_ALLOC_FAILED || high == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
        high == MBEDTLS_ERR_PK_ALLOC_FAILED)
        return SIGIL_ST_NO_MEMORY;
    return SIGIL_ST_CRYPTO_FAILURE;
}

/* CTR_DRBG entropy callback: called with drbg_lock held (seed and reseed). */
static int drbg_entropy_cb(void *unused, unsigned char *out, size_t len)
{
    (void)unused;
    if (drbg_entropy == NULL || drbg_entropy(drbg_entropy_ctx, out, len) != 0) {
        sigil_wipe(out, len);
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    return 0;
}

/* Draws len bytes; drbg_lock held. */
static int drbg_generate_locked(unsigned char *out, size_t len)
{
    int ret = MBEDTLS_ERR_CTR_DRBG_REQUEST_TOO_BIG;
    if (!drbg_ready)
        return ret;
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        ret = mbedtls_ctr_drbg_random(&drbg, out, n);
        if (ret != 0)
            return ret;
        out += n;
        len -= n;
    }
    return 0;
}

/* DRBG health check: the library's CTR_DRBG known-answer tests (NIST CAVP
 * vectors, instantiate / reseed / generate, with and without prediction
 * resistance), then a stuck-output check on the live instance. drbg_lock held. */
static sigil_status drbg_health_check_locked(void)
{
    sigil_status st = SIGIL_ST_SELF_TEST_FAILED;
    unsigned char a[32], b[32];

    if (mbedtls_ctr_drbg_self_test(0) != 0)
        goto cleanup;
    if (drbg_generate_locked(a, sizeof a) != 0 || drbg_generate_locked(b, sizeof b) != 0)
        goto cleanup;
    if (sigil_ct_equal(a, b, sizeof a))
        goto cleanup;
    st = SIGIL_ST_OK;
cleanup:
    sigil_wipe(a, sizeof a);
    sigil_wipe(b, sizeof b);
    return st;
}

/* Returns SIGIL_ST_BAD_ARGUMENT when entropy is NULL or the backend is already
 * initialised (call sigil_crypto_shutdown first), SIGIL_ST_CRYPTO_FAILURE when
 * seeding fails, SIGIL_ST_SELF_TEST_FAILED when the DRBG health check fails. */
sigil_status sigil_crypto_init(sigil_entropy_fn entropy, void *entropy_ctx)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;
    bool started = false;
    int ret;

    if (entropy == NULL)
        return st;
    pthread_mutex_lock(&drbg_lock);
    if (drbg_ready)
        goto cleanup; /* never tears down a running instance */

    started = true;
    drbg_entropy = entropy;
    drbg_entropy_ctx = entropy_ctx;
    mbedtls_ctr_drbg_init(&drbg);
    ret = mbedtls_ctr_drbg_seed(&drbg, drbg_entropy_cb, NULL, drbg_personalisation,
                                sizeof drbg_personalisation - 1);
    if (ret != 0) {
        st = SIGIL_ST_CRYPTO_FAILURE;
        goto cleanup;
    }
    mbedtls_ctr_drbg_set_prediction_resistance(&drbg, MBEDTLS_CTR_DRBG_PR_OFF);
    drbg_ready = true;

    st = drbg_health_check_locked();
cleanup:
    if (st != SIGIL_ST_OK && started) {
        /* A failed init leaves nothing behind. */
        mbedtls_ctr_drbg_free(&drbg);
        drbg_ready = false;
        drbg_entropy = NULL;
        drbg_entropy_ctx = NULL;
    }
    pthread_mutex_unlock(&drbg_lock);
    return st;
}

void sigil_crypto_shutdown(void)
{
    pthread_mutex_lock(&drbg_lock);
    if (drbg_ready)
        mbedtls_ctr_drbg_free(&drbg); /* zeroises the DRBG state */
    drbg_ready = false;
    drbg_entropy = NULL;
    drbg_entropy_ctx = NULL;
    pthread_mutex_unlock(&drbg_lock);
}

bool sigil_mbt_drbg_ready(void)
{
    pthread_mutex_lock(&drbg_lock);
    bool ready = drbg_ready;
    pthread_mutex_unlock(&drbg_lock);
    return ready;
}

int sigil_mbt_rng(void *p_rng, unsigned char *out, size_t len)
{
    (void)p_rng;
    pthread_mutex_lock(&drbg_lock);
    int ret = drbg_generate_locked(out, len);
    pthread_mutex_unlock(&drbg_lock);
    if (ret != 0)
        sigil_wipe(out, len);
    return ret;
}

/* SIGIL_ST_GENERAL_ERROR before sigil_crypto_init. */
sigil_status sigil_crypto_random(uint8_t *out, size_t len)
{
    sigil_status st = SIGIL_ST_BAD_ARGUMENT;

    if (len == 0)
        return SIGIL_ST_OK;
    if (out == NULL)
        return st;
    if (!sigil_mbt_drbg_ready()) {
        st = SIGIL_ST_GENERAL_ERROR;
        goto cleanup;
    }
    st = sigil_mbt_rng(NULL, out, len) == 0 ? SIGIL_ST_OK : SIGIL_ST_CRYPTO_FAILURE;
cleanup:
    if (st != SIGIL_ST_OK)
        sigil_wipe(out, len);
    return st;
}
