/* The PKCS#11 key store (keystore/pkcs11.c) against SoftHSM2 tokens made
 * here: keys of algorithms 13, 14 and 8 generated in hsm1, renamed,
 * replicated to hsm2 and hsm3 and sealed; software keys (Ed25519, P-384,
 * RSA, Ed448) imported into all three; each checked through the store
 * (lookup, a signature from every token verifying with the DNSKEY, also
 * from several threads at once) and with raw PKCS#11 calls (attributes
 * of the objects).  Refusals: an unenrolled HSM, an HSM with another KEK
 * (nothing left behind), keys imported twice, two private keys under one
 * ID, replication to a store that is not an HSM or to itself. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto/key.h"
#include "crypto/privkey.h"
#include "hsm/hsm.h"
#include "keystore/internal.h"
#include "keystore/keystore.h"
#include "lib/softhsm.h"
#include "lib/tap.h"
#include "util/error.h"

#define PIN "pin-keystore-1234"
#define NHSM 4 /* three enrolled, the fourth for the refusals */
#define ID_LEN 16
#define NIMP 4 /* imported keys: Ed25519, P-384, RSA, Ed448 */

static sigil_keystore_t *ks[NHSM];

/* A key under test: its ref and DNSKEY Public Key field. */
struct key {
	uint8_t alg;
	uint8_t id[ID_LEN];
	char label[64];
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	size_t publen;
	sigil_keystore_ref_t ref;
};

static void key_name(struct key *k, uint8_t alg, const char *how)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];

	k->alg = alg;
	SHA256(k->pub, k->publen, digest);
	memcpy(k->id, digest, ID_LEN);
	snprintf(k->label, sizeof(k->label), "sigil test %s %u", how,
	         (unsigned)alg);
	k->ref = (sigil_keystore_ref_t){alg, k->id, ID_LEN, k->label};
}

static CK_ULONG count_all(sigil_hsm_t *h)
{
	CK_OBJECT_HANDLE o[64];

	return test_hsm_objects(h, NULL, 0, o, 64);
}

/* The object of class cls of k on store i, found with raw PKCS#11. */
static CK_OBJECT_HANDLE raw_object(int i, const struct key *k,
                                   CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_ID, (void *)k->id, ID_LEN},
	};
	CK_OBJECT_HANDLE o[4];

	if (test_hsm_objects(sigil_keystore_hsm(ks[i]), t, 2, o, 4) != 1) {
		return CK_INVALID_HANDLE;
	}
	return o[0];
}

/* What store i holds of k: one pair, its public key, CKA_LOCAL only
 * where it was generated, a signing key that never leaves, and a
 * signature that verifies with the DNSKEY. */
