/* Software private keys: generation, PEM PKCS #8, DNSKEY public keys and
 * signatures checked with the verifier (crypto/key.h), the parts an HSM
 * import needs, and the RFC 8080 §6.1 Ed25519 known answer (EdDSA is
 * deterministic, so the RFC's signature must come out byte for byte). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "crypto/privkey.h"
#include "crypto/rrsig.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- helpers -------------------------------------------------------- */

/* DNSKEY RDATA (flags 257, protocol 3) of key into rd; its length. */
static size_t key_rdata(const sigil_privkey_t *key, uint8_t *rd, size_t cap)
{
	size_t publen = 0;

	rd[0] = 1;
	rd[1] = 1;
	rd[2] = 3;
	rd[3] = sigil_privkey_alg(key);
	if (sigil_privkey_dnskey_pub(key, rd + 4, cap - 4, &publen) !=
	    SIGIL_EOK) {
		return 0;
	}
	return 4 + publen;
}

/* PEM "PRIVATE KEY" of DER bytes, into out (cap bytes). */
static void der_to_pem(const uint8_t *der, size_t len, char *out, size_t cap)
{
	char b64[1024];
	size_t n = 0;
	int blen;

	if ((len + 2) / 3 * 4 + 1 > sizeof(b64)) {
		abort();
	}
	blen = EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
	n += (size_t)snprintf(out + n, cap - n,
	                      "-----BEGIN PRIVATE KEY-----\n");
	for (int i = 0; i < blen; i += 64) {
		n += (size_t)snprintf(out + n, cap - n, "%.*s\n",
		                      blen - i < 64 ? blen - i : 64, b64 + i);
	}
	snprintf(out + n, cap - n, "-----END PRIVATE KEY-----\n");
}

/* ---- per algorithm -------------------------------------------------- */

struct algcase {
	uint8_t alg;
	unsigned bits; /* asked for */
	unsigned want_bits;
	size_t siglen;
};

static const struct algcase algs[] = {
	{8, 0, 2048, 256},     {10, 1024, 1024, 128}, {13, 0, 256, 64},
	{14, 384, 384, 96},    {15, 0, 256, 64},      {16, 0, 456, 114},
	{10, 4096, 4096, 512},
};

static void check_sign_verify(const struct algcase *c, sigil_privkey_t *key)
{
	uint8_t rd[4 + SIGIL_PRIVKEY_PUB_MAXLEN], data[300];
	uint8_t sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	sigil_pubkey_t *pub = NULL;
	size_t rdlen = key_rdata(key, rd, sizeof(rd)), siglen = 0;
	int bad = 0;

	ok(rdlen > 4, "alg %u: DNSKEY public key field", c->alg);
	is_int(sigil_pubkey_from_dnskey(rd, rdlen, &pub), SIGIL_EOK,
	       "alg %u: the DNSKEY decodes", c->alg);
	if (pub == NULL) {
		return;
	}
	is_int(sigil_pubkey_bits(pub), c->want_bits, "alg %u: public key bits",
	       c->alg);
	for (int i = 0; i < 5; i++) {
		RAND_bytes(data, sizeof(data));
		if (sigil_privkey_sign(key, data, sizeof(data) - (size_t)i, sig,
		                       sizeof(sig), &siglen) != SIGIL_EOK ||
		    siglen != c->siglen) {
			bad++;
			continue;
		}
		bad += sigil_pubkey_verify(pub, data, sizeof(data) - (size_t)i,
		                           sig, siglen) != SIGIL_EOK;
		data[i] ^= 0x10;
		bad += sigil_pubkey_verify(pub, data, sizeof(data) - (size_t)i,
		                           sig, siglen) != SIGIL_EBADSIG;
		data[i] ^= 0x10;
		sig[siglen - 1 - (size_t)i] ^= 0x01;
		bad += sigil_pubkey_verify(pub, data, sizeof(data) - (size_t)i,
		                           sig, siglen) != SIGIL_EBADSIG;
	}
	is_int(bad, 0,
	       "alg %u: signatures of %zu bytes verify, flipped bits fail",
	       c->alg, c->siglen);
	is_int(sigil_privkey_sign(key, data, 10, sig, c->siglen - 1, &siglen),
	       SIGIL_ESPACE, "alg %u: short signature buffer is ESPACE",
	       c->alg);
	sigil_pubkey_free(pub);
}

