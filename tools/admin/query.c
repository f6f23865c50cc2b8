/* query.c — appliance queries the commands share, and how a command finds its seal and key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static admin_exit empty_call(admin_ctx *ctx, uint16_t op, const char *what)
{
    uint8_t body[8];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    return admin_call(ctx, op, &w, what);
}

static admin_exit slot_call(admin_ctx *ctx, uint16_t op, uint32_t slot, const char *what)
{
    uint8_t body[8];
    sigil_wr w;
    sigil_wr_init(&w, body, sizeof body);
    sigil_wr_u32(&w, slot);
    return admin_call(ctx, op, &w, what);
}

admin_exit admin_query_info(admin_ctx *ctx, admin_info *info)
{
    sigil_rd r;
    size_t dn = 0;
    admin_exit e = empty_call(ctx, SIGIL_OP_INFO, "INFO");
    if (e != ADMIN_EXIT_OK)
        return e;
    memset(info, 0, sizeof(*info));
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
    const uint8_t *dom = sigil_rd_bytes(&r, 8, &dn);
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "INFO");
        return ADMIN_EXIT_UNREACHABLE;
    }
    if (dn > 0)
        memcpy(info->backup_domain, dom, dn);
    info->backup_domain_len = dn;
    admin_hex(info->backup_domain, dn, info->backup_domain_hex);
    return ADMIN_EXIT_OK;
}

admin_exit admin_query_slots(admin_ctx *ctx, admin_slot **slots, uint32_t *n)
{
    sigil_rd r;
    admin_slot *list = NULL;
    admin_exit e = empty_call(ctx, SIGIL_OP_SLOT_LIST, "SLOT_LIST");
    *slots = NULL;
    *n = 0;
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    uint32_t count = sigil_rd_u32(&r);
    if (count > ctx->resp_len / 12) { /* each entry takes at least 12 bytes */
        admin_report_bad_response(ctx, "SLOT_LIST");
        return ADMIN_EXIT_UNREACHABLE;
    }
    list = calloc(count > 0 ? count : 1, sizeof(*list));
    if (list == NULL) {
        admin_report_internal(ctx, "out of memory");
        return ADMIN_EXIT_INTERNAL;
    }
    for (uint32_t i = 0; i < count && sigil_rd_ok(&r); i++) {
        list[i].slot = sigil_rd_u32(&r);
        list[i].flags = sigil_rd_u32(&r);
        sigil_rd_str(&r, list[i].label, SIGIL_LABEL_MAX_LEN);
    }
    if (!sigil_rd_done(&r)) {
        free(list);
        admin_report_bad_response(ctx, "SLOT_LIST");
        return ADMIN_EXIT_UNREACHABLE;
    }
    *slots = list;
    *n = count;
    return ADMIN_EXIT_OK;
}

