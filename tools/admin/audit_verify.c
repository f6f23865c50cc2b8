/* audit_verify.c — the offline verifier of an exported audit trail (specs/audit.md), pure.
 *
 * It needs nothing but the file and the device's audit public key(s). In one pass it parses
 * every record, recomputes each link of the hash chain (SHA-256 of the previous record's hash
 * as the file has it, the record's length and body) and checks each checkpoint's signature
 * (ECDSA P-256 over SHA-256 of "SIGIL-AUDIT-CHECKPOINT-V1" | u64 seq | hash of the record
 * before it). Then it looks at the sequence numbers as a whole, so that a deleted record is
 * reported as deleted, a moved one as reordered, a copied one as duplicated, and a link that
 * breaks for no such reason as an edit. A trail is verified when nothing was altered and it
 * ends with a checkpoint whose signature verifies: that checkpoint vouches for every record
 * before it. Anything after the last such checkpoint, or a file that ends inside a record, is
 * reported as incomplete ("truncated or exported without checkpoint").
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

typedef struct {
    uint64_t seq;
    uint64_t offset;
    uint64_t time;
    bool link_ok;
    bool checkpoint;
    bool cp_ok;
    bool dup;       /* a later copy of a sequence number seen before */
    bool reordered; /* comes after a record with a higher number */
} rec_info;

typedef struct {
    uint64_t seq;
    size_t pos;
} seq_pos;

const char *admin_audit_problem_name(admin_audit_problem_kind k)
{
    switch (k) {
    case ADMIN_AUDIT_EDITED: return "edited";
    case ADMIN_AUDIT_DELETED: return "deleted";
    case ADMIN_AUDIT_REORDERED: return "reordered";
    case ADMIN_AUDIT_DUPLICATED: return "duplicated";
    case ADMIN_AUDIT_BAD_SIGNATURE: return "bad_signature";
    case ADMIN_AUDIT_MALFORMED: return "malformed";
    case ADMIN_AUDIT_TRUNCATED: return "truncated";
    case ADMIN_AUDIT_UNCOVERED: return "uncovered";
    case ADMIN_AUDIT_NO_CHECKPOINT: return "no_checkpoint";
    case ADMIN_AUDIT_SHORT: return "short";
    }
    return "unknown";
}

bool admin_audit_problem_tampers(admin_audit_problem_kind k)
{
    return k == ADMIN_AUDIT_EDITED || k == ADMIN_AUDIT_DELETED || k == ADMIN_AUDIT_REORDERED ||
           k == ADMIN_AUDIT_DUPLICATED || k == ADMIN_AUDIT_BAD_SIGNATURE || k == ADMIN_AUDIT_MALFORMED;
}

static void problem(admin_audit_report *rep, admin_audit_problem_kind kind, uint64_t seq, uint64_t count,
                    uint64_t offset, const char *fmt, ...) ADMIN_PRINTF(6, 7);

static void problem(admin_audit_report *rep, admin_audit_problem_kind kind, uint64_t seq, uint64_t count,
                    uint64_t offset, const char *fmt, ...)
{
    rep->total_problems++;
    if (admin_audit_problem_tampers(kind))
        rep->tampered = true;
    else
        rep->incomplete = true;
    if (rep->n_problems >= ADMIN_AUDIT_PROBLEMS_MAX)
        return;
    admin_audit_problem *p = &rep->problems[rep->n_problems++];
    p->kind = kind;
    p->seq = seq;
    p->count = count;
    p->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof(p->message), fmt, ap);
    va_end(ap);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int cmp_seq_pos(const void *a, const void *b)
{
    const seq_pos *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : 0;
}

static bool checkpoint_ok(const sigil_audit_rec *r, const uint8_t prev[SIGIL_AUDIT_HASH_LEN], EVP_PKEY *const *keys,
                          size_t n_keys)
{
    uint8_t msg[sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1 + 8 + SIGIL_AUDIT_HASH_LEN];
    size_t l = sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1;
    if (r->data_len != 64)
        return false;
    memcpy(msg, SIGIL_AUDIT_CHECKPOINT_LABEL, l);
    for (int i = 0; i < 8; i++)
        msg[l + (size_t)i] = (uint8_t)(r->seq >> (56 - 8 * i));
    memcpy(msg + l + 8, prev, SIGIL_AUDIT_HASH_LEN);
    for (size_t k = 0; k < n_keys; k++) {
        if (admin_ecdsa_verify_sha256(keys[k], msg, sizeof(msg), r->data, r->data_len))
            return true;
    }
    return false;
}

