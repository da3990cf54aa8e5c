/* Fast ECDSA verification with a per-key fixed-base table: see ecfast.h.
 *
 * The EC_* calls used here are deprecated in OpenSSL 3.0 (there is no
 * provider-level replacement for a per-key precomputed table), so this
 * file, and only this file, asks for the 1.1.1 API level.
 */
#define OPENSSL_API_COMPAT 0x10100000L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto/ecfast.h"
#include "util/error.h"

/*
 * Why this is correct and thread-safe with OpenSSL 3.0 (crypto/ec/):
 *
 * P-256.  EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) uses the
 * nistz256 method on x86_64 and aarch64.  Its precompute_mult
 * (ecp_nistz256_mult_precompute) builds, for whatever the group's
 * generator is, 37 rows of 64 affine multiples (window 7, 148 KiB) and
 * attaches them to the group.  ecp_nistz256_points_mul(group, r, scalar,
 * 0, ...) then checks that the table's first entry equals the current
 * generator (EC_POINT_cmp) and, if so, runs 36 mixed additions on it; the
 * standard generator G always uses the static built-in table.  So a copy
 * of the group whose generator is set to Q and precomputed gives a
 * fixed-base u2*Q.  That code path only reads the group (generator, order,
 * table, Montgomery data); scratch lives in the caller's BN_CTX, in stack
 * buffers and in one EC_POINT it allocates and frees per call.  Nothing is
 * cached lazily in the group, so one const group serves all threads.
 *
 * P-384.  secp384r1 uses the generic Montgomery method (EC_GFp_mont) and
 * ossl_ec_wNAF_mul (ec_mult.c).  That function sends u*G alone (a scalar
 * and no points) to the constant-time Montgomery ladder, which ignores any
 * precomputation; and given u1 with G and u2 with Q it uses a precomputed
 * table only for odd multiples, without its "wNAF splitting" (blocks of 8
 * bits with one table each), because the other scalar is as long.  So each
 * half is computed by its own call on a group copy whose generator (G or
 * Q) has an EC_GROUP_precompute_mult table, with one extra point whose
 * scalar is 0: that keeps the call off the ladder and, the extra wNAF
 * being 1 digit long, on the split tables.  About 2.5 times faster than
 * EVP.  ossl_ec_wNAF_mul only reads the group and its table (EC_PRE_COMP
 * is reference-counted only by EC_GROUP_dup/free); its per-call points
 * are allocated and freed in the call; the coordinate blinding draws from
 * OpenSSL's DRBG, which is thread-safe.
 *
 * Which of the two ways a key takes depends on the group's method, not on
 * the curve: the wNAF way for the generic methods (mont, nist, simple),
 * so that P-256 on a platform or build without nistz256 (OpenSSL built
 * with no-asm, 32-bit x86) still avoids the ladder; the direct way for
 * methods with their own multiplication (nistz256; nistp256 and s390x,
 * which also precompute for any generator).  Either way the arithmetic
 * is the same and the result exact; only the speed differs.
 *
 * Both: the result is compared in Jacobian coordinates (x(R) = X/Z^2, so
 * x(R) mod n == r iff X == r*Z^2 or, when r + n < p, X == (r+n)*Z^2, all
 * mod p), which saves the field inversion of an affine conversion.
 */

#define MAXL 6 /* 64-bit limbs of the largest order (P-384) */

enum curve_id {
	CURVE_P256,
	CURVE_P384,
	CURVE_COUNT,
};

struct sigil_ecfast {
	EC_GROUP *group;   /* the standard group; generator G */
	EC_GROUP *qgroup;  /* copy with generator Q, precomputed */
	EC_GROUP *gpre;    /* wNAF way: copy with generator G, precomputed */
	EC_POINT *q;       /* the public key, in group */
	BIGNUM *p;         /* field prime */
	BIGNUM *p_minus_n; /* r + n < p iff r < p - n */
	const BIGNUM *n;   /* order, owned by group */
	uint64_t nl[MAXL]; /* n as little-endian 64-bit limbs */
	uint64_t nneg;     /* -n^-1 mod 2^64 */
	int limbs;         /* half / 8 */
	enum curve_id curve;
	int wnaf;    /* the group uses ossl_ec_wNAF_mul */
	size_t half; /* bytes per coordinate and per r, s */
	int nbits;   /* bit length of n */
	uint8_t alg;
};

