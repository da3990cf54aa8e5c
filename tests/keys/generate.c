/* Key generation (keys/generate.c) against SoftHSM2 tokens made here:
 * three enrolled HSMs get ECDSA keys, checked independently with raw
 * PKCS#11 calls (one private and one public object per token with the
 * key's CKA_ID, a replica never CKA_LOCAL, nothing extractable, a
 * signature from every token verifying with the published DNSKEY) and in
 * the key database (usable, tag derived and unique, every copy proven);
 * RSA keys are replicated the same way, Ed25519 keys (which SoftHSM2
 * cannot wrap) are made in software and imported.  Software key stores
 * get their files.  Failures leave nothing behind: an HSM that is not
 * enrolled, one enrolled with a different KEK (refused only at unwrap,
 * after the pair exists and a replica was made).  Key tag collisions are
 * tested in tests/scenario/keys-fault.t. */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "crypto/key.h"
#include "hsm/hsm.h"
#include "keys/generate.h"
#include "keystore/keystore.h"
#include "keys/keydb.h"
#include "lib/softhsm.h"
#include "lib/tap.h"
#include "util/error.h"

#define PIN "pin-generate-1234"
#define NHSM 4 /* three enrolled, the fourth for the failures */
#define ZONE "example.org."

static CK_ULONG count_all(sigil_hsm_t *h)
{
	CK_OBJECT_HANDLE o[64];

	return test_hsm_objects(h, NULL, 0, o, 64);
}

/* What token h holds of the key res describes; source says whether the
 * key was generated there. */
static void check_token(sigil_hsm_t *h, const sigil_key_generate_result_t *res,
                        const sigil_pubkey_t *pk, bool source)
{
	const char *name = sigil_hsm_name(h);
	CK_FUNCTION_LIST *f = sigil_hsm_functions(h);
	CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE priv_t[] = {
		{CKA_CLASS, &priv_cls, sizeof(priv_cls)},
		{CKA_ID, (void *)res->cka_id, sizeof(res->cka_id)},
	};
	CK_ATTRIBUTE pub_t[] = {
		{CKA_CLASS, &pub_cls, sizeof(pub_cls)},
		{CKA_ID, (void *)res->cka_id, sizeof(res->cka_id)},
	};
	CK_OBJECT_HANDLE priv[4], pub[4];
	CK_ULONG npriv = test_hsm_objects(h, priv_t, 2, priv, 4);
	CK_ULONG npub = test_hsm_objects(h, pub_t, 2, pub, 4);
	CK_BYTE point[80];
	CK_ATTRIBUTE pa = {CKA_EC_POINT, point, sizeof(point)};
	uint8_t alg = res->rdata[3];
	CK_MECHANISM mech = {alg == 13 ? CKM_ECDSA :
	                     alg == 8  ? CKM_SHA256_RSA_PKCS :
	                                 CKM_EDDSA,
	                     NULL, 0};
	uint8_t data[] = "a signature made by this token";
	uint8_t digest[SHA256_DIGEST_LENGTH];
	CK_BYTE sig[512];
	CK_ULONG siglen = sizeof(sig);
	CK_SESSION_HANDLE s;

	if (!ok(npriv == 1 && npub == 1,
	        "%s: one private and one public object with the CKA_ID",
	        name)) {
		diag("%lu private, %lu public", (unsigned long)npriv,
		     (unsigned long)npub);
		return;
	}
	ok(test_hsm_attr_bool(h, priv[0], CKA_LOCAL,
	                      source ? CK_TRUE : CK_FALSE),
	   "%s: CKA_LOCAL %s", name,
	   source ? "true (generated here)" : "false (a replica)");
	ok(test_hsm_attr_bool(h, priv[0], CKA_TOKEN, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_PRIVATE, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_SENSITIVE, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_EXTRACTABLE, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_SIGN, CK_TRUE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_DECRYPT, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_UNWRAP, CK_FALSE) &&
	           test_hsm_attr_bool(h, priv[0], CKA_DERIVE, CK_FALSE),
	   "%s: private key sensitive, not extractable, sign only", name);
	sigil_hsm_session(h, &s, NULL);
	if (alg == 13) {
		ok(f->C_GetAttributeValue(s, pub[0], &pa, 1) == CKR_OK &&
		           pa.ulValueLen == 67 && point[0] == 0x04 &&
		           point[1] == 0x41 && point[2] == 0x04 &&
		           memcmp(point + 3, res->rdata + 4, 64) == 0,
		   "%s: public object holds the DNSKEY's point", name);
		SHA256(data, sizeof(data), digest);
	}
	ok(f->C_SignInit(s, &mech, priv[0]) == CKR_OK &&
	           f->C_Sign(s, alg == 13 ? digest : data,
	                     alg == 13 ? sizeof(digest) : sizeof(data), sig,
	                     &siglen) == CKR_OK &&
	           sigil_pubkey_verify(pk, data, sizeof(data), sig, siglen) ==
	                   SIGIL_EOK,
	   "%s: its signature verifies with the DNSKEY", name);
}

