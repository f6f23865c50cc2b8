/* cases_init.c — C_Initialize/C_Finalize, C_GetInfo, slots, tokens and mechanisms. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define BOGUS_SLOT ((CK_SLOT_ID)0x7eadbeefUL)

/* ---- C_Initialize / C_Finalize ------------------------------------------------------------- */

static void init_before(struct conf *c, const void *arg)
{
    CK_INFO info;
    CK_ULONG n = 0;
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_BYTE buf[8];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    (void)arg;
    conf_rv(c, c->p->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GetInfo");
    conf_rv(c, c->p->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GetSlotList");
    conf_rv(c, c->p->C_GetSlotInfo(0, &si), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GetSlotInfo");
    conf_rv(c, c->p->C_GetTokenInfo(0, &ti), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GetTokenInfo");
    conf_rv(c, c->p->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_CRYPTOKI_NOT_INITIALIZED,
            "C_OpenSession");
    conf_rv(c, c->p->C_CloseAllSessions(0), CKR_CRYPTOKI_NOT_INITIALIZED, "C_CloseAllSessions");
    conf_rv(c, c->p->C_Login(1, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_CRYPTOKI_NOT_INITIALIZED, "C_Login");
    conf_rv(c, c->p->C_GenerateRandom(1, buf, sizeof buf), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GenerateRandom");
    conf_rv(c, c->p->C_SignInit(1, NULL, 1), CKR_CRYPTOKI_NOT_INITIALIZED, "C_SignInit");
    conf_rv(c, c->p->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "C_Finalize");
}

static void init_twice(struct conf *c, const void *arg)
{
    (void)arg;
    if (!conf_rv(c, c->p->C_Initialize(NULL), CKR_OK, "C_Initialize-1"))
        return;
    conf_rv(c, c->p->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED, "C_Initialize-2");
    conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize-1");
    conf_rv(c, c->p->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "C_Finalize-2");
    /* and the module can be initialised again and used */
    if (conf_rv(c, c->p->C_Initialize(NULL), CKR_OK, "C_Initialize-3")) {
        if (conf_find_slot(c)) {
            CK_SESSION_HANDLE s;
            if (conf_open(c, 0, &s))
                conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "C_CloseSession");
        }
        conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize-3");
    }
}

static CK_RV mutex_create(CK_VOID_PTR_PTR m)
{
    pthread_mutex_t *pm = malloc(sizeof *pm);
    if (pm == NULL)
        return CKR_HOST_MEMORY;
    pthread_mutex_init(pm, NULL);
    *m = pm;
    return CKR_OK;
}

static CK_RV mutex_destroy(CK_VOID_PTR m)
{
    pthread_mutex_destroy(m);
    free(m);
    return CKR_OK;
}

static CK_RV mutex_lock(CK_VOID_PTR m)
{
    return pthread_mutex_lock(m) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV mutex_unlock(CK_VOID_PTR m)
{
    return pthread_mutex_unlock(m) == 0 ? CKR_OK : CKR_MUTEX_NOT_LOCKED;
}

/* Initialise with args, use the module a little, finalise. */
static void init_with(struct conf *c, CK_C_INITIALIZE_ARGS *args, const char *name)
{
    if (!conf_rv(c, c->p->C_Initialize(args), CKR_OK, "%s:C_Initialize", name))
        return;
    if (conf_find_slot(c)) {
        CK_SESSION_HANDLE s;
        if (conf_open(c, 1, &s))
            conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "%s:C_CloseSession", name);
    }
    conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "%s:C_Finalize", name);
}

static void init_args(struct conf *c, const void *arg)
{
    CK_C_INITIALIZE_ARGS a;
    CK_RV rv;
    (void)arg;

    memset(&a, 0, sizeof a);
    a.flags = CKF_OS_LOCKING_OK;
    init_with(c, &a, "os-locking");

    memset(&a, 0, sizeof a);
    init_with(c, &a, "no-locking");

    memset(&a, 0, sizeof a);
    a.CreateMutex = mutex_create;
    a.DestroyMutex = mutex_destroy;
    a.LockMutex = mutex_lock;
    a.UnlockMutex = mutex_unlock;
    init_with(c, &a, "app-callbacks");

    a.flags = CKF_OS_LOCKING_OK;
    init_with(c, &a, "app-callbacks-and-os");

    /* some callbacks but not all: CKR_ARGUMENTS_BAD */
    memset(&a, 0, sizeof a);
    a.CreateMutex = mutex_create;
    a.LockMutex = mutex_lock;
    rv = c->p->C_Initialize(&a);
    if (!conf_rv(c, rv, CKR_ARGUMENTS_BAD, "partial-callbacks:C_Initialize") && rv == CKR_OK)
        (void)c->p->C_Finalize(NULL);
}

static void init_reserved(struct conf *c, const void *arg)
{
    CK_C_INITIALIZE_ARGS a;
    char params[] = "configdir='' certPrefix='' keyPrefix='' secmod=''";
    CK_RV rv;
    (void)arg;
    memset(&a, 0, sizeof a);
    a.flags = CKF_OS_LOCKING_OK;
    a.pReserved = params;
    rv = c->p->C_Initialize(&a);
    conf_rv(c, rv, CKR_ARGUMENTS_BAD, "C_Initialize");
    if (rv == CKR_OK) {
        if (conf_find_slot(c)) {
            CK_SESSION_HANDLE s;
            if (conf_open(c, 0, &s))
                conf_rv(c, c->p->C_CloseSession(s), CKR_OK, "C_CloseSession");
        }
        conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize");
    }
}

static void finalize_reserved(struct conf *c, const void *arg)
{
    int dummy = 0;
    (void)arg;
    if (!conf_rv(c, c->p->C_Initialize(NULL), CKR_OK, "C_Initialize"))
        return;
    conf_rv(c, c->p->C_Finalize(&dummy), CKR_ARGUMENTS_BAD, "C_Finalize(pReserved)");
    conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize(NULL)");
}

static void finalize_sessions(struct conf *c, const void *arg)
{
    CK_SESSION_HANDLE ro = CK_INVALID_HANDLE, rw = CK_INVALID_HANDLE, s;
    CK_SESSION_INFO si;
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}};
    (void)arg;

    if (!conf_init(c))
        return;
    if (conf_open(c, 0, &ro) && conf_open_user(c, 1, &rw)) {
        conf_rv(c, c->p->C_FindObjectsInit(ro, tmpl, 1), CKR_OK, "C_FindObjectsInit");
        conf_rv(c, c->p->C_GetSessionInfo(rw, &si), CKR_OK, "C_GetSessionInfo-before");
    }
    /* finalize with two sessions open, the user logged in and a search active */
    if (!conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize-with-sessions"))
        return;
    conf_rv(c, c->p->C_GetSessionInfo(rw, &si), CKR_CRYPTOKI_NOT_INITIALIZED, "C_GetSessionInfo-finalized");
    if (!conf_rv(c, c->p->C_Initialize(NULL), CKR_OK, "C_Initialize-again"))
        return;
    /* the old sessions are gone, and so is the login */
    conf_rv(c, c->p->C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID, "C_GetSessionInfo-old-rw");
    conf_rv(c, c->p->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID, "C_CloseSession-old-ro");
    if (conf_open(c, 0, &s)) {
        if (conf_rv(c, c->p->C_GetSessionInfo(s, &si), CKR_OK, "C_GetSessionInfo-new"))
            conf_val(c, si.state, CKS_RO_PUBLIC_SESSION, "new-session-state");
        conf_rv(c, c->p->C_Logout(s), CKR_USER_NOT_LOGGED_IN, "C_Logout-new");
    }
    conf_rv(c, c->p->C_Finalize(NULL), CKR_OK, "C_Finalize-2");
}

/* ---- C_GetInfo, C_GetFunctionList ----------------------------------------------------------- */

static void info_getinfo(struct conf *c, const void *arg)
{
    CK_INFO info;
    (void)arg;
    conf_rv(c, c->p->C_GetInfo(NULL), CKR_ARGUMENTS_BAD, "C_GetInfo(NULL)");
    memset(&info, 0, sizeof info);
    if (!conf_rv(c, c->p->C_GetInfo(&info), CKR_OK, "C_GetInfo"))
        return;
    conf_val(c, info.cryptokiVersion.major, 2, "cryptokiVersion.major");
    conf_true(c, conf_printable(info.manufacturerID, sizeof info.manufacturerID), "manufacturerID-blank-padded");
    conf_true(c, conf_printable(info.libraryDescription, sizeof info.libraryDescription),
              "libraryDescription-blank-padded");
    conf_val(c, info.flags, 0, "flags");
}

static void info_functionlist(struct conf *c, const void *arg)
{
    CK_FUNCTION_LIST_PTR fl = NULL;
    (void)arg;
    conf_rv(c, c->p->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD, "C_GetFunctionList(NULL)");
    if (conf_rv(c, c->p->C_GetFunctionList(&fl), CKR_OK, "C_GetFunctionList")) {
        conf_true(c, fl == c->p, "same-list");
        conf_val(c, fl->version.major, 2, "version.major");
    }
}

/* ---- slots and tokens --------------------------------------------------------------------- */

static void slot_list(struct conf *c, const void *arg)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 0, n2;
    int found = 0;
    (void)arg;
    conf_rv(c, c->p->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD, "pulCount-NULL");
    for (int present = 0; present <= 1; present++) {
        const char *w = present ? "present" : "all";
        n = 0;
        if (!conf_rv(c, c->p->C_GetSlotList((CK_BBOOL)present, NULL, &n), CKR_OK, "%s:size-query", w))
            continue;
        conf_true(c, n >= 1 && n <= 64, "%s:count-in-1..64", w);
        if (n < 1 || n > 64)
            continue;
        /* a buffer one too small: CKR_BUFFER_TOO_SMALL and the count needed */
        n2 = n - 1;
        conf_rv(c, c->p->C_GetSlotList((CK_BBOOL)present, slots, &n2), CKR_BUFFER_TOO_SMALL, "%s:too-small", w);
        conf_val(c, n2, n, "%s:too-small-count", w);
        n2 = 64;
        if (conf_rv(c, c->p->C_GetSlotList((CK_BBOOL)present, slots, &n2), CKR_OK, "%s:list", w)) {
            conf_val(c, n2, n, "%s:list-count", w);
            for (CK_ULONG i = 0; i < n2; i++)
                found |= slots[i] == c->slot;
        }
    }
    conf_true(c, found, "token-slot-listed");
}

static void slot_info(struct conf *c, const void *arg)
{
    CK_SLOT_INFO si;
    (void)arg;
    conf_rv(c, c->p->C_GetSlotInfo(c->slot, NULL), CKR_ARGUMENTS_BAD, "pInfo-NULL");
    conf_rv(c, c->p->C_GetSlotInfo(BOGUS_SLOT, &si), CKR_SLOT_ID_INVALID, "bogus-slot");
    if (!conf_rv(c, c->p->C_GetSlotInfo(c->slot, &si), CKR_OK, "C_GetSlotInfo"))
        return;
    conf_true(c, (si.flags & CKF_TOKEN_PRESENT) != 0, "CKF_TOKEN_PRESENT");
    conf_true(c, conf_printable(si.slotDescription, sizeof si.slotDescription), "slotDescription-blank-padded");
    conf_true(c, conf_printable(si.manufacturerID, sizeof si.manufacturerID), "manufacturerID-blank-padded");
}

static void slot_wait_event(struct conf *c, const void *arg)
{
    CK_SLOT_ID slot = 0;
    (void)arg;
    /* nothing happens to the slots: no event, without blocking */
    conf_rv(c, c->p->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT, "CKF_DONT_BLOCK");
}

static int count_ok(CK_ULONG count, CK_ULONG max, CK_ULONG want)
{
    if (count == CK_UNAVAILABLE_INFORMATION)
        return 1;
    if (count != want)
        return 0;
    return max == CK_UNAVAILABLE_INFORMATION || max == CK_EFFECTIVELY_INFINITE || max >= count;
}

static void token_info(struct conf *c, const void *arg)
{
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE ro, rw;
    (void)arg;
    conf_rv(c, c->p->C_GetTokenInfo(c->slot, NULL), CKR_ARGUMENTS_BAD, "pInfo-NULL");
    conf_rv(c, c->p->C_GetTokenInfo(BOGUS_SLOT, &ti), CKR_SLOT_ID_INVALID, "bogus-slot");
    if (!conf_open(c, 0, &ro) || !conf_open(c, 1, &rw))
        return;
    if (!conf_rv(c, c->p->C_GetTokenInfo(c->slot, &ti), CKR_OK, "C_GetTokenInfo"))
        return;
    conf_true(c, conf_padded_eq(ti.label, sizeof ti.label, c->label), "label-blank-padded");
    conf_true(c, conf_printable(ti.manufacturerID, sizeof ti.manufacturerID), "manufacturerID-blank-padded");
    conf_true(c, conf_printable(ti.model, sizeof ti.model), "model-blank-padded");
    conf_true(c, conf_printable(ti.serialNumber, sizeof ti.serialNumber), "serialNumber-blank-padded");
    conf_true(c, (ti.flags & CKF_TOKEN_INITIALIZED) != 0, "CKF_TOKEN_INITIALIZED");
    conf_true(c, (ti.flags & CKF_USER_PIN_INITIALIZED) != 0, "CKF_USER_PIN_INITIALIZED");
    conf_true(c, (ti.flags & CKF_LOGIN_REQUIRED) != 0, "CKF_LOGIN_REQUIRED");
    conf_true(c, (ti.flags & CKF_RNG) != 0, "CKF_RNG");
    conf_true(c, (ti.flags & (CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED)) == 0, "no-PIN-locked");
    conf_true(c, (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) == 0, "no-protected-auth-path");
    conf_true(c, ti.ulMinPinLen >= 1 && ti.ulMinPinLen <= ti.ulMaxPinLen, "pin-length-range");
    conf_true(c, ti.ulMinPinLen <= strlen(c->user_pin) && strlen(c->user_pin) <= ti.ulMaxPinLen,
              "user-pin-in-range");
    conf_true(c, count_ok(ti.ulSessionCount, ti.ulMaxSessionCount, 2), "ulSessionCount");
    conf_true(c, count_ok(ti.ulRwSessionCount, ti.ulMaxRwSessionCount, 1), "ulRwSessionCount");
    if (ti.flags & CKF_CLOCK_ON_TOKEN)
        conf_true(c, conf_printable(ti.utcTime, sizeof ti.utcTime), "utcTime");
}

/* ---- mechanisms ------------------------------------------------------------------------------ */

static const CK_MECHANISM_TYPE sign_mechs[] = {
    CKM_ECDSA,           CKM_ECDSA_SHA256,        CKM_ECDSA_SHA384,        CKM_ECDSA_SHA512,
    CKM_RSA_PKCS,        CKM_SHA256_RSA_PKCS,     CKM_SHA384_RSA_PKCS,     CKM_SHA512_RSA_PKCS,
    CKM_RSA_PKCS_PSS,    CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA512_RSA_PKCS_PSS,
};

static void mech_list(struct conf *c, const void *arg)
{
    CK_MECHANISM_TYPE *list = NULL;
    CK_ULONG n = 0, n2;
    (void)arg;
    conf_rv(c, c->p->C_GetMechanismList(c->slot, NULL, NULL), CKR_ARGUMENTS_BAD, "pulCount-NULL");
    conf_rv(c, c->p->C_GetMechanismList(BOGUS_SLOT, NULL, &n), CKR_SLOT_ID_INVALID, "bogus-slot");
    if (!conf_rv(c, c->p->C_GetMechanismList(c->slot, NULL, &n), CKR_OK, "size-query") ||
        !conf_true(c, n >= 1 && n < 10000, "count-sane"))
        return;
    list = calloc(n + 1, sizeof *list);
    if (list == NULL)
        return;
    n2 = n - 1;
    conf_rv(c, c->p->C_GetMechanismList(c->slot, list, &n2), CKR_BUFFER_TOO_SMALL, "too-small");
    conf_val(c, n2, n, "too-small-count");
    n2 = n + 1;
    if (conf_rv(c, c->p->C_GetMechanismList(c->slot, list, &n2), CKR_OK, "list")) {
        conf_val(c, n2, n, "list-count");
        for (size_t m = 0; m < sizeof sign_mechs / sizeof sign_mechs[0]; m++) {
            int found = 0;
            for (CK_ULONG i = 0; i < n2; i++)
                found |= list[i] == sign_mechs[m];
            conf_true(c, found, "listed:%s", conf_mech_name(sign_mechs[m]));
        }
    }
    free(list);
}

static void mech_info(struct conf *c, const void *arg)
{
    CK_MECHANISM_INFO mi;
    (void)arg;
    conf_rv(c, c->p->C_GetMechanismInfo(c->slot, CKM_ECDSA, NULL), CKR_ARGUMENTS_BAD, "pInfo-NULL");
    conf_rv(c, c->p->C_GetMechanismInfo(c->slot, CKM_VENDOR_DEFINED | 0x5151, &mi), CKR_MECHANISM_INVALID,
            "unknown-mechanism");
    conf_rv(c, c->p->C_GetMechanismInfo(BOGUS_SLOT, CKM_ECDSA, &mi), CKR_SLOT_ID_INVALID, "bogus-slot");
    for (size_t m = 0; m < sizeof sign_mechs / sizeof sign_mechs[0]; m++) {
        CK_MECHANISM_TYPE t = sign_mechs[m];
        int ec = t == CKM_ECDSA || t == CKM_ECDSA_SHA256 || t == CKM_ECDSA_SHA384 || t == CKM_ECDSA_SHA512;
        CK_ULONG bits = ec ? 256 : 2048;
        if (!conf_rv(c, c->p->C_GetMechanismInfo(c->slot, t, &mi), CKR_OK, "%s", conf_mech_name(t)))
            continue;
        conf_true(c, (mi.flags & CKF_SIGN) != 0, "%s:CKF_SIGN", conf_mech_name(t));
        conf_true(c, (mi.flags & CKF_VERIFY) != 0, "%s:CKF_VERIFY", conf_mech_name(t));
        conf_true(c, mi.ulMinKeySize <= bits && bits <= mi.ulMaxKeySize, "%s:key-size-%lu", conf_mech_name(t),
                  (unsigned long)bits);
    }
    for (CK_MECHANISM_TYPE t = CKM_SHA256; t <= CKM_SHA512; t += CKM_SHA384 - CKM_SHA256)
        if (conf_rv(c, c->p->C_GetMechanismInfo(c->slot, t, &mi), CKR_OK, "%s", conf_mech_name(t)))
            conf_true(c, (mi.flags & CKF_DIGEST) != 0, "%s:CKF_DIGEST", conf_mech_name(t));
    if (conf_rv(c, c->p->C_GetMechanismInfo(c->slot, CKM_EC_KEY_PAIR_GEN, &mi), CKR_OK, "CKM_EC_KEY_PAIR_GEN"))
        conf_true(c, (mi.flags & CKF_GENERATE_KEY_PAIR) != 0, "CKM_EC_KEY_PAIR_GEN:CKF_GENERATE_KEY_PAIR");
    if (conf_rv(c, c->p->C_GetMechanismInfo(c->slot, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK,
                "CKM_RSA_PKCS_KEY_PAIR_GEN"))
        conf_true(c, (mi.flags & CKF_GENERATE_KEY_PAIR) != 0, "CKM_RSA_PKCS_KEY_PAIR_GEN:CKF_GENERATE_KEY_PAIR");
}

const struct conf_case conf_cases_init[] = {
    {"init.before", "functions before C_Initialize answer CKR_CRYPTOKI_NOT_INITIALIZED", init_before, NULL,
     CONF_CASE_NO_INIT},
    {"init.twice", "C_Initialize twice, C_Finalize twice, initialise again", init_twice, NULL, CONF_CASE_NO_INIT},
    {"init.args", "CK_C_INITIALIZE_ARGS: OS locking, callbacks, partial callbacks", init_args, NULL,
     CONF_CASE_NO_INIT},
    {"init.reserved", "CK_C_INITIALIZE_ARGS.pReserved non-NULL", init_reserved, NULL, CONF_CASE_NO_INIT},
    {"init.finalize-reserved", "C_Finalize(pReserved non-NULL)", finalize_reserved, NULL, CONF_CASE_NO_INIT},
    {"init.finalize-sessions", "C_Finalize with sessions, a login and a search open; re-initialise",
     finalize_sessions, NULL, CONF_CASE_NO_INIT},
    {"info.getinfo", "C_GetInfo: NULL argument, fields", info_getinfo, NULL, 0},
    {"info.functionlist", "C_GetFunctionList: NULL argument, same list", info_functionlist, NULL, 0},
    {"slot.list", "C_GetSlotList: NULL count, size query, CKR_BUFFER_TOO_SMALL", slot_list, NULL, 0},
    {"slot.info", "C_GetSlotInfo: fields, invalid slot, NULL", slot_info, NULL, 0},
    {"slot.wait-event", "C_WaitForSlotEvent(CKF_DONT_BLOCK)", slot_wait_event, NULL, 0},
    {"token.info", "C_GetTokenInfo: fields sanity, session counts, invalid slot, NULL", token_info, NULL, 0},
    {"mech.list", "C_GetMechanismList: size query, too small, the signing mechanisms", mech_list, NULL, 0},
    {"mech.info", "C_GetMechanismInfo: flags and key sizes, unknown mechanism", mech_info, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};
