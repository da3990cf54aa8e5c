/* sigil_ecfast: differential test against OpenSSL's EVP ECDSA verification
 * (P-256 and P-384), constructed edge cases (doubling inside R = u1*G +
 * u2*Q, u1 = 0, R = infinity, x(R) >= n), key validation, the RFC 6605 §6
 * examples, and concurrent use of one key by several threads. */
#include <pthread.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "crypto/ecfast.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/error.h"

#define CASES 2000

struct curve {
	const char *name; /* for EVP_EC_gen */
	int nid;
	uint8_t alg;
	size_t half; /* bytes per coordinate, r and s */
	size_t dlen; /* the algorithm's digest length */
	EC_GROUP *group;
	const BIGNUM *n;
	BN_CTX *bn;
};

struct key {
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *sctx, *vctx;
	BIGNUM *d;
	uint8_t pub[96];
	sigil_ecfast_t *fast;
};

static void fatal(const char *what)
{
	printf("Bail out! %s failed\n", what);
	exit(1);
}

static void key_new(const struct curve *c, struct key *k)
{
	uint8_t point[1 + 96];
	size_t len = 0;

	memset(k, 0, sizeof(*k));
	k->pkey = EVP_EC_gen(c->name);
	if (k->pkey == NULL ||
	    EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY,
	                                    point, sizeof(point), &len) != 1 ||
	    len != 1 + 2 * c->half || point[0] != 0x04 ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &k->d) !=
	            1) {
		fatal("key generation");
	}
	memcpy(k->pub, point + 1, 2 * c->half);
	k->sctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	k->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (k->sctx == NULL || k->vctx == NULL ||
	    EVP_PKEY_sign_init(k->sctx) != 1 ||
	    EVP_PKEY_verify_init(k->vctx) != 1) {
		fatal("EVP_PKEY_CTX setup");
	}
	if (sigil_ecfast_new(c->alg, k->pub, 2 * c->half, &k->fast) !=
	    SIGIL_EOK) {
		fatal("sigil_ecfast_new");
	}
}

static void key_free(struct key *k)
{
	sigil_ecfast_free(k->fast);
	EVP_PKEY_CTX_free(k->sctx);
	EVP_PKEY_CTX_free(k->vctx);
	EVP_PKEY_free(k->pkey);
	BN_clear_free(k->d);
}

static void bn_out(const BIGNUM *v, uint8_t *out, size_t len)
{
	if (BN_bn2binpad(v, out, (int)len) != (int)len) {
		fatal("BN_bn2binpad");
	}
}

/* EVP signature over a digest, as r || s. */
static void sign(const struct curve *c, const struct key *k, const uint8_t *dg,
                 size_t dlen, uint8_t *sig)
{
	uint8_t der[160];
	size_t len = sizeof(der);
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;

	if (EVP_PKEY_sign(k->sctx, der, &len, dg, dlen) != 1) {
		fatal("EVP_PKEY_sign");
	}
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (es == NULL) {
		fatal("d2i_ECDSA_SIG");
	}
	ECDSA_SIG_get0(es, &r, &s);
	bn_out(r, sig, c->half);
	bn_out(s, sig + c->half, c->half);
	ECDSA_SIG_free(es);
}

/* OpenSSL's verdict on r || s: 1 valid, 0 not. */
static int evp_verify(const struct curve *c, EVP_PKEY_CTX *vctx,
                      const uint8_t *dg, size_t dlen, const uint8_t *sig)
{
	uint8_t der[160], *p = der;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)c->half, NULL);
	BIGNUM *s = BN_bin2bn(sig + c->half, (int)c->half, NULL);
	int len, ret;

	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		fatal("ECDSA_SIG_set0");
	}
	len = i2d_ECDSA_SIG(es, &p);
	if (len <= 0 || (size_t)len > sizeof(der)) {
		fatal("i2d_ECDSA_SIG");
	}
	ECDSA_SIG_free(es);
	ret = EVP_PKEY_verify(vctx, der, (size_t)len, dg, dlen);
	return ret == 1;
}

