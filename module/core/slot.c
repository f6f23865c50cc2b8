/* slot.c — C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo.
 *
 * Slot ids are the appliance's seal slot ids 0..slot_count-1 (learnt at HELLO, stable). Every
 * slot holds a token; an uninitialised one lacks CKF_TOKEN_INITIALIZED. Slot information needs no
 * round trip. Token information (TOKEN_INFO) is kept for up to a second, because NSS and others
 * poll it; login, logout, C_InitToken, C_InitPIN and C_SetPIN make it stale at once (PIN
 * counters, flags), so what they changed shows in the next answer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "slot.h"
#include "wire.h"

void sigil_pad(CK_UTF8CHAR *dst, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (k > n)
        k = n;
    memset(dst, ' ', n);
    memcpy(dst, s, k);
}

CK_VERSION sigil_version_parse(const char *s)
{
    unsigned maj = 0, min = 0;
    CK_VERSION v = {0, 0};
    while (*s != '\0' && (*s < '0' || *s > '9')) /* "sigil-fw 0.1.0" */
        s++;
    if (sscanf(s, "%u.%u", &maj, &min) == 2 && maj <= 255 && min <= 255) {
        v.major = (CK_BYTE)maj;
        v.minor = (CK_BYTE)min;
    }
    return v;
}

CK_RV sigil_core_slot_list(sigil_module *m, CK_SLOT_ID *list, CK_ULONG *count)
{
    CK_ULONG n = m->slot_count;
    if (list == NULL) {
        *count = n;
        return CKR_OK;
    }
    if (*count < n) {
        *count = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    for (CK_ULONG i = 0; i < n; i++)
        list[i] = i;
    *count = n;
    return CKR_OK;
}

CK_RV sigil_core_slot_info(sigil_module *m, CK_SLOT_ID slot, CK_SLOT_INFO *info)
{
    char desc[64];
    if (slot >= m->slot_count)
        return CKR_SLOT_ID_INVALID;
    snprintf(desc, sizeof(desc), "Sigil seal slot %lu", (unsigned long)slot);
    sigil_pad(info->slotDescription, sizeof(info->slotDescription), desc);
    sigil_pad(info->manufacturerID, sizeof(info->manufacturerID), "Sigil");
    info->flags = CKF_TOKEN_PRESENT | CKF_HW_SLOT;
    info->hardwareVersion = (CK_VERSION){0, 1};
    info->firmwareVersion = sigil_version_parse(m->fw_version);
    return CKR_OK;
}

static CK_FLAGS token_flags(uint32_t tf, uint32_t user_left, uint32_t so_left)
{
    CK_FLAGS f = CKF_RNG | CKF_LOGIN_REQUIRED;
    if (tf & SIGIL_TOKEN_INITIALIZED)
        f |= CKF_TOKEN_INITIALIZED;
    if (tf & SIGIL_TOKEN_USER_PIN_INITIALIZED)
        f |= CKF_USER_PIN_INITIALIZED;
    if (tf & SIGIL_TOKEN_USER_PIN_LOCKED)
        f |= CKF_USER_PIN_LOCKED;
    if (tf & SIGIL_TOKEN_SO_PIN_LOCKED)
        f |= CKF_SO_PIN_LOCKED;
    if (tf & SIGIL_TOKEN_USER_PIN_COUNT_LOW)
        f |= CKF_USER_PIN_COUNT_LOW;
    if (tf & SIGIL_TOKEN_SO_PIN_COUNT_LOW)
        f |= CKF_SO_PIN_COUNT_LOW;
    if ((tf & SIGIL_TOKEN_USER_PIN_INITIALIZED) && !(tf & SIGIL_TOKEN_USER_PIN_LOCKED) && user_left == 1)
        f |= CKF_USER_PIN_FINAL_TRY;
    if ((tf & SIGIL_TOKEN_INITIALIZED) && !(tf & SIGIL_TOKEN_SO_PIN_LOCKED) && so_left == 1)
        f |= CKF_SO_PIN_FINAL_TRY;
    return f;
}

#define SIGIL_TOKINFO_TTL_MS 1000u

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static CK_RV fetch_token_info(sigil_module *m, uint32_t slot, sigil_tokinfo *ti)
{
    uint8_t req[8];
    uint8_t resp[256];
    size_t n = 0;
    sigil_wr w;
    sigil_rd r;

    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, slot);
    CK_RV rv = sigil_wire_call(m, SIGIL_OP_TOKEN_INFO, &w, resp, sizeof(resp), &n);
    if (rv != CKR_OK)
        return rv;
    sigil_rd_init(&r, resp, n);
    ti->flags = sigil_rd_u32(&r);
    sigil_rd_str(&r, ti->label, SIGIL_LABEL_MAX_LEN);
    sigil_rd_str(&r, ti->serial, 16);
    (void)sigil_rd_u32(&r); /* object_count */
    (void)sigil_rd_u32(&r); /* login_state: the module keeps its own view */
    ti->user_left = sigil_rd_u32(&r);
    ti->so_left = sigil_rd_u32(&r);
    if (!sigil_rd_done(&r))
        return CKR_DEVICE_ERROR;
    ti->valid = true;
    ti->fetched_ms = now_ms();
    return CKR_OK;
}

CK_RV sigil_core_token_info(sigil_module *m, CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
    sigil_tokinfo ti;

    if (slot >= m->slot_count)
        return CKR_SLOT_ID_INVALID;
    sigil_module_lock(m);
    ti = m->slots[slot].tokinfo;
    sigil_module_unlock(m);
    if (!ti.valid || now_ms() - ti.fetched_ms >= SIGIL_TOKINFO_TTL_MS) {
        uint32_t gen = ti.gen;
        CK_RV rv = fetch_token_info(m, (uint32_t)slot, &ti);
        if (rv != CKR_OK)
            return rv;
        sigil_module_lock(m);
        if (m->slots[slot].tokinfo.gen == gen) /* not made stale while we asked */
            m->slots[slot].tokinfo = ti;
        sigil_module_unlock(m);
    }

    memset(info, 0, sizeof(*info));
    sigil_pad(info->label, sizeof(info->label), ti.label);
    sigil_pad(info->manufacturerID, sizeof(info->manufacturerID), "Sigil");
    sigil_pad(info->model, sizeof(info->model), "sigil-emu");
    sigil_pad(info->serialNumber, sizeof(info->serialNumber), ti.serial);
    info->flags = token_flags(ti.flags, ti.user_left, ti.so_left);
    info->ulMaxSessionCount = SIGIL_MAX_SESSIONS;
    info->ulMaxRwSessionCount = SIGIL_MAX_SESSIONS;
    info->ulMaxPinLen = SIGIL_PIN_MAX_LEN;
    info->ulMinPinLen = SIGIL_PIN_MIN_LEN;
    info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion = (CK_VERSION){0, 1};
    info->firmwareVersion = sigil_version_parse(m->fw_version);
    memset(info->utcTime, ' ', sizeof(info->utcTime));
    sigil_module_lock(m);
    info->ulSessionCount = m->slots[slot].sessions;
    info->ulRwSessionCount = m->slots[slot].rw_sessions;
    sigil_module_unlock(m);
    return CKR_OK;
}
