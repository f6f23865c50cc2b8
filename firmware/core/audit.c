/* audit.c — the audit trail: a SHA-256 hash chain of records appended to the
 * log "audit.log", group-committed.
 *
 * A caller's record is chained and queued under the audit lock; the first
 * waiter becomes the leader, writes every queued record in one durable append
 * and wakes the others. So a signature is released only once its record is
 * on stable storage, and at full speed many records share one fsync.
 * If an append fails the trail is marked failed and stays so (fail closed):
 * every audited command is refused with AUDIT_FAILURE until the device restarts
 * and the trail can be written again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define AUDIT_LOG "audit.log"
#define AUDIT_READ_CHUNK (64u * 1024u)
#define AUDIT_HEAD "audit-head" /* before appliance record v4: the last durable checkpoint (u64 seq) */

static sigil_status chain(fw_audit *a, const uint8_t *enc, size_t len, uint8_t out[32])
{
    uint8_t buf[SIGIL_AUDIT_HASH_LEN + SIGIL_AUDIT_RECORD_MAX];
    memcpy(buf, a->head, SIGIL_AUDIT_HASH_LEN);
    memcpy(buf + SIGIL_AUDIT_HASH_LEN, enc, len);
    return sigil_crypto_sha256(buf, SIGIL_AUDIT_HASH_LEN + len, out);
}

static sigil_status queue_locked(sigil_fw *fw, sigil_audit_rec *r, uint64_t *seq);

/* Queues a checkpoint: the device's audit key signs the chain so far (lock held). */
static sigil_status queue_checkpoint_locked(sigil_fw *fw, uint64_t *seq)
{
    fw_audit *a = &fw->audit;
    uint8_t msg[sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1 + 8 + SIGIL_AUDIT_HASH_LEN];
    size_t l = sizeof(SIGIL_AUDIT_CHECKPOINT_LABEL) - 1;
    sigil_audit_rec r = {.event = SIGIL_AUDIT_EV_CHECKPOINT, .role = SIGIL_AUDIT_ROLE_DEVICE,
                         .slot = SIGIL_AUDIT_NO_SLOT, .data_len = 64};

    if (fw->audit_key == NULL)
        return SIGIL_ST_GENERAL_ERROR;
    memcpy(msg, SIGIL_AUDIT_CHECKPOINT_LABEL, l);
    for (int i = 0; i < 8; i++)
        msg[l + (size_t)i] = (uint8_t)(a->next_seq >> (56 - 8 * i));
    memcpy(msg + l + 8, a->head, SIGIL_AUDIT_HASH_LEN);
    sigil_status st = fw_devkey_sign(fw->audit_key, msg, sizeof(msg), r.data);
    if (st != SIGIL_ST_OK)
        return st;
    st = queue_locked(fw, &r, seq);
    if (st == SIGIL_ST_OK)
        a->checkpoint_seq = *seq + 1; /* remembered once durable: see wait_durable_locked */
    return st;
}

/* Queues one record (lock held), and a checkpoint after every
 * FW_AUDIT_CHECKPOINT_EVERY records. Returns the record's sequence number in *seq. */
static sigil_status queue_locked(sigil_fw *fw, sigil_audit_rec *r, uint64_t *seq)
{
    fw_audit *a = &fw->audit;
    uint8_t enc[SIGIL_AUDIT_RECORD_MAX];
    uint8_t hash[SIGIL_AUDIT_HASH_LEN];
    size_t n;
    sigil_status st;

    r->seq = a->next_seq;
    r->time = fw->plat->ops->time_now(fw->plat);
    n = sigil_audit_encode(r, enc, sizeof(enc) - SIGIL_AUDIT_HASH_LEN);
    if (n == 0)
        return SIGIL_ST_GENERAL_ERROR;
    st = chain(a, enc, n, hash);
    if (st != SIGIL_ST_OK)
        return st;
    memcpy(enc + n, hash, SIGIL_AUDIT_HASH_LEN);
    n += SIGIL_AUDIT_HASH_LEN;
    if (a->pending_len + n > a->pending_cap) {
        size_t cap = a->pending_cap ? a->pending_cap * 2 : 64 * 1024;
        while (cap < a->pending_len + n)
            cap *= 2;
        uint8_t *p = realloc(a->pending, cap);
        if (p == NULL)
            return SIGIL_ST_NO_MEMORY;
        a->pending = p;
        a->pending_cap = cap;
    }
    memcpy(a->pending + a->pending_len, enc, n);
    a->pending_len += n;
    memcpy(a->head, hash, SIGIL_AUDIT_HASH_LEN);
    *seq = a->next_seq++;
    if (r->event != SIGIL_AUDIT_EV_CHECKPOINT && fw->audit_key != NULL &&
        a->next_seq % FW_AUDIT_CHECKPOINT_EVERY == 0) {
        uint64_t cseq;
        return queue_checkpoint_locked(fw, &cseq);
    }
    return SIGIL_ST_OK;
}

