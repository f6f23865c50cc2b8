/* client.c — sigil_client: a small fixed pool of connections to one appliance, one
 * application context (every connection does HELLO with the same 16-byte app token).
 *
 * Pipelined mode, per connection (sigil_pconn):
 *   - callers register a waiter (request id -> response buffer, semaphore) in the pending
 *     table and append their frame to the out buffer, all under the connection's mutex;
 *   - the first caller that finds no flush in progress becomes the flusher: it swaps the out
 *     buffer for the spare one and writes it with the mutex dropped, again and again until
 *     nothing is pending (leader/follower), so concurrent callers share writes; when the
 *     reader has just woken several callers at once, the flusher first yields the CPU so
 *     that they can append (they are about to send again) and one write carries them all;
 *   - one reader thread receives whatever has arrived, splits it into responses, takes
 *     their waiters out of the table under one lock acquisition, copies each body into its
 *     caller's buffer and posts the caller's semaphore;
 *   - nobody holds the mutex across a write, a read or a wait for a response.
 * A connection breaks on a failed write or read, or on a response that makes no sense
 * (unknown request id, wrong opcode, body too large): its transport is shut down (which
 * wakes the reader), every pending call fails with CONN_LOST, and the connection is
 * reopened by the next call that picks it, after the old reader has been joined. A call
 * whose frame had not yet been handed to the transport when its connection broke is
 * retried on another connection, like a call that found its connection dead in lock-step
 * mode: nothing of it reached the appliance.
 *
 * Connections fill in order (pick()): callers share the first until it has SIGIL_CONN_FILL
 * requests in flight, because the batches are what makes a round trip cheap; the others open
 * lazily, for load beyond that (and after a connection breaks).
 *
 * Lock-step mode: each call takes a whole connection for one round trip (no threads).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigil_client.h"
#include "sigil_secmem.h"

#define SIGIL_ADDR_MAX 512u
#define SIGIL_FW_VERSION_MAX 64u
#define SIGIL_CONNS_MAX 64u
#define SIGIL_SEND_INLINE 4096u          /* lock-step: requests up to this go out in one write */
#define SIGIL_PENDING_BUCKETS 64u        /* pending table, by request id */
#define SIGIL_READ_CHUNK (64u * 1024u)   /* the reader's buffer: one recv of up to this */
#define SIGIL_READ_BATCH 64u             /* responses matched under one lock acquisition */
#define SIGIL_OUT_KEEP (256u * 1024u)    /* a buffer grown beyond this is freed after use */
#define SIGIL_READER_STACK (256u * 1024u)
#define SIGIL_CONN_FILL 64u              /* in flight on a connection before the next is used
                                            (the appliance's per-connection bound) */

/* Internal: the connection broke before any byte of the request went to the transport. */
#define SIGIL_CLIENT_RETRY ((sigil_client_result)100)

typedef enum {
    PCONN_CLOSED = 0, /* never opened, or closed after a failure (lock-step) */
    PCONN_OPENING,    /* one caller is connecting and doing HELLO */
    PCONN_READY,
    PCONN_BROKEN,     /* shut down, pending calls failed; reader exiting or gone */
} pconn_state;

typedef struct sigil_waiter {
    uint32_t id;
    uint16_t opcode;
    uint64_t batch; /* generation of the out buffer the frame went into */
    uint8_t *resp;
    size_t resp_cap;
    size_t resp_len;
    sigil_status status;
    sigil_client_result res;
    sem_t done;
    struct sigil_waiter *next;
} sigil_waiter;

typedef struct {
    uint8_t *p;
    size_t len;
    size_t cap;
} obuf;

typedef struct sigil_pconn {
    sigil_client *c;
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* state left OPENING, or a flush ended on a broken connection */
    _Atomic int state;  /* pconn_state; written under mu, peeked without it */
    void *t;            /* transport connection */
    bool busy;          /* lock-step: a call owns the connection (under c->mu) */
    bool has_reader;
    pthread_t reader;
    void *reader_t;     /* the reader's transport: p->t when it started, until it is joined */
    uint32_t next_id;
    sigil_waiter *pending[SIGIL_PENDING_BUCKETS];
    atomic_uint in_flight;
    obuf out;           /* frames not yet taken by a flusher */
    obuf spare;         /* the flusher's buffer between flushes */
    bool flushing;
    atomic_uint last_batch; /* responses the reader handed out in its last read */
    uint64_t fill_batch; /* generation of out */
    uint64_t sent_upto;  /* generations <= this have been handed to the transport */
    atomic_uint_fast64_t n_calls, n_writes, n_reads, n_responses;
} sigil_pconn;

struct sigil_client {
    const sigil_transport_ops *ops;
    void *ops_ctx;
    char address[SIGIL_ADDR_MAX];
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    bool pipelined;
    unsigned n;
    sigil_pconn *conns;

    pthread_mutex_t mu; /* slot_count, fw_version; lock-step pool; closing handshake */
    pthread_cond_t cv;  /* lock-step: a connection was given back; close: last caller left */
    atomic_bool closing;
    atomic_uint active; /* callers inside sigil_client_call */
    atomic_uint_fast64_t n_connects;

    uint32_t slot_count;
    char fw_version[SIGIL_FW_VERSION_MAX + 1];
};

static uint32_t new_request_id(sigil_pconn *p)
{
    if (p->next_id == 0) /* 0 is never used, which makes a zeroed header easy to spot */
        p->next_id = 1;
    return p->next_id++;
}

/* ---- lock-step round trip (HELLO on every connection, and lock-step mode) ------------- */

/* One request/response on t, which the caller owns. OK, CONN_LOST (send/recv failed), or
 * PROTOCOL. *sent_nothing stays true while no byte went out. */
static sigil_client_result round_trip(sigil_client *c, sigil_pconn *p, void *t, uint16_t opcode,
                                      const uint8_t *body, size_t len, sigil_status *status, uint8_t *resp,
                                      size_t resp_cap, size_t *resp_len, bool *sent_nothing)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;
    uint8_t out[SIGIL_FRAME_HDR_LEN + SIGIL_SEND_INLINE];
    uint8_t in[SIGIL_FRAME_HDR_LEN];
    sigil_frame_hdr h = {
        .body_len = (uint32_t)len,
        .version = SIGIL_PROTO_VERSION,
        .kind = SIGIL_KIND_REQUEST,
        .opcode = opcode,
        .request_id = new_request_id(p),
        .status = 0,
    };
    sigil_frame_hdr rh;

    *sent_nothing = true;
    sigil_frame_hdr_encode(&h, out);
    if (len <= SIGIL_SEND_INLINE) {
        if (len > 0)
            memcpy(out + SIGIL_FRAME_HDR_LEN, body, len);
        if (c->ops->send_all(t, out, SIGIL_FRAME_HDR_LEN + len) != 0)
            goto done;
    } else {
        if (c->ops->send_all(t, out, SIGIL_FRAME_HDR_LEN) != 0)
            goto done;
        *sent_nothing = false;
        if (c->ops->send_all(t, body, len) != 0)
            goto done;
    }
    *sent_nothing = false;
    atomic_fetch_add_explicit(&p->n_calls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->n_writes, 1, memory_order_relaxed);

    if (c->ops->recv_all(t, in, sizeof(in)) != 0)
        goto done;
    res = SIGIL_CLIENT_PROTOCOL;
    if (sigil_frame_hdr_decode(in, SIGIL_FRAME_MAX_BODY, &rh) != SIGIL_ST_OK)
        goto done;
    if (rh.kind != SIGIL_KIND_RESPONSE || rh.request_id != h.request_id || rh.opcode != opcode)
        goto done;
    if (rh.body_len > resp_cap)
        goto done;
    if (rh.status != SIGIL_ST_OK && rh.body_len != 0)
        goto done;
    if (rh.body_len > 0 && c->ops->recv_all(t, resp, rh.body_len) != 0) {
        res = SIGIL_CLIENT_CONN_LOST;
        goto done;
    }
    *status = (sigil_status)rh.status;
    *resp_len = rh.body_len;
    res = SIGIL_CLIENT_OK;
    atomic_fetch_add_explicit(&p->n_responses, 1, memory_order_relaxed);

done:
    /* The request may hold a PIN. */
    sigil_wipe(out, sizeof(out));
    return res;
}

