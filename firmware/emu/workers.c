/* workers.c — the worker pool: one thread per core, each with its own response
 * buffer, taking frames from one queue and answering through their connection's out
 * buffer (emu_conn_respond decides whether this worker writes now). */
#include <stdlib.h>

#include "emu.h"
#include "sigil_secmem.h"

static void run_job(emu_pool *pool, emu_job *job, uint8_t *resp)
{
    emu_conn *c = job->conn;
    bool close_conn = false;
    size_t n = sigil_fw_handle(pool->fw, c->fwc, job->frame, job->len, resp, SIGIL_FW_RESP_CAP, &close_conn);
    /* Requests carry PINs; both buffers are scratch, cleared after every command. */
    sigil_wipe(job->frame, job->len);
    free(job);
    emu_conn_respond(c, resp, n, close_conn);
    sigil_wipe(resp, n);

    pthread_mutex_lock(&c->lock);
    c->in_flight--;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    emu_conn_put(c);
}

static void *worker_main(void *arg)
{
    emu_pool *pool = arg;
    uint8_t *resp = malloc(SIGIL_FW_RESP_CAP);
    if (resp == NULL)
        abort(); /* cannot serve at all; start-up allocation */

    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (pool->head == NULL && !pool->stopping) {
            pool->idle++;
            pthread_cond_wait(&pool->cond, &pool->lock);
            pool->idle--;
        }
        emu_job *job = pool->head;
        if (job == NULL) { /* stopping and drained */
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        pool->head = job->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);
        atomic_fetch_sub(&job->conn->queued, 1);
        run_job(pool, job, resp);
    }
    free(resp);
    return NULL;
}

int emu_pool_start(emu_pool *pool, sigil_fw *fw, unsigned workers)
{
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->cond, NULL);
    pool->head = pool->tail = NULL;
    pool->idle = 0;
    pool->stopping = false;
    pool->fw = fw;
    pool->n = 0;
    pool->threads = calloc(workers, sizeof(pthread_t));
    if (pool->threads == NULL)
        return -1;
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0)
            return -1;
        pool->n++;
    }
    return 0;
}

void emu_pool_submit(emu_pool *pool, emu_job *head, emu_job *tail, unsigned n)
{
    tail->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail != NULL)
        pool->tail->next = head;
    else
        pool->head = head;
    pool->tail = tail;
    /* Wake as many idle workers as there are new jobs, not all of them. */
    for (unsigned i = 0; i < n && i < pool->idle; i++)
        pthread_cond_signal(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
}

void emu_pool_stop(emu_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->n; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pool->threads = NULL;
    emu_stats_print();
    pthread_cond_destroy(&pool->cond);
    pthread_mutex_destroy(&pool->lock);
}
