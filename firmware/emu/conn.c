/* conn.c — one reader thread per connection: reads whatever has arrived (up to
 * EMU_READ_CHUNK at a time), rejects broken framing at once, and queues every whole request
 * in it for the worker pool in one go (pipelining: up to EMU_MAX_IN_FLIGHT per connection).
 * Responses leave through the connection's out buffer (emu_conn_respond), several per write
 * when several are ready. */
#include <errno.h>
#include <time.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "emu.h"
#include "sigil_proto.h"
#include "sigil_secmem.h"

/* Counters for $SIGIL_EMU_STATS. */
static atomic_uint_fast64_t g_reads, g_requests, g_writes, g_responses;

static int send_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The connection's bytes, in clear or through TLS. */
static int conn_send_all(emu_conn *c, const uint8_t *buf, size_t len)
{
    return c->tls != NULL ? emu_tls_write_all(c->tls, buf, len) : send_all(c->fd, buf, len);
}

static ssize_t conn_read(emu_conn *c, uint8_t *buf, size_t len)
{
    return c->tls != NULL ? emu_tls_read(c->tls, buf, len) : read(c->fd, buf, len);
}

static uint64_t emu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 1 when bytes can be read, 0 after timeout_ms without any, -1 on error. */
static int conn_wait_readable(emu_conn *c, int timeout_ms)
{
    if (c->tls != NULL && emu_tls_pending(c->tls) > 0)
        return 1;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : n > 0 ? 1 : 0;
    }
}

/* Gives back n in-flight places (answers written or dropped): the reader may read on. */
static void release_places(emu_conn *c, unsigned n)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&c->lock);
    c->in_flight -= n;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* wlock held, c->flushing set by the caller. Writes until nothing is pending, dropping the
 * lock around each write; then shuts the socket if a framing error asked for it. */
static void flush_locked(emu_conn *c)
{
    while (c->out_len > 0 && !c->write_failed) {
        uint8_t *buf = c->out;
        size_t len = c->out_len, cap = c->out_cap;
        unsigned n = c->n_out, n_jobs = c->n_out_jobs;
        c->out = c->spare;
        c->out_cap = c->spare_cap;
        c->out_len = 0;
        c->n_out = 0;
        c->n_out_jobs = 0;
        c->spare = NULL;
        c->spare_cap = 0;
        pthread_mutex_unlock(&c->wlock);

        int rc = conn_send_all(c, buf, len);
        sigil_wipe(buf, len); /* responses are scratch, cleared after use */
        atomic_fetch_add_explicit(&g_writes, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_responses, n, memory_order_relaxed);
        release_places(c, n_jobs);
        if (cap > 4 * EMU_FLUSH_BYTES) { /* a large response passed: give the room back */
            free(buf);
            buf = NULL;
            cap = 0;
        }

        pthread_mutex_lock(&c->wlock);
        c->spare = buf;
        c->spare_cap = cap;
        if (rc != 0) {
            c->write_failed = true;
            shutdown(c->fd, SHUT_RDWR); /* the reader stops too */
        }
    }
    if (c->write_failed) {
        sigil_wipe(c->out, c->out_len);
        c->out_len = 0;
        c->n_out = 0;
        release_places(c, c->n_out_jobs);
        c->n_out_jobs = 0;
    }
    if (c->close_after)
        shutdown(c->fd, SHUT_RDWR);
    c->flushing = false;
}

/* wlock held. Appends a frame to out; -1 out of memory. */
static int append_locked(emu_conn *c, const uint8_t *frame, size_t len)
{
    if (c->out_cap - c->out_len < len) {
        size_t cap = c->out_cap < 4096 ? 4096 : 2 * c->out_cap;
        while (cap - c->out_len < len)
            cap *= 2;
        uint8_t *nb = malloc(cap);
        if (nb == NULL)
            return -1;
        if (c->out_len > 0)
            memcpy(nb, c->out, c->out_len);
        sigil_wipe(c->out, c->out_cap);
        free(c->out);
        c->out = nb;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, frame, len);
    c->out_len += len;
    c->n_out++;
    return 0;
}