/* Opens one transport connection for p (owned by the caller) and does HELLO. NULL with
 * errmsg on failure. */
static void *conn_open(sigil_client *c, sigil_pconn *p, char *errmsg, size_t errlen)
{
    uint8_t req[64];
    uint8_t resp[256];
    size_t resp_len = 0;
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    bool sent_nothing;
    sigil_wr w;
    sigil_rd r;
    char fw[SIGIL_FW_VERSION_MAX + 1];

    void *t = c->ops->open(c->ops_ctx, c->address, errmsg, errlen);
    if (t == NULL)
        return NULL;
    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u16(&w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(&w, c->token, SIGIL_APP_TOKEN_LEN);
    sigil_client_result res =
        sigil_wr_ok(&w) ? round_trip(c, p, t, SIGIL_OP_HELLO, req, w.len, &st, resp, sizeof(resp), &resp_len,
                                     &sent_nothing)
                        : SIGIL_CLIENT_PROTOCOL;
    sigil_wipe(req, sizeof(req));
    if (res != SIGIL_CLIENT_OK) {
        snprintf(errmsg, errlen, "%s: handshake failed (%s)", c->address,
                 res == SIGIL_CLIENT_CONN_LOST ? "connection closed" : "malformed response");
        goto fail;
    }
    if (st != SIGIL_ST_OK) {
        snprintf(errmsg, errlen, "%s: handshake refused: %s", c->address, sigil_status_message(st));
        goto fail;
    }
    sigil_rd_init(&r, resp, resp_len);
    uint16_t version = sigil_rd_u16(&r);
    uint32_t slots = sigil_rd_u32(&r);
    sigil_rd_str(&r, fw, SIGIL_FW_VERSION_MAX);
    if (!sigil_rd_done(&r) || version != SIGIL_PROTO_VERSION) {
        snprintf(errmsg, errlen, "%s: handshake answer not understood (protocol version %u)", c->address,
                 (unsigned)version);
        goto fail;
    }
    pthread_mutex_lock(&c->mu);
    c->slot_count = slots;
    memcpy(c->fw_version, fw, sizeof(c->fw_version));
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add_explicit(&c->n_connects, 1, memory_order_relaxed);
    return t;

fail:
    c->ops->close(t);
    return NULL;
}

/* ---- lock-step mode ---------------------------------------------------------------------- */

/* Takes a free connection (an open one first), waiting when all are in use. */
static sigil_pconn *lockstep_take(sigil_client *c)
{
    sigil_pconn *p = NULL;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        sigil_pconn *closed = NULL;
        for (unsigned i = 0; i < c->n && p == NULL; i++) {
            sigil_pconn *q = &c->conns[i];
            if (q->busy)
                continue;
            if (atomic_load(&q->state) == PCONN_READY)
                p = q;
            else if (closed == NULL)
                closed = q;
        }
        if (p == NULL)
            p = closed;
        if (p != NULL)
            break;
        pthread_cond_wait(&c->cv, &c->mu);
    }
    p->busy = true;
    pthread_mutex_unlock(&c->mu);
    return p;
}

