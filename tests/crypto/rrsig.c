/* RRSIG parsing, the signed data of RFC 4034 §3.1.8.1 (canonical form,
 * canonical order, duplicates, wildcards) and signature times. */
#include <stdint.h>

#include "crypto/key.h"
#include "crypto/rrsig.h"
#include "dns/name.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/buf.h"
#include "util/error.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RRSIG RDATA from its presentation fields into out, which holds cap bytes;
 * returns the length. */
static size_t rrsig_rdata(uint8_t *out, size_t cap, uint16_t type, uint8_t alg,
                          uint8_t labels, uint32_t ttl, uint32_t exp,
                          uint32_t inc, uint16_t tag, const char *signer,
                          const char *sig)
{
	size_t pos = SIGIL_RRSIG_FIXED_LEN;

	out[0] = (uint8_t)(type >> 8);
	out[1] = (uint8_t)type;
	out[2] = alg;
	out[3] = labels;
	put32(out + 4, ttl);
	put32(out + 8, exp);
	put32(out + 12, inc);
	out[16] = (uint8_t)(tag >> 8);
	out[17] = (uint8_t)tag;
	pos += test_dname(out + pos, signer);
	pos += test_b64(sig, out + pos, cap - pos);
	return pos;
}

static sigil_pubkey_t *key_b64(uint16_t flags, uint8_t alg, const char *k)
{
	uint8_t rd[1024] = {(uint8_t)(flags >> 8), (uint8_t)flags, 3, alg};
	sigil_pubkey_t *key = NULL;

	sigil_pubkey_from_dnskey(rd, 4 + test_b64(k, rd + 4, sizeof(rd) - 4),
	                         &key);
	return key;
}

/* ---- RFC 8080 §6.1 example 1 ---------------------------------------- */

static const char ed_key[] = "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=";
static const char ed_sig[] =
	"oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M"
	"3e23mRZ9VrbpMngwcrqNAg==";

/* The signed data those fields define, assembled by hand:
 *   example.com. 3600 IN MX 10 mail.example.com.
 *   RRSIG MX 15 2 3600 1440021600 1438207200 3613 example.com. */
static const char ed_signed[] =
	"000f 0f 02 00000e10 55d4fc60 55b94ce0 0e1d"        /* RRSIG fixed */
	"07 6578616d706c65 03 636f6d 00"                    /* signer */
	"07 6578616d706c65 03 636f6d 00 000f 0001 00000e10" /* owner.. TTL */
	"0014 000a 04 6d61696c 07 6578616d706c65 03 636f6d 00";

static void test_parse(void)
{
	uint8_t rd[512];
	size_t len = rrsig_rdata(rd, sizeof(rd), 15, 15, 2, 3600, 1440021600,
	                         1438207200, 3613, "example.com.", ed_sig);
	sigil_rrsig_t s;
	uint8_t signer[64];

	is_int(sigil_rrsig_parse(rd, len, &s), SIGIL_EOK, "RRSIG parses");
	ok(s.type_covered == 15 && s.algorithm == 15 && s.labels == 2 &&
	           s.original_ttl == 3600 && s.expiration == 1440021600 &&
	           s.inception == 1438207200 && s.key_tag == 3613,
	   "fixed fields");
	ok(s.signer == rd + 18 &&
	           s.signer_len == test_dname(signer, "example.com.") &&
	           memcmp(s.signer, signer, s.signer_len) == 0,
	   "signer name");
	ok(s.signature == rd + 18 + 13 && s.signature_len == 64,
	   "signature points into the RDATA");

	is_int(sigil_rrsig_parse(rd, 18 + 13, &s), SIGIL_EMALFORMED,
	       "empty signature is malformed");
	is_int(sigil_rrsig_parse(rd, 18, &s), SIGIL_EMALFORMED,
	       "no signer is malformed");
	is_int(sigil_rrsig_parse(rd, 10, &s), SIGIL_EMALFORMED,
	       "short RDATA is malformed");
	is_int(sigil_rrsig_parse(rd, 18 + 5, &s), SIGIL_EMALFORMED,
	       "truncated signer is malformed");
	rd[18] = 0xc0; /* compression pointer */
	is_int(sigil_rrsig_parse(rd, len, &s), SIGIL_EMALFORMED,
	       "compressed signer is malformed");
}

static int signed_for(sigil_buf_t *out, const uint8_t *rd, size_t rdlen,
                      const char *owner, uint16_t type, sigil_rdata_ref_t *rrs,
                      size_t n)
{
	uint8_t o[256];
	sigil_rrsig_t s;
	int ret = sigil_rrsig_parse(rd, rdlen, &s);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	test_dname(o, owner);
	return sigil_rrsig_signed_data(out, &s, rd, o, type, 1, rrs, n);
}

