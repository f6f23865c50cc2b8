/* appliance.c — the appliance as a whole: init, status, device keys, zeroize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin.h"
#include "sigil_secmem.h"

/* ---- init --------------------------------------------------------------------------------- */

admin_exit admin_cmd_init(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_pin pin = {.len = 0};
    admin_info info;
    uint8_t body[8 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, NULL, 0, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    /* Ask first, so that nobody types a new PIN twice for nothing. */
    e = admin_query_info(ctx, &info);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (info.initialised) {
        admin_report_refused(ctx, SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED, "init");
        return ADMIN_EXIT_REFUSED;
    }
    e = admin_pin_get(ctx, ADMIN_PIN_ADMIN, true, &pin);
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_bytes(&w, (const uint8_t *)pin.buf, pin.len);
    admin_pin_wipe(&pin);
    e = admin_call(ctx, SIGIL_OP_APPLIANCE_INIT, &w, "init");
    sigil_wipe(body, sizeof body);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (ctx->resp_len != 0) {
        admin_report_bad_response(ctx, "APPLIANCE_INIT");
        return ADMIN_EXIT_UNREACHABLE;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_bool(&j, "initialised", true);
        admin_json_str(&j, "device_serial", info.serial);
        admin_json_end(&j);
    } else {
        printf("Appliance at %s initialised; the administrator PIN is set.\n", ctx->address);
        printf("Next: sigil-admin auditor pin set, then sigil-admin seal create --label NAME\n");
    }
    return ADMIN_EXIT_OK;
}

/* ---- status --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t seals, user_pin_set, locked, suspended, revoked;
    uint64_t signatures;
} seal_summary;

admin_exit admin_cmd_status(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_info info;
    admin_slot *slots = NULL;
    uint32_t n = 0;
    seal_summary sum;
    admin_exit e = admin_parse(ctx, argc, argv, NULL, 0, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    memset(&sum, 0, sizeof sum);
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_query_info(ctx, &info);
    if (e != ADMIN_EXIT_OK)
        return e;
    /* A zeroised device answers INFO only. */
    bool zeroised = strncmp(info.health, "zeroised", 8) == 0;
    if (!zeroised) {
        e = admin_query_slots(ctx, &slots, &n);
        if (e != ADMIN_EXIT_OK)
            return e;
    }
    for (uint32_t i = 0; i < n; i++) {
        admin_policy p;
        if (!(slots[i].flags & SIGIL_TOKEN_INITIALIZED))
            continue;
        sum.seals++;
        if (slots[i].flags & SIGIL_TOKEN_USER_PIN_INITIALIZED)
            sum.user_pin_set++;
        if (slots[i].flags & (SIGIL_TOKEN_USER_PIN_LOCKED | SIGIL_TOKEN_SO_PIN_LOCKED))
            sum.locked++;
        e = admin_query_policy(ctx, slots[i].slot, &p);
        if (e != ADMIN_EXIT_OK) {
            free(slots);
            return e;
        }
        sum.suspended += p.state == SIGIL_SEAL_SUSPENDED;
        sum.revoked += p.state == SIGIL_SEAL_REVOKED;
        sum.signatures += p.signatures;
    }
    free(slots);
    uint32_t free_slots = info.slot_count >= info.slots_used ? info.slot_count - info.slots_used : 0;

    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "firmware_version", info.firmware_version);
        admin_json_str(&j, "crypto_backend", info.crypto_backend);
        admin_json_bool(&j, "initialised", info.initialised);
        admin_json_bool(&j, "self_test_ok", info.self_test_ok);
        admin_json_str(&j, "health", info.health);
        admin_json_str(&j, "device_serial", info.serial);
        admin_json_uint(&j, "audit_records", info.audit_records);
        admin_json_uint(&j, "refused_blobs", info.refused_blobs);
        admin_json_str(&j, "backup_domain", info.backup_domain_hex);
        admin_json_uint(&j, "slot_count", info.slot_count);
        admin_json_uint(&j, "slots_used", info.slots_used);
        admin_json_uint(&j, "slots_free", free_slots);
        admin_json_uint(&j, "seals_with_user_pin", sum.user_pin_set);
        admin_json_uint(&j, "seals_locked", sum.locked);
        admin_json_uint(&j, "seals_suspended", sum.suspended);
        admin_json_uint(&j, "seals_revoked", sum.revoked);
        admin_json_uint(&j, "signatures", sum.signatures);
        admin_json_end(&j);
    } else {
        char line[160];
        admin_print_kv("appliance", ctx->address);
        admin_print_kv("firmware", info.firmware_version);
        admin_print_kv("crypto backend", info.crypto_backend);
        admin_print_kv("initialised", info.initialised ? "yes" : "no (run: sigil-admin init)");
        admin_print_kv("self-test", info.self_test_ok ? "passed" : "FAILED (no cryptographic service)");
        admin_print_kv("health", info.health);
        admin_print_kv("device serial", info.serial);
        snprintf(line, sizeof line, "%llu records", (unsigned long long)info.audit_records);
        admin_print_kv("audit trail", line);
        if (info.refused_blobs > 0) {
            snprintf(line, sizeof line, "%u stored object(s) failed their integrity check", info.refused_blobs);
            admin_print_kv("WARNING", line);
        }
        admin_print_kv("backup domain", info.backup_domain_len > 0 ? info.backup_domain_hex : "none");
        snprintf(line, sizeof line, "%u in total, %u used, %u free", info.slot_count, info.slots_used, free_slots);
        admin_print_kv("seal slots", line);
        snprintf(line, sizeof line, "%u with a user PIN, %u locked, %u suspended, %u revoked", sum.user_pin_set,
                 sum.locked, sum.suspended, sum.revoked);
        admin_print_kv("seals", line);
        snprintf(line, sizeof line, "%llu", (unsigned long long)sum.signatures);
        admin_print_kv("signatures", line);
    }
    return ADMIN_EXIT_OK;
}

