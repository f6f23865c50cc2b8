/* sigil_attrs.h — the attrs field of an object record (specs/protocol.md "Object record"), shared by
 * the PKCS#11 module (module/core/attrs_codec.c, which maps it to and from its objects) and the tools
 * (sigil-admin writes certificates with it, so that the module, and through it Java, NSS and
 * OpenSSL, see them exactly as if the module had created them).
 *
 * Wire form: a sequence of  u32 type | bytes value  (sigil_wr / sigil_rd), the types being PKCS#11
 * CKA_* numbers, independent of the ABI: a CK_ULONG value is 8 bytes big-endian, a CK_BBOOL one
 * byte 0/1, a CK_DATE 8 bytes (or empty), anything else the bytes as they are. Which kind a type
 * has is the writer's business (the module's attribute table, module/core/attrdef.c); a type is
 * never given twice. Pure encode/decode: no allocation, no I/O.
 */
#ifndef SIGIL_ATTRS_H
#define SIGIL_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_proto.h"

/* The PKCS#11 numbers of the attributes the tools write or read in attrs (pkcs11.h names them
 * CKA_*; module/core/attrs_codec.c checks at compile time that the two agree). */
#define SIGIL_ATTR_VALUE 0x0011u
#define SIGIL_ATTR_TRUSTED 0x0086u
#define SIGIL_ATTR_CERTIFICATE_CATEGORY 0x0087u
#define SIGIL_ATTR_ISSUER 0x0081u
#define SIGIL_ATTR_SERIAL_NUMBER 0x0082u
#define SIGIL_ATTR_SUBJECT 0x0101u
#define SIGIL_ATTR_START_DATE 0x0110u
#define SIGIL_ATTR_END_DATE 0x0111u

/* CKA_CERTIFICATE_CATEGORY values (CK_CERTIFICATE_CATEGORY_*). */
#define SIGIL_CERT_CATEGORY_UNSPECIFIED 0u
#define SIGIL_CERT_CATEGORY_TOKEN_USER 1u
#define SIGIL_CERT_CATEGORY_AUTHORITY 2u
#define SIGIL_CERT_CATEGORY_OTHER_ENTITY 3u

#define SIGIL_ATTR_ULONG_LEN 8u /* a CK_ULONG on the wire */
#define SIGIL_ATTR_DATE_LEN 8u  /* a CK_DATE: YYYYMMDD */

/* ---- writing: append one attribute to w (an overflow marks w failed, as sigil_wr does) ---- */

/* A byte string (or a CK_DATE) value. */
void sigil_attrs_put(sigil_wr *w, uint32_t type, const uint8_t *v, size_t n);
/* A CK_ULONG value: 8 bytes big-endian. */
void sigil_attrs_put_ulong(sigil_wr *w, uint32_t type, uint64_t v);
/* A CK_BBOOL value: one byte 0 or 1. */
void sigil_attrs_put_bool(sigil_wr *w, uint32_t type, bool v);

/* ---- reading --------------------------------------------------------------------------- */

typedef struct {
    uint32_t type;
    const uint8_t *val; /* points into the field read; NULL when len is 0 */
    size_t len;
} sigil_attr_tlv;

/* Reads the next attribute of the field r reads. false at the end of the field (r ok) or when
 * it is malformed (r failed: a type without a value, a length that lies). */
bool sigil_attrs_next(sigil_rd *r, sigil_attr_tlv *a);
/* The value of a as a CK_ULONG (exactly 8 bytes) or a CK_BBOOL (exactly one byte, 0 or 1);
 * false when it does not have that shape. */
bool sigil_attrs_get_ulong(const sigil_attr_tlv *a, uint64_t *v);
bool sigil_attrs_get_bool(const sigil_attr_tlv *a, bool *v);
/* A CK_DATE value: empty or 8 bytes. */
bool sigil_attrs_date_ok(const sigil_attr_tlv *a);
/* True when in[0..len) is a well-formed field with no type given twice. */
bool sigil_attrs_valid(const uint8_t *in, size_t len);
/* Finds type in a valid field (sigil_attrs_valid); false when absent or the field is not valid. */
bool sigil_attrs_find(const uint8_t *in, size_t len, uint32_t type, sigil_attr_tlv *out);

#endif