static void test_rfc8080(void)
{
	uint8_t rd[512], want[512], mx[64], mxu[64];
	sigil_pubkey_t *key = key_b64(257, 15, ed_key);
	sigil_buf_t out = {0}, out2 = {0};
	sigil_rdata_ref_t rr;
	sigil_rrsig_t s;
	size_t wlen = tap_hex(ed_signed, want, sizeof(want));
	size_t len = rrsig_rdata(rd, sizeof(rd), 15, 15, 2, 3600, 1440021600,
	                         1438207200, 3613, "example.com.", ed_sig);

	mx[0] = 0;
	mx[1] = 10;
	rr.rdata = mx;
	rr.rdlen = (uint16_t)(2 + test_dname(mx + 2, "mail.example.com."));
	is_int(signed_for(&out, rd, len, "example.com.", 15, &rr, 1), SIGIL_EOK,
	       "RFC 8080: signed data built");
	ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
	   "RFC 8080: signed data is the hand-assembled one");
	sigil_rrsig_parse(rd, len, &s);
	ok(key != NULL &&
	           sigil_pubkey_verify(key, out.data, out.len, s.signature,
	                               s.signature_len) == SIGIL_EOK,
	   "RFC 8080: RRSIG over MX verifies");

	/* upper case in owner, signer and MX target: same signed data */
	len = rrsig_rdata(rd, sizeof(rd), 15, 15, 2, 3600, 1440021600,
	                  1438207200, 3613, "EXAMPLE.Com.", ed_sig);
	mxu[0] = 0;
	mxu[1] = 10;
	rr.rdata = mxu;
	rr.rdlen = (uint16_t)(2 + test_dname(mxu + 2, "MAIL.Example.COM."));
	out2.len = 0;
	is_int(signed_for(&out2, rd, len, "Example.COM.", 15, &rr, 1),
	       SIGIL_EOK, "mixed case: signed data built");
	ok(out2.len == wlen && memcmp(out2.data, want, wlen) == 0,
	   "owner, signer and MX target are lowercased");
	ok(memcmp(mxu + 2, "\x04MAIL", 5) == 0, "caller's RDATA is untouched");

	/* appends after what the buffer holds */
	sigil_buf_reset(&out2);
	sigil_buf_append(&out2, "xyz", 3);
	signed_for(&out2, rd, len, "example.com.", 15, &rr, 1);
	ok(out2.len == 3 + wlen && memcmp(out2.data + 3, want, wlen) == 0,
	   "signed data is appended to the buffer");

	sigil_pubkey_free(key);
	sigil_buf_free(&out);
	sigil_buf_free(&out2);
}

/* ---- RFC 4035 Appendix B.6: wildcard expansion ---------------------- */

static const char rfc4035_zsk[] =
	"AQOy1bZVvpPqhg4j7EJoM9rI3ZmyEx2OzDBVrZy/lvI5CQePxXHZS4i8dANH4DX3"
	"tbHol61ek8EFMcsGXxKciJFHyhl94C+NwILQdzsUlSFovBZsyl/NX6yEbtw/xN9Z"
	"NcrbYvgjjZ/UVPZIySFNsgEYvh0z2542lzMKR4Dh8uZffQ==";
static const char b6_sig[] =
	"OMK8rAZlepfzLWW75Dxd63jy2wswESzxDKG2f9AMN1CytCd10cYISAxfAdvXSZ7x"
	"ujKAtPbctvOQ2ofO7AZJ+d01EeeQTVBPq4/6KCWhqe2XTjnkVLNvvhnc0u28aoSs"
	"G0+4InvkkOHknKxw4kX18MMR34i8lC36SR5xBni8vHI=";

/* Verifies the RRSIG rd over the MX RRset rr at owner with key. */
static int verify_at(const sigil_pubkey_t *key, const uint8_t *rd, size_t len,
                     const char *owner, sigil_rdata_ref_t *rr)
{
	sigil_buf_t out = {0};
	sigil_rrsig_t s;
	int ret = signed_for(&out, rd, len, owner, 15, rr, 1);

	if (ret == SIGIL_EOK) {
		sigil_rrsig_parse(rd, len, &s);
		ret = sigil_pubkey_verify(key, out.data, out.len, s.signature,
		                          s.signature_len);
	}
	sigil_buf_free(&out);
	return ret;
}

