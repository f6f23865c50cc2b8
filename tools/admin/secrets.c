/* secrets.c — PINs for sigil-admin: from the environment, else from the terminal
 * without echo. Never from the command line. Buffers are wiped with sigil_wipe.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "sigil_secmem.h"

static const struct {
    const char *env;
    const char *noun;
} pin_kinds[] = {
    [ADMIN_PIN_ADMIN] = {.env = "SIGIL_ADMIN_PIN", .noun = "appliance administrator PIN"},
    [ADMIN_PIN_SO] = {.env = "SIGIL_SO_PIN", .noun = "seal administrator (SO) PIN"},
    [ADMIN_PIN_USER] = {.env = "SIGIL_USER_PIN", .noun = "seal user PIN"},
};

void admin_pin_wipe(admin_pin *pin)
{
    sigil_wipe(pin->buf, sizeof pin->buf);
    pin->len = 0;
}

/* ---- terminal state, restored on the way out and on a fatal signal ---------- */

static volatile sig_atomic_t tty_saved;
static int tty_fd = -1;
static struct termios tty_old;

static void tty_restore(void)
{
    if (tty_saved) {
        (void)tcsetattr(tty_fd, TCSANOW, &tty_old);
        tty_saved = 0;
    }
}

static void on_fatal_signal(int sig)
{
    tty_restore(); /* tcsetattr is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

static void set_signal_handlers(bool install, struct sigaction *saved)
{
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        if (install) {
            struct sigaction sa = {.sa_handler = on_fatal_signal};
            sigemptyset(&sa.sa_mask);
            (void)sigaction(fatal_signals[i], &sa, &saved[i]);
        } else {
            (void)sigaction(fatal_signals[i], &saved[i], NULL);
        }
    }
}

/* Reads one line from fd into pin (without the newline). Returns 0, or -1 when the
 * input ended before a newline, and sets *too_long when the line exceeds the buffer. */
static int read_line(int fd, admin_pin *pin, bool *too_long)
{
    char c = 0;
    *too_long = false;
    pin->len = 0;
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c = 0;
            return pin->len > 0 ? 0 : -1;
        }
        if (c == '\n' || c == '\r')
            break;
        if (pin->len < SIGIL_PIN_MAX_LEN)
            pin->buf[pin->len++] = c;
        else
            *too_long = true;
    }
    c = 0;
    __asm__ __volatile__("" : : "r"(&c) : "memory");
    pin->buf[pin->len] = '\0';
    return 0;
}

/* Prompts once on the terminal fd with echo off. */
static int prompt_once(int fd, const char *prompt, admin_pin *pin, bool *too_long)
{
    struct termios quiet;
    struct sigaction saved[sizeof fatal_signals / sizeof fatal_signals[0]];
    int rc;

    if (tcgetattr(fd, &tty_old) != 0)
        return -1;
    quiet = tty_old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL | ICANON;
    tty_fd = fd;
    set_signal_handlers(true, saved);
    tty_saved = 1;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
        tty_saved = 0;
        set_signal_handlers(false, saved);
        return -1;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy; reading still works */
    }
    rc = read_line(fd, pin, too_long);
    tty_restore();
    set_signal_handlers(false, saved);
    return rc;
}

static admin_exit fail(admin_ctx *ctx, admin_pin_kind kind, const char *fmt, ...) ADMIN_PRINTF(3, 4);

static admin_exit fail(admin_ctx *ctx, admin_pin_kind kind, const char *fmt, ...)
{
    char hint[160];
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(hint, sizeof hint, "set %s, or run sigil-admin from a terminal to be asked", pin_kinds[kind].env);
    admin_report(ctx, ADMIN_EXIT_USAGE, hint, "%s", msg);
    return ADMIN_EXIT_USAGE;
}

static admin_exit check_new_length(admin_ctx *ctx, admin_pin_kind kind, const admin_pin *pin)
{
    if (pin->len < SIGIL_PIN_MIN_LEN || pin->len > SIGIL_PIN_MAX_LEN) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "choose a PIN of 4 to 64 bytes",
                     "the new %s must be %u to %u bytes long (it has %zu)", pin_kinds[kind].noun,
                     SIGIL_PIN_MIN_LEN, SIGIL_PIN_MAX_LEN, pin->len);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}

static admin_exit from_env(admin_ctx *ctx, admin_pin_kind kind, bool is_new, const char *value, admin_pin *pin)
{
    size_t n = strlen(value);
    if (n > SIGIL_PIN_MAX_LEN)
        return fail(ctx, kind, "%s is longer than 64 bytes", pin_kinds[kind].env);
    if (n == 0)
        return fail(ctx, kind, "%s is set but empty", pin_kinds[kind].env);
    memcpy(pin->buf, value, n);
    pin->buf[n] = '\0';
    pin->len = n;
    return is_new ? check_new_length(ctx, kind, pin) : ADMIN_EXIT_OK;
}

static admin_exit from_tty(admin_ctx *ctx, admin_pin_kind kind, bool is_new, admin_pin *pin)
{
    admin_exit rc = ADMIN_EXIT_USAGE;
    admin_pin again = {.len = 0};
    char prompt[128];
    bool too_long = false;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return fail(ctx, kind, "no terminal to ask for the %s", pin_kinds[kind].noun);
    if (is_new)
        snprintf(prompt, sizeof prompt, "New %s: ", pin_kinds[kind].noun);
    else
        snprintf(prompt, sizeof prompt, "%c%s: ", toupper((unsigned char)pin_kinds[kind].noun[0]),
                 pin_kinds[kind].noun + 1);
    if (prompt_once(fd, prompt, pin, &too_long) != 0) {
        rc = fail(ctx, kind, "could not read the %s from the terminal", pin_kinds[kind].noun);
        goto out;
    }
    if (too_long) {
        rc = fail(ctx, kind, "the %s is longer than 64 bytes", pin_kinds[kind].noun);
        goto out;
    }
    if (pin->len == 0) {
        rc = fail(ctx, kind, "no %s entered", pin_kinds[kind].noun);
        goto out;
    }
    if (!is_new) {
        rc = ADMIN_EXIT_OK;
        goto out;
    }
    rc = check_new_length(ctx, kind, pin);
    if (rc != ADMIN_EXIT_OK)
        goto out;
    snprintf(prompt, sizeof prompt, "Repeat the new %s: ", pin_kinds[kind].noun);
    if (prompt_once(fd, prompt, &again, &too_long) != 0) {
        rc = fail(ctx, kind, "could not read the %s from the terminal", pin_kinds[kind].noun);
        goto out;
    }
    if (too_long || again.len != pin->len || !sigil_ct_equal(again.buf, pin->buf, pin->len)) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "run the command again and enter the same PIN twice",
                     "the two entries of the new %s differ", pin_kinds[kind].noun);
        rc = ADMIN_EXIT_USAGE;
        goto out;
    }
    rc = ADMIN_EXIT_OK;
out:
    admin_pin_wipe(&again);
    close(fd);
    return rc;
}

admin_exit admin_pin_get(admin_ctx *ctx, admin_pin_kind kind, bool is_new, admin_pin *pin)
{
    const char *value = getenv(pin_kinds[kind].env);
    admin_exit rc;

    admin_pin_wipe(pin);
    rc = value != NULL ? from_env(ctx, kind, is_new, value, pin) : from_tty(ctx, kind, is_new, pin);
    if (rc != ADMIN_EXIT_OK)
        admin_pin_wipe(pin);
    return rc;
}
