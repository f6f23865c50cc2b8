/* main.c — sigil-admin: global options, command lookup in the command table, help.
 *
 *   sigil-admin [--appliance unix:PATH] [--json] COMMAND [ARGS...]
 *
 * The appliance is --appliance, else the module's lookup (SIGIL_APPLIANCE, then the
 * "appliance =" line of $SIGIL_PKCS11_CONF, then of /etc/sigil/pkcs11.conf).
 * Exit codes: 0 ok, 1 internal, 2 usage, 3 refused by the appliance, 4 unreachable.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

static void print_usage(FILE *out)
{
    size_t width = 0;
    fputs("usage: sigil-admin [--appliance unix:PATH] [--json] COMMAND [ARGS...]\n\ncommands:\n", out);
    for (size_t i = 0; i < admin_command_count; i++) {
        size_t w = strlen(admin_commands[i].name) + 1 + strlen(admin_commands[i].args);
        if (w > width)
            width = w;
    }
    for (size_t i = 0; i < admin_command_count; i++) {
        char syn[128];
        const admin_command *c = &admin_commands[i];
        snprintf(syn, sizeof syn, "%s%s%s", c->name, c->args[0] != '\0' ? " " : "", c->args);
        fprintf(out, "  %-*s  %s\n", (int)width, syn, c->summary);
    }
    fputs("\noptions:\n"
          "  --appliance unix:PATH  the appliance; else SIGIL_APPLIANCE, else the 'appliance =' line of\n"
          "                         $SIGIL_PKCS11_CONF, else of /etc/sigil/pkcs11.conf\n"
          "  --json                 print one JSON object per command (specs/admin-cli.md)\n"
          "\nsecrets: SIGIL_ADMIN_PIN, SIGIL_SO_PIN, SIGIL_USER_PIN when set, else asked on the terminal\n"
          "exit codes: 0 ok, 1 internal error, 2 usage, 3 refused by the appliance, 4 appliance unreachable\n",
          out);
}

/* Finds the command whose words start argv; *used gets how many words it took. */
static const admin_command *lookup(int argc, char **argv, int *used)
{
    const admin_command *best = NULL;
    int best_words = 0;
    for (size_t i = 0; i < admin_command_count; i++) {
        const char *name = admin_commands[i].name;
        int words = 0;
        bool match = true;
        while (*name != '\0' && match) {
            size_t len = strcspn(name, " ");
            if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], name, len) != 0)
                match = false;
            words++;
            name += len;
            name += strspn(name, " ");
        }
        if (match && words > best_words) {
            best = &admin_commands[i];
            best_words = words;
        }
    }
    *used = best_words;
    return best;
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
    c = lookup(argc, argv, &used);
    if (c == NULL || used != argc) {
        char subs[128] = "";
        subcommands(argv[0], subs, sizeof subs);
        if (argc == 1 && subs[0] != '\0') {
            printf("'%s' commands: %s; see 'sigil-admin help %s COMMAND'\n", argv[0], subs, argv[0]);
            return ADMIN_EXIT_OK;
        }
        admin_report_usage(ctx, "no command '%s%s%s'", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
        return ADMIN_EXIT_USAGE;
    }
    printf("usage: sigil-admin [--appliance unix:PATH] [--json] %s%s%s\n\n%s\n", c->name,
           c->args[0] != '\0' ? " " : "", c->args, c->summary);
    if (c->help[0] != '\0')
        printf("\n%s\n", c->help);
    return ADMIN_EXIT_OK;
}

int main(int argc, char **argv)
{
    admin_ctx ctx = {.appliance_opt = NULL};
    const admin_command *cmd;
    int i = 1;
    int used = 0;
    admin_exit e;

    /* Global options come before the command. */
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            ctx.json = true;
        } else if (strcmp(a, "--appliance") == 0) {
            if (i + 1 >= argc) {
                admin_report_usage(&ctx, "--appliance needs an address (unix:PATH)");
                return ADMIN_EXIT_USAGE;
            }
            ctx.appliance_opt = argv[++i];
        } else if (strncmp(a, "--appliance=", 12) == 0) {
            ctx.appliance_opt = a + 12;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return ADMIN_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("sigil-admin %s\n", SIGIL_VERSION);
            return ADMIN_EXIT_OK;
        } else {
            admin_report_usage(&ctx, "unknown option '%.*s'", (int)strcspn(a, "="), a);
            return ADMIN_EXIT_USAGE;
        }
    }
    if (ctx.appliance_opt != NULL && ctx.appliance_opt[0] == '\0') {
        admin_report_usage(&ctx, "--appliance needs an address (unix:PATH)");
        return ADMIN_EXIT_USAGE;
    }
    if (i >= argc) {
        print_usage(stderr);
        return ADMIN_EXIT_USAGE;
    }
    cmd = lookup(argc - i, argv + i, &used);
    if (cmd == NULL) {
        char subs[128] = "";
        subcommands(argv[i], subs, sizeof subs);
        if (subs[0] != '\0')
            admin_report_usage(&ctx, "'%s' needs one of: %s", argv[i], subs);
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