static void check_copy(int i, const struct key *k, const sigil_pubkey_t *pk,
                       bool local)
{
	const char *name = sigil_keystore_name(ks[i]);
	sigil_hsm_t *h = sigil_keystore_hsm(ks[i]);
	sigil_keystore_lookup_t lk;
	sigil_keystore_error_t err;
	sigil_keystore_key_t *key = NULL;
	CK_OBJECT_HANDLE priv, pub;
	uint8_t data[] = "some RRset's signed data, for alg";
	uint8_t sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	size_t siglen = 0;
	int ret;

	ret = sigil_keystore_lookup(ks[i], &k->ref, &lk, &err);
	if (!ok(ret == SIGIL_EOK, "alg %u on %s: lookup: %s", k->alg, name,
	        ret ? err.message : "")) {
		return;
	}
	is_int(lk.private_count * 10 + lk.public_count, 11,
	       "  one private and one public object");
	ok(lk.local == local, "  CKA_LOCAL %s", local ? "true" : "false");
	ok(lk.publen == k->publen && memcmp(lk.pub, k->pub, k->publen) == 0,
	   "  public key read back equals the DNSKEY's");
	priv = raw_object(i, k, CKO_PRIVATE_KEY);
	ok(priv != CK_INVALID_HANDLE &&
	           test_hsm_attr_bool(h, priv, CKA_TOKEN, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv, CKA_PRIVATE, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv, CKA_SENSITIVE, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv, CKA_EXTRACTABLE, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv, CKA_SIGN, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv, CKA_DECRYPT, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv, CKA_UNWRAP, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv, CKA_DERIVE, CK_FALSE),
	   "  private key sensitive, not extractable, sign only");
	pub = raw_object(i, k, CKO_PUBLIC_KEY);
	ok(pub != CK_INVALID_HANDLE &&
	           test_hsm_attr_bool(h, pub, CKA_TOKEN, CK_TRUE) &&
	           test_hsm_attr_bool(h, pub, CKA_VERIFY, CK_TRUE) &&
	           test_hsm_attr_bool(h, pub, CKA_ENCRYPT, CK_FALSE) &&
	           test_hsm_attr_bool(h, pub, CKA_WRAP, CK_FALSE) &&
	           test_hsm_attr_bool(h, pub, CKA_DERIVE, CK_FALSE),
	   "  public key for verification only");
	ret = sigil_keystore_key_open(ks[i], &k->ref, &key, &err);
	if (!ok(ret == SIGIL_EOK, "  key_open: %s", ret ? err.message : "")) {
		return;
	}
	data[sizeof(data) - 2] = k->alg;
	ret = sigil_keystore_key_sign(key, data, sizeof(data), sig, sizeof(sig),
	                              &siglen, &err);
	ok(ret == SIGIL_EOK && sigil_pubkey_verify(pk, data, sizeof(data), sig,
	                                           siglen) == SIGIL_EOK,
	   "  its signature verifies with the DNSKEY: %s",
	   ret ? err.message : "");
	/* A token answer "buffer too small" leaves the operation active:
	 * the session must still sign afterwards. */
	ret = sigil_keystore_key_sign(key, data, sizeof(data), sig, 8, &siglen,
	                              &err);
	is_int(ret, SIGIL_ESPACE, "  an 8-byte buffer is too small");
	ret = sigil_keystore_key_sign(key, data, sizeof(data), sig, sizeof(sig),
	                              &siglen, &err);
	ok(ret == SIGIL_EOK && sigil_pubkey_verify(pk, data, sizeof(data), sig,
	                                           siglen) == SIGIL_EOK,
	   "  and it signs again afterwards: %s", ret ? err.message : "");
	sigil_keystore_key_free(key);
}

/* k on stores 0..2, checked; local0: generated on store 0. */
static void check_key(const struct key *k, bool local0)
{
	uint8_t rdata[4 + SIGIL_PRIVKEY_PUB_MAXLEN] = {1, 0, 3, k->alg};
	sigil_pubkey_t *pk = NULL;

	memcpy(rdata + 4, k->pub, k->publen);
	if (!ok(sigil_pubkey_from_dnskey(rdata, 4 + k->publen, &pk) ==
	                SIGIL_EOK,
	        "alg %u: the public key makes a valid DNSKEY", k->alg)) {
		return;
	}
	for (int i = 0; i < 3; i++) {
		check_copy(i, k, pk, local0 && i == 0);
	}
	sigil_pubkey_free(pk);
}

/* Generation on hsm1 under a temporary ID, renamed to the ID of its
 * public key, replicated to hsm2 and hsm3, sealed. */
