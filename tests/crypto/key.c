/* DNSKEY decoding, key tags, DS digests and signature checks, with the
 * known-answer examples of RFC 4034, 4509, 5702, 6605 and 8080. */
#include <pthread.h>
#include <stdint.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "crypto/rrsig.h"
#include "dns/name.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- helpers -------------------------------------------------------- */

/* ---- vectors -------------------------------------------------------- */

struct keyvec {
	const char *src;
	const char *owner;
	uint16_t flags;
	uint8_t alg;
	const char *key;
	uint16_t tag;
	unsigned bits;
	uint8_t ds_type; /* 0: none given */
	const char *ds;
	uint8_t ds_type2;
	const char *ds2;
};

static const struct keyvec keys[] = {
	{"RFC 4034 §5.4 (and RFC 4509 §2.3)", "dskey.example.com.", 256, 5,
         "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMz"
         "NXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJ"
         "BjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
         60485, 1024, 1, "2BB183AF5F22588179A53B0A98631FAD1A292118", 2,
         "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"},
	/* The §2.3 key; its tag 2642 is the one the §3.3 RRSIG refers to. */
	{"RFC 4034 §2.3", "example.com.", 256, 5,
         "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31Ga"
         "jIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZE"
         "zOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==",
         2642, 0, 0, NULL, 0, NULL},
	{"RFC 5702 §6.1", "example.net.", 256, 8,
         "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4"
         "cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
         9033, 512, 0, NULL, 0, NULL},
	{"RFC 5702 §6.2", "example.net.", 256, 10,
         "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnj"
         "JQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8g"
         "pMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
         3740, 1024, 0, NULL, 0, NULL},
	{"RFC 6605 §6.1", "example.net.", 257, 13,
         "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
         "e+MAnLr+Wi9xMWyQLc8NAA==",
         55648, 256, 2,
         "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17", 0,
         NULL},
	{"RFC 6605 §6.2", "example.net.", 257, 14,
         "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RC"
         "OpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
         10771, 384, 4,
         "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0"
         "563a9b5f4d288405c3008a946df983d6",
         0, NULL},
	{"RFC 8080 §6.1 example 1", "example.com.", 257, 15,
         "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613, 256, 2,
         "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b", 0,
         NULL},
	{"RFC 8080 §6.1 example 2", "example.com.", 257, 15,
         "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217, 256, 2,
         "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c", 0,
         NULL},
	{"RFC 8080 §6.2 example 1", "example.com.", 257, 16,
         "3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYU"
         "cJKm1MDpJtIA",
         9713, 456, 2,
         "6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2b19c7", 0,
         NULL},
};

/* An RRSIG example: the RRset is one RR at owner. */
struct sigvec {
	const char *src;
	const char *owner;
	uint16_t type;
	const char *rdata_hex;
	uint16_t flags;
	uint8_t alg;
	const char *key;
	uint8_t labels;
	uint32_t ttl;
	const char *expiration; /* YYYYMMDDHHmmSS or seconds */
	const char *inception;
	uint16_t tag;
	const char *signer;
	const char *sig;
};

static const struct sigvec sigs[] = {
	{"RFC 5702 §6.1 RSASHA256", "www.example.net.", 1, "c000025b", 256, 8,
         "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4"
         "cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
         3, 3600, "20300101000000", "20000101000000", 9033, "example.net.",
         "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwl"
         "MgNEacFYK/lPtPiVYP4bwg=="},
	{"RFC 5702 §6.2 RSASHA512", "www.example.net.", 1, "c000025b", 256, 10,
         "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnj"
         "JQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8g"
         "pMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
         3, 3600, "20300101000000", "20000101000000", 3740, "example.net.",
         "tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDt"
         "suJRaeUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5"
         "g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw="},
	{"RFC 6605 §6.1 ECDSAP256SHA256", "www.example.net.", 1, "c0000201",
         257, 13,
         "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
         "e+MAnLr+Wi9xMWyQLc8NAA==",
         3, 3600, "20100909100439", "20100812100439", 55648, "example.net.",
         "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLB"
         "LlUzGGus7ZwmwWep666VCw=="},
	{"RFC 6605 §6.2 ECDSAP384SHA384", "www.example.net.", 1, "c0000201",
         257, 14,
         "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RC"
         "OpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
         3, 3600, "20100909102025", "20100812102025", 10771, "example.net.",
         "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFax"
         "sT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm"},
	/* MX 10 mail.example.com. */
	{"RFC 8080 §6.1 ED25519 example 1", "example.com.", 15,
         "000a046d61696c076578616d706c6503636f6d00", 257, 15,
         "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 2, 3600, "1440021600",
         "1438207200", 3613, "example.com.",
         "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M"
         "3e23mRZ9VrbpMngwcrqNAg=="},
	{"RFC 8080 §6.1 ED25519 example 2", "example.com.", 15,
         "000a046d61696c076578616d706c6503636f6d00", 257, 15,
         "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 2, 3600, "1440021600",
         "1438207200", 35217, "example.com.",
         "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5p"
         "oJ7gD7AQR0O7KuI5k2pcBg=="},
};

