/* cases_session.c — sessions and login rules. */
#include <string.h>

#include "conformance.h"

#define BOGUS_SLOT ((CK_SLOT_ID)0x7eadbeefUL)
#define BOGUS_SESSION ((CK_SESSION_HANDLE)0x5eadbeefUL)

static CK_RV login(struct conf *c, CK_SESSION_HANDLE s, CK_USER_TYPE who)
{
    const char *pin = who == CKU_SO ? c->so_pin : c->user_pin;
    return c->p->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

/* The session's state, or (CK_STATE)-1 with a failed check. */
static CK_STATE state_of(struct conf *c, CK_SESSION_HANDLE s, const char *what)
{
    CK_SESSION_INFO si;
    if (!conf_rv(c, c->p->C_GetSessionInfo(s, &si), CKR_OK, "%s:C_GetSessionInfo", what))
        return (CK_STATE)-1;
    return si.state;
}

/* ---- sessions --------------------------------------------------------------------------------- */

static void session_open(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE ro = CK_INVALID_HANDLE, rw = CK_INVALID_HANDLE;
    CK_SESSION_INFO si;
    (void)arg;
    if (!conf_rv(c, c->p->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK, "open-RO") ||
        !conf_rv(c, c->p->C_OpenSession(c->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK,
                 "open-RW"))
        return;
    conf_true(c, ro != CK_INVALID_HANDLE && rw != CK_INVALID_HANDLE && ro != rw, "handles-distinct-nonzero");
    if (conf_rv(c, c->p->C_GetSessionInfo(ro, &si), CKR_OK, "RO:C_GetSessionInfo")) {
        conf_val(c, si.slotID, c->slot, "RO:slotID");
        conf_val(c, si.state, CKS_RO_PUBLIC_SESSION, "RO:state");
        conf_val(c, si.flags, CKF_SERIAL_SESSION, "RO:flags");
    }
    if (conf_rv(c, c->p->C_GetSessionInfo(rw, &si), CKR_OK, "RW:C_GetSessionInfo")) {
        conf_val(c, si.slotID, c->slot, "RW:slotID");
        conf_val(c, si.state, CKS_RW_PUBLIC_SESSION, "RW:state");
        conf_val(c, si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION, "RW:flags");
    }
    conf_rv(c, c->p->C_CloseSession(ro), CKR_OK, "close-RO");
    conf_rv(c, c->p->C_CloseSession(rw), CKR_OK, "close-RW");
}

static void session_no_serial(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_RV rv;
    (void)arg;
    rv = c->p->C_OpenSession(c->slot, 0, NULL, NULL, &s);
    if (!conf_rv(c, rv, CKR_SESSION_PARALLEL_NOT_SUPPORTED, "flags-0") && rv == CKR_OK)
        (void)c->p->C_CloseSession(s);
    rv = c->p->C_OpenSession(c->slot, CKF_RW_SESSION, NULL, NULL, &s);
    if (!conf_rv(c, rv, CKR_SESSION_PARALLEL_NOT_SUPPORTED, "flags-RW-only") && rv == CKR_OK)
        (void)c->p->C_CloseSession(s);
}

static void session_invalid(struct conf *c, const void *arg)
{
    CK_SESSION_INFO si;
    CK_SESSION_HANDLE s;
    (void)arg;
    conf_rv(c, c->p->C_GetSessionInfo(CK_INVALID_HANDLE, &si), CKR_SESSION_HANDLE_INVALID, "info-handle-0");
    conf_rv(c, c->p->C_GetSessionInfo(BOGUS_SESSION, &si), CKR_SESSION_HANDLE_INVALID, "info-bogus");
    conf_rv(c, c->p->C_CloseSession(BOGUS_SESSION), CKR_SESSION_HANDLE_INVALID, "close-bogus");
    conf_rv(c, c->p->C_OpenSession(BOGUS_SLOT, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_SLOT_ID_INVALID,
            "open-bogus-slot");
    conf_rv(c, c->p->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD,
            "open-phSession-NULL");
    if (!conf_open(c, 0, &s))
        return;
    conf_rv(c, c->p->C_GetSessionInfo(s, NULL), CKR_ARGUMENTS_BAD, "info-NULL");
    conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "close");
    conf_rv(c, c->p->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID, "close-again");
    conf_rv(c, c->p->C_GetSessionInfo(s, &si), CKR_SESSION_HANDLE_INVALID, "info-closed");
}

static void session_closeall(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s[3];
    CK_SESSION_INFO si;
    (void)arg;
    for (int i = 0; i < 3; i++)
        if (!conf_open(c, i == 1, &s[i]))
            return;
    conf_rv(c, login(c, s[0], CKU_USER), CKR_OK, "C_Login");
    conf_rv(c, c->p->C_CloseAllSessions(BOGUS_SLOT), CKR_SLOT_ID_INVALID, "bogus-slot");
    conf_rv(c, c->p->C_CloseAllSessions(c->slot), CKR_OK, "C_CloseAllSessions");
    for (int i = 0; i < 3; i++)
        conf_rv(c, c->p->C_GetSessionInfo(s[i], &si), CKR_SESSION_HANDLE_INVALID, "session-%d-gone", i);
    /* the login ended with the last session */
    if (conf_open(c, 0, &s[0]))
        conf_val(c, state_of(c, s[0], "new"), CKS_RO_PUBLIC_SESSION, "new-session-public");
}

/* ---- login ---------------------------------------------------------------------------------- */

static void login_user(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE ro, rw;
    (void)arg;
    if (!conf_open(c, 0, &ro))
        return;
    if (!conf_rv(c, login(c, ro, CKU_USER), CKR_OK, "C_Login"))
        return;
    conf_val(c, state_of(c, ro, "RO"), CKS_RO_USER_FUNCTIONS, "RO-state");
    /* a session opened later shares the login */
    if (conf_open(c, 1, &rw))
        conf_val(c, state_of(c, rw, "RW"), CKS_RW_USER_FUNCTIONS, "RW-state");
    conf_rv(c, c->p->C_Logout(rw), CKR_OK, "C_Logout");
    conf_val(c, state_of(c, ro, "RO-after"), CKS_RO_PUBLIC_SESSION, "RO-state-after-logout");
    conf_val(c, state_of(c, rw, "RW-after"), CKS_RW_PUBLIC_SESSION, "RW-state-after-logout");
}

static void login_wrong_pin(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_TOKEN_INFO ti;
    const char *wrong = "wrong-pin-9876";
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    conf_rv(c, c->p->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)wrong, strlen(wrong)), CKR_PIN_INCORRECT, "wrong-pin");
    conf_val(c, state_of(c, s, "after-wrong"), CKS_RO_PUBLIC_SESSION, "state-after-wrong");
    /* the right PIN still works (and resets the retry counter) */
    conf_rv(c, login(c, s, CKU_USER), CKR_OK, "right-pin");
    if (conf_rv(c, c->p->C_GetTokenInfo(c->slot, &ti), CKR_OK, "C_GetTokenInfo"))
        conf_true(c, (ti.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY)) == 0, "not-locked");
    conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout");
}

