/* The validator's ZONEMD check (verify/zonemd.c, RFC 8976 §4) on the
 * example zones of RFC 8976 Appendix A: their digests verify; a changed
 * record, a changed serial and an unknown hash algorithm are reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tap.h"
#include "util/error.h"
#include "verify/verify.h"

static char *src_path(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("SIGIL_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/%s", dir && *dir ? dir : ".", rel);
	return buf;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc(len + 1)) == NULL ||
	    fread(buf, 1, len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	if (f != NULL) {
		fclose(f);
	}
	return buf;
}

/* Findings of code in the report of file, or -1 when it did not load. */
static int count(const char *file, const char *origin, sigil_finding_t code)
{
	sigil_verify_opts_t o = {
		.origin = origin, .now = 1600000000, .threads = 2};
	sigil_verify_report_t *r = NULL;
	sigil_load_error_t err;
	int n = 0;

	if (sigil_verify_file(file, &o, &r, &err) != SIGIL_EOK) {
		diag("%s:%llu: %s", err.file, (unsigned long long)err.line,
		     err.message);
		return -1;
	}
	for (size_t i = 0; i < r->finding_count; i++) {
		n += r->findings[i].code == code;
	}
	sigil_verify_report_free(r);
	return n;
}

/* A copy of the zone file rel with the first from replaced by to. */
static const char *mutate(const char *rel, const char *from, const char *to)
{
	static char path[] = "/tmp/sigil-zonemd-XXXXXX";
	char *text = slurp(src_path(rel)), *at;
	int fd;
	FILE *f;

	memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
	fd = mkstemp(path);
	if (text == NULL || fd < 0 || (at = strstr(text, from)) == NULL ||
	    (f = fdopen(fd, "w")) == NULL) {
		free(text);
		return NULL;
	}
	fwrite(text, 1, at - text, f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	fclose(f);
	free(text);
	return path;
}

int main(void)
{
	/* Relative names in the RFC's text are relative to the zone. */
	static const struct {
		const char *file, *origin;
	} zones[] = {
		{"tests/data/rfc8976-a1.zone", "example."},
		{"tests/data/rfc8976-a2.zone", "example."},
		{"tests/data/rfc8976-a3.zone", "example."},
		{"tests/data/rfc8976-a4.zone", "uri.arpa."},
	};
	const char *m;

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		const char *f = src_path(zones[i].file);

		is_int(count(f, zones[i].origin, SIGIL_F_ZONEMD_DIGEST), 0,
		       "%s: the digest verifies", zones[i].file);
		is_int(count(f, zones[i].origin, SIGIL_F_ZONEMD_SERIAL), 0,
		       "%s: the serial is the SOA's", zones[i].file);
	}
	/* A.1: one record's data changed. */
	m = mutate("tests/data/rfc8976-a1.zone", "203.0.113.63",
	           "203.0.113.64");
	if (ok(m != NULL, "A.1 with an address changed")) {
		is_int(count(m, "example.", SIGIL_F_ZONEMD_DIGEST), 1,
		       "  zonemd-digest");
		unlink(m);
	}
	/* A.1: the SOA serial changed under the ZONEMD. */
	m = mutate("tests/data/rfc8976-a1.zone", "2018031900", "2018031901");
	if (ok(m != NULL, "A.1 with the SOA serial changed")) {
		is_int(count(m, "example.", SIGIL_F_ZONEMD_SERIAL), 1,
		       "  zonemd-serial");
		unlink(m);
	}
	/* An unknown hash algorithm: a warning, no error. */
	m = mutate("tests/data/rfc8976-a1.zone", "2018031900 1 1 (",
	           "2018031900 1 240 (");
	if (ok(m != NULL, "A.1 with hash algorithm 240")) {
		is_int(count(m, "example.", SIGIL_F_ZONEMD_UNSUPPORTED), 1,
		       "  zonemd-unsupported");
		is_int(count(m, "example.", SIGIL_F_ZONEMD_DIGEST), 0,
		       "  no zonemd-digest");
		unlink(m);
	}
	return done_testing();
}
