/* backup.c — backup domain create | join, backup create | restore.
 *
 * Appliances of one backup domain share a domain key (HKDF-SHA256 of a 32-byte secret the
 * first appliance makes and shows once). A backup file holds seals as the appliance exported
 * them, each encrypted under the domain key with its credentials, policy, counters, keys and
 * certificates (backup_file.c for the container). The file alone reveals no key. A restore
 * checks everything it can before it changes anything (the file's checksum, the domain, which
 * seals are there already, free slots); a seal already on the appliance is never restored over
 * (the appliance refuses: SEAL_EXISTS), so a restore that was interrupted is completed by
 * running it again.
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "sigil_secmem.h"

/* The domain id a secret gives (protocol.md, BACKUP_DOMAIN_CREATE). 0 ok. */
static int domain_id_of(const uint8_t secret[32], uint8_t id[8])
{
    static const char info[] = "sigil backup domain key v1";
    uint8_t key[32], h[32];
    int rc = -1;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, sizeof info - 1),
        OSSL_PARAM_construct_end(),
    };
    if (kctx != NULL && EVP_KDF_derive(kctx, key, sizeof key, params) == 1 && admin_sha256(key, sizeof key, h) == 0) {
        memcpy(id, h, 8);
        rc = 0;
    }
    sigil_wipe(key, sizeof key);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

/* ---- backup domain create | join ------------------------------------------------------------ */

admin_exit admin_cmd_backup_domain_create(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false, force = false;
    const char *secret_out = NULL;
    const admin_opt opts[] = {
        {.name = "secret-out", .kind = ADMIN_OPT_VALUE, .dest = &secret_out},
        {.name = "force", .kind = ADMIN_OPT_FLAG, .dest = &force},
    };
    admin_info info;
    uint8_t secret[32], id[8];
    char hex[65], idhex[17], err[512];
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_info(ctx, &info);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (info.backup_domain_len > 0 && !force) {
        admin_report_usage(ctx, "the appliance is in backup domain %s already; a new domain makes the backups of "
                                "that domain unrestorable here: add --force to replace it",
                           info.backup_domain_hex);
        return ADMIN_EXIT_USAGE;
    }
    /* The secret's file is made first (new, 0600): a path that cannot take it changes nothing. */
    int fd = -1;
    if (secret_out != NULL) {
        fd = open(secret_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            admin_report(ctx, ADMIN_EXIT_USAGE, "give --secret-out a new file in a writable directory",
                         "cannot create %s: %s: nothing done", secret_out, strerror(errno));
            return ADMIN_EXIT_USAGE;
        }
    }
    e = admin_login_admin(ctx);
    uint8_t body[8];
    sigil_wr w;
    sigil_rd r;
    size_t sn = 0, in = 0;
    sigil_wr_init(&w, body, sizeof body);
    if (e == ADMIN_EXIT_OK)
        e = admin_call(ctx, SIGIL_OP_BACKUP_DOMAIN_CREATE, &w, "backup domain create");
    if (e != ADMIN_EXIT_OK) {
        if (fd >= 0) {
            close(fd);
            unlink(secret_out);
        }
        return e;
    }
    sigil_rd_init(&r, ctx->resp, ctx->resp_len);
    const uint8_t *s = sigil_rd_bytes(&r, 32, &sn);
    const uint8_t *d = sigil_rd_bytes(&r, 8, &in);
    if (!sigil_rd_done(&r) || sn != 32 || in != 8) {
        if (fd >= 0) {
            close(fd);
            unlink(secret_out);
        }
        admin_report_bad_response(ctx, "BACKUP_DOMAIN_CREATE");
        return ADMIN_EXIT_UNREACHABLE;
    }
    memcpy(secret, s, 32);
    memcpy(id, d, 8);
    sigil_wipe(ctx->resp, ctx->resp_len);
    admin_hex(secret, 32, hex);
    admin_hex(id, 8, idhex);
    if (fd >= 0) {
        char line[80];
        snprintf(line, sizeof line, "%s\n", hex);
        bool ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0;
        sigil_wipe(line, sizeof line);
        close(fd);
        if (!ok) {
            /* The domain exists now: the secret must not be lost. Show it rather than lose it. */
            snprintf(err, sizeof err, "%s", strerror(errno));
            fprintf(stderr, "sigil-admin: could not write the secret to %s (%s); here it is, shown once:\n%s\n",
                    secret_out, err, hex);
            admin_report(ctx, ADMIN_EXIT_USAGE, "keep the secret printed above safe: it is not shown again",
                         "the backup domain %s was created but its secret could not be written", idhex);
            sigil_wipe(hex, sizeof hex);
            sigil_wipe(secret, sizeof secret);
            return ADMIN_EXIT_USAGE;
        }
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "domain_id", idhex);
        if (secret_out != NULL)
            admin_json_str(&j, "secret_file", secret_out);
        else
            admin_json_str(&j, "secret", hex);
        admin_json_end(&j);
    } else {
        printf("Backup domain %s created.\n", idhex);
        if (secret_out != NULL)
            printf("Its secret is in %s (mode 0600). Keep it offline: with it, any appliance joins the domain.\n",
                   secret_out);
        else
            printf("Its secret, shown this once (keep it offline; with it, any appliance joins the domain):\n%s\n", hex);
        printf("On the other appliances: sigil-admin backup domain join\n");
    }
    sigil_wipe(hex, sizeof hex);
    sigil_wipe(secret, sizeof secret);
    return ADMIN_EXIT_OK;
}

