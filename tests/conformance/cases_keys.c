/* cases_keys.c — key-pair generation with templates, attributes of the keys, searches. */
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define BOGUS_OBJECT ((CK_OBJECT_HANDLE)0x6eadbeefUL)

/* ---- key generation -------------------------------------------------------------------------- */

struct keygen_variant {
    CK_KEY_TYPE kt;
    CK_ULONG bits;                   /* RSA modulus bits; EC 256 or 384 */
    const unsigned char *ec_params;  /* overrides the curve of bits */
    size_t ec_params_len;
    int omit_param;                  /* leave out CKA_EC_PARAMS / CKA_MODULUS_BITS */
    int bits_in_4_bytes;             /* CKA_MODULUS_BITS with a 4-byte value (a wrong length) */
    CK_ATTRIBUTE_TYPE priv_bool;     /* one boolean of the private template to set (0: none) */
    CK_BBOOL priv_bool_value;
    CK_RV want;
    int details;                     /* check every attribute of the generated pair */
    CK_MECHANISM_TYPE mech;          /* 0: the key type's */
};

/* 1.2.3.4: no curve at all; secp256k1: a real curve outside the qualified-seal set. */
static const unsigned char oid_bogus[] = {0x06, 0x03, 0x2a, 0x03, 0x04};
static const unsigned char oid_secp256k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};

static int bytes_attr_is(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
                         const void *want, size_t want_len)
{
    unsigned char buf[1024];
    CK_ULONG len = 0;
    return conf_get_attr(c, s, o, t, buf, sizeof buf, &len) == CKR_OK && len == want_len &&
           memcmp(buf, want, want_len) == 0;
}

static void keypair_details(struct conf *c, CK_SESSION_HANDLE s, const struct keygen_variant *v,
                            const struct conf_keypair *kp, const unsigned char *oid, size_t oid_len)
{
    CK_OBJECT_HANDLE h[2] = {kp->pub, kp->priv};
    const char *n[2] = {"pub", "priv"};
    for (int i = 0; i < 2; i++) {
        conf_val(c, conf_get_ulong(c, s, h[i], CKA_CLASS), i ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY, "%s:CKA_CLASS", n[i]);
        conf_val(c, conf_get_ulong(c, s, h[i], CKA_KEY_TYPE), v->kt, "%s:CKA_KEY_TYPE", n[i]);
        conf_val(c, (CK_ULONG)conf_get_bool(c, s, h[i], CKA_TOKEN), 1, "%s:CKA_TOKEN", n[i]);
        conf_val(c, (CK_ULONG)conf_get_bool(c, s, h[i], CKA_PRIVATE), (CK_ULONG)i, "%s:CKA_PRIVATE", n[i]);
        conf_val(c, (CK_ULONG)conf_get_bool(c, s, h[i], CKA_LOCAL), 1, "%s:CKA_LOCAL", n[i]);
        conf_val(c, conf_get_ulong(c, s, h[i], CKA_KEY_GEN_MECHANISM),
                 v->kt == CKK_EC ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, "%s:CKA_KEY_GEN_MECHANISM", n[i]);
        conf_true(c, bytes_attr_is(c, s, h[i], CKA_ID, kp->id, kp->id_len), "%s:CKA_ID", n[i]);
        conf_true(c, bytes_attr_is(c, s, h[i], CKA_LABEL, kp->id, kp->id_len), "%s:CKA_LABEL", n[i]);
        if (v->kt == CKK_EC)
            conf_true(c, bytes_attr_is(c, s, h[i], CKA_EC_PARAMS, oid, oid_len), "%s:CKA_EC_PARAMS", n[i]);
    }
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->pub, CKA_VERIFY), 1, "pub:CKA_VERIFY");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_SIGN), 1, "priv:CKA_SIGN");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_SENSITIVE), 1, "priv:CKA_SENSITIVE");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_ALWAYS_SENSITIVE), 1, "priv:CKA_ALWAYS_SENSITIVE");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_EXTRACTABLE), 0, "priv:CKA_EXTRACTABLE");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_NEVER_EXTRACTABLE), 1, "priv:CKA_NEVER_EXTRACTABLE");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp->priv, CKA_ALWAYS_AUTHENTICATE), 0, "priv:CKA_ALWAYS_AUTHENTICATE");
    if (v->kt == CKK_EC) {
        unsigned char pt[256];
        CK_ULONG len = 0;
        size_t coord = v->bits == 384 ? 48 : 32;
        if (conf_rv(c, conf_get_attr(c, s, kp->pub, CKA_EC_POINT, pt, sizeof pt, &len), CKR_OK, "pub:CKA_EC_POINT")) {
            conf_val(c, len, 2 + 1 + 2 * coord, "pub:CKA_EC_POINT-length");
            conf_true(c, len == 3 + 2 * coord && pt[0] == 0x04 && pt[1] == 1 + 2 * coord && pt[2] == 0x04,
                      "pub:CKA_EC_POINT-DER-uncompressed");
        }
    } else {
        unsigned char mod[1024], mod2[1024];
        CK_ULONG len = 0, len2 = 0;
        static const unsigned char e[] = {0x01, 0x00, 0x01};
        if (conf_rv(c, conf_get_attr(c, s, kp->pub, CKA_MODULUS, mod, sizeof mod, &len), CKR_OK, "pub:CKA_MODULUS")) {
            conf_val(c, len, v->bits / 8, "pub:CKA_MODULUS-length");
            conf_true(c, len > 0 && (mod[0] & 0x80) != 0, "pub:CKA_MODULUS-top-bit");
            if (conf_rv(c, conf_get_attr(c, s, kp->priv, CKA_MODULUS, mod2, sizeof mod2, &len2), CKR_OK,
                        "priv:CKA_MODULUS"))
                conf_true(c, len == len2 && memcmp(mod, mod2, len) == 0, "priv:CKA_MODULUS-same");
        }
        conf_val(c, conf_get_ulong(c, s, kp->pub, CKA_MODULUS_BITS), v->bits, "pub:CKA_MODULUS_BITS");
        conf_true(c, bytes_attr_is(c, s, kp->pub, CKA_PUBLIC_EXPONENT, e, sizeof e), "pub:CKA_PUBLIC_EXPONENT");
    }
}

