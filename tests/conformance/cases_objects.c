/* cases_objects.c — C_Digest*, C_GenerateRandom, C_SeedRandom, and objects: C_CreateObject
 * (certificate, data, public key, refused private-key import), C_SetAttributeValue,
 * C_DestroyObject, C_GetObjectSize. */
#include <string.h>

#include "conformance.h"

#define BOGUS_OBJECT ((CK_OBJECT_HANDLE)0x6eadbeefUL)
#define BOGUS_SESSION ((CK_SESSION_HANDLE)0x5eadbeefUL)

/* ---- digests ---------------------------------------------------------------------------------- */

static void digest_sha2(struct conf *c, const void *arg)
{
    static const struct {
        CK_MECHANISM_TYPE mech;
        const char *md;
        CK_ULONG len;
    } mds[] = {{CKM_SHA256, "SHA256", 32}, {CKM_SHA384, "SHA384", 48}, {CKM_SHA512, "SHA512", 64}};
    CK_SESSION_HANDLE s;
    unsigned char data[777], out[128], want[64];
    CK_ULONG len;
    CK_MECHANISM bogus = {CKM_VENDOR_DEFINED | 0x4242, NULL, 0};
    (void)arg;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i ^ 0xa5);
    if (!conf_open(c, 0, &s))
        return;
    len = sizeof out;
    conf_rv(c, c->p->C_Digest(s, data, sizeof data, out, &len), CKR_OPERATION_NOT_INITIALIZED, "without-init");
    conf_rv(c, c->p->C_DigestInit(s, &bogus), CKR_MECHANISM_INVALID, "unknown-mechanism");
    conf_rv(c, c->p->C_DigestInit(s, NULL), CKR_ARGUMENTS_BAD, "pMechanism-NULL");
    for (size_t k = 0; k < sizeof mds / sizeof mds[0]; k++) {
        CK_MECHANISM m = {mds[k].mech, NULL, 0};
        const char *n = conf_mech_name(mds[k].mech);
        conf_sha(mds[k].md, data, sizeof data, want);
        if (conf_rv(c, c->p->C_DigestInit(s, &m), CKR_OK, "%s:single:C_DigestInit", n)) {
            len = 0;
            conf_rv(c, c->p->C_Digest(s, data, sizeof data, NULL, &len), CKR_OK, "%s:single:size-query", n);
            conf_val(c, len, mds[k].len, "%s:single:size-query-length", n);
            len = mds[k].len - 1;
            conf_rv(c, c->p->C_Digest(s, data, sizeof data, out, &len), CKR_BUFFER_TOO_SMALL, "%s:single:too-small", n);
            conf_val(c, len, mds[k].len, "%s:single:too-small-length", n);
            len = sizeof out;
            if (conf_rv(c, c->p->C_Digest(s, data, sizeof data, out, &len), CKR_OK, "%s:single:C_Digest", n))
                conf_true(c, len == mds[k].len && memcmp(out, want, len) == 0, "%s:single:value", n);
            len = sizeof out;
            conf_rv(c, c->p->C_Digest(s, data, sizeof data, out, &len), CKR_OPERATION_NOT_INITIALIZED,
                    "%s:single:ended", n);
        }
        if (conf_rv(c, c->p->C_DigestInit(s, &m), CKR_OK, "%s:multi:C_DigestInit", n)) {
            conf_rv(c, c->p->C_DigestInit(s, &m), CKR_OPERATION_ACTIVE, "%s:multi:C_DigestInit-again", n);
            conf_rv(c, c->p->C_DigestUpdate(s, data, 100), CKR_OK, "%s:multi:C_DigestUpdate-1", n);
            conf_rv(c, c->p->C_DigestUpdate(s, data + 100, sizeof data - 100), CKR_OK, "%s:multi:C_DigestUpdate-2", n);
            len = 0;
            conf_rv(c, c->p->C_DigestFinal(s, NULL, &len), CKR_OK, "%s:multi:size-query", n);
            conf_val(c, len, mds[k].len, "%s:multi:size-query-length", n);
            len = sizeof out;
            if (conf_rv(c, c->p->C_DigestFinal(s, out, &len), CKR_OK, "%s:multi:C_DigestFinal", n))
                conf_true(c, len == mds[k].len && memcmp(out, want, len) == 0, "%s:multi:value", n);
        }
    }
}

