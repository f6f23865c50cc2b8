/* lock.c — the module lock: pthreads, or the mutex callbacks the application gave C_Initialize.
 *
 * C_Initialize's rules (PKCS#11 v2.40 §5.4): CKF_OS_LOCKING_OK -> the OS primitives may be used
 * (we use pthreads even when callbacks are given too); callbacks only -> use them; neither -> the
 * application is single-threaded, pthreads are harmless. Callbacks must be all given or none.
 */
#include <string.h>

#include "module.h"

CK_RV sigil_lock_init(sigil_lock *l, const CK_C_INITIALIZE_ARGS *args)
{
    CK_RV rv = CKR_ARGUMENTS_BAD;
    memset(l, 0, sizeof(*l));
    if (args != NULL) {
        int given = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) +
                    (args->LockMutex != NULL) + (args->UnlockMutex != NULL);
        if (given != 0 && given != 4)
            goto out;
        if (given == 4 && !(args->flags & CKF_OS_LOCKING_OK)) {
            void *mx = NULL;
            rv = args->CreateMutex(&mx);
            if (rv != CKR_OK)
                goto out;
            l->app = true;
            l->app_mutex = mx;
            l->destroy = args->DestroyMutex;
            l->lock = args->LockMutex;
            l->unlock = args->UnlockMutex;
            rv = CKR_OK;
            goto out;
        }
    }
    rv = pthread_mutex_init(&l->pt, NULL) == 0 ? CKR_OK : CKR_CANT_LOCK;
out:
    return rv;
}

void sigil_lock_destroy(sigil_lock *l)
{
    if (l->app)
        (void)l->destroy(l->app_mutex);
    else
        pthread_mutex_destroy(&l->pt);
}

void sigil_module_lock(sigil_module *m)
{
    if (m->lock.app)
        (void)m->lock.lock(m->lock.app_mutex);
    else
        pthread_mutex_lock(&m->lock.pt);
}

void sigil_module_unlock(sigil_module *m)
{
    if (m->lock.app)
        (void)m->lock.unlock(m->lock.app_mutex);
    else
        pthread_mutex_unlock(&m->lock.pt);
}