static bool generated(struct key *k, uint8_t alg, size_t publen)
{
	uint8_t tmp_id[ID_LEN];
	sigil_keystore_ref_t tmp = {alg, tmp_id, ID_LEN, "sigil new key"};
	sigil_keystore_lookup_t lk;
	sigil_keystore_error_t err;
	int ret;

	RAND_bytes(tmp_id, sizeof(tmp_id));
	ret = sigil_keystore_generate(ks[0], &tmp, 0, k->pub, sizeof(k->pub),
	                              &k->publen, &err);
	if (!ok(ret == SIGIL_EOK, "alg %u: generated in hsm1: %s", alg,
	        ret ? err.message : "")) {
		return false;
	}
	is_int(k->publen, publen, "  public key of %zu bytes", publen);
	key_name(k, alg, "generated");
	ret = sigil_keystore_rename(ks[0], &tmp, &k->ref, &err);
	ok(ret == SIGIL_EOK, "  renamed: %s", ret ? err.message : "");
	ret = sigil_keystore_lookup(ks[0], &tmp, &lk, &err);
	ok(ret == SIGIL_EOK && lk.private_count == 0 && lk.public_count == 0,
	   "  nothing left under the temporary ID");
	for (int i = 1; i < 3; i++) {
		ret = sigil_keystore_replicate(ks[0], ks[i], &k->ref, k->pub,
		                               k->publen, &err);
		ok(ret == SIGIL_EOK, "  replicated to %s: %s",
		   sigil_keystore_name(ks[i]), ret ? err.message : "");
	}
	ret = sigil_keystore_replicate(ks[0], ks[1], &k->ref, k->pub, k->publen,
	                               &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "  not twice to hsm2: %s", err.message);
	ret = sigil_keystore_seal(ks[0], &k->ref, &err);
	ok(ret == SIGIL_EOK, "  sealed: %s", ret ? err.message : "");
	return true;
}

/* A key made in software, imported into hsm1..hsm3. */
static bool imported(struct key *k, uint8_t alg, unsigned bits)
{
	sigil_keystore_error_t err;
	sigil_privkey_t *pk = NULL;
	bool all = true;
	int ret;

	if (!ok(sigil_privkey_generate(alg, bits, &pk) == SIGIL_EOK &&
	                sigil_privkey_dnskey_pub(pk, k->pub, sizeof(k->pub),
	                                         &k->publen) == SIGIL_EOK,
	        "alg %u: a software key", alg)) {
		sigil_privkey_free(pk);
		return false;
	}
	key_name(k, alg, "imported");
	for (int i = 0; i < 3; i++) {
		ret = sigil_keystore_import(ks[i], &k->ref, pk, &err);
		all &= ok(ret == SIGIL_EOK, "  imported into %s: %s",
		          sigil_keystore_name(ks[i]), ret ? err.message : "");
	}
	ret = sigil_keystore_import(ks[0], &k->ref, pk, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "  not twice: %s", err.message);
	sigil_privkey_free(pk);
	return all;
}

static void destroyed(const struct key *k)
{
	sigil_keystore_lookup_t lk;
	sigil_keystore_error_t err;
	bool gone = true;

	for (int i = 0; i < 3; i++) {
		int ret = sigil_keystore_destroy(ks[i], &k->ref, &err);

		if (ret != SIGIL_EOK) {
			diag("%s", err.message);
		}
		gone &= ret == SIGIL_EOK &&
		        sigil_keystore_lookup(ks[i], &k->ref, &lk, &err) ==
		                SIGIL_EOK &&
		        lk.private_count == 0 && lk.public_count == 0;
	}
	ok(gone, "alg %u: destroyed everywhere, lookup finds nothing", k->alg);
	ok(sigil_keystore_destroy(ks[0], &k->ref, &err) == SIGIL_EOK,
	   "  destroying it again is no error");
}