static void lockstep_give(sigil_client *c, sigil_pconn *p)
{
    pthread_mutex_lock(&c->mu);
    p->busy = false;
    pthread_cond_broadcast(&c->cv); /* close() may wait on cv too */
    pthread_mutex_unlock(&c->mu);
}

static sigil_client_result lockstep_call(sigil_client *c, uint16_t opcode, const uint8_t *body, size_t len,
                                         sigil_status *status, uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;
    char errmsg[256];

    /* A connection that broke while idle (the appliance restarted, say) fails before anything
     * reaches the appliance: then the request is retried on another one, at most once per
     * pool member plus one fresh connection. */
    for (unsigned attempt = 0; attempt <= c->n; attempt++) {
        bool sent_nothing = false;
        sigil_pconn *p = lockstep_take(c);
        if (atomic_load(&p->state) != PCONN_READY) {
            p->t = conn_open(c, p, errmsg, sizeof(errmsg));
            if (p->t == NULL) {
                lockstep_give(c, p);
                return SIGIL_CLIENT_NO_APPLIANCE;
            }
            atomic_store(&p->state, PCONN_READY);
        }
        res = round_trip(c, p, p->t, opcode, body, len, status, resp, resp_cap, resp_len, &sent_nothing);
        if (res != SIGIL_CLIENT_OK) {
            c->ops->close(p->t);
            p->t = NULL;
            atomic_store(&p->state, PCONN_CLOSED);
        }
        lockstep_give(c, p);
        if (res == SIGIL_CLIENT_OK || !sent_nothing)
            return res;
    }
    return res;
}

/* ---- pipelined mode: pending table and breaking a connection ------------------------------ */

static void pending_insert(sigil_pconn *p, sigil_waiter *w)
{
    sigil_waiter **b = &p->pending[w->id % SIGIL_PENDING_BUCKETS];
    w->next = *b;
    *b = w;
    atomic_fetch_add_explicit(&p->in_flight, 1, memory_order_relaxed);
}