static uint32_t when(const char *s)
{
	return strlen(s) == 14 ? test_time(s) : (uint32_t)strtoul(s, NULL, 10);
}

/* Builds the signed data of a vector and decodes its key and signature. */
struct built {
	sigil_pubkey_t *key;
	sigil_buf_t data;
	uint8_t sig[1024];
	size_t siglen;
};

static int build(const struct sigvec *v, struct built *b)
{
	uint8_t krd[2048], rrsig[2048], owner[256], rr[512];
	sigil_rdata_ref_t ref;
	sigil_rrsig_t parsed;
	size_t klen, pos = 0, slen;
	uint32_t exp = when(v->expiration), inc = when(v->inception);
	int ret;

	memset(b, 0, sizeof(*b));
	klen = test_dnskey(krd, sizeof(krd), v->flags, v->alg, v->key);
	ret = sigil_pubkey_from_dnskey(krd, klen, &b->key);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	rrsig[pos++] = (uint8_t)(v->type >> 8);
	rrsig[pos++] = (uint8_t)v->type;
	rrsig[pos++] = v->alg;
	rrsig[pos++] = v->labels;
	for (int i = 3; i >= 0; i--) {
		rrsig[pos++] = (uint8_t)(v->ttl >> (8 * i));
	}
	for (int i = 3; i >= 0; i--) {
		rrsig[pos++] = (uint8_t)(exp >> (8 * i));
	}
	for (int i = 3; i >= 0; i--) {
		rrsig[pos++] = (uint8_t)(inc >> (8 * i));
	}
	rrsig[pos++] = (uint8_t)(v->tag >> 8);
	rrsig[pos++] = (uint8_t)v->tag;
	pos += test_dname(rrsig + pos, v->signer);
	slen = test_b64(v->sig, rrsig + pos, sizeof(rrsig) - pos);
	memcpy(b->sig, rrsig + pos, slen);
	b->siglen = slen;
	pos += slen;
	ret = sigil_rrsig_parse(rrsig, pos, &parsed);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	test_dname(owner, v->owner);
	ref.rdata = rr;
	ref.rdlen = (uint16_t)tap_hex(v->rdata_hex, rr, sizeof(rr));
	return sigil_rrsig_signed_data(&b->data, &parsed, rrsig, owner, v->type,
	                               1, &ref, 1);
}

static void unbuild(struct built *b)
{
	sigil_pubkey_free(b->key);
	sigil_buf_free(&b->data);
}

/* ---- tests ---------------------------------------------------------- */

/* If v gives a DS digest ds (hex) of this type, checks it against the one
 * made from owner and the DNSKEY RDATA rd. */
static void check_ds(const struct keyvec *v, uint8_t type, const char *ds,
                     const uint8_t *owner, const uint8_t *rd, size_t len)
{
	uint8_t want[64], got[SIGIL_DS_MAXLEN];
	size_t glen = 0, wlen;
	int ret;

	if (ds == NULL) {
		return;
	}
	wlen = tap_hex(ds, want, sizeof(want));
	ret = sigil_ds_digest(type, owner, rd, len, got, &glen);
	ok(ret == SIGIL_EOK && glen == wlen && memcmp(got, want, wlen) == 0,
	   "%s: DS digest type %u", v->src, type);
}

