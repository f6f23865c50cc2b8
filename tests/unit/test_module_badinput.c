/* test_module_badinput.c — clients that call in unusual orders or pass odd values get the return
 * codes PKCS#11 names and never a crash: C_Finalize with everything open, objects destroyed under
 * an active search, attributes of the wrong length, templates giving an attribute twice, NULL
 * templates with a count, size queries, calls on closed sessions. Run under ASan/UBSan too. */
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
static CK_BBOOL g_true = CK_TRUE, g_false = CK_FALSE;
static CK_OBJECT_CLASS g_data = CKO_DATA;
static CK_BYTE g_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static int setup(void **state)
{
    (void)state;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fake.sock", 1);
    fake_appliance_reset();
    sigil_module_test_set_transport(&fake_appliance_ops, NULL);
    if (C_Initialize(NULL) != CKR_OK)
        return -1;
    if (C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &g_h) != CKR_OK)
        return -1;
    return C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)) == CKR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    (void)C_Finalize(NULL);
    return 0;
}

static CK_OBJECT_HANDLE new_data(CK_SESSION_HANDLE h, bool token, bool priv, const char *label)
{
    CK_OBJECT_HANDLE o = 0;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, token ? &g_true : &g_false, 1},
                        {CKA_PRIVATE, priv ? &g_true : &g_false, 1}, {CKA_LABEL, (void *)label, strlen(label)},
                        {CKA_VALUE, (void *)"value", 5}};
    assert_int_equal(C_CreateObject(h, t, 5, &o), CKR_OK);
    return o;
}

