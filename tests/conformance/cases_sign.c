/* cases_sign.c — C_Sign* for every mechanism both modules support, the operation-state rules
 * (size query, CKR_BUFFER_TOO_SMALL, CKR_OPERATION_ACTIVE), and C_Verify*. Every signature made
 * by the module is verified with OpenSSL. */
#include <string.h>

#include "conformance.h"

#define BOGUS_OBJECT ((CK_OBJECT_HANDLE)0x6eadbeefUL)
#define BOGUS_SESSION ((CK_SESSION_HANDLE)0x5eadbeefUL)

struct sign_mech {
    CK_MECHANISM_TYPE mech;
    CK_KEY_TYPE kt;
    int raw;                      /* the data is a prepared block, single-part in PKCS#11 */
    CK_RSA_PKCS_PSS_PARAMS pss;   /* hashAlg 0: not PSS */
};

static const struct sign_mech m_ecdsa = {CKM_ECDSA, CKK_EC, 1, {0, 0, 0}};
static const struct sign_mech m_ecdsa_sha256 = {CKM_ECDSA_SHA256, CKK_EC, 0, {0, 0, 0}};
static const struct sign_mech m_ecdsa_sha384 = {CKM_ECDSA_SHA384, CKK_EC, 0, {0, 0, 0}};
static const struct sign_mech m_ecdsa_sha512 = {CKM_ECDSA_SHA512, CKK_EC, 0, {0, 0, 0}};
static const struct sign_mech m_rsa_pkcs = {CKM_RSA_PKCS, CKK_RSA, 1, {0, 0, 0}};
static const struct sign_mech m_sha256_rsa = {CKM_SHA256_RSA_PKCS, CKK_RSA, 0, {0, 0, 0}};
static const struct sign_mech m_sha384_rsa = {CKM_SHA384_RSA_PKCS, CKK_RSA, 0, {0, 0, 0}};
static const struct sign_mech m_sha512_rsa = {CKM_SHA512_RSA_PKCS, CKK_RSA, 0, {0, 0, 0}};
static const struct sign_mech m_rsa_pss = {CKM_RSA_PKCS_PSS, CKK_RSA, 1, {CKM_SHA256, CKG_MGF1_SHA256, 32}};
static const struct sign_mech m_sha256_pss = {CKM_SHA256_RSA_PKCS_PSS, CKK_RSA, 0, {CKM_SHA256, CKG_MGF1_SHA256, 32}};
static const struct sign_mech m_sha384_pss = {CKM_SHA384_RSA_PKCS_PSS, CKK_RSA, 0, {CKM_SHA384, CKG_MGF1_SHA384, 48}};
static const struct sign_mech m_sha512_pss = {CKM_SHA512_RSA_PKCS_PSS, CKK_RSA, 0, {CKM_SHA512, CKG_MGF1_SHA512, 64}};

/* The message every case signs (hashed mechanisms), 1000 bytes. */
static void message(unsigned char *msg, size_t len)
{
    for (size_t i = 0; i < len; i++)
        msg[i] = (unsigned char)(i * 7 + 3);
}

#define MSG_LEN 1000

/* What C_Sign gets for mechanism sm: the message, or for raw mechanisms a prepared block. */
static size_t sign_input(const struct sign_mech *sm, unsigned char *out)
{
    static const unsigned char digest_info_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                       0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    unsigned char msg[MSG_LEN];
    message(msg, sizeof msg);
    if (!sm->raw) {
        memcpy(out, msg, sizeof msg);
        return sizeof msg;
    }
    if (sm->mech == CKM_RSA_PKCS) {
        memcpy(out, digest_info_sha256, sizeof digest_info_sha256);
        return sizeof digest_info_sha256 + conf_sha("SHA256", msg, sizeof msg, out + sizeof digest_info_sha256);
    }
    return conf_sha("SHA256", msg, sizeof msg, out); /* CKM_ECDSA, CKM_RSA_PKCS_PSS: a SHA-256 digest */
}