admin_exit admin_cmd_backup_domain_join(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false, force = false;
    const char *secret_file = NULL;
    const admin_opt opts[] = {
        {.name = "secret-file", .kind = ADMIN_OPT_VALUE, .dest = &secret_file},
        {.name = "force", .kind = ADMIN_OPT_FLAG, .dest = &force},
    };
    admin_info info;
    uint8_t secret[32], id[8];
    char idhex[17];
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_info(ctx, &info);
    if (e != ADMIN_EXIT_OK)
        return e;
    e = admin_secret_get(ctx, secret_file, secret);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (domain_id_of(secret, id) != 0) {
        sigil_wipe(secret, sizeof secret);
        admin_report_internal(ctx, "HKDF unavailable");
        return ADMIN_EXIT_INTERNAL;
    }
    admin_hex(id, 8, idhex);
    bool same = info.backup_domain_len == 8 && memcmp(info.backup_domain, id, 8) == 0;
    if (info.backup_domain_len > 0 && !same && !force) {
        sigil_wipe(secret, sizeof secret);
        admin_report_usage(ctx, "the appliance is in backup domain %s; joining %s makes the backups of the former "
                                "unrestorable here: add --force",
                           info.backup_domain_hex, idhex);
        return ADMIN_EXIT_USAGE;
    }
    if (!same) {
        e = admin_login_admin(ctx);
        if (e != ADMIN_EXIT_OK) {
            sigil_wipe(secret, sizeof secret);
            return e;
        }
        uint8_t body[48];
        sigil_wr w;
        sigil_rd r;
        size_t n = 0;
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_bytes(&w, secret, 32);
        e = admin_call(ctx, SIGIL_OP_BACKUP_DOMAIN_JOIN, &w, "backup domain join");
        sigil_wipe(body, sizeof body);
        sigil_wipe(secret, sizeof secret);
        if (e != ADMIN_EXIT_OK)
            return e;
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        const uint8_t *d = sigil_rd_bytes(&r, 8, &n);
        if (!sigil_rd_done(&r) || n != 8 || memcmp(d, id, 8) != 0) {
            admin_report_bad_response(ctx, "BACKUP_DOMAIN_JOIN (another domain id than the secret gives)");
            return ADMIN_EXIT_UNREACHABLE;
        }
    }
    sigil_wipe(secret, sizeof secret);
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "domain_id", idhex);
        admin_json_bool(&j, "changed", !same);
        admin_json_end(&j);
    } else if (same) {
        printf("The appliance is in backup domain %s already: nothing changed.\n", idhex);
    } else {
        printf("The appliance joined backup domain %s: it restores that domain's backups.\n", idhex);
    }
    return ADMIN_EXIT_OK;
}

/* ---- backup create ---------------------------------------------------------------------------- */

