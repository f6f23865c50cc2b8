/* fork_threads — fork safety and 32-thread concurrency of the module (issue 8 item 6).
 *
 *   rob_fork_threads MODULE SECONDS LABEL_A LABEL_B LABEL_C     (user PIN in $SIGIL_TEST_USER_PIN)
 *
 * Part 1, fork. The parent initialises, logs in to seal A and signs from 4 threads; meanwhile it
 * forks FORKS children, one after the other. In each child every call answers
 * CKR_CRYPTOKI_NOT_INITIALIZED (C_GetInfo, C_GetSlotList, C_OpenSession, C_Sign on the parent's
 * session, C_Login, C_Finalize) until it calls C_Initialize again; then it opens a session, logs
 * in, signs and verifies, and finalizes (the last two children exit without C_Finalize, and one
 * is killed by SIGKILL after its C_Initialize). The parent's signing never fails, every signature
 * verifies, and its login holds throughout (specs/pkcs11-profile.md, "fork").
 *
 * Part 2, threads. 32 threads for SECONDS on three seals, each doing a random mix of: open and
 * close sessions, C_Login/C_Logout (seal B only: a logout ends the login of every thread of the
 * application, as PKCS#11 says), C_FindObjects, signing (CKM_ECDSA_SHA256, every signature
 * verified with OpenSSL), EC key generation and destruction (seal C). Every call must answer OK or
 * what PKCS#11 allows for the race it lost (e.g. CKR_USER_NOT_LOGGED_IN after another thread's
 * logout, CKR_KEY_HANDLE_INVALID for a key another thread destroyed); anything else fails.
 * A watchdog aborts when no thread has finished a call for 30 s (deadlock), printing what each
 * thread was doing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "rob_p11.h"

#define FORKS 8
#define FORK_SIGNERS 4
#define THREADS 32
#define MAX_KEYS 64
#define SESS_PER_THREAD 4

static CK_FUNCTION_LIST_PTR p11;
static const char *pin;
static int fails;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&fail_mu);
    if (fails++ < 30) {
        fputs("FAIL: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&fail_mu);
}

/* ---- part 1: fork ------------------------------------------------------------------------ */

typedef struct {
    CK_SLOT_ID slot;
    CK_OBJECT_HANDLE key;
    EVP_PKEY *pub;
    atomic_int stop;
    atomic_long sigs, errors;
} fork_ctx;

static void *fork_signer(void *arg)
{
    fork_ctx *f = arg;
    CK_SESSION_HANDLE s;
    CK_RV rv = p11->C_OpenSession(f->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        failf("parent signer: C_OpenSession %s", p11u_rv_name(rv));
        return NULL;
    }
    while (!atomic_load(&f->stop)) {
        unsigned char msg[48], sig[128];
        CK_ULONG n = sizeof sig;
        RAND_bytes(msg, sizeof msg);
        rv = rob_sign(p11, s, f->key, msg, sizeof msg, sig, &n);
        if (rv != CKR_OK) {
            if (atomic_fetch_add(&f->errors, 1) < 5)
                failf("parent signer during the forks: %s", p11u_rv_name(rv));
            continue;
        }
        if (!rob_verify_ec(f->pub, msg, sizeof msg, sig, n))
            failf("parent signature does not verify");
        atomic_fetch_add(&f->sigs, 1);
    }
    (void)p11->C_CloseSession(s);
    return NULL;
}

