/* concurrent_sign — two seals signing at the same time from several threads.
 *
 *   concurrent_sign MODULE LABEL_A LABEL_B [N]      (user PIN in $SIGIL_TEST_USER_PIN)
 *
 * Loads the PKCS#11 module, logs in to the seals labelled LABEL_A and LABEL_B, generates an
 * EC P-256 key on A and an RSA-2048 key on B, checks that the private values are sensitive,
 * then runs 4 threads per seal, each with its own session, each making N (default 200)
 * signatures — CKM_ECDSA_SHA256 on A, CKM_SHA256_RSA_PKCS on B; one in four goes through
 * C_SignUpdate/C_SignFinal, one in two asks for the length first — and verifies every
 * signature with OpenSSL against the public key read with C_GetAttributeValue.
 * Exits nonzero on any failure. Prints the counts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "p11_util.h"

#define THREADS_PER_SEAL 4
#define MAX_ERRORS_SHOWN 10

typedef struct {
    const char *name;  /* "A" */
    const char *label; /* token label */
    const char *what;  /* "EC P-256, CKM_ECDSA_SHA256" */
    CK_KEY_TYPE key_type;
    CK_MECHANISM_TYPE mech;
    unsigned char id[8];
    size_t id_len;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE setup;
    EVP_PKEY *pub;
    atomic_long signed_ok;
    atomic_long verified;
    atomic_long failed;
} seal;

typedef struct {
    seal *s;
    int index;
} worker_arg;

static CK_FUNCTION_LIST_PTR p11;
static int iterations = 200;
static atomic_int errors_shown;

static void report(const seal *s, int thread, int i, const char *what, CK_RV rv)
{
    if (atomic_fetch_add(&errors_shown, 1) < MAX_ERRORS_SHOWN)
        fprintf(stderr, "seal %s thread %d signature %d: %s%s%s\n", s->name, thread, i, what, rv != CKR_OK ? ": " : "",
                rv != CKR_OK ? p11u_rv_name(rv) : "");
}

