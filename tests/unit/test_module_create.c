/* test_module_create.c — C_CreateObject, C_CopyObject, C_DestroyObject and session objects over the
 * fake appliance: certificates (subject, issuer and serial derived from the DER), data objects,
 * public keys, key import refused, the session and login rules, what reaches the wire. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
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
static CK_OBJECT_CLASS g_cert = CKO_CERTIFICATE, g_data = CKO_DATA, g_pub = CKO_PUBLIC_KEY;
static CK_CERTIFICATE_TYPE g_x509 = CKC_X_509;
static CK_KEY_TYPE g_ec = CKK_EC, g_rsa = CKK_RSA;
static CK_BYTE g_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* A self-signed EC P-256 certificate, DER, with subject/issuer CN=cn and the given serial. */
typedef struct {
    uint8_t der[2048];
    size_t len;
    uint8_t subject[256];
    size_t subject_len;
} test_cert;

static void make_cert(const char *cn, long serial, test_cert *c)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_int_equal(X509_set_pubkey(x, k), 1);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char *p = c->der;
    int n = i2d_X509(x, NULL);
    assert_true(n > 0 && (size_t)n <= sizeof(c->der));
    c->len = (size_t)i2d_X509(x, &p);
    p = c->subject;
    n = i2d_X509_NAME(name, NULL);
    assert_true(n > 0 && (size_t)n <= sizeof(c->subject));
    c->subject_len = (size_t)i2d_X509_NAME(name, &p);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* The uncompressed point of a fresh P-256 key. */
static size_t make_ec_point(uint8_t *point, size_t cap)
{
    size_t n = 0;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, cap, &n), 1);
    EVP_PKEY_free(k);
    return n;
}

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

static CK_ULONG find_class(CK_SESSION_HANDLE h, CK_OBJECT_CLASS *cls, CK_OBJECT_HANDLE *out, CK_ULONG cap)
{
    CK_ULONG got = 0;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, cls, sizeof(*cls)}};
    assert_int_equal(C_FindObjectsInit(h, t, 1), CKR_OK);
    assert_int_equal(C_FindObjects(h, out, cap, &got), CKR_OK);
    assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
    return got;
}

/* Does the attrs TLV of a record hold attribute type t with this value? */
static bool tlv_has(const sigil_obj_record *r, uint32_t t, const void *val, size_t len)
{
    sigil_rd rd;
    sigil_rd_init(&rd, r->attrs, r->attrs_len);
    while (rd.off < rd.len) {
        size_t n = 0;
        uint32_t type = sigil_rd_u32(&rd);
        const uint8_t *p = sigil_rd_bytes(&rd, SIGIL_OBJ_ATTRS_MAX, &n);
        if (!sigil_rd_ok(&rd))
            return false;
        if (type == t)
            return n == len && (len == 0 || memcmp(p, val, len) == 0);
    }
    return false;
}

static void check_cert_attrs(CK_OBJECT_HANDLE h, const test_cert *c)
{
    CK_BYTE subject[256], issuer[256], serial[16], value[2048], cv[3], id[8], label[16];
    CK_CERTIFICATE_TYPE ct = 0;
    CK_ULONG cat = 99;
    CK_BBOOL trusted = CK_TRUE, token = CK_FALSE, priv = CK_TRUE, modifiable = CK_FALSE;
    CK_ATTRIBUTE a[] = {
        {CKA_SUBJECT, subject, sizeof(subject)},   {CKA_ISSUER, issuer, sizeof(issuer)},
        {CKA_SERIAL_NUMBER, serial, sizeof(serial)}, {CKA_VALUE, value, sizeof(value)},
        {CKA_CHECK_VALUE, cv, sizeof(cv)},         {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        {CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat)}, {CKA_TRUSTED, &trusted, 1},
        {CKA_TOKEN, &token, 1},                    {CKA_PRIVATE, &priv, 1},
        {CKA_MODIFIABLE, &modifiable, 1},          {CKA_ID, id, sizeof(id)},
        {CKA_LABEL, label, sizeof(label)},
    };
    assert_int_equal(C_GetAttributeValue(g_h, h, a, sizeof(a) / sizeof(a[0])), CKR_OK);
    assert_int_equal(a[0].ulValueLen, c->subject_len);
    assert_memory_equal(subject, c->subject, c->subject_len);
    assert_int_equal(a[1].ulValueLen, c->subject_len); /* self-signed */
    assert_memory_equal(issuer, c->subject, c->subject_len);
    assert_int_equal(a[2].ulValueLen, 3);
    assert_memory_equal(serial, "\x02\x01\x07", 3); /* DER INTEGER 7 */
    assert_int_equal(a[3].ulValueLen, c->len);
    assert_memory_equal(value, c->der, c->len);
    uint8_t md[20];
    unsigned int mdn = 0;
    assert_int_equal(EVP_Digest(c->der, c->len, md, &mdn, EVP_sha1(), NULL), 1);
    assert_int_equal(a[4].ulValueLen, 3);
    assert_memory_equal(cv, md, 3);
    assert_int_equal(ct, CKC_X_509);
    assert_int_equal(cat, 0);
    assert_int_equal(trusted, CK_FALSE);
    assert_int_equal(token, CK_TRUE);
    assert_int_equal(priv, CK_FALSE);
    assert_int_equal(modifiable, CK_TRUE);
    assert_int_equal(a[11].ulValueLen, 2);
    assert_int_equal(a[12].ulValueLen, 2);
    assert_memory_equal(label, "c1", 2);
}

