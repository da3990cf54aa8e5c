/* Test client for faultp11 (tests/scenario/fault.t).  TEST-ONLY.
 *
 *   fault-client MODULE raw|p11kit PIN
 *
 * Loads MODULE by dlopen() ("raw") or through p11-kit's managed loading
 * (p11_kit_module_load + p11_kit_module_initialize, as sigil does), maps
 * the labels of the tokens present to their slots once at start, then
 * reads one command per line on stdin and answers with one line on
 * stdout, so that a driver can change faults between commands while the
 * process keeps its sessions:
 *
 *   slots                 labels of C_GetSlotList(TRUE), in slot order
 *   tokeninfo L           C_GetTokenInfo result
 *   slotinfo L            C_GetSlotInfo result and present=0|1
 *   mechs L               C_GetMechanismList result
 *   open L                C_OpenSession and C_Login on L, kept open
 *   opentry L             C_OpenSession (closed again when it works)
 *   sessinfo L            C_GetSessionInfo on L's session
 *   keygen L              an EC P-256 key pair, an HMAC key, an AES KEK
 *                         and a wrapped AES key on L (session objects)
 *   sign L                CKM_ECDSA over a random 32-byte digest, verified
 *                         with OpenSSL against CKA_EC_POINT:
 *                         "CKR_OK verify=1 ms=T" or "C_Xxx CKR_..."
 *   signmp L              multi-part: CKM_SHA256_HMAC over a random
 *                         message in two C_SignUpdate calls and
 *                         C_SignFinal (SoftHSM2 has no multi-part ECDSA),
 *                         checked against OpenSSL's HMAC: same answer
 *   unwrap L              C_UnwrapKey of the wrapped AES key
 *   unwrapbogus L         C_UnwrapKey with a bad handle and blob
 *   threads N L...        N threads per label, each with its own session,
 *                         50 signatures each: "L=verified/total ..."
 *   quit                  C_Finalize, exit
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>

#define MAXTOK 16

struct tok {
	char label[33];
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	int open;
	CK_OBJECT_HANDLE pub, priv, kek, target, hmac;
	unsigned char hmac_key[32];
	unsigned char point[65]; /* 04 X Y */
	unsigned char wrapped[64];
	CK_ULONG wrapped_len;
};

static CK_FUNCTION_LIST *f;
static struct tok toks[MAXTOK];
static int ntoks;
static const char *pin;

static const char *rvname(CK_RV rv)
{
	static char buf[32];
	switch (rv) {
#define N(x)                                                                   \
	case x:                                                                \
		return #x;
		N(CKR_OK)
		N(CKR_GENERAL_ERROR) N(CKR_DEVICE_ERROR) N(CKR_DEVICE_REMOVED) N(
			CKR_TOKEN_NOT_PRESENT) N(CKR_SESSION_HANDLE_INVALID)
			N(CKR_OBJECT_HANDLE_INVALID) N(CKR_KEY_HANDLE_INVALID) N(
				CKR_UNWRAPPING_KEY_HANDLE_INVALID)
				N(CKR_WRAPPED_KEY_INVALID) N(
					CKR_WRAPPED_KEY_LEN_RANGE) N(CKR_ARGUMENTS_BAD)
					N(CKR_MECHANISM_INVALID) N(
						CKR_USER_ALREADY_LOGGED_IN)
						N(CKR_USER_NOT_LOGGED_IN) N(
							CKR_TEMPLATE_INCOMPLETE)
							N(CKR_BUFFER_TOO_SMALL)
#undef N
								default
			: snprintf(buf, sizeof(buf), "0x%lx",
		                   (unsigned long)rv);
		return buf;
	}
}

static struct tok *tok_get(const char *label)
{
	for (int i = 0; i < ntoks; i++) {
		if (label != NULL && strcmp(toks[i].label, label) == 0) {
			return &toks[i];
		}
	}
	return NULL;
}

