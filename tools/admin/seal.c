/* seal.c — seals: create, list, show, suspend, resume, revoke, destroy, and key generation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "admin.h"
#include "sigil_attrs.h"
#include "sigil_secmem.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

/* ---- seal create ------------------------------------------------------------------------------ */

admin_exit admin_cmd_seal_create(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *label = NULL;
    bool no_user_pin = false;
    const admin_opt opts[] = {
        {.name = "label", .kind = ADMIN_OPT_VALUE, .dest = &label},
        {.name = "no-user-pin", .kind = ADMIN_OPT_FLAG, .dest = &no_user_pin},
    };
    admin_pin so = {.len = 0};
    admin_pin user = {.len = 0};
    uint8_t body[16 + SIGIL_LABEL_MAX_LEN + 2 * SIGIL_PIN_MAX_LEN];
    sigil_wr w;
    sigil_rd r;
    uint32_t slot;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (label == NULL) {
        admin_report_usage(ctx, "seal create needs --label LABEL");
        return ADMIN_EXIT_USAGE;
    }
    if (strlen(label) > SIGIL_LABEL_MAX_LEN) {
        admin_report_usage(ctx, "the label is longer than %u bytes", SIGIL_LABEL_MAX_LEN);
        return ADMIN_EXIT_USAGE;
    }
    for (const unsigned char *p = (const unsigned char *)label; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            admin_report_usage(ctx, "the label holds a control character; use printable text");
            return ADMIN_EXIT_USAGE;
        }
    }
    e = admin_connect(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_login_admin(ctx);
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
    ctx->last_pin = ADMIN_PIN_NONE;
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
    admin_seal seal = {.slot = slot};
    snprintf(seal.label, sizeof seal.label, "%s", label);
    e = admin_query_token(ctx, slot, &seal.token);
    if (e != ADMIN_EXIT_OK)
        goto out;
    char uri[ADMIN_URI_MAX];
    admin_token_uri(&seal, uri, sizeof uri);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", slot);
        admin_json_str(&j, "label", label);
        admin_json_str(&j, "serial", seal.token.serial);
        admin_json_bool(&j, "user_pin_set", !no_user_pin);
        admin_json_str(&j, "token_uri", uri);
        admin_json_end(&j);
    } else {
        char clean[SIGIL_LABEL_MAX_LEN + 1];
        admin_text_sanitise(clean, sizeof clean, label);
        printf("Seal '%s' created in slot %u (serial %s)%s.\n", clean, slot, seal.token.serial,
               no_user_pin ? "; no user PIN yet: its SO sets one (sigil-admin seal pin unblock)" : "");
        printf("Token URI: %s\n", uri);
        printf("Next: sigil-admin seal keygen --slot %u --type ec-p256\n", slot);
    }
out:
    admin_pin_wipe(&so);
    admin_pin_wipe(&user);
    return e;
}

/* ---- seal list ------------------------------------------------------------------------------------ */

static const char *locked_text(uint32_t flags)
{
    bool u = (flags & SIGIL_TOKEN_USER_PIN_LOCKED) != 0;
    bool s = (flags & SIGIL_TOKEN_SO_PIN_LOCKED) != 0;
    return u && s ? "user+SO" : u ? "user" : s ? "SO" : "no";
}