static sigil_waiter *pending_remove(sigil_pconn *p, uint32_t id)
{
    for (sigil_waiter **b = &p->pending[id % SIGIL_PENDING_BUCKETS]; *b != NULL; b = &(*b)->next) {
        sigil_waiter *w = *b;
        if (w->id == id) {
            *b = w->next;
            atomic_fetch_sub_explicit(&p->in_flight, 1, memory_order_relaxed);
            return w;
        }
    }
    return NULL;
}

/* mu held. Shuts the transport down (which wakes the reader and fails any write in
 * progress), drops the frames nobody has sent and fails every pending call: RETRY when its
 * frame never reached the transport, else CONN_LOST. */
static void break_locked(sigil_pconn *p)
{
    if (atomic_load(&p->state) != PCONN_READY)
        return;
    atomic_store(&p->state, PCONN_BROKEN);
    p->c->ops->shutdown(p->t);
    sigil_wipe(p->out.p, p->out.len);
    p->out.len = 0;
    for (unsigned i = 0; i < SIGIL_PENDING_BUCKETS; i++) {
        sigil_waiter *w = p->pending[i];
        p->pending[i] = NULL;
        while (w != NULL) {
            sigil_waiter *next = w->next; /* w belongs to its caller again once posted */
            atomic_fetch_sub_explicit(&p->in_flight, 1, memory_order_relaxed);
            w->res = w->batch > p->sent_upto ? SIGIL_CLIENT_RETRY : SIGIL_CLIENT_CONN_LOST;
            sem_post(&w->done);
            w = next;
        }
    }
    pthread_cond_broadcast(&p->cv);
}

/* ---- pipelined mode: the reader ------------------------------------------------------------ */

typedef struct {
    sigil_frame_hdr h;
    const uint8_t *body;
} rframe;

/* Hands n parsed responses to their callers. False when one of them made no sense (an
 * unknown request id, another opcode, a body that does not fit or comes with an error
 * status): then the connection is broken, under the same lock, before anybody is woken, so
 * that the caller who gets PROTOCOL finds it broken and nobody else is sent down it. */
static bool deliver(sigil_pconn *p, const rframe *fr, unsigned n)
{
    sigil_waiter *ws[SIGIL_READ_BATCH];
    bool ok = true;

    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < n; i++) {
        const sigil_frame_hdr *h = &fr[i].h;
        sigil_waiter *w = pending_remove(p, h->request_id);
        ws[i] = w;
        if (w == NULL) {
            ok = false;
        } else if (h->opcode != w->opcode || h->body_len > w->resp_cap ||
                   (h->status != SIGIL_ST_OK && h->body_len != 0)) {
            w->res = SIGIL_CLIENT_PROTOCOL;
            ok = false;
        } else {
            w->res = SIGIL_CLIENT_OK;
        }
    }
    if (!ok)
        break_locked(p);
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_add_explicit(&p->n_responses, n, memory_order_relaxed); /* before anyone wakes */
    atomic_store_explicit(&p->last_batch, n, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++) {
        sigil_waiter *w = ws[i];
        if (w == NULL)
            continue;
        if (w->res == SIGIL_CLIENT_OK) {
            const sigil_frame_hdr *h = &fr[i].h;
            if (h->body_len > 0)
                memcpy(w->resp, fr[i].body, h->body_len);
            w->resp_len = h->body_len;
            w->status = (sigil_status)h->status;
        }
        sem_post(&w->done); /* w belongs to its caller from here on */
    }
    return ok;
}

/* Replaces *buf (cap *cap, have bytes used) by one of new_cap bytes. -1 out of memory. */
static int resize_buffer(uint8_t **buf, size_t *cap, size_t have, size_t new_cap)
{
    uint8_t *nb = malloc(new_cap);
    if (nb == NULL)
        return -1;
    memcpy(nb, *buf, have);
    sigil_wipe(*buf, *cap);
    free(*buf);
    *buf = nb;
    *cap = new_cap;
    return 0;
}