/* Pass 1: every record, its link and its checkpoint signature. */
static int parse(const uint8_t *buf, size_t len, EVP_PKEY *const *keys, size_t n_keys, admin_audit_report *rep,
                 rec_info **out, size_t *n_out, admin_progress_fn progress, void *progress_arg)
{
    static const uint8_t zero[SIGIL_AUDIT_HASH_LEN];
    const uint8_t *prev = zero;
    size_t off = 0, n = 0, cap = 0;
    rec_info *recs = NULL;
    uint8_t link[SIGIL_AUDIT_HASH_LEN + SIGIL_AUDIT_RECORD_MAX];
    const size_t min_body = 8 + 8 + 2 + 2 + 4 * 5 + 4;

    while (off < len) {
        size_t left = len - off;
        if (left < 4) {
            problem(rep, ADMIN_AUDIT_TRUNCATED, n, 0, off,
                    "the file ends inside a record (offset %zu, %zu byte(s) left): truncated", off, left);
            break;
        }
        uint32_t body_len = be32(buf + off);
        if (body_len > SIGIL_AUDIT_BODY_MAX || body_len < min_body) {
            problem(rep, ADMIN_AUDIT_MALFORMED, n, 0, off,
                    "bytes at offset %zu are not an audit record (length field %" PRIu32
                    "): edited; nothing after them can be checked",
                    off, body_len);
            break;
        }
        size_t need = 4 + (size_t)body_len + SIGIL_AUDIT_HASH_LEN;
        if (left < need) {
            problem(rep, ADMIN_AUDIT_TRUNCATED, n, 0, off,
                    "the file ends inside a record (offset %zu, %zu of its %zu bytes): truncated", off, left, need);
            break;
        }
        sigil_audit_rec r;
        if (sigil_audit_decode(buf + off, 4 + (size_t)body_len, &r) != 4 + (size_t)body_len) {
            problem(rep, ADMIN_AUDIT_MALFORMED, n, 0, off,
                    "the record at offset %zu does not parse: edited; nothing after it can be checked", off);
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            rec_info *g = realloc(recs, ncap * sizeof(*g));
            if (g == NULL) {
                free(recs);
                return -1;
            }
            recs = g;
            cap = ncap;
        }
        const uint8_t *stored = buf + off + 4 + body_len;
        uint8_t h[SIGIL_AUDIT_HASH_LEN];
        memcpy(link, prev, SIGIL_AUDIT_HASH_LEN);
        memcpy(link + SIGIL_AUDIT_HASH_LEN, buf + off, 4 + (size_t)body_len);
        if (admin_sha256(link, SIGIL_AUDIT_HASH_LEN + 4 + (size_t)body_len, h) != 0) {
            free(recs);
            return -1;
        }
        rec_info *ri = &recs[n];
        memset(ri, 0, sizeof(*ri));
        ri->seq = r.seq;
        ri->offset = off;
        ri->time = r.time;
        ri->link_ok = memcmp(h, stored, SIGIL_AUDIT_HASH_LEN) == 0;
        if (r.event == SIGIL_AUDIT_EV_CHECKPOINT) {
            ri->checkpoint = true;
            ri->cp_ok = checkpoint_ok(&r, prev, keys, n_keys);
            rep->checkpoints++;
            if (ri->cp_ok)
                rep->checkpoints_valid++;
        }
        if (n == 0)
            rep->first_time = r.time;
        rep->last_time = r.time;
        prev = stored;
        off += need;
        n++;
        if (progress != NULL && n % 4096 == 0)
            progress(progress_arg, off, len);
    }
    rep->records = n;
    rep->bytes = len;
    *out = recs;
    *n_out = n;
    return 0;
}

