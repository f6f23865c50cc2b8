/* main.c — sigil-admin: global options, command lookup in the command table, help.
 *
 *   sigil-admin [--appliance unix:PATH] [--json] [--progress] COMMAND [OPTIONS...]
 *
 * The appliance is --appliance, else the module's lookup (SIGIL_APPLIANCE, then the
 * "appliance =" line of $SIGIL_PKCS11_CONF, then of /etc/sigil/pkcs11.conf).
 * Exit codes: specs/admin-cli.md (0 ok, 1 internal, 2 usage, 3 refused by the appliance,
 * 4 unreachable, 5 not found, 6 mismatch, 7 bad file, 8 interrupted, 9 audit trail altered,
 * 10 audit trail incomplete).
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

static const char global_options[] =
    "options (before the command, or after it):\n"
    "  --appliance unix:PATH  the appliance; else SIGIL_APPLIANCE, else the 'appliance =' line of\n"
    "                         $SIGIL_PKCS11_CONF, else of /etc/sigil/pkcs11.conf\n"
    "  --json                 print one JSON object per command on stdout (specs/admin-cli.md)\n"
    "  --progress             show progress on stderr even when it is not a terminal\n"
    "  --pin-file FILE        the PIN of the role the command logs in as, from the first line of FILE\n"
    "  --admin-pin-file FILE, --so-pin-file FILE, --user-pin-file FILE, --auditor-pin-file FILE,\n"
    "  --new-pin-file FILE    each PIN from a file (mode 0600 or stricter)\n"
    "\n"
    "secrets: a PIN comes from its file option, else its variable (SIGIL_ADMIN_PIN, SIGIL_SO_PIN,\n"
    "SIGIL_USER_PIN, SIGIL_AUDITOR_PIN, SIGIL_NEW_PIN), else it is asked on the terminal without\n"
    "echo; never from the command line. The backup domain secret: --secret-file, SIGIL_BACKUP_SECRET\n"
    "or the terminal.\n"
    "exit codes: 0 ok, 1 internal error, 2 usage, 3 refused by the appliance, 4 appliance unreachable or\n"
    "device error, 5 no such seal/key, 6 certificate does not match, 7 bad input file, 8 interrupted,\n"
    "9 audit trail altered, 10 audit trail incomplete\n";

static void print_usage(FILE *out)
{
    size_t width = 0;
    fputs("usage: sigil-admin [OPTIONS] COMMAND [COMMAND OPTIONS]\n\ncommands:\n", out);
    for (size_t i = 0; i < admin_command_count; i++) {
        size_t w = strlen(admin_commands[i].name);
        if (w > width)
            width = w;
    }
    for (size_t i = 0; i < admin_command_count; i++) {
        const admin_command *c = &admin_commands[i];
        fprintf(out, "  %-*s  %s\n", (int)width, c->name, c->summary);
    }
    fputs("\n'sigil-admin help COMMAND' (or COMMAND --help) shows a command's options.\n\n", out);
    fputs(global_options, out);
}

static const char *login_text(admin_pin_kind k)
{
    switch (k) {
    case ADMIN_PIN_ADMIN: return "the appliance administrator (SIGIL_ADMIN_PIN)";
    case ADMIN_PIN_SO: return "the seal administrator, PKCS#11 SO (SIGIL_SO_PIN)";
    case ADMIN_PIN_USER: return "the seal user, PKCS#11 user (SIGIL_USER_PIN)";
    case ADMIN_PIN_AUDITOR: return "the auditor (SIGIL_AUDITOR_PIN)";
    default: return "nobody (no PIN)";
    }
}

void admin_print_command_help(FILE *out, const admin_command *c)
{
    if (c == NULL) {
        print_usage(out);
        return;
    }
    fprintf(out, "usage: sigil-admin %s%s%s\n\n%s\n", c->name, c->args[0] != '\0' ? " " : "", c->args, c->summary);
    if (c->help[0] != '\0')
        fprintf(out, "\n%s\n", c->help);
    fprintf(out, "\nlogs in as: %s\n", login_text(c->login));
    if (c->requests[0] != '\0')
        fprintf(out, "wire requests: %s\n", c->requests);
    fputs("\nEvery command also takes --json, --progress, --appliance and the PIN file options\n"
          "('sigil-admin help' lists them, with the exit codes).\n",
          out);
}

/* The second words of the commands whose first word is group ("seal" -> "create, list"). */
static void subcommands(const char *group, char *out, size_t cap)
{
    size_t glen = strlen(group);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < admin_command_count; i++) {
        const char *name = admin_commands[i].name;
        if (strncmp(name, group, glen) == 0 && name[glen] == ' ') {
            int n = snprintf(out + used, cap - used, "%s%s", used > 0 ? ", " : "", name + glen + 1);
            if (n < 0 || (size_t)n >= cap - used)
                return;
            used += (size_t)n;
        }
    }
}

