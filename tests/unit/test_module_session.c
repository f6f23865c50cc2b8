/* test_module_session.c — slots, tokens, sessions and login over the fake appliance. */
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

static int setup(void **state)
{
    (void)state;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fake.sock", 1);
    fake_appliance_reset();
    sigil_module_test_set_transport(&fake_appliance_ops, NULL);
    return C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    (void)C_Finalize(NULL);
    return 0;
}

static void test_slot_list(void **state)
{
    (void)state;
    CK_SLOT_ID slots[4];
    CK_ULONG n = 0;
    assert_int_equal(C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 2);
    n = 1;
    assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    n = 4;
    assert_int_equal(C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(slots[0], 0);
    assert_int_equal(slots[1], 1);
    CK_SLOT_INFO si;
    assert_int_equal(C_GetSlotInfo(0, &si), CKR_OK);
    assert_true(si.flags & CKF_TOKEN_PRESENT);
    assert_int_equal(C_GetSlotInfo(2, &si), CKR_SLOT_ID_INVALID);
    assert_int_equal(C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
}

static void test_token_info(void **state)
{
    (void)state;
    CK_TOKEN_INFO ti;
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_memory_equal(ti.label, "fake token                      ", 32);
    assert_memory_equal(ti.manufacturerID, "Sigil                           ", 32);
    assert_memory_equal(ti.model, "sigil-emu       ", 16);
    assert_memory_equal(ti.serialNumber, "FAKE0001        ", 16);
    assert_true(ti.flags & CKF_TOKEN_INITIALIZED);
    assert_true(ti.flags & CKF_USER_PIN_INITIALIZED);
    assert_true(ti.flags & CKF_LOGIN_REQUIRED);
    assert_true(ti.flags & CKF_RNG);
    assert_int_equal(ti.ulMaxPinLen, 64);
    assert_int_equal(ti.ulMinPinLen, 4);
    assert_int_equal(ti.firmwareVersion.major, 1);
    assert_int_equal(ti.firmwareVersion.minor, 2);
    assert_int_equal(C_GetTokenInfo(1, &ti), CKR_OK);
    assert_false(ti.flags & CKF_TOKEN_INITIALIZED);
    assert_int_equal(C_GetTokenInfo(7, &ti), CKR_SLOT_ID_INVALID);
    assert_int_equal(C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
}

static void test_mechanisms(void **state)
{
    (void)state;
    CK_MECHANISM_TYPE list[32];
    CK_ULONG n = 0;
    CK_MECHANISM_INFO mi;
    assert_int_equal(C_GetMechanismList(0, NULL, &n), CKR_OK);
    assert_int_equal(n, 25); /* 2 key generation, 18 signature (6 verify only), 5 digest */
    n = 32;
    assert_int_equal(C_GetMechanismList(0, list, &n), CKR_OK);
    assert_int_equal(C_GetMechanismInfo(0, CKM_ECDSA_SHA256, &mi), CKR_OK);
    assert_true(mi.flags & CKF_SIGN);
    assert_true(mi.flags & CKF_EC_NAMEDCURVE);
    assert_int_equal(mi.ulMinKeySize, 256);
    assert_int_equal(mi.ulMaxKeySize, 384);
    assert_int_equal(C_GetMechanismInfo(0, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
    assert_true(mi.flags & CKF_GENERATE_KEY_PAIR);
    assert_int_equal(mi.ulMinKeySize, 2048);
    assert_int_equal(C_GetMechanismInfo(0, CKM_AES_CBC, &mi), CKR_MECHANISM_INVALID);
    assert_int_equal(C_GetMechanismInfo(9, CKM_ECDSA, &mi), CKR_SLOT_ID_INVALID);
}

/* NSS polls C_GetTokenInfo: it is answered from a copy at most a second old, and asked afresh after
 * anything that changes it. Slot and session information never need a round trip. */
static void test_info_without_round_trips(void **state)
{
    (void)state;
    CK_TOKEN_INFO ti;
    CK_SLOT_INFO si;
    CK_SESSION_INFO ssi;
    CK_SESSION_HANDLE h = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 1);
    assert_int_equal(C_GetTokenInfo(1, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 2);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(C_GetSlotInfo(0, &si), CKR_OK);
        assert_int_equal(C_GetSessionInfo(h, &ssi), CKR_OK);
    }
    /* Session counts are current even from the copy. */
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.ulSessionCount, 1);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 2);
    /* A failed login may have changed the PIN counters: asked again. */
    assert_int_equal(C_Login(h, CKU_USER, PIN("9999")), CKR_PIN_INCORRECT);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 3);
    assert_int_equal(C_Login(h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 4);
    CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, p256, sizeof(p256)}};
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    assert_int_equal(C_GenerateKeyPair(h, &ecgen, pub, 1, NULL, 0, &hpub, &hpriv), CKR_OK);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 5);
    assert_int_equal(C_SetPIN(h, PIN(FAKE_USER_PIN), PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 6);
    assert_int_equal(C_Logout(h), CKR_OK);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 7);
    /* A failed TOKEN_INFO is not kept. */
    assert_int_equal(C_Login(h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    fake_appliance_fail_next(SIGIL_OP_TOKEN_INFO, SIGIL_ST_GENERAL_ERROR);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_DEVICE_ERROR);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_TOKEN_INFO), 9);
}

