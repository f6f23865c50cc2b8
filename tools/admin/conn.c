/* conn.c — sigil-admin's connection to the appliance, and how failures are reported.
 *
 * Every failure is reported once: a sentence on stderr saying what happened and what to
 * do next, and with --json one error object on stdout (shape in specs/admin-cli.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "admin.h"
#include "sigil_secmem.h"

/* ---- reporting ------------------------------------------------------------ */

static const char *command_name(const admin_ctx *ctx)
{
    return ctx->cmd != NULL ? ctx->cmd->name : "";
}

static void json_error(admin_ctx *ctx, admin_exit e, const sigil_status *st, const char *message, const char *hint,
                       admin_json_extra_fn extra, void *arg)
{
    admin_json j;
    if (!ctx->json || ctx->reported)
        return;
    admin_json_begin(&j, stdout);
    admin_json_bool(&j, "ok", false);
    admin_json_str(&j, "command", command_name(ctx));
    admin_json_obj_open(&j, "error");
    admin_json_str(&j, "kind", admin_exit_kind(e));
    admin_json_uint(&j, "exit_code", (uint64_t)e);
    if (st != NULL) {
        admin_json_str(&j, "status", sigil_status_name(*st));
        admin_json_uint(&j, "status_code", (uint64_t)*st);
    }
    admin_json_str(&j, "message", message);
    if (hint != NULL)
        admin_json_str(&j, "hint", hint);
    admin_json_obj_close(&j);
    if (extra != NULL)
        extra(&j, arg);
    admin_json_end(&j);
}

static void report_x(admin_ctx *ctx, admin_exit e, const sigil_status *st, const char *message, const char *hint,
                     admin_json_extra_fn extra, void *arg)
{
    const char *name = command_name(ctx);
    if (ctx->reported)
        return;
    fprintf(stderr, "sigil-admin%s%s: %s\n", name[0] != '\0' ? ": " : "", name, message);
    if (hint != NULL)
        fprintf(stderr, "  next: %s\n", hint);
    json_error(ctx, e, st, message, hint, extra, arg);
    ctx->reported = true;
}

static void report(admin_ctx *ctx, admin_exit e, const sigil_status *st, const char *message, const char *hint)
{
    report_x(ctx, e, st, message, hint, NULL, NULL);
}

