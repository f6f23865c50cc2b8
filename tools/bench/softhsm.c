/* softhsm.c — a throw-away SoftHSMv2 token store for --compare.
 *
 * A temporary directory holds a softhsm2.conf (file object store, tokens under tokens/) which
 * SOFTHSM2_CONF points this process at; the module is loaded once here to initialise the
 * tokens "bench-0" ... with a random SO and user PIN, then finalised and unloaded. The
 * benchmark then loads it again like any other module (p11.c), and the key is generated
 * there. Nothing outside the temporary directory is touched.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bench.h"

static int write_conf(softhsm_store *s, char *err, size_t errlen)
{
    FILE *f = fopen(s->conf, "we");
    if (f == NULL) {
        snprintf(err, errlen, "cannot write %s: %s", s->conf, strerror(errno));
        return -1;
    }
    fprintf(f,
            "# written by sigil-bench --compare; removed after the run\n"
            "directories.tokendir = %s/tokens\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            s->dir);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s", s->conf);
        return -1;
    }
    return 0;
}

/* The first slot whose token is not initialised (SoftHSM always offers one). */
static int free_slot(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID *slot)
{
    CK_SLOT_ID list[256];
    CK_ULONG n = 256;
    if (f->C_GetSlotList(CK_TRUE, list, &n) != CKR_OK)
        return -1;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(list[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
            *slot = list[i];
            return 0;
        }
    }
    return -1;
}

static int init_tokens(const char *module, softhsm_store *s, unsigned n, char *err, size_t errlen)
{
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
    char so_pin[32];
    uint8_t rnd[8];
    int rc = -1;
    void *dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        snprintf(err, errlen, "cannot load SoftHSMv2 (%s): %s; install the softhsm2 package", module, dlerror());
        return -1;
    }
    *(void **)&get = dlsym(dl, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK || f->C_Initialize(&init) != CKR_OK) {
        snprintf(err, errlen, "%s does not initialise", module);
        dlclose(dl);
        return -1;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    snprintf(so_pin, sizeof(so_pin), "so-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    snprintf(s->pin, sizeof(s->pin), "user-%02x%02x%02x%02x", rnd[4], rnd[5], rnd[6], rnd[7]);
    for (unsigned i = 0; i < n; i++) {
        CK_SLOT_ID slot;
        CK_UTF8CHAR label[32];
        CK_SESSION_HANDLE h;
        char name[33];
        snprintf(name, sizeof(name), "bench-%u", i);
        p11_pad_label(name, label);
        /* SoftHSMv2 offers a new empty slot only when it (re)loads its token store */
        if (i > 0 && (f->C_Finalize(NULL) != CKR_OK || f->C_Initialize(&init) != CKR_OK)) {
            snprintf(err, errlen, "SoftHSMv2 does not initialise again");
            goto out;
        }
        if (free_slot(f, &slot) != 0) {
            snprintf(err, errlen, "SoftHSMv2 offers no free slot for token %u", i);
            goto out;
        }
        CK_RV rv = f->C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), label);
        if (rv == CKR_OK) {
            /* the token moved to a new slot id: find it by label */
            CK_SLOT_ID list[256];
            CK_ULONG m = 256;
            rv = f->C_GetSlotList(CK_TRUE, list, &m);
            for (CK_ULONG k = 0; rv == CKR_OK && k < m; k++) {
                CK_TOKEN_INFO ti;
                if (f->C_GetTokenInfo(list[k], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) &&
                    memcmp(ti.label, label, 32) == 0)
                    slot = list[k];
            }
        }
        if (rv == CKR_OK)
            rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
        if (rv == CKR_OK) {
            rv = f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
            if (rv == CKR_OK)
                rv = f->C_InitPIN(h, (CK_UTF8CHAR_PTR)s->pin, strlen(s->pin));
            (void)f->C_Logout(h);
            (void)f->C_CloseSession(h);
        }
        if (rv != CKR_OK) {
            snprintf(err, errlen, "SoftHSMv2: setting up token %s: %s", name, p11_rv_name(rv));
            goto out;
        }
        s->labels[i] = strdup(name);
        if (s->labels[i] == NULL)
            goto out;
        s->n = i + 1;
    }
    rc = 0;
out:
    (void)f->C_Finalize(NULL);
    dlclose(dl);
    return rc;
}

int softhsm_store_create(const char *module, unsigned n, softhsm_store *s, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char tokens[300];

    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s/sigil-bench-softhsm.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) {
        snprintf(err, errlen, "cannot make a temporary directory: %s", strerror(errno));
        s->dir[0] = '\0';
        return -1;
    }
    snprintf(s->conf, sizeof(s->conf), "%s/softhsm2.conf", s->dir);
    snprintf(tokens, sizeof(tokens), "%s/tokens", s->dir);
    if (mkdir(tokens, 0700) != 0) {
        snprintf(err, errlen, "cannot make %s: %s", tokens, strerror(errno));
        goto fail;
    }
    if (write_conf(s, err, errlen) != 0)
        goto fail;
    if (setenv("SOFTHSM2_CONF", s->conf, 1) != 0) {
        snprintf(err, errlen, "cannot set SOFTHSM2_CONF");
        goto fail;
    }
    if (init_tokens(module, s, n, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    softhsm_store_destroy(s);
    return -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void softhsm_store_destroy(softhsm_store *s)
{
    for (unsigned i = 0; i < s->n; i++)
        free(s->labels[i]);
    s->n = 0;
    if (s->dir[0] != '\0')
        (void)nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
}