admin_exit admin_cmd_seal_list(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_slot *slots = NULL;
    uint32_t n = 0;
    admin_policy *pol = NULL;
    admin_token *tok = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, NULL, 0, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_slots(ctx, &slots, &n);
    if (e != ADMIN_EXIT_OK)
        return e;
    pol = calloc(n > 0 ? n : 1, sizeof(*pol));
    tok = calloc(n > 0 ? n : 1, sizeof(*tok));
    if (pol == NULL || tok == NULL) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!(slots[i].flags & SIGIL_TOKEN_INITIALIZED))
            continue;
        e = admin_query_policy(ctx, slots[i].slot, &pol[i]);
        if (e == ADMIN_EXIT_OK)
            e = admin_query_token(ctx, slots[i].slot, &tok[i]);
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot_count", n);
        admin_json_arr_open(&j, "slots");
        for (uint32_t i = 0; i < n; i++) {
            const admin_slot *s = &slots[i];
            bool init = (s->flags & SIGIL_TOKEN_INITIALIZED) != 0;
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "slot", s->slot);
            admin_json_str(&j, "label", s->label);
            admin_json_bool(&j, "initialised", init);
            admin_json_bool(&j, "user_pin_set", (s->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) != 0);
            admin_json_bool(&j, "user_pin_locked", (s->flags & SIGIL_TOKEN_USER_PIN_LOCKED) != 0);
            admin_json_bool(&j, "so_pin_locked", (s->flags & SIGIL_TOKEN_SO_PIN_LOCKED) != 0);
            admin_json_uint(&j, "token_flags", s->flags);
            if (init) {
                admin_json_str(&j, "serial", tok[i].serial);
                admin_json_str(&j, "state", admin_state_name(pol[i].state));
                admin_json_uint(&j, "signatures", pol[i].signatures);
            } else {
                admin_json_null(&j, "serial");
                admin_json_null(&j, "state");
                admin_json_null(&j, "signatures");
            }
            admin_json_obj_close(&j);
        }
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else {
        printf("%-5s %-32s %-12s %-9s %-7s %-10s %s\n", "SLOT", "LABEL", "INITIALISED", "USER PIN", "LOCKED",
               "STATE", "SERIAL");
        for (uint32_t i = 0; i < n; i++) {
            const admin_slot *s = &slots[i];
            char clean[SIGIL_LABEL_MAX_LEN + 1];
            bool init = (s->flags & SIGIL_TOKEN_INITIALIZED) != 0;
            admin_text_sanitise(clean, sizeof clean, s->label);
            printf("%-5u %-32s %-12s %-9s %-7s %-10s %s\n", s->slot, init ? clean : "-", init ? "yes" : "no (free)",
                   (s->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) ? "yes" : "no", locked_text(s->flags),
                   init ? admin_state_name(pol[i].state) : "-", init ? tok[i].serial : "-");
        }
    }
out:
    free(pol);
    free(tok);
    free(slots);
    return e;
}

/* ---- seal show --------------------------------------------------------------------------------------- */

static void json_policy(admin_json *j, const char *key, const admin_policy *p)
{
    char t[32], mechs[96];
    admin_json_obj_open(j, key);
    admin_json_str(j, "mode", admin_mode_name(p->mode));
    admin_json_str(j, "state", admin_state_name(p->state));
    admin_json_uint(j, "max_signatures_per_login", p->max_sigs);
    admin_json_uint(j, "max_seconds_per_login", p->max_secs);
    admin_format_mechs(p->mechs, mechs, sizeof mechs);
    admin_json_str(j, "mechanisms", mechs);
    if (p->not_before != 0) {
        admin_format_time(p->not_before, t);
        admin_json_str(j, "not_before", t);
    } else {
        admin_json_null(j, "not_before");
    }
    if (p->not_after != 0) {
        admin_format_time(p->not_after, t);
        admin_json_str(j, "not_after", t);
    } else {
        admin_json_null(j, "not_after");
    }
    admin_json_uint(j, "signatures", p->signatures);
    admin_json_obj_close(j);
}

/* Writes the certificate fields of a certificate record (subject, issuer, validity). */
typedef struct {
    char subject[512];
    char issuer[512];
    char serial[130];
    uint64_t not_before, not_after;
    int64_t days_left;
    bool parsed;
} cert_summary;

static void summarise_cert(const sigil_obj_record *r, cert_summary *cs)
{
    sigil_attr_tlv v;
    memset(cs, 0, sizeof(*cs));
    if (!sigil_attrs_find(r->attrs, r->attrs_len, SIGIL_ATTR_VALUE, &v) || v.len == 0)
        return;
    const unsigned char *p = v.val;
    X509 *x = d2i_X509(NULL, &p, (long)v.len);
    if (x == NULL)
        return;
    admin_name_text(X509_get_subject_name(x), cs->subject, sizeof cs->subject);
    admin_name_text(X509_get_issuer_name(x), cs->issuer, sizeof cs->issuer);
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    admin_hex(sn->data, (size_t)sn->length < 64 ? (size_t)sn->length : 64, cs->serial);
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1)
        cs->not_before = (uint64_t)timegm(&tm);
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
        cs->not_after = (uint64_t)timegm(&tm);
    int64_t left = (int64_t)cs->not_after - (int64_t)time(NULL);
    cs->days_left = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
    cs->parsed = true;
    X509_free(x);
}