static void mechanism_of(const struct sign_mech *sm, CK_MECHANISM *m)
{
    m->mechanism = sm->mech;
    m->pParameter = sm->pss.hashAlg != 0 ? (void *)&sm->pss : NULL;
    m->ulParameterLen = sm->pss.hashAlg != 0 ? sizeof sm->pss : 0;
}

/* 1 when the token has the mechanism; 0 otherwise — a failed check, or a documented difference
 * (the token lacks it by design) after which there is nothing further to compare. */
static int have_mechanism(struct conf *c, CK_MECHANISM_TYPE mech)
{
    CK_MECHANISM_INFO mi;
    CK_RV rv = c->p->C_GetMechanismInfo(c->slot, mech, &mi);
    if (!conf_rv(c, rv, CKR_OK, "C_GetMechanismInfo"))
        return 0;
    if (rv != CKR_OK) {
        conf_note(c, "%s lacks %s (documented difference): nothing further to compare", c->module,
                  conf_mech_name(mech));
        return 0;
    }
    return 1;
}

static int gen_for(struct conf *c, CK_SESSION_HANDLE s, CK_KEY_TYPE kt, struct conf_keypair *kp)
{
    return kt == CKK_EC ? conf_gen_ec(c, s, 256, kp) : conf_gen_rsa(c, s, 2048, kp);
}

static void sign_mechanism(struct conf *c, const void *arg)
{
    const struct sign_mech *sm = arg;
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m;
    unsigned char data[MSG_LEN], sig[1024];
    size_t data_len = sign_input(sm, data);
    CK_ULONG want = sm->kt == CKK_EC ? 64 : 256, len, len2;

    mechanism_of(sm, &m);
    if (!have_mechanism(c, sm->mech) || !conf_open_user(c, 1, &s) || !gen_for(c, s, sm->kt, &kp))
        return;

    /* single part: size query, then the signature; the query does not end the operation */
    if (conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "single:C_SignInit")) {
        len = 0;
        conf_rv(c, c->p->C_Sign(s, data, data_len, NULL, &len), CKR_OK, "single:size-query");
        conf_val(c, len, want, "single:size-query-length");
        len2 = sizeof sig;
        if (conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len2), CKR_OK, "single:C_Sign")) {
            conf_val(c, len2, len, "single:length-identical");
            conf_verify(c, s, kp.pub, &m, data, data_len, sig, len2, "single:verified-by-openssl");
        }
        /* a signature ends the operation */
        len2 = sizeof sig;
        conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len2), CKR_OPERATION_NOT_INITIALIZED, "single:ended");
    }

    /* a buffer too small: CKR_BUFFER_TOO_SMALL with the length, the operation stays active */
    if (conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "too-small:C_SignInit")) {
        len = want - 1;
        conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len), CKR_BUFFER_TOO_SMALL, "too-small:C_Sign");
        conf_val(c, len, want, "too-small:length");
        len = want;
        if (conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len), CKR_OK, "too-small:then-C_Sign"))
            conf_verify(c, s, kp.pub, &m, data, data_len, sig, len, "too-small:verified-by-openssl");
    }

    /* multi-part (hash-and-sign mechanisms) */
    if (!sm->raw && conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "multi:C_SignInit")) {
        conf_rv(c, c->p->C_SignUpdate(s, data, 1), CKR_OK, "multi:C_SignUpdate-1");
        conf_rv(c, c->p->C_SignUpdate(s, data + 1, 0), CKR_OK, "multi:C_SignUpdate-empty");
        conf_rv(c, c->p->C_SignUpdate(s, data + 1, 499), CKR_OK, "multi:C_SignUpdate-2");
        conf_rv(c, c->p->C_SignUpdate(s, data + 500, data_len - 500), CKR_OK, "multi:C_SignUpdate-3");
        len = 0;
        conf_rv(c, c->p->C_SignFinal(s, NULL, &len), CKR_OK, "multi:size-query");
        conf_val(c, len, want, "multi:size-query-length");
        len = want - 1;
        conf_rv(c, c->p->C_SignFinal(s, sig, &len), CKR_BUFFER_TOO_SMALL, "multi:too-small");
        conf_val(c, len, want, "multi:too-small-length");
        len = sizeof sig;
        if (conf_rv(c, c->p->C_SignFinal(s, sig, &len), CKR_OK, "multi:C_SignFinal")) {
            conf_val(c, len, want, "multi:length");
            conf_verify(c, s, kp.pub, &m, data, data_len, sig, len, "multi:verified-by-openssl");
        }
        len = sizeof sig;
        conf_rv(c, c->p->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED, "multi:ended");
    }

    /* PKCS#1 v1.5 raw: at most k-11 bytes */
    if (sm->mech == CKM_RSA_PKCS && conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "too-long:C_SignInit")) {
        unsigned char big[246];
        memset(big, 0x5a, sizeof big);
        len = sizeof sig;
        conf_rv(c, c->p->C_Sign(s, big, sizeof big, sig, &len), CKR_DATA_LEN_RANGE, "too-long:C_Sign");
        len = sizeof sig;
        conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len), CKR_OPERATION_NOT_INITIALIZED, "too-long:ended");
    }
    conf_rv(c, c->p->C_DestroyObject(s, kp.priv), CKR_OK, "C_DestroyObject(priv)");
    conf_rv(c, c->p->C_DestroyObject(s, kp.pub), CKR_OK, "C_DestroyObject(pub)");
}

