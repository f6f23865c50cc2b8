/* commands.c — the one table of sigil-admin commands, and their handlers.
 *
 * A handler gets the arguments after the command's words, talks to the appliance
 * through conn.c, and prints either text (stdout) or one JSON object (--json).
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "sigil_secmem.h"

/* ---- argument helpers ------------------------------------------------------- */

/* Options of one command: "--name VALUE", "--name=VALUE" or a flag "--name". */
typedef struct {
    const char *name;
    bool takes_value;
    const char **value; /* set when seen (takes_value) */
    bool *flag;         /* set when seen (flag) */
} cmd_option;

static admin_exit parse_options(admin_ctx *ctx, int argc, char **argv, const cmd_option *opts, size_t n_opts)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const cmd_option *o = NULL;
        const char *inline_value = NULL;
        if (strncmp(arg, "--", 2) != 0) {
            /* Not echoed: it may be a secret typed where it does not belong. */
            admin_report_usage(ctx, "unexpected argument (#%d after the command)", i + 1);
            return ADMIN_EXIT_USAGE;
        }
        for (size_t k = 0; k < n_opts; k++) {
            size_t len = strlen(opts[k].name);
            if (strncmp(arg + 2, opts[k].name, len) == 0 && (arg[2 + len] == '\0' || arg[2 + len] == '=')) {
                o = &opts[k];
                inline_value = arg[2 + len] == '=' ? arg + 3 + len : NULL;
                break;
            }
        }
        if (o == NULL) {
            admin_report_usage(ctx, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
            return ADMIN_EXIT_USAGE;
        }
        if (!o->takes_value) {
            if (inline_value != NULL) {
                admin_report_usage(ctx, "option --%s takes no value", o->name);
                return ADMIN_EXIT_USAGE;
            }
            *o->flag = true;
        } else if (inline_value != NULL) {
            *o->value = inline_value;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            admin_report_usage(ctx, "option --%s needs a value", o->name);
            return ADMIN_EXIT_USAGE;
        }
    }
    return ADMIN_EXIT_OK;
}

static admin_exit no_arguments(admin_ctx *ctx, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        admin_report_usage(ctx, "'%s' takes no arguments", ctx->cmd->name);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

static void json_head(admin_json *j, const admin_ctx *ctx)
{
    admin_json_begin(j, stdout);
    admin_json_bool(j, "ok", true);
    admin_json_str(j, "command", ctx->cmd->name);
    admin_json_str(j, "appliance", ctx->address);
}

static void print_sanitised(const char *label, const char *value)
{
    char clean[256];
    admin_text_sanitise(clean, sizeof clean, value);
    printf("%-16s %s\n", label, clean);
}

/* ---- appliance queries ---------------------------------------------------------- */

typedef struct {
    char firmware_version[65];
    char crypto_backend[65];
    bool initialised;
    bool self_test_ok;
    uint32_t slot_count;
    uint32_t slots_used;
    uint8_t appliance_role;
    char health[SIGIL_INFO_HEALTH_MAX + 1];
    char serial[17];
    uint64_t audit_records;
    uint32_t refused_blobs;
    char backup_domain[17];
} info_result;

static admin_exit query_info(admin_ctx *ctx, info_result *info)
{
    uint8_t body[8];
    sigil_wr w;
    sigil_rd r;
    admin_exit e;

    sigil_wr_init(&w, body, sizeof body);
    e = admin_call(ctx, SIGIL_OP_INFO, &w, "INFO");
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    sigil_rd_str(&r, info->firmware_version, 64);
    sigil_rd_str(&r, info->crypto_backend, 64);
    info->initialised = sigil_rd_u8(&r) != 0;
    info->self_test_ok = sigil_rd_u8(&r) != 0;
    info->slot_count = sigil_rd_u32(&r);
    info->slots_used = sigil_rd_u32(&r);
    info->appliance_role = sigil_rd_u8(&r);
    sigil_rd_str(&r, info->health, SIGIL_INFO_HEALTH_MAX);
    sigil_rd_str(&r, info->serial, 16);
    info->audit_records = sigil_rd_u64(&r);
    info->refused_blobs = sigil_rd_u32(&r);
    size_t dn = 0;
    const uint8_t *dom = sigil_rd_bytes(&r, 8, &dn);
    info->backup_domain[0] = '\0';
    for (size_t i = 0; dom != NULL && i < dn; i++)
        snprintf(info->backup_domain + 2 * i, 3, "%02x", dom[i]);
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "INFO");
        return ADMIN_EXIT_UNREACHABLE;
    }
    return ADMIN_EXIT_OK;
}