static void keygen_case(struct conf *c, const void *arg)
{
    const struct keygen_variant *v = arg;
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = v->kt;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE, pb = v->priv_bool_value;
    CK_BYTE e[] = {0x01, 0x00, 0x01};
    CK_ULONG bits = v->bits;
    unsigned int bits32 = (unsigned int)v->bits;
    const unsigned char *oid = v->ec_params != NULL ? v->ec_params : v->bits == 384 ? conf_oid_p384 : conf_oid_p256;
    size_t oid_len = v->ec_params != NULL ? v->ec_params_len
                     : v->bits == 384    ? sizeof conf_oid_p384
                                         : sizeof conf_oid_p256;
    CK_MECHANISM m = {v->mech != 0 ? v->mech : kt == CKK_EC ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL,
                      0};
    struct conf_keypair kp;
    CK_ATTRIBUTE pub[10], priv[12];
    CK_ULONG np = 0, nv = 0;
    CK_SESSION_HANDLE s;
    CK_RV rv;

    memset(&kp, 0, sizeof kp);
    kp.id_len = conf_unique(c, kp.id, sizeof kp.id);
    pub[np++] = (CK_ATTRIBUTE){CKA_CLASS, &pub_class, sizeof pub_class};
    pub[np++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
    pub[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &t, sizeof t};
    pub[np++] = (CK_ATTRIBUTE){CKA_PRIVATE, &f, sizeof f};
    pub[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &t, sizeof t};
    pub[np++] = (CK_ATTRIBUTE){CKA_ID, kp.id, kp.id_len};
    pub[np++] = (CK_ATTRIBUTE){CKA_LABEL, kp.id, kp.id_len};
    if (!v->omit_param) {
        if (kt == CKK_EC) {
            pub[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)oid, oid_len};
        } else {
            if (v->bits_in_4_bytes)
                pub[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits32, sizeof bits32};
            else
                pub[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof bits};
            pub[np++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, e, sizeof e};
        }
    }
    priv[nv++] = (CK_ATTRIBUTE){CKA_CLASS, &priv_class, sizeof priv_class};
    priv[nv++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &kt, sizeof kt};
    priv[nv++] = (CK_ATTRIBUTE){CKA_TOKEN, &t, sizeof t};
    priv[nv++] = (CK_ATTRIBUTE){CKA_PRIVATE, &t, sizeof t};
    priv[nv++] = (CK_ATTRIBUTE){CKA_SIGN, &t, sizeof t};
    priv[nv++] = (CK_ATTRIBUTE){CKA_ID, kp.id, kp.id_len};
    priv[nv++] = (CK_ATTRIBUTE){CKA_LABEL, kp.id, kp.id_len};
    if (v->priv_bool != CKA_SENSITIVE)
        priv[nv++] = (CK_ATTRIBUTE){CKA_SENSITIVE, &t, sizeof t};
    if (v->priv_bool != CKA_EXTRACTABLE)
        priv[nv++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &f, sizeof f};
    if (v->priv_bool != 0)
        priv[nv++] = (CK_ATTRIBUTE){v->priv_bool, &pb, sizeof pb};

    if (!conf_open_user(c, 1, &s))
        return;
    kp.pub = kp.priv = CK_INVALID_HANDLE;
    rv = c->p->C_GenerateKeyPair(s, &m, pub, np, priv, nv, &kp.pub, &kp.priv);
    if (rv == CKR_OK) {
        conf_track(c, kp.pub);
        conf_track(c, kp.priv);
    }
    if (!conf_rv(c, rv, v->want, "C_GenerateKeyPair") || rv != CKR_OK)
        return;
    conf_true(c, kp.pub != CK_INVALID_HANDLE && kp.priv != CK_INVALID_HANDLE && kp.pub != kp.priv, "handles");
    if (v->details)
        keypair_details(c, s, v, &kp, oid, oid_len);
    if (v->priv_bool != 0)
        conf_val(c, (CK_ULONG)conf_get_bool(c, s, kp.priv, v->priv_bool), pb == CK_TRUE, "priv:read-back");
    conf_rv(c, c->p->C_DestroyObject(s, kp.priv), CKR_OK, "C_DestroyObject(priv)");
    conf_rv(c, c->p->C_DestroyObject(s, kp.pub), CKR_OK, "C_DestroyObject(pub)");
}

