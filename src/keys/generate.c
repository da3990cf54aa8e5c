/* Key generation, replication and proof of possession (invariant I1).
 *
 * The .de outage began with a separate key pair generated in each HSM.
 * Here the pair exists once: generated in the first HSM and copied to the
 * others as ciphertext under the shared KEK, or, where HSMs cannot wrap
 * the algorithm and for software key stores, made in software and
 * imported into every store.  Then every store, the source included, must
 * sign a fresh challenge that verifies with the DNSKEY that will be
 * published before the key is recorded as usable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "keys/generate.h"
#include "util/error.h"

#define LABEL_MAX 300

/* The key being generated. */
struct run {
	sigil_keystore_t **stores;
	size_t n;
	bool in_hsm; /* generated in stores[0] and wrapped to the others */
	bool *made;  /* n entries: this run created the key there */
	sigil_privkey_t *soft; /* made in software (!in_hsm) */
	uint8_t rdata[SIGIL_KEY_RDATA_MAXLEN];
	size_t rdlen;
	uint8_t id[SIGIL_KEY_CKA_ID_LEN];
	uint16_t tag;
	char label[LABEL_MAX];
	sigil_keystore_ref_t ref;
};

/* Appends ": why" to err's message, keeping what is there. */
static void err_append(sigil_keystore_error_t *err, const char *fmt,
                       const char *a, const char *b, const char *c)
{
	size_t used;

	if (err == NULL) {
		return;
	}
	used = strlen(err->message);
	snprintf(err->message + used, sizeof(err->message) - used, fmt, a, b,
	         c);
}

/* RDATA, tag, CKA_ID and label of the new key from its public key. */
static void derive(struct run *r, const char *zone, uint16_t flags, uint8_t alg,
                   const uint8_t *pub, size_t publen)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];

	r->rdata[0] = (uint8_t)(flags >> 8);
	r->rdata[1] = (uint8_t)flags;
	r->rdata[2] = 3; /* protocol */
	r->rdata[3] = alg;
	memcpy(r->rdata + 4, pub, publen);
	r->rdlen = 4 + publen;
	r->tag = sigil_keytag(r->rdata, r->rdlen);
	SHA256(pub, publen, digest);
	memcpy(r->id, digest, sizeof(r->id));
	snprintf(r->label, sizeof(r->label), "sigil %s %u", zone,
	         (unsigned)r->tag);
	r->ref = (sigil_keystore_ref_t){.alg = alg,
	                                .id = r->id,
	                                .idlen = sizeof(r->id),
	                                .label = r->label};
}

/* One candidate pair: in stores[0] (under a random ID until the real one
 * is known, so that it is never found as some other key's meanwhile,
 * then renamed) or in software. */
