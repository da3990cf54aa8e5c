/* The validator's CDS and CDNSKEY checks (verify/cds.c, RFC 7344, RFC
 * 8078) with the DNSKEY and DS of RFC 4034 §5.4 (and its SHA-256 DS from
 * RFC 4509 §2.3): a CDS equal to those DS
 * and a CDNSKEY equal to that DNSKEY pass; a CDS or CDNSKEY naming a key
 * the zone does not publish, a delete request beside other records and an
 * unknown digest type are reported; the delete requests alone are not.
 * Only the findings of these checks are counted (the zone is unsigned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tap.h"
#include "util/error.h"
#include "verify/verify.h"

#define KEY                                                                    \
	"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxe" \
	"YCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2" \
	"wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=="
#define DS "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"

/* Findings of code for the zone text extra appended to the
 * RFC 4034 §5.4 apex; -1 when it did not load. */
static int count(const char *extra, sigil_finding_t code)
{
	char path[] = "/tmp/sigil-cds-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	sigil_verify_opts_t o = {.now = 1600000000, .threads = 2};
	sigil_verify_report_t *r = NULL;
	sigil_load_error_t err;
	int n = 0;

	if (f == NULL) {
		return -1;
	}
	fprintf(f,
	        "$ORIGIN dskey.example.com.\n$TTL 86400\n"
	        "@ SOA ns hm 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n"
	        "@ DNSKEY 256 3 5 %s\n%s",
	        KEY, extra);
	fclose(f);
	if (sigil_verify_file(path, &o, &r, &err) != SIGIL_EOK) {
		diag("%s:%llu: %s", err.file, (unsigned long long)err.line,
		     err.message);
		unlink(path);
		return -1;
	}
	for (size_t i = 0; i < r->finding_count; i++) {
		n += r->findings[i].code == code;
	}
	sigil_verify_report_free(r);
	unlink(path);
	return n;
}

int main(void)
{
	const char *good = "@ CDS " DS "\n@ CDNSKEY 256 3 5 " KEY "\n";

	is_int(count(good, SIGIL_F_CDS_NO_KEY), 0,
	       "CDS equal to the RFC 4034 5.4 DS: no cds-no-key");
	is_int(count(good, SIGIL_F_CDNSKEY_NO_KEY), 0,
	       "CDNSKEY equal to the DNSKEY: no cdnskey-no-key");
	is_int(count("@ CDS 60485 5 2 "
	             "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4"
	             "469DA50A\n",
	             SIGIL_F_CDS_NO_KEY),
	       0, "CDS with the SHA-256 digest of the key: no finding");
	is_int(count("@ CDS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A29211"
	             "9\n",
	             SIGIL_F_CDS_NO_KEY),
	       1, "CDS with a wrong digest: cds-no-key");
	is_int(count("@ CDS 60486 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"
	             "\n",
	             SIGIL_F_CDS_NO_KEY),
	       1, "CDS with another key tag: cds-no-key");
	is_int(count(good, SIGIL_F_CDS_DELETE_MIXED), 0,
	       "no delete request: no cds-delete-mixed");
	is_int(count("@ CDNSKEY 257 3 5 " KEY "\n", SIGIL_F_CDNSKEY_NO_KEY), 1,
	       "CDNSKEY with other flags than the DNSKEY: cdnskey-no-key");
	is_int(count("@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n",
	             SIGIL_F_CDS_DELETE_MIXED),
	       0, "delete requests alone: no cds-delete-mixed");
	is_int(count("@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n",
	             SIGIL_F_CDS_NO_KEY),
	       0, "delete request CDS: not taken for a key");
	is_int(count("@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n",
	             SIGIL_F_CDNSKEY_NO_KEY),
	       0, "delete request CDNSKEY: not taken for a key");
	is_int(count("@ CDS 0 0 0 00\n@ CDS " DS "\n",
	             SIGIL_F_CDS_DELETE_MIXED),
	       1, "CDS delete request beside a CDS: cds-delete-mixed");
	is_int(count("@ CDNSKEY 0 3 0 AA==\n@ CDNSKEY 256 3 5 " KEY "\n",
	             SIGIL_F_CDS_DELETE_MIXED),
	       1, "CDNSKEY delete request beside a CDNSKEY: cds-delete-mixed");
	is_int(count("@ CDS 60485 5 99 00112233\n",
	             SIGIL_F_DS_DIGEST_UNSUPPORTED),
	       1, "CDS with an unknown digest type: ds-digest-unsupported");
	is_int(count("@ CDS 60485 5 99 00112233\n", SIGIL_F_CDS_NO_KEY), 0,
	       "CDS with an unknown digest type: not cds-no-key");
	return done_testing();
}