static void test_wildcard(void)
{
	sigil_pubkey_t *key = key_b64(256, 5, rfc4035_zsk);
	uint8_t rd[512], mx[64], star[64];
	sigil_buf_t out = {0};
	sigil_rdata_ref_t rr;
	sigil_rrsig_t s;
	uint32_t exp = test_time("20040509183619");
	uint32_t inc = test_time("20040409183619");
	size_t len, slen;

	ok(key != NULL && sigil_pubkey_tag(key) == 38519,
	   "RFC 4035 zone key has tag 38519");
	mx[0] = 0;
	mx[1] = 1;
	rr.rdata = mx;
	rr.rdlen = (uint16_t)(2 + test_dname(mx + 2, "ai.example."));

	/* a.z.w.example. 3600 IN MX 1 ai.example., from *.w.example. */
	len = rrsig_rdata(rd, sizeof(rd), 15, 5, 2, 3600, exp, inc, 38519,
	                  "example.", b6_sig);
	sigil_rrsig_parse(rd, len, &s);
	is_int(signed_for(&out, rd, len, "a.z.w.example.", 15, &rr, 1),
	       SIGIL_EOK, "B.6: signed data built");
	slen = test_dname(star, "*.w.example.");
	ok(memcmp(out.data + 18 + 9, star, slen) == 0,
	   "B.6: owner is reconstructed as *.w.example.");
	is_int(sigil_pubkey_verify(key, out.data, out.len, s.signature,
	                           s.signature_len),
	       SIGIL_EOK, "B.6: wildcard-expanded RRSIG verifies");

	/* the same from the wildcard owner itself and from other names */
	is_int(verify_at(key, rd, len, "*.w.example.", &rr), SIGIL_EOK,
	       "B.6: verifies at *.w.example.");
	is_int(verify_at(key, rd, len, "A.B.C.W.Example.", &rr), SIGIL_EOK,
	       "B.6: verifies at A.B.C.W.Example.");
	is_int(verify_at(key, rd, len, "a.z.x.example.", &rr), SIGIL_EBADSIG,
	       "B.6: fails under another parent (x.example)");

	/* Labels 4 claims no wildcard: signed over a.z.w.example. */
	len = rrsig_rdata(rd, sizeof(rd), 15, 5, 4, 3600, exp, inc, 38519,
	                  "example.", b6_sig);
	sigil_buf_reset(&out);
	is_int(signed_for(&out, rd, len, "a.z.w.example.", 15, &rr, 1),
	       SIGIL_EOK, "Labels = owner labels: built");
	ok(memcmp(out.data + 18 + 9,
	          "\x01"
	          "a\x01z\x01w\x07"
	          "example",
	          14) == 0,
	   "Labels = owner labels: owner kept");
	is_int(sigil_pubkey_verify(key, out.data, out.len, s.signature,
	                           s.signature_len),
	       SIGIL_EBADSIG, "B.6 signature fails with Labels 4");

	len = rrsig_rdata(rd, sizeof(rd), 15, 5, 5, 3600, exp, inc, 38519,
	                  "example.", b6_sig);
	sigil_buf_reset(&out);
	sigil_buf_append(&out, "ab", 2);
	is_int(signed_for(&out, rd, len, "a.z.w.example.", 15, &rr, 1),
	       SIGIL_EMALFORMED, "Labels above the owner's count is malformed");
	is_int(out.len, 2, "nothing appended on failure");

	len = rrsig_rdata(rd, sizeof(rd), 15, 5, 0, 3600, exp, inc, 38519,
	                  "example.", b6_sig);
	sigil_buf_reset(&out);
	signed_for(&out, rd, len, "a.z.w.example.", 15, &rr, 1);
	ok(memcmp(out.data + 18 + 9, "\x01*\x00", 3) == 0,
	   "Labels 0 gives the root wildcard *.");

	sigil_pubkey_free(key);
	sigil_buf_free(&out);
}

/* ---- canonical RR order and duplicates ------------------------------ */

/* Signed data of an RRset with a dummy RRSIG (Labels = owner's). */
static int build_set(sigil_buf_t *out, const char *owner, uint16_t type,
                     sigil_rdata_ref_t *rrs, size_t n)
{
	uint8_t rd[128], o[256];
	size_t len = rrsig_rdata(rd, sizeof(rd), type, 13, 0, 300, 2, 1, 1,
	                         "Example.", "AAAA");

	test_dname(o, owner);
	rd[3] = (uint8_t)sigil_dname_labels(o);
	sigil_buf_reset(out);
	return signed_for(out, rd, len, owner, type, rrs, n);
}

