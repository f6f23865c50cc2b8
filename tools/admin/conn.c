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

static const char *exit_kind(admin_exit e)
{
    switch (e) {
    case ADMIN_EXIT_OK:
        return "ok";
    case ADMIN_EXIT_INTERNAL:
        return "internal";
    case ADMIN_EXIT_USAGE:
        return "usage";
    case ADMIN_EXIT_REFUSED:
        return "refused";
    case ADMIN_EXIT_UNREACHABLE:
        return "unreachable";
    }
    return "internal";
}

static const char *command_name(const admin_ctx *ctx)
{
    return ctx->cmd != NULL ? ctx->cmd->name : "";
}

static void json_error(admin_ctx *ctx, admin_exit e, const sigil_status *st, const char *message, const char *hint)
{
    admin_json j;
    if (!ctx->json || ctx->reported)
        return;
    admin_json_begin(&j, stdout);
    admin_json_bool(&j, "ok", false);
    admin_json_str(&j, "command", command_name(ctx));
    admin_json_obj_open(&j, "error");
    admin_json_str(&j, "kind", exit_kind(e));
    admin_json_uint(&j, "exit_code", (uint64_t)e);
    if (st != NULL) {
        admin_json_str(&j, "status", sigil_status_name(*st));
        admin_json_uint(&j, "status_code", (uint64_t)*st);
    }
    admin_json_str(&j, "message", message);
    if (hint != NULL)
        admin_json_str(&j, "hint", hint);
    admin_json_obj_close(&j);
    admin_json_end(&j);
}

static void report(admin_ctx *ctx, admin_exit e, const sigil_status *st, const char *message, const char *hint)
{
    const char *name = command_name(ctx);
    if (ctx->reported)
        return;
    fprintf(stderr, "sigil-admin%s%s: %s\n", name[0] != '\0' ? ": " : "", name, message);
    if (hint != NULL)
        fprintf(stderr, "  next: %s\n", hint);
    json_error(ctx, e, st, message, hint);
    ctx->reported = true;
}

/* What to do next after a refusal. */
static const char *refusal_hint(sigil_status st)
{
    switch (st) {
    case SIGIL_ST_PIN_INCORRECT:
        return "check the PIN (from its SIGIL_*_PIN variable or the prompt); every failure counts "
               "towards the lockout";
    case SIGIL_ST_PIN_LOCKED:
        return "this PIN is locked after too many failures; a seal user PIN is set again by its seal "
               "administrator (C_InitPIN)";
    case SIGIL_ST_PIN_LEN_RANGE:
        return "use a PIN of 4 to 64 bytes";
    case SIGIL_ST_APPLIANCE_NOT_INITIALIZED:
        return "initialise the appliance first: sigil-admin init";
    case SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED:
        return "nothing to do: 'sigil-admin status' shows the appliance";
    case SIGIL_ST_NO_FREE_SLOT:
        return "every seal slot is in use: 'sigil-admin seal list' shows them";
    case SIGIL_ST_NOT_AUTHORIZED:
    case SIGIL_ST_NOT_LOGGED_IN:
        return "this needs the appliance administrator: check SIGIL_ADMIN_PIN";
    case SIGIL_ST_SELF_TEST_FAILED:
        return "the appliance is in its error state: read its log and restart it";
    case SIGIL_ST_BUSY:
        return "the appliance is busy: try again";
    case SIGIL_ST_STORAGE_FAILURE:
    case SIGIL_ST_INTEGRITY_FAILURE:
        return "the appliance's storage failed: read its log before retrying";
    case SIGIL_ST_BAD_VERSION:
    case SIGIL_ST_UNKNOWN_OPCODE:
    case SIGIL_ST_BAD_FRAME:
        return "sigil-admin and the appliance firmware do not match: use tools of the firmware's version";
    default:
        return "see specs/protocol.md for this status";
    }
}

void admin_report_refused(admin_ctx *ctx, sigil_status st, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s refused by the appliance: %s (%s)", what, sigil_status_message(st),
             sigil_status_name(st));
    report(ctx, ADMIN_EXIT_REFUSED, &st, msg, refusal_hint(st));
}

static void report_v(admin_ctx *ctx, admin_exit e, const char *hint, const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    report(ctx, e, NULL, msg, hint);
}

void admin_report(admin_ctx *ctx, admin_exit e, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, e, hint, fmt, ap);
    va_end(ap);
}

void admin_report_unreachable(admin_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, ADMIN_EXIT_UNREACHABLE, "check that sigil-emu runs and that --appliance or SIGIL_APPLIANCE names its socket",
             fmt, ap);
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
    report_v(ctx, ADMIN_EXIT_USAGE, hint, fmt, ap);
    va_end(ap);
}

void admin_report_internal(admin_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_v(ctx, ADMIN_EXIT_INTERNAL, NULL, fmt, ap);
    va_end(ap);
}

void admin_report_bad_response(admin_ctx *ctx, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "device error: the appliance's answer to %s does not parse", what);
    report(ctx, ADMIN_EXIT_UNREACHABLE, NULL, msg,
           "sigil-admin and the appliance firmware may not match: use tools of the firmware's version");
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
    if (ctx->client != NULL)
        sigil_client_close(ctx->client);
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

admin_exit admin_call(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what)
{
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    admin_exit e = call(ctx, opcode, req, &st, what);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (st != SIGIL_ST_OK) {
        admin_report_refused(ctx, st, what);
        return ADMIN_EXIT_REFUSED;
    }
    return ADMIN_EXIT_OK;
}
