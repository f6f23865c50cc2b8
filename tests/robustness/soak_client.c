/* soak_client — signing load for the soak test (soak.sh): a signing application that connects
 * and disconnects, or one that stays, for a bounded time.
 *
 *   rob_soak_client MODULE LABEL SECONDS cycle|steady    (user PIN in $SIGIL_TEST_USER_PIN)
 *
 * cycle:  again and again C_Initialize, open a session, C_Login, find the key, 20 signatures,
 *         C_Logout, close, C_Finalize — every round new connections and a new application
 *         context on the appliance.
 * steady: one C_Initialize and login; opens and closes sessions, 20 signatures on each.
 * Every signature (CKM_ECDSA_SHA256) is verified with OpenSSL. The key (CKA_ID "soak") is made
 * on first use. Prints the counts; exit 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rob_p11.h"

static CK_FUNCTION_LIST_PTR p11;
static const char *pin;
static long sigs, rounds;

static int fail(const char *what, CK_RV rv)
{
    fprintf(stderr, "soak_client: %s: %s\n", what, p11u_rv_name(rv));
    return 1;
}

/* Key pair "soak" (made when missing) and its OpenSSL public key. */
static int find_key(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *priv, EVP_PKEY **pub)
{
    static const unsigned char id[] = "soak";
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, (void *)id, 4}};
    CK_OBJECT_HANDLE h[2], pubh;
    CK_ULONG n = 0;
    CK_RV rv = p11->C_FindObjectsInit(s, t, 2);
    if (rv == CKR_OK)
        rv = p11->C_FindObjects(s, h, 2, &n);
    (void)p11->C_FindObjectsFinal(s);
    if (rv != CKR_OK)
        return fail("C_FindObjects", rv);
    if (n == 0) {
        rv = rob_gen_ec(p11, s, id, 4, &pubh, priv);
        if (rv != CKR_OK)
            return fail("C_GenerateKeyPair", rv);
    } else {
        *priv = h[0];
        pubh = p11u_find_key(p11, s, CKO_PUBLIC_KEY, id, 4);
    }
    *pub = p11u_public_key(p11, s, pubh);
    return *pub == NULL;
}

static int sign_some(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, EVP_PKEY *pub)
{
    for (int i = 0; i < 20; i++) {
        unsigned char msg[64], sig[128];
        CK_ULONG n = sizeof sig;
        RAND_bytes(msg, sizeof msg);
        CK_RV rv = rob_sign(p11, s, key, msg, sizeof msg, sig, &n);
        if (rv != CKR_OK)
            return fail("C_Sign", rv);
        if (!rob_verify_ec(pub, msg, sizeof msg, sig, n))
            return fail("signature does not verify", CKR_OK);
        sigs++;
    }
    return 0;
}

static int open_login(CK_SLOT_ID slot, CK_SESSION_HANDLE *s)
{
    CK_RV rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
    if (rv != CKR_OK)
        return fail("C_OpenSession", rv);
    rv = p11->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
        return fail("C_Login", rv);
    return 0;
}

int main(int argc, char **argv)
{
    void *lib = NULL;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    EVP_PKEY *pub = NULL;
    CK_RV rv;

    if (argc != 5 || (pin = getenv("SIGIL_TEST_USER_PIN")) == NULL) {
        fprintf(stderr, "usage: %s MODULE LABEL SECONDS cycle|steady (PIN in SIGIL_TEST_USER_PIN)\n", argv[0]);
        return 2;
    }
    int cycle = strcmp(argv[4], "cycle") == 0;
    double end = rob_now() + atof(argv[3]);
    if ((p11 = p11u_load(argv[1], &lib)) == NULL)
        return 1;
    if (!cycle) {
        if ((rv = p11->C_Initialize(&init)) != CKR_OK)
            return fail("C_Initialize", rv);
        if (p11u_find_slot(p11, argv[2], &slot) != 0 || open_login(slot, &s) != 0 || find_key(s, &key, &pub) != 0)
            return 1;
    }
    while (rob_now() < end) {
        CK_SESSION_HANDLE s2;
        if (cycle) {
            if ((rv = p11->C_Initialize(&init)) != CKR_OK)
                return fail("C_Initialize", rv);
            if (p11u_find_slot(p11, argv[2], &slot) != 0 || open_login(slot, &s2) != 0 ||
                find_key(s2, &key, &pub) != 0 || sign_some(s2, key, pub) != 0)
                return 1;
            if ((rv = p11->C_Logout(s2)) != CKR_OK)
                return fail("C_Logout", rv);
            if ((rv = p11->C_CloseSession(s2)) != CKR_OK)
                return fail("C_CloseSession", rv);
            EVP_PKEY_free(pub);
            pub = NULL;
            if ((rv = p11->C_Finalize(NULL)) != CKR_OK)
                return fail("C_Finalize", rv);
        } else {
            if ((rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2)) != CKR_OK)
                return fail("C_OpenSession", rv);
            if (sign_some(s2, key, pub) != 0)
                return 1;
            if ((rv = p11->C_CloseSession(s2)) != CKR_OK)
                return fail("C_CloseSession", rv);
        }
        rounds++;
    }
    if (!cycle) {
        EVP_PKEY_free(pub);
        if ((rv = p11->C_Finalize(NULL)) != CKR_OK)
            return fail("C_Finalize", rv);
    }
    printf("soak_client %s: %ld rounds, %ld signatures verified\n", argv[4], rounds, sigs);
    return 0;
}