admin_exit admin_cmd_backup_create(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    admin_seal_sel sel = {NULL, NULL};
    const char *out = NULL;
    const admin_opt opts[] = {ADMIN_SEAL_OPTS(sel), {.name = "out", .kind = ADMIN_OPT_VALUE, .dest = &out}};
    admin_slot *slots = NULL;
    uint32_t n = 0;
    admin_backup_entry *ent = NULL;
    uint8_t **blobs = NULL;
    size_t n_ent = 0;
    uint32_t *skipped = NULL;
    size_t n_skipped = 0;
    uint8_t *file = NULL;
    size_t file_len = 0;
    char err[512];
    admin_info info;
    admin_progress *prog = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (out == NULL) {
        admin_report_usage(ctx, "backup create needs --out FILE");
        return ADMIN_EXIT_USAGE;
    }
    bool one = sel.label != NULL || sel.slot != NULL;
    admin_seal only;
    if (one && (e = admin_seal_sel_check(ctx, &sel)) != ADMIN_EXIT_OK)
        return e;
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK && one)
        e = admin_seal_find(ctx, &sel, &only);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_info(ctx, &info);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_slots(ctx, &slots, &n);
    if (e != ADMIN_EXIT_OK)
        return e;
    if (info.backup_domain_len == 0) {
        free(slots);
        admin_report_refused(ctx, SIGIL_ST_NO_BACKUP_DOMAIN, "backup create");
        return ADMIN_EXIT_REFUSED;
    }
    ent = calloc(n > 0 ? n : 1, sizeof(*ent));
    blobs = calloc(n > 0 ? n : 1, sizeof(*blobs));
    skipped = calloc(n > 0 ? n : 1, sizeof(*skipped));
    if (ent == NULL || blobs == NULL || skipped == NULL) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    e = admin_login_admin(ctx);
    if (e != ADMIN_EXIT_OK)
        goto out;
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += (slots[i].flags & SIGIL_TOKEN_INITIALIZED) && (!one || slots[i].slot == only.slot);
    prog = total > 1 ? admin_progress_start(ctx, "backing up seals", total) : NULL;
    uint32_t done = 0;
    for (uint32_t i = 0; i < n; i++) {
        const admin_slot *s = &slots[i];
        admin_policy p;
        admin_token t;
        if (!(s->flags & SIGIL_TOKEN_INITIALIZED) || (one && s->slot != only.slot))
            continue;
        admin_progress_update(prog, done++);
        e = admin_query_policy(ctx, s->slot, &p);
        if (e == ADMIN_EXIT_OK)
            e = admin_query_token(ctx, s->slot, &t);
        if (e != ADMIN_EXIT_OK)
            goto out;
        if (p.state == SIGIL_SEAL_REVOKED) {
            if (one) {
                admin_report_refused(ctx, SIGIL_ST_SEAL_REVOKED, "backup create");
                e = ADMIN_EXIT_REFUSED;
                goto out;
            }
            skipped[n_skipped++] = i;
            continue;
        }
        uint8_t body[8];
        sigil_wr w;
        sigil_rd r;
        size_t bl = 0;
        sigil_wr_init(&w, body, sizeof body);
        sigil_wr_u32(&w, s->slot);
        e = admin_call(ctx, SIGIL_OP_BACKUP_EXPORT, &w, "backup export");
        if (e != ADMIN_EXIT_OK)
            goto out;
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        const uint8_t *blob = sigil_rd_bytes(&r, SIGIL_FRAME_MAX_BODY, &bl);
        if (!sigil_rd_done(&r) || admin_backup_blob_domain(blob, bl) == NULL) {
            admin_report_bad_response(ctx, "BACKUP_EXPORT");
            e = ADMIN_EXIT_UNREACHABLE;
            goto out;
        }
        blobs[n_ent] = malloc(bl);
        if (blobs[n_ent] == NULL) {
            admin_report_internal(ctx, "out of memory");
            e = ADMIN_EXIT_INTERNAL;
            goto out;
        }
        memcpy(blobs[n_ent], blob, bl);
        admin_backup_entry *en = &ent[n_ent];
        snprintf(en->label, sizeof en->label, "%s", s->label);
        snprintf(en->serial, sizeof en->serial, "%s", t.serial);
        en->slot = s->slot;
        en->blob = blobs[n_ent];
        en->blob_len = bl;
        n_ent++;
    }
    admin_progress_done(prog, true);
    prog = NULL;
    if (n_ent == 0) {
        admin_report(ctx, ADMIN_EXIT_NOT_FOUND, "create a seal first (sigil-admin seal create)",
                     "no seal to back up (revoked seals are never backed up)");
        e = ADMIN_EXIT_NOT_FOUND;
        goto out;
    }
    if (admin_backup_file_encode(ent, n_ent, &file, &file_len) != 0) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    if (admin_file_write(out, file, file_len, 0600, false, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "choose a path in a writable directory", "%s", err);
        e = ADMIN_EXIT_USAGE;
        goto out;
    }
    if (ctx->json) {
        admin_json j;
        admin_json_head(&j, ctx);
        admin_json_str(&j, "file", out);
        admin_json_uint(&j, "bytes", file_len);
        admin_json_str(&j, "domain_id", info.backup_domain_hex);
        admin_json_arr_open(&j, "seals");
        for (size_t i = 0; i < n_ent; i++) {
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "slot", ent[i].slot);
            admin_json_str(&j, "label", ent[i].label);
            admin_json_str(&j, "serial", ent[i].serial);
            admin_json_uint(&j, "bytes", ent[i].blob_len);
            admin_json_obj_close(&j);
        }
        admin_json_arr_close(&j);
        admin_json_arr_open(&j, "skipped");
        for (size_t i = 0; i < n_skipped; i++) {
            admin_json_obj_open(&j, NULL);
            admin_json_uint(&j, "slot", slots[skipped[i]].slot);
            admin_json_str(&j, "label", slots[skipped[i]].label);
            admin_json_str(&j, "reason", "revoked");
            admin_json_obj_close(&j);
        }
        admin_json_arr_close(&j);
        admin_json_end(&j);
    } else {
        printf("%zu seal(s) backed up to %s (backup domain %s):\n", n_ent, out, info.backup_domain_hex);
        for (size_t i = 0; i < n_ent; i++)
            printf("  slot %u  %s  (serial %s)\n", ent[i].slot, ent[i].label, ent[i].serial);
        for (size_t i = 0; i < n_skipped; i++)
            printf("  slot %u  %s  skipped: revoked\n", slots[skipped[i]].slot, slots[skipped[i]].label);
        printf("The file reveals no key; it restores on appliances of this domain: sigil-admin backup restore --in %s\n",
               out);
    }
