/* auth.h — login state and PINs: C_Login, C_Logout, C_InitToken, C_InitPIN, C_SetPIN.
 * PINs go straight into a request buffer that is wiped after the round trip; none is kept. */
#ifndef SIGIL_AUTH_H
#define SIGIL_AUTH_H

#include "module.h"

/* A seal-user command was answered NOT_LOGGED_IN (the appliance restarted, say): forget the slot's
 * user login and its private session objects. An SO login stays (the SO gets the same answer for
 * commands only the user may run). No lock held. */
void sigil_login_forget(sigil_module *m, uint32_t slot);

SIGIL_P11_WUR CK_RV sigil_core_login(sigil_module *m, CK_SESSION_HANDLE hs, CK_USER_TYPE type,
                                     const uint8_t *pin, size_t pin_len);
SIGIL_P11_WUR CK_RV sigil_core_logout(sigil_module *m, CK_SESSION_HANDLE hs);
SIGIL_P11_WUR CK_RV sigil_core_init_token(sigil_module *m, CK_SLOT_ID slot, const uint8_t *pin,
                                          size_t pin_len, const uint8_t label[32]);
SIGIL_P11_WUR CK_RV sigil_core_init_pin(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *pin,
                                        size_t pin_len);
SIGIL_P11_WUR CK_RV sigil_core_set_pin(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *old_pin,
                                       size_t old_len, const uint8_t *new_pin, size_t new_len);

#endif