/* In the child: exit code 0 when everything held; 10+step otherwise. */
static int child_main(int idx, CK_SLOT_ID slot, CK_SESSION_HANDLE parent_sess, CK_OBJECT_HANDLE key, EVP_PKEY *pub)
{
    CK_INFO info;
    CK_ULONG n = 0;
    CK_SESSION_HANDLE s;
    unsigned char msg[32] = "child", sig[128];
    CK_ULONG sl = sizeof sig;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};

    if (p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 10;
    if (p11->C_GetSlotList(CK_FALSE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 11;
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 12;
    if (rob_sign(p11, parent_sess, key, msg, sizeof msg, sig, &sl) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 13;
    if (p11->C_Login(parent_sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) !=
        CKR_CRYPTOKI_NOT_INITIALIZED)
        return 14;
    if (p11->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED)
        return 15;
    if (p11->C_Initialize(&init) != CKR_OK)
        return 16;
    if (idx == FORKS - 1) {
        raise(SIGKILL); /* dies with its own connections open: the parent must not notice */
    }
    if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
        return 17;
    /* A new application context: the parent's login does not hold here. */
    sl = sizeof sig;
    if (rob_sign(p11, s, key, msg, sizeof msg, sig, &sl) == CKR_OK)
        return 18;
    if (p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)) != CKR_OK)
        return 19;
    sl = sizeof sig;
    if (rob_sign(p11, s, key, msg, sizeof msg, sig, &sl) != CKR_OK)
        return 20;
    if (!rob_verify_ec(pub, msg, sizeof msg, sig, sl))
        return 21;
    if (idx < FORKS - 3 && p11->C_Finalize(NULL) != CKR_OK)
        return 22;
    return 0;
}

static void part_fork(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE pubh, key;
    fork_ctx f = {.slot = slot};
    pthread_t th[FORK_SIGNERS];
    static const char *why[] = {"C_GetInfo", "C_GetSlotList", "C_OpenSession", "C_Sign (parent's session)",
                                "C_Login", "C_Finalize", "C_Initialize", "C_OpenSession after init",
                                "signing without its own login succeeded", "C_Login", "C_Sign",
                                "verify", "C_Finalize"};

    CK_RV rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv == CKR_OK)
        rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
    if (rv == CKR_OK)
        rv = rob_gen_ec(p11, s, "fork", 4, &pubh, &key);
    if (rv != CKR_OK || (f.pub = p11u_public_key(p11, s, pubh)) == NULL) {
        failf("fork set-up: %s", p11u_rv_name(rv));
        return;
    }
    f.key = key;
    for (int i = 0; i < FORK_SIGNERS; i++)
        pthread_create(&th[i], NULL, fork_signer, &f);
    int children_ok = 0;
    for (int i = 0; i < FORKS; i++) {
        rob_sleep_ms(100);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            _exit(child_main(i, slot, s, key, f.pub));
        if (pid < 0) {
            failf("fork: %s", strerror(errno));
            continue;
        }
        int status = 0;
        double until = rob_now() + 20;
        pid_t w;
        while ((w = waitpid(pid, &status, WNOHANG)) == 0 && rob_now() < until)
            rob_sleep_ms(10);
        if (w == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            failf("fork child %d hung for 20 s (deadlock after fork?)", i);
            continue;
        }
        if (i == FORKS - 1) {
            if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
                failf("fork child %d: expected to die by SIGKILL after C_Initialize", i);
            else
                children_ok++;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            int c = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            failf("fork child %d: %s (exit %d)", i, c >= 10 && c <= 22 ? why[c - 10] : "died", c);
        } else {
            children_ok++;
        }
    }
    rob_sleep_ms(300); /* the parent keeps signing after the last child died */
    atomic_store(&f.stop, 1);
    for (int i = 0; i < FORK_SIGNERS; i++)
        pthread_join(th[i], NULL);
    CK_SESSION_INFO info;
    rv = p11->C_GetSessionInfo(s, &info);
    if (rv != CKR_OK || info.state != CKS_RW_USER_FUNCTIONS)
        failf("parent's session after the forks: %s, state %lu", p11u_rv_name(rv), (unsigned long)info.state);
    printf("fork: %d of %d children saw CKR_CRYPTOKI_NOT_INITIALIZED until C_Initialize, then signed; "
           "parent: %ld signatures verified, %ld errors while forking\n",
           children_ok, FORKS, atomic_load(&f.sigs), atomic_load(&f.errors));
    if (atomic_load(&f.sigs) == 0)
        failf("the parent did not sign while forking");
    EVP_PKEY_free(f.pub);
    (void)p11->C_CloseSession(s);
}

/* ---- part 2: 32 threads ------------------------------------------------------------------------ */

typedef struct {
    int used;
    int seal;
    CK_OBJECT_HANDLE priv, pub;
    EVP_PKEY *pkey;
} key_ent;

static struct {
    CK_SLOT_ID slot[3];
    pthread_mutex_t mu;
    key_ent keys[MAX_KEYS];
    double deadline;
    atomic_long calls, sigs, verified, keygens, destroys, logins, logouts, finds, opens, tolerated;
    atomic_long last_progress_ms;
} G = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const char *doing[THREADS];