static void check_pem(const struct algcase *c, sigil_privkey_t *key)
{
	uint8_t a[SIGIL_PRIVKEY_PUB_MAXLEN], b[SIGIL_PRIVKEY_PUB_MAXLEN];
	size_t alen = 0, blen = 0, len = 0;
	sigil_privkey_t *back = NULL;
	char *pem = NULL;
	int ret;

	is_int(sigil_privkey_to_pem(key, &pem, &len), SIGIL_EOK,
	       "alg %u: PEM written", c->alg);
	if (pem == NULL) {
		return;
	}
	ok(strlen(pem) == len &&
	           strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
	   "alg %u: PEM is PKCS #8, NUL terminated", c->alg);
	ret = sigil_privkey_from_pem(c->alg, pem, len, &back);
	is_int(ret, SIGIL_EOK, "alg %u: PEM read back", c->alg);
	if (back != NULL) {
		sigil_privkey_dnskey_pub(key, a, sizeof(a), &alen);
		sigil_privkey_dnskey_pub(back, b, sizeof(b), &blen);
		ok(alen > 0 && alen == blen && memcmp(a, b, alen) == 0,
		   "alg %u: same public key after the round trip", c->alg);
		ok(sigil_privkey_alg(back) == c->alg &&
		           sigil_privkey_bits(back) == c->want_bits,
		   "alg %u: algorithm and size after the round trip", c->alg);
		sigil_privkey_free(back);
	}
	/* The same key under every other algorithm: only RSA/SHA-256 and
	 * RSA/SHA-512 share a key type. */
	for (uint8_t other = 8; other <= 16; other++) {
		bool rsa_pair = (c->alg == 8 || c->alg == 10) &&
		                (other == 8 || other == 10);
		int want = rsa_pair ? SIGIL_EOK : SIGIL_EMALFORMED;

		if (other == c->alg || other == 9 || other == 11 ||
		    other == 12) {
			continue;
		}
		back = NULL;
		ret = sigil_privkey_from_pem(other, pem, len, &back);
		is_int(ret, want, "alg %u key read as alg %u: %s", c->alg,
		       other, rsa_pair ? "accepted" : "EMALFORMED");
		ok((ret == SIGIL_EOK) == (back != NULL),
		   "alg %u key read as alg %u: key only on success", c->alg,
		   other);
		sigil_privkey_free(back);
	}
	/* Cut short: the PEM no longer decodes. */
	is_int(sigil_privkey_from_pem(c->alg, pem, len / 2, &back),
	       SIGIL_EMALFORMED, "alg %u: truncated PEM is EMALFORMED", c->alg);
	OPENSSL_cleanse(pem, len);
	free(pem);
}

static void check_parts(const struct algcase *c, sigil_privkey_t *key)
{
	sigil_privkey_parts_t parts;
	int ret = sigil_privkey_parts(key, &parts);
	bool zero = true;

	is_int(ret, SIGIL_EOK, "alg %u: parts", c->alg);
	if (ret != SIGIL_EOK) {
		return;
	}
	ok(parts.alg == c->alg, "alg %u: parts carry the algorithm", c->alg);
	if (c->alg == 8 || c->alg == 10) {
		ok(parts.n_len == c->want_bits / 8 && parts.e_len == 3 &&
		           parts.d_len > 0 && parts.p_len > 0 &&
		           parts.q_len > 0 && parts.dp_len > 0 &&
		           parts.dq_len > 0 && parts.qinv_len > 0 &&
		           parts.value == NULL,
		   "alg %u: all 8 RSA parts present, n of %u bytes", c->alg,
		   c->want_bits / 8);
		ok(parts.e != NULL && parts.e[0] == 0x01 && parts.e[1] == 0 &&
		           parts.e[2] == 0x01,
		   "alg %u: e is 65537", c->alg);
		ok(parts.n != NULL && (parts.n[0] & 0x80) != 0,
		   "alg %u: n is big-endian, full width", c->alg);
	} else if (c->alg == 13 || c->alg == 14) {
		is_int(parts.value_len, c->siglen / 2,
		       "alg %u: d is as wide as the curve", c->alg);
		ok(parts.n == NULL && parts.n_len == 0, "alg %u: no RSA parts",
		   c->alg);
	} else {
		is_int(parts.value_len, c->alg == 15 ? 32 : 57,
		       "alg %u: raw EdDSA private key", c->alg);
	}
	sigil_privkey_parts_clear(&parts);
	for (size_t i = 0; i < sizeof(parts.buf); i++) {
		zero &= parts.buf[i] == 0;
	}
	ok(zero && parts.value == NULL && parts.d == NULL,
	   "alg %u: parts cleared", c->alg);
}