/* Per-thread scratch: a BN_CTX and result points per curve (a point can be
 * used with every group of the same curve and method). */
struct ecfast_tls {
	BN_CTX *bn;
	EC_POINT *r1[CURVE_COUNT];
	EC_POINT *r2[CURVE_COUNT];
	BIGNUM *zero;
};

/* ---- w = s^-1 mod n ---------------------------------------------------
 *
 * BN_mod_inverse costs about 10 us for a 256-bit n (a loop of generic BN
 * calls per bit), a third of a verification.  This is the right-shift
 * binary extended Euclidean algorithm on fixed-size 64-bit limbs,
 * variable-time (s is public), about 2.5 times faster.  Invariants:
 * u == x1 * s and v == x2 * s (mod n), x1 and x2 in [0, n-1], u and v odd
 * after each step; every step lowers u + v, and since n is prime and
 * 0 < s < n the loop ends with u == v == gcd == 1, so x1 == s^-1.
 * Dividing x by 2^k mod n adds the multiple q*n of n that clears the low
 * k bits (q = x * -n^-1 mod 2^k), then shifts: (x + q*n) / 2^k < n.
 */

static void limbs_from_be(uint64_t *out, int L, const uint8_t *in, size_t len)
{
	memset(out, 0, (size_t)L * sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		size_t bit = 8 * (len - 1 - i);

		out[bit / 64] |= (uint64_t)in[i] << (bit % 64);
	}
}

/* -1 when a < b, 0 when equal, 1 when a > b. */
static int limbs_cmp(const uint64_t *a, const uint64_t *b, int L)
{
	for (int i = L - 1; i >= 0; i--) {
		if (a[i] != b[i]) {
			return a[i] > b[i] ? 1 : -1;
		}
	}
	return 0;
}

