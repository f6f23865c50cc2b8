/* test_module_setattr.c — C_SetAttributeValue over the fake appliance (what may change, what goes
 * out in SET_OBJECT, what is read-only), and the attrs codec (attrs_codec.c) on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "attrs_codec.h"
#include "fake_appliance.h"
#include "test_hooks.h"

#define PIN(s) (CK_UTF8CHAR_PTR)(s), (CK_ULONG)strlen(s)

static CK_SESSION_HANDLE g_h;
static CK_BBOOL g_true = CK_TRUE, g_false = CK_FALSE;
static CK_OBJECT_CLASS g_data = CKO_DATA;

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

static uint8_t last_set(sigil_obj_record **rec)
{
    *rec = malloc(sizeof(**rec));
    assert_non_null(*rec);
    return fake_appliance_last_set(*rec);
}

static void test_keys_label_and_id(void **state)
{
    (void)state;
    sigil_obj_record *rec = NULL;
    CK_BYTE id[] = {9, 9, 9};
    CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"renamed", 7}};
    CK_ATTRIBUTE reid[] = {{CKA_ID, id, sizeof(id)}};
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_SetAttributeValue(0xbad, FAKE_EC_PRIV, relabel, 1), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, 4242, relabel, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, relabel, 1), CKR_OK);
    assert_int_equal(last_set(&rec), SIGIL_SET_LABEL);
    assert_int_equal(rec->handle, FAKE_EC_PRIV);
    assert_string_equal(rec->label, "renamed");
    free(rec);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, reid, 1), CKR_OK);
    assert_int_equal(last_set(&rec), SIGIL_SET_ID);
    assert_int_equal(rec->id_len, 3);
    free(rec);
    /* The cache follows. */
    CK_BYTE label[16];
    CK_ATTRIBUTE get[] = {{CKA_LABEL, label, sizeof(label)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, get, 1), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 7);
    assert_memory_equal(label, "renamed", 7);
    /* The same value again: nothing to send. */
    unsigned sets = fake_appliance_count(SIGIL_OP_SET_OBJECT);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, relabel, 1), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, NULL, 0), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SET_OBJECT), sets);
    /* Too long, or with a NUL. */
    char longlabel[200];
    memset(longlabel, 'a', sizeof(longlabel));
    CK_ATTRIBUTE too_long[] = {{CKA_LABEL, longlabel, sizeof(longlabel)}};
    CK_ATTRIBUTE with_nul[] = {{CKA_LABEL, (void *)"a\0b", 3}};
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, too_long, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, with_nul, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    /* Two different labels in one template. */
    CK_ATTRIBUTE twice[] = {{CKA_LABEL, (void *)"a", 1}, {CKA_LABEL, (void *)"b", 1}};
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, twice, 2), CKR_TEMPLATE_INCONSISTENT);
    /* R/O session: token objects cannot change. */
    CK_SESSION_HANDLE ro = 0;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_SetAttributeValue(ro, FAKE_EC_PRIV, relabel, 1), CKR_SESSION_READ_ONLY);
}

static void test_keys_read_only(void **state)
{
    (void)state;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_BYTE subject[] = {0x30, 0x00};
    CK_BYTE mod[4] = {1, 2, 3, 4};
    unsigned sets = fake_appliance_count(SIGIL_OP_SET_OBJECT);
    CK_ATTRIBUTE a_class[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_ATTRIBUTE a_kt[] = {{CKA_KEY_TYPE, &kt, sizeof(kt)}};
    CK_ATTRIBUTE a_sens_off[] = {{CKA_SENSITIVE, &g_false, 1}};
    CK_ATTRIBUTE a_sens_on[] = {{CKA_SENSITIVE, &g_true, 1}};
    CK_ATTRIBUTE a_extr_on[] = {{CKA_EXTRACTABLE, &g_true, 1}};
    CK_ATTRIBUTE a_extr_off[] = {{CKA_EXTRACTABLE, &g_false, 1}};
    CK_ATTRIBUTE a_sign_off[] = {{CKA_SIGN, &g_false, 1}};
    CK_ATTRIBUTE a_sign_on[] = {{CKA_SIGN, &g_true, 1}};
    CK_ATTRIBUTE a_subject[] = {{CKA_SUBJECT, subject, sizeof(subject)}};
    CK_ATTRIBUTE a_value[] = {{CKA_VALUE, mod, sizeof(mod)}};
    CK_ATTRIBUTE a_mod[] = {{CKA_MODULUS, mod, sizeof(mod)}};
    CK_ATTRIBUTE a_token[] = {{CKA_TOKEN, &g_false, 1}};
    CK_ATTRIBUTE a_private[] = {{CKA_PRIVATE, &g_false, 1}};
    CK_ATTRIBUTE a_bad_len[] = {{CKA_SENSITIVE, &kt, sizeof(kt)}};
    CK_ATTRIBUTE a_unknown[] = {{CKA_APPLICATION, mod, 1}};

    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_class, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_kt, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_sens_off, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_sens_on, 1), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_extr_on, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_extr_off, 1), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_sign_off, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_sign_on, 1), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_subject, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_RSA_PRIV, a_value, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_RSA_PUB, a_mod, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, a_mod, 1), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, a_token, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, a_private, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_bad_len, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, a_unknown, 1), CKR_ATTRIBUTE_TYPE_INVALID);
    /* All or nothing: a good label with a bad attribute changes nothing. */
    CK_ATTRIBUTE mixed[] = {{CKA_LABEL, (void *)"zzz", 3}, {CKA_CLASS, &cls, sizeof(cls)}};
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PRIV, mixed, 2), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SET_OBJECT), sets);
    CK_BYTE label[16];
    CK_ATTRIBUTE get[] = {{CKA_LABEL, label, sizeof(label)}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, get, 1), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 6);
    assert_memory_equal(label, "ec key", 6);
}

