#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "verify/internal.h"

/* Room for one more finding: capacity doubles at powers of two. */
static int report_grow(sigil_verify_report_t *r)
{
	if ((r->finding_count & (r->finding_count - 1)) == 0) {
		size_t cap = r->finding_count ? r->finding_count * 2 : 16;
		sigil_verify_finding_t *p =
			realloc(r->findings, cap * sizeof(*p));
		if (p == NULL) {
			return SIGIL_ENOMEM;
		}
		r->findings = p;
	}
	return SIGIL_EOK;
}

static int report_vadd(vctx_t *v, sigil_finding_t code, sigil_severity_t sev,
                       const uint8_t *owner, uint16_t type, int tag, int alg,
                       const char *fmt, va_list ap)
{
	sigil_verify_report_t *r = v->rep;
	if (sev == SIGIL_SEV_ERROR) {
		r->errors++;
	} else {
		r->warnings++;
	}
	size_t max = v->opts->max_findings;
	if (max != 0 && r->finding_count >= max) {
		r->findings_dropped++;
		return SIGIL_EOK;
	}
	if (report_grow(r) != SIGIL_EOK) {
		return SIGIL_ENOMEM;
	}
	char owner_txt[SIGIL_DNAME_TXT_MAXLEN];
	char msg[1024];
	if (owner != NULL) {
		sigil_dname_to_str(owner_txt, owner);
	} else {
		owner_txt[0] = '\0';
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sigil_verify_finding_t *f = &r->findings[r->finding_count];
	f->code = code;
	f->severity = sev;
	f->owner = strdup(owner_txt);
	f->message = strdup(msg);
	f->type = type;
	f->key_tag = tag;
	f->alg = (int16_t)alg;
	if (f->owner == NULL || f->message == NULL) {
		free(f->owner);
		free(f->message);
		return SIGIL_ENOMEM;
	}
	r->finding_count++;
	return SIGIL_EOK;
}

int report_add(vctx_t *v, sigil_finding_t code, const uint8_t *owner,
               uint16_t type, int tag, int alg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = report_vadd(v, code, sigil_finding_severity(code), owner,
	                      type, tag, alg, fmt, ap);
	va_end(ap);
	return ret;
}

int report_add_sev(vctx_t *v, sigil_finding_t code, sigil_severity_t sev,
                   const uint8_t *owner, uint16_t type, int tag, int alg,
                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = report_vadd(v, code, sev, owner, type, tag, alg, fmt, ap);
	va_end(ap);
	return ret;
}

int report_append(vctx_t *v, sigil_verify_report_t *from)
{
	sigil_verify_report_t *r = v->rep;
	size_t max = v->opts->max_findings;
	int ret = SIGIL_EOK;

	r->errors += from->errors;
	r->warnings += from->warnings;
	r->findings_dropped += from->findings_dropped;
	for (size_t i = 0; i < from->finding_count; i++) {
		sigil_verify_finding_t *f = &from->findings[i];

		if (ret == SIGIL_EOK && max != 0 && r->finding_count >= max) {
			r->findings_dropped++;
		} else if (ret == SIGIL_EOK &&
		           (ret = report_grow(r)) == SIGIL_EOK) {
			r->findings[r->finding_count++] = *f;
			continue;
		}
		free(f->owner);
		free(f->message);
	}
	from->finding_count = 0;
	return ret;
}

void sigil_verify_report_free(sigil_verify_report_t *report)
{
	if (report == NULL) {
		return;
	}
	for (size_t i = 0; i < report->finding_count; i++) {
		free(report->findings[i].owner);
		free(report->findings[i].message);
	}
	free(report->findings);
	free(report->keys);
	free(report);
}
