/* p11.c — a PKCS#11 module as a benchmark target: dlopen + C_GetFunctionList, C_Initialize
 * with OS locking, the tokens to use, a login on each, the key "sigil-bench-<mechanism>" on
 * each (found, or generated on first use), its public half as an OpenSSL key, and one
 * session per signing thread doing C_SignInit + C_Sign.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "bench.h"

struct p11_target {
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    bool initialized;
    unsigned n;
    CK_SLOT_ID slots[BENCH_MAX_TOKENS];
    CK_SESSION_HANDLE login_sessions[BENCH_MAX_TOKENS]; /* keep the logins alive */
    CK_OBJECT_HANDLE keys[BENCH_MAX_TOKENS];
    char labels[BENCH_MAX_TOKENS][33];
    const bench_mech *mech;
};

typedef struct {
    p11_target *p;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM m;
    CK_RSA_PKCS_PSS_PARAMS pss;
    uint8_t prefix[32];
    size_t prefix_len;
} p11_thread;

const char *p11_rv_name(CK_RV rv)
{
    static _Thread_local char buf[32];
    switch (rv) {
#define RV(x) case x: return #x;
        RV(CKR_OK) RV(CKR_HOST_MEMORY) RV(CKR_SLOT_ID_INVALID) RV(CKR_GENERAL_ERROR) RV(CKR_FUNCTION_FAILED)
        RV(CKR_ARGUMENTS_BAD) RV(CKR_ATTRIBUTE_VALUE_INVALID) RV(CKR_DATA_LEN_RANGE) RV(CKR_DEVICE_ERROR)
        RV(CKR_DEVICE_MEMORY) RV(CKR_DEVICE_REMOVED) RV(CKR_KEY_HANDLE_INVALID) RV(CKR_KEY_TYPE_INCONSISTENT)
        RV(CKR_KEY_FUNCTION_NOT_PERMITTED) RV(CKR_MECHANISM_INVALID) RV(CKR_MECHANISM_PARAM_INVALID)
        RV(CKR_OPERATION_ACTIVE) RV(CKR_OPERATION_NOT_INITIALIZED) RV(CKR_PIN_INCORRECT) RV(CKR_PIN_LOCKED)
        RV(CKR_SESSION_CLOSED) RV(CKR_SESSION_COUNT) RV(CKR_SESSION_HANDLE_INVALID) RV(CKR_TEMPLATE_INCOMPLETE)
        RV(CKR_TEMPLATE_INCONSISTENT) RV(CKR_TOKEN_NOT_PRESENT) RV(CKR_TOKEN_NOT_RECOGNIZED)
        RV(CKR_USER_ALREADY_LOGGED_IN) RV(CKR_USER_NOT_LOGGED_IN) RV(CKR_USER_PIN_NOT_INITIALIZED)
        RV(CKR_USER_TYPE_INVALID) RV(CKR_BUFFER_TOO_SMALL) RV(CKR_CRYPTOKI_NOT_INITIALIZED)
        RV(CKR_CRYPTOKI_ALREADY_INITIALIZED) RV(CKR_CURVE_NOT_SUPPORTED) RV(CKR_KEY_SIZE_RANGE)
        RV(CKR_FUNCTION_NOT_SUPPORTED) RV(CKR_CANT_LOCK) RV(CKR_SESSION_READ_ONLY)
#undef RV
    default:
        snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
        return buf;
    }
}

#define P11_FAIL(fn, rv) \
    snprintf(err, errlen, "%s: %s", fn, p11_rv_name(rv))

void p11_pad_label(const char *label, CK_UTF8CHAR out[32])
{
    size_t n = strlen(label);
    memset(out, ' ', 32);
    memcpy(out, label, n > 32 ? 32 : n);
}