static const struct keygen_variant kg_ec_p256 = {.kt = CKK_EC, .bits = 256, .want = CKR_OK, .details = 1};
static const struct keygen_variant kg_ec_p384 = {.kt = CKK_EC, .bits = 384, .want = CKR_OK, .details = 1};
static const struct keygen_variant kg_rsa_2048 = {.kt = CKK_RSA, .bits = 2048, .want = CKR_OK, .details = 1};
static const struct keygen_variant kg_ec_not_sensitive = {
    .kt = CKK_EC, .bits = 256, .priv_bool = CKA_SENSITIVE, .priv_bool_value = CK_FALSE, .want = CKR_OK};
static const struct keygen_variant kg_ec_extractable = {
    .kt = CKK_EC, .bits = 256, .priv_bool = CKA_EXTRACTABLE, .priv_bool_value = CK_TRUE, .want = CKR_OK};
static const struct keygen_variant kg_rsa_not_sensitive = {
    .kt = CKK_RSA, .bits = 2048, .priv_bool = CKA_SENSITIVE, .priv_bool_value = CK_FALSE, .want = CKR_OK};
static const struct keygen_variant kg_rsa_extractable = {
    .kt = CKK_RSA, .bits = 2048, .priv_bool = CKA_EXTRACTABLE, .priv_bool_value = CK_TRUE, .want = CKR_OK};
static const struct keygen_variant kg_ec_bogus_curve = {.kt = CKK_EC,
                                                        .bits = 256,
                                                        .ec_params = oid_bogus,
                                                        .ec_params_len = sizeof oid_bogus,
                                                        .want = CKR_CURVE_NOT_SUPPORTED};
static const struct keygen_variant kg_ec_secp256k1 = {.kt = CKK_EC,
                                                      .bits = 256,
                                                      .ec_params = oid_secp256k1,
                                                      .ec_params_len = sizeof oid_secp256k1,
                                                      .want = CKR_OK};
static const struct keygen_variant kg_ec_no_params = {.kt = CKK_EC, .bits = 256, .omit_param = 1,
                                                      .want = CKR_TEMPLATE_INCOMPLETE};
static const struct keygen_variant kg_rsa_bad_bits = {.kt = CKK_RSA, .bits = 256, .want = CKR_KEY_SIZE_RANGE};
static const struct keygen_variant kg_rsa_huge_bits = {.kt = CKK_RSA, .bits = 1u << 20, .want = CKR_KEY_SIZE_RANGE};
static const struct keygen_variant kg_rsa_1024 = {.kt = CKK_RSA, .bits = 1024, .want = CKR_OK};
static const struct keygen_variant kg_rsa_no_bits = {.kt = CKK_RSA, .bits = 2048, .omit_param = 1,
                                                     .want = CKR_TEMPLATE_INCOMPLETE};
static const struct keygen_variant kg_rsa_bits_short = {.kt = CKK_RSA, .bits = 2048, .bits_in_4_bytes = 1,
                                                        .want = CKR_ATTRIBUTE_VALUE_INVALID};
static const struct keygen_variant kg_bad_mech = {.kt = CKK_EC, .bits = 256, .mech = CKM_VENDOR_DEFINED | 0x4242,
                                                  .want = CKR_MECHANISM_INVALID};

