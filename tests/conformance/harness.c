/* harness.c — runs the conformance cases against one PKCS#11 module and reports them.
 *
 *   p11_conformance MODULE LIBRARY TOKEN_LABEL [--only PREFIX]... [--no-fork] [--list] [-v]
 *
 * MODULE is "sigil" or "softhsm" (selects the rows of the table of differences), LIBRARY the
 * module's path (dlopen), TOKEN_LABEL the label of an initialised token whose user PIN is in
 * $CONF_USER_PIN and SO PIN in $CONF_SO_PIN. Each case runs in a child process (--no-fork: in this
 * one, for a debugger); a crash, a hang (CONF_CASE_TIMEOUT seconds) or a case that made no check
 * fails it. The report is TAP-like and ends with the line "N passed, N failed"; the exit code is 0
 * only when no case failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"

#define CONF_CASE_TIMEOUT 600

static int conf_verbose;

/* ---- names ------------------------------------------------------------------------------- */

const char *conf_rv_name(CK_RV rv)
{
    static char buf[32];
    switch (rv) {
#define N(x) \
    case x:  \
        return #x;
        N(CKR_OK)
        N(CKR_CANCEL)
        N(CKR_HOST_MEMORY)
        N(CKR_SLOT_ID_INVALID)
        N(CKR_GENERAL_ERROR)
        N(CKR_FUNCTION_FAILED)
        N(CKR_ARGUMENTS_BAD)
        N(CKR_NO_EVENT)
        N(CKR_NEED_TO_CREATE_THREADS)
        N(CKR_CANT_LOCK)
        N(CKR_ATTRIBUTE_READ_ONLY)
        N(CKR_ATTRIBUTE_SENSITIVE)
        N(CKR_ATTRIBUTE_TYPE_INVALID)
        N(CKR_ATTRIBUTE_VALUE_INVALID)
        N(CKR_ACTION_PROHIBITED)
        N(CKR_DATA_INVALID)
        N(CKR_DATA_LEN_RANGE)
        N(CKR_DEVICE_ERROR)
        N(CKR_DEVICE_MEMORY)
        N(CKR_DEVICE_REMOVED)
        N(CKR_ENCRYPTED_DATA_INVALID)
        N(CKR_ENCRYPTED_DATA_LEN_RANGE)
        N(CKR_FUNCTION_CANCELED)
        N(CKR_FUNCTION_NOT_PARALLEL)
        N(CKR_FUNCTION_NOT_SUPPORTED)
        N(CKR_KEY_HANDLE_INVALID)
        N(CKR_KEY_SIZE_RANGE)
        N(CKR_KEY_TYPE_INCONSISTENT)
        N(CKR_KEY_NOT_NEEDED)
        N(CKR_KEY_CHANGED)
        N(CKR_KEY_NEEDED)
        N(CKR_KEY_INDIGESTIBLE)
        N(CKR_KEY_FUNCTION_NOT_PERMITTED)
        N(CKR_KEY_NOT_WRAPPABLE)
        N(CKR_KEY_UNEXTRACTABLE)
        N(CKR_MECHANISM_INVALID)
        N(CKR_MECHANISM_PARAM_INVALID)
        N(CKR_OBJECT_HANDLE_INVALID)
        N(CKR_OPERATION_ACTIVE)
        N(CKR_OPERATION_NOT_INITIALIZED)
        N(CKR_PIN_INCORRECT)
        N(CKR_PIN_INVALID)
        N(CKR_PIN_LEN_RANGE)
        N(CKR_PIN_EXPIRED)
        N(CKR_PIN_LOCKED)
        N(CKR_SESSION_CLOSED)
        N(CKR_SESSION_COUNT)
        N(CKR_SESSION_HANDLE_INVALID)
        N(CKR_SESSION_PARALLEL_NOT_SUPPORTED)
        N(CKR_SESSION_READ_ONLY)
        N(CKR_SESSION_EXISTS)
        N(CKR_SESSION_READ_ONLY_EXISTS)
        N(CKR_SESSION_READ_WRITE_SO_EXISTS)
        N(CKR_SIGNATURE_INVALID)
        N(CKR_SIGNATURE_LEN_RANGE)
        N(CKR_TEMPLATE_INCOMPLETE)
        N(CKR_TEMPLATE_INCONSISTENT)
        N(CKR_TOKEN_NOT_PRESENT)
        N(CKR_TOKEN_NOT_RECOGNIZED)
        N(CKR_TOKEN_WRITE_PROTECTED)
        N(CKR_USER_ALREADY_LOGGED_IN)
        N(CKR_USER_NOT_LOGGED_IN)
        N(CKR_USER_PIN_NOT_INITIALIZED)
        N(CKR_USER_TYPE_INVALID)
        N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
        N(CKR_USER_TOO_MANY_TYPES)
        N(CKR_DOMAIN_PARAMS_INVALID)
        N(CKR_CURVE_NOT_SUPPORTED)
        N(CKR_BUFFER_TOO_SMALL)
        N(CKR_SAVED_STATE_INVALID)
        N(CKR_INFORMATION_SENSITIVE)
        N(CKR_STATE_UNSAVEABLE)
        N(CKR_CRYPTOKI_NOT_INITIALIZED)
        N(CKR_CRYPTOKI_ALREADY_INITIALIZED)
        N(CKR_MUTEX_BAD)
        N(CKR_MUTEX_NOT_LOCKED)
        N(CKR_FUNCTION_REJECTED)
        N(CKR_RANDOM_SEED_NOT_SUPPORTED)
        N(CKR_RANDOM_NO_RNG)
#undef N
    default:
        snprintf(buf, sizeof buf, "CKR_0x%lx", (unsigned long)rv);
        return buf;
    }
}

