/* p11-sign: raw PKCS#11 ECDSA P-256 signing rate of one to a few tokens.
 *
 *   p11-sign [--module PATH] [--pin PIN | --pin-file FILE] [--threads T]
 *            [--seconds S] [--runs R] [--token-objects] [--] LABEL...
 *
 * For every token (found by label) a temporary EC P-256 key pair is
 * generated, as session objects (CKA_TOKEN false) or, with
 * --token-objects, as token objects like a signer's keys (destroyed at
 * the end; SoftHSM2 then checks its object files on every use, which
 * costs).  Then, R times each (best kept):
 *   - every token alone: T threads, each with its own session, sign
 *     32-byte digests with CKM_ECDSA for S seconds;
 *   - all tokens at once, T threads per token, for S seconds;
 * and prints signatures/s per token and combined.  The combined figure is
 * the "tokens' combined raw rate" that `sigil sign --verify-sample` on
 * the same tokens is compared with (bench/sign-bench.sh).
 *
 * Defaults and environment: module P11_MODULE or
 * /usr/lib/softhsm/libsofthsm2.so; PIN P11_PIN (or --pin-file); labels
 * P11_TOKENS (comma-separated) when none are given; T 1, S 3, R 1.
 * For SoftHSM2, SOFTHSM2_CONF selects the token directory.
 *
 * Exit status: 0 ok, 1 PKCS#11 failure, 2 usage. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#define MAX_TOKENS 16
#define MAX_THREADS 64

static CK_FUNCTION_LIST_PTR p11;

typedef struct {
	char label[33];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE owner; /* session that made the key, kept open */
	CK_OBJECT_HANDLE priv, pub;
} token_t;

/* --token-objects: keys stored in the token, as a signer's keys are */
static CK_BBOOL token_objects = CK_FALSE;

typedef struct {
	token_t *tok;
	double seconds;
	_Atomic int *go;
	unsigned long count;
	CK_RV rv;
} worker_t;

static void die_rv(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11-sign: %s failed: CKR 0x%lx\n", what,
	        (unsigned long)rv);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fputs("usage: p11-sign [--module PATH] [--pin PIN | --pin-file FILE] "
	      "[--threads T] [--seconds S] [--runs R] [--token-objects] "
	      "LABEL...\n"
	      "  labels default to $P11_TOKENS (comma-separated), PIN to "
	      "$P11_PIN,\n  module to $P11_MODULE or "
	      "/usr/lib/softhsm/libsofthsm2.so\n",
	      f);
}

static char *read_pin_file(const char *path)
{
	static char pin[256];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "p11-sign: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fgets(pin, sizeof(pin), f) == NULL) {
		fprintf(stderr, "p11-sign: %s: empty\n", path);
		exit(2);
	}
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';
	return pin;
}

static int find_slot(const char *label, CK_SLOT_ID *out)
{
	CK_ULONG n = 0;
	CK_RV rv = p11->C_GetSlotList(CK_TRUE, NULL, &n);

	if (rv != CKR_OK) {
		die_rv("C_GetSlotList", rv);
	}
	CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof(*slots));
	rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		die_rv("C_GetSlotList", rv);
	}
	int found = 0;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		char l[33];

		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK) {
			continue;
		}
		memcpy(l, ti.label, 32);
		l[32] = '\0';
		for (int j = 31; j >= 0 && l[j] == ' '; j--) {
			l[j] = '\0';
		}
		if (strcmp(l, label) == 0) {
			*out = slots[i];
			found = 1;
		}
	}
	free(slots);
	return found;
}

