/* test_module_verify.c — C_Verify* and C_Digest* in the module (OpenSSL), over the fake appliance:
 * signatures made by OpenSSL verify, tampered ones do not, lengths, key rules, multi-part, the
 * operation life cycle, length queries for digests, and no round trip for either. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "fake_appliance.h"
#include "test_hooks.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

static CK_SESSION_HANDLE g_h;
static CK_BYTE g_msg[] = "a document to seal and check, longer than one hash block? no, but enough";
static CK_OBJECT_CLASS g_pub = CKO_PUBLIC_KEY;
static CK_KEY_TYPE g_ec = CKK_EC, g_rsa = CKK_RSA;
static CK_BYTE g_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static CK_BYTE g_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

static int setup(void **state)
{
    (void)state;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fake.sock", 1);
    fake_appliance_reset();
    sigil_module_test_set_transport(&fake_appliance_ops, NULL);
    if (C_Initialize(NULL) != CKR_OK)
        return -1;
    return C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &g_h) == CKR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    (void)C_Finalize(NULL);
    return 0;
}

/* Requests of every kind the fake saw: verification and digests must add none. */
static unsigned requests(void)
{
    unsigned n = 0;
    for (uint16_t op = 0; op < 0x100; op++)
        n += fake_appliance_count(op);
    return n;
}

/* A session public key object for an OpenSSL key (token: on the appliance). */
static CK_OBJECT_HANDLE import_pub(EVP_PKEY *k, bool token)
{
    CK_OBJECT_HANDLE h = 0;
    CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
        uint8_t point[200];
        size_t n = 0;
        assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &n), 1);
        bool p384 = EVP_PKEY_get_bits(k) == 384;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                            {CKA_EC_PARAMS, p384 ? g_p384 : g_p256, p384 ? sizeof(g_p384) : sizeof(g_p256)},
                            {CKA_EC_POINT, point, n}, {CKA_TOKEN, &tok, 1}};
        assert_int_equal(C_CreateObject(g_h, t, 5, &h), CKR_OK);
    } else {
        BIGNUM *bn_n = NULL, *bn_e = NULL;
        uint8_t mod[512], exp[8];
        assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn_n), 1);
        assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &bn_e), 1);
        int mlen = BN_bn2bin(bn_n, mod), elen = BN_bn2bin(bn_e, exp);
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_rsa, sizeof(g_rsa)},
                            {CKA_MODULUS, mod, (CK_ULONG)mlen}, {CKA_PUBLIC_EXPONENT, exp, (CK_ULONG)elen},
                            {CKA_TOKEN, &tok, 1}};
        assert_int_equal(C_CreateObject(g_h, t, 5, &h), CKR_OK);
        BN_free(bn_n);
        BN_free(bn_e);
    }
    return h;
}

/* DER ECDSA-Sig-Value -> r||s of n bytes each. */
static size_t der_to_raw(const uint8_t *der, size_t len, size_t n, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    assert_non_null(s);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(s), out, (int)n), (int)n);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(s), out + n, (int)n), (int)n);
    ECDSA_SIG_free(s);
    return 2 * n;
}

/* OpenSSL signature over msg: md NULL means msg is already the input (digest / block). */
static size_t ossl_sign(EVP_PKEY *k, const EVP_MD *md, int pad, int salt, const uint8_t *msg, size_t len,
                        uint8_t *sig, size_t cap)
{
    uint8_t der[1024];
    size_t n = sizeof(der);
    EVP_PKEY_CTX *pctx = NULL;
    bool ec = EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
    if (md != NULL) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, k), 1);
        if (!ec) {
            assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, pad), 1);
            if (pad == RSA_PKCS1_PSS_PADDING)
                assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
        }
        assert_int_equal(EVP_DigestSign(ctx, der, &n, msg, len), 1);
        EVP_MD_CTX_free(ctx);
    } else {
        pctx = EVP_PKEY_CTX_new(k, NULL);
        assert_int_equal(EVP_PKEY_sign_init(pctx), 1);
        if (!ec) {
            assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, pad), 1);
            if (pad == RSA_PKCS1_PSS_PADDING) {
                assert_int_equal(EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()), 1);
                assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
            }
        }
        assert_int_equal(EVP_PKEY_sign(pctx, der, &n, msg, len), 1);
        EVP_PKEY_CTX_free(pctx);
    }
    if (ec)
        return der_to_raw(der, n, ((size_t)EVP_PKEY_get_bits(k) + 7) / 8, sig);
    assert_true(n <= cap);
    memcpy(sig, der, n);
    return n;
}