static void test_algorithms(void)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const struct algcase *c = &algs[i];
		sigil_privkey_t *key = NULL;
		int ret = sigil_privkey_generate(c->alg, c->bits, &key);

		is_int(ret, SIGIL_EOK, "alg %u (%s), %u bits: generated",
		       c->alg, sigil_alg_name(c->alg), c->want_bits);
		if (key == NULL) {
			continue;
		}
		ok(sigil_privkey_alg(key) == c->alg &&
		           sigil_privkey_bits(key) == c->want_bits,
		   "alg %u: algorithm and %u bits", c->alg, c->want_bits);
		check_sign_verify(c, key);
		check_pem(c, key);
		check_parts(c, key);
		sigil_privkey_free(key);
	}
}

static void test_generate_limits(void)
{
	sigil_privkey_t *key = (sigil_privkey_t *)&key;

	is_int(sigil_privkey_generate(5, 2048, &key), SIGIL_EALGORITHM,
	       "RSASHA1 keys are not made");
	ok(key == NULL, "no key on failure");
	is_int(sigil_privkey_generate(3, 0, &key), SIGIL_EALGORITHM,
	       "DSA keys are not made");
	is_int(sigil_privkey_generate(8, 1016, &key), SIGIL_ERANGE,
	       "RSA 1016 bits is too small");
	is_int(sigil_privkey_generate(8, 4104, &key), SIGIL_ERANGE,
	       "RSA 4104 bits is too large");
	is_int(sigil_privkey_generate(10, 2049, &key), SIGIL_ERANGE,
	       "RSA 2049 bits is not a multiple of 8");
	is_int(sigil_privkey_generate(13, 384, &key), SIGIL_ERANGE,
	       "P-256 with 384 bits is refused");
	is_int(sigil_privkey_generate(15, 255, &key), SIGIL_ERANGE,
	       "Ed25519 with 255 bits is refused");
	ok(key == NULL, "still no key");
	is_int(sigil_privkey_generate(16, 448, &key), SIGIL_EOK,
	       "Ed448 may be asked for by its 448-bit curve");
	sigil_privkey_free(key);
}

enum pem_form {
	PEM_PKCS8,
	PEM_PKCS8_ENCRYPTED,
	PEM_TRADITIONAL, /* "EC PRIVATE KEY", "RSA PRIVATE KEY" */
};

/* PEM of pk in a new buffer; frees pk. */
static char *pem_of(EVP_PKEY *pk, enum pem_form form, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy = NULL;
	long n = 0;
	int r = 0;

	if (pk == NULL || bio == NULL) {
		abort();
	}
	switch (form) {
	case PEM_PKCS8:
		r = PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
		                             NULL);
		break;
	case PEM_PKCS8_ENCRYPTED:
		r = PEM_write_bio_PKCS8PrivateKey(bio, pk, EVP_aes_128_cbc(),
		                                  "pw", 2, NULL, NULL);
		break;
	case PEM_TRADITIONAL:
		r = PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0,
		                                         NULL, NULL);
		break;
	}
	n = BIO_get_mem_data(bio, &data);
	if (r != 1 || n <= 0 || (copy = strndup(data, (size_t)n)) == NULL) {
		abort();
	}
	*len = (size_t)n;
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return copy;
}

/* A 2048-bit key of OpenSSL type "RSA" or "RSA-PSS" with this many
 * primes (RFC 8017 §3.2). */