/* Expected signed data: the fixed part for build_set, then the RRs. */
static size_t expect_set(uint8_t *out, const char *owner, uint16_t type,
                         const uint8_t *const *rdata, const uint16_t *lens,
                         size_t n)
{
	uint8_t o[256];
	size_t olen = test_dname(o, owner), pos = 0;

	sigil_dname_tolower(o, o);
	out[pos++] = (uint8_t)(type >> 8);
	out[pos++] = (uint8_t)type;
	out[pos++] = 13;
	out[pos++] = (uint8_t)sigil_dname_labels(o);
	put32(out + pos, 300);
	put32(out + pos + 4, 2);
	put32(out + pos + 8, 1);
	pos += 12;
	out[pos++] = 0;
	out[pos++] = 1;
	memcpy(out + pos,
	       "\x07"
	       "example\x00",
	       9);
	pos += 9;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + pos, o, olen);
		pos += olen;
		out[pos++] = (uint8_t)(type >> 8);
		out[pos++] = (uint8_t)type;
		out[pos++] = 0;
		out[pos++] = 1;
		put32(out + pos, 300);
		pos += 4;
		out[pos++] = (uint8_t)(lens[i] >> 8);
		out[pos++] = (uint8_t)lens[i];
		memcpy(out + pos, rdata[i], lens[i]);
		pos += lens[i];
	}
	return pos;
}

static void test_order(void)
{
	static const uint8_t a1[] = {192, 0, 2, 1}, a2[] = {192, 0, 2, 2},
			     a3[] = {192, 0, 2, 3};
	uint8_t want[4096];
	sigil_buf_t out = {0};
	size_t wlen;

	{
		sigil_rdata_ref_t rrs[] = {{a3, 4}, {a1, 4}, {a2, 4}, {a1, 4}};
		const uint8_t *const exp[] = {a1, a2, a3};
		const uint16_t lens[] = {4, 4, 4};

		is_int(build_set(&out, "www.example.", 1, rrs, 4), SIGIL_EOK,
		       "A RRset built");
		wlen = expect_set(want, "www.example.", 1, exp, lens, 3);
		ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
		   "A RRset sorted, duplicate 192.0.2.1 included once");
	}
	{
		/* NS names compare after lowercasing: NS1 == ns1 */
		static const uint8_t n1u[] = "\x03NS1\x07"
					     "EXAMPLE";
		static const uint8_t n1[] = "\x03ns1\x07"
					    "example";
		static const uint8_t n2u[] = "\x03Ns2\x07"
					     "example";
		static const uint8_t n2[] = "\x03ns2\x07"
					    "example";
		static const uint8_t nb[] = "\x01"
					    "b\x07"
					    "example";
		/* sizeof includes the final NUL: the root label */
		sigil_rdata_ref_t rrs[] = {{n2u, sizeof(n2u)},
		                           {n1u, sizeof(n1u)},
		                           {n1, sizeof(n1)},
		                           {nb, sizeof(nb)}};
		const uint8_t *const exp[] = {nb, n1, n2};
		const uint16_t lens[] = {sizeof(nb), sizeof(n1), sizeof(n2)};

		is_int(build_set(&out, "Example.", 2, rrs, 4), SIGIL_EOK,
		       "NS RRset built");
		wlen = expect_set(want, "example.", 2, exp, lens, 3);
		ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
		   "NS RRset lowercased, sorted by RDATA octets, NS1 = ns1");
	}
	{
		/* NSEC next names keep their case (RFC 6840 §5.1), so these
		 * two differ; 'B' (0x42) sorts before 'b' (0x62). */
		static const uint8_t lo[] = "\x01"
					    "b\x07"
					    "example\x00\x00\x01\x40";
		static const uint8_t up[] = "\x01"
					    "B\x07"
					    "example\x00\x00\x01\x40";
		sigil_rdata_ref_t rrs[] = {{lo, sizeof(lo) - 1},
		                           {up, sizeof(up) - 1}};
		const uint8_t *const exp[] = {up, lo};
		const uint16_t lens[] = {sizeof(up) - 1, sizeof(lo) - 1};

		is_int(build_set(&out, "a.example.", 47, rrs, 2), SIGIL_EOK,
		       "NSEC RRset built");
		wlen = expect_set(want, "a.example.", 47, exp, lens, 2);
		ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
		   "NSEC next name case kept; both RRs kept, in octet order");
	}
	{
		/* a shorter RDATA that is a prefix of another sorts first */
		static const uint8_t s1[] = {0x0a}, s2[] = {0x0a, 0x00},
				     s3[] = {0x09, 0xff, 0xff};
		sigil_rdata_ref_t rrs[] = {{s2, 2}, {s1, 1}, {s3, 3}};
		const uint8_t *const exp[] = {s3, s1, s2};
		const uint16_t lens[] = {3, 1, 2};

		is_int(build_set(&out, "x.example.", 65280, rrs, 3), SIGIL_EOK,
		       "unknown-type RRset built");
		wlen = expect_set(want, "x.example.", 65280, exp, lens, 3);
		ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
		   "prefix sorts first (RFC 4034 §6.3)");
	}
	{
		/* big RRsets: past the insertion sort and the stack array */
		static uint8_t addr[100][4];
		sigil_rdata_ref_t rrs[150];
		const uint8_t *exp[100];
		uint16_t lens[100];

		for (int i = 0; i < 100; i++) {
			addr[i][0] = 10;
			addr[i][1] = (uint8_t)(i * 37 % 100);
			addr[i][2] = 0;
			addr[i][3] = 1;
		}
		for (int i = 0; i < 100; i++) {
			exp[addr[i][1]] = addr[i];
			lens[i] = 4;
		}
		for (int i = 0; i < 150; i++) {
			rrs[i].rdata = addr[(i * 7) % 100];
			rrs[i].rdlen = 4;
		}
		is_int(build_set(&out, "big.example.", 1, rrs, 150), SIGIL_EOK,
		       "150-RR RRset built");
		wlen = expect_set(want, "big.example.", 1, exp, lens, 100);
		ok(out.len == wlen && memcmp(out.data, want, wlen) == 0,
		   "150 RRs: sorted, 50 duplicates dropped");
	}
	{
		static const uint8_t bad[] = {0x05, 'a', 'b'};
		sigil_rdata_ref_t rrs[] = {{bad, sizeof(bad)}};

		sigil_buf_reset(&out);
		is_int(build_set(&out, "x.example.", 2, rrs, 1),
		       SIGIL_EMALFORMED,
		       "NS RDATA with a broken name is "
		       "malformed");
	}
	is_int(build_set(&out, "x.example.", 1, NULL, 0), SIGIL_EOK,
	       "empty RRset gives the RRSIG part only");
	is_int(out.len, 18 + 9, "  of 27 bytes");
	sigil_buf_free(&out);
}