void emu_conn_respond(emu_conn *c, const uint8_t *frame, size_t len, bool close_after, bool job,
                      bool flush)
{
    pthread_mutex_lock(&c->wlock);
    unsigned before = c->n_out;
    if (len > 0 && !c->write_failed && c->out_len + len > EMU_MAX_OUT_BYTES) {
        /* A client that sends requests and reads no answers is dropped: its answers are
         * not kept without bound. */
        fprintf(stderr, "sigil-emu: connection dropped: %u MiB of answers not read\n",
                (unsigned)(EMU_MAX_OUT_BYTES >> 20));
        c->write_failed = true;
        shutdown(c->fd, SHUT_RDWR);
    } else if (len > 0 && !c->write_failed && append_locked(c, frame, len) != 0) {
        c->write_failed = true; /* cannot answer: the client must not wait forever */
        shutdown(c->fd, SHUT_RDWR);
    }
    /* A job's answer keeps its in-flight place until it is written, so that answers a
     * client does not read stay bounded by EMU_MAX_IN_FLIGHT (back-pressure on the reader). */
    if (job && c->n_out > before)
        c->n_out_jobs++;
    else if (job)
        release_places(c, 1); /* nothing to write for it */
    if (close_after)
        c->close_after = true;
    /* Held back only while the caller has more answers for this connection at hand. */
    bool now = flush || close_after || c->n_out >= EMU_FLUSH_BATCH || c->out_len >= EMU_FLUSH_BYTES;
    if (now && !c->flushing) {
        c->flushing = true;
        flush_locked(c);
    }
    pthread_mutex_unlock(&c->wlock);
}

