/* crashpoint.c — an LD_PRELOAD library for sigil-emu that kills the process (SIGKILL, as a
 * crash or a power cut would stop it) at an exact point of its storage writes. Test code only.
 *
 * The Linux platform writes every record as "write .NAME.tmp, fsync, rename to NAME, fsync the
 * directory", removes one with unlink, and appends the audit trail with write + fdatasync
 * (firmware/platform/linux/linux_platform.c). This library interposes renameat(), unlinkat()
 * and write().
 *
 * Armed through a file, so that a test can arm it after its own set-up requests: the file named
 * by $SIGIL_CRASHPOINT_FILE holds one line
 *
 *     NONCE rename PREFIX N before|after   the Nth renameat() whose target name starts with
 *                                           PREFIX ("*": any): SIGKILL just before or after it
 *     NONCE unlink PREFIX N before|after   the same for unlinkat()
 *     NONCE append PREFIX N torn           the Nth write() to a file whose name starts with
 *                                           PREFIX: write the first half of the bytes, SIGKILL
 *
 * Counting starts when the line (NONCE included) changes; an empty or missing file disarms.
 * The file is read at every renameat(), unlinkat() and write() while $SIGIL_CRASHPOINT_FILE is
 * set. Before it kills, the library writes the name it stopped at into $SIGIL_CRASHPOINT_FILE.hit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*unlinkat_fn)(int, const char *, int);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char armed_line[512];
static char op[16], prefix[128], when[16];
static unsigned long target, count;
static __thread int busy; /* our own reads of the control file */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s != NULL ? s + 1 : p;
}

static ssize_t real_write(int fd, const void *buf, size_t n)
{
    static write_fn fn;
    if (fn == NULL)
        fn = (write_fn)dlsym(RTLD_NEXT, "write");
    return fn(fd, buf, n);
}

/* Re-reads the control file (mu held); resets the count when its line changed. */
static void refresh(void)
{
    const char *path = getenv("SIGIL_CRASHPOINT_FILE");
    char line[512] = "";
    if (path == NULL)
        return;
    busy = 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, line, sizeof(line) - 1);
        line[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    busy = 0;
    if (strcmp(line, armed_line) == 0)
        return;
    snprintf(armed_line, sizeof(armed_line), "%s", line);
    op[0] = prefix[0] = when[0] = '\0';
    target = count = 0;
    char nonce[64];
    if (sscanf(line, "%63s %15s %127s %lu %15s", nonce, op, prefix, &target, when) != 5)
        op[0] = '\0';
}

static int name_matches(const char *path)
{
    return strcmp(prefix, "*") == 0 || strncmp(base_name(path), prefix, strlen(prefix)) == 0;
}

/* Says where it stopped ($SIGIL_CRASHPOINT_FILE.hit), then SIGKILL. */
static void die(const char *name)
{
    const char *path = getenv("SIGIL_CRASHPOINT_FILE");
    char hit[4096];
    if (path != NULL && snprintf(hit, sizeof(hit), "%s.hit", path) < (int)sizeof(hit)) {
        busy = 1;
        int fd = open(hit, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            (void)real_write(fd, name, strlen(name));
            close(fd);
        }
    }
    kill(getpid(), SIGKILL);
    for (;;)
        pause();
}

/* 0: go on; 1: stop before; 2: stop after (mu held from here on in both cases). */
static int check_point(const char *what, const char *path)
{
    pthread_mutex_lock(&mu);
    refresh();
    if (strcmp(op, what) == 0 && name_matches(path) && ++count == target)
        return strcmp(when, "before") == 0 ? 1 : 2;
    pthread_mutex_unlock(&mu);
    return 0;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    static renameat_fn fn;
    if (fn == NULL)
        fn = (renameat_fn)dlsym(RTLD_NEXT, "renameat");
    int hit = check_point("rename", newpath);
    if (hit == 1)
        die(base_name(newpath)); /* with the lock held: nobody else gets further */
    int rc = fn(olddirfd, oldpath, newdirfd, newpath);
    if (hit == 2)
        die(base_name(newpath));
    return rc;
}

int unlinkat(int dirfd, const char *path, int flags)
{
    static unlinkat_fn fn;
    if (fn == NULL)
        fn = (unlinkat_fn)dlsym(RTLD_NEXT, "unlinkat");
    /* Temporary files (".NAME.tmp") are cleanup, not a storage step. */
    int hit = base_name(path)[0] == '.' ? 0 : check_point("unlink", path);
    if (hit == 1)
        die(base_name(path));
    int rc = fn(dirfd, path, flags);
    if (hit == 2)
        die(base_name(path));
    return rc;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (busy || getenv("SIGIL_CRASHPOINT_FILE") == NULL)
        return real_write(fd, buf, n);
    pthread_mutex_lock(&mu);
    refresh();
    if (strcmp(op, "append") == 0) {
        char link[64], target_path[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t l = readlink(link, target_path, sizeof(target_path) - 1);
        if (l > 0) {
            target_path[l] = '\0';
            if (name_matches(target_path) && ++count == target) {
                (void)real_write(fd, buf, n > 1 ? n / 2 : n);
                die(base_name(target_path));
            }
        }
    }
    pthread_mutex_unlock(&mu);
    return real_write(fd, buf, n);
}
