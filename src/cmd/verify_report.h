/* Rendering of a validation report for people (text) and machines (JSON). */
#ifndef SIGIL_CMD_VERIFY_REPORT_H
#define SIGIL_CMD_VERIFY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "verify/verify.h"

void verify_report_text(FILE *out, const sigil_verify_report_t *r,
                        const char *path, bool quiet);
void verify_report_json(FILE *out, const sigil_verify_report_t *r,
                        const char *path);

#endif
