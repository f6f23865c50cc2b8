/* Unit tests of the emulator's release stage (firmware/emu/release.c): answers leave only
 * once the trail is durable up to their records, a failed sync refuses them, many batches
 * share one sync, a stop answers everything handed over, and the pacing of syncs under load.
 *
 * The trail and the connections are mocks: sigil_fw_audit_sync blocks on a gate the test
 * opens and records what it was asked for; emu_conn_respond records each answer and what the
 * trail had made durable when it was written. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu.h"

/* ---- mocks ------------------------------------------------------------------------------- */

#define MAX_ANSWERS 256

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool gate_open;         /* sync returns only while open */
    sigil_status sync_status;
    unsigned syncs;         /* calls that returned */
    uint64_t sync_upto[64]; /* what each call was asked for */
    uint64_t durable;       /* the highest upto a successful sync returned for */
    unsigned in_sync;       /* calls blocked on the gate */
    unsigned answers;
    struct {
        uint8_t first_byte;
        size_t len;
        uint64_t durable_then;
        bool refused;
        bool flush;
        emu_conn *conn;
        pthread_t thread;
    } ans[MAX_ANSWERS];
} m = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

sigil_status sigil_fw_audit_sync(sigil_fw *fw, uint64_t upto)
{
    (void)fw;
    pthread_mutex_lock(&m.mu);
    m.in_sync++;
    pthread_cond_broadcast(&m.cv);
    while (!m.gate_open)
        pthread_cond_wait(&m.cv, &m.mu);
    m.in_sync--;
    if (m.syncs < 64)
        m.sync_upto[m.syncs] = upto;
    m.syncs++;
    sigil_status st = m.sync_status;
    if (st == SIGIL_ST_OK && upto > m.durable)
        m.durable = upto;
    pthread_cond_broadcast(&m.cv);
    pthread_mutex_unlock(&m.mu);
    return st;
}

/* Marks a refused answer: its first byte becomes 0xEE, and it shrinks to 1 byte. */
size_t sigil_fw_response_refused(uint8_t *resp, size_t len, sigil_status st)
{
    (void)len;
    (void)st;
    resp[0] = 0xEE;
    return 1;
}

void emu_conn_respond(emu_conn *c, const uint8_t *frame, size_t len, bool close_after, bool job,
                      bool flush)
{
    (void)close_after;
    assert_true(job);
    pthread_mutex_lock(&m.mu);
    assert_true(m.answers < MAX_ANSWERS);
    m.ans[m.answers].first_byte = len > 0 ? frame[0] : 0;
    m.ans[m.answers].len = len;
    m.ans[m.answers].durable_then = m.durable;
    m.ans[m.answers].refused = len > 0 && frame[0] == 0xEE;
    m.ans[m.answers].flush = flush;
    m.ans[m.answers].conn = c;
    m.ans[m.answers].thread = pthread_self();
    m.answers++;
    pthread_cond_broadcast(&m.cv);
    pthread_mutex_unlock(&m.mu);
}