static EVP_PKEY *rsa_gen(const char *type, size_t primes)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	size_t bits = 2048;
	OSSL_PARAM params[] = {
		OSSL_PARAM_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits),
		OSSL_PARAM_size_t(OSSL_PKEY_PARAM_RSA_PRIMES, &primes),
		OSSL_PARAM_END,
	};

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_generate(ctx, &pk) != 1) {
		abort();
	}
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static void test_bad_pem(void)
{
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\n"
				   "bm90IGEga2V5\n"
				   "-----END PRIVATE KEY-----\n";
	sigil_privkey_t *key = NULL;
	size_t len = 0;
	char *pem;

	pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
	             PEM_TRADITIONAL, &len);
	ok(strstr(pem, "BEGIN EC PRIVATE KEY") != NULL,
	   "test key in SEC 1 form");
	is_int(sigil_privkey_from_pem(13, pem, len, &key), SIGIL_EMALFORMED,
	       "SEC 1 \"EC PRIVATE KEY\" is refused");
	free(pem);
	pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
	             PEM_PKCS8_ENCRYPTED, &len);
	ok(strstr(pem, "BEGIN ENCRYPTED PRIVATE KEY") != NULL,
	   "test key in encrypted PKCS #8");
	is_int(sigil_privkey_from_pem(13, pem, len, &key), SIGIL_EMALFORMED,
	       "encrypted PKCS #8 is refused (and no passphrase asked)");
	free(pem);
	pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), PEM_PKCS8,
	             &len);
	is_int(sigil_privkey_from_pem(13, pem, len, &key), SIGIL_EMALFORMED,
	       "a P-521 key is refused for algorithm 13");
	is_int(sigil_privkey_from_pem(14, pem, len, &key), SIGIL_EMALFORMED,
	       "a P-521 key is refused for algorithm 14");
	free(pem);
	pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768),
	             PEM_PKCS8, &len);
	is_int(sigil_privkey_from_pem(8, pem, len, &key), SIGIL_EMALFORMED,
	       "a 768-bit RSA key is refused");
	free(pem);
	pem = pem_of(rsa_gen("RSA-PSS", 2), PEM_PKCS8, &len);
	is_int(sigil_privkey_from_pem(8, pem, len, &key), SIGIL_EMALFORMED,
	       "an RSA-PSS key is refused");
	free(pem);
	pem = pem_of(rsa_gen("RSA", 3), PEM_PKCS8, &len);
	is_int(sigil_privkey_from_pem(8, pem, len, &key), SIGIL_EMALFORMED,
	       "an RSA key of three primes is refused");
	free(pem);
	is_int(sigil_privkey_from_pem(13, junk, sizeof(junk) - 1, &key),
	       SIGIL_EMALFORMED, "PRIVATE KEY block without a key is refused");
	is_int(sigil_privkey_from_pem(13, "", 0, &key), SIGIL_EMALFORMED,
	       "empty input is refused");
	is_int(sigil_privkey_from_pem(7, junk, sizeof(junk) - 1, &key),
	       SIGIL_EALGORITHM, "algorithm 7 is refused");
	ok(key == NULL, "no key from bad input");
}

/* ---- RFC 8080 §6.1 example 1 ---------------------------------------- */

#define RFC8080_SEED "ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI="
#define RFC8080_PUB "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="
#define RFC8080_SIG                                                            \
	"oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M"     \
	"3e23mRZ9VrbpMngwcrqNAg=="

static size_t put_u32(uint8_t *out, uint32_t v)
{
	for (int i = 0; i < 4; i++) {
		out[i] = (uint8_t)(v >> (24 - 8 * i));
	}
	return 4;
}

/* The data the RFC's RRSIG signs: example.com. 3600 IN MX 10
 * mail.example.com., RRSIG MX 15 2 3600 1440021600 1438207200 3613
 * example.com. */
static int rfc8080_signed_data(sigil_buf_t *out)
{
	uint8_t rrsig[SIGIL_RRSIG_FIXED_LEN + 256 + 64], owner[256], rr[64];
	sigil_rdata_ref_t ref;
	sigil_rrsig_t parsed;
	size_t pos = 0;
	int ret;

	rrsig[pos++] = 0;
	rrsig[pos++] = 15; /* type covered: MX */
	rrsig[pos++] = 15; /* algorithm */
	rrsig[pos++] = 2;  /* labels */
	pos += put_u32(rrsig + pos, 3600);
	pos += put_u32(rrsig + pos, 1440021600);
	pos += put_u32(rrsig + pos, 1438207200);
	rrsig[pos++] = 3613 >> 8;
	rrsig[pos++] = 3613 & 0xff;
	pos += test_dname(rrsig + pos, "example.com.");
	/* A placeholder signature: the signed data leaves it out. */
	memset(rrsig + pos, 0, 64);
	pos += 64;
	ret = sigil_rrsig_parse(rrsig, pos, &parsed);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	test_dname(owner, "example.com.");
	ref.rdata = rr;
	ref.rdlen = (uint16_t)tap_hex("000a 046d61696c 076578616d706c65 "
	                              "03636f6d 00",
	                              rr, sizeof(rr));
	return sigil_rrsig_signed_data(out, &parsed, rrsig, owner, 15, 1, &ref,
	                               1);
}