/* The key in the database and on the three enrolled tokens. */
static void check_key(sigil_keydb_t *db, sigil_hsm_t **h,
                      const sigil_key_generate_result_t *res,
                      enum sigil_key_role role, uint8_t alg)
{
	sigil_keydb_error_t dberr;
	sigil_keydb_key_t *key = NULL;
	sigil_keydb_copy_t *copies = NULL;
	sigil_pubkey_t *pk = NULL;
	size_t ncopies = 0;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	uint16_t flags = role == SIGIL_ROLE_ZSK ? 256 : 257;

	bool in_hsm = alg != 15;

	if (alg == 13) {
		is_int(res->rdlen, 68, "RDATA of 68 bytes");
	}
	ok(res->rdata[0] == flags >> 8 && res->rdata[1] == (flags & 0xff) &&
	           res->rdata[2] == 3 && res->rdata[3] == alg,
	   "flags %u, protocol 3, algorithm %u", (unsigned)flags,
	   (unsigned)alg);
	is_int(res->origin,
	       in_hsm ? SIGIL_KEY_MADE_IN_HSM : SIGIL_KEY_MADE_IN_SOFTWARE,
	       "made %s", in_hsm ? "in hsm1" : "in software");
	is_int(res->tag, sigil_keytag(res->rdata, res->rdlen),
	       "tag is the key tag of the RDATA");
	SHA256(res->rdata + 4, res->rdlen - 4, digest);
	is_mem(res->cka_id, digest, 16,
	       "CKA_ID is SHA-256 of the public key, 16 bytes");
	if (!ok(sigil_pubkey_from_dnskey(res->rdata, res->rdlen, &pk) ==
	                SIGIL_EOK,
	        "the DNSKEY decodes")) {
		return;
	}
	if (ok(sigil_keydb_key_get(db, res->key_id, &key, &dberr) == SIGIL_EOK,
	       "in the database")) {
		ok(key->state == SIGIL_KEY_USABLE && key->role == role &&
		           key->tag == res->tag && key->rdlen == res->rdlen &&
		           memcmp(key->rdata, res->rdata, res->rdlen) == 0 &&
		           key->cka_id_len == 16 &&
		           memcmp(key->cka_id, res->cka_id, 16) == 0,
		   "usable, with its role, tag, RDATA and CKA_ID");
		sigil_keydb_keys_free(key, 1);
	}
	if (ok(sigil_keydb_copies(db, res->key_id, &copies, &ncopies, &dberr) ==
	                       SIGIL_EOK &&
	               ncopies == 3,
	       "three copies recorded")) {
		for (size_t i = 0; i < ncopies; i++) {
			bool src = in_hsm && strcmp(copies[i].hsm, "hsm1") == 0;

			ok(copies[i].present &&
			           copies[i].result == SIGIL_PROOF_OK &&
			           copies[i].proof_time > 0 &&
			           copies[i].local == src,
			   "copy on %s: present, proof ok, local %s",
			   copies[i].hsm, src ? "true" : "false");
		}
	}
	sigil_keydb_copies_free(copies, ncopies);
	for (int i = 0; i < 3; i++) {
		check_token(h[i], res, pk, in_hsm && i == 0);
	}
	sigil_pubkey_free(pk);
}