static void test_keys(void)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct keyvec *v = &keys[i];
		uint8_t rd[2048], owner[256];
		sigil_pubkey_t *key = NULL;
		size_t len =
			test_dnskey(rd, sizeof(rd), v->flags, v->alg, v->key);
		size_t rlen = 0;
		int ret;

		is_int(sigil_keytag(rd, len), v->tag, "%s: key tag %u", v->src,
		       v->tag);
		test_dname(owner, v->owner);
		check_ds(v, v->ds_type, v->ds, owner, rd, len);
		check_ds(v, v->ds_type2, v->ds2, owner, rd, len);
		if (v->bits == 0) {
			continue;
		}
		ret = sigil_pubkey_from_dnskey(rd, len, &key);
		is_int(ret, SIGIL_EOK, "%s: key decodes", v->src);
		if (key == NULL) {
			continue;
		}
		ok(sigil_pubkey_tag(key) == v->tag &&
		           sigil_pubkey_flags(key) == v->flags &&
		           sigil_pubkey_alg(key) == v->alg,
		   "%s: tag, flags, algorithm", v->src);
		is_int(sigil_pubkey_bits(key), v->bits, "%s: %u bits", v->src,
		       v->bits);
		ok(sigil_pubkey_rdata(key, &rlen) != rd && rlen == len &&
		           memcmp(sigil_pubkey_rdata(key, &rlen), rd, len) == 0,
		   "%s: keeps a copy of the RDATA", v->src);
		sigil_pubkey_free(key);
	}
}

static void test_ds_more(void)
{
	uint8_t rd[512], owner[256], upper[256], a[64], b[64];
	size_t len = test_dnskey(rd, sizeof(rd), 256, 5, keys[0].key);
	size_t alen = 0, blen = 0;

	test_dname(owner, "dskey.example.com.");
	test_dname(upper, "DSKEY.Example.COM.");
	sigil_ds_digest(SIGIL_DS_SHA256, owner, rd, len, a, &alen);
	sigil_ds_digest(SIGIL_DS_SHA256, upper, rd, len, b, &blen);
	ok(alen == 32 && blen == 32 && memcmp(a, b, 32) == 0,
	   "DS digest lowercases the owner name");
	is_int(sigil_ds_digest(SIGIL_DS_GOST, owner, rd, len, a, &alen),
	       SIGIL_EDIGEST, "DS digest type 3 (GOST) is unsupported");
	is_int(sigil_ds_digest(0, owner, rd, len, a, &alen), SIGIL_EDIGEST,
	       "DS digest type 0 is unsupported");
	is_int(sigil_ds_digest(5, owner, rd, len, a, &alen), SIGIL_EDIGEST,
	       "DS digest type 5 is unsupported");
}

static void test_keytag_alg1(void)
{
	/* RFC 4034 B.1: for algorithm 1 the tag is bits 8..23 of the
	 * modulus counted from its least significant end. */
	static const uint8_t rd[] = {0x01, 0x00, 3,    1,    1,   3,
	                             0xaa, 0xbb, 0x12, 0x34, 0x56};

	is_int(sigil_keytag(rd, sizeof(rd)), 0x1234,
	       "key tag of an RSAMD5 key uses RFC 4034 B.1");
}

static void test_verify_vectors(void)
{
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const struct sigvec *v = &sigs[i];
		struct built b;
		int ret = build(v, &b);

		is_int(ret, SIGIL_EOK, "%s: key and signed data build", v->src);
		if (ret != SIGIL_EOK) {
			unbuild(&b);
			continue;
		}
		is_int(sigil_pubkey_tag(b.key), v->tag, "%s: key tag", v->src);
		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen),
		       SIGIL_EOK, "%s: signature verifies", v->src);
		/* twice: the second call uses the cached context */
		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen),
		       SIGIL_EOK, "%s: verifies again", v->src);

		b.data.data[b.data.len - 1] ^= 0x01;
		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen),
		       SIGIL_EBADSIG, "%s: altered data fails", v->src);
		b.data.data[b.data.len - 1] ^= 0x01;

		b.sig[b.siglen / 2] ^= 0x40;
		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen),
		       SIGIL_EBADSIG, "%s: altered signature fails", v->src);
		b.sig[b.siglen / 2] ^= 0x40;

		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen - 1),
		       SIGIL_EBADSIG, "%s: short signature fails", v->src);
		is_int(sigil_pubkey_verify(b.key, b.data.data, b.data.len,
		                           b.sig, b.siglen),
		       SIGIL_EOK, "%s: still verifies after failures", v->src);
		unbuild(&b);
	}
}