static void *reader_main(void *arg)
{
    sigil_pconn *p = arg;
    const sigil_transport_ops *ops = p->c->ops;
    size_t cap = SIGIL_READ_CHUNK;
    size_t have = 0;
    uint8_t *buf = malloc(cap);
    rframe fr[SIGIL_READ_BATCH];
    /* Not p->t: the connection may break and be reopening before this thread first runs. */
    void *t = p->reader_t;

    while (buf != NULL) {
        ssize_t k = ops->recv_some(t, buf + have, cap - have);
        if (k <= 0)
            break;
        have += (size_t)k;
        atomic_fetch_add_explicit(&p->n_reads, 1, memory_order_relaxed);

        size_t off = 0, need = 0;
        unsigned n = 0;
        bool ok = true;
        while (ok && have - off >= SIGIL_FRAME_HDR_LEN) {
            sigil_frame_hdr h;
            if (sigil_frame_hdr_decode(buf + off, SIGIL_FRAME_MAX_BODY, &h) != SIGIL_ST_OK ||
                h.kind != SIGIL_KIND_RESPONSE) {
                ok = false;
                break;
            }
            size_t flen = SIGIL_FRAME_HDR_LEN + (size_t)h.body_len;
            if (have - off < flen) {
                need = flen;
                break;
            }
            fr[n].h = h;
            fr[n].body = buf + off + SIGIL_FRAME_HDR_LEN;
            n++;
            off += flen;
            if (n == SIGIL_READ_BATCH) {
                ok = deliver(p, fr, n);
                n = 0;
            }
        }
        if (n > 0 && !deliver(p, fr, n))
            ok = false;
        if (!ok)
            break;
        /* Keep the incomplete frame at the front; make room for a large one, and give the
         * room back once it has passed. */
        if (off > 0 && off < have)
            memmove(buf, buf + off, have - off);
        have -= off;
        if (need > cap) {
            if (resize_buffer(&buf, &cap, have, need) != 0)
                break;
        } else if (need == 0 && cap > SIGIL_READ_CHUNK && have <= SIGIL_READ_CHUNK) {
            if (resize_buffer(&buf, &cap, have, SIGIL_READ_CHUNK) != 0)
                break;
        }
    }

    pthread_mutex_lock(&p->mu);
    break_locked(p);
    pthread_mutex_unlock(&p->mu);
    if (buf != NULL) {
        sigil_wipe(buf, cap);
        free(buf);
    }
    return NULL;
}

/* mu held, p OPENING and t set. Starts p's reader with every signal blocked (an
 * application's handlers must not run on the library's threads). */
static int reader_start(sigil_pconn *p)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int rc;

    if (pthread_attr_init(&attr) != 0)
        return -1;
    (void)pthread_attr_setstacksize(&attr, SIGIL_READER_STACK);
    p->reader_t = p->t;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&p->reader, &attr, reader_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return -1;
    (void)pthread_setname_np(p->reader, "sigil-reader");
    p->has_reader = true;
    return 0;
}

/* ---- pipelined mode: calls ----------------------------------------------------------------- */

/* Locks p and makes it READY, opening (or reopening) it when it is not. On OK, mu is held. */
static sigil_client_result pconn_lock_ready(sigil_client *c, sigil_pconn *p, char *errmsg, size_t errlen)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        int st = atomic_load(&p->state);
        if (atomic_load(&c->closing)) {
            pthread_mutex_unlock(&p->mu);
            return SIGIL_CLIENT_CONN_LOST;
        }
        if (st == PCONN_READY)
            return SIGIL_CLIENT_OK;
        if (st == PCONN_OPENING || p->flushing) { /* a flusher still uses the old transport */
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        break;
    }
    atomic_store(&p->state, PCONN_OPENING);
    void *old = p->t;
    bool join = p->has_reader;
    p->t = NULL;
    p->has_reader = false;
    pthread_mutex_unlock(&p->mu);

    if (join)
        pthread_join(p->reader, NULL);
    if (old != NULL)
        c->ops->close(old);
    void *t = conn_open(c, p, errmsg, errlen);

    pthread_mutex_lock(&p->mu);
    sigil_client_result res = SIGIL_CLIENT_NO_APPLIANCE;
    p->t = t;
    if (t != NULL && reader_start(p) != 0) {
        res = SIGIL_CLIENT_NO_MEMORY;
        snprintf(errmsg, errlen, "cannot start a reader thread");
        c->ops->close(t);
        p->t = NULL;
    }
    if (p->t == NULL) {
        atomic_store(&p->state, PCONN_CLOSED);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return res;
    }
    p->sent_upto = p->fill_batch; /* nothing of the old transport is pending any more */
    p->fill_batch++;
    atomic_store(&p->state, PCONN_READY);
    pthread_cond_broadcast(&p->cv);
    return SIGIL_CLIENT_OK;
}

