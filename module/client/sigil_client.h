/* sigil_client.h — connection to an appliance: used by the PKCS#11 module and by the tools.
 *
 * A sigil_client is a small pool of connections to one appliance, all joined to
 * one application context (one app token, see specs/protocol.md "Application
 * context"). sigil_client_call() is thread-safe: concurrent callers use
 * different connections (the pool grows up to max_conns, then callers wait for
 * a free one); no lock is held across a round trip.
 *
 * The transport is a small table of operations so that unit tests can plug in
 * a fake (for instance one that calls the firmware core in-process).
 */
#ifndef SIGIL_CLIENT_H
#define SIGIL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

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

/* Opens the first connection and performs HELLO with app_token.
 * ops NULL means sigil_transport_socket. errmsg gets a human sentence on failure. */
SIGIL_CLIENT_WUR sigil_client_result sigil_client_open(const sigil_transport_ops *ops, void *ops_ctx,
                                                       const char *address,
                                                       const uint8_t app_token[SIGIL_APP_TOKEN_LEN],
                                                       unsigned max_conns, sigil_client **out,
                                                       char *errmsg, size_t errlen);
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

/* Finds the appliance address: $SIGIL_APPLIANCE, else the "appliance = ADDR" line of the file
 * named by $SIGIL_PKCS11_CONF, else of /etc/sigil/pkcs11.conf. 0 on success; -1 with errmsg
 * saying what was looked at. */
int sigil_client_find_address(char *addr, size_t cap, char *errmsg, size_t errlen);

#endif