/* ---- operation rules ------------------------------------------------------------------------- */

static void sign_init_twice(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    unsigned char data[MSG_LEN], sig[256];
    size_t data_len = sign_input(&m_ecdsa, data);
    CK_ULONG len = sizeof sig;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit"))
        return;
    conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OPERATION_ACTIVE, "C_SignInit-again");
    /* the first operation is intact */
    if (conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len), CKR_OK, "C_Sign"))
        conf_verify(c, s, kp.pub, &m, data, data_len, sig, len, "first-operation-verified");
}

static void sign_without_init(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    unsigned char data[32] = {0}, sig[256];
    CK_ULONG len = sizeof sig;
    (void)arg;
    if (!conf_open_user(c, 1, &s))
        return;
    conf_rv(c, c->p->C_Sign(s, data, sizeof data, sig, &len), CKR_OPERATION_NOT_INITIALIZED, "C_Sign");
    len = 0;
    conf_rv(c, c->p->C_Sign(s, data, sizeof data, NULL, &len), CKR_OPERATION_NOT_INITIALIZED, "C_Sign-size-query");
    conf_rv(c, c->p->C_SignUpdate(s, data, sizeof data), CKR_OPERATION_NOT_INITIALIZED, "C_SignUpdate");
    len = sizeof sig;
    conf_rv(c, c->p->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED, "C_SignFinal");
    conf_rv(c, c->p->C_Sign(BOGUS_SESSION, data, sizeof data, sig, &len), CKR_SESSION_HANDLE_INVALID,
            "C_Sign-bogus-session");
}

static void sign_after_update(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_SHA256_RSA_PKCS, NULL, 0};
    unsigned char data[MSG_LEN], sig[512];
    CK_ULONG len = sizeof sig;
    CK_RV rv;
    (void)arg;
    message(data, sizeof data);
    if (!conf_open_user(c, 1, &s) || !conf_gen_rsa(c, s, 2048, &kp))
        return;
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit") ||
        !conf_rv(c, c->p->C_SignUpdate(s, data, 100), CKR_OK, "C_SignUpdate"))
        return;
    /* C_Sign cannot finish a multi-part operation (v2.40 5.12) */
    rv = c->p->C_Sign(s, data + 100, sizeof data - 100, sig, &len);
    conf_rv(c, rv, CKR_OPERATION_ACTIVE, "C_Sign-after-update");
    len = sizeof sig;
    rv = c->p->C_SignFinal(s, sig, &len);
    if (conf_rv(c, rv, CKR_OK, "C_SignFinal") && rv == CKR_OK)
        conf_verify(c, s, kp.pub, &m, data, 100, sig, len, "C_SignFinal-verified");
}

