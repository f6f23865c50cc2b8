/* cert.h — what the module reads out of an X.509 certificate (OpenSSL), as SoftHSM and OpenSC do:
 * the DER subject, issuer and serial number a certificate object carries, and CKA_CHECK_VALUE. */
#ifndef SIGIL_CERT_H
#define SIGIL_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "p11.h"

#define SIGIL_CHECK_VALUE_LEN 3u

typedef struct sigil_cert_names {
    uint8_t *subject; /* DER Name */
    size_t subject_len;
    uint8_t *issuer; /* DER Name */
    size_t issuer_len;
    uint8_t *serial; /* DER INTEGER */
    size_t serial_len;
} sigil_cert_names;

/* Parses der[0..len) as one X.509 certificate (nothing after it) and fills n.
 * CKR_ATTRIBUTE_VALUE_INVALID when it is not one; CKR_HOST_MEMORY. */
SIGIL_P11_WUR CK_RV sigil_cert_parse(const uint8_t *der, size_t len, sigil_cert_names *n);
void sigil_cert_names_free(sigil_cert_names *n);
/* CKA_CHECK_VALUE of a certificate: the first three bytes of SHA-1 of its CKA_VALUE. */
SIGIL_P11_WUR CK_RV sigil_cert_check_value(const uint8_t *der, size_t len, uint8_t out[SIGIL_CHECK_VALUE_LEN]);

#endif
