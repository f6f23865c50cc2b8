/* policy.c — seal policy set | show: a seal's authorisation policy (POLICY_SET / POLICY_GET).
 *
 * POLICY_SET replaces the whole policy; `seal policy set` changes only the fields given, the
 * others keep what POLICY_GET shows. The seal's state (active, suspended, revoked) is not part
 * of it: seal suspend | resume | revoke.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"

static void print_policy(const admin_ctx *ctx, const admin_seal *seal, const admin_policy *p, bool changed)
{
    char mechs[96], nb[32], na[32];
    admin_format_mechs(p->mechs, mechs, sizeof mechs);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal->slot);
        admin_json_str(&j, "seal", seal->label);
        admin_json_str(&j, "mode", admin_mode_name(p->mode));
        admin_json_str(&j, "state", admin_state_name(p->state));
        admin_json_uint(&j, "max_signatures_per_login", p->max_sigs);
        admin_json_uint(&j, "max_seconds_per_login", p->max_secs);
        admin_json_str(&j, "mechanisms", mechs);
        admin_json_uint(&j, "mechanism_mask", p->mechs);
        if (p->not_before != 0) {
            admin_format_time(p->not_before, nb);
            admin_json_str(&j, "not_before", nb);
        } else {
            admin_json_null(&j, "not_before");
        }
        if (p->not_after != 0) {
            admin_format_time(p->not_after, na);
            admin_json_str(&j, "not_after", na);
        } else {
            admin_json_null(&j, "not_after");
        }
        admin_json_uint(&j, "signatures", p->signatures);
        admin_json_bool(&j, "changed", changed);
        admin_json_end(&j);
        return;
    }
    char line[160];
    admin_format_time(p->not_before, nb);
    admin_format_time(p->not_after, na);
    admin_print_kv("seal", seal->label);
    admin_print_kv("mode", p->mode == SIGIL_POLICY_PER_SIGNATURE
                               ? "per-signature (every signature needs a context-specific login)"
                               : "session (a login activates the seal for the application)");
    admin_print_kv("state", admin_state_name(p->state));
    snprintf(line, sizeof line, "%u%s", p->max_sigs, p->max_sigs == 0 ? " (no bound)" : "");
    admin_print_kv("max signatures", line);
    snprintf(line, sizeof line, "%u%s", p->max_secs, p->max_secs == 0 ? " (no bound)" : "");
    admin_print_kv("max seconds", line);
    admin_print_kv("mechanisms", mechs);
    admin_print_kv("not before", nb);
    admin_print_kv("not after", na);
    snprintf(line, sizeof line, "%llu", (unsigned long long)p->signatures);
    admin_print_kv("signatures", line);
}

admin_exit admin_cmd_policy_show(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel)};
    admin_seal seal;
    admin_policy p;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_policy(ctx, seal.slot, &p);
    if (e == ADMIN_EXIT_OK)
        print_policy(ctx, &seal, &p, false);
    return e;
}

admin_exit admin_cmd_policy_set(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *mode = NULL, *max_sigs = NULL, *max_secs = NULL, *mechs = NULL, *not_before = NULL,
               *not_after = NULL;
    const admin_opt opts[] = {
        ADMIN_SEAL_OPTS(sel),
        {.name = "mode", .kind = ADMIN_OPT_VALUE, .dest = &mode},
        {.name = "max-signatures", .kind = ADMIN_OPT_VALUE, .dest = &max_sigs},
        {.name = "max-seconds", .kind = ADMIN_OPT_VALUE, .dest = &max_secs},
        {.name = "mechanisms", .kind = ADMIN_OPT_VALUE, .dest = &mechs},
        {.name = "not-before", .kind = ADMIN_OPT_VALUE, .dest = &not_before},
        {.name = "not-after", .kind = ADMIN_OPT_VALUE, .dest = &not_after},
    };
    admin_seal seal;
    admin_policy cur, want;
    uint8_t new_mode = 0;
    uint32_t v_sigs = 0, v_secs = 0, v_mechs = 0;
    uint64_t v_nb = 0, v_na = 0;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (mode == NULL && max_sigs == NULL && max_secs == NULL && mechs == NULL && not_before == NULL &&
        not_after == NULL) {
        admin_report_usage(ctx, "seal policy set needs at least one of --mode, --max-signatures, --max-seconds, "
                                "--mechanisms, --not-before, --not-after");
        return ADMIN_EXIT_USAGE;
    }
    if (mode != NULL) {
        if (strcmp(mode, "session") == 0)
            new_mode = SIGIL_POLICY_SESSION;
        else if (strcmp(mode, "per-signature") == 0)
            new_mode = SIGIL_POLICY_PER_SIGNATURE;
        else {
            admin_report_usage(ctx, "--mode takes session or per-signature");
            return ADMIN_EXIT_USAGE;
        }
    }
    if (max_sigs != NULL && admin_parse_u32(max_sigs, UINT32_MAX, &v_sigs) != 0) {
        admin_report_usage(ctx, "--max-signatures takes a number (0: no bound)");
        return ADMIN_EXIT_USAGE;
    }
    if (max_secs != NULL && admin_parse_u32(max_secs, UINT32_MAX, &v_secs) != 0) {
        admin_report_usage(ctx, "--max-seconds takes a number of seconds (0: no bound)");
        return ADMIN_EXIT_USAGE;
    }
    if (mechs != NULL && admin_parse_mechs(mechs, &v_mechs) != 0) {
        admin_report_usage(ctx, "--mechanisms takes all, or a comma list of ecdsa, rsa-pkcs, rsa-pss");
        return ADMIN_EXIT_USAGE;
    }
    if ((not_before != NULL && admin_parse_time(not_before, &v_nb) != 0) ||
        (not_after != NULL && admin_parse_time(not_after, &v_na) != 0)) {
        admin_report_usage(ctx, "--not-before / --not-after take YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @SECONDS or none");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_policy(ctx, seal.slot, &cur);
    if (e != ADMIN_EXIT_OK)
        return e;
    want = cur;
    if (mode != NULL)
        want.mode = new_mode;
    if (max_sigs != NULL)
        want.max_sigs = v_sigs;
    if (max_secs != NULL)
        want.max_secs = v_secs;
    if (mechs != NULL)
        want.mechs = v_mechs;
    if (not_before != NULL)
        want.not_before = v_nb;
    if (not_after != NULL)
        want.not_after = v_na;
    if (want.not_after != 0 && want.not_after < want.not_before) {
        admin_report_usage(ctx, "the validity window would end before it starts (--not-after before --not-before)");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_login_admin(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    uint8_t body[48];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_u8(&w, want.mode);
    sigil_wr_u32(&w, want.max_sigs);
    sigil_wr_u32(&w, want.max_secs);
    sigil_wr_u32(&w, want.mechs);
    sigil_wr_u64(&w, want.not_before);
    sigil_wr_u64(&w, want.not_after);
    e = admin_call(ctx, SIGIL_OP_POLICY_SET, &w, "seal policy set");
    if (e == ADMIN_EXIT_OK)
        e = admin_query_policy(ctx, seal.slot, &cur);
    if (e == ADMIN_EXIT_OK)
        print_policy(ctx, &seal, &cur, true);
    return e;
}
