/* session.h — the module-local session table and state machine. Called with the module lock held. */
#ifndef SIGIL_SESSION_H
#define SIGIL_SESSION_H

#include "module.h"

/* The session with handle h, or NULL. */
sigil_session *sigil_session_find(sigil_module *m, CK_SESSION_HANDLE h);
/* Looks h up: CKR_SESSION_HANDLE_INVALID when it is not open. */
SIGIL_P11_WUR CK_RV sigil_session_lookup(sigil_module *m, CK_SESSION_HANDLE h, sigil_session **out);
/* CKS_* of a session, from the application's login state on its slot. */
CK_STATE sigil_session_state(const sigil_module *m, const sigil_session *s);
/* Frees a session's operations and the session (it must be unlinked). */
void sigil_session_free(sigil_session *s);
/* Frees every session (finalize). */
void sigil_session_free_all(sigil_module *m);

SIGIL_P11_WUR CK_RV sigil_core_open_session(sigil_module *m, CK_SLOT_ID slot, CK_FLAGS flags,
                                            CK_SESSION_HANDLE *out);
SIGIL_P11_WUR CK_RV sigil_core_close_session(sigil_module *m, CK_SESSION_HANDLE h);
SIGIL_P11_WUR CK_RV sigil_core_close_all_sessions(sigil_module *m, CK_SLOT_ID slot);
SIGIL_P11_WUR CK_RV sigil_core_session_info(sigil_module *m, CK_SESSION_HANDLE h, CK_SESSION_INFO *info);

#endif