/* Lock held, no write in progress: writes and syncs everything queued so far in one
 * append, the lock dropped meanwhile; wakes the waiters. When the append made a checkpoint
 * durable, the appliance record is then told how long the trail is at least, still with
 * the audit lock dropped: the workers go on queueing records meanwhile (that write costs as
 * much as several syncs). */
static void flush_locked(sigil_fw *fw)
{
    fw_audit *a = &fw->audit;
    uint8_t *buf = a->pending;
    size_t buf_cap = a->pending_cap, len = a->pending_len;
    uint64_t upto = a->next_seq;
    uint64_t vouch = 0;
    a->pending = a->spare;
    a->pending_cap = a->spare_cap;
    a->pending_len = 0;
    a->spare = NULL;
    a->spare_cap = 0;
    a->flushing = true;
    pthread_mutex_unlock(&a->lock);
    int rc = fw->plat->ops->log_append(fw->plat, AUDIT_LOG, buf, len);
    pthread_mutex_lock(&a->lock);
    a->spare = buf;
    a->spare_cap = buf_cap;
    if (rc == SIGIL_STORE_OK) {
        a->durable_seq = upto;
        a->log_size += len;
        if (a->checkpoint_seq != 0 && a->checkpoint_seq <= upto) {
            vouch = a->checkpoint_seq;
            a->checkpoint_seq = 0;
        }
    } else {
        a->failed = true;
    }
    pthread_cond_broadcast(&a->cond);
    if (vouch != 0) {
        /* A checkpoint is durable: the appliance record remembers how long the trail is at
         * least, so that a trail cut at a record boundary, or deleted, is noticed at the
         * next start (the appliance record cannot go without stopping the start-up). The
         * next flush waits for this one (flushing stays set), so vouches never go back.
         * No lock nesting: appl_lock is taken with the audit lock dropped. */
        pthread_mutex_unlock(&a->lock);
        sigil_status st = fw_appliance_vouch_audit(fw, vouch);
        pthread_mutex_lock(&a->lock);
        if (st != SIGIL_ST_OK)
            a->failed = true;
    }
    a->flushing = false;
    pthread_cond_broadcast(&a->cond);
}

/* Waits until record seq is durable (lock held); the first waiter leads the write for
 * everyone queued so far, the others wait for it. */
static sigil_status wait_durable_locked(sigil_fw *fw, uint64_t seq)
{
    fw_audit *a = &fw->audit;
    while (!a->failed && a->durable_seq <= seq) {
        if (a->flushing)
            pthread_cond_wait(&a->cond, &a->lock);
        else
            flush_locked(fw);
    }
    return a->failed ? SIGIL_ST_AUDIT_FAILURE : SIGIL_ST_OK;
}

/* Queues recs[0..n) (lock held); *upto is the position after the last one. */
static sigil_status queue_many_locked(sigil_fw *fw, sigil_audit_rec *recs, size_t n, uint64_t *upto)
{
    sigil_status st = SIGIL_ST_OK;
    uint64_t seq = 0;
    for (size_t i = 0; i < n && st == SIGIL_ST_OK; i++)
        st = fw->audit.failed ? SIGIL_ST_AUDIT_FAILURE : queue_locked(fw, &recs[i], &seq);
    *upto = st == SIGIL_ST_OK ? seq + 1 : 0;
    return st;
}

sigil_status fw_audit_queue(sigil_fw *fw, sigil_audit_rec *r, uint64_t *upto)
{
    pthread_mutex_lock(&fw->audit.lock);
    sigil_status st = queue_many_locked(fw, r, 1, upto);
    pthread_mutex_unlock(&fw->audit.lock);
    return st;
}

sigil_status fw_audit_sync(sigil_fw *fw, uint64_t upto)
{
    if (upto == 0)
        return SIGIL_ST_OK;
    pthread_mutex_lock(&fw->audit.lock);
    sigil_status st = wait_durable_locked(fw, upto - 1);
    pthread_mutex_unlock(&fw->audit.lock);
    return st;
}

