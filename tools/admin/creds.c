/* creds.c — credentials: a seal's PINs (change, unblock), the administrator's PIN, the
 * auditor's PIN.
 *
 * A PIN that replaces one the role already has comes from SIGIL_NEW_PIN (or --new-pin-file, or
 * the terminal, asked twice); the current PIN from the role's own variable.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "sigil_secmem.h"

static void done_json(const admin_ctx *ctx, const admin_seal *seal, const char *role, const char *what)
{
    admin_json j;
    admin_json_head(&j, ctx);
    if (seal != NULL) {
        admin_json_uint(&j, "slot", seal->slot);
        admin_json_str(&j, "seal", seal->label);
    }
    admin_json_str(&j, "role", role);
    admin_json_bool(&j, what, true);
    admin_json_end(&j);
}

admin_exit admin_cmd_seal_pin_change(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *role = NULL;
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel), {.name = "role", .kind = ADMIN_OPT_VALUE, .dest = &role}};
    admin_pin old = {.len = 0}, fresh = {.len = 0};
    admin_seal seal;
    uint8_t body[16 + 2 * SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    bool so = false;
    if (role != NULL && strcmp(role, "so") == 0)
        so = true;
    else if (role != NULL && strcmp(role, "user") != 0) {
        admin_report_usage(ctx, "--role takes user (the default) or so");
        return ADMIN_EXIT_USAGE;
    }
    admin_pin_kind kind = so ? ADMIN_PIN_SO : ADMIN_PIN_USER;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e == ADMIN_EXIT_OK)
        e = admin_pin_get(ctx, kind, false, &old);
    if (e == ADMIN_EXIT_OK)
        e = admin_pin_get(ctx, ADMIN_PIN_NEW, true, &fresh);
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (so) {
        /* SET_PIN changes the SO PIN when the SO is logged in on this context. */
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_u32(&w, seal.slot);
        sigil_wr_u32(&w, SIGIL_USER_SO);
        sigil_wr_bytes(&w, (const uint8_t *)old.buf, old.len);
        ctx->last_pin = kind;
        e = admin_call(ctx, SIGIL_OP_LOGIN, &w, "seal administrator (SO) login");
        if (e != ADMIN_EXIT_OK)
            goto out;
        ctx->seal_login = true;
        ctx->seal_login_slot = seal.slot;
    }
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_bytes(&w, (const uint8_t *)old.buf, old.len);
    sigil_wr_bytes(&w, (const uint8_t *)fresh.buf, fresh.len);
    ctx->last_pin = kind;
    e = admin_call(ctx, SIGIL_OP_SET_PIN, &w, so ? "changing the SO PIN" : "changing the user PIN");
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (ctx->json)
        done_json(ctx, &seal, so ? "so" : "user", "pin_changed");
    else
        printf("The %s PIN of seal '%s' (slot %u) is changed.\n", so ? "seal administrator (SO)" : "seal user",
               seal.label, seal.slot);
out:
    sigil_wipe(body, sizeof body);
    admin_pin_wipe(&old);
    admin_pin_wipe(&fresh);
    return e;
}

admin_exit admin_cmd_seal_pin_unblock(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel)};
    admin_pin fresh = {.len = 0};
    admin_seal seal;
    uint8_t body[16 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e == ADMIN_EXIT_OK)
        e = admin_login_seal(ctx, seal.slot, SIGIL_USER_SO);
    if (e == ADMIN_EXIT_OK)
        e = admin_pin_get(ctx, ADMIN_PIN_NEW, true, &fresh);
    if (e != ADMIN_EXIT_OK)
        goto out;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_bytes(&w, (const uint8_t *)fresh.buf, fresh.len);
    ctx->last_pin = ADMIN_PIN_NEW;
    e = admin_call(ctx, SIGIL_OP_INIT_PIN, &w, "setting the user PIN");
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (ctx->json)
        done_json(ctx, &seal, "user", "pin_unblocked");
    else
        printf("The user PIN of seal '%s' (slot %u) is set anew and unblocked.\n", seal.label, seal.slot);
out:
    sigil_wipe(body, sizeof body);
    admin_pin_wipe(&fresh);
    return e;
}

/* CRED_SET role (1 administrator, 2 auditor) to a PIN of kind. */
static admin_exit cred_set(admin_ctx *ctx, int argc, char **argv, uint8_t role, admin_pin_kind kind)
{
    bool help = false;
    admin_pin fresh = {.len = 0};
    uint8_t body[16 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, NULL, 0, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_login_admin(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_pin_get(ctx, kind, true, &fresh);
    if (e != ADMIN_EXIT_OK)
        goto out;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u8(&w, role);
    sigil_wr_bytes(&w, (const uint8_t *)fresh.buf, fresh.len);
    ctx->last_pin = kind;
    e = admin_call(ctx, SIGIL_OP_CRED_SET, &w, role == 1 ? "changing the administrator PIN" : "setting the auditor PIN");
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (ctx->json)
        done_json(ctx, NULL, role == 1 ? "administrator" : "auditor", role == 1 ? "pin_changed" : "pin_set");
    else if (role == 1)
        printf("The appliance administrator PIN is changed.\n");
    else
        printf("The auditor PIN is set (with a fresh retry counter). The auditor uses it with SIGIL_AUDITOR_PIN:\n"
               "sigil-admin audit export --out trail.bin\n");
out:
    sigil_wipe(body, sizeof body);
    admin_pin_wipe(&fresh);
    return e;
}

admin_exit admin_cmd_admin_pin_change(admin_ctx *ctx, int argc, char **argv)
{
    return cred_set(ctx, argc, argv, 1, ADMIN_PIN_NEW);
}

admin_exit admin_cmd_auditor_pin_set(admin_ctx *ctx, int argc, char **argv)
{
    return cred_set(ctx, argc, argv, 2, ADMIN_PIN_AUDITOR);
}
