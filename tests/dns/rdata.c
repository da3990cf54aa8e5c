/* Canonical RDATA form (RFC 4034 §6.2, RFC 6840 §5.1), RDATA order and
 * type names. */
#include <stdint.h>

#include "dns/name.h"
#include "dns/rdata.h"
#include "lib/tap.h"
#include "util/error.h"

/* RDATA from a hex string; returns the length. */
static size_t hex(uint8_t *out, const char *h)
{
	return tap_hex(h, out, 1024);
}

/* Canonicalizes in into a separate buffer and in place; both must give
 * want (hex) and the input must be left alone in the first case. */
static void canon_case(uint16_t type, const char *in_hex, const char *want_hex,
                       const char *what)
{
	uint8_t in[1024], orig[1024], out[1024], want[1024];
	size_t len = hex(in, in_hex), wlen = hex(want, want_hex);
	int r1, r2;

	memcpy(orig, in, len);
	r1 = sigil_rdata_canonicalize(type, out, in, len);
	ok(r1 == SIGIL_EOK && wlen == len && memcmp(out, want, len) == 0 &&
	           memcmp(in, orig, len) == 0,
	   "%s", what);
	r2 = sigil_rdata_canonicalize(type, in, in, len);
	ok(r2 == SIGIL_EOK && memcmp(in, want, len) == 0, "%s (in place)",
	   what);
}

static void bad_case(uint16_t type, const char *in_hex, const char *what)
{
	uint8_t in[1024], out[1024];
	size_t len = hex(in, in_hex);

	is_int(sigil_rdata_canonicalize(type, out, in, len), SIGIL_EMALFORMED,
	       "%s", what);
}

/* "EXAMPLE" / "example" and friends, in hex, for readability */
#define MAIL_UP "04 4d41494c"      /* MAIL */
#define MAIL "04 6d61696c"         /* mail */
#define EX_UP "07 4558414d504c45"  /* EXAMPLE */
#define EX_MIX "07 4578614d706c65" /* ExaMple */
#define EX "07 6578616d706c65"     /* example */
#define COM_UP "03 434f4d"         /* COM */
#define COM "03 636f6d"            /* com */

static void test_canonical(void)
{
	canon_case(15, "000a" MAIL_UP EX_MIX COM_UP "00",
	           "000a" MAIL EX COM "00", "MX target is lowercased");
	canon_case(2, MAIL_UP EX_UP "00", MAIL EX "00", "NS is lowercased");
	canon_case(5, MAIL_UP EX "00", MAIL EX "00", "CNAME is lowercased");
	canon_case(12, MAIL_UP EX "00", MAIL EX "00", "PTR is lowercased");
	canon_case(39, EX_UP COM_UP "00", EX COM "00", "DNAME is lowercased");
	canon_case(3, EX_UP "00", EX "00", "MD is lowercased");
	canon_case(4, EX_UP "00", EX "00", "MF is lowercased");
	canon_case(7, EX_UP "00", EX "00", "MB is lowercased");
	canon_case(8, EX_UP "00", EX "00", "MG is lowercased");
	canon_case(9, EX_UP "00", EX "00", "MR is lowercased");
	/* SOA: both names; 'A' bytes (0x41) in the numbers stay */
	canon_case(6,
	           MAIL_UP EX_UP "00" EX_MIX "00"
	                         "41414141 41414141 41414141 41414141 41414141",
	           MAIL EX "00" EX "00"
	                   "41414141 41414141 41414141 41414141 41414141",
	           "SOA names are lowercased, numbers untouched");
	canon_case(14, MAIL_UP "00" EX_UP "00", MAIL "00" EX "00",
	           "MINFO names are lowercased");
	canon_case(17, MAIL_UP "00" EX_UP "00", MAIL "00" EX "00",
	           "RP names are lowercased");
	canon_case(18, "4142" EX_UP "00", "4142" EX "00",
	           "AFSDB host is lowercased");
	canon_case(21, "4142" EX_UP "00", "4142" EX "00",
	           "RT host is lowercased");
	canon_case(36, "4142" EX_UP "00", "4142" EX "00",
	           "KX exchanger is lowercased");
	canon_case(26, "4142" EX_UP "00" MAIL_UP "00", "4142" EX "00" MAIL "00",
	           "PX names are lowercased");
	canon_case(33, "4142 4344 4546" EX_UP "00", "4142 4344 4546" EX "00",
	           "SRV target is lowercased");
	/* NAPTR 10 100 "U" "E2U+sip" "!^.*$!sip:A@B!" EXAMPLE. */
	canon_case(35,
	           "000a 0064 01 55 07 4532552b736970"
	           "0e 215e2e2a2421736970 3a 41 40 42 21" EX_UP "00",
	           "000a 0064 01 55 07 4532552b736970"
	           "0e 215e2e2a2421736970 3a 41 40 42 21" EX "00",
	           "NAPTR replacement lowercased, strings untouched");
	/* RRSIG: signer lowercased, signature bytes ('A'...) untouched */
	canon_case(46,
	           "0001 0d 02 00000e10 00000002 00000001 1234" EX_UP "00"
	           "41424344454647",
	           "0001 0d 02 00000e10 00000002 00000001 1234" EX "00"
	           "41424344454647",
	           "RRSIG signer is lowercased, signature untouched");
	canon_case(24,
	           "0001 0d 02 00000e10 00000002 00000001 1234" EX_UP "00"
	           "41",
	           "0001 0d 02 00000e10 00000002 00000001 1234" EX "00"
	           "41",
	           "SIG signer is lowercased");
	canon_case(30, EX_UP "00 4142", EX "00 4142",
	           "NXT next name lowercased, bitmap untouched");
	/* A6: prefix 0 has no name; prefix 64 has an 8-byte suffix + name */
	canon_case(38, "00 41414141414141414141414141414141",
	           "00 41414141414141414141414141414141", "A6 without prefix");
	canon_case(38, "40 4141414141414141" EX_UP "00",
	           "40 4141414141414141" EX "00", "A6 prefix name lowercased");

	/* not lowercased */
	canon_case(47, MAIL_UP EX_UP "00 000640", MAIL_UP EX_UP "00 000640",
	           "NSEC next name is NOT lowercased (RFC 6840 §5.1)");
	canon_case(13, "03 414243 03 444546", "03 414243 03 444546",
	           "HINFO is untouched");
	canon_case(16, "05 48454c4c4f", "05 48454c4c4f", "TXT is untouched");
	canon_case(65280, MAIL_UP EX_UP "00", MAIL_UP EX_UP "00",
	           "unknown type 65280 is untouched (RFC 3597)");
	canon_case(64, "0001" EX_UP "00", "0001" EX_UP "00",
	           "SVCB target is untouched (not in RFC 4034 §6.2)");
	canon_case(1, "c0000201", "c0000201", "A is untouched");
	canon_case(2, "00", "00", "NS of the root");
	canon_case(65280, "", "", "empty unknown RDATA");

	bad_case(15, "000a" MAIL EX "00 ff", "MX with trailing bytes");
	bad_case(15, "000a" MAIL EX, "MX with a truncated name");
	bad_case(15, "00", "MX shorter than its preference");
	bad_case(2, "", "empty NS");
	bad_case(2, "c00c", "NS with a compression pointer");
	bad_case(6, MAIL EX "00" EX "00 00000001", "SOA with short numbers");
	bad_case(35, "000a 0064 01 55 07 4532", "NAPTR string past the end");
	bad_case(35, "000a 0064 01 55 00 00", "NAPTR without replacement");
	bad_case(46, "0001 0d 02 00000e10", "RRSIG shorter than 18 bytes");
	bad_case(38, "81 00", "A6 prefix length over 128");
	bad_case(38, "40 41414141", "A6 suffix past the end");
	bad_case(38, "40 4141414141414141", "A6 without its prefix name");
	{
		uint8_t big[SIGIL_RDATA_MAXLEN + 1] = {0};

		is_int(sigil_rdata_canonicalize(65280, big, big, sizeof(big)),
		       SIGIL_EMALFORMED, "RDATA over 65535 bytes");
	}
}