/* sigil_ecfast's verdict: 1 valid, 0 not; aborts on another error. */
static int fast_verify(const sigil_ecfast_t *fast, const uint8_t *dg,
                       size_t dlen, const uint8_t *sig, size_t siglen)
{
	int ret = sigil_ecfast_verify(fast, dg, dlen, sig, siglen);

	if (ret != SIGIL_EOK && ret != SIGIL_EBADSIG) {
		printf("# sigil_ecfast_verify: %s\n", sigil_strerror(ret));
		return -1;
	}
	return ret == SIGIL_EOK;
}

static uint32_t rnd32(void)
{
	uint32_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1) {
		fatal("RAND_bytes");
	}
	return v;
}

static void hexdump(const char *label, const uint8_t *p, size_t n)
{
	printf("#   %s ", label);
	for (size_t i = 0; i < n; i++) {
		printf("%02x", p[i]);
	}
	printf("\n");
}

/* ---- differential test ---------------------------------------------- */

enum mutation {
	M_NONE,      /* the valid signature */
	M_MALLEABLE, /* (r, n - s): also valid */
	M_FLIP_R,
	M_FLIP_S,
	M_FLIP_DIGEST,
	M_R_ZERO,
	M_S_ZERO,
	M_R_N,
	M_S_N,
	M_R_N_MINUS_1,
	M_S_N_MINUS_1,
	M_R_ALL_ONES, /* 2^k - 1 > n */
	M_SWAP_RS,
	M_OTHER_KEY, /* a valid signature by another key */
	M_RANDOM,
	M_COUNT,
};

static const char *const mutation_names[M_COUNT] = {
	[M_NONE] = "valid signature",
	[M_MALLEABLE] = "(r, n-s)",
	[M_FLIP_R] = "bit flipped in r",
	[M_FLIP_S] = "bit flipped in s",
	[M_FLIP_DIGEST] = "bit flipped in the digest",
	[M_R_ZERO] = "r = 0",
	[M_S_ZERO] = "s = 0",
	[M_R_N] = "r = n",
	[M_S_N] = "s = n",
	[M_R_N_MINUS_1] = "r = n-1",
	[M_S_N_MINUS_1] = "s = n-1",
	[M_R_ALL_ONES] = "r = 2^k-1",
	[M_SWAP_RS] = "r and s swapped",
	[M_OTHER_KEY] = "signature by another key",
	[M_RANDOM] = "random r and s",
};

struct tally {
	int cases[M_COUNT];
	int disagree[M_COUNT];
	int accepted[M_COUNT]; /* by both */
	int errors;
};

static void mutate(const struct curve *c, enum mutation m, uint8_t *dg,
                   size_t dlen, uint8_t *sig, const struct key *other)
{
	size_t h = c->half;
	BIGNUM *v;

	switch (m) {
	case M_NONE:
		break;
	case M_MALLEABLE:
		v = BN_bin2bn(sig + h, (int)h, NULL);
		if (v == NULL || !BN_sub(v, c->n, v)) {
			fatal("BN_sub");
		}
		bn_out(v, sig + h, h);
		BN_free(v);
		break;
	case M_FLIP_R:
		sig[rnd32() % h] ^= (uint8_t)(1u << (rnd32() % 8));
		break;
	case M_FLIP_S:
		sig[h + rnd32() % h] ^= (uint8_t)(1u << (rnd32() % 8));
		break;
	case M_FLIP_DIGEST:
		dg[rnd32() % dlen] ^= (uint8_t)(1u << (rnd32() % 8));
		break;
	case M_R_ZERO:
		memset(sig, 0, h);
		break;
	case M_S_ZERO:
		memset(sig + h, 0, h);
		break;
	case M_R_N:
		bn_out(c->n, sig, h);
		break;
	case M_S_N:
		bn_out(c->n, sig + h, h);
		break;
	case M_R_N_MINUS_1:
	case M_S_N_MINUS_1:
		v = BN_dup(c->n);
		if (v == NULL || !BN_sub_word(v, 1)) {
			fatal("BN_sub_word");
		}
		bn_out(v, m == M_R_N_MINUS_1 ? sig : sig + h, h);
		BN_free(v);
		break;
	case M_R_ALL_ONES:
		memset(sig, 0xff, h);
		break;
	case M_SWAP_RS: {
		uint8_t tmp[48];

		memcpy(tmp, sig, h);
		memmove(sig, sig + h, h);
		memcpy(sig + h, tmp, h);
		break;
	}
	case M_OTHER_KEY:
		sign(c, other, dg, dlen, sig);
		break;
	case M_RANDOM:
		if (RAND_bytes(sig, (int)(2 * h)) != 1) {
			fatal("RAND_bytes");
		}
		break;
	case M_COUNT:
		break;
	}
}

