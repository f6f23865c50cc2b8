/* openssl.c — the raw libcrypto target: the machine's limit for the same signatures.
 *
 * The keys are generated in-process. Each thread gets its own copy of its key (so RSA blinding
 * and EC precomputation are not shared between threads) and one long-lived EVP_PKEY_CTX set up
 * once; a signature is then a single EVP_PKEY_sign over the digest, with OpenSSL building the
 * DigestInfo (PKCS#1 v1.5) or the PSS encoding itself — the same work a token does, with no
 * token, no IPC and no PKCS#11 layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "bench.h"

typedef struct {
    EVP_PKEY *key;
    EVP_PKEY_CTX *ctx;
} ossl_thread;

static EVP_PKEY *generate(const bench_mech *m)
{
    if (m->ec)
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", m->ec_group);
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)m->bits);
}

static int ossl_thread_init(bench_target *t, unsigned idx, void **tctx, char *err, size_t errlen)
{
    const bench_mech *m = t->mech;
    ossl_thread *th = calloc(1, sizeof(*th));
    if (th == NULL)
        goto fail;
    th->key = EVP_PKEY_dup(t->pub[idx % t->n_keys]);
    th->ctx = th->key != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, th->key, NULL) : NULL;
    if (th->ctx == NULL || EVP_PKEY_sign_init(th->ctx) <= 0)
        goto fail;
    if (!m->ec) {
        int pad = m->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
        if (EVP_PKEY_CTX_set_rsa_padding(th->ctx, pad) <= 0 || EVP_PKEY_CTX_set_signature_md(th->ctx, m->md()) <= 0)
            goto fail;
        if (m->pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(th->ctx, m->md()) <= 0 ||
                       EVP_PKEY_CTX_set_rsa_pss_saltlen(th->ctx, 32) <= 0))
            goto fail;
    }
    *tctx = th;
    return 0;
fail:
    snprintf(err, errlen, "OpenSSL: cannot set up a signing context");
    if (th != NULL) {
        EVP_PKEY_CTX_free(th->ctx);
        EVP_PKEY_free(th->key);
        free(th);
    }
    return -1;
}

static int ossl_sign(void *tctx, const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *sig_len, char *err,
                     size_t errlen)
{
    ossl_thread *th = tctx;
    size_t n = BENCH_MAX_SIG;
    if (EVP_PKEY_sign(th->ctx, sig, &n, digest, digest_len) <= 0) {
        snprintf(err, errlen, "EVP_PKEY_sign failed");
        return -1;
    }
    *sig_len = n;
    return 0;
}

static void ossl_thread_done(void *tctx)
{
    ossl_thread *th = tctx;
    if (th == NULL)
        return;
    EVP_PKEY_CTX_free(th->ctx);
    EVP_PKEY_free(th->key);
    free(th);
}

int openssl_target_open(const bench_mech *mech, unsigned n_keys, bench_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->name = "openssl";
    t->detail = OpenSSL_version(OPENSSL_VERSION);
    t->mech = mech;
    t->raw_ecdsa = false; /* DER from EVP_PKEY_sign */
    t->thread_init = ossl_thread_init;
    t->sign = ossl_sign;
    t->thread_done = ossl_thread_done;
    if (n_keys == 0)
        n_keys = 1;
    for (unsigned i = 0; i < n_keys; i++) {
        t->pub[i] = generate(mech);
        if (t->pub[i] == NULL) {
            snprintf(err, errlen, "OpenSSL: cannot generate a %s key", mech->name);
            openssl_target_close(t);
            return -1;
        }
        t->n_keys = i + 1;
    }
    return 0;
}

void openssl_target_close(bench_target *t)
{
    for (unsigned i = 0; i < BENCH_MAX_TOKENS; i++) {
        EVP_PKEY_free(t->pub[i]);
        t->pub[i] = NULL;
    }
    t->n_keys = 0;
}
