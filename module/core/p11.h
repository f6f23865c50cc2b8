/* p11.h — the PKCS#11 header the module is built against (p11-kit's, v2.40 names). */
#ifndef SIGIL_P11_H
#define SIGIL_P11_H

#include <p11-kit/pkcs11.h>

#ifndef CKR_CURVE_NOT_SUPPORTED
#define CKR_CURVE_NOT_SUPPORTED CKR_ATTRIBUTE_VALUE_INVALID
#endif

/* Values the v2.40 header of p11-kit does not name. */
#ifndef CK_CERTIFICATE_CATEGORY_UNSPECIFIED
#define CK_CERTIFICATE_CATEGORY_UNSPECIFIED 0UL
#define CK_CERTIFICATE_CATEGORY_OTHER_ENTITY 3UL
#endif
#ifndef CK_SECURITY_DOMAIN_UNSPECIFIED
#define CK_SECURITY_DOMAIN_UNSPECIFIED 0UL
#endif

#define SIGIL_P11_WUR __attribute__((warn_unused_result))

#endif