/* What to do next after a refusal. */
/* What to do next after a refusal: op is the request refused, ctx->last_pin the PIN it carried. */
static const char *refusal_hint(const admin_ctx *ctx, sigil_status st, char *buf, size_t cap)
{
    switch (st) {
    case SIGIL_ST_PIN_INCORRECT:
        if (ctx->last_pin != ADMIN_PIN_NONE) {
            snprintf(buf, cap,
                     "check the PIN given by %s (or %s, or the prompt); every failure counts towards the lockout",
                     admin_pin_env(ctx->last_pin), admin_pin_option(ctx->last_pin));
            return buf;
        }
        return "check the PIN (from its SIGIL_*_PIN variable, its --*-pin-file or the prompt); every failure "
               "counts towards the lockout";
    case SIGIL_ST_PIN_LOCKED:
        if (ctx->last_pin == ADMIN_PIN_USER)
            return "the seal user PIN is locked: its seal administrator unblocks it (sigil-admin seal pin unblock)";
        return "this PIN is locked after too many failures; a seal user PIN is unblocked by its seal "
               "administrator (sigil-admin seal pin unblock), the auditor's is set again by the administrator "
               "(sigil-admin auditor pin set)";
    case SIGIL_ST_PIN_LEN_RANGE:
        return "use a PIN of 4 to 64 bytes";
    case SIGIL_ST_USER_PIN_NOT_INITIALIZED:
        if (ctx->last_pin == ADMIN_PIN_AUDITOR)
            return "the administrator sets an auditor PIN first: sigil-admin auditor pin set";
        return "the seal has no user PIN yet: its seal administrator sets one (sigil-admin seal pin unblock)";
    case SIGIL_ST_APPLIANCE_NOT_INITIALIZED:
        return "initialise the appliance first: sigil-admin init";
    case SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED:
        return "nothing to do: 'sigil-admin status' shows the appliance";
    case SIGIL_ST_NO_FREE_SLOT:
        return "every seal slot is in use: 'sigil-admin seal list' shows them";
    case SIGIL_ST_NOT_AUTHORIZED:
    case SIGIL_ST_NOT_LOGGED_IN:
        return "this needs another role (or an appliance setting forbids it: sigil-admin config show); see "
               "'sigil-admin help COMMAND' for the PIN it uses";
    case SIGIL_ST_ALREADY_LOGGED_IN:
    case SIGIL_ST_ANOTHER_USER_LOGGED_IN:
    case SIGIL_ST_SLOT_IN_USE:
        return "an application is logged in to this seal; try again when it has finished";
    case SIGIL_ST_SELF_TEST_FAILED:
        return "the appliance is in its error state: 'sigil-admin status' says why; read its log and restart it";
    case SIGIL_ST_AUDIT_FAILURE:
        return "the appliance cannot write its audit trail and refuses service: free or repair its storage and "
               "restart it";
    case SIGIL_ST_ZEROIZED:
        return "the device was zeroised: restart it; it comes up factory-fresh (sigil-admin init)";
    case SIGIL_ST_BUSY:
        return "the appliance is busy: try again";
    case SIGIL_ST_STORAGE_FAILURE:
    case SIGIL_ST_INTEGRITY_FAILURE:
        return "the appliance's storage failed: read its log before retrying";
    case SIGIL_ST_SEAL_SUSPENDED:
        return "the seal is suspended: sigil-admin seal resume";
    case SIGIL_ST_SEAL_REVOKED:
        return "the seal is revoked and its key destroyed: create a new seal (sigil-admin seal create)";
    case SIGIL_ST_OUTSIDE_VALIDITY:
        return "the seal's validity window excludes now: sigil-admin seal policy show / set";
    case SIGIL_ST_MECHANISM_NOT_ALLOWED:
        return "the seal's policy does not allow this mechanism: sigil-admin seal policy set --mechanisms";
    case SIGIL_ST_BUDGET_EXCEEDED:
        return "the login's signature budget is spent: log in again (sigil-admin seal policy show gives the budget)";
    case SIGIL_ST_KEY_SIZE_RANGE:
        return "use one of ec-p256, ec-p384, rsa2048, rsa3072, rsa4096";
    case SIGIL_ST_OBJECT_LIMIT:
        return "the seal holds too many objects: remove old certificates or keys first";
    case SIGIL_ST_NO_BACKUP_DOMAIN:
        return "create a backup domain (sigil-admin backup domain create) or join one (sigil-admin backup domain "
               "join)";
    case SIGIL_ST_BACKUP_WRONG_DOMAIN:
        return "this appliance is in another backup domain: join the backup's domain first (sigil-admin backup "
               "domain join)";
    case SIGIL_ST_SEAL_EXISTS:
        return "the seal is already on this appliance: nothing to restore";
    case SIGIL_ST_TOKEN_NOT_INITIALIZED:
    case SIGIL_ST_SLOT_INVALID:
        return "'sigil-admin seal list' shows the seals";
    case SIGIL_ST_BAD_VERSION:
    case SIGIL_ST_UNKNOWN_OPCODE:
    case SIGIL_ST_BAD_FRAME:
        return "sigil-admin and the appliance firmware do not match: use tools of the firmware's version";
    default:
        return "see specs/protocol.md for this status";
    }
}

static void refused(admin_ctx *ctx, admin_exit e, sigil_status st, const char *what, const char *hint)
{
    char msg[256];
    char buf[256];
    snprintf(msg, sizeof msg, "%s refused by the appliance: %s (%s)", what, sigil_status_message(st),
             sigil_status_name(st));
    report(ctx, e, &st, msg, hint != NULL ? hint : refusal_hint(ctx, st, buf, sizeof buf));
}

void admin_report_refused(admin_ctx *ctx, sigil_status st, const char *what)
{
    refused(ctx, ADMIN_EXIT_REFUSED, st, what, NULL);
}

void admin_report_status(admin_ctx *ctx, admin_exit e, sigil_status st, const char *hint, const char *what)
{
    refused(ctx, e, st, what, hint);
}

static void report_v(admin_ctx *ctx, admin_exit e, const char *hint, admin_json_extra_fn extra, void *arg,
                     const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    report_x(ctx, e, NULL, msg, hint, extra, arg);
}

