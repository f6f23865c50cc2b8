/* stats.c — rates, latency percentiles (nearest rank over every timed signature), the machine,
 * and the two reports: a table for people, one JSON object for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999); /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1e6;
}

void bench_stats_compute(bench_result *r)
{
    qsort(r->lat_ns, r->n_lat, sizeof(*r->lat_ns), cmp_u64);
    r->per_s = r->seconds > 0 ? (double)r->ops / r->seconds : 0;
    r->per_hour = r->per_s * 3600.0;
    r->p50_ms = pct_ms(r->lat_ns, r->n_lat, 50);
    r->p99_ms = pct_ms(r->lat_ns, r->n_lat, 99);
    r->max_ms = r->n_lat ? (double)r->lat_ns[r->n_lat - 1] / 1e6 : 0;
    double sum = 0;
    for (size_t i = 0; i < r->n_lat; i++)
        sum += (double)r->lat_ns[i];
    r->mean_ms = r->n_lat ? sum / (double)r->n_lat / 1e6 : 0;
}

/* ---- the machine ---------------------------------------------------------------------------- */

static void cpu_model(char *out, size_t cap)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "re");
    snprintf(out, cap, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p != NULL) {
                p++;
                while (*p == ' ')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(out, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static unsigned long mem_mib(void)
{
    char line[256];
    unsigned long kib = 0;
    FILE *f = fopen("/proc/meminfo", "re");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "MemTotal: %lu kB", &kib) == 1)
            break;
    fclose(f);
    return kib / 1024;
}

static double load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "re");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

/* ---- ratios ----------------------------------------------------------------------------------- */

/* The module under test (the first result) against each reference, and SoftHSMv2 against
 * libcrypto. Returns how many pairs were written to a[]/b[]. */
static unsigned ratio_pairs(bench_result *const *rs, unsigned n, const bench_result **a, const bench_result **b)
{
    unsigned k = 0;
    const bench_result *soft = NULL, *ossl = NULL;
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(rs[i]->target, "softhsm2") == 0)
            soft = rs[i];
        else if (strcmp(rs[i]->target, "openssl") == 0)
            ossl = rs[i];
    }
    for (unsigned i = 1; i < n; i++) {
        if (rs[0] == soft || rs[0] == ossl || rs[i]->per_s <= 0)
            break;
        a[k] = rs[0];
        b[k++] = rs[i];
    }
    if (soft != NULL && ossl != NULL && ossl->per_s > 0) {
        a[k] = soft;
        b[k++] = ossl;
    }
    return k;
}

/* ---- text ------------------------------------------------------------------------------------- */

static void thousands(double v, char *out, size_t cap)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.0f", v);
    size_t len = strlen(tmp), o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        out[o++] = tmp[i];
        size_t left = len - i - 1;
        if (left > 0 && left % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
}

void bench_report_text(const bench_opts *o, bench_result *const *rs, unsigned n)
{
    char cpu[256];
    cpu_model(cpu, sizeof(cpu));
    printf("sigil-bench: %s, %u thread(s), %u seal(s), ", o->mech->name, o->threads,
           o->n_tokens > 0 ? o->n_tokens : (o->slots > 0 ? o->slots : 1));
    if (o->ops > 0)
        printf("%llu signatures per run", (unsigned long long)o->ops);
    else
        printf("%.1f s per run", o->duration);
    if (o->rate > 0)
        printf(", %.0f signatures/s offered", o->rate);
    if (o->repeat > 1)
        printf(", best of %u runs", o->repeat);
    printf("\nmachine: %ld CPUs (%s), %lu MiB, load %.2f\n", sysconf(_SC_NPROCESSORS_ONLN), cpu, mem_mib(),
           load1());
    printf("%-9s %13s %16s %8s %8s %8s %9s %7s\n", "target", "signatures/s", "per hour", "p50 ms", "p99 ms",
           "max ms", "verified", "failed");
    for (unsigned i = 0; i < n; i++) {
        const bench_result *r = rs[i];
        char ps[32], ph[32];
        thousands(r->per_s, ps, sizeof(ps));
        thousands(r->per_hour, ph, sizeof(ph));
        printf("%-9s %13s %16s %8.3f %8.3f %8.3f %9llu %7llu\n", r->target, ps, ph, r->p50_ms, r->p99_ms,
               r->max_ms, (unsigned long long)r->verified,
               (unsigned long long)(r->verify_failures + r->errors));
        if (r->errors > 0)
            printf("  %s: %llu failed signature call(s); first: %s\n", r->target, (unsigned long long)r->errors,
                   r->first_error);
    }
    const bench_result *a[4], *b[4];
    unsigned k = ratio_pairs(rs, n, a, b);
    for (unsigned i = 0; i < k; i++)
        printf("%s%s/%s %.2f", i ? "   " : "ratios: ", a[i]->target, b[i]->target, a[i]->per_s / b[i]->per_s);
    if (k > 0)
        printf("\n");
}

/* ---- JSON ------------------------------------------------------------------------------------- */

static void json_str(const char *s)
{
    putchar('"');
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

void bench_report_json(const bench_opts *o, bench_result *const *rs, unsigned n, const char *const *details)
{
    char cpu[256];
    cpu_model(cpu, sizeof(cpu));
    printf("{\"tool\":\"sigil-bench\",\"mechanism\":");
    json_str(o->mech->name);
    printf(",\"threads\":%u,\"seals\":%u,", o->threads,
           o->n_tokens > 0 ? o->n_tokens : (o->slots > 0 ? o->slots : 1));
    if (o->ops > 0)
        printf("\"ops_per_run\":%llu,", (unsigned long long)o->ops);
    else
        printf("\"duration_s\":%.3f,", o->duration);
    if (o->rate > 0)
        printf("\"rate_offered\":%.1f,", o->rate);
    printf("\"repeat\":%u,\"verify_every\":%u,\"machine\":{\"nproc\":%ld,\"cpu\":", o->repeat, o->verify_every,
           sysconf(_SC_NPROCESSORS_ONLN));
    json_str(cpu);
    printf(",\"mem_mib\":%lu,\"load1\":%.2f},\"results\":[", mem_mib(), load1());
    for (unsigned i = 0; i < n; i++) {
        const bench_result *r = rs[i];
        printf("%s{\"target\":", i ? "," : "");
        json_str(r->target);
        printf(",\"detail\":");
        json_str(details[i]);
        printf(",\"ops\":%llu,\"seconds\":%.4f,\"signatures_per_s\":%.1f,\"signatures_per_hour\":%.0f,"
               "\"latency_ms\":{\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f,\"mean\":%.4f},"
               "\"errors\":%llu,\"verified\":%llu,\"verify_failures\":%llu,\"first_error\":",
               (unsigned long long)r->ops, r->seconds, r->per_s, r->per_hour, r->p50_ms, r->p99_ms, r->max_ms,
               r->mean_ms, (unsigned long long)r->errors, (unsigned long long)r->verified,
               (unsigned long long)r->verify_failures);
        json_str(r->first_error);
        printf("}");
    }
    printf("],\"ratios\":{");
    const bench_result *a[4], *b[4];
    unsigned k = ratio_pairs(rs, n, a, b);
    for (unsigned i = 0; i < k; i++)
        printf("%s\"%s/%s\":%.4f", i ? "," : "", a[i]->target, b[i]->target, a[i]->per_s / b[i]->per_s);
    printf("}}\n");
}