static void sign_raw_multipart(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    unsigned char data[64], sig[256];
    CK_ULONG len = sizeof sig;
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    sign_input(&m_ecdsa, data);
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit"))
        return;
    /* CKM_ECDSA is a single-part mechanism (v2.40 mechanism table). PKCS#11 names no code for a
     * C_SignUpdate on it; the reference (SoftHSMv2) refuses it with CKR_OPERATION_NOT_INITIALIZED and
     * ends the operation. */
    conf_rv(c, c->p->C_SignUpdate(s, data, 16), CKR_OPERATION_NOT_INITIALIZED, "C_SignUpdate");
    rv = c->p->C_SignFinal(s, sig, &len);
    conf_rv(c, rv, CKR_OPERATION_NOT_INITIALIZED, "C_SignFinal");
    if (rv == CKR_OK)
        conf_verify(c, s, kp.pub, &m, data, 16, sig, len, "C_SignFinal-verified");
}

static void sign_key_rules(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0}, rsa = {CKM_SHA256_RSA_PKCS, NULL, 0},
                 unknown = {CKM_VENDOR_DEFINED | 0x4242, NULL, 0};
    unsigned char data[32] = {0}, sig[512];
    CK_ULONG len = 0;
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    /* (when a module accepts, the operation is ended with a C_Sign whatever it answers) */
    rv = c->p->C_SignInit(s, &m, kp.pub);
    conf_rv(c, rv, CKR_KEY_FUNCTION_NOT_PERMITTED, "public-key");
    if (rv == CKR_OK) {
        len = sizeof sig;
        (void)c->p->C_Sign(s, data, sizeof data, sig, &len);
    }
    rv = c->p->C_SignInit(s, &rsa, kp.priv);
    conf_rv(c, rv, CKR_KEY_TYPE_INCONSISTENT, "rsa-mechanism-ec-key");
    if (rv == CKR_OK) {
        len = sizeof sig;
        rv = c->p->C_Sign(s, data, sizeof data, sig, &len);
        conf_note(c, "C_Sign with CKM_SHA256_RSA_PKCS and the EC key then answered %s", conf_rv_name(rv));
    }
    conf_rv(c, c->p->C_SignInit(s, &m, BOGUS_OBJECT), CKR_KEY_HANDLE_INVALID, "bogus-key");
    conf_rv(c, c->p->C_SignInit(s, &m, CK_INVALID_HANDLE), CKR_KEY_HANDLE_INVALID, "key-0");
    conf_rv(c, c->p->C_SignInit(s, NULL, kp.priv), CKR_ARGUMENTS_BAD, "pMechanism-NULL");
    conf_rv(c, c->p->C_SignInit(s, &unknown, kp.priv), CKR_MECHANISM_INVALID, "unknown-mechanism");
    conf_rv(c, c->p->C_SignInit(BOGUS_SESSION, &m, kp.priv), CKR_SESSION_HANDLE_INVALID, "bogus-session");
    /* C_Sign with pulSignatureLen NULL */
    if (conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit"))
        conf_rv(c, c->p->C_Sign(s, data, sizeof data, NULL, NULL), CKR_ARGUMENTS_BAD, "pulSignatureLen-NULL");
}

static void sign_closed_session(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, s2;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    unsigned char data[32] = {1}, sig[256];
    CK_ULONG len = sizeof sig;
    (void)arg;
    /* s2 keeps the login while s is closed */
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 1, &s2) || !conf_gen_ec(c, s, 256, &kp))
        return;
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit"))
        return;
    conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "C_CloseSession");
    conf_rv(c, c->p->C_Sign(s, data, sizeof data, sig, &len), CKR_SESSION_HANDLE_INVALID, "C_Sign-closed-session");
    conf_rv(c, c->p->C_SignFinal(s, sig, &len), CKR_SESSION_HANDLE_INVALID, "C_SignFinal-closed-session");
}