/* After a failed generation: no object made, no key recorded. */
static void check_nothing_left(sigil_keydb_t *db, sigil_hsm_t **h,
                               const CK_ULONG *before, size_t nkeys)
{
	sigil_keydb_error_t dberr;
	sigil_keydb_key_t *keys = NULL;
	size_t count = 0;
	bool same = true;

	for (int i = 0; i < NHSM; i++) {
		CK_ULONG now = count_all(h[i]);

		if (now != before[i]) {
			diag("%s: %lu objects before, %lu after",
			     sigil_hsm_name(h[i]), (unsigned long)before[i],
			     (unsigned long)now);
			same = false;
		}
	}
	ok(same, "  no object left on any token");
	ok(sigil_keydb_keys(db, ZONE, &keys, &count, &dberr) == SIGIL_EOK &&
	           count == nkeys,
	   "  no key recorded");
	sigil_keydb_keys_free(keys, count);
}

/* Software key stores: the key is written to both, mode 0600. */
static void check_soft(sigil_keydb_t *db, sigil_keystore_t **hsm_stores)
{
	char dir[2][160], file[300];
	sigil_keystore_t *ks[2] = {NULL, NULL};
	sigil_keystore_error_t err;
	sigil_key_generate_result_t res;
	char idhex[2 * SIGIL_KEY_CKA_ID_LEN + 1];
	struct stat st;
	int ret;

	for (int i = 0; i < 2; i++) {
		snprintf(dir[i], sizeof(dir[i]), "%s/soft%d", test_softhsm_dir,
		         i + 1);
		mkdir(dir[i], 0700);
		ret = sigil_keystore_open_pkcs8(i ? "soft2" : "soft1", dir[i],
		                                &ks[i], &err);
		if (!ok(ret == SIGIL_EOK, "software key store %d: %s", i + 1,
		        ret ? err.message : "")) {
			goto out;
		}
	}
	memset(&res, 0, sizeof(res));
	ret = sigil_key_generate(db, "soft.example.", SIGIL_ROLE_CSK, 13, 0, ks,
	                         2, &res, &err);
	if (!ok(ret == SIGIL_EOK, "a CSK in two software key stores: %s",
	        ret ? err.message : "")) {
		goto out;
	}
	is_int(res.origin, SIGIL_KEY_MADE_IN_SOFTWARE, "  made in software");
	for (size_t i = 0; i < sizeof(res.cka_id); i++) {
		sprintf(idhex + 2 * i, "%02x", res.cka_id[i]);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/%s.pem", dir[i], idhex);
		ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600,
		   "  soft%d holds %s.pem, mode 0600", i + 1, idhex);
	}
	ret = sigil_key_generate(db, "soft.example.", SIGIL_ROLE_ZSK, 13, 0,
	                         (sigil_keystore_t *[]){ks[0], ks[0]}, 2, &res,
	                         &err);
	is_int(ret, SIGIL_ECONFIG, "one key store twice refused: %s",
	       err.message);
	ret = sigil_key_generate(db, "mixed.example.", SIGIL_ROLE_ZSK, 13, 0,
	                         (sigil_keystore_t *[]){hsm_stores[0], ks[0]},
	                         2, &res, &err);
	is_int(ret, SIGIL_ECONFIG, "an HSM with a software store refused: %s",
	       err.message);
	ok(strstr(err.message, "hsm1") && strstr(err.message, "soft1"),
	   "  the error names both");
out:
	sigil_keystore_close(ks[0]);
	sigil_keystore_close(ks[1]);
}