static void check_one(const struct curve *c, const struct key *k,
                      enum mutation m, const uint8_t *dg0, size_t dlen,
                      const uint8_t *sig0, const struct key *other,
                      struct tally *t)
{
	uint8_t dg[64], sig[96];
	int a, b;

	memcpy(dg, dg0, dlen);
	memcpy(sig, sig0, 2 * c->half);
	mutate(c, m, dg, dlen, sig, other);
	a = evp_verify(c, k->vctx, dg, dlen, sig);
	b = fast_verify(k->fast, dg, dlen, sig, 2 * c->half);
	t->cases[m]++;
	if (b < 0) {
		t->errors++;
		return;
	}
	if (a != b) {
		if (t->disagree[m]++ == 0) {
			printf("# %s, %s: EVP %d, ecfast %d\n", c->name,
			       mutation_names[m], a, b);
			hexdump("digest", dg, dlen);
			hexdump("sig", sig, 2 * c->half);
		}
	} else if (a) {
		t->accepted[m]++;
	}
}

static void test_differential(const struct curve *c, int cases)
{
	struct key k, other;
	struct tally t = {{0}, {0}, {0}, 0};
	uint8_t dg[64], sig[96];
	int lenbad = 0;

	key_new(c, &k);
	key_new(c, &other);
	for (int i = 0; i < cases; i++) {
		enum mutation m = (enum mutation)(M_FLIP_R + i % (M_COUNT - 2));

		if (RAND_bytes(dg, (int)c->dlen) != 1) {
			fatal("RAND_bytes");
		}
		sign(c, &k, dg, c->dlen, sig);
		check_one(c, &k, M_NONE, dg, c->dlen, sig, &other, &t);
		check_one(c, &k, M_MALLEABLE, dg, c->dlen, sig, &other, &t);
		check_one(c, &k, m, dg, c->dlen, sig, &other, &t);
		/* Wrong signature lengths never verify. */
		if (i % 16 == 0) {
			size_t lens[] = {0, 1, 2 * c->half - 1, 2 * c->half + 1,
			                 c->half == 32 ? 96 : 64};

			for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]);
			     j++) {
				uint8_t big[200] = {0};

				memcpy(big, sig, 2 * c->half);
				lenbad += sigil_ecfast_verify(
						  k.fast, dg, c->dlen, big,
						  lens[j]) != SIGIL_EBADSIG;
			}
		}
	}
	is_int(t.errors, 0, "%s: no verification errors", c->name);
	for (int m = 0; m < M_COUNT; m++) {
		int expect_accept = m == M_NONE || m == M_MALLEABLE;

		ok(t.cases[m] > 0 && t.disagree[m] == 0,
		   "%s: %s: ecfast agrees with EVP in %d of %d cases", c->name,
		   mutation_names[m], t.cases[m] - t.disagree[m], t.cases[m]);
		if (expect_accept) {
			is_int(t.accepted[m], t.cases[m], "%s: %s: accepted",
			       c->name, mutation_names[m]);
		} else {
			is_int(t.accepted[m], 0, "%s: %s: rejected", c->name,
			       mutation_names[m]);
		}
	}
	is_int(lenbad, 0, "%s: wrong signature lengths rejected", c->name);
	key_free(&k);
	key_free(&other);
}

/* Digests of other lengths: shorter ones are used whole, longer ones are
 * cut to the order's bit length (SEC 1 §4.1.3 step 5, §4.1.4 step 3). */
