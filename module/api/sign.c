/* sign.c — C_SignInit, C_Sign, C_SignUpdate, C_SignFinal; sign-with-recovery is not offered. */
#include "api.h"

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pMechanism == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_sign_init(m, hSession, pMechanism, hKey);
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((pData == NULL && ulDataLen > 0) || pulSignatureLen == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_sign(m, hSession, pData, ulDataLen, pSignature, pulSignatureLen);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pPart == NULL && ulPartLen > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_sign_update(m, hSession, pPart, ulPartLen);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pulSignatureLen == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_sign_final(m, hSession, pSignature, pulSignatureLen);
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pMechanism;
    (void)hKey;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pData;
    (void)ulDataLen;
    (void)pSignature;
    (void)pulSignatureLen;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}