/* ---- random ----------------------------------------------------------------------------------- */

static void random_zero(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    unsigned char buf[4] = {0};
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    conf_rv(c, c->p->C_GenerateRandom(s, buf, 0), CKR_OK, "length-0");
}

static void random_normal(struct conf *c, const void *arg)
{
    static unsigned char big[100000];
    CK_SESSION_HANDLE s;
    unsigned char a[32], b[32], zero[32] = {0};
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (conf_rv(c, c->p->C_GenerateRandom(s, a, sizeof a), CKR_OK, "32-bytes-1") &&
        conf_rv(c, c->p->C_GenerateRandom(s, b, sizeof b), CKR_OK, "32-bytes-2"))
        conf_true(c, memcmp(a, b, sizeof a) != 0 && memcmp(a, zero, sizeof a) != 0, "values-differ-and-nonzero");
    memset(big, 0, sizeof big);
    if (conf_rv(c, c->p->C_GenerateRandom(s, big, sizeof big), CKR_OK, "100000-bytes"))
        conf_true(c, memcmp(big + sizeof big - sizeof zero, zero, sizeof zero) != 0, "100000-bytes-filled-to-end");
    conf_rv(c, c->p->C_GenerateRandom(s, NULL, 16), CKR_ARGUMENTS_BAD, "NULL-buffer");
    conf_rv(c, c->p->C_GenerateRandom(BOGUS_SESSION, a, sizeof a), CKR_SESSION_HANDLE_INVALID, "bogus-session");
}

static void random_seed(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    unsigned char seed[16] = {1, 2, 3};
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    conf_rv(c, c->p->C_SeedRandom(s, seed, sizeof seed), CKR_OK, "C_SeedRandom");
}

/* ---- creating objects ------------------------------------------------------------------------- */

static int bytes_is(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, const void *want,
                    size_t want_len)
{
    unsigned char buf[4096];
    CK_ULONG len = 0;
    return conf_get_attr(c, s, o, t, buf, sizeof buf, &len) == CKR_OK && len == want_len &&
           memcmp(buf, want, want_len) == 0;
}

static long count_by(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE t, const void *v,
                     size_t len, CK_OBJECT_HANDLE *first, const char *what)
{
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {t, (void *)v, len}};
    CK_OBJECT_HANDLE h[8];
    long n = conf_find(c, s, tmpl, 2, h, 8, what);
    if (n > 0 && first != NULL)
        *first = h[0];
    return n;
}