static void test_finalize_with_everything_open(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0, rw = 0;
    CK_MECHANISM sign = {CKM_ECDSA_SHA256, NULL, 0};
    CK_MECHANISM sha = {CKM_SHA384, NULL, 0};
    CK_BYTE msg[] = "unfinished business";
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK);
    (void)new_data(ro, false, false, "s1");
    (void)new_data(rw, false, true, "s2");
    (void)new_data(g_h, true, false, "t1");
    /* A multi-part signature, a digest and a search, all left open. */
    assert_int_equal(C_SignInit(g_h, &sign, FAKE_EC_PRIV), CKR_OK);
    assert_int_equal(C_SignUpdate(g_h, msg, sizeof(msg)), CKR_OK);
    assert_int_equal(C_DigestInit(g_h, &sha), CKR_OK);
    assert_int_equal(C_DigestUpdate(g_h, msg, sizeof(msg)), CKR_OK);
    assert_int_equal(C_DigestInit(ro, &sha), CKR_OK);
    assert_int_equal(C_FindObjectsInit(rw, NULL, 0), CKR_OK);
    CK_MECHANISM verify = {CKM_ECDSA, NULL, 0};
    assert_int_equal(C_VerifyInit(rw, &verify, FAKE_EC_PRIV), CKR_KEY_FUNCTION_NOT_PERMITTED);

    assert_int_equal(C_Finalize((void *)&ro), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Finalize(NULL), CKR_OK);
    /* Everything is gone; nothing answers but C_Initialize. */
    CK_SESSION_INFO si;
    CK_ULONG n = 0;
    assert_int_equal(C_GetSessionInfo(g_h, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_SignFinal(g_h, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_FindObjects(rw, NULL, 0, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    assert_int_equal(C_GetSessionInfo(g_h, &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID);
}

static CK_ULONG find_some(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max)
{
    CK_ULONG got = 99;
    assert_int_equal(C_FindObjects(h, out, max, &got), CKR_OK);
    return got;
}

static void test_destroyed_under_search(void **state)
{
    (void)state;
    CK_SESSION_HANDLE other = 0;
    CK_OBJECT_HANDLE objs[16];
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE by_class[] = {{CKA_CLASS, &g_data, sizeof(g_data)}};
    CK_ATTRIBUTE get[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_OBJECT_HANDLE s1 = new_data(g_h, false, false, "s1");
    CK_OBJECT_HANDLE s2 = new_data(g_h, false, false, "s2");
    CK_OBJECT_HANDLE t1 = new_data(g_h, true, false, "t1");
    CK_OBJECT_HANDLE t2 = new_data(g_h, true, false, "t2");
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &other), CKR_OK);

    /* The search snapshot holds four; two go away through another session meanwhile. */
    assert_int_equal(C_FindObjectsInit(g_h, by_class, 1), CKR_OK);
    assert_int_equal(find_some(g_h, objs, 1), 1);
    CK_OBJECT_HANDLE first = objs[0];
    CK_OBJECT_HANDLE gone1 = first == t1 ? t2 : t1, gone2 = first == s1 ? s2 : s1;
    assert_int_equal(C_DestroyObject(other, gone1), CKR_OK);
    assert_int_equal(C_DestroyObject(other, gone2), CKR_OK);
    CK_ULONG n = find_some(g_h, objs, 16);
    assert_int_equal(n, 1); /* of the three not handed out yet, two are gone */
    for (CK_ULONG i = 0; i < n; i++) {
        assert_int_not_equal(objs[i], gone1);
        assert_int_not_equal(objs[i], gone2);
        assert_int_equal(C_GetAttributeValue(g_h, objs[i], get, 1), CKR_OK);
    }
    assert_int_equal(find_some(g_h, objs, 16), 0);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);

    /* The session that made a session object closes under a search in another one. */
    CK_OBJECT_HANDLE s3 = new_data(other, false, false, "s3");
    assert_int_equal(C_FindObjectsInit(g_h, by_class, 1), CKR_OK);
    assert_int_equal(C_CloseSession(other), CKR_OK);
    n = find_some(g_h, objs, 16);
    for (CK_ULONG i = 0; i < n; i++)
        assert_int_not_equal(objs[i], s3);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);

    /* Logout under a search: private objects drop out (the cache is reloaded to tell). */
    CK_OBJECT_HANDLE p1 = new_data(g_h, true, true, "p1");
    CK_OBJECT_HANDLE p2 = new_data(g_h, false, true, "p2");
    assert_int_equal(C_FindObjectsInit(g_h, by_class, 1), CKR_OK);
    assert_int_equal(C_Logout(g_h), CKR_OK);
    n = find_some(g_h, objs, 16);
    assert_true(n >= 1);
    for (CK_ULONG i = 0; i < n; i++) {
        assert_int_not_equal(objs[i], p1);
        assert_int_not_equal(objs[i], p2);
        assert_int_equal(C_GetAttributeValue(g_h, objs[i], get, 1), CKR_OK);
    }
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);

    /* A session closed with a search active: its snapshot is freed, the handle is dead. */
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 0), CKR_OK);
    assert_int_equal(C_CloseSession(g_h), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, objs, 16, &n), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_SESSION_HANDLE_INVALID);
}

