/* tls.c — the trusted channel of the emulator: TLS 1.2 with mutual
 * authentication on mbedTLS. The appliance presents its certificate and
 * requires a client certificate issued by the configured client CA; a client
 * without one completes no handshake and gets nothing.
 *
 * One connection's TLS context is used by its reader thread and by the workers
 * that write responses: every call into it is serialised by the connection's
 * io lock, and the socket is non-blocking so that nobody holds the lock while
 * waiting for the network (waiting is done with poll(), unlocked).
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#define TLS_PERS "sigil-emu tls"

struct emu_tls {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt own_cert;
    mbedtls_x509_crt client_ca;
    mbedtls_pk_context own_key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

struct emu_tls_conn {
    mbedtls_ssl_context ssl;
    mbedtls_net_context net;
    pthread_mutex_t io_lock;
};

static void say(char *err, size_t errlen, const char *what, int rc)
{
    char msg[160];
    mbedtls_strerror(rc, msg, sizeof(msg));
    snprintf(err, errlen, "%s: %s (-0x%04x)", what, msg, (unsigned)-rc);
}

int emu_tls_open(emu_tls **out, const char *cert, const char *key, const char *client_ca, char *err,
                 size_t errlen)
{
    emu_tls *t = calloc(1, sizeof(*t));
    int rc;

    *out = NULL;
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->own_cert);
    mbedtls_x509_crt_init(&t->client_ca);
    mbedtls_pk_init(&t->own_key);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);

    if ((rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                    (const unsigned char *)TLS_PERS, strlen(TLS_PERS))) != 0) {
        say(err, errlen, "TLS random generator", rc);
        goto fail;
    }
    if ((rc = mbedtls_x509_crt_parse_file(&t->own_cert, cert)) != 0) {
        say(err, errlen, cert, rc);
        goto fail;
    }
    if ((rc = mbedtls_pk_parse_keyfile(&t->own_key, key, NULL)) != 0) {
        say(err, errlen, key, rc);
        goto fail;
    }
    if ((rc = mbedtls_x509_crt_parse_file(&t->client_ca, client_ca)) != 0) {
        say(err, errlen, client_ca, rc);
        goto fail;
    }
    if ((rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        say(err, errlen, "TLS configuration", rc);
        goto fail;
    }
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->client_ca, NULL);
    mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    if ((rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->own_cert, &t->own_key)) != 0) {
        say(err, errlen, "appliance certificate and key do not match", rc);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    emu_tls_close(t);
    return -1;
}

void emu_tls_close(emu_tls *t)
{
    if (t == NULL)
        return;
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->own_cert);
    mbedtls_x509_crt_free(&t->client_ca);
    mbedtls_pk_free(&t->own_key);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    free(t);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits until the socket is ready for what mbedTLS asked; -1 on timeout or error. */
static int wait_for(int fd, int rc, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = rc == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN};
    for (;;) {
        int n = poll(&p, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        return (p.revents & (POLLERR | POLLNVAL)) ? -1 : 0;
    }
}

emu_tls_conn *emu_tls_accept(emu_tls *t, int fd, int timeout_ms, char *err, size_t errlen)
{
    emu_tls_conn *c = calloc(1, sizeof(*c));
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    int rc;

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mbedtls_ssl_init(&c->ssl);
    mbedtls_net_init(&c->net);
    pthread_mutex_init(&c->io_lock, NULL);
    c->net.fd = fd;
    if (mbedtls_net_set_nonblock(&c->net) != 0 || (rc = mbedtls_ssl_setup(&c->ssl, &t->conf)) != 0) {
        snprintf(err, errlen, "TLS set-up failed");
        goto fail;
    }
    mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, mbedtls_net_recv, NULL);
    while ((rc = mbedtls_ssl_handshake(&c->ssl)) != 0) {
        uint64_t now = now_ms();
        if ((rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) || now >= deadline ||
            wait_for(fd, rc, (int)(deadline - now)) != 0) {
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
                snprintf(err, errlen, "TLS handshake timed out");
            else
                say(err, errlen, "TLS handshake refused", rc);
            goto fail;
        }
    }
    return c;
fail:
    c->net.fd = -1; /* the caller owns and closes fd */
    emu_tls_conn_free(c);
    return NULL;
}

ssize_t emu_tls_read(emu_tls_conn *c, uint8_t *buf, size_t n)
{
    for (;;) {
        pthread_mutex_lock(&c->io_lock);
        int rc = mbedtls_ssl_read(&c->ssl, buf, n);
        pthread_mutex_unlock(&c->io_lock);
        if (rc > 0)
            return rc;
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 0;
        if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
            return -1;
        if (wait_for(c->net.fd, rc, -1) != 0)
            return -1;
    }
}

int emu_tls_write_all(emu_tls_conn *c, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        pthread_mutex_lock(&c->io_lock);
        int rc = mbedtls_ssl_write(&c->ssl, buf, n);
        pthread_mutex_unlock(&c->io_lock);
        if (rc > 0) {
            buf += rc;
            n -= (size_t)rc;
            continue;
        }
        if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
            return -1;
        if (wait_for(c->net.fd, rc, 5000) != 0) /* a peer that reads nothing for 5 s is dropped */
            return -1;
    }
    return 0;
}

void emu_tls_conn_free(emu_tls_conn *c)
{
    if (c == NULL)
        return;
    mbedtls_ssl_free(&c->ssl);
    pthread_mutex_destroy(&c->io_lock);
    free(c);
}

size_t emu_tls_pending(emu_tls_conn *c)
{
    pthread_mutex_lock(&c->io_lock);
    size_t n = mbedtls_ssl_get_bytes_avail(&c->ssl);
    pthread_mutex_unlock(&c->io_lock);
    return n;
}