static void test_digest_lengths(const struct curve *c)
{
	static const size_t lens[] = {1, 20, 28, 32, 48, 64};
	struct key k;
	int disagree = 0, accepted = 0, total = 0, tail_ok = 0, tails = 0;

	key_new(c, &k);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int rep = 0; rep < 20; rep++) {
			uint8_t dg[64], sig[96];
			size_t dlen = lens[i];
			int a, b;

			if (RAND_bytes(dg, (int)dlen) != 1) {
				fatal("RAND_bytes");
			}
			sign(c, &k, dg, dlen, sig);
			a = evp_verify(c, k.vctx, dg, dlen, sig);
			b = fast_verify(k.fast, dg, dlen, sig, 2 * c->half);
			disagree += a != b;
			accepted += a == 1 && b == 1;
			total++;
			if (dlen > c->half) {
				/* The bits past the order's length do not
				 * count. */
				dg[dlen - 1] ^= 0x01;
				a = evp_verify(c, k.vctx, dg, dlen, sig);
				b = fast_verify(k.fast, dg, dlen, sig,
				                2 * c->half);
				tail_ok += a == 1 && b == 1;
				tails++;
			}
		}
	}
	is_int(disagree, 0, "%s: digests of 1 to 64 bytes: agrees with EVP",
	       c->name);
	is_int(accepted, total, "%s: digests of 1 to 64 bytes: accepted",
	       c->name);
	is_int(tail_ok, tails, "%s: digest bits past the order are ignored",
	       c->name);
	key_free(&k);
}

/* ---- constructed edge cases ----------------------------------------- */

/* k*G's x mod n, and k. */
static void random_kr(const struct curve *c, BIGNUM *k, BIGNUM *r)
{
	EC_POINT *R = EC_POINT_new(c->group);

	do {
		if (R == NULL || !BN_rand_range(k, c->n) ||
		    !EC_POINT_mul(c->group, R, k, NULL, NULL, c->bn) ||
		    !EC_POINT_get_affine_coordinates(c->group, R, r, NULL,
		                                     c->bn) ||
		    !BN_nnmod(r, r, c->n, c->bn)) {
			fatal("random_r");
		}
	} while (BN_is_zero(k) || BN_is_zero(r));
	EC_POINT_free(R);
}

/* EVP's and sigil_ecfast's verdicts (1 valid, 0 not) on r || s over a
 * digest of c->half bytes: both must be expect. */
static void agree(const struct curve *c, EVP_PKEY_CTX *vctx,
                  const sigil_ecfast_t *fast, const uint8_t *dg,
                  const uint8_t *sig, int expect, const char *what)
{
	int a = evp_verify(c, vctx, dg, c->half, sig);
	int b = fast_verify(fast, dg, c->half, sig, 2 * c->half);

	ok(a == expect && b == expect, "%s: %s: EVP %d, ecfast %d, expected %d",
	   c->name, what, a, b, expect);
}

static void both(const struct curve *c, const struct key *k, const BIGNUM *e,
                 const BIGNUM *r, const BIGNUM *s, int expect, const char *what)
{
	uint8_t dg[48], sig[96];

	bn_out(e, dg, c->half);
	bn_out(r, sig, c->half);
	bn_out(s, sig + c->half, c->half);
	agree(c, k->vctx, k->fast, dg, sig, expect, what);
}