static void test_cert_token_derived(void **state)
{
    (void)state;
    test_cert c;
    CK_BYTE id[] = {1, 2};
    CK_OBJECT_HANDLE h = 0, objs[8];
    make_cert("Sigil test seal", 7, &c);
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_cert, sizeof(g_cert)}, {CKA_CERTIFICATE_TYPE, &g_x509, sizeof(g_x509)},
                        {CKA_TOKEN, &g_true, 1}, {CKA_VALUE, c.der, c.len}, {CKA_LABEL, (void *)"c1", 2},
                        {CKA_ID, id, sizeof(id)}};
    assert_int_equal(C_CreateObject(g_h, t, 6, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CreateObject(g_h, NULL, 6, &h), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CreateObject(0xbad, t, 6, &h), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t, 6, &h), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 1);
    assert_true(h >= 100 && h < 0x80000000u);
    check_cert_attrs(h, &c);

    /* What went to the appliance: the further attributes as u32 type + bytes. */
    sigil_obj_record *rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_int_equal(rec->obj_class, SIGIL_CLASS_CERTIFICATE);
    assert_int_equal(rec->key_type, 0);
    assert_int_equal(rec->id_len, 2);
    assert_string_equal(rec->label, "c1");
    assert_true(tlv_has(rec, CKA_VALUE, c.der, c.len));
    assert_true(tlv_has(rec, CKA_SUBJECT, c.subject, c.subject_len));
    assert_true(tlv_has(rec, CKA_ISSUER, c.subject, c.subject_len));
    assert_true(tlv_has(rec, CKA_SERIAL_NUMBER, "\x02\x01\x07", 3));
    free(rec);

    /* Reloaded from OBJECT_LIST (decoded from attrs), and after a logout/login. */
    assert_int_equal(find_class(g_h, &g_cert, objs, 8), 1);
    assert_int_equal(objs[0], h);
    check_cert_attrs(h, &c);
    assert_int_equal(C_Logout(g_h), CKR_OK);
    check_cert_attrs(h, &c); /* public: visible without login */
    CK_ATTRIBUTE by_subject[] = {{CKA_SUBJECT, c.subject, c.subject_len}};
    CK_ULONG got = 0;
    assert_int_equal(C_FindObjectsInit(g_h, by_subject, 1), CKR_OK);
    assert_int_equal(C_FindObjects(g_h, objs, 8, &got), CKR_OK);
    assert_int_equal(C_FindObjectsFinal(g_h), CKR_OK);
    assert_int_equal(got, 1);
}

