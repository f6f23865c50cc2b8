/* linux_platform.h — the emulator's platform: a state directory on a Linux file system. */
#ifndef SIGIL_LINUX_PLATFORM_H
#define SIGIL_LINUX_PLATFORM_H

#include <stddef.h>

#include "platform.h"

/* Opens (creating if needed, mode 0700) the state directory. Returns NULL with
 * errmsg filled on failure. Leftover temporary files of an interrupted write are
 * removed. */
sigil_platform *sigil_linux_platform_new(const char *state_dir, char *errmsg, size_t errlen);
void sigil_linux_platform_free(sigil_platform *p);

#endif