static void object_create_cert(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, ro;
    struct conf_cert cert;
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found = CK_INVALID_HANDLE;
    char id[64];
    size_t id_len;
    CK_RV rv;
    (void)arg;
    if (!conf_make_cert(&cert)) {
        conf_fail(c, "OpenSSL could not make a test certificate");
        return;
    }
    id_len = conf_unique(c, id, sizeof id);
    {
        CK_ATTRIBUTE tmpl[] = {
            {CKA_CLASS, &cls, sizeof cls},
            {CKA_CERTIFICATE_TYPE, &ct, sizeof ct},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_PRIVATE, &f, sizeof f},
            {CKA_ID, id, id_len},
            {CKA_LABEL, id, id_len},
            {CKA_SUBJECT, cert.subject, cert.subject_len},
            {CKA_ISSUER, cert.subject, cert.subject_len},
            {CKA_SERIAL_NUMBER, cert.serial, cert.serial_len},
            {CKA_VALUE, cert.der, cert.der_len},
        };
        if (!conf_open_user(c, 1, &s))
            goto out;
        rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
        if (rv == CKR_OK)
            conf_track(c, h);
        if (!conf_rv(c, rv, CKR_OK, "C_CreateObject"))
            goto out;
    }
    conf_val(c, conf_get_ulong(c, s, h, CKA_CLASS), CKO_CERTIFICATE, "CKA_CLASS");
    conf_val(c, conf_get_ulong(c, s, h, CKA_CERTIFICATE_TYPE), CKC_X_509, "CKA_CERTIFICATE_TYPE");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_TOKEN), 1, "CKA_TOKEN");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_PRIVATE), 0, "CKA_PRIVATE");
    {
        CK_ATTRIBUTE q = {CKA_VALUE, NULL, 0};
        conf_rv(c, c->p->C_GetAttributeValue(s, h, &q, 1), CKR_OK, "CKA_VALUE-size-query");
        conf_val(c, q.ulValueLen, cert.der_len, "CKA_VALUE-size-query-length");
    }
    conf_true(c, bytes_is(c, s, h, CKA_VALUE, cert.der, cert.der_len), "CKA_VALUE");
    conf_true(c, bytes_is(c, s, h, CKA_SUBJECT, cert.subject, cert.subject_len), "CKA_SUBJECT");
    conf_true(c, bytes_is(c, s, h, CKA_ISSUER, cert.subject, cert.subject_len), "CKA_ISSUER");
    conf_true(c, bytes_is(c, s, h, CKA_SERIAL_NUMBER, cert.serial, cert.serial_len), "CKA_SERIAL_NUMBER");
    conf_true(c, bytes_is(c, s, h, CKA_ID, id, id_len), "CKA_ID");
    conf_true(c, bytes_is(c, s, h, CKA_LABEL, id, id_len), "CKA_LABEL");
    conf_val(c, (CK_ULONG)count_by(c, s, CKO_CERTIFICATE, CKA_ID, id, id_len, &found, "find"), 1, "find:count");
    conf_true(c, found == h, "find:handle");
    /* a public object: another application's view (a fresh R/O session, after logout) sees it */
    if (conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout") && conf_open(c, 0, &ro)) {
        conf_val(c, (CK_ULONG)count_by(c, ro, CKO_CERTIFICATE, CKA_ID, id, id_len, NULL, "find-public"), 1,
                 "find-public:count");
        conf_rv(c, c->p->C_CloseSession(ro), CKR_OK, "C_CloseSession");
    }
    if (conf_rv(c, c->p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin)), CKR_OK,
                "C_Login-again")) {
        /* object handles may change across a logout (v2.40 2.4): find it again */
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_CERTIFICATE, CKA_ID, id, id_len, &h, "find-again"), 1,
                 "find-again:count");
        conf_track(c, h);
        if (conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject"))
            conf_val(c, (CK_ULONG)count_by(c, s, CKO_CERTIFICATE, CKA_ID, id, id_len, NULL, "find-destroyed"), 0,
                     "find-destroyed:count");
    }
out:
    conf_free_cert(&cert);
}

static void object_create_data(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found = CK_INVALID_HANDLE;
    const char app[] = "sigil conformance";
    unsigned char value[300];
    char label[64];
    size_t label_len = conf_unique(c, label, sizeof label);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},          {CKA_TOKEN, &t, sizeof t},
        {CKA_PRIVATE, &f, sizeof f},            {CKA_LABEL, label, label_len},
        {CKA_APPLICATION, (void *)app, strlen(app)}, {CKA_VALUE, value, sizeof value},
    };
    CK_RV rv;
    (void)arg;
    for (size_t i = 0; i < sizeof value; i++)
        value[i] = (unsigned char)i;
    if (!conf_open_user(c, 1, &s))
        return;
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    if (!conf_rv(c, rv, CKR_OK, "C_CreateObject"))
        return;
    conf_val(c, conf_get_ulong(c, s, h, CKA_CLASS), CKO_DATA, "CKA_CLASS");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_TOKEN), 1, "CKA_TOKEN");
    conf_true(c, bytes_is(c, s, h, CKA_VALUE, value, sizeof value), "CKA_VALUE");
    conf_true(c, bytes_is(c, s, h, CKA_APPLICATION, app, strlen(app)), "CKA_APPLICATION");
    conf_true(c, bytes_is(c, s, h, CKA_LABEL, label, label_len), "CKA_LABEL");
    conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label, label_len, &found, "find"), 1, "find:count");
    conf_true(c, found == h, "find:handle");
    if (conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject"))
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label, label_len, NULL, "find-destroyed"), 0,
                 "find-destroyed:count");
}