/* Pass 2: sequence numbers as a whole (deleted, duplicated, reordered). */
static int check_sequence(rec_info *recs, size_t n, admin_audit_report *rep)
{
    seq_pos *sp;
    if (n == 0)
        return 0;
    sp = malloc(n * sizeof(*sp));
    if (sp == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        sp[i] = (seq_pos){.seq = recs[i].seq, .pos = i};
    qsort(sp, n, sizeof(*sp), cmp_seq_pos);
    uint64_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && sp[i].seq == sp[i - 1].seq) {
            recs[sp[i].pos].dup = true;
            problem(rep, ADMIN_AUDIT_DUPLICATED, sp[i].seq, 1, recs[sp[i].pos].offset,
                    "record %" PRIu64 " appears more than once (again at offset %" PRIu64 "): copied into the trail",
                    sp[i].seq, recs[sp[i].pos].offset);
            continue;
        }
        if (sp[i].seq > expect) {
            uint64_t missing = sp[i].seq - expect;
            if (missing == 1)
                problem(rep, ADMIN_AUDIT_DELETED, expect, 1, recs[sp[i].pos].offset,
                        "record %" PRIu64 " is missing (before offset %" PRIu64 "): deleted", expect,
                        recs[sp[i].pos].offset);
            else
                problem(rep, ADMIN_AUDIT_DELETED, expect, missing, recs[sp[i].pos].offset,
                        "records %" PRIu64 " to %" PRIu64 " (%" PRIu64 ") are missing (before offset %" PRIu64
                        "): deleted",
                        expect, sp[i].seq - 1, missing, recs[sp[i].pos].offset);
        }
        expect = sp[i].seq + 1;
    }
    free(sp);
    uint64_t max = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].dup)
            continue;
        if (any && recs[i].seq < max) {
            recs[i].reordered = true;
            problem(rep, ADMIN_AUDIT_REORDERED, recs[i].seq, 1, recs[i].offset,
                    "record %" PRIu64 " (offset %" PRIu64 ") comes after record %" PRIu64 ": reordered", recs[i].seq,
                    recs[i].offset, max);
        }
        if (!any || recs[i].seq > max)
            max = recs[i].seq;
        any = true;
    }
    return 0;
}

int admin_audit_verify(const uint8_t *buf, size_t len, EVP_PKEY *const *keys, size_t n_keys, uint64_t expect_seq,
                       admin_audit_report *rep, admin_progress_fn progress, void *progress_arg)
{
    rec_info *recs = NULL;
    size_t n = 0;
    char when[32];

    memset(rep, 0, sizeof(*rep));
    if (parse(buf, len, keys, n_keys, rep, &recs, &n, progress, progress_arg) != 0)
        return -1;
    if (check_sequence(recs, n, rep) != 0) {
        free(recs);
        return -1;
    }
    /* Links: a break not explained by the sequence is an edit. */
    for (size_t i = 0; i < n; i++) {
        if (recs[i].link_ok)
            continue;
        bool explained = recs[i].dup || recs[i].reordered || (i == 0 && recs[i].seq != 0) ||
                         (i > 0 && (recs[i].seq != recs[i - 1].seq + 1 || recs[i - 1].dup || recs[i - 1].reordered));
        if (explained)
            continue;
        problem(rep, ADMIN_AUDIT_EDITED, recs[i].seq, 1, recs[i].offset,
                "record %" PRIu64 " (offset %" PRIu64 ") does not chain to the record before it: it or the record "
                "before it was edited",
                recs[i].seq, recs[i].offset);
    }
    /* Checkpoints: each must verify; the last one that does vouches for everything before it. */
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].checkpoint)
            continue;
        if (!recs[i].cp_ok) {
            admin_format_time(recs[i].time, when);
            problem(rep, ADMIN_AUDIT_BAD_SIGNATURE, recs[i].seq, 1, recs[i].offset,
                    "the signature of checkpoint %" PRIu64 " (%s) does not verify: records before it were altered, "
                    "or the key given is not this device's audit key",
                    recs[i].seq, when);
            continue;
        }
        last = i;
    }
    if (last != SIZE_MAX) {
        rep->have_checkpoint = true;
        rep->last_checkpoint_seq = recs[last].seq;
        rep->last_checkpoint_time = recs[last].time;
        rep->covered = (uint64_t)last + 1;
    }
    if (n == 0 && rep->total_problems == 0) {
        problem(rep, ADMIN_AUDIT_NO_CHECKPOINT, 0, 0, 0, "the file holds no audit record");
    } else if (last == SIZE_MAX && n > 0) {
        problem(rep, ADMIN_AUDIT_NO_CHECKPOINT, recs[0].seq, n, 0,
                "no record is covered by a signed checkpoint: truncated or exported without checkpoint");
    } else if (last != SIZE_MAX && last + 1 < n) {
        admin_format_time(recs[last].time, when);
        problem(rep, ADMIN_AUDIT_UNCOVERED, recs[last + 1].seq, (uint64_t)(n - last - 1), recs[last + 1].offset,
                "%zu record(s) after checkpoint %" PRIu64 " (%s) are not covered by a signed checkpoint: truncated "
                "or exported without checkpoint",
                n - last - 1, recs[last].seq, when);
    }
    if (last != SIZE_MAX && expect_seq != UINT64_MAX && recs[last].seq < expect_seq)
        problem(rep, ADMIN_AUDIT_SHORT, recs[last].seq, expect_seq - recs[last].seq, recs[last].offset,
                "the last signed checkpoint is record %" PRIu64 ", older than the expected %" PRIu64
                ": records at the end were cut",
                recs[last].seq, expect_seq);
    if (progress != NULL)
        progress(progress_arg, len, len);
    free(recs);
    return 0;
}