sigil_status fw_audit_write_many(sigil_fw *fw, sigil_audit_rec *recs, size_t n)
{
    uint64_t upto = 0;

    if (n == 0)
        return SIGIL_ST_OK;
    pthread_mutex_lock(&fw->audit.lock);
    sigil_status st = queue_many_locked(fw, recs, n, &upto);
    if (st == SIGIL_ST_OK)
        st = wait_durable_locked(fw, upto - 1);
    pthread_mutex_unlock(&fw->audit.lock);
    return st;
}

sigil_status fw_audit_write(sigil_fw *fw, sigil_audit_rec *r)
{
    return fw_audit_write_many(fw, r, 1);
}

sigil_status fw_audit_checkpoint(sigil_fw *fw, uint64_t *seq)
{
    fw_audit *a = &fw->audit;
    sigil_status st;
    pthread_mutex_lock(&a->lock);
    st = a->failed ? SIGIL_ST_AUDIT_FAILURE : queue_checkpoint_locked(fw, seq);
    if (st == SIGIL_ST_OK)
        st = wait_durable_locked(fw, *seq);
    pthread_mutex_unlock(&a->lock);
    return st;
}

sigil_status fw_audit_read(sigil_fw *fw, uint64_t off, uint8_t *buf, size_t cap, size_t *len, uint64_t *total)
{
    fw_audit *a = &fw->audit;
    pthread_mutex_lock(&a->lock);
    uint64_t durable = a->log_size;
    pthread_mutex_unlock(&a->lock);
    *len = 0;
    *total = durable;
    if (off >= durable)
        return SIGIL_ST_OK;
    if (cap > durable - off)
        cap = (size_t)(durable - off);
    int rc = fw->plat->ops->log_read(fw->plat, "audit.log", off, buf, cap, len);
    return rc == SIGIL_STORE_OK ? SIGIL_ST_OK : SIGIL_ST_STORAGE_FAILURE;
}

uint64_t fw_audit_records(sigil_fw *fw)
{
    pthread_mutex_lock(&fw->audit.lock);
    uint64_t n = fw->audit.durable_seq;
    pthread_mutex_unlock(&fw->audit.lock);
    return n;
}

bool fw_audit_ok(sigil_fw *fw)
{
    pthread_mutex_lock(&fw->audit.lock);
    bool ok = !fw->audit.failed;
    pthread_mutex_unlock(&fw->audit.lock);
    return ok;
}

/* A device event (no caller). */
sigil_status fw_audit_device_event(sigil_fw *fw, uint16_t event, uint32_t status,
                                   const void *data, size_t data_len)
{
    sigil_audit_rec r = {.event = event, .role = SIGIL_AUDIT_ROLE_DEVICE, .slot = SIGIL_AUDIT_NO_SLOT,
                         .status = status};
    if (data_len > sizeof(r.data))
        data_len = sizeof(r.data);
    if (data_len > 0)
        memcpy(r.data, data, data_len);
    r.data_len = data_len;
    return fw_audit_write(fw, &r);
}

/* Reads the existing trail, checks its chain, and finds where to go on.
 * A torn last record (a crash in the middle of an append) is set aside as
 * "audit-torn-<offset>" and reported by a TORN_TAIL record; a record whose
 * hash does not chain is tampering: the device refuses to start. */
