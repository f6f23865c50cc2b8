/* rob_p11.h — helpers shared by the robustness test programs that load the module
 * (fork_threads, restart_under_load, soak_client): EC P-256 key pairs, ECDSA-SHA256
 * signatures verified with OpenSSL, a monotonic clock. Header-only; test code only. */
#ifndef ROB_P11_H
#define ROB_P11_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "p11_util.h"

/* DER OID of P-256 (CKA_EC_PARAMS). */
static const unsigned char rob_p256_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static inline double rob_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void rob_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* An EC P-256 token key pair with CKA_ID id on the session's token. */
static inline CK_RV rob_gen_ec(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, const void *id, size_t id_len,
                               CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE pt[] = {
        {CKA_EC_PARAMS, (void *)rob_p256_params, sizeof rob_p256_params},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_ID, (void *)id, id_len},
    };
    CK_ATTRIBUTE vt[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_ID, (void *)id, id_len},
    };
    return p11->C_GenerateKeyPair(s, &mech, pt, sizeof pt / sizeof pt[0], vt, sizeof vt / sizeof vt[0], pub, priv);
}

/* C_SignInit + C_Sign with CKM_ECDSA_SHA256 over msg. */
static inline CK_RV rob_sign(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
                             const unsigned char *msg, size_t len, unsigned char *sig, CK_ULONG *sig_len)
{
    CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
    CK_RV rv = p11->C_SignInit(s, &mech, key);
    if (rv != CKR_OK)
        return rv;
    return p11->C_Sign(s, (CK_BYTE_PTR)msg, (CK_ULONG)len, sig, sig_len);
}

/* 1 if sig (r||s, 64 bytes) is an ECDSA-SHA256 signature of msg by pub. */
static inline int rob_verify_ec(EVP_PKEY *pub, const unsigned char *msg, size_t len, const unsigned char *sig,
                                size_t sig_len)
{
    unsigned char der[128];
    size_t der_len;
    EVP_MD_CTX *md;
    int ok;

    if (pub == NULL || sig_len != 64)
        return 0;
    der_len = p11u_ecdsa_raw_to_der(sig, sig_len, der, sizeof der);
    md = EVP_MD_CTX_new();
    if (md == NULL || der_len == 0) {
        EVP_MD_CTX_free(md);
        return 0;
    }
    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
         EVP_DigestVerify(md, der, der_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

#endif
