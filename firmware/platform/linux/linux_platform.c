/* linux_platform.c — storage as files in a state directory (write to a temporary
 * file, fsync, rename, fsync the directory), getrandom, clock_gettime, and the
 * device root secret as a 0600 file created at first start. */
#include "linux_platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sigil_secmem.h"

#define ROOT_SECRET_FILE "root-secret"

typedef struct {
    int dir_fd;
} linux_impl;

static int dirfd_of(const sigil_platform *p)
{
    return ((const linux_impl *)p->impl)->dir_fd;
}

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= SIGIL_STORAGE_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int lx_entropy(const sigil_platform *p, uint8_t *out, size_t len)
{
    (void)p;
    while (len > 0) {
        ssize_t n = getrandom(out, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

static uint64_t lx_time_now(const sigil_platform *p)
{
    (void)p;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec;
}

static uint64_t lx_monotonic_ms(const sigil_platform *p)
{
    (void)p;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int lx_store_write(const sigil_platform *p, const char *name, const uint8_t *data, size_t len)
{
    char tmp[SIGIL_STORAGE_NAME_MAX + 8];
    int dfd = dirfd_of(p), fd, rc = SIGIL_STORE_ERROR;

    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return SIGIL_STORE_ERROR;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        close(fd);
        unlinkat(dfd, tmp, 0);
        return SIGIL_STORE_ERROR;
    }
    if (close(fd) != 0 || renameat(dfd, tmp, dfd, name) != 0) {
        unlinkat(dfd, tmp, 0);
        return SIGIL_STORE_ERROR;
    }
    if (fsync(dfd) == 0)
        rc = SIGIL_STORE_OK;
    return rc;
}

static int lx_store_read(const sigil_platform *p, const char *name, uint8_t *buf, size_t cap,
                         size_t *len)
{
    struct stat sb;
    size_t got = 0;
    int fd, rc = SIGIL_STORE_ERROR;

    *len = 0;
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    fd = openat(dirfd_of(p), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? SIGIL_STORE_MISSING : SIGIL_STORE_ERROR;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        goto out;
    if ((uint64_t)sb.st_size > cap) {
        rc = SIGIL_STORE_TOO_LARGE;
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    *len = got;
    rc = SIGIL_STORE_OK;
out:
    close(fd);
    return rc;
}

static int lx_store_remove(const sigil_platform *p, const char *name)
{
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    if (unlinkat(dirfd_of(p), name, 0) != 0 && errno != ENOENT)
        return SIGIL_STORE_ERROR;
    return fsync(dirfd_of(p)) == 0 ? SIGIL_STORE_OK : SIGIL_STORE_ERROR;
}

static int lx_store_list(const sigil_platform *p, const char *prefix,
                         void (*fn)(void *ctx, const char *name), void *ctx)
{
    int fd = openat(dirfd_of(p), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    size_t plen = strlen(prefix);

    if (fd < 0)
        return SIGIL_STORE_ERROR;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return SIGIL_STORE_ERROR;
    }
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) == 0 && name_ok(e->d_name))
            fn(ctx, e->d_name);
    }
    closedir(d);
    return SIGIL_STORE_OK;
}

static int lx_root_secret(const sigil_platform *p, uint8_t out[SIGIL_ROOT_SECRET_LEN])
{
    size_t len = 0;
    int rc = lx_store_read(p, ROOT_SECRET_FILE, out, SIGIL_ROOT_SECRET_LEN, &len);
    if (rc == SIGIL_STORE_OK)
        return len == SIGIL_ROOT_SECRET_LEN ? 0 : -1;
    if (rc != SIGIL_STORE_MISSING)
        return -1;
    /* First start: create it. */
    if (lx_entropy(p, out, SIGIL_ROOT_SECRET_LEN) != 0 ||
        lx_store_write(p, ROOT_SECRET_FILE, out, SIGIL_ROOT_SECRET_LEN) != SIGIL_STORE_OK) {
        sigil_wipe(out, SIGIL_ROOT_SECRET_LEN);
        return -1;
    }
    return 0;
}

static int lx_log_append(const sigil_platform *p, const char *name, const uint8_t *data, size_t len)
{
    int fd, rc = SIGIL_STORE_ERROR;
    if (!name_ok(name))
        return SIGIL_STORE_ERROR;
    fd = openat(dirfd_of(p), name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return SIGIL_STORE_ERROR;
    if (write_all(fd, data, len) == 0 && fdatasync(fd) == 0)
        rc = SIGIL_STORE_OK;
    close(fd);
    return rc;
}

static int lx_log_read(const sigil_platform *p, const char *name, uint64_t off, uint8_t *buf,
                       size_t cap, size_t *len)
{
    int fd;
    *len = 0;
    if (!name_ok(name) || off > (uint64_t)INT64_MAX)
        return SIGIL_STORE_ERROR;
    fd = openat(dirfd_of(p), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? SIGIL_STORE_MISSING : SIGIL_STORE_ERROR;
    for (;;) {
        ssize_t n = pread(fd, buf, cap, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        close(fd);
        if (n < 0)
            return SIGIL_STORE_ERROR;
        *len = (size_t)n;
        return SIGIL_STORE_OK;
    }
}

static int lx_log_truncate(const sigil_platform *p, const char *name, uint64_t len)
{
    int fd, rc = SIGIL_STORE_ERROR;
    if (!name_ok(name) || len > (uint64_t)INT64_MAX)
        return SIGIL_STORE_ERROR;
    fd = openat(dirfd_of(p), name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return SIGIL_STORE_ERROR;
    if (ftruncate(fd, (off_t)len) == 0 && fsync(fd) == 0)
        rc = SIGIL_STORE_OK;
    close(fd);
    return rc;
}

static int lx_root_secret_destroy(const sigil_platform *p)
{
    uint8_t zero[SIGIL_ROOT_SECRET_LEN] = {0};
    /* Overwrite in place first (the file system may keep the old blocks otherwise), then unlink. */
    int fd = openat(dirfd_of(p), ROOT_SECRET_FILE, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        int ok = write_all(fd, zero, sizeof(zero)) == 0 && fsync(fd) == 0;
        close(fd);
        if (!ok)
            return -1;
    }
    return lx_store_remove(p, ROOT_SECRET_FILE) == SIGIL_STORE_OK ? 0 : -1;
}

static const sigil_platform_ops linux_ops = {
    .entropy = lx_entropy,
    .time_now = lx_time_now,
    .monotonic_ms = lx_monotonic_ms,
    .root_secret = lx_root_secret,
    .root_secret_destroy = lx_root_secret_destroy,
    .store_write = lx_store_write,
    .store_read = lx_store_read,
    .store_remove = lx_store_remove,
    .store_list = lx_store_list,
    .log_append = lx_log_append,
    .log_read = lx_log_read,
    .log_truncate = lx_log_truncate,
};

static void remove_stale_temps(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' && n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0)
            unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

sigil_platform *sigil_linux_platform_new(const char *state_dir, char *errmsg, size_t errlen)
{
    sigil_platform *p = calloc(1, sizeof(*p));
    linux_impl *impl = calloc(1, sizeof(*impl));

    if (p == NULL || impl == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        goto fail;
    }
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(errmsg, errlen, "cannot create state directory %s: %s", state_dir, strerror(errno));
        goto fail;
    }
    impl->dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (impl->dir_fd < 0) {
        snprintf(errmsg, errlen, "cannot open state directory %s: %s", state_dir, strerror(errno));
        goto fail;
    }
    remove_stale_temps(impl->dir_fd);
    p->ops = &linux_ops;
    p->impl = impl;
    return p;
fail:
    free(impl);
    free(p);
    return NULL;
}

void sigil_linux_platform_free(sigil_platform *p)
{
    if (p == NULL)
        return;
    linux_impl *impl = p->impl;
    close(impl->dir_fd);
    free(impl);
    free(p);
}
