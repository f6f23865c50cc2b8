/* conn.c — one reader thread per connection: reads whole frames, rejects broken
 * framing at once, and queues each request for the worker pool (pipelining:
 * up to EMU_MAX_IN_FLIGHT per connection). */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu.h"
#include "sigil_proto.h"

static int read_all(int fd, uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

int emu_conn_write(emu_conn *c, const uint8_t *buf, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&c->wlock);
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;
            break;
        }
        buf += n;
        len -= (size_t)n;
    }
    pthread_mutex_unlock(&c->wlock);
    return rc;
}

void emu_conn_put(emu_conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    sigil_fw_conn_free(c->fwc);
    close(c->fd);
    pthread_mutex_destroy(&c->wlock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

static void reject(emu_conn *c, const sigil_frame_hdr *h, sigil_status st)
{
    uint8_t out[SIGIL_FRAME_HDR_LEN];
    size_t n = sigil_fw_error_frame(h->opcode, h->request_id, st, out, sizeof(out));
    (void)emu_conn_write(c, out, n);
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
    srv->n_readers--;
    pthread_cond_broadcast(&srv->idle);
}

static void *reader_main(void *arg)
{
    emu_conn *c = arg;
    emu_server *srv = c->srv;
    uint8_t hdr[SIGIL_FRAME_HDR_LEN];

    for (;;) {
        sigil_frame_hdr h;
        if (read_all(c->fd, hdr, sizeof(hdr)) != 0)
            break;
        sigil_status st = sigil_frame_hdr_decode(hdr, SIGIL_FRAME_MAX_BODY, &h);
        if (st == SIGIL_ST_OK && h.kind != SIGIL_KIND_REQUEST)
            st = SIGIL_ST_BAD_FRAME;
        if (st != SIGIL_ST_OK) {
            /* The stream cannot be resynchronised: answer, then close. */
            reject(c, &h, st);
            break;
        }
        emu_job *job = calloc(1, sizeof(*job));
        uint8_t *frame = malloc(SIGIL_FRAME_HDR_LEN + (size_t)h.body_len);
        if (job == NULL || frame == NULL) {
            free(job);
            free(frame);
            reject(c, &h, SIGIL_ST_NO_MEMORY);
            break;
        }
        memcpy(frame, hdr, sizeof(hdr));
        if (read_all(c->fd, frame + SIGIL_FRAME_HDR_LEN, h.body_len) != 0) {
            free(job);
            free(frame);
            break;
        }
        pthread_mutex_lock(&c->lock);
        while (c->in_flight >= EMU_MAX_IN_FLIGHT)
            pthread_cond_wait(&c->cond, &c->lock);
        c->in_flight++;
        pthread_mutex_unlock(&c->lock);

        job->conn = c;
        job->frame = frame;
        job->len = SIGIL_FRAME_HDR_LEN + (size_t)h.body_len;
        atomic_fetch_add(&c->refs, 1);
        emu_pool_submit(&srv->pool, job);
    }

    shutdown(c->fd, SHUT_RDWR);
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
    srv->n_readers++;
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
    while (srv->n_readers > 0)
        pthread_cond_wait(&srv->idle, &srv->lock);
    pthread_mutex_unlock(&srv->lock);
}
