/* address.c — where the appliance is: $SIGIL_APPLIANCE, else the "appliance = ADDR" line of
 * $SIGIL_PKCS11_CONF, else of /etc/sigil/pkcs11.conf. Lines starting with '#' are comments. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigil_client.h"

#define SIGIL_DEFAULT_CONF "/etc/sigil/pkcs11.conf"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* 1 found, 0 file has no appliance line, -1 cannot read (errno kept in *err). */
static int conf_lookup(const char *file, char *addr, size_t cap, int *err)
{
    char line[1024];
    int found = 0;
    FILE *f = fopen(file, "re");
    if (f == NULL) {
        *err = errno;
        return -1;
    }
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *s = trim(line);
        if (*s == '#' || *s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        char *key = trim(s);
        char *val = trim(eq + 1);
        if (strcmp(key, "appliance") != 0 || *val == '\0')
            continue;
        if (strlen(val) >= cap)
            continue;
        memcpy(addr, val, strlen(val) + 1);
        found = 1;
    }
    fclose(f);
    return found;
}

int sigil_client_find_address(char *addr, size_t cap, char *errmsg, size_t errlen)
{
    int err = 0;
    const char *env = getenv("SIGIL_APPLIANCE");
    if (env != NULL && *env != '\0') {
        if (strlen(env) >= cap) {
            snprintf(errmsg, errlen, "SIGIL_APPLIANCE is too long");
            return -1;
        }
        memcpy(addr, env, strlen(env) + 1);
        return 0;
    }
    const char *conf = getenv("SIGIL_PKCS11_CONF");
    if (conf != NULL && *conf != '\0') {
        int rc = conf_lookup(conf, addr, cap, &err);
        if (rc == 1)
            return 0;
        if (rc < 0)
            snprintf(errmsg, errlen,
                     "no appliance configured: SIGIL_APPLIANCE is not set and SIGIL_PKCS11_CONF=%s "
                     "cannot be read (%s)",
                     conf, strerror(err));
        else
            snprintf(errmsg, errlen,
                     "no appliance configured: SIGIL_APPLIANCE is not set and %s has no "
                     "'appliance = unix:PATH' line",
                     conf);
        return -1;
    }
    int rc = conf_lookup(SIGIL_DEFAULT_CONF, addr, cap, &err);
    if (rc == 1)
        return 0;
    snprintf(errmsg, errlen,
             "no appliance configured: set SIGIL_APPLIANCE=unix:PATH, or SIGIL_PKCS11_CONF to a file "
             "with an 'appliance = unix:PATH' line, or write that line to " SIGIL_DEFAULT_CONF
             " (%s)",
             rc < 0 ? strerror(err) : "it has no such line");
    return -1;
}
