/* restart_under_load — an application that keeps signing from 2 threads while the appliance is
 * restarted under it (restart_under_load.sh restarts sigil-emu; issue 8 item 5).
 *
 *   rob_restart_under_load MODULE LABEL GENFILE SECONDS RESTARTS   (user PIN in $SIGIL_TEST_USER_PIN)
 *
 * GENFILE holds the appliance generation: the shell writes g+1 into it after the old emulator
 * has exited and before the new one starts. So a call that begins after the file says g runs on
 * generation g or later, and a login that succeeds after the file said g was made on it.
 *
 * What the application does (what a robust signing product does), per thread:
 *   sign (CKM_ECDSA_SHA256), verify every signature with OpenSSL;
 *   CKR_DEVICE_ERROR (appliance unreachable, or the connection lost in the call): wait, retry;
 *   CKR_USER_NOT_LOGGED_IN / CKR_SESSION_HANDLE_INVALID / CKR_KEY_HANDLE_INVALID (the appliance
 *   forgot the login, or the session; once the module has noticed the lost login — through any
 *   thread — the private key is invisible, and C_SignInit answers CKR_KEY_HANDLE_INVALID as the
 *   profile says for an invisible key): close the session, open a new one, C_Login again (CKR_USER_ALREADY_LOGGED_IN:
 *   another thread did), find the key by CKA_ID, go on. Never C_Finalize / C_Initialize.
 *
 * What it asserts (exit 1 otherwise):
 *   A1 every signature verifies;
 *   A2 every error is one the profile documents for a restart: CKR_DEVICE_ERROR,
 *      CKR_USER_NOT_LOGGED_IN (specs/pkcs11-profile.md, deviation 6), CKR_SESSION_HANDLE_INVALID,
 *      CKR_KEY_HANDLE_INVALID (C_SignInit on a private key made invisible by the lost login);
 *   A3 nothing is re-authenticated behind the application's back: no signature succeeds in a
 *      generation before one of the application's own C_Login calls succeeded in it (the module
 *      keeps no PIN);
 *   A4 every restart was noticed with CKR_USER_NOT_LOGGED_IN on a session that had been logged
 *      in (whose state then reads public), and signing resumed after it, in the same process;
 *   A5 the key's handle is the same after each restart (handles are the appliance's, stable).
 * Prints, per generation: signatures, errors by code, time from the first error to the first
 * signature after the new login.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rob_p11.h"

#define THREADS 2
#define MAX_GENS 16
#define N_RV_KINDS 5 /* device error, user not logged in, session handle invalid, key handle invalid, other */

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static const char *pin;
static const char *genfile;
static const unsigned char key_id[] = "restart-under-load";
static CK_OBJECT_HANDLE key0;
static EVP_PKEY *pub;
static double deadline;

static atomic_int last_login_gen;        /* generation of the last successful C_Login */
static atomic_long sigs[MAX_GENS];
static atomic_long errs[MAX_GENS][N_RV_KINDS];
static atomic_long bad_sigs, unexpected, relogin_violations, handle_changes, public_after_notlogged;
static atomic_long notlogged_on_logged_session[MAX_GENS];
static _Atomic double first_error[MAX_GENS], first_resume[MAX_GENS];
static atomic_int errors_shown;

static int current_gen(void)
{
    FILE *f = fopen(genfile, "r");
    int g = 0;
    if (f != NULL) {
        if (fscanf(f, "%d", &g) != 1)
            g = 0;
        fclose(f);
    }
    return g < 0 ? 0 : g >= MAX_GENS ? MAX_GENS - 1 : g;
}

static void complain(const char *what, CK_RV rv)
{
    if (atomic_fetch_add(&errors_shown, 1) < 20)
        fprintf(stderr, "%s: %s\n", what, p11u_rv_name(rv));
}

static int rv_kind(CK_RV rv)
{
    switch (rv) {
    case CKR_DEVICE_ERROR: return 0;
    case CKR_USER_NOT_LOGGED_IN: return 1;
    case CKR_SESSION_HANDLE_INVALID: return 2;
    case CKR_KEY_HANDLE_INVALID: return 3;
    default: return 4;
    }
}

static void set_min(_Atomic double *v, double t)
{
    double cur = atomic_load(v);
    while ((cur == 0 || t < cur) && !atomic_compare_exchange_weak(v, &cur, t))
        ;
}

