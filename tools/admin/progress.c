/* progress.c — a progress indicator on stderr for what may take more than a second (RSA key
 * generation, backup and restore of many seals, exporting or verifying a long audit trail).
 *
 * Shown only when stderr is a terminal, or with --progress. On a terminal one line is
 * redrawn ("\r"); otherwise (--progress into a log) a line at most every second. With an
 * unknown total a thread redraws a spinner with the elapsed time while the caller waits for
 * one long request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"

struct admin_progress {
    bool tty;
    char what[128];
    uint64_t total;
    uint64_t done;
    double start;
    double last_print;
    bool thread_running;
    bool stop;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(admin_progress *p, bool final, bool ok)
{
    double t = now() - p->start;
    char line[256];
    if (final) {
        snprintf(line, sizeof line, "%s: %s (%.1f s)", p->what, ok ? "done" : "stopped", t);
    } else if (p->total == 0) {
        static const char spin[] = "|/-\\";
        snprintf(line, sizeof line, "%s %c %.0f s", p->what, spin[(unsigned)(t * 5) % 4], t);
    } else {
        unsigned pct = (unsigned)(p->done * 100u / (p->total ? p->total : 1));
        snprintf(line, sizeof line, "%s: %3u%% (%llu of %llu)", p->what, pct > 100 ? 100 : pct,
                 (unsigned long long)p->done, (unsigned long long)p->total);
    }
    if (p->tty)
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
    p->last_print = now();
}

static void *spinner(void *arg)
{
    admin_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        if (p->stop)
            break;
        if (p->tty || now() - p->last_print >= 1.0)
            draw(p, false, true);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

admin_progress *admin_progress_start(const admin_ctx *ctx, const char *what, uint64_t total)
{
    bool tty = isatty(STDERR_FILENO) != 0;
    admin_progress *p;
    if (!tty && !ctx->progress)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->tty = tty;
    snprintf(p->what, sizeof p->what, "%s", what);
    p->total = total;
    p->start = p->last_print = now();
    if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_cond_init(&p->cond, NULL) != 0) {
        free(p);
        return NULL;
    }
    draw(p, false, true);
    if (total == 0 && pthread_create(&p->thread, NULL, spinner, p) == 0)
        p->thread_running = true;
    return p;
}

void admin_progress_update(admin_progress *p, uint64_t done)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->done = done;
    double t = now();
    if (t - p->last_print >= (p->tty ? 0.1 : 1.0))
        draw(p, false, true);
    pthread_mutex_unlock(&p->lock);
}

void admin_progress_cb(void *arg, uint64_t done, uint64_t total)
{
    admin_progress *p = arg;
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->total = total;
    pthread_mutex_unlock(&p->lock);
    admin_progress_update(p, done);
}

void admin_progress_done(admin_progress *p, bool ok)
{
    if (p == NULL)
        return;
    if (p->thread_running) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
    }
    if (ok && p->total > 0)
        p->done = p->total;
    draw(p, true, ok);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
