/* admin.h — internal interface of sigil-admin (not installed, not shared).
 *
 * sigil-admin is a thin main over the shared client (module/client): main.c parses
 * the global options and looks the command up in the one command table
 * (commands.c); conn.c talks to the appliance and reports failures; secrets.c
 * gets PINs from the environment or the terminal; json.c writes --json output.
 */
#ifndef SIGIL_ADMIN_H
#define SIGIL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sigil_client.h"
#include "sigil_proto.h"

#define ADMIN_WUR __attribute__((warn_unused_result))
#define ADMIN_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Exit codes (documented in specs/admin-cli.md). */
typedef enum {
    ADMIN_EXIT_OK = 0,
    ADMIN_EXIT_INTERNAL = 1,    /* sigil-admin itself failed (out of memory, no entropy) */
    ADMIN_EXIT_USAGE = 2,       /* bad command line, or a secret could not be obtained */
    ADMIN_EXIT_REFUSED = 3,     /* the appliance answered with a status other than OK */
    ADMIN_EXIT_UNREACHABLE = 4, /* no appliance address, cannot connect, or a device error */
} admin_exit;

/* ---- JSON output (json.c) ------------------------------------------------ */

#define ADMIN_JSON_MAX_DEPTH 8

/* A streaming writer of one JSON object. Keys are NULL for array elements. */
typedef struct {
    FILE *out;
    int depth;
    bool need_comma[ADMIN_JSON_MAX_DEPTH];
} admin_json;

void admin_json_begin(admin_json *j, FILE *out); /* opens the top-level object */
void admin_json_end(admin_json *j);              /* closes it, newline, flush */
void admin_json_obj_open(admin_json *j, const char *key);
void admin_json_obj_close(admin_json *j);
void admin_json_arr_open(admin_json *j, const char *key);
void admin_json_arr_close(admin_json *j);
void admin_json_str(admin_json *j, const char *key, const char *v);
void admin_json_uint(admin_json *j, const char *key, uint64_t v);
void admin_json_bool(admin_json *j, const char *key, bool v);
void admin_json_null(admin_json *j, const char *key);

/* Copies s into dst for a terminal: control characters become '?'. */
void admin_text_sanitise(char *dst, size_t cap, const char *s);

/* ---- secrets (secrets.c) ------------------------------------------------- */

typedef enum {
    ADMIN_PIN_ADMIN, /* SIGIL_ADMIN_PIN: appliance administrator */
    ADMIN_PIN_SO,    /* SIGIL_SO_PIN: seal administrator (PKCS#11 SO) */
    ADMIN_PIN_USER,  /* SIGIL_USER_PIN: seal user (PKCS#11 user) */
} admin_pin_kind;

typedef struct {
    char buf[SIGIL_PIN_MAX_LEN + 1];
    size_t len;
} admin_pin;

/* ---- the appliance connection and reporting (conn.c) -------------------- */

struct admin_command;

typedef struct admin_ctx {
    const char *appliance_opt; /* --appliance, or NULL */
    bool json;
    const struct admin_command *cmd;
    char address[512];
    sigil_client *client;
    uint8_t *resp; /* SIGIL_FRAME_MAX_BODY bytes, allocated by admin_connect */
    size_t resp_len;
    bool reported; /* a failure was reported (one JSON object per command) */
} admin_ctx;

/* Finds the address (--appliance, else sigil_client_find_address) and opens a client. */
ADMIN_WUR admin_exit admin_connect(admin_ctx *ctx);
void admin_disconnect(admin_ctx *ctx);

/* One round trip. Returns ADMIN_EXIT_OK with the body in ctx->resp[0..ctx->resp_len)
 * when the appliance answered OK; otherwise reports the failure (what: the step, for
 * the message) and returns ADMIN_EXIT_REFUSED or ADMIN_EXIT_UNREACHABLE. */
ADMIN_WUR admin_exit admin_call(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what);
/* Same, silent: *status is set when the appliance answered. */
ADMIN_WUR admin_exit admin_call_quiet(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req,
                                      sigil_status *status);

/* Failure reports: a sentence on stderr, and with --json one error object on stdout.
 * Only the first report of a command is shown. hint: what to do next, or NULL. */
void admin_report(admin_ctx *ctx, admin_exit e, const char *hint, const char *fmt, ...) ADMIN_PRINTF(4, 5);
void admin_report_refused(admin_ctx *ctx, sigil_status st, const char *what);
void admin_report_unreachable(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
void admin_report_usage(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
void admin_report_internal(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
/* A response that does not parse: a device error. */
void admin_report_bad_response(admin_ctx *ctx, const char *what);

/* ---- secrets (secrets.c, continued) ---------------------------------------- */

/* Gets a PIN from its environment variable when set, else prompts on /dev/tty with
 * echo off. is_new: a PIN being chosen; asked twice on a terminal, and its length
 * checked against SIGIL_PIN_MIN_LEN..SIGIL_PIN_MAX_LEN here. On failure the buffer
 * is wiped, the reason is reported, and ADMIN_EXIT_USAGE is returned. */
ADMIN_WUR admin_exit admin_pin_get(admin_ctx *ctx, admin_pin_kind kind, bool is_new, admin_pin *pin);
void admin_pin_wipe(admin_pin *pin);

/* ---- commands (commands.c) ---------------------------------------------- */

typedef admin_exit (*admin_handler)(admin_ctx *ctx, int argc, char **argv);

typedef struct admin_command {
    const char *name;    /* one or more words: "seal create" */
    const char *args;    /* synopsis of its arguments, "" when none */
    const char *summary; /* one line for the command list */
    const char *help;    /* the rest of `help NAME` */
    admin_handler handler;
} admin_command;

extern const admin_command admin_commands[];
extern const size_t admin_command_count;

/* `help [COMMAND]` lives in main.c beside the usage text. */
admin_exit admin_cmd_help(admin_ctx *ctx, int argc, char **argv);

#endif
