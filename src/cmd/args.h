/* Option values shared by the commands.  Each returns 0, or -1 when s is
 * not a valid value (nothing is stored then). */
#ifndef SIGIL_CMD_ARGS_H
#define SIGIL_CMD_ARGS_H

#include <stdint.h>

/* YYYYMMDDHHMMSS in UTC, or seconds since the epoch. */
int cmd_parse_time(const char *s, uint64_t *out);

/* A number of seconds with an optional unit s, m, h, d or w ("14d"). */
int cmd_parse_duration(const char *s, uint32_t *out);

/* A decimal number from 0 to max. */
int cmd_parse_count(const char *s, unsigned long max, unsigned long *out);

#endif
