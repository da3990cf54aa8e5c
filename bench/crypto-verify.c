/* Micro-benchmark: ECDSA verification of many signatures made by one key,
 * OpenSSL EVP (reused EVP_PKEY_CTX) against sigil_ecfast (per-key
 * precomputed table), with 1 and 2 threads.
 *
 * Build:  make -C bench build/crypto-verify   or, from the repository root,
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o bench/build/crypto-verify \
 *      bench/crypto-verify.c src/crypto/ecfast.c -lcrypto -lpthread
 * Run:
 *   bench/build/crypto-verify [curve=256|384] [signatures=50000] [rounds=3]
 * Each figure is the best of `rounds` runs (other processes may share the
 * CPU).  Compare with:  openssl speed -seconds 3 ecdsap256
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/ecfast.h"
#include "util/error.h"

struct sigs {
	size_t n, half, dlen;
	uint8_t *dgst; /* n * dlen */
	uint8_t *raw;  /* n * 2 * half: r || s */
	uint8_t *der;  /* n * 128 */
	size_t *derlen;
};

struct job {
	const struct sigs *s;
	EVP_PKEY *pkey;
	const sigil_ecfast_t *fast;
	size_t from, to;
	int use_fast;
	size_t bad;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
	fprintf(stderr, "crypto-verify: %s failed\n", what);
	exit(1);
}

static void *run(void *arg)
{
	struct job *j = arg;
	const struct sigs *s = j->s;
	EVP_PKEY_CTX *ctx = NULL;

	if (!j->use_fast) {
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, j->pkey, NULL);
		if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1) {
			die("EVP_PKEY_verify_init");
		}
	}
	for (size_t i = j->from; i < j->to; i++) {
		const uint8_t *d = s->dgst + i * s->dlen;
		int ok;

		if (j->use_fast) {
			ok = sigil_ecfast_verify(j->fast, d, s->dlen,
			                         s->raw + i * 2 * s->half,
			                         2 * s->half) == SIGIL_EOK;
		} else {
			ok = EVP_PKEY_verify(ctx, s->der + i * 128,
			                     s->derlen[i], d, s->dlen) == 1;
		}
		j->bad += !ok;
	}
	EVP_PKEY_CTX_free(ctx);
	if (j->use_fast) {
		sigil_ecfast_thread_cleanup();
	}
	return NULL;
}

/* Verifies all signatures split over nthreads; returns verifies per
 * second of wall time, and in *per_cpu per second of process CPU time
 * (less disturbed by other processes). */
static double measure(const struct sigs *s, EVP_PKEY *pkey,
                      const sigil_ecfast_t *fast, int use_fast, int nthreads,
                      double *per_cpu)
{
	pthread_t th[16];
	struct job jobs[16];
	double t0, t1, c0, c1;
	size_t bad = 0;

	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now();
	for (int i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){
			.s = s,
			.pkey = pkey,
			.fast = fast,
			.from = s->n * (size_t)i / (size_t)nthreads,
			.to = s->n * (size_t)(i + 1) / (size_t)nthreads,
			.use_fast = use_fast,
		};
		if (pthread_create(&th[i], NULL, run, &jobs[i]) != 0) {
			die("pthread_create");
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		bad += jobs[i].bad;
	}
	t1 = now();
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	*per_cpu = (double)s->n / (c1 - c0);
	if (bad != 0) {
		fprintf(stderr,
		        "crypto-verify: %zu signatures did not verify\n", bad);
		exit(1);
	}
	return (double)s->n / (t1 - t0);
}

