/* ZONEMD (RFC 8976): the known answers of Appendix A, independence from
 * the order of the input, what is and is not digested, the placeholder
 * and its update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/load.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "dns/zonemd.h"
#include "util/error.h"

/* RFC 8976 A.1 and A.2, SHA-384 (also in the zone files, but written here
 * too so that a damaged data file cannot pass). */
static const char a1_digest[] =
	"c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3"
	"a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c";
static const char a2_digest[] =
	"a3b69bad980a3504e1cffcb0fd6397f93848071c93151f55"
	"2ae2f6b1711d4bd2d8b39808226d7b9db71e34b72077f8fe";

/* The records of A.2, one a line, for reordering. */
static const char *const a2_records[] = {
	"example. 86400 IN SOA ns1 admin 2018031900 1800 900 604800 86400",
	"example. 86400 IN NS ns1",
	"example. 86400 IN NS ns2",
	"example. 86400 IN ZONEMD 2018031900 1 1 "
	"a3b69bad980a3504e1cffcb0fd6397f93848071c93151f55"
	"2ae2f6b1711d4bd2d8b39808226d7b9db71e34b72077f8fe",
	"ns1 3600 IN A 203.0.113.63",
	"NS2 3600 IN AAAA 2001:db8::63",
	"occluded.sub 7200 IN TXT \"I'm occluded but must be digested\"",
	"sub 7200 IN NS ns1",
	"duplicate 300 IN TXT \"I must be digested just once\"",
	"duplicate 300 IN TXT \"I must be digested just once\"",
	"foo.test. 555 IN TXT \"out-of-zone data must be excluded\"",
	"UPPERCASE 3600 IN TXT \"canonicalize uppercase owner names\"",
	"* 777 IN PTR dont-forget-about-wildcards",
	"mail 3600 IN MX 20 MAIL1",
	"mail 3600 IN MX 10 Mail2.Example.",
	"sortme 3600 IN AAAA 2001:db8::5:61",
	"sortme 3600 IN AAAA 2001:db8::3:62",
	"sortme 3600 IN AAAA 2001:db8::4:63",
	"sortme 3600 IN AAAA 2001:db8::1:65",
	"sortme 3600 IN AAAA 2001:db8::2:64",
	"non-apex 900 IN ZONEMD 2018031900 1 1 "
	"616c6c6f776564206275742069676e6f7265642e20616c6c"
	"6f776564206275742069676e6f7265642e20616c6c6f7765",
};
#define A2_COUNT (sizeof(a2_records) / sizeof(a2_records[0]))

static sigil_zone_t *load_path(const char *path, const char *origin)
{
	sigil_zone_t *z = sigil_zone_new();
	sigil_load_error_t err;
	sigil_load_opts_t opts = {.origin = origin};

	if (z == NULL) {
		abort();
	}
	int ret = sigil_zone_load(z, path, &opts, &err);
	if (ret != SIGIL_EOK) {
		diag("%s:%llu: %s", err.file, (unsigned long long)err.line,
		     err.message);
		sigil_zone_free(z);
		return NULL;
	}
	if (sigil_zone_finish(z) != SIGIL_EOK) {
		abort();
	}
	return z;
}

static sigil_zone_t *load_text(const char *text, const char *origin)
{
	char path[] = "/tmp/sigil-zonemd-test-XXXXXX";
	test_write_tmp(path, text);
	sigil_zone_t *z = load_path(path, origin);
	unlink(path);
	return z;
}

/* A.2's records in the order given by idx, after an $ORIGIN. */
static sigil_zone_t *load_a2(const size_t *idx)
{
	static char text[8192];
	size_t len = (size_t)snprintf(text, sizeof(text), "$ORIGIN example.\n");
	for (size_t i = 0; i < A2_COUNT; i++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n",
		                        a2_records[idx[i]]);
	}
	return load_text(text, "example.");
}

/* The digest of the zone compared with the apex ZONEMD of hash_alg that
 * the zone itself carries. */
