/* cert.c — X.509 derivation with OpenSSL (d2i_X509). */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <limits.h>
#include <string.h>

#include "cert.h"

void sigil_cert_names_free(sigil_cert_names *n)
{
    OPENSSL_free(n->subject);
    OPENSSL_free(n->issuer);
    OPENSSL_free(n->serial);
    memset(n, 0, sizeof(*n));
}

CK_RV sigil_cert_parse(const uint8_t *der, size_t len, sigil_cert_names *n)
{
    CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;
    const unsigned char *p = der;
    X509 *x = NULL;
    int k;

    memset(n, 0, sizeof(*n));
    if (der == NULL || len == 0 || len > (size_t)LONG_MAX)
        goto out;
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len)
        goto out;
    rv = CKR_HOST_MEMORY;
    k = i2d_X509_NAME(X509_get_subject_name(x), &n->subject);
    if (k <= 0)
        goto out;
    n->subject_len = (size_t)k;
    k = i2d_X509_NAME(X509_get_issuer_name(x), &n->issuer);
    if (k <= 0)
        goto out;
    n->issuer_len = (size_t)k;
    k = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &n->serial);
    if (k <= 0)
        goto out;
    n->serial_len = (size_t)k;
    rv = CKR_OK;
out:
    if (rv != CKR_OK)
        sigil_cert_names_free(n);
    X509_free(x);
    return rv;
}

CK_RV sigil_cert_check_value(const uint8_t *der, size_t len, uint8_t out[SIGIL_CHECK_VALUE_LEN])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const uint8_t empty[1];
    if (EVP_Digest(len > 0 ? der : empty, len, md, &n, EVP_sha1(), NULL) != 1 || n < SIGIL_CHECK_VALUE_LEN)
        return CKR_GENERAL_ERROR;
    memcpy(out, md, SIGIL_CHECK_VALUE_LEN);
    return CKR_OK;
}