void admin_report(admin_ctx *ctx, admin_exit e, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, e, hint, NULL, NULL, fmt, ap);
    va_end(ap);
}

void admin_report_extra(admin_ctx *ctx, admin_exit e, const char *hint, admin_json_extra_fn extra, void *arg,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, e, hint, extra, arg, fmt, ap);
    va_end(ap);
}

void admin_report_unreachable(admin_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, ADMIN_EXIT_UNREACHABLE,
             "check that the appliance (sigil-emu) runs and that --appliance or SIGIL_APPLIANCE names its socket",
             NULL, NULL, fmt, ap);
    va_end(ap);
}

void admin_report_usage(admin_ctx *ctx, const char *fmt, ...)
{
    char hint[96];
    va_list ap;
    if (ctx->cmd != NULL)
        snprintf(hint, sizeof hint, "see 'sigil-admin help %s'", ctx->cmd->name);
    else
        snprintf(hint, sizeof hint, "see 'sigil-admin help'");
    va_start(ap, fmt);
    report_v(ctx, ADMIN_EXIT_USAGE, hint, NULL, NULL, fmt, ap);
    va_end(ap);
}

void admin_report_internal(admin_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, ADMIN_EXIT_INTERNAL, NULL, NULL, NULL, fmt, ap);
    va_end(ap);
}

void admin_report_bad_response(admin_ctx *ctx, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "device error: the appliance's answer to %s does not parse", what);
    report(ctx, ADMIN_EXIT_UNREACHABLE, NULL, msg,
           "sigil-admin and the appliance firmware may not match: use tools of the firmware's version");
}

/* ---- options every command takes ------------------------------------------------------- */

