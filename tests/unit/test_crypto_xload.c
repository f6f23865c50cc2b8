/* test_crypto_xload.c — key blobs cross backends, and the backends sign alike.
 *
 * The two backends define the same symbols, so they never share a process;
 * this program is built once per backend (crypto.cmake) and run in two steps,
 * which is also how an appliance changes backend: the blobs one build wrote are
 * read by the other.
 *
 *   test_crypto_xload_<a> write DIR   generates a key of every kind with backend a
 *                                     and writes, per kind, the private key blob,
 *                                     the exported public half and signatures of
 *                                     fixed inputs (ECDSA; PKCS#1 v1.5; PSS).
 *   test_crypto_xload_<b> check DIR   loads those blobs with backend b (CMocka
 *                                     tests): the public half b exports is a's;
 *                                     b's PKCS#1 v1.5 signatures (deterministic)
 *                                     equal a's byte for byte; b's ECDSA and PSS
 *                                     signatures (randomised) and a's all verify
 *                                     with OpenSSL under a's exported public key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "test_crypto_util.h"

#define KIND_COUNT 5
#define MAX_FILE 8192

static const struct {
    sigil_key_kind kind;
    const char *name;
} kinds[KIND_COUNT] = {
    {SIGIL_KEY_KIND_EC_P256, "ec-p256"},     {SIGIL_KEY_KIND_EC_P384, "ec-p384"},
    {SIGIL_KEY_KIND_RSA_2048, "rsa-2048"}, {SIGIL_KEY_KIND_RSA_3072, "rsa-3072"},
    {SIGIL_KEY_KIND_RSA_4096, "rsa-4096"},
};

static const sigil_sig_params ecdsa = {.scheme = SIGIL_SIG_ECDSA};
static const sigil_sig_params pkcs1 = {.scheme = SIGIL_SIG_RSA_PKCS1};
static const sigil_sig_params pss = {
    .scheme = SIGIL_SIG_RSA_PSS, .pss_hash = SIGIL_HASH_SHA256, .pss_salt_len = 32};

static const char *dir;

/* The fixed inputs: a SHA-256 digest and its DigestInfo block. */
static uint8_t digest[32];
static uint8_t digest_info[TC_SHA256_DIGEST_INFO_LEN];

static void inputs_init(void)
{
    static const char msg[] = "Sigil cross-backend signing input v1";
    tc_sha256_digest_info((const uint8_t *)msg, sizeof msg - 1, digest_info);
    memcpy(digest, digest_info + TC_SHA256_DIGEST_INFO_LEN - 32, 32);
}

static int file_write(const char *kind, const char *what, const uint8_t *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, kind, what);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static size_t file_read(const char *kind, const char *what, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, kind, what);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (did the write step run?)", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    if (n == 0 || n == cap)
        fail_msg("%s: empty or too large", path);
    return n;
}

/* ---- write ---- */

static int sign_to_file(sigil_crypto_key *key, const char *kind, const char *what,
                        const sigil_sig_params *params, const uint8_t *in, size_t in_len)
{
    uint8_t sig[SIGIL_CRYPTO_MAX_SIG];
    size_t sig_len = 0;
    if (sigil_crypto_sign(key, params, in, in_len, sig, sizeof sig, &sig_len) != SIGIL_ST_OK)
        return -1;
    return file_write(kind, what, sig, sig_len);
}

static int do_write(void)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    if (sigil_crypto_init(tc_entropy_getrandom, NULL) != SIGIL_ST_OK)
        return 1;
    for (size_t i = 0; i < KIND_COUNT; i++) {
        static uint8_t der[SIGIL_CRYPTO_MAX_PRIV_DER];
        size_t der_len = 0;
        sigil_crypto_pub pub;
        sigil_crypto_key *key = NULL;
        const char *k = kinds[i].name;
        int bad = sigil_crypto_keygen(kinds[i].kind, der, sizeof der, &der_len, &pub) !=
                      SIGIL_ST_OK ||
                  sigil_crypto_key_load(kinds[i].kind, der, der_len, &key) != SIGIL_ST_OK ||
                  file_write(k, "der", der, der_len) != 0 ||
                  file_write(k, "pub-a", pub.a, pub.a_len) != 0 ||
                  file_write(k, "pub-b", pub.b, pub.b_len) != 0;
        if (!bad && tc_kind_is_ec(kinds[i].kind))
            bad = sign_to_file(key, k, "ecdsa", &ecdsa, digest, sizeof digest) != 0;
        else if (!bad)
            bad = sign_to_file(key, k, "pkcs1", &pkcs1, digest_info, sizeof digest_info) != 0 ||
                  sign_to_file(key, k, "pss", &pss, digest, sizeof digest) != 0;
        sigil_crypto_key_free(key);
        if (bad) {
            fprintf(stderr, "%s: keygen, load, sign or write failed\n", k);
            return 1;
        }
    }
    if (file_write("backend", "name", (const uint8_t *)sigil_crypto_backend_name(),
                   strlen(sigil_crypto_backend_name())) != 0)
        return 1;
    sigil_crypto_shutdown();
    printf("%s wrote key blobs and signatures of %d kinds to %s\n", sigil_crypto_backend_name(),
           KIND_COUNT, dir);
    return 0;
}

