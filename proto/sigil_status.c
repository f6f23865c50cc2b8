/* sigil_status.c — names and messages of the status list. */
#include "sigil_status.h"

const char *sigil_status_message(sigil_status st)
{
    switch (st) {
#define SIGIL_STATUS_MSG(name, num, msg) \
    case SIGIL_ST_##name:                \
        return msg;
        SIGIL_STATUS_LIST(SIGIL_STATUS_MSG)
#undef SIGIL_STATUS_MSG
    }
    return "unknown status";
}

const char *sigil_status_name(sigil_status st)
{
    switch (st) {
#define SIGIL_STATUS_NAME(name, num, msg) \
    case SIGIL_ST_##name:                 \
        return #name;
        SIGIL_STATUS_LIST(SIGIL_STATUS_NAME)
#undef SIGIL_STATUS_NAME
    }
    return "UNKNOWN";
}