const char *conf_mech_name(CK_MECHANISM_TYPE m)
{
    static char buf[32];
    switch (m) {
#define N(x) \
    case x:  \
        return #x;
        N(CKM_EC_KEY_PAIR_GEN)
        N(CKM_RSA_PKCS_KEY_PAIR_GEN)
        N(CKM_ECDSA)
        N(CKM_ECDSA_SHA256)
        N(CKM_ECDSA_SHA384)
        N(CKM_ECDSA_SHA512)
        N(CKM_RSA_PKCS)
        N(CKM_SHA256_RSA_PKCS)
        N(CKM_SHA384_RSA_PKCS)
        N(CKM_SHA512_RSA_PKCS)
        N(CKM_RSA_PKCS_PSS)
        N(CKM_SHA256_RSA_PKCS_PSS)
        N(CKM_SHA384_RSA_PKCS_PSS)
        N(CKM_SHA512_RSA_PKCS_PSS)
        N(CKM_SHA256)
        N(CKM_SHA384)
        N(CKM_SHA512)
#undef N
    default:
        snprintf(buf, sizeof buf, "CKM_0x%lx", (unsigned long)m);
        return buf;
    }
}

/* ---- the table of differences ------------------------------------------------------------ */

static int check_matches(const char *pattern, const char *check)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, check, n - 1) == 0;
    return strcmp(pattern, check) == 0;
}

const struct conf_difference *conf_difference_find(const char *check, const char *module)
{
    for (const struct conf_difference *d = conf_differences; d->ref != NULL; d++)
        if (strcmp(d->module, module) == 0 && check_matches(d->check, check))
            return d;
    return NULL;
}

/* ---- checks ------------------------------------------------------------------------------- */

enum conf_kind { CONF_KIND_RV, CONF_KIND_VAL, CONF_KIND_BOOL };

static const char *value_text(enum conf_kind k, unsigned long v, char *buf, size_t cap)
{
    switch (k) {
    case CONF_KIND_RV:
        snprintf(buf, cap, "%s", conf_rv_name(v));
        break;
    case CONF_KIND_BOOL:
        snprintf(buf, cap, "%s", v ? "true" : "false");
        break;
    case CONF_KIND_VAL:
        if (v == CK_UNAVAILABLE_INFORMATION)
            snprintf(buf, cap, "CK_UNAVAILABLE_INFORMATION");
        else if (v > 0xffffff)
            snprintf(buf, cap, "0x%lx", v);
        else
            snprintf(buf, cap, "%lu", v);
        break;
    }
    return buf;
}