static void object_create_private_data(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = CK_TRUE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    unsigned char value[16] = {9, 8, 7};
    char label[64];
    size_t label_len = conf_unique(c, label, sizeof label);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &t, sizeof t},         {CKA_PRIVATE, &t, sizeof t},
        {CKA_LABEL, label, label_len}, {CKA_VALUE, value, sizeof value},
    };
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s))
        return;
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    if (!conf_rv(c, rv, CKR_OK, "C_CreateObject"))
        return;
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_PRIVATE), 1, "CKA_PRIVATE");
    if (conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout"))
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label, label_len, NULL, "find-logged-out"), 0,
                 "find-logged-out:count");
    /* handles of private objects may change across a logout (v2.40 2.4): find it again */
    if (conf_rv(c, c->p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin)), CKR_OK,
                "C_Login-again")) {
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label, label_len, &h, "find-logged-in"), 1,
                 "find-logged-in:count");
        conf_track(c, h);
        conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject");
    }
}

static void object_create_session(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, s2;
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL f = CK_FALSE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    unsigned char value[8] = {1, 2, 3, 4, 5, 6, 7, 8}, buf[16];
    CK_ULONG len;
    char label[64];
    size_t label_len = conf_unique(c, label, sizeof label);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &f, sizeof f}, {CKA_PRIVATE, &f, sizeof f},
        {CKA_LABEL, label, label_len}, {CKA_VALUE, value, sizeof value},
    };
    CK_RV rv;
    (void)arg;
    /* a session object may be created in an R/O session */
    if (!conf_open_user(c, 0, &s) || !conf_open(c, 0, &s2))
        return;
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (!conf_rv(c, rv, CKR_OK, "C_CreateObject(RO-session)"))
        return;
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_TOKEN), 0, "CKA_TOKEN");
    conf_true(c, bytes_is(c, s2, h, CKA_VALUE, value, sizeof value), "visible-in-other-session");
    /* it ends with the session that made it */
    conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "C_CloseSession");
    conf_rv(c, conf_get_attr(c, s2, h, CKA_VALUE, buf, sizeof buf, &len), CKR_OBJECT_HANDLE_INVALID,
            "gone-with-its-session");
}

static void object_create_public_not_logged_in(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    unsigned char value[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    char label[64];
    size_t label_len = conf_unique(c, label, sizeof label);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls}, {CKA_TOKEN, &t, sizeof t}, {CKA_PRIVATE, &f, sizeof f},
        {CKA_LABEL, label, label_len}, {CKA_VALUE, value, sizeof value},
    };
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 1, &s))
        return;
    /* a public token object from an R/W public session (v2.40 table 8) */
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    if (conf_rv(c, rv, CKR_OK, "C_CreateObject") && rv == CKR_OK)
        conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject");
}

