/* test_module_sign.c — signing over the fake appliance: length queries never cost a signature,
 * CKR_BUFFER_TOO_SMALL keeps the operation, state errors, key checks, PSS parameters, what
 * reaches the wire (digest, DigestInfo), multi-part. */
#include <openssl/evp.h>
#include <pthread.h>
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
static CK_BYTE g_msg[] = "seal this document, 32 bytes+ long";

static int setup(void **state)
{
    (void)state;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fake.sock", 1);
    fake_appliance_reset();
    sigil_module_test_set_transport(&fake_appliance_ops, NULL);
    if (C_Initialize(NULL) != CKR_OK)
        return -1;
    if (C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &g_h) != CKR_OK)
        return -1;
    return C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)) == CKR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    (void)C_Finalize(NULL);
    return 0;
}

static void test_length_query_then_sign(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
    CK_BYTE sig[128];
    CK_ULONG len = 0;
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), NULL, &len), CKR_OK);
    assert_int_equal(len, 64);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 0);
    CK_ULONG len2 = sizeof(sig);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len2), CKR_OK);
    assert_int_equal(len2, len);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 1);
    /* The operation ended. */
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len2), CKR_OPERATION_NOT_INITIALIZED);
    /* What reached the appliance is SHA-256 of the message. */
    uint8_t d[32];
    unsigned int dl = 0;
    assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), d, &dl, EVP_sha256(), NULL), 1);
    fake_sign_req q = fake_appliance_last_sign();
    assert_int_equal(q.mech, SIGIL_MECH_ECDSA);
    assert_int_equal(q.handle, FAKE_EC_PRIV);
    assert_int_equal(q.input_len, 32);
    assert_memory_equal(q.input, d, 32);
}

static void test_buffer_too_small_keeps_op(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_BYTE sig[512];
    CK_ULONG len = 10;
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 256);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 0);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len), CKR_OK);
    assert_int_equal(len, 256);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 1);
    fake_sign_req q = fake_appliance_last_sign();
    assert_int_equal(q.mech, SIGIL_MECH_RSA_PKCS);
    assert_int_equal(q.input_len, 19 + 32); /* DigestInfo || SHA-256 */
    assert_int_equal(q.input[0], 0x30);
    assert_int_equal(q.input[1], 0x31);
}

static void test_state_errors(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_BYTE sig[128];
    CK_ULONG len = sizeof(sig);
    assert_int_equal(C_Sign(g_h, g_msg, 32, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_SignUpdate(g_h, g_msg, 4), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_SignFinal(g_h, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_SignInit(g_h, NULL, FAKE_EC_PRIV), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_SignInit(0xbad, &mech, FAKE_EC_PRIV), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_SignInit(g_h, &mech, 4242), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_RSA_PRIV), CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PUB), CKR_KEY_FUNCTION_NOT_PERMITTED);
    CK_MECHANISM aes = {CKM_AES_CBC, NULL, 0};
    assert_int_equal(C_SignInit(g_h, &aes, FAKE_EC_PRIV), CKR_MECHANISM_INVALID);
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_Sign(g_h, g_msg, 32, sig, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Sign(g_h, NULL, 32, sig, &len), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Sign(g_h, g_msg, 32, sig, &len), CKR_OK);
    assert_int_equal(len, 64);
    fake_sign_req q = fake_appliance_last_sign();
    assert_int_equal(q.input_len, 32); /* raw ECDSA: the data as given */
    assert_memory_equal(q.input, g_msg, 32);
}

static void test_error_ends_operation(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_ECDSA_SHA384, NULL, 0};
    CK_BYTE sig[512];
    CK_ULONG len = sizeof(sig);
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_OK);
    fake_appliance_fail_next(SIGIL_OP_SIGN, SIGIL_ST_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len), CKR_OPERATION_NOT_INITIALIZED);
    /* raw RSA larger than k-11 */
    CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0};
    CK_BYTE big[300];
    memset(big, 1, sizeof(big));
    len = sizeof(sig);
    assert_int_equal(C_SignInit(g_h, &raw, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, big, 246, sig, &len), CKR_DATA_LEN_RANGE);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 1);
}

