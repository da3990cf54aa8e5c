#include <string.h>

#include "crypto/nsec3.h"
#include "crypto/ossl.h"
#include "dns/name.h"
#include "util/error.h"

int sigil_nsec3_hash(uint8_t alg, uint16_t iterations, const uint8_t *salt,
                     size_t salt_len, const uint8_t *name, uint8_t *out)
{
	const EVP_MD *md = sigil_ossl_md(SIGIL_MD_SHA1);
	uint8_t lname[SIGIL_DNAME_MAXLEN];
	uint8_t digest[EVP_MAX_MD_SIZE];
	struct sigil_ossl_tls *t;
	EVP_MD_CTX *ctx;
	unsigned dlen = 0;
	size_t nlen;
	int ret = SIGIL_ECRYPTO;

	if (alg != SIGIL_NSEC3_HASH_SHA1) {
		return SIGIL_EALGORITHM;
	}
	if (md == NULL) {
		return SIGIL_ECRYPTO;
	}
	t = sigil_ossl_tls();
	if (t == NULL) {
		return SIGIL_ENOMEM;
	}
	ctx = t->mdctx;
	nlen = sigil_dname_len(name);
	if (nlen > sizeof(lname)) {
		return SIGIL_EMALFORMED;
	}
	sigil_dname_tolower(lname, name);

	/* IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(k-1) || salt)
	 * (RFC 5155 §5). */
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, lname, nlen) != 1 ||
	    EVP_DigestUpdate(ctx, salt, salt_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &dlen) != 1) {
		goto out;
	}
	for (unsigned i = 0; i < iterations; i++) {
		if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, digest, dlen) != 1 ||
		    EVP_DigestUpdate(ctx, salt, salt_len) != 1 ||
		    EVP_DigestFinal_ex(ctx, digest, &dlen) != 1) {
			goto out;
		}
	}
	if (dlen != SIGIL_NSEC3_SHA1_LEN) {
		goto out;
	}
	memcpy(out, digest, SIGIL_NSEC3_SHA1_LEN);
	ret = SIGIL_EOK;
out:
	return ret;
}

static const char b32hex[] = "0123456789abcdefghijklmnopqrstuv";

size_t sigil_base32hex_encode(char *out, const uint8_t *in, size_t len)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32hex[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0) {
		out[o++] = b32hex[(acc << (5 - bits)) & 0x1f];
	}
	out[o] = '\0';
	return o;
}

static int b32hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'v') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'V') {
		return c - 'A' + 10;
	}
	return -1;
}

long sigil_base32hex_decode(uint8_t *out, size_t cap, const char *in,
                            size_t len)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	/* Unpadded lengths 1, 3 and 6 (mod 8) cannot come from any input. */
	switch (len % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	default:
		break;
	}
	for (size_t i = 0; i < len; i++) {
		int v = b32hex_value(in[i]);

		if (v < 0) {
			return -1;
		}
		acc = ((acc << 5) | (unsigned)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap) {
				return -1;
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Left-over bits must be zero: one encoding per value. */
	if ((acc & ((1u << bits) - 1)) != 0) {
		return -1;
	}
	return (long)o;
}
