/* opslot.h — a session's cryptographic operations (sign, verify, digest), one of each kind.
 *
 * An operation is ACTIVE (owned by the session) or BUSY: a call took it out to work on it with
 * the lock dropped, and gives it back or ends it afterwards. The session may be closed meanwhile;
 * giving back then frees the operation.
 */
#ifndef SIGIL_OPSLOT_H
#define SIGIL_OPSLOT_H

#include "module.h"

/* Lock held. Session hs and its operation of kind k: CKR_SESSION_HANDLE_INVALID,
 * CKR_OPERATION_NOT_INITIALIZED, or CKR_OPERATION_ACTIVE while another call works on it. */
SIGIL_P11_WUR CK_RV sigil_op_active(sigil_module *m, CK_SESSION_HANDLE hs, sigil_opkind k, sigil_session **s);
/* Lock held. The active operation of kind k, without taking it. */
void *sigil_op_peek(sigil_session *s, sigil_opkind k);
/* Lock held. Takes the operation out of the session (it becomes BUSY). */
void *sigil_op_take(sigil_session *s, sigil_opkind k);
/* Lock held. Makes op the session's active operation of kind k (none may be). */
void sigil_op_install(sigil_session *s, sigil_opkind k, void *op);
/* Lock NOT held. Gives op back (keep) or ends the operation. op is freed when it ended or the
 * session is gone. */
void sigil_op_return(sigil_module *m, CK_SESSION_HANDLE hs, sigil_opkind k, void *op, bool keep);
/* Frees an operation of kind k (NULL is fine). */
void sigil_op_free(sigil_opkind k, void *op);

#endif
