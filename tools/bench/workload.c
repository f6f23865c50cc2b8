/* workload.c — the timed part: N threads, each with its own session (or libcrypto context),
 * signing fresh pseudo-random digests back to back.
 *
 * Every thread opens what it needs and signs --warmup times untimed, then all start together
 * at a start gate; the clock runs from the gate until the last thread has stopped (after
 * --duration, or when the --ops are shared out and done). Each signature's latency goes to the
 * thread's own array (no sharing while timing). With --rate, thread i of n signs at the start
 * time + (i + k n) / rate for k = 0, 1, ... (the offered load spread evenly), sleeping until
 * each due time; a signature's latency then runs from its due time, not from when the thread
 * got to it, so a device that falls behind shows it in the latencies (no coordinated
 * omission). 1 in --verify-every signatures and each
 * thread's first and last are kept, with their digest, for verify.c. The first failing call
 * stops the run: a benchmark with failures measures nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "bench.h"

/* All threads start signing together: each checks in, the clock starts, they go. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned ready;
    bool go;
    uint64_t t0; /* the clock's start (ns, CLOCK_MONOTONIC), set before go */
} start_gate;

typedef struct {
    const bench_opts *o;
    bench_target *t;
    unsigned idx;
    uint64_t quota; /* --ops: this thread's share; 0 with --duration */
    start_gate *start;
    atomic_bool *stop;
    uint64_t rng;

    uint64_t *lat;
    size_t n_lat, cap_lat;
    bench_sample *samples;
    size_t n_samples, cap_samples;
    uint64_t errors;
    bool init_failed;
    char err[BENCH_ERR_LEN];
    struct timespec end;
} worker;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void fresh_digest(worker *w, uint8_t *d, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = splitmix64(&w->rng);
        memcpy(d + i, &v, len - i < 8 ? len - i : 8);
    }
}

