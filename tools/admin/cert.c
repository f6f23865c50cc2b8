/* cert.c — seal cert import | show: the seal's certificate (and its chain) on the token.
 *
 * A certificate is stored with CREATE_OBJECT exactly as the PKCS#11 module stores one made with
 * C_CreateObject: a certificate record with the key's CKA_ID and label (so that Java, NSS and
 * OpenSSL pair it with the key), its CKA_VALUE, CKA_SUBJECT, CKA_ISSUER and CKA_SERIAL_NUMBER
 * in the record's attrs, encoded with proto/sigil_attrs.h, the module's own codec. The seal's
 * certificate has CKA_CERTIFICATE_CATEGORY "token user", CA certificates "authority".
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "sigil_attrs.h"

#define MAX_CERTS 16

typedef struct {
    X509 *x[MAX_CERTS];
    size_t n;
} cert_list;

static void certs_free(cert_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        X509_free(l->x[i]);
    l->n = 0;
}

/* Every certificate of a PEM file (or the one of a DER file), appended to l. */
static int certs_read(const char *path, cert_list *l, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t before = l->n;
    if (admin_file_read(path, 4 * 1024 * 1024, &buf, &len, err, errlen) != 0)
        return -1;
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    X509 *x;
    while (b != NULL && l->n < MAX_CERTS && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        l->x[l->n++] = x;
    BIO_free(b);
    if (l->n == before) {
        const unsigned char *p = buf;
        x = d2i_X509(NULL, &p, (long)len);
        if (x != NULL && p == buf + len && l->n < MAX_CERTS)
            l->x[l->n++] = x;
        else
            X509_free(x);
    }
    free(buf);
    if (l->n == before) {
        snprintf(err, errlen, "%s holds no X.509 certificate (PEM or DER)", path);
        return -1;
    }
    return 0;
}

static void subject_of(X509 *x, char *out, size_t cap)
{
    admin_name_text(X509_get_subject_name(x), out, cap);
}

typedef struct {
    uint64_t not_before, not_after;
    int64_t days_left;
} validity;

static void validity_of(X509 *x, validity *v)
{
    struct tm tm;
    memset(v, 0, sizeof(*v));
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1)
        v->not_before = (uint64_t)timegm(&tm);
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
        v->not_after = (uint64_t)timegm(&tm);
    int64_t left = (int64_t)v->not_after - (int64_t)time(NULL);
    v->days_left = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
}

/* The certificate of a record (its CKA_VALUE), or NULL. */
static X509 *record_cert(const sigil_obj_record *r)
{
    sigil_attr_tlv v;
    if (r->obj_class != SIGIL_CLASS_CERTIFICATE || !sigil_attrs_find(r->attrs, r->attrs_len, SIGIL_ATTR_VALUE, &v) ||
        v.len == 0)
        return NULL;
    const unsigned char *p = v.val;
    return d2i_X509(NULL, &p, (long)v.len);
}

static uint64_t record_category(const sigil_obj_record *r)
{
    sigil_attr_tlv v;
    uint64_t c = SIGIL_CERT_CATEGORY_UNSPECIFIED;
    if (sigil_attrs_find(r->attrs, r->attrs_len, SIGIL_ATTR_CERTIFICATE_CATEGORY, &v))
        (void)sigil_attrs_get_ulong(&v, &c);
    return c;
}

static const char *category_name(uint64_t c)
{
    switch (c) {
    case SIGIL_CERT_CATEGORY_TOKEN_USER: return "seal";
    case SIGIL_CERT_CATEGORY_AUTHORITY: return "authority";
    case SIGIL_CERT_CATEGORY_OTHER_ENTITY: return "other";
    default: return "unspecified";
    }
}

/* The record of the same certificate (same DER) already on the seal, or NULL. */
static const sigil_obj_record *find_same(const sigil_obj_record *objs, size_t n, X509 *x)
{
    for (size_t i = 0; i < n; i++) {
        X509 *y = record_cert(&objs[i]);
        bool same = y != NULL && X509_cmp(x, y) == 0;
        X509_free(y);
        if (same)
            return &objs[i];
    }
    return NULL;
}