/* ---- check ---- */

static int group_setup(void **state)
{
    (void)state;
    return sigil_crypto_init(tc_entropy_getrandom, NULL) == SIGIL_ST_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    sigil_crypto_shutdown();
    return 0;
}

/* OpenSSL verifies the writer's signature file over in. */
static void check_their_sig(EVP_PKEY *pkey, const char *k, const char *what,
                            const sigil_sig_params *params, const uint8_t *in, size_t in_len,
                            uint8_t *sig, size_t *sig_len)
{
    *sig_len = file_read(k, what, sig, SIGIL_CRYPTO_MAX_SIG + 1);
    if (!tc_openssl_verify(pkey, params, in, in_len, sig, *sig_len))
        fail_msg("%s: the writer's %s signature does not verify", k, what);
}

static void test_load_and_sign(void **state)
{
    size_t i = (size_t)(uintptr_t)*state;
    const char *k = kinds[i].name;
    static uint8_t der[MAX_FILE];
    uint8_t theirs[SIGIL_CRYPTO_MAX_SIG + 1], ours[SIGIL_CRYPTO_MAX_SIG];
    size_t their_len = 0, our_len = 0;
    sigil_crypto_pub their_pub, pub;
    sigil_crypto_key *key = NULL;

    memset(&their_pub, 0, sizeof their_pub);
    size_t der_len = file_read(k, "der", der, sizeof der);
    their_pub.a_len = file_read(k, "pub-a", their_pub.a, sizeof their_pub.a + 1);
    their_pub.b_len = file_read(k, "pub-b", their_pub.b, sizeof their_pub.b + 1);
    EVP_PKEY *ossl = tc_pkey_from_pub(kinds[i].kind, &their_pub);
    assert_non_null(ossl);

    /* This backend loads the other's blob and exports the same public half. */
    assert_int_equal(sigil_crypto_key_load(kinds[i].kind, der, der_len, &key), SIGIL_ST_OK);
    assert_int_equal(sigil_crypto_key_public(key, &pub), SIGIL_ST_OK);
    assert_int_equal(pub.a_len, their_pub.a_len);
    assert_memory_equal(pub.a, their_pub.a, pub.a_len);
    assert_int_equal(pub.b_len, their_pub.b_len);
    assert_memory_equal(pub.b, their_pub.b, pub.b_len);
    assert_int_equal(pub.bits, (uint32_t)EVP_PKEY_get_bits(ossl));

    if (tc_kind_is_ec(kinds[i].kind)) {
        check_their_sig(ossl, k, "ecdsa", &ecdsa, digest, sizeof digest, theirs, &their_len);
        assert_int_equal(sigil_crypto_sign(key, &ecdsa, digest, sizeof digest, ours, sizeof ours,
                                           &our_len),
                         SIGIL_ST_OK);
        assert_int_equal(our_len, their_len);
        assert_true(tc_openssl_verify(ossl, &ecdsa, digest, sizeof digest, ours, our_len));
    } else {
        /* PKCS#1 v1.5 is deterministic: the same key signs the same bytes in both. */
        check_their_sig(ossl, k, "pkcs1", &pkcs1, digest_info, sizeof digest_info, theirs,
                        &their_len);
        assert_int_equal(sigil_crypto_sign(key, &pkcs1, digest_info, sizeof digest_info, ours,
                                           sizeof ours, &our_len),
                         SIGIL_ST_OK);
        assert_int_equal(our_len, their_len);
        assert_memory_equal(ours, theirs, our_len);
        /* PSS is randomised: both verify. */
        check_their_sig(ossl, k, "pss", &pss, digest, sizeof digest, theirs, &their_len);
        assert_int_equal(sigil_crypto_sign(key, &pss, digest, sizeof digest, ours, sizeof ours,
                                           &our_len),
                         SIGIL_ST_OK);
        assert_int_equal(our_len, their_len);
        assert_true(tc_openssl_verify(ossl, &pss, digest, sizeof digest, ours, our_len));
    }
    sigil_crypto_key_free(key);
    EVP_PKEY_free(ossl);
}

static int do_check(void)
{
    uint8_t name[128];
    size_t n = file_read("backend", "name", name, sizeof name - 1);
    name[n] = '\0';
    char title[256];
    snprintf(title, sizeof title, "crypto blobs of %s loaded by the " TC_BACKEND " backend",
             (const char *)name);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_load_and_sign, (void *)(uintptr_t)0),
        cmocka_unit_test_prestate(test_load_and_sign, (void *)(uintptr_t)1),
        cmocka_unit_test_prestate(test_load_and_sign, (void *)(uintptr_t)2),
        cmocka_unit_test_prestate(test_load_and_sign, (void *)(uintptr_t)3),
        cmocka_unit_test_prestate(test_load_and_sign, (void *)(uintptr_t)4),
    };
    return _cmocka_run_group_tests(title, tests, sizeof tests / sizeof tests[0], group_setup,
                                   group_teardown);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
        fprintf(stderr, "usage: %s write|check DIR\n", argv[0]);
        return 2;
    }
    dir = argv[2];
    inputs_init();
    return strcmp(argv[1], "write") == 0 ? do_write() : do_check();
}
