/* emu.h — sigil-emu's transport: a unix socket server feeding a worker pool.
 * No device logic lives here: every frame goes to the firmware core
 * (sigil_fw_handle_queued, then one sigil_fw_audit_sync per batch).
 *
 * Workers take requests in chains (up to EMU_WORKER_BATCH): each request is carried out
 * and its audit record queued; the answers are handed to the release stage (release.c),
 * which writes them once one sync has made their records durable, while the worker goes on
 * signing. So a batch costs one thread wake-up, signing never waits for the disk, many
 * batches share one sync, and no answer leaves before its record is on disk.
 *
 * Batching: a connection's reader takes whatever has arrived in one read and queues every
 * whole frame in it at once; answers go to the connection's out buffer, and the first thread
 * that finds nobody writing writes everything pending in one go. Whoever answers a batch
 * (the release thread, or a worker for answers that wait for no record) holds a connection's
 * answers back only until the batch's last answer for that connection, and never more than
 * EMU_FLUSH_BATCH of them: a client with many requests in flight gets its answers in
 * batches, none waits for a later batch. */
#ifndef SIGIL_EMU_H
#define SIGIL_EMU_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_fw.h"
#include "tls.h"

#define EMU_MAX_CONNECTIONS 256u
#define EMU_MAX_IN_FLIGHT 64u /* requests per connection queued or running */
#define EMU_READ_CHUNK (64u * 1024u) /* one read of up to this */
#define EMU_FLUSH_BATCH 16u          /* responses held back at most for one write */
#define EMU_FLUSH_BYTES (64u * 1024u)
#define EMU_WORKER_BATCH 16u /* requests a worker carries out before one wait for their audit records */
#define EMU_WORKER_BUF (SIGIL_FW_RESP_CAP + 64u * 1024u) /* a worker's held answers */
#define EMU_MAX_OUT_BYTES (4u * 1024u * 1024u) /* answers waiting for a client that reads none */
#define EMU_HELLO_MS 10000 /* a connection without a completed handshake this long is dropped */
#define EMU_MAX_EVICTING 16u /* connections being dropped to make room, on top of the maximum */
#define EMU_STALL_MS 10000 /* a connection holding half a frame this long without progress is dropped */
#define EMU_TLS_HANDSHAKE_MS 10000 /* a client that does not complete it in time is dropped */
#define EMU_SYNC_PERIOD_US 1000u /* default --sync-period-us (release.c, docs/performance.md) */
#define EMU_SYNC_BATCH 32u /* answers waiting that start a paced sync at once */
#define EMU_SEND_TIMEOUT_S 5         /* a client that reads nothing this long loses the connection */

typedef struct emu_server emu_server;

typedef struct emu_conn {
    emu_server *srv;
    int fd;
    emu_tls_conn *tls;         /* NULL on the unix socket */
    sigil_fw_conn *fwc;
    pthread_mutex_t wlock;     /* the write side: everything down to close_after */
    uint8_t *out;              /* responses not yet taken by a writer */
    size_t out_len, out_cap;
    uint8_t *spare;            /* the writer's buffer between writes */
    size_t spare_cap;
    unsigned n_out;            /* responses in out */
    unsigned n_out_jobs;       /* of them, answers to jobs: each holds its in-flight place
                                  until written, so unread answers stay bounded */
    bool flushing;             /* a thread is writing (with wlock dropped) */
    bool close_after;          /* shut the socket once out is written (framing error) */
    bool write_failed;
    pthread_mutex_t lock;      /* in_flight */
    pthread_cond_t cond;
    unsigned in_flight;        /* requests queued, running, or answered but not yet written */
    atomic_uint refs;          /* reader + queued jobs */
    bool evicted;              /* shut to make room (srv->lock) */
    struct emu_conn *prev, *next;
} emu_conn;

typedef struct emu_job {
    emu_conn *conn;
    size_t len;
    struct emu_job *next;
    uint8_t frame[];           /* the request frame, header and body */
} emu_job;