static void test_rsa_long_exponent(void)
{
	/* RFC 3110 §2: an exponent length of 0 means the next two bytes
	 * hold it.  Re-encode the RFC 5702 §6.1 key that way: same key. */
	const struct sigvec *v = &sigs[0];
	uint8_t rd[1024], rd3[1024];
	sigil_pubkey_t *key = NULL;
	struct built b;
	size_t len = test_dnskey(rd, sizeof(rd), 256, 8, v->key);
	int ret;

	ok(rd[4] == 3, "RFC 5702 key has a 1-byte exponent length of 3");
	memcpy(rd3, rd, 4);
	rd3[4] = 0;
	rd3[5] = 0;
	rd3[6] = 3;
	memcpy(rd3 + 7, rd + 5, len - 5);
	ret = sigil_pubkey_from_dnskey(rd3, len + 2, &key);
	is_int(ret, SIGIL_EOK, "3-byte exponent length form decodes");
	build(v, &b);
	if (key != NULL) {
		is_int(sigil_pubkey_bits(key), 512, "same modulus size");
		is_int(sigil_pubkey_verify(key, b.data.data, b.data.len, b.sig,
		                           b.siglen),
		       SIGIL_EOK,
		       "3-byte exponent form verifies the signature");
	}
	sigil_pubkey_free(key);
	unbuild(&b);
}

static void test_bad_keys(void)
{
	uint8_t rd[1024];
	sigil_pubkey_t *key = (sigil_pubkey_t *)&key;
	size_t len;

	len = test_dnskey(rd, sizeof(rd), 257, 13, keys[4].key);
	rd[2] = 2;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "protocol other than 3 is malformed");
	ok(key == NULL, "no key on failure");
	rd[2] = 3;
	is_int(sigil_pubkey_from_dnskey(rd, len - 1, &key), SIGIL_EMALFORMED,
	       "P-256 key one byte short is malformed");
	rd[len - 1] ^= 0x01;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "P-256 point off the curve is malformed");
	rd[len - 1] ^= 0x01;
	is_int(sigil_pubkey_from_dnskey(rd, 4, &key), SIGIL_EMALFORMED,
	       "empty public key is malformed");
	is_int(sigil_pubkey_from_dnskey(rd, 3, &key), SIGIL_EMALFORMED,
	       "short RDATA is malformed");
	rd[3] = 14;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "P-256 sized key for P-384 is malformed");
	rd[3] = SIGIL_ALG_DSA;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EALGORITHM,
	       "DSA is not supported");
	rd[3] = SIGIL_ALG_RSAMD5;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EALGORITHM,
	       "RSAMD5 is not supported");
	rd[3] = SIGIL_ALG_ECC_GOST;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EALGORITHM,
	       "ECC-GOST is not supported");
	rd[3] = 200;
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EALGORITHM,
	       "algorithm 200 is not supported");

	len = test_dnskey(rd, sizeof(rd), 257, 15, keys[6].key);
	is_int(sigil_pubkey_from_dnskey(rd, len - 1, &key), SIGIL_EMALFORMED,
	       "Ed25519 key of 31 bytes is malformed");

	/* the RFC 5702 512-bit key is too small for RSASHA512 */
	len = test_dnskey(rd, sizeof(rd), 256, 10, sigs[0].key);
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "512-bit RSASHA512 key is malformed (RFC 5702 §2.2)");
	rd[3] = 8;
	rd[4] = 200; /* exponent longer than the key */
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "RSA exponent length past the end is malformed");
	rd[4] = 0;
	is_int(sigil_pubkey_from_dnskey(rd, 6, &key), SIGIL_EMALFORMED,
	       "truncated 3-byte exponent length is malformed");
	rd[4] = 3;
	rd[7] = 0x02; /* exponent 65538: even */
	is_int(sigil_pubkey_from_dnskey(rd, len, &key), SIGIL_EMALFORMED,
	       "even RSA exponent is malformed");
	ok(key == NULL, "still no key");
}

/* Verifies signatures OpenSSL makes with fresh keys, chosen so that r and s
 * take every DER shape: high bit set (needs a 0x00), leading zero bytes
 * (must be stripped). */