static int limbs_is_zero(const uint64_t *a, int L)
{
	uint64_t z = 0;

	for (int i = 0; i < L; i++) {
		z |= a[i];
	}
	return z == 0;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static void limbs_to_be(uint8_t *out, int L, const uint64_t *in)
{
	size_t len = 8 * (size_t)L;

	for (size_t i = 0; i < len; i++) {
		size_t bit = 8 * (len - 1 - i);

		out[i] = (uint8_t)(in[bit / 64] >> (bit % 64));
	}
}

/* r = a - b; returns the borrow. */
static uint64_t limbs_sub(uint64_t *r, const uint64_t *a, const uint64_t *b,
                          int L)
{
	uint64_t borrow = 0;

	for (int i = 0; i < L; i++) {
		uint64_t d = a[i] - b[i];
		uint64_t b1 = a[i] < b[i];
		uint64_t b2 = d < borrow;

		r[i] = d - borrow;
		borrow = b1 | b2;
	}
	return borrow;
}

/* r = a - b mod n, for a, b in [0, n-1]. */
static void mod_sub(uint64_t *r, const uint64_t *a, const uint64_t *b,
                    const sigil_ecfast_t *k)
{
	if (limbs_sub(r, a, b, k->limbs) != 0) {
		u128 c = 0;

		for (int i = 0; i < k->limbs; i++) {
			c += (u128)r[i] + k->nl[i];
			r[i] = (uint64_t)c;
			c >>= 64;
		}
	}
}

/* x = x / 2^sh mod n, 1 <= sh <= 63. */
static void mod_div2k(uint64_t *x, unsigned sh, const sigil_ecfast_t *k)
{
	uint64_t q = (x[0] * k->nneg) & ((UINT64_C(1) << sh) - 1);
	uint64_t t[MAXL + 1];
	u128 c = 0;
	int L = k->limbs;

	for (int i = 0; i < L; i++) {
		c += (u128)q * k->nl[i] + x[i];
		t[i] = (uint64_t)c;
		c >>= 64;
	}
	t[L] = (uint64_t)c;
	for (int i = 0; i < L; i++) {
		x[i] = t[i] >> sh | t[i + 1] << (64 - sh);
	}
}

/* Divides u (not 0) by its largest power of two, and x by the same power
 * mod n. */
static void make_odd(uint64_t *u, uint64_t *x, const sigil_ecfast_t *k)
{
	int L = k->limbs;
	unsigned sh;

	while (u[0] == 0) {
		memmove(u, u + 1, (size_t)(L - 1) * sizeof(*u));
		u[L - 1] = 0;
		mod_div2k(x, 32, k);
		mod_div2k(x, 32, k);
	}
	sh = (unsigned)__builtin_ctzll(u[0]);
	if (sh != 0) {
		for (int i = 0; i < L - 1; i++) {
			u[i] = u[i] >> sh | u[i + 1] << (64 - sh);
		}
		u[L - 1] >>= sh;
		mod_div2k(x, sh, k);
	}
}

/* w = s^-1 mod n for s in [1, n-1]. */
static void mod_inverse(uint64_t *w, const uint64_t *s, const sigil_ecfast_t *k)
{
	uint64_t u[MAXL], v[MAXL], x1[MAXL] = {1}, x2[MAXL] = {0};
	int L = k->limbs;
	int c;

	memcpy(u, s, (size_t)L * sizeof(*u));
	memcpy(v, k->nl, (size_t)L * sizeof(*v));
	make_odd(u, x1, k);
	while ((c = limbs_cmp(u, v, L)) != 0) {
		if (c > 0) {
			limbs_sub(u, u, v, L);
			mod_sub(x1, x1, x2, k);
			make_odd(u, x1, k);
		} else {
			limbs_sub(v, v, u, L);
			mod_sub(x2, x2, x1, k);
			make_odd(v, x2, k);
		}
	}
	memcpy(w, x1, (size_t)L * sizeof(*w));
}
#define HAVE_LIMB_INVERSE 1
#endif

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_key_ok;
static _Thread_local struct ecfast_tls *tls_state;

static void tls_destroy(void *arg)
{
	struct ecfast_tls *t = arg;

	if (t == NULL) {
		return;
	}
	for (int i = 0; i < CURVE_COUNT; i++) {
		EC_POINT_free(t->r1[i]);
		EC_POINT_free(t->r2[i]);
	}
	BN_free(t->zero);
	BN_CTX_free(t->bn);
	free(t);
}

static void tls_key_init(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_destroy) == 0;
}

static struct ecfast_tls *tls_get(const sigil_ecfast_t *k)
{
	struct ecfast_tls *t = tls_state;

	if (t == NULL) {
		pthread_once(&tls_once, tls_key_init);
		t = calloc(1, sizeof(*t));
		if (t == NULL) {
			return NULL;
		}
		t->bn = BN_CTX_new();
		t->zero = BN_new();
		if (t->bn == NULL || t->zero == NULL) {
			tls_destroy(t);
			return NULL;
		}
		BN_zero(t->zero);
		/* Registers the destructor that frees t at thread exit. */
		if (tls_key_ok) {
			(void)pthread_setspecific(tls_key, t);
		}
		tls_state = t;
	}
	if (t->r1[k->curve] == NULL) {
		t->r1[k->curve] = EC_POINT_new(k->group);
	}
	if (t->r2[k->curve] == NULL) {
		t->r2[k->curve] = EC_POINT_new(k->group);
	}
	if (t->r1[k->curve] == NULL || t->r2[k->curve] == NULL) {
		return NULL;
	}
	return t;
}

void sigil_ecfast_thread_cleanup(void)
{
	struct ecfast_tls *t = tls_state;

	if (t == NULL) {
		return;
	}
	tls_state = NULL;
	if (tls_key_ok) {
		(void)pthread_setspecific(tls_key, NULL);
	}
	tls_destroy(t);
}

