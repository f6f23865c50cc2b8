/* csr.c — seal csr: a PKCS#10 certification request signed inside the appliance.
 *
 * The CertificationRequestInfo is built with OpenSSL from the key's public values (the object
 * record) and the subject given; its DER is hashed here and the hash (ECDSA) or its DigestInfo
 * (RSA PKCS#1 v1.5) signed by the seal's private key in the appliance (SIGN). The ECDSA r||s is
 * turned into DER, the signature attached, and the request verified before it is written.
 */
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

/* Subject attributes in the order of the DN (ETSI EN 319 412-3 for seals: C, O,
 * organizationIdentifier, CN). */
typedef struct {
    const char *option;
    const char *type; /* OpenSSL short name */
    const char **value;
} dn_part;

static int add_entry(X509_NAME *name, const char *type, const char *value, char *err, size_t errlen)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(type, 0);
    int rc = -1;
    if (obj == NULL) {
        snprintf(err, errlen, "unknown subject attribute '%s' (use a name such as CN, O, C, organizationIdentifier "
                              "or a dotted OID)", type);
        return -1;
    }
    if (OBJ_obj2nid(obj) == NID_countryName &&
        (strlen(value) != 2 || value[0] < 'A' || value[0] > 'Z' || value[1] < 'A' || value[1] > 'Z')) {
        snprintf(err, errlen, "the country must be two capital letters (ISO 3166), e.g. PL");
        goto out;
    }
    if (X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0) != 1) {
        snprintf(err, errlen, "the value of subject attribute '%s' is not allowed (too long, or not UTF-8?)", type);
        goto out;
    }
    rc = 0;
out:
    ASN1_OBJECT_free(obj);
    return rc;
}

/* "/C=PL/O=Acme/2.5.4.97=VATPL-1234567890/CN=Acme seal" ("\/" for a slash inside a value). */
static int parse_subject(X509_NAME *name, const char *s, char *err, size_t errlen)
{
    char type[128], value[1024];
    if (s[0] != '/') {
        snprintf(err, errlen, "--subject takes the form /C=PL/O=Example/CN=Example seal");
        return -1;
    }
    s++;
    while (*s != '\0') {
        size_t t = 0, v = 0;
        while (*s != '\0' && *s != '=' && t + 1 < sizeof type)
            type[t++] = *s++;
        type[t] = '\0';
        if (*s != '=' || t == 0) {
            snprintf(err, errlen, "--subject: expected TYPE=VALUE after each '/'");
            return -1;
        }
        s++;
        while (*s != '\0' && *s != '/' && v + 1 < sizeof value) {
            if (s[0] == '\\' && s[1] != '\0')
                s++;
            value[v++] = *s++;
        }
        value[v] = '\0';
        if (v == 0) {
            snprintf(err, errlen, "--subject: attribute %s has an empty value", type);
            return -1;
        }
        if (add_entry(name, type, value, err, errlen) != 0)
            return -1;
        if (*s == '/')
            s++;
    }
    return 0;
}

static const EVP_MD *md_for(const char *hash, uint8_t key_type, uint32_t bits)
{
    if (hash == NULL)
        return key_type == SIGIL_KEYTYPE_EC && bits >= 384 ? EVP_sha384() : EVP_sha256();
    if (strcmp(hash, "sha256") == 0)
        return EVP_sha256();
    if (strcmp(hash, "sha384") == 0)
        return EVP_sha384();
    if (strcmp(hash, "sha512") == 0)
        return EVP_sha512();
    return NULL;
}

static int sig_nid(uint8_t key_type, int md_nid)
{
    int nid = NID_undef;
    if (OBJ_find_sigid_by_algs(&nid, md_nid, key_type == SIGIL_KEYTYPE_EC ? NID_X9_62_id_ecPublicKey : NID_rsaEncryption) !=
        1)
        return NID_undef;
    return nid;
}