static void test_edge_cases(const struct curve *c)
{
	BIGNUM *kk = BN_new(), *r = BN_new(), *s = BN_new(), *e = BN_new();
	BIGNUM *t = BN_new();
	struct key k;

	if (kk == NULL || r == NULL || s == NULL || e == NULL || t == NULL) {
		fatal("BN_new");
	}
	key_new(c, &k);

	/* u1*G == u2*Q, so the final addition is a doubling: e = r*d and
	 * s = 2*r*d / k make R = (e + r*d)/s * G = k*G. */
	random_kr(c, kk, r);
	if (!BN_mod_mul(e, r, k.d, c->n, c->bn) ||
	    !BN_mod_lshift1(t, e, c->n, c->bn) ||
	    !BN_mod_inverse(s, kk, c->n, c->bn) ||
	    !BN_mod_mul(s, s, t, c->n, c->bn)) {
		fatal("doubling case");
	}
	both(c, &k, e, r, s, 1, "u1*G == u2*Q (doubling)");
	if (!BN_add_word(e, 1)) {
		fatal("BN_add_word");
	}
	both(c, &k, e, r, s, 0, "u1*G == u2*Q, digest + 1");

	/* e = 0, so u1 = 0: s = r*d / k. */
	random_kr(c, kk, r);
	BN_zero(e);
	if (!BN_mod_mul(t, r, k.d, c->n, c->bn) ||
	    !BN_mod_inverse(s, kk, c->n, c->bn) ||
	    !BN_mod_mul(s, s, t, c->n, c->bn)) {
		fatal("u1 = 0 case");
	}
	both(c, &k, e, r, s, 1, "digest 0 (u1 = 0)");
	/* e = n is the same as 0 mod n. */
	both(c, &k, c->n, r, s, 1, "digest n (u1 = 0)");

	/* e = -r*d: R = (e + r*d)/s * G = infinity, for any s. */
	random_kr(c, kk, r);
	if (!BN_mod_mul(e, r, k.d, c->n, c->bn) || !BN_sub(e, c->n, e) ||
	    !BN_rand_range(s, c->n)) {
		fatal("infinity case");
	}
	if (BN_is_zero(s)) {
		BN_one(s);
	}
	both(c, &k, e, r, s, 0, "R = infinity");

	/* Chosen s (the inversion's edge cases: 1, n-1, powers of two that
	 * need whole-limb shifts): with e = k*s - r*d, (r, s) is valid. */
	for (int i = 0; i < 7; i++) {
		static const int pow2[] = {0, 1, 63, 64, 130, -1, -2};
		char what[64];

		random_kr(c, kk, r);
		if (pow2[i] >= 0) {
			BN_zero(s);
			if (!BN_set_bit(s, pow2[i])) {
				fatal("BN_set_bit");
			}
			snprintf(what, sizeof(what), "s = 2^%d", pow2[i]);
		} else if (pow2[i] == -1) {
			if (!BN_sub(s, c->n, BN_value_one())) {
				fatal("BN_sub");
			}
			snprintf(what, sizeof(what), "s = n-1");
		} else {
			BN_zero(s);
			if (!BN_set_bit(s, (int)(8 * c->half - 1))) {
				fatal("BN_set_bit");
			}
			snprintf(what, sizeof(what), "s = 2^%d",
			         (int)(8 * c->half - 1));
		}
		if (!BN_mod_mul(e, kk, s, c->n, c->bn) ||
		    !BN_mod_mul(t, r, k.d, c->n, c->bn) ||
		    !BN_mod_sub(e, e, t, c->n, c->bn)) {
			fatal("chosen s");
		}
		both(c, &k, e, r, s, 1, what);
		if (pow2[i] >= 0) {
			/* s + n still fits in the field, is the same mod n,
			 * and is out of range. */
			if (!BN_add(s, s, c->n)) {
				fatal("BN_add");
			}
			snprintf(what, sizeof(what), "s = 2^%d + n", pow2[i]);
			both(c, &k, e, r, s, 0, what);
		}
	}

	key_free(&k);
	BN_free(kk);
	BN_free(r);
	BN_free(s);
	BN_free(e);
	BN_free(t);
}

/* x(R) in [n, p-1], so r = x(R) - n: there is no such signature for a
 * random key in practice, so the key is made to fit.  With R on the curve
 * and Q = R - G, the signature (r, r) over digest r gives w = r^-1,
 * u1 = u2 = 1 and R = G + Q. */
