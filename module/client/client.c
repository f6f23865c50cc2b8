/* client.c — sigil_client: a pool of connections to one appliance, one application context.
 *
 * Every connection does HELLO with the same 16-byte app token, so all of them share the
 * appliance-side login state. sigil_client_call() takes an idle connection (or opens one
 * while fewer than max_conns exist, or waits on a condition variable), does one round trip
 * with no lock held, validates the response header (kind, request id, opcode, body bound)
 * and gives the connection back. A connection that breaks or answers nonsense is closed
 * and forgotten; the next call opens a fresh one and re-does HELLO.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigil_client.h"
#include "sigil_secmem.h"

#define SIGIL_ADDR_MAX 512u
#define SIGIL_FW_VERSION_MAX 64u
/* Requests up to this size go out in one write (header and body together). */
#define SIGIL_SEND_INLINE 4096u

typedef struct sigil_conn {
    void *t; /* transport connection */
    struct sigil_conn *next;
} sigil_conn;

struct sigil_client {
    const sigil_transport_ops *ops;
    void *ops_ctx;
    char address[SIGIL_ADDR_MAX];
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    unsigned max_conns;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    sigil_conn *idle; /* connections nobody is using */
    unsigned open_conns; /* idle + in use + being opened */

    atomic_uint_fast32_t next_id;
    uint32_t slot_count;
    char fw_version[SIGIL_FW_VERSION_MAX + 1];
};

static uint32_t new_request_id(sigil_client *c)
{
    uint32_t id = (uint32_t)atomic_fetch_add(&c->next_id, 1);
    if (id == 0) /* 0 is never used, which makes a zeroed header easy to spot */
        id = (uint32_t)atomic_fetch_add(&c->next_id, 1);
    return id;
}

/* One request/response on t. Returns OK, CONN_LOST (send/recv failed), or PROTOCOL. */
static sigil_client_result round_trip(sigil_client *c, void *t, uint16_t opcode, const uint8_t *body,
                                      size_t len, sigil_status *status, uint8_t *resp, size_t resp_cap,
                                      size_t *resp_len, bool *sent_nothing)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;
    uint8_t out[SIGIL_FRAME_HDR_LEN + SIGIL_SEND_INLINE];
    uint8_t in[SIGIL_FRAME_HDR_LEN];
    sigil_frame_hdr h = {
        .body_len = (uint32_t)len,
        .version = SIGIL_PROTO_VERSION,
        .kind = SIGIL_KIND_REQUEST,
        .opcode = opcode,
        .request_id = new_request_id(c),
        .status = 0,
    };
    sigil_frame_hdr rh;

    *sent_nothing = true;
    sigil_frame_hdr_encode(&h, out);
    if (len <= SIGIL_SEND_INLINE) {
        if (len > 0)
            memcpy(out + SIGIL_FRAME_HDR_LEN, body, len);
        if (c->ops->send_all(t, out, SIGIL_FRAME_HDR_LEN + len) != 0)
            goto done;
    } else {
        if (c->ops->send_all(t, out, SIGIL_FRAME_HDR_LEN) != 0)
            goto done;
        *sent_nothing = false;
        if (c->ops->send_all(t, body, len) != 0)
            goto done;
    }
    *sent_nothing = false;

    if (c->ops->recv_all(t, in, sizeof(in)) != 0)
        goto done;
    res = SIGIL_CLIENT_PROTOCOL;
    if (sigil_frame_hdr_decode(in, SIGIL_FRAME_MAX_BODY, &rh) != SIGIL_ST_OK)
        goto done;
    if (rh.kind != SIGIL_KIND_RESPONSE || rh.request_id != h.request_id || rh.opcode != opcode)
        goto done;
    if (rh.body_len > resp_cap)
        goto done;
    if (rh.status != SIGIL_ST_OK && rh.body_len != 0)
        goto done;
    if (rh.body_len > 0 && c->ops->recv_all(t, resp, rh.body_len) != 0) {
        res = SIGIL_CLIENT_CONN_LOST;
        goto done;
    }
    *status = (sigil_status)rh.status;
    *resp_len = rh.body_len;
    res = SIGIL_CLIENT_OK;

