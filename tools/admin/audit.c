/* audit.c — audit export | verify | tail (the auditor's commands).
 *
 * export: AUDITOR_LOGIN, AUDIT_CHECKPOINT (the device's audit key signs the chain so far), then
 * AUDIT_READ in chunks from offset 0, cut right after that checkpoint: the file ends with a
 * signed checkpoint covering every record in it. verify: offline, the file and the device's
 * audit public key(s) (audit_verify.c). tail: the last records, in words.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "admin.h"

#define CHUNK (512u * 1024u)
#define TRAIL_MAX ((size_t)4 * 1024 * 1024 * 1024 - 1)

/* Reads the durable trail from offset 0 up to at least `upto` bytes (or all of it when upto is
 * 0) into *buf. */
static admin_exit read_trail(admin_ctx *ctx, uint64_t upto, uint8_t **buf, size_t *len, const char *what)
{
    uint8_t *b = NULL;
    size_t have = 0, cap = 0;
    uint64_t total = 0;
    admin_progress *prog = NULL;
    admin_exit e = ADMIN_EXIT_OK;
    bool first = true;
    *buf = NULL;
    *len = 0;
    for (;;) {
        uint8_t body[16];
        sigil_wr w;
        sigil_rd r;
        size_t n = 0;
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_u64(&w, have);
        sigil_wr_u32(&w, CHUNK);
        e = admin_call(ctx, SIGIL_OP_AUDIT_READ, &w, "reading the audit trail");
        if (e != ADMIN_EXIT_OK)
            break;
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        uint64_t durable = sigil_rd_u64(&r);
        const uint8_t *data = sigil_rd_bytes(&r, CHUNK, &n);
        if (!sigil_rd_done(&r) || durable > TRAIL_MAX || have + n > durable) {
            admin_report_bad_response(ctx, "AUDIT_READ");
            e = ADMIN_EXIT_UNREACHABLE;
            break;
        }
        if (first) {
            total = upto != 0 && upto < durable ? upto : durable;
            if (upto != 0 && durable < upto) {
                admin_report_bad_response(ctx, "AUDIT_READ (the trail is shorter than its checkpoint)");
                e = ADMIN_EXIT_UNREACHABLE;
                break;
            }
            prog = total > CHUNK ? admin_progress_start(ctx, what, total) : NULL;
            first = false;
        }
        if (have + n > cap) {
            size_t ncap = cap ? cap : CHUNK;
            while (ncap < have + n)
                ncap *= 2;
            uint8_t *g = realloc(b, ncap);
            if (g == NULL) {
                admin_report_internal(ctx, "out of memory reading the audit trail");
                e = ADMIN_EXIT_INTERNAL;
                break;
            }
            b = g;
            cap = ncap;
        }
        if (n > 0)
            memcpy(b + have, data, n);
        have += n;
        admin_progress_update(prog, have);
        if (have >= total || n == 0)
            break;
    }
    admin_progress_done(prog, e == ADMIN_EXIT_OK);
    if (e != ADMIN_EXIT_OK) {
        free(b);
        return e;
    }
    *buf = b;
    *len = have;
    return ADMIN_EXIT_OK;
}

/* Walks the records of buf; returns the offset just after record `seq` (0 when not found), and
 * counts the records up to there. */
static size_t cut_after(const uint8_t *buf, size_t len, uint64_t seq, uint64_t *records)
{
    size_t off = 0;
    *records = 0;
    while (off < len) {
        sigil_audit_rec r;
        size_t n = sigil_audit_decode(buf + off, len - off, &r);
        if (n == 0 || len - off < n + SIGIL_AUDIT_HASH_LEN)
            return 0;
        off += n + SIGIL_AUDIT_HASH_LEN;
        (*records)++;
        if (r.seq == seq)
            return off;
    }
    return 0;
}

