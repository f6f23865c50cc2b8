/* transport_tls.h — the network transport of sigil_client: "tls:HOST:PORT", TCP with
 * mutually authenticated TLS (OpenSSL). Used by transport_socket.c for that scheme. */
#ifndef SIGIL_TRANSPORT_TLS_H
#define SIGIL_TRANSPORT_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tls_conn tls_conn;

/* The client's certificate, key and the CA that issued the appliance's certificate
 * (PEM files): from $SIGIL_TLS_CERT, $SIGIL_TLS_KEY, $SIGIL_TLS_CA. */
typedef struct {
    const char *cert;
    const char *key;
    const char *ca;
} tls_client_files;

/* Connects to "HOST:PORT" and completes the handshake within timeout_ms, verifying the
 * appliance's certificate against ca and its name or address against HOST. */
tls_conn *tls_conn_open(const char *hostport, const tls_client_files *files, int timeout_ms, char *errmsg,
                        size_t errlen);
int tls_conn_send_all(tls_conn *c, const uint8_t *buf, size_t n);
int tls_conn_recv_all(tls_conn *c, uint8_t *buf, size_t n);
/* Bytes received (at least 1), 0 when the appliance closed, -1 on error. */
ssize_t tls_conn_recv_some(tls_conn *c, uint8_t *buf, size_t cap);
/* Makes blocked and later calls fail (from any thread). */
void tls_conn_shutdown(tls_conn *c);
void tls_conn_close(tls_conn *c);

#endif
