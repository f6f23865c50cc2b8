/* random.c — C_GenerateRandom: bytes from the appliance's DRBG (RANDOM), 64 KiB per round trip. */
#include <stdlib.h>
#include <string.h>

#include "keygen.h"
#include "session.h"
#include "sigil_secmem.h"
#include "wire.h"

CK_RV sigil_core_generate_random(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *out, size_t len)
{
    sigil_session *s = NULL;
    uint8_t *resp = NULL;
    uint8_t req[8];
    sigil_wr w;
    sigil_rd r;

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    sigil_module_unlock(m);
    if (rv != CKR_OK || len == 0)
        return rv;
    resp = malloc(4 + SIGIL_RANDOM_MAX);
    if (resp == NULL)
        return CKR_HOST_MEMORY;
    size_t done = 0;
    while (rv == CKR_OK && done < len) {
        size_t want = len - done > SIGIL_RANDOM_MAX ? SIGIL_RANDOM_MAX : len - done;
        size_t n = 0, got = 0;
        sigil_wr_init(&w, req, sizeof(req));
        sigil_wr_u32(&w, (uint32_t)want);
        rv = sigil_wire_call(m, SIGIL_OP_RANDOM, &w, resp, 4 + SIGIL_RANDOM_MAX, &n);
        if (rv != CKR_OK)
            break;
        sigil_rd_init(&r, resp, n);
        const uint8_t *p = sigil_rd_bytes(&r, SIGIL_RANDOM_MAX, &got);
        if (!sigil_rd_done(&r) || got != want) {
            rv = CKR_DEVICE_ERROR;
            break;
        }
        memcpy(out + done, p, got);
        done += got;
    }
    sigil_wipe(resp, 4 + SIGIL_RANDOM_MAX);
    free(resp);
    return rv;
}
