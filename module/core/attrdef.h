/* attrdef.h — the one table of the attributes the module knows: their value kind, which object
 * classes have them, which a C_CreateObject template may give and which C_SetAttributeValue /
 * C_CopyObject may change (specs/pkcs11-profile.md "Attributes"). */
#ifndef SIGIL_ATTRDEF_H
#define SIGIL_ATTRDEF_H

#include <stdbool.h>
#include <stdint.h>

#include "p11.h"

typedef enum {
    SIGIL_AK_BYTES = 0, /* byte string (also RFC 2279 strings, DER values) */
    SIGIL_AK_BOOL,      /* CK_BBOOL */
    SIGIL_AK_ULONG,     /* CK_ULONG (classes, types, categories, mechanisms) */
    SIGIL_AK_DATE,      /* CK_DATE or empty */
} sigil_attr_kind;

/* Object class bits of the table (sigil_attrdef_class_bit). */
#define SIGIL_AC_CERT 0x01u
#define SIGIL_AC_DATA 0x02u
#define SIGIL_AC_PUB 0x04u
#define SIGIL_AC_PRIV 0x08u
#define SIGIL_AC_KEYS (SIGIL_AC_PUB | SIGIL_AC_PRIV)
#define SIGIL_AC_ALL (SIGIL_AC_CERT | SIGIL_AC_DATA | SIGIL_AC_KEYS)

typedef struct sigil_attrdef {
    CK_ATTRIBUTE_TYPE type;
    sigil_attr_kind kind;
    uint8_t has;    /* classes whose objects have it */
    uint8_t create; /* classes whose C_CreateObject template may give it */
    uint8_t set;    /* classes on which C_SetAttributeValue may change it (PKCS#11 footnote 8) */
} sigil_attrdef;

/* The entry for t, or NULL. */
const sigil_attrdef *sigil_attrdef_find(CK_ATTRIBUTE_TYPE t);
/* SIGIL_AC_* of a SIGIL_CLASS_* (0 for anything else). */
uint8_t sigil_attrdef_class_bit(uint8_t obj_class);
/* The value's shape for its kind: CKR_OK or CKR_ATTRIBUTE_VALUE_INVALID (wrong length, or pValue
 * NULL with a length). Unknown types (d NULL) need only the pointer rule. */
SIGIL_P11_WUR CK_RV sigil_attrdef_check(const sigil_attrdef *d, const CK_ATTRIBUTE *a);
/* A template that gives one attribute twice with different values: CKR_TEMPLATE_INCONSISTENT.
 * The same value twice is accepted. Also the pointer rule of sigil_attrdef_check. */
SIGIL_P11_WUR CK_RV sigil_tmpl_check(const CK_ATTRIBUTE *tmpl, CK_ULONG count);
/* The value of a CK_BBOOL / CK_ULONG attribute already checked with sigil_attrdef_check. */
bool sigil_tmpl_bool(const CK_ATTRIBUTE *a);
CK_ULONG sigil_tmpl_ulong(const CK_ATTRIBUTE *a);

#endif