static int pair_make(struct run *r, const char *zone, uint16_t flags,
                     uint8_t alg, unsigned bits, sigil_keystore_error_t *err)
{
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	uint8_t tmp_id[SIGIL_KEY_CKA_ID_LEN];
	size_t publen;
	int ret;

	if (!r->in_hsm) {
		ret = sigil_privkey_generate(alg, bits, &r->soft);
		if (ret == SIGIL_EOK) {
			ret = sigil_privkey_dnskey_pub(r->soft, pub,
			                               sizeof(pub), &publen);
		}
		if (ret != SIGIL_EOK) {
			return sigil_keystore_error_set(
				err, ret,
				"zone %s: generating a key of "
				"algorithm %u in software: %s",
				zone, (unsigned)alg, sigil_strerror(ret));
		}
		derive(r, zone, flags, alg, pub, publen);
		return SIGIL_EOK;
	}
	if (RAND_bytes(tmp_id, sizeof(tmp_id)) != 1) {
		return sigil_keystore_error_set(
			err, SIGIL_ECRYPTO,
			"no random bytes for a temporary "
			"CKA_ID");
	}
	sigil_keystore_ref_t tmp = {.alg = alg,
	                            .id = tmp_id,
	                            .idlen = sizeof(tmp_id),
	                            .label = "sigil new key"};

	ret = sigil_keystore_generate(r->stores[0], &tmp, bits, pub,
	                              sizeof(pub), &publen, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	r->made[0] = true;
	derive(r, zone, flags, alg, pub, publen);
	ret = sigil_keystore_rename(r->stores[0], &tmp, &r->ref, err);
	if (ret != SIGIL_EOK) {
		/* Whatever carries either ID goes. */
		sigil_keystore_destroy(r->stores[0], &tmp, NULL);
	}
	return ret;
}

/* Removes the candidate pair of a run (a collision, or a failure). */
static int pair_discard(struct run *r, sigil_keystore_error_t *err)
{
	int ret = SIGIL_EOK;

	for (size_t i = 0; i < r->n; i++) {
		sigil_keystore_error_t derr;
		int d;

		if (!r->made[i]) {
			continue;
		}
		d = sigil_keystore_destroy(r->stores[i], &r->ref, &derr);
		if (d == SIGIL_EOK) {
			r->made[i] = false;
			continue;
		}
		if (ret == SIGIL_EOK) {
			ret = d;
		}
		err_append(err, "; %s: \"%s\" not removed (%s)",
		           sigil_keystore_name(r->stores[i]), r->label,
		           derr.message);
	}
	sigil_privkey_free(r->soft);
	r->soft = NULL;
	return ret;
}

/* Puts the key into stores[i]: replication or import. */
static int copy_to(struct run *r, size_t i, sigil_keystore_error_t *err)
{
	int ret;

	if (r->in_hsm) {
		ret = sigil_keystore_replicate(r->stores[0], r->stores[i],
		                               &r->ref, r->rdata + 4,
		                               r->rdlen - 4, err);
	} else {
		ret = sigil_keystore_import(r->stores[i], &r->ref, r->soft,
		                            err);
	}
	/* Even a failed copy may have left a half-made object. */
	r->made[i] = true;
	return ret;
}

/* Proof of possession in ks (I1) with the DNSKEY's public key pk.  Fills
 * copy; SIGIL_EOK only when the proof holds, else err says which store
 * and why. */
static int prove_in(sigil_keystore_t *ks, const uint8_t *rdata, size_t rdlen,
                    const sigil_keystore_ref_t *ref, bool expect_local,
                    const sigil_pubkey_t *pk, sigil_keydb_copy_t *copy,
                    sigil_keystore_error_t *err)
{
	const char *name = sigil_keystore_name(ks);
	unsigned tag = sigil_pubkey_tag(pk);
	sigil_keystore_lookup_t found;
	sigil_keystore_key_t *key = NULL;
	uint8_t challenge[32], sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	size_t siglen;
	int ret;

	copy->present = false;
	copy->local = false;
	copy->result = SIGIL_PROOF_ERROR;
	ret = sigil_keystore_lookup(ks, ref, &found, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	if (found.private_count == 0 || found.public_count == 0) {
		copy->result = SIGIL_PROOF_MISSING;
		ret = sigil_keystore_error_set(
			err, SIGIL_ENOTFOUND,
			"%s: no %s key with the CKA_ID of "
			"key %u",
			name, found.private_count == 0 ? "private" : "public",
			tag);
		goto out;
	}
	copy->present = true;
	if (found.private_count > 1 || found.public_count > 1) {
		copy->result = SIGIL_PROOF_MULTIPLE;
		ret = sigil_keystore_error_set(
			err, SIGIL_EAMBIGUOUS,
			"%s: several %s keys with the CKA_ID of key %u", name,
			found.private_count > 1 ? "private" : "public", tag);
		goto out;
	}
	/* Legitimate in the source only: anywhere else the key was made
	 * there, which is the .de failure. */
	copy->local = found.local;
	if (found.local && !expect_local) {
		copy->result = SIGIL_PROOF_LOCAL;
		ret = sigil_keystore_error_set(err, SIGIL_ECRYPTO,
		                               "%s: key %u was generated there "
		                               "(CKA_LOCAL), not replicated",
		                               name, tag);
		goto out;
	}
	if (found.publen != rdlen - 4 ||
	    memcmp(found.pub, rdata + 4, rdlen - 4) != 0) {
		copy->result = SIGIL_PROOF_PUBKEY_MISMATCH;
		ret = sigil_keystore_error_set(
			err, SIGIL_ECRYPTO,
			"%s: the public key of key %u differs "
			"from the DNSKEY",
			name, tag);
		goto out;
	}
	/* A fresh challenge per store, so that no signature can be
	 * replayed from another one. */
	if (RAND_bytes(challenge, sizeof(challenge)) != 1) {
		ret = sigil_keystore_error_set(
			err, SIGIL_ECRYPTO, "no random bytes for a challenge");
		goto out;
	}
	ret = sigil_keystore_key_open(ks, ref, &key, err);
	if (ret == SIGIL_EOK) {
		ret = sigil_keystore_key_sign(key, challenge, sizeof(challenge),
		                              sig, sizeof(sig), &siglen, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	/* Verified with the RDATA that will be published, not with
	 * anything the store says about itself. */
	if (sigil_pubkey_verify(pk, challenge, sizeof(challenge), sig,
	                        siglen) != SIGIL_EOK) {
		copy->result = SIGIL_PROOF_BAD_SIGNATURE;
		ret = sigil_keystore_error_set(
			err, SIGIL_ECRYPTO,
			"%s: its signature does not verify "
			"with the DNSKEY of key %u",
			name, tag);
		goto out;
	}
	copy->result = SIGIL_PROOF_OK;
out:
	if (ret == SIGIL_EUNREACHABLE && copy->result == SIGIL_PROOF_ERROR) {
		copy->result = SIGIL_PROOF_UNREACHABLE;
	}
	sigil_keystore_key_free(key);
	return ret;
}

enum sigil_proof_result
sigil_key_prove(sigil_keystore_t *ks, const uint8_t *rdata, size_t rdlen,
                const uint8_t *cka_id, size_t idlen, bool expect_local,
                sigil_keydb_copy_t *out, sigil_keystore_error_t *err)
{
	sigil_pubkey_t *pk = NULL;
	int ret;

	out->present = false;
	out->local = false;
	out->result = SIGIL_PROOF_ERROR;
	if (ks == NULL || rdata == NULL || rdlen < 5 || cka_id == NULL ||
	    idlen == 0 || idlen > SIGIL_KEYSTORE_ID_MAXLEN) {
		sigil_keystore_error_set(
			err, SIGIL_EINVAL,
			"a proof needs a store, a DNSKEY and a "
			"CKA_ID");
		goto out;
	}
	ret = sigil_pubkey_from_dnskey(rdata, rdlen, &pk);
	if (ret != SIGIL_EOK) {
		sigil_keystore_error_set(
			err, ret, "the DNSKEY is not a valid public key (%s)",
			sigil_strerror(ret));
		goto out;
	}
	sigil_keystore_ref_t ref = {
		.alg = rdata[3], .id = cka_id, .idlen = idlen};

	prove_in(ks, rdata, rdlen, &ref, expect_local, pk, out, err);
out:
	sigil_pubkey_free(pk);
	return out->result;
}

/* Adds a keydb error to err, naming the zone. */
static int db_error(sigil_keystore_error_t *err, int code, const char *zone,
                    const sigil_keydb_error_t *dberr)
{
	return sigil_keystore_error_set(err, code, "key database (zone %s): %s",
	                                zone, dberr->message);
}

/* The stores must be all HSMs or all software stores (a key made in an
 * HSM cannot be copied to a file, and a software key in an HSM would give
 * a false sense of protection), each one once. */
static int stores_check(sigil_keystore_t **stores, size_t n, const char *zone,
                        sigil_keystore_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		if (sigil_keystore_kind(stores[i]) !=
		    sigil_keystore_kind(stores[0])) {
			return sigil_keystore_error_set(
				err, SIGIL_ECONFIG,
				"zone %s uses the HSM %s and the software key "
				"store %s: a key is kept either in HSMs or in "
				"files, not both",
				zone,
				sigil_keystore_name(
					sigil_keystore_kind(stores[0]) ==
							SIGIL_KEYSTORE_PKCS11 ?
						stores[0] :
						stores[i]),
				sigil_keystore_name(
					sigil_keystore_kind(stores[0]) ==
							SIGIL_KEYSTORE_PKCS11 ?
						stores[i] :
						stores[0]));
		}
		for (size_t j = i + 1; j < n; j++) {
			if (sigil_keystore_same(stores[i], stores[j])) {
				return sigil_keystore_error_set(
					err, SIGIL_ECONFIG,
					"%s and %s are the same %s",
					sigil_keystore_name(stores[i]),
					sigil_keystore_name(stores[j]),
					sigil_keystore_kind(stores[i]) ==
							SIGIL_KEYSTORE_PKCS11 ?
						"token" :
						"directory");
			}
		}
	}
	return SIGIL_EOK;
}

int sigil_key_generate(sigil_keydb_t *db, const char *zone,
                       enum sigil_key_role role, uint8_t alg, unsigned bits,
                       sigil_keystore_t **stores, size_t n,
                       sigil_key_generate_result_t *res,
                       sigil_keystore_error_t *err)
{
	struct run r = {.stores = stores, .n = n};
	sigil_keydb_error_t dberr;
	sigil_pubkey_t *pk = NULL;
	bool in_txn = false;
	int64_t key_id = 0;
	unsigned tries = 0;
	uint16_t flags;
	int ret;

	if (db == NULL || zone == NULL || stores == NULL || n == 0 ||
	    res == NULL || sigil_key_role_name((int)role) == NULL) {
		ret = sigil_keystore_error_set(
			err, SIGIL_EINVAL,
			"key generation needs a database, a "
			"zone, a role and at least one key "
			"store");
		goto out;
	}
	if (!sigil_alg_can_sign(alg)) {
		ret = sigil_keystore_error_set(
			err, SIGIL_EALGORITHM,
			"algorithm %u: sigil does not make keys "
			"of it",
			(unsigned)alg);
		goto out;
	}
	flags = SIGIL_DNSKEY_FLAG_ZONE |
	        (role == SIGIL_ROLE_ZSK ? 0 : SIGIL_DNSKEY_FLAG_SEP);
	r.made = calloc(n, sizeof(*r.made));
	if (r.made == NULL) {
		ret = sigil_keystore_error_set(err, SIGIL_ENOMEM,
		                               "out of memory");
		goto out;
	}
	ret = stores_check(stores, n, zone, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	r.in_hsm = sigil_keystore_kind(stores[0]) == SIGIL_KEYSTORE_PKCS11 &&
	           sigil_keystore_can_generate(stores[0], alg);
	/* Every store must be able to take a copy before a key exists. */
	for (size_t i = 0; i < n && ret == SIGIL_EOK; i++) {
		ret = sigil_keystore_ready(stores[i], r.in_hsm && n > 1, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sigil_keydb_begin(db, &dberr);
	if (ret != SIGIL_EOK) {
		ret = db_error(err, ret, zone, &dberr);
		goto out;
	}
	in_txn = true;
	/* I2: the tag must be unused in the zone; a pair whose tag (or ID)
	 * collides is discarded before it is copied anywhere. */
	for (;;) {
		if (tries == SIGIL_KEY_GENERATE_TRIES) {
			ret = sigil_keystore_error_set(
				err, SIGIL_ELIMIT,
				"zone %s: %u key pairs made, every key tag "
				"already in use",
				zone, tries);
			goto out;
		}
		tries++;
		ret = pair_make(&r, zone, flags, alg, bits, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		ret = sigil_keydb_key_add(db, zone, role, r.rdata, r.rdlen,
		                          r.id, sizeof(r.id), &key_id, &dberr);
		if (ret == SIGIL_EOK) {
			break;
		}
		if (ret != SIGIL_EAMBIGUOUS) {
			ret = db_error(err, ret, zone, &dberr);
			goto out;
		}
		/* Left behind, a discarded pair would be one more key with
		 * a plausible label in the store. */
		ret = sigil_keystore_error_set(
			err, SIGIL_EOK,
			"the discarded pair (key tag %u in "
			"use) could not be removed",
			(unsigned)r.tag);
		ret = pair_discard(&r, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
	}
	ret = sigil_pubkey_from_dnskey(r.rdata, r.rdlen, &pk);
	if (ret != SIGIL_EOK) {
		ret = sigil_keystore_error_set(
			err, ret,
			"%s: the new public key of zone %s is "
			"not a valid DNSKEY",
			sigil_keystore_name(stores[0]), zone);
		goto out;
	}
	for (size_t i = r.in_hsm ? 1 : 0; i < n; i++) {
		ret = copy_to(&r, i, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
	}
	/* Copied to every replica: from now on it never leaves. */
	if (r.in_hsm) {
		ret = sigil_keystore_seal(stores[0], &r.ref, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
	}
	/* The software copy has no use any more. */
	sigil_privkey_free(r.soft);
	r.soft = NULL;
	for (size_t i = 0; i < n; i++) {
		sigil_keydb_copy_t copy = {
			.key_id = key_id,
			.hsm = sigil_keystore_name(stores[i]),
			.message = ""};

		ret = prove_in(stores[i], r.rdata, r.rdlen, &r.ref,
		               r.in_hsm && i == 0, pk, &copy, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		copy.proof_time = (int64_t)time(NULL);
		copy.message = !r.in_hsm ? "imported from software" :
		               i == 0    ? "generated here" :
		                           "replica";
		ret = sigil_keydb_copy_record(db, &copy, &dberr);
		if (ret != SIGIL_EOK) {
			ret = db_error(err, ret, zone, &dberr);
			goto out;
		}
	}
	ret = sigil_keydb_key_set_state(db, key_id, SIGIL_KEY_USABLE, &dberr);
	if (ret == SIGIL_EOK) {
		ret = sigil_keydb_commit(db, &dberr);
		/* A failed commit closes the transaction. */
		in_txn = false;
	}
	if (ret != SIGIL_EOK) {
		ret = db_error(err, ret, zone, &dberr);
		goto out;
	}
	res->key_id = key_id;
	res->tag = r.tag;
	memcpy(res->rdata, r.rdata, r.rdlen);
	res->rdlen = r.rdlen;
	memcpy(res->cka_id, r.id, sizeof(r.id));
	res->attempts = tries;
	res->origin =
		r.in_hsm ? SIGIL_KEY_MADE_IN_HSM : SIGIL_KEY_MADE_IN_SOFTWARE;
out:
	if (ret != SIGIL_EOK) {
		if (in_txn) {
			sigil_keydb_rollback(db, &dberr);
		}
		if (r.made != NULL) {
			pair_discard(&r, err);
		}
	}
	sigil_privkey_free(r.soft);
	sigil_pubkey_free(pk);
	free(r.made);
	return ret;
}