admin_exit admin_cmd_help(admin_ctx *ctx, int argc, char **argv)
{
    const admin_command *c;
    int used = 0;
    if (argc == 0) {
        print_usage(stdout);
        return ADMIN_EXIT_OK;
    }
    c = admin_lookup(admin_commands, admin_command_count, argc, argv, &used);
    if (c == NULL || used != argc) {
        char subs[512] = "";
        char group[128] = "";
        for (int i = 0; i < argc; i++) {
            size_t l = strlen(group);
            snprintf(group + l, sizeof group - l, "%s%s", i > 0 ? " " : "", argv[i]);
        }
        subcommands(group, subs, sizeof subs);
        if (subs[0] != '\0') {
            printf("'%s' commands: %s; see 'sigil-admin help %s COMMAND'\n", group, subs, group);
            return ADMIN_EXIT_OK;
        }
        admin_report_usage(ctx, "no command '%s'", group);
        return ADMIN_EXIT_USAGE;
    }
    admin_print_command_help(stdout, c);
    return ADMIN_EXIT_OK;
}

int main(int argc, char **argv)
{
    admin_ctx ctx = {.appliance_opt = NULL, .last_pin = ADMIN_PIN_NONE};
    const admin_command *cmd;
    int i = 1;
    int used = 0;
    admin_exit e;

    /* Global options come before the command (the command takes them after it too). */
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        const char *a = argv[i];
        bool matched = false;
        if (strcmp(a, "--json") == 0) {
            ctx.json = matched = true;
        } else if (strcmp(a, "--progress") == 0) {
            ctx.progress = matched = true;
        } else if (strcmp(a, "--appliance") == 0 || strncmp(a, "--appliance=", 12) == 0) {
            if (a[11] == '=') {
                ctx.appliance_opt = a + 12;
            } else if (i + 1 < argc) {
                ctx.appliance_opt = argv[++i];
            } else {
                admin_report_usage(&ctx, "--appliance needs an address (unix:PATH)");
                return ADMIN_EXIT_USAGE;
            }
            matched = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return ADMIN_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("sigil-admin %s\n", SIGIL_VERSION);
            return ADMIN_EXIT_OK;
        } else {
            /* The PIN files. */
            const char *names[ADMIN_PIN_KINDS + 1];
            const char **dests[ADMIN_PIN_KINDS + 1];
            for (int k = 0; k < ADMIN_PIN_KINDS; k++) {
                names[k] = admin_pin_option((admin_pin_kind)k);
                dests[k] = &ctx.pin_file[k];
            }
            names[ADMIN_PIN_KINDS] = "--pin-file";
            dests[ADMIN_PIN_KINDS] = &ctx.pin_file_login;
            for (int k = 0; k <= ADMIN_PIN_KINDS && !matched; k++) {
                size_t l = strlen(names[k]);
                if (strncmp(a, names[k], l) != 0 || (a[l] != '\0' && a[l] != '='))
                    continue;
                if (a[l] == '=') {
                    *dests[k] = a + l + 1;
                } else if (i + 1 < argc) {
                    *dests[k] = argv[++i];
                } else {
                    admin_report_usage(&ctx, "%s needs a file name", names[k]);
                    return ADMIN_EXIT_USAGE;
                }
                if ((*dests[k])[0] == '\0') {
                    admin_report_usage(&ctx, "%s needs a file name", names[k]);
                    return ADMIN_EXIT_USAGE;
                }
                matched = true;
            }
        }
        if (!matched) {
            admin_report_usage(&ctx, "unknown option '%.*s'", (int)strcspn(a, "="), a);
            return ADMIN_EXIT_USAGE;
        }
    }
    if (ctx.appliance_opt != NULL && ctx.appliance_opt[0] == '\0') {
        admin_report_usage(&ctx, "--appliance needs an address (unix:PATH)");
        return ADMIN_EXIT_USAGE;
    }
    if (i >= argc) {
        if (!ctx.json)
            print_usage(stderr);
        admin_report_usage(&ctx, "no command given; 'sigil-admin help' lists them");
        return ADMIN_EXIT_USAGE;
    }
    cmd = admin_lookup(admin_commands, admin_command_count, argc - i, argv + i, &used);
    if (cmd == NULL) {
        /* Perhaps a group ("seal", "seal cert") and a missing or wrong subcommand. */
        char subs[512] = "";
        char group[128] = "";
        if (i + 1 < argc) {
            snprintf(group, sizeof group, "%s %s", argv[i], argv[i + 1]);
            subcommands(group, subs, sizeof subs);
        }
        if (subs[0] == '\0') {
            snprintf(group, sizeof group, "%s", argv[i]);
            subcommands(group, subs, sizeof subs);
        }
        if (subs[0] != '\0')
            admin_report_usage(&ctx, "'%s' needs one of: %s", group, subs);
        else
            admin_report_usage(&ctx, "unknown command '%s'", argv[i]);
        return ADMIN_EXIT_USAGE;
    }
    ctx.cmd = cmd;
    e = cmd->handler(&ctx, argc - i - used, argv + i + used);
    admin_disconnect(&ctx);
    if (fflush(stdout) != 0 && e == ADMIN_EXIT_OK)
        e = ADMIN_EXIT_INTERNAL;
    return (int)e;
}
