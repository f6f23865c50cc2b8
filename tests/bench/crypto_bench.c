/* crypto_bench.c — signatures per second of a firmware crypto backend, with
 * 1..n threads sharing one loaded key. Not a test: run it by hand (see
 * docs/crypto-backends.md and run_crypto_bench.sh).
 *
 * Built once per backend (crypto_bench_mbedtls, crypto_bench_openssl; the
 * target crypto_bench builds both). For each mechanism it generates a key with
 * the backend, loads it once, and lets each thread call sigil_crypto_sign in a
 * loop on that same key object for the given time. The first signature of each
 * thread is verified with OpenSSL (default library context); any failure makes
 * the run fail.
 *
 * Modes of the OpenSSL build (for comparison, not for production):
 *   --no-ctx-pool   every signature builds and frees its own EVP_PKEY_CTX
 *   --raw           no backend on the path: plain libcrypto EVP_PKEY_sign in the
 *                   default library context, one EVP_PKEY_CTX per thread, reused
 *                   (the machine's limit, as sigil-bench --compare measures it)
 *   --pool-ab       one thread, alternating batches of signatures with the
 *                   context pool on and off (A/B, so that load from other
 *                   processes hits both alike); prints the best batch's time
 *                   per signature of each and the difference: what building an
 *                   EVP_PKEY_CTX per call costs. Output line:
 *                   backend pool-ab mechanism us_pooled us_per_call us_saved
 *
 * Output: one tab-separated line per mechanism and thread count:
 *   backend  mode  mechanism  threads  seconds  signatures  sig_per_s  best_window_per_s
 * sig_per_s is the mean over the whole measurement; best_window_per_s the best
 * of the 0.25 s windows it is sampled in — on a machine shared with other work,
 * the closer estimate of what the backend can do when it has the cores.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "test_crypto_util.h"
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
#include "openssl_testhooks.h"
#endif

#define MAX_THREADS 64
#define WINDOW_S 0.25

typedef struct {
    const char *name;
    sigil_key_kind kind;
    sigil_sig_params params;
} mechanism;

static const mechanism mechanisms[] = {
    {"ecdsa-p256", SIGIL_KEY_KIND_EC_P256, {.scheme = SIGIL_SIG_ECDSA}},
    {"ecdsa-p384", SIGIL_KEY_KIND_EC_P384, {.scheme = SIGIL_SIG_ECDSA}},
    {"rsa2048-pkcs", SIGIL_KEY_KIND_RSA_2048, {.scheme = SIGIL_SIG_RSA_PKCS1}},
    {"rsa2048-pss", SIGIL_KEY_KIND_RSA_2048,
     {.scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA256, .pss_salt_len = 32}},
    {"rsa3072-pkcs", SIGIL_KEY_KIND_RSA_3072, {.scheme = SIGIL_SIG_RSA_PKCS1}},
};
#define MECH_COUNT (sizeof mechanisms / sizeof mechanisms[0])

typedef struct {
    _Alignas(64) atomic_ulong count; /* own cache line: sampled by the main thread */
    const mechanism *mech;
    sigil_crypto_key *key;   /* backend modes */
    EVP_PKEY *raw_key;       /* --raw */
    EVP_PKEY *verify_key;    /* OpenSSL public key for the sanity check */
    const uint8_t *in;
    size_t in_len;
    pthread_barrier_t *start;
    atomic_bool *stop;
    bool failed;
} worker;

static bool raw_mode;
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
static bool ab_mode;
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Plain libcrypto: a per-thread EVP_PKEY_CTX set up like the backend's. */
static EVP_PKEY_CTX *raw_ctx(EVP_PKEY *pkey, const sigil_sig_params *p)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1)
        goto fail;
    if (p->scheme == SIGIL_SIG_RSA_PKCS1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
        goto fail;
    if (p->scheme == SIGIL_SIG_RSA_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)p->pss_salt_len) != 1))
        goto fail;
    return ctx;
fail:
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