static int verify(const seal *s, const unsigned char *msg, size_t msg_len, const unsigned char *sig, size_t sig_len)
{
    unsigned char der[256];
    const unsigned char *v = sig;
    size_t v_len = sig_len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    if (md == NULL)
        return 0;
    if (s->key_type == CKK_EC) {
        /* PKCS#11 ECDSA signatures are r||s; OpenSSL verifies DER. */
        if (sig_len != 64) {
            EVP_MD_CTX_free(md);
            return 0;
        }
        v_len = p11u_ecdsa_raw_to_der(sig, sig_len, der, sizeof der);
        v = der;
    }
    ok = v_len > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, s->pub) == 1 &&
         EVP_DigestVerify(md, v, v_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static void *worker(void *argp)
{
    worker_arg *arg = argp;
    seal *s = arg->s;
    CK_SESSION_HANDLE sess;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech = {s->mech, NULL, 0};
    CK_RV rv = p11->C_OpenSession(s->slot, CKF_SERIAL_SESSION, NULL, NULL, &sess);

    if (rv != CKR_OK) {
        report(s, arg->index, -1, "C_OpenSession", rv);
        atomic_fetch_add(&s->failed, iterations);
        return NULL;
    }
    key = p11u_find_key(p11, sess, CKO_PRIVATE_KEY, s->id, s->id_len);
    if (key == CK_INVALID_HANDLE) {
        report(s, arg->index, -1, "private key not found from the thread's session", CKR_OK);
        atomic_fetch_add(&s->failed, iterations);
        (void)p11->C_CloseSession(sess);
        return NULL;
    }
    for (int i = 0; i < iterations; i++) {
        unsigned char msg[96];
        unsigned char sig[512];
        CK_ULONG sig_len = sizeof sig;
        int multipart = i % 4 == 3;
        int ask_length = i % 2 == 0;

        if (RAND_bytes(msg, sizeof msg) != 1) {
            report(s, arg->index, i, "RAND_bytes", CKR_OK);
            atomic_fetch_add(&s->failed, 1);
            continue;
        }
        {
            char tag[48];
            int n = snprintf(tag, sizeof tag, "seal %s thread %d #%d", s->name, arg->index, i);
            if (n > 0)
                memcpy(msg, tag, (size_t)n < sizeof tag ? (size_t)n : sizeof tag - 1);
        }
        rv = p11->C_SignInit(sess, &mech, key);
        if (rv != CKR_OK) {
            report(s, arg->index, i, "C_SignInit", rv);
            atomic_fetch_add(&s->failed, 1);
            continue;
        }
        if (multipart) {
            rv = p11->C_SignUpdate(sess, msg, 40);
            if (rv == CKR_OK)
                rv = p11->C_SignUpdate(sess, msg + 40, sizeof msg - 40);
            if (rv == CKR_OK && ask_length) {
                CK_ULONG need = 0;
                rv = p11->C_SignFinal(sess, NULL, &need);
                if (rv == CKR_OK && (need == 0 || need > sizeof sig))
                    rv = CKR_GENERAL_ERROR;
                sig_len = need;
            }
            if (rv == CKR_OK)
                rv = p11->C_SignFinal(sess, sig, &sig_len);
        } else {
            if (ask_length) {
                CK_ULONG need = 0;
                rv = p11->C_Sign(sess, msg, sizeof msg, NULL, &need);
                if (rv == CKR_OK && (need == 0 || need > sizeof sig))
                    rv = CKR_GENERAL_ERROR;
                sig_len = need;
            }
            if (rv == CKR_OK)
                rv = p11->C_Sign(sess, msg, sizeof msg, sig, &sig_len);
        }
        if (rv != CKR_OK) {
            report(s, arg->index, i, multipart ? "C_SignUpdate/C_SignFinal" : "C_Sign", rv);
            atomic_fetch_add(&s->failed, 1);
            continue;
        }
        atomic_fetch_add(&s->signed_ok, 1);
        if (!verify(s, msg, sizeof msg, sig, sig_len)) {
            report(s, arg->index, i, "OpenSSL does not verify the signature", CKR_OK);
            atomic_fetch_add(&s->failed, 1);
            continue;
        }
        atomic_fetch_add(&s->verified, 1);
    }
    rv = p11->C_CloseSession(sess);
    if (rv != CKR_OK) {
        report(s, arg->index, -1, "C_CloseSession", rv);
        atomic_fetch_add(&s->failed, 1);
    }
    return NULL;
}

/* The private value of a generated key must not be readable. */
static int check_sensitive(seal *s, CK_OBJECT_HANDLE priv)
{
    const CK_ATTRIBUTE_TYPE ec_secret[] = {CKA_VALUE};
    const CK_ATTRIBUTE_TYPE rsa_secret[] = {CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
                                            CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT};
    const CK_ATTRIBUTE_TYPE *list = s->key_type == CKK_EC ? ec_secret : rsa_secret;
    size_t n = s->key_type == CKK_EC ? 1 : 6;
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
    CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                            {CKA_EXTRACTABLE, &extractable, sizeof extractable}};
    int ok = 1;
    CK_RV rv;

    for (size_t i = 0; i < n; i++) {
        unsigned char buf[1024];
        CK_ATTRIBUTE a = {list[i], buf, sizeof buf};
        rv = p11->C_GetAttributeValue(s->setup, priv, &a, 1);
        if (rv != CKR_ATTRIBUTE_SENSITIVE || a.ulValueLen != CK_UNAVAILABLE_INFORMATION) {
            fprintf(stderr, "seal %s: private attribute 0x%lx answered %s (length %ld), expected CKR_ATTRIBUTE_SENSITIVE\n",
                    s->name, (unsigned long)list[i], p11u_rv_name(rv), (long)a.ulValueLen);
            ok = 0;
        }
    }
    rv = p11->C_GetAttributeValue(s->setup, priv, flags, 2);
    if (rv != CKR_OK || sensitive != CK_TRUE || extractable != CK_FALSE) {
        fprintf(stderr, "seal %s: CKA_SENSITIVE/CKA_EXTRACTABLE: %s, %d/%d (expected true/false)\n", s->name,
                p11u_rv_name(rv), sensitive, extractable);
        ok = 0;
    }
    if (ok)
        printf("seal %s: private key value is not readable (CKR_ATTRIBUTE_SENSITIVE)\n", s->name);
    return ok;
}