static void test_has_names(void)
{
	static const uint16_t yes[] = {2,  3,  4,  5,  6,  7,  8,  9,
	                               12, 14, 15, 17, 18, 21, 24, 26,
	                               30, 33, 35, 36, 38, 39, 46};
	static const uint16_t no[] = {1,  13, 16, 28, 43, 47,    48, 50,
	                              51, 52, 64, 65, 99, 65280, 0};
	int bad = 0;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		bad += !sigil_rdata_has_canon_names(yes[i]);
	}
	is_int(bad, 0, "the 23 types of RFC 4034 §6.2 item 3 (less NSEC)");
	bad = 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		bad += sigil_rdata_has_canon_names(no[i]);
	}
	is_int(bad, 0, "NSEC, HINFO, unknown and name-free types have none");
}

static void test_cmp(void)
{
	static const uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 4}, c[] = {1, 2},
			     hi[] = {0x80}, lo[] = {0x7f};

	ok(sigil_rdata_cmp(a, 3, b, 3) < 0 && sigil_rdata_cmp(b, 3, a, 3) > 0,
	   "octet order");
	is_int(sigil_rdata_cmp(a, 3, a, 3), 0, "equal");
	ok(sigil_rdata_cmp(c, 2, a, 3) < 0 && sigil_rdata_cmp(a, 3, c, 2) > 0,
	   "a prefix sorts first");
	ok(sigil_rdata_cmp(lo, 1, hi, 1) < 0, "octets compare unsigned");
	ok(sigil_rdata_cmp(NULL, 0, a, 3) < 0 &&
	           sigil_rdata_cmp(NULL, 0, NULL, 0) == 0,
	   "empty RDATA sorts first");
}

static void test_names(void)
{
	char buf[16];

	is_str(sigil_rrtype_name(1, buf), "A", "type 1 is A");
	is_str(sigil_rrtype_name(2, buf), "NS", "type 2 is NS");
	is_str(sigil_rrtype_name(46, buf), "RRSIG", "type 46 is RRSIG");
	is_str(sigil_rrtype_name(50, buf), "NSEC3", "type 50 is NSEC3");
	is_str(sigil_rrtype_name(51, buf), "NSEC3PARAM",
	       "type 51 is NSEC3PARAM");
	is_str(sigil_rrtype_name(63, buf), "ZONEMD", "type 63 is ZONEMD");
	is_str(sigil_rrtype_name(38, buf), "TYPE38",
	       "type 38 (A6) in RFC 3597 form, as libzscanner reads it");
	is_str(sigil_rrtype_name(65534, buf), "TYPE65534", "type 65534");
	is_str(sigil_rrtype_name(0, buf), "TYPE0", "type 0");
	ok(sigil_rrtype_name(3, buf) == buf, "returns its buffer");
}

int main(void)
{
	test_has_names();
	test_canonical();
	test_cmp();
	test_names();
	return done_testing();
}
