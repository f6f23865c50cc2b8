/* platform.h — everything the firmware core needs from the operating system or board.
 *
 * The core never calls the OS directly. The emulator links platform/linux; a
 * board links its own; unit tests link fakes (tests/fakes). All functions are
 * safe to call from several threads.
 */
#ifndef SIGIL_PLATFORM_H
#define SIGIL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#define SIGIL_ROOT_SECRET_LEN 32u
#define SIGIL_STORAGE_NAME_MAX 64u /* [a-z0-9._-], no '/' */

typedef struct sigil_platform sigil_platform;

typedef struct {
    /* Fills out with len bytes of fresh entropy. 0 on success. */
    int (*entropy)(const sigil_platform *p, uint8_t *out, size_t len);
    /* Seconds since the epoch (wall clock) and a monotonic milliseconds counter. */
    uint64_t (*time_now)(const sigil_platform *p);
    uint64_t (*monotonic_ms)(const sigil_platform *p);
    /* The device root secret; created on first call if absent (entropy-filled, persisted).
     * 0 on success. */
    int (*root_secret)(const sigil_platform *p, uint8_t out[SIGIL_ROOT_SECRET_LEN]);
    /* Destroys the root secret (zeroisation): the next root_secret() call makes a new one,
     * so nothing sealed under the old one can be opened again. 0 on success. */
    int (*root_secret_destroy)(const sigil_platform *p);
    /* Storage of named blobs. write is atomic and durable before it returns 0:
     * after a crash a reader sees either the old or the new content, whole. */
    int (*store_write)(const sigil_platform *p, const char *name, const uint8_t *data, size_t len);
    /* Reads a blob into buf. Returns 0 and sets *len; -1 if missing (ENOENT); -2 on other error;
     * -3 if larger than cap. */
    int (*store_read)(const sigil_platform *p, const char *name, uint8_t *buf, size_t cap, size_t *len);
    /* Removes a blob durably. 0 on success or when already absent. */
    int (*store_remove)(const sigil_platform *p, const char *name);
    /* Calls fn for every stored blob whose name starts with prefix. 0 on success. */
    int (*store_list)(const sigil_platform *p, const char *prefix,
                      void (*fn)(void *ctx, const char *name), void *ctx);
    /* Append-only logs (the audit trail). append writes data at the end of the named
     * log (created if absent) and returns 0 only once it is on stable storage. */
    int (*log_append)(const sigil_platform *p, const char *name, const uint8_t *data, size_t len);
    /* Reads up to cap bytes from offset off; *len = 0 at the end. 0, or SIGIL_STORE_MISSING. */
    int (*log_read)(const sigil_platform *p, const char *name, uint64_t off, uint8_t *buf,
                    size_t cap, size_t *len);
    /* Cuts a log to len bytes, durably (used to set a torn tail aside after a crash). */
    int (*log_truncate)(const sigil_platform *p, const char *name, uint64_t len);
} sigil_platform_ops;

struct sigil_platform {
    const sigil_platform_ops *ops;
    void *impl;
};

#define SIGIL_STORE_OK 0
#define SIGIL_STORE_MISSING (-1)
#define SIGIL_STORE_ERROR (-2)
#define SIGIL_STORE_TOO_LARGE (-3)

#endif
