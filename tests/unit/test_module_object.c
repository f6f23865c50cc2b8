/* test_module_object.c — find, attributes (the C_GetAttributeValue rules), key generation
 * templates and destroy over the fake appliance. */
#include <openssl/evp.h>
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
static CK_BYTE g_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

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

static CK_ULONG find_all(CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out, CK_ULONG cap)
{
    CK_ULONG got = 0;
    assert_int_equal(C_FindObjectsInit(g_h, tmpl, n), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, out, cap, &got), CKR_OK);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
    return got;
}

static void test_find(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE objs[16];
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, pub = CKO_PUBLIC_KEY;
    CK_KEY_TYPE ec = CKK_EC;
    CK_ULONG got = 0;
    CK_ATTRIBUTE t_priv[] = {{CKA_CLASS, &priv, sizeof(priv)}};
    CK_ATTRIBUTE t_pub_ec[] = {{CKA_CLASS, &pub, sizeof(pub)}, {CKA_KEY_TYPE, &ec, sizeof(ec)}};
    CK_ATTRIBUTE t_label[] = {{CKA_LABEL, (void *)"rsa key", 7}};

    assert_int_equal(C_FindObjects(g_h, objs, 16, &got), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_FindObjectsInit(0xbad, NULL, 0), CKR_SESSION_HANDLE_INVALID);
    /* Not logged in: public objects only. */
    assert_int_equal(find_all(NULL, 0, objs, 16), 2);
    assert_int_equal(find_all(t_priv, 1, objs, 16), 0);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(find_all(NULL, 0, objs, 16), 4);
    assert_int_equal(find_all(t_priv, 1, objs, 16), 2);
    assert_int_equal(find_all(t_pub_ec, 2, objs, 16), 1);
    assert_int_equal(objs[0], FAKE_EC_PUB);
    assert_int_equal(find_all(t_label, 1, objs, 16), 2);
    /* In chunks, and a second init while active. */
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 0), CKR_OK);
    assert_int_equal(C_FindObjectsInit(g_h, NULL, 0), CKR_OPERATION_ACTIVE);
    assert_int_equal(C_FindObjects(g_h, NULL, 1, &got), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_FindObjects(g_h, objs, 3, &got), CKR_OK);
    assert_int_equal(got, 3);
    assert_int_equal(C_FindObjects(g_h, objs, 3, &got), CKR_OK);
    assert_int_equal(got, 1);
    assert_int_equal(C_FindObjects(g_h, objs, 3, &got), CKR_OK);
    assert_int_equal(got, 0);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
}