/* ---- describing records -------------------------------------------------------------------- */

const char *admin_audit_role_name(uint16_t role)
{
    switch (role) {
    case SIGIL_AUDIT_ROLE_NONE: return "nobody";
    case SIGIL_AUDIT_ROLE_ADMIN: return "administrator";
    case SIGIL_AUDIT_ROLE_AUDITOR: return "auditor";
    case SIGIL_AUDIT_ROLE_SEAL_SO: return "seal administrator";
    case SIGIL_AUDIT_ROLE_SEAL_USER: return "seal user";
    case SIGIL_AUDIT_ROLE_DEVICE: return "device";
    default: return "unknown role";
    }
}

static const char *mech_name(uint32_t m)
{
    switch (m) {
    case SIGIL_MECH_ECDSA: return "ECDSA";
    case SIGIL_MECH_RSA_PKCS: return "RSA-PKCS";
    case SIGIL_MECH_RSA_PSS: return "RSA-PSS";
    default: return "mechanism?";
    }
}

void admin_audit_describe(const sigil_audit_rec *r, char *out, size_t cap)
{
    size_t used = 0;
    char hex[2 * SIGIL_AUDIT_DATA_MAX + 1];
    int k = snprintf(out, cap, "%s by %s", sigil_audit_event_name(r->event), admin_audit_role_name(r->role));
#define ADD(...)                                                                       \
    do {                                                                               \
        if (k >= 0 && (size_t)k < cap - used) {                                        \
            used += (size_t)k;                                                         \
            k = snprintf(out + used, cap - used, __VA_ARGS__);                         \
        }                                                                              \
    } while (0)
    if (r->slot != SIGIL_AUDIT_NO_SLOT)
        ADD(", slot %" PRIu32, r->slot);
    if (r->handle != 0)
        ADD(", handle %" PRIu32, r->handle);
    switch (r->event) {
    case SIGIL_OP_SIGN:
    case SIGIL_OP_SIGN_BATCH:
        ADD(", %s", mech_name(r->mech));
        break;
    case SIGIL_OP_GENERATE_KEYPAIR:
        ADD(", %" PRIu32 " bits", r->mech);
        break;
    case SIGIL_AUDIT_EV_INTENT:
        if (r->data_len == 2)
            ADD(", %s about to change stored state", sigil_opcode_name((uint16_t)(r->data[0] << 8 | r->data[1])));
        break;
    default:
        break;
    }
    if (r->ctx != 0)
        ADD(", context %" PRIu32, r->ctx);
    ADD(": %s", sigil_status_name((sigil_status)r->status));
    if ((r->event == SIGIL_OP_SIGN || r->event == SIGIL_OP_SIGN_BATCH) && r->data_len == 32) {
        admin_hex(r->data, r->data_len, hex);
        ADD(", input sha256 %s", hex);
    } else if (r->event == SIGIL_AUDIT_EV_DEVICE_START && r->data_len > 0) {
        char text[SIGIL_AUDIT_DATA_MAX + 1];
        memcpy(text, r->data, r->data_len);
        text[r->data_len] = '\0';
        admin_text_sanitise(hex, sizeof(hex), text);
        ADD(", %s", hex);
    } else if (r->event != SIGIL_AUDIT_EV_CHECKPOINT && r->event != SIGIL_AUDIT_EV_INTENT && r->data_len > 0) {
        admin_hex(r->data, r->data_len, hex);
        ADD(", data %s", hex);
    }
    ADD("%s", "");
#undef ADD
}