static CK_RV verify(CK_MECHANISM *mech, CK_OBJECT_HANDLE key, const uint8_t *data, size_t len, uint8_t *sig,
                    size_t sig_len)
{
    CK_RV rv = C_VerifyInit(g_h, mech, key);
    if (rv != CKR_OK)
        return rv;
    return C_Verify(g_h, (CK_BYTE_PTR)data, (CK_ULONG)len, sig, (CK_ULONG)sig_len);
}

static void test_verify_ec(void **state)
{
    (void)state;
    uint8_t sig[256], digest[32];
    const struct {
        CK_MECHANISM_TYPE mech;
        const EVP_MD *(*md)(void);
    } cases[] = {{CKM_ECDSA_SHA256, EVP_sha256}, {CKM_ECDSA_SHA384, EVP_sha384}, {CKM_ECDSA_SHA512, EVP_sha512},
                 {CKM_ECDSA_SHA1, EVP_sha1},     {CKM_ECDSA_SHA224, EVP_sha224}};
    for (int curve = 0; curve < 2; curve++) {
        EVP_PKEY *k = EVP_EC_gen(curve == 0 ? "P-256" : "P-384");
        assert_non_null(k);
        CK_OBJECT_HANDLE h = import_pub(k, false);
        unsigned before = requests();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            CK_MECHANISM mech = {cases[i].mech, NULL, 0};
            size_t n = ossl_sign(k, cases[i].md(), 0, 0, g_msg, sizeof(g_msg), sig, sizeof(sig));
            assert_int_equal(verify(&mech, h, g_msg, sizeof(g_msg), sig, n), CKR_OK);
            /* The operation ended. */
            assert_int_equal(C_Verify(g_h, g_msg, sizeof(g_msg), sig, n), CKR_OPERATION_NOT_INITIALIZED);
            sig[3] ^= 1;
            assert_int_equal(verify(&mech, h, g_msg, sizeof(g_msg), sig, n), CKR_SIGNATURE_INVALID);
            assert_int_equal(verify(&mech, h, g_msg, sizeof(g_msg), sig, n - 1), CKR_SIGNATURE_LEN_RANGE);
        }
        /* CKM_ECDSA: the data is the digest. */
        CK_MECHANISM raw = {CKM_ECDSA, NULL, 0};
        assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), digest, NULL, EVP_sha256(), NULL), 1);
        size_t n = ossl_sign(k, NULL, 0, 0, digest, sizeof(digest), sig, sizeof(sig));
        assert_int_equal(verify(&raw, h, digest, sizeof(digest), sig, n), CKR_OK);
        assert_int_equal(verify(&raw, h, NULL, 0, sig, n), CKR_DATA_LEN_RANGE);
        assert_int_equal(requests(), before);
        EVP_PKEY_free(k);
    }
}

