/* conformance.h — one PKCS#11 conformance suite run against two modules (Sigil and SoftHSMv2).
 *
 * A case is a function that drives the module through the function list and states, for every
 * step, what it expects (conf_rv, conf_val, conf_true). The expectation is what PKCS#11 v2.40
 * names and what both modules are meant to answer; where one module intentionally answers
 * otherwise, the difference is listed in differences.c (check id → module → value → reason) and in
 * DIFFERENCES.md. Any other difference fails the case. Every case runs in its own child process
 * with its own C_Initialize/C_Finalize, its own sessions and its own objects, so a crash or hang is
 * reported for that case and the others still run. Not part of the product.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#ifndef CKR_CURVE_NOT_SUPPORTED
#define CKR_CURVE_NOT_SUPPORTED 0x140UL
#endif

/* The two modules, as named on the command line and in the table of differences. */
#define CONF_SIGIL "sigil"
#define CONF_SOFTHSM "softhsm"

#define CONF_MAX_TRACKED 64

struct conf_case;

/* The state of one run of one case. */
struct conf {
    CK_FUNCTION_LIST_PTR p;   /* the module's function list (C_GetFunctionList) */
    const char *module;       /* CONF_SIGIL or CONF_SOFTHSM */
    const char *label;        /* label of the token under test */
    const char *user_pin;
    const char *so_pin;
    CK_SLOT_ID slot;          /* that token's slot, once conf_init has found it */
    const struct conf_case *cc;
    unsigned checks;          /* checks made by the case */
    unsigned failures;        /* checks that did not give what was expected */
    unsigned differences;     /* documented differences observed */
    unsigned serial;          /* for unique CKA_IDs */
    CK_OBJECT_HANDLE tracked[CONF_MAX_TRACKED]; /* objects to destroy after the case */
    size_t n_tracked;
};

/* Case flags. */
enum {
    CONF_CASE_NO_INIT = 1u << 0, /* the case calls C_Initialize/C_Finalize itself */
};

struct conf_case {
    const char *id;    /* "area.name": stable, used in the table of differences */
    const char *title; /* one line: what is checked */
    void (*run)(struct conf *c, const void *arg);
    const void *arg;
    unsigned flags;
};

/* The case lists, each ended by an entry with id NULL. */
extern const struct conf_case conf_cases_init[];
extern const struct conf_case conf_cases_session[];
extern const struct conf_case conf_cases_keys[];
extern const struct conf_case conf_cases_sign[];
extern const struct conf_case conf_cases_objects[];

/* ---- the table of intended differences (differences.c) ---- */

struct conf_difference {
    const char *ref;    /* "D1" …, as in DIFFERENCES.md */
    const char *check;  /* "case-id/check"; a trailing '*' matches any rest */
    const char *module; /* the module that answers differently */
    unsigned long value; /* what that module answers (a CK_RV, a number or 0/1 for a property) */
    const char *reason;
};

extern const struct conf_difference conf_differences[];

/* The entry for this check and module, or NULL. */
const struct conf_difference *conf_difference_find(const char *check, const char *module);

/* ---- checks (harness.c) ---- */

/* Each returns 1 when the module answered what is expected of it (the expectation, or the
 * documented difference for this module), else 0 and the case fails. The check name is
 * printf-formatted and is appended to the case id: "case-id/check". */
