/* test_module_general.c — module life cycle over the fake appliance: C_Initialize rules, calls
 * before initialisation, fork, locking callbacks, function list and interfaces, unsupported
 * functions, and the status -> CK_RV table covering every status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"
#include "fake_appliance.h"
#include "rv.h"
#include "test_hooks.h"

static int setup(void **state)
{
    (void)state;
    setenv("SIGIL_APPLIANCE", "unix:/nonexistent/fake.sock", 1);
    fake_appliance_reset();
    sigil_module_test_set_transport(&fake_appliance_ops, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    (void)C_Finalize(NULL);
    return 0;
}

static void test_initialize_twice(void **state)
{
    (void)state;
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    assert_int_equal(C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(fake_appliance_count(SIGIL_OP_HELLO), 1);
    assert_int_equal(C_Finalize(NULL), CKR_OK);
    assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Initialize(NULL), CKR_OK);
}

static void test_calls_before_initialize(void **state)
{
    (void)state;
    CK_ULONG n = 0;
    CK_INFO info;
    CK_SESSION_HANDLE h;
    CK_BYTE buf[8];
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    assert_int_equal(C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_SignInit(1, &mech, 11), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Sign(1, buf, 1, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_GenerateRandom(1, buf, sizeof(buf)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Encrypt(1, buf, 1, buf, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(fake_appliance_count(SIGIL_OP_HELLO), 0);
}

static void test_initialize_args(void **state)
{
    (void)state;
    CK_C_INITIALIZE_ARGS a;
    memset(&a, 0, sizeof(a));
    a.pReserved = (void *)"nss-style parameters"; /* accepted, not rejected */
    a.flags = CKF_OS_LOCKING_OK;
    assert_int_equal(C_Initialize(&a), CKR_OK);
    assert_int_equal(C_Finalize(NULL), CKR_OK);
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    assert_int_equal(C_Finalize((void *)&a), CKR_ARGUMENTS_BAD);
}

static CK_RV bad_create(void **m)
{
    *m = NULL;
    return CKR_OK;
}

static void test_initialize_partial_callbacks(void **state)
{
    (void)state;
    CK_C_INITIALIZE_ARGS a;
    memset(&a, 0, sizeof(a));
    a.CreateMutex = bad_create; /* only one of four */
    assert_int_equal(C_Initialize(&a), CKR_ARGUMENTS_BAD);
    assert_int_equal(fake_appliance_count(SIGIL_OP_HELLO), 0);
}

static int g_locks, g_unlocks, g_creates, g_destroys;
static int g_mutex_obj;
static CK_RV cb_create(void **m)
{
    g_creates++;
    *m = &g_mutex_obj;
    return CKR_OK;
}
static CK_RV cb_destroy(void *m)
{
    assert_ptr_equal(m, &g_mutex_obj);
    g_destroys++;
    return CKR_OK;
}
static CK_RV cb_lock(void *m)
{
    assert_ptr_equal(m, &g_mutex_obj);
    g_locks++;
    return CKR_OK;
}
static CK_RV cb_unlock(void *m)
{
    assert_ptr_equal(m, &g_mutex_obj);
    g_unlocks++;
    return CKR_OK;
}

static void test_initialize_app_mutexes(void **state)
{
    (void)state;
    CK_C_INITIALIZE_ARGS a;
    CK_SESSION_HANDLE h;
    memset(&a, 0, sizeof(a));
    a.CreateMutex = cb_create;
    a.DestroyMutex = cb_destroy;
    a.LockMutex = cb_lock;
    a.UnlockMutex = cb_unlock;
    g_locks = g_unlocks = g_creates = g_destroys = 0;
    assert_int_equal(C_Initialize(&a), CKR_OK);
    assert_int_equal(g_creates, 1);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_true(g_locks > 0);
    assert_int_equal(g_locks, g_unlocks);
    assert_int_equal(C_Finalize(NULL), CKR_OK);
    assert_int_equal(g_destroys, 1);
}