static void trim_label(char out[33], const CK_UTF8CHAR in[32])
{
	int n = 32;
	memcpy(out, in, 32);
	while (n > 0 && out[n - 1] == ' ') {
		n--;
	}
	out[n] = '\0';
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* 1 when sig (r || s, 64 bytes) is a valid ECDSA P-256 signature of the
 * 32-byte digest under point (04 X Y). */
static int verify(const unsigned char point[65], const unsigned char dgst[32],
                  const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *kctx = NULL, *vctx = NULL;
	EVP_PKEY *pkey = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	int derlen, ok = 0;
	char group[] = "prime256v1";
	OSSL_PARAM params[3];

	if (siglen != 64) {
		return 0;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              (void *)point, 65);
	params[2] = OSSL_PARAM_construct_end();
	kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1 ||
	    EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		goto out;
	}
	es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL),
	       *s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	derlen = i2d_ECDSA_SIG(es, &der);
	if (derlen <= 0) {
		goto out;
	}
	vctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (vctx == NULL || EVP_PKEY_verify_init(vctx) != 1) {
		goto out;
	}
	ok = EVP_PKEY_verify(vctx, der, (size_t)derlen, dgst, 32) == 1;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_free(pkey);
	return ok;
}

/* Signs a random digest (multipart: a random message) on session with
 * t's key; writes the answer line into out.  Returns 1 when verified. */
static int sign_once(struct tok *t, CK_SESSION_HANDLE session, int multipart,
                     char *out, size_t outlen)
{
	unsigned char msg[64], dgst[32], sig[128];
	CK_ULONG siglen = sizeof(sig);
	CK_MECHANISM mech = {multipart ? CKM_SHA256_HMAC : CKM_ECDSA, NULL, 0};
	CK_RV rv;
	double t0 = now_ms();

	RAND_bytes(msg, sizeof(msg));
	memcpy(dgst, msg, 32);
	rv = f->C_SignInit(session, &mech, multipart ? t->hmac : t->priv);
	if (rv != CKR_OK) {
		snprintf(out, outlen, "C_SignInit %s", rvname(rv));
		return 0;
	}
	if (multipart) {
		rv = f->C_SignUpdate(session, msg, 20);
		if (rv == CKR_OK) {
			rv = f->C_SignUpdate(session, msg + 20,
			                     sizeof(msg) - 20);
		}
		if (rv != CKR_OK) {
			snprintf(out, outlen, "C_SignUpdate %s", rvname(rv));
			return 0;
		}
		rv = f->C_SignFinal(session, sig, &siglen);
	} else {
		rv = f->C_Sign(session, dgst, 32, sig, &siglen);
	}
	if (rv != CKR_OK) {
		snprintf(out, outlen, "%s %s",
		         multipart ? "C_SignFinal" : "C_Sign", rvname(rv));
		return 0;
	}
	int ok;
	if (multipart) {
		unsigned char md[32];
		unsigned int mdlen = 0;
		HMAC(EVP_sha256(), t->hmac_key, sizeof(t->hmac_key), msg,
		     sizeof(msg), md, &mdlen);
		ok = siglen == mdlen && memcmp(sig, md, mdlen) == 0;
	} else {
		ok = verify(t->point, dgst, sig, siglen);
	}
	snprintf(out, outlen, "CKR_OK verify=%d ms=%.0f", ok, now_ms() - t0);
	return ok;
}

