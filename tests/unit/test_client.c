/* test_client.c — the module's client (module/client) against a fake appliance on socketpairs.
 *
 * The fake transport's open() makes a socketpair and starts a server thread on the other
 * end; the server answers HELLO, then follows the test's script (echo, answer in reverse
 * order, swallow and hang up, answer with the wrong opcode ...). A gate in send_all lets a
 * test hold the flushing caller inside its write while others queue behind it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sigil_client.h"

#define TEST_OP SIGIL_OP_RANDOM /* any opcode: the fake answers by script, not by meaning */
#define MAX_TOKENS 64

typedef enum {
    SRV_ECHO = 0,       /* answer each request with its body */
    SRV_REVERSE,        /* collect g.batch requests, answer them last first */
    SRV_SWALLOW_CLOSE,  /* read g.batch requests, answer none, hang up */
    SRV_WRONG_OPCODE,   /* answer with another opcode */
    SRV_UNKNOWN_ID,     /* answer with a request id nobody used */
    SRV_STATUS_BODY,    /* answer an error status with a body (malformed) */
    SRV_REFUSE_HELLO,   /* answer HELLO with BUSY */
    SRV_HOLD,           /* hold every answer until g.released, then echo them */
} srv_mode;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    srv_mode mode;       /* for connections opened from now on, and running ones */
    unsigned batch;
    unsigned opens;
    unsigned running;    /* server threads alive */
    uint8_t tokens[MAX_TOKENS][SIGIL_APP_TOKEN_LEN];
    unsigned n_tokens;
    bool fail_open;
    int server_fds[MAX_TOKENS];
    unsigned n_server_fds;
    /* send gate: the first non-HELLO send_all blocks while armed, until released */
    bool gate_armed, gate_open;
    bool released;       /* SRV_HOLD */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static const uint8_t k_token[SIGIL_APP_TOKEN_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* ---- server side --------------------------------------------------------------------------- */

static int read_all(int fd, uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = read(fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

typedef struct {
    sigil_frame_hdr h;
    uint8_t *body;
} req;

static int read_req(int fd, req *r)
{
    uint8_t hdr[SIGIL_FRAME_HDR_LEN];
    if (read_all(fd, hdr, sizeof(hdr)) != 0)
        return -1;
    if (sigil_frame_hdr_decode(hdr, SIGIL_FRAME_MAX_BODY, &r->h) != SIGIL_ST_OK)
        return -1;
    r->body = malloc(r->h.body_len + 1u);
    if (r->body == NULL)
        return -1;
    if (read_all(fd, r->body, r->h.body_len) != 0) {
        free(r->body);
        return -1;
    }
    return 0;
}

static int answer(int fd, const req *r, uint16_t opcode, uint32_t id, uint32_t status, const uint8_t *body,
                  size_t len)
{
    uint8_t hdr[SIGIL_FRAME_HDR_LEN];
    sigil_frame_hdr h = {.body_len = (uint32_t)len, .version = 1, .kind = SIGIL_KIND_RESPONSE,
                         .opcode = opcode, .request_id = id, .status = status};
    (void)r;
    sigil_frame_hdr_encode(&h, hdr);
    uint8_t *f = malloc(sizeof(hdr) + len);
    if (f == NULL)
        return -1;
    memcpy(f, hdr, sizeof(hdr));
    if (len > 0)
        memcpy(f + sizeof(hdr), body, len);
    int rc = write_all(fd, f, sizeof(hdr) + len);
    free(f);
    return rc;
}

static int echo(int fd, const req *r)
{
    return answer(fd, r, r->h.opcode, r->h.request_id, SIGIL_ST_OK, r->body, r->h.body_len);
}

static srv_mode mode_now(unsigned *batch)
{
    pthread_mutex_lock(&g.mu);
    srv_mode m = g.mode;
    *batch = g.batch;
    pthread_mutex_unlock(&g.mu);
    return m;
}

static void *server_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    req r;
    req held[256];
    unsigned n_held = 0;

    /* HELLO */
    if (read_req(fd, &r) == 0) {
        unsigned batch;
        srv_mode m = mode_now(&batch);
        pthread_mutex_lock(&g.mu);
        if (r.h.opcode == SIGIL_OP_HELLO && r.h.body_len == 2 + 4 + SIGIL_APP_TOKEN_LEN &&
            g.n_tokens < MAX_TOKENS)
            memcpy(g.tokens[g.n_tokens++], r.body + 6, SIGIL_APP_TOKEN_LEN);
        pthread_mutex_unlock(&g.mu);
        uint8_t body[64];
        sigil_wr w;
        sigil_wr_init(&w, body, sizeof(body));
        sigil_wr_u16(&w, 1);
        sigil_wr_u32(&w, 3);
        sigil_wr_str(&w, "fake-fw 1.0");
        int rc = m == SRV_REFUSE_HELLO ? answer(fd, &r, r.h.opcode, r.h.request_id, SIGIL_ST_BUSY, NULL, 0)
                                       : answer(fd, &r, r.h.opcode, r.h.request_id, SIGIL_ST_OK, body, w.len);
        free(r.body);
        if (m == SRV_REFUSE_HELLO || rc != 0)
            goto out;
    } else {
        goto out;
    }

    while (read_req(fd, &r) == 0) {
        unsigned batch;
        srv_mode m = mode_now(&batch);
        int rc = 0;
        switch (m) {
        case SRV_ECHO:
            rc = echo(fd, &r);
            free(r.body);
            break;
        case SRV_REVERSE:
            held[n_held++] = r;
            if (n_held >= batch) {
                while (n_held > 0 && rc == 0) {
                    n_held--;
                    rc = echo(fd, &held[n_held]);
                    free(held[n_held].body);
                }
            }
            break;
        case SRV_SWALLOW_CLOSE:
            free(r.body);
            if (++n_held >= batch)
                rc = -1;
            break;
        case SRV_WRONG_OPCODE:
            rc = answer(fd, &r, (uint16_t)(r.h.opcode + 1), r.h.request_id, SIGIL_ST_OK, NULL, 0);
            free(r.body);
            break;
        case SRV_UNKNOWN_ID:
            rc = answer(fd, &r, r.h.opcode, r.h.request_id + 1000, SIGIL_ST_OK, NULL, 0);
            free(r.body);
            break;
        case SRV_STATUS_BODY:
            rc = answer(fd, &r, r.h.opcode, r.h.request_id, SIGIL_ST_BUSY, r.body, r.h.body_len);
            free(r.body);
            break;
        case SRV_REFUSE_HELLO:
            free(r.body);
            break;
        case SRV_HOLD:
            held[n_held++] = r;
            pthread_mutex_lock(&g.mu);
            while (!g.released)
                pthread_cond_wait(&g.cv, &g.mu);
            pthread_mutex_unlock(&g.mu);
            while (n_held > 0 && rc == 0) {
                n_held--;
                rc = echo(fd, &held[n_held]);
                free(held[n_held].body);
            }
            break;
        }
        if (rc != 0)
            break;
    }
out:
    while (n_held > 0 && mode_now(&(unsigned){0}) == SRV_REVERSE)
        free(held[--n_held].body);
    pthread_mutex_lock(&g.mu);
    for (unsigned i = 0; i < g.n_server_fds; i++)
        if (g.server_fds[i] == fd)
            g.server_fds[i] = -1;
    close(fd); /* under the lock: its number is not reused before it leaves the list */
    g.running--;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* Hangs up every server end (the appliance "restarts"). */
static void server_hangup_all(void)
{
    pthread_mutex_lock(&g.mu);
    for (unsigned i = 0; i < g.n_server_fds; i++)
        if (g.server_fds[i] >= 0)
            shutdown(g.server_fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&g.mu);
}

/* ---- the fake transport ---------------------------------------------------------------------- */

typedef struct {
    int fd;
    bool hello_sent;
} fconn;

static void *f_open(void *ctx, const char *address, char *errmsg, size_t errlen)
{
    (void)ctx;
    (void)address;
    int sv[2];
    pthread_t t;
    pthread_mutex_lock(&g.mu);
    bool fail = g.fail_open;
    pthread_mutex_unlock(&g.mu);
    if (fail || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(errmsg, errlen, "fake: no appliance");
        return NULL;
    }
    fconn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    c->fd = sv[0];
    pthread_mutex_lock(&g.mu);
    g.opens++;
    g.running++;
    if (g.n_server_fds < MAX_TOKENS)
        g.server_fds[g.n_server_fds++] = sv[1];
    pthread_mutex_unlock(&g.mu);
    if (pthread_create(&t, NULL, server_main, (void *)(intptr_t)sv[1]) != 0)
        abort();
    pthread_detach(t);
    return c;
}

static int f_send_all(void *conn, const uint8_t *buf, size_t n)
{
    fconn *c = conn;
    if (c->hello_sent) {
        pthread_mutex_lock(&g.mu);
        if (g.gate_armed) {
            g.gate_armed = false;
            while (!g.gate_open)
                pthread_cond_wait(&g.cv, &g.mu);
        }
        pthread_mutex_unlock(&g.mu);
    }
    c->hello_sent = true;
    return write_all(c->fd, buf, n);
}

static int f_recv_all(void *conn, uint8_t *buf, size_t n)
{
    fconn *c = conn;
    return read_all(c->fd, buf, n);
}

static ssize_t f_recv_some(void *conn, uint8_t *buf, size_t cap)
{
    fconn *c = conn;
    for (;;) {
        ssize_t k = recv(c->fd, buf, cap, 0);
        if (k < 0 && errno == EINTR)
            continue;
        return k < 0 ? -1 : k;
    }
}

static void f_shutdown(void *conn)
{
    fconn *c = conn;
    shutdown(c->fd, SHUT_RDWR);
}

static void f_close(void *conn)
{
    fconn *c = conn;
    close(c->fd);
    free(c);
}

static const sigil_transport_ops fake_ops = {
    .open = f_open,
    .send_all = f_send_all,
    .recv_all = f_recv_all,
    .close = f_close,
    .recv_some = f_recv_some,
    .shutdown = f_shutdown,
};

/* The same without recv_some/shutdown: the client must fall back to lock-step. */
static const sigil_transport_ops fake_ops_lockstep = {
    .open = f_open,
    .send_all = f_send_all,
    .recv_all = f_recv_all,
    .close = f_close,
};

static int setup(void **state)
{
    (void)state;
    unsetenv("SIGIL_CONNECTIONS");
    pthread_mutex_lock(&g.mu);
    g.mode = SRV_ECHO;
    g.batch = 1;
    g.opens = 0;
    g.n_tokens = 0;
    g.fail_open = false;
    g.n_server_fds = 0;
    g.gate_armed = false;
    g.gate_open = false;
    g.released = false;
    pthread_mutex_unlock(&g.mu);
    return 0;
}

/* Every server thread has ended (the client closed its ends). A test that failed half-way
 * leaves its client open: give up after 10 s rather than hang. */
static int teardown(void **state)
{
    (void)state;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    int rc = 0;
    pthread_mutex_lock(&g.mu);
    while (g.running > 0 && rc == 0)
        rc = pthread_cond_timedwait(&g.cv, &g.mu, &until);
    pthread_mutex_unlock(&g.mu);
    return rc == 0 ? 0 : -1;
}

static void set_mode(srv_mode m, unsigned batch)
{
    pthread_mutex_lock(&g.mu);
    g.mode = m;
    g.batch = batch;
    pthread_mutex_unlock(&g.mu);
}

static sigil_client *open_client(const sigil_transport_ops *ops, unsigned conns)
{
    sigil_client *c = NULL;
    char err[256] = "";
    assert_int_equal(sigil_client_open(ops, NULL, "fake:", k_token, conns, &c, err, sizeof(err)), SIGIL_CLIENT_OK);
    assert_non_null(c);
    return c;
}

#define ECHO_MISMATCH ((sigil_client_result)99)

/* One call; the answer must be the body. Returns the client result, or ECHO_MISMATCH.
 * Safe in any thread (no cmocka assertion inside). */
static sigil_client_result call_echo_buf(sigil_client *c, const uint8_t *body, size_t len, uint8_t *resp,
                                         size_t cap)
{
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    size_t n = 0;
    sigil_client_result res = sigil_client_call(c, TEST_OP, body, len, &st, resp, cap, &n);
    if (res == SIGIL_CLIENT_OK && (st != SIGIL_ST_OK || n != len || (len > 0 && memcmp(resp, body, len) != 0)))
        return ECHO_MISMATCH;
    return res;
}

static sigil_client_result call_echo(sigil_client *c, const uint8_t *body, size_t len)
{
    uint8_t resp[256];
    return call_echo_buf(c, body, len, resp, sizeof(resp));
}

/* ---- threads that call ------------------------------------------------------------------------ */

typedef struct {
    sigil_client *c;
    unsigned idx;
    unsigned calls;
    size_t big_every; /* every big_every-th call carries a large body (0: never) */
    unsigned ok, lost, noapp, other;
} caller_arg;

static void *caller_main(void *arg)
{
    caller_arg *a = arg;
    uint8_t *body = malloc(200 * 1024);
    uint8_t *resp = malloc(200 * 1024);
    if (body == NULL || resp == NULL)
        abort();
    for (unsigned i = 0; i < a->calls; i++) {
        size_t len = 8 + (a->idx * 7 + i) % 120;
        if (a->big_every != 0 && i % a->big_every == a->big_every - 1)
            len = 70 * 1024 + (i % 3) * 50 * 1024; /* beyond the reader's 64 KiB chunk */
        for (size_t k = 0; k < len; k++)
            body[k] = (uint8_t)(a->idx * 31 + i * 7 + k);
        sigil_client_result r = call_echo_buf(a->c, body, len, resp, 200 * 1024);
        if (r == SIGIL_CLIENT_OK)
            a->ok++;
        else if (r == SIGIL_CLIENT_CONN_LOST)
            a->lost++;
        else if (r == SIGIL_CLIENT_NO_APPLIANCE)
            a->noapp++;
        else
            a->other++;
    }
    free(body);
    free(resp);
    return NULL;
}

static void run_callers(sigil_client *c, unsigned n, unsigned calls, size_t big_every, caller_arg *args)
{
    pthread_t t[80];
    assert_true(n <= 80);
    for (unsigned i = 0; i < n; i++) {
        args[i] = (caller_arg){.c = c, .idx = i, .calls = calls, .big_every = big_every};
        assert_int_equal(pthread_create(&t[i], NULL, caller_main, &args[i]), 0);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static void wait_calls(sigil_client *c, uint64_t calls)
{
    sigil_client_stats st;
    for (int i = 0; i < 10000; i++) {
        sigil_client_get_stats(c, &st);
        if (st.calls >= calls)
            return;
        usleep(1000);
    }
    fail_msg("only %llu of %llu requests queued", (unsigned long long)st.calls, (unsigned long long)calls);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_open_does_hello(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 4);
    assert_int_equal(sigil_client_slot_count(c), 3);
    assert_string_equal(sigil_client_fw_version(c), "fake-fw 1.0");
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_true(st.pipelined);
    assert_int_equal(st.pool_size, 4);
    assert_int_equal(st.connects, 1); /* the others open when needed */
    assert_int_equal(g.n_tokens, 1);
    assert_memory_equal(g.tokens[0], k_token, SIGIL_APP_TOKEN_LEN);
    assert_int_equal(call_echo(c, (const uint8_t *)"hello", 5), SIGIL_CLIENT_OK);
    assert_int_equal(call_echo(c, NULL, 0), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

static void test_env_sets_pool_size(void **state)
{
    (void)state;
    setenv("SIGIL_CONNECTIONS", "2", 1);
    sigil_client *c = open_client(&fake_ops, 4);
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.pool_size, 2);
    sigil_client_close(c);
    setenv("SIGIL_CONNECTIONS", "zero", 1); /* not a number: ignored */
    c = open_client(&fake_ops, 3);
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.pool_size, 3);
    sigil_client_close(c);
    unsetenv("SIGIL_CONNECTIONS");
}

/* Four callers on one connection; the appliance answers last first: each gets its own. */
static void test_out_of_order_responses(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    set_mode(SRV_REVERSE, 4);
    caller_arg a[4];
    run_callers(c, 4, 1, 0, a);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(a[i].ok, 1);
    /* and many rounds of it */
    set_mode(SRV_REVERSE, 8);
    caller_arg b[8];
    run_callers(c, 8, 50, 0, b);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(b[i].ok, 50);
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.connects, 1);
    sigil_client_close(c);
}

/* While one caller is inside its write, seven more queue: they go out in one write. */
static void test_writes_are_coalesced(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    pthread_mutex_lock(&g.mu);
    g.gate_armed = true;
    pthread_mutex_unlock(&g.mu);

    pthread_t t[8];
    caller_arg a[8];
    for (unsigned i = 0; i < 8; i++) {
        a[i] = (caller_arg){.c = c, .idx = i, .calls = 1};
        assert_int_equal(pthread_create(&t[i], NULL, caller_main, &a[i]), 0);
    }
    wait_calls(c, 1 + 8); /* HELLO + 8 requests queued, the first stuck in its write */
    pthread_mutex_lock(&g.mu);
    g.gate_open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    for (unsigned i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].ok, 1);
    }
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.calls, 9);
    assert_int_equal(st.writes, 3); /* HELLO, the first request, the seven others together */
    assert_int_equal(st.responses, 9);
    sigil_client_close(c);
}

/* The appliance hangs up with three calls pending: all three fail with CONN_LOST; the next
 * call reconnects (HELLO again, same token) and works. */
static void test_conn_loss_fails_pending_then_reconnects(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    set_mode(SRV_SWALLOW_CLOSE, 3);
    caller_arg a[3];
    run_callers(c, 3, 1, 0, a);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(a[i].ok, 0);
        assert_int_equal(a[i].lost, 1);
    }
    set_mode(SRV_ECHO, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"again", 5), SIGIL_CLIENT_OK);
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.connects, 2);
    assert_int_equal(g.n_tokens, 2);
    assert_memory_equal(g.tokens[1], k_token, SIGIL_APP_TOKEN_LEN);
    sigil_client_close(c);
}