out:
    admin_progress_done(prog, e == ADMIN_EXIT_OK);
    for (size_t i = 0; blobs != NULL && i < n_ent; i++)
        free(blobs[i]);
    free(blobs);
    free(ent);
    free(skipped);
    free(file);
    free(slots);
    return e;
}

/* ---- backup restore ---------------------------------------------------------------------------- */

typedef struct {
    const admin_backup_entry *ent;
    size_t n;
    const char **result; /* per entry: "restored", "already_present", NULL (not done) */
    const uint32_t *slot;
} restore_out;

static void json_restore(admin_json *j, void *arg)
{
    const restore_out *ro = arg;
    admin_json_arr_open(j, "seals");
    for (size_t i = 0; i < ro->n; i++) {
        admin_json_obj_open(j, NULL);
        admin_json_str(j, "label", ro->ent[i].label);
        admin_json_str(j, "serial", ro->ent[i].serial);
        admin_json_uint(j, "original_slot", ro->ent[i].slot);
        if (ro->result[i] != NULL && strcmp(ro->result[i], "restored") == 0)
            admin_json_uint(j, "slot", ro->slot[i]);
        else
            admin_json_null(j, "slot");
        admin_json_str(j, "result", ro->result[i] != NULL ? ro->result[i] : "not_restored");
        admin_json_obj_close(j);
    }
    admin_json_arr_close(j);
}