static void check_own(const char *name, sigil_zone_t *z, uint8_t hash_alg)
{
	uint8_t d[SIGIL_ZONEMD_DIGEST_MAXLEN];
	size_t len = sigil_zonemd_digest_len(hash_alg);
	const sigil_rr_t *rr = z ? sigil_zonemd_find(z, hash_alg) : NULL;

	if (!ok(rr != NULL && rr->rdlen == 6 + len, "%s: has ZONEMD 1 %u", name,
	        hash_alg)) {
		return;
	}
	is_int(sigil_zonemd_digest(z, hash_alg, d), SIGIL_EOK, "%s: digest",
	       name);
	is_mem(d, rr->rdata + 6, len, "%s: digest of ZONEMD 1 %u matches", name,
	       hash_alg);
}

static void check_hex(const char *name, sigil_zone_t *z, const char *hex)
{
	uint8_t want[SIGIL_ZONEMD_DIGEST_MAXLEN];
	uint8_t d[SIGIL_ZONEMD_DIGEST_MAXLEN];

	if (!ok(z != NULL, "%s: loaded", name)) {
		return;
	}
	size_t n = tap_hex(hex, want, sizeof(want));
	is_int(sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384, d), SIGIL_EOK,
	       "%s: digest", name);
	if (!is_mem(d, want, n, "%s: SHA-384 known answer", name)) {
		char got[2 * SIGIL_ZONEMD_DIGEST_MAXLEN + 1];
		for (size_t i = 0; i < n; i++) {
			snprintf(got + 2 * i, 3, "%02x", d[i]);
		}
		diag("got %s", got);
	}
}

static void test_known_answers(void)
{
	sigil_zone_t *z;

	z = load_path("tests/data/rfc8976-a1.zone", "example.");
	check_hex("A.1", z, a1_digest);
	check_own("A.1", z, SIGIL_ZONEMD_HASH_SHA384);
	sigil_zone_free(z);

	z = load_path("tests/data/rfc8976-a2.zone", "example.");
	check_hex("A.2", z, a2_digest);
	check_own("A.2", z, SIGIL_ZONEMD_HASH_SHA384);
	sigil_zone_free(z);

	/* Several apex ZONEMD RRs, all left out, two of them checkable. */
	z = load_path("tests/data/rfc8976-a3.zone", "example.");
	check_own("A.3", z, SIGIL_ZONEMD_HASH_SHA384);
	check_own("A.3", z, SIGIL_ZONEMD_HASH_SHA512);
	sigil_zone_free(z);

	/* Signed: the RRSIG over the apex ZONEMD is left out, the others
	 * digested with their TTLs and lowercased signer names. */
	z = load_path("tests/data/rfc8976-a4.zone", NULL);
	check_own("A.4", z, SIGIL_ZONEMD_HASH_SHA384);
	uint32_t serial = 0;
	is_int(z ? sigil_zonemd_serial(z, &serial) : -1, SIGIL_EOK,
	       "A.4: serial");
	is_int(serial, 2018100702u, "A.4: serial of the SOA");
	sigil_zone_free(z);
}