/* The appliance restarts while the client is idle: the next call just works. */
static void test_idle_connection_loss_is_invisible(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 2);
    assert_int_equal(call_echo(c, (const uint8_t *)"one", 3), SIGIL_CLIENT_OK);
    server_hangup_all();
    usleep(20000); /* the reader notices the hang-up */
    assert_int_equal(call_echo(c, (const uint8_t *)"two", 3), SIGIL_CLIENT_OK);
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.connects, 2);
    sigil_client_close(c);
}

/* No appliance to reconnect to: NO_APPLIANCE; it comes back: calls work again. */
static void test_reconnect_fails_then_recovers(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    server_hangup_all();
    usleep(20000);
    pthread_mutex_lock(&g.mu);
    g.fail_open = true;
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(call_echo(c, (const uint8_t *)"x", 1), SIGIL_CLIENT_NO_APPLIANCE);
    pthread_mutex_lock(&g.mu);
    g.fail_open = false;
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(call_echo(c, (const uint8_t *)"y", 1), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

static void test_wrong_opcode_is_protocol_error(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    set_mode(SRV_WRONG_OPCODE, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"abc", 3), SIGIL_CLIENT_PROTOCOL);
    set_mode(SRV_STATUS_BODY, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"abc", 3), SIGIL_CLIENT_PROTOCOL);
    set_mode(SRV_ECHO, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"abc", 3), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

/* A response to an id nobody sent breaks the connection: the caller is not left waiting. */
static void test_unknown_request_id_breaks_connection(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    set_mode(SRV_UNKNOWN_ID, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"abc", 3), SIGIL_CLIENT_CONN_LOST);
    set_mode(SRV_ECHO, 1);
    assert_int_equal(call_echo(c, (const uint8_t *)"abc", 3), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

static void test_response_larger_than_buffer(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    uint8_t resp[4];
    sigil_status st;
    size_t n = 0;
    assert_int_equal(sigil_client_call(c, TEST_OP, (const uint8_t *)"123456", 6, &st, resp, sizeof(resp), &n),
                     SIGIL_CLIENT_PROTOCOL);
    assert_int_equal(call_echo(c, (const uint8_t *)"1234", 4), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

static void test_no_appliance(void **state)
{
    (void)state;
    sigil_client *c = NULL;
    char err[256] = "";
    pthread_mutex_lock(&g.mu);
    g.fail_open = true;
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(sigil_client_open(&fake_ops, NULL, "fake:", k_token, 2, &c, err, sizeof(err)),
                     SIGIL_CLIENT_NO_APPLIANCE);
    assert_null(c);
    assert_non_null(strstr(err, "no appliance"));
    pthread_mutex_lock(&g.mu);
    g.fail_open = false;
    g.mode = SRV_REFUSE_HELLO;
    pthread_mutex_unlock(&g.mu);
    assert_int_equal(sigil_client_open(&fake_ops, NULL, "fake:", k_token, 2, &c, err, sizeof(err)),
                     SIGIL_CLIENT_NO_APPLIANCE);
    assert_non_null(strstr(err, "handshake refused"));
}

/* 16 threads, 3 connections, bodies up to 170 KiB now and then: every answer is the caller's. */
static void test_many_threads(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 3);
    caller_arg a[16];
    run_callers(c, 16, 400, 97, a);
    for (unsigned i = 0; i < 16; i++) {
        assert_int_equal(a[i].ok, 400);
        assert_int_equal(a[i].lost + a[i].noapp + a[i].other, 0);
    }
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.connects, 1); /* 16 in flight at most: they share the first connection */
    assert_int_equal(st.responses, st.calls);
    assert_true(st.writes <= st.calls);
    sigil_client_close(c);
}

static void *hold_caller(void *arg)
{
    caller_arg *a = arg;
    uint8_t body[8] = {(uint8_t)a->idx, 1, 2, 3, 4, 5, 6, 7};
    if (call_echo(a->c, body, sizeof(body)) == SIGIL_CLIENT_OK)
        a->ok++;
    return NULL;
}

/* 70 requests held in flight: the first connection takes 64 (the appliance's bound), then a
 * second one opens for the rest. */
static void test_connections_fill_in_order(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 3);
    set_mode(SRV_HOLD, 1);
    pthread_t t[70];
    caller_arg a[70];
    for (unsigned i = 0; i < 70; i++) {
        a[i] = (caller_arg){.c = c, .idx = i};
        assert_int_equal(pthread_create(&t[i], NULL, hold_caller, &a[i]), 0);
    }
    wait_calls(c, 2 + 70); /* two HELLOs and 70 requests out */
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_int_equal(st.connects, 2);
    pthread_mutex_lock(&g.mu);
    g.released = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    for (unsigned i = 0; i < 70; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].ok, 1);
    }
    sigil_client_close(c);
}