admin_exit admin_cmd_backup_restore(admin_ctx *ctx, int argc, char **argv)
{
    bool help = false;
    const char *in = NULL, *only = NULL;
    const admin_opt opts[] = {
        {.name = "in", .kind = ADMIN_OPT_VALUE, .dest = &in},
        {.name = "seal", .kind = ADMIN_OPT_VALUE, .dest = &only},
    };
    uint8_t *file = NULL;
    size_t file_len = 0, n = 0;
    admin_backup_entry *ent = NULL;
    const char **result = NULL;
    uint32_t *slot = NULL;
    bool *want = NULL;
    char err[512];
    admin_info info;
    admin_slot *slots = NULL;
    uint32_t n_slots = 0;
    admin_progress *prog = NULL;
    admin_exit e = admin_parse(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &help);

    if (e != ADMIN_EXIT_OK || help)
        return e;
    if (in == NULL) {
        admin_report_usage(ctx, "backup restore needs --in FILE (from 'sigil-admin backup create')");
        return ADMIN_EXIT_USAGE;
    }
    /* The file first: a corrupt one changes nothing and asks for nothing. */
    ent = calloc(ADMIN_BACKUP_MAX_SEALS, sizeof(*ent));
    if (ent == NULL) {
        admin_report_internal(ctx, "out of memory");
        return ADMIN_EXIT_INTERNAL;
    }
    if (admin_file_read(in, (size_t)ADMIN_BACKUP_MAX_SEALS * SIGIL_FRAME_MAX_BODY, &file, &file_len, err,
                        sizeof err) != 0 ||
        admin_backup_file_decode(file, file_len, ent, ADMIN_BACKUP_MAX_SEALS, &n, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_BAD_FILE, "use an intact copy of the file 'sigil-admin backup create' wrote",
                     "%s: nothing restored", err);
        e = ADMIN_EXIT_BAD_FILE;
        goto out;
    }
    result = calloc(n, sizeof(*result));
    slot = calloc(n, sizeof(*slot));
    want = calloc(n, sizeof(*want));
    if (result == NULL || slot == NULL || want == NULL) {
        admin_report_internal(ctx, "out of memory");
        e = ADMIN_EXIT_INTERNAL;
        goto out;
    }
    size_t n_want = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = only == NULL || strcmp(ent[i].label, only) == 0;
        n_want += want[i];
    }
    if (n_want == 0) {
        admin_report(ctx, ADMIN_EXIT_NOT_FOUND, "leave out --seal to restore every seal of the file",
                     "the backup file holds no seal labelled '%s'", only);
        e = ADMIN_EXIT_NOT_FOUND;
        goto out;
    }
    e = admin_connect(ctx);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_info(ctx, &info);
    if (e == ADMIN_EXIT_OK)
        e = admin_query_slots(ctx, &slots, &n_slots);
    if (e != ADMIN_EXIT_OK)
        goto out;
    /* Before anything changes: the domain, the seals already here, room for the others. */
    if (info.backup_domain_len == 0) {
        admin_report_refused(ctx, SIGIL_ST_NO_BACKUP_DOMAIN, "backup restore");
        e = ADMIN_EXIT_REFUSED;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (want[i] && memcmp(admin_backup_blob_domain(ent[i].blob, ent[i].blob_len), info.backup_domain, 8) != 0) {
            admin_report_refused(ctx, SIGIL_ST_BACKUP_WRONG_DOMAIN, "backup restore");
            e = ADMIN_EXIT_REFUSED;
            goto out;
        }
    }
    uint32_t free_slots = 0;
    size_t needed = n_want;
    for (uint32_t k = 0; k < n_slots; k++) {
        admin_token t;
        if (!(slots[k].flags & SIGIL_TOKEN_INITIALIZED)) {
            free_slots++;
            continue;
        }
        e = admin_query_token(ctx, slots[k].slot, &t);
        if (e != ADMIN_EXIT_OK)
            goto out;
        for (size_t i = 0; i < n; i++) {
            if (want[i] && result[i] == NULL && t.serial[0] != '\0' && strcmp(t.serial, ent[i].serial) == 0) {
                result[i] = "already_present";
                needed--;
            }
        }
    }
    if (needed > free_slots) {
        admin_report(ctx, ADMIN_EXIT_REFUSED, "free slots are made only by a new appliance: restore fewer seals (--seal LABEL)",
                     "the appliance has %u free slot(s) for %zu seal(s) to restore: nothing restored", free_slots, needed);
        e = ADMIN_EXIT_REFUSED;
        goto out;
    }
    if (needed > 0) {
        e = admin_login_admin(ctx);
        if (e != ADMIN_EXIT_OK)
            goto out;
    }
    prog = needed > 1 ? admin_progress_start(ctx, "restoring seals", needed) : NULL;
    size_t restored = 0;
    for (size_t i = 0; i < n; i++) {
        if (!want[i] || result[i] != NULL)
            continue;
        admin_progress_update(prog, restored);
        uint8_t *body = malloc(ent[i].blob_len + 8);
        sigil_wr w;
        sigil_rd r;
        sigil_status st = SIGIL_ST_GENERAL_ERROR;
        if (body == NULL) {
            admin_report_internal(ctx, "out of memory");
            e = ADMIN_EXIT_INTERNAL;
            break;
        }
        sigil_wr_init(&w, body, ent[i].blob_len + 8);
        sigil_wr_bytes(&w, ent[i].blob, ent[i].blob_len);
        bool was = ctx->reported;
        ctx->reported = true; /* a lost connection is reported below, with what was done */
        e = admin_call_quiet(ctx, SIGIL_OP_BACKUP_RESTORE, &w, &st);
        ctx->reported = was;
        free(body);
        char what[96];
        snprintf(what, sizeof what, "restoring seal '%s'", ent[i].label);
        if (e != ADMIN_EXIT_OK) {
            restore_out ro = {.ent = ent, .n = n, .result = result, .slot = slot};
            if (restored > 0) {
                e = ADMIN_EXIT_INTERRUPTED;
                admin_report_extra(ctx, e, "run the same restore again: the seals restored already are skipped",
                                   json_restore, &ro,
                                   "the restore was interrupted at seal '%s' (the appliance at %s was lost): %zu seal(s) "
                                   "restored, the others not; the appliance holds no half-restored seal",
                                   ent[i].label, ctx->address, restored);
            } else {
                admin_report_extra(ctx, e, "check that the appliance runs, then run the same restore again",
                                   json_restore, &ro,
                                   "lost the appliance at %s while restoring seal '%s': nothing restored", ctx->address,
                                   ent[i].label);
            }
            break;
        }
        if (st == SIGIL_ST_SEAL_EXISTS) {
            result[i] = "already_present";
            continue;
        }
        if (st != SIGIL_ST_OK) {
            if (restored > 0) {
                char msg[256];
                snprintf(msg, sizeof msg, "%s (%zu seal(s) restored before it, listed in the output)", what, restored);
                admin_report_status(ctx, ADMIN_EXIT_INTERRUPTED, st,
                                    "fix the cause, then run the same restore again: the seals restored are skipped",
                                    msg);
                e = ADMIN_EXIT_INTERRUPTED;
            } else if (st == SIGIL_ST_INTEGRITY_FAILURE) {
                admin_report_status(ctx, ADMIN_EXIT_BAD_FILE, st,
                                    "the backup was edited or is not from this domain's appliances: use an intact copy",
                                    what);
                e = ADMIN_EXIT_BAD_FILE;
            } else {
                admin_report_refused(ctx, st, what);
                e = ADMIN_EXIT_REFUSED;
            }
            break;
        }
        sigil_rd_init(&r, ctx->resp, ctx->resp_len);
        slot[i] = sigil_rd_u32(&r);
        if (!sigil_rd_done(&r)) {
            admin_report_bad_response(ctx, "BACKUP_RESTORE");
            e = ADMIN_EXIT_UNREACHABLE;
            break;
        }
        result[i] = "restored";
        restored++;
    }
    admin_progress_done(prog, e == ADMIN_EXIT_OK);
    prog = NULL;
    if (e != ADMIN_EXIT_OK)
        goto out;
    if (ctx->json) {
        admin_json j;
        restore_out ro = {.ent = ent, .n = n, .result = result, .slot = slot};
        admin_json_head(&j, ctx);
        admin_json_str(&j, "file", in);
        admin_json_uint(&j, "restored", restored);
        json_restore(&j, &ro);
        admin_json_end(&j);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!want[i])
                continue;
            if (strcmp(result[i], "restored") == 0)
                printf("Seal '%s' (serial %s) restored into slot %u.\n", ent[i].label, ent[i].serial, slot[i]);
            else
                printf("Seal '%s' (serial %s) is on the appliance already: skipped.\n", ent[i].label, ent[i].serial);
        }
        printf("Restored seals keep their PINs, policy, counters, keys and certificates.\n");
    }
out:
    admin_progress_done(prog, false);
    free(slots);
    free(want);
    free(slot);
    free(result);
    free(ent);
    free(file);
    return e;
}