static void test_verify_rsa(void **state)
{
    (void)state;
    uint8_t sig[512], block[64], digest[32];
    EVP_PKEY *k = EVP_RSA_gen(2048);
    assert_non_null(k);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    CK_OBJECT_HANDLE h = import_pub(k, true); /* a token object: CREATE_OBJECT */
    CK_ULONG bits = 0;
    CK_ATTRIBUTE get_bits[] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, get_bits, 1), CKR_OK); /* (re)loads the cache once */
    assert_int_equal(bits, 2048);
    unsigned before = requests();

    CK_MECHANISM m256 = {CKM_SHA256_RSA_PKCS, NULL, 0}, m1 = {CKM_SHA1_RSA_PKCS, NULL, 0};
    size_t n = ossl_sign(k, EVP_sha256(), RSA_PKCS1_PADDING, 0, g_msg, sizeof(g_msg), sig, sizeof(sig));
    assert_int_equal(n, 256);
    assert_int_equal(verify(&m256, h, g_msg, sizeof(g_msg), sig, n), CKR_OK);
    assert_int_equal(verify(&m1, h, g_msg, sizeof(g_msg), sig, n), CKR_SIGNATURE_INVALID);
    assert_int_equal(verify(&m256, h, g_msg, sizeof(g_msg) - 1, sig, n), CKR_SIGNATURE_INVALID);
    assert_int_equal(verify(&m256, h, g_msg, sizeof(g_msg), sig, n + 1), CKR_SIGNATURE_LEN_RANGE);
    n = ossl_sign(k, EVP_sha1(), RSA_PKCS1_PADDING, 0, g_msg, sizeof(g_msg), sig, sizeof(sig));
    assert_int_equal(verify(&m1, h, g_msg, sizeof(g_msg), sig, n), CKR_OK);

    /* CKM_RSA_PKCS: the block as given (here a DigestInfo). */
    static const uint8_t di[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    memcpy(block, di, sizeof(di));
    assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), block + sizeof(di), NULL, EVP_sha256(), NULL), 1);
    CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0};
    n = ossl_sign(k, NULL, RSA_PKCS1_PADDING, 0, block, sizeof(di) + 32, sig, sizeof(sig));
    assert_int_equal(verify(&raw, h, block, sizeof(di) + 32, sig, n), CKR_OK);
    assert_int_equal(verify(&m256, h, g_msg, sizeof(g_msg), sig, n), CKR_OK); /* the same signature */
    uint8_t big[250] = {0};
    assert_int_equal(verify(&raw, h, big, sizeof(big), sig, n), CKR_DATA_LEN_RANGE);

    /* PSS. */
    CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_RSA_PKCS_PSS_PARAMS pss_bad = {CKM_SHA256, CKG_MGF1_SHA384, 32};
    CK_MECHANISM mpss = {CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
    CK_MECHANISM mpss_bad = {CKM_SHA256_RSA_PKCS_PSS, &pss_bad, sizeof(pss_bad)};
    CK_MECHANISM mpss_none = {CKM_SHA256_RSA_PKCS_PSS, NULL, 0};
    CK_MECHANISM mpss_raw = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
    n = ossl_sign(k, EVP_sha256(), RSA_PKCS1_PSS_PADDING, 32, g_msg, sizeof(g_msg), sig, sizeof(sig));
    assert_int_equal(verify(&mpss, h, g_msg, sizeof(g_msg), sig, n), CKR_OK);
    assert_int_equal(verify(&mpss_bad, h, g_msg, sizeof(g_msg), sig, n), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(verify(&mpss_none, h, g_msg, sizeof(g_msg), sig, n), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), digest, NULL, EVP_sha256(), NULL), 1);
    assert_int_equal(verify(&mpss_raw, h, digest, sizeof(digest), sig, n), CKR_OK);
    assert_int_equal(verify(&mpss_raw, h, digest, 20, sig, n), CKR_DATA_LEN_RANGE);
    sig[10] ^= 0x40;
    assert_int_equal(verify(&mpss, h, g_msg, sizeof(g_msg), sig, n), CKR_SIGNATURE_INVALID);
    assert_int_equal(requests(), before);
    EVP_PKEY_free(k);
}