int main(void)
{
	sigil_keystore_t *ks[NHSM] = {NULL};
	sigil_hsm_t *h[NHSM] = {NULL};
	sigil_hsm_enroll_result_t eres[NHSM];
	sigil_key_generate_result_t zsk, ksk, bad;
	sigil_keydb_error_t dberr;
	sigil_keydb_t *db = NULL;
	sigil_hsm_error_t herr;
	sigil_keystore_error_t err;
	CK_ULONG before[NHSM];
	char path[128];
	int ret;

	if (!test_softhsm_start("generate", NHSM, PIN)) {
		return 1;
	}
	if (!test_softhsm_stores(NHSM, h, ks)) {
		return 1;
	}
	ret = sigil_hsm_enroll(h, 3, eres, &herr);
	if (!ok(ret == SIGIL_EOK, "hsm1-3 enrolled: %s",
	        ret ? herr.message : "")) {
		printf("Bail out! enrollment failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/keys.db", test_softhsm_dir);
	if (!ok(sigil_keydb_open(path, &db, &dberr) == SIGIL_EOK,
	        "key database")) {
		printf("Bail out! %s\n", dberr.message);
		return 1;
	}

	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_ZSK, 13, 0, ks, 3, &zsk,
	                         &err);
	if (ok(ret == SIGIL_EOK, "ZSK generated: %s", ret ? err.message : "")) {
		check_key(db, h, &zsk, SIGIL_ROLE_ZSK, 13);
	}
	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_KSK, 13, 0, ks, 3, &ksk,
	                         &err);
	if (ok(ret == SIGIL_EOK, "KSK generated: %s", ret ? err.message : "")) {
		check_key(db, h, &ksk, SIGIL_ROLE_KSK, 13);
	}
	ok(zsk.tag != ksk.tag && zsk.key_id != ksk.key_id,
	   "distinct tags and ids");
	ret = sigil_key_generate(db, "rsa.example.", SIGIL_ROLE_ZSK, 8, 1024,
	                         ks, 3, &bad, &err);
	if (ok(ret == SIGIL_EOK,
	       "RSA (8) ZSK generated in hsm1, replicated: %s",
	       ret ? err.message : "")) {
		check_key(db, h, &bad, SIGIL_ROLE_ZSK, 8);
	}
	ret = sigil_key_generate(db, "ed.example.", SIGIL_ROLE_KSK, 15, 0, ks,
	                         3, &bad, &err);
	if (ok(ret == SIGIL_EOK, "Ed25519 (15) KSK imported: %s",
	       ret ? err.message : "")) {
		check_key(db, h, &bad, SIGIL_ROLE_KSK, 15);
	}

	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_ZSK, 5, 0, ks, 3, &bad,
	                         &err);
	is_int(ret, SIGIL_EALGORITHM, "algorithm 5 refused: %s", err.message);
	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_ZSK, 13, 0,
	                         (sigil_keystore_t *[]){ks[0], ks[1], ks[0]}, 3,
	                         &bad, &err);
	is_int(ret, SIGIL_ECONFIG, "one token twice refused: %s", err.message);

	/* hsm4 holds no KEK: refused before anything is made. */
	for (int i = 0; i < NHSM; i++) {
		before[i] = count_all(h[i]);
	}
	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_ZSK, 13, 0,
	                         (sigil_keystore_t *[]){ks[0], ks[1], ks[3]}, 3,
	                         &bad, &err);
	is_int(ret, SIGIL_ENOTFOUND, "hsm4 not enrolled: %s", err.message);
	ok(strstr(err.message, "hsm4") != NULL &&
	           strstr(err.message, "not enrolled") != NULL,
	   "  the error names hsm4 and why");
	check_nothing_left(db, h, before, 2);

	/* hsm4 with a KEK of its own: the pair is generated in hsm1 and
	 * copied to hsm2 before the unwrap in hsm4 fails; all is undone. */
	ret = sigil_hsm_enroll(&h[3], 1, eres, &herr);
	ok(ret == SIGIL_EOK && eres[0].state == SIGIL_HSM_KEK_CREATED,
	   "hsm4 gets a different KEK");
	for (int i = 0; i < NHSM; i++) {
		before[i] = count_all(h[i]);
	}
	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_ZSK, 13, 0,
	                         (sigil_keystore_t *[]){ks[0], ks[1], ks[3]}, 3,
	                         &bad, &err);
	ok(ret != SIGIL_EOK, "wrong KEK on hsm4 fails: %s", err.message);
	ok(strstr(err.message, "hsm4") != NULL &&
	           strstr(err.message, "C_UnwrapKey") != NULL,
	   "  the error names hsm4 and the unwrap");
	check_nothing_left(db, h, before, 2);

	/* A key can still be generated afterwards, on one token too. */
	ret = sigil_key_generate(db, ZONE, SIGIL_ROLE_CSK, 13, 0, ks, 1, &bad,
	                         &err);
	is_int(ret, SIGIL_EOK, "a CSK on hsm1 alone: %s",
	       ret ? err.message : "");

	check_soft(db, ks);

	sigil_keydb_close(db);
	for (int i = 0; i < NHSM; i++) {
		sigil_keystore_close(ks[i]);
	}
	ok(test_softhsm_cleanup(), "temporary directory removed");
	return done_testing();
}