static void test_cert_explicit_and_bad(void **state)
{
    (void)state;
    test_cert c;
    CK_OBJECT_HANDLE h = 0;
    CK_BYTE garbage[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    CK_BYTE subject[] = {0x30, 0x00};
    CK_CERTIFICATE_TYPE attr_cert = CKC_X_509_ATTR_CERT;
    CK_ULONG cat = 2, badcat = 7;
    CK_BYTE date5[5] = {0};
    CK_DATE date;
    memcpy(&date, "20260101", 8);
    make_cert("explicit", 7, &c);
    uint8_t *trailing = malloc(c.len + 1);
    assert_non_null(trailing);
    memcpy(trailing, c.der, c.len);
    trailing[c.len] = 0;
    uint8_t md[20];
    unsigned int mdn = 0;
    assert_int_equal(EVP_Digest(c.der, c.len, md, &mdn, EVP_sha1(), NULL), 1);
    CK_BYTE badcv[3] = {md[0] ^ 1, md[1], md[2]};

#define CERT_T(extra_type, extra_val, extra_len, value, value_len)                                          \
    {{CKA_CLASS, &g_cert, sizeof(g_cert)}, {CKA_CERTIFICATE_TYPE, &g_x509, sizeof(g_x509)},                   \
     {CKA_VALUE, (value), (value_len)}, {(extra_type), (extra_val), (extra_len)}}
    CK_ATTRIBUTE t_garbage[] = CERT_T(CKA_LABEL, "x", 1, garbage, sizeof(garbage));
    CK_ATTRIBUTE t_trailing[] = CERT_T(CKA_LABEL, "x", 1, trailing, c.len + 1);
    CK_ATTRIBUTE t_trusted[] = CERT_T(CKA_TRUSTED, &g_true, 1, c.der, c.len);
    CK_ATTRIBUTE t_trusted_false[] = CERT_T(CKA_TRUSTED, &g_false, 1, c.der, c.len);
    CK_ATTRIBUTE t_badcv[] = CERT_T(CKA_CHECK_VALUE, badcv, 3, c.der, c.len);
    CK_ATTRIBUTE t_goodcv[] = CERT_T(CKA_CHECK_VALUE, md, 3, c.der, c.len);
    CK_ATTRIBUTE t_badcat[] = CERT_T(CKA_CERTIFICATE_CATEGORY, &badcat, sizeof(badcat), c.der, c.len);
    CK_ATTRIBUTE t_date5[] = CERT_T(CKA_START_DATE, date5, 5, c.der, c.len);
    CK_ATTRIBUTE t_date[] = CERT_T(CKA_END_DATE, &date, sizeof(date), c.der, c.len);
    CK_ATTRIBUTE t_modulus[] = CERT_T(CKA_MODULUS, garbage, 2, c.der, c.len);
    CK_ATTRIBUTE t_subject[] = CERT_T(CKA_SUBJECT, subject, sizeof(subject), c.der, c.len);
    CK_ATTRIBUTE t_cat[] = CERT_T(CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat), c.der, c.len);
    CK_ATTRIBUTE t_novalue[] = {{CKA_CLASS, &g_cert, sizeof(g_cert)}, {CKA_CERTIFICATE_TYPE, &g_x509, sizeof(g_x509)}};
    CK_ATTRIBUTE t_notype[] = {{CKA_CLASS, &g_cert, sizeof(g_cert)}, {CKA_VALUE, c.der, c.len}};
    CK_ATTRIBUTE t_attrcert[] = {{CKA_CLASS, &g_cert, sizeof(g_cert)},
                                 {CKA_CERTIFICATE_TYPE, &attr_cert, sizeof(attr_cert)},
                                 {CKA_VALUE, c.der, c.len}};

    assert_int_equal(C_CreateObject(g_h, t_garbage, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_trailing, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_trusted, 4, &h), CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(C_CreateObject(g_h, t_badcv, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_badcat, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_date5, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_modulus, 4, &h), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_novalue, 2, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(C_CreateObject(g_h, t_notype, 2, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(C_CreateObject(g_h, t_attrcert, 3, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);

    /* Session objects (CKA_TOKEN defaults to false): no round trip. */
    assert_int_equal(C_CreateObject(g_h, t_trusted_false, 4, &h), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, t_goodcv, 4, &h), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, t_date, 4, &h), CKR_OK);
    CK_DATE got_date;
    CK_ATTRIBUTE a_date[] = {{CKA_END_DATE, &got_date, sizeof(got_date)}, {CKA_START_DATE, NULL, 0}};
    assert_int_equal(C_GetAttributeValue(g_h, h, a_date, 2), CKR_OK);
    assert_memory_equal(&got_date, "20260101", 8);
    assert_int_equal(a_date[1].ulValueLen, 0);
    /* An explicit subject is kept as given. */
    assert_int_equal(C_CreateObject(g_h, t_subject, 4, &h), CKR_OK);
    CK_BYTE got[64];
    CK_ATTRIBUTE a_subject[] = {{CKA_SUBJECT, got, sizeof(got)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, a_subject, 1), CKR_OK);
    assert_int_equal(a_subject[0].ulValueLen, 2);
    assert_int_equal(C_CreateObject(g_h, t_cat, 4, &h), CKR_OK);
    CK_ULONG got_cat = 0;
    CK_ATTRIBUTE a_cat[] = {{CKA_CERTIFICATE_CATEGORY, &got_cat, sizeof(got_cat)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, a_cat, 1), CKR_OK);
    assert_int_equal(got_cat, 2);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);
    free(trailing);
#undef CERT_T
}

static void test_data_object(void **state)
{
    (void)state;
    CK_BYTE oid[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
    CK_OBJECT_HANDLE h = 0;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1}, {CKA_PRIVATE, &g_true, 1},
                        {CKA_APPLICATION, (void *)"sigil-test", 10}, {CKA_OBJECT_ID, oid, sizeof(oid)},
                        {CKA_VALUE, (void *)"hello", 5}, {CKA_LABEL, (void *)"d1", 2}};
    CK_BYTE id[] = {1};
    CK_ATTRIBUTE t_id[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_ID, id, 1}};
    assert_int_equal(C_CreateObject(g_h, t_id, 2, &h), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t, 7, &h), CKR_OK);

    CK_BYTE app[16], value[16], got_oid[8];
    CK_BBOOL priv = CK_FALSE;
    CK_ATTRIBUTE a[] = {{CKA_APPLICATION, app, sizeof(app)}, {CKA_VALUE, value, sizeof(value)},
                        {CKA_OBJECT_ID, got_oid, sizeof(got_oid)}, {CKA_PRIVATE, &priv, 1},
                        {CKA_ID, id, sizeof(id)}};
    assert_int_equal(C_GetAttributeValue(g_h, h, a, 5), CKR_ATTRIBUTE_TYPE_INVALID); /* data objects have no CKA_ID */
    assert_int_equal(a[0].ulValueLen, 10);
    assert_memory_equal(app, "sigil-test", 10);
    assert_int_equal(a[1].ulValueLen, 5);
    assert_memory_equal(value, "hello", 5);
    assert_int_equal(a[2].ulValueLen, sizeof(oid));
    assert_int_equal(priv, CK_TRUE);
    assert_int_equal(a[4].ulValueLen, CK_UNAVAILABLE_INFORMATION);

    sigil_obj_record *rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_int_equal(rec->obj_class, SIGIL_CLASS_DATA);
    assert_true(rec->flags & SIGIL_OBJ_PRIVATE);
    assert_true(tlv_has(rec, CKA_APPLICATION, "sigil-test", 10));
    free(rec);

    /* A private object: gone from view after logout. */
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_GetAttributeValue(g_h, h, a, 1), CKR_OBJECT_HANDLE_INVALID);
}