void emu_conn_put(emu_conn *c)
{
    atomic_fetch_sub(&c->refs, 1);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static emu_conn g_conn, g_conn2;
static atomic_uint g_busy;

static int setup(void **state)
{
    (void)state;
    pthread_mutex_lock(&m.mu);
    m.gate_open = true;
    m.sync_status = SIGIL_ST_OK;
    m.syncs = 0;
    m.durable = 0;
    m.in_sync = 0;
    m.answers = 0;
    pthread_mutex_unlock(&m.mu);
    memset(&g_conn, 0, sizeof(g_conn));
    memset(&g_conn2, 0, sizeof(g_conn2));
    atomic_init(&g_conn.refs, 0);
    atomic_init(&g_conn2.refs, 0);
    atomic_init(&g_busy, 0);
    return 0;
}

static void set_gate(bool open)
{
    pthread_mutex_lock(&m.mu);
    m.gate_open = open;
    pthread_cond_broadcast(&m.cv);
    pthread_mutex_unlock(&m.mu);
}

static struct timespec deadline_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Waits (up to ms) until *counter reaches n; returns whether it did. */
static bool wait_count(const unsigned *counter, unsigned n, long ms)
{
    struct timespec until = deadline_ms(ms);
    pthread_mutex_lock(&m.mu);
    int rc = 0;
    while (*counter < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&m.cv, &m.mu, &until);
    bool ok = *counter >= n;
    pthread_mutex_unlock(&m.mu);
    return ok;
}

static unsigned get(const unsigned *counter)
{
    pthread_mutex_lock(&m.mu);
    unsigned v = *counter;
    pthread_mutex_unlock(&m.mu);
    return v;
}

/* Hands over n answers of one byte each (tag, tag+1, ...), each waiting for upto (0: none,
 * but the batch waits for upto_batch). */
static void submit(emu_release *r, unsigned n, uint8_t tag, uint64_t upto_each, uint64_t upto_batch)
{
    uint8_t buf[EMU_WORKER_BATCH];
    emu_held held[EMU_WORKER_BATCH];
    assert_true(n <= EMU_WORKER_BATCH);
    for (unsigned i = 0; i < n; i++) {
        buf[i] = (uint8_t)(tag + i);
        held[i] = (emu_held){.conn = &g_conn, .off = i, .len = 1, .durable_upto = upto_each};
        atomic_fetch_add(&g_conn.refs, 1);
    }
    emu_release_submit(r, buf, held, n, upto_batch);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(buf[i], 0); /* the worker's scratch is wiped once handed over */
}

/* The stage under test; a failed test's teardown stops it (opening the gate first). */
static emu_release g_r;
static bool g_started;

static emu_release *start(unsigned period_us)
{
    assert_int_equal(emu_release_start(&g_r, (sigil_fw *)0x1, period_us, &g_busy), 0);
    g_started = true;
    return &g_r;
}

static void stop(emu_release *r)
{
    g_started = false;
    emu_release_stop(r);
}

static int teardown(void **state)
{
    (void)state;
    if (g_started) {
        set_gate(true);
        atomic_store(&g_busy, 0);
        stop(&g_r);
    }
    return 0;
}

/* Starts the stage without pacing, hands over n answers waiting for position upto, and
 * returns once their sync is blocked on the gate. */
static emu_release *start_blocked_in_sync(unsigned n, uint8_t tag, uint64_t upto)
{
    emu_release *r = start(0);
    set_gate(false);
    submit(r, n, tag, upto, upto);
    assert_true(wait_count(&m.in_sync, 1, 10000));
    return r;
}

/* ---- tests ------------------------------------------------------------------------------- */

/* No answer is written before the sync that covers its record has returned. */
static void test_answers_wait_for_the_sync(void **state)
{
    (void)state;
    emu_release *r = start_blocked_in_sync(4, 0x10, 7);
    usleep(50 * 1000);
    assert_int_equal(get(&m.answers), 0); /* the sync has not returned: nothing left */
    set_gate(true);
    assert_true(wait_count(&m.answers, 4, 10000));
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(m.ans[i].first_byte, 0x10 + i);
        assert_true(m.ans[i].durable_then >= 7);
        assert_false(m.ans[i].refused);
    }
    assert_int_equal(m.sync_upto[0], 7);
    stop(r);
    assert_int_equal(atomic_load(&g_conn.refs), 0);
}

/* A failed sync refuses the answers that waited for a record, and only those. */
static void test_failed_sync_refuses(void **state)
{
    (void)state;
    emu_release *r;
    uint8_t buf[2] = {0x41, 0x42};
    emu_held held[2] = {
        {.conn = &g_conn, .off = 0, .len = 1, .durable_upto = 3},
        {.conn = &g_conn, .off = 1, .len = 1, .durable_upto = 0},
    };
    atomic_store(&g_conn.refs, 2);
    pthread_mutex_lock(&m.mu);
    m.sync_status = SIGIL_ST_AUDIT_FAILURE;
    pthread_mutex_unlock(&m.mu);
    r = start(0);
    emu_release_submit(r, buf, held, 2, 3);
    assert_true(wait_count(&m.answers, 2, 10000));
    assert_true(m.ans[0].refused);
    assert_int_equal(m.ans[0].len, 1);
    assert_false(m.ans[1].refused);
    assert_int_equal(m.ans[1].first_byte, 0x42);
    stop(r);
}