static int check(struct conf *c, enum conf_kind k, unsigned long got, unsigned long want, const char *name)
{
    char id[256], g[64], w[64], o[64];
    const char *other = strcmp(c->module, CONF_SIGIL) == 0 ? CONF_SOFTHSM : CONF_SIGIL;
    const struct conf_difference *mine, *theirs;
    unsigned long expect;

    snprintf(id, sizeof id, "%s/%s", c->cc->id, name);
    mine = conf_difference_find(id, c->module);
    theirs = conf_difference_find(id, other);
    expect = mine != NULL ? mine->value : want;
    c->checks++;
    value_text(k, got, g, sizeof g);
    value_text(k, want, w, sizeof w);
    if (got == expect) {
        if (mine != NULL) {
            c->differences++;
            printf("#   DIFFERENCE %s (documented %s): %s answers %s, PKCS#11 and %s: %s%s%s — %s\n", id,
                   mine->ref, c->module, g, other,
                   theirs != NULL ? value_text(k, theirs->value, o, sizeof o) : w,
                   theirs != NULL ? " " : "", theirs != NULL ? theirs->ref : "", mine->reason);
        } else if (theirs != NULL) {
            printf("#   difference %s (documented %s): %s answers %s here (PKCS#11), %s answers %s — %s\n", id,
                   theirs->ref, c->module, g, other, value_text(k, theirs->value, o, sizeof o),
                   theirs->reason);
        } else if (conf_verbose) {
            printf("#   ok %s: %s\n", id, g);
        }
        return 1;
    }
    c->failures++;
    if (mine != NULL && got == want) {
        printf("#   FINDING %s: documented difference %s no longer holds: %s now answers %s (the PKCS#11 "
               "value) instead of %s; remove %s from differences.c and DIFFERENCES.md\n",
               id, mine->ref, c->module, g, value_text(k, mine->value, o, sizeof o), mine->ref);
    } else if (mine != NULL) {
        printf("#   FINDING %s: %s answers %s; PKCS#11 expects %s, documented difference %s says %s\n", id,
               c->module, g, w, mine->ref, value_text(k, mine->value, o, sizeof o));
    } else if (theirs != NULL) {
        printf("#   FINDING %s: %s answers %s, expected %s (PKCS#11); %s answers %s (documented %s)\n", id,
               c->module, g, w, other, value_text(k, theirs->value, o, sizeof o), theirs->ref);
    } else {
        printf("#   FINDING %s: %s answers %s, expected %s (PKCS#11, and what %s answers); not an intended "
               "difference\n",
               id, c->module, g, w, other);
    }
    return 0;
}

int conf_rv(struct conf *c, CK_RV got, CK_RV want, const char *fmt, ...)
{
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return check(c, CONF_KIND_RV, got, want, name);
}

int conf_val(struct conf *c, unsigned long got, unsigned long want, const char *fmt, ...)
{
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return check(c, CONF_KIND_VAL, got, want, name);
}

int conf_true(struct conf *c, int cond, const char *fmt, ...)
{
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return check(c, CONF_KIND_BOOL, cond ? 1 : 0, 1, name);
}