static void test_wrong_lengths(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE h = 0, hp = 0;
    CK_ULONG four = 4;
    CK_BYTE one = 1, date7[7] = {0};
    CK_ATTRIBUTE t_token[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &four, sizeof(four)}};
    CK_ATTRIBUTE t_class[] = {{CKA_CLASS, &one, 1}};
    CK_ATTRIBUTE t_null[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_VALUE, NULL, 5}};
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
    CK_ATTRIBUTE t_ctype[] = {{CKA_CLASS, &cert, sizeof(cert)}, {CKA_CERTIFICATE_TYPE, &one, 1}};
    CK_ATTRIBUTE t_date[] = {{CKA_CLASS, &cert, sizeof(cert)}, {CKA_START_DATE, date7, sizeof(date7)}};
    assert_int_equal(C_CreateObject(g_h, t_token, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_class, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_null, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_ctype, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_date, 2, &h), CKR_ATTRIBUTE_VALUE_INVALID);

    h = new_data(g_h, false, false, "d");
    CK_ATTRIBUTE s_null[] = {{CKA_LABEL, NULL, 5}};
    CK_ATTRIBUTE s_bool[] = {{CKA_COPYABLE, &four, sizeof(four)}};
    assert_int_equal(C_SetAttributeValue(g_h, h, s_null, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, h, s_bool, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ATTRIBUTE c_bool[] = {{CKA_TOKEN, &one, 0}};
    assert_int_equal(C_CopyObject(g_h, h, c_bool, 1, &hp), CKR_ATTRIBUTE_VALUE_INVALID);

    CK_MECHANISM rsagen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE k_bits[] = {{CKA_MODULUS_BITS, &one, 1}};
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, k_bits, 1, NULL, 0, &h, &hp), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(fake_appliance_count(SIGIL_OP_GENERATE_KEYPAIR), 0);

    /* In a search, a wrong-sized value just matches nothing. */
    CK_ATTRIBUTE f_class[] = {{CKA_CLASS, &one, 1}};
    CK_OBJECT_HANDLE objs[8];
    CK_ULONG n = 99;
    assert_int_equal(C_FindObjectsInit(g_h, f_class, 1), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, objs, 8, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);

    /* Reading into a buffer of the wrong size. */
    CK_BYTE small[2];
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE g[] = {{CKA_VALUE, small, sizeof(small)}, {CKA_CLASS, &cls, sizeof(cls)}};
    h = new_data(g_h, false, false, "d2");
    assert_int_equal(C_GetAttributeValue(g_h, h, g, 2), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(g[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(cls, CKO_DATA);
}

static void test_duplicate_attributes(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE h = 0, hp = 0;
    CK_OBJECT_CLASS cert = CKO_CERTIFICATE;
    CK_ATTRIBUTE same[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_LABEL, (void *)"a", 1},
                           {CKA_LABEL, (void *)"a", 1}};
    CK_ATTRIBUTE diff[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_LABEL, (void *)"a", 1},
                           {CKA_LABEL, (void *)"b", 1}};
    CK_ATTRIBUTE classes[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_CLASS, &cert, sizeof(cert)}};
    assert_int_equal(C_CreateObject(g_h, same, 3, &h), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, diff, 3, &hp), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_CreateObject(g_h, classes, 2, &hp), CKR_TEMPLATE_INCONSISTENT);
    CK_ATTRIBUTE copy_diff[] = {{CKA_TOKEN, &g_true, 1}, {CKA_TOKEN, &g_false, 1}};
    assert_int_equal(C_CopyObject(g_h, h, copy_diff, 2, &hp), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_SetAttributeValue(g_h, h, diff + 1, 2), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_SetAttributeValue(g_h, h, same + 1, 2), CKR_OK);
    CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BYTE p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    CK_ATTRIBUTE k_twice[] = {{CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_PARAMS, p384, sizeof(p384)}};
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, k_twice, 2, NULL, 0, &h, &hp), CKR_TEMPLATE_INCONSISTENT);
    CK_ATTRIBUTE k_same[] = {{CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}};
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, k_same, 2, NULL, 0, &h, &hp), CKR_OK);
}

static void test_null_templates(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE h = 0, hp = 0;
    CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, g_p256, sizeof(g_p256)}};
    assert_int_equal(C_CreateObject(g_h, NULL, 1, &h), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CopyObject(g_h, FAKE_EC_PUB, NULL, 2, &h), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, NULL, 1, NULL, 0, &h, &hp), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub, 1, NULL, 3, &h, &hp), CKR_ARGUMENTS_BAD);
    /* With a count of 0 a NULL template is an empty one. */
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, NULL, 0), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, NULL, 0), CKR_OK);
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 0), CKR_OK);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SET_OBJECT), 0);
    assert_int_equal(fake_appliance_count(SIGIL_OP_GENERATE_KEYPAIR), 0);
}