/* ---- device keys ------------------------------------------------------------------------------- */

static admin_exit write_text(admin_ctx *ctx, const char *path, const char *text, mode_t mode)
{
    char err[512];
    if (admin_file_write(path, text, strlen(text), mode, false, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "choose a path in a writable directory", "%s", err);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_cmd_device_keys(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *audit_out = NULL, *attest_out = NULL;
    const admin_opt opts[] = {
        {.name = "audit-key-out", .kind = ADMIN_OPT_VALUE, .dest = &audit_out},
        {.name = "attest-key-out", .kind = ADMIN_OPT_VALUE, .dest = &attest_out},
    };
    char serial[17];
    uint8_t audit_pt[65], attest_pt[65];
    size_t al = 0, tl = 0;
    uint8_t fp_audit[32], fp_attest[32];
    EVP_PKEY *ka = NULL, *kt = NULL;
    char *pa = NULL, *pt = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_device_keys(ctx, serial, audit_pt, &al, attest_pt, &tl);
    if (e != ADMIN_EXIT_OK)
        return e;
    ka = admin_key_from_p256_point(audit_pt, al);
    kt = admin_key_from_p256_point(attest_pt, tl);
    if (ka == NULL || kt == NULL || (pa = admin_key_pem(ka)) == NULL || (pt = admin_key_pem(kt)) == NULL ||
        admin_key_fingerprint(ka, fp_audit) != 0 || admin_key_fingerprint(kt, fp_attest) != 0) {
        admin_report_bad_response(ctx, "DEVICE_KEYS (not P-256 points)");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    if (audit_out != NULL && (e = write_text(ctx, audit_out, pa, 0644)) != ADMIN_EXIT_OK)
        goto out;
    if (attest_out != NULL && (e = write_text(ctx, attest_out, pt, 0644)) != ADMIN_EXIT_OK)
        goto out;
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "device_serial", serial);
        admin_json_obj_open(&j, "audit_key");
        admin_json_str(&j, "pem", pa);
        admin_json_hex(&j, "sha256", fp_audit, 32);
        if (audit_out != NULL)
            admin_json_str(&j, "file", audit_out);
        admin_json_obj_close(&j);
        admin_json_obj_open(&j, "attestation_key");
        admin_json_str(&j, "pem", pt);
        admin_json_hex(&j, "sha256", fp_attest, 32);
        if (attest_out != NULL)
            admin_json_str(&j, "file", attest_out);
        admin_json_obj_close(&j);
        admin_json_end(&j);
    } else {
        char hex[65];
        admin_print_kv("device serial", serial);
        admin_hex(fp_audit, 32, hex);
        admin_print_kv("audit key", hex);
        admin_hex(fp_attest, 32, hex);
        admin_print_kv("attestation key", hex);
        printf("(SHA-256 of each key's SubjectPublicKeyInfo)\n");
        if (audit_out != NULL)
            printf("Audit public key written to %s: sigil-admin audit verify --in TRAIL --key %s\n", audit_out,
                   audit_out);
        if (attest_out != NULL)
            printf("Attestation public key written to %s\n", attest_out);
        if (audit_out == NULL && attest_out == NULL)
            printf("\n%s\n%s", pa, pt);
    }
out:
    free(pa);
    free(pt);
    EVP_PKEY_free(ka);
    EVP_PKEY_free(kt);
    return e;
}

/* ---- zeroize ---------------------------------------------------------------------------------------- */

admin_exit admin_cmd_zeroize(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *confirm = NULL;
    const admin_opt opts[] = {{.name = "confirm", .kind = ADMIN_OPT_VALUE, .dest = &confirm}};
    char serial[17];
    uint8_t a[65], b[65];
    size_t al = 0, bl = 0;
    uint8_t body[32];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, opts, 1, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_device_keys(ctx, serial, a, &al, b, &bl);
    if (e != ADMIN_EXIT_OK)
        return e;
    /* Confirmed before any PIN is asked or sent: nothing happens without it. */
    e = admin_confirm(ctx, confirm, serial, "the device serial", "--confirm");
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_login_admin(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_str(&w, serial);
    e = admin_call(ctx, SIGIL_OP_ZEROIZE, &w, "zeroize");
    if (e != ADMIN_EXIT_OK)
        return e;
    ctx->appliance_role = false; /* nothing left to log out of */
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "device_serial", serial);
        admin_json_bool(&j, "zeroised", true);
        admin_json_end(&j);
    } else {
        printf("Device %s zeroised: every seal key, seal record, the device keys and the root secret are "
               "destroyed.\nThe audit trail stays. Restart the device: it comes up factory-fresh with a new "
               "identity (sigil-admin init).\n",
               serial);
    }
    return ADMIN_EXIT_OK;
}