int conf_rv(struct conf *c, CK_RV got, CK_RV want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int conf_val(struct conf *c, unsigned long got, unsigned long want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int conf_true(struct conf *c, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A step the case cannot go on without failed: the case fails with this message. */
void conf_fail(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A comment line in the report ("# ..."). */
void conf_note(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *conf_rv_name(CK_RV rv);
const char *conf_mech_name(CK_MECHANISM_TYPE m);

/* ---- helpers (util.c) ---- */

/* C_Initialize(NULL) and find the token labelled c->label (c->slot). 1 on success. */
int conf_init(struct conf *c);

/* The slot of the token labelled c->label among the module's slots. 1 on success. */
int conf_find_slot(struct conf *c);

/* C_OpenSession with CKF_SERIAL_SESSION (| CKF_RW_SESSION when rw). 1 on success. */
int conf_open(struct conf *c, int rw, CK_SESSION_HANDLE *s);

/* conf_open then C_Login(CKU_USER). 1 on success. */
int conf_open_user(struct conf *c, int rw, CK_SESSION_HANDLE *s);

/* A fresh CKA_ID/label for this case ("conf-<case>-<pid>-<n>"), NUL-terminated; returns its length. */
size_t conf_unique(struct conf *c, char *buf, size_t cap);

/* Remember an object for destruction after the case (if the case does not destroy it). */
void conf_track(struct conf *c, CK_OBJECT_HANDLE h);

/* Destroy every tracked object still there (a fresh R/W session, user login); called by the
 * harness after each case. */
void conf_destroy_tracked(struct conf *c);

/* Key pairs generated with a template any PKCS#11 token should accept for a signing key. */
struct conf_keypair {
    CK_OBJECT_HANDLE pub, priv;
    char id[64];
    size_t id_len;
};

/* Generates a P-256 (bits 256) or P-384 (bits 384) key pair. 1 on success (a check otherwise). */
int conf_gen_ec(struct conf *c, CK_SESSION_HANDLE s, unsigned bits, struct conf_keypair *kp);
/* Generates an RSA key pair of bits bits, exponent 65537. 1 on success. */
int conf_gen_rsa(struct conf *c, CK_SESSION_HANDLE s, CK_ULONG bits, struct conf_keypair *kp);

/* DER OIDs for CKA_EC_PARAMS. */
extern const unsigned char conf_oid_p256[10];
extern const unsigned char conf_oid_p384[7];

/* C_GetAttributeValue of one attribute into buf (cap bytes); returns the rv and sets *len. */
CK_RV conf_get_attr(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
                    void *buf, CK_ULONG cap, CK_ULONG *len);
/* A CK_BBOOL attribute: 1 true, 0 false, -1 not readable. */
int conf_get_bool(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
/* A CK_ULONG attribute, or (CK_ULONG)-1 when not readable. */
CK_ULONG conf_get_ulong(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);

/* FindObjectsInit/FindObjects/FindObjectsFinal: up to cap handles in out; returns the count, or
 * -1 when a call failed (a check is made for each call). */
long conf_find(struct conf *c, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
               size_t cap, const char *what);

/* 1 when the len bytes are printable ASCII (blank-padded PKCS#11 text fields, no NUL). */
int conf_printable(const unsigned char *p, size_t len);
/* 1 when the blank-padded field holds exactly text. */
int conf_padded_eq(const unsigned char *field, size_t len, const char *text);

/* ---- OpenSSL (verify.c) ---- */

/* Verifies sig over data (what was passed to C_Sign/C_SignUpdate) for mechanism mech with the public
 * key object pub, using OpenSSL only. A check named check. 1 when it verifies. */
int conf_verify(struct conf *c, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, const CK_MECHANISM *mech,
                const unsigned char *data, size_t data_len, const unsigned char *sig, size_t sig_len,
                const char *check);

/* A self-signed X.509 certificate (DER) for the certificate object cases, with its subject and
 * serial number (DER). 1 on success. Buffers are allocated; free with OPENSSL_free. */
struct conf_cert {
    unsigned char *der, *subject, *serial;
    size_t der_len, subject_len, serial_len;
};
int conf_make_cert(struct conf_cert *cert);
void conf_free_cert(struct conf_cert *cert);

/* SHA-2 digest with OpenSSL; returns its length. md is "SHA256", "SHA384" or "SHA512". */
size_t conf_sha(const char *md, const unsigned char *data, size_t len, unsigned char *out);

#endif