static void test_verify_multipart(void **state)
{
    (void)state;
    uint8_t sig[256];
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    CK_OBJECT_HANDLE h = import_pub(k, false);
    CK_MECHANISM mech = {CKM_ECDSA_SHA384, NULL, 0};
    size_t n = ossl_sign(k, EVP_sha384(), 0, 0, g_msg, sizeof(g_msg), sig, sizeof(sig));
    assert_int_equal(C_VerifyInit(g_h, &mech, h), CKR_OK);
    assert_int_equal(C_VerifyInit(g_h, &mech, h), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_VerifyUpdate(g_h, g_msg, 10), CKR_OK);
    assert_int_equal(C_VerifyUpdate(g_h, NULL, 0), CKR_OK);
    assert_int_equal(C_Verify(g_h, g_msg, sizeof(g_msg), sig, n), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_VerifyUpdate(g_h, g_msg + 10, sizeof(g_msg) - 10), CKR_OK);
    assert_int_equal(C_VerifyFinal(g_h, NULL, 5), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_VerifyFinal(g_h, sig, n), CKR_OK);
    assert_int_equal(C_VerifyFinal(g_h, sig, n), CKR_OPERATION_NOT_INITIALIZED);
    /* A bad signature at the end ends it too. */
    assert_int_equal(C_VerifyInit(g_h, &mech, h), CKR_OK);
    assert_int_equal(C_VerifyUpdate(g_h, g_msg, sizeof(g_msg)), CKR_OK);
    sig[0] ^= 1;
    assert_int_equal(C_VerifyFinal(g_h, sig, n), CKR_SIGNATURE_INVALID);
    assert_int_equal(C_VerifyUpdate(g_h, g_msg, 1), CKR_OPERATION_NOT_INITIALIZED);
    /* Raw ECDSA accumulates at most 1024 bytes; past that the operation ends. */
    CK_MECHANISM raw = {CKM_ECDSA, NULL, 0};
    uint8_t lots[1025] = {0};
    assert_int_equal(C_VerifyInit(g_h, &raw, h), CKR_OK);
    assert_int_equal(C_VerifyUpdate(g_h, lots, sizeof(lots)), CKR_DATA_LEN_RANGE);
    assert_int_equal(C_VerifyFinal(g_h, sig, n), CKR_OPERATION_NOT_INITIALIZED);
    EVP_PKEY_free(k);
}