admin_exit admin_cmd_audit_export(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false, no_cp = false;
    const char *out = NULL;
    const admin_opt opts[] = {
        {.name = "out", .kind = ADMIN_OPT_VALUE, .dest = &out},
        {.name = "no-checkpoint", .kind = ADMIN_OPT_FLAG, .dest = &no_cp},
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t seq = 0, records = 0;
    char err[512];
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (out == NULL) {
        admin_report_usage(ctx, "audit export needs --out FILE");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_login_auditor(ctx);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (!no_cp) {
        uint8_t body[8];
        sigil_wr w;
        sigil_rd r;
        sigil_wr_init(&w, body, sizeof body);
        e = admin_call(ctx, SIGIL_OP_AUDIT_CHECKPOINT, &w, "audit checkpoint");
        if (e != ADMIN_EXIT_OK)
            return e;
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        seq = sigil_rd_u64(&r);
        if (!sigil_rd_done(&r)) {
            admin_report_bad_response(ctx, "AUDIT_CHECKPOINT");
            return ADMIN_EXIT_UNREACHABLE;
        }
    }
    e = read_trail(ctx, 0, &buf, &len, "exporting the audit trail");
    if (e != ADMIN_EXIT_OK)
        return e;
    if (!no_cp) {
        size_t end = cut_after(buf, len, seq, &records);
        if (end == 0) {
            free(buf);
            admin_report_bad_response(ctx, "AUDIT_READ (the checkpoint is not in the trail read)");
            return ADMIN_EXIT_UNREACHABLE;
        }
        len = end;
    } else {
        (void)cut_after(buf, len, UINT64_MAX, &records);
    }
    if (admin_file_write(out, buf, len, 0640, false, err, sizeof err) != 0) {
        free(buf);
        admin_report(ctx, ADMIN_EXIT_USAGE, "choose a path in a writable directory", "%s", err);
        return ADMIN_EXIT_USAGE;
    }
    free(buf);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "file", out);
        admin_json_uint(&j, "bytes", len);
        admin_json_uint(&j, "records", records);
        if (no_cp)
            admin_json_null(&j, "checkpoint_seq");
        else
            admin_json_uint(&j, "checkpoint_seq", seq);
        admin_json_end(&j);
    } else {
        printf("Audit trail exported to %s: %llu records, %zu bytes", out, (unsigned long long)records, len);
        if (no_cp)
            printf(", without a final checkpoint.\n");
        else
            printf(", ending with checkpoint %llu.\n", (unsigned long long)seq);
        printf("Verify it offline: sigil-admin device keys --audit-key-out audit.pem, then\n"
               "  sigil-admin audit verify --in %s --key audit.pem%s%llu\n",
               out, no_cp ? "" : " --expect-seq ", no_cp ? 0ull : (unsigned long long)seq);
    }
    return ADMIN_EXIT_OK;
}

/* ---- verify ---------------------------------------------------------------------------------- */

typedef struct {
    const char *file;
    const admin_audit_report *rep;
} verify_out;

static void json_report(admin_json *j, void *arg)
{
    const verify_out *v = arg;
    const admin_audit_report *rep = v->rep;
    char t[32];
    admin_json_str(j, "file", v->file);
    admin_json_str(j, "verdict", rep->tampered ? "tampered" : rep->incomplete ? "incomplete" : "verified");
    admin_json_uint(j, "bytes", rep->bytes);
    admin_json_uint(j, "records", rep->records);
    admin_json_uint(j, "checkpoints", rep->checkpoints);
    admin_json_uint(j, "checkpoints_valid", rep->checkpoints_valid);
    admin_json_uint(j, "covered_records", rep->covered);
    if (rep->have_checkpoint) {
        admin_json_uint(j, "last_checkpoint_seq", rep->last_checkpoint_seq);
        admin_format_time(rep->last_checkpoint_time, t);
        admin_json_str(j, "last_checkpoint_time", t);
    } else {
        admin_json_null(j, "last_checkpoint_seq");
        admin_json_null(j, "last_checkpoint_time");
    }
    if (rep->records > 0) {
        admin_format_time(rep->first_time, t);
        admin_json_str(j, "first_time", t);
        admin_format_time(rep->last_time, t);
        admin_json_str(j, "last_time", t);
    }
    admin_json_uint(j, "problem_count", rep->total_problems);
    admin_json_arr_open(j, "problems");
    for (size_t i = 0; i < rep->n_problems; i++) {
        const admin_audit_problem *p = &rep->problems[i];
        admin_json_obj_open(j, NULL);
        admin_json_str(j, "kind", admin_audit_problem_name(p->kind));
        admin_json_uint(j, "seq", p->seq);
        admin_json_uint(j, "count", p->count);
        admin_json_uint(j, "offset", p->offset);
        admin_json_str(j, "message", p->message);
        admin_json_obj_close(j);
    }
    admin_json_arr_close(j);
}