static void test_rfc8080(void)
{
	/* PKCS #8 for Ed25519 (RFC 8410 §7): the fixed header, then the
	 * 32-byte private key. */
	uint8_t der[16 + 32], want_pub[33], pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	uint8_t want_sig[66], sig[SIGIL_PRIVKEY_SIG_MAXLEN], seed[33];
	size_t hlen = tap_hex("302e020100300506032b657004220420", der, 16);
	size_t publen = 0, siglen = 0;
	sigil_privkey_t *key = NULL, *other = NULL;
	sigil_privkey_parts_t parts;
	sigil_buf_t data = {0};
	char pem[256];
	int ret;

	/* test_b64 wants room for the padding too. */
	ok(test_b64(RFC8080_SEED, seed, sizeof(seed)) == 32,
	   "RFC 8080 §6.1: the private key is 32 bytes");
	memcpy(der + hlen, seed, 32);
	test_b64(RFC8080_PUB, want_pub, sizeof(want_pub));
	test_b64(RFC8080_SIG, want_sig, sizeof(want_sig));
	der_to_pem(der, sizeof(der), pem, sizeof(pem));
	ret = sigil_privkey_from_pem(15, pem, strlen(pem), &key);
	is_int(ret, SIGIL_EOK, "RFC 8080 §6.1: private key imported");
	if (key == NULL) {
		return;
	}
	ret = sigil_privkey_dnskey_pub(key, pub, sizeof(pub), &publen);
	ok(ret == SIGIL_EOK && publen == 32 && memcmp(pub, want_pub, 32) == 0,
	   "RFC 8080 §6.1: DNSKEY public key l02Woi0i...");
	ret = sigil_privkey_parts(key, &parts);
	ok(ret == SIGIL_EOK && parts.value_len == 32 &&
	           memcmp(parts.value, der + hlen, 32) == 0,
	   "RFC 8080 §6.1: parts give back the private key");
	sigil_privkey_parts_clear(&parts);
	is_int(sigil_privkey_from_pem(16, pem, strlen(pem), &other),
	       SIGIL_EMALFORMED,
	       "RFC 8080 §6.1: the Ed25519 key is no Ed448 key");

	ret = rfc8080_signed_data(&data);
	is_int(ret, SIGIL_EOK, "RFC 8080 §6.1: signed data built");
	if (ret == SIGIL_EOK) {
		ret = sigil_privkey_sign(key, data.data, data.len, sig,
		                         sizeof(sig), &siglen);
		ok(ret == SIGIL_EOK && siglen == 64 &&
		           memcmp(sig, want_sig, 64) == 0,
		   "RFC 8080 §6.1: signature oL9krJun... reproduced");
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(der, sizeof(der));
	OPENSSL_cleanse(pem, sizeof(pem));
	sigil_buf_free(&data);
	sigil_privkey_free(key);
}

/* ---- threads -------------------------------------------------------- */

struct shared {
	const sigil_privkey_t *key;
	const sigil_pubkey_t *pub;
};

static void *signer(void *arg)
{
	const struct shared *sh = arg;
	uint8_t data[64], sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	size_t siglen;
	long bad = 0;

	for (int i = 0; i < 50; i++) {
		RAND_bytes(data, sizeof(data));
		bad += sigil_privkey_sign(sh->key, data, sizeof(data), sig,
		                          sizeof(sig), &siglen) != SIGIL_EOK ||
		       sigil_pubkey_verify(sh->pub, data, sizeof(data), sig,
		                           siglen) != SIGIL_EOK;
	}
	return (void *)bad;
}

static void test_threads(void)
{
	static const uint8_t tested[] = {13, 15, 8};

	for (size_t a = 0; a < sizeof(tested); a++) {
		uint8_t rd[4 + SIGIL_PRIVKEY_PUB_MAXLEN];
		sigil_privkey_t *key = NULL;
		sigil_pubkey_t *pub = NULL;
		struct shared sh;
		pthread_t th[4];
		long bad = 0;
		int made = 0;

		if (sigil_privkey_generate(tested[a], tested[a] == 8 ? 1024 : 0,
		                           &key) != SIGIL_EOK ||
		    sigil_pubkey_from_dnskey(rd, key_rdata(key, rd, sizeof(rd)),
		                             &pub) != SIGIL_EOK) {
			ok(0, "alg %u: key for the thread test", tested[a]);
			sigil_privkey_free(key);
			continue;
		}
		sh.key = key;
		sh.pub = pub;
		for (int i = 0; i < 4; i++) {
			made += pthread_create(&th[i], NULL, signer, &sh) == 0;
		}
		for (int i = 0; i < made; i++) {
			void *r;

			pthread_join(th[i], &r);
			bad += (long)r;
		}
		ok(made == 4 && bad == 0,
		   "alg %u: 4 threads sign with one key at once", tested[a]);
		sigil_pubkey_free(pub);
		sigil_privkey_free(key);
	}
}

int main(void)
{
	test_algorithms();
	test_generate_limits();
	test_bad_pem();
	test_rfc8080();
	test_threads();
	return done_testing();
}
