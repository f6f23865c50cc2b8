/* objbuild.h — objects from templates: the object a C_CreateObject template describes, and the
 * changes a C_SetAttributeValue or C_CopyObject template makes (PKCS#11 v2.40 §4.1). No lock,
 * no round trip: pure checks on caller memory and on an object the caller owns. */
#ifndef SIGIL_OBJBUILD_H
#define SIGIL_OBJBUILD_H

#include "object.h"

/* Builds the object of a C_CreateObject template into o (handle and owner 0) and says whether
 * it is a token object. Certificates (X.509), data objects and public keys (EC, RSA):
 *  CKR_TEMPLATE_INCOMPLETE   CKA_CLASS, CKA_CERTIFICATE_TYPE, CKA_VALUE of a certificate,
 *                            CKA_KEY_TYPE or the public values missing
 *  CKR_TEMPLATE_INCONSISTENT an attribute given twice with different values; a private or secret
 *                            key (key import is not offered); values of the other key type
 *  CKR_ATTRIBUTE_TYPE_INVALID an attribute the class does not have
 *  CKR_ATTRIBUTE_READ_ONLY   one the application may not set (CKA_LOCAL, CKA_TRUSTED true, ...)
 *  CKR_ATTRIBUTE_VALUE_INVALID wrong length or value; a CKA_VALUE that is not an X.509
 *                            certificate; a public key OpenSSL refuses
 *  CKR_CURVE_NOT_SUPPORTED   CKA_EC_PARAMS not a named curve OpenSSL knows
 * On failure o holds nothing. */
SIGIL_P11_WUR CK_RV sigil_objbuild_create(const CK_ATTRIBUTE *tmpl, CK_ULONG count, sigil_object *o,
                                          bool *token);

typedef enum {
    SIGIL_APPLY_SET,  /* C_SetAttributeValue */
    SIGIL_APPLY_COPY, /* C_CopyObject: also CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_DESTROYABLE */
} sigil_apply_mode;

/* Applies one attribute of a template to o. store_x: o can keep further attributes (not a key on
 * the appliance, whose record has none). CKA_TOKEN (copy) goes to *token.
 * CKR_ATTRIBUTE_TYPE_INVALID / CKR_ATTRIBUTE_VALUE_INVALID / CKR_ATTRIBUTE_READ_ONLY. */
SIGIL_P11_WUR CK_RV sigil_objbuild_apply(sigil_object *o, const CK_ATTRIBUTE *a, sigil_apply_mode mode,
                                         bool store_x, bool *token);

#endif
