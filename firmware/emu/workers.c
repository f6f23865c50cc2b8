/* workers.c — the worker pool: one thread per worker, each with its own response buffer.
 * A worker's answers leave through the release stage (release.c) once their audit records
 * are durable; the worker itself never waits for the disk.
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

/* Runs a chain of jobs: each is carried out and its audit record queued; the answers are
 * handed over together to the release stage, which writes them once their records are
 * durable (no thread switch per request, no wait for the disk here). */
static void run_batch(emu_pool *pool, emu_job *job, uint8_t *buf)
{
    emu_held held[EMU_WORKER_BATCH];
    unsigned n = 0;
    size_t off = 0;
    uint64_t upto = 0;

    while (job != NULL) {
        emu_job *next = job->next;
        if (n == EMU_WORKER_BATCH || EMU_WORKER_BUF - off < SIGIL_FW_RESP_CAP) {
            emu_release_submit(&pool->release, buf, held, n, upto);
            n = 0;
            off = 0;
            upto = 0;
        }
        emu_held *h = &held[n++];
        h->conn = job->conn;
        h->off = off;
        h->len = sigil_fw_handle_queued(pool->fw, job->conn->fwc, job->frame, job->len, buf + off,
                                        SIGIL_FW_RESP_CAP, &h->close_conn, &h->durable_upto);
        if (h->durable_upto > upto)
            upto = h->durable_upto;
        off += h->len;
        /* Requests carry PINs: scratch, cleared after every command. */
        sigil_wipe(job->frame, job->len);
        free(job);
        job = next;
    }
    emu_release_submit(&pool->release, buf, held, n, upto);
}

/* Pool lock held: up to EMU_WORKER_BATCH queued jobs as a chain, or NULL. */
static emu_job *dequeue_locked(emu_pool *pool)
{
    emu_job *head = pool->head, *last = NULL;
    unsigned n = 0;
    for (emu_job *j = head; j != NULL && n < EMU_WORKER_BATCH; j = j->next, n++)
        last = j;
    if (last != NULL) {
        pool->head = last->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        last->next = NULL;
    }
    return head;
}

static void *worker_main(void *arg)
{
    emu_worker *w = arg;
    emu_pool *pool = w->pool;
    uint8_t *resp = malloc(EMU_WORKER_BUF);
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
        run_batch(pool, job, resp);
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
        /* The last busy worker going idle: nothing more is coming for a paced sync. */
        if (job == NULL && atomic_fetch_sub(&pool->busy, 1) == 1)
            emu_release_kick(&pool->release);
    }
    free(resp);
    return NULL;
}

int emu_pool_start(emu_pool *pool, sigil_fw *fw, unsigned workers, unsigned sync_period_us)
{
    pthread_mutex_init(&pool->lock, NULL);
    pool->head = pool->tail = NULL;
    pool->n_idle = 0;
    pool->stopping = false;
    pool->fw = fw;
    pool->n = 0;
    atomic_init(&pool->busy, 0);
    if (emu_release_start(&pool->release, fw, sync_period_us, &pool->busy) != 0)
        return -1;
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
    tail->next = NULL;
    for (;;) {
        unsigned n_woken = 0;
        pthread_mutex_lock(&pool->lock);
        /* Shared among the idle workers, in chains of at most EMU_WORKER_BATCH: a few
         * requests wake one worker each, many are answered in batches. */
        unsigned share = pool->n_idle > 0 ? (n + pool->n_idle - 1) / pool->n_idle : n;
        if (share > EMU_WORKER_BATCH)
            share = EMU_WORKER_BATCH;
        while (head != NULL && pool->n_idle > 0 && n_woken < sizeof(woken) / sizeof(woken[0])) {
            emu_worker *w = pool->idle[--pool->n_idle];
            atomic_fetch_add(&pool->busy, 1);
            emu_job *last = head;
            for (unsigned i = 1; i < share && last->next != NULL; i++)
                last = last->next;
            w->job = head;
            head = last->next;
            last->next = NULL;
            n -= n >= share ? share : n;
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
    emu_release_stop(&pool->release); /* the workers' last answers */
    free(pool->workers);
    free(pool->idle);
    pool->workers = NULL;
    pool->idle = NULL;
    emu_stats_print();
    pthread_mutex_destroy(&pool->lock);
}
