/* bench.h — sigil-bench: signatures per second through any PKCS#11 module, side by side with
 * SoftHSMv2 and raw in-process libcrypto (the machine's limit).
 *
 *   args.c      command line
 *   p11.c       loading a module, finding tokens, logging in, the benchmark key
 *   softhsm.c   a throw-away SoftHSMv2 token store in a temporary directory
 *   openssl.c   the raw libcrypto target: the same signatures without any token
 *   workload.c  threads, one session each, timed signatures, samples kept for verifying
 *   verify.c    checking the samples with OpenSSL against the public key
 *   stats.c     percentiles, the text and JSON reports
 *   main.c      running the targets and comparing them
 */
#ifndef SIGIL_BENCH_H
#define SIGIL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#define BENCH_MAX_TOKENS 64u
#define BENCH_MAX_THREADS 1024u
#define BENCH_MAX_SIG 512u
#define BENCH_MAX_INPUT 128u /* DigestInfo + digest at most */
#define BENCH_ERR_LEN 512u

/* ---- mechanisms (args.c) ------------------------------------------------------------------ */

typedef struct {
    const char *name;        /* ecdsa-p256 ... */
    bool ec;
    unsigned bits;           /* curve or modulus bits */
    int curve_nid;           /* EC only */
    const char *ec_group;    /* EC: OpenSSL group name */
    CK_MECHANISM_TYPE ckm;   /* CKM_ECDSA, CKM_RSA_PKCS, CKM_RSA_PKCS_PSS */
    bool pss;
    const EVP_MD *(*md)(void); /* the digest the product computes before signing */
    size_t digest_len;
    size_t sig_len;          /* EC: 2 * field bytes (raw r||s from PKCS#11); RSA: modulus bytes */
} bench_mech;

const bench_mech *bench_mech_find(const char *name);
/* The DigestInfo prefix for SHA-256/384 (CKM_RSA_PKCS input = prefix || digest). */
const uint8_t *bench_digestinfo_prefix(const bench_mech *m, size_t *len);

/* ---- options (args.c) ----------------------------------------------------------------------- */

typedef struct {
    const char *module;
    const char *tokens[BENCH_MAX_TOKENS];
    unsigned n_tokens;
    unsigned slots;          /* --slots N: the first N initialised tokens (0: not given) */
    const char *pin;
    const bench_mech *mech;
    unsigned threads;
    double duration;         /* seconds (0: use ops) */
    uint64_t ops;            /* total signatures (0: use duration) */
    double rate;             /* --rate: signatures per second offered in all (0: back to back) */
    unsigned verify_every;   /* keep 1 in N signatures for verifying (and each thread's first, last) */
    unsigned warmup;         /* untimed signatures per thread before the clock starts */
    unsigned repeat;         /* runs per target; the best one is reported */
    bool compare;            /* also SoftHSMv2 and raw libcrypto */
    bool json;
    const char *softhsm_module;
    bool no_sigil;           /* --compare-only: only the reference targets */
} bench_opts;

/* Parses argv. 0 ok, 1 --help printed, -1 error (message printed). */
int bench_parse_args(int argc, char **argv, bench_opts *o);

/* ---- targets -------------------------------------------------------------------------------- */

/* One thing that signs: a PKCS#11 module's tokens, or raw libcrypto. */
typedef struct bench_target bench_target;
struct bench_target {
    const char *name;        /* "sigil", "softhsm2", "openssl" */
    const char *detail;      /* e.g. the module path, "OpenSSL 3.0.x" */
    unsigned n_keys;         /* thread i signs with key i % n_keys */
    EVP_PKEY *pub[BENCH_MAX_TOKENS];
    bool raw_ecdsa;          /* ECDSA signatures come as r||s (PKCS#11) rather than DER */
    /* Per thread: open what the thread needs (a session). 0 ok. */
    int (*thread_init)(bench_target *t, unsigned idx, void **tctx, char *err, size_t errlen);
    /* One signature over digest. 0 ok; else err says what failed. */
    int (*sign)(void *tctx, const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *sig_len, char *err,
                size_t errlen);
    void (*thread_done)(void *tctx);
    void *impl;
    const bench_mech *mech;
};

/* ---- p11.c ---------------------------------------------------------------------------------- */

typedef struct p11_target p11_target;

/* Loads the module, finds the tokens (by label, or the first `slots` initialised ones, or the
 * first one), logs in with pin to each, finds or creates the key "sigil-bench-<mech>" on each.
 * Keeps a session per token open (and logged in) until p11_target_close. 0 ok. */
int p11_target_open(const char *name, const char *module, const char *const *labels, unsigned n_labels,
                    unsigned slots, const char *pin, const bench_mech *mech, bench_target *out, char *err,
                    size_t errlen);
void p11_target_close(bench_target *t);
const char *p11_rv_name(CK_RV rv);
/* A token label as PKCS#11 wants it: 32 bytes, blank padded. */
void p11_pad_label(const char *label, CK_UTF8CHAR out[32]);

/* ---- softhsm.c ------------------------------------------------------------------------------ */

typedef struct {
    char dir[256];           /* the temporary directory */
    char conf[300];          /* its softhsm2.conf */
    char *labels[BENCH_MAX_TOKENS];
    unsigned n;
    char pin[32];
} softhsm_store;

/* Makes a temporary token directory with n tokens (labels bench-0 ...) and their user PIN,
 * sets SOFTHSM2_CONF for this process. 0 ok. */
int softhsm_store_create(const char *module, unsigned n, softhsm_store *s, char *err, size_t errlen);
/* Removes the directory. */
void softhsm_store_destroy(softhsm_store *s);

/* ---- openssl.c ------------------------------------------------------------------------------ */

/* Raw in-process libcrypto: n_keys keys of the mechanism's type, each thread with its own copy
 * of its key and its own long-lived signing context (the best libcrypto can do). 0 ok. */
int openssl_target_open(const bench_mech *mech, unsigned n_keys, bench_target *out, char *err, size_t errlen);
void openssl_target_close(bench_target *t);

/* ---- workload.c ----------------------------------------------------------------------------- */

typedef struct {
    unsigned key;
    uint8_t digest[64];
    uint8_t sig[BENCH_MAX_SIG];
    size_t sig_len;
} bench_sample;

typedef struct {
    const char *target;
    unsigned threads;
    uint64_t ops;            /* timed signatures */
    uint64_t errors;         /* failed signature calls */
    double seconds;          /* wall time of the timed part */
    uint64_t *lat_ns;        /* every timed signature's latency */
    size_t n_lat;
    bench_sample *samples;
    size_t n_samples;
    uint64_t verified;
    uint64_t verify_failures;
    char first_error[BENCH_ERR_LEN];
    /* derived by bench_stats_compute */
    double per_s, per_hour, p50_ms, p99_ms, max_ms, mean_ms;
} bench_result;

/* Runs the workload of o against t. 0 when it ran (errors are counted in r). */
int bench_run(const bench_opts *o, bench_target *t, bench_result *r, char *err, size_t errlen);
void bench_result_free(bench_result *r);

/* ---- verify.c ------------------------------------------------------------------------------- */

/* Verifies r's samples against t's public keys; fills r->verified and r->verify_failures. */
void bench_verify(const bench_target *t, bench_result *r);

/* ---- stats.c -------------------------------------------------------------------------------- */

void bench_stats_compute(bench_result *r);
void bench_report_text(const bench_opts *o, bench_result *const *rs, unsigned n);
void bench_report_json(const bench_opts *o, bench_result *const *rs, unsigned n, const char *const *details);

#endif
