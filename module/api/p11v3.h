/* p11v3.h — the PKCS#11 3.0 pieces the module offers on top of p11-kit's 2.40 header: CK_INTERFACE
 * and the 3.0 function list. With a 3.0 header (p11-kit >= 0.25 defines CKF_INTERFACE_FORK_SAFE)
 * the header's CK_INTERFACE is used; the function list is always the module's own struct, laid
 * out as CK_FUNCTION_LIST_3_0: the 2.40 list followed by the 24 functions 3.0 added.
 */
#ifndef SIGIL_P11V3_H
#define SIGIL_P11V3_H

#include <stddef.h>

#include "p11.h"

#define SIGIL_EXPORT __attribute__((visibility("default")))

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

typedef CK_RV (*sigil_fn_get_interface_list)(sigil_ck_interface *, CK_ULONG *);
typedef CK_RV (*sigil_fn_get_interface)(CK_UTF8CHAR *, CK_VERSION *, sigil_ck_interface **, CK_FLAGS);
typedef CK_RV (*sigil_fn_login_user)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR *, CK_ULONG, CK_UTF8CHAR *,
                                     CK_ULONG);
typedef CK_RV (*sigil_fn_session_cancel)(CK_SESSION_HANDLE, CK_FLAGS);
typedef CK_RV (*sigil_fn_message_init)(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
typedef CK_RV (*sigil_fn_message_crypt)(CK_SESSION_HANDLE, void *, CK_ULONG, CK_BYTE *, CK_ULONG, CK_BYTE *,
                                        CK_ULONG, CK_BYTE *, CK_ULONG *);
typedef CK_RV (*sigil_fn_message_begin)(CK_SESSION_HANDLE, void *, CK_ULONG, CK_BYTE *, CK_ULONG);
typedef CK_RV (*sigil_fn_message_crypt_next)(CK_SESSION_HANDLE, void *, CK_ULONG, CK_BYTE *, CK_ULONG, CK_BYTE *,
                                             CK_ULONG *, CK_FLAGS);
typedef CK_RV (*sigil_fn_message_final)(CK_SESSION_HANDLE);
typedef CK_RV (*sigil_fn_sign_message)(CK_SESSION_HANDLE, void *, CK_ULONG, CK_BYTE *, CK_ULONG, CK_BYTE *,
                                       CK_ULONG *);
typedef CK_RV (*sigil_fn_sign_message_begin)(CK_SESSION_HANDLE, void *, CK_ULONG);
typedef CK_RV (*sigil_fn_verify_message)(CK_SESSION_HANDLE, void *, CK_ULONG, CK_BYTE *, CK_ULONG, CK_BYTE *,
                                         CK_ULONG);

typedef struct sigil_function_list_3_0 {
    CK_FUNCTION_LIST v2; /* version {3, 0} and the 2.40 functions, in their order */
    sigil_fn_get_interface_list C_GetInterfaceList;
    sigil_fn_get_interface C_GetInterface;
    sigil_fn_login_user C_LoginUser;
    sigil_fn_session_cancel C_SessionCancel;
    sigil_fn_message_init C_MessageEncryptInit;
    sigil_fn_message_crypt C_EncryptMessage;
    sigil_fn_message_begin C_EncryptMessageBegin;
    sigil_fn_message_crypt_next C_EncryptMessageNext;
    sigil_fn_message_final C_MessageEncryptFinal;
    sigil_fn_message_init C_MessageDecryptInit;
    sigil_fn_message_crypt C_DecryptMessage;
    sigil_fn_message_begin C_DecryptMessageBegin;
    sigil_fn_message_crypt_next C_DecryptMessageNext;
    sigil_fn_message_final C_MessageDecryptFinal;
    sigil_fn_message_init C_MessageSignInit;
    sigil_fn_sign_message C_SignMessage;
    sigil_fn_sign_message_begin C_SignMessageBegin;
    sigil_fn_sign_message C_SignMessageNext;
    sigil_fn_message_final C_MessageSignFinal;
    sigil_fn_message_init C_MessageVerifyInit;
    sigil_fn_verify_message C_VerifyMessage;
    sigil_fn_sign_message_begin C_VerifyMessageBegin;
    sigil_fn_verify_message C_VerifyMessageNext;
    sigil_fn_message_final C_MessageVerifyFinal;
} sigil_function_list_3_0;

/* The flat CK_FUNCTION_LIST_3_0 has the 3.0 functions right after C_WaitForSlotEvent. */
_Static_assert(offsetof(sigil_function_list_3_0, C_GetInterfaceList) ==
                   offsetof(CK_FUNCTION_LIST, C_WaitForSlotEvent) + sizeof(CK_C_WaitForSlotEvent),
               "3.0 functions must follow the 2.40 list");
#ifdef CKF_INTERFACE_FORK_SAFE
_Static_assert(sizeof(sigil_function_list_3_0) == sizeof(CK_FUNCTION_LIST_3_0), "CK_FUNCTION_LIST_3_0 layout");
#endif

#endif
