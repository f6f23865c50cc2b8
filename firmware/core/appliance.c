/* appliance.c — the appliance record: initialised flag, administrator and auditor
 * credentials, handle counter, slot count, and how long the audit trail was at least at
 * its last durable checkpoint. Persisted sealed as "appliance": its loss or damage stops
 * the start-up, so it vouches for the trail's length. */
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define APPLIANCE_NAME "appliance"
#define APPLIANCE_RECORD_VERSION 4u /* 3: without audit_vouched (read, upgraded on the next save) */

sigil_status fw_appliance_save_locked(sigil_fw *fw)
{
    uint8_t buf[512];
    sigil_wr w;
    sigil_status st;

    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u32(&w, APPLIANCE_RECORD_VERSION);
    sigil_wr_u8(&w, fw->initialised ? 1 : 0);
    fw_cred_write(&w, &fw->admin);
    fw_cred_write(&w, &fw->auditor);
    sigil_wr_u32(&w, fw->next_handle);
    sigil_wr_u32(&w, fw->cfg.slot_count);
    sigil_wr_u8(&w, fw->token_init_open ? 1 : 0);
    sigil_wr_u64(&w, fw->audit_vouched);
    st = sigil_wr_ok(&w) ? fw_sealed_write(fw, APPLIANCE_NAME, buf, w.len) : SIGIL_ST_GENERAL_ERROR;
    sigil_wipe(buf, sizeof(buf));
    return st;
}

sigil_status fw_appliance_load(sigil_fw *fw)
{
    uint8_t buf[512];
    size_t len = 0;
    sigil_rd r;
    sigil_status st = fw_sealed_read(fw, APPLIANCE_NAME, buf, sizeof(buf), &len);

    if (st == SIGIL_ST_OBJECT_INVALID) {
        /* First start: a factory-fresh appliance. */
        fw->initialised = false;
        fw->next_handle = 1;
        fw->token_init_open = true; /* a standard C_InitToken works until the administrator closes it */
        return fw_appliance_save_locked(fw);
    }
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_rd_init(&r, buf, len);
    uint32_t version = sigil_rd_u32(&r);
    fw->initialised = sigil_rd_u8(&r) != 0;
    fw_cred_read(&r, &fw->admin);
    fw_cred_read(&r, &fw->auditor);
    fw->next_handle = sigil_rd_u32(&r);
    uint32_t slots = sigil_rd_u32(&r);
    fw->token_init_open = sigil_rd_u8(&r) != 0;
    fw->audit_vouched = version >= 4u ? sigil_rd_u64(&r) : 0;
    if (!sigil_rd_done(&r) || version < 3u || version > APPLIANCE_RECORD_VERSION || fw->next_handle == 0 ||
        slots == 0 || slots > SIGIL_FW_MAX_SLOTS) {
        st = SIGIL_ST_INTEGRITY_FAILURE;
        goto out;
    }
    /* Slots are never renumbered: the count only grows. */
    if (slots > fw->cfg.slot_count)
        fw->cfg.slot_count = slots;
    else if (slots < fw->cfg.slot_count)
        st = fw_appliance_save_locked(fw);
out:
    sigil_wipe(buf, sizeof(buf));
    return st;
}

sigil_status fw_handles_reserve(sigil_fw *fw, uint32_t n, uint32_t *first)
{
    sigil_status st;

    pthread_mutex_lock(&fw->appl_lock);
    if (fw->next_handle > UINT32_MAX - n) {
        st = SIGIL_ST_OBJECT_LIMIT;
        goto out;
    }
    *first = fw->next_handle;
    fw->next_handle += n;
    /* Persist before use: a crash skips handles, never reuses one. */
    st = fw_appliance_save_locked(fw);
    if (st != SIGIL_ST_OK)
        fw->next_handle -= n;
out:
    pthread_mutex_unlock(&fw->appl_lock);
    return st;
}

sigil_status fw_appliance_vouch_audit(sigil_fw *fw, uint64_t records)
{
    pthread_mutex_lock(&fw->appl_lock);
    uint64_t old = fw->audit_vouched;
    sigil_status st = SIGIL_ST_OK;
    if (records > old) {
        fw->audit_vouched = records;
        st = fw_appliance_save_locked(fw);
        if (st != SIGIL_ST_OK)
            fw->audit_vouched = old;
    }
    pthread_mutex_unlock(&fw->appl_lock);
    return st;
}