admin_exit admin_cmd_seal_show(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel)};
    admin_seal seal;
    admin_policy pol;
    sigil_obj_record *objs = NULL;
    size_t n = 0, np = 0;
    admin_keypair *pairs = NULL;
    char uri[ADMIN_URI_MAX], puri[ADMIN_URI_MAX], turi[ADMIN_URI_MAX];
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_keypairs(ctx, &sel, false, &seal, &objs, &n, &pairs, &np);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_policy(ctx, seal.slot, &pol);
    if (e != ADMIN_EXIT_OK) {
        free(pairs);
        free(objs);
        return e;
    }
    admin_token_uri(&seal, turi, sizeof turi);
    const admin_token *t = &seal.token;
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "label", seal.label);
        admin_json_str(&j, "serial", t->serial);
        admin_json_uint(&j, "token_flags", t->flags);
        admin_json_bool(&j, "user_pin_set", (t->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) != 0);
        admin_json_bool(&j, "user_pin_locked", (t->flags & SIGIL_TOKEN_USER_PIN_LOCKED) != 0);
        admin_json_bool(&j, "so_pin_locked", (t->flags & SIGIL_TOKEN_SO_PIN_LOCKED) != 0);
        admin_json_uint(&j, "user_retries_left", t->user_retries_left);
        admin_json_uint(&j, "so_retries_left", t->so_retries_left);
        admin_json_uint(&j, "object_count", t->object_count);
        admin_json_str(&j, "token_uri", turi);
        json_policy(&j, "policy", &pol);
        admin_json_arr_open(&j, "keys");
        for (size_t i = 0; i < np; i++) {
            const sigil_obj_record *r = admin_keypair_rec(&pairs[i]);
            admin_seal_uri(&seal, r, "private", uri, sizeof uri);
            admin_seal_uri(&seal, r, "public", puri, sizeof puri);
            admin_json_obj_open(&j, NULL);
            admin_json_hex(&j, "id", r->id, r->id_len);
            admin_json_str(&j, "label", r->label);
            admin_json_str(&j, "type", admin_keytype_name(r->key_type, r->bits));
            admin_json_uint(&j, "bits", r->bits);
            if (pairs[i].pub != NULL)
                admin_json_uint(&j, "public_handle", pairs[i].pub->handle);
            else
                admin_json_null(&j, "public_handle");
            admin_json_bool(&j, "generated_on_device", (r->flags & SIGIL_OBJ_LOCAL) != 0);
            admin_json_str(&j, "uri", uri);
            admin_json_str(&j, "public_uri", puri);
            admin_json_obj_close(&j);
        }
        admin_json_arr_close(&j);
        admin_json_arr_open(&j, "certificates");
        for (size_t i = 0; i < n; i++) {
            cert_summary cs;
            if (objs[i].obj_class != SIGIL_CLASS_CERTIFICATE)
                continue;
            summarise_cert(&objs[i], &cs);
            admin_seal_uri(&seal, &objs[i], "cert", uri, sizeof uri);
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "handle", objs[i].handle);
            admin_json_hex(&j, "id", objs[i].id, objs[i].id_len);
            admin_json_str(&j, "label", objs[i].label);
            admin_json_str(&j, "subject", cs.subject);
            admin_json_int(&j, "days_left", cs.days_left);
            admin_json_str(&j, "uri", uri);
            admin_json_obj_close(&j);
        }
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else {
        char line[1024], tb[32];
        snprintf(line, sizeof line, "%u", seal.slot);
        admin_print_kv("slot", line);
        admin_print_kv("label", seal.label);
        admin_print_kv("serial", t->serial);
        admin_print_kv("state", admin_state_name(pol.state));
        snprintf(line, sizeof line, "%s (%u tries left)%s",
                 (t->flags & SIGIL_TOKEN_USER_PIN_INITIALIZED) ? "set" : "not set", t->user_retries_left,
                 (t->flags & SIGIL_TOKEN_USER_PIN_LOCKED) ? ", LOCKED" : "");
        admin_print_kv("user PIN", line);
        snprintf(line, sizeof line, "%u tries left%s", t->so_retries_left,
                 (t->flags & SIGIL_TOKEN_SO_PIN_LOCKED) ? ", LOCKED" : "");
        admin_print_kv("SO PIN", line);
        char mechs[96];
        admin_format_mechs(pol.mechs, mechs, sizeof mechs);
        snprintf(line, sizeof line, "%s, %u signatures / %u s per login (0: no bound), mechanisms %s",
                 admin_mode_name(pol.mode), pol.max_sigs, pol.max_secs, mechs);
        admin_print_kv("policy", line);
        char ta[32];
        admin_format_time(pol.not_before, tb);
        admin_format_time(pol.not_after, ta);
        snprintf(line, sizeof line, "not before %s, not after %s", tb, ta);
        admin_print_kv("validity", line);
        snprintf(line, sizeof line, "%llu", (unsigned long long)pol.signatures);
        admin_print_kv("signatures", line);
        admin_print_kv("token URI", turi);
        for (size_t i = 0; i < np; i++) {
            const sigil_obj_record *r = admin_keypair_rec(&pairs[i]);
            char idhex[2 * SIGIL_ID_MAX_LEN + 1];
            admin_hex(r->id, r->id_len, idhex);
            admin_seal_uri(&seal, r, "private", uri, sizeof uri);
            snprintf(line, sizeof line, "%s, id %s, label '%s'%s", admin_keytype_name(r->key_type, r->bits), idhex,
                     r->label, (r->flags & SIGIL_OBJ_LOCAL) ? ", generated on the device" : "");
            admin_print_kv("key", line);
            admin_print_kv("  URI", uri);
        }
        for (size_t i = 0; i < n; i++) {
            cert_summary cs;
            if (objs[i].obj_class != SIGIL_CLASS_CERTIFICATE)
                continue;
            summarise_cert(&objs[i], &cs);
            snprintf(line, sizeof line, "%s (%lld days left)", cs.subject, (long long)cs.days_left);
            admin_print_kv("certificate", line);
        }
        if (np == 0)
            printf("No key yet: sigil-admin seal keygen --slot %u --type ec-p256\n", seal.slot);
    }
    free(pairs);
    free(objs);
    return ADMIN_EXIT_OK;
}