/* Refusals around replication and creation. */
static void refusals(const struct key *k)
{
	/* Another kind of store: what the dispatcher sees of it. */
	static const keystore_ops_t other_ops = {.kind = SIGIL_KEYSTORE_PKCS8};
	sigil_keystore_t other = {.ops = &other_ops, .name = "soft"};
	sigil_hsm_t *h4 = sigil_keystore_hsm(ks[3]);
	sigil_hsm_enroll_result_t eres;
	sigil_keystore_key_t *key = NULL;
	sigil_keystore_error_t err;
	sigil_hsm_error_t herr;
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	size_t publen;
	CK_ULONG before;
	uint8_t unknown[ID_LEN] = {0xde, 0xad};
	sigil_keystore_ref_t none = {13, unknown, ID_LEN, "sigil none"};
	sigil_keystore_ref_t kek = {13, (const uint8_t *)SIGIL_HSM_KEK_ID,
	                            sizeof(SIGIL_HSM_KEK_ID) - 1, NULL};
	uint8_t fresh_id[ID_LEN];
	sigil_keystore_ref_t fresh = {14, fresh_id, ID_LEN, "sigil fresh"};
	int ret;

	ret = sigil_keystore_replicate(ks[0], &other, &k->ref, k->pub,
	                               k->publen, &err);
	is_int(ret, SIGIL_EINVAL, "replicate to a software store: %s",
	       err.message);
	ret = sigil_keystore_replicate(&other, ks[0], &k->ref, k->pub,
	                               k->publen, &err);
	is_int(ret, SIGIL_EINVAL, "replicate from a software store: %s",
	       err.message);
	ret = sigil_keystore_replicate(ks[0], ks[0], &k->ref, k->pub, k->publen,
	                               &err);
	is_int(ret, SIGIL_ECONFIG, "replicate to the same token: %s",
	       err.message);
	ret = sigil_keystore_replicate(ks[0], ks[1], &k->ref, k->pub,
	                               k->publen - 1, &err);
	is_int(ret, SIGIL_EINVAL, "replicate with a short public key: %s",
	       err.message);

	ret = sigil_keystore_key_open(ks[0], &none, &key, &err);
	is_int(ret, SIGIL_ENOTFOUND, "key_open of an unknown ID: %s",
	       err.message);
	ok(strstr(err.message, "hsm1") != NULL &&
	           strstr(err.message, "dead") != NULL,
	   "  the message names the HSM and the ID");

	ret = sigil_keystore_generate(ks[0], &none, 384, pub, sizeof(pub),
	                              &publen, &err);
	is_int(ret, SIGIL_ERANGE, "a 384-bit P-256 key: %s", err.message);
	none.alg = 15;
	ret = sigil_keystore_generate(ks[0], &none, 0, pub, sizeof(pub),
	                              &publen, &err);
	is_int(ret, SIGIL_EALGORITHM, "Ed25519 not generated in a token: %s",
	       err.message);

	ret = sigil_keystore_destroy(ks[0], &kek, &err);
	is_int(ret, SIGIL_EINVAL, "the KEK is not destroyed as a key: %s",
	       err.message);
	ok(sigil_keystore_ready(ks[0], true, &err) == SIGIL_EOK,
	   "  hsm1 still holds it");

	ret = sigil_keystore_ready(ks[3], true, &err);
	is_int(ret, SIGIL_ENOTFOUND, "ready on unenrolled hsm4: %s",
	       err.message);
	ok(strstr(err.message, "hsm4") && strstr(err.message, "not enrolled"),
	   "  the message names hsm4 and why");
	ret = sigil_keystore_ready(ks[3], false, &err);
	is_int(ret, SIGIL_EOK, "hsm4 ready for keys that need no KEK");
	ret = sigil_keystore_replicate(ks[0], ks[3], &k->ref, k->pub, k->publen,
	                               &err);
	is_int(ret, SIGIL_ENOTFOUND, "replicate to unenrolled hsm4: %s",
	       err.message);

	/* hsm4 with a KEK of its own: refused only by C_UnwrapKey. */
	ret = sigil_hsm_enroll(&h4, 1, &eres, &herr);
	ok(ret == SIGIL_EOK, "hsm4 enrolled with another KEK: %s",
	   ret ? herr.message : "");
	ret = sigil_keystore_replicate(ks[0], ks[3], &k->ref, k->pub, k->publen,
	                               &err);
	ok(ret != SIGIL_EOK && strstr(err.message, "C_WrapKey"),
	   "a sealed key cannot be wrapped any more: %s", err.message);
	RAND_bytes(fresh_id, sizeof(fresh_id));
	ret = sigil_keystore_generate(ks[0], &fresh, 0, pub, sizeof(pub),
	                              &publen, &err);
	ok(ret == SIGIL_EOK, "a key not sealed yet: %s",
	   ret ? err.message : "");
	before = count_all(h4);
	ret = sigil_keystore_replicate(ks[0], ks[3], &fresh, pub, publen, &err);
	ok(ret != SIGIL_EOK && strstr(err.message, "C_UnwrapKey") &&
	           strstr(err.message, "hsm4"),
	   "replicate under another KEK fails at the unwrap: %s", err.message);
	is_int(count_all(h4), before, "  nothing left on hsm4");
	ret = sigil_keystore_destroy(ks[0], &fresh, &err);
	is_int(ret, SIGIL_EOK, "  the key is destroyed on hsm1");
}