static void test_x_above_n(const struct curve *c)
{
	EC_POINT *R = EC_POINT_new(c->group), *Q = EC_POINT_new(c->group);
	EC_POINT *G = EC_POINT_dup(EC_GROUP_get0_generator(c->group), c->group);
	BIGNUM *x = BN_dup(c->n), *y = BN_new(), *r = BN_new();
	uint8_t pub[96], dg[48], sig[96];
	sigil_ecfast_t *fast = NULL;
	EVP_PKEY_CTX *vctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];
	uint8_t point[1 + 96];

	if (R == NULL || Q == NULL || G == NULL || x == NULL || y == NULL ||
	    r == NULL) {
		fatal("allocation");
	}
	/* The first x > n on the curve (x = n is one for P-384, but r = 0
	 * is no signature). */
	if (x == NULL || !BN_add_word(x, 1)) {
		fatal("BN_add_word");
	}
	while (!EC_POINT_set_compressed_coordinates(c->group, R, x, 0, c->bn)) {
		if (!BN_add_word(x, 1)) {
			fatal("BN_add_word");
		}
	}
	if (!BN_sub(r, x, c->n) || !EC_POINT_invert(c->group, G, c->bn) ||
	    !EC_POINT_add(c->group, Q, R, G, c->bn) ||
	    !EC_POINT_get_affine_coordinates(c->group, Q, x, y, c->bn)) {
		fatal("point arithmetic");
	}
	bn_out(x, pub, c->half);
	bn_out(y, pub + c->half, c->half);
	point[0] = 0x04;
	memcpy(point + 1, pub, 2 * c->half);
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)OBJ_nid2sn(c->nid), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              point, 1 + 2 * c->half);
	params[2] = OSSL_PARAM_construct_end();
	vctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (vctx == NULL || EVP_PKEY_fromdata_init(vctx) != 1 ||
	    EVP_PKEY_fromdata(vctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		fatal("EVP_PKEY_fromdata");
	}
	EVP_PKEY_CTX_free(vctx);
	vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (vctx == NULL || EVP_PKEY_verify_init(vctx) != 1) {
		fatal("EVP_PKEY_verify_init");
	}
	is_int(sigil_ecfast_new(c->alg, pub, 2 * c->half, &fast), SIGIL_EOK,
	       "%s: key for x(R) >= n", c->name);
	if (fast == NULL) {
		fatal("sigil_ecfast_new");
	}
	bn_out(r, dg, c->half);
	bn_out(r, sig, c->half);
	bn_out(r, sig + c->half, c->half);
	agree(c, vctx, fast, dg, sig, 1, "x(R) >= n, r = x(R) - n");
	/* r + 1 must not verify. */
	sig[c->half - 1] ^= 1;
	agree(c, vctx, fast, dg, sig, 0, "x(R) >= n, wrong r");
	/* (x, x - n) over digest x - n gives the same u1 = u2 = 1 and R (r is
	 * only used mod n), but r = x is not below n: only the range check
	 * rejects it. */
	sig[c->half - 1] ^= 1;
	if (!BN_add(r, r, c->n)) {
		fatal("BN_add");
	}
	bn_out(r, sig, c->half);
	agree(c, vctx, fast, dg, sig, 0, "r = x(R) >= n rejected");

	sigil_ecfast_free(fast);
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	EC_POINT_free(R);
	EC_POINT_free(Q);
	EC_POINT_free(G);
	BN_free(x);
	BN_free(y);
	BN_free(r);
}

/* ---- key validation ------------------------------------------------- */