static void test_certificate_and_data(void **state)
{
    (void)state;
    sigil_obj_record *rec = NULL;
    CK_OBJECT_HANDLE h = 0;
    CK_BYTE oid[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
    CK_ATTRIBUTE t_data[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1},
                             {CKA_VALUE, (void *)"v1", 2}, {CKA_APPLICATION, (void *)"app", 3}};
    assert_int_equal(C_CreateObject(g_h, t_data, 4, &h), CKR_OK);
    /* Data objects: the label changes; CKA_VALUE, CKA_APPLICATION, CKA_OBJECT_ID have no
     * PKCS#11 footnote 8 and do not (as SoftHSM). */
    CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"data", 4}};
    CK_ATTRIBUTE value[] = {{CKA_VALUE, (void *)"v2", 2}};
    CK_ATTRIBUTE app[] = {{CKA_APPLICATION, (void *)"other", 5}};
    CK_ATTRIBUTE a_oid[] = {{CKA_OBJECT_ID, oid, sizeof(oid)}};
    assert_int_equal(C_SetAttributeValue(g_h, h, relabel, 1), CKR_OK);
    assert_int_equal(last_set(&rec), SIGIL_SET_LABEL);
    free(rec);
    assert_int_equal(C_SetAttributeValue(g_h, h, value, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, h, app, 1), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_SetAttributeValue(g_h, h, a_oid, 1), CKR_ATTRIBUTE_READ_ONLY);

    /* CKA_COPYABLE may become false (stored in attrs), never true again. */
    CK_ATTRIBUTE nocopy[] = {{CKA_COPYABLE, &g_false, 1}};
    CK_ATTRIBUTE copy_again[] = {{CKA_COPYABLE, &g_true, 1}};
    assert_int_equal(C_SetAttributeValue(g_h, h, nocopy, 1), CKR_OK);
    assert_int_equal(last_set(&rec), SIGIL_SET_ATTRS);
    free(rec);
    assert_int_equal(C_SetAttributeValue(g_h, h, copy_again, 1), CKR_ATTRIBUTE_READ_ONLY);
    CK_OBJECT_HANDLE h2 = 0;
    assert_int_equal(C_CopyObject(g_h, h, NULL, 0, &h2), CKR_ACTION_PROHIBITED);
    /* And that survives a reload from the appliance. */
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    CK_BBOOL copyable = CK_TRUE;
    CK_BYTE v[8];
    CK_ATTRIBUTE get[] = {{CKA_COPYABLE, &copyable, 1}, {CKA_VALUE, v, sizeof(v)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, get, 2), CKR_OK);
    assert_int_equal(copyable, CK_FALSE);
    assert_int_equal(get[1].ulValueLen, 2);

    /* CKA_MODIFIABLE false: nothing changes (CKR_ACTION_PROHIBITED). */
    CK_ATTRIBUTE t_ro[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1},
                           {CKA_MODIFIABLE, &g_false, 1}};
    assert_int_equal(C_CreateObject(g_h, t_ro, 3, &h), CKR_OK);
    assert_int_equal(C_SetAttributeValue(g_h, h, relabel, 1), CKR_ACTION_PROHIBITED);
}