static void object_create_rules(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE rw, ro;
    CK_OBJECT_CLASS data = CKO_DATA, cert_class = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    unsigned int short_class = CKO_DATA;
    CK_BBOOL t = CK_TRUE;
    unsigned char value[4] = {1, 2, 3, 4}, subject[2] = {0x30, 0x00};
    CK_OBJECT_HANDLE h;
    CK_RV rv;
    struct {
        const char *name;
        int ro;
        CK_ATTRIBUTE tmpl[4];
        CK_ULONG n;
        CK_RV want;
    } cases[] = {
        {"RO-session-token-object",
         1,
         {{CKA_CLASS, &data, sizeof data}, {CKA_TOKEN, &t, sizeof t}, {CKA_VALUE, value, sizeof value}},
         3,
         CKR_SESSION_READ_ONLY},
        {"no-class", 0, {{CKA_TOKEN, &t, sizeof t}, {CKA_VALUE, value, sizeof value}}, 2, CKR_TEMPLATE_INCOMPLETE},
        {"certificate-without-value",
         0,
         {{CKA_CLASS, &cert_class, sizeof cert_class},
          {CKA_CERTIFICATE_TYPE, &ct, sizeof ct},
          {CKA_TOKEN, &t, sizeof t},
          {CKA_SUBJECT, subject, sizeof subject}},
         4,
         CKR_TEMPLATE_INCOMPLETE},
        {"class-wrong-length",
         0,
         {{CKA_CLASS, &short_class, sizeof short_class}, {CKA_TOKEN, &t, sizeof t}, {CKA_VALUE, value, sizeof value}},
         3,
         CKR_ATTRIBUTE_VALUE_INVALID},
        {"unknown-attribute",
         0,
         {{CKA_CLASS, &data, sizeof data}, {CKA_TOKEN, &t, sizeof t}, {CKA_VENDOR_DEFINED | 0x4242, value, 4}},
         3,
         CKR_ATTRIBUTE_TYPE_INVALID},
    };
    (void)arg;
    if (!conf_open_user(c, 1, &rw) || !conf_open(c, 0, &ro))
        return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h = CK_INVALID_HANDLE;
        rv = c->p->C_CreateObject(cases[i].ro ? ro : rw, cases[i].tmpl, cases[i].n, &h);
        if (rv == CKR_OK)
            conf_track(c, h);
        conf_rv(c, rv, cases[i].want, "%s", cases[i].name);
    }
    {
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &data, sizeof data}, {CKA_VALUE, value, sizeof value}};
        conf_rv(c, c->p->C_CreateObject(rw, NULL, 2, &h), CKR_ARGUMENTS_BAD, "pTemplate-NULL");
        conf_rv(c, c->p->C_CreateObject(rw, tmpl, 2, NULL), CKR_ARGUMENTS_BAD, "phObject-NULL");
    }
    /* a private object without the user */
    if (conf_rv(c, c->p->C_Logout(rw), CKR_OK, "C_Logout")) {
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &data, sizeof data}, {CKA_TOKEN, &t, sizeof t}, {CKA_PRIVATE, &t, sizeof t},
                               {CKA_VALUE, value, sizeof value}};
        h = CK_INVALID_HANDLE;
        rv = c->p->C_CreateObject(rw, tmpl, 4, &h);
        if (rv == CKR_OK)
            conf_track(c, h);
        conf_rv(c, rv, CKR_USER_NOT_LOGGED_IN, "private-object-not-logged-in");
    }
}

static void object_import_public(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL t = CK_TRUE;
    unsigned char point[128];
    CK_ULONG point_len = 0;
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    char id[64];
    size_t id_len;
    CK_RV rv;
    (void)arg;
    /* the public half of a generated key, imported again under another CKA_ID */
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp) ||
        !conf_rv(c, conf_get_attr(c, s, kp.pub, CKA_EC_POINT, point, sizeof point, &point_len), CKR_OK,
                 "setup:CKA_EC_POINT"))
        return;
    id_len = conf_unique(c, id, sizeof id);
    {
        CK_ATTRIBUTE tmpl[] = {
            {CKA_CLASS, &cls, sizeof cls},
            {CKA_KEY_TYPE, &kt, sizeof kt},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_VERIFY, &t, sizeof t},
            {CKA_ID, id, id_len},
            {CKA_EC_PARAMS, (void *)conf_oid_p256, sizeof conf_oid_p256},
            {CKA_EC_POINT, point, point_len},
        };
        rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    }
    if (rv == CKR_OK)
        conf_track(c, h);
    if (!conf_rv(c, rv, CKR_OK, "C_CreateObject"))
        return;
    conf_true(c, bytes_is(c, s, h, CKA_EC_POINT, point, point_len), "CKA_EC_POINT");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, h, CKA_LOCAL), 0, "CKA_LOCAL");
    conf_val(c, conf_get_ulong(c, s, h, CKA_KEY_TYPE), CKK_EC, "CKA_KEY_TYPE");
    conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject");
}

static void object_import_private(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL t = CK_TRUE;
    unsigned char d[32];
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    char id[64];
    size_t id_len = conf_unique(c, id, sizeof id);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_TOKEN, &t, sizeof t},
        {CKA_PRIVATE, &t, sizeof t},
        {CKA_SENSITIVE, &t, sizeof t},
        {CKA_SIGN, &t, sizeof t},
        {CKA_ID, id, id_len},
        {CKA_EC_PARAMS, (void *)conf_oid_p256, sizeof conf_oid_p256},
        {CKA_VALUE, d, sizeof d},
    };
    CK_RV rv;
    (void)arg;
    /* a valid P-256 scalar: 0x0101…01 */
    memset(d, 0x01, sizeof d);
    if (!conf_open_user(c, 1, &s))
        return;
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    conf_rv(c, rv, CKR_OK, "C_CreateObject");
}

