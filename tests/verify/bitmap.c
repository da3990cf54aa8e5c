/* NSEC/NSEC3 type bitmaps (RFC 4034 4.1.2) and finding codes. */
#include "lib/tap.h"
#include "verify/internal.h"

int main(void)
{
	/* RFC 4034 4.3: "A MX RRSIG NSEC TYPE1234" */
	uint8_t bm[64];
	/* window 0: A MX RRSIG NSEC; window 4, 27 bytes: bit 210 is 1234 */
	size_t n = tap_hex("00 06 40 01 00 00 00 03 04 1b"
	                   "00 00 00 00 00 00 00 00 00 00 00 00 00 "
	                   "00 00 00 00 00 00 00 00 00 00 00 00 00 20",
	                   bm, sizeof(bm));
	uint16_t t[TYPELIST_MAX];
	int c = bitmap_decode(bm, n, t, TYPELIST_MAX);
	is_int(c, 5, "RFC 4034 4.3 example decodes to 5 types");
	ok(c == 5 && t[0] == 1 && t[1] == 15 && t[2] == 46 && t[3] == 47 &&
	           t[4] == 1234,
	   "A MX RRSIG NSEC TYPE1234");
	char txt[128];
	typelist_str(txt, sizeof(txt), t, (size_t)c);
	is_str(txt, "A MX RRSIG NSEC TYPE1234", "text form");
	is_int(bitmap_decode(bm, 0, t, TYPELIST_MAX), 0, "empty bitmap");
	uint8_t bad_order[] = {4, 1, 0x80, 0, 1, 0x40};
	is_int(bitmap_decode(bad_order, sizeof(bad_order), t, TYPELIST_MAX), -1,
	       "windows out of order rejected");
	uint8_t zero_len[] = {0, 0};
	is_int(bitmap_decode(zero_len, 2, t, TYPELIST_MAX), -1,
	       "zero-length window rejected");
	uint8_t too_long[] = {0, 33};
	is_int(bitmap_decode(too_long, 2, t, TYPELIST_MAX), -1,
	       "window longer than 32 rejected");
	uint8_t truncated[] = {0, 4, 0x40};
	is_int(bitmap_decode(truncated, 3, t, TYPELIST_MAX), -1,
	       "truncated window rejected");

	int unique = 1;
	for (int i = 0; i < SIGIL_F__COUNT; i++) {
		const char *ci = sigil_finding_code((sigil_finding_t)i);
		unique &= ci != NULL && strcmp(ci, "unknown") != 0;
		for (int j = i + 1; j < SIGIL_F__COUNT; j++) {
			unique &= strcmp(ci, sigil_finding_code(
						     (sigil_finding_t)j)) != 0;
		}
	}
	ok(unique, "every finding has a distinct code");
	ok(sigil_finding_severity(SIGIL_F_SIG_BOGUS) == SIGIL_SEV_ERROR,
	   "sig-bogus is an error");
	ok(sigil_finding_severity(SIGIL_F_DNSKEY_TAG_COLLISION) ==
	           SIGIL_SEV_WARNING,
	   "a key tag collision is a warning");
	return done_testing();
}