/* A new session, logged in (by this thread or another), and the key found again. */
static CK_SESSION_HANDLE relogin(void)
{
    for (;;) {
        if (rob_now() > deadline)
            return CK_INVALID_HANDLE;
        CK_SESSION_HANDLE s;
        CK_RV rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
        if (rv != CKR_OK) {
            if (rv != CKR_DEVICE_ERROR)
                complain("C_OpenSession during recovery", rv);
            rob_sleep_ms(20);
            continue;
        }
        int g = current_gen();
        rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
        if (rv == CKR_OK) {
            int cur = atomic_load(&last_login_gen);
            while (g > cur && !atomic_compare_exchange_weak(&last_login_gen, &cur, g))
                ;
        } else if (rv != CKR_USER_ALREADY_LOGGED_IN) {
            if (rv != CKR_DEVICE_ERROR) {
                complain("C_Login during recovery", rv);
                atomic_fetch_add(&unexpected, 1);
            }
            (void)p11->C_CloseSession(s);
            rob_sleep_ms(20);
            continue;
        }
        CK_OBJECT_HANDLE k = p11u_find_key(p11, s, CKO_PRIVATE_KEY, key_id, sizeof key_id - 1);
        if (k == CK_INVALID_HANDLE) {
            /* Not visible: the module's login was stale (ALREADY_LOGGED_IN answered locally),
             * or the appliance went away again. Start over. */
            (void)p11->C_CloseSession(s);
            rob_sleep_ms(20);
            continue;
        }
        if (k != key0)
            atomic_fetch_add(&handle_changes, 1);
        return s;
    }
}

static void *worker(void *arg)
{
    (void)arg;
    CK_SESSION_HANDLE s = relogin();
    int in_outage = 0, outage_gen = 0;

    while (s != CK_INVALID_HANDLE && rob_now() < deadline) {
        unsigned char msg[64], sig[128];
        CK_ULONG sig_len = sizeof sig;
        if (RAND_bytes(msg, sizeof msg) != 1)
            abort();
        int g = current_gen();
        CK_RV rv = rob_sign(p11, s, key0, msg, sizeof msg, sig, &sig_len);
        if (rv == CKR_OK) {
            if (!rob_verify_ec(pub, msg, sizeof msg, sig, sig_len))
                atomic_fetch_add(&bad_sigs, 1);
            if (g > atomic_load(&last_login_gen)) {
                /* A3: signed on generation g with no login made on it. */
                atomic_fetch_add(&relogin_violations, 1);
            }
            atomic_fetch_add(&sigs[g], 1);
            if (in_outage) {
                set_min(&first_resume[outage_gen], rob_now());
                in_outage = 0;
            }
            continue;
        }
        int kind = rv_kind(rv);
        atomic_fetch_add(&errs[g][kind], 1);
        if (!in_outage) {
            in_outage = 1;
            outage_gen = g;
            set_min(&first_error[g], rob_now());
        }
        if (kind == 4) {
            complain("C_SignInit/C_Sign: an error not documented for a restart", rv);
            atomic_fetch_add(&unexpected, 1);
            rob_sleep_ms(20);
            continue;
        }
        if (kind == 0) { /* unreachable or lost in the call: wait and try again */
            rob_sleep_ms(10);
            continue;
        }
        if (kind == 1) {
            /* The appliance forgot the login: the module must say so in the session state too. */
            CK_SESSION_INFO info;
            if (p11->C_GetSessionInfo(s, &info) == CKR_OK && info.state == CKS_RW_PUBLIC_SESSION)
                atomic_fetch_add(&public_after_notlogged, 1);
            atomic_fetch_add(&notlogged_on_logged_session[g], 1);
        }
        (void)p11->C_CloseSession(s);
        s = relogin();
    }
    if (s != CK_INVALID_HANDLE)
        (void)p11->C_CloseSession(s);
    return NULL;
}