static int keep_sample(worker *w, const uint8_t *digest, size_t dlen, const uint8_t *sig, size_t slen)
{
    if (w->n_samples == w->cap_samples) {
        size_t cap = w->cap_samples ? 2 * w->cap_samples : 64;
        bench_sample *n = realloc(w->samples, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        w->samples = n;
        w->cap_samples = cap;
    }
    bench_sample *s = &w->samples[w->n_samples++];
    s->key = w->idx % w->t->n_keys;
    memcpy(s->digest, digest, dlen);
    memcpy(s->sig, sig, slen);
    s->sig_len = slen;
    return 0;
}

static int keep_latency(worker *w, uint64_t ns)
{
    if (w->n_lat == w->cap_lat) {
        size_t cap = w->cap_lat ? 2 * w->cap_lat : 65536;
        uint64_t *n = realloc(w->lat, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        w->lat = n;
        w->cap_lat = cap;
    }
    w->lat[w->n_lat++] = ns;
    return 0;
}

static void fail(worker *w, const char *what)
{
    if (w->errors++ == 0)
        snprintf(w->err, sizeof(w->err), "%s", what);
    atomic_store(w->stop, true);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    const bench_mech *m = w->t->mech;
    size_t dlen = m->digest_len;
    void *tctx = NULL;
    uint8_t digest[2][64];
    uint8_t sig[2][BENCH_MAX_SIG];
    size_t slen[2] = {0, 0};
    char err[BENCH_ERR_LEN];
    uint64_t done = 0;

    if (w->t->thread_init(w->t, w->idx, &tctx, err, sizeof(err)) != 0) {
        w->init_failed = true;
        fail(w, err);
    }
    for (unsigned i = 0; !w->init_failed && i < w->o->warmup; i++) {
        fresh_digest(w, digest[0], dlen);
        if (w->t->sign(tctx, digest[0], dlen, sig[0], &slen[0], err, sizeof(err)) != 0) {
            w->init_failed = true;
            fail(w, err);
        }
    }
    pthread_mutex_lock(&w->start->mu);
    w->start->ready++;
    pthread_cond_broadcast(&w->start->cv);
    while (!w->start->go)
        pthread_cond_wait(&w->start->cv, &w->start->mu);
    uint64_t t_start = w->start->t0;
    pthread_mutex_unlock(&w->start->mu);
    /* --rate: this thread's k-th signature is due at t_start + (idx + k * threads) / rate. */
    double period_ns = w->o->rate > 0 ? 1e9 * (double)w->o->threads / w->o->rate : 0;
    double phase_ns = w->o->rate > 0 ? 1e9 * (double)w->idx / w->o->rate : 0;
    if (period_ns > 0)
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* wake on time: lateness counts */

    while (!w->init_failed && !atomic_load_explicit(w->stop, memory_order_relaxed) &&
           (w->quota == 0 || done < w->quota)) {
        unsigned b = (unsigned)(done & 1);
        fresh_digest(w, digest[b], dlen);
        uint64_t t0 = now_ns();
        if (period_ns > 0) {
            uint64_t due = t_start + (uint64_t)(phase_ns + (double)done * period_ns);
            if (due > t0) {
                struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                                      .tv_nsec = (long)(due % 1000000000u)};
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                    ;
                if (atomic_load_explicit(w->stop, memory_order_relaxed))
                    break;
            }
            t0 = due;
        }
        int rc = w->t->sign(tctx, digest[b], dlen, sig[b], &slen[b], err, sizeof(err));
        uint64_t t1 = now_ns();
        if (rc != 0) {
            fail(w, err);
            break;
        }
        if (keep_latency(w, t1 - t0) != 0) {
            fail(w, "out of memory for latencies");
            break;
        }
        if (done % w->o->verify_every == 0 && keep_sample(w, digest[b], dlen, sig[b], slen[b]) != 0) {
            fail(w, "out of memory for samples");
            break;
        }
        done++;
    }
    clock_gettime(CLOCK_MONOTONIC, &w->end);
    if (done > 0 && (done - 1) % w->o->verify_every != 0) { /* the last one */
        unsigned b = (unsigned)((done - 1) & 1);
        (void)keep_sample(w, digest[b], dlen, sig[b], slen[b]);
    }
    if (tctx != NULL)
        w->t->thread_done(tctx);
    return NULL;
}

int bench_run(const bench_opts *o, bench_target *t, bench_result *r, char *err, size_t errlen)
{
    unsigned n = o->threads;
    pthread_t *tid = calloc(n, sizeof(*tid));
    worker *ws = calloc(n, sizeof(*ws));
    start_gate start = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    atomic_bool stop;
    unsigned started = 0;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    r->target = t->name;
    r->threads = n;
    if (tid == NULL || ws == NULL) {
        snprintf(err, errlen, "out of memory");
        free(tid);
        free(ws);
        return -1;
    }
    atomic_init(&stop, false);
    uint64_t seed = now_ns();
    for (unsigned i = 0; i < n; i++) {
        worker *w = &ws[i];
        w->o = o;
        w->t = t;
        w->idx = i;
        w->start = &start;
        w->stop = &stop;
        w->rng = seed ^ ((uint64_t)(i + 1) * UINT64_C(0x2545f4914f6cdd1d));
        if (o->ops > 0)
            w->quota = o->ops / n + (i < o->ops % n ? 1 : 0);
        if (o->ops > 0 && w->quota == 0)
            w->quota = 1; /* fewer ops than threads: each thread signs once */
        if (pthread_create(&tid[i], NULL, worker_main, w) != 0) {
            snprintf(err, errlen, "cannot start thread %u of %u", i + 1, n);
            break;
        }
        started++;
    }
    if (started < n)
        atomic_store(&stop, true);
    pthread_mutex_lock(&start.mu);
    while (start.ready < started)
        pthread_cond_wait(&start.cv, &start.mu);
    uint64_t t0 = now_ns();
    start.t0 = t0;
    start.go = true;
    pthread_cond_broadcast(&start.cv);
    pthread_mutex_unlock(&start.mu);
    if (o->duration > 0 && started == n) {
        /* Sleep in short steps: a failing signature ends the run early. */
        uint64_t until = t0 + (uint64_t)(o->duration * 1e9);
        for (uint64_t now = now_ns(); now < until && !atomic_load(&stop); now = now_ns()) {
            uint64_t step = until - now < 20000000u ? until - now : 20000000u;
            struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step};
            nanosleep(&ts, NULL);
        }
        atomic_store(&stop, true);
    }
    uint64_t t_end = t0;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        uint64_t e = (uint64_t)ws[i].end.tv_sec * 1000000000u + (uint64_t)ws[i].end.tv_nsec;
        if (e > t_end)
            t_end = e;
    }
    pthread_cond_destroy(&start.cv);
    pthread_mutex_destroy(&start.mu);
    r->seconds = (double)(t_end - t0) / 1e9;

    size_t n_lat = 0, n_samples = 0;
    for (unsigned i = 0; i < n; i++) {
        n_lat += ws[i].n_lat;
        n_samples += ws[i].n_samples;
        r->errors += ws[i].errors;
        if (ws[i].errors > 0 && r->first_error[0] == '\0')
            snprintf(r->first_error, sizeof(r->first_error), "thread %u: %.400s", i, ws[i].err);
    }
    r->lat_ns = malloc((n_lat ? n_lat : 1) * sizeof(*r->lat_ns));
    r->samples = malloc((n_samples ? n_samples : 1) * sizeof(*r->samples));
    if (r->lat_ns != NULL && r->samples != NULL) {
        for (unsigned i = 0; i < n; i++) {
            if (ws[i].n_lat > 0)
                memcpy(r->lat_ns + r->n_lat, ws[i].lat, ws[i].n_lat * sizeof(*r->lat_ns));
            r->n_lat += ws[i].n_lat;
            if (ws[i].n_samples > 0)
                memcpy(r->samples + r->n_samples, ws[i].samples, ws[i].n_samples * sizeof(*r->samples));
            r->n_samples += ws[i].n_samples;
        }
        r->ops = r->n_lat;
        rc = started == n ? 0 : -1;
    } else {
        snprintf(err, errlen, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        free(ws[i].lat);
        free(ws[i].samples);
    }
    free(ws);
    free(tid);
    return rc;
}

void bench_result_free(bench_result *r)
{
    free(r->lat_ns);
    free(r->samples);
    r->lat_ns = NULL;
    r->samples = NULL;
}
