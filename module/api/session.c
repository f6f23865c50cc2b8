/* session.c — C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_Login,
 * C_Logout, and the unsupported operation-state pair. */
#include "api.h"

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    (void)pApplication; /* no notifications are ever made */
    (void)Notify;
    if (phSession == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_open_session(m, slotID, flags, phSession);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_close_session(m, hSession);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_close_all_sessions(m, slotID);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_session_info(m, hSession, pInfo);
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pPin == NULL) /* no protected authentication path */
        return CKR_ARGUMENTS_BAD;
    return sigil_core_login(m, hSession, userType, pPin, ulPinLen);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_logout(m, hSession);
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                          CK_ULONG_PTR pulOperationStateLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pOperationState;
    (void)pulOperationStateLen;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
                          CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pOperationState;
    (void)ulOperationStateLen;
    (void)hEncryptionKey;
    (void)hAuthenticationKey;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}
