/* main.c — sigil-emu: the appliance firmware on Linux.
 *
 *   sigil-emu --state-dir DIR --listen unix:PATH [--slots N] [--workers N] [--sync-period-us N]
 *
 * Runs in the foreground; SIGTERM or SIGINT stops it cleanly (in-flight requests
 * are answered, state is already durable). SIGUSR1 is the tamper signal: the
 * device zeroises itself. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu.h"
#include "linux_platform.h"
#ifdef SIGIL_TEST_HOOKS
#include "crypto_testhooks.h"
#endif

typedef struct {
    const char *state_dir;
    const char *listen;
    const char *tls_cert, *tls_key, *tls_client_ca;
    unsigned slots;
    unsigned workers;
    unsigned sync_period_us;
} emu_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sigil-emu --state-dir DIR --listen unix:PATH [--slots N] [--workers N]\n"
            "       sigil-emu --state-dir DIR --listen tcp:HOST:PORT --tls-cert F --tls-key F --tls-client-ca F\n"
            "  --state-dir DIR   where the appliance keeps its state (created, mode 0700)\n"
            "  --listen unix:PATH  the socket the module and tools connect to (mode 0660)\n"
            "  --listen tcp:HOST:PORT  TCP with mutually authenticated TLS 1.2; needs the three files:\n"
            "  --tls-cert F, --tls-key F  the appliance's certificate and key (PEM)\n"
            "  --tls-client-ca F  the CA that issues client certificates (PEM); others get nothing\n"
            "  --slots N         seal slots (default %u; only ever grows)\n"
            "  --workers N       signing workers (default: two per online CPU)\n"
            "  --sync-period-us N  under load, the least time between two syncs of the audit trail\n"
            "                    (default %u; 0: sync back to back)\n",
            SIGIL_FW_DEFAULT_SLOTS, EMU_SYNC_PERIOD_US);
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, emu_args *a)
{
    static const struct option opts[] = {
        {"state-dir", required_argument, NULL, 'd'}, {"listen", required_argument, NULL, 'l'},
        {"slots", required_argument, NULL, 's'},     {"workers", required_argument, NULL, 'w'},
        {"tls-cert", required_argument, NULL, 'c'},  {"tls-key", required_argument, NULL, 'k'},
        {"tls-client-ca", required_argument, NULL, 'a'}, {"sync-period-us", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    int c;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    a->slots = SIGIL_FW_DEFAULT_SLOTS;
    a->sync_period_us = EMU_SYNC_PERIOD_US;
    /* Two per CPU: workers no longer wait for the trail's sync (the release stage does), but
     * a command that changes stored state still waits for its own writes, and a worker may
     * wait for a seal's lock; 2, 4 and 8 workers measured alike on 2 CPUs
     * (docs/performance.md). */
    a->workers = cpus > 0 ? 2u * (unsigned)cpus : 2u;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->state_dir = optarg;
            break;
        case 'l':
            a->listen = optarg;
            break;
        case 's':
            if (parse_uint(optarg, 1, SIGIL_FW_MAX_SLOTS, &a->slots) != 0) {
                fprintf(stderr, "sigil-emu: --slots takes a number from 1 to %u\n", SIGIL_FW_MAX_SLOTS);
                return -1;
            }
            break;
        case 'w':
            if (parse_uint(optarg, 1, 256, &a->workers) != 0) {
                fprintf(stderr, "sigil-emu: --workers takes a number from 1 to 256\n");
                return -1;
            }
            break;
        case 'p':
            if (parse_uint(optarg, 0, 100000, &a->sync_period_us) != 0) {
                fprintf(stderr, "sigil-emu: --sync-period-us takes a number from 0 to 100000\n");
                return -1;
            }
            break;
        case 'c':
            a->tls_cert = optarg;
            break;
        case 'k':
            a->tls_key = optarg;
            break;
        case 'a':
            a->tls_client_ca = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || a->state_dir == NULL || a->listen == NULL) {
        usage(stderr);
        return -1;
    }
    bool tcp = strncmp(a->listen, "tcp:", 4) == 0;
    if (!tcp && (strncmp(a->listen, "unix:", 5) != 0 || a->listen[5] == '\0')) {
        fprintf(stderr, "sigil-emu: --listen takes unix:PATH or tcp:HOST:PORT\n");
        return -1;
    }
    bool any_tls = a->tls_cert || a->tls_key || a->tls_client_ca;
    if (tcp && !(a->tls_cert && a->tls_key && a->tls_client_ca)) {
        fprintf(stderr, "sigil-emu: tcp: always uses mutually authenticated TLS: give --tls-cert, --tls-key "
                        "and --tls-client-ca\n");
        return -1;
    }
    if (!tcp && any_tls) {
        fprintf(stderr, "sigil-emu: --tls-* options go with --listen tcp:HOST:PORT\n");
        return -1;
    }
    return 0;
}