static void progress(void)
{
    atomic_fetch_add(&G.calls, 1);
    atomic_store(&G.last_progress_ms, (long)(rob_now() * 1000));
}

/* rv must be OK or one of the allowed codes; counts the tolerated ones. */
static int check_rv(int t, const char *what, CK_RV rv, const CK_RV *ok, size_t n_ok)
{
    progress();
    if (rv == CKR_OK)
        return 1;
    for (size_t i = 0; i < n_ok; i++) {
        if (rv == ok[i]) {
            atomic_fetch_add(&G.tolerated, 1);
            return 0;
        }
    }
    failf("thread %d: %s: %s", t, what, p11u_rv_name(rv));
    return 0;
}
#define CHECK_RV(t, what, rv, ...) \
    check_rv(t, what, rv, (const CK_RV[]){__VA_ARGS__}, sizeof((const CK_RV[]){__VA_ARGS__}) / sizeof(CK_RV))

static int add_key(int seal, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pubh, EVP_PKEY *pk)
{
    pthread_mutex_lock(&G.mu);
    for (int i = 0; i < MAX_KEYS; i++) {
        if (!G.keys[i].used) {
            G.keys[i] = (key_ent){1, seal, priv, pubh, pk};
            pthread_mutex_unlock(&G.mu);
            return 1;
        }
    }
    pthread_mutex_unlock(&G.mu);
    return 0;
}

/* A random key of seal (a reference to its EVP_PKEY taken), or 0. */
static int pick_key(int seal, unsigned r, key_ent *out, int take_out)
{
    int found = 0;
    pthread_mutex_lock(&G.mu);
    for (int k = 0; k < MAX_KEYS && !found; k++) {
        int i = (int)((r + (unsigned)k) % MAX_KEYS);
        if (G.keys[i].used && G.keys[i].seal == seal) {
            *out = G.keys[i];
            if (take_out)
                G.keys[i].used = 0; /* the caller destroys it and frees the EVP_PKEY */
            else
                EVP_PKEY_up_ref(out->pkey);
            found = 1;
        }
    }
    pthread_mutex_unlock(&G.mu);
    return found;
}

static int count_keys(int seal)
{
    int n = 0;
    pthread_mutex_lock(&G.mu);
    for (int i = 0; i < MAX_KEYS; i++)
        n += G.keys[i].used && G.keys[i].seal == seal;
    pthread_mutex_unlock(&G.mu);
    return n;
}