admin_exit admin_cmd_seal_csr(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *key_opt = NULL, *out = NULL, *hash = NULL, *subject = NULL;
    const char *cn = NULL, *org = NULL, *ou = NULL, *country = NULL, *locality = NULL, *state = NULL,
               *org_id = NULL;
    const admin_opt opts[] = {
        ADMIN_SEAL_OPTS(sel),
        {.name = "key", .kind = ADMIN_OPT_VALUE, .dest = &key_opt},
        {.name = "out", .kind = ADMIN_OPT_VALUE, .dest = &out},
        {.name = "hash", .kind = ADMIN_OPT_VALUE, .dest = &hash},
        {.name = "subject", .kind = ADMIN_OPT_VALUE, .dest = &subject},
        {.name = "cn", .kind = ADMIN_OPT_VALUE, .dest = &cn},
        {.name = "org", .kind = ADMIN_OPT_VALUE, .dest = &org},
        {.name = "ou", .kind = ADMIN_OPT_VALUE, .dest = &ou},
        {.name = "country", .kind = ADMIN_OPT_VALUE, .dest = &country},
        {.name = "locality", .kind = ADMIN_OPT_VALUE, .dest = &locality},
        {.name = "state", .kind = ADMIN_OPT_VALUE, .dest = &state},
        {.name = "org-id", .kind = ADMIN_OPT_VALUE, .dest = &org_id},
    };
    const dn_part parts[] = {
        {"country", "C", &country},   {"state", "ST", &state}, {"locality", "L", &locality},
        {"org", "O", &org},           {"ou", "OU", &ou},       {"org-id", "organizationIdentifier", &org_id},
        {"cn", "CN", &cn},
    };
    admin_seal seal;
    sigil_obj_record *objs = NULL;
    admin_keypair *pairs = NULL;
    size_t n = 0, np = 0, pick = 0;
    X509_REQ *req = NULL;
    X509_ALGOR *alg = NULL;
    EVP_PKEY *pkey = NULL;
    unsigned char *tbs = NULL;
    char err[512];
    char *pem = NULL;
    BIO *bio = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (hash != NULL && md_for(hash, 0, 0) == NULL) {
        admin_report_usage(ctx, "--hash takes sha256, sha384 or sha512");
        return ADMIN_EXIT_USAGE;
    }
    /* The subject first: a mistake there is found before any PIN is asked. */
    req = X509_REQ_new();
    if (req == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    X509_NAME *name = X509_REQ_get_subject_name(req);
    if (subject != NULL && parse_subject(name, subject, err, sizeof err) != 0) {
        admin_report_usage(ctx, "%s", err);
        e = ADMIN_EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (*parts[i].value != NULL && add_entry(name, parts[i].type, *parts[i].value, err, sizeof err) != 0) {
            admin_report_usage(ctx, "--%s: %s", parts[i].option, err);
            e = ADMIN_EXIT_USAGE;
            goto out;
        }
    }
    if (X509_NAME_entry_count(name) == 0) {
        admin_report_usage(ctx, "seal csr needs a subject: --cn, --org, --country, --org-id (organizationIdentifier, "
                                "e.g. VATPL-1234567890), or --subject /C=../O=../CN=..");
        e = ADMIN_EXIT_USAGE;
        goto out;
    }
    e = admin_seal_private_key(ctx, &sel, key_opt, &seal, &objs, &n, &pairs, &np, &pick);
    if (e != ADMIN_EXIT_OK)
        goto out;
    const sigil_obj_record *key = admin_keypair_rec(&pairs[pick]);
    const sigil_obj_record *priv = pairs[pick].priv;
    const EVP_MD *md = md_for(hash, key->key_type, key->bits);
    int nid = sig_nid(key->key_type, EVP_MD_get_type(md));
    pkey = admin_key_from_record(key);
    alg = X509_ALGOR_new();
    if (pkey == NULL || nid == NID_undef) {
        admin_report_bad_response(ctx, "OBJECT_LIST (the key's public values)");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    if (alg == NULL || X509_REQ_set_pubkey(req, pkey) != 1 ||
        X509_ALGOR_set0(alg, OBJ_nid2obj(nid), key->key_type == SIGIL_KEYTYPE_RSA ? V_ASN1_NULL : V_ASN1_UNDEF,
                        NULL) != 1 ||
        X509_REQ_set1_signature_algo(req, alg) != 1) {
        admin_report_internal(ctx, "cannot build the request (OpenSSL)");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    int tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (tbs_len <= 0 || EVP_Digest(tbs, (size_t)tbs_len, digest, &dlen, md, NULL) != 1) {
        admin_report_internal(ctx, "cannot encode the request (OpenSSL)");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }

    /* The signature, made inside the appliance. */
    uint8_t input[128];
    size_t in_len = 0;
    uint8_t mech = SIGIL_MECH_ECDSA;
    if (key->key_type == SIGIL_KEYTYPE_RSA) {
        mech = SIGIL_MECH_RSA_PKCS;
        if (admin_digest_info(EVP_MD_get_type(md), digest, dlen, input, sizeof input, &in_len) != 0) {
            admin_report_internal(ctx, "no DigestInfo for this hash");
            e = ADMIN_EXIT_INTERNAL;
            goto out;
        }
    } else {
        memcpy(input, digest, dlen);
        in_len = dlen;
    }
    if (priv->flags & SIGIL_OBJ_ALWAYS_AUTH) {
        /* Per-signature policy: one context-specific login authorises this signature. */
        e = admin_login_context(ctx, seal.slot);
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    uint8_t body[64 + sizeof input];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_u32(&w, priv->handle);
    sigil_wr_u8(&w, mech);
    sigil_wr_u8(&w, 0);
    sigil_wr_u32(&w, 0);
    sigil_wr_bytes(&w, input, in_len);
    e = admin_call(ctx, SIGIL_OP_SIGN, &w, "signing the request in the appliance");
    if (e != ADMIN_EXIT_OK)
        goto out;
    sigil_rd r;
    size_t sig_len = 0;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    const uint8_t *sig = sigil_rd_bytes(&r, 512, &sig_len);
    uint8_t der[2 * 66 + 16];
    const uint8_t *final_sig = sig;
    size_t final_len = sig_len;
    if (!sigil_rd_done(&r) || sig_len == 0) {
        admin_report_bad_response(ctx, "SIGN");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    if (key->key_type == SIGIL_KEYTYPE_EC) {
        if (admin_ecdsa_raw_to_der(sig, sig_len, der, sizeof der, &final_len) != 0) {
            admin_report_bad_response(ctx, "SIGN (not an ECDSA r||s)");
            e = ADMIN_EXIT_UNREACHABLE;
            goto out;
        }
        final_sig = der;
    }
    ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
    if (bs == NULL || ASN1_BIT_STRING_set(bs, (unsigned char *)final_sig, (int)final_len) != 1) {
        ASN1_BIT_STRING_free(bs);
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bs->flags |= ASN1_STRING_FLAG_BITS_LEFT; /* no unused bits */
    X509_REQ_set0_signature(req, bs);
    if (X509_REQ_verify(req, pkey) != 1) {
        admin_report(ctx, ADMIN_EXIT_UNREACHABLE, "report this: the appliance's signature does not match its key",
                     "device error: the request signed by the appliance does not verify with the seal's public key");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long plen;
    if (bio == NULL || PEM_write_bio_X509_REQ(bio, req) != 1 || (plen = BIO_get_mem_data(bio, &data)) <= 0 ||
        (pem = malloc((size_t)plen + 1)) == NULL) {
        admin_report_internal(ctx, "cannot write the request (OpenSSL)");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    memcpy(pem, data, (size_t)plen);
    pem[plen] = '\0';
    if (out != NULL && admin_file_write(out, pem, (size_t)plen, 0644, false, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "choose a path in a writable directory", "%s", err);
        e = ADMIN_EXIT_USAGE;
        goto out;
    }
    char subj[1024], idhex[2 * SIGIL_ID_MAX_LEN + 1];
    admin_name_text(name, subj, sizeof subj);
    admin_hex(key->id, key->id_len, idhex);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_hex(&j, "key_id", key->id, key->id_len);
        admin_json_str(&j, "key_type", admin_keytype_name(key->key_type, key->bits));
        admin_json_str(&j, "subject", subj);
        admin_json_str(&j, "signature_algorithm", OBJ_nid2ln(nid));
        if (out != NULL)
            admin_json_str(&j, "file", out);
        admin_json_str(&j, "csr_pem", pem);
        admin_json_end(&j);
    } else if (out != NULL) {
        printf("Certification request for %s (key %s, %s) signed in the appliance and written to %s.\n", subj, idhex,
               OBJ_nid2ln(nid), out);
        printf("Check it: openssl req -in %s -noout -verify -subject\n", out);
        printf("Next: have a CA issue the certificate, then: sigil-admin seal cert import --slot %u --cert CERT.pem\n",
               seal.slot);
    } else {
        fputs(pem, stdout);
    }
out:
    BIO_free(bio);
    free(pem);
    OPENSSL_free(tbs);
    X509_ALGOR_free(alg);
    EVP_PKEY_free(pkey);
    X509_REQ_free(req);
    free(pairs);
    free(objs);
    return e;
}
