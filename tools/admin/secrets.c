/* secrets.c — PINs, the backup domain secret and confirmations for sigil-admin: from a file
 * named by an option, else the environment, else the terminal without echo. Never from the
 * command line. Buffers are wiped with sigil_wipe.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "admin.h"
#include "sigil_secmem.h"

static const struct {
    const char *env;
    const char *option;
    const char *noun;
} pin_kinds[ADMIN_PIN_KINDS] = {
    [ADMIN_PIN_ADMIN] = {.env = "SIGIL_ADMIN_PIN", .option = "--admin-pin-file", .noun = "appliance administrator PIN"},
    [ADMIN_PIN_SO] = {.env = "SIGIL_SO_PIN", .option = "--so-pin-file", .noun = "seal administrator (SO) PIN"},
    [ADMIN_PIN_USER] = {.env = "SIGIL_USER_PIN", .option = "--user-pin-file", .noun = "seal user PIN"},
    [ADMIN_PIN_AUDITOR] = {.env = "SIGIL_AUDITOR_PIN", .option = "--auditor-pin-file", .noun = "auditor PIN"},
    [ADMIN_PIN_NEW] = {.env = "SIGIL_NEW_PIN", .option = "--new-pin-file", .noun = "new PIN"},
};

const char *admin_pin_env(admin_pin_kind kind)
{
    return kind >= 0 && kind < ADMIN_PIN_KINDS ? pin_kinds[kind].env : "";
}

const char *admin_pin_option(admin_pin_kind kind)
{
    return kind >= 0 && kind < ADMIN_PIN_KINDS ? pin_kinds[kind].option : "";
}

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
    char hint[200];
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(hint, sizeof hint, "set %s, give %s FILE, or run sigil-admin from a terminal to be asked",
             pin_kinds[kind].env, pin_kinds[kind].option);
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
    if (is_new && kind == ADMIN_PIN_NEW)
        snprintf(prompt, sizeof prompt, "New PIN: ");
    else if (is_new)
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
    if (kind == ADMIN_PIN_NEW)
        snprintf(prompt, sizeof prompt, "Repeat the new PIN: ");
    else
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

/* The first line of a file that only its owner (and group) may read. */
static admin_exit from_file(admin_ctx *ctx, admin_pin_kind kind, bool is_new, const char *path, admin_pin *pin)
{
    char err[256];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct stat st;
    admin_exit rc = ADMIN_EXIT_USAGE;

    if (admin_file_read(path, 4096, &buf, &len, err, sizeof err) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, "give a readable file holding the PIN on its first line",
                     "cannot read the %s: %s", pin_kinds[kind].noun, err);
        return ADMIN_EXIT_USAGE;
    }
    if (stat(path, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        char hint[320];
        snprintf(hint, sizeof hint, "chmod o-rwx %s", path);
        admin_report(ctx, ADMIN_EXIT_USAGE, hint, "the PIN file %s may be read or written by anyone: refused", path);
        goto out;
    }
    size_t n = strcspn((const char *)buf, "\r\n");
    if (n == 0) {
        rc = fail(ctx, kind, "the PIN file %s is empty", path);
        goto out;
    }
    if (n > SIGIL_PIN_MAX_LEN) {
        rc = fail(ctx, kind, "the PIN in %s is longer than 64 bytes", path);
        goto out;
    }
    memcpy(pin->buf, buf, n);
    pin->buf[n] = '\0';
    pin->len = n;
    rc = is_new ? check_new_length(ctx, kind, pin) : ADMIN_EXIT_OK;
out:
    sigil_wipe(buf, len);
    free(buf);
    return rc;
}

admin_exit admin_pin_get(admin_ctx *ctx, admin_pin_kind kind, bool is_new, admin_pin *pin)
{
    const char *value = getenv(pin_kinds[kind].env);
    const char *file = ctx->pin_file[kind];
    admin_exit rc;

    if (file == NULL && ctx->cmd != NULL && ctx->cmd->login == kind)
        file = ctx->pin_file_login;
    admin_pin_wipe(pin);
    if (file != NULL)
        rc = from_file(ctx, kind, is_new, file, pin);
    else if (value != NULL)
        rc = from_env(ctx, kind, is_new, value, pin);
    else
        rc = from_tty(ctx, kind, is_new, pin);
    if (rc != ADMIN_EXIT_OK)
        admin_pin_wipe(pin);
    return rc;
}

/* ---- the backup domain secret ---------------------------------------------------------- */

