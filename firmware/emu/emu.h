/* emu.h — sigil-emu's transport: a unix socket server feeding a worker pool.
 * No device logic lives here: every frame goes to sigil_fw_handle(). */
#ifndef SIGIL_EMU_H
#define SIGIL_EMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_fw.h"

#define EMU_MAX_CONNECTIONS 256u
#define EMU_MAX_IN_FLIGHT 64u /* requests per connection queued or running */

typedef struct emu_server emu_server;

typedef struct emu_conn {
    emu_server *srv;
    int fd;
    sigil_fw_conn *fwc;
    pthread_mutex_t wlock;     /* one response written at a time */
    pthread_mutex_t lock;      /* in_flight */
    pthread_cond_t cond;
    unsigned in_flight;
    atomic_uint refs;          /* reader + queued jobs */
    struct emu_conn *prev, *next;
} emu_conn;

typedef struct emu_job {
    emu_conn *conn;
    uint8_t *frame;
    size_t len;
    struct emu_job *next;
} emu_job;

/* workers.c */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    emu_job *head, *tail;
    bool stopping;
    pthread_t *threads;
    unsigned n;
    sigil_fw *fw;
} emu_pool;

int emu_pool_start(emu_pool *pool, sigil_fw *fw, unsigned workers);
void emu_pool_submit(emu_pool *pool, emu_job *job);
/* Finishes the queued jobs, then stops and joins the workers. */
void emu_pool_stop(emu_pool *pool);

/* conn.c */
struct emu_server {
    sigil_fw *fw;
    emu_pool pool;
    pthread_mutex_t lock;      /* the connection list */
    pthread_cond_t idle;       /* signalled when a reader ends */
    emu_conn *conns;
    unsigned n_conns;
    unsigned n_readers;
};

/* Takes over fd: starts its reader thread. Returns -1 (fd closed) when refused. */
int emu_conn_start(emu_server *srv, int fd);
void emu_conn_put(emu_conn *c);
/* Writes a whole frame under the connection's write lock; -1 if the peer is gone. */
int emu_conn_write(emu_conn *c, const uint8_t *buf, size_t len);
/* Stops every reader (shutting their sockets for reading) and waits for them. */
void emu_conns_shutdown(emu_server *srv);

#endif