/* ---- changing and destroying ------------------------------------------------------------------ */

/* A public token data object for the modification cases; CK_INVALID_HANDLE with a failed check. */
static CK_OBJECT_HANDLE make_data(struct conf *c, CK_SESSION_HANDLE s, const char *label, size_t label_len)
{
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    unsigned char value[8] = {1};
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_TOKEN, &t, sizeof t},
        {CKA_PRIVATE, &f, sizeof f},
        {CKA_LABEL, (void *)label, label_len},
        {CKA_VALUE, value, sizeof value},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_RV rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    return conf_rv(c, rv, CKR_OK, "setup:C_CreateObject") ? h : CK_INVALID_HANDLE;
}

static void object_set_label_data(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, ro;
    CK_OBJECT_HANDLE h, found = CK_INVALID_HANDLE;
    char label[64], label2[64];
    size_t len = conf_unique(c, label, sizeof label), len2 = conf_unique(c, label2, sizeof label2);
    CK_ATTRIBUTE set = {CKA_LABEL, label2, len2};
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 0, &ro) || (h = make_data(c, s, label, len)) == CK_INVALID_HANDLE)
        return;
    conf_rv(c, c->p->C_SetAttributeValue(ro, h, &set, 1), CKR_SESSION_READ_ONLY, "RO-session");
    if (conf_rv(c, c->p->C_SetAttributeValue(s, h, &set, 1), CKR_OK, "C_SetAttributeValue")) {
        conf_true(c, bytes_is(c, s, h, CKA_LABEL, label2, len2), "read-back");
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label2, len2, &found, "find-new"), 1,
                 "find-new:count");
        conf_true(c, found == h, "find-new:handle");
        conf_val(c, (CK_ULONG)count_by(c, s, CKO_DATA, CKA_LABEL, label, len, NULL, "find-old"), 0,
                 "find-old:count");
    }
    conf_rv(c, c->p->C_SetAttributeValue(s, BOGUS_OBJECT, &set, 1), CKR_OBJECT_HANDLE_INVALID, "bogus-object");
    conf_rv(c, c->p->C_SetAttributeValue(s, h, NULL, 1), CKR_ARGUMENTS_BAD, "pTemplate-NULL");
    conf_rv(c, c->p->C_DestroyObject(s, h), CKR_OK, "C_DestroyObject");
}

static void object_set_label_key(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    char label[64];
    size_t len = conf_unique(c, label, sizeof label);
    CK_ATTRIBUTE set = {CKA_LABEL, label, len};
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp.priv, CKA_MODIFIABLE), 1, "priv:CKA_MODIFIABLE");
    if (conf_rv(c, c->p->C_SetAttributeValue(s, kp.priv, &set, 1), CKR_OK, "priv:C_SetAttributeValue"))
        conf_true(c, bytes_is(c, s, kp.priv, CKA_LABEL, label, len), "priv:read-back");
    if (conf_rv(c, c->p->C_SetAttributeValue(s, kp.pub, &set, 1), CKR_OK, "pub:C_SetAttributeValue"))
        conf_true(c, bytes_is(c, s, kp.pub, CKA_LABEL, label, len), "pub:read-back");
    /* the key still signs */
    {
        CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
        unsigned char data[32] = {7}, sig[128];
        CK_ULONG sl = sizeof sig;
        if (conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit") &&
            conf_rv(c, c->p->C_Sign(s, data, sizeof data, sig, &sl), CKR_OK, "C_Sign"))
            conf_verify(c, s, kp.pub, &m, data, sizeof data, sig, sl, "still-signs");
    }
}

static void object_set_id_key(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_OBJECT_HANDLE h[4];
    char id[64];
    size_t len = conf_unique(c, id, sizeof id);
    CK_ATTRIBUTE set = {CKA_ID, id, len};
    CK_ATTRIBUTE by_id = {CKA_ID, id, len};
    long n;
    (void)arg;
    /* pairing a key with a certificate after the fact: a new CKA_ID on both halves */
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.priv, &set, 1), CKR_OK, "priv:C_SetAttributeValue");
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.pub, &set, 1), CKR_OK, "pub:C_SetAttributeValue");
    n = conf_find(c, s, &by_id, 1, h, 4, "find-new-id");
    conf_val(c, (CK_ULONG)n, 2, "find-new-id:count");
}