/* mu held. Appends one request frame to the out buffer. -1 out of memory. */
static int append_frame(sigil_pconn *p, const sigil_frame_hdr *h, const uint8_t *body, size_t len)
{
    obuf *o = &p->out;
    size_t need = SIGIL_FRAME_HDR_LEN + len;
    if (o->cap - o->len < need) {
        size_t cap = o->cap < 4096 ? 4096 : o->cap * 2;
        while (cap - o->len < need)
            cap *= 2;
        uint8_t *nb = malloc(cap); /* not realloc: the old buffer may hold a PIN, wipe it */
        if (nb == NULL)
            return -1;
        if (o->len > 0)
            memcpy(nb, o->p, o->len);
        sigil_wipe(o->p, o->cap);
        free(o->p);
        o->p = nb;
        o->cap = cap;
    }
    sigil_frame_hdr_encode(h, o->p + o->len);
    if (len > 0)
        memcpy(o->p + o->len + SIGIL_FRAME_HDR_LEN, body, len);
    o->len += need;
    return 0;
}

/* mu held, p->flushing set by the caller. Writes whatever is pending until nothing is,
 * dropping mu around each write; then clears p->flushing. */
static void flush_locked(sigil_client *c, sigil_pconn *p)
{
    while (p->out.len > 0 && atomic_load(&p->state) == PCONN_READY) {
        obuf b = p->out;
        p->out = p->spare;
        p->spare = (obuf){0};
        p->sent_upto = p->fill_batch++;
        void *t = p->t;
        pthread_mutex_unlock(&p->mu);

        int rc = c->ops->send_all(t, b.p, b.len);
        sigil_wipe(b.p, b.len); /* requests may hold PINs */
        atomic_fetch_add_explicit(&p->n_writes, 1, memory_order_relaxed);
        if (b.cap > SIGIL_OUT_KEEP) {
            free(b.p);
            b = (obuf){0};
        }
        b.len = 0;

        pthread_mutex_lock(&p->mu);
        p->spare = b;
        if (rc != 0)
            break_locked(p);
    }
    p->flushing = false;
    if (atomic_load(&p->state) != PCONN_READY)
        pthread_cond_broadcast(&p->cv); /* a reopener may wait for the flusher to leave */
}

/* The connection for the next call. Fill first: the first open connection with fewer than
 * SIGIL_CONN_FILL requests in flight, so that concurrent callers share one connection and
 * its writes and reads carry many requests each (a second connection only halves the
 * batches); past that, the one being opened (a burst does not open several), else a closed
 * one, else the least loaded. *fallback: an open one to use instead if opening fails. */
static sigil_pconn *pick(sigil_client *c, sigil_pconn **fallback)
{
    sigil_pconn *best = NULL, *closed = NULL, *opening = NULL;
    unsigned best_load = 0;

    *fallback = NULL;
    for (unsigned i = 0; i < c->n; i++) {
        sigil_pconn *p = &c->conns[i];
        int st = atomic_load_explicit(&p->state, memory_order_relaxed);
        if (st == PCONN_READY) {
            unsigned load = atomic_load_explicit(&p->in_flight, memory_order_relaxed);
            if (load < SIGIL_CONN_FILL)
                return p;
            if (best == NULL || load < best_load) {
                best = p;
                best_load = load;
            }
        } else if (st == PCONN_OPENING) {
            if (opening == NULL)
                opening = p;
        } else if (closed == NULL) {
            closed = p;
        }
    }
    *fallback = best;
    if (opening != NULL) /* one is being added: join it rather than open another */
        return opening;
    if (closed != NULL)
        return closed;
    *fallback = NULL;
    return best != NULL ? best : &c->conns[0];
}

static sigil_client_result pipelined_call(sigil_client *c, uint16_t opcode, const uint8_t *body, size_t len,
                                          sigil_status *status, uint8_t *resp, size_t resp_cap,
                                          size_t *resp_len)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;
    sigil_waiter w = {.opcode = opcode, .resp = resp, .resp_cap = resp_cap};
    char errmsg[256];

    if (sem_init(&w.done, 0, 0) != 0)
        return SIGIL_CLIENT_NO_MEMORY;
    for (unsigned attempt = 0; attempt <= c->n; attempt++) {
        sigil_pconn *fallback = NULL;
        sigil_pconn *p = pick(c, &fallback);
        res = pconn_lock_ready(c, p, errmsg, sizeof(errmsg));
        if (res == SIGIL_CLIENT_NO_APPLIANCE && fallback != NULL) {
            p = fallback;
            res = pconn_lock_ready(c, p, errmsg, sizeof(errmsg));
        }
        if (res != SIGIL_CLIENT_OK)
            break;
        /* mu held, p READY */
        sigil_frame_hdr h = {
            .body_len = (uint32_t)len,
            .version = SIGIL_PROTO_VERSION,
            .kind = SIGIL_KIND_REQUEST,
            .opcode = opcode,
            .request_id = new_request_id(p),
            .status = 0,
        };
        if (append_frame(p, &h, body, len) != 0) {
            pthread_mutex_unlock(&p->mu);
            res = SIGIL_CLIENT_NO_MEMORY;
            break;
        }
        w.id = h.request_id;
        w.batch = p->fill_batch;
        w.res = SIGIL_CLIENT_CONN_LOST;
        pending_insert(p, &w);
        atomic_fetch_add_explicit(&p->n_calls, 1, memory_order_relaxed);
        if (!p->flushing) {
            p->flushing = true;
            /* Several callers were woken by one read: they are about to send again. Let
             * them append first (they see a flush in progress and just wait), then send all
             * of it in one write. A lone caller writes at once. */
            if (atomic_load_explicit(&p->last_batch, memory_order_relaxed) > 1) {
                pthread_mutex_unlock(&p->mu);
                sched_yield();
                pthread_mutex_lock(&p->mu);
            }
            flush_locked(c, p);
        }
        pthread_mutex_unlock(&p->mu);

        while (sem_wait(&w.done) != 0 && errno == EINTR)
            ;
        res = w.res;
        if (res != SIGIL_CLIENT_RETRY)
            break;
        res = SIGIL_CLIENT_CONN_LOST;
    }
    sem_destroy(&w.done);
    if (res == SIGIL_CLIENT_OK) {
        *status = w.status;
        *resp_len = w.resp_len;
    }
    return res;
}