admin_exit admin_cmd_audit_verify(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *in = NULL, *expect = NULL;
    admin_strlist keys = {.n = 0};
    const admin_opt opts[] = {
        {.name = "in", .kind = ADMIN_OPT_VALUE, .dest = &in},
        {.name = "key", .kind = ADMIN_OPT_LIST, .dest = &keys},
        {.name = "expect-seq", .kind = ADMIN_OPT_VALUE, .dest = &expect},
    };
    EVP_PKEY *pk[ADMIN_LIST_MAX] = {NULL};
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512];
    uint64_t expect_seq = UINT64_MAX;
    admin_audit_report *rep = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (in == NULL || keys.n == 0) {
        admin_report_usage(ctx, "audit verify needs --in FILE (from 'audit export') and --key PEM (the device's audit "
                                "key, from 'sigil-admin device keys --audit-key-out PEM')");
        return ADMIN_EXIT_USAGE;
    }
    if (expect != NULL) {
        char *end = NULL;
        unsigned long long v = strtoull(expect, &end, 10);
        if (end == expect || *end != '\0' || expect[0] == '-') {
            admin_report_usage(ctx, "--expect-seq takes the checkpoint number 'audit export' printed");
            return ADMIN_EXIT_USAGE;
        }
        expect_seq = v;
    }
    for (size_t i = 0; i < keys.n; i++) {
        pk[i] = admin_key_read_pem(keys.v[i], err, sizeof err);
        if (pk[i] == NULL) {
            admin_report(ctx, ADMIN_EXIT_BAD_FILE, "save the audit key with: sigil-admin device keys --audit-key-out "
                                                   "audit.pem",
                         "%s", err);
            e = ADMIN_EXIT_BAD_FILE;
            goto out;
        }
    }
    if (admin_file_read(in, TRAIL_MAX, &buf, &len, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_BAD_FILE, "give the file 'sigil-admin audit export' wrote", "%s", err);
        e = ADMIN_EXIT_BAD_FILE;
        goto out;
    }
    rep = malloc(sizeof(*rep));
    if (rep == NULL) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    admin_progress *prog = len > 4u * 1024 * 1024 ? admin_progress_start(ctx, "verifying the audit trail", len) : NULL;
    int rc = admin_audit_verify(buf, len, pk, keys.n, expect_seq, rep, admin_progress_cb, prog);
    admin_progress_done(prog, rc == 0);
    if (rc != 0) {
        admin_report_internal(ctx, "out of memory verifying the trail");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    verify_out vo = {.file = in, .rep = rep};
    if (rep->tampered || rep->incomplete) {
        e = rep->tampered ? ADMIN_EXIT_TAMPERED : ADMIN_EXIT_INCOMPLETE;
        /* Every problem on stderr; the sentence of the report sums them up. */
        for (size_t i = 0; i < rep->n_problems; i++)
            fprintf(stderr, "  %s: %s\n", admin_audit_problem_name(rep->problems[i].kind), rep->problems[i].message);
        if (rep->total_problems > rep->n_problems)
            fprintf(stderr, "  ... and %llu more\n", (unsigned long long)(rep->total_problems - rep->n_problems));
        if (rep->tampered)
            admin_report_extra(ctx, e,
                               "keep this file as evidence; export the trail again and compare. If the device was "
                               "zeroised, give every audit key it had (--key several times)",
                               json_report, &vo, "the audit trail %s FAILS verification: it was altered (%llu problem(s))",
                               in, (unsigned long long)rep->total_problems);
        else
            admin_report_extra(ctx, e,
                               "export the trail again with 'sigil-admin audit export' (it ends with a signed "
                               "checkpoint) and verify that file",
                               json_report, &vo,
                               "the audit trail %s is incomplete: truncated or exported without checkpoint", in);
        goto out;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_begin(&j, stdout);
        admin_json_bool(&j, "ok", true);
        admin_json_str(&j, "command", ctx->cmd->name);
        json_report(&j, &vo);
        admin_json_end(&j);
    } else {
        char t[32];
        admin_format_time(rep->last_checkpoint_time, t);
        printf("The audit trail %s is intact: %llu records, %llu signed checkpoints; the last, record %llu (%s),\n"
               "vouches for every record before it.\n",
               in, (unsigned long long)rep->records, (unsigned long long)rep->checkpoints_valid,
               (unsigned long long)rep->last_checkpoint_seq, t);
    }
out:
    free(rep);
    free(buf);
    for (size_t i = 0; i < keys.n; i++)
        EVP_PKEY_free(pk[i]);
    return e;
}