static void object_copy(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE h, copy = CK_INVALID_HANDLE;
    char label[64], label2[64];
    size_t len = conf_unique(c, label, sizeof label), len2 = conf_unique(c, label2, sizeof label2);
    CK_ATTRIBUTE set = {CKA_LABEL, label2, len2};
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || (h = make_data(c, s, label, len)) == CK_INVALID_HANDLE)
        return;
    rv = c->p->C_CopyObject(s, h, &set, 1, &copy);
    if (rv == CKR_OK)
        conf_track(c, copy);
    if (!conf_rv(c, rv, CKR_OK, "C_CopyObject") || rv != CKR_OK)
        return;
    conf_true(c, copy != h && copy != CK_INVALID_HANDLE, "new-handle");
    conf_true(c, bytes_is(c, s, copy, CKA_LABEL, label2, len2), "copy-label");
    conf_true(c, bytes_is(c, s, h, CKA_LABEL, label, len), "original-label");
    conf_rv(c, c->p->C_DestroyObject(s, copy), CKR_OK, "C_DestroyObject(copy)");
}

static void object_limits(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    unsigned char value[8] = {3}, label[200], id[65];
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},     {CKA_TOKEN, &t, sizeof t},       {CKA_PRIVATE, &f, sizeof f},
        {CKA_LABEL, label, sizeof label}, {CKA_VALUE, value, sizeof value},
    };
    struct conf_keypair kp;
    CK_ATTRIBUTE set_id = {CKA_ID, id, sizeof id};
    CK_RV rv;
    (void)arg;
    memset(label, 'L', sizeof label);
    memset(id, 0x1d, sizeof id);
    if (!conf_open_user(c, 1, &s))
        return;
    /* a 200-byte label */
    rv = c->p->C_CreateObject(s, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv == CKR_OK)
        conf_track(c, h);
    conf_rv(c, rv, CKR_OK, "label-200-bytes");
    /* a 65-byte CKA_ID on a key */
    if (conf_gen_ec(c, s, 256, &kp))
        conf_rv(c, c->p->C_SetAttributeValue(s, kp.priv, &set_id, 1), CKR_OK, "id-65-bytes");
}

static void object_set_readonly(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_OBJECT_CLASS other = CKO_CERTIFICATE;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    unsigned char v[4] = {0};
    CK_ATTRIBUTE a;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    a = (CK_ATTRIBUTE){CKA_CLASS, &other, sizeof other};
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_READ_ONLY, "CKA_CLASS");
    a = (CK_ATTRIBUTE){CKA_TOKEN, &f, sizeof f};
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_READ_ONLY, "CKA_TOKEN");
    a = (CK_ATTRIBUTE){CKA_SENSITIVE, &f, sizeof f};
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.priv, &a, 1), CKR_ATTRIBUTE_READ_ONLY, "CKA_SENSITIVE-false");
    a = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &t, sizeof t};
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.priv, &a, 1), CKR_ATTRIBUTE_READ_ONLY, "CKA_EXTRACTABLE-true");
    a = (CK_ATTRIBUTE){CKA_VENDOR_DEFINED | 0x4242, v, sizeof v};
    conf_rv(c, c->p->C_SetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID, "vendor-attribute");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp.priv, CKA_SENSITIVE), 1, "still-sensitive");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp.priv, CKA_EXTRACTABLE), 0, "still-not-extractable");
}