int main(int argc, char **argv)
{
    void *lib = NULL;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE pubh;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
    pthread_t th[THREADS];
    int fails = 0;

    if (argc != 6 || (pin = getenv("SIGIL_TEST_USER_PIN")) == NULL) {
        fprintf(stderr, "usage: %s MODULE LABEL GENFILE SECONDS RESTARTS (PIN in SIGIL_TEST_USER_PIN)\n", argv[0]);
        return 2;
    }
    genfile = argv[3];
    int restarts = atoi(argv[5]);
    if (restarts < 1 || restarts >= MAX_GENS - 1)
        return 2;
    if ((p11 = p11u_load(argv[1], &lib)) == NULL)
        return 1;
    CK_RV rv = p11->C_Initialize(&init);
    if (rv != CKR_OK || p11u_find_slot(p11, argv[2], &slot) != 0) {
        fprintf(stderr, "C_Initialize / slot: %s\n", p11u_rv_name(rv));
        return 1;
    }
    if ((rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK ||
        (rv = p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin))) != CKR_OK ||
        (rv = rob_gen_ec(p11, s, key_id, sizeof key_id - 1, &pubh, &key0)) != CKR_OK) {
        fprintf(stderr, "set-up: %s\n", p11u_rv_name(rv));
        return 1;
    }
    atomic_store(&last_login_gen, current_gen());
    if ((pub = p11u_public_key(p11, s, pubh)) == NULL)
        return 1;
    deadline = rob_now() + atof(argv[4]);
    printf("signing from %d threads for %s s (key handle %lu)\n", THREADS, argv[4], (unsigned long)key0);
    fflush(stdout);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    /* The set-up session was logged in on generation 0; it too must now read public. */
    (void)p11->C_CloseSession(s);

    printf("generation | signatures | CKR_DEVICE_ERROR | CKR_USER_NOT_LOGGED_IN | CKR_SESSION_HANDLE_INVALID | CKR_KEY_HANDLE_INVALID | other | outage (first error -> first signature after the new login)\n");
    for (int g = 0; g <= restarts; g++) {
        double fe = atomic_load(&first_error[g > 0 ? g - 1 : 0]), fr = atomic_load(&first_resume[g > 0 ? g - 1 : 0]);
        char outage[64] = "-";
        if (g > 0 && fe > 0 && fr > 0)
            snprintf(outage, sizeof outage, "%.0f ms", (fr - fe) * 1000);
        printf("%10d | %10ld | %16ld | %22ld | %26ld | %22ld | %5ld | %s\n", g, atomic_load(&sigs[g]),
               atomic_load(&errs[g][0]), atomic_load(&errs[g][1]), atomic_load(&errs[g][2]), atomic_load(&errs[g][3]),
               atomic_load(&errs[g][4]), outage);
    }
    printf("sessions reading CKS_RW_PUBLIC_SESSION right after CKR_USER_NOT_LOGGED_IN: %ld\n",
           atomic_load(&public_after_notlogged));
#define CHECK(cond, ...)                          \
    do {                                          \
        if (!(cond)) {                            \
            fprintf(stderr, "FAIL: " __VA_ARGS__); \
            fputc('\n', stderr);                  \
            fails++;                              \
        }                                         \
    } while (0)
    CHECK(atomic_load(&bad_sigs) == 0, "A1: %ld signatures do not verify", atomic_load(&bad_sigs));
    CHECK(atomic_load(&unexpected) == 0, "A2: %ld errors outside the documented set", atomic_load(&unexpected));
    CHECK(atomic_load(&relogin_violations) == 0,
          "A3: %ld signatures on a restarted appliance before the application logged in again",
          atomic_load(&relogin_violations));
    CHECK(atomic_load(&handle_changes) == 0, "A5: the key handle changed across a restart (%ld times)",
          atomic_load(&handle_changes));
    CHECK(atomic_load(&sigs[0]) > 0, "no signature before the first restart");
    for (int g = 1; g <= restarts; g++) {
        CHECK(atomic_load(&notlogged_on_logged_session[g]) > 0,
              "A4: generation %d: no CKR_USER_NOT_LOGGED_IN on a session that had been logged in", g);
        CHECK(atomic_load(&sigs[g]) > 0, "A4: generation %d: signing did not resume", g);
    }
    CHECK(atomic_load(&public_after_notlogged) > 0,
          "A4: no session read CKS_RW_PUBLIC_SESSION after CKR_USER_NOT_LOGGED_IN");
    EVP_PKEY_free(pub);
    rv = p11->C_Finalize(NULL);
    CHECK(rv == CKR_OK, "C_Finalize: %s", p11u_rv_name(rv));
    printf("%s\n", fails == 0 ? "restart_under_load: every check held" : "restart_under_load: FAILED");
    return fails == 0 ? 0 : 1;
}