typedef struct {
    uint32_t slot;
    uint32_t flags;
    char label[SIGIL_LABEL_MAX_LEN + 1];
} slot_entry;

/* Calls SLOT_LIST and checks the whole response; the entries stay in ctx->resp
 * for each_slot(), so a response that does not parse prints nothing. */
static admin_exit fetch_slots(admin_ctx *ctx)
{
    uint8_t body[8];
    sigil_wr w;
    sigil_rd r;
    slot_entry s;
    uint32_t n;
    admin_exit e;

    sigil_wr_init(&w, body, sizeof body);
    e = admin_call(ctx, SIGIL_OP_SLOT_LIST, &w, "SLOT_LIST");
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    n = sigil_rd_u32(&r);
    for (uint32_t i = 0; i < n && sigil_rd_ok(&r); i++) {
        s.slot = sigil_rd_u32(&r);
        s.flags = sigil_rd_u32(&r);
        sigil_rd_str(&r, s.label, SIGIL_LABEL_MAX_LEN);
    }
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "SLOT_LIST");
        return ADMIN_EXIT_UNREACHABLE;
    }
    return ADMIN_EXIT_OK;
}

/* Hands each entry of the response fetch_slots() checked to fn. */
typedef void (*slot_fn)(void *arg, const slot_entry *s);

static void each_slot(const admin_ctx *ctx, slot_fn fn, void *arg)
{
    sigil_rd r;
    slot_entry s;
    uint32_t n;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    n = sigil_rd_u32(&r);
    for (uint32_t i = 0; i < n; i++) {
        s.slot = sigil_rd_u32(&r);
        s.flags = sigil_rd_u32(&r);
        sigil_rd_str(&r, s.label, SIGIL_LABEL_MAX_LEN);
        fn(arg, &s);
    }
}

/* ---- init ------------------------------------------------------------------------- */

static admin_exit cmd_init(admin_ctx *ctx, int argc, char **argv)
{
    admin_exit e = no_arguments(ctx, argc, argv);
    admin_pin pin = {.len = 0};
    info_result info;
    uint8_t body[8 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;

    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    /* Ask first, so that nobody types a new PIN twice for nothing. */
    e = query_info(ctx, &info);
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
        json_head(&j, ctx);
        admin_json_bool(&j, "initialised", true);
        admin_json_end(&j);
    } else {
        printf("Appliance at %s initialised; the administrator PIN is set.\n", ctx->address);
        printf("Next: sigil-admin seal create --label NAME\n");
    }
    return ADMIN_EXIT_OK;
}

/* ---- status ----------------------------------------------------------------------- */

typedef struct {
    uint32_t seals;
    uint32_t user_pin_set;
    uint32_t locked;
} slot_summary;

static void summarise_slot(void *arg, const slot_entry *s)
{
    slot_summary *sum = arg;
    if ((s->flags & SIGIL_TOKEN_INITIALIZED) == 0)
        return;
    sum->seals++;
    if (s->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED)
        sum->user_pin_set++;
    if (s->flags & (SIGIL_TOKEN_USER_PIN_LOCKED | SIGIL_TOKEN_SO_PIN_LOCKED))
        sum->locked++;
}