done:
    /* The request may hold a PIN. */
    sigil_wipe(out, sizeof(out));
    return res;
}

/* Opens one connection and does HELLO. NULL with errmsg on failure. */
static void *conn_open(sigil_client *c, char *errmsg, size_t errlen)
{
    uint8_t req[64];
    uint8_t resp[256];
    size_t resp_len = 0;
    sigil_status st = SIGIL_ST_GENERAL_ERROR;
    bool sent_nothing;
    sigil_wr w;
    sigil_rd r;
    char fw[SIGIL_FW_VERSION_MAX + 1];

    void *t = c->ops->open(c->ops_ctx, c->address, errmsg, errlen);
    if (t == NULL)
        return NULL;
    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u16(&w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(&w, c->token, SIGIL_APP_TOKEN_LEN);
    sigil_client_result res = sigil_wr_ok(&w)
        ? round_trip(c, t, SIGIL_OP_HELLO, req, w.len, &st, resp, sizeof(resp), &resp_len, &sent_nothing)
        : SIGIL_CLIENT_PROTOCOL;
    sigil_wipe(req, sizeof(req));
    if (res != SIGIL_CLIENT_OK) {
        snprintf(errmsg, errlen, "%s: handshake failed (%s)", c->address,
                 res == SIGIL_CLIENT_CONN_LOST ? "connection closed" : "malformed response");
        goto fail;
    }
    if (st != SIGIL_ST_OK) {
        snprintf(errmsg, errlen, "%s: handshake refused: %s", c->address, sigil_status_message(st));
        goto fail;
    }
    sigil_rd_init(&r, resp, resp_len);
    uint16_t version = sigil_rd_u16(&r);
    uint32_t slots = sigil_rd_u32(&r);
    sigil_rd_str(&r, fw, SIGIL_FW_VERSION_MAX);
    if (!sigil_rd_done(&r) || version != SIGIL_PROTO_VERSION) {
        snprintf(errmsg, errlen, "%s: handshake answer not understood (protocol version %u)",
                 c->address, (unsigned)version);
        goto fail;
    }
    pthread_mutex_lock(&c->mu);
    c->slot_count = slots;
    memcpy(c->fw_version, fw, sizeof(c->fw_version));
    pthread_mutex_unlock(&c->mu);
    return t;

fail:
    c->ops->close(t);
    return NULL;
}

/* Takes an idle connection, or the right to open one (*t == NULL), waiting when the pool is full. */
static void pool_take(sigil_client *c, void **t)
{
    pthread_mutex_lock(&c->mu);
    while (c->idle == NULL && c->open_conns >= c->max_conns)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->idle != NULL) {
        sigil_conn *n = c->idle;
        c->idle = n->next;
        *t = n->t;
        free(n);
    } else {
        c->open_conns++;
        *t = NULL;
    }
    pthread_mutex_unlock(&c->mu);
}

