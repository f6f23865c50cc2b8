/* verify.c — C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal (in the module, OpenSSL);
 * verify-with-recovery is not offered. */
#include "api.h"

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pMechanism == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_verify_init(m, hSession, pMechanism, hKey);
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
               CK_ULONG ulSignatureLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((pData == NULL && ulDataLen > 0) || (pSignature == NULL && ulSignatureLen > 0))
        return CKR_ARGUMENTS_BAD;
    return sigil_core_verify(m, hSession, pData, ulDataLen, pSignature, ulSignatureLen);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pPart == NULL && ulPartLen > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_verify_update(m, hSession, pPart, ulPartLen);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pSignature == NULL && ulSignatureLen > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_verify_final(m, hSession, pSignature, ulSignatureLen);
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pMechanism;
    (void)hKey;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
                      CK_ULONG_PTR pulDataLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pSignature;
    (void)ulSignatureLen;
    (void)pData;
    (void)pulDataLen;
    return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}