/* Connections break under load again and again: every call ends, OK or CONN_LOST (or
 * NO_APPLIANCE when the hang-up hits a reconnection's HELLO), never with a wrong answer. */
static void test_many_threads_with_hangups(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 2);
    pthread_t t[8];
    caller_arg a[8];
    for (unsigned i = 0; i < 8; i++) {
        a[i] = (caller_arg){.c = c, .idx = i, .calls = 300};
        assert_int_equal(pthread_create(&t[i], NULL, caller_main, &a[i]), 0);
    }
    for (int k = 0; k < 10; k++) {
        usleep(3000);
        server_hangup_all();
    }
    unsigned ok = 0;
    for (unsigned i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].ok + a[i].lost + a[i].noapp, 300);
        assert_int_equal(a[i].other, 0);
        ok += a[i].ok;
    }
    assert_true(ok > 0);
    /* The last hang-up may still be on its way to the readers: a call per connection may
     * find out (a request written to a connection that then breaks is not retried). */
    sigil_client_result r = SIGIL_CLIENT_CONN_LOST;
    for (int k = 0; k < 3 && r == SIGIL_CLIENT_CONN_LOST; k++)
        r = call_echo(c, (const uint8_t *)"after", 5);
    assert_int_equal(r, SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

static void *close_later(void *arg)
{
    usleep(50000);
    sigil_client_close(arg);
    return NULL;
}

/* close() with a call pending: the call fails, close returns. */
static void test_close_fails_pending(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops, 1);
    set_mode(SRV_SWALLOW_CLOSE, 1000);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, close_later, c), 0);
    assert_int_equal(call_echo(c, (const uint8_t *)"never", 5), SIGIL_CLIENT_CONN_LOST);
    pthread_join(t, NULL);
}

