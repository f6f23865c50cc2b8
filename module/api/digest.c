/* digest.c — C_DigestInit, C_Digest, C_DigestUpdate, C_DigestKey, C_DigestFinal (in the module). */
#include "api.h"

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pMechanism == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_digest_init(m, hSession, pMechanism);
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
               CK_ULONG_PTR pulDigestLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((pData == NULL && ulDataLen > 0) || pulDigestLen == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_digest(m, hSession, pData, ulDataLen, pDigest, pulDigestLen);
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pPart == NULL && ulPartLen > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_digest_update(m, hSession, pPart, ulPartLen);
}

CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_digest_key(m, hSession, hKey);
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pulDigestLen == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_digest_final(m, hSession, pDigest, pulDigestLen);
}