static void test_public_keys(void **state)
{
    (void)state;
    uint8_t point[133], der_point[140];
    size_t n = make_ec_point(point, sizeof(point));
    der_point[0] = 0x04;
    der_point[1] = (uint8_t)n;
    memcpy(der_point + 2, point, n);
    uint8_t bad_point[65];
    memset(bad_point, 0x42, sizeof(bad_point));
    bad_point[0] = 0x04;
    CK_BYTE p_unknown[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
    CK_BYTE subject[] = {0x30, 0x00};
    CK_OBJECT_HANDLE h = 0;

    CK_ATTRIBUTE t_ec[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                           {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_POINT, der_point, n + 2},
                           {CKA_VERIFY, &g_true, 1}, {CKA_TOKEN, &g_true, 1}};
    assert_int_equal(C_CreateObject(g_h, t_ec, 6, &h), CKR_OK);
    sigil_obj_record *rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_int_equal(rec->obj_class, SIGIL_CLASS_PUBLIC_KEY);
    assert_int_equal(rec->key_type, SIGIL_KEYTYPE_EC);
    assert_int_equal(rec->bits, 256);
    assert_int_equal(rec->pub_b_len, n);
    assert_memory_equal(rec->pub_b, point, n);
    assert_int_equal(rec->attrs_len, 0);
    assert_false(rec->flags & SIGIL_OBJ_LOCAL);
    free(rec);
    CK_BYTE got[140];
    CK_BBOOL local = CK_TRUE, verify = CK_FALSE;
    CK_ATTRIBUTE a[] = {{CKA_EC_POINT, got, sizeof(got)}, {CKA_LOCAL, &local, 1}, {CKA_VERIFY, &verify, 1}};
    assert_int_equal(C_GetAttributeValue(g_h, h, a, 3), CKR_OK);
    assert_int_equal(a[0].ulValueLen, n + 2);
    assert_memory_equal(got, der_point, n + 2);
    assert_int_equal(local, CK_FALSE);
    assert_int_equal(verify, CK_TRUE);

    /* The raw point is accepted too; a point off the curve, an unknown curve are not. */
    CK_ATTRIBUTE t_raw[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                            {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_POINT, point, n}};
    assert_int_equal(C_CreateObject(g_h, t_raw, 4, &h), CKR_OK);
    CK_ATTRIBUTE t_bad[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                            {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_POINT, bad_point, sizeof(bad_point)}};
    assert_int_equal(C_CreateObject(g_h, t_bad, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    CK_ATTRIBUTE t_curve[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                              {CKA_EC_PARAMS, p_unknown, sizeof(p_unknown)}, {CKA_EC_POINT, point, n}};
    assert_int_equal(C_CreateObject(g_h, t_curve, 4, &h), CKR_CURVE_NOT_SUPPORTED);
    CK_ATTRIBUTE t_nopoint[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                                {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}};
    assert_int_equal(C_CreateObject(g_h, t_nopoint, 3, &h), CKR_TEMPLATE_INCOMPLETE);
    CK_ATTRIBUTE t_notype[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}};
    assert_int_equal(C_CreateObject(g_h, t_notype, 2, &h), CKR_TEMPLATE_INCOMPLETE);
    CK_ATTRIBUTE t_mixed[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                              {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_POINT, point, n},
                              {CKA_MODULUS, point, 4}};
    assert_int_equal(C_CreateObject(g_h, t_mixed, 5, &h), CKR_TEMPLATE_INCONSISTENT);
    CK_ATTRIBUTE t_local[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_LOCAL, &g_true, 1}};
    assert_int_equal(C_CreateObject(g_h, t_local, 2, &h), CKR_ATTRIBUTE_READ_ONLY);

    /* A subject: kept on a session key; the appliance keeps none on keys. */
    CK_ATTRIBUTE t_subj[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                             {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_EC_POINT, point, n},
                             {CKA_SUBJECT, subject, sizeof(subject)}, {CKA_TOKEN, &g_false, 1}};
    assert_int_equal(C_CreateObject(g_h, t_subj, 6, &h), CKR_OK);
    assert_true(h & 0x80000000u);
    t_subj[5].pValue = &g_true;
    unsigned creates = fake_appliance_count(SIGIL_OP_CREATE_OBJECT);
    assert_int_equal(C_CreateObject(g_h, t_subj, 6, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), creates);

    /* RSA, from OpenSSL; CKA_MODULUS_BITS must agree. */
    EVP_PKEY *rk = EVP_RSA_gen(2048);
    assert_non_null(rk);
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(rk, OSSL_PKEY_PARAM_RSA_N, &bn_n), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(rk, OSSL_PKEY_PARAM_RSA_E, &bn_e), 1);
    CK_BYTE mod[257] = {0}, exp[8];
    assert_int_equal(BN_bn2bin(bn_n, mod + 1), 256); /* with a leading zero: stripped */
    int elen = BN_bn2bin(bn_e, exp);
    CK_ULONG bits = 2048, badbits = 3072;
    CK_ATTRIBUTE t_rsa[] = {{CKA_CLASS, &g_pub, sizeof(g_pub)}, {CKA_KEY_TYPE, &g_rsa, sizeof(g_rsa)},
                            {CKA_MODULUS, mod, sizeof(mod)}, {CKA_PUBLIC_EXPONENT, exp, (CK_ULONG)elen},
                            {CKA_MODULUS_BITS, &bits, sizeof(bits)}, {CKA_TOKEN, &g_true, 1},
                            {CKA_ENCRYPT, &g_true, 1}};
    assert_int_equal(C_CreateObject(g_h, t_rsa, 7, &h), CKR_OK);
    rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_int_equal(rec->key_type, SIGIL_KEYTYPE_RSA);
    assert_int_equal(rec->bits, 2048);
    assert_int_equal(rec->pub_a_len, 256);
    assert_memory_equal(rec->pub_a, mod + 1, 256);
    free(rec);
    t_rsa[4].pValue = &badbits;
    assert_int_equal(C_CreateObject(g_h, t_rsa, 7, &h), CKR_TEMPLATE_INCONSISTENT);
    BN_free(bn_n);
    BN_free(bn_e);
    EVP_PKEY_free(rk);
}