static void test_get_attribute_rules(void **state)
{
    (void)state;
    CK_BYTE small[2];
    CK_BYTE big[256];
    CK_OBJECT_CLASS cls = 0;
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);

    /* NULL pValue: the length. */
    CK_ATTRIBUTE a1[] = {{CKA_EC_POINT, NULL, 0}, {CKA_ID, NULL, 0}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, a1, 2), CKR_OK);
    assert_int_equal(a1[0].ulValueLen, 67); /* 04 41 || 65-byte point */
    assert_int_equal(a1[1].ulValueLen, 2);

    /* Too small: that one unavailable, the others still filled. */
    CK_ATTRIBUTE a2[] = {{CKA_EC_POINT, small, sizeof(small)}, {CKA_CLASS, &cls, sizeof(cls)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, a2, 2), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(a2[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(cls, CKO_PUBLIC_KEY);

    /* EC_POINT is a DER OCTET STRING around 04||X||Y. */
    CK_ATTRIBUTE a3[] = {{CKA_EC_POINT, big, sizeof(big)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, a3, 1), CKR_OK);
    assert_int_equal(big[0], 0x04);
    assert_int_equal(big[1], 65);
    assert_int_equal(big[2], 0x04);

    /* Sensitive and unknown attributes; the last error wins; good ones still filled. */
    CK_BBOOL sens = CK_FALSE;
    CK_ATTRIBUTE a4[] = {{CKA_VALUE, big, sizeof(big)},
                         {CKA_SENSITIVE, &sens, sizeof(sens)},
                         {0x7fff0000UL, big, sizeof(big)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, a4, 3), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(a4[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(a4[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(sens, CK_TRUE);
    CK_ATTRIBUTE a5[] = {{CKA_PRIVATE_EXPONENT, big, sizeof(big)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_RSA_PRIV, a5, 1), CKR_ATTRIBUTE_SENSITIVE);

    /* Private key facts. */
    CK_BBOOL extractable = CK_TRUE, never = CK_FALSE, sign = CK_FALSE, priv = CK_FALSE;
    CK_ULONG bits = 0;
    CK_ATTRIBUTE a6[] = {{CKA_EXTRACTABLE, &extractable, 1}, {CKA_NEVER_EXTRACTABLE, &never, 1},
                         {CKA_SIGN, &sign, 1}, {CKA_PRIVATE, &priv, 1}, {CKA_MODULUS_BITS, &bits, sizeof(bits)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_RSA_PRIV, a6, 5), CKR_OK);
    assert_int_equal(extractable, CK_FALSE);
    assert_int_equal(never, CK_TRUE);
    assert_int_equal(sign, CK_TRUE);
    assert_int_equal(priv, CK_TRUE);
    assert_int_equal(bits, 2048);

    /* Bad handles and arguments. */
    assert_int_equal(C_GetAttributeValue(g_h, 999, a3, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_GetAttributeValue(g_h, 0, a3, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PUB, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetAttributeValue(0xbad, FAKE_EC_PUB, a3, 1), CKR_SESSION_HANDLE_INVALID);
}

static void test_private_invisible_when_logged_out(void **state)
{
    (void)state;
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, a, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, a, 1), CKR_OK);
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, a, 1), CKR_OBJECT_HANDLE_INVALID);
}

static void test_keygen(void **state)
{
    (void)state;
    CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_MECHANISM rsagen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    CK_BYTE id[] = {1, 2, 3};
    CK_BYTE p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
    CK_ULONG bits = 2048, badbits = 1024;
    CK_BYTE e3[] = {0x03};
    CK_ATTRIBUTE pub_ec[] = {{CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_TOKEN, &g_false, 1},
                             {CKA_ID, id, sizeof(id)}, {CKA_LABEL, (void *)"k1", 2}};
    CK_ATTRIBUTE priv_ok[] = {{CKA_SIGN, &g_true, 1}, {CKA_SENSITIVE, &g_true, 1}, {CKA_ID, id, sizeof(id)},
                              {CKA_DECRYPT, &g_true, 1}};
    CK_ATTRIBUTE priv_extractable[] = {{CKA_EXTRACTABLE, &g_true, 1}};
    CK_ATTRIBUTE priv_not_sensitive[] = {{CKA_SENSITIVE, &g_false, 1}};
    CK_ATTRIBUTE pub_p521[] = {{CKA_EC_PARAMS, p521, sizeof(p521)}};
    CK_ATTRIBUTE pub_rsa[] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)}};
    CK_ATTRIBUTE pub_rsa_bad[] = {{CKA_MODULUS_BITS, &badbits, sizeof(badbits)}};
    CK_ATTRIBUTE pub_rsa_e3[] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)}, {CKA_PUBLIC_EXPONENT, e3, 1}};

    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_ec, 4, priv_ok, 4, &hpub, &hpriv), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GenerateKeyPair(g_h, NULL, pub_ec, 4, priv_ok, 4, &hpub, &hpriv), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_ec, 4, priv_ok, 4, NULL, &hpriv), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, NULL, 4, priv_ok, 4, &hpub, &hpriv), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_ec, 4, priv_extractable, 1, &hpub, &hpriv),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_ec, 4, priv_not_sensitive, 1, &hpub, &hpriv),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_p521, 1, NULL, 0, &hpub, &hpriv), CKR_CURVE_NOT_SUPPORTED);
    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, NULL, 0, NULL, 0, &hpub, &hpriv), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, pub_rsa_bad, 1, NULL, 0, &hpub, &hpriv), CKR_KEY_SIZE_RANGE);
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, pub_rsa_e3, 2, NULL, 0, &hpub, &hpriv),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, pub_ec, 1, NULL, 0, &hpub, &hpriv), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(fake_appliance_count(SIGIL_OP_GENERATE_KEYPAIR), 0);

    assert_int_equal(C_GenerateKeyPair(g_h, &ecgen, pub_ec, 4, priv_ok, 4, &hpub, &hpriv), CKR_OK);
    assert_int_not_equal(hpub, hpriv);
    uint8_t kt = 0;
    uint32_t param = 0;
    size_t id_len = 0;
    char label[130];
    fake_appliance_last_keygen(&kt, &param, &id_len, label, sizeof(label));
    assert_int_equal(kt, SIGIL_KEYTYPE_EC);
    assert_int_equal(param, 256);
    assert_int_equal(id_len, 3);
    assert_string_equal(label, "k1");
    /* Both halves share the id, and the new keys are found. */
    CK_BYTE got_id[8];
    CK_ATTRIBUTE a[] = {{CKA_ID, got_id, sizeof(got_id)}};
    assert_int_equal(C_GetAttributeValue(g_h, hpriv, a, 1), CKR_OK);
    assert_int_equal(a[0].ulValueLen, 3);
    CK_OBJECT_HANDLE objs[8];
    CK_ULONG n = 0;
    CK_ATTRIBUTE t[] = {{CKA_ID, id, sizeof(id)}};
    assert_int_equal(C_FindObjectsInit(g_h, t, 1), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, objs, 8, &n), CKR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);

    /* RSA without an id: both halves get the SHA-1 of the modulus, as OpenSC names keys, set with
     * SET_OBJECT after the pair is made. */
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, pub_rsa, 1, NULL, 0, &hpub, &hpriv), CKR_OK);
    fake_appliance_last_keygen(&kt, &param, &id_len, label, sizeof(label));
    assert_int_equal(kt, SIGIL_KEYTYPE_RSA);
    assert_int_equal(param, 2048);
    assert_int_equal(id_len, 0);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SET_OBJECT), 2);
    CK_BYTE modulus[256], want[20], got_pub[32], got_priv[32];
    CK_ATTRIBUTE am[] = {{CKA_MODULUS, modulus, sizeof(modulus)}};
    assert_int_equal(C_GetAttributeValue(g_h, hpub, am, 1), CKR_OK);
    assert_int_equal(EVP_Digest(modulus, am[0].ulValueLen, want, NULL, EVP_sha1(), NULL), 1);
    CK_ATTRIBUTE ap[] = {{CKA_ID, got_pub, sizeof(got_pub)}};
    CK_ATTRIBUTE av[] = {{CKA_ID, got_priv, sizeof(got_priv)}};
    assert_int_equal(C_GetAttributeValue(g_h, hpub, ap, 1), CKR_OK);
    assert_int_equal(C_GetAttributeValue(g_h, hpriv, av, 1), CKR_OK);
    assert_int_equal(ap[0].ulValueLen, 20);
    assert_int_equal(av[0].ulValueLen, 20);
    assert_memory_equal(got_pub, want, 20);
    assert_memory_equal(got_priv, want, 20);

    /* If the id cannot be stored, the new pair is destroyed: nothing is left behind. */
    unsigned destroys = fake_appliance_count(SIGIL_OP_DESTROY_OBJECT);
    fake_appliance_fail_next(SIGIL_OP_SET_OBJECT, SIGIL_ST_STORAGE_FAILURE);
    assert_int_equal(C_GenerateKeyPair(g_h, &rsagen, pub_rsa, 1, NULL, 0, &hpub, &hpriv), CKR_DEVICE_ERROR);
    assert_int_equal(fake_appliance_count(SIGIL_OP_DESTROY_OBJECT), destroys + 2);
}

static void test_keygen_read_only(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0;
    CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub_ec[] = {{CKA_EC_PARAMS, g_p256, sizeof(g_p256)}};
    CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_Login(ro, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GenerateKeyPair(ro, &ecgen, pub_ec, 1, NULL, 0, &hpub, &hpriv), CKR_SESSION_READ_ONLY);
    CK_MECHANISM bad = {CKM_DSA_KEY_PAIR_GEN, NULL, 0};
    assert_int_equal(C_GenerateKeyPair(g_h, &bad, pub_ec, 1, NULL, 0, &hpub, &hpriv), CKR_MECHANISM_INVALID);
}

static void test_destroy(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_CLASS cls;
    CK_ATTRIBUTE a[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_DestroyObject(ro, FAKE_RSA_PUB), CKR_SESSION_READ_ONLY);
    assert_int_equal(C_DestroyObject(g_h, 4242), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_DestroyObject(g_h, FAKE_RSA_PUB), CKR_OK);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_RSA_PUB, a, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_RSA_PRIV, a, 1), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_attribute_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_invisible_when_logged_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