admin_exit admin_query_token(admin_ctx *ctx, uint32_t slot, admin_token *t)
{
    sigil_rd r;
    admin_exit e = slot_call(ctx, SIGIL_OP_TOKEN_INFO, slot, "TOKEN_INFO");
    if (e != ADMIN_EXIT_OK)
        return e;
    memset(t, 0, sizeof(*t));
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    t->flags = sigil_rd_u32(&r);
    sigil_rd_str(&r, t->label, SIGIL_LABEL_MAX_LEN);
    sigil_rd_str(&r, t->serial, 16);
    t->object_count = sigil_rd_u32(&r);
    t->login_state = sigil_rd_u32(&r);
    t->user_retries_left = sigil_rd_u32(&r);
    t->so_retries_left = sigil_rd_u32(&r);
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "TOKEN_INFO");
        return ADMIN_EXIT_UNREACHABLE;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_query_policy(admin_ctx *ctx, uint32_t slot, admin_policy *p)
{
    sigil_rd r;
    admin_exit e = slot_call(ctx, SIGIL_OP_POLICY_GET, slot, "POLICY_GET");
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    p->mode = sigil_rd_u8(&r);
    p->state = sigil_rd_u8(&r);
    p->max_sigs = sigil_rd_u32(&r);
    p->max_secs = sigil_rd_u32(&r);
    p->mechs = sigil_rd_u32(&r);
    p->not_before = sigil_rd_u64(&r);
    p->not_after = sigil_rd_u64(&r);
    p->signatures = sigil_rd_u64(&r);
    if (!sigil_rd_done(&r)) {
        admin_report_bad_response(ctx, "POLICY_GET");
        return ADMIN_EXIT_UNREACHABLE;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_query_objects(admin_ctx *ctx, uint32_t slot, sigil_obj_record **objs, size_t *n)
{
    sigil_rd r;
    sigil_obj_record *list = NULL;
    admin_exit e = slot_call(ctx, SIGIL_OP_OBJECT_LIST, slot, "OBJECT_LIST");
    *objs = NULL;
    *n = 0;
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    uint32_t count = sigil_rd_u32(&r);
    if (count > ctx->resp_len / 40) { /* a record takes at least 40 bytes */
        admin_report_bad_response(ctx, "OBJECT_LIST");
        return ADMIN_EXIT_UNREACHABLE;
    }
    list = calloc(count > 0 ? count : 1, sizeof(*list));
    if (list == NULL) {
        admin_report_internal(ctx, "out of memory");
        return ADMIN_EXIT_INTERNAL;
    }
    for (uint32_t i = 0; i < count && sigil_rd_ok(&r); i++)
        sigil_obj_record_read(&r, &list[i]);
    if (!sigil_rd_done(&r)) {
        free(list);
        admin_report_bad_response(ctx, "OBJECT_LIST");
        return ADMIN_EXIT_UNREACHABLE;
    }
    *objs = list;
    *n = count;
    return ADMIN_EXIT_OK;
}

admin_exit admin_query_device_keys(admin_ctx *ctx, char serial[17], uint8_t audit_pt[65], size_t *audit_len,
                                   uint8_t attest_pt[65], size_t *attest_len)
{
    sigil_rd r;
    const uint8_t *a, *b;
    admin_exit e = empty_call(ctx, SIGIL_OP_DEVICE_KEYS, "DEVICE_KEYS");
    if (e != ADMIN_EXIT_OK)
        return e;
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    sigil_rd_str(&r, serial, 16);
    a = sigil_rd_bytes(&r, 65, audit_len);
    b = sigil_rd_bytes(&r, 65, attest_len);
    if (!sigil_rd_done(&r) || *audit_len != 65 || *attest_len != 65) {
        admin_report_bad_response(ctx, "DEVICE_KEYS");
        return ADMIN_EXIT_UNREACHABLE;
    }
    memcpy(audit_pt, a, 65);
    memcpy(attest_pt, b, 65);
    return ADMIN_EXIT_OK;
}

/* ---- which seal ---------------------------------------------------------------------------- */

admin_exit admin_seal_sel_check(admin_ctx *ctx, const admin_seal_sel *sel)
{
    uint32_t v;
    if ((sel->label == NULL) == (sel->slot == NULL)) {
        admin_report_usage(ctx, "name the seal with --seal LABEL or --slot N (one of them)");
        return ADMIN_EXIT_USAGE;
    }
    if (sel->slot != NULL && admin_parse_u32(sel->slot, UINT32_MAX - 1, &v) != 0) {
        admin_report_usage(ctx, "--slot takes a slot number ('sigil-admin seal list' shows them)");
        return ADMIN_EXIT_USAGE;
    }
    if (sel->label != NULL && strlen(sel->label) > SIGIL_LABEL_MAX_LEN) {
        admin_report_usage(ctx, "a seal label is at most %u bytes", SIGIL_LABEL_MAX_LEN);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

admin_exit admin_seal_find(admin_ctx *ctx, const admin_seal_sel *sel, admin_seal *seal)
{
    admin_slot *slots = NULL;
    uint32_t n = 0, found = 0, want = 0;
    char clean[SIGIL_LABEL_MAX_LEN + 1];
    admin_exit e = admin_seal_sel_check(ctx, sel);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (sel->slot != NULL)
        (void)admin_parse_u32(sel->slot, UINT32_MAX - 1, &want);
    e = admin_query_slots(ctx, &slots, &n);
    if (e != ADMIN_EXIT_OK)
        return e;
    memset(seal, 0, sizeof(*seal));
    for (uint32_t i = 0; i < n; i++) {
        if (!(slots[i].flags & SIGIL_TOKEN_INITIALIZED))
            continue;
        bool match = sel->label != NULL ? strcmp(slots[i].label, sel->label) == 0 : slots[i].slot == want;
        if (!match)
            continue;
        if (found == 0) {
            seal->slot = slots[i].slot;
            snprintf(seal->label, sizeof seal->label, "%s", slots[i].label);
        }
        found++;
    }
    free(slots);
    if (found == 0) {
        if (sel->label != NULL) {
            admin_text_sanitise(clean, sizeof clean, sel->label);
            admin_report(ctx, ADMIN_EXIT_NOT_FOUND, "'sigil-admin seal list' shows the seals and their labels",
                         "no seal labelled '%s' on the appliance", clean);
        } else {
            admin_report(ctx, ADMIN_EXIT_NOT_FOUND, "'sigil-admin seal list' shows the seals and their slots",
                         "no seal in slot %u (free or no such slot)", want);
        }
        return ADMIN_EXIT_NOT_FOUND;
    }
    if (found > 1) {
        admin_text_sanitise(clean, sizeof clean, sel->label);
        admin_report_usage(ctx, "%u seals are labelled '%s': name one with --slot N", found, clean);
        return ADMIN_EXIT_USAGE;
    }
    return admin_query_token(ctx, seal->slot, &seal->token);
}

/* ---- key pairs ------------------------------------------------------------------------------ */

static bool is_key(const sigil_obj_record *r)
{
    return r->obj_class == SIGIL_CLASS_PUBLIC_KEY || r->obj_class == SIGIL_CLASS_PRIVATE_KEY;
}

static bool same_key(const sigil_obj_record *a, const sigil_obj_record *b)
{
    return a->key_type == b->key_type && a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0 &&
           a->pub_a_len == b->pub_a_len && memcmp(a->pub_a, b->pub_a, a->pub_a_len) == 0 &&
           a->pub_b_len == b->pub_b_len && memcmp(a->pub_b, b->pub_b, a->pub_b_len) == 0;
}

int admin_keypairs(const sigil_obj_record *objs, size_t n, admin_keypair **pairs, size_t *n_pairs)
{
    admin_keypair *p = calloc(n > 0 ? n : 1, sizeof(*p));
    bool *used = calloc(n > 0 ? n : 1, sizeof(*used));
    size_t k = 0;
    *pairs = NULL;
    *n_pairs = 0;
    if (p == NULL || used == NULL) {
        free(p);
        free(used);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (objs[i].obj_class != SIGIL_CLASS_PUBLIC_KEY)
            continue;
        p[k].pub = &objs[i];
        for (size_t j = 0; j < n; j++) {
            if (!used[j] && objs[j].obj_class == SIGIL_CLASS_PRIVATE_KEY && same_key(&objs[i], &objs[j])) {
                p[k].priv = &objs[j];
                used[j] = true;
                break;
            }
        }
        k++;
    }
    for (size_t j = 0; j < n; j++) {
        if (is_key(&objs[j]) && objs[j].obj_class == SIGIL_CLASS_PRIVATE_KEY && !used[j])
            p[k++].priv = &objs[j];
    }
    free(used);
    *pairs = p;
    *n_pairs = k;
    return 0;
}

const sigil_obj_record *admin_keypair_rec(const admin_keypair *k)
{
    return k->pub != NULL ? k->pub : k->priv;
}

admin_exit admin_keypair_pick(admin_ctx *ctx, const admin_seal *seal, const admin_keypair *pairs, size_t n,
                              const char *key_opt, size_t *index)
{
    char clean[SIGIL_LABEL_MAX_LEN + 1];
    char hint[160];
    admin_text_sanitise(clean, sizeof clean, seal->label);
    snprintf(hint, sizeof hint, "'sigil-admin seal show --slot %u' lists its keys; 'sigil-admin seal keygen' makes one",
             seal->slot);
    if (key_opt == NULL) {
        if (n == 0) {
            admin_report(ctx, ADMIN_EXIT_NOT_FOUND, hint, "seal '%s' has no key pair yet", clean);
            return ADMIN_EXIT_NOT_FOUND;
        }
        if (n > 1) {
            admin_report_usage(ctx, "seal '%s' has %zu key pairs: choose one with --key ID (hex CKA_ID) or --key LABEL",
                               clean, n);
            return ADMIN_EXIT_USAGE;
        }
        *index = 0;
        return ADMIN_EXIT_OK;
    }
    uint8_t id[SIGIL_ID_MAX_LEN];
    size_t id_len = 0;
    bool hex = admin_parse_hex(key_opt, id, sizeof id, &id_len) == 0;
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const sigil_obj_record *r = admin_keypair_rec(&pairs[i]);
        bool by_id = hex && r->id_len == id_len && memcmp(r->id, id, id_len) == 0;
        bool by_label = strcmp(r->label, key_opt) == 0;
        if (by_id || by_label) {
            if (found == 0)
                *index = i;
            found++;
        }
    }
    if (found == 0) {
        admin_report(ctx, ADMIN_EXIT_NOT_FOUND, hint, "seal '%s' has no key pair with that --key (CKA_ID or label)",
                     clean);
        return ADMIN_EXIT_NOT_FOUND;
    }
    if (found > 1) {
        admin_report_usage(ctx, "--key matches %zu key pairs of seal '%s': give the hex CKA_ID", found, clean);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

void admin_seal_uri(const admin_seal *seal, const sigil_obj_record *r, const char *type, char *out, size_t cap)
{
    admin_p11uri u = {
        .token = seal->label,
        .manufacturer = "Sigil",
        .serial = seal->token.serial[0] != '\0' ? seal->token.serial : NULL,
        .object = r != NULL && r->label[0] != '\0' ? r->label : NULL,
        .id = r != NULL ? r->id : NULL,
        .id_len = r != NULL ? r->id_len : 0,
        .type = type,
    };
    (void)admin_p11uri_format(&u, out, cap);
}

void admin_token_uri(const admin_seal *seal, char *out, size_t cap)
{
    admin_seal_uri(seal, NULL, NULL, out, cap);
}

/* ---- text helpers ----------------------------------------------------------------------------- */

void admin_print_kv(const char *label, const char *value)
{
    char clean[1024];
    admin_text_sanitise(clean, sizeof clean, value);
    printf("%-18s %s\n", label, clean);
}

const char *admin_state_name(uint8_t state)
{
    switch (state) {
    case SIGIL_SEAL_ACTIVE: return "active";
    case SIGIL_SEAL_SUSPENDED: return "suspended";
    case SIGIL_SEAL_REVOKED: return "revoked";
    default: return "unknown";
    }
}

const char *admin_mode_name(uint8_t mode)
{
    return mode == SIGIL_POLICY_PER_SIGNATURE ? "per-signature" : mode == SIGIL_POLICY_SESSION ? "session" : "unknown";
}

admin_exit admin_seal_keypairs(admin_ctx *ctx, const admin_seal_sel *sel, bool login, admin_seal *seal,
                               sigil_obj_record **objs, size_t *n, admin_keypair **pairs, size_t *np)
{
    *objs = NULL;
    *pairs = NULL;
    *n = *np = 0;
    admin_exit e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_find(ctx, sel, seal);
    if (e == ADMIN_EXIT_OK && login)
        e = admin_login_seal(ctx, seal->slot, SIGIL_USER_USER);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_objects(ctx, seal->slot, objs, n);
    if (e == ADMIN_EXIT_OK && admin_keypairs(*objs, *n, pairs, np) != 0) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
    }
    return e;
}

admin_exit admin_seal_private_key(admin_ctx *ctx, const admin_seal_sel *sel, const char *key_opt,
                                  admin_seal *seal, sigil_obj_record **objs, size_t *n,
                                  admin_keypair **pairs, size_t *np, size_t *pick)
{
    *objs = NULL;
    *pairs = NULL;
    admin_exit e = admin_seal_sel_check(ctx, sel);
    if (e == ADMIN_EXIT_OK)
        e = admin_seal_keypairs(ctx, sel, true, seal, objs, n, pairs, np);
    if (e == ADMIN_EXIT_OK)
        e = admin_keypair_pick(ctx, seal, *pairs, *np, key_opt, pick);
    if (e == ADMIN_EXIT_OK && (*pairs)[*pick].priv == NULL) {
        admin_report(ctx, ADMIN_EXIT_NOT_FOUND, "generate a key pair: sigil-admin seal keygen",
                     "the key pair chosen has no private key on the appliance");
        e = ADMIN_EXIT_NOT_FOUND;
    }
    return e;
}
