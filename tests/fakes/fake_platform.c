/* fake_platform.c — in-memory sigil_platform with fault injection (see fake_platform.h). */
#include "fake_platform.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    uint8_t *data;
    size_t len;
} fake_blob;

typedef struct {
    pthread_mutex_t mu;
    /* entropy */
    uint64_t rng_state;
    bool fail_entropy;
    /* clocks */
    uint64_t time_s;
    uint64_t time_ms_frac; /* milliseconds not yet folded into time_s */
    uint64_t mono_ms;
    /* root secret */
    uint8_t root[SIGIL_ROOT_SECRET_LEN];
    unsigned root_destroyed;
    /* storage: sorted by name */
    fake_blob *blobs;
    size_t n_blobs;
    size_t cap_blobs;
    /* faults */
    unsigned fail_write_in; /* 0 = disarmed */
    unsigned tear_write_in;
    bool fail_reads;
    unsigned long writes;
} fake_state;

static fake_state *st_of(const sigil_platform *p) { return (fake_state *)p->impl; }

static void lock(fake_state *s) { (void)pthread_mutex_lock(&s->mu); }
static void unlock(fake_state *s) { (void)pthread_mutex_unlock(&s->mu); }

/* splitmix64: a counter-based generator, good for any seed including 0. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void fill_stream(uint64_t *state, uint8_t *out, size_t len)
{
    while (len > 0) {
        uint64_t v = splitmix64(state);
        for (size_t i = 0; i < 8 && len > 0; i++, len--) {
            *out++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

static bool name_ok(const char *name)
{
    if (name == NULL)
        return false;
    size_t n = strlen(name);
    if (n == 0 || n > SIGIL_STORAGE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Index of name, or of the insertion point when absent (*found = false). */