static void unpad_label(const CK_UTF8CHAR in[32], char out[33])
{
    size_t n = 32;
    memcpy(out, in, 32);
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* The tokens: by label, or the first `slots` initialised ones (default 1). */
static int find_tokens(p11_target *p, const char *const *labels, unsigned n_labels, unsigned slots, char *err,
                       size_t errlen)
{
    CK_SLOT_ID list[256];
    CK_ULONG n = 256;
    CK_RV rv = p->f->C_GetSlotList(CK_TRUE, list, &n);
    if (rv != CKR_OK) {
        P11_FAIL("C_GetSlotList", rv);
        return -1;
    }
    unsigned want = n_labels > 0 ? n_labels : (slots > 0 ? slots : 1);
    p->n = 0;
    for (unsigned k = 0; k < (n_labels > 0 ? n_labels : 1); k++) {
        for (CK_ULONG i = 0; i < n && p->n < want; i++) {
            CK_TOKEN_INFO ti;
            char label[33];
            if (p->f->C_GetTokenInfo(list[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
                continue;
            unpad_label(ti.label, label);
            if (n_labels > 0) {
                if (strcmp(label, labels[k]) != 0)
                    continue;
            } else if (!(ti.flags & CKF_USER_PIN_INITIALIZED)) {
                continue;
            }
            p->slots[p->n] = list[i];
            memcpy(p->labels[p->n], label, sizeof(label));
            p->n++;
            if (n_labels > 0)
                break;
        }
        if (n_labels > 0 && p->n != k + 1) {
            snprintf(err, errlen, "no initialised token labelled '%s'", labels[k]);
            return -1;
        }
    }
    if (p->n < want) {
        snprintf(err, errlen, "%u token(s) wanted, %u initialised with a user PIN found", want, p->n);
        return -1;
    }
    return 0;
}

static int find_object(p11_target *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label,
                       CK_OBJECT_HANDLE *h)
{
    CK_KEY_TYPE kt = p->mech->ec ? CKK_EC : CKK_RSA;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_ULONG found = 0;
    *h = CK_INVALID_HANDLE;
    if (p->f->C_FindObjectsInit(s, tmpl, 3) != CKR_OK)
        return -1;
    CK_RV rv = p->f->C_FindObjects(s, h, 1, &found);
    p->f->C_FindObjectsFinal(s);
    return rv == CKR_OK && found == 1 ? 0 : -1;
}

static int generate(p11_target *p, CK_SESSION_HANDLE s, const char *label, char *err, size_t errlen)
{
    static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    static const uint8_t exponent[] = {0x01, 0x00, 0x01};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = p->mech->bits;
    const char *id = p->mech->name;
    CK_MECHANISM gen = {p->mech->ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[6] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_VERIFY, &yes, sizeof(yes)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, (void *)id, strlen(id)},
    };
    CK_ULONG n_pub = 4;
    if (p->mech->ec) {
        const uint8_t *oid = p->mech->bits == 256 ? oid_p256 : oid_p384;
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)oid, p->mech->bits == 256 ? sizeof(oid_p256)
                                                                                       : sizeof(oid_p384)};
    } else {
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
        pub[n_pub++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)exponent, sizeof(exponent)};
    }
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},      {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, (void *)id, strlen(id)},
    };
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv = p->f->C_GenerateKeyPair(s, &gen, pub, n_pub, priv, sizeof(priv) / sizeof(priv[0]), &hpub, &hpriv);
    if (rv != CKR_OK) {
        P11_FAIL("C_GenerateKeyPair", rv);
        return -1;
    }
    return 0;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* The public key object's values as an OpenSSL key. CKA_EC_POINT is a DER OCTET STRING
 * holding the point (PKCS#11 v2.40); a bare point is accepted too. */
static EVP_PKEY *read_public(p11_target *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, char *err, size_t errlen)
{
    uint8_t a[1024], b[1024];
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = NULL, *e = NULL;
    CK_ATTRIBUTE attrs[2];
    if (bld == NULL)
        return NULL;
    if (p->mech->ec) {
        attrs[0] = (CK_ATTRIBUTE){CKA_EC_PARAMS, a, sizeof(a)};
        attrs[1] = (CK_ATTRIBUTE){CKA_EC_POINT, b, sizeof(b)};
    } else {
        attrs[0] = (CK_ATTRIBUTE){CKA_MODULUS, a, sizeof(a)};
        attrs[1] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, b, sizeof(b)};
    }
    CK_RV rv = p->f->C_GetAttributeValue(s, h, attrs, 2);
    if (rv != CKR_OK) {
        P11_FAIL("C_GetAttributeValue(public key)", rv);
        goto out;
    }
    if (p->mech->ec) {
        const uint8_t *pt = b;
        size_t len = attrs[1].ulValueLen;
        if (len >= 2 && b[0] == 0x04 && b[1] < 0x80 && (size_t)b[1] + 2 == len) { /* OCTET STRING, short form */
            pt = b + 2;
            len -= 2;
        } else if (len >= 3 && b[0] == 0x04 && b[1] == 0x81 && (size_t)b[2] + 3 == len) {
            pt = b + 3;
            len -= 3;
        }
        if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, p->mech->ec_group, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len))
            goto out;
        pkey = from_params("EC", bld);
    } else {
        n = BN_bin2bn(a, (int)attrs[0].ulValueLen, NULL);
        e = BN_bin2bn(b, (int)attrs[1].ulValueLen, NULL);
        if (n == NULL || e == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            goto out;
        pkey = from_params("RSA", bld);
    }
    if (pkey == NULL)
        snprintf(err, errlen, "the public key's attributes do not make an OpenSSL %s key",
                 p->mech->ec ? "EC" : "RSA");
    else if (EVP_PKEY_get_bits(pkey) != (int)p->mech->bits) {
        snprintf(err, errlen, "the key 'sigil-bench-%s' has %d bits, not %u", p->mech->name,
                 EVP_PKEY_get_bits(pkey), p->mech->bits);
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* Logs in on token i (a session kept open), finds or makes the key, reads its public half. */
static int prepare_token(p11_target *p, unsigned i, const char *pin, bench_target *t, char *err, size_t errlen)
{
    char label[64];
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE pub;
    CK_RV rv = p->f->C_OpenSession(p->slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        P11_FAIL("C_OpenSession", rv);
        return -1;
    }
    p->login_sessions[i] = s;
    rv = p->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        snprintf(err, errlen, "C_Login on token '%s': %s", p->labels[i], p11_rv_name(rv));
        return -1;
    }
    snprintf(label, sizeof(label), "sigil-bench-%s", p->mech->name);
    if (find_object(p, s, CKO_PRIVATE_KEY, label, &p->keys[i]) != 0) {
        if (generate(p, s, label, err, errlen) != 0)
            return -1;
        if (find_object(p, s, CKO_PRIVATE_KEY, label, &p->keys[i]) != 0) {
            snprintf(err, errlen, "the generated key '%s' cannot be found on '%s'", label, p->labels[i]);
            return -1;
        }
    }
    if (find_object(p, s, CKO_PUBLIC_KEY, label, &pub) != 0) {
        snprintf(err, errlen, "no public key '%s' on token '%s' (needed to verify)", label, p->labels[i]);
        return -1;
    }
    t->pub[i] = read_public(p, s, pub, err, errlen);
    return t->pub[i] != NULL ? 0 : -1;
}

static int p11_thread_init(bench_target *t, unsigned idx, void **tctx, char *err, size_t errlen)
{
    p11_target *p = t->impl;
    unsigned k = idx % p->n;
    p11_thread *th = calloc(1, sizeof(*th));
    if (th == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    th->p = p;
    th->key = p->keys[k];
    CK_RV rv = p->f->C_OpenSession(p->slots[k], CKF_SERIAL_SESSION, NULL, NULL, &th->s);
    if (rv != CKR_OK) {
        P11_FAIL("C_OpenSession", rv);
        free(th);
        return -1;
    }
    th->m.mechanism = p->mech->ckm;
    if (p->mech->pss) {
        th->pss = (CK_RSA_PKCS_PSS_PARAMS){.hashAlg = CKM_SHA256, .mgf = CKG_MGF1_SHA256, .sLen = 32};
        th->m.pParameter = &th->pss;
        th->m.ulParameterLen = sizeof(th->pss);
    }
    if (p->mech->ckm == CKM_RSA_PKCS) {
        const uint8_t *pre = bench_digestinfo_prefix(p->mech, &th->prefix_len);
        memcpy(th->prefix, pre, th->prefix_len);
    }
    *tctx = th;
    return 0;
}

static int p11_sign(void *tctx, const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t *sig_len, char *err,
                    size_t errlen)
{
    p11_thread *th = tctx;
    CK_FUNCTION_LIST_PTR f = th->p->f;
    uint8_t in[BENCH_MAX_INPUT];
    size_t in_len = 0;
    if (th->prefix_len > 0)
        memcpy(in, th->prefix, th->prefix_len);
    memcpy(in + th->prefix_len, digest, digest_len);
    in_len = th->prefix_len + digest_len;

    CK_RV rv = f->C_SignInit(th->s, &th->m, th->key);
    if (rv != CKR_OK) {
        P11_FAIL("C_SignInit", rv);
        return -1;
    }
    CK_ULONG n = BENCH_MAX_SIG;
    rv = f->C_Sign(th->s, in, in_len, sig, &n);
    if (rv != CKR_OK) {
        P11_FAIL("C_Sign", rv);
        return -1;
    }
    *sig_len = n;
    return 0;
}

static void p11_thread_done(void *tctx)
{
    p11_thread *th = tctx;
    if (th == NULL)
        return;
    (void)th->p->f->C_CloseSession(th->s);
    free(th);
}

int p11_target_open(const char *name, const char *module, const char *const *labels, unsigned n_labels,
                    unsigned slots, const char *pin, const bench_mech *mech, bench_target *t, char *err,
                    size_t errlen)
{
    CK_C_GetFunctionList get = NULL;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
    p11_target *p = calloc(1, sizeof(*p));

    memset(t, 0, sizeof(*t));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->name = name;
    t->detail = module;
    t->impl = p;
    t->mech = mech;
    t->raw_ecdsa = true;
    t->thread_init = p11_thread_init;
    t->sign = p11_sign;
    t->thread_done = p11_thread_done;
    p->mech = mech;
    p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (p->dl == NULL) {
        snprintf(err, errlen, "cannot load %s: %s", module, dlerror());
        goto fail;
    }
    *(void **)&get = dlsym(p->dl, "C_GetFunctionList");
    if (get == NULL || get(&p->f) != CKR_OK || p->f == NULL) {
        snprintf(err, errlen, "%s has no usable C_GetFunctionList", module);
        goto fail;
    }
    CK_RV rv = p->f->C_Initialize(&init);
    if (rv != CKR_OK) {
        P11_FAIL("C_Initialize", rv);
        goto fail;
    }
    p->initialized = true;
    if (find_tokens(p, labels, n_labels, slots, err, errlen) != 0)
        goto fail;
    for (unsigned i = 0; i < p->n; i++)
        if (prepare_token(p, i, pin, t, err, errlen) != 0)
            goto fail;
    t->n_keys = p->n;
    return 0;
fail:
    p11_target_close(t);
    return -1;
}

void p11_target_close(bench_target *t)
{
    p11_target *p = t->impl;
    for (unsigned i = 0; i < BENCH_MAX_TOKENS; i++) {
        EVP_PKEY_free(t->pub[i]);
        t->pub[i] = NULL;
    }
    if (p == NULL)
        return;
    if (p->initialized) {
        for (unsigned i = 0; i < p->n; i++)
            if (p->login_sessions[i] != CK_INVALID_HANDLE)
                (void)p->f->C_CloseSession(p->login_sessions[i]);
        (void)p->f->C_Finalize(NULL);
    }
    if (p->dl != NULL)
        dlclose(p->dl);
    free(p);
    t->impl = NULL;
}