static void test_pss_params(void **state)
{
    (void)state;
    CK_RSA_PKCS_PSS_PARAMS good = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_RSA_PKCS_PSS_PARAMS mismatch = {CKM_SHA256, CKG_MGF1_SHA384, 32};
    CK_RSA_PKCS_PSS_PARAMS sha1 = {CKM_SHA_1, CKG_MGF1_SHA1, 20};
    CK_RSA_PKCS_PSS_PARAMS p384 = {CKM_SHA384, CKG_MGF1_SHA384, 48};
    CK_MECHANISM m_none = {CKM_RSA_PKCS_PSS, NULL, 0};
    CK_MECHANISM m_short = {CKM_RSA_PKCS_PSS, &good, sizeof(good) - 1};
    CK_MECHANISM m_mis = {CKM_RSA_PKCS_PSS, &mismatch, sizeof(mismatch)};
    CK_MECHANISM m_sha1 = {CKM_RSA_PKCS_PSS, &sha1, sizeof(sha1)};
    CK_MECHANISM m_256_with_384 = {CKM_SHA256_RSA_PKCS_PSS, &p384, sizeof(p384)};
    CK_MECHANISM m_good = {CKM_RSA_PKCS_PSS, &good, sizeof(good)};
    CK_MECHANISM m_hashed = {CKM_SHA384_RSA_PKCS_PSS, &p384, sizeof(p384)};
    assert_int_equal(C_SignInit(g_h, &m_none, FAKE_RSA_PRIV), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(C_SignInit(g_h, &m_short, FAKE_RSA_PRIV), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(C_SignInit(g_h, &m_mis, FAKE_RSA_PRIV), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(C_SignInit(g_h, &m_sha1, FAKE_RSA_PRIV), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(C_SignInit(g_h, &m_256_with_384, FAKE_RSA_PRIV), CKR_MECHANISM_PARAM_INVALID);

    CK_BYTE digest[32] = {7};
    CK_BYTE sig[512];
    CK_ULONG len = sizeof(sig);
    assert_int_equal(C_SignInit(g_h, &m_good, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, digest, 31, sig, &len), CKR_DATA_LEN_RANGE);
    assert_int_equal(C_SignInit(g_h, &m_good, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, digest, 32, sig, &len), CKR_OK);
    fake_sign_req q = fake_appliance_last_sign();
    assert_int_equal(q.mech, SIGIL_MECH_RSA_PSS);
    assert_int_equal(q.pss_hash, 1);
    assert_int_equal(q.salt_len, 32);

    len = sizeof(sig);
    assert_int_equal(C_SignInit(g_h, &m_hashed, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_Sign(g_h, g_msg, sizeof(g_msg), sig, &len), CKR_OK);
    q = fake_appliance_last_sign();
    assert_int_equal(q.pss_hash, 2);
    assert_int_equal(q.input_len, 48);
}

static void test_multipart(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_SHA512_RSA_PKCS, NULL, 0};
    CK_BYTE sig[512];
    CK_ULONG len = 0;
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_RSA_PRIV), CKR_OK);
    assert_int_equal(C_SignUpdate(g_h, g_msg, 5), CKR_OK);
    assert_int_equal(C_SignUpdate(g_h, NULL, 3), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_SignUpdate(g_h, g_msg + 5, sizeof(g_msg) - 5), CKR_OK);
    /* C_Sign cannot finish a multi-part operation. */
    len = sizeof(sig);
    assert_int_equal(C_Sign(g_h, g_msg, 1, sig, &len), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_SignFinal(g_h, NULL, &len), CKR_OK);
    assert_int_equal(len, 256);
    len = 1;
    assert_int_equal(C_SignFinal(g_h, sig, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 0);
    len = sizeof(sig);
    assert_int_equal(C_SignFinal(g_h, sig, &len), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), 1);
    uint8_t d[64];
    unsigned int dl = 0;
    assert_int_equal(EVP_Digest(g_msg, sizeof(g_msg), d, &dl, EVP_sha512(), NULL), 1);
    fake_sign_req q = fake_appliance_last_sign();
    assert_int_equal(q.input_len, 19 + 64);
    assert_memory_equal(q.input + 19, d, 64);
    assert_int_equal(C_SignFinal(g_h, sig, &len), CKR_OPERATION_NOT_INITIALIZED);

    /* raw ECDSA multi-part accumulates, bounded */
    CK_MECHANISM raw = {CKM_ECDSA, NULL, 0};
    static CK_BYTE big[2048];
    assert_int_equal(C_SignInit(g_h, &raw, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_SignUpdate(g_h, big, 1000), CKR_OK);
    assert_int_equal(C_SignUpdate(g_h, big, 1000), CKR_DATA_LEN_RANGE);
    assert_int_equal(C_SignFinal(g_h, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void test_close_session_during_op(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
    CK_SESSION_HANDLE h2 = 0;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h2), CKR_OK);
    assert_int_equal(C_SignInit(h2, &mech, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_SignUpdate(h2, g_msg, 3), CKR_OK);
    assert_int_equal(C_CloseSession(h2), CKR_OK); /* frees the op: no leak under ASan */
    /* Finalize with an op active frees it too. */
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_OK);
}

static void test_not_logged_in(void **state)
{
    (void)state;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    assert_int_equal(C_Logout(g_h), CKR_OK);
    /* The private key is invisible without a login. */
    assert_int_equal(C_SignInit(g_h, &mech, FAKE_EC_PRIV), CKR_KEY_HANDLE_INVALID);
}

#define N_THREADS 6
#define N_SIGS 200

static void *signer(void *arg)
{
    CK_OBJECT_HANDLE key = (CK_OBJECT_HANDLE)(uintptr_t)arg;
    CK_MECHANISM mech = {key == FAKE_EC_PRIV ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_SESSION_HANDLE h = 0;
    CK_BYTE sig[512];
    uintptr_t failures = 0;
    if (C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK)
        return (void *)1;
    for (int i = 0; i < N_SIGS; i++) {
        CK_ULONG len = sizeof(sig);
        if (C_SignInit(h, &mech, key) != CKR_OK || C_Sign(h, g_msg, sizeof(g_msg), sig, &len) != CKR_OK ||
            len != (key == FAKE_EC_PRIV ? 64u : 256u))
            failures++;
    }
    if (C_CloseSession(h) != CKR_OK)
        failures++;
    return (void *)failures;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[N_THREADS];
    for (uintptr_t i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, signer,
                                        (void *)(uintptr_t)(i % 2 ? FAKE_EC_PRIV : FAKE_RSA_PRIV)), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *res = NULL;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    assert_int_equal(fake_appliance_count(SIGIL_OP_SIGN), N_THREADS * N_SIGS);
    /* g_h is still open: the login held throughout. */
    CK_SESSION_INFO si;
    assert_int_equal(C_GetSessionInfo(g_h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_length_query_then_sign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_too_small_keeps_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_ends_operation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pss_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_session_during_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_logged_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
