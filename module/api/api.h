/* api.h — what the C_* entry points share: the core's headers and the export marker.
 *
 * Entry points are thin: the module-initialised check first (so a forked child answers
 * CKR_CRYPTOKI_NOT_INITIALIZED everywhere), then pointer checks (CKR_ARGUMENTS_BAD), then one
 * call into core/. Only SIGIL_EXPORT functions leave the shared library (see sigil-pkcs11.map).
 */
#ifndef SIGIL_API_H
#define SIGIL_API_H

#include "auth.h"
#include "keygen.h"
#include "mech.h"
#include "module.h"
#include "object.h"
#include "session.h"
#include "sign.h"
#include "slot.h"

#define SIGIL_EXPORT __attribute__((visibility("default")))

/* PKCS#11 3.0 interface discovery, offered on top of the 2.40 header. */
#ifdef CKF_INTERFACE_FORK_SAFE
typedef CK_INTERFACE sigil_ck_interface;
#else
typedef struct sigil_ck_interface {
    CK_UTF8CHAR *pInterfaceName;
    void *pFunctionList;
    CK_FLAGS flags;
} sigil_ck_interface;
SIGIL_EXPORT CK_RV C_GetInterfaceList(sigil_ck_interface *pInterfacesList, CK_ULONG *pulCount);
SIGIL_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR *pInterfaceName, CK_VERSION *pVersion,
                                  sigil_ck_interface **ppInterface, CK_FLAGS flags);
#endif

/* The module's 2.40 function list (function_list.c). */
extern CK_FUNCTION_LIST sigil_function_list;

#endif