/* ---- tail ---------------------------------------------------------------------------------------- */

admin_exit admin_cmd_audit_tail(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *count_s = NULL;
    const admin_opt opts[] = {{.name = "count", .kind = ADMIN_OPT_VALUE, .dest = &count_s}};
    uint32_t count = 20;
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t *offs = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, 1, &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (count_s != NULL && (admin_parse_u32(count_s, 1000000, &count) != 0 || count == 0)) {
        admin_report_usage(ctx, "--count takes a number of records (1 to 1000000)");
        return ADMIN_EXIT_USAGE;
    }
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_login_auditor(ctx);
    if (e == ADMIN_EXIT_OK)
        e = read_trail(ctx, 0, &buf, &len, "reading the audit trail");
    if (e != ADMIN_EXIT_OK)
        return e;
    /* The offsets of the last `count` records, in a ring. */
    offs = calloc(count, sizeof(*offs));
    if (offs == NULL) {
        free(buf);
        admin_report_internal(ctx, "out of memory");
        return ADMIN_EXIT_INTERNAL;
    }
    size_t off = 0;
    uint64_t total = 0;
    while (off < len) {
        sigil_audit_rec r;
        size_t n = sigil_audit_decode(buf + off, len - off, &r);
        if (n == 0 || len - off < n + SIGIL_AUDIT_HASH_LEN)
            break;
        offs[total % count] = off;
        total++;
        off += n + SIGIL_AUDIT_HASH_LEN;
    }
    uint64_t first = total > count ? total - count : 0;
    admin_json j;
    if (ctx->json) {
        admin_json_head(&j, ctx);
        admin_json_uint(&j, "total_records", total);
        admin_json_arr_open(&j, "records");
    }
    for (uint64_t i = first; i < total; i++) {
        sigil_audit_rec r;
        char text[512], t[32];
        (void)sigil_audit_decode(buf + offs[i % count], len - offs[i % count], &r);
        admin_audit_describe(&r, text, sizeof text);
        admin_format_time(r.time, t);
        if (ctx->json) {
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "seq", r.seq);
            admin_json_str(&j, "time", t);
            admin_json_str(&j, "event", sigil_audit_event_name(r.event));
            admin_json_uint(&j, "event_code", r.event);
            admin_json_str(&j, "role", admin_audit_role_name(r.role));
            if (r.slot == SIGIL_AUDIT_NO_SLOT)
                admin_json_null(&j, "slot");
            else
                admin_json_uint(&j, "slot", r.slot);
            admin_json_str(&j, "status", sigil_status_name((sigil_status)r.status));
            admin_json_uint(&j, "status_code", r.status);
            admin_json_uint(&j, "context", r.ctx);
            admin_json_uint(&j, "handle", r.handle);
            admin_json_uint(&j, "mech", r.mech);
            admin_json_hex(&j, "data", r.data, r.data_len);
            admin_json_str(&j, "text", text);
            admin_json_obj_close(&j);
        } else {
            printf("%8llu  %s  %s\n", (unsigned long long)r.seq, t, text);
        }
    }
    if (ctx->json) {
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else if (total == 0) {
        printf("The audit trail is empty.\n");
    }
    free(offs);
    free(buf);
    return ADMIN_EXIT_OK;
}