static void test_no_appliance(void **state)
{
    (void)state;
    fake_appliance_fail_open(true);
    assert_int_equal(C_Initialize(NULL), CKR_DEVICE_ERROR);
    CK_ULONG n;
    assert_int_equal(C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    fake_appliance_fail_open(false);
    assert_int_equal(C_Initialize(NULL), CKR_OK);
}

static void test_fork_child_not_initialized(void **state)
{
    (void)state;
    CK_ULONG n = 0;
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int ok = C_GetSlotList(CK_FALSE, NULL, &n) == CKR_CRYPTOKI_NOT_INITIALIZED &&
                 C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED && C_Initialize(NULL) == CKR_OK &&
                 C_GetSlotList(CK_FALSE, NULL, &n) == CKR_OK && n == 2;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent is undisturbed. */
    assert_int_equal(C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
    assert_int_equal(n, 2);
}

static void test_function_list_and_interfaces(void **state)
{
    (void)state;
    CK_FUNCTION_LIST_PTR fl = NULL;
    assert_int_equal(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetFunctionList(&fl), CKR_OK);
    assert_int_equal(fl->version.major, 2);
    assert_int_equal(fl->version.minor, 40);
    /* Every slot of the list is filled. */
    const void *const *p = (const void *const *)(const void *)&fl->C_Initialize;
    const void *const *end = (const void *const *)(const void *)(&fl->C_WaitForSlotEvent + 1);
    for (; p < end; p++)
        assert_non_null(*p);

    CK_ULONG n = 0;
    sigil_ck_interface list[4];
    assert_int_equal(C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterfaceList(NULL, &n), CKR_OK);
    assert_int_equal(n, 2);
    n = 4;
    assert_int_equal(C_GetInterfaceList(list, &n), CKR_OK);
    assert_int_equal(n, 2);
    assert_string_equal((const char *)list[0].pInterfaceName, "PKCS 11");
    assert_string_equal((const char *)list[1].pInterfaceName, "PKCS 11");
    assert_int_equal(((CK_FUNCTION_LIST *)list[0].pFunctionList)->version.major, 3);
    assert_ptr_equal(list[1].pFunctionList, fl);

    /* The default interface is 3.0; 2.40 by version; nothing else, nothing fork-safe. */
    sigil_ck_interface *iface = NULL;
    assert_int_equal(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", NULL, &iface, 0), CKR_OK);
    const sigil_function_list_3_0 *f3 = iface->pFunctionList;
    assert_int_equal(f3->v2.version.major, 3);
    assert_int_equal(f3->v2.version.minor, 0);
    CK_VERSION v240 = {2, 40}, v30 = {3, 0}, v31 = {3, 1};
    assert_int_equal(C_GetInterface(NULL, &v240, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, fl);
    assert_int_equal(C_GetInterface(NULL, &v30, &iface, 0), CKR_OK);
    assert_ptr_equal(iface->pFunctionList, f3);
    assert_int_equal(C_GetInterface(NULL, &v31, &iface, 0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR *)"Vendor", NULL, &iface, 0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface(NULL, NULL, &iface, 1 /* CKF_INTERFACE_FORK_SAFE */), CKR_ARGUMENTS_BAD);
    /* Every slot of the 3.0 list is filled: the 2.40 functions, then the 3.0 ones. */
    p = (const void *const *)(const void *)&f3->v2.C_Initialize;
    end = (const void *const *)(const void *)(&f3->C_MessageVerifyFinal + 1);
    for (; p < end; p++)
        assert_non_null(*p);
    assert_ptr_equal(f3->v2.C_Sign, fl->C_Sign);
    assert_ptr_equal(f3->C_GetInterface, C_GetInterface);
}

static void test_v3_functions(void **state)
{
    (void)state;
    sigil_ck_interface *iface = NULL;
    CK_VERSION v30 = {3, 0};
    CK_SESSION_HANDLE h = 0;
    CK_INFO info;
    assert_int_equal(C_GetInterface(NULL, &v30, &iface, 0), CKR_OK);
    const sigil_function_list_3_0 *f3 = iface->pFunctionList;
    assert_int_equal(f3->C_LoginUser(1, CKU_USER, (CK_UTF8CHAR *)"1234", 4, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f3->C_SessionCancel(1, CKF_SIGN), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f3->v2.C_Initialize(NULL), CKR_OK);
    assert_int_equal(f3->v2.C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 3);
    assert_int_equal(info.cryptokiVersion.minor, 0);
    assert_int_equal(C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 2);
    assert_int_equal(f3->v2.C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    /* C_LoginUser without a user name is C_Login. */
    assert_int_equal(f3->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR *)"0000", 4, NULL, 0), CKR_PIN_INCORRECT);
    assert_int_equal(f3->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR *)FAKE_USER_PIN, 4, (CK_UTF8CHAR *)"bob", 3),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_LoginUser(h, CKU_USER, (CK_UTF8CHAR *)FAKE_USER_PIN, 4, NULL, 0), CKR_OK);
    CK_SESSION_INFO si;
    assert_int_equal(C_GetSessionInfo(h, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    CK_BYTE b[4] = {0};
    CK_ULONG n = sizeof(b);
    assert_int_equal(f3->C_SessionCancel(h, CKF_SIGN), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_MessageSignInit(h, &mech, FAKE_EC_PRIV), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_SignMessage(h, NULL, 0, b, 1, b, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_MessageEncryptInit(h, &mech, FAKE_EC_PUB), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_EncryptMessageNext(h, NULL, 0, b, 1, b, &n, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_VerifyMessage(h, NULL, 0, b, 1, b, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_MessageVerifyFinal(h), CKR_FUNCTION_NOT_SUPPORTED);
}

static void test_get_info(void **state)
{
    (void)state;
    CK_INFO info;
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    assert_int_equal(C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 2);
    assert_int_equal(info.cryptokiVersion.minor, 40);
    assert_memory_equal(info.manufacturerID, "Sigil ", 6);
}

static void test_unsupported(void **state)
{
    (void)state;
    CK_BYTE b[4] = {0};
    CK_ULONG n = sizeof(b);
    CK_MECHANISM mech = {CKM_SHA256, NULL, 0};
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE h = 0;
    assert_int_equal(C_Initialize(NULL), CKR_OK);
    assert_int_equal(C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
    assert_int_equal(C_Decrypt(h, b, 1, b, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_EncryptInit(h, &mech, FAKE_EC_PUB), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_VerifyRecoverInit(h, &mech, FAKE_EC_PUB), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_SignRecoverInit(h, &mech, FAKE_EC_PRIV), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_DigestEncryptUpdate(h, b, 1, b, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_GenerateKey(h, &mech, NULL, 0, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_GetOperationState(h, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_SeedRandom(h, b, 1), CKR_RANDOM_SEED_NOT_SUPPORTED);
    assert_int_equal(C_GetFunctionStatus(h), CKR_FUNCTION_NOT_PARALLEL);
    assert_int_equal(C_CancelFunction(h), CKR_FUNCTION_NOT_PARALLEL);
    /* Slots never change: no event without blocking; a blocking wait is refused. */
    assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
    assert_int_equal(C_WaitForSlotEvent(0, &slot, NULL), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, b), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_Finalize(NULL), CKR_OK);
    assert_int_equal(C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_rv_covers_every_status(void **state)
{
    (void)state;
#define CHECK_STATUS(name, num, msg)                                            \
    if (SIGIL_ST_##name == SIGIL_ST_OK)                                         \
        assert_int_equal(sigil_rv_from_status(SIGIL_ST_##name), CKR_OK);        \
    else                                                                        \
        assert_int_not_equal(sigil_rv_from_status(SIGIL_ST_##name), CKR_OK);
    SIGIL_STATUS_LIST(CHECK_STATUS)
#undef CHECK_STATUS
    assert_int_equal(sigil_rv_from_status((sigil_status)9999), CKR_DEVICE_ERROR);
    assert_int_equal(sigil_rv_from_status(SIGIL_ST_PIN_INCORRECT), CKR_PIN_INCORRECT);
    assert_int_equal(sigil_rv_from_status(SIGIL_ST_PIN_LOCKED), CKR_PIN_LOCKED);
    assert_int_equal(sigil_rv_from_status(SIGIL_ST_ALREADY_LOGGED_IN), CKR_USER_ALREADY_LOGGED_IN);
    assert_int_equal(sigil_rv_from_client(SIGIL_CLIENT_CONN_LOST), CKR_DEVICE_ERROR);
    assert_int_equal(sigil_rv_from_client(SIGIL_CLIENT_OK), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_before_initialize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initialize_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initialize_partial_callbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initialize_app_mutexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_appliance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_child_not_initialized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_function_list_and_interfaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v3_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rv_covers_every_status, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