static void test_session_object_changes(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE h = 0;
    CK_BYTE subject[] = {0x30, 0x00};
    unsigned sets = fake_appliance_count(SIGIL_OP_SET_OBJECT);
    /* A session copy of a public key keeps a subject; the token key could not. */
    CK_ATTRIBUTE to_session[] = {{CKA_TOKEN, &g_false, 1}};
    assert_int_equal(C_CopyObject(g_h, FAKE_EC_PUB, to_session, 1, &h), CKR_OK);
    CK_ATTRIBUTE a_subject[] = {{CKA_SUBJECT, subject, sizeof(subject)}, {CKA_LABEL, (void *)"s", 1}};
    assert_int_equal(C_SetAttributeValue(g_h, h, a_subject, 2), CKR_OK);
    CK_BYTE got[8], label[8];
    CK_ATTRIBUTE get[] = {{CKA_SUBJECT, got, sizeof(got)}, {CKA_LABEL, label, sizeof(label)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, get, 2), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 2);
    assert_int_equal(get[1].ulValueLen, 1);
    assert_int_equal(fake_appliance_count(SIGIL_OP_SET_OBJECT), sets);
    /* A session object may change in an R/O session. */
    CK_SESSION_HANDLE ro = 0;
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"ro", 2}};
    assert_int_equal(C_SetAttributeValue(ro, h, relabel, 1), CKR_OK);
}

/* ---- the attrs codec ---------------------------------------------------------------------- */

static void test_codec_round_trip(void **state)
{
    (void)state;
    sigil_object o, back;
    uint8_t buf[SIGIL_OBJ_ATTRS_MAX];
    size_t len = 0;
    CK_ULONG cat = 2;
    CK_BBOOL f = CK_FALSE;
    memset(&o, 0, sizeof(o));
    memset(&back, 0, sizeof(back));
    assert_int_equal(sigil_xattr_put(&o, CKA_VALUE, "cert", 4), CKR_OK);
    assert_int_equal(sigil_xattr_put(&o, CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat)), CKR_OK);
    assert_int_equal(sigil_xattr_put(&o, CKA_COPYABLE, &f, sizeof(f)), CKR_OK);
    assert_int_equal(sigil_xattr_put(&o, 0x8badf00dUL, "vendor", 6), CKR_OK); /* kept as bytes */
    assert_int_equal(sigil_attrs_encode(&o, buf, sizeof(buf), &len), CKR_OK);
    /* ABI-independent: the category as 8 bytes big-endian, the flag as one byte. */
    static const uint8_t want_cat[] = {0, 0, 0, 0x87, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2};
    assert_memory_equal(buf + 4 + 4 + 4, want_cat, sizeof(want_cat));
    assert_memory_equal(buf + 28, "\x00\x00\x01\x71\x00\x00\x00\x01\x00", 9);
    assert_int_equal(sigil_attrs_decode(buf, len, &back), CKR_OK);
    assert_int_equal(back.n_x, 4);
    assert_int_equal(sigil_xattr_ulong(&back, CKA_CERTIFICATE_CATEGORY, 0), 2);
    assert_false(sigil_xattr_bool(&back, CKA_COPYABLE, true));
    const sigil_xattr *v = sigil_xattr_find(&back, 0x8badf00dUL);
    assert_non_null(v);
    assert_int_equal(v->len, 6);
    sigil_object_release(&back);

    /* Too big for the record: CKR_DEVICE_MEMORY. */
    assert_int_equal(sigil_attrs_encode(&o, buf, 10, &len), CKR_DEVICE_MEMORY);
    sigil_object_release(&o);
}

static void test_codec_malformed(void **state)
{
    (void)state;
    sigil_object o;
    /* type CKA_VALUE, length 5 but 2 bytes */
    static const uint8_t truncated[] = {0, 0, 0, 0x11, 0, 0, 0, 5, 1, 2};
    /* CKA_COPYABLE with 2 bytes; CKA_CERTIFICATE_CATEGORY with 4 */
    static const uint8_t bad_bool[] = {0, 0, 0x01, 0x71, 0, 0, 0, 2, 0, 1};
    static const uint8_t bad_ulong[] = {0, 0, 0, 0x87, 0, 0, 0, 4, 0, 0, 0, 1};
    static const uint8_t twice[] = {0, 0, 0, 0x11, 0, 0, 0, 1, 'a', 0, 0, 0, 0x11, 0, 0, 0, 1, 'b'};
    static const uint8_t lone_type[] = {0, 0, 0, 0x11};
    const struct {
        const uint8_t *p;
        size_t n;
    } cases[] = {{truncated, sizeof(truncated)}, {bad_bool, sizeof(bad_bool)}, {bad_ulong, sizeof(bad_ulong)},
                 {twice, sizeof(twice)},         {lone_type, sizeof(lone_type)}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&o, 0, sizeof(o));
        assert_int_equal(sigil_attrs_decode(cases[i].p, cases[i].n, &o), CKR_DEVICE_ERROR);
        sigil_object_release(&o);
    }
    memset(&o, 0, sizeof(o));
    assert_int_equal(sigil_attrs_decode(NULL, 0, &o), CKR_OK);
    assert_int_equal(o.n_x, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_label_and_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_object_changes, setup, teardown),
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