void sigil_ecfast_free(sigil_ecfast_t *k)
{
	if (k == NULL) {
		return;
	}
	EC_POINT_free(k->q);
	EC_GROUP_free(k->qgroup);
	EC_GROUP_free(k->gpre);
	EC_GROUP_free(k->group);
	BN_free(k->p);
	BN_free(k->p_minus_n);
	free(k);
}

/* A copy of the curve's group with generator g and a precomputed table for
 * it. */
static EC_GROUP *precomputed_group(int nid, const EC_POINT *g, const BIGNUM *n,
                                   BN_CTX *bn)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(nid);

	if (grp == NULL) {
		return NULL;
	}
	if (EC_GROUP_set_generator(grp, g, n, BN_value_one()) != 1 ||
	    EC_GROUP_precompute_mult(grp, bn) != 1) {
		EC_GROUP_free(grp);
		return NULL;
	}
	return grp;
}

/* n as limbs, and -n^-1 mod 2^64, for mod_inverse(). */
static int order_limbs(sigil_ecfast_t *k)
{
	uint8_t nb[8 * MAXL];
	uint64_t inv = 1;

	if (BN_num_bytes(k->n) != (int)k->half ||
	    BN_bn2binpad(k->n, nb, (int)k->half) != (int)k->half) {
		return 0;
	}
	k->limbs = (int)(k->half / 8);
	limbs_from_be(k->nl, k->limbs, nb, k->half);
	/* Newton's iteration doubles the number of correct low bits of
	 * n^-1 mod 2^64: 1 (n is odd), 2, 4, ..., 64. */
	for (int i = 0; i < 6; i++) {
		inv *= 2 - k->nl[0] * inv;
	}
	k->nneg = 0 - inv;
	return 1;
}

/* Sets k->q from X || Y: SIGIL_EOK, SIGIL_EMALFORMED or SIGIL_ENOMEM. */
static int decode_point(sigil_ecfast_t *k, const uint8_t *pub, BN_CTX *bn)
{
	BIGNUM *x, *y;
	int ret = SIGIL_ENOMEM;

	BN_CTX_start(bn);
	x = BN_CTX_get(bn);
	y = BN_CTX_get(bn);
	if (y == NULL || BN_bin2bn(pub, (int)k->half, x) == NULL ||
	    BN_bin2bn(pub + k->half, (int)k->half, y) == NULL) {
		goto out;
	}
	/* SEC 1 §3.2.2.1: coordinates in [0, p-1] (the setter would reduce
	 * them), the point on the curve (the setter checks that) and not
	 * infinity; with cofactor 1 every other curve point has order n. */
	ret = SIGIL_EMALFORMED;
	if (BN_cmp(x, k->p) >= 0 || BN_cmp(y, k->p) >= 0 ||
	    EC_POINT_set_affine_coordinates(k->group, k->q, x, y, bn) != 1 ||
	    EC_POINT_is_at_infinity(k->group, k->q)) {
		goto out;
	}
	ret = SIGIL_EOK;
out:
	BN_CTX_end(bn);
	return ret;
}