admin_exit admin_parse(admin_ctx *ctx, int argc, char **argv, const admin_opt *opts, size_t n_opts, bool *help)
{
    admin_opt all[48];
    size_t n = 0;
    char err[256];
    bool json = false, progress = false, want_help = false;
    const char *files[ADMIN_PIN_KINDS] = {NULL};
    const char *login_file = NULL;
    const char *appliance = NULL;

    if (n_opts + 9 > sizeof(all) / sizeof(all[0])) {
        admin_report_internal(ctx, "too many options");
        return ADMIN_EXIT_INTERNAL;
    }
    for (size_t i = 0; i < n_opts; i++)
        all[n++] = opts[i];
    all[n++] = (admin_opt){.name = "json", .kind = ADMIN_OPT_FLAG, .dest = &json};
    all[n++] = (admin_opt){.name = "progress", .kind = ADMIN_OPT_FLAG, .dest = &progress};
    all[n++] = (admin_opt){.name = "help", .kind = ADMIN_OPT_FLAG, .dest = &want_help};
    all[n++] = (admin_opt){.name = "pin-file", .kind = ADMIN_OPT_VALUE, .dest = &login_file};
    all[n++] = (admin_opt){.name = "appliance", .kind = ADMIN_OPT_VALUE, .dest = &appliance};
    for (int k = 0; k < ADMIN_PIN_KINDS; k++)
        all[n++] = (admin_opt){.name = admin_pin_option((admin_pin_kind)k) + 2, .kind = ADMIN_OPT_VALUE,
                               .dest = &files[k]};
    if (help != NULL)
        *help = false;
    /* -h alone is help too */
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0)
            want_help = true;
    }
    if (!want_help && admin_args_parse(argc, argv, all, n, err, sizeof err) != 0) {
        admin_report_usage(ctx, "%s", err);
        return ADMIN_EXIT_USAGE;
    }
    if (want_help) {
        admin_print_command_help(stdout, ctx->cmd);
        if (help != NULL)
            *help = true;
        return ADMIN_EXIT_OK;
    }
    ctx->json = ctx->json || json;
    if (appliance != NULL)
        ctx->appliance_opt = appliance;
    ctx->progress = ctx->progress || progress;
    if (login_file != NULL)
        ctx->pin_file_login = login_file;
    for (int k = 0; k < ADMIN_PIN_KINDS; k++) {
        if (files[k] != NULL)
            ctx->pin_file[k] = files[k];
    }
    if (ctx->pin_file_login != NULL && (ctx->cmd == NULL || ctx->cmd->login == ADMIN_PIN_NONE)) {
        admin_report_usage(ctx, "'%s' logs in as no role: --pin-file has nothing to give; use the --*-pin-file "
                                "option of the PIN meant",
                           ctx->cmd != NULL ? ctx->cmd->name : "");
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

void admin_json_head(admin_json *j, const admin_ctx *ctx)
{
    admin_json_begin(j, stdout);
    admin_json_bool(j, "ok", true);
    admin_json_str(j, "command", ctx->cmd->name);
    admin_json_str(j, "appliance", ctx->address);
}

/* ---- connection ------------------------------------------------------------- */

admin_exit admin_connect(admin_ctx *ctx)
{
    char err[512] = "";
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    sigil_client_result cr;

    if (ctx->appliance_opt != NULL) {
        if (strlen(ctx->appliance_opt) >= sizeof ctx->address) {
            admin_report_usage(ctx, "--appliance address too long");
            return ADMIN_EXIT_USAGE;
        }
        strcpy(ctx->address, ctx->appliance_opt);
    } else if (sigil_client_find_address(ctx->address, sizeof ctx->address, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_UNREACHABLE, "pass --appliance unix:PATH or set SIGIL_APPLIANCE=unix:PATH",
                     "no appliance address: %s", err);
        return ADMIN_EXIT_UNREACHABLE;
    }

    ctx->resp = malloc(SIGIL_FRAME_MAX_BODY);
    if (ctx->resp == NULL) {
        admin_report_internal(ctx, "out of memory");
        return ADMIN_EXIT_INTERNAL;
    }
    /* A fresh application context per run: no login outlives the command. */
    if (getrandom(token, sizeof token, 0) != (ssize_t)sizeof token) {
        admin_report_internal(ctx, "no entropy for the application token");
        return ADMIN_EXIT_INTERNAL;
    }
    cr = sigil_client_open(NULL, NULL, ctx->address, token, 1, &ctx->client, err, sizeof err);
    sigil_wipe(token, sizeof token);
    if (cr != SIGIL_CLIENT_OK) {
        ctx->client = NULL;
        if (cr == SIGIL_CLIENT_NO_MEMORY) {
            admin_report_internal(ctx, "out of memory");
            return ADMIN_EXIT_INTERNAL;
        }
        if (err[0] != '\0')
            admin_report_unreachable(ctx, "cannot reach the appliance: %s", err);
        else
            admin_report_unreachable(ctx, "cannot reach the appliance at %s", ctx->address);
        return ADMIN_EXIT_UNREACHABLE;
    }
    return ADMIN_EXIT_OK;
}

void admin_disconnect(admin_ctx *ctx)
{
    if (ctx->client != NULL) {
        uint8_t body[8];
        sigil_wr w;
        sigil_status st;
        /* Best effort: the context, and every login with it, ends with the connection anyway. */
        if (ctx->seal_login) {
            sigil_wr_init(&w, body, sizeof body);
            sigil_wr_u32(&w, ctx->seal_login_slot);
            if (admin_call_quiet(ctx, SIGIL_OP_LOGOUT, &w, &st) != ADMIN_EXIT_OK)
                st = SIGIL_ST_GENERAL_ERROR; /* nothing more to do: the connection closes below */
        }
        if (ctx->appliance_role) {
            sigil_wr_init(&w, body, sizeof body);
            if (admin_call_quiet(ctx, SIGIL_OP_ADMIN_LOGOUT, &w, &st) != ADMIN_EXIT_OK)
                st = SIGIL_ST_GENERAL_ERROR;
        }
        ctx->seal_login = ctx->appliance_role = false;
        sigil_client_close(ctx->client);
    }
    ctx->client = NULL;
    if (ctx->resp != NULL) {
        sigil_wipe(ctx->resp, SIGIL_FRAME_MAX_BODY);
        free(ctx->resp);
    }
    ctx->resp = NULL;
    ctx->resp_len = 0;
}

static admin_exit call(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, sigil_status *status,
                       const char *what)
{
    sigil_client_result cr;
    if (!sigil_wr_ok(req)) {
        admin_report_internal(ctx, "request for %s does not fit a frame", what);
        return ADMIN_EXIT_INTERNAL;
    }
    if (ctx->client == NULL) {
        admin_report_internal(ctx, "%s without a connection", what);
        return ADMIN_EXIT_INTERNAL;
    }
    ctx->resp_len = 0;
    cr = sigil_client_call(ctx->client, opcode, req->buf, req->len, status, ctx->resp, SIGIL_FRAME_MAX_BODY,
                           &ctx->resp_len);
    switch (cr) {
    case SIGIL_CLIENT_OK:
        return ADMIN_EXIT_OK;
    case SIGIL_CLIENT_NO_MEMORY:
        admin_report_internal(ctx, "out of memory during %s", what);
        return ADMIN_EXIT_INTERNAL;
    case SIGIL_CLIENT_PROTOCOL:
        admin_report_bad_response(ctx, what);
        return ADMIN_EXIT_UNREACHABLE;
    case SIGIL_CLIENT_NO_APPLIANCE:
    case SIGIL_CLIENT_CONN_LOST:
    default:
        admin_report_unreachable(ctx, "lost the appliance at %s during %s", ctx->address, what);
        return ADMIN_EXIT_UNREACHABLE;
    }
}

admin_exit admin_call_quiet(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, sigil_status *status)
{
    bool was = ctx->reported;
    admin_exit e;
    ctx->reported = true; /* silence */
    e = call(ctx, opcode, req, status, sigil_opcode_name(opcode));
    ctx->reported = was;
    return e;
}

admin_exit admin_call_hint(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what, const char *hint)
{
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    admin_exit e = call(ctx, opcode, req, &st, what);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (st != SIGIL_ST_OK) {
        refused(ctx, ADMIN_EXIT_REFUSED, st, what, hint);
        return ADMIN_EXIT_REFUSED;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_call(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what)
{
    return admin_call_hint(ctx, opcode, req, what, NULL);
}

/* ---- logins ---------------------------------------------------------------------------------- */

static admin_exit pin_call(admin_ctx *ctx, uint16_t opcode, admin_pin_kind kind, bool has_slot, uint32_t slot,
                           uint32_t user_type, const char *what)
{
    admin_pin pin = {.len = 0};
    uint8_t body[16 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_pin_get(ctx, kind, false, &pin);
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_wr_init(&w, body, sizeof body);
    if (has_slot) {
        sigil_wr_u32(&w, slot);
        sigil_wr_u32(&w, user_type);
    }
    sigil_wr_bytes(&w, (const uint8_t *)pin.buf, pin.len);
    admin_pin_wipe(&pin);
    ctx->last_pin = kind;
    e = admin_call(ctx, opcode, &w, what);
    sigil_wipe(body, sizeof body);
    return e;
}

admin_exit admin_login_admin(admin_ctx *ctx)
{
    admin_exit e = pin_call(ctx, SIGIL_OP_ADMIN_LOGIN, ADMIN_PIN_ADMIN, false, 0, 0, "administrator login");
    if (e == ADMIN_EXIT_OK)
        ctx->appliance_role = true;
    return e;
}

admin_exit admin_login_auditor(admin_ctx *ctx)
{
    admin_exit e = pin_call(ctx, SIGIL_OP_AUDITOR_LOGIN, ADMIN_PIN_AUDITOR, false, 0, 0, "auditor login");
    if (e == ADMIN_EXIT_OK)
        ctx->appliance_role = true;
    return e;
}

admin_exit admin_login_seal(admin_ctx *ctx, uint32_t slot, uint32_t user_type)
{
    bool so = user_type == SIGIL_USER_SO;
    admin_exit e = pin_call(ctx, SIGIL_OP_LOGIN, so ? ADMIN_PIN_SO : ADMIN_PIN_USER, true, slot, user_type,
                            so ? "seal administrator (SO) login" : "seal user login");
    if (e == ADMIN_EXIT_OK) {
        ctx->seal_login = true;
        ctx->seal_login_slot = slot;
    }
    return e;
}

admin_exit admin_login_context(admin_ctx *ctx, uint32_t slot)
{
    return pin_call(ctx, SIGIL_OP_LOGIN, ADMIN_PIN_USER, true, slot, SIGIL_USER_CONTEXT,
                    "context-specific login (per-signature policy)");
}