static void token_setup(token_t *t, const char *pin)
{
	CK_RV rv;
	/* prime256v1 OID */
	static CK_BYTE params[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
	                           0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pub[] = {
		{CKA_TOKEN, &token_objects, sizeof(token_objects)},
		{CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_EC_PARAMS, params, sizeof(params)},
	};
	CK_ATTRIBUTE priv[] = {
		{CKA_TOKEN, &token_objects, sizeof(token_objects)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_SIGN, &yes, sizeof(yes)},
	};
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};

	rv = p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                        NULL, NULL, &t->owner);
	if (rv != CKR_OK) {
		die_rv("C_OpenSession", rv);
	}
	rv = p11->C_Login(t->owner, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	                  (CK_ULONG)strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "p11-sign: token %s: ", t->label);
		die_rv("C_Login", rv);
	}
	rv = p11->C_GenerateKeyPair(
		t->owner, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
		sizeof(priv) / sizeof(priv[0]), &t->pub, &t->priv);
	if (rv != CKR_OK) {
		fprintf(stderr, "p11-sign: token %s: ", t->label);
		die_rv("C_GenerateKeyPair (EC P-256)", rv);
	}
}

static void *worker_main(void *p)
{
	worker_t *w = p;
	CK_SESSION_HANDLE s;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32], sig[128];
	unsigned long n = 0;

	w->rv = p11->C_OpenSession(w->tok->slot, CKF_SERIAL_SESSION, NULL, NULL,
	                           &s);
	if (w->rv != CKR_OK) {
		return NULL;
	}
	for (int i = 0; i < 32; i++) {
		digest[i] = (CK_BYTE)(i * 7 + 1);
	}
	while (!atomic_load(w->go)) {
		/* wait for the start */
	}
	double end = now() + w->seconds;
	while (now() < end) {
		CK_ULONG len = sizeof(sig);

		digest[n & 31] ^= (CK_BYTE)n; /* a different digest each time */
		w->rv = p11->C_SignInit(s, &mech, w->tok->priv);
		if (w->rv == CKR_OK) {
			w->rv = p11->C_Sign(s, digest, 32, sig, &len);
		}
		if (w->rv != CKR_OK) {
			break;
		}
		n++;
	}
	w->count = n;
	p11->C_CloseSession(s);
	return NULL;
}

/* Runs nthreads workers on each of the ntok tokens at once; per-token rates
 * into rate[], returns the combined rate. */
static double run(token_t **toks, int ntok, int nthreads, double seconds,
                  double *rate)
{
	pthread_t th[MAX_TOKENS * MAX_THREADS];
	worker_t w[MAX_TOKENS * MAX_THREADS];
	_Atomic int go = 0;
	int n = 0;

	for (int t = 0; t < ntok; t++) {
		for (int i = 0; i < nthreads; i++, n++) {
			w[n] = (worker_t){
				.tok = toks[t], .seconds = seconds, .go = &go};
			if (pthread_create(&th[n], NULL, worker_main, &w[n]) !=
			    0) {
				fprintf(stderr, "p11-sign: pthread_create\n");
				exit(1);
			}
		}
	}
	double t0 = now();
	atomic_store(&go, 1);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
	}
	double el = now() - t0;
	double total = 0;

	for (int t = 0; t < ntok; t++) {
		unsigned long c = 0;

		for (int i = 0; i < nthreads; i++) {
			worker_t *x = &w[t * nthreads + i];

			if (x->rv != CKR_OK) {
				fprintf(stderr,
				        "p11-sign: token %s: ", toks[t]->label);
				die_rv("signing", x->rv);
			}
			c += x->count;
		}
		rate[t] = (double)c / el;
		total += rate[t];
	}
	return total;
}