static void login_already(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s1, s2;
    (void)arg;
    if (!conf_open(c, 0, &s1) || !conf_open(c, 0, &s2))
        return;
    if (!conf_rv(c, login(c, s1, CKU_USER), CKR_OK, "C_Login"))
        return;
    conf_rv(c, login(c, s1, CKU_USER), CKR_USER_ALREADY_LOGGED_IN, "same-session");
    conf_rv(c, login(c, s2, CKU_USER), CKR_USER_ALREADY_LOGGED_IN, "other-session");
    conf_rv(c, c->p->C_Logout(s2), CKR_OK, "C_Logout");
}

static void login_so_ro(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE ro, rw;
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 0, &ro) || !conf_open(c, 1, &rw))
        return;
    rv = login(c, rw, CKU_SO);
    conf_rv(c, rv, CKR_SESSION_READ_ONLY_EXISTS, "SO-login-with-RO-open");
    if (rv == CKR_OK)
        (void)c->p->C_Logout(rw);
    /* with the R/O session closed, the SO may log in */
    conf_rv(c, c->p->C_CloseSession(ro), CKR_OK, "close-RO");
    if (conf_rv(c, login(c, rw, CKU_SO), CKR_OK, "SO-login-after"))
        conf_rv(c, c->p->C_Logout(rw), CKR_OK, "C_Logout");
}

static void login_so(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE rw, ro = CK_INVALID_HANDLE;
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 1, &rw))
        return;
    if (!conf_rv(c, login(c, rw, CKU_SO), CKR_OK, "SO-login"))
        return;
    conf_val(c, state_of(c, rw, "SO"), CKS_RW_SO_FUNCTIONS, "state");
    rv = c->p->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL, &ro);
    conf_rv(c, rv, CKR_SESSION_READ_WRITE_SO_EXISTS, "open-RO-while-SO");
    if (rv == CKR_OK)
        (void)c->p->C_CloseSession(ro);
    conf_rv(c, login(c, rw, CKU_USER), CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "user-login-while-SO");
    conf_rv(c, login(c, rw, CKU_SO), CKR_USER_ALREADY_LOGGED_IN, "SO-login-again");
    conf_rv(c, c->p->C_Logout(rw), CKR_OK, "C_Logout");
    conf_val(c, state_of(c, rw, "after"), CKS_RW_PUBLIC_SESSION, "state-after-logout");
}

static void login_so_while_user(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE rw;
    (void)arg;
    if (!conf_open(c, 1, &rw))
        return;
    if (!conf_rv(c, login(c, rw, CKU_USER), CKR_OK, "user-login"))
        return;
    conf_rv(c, login(c, rw, CKU_SO), CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "SO-login-while-user");
    conf_rv(c, c->p->C_Logout(rw), CKR_OK, "C_Logout");
}