static admin_exit destroy(admin_ctx *ctx, uint32_t slot, uint32_t handle, const char *what)
{
    uint8_t body[16];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, slot);
    sigil_wr_u32(&w, handle);
    return admin_call(ctx, SIGIL_OP_DESTROY_OBJECT, &w, what);
}

static void json_cert(admin_json *j, X509 *x, uint32_t handle, const char *result)
{
    char subj[512], iss[512], t[32];
    validity v;
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    subject_of(x, subj, sizeof subj);
    admin_name_text(X509_get_issuer_name(x), iss, sizeof iss);
    validity_of(x, &v);
    admin_json_obj_open(j, NULL);
    if (handle != 0)
        admin_json_uint(j, "handle", handle);
    admin_json_str(j, "subject", subj);
    admin_json_str(j, "issuer", iss);
    admin_json_hex(j, "serial", sn->data, (size_t)sn->length);
    admin_format_time(v.not_before, t);
    admin_json_str(j, "not_before", t);
    admin_format_time(v.not_after, t);
    admin_json_str(j, "not_after", t);
    admin_json_int(j, "days_left", v.days_left);
    if (result != NULL)
        admin_json_str(j, "result", result);
    admin_json_obj_close(j);
}

admin_exit admin_cmd_cert_import(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false, replace = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *cert_path = NULL, *chain_path = NULL, *key_opt = NULL;
    const admin_opt opts[] = {
        ADMIN_SEAL_OPTS(sel),
        {.name = "cert", .kind = ADMIN_OPT_VALUE, .dest = &cert_path},
        {.name = "chain", .kind = ADMIN_OPT_VALUE, .dest = &chain_path},
        {.name = "key", .kind = ADMIN_OPT_VALUE, .dest = &key_opt},
        {.name = "replace", .kind = ADMIN_OPT_FLAG, .dest = &replace},
    };
    cert_list certs = {.n = 0}, chain = {.n = 0};
    X509 *ordered[MAX_CERTS];
    size_t n_ordered = 0;
    admin_seal seal;
    sigil_obj_record *objs = NULL, *rec = NULL;
    admin_keypair *pairs = NULL;
    size_t n = 0, np = 0;
    char err[512], subj[512];
    uint32_t created[MAX_CERTS];
    const char *results[MAX_CERTS];
    uint32_t handles[MAX_CERTS];
    size_t n_created = 0;
    uint32_t replaced[MAX_CERTS];
    size_t n_replaced = 0;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (cert_path == NULL) {
        admin_report_usage(ctx, "seal cert import needs --cert FILE (the seal's certificate, PEM or DER)");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_seal_sel_check(ctx, &sel);
    if (e != ADMIN_EXIT_OK)
        return e;
    /* The files first: nothing is asked or sent for a file that is not a certificate. */
    if (certs_read(cert_path, &certs, err, sizeof err) != 0 ||
        (chain_path != NULL && certs_read(chain_path, &chain, err, sizeof err) != 0)) {
        admin_report(ctx, ADMIN_EXIT_BAD_FILE, "give the certificate the CA issued, in PEM or DER", "%s", err);
        e = ADMIN_EXIT_BAD_FILE;
        goto out;
    }
    X509 *leaf = certs.x[0];
    for (size_t i = 1; i < certs.n && chain.n < MAX_CERTS; i++) {
        chain.x[chain.n++] = certs.x[i]; /* further certificates of --cert are its chain */
        certs.x[i] = NULL;
    }
    certs.n = 1;
    /* The chain must certify the seal's certificate, link by link. */
    X509 *cur = leaf;
    bool used[MAX_CERTS] = {false};
    for (;;) {
        size_t k;
        for (k = 0; k < chain.n; k++) {
            if (!used[k] && X509_check_issued(chain.x[k], cur) == X509_V_OK &&
                X509_verify(cur, X509_get0_pubkey(chain.x[k])) == 1)
                break;
        }
        if (k == chain.n)
            break;
        used[k] = true;
        ordered[n_ordered++] = chain.x[k];
        if (X509_check_issued(chain.x[k], chain.x[k]) == X509_V_OK)
            break; /* a root */
        cur = chain.x[k];
    }
    for (size_t k = 0; k < chain.n; k++) {
        if (!used[k]) {
            subject_of(chain.x[k], subj, sizeof subj);
            admin_report(ctx, ADMIN_EXIT_MISMATCH,
                         "give the CA certificates that issued the seal's certificate, and only those",
                         "chain certificate %s does not certify the seal's certificate (nor another certificate of "
                         "the chain): nothing imported",
                         subj);
            e = ADMIN_EXIT_MISMATCH;
            goto out;
        }
    }

    e = admin_seal_keypairs(ctx, &sel, true, &seal, &objs, &n, &pairs, &np);
    if (e != ADMIN_EXIT_OK)
        goto out;
    /* The seal's key pair whose public key the certificate certifies. */
    size_t match = SIZE_MAX, only = SIZE_MAX;
    if (key_opt != NULL) {
        e = admin_keypair_pick(ctx, &seal, pairs, np, key_opt, &only);
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    for (size_t i = 0; i < np; i++) {
        if (only != SIZE_MAX && i != only)
            continue;
        EVP_PKEY *k = admin_key_from_record(admin_keypair_rec(&pairs[i]));
        bool eq = k != NULL && EVP_PKEY_eq(k, X509_get0_pubkey(leaf)) == 1;
        EVP_PKEY_free(k);
        if (eq) {
            match = i;
            break;
        }
    }
    subject_of(leaf, subj, sizeof subj);
    if (match == SIZE_MAX) {
        uint8_t fp[32];
        char fph[65] = "?";
        if (admin_key_fingerprint(X509_get0_pubkey(leaf), fp) == 0)
            admin_hex(fp, 32, fph);
        char hint[256];
        snprintf(hint, sizeof hint,
                 "import the certificate the CA issued for this seal's request (sigil-admin seal csr --slot %u)",
                 seal.slot);
        admin_report(ctx, ADMIN_EXIT_MISMATCH, hint,
                     "the certificate %s certifies a public key (SHA-256 %s) that is not the key of %s of seal '%s': "
                     "nothing imported",
                     subj, fph, key_opt != NULL ? "the key pair chosen" : "any key pair", seal.label);
        e = ADMIN_EXIT_MISMATCH;
        goto out;
    }
    const sigil_obj_record *key = admin_keypair_rec(&pairs[match]);

    /* Certificates of this key already on the seal. */
    const sigil_obj_record *same = find_same(objs, n, leaf);
    bool leaf_present = same != NULL && same->id_len == key->id_len && memcmp(same->id, key->id, key->id_len) == 0;
    for (size_t i = 0; i < n; i++) {
        const sigil_obj_record *o = &objs[i];
        if (o->obj_class != SIGIL_CLASS_CERTIFICATE || o->id_len != key->id_len ||
            memcmp(o->id, key->id, key->id_len) != 0 || (leaf_present && o == same))
            continue;
        if (!replace) {
            admin_report_usage(ctx, "seal '%s' has a certificate for this key already (handle %u): add --replace to "
                                    "replace it",
                               seal.label, o->handle);
            e = ADMIN_EXIT_USAGE;
            goto out;
        }
        if (n_replaced < MAX_CERTS)
            replaced[n_replaced++] = o->handle;
    }

    rec = malloc(sizeof(*rec));
    uint8_t *body = malloc(16 + sizeof(sigil_obj_record) + 64);
    if (rec == NULL || body == NULL) {
        free(body);
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    /* Store the seal's certificate, then the chain; undo what was stored if any step fails. */
    for (size_t i = 0; i <= n_ordered; i++) {
        X509 *x = i == 0 ? leaf : ordered[i - 1];
        const sigil_obj_record *present = i == 0 ? (leaf_present ? same : NULL) : find_same(objs, n, x);
        if (present != NULL) {
            results[i] = "already_present";
            handles[i] = present->handle;
            continue;
        }
        uint8_t id[SIGIL_ID_MAX_LEN];
        size_t id_len = 0;
        char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
        if (i == 0) {
            memcpy(id, key->id, key->id_len);
            id_len = key->id_len;
            snprintf(label, sizeof label, "%s", key->label);
        } else {
            unsigned int dl = 0;
            if (X509_pubkey_digest(x, EVP_sha1(), id, &dl) != 1)
                dl = 0;
            id_len = dl;
            if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, label, sizeof label) <= 0)
                subject_of(x, label, sizeof label);
        }
        if (admin_cert_record(x, id, id_len, label,
                        i == 0 ? SIGIL_CERT_CATEGORY_TOKEN_USER : SIGIL_CERT_CATEGORY_AUTHORITY, rec) != 0) {
            subject_of(x, subj, sizeof subj);
            admin_report(ctx, ADMIN_EXIT_BAD_FILE, "certificates up to about 7 KiB fit a seal object",
                         "certificate %s is too large for an object record", subj);
            e = ADMIN_EXIT_BAD_FILE;
            break;
        }
        sigil_wr w;
        sigil_wr_init(&w, body, 16 + sizeof(sigil_obj_record) + 64);
        sigil_wr_u32(&w, seal.slot);
        sigil_obj_record_write(&w, rec);
        e = admin_call(ctx, SIGIL_OP_CREATE_OBJECT, &w, "storing the certificate");
        if (e != ADMIN_EXIT_OK)
            break;
        sigil_rd r;
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        sigil_obj_record_read(&r, rec);
        if (!sigil_rd_done(&r) || rec->obj_class != SIGIL_CLASS_CERTIFICATE) {
            admin_report_bad_response(ctx, "CREATE_OBJECT");
            e = ADMIN_EXIT_UNREACHABLE;
            break;
        }
        created[n_created++] = rec->handle;
        results[i] = "stored";
        handles[i] = rec->handle;
    }
    free(body);
    if (e != ADMIN_EXIT_OK) {
        /* Leave the seal as it was. */
        for (size_t i = n_created; i > 0; i--) {
            bool was = ctx->reported;
            ctx->reported = true;
            (void)destroy(ctx, seal.slot, created[i - 1], "undoing the import");
            ctx->reported = was;
        }
        goto out;
    }
    for (size_t i = 0; i < n_replaced; i++) {
        e = destroy(ctx, seal.slot, replaced[i], "removing the replaced certificate");
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    char idhex[2 * SIGIL_ID_MAX_LEN + 1], uri[ADMIN_URI_MAX];
    admin_hex(key->id, key->id_len, idhex);
    admin_seal_uri(&seal, key, "private", uri, sizeof uri);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_hex(&j, "key_id", key->id, key->id_len);
        admin_json_str(&j, "key_label", key->label);
        admin_json_str(&j, "uri", uri);
        admin_json_arr_open(&j, "certificates");
        for (size_t i = 0; i <= n_ordered; i++)
            json_cert(&j, i == 0 ? leaf : ordered[i - 1], handles[i], results[i]);
        admin_json_arr_close(&j);
        admin_json_arr_open(&j, "replaced");
        for (size_t i = 0; i < n_replaced; i++)
            admin_json_uint(&j, NULL, replaced[i]);
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else {
        printf("Certificate %s %s on seal '%s' (slot %u) with key %s, label '%s'.\n", subj,
               strcmp(results[0], "stored") == 0 ? "stored" : "was already", seal.label, seal.slot, idhex, key->label);
        for (size_t i = 0; i < n_ordered; i++) {
            subject_of(ordered[i], subj, sizeof subj);
            printf("CA certificate %s: %s\n", subj,
                   strcmp(results[i + 1], "stored") == 0 ? "stored" : "already present");
        }
        if (n_replaced > 0)
            printf("%zu previous certificate(s) of this key removed.\n", n_replaced);
        printf("Signing products find the key and its certificate at %s\n", uri);
    }
out:
    free(rec);
    free(pairs);
    free(objs);
    certs_free(&certs);
    certs_free(&chain);
    return e;
}

admin_exit admin_cmd_cert_show(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false, want_pem = false;
    admin_seal_sel sel = {NULL, NULL};
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel), {.name = "pem", .kind = ADMIN_OPT_FLAG, .dest = &want_pem}};
    admin_seal seal;
    sigil_obj_record *objs = NULL;
    admin_keypair *pairs = NULL;
    size_t n = 0, np = 0, shown = 0;
    admin_json j;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_keypairs(ctx, &sel, false, &seal, &objs, &n, &pairs, &np);
    if (e != ADMIN_EXIT_OK) {
        free(pairs);
        free(objs);
        return e;
    }
    if (ctx->json) {
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_arr_open(&j, "certificates");
    }
    for (size_t i = 0; i < n; i++) {
        const sigil_obj_record *o = &objs[i];
        if (o->obj_class != SIGIL_CLASS_CERTIFICATE)
            continue;
        X509 *x = record_cert(o);
        char subj[512] = "?", iss[512] = "?", t1[32] = "?", t2[32] = "?", idhex[2 * SIGIL_ID_MAX_LEN + 1];
        char serial[2 * 64 + 1] = "";
        validity v = {0, 0, 0};
        bool key_match = false;
        char *pem = NULL;
        if (x != NULL) {
            subject_of(x, subj, sizeof subj);
            admin_name_text(X509_get_issuer_name(x), iss, sizeof iss);
            validity_of(x, &v);
            admin_format_time(v.not_before, t1);
            admin_format_time(v.not_after, t2);
            const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
            admin_hex(sn->data, (size_t)sn->length < 64 ? (size_t)sn->length : 64, serial);
            for (size_t k = 0; k < np; k++) {
                const sigil_obj_record *kr = admin_keypair_rec(&pairs[k]);
                if (kr->id_len != o->id_len || memcmp(kr->id, o->id, o->id_len) != 0)
                    continue;
                EVP_PKEY *pk = admin_key_from_record(kr);
                key_match = pk != NULL && EVP_PKEY_eq(pk, X509_get0_pubkey(x)) == 1;
                EVP_PKEY_free(pk);
            }
            BIO *b = BIO_new(BIO_s_mem());
            char *data = NULL;
            long pl;
            if (b != NULL && PEM_write_bio_X509(b, x) == 1 && (pl = BIO_get_mem_data(b, &data)) > 0 &&
                (pem = malloc((size_t)pl + 1)) != NULL) {
                memcpy(pem, data, (size_t)pl);
                pem[pl] = '\0';
            }
            BIO_free(b);
        }
        admin_hex(o->id, o->id_len, idhex);
        uint64_t cat = record_category(o);
        if (ctx->json) {
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "handle", o->handle);
            admin_json_hex(&j, "id", o->id, o->id_len);
            admin_json_str(&j, "label", o->label);
            admin_json_str(&j, "category", category_name(cat));
            admin_json_bool(&j, "parsed", x != NULL);
            admin_json_str(&j, "subject", subj);
            admin_json_str(&j, "issuer", iss);
            admin_json_str(&j, "serial", serial);
            admin_json_str(&j, "not_before", t1);
            admin_json_str(&j, "not_after", t2);
            admin_json_int(&j, "days_left", v.days_left);
            admin_json_bool(&j, "expired", x != NULL && v.not_after < (uint64_t)time(NULL));
            admin_json_bool(&j, "matches_key", key_match);
            if (pem != NULL && want_pem)
                admin_json_str(&j, "pem", pem);
            admin_json_obj_close(&j);
        } else {
            char line[640];
            if (shown > 0)
                printf("\n");
            snprintf(line, sizeof line, "%u (%s certificate, id %s, label '%s')", o->handle, category_name(cat), idhex,
                     o->label);
            admin_print_kv("certificate", line);
            admin_print_kv("subject", subj);
            admin_print_kv("issuer", iss);
            admin_print_kv("serial", serial);
            snprintf(line, sizeof line, "%s to %s", t1, t2);
            admin_print_kv("valid", line);
            if (v.days_left >= 0)
                snprintf(line, sizeof line, "%lld days", (long long)v.days_left);
            else
                snprintf(line, sizeof line, "EXPIRED %lld days ago", (long long)-v.days_left);
            admin_print_kv("expires in", line);
            if (cat != SIGIL_CERT_CATEGORY_AUTHORITY)
                admin_print_kv("key", key_match ? "matches the seal's key of this id" : "NO key of this id matches");
            if (pem != NULL && want_pem)
                fputs(pem, stdout);
        }
        shown++;
        free(pem);
        X509_free(x);
    }
    if (ctx->json) {
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else if (shown == 0) {
        printf("Seal '%s' (slot %u) has no certificate yet: sigil-admin seal cert import --slot %u --cert FILE\n",
               seal.label, seal.slot, seal.slot);
    }
    free(pairs);
    free(objs);
    return ADMIN_EXIT_OK;
}