int main(int argc, char **argv)
{
	int curve = argc > 1 ? atoi(argv[1]) : 256;
	size_t n = argc > 2 ? (size_t)atol(argv[2]) : 50000;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	const char *name = curve == 384 ? "P-384" : "P-256";
	const EVP_MD *md = curve == 384 ? EVP_sha384() : EVP_sha256();
	uint8_t alg = curve == 384 ? 14 : 13;
	struct sigs s = {.n = n};
	uint8_t point[1 + 2 * 48];
	size_t pointlen = 0;
	sigil_ecfast_t *fast = NULL;
	EVP_PKEY_CTX *sctx;
	EVP_PKEY *pkey;
	double t0, tnew, best, best_cpu;

	if (n == 0 || rounds <= 0) {
		fprintf(stderr,
		        "usage: crypto-verify [256|384] [n] [rounds]\n");
		return 2;
	}
	s.half = curve == 384 ? 48 : 32;
	s.dlen = (size_t)EVP_MD_get_size(md);
	s.dgst = malloc(n * s.dlen);
	s.raw = malloc(n * 2 * s.half);
	s.der = malloc(n * 128);
	s.derlen = malloc(n * sizeof(size_t));
	if (!s.dgst || !s.raw || !s.der || !s.derlen) {
		die("malloc");
	}
	pkey = EVP_EC_gen(name);
	if (pkey == NULL ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	                                    point, sizeof(point),
	                                    &pointlen) != 1 ||
	    pointlen != 1 + 2 * s.half || point[0] != 0x04) {
		die("key generation");
	}
	sctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (sctx == NULL || EVP_PKEY_sign_init(sctx) != 1) {
		die("EVP_PKEY_sign_init");
	}
	fprintf(stderr, "signing %zu %s digests...\n", n, name);
	fflush(stderr);
	if (RAND_bytes(s.dgst, (int)(n * s.dlen)) != 1) {
		die("RAND_bytes");
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = s.der + i * 128;
		const BIGNUM *r, *sv;
		ECDSA_SIG *es;
		size_t len = 128;

		if (EVP_PKEY_sign(sctx, s.der + i * 128, &len,
		                  s.dgst + i * s.dlen, s.dlen) != 1) {
			die("EVP_PKEY_sign");
		}
		s.derlen[i] = len;
		es = d2i_ECDSA_SIG(NULL, &p, (long)len);
		if (es == NULL) {
			die("d2i_ECDSA_SIG");
		}
		ECDSA_SIG_get0(es, &r, &sv);
		if (BN_bn2binpad(r, s.raw + i * 2 * s.half, (int)s.half) < 0 ||
		    BN_bn2binpad(sv, s.raw + i * 2 * s.half + s.half,
		                 (int)s.half) < 0) {
			die("BN_bn2binpad");
		}
		ECDSA_SIG_free(es);
	}
	EVP_PKEY_CTX_free(sctx);

	t0 = now();
	if (sigil_ecfast_new(alg, point + 1, 2 * s.half, &fast) != SIGIL_EOK) {
		die("sigil_ecfast_new");
	}
	tnew = now() - t0;
	printf("%s, %zu signatures of one key, best of %d runs\n", name, n,
	       rounds);
	printf("  sigil_ecfast_new (table precomputation): %.1f ms\n",
	       tnew * 1e3);
	for (int threads = 1; threads <= 2; threads++) {
		for (int use_fast = 0; use_fast <= 1; use_fast++) {
			best = best_cpu = 0;
			for (int r = 0; r < rounds; r++) {
				double cpu;
				double v = measure(&s, pkey, fast, use_fast,
				                   threads, &cpu);

				if (v > best) {
					best = v;
				}
				if (cpu > best_cpu) {
					best_cpu = cpu;
				}
			}
			printf("  %-29s %d thread%s %8.0f verifies/s  "
			       "(%6.0f per CPU-second)\n",
			       use_fast ? "sigil_ecfast_verify" :
			                  "EVP_PKEY_verify (reused ctx)",
			       threads, threads > 1 ? "s" : " ", best,
			       best_cpu);
		}
	}
	sigil_ecfast_free(fast);
	EVP_PKEY_free(pkey);
	free(s.dgst);
	free(s.raw);
	free(s.der);
	free(s.derlen);
	return 0;
}