/* Key generation needs an R/W session and the user. */
static void keygen_session_rules(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE ro, rw;
    struct conf_keypair kp;
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)conf_oid_p256, sizeof conf_oid_p256}};
    CK_BBOOL t = CK_TRUE;
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &t, sizeof t}, {CKA_PRIVATE, &t, sizeof t}, {CKA_SIGN, &t, sizeof t}};
    CK_ATTRIBUTE pub_tok[] = {{CKA_EC_PARAMS, (void *)conf_oid_p256, sizeof conf_oid_p256},
                              {CKA_TOKEN, &t, sizeof t}};
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 1, &rw) || !conf_open(c, 0, &ro))
        return;
    /* not logged in */
    kp.pub = kp.priv = CK_INVALID_HANDLE;
    rv = c->p->C_GenerateKeyPair(rw, &m, pub_tok, 2, priv, 3, &kp.pub, &kp.priv);
    conf_rv(c, rv, CKR_USER_NOT_LOGGED_IN, "not-logged-in");
    if (rv == CKR_OK) {
        conf_track(c, kp.pub);
        conf_track(c, kp.priv);
    }
    if (!conf_rv(c, c->p->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin)), CKR_OK,
                 "C_Login"))
        return;
    /* token objects from an R/O session */
    rv = c->p->C_GenerateKeyPair(ro, &m, pub_tok, 2, priv, 3, &kp.pub, &kp.priv);
    conf_rv(c, rv, CKR_SESSION_READ_ONLY, "RO-session");
    if (rv == CKR_OK) {
        conf_track(c, kp.pub);
        conf_track(c, kp.priv);
    }
    conf_rv(c, c->p->C_GenerateKeyPair(rw, NULL, pub, 1, priv, 3, &kp.pub, &kp.priv), CKR_ARGUMENTS_BAD,
            "pMechanism-NULL");
    conf_rv(c, c->p->C_GenerateKeyPair(rw, &m, pub, 1, priv, 3, NULL, &kp.priv), CKR_ARGUMENTS_BAD,
            "phPublicKey-NULL");
}

/* CKA_TOKEN=false in both templates (pkcs11-tool --test does this): session keys. */
static void keygen_session_keys(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, s2;
    CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    char id[64];
    size_t id_len = conf_unique(c, id, sizeof id);
    CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &f, sizeof f},
                          {CKA_EC_PARAMS, (void *)conf_oid_p256, sizeof conf_oid_p256},
                          {CKA_ID, id, id_len}};
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &f, sizeof f}, {CKA_PRIVATE, &t, sizeof t}, {CKA_SENSITIVE, &t, sizeof t},
                           {CKA_SIGN, &t, sizeof t}, {CKA_ID, id, id_len}};
    CK_ATTRIBUTE by_id = {CKA_ID, id, id_len};
    CK_OBJECT_HANDLE pk = CK_INVALID_HANDLE, sk = CK_INVALID_HANDLE, h[4];
    CK_RV rv;
    (void)arg;
    /* s2 keeps the login while s, which made the keys, is closed */
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 1, &s2))
        return;
    rv = c->p->C_GenerateKeyPair(s, &m, pub, 3, priv, 5, &pk, &sk);
    if (rv == CKR_OK) {
        conf_track(c, pk);
        conf_track(c, sk);
    }
    if (!conf_rv(c, rv, CKR_OK, "C_GenerateKeyPair"))
        return;
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, pk, CKA_TOKEN), 0, "pub:CKA_TOKEN");
    conf_val(c, (CK_ULONG)conf_get_bool(c, s, sk, CKA_TOKEN), 0, "priv:CKA_TOKEN");
    conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "C_CloseSession");
    /* session objects end with their session */
    conf_val(c, (CK_ULONG)conf_find(c, s2, &by_id, 1, h, 4, "after-close"), 0, "after-close:count");
}

/* ---- attributes ------------------------------------------------------------------------------ */

static void attr_sensitive_ec(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    unsigned char buf[256];
    CK_ATTRIBUTE a;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    a = (CK_ATTRIBUTE){CKA_VALUE, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, &a, 1), CKR_ATTRIBUTE_SENSITIVE, "priv:CKA_VALUE");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "priv:CKA_VALUE-length");
    a = (CK_ATTRIBUTE){CKA_VALUE, NULL, 0};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, &a, 1), CKR_ATTRIBUTE_SENSITIVE, "priv:CKA_VALUE-size-query");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "priv:CKA_VALUE-size-query-length");
    a = (CK_ATTRIBUTE){CKA_VALUE, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID, "pub:CKA_VALUE");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "pub:CKA_VALUE-length");
}

