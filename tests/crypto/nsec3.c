/* NSEC3 hashing (RFC 5155 Appendix A) and base32hex (RFC 4648). */
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/nsec3.h"
#include "dns/name.h"
#include "lib/tap.h"
#include "util/error.h"

/* RFC 5155 Appendix A: SHA-1, salt aabbccdd, 12 iterations. */
static const struct {
	const char *name;
	const char *hash;
} appendix_a[] = {
	{"example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
	{"a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
	{"ai.example", "gjeqe526plbf1g8mklp59enfd789njgi"},
	{"ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
	{"ns2.example", "q04jkcevqvmu85r014c7dkba38o0ji5r"},
	{"w.example", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
	{"*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
	{"x.w.example", "b4um86eghhds6nea196smvmlo4ors995"},
	{"y.w.example", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"},
	{"x.y.w.example", "2vptu5timamqttgl4luu9kg21e0aor3s"},
	{"xx.example", "t644ebqk9bibcna874givr6joj62mlhv"},
	{"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example",
         "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
};

/* RFC 4648 §10, BASE32-HEX, padding removed and lowercased. */
static const struct {
	const char *in;
	const char *out;
} rfc4648[] = {
	{"", ""},
	{"f", "co"},
	{"fo", "cpng"},
	{"foo", "cpnmu"},
	{"foob", "cpnmuog"},
	{"fooba", "cpnmuoj1"},
	{"foobar", "cpnmuoj1e8"},
};

static void test_appendix_a(void)
{
	static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};

	for (size_t i = 0; i < sizeof(appendix_a) / sizeof(appendix_a[0]);
	     i++) {
		uint8_t name[SIGIL_DNAME_MAXLEN], h[SIGIL_NSEC3_SHA1_LEN];
		uint8_t want[SIGIL_NSEC3_SHA1_LEN];
		char txt[SIGIL_NSEC3_SHA1_LEN * 8 / 5 + 2], fqdn[300];
		int ret;

		snprintf(fqdn, sizeof(fqdn), "%s.", appendix_a[i].name);
		sigil_dname_from_str(name, fqdn, NULL);
		ret = sigil_nsec3_hash(SIGIL_NSEC3_HASH_SHA1, 12, salt,
		                       sizeof(salt), name, h);
		sigil_base32hex_encode(txt, h, sizeof(h));
		ok(ret == SIGIL_EOK && strcmp(txt, appendix_a[i].hash) == 0,
		   "H(%s) = %s", appendix_a[i].name, appendix_a[i].hash);
		ok(sigil_base32hex_decode(want, sizeof(want),
		                          appendix_a[i].hash, 32) == 20 &&
		           memcmp(want, h, 20) == 0,
		   "  decodes to the same 20 bytes");
	}
}

static void test_hash_more(void)
{
	static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
	uint8_t lo[SIGIL_DNAME_MAXLEN], up[SIGIL_DNAME_MAXLEN];
	uint8_t h1[20], h2[20], ref[EVP_MAX_MD_SIZE];
	unsigned rlen = 0;
	size_t len;

	sigil_dname_from_str(lo, "x.y.w.example.", NULL);
	sigil_dname_from_str(up, "X.Y.W.EXAMPLE.", NULL);
	sigil_nsec3_hash(1, 12, salt, 4, lo, h1);
	sigil_nsec3_hash(1, 12, salt, 4, up, h2);
	ok(memcmp(h1, h2, 20) == 0, "hashing lowercases the name");
	ok(memcmp(up, "\x01X", 2) == 0, "the caller's name is not changed");

	/* 0 iterations, no salt: plain SHA-1 of the wire name */
	len = sigil_dname_from_str(lo, "example.", NULL);
	is_int(sigil_nsec3_hash(1, 0, NULL, 0, lo, h1), SIGIL_EOK,
	       "0 iterations, empty salt");
	EVP_Digest(lo, len, ref, &rlen, EVP_sha1(), NULL);
	ok(rlen == 20 && memcmp(h1, ref, 20) == 0, "  is SHA-1(name)");
	/* 1 iteration: SHA-1(SHA-1(name || salt) || salt) */
	{
		uint8_t buf[64];

		memcpy(buf, lo, len);
		memcpy(buf + len, salt, 4);
		EVP_Digest(buf, len + 4, ref, &rlen, EVP_sha1(), NULL);
		memcpy(buf, ref, 20);
		memcpy(buf + 20, salt, 4);
		EVP_Digest(buf, 24, ref, &rlen, EVP_sha1(), NULL);
		sigil_nsec3_hash(1, 1, salt, 4, lo, h1);
		ok(memcmp(h1, ref, 20) == 0,
		   "1 iteration is H(H(name || salt) || salt)");
	}
	is_int(sigil_nsec3_hash(2, 0, NULL, 0, lo, h1), SIGIL_EALGORITHM,
	       "hash algorithm 2 is unsupported");
	is_int(sigil_nsec3_hash(0, 0, NULL, 0, lo, h1), SIGIL_EALGORITHM,
	       "hash algorithm 0 is unsupported");
}

static void test_base32hex(void)
{
	uint8_t buf[64], rnd[64], back[64];
	char txt[128];
	int bad = 0;

	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t in = strlen(rfc4648[i].in);
		size_t n = sigil_base32hex_encode(
			txt, (const uint8_t *)rfc4648[i].in, in);

		ok(n == strlen(rfc4648[i].out) &&
		           strcmp(txt, rfc4648[i].out) == 0,
		   "base32hex(\"%s\") = \"%s\"", rfc4648[i].in, rfc4648[i].out);
		ok(sigil_base32hex_decode(buf, sizeof(buf), rfc4648[i].out,
		                          strlen(rfc4648[i].out)) == (long)in &&
		           memcmp(buf, rfc4648[i].in, in) == 0,
		   "  and back");
	}
	ok(sigil_base32hex_decode(buf, sizeof(buf), "CPNMUOJ1E8", 10) == 6 &&
	           memcmp(buf, "foobar", 6) == 0,
	   "decoding ignores case");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "cpnmuoj1e8==", 12), -1,
	       "padding is invalid");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "cpnw", 4), -1,
	       "'w' is not base32hex");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "c", 1), -1,
	       "length 1 is invalid");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "cpn", 3), -1,
	       "length 3 is invalid");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "cpnmuo", 6), -1,
	       "length 6 is invalid");
	is_int(sigil_base32hex_decode(buf, sizeof(buf), "cp", 2), -1,
	       "non-zero trailing bits are invalid");
	is_int(sigil_base32hex_decode(buf, 5, "cpnmuoj1e8", 10), -1,
	       "output larger than cap is invalid");
	is_int(sigil_base32hex_decode(buf, 6, "cpnmuoj1e8", 10), 6,
	       "output of exactly cap fits");
	for (int len = 0; len <= 40; len++) {
		for (int r = 0; r < 20; r++) {
			size_t n;

			RAND_bytes(rnd, len);
			n = sigil_base32hex_encode(txt, rnd, (size_t)len);
			bad += n != ((size_t)len * 8 + 4) / 5;
			bad += strlen(txt) != n;
			bad += sigil_base32hex_decode(back, sizeof(back), txt,
			                              n) != len;
			bad += memcmp(back, rnd, (size_t)len) != 0;
		}
	}
	is_int(bad, 0, "random round trips of 0..40 bytes");
}

int main(void)
{
	test_appendix_a();
	test_hash_more();
	test_base32hex();
	return done_testing();
}
