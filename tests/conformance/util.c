/* util.c — helpers shared by the conformance cases: initialisation, sessions, key pairs,
 * attributes, searches, and the objects a case leaves behind. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

/* 1.2.840.10045.3.1.7 (P-256) and 1.3.132.0.34 (P-384). */
const unsigned char conf_oid_p256[10] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const unsigned char conf_oid_p384[7] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

int conf_printable(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    return 1;
}

int conf_padded_eq(const unsigned char *field, size_t len, const char *text)
{
    size_t n = strlen(text);
    if (n > len || memcmp(field, text, n) != 0)
        return 0;
    for (size_t i = n; i < len; i++)
        if (field[i] != ' ')
            return 0;
    return 1;
}

int conf_find_slot(struct conf *c)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = sizeof slots / sizeof slots[0];
    CK_RV rv = c->p->C_GetSlotList(CK_TRUE, slots, &n);

    if (!conf_rv(c, rv, CKR_OK, "setup:C_GetSlotList"))
        return 0;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (c->p->C_GetTokenInfo(slots[i], &ti) == CKR_OK && conf_padded_eq(ti.label, sizeof ti.label, c->label)) {
            c->slot = slots[i];
            return 1;
        }
    }
    conf_fail(c, "no token labelled '%s' among %lu slots", c->label, (unsigned long)n);
    return 0;
}

int conf_init(struct conf *c)
{
    if (!conf_rv(c, c->p->C_Initialize(NULL), CKR_OK, "setup:C_Initialize"))
        return 0;
    return conf_find_slot(c);
}

int conf_open(struct conf *c, int rw, CK_SESSION_HANDLE *s)
{
    CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
    *s = CK_INVALID_HANDLE;
    return conf_rv(c, c->p->C_OpenSession(c->slot, flags, NULL, NULL, s), CKR_OK, "setup:C_OpenSession(%s)",
                   rw ? "RW" : "RO");
}

int conf_open_user(struct conf *c, int rw, CK_SESSION_HANDLE *s)
{
    if (!conf_open(c, rw, s))
        return 0;
    return conf_rv(c, c->p->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin)), CKR_OK,
                   "setup:C_Login(user)");
}

size_t conf_unique(struct conf *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "conf-%s-%ld-%u", c->cc->id, (long)getpid(), ++c->serial);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void conf_track(struct conf *c, CK_OBJECT_HANDLE h)
{
    if (h != CK_INVALID_HANDLE && c->n_tracked < CONF_MAX_TRACKED)
        c->tracked[c->n_tracked++] = h;
}

void conf_destroy_tracked(struct conf *c)
{
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    if (c->n_tracked == 0)
        return;
    (void)c->p->C_CloseAllSessions(c->slot);
    if (c->p->C_OpenSession(c->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK)
        return;
    (void)c->p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin));
    for (size_t i = 0; i < c->n_tracked; i++)
        (void)c->p->C_DestroyObject(s, c->tracked[i]);
    (void)c->p->C_CloseSession(s);
    c->n_tracked = 0;
}

static int gen_pair(struct conf *c, CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mech, CK_ATTRIBUTE *pub, CK_ULONG n_pub,
                    CK_ATTRIBUTE *priv, CK_ULONG n_priv, struct conf_keypair *kp)
{
    CK_MECHANISM m = {mech, NULL, 0};
    CK_RV rv = c->p->C_GenerateKeyPair(s, &m, pub, n_pub, priv, n_priv, &kp->pub, &kp->priv);
    if (!conf_rv(c, rv, CKR_OK, "setup:C_GenerateKeyPair(%s)", conf_mech_name(mech)))
        return 0;
    conf_track(c, kp->pub);
    conf_track(c, kp->priv);
    return conf_true(c, kp->pub != CK_INVALID_HANDLE && kp->priv != CK_INVALID_HANDLE && kp->pub != kp->priv,
                     "setup:key-handles-valid");
}