/* ---- config show | set ------------------------------------------------------------------------ */

static admin_exit config(admin_ctx *ctx, int argc, char **argv, bool set)
{
    bool help = false;
    const char *token_init = NULL;
    const admin_opt opts[] = {{.name = "token-init", .kind = ADMIN_OPT_VALUE, .dest = &token_init}};
    uint8_t want = 0;
    admin_exit e = admin_parse(ctx, argc, argv, opts, set ? 1 : 0, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (set) {
        if (token_init == NULL || (strcmp(token_init, "open") != 0 && strcmp(token_init, "closed") != 0)) {
            admin_report_usage(ctx, "config set needs --token-init open or --token-init closed");
            return ADMIN_EXIT_USAGE;
        }
        want = strcmp(token_init, "open") == 0;
    }
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_login_admin(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    uint8_t body[8];
    sigil_wr w;
    sigil_rd r;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u8(&w, set ? 1 : 0);
    sigil_wr_u8(&w, want);
    e = admin_call(ctx, SIGIL_OP_APPLIANCE_CONFIG, &w, set ? "config set" : "config show");
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    bool open_now = sigil_rd_u8(&r) != 0;
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "APPLIANCE_CONFIG");
        return ADMIN_EXIT_UNREACHABLE;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "token_init", open_now ? "open" : "closed");
        admin_json_end(&j);
    } else {
        admin_print_kv("token init", open_now ? "open: a standard C_InitToken (pkcs11-tool --init-token) may make a "
                                                "seal of a free slot"
                                              : "closed: seals are made only by 'sigil-admin seal create'");
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_cmd_config_show(admin_ctx *ctx, int argc, char **argv)
{
    return config(ctx, argc, argv, false);
}

admin_exit admin_cmd_config_set(admin_ctx *ctx, int argc, char **argv)
{
    return config(ctx, argc, argv, true);
}
