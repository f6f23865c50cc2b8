/* module.h — the module's state: one sigil_module while initialised, its lock, slots and sessions.
 *
 * Locking: one mutex per module (pthreads, or the application's callbacks from C_Initialize)
 * guards all of this state. It is never held across a round trip to the appliance: a core
 * function takes what it needs under the lock, drops it for the call, and re-looks up the
 * session by handle afterwards (handles are never reused, so a closed session is noticed).
 */
#ifndef SIGIL_MODULE_H
#define SIGIL_MODULE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p11.h"
#include "sigil_client.h"
#include "sigil_proto.h"

/* Sessions one application may have open at once (C_OpenSession: CKR_SESSION_COUNT). */
#define SIGIL_MAX_SESSIONS 4096u
#define SIGIL_SESSION_BUCKETS 256u
#define SIGIL_MAX_CONNS 4u
#define SIGIL_FW_VERSION_MAX 64u

typedef struct sigil_object sigil_object; /* object.h */

/* TOKEN_INFO as last answered, reused for up to a second (NSS polls C_GetTokenInfo). */
typedef struct sigil_tokinfo {
    bool valid;
    uint32_t gen;        /* bumped when made stale: an answer fetched across that is not kept */
    uint64_t fetched_ms; /* CLOCK_MONOTONIC */
    uint32_t flags;      /* SIGIL_TOKEN_* */
    char label[SIGIL_LABEL_MAX_LEN + 1];
    char serial[16 + 1];
    uint32_t user_left;
    uint32_t so_left;
} sigil_tokinfo;

/* What this application is logged in as on a slot (SIGIL_LOGIN_*), and its objects there. */
typedef struct sigil_slot {
    uint32_t login;
    unsigned long sessions;
    unsigned long rw_sessions;
    /* Token objects as OBJECT_LIST reports them (handles are the appliance's). */
    sigil_object *objs;
    size_t n_objs;
    bool objs_loaded;
    /* Session objects of this application (handles carry SIGIL_SESSOBJ_BIT). */
    sigil_object *sobjs;
    size_t n_sobjs;
    sigil_tokinfo tokinfo;
} sigil_slot;

typedef enum {
    SIGIL_OPSTATE_NONE = 0,
    SIGIL_OPSTATE_ACTIVE, /* initialised, owned by the session */
    SIGIL_OPSTATE_BUSY,   /* a call is working on it with the lock dropped */
} sigil_opstate;

/* The cryptographic operations a session can have active, one of each kind (opslot.h). */
typedef enum {
    SIGIL_OPK_SIGN = 0,
    SIGIL_OPK_VERIFY,
    SIGIL_OPK_DIGEST,
    SIGIL_OPK_COUNT,
} sigil_opkind;

typedef struct sigil_opslot {
    sigil_opstate state;
    void *op; /* NULL while BUSY: the working call holds it */
} sigil_opslot;

typedef struct sigil_session {
    CK_SESSION_HANDLE handle;
    CK_SLOT_ID slot;
    bool rw;
    struct sigil_session *next; /* hash chain */

    bool find_active;
    CK_OBJECT_HANDLE *found;
    size_t n_found;
    size_t found_pos;

    sigil_opslot ops[SIGIL_OPK_COUNT];
} sigil_session;

typedef struct sigil_lock {
    bool app; /* application-supplied callbacks */
    void *app_mutex;
    CK_DESTROYMUTEX destroy;
    CK_LOCKMUTEX lock;
    CK_UNLOCKMUTEX unlock;
    pthread_mutex_t pt;
} sigil_lock;

typedef struct sigil_module {
    sigil_lock lock;
    sigil_client *client;
    uint32_t slot_count;
    sigil_slot *slots;
    sigil_session *sessions[SIGIL_SESSION_BUCKETS];
    CK_SESSION_HANDLE next_session;
    uint32_t next_sobj; /* session-object handle counter */
    unsigned long n_sessions;
    unsigned long n_rw_sessions;
    char fw_version[SIGIL_FW_VERSION_MAX + 1];
} sigil_module;

/* The initialised module, or CKR_CRYPTOKI_NOT_INITIALIZED (also in a forked child). */
SIGIL_P11_WUR CK_RV sigil_module_get(sigil_module **m);
void sigil_module_lock(sigil_module *m);
void sigil_module_unlock(sigil_module *m);

SIGIL_P11_WUR CK_RV sigil_module_initialize(CK_VOID_PTR init_args);
SIGIL_P11_WUR CK_RV sigil_module_finalize(void);

/* Lock helpers (lock.c). */
SIGIL_P11_WUR CK_RV sigil_lock_init(sigil_lock *l, const CK_C_INITIALIZE_ARGS *args);
void sigil_lock_destroy(sigil_lock *l);

#endif