/* ---- the public functions -------------------------------------------------------------------- */

sigil_client_result sigil_client_call(sigil_client *c, uint16_t opcode, const uint8_t *body, size_t len,
                                      sigil_status *status, uint8_t *resp, size_t resp_cap,
                                      size_t *resp_len)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;

    if (c == NULL || status == NULL || resp_len == NULL || (len > 0 && body == NULL) ||
        (resp_cap > 0 && resp == NULL))
        return SIGIL_CLIENT_PROTOCOL;
    if (len > SIGIL_FRAME_MAX_BODY)
        return SIGIL_CLIENT_PROTOCOL;
    *resp_len = 0;
    atomic_fetch_add(&c->active, 1);
    if (!atomic_load(&c->closing))
        res = c->pipelined ? pipelined_call(c, opcode, body, len, status, resp, resp_cap, resp_len)
                           : lockstep_call(c, opcode, body, len, status, resp, resp_cap, resp_len);
    if (atomic_fetch_sub(&c->active, 1) == 1 && atomic_load(&c->closing)) {
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    return res;
}

/* Pool size: $SIGIL_CONNECTIONS (1..64) when set and valid, else the caller's. */
static unsigned pool_size(unsigned wanted)
{
    const char *env = getenv("SIGIL_CONNECTIONS");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        unsigned long v = strtoul(env, &end, 10);
        if (end != env && *end == '\0' && v >= 1 && v <= SIGIL_CONNS_MAX)
            return (unsigned)v;
    }
    if (wanted == 0)
        return 1;
    return wanted > SIGIL_CONNS_MAX ? SIGIL_CONNS_MAX : wanted;
}

