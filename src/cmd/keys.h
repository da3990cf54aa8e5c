/* Internals shared by the files of the sigil keys command. */
#ifndef SIGIL_CMD_KEYS_H
#define SIGIL_CMD_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/name.h"

/* Canonical presentation form of zone ("example.") and its wire form, or
 * false when zone is not a domain name. */
bool keys_zone_canon(const char *zone, uint8_t wire[SIGIL_DNAME_MAXLEN],
                     char txt[SIGIL_DNAME_TXT_MAXLEN]);

/* s, or "unknown" when NULL (names of enum values from the database). */
const char *keys_name_or(const char *s);

/* sigil keys check [ZONE]: every zone of the key database when zone is
 * NULL.  Returns the exit status. */
int keys_check_run(const char *path, const char *zone, bool json);

#endif