static void *run(void *arg)
{
    worker *w = arg;
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;
    EVP_PKEY_CTX *ctx = NULL;

    if (raw_mode && (ctx = raw_ctx(w->raw_key, &w->mech->params)) == NULL)
        w->failed = true;
    pthread_barrier_wait(w->start);
    while (!w->failed && !atomic_load_explicit(w->stop, memory_order_relaxed)) {
        if (raw_mode) {
            sig_len = sizeof sig;
            if (EVP_PKEY_sign(ctx, sig, &sig_len, w->in, w->in_len) != 1)
                w->failed = true;
        } else if (sigil_crypto_sign(w->key, &w->mech->params, w->in, w->in_len, sig,
                                     sizeof sig, &sig_len) != SIGIL_ST_OK) {
            w->failed = true;
        }
        /* The first signature of each thread must verify (raw ECDSA gives DER: not checked). */
        if (atomic_load_explicit(&w->count, memory_order_relaxed) == 0 && !w->failed &&
            !(raw_mode && w->mech->params.scheme == SIGIL_SIG_ECDSA) &&
            !tc_openssl_verify(w->verify_key, &w->mech->params, w->in, w->in_len, sig, sig_len))
            w->failed = true;
        atomic_fetch_add_explicit(&w->count, 1, memory_order_relaxed);
    }
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

/* One measurement: threads signing with one shared key for seconds. */
static int measure(const char *backend, const char *mode, const mechanism *m,
                   sigil_crypto_key *key, EVP_PKEY *raw_key, EVP_PKEY *verify_key,
                   unsigned threads, double seconds)
{
    static uint8_t block[TC_SHA256_DIGEST_INFO_LEN];
    pthread_t tid[MAX_THREADS];
    worker w[MAX_THREADS];
    pthread_barrier_t start;
    atomic_bool stop = false;
    unsigned long total = 0, prev_total = 0;
    double best_window = 0;
    bool failed = false;

    tc_sha256_digest_info((const uint8_t *)"crypto_bench", 12, block);
    pthread_barrier_init(&start, NULL, threads + 1);
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){.mech = m, .key = key, .raw_key = raw_key, .verify_key = verify_key,
                        .start = &start, .stop = &stop};
        atomic_init(&w[i].count, 0);
        /* ECDSA and PSS sign a SHA-256 digest, PKCS#1 v1.5 its DigestInfo. */
        if (m->params.scheme == SIGIL_SIG_RSA_PKCS1) {
            w[i].in = block;
            w[i].in_len = sizeof block;
        } else {
            w[i].in = block + sizeof block - 32;
            w[i].in_len = 32;
        }
        if (pthread_create(&tid[i], NULL, run, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    double t0 = now_s(), prev_t = t0;
    for (double next = t0 + WINDOW_S; next <= t0 + seconds + 1e-9; next += WINDOW_S) {
        double wait = next - now_s();
        if (wait > 0)
            usleep((useconds_t)(wait * 1e6));
        unsigned long sum = 0;
        for (unsigned i = 0; i < threads; i++)
            sum += atomic_load_explicit(&w[i].count, memory_order_relaxed);
        double t = now_s();
        if ((double)(sum - prev_total) / (t - prev_t) > best_window)
            best_window = (double)(sum - prev_total) / (t - prev_t);
        prev_total = sum;
        prev_t = t;
    }
    double rest = t0 + seconds - now_s(); /* a duration that is not a whole number of windows */
    if (rest > 0)
        usleep((useconds_t)(rest * 1e6));
    atomic_store(&stop, true);
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        total += atomic_load(&w[i].count);
        failed |= w[i].failed;
    }
    double elapsed = now_s() - t0;
    pthread_barrier_destroy(&start);
    if (failed) {
        fprintf(stderr, "%s %s %s: a signature failed or did not verify\n", backend, mode,
                m->name);
        return -1;
    }
    printf("%s\t%s\t%s\t%u\t%.2f\t%lu\t%.0f\t%.0f\n", backend, mode, m->name, threads, elapsed,
           total, (double)total / elapsed, best_window);
    fflush(stdout);
    return 0;
}

#if defined(SIGIL_TEST_BACKEND_OPENSSL)
/* Time per signature (µs) of one batch of n signatures. */
static double batch_us(sigil_crypto_key *key, const mechanism *m, const uint8_t *in,
                       size_t in_len, unsigned n)
{
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len;
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        if (sigil_crypto_sign(key, &m->params, in, in_len, sig, sizeof sig, &sig_len) !=
            SIGIL_ST_OK)
            return -1;
    return (now_s() - t0) * 1e6 / n;
}

/* Pool on / pool off in alternating batches; best batch of each. */
static int pool_ab(const char *backend, const mechanism *m, sigil_crypto_key *key,
                   double seconds)
{
    static uint8_t block[TC_SHA256_DIGEST_INFO_LEN];
    tc_sha256_digest_info((const uint8_t *)"crypto_bench", 12, block);
    const uint8_t *in = m->params.scheme == SIGIL_SIG_RSA_PKCS1 ? block : block + sizeof block - 32;
    size_t in_len = m->params.scheme == SIGIL_SIG_RSA_PKCS1 ? sizeof block : 32;
    /* Batches of about 20 ms. */
    double one = batch_us(key, m, in, in_len, 20);
    if (one <= 0)
        return -1;
    unsigned n = (unsigned)(20000.0 / one) + 1;
    double best_on = 1e30, best_off = 1e30, end = now_s() + seconds;
    while (now_s() < end) {
        sigil_ossl_test_set_ctx_pool(true);
        double on = batch_us(key, m, in, in_len, n);
        sigil_ossl_test_set_ctx_pool(false);
        double off = batch_us(key, m, in, in_len, n);
        sigil_ossl_test_set_ctx_pool(true);
        if (on < 0 || off < 0)
            return -1;
        if (on < best_on)
            best_on = on;
        if (off < best_off)
            best_off = off;
    }
    printf("%s\tpool-ab\t%s\t%.2f\t%.2f\t%.2f\n", backend, m->name, best_on, best_off,
           best_off - best_on);
    fflush(stdout);
    return 0;
}
#endif

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--seconds N] [--threads 1,2,...] [--mech NAME,...] [--header]%s\n"
            "mechanisms: ecdsa-p256 ecdsa-p384 rsa2048-pkcs rsa2048-pss rsa3072-pkcs\n",
            argv0,
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
            " [--no-ctx-pool | --raw | --pool-ab]"
