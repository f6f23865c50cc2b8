/* test_admin_certrec.c — a certificate record as sigil-admin stores it (admin_cert_record, the
 * attrs codec of proto/sigil_attrs.h) is read by the PKCS#11 module's own code exactly as the one
 * the module builds from a C_CreateObject template: same CKA_VALUE, CKA_SUBJECT, CKA_ISSUER,
 * CKA_SERIAL_NUMBER, CKA_ID, CKA_LABEL, and the category sigil-admin sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "admin.h"
#include "attrs_codec.h"
#include "objbuild.h"
#include "object.h"
#include "sigil_attrs.h"

static X509 *make_cert(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    X509_NAME *n = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"PL", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "organizationIdentifier", MBSTRING_UTF8,
                                                (const unsigned char *)"VATPL-1234567890", -1, -1, 0),
                     1);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Zażółć seal", -1, -1, 0),
                     1);
    X509_set_issuer_name(x, n);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234567);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    EVP_PKEY_free(k);
    return x;
}

/* Attribute t of o as the module hands it to an application. */
static void value(const sigil_object *o, CK_ATTRIBUTE_TYPE t, uint8_t *out, size_t *len)
{
    uint8_t tmp[SIGIL_ATTR_TMP];
    const uint8_t *v = NULL;
    assert_int_equal(sigil_attr_value(o, t, tmp, &v, len), CKR_OK);
    memcpy(out, v, *len);
}

static void same(const sigil_object *a, const sigil_object *b, CK_ATTRIBUTE_TYPE t)
{
    static uint8_t va[8192], vb[8192];
    size_t la = 0, lb = 0;
    value(a, t, va, &la);
    value(b, t, vb, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(va, vb, la);
}

static void test_module_reads_it(void **state)
{
    (void)state;
    static const uint8_t id[] = {0xc9, 0xc8, 0xa7, 0x43, 0x04, 0x82, 0x70, 0x21};
    X509 *x = make_cert();
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    assert_true(dl > 0);

    /* What sigil-admin stores with CREATE_OBJECT, read back through the module's codec. */
    sigil_obj_record *rec = calloc(1, sizeof(*rec));
    assert_int_equal(admin_cert_record(x, id, sizeof id, "demo seal", SIGIL_CERT_CATEGORY_TOKEN_USER, rec), 0);
    assert_int_equal(rec->obj_class, SIGIL_CLASS_CERTIFICATE);
    assert_int_equal(rec->flags & SIGIL_OBJ_PRIVATE, 0);
    assert_true(sigil_attrs_valid(rec->attrs, rec->attrs_len));
    sigil_object admin_obj;
    assert_int_equal(sigil_object_from_record(&admin_obj, rec), CKR_OK);

    /* What the module builds from the template an application (pkcs11-tool) gives. */
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG cat = 1;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof ct},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VALUE, der, (CK_ULONG)dl},
        {CKA_ID, (void *)id, sizeof id},
        {CKA_LABEL, (void *)"demo seal", 9},
        {CKA_CERTIFICATE_CATEGORY, &cat, sizeof cat},
    };
    sigil_object mod_obj;
    bool token = false;
    assert_int_equal(sigil_objbuild_create(tmpl, sizeof tmpl / sizeof tmpl[0], &mod_obj, &token), CKR_OK);
    assert_true(token);
    /* The module stores it through the same codec: both records decode to the same attributes. */
    sigil_obj_record *mrec = calloc(1, sizeof(*mrec));
    assert_int_equal(sigil_object_to_record(&mod_obj, mrec), CKR_OK);
    sigil_object mod_back;
    assert_int_equal(sigil_object_from_record(&mod_back, mrec), CKR_OK);

    const CK_ATTRIBUTE_TYPE types[] = {CKA_CLASS,         CKA_CERTIFICATE_TYPE, CKA_VALUE,   CKA_SUBJECT,
                                       CKA_ISSUER,        CKA_SERIAL_NUMBER,    CKA_ID,      CKA_LABEL,
                                       CKA_CHECK_VALUE,   CKA_PRIVATE,          CKA_TRUSTED, CKA_CERTIFICATE_CATEGORY,
                                       CKA_MODIFIABLE,    CKA_COPYABLE,         CKA_DESTROYABLE};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        same(&admin_obj, &mod_back, types[i]);
    assert_int_equal(admin_obj.n_x, mod_back.n_x);

    /* And the values are the certificate's. */
    uint8_t v[8192];
    size_t len = 0;
    value(&admin_obj, CKA_VALUE, v, &len);
    assert_int_equal(len, (size_t)dl);
    assert_memory_equal(v, der, len);
    value(&admin_obj, CKA_CERTIFICATE_CATEGORY, v, &len);
    assert_int_equal(len, sizeof(CK_ULONG));
    CK_ULONG got = 0;
    memcpy(&got, v, sizeof got);
    assert_int_equal(got, 1);

    /* A CA certificate: category authority. */
    assert_int_equal(admin_cert_record(x, id, 0, "Test CA", SIGIL_CERT_CATEGORY_AUTHORITY, rec), 0);
    sigil_object ca;
    assert_int_equal(sigil_object_from_record(&ca, rec), CKR_OK);
    value(&ca, CKA_CERTIFICATE_CATEGORY, v, &len);
    memcpy(&got, v, sizeof got);
    assert_int_equal(got, 2);
    sigil_object_release(&ca);

    sigil_object_release(&admin_obj);
    sigil_object_release(&mod_obj);
    sigil_object_release(&mod_back);
    free(rec);
    free(mrec);
    OPENSSL_free(der);
    X509_free(x);
}