/* release.c */
/* An answer held in a buffer until its audit record is durable. */
typedef struct {
    emu_conn *conn;
    size_t off, len;       /* where in the buffer */
    uint64_t durable_upto; /* the audit position it waits for; 0: none */
    bool close_conn;
} emu_held;
typedef struct emu_rbatch emu_rbatch;
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* a batch was handed over to an idle thread, or stop */
    emu_rbatch *head, *tail;   /* batches waiting for the next sync */
    bool stopping;
    atomic_bool pacing;        /* waiting for the sync period while workers are busy */
    unsigned n_waiting;        /* answers in the batches waiting (EMU_SYNC_BATCH end the pacing) */
    unsigned period_us;        /* the least time between two syncs' starts under load; 0: none */
    atomic_uint *busy_workers; /* the pool's count of workers carrying out jobs */
    pthread_t thread;
    sigil_fw *fw;
} emu_release;
int emu_release_start(emu_release *r, sigil_fw *fw, unsigned period_us, atomic_uint *busy_workers);
/* Answers n held responses in buf (a worker's scratch, wiped here): at once when upto is 0,
 * else once every audit record before upto is durable, by the release thread (the caller
 * goes on at once). */
void emu_release_submit(emu_release *r, uint8_t *buf, const emu_held *held, unsigned n, uint64_t upto);
/* A worker went idle (after lowering the busy count): a paced sync need not wait longer. */
void emu_release_kick(emu_release *r);
/* After the workers have stopped: answers everything handed over, then stops the thread. */
void emu_release_stop(emu_release *r);

/* workers.c */
typedef struct emu_pool emu_pool;

typedef struct emu_worker {
    emu_pool *pool;
    pthread_t thread;
    sem_t wake;                /* posted with a job handed over (or none: stop) */
    emu_job *job;              /* the handed-over job (under the pool lock) */
} emu_worker;

struct emu_pool {
    pthread_mutex_t lock;
    emu_job *head, *tail;      /* jobs no idle worker was there for */
    emu_worker *workers;
    emu_worker **idle;         /* stack of waiting workers, the most recent on top */
    unsigned n_idle;
    bool stopping;
    unsigned n;
    atomic_uint busy;          /* workers carrying out jobs (not waiting for any) */
    sigil_fw *fw;
    emu_release release;
};

/* Starts the workers and the release stage (sync_period_us: see release.c). */
int emu_pool_start(emu_pool *pool, sigil_fw *fw, unsigned workers, unsigned sync_period_us);
/* Queues the jobs head..tail (n of them, linked by next) in one go. */
void emu_pool_submit(emu_pool *pool, emu_job *head, emu_job *tail, unsigned n);
/* Finishes the queued jobs, then stops and joins the workers. */
void emu_pool_stop(emu_pool *pool);

/* conn.c */
struct emu_server {
    sigil_fw *fw;
    emu_tls *tls;              /* set: every connection must complete a mutual TLS handshake */
    emu_pool pool;
    pthread_mutex_t lock;      /* the connection list */
    pthread_cond_t idle;       /* signalled when a connection is freed */
    emu_conn *conns;
    unsigned n_conns;
    unsigned n_live;           /* connections not yet freed (a stop waits for 0) */
};

/* Takes over fd: starts its reader thread. Returns -1 (fd closed) when refused. */
int emu_conn_start(emu_server *srv, int fd);
void emu_conn_put(emu_conn *c);
/* Queues a response frame (len may be 0: nothing to add); writes what is pending when flush
 * is set (the caller has no further answer for c at hand), or EMU_FLUSH_BATCH answers or
 * EMU_FLUSH_BYTES are pending. close_after: the connection is shut once everything up to this
 * frame has been written (implies flush). job: the frame answers a job, whose in-flight place
 * is given back once the frame is written (or dropped). */
void emu_conn_respond(emu_conn *c, const uint8_t *frame, size_t len, bool close_after, bool job,
                      bool flush);
/* With $SIGIL_EMU_STATS set: one line on stderr with requests, reads, responses, writes. */
void emu_stats_print(void);
/* Stops every reader (shutting their sockets for reading) and waits for them. */
void emu_conns_shutdown(emu_server *srv);

#endif