int main(int argc, char **argv)
{
	const char *module = getenv("P11_MODULE");
	const char *pin = getenv("P11_PIN");
	int nthreads = 1, runs = 1;
	double seconds = 3;
	const char *labels[MAX_TOKENS];
	int nlab = 0;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (a[0] != '-') {
			break;
		} else if (strcmp(a, "--token-objects") == 0) {
			token_objects = CK_TRUE;
		} else if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		} else if (strcmp(a, "--module") == 0) {
			module = argv[++i];
		} else if (strcmp(a, "--pin") == 0) {
			pin = argv[++i];
		} else if (strcmp(a, "--pin-file") == 0) {
			pin = read_pin_file(argv[++i]);
		} else if (strcmp(a, "--threads") == 0 ||
		           strcmp(a, "-t") == 0) {
			nthreads = atoi(argv[++i]);
		} else if (strcmp(a, "--seconds") == 0) {
			seconds = atof(argv[++i]);
		} else if (strcmp(a, "--runs") == 0) {
			runs = atoi(argv[++i]);
		} else {
			usage(stderr);
			return 2;
		}
	}
	for (; i < argc && nlab < MAX_TOKENS; i++) {
		labels[nlab++] = argv[i];
	}
	static char envlab[1024];
	if (nlab == 0 && getenv("P11_TOKENS") != NULL) {
		snprintf(envlab, sizeof(envlab), "%s", getenv("P11_TOKENS"));
		for (char *s = strtok(envlab, ","); s && nlab < MAX_TOKENS;
		     s = strtok(NULL, ",")) {
			labels[nlab++] = s;
		}
	}
	if (module == NULL) {
		module = "/usr/lib/softhsm/libsofthsm2.so";
	}
	if (nlab == 0 || pin == NULL || nthreads < 1 ||
	    nthreads > MAX_THREADS || seconds <= 0 || runs < 1) {
		usage(stderr);
		return 2;
	}

	void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "p11-sign: %s\n", dlerror());
		return 1;
	}
	CK_C_GetFunctionList gfl =
		(CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p11) != CKR_OK) {
		fprintf(stderr, "p11-sign: %s: no C_GetFunctionList\n", module);
		return 1;
	}
	CK_C_INITIALIZE_ARGS ia = {.flags = CKF_OS_LOCKING_OK};
	CK_RV rv = p11->C_Initialize(&ia);
	if (rv != CKR_OK) {
		die_rv("C_Initialize", rv);
	}

	static token_t tok[MAX_TOKENS];
	token_t *all[MAX_TOKENS];
	for (int t = 0; t < nlab; t++) {
		snprintf(tok[t].label, sizeof(tok[t].label), "%s", labels[t]);
		if (!find_slot(labels[t], &tok[t].slot)) {
			fprintf(stderr, "p11-sign: no token labelled '%s'\n",
			        labels[t]);
			return 1;
		}
		token_setup(&tok[t], pin);
		all[t] = &tok[t];
	}

	printf("p11-sign: %s, %d token(s), CKM_ECDSA P-256 over 32-byte "
	       "digests, %s objects, %d thread(s) per token, %.1f s, best "
	       "of %d\n",
	       module, nlab, token_objects ? "token" : "session", nthreads,
	       seconds, runs);
	double comb_best = 0, per_comb[MAX_TOKENS] = {0};
	double alone[MAX_TOKENS] = {0};
	for (int r = 0; r < runs; r++) {
		for (int t = 0; t < nlab; t++) {
			double x;

			run(&all[t], 1, nthreads, seconds, &x);
			if (x > alone[t]) {
				alone[t] = x;
			}
		}
		if (nlab > 1) {
			double per[MAX_TOKENS];
			double c = run(all, nlab, nthreads, seconds, per);

			if (c > comb_best) {
				comb_best = c;
				memcpy(per_comb, per, sizeof(per));
			}
		}
	}
	double sum_alone = 0;
	for (int t = 0; t < nlab; t++) {
		printf("token %-16s alone: %10.1f sig/s", tok[t].label,
		       alone[t]);
		if (nlab > 1) {
			printf("   in the combined run: %10.1f sig/s",
			       per_comb[t]);
		}
		printf("\n");
		sum_alone += alone[t];
	}
	if (nlab == 1) {
		comb_best = alone[0];
	}
	printf("combined (all %d tokens at once, %d threads): %.1f sig/s\n",
	       nlab, nlab * nthreads, comb_best);
	printf("sum of the tokens alone: %.1f sig/s\n", sum_alone);

	for (int t = 0; t < nlab; t++) {
		if (token_objects) {
			p11->C_DestroyObject(tok[t].owner, tok[t].priv);
			p11->C_DestroyObject(tok[t].owner, tok[t].pub);
		}
		p11->C_CloseSession(tok[t].owner);
	}
	p11->C_Finalize(NULL);
	return 0;
}