/* Gives t back (or, with t NULL or broken, forgets its place in the pool). */
static void pool_give(sigil_client *c, void *t, bool broken)
{
    sigil_conn *n = NULL;
    if (t != NULL && !broken) {
        n = malloc(sizeof(*n));
        if (n == NULL)
            broken = true;
    }
    if (t != NULL && broken)
        c->ops->close(t);
    pthread_mutex_lock(&c->mu);
    if (n != NULL) {
        n->t = t;
        n->next = c->idle;
        c->idle = n;
    } else {
        c->open_conns--;
    }
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

sigil_client_result sigil_client_call(sigil_client *c, uint16_t opcode, const uint8_t *body, size_t len,
                                      sigil_status *status, uint8_t *resp, size_t resp_cap,
                                      size_t *resp_len)
{
    sigil_client_result res = SIGIL_CLIENT_CONN_LOST;
    char errmsg[256];

    if (c == NULL || status == NULL || resp_len == NULL || (len > 0 && body == NULL) ||
        (resp_cap > 0 && resp == NULL))
        return SIGIL_CLIENT_PROTOCOL;
    if (len > SIGIL_FRAME_MAX_BODY)
        return SIGIL_CLIENT_PROTOCOL;
    *resp_len = 0;
    /* A connection that broke while idle (the appliance restarted, say) fails before anything
     * reaches the appliance: then the request is retried on another one, at most once per
     * possible pool member plus one fresh connection. */
    for (unsigned attempt = 0; attempt <= c->max_conns; attempt++) {
        void *t = NULL;
        bool sent_nothing = false;
        pool_take(c, &t);
        if (t == NULL) {
            t = conn_open(c, errmsg, sizeof(errmsg));
            if (t == NULL) {
                pool_give(c, NULL, true);
                return SIGIL_CLIENT_NO_APPLIANCE;
            }
        }
        res = round_trip(c, t, opcode, body, len, status, resp, resp_cap, resp_len, &sent_nothing);
        pool_give(c, t, res != SIGIL_CLIENT_OK);
        if (res == SIGIL_CLIENT_OK || !sent_nothing)
            return res;
    }
    return res;
}

sigil_client_result sigil_client_open(const sigil_transport_ops *ops, void *ops_ctx, const char *address,
                                      const uint8_t app_token[SIGIL_APP_TOKEN_LEN], unsigned max_conns,
                                      sigil_client **out, char *errmsg, size_t errlen)
{
    sigil_client_result res = SIGIL_CLIENT_NO_MEMORY;
    sigil_client *c = NULL;
    bool sync_ok = false;

    if (out == NULL || address == NULL || app_token == NULL) {
        snprintf(errmsg, errlen, "bad arguments");
        return SIGIL_CLIENT_NO_APPLIANCE;
    }
    *out = NULL;
    if (strlen(address) >= SIGIL_ADDR_MAX) {
        snprintf(errmsg, errlen, "appliance address too long");
        return SIGIL_CLIENT_NO_APPLIANCE;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        goto fail;
    }
    c->ops = ops != NULL ? ops : &sigil_transport_socket;
    c->ops_ctx = ops_ctx;
    memcpy(c->address, address, strlen(address) + 1);
    memcpy(c->token, app_token, SIGIL_APP_TOKEN_LEN);
    c->max_conns = max_conns > 0 ? max_conns : 1;
    atomic_init(&c->next_id, 1);
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&c->cv, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        goto fail;
    }
    sync_ok = true;

    res = SIGIL_CLIENT_NO_APPLIANCE;
    void *t = conn_open(c, errmsg, errlen);
    if (t == NULL)
        goto fail;
    c->open_conns = 1;
    pool_give(c, t, false);
    *out = c;
    return SIGIL_CLIENT_OK;

fail:
    if (c != NULL) {
        if (sync_ok) {
            pthread_cond_destroy(&c->cv);
            pthread_mutex_destroy(&c->mu);
        }
        sigil_wipe(c->token, sizeof(c->token));
        free(c);
    }
    return res;
}

void sigil_client_close(sigil_client *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    sigil_conn *n = c->idle;
    c->idle = NULL;
    pthread_mutex_unlock(&c->mu);
    while (n != NULL) {
        sigil_conn *next = n->next;
        c->ops->close(n->t);
        free(n);
        n = next;
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    sigil_wipe(c->token, sizeof(c->token));
    free(c);
}

uint32_t sigil_client_slot_count(const sigil_client *c)
{
    return c->slot_count;
}

const char *sigil_client_fw_version(const sigil_client *c)
{
    return c->fw_version;
}
