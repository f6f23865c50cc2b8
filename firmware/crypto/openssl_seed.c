/* openssl_seed.c — the platform entropy function as an OpenSSL seed source.
 *
 * OpenSSL 3 seeds its DRBG chain from a "seed source", an EVP_RAND without a
 * parent that offers get_seed (the library's own, SEED-SRC, reads the OS). This
 * file is a minimal built-in provider whose one algorithm, SIGIL-PLATFORM-SEED,
 * answers get_seed by calling the entropy function handed to sigil_crypto_init.
 * openssl_drbg.c names it with RAND_set_seed_source_type, so the primary DRBG
 * of the backend's library context is instantiated and reseeded from the
 * platform, and every DRBG below it from the primary.
 *
 * The entropy function is called with seed_lock held, one call at a time, so
 * it need not be reentrant. Calls are rare: instantiation, the primary's
 * reseeds (every 256 requests to it, or hourly) and prediction-resistant
 * reseeds the backend asks for.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "openssl_internal.h"
#include "sigil_secmem.h"

/* The platform source is taken to deliver full entropy (platform.h). */
#define SEED_STRENGTH 256u
#define SEED_MAX_REQUEST 256u

static pthread_mutex_t seed_lock = PTHREAD_MUTEX_INITIALIZER;
static sigil_entropy_fn seed_fn;   /* guarded by seed_lock */
static void *seed_fn_ctx;          /* guarded by seed_lock */
static atomic_ulong seed_calls;

void sigil_ossl_seed_set(sigil_entropy_fn fn, void *ctx)
{
    pthread_mutex_lock(&seed_lock);
    seed_fn = fn;
    seed_fn_ctx = ctx;
    pthread_mutex_unlock(&seed_lock);
}

unsigned long sigil_ossl_seed_calls(void)
{
    return atomic_load(&seed_calls);
}

/* Fills out from the platform. 1 on success; out is wiped on failure. */
static int seed_fill(unsigned char *out, size_t len)
{
    int ok = 0;

    pthread_mutex_lock(&seed_lock);
    if (seed_fn != NULL && seed_fn(seed_fn_ctx, out, len) == 0)
        ok = 1;
    pthread_mutex_unlock(&seed_lock);
    if (ok)
        atomic_fetch_add(&seed_calls, 1);
    else
        sigil_wipe(out, len);
    return ok;
}

/* ---- the EVP_RAND implementation ---- */

typedef struct {
    int state; /* EVP_RAND_STATE_* */
} seed_ctx;

static void *seed_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_calls)
{
    (void)provctx;
    (void)parent_calls;
    if (parent != NULL) /* a seed source is the root of its chain */
        return NULL;
    seed_ctx *s = OPENSSL_zalloc(sizeof *s);
    if (s != NULL)
        s->state = EVP_RAND_STATE_UNINITIALISED;
    return s;
}

static void seed_freectx(void *vctx)
{
    OPENSSL_free(vctx);
}

static int seed_instantiate(void *vctx, unsigned int strength, int prediction_resistance,
                            const unsigned char *pstr, size_t pstr_len,
                            const OSSL_PARAM params[])
{
    (void)strength;
    (void)prediction_resistance;
    (void)pstr;
    (void)pstr_len;
    (void)params;
    ((seed_ctx *)vctx)->state = EVP_RAND_STATE_READY;
    return 1;
}

static int seed_uninstantiate(void *vctx)
{
    ((seed_ctx *)vctx)->state = EVP_RAND_STATE_UNINITIALISED;
    return 1;
}

static int seed_generate(void *vctx, unsigned char *out, size_t outlen, unsigned int strength,
                         int prediction_resistance, const unsigned char *adin, size_t adin_len)
{
    (void)prediction_resistance;
    (void)adin;
    (void)adin_len;
    if (((seed_ctx *)vctx)->state != EVP_RAND_STATE_READY || strength > SEED_STRENGTH)
        return 0;
    return seed_fill(out, outlen);
}

static int seed_reseed(void *vctx, int prediction_resistance, const unsigned char *ent,
                       size_t ent_len, const unsigned char *adin, size_t adin_len)
{
    (void)prediction_resistance;
    (void)ent;
    (void)ent_len;
    (void)adin;
    (void)adin_len;
    return ((seed_ctx *)vctx)->state == EVP_RAND_STATE_READY;
}

/* Locking is ours (seed_lock), around the entropy function only. */
static int seed_enable_locking(void *vctx)
{
    (void)vctx;
    return 1;
}