#else
            ""
#endif
    );
    exit(2);
}

int main(int argc, char **argv)
{
    double seconds = 3;
    unsigned threads[16] = {1, 2};
    size_t nthreads = 2;
    const char *mech_list = NULL;
    const char *mode = "backend";
    bool header = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = 0;
            for (char *tok = strtok(argv[++i], ","); tok != NULL && nthreads < 16;
                 tok = strtok(NULL, ","))
                threads[nthreads++] = (unsigned)atoi(tok);
        } else if (strcmp(argv[i], "--mech") == 0 && i + 1 < argc) {
            mech_list = argv[++i];
        } else if (strcmp(argv[i], "--header") == 0) {
            header = true;
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
        } else if (strcmp(argv[i], "--no-ctx-pool") == 0) {
            sigil_ossl_test_set_ctx_pool(false);
            mode = "ctx-per-call";
        } else if (strcmp(argv[i], "--raw") == 0) {
            raw_mode = true;
            mode = "raw-libcrypto";
        } else if (strcmp(argv[i], "--pool-ab") == 0) {
            ab_mode = true;
#endif
        } else {
            usage(argv[0]);
        }
    }
    if (seconds <= 0 || nthreads == 0)
        usage(argv[0]);
    for (size_t i = 0; i < nthreads; i++)
        if (threads[i] == 0 || threads[i] > MAX_THREADS)
            usage(argv[0]);

    if (sigil_crypto_init(tc_entropy_getrandom, NULL) != SIGIL_ST_OK ||
        sigil_crypto_self_test() != SIGIL_ST_OK) {
        fprintf(stderr, "backend failed to start\n");
        return 1;
    }
    if (header)
        printf("backend\tmode\tmechanism\tthreads\tseconds\tsignatures\tsig_per_s\t"
               "best_window_per_s\n");
    const char *backend = sigil_crypto_backend_name();
    int rc = 0;
    for (size_t m = 0; m < MECH_COUNT; m++) {
        const mechanism *mech = &mechanisms[m];
        if (mech_list != NULL) {
            /* whole-word match in the comma-separated list */
            const char *p = strstr(mech_list, mech->name);
            size_t n = strlen(mech->name);
            if (p == NULL || (p != mech_list && p[-1] != ',') || (p[n] != '\0' && p[n] != ','))
                continue;
        }
        static uint8_t der[SIGIL_CRYPTO_MAX_PRIV_DER];
        size_t der_len = 0;
        sigil_crypto_pub pub;
        sigil_crypto_key *key = NULL;
        EVP_PKEY *raw_key = NULL, *verify_key = NULL;
        size_t nthreads_run = nthreads;
        if (sigil_crypto_keygen(mech->kind, der, sizeof der, &der_len, &pub) != SIGIL_ST_OK ||
            sigil_crypto_key_load(mech->kind, der, der_len, &key) != SIGIL_ST_OK ||
            (verify_key = tc_pkey_from_pub(mech->kind, &pub)) == NULL) {
            fprintf(stderr, "%s: key generation failed\n", mech->name);
            return 1;
        }
        if (raw_mode) {
            const unsigned char *p = der;
            raw_key = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
            if (raw_key == NULL) {
                fprintf(stderr, "%s: OpenSSL cannot parse the key\n", mech->name);
                return 1;
            }
        }
#if defined(SIGIL_TEST_BACKEND_OPENSSL)
        if (ab_mode) {
            if (pool_ab(backend, mech, key, seconds) != 0)
                rc = 1;
            nthreads_run = 0;
        }
#endif
        for (size_t t = 0; t < nthreads_run; t++)
            if (measure(backend, mode, mech, key, raw_key, verify_key, threads[t], seconds) != 0)
                rc = 1;
        EVP_PKEY_free(raw_key);
        EVP_PKEY_free(verify_key);
        sigil_crypto_key_free(key);
    }
    sigil_crypto_shutdown();
    return rc;
}