static int keygen(struct tok *t, char *out, size_t outlen)
{
	static CK_BYTE ec_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
	                              0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM ecgen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pubt[] = {
		{CKA_EC_PARAMS, ec_params, sizeof(ec_params)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_VERIFY, &yes, sizeof(yes)},
	};
	CK_ATTRIBUTE privt[] = {
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},
		{CKA_SIGN, &yes, sizeof(yes)},
	};
	CK_RV rv = f->C_GenerateKeyPair(t->session, &ecgen, pubt, 3, privt, 4,
	                                &t->pub, &t->priv);
	if (rv != CKR_OK) {
		snprintf(out, outlen, "C_GenerateKeyPair %s", rvname(rv));
		return 0;
	}
	unsigned char der[80];
	CK_ATTRIBUTE pa = {CKA_EC_POINT, der, sizeof(der)};
	rv = f->C_GetAttributeValue(t->session, t->pub, &pa, 1);
	if (rv != CKR_OK || pa.ulValueLen != 67 || der[0] != 0x04 ||
	    der[1] != 0x41 || der[2] != 0x04) {
		snprintf(out, outlen, "C_GetAttributeValue %s len=%lu",
		         rvname(rv), (unsigned long)pa.ulValueLen);
		return 0;
	}
	memcpy(t->point, der + 2, 65);

	CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ULONG len32 = 32, len16 = 16;
	CK_MECHANISM aesgen = {CKM_AES_KEY_GEN, NULL, 0};
	CK_ATTRIBUTE kekt[] = {
		{CKA_CLASS, &secret, sizeof(secret)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_VALUE_LEN, &len32, sizeof(len32)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_WRAP, &yes, sizeof(yes)},
		{CKA_UNWRAP, &yes, sizeof(yes)},
	};
	CK_ATTRIBUTE tgtt[] = {
		{CKA_CLASS, &secret, sizeof(secret)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_VALUE_LEN, &len16, sizeof(len16)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_EXTRACTABLE, &yes, sizeof(yes)},
	};
	rv = f->C_GenerateKey(t->session, &aesgen, kekt, 6, &t->kek);
	if (rv == CKR_OK) {
		rv = f->C_GenerateKey(t->session, &aesgen, tgtt, 5, &t->target);
	}
	if (rv != CKR_OK) {
		snprintf(out, outlen, "C_GenerateKey %s", rvname(rv));
		return 0;
	}
	CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	CK_ATTRIBUTE hmact[] = {
		{CKA_CLASS, &secret, sizeof(secret)},
		{CKA_KEY_TYPE, &generic, sizeof(generic)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},
		{CKA_VALUE, t->hmac_key, sizeof(t->hmac_key)},
	};
	RAND_bytes(t->hmac_key, sizeof(t->hmac_key));
	rv = f->C_CreateObject(t->session, hmact, 5, &t->hmac);
	if (rv != CKR_OK) {
		snprintf(out, outlen, "C_CreateObject %s", rvname(rv));
		return 0;
	}
	CK_MECHANISM wrap = {CKM_AES_KEY_WRAP, NULL, 0};
	t->wrapped_len = sizeof(t->wrapped);
	rv = f->C_WrapKey(t->session, &wrap, t->kek, t->target, t->wrapped,
	                  &t->wrapped_len);
	if (rv != CKR_OK) {
		snprintf(out, outlen, "C_WrapKey %s", rvname(rv));
		return 0;
	}
	snprintf(out, outlen, "CKR_OK");
	return 1;
}

static CK_RV unwrap(struct tok *t, int bogus)
{
	CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &secret, sizeof(secret)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_TOKEN, &no, sizeof(no)},
	};
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP, NULL, 0};
	CK_OBJECT_HANDLE h = 0;
	CK_BYTE junk[1] = {0};
	CK_RV rv;

	if (bogus) {
		return f->C_UnwrapKey(t->session, &mech, 0xdeadbeef, junk, 1,
		                      NULL, 0, &h);
	}
	rv = f->C_UnwrapKey(t->session, &mech, t->kek, t->wrapped,
	                    t->wrapped_len, tmpl, 3, &h);
	if (rv == CKR_OK) {
		f->C_DestroyObject(t->session, h);
	}
	return rv;
}

struct job {
	struct tok *t;
	int verified, total;
	pthread_t th;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	CK_SESSION_HANDLE s;
	char line[128];

	if (f->C_OpenSession(j->t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                     NULL, NULL, &s) != CKR_OK) {
		return NULL;
	}
	for (int i = 0; i < 50; i++) {
		j->total++;
		j->verified += sign_once(j->t, s, i % 2, line, sizeof(line));
	}
	f->C_CloseSession(s);
	return NULL;
}