static void test_keys(const struct curve *c)
{
	struct key k;
	sigil_ecfast_t *f = (sigil_ecfast_t *)&f;
	uint8_t pub[96];
	BIGNUM *p = BN_new(), *x = BN_new(), *y = BN_new();
	EC_POINT *P = EC_POINT_new(c->group);
	size_t h = c->half;

	if (p == NULL || x == NULL || y == NULL || P == NULL ||
	    !EC_GROUP_get_curve(c->group, p, NULL, NULL, c->bn)) {
		fatal("allocation");
	}
	key_new(c, &k);
	is_int(sigil_ecfast_new(c->alg, k.pub, 2 * h - 1, &f), SIGIL_EMALFORMED,
	       "%s: short key rejected", c->name);
	ok(f == NULL, "%s: *out is NULL on failure", c->name);
	is_int(sigil_ecfast_new(c->alg, k.pub, 2 * h + 1, &f), SIGIL_EMALFORMED,
	       "%s: long key rejected", c->name);
	is_int(sigil_ecfast_new(c->alg == 13 ? 14 : 13, k.pub, 2 * h, &f),
	       SIGIL_EMALFORMED, "%s: key of the other curve's length",
	       c->name);
	is_int(sigil_ecfast_new(8, k.pub, 2 * h, &f), SIGIL_EALGORITHM,
	       "%s: algorithm 8 not supported", c->name);
	memcpy(pub, k.pub, 2 * h);
	pub[2 * h - 1] ^= 1;
	is_int(sigil_ecfast_new(c->alg, pub, 2 * h, &f), SIGIL_EMALFORMED,
	       "%s: point off the curve rejected", c->name);
	memset(pub, 0, 2 * h);
	is_int(sigil_ecfast_new(c->alg, pub, 2 * h, &f), SIGIL_EMALFORMED,
	       "%s: (0, 0) rejected", c->name);
	/* (x + p, y) for a curve point (x, y) with a small x: on the curve
	 * mod p, but not a valid encoding. */
	BN_zero(x);
	while (!EC_POINT_set_compressed_coordinates(c->group, P, x, 0, c->bn)) {
		if (!BN_add_word(x, 1)) {
			fatal("BN_add_word");
		}
	}
	if (!EC_POINT_get_affine_coordinates(c->group, P, x, y, c->bn) ||
	    !BN_add(x, x, p)) {
		fatal("point arithmetic");
	}
	bn_out(x, pub, h);
	bn_out(y, pub + h, h);
	is_int(sigil_ecfast_new(c->alg, pub, 2 * h, &f), SIGIL_EMALFORMED,
	       "%s: x coordinate >= p rejected", c->name);
	key_free(&k);
	EC_POINT_free(P);
	BN_free(p);
	BN_free(x);
	BN_free(y);
}

/* ---- RFC 6605 §6 ------------------------------------------------------ */

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
	return 4;
}

/* www.example.net. 3600 IN A 192.0.2.1, signed by example.net. (RFC 6605
 * §6.1, §6.2); the signed data of RFC 4034 §3.1.8.1 built by hand. */
static void test_rfc6605(uint8_t alg, const char *key, uint32_t expiration,
                         uint32_t inception, uint16_t tag, const char *sigb64)
{
	static const uint8_t signer[] = "\007example\003net";
	static const uint8_t owner[] = "\003www\007example\003net";
	const EVP_MD *md = alg == 13 ? EVP_sha256() : EVP_sha384();
	uint8_t pub[128], sig[128], data[256], dg[64];
	sigil_ecfast_t *f = NULL;
	size_t publen = test_b64(key, pub, sizeof(pub));
	size_t siglen = test_b64(sigb64, sig, sizeof(sig)), n = 0;
	unsigned dlen = 0;

	n += put16(data + n, 1); /* type covered: A */
	data[n++] = alg;
	data[n++] = 3; /* labels */
	n += put32(data + n, 3600);
	n += put32(data + n, expiration);
	n += put32(data + n, inception);
	n += put16(data + n, tag);
	memcpy(data + n, signer, sizeof(signer)); /* with the root label */
	n += sizeof(signer);
	memcpy(data + n, owner, sizeof(owner));
	n += sizeof(owner);
	n += put16(data + n, 1); /* A */
	n += put16(data + n, 1); /* IN */
	n += put32(data + n, 3600);
	n += put16(data + n, 4);
	memcpy(data + n, "\300\000\002\001", 4);
	n += 4;
	if (EVP_Digest(data, n, dg, &dlen, md, NULL) != 1) {
		fatal("EVP_Digest");
	}
	is_int(sigil_ecfast_new(alg, pub, publen, &f), SIGIL_EOK,
	       "RFC 6605 alg %u: key", alg);
	if (f == NULL) {
		return;
	}
	is_int(sigil_ecfast_verify(f, dg, dlen, sig, siglen), SIGIL_EOK,
	       "RFC 6605 alg %u: signature verifies", alg);
	dg[0] ^= 0x80;
	is_int(sigil_ecfast_verify(f, dg, dlen, sig, siglen), SIGIL_EBADSIG,
	       "RFC 6605 alg %u: other data does not verify", alg);
	sigil_ecfast_free(f);
}

