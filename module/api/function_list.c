/* function_list.c — the 2.40 function list and the exported C_GetFunctionList. The 3.0 list and
 * C_GetInterfaceList / C_GetInterface are in interface.c. */
#include "api.h"

CK_FUNCTION_LIST sigil_function_list = {
    .version = {2, 40},
    SIGIL_P11_V2_FUNCTIONS(C_GetInfo)
};

SIGIL_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    if (ppFunctionList == NULL)
        return CKR_ARGUMENTS_BAD;
    *ppFunctionList = &sigil_function_list;
    return CKR_OK;
}
