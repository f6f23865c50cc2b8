/* p11_sensitive — a private key's secret values must not be readable.
 *
 *   p11_sensitive MODULE TOKEN_LABEL ID_HEX      (user PIN in $SIGIL_TEST_USER_PIN)
 *
 * Logs in, finds the private key with CKA_ID = ID_HEX, and asks C_GetAttributeValue for
 * every secret attribute of its type (EC: CKA_VALUE; RSA: CKA_PRIVATE_EXPONENT, the primes,
 * exponents and coefficient). Each must answer CKR_ATTRIBUTE_SENSITIVE with the length
 * CK_UNAVAILABLE_INFORMATION, and CKA_SENSITIVE must be true, CKA_EXTRACTABLE false.
 * pkcs11-tool --read-object cannot show this: it does not read private keys at all.
 * Exit 0 when all hold, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11_util.h"

static int hex_to_bytes(const char *hex, unsigned char *out, size_t cap, size_t *n)
{
    size_t len = strlen(hex);
    if (len % 2 != 0 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned int b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1)
            return -1;
        out[i] = (unsigned char)b;
    }
    *n = len / 2;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        CK_ATTRIBUTE_TYPE type;
        const char *name;
        CK_KEY_TYPE key_type;
    } secrets[] = {
        {CKA_VALUE, "CKA_VALUE", CKK_EC},
        {CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT", CKK_RSA},
        {CKA_PRIME_1, "CKA_PRIME_1", CKK_RSA},
        {CKA_PRIME_2, "CKA_PRIME_2", CKK_RSA},
        {CKA_EXPONENT_1, "CKA_EXPONENT_1", CKK_RSA},
        {CKA_EXPONENT_2, "CKA_EXPONENT_2", CKK_RSA},
        {CKA_COEFFICIENT, "CKA_COEFFICIENT", CKK_RSA},
    };
    const char *pin = getenv("SIGIL_TEST_USER_PIN");
    void *handle = NULL;
    CK_FUNCTION_LIST_PTR p11;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE sess;
    CK_OBJECT_HANDLE key;
    CK_KEY_TYPE kt = 0;
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
    unsigned char id[64];
    size_t id_len = 0;
    int bad = 0, checked = 0;
    CK_RV rv;

    if (argc != 4 || pin == NULL || hex_to_bytes(argv[3], id, sizeof id, &id_len) != 0) {
        fprintf(stderr, "usage: SIGIL_TEST_USER_PIN=PIN p11_sensitive MODULE TOKEN_LABEL ID_HEX\n");
        return 2;
    }
    p11 = p11u_load(argv[1], &handle);
    if (p11 == NULL)
        return 1;
    rv = p11->C_Initialize(NULL);
    if (rv != CKR_OK) {
        fprintf(stderr, "C_Initialize: %s\n", p11u_rv_name(rv));
        return 1;
    }
    if (p11u_find_slot(p11, argv[2], &slot) != 0)
        return 1;
    rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &sess);
    if (rv == CKR_OK)
        rv = p11->C_Login(sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    if (rv != CKR_OK) {
        fprintf(stderr, "C_OpenSession/C_Login: %s\n", p11u_rv_name(rv));
        return 1;
    }
    key = p11u_find_key(p11, sess, CKO_PRIVATE_KEY, id, id_len);
    if (key == CK_INVALID_HANDLE)
        return 1;
    {
        CK_ATTRIBUTE a[] = {{CKA_KEY_TYPE, &kt, sizeof kt},
                            {CKA_SENSITIVE, &sensitive, sizeof sensitive},
                            {CKA_EXTRACTABLE, &extractable, sizeof extractable}};
        rv = p11->C_GetAttributeValue(sess, key, a, 3);
        if (rv != CKR_OK) {
            fprintf(stderr, "C_GetAttributeValue(CKA_KEY_TYPE, CKA_SENSITIVE, CKA_EXTRACTABLE): %s\n",
                    p11u_rv_name(rv));
            return 1;
        }
    }
    printf("CKA_SENSITIVE %s, CKA_EXTRACTABLE %s\n", sensitive ? "true" : "false", extractable ? "true" : "false");
    if (sensitive != CK_TRUE || extractable != CK_FALSE)
        bad++;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        unsigned char buf[1024];
        CK_ATTRIBUTE a = {secrets[i].type, buf, sizeof buf};
        if (secrets[i].key_type != kt)
            continue;
        memset(buf, 0, sizeof buf);
        rv = p11->C_GetAttributeValue(sess, key, &a, 1);
        checked++;
        printf("%s: %s\n", secrets[i].name, p11u_rv_name(rv));
        if (rv != CKR_ATTRIBUTE_SENSITIVE || a.ulValueLen != CK_UNAVAILABLE_INFORMATION) {
            fprintf(stderr, "%s answered %s with length %ld: expected CKR_ATTRIBUTE_SENSITIVE\n", secrets[i].name,
                    p11u_rv_name(rv), (long)a.ulValueLen);
            bad++;
        }
    }
    if (checked == 0) {
        fprintf(stderr, "unexpected key type %lu\n", (unsigned long)kt);
        bad++;
    }
    (void)p11->C_Logout(sess);
    (void)p11->C_CloseSession(sess);
    (void)p11->C_Finalize(NULL);
    return bad == 0 ? 0 : 1;
}