int sigil_ecfast_new(uint8_t alg, const uint8_t *pub, size_t publen,
                     sigil_ecfast_t **out)
{
	sigil_ecfast_t *k = NULL;
	const EC_METHOD *meth;
	BN_CTX *bn = NULL;
	int nid;
	int ret = SIGIL_ENOMEM;

	*out = NULL;
	switch (alg) {
	case 13: /* ECDSAP256SHA256 */
		nid = NID_X9_62_prime256v1;
		break;
	case 14: /* ECDSAP384SHA384 */
		nid = NID_secp384r1;
		break;
	default:
		return SIGIL_EALGORITHM;
	}
	k = calloc(1, sizeof(*k));
	bn = BN_CTX_new();
	if (k == NULL || bn == NULL) {
		goto out;
	}
	k->alg = alg;
	k->curve = alg == 13 ? CURVE_P256 : CURVE_P384;
	k->half = alg == 13 ? 32 : 48;
	if (publen != 2 * k->half) {
		ret = SIGIL_EMALFORMED;
		goto out;
	}
	k->group = EC_GROUP_new_by_curve_name(nid);
	k->p = BN_new();
	k->p_minus_n = BN_new();
	if (k->group == NULL || k->p == NULL || k->p_minus_n == NULL ||
	    (k->q = EC_POINT_new(k->group)) == NULL) {
		goto out;
	}
	ret = SIGIL_ECRYPTO;
	k->n = EC_GROUP_get0_order(k->group);
	k->nbits = BN_num_bits(k->n);
	if (EC_GROUP_get_curve(k->group, k->p, NULL, NULL, bn) != 1 ||
	    BN_sub(k->p_minus_n, k->p, k->n) != 1 || !order_limbs(k)) {
		goto out;
	}
	ret = decode_point(k, pub, bn);
	if (ret != SIGIL_EOK) {
		goto out;
	}

	ret = SIGIL_ECRYPTO;
	meth = EC_GROUP_method_of(k->group);
	k->wnaf = meth == EC_GFp_mont_method() ||
	          meth == EC_GFp_nist_method() ||
	          meth == EC_GFp_simple_method();
#ifdef SIGIL_ECFAST_FORCE_WNAF /* for testing that way with P-256 */
	k->wnaf = 1;
#endif
	k->qgroup = precomputed_group(nid, k->q, k->n, bn);
	if (k->qgroup == NULL) {
		goto out;
	}
	if (k->wnaf) {
		/* The other methods have built-in tables for G. */
		k->gpre = precomputed_group(
			nid, EC_GROUP_get0_generator(k->group), k->n, bn);
		if (k->gpre == NULL) {
			goto out;
		}
	}
	*out = k;
	k = NULL;
	ret = SIGIL_EOK;
out:
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	BN_CTX_free(bn);
	sigil_ecfast_free(k);
	return ret;
}

/* Does the Jacobian point R = (X, Y, Z) have x(R) mod n == r?  R is not
 * infinity. */
static int x_matches(const sigil_ecfast_t *k, const EC_POINT *R,
                     const BIGNUM *r, BN_CTX *bn, int *match)
{
	BIGNUM *X, *Z, *t;
	int ok = 0;

	BN_CTX_start(bn);
	X = BN_CTX_get(bn);
	Z = BN_CTX_get(bn);
	t = BN_CTX_get(bn);
	if (t == NULL) {
		goto out;
	}
	if (EC_POINT_get_Jprojective_coordinates_GFp(k->group, R, X, NULL, Z,
	                                             bn) != 1 ||
	    BN_is_zero(Z)) {
		goto out;
	}
	/* Z := Z^2, t := r * Z^2 */
	if (BN_mod_sqr(Z, Z, k->p, bn) != 1 ||
	    BN_mod_mul(t, r, Z, k->p, bn) != 1) {
		goto out;
	}
	*match = BN_cmp(t, X) == 0;
	if (!*match && BN_cmp(r, k->p_minus_n) < 0) {
		/* x(R) in [n, p-1] and x(R) - n == r */
		if (BN_add(t, r, k->n) != 1 ||
		    BN_mod_mul(t, t, Z, k->p, bn) != 1) {
			goto out;
		}
		*match = BN_cmp(t, X) == 0;
	}
	ok = 1;
out:
	BN_CTX_end(bn);
	return ok;
}