/* ---- times ------------------------------------------------------------ */

static void test_times(void)
{
	sigil_rrsig_t s = {0};
	uint64_t wrap = (uint64_t)1 << 32;

	/* RFC 6605 §6.1 signature window */
	s.inception = test_time("20100812100439");
	s.expiration = test_time("20100909100439");
	ok(sigil_rrsig_time_valid(&s, test_time("20100820000000")),
	   "valid inside");
	ok(sigil_rrsig_time_valid(&s, s.inception), "valid at inception");
	ok(sigil_rrsig_time_valid(&s, s.expiration), "valid at expiration");
	ok(!sigil_rrsig_time_valid(&s, s.inception - 1), "not yet valid");
	ok(!sigil_rrsig_time_valid(&s, s.expiration + 1), "expired");
	is_int(sigil_rrsig_expires_in(&s, s.expiration - 100), 100,
	       "expires in 100 s");
	is_int(sigil_rrsig_expires_in(&s, s.expiration + 5), -5,
	       "expired 5 s ago");

	/* a window across the 2106 wrap of 32-bit time */
	s.inception = 0xffffff00u;
	s.expiration = 0x00000100u;
	ok(sigil_rrsig_time_valid(&s, 0xfffffff0u), "valid before the wrap");
	ok(sigil_rrsig_time_valid(&s, wrap + 0x10), "valid after the wrap");
	ok(!sigil_rrsig_time_valid(&s, wrap + 0x200), "expired after the wrap");
	ok(!sigil_rrsig_time_valid(&s, 0xfffffe00u), "not yet valid before it");
	is_int(sigil_rrsig_expires_in(&s, 0xfffffff0u), 0x110,
	       "expiry counted across the wrap");
	/* now far beyond 2^32: only the low 32 bits matter (RFC 4034 §3.1.5) */
	s.inception = 1000;
	s.expiration = 2000;
	ok(sigil_rrsig_time_valid(&s, 3 * wrap + 1500), "serial arithmetic "
	                                                "uses now modulo 2^32");
}

int main(void)
{
	test_parse();
	test_rfc8080();
	test_wildcard();
	test_order();
	test_times();
	return done_testing();
}
