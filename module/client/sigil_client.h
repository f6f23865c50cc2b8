/* sigil_client.h — connection to an appliance: used by the PKCS#11 module and by the tools.
 *
 * A sigil_client is a small fixed pool of connections to one appliance, all joined to one
 * application context (one app token, see specs/protocol.md "Application context").
 * sigil_client_call() is thread-safe and holds no lock across a round trip.
 *
 * Pipelined mode (a transport with recv_some and shutdown, like the real socket transport):
 * every connection has a reader thread that hands each response to the caller waiting for
 * its request id, so many callers share a connection with requests in flight at once.
 * Callers append their frame to the connection's outgoing buffer; the first one in writes
 * whatever is pending in one write while the others just wait for their answer (so N
 * concurrent callers cost about N/k writes). A connection that breaks fails every call
 * pending on it with SIGIL_CLIENT_CONN_LOST and is reopened (HELLO with the same app token)
 * on next use. Connections are opened lazily and filled in order: the next one only when
 * the first has 64 requests in flight (the appliance's per-connection bound).
 *
 * Lock-step mode (transports without recv_some/shutdown, such as an in-process fake that
 * answers inside send_all; or sigil_client_options.lockstep): each call takes a whole
 * connection for one round trip, as before pipelining. No threads are created.
 *
 * The pool size is max_conns, or $SIGIL_CONNECTIONS (1..64) when set.
 * After fork() a client belongs to the parent: the child must not use or close it (its
 * reader threads do not exist in the child); it opens a client of its own.
 */
#ifndef SIGIL_CLIENT_H
#define SIGIL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sigil_proto.h"

#define SIGIL_CLIENT_WUR __attribute__((warn_unused_result))

typedef struct sigil_transport_ops {
    /* Opens one connection to address; returns an opaque connection or NULL (errmsg filled). */
    void *(*open)(void *ctx, const char *address, char *errmsg, size_t errlen);
    /* Sends n bytes whole. 0 ok, -1 connection broken. */
    int (*send_all)(void *conn, const uint8_t *buf, size_t n);
    /* Receives exactly n bytes. 0 ok, -1 connection broken or closed. */
    int (*recv_all)(void *conn, uint8_t *buf, size_t n);
    void (*close)(void *conn);
    /* Optional; both or neither. With both, the client pipelines (see above). */
    /* Receives what is there, blocking until at least 1 byte: bytes received, 0 on orderly
     * close, -1 broken. Called by one reader thread while other threads send_all. */
    ssize_t (*recv_some)(void *conn, uint8_t *buf, size_t cap);
    /* Makes a blocked recv_some/send_all return with failure, and every later one fail.
     * Called from any thread; close() still follows. */
    void (*shutdown)(void *conn);
} sigil_transport_ops;

/* The real transport: "unix:PATH" (later "tcp:HOST:PORT"). */
extern const sigil_transport_ops sigil_transport_socket;

typedef struct sigil_client sigil_client;

typedef enum {
    SIGIL_CLIENT_OK = 0,
    SIGIL_CLIENT_NO_APPLIANCE = 1,  /* cannot connect, bad address, or handshake refused */
    SIGIL_CLIENT_CONN_LOST = 2,     /* connection broke during the call */
    SIGIL_CLIENT_PROTOCOL = 3,      /* a response that does not parse */
    SIGIL_CLIENT_NO_MEMORY = 4,
} sigil_client_result;

typedef struct {
    unsigned max_conns; /* pool size (0: 1); $SIGIL_CONNECTIONS overrides it */
    bool lockstep;      /* never create threads (PKCS#11 CKF_LIBRARY_CANT_CREATE_OS_THREADS) */
} sigil_client_options;

/* Opens the first connection and performs HELLO with app_token.
 * ops NULL means sigil_transport_socket. errmsg gets a human sentence on failure. */
SIGIL_CLIENT_WUR sigil_client_result sigil_client_open(const sigil_transport_ops *ops, void *ops_ctx,
                                                       const char *address,
                                                       const uint8_t app_token[SIGIL_APP_TOKEN_LEN],
                                                       unsigned max_conns, sigil_client **out,
                                                       char *errmsg, size_t errlen);
/* The same with options (NULL: defaults). */
SIGIL_CLIENT_WUR sigil_client_result sigil_client_open_ex(const sigil_transport_ops *ops, void *ops_ctx,
                                                          const char *address,
                                                          const uint8_t app_token[SIGIL_APP_TOKEN_LEN],
                                                          const sigil_client_options *opts,
                                                          sigil_client **out, char *errmsg, size_t errlen);
/* Fails the calls still pending (CONN_LOST), waits for them to return, stops the reader
 * threads and closes every connection. */
void sigil_client_close(sigil_client *c);

/* Slot count and firmware version learnt at HELLO. */
uint32_t sigil_client_slot_count(const sigil_client *c);
const char *sigil_client_fw_version(const sigil_client *c);

/* One request/response round trip. body/len: the request body (encoded with sigil_wr).
 * On SIGIL_CLIENT_OK, *status is the appliance's status and resp[0..*resp_len) the
 * response body (empty unless status is OK). resp_cap of SIGIL_FRAME_MAX_BODY always fits. */
SIGIL_CLIENT_WUR sigil_client_result sigil_client_call(sigil_client *c, uint16_t opcode,
                                                       const uint8_t *body, size_t len,
                                                       sigil_status *status,
                                                       uint8_t *resp, size_t resp_cap, size_t *resp_len);

/* Counters since open, for tests and benchmarks. With $SIGIL_CLIENT_STATS set,
 * sigil_client_close() prints them as one line on stderr. */
typedef struct {
    uint64_t calls;       /* requests sent */
    uint64_t writes;      /* send_all calls carrying them (coalesced writes) */
    uint64_t reads;       /* recv_some calls of the reader threads that returned data */
    uint64_t responses;   /* responses handed to callers */
    uint64_t connects;    /* connections opened (HELLO done), reconnections included */
    unsigned pool_size;   /* connections the pool may hold */
    bool pipelined;
} sigil_client_stats;
void sigil_client_get_stats(sigil_client *c, sigil_client_stats *out);

/* Finds the appliance address: $SIGIL_APPLIANCE, else the "appliance = ADDR" line of the file
 * named by $SIGIL_PKCS11_CONF, else of /etc/sigil/pkcs11.conf. 0 on success; -1 with errmsg
 * saying what was looked at. */
int sigil_client_find_address(char *addr, size_t cap, char *errmsg, size_t errlen);

#endif