static void test_key_import_refused(void **state)
{
    (void)state;
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, secret = CKO_SECRET_KEY, hw = CKO_HW_FEATURE;
    CK_BYTE value[32] = {1};
    CK_OBJECT_HANDLE h = 0;
    CK_ATTRIBUTE t_priv[] = {{CKA_CLASS, &priv, sizeof(priv)}, {CKA_KEY_TYPE, &g_ec, sizeof(g_ec)},
                             {CKA_EC_PARAMS, g_p256, sizeof(g_p256)}, {CKA_VALUE, value, sizeof(value)}};
    CK_ATTRIBUTE t_secret[] = {{CKA_CLASS, &secret, sizeof(secret)}, {CKA_VALUE, value, sizeof(value)}};
    CK_ATTRIBUTE t_hw[] = {{CKA_CLASS, &hw, sizeof(hw)}};
    CK_ATTRIBUTE t_noclass[] = {{CKA_LABEL, (void *)"x", 1}};
    CK_ATTRIBUTE t_shortclass[] = {{CKA_CLASS, &priv, 4}};
    assert_int_equal(C_CreateObject(g_h, t_priv, 4, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_CreateObject(g_h, t_secret, 2, &h), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(C_CreateObject(g_h, t_hw, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, t_noclass, 1, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(C_CreateObject(g_h, t_shortclass, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(C_CreateObject(g_h, NULL, 0, &h), CKR_TEMPLATE_INCOMPLETE);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);
    /* Wrapping and unwrapping are not offered. */
    CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
    CK_BYTE wrapped[256];
    CK_ULONG wlen = sizeof(wrapped);
    assert_int_equal(C_WrapKey(g_h, &mech, FAKE_RSA_PUB, FAKE_EC_PRIV, wrapped, &wlen), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_UnwrapKey(g_h, &mech, FAKE_RSA_PRIV, wrapped, wlen, t_priv, 4, &h), CKR_FUNCTION_NOT_SUPPORTED);
}

static void test_create_state_rules(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_HANDLE h = 0;
    CK_ATTRIBUTE t_token[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1}};
    CK_ATTRIBUTE t_sess[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_PRIVATE, &g_false, 1}};
    CK_ATTRIBUTE t_priv[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_PRIVATE, &g_true, 1}};
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_CreateObject(ro, t_token, 2, &h), CKR_SESSION_READ_ONLY);
    assert_int_equal(C_CreateObject(ro, t_sess, 2, &h), CKR_OK); /* R/O sessions make session objects */
    assert_int_equal(C_CreateObject(ro, t_priv, 2, &h), CKR_OK);
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, t_token, 2, &h), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_CreateObject(g_h, t_priv, 2, &h), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_CreateObject(g_h, t_sess, 2, &h), CKR_OK);
    /* Data objects are private unless the template says otherwise (as SoftHSM). */
    assert_int_equal(C_CreateObject(g_h, t_sess, 1, &h), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);
    /* The appliance forgot the login (restart): the module learns it from the answer. */
    assert_int_equal(C_Login(g_h, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    fake_appliance_logout_all();
    assert_int_equal(C_CreateObject(g_h, t_token, 2, &h), CKR_USER_NOT_LOGGED_IN);
    CK_SESSION_INFO si;
    assert_int_equal(C_GetSessionInfo(g_h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
}

static void test_session_objects(void **state)
{
    (void)state;
    CK_SESSION_HANDLE a = 0, b = 0;
    CK_OBJECT_HANDLE h_pub = 0, h_priv = 0, objs[16];
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE get[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_ATTRIBUTE t_pub[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_VALUE, (void *)"p", 1},
                            {CKA_PRIVATE, &g_false, 1}};
    CK_ATTRIBUTE t_priv[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_PRIVATE, &g_true, 1}};
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &a), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &b), CKR_OK);
    assert_int_equal(C_CreateObject(a, t_pub, 3, &h_pub), CKR_OK);
    assert_int_equal(C_CreateObject(a, t_priv, 2, &h_priv), CKR_OK);
    assert_int_not_equal(h_pub, h_priv);
    assert_true(h_pub & 0x80000000u);
    CK_BBOOL token = CK_TRUE;
    CK_ATTRIBUTE get_token[] = {{CKA_TOKEN, &token, 1}};
    assert_int_equal(C_GetAttributeValue(b, h_pub, get_token, 1), CKR_OK); /* seen by every session */
    assert_int_equal(token, CK_FALSE);
    assert_int_equal(find_class(b, &g_data, objs, 16), 2);
    /* Logout destroys the private session objects (v2.40 §5.6). */
    assert_int_equal(C_Logout(b), CKR_OK);
    assert_int_equal(C_Login(b, CKU_USER, PIN(FAKE_USER_PIN)), CKR_OK);
    assert_int_equal(C_GetAttributeValue(b, h_priv, get, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_GetAttributeValue(b, h_pub, get, 1), CKR_OK);
    /* Closing the session that made it destroys it. */
    assert_int_equal(C_CloseSession(a), CKR_OK);
    assert_int_equal(C_GetAttributeValue(b, h_pub, get, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(find_class(b, &g_data, objs, 16), 0);
    /* Destroying a session object works from an R/O session. */
    assert_int_equal(C_CreateObject(b, t_pub, 3, &h_pub), CKR_OK);
    assert_int_equal(C_DestroyObject(b, h_pub), CKR_OK);
    assert_int_equal(C_DestroyObject(b, h_pub), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 0);
    assert_int_equal(fake_appliance_count(SIGIL_OP_DESTROY_OBJECT), 0);
}

static void test_copy(void **state)
{
    (void)state;
    test_cert c;
    CK_OBJECT_HANDLE h = 0, h2 = 0, h3 = 0;
    CK_BYTE id[] = {1, 2};
    make_cert("copy me", 7, &c);
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &g_cert, sizeof(g_cert)}, {CKA_CERTIFICATE_TYPE, &g_x509, sizeof(g_x509)},
                        {CKA_TOKEN, &g_true, 1}, {CKA_VALUE, c.der, c.len}, {CKA_LABEL, (void *)"c1", 2},
                        {CKA_ID, id, sizeof(id)}};
    assert_int_equal(C_CreateObject(g_h, t, 6, &h), CKR_OK);

    CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"copy", 4}};
    assert_int_equal(C_CopyObject(g_h, h, relabel, 1, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CopyObject(g_h, h, NULL, 1, &h2), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_CopyObject(g_h, 4242, relabel, 1, &h2), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(C_CopyObject(g_h, h, relabel, 1, &h2), CKR_OK);
    assert_int_not_equal(h, h2);
    assert_int_equal(fake_appliance_count(SIGIL_OP_CREATE_OBJECT), 2);
    sigil_obj_record *rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_string_equal(rec->label, "copy");
    assert_true(tlv_has(rec, CKA_VALUE, c.der, c.len));
    free(rec);
    check_cert_attrs(h, &c);

    /* Into a session object; values that cannot change refuse. */
    CK_ATTRIBUTE to_session[] = {{CKA_TOKEN, &g_false, 1}, {CKA_PRIVATE, &g_true, 1}};
    assert_int_equal(C_CopyObject(g_h, h, to_session, 2, &h3), CKR_OK);
    assert_true(h3 & 0x80000000u);
    CK_ATTRIBUTE new_value[] = {{CKA_VALUE, (void *)"x", 1}};
    assert_int_equal(C_CopyObject(g_h, h, new_value, 1, &h3), CKR_ATTRIBUTE_READ_ONLY);
    CK_ATTRIBUTE bad_type[] = {{CKA_MODULUS, (void *)"x", 1}};
    assert_int_equal(C_CopyObject(g_h, h, bad_type, 1, &h3), CKR_ATTRIBUTE_TYPE_INVALID);

    /* Keys: a private key never (its key material stays inside); a public key may. */
    CK_BBOOL copyable = CK_TRUE;
    CK_ATTRIBUTE get_copyable[] = {{CKA_COPYABLE, &copyable, 1}};
    assert_int_equal(C_GetAttributeValue(g_h, FAKE_EC_PRIV, get_copyable, 1), CKR_OK);
    assert_int_equal(copyable, CK_FALSE);
    assert_int_equal(C_CopyObject(g_h, FAKE_EC_PRIV, NULL, 0, &h3), CKR_ACTION_PROHIBITED);
    CK_ATTRIBUTE to_session2[] = {{CKA_TOKEN, &g_false, 1}};
    assert_int_equal(C_CopyObject(g_h, FAKE_EC_PUB, to_session2, 1, &h3), CKR_OK);
    assert_true(h3 & 0x80000000u);
    CK_BBOOL local = CK_FALSE;
    CK_ATTRIBUTE get_local[] = {{CKA_LOCAL, &local, 1}};
    assert_int_equal(C_GetAttributeValue(g_h, h3, get_local, 1), CKR_OK);
    assert_int_equal(local, CK_TRUE);
    CK_ATTRIBUTE to_token[] = {{CKA_TOKEN, &g_true, 1}, {CKA_LABEL, (void *)"pub copy", 8}};
    assert_int_equal(C_CopyObject(g_h, FAKE_EC_PUB, to_token, 2, &h3), CKR_OK);
    rec = malloc(sizeof(*rec));
    assert_non_null(rec);
    fake_appliance_last_create(rec);
    assert_int_equal(rec->obj_class, SIGIL_CLASS_PUBLIC_KEY);
    assert_false(rec->flags & SIGIL_OBJ_LOCAL);
    free(rec);

    /* CKA_COPYABLE false: no copies. */
    CK_ATTRIBUTE t_nocopy[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_COPYABLE, &g_false, 1}};
    assert_int_equal(C_CreateObject(g_h, t_nocopy, 2, &h3), CKR_OK);
    assert_int_equal(C_CopyObject(g_h, h3, NULL, 0, &h2), CKR_ACTION_PROHIBITED);
}