static void attr_sensitive_rsa(struct conf *c, const void *arg)
{
    static const struct {
        CK_ATTRIBUTE_TYPE t;
        const char *name;
    } secrets[] = {
        {CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT"}, {CKA_PRIME_1, "CKA_PRIME_1"},
        {CKA_PRIME_2, "CKA_PRIME_2"},                   {CKA_EXPONENT_1, "CKA_EXPONENT_1"},
        {CKA_EXPONENT_2, "CKA_EXPONENT_2"},             {CKA_COEFFICIENT, "CKA_COEFFICIENT"},
    };
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    unsigned char buf[1024], mod[1024];
    CK_ATTRIBUTE a, two[2];
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_rsa(c, s, 2048, &kp))
        return;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        a = (CK_ATTRIBUTE){secrets[i].t, buf, sizeof buf};
        conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, &a, 1), CKR_ATTRIBUTE_SENSITIVE, "%s", secrets[i].name);
        conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "%s-length", secrets[i].name);
    }
    /* with a readable attribute in the same template: that one is still returned */
    two[0] = (CK_ATTRIBUTE){CKA_MODULUS, mod, sizeof mod};
    two[1] = (CK_ATTRIBUTE){CKA_PRIVATE_EXPONENT, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, two, 2), CKR_ATTRIBUTE_SENSITIVE, "modulus+exponent");
    conf_val(c, two[0].ulValueLen, 256, "modulus+exponent:modulus-length");
    conf_val(c, two[1].ulValueLen, CK_UNAVAILABLE_INFORMATION, "modulus+exponent:exponent-length");
}

static void attr_size_query(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_ATTRIBUTE q[3];
    unsigned char buf[256], id[64];
    CK_OBJECT_CLASS cls = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    q[0] = (CK_ATTRIBUTE){CKA_LABEL, NULL, 0};
    q[1] = (CK_ATTRIBUTE){CKA_EC_POINT, NULL, 0};
    q[2] = (CK_ATTRIBUTE){CKA_CLASS, NULL, 0};
    if (conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, q, 3), CKR_OK, "size-query")) {
        conf_val(c, q[0].ulValueLen, kp.id_len, "CKA_LABEL-length");
        conf_val(c, q[1].ulValueLen, 67, "CKA_EC_POINT-length");
        conf_val(c, q[2].ulValueLen, sizeof(CK_OBJECT_CLASS), "CKA_CLASS-length");
    }
    /* then exactly that much */
    q[0] = (CK_ATTRIBUTE){CKA_LABEL, buf, kp.id_len};
    q[1] = (CK_ATTRIBUTE){CKA_ID, id, sizeof id};
    q[2] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
    if (conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, q, 3), CKR_OK, "exact")) {
        conf_true(c, q[0].ulValueLen == kp.id_len && memcmp(buf, kp.id, kp.id_len) == 0, "label-value");
        conf_true(c, q[1].ulValueLen == kp.id_len && memcmp(id, kp.id, kp.id_len) == 0, "id-value");
        conf_val(c, cls, CKO_PRIVATE_KEY, "class-value");
    }
}

static void attr_too_small(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_ATTRIBUTE a, two[2];
    unsigned char buf[256], id[64];
    unsigned int small_class = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    a = (CK_ATTRIBUTE){CKA_LABEL, buf, kp.id_len - 1};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_BUFFER_TOO_SMALL, "label");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "label-length");
    a = (CK_ATTRIBUTE){CKA_EC_POINT, buf, 10};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_BUFFER_TOO_SMALL, "ec-point");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "ec-point-length");
    /* a CK_ULONG attribute into 4 bytes: a wrong length */
    a = (CK_ATTRIBUTE){CKA_CLASS, &small_class, sizeof small_class};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_BUFFER_TOO_SMALL, "class-in-4-bytes");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "class-in-4-bytes-length");
    /* one too small among good ones: the good ones are still returned */
    two[0] = (CK_ATTRIBUTE){CKA_ID, id, sizeof id};
    two[1] = (CK_ATTRIBUTE){CKA_LABEL, buf, 1};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, two, 2), CKR_BUFFER_TOO_SMALL, "mixed");
    conf_true(c, two[0].ulValueLen == kp.id_len && memcmp(id, kp.id, kp.id_len) == 0, "mixed:id-returned");
    conf_val(c, two[1].ulValueLen, CK_UNAVAILABLE_INFORMATION, "mixed:label-length");
}

