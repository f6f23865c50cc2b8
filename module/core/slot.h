/* slot.h — slots and tokens: one PKCS#11 slot per appliance seal slot (same id), token always present. */
#ifndef SIGIL_SLOT_H
#define SIGIL_SLOT_H

#include "module.h"

/* Lock held. The next C_GetTokenInfo of the slot asks the appliance (login, PIN changes, ...). */
static inline void sigil_tokinfo_stale(sigil_slot *sl)
{
    sl->tokinfo.valid = false;
    sl->tokinfo.gen++;
}

/* Copies s into a blank-padded, unterminated PKCS#11 text field of n bytes. */
void sigil_pad(CK_UTF8CHAR *dst, size_t n, const char *s);
/* "1.2..." -> {1, 2}; {0, 0} when it does not parse. */
CK_VERSION sigil_version_parse(const char *s);

SIGIL_P11_WUR CK_RV sigil_core_slot_list(sigil_module *m, CK_SLOT_ID *list, CK_ULONG *count);
SIGIL_P11_WUR CK_RV sigil_core_slot_info(sigil_module *m, CK_SLOT_ID slot, CK_SLOT_INFO *info);
SIGIL_P11_WUR CK_RV sigil_core_token_info(sigil_module *m, CK_SLOT_ID slot, CK_TOKEN_INFO *info);

#endif