void emu_conn_put(emu_conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    emu_server *srv = c->srv;
    sigil_fw_conn_free(c->fwc);
    emu_tls_conn_free(c->tls);
    close(c->fd);
    sigil_wipe(c->out, c->out_cap);
    free(c->out);
    sigil_wipe(c->spare, c->spare_cap);
    free(c->spare);
    pthread_mutex_destroy(&c->wlock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
    /* Counted down only now, once nothing of the connection touches the firmware any more:
     * a stop waits for this before it closes the device. */
    pthread_mutex_lock(&srv->lock);
    srv->n_live--;
    pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
}

/* Answers a framing error; the connection is shut once the answer (and what was queued
 * before it) has been written. */
static void reject(emu_conn *c, const sigil_frame_hdr *h, sigil_status st)
{
    uint8_t out[SIGIL_FRAME_HDR_LEN];
    size_t n = sigil_fw_error_frame(h->opcode, h->request_id, st, out, sizeof(out));
    emu_conn_respond(c, out, n, true, false, true);
}

/* Removes c from the server's list (srv->lock held). */
static void conn_unlink_locked(emu_server *srv, emu_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->n_conns--;
}

typedef struct {
    emu_job *head, *tail;
    unsigned n;
} job_list;

static void submit(emu_server *srv, job_list *l)
{
    if (l->n > 0)
        emu_pool_submit(&srv->pool, l->head, l->tail, l->n);
    *l = (job_list){0};
}

/* Takes one in-flight place for c, waiting while it has EMU_MAX_IN_FLIGHT; the jobs not yet
 * submitted go first, so that the wait can end. */
static void take_place(emu_conn *c, job_list *l)
{
    pthread_mutex_lock(&c->lock);
    if (c->in_flight >= EMU_MAX_IN_FLIGHT && l->n > 0) {
        pthread_mutex_unlock(&c->lock);
        submit(c->srv, l);
        pthread_mutex_lock(&c->lock);
    }
    while (c->in_flight >= EMU_MAX_IN_FLIGHT)
        pthread_cond_wait(&c->cond, &c->lock);
    c->in_flight++;
    pthread_mutex_unlock(&c->lock);
}

/* Queues the whole frames at the front of buf[0..have). Returns the bytes consumed; *need is
 * the length of an incomplete frame left at the end (0 if none); *stop when the connection
 * must end (a framing error, answered, or no memory). */
static size_t take_frames(emu_conn *c, const uint8_t *buf, size_t have, size_t *need, bool *stop)
{
    job_list l = {0};
    size_t off = 0;

    *need = 0;
    while (have - off >= SIGIL_FRAME_HDR_LEN) {
        sigil_frame_hdr h;
        sigil_status st = sigil_frame_hdr_decode(buf + off, SIGIL_FRAME_MAX_BODY, &h);
        if (st == SIGIL_ST_OK && h.kind != SIGIL_KIND_REQUEST)
            st = SIGIL_ST_BAD_FRAME;
        if (st != SIGIL_ST_OK) {
            /* The stream cannot be resynchronised: answer, then close. */
            submit(c->srv, &l);
            reject(c, &h, st);
            *stop = true;
            return off;
        }
        size_t flen = SIGIL_FRAME_HDR_LEN + (size_t)h.body_len;
        if (have - off < flen) {
            *need = flen;
            break;
        }
        emu_job *job = malloc(sizeof(*job) + flen);
        if (job == NULL) {
            submit(c->srv, &l);
            reject(c, &h, SIGIL_ST_NO_MEMORY);
            *stop = true;
            return off;
        }
        memcpy(job->frame, buf + off, flen);
        job->len = flen;
        job->conn = c;
        job->next = NULL;
        take_place(c, &l);
        atomic_fetch_add(&c->refs, 1);
        if (l.tail != NULL)
            l.tail->next = job;
        else
            l.head = job;
        l.tail = job;
        l.n++;
        off += flen;
        atomic_fetch_add_explicit(&g_requests, 1, memory_order_relaxed);
    }
    submit(c->srv, &l);
    return off;
}

static void *reader_main(void *arg)
{
    emu_conn *c = arg;
    emu_server *srv = c->srv;
    size_t cap = EMU_READ_CHUNK, have = 0;
    uint8_t *buf = malloc(cap);
    bool stop = buf == NULL;

    if (!stop && srv->tls != NULL) {
        /* The trusted channel: no byte is read before the client has proven its identity. */
        char err[256];
        c->tls = emu_tls_accept(srv->tls, c->fd, EMU_TLS_HANDSHAKE_MS, err, sizeof(err));
        if (c->tls == NULL) {
            fprintf(stderr, "sigil-emu: connection refused: %s\n", err);
            stop = true;
        }
    }
    uint64_t start_ms = emu_now_ms();
    while (!stop) {
        /* A connection must complete its handshake (HELLO) soon after it opens. */
        if (!sigil_fw_conn_joined(c->fwc)) {
            uint64_t waited = emu_now_ms() - start_ms;
            if (waited >= EMU_HELLO_MS ||
                (have == 0 && conn_wait_readable(c, (int)(EMU_HELLO_MS - waited)) == 0)) {
                fprintf(stderr, "sigil-emu: connection dropped: no handshake within %d s\n", EMU_HELLO_MS / 1000);
                break;
            }
        }
        /* Half a frame that stops coming holds a connection for nobody: it is dropped. */
        if (have > 0 && conn_wait_readable(c, EMU_STALL_MS) == 0) {
            fprintf(stderr, "sigil-emu: connection dropped: half a frame stalled for %d s\n", EMU_STALL_MS / 1000);
            break;
        }
        ssize_t r = conn_read(c, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        atomic_fetch_add_explicit(&g_reads, 1, memory_order_relaxed);

        size_t need = 0;
        size_t used = take_frames(c, buf, have, &need, &stop);
        /* Requests may hold PINs: what has been queued is wiped from the buffer. */
        if (used > 0) {
            memmove(buf, buf + used, have - used);
            sigil_wipe(buf + have - used, used);
            have -= used;
        }
        if (!stop && need > cap) { /* a frame larger than the buffer: make room for it */
            uint8_t *nb = malloc(need);
            if (nb == NULL)
                break;
            memcpy(nb, buf, have);
            sigil_wipe(buf, cap);
            free(buf);
            buf = nb;
            cap = need;
        } else if (need == 0 && cap > EMU_READ_CHUNK) { /* it has passed: give the room back */
            uint8_t *nb = malloc(EMU_READ_CHUNK);
            if (nb == NULL)
                break;
            memcpy(nb, buf, have);
            sigil_wipe(buf, cap);
            free(buf);
            buf = nb;
            cap = EMU_READ_CHUNK;
        }
    }
    if (buf != NULL) {
        sigil_wipe(buf, cap);
        free(buf);
    }

    /* Stop reading; the answers to requests still queued or running are written (a stop on
     * SIGTERM answers them, and a client that has gone makes the writes fail). */
    shutdown(c->fd, SHUT_RD);
    pthread_mutex_lock(&srv->lock);
    conn_unlink_locked(srv, c);
    pthread_mutex_unlock(&srv->lock);
    emu_conn_put(c);
    return NULL;
}

int emu_conn_start(emu_server *srv, int fd)
{
    emu_conn *c = NULL;
    pthread_t t;
    pthread_attr_t attr;

    pthread_mutex_lock(&srv->lock);
    bool full = srv->n_conns >= EMU_MAX_CONNECTIONS;
    if (full) {
        /* Make room by dropping the oldest connection that never completed its handshake:
         * connections that only occupy a place must not lock applications out. */
        emu_conn *victim = NULL;
        for (emu_conn *o = srv->conns; o != NULL; o = o->next) {
            if (!o->evicted && !sigil_fw_conn_joined(o->fwc))
                victim = o; /* the list is newest first: the last one found is the oldest */
        }
        if (victim != NULL && srv->n_conns < EMU_MAX_CONNECTIONS + EMU_MAX_EVICTING) {
            victim->evicted = true;
            shutdown(victim->fd, SHUT_RDWR);
            full = false;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    if (full) {
        uint8_t out[SIGIL_FRAME_HDR_LEN];
        size_t n = sigil_fw_error_frame(0, 0, SIGIL_ST_BUSY, out, sizeof(out));
        (void)send(fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        return -1;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->fwc = sigil_fw_conn_new(srv->fw)) == NULL) {
        free(c);
        close(fd);
        return -1;
    }
    /* A worker never waits for ever on a client that stops reading (and a stop always ends). */
    struct timeval tv = {.tv_sec = EMU_SEND_TIMEOUT_S};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    c->srv = srv;
    c->fd = fd;
    pthread_mutex_init(&c->wlock, NULL);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    atomic_init(&c->refs, 1);

    pthread_mutex_lock(&srv->lock);
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    srv->n_live++;
    pthread_mutex_unlock(&srv->lock);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, reader_main, c) != 0) {
        pthread_attr_destroy(&attr);
        pthread_mutex_lock(&srv->lock);
        conn_unlink_locked(srv, c);
        pthread_mutex_unlock(&srv->lock);
        emu_conn_put(c);
        return -1;
    }
    pthread_attr_destroy(&attr);
    return 0;
}

void emu_conns_shutdown(emu_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    for (emu_conn *c = srv->conns; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RD);
    while (srv->n_live > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
}

void emu_stats_print(void)
{
    if (getenv("SIGIL_EMU_STATS") == NULL)
        return;
    fprintf(stderr, "sigil-emu: %llu requests in %llu reads, %llu responses in %llu writes\n",
            (unsigned long long)atomic_load(&g_requests), (unsigned long long)atomic_load(&g_reads),
            (unsigned long long)atomic_load(&g_responses), (unsigned long long)atomic_load(&g_writes));
}
