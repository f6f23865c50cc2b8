/* cred.c — PINs as stored: salted PBKDF2-HMAC-SHA256, compared in constant time. */
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_pin_len_ok(size_t len)
{
    return len >= SIGIL_PIN_MIN_LEN && len <= SIGIL_PIN_MAX_LEN ? SIGIL_ST_OK : SIGIL_ST_PIN_LEN_RANGE;
}

sigil_status fw_cred_make(fw_cred *c, const uint8_t *pin, size_t pin_len, uint32_t iterations,
                          uint32_t max_tries)
{
    sigil_status st = fw_pin_len_ok(pin_len);
    if (st != SIGIL_ST_OK)
        return st;
    memset(c, 0, sizeof(*c));
    st = sigil_crypto_random(c->salt, sizeof(c->salt));
    if (st != SIGIL_ST_OK)
        goto out;
    st = sigil_crypto_pbkdf2_sha256(pin, pin_len, c->salt, sizeof(c->salt), iterations, c->hash,
                                    sizeof(c->hash));
    if (st != SIGIL_ST_OK)
        goto out;
    c->set = true;
    c->iterations = iterations;
    c->max_tries = max_tries;
    c->tries_left = max_tries;
out:
    if (st != SIGIL_ST_OK)
        sigil_wipe(c, sizeof(*c));
    return st;
}

sigil_status fw_cred_matches(const fw_cred *c, const uint8_t *pin, size_t pin_len, bool *match)
{
    uint8_t h[FW_HASH_LEN];
    sigil_status st;

    *match = false;
    if (!c->set)
        return SIGIL_ST_USER_PIN_NOT_INITIALIZED;
    if (pin_len > SIGIL_PIN_MAX_LEN)
        return SIGIL_ST_PIN_LEN_RANGE;
    st = sigil_crypto_pbkdf2_sha256(pin, pin_len, c->salt, sizeof(c->salt), c->iterations, h,
                                    sizeof(h));
    if (st == SIGIL_ST_OK)
        *match = sigil_ct_equal(h, c->hash, sizeof(h));
    sigil_wipe(h, sizeof(h));
    return st;
}

void fw_cred_write(sigil_wr *w, const fw_cred *c)
{
    sigil_wr_u8(w, c->set ? 1 : 0);
    sigil_wr_bytes(w, c->salt, sizeof(c->salt));
    sigil_wr_bytes(w, c->hash, sizeof(c->hash));
    sigil_wr_u32(w, c->iterations);
    sigil_wr_u32(w, c->tries_left);
    sigil_wr_u32(w, c->max_tries);
    sigil_wr_u8(w, c->failed_since_success ? 1 : 0);
}

static void rd_fixed(sigil_rd *r, uint8_t *dst, size_t want)
{
    size_t n = 0;
    const uint8_t *p = sigil_rd_bytes(r, want, &n);
    if (p == NULL || n != want) {
        r->failed = true;
        return;
    }
    memcpy(dst, p, n);
}

void fw_cred_read(sigil_rd *r, fw_cred *c)
{
    memset(c, 0, sizeof(*c));
    c->set = sigil_rd_u8(r) != 0;
    rd_fixed(r, c->salt, sizeof(c->salt));
    rd_fixed(r, c->hash, sizeof(c->hash));
    c->iterations = sigil_rd_u32(r);
    c->tries_left = sigil_rd_u32(r);
    c->max_tries = sigil_rd_u32(r);
    c->failed_since_success = sigil_rd_u8(r) != 0;
    if (c->set && (c->iterations == 0 || c->tries_left > c->max_tries))
        r->failed = true;
}

sigil_status fw_cred_check(sigil_fw *fw, fw_cred *c, const uint8_t *pin, size_t pin_len,
                           fw_cred_save_fn save, void *save_ctx, pthread_mutex_t *lock, pthread_cond_t *cond)
{
    fw_cred before, snapshot;
    bool match = false;
    sigil_status st;

    /* Tries spent by checks still in flight are not failures yet (a right PIN among them
     * gives them back): wait for their outcome rather than answer PIN_LOCKED now. */
    while (c->set && c->tries_left == 0 && c->checking > 0)
        pthread_cond_wait(cond, lock);
    before = *c;
    if (!c->set)
        return SIGIL_ST_USER_PIN_NOT_INITIALIZED;
    if (c->tries_left == 0)
        return SIGIL_ST_PIN_LOCKED;
    st = fw_pin_len_ok(pin_len);
    if (st != SIGIL_ST_OK)
        return st;

    c->tries_left--;
    c->failed_since_success = true;
    st = save(fw, save_ctx);
    if (st != SIGIL_ST_OK) {
        *c = before; /* nothing was checked, nothing is spent */
        goto out;
    }
    /* The KDF runs without the lock; the try is already spent in storage. */
    snapshot = *c;
    c->checking++;
    pthread_mutex_unlock(lock);
    st = fw_cred_matches(&snapshot, pin, pin_len, &match);
    pthread_mutex_lock(lock);
    if (c->checking > 0) /* (a zeroisation meanwhile wiped the credential) */
        c->checking--;
    pthread_cond_broadcast(cond);
    /* Replaced meanwhile (a new PIN set): this PIN was checked against the old one. */
    if (st == SIGIL_ST_OK && match && !sigil_ct_equal(snapshot.salt, c->salt, sizeof(c->salt)))
        match = false;
    sigil_wipe(&snapshot, sizeof(snapshot));
    if (st != SIGIL_ST_OK)
        goto out;
    if (!match) {
        st = c->tries_left == 0 ? SIGIL_ST_PIN_LOCKED : SIGIL_ST_PIN_INCORRECT;
        goto out;
    }
    /* A right PIN restores the counter, also when other attempts checked meanwhile spent
     * it (a wrong one among them was spent before it was checked, as always). */
    c->tries_left = c->max_tries;
    c->failed_since_success = false;
    /* If this write fails the counter stays spent: the safe direction. */
    (void)save(fw, save_ctx);
    st = SIGIL_ST_OK;
out:
    sigil_wipe(&before, sizeof(before));
    return st;
}

sigil_status fw_cred_replace(sigil_fw *fw, fw_cred *c, fw_cred *fresh, fw_cred_save_fn save, void *save_ctx)
{
    fw_cred old = *c;
    *c = *fresh;
    c->checking = old.checking; /* checks of the old PIN still in flight */
    sigil_status st = save(fw, save_ctx);
    if (st != SIGIL_ST_OK)
        *c = old; /* nothing changed */
    sigil_wipe(&old, sizeof(old));
    sigil_wipe(fresh, sizeof(*fresh));
    return st;
}