/* The key is destroyed (through another session) between C_SignInit and C_Sign. */
static void sign_key_destroyed(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, s2;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    unsigned char data[32] = {2}, sig[256];
    CK_ULONG len = sizeof sig;
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 1, &s2) || !conf_gen_ec(c, s, 256, &kp))
        return;
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "C_SignInit") ||
        !conf_rv(c, c->p->C_DestroyObject(s2, kp.priv), CKR_OK, "C_DestroyObject-during-operation"))
        return;
    /* PKCS#11 does not say; C_Sign's codes do not include CKR_KEY_HANDLE_INVALID, so the expectation is
     * the reference's: the operation initialised before completes */
    rv = c->p->C_Sign(s, data, sizeof data, sig, &len);
    conf_rv(c, rv, CKR_OK, "C_Sign-after-destroy");
    /* whatever it answered, the operation is over and the session usable */
    len = sizeof sig;
    conf_rv(c, c->p->C_Sign(s, data, sizeof data, sig, &len), CKR_OPERATION_NOT_INITIALIZED, "ended");
    rv = c->p->C_SignInit(s, &m, kp.priv);
    conf_rv(c, rv, CKR_KEY_HANDLE_INVALID, "C_SignInit-destroyed-key");
    if (rv == CKR_OK) {
        len = sizeof sig;
        (void)c->p->C_Sign(s, data, sizeof data, sig, &len);
    }
}

static void sign_not_logged_in(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    if (!conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout"))
        return;
    /* the private key is not visible to a public session: its handle is not valid there */
    conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_KEY_HANDLE_INVALID, "C_SignInit-after-logout");
}

static void sign_pss_params(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_RSA_PKCS_PSS_PARAMS other_hash = {CKM_SHA384, CKG_MGF1_SHA384, 48};
    CK_RSA_PKCS_PSS_PARAMS other_mgf = {CKM_SHA256, CKG_MGF1_SHA384, 32};
    CK_RSA_PKCS_PSS_PARAMS ok = {CKM_SHA256, CKG_MGF1_SHA256, 32};
    struct {
        const char *name;
        CK_MECHANISM m;
    } bad[] = {
        {"no-parameter", {CKM_SHA256_RSA_PKCS_PSS, NULL, 0}},
        {"short-parameter", {CKM_SHA256_RSA_PKCS_PSS, &ok, sizeof ok - 1}},
        {"hash-not-the-mechanism's", {CKM_SHA256_RSA_PKCS_PSS, &other_hash, sizeof other_hash}},
        {"mgf-not-the-hash's", {CKM_SHA256_RSA_PKCS_PSS, &other_mgf, sizeof other_mgf}},
        {"raw-pss-no-parameter", {CKM_RSA_PKCS_PSS, NULL, 0}},
    };
    unsigned char data[64], sig[512];
    CK_ULONG len;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_rsa(c, s, 2048, &kp))
        return;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CK_RV rv = c->p->C_SignInit(s, &bad[i].m, kp.priv);
        if (rv == CKR_OK) {
            /* some modules check the parameter only when signing */
            len = sizeof sig;
            memset(data, 1, sizeof data);
            rv = c->p->C_Sign(s, data, 32, sig, &len);
        }
        conf_rv(c, rv, CKR_MECHANISM_PARAM_INVALID, "bad:%s", bad[i].name);
    }
}

/* ---- C_Verify ---------------------------------------------------------------------------------- */