static void test_destroy_rules(void **state)
{
    (void)state;
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_HANDLE h = 0, keep = 0;
    CK_ATTRIBUTE t_token[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1}};
    CK_ATTRIBUTE t_keep[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_DESTROYABLE, &g_false, 1}};
    assert_int_equal(C_CreateObject(g_h, t_token, 2, &h), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, t_keep, 2, &keep), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(C_DestroyObject(ro, h), CKR_SESSION_READ_ONLY);
    assert_int_equal(C_DestroyObject(g_h, keep), CKR_ACTION_PROHIBITED);
    assert_int_equal(C_DestroyObject(g_h, h), CKR_OK);
    assert_int_equal(fake_appliance_count(SIGIL_OP_DESTROY_OBJECT), 1);
    assert_int_equal(C_DestroyObject(g_h, h), CKR_OBJECT_HANDLE_INVALID);
}

/* The appliance lets only the seal user change objects; an SO is refused and stays logged in. */
static void test_so_cannot_change_objects(void **state)
{
    (void)state;
    CK_OBJECT_HANDLE h = 0;
    CK_SESSION_INFO si;
    CK_ATTRIBUTE t_token[] = {{CKA_CLASS, &g_data, sizeof(g_data)}, {CKA_TOKEN, &g_true, 1}};
    CK_ATTRIBUTE relabel[] = {{CKA_LABEL, (void *)"so", 2}};
    assert_int_equal(C_Logout(g_h), CKR_OK);
    assert_int_equal(C_Login(g_h, CKU_SO, PIN(FAKE_SO_PIN)), CKR_OK);
    assert_int_equal(C_CreateObject(g_h, t_token, 2, &h), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_SetAttributeValue(g_h, FAKE_EC_PUB, relabel, 1), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_DestroyObject(g_h, FAKE_EC_PUB), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(C_GetSessionInfo(g_h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_SO_FUNCTIONS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cert_token_derived, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cert_explicit_and_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_import_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_state_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_so_cannot_change_objects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