static int seed_lock_fn(void *vctx)
{
    (void)vctx;
    return 1;
}

static void seed_unlock_fn(void *vctx)
{
    (void)vctx;
}

static const OSSL_PARAM *seed_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM known[] = {
        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
        OSSL_PARAM_END,
    };
    (void)vctx;
    (void)provctx;
    return known;
}

static int seed_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    OSSL_PARAM *p;

    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
    if (p != NULL && !OSSL_PARAM_set_int(p, ((seed_ctx *)vctx)->state))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
    if (p != NULL && !OSSL_PARAM_set_uint(p, SEED_STRENGTH))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
    if (p != NULL && !OSSL_PARAM_set_size_t(p, SEED_MAX_REQUEST))
        return 0;
    return 1;
}

/* The DRBG above asks for entropy bits in min_len..max_len bytes; one bit per
 * bit of output is assumed. The buffer is released by seed_clear_seed. */
static size_t seed_get_seed(void *vctx, unsigned char **pout, int entropy, size_t min_len,
                            size_t max_len, int prediction_resistance, const unsigned char *adin,
                            size_t adin_len)
{
    size_t n = entropy > 0 ? ((size_t)entropy + 7) / 8 : 0;
    unsigned char *p;

    (void)prediction_resistance;
    (void)adin;
    (void)adin_len;
    if (((seed_ctx *)vctx)->state != EVP_RAND_STATE_READY)
        return 0;
    if (n < min_len)
        n = min_len;
    if (n == 0 || n > max_len)
        return 0;
    p = OPENSSL_secure_malloc(n);
    if (p == NULL)
        return 0;
    if (!seed_fill(p, n)) {
        OPENSSL_secure_clear_free(p, n);
        return 0;
    }
    *pout = p;
    return n;
}

static void seed_clear_seed(void *vctx, unsigned char *buf, size_t len)
{
    (void)vctx;
    OPENSSL_secure_clear_free(buf, len);
}

static int seed_verify_zeroization(void *vctx)
{
    (void)vctx;
    return 1; /* holds no secret state */
}

/* The dispatch tables store every function as a generic pointer. */
#define FN(f) ((void (*)(void))(f))

static const OSSL_DISPATCH seed_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, FN(seed_newctx)},
    {OSSL_FUNC_RAND_FREECTX, FN(seed_freectx)},
    {OSSL_FUNC_RAND_INSTANTIATE, FN(seed_instantiate)},
    {OSSL_FUNC_RAND_UNINSTANTIATE, FN(seed_uninstantiate)},
    {OSSL_FUNC_RAND_GENERATE, FN(seed_generate)},
    {OSSL_FUNC_RAND_RESEED, FN(seed_reseed)},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, FN(seed_enable_locking)},
    {OSSL_FUNC_RAND_LOCK, FN(seed_lock_fn)},
    {OSSL_FUNC_RAND_UNLOCK, FN(seed_unlock_fn)},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, FN(seed_gettable_ctx_params)},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, FN(seed_get_ctx_params)},
    {OSSL_FUNC_RAND_VERIFY_ZEROIZATION, FN(seed_verify_zeroization)},
    {OSSL_FUNC_RAND_GET_SEED, FN(seed_get_seed)},
    {OSSL_FUNC_RAND_CLEAR_SEED, FN(seed_clear_seed)},
    {0, NULL},
};

static const OSSL_ALGORITHM seed_algorithms[] = {
    {SIGIL_OSSL_SEED_ALG, "provider=" SIGIL_OSSL_SEED_PROVIDER, seed_functions,
     "Sigil platform entropy (sigil_crypto_init's entropy function)"},
    {NULL, NULL, NULL, NULL},
};

/* ---- the provider ---- */

static const OSSL_ALGORITHM *provider_query(void *provctx, int operation_id, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    return operation_id == OSSL_OP_RAND ? seed_algorithms : NULL;
}

static const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, FN(provider_query)},
    {0, NULL},
};

static int provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                         const OSSL_DISPATCH **out, void **provctx)
{
    (void)handle;
    (void)in;
    *out = provider_functions;
    *provctx = NULL;
    return 1;
}

int sigil_ossl_seed_provider_load(OSSL_LIB_CTX *libctx)
{
    if (OSSL_PROVIDER_add_builtin(libctx, SIGIL_OSSL_SEED_PROVIDER, provider_init) != 1)
        return 0;
    /* The library context keeps the provider loaded until it is freed. */
    return OSSL_PROVIDER_load(libctx, SIGIL_OSSL_SEED_PROVIDER) != NULL;
}