static void login_logout_not_logged(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    conf_rv(c, c->p->C_Logout(s), CKR_USER_NOT_LOGGED_IN, "C_Logout");
    conf_rv(c, c->p->C_Logout(BOGUS_SESSION), CKR_SESSION_HANDLE_INVALID, "C_Logout-bogus-session");
    if (conf_rv(c, login(c, s, CKU_USER), CKR_OK, "C_Login")) {
        conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout-1");
        conf_rv(c, c->p->C_Logout(s), CKR_USER_NOT_LOGGED_IN, "C_Logout-2");
    }
}

static void login_bad_user_type(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 1, &s))
        return;
    rv = c->p->C_Login(s, 7, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin));
    conf_rv(c, rv, CKR_USER_TYPE_INVALID, "user-type-7");
    if (rv == CKR_OK)
        (void)c->p->C_Logout(s);
    /* CKU_CONTEXT_SPECIFIC without an operation to authorise */
    rv = c->p->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin));
    conf_rv(c, rv, CKR_OPERATION_NOT_INITIALIZED, "context-specific-no-operation");
    conf_rv(c, c->p->C_Login(BOGUS_SESSION, CKU_USER, (CK_UTF8CHAR_PTR)c->user_pin, strlen(c->user_pin)),
            CKR_SESSION_HANDLE_INVALID, "bogus-session");
    conf_val(c, state_of(c, s, "after"), CKS_RW_PUBLIC_SESSION, "still-public");
}

static void login_null_pin(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    rv = c->p->C_Login(s, CKU_USER, NULL, 8);
    conf_rv(c, rv, CKR_ARGUMENTS_BAD, "pPin-NULL");
    if (rv == CKR_OK)
        (void)c->p->C_Logout(s);
}

static void login_pin_too_long(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s;
    CK_UTF8CHAR pin[300];
    CK_RV rv;
    (void)arg;
    if (!conf_open(c, 0, &s))
        return;
    memset(pin, 'x', sizeof pin);
    rv = c->p->C_Login(s, CKU_USER, pin, sizeof pin);
    conf_rv(c, rv, CKR_PIN_INCORRECT, "300-byte-pin");
    if (rv == CKR_OK)
        (void)c->p->C_Logout(s);
    /* reset any retry counter */
    if (conf_rv(c, login(c, s, CKU_USER), CKR_OK, "right-pin"))
        conf_rv(c, c->p->C_Logout(s), CKR_OK, "C_Logout");
}

static void login_close_last(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE s1, s2, s3;
    (void)arg;
    if (!conf_open(c, 0, &s1) || !conf_open(c, 0, &s2))
        return;
    if (!conf_rv(c, login(c, s1, CKU_USER), CKR_OK, "C_Login"))
        return;
    /* closing one session keeps the login for the others */
    conf_rv(c, c->p->C_CloseSession(s1), CKR_OK, "close-first");
    conf_val(c, state_of(c, s2, "second"), CKS_RO_USER_FUNCTIONS, "second-still-user");
    /* closing the last one ends it */
    conf_rv(c, c->p->C_CloseSession(s2), CKR_OK, "close-last");
    if (conf_open(c, 0, &s3))
        conf_val(c, state_of(c, s3, "new"), CKS_RO_PUBLIC_SESSION, "new-session-public");
}

const struct conf_case conf_cases_session[] = {
    {"session.open", "open R/O and R/W sessions: handles, state, flags; close", session_open, NULL, 0},
    {"session.no-serial", "C_OpenSession without CKF_SERIAL_SESSION", session_no_serial, NULL, 0},
    {"session.invalid", "invalid and closed session handles, invalid slot, NULL arguments", session_invalid, NULL,
     0},
    {"session.closeall", "C_CloseAllSessions: every handle invalid, login gone", session_closeall, NULL, 0},
    {"login.user", "user login: state of every session, logout", login_user, NULL, 0},
    {"login.wrong-pin", "wrong PIN: CKR_PIN_INCORRECT, then the right one", login_wrong_pin, NULL, 0},
    {"login.already", "login twice: CKR_USER_ALREADY_LOGGED_IN", login_already, NULL, 0},
    {"login.so-ro-session", "SO login while an R/O session exists", login_so_ro, NULL, 0},
    {"login.so", "SO login: state, R/O session refused, user refused", login_so, NULL, 0},
    {"login.so-while-user", "SO login while the user is logged in", login_so_while_user, NULL, 0},
    {"login.logout-not-logged-in", "C_Logout when not logged in", login_logout_not_logged, NULL, 0},
    {"login.bad-user-type", "C_Login with an invalid user type, CKU_CONTEXT_SPECIFIC without operation",
     login_bad_user_type, NULL, 0},
    {"login.null-pin", "C_Login with pPin NULL", login_null_pin, NULL, 0},
    {"login.pin-too-long", "C_Login with a 300-byte PIN", login_pin_too_long, NULL, 0},
    {"login.close-last", "closing the last session logs out", login_close_last, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