#define NTHREADS 4
#define NSIGS 50

struct signer {
	sigil_keystore_key_t *key;
	const sigil_pubkey_t *pk;
	int good;
};

static void *signer_run(void *arg)
{
	struct signer *sg = arg;
	uint8_t data[32], sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	sigil_keystore_error_t err;
	size_t siglen;

	for (int i = 0; i < NSIGS; i++) {
		RAND_bytes(data, sizeof(data));
		if (sigil_keystore_key_sign(sg->key, data, sizeof(data), sig,
		                            sizeof(sig), &siglen,
		                            &err) == SIGIL_EOK &&
		    sigil_pubkey_verify(sg->pk, data, sizeof(data), sig,
		                        siglen) == SIGIL_EOK) {
			sg->good++;
		}
	}
	return NULL;
}

/* One key handle, several threads signing at once (a session each). */
static void threads(const struct key *k)
{
	uint8_t rdata[4 + SIGIL_PRIVKEY_PUB_MAXLEN] = {1, 0, 3, k->alg};
	struct signer sg[NTHREADS];
	pthread_t t[NTHREADS];
	bool started[NTHREADS];
	sigil_keystore_key_t *key = NULL;
	sigil_keystore_error_t err;
	sigil_pubkey_t *pk = NULL;
	int good = 0;

	memcpy(rdata + 4, k->pub, k->publen);
	if (!ok(sigil_pubkey_from_dnskey(rdata, 4 + k->publen, &pk) ==
	                        SIGIL_EOK &&
	                sigil_keystore_key_open(ks[1], &k->ref, &key, &err) ==
	                        SIGIL_EOK,
	        "alg %u on hsm2: a key for %d threads", k->alg, NTHREADS)) {
		sigil_pubkey_free(pk);
		return;
	}
	for (int i = 0; i < NTHREADS; i++) {
		sg[i] = (struct signer){key, pk, 0};
		started[i] =
			pthread_create(&t[i], NULL, signer_run, &sg[i]) == 0;
	}
	for (int i = 0; i < NTHREADS; i++) {
		if (started[i]) {
			pthread_join(t[i], NULL);
			good += sg[i].good;
		}
	}
	is_int(good, NTHREADS * NSIGS, "  every signature verifies");
	sigil_keystore_key_free(key);
	sigil_pubkey_free(pk);
}

/* Two keys under one ID, made behind the store's back (CKA_ID is not
 * unique in PKCS#11): seen as several, never used. */
static void duplicates(const struct key *g, const struct key *k)
{
	sigil_hsm_t *h = sigil_keystore_hsm(ks[0]);
	CK_OBJECT_HANDLE priv = raw_object(0, k, CKO_PRIVATE_KEY),
			 copy = CK_INVALID_HANDLE;
	CK_ATTRIBUTE none[1];
	sigil_keystore_key_t *key = NULL;
	sigil_keystore_lookup_t lk;
	sigil_keystore_error_t err;
	CK_SESSION_HANDLE s;
	int ret;

	ret = sigil_keystore_rename(ks[0], &k->ref, &g->ref, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "rename to an ID in use: %s",
	       err.message);
	ok(sigil_hsm_session(h, &s, NULL) == SIGIL_EOK &&
	           sigil_hsm_functions(h)->C_CopyObject(s, priv, none, 0,
	                                                &copy) == CKR_OK,
	   "a second private key with the ID of alg %u on hsm1", k->alg);
	ret = sigil_keystore_lookup(ks[0], &k->ref, &lk, &err);
	ok(ret == SIGIL_EOK && lk.private_count == 2 && lk.public_count == 1,
	   "  lookup counts it as several");
	ret = sigil_keystore_key_open(ks[0], &k->ref, &key, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "  key_open refuses: %s", err.message);
}