static void test_attrs_codec(void **state)
{
    (void)state;
    uint8_t buf[64];
    sigil_wr w;
    sigil_rd r;
    sigil_attr_tlv a;
    uint64_t u = 0;
    bool b = false;
    sigil_wr_init(&w, buf, sizeof buf);
    sigil_attrs_put(&w, SIGIL_ATTR_VALUE, (const uint8_t *)"ab", 2);
    sigil_attrs_put_ulong(&w, SIGIL_ATTR_CERTIFICATE_CATEGORY, 2);
    sigil_attrs_put_bool(&w, SIGIL_ATTR_TRUSTED, false);
    assert_true(sigil_wr_ok(&w));
    static const uint8_t want[] = {0, 0, 0, 0x11, 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0x87, 0, 0, 0, 8,
                                   0, 0, 0, 0,    0, 0, 0, 2, 0,   0,   0, 0x86, 0, 0, 0, 1, 0};
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_true(sigil_attrs_valid(buf, w.len));
    assert_true(sigil_attrs_find(buf, w.len, SIGIL_ATTR_CERTIFICATE_CATEGORY, &a));
    assert_true(sigil_attrs_get_ulong(&a, &u));
    assert_int_equal(u, 2);
    assert_true(sigil_attrs_find(buf, w.len, SIGIL_ATTR_TRUSTED, &a));
    assert_true(sigil_attrs_get_bool(&a, &b));
    assert_false(b);
    assert_false(sigil_attrs_find(buf, w.len, SIGIL_ATTR_SUBJECT, &a));
    sigil_rd_init(&r, buf, w.len);
    int n = 0;
    while (sigil_attrs_next(&r, &a))
        n++;
    assert_int_equal(n, 3);
    assert_true(sigil_rd_done(&r));
    /* Malformed: truncated, a type twice. */
    assert_false(sigil_attrs_valid(buf, w.len - 1));
    sigil_wr_init(&w, buf, sizeof buf);
    sigil_attrs_put(&w, SIGIL_ATTR_VALUE, (const uint8_t *)"a", 1);
    sigil_attrs_put(&w, SIGIL_ATTR_VALUE, (const uint8_t *)"b", 1);
    assert_false(sigil_attrs_valid(buf, w.len));
    assert_false(sigil_attrs_find(buf, w.len, SIGIL_ATTR_VALUE, &a));
    assert_true(sigil_attrs_valid(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module_reads_it),
        cmocka_unit_test(test_attrs_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