static void test_order(void)
{
	size_t idx[A2_COUNT];

	for (size_t i = 0; i < A2_COUNT; i++) {
		idx[i] = i;
	}
	sigil_zone_t *z = load_a2(idx);
	check_hex("A.2 one record a line", z, a2_digest);
	sigil_zone_free(z);

	for (size_t i = 0; i < A2_COUNT; i++) {
		idx[i] = A2_COUNT - 1 - i;
	}
	z = load_a2(idx);
	check_hex("A.2 reversed", z, a2_digest);
	sigil_zone_free(z);

	/* Fixed shuffles (a linear congruential generator): the same
	 * every run. */
	unsigned seed = 12345;
	for (int round = 0; round < 5; round++) {
		for (size_t i = 0; i < A2_COUNT; i++) {
			idx[i] = i;
		}
		for (size_t i = A2_COUNT - 1; i > 0; i--) {
			seed = seed * 1103515245u + 12345u;
			size_t j = (seed >> 16) % (i + 1);
			size_t t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		char name[32];
		snprintf(name, sizeof(name), "A.2 shuffle %d", round);
		z = load_a2(idx);
		check_hex(name, z, a2_digest);
		sigil_zone_free(z);
	}
}

/* What is in the digest: a change anywhere in the zone changes it, but
 * not in the apex ZONEMD or outside the zone. */
static void test_coverage(void)
{
	static const char base[] =
		"$ORIGIN example.\n"
		"@ 86400 SOA ns1 admin 2018031900 1800 900 604800 86400\n"
		"@ 86400 NS ns1\n"
		"@ 86400 NS ns2\n"
		"ns1 3600 A 203.0.113.63\n"
		"ns2 3600 AAAA 2001:db8::63\n";
	char text[2048];
	uint8_t ref[SIGIL_ZONEMD_DIGEST_MAXLEN], d[SIGIL_ZONEMD_DIGEST_MAXLEN];

	sigil_zone_t *z = load_text(base, "example.");
	check_hex("A.1 without ZONEMD", z, a1_digest);
	if (z == NULL || sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384,
	                                     ref) != SIGIL_EOK) {
		sigil_zone_free(z);
		return;
	}
	sigil_zone_free(z);

	static const struct {
		const char *extra;
		int same;
	} cases[] = {
		{"@ 86400 ZONEMD 1 1 1 000102030405060708090a0b", 1},
		{"@ 86400 ZONEMD 2018031900 1 2 000102030405060708090a0b", 1},
		{"@ 86400 RRSIG ZONEMD 8 1 86400 20300101000000 "
	         "20200101000000 1 example. AAAA",
	         1},
		{"other.test. 3600 A 192.0.2.1", 1},
		{"exampl. 3600 A 192.0.2.1", 1},
		{"ns1 3600 A 203.0.113.63", 1}, /* a duplicate */
		{"NS1 3600 A 203.0.113.63", 1}, /* the same, other case */
		{"@ 86400 RRSIG NS 8 1 86400 20300101000000 "
	         "20200101000000 1 example. AAAA",
	         0},
		{"sub 3600 ZONEMD 2018031900 1 1 000102030405060708090a0b", 0},
		{"ns1 3601 A 203.0.113.64", 0},
		{"glue.sub 3600 A 192.0.2.1\nsub 3600 NS ns.sub", 0},
		{"a.example2. 3600 A 192.0.2.1", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* TAP descriptions are one line. */
		char what[256];
		snprintf(what, sizeof(what), "%s", cases[i].extra);
		for (char *c = what; *c != '\0'; c++) {
			*c = *c == '\n' ? ';' : *c;
		}
		snprintf(text, sizeof(text), "%s%s\n", base, cases[i].extra);
		z = load_text(text, "example.");
		int ret = z ? sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384,
		                                  d) :
		              -1;
		is_int(ret, SIGIL_EOK, "digest with: %s", what);
		ok((memcmp(d, ref, 48) == 0) == cases[i].same, "%s: %s", what,
		   cases[i].same ? "not digested" : "digested");
		sigil_zone_free(z);
	}
}