static void threads(char *args, char *out, size_t outlen)
{
	struct job jobs[64];
	int njobs = 0, n;
	char *save = NULL, *w = strtok_r(args, " ", &save);

	n = w != NULL ? atoi(w) : 0;
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		struct tok *t = tok_get(w);
		for (int i = 0; t != NULL && i < n && njobs < 64; i++) {
			memset(&jobs[njobs], 0, sizeof(jobs[njobs]));
			jobs[njobs].t = t;
			njobs++;
		}
	}
	for (int i = 0; i < njobs; i++) {
		pthread_create(&jobs[i].th, NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < njobs; i++) {
		pthread_join(jobs[i].th, NULL);
	}
	out[0] = '\0';
	for (int i = 0; i < ntoks; i++) {
		int v = 0, tot = 0, any = 0;
		for (int k = 0; k < njobs; k++) {
			if (jobs[k].t == &toks[i]) {
				v += jobs[k].verified;
				tot += jobs[k].total;
				any = 1;
			}
		}
		if (any) {
			char piece[64];
			snprintf(piece, sizeof(piece), " %.32s=%d/%d",
			         toks[i].label, v, tot);
			if (strlen(out) + strlen(piece) < outlen) {
				strcat(out, out[0] ? piece : piece + 1);
			}
		}
	}
}

static void command(char *line, char *out, size_t outlen)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \n", &save);
	char *arg = strtok_r(NULL, "\n", &save);
	struct tok *t = tok_get(arg);
	CK_RV rv;

	if (cmd == NULL) {
		snprintf(out, outlen, "error empty command");
	} else if (strcmp(cmd, "slots") == 0) {
		CK_SLOT_ID list[MAXTOK];
		CK_ULONG n = MAXTOK;
		rv = f->C_GetSlotList(CK_TRUE, list, &n);
		if (rv != CKR_OK) {
			snprintf(out, outlen, "C_GetSlotList %s", rvname(rv));
			return;
		}
		snprintf(out, outlen, "slots");
		for (CK_ULONG i = 0; i < n; i++) {
			CK_TOKEN_INFO info;
			char label[33];
			size_t len = strlen(out);
			rv = f->C_GetTokenInfo(list[i], &info);
			if (rv == CKR_OK) {
				trim_label(label, info.label);
			} else {
				snprintf(label, sizeof(label), "(%s)",
				         rvname(rv));
			}
			snprintf(out + len, outlen - len, " %s", label);
		}
	} else if (strcmp(cmd, "threads") == 0) {
		threads(arg != NULL ? arg : (char *)"", out, outlen);
	} else if (strcmp(cmd, "quit") == 0) {
		snprintf(out, outlen, "quit");
	} else if (t == NULL) {
		snprintf(out, outlen, "error unknown command or token");
	} else if (strcmp(cmd, "tokeninfo") == 0) {
		CK_TOKEN_INFO info;
		snprintf(out, outlen, "%s",
		         rvname(f->C_GetTokenInfo(t->slot, &info)));
	} else if (strcmp(cmd, "slotinfo") == 0) {
		CK_SLOT_INFO info;
		rv = f->C_GetSlotInfo(t->slot, &info);
		snprintf(out, outlen, "%s present=%d", rvname(rv),
		         rv == CKR_OK && (info.flags & CKF_TOKEN_PRESENT) != 0);
	} else if (strcmp(cmd, "mechs") == 0) {
		CK_ULONG n = 0;
		snprintf(out, outlen, "%s",
		         rvname(f->C_GetMechanismList(t->slot, NULL, &n)));
	} else if (strcmp(cmd, "open") == 0) {
		rv = f->C_OpenSession(t->slot,
		                      CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		                      NULL, &t->session);
		if (rv != CKR_OK) {
			snprintf(out, outlen, "C_OpenSession %s", rvname(rv));
			return;
		}
		t->open = 1;
		rv = f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		                strlen(pin));
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			snprintf(out, outlen, "C_Login %s", rvname(rv));
			return;
		}
		snprintf(out, outlen, "CKR_OK");
	} else if (strcmp(cmd, "opentry") == 0) {
		CK_SESSION_HANDLE s;
		rv = f->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL,
		                      &s);
		if (rv == CKR_OK) {
			f->C_CloseSession(s);
		}
		snprintf(out, outlen, "%s", rvname(rv));
	} else if (strcmp(cmd, "sessinfo") == 0) {
		CK_SESSION_INFO info;
		snprintf(out, outlen, "%s",
		         rvname(f->C_GetSessionInfo(t->session, &info)));
	} else if (strcmp(cmd, "keygen") == 0) {
		keygen(t, out, outlen);
	} else if (strcmp(cmd, "sign") == 0) {
		sign_once(t, t->session, 0, out, outlen);
	} else if (strcmp(cmd, "signmp") == 0) {
		sign_once(t, t->session, 1, out, outlen);
	} else if (strcmp(cmd, "unwrap") == 0) {
		snprintf(out, outlen, "%s", rvname(unwrap(t, 0)));
	} else if (strcmp(cmd, "unwrapbogus") == 0) {
		snprintf(out, outlen, "%s", rvname(unwrap(t, 1)));
	} else {
		snprintf(out, outlen, "error unknown command");
	}
}