static void attr_invalid_type(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_ATTRIBUTE a, two[2];
    unsigned char buf[256];
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    a = (CK_ATTRIBUTE){CKA_VENDOR_DEFINED | 0x4242, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID, "vendor-attribute");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "vendor-attribute-length");
    /* an attribute of RSA keys asked of an EC key */
    a = (CK_ATTRIBUTE){CKA_MODULUS, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, &a, 1), CKR_ATTRIBUTE_TYPE_INVALID, "modulus-of-ec");
    conf_val(c, a.ulValueLen, CK_UNAVAILABLE_INFORMATION, "modulus-of-ec-length");
    two[0] = (CK_ATTRIBUTE){CKA_LABEL, buf, sizeof buf};
    two[1] = (CK_ATTRIBUTE){CKA_VENDOR_DEFINED | 0x4242, NULL, 0};
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.priv, two, 2), CKR_ATTRIBUTE_TYPE_INVALID, "mixed");
    conf_true(c, two[0].ulValueLen == kp.id_len && memcmp(buf, kp.id, kp.id_len) == 0, "mixed:label-returned");
    conf_val(c, two[1].ulValueLen, CK_UNAVAILABLE_INFORMATION, "mixed:vendor-length");
    a = (CK_ATTRIBUTE){CKA_LABEL, buf, sizeof buf};
    conf_rv(c, c->p->C_GetAttributeValue(s, BOGUS_OBJECT, &a, 1), CKR_OBJECT_HANDLE_INVALID, "bogus-object");
    conf_rv(c, c->p->C_GetAttributeValue(s, CK_INVALID_HANDLE, &a, 1), CKR_OBJECT_HANDLE_INVALID, "object-0");
    conf_rv(c, c->p->C_GetAttributeValue(s, kp.pub, NULL, 1), CKR_ARGUMENTS_BAD, "pTemplate-NULL");
}

static void attr_private_invisible(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    unsigned char buf[256];
    CK_ULONG len = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    if (!conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout"))
        return;
    conf_rv(c, conf_get_attr(c, s, kp.priv, CKA_LABEL, buf, sizeof buf, &len), CKR_OBJECT_HANDLE_INVALID,
            "private-key-after-logout");
    conf_rv(c, conf_get_attr(c, s, kp.pub, CKA_LABEL, buf, sizeof buf, &len), CKR_OK, "public-key-after-logout");
}

/* ---- searches ---------------------------------------------------------------------------------- */

static int contains(const CK_OBJECT_HANDLE *h, long n, CK_OBJECT_HANDLE x)
{
    for (long i = 0; i < n; i++)
        if (h[i] == x)
            return 1;
    return 0;
}

static void find_templates(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair a, b;
    CK_OBJECT_HANDLE h[64];
    CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY, pub_class = CKO_PUBLIC_KEY;
    CK_KEY_TYPE ec = CKK_EC;
    long n;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &a) || !conf_gen_ec(c, s, 256, &b))
        return;
    {
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &priv_class, sizeof priv_class}, {CKA_ID, a.id, a.id_len}};
        n = conf_find(c, s, t, 2, h, 64, "class+id");
        conf_val(c, (CK_ULONG)n, 1, "class+id:count");
        conf_true(c, n == 1 && h[0] == a.priv, "class+id:the-private-key");
    }
    {
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &pub_class, sizeof pub_class}, {CKA_ID, b.id, b.id_len}};
        n = conf_find(c, s, t, 2, h, 64, "public-class+id");
        conf_true(c, n == 1 && h[0] == b.pub, "public-class+id:the-public-key");
    }
    {
        CK_ATTRIBUTE t[] = {{CKA_ID, a.id, a.id_len}};
        n = conf_find(c, s, t, 1, h, 64, "id");
        conf_val(c, (CK_ULONG)n, 2, "id:count");
        conf_true(c, contains(h, n, a.pub) && contains(h, n, a.priv), "id:both-halves");
    }
    {
        CK_ATTRIBUTE t[] = {{CKA_LABEL, b.id, b.id_len}, {CKA_KEY_TYPE, &ec, sizeof ec}};
        n = conf_find(c, s, t, 2, h, 64, "label+keytype");
        conf_val(c, (CK_ULONG)n, 2, "label+keytype:count");
        conf_true(c, contains(h, n, b.pub) && contains(h, n, b.priv), "label+keytype:both-halves");
    }
    {
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &priv_class, sizeof priv_class}};
        n = conf_find(c, s, t, 1, h, 64, "class");
        conf_true(c, n >= 2 && contains(h, n, a.priv) && contains(h, n, b.priv) && !contains(h, n, a.pub),
                  "class:private-keys-only");
    }
    {
        n = conf_find(c, s, NULL, 0, h, 64, "empty-template");
        conf_true(c, n >= 4 && contains(h, n, a.priv) && contains(h, n, b.pub), "empty-template:all");
    }
    {
        /* a CKA_CLASS of the wrong length matches nothing */
        unsigned int short_class = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &short_class, sizeof short_class}, {CKA_ID, a.id, a.id_len}};
        n = conf_find(c, s, t, 2, h, 64, "class-wrong-length");
        conf_val(c, (CK_ULONG)n, 0, "class-wrong-length:count");
    }
    {
        char none[64];
        size_t len = conf_unique(c, none, sizeof none);
        CK_ATTRIBUTE t[] = {{CKA_LABEL, none, len}};
        n = conf_find(c, s, t, 1, h, 64, "no-match");
        conf_val(c, (CK_ULONG)n, 0, "no-match:count");
    }
    /* not logged in: the private halves are not found */
    if (conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout")) {
        CK_ATTRIBUTE t[] = {{CKA_ID, a.id, a.id_len}};
        n = conf_find(c, s, t, 1, h, 64, "public-session");
        conf_val(c, (CK_ULONG)n, 1, "public-session:count");
        conf_true(c, n == 1 && h[0] == a.pub, "public-session:public-half");
    }
}