void conf_fail(struct conf *c, const char *fmt, ...)
{
    va_list ap;
    c->checks++;
    c->failures++;
    printf("#   FINDING %s: ", c->cc->id);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void conf_note(struct conf *c, const char *fmt, ...)
{
    va_list ap;
    printf("#   %s: ", c->cc->id);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* ---- running one case --------------------------------------------------------------------- */

struct conf_result {
    unsigned checks, failures, differences;
};

static void run_case(struct conf *c, const struct conf_case *cc, struct conf_result *res)
{
    c->cc = cc;
    c->checks = c->failures = c->differences = 0;
    c->n_tracked = 0;
    if (cc->flags & CONF_CASE_NO_INIT) {
        cc->run(c, cc->arg);
    } else if (conf_init(c)) {
        cc->run(c, cc->arg);
        conf_destroy_tracked(c);
        conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "harness:C_Finalize");
    }
    if (c->checks == 0)
        conf_fail(c, "the case made no check (it must never pass without checking)");
    res->checks = c->checks;
    res->failures = c->failures;
    res->differences = c->differences;
}

/* Runs the case in a child; 0 with *res filled, or -1 (crash, hang, lost result) with a message. */
static int run_case_forked(struct conf *c, const struct conf_case *cc, struct conf_result *res)
{
    int fds[2], status = 0;
    pid_t pid;
    ssize_t n;

    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0) {
        printf("#   FINDING %s: pipe: %s\n", cc->id, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        printf("#   FINDING %s: fork: %s\n", cc->id, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(CONF_CASE_TIMEOUT);
        run_case(c, cc, res);
        fflush(stdout);
        fflush(stderr);
        n = write(fds[1], res, sizeof *res);
        _exit(n == (ssize_t)sizeof *res ? 0 : 3);
    }
    close(fds[1]);
    do {
        n = read(fds[0], res, sizeof *res);
    } while (n < 0 && errno == EINTR);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        printf("#   FINDING %s: the case process died of signal %d%s\n", cc->id, WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? " (timed out)" : " (a crash)");
        return -1;
    }
    if (n != (ssize_t)sizeof *res || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("#   FINDING %s: the case process exited (status %d) without a result\n", cc->id,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

static const struct conf_case *const case_lists[] = {
    conf_cases_init, conf_cases_session, conf_cases_keys, conf_cases_sign, conf_cases_objects,
};

static int selected(const struct conf_case *cc, char **only, int n_only)
{
    if (n_only == 0)
        return 1;
    for (int i = 0; i < n_only; i++)
        if (strncmp(cc->id, only[i], strlen(only[i])) == 0)
            return 1;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: p11_conformance sigil|softhsm LIBRARY TOKEN_LABEL [--only PREFIX]... [--no-fork] "
                    "[--list] [-v]\n"
                    "PINs in $CONF_USER_PIN and $CONF_SO_PIN.\n");
}

int main(int argc, char **argv)
{
    char *only[32];
    int n_only = 0, fork_cases = 1, list = 0;
    unsigned passed = 0, failed = 0, total = 0, differences = 0, number = 0;
    struct conf c;
    void *lib;
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
    CK_RV rv;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 4) {
        usage();
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc && n_only < 32)
            only[n_only++] = argv[++i];
        else if (strcmp(argv[i], "--no-fork") == 0)
            fork_cases = 0;
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "-v") == 0)
            conf_verbose = 1;
        else {
            usage();
            return 2;
        }
    }
    memset(&c, 0, sizeof c);
    if (strcmp(argv[1], CONF_SIGIL) == 0)
        c.module = CONF_SIGIL;
    else if (strcmp(argv[1], CONF_SOFTHSM) == 0)
        c.module = CONF_SOFTHSM;
    else {
        usage();
        return 2;
    }
    c.label = argv[3];
    c.user_pin = getenv("CONF_USER_PIN");
    c.so_pin = getenv("CONF_SO_PIN");

    for (size_t l = 0; l < sizeof case_lists / sizeof case_lists[0]; l++)
        for (const struct conf_case *cc = case_lists[l]; cc->id != NULL; cc++)
            if (selected(cc, only, n_only))
                total++;
    if (list) {
        for (size_t l = 0; l < sizeof case_lists / sizeof case_lists[0]; l++)
            for (const struct conf_case *cc = case_lists[l]; cc->id != NULL; cc++)
                if (selected(cc, only, n_only))
                    printf("%-28s %s\n", cc->id, cc->title);
        return 0;
    }

    printf("# PKCS#11 conformance: module %s (%s), token '%s'\n", c.module, argv[2], c.label);
    if (c.user_pin == NULL || c.so_pin == NULL || total == 0) {
        printf("# FINDING: %s\n", total == 0 ? "no case selected" : "CONF_USER_PIN and CONF_SO_PIN must be set");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        printf("# FINDING: cannot load %s: %s\n0 passed, 1 failed\n", argv[2], dlerror());
        return 1;
    }
    *(void **)&get_list = dlsym(lib, "C_GetFunctionList");
    if (get_list == NULL || (rv = get_list(&c.p)) != CKR_OK || c.p == NULL) {
        printf("# FINDING: %s: no usable C_GetFunctionList\n0 passed, 1 failed\n", argv[2]);
        return 1;
    }

    printf("1..%u\n", total);
    for (size_t l = 0; l < sizeof case_lists / sizeof case_lists[0]; l++) {
        for (const struct conf_case *cc = case_lists[l]; cc->id != NULL; cc++) {
            struct conf_result res = {0, 0, 0};
            int ok;
            if (!selected(cc, only, n_only))
                continue;
            number++;
            if (fork_cases) {
                ok = run_case_forked(&c, cc, &res) == 0 && res.failures == 0;
            } else {
                run_case(&c, cc, &res);
                ok = res.failures == 0;
            }
            differences += res.differences;
            if (ok)
                passed++;
            else
                failed++;
            printf("%s %u - %s: %s\n", ok ? "ok" : "not ok", number, cc->id, cc->title);
        }
    }
    printf("# %u documented differences of %s observed (see tests/conformance/DIFFERENCES.md)\n", differences,
           c.module);
    printf("%u passed, %u failed\n", passed, failed);
    return failed == 0 && passed == total ? 0 : 1;
}
