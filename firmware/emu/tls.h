/* tls.h — the emulator's trusted channel: mutually authenticated TLS 1.2 (mbedTLS). */
#ifndef SIGIL_EMU_TLS_H
#define SIGIL_EMU_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct emu_tls emu_tls;           /* the server's configuration */
typedef struct emu_tls_conn emu_tls_conn; /* one connection */

/* Loads the appliance's certificate and key and the CA that issues client certificates
 * (PEM files). 0, or -1 with a message in err. */
int emu_tls_open(emu_tls **out, const char *cert, const char *key, const char *client_ca, char *err,
                 size_t errlen);
void emu_tls_close(emu_tls *t);

/* Runs the handshake on fd (made non-blocking) within timeout_ms; a client without a
 * certificate from the client CA is refused. NULL with a message on failure; fd stays
 * the caller's to close either way. */
emu_tls_conn *emu_tls_accept(emu_tls *t, int fd, int timeout_ms, char *err, size_t errlen);
/* Like read(2): bytes read, 0 when the peer closed, -1 on error. Thread-safe with writes. */
ssize_t emu_tls_read(emu_tls_conn *c, uint8_t *buf, size_t n);
/* Writes all of buf; 0, or -1 when the connection is broken. */
int emu_tls_write_all(emu_tls_conn *c, const uint8_t *buf, size_t n);
/* Decrypted bytes waiting to be read (the socket may show nothing readable). */
size_t emu_tls_pending(emu_tls_conn *c);
void emu_tls_conn_free(emu_tls_conn *c);

#endif