/* Binds the unix socket; a stale socket file nobody listens on is replaced. */
static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "sigil-emu: socket path too long (max %zu bytes): %s\n",
                sizeof(sa.sun_path) - 1, path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (lstat(path, &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) {
            fprintf(stderr, "sigil-emu: %s exists and is not a socket\n", path);
            close(fd);
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            fprintf(stderr, "sigil-emu: another appliance already listens on %s\n", path);
            close(fd);
            return -1;
        }
        unlink(path);
    }
    mode_t old = umask(0117);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "sigil-emu: cannot listen on %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Binds tcp:HOST:PORT (HOST a name or address; [v6] for IPv6). */
static int listen_tcp(const char *hostport)
{
    char host[256], port[16];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    int fd = -1, one = 1;

    if (colon == NULL || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) ||
        strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port)) {
        fprintf(stderr, "sigil-emu: bad address tcp:%s (expected tcp:HOST:PORT)\n", hostport);
        return -1;
    }
    size_t hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
        hostport++;
        hl -= 2;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    snprintf(port, sizeof(port), "%s", colon + 1);
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "sigil-emu: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
            fprintf(stderr, "sigil-emu: cannot listen on tcp:%s:%s: %s\n", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static void serve(emu_server *srv, int lfd, int sfd)
{
    struct pollfd pfd[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("sigil-emu: poll");
            return;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
                continue;
            if (si.ssi_signo == SIGUSR1) {
                /* The emulator's tamper switch. */
                sigil_status st = sigil_fw_tamper(srv->fw);
                fprintf(stderr, "sigil-emu: TAMPER signal: device zeroised%s\n",
                        st == SIGIL_ST_OK ? "" : " (with errors: see the audit trail)");
                continue;
            }
            fprintf(stderr, "sigil-emu: signal %u, stopping\n", si.ssi_signo);
            return;
        }
        if (pfd[0].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                (void)emu_conn_start(srv, fd);
            else if (errno == EMFILE || errno == ENFILE)
                usleep(10000); /* descriptor pressure: back off, do not spin */
        }
    }
}

int main(int argc, char **argv)
{
    emu_args args = {0};
    char err[256] = "";
    emu_server srv = {0};
    sigil_fw_config cfg;
    sigil_platform *plat = NULL;
    sigset_t mask;
    int lfd = -1, sfd = -1, rc = 1;

    if (parse_args(argc, argv, &args) != 0)
        return 2;
    /* Signals are taken synchronously through a signalfd; threads inherit the mask. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC);

    plat = sigil_linux_platform_new(args.state_dir, err, sizeof(err));
    if (plat == NULL) {
        fprintf(stderr, "sigil-emu: %s\n", err);
        goto out;
    }
#ifdef SIGIL_TEST_HOOKS
    /* Test builds only: make a known-answer test fail, to show the error state. */
    const char *kat = getenv("SIGIL_EMU_TEST_CORRUPT_KAT");
    unsigned kat_id = 0;
    if (kat != NULL && parse_uint(kat, 1, SIGIL_CRYPTO_KAT_COUNT, &kat_id) == 0) {
        fprintf(stderr, "sigil-emu: TEST BUILD: corrupting known-answer test %u\n", kat_id);
        sigil_crypto_test_corrupt_kat(kat_id);
    }
#endif
    sigil_fw_config_default(&cfg);
    cfg.slot_count = args.slots;
    if (sigil_fw_open(plat, &cfg, &srv.fw, err, sizeof(err)) != SIGIL_ST_OK) {
        fprintf(stderr, "sigil-emu: cannot start the device: %s\n", err);
        goto out;
    }
    if (sigil_fw_refused_blobs(srv.fw) > 0)
        fprintf(stderr, "sigil-emu: WARNING: %u stored object(s) failed their integrity check and were refused\n",
                sigil_fw_refused_blobs(srv.fw));
    pthread_mutex_init(&srv.lock, NULL);
    pthread_cond_init(&srv.idle, NULL);
    if (emu_pool_start(&srv.pool, srv.fw, args.workers, args.sync_period_us) != 0) {
        fprintf(stderr, "sigil-emu: cannot start workers\n");
        goto out;
    }
    bool tcp = strncmp(args.listen, "tcp:", 4) == 0;
    if (tcp && emu_tls_open(&srv.tls, args.tls_cert, args.tls_key, args.tls_client_ca, err, sizeof(err)) != 0) {
        fprintf(stderr, "sigil-emu: TLS: %s\n", err);
        goto stop;
    }
    lfd = tcp ? listen_tcp(args.listen + 4) : listen_unix(args.listen + 5);
    if (lfd < 0 || sfd < 0)
        goto stop;
    fprintf(stderr, "sigil-emu: listening on %s (state %s, %u workers)\n", args.listen,
            args.state_dir, args.workers);
    serve(&srv, lfd, sfd);
    close(lfd);
    if (!tcp)
        unlink(args.listen + 5);
    rc = 0;
stop:
    emu_conns_shutdown(&srv);
    emu_pool_stop(&srv.pool);
out:
    emu_tls_close(srv.tls);
    sigil_fw_close(srv.fw);
    sigil_linux_platform_free(plat);
    if (sfd >= 0)
        close(sfd);
    return rc;
}
