/* v3.c — the functions PKCS#11 3.0 added, reachable through the 3.0 function list.
 *
 * C_GetInfo through the 3.0 list reports cryptokiVersion 3.0. C_LoginUser without a user name is
 * C_Login (the appliance has no named users); with one it is CKR_FUNCTION_NOT_SUPPORTED.
 * C_SessionCancel and the message-based functions are CKR_FUNCTION_NOT_SUPPORTED. Every one
 * answers CKR_CRYPTOKI_NOT_INITIALIZED first.
 */
#include "api.h"

static CK_RV not_supported(void)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV sigil_v3_get_info(CK_INFO_PTR pInfo)
{
    return sigil_api_get_info(pInfo, 3, 0);
}

CK_RV sigil_v3_login_user(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR *pPin, CK_ULONG ulPinLen,
                          CK_UTF8CHAR *pUsername, CK_ULONG ulUsernameLen)
{
    if (pUsername == NULL || ulUsernameLen == 0)
        return C_Login(hSession, userType, pPin, ulPinLen);
    return not_supported();
}

CK_RV sigil_v3_session_cancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
    (void)hSession;
    (void)flags;
    return not_supported();
}

CK_RV sigil_v3_message_init(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey)
{
    (void)hSession;
    (void)pMechanism;
    (void)hKey;
    return not_supported();
}

CK_RV sigil_v3_message_crypt(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pAd,
                             CK_ULONG ulAdLen, CK_BYTE *pIn, CK_ULONG ulInLen, CK_BYTE *pOut, CK_ULONG *pulOutLen)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    (void)pAd;
    (void)ulAdLen;
    (void)pIn;
    (void)ulInLen;
    (void)pOut;
    (void)pulOutLen;
    return not_supported();
}

CK_RV sigil_v3_message_begin(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pAd,
                             CK_ULONG ulAdLen)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    (void)pAd;
    (void)ulAdLen;
    return not_supported();
}

CK_RV sigil_v3_message_crypt_next(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen,
                                  CK_BYTE *pIn, CK_ULONG ulInLen, CK_BYTE *pOut, CK_ULONG *pulOutLen, CK_FLAGS flags)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    (void)pIn;
    (void)ulInLen;
    (void)pOut;
    (void)pulOutLen;
    (void)flags;
    return not_supported();
}

CK_RV sigil_v3_message_final(CK_SESSION_HANDLE hSession)
{
    (void)hSession;
    return not_supported();
}

CK_RV sigil_v3_sign_message(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen, CK_BYTE *pData,
                            CK_ULONG ulDataLen, CK_BYTE *pSignature, CK_ULONG *pulSignatureLen)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    (void)pData;
    (void)ulDataLen;
    (void)pSignature;
    (void)pulSignatureLen;
    return not_supported();
}

CK_RV sigil_v3_sign_message_begin(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    return not_supported();
}

CK_RV sigil_v3_verify_message(CK_SESSION_HANDLE hSession, void *pParameter, CK_ULONG ulParameterLen,
                              CK_BYTE *pData, CK_ULONG ulDataLen, CK_BYTE *pSignature, CK_ULONG ulSignatureLen)
{
    (void)hSession;
    (void)pParameter;
    (void)ulParameterLen;
    (void)pData;
    (void)ulDataLen;
    (void)pSignature;
    (void)ulSignatureLen;
    return not_supported();
}