static void find_protocol(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    struct conf_keypair kp;
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0, total = 0;
    int seen_pub = 0, seen_priv = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_gen_ec(c, s, 256, &kp))
        return;
    {
        CK_ATTRIBUTE t[] = {{CKA_ID, kp.id, kp.id_len}};
        conf_rv(c, c->p->C_FindObjects(s, h, 4, &n), CKR_OPERATION_NOT_INITIALIZED, "C_FindObjects-without-init");
        conf_rv(c, c->p->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED, "C_FindObjectsFinal-without-init");
        conf_rv(c, c->p->C_FindObjectsInit(s, NULL, 1), CKR_ARGUMENTS_BAD, "C_FindObjectsInit-NULL-template");
        if (!conf_rv(c, c->p->C_FindObjectsInit(s, t, 1), CKR_OK, "C_FindObjectsInit"))
            return;
        conf_rv(c, c->p->C_FindObjectsInit(s, t, 1), CKR_OPERATION_ACTIVE, "C_FindObjectsInit-again");
        conf_rv(c, c->p->C_FindObjects(s, NULL, 4, &n), CKR_ARGUMENTS_BAD, "C_FindObjects-NULL");
        /* one at a time: each object once, then 0 */
        for (int i = 0; i < 4; i++) {
            n = 99;
            if (!conf_rv(c, c->p->C_FindObjects(s, h, 1, &n), CKR_OK, "C_FindObjects-%d", i))
                break;
            if (n == 0)
                break;
            total += n;
            seen_pub += h[0] == kp.pub;
            seen_priv += h[0] == kp.priv;
        }
        conf_val(c, total, 2, "found-one-by-one");
        conf_true(c, seen_pub == 1 && seen_priv == 1, "each-once");
        n = 99;
        conf_rv(c, c->p->C_FindObjects(s, h, 4, &n), CKR_OK, "C_FindObjects-exhausted");
        conf_val(c, n, 0, "exhausted-count");
        conf_rv(c, c->p->C_FindObjectsFinal(s), CKR_OK, "C_FindObjectsFinal");
        conf_rv(c, c->p->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED, "C_FindObjectsFinal-again");
    }
}

static void find_deletion(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s, s2;
    struct conf_keypair kp;
    CK_OBJECT_HANDLE h[8];
    CK_ULONG n = 0;
    unsigned char buf[64];
    CK_ULONG len;
    int live_pub = 0;
    (void)arg;
    if (!conf_open_user(c, 1, &s) || !conf_open(c, 1, &s2) || !conf_gen_ec(c, s, 256, &kp))
        return;
    {
        CK_ATTRIBUTE t[] = {{CKA_ID, kp.id, kp.id_len}};
        if (!conf_rv(c, c->p->C_FindObjectsInit(s, t, 1), CKR_OK, "C_FindObjectsInit"))
            return;
    }
    /* the private key is destroyed (through another session) while the search is active */
    conf_rv(c, c->p->C_DestroyObject(s2, kp.priv), CKR_OK, "C_DestroyObject-during-search");
    if (conf_rv(c, c->p->C_FindObjects(s, h, 8, &n), CKR_OK, "C_FindObjects-after-destroy")) {
        for (CK_ULONG i = 0; i < n && i < 8; i++) {
            CK_RV rv = conf_get_attr(c, s, h[i], CKA_ID, buf, sizeof buf, &len);
            if (h[i] == kp.pub)
                live_pub = rv == CKR_OK;
            else
                conf_rv(c, rv, CKR_OBJECT_HANDLE_INVALID, "returned-destroyed-handle");
        }
        conf_true(c, live_pub, "public-key-still-found");
    }
    conf_rv(c, c->p->C_FindObjectsFinal(s), CKR_OK, "C_FindObjectsFinal");
    {
        CK_ATTRIBUTE t[] = {{CKA_ID, kp.id, kp.id_len}};
        long m = conf_find(c, s, t, 1, h, 8, "new-search");
        conf_true(c, m == 1 && h[0] == kp.pub, "new-search:only-public");
    }
    conf_rv(c, c->p->C_DestroyObject(s, kp.pub), CKR_OK, "C_DestroyObject(pub)");
}