int main(int argc, char **argv)
{
	char line[1024], out[1024];
	int managed;
	CK_RV rv;

	if (argc != 4) {
		fprintf(stderr, "usage: fault-client MODULE raw|p11kit PIN\n");
		return 2;
	}
	managed = strcmp(argv[2], "p11kit") == 0;
	pin = argv[3];
	if (managed) {
		f = p11_kit_module_load(argv[1], 0);
		if (f == NULL) {
			fprintf(stderr, "p11_kit_module_load: %s\n",
			        p11_kit_message());
			return 1;
		}
		rv = p11_kit_module_initialize(f);
	} else {
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		CK_C_GetFunctionList get;
		CK_C_INITIALIZE_ARGS args;
		if (h == NULL) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		*(void **)(&get) = dlsym(h, "C_GetFunctionList");
		if (get == NULL || get(&f) != CKR_OK) {
			fprintf(stderr, "C_GetFunctionList failed\n");
			return 1;
		}
		memset(&args, 0, sizeof(args));
		args.flags = CKF_OS_LOCKING_OK;
		rv = f->C_Initialize(&args);
	}
	if (rv != CKR_OK) {
		fprintf(stderr, "C_Initialize: %s\n", rvname(rv));
		return 1;
	}

	CK_SLOT_ID list[MAXTOK];
	CK_ULONG n = MAXTOK;
	rv = f->C_GetSlotList(CK_TRUE, list, &n);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_GetSlotList: %s\n", rvname(rv));
		return 1;
	}
	printf("ready");
	for (CK_ULONG i = 0; i < n && ntoks < MAXTOK; i++) {
		CK_TOKEN_INFO info;
		if (f->C_GetTokenInfo(list[i], &info) != CKR_OK ||
		    !(info.flags & CKF_TOKEN_INITIALIZED)) {
			continue;
		}
		trim_label(toks[ntoks].label, info.label);
		toks[ntoks].slot = list[i];
		printf(" %s", toks[ntoks].label);
		ntoks++;
	}
	printf("\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin) != NULL) {
		command(line, out, sizeof(out));
		printf("%s\n", out);
		fflush(stdout);
		if (strcmp(out, "quit") == 0) {
			break;
		}
	}
	if (managed) {
		rv = p11_kit_module_finalize(f);
		p11_kit_module_release(f);
	} else {
		rv = f->C_Finalize(NULL);
	}
	printf("finalize %s\n", rvname(rv));
	return rv == CKR_OK ? 0 : 1;
}