int conf_gen_ec(struct conf *c, CK_SESSION_HANDLE s, unsigned bits, struct conf_keypair *kp)
{
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    const unsigned char *oid = bits == 384 ? conf_oid_p384 : conf_oid_p256;
    CK_ULONG oid_len = bits == 384 ? sizeof conf_oid_p384 : sizeof conf_oid_p256;
    memset(kp, 0, sizeof *kp);
    kp->id_len = conf_unique(c, kp->id, sizeof kp->id);
    {
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_class, sizeof pub_class},
            {CKA_KEY_TYPE, &kt, sizeof kt},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_PRIVATE, &f, sizeof f},
            {CKA_VERIFY, &t, sizeof t},
            {CKA_EC_PARAMS, (void *)oid, oid_len},
            {CKA_ID, kp->id, kp->id_len},
            {CKA_LABEL, kp->id, kp->id_len},
        };
        CK_ATTRIBUTE priv[] = {
            {CKA_CLASS, &priv_class, sizeof priv_class},
            {CKA_KEY_TYPE, &kt, sizeof kt},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_PRIVATE, &t, sizeof t},
            {CKA_SENSITIVE, &t, sizeof t},
            {CKA_EXTRACTABLE, &f, sizeof f},
            {CKA_SIGN, &t, sizeof t},
            {CKA_ID, kp->id, kp->id_len},
            {CKA_LABEL, kp->id, kp->id_len},
        };
        return gen_pair(c, s, CKM_EC_KEY_PAIR_GEN, pub, sizeof pub / sizeof pub[0], priv,
                        sizeof priv / sizeof priv[0], kp);
    }
}

int conf_gen_rsa(struct conf *c, CK_SESSION_HANDLE s, CK_ULONG bits, struct conf_keypair *kp)
{
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_BBOOL t = CK_TRUE, f = CK_FALSE;
    CK_BYTE e[] = {0x01, 0x00, 0x01};
    memset(kp, 0, sizeof *kp);
    kp->id_len = conf_unique(c, kp->id, sizeof kp->id);
    {
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_class, sizeof pub_class},
            {CKA_KEY_TYPE, &kt, sizeof kt},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_PRIVATE, &f, sizeof f},
            {CKA_VERIFY, &t, sizeof t},
            {CKA_MODULUS_BITS, &bits, sizeof bits},
            {CKA_PUBLIC_EXPONENT, e, sizeof e},
            {CKA_ID, kp->id, kp->id_len},
            {CKA_LABEL, kp->id, kp->id_len},
        };
        CK_ATTRIBUTE priv[] = {
            {CKA_CLASS, &priv_class, sizeof priv_class},
            {CKA_KEY_TYPE, &kt, sizeof kt},
            {CKA_TOKEN, &t, sizeof t},
            {CKA_PRIVATE, &t, sizeof t},
            {CKA_SENSITIVE, &t, sizeof t},
            {CKA_EXTRACTABLE, &f, sizeof f},
            {CKA_SIGN, &t, sizeof t},
            {CKA_ID, kp->id, kp->id_len},
            {CKA_LABEL, kp->id, kp->id_len},
        };
        return gen_pair(c, s, CKM_RSA_PKCS_KEY_PAIR_GEN, pub, sizeof pub / sizeof pub[0], priv,
                        sizeof priv / sizeof priv[0], kp);
    }
}

CK_RV conf_get_attr(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, void *buf,
                    CK_ULONG cap, CK_ULONG *len)
{
    CK_ATTRIBUTE a = {t, buf, cap};
    CK_RV rv = c->p->C_GetAttributeValue(s, o, &a, 1);
    *len = a.ulValueLen;
    return rv;
}

int conf_get_bool(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
    CK_BBOOL v = 0xff;
    CK_ULONG len = 0;
    if (conf_get_attr(c, s, o, t, &v, sizeof v, &len) != CKR_OK || len != sizeof v || (v != CK_TRUE && v != CK_FALSE))
        return -1;
    return v == CK_TRUE;
}

CK_ULONG conf_get_ulong(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
    CK_ULONG v = 0, len = 0;
    if (conf_get_attr(c, s, o, t, &v, sizeof v, &len) != CKR_OK || len != sizeof v)
        return (CK_ULONG)-1;
    return v;
}

long conf_find(struct conf *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
               size_t cap, const char *what)
{
    CK_ULONG got = 0;
    long total = 0;
    if (!conf_rv(c, c->p->C_FindObjectsInit(s, tmpl, n), CKR_OK, "%s:C_FindObjectsInit", what))
        return -1;
    for (;;) {
        CK_OBJECT_HANDLE batch[16];
        CK_RV rv = c->p->C_FindObjects(s, batch, 16, &got);
        if (!conf_rv(c, rv, CKR_OK, "%s:C_FindObjects", what)) {
            (void)c->p->C_FindObjectsFinal(s);
            return -1;
        }
        if (got == 0)
            break;
        for (CK_ULONG i = 0; i < got; i++) {
            if ((size_t)total < cap)
                out[total] = batch[i];
            total++;
        }
        if (total > 100000)
            break;
    }
    if (!conf_rv(c, c->p->C_FindObjectsFinal(s), CKR_OK, "%s:C_FindObjectsFinal", what))
        return -1;
    return total;
}
