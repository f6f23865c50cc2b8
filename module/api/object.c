/* object.c — object functions: create, copy, change, destroy, find, attributes. */
#include "api.h"

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((pTemplate == NULL && ulCount > 0) || phObject == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_create_object(m, hSession, pTemplate, ulCount, phObject);
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((pTemplate == NULL && ulCount > 0) || phNewObject == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_copy_object(m, hSession, hObject, pTemplate, ulCount, phNewObject);
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pTemplate == NULL && ulCount > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_set_attribute_value(m, hSession, hObject, pTemplate, ulCount);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_destroy_object(m, hSession, hObject);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pulSize == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_get_object_size(m, hSession, hObject, pulSize);
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pTemplate == NULL && ulCount > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_get_attribute_value(m, hSession, hObject, pTemplate, ulCount);
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pTemplate == NULL && ulCount > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_find_init(m, hSession, pTemplate, ulCount);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                    CK_ULONG_PTR pulObjectCount)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if ((phObject == NULL && ulMaxObjectCount > 0) || pulObjectCount == NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_find(m, hSession, phObject, ulMaxObjectCount, pulObjectCount);
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    return sigil_core_find_final(m, hSession);
}