static void client_free(sigil_client *c)
{
    for (unsigned i = 0; c->conns != NULL && i < c->n; i++) {
        sigil_pconn *p = &c->conns[i];
        if (p->has_reader)
            pthread_join(p->reader, NULL);
        if (p->t != NULL)
            c->ops->close(p->t);
        sigil_wipe(p->out.p, p->out.cap);
        free(p->out.p);
        sigil_wipe(p->spare.p, p->spare.cap);
        free(p->spare.p);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    free(c->conns);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    sigil_wipe(c->token, sizeof(c->token));
    free(c);
}

sigil_client_result sigil_client_open_ex(const sigil_transport_ops *ops, void *ops_ctx, const char *address,
                                         const uint8_t app_token[SIGIL_APP_TOKEN_LEN],
                                         const sigil_client_options *opts, sigil_client **out, char *errmsg,
                                         size_t errlen)
{
    sigil_client *c = NULL;
    sigil_client_result res;

    if (out == NULL || address == NULL || app_token == NULL) {
        snprintf(errmsg, errlen, "bad arguments");
        return SIGIL_CLIENT_NO_APPLIANCE;
    }
    *out = NULL;
    if (strlen(address) >= SIGIL_ADDR_MAX) {
        snprintf(errmsg, errlen, "appliance address too long");
        return SIGIL_CLIENT_NO_APPLIANCE;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        return SIGIL_CLIENT_NO_MEMORY;
    }
    c->ops = ops != NULL ? ops : &sigil_transport_socket;
    c->ops_ctx = ops_ctx;
    memcpy(c->address, address, strlen(address) + 1);
    memcpy(c->token, app_token, SIGIL_APP_TOKEN_LEN);
    c->pipelined = c->ops->recv_some != NULL && c->ops->shutdown != NULL && !(opts != NULL && opts->lockstep);
    c->n = pool_size(opts != NULL ? opts->max_conns : 1);
    atomic_init(&c->closing, false);
    atomic_init(&c->active, 0);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->conns = calloc(c->n, sizeof(*c->conns));
    if (c->conns == NULL) {
        c->n = 0;
        snprintf(errmsg, errlen, "out of memory");
        client_free(c);
        return SIGIL_CLIENT_NO_MEMORY;
    }
    for (unsigned i = 0; i < c->n; i++) {
        sigil_pconn *p = &c->conns[i];
        p->c = c;
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        atomic_init(&p->state, PCONN_CLOSED);
        atomic_init(&p->in_flight, 0);
        p->next_id = 1;
        p->fill_batch = 1;
    }

    /* The first connection now, so that a missing appliance is reported by open. */
    sigil_pconn *p0 = &c->conns[0];
    if (c->pipelined) {
        res = pconn_lock_ready(c, p0, errmsg, errlen);
        if (res == SIGIL_CLIENT_OK)
            pthread_mutex_unlock(&p0->mu);
    } else {
        p0->t = conn_open(c, p0, errmsg, errlen);
        res = p0->t != NULL ? SIGIL_CLIENT_OK : SIGIL_CLIENT_NO_APPLIANCE;
        if (res == SIGIL_CLIENT_OK)
            atomic_store(&p0->state, PCONN_READY);
    }
    if (res != SIGIL_CLIENT_OK) {
        client_free(c);
        return res;
    }
    *out = c;
    return SIGIL_CLIENT_OK;
}

sigil_client_result sigil_client_open(const sigil_transport_ops *ops, void *ops_ctx, const char *address,
                                      const uint8_t app_token[SIGIL_APP_TOKEN_LEN], unsigned max_conns,
                                      sigil_client **out, char *errmsg, size_t errlen)
{
    sigil_client_options o = {.max_conns = max_conns};
    return sigil_client_open_ex(ops, ops_ctx, address, app_token, &o, out, errmsg, errlen);
}

void sigil_client_get_stats(sigil_client *c, sigil_client_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < c->n; i++) {
        sigil_pconn *p = &c->conns[i];
        st->calls += atomic_load_explicit(&p->n_calls, memory_order_relaxed);
        st->writes += atomic_load_explicit(&p->n_writes, memory_order_relaxed);
        st->reads += atomic_load_explicit(&p->n_reads, memory_order_relaxed);
        st->responses += atomic_load_explicit(&p->n_responses, memory_order_relaxed);
    }
    st->connects = atomic_load_explicit(&c->n_connects, memory_order_relaxed);
    st->pool_size = c->n;
    st->pipelined = c->pipelined;
}

void sigil_client_close(sigil_client *c)
{
    if (c == NULL)
        return;
    atomic_store(&c->closing, true);
    /* Fail what is pending, so that every caller comes back. */
    for (unsigned i = 0; i < c->n; i++) {
        sigil_pconn *p = &c->conns[i];
        pthread_mutex_lock(&p->mu);
        if (c->pipelined) {
            while (atomic_load(&p->state) == PCONN_OPENING)
                pthread_cond_wait(&p->cv, &p->mu);
            break_locked(p);
        }
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_lock(&c->mu);
    if (!c->pipelined && c->ops->shutdown != NULL) {
        for (unsigned i = 0; i < c->n; i++)
            if (c->conns[i].busy && c->conns[i].t != NULL)
                c->ops->shutdown(c->conns[i].t);
    }
    while (atomic_load(&c->active) > 0)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);

    if (getenv("SIGIL_CLIENT_STATS") != NULL) {
        sigil_client_stats st;
        sigil_client_get_stats(c, &st);
        fprintf(stderr,
                "sigil-client: %s, %u connection(s), %llu connects, %llu requests in %llu writes, "
                "%llu responses in %llu reads\n",
                st.pipelined ? "pipelined" : "lock-step", st.pool_size, (unsigned long long)st.connects,
                (unsigned long long)st.calls, (unsigned long long)st.writes,
                (unsigned long long)st.responses, (unsigned long long)st.reads);
    }
    client_free(c);
}

uint32_t sigil_client_slot_count(const sigil_client *c)
{
    return c->slot_count;
}

const char *sigil_client_fw_version(const sigil_client *c)
{
    return c->fw_version;
}