static void test_rdata_and_update(void)
{
	uint8_t rd[SIGIL_ZONEMD_RDATA_MAXLEN];
	uint8_t buf[SIGIL_ZONEMD_RDATA_MAXLEN];
	uint8_t want[SIGIL_ZONEMD_DIGEST_MAXLEN];
	size_t len = 0;

	is_int(sigil_zonemd_digest_len(SIGIL_ZONEMD_HASH_SHA384), 48,
	       "SHA-384 length");
	is_int(sigil_zonemd_digest_len(SIGIL_ZONEMD_HASH_SHA512), 64,
	       "SHA-512 length");
	is_int(sigil_zonemd_digest_len(240), 0, "private algorithm: none");

	memset(rd, 0xff, sizeof(rd));
	is_int(sigil_zonemd_rdata(2018031900, SIGIL_ZONEMD_HASH_SHA384, NULL,
	                          rd, &len),
	       SIGIL_EOK, "placeholder RDATA");
	is_int(len, 54, "placeholder length");
	static const uint8_t head[6] = {0x78, 0x48, 0xb9, 0x1c, 1, 1};
	is_mem(rd, head, 6, "serial, scheme 1, hash 1");
	uint8_t zeros[48] = {0};
	is_mem(rd + 6, zeros, 48, "zero digest");
	is_int(sigil_zonemd_rdata(1, 3, NULL, rd, &len), SIGIL_EDIGEST,
	       "unknown hash algorithm refused");

	/* A.1 with a placeholder (made from its RDATA in presentation
	 * form) updated in place gives A.1's ZONEMD. */
	char text[1024];
	char hex[2 * 54 + 1];
	is_int(sigil_zonemd_rdata(2018031900, SIGIL_ZONEMD_HASH_SHA384, NULL,
	                          rd, &len),
	       SIGIL_EOK, "placeholder again");
	for (size_t i = 0; i < len - 6; i++) {
		snprintf(hex + 2 * i, 3, "%02x", rd[6 + i]);
	}
	snprintf(text, sizeof(text),
	         "$ORIGIN example.\n"
	         "@ 86400 SOA ns1 admin 2018031900 1800 900 604800 86400\n"
	         "@ 86400 NS ns1\n"
	         "@ 86400 NS ns2\n"
	         "@ 86400 ZONEMD 2018031900 1 1 %s\n"
	         "ns1 3600 A 203.0.113.63\n"
	         "ns2 3600 AAAA 2001:db8::63\n",
	         hex);
	sigil_zone_t *z = load_text(text, "example.");
	if (!ok(z != NULL, "A.1 with a placeholder loads")) {
		return;
	}
	is_int(sigil_zonemd_update(z, SIGIL_ZONEMD_HASH_SHA512, buf),
	       SIGIL_ENOTFOUND, "no SHA-512 placeholder");
	is_int(sigil_zonemd_update(z, 7, buf), SIGIL_EDIGEST,
	       "unknown algorithm");
	is_int(sigil_zonemd_update(z, SIGIL_ZONEMD_HASH_SHA384, buf), SIGIL_EOK,
	       "update");
	const sigil_rr_t *rr = sigil_zonemd_find(z, SIGIL_ZONEMD_HASH_SHA384);
	ok(rr != NULL && rr->rdata == buf && rr->rdlen == 54,
	   "the RR points at the caller's buffer");
	tap_hex(a1_digest, want, sizeof(want));
	ok(rr != NULL && memcmp(rr->rdata, head, 6) == 0 &&
	           memcmp(rr->rdata + 6, want, 48) == 0,
	   "updated RDATA is A.1's ZONEMD");
	/* The digest does not depend on the ZONEMD it went into. */
	uint8_t d[SIGIL_ZONEMD_DIGEST_MAXLEN];
	is_int(sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384, d), SIGIL_EOK,
	       "digest after update");
	is_mem(d, want, 48, "same digest after update");
	sigil_zone_free(z);
}

static void test_errors(void)
{
	uint8_t d[SIGIL_ZONEMD_DIGEST_MAXLEN];
	uint32_t serial;

	sigil_zone_t *z = sigil_zone_new();
	is_int(sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384, d),
	       SIGIL_EINVAL, "no apex");
	is_int(sigil_zonemd_serial(z, &serial), SIGIL_ENOSOA,
	       "no apex: no SOA");
	ok(sigil_zonemd_find(z, SIGIL_ZONEMD_HASH_SHA384) == NULL,
	   "no apex: no ZONEMD");
	sigil_zone_free(z);

	z = load_path("tests/data/rfc8976-a1.zone", "example.");
	if (z == NULL) {
		ok(0, "A.1 loads");
		return;
	}
	is_int(sigil_zonemd_digest(z, 240, d), SIGIL_EDIGEST,
	       "private hash algorithm refused");
	is_int(sigil_zonemd_digest(z, 0, d), SIGIL_EDIGEST,
	       "hash algorithm 0 refused");
	sigil_zone_free(z);

	/* Nodes appended after sigil_zone_finish are not in order. */
	z = load_path("tests/data/rfc8976-a1.zone", "example.");
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	static const uint8_t a[4] = {192, 0, 2, 1};
	sigil_rr_t rr = {.rdata = a, .rdlen = 4, .type = SIGIL_T_A, .ttl = 1};
	sigil_dname_from_str(owner, "a.example.", NULL);
	if (z != NULL && sigil_zone_add_node(z, owner, &rr, 1, 0) != NULL) {
		is_int(sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384, d),
		       SIGIL_EINVAL, "unfinished store refused");
		is_int(sigil_zone_finish(z), SIGIL_EOK, "finish again");
		is_int(sigil_zonemd_digest(z, SIGIL_ZONEMD_HASH_SHA384, d),
		       SIGIL_EOK, "finished store accepted");
	} else {
		ok(0, "A.1 loads and takes a node");
	}
	sigil_zone_free(z);
}

int main(void)
{
	test_known_answers();
	test_order();
	test_coverage();
	test_rdata_and_update();
	test_errors();
	return done_testing();
}