static void test_verify_key_rules(void **state)
{
    (void)state;
    CK_MECHANISM ecdsa = {CKM_ECDSA_SHA256, NULL, 0};
    CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_OBJECT_HANDLE hd = 0;
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &data, sizeof(data)}, {CKA_PRIVATE, &no, 1}};
    assert_int_equal(C_CreateObject(g_h, t, 2, &hd), CKR_OK);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    CK_OBJECT_HANDLE h = import_pub(k, false);
    assert_int_equal(C_VerifyInit(g_h, NULL, h), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_VerifyInit(0xbad, &ecdsa, h), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_VerifyInit(g_h, &ecdsa, FAKE_EC_PRIV), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(C_VerifyInit(g_h, &ecdsa, hd), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(C_VerifyInit(g_h, &ecdsa, 4242), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(C_VerifyInit(g_h, &rsa, h), CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(C_VerifyInit(g_h, &sha, h), CKR_MECHANISM_INVALID);
    assert_int_equal(C_Verify(g_h, g_msg, 1, g_msg, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_Verify(g_h, NULL, 1, g_msg, 1), CKR_ARGUMENTS_BAD);
    /* Signing needs a private key: a public key or a data object is refused. */
    assert_int_equal(C_SignInit(g_h, &ecdsa, h), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(C_SignInit(g_h, &ecdsa, hd), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(C_SignInit(g_h, &sha, FAKE_EC_PRIV), CKR_MECHANISM_INVALID);
    /* A verify-only mechanism does not sign. */
    CK_MECHANISM sha1 = {CKM_ECDSA_SHA1, NULL, 0};
    assert_int_equal(C_SignInit(g_h, &sha1, FAKE_EC_PRIV), CKR_MECHANISM_INVALID);
    CK_MECHANISM_INFO mi;
    assert_int_equal(C_GetMechanismInfo(0, CKM_ECDSA_SHA1, &mi), CKR_OK);
    assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_VERIFY);
    assert_int_equal(C_GetMechanismInfo(0, CKM_ECDSA_SHA256, &mi), CKR_OK);
    assert_int_equal(mi.flags & (CKF_SIGN | CKF_VERIFY), CKF_SIGN | CKF_VERIFY);
    assert_int_equal(C_GetMechanismInfo(0, CKM_SHA512, &mi), CKR_OK);
    assert_int_equal(mi.flags, CKF_DIGEST);
    /* Sign and verify operations live side by side in one session. */
    assert_int_equal(C_SignInit(g_h, &ecdsa, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_VerifyInit(g_h, &ecdsa, h), CKR_OK);
    CK_BYTE sig[64];
    CK_ULONG sl = sizeof(sig);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &sl), CKR_OK);
    assert_int_equal(C_Verify(g_h, g_msg, sizeof(g_msg), sig, sl), CKR_SIGNATURE_INVALID); /* fake signature */
    EVP_PKEY_free(k);
}

static void test_digest(void **state)
{
    (void)state;
    const struct {
        CK_MECHANISM_TYPE mech;
        const EVP_MD *(*md)(void);
    } cases[] = {{CKM_SHA_1, EVP_sha1},     {CKM_SHA224, EVP_sha224}, {CKM_SHA256, EVP_sha256},
                 {CKM_SHA384, EVP_sha384}, {CKM_SHA512, EVP_sha512}};
    unsigned before = requests();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CK_MECHANISM mech = {cases[i].mech, NULL, 0};
        uint8_t want[64], got[64];
        unsigned int wn = 0;
        assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), want, &wn, cases[i].md(), NULL), 1);
        /* Single part, with a length query and a too-small buffer first: neither ends it. */
        CK_ULONG n = 0;
        assert_int_equal(C_DigestInit(g_h, &mech), CKR_OK);
        assert_int_equal(C_Digest(g_h, g_msg, sizeof(g_msg), NULL, &n), CKR_OK);
        assert_int_equal(n, wn);
        n = wn - 1;
        assert_int_equal(C_Digest(g_h, g_msg, sizeof(g_msg), got, &n), CKR_BUFFER_TOO_SMALL);
        assert_int_equal(n, wn);
        n = sizeof(got);
        assert_int_equal(C_Digest(g_h, g_msg, sizeof(g_msg), got, &n), CKR_OK);
        assert_int_equal(n, wn);
        assert_memory_equal(got, want, wn);
        assert_int_equal(C_Digest(g_h, g_msg, sizeof(g_msg), got, &n), CKR_OPERATION_NOT_INITIALIZED);
        /* Multi-part. */
        assert_int_equal(C_DigestInit(g_h, &mech), CKR_OK);
        assert_int_equal(C_DigestUpdate(g_h, g_msg, 5), CKR_OK);
        assert_int_equal(C_Digest(g_h, g_msg, sizeof(g_msg), got, &n), CKR_OPERATION_ACTIVE);
        assert_int_equal(C_DigestUpdate(g_h, g_msg + 5, sizeof(g_msg) - 5), CKR_OK);
        n = 0;
        assert_int_equal(C_DigestFinal(g_h, NULL, &n), CKR_OK);
        assert_int_equal(n, wn);
        n = 1;
        assert_int_equal(C_DigestFinal(g_h, got, &n), CKR_BUFFER_TOO_SMALL);
        n = sizeof(got);
        assert_int_equal(C_DigestFinal(g_h, got, &n), CKR_OK);
        assert_memory_equal(got, want, wn);
        assert_int_equal(C_DigestFinal(g_h, got, &n), CKR_OPERATION_NOT_INITIALIZED);
    }
    assert_int_equal(requests(), before);

    /* The empty message, state and argument errors. */
    CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
    CK_MECHANISM bad = {CKM_MD5, NULL, 0};
    uint8_t got[32];
    CK_ULONG n = sizeof(got);
    assert_int_equal(C_DigestInit(g_h, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_DigestInit(g_h, &bad), CKR_MECHANISM_INVALID);
    assert_int_equal(C_DigestInit(0xbad, &sha256), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_DigestUpdate(g_h, g_msg, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_DigestInit(g_h, &sha256), CKR_OK);
    assert_int_equal(C_DigestInit(g_h, &sha256), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_Digest(g_h, NULL, 0, got, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Digest(g_h, NULL, 0, got, &n), CKR_OK);
    assert_memory_equal(got, "\xe3\xb0\xc4\x42\x98\xfc\x1c\x14", 8);
    /* C_DigestKey: no key here can be digested; the operation ends either way. */
    assert_int_equal(C_DigestKey(g_h, FAKE_EC_PUB), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_DigestInit(g_h, &sha256), CKR_OK);
    assert_int_equal(C_DigestKey(g_h, FAKE_EC_PUB), CKR_KEY_INDIGESTIBLE);
    assert_int_equal(C_DigestUpdate(g_h, g_msg, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_DigestInit(g_h, &sha256), CKR_OK);
    assert_int_equal(C_DigestKey(g_h, 4242), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(C_DigestFinal(g_h, got, &n), CKR_OPERATION_NOT_INITIALIZED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verify_ec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_rsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_key_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