/* A transport without recv_some/shutdown: lock-step, still correct from many threads. */
static void test_lockstep_transport(void **state)
{
    (void)state;
    sigil_client *c = open_client(&fake_ops_lockstep, 2);
    sigil_client_stats st;
    sigil_client_get_stats(c, &st);
    assert_false(st.pipelined);
    caller_arg a[6];
    run_callers(c, 6, 100, 0, a);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(a[i].ok, 100);
    server_hangup_all();
    usleep(20000);
    assert_int_equal(call_echo(c, (const uint8_t *)"retry", 5), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

/* After fork the child leaves the parent's client alone and opens its own. */
static void test_fork_child_uses_own_client(void **state)
{
    (void)state;
#if defined(__SANITIZE_THREAD__)
    skip(); /* ThreadSanitizer does not support threads after a multi-threaded fork */
#endif
    sigil_client *c = open_client(&fake_ops, 2);
    assert_int_equal(call_echo(c, (const uint8_t *)"parent", 6), SIGIL_CLIENT_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sigil_client *cc = NULL;
        char err[256];
        int rc = 1;
        /* The parent's server threads do not exist here; its lock was free at fork (the
         * parent was idle), start over anyway. */
        pthread_mutex_init(&g.mu, NULL);
        pthread_cond_init(&g.cv, NULL);
        g.running = 0;
        if (sigil_client_open(&fake_ops, NULL, "fake:", k_token, 2, &cc, err, sizeof(err)) == SIGIL_CLIENT_OK) {
            sigil_status st;
            uint8_t resp[16];
            size_t n = 0;
            if (sigil_client_call(cc, TEST_OP, (const uint8_t *)"child", 5, &st, resp, sizeof(resp), &n) ==
                    SIGIL_CLIENT_OK &&
                n == 5 && memcmp(resp, "child", 5) == 0)
                rc = 0;
            sigil_client_close(cc);
        }
        _exit(rc);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(call_echo(c, (const uint8_t *)"parent again", 12), SIGIL_CLIENT_OK);
    sigil_client_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_does_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_sets_pool_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_responses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_are_coalesced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conn_loss_fails_pending_then_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_connection_loss_is_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_fails_then_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_opcode_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_request_id_breaks_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_larger_than_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_appliance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connections_fill_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_threads_with_hangups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_fails_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockstep_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_child_uses_own_client, setup, teardown),
    };
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *filter = getenv("TEST_CLIENT_FILTER"); /* e.g. "*coalesced*" */
    if (filter != NULL)
        cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