static int setup(seal *s, const char *pin)
{
    static const unsigned char p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG bits = 2048;
    unsigned char e65537[] = {0x01, 0x00, 0x01};
    CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_MECHANISM rsa_gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE ec_pub[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_EC_PARAMS, (void *)p256_oid, sizeof p256_oid},
        {CKA_ID, s->id, s->id_len},
        {CKA_LABEL, (void *)"concurrent", 10},
    };
    CK_ATTRIBUTE rsa_pub[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_MODULUS_BITS, &bits, sizeof bits},
        {CKA_PUBLIC_EXPONENT, e65537, sizeof e65537},
        {CKA_ID, s->id, s->id_len},
        {CKA_LABEL, (void *)"concurrent", 10},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_ID, s->id, s->id_len},
        {CKA_LABEL, (void *)"concurrent", 10},
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv;
    int is_ec = s->key_type == CKK_EC;

    if (p11u_find_slot(p11, s->label, &s->slot) != 0)
        return 0;
    rv = p11->C_OpenSession(s->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s->setup);
    if (rv != CKR_OK) {
        fprintf(stderr, "seal %s: C_OpenSession: %s\n", s->name, p11u_rv_name(rv));
        return 0;
    }
    rv = p11->C_Login(s->setup, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    if (rv != CKR_OK) {
        fprintf(stderr, "seal %s: C_Login: %s\n", s->name, p11u_rv_name(rv));
        return 0;
    }
    rv = p11->C_GenerateKeyPair(s->setup, is_ec ? &ec_gen : &rsa_gen, is_ec ? ec_pub : rsa_pub,
                                is_ec ? sizeof ec_pub / sizeof ec_pub[0] : sizeof rsa_pub / sizeof rsa_pub[0], priv,
                                sizeof priv / sizeof priv[0], &hpub, &hpriv);
    if (rv != CKR_OK) {
        fprintf(stderr, "seal %s: C_GenerateKeyPair: %s\n", s->name, p11u_rv_name(rv));
        return 0;
    }
    s->pub = p11u_public_key(p11, s->setup, hpub);
    if (s->pub == NULL) {
        fprintf(stderr, "seal %s: cannot read the public key\n", s->name);
        return 0;
    }
    return check_sensitive(s, hpriv);
}

int main(int argc, char **argv)
{
    const char *pin = getenv("SIGIL_TEST_USER_PIN");
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
    void *handle = NULL;
    seal seals[2] = {
        {.name = "A", .what = "EC P-256, CKM_ECDSA_SHA256", .key_type = CKK_EC, .mech = CKM_ECDSA_SHA256,
         .id = "cs-ec", .id_len = 5},
        {.name = "B", .what = "RSA-2048, CKM_SHA256_RSA_PKCS", .key_type = CKK_RSA, .mech = CKM_SHA256_RSA_PKCS,
         .id = "cs-rsa", .id_len = 6},
    };
    pthread_t threads[2 * THREADS_PER_SEAL];
    worker_arg args[2 * THREADS_PER_SEAL];
    struct timespec t0, t1;
    long total_failed = 0;
    double secs;
    CK_RV rv;

    if (argc < 4 || argc > 5 || pin == NULL) {
        fprintf(stderr, "usage: SIGIL_TEST_USER_PIN=PIN concurrent_sign MODULE LABEL_A LABEL_B [N]\n");
        return 2;
    }
    seals[0].label = argv[2];
    seals[1].label = argv[3];
    if (argc == 5)
        iterations = atoi(argv[4]);
    if (iterations <= 0) {
        fprintf(stderr, "N must be positive\n");
        return 2;
    }
    p11 = p11u_load(argv[1], &handle);
    if (p11 == NULL)
        return 1;
    rv = p11->C_Initialize(&init);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_Initialize: %s\n", p11u_rv_name(rv));
        return 1;
    }
    for (int k = 0; k < 2; k++) {
        atomic_init(&seals[k].signed_ok, 0);
        atomic_init(&seals[k].verified, 0);
        atomic_init(&seals[k].failed, 0);
        if (!setup(&seals[k], pin)) {
            ERR_print_errors_fp(stderr);
            (void)p11->C_Finalize(NULL);
            return 1;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < 2 * THREADS_PER_SEAL; t++) {
        args[t] = (worker_arg){.s = &seals[t % 2], .index = t / 2};
        if (pthread_create(&threads[t], NULL, worker, &args[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    for (int t = 0; t < 2 * THREADS_PER_SEAL; t++)
        pthread_join(threads[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    for (int k = 0; k < 2; k++) {
        seal *s = &seals[k];
        long want = (long)THREADS_PER_SEAL * iterations;
        long ok = atomic_load(&s->verified);
        long failed = atomic_load(&s->failed);
        printf("seal %s (%s) '%s': %d threads x %d = %ld signatures: %ld signed, %ld verified, %ld failed\n", s->name,
               s->what, s->label, THREADS_PER_SEAL, iterations, want, atomic_load(&s->signed_ok), ok, failed);
        if (ok != want || failed != 0)
            total_failed += failed > 0 ? failed : want - ok;
        (void)p11->C_CloseSession(s->setup);
        EVP_PKEY_free(s->pub);
    }
    printf("%.2f s, %.0f signatures/s over both seals\n", secs,
           secs > 0 ? (double)(2L * THREADS_PER_SEAL * iterations) / secs : 0.0);
    rv = p11->C_Finalize(NULL);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_Finalize: %s\n", p11u_rv_name(rv));
        total_failed++;
    }
    if (total_failed != 0) {
        printf("FAILED: %ld signatures failed or did not verify\n", total_failed);
        return 1;
    }
    printf("all signatures verified\n");
    return 0;
}