const struct conf_case conf_cases_keys[] = {
    {"keygen.ec-p256", "EC P-256 key pair: every attribute", keygen_case, &kg_ec_p256, 0},
    {"keygen.ec-p384", "EC P-384 key pair: every attribute", keygen_case, &kg_ec_p384, 0},
    {"keygen.rsa-2048", "RSA-2048 key pair: every attribute", keygen_case, &kg_rsa_2048, 0},
    {"keygen.ec-not-sensitive", "EC key pair with CKA_SENSITIVE=false", keygen_case, &kg_ec_not_sensitive, 0},
    {"keygen.ec-extractable", "EC key pair with CKA_EXTRACTABLE=true", keygen_case, &kg_ec_extractable, 0},
    {"keygen.rsa-not-sensitive", "RSA key pair with CKA_SENSITIVE=false", keygen_case, &kg_rsa_not_sensitive, 0},
    {"keygen.rsa-extractable", "RSA key pair with CKA_EXTRACTABLE=true", keygen_case, &kg_rsa_extractable, 0},
    {"keygen.ec-bogus-curve", "EC key pair on OID 1.2.3.4 (no curve)", keygen_case, &kg_ec_bogus_curve, 0},
    {"keygen.ec-secp256k1", "EC key pair on secp256k1", keygen_case, &kg_ec_secp256k1, 0},
    {"keygen.ec-no-params", "EC key pair without CKA_EC_PARAMS", keygen_case, &kg_ec_no_params, 0},
    {"keygen.rsa-bad-bits", "RSA key pair with CKA_MODULUS_BITS 256", keygen_case, &kg_rsa_bad_bits, 0},
    {"keygen.rsa-huge-bits", "RSA key pair with CKA_MODULUS_BITS 2^20", keygen_case, &kg_rsa_huge_bits, 0},
    {"keygen.rsa-1024", "RSA key pair with CKA_MODULUS_BITS 1024", keygen_case, &kg_rsa_1024, 0},
    {"keygen.rsa-no-bits", "RSA key pair without CKA_MODULUS_BITS", keygen_case, &kg_rsa_no_bits, 0},
    {"keygen.rsa-bits-wrong-length", "RSA key pair with a 4-byte CKA_MODULUS_BITS", keygen_case,
     &kg_rsa_bits_short, 0},
    {"keygen.bad-mechanism", "C_GenerateKeyPair with an unknown mechanism", keygen_case, &kg_bad_mech, 0},
    {"keygen.session-keys", "key pair with CKA_TOKEN=false: session objects", keygen_session_keys, NULL, 0},
    {"keygen.session-rules", "key generation: not logged in, R/O session, NULL arguments", keygen_session_rules,
     NULL, 0},
    {"attr.sensitive-ec", "EC private CKA_VALUE: CKR_ATTRIBUTE_SENSITIVE", attr_sensitive_ec, NULL, 0},
    {"attr.sensitive-rsa", "RSA private exponent, primes, coefficient: CKR_ATTRIBUTE_SENSITIVE",
     attr_sensitive_rsa, NULL, 0},
    {"attr.size-query", "C_GetAttributeValue: pValue NULL gives lengths, then exact buffers", attr_size_query,
     NULL, 0},
    {"attr.too-small", "C_GetAttributeValue: buffers too small, wrong length, mixed template", attr_too_small,
     NULL, 0},
    {"attr.invalid-type", "C_GetAttributeValue: unknown attribute, mixed template, bad handles",
     attr_invalid_type, NULL, 0},
    {"attr.private-invisible", "private key not readable after logout, public key still is",
     attr_private_invisible, NULL, 0},
    {"find.templates", "C_FindObjects by class, id, label, key type, empty and non-matching templates",
     find_templates, NULL, 0},
    {"find.protocol", "C_FindObjects* order rules, one by one, exhaustion", find_protocol, NULL, 0},
    {"find.deletion", "an object destroyed while a search is active", find_deletion, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