/* ---- seal suspend | resume | revoke | destroy ------------------------------------------------------------- */

static admin_exit set_state(admin_ctx *ctx, int argc, char **argv, uint8_t want, bool confirm_needed, bool destroy)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *confirm = NULL;
    admin_opt opts[] = {ADMIN_SEAL_OPTS(sel), {.name = "confirm", .kind = ADMIN_OPT_VALUE, .dest = &confirm}};
    size_t n_opts = confirm_needed ? 3 : 2;
    admin_seal seal;
    admin_policy before, after;
    uint8_t body[16];
    sigil_wr w;
    admin_exit e = admin_parse(ctx, argc, argv, opts, n_opts, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_policy(ctx, seal.slot, &before);
    if (e != ADMIN_EXIT_OK)
        return e;
    bool already = before.state == want;
    if (before.state == SIGIL_SEAL_REVOKED && !already) {
        admin_report_refused(ctx, SIGIL_ST_SEAL_REVOKED, ctx->cmd->name);
        return ADMIN_EXIT_REFUSED;
    }
    if (!already) {
        if (confirm_needed) {
            e = admin_confirm(ctx, confirm, seal.label, "the seal's label", "--confirm");
            if (e != ADMIN_EXIT_OK)
                return e;
        }
        e = admin_login_admin(ctx);
        if (e != ADMIN_EXIT_OK)
            return e;
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_u32(&w, seal.slot);
        sigil_wr_u8(&w, want);
        e = admin_call(ctx, SIGIL_OP_SEAL_STATE, &w, ctx->cmd->name);
        if (e != ADMIN_EXIT_OK)
            return e;
    }
    e = admin_query_policy(ctx, seal.slot, &after);
    if (e != ADMIN_EXIT_OK)
        return e;
    bool freed = false;
    if (destroy) {
        /* Revoked first (its keys are gone whatever follows), then the slot is freed. */
        if (already) { /* no state change above, so no administrator login yet */
            e = admin_login_admin(ctx);
            if (e != ADMIN_EXIT_OK)
                return e;
        }
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_u32(&w, seal.slot);
        e = admin_call(ctx, SIGIL_OP_SEAL_DESTROY, &w, ctx->cmd->name);
        if (e != ADMIN_EXIT_OK)
            return e;
        freed = true;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_str(&j, "serial", seal.token.serial);
        admin_json_str(&j, "previous_state", admin_state_name(before.state));
        admin_json_str(&j, "state", admin_state_name(after.state));
        admin_json_bool(&j, "changed", !already);
        if (destroy) {
            admin_json_bool(&j, "key_destroyed", after.state == SIGIL_SEAL_REVOKED);
            admin_json_bool(&j, "slot_freed", freed);
        }
        admin_json_end(&j);
    } else {
        char clean[SIGIL_LABEL_MAX_LEN + 1];
        admin_text_sanitise(clean, sizeof clean, seal.label);
        if (already)
            printf("Seal '%s' (slot %u) is %s already: nothing changed.\n", clean, seal.slot,
                   admin_state_name(after.state));
        else
            printf("Seal '%s' (slot %u) is now %s (was %s).\n", clean, seal.slot, admin_state_name(after.state),
                   admin_state_name(before.state));
        if (want == SIGIL_SEAL_SUSPENDED)
            printf("It refuses to sign until: sigil-admin seal resume --slot %u\n", seal.slot);
        if (want == SIGIL_SEAL_REVOKED)
            printf("Its private keys are destroyed; it can never sign again, be given a key, or be restored here.\n");
        if (freed)
            printf("Slot %u is free again; the seal's serial is retired, so no backup of it can be restored here.\n",
                   seal.slot);
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_cmd_seal_suspend(admin_ctx *ctx, int argc, char **argv)
{
    return set_state(ctx, argc, argv, SIGIL_SEAL_SUSPENDED, false, false);
}

admin_exit admin_cmd_seal_resume(admin_ctx *ctx, int argc, char **argv)
{
    return set_state(ctx, argc, argv, SIGIL_SEAL_ACTIVE, false, false);
}

admin_exit admin_cmd_seal_revoke(admin_ctx *ctx, int argc, char **argv)
{
    return set_state(ctx, argc, argv, SIGIL_SEAL_REVOKED, true, false);
}

admin_exit admin_cmd_seal_destroy(admin_ctx *ctx, int argc, char **argv)
{
    return set_state(ctx, argc, argv, SIGIL_SEAL_REVOKED, true, true);
}

/* ---- seal keygen -------------------------------------------------------------------------------------------- */

admin_exit admin_cmd_seal_keygen(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *type = NULL, *label = NULL, *id_hex = NULL, *pub_out = NULL;
    const admin_opt opts[] = {
        ADMIN_SEAL_OPTS(sel),
        {.name = "type", .kind = ADMIN_OPT_VALUE, .dest = &type},
        {.name = "label", .kind = ADMIN_OPT_VALUE, .dest = &label},
        {.name = "id", .kind = ADMIN_OPT_VALUE, .dest = &id_hex},
        {.name = "pubkey-out", .kind = ADMIN_OPT_VALUE, .dest = &pub_out},
    };
    uint8_t key_type = 0;
    uint32_t param = 0;
    uint8_t id[SIGIL_ID_MAX_LEN];
    size_t id_len = 0;
    admin_seal seal;
    sigil_obj_record *objs = NULL, *gen = NULL;
    size_t n = 0;
    char err[512];
    char *pem = NULL;
    EVP_PKEY *k = NULL;
    admin_progress *prog = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (type == NULL || admin_parse_keytype(type, &key_type, &param) != 0) {
        admin_report_usage(ctx, "seal keygen needs --type ec-p256, ec-p384, rsa2048, rsa3072 or rsa4096");
        return ADMIN_EXIT_USAGE;
    }
    if (id_hex != NULL && admin_parse_hex(id_hex, id, sizeof id, &id_len) != 0) {
        admin_report_usage(ctx, "--id takes 1 to %u bytes in hex", SIGIL_ID_MAX_LEN);
        return ADMIN_EXIT_USAGE;
    }
    if (label != NULL && strlen(label) > SIGIL_OBJ_LABEL_MAX_LEN) {
        admin_report_usage(ctx, "a key label is at most %u bytes", SIGIL_OBJ_LABEL_MAX_LEN);
        return ADMIN_EXIT_USAGE;
    }
    e = admin_seal_sel_check(ctx, &sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, &sel, &seal);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (label == NULL)
        label = seal.label; /* the key is named as its seal: Java's keystore alias */
    if (id_len == 0) {
        /* A random CKA_ID of 8 bytes: pairs the key with its certificate for Java, NSS, OpenSSL. */
        if (getrandom(id, 8, 0) != 8) {
            admin_report_internal(ctx, "no entropy for the key id");
            return ADMIN_EXIT_INTERNAL;
        }
        id_len = 8;
    }
    e = admin_login_seal(ctx, seal.slot, SIGIL_USER_USER);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_objects(ctx, seal.slot, &objs, &n);
    if (e != ADMIN_EXIT_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const sigil_obj_record *r = &objs[i];
        if (r->obj_class != SIGIL_CLASS_PUBLIC_KEY && r->obj_class != SIGIL_CLASS_PRIVATE_KEY)
            continue;
        if (r->id_len == id_len && memcmp(r->id, id, id_len) == 0) {
            admin_report_usage(ctx, "seal '%s' has a key with this --id already: choose another", seal.label);
            e = ADMIN_EXIT_USAGE;
            goto out;
        }
        if (strcmp(r->label, label) == 0) {
            admin_report_usage(ctx, "seal '%s' has a key labelled '%s' already: give the new one --label NAME",
                               seal.label, label);
            e = ADMIN_EXIT_USAGE;
            goto out;
        }
    }

    uint8_t body[32 + SIGIL_ID_MAX_LEN + SIGIL_OBJ_LABEL_MAX_LEN];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, seal.slot);
    sigil_wr_u8(&w, key_type);
    sigil_wr_u32(&w, param);
    sigil_wr_bytes(&w, id, id_len);
    sigil_wr_str(&w, label);
    char what[96];
    snprintf(what, sizeof what, "generating the %s key pair inside the appliance", type);
    prog = admin_progress_start(ctx, what, 0);
    e = admin_call(ctx, SIGIL_OP_GENERATE_KEYPAIR, &w, "key generation");
    admin_progress_done(prog, e == ADMIN_EXIT_OK);
    if (e != ADMIN_EXIT_OK)
        goto out;
    gen = calloc(2, sizeof(*gen));
    if (gen == NULL) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    sigil_rd r;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    sigil_obj_record_read(&r, &gen[0]);
    sigil_obj_record_read(&r, &gen[1]);
    if (!sigil_rd_done(&r) || gen[0].obj_class != SIGIL_CLASS_PUBLIC_KEY ||
        gen[1].obj_class != SIGIL_CLASS_PRIVATE_KEY || (k = admin_key_from_record(&gen[0])) == NULL ||
        (pem = admin_key_pem(k)) == NULL) {
        admin_report_bad_response(ctx, "GENERATE_KEYPAIR");
        e = ADMIN_EXIT_UNREACHABLE;
        goto out;
    }
    if (pub_out != NULL && admin_file_write(pub_out, pem, strlen(pem), 0644, false, err, sizeof err) != 0) {
        /* The key exists now: say so, and where the public key is to be had. */
        admin_report(ctx, ADMIN_EXIT_USAGE, "the key pair was generated; 'sigil-admin seal show' prints its URI",
                     "%s", err);
        e = ADMIN_EXIT_USAGE;
        goto out;
    }
    char uri[ADMIN_URI_MAX], puri[ADMIN_URI_MAX], idhex[2 * SIGIL_ID_MAX_LEN + 1];
    uint8_t fp[32];
    admin_seal_uri(&seal, &gen[1], "private", uri, sizeof uri);
    admin_seal_uri(&seal, &gen[0], "public", puri, sizeof puri);
    admin_hex(id, id_len, idhex);
    (void)admin_key_fingerprint(k, fp);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "slot", seal.slot);
        admin_json_str(&j, "seal", seal.label);
        admin_json_str(&j, "type", type);
        admin_json_uint(&j, "bits", gen[1].bits);
        admin_json_hex(&j, "id", id, id_len);
        admin_json_str(&j, "label", label);
        admin_json_uint(&j, "public_handle", gen[0].handle);
        admin_json_uint(&j, "private_handle", gen[1].handle);
        admin_json_bool(&j, "always_authenticate", (gen[1].flags & SIGIL_OBJ_ALWAYS_AUTH) != 0);
        admin_json_str(&j, "uri", uri);
        admin_json_str(&j, "public_uri", puri);
        admin_json_str(&j, "public_key_pem", pem);
        admin_json_hex(&j, "public_key_sha256", fp, 32);
        admin_json_end(&j);
    } else {
        printf("Generated the key pair (%s) in seal '%s' (slot %u): id %s, label '%s'.\n", type, seal.label, seal.slot,
               idhex, label);
        printf("PKCS#11 URI: %s\n", uri);
        if (pub_out != NULL)
            printf("Public key written to %s\n", pub_out);
        printf("Next: sigil-admin seal csr --slot %u --cn NAME --org ORG --country CC --org-id VATCC-NUMBER --out "
               "seal.csr\n",
               seal.slot);
    }
out:
    free(pem);
    EVP_PKEY_free(k);
    free(gen);
    free(objs);
    return e;
}