static int parse_secret(const char *s, size_t n, uint8_t out[32])
{
    uint8_t tmp[33];
    size_t got = 0;
    char copy[80];
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    if (n == 0 || n >= sizeof copy)
        return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    int rc = admin_parse_hex(copy, tmp, sizeof tmp, &got) == 0 && got == 32 ? 0 : -1;
    if (rc == 0)
        memcpy(out, tmp, 32);
    sigil_wipe(tmp, sizeof tmp);
    sigil_wipe(copy, sizeof copy);
    return rc;
}

admin_exit admin_secret_get(admin_ctx *ctx, const char *file, uint8_t out[32])
{
    static const char hint[] = "give the 64 hex digits 'sigil-admin backup domain create' showed, with "
                               "--secret-file FILE, SIGIL_BACKUP_SECRET or on the terminal";
    char err[256];
    if (file != NULL) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (admin_file_read(file, 4096, &buf, &len, err, sizeof err) != 0) {
            admin_report(ctx, ADMIN_EXIT_USAGE, hint, "cannot read the backup domain secret: %s", err);
            return ADMIN_EXIT_USAGE;
        }
        int rc = parse_secret((const char *)buf, strcspn((const char *)buf, "\n"), out);
        sigil_wipe(buf, len);
        free(buf);
        if (rc != 0) {
            admin_report(ctx, ADMIN_EXIT_USAGE, hint, "%s does not hold a backup domain secret (64 hex digits)", file);
            return ADMIN_EXIT_USAGE;
        }
        return ADMIN_EXIT_OK;
    }
    const char *env = getenv("SIGIL_BACKUP_SECRET");
    if (env != NULL) {
        if (parse_secret(env, strlen(env), out) != 0) {
            admin_report(ctx, ADMIN_EXIT_USAGE, hint, "SIGIL_BACKUP_SECRET is not a backup domain secret (64 hex digits)");
            return ADMIN_EXIT_USAGE;
        }
        return ADMIN_EXIT_OK;
    }
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, hint, "no backup domain secret: no --secret-file, no SIGIL_BACKUP_SECRET and no terminal to ask");
        return ADMIN_EXIT_USAGE;
    }
    char buf[160];
    size_t have = 0;
    admin_exit e = ADMIN_EXIT_USAGE;
    struct termios quiet;
    struct sigaction saved[sizeof fatal_signals / sizeof fatal_signals[0]];
    if (tcgetattr(fd, &tty_old) == 0) {
        quiet = tty_old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
        quiet.c_lflag |= ECHONL | ICANON;
        tty_fd = fd;
        set_signal_handlers(true, saved);
        tty_saved = 1;
        if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
            static const char prompt[] = "Backup domain secret (64 hex digits): ";
            if (write(fd, prompt, sizeof prompt - 1) < 0) {
                /* the prompt is a courtesy */
            }
            for (;;) {
                char c;
                ssize_t n = read(fd, &c, 1);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0 || c == '\n' || c == '\r')
                    break;
                if (have + 1 < sizeof buf)
                    buf[have++] = c;
            }
        }
        tty_restore();
        set_signal_handlers(false, saved);
    }
    close(fd);
    if (parse_secret(buf, have, out) == 0)
        e = ADMIN_EXIT_OK;
    else
        admin_report(ctx, ADMIN_EXIT_USAGE, hint, "what was typed is not a backup domain secret (64 hex digits)");
    sigil_wipe(buf, sizeof buf);
    return e;
}

/* ---- confirmations ------------------------------------------------------------------------------ */

admin_exit admin_confirm(admin_ctx *ctx, const char *given, const char *expected, const char *what, const char *option)
{
    char hint[256];
    snprintf(hint, sizeof hint, "type %s when asked, or give %s VALUE", what, option);
    if (given != NULL) {
        if (strcmp(given, expected) != 0) {
            admin_report(ctx, ADMIN_EXIT_USAGE, hint, "%s does not match %s: nothing done", option, what);
            return ADMIN_EXIT_USAGE;
        }
        return ADMIN_EXIT_OK;
    }
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, hint, "this cannot be undone and needs a confirmation: no %s and no terminal to ask", option);
        return ADMIN_EXIT_USAGE;
    }
    char prompt[256];
    char line[128];
    size_t have = 0;
    snprintf(prompt, sizeof prompt, "This cannot be undone. Type %s (%s) to confirm: ", what, expected);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy */
    }
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n' || c == '\r')
            break;
        if (have + 1 < sizeof line)
            line[have++] = c;
    }
    line[have] = '\0';
    close(fd);
    if (strcmp(line, expected) != 0) {
        admin_report(ctx, ADMIN_EXIT_USAGE, hint, "the confirmation does not match %s: nothing done", what);
        return ADMIN_EXIT_USAGE;
    }
    return ADMIN_EXIT_OK;
}