static void test_ecdsa_der_shapes(const char *group, uint8_t alg,
                                  const char *mdname, size_t half)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	uint8_t rd[4 + 1 + 96], pub[1 + 96], msg[64], der[256], rs[96];
	sigil_pubkey_t *key = NULL;
	size_t publen = 0;
	int seen_hi_r = 0, seen_lo_r = 0, seen_zero_r = 0, seen_zero_s = 0,
	    seen_hi_s = 0, fails = 0, n = 0;

	ok(pk != NULL, "%s: test key generated", group);
	if (pk == NULL) {
		return;
	}
	EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub,
	                                sizeof(pub), &publen);
	rd[0] = 1;
	rd[1] = 0;
	rd[2] = 3;
	rd[3] = alg;
	memcpy(rd + 4, pub + 1, publen - 1);
	is_int(sigil_pubkey_from_dnskey(rd, 4 + publen - 1, &key), SIGIL_EOK,
	       "%s: DNSKEY from OpenSSL key decodes", group);
	for (n = 0; n < 20000 && key != NULL; n++) {
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		const unsigned char *p = der;
		size_t derlen = sizeof(der);
		ECDSA_SIG *es;
		const BIGNUM *r, *s;

		RAND_bytes(msg, sizeof(msg));
		EVP_DigestSignInit_ex(mctx, NULL, mdname, NULL, NULL, pk, NULL);
		EVP_DigestSign(mctx, der, &derlen, msg, sizeof(msg));
		EVP_MD_CTX_free(mctx);
		es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, rs, (int)half);
		BN_bn2binpad(s, rs + half, (int)half);
		ECDSA_SIG_free(es);
		seen_hi_r |= rs[0] >= 0x80;
		seen_lo_r |= rs[0] < 0x80;
		seen_hi_s |= rs[half] >= 0x80;
		seen_zero_r |= rs[0] == 0;
		seen_zero_s |= rs[half] == 0;
		if (sigil_pubkey_verify(key, msg, sizeof(msg), rs, 2 * half) !=
		    SIGIL_EOK) {
			fails++;
		}
		msg[0] ^= 1;
		if (sigil_pubkey_verify(key, msg, sizeof(msg), rs, 2 * half) !=
		    SIGIL_EBADSIG) {
			fails++;
		}
		if (n >= 200 && seen_hi_r && seen_lo_r && seen_hi_s &&
		    seen_zero_r && seen_zero_s) {
			break;
		}
	}
	ok(seen_hi_r && seen_lo_r && seen_hi_s && seen_zero_r && seen_zero_s,
	   "%s: r and s with high bit set and with leading zero bytes seen",
	   group);
	is_int(fails, 0,
	       "%s: all %d OpenSSL signatures verify (and fail when "
	       "altered)",
	       group, n);
	sigil_pubkey_free(key);
	EVP_PKEY_free(pk);
}

/* A key freed and another decoded at the same address must not be
 * confused by the per-thread context cache. */
static void test_key_reuse(void)
{
	struct built a, b;
	sigil_pubkey_t *k2 = NULL;
	uint8_t rd[1024];
	size_t len;
	int bad = 0;

	build(&sigs[2], &a); /* P-256 */
	build(&sigs[3], &b); /* P-384 */
	for (int i = 0; i < 50; i++) {
		sigil_pubkey_t *k1 = NULL;

		len = test_dnskey(rd, sizeof(rd), 257, 13, sigs[2].key);
		sigil_pubkey_from_dnskey(rd, len, &k1);
		bad += sigil_pubkey_verify(k1, a.data.data, a.data.len, a.sig,
		                           a.siglen) != SIGIL_EOK;
		sigil_pubkey_free(k1);
		len = test_dnskey(rd, sizeof(rd), 257, 14, sigs[3].key);
		sigil_pubkey_from_dnskey(rd, len, &k2);
		bad += sigil_pubkey_verify(k2, b.data.data, b.data.len, b.sig,
		                           b.siglen) != SIGIL_EOK;
		/* P-256 data and a 96-byte signature under the P-384 key */
		bad += sigil_pubkey_verify(k2, a.data.data, a.data.len, b.sig,
		                           b.siglen) != SIGIL_EBADSIG;
		sigil_pubkey_free(k2);
	}
	is_int(bad, 0, "keys freed and re-created keep their own contexts");
	unbuild(&a);
	unbuild(&b);
}

/* ---- threads -------------------------------------------------------- */

#define NKEYS 40 /* more than the per-thread cache holds */

struct shared {
	sigil_pubkey_t *keys[NKEYS];
	uint8_t msg[NKEYS][32];
	uint8_t sig[NKEYS][64];
	struct built vec[sizeof(sigs) / sizeof(sigs[0])];
};

static void *worker(void *arg)
{
	struct shared *sh = arg;
	size_t nvec = sizeof(sigs) / sizeof(sigs[0]);
	long bad = 0;

	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < NKEYS; i++) {
			int j = (i + round) % NKEYS;

			bad += sigil_pubkey_verify(sh->keys[j], sh->msg[j], 32,
			                           sh->sig[j], 64) != SIGIL_EOK;
			/* another key's signature never verifies */
			bad += sigil_pubkey_verify(sh->keys[j],
			                           sh->msg[(j + 1) % NKEYS], 32,
			                           sh->sig[(j + 1) % NKEYS],
			                           64) != SIGIL_EBADSIG;
		}
		for (size_t v = 0; v < nvec; v++) {
			struct built *b = &sh->vec[v];

			bad += sigil_pubkey_verify(b->key, b->data.data,
			                           b->data.len, b->sig,
			                           b->siglen) != SIGIL_EOK;
		}
	}
	return (void *)bad;
}