static void verify_mechanism(struct conf *c, const void *arg)
{
    const struct sign_mech *sm = arg;
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m;
    unsigned char data[MSG_LEN], sig[1024];
    size_t data_len = sign_input(sm, data);
    CK_ULONG len = sizeof sig;
    CK_RV rv;

    mechanism_of(sm, &m);
    if (!have_mechanism(c, sm->mech) || !conf_open_user(c, 1, &s) || !gen_for(c, s, sm->kt, &kp))
        return;
    if (!conf_rv(c, c->p->C_SignInit(s, &m, kp.priv), CKR_OK, "setup:C_SignInit") ||
        !conf_rv(c, c->p->C_Sign(s, data, data_len, sig, &len), CKR_OK, "setup:C_Sign") ||
        !conf_verify(c, s, kp.pub, &m, data, data_len, sig, len, "setup:verified-by-openssl"))
        return;
    conf_rv(c, c->p->C_Verify(s, data, data_len, sig, len), CKR_OPERATION_NOT_INITIALIZED, "without-init");
    if (conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OK, "good:C_VerifyInit"))
        conf_rv(c, c->p->C_Verify(s, data, data_len, sig, len), CKR_OK, "good:C_Verify");
    if (conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OK, "tampered:C_VerifyInit")) {
        sig[len / 2] ^= 0x01;
        conf_rv(c, c->p->C_Verify(s, data, data_len, sig, len), CKR_SIGNATURE_INVALID, "tampered:C_Verify");
        sig[len / 2] ^= 0x01;
    }
    if (conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OK, "short:C_VerifyInit"))
        conf_rv(c, c->p->C_Verify(s, data, data_len, sig, len - 1), CKR_SIGNATURE_LEN_RANGE, "short:C_Verify");
    if (!sm->raw && conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OK, "multi:C_VerifyInit")) {
        conf_rv(c, c->p->C_VerifyUpdate(s, data, 300), CKR_OK, "multi:C_VerifyUpdate-1");
        conf_rv(c, c->p->C_VerifyUpdate(s, data + 300, data_len - 300), CKR_OK, "multi:C_VerifyUpdate-2");
        conf_rv(c, c->p->C_VerifyFinal(s, sig, len), CKR_OK, "multi:C_VerifyFinal");
        conf_rv(c, c->p->C_VerifyFinal(s, sig, len), CKR_OPERATION_NOT_INITIALIZED, "multi:ended");
    }
    if (conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OK, "twice:C_VerifyInit")) {
        conf_rv(c, c->p->C_VerifyInit(s, &m, kp.pub), CKR_OPERATION_ACTIVE, "twice:C_VerifyInit-again");
        conf_rv(c, c->p->C_Verify(s, data, data_len, sig, len), CKR_OK, "twice:C_Verify");
    }
    rv = c->p->C_VerifyInit(s, &m, kp.priv);
    conf_rv(c, rv, CKR_KEY_FUNCTION_NOT_PERMITTED, "private-key:C_VerifyInit");
    if (rv == CKR_OK)
        (void)c->p->C_Verify(s, data, data_len, sig, len);
}

static void verify_key_rules(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0}, rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
    unsigned char data[32] = {0}, sig[64] = {0};
    CK_RV rv;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    conf_rv(c, c->p->C_VerifyInit(s, &m, BOGUS_OBJECT), CKR_KEY_HANDLE_INVALID, "bogus-key");
    conf_rv(c, c->p->C_VerifyInit(s, NULL, kp.pub), CKR_ARGUMENTS_BAD, "pMechanism-NULL");
    rv = c->p->C_VerifyInit(s, &rsa, kp.pub);
    conf_rv(c, rv, CKR_KEY_TYPE_INCONSISTENT, "rsa-mechanism-ec-key");
    if (rv == CKR_OK)
        (void)c->p->C_Verify(s, data, sizeof data, sig, sizeof sig);
    conf_rv(c, c->p->C_VerifyUpdate(s, data, sizeof data), CKR_OPERATION_NOT_INITIALIZED,
            "C_VerifyUpdate-without-init");
    conf_rv(c, c->p->C_VerifyFinal(s, sig, sizeof sig), CKR_OPERATION_NOT_INITIALIZED, "C_VerifyFinal-without-init");
}

