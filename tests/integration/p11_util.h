/* p11_util.h — small helpers for the integration test programs that drive a PKCS#11
 * module directly (concurrent_sign, p11_attr). Not part of the product. */
#ifndef P11U_H
#define P11U_H

#include <stddef.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

/* dlopens path and returns its function list, or NULL (message on stderr). */
CK_FUNCTION_LIST_PTR p11u_load(const char *path, void **handle);

/* "CKR_PIN_INCORRECT" etc., or "CKR_0x..." for others (static buffer). */
const char *p11u_rv_name(CK_RV rv);

/* The slot whose token label is label. 0 ok, -1 not found (message on stderr). */
int p11u_find_slot(CK_FUNCTION_LIST_PTR p11, const char *label, CK_SLOT_ID *slot);

/* The one object of class with CKA_ID id in the session's token, or CK_INVALID_HANDLE. */
CK_OBJECT_HANDLE p11u_find_key(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                               const unsigned char *id, size_t id_len);

/* An OpenSSL public key from a public key object's attributes (EC: CKA_EC_PARAMS and
 * CKA_EC_POINT; RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT), or NULL (message on stderr). */
EVP_PKEY *p11u_public_key(CK_FUNCTION_LIST_PTR p11, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub);

/* Converts a raw r||s ECDSA signature to DER. Returns the DER length, or 0. */
size_t p11u_ecdsa_raw_to_der(const unsigned char *sig, size_t len, unsigned char *der, size_t cap);

#endif