int sigil_ecfast_verify(const sigil_ecfast_t *k, const uint8_t *digest,
                        size_t dlen, const uint8_t *sig, size_t siglen)
{
	uint64_t rl[MAXL], sl[MAXL];
	struct ecfast_tls *t;
	BN_CTX *bn;
	EC_POINT *R1, *R2;
	BIGNUM *r, *e, *w, *u1, *u2;
	size_t ebytes;
	int L = k->limbs;
	int match = 0;
	int ret = SIGIL_ECRYPTO;

	if (siglen != 2 * k->half) {
		return SIGIL_EBADSIG;
	}
	/* SEC 1 §4.1.4 step 1: r and s in [1, n-1]. */
	limbs_from_be(rl, L, sig, k->half);
	limbs_from_be(sl, L, sig + k->half, k->half);
	if (limbs_is_zero(rl, L) || limbs_cmp(rl, k->nl, L) >= 0 ||
	    limbs_is_zero(sl, L) || limbs_cmp(sl, k->nl, L) >= 0) {
		return SIGIL_EBADSIG;
	}
	t = tls_get(k);
	if (t == NULL) {
		return SIGIL_ENOMEM;
	}
	bn = t->bn;
	R1 = t->r1[k->curve];
	R2 = t->r2[k->curve];

	BN_CTX_start(bn);
	r = BN_CTX_get(bn);
	e = BN_CTX_get(bn);
	w = BN_CTX_get(bn);
	u1 = BN_CTX_get(bn);
	u2 = BN_CTX_get(bn);
	if (u2 == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	if (BN_bin2bn(sig, (int)k->half, r) == NULL) {
		goto out;
	}
	/* Step 3: e = the leftmost min(8 * dlen, nbits) bits of the
	 * digest. */
	ebytes = dlen;
	if (8 * ebytes > (size_t)k->nbits) {
		ebytes = ((size_t)k->nbits + 7) / 8;
	}
	if (BN_bin2bn(digest, (int)ebytes, e) == NULL) {
		goto out;
	}
	if (8 * ebytes > (size_t)k->nbits &&
	    BN_rshift(e, e, (int)(8 * ebytes - (size_t)k->nbits)) != 1) {
		goto out;
	}
	/* Step 4: w = s^-1, u1 = e*w, u2 = r*w (mod n).  All public, so
	 * variable-time code is fine. */
#ifdef HAVE_LIMB_INVERSE
	{
		uint64_t wl[MAXL];
		uint8_t wb[8 * MAXL];

		mod_inverse(wl, sl, k);
		limbs_to_be(wb, L, wl);
		if (BN_bin2bn(wb, 8 * L, w) == NULL) {
			goto out;
		}
	}
#else
	if (BN_bin2bn(sig + k->half, (int)k->half, w) == NULL ||
	    BN_mod_inverse(w, w, k->n, bn) == NULL) {
		goto out;
	}
#endif
	if (BN_mod_mul(u1, e, w, k->n, bn) != 1 ||
	    BN_mod_mul(u2, r, w, k->n, bn) != 1) {
		goto out;
	}
	/* Step 5: R = u1*G + u2*Q. */
	if (!k->wnaf) {
		if (EC_POINT_mul(k->group, R1, u1, NULL, NULL, bn) != 1 ||
		    EC_POINT_mul(k->qgroup, R2, u2, NULL, NULL, bn) != 1 ||
		    EC_POINT_add(k->group, R1, R1, R2, bn) != 1) {
			goto out;
		}
	} else {
		/* A zero multiple of a dummy point keeps wNAF off the
		 * ladder and on the precomputed tables. */
		const EC_POINT *pts[1] = {k->q};
		const BIGNUM *scs[1] = {t->zero};

		if (EC_POINTs_mul(k->gpre, R1, u1, 1, pts, scs, bn) != 1 ||
		    EC_POINTs_mul(k->qgroup, R2, u2, 1, pts, scs, bn) != 1 ||
		    EC_POINT_add(k->group, R1, R1, R2, bn) != 1) {
			goto out;
		}
	}
	if (EC_POINT_is_at_infinity(k->group, R1)) {
		ret = SIGIL_EBADSIG;
		goto out;
	}
	/* Steps 6-8: accept iff x(R) mod n == r. */
	if (!x_matches(k, R1, r, bn, &match)) {
		goto out;
	}
	ret = match ? SIGIL_EOK : SIGIL_EBADSIG;
out:
	BN_CTX_end(bn);
	if (ret == SIGIL_ECRYPTO) {
		ERR_clear_error();
	}
	return ret;
}