static admin_exit cmd_status(admin_ctx *ctx, int argc, char **argv)
{
    admin_exit e = no_arguments(ctx, argc, argv);
    info_result info;
    slot_summary sum = {.seals = 0};
    uint32_t free_slots;

    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = query_info(ctx, &info);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = fetch_slots(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    each_slot(ctx, summarise_slot, &sum);
    free_slots = info.slot_count >= info.slots_used ? info.slot_count - info.slots_used : 0;

    if (ctx->json) {
        admin_json j;
        json_head(&j, ctx);
        admin_json_str(&j, "firmware_version", info.firmware_version);
        admin_json_str(&j, "crypto_backend", info.crypto_backend);
        admin_json_bool(&j, "initialised", info.initialised);
        admin_json_bool(&j, "self_test_ok", info.self_test_ok);
        admin_json_str(&j, "health", info.health);
        admin_json_str(&j, "device_serial", info.serial);
        admin_json_uint(&j, "audit_records", info.audit_records);
        admin_json_uint(&j, "refused_blobs", info.refused_blobs);
        admin_json_str(&j, "backup_domain", info.backup_domain);
        admin_json_uint(&j, "slot_count", info.slot_count);
        admin_json_uint(&j, "slots_used", info.slots_used);
        admin_json_uint(&j, "slots_free", free_slots);
        admin_json_uint(&j, "seals_with_user_pin", sum.user_pin_set);
        admin_json_uint(&j, "seals_locked", sum.locked);
        admin_json_end(&j);
    } else {
        char line[128];
        print_sanitised("appliance", ctx->address);
        print_sanitised("firmware", info.firmware_version);
        print_sanitised("crypto backend", info.crypto_backend);
        printf("%-16s %s\n", "initialised", info.initialised ? "yes" : "no (run: sigil-admin init)");
        printf("%-16s %s\n", "self-test", info.self_test_ok ? "passed" : "FAILED (no cryptographic service)");
        print_sanitised("health", info.health);
        print_sanitised("device serial", info.serial);
        snprintf(line, sizeof line, "%llu records", (unsigned long long)info.audit_records);
        printf("%-16s %s\n", "audit trail", line);
        if (info.refused_blobs > 0) {
            snprintf(line, sizeof line, "%u stored object(s) failed their integrity check", info.refused_blobs);
            printf("%-16s %s\n", "WARNING", line);
        }
        print_sanitised("backup domain", info.backup_domain[0] ? info.backup_domain : "none");
        snprintf(line, sizeof line, "%u in total, %u used, %u free", info.slot_count, info.slots_used, free_slots);
        printf("%-16s %s\n", "seal slots", line);
        snprintf(line, sizeof line, "%u with a user PIN, %u locked", sum.user_pin_set, sum.locked);
        printf("%-16s %s\n", "seals", line);
    }
    return ADMIN_EXIT_OK;
}

/* ---- seal create ---------------------------------------------------------------- */

static admin_exit admin_login(admin_ctx *ctx)
{
    admin_pin pin = {.len = 0};
    uint8_t body[8 + SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    admin_exit e = admin_pin_get(ctx, ADMIN_PIN_ADMIN, false, &pin);

    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_bytes(&w, (const uint8_t *)pin.buf, pin.len);
    admin_pin_wipe(&pin);
    e = admin_call(ctx, SIGIL_OP_ADMIN_LOGIN, &w, "administrator login");
    sigil_wipe(body, sizeof body);
    return e;
}

static void admin_logout(admin_ctx *ctx)
{
    uint8_t body[8];
    sigil_wr w;
    sigil_status st;
    sigil_wr_init(&w, body, sizeof body);
    /* Best effort: the context, and the login with it, ends with the connection anyway. */
    if (admin_call_quiet(ctx, SIGIL_OP_ADMIN_LOGOUT, &w, &st) != ADMIN_EXIT_OK || st != SIGIL_ST_OK)
        return;
}

static admin_exit cmd_seal_create(admin_ctx *ctx, int argc, char **argv)
{
    const char *label = NULL;
    bool no_user_pin = false;
    const cmd_option opts[] = {
        {.name = "label", .takes_value = true, .value = &label},
        {.name = "no-user-pin", .takes_value = false, .flag = &no_user_pin},
    };
    admin_pin so = {.len = 0};
    admin_pin user = {.len = 0};
    uint8_t body[16 + SIGIL_LABEL_MAX_LEN + 2 * SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    sigil_rd r;
    uint32_t slot;
    admin_exit e = parse_options(ctx, argc, argv, opts, sizeof opts / sizeof opts[0]);

    if (e != ADMIN_EXIT_OK)
        return e;
    if (label == NULL || label[0] == '\0') {
        admin_report_usage(ctx, "seal create needs --label LABEL");
        return ADMIN_EXIT_USAGE;
    }
    if (strlen(label) > SIGIL_LABEL_MAX_LEN) {
        admin_report_usage(ctx, "the label is longer than %u bytes", SIGIL_LABEL_MAX_LEN);
        return ADMIN_EXIT_USAGE;
    }
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_login(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_pin_get(ctx, ADMIN_PIN_SO, true, &so);
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (!no_user_pin) {
        e = admin_pin_get(ctx, ADMIN_PIN_USER, true, &user);
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_str(&w, label);
    sigil_wr_bytes(&w, (const uint8_t *)so.buf, so.len);
    sigil_wr_bytes(&w, (const uint8_t *)user.buf, user.len); /* length 0: no user PIN yet */
    admin_pin_wipe(&so);
    admin_pin_wipe(&user);
    e = admin_call(ctx, SIGIL_OP_SEAL_CREATE, &w, "seal create");
    sigil_wipe(body, sizeof body);
    if (e != ADMIN_EXIT_OK)
        goto out;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    slot = sigil_rd_u32(&r);
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "SEAL_CREATE");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    if (ctx->json) {
        admin_json j;
        json_head(&j, ctx);
        admin_json_uint(&j, "slot", slot);
        admin_json_str(&j, "label", label);
        admin_json_bool(&j, "user_pin_set", !no_user_pin);
        admin_json_end(&j);
    } else {
        char clean[SIGIL_LABEL_MAX_LEN + 1];
        admin_text_sanitise(clean, sizeof clean, label);
        printf("Seal '%s' created in slot %u%s.\n", clean, slot,
               no_user_pin ? " (no user PIN yet: its SO sets one with C_InitPIN)" : "");
    }
out:
    admin_pin_wipe(&so);
    admin_pin_wipe(&user);
    admin_logout(ctx);
    return e;
}

/* ---- seal list ------------------------------------------------------------------ */

static const char *locked_text(uint32_t flags)
{
    bool u = (flags & SIGIL_TOKEN_USER_PIN_LOCKED) != 0;
    bool s = (flags & SIGIL_TOKEN_SO_PIN_LOCKED) != 0;
    return u && s ? "user+SO" : u ? "user" : s ? "SO" : "no";
}

static void list_json(void *arg, const slot_entry *s)
{
    admin_json *j = arg;
    admin_json_obj_open(j, NULL);
    admin_json_uint(j, "slot", s->slot);
    admin_json_str(j, "label", s->label);
    admin_json_bool(j, "initialised", (s->flags & SIGIL_TOKEN_INITIALIZED) != 0);
    admin_json_bool(j, "user_pin_set", (s->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) != 0);
    admin_json_bool(j, "user_pin_locked", (s->flags & SIGIL_TOKEN_USER_PIN_LOCKED) != 0);
    admin_json_bool(j, "so_pin_locked", (s->flags & SIGIL_TOKEN_SO_PIN_LOCKED) != 0);
    admin_json_uint(j, "token_flags", s->flags);
    admin_json_obj_close(j);
}

static void list_text(void *arg, const slot_entry *s)
{
    char clean[SIGIL_LABEL_MAX_LEN + 1];
    bool init = (s->flags & SIGIL_TOKEN_INITIALIZED) != 0;
    (void)arg;
    admin_text_sanitise(clean, sizeof clean, s->label);
    printf("%-5u %-32s %-12s %-9s %s\n", s->slot, init ? clean : "-", init ? "yes" : "no (free)",
           (s->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) ? "yes" : "no", locked_text(s->flags));
}

static admin_exit cmd_seal_list(admin_ctx *ctx, int argc, char **argv)
{
    admin_exit e = no_arguments(ctx, argc, argv);

    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = fetch_slots(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (ctx->json) {
        admin_json j;
        json_head(&j, ctx);
        admin_json_uint(&j, "slot_count", sigil_client_slot_count(ctx->client));
        admin_json_arr_open(&j, "slots");
        each_slot(ctx, list_json, &j);
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else {
        printf("%-5s %-32s %-12s %-9s %s\n", "SLOT", "LABEL", "INITIALISED", "USER PIN", "LOCKED");
        each_slot(ctx, list_text, NULL);
    }
    return ADMIN_EXIT_OK;
}

/* ---- the table ------------------------------------------------------------------ */

const admin_command admin_commands[] = {
    {
        .name = "init",
        .args = "",
        .summary = "initialise a fresh appliance and set its administrator PIN",
        .help = "Sets the appliance administrator PIN (SIGIL_ADMIN_PIN, else asked twice on the terminal).\n"
                "Refused when the appliance is initialised already.",
        .handler = cmd_init,
    },
    {
        .name = "status",
        .args = "",
        .summary = "show firmware, crypto backend, self-test state and seal slots",
        .help = "Shows the firmware version, the crypto backend, whether the appliance is initialised,\n"
                "whether its self-tests passed, and how many seal slots are used and free.",
        .handler = cmd_status,
    },
    {
        .name = "seal create",
        .args = "--label LABEL [--no-user-pin]",
        .summary = "create a seal (a PKCS#11 token) in the lowest free slot",
        .help = "Logs in as appliance administrator (SIGIL_ADMIN_PIN), then creates a seal with the\n"
                "seal administrator (SO) PIN SIGIL_SO_PIN and the seal user PIN SIGIL_USER_PIN; PINs\n"
                "not in the environment are asked on the terminal, new ones twice. Prints the slot id.\n"
                "--no-user-pin leaves the user PIN to be set later by the SO (C_InitPIN).\n"
                "LABEL is at most 32 bytes.",
        .handler = cmd_seal_create,
    },
    {
        .name = "seal list",
        .args = "",
        .summary = "list the seal slots: label, initialised, user PIN set, locked",
        .help = "Lists every seal slot of the appliance with its label and state.",
        .handler = cmd_seal_list,
    },
    {
        .name = "help",
        .args = "[COMMAND]",
        .summary = "show the commands, or the help of one",
        .help = "",
        .handler = admin_cmd_help,
    },
};

const size_t admin_command_count = sizeof admin_commands / sizeof admin_commands[0];