static void test_threads(void)
{
	static struct shared sh;
	pthread_t th[4];
	long bad = 0;
	int made = 0;

	for (int i = 0; i < NKEYS; i++) {
		EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		uint8_t pub[65], rd[68], der[80];
		const unsigned char *p = der;
		size_t publen = 0, derlen = sizeof(der);
		const BIGNUM *r, *s;
		ECDSA_SIG *es;

		EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY,
		                                pub, sizeof(pub), &publen);
		memcpy(rd, "\x01\x00\x03\x0d", 4);
		memcpy(rd + 4, pub + 1, 64);
		made += sigil_pubkey_from_dnskey(rd, 68, &sh.keys[i]) ==
		        SIGIL_EOK;
		RAND_bytes(sh.msg[i], 32);
		EVP_DigestSignInit_ex(mctx, NULL, "SHA256", NULL, NULL, pk,
		                      NULL);
		EVP_DigestSign(mctx, der, &derlen, sh.msg[i], 32);
		es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, sh.sig[i], 32);
		BN_bn2binpad(s, sh.sig[i] + 32, 32);
		ECDSA_SIG_free(es);
		EVP_MD_CTX_free(mctx);
		EVP_PKEY_free(pk);
	}
	is_int(made, NKEYS, "%d P-256 keys made", NKEYS);
	for (size_t v = 0; v < sizeof(sigs) / sizeof(sigs[0]); v++) {
		build(&sigs[v], &sh.vec[v]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_create(&th[i], NULL, worker, &sh);
	}
	for (int i = 0; i < 4; i++) {
		void *rv;

		pthread_join(th[i], &rv);
		bad += (long)rv;
	}
	is_int(bad, 0, "4 threads verify shared keys concurrently");
	for (int i = 0; i < NKEYS; i++) {
		sigil_pubkey_free(sh.keys[i]);
	}
	for (size_t v = 0; v < sizeof(sigs) / sizeof(sigs[0]); v++) {
		unbuild(&sh.vec[v]);
	}
}

static void test_alg(void)
{
	is_str(sigil_alg_name(13), "ECDSAP256SHA256", "name of algorithm 13");
	is_str(sigil_alg_name(8), "RSASHA256", "name of algorithm 8");
	is_str(sigil_alg_name(15), "ED25519", "name of algorithm 15");
	is_str(sigil_alg_name(7), "RSASHA1-NSEC3-SHA1", "name of algorithm 7");
	ok(sigil_alg_name(4) == NULL && sigil_alg_name(100) == NULL,
	   "unassigned algorithms have no name");
	ok(sigil_alg_can_verify(5) && sigil_alg_can_verify(7) &&
	           sigil_alg_can_verify(8) && sigil_alg_can_verify(10) &&
	           sigil_alg_can_verify(13) && sigil_alg_can_verify(14) &&
	           sigil_alg_can_verify(15) && sigil_alg_can_verify(16),
	   "verifiable algorithms");
	ok(!sigil_alg_can_verify(1) && !sigil_alg_can_verify(3) &&
	           !sigil_alg_can_verify(6) && !sigil_alg_can_verify(12) &&
	           !sigil_alg_can_verify(0),
	   "unverifiable algorithms");
	ok(!sigil_alg_can_sign(5) && !sigil_alg_can_sign(7) &&
	           sigil_alg_can_sign(8) && sigil_alg_can_sign(10) &&
	           sigil_alg_can_sign(13) && sigil_alg_can_sign(14) &&
	           sigil_alg_can_sign(15) && sigil_alg_can_sign(16),
	   "signing algorithms exclude SHA-1");
}

int main(void)
{
	ok(test_time("20100909100439") == 1284026679u, "timestamp helper");
	test_alg();
	test_keys();
	test_ds_more();
	test_keytag_alg1();
	test_verify_vectors();
	test_rsa_long_exponent();
	test_bad_keys();
	test_ecdsa_der_shapes("P-256", 13, "SHA256", 32);
	test_ecdsa_der_shapes("P-384", 14, "SHA384", 48);
	test_key_reuse();
	test_threads();
	return done_testing();
}
