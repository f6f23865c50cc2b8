/* attest.c — attest: the device's statement that a seal key was generated inside it, is not
 * extractable and is bound to this policy, signed by the device attestation key (ATTEST).
 *
 * Writes DIR/statement.txt (the statement as signed), DIR/statement.sig (the ECDSA signature in
 * DER) and DIR/attest.pem (the attestation public key, from DEVICE_KEYS), checks the signature
 * and that the statement names this key, and prints the OpenSSL command that checks it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin.h"

/* The value of "name: value" in the statement, copied into out. */
static bool field(const char *stmt, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = stmt, *end = stmt + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if ((size_t)(eol - p) > nl + 2 && memcmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
            size_t vl = (size_t)(eol - p) - nl - 2;
            if (vl >= cap)
                return false;
            memcpy(out, p + nl + 2, vl);
            out[vl] = '\0';
            return true;
        }
        p = eol + 1;
    }
    return false;
}

static admin_exit write_file(admin_ctx *ctx, const char *dir, const char *name, const void *buf, size_t len,
                             char *path, size_t cap)
{
    char err[512];
    snprintf(path, cap, "%s/%s", dir, name);
    if (admin_file_write(path, buf, len, 0644, false, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "give --out-dir an existing, writable directory", "%s", err);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_cmd_attest(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *key_opt = NULL, *dir = NULL;
    const admin_opt opts[] = {
        ADMIN_SEAL_OPTS(sel),
        {.name = "key", .kind = ADMIN_OPT_VALUE, .dest = &key_opt},
        {.name = "out-dir", .kind = ADMIN_OPT_VALUE, .dest = &dir},
    };
    admin_seal seal;
    sigil_obj_record *objs = NULL;
    admin_keypair *pairs = NULL;
    size_t n = 0, np = 0, pick = 0;
    char *stmt = NULL;
    size_t stmt_len = 0;
    uint8_t sig[64];
    EVP_PKEY *ak = NULL;
    char *pem = NULL;
    char serial[17];
    uint8_t apt[65], tpt[65];
    size_t al = 0, tl = 0;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (dir == NULL) {
        admin_report_usage(ctx, "attest needs --out-dir DIR (statement.txt, statement.sig and attest.pem go there)");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_seal_private_key(ctx, &sel, key_opt, &seal, &objs, &n, &pairs, &np, &pick);
    if (e != ADMIN_EXIT_OK)
        goto out;
    const sigil_obj_record *priv = pairs[pick].priv;
    e = admin_query_device_keys(ctx, serial, apt, &al, tpt, &tl);
    if (e != ADMIN_EXIT_OK)
        goto out;
    uint8_t body[16];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_u32(&w, priv->handle);
    e = admin_call(ctx, SIGIL_OP_ATTEST, &w, "attestation");
    if (e != ADMIN_EXIT_OK)
        goto out;
    sigil_rd r;
    size_t sl = 0;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    const uint8_t *s = sigil_rd_bytes(&r, 8192, &stmt_len);
    const uint8_t *sg = sigil_rd_bytes(&r, 64, &sl);
    stmt = malloc(stmt_len + 1);
    if (!sigil_rd_done(&r) || sl != 64 || stmt == NULL) {
        admin_report_bad_response(ctx, "ATTEST");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    memcpy(stmt, s, stmt_len);
    stmt[stmt_len] = '\0';
    memcpy(sig, sg, 64);
    ak = admin_key_from_p256_point(tpt, tl);
    pem = ak != NULL ? admin_key_pem(ak) : NULL;
    if (pem == NULL || !admin_ecdsa_verify_sha256(ak, (const uint8_t *)stmt, stmt_len, sig, 64)) {
        admin_report(ctx, ADMIN_EXIT_UNREACHABLE, "report this: the device's attestation does not verify",
                     "device error: the attestation statement does not verify with the device's attestation key");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    /* The statement must be about this key. */
    char want[2 * 512 + 1], got[2 * 512 + 1], dev[32];
    bool ec = priv->key_type == SIGIL_KEYTYPE_EC;
    admin_hex(ec ? priv->pub_b : priv->pub_a, ec ? priv->pub_b_len : priv->pub_a_len, want);
    if (!field(stmt, stmt_len, ec ? "ec-point" : "rsa-modulus", got, sizeof got) || strcmp(got, want) != 0 ||
        !field(stmt, stmt_len, "device-serial", dev, sizeof dev) || strcmp(dev, serial) != 0) {
        admin_report(ctx, ADMIN_EXIT_UNREACHABLE, "report this: the statement names another key or device",
                     "device error: the attestation statement is not about the key asked for");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    uint8_t der[2 * 66 + 16];
    size_t der_len = 0;
    char p_stmt[1024], p_sig[1024], p_key[1024];
    if (admin_ecdsa_raw_to_der(sig, 64, der, sizeof der, &der_len) != 0) {
        admin_report_internal(ctx, "cannot encode the signature");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    if ((e = write_file(ctx, dir, "statement.txt", stmt, stmt_len, p_stmt, sizeof p_stmt)) != ADMIN_EXIT_OK ||
        (e = write_file(ctx, dir, "statement.sig", der, der_len, p_sig, sizeof p_sig)) != ADMIN_EXIT_OK ||
        (e = write_file(ctx, dir, "attest.pem", pem, strlen(pem), p_key, sizeof p_key)) != ADMIN_EXIT_OK)
        goto out;
    char cmd[3200];
    snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -verify %s -signature %s %s", p_key, p_sig, p_stmt);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_hex(&j, "key_id", priv->id, priv->id_len);
        admin_json_uint(&j, "key_handle", priv->handle);
        admin_json_str(&j, "device_serial", serial);
        admin_json_str(&j, "statement_file", p_stmt);
        admin_json_str(&j, "signature_file", p_sig);
        admin_json_str(&j, "public_key_file", p_key);
        admin_json_str(&j, "verify_command", cmd);
        admin_json_strn(&j, "statement", stmt, stmt_len);
        admin_json_end(&j);
    } else {
        fputs(stmt, stdout);
        printf("\nSigned by the attestation key of device %s; written to %s, %s and %s.\nCheck it with:\n  %s\n",
               serial, p_stmt, p_sig, p_key, cmd);
    }
out:
    free(pem);
    EVP_PKEY_free(ak);
    free(stmt);
    free(pairs);
    free(objs);
    return e;
}
