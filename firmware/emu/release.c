/* release.c — the release stage: answers held until their audit records are durable.
 *
 * A worker that has carried out a batch hands its answers over with the audit position
 * they wait for and goes straight on to the next requests: signing never waits for the
 * disk. One release thread makes the trail durable up to the newest position handed over
 * (one write and one sync for every batch waiting: group commit), then writes the answers
 * of every batch that position covers, and starts again with what arrived meanwhile. So
 * the CPUs sign while the disk syncs, and no answer leaves before its record is on disk:
 * an answer whose record did not become durable is refused instead (AUDIT_FAILURE, body
 * wiped), as sigil_fw_response_refused says.
 *
 * Pacing: a sync costs CPU time as well as waiting (the file system's journal, the block
 * layer, an interrupt), so under load syncs back to back take CPU from signing. While any
 * worker is still busy (more answers are about to be handed over), a sync starts no sooner
 * than the sync period (--sync-period-us) after the previous one started, unless
 * EMU_SYNC_BATCH answers already wait for it; once every worker is idle nothing more is
 * coming, and it starts at once. So a lone request never waits for the period, and at full
 * load each sync covers many more records (docs/performance.md has the measurements).
 *
 * Memory: a handed-over batch is a copy of its answers; every answer to a job holds the
 * job's in-flight place on its connection until written (EMU_MAX_IN_FLIGHT), so what
 * waits here is bounded by the connections' in-flight bounds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "sigil_secmem.h"

struct emu_rbatch {
    struct emu_rbatch *next;
    uint64_t upto;
    unsigned n;
    emu_held held[EMU_WORKER_BATCH];
    uint8_t data[];
};

/* True when none of held[i+1..n) goes to the same connection as held[i]. */
static bool last_for_conn(const emu_held *held, unsigned i, unsigned n)
{
    for (unsigned j = i + 1; j < n; j++)
        if (held[j].conn == held[i].conn)
            return false;
    return true;
}

/* Answers n held responses (in buf), st being the outcome of the wait for their records:
 * when it failed, each answer that waited for a record is refused instead. A connection's
 * answers are written together, at its last one of the batch. */
static void answer_held(uint8_t *buf, const emu_held *held, unsigned n, sigil_status st)
{
    for (unsigned i = 0; i < n; i++) {
        const emu_held *h = &held[i];
        uint8_t *resp = buf + h->off;
        size_t len = h->len;
        if (st != SIGIL_ST_OK && h->durable_upto != 0)
            len = sigil_fw_response_refused(resp, len, st);
        /* The in-flight place is given back once the answer is written (emu_conn_respond). */
        emu_conn_respond(h->conn, resp, len, h->close_conn, true, last_for_conn(held, i, n));
        sigil_wipe(resp, h->len);
        emu_conn_put(h->conn);
    }
}

static struct timespec ts_after(struct timespec t, long us)
{
    t.tv_nsec += us * 1000L;
    while (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Lock held, something handed over: waits until the sync period since the last sync's start
 * has passed, unless every worker is idle (or goes idle meanwhile: emu_release_kick). */
static void pace_locked(emu_release *r, const struct timespec *last_start)
{
    struct timespec now, until = ts_after(*last_start, (long)r->period_us);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!ts_before(&now, &until))
        return;
    atomic_store(&r->pacing, true); /* before looking at the workers: see emu_release_kick */
    while (!r->stopping && atomic_load(r->busy_workers) > 0 && r->n_waiting < EMU_SYNC_BATCH) {
        int rc = pthread_cond_timedwait(&r->cond, &r->lock, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    atomic_store(&r->pacing, false);
}

static void *release_main(void *arg)
{
    emu_release *r = arg;
    struct timespec last_start = {0, 0};

    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->head == NULL && !r->stopping)
            pthread_cond_wait(&r->cond, &r->lock);
        if (r->head == NULL) /* stopping, and everything handed over is answered */
            break;
        if (r->period_us > 0)
            pace_locked(r, &last_start);
        clock_gettime(CLOCK_MONOTONIC, &last_start);
        emu_rbatch *list = r->head;
        r->head = r->tail = NULL;
        r->n_waiting = 0;
        pthread_mutex_unlock(&r->lock);

        uint64_t upto = 0;
        for (emu_rbatch *b = list; b != NULL; b = b->next)
            if (b->upto > upto)
                upto = b->upto;
        sigil_status st = sigil_fw_audit_sync(r->fw, upto);
        while (list != NULL) {
            emu_rbatch *next = list->next;
            answer_held(list->data, list->held, list->n, st); /* wipes every answer */
            free(list);
            list = next;
        }
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int emu_release_start(emu_release *r, sigil_fw *fw, unsigned period_us, atomic_uint *busy_workers)
{
    pthread_condattr_t ca;

    r->fw = fw;
    r->head = r->tail = NULL;
    r->stopping = false;
    r->period_us = period_us;
    r->n_waiting = 0;
    r->busy_workers = busy_workers;
    atomic_init(&r->pacing, false);
    if (pthread_mutex_init(&r->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&r->cond, &ca) != 0) {
        pthread_mutex_destroy(&r->lock);
        return -1;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_create(&r->thread, NULL, release_main, r) != 0) {
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->lock);
        return -1;
    }
    (void)pthread_setname_np(r->thread, "sigil-release");
    return 0;
}

void emu_release_submit(emu_release *r, uint8_t *buf, const emu_held *held, unsigned n, uint64_t upto)
{
    if (n == 0)
        return;
    if (upto == 0) { /* nothing to wait for */
        answer_held(buf, held, n, SIGIL_ST_OK);
        return;
    }
    size_t len = 0;
    for (unsigned i = 0; i < n; i++)
        if (held[i].off + held[i].len > len)
            len = held[i].off + held[i].len;
    emu_rbatch *b = malloc(sizeof(*b) + len);
    if (b == NULL) {
        /* No room to hand over: wait here instead (slower, never lost). */
        answer_held(buf, held, n, sigil_fw_audit_sync(r->fw, upto));
        return;
    }
    b->next = NULL;
    b->upto = upto;
    b->n = n;
    memcpy(b->held, held, n * sizeof(*held));
    memcpy(b->data, buf, len);
    sigil_wipe(buf, len); /* the worker's copy is scratch */

    pthread_mutex_lock(&r->lock);
    bool was_empty = r->head == NULL;
    if (r->tail != NULL)
        r->tail->next = b;
    else
        r->head = b;
    r->tail = b;
    r->n_waiting += n;
    bool enough = atomic_load(&r->pacing) && r->n_waiting >= EMU_SYNC_BATCH;
    pthread_mutex_unlock(&r->lock);
    /* The thread sleeps only with nothing handed over, or while it paces (then enough
     * answers waiting end the pacing); while it syncs, it takes the new batches when it
     * comes back, without being woken. */
    if (was_empty || enough)
        pthread_cond_signal(&r->cond);
}

void emu_release_kick(emu_release *r)
{
    if (!atomic_load(&r->pacing)) /* after the caller's busy count went down */
        return;
    pthread_mutex_lock(&r->lock);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void emu_release_stop(emu_release *r)
{
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
}