int main(void)
{
	sigil_hsm_t *h[NHSM] = {NULL};
	sigil_hsm_enroll_result_t eres[NHSM];
	sigil_keystore_error_t err;
	sigil_hsm_error_t herr;
	struct key gen[3], imp[NIMP];
	const uint8_t gen_algs[] = {13, 14, 8};
	const size_t gen_publen[] = {64, 96, 1 + 3 + 256};
	bool gen_ok[3], imp_ok[NIMP];
	int ret;

	if (!test_softhsm_start("keystore", NHSM, PIN)) {
		return 1;
	}
	for (int i = 0; i < NHSM; i++) {
		h[i] = test_softhsm_open(i + 1);
	}
	if (!ok(h[0] && h[1] && h[2] && h[3], "HSMs open")) {
		printf("Bail out! cannot open the tokens\n");
		return 1;
	}
	ret = sigil_hsm_enroll(h, 3, eres, &herr);
	if (!ok(ret == SIGIL_EOK, "hsm1-3 enrolled: %s",
	        ret ? herr.message : "")) {
		printf("Bail out! enrollment failed\n");
		return 1;
	}
	for (int i = 0; i < NHSM; i++) {
		ret = sigil_keystore_open_pkcs11(h[i], &ks[i], &err);
		if (!ok(ret == SIGIL_EOK, "store on hsm%d", i + 1)) {
			printf("Bail out! %s\n", err.message);
			return 1;
		}
	}
	is_str(sigil_keystore_name(ks[1]), "hsm2",
	       "the store has the HSM's name");
	ok(sigil_keystore_kind(ks[0]) == SIGIL_KEYSTORE_PKCS11 &&
	           sigil_keystore_hsm(ks[0]) == h[0],
	   "kind pkcs11, its HSM");
	ok(!sigil_keystore_same(ks[0], ks[1]) &&
	           sigil_keystore_same(ks[2], ks[2]),
	   "same token only for itself");
	ok(sigil_keystore_can_generate(ks[0], 13) &&
	           sigil_keystore_can_generate(ks[0], 14) &&
	           sigil_keystore_can_generate(ks[0], 8) &&
	           sigil_keystore_can_generate(ks[0], 10),
	   "can generate algorithms 8, 10, 13, 14");
	ok(!sigil_keystore_can_generate(ks[0], 15) &&
	           !sigil_keystore_can_generate(ks[0], 16) &&
	           !sigil_keystore_can_generate(ks[0], 5),
	   "cannot generate 15, 16 (not wrappable) or 5");
	ret = sigil_keystore_ready(ks[0], true, &err);
	is_int(ret, SIGIL_EOK, "hsm1 ready: %s", ret ? err.message : "");

	for (int i = 0; i < 3; i++) {
		gen_ok[i] = generated(&gen[i], gen_algs[i], gen_publen[i]);
		if (gen_ok[i]) {
			check_key(&gen[i], true);
		}
	}
	imp_ok[0] = imported(&imp[0], 15, 0);
	imp_ok[1] = imported(&imp[1], 14, 0);
	imp_ok[2] = imported(&imp[2], 10, 1024);
	imp_ok[3] = imported(&imp[3], 16, 0);
	for (int i = 0; i < NIMP; i++) {
		if (imp_ok[i]) {
			check_key(&imp[i], false);
		}
	}
	if (gen_ok[0]) {
		refusals(&gen[0]);
	}
	if (gen_ok[0]) {
		threads(&gen[0]);
	}
	if (imp_ok[0]) {
		threads(&imp[0]);
	}
	if (gen_ok[0] && imp_ok[0]) {
		duplicates(&gen[0], &imp[0]);
	}
	for (int i = 0; i < 3; i++) {
		if (gen_ok[i]) {
			destroyed(&gen[i]);
		}
	}
	for (int i = 0; i < NIMP; i++) {
		if (imp_ok[i]) {
			destroyed(&imp[i]);
		}
	}
	for (int i = 0; i < NHSM; i++) {
		is_int(count_all(h[i]), 1, "hsm%d holds its KEK alone", i + 1);
	}

	for (int i = 0; i < NHSM; i++) {
		sigil_keystore_close(ks[i]);
	}
	ok(test_softhsm_cleanup(), "temporary directory removed");
	return done_testing();
}
