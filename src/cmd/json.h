/* JSON output helpers shared by the commands' --json reports. */
#ifndef SIGIL_CMD_JSON_H
#define SIGIL_CMD_JSON_H

#include <stdio.h>

/* Writes s as a JSON string: quotes, backslashes and bytes outside
 * printable ASCII escaped. */
void cmd_json_str(FILE *out, const char *s);

#endif