/* ---- threads -------------------------------------------------------- */

#define TH_SIGS 64
#define TH_THREADS 4
#define TH_ROUNDS 8

struct th_data {
	const struct curve *c;
	const sigil_ecfast_t *fast;
	uint8_t dg[TH_SIGS][48];
	uint8_t sig[TH_SIGS][96];
	int expect[TH_SIGS];
};

struct th_arg {
	const struct th_data *d;
	int wrong;
};

static void *th_run(void *p)
{
	struct th_arg *a = p;
	const struct th_data *d = a->d;

	for (int round = 0; round < TH_ROUNDS; round++) {
		for (int i = 0; i < TH_SIGS; i++) {
			int ret = sigil_ecfast_verify(d->fast, d->dg[i],
			                              d->c->dlen, d->sig[i],
			                              2 * d->c->half);

			a->wrong += ret !=
			            (d->expect[i] ? SIGIL_EOK : SIGIL_EBADSIG);
		}
	}
	/* No sigil_ecfast_thread_cleanup(): the thread-exit destructor
	 * frees the scratch (LeakSanitizer checks). */
	return NULL;
}

static void test_threads(const struct curve *c)
{
	static struct th_data d;
	struct th_arg args[TH_THREADS];
	pthread_t th[TH_THREADS];
	struct key k;
	int wrong = 0, started = 0;

	key_new(c, &k);
	d.c = c;
	d.fast = k.fast;
	for (int i = 0; i < TH_SIGS; i++) {
		if (RAND_bytes(d.dg[i], (int)c->dlen) != 1) {
			fatal("RAND_bytes");
		}
		sign(c, &k, d.dg[i], c->dlen, d.sig[i]);
		d.expect[i] = i % 2 == 0;
		if (!d.expect[i]) {
			d.sig[i][i % (2 * c->half)] ^= 0x10;
		}
	}
	for (int i = 0; i < TH_THREADS; i++) {
		args[i] = (struct th_arg){.d = &d, .wrong = 0};
		if (pthread_create(&th[i], NULL, th_run, &args[i]) == 0) {
			started++;
		}
	}
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		wrong += args[i].wrong;
	}
	is_int(started, TH_THREADS, "%s: %d threads started", c->name,
	       TH_THREADS);
	is_int(wrong, 0, "%s: one key verified by %d threads at once", c->name,
	       TH_THREADS);
	key_free(&k);
}

int main(void)
{
	struct curve curves[] = {
		{"P-256", NID_X9_62_prime256v1, 13, 32, 32, NULL, NULL, NULL},
		{"P-384", NID_secp384r1, 14, 48, 48, NULL, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		struct curve *c = &curves[i];

		c->group = EC_GROUP_new_by_curve_name(c->nid);
		c->bn = BN_CTX_new();
		if (c->group == NULL || c->bn == NULL) {
			fatal("EC_GROUP_new_by_curve_name");
		}
		c->n = EC_GROUP_get0_order(c->group);

		test_keys(c);
		test_edge_cases(c);
		test_x_above_n(c);
		test_digest_lengths(c);
		test_threads(c);
		test_differential(c, c->alg == 13 ? CASES : CASES / 2);

		BN_CTX_free(c->bn);
		EC_GROUP_free(c->group);
	}

	test_rfc6605(13,
	             "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYb"
	             "cB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
	             test_time("20100909100439"), test_time("20100812100439"),
	             55648,
	             "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPF"
	             "KG7tZoLBLlUzGGus7ZwmwWep666VCw==");
	test_rfc6605(14,
	             "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtN"
	             "Jhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/m"
	             "lVNgF6W/qTI37m40",
	             test_time("20100909102025"), test_time("20100812102025"),
	             10771,
	             "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGC"
	             "eZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI"
	             "0RSMROxxwGipWcJm");

	sigil_ecfast_thread_cleanup();
	return done_testing();
}
