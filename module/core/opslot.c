/* opslot.c — the operation slots of a session (opslot.h). */
#include "digest.h"
#include "opslot.h"
#include "session.h"
#include "sign.h"
#include "verify.h"

CK_RV sigil_op_active(sigil_module *m, CK_SESSION_HANDLE hs, sigil_opkind k, sigil_session **s)
{
    CK_RV rv = sigil_session_lookup(m, hs, s);
    if (rv != CKR_OK)
        return rv;
    switch ((*s)->ops[k].state) {
    case SIGIL_OPSTATE_NONE: return CKR_OPERATION_NOT_INITIALIZED;
    case SIGIL_OPSTATE_BUSY: return CKR_OPERATION_ACTIVE;
    case SIGIL_OPSTATE_ACTIVE: break;
    }
    return CKR_OK;
}

void *sigil_op_peek(sigil_session *s, sigil_opkind k)
{
    return s->ops[k].op;
}

void *sigil_op_take(sigil_session *s, sigil_opkind k)
{
    void *op = s->ops[k].op;
    s->ops[k].op = NULL;
    s->ops[k].state = SIGIL_OPSTATE_BUSY;
    return op;
}

void sigil_op_install(sigil_session *s, sigil_opkind k, void *op)
{
    s->ops[k].op = op;
    s->ops[k].state = SIGIL_OPSTATE_ACTIVE;
}

void sigil_op_return(sigil_module *m, CK_SESSION_HANDLE hs, sigil_opkind k, void *op, bool keep)
{
    sigil_module_lock(m);
    sigil_session *s = sigil_session_find(m, hs);
    if (s != NULL && s->ops[k].state == SIGIL_OPSTATE_BUSY) {
        if (keep) {
            sigil_op_install(s, k, op);
            op = NULL;
        } else {
            s->ops[k].state = SIGIL_OPSTATE_NONE;
        }
    }
    sigil_module_unlock(m);
    sigil_op_free(k, op);
}

void sigil_op_free(sigil_opkind k, void *op)
{
    if (op == NULL)
        return;
    switch (k) {
    case SIGIL_OPK_SIGN: sigil_sign_op_free(op); break;
    case SIGIL_OPK_VERIFY: sigil_verify_op_free(op); break;
    case SIGIL_OPK_DIGEST: sigil_digest_op_free(op); break;
    case SIGIL_OPK_COUNT: break;
    }
}