static void *mixer(void *arg)
{
    int t = (int)(intptr_t)arg;
    CK_SESSION_HANDLE sess[3][SESS_PER_THREAD];
    int nsess[3] = {0, 0, 0};
    unsigned r0;
    RAND_bytes((unsigned char *)&r0, sizeof r0);
    unsigned r = r0;

    while (rob_now() < G.deadline) {
        r = r * 1103515245u + 12345u;
        int seal = (int)((r >> 8) % 3);
        int act = (int)((r >> 16) % 100);
        CK_RV rv;

        if (nsess[seal] == 0 || (act < 8 && nsess[seal] < SESS_PER_THREAD)) {
            doing[t] = "C_OpenSession";
            rv = p11->C_OpenSession(G.slot[seal], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                    &sess[seal][nsess[seal]]);
            if (CHECK_RV(t, "C_OpenSession", rv, 0))
                nsess[seal]++, atomic_fetch_add(&G.opens, 1);
            continue;
        }
        CK_SESSION_HANDLE s = sess[seal][(r >> 4) % (unsigned)nsess[seal]];
        if (act < 12) {
            doing[t] = "C_CloseSession";
            int i = (int)((r >> 4) % (unsigned)nsess[seal]);
            rv = p11->C_CloseSession(sess[seal][i]);
            CHECK_RV(t, "C_CloseSession", rv, 0);
            sess[seal][i] = sess[seal][--nsess[seal]];
        } else if (act < 18 || (seal != 1 && act < 20)) {
            doing[t] = "C_Login";
            rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
            if (CHECK_RV(t, "C_Login", rv, CKR_USER_ALREADY_LOGGED_IN))
                atomic_fetch_add(&G.logins, 1);
        } else if (act < 21 && seal == 1) {
            doing[t] = "C_Logout";
            rv = p11->C_Logout(s);
            if (CHECK_RV(t, "C_Logout", rv, CKR_USER_NOT_LOGGED_IN))
                atomic_fetch_add(&G.logouts, 1);
        } else if (act < 35) {
            doing[t] = "C_FindObjects";
            CK_OBJECT_CLASS cls = (r & 1) ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
            CK_ATTRIBUTE tmpl = {CKA_CLASS, &cls, sizeof cls};
            CK_OBJECT_HANDLE found[16];
            CK_ULONG n = 0;
            rv = p11->C_FindObjectsInit(s, &tmpl, 1);
            if (CHECK_RV(t, "C_FindObjectsInit", rv, 0)) {
                rv = p11->C_FindObjects(s, found, 16, &n);
                CHECK_RV(t, "C_FindObjects", rv, 0);
                rv = p11->C_FindObjectsFinal(s);
                CHECK_RV(t, "C_FindObjectsFinal", rv, 0);
                atomic_fetch_add(&G.finds, 1);
            }
        } else if (act < 40 && seal == 2 && count_keys(2) < 24) {
            doing[t] = "C_GenerateKeyPair";
            CK_OBJECT_HANDLE pubh, priv;
            char id[32];
            int idl = snprintf(id, sizeof id, "mix-%d-%08x", t, r);
            rv = rob_gen_ec(p11, s, id, (size_t)idl, &pubh, &priv);
            if (CHECK_RV(t, "C_GenerateKeyPair", rv, CKR_USER_NOT_LOGGED_IN)) {
                EVP_PKEY *pk = p11u_public_key(p11, s, pubh);
                if (pk == NULL)
                    failf("thread %d: the new public key does not read", t);
                else if (!add_key(2, priv, pubh, pk))
                    EVP_PKEY_free(pk);
                atomic_fetch_add(&G.keygens, 1);
            }
        } else if (act < 45 && seal == 2 && count_keys(2) > 4) {
            doing[t] = "C_DestroyObject";
            key_ent k;
            if (pick_key(2, r, &k, 1)) {
                rv = p11->C_DestroyObject(s, k.priv);
                /* Not logged in: the private key is not even visible (PKCS#11 §5.7). */
                int ok = CHECK_RV(t, "C_DestroyObject (private)", rv, CKR_USER_NOT_LOGGED_IN,
                                  CKR_OBJECT_HANDLE_INVALID);
                if (ok) {
                    rv = p11->C_DestroyObject(s, k.pub);
                    CHECK_RV(t, "C_DestroyObject (public)", rv, CKR_USER_NOT_LOGGED_IN);
                    atomic_fetch_add(&G.destroys, 1);
                    EVP_PKEY_free(k.pkey);
                } else {
                    add_key(2, k.priv, k.pub, k.pkey); /* not destroyed: back in the pool */
                }
            }
        } else {
            doing[t] = "C_Sign";
            key_ent k;
            if (!pick_key(seal, r, &k, 0))
                continue;
            unsigned char msg[40], sig[128];
            CK_ULONG n = sizeof sig;
            RAND_bytes(msg, sizeof msg);
            rv = rob_sign(p11, s, k.priv, msg, sizeof msg, sig, &n);
            /* Lost races: another thread logged the application out of the seal (seal B), or
             * destroyed the key (seal C); a private key is invisible without a login. */
            if (CHECK_RV(t, "C_SignInit/C_Sign", rv, CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID)) {
                atomic_fetch_add(&G.sigs, 1);
                if (rob_verify_ec(k.pkey, msg, sizeof msg, sig, n))
                    atomic_fetch_add(&G.verified, 1);
                else
                    failf("thread %d: a signature of seal %c does not verify", t, 'A' + seal);
            }
            EVP_PKEY_free(k.pkey);
        }
    }
    doing[t] = "closing";
    for (int seal = 0; seal < 3; seal++)
        for (int i = 0; i < nsess[seal]; i++)
            CHECK_RV(t, "C_CloseSession", p11->C_CloseSession(sess[seal][i]), 0);
    doing[t] = "done";
    return NULL;
}

static void *watchdog(void *arg)
{
    atomic_int *done = arg;
    while (!atomic_load(done)) {
        rob_sleep_ms(500);
        long idle = (long)(rob_now() * 1000) - atomic_load(&G.last_progress_ms);
        if (idle > 30000) {
            fprintf(stderr, "FAIL: DEADLOCK: no call finished for %ld ms; threads:\n", idle);
            for (int i = 0; i < THREADS; i++)
                fprintf(stderr, "  thread %2d: %s\n", i, doing[i] ? doing[i] : "?");
            fflush(stderr);
            abort();
        }
    }
    return NULL;
}

