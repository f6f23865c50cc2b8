/* api.h — what the C_* entry points share: the core's headers and the export marker.
 *
 * Entry points are thin: the module-initialised check first (so a forked child answers
 * CKR_CRYPTOKI_NOT_INITIALIZED everywhere), then pointer checks (CKR_ARGUMENTS_BAD), then one
 * call into core/. Only SIGIL_EXPORT functions leave the shared library (see sigil-pkcs11.map).
 */
#ifndef SIGIL_API_H
#define SIGIL_API_H

#include "auth.h"
#include "digest.h"
#include "keygen.h"
#include "mech.h"
#include "module.h"
#include "object.h"
#include "session.h"
#include "sign.h"
#include "slot.h"
#include "verify.h"

/* PKCS#11 3.0 interface discovery and function list (p11v3.h), offered on top of the 2.40 header. */
#include "p11v3.h"

/* The module's 2.40 and 3.0 function lists (function_list.c, interface.c). */
extern CK_FUNCTION_LIST sigil_function_list;
extern sigil_function_list_3_0 sigil_function_list_3;

/* C_GetInfo's answer, reporting cryptokiVersion major.minor (the list it was called through). */
CK_RV sigil_api_get_info(CK_INFO_PTR pInfo, CK_BYTE major, CK_BYTE minor);

/* The functions PKCS#11 3.0 added (v3.c), behind the 3.0 list only. */
CK_RV sigil_v3_get_info(CK_INFO_PTR pInfo);
CK_RV sigil_v3_login_user(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR *pPin, CK_ULONG ulPinLen,
                          CK_UTF8CHAR *pUsername, CK_ULONG ulUsernameLen);
CK_RV sigil_v3_session_cancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags);
CK_RV sigil_v3_message_init(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey);
CK_RV sigil_v3_message_crypt(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pAd,
                             CK_ULONG ulAdLen, CK_BYTE *pIn, CK_ULONG ulInLen, CK_BYTE *pOut, CK_ULONG *pulOutLen);
CK_RV sigil_v3_message_begin(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pAd,
                             CK_ULONG ulAdLen);
CK_RV sigil_v3_message_crypt_next(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen,
                                  CK_BYTE *pIn, CK_ULONG ulInLen, CK_BYTE *pOut, CK_ULONG *pulOutLen, CK_FLAGS flags);
CK_RV sigil_v3_message_final(CK_SESSION_HANDLE hSession);
CK_RV sigil_v3_sign_message(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pData,
                            CK_ULONG ulDataLen, CK_BYTE *pSignature, CK_ULONG *pulSignatureLen);
CK_RV sigil_v3_sign_message_begin(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen);
CK_RV sigil_v3_verify_message(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen,
                              CK_BYTE *pData, CK_ULONG ulDataLen, CK_BYTE *pSignature, CK_ULONG ulSignatureLen);

/* The 2.40 functions, in the list order: shared by the 2.40 list and the 3.0 list's first
 * part (whose C_GetInfo reports version 3.0). */
#define SIGIL_P11_V2_FUNCTIONS(get_info) \
    .C_Initialize = C_Initialize,                     \
    .C_Finalize = C_Finalize,                         \
    .C_GetInfo = (get_info),                          \
    .C_GetFunctionList = C_GetFunctionList,           \
    .C_GetSlotList = C_GetSlotList,                   \
    .C_GetSlotInfo = C_GetSlotInfo,                   \
    .C_GetTokenInfo = C_GetTokenInfo,                 \
    .C_GetMechanismList = C_GetMechanismList,         \
    .C_GetMechanismInfo = C_GetMechanismInfo,         \
    .C_InitToken = C_InitToken,                       \
    .C_InitPIN = C_InitPIN,                           \
    .C_SetPIN = C_SetPIN,                             \
    .C_OpenSession = C_OpenSession,                   \
    .C_CloseSession = C_CloseSession,                 \
    .C_CloseAllSessions = C_CloseAllSessions,         \
    .C_GetSessionInfo = C_GetSessionInfo,             \
    .C_GetOperationState = C_GetOperationState,       \
    .C_SetOperationState = C_SetOperationState,       \
    .C_Login = C_Login,                               \
    .C_Logout = C_Logout,                             \
    .C_CreateObject = C_CreateObject,                 \
    .C_CopyObject = C_CopyObject,                     \
    .C_DestroyObject = C_DestroyObject,               \
    .C_GetObjectSize = C_GetObjectSize,               \
    .C_GetAttributeValue = C_GetAttributeValue,       \
    .C_SetAttributeValue = C_SetAttributeValue,       \
    .C_FindObjectsInit = C_FindObjectsInit,           \
    .C_FindObjects = C_FindObjects,                   \
    .C_FindObjectsFinal = C_FindObjectsFinal,         \
    .C_EncryptInit = C_EncryptInit,                   \
    .C_Encrypt = C_Encrypt,                           \
    .C_EncryptUpdate = C_EncryptUpdate,               \
    .C_EncryptFinal = C_EncryptFinal,                 \
    .C_DecryptInit = C_DecryptInit,                   \
    .C_Decrypt = C_Decrypt,                           \
    .C_DecryptUpdate = C_DecryptUpdate,               \
    .C_DecryptFinal = C_DecryptFinal,                 \
    .C_DigestInit = C_DigestInit,                     \
    .C_Digest = C_Digest,                             \
    .C_DigestUpdate = C_DigestUpdate,                 \
    .C_DigestKey = C_DigestKey,                       \
    .C_DigestFinal = C_DigestFinal,                   \
    .C_SignInit = C_SignInit,                         \
    .C_Sign = C_Sign,                                 \
    .C_SignUpdate = C_SignUpdate,                     \
    .C_SignFinal = C_SignFinal,                       \
    .C_SignRecoverInit = C_SignRecoverInit,           \
    .C_SignRecover = C_SignRecover,                   \
    .C_VerifyInit = C_VerifyInit,                     \
    .C_Verify = C_Verify,                             \
    .C_VerifyUpdate = C_VerifyUpdate,                 \
    .C_VerifyFinal = C_VerifyFinal,                   \
    .C_VerifyRecoverInit = C_VerifyRecoverInit,       \
    .C_VerifyRecover = C_VerifyRecover,               \
    .C_DigestEncryptUpdate = C_DigestEncryptUpdate,   \
    .C_DecryptDigestUpdate = C_DecryptDigestUpdate,   \
    .C_SignEncryptUpdate = C_SignEncryptUpdate,       \
    .C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,   \
    .C_GenerateKey = C_GenerateKey,                   \
    .C_GenerateKeyPair = C_GenerateKeyPair,           \
    .C_WrapKey = C_WrapKey,                           \
    .C_UnwrapKey = C_UnwrapKey,                       \
    .C_DeriveKey = C_DeriveKey,                       \
    .C_SeedRandom = C_SeedRandom,                     \
    .C_GenerateRandom = C_GenerateRandom,             \
    .C_GetFunctionStatus = C_GetFunctionStatus,       \
    .C_CancelFunction = C_CancelFunction,             \
    .C_WaitForSlotEvent = C_WaitForSlotEvent,

#endif