/* A batch with nothing to wait for is answered at once, by the worker, without a sync. */
static void test_nothing_to_wait_for_is_answered_inline(void **state)
{
    (void)state;
    emu_release *r = start(0);
    set_gate(false); /* a sync would block: there must be none */
    submit(r, 3, 0x20, 0, 0);
    assert_int_equal(get(&m.answers), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_true(pthread_equal(m.ans[i].thread, pthread_self()));
    assert_int_equal(get(&m.syncs), 0);
    set_gate(true);
    stop(r);
    assert_int_equal(get(&m.syncs), 0);
}

/* Batches handed over during a sync share the next one: one call for the highest position. */
static void test_batches_share_one_sync(void **state)
{
    (void)state;
    emu_release *r = start_blocked_in_sync(1, 0x30, 1);
    submit(r, 2, 0x40, 5, 5);
    submit(r, 2, 0x50, 9, 9);
    submit(r, 2, 0x60, 4, 4);
    set_gate(true);
    assert_true(wait_count(&m.answers, 7, 10000));
    assert_int_equal(get(&m.syncs), 2);
    assert_int_equal(m.sync_upto[0], 1);
    assert_int_equal(m.sync_upto[1], 9);
    for (unsigned i = 0; i < 7; i++)
        assert_true(m.ans[i].durable_then >= 9 || (i == 0 && m.ans[i].durable_then >= 1));
    stop(r);
}

static void *stop_thread(void *arg)
{
    stop(arg);
    return NULL;
}

/* A stop answers everything handed over before the thread leaves. */
static void test_stop_answers_everything(void **state)
{
    (void)state;
    pthread_t t;
    emu_release *r = start_blocked_in_sync(4, 0x70, 2);
    submit(r, 4, 0x80, 6, 6);
    assert_int_equal(pthread_create(&t, NULL, stop_thread, r), 0);
    usleep(20 * 1000);
    assert_int_equal(get(&m.answers), 0);
    set_gate(true);
    pthread_join(t, NULL);
    assert_int_equal(get(&m.answers), 8);
    assert_int_equal(atomic_load(&g_conn.refs), 0);
}

/* Starts the stage with a sync period and has one answer synced and written, so that the
 * next sync falls within the period of that one. */
static emu_release *start_after_one_sync(unsigned period_us, uint8_t tag)
{
    emu_release *r = start(period_us);
    submit(r, 1, tag, 1, 1);
    assert_true(wait_count(&m.answers, 1, 10000));
    return r;
}

/* With every worker idle, a sync is not paced: a lone request does not wait for the period. */
static void test_lone_request_is_not_paced(void **state)
{
    (void)state;
    emu_release *r = start_after_one_sync(2000000, 0x90); /* 2 s */
    submit(r, 1, 0x91, 2, 2); /* right after the first sync started: paced if workers were busy */
    assert_true(wait_count(&m.answers, 2, 1500));
    stop(r);
}

/* While a worker is busy, the next sync waits for the period; the last worker going idle
 * (emu_release_kick) starts it at once. */
static void test_busy_workers_pace_until_kicked(void **state)
{
    (void)state;
    emu_release *r = start_after_one_sync(5000000, 0xA0); /* 5 s */
    atomic_store(&g_busy, 1);
    submit(r, 1, 0xA1, 2, 2);
    usleep(200 * 1000);
    assert_int_equal(get(&m.answers), 1); /* paced: the period is far from over */
    atomic_store(&g_busy, 0);
    emu_release_kick(r);
    assert_true(wait_count(&m.answers, 2, 4000)); /* well before the period ends */
    stop(r);
}

/* While workers are busy, EMU_SYNC_BATCH answers waiting end the pacing. */
static void test_full_batch_ends_the_pacing(void **state)
{
    (void)state;
    emu_release *r = start_after_one_sync(5000000, 0xB0); /* 5 s */
    atomic_store(&g_busy, 1);
    unsigned sent = 0;
    while (sent + EMU_WORKER_BATCH < EMU_SYNC_BATCH) {
        submit(r, EMU_WORKER_BATCH, 0, 2, 2);
        sent += EMU_WORKER_BATCH;
    }
    usleep(200 * 1000);
    assert_int_equal(get(&m.answers), 1); /* fewer than EMU_SYNC_BATCH wait: still paced */
    submit(r, EMU_SYNC_BATCH - sent, 0, 3, 3);
    assert_true(wait_count(&m.answers, 1 + EMU_SYNC_BATCH, 4000));
    atomic_store(&g_busy, 0);
    stop(r);
}

/* A connection's answers in a batch are written together: each is flushed at its
 * connection's last answer of the batch, not before and not later. */
static void test_each_connection_flushed_at_its_last_answer(void **state)
{
    (void)state;
    emu_release *r;
    uint8_t buf[5] = {1, 2, 3, 4, 5};
    emu_conn *order[5] = {&g_conn, &g_conn2, &g_conn, &g_conn2, &g_conn2};
    emu_held held[5];
    for (unsigned i = 0; i < 5; i++) {
        held[i] = (emu_held){.conn = order[i], .off = i, .len = 1, .durable_upto = 4};
        atomic_fetch_add(&order[i]->refs, 1);
    }
    r = start(0);
    emu_release_submit(r, buf, held, 5, 4);
    assert_true(wait_count(&m.answers, 5, 10000));
    const bool want[5] = {false, false, true, false, true};
    for (unsigned i = 0; i < 5; i++) {
        assert_ptr_equal(m.ans[i].conn, order[i]);
        assert_int_equal(m.ans[i].flush, want[i]);
    }
    stop(r);
    assert_int_equal(atomic_load(&g_conn.refs), 0);
    assert_int_equal(atomic_load(&g_conn2.refs), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answers_wait_for_the_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_sync_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_wait_for_is_answered_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_share_one_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_answers_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lone_request_is_not_paced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_workers_pace_until_kicked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_batch_ends_the_pacing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_connection_flushed_at_its_last_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