static void part_threads(double seconds)
{
    pthread_t th[THREADS], wd;
    atomic_int done = 0;
    CK_SESSION_HANDLE s[3];

    /* Seals A and C logged in, with a few keys each; B logged in and out by the threads. */
    for (int seal = 0; seal < 3; seal++) {
        CK_RV rv = p11->C_OpenSession(G.slot[seal], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s[seal]);
        if (rv == CKR_OK)
            rv = p11->C_Login(s[seal], CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
        for (int k = 0; rv == CKR_OK && k < 3; k++) {
            CK_OBJECT_HANDLE pubh, priv;
            char id[16];
            int idl = snprintf(id, sizeof id, "base-%d", k);
            rv = rob_gen_ec(p11, s[seal], id, (size_t)idl, &pubh, &priv);
            EVP_PKEY *pk = rv == CKR_OK ? p11u_public_key(p11, s[seal], pubh) : NULL;
            if (pk != NULL)
                add_key(seal, priv, pubh, pk);
        }
        if (rv != CKR_OK) {
            failf("threads set-up, seal %c: %s", 'A' + seal, p11u_rv_name(rv));
            return;
        }
    }
    G.deadline = rob_now() + seconds;
    atomic_store(&G.last_progress_ms, (long)(rob_now() * 1000));
    pthread_create(&wd, NULL, watchdog, &done);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, mixer, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&done, 1);
    pthread_join(wd, NULL);
    for (int seal = 0; seal < 3; seal++)
        (void)p11->C_CloseSession(s[seal]);
    printf("threads: %d threads for %.0f s: %ld calls; %ld signatures, %ld verified; %ld key pairs generated, "
           "%ld destroyed; %ld logins, %ld logouts, %ld searches, %ld sessions opened; %ld lost races answered "
           "as PKCS#11 allows\n",
           THREADS, seconds, atomic_load(&G.calls), atomic_load(&G.sigs), atomic_load(&G.verified),
           atomic_load(&G.keygens), atomic_load(&G.destroys), atomic_load(&G.logins), atomic_load(&G.logouts),
           atomic_load(&G.finds), atomic_load(&G.opens), atomic_load(&G.tolerated));
    if (atomic_load(&G.sigs) == 0 || atomic_load(&G.keygens) == 0 || atomic_load(&G.logouts) == 0)
        failf("the mix did not exercise signing, key generation and logout");
    for (int i = 0; i < MAX_KEYS; i++)
        if (G.keys[i].used)
            EVP_PKEY_free(G.keys[i].pkey);
}

int main(int argc, char **argv)
{
    void *lib = NULL;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};

    if (argc != 6 || (pin = getenv("SIGIL_TEST_USER_PIN")) == NULL) {
        fprintf(stderr, "usage: %s MODULE SECONDS LABEL_A LABEL_B LABEL_C (PIN in SIGIL_TEST_USER_PIN)\n", argv[0]);
        return 2;
    }
    if ((p11 = p11u_load(argv[1], &lib)) == NULL)
        return 1;
    CK_RV rv = p11->C_Initialize(&init);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_Initialize: %s\n", p11u_rv_name(rv));
        return 1;
    }
    for (int i = 0; i < 3; i++)
        if (p11u_find_slot(p11, argv[3 + i], &G.slot[i]) != 0)
            return 1;
    /* ThreadSanitizer cannot follow threads started in the child of a threaded process
     * ("dup thread with used id"): its build runs the threads part only; the fork part runs in
     * the plain and the AddressSanitizer builds. */
    if (getenv("SIGIL_ROB_NO_FORK") == NULL)
        part_fork(G.slot[0]);
    else
        printf("fork: not run in this build (SIGIL_ROB_NO_FORK)\n");
    part_threads(atof(argv[2]));
    rv = p11->C_Finalize(NULL);
    if (rv != CKR_OK)
        failf("C_Finalize: %s", p11u_rv_name(rv));
    printf("fork_threads: %s\n", fails == 0 ? "every check held" : "FAILED");
    return fails == 0 ? 0 : 1;
}