static void object_destroy(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, ro;
    struct conf_keypair kp;
    unsigned char buf[64];
    CK_ULONG len;
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 0, &ro) || !conf_gen_ec(c, s, 256, &kp))
        return;
    conf_rv(c, c->p->C_DestroyObject(ro, kp.pub), CKR_SESSION_READ_ONLY, "RO-session");
    conf_rv(c, c->p->C_DestroyObject(s, BOGUS_OBJECT), CKR_OBJECT_HANDLE_INVALID, "bogus-object");
    conf_rv(c, c->p->C_DestroyObject(BOGUS_SESSION, kp.pub), CKR_SESSION_HANDLE_INVALID, "bogus-session");
    if (conf_rv(c, c->p->C_DestroyObject(s, kp.priv), CKR_OK, "C_DestroyObject(priv)")) {
        conf_rv(c, conf_get_attr(c, s, kp.priv, CKA_ID, buf, sizeof buf, &len), CKR_OBJECT_HANDLE_INVALID,
                "destroyed:C_GetAttributeValue");
        conf_rv(c, c->p->C_DestroyObject(s, kp.priv), CKR_OBJECT_HANDLE_INVALID, "destroyed:C_DestroyObject");
    }
    /* a public token object from an R/W public session */
    if (conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout")) {
        rv = c->p->C_DestroyObject(s, kp.pub);
        if (conf_rv(c, rv, CKR_OK, "public-not-logged-in") && rv == CKR_OK)
            conf_rv(c, conf_get_attr(c, s, kp.pub, CKA_ID, buf, sizeof buf, &len), CKR_OBJECT_HANDLE_INVALID,
                    "public-destroyed");
    }
}

static void object_getsize(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_ULONG size = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    conf_rv(c, c->p->C_GetObjectSize(s, kp.pub, &size), CKR_OK, "C_GetObjectSize");
    conf_rv(c, c->p->C_GetObjectSize(s, kp.pub, NULL), CKR_ARGUMENTS_BAD, "pulSize-NULL");
    conf_rv(c, c->p->C_GetObjectSize(s, BOGUS_OBJECT, &size), CKR_OBJECT_HANDLE_INVALID, "bogus-object");
}

const struct conf_case conf_cases_objects[] = {
    {"digest.sha2", "C_Digest* SHA-256/384/512: size query, too small, single and multi-part, values",
     digest_sha2, NULL, 0},
    {"random.zero", "C_GenerateRandom of 0 bytes", random_zero, NULL, 0},
    {"random.normal", "C_GenerateRandom: 32 bytes twice, 100000 bytes, NULL, bad session", random_normal, NULL, 0},
    {"random.seed", "C_SeedRandom", random_seed, NULL, 0},
    {"object.create-cert", "C_CreateObject X.509 certificate: attributes, find, public view, destroy",
     object_create_cert, NULL, 0},
    {"object.create-data", "C_CreateObject data object: attributes, find, destroy", object_create_data, NULL, 0},
    {"object.create-private-data", "C_CreateObject private data object: hidden after logout",
     object_create_private_data, NULL, 0},
    {"object.create-session", "C_CreateObject session object in an R/O session: gone with its session",
     object_create_session, NULL, 0},
    {"object.create-public-not-logged-in", "C_CreateObject public token object from an R/W public session",
     object_create_public_not_logged_in, NULL, 0},
    {"object.create-rules", "C_CreateObject: R/O session, incomplete and bad templates, NULL, no user",
     object_create_rules, NULL, 0},
    {"object.import-public", "C_CreateObject EC public key", object_import_public, NULL, 0},
    {"object.import-private", "C_CreateObject EC private key with key material", object_import_private, NULL, 0},
    {"object.set-label-data", "C_SetAttributeValue CKA_LABEL of a data object", object_set_label_data, NULL, 0},
    {"object.set-label-key", "C_SetAttributeValue CKA_LABEL of both halves of a key pair", object_set_label_key,
     NULL, 0},
    {"object.set-id-key", "C_SetAttributeValue CKA_ID of both halves of a key pair", object_set_id_key, NULL, 0},
    {"object.copy", "C_CopyObject of a data object with a new label", object_copy, NULL, 0},
    {"object.limits", "a 200-byte CKA_LABEL and a 65-byte CKA_ID", object_limits, NULL, 0},
    {"object.set-readonly", "C_SetAttributeValue of attributes that cannot change", object_set_readonly, NULL, 0},
    {"object.destroy", "C_DestroyObject: R/O session, bad handles, destroyed handles, public not logged in",
     object_destroy, NULL, 0},
    {"object.getsize", "C_GetObjectSize", object_getsize, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
