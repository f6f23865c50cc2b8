/* transport_tls.c — "tls:HOST:PORT": TCP with mutually authenticated TLS (OpenSSL).
 *
 * The client presents its certificate and key and accepts only an appliance
 * certificate issued by the configured CA and naming HOST (DNS name or IP
 * address). TLS 1.2 at least. One connection's SSL object is used by the
 * pipelined client's reader thread and by the threads that send: every call
 * into it is serialised by the connection's io lock, and the socket is
 * non-blocking so that the lock is never held while waiting for the network.
 */
#include "transport_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    pthread_mutex_t io_lock;
    int shut_pipe[2]; /* written by tls_conn_shutdown to wake a reader in poll() */
};

static void ssl_error(char *errmsg, size_t errlen, const char *what)
{
    char buf[200] = "";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(errmsg, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
    ERR_clear_error();
}

static int split_hostport(const char *hostport, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(hostport, ':');
    if (colon == NULL || colon == hostport || colon[1] == '\0')
        return -1;
    size_t hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') { /* [v6]:port */
        hostport++;
        hl -= 2;
    }
    if (hl >= hcap || strlen(colon + 1) >= pcap)
        return -1;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    snprintf(port, pcap, "%s", colon + 1);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for the socket (or the shutdown pipe); -1 on timeout, error or shutdown. */
static int wait_io(tls_conn *c, int want_write, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = c->fd, .events = want_write ? POLLOUT : POLLIN},
                          {.fd = c->shut_pipe[0], .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (p[1].revents & POLLIN) || (p[0].revents & (POLLERR | POLLNVAL)))
            return -1;
        return 0;
    }
}

static int tcp_connect(const char *host, const char *port, char *errmsg, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int fd = -1, rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(errmsg, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            snprintf(errmsg, errlen, "cannot connect to %s:%s: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

tls_conn *tls_conn_open(const char *hostport, const tls_client_files *files, int timeout_ms, char *errmsg,
                        size_t errlen)
{
    char host[256], port[16];
    tls_conn *c = NULL;
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

    if (split_hostport(hostport, host, sizeof(host), port, sizeof(port)) != 0) {
        snprintf(errmsg, errlen, "bad appliance address 'tls:%s' (expected tls:HOST:PORT)", hostport);
        return NULL;
    }
    if (files->cert == NULL || files->key == NULL || files->ca == NULL) {
        snprintf(errmsg, errlen,
                 "tls:%s needs a client certificate, its key and the appliance's CA: set SIGIL_TLS_CERT, "
                 "SIGIL_TLS_KEY and SIGIL_TLS_CA",
                 hostport);
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || pipe2(c->shut_pipe, O_CLOEXEC) != 0) {
        snprintf(errmsg, errlen, "out of resources");
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->io_lock, NULL);
    c->fd = tcp_connect(host, port, errmsg, errlen);
    if (c->fd < 0)
        goto fail;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1) {
        ssl_error(errmsg, errlen, "TLS set-up");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(c->ctx, files->cert) != 1) {
        ssl_error(errmsg, errlen, files->cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ctx, files->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1) {
        ssl_error(errmsg, errlen, files->key);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(c->ctx, files->ca, NULL) != 1) {
        ssl_error(errmsg, errlen, files->ca);
        goto fail;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        ssl_error(errmsg, errlen, "TLS set-up");
        goto fail;
    }
    /* The appliance's certificate must name what we connected to. */
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : X509_VERIFY_PARAM_set1_host(vp, host, 0)) != 1) {
        ssl_error(errmsg, errlen, "TLS name check set-up");
        goto fail;
    }
    if (!is_ip)
        SSL_set_tlsext_host_name(c->ssl, host);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
        int rc = SSL_connect(c->ssl);
        if (rc == 1)
            break;
        int e = SSL_get_error(c->ssl, rc);
        uint64_t now = now_ms();
        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || now >= deadline ||
            wait_io(c, e == SSL_ERROR_WANT_WRITE, (int)(deadline - now)) != 0) {
            long v = SSL_get_verify_result(c->ssl);
            if (v != X509_V_OK)
                snprintf(errmsg, errlen, "TLS to %s: the appliance's certificate is not trusted: %s", hostport,
                         X509_verify_cert_error_string(v));
            else
                ssl_error(errmsg, errlen, "TLS handshake with the appliance failed");
            goto fail;
        }
    }
    return c;
fail:
    tls_conn_close(c);
    return NULL;
}

int tls_conn_send_all(tls_conn *c, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        pthread_mutex_lock(&c->io_lock);
        int rc = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
        int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
        pthread_mutex_unlock(&c->io_lock);
        if (rc > 0) {
            buf += rc;
            n -= (size_t)rc;
            continue;
        }
        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || wait_io(c, e == SSL_ERROR_WANT_WRITE, 30000) != 0)
            return -1;
    }
    return 0;
}

ssize_t tls_conn_recv_some(tls_conn *c, uint8_t *buf, size_t cap)
{
    for (;;) {
        pthread_mutex_lock(&c->io_lock);
        int rc = SSL_read(c->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
        int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
        pthread_mutex_unlock(&c->io_lock);
        if (rc > 0)
            return rc;
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || wait_io(c, e == SSL_ERROR_WANT_WRITE, -1) != 0)
            return -1;
    }
}

int tls_conn_recv_all(tls_conn *c, uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = tls_conn_recv_some(c, buf, n);
        if (got <= 0)
            return -1;
        buf += got;
        n -= (size_t)got;
    }
    return 0;
}

void tls_conn_shutdown(tls_conn *c)
{
    char b = 1;
    ssize_t w = write(c->shut_pipe[1], &b, 1);
    (void)w; /* a full pipe already wakes the reader */
    shutdown(c->fd, SHUT_RDWR);
}

void tls_conn_close(tls_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    close(c->shut_pipe[0]);
    close(c->shut_pipe[1]);
    pthread_mutex_destroy(&c->io_lock);
    free(c);
}