static void test_open_close(void **state)
{
    (void)state;
    CK_SESSION_HANDLE h = 0, h2 = 0;
    CK_SESSION_INFO si;
    assert_int_equal(C_OpenSession(0, 0, NULL, NULL, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_OpenSession(5, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_SLOT_ID_INVALID);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h2), CKR_OK);
    assert_int_not_equal(h, h2);
    assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(si.slotID, 0);
    assert_int_equal(C_GetSessionInfo(h2, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
    assert_true(si.flags & CKF_RW_SESSION);
    assert_int_equal(C_GetSessionInfo(h, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetSessionInfo(0xdead, &si), CKR_SESSION_HANDLE_INVALID);
    CK_TOKEN_INFO ti;
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.ulSessionCount, 2);
    assert_int_equal(ti.ulRwSessionCount, 1);
    assert_int_equal(C_CloseSession(h), CKR_OK);
    assert_int_equal(C_CloseSession(h), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_CloseAllSessions(0), CKR_OK);
    assert_int_equal(C_GetSessionInfo(h2, &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_CloseAllSessions(9), CKR_SLOT_ID_INVALID);
}

static void test_login_rules(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0, rw = 0;
    CK_SESSION_INFO si;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
    assert_int_equal(C_Login(ro, CKU_USER, NULL, 4), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Login(0xbad, CKU_USER, PIN(FAKE_USER_PIN)), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_Login(ro, 77, PIN(FAKE_USER_PIN)), CKR_USER_TYPE_INVALID);
    assert_int_equal(C_Login(ro, CKU_SO, PIN(FAKE_SO_PIN)), CKR_SESSION_READ_ONLY_EXISTS);
    assert_int_equal(C_Login(ro, CKU_USER, PIN("9999")), CKR_PIN_INCORRECT);
    assert_int_equal(C_Logout(ro), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_Login(ro, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    /* Login is application-wide: both sessions see it. */
    assert_int_equal(C_GetSessionInfo(ro, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
    assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
    unsigned logins = fake_appliance_count(SIGIL_OP_LOGIN);
    assert_int_equal(C_Login(rw, CKU_USER, PIN(FAKE_USER_PIN)), CKR_USER_ALREADY_LOGGED_IN);
    assert_int_equal(C_Login(rw, CKU_SO, PIN(FAKE_SO_PIN)), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    assert_int_equal(fake_appliance_count(SIGIL_OP_LOGIN), logins); /* answered locally */
    assert_int_equal(C_Logout(rw), CKR_OK);
    assert_int_equal(C_GetSessionInfo(ro, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
    /* PIN longer than the wire allows */
    char longpin[80];
    memset(longpin, '1', sizeof(longpin) - 1);
    longpin[sizeof(longpin) - 1] = '\0';
    assert_int_equal(C_Login(rw, CKU_USER, PIN(longpin)), CKR_PIN_LEN_RANGE);
    assert_int_equal(C_Login(rw, CKU_USER, PIN("12")), CKR_PIN_LEN_RANGE);
}

static void test_so_login_and_init_pin(void **state)
{
    (void)state;
    CK_SESSION_HANDLE rw = 0, ro = 0;
    CK_SESSION_INFO si;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
    assert_int_equal(C_InitPIN(rw, PIN("5555")), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_Login(rw, CKU_SO, PIN(FAKE_SO_PIN)), CKR_OK);
    assert_int_equal(C_GetSessionInfo(rw, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_SO_FUNCTIONS);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_SESSION_READ_WRITE_SO_EXISTS);
    assert_int_equal(C_InitPIN(rw, NULL, 4), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_InitPIN(rw, PIN("5555")), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_INIT_PIN), 1);
}

static void test_last_close_logs_out(void **state)
{
    (void)state;
    CK_SESSION_HANDLE h = 0;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_Login(h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_LOGOUT), 0);
    assert_int_equal(C_CloseSession(h), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_LOGOUT), 1);
    /* A new session starts public, and logging in again works. */
    CK_SESSION_INFO si;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(C_Login(h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
}

static void test_init_token_and_set_pin(void **state)
{
    (void)state;
    CK_UTF8CHAR label[32];
    CK_SESSION_HANDLE h = 0;
    memset(label, ' ', sizeof(label));
    memcpy(label, "new seal", 8);
    assert_int_equal(C_InitToken(1, NULL, 0, label), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_InitToken(1, PIN(FAKE_SO_PIN), NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_InitToken(9, PIN(FAKE_SO_PIN), label), CKR_SLOT_ID_INVALID);
    assert_int_equal(C_OpenSession(1, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_InitToken(1, PIN(FAKE_SO_PIN), label), CKR_SESSION_EXISTS);
    assert_int_equal(C_CloseSession(h), CKR_OK);
    assert_int_equal(C_InitToken(1, PIN(FAKE_SO_PIN), label), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_INIT_TOKEN), 1);

    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_SetPIN(h, PIN("1234"), PIN("4321")), CKR_SESSION_READ_ONLY);
    assert_int_equal(C_SetPIN(h, NULL, 0, PIN("4321")), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CloseSession(h), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_SetPIN(h, PIN("1234"), PIN("4321")), CKR_OK);
}

static void test_random(void **state)
{
    (void)state;
    CK_SESSION_HANDLE h = 0;
    CK_BYTE buf[100];
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_GenerateRandom(h, NULL, 10), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateRandom(0xbad, buf, 10), CKR_SESSION_HANDLE_INVALID);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(C_GenerateRandom(h, buf, sizeof(buf)), CKR_OK);
    assert_int_equal(buf[0], 0x5A);
    assert_int_equal(buf[99], 0x5A);
    /* more than one RANDOM round trip */
    CK_BYTE *big = malloc(70000);
    assert_non_null(big);
    assert_int_equal(C_GenerateRandom(h, big, 70000), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_RANDOM), 3);
    free(big);
}

static void test_device_error_on_failure(void **state)
{
    (void)state;
    CK_SESSION_HANDLE h = 0;
    CK_TOKEN_INFO ti;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    fake_appliance_fail_next(SIGIL_OP_TOKEN_INFO, SIGIL_ST_SELF_TEST_FAILED);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_DEVICE_ERROR);
    fake_appliance_fail_next(SIGIL_OP_LOGIN, SIGIL_ST_PIN_LOCKED);
    assert_int_equal(C_Login(h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_PIN_LOCKED);
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slot_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mechanisms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_without_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_so_login_and_init_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_close_logs_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_token_and_set_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_error_on_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