const struct conf_case conf_cases_sign[] = {
    {"sign.CKM_ECDSA", "CKM_ECDSA (P-256): size query, sign, too small, OpenSSL verify", sign_mechanism, &m_ecdsa, 0},
    {"sign.CKM_ECDSA_SHA256", "CKM_ECDSA_SHA256: single, too small, multi-part, OpenSSL verify", sign_mechanism,
     &m_ecdsa_sha256, 0},
    {"sign.CKM_ECDSA_SHA384", "CKM_ECDSA_SHA384: single, too small, multi-part, OpenSSL verify", sign_mechanism,
     &m_ecdsa_sha384, 0},
    {"sign.CKM_ECDSA_SHA512", "CKM_ECDSA_SHA512: single, too small, multi-part, OpenSSL verify", sign_mechanism,
     &m_ecdsa_sha512, 0},
    {"sign.CKM_RSA_PKCS", "CKM_RSA_PKCS (2048): single, too small, data too long, OpenSSL verify", sign_mechanism,
     &m_rsa_pkcs, 0},
    {"sign.CKM_SHA256_RSA_PKCS", "CKM_SHA256_RSA_PKCS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha256_rsa, 0},
    {"sign.CKM_SHA384_RSA_PKCS", "CKM_SHA384_RSA_PKCS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha384_rsa, 0},
    {"sign.CKM_SHA512_RSA_PKCS", "CKM_SHA512_RSA_PKCS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha512_rsa, 0},
    {"sign.CKM_RSA_PKCS_PSS", "CKM_RSA_PKCS_PSS (SHA-256 digest): single, too small, OpenSSL verify",
     sign_mechanism, &m_rsa_pss, 0},
    {"sign.CKM_SHA256_RSA_PKCS_PSS", "CKM_SHA256_RSA_PKCS_PSS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha256_pss, 0},
    {"sign.CKM_SHA384_RSA_PKCS_PSS", "CKM_SHA384_RSA_PKCS_PSS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha384_pss, 0},
    {"sign.CKM_SHA512_RSA_PKCS_PSS", "CKM_SHA512_RSA_PKCS_PSS: single, too small, multi-part, OpenSSL verify",
     sign_mechanism, &m_sha512_pss, 0},
    {"sign.init-twice", "C_SignInit twice: CKR_OPERATION_ACTIVE, first operation intact", sign_init_twice, NULL, 0},
    {"sign.without-init", "C_Sign/C_SignUpdate/C_SignFinal without C_SignInit", sign_without_init, NULL, 0},
    {"sign.after-update", "C_Sign after C_SignUpdate, then C_SignFinal", sign_after_update, NULL, 0},
    {"sign.raw-multipart", "C_SignUpdate with single-part CKM_ECDSA", sign_raw_multipart, NULL, 0},
    {"sign.key-rules", "C_SignInit: public key, wrong key type, bad handles, NULL, unknown mechanism",
     sign_key_rules, NULL, 0},
    {"sign.closed-session", "C_Sign on a session closed during the operation", sign_closed_session, NULL, 0},
    {"sign.key-destroyed", "the key destroyed between C_SignInit and C_Sign", sign_key_destroyed, NULL, 0},
    {"sign.not-logged-in", "C_SignInit with a private key after logout", sign_not_logged_in, NULL, 0},
    {"sign.pss-params", "RSA-PSS with missing or inconsistent parameters", sign_pss_params, NULL, 0},
    {"verify.CKM_ECDSA", "C_Verify CKM_ECDSA: good, tampered, short, init twice", verify_mechanism, &m_ecdsa, 0},
    {"verify.CKM_ECDSA_SHA256", "C_Verify CKM_ECDSA_SHA256: good, tampered, short, multi-part", verify_mechanism,
     &m_ecdsa_sha256, 0},
    {"verify.CKM_RSA_PKCS", "C_Verify CKM_RSA_PKCS: good, tampered, short", verify_mechanism, &m_rsa_pkcs, 0},
    {"verify.CKM_SHA256_RSA_PKCS", "C_Verify CKM_SHA256_RSA_PKCS: good, tampered, short, multi-part",
     verify_mechanism, &m_sha256_rsa, 0},
    {"verify.CKM_SHA256_RSA_PKCS_PSS", "C_Verify CKM_SHA256_RSA_PKCS_PSS: good, tampered, short, multi-part",
     verify_mechanism, &m_sha256_pss, 0},
    {"verify.key-rules", "C_VerifyInit: bad key handle, NULL mechanism, wrong key type; no operation",
     verify_key_rules, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
