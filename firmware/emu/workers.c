/* workers.c — the worker pool: one thread per worker, each with its own response buffer,
 * answering through its connection's out buffer (emu_conn_respond decides whether this
 * worker writes now).
 *
 * A submitted job goes straight to an idle worker when there is one: the worker is taken
 * off the idle stack (the most recently idle first: its cache is warm), given the job and
 * woken through its own semaphore, so that it never competes for the pool lock on waking.
 * Only when every worker is busy does the job wait in the queue, where a worker that
 * finishes picks it up before going idle. */
#include <errno.h>
#include <stdlib.h>

#include "emu.h"
#include "sigil_secmem.h"

static void run_job(emu_pool *pool, emu_job *job, uint8_t *resp)
{
    emu_conn *c = job->conn;
    bool close_conn = false;
    atomic_fetch_sub(&c->queued, 1);
    size_t n = sigil_fw_handle(pool->fw, c->fwc, job->frame, job->len, resp, SIGIL_FW_RESP_CAP, &close_conn);
    /* Requests carry PINs; both buffers are scratch, cleared after every command. */
    sigil_wipe(job->frame, job->len);
    free(job);
    /* The in-flight place is given back once the answer is written (emu_conn_respond). */
    emu_conn_respond(c, resp, n, close_conn, true);
    sigil_wipe(resp, n);
    emu_conn_put(c);
}

/* Pool lock held: the next queued job, or NULL. */
static emu_job *dequeue_locked(emu_pool *pool)
{
    emu_job *job = pool->head;
    if (job != NULL) {
        pool->head = job->next;
        if (pool->head == NULL)
            pool->tail = NULL;
    }
    return job;
}

static void *worker_main(void *arg)
{
    emu_worker *w = arg;
    emu_pool *pool = w->pool;
    uint8_t *resp = malloc(SIGIL_FW_RESP_CAP);
    emu_job *job = NULL;
    if (resp == NULL)
        abort(); /* cannot serve at all; start-up allocation */

    for (;;) {
        if (job == NULL) {
            while (sem_wait(&w->wake) != 0 && errno == EINTR)
                ;
            job = w->job; /* set before the post, which orders it: no lock to take */
            w->job = NULL;
            if (job == NULL) /* stopping */
                break;
        }
        run_job(pool, job, resp);
        pthread_mutex_lock(&pool->lock);
        job = dequeue_locked(pool);
        if (job == NULL) {
            if (pool->stopping) { /* drained */
                pthread_mutex_unlock(&pool->lock);
                break;
            }
            pool->idle[pool->n_idle++] = w;
        }
        pthread_mutex_unlock(&pool->lock);
    }
    free(resp);
    return NULL;
}

int emu_pool_start(emu_pool *pool, sigil_fw *fw, unsigned workers)
{
    pthread_mutex_init(&pool->lock, NULL);
    pool->head = pool->tail = NULL;
    pool->n_idle = 0;
    pool->stopping = false;
    pool->fw = fw;
    pool->n = 0;
    pool->workers = calloc(workers, sizeof(*pool->workers));
    pool->idle = calloc(workers, sizeof(*pool->idle));
    if (pool->workers == NULL || pool->idle == NULL)
        return -1;
    for (unsigned i = 0; i < workers; i++) {
        emu_worker *w = &pool->workers[i];
        w->pool = pool;
        if (sem_init(&w->wake, 0, 0) != 0)
            return -1;
        pthread_mutex_lock(&pool->lock);
        pool->idle[pool->n_idle++] = w;
        pthread_mutex_unlock(&pool->lock);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            pthread_mutex_lock(&pool->lock);
            pool->n_idle--;
            pthread_mutex_unlock(&pool->lock);
            sem_destroy(&w->wake);
            return -1;
        }
        pool->n++;
    }
    return 0;
}

void emu_pool_submit(emu_pool *pool, emu_job *head, emu_job *tail, unsigned n)
{
    emu_worker *woken[32];
    (void)n;
    tail->next = NULL;
    for (;;) {
        unsigned n_woken = 0;
        pthread_mutex_lock(&pool->lock);
        while (head != NULL && pool->n_idle > 0 && n_woken < sizeof(woken) / sizeof(woken[0])) {
            emu_worker *w = pool->idle[--pool->n_idle];
            w->job = head;
            head = head->next;
            w->job->next = NULL;
            woken[n_woken++] = w;
        }
        bool more = head != NULL && pool->n_idle > 0;
        if (head != NULL && !more) {
            if (pool->tail != NULL)
                pool->tail->next = head;
            else
                pool->head = head;
            pool->tail = tail;
            head = NULL;
        }
        pthread_mutex_unlock(&pool->lock);
        for (unsigned i = 0; i < n_woken; i++)
            sem_post(&woken[i]->wake);
        if (!more)
            break;
    }
}

void emu_pool_stop(emu_pool *pool)
{
    /* Workers drain the queue, then leave; the idle ones are told to leave now. */
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    unsigned n_idle = pool->n_idle;
    pool->n_idle = 0;
    for (unsigned i = 0; i < n_idle; i++)
        pool->idle[i]->job = NULL;
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < n_idle; i++)
        sem_post(&pool->idle[i]->wake);
    for (unsigned i = 0; i < pool->n; i++) {
        pthread_join(pool->workers[i].thread, NULL);
        sem_destroy(&pool->workers[i].wake);
    }
    free(pool->workers);
    free(pool->idle);
    pool->workers = NULL;
    pool->idle = NULL;
    emu_stats_print();
    pthread_mutex_destroy(&pool->lock);
}
