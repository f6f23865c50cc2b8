/* main.c — sigil-bench: the module under test, then (--compare) SoftHSMv2 and raw libcrypto
 * with the same mechanism, threads, number of keys and duration, in one process and one run.
 * With --repeat N the targets take turns N times and each one's best run is reported.
 *
 * Exit status: 0 every signature succeeded and every kept one verified; 1 a signature failed
 * or did not verify; 2 the benchmark could not be set up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_TARGETS 3u

typedef struct {
    bench_target t;
    bool open;
    void (*close)(bench_target *t);
    bench_result best;
    bool have_best;
} slot;

static const char *module_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    return strstr(base, "sigil") != NULL ? "sigil" : "module";
}

/* Runs t once; keeps the result when it is the best so far. -1 when it could not run. */
static int run_once(const bench_opts *o, slot *s, unsigned run)
{
    bench_result r;
    char err[BENCH_ERR_LEN];
    if (!o->json || getenv("SIGIL_BENCH_PROGRESS") != NULL)
        fprintf(stderr, "sigil-bench: %s, run %u of %u ...\n", s->t.name, run, o->repeat);
    if (bench_run(o, &s->t, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "sigil-bench: %s: %s\n", s->t.name, err);
        bench_result_free(&r);
        return -1;
    }
    bench_verify(&s->t, &r);
    bench_stats_compute(&r);
    bool failed = r.errors > 0 || r.verify_failures > 0;
    bool best_failed = s->have_best && (s->best.errors > 0 || s->best.verify_failures > 0);
    /* A failing run always shows: failures are never hidden behind a better run. */
    if (!s->have_best || failed || (!best_failed && r.per_s > s->best.per_s)) {
        if (s->have_best)
            bench_result_free(&s->best);
        s->best = r;
        s->have_best = true;
    } else {
        bench_result_free(&r);
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts o;
    slot targets[MAX_TARGETS];
    unsigned n = 0;
    softhsm_store store = {0};
    bool have_store = false;
    char err[BENCH_ERR_LEN];
    int rc = 2;

    int prc = bench_parse_args(argc, argv, &o);
    if (prc != 0)
        return prc > 0 ? 0 : 2;
    memset(targets, 0, sizeof(targets));

    unsigned seals = o.n_tokens > 0 ? o.n_tokens : (o.slots > 0 ? o.slots : 1);
    if (!o.no_sigil) {
        slot *s = &targets[n];
        if (p11_target_open(module_name(o.module), o.module, o.tokens, o.n_tokens, o.slots, o.pin, o.mech, &s->t,
                            err, sizeof(err)) != 0) {
            fprintf(stderr, "sigil-bench: %s: %s\n", o.module, err);
            goto out;
        }
        s->open = true;
        s->close = p11_target_close;
        seals = s->t.n_keys;
        n++;
    }
    if (o.compare) {
        if (softhsm_store_create(o.softhsm_module, seals, &store, err, sizeof(err)) != 0) {
            fprintf(stderr, "sigil-bench: --compare: %s\n", err);
            goto out;
        }
        have_store = true;
        slot *s = &targets[n];
        if (p11_target_open("softhsm2", o.softhsm_module, (const char *const *)store.labels, store.n, 0, store.pin,
                            o.mech, &s->t, err, sizeof(err)) != 0) {
            fprintf(stderr, "sigil-bench: --compare: SoftHSMv2: %s\n", err);
            goto out;
        }
        s->open = true;
        s->close = p11_target_close;
        n++;
        s = &targets[n];
        if (openssl_target_open(o.mech, seals, &s->t, err, sizeof(err)) != 0) {
            fprintf(stderr, "sigil-bench: --compare: %s\n", err);
            goto out;
        }
        s->open = true;
        s->close = openssl_target_close;
        n++;
    }

    for (unsigned run = 1; run <= o.repeat; run++)
        for (unsigned i = 0; i < n; i++)
            if (run_once(&o, &targets[i], run) != 0)
                goto out;

    bench_result *rs[MAX_TARGETS];
    const char *details[MAX_TARGETS];
    rc = 0;
    for (unsigned i = 0; i < n; i++) {
        rs[i] = &targets[i].best;
        details[i] = targets[i].t.detail;
        if (rs[i]->errors > 0 || rs[i]->verify_failures > 0 || rs[i]->ops == 0)
            rc = 1;
    }
    if (o.json)
        bench_report_json(&o, rs, n, details);
    else
        bench_report_text(&o, rs, n);
    if (rc != 0)
        fprintf(stderr, "sigil-bench: FAILED: a signature failed or did not verify\n");

out:
    for (unsigned i = 0; i < MAX_TARGETS; i++) {
        if (targets[i].have_best)
            bench_result_free(&targets[i].best);
        if (targets[i].open)
            targets[i].close(&targets[i].t);
    }
    if (have_store)
        softhsm_store_destroy(&store);
    return rc;
}
