/* attrs_codec.h — an object's further attributes <-> the object record's attrs field.
 *
 * Wire form (specs/protocol.md "Object record"; specs/pkcs11-profile.md "Stored attributes"): a
 * sequence of u32 CKA_* type + bytes value, independent of the ABI: CK_ULONG values as 8 bytes
 * big-endian, CK_BBOOL as one byte 0/1, the rest as they are. The TLV itself is proto/sigil_attrs.h
 * (pure, shared with sigil-admin, which writes certificate records the same way); this file maps
 * it to the module's objects, the kind of each type coming from attrdef.c. Types the module does
 * not know are kept as bytes, so a newer module's attributes survive an update.
 */
#ifndef SIGIL_ATTRS_CODEC_H
#define SIGIL_ATTRS_CODEC_H

#include "object.h"

/* Encodes o's xattrs into out[0..cap): CKR_DEVICE_MEMORY when they do not fit (the record's
 * attrs field holds SIGIL_OBJ_ATTRS_MAX bytes). */
SIGIL_P11_WUR CK_RV sigil_attrs_encode(const sigil_object *o, uint8_t *out, size_t cap, size_t *len);
/* Adds the attributes of in[0..len) to o's xattrs: CKR_DEVICE_ERROR when malformed (truncated,
 * a wrong-sized number or flag, a type given twice). */
SIGIL_P11_WUR CK_RV sigil_attrs_decode(const uint8_t *in, size_t len, sigil_object *o);

#endif
