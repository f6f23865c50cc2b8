/* openssl_ecdsa_kat.c — ECDSA signing with a given nonce, for the RFC 6979
 * known-answer test of the OpenSSL backend.
 *
 * OpenSSL 3.0 offers no deterministic ECDSA (it arrives in 3.2) and no way to
 * hand the EVP signing path a nonce, so a signing KAT has to reach the
 * library's ECDSA core through ECDSA_do_sign_ex with k^-1 and r precomputed
 * from the published k: the same ossl_ecdsa_simple_sign_sig that EVP_PKEY_sign
 * runs, minus the nonce generation. That entry point and the EC_KEY it needs
 * are deprecated in 3.0, so this file alone is compiled with
 * OPENSSL_SUPPRESS_DEPRECATED; nothing outside the self-test calls it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "openssl_internal.h"

int sigil_ossl_ecdsa_sign_with_k(EVP_PKEY *pkey, const uint8_t *digest, size_t digest_len,
                                 const uint8_t *k, size_t k_len, uint8_t *sig, size_t coord)
{
    int ok = 0;
    EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pkey);
    const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
    BN_CTX *bc = BN_CTX_new_ex(sigil_ossl_libctx);
    EC_POINT *kg = group != NULL ? EC_POINT_new(group) : NULL;
    BIGNUM *kb = BN_bin2bn(k, (int)k_len, NULL);
    BIGNUM *x = BN_new(), *r = BN_new(), *kinv = BN_new();
    ECDSA_SIG *es = NULL;
    const BIGNUM *sr = NULL, *ss = NULL;

    if (bc == NULL || kg == NULL || kb == NULL || x == NULL || r == NULL || kinv == NULL)
        goto cleanup;
    /* r = x(k*G) mod n, kinv = k^-1 mod n */
    const BIGNUM *order = EC_GROUP_get0_order(group);
    if (EC_POINT_mul(group, kg, kb, NULL, NULL, bc) != 1 ||
        EC_POINT_get_affine_coordinates(group, kg, x, NULL, bc) != 1 ||
        BN_nnmod(r, x, order, bc) != 1 || BN_mod_inverse(kinv, kb, order, bc) == NULL)
        goto cleanup;
    es = ECDSA_do_sign_ex(digest, (int)digest_len, kinv, r, ec);
    if (es == NULL)
        goto cleanup;
    ECDSA_SIG_get0(es, &sr, &ss);
    ok = BN_bn2binpad(sr, sig, (int)coord) == (int)coord &&
         BN_bn2binpad(ss, sig + coord, (int)coord) == (int)coord;
cleanup:
    ECDSA_SIG_free(es);
    BN_clear_free(kinv);
    BN_clear_free(kb);
    BN_free(r);
    BN_free(x);
    EC_POINT_free(kg);
    BN_CTX_free(bc);
    EC_KEY_free(ec);
    ERR_clear_error();
    return ok;
}