static void test_size_queries(void **state)
{
    (void)state;
    CK_ULONG n = 0;
    CK_SLOT_ID slots[1];
    CK_MECHANISM_TYPE mechs[2];
    assert_int_equal(C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 2);
    n = 1;
    assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    assert_int_equal(C_GetMechanismList(0, NULL, &n), CKR_OK);
    CK_ULONG all = n;
    n = 2;
    assert_int_equal(C_GetMechanismList(0, mechs, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, all);
    n = 0;
    assert_int_equal(C_GetInterfaceList(NULL, &n), CKR_OK);
    assert_int_equal(n, 2);
    sigil_ck_interface one[1];
    n = 1;
    assert_int_equal(C_GetInterfaceList(one, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);

    /* Attribute lengths with pValue NULL, for every kind of value. */
    CK_ATTRIBUTE a[] = {{CKA_LABEL, NULL, 0}, {CKA_ID, NULL, 0}, {CKA_EC_POINT, NULL, 0}, {CKA_CLASS, NULL, 0},
                        {CKA_SIGN, NULL, 0}, {CKA_ALLOWED_MECHANISMS, NULL, 0}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, a, 6), CKR_OK);
    assert_int_equal(a[0].ulValueLen, 6);
    assert_int_equal(a[1].ulValueLen, 2);
    assert_int_equal(a[2].ulValueLen, 67);
    assert_int_equal(a[3].ulValueLen, sizeof(CK_ULONG));
    assert_int_equal(a[4].ulValueLen, sizeof(CK_BBOOL));
    assert_true(a[5].ulValueLen > 0 && a[5].ulValueLen % sizeof(CK_MECHANISM_TYPE) == 0);

    /* Signature and digest lengths: asked, then used, the operation intact in between. */
    CK_MECHANISM sign = {CKM_SHA256_RSA_PKCS, NULL, 0};
    CK_MECHANISM sha = {CKM_SHA224, NULL, 0};
    CK_BYTE msg[] = "m", out[512];
    assert_int_equal(C_SignInit(g_h, &sign, FAKE_RSA_PRIV), CKR_OK);
    n = 0;
    assert_int_equal(C_Sign(g_h, msg, 1, NULL, &n), CKR_OK);
    assert_int_equal(n, 256);
    assert_int_equal(C_Sign(g_h, msg, 1, out, &n), CKR_OK);
    assert_int_equal(C_DigestInit(g_h, &sha), CKR_OK);
    n = 0;
    assert_int_equal(C_Digest(g_h, msg, 1, NULL, &n), CKR_OK);
    assert_int_equal(n, 28);
    assert_int_equal(C_Digest(g_h, msg, 1, out, &n), CKR_OK);
    /* C_FindObjects with room for none. */
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 0), CKR_OK);
    n = 99;
    assert_int_equal(C_FindObjects(g_h, NULL, 0, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
}

static void test_unusual_orders(void **state)
{
    (void)state;
    CK_ULONG n = 0;
    CK_OBJECT_HANDLE objs[4];
    CK_BYTE buf[64];
    CK_SESSION_HANDLE s = 0;
    assert_int_equal(C_Sign(g_h, buf, 1, NULL, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_SignFinal(g_h, NULL, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_Verify(g_h, buf, 1, buf, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_VerifyFinal(g_h, buf, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_DigestFinal(g_h, NULL, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_FindObjects(g_h, objs, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_Login(g_h, CKU_CONTEXT_SPECIFIC, PIN(FAKE_USER_PIN)), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_Logout(g_h), CKR_USER_NOT_LOGGED_IN);
    /* Everything on a closed session. */
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    assert_int_equal(C_DigestInit(s, &sha), CKR_OK);
    assert_int_equal(C_CloseAllSessions(0), CKR_OK);
    assert_int_equal(C_DigestUpdate(s, buf, 1), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_data, sizeof(g_data)}};
    CK_OBJECT_HANDLE h = 0;
    assert_int_equal(C_CreateObject(s, t, 1, &h), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_SetAttributeValue(s, FAKE_EC_PUB, t, 1), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_CopyObject(s, FAKE_EC_PUB, NULL, 0, &h), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_DestroyObject(s, FAKE_EC_PUB), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_VerifyInit(s, &sha, FAKE_EC_PUB), CKR_SESSION_HANDLE_INVALID);
    /* Object handles of no kind this module hands out. */
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
    CK_OBJECT_CLASS cls;
    CK_ATTRIBUTE g[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    assert_int_equal(C_GetAttributeValue(s, 0x80000001UL, g, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_GetAttributeValue(s, (CK_OBJECT_HANDLE)-1, g, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_DestroyObject(s, 0), CKR_OBJECT_HANDLE_INVALID);
}

/* Threads, each with its own session, create, find, read, change and destroy objects while the
 * others destroy theirs: handles handed out are live or answer CKR_OBJECT_HANDLE_INVALID. */
#define N_THREADS 4
#define N_ROUNDS 40

static void *churn(void *arg)
{
    uintptr_t bad = 0;
    CK_SESSION_HANDLE h = 0;
    CK_MECHANISM sha = {CKM_SHA256, NULL, 0};
    (void)arg;
    if (C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) != CKR_OK)
        return (void *)1;
    for (int i = 0; i < N_ROUNDS; i++) {
        CK_OBJECT_HANDLE mine = 0, found[64];
        CK_ULONG n = 0;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, (i % 4) == 0 ? &g_true : &g_false, 1},
                            {CKA_PRIVATE, &g_false, 1}, {CKA_VALUE, (void *)"churn", 5}};
        CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"x", 1}};
        bad += C_CreateObject(h, t, 4, &mine) != CKR_OK;
        bad += C_FindObjectsInit(h, NULL, 0) != CKR_OK;
        bad += C_FindObjects(h, found, 64, &n) != CKR_OK;
        bad += C_FindObjectsFinal(h) != CKR_OK;
        for (CK_ULONG k = 0; k < n; k++) {
            CK_BYTE v[16];
            CK_ATTRIBUTE g[] = {{CKA_LABEL, v, sizeof(v)}};
            CK_RV rv = C_GetAttributeValue(h, found[k], g, 1);
            bad += rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID;
        }
        bad += C_SetAttributeValue(h, mine, relabel, 1) != CKR_OK;
        CK_BYTE d[32];
        CK_ULONG dl = sizeof(d);
        bad += C_DigestInit(h, &sha) != CKR_OK || C_Digest(h, d, sizeof(d), d, &dl) != CKR_OK;
        bad += C_DestroyObject(h, mine) != CKR_OK;
    }
    bad += C_CloseSession(h) != CKR_OK;
    return (void *)bad;
}

/* One application cannot open sessions without bound: CKR_SESSION_COUNT, and closing one
 * makes room again. */
static void test_session_limit(void **state)
{
    (void)state;
    static CK_SESSION_HANDLE h[SIGIL_MAX_SESSIONS];
    CK_SESSION_HANDLE extra;
    unsigned opened = 1; /* setup's session */
    for (unsigned i = 0; opened < SIGIL_MAX_SESSIONS; i++, opened++)
        assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h[i]), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &extra), CKR_SESSION_COUNT);
    assert_int_equal(C_CloseSession(h[0]), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h[0]), CKR_OK);
    CK_TOKEN_INFO ti;
    assert_int_equal(C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.ulMaxSessionCount, SIGIL_MAX_SESSIONS);
}

static void test_threads_churn(void **state)
{
    (void)state;
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn, NULL), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *res = NULL;
        assert_int_equal(pthread_join(t[i], &res), 0);
        assert_null(res);
    }
    CK_OBJECT_HANDLE objs[8];
    CK_ATTRIBUTE by_class[] = {{CKA_CLASS, &g_data, sizeof(g_data)}};
    CK_ULONG n = 99;
    assert_int_equal(C_FindObjectsInit(g_h, by_class, 1), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, objs, 8, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_finalize_with_everything_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroyed_under_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusual_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_churn, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