static size_t find_blob(const fake_state *s, const char *name, bool *found)
{
    size_t lo = 0, hi = s->n_blobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->blobs[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Stores a copy of data under name (creating or replacing). 0, or -1 when out of memory. */
static int put_blob(fake_state *s, const char *name, const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return -1;
    if (len > 0)
        memcpy(copy, data, len);
    bool found;
    size_t i = find_blob(s, name, &found);
    if (found) {
        free(s->blobs[i].data);
        s->blobs[i].data = copy;
        s->blobs[i].len = len;
        return 0;
    }
    if (s->n_blobs == s->cap_blobs) {
        size_t ncap = s->cap_blobs ? s->cap_blobs * 2 : 16;
        fake_blob *nb = realloc(s->blobs, ncap * sizeof(*nb));
        if (nb == NULL) {
            free(copy);
            return -1;
        }
        s->blobs = nb;
        s->cap_blobs = ncap;
    }
    char *ncopy = strdup(name);
    if (ncopy == NULL) {
        free(copy);
        return -1;
    }
    memmove(&s->blobs[i + 1], &s->blobs[i], (s->n_blobs - i) * sizeof(*s->blobs));
    s->blobs[i] = (fake_blob){.name = ncopy, .data = copy, .len = len};
    s->n_blobs++;
    return 0;
}

static void drop_blob(fake_state *s, size_t i)
{
    free(s->blobs[i].name);
    free(s->blobs[i].data);
    memmove(&s->blobs[i], &s->blobs[i + 1], (s->n_blobs - i - 1) * sizeof(*s->blobs));
    s->n_blobs--;
}

/* ---- sigil_platform_ops -------------------------------------------------- */

static int op_entropy(const sigil_platform *p, uint8_t *out, size_t len)
{
    fake_state *s = st_of(p);
    lock(s);
    int rc = -1;
    if (!s->fail_entropy) {
        fill_stream(&s->rng_state, out, len);
        rc = 0;
    }
    unlock(s);
    return rc;
}

static uint64_t op_time_now(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    uint64_t t = s->time_s;
    unlock(s);
    return t;
}

static uint64_t op_monotonic_ms(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    uint64_t t = s->mono_ms;
    unlock(s);
    return t;
}

static int op_root_secret(const sigil_platform *p, uint8_t out[SIGIL_ROOT_SECRET_LEN])
{
    fake_state *s = st_of(p);
    lock(s);
    memcpy(out, s->root, SIGIL_ROOT_SECRET_LEN);
    unlock(s);
    return 0;
}

static int op_root_secret_destroy(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    fill_stream(&s->rng_state, s->root, sizeof(s->root)); /* a new device from now on */
    s->root_destroyed++;
    unlock(s);
    return 0;
}

static int op_store_write(const sigil_platform *p, const char *name, const uint8_t *data, size_t len)
{
    fake_state *s = st_of(p);
    if (!name_ok(name) || (data == NULL && len > 0))
        return SIGIL_STORE_ERROR;
    lock(s);
    s->writes++;
    bool fail = false, tear = false;
    if (s->fail_write_in > 0 && --s->fail_write_in == 0)
        fail = true;
    if (s->tear_write_in > 0 && --s->tear_write_in == 0)
        tear = true;
    int rc;
    if (fail)
        rc = SIGIL_STORE_ERROR;
    else if (tear) {
        (void)put_blob(s, name, data, len / 2); /* a torn write: half the new content */
        rc = SIGIL_STORE_ERROR;
    }
    else
        rc = put_blob(s, name, data, len) == 0 ? SIGIL_STORE_OK : SIGIL_STORE_ERROR;
    unlock(s);
    return rc;
}

static int op_store_read(const sigil_platform *p, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
    fake_state *s = st_of(p);
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    lock(s);
    int rc;
    bool found;
    size_t i = find_blob(s, name, &found);
    if (s->fail_reads) {
        rc = SIGIL_STORE_ERROR;
    } else if (!found) {
        rc = SIGIL_STORE_MISSING;
    } else if (s->blobs[i].len > cap) {
        *len = s->blobs[i].len;
        rc = SIGIL_STORE_TOO_LARGE;
    } else {
        if (s->blobs[i].len > 0)
            memcpy(buf, s->blobs[i].data, s->blobs[i].len);
        *len = s->blobs[i].len;
        rc = SIGIL_STORE_OK;
    }
    unlock(s);
    return rc;
}

static int op_store_remove(const sigil_platform *p, const char *name)
{
    fake_state *s = st_of(p);
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    lock(s);
    bool found;
    size_t i = find_blob(s, name, &found);
    if (found)
        drop_blob(s, i);
    unlock(s);
    return SIGIL_STORE_OK;
}

/* Calls fn on a snapshot taken under the lock, so fn may call back into the platform. */
static int op_store_list(const sigil_platform *p, const char *prefix,
                         void (*fn)(void *ctx, const char *name), void *ctx)
{
    fake_state *s = st_of(p);
    size_t plen = prefix != NULL ? strlen(prefix) : 0;
    lock(s);
    char **names = calloc(s->n_blobs > 0 ? s->n_blobs : 1, sizeof(*names));
    size_t n = 0;
    int rc = names == NULL ? SIGIL_STORE_ERROR : SIGIL_STORE_OK;
    for (size_t i = 0; rc == SIGIL_STORE_OK && i < s->n_blobs; i++) {
        if (plen > 0 && strncmp(s->blobs[i].name, prefix, plen) != 0)
            continue;
        names[n] = strdup(s->blobs[i].name);
        if (names[n] == NULL)
            rc = SIGIL_STORE_ERROR;
        else
            n++;
    }
    unlock(s);
    for (size_t i = 0; i < n; i++) {
        if (rc == SIGIL_STORE_OK)
            fn(ctx, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Logs are blobs too; an append counts as a write for the fault injector
 * (a torn append keeps half of the new bytes). */
static int op_log_append(const sigil_platform *p, const char *name, const uint8_t *data, size_t len)
{
    fake_state *s = st_of(p);
    if (!name_ok(name) || (data == NULL && len > 0))
        return SIGIL_STORE_ERROR;
    lock(s);
    s->writes++;
    bool fail = s->fail_write_in > 0 && --s->fail_write_in == 0;
    bool tear = s->tear_write_in > 0 && --s->tear_write_in == 0;
    bool found;
    size_t i = find_blob(s, name, &found);
    size_t old = found ? s->blobs[i].len : 0;
    size_t add = fail ? 0 : tear ? len / 2 : len;
    int rc = SIGIL_STORE_ERROR;
    uint8_t *buf = malloc(old + add + 1);
    if (buf != NULL) {
        if (old > 0)
            memcpy(buf, s->blobs[i].data, old);
        if (add > 0)
            memcpy(buf + old, data, add);
        if (put_blob(s, name, buf, old + add) == 0 && !fail && !tear)
            rc = SIGIL_STORE_OK;
        free(buf);
    }
    unlock(s);
    return rc;
}

static int op_log_read(const sigil_platform *p, const char *name, uint64_t off, uint8_t *buf,
                       size_t cap, size_t *len)
{
    fake_state *s = st_of(p);
    *len = 0;
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    lock(s);
    bool found;
    size_t i = find_blob(s, name, &found);
    int rc = SIGIL_STORE_MISSING;
    if (s->fail_reads) {
        rc = SIGIL_STORE_ERROR;
    } else if (found) {
        if (off < s->blobs[i].len) {
            size_t n = s->blobs[i].len - (size_t)off;
            *len = n < cap ? n : cap;
            memcpy(buf, s->blobs[i].data + off, *len);
        }
        rc = SIGIL_STORE_OK;
    }
    unlock(s);
    return rc;
}

static int op_log_truncate(const sigil_platform *p, const char *name, uint64_t len)
{
    fake_state *s = st_of(p);
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    lock(s);
    bool found;
    size_t i = find_blob(s, name, &found);
    int rc = SIGIL_STORE_ERROR;
    if (found && len <= s->blobs[i].len) {
        s->blobs[i].len = (size_t)len;
        rc = SIGIL_STORE_OK;
    }
    unlock(s);
    return rc;
}

static const sigil_platform_ops fake_ops = {
    .entropy = op_entropy,
    .time_now = op_time_now,
    .monotonic_ms = op_monotonic_ms,
    .root_secret = op_root_secret,
    .root_secret_destroy = op_root_secret_destroy,
    .store_write = op_store_write,
    .store_read = op_store_read,
    .store_remove = op_store_remove,
    .store_list = op_store_list,
    .log_append = op_log_append,
    .log_read = op_log_read,
    .log_truncate = op_log_truncate,
};

/* ---- lifecycle and test controls ------------------------------------------- */

#define FAKE_DEFAULT_TIME 1700000000u /* 2023-11-14T22:13:20Z */

sigil_platform *fake_platform_new(uint64_t seed)
{
    sigil_platform *p = calloc(1, sizeof(*p));
    fake_state *s = calloc(1, sizeof(*s));
    if (p == NULL || s == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
        free(p);
        free(s);
        return NULL;
    }
    s->rng_state = seed;
    /* The root secret comes from its own stream so that it does not consume entropy. */
    uint64_t root_state = seed ^ 0x526F6F74536563ull; /* "RootSec" */
    fill_stream(&root_state, s->root, sizeof(s->root));
    s->time_s = FAKE_DEFAULT_TIME;
    s->mono_ms = 1000;
    p->ops = &fake_ops;
    p->impl = s;
    return p;
}

void fake_platform_free(sigil_platform *p)
{
    if (p == NULL)
        return;
    fake_state *s = st_of(p);
    for (size_t i = 0; i < s->n_blobs; i++) {
        free(s->blobs[i].name);
        free(s->blobs[i].data);
    }
    free(s->blobs);
    pthread_mutex_destroy(&s->mu);
    memset(s->root, 0, sizeof(s->root));
    free(s);
    free(p);
}

void fake_platform_seed(sigil_platform *p, uint64_t seed)
{
    fake_state *s = st_of(p);
    lock(s);
    s->rng_state = seed;
    unlock(s);
}

void fake_platform_fail_entropy(sigil_platform *p, bool fail)
{
    fake_state *s = st_of(p);
    lock(s);
    s->fail_entropy = fail;
    unlock(s);
}

void fake_platform_set_time(sigil_platform *p, uint64_t secs_since_epoch)
{
    fake_state *s = st_of(p);
    lock(s);
    s->time_s = secs_since_epoch;
    s->time_ms_frac = 0;
    unlock(s);
}

void fake_platform_set_monotonic_ms(sigil_platform *p, uint64_t ms)
{
    fake_state *s = st_of(p);
    lock(s);
    s->mono_ms = ms;
    unlock(s);
}

void fake_platform_advance_ms(sigil_platform *p, uint64_t ms)
{
    fake_state *s = st_of(p);
    lock(s);
    s->mono_ms += ms;
    s->time_ms_frac += ms;
    s->time_s += s->time_ms_frac / 1000u;
    s->time_ms_frac %= 1000u;
    unlock(s);
}

void fake_platform_set_root_secret(sigil_platform *p, const uint8_t secret[SIGIL_ROOT_SECRET_LEN])
{
    fake_state *s = st_of(p);
    lock(s);
    memcpy(s->root, secret, SIGIL_ROOT_SECRET_LEN);
    unlock(s);
}

void fake_platform_fail_write_after(sigil_platform *p, unsigned n)
{
    fake_state *s = st_of(p);
    lock(s);
    s->fail_write_in = n;
    unlock(s);
}

void fake_platform_tear_write_after(sigil_platform *p, unsigned n)
{
    fake_state *s = st_of(p);
    lock(s);
    s->tear_write_in = n;
    unlock(s);
}

void fake_platform_fail_reads(sigil_platform *p, bool fail)
{
    fake_state *s = st_of(p);
    lock(s);
    s->fail_reads = fail;
    unlock(s);
}

unsigned long fake_platform_write_count(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    unsigned long n = s->writes;
    unlock(s);
    return n;
}

const uint8_t *fake_platform_blob(const sigil_platform *p, const char *name, size_t *len)
{
    fake_state *s = st_of(p);
    lock(s);
    bool found;
    size_t i = find_blob(s, name, &found);
    const uint8_t *d = NULL;
    *len = 0;
    if (found) {
        d = s->blobs[i].data;
        *len = s->blobs[i].len;
    }
    unlock(s);
    return d;
}

void fake_platform_set_blob(sigil_platform *p, const char *name, const uint8_t *data, size_t len)
{
    fake_state *s = st_of(p);
    lock(s);
    if (put_blob(s, name, data, len) != 0)
        abort(); /* out of memory in a test helper: nothing sensible to report */
    unlock(s);
}

bool fake_platform_flip_bit(sigil_platform *p, const char *name, size_t bit)
{
    fake_state *s = st_of(p);
    lock(s);
    bool found;
    size_t i = find_blob(s, name, &found);
    bool ok = found && bit / 8u < s->blobs[i].len;
    if (ok)
        s->blobs[i].data[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
    unlock(s);
    return ok;
}

size_t fake_platform_blob_count(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    size_t n = s->n_blobs;
    unlock(s);
    return n;
}

const char *fake_platform_blob_name(const sigil_platform *p, size_t i)
{
    fake_state *s = st_of(p);
    lock(s);
    const char *name = i < s->n_blobs ? s->blobs[i].name : NULL;
    unlock(s);
    return name;
}

unsigned fake_platform_root_destroyed(const sigil_platform *p)
{
    fake_state *s = st_of(p);
    lock(s);
    unsigned n = s->root_destroyed;
    unlock(s);
    return n;
}
