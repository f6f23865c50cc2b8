/* transport_socket.c — the real transport of sigil_client: "unix:PATH" stream sockets,
 * and "tls:HOST:PORT" (TCP with mutual TLS, transport_tls.c).
 *
 * send_all/recv_all loop over short writes/reads and EINTR; sends use MSG_NOSIGNAL
 * so that a closed peer yields EPIPE instead of killing the process with SIGPIPE.
 * recv_some (the pipelined client's reader) takes whatever has arrived; shutdown wakes a
 * reader blocked in it. Sockets are close-on-exec. For tls: the client's certificate, key and
 * the appliance's CA come from $SIGIL_TLS_CERT, $SIGIL_TLS_KEY, $SIGIL_TLS_CA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sigil_client.h"
#include "transport_tls.h"

typedef struct {
    int fd;
    tls_conn *tls; /* tls: addresses; fd is then unused (-1) */
} sock_conn;

#define TLS_CONNECT_TIMEOUT_MS 10000

static void *tls_open(const char *address, char *errmsg, size_t errlen)
{
    tls_client_files files = {getenv("SIGIL_TLS_CERT"), getenv("SIGIL_TLS_KEY"), getenv("SIGIL_TLS_CA")};
    sock_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->tls = tls_conn_open(address + 4, &files, TLS_CONNECT_TIMEOUT_MS, errmsg, errlen);
    if (c->tls == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void *sock_open(void *ctx, const char *address, char *errmsg, size_t errlen)
{
    (void)ctx;
    struct sockaddr_un sa;
    sock_conn *c = NULL;
    int fd = -1;

    if (strncmp(address, "tls:", 4) == 0)
        return tls_open(address, errmsg, errlen);
    if (strncmp(address, "unix:", 5) != 0) {
        snprintf(errmsg, errlen, "unsupported appliance address '%s' (expected unix:PATH or tls:HOST:PORT)",
                 address);
        goto fail;
    }
    const char *path = address + 5;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(errmsg, errlen, "bad unix socket path in '%s'", address);
        goto fail;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errmsg, errlen, "socket(): %s", strerror(errno));
        goto fail;
    }
    int rc;
    do {
        rc = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        snprintf(errmsg, errlen, "cannot connect to %s: %s", address, strerror(errno));
        goto fail;
    }
    c = malloc(sizeof(*c));
    if (c == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        goto fail;
    }
    c->fd = fd;
    c->tls = NULL;
    return c;

fail:
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int sock_send_all(void *conn, const uint8_t *buf, size_t n)
{
    sock_conn *c = conn;
    size_t off = 0;
    if (c->tls != NULL)
        return tls_conn_send_all(c->tls, buf, n);
    while (off < n) {
        ssize_t k = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

static int sock_recv_all(void *conn, uint8_t *buf, size_t n)
{
    sock_conn *c = conn;
    size_t off = 0;
    if (c->tls != NULL)
        return tls_conn_recv_all(c->tls, buf, n);
    while (off < n) {
        ssize_t k = recv(c->fd, buf + off, n - off, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) /* error, or orderly close before the whole frame */
            return -1;
        off += (size_t)k;
    }
    return 0;
}

static ssize_t sock_recv_some(void *conn, uint8_t *buf, size_t cap)
{
    sock_conn *c = conn;
    if (c->tls != NULL)
        return tls_conn_recv_some(c->tls, buf, cap);
    for (;;) {
        ssize_t k = recv(c->fd, buf, cap, 0);
        if (k < 0 && errno == EINTR)
            continue;
        return k < 0 ? -1 : k;
    }
}

static void sock_shutdown(void *conn)
{
    sock_conn *c = conn;
    if (c->tls != NULL)
        tls_conn_shutdown(c->tls);
    else
        (void)shutdown(c->fd, SHUT_RDWR);
}

static void sock_close(void *conn)
{
    sock_conn *c = conn;
    if (c == NULL)
        return;
    if (c->tls != NULL)
        tls_conn_close(c->tls);
    else
        close(c->fd);
    free(c);
}

const sigil_transport_ops sigil_transport_socket = {
    .open = sock_open,
    .send_all = sock_send_all,
    .recv_all = sock_recv_all,
    .close = sock_close,
    .recv_some = sock_recv_some,
    .shutdown = sock_shutdown,
};