sigil_status fw_audit_open(sigil_fw *fw, char *why, size_t why_len)
{
    fw_audit *a = &fw->audit;
    uint8_t *buf = malloc(AUDIT_READ_CHUNK + SIGIL_AUDIT_RECORD_MAX);
    size_t have = 0, got = 0;
    uint64_t off = 0, consumed = 0;
    sigil_status st = SIGIL_ST_OK;
    bool eof = false;

    if (pthread_mutex_init(&a->lock, NULL) != 0 || pthread_cond_init(&a->cond, NULL) != 0 || buf == NULL) {
        free(buf);
        return SIGIL_ST_NO_MEMORY;
    }
    memset(a->head, 0, sizeof(a->head));
    a->next_seq = 0;
    for (;;) {
        if (!eof && have < SIGIL_AUDIT_RECORD_MAX) {
            int rc = fw->plat->ops->log_read(fw->plat, AUDIT_LOG, off, buf + have, AUDIT_READ_CHUNK, &got);
            if (rc == SIGIL_STORE_MISSING) {
                got = 0;
            } else if (rc != SIGIL_STORE_OK) {
                snprintf(why, why_len, "audit trail unreadable");
                st = SIGIL_ST_STORAGE_FAILURE;
                goto out;
            }
            eof = got == 0;
            have += got;
            off += got;
        }
        if (have == 0)
            break;
        sigil_audit_rec r;
        uint8_t hash[SIGIL_AUDIT_HASH_LEN];
        size_t n = sigil_audit_decode(buf, have, &r);
        if (n == 0 || have < n + SIGIL_AUDIT_HASH_LEN) {
            if (!eof && have < SIGIL_AUDIT_RECORD_MAX)
                continue; /* read more */
            if (have < SIGIL_AUDIT_RECORD_MAX)
                break; /* less than one record left at the end: a torn tail */
            /* A whole record's worth of bytes that is no record: damaged, not torn. */
            snprintf(why, why_len,
                     "audit trail damaged at record %llu (offset %llu): a record that does not parse; export "
                     "it with 'sigil-admin audit export' and investigate",
                     (unsigned long long)a->next_seq, (unsigned long long)consumed);
            st = SIGIL_ST_INTEGRITY_FAILURE;
            goto out;
        }
        st = chain(a, buf, n, hash);
        if (st != SIGIL_ST_OK)
            goto out;
        if (!sigil_ct_equal(hash, buf + n, SIGIL_AUDIT_HASH_LEN) || r.seq != a->next_seq) {
            snprintf(why, why_len,
                     "audit trail fails verification at record %llu (offset %llu): edited, reordered or "
                     "deleted records; export it with 'sigil-admin audit export' and investigate",
                     (unsigned long long)a->next_seq, (unsigned long long)consumed);
            st = SIGIL_ST_INTEGRITY_FAILURE;
            goto out;
        }
        memcpy(a->head, hash, sizeof(hash));
        a->next_seq++;
        n += SIGIL_AUDIT_HASH_LEN;
        consumed += n;
        memmove(buf, buf + n, have - n);
        have -= n;
    }
    a->durable_seq = a->next_seq;
    a->log_size = consumed;
    {
        /* How long the trail was at least: the appliance record, or (written by earlier
         * firmware) the head record. */
        uint64_t at_least = fw->audit_vouched;
        uint8_t head[8];
        size_t hl = 0;
        sigil_status hst = fw_sealed_read(fw, AUDIT_HEAD, head, sizeof(head), &hl);
        if (hst == SIGIL_ST_OK && hl == sizeof(head)) {
            uint64_t legacy = 0;
            for (int i = 0; i < 8; i++)
                legacy = legacy << 8 | head[i];
            if (legacy > at_least)
                at_least = legacy;
        } else if (hst != SIGIL_ST_OBJECT_INVALID) {
            snprintf(why, why_len, "the audit trail's head record is unreadable or edited");
            st = hst == SIGIL_ST_OK ? SIGIL_ST_INTEGRITY_FAILURE : hst;
            goto out;
        }
        if (a->next_seq < at_least) {
            snprintf(why, why_len,
                     "audit trail cut: it holds %llu records but held at least %llu (deleted or truncated "
                     "records); investigate with 'sigil-admin audit verify' on an earlier export",
                     (unsigned long long)a->next_seq, (unsigned long long)at_least);
            st = SIGIL_ST_INTEGRITY_FAILURE;
            goto out;
        }
    }
    if (have > 0) {
        /* Set the torn bytes aside, cut the log, and say so in the trail itself. */
        char name[SIGIL_STORAGE_NAME_MAX];
        snprintf(name, sizeof(name), "audit-torn-%llu", (unsigned long long)consumed);
        uint64_t torn = have;
        if (fw->plat->ops->store_write(fw->plat, name, buf, have) != SIGIL_STORE_OK ||
            fw->plat->ops->log_truncate(fw->plat, AUDIT_LOG, consumed) != SIGIL_STORE_OK) {
            snprintf(why, why_len, "cannot set aside the torn tail of the audit trail");
            st = SIGIL_ST_STORAGE_FAILURE;
            goto out;
        }
        uint8_t d[8];
        for (int i = 0; i < 8; i++)
            d[i] = (uint8_t)(torn >> (56 - 8 * i));
        st = fw_audit_device_event(fw, SIGIL_AUDIT_EV_TORN_TAIL, SIGIL_ST_INTEGRITY_FAILURE, d, sizeof(d));
        a->torn_tails++;
    }
out:
    free(buf);
    return st;
}

void fw_audit_close(sigil_fw *fw)
{
    fw_audit *a = &fw->audit;
    free(a->pending);
    free(a->spare);
    a->pending = a->spare = NULL;
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
}
