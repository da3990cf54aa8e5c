/* Key generation, replication and proof of possession (invariant I1).
 *
 * The .de outage began with a separate key pair generated in each HSM.
 * Here the pair exists once, generated in hsms[0]; every other HSM gets
 * the same private key as ciphertext under the shared KEK (only the
 * wrapped blob passes through host memory), and then every HSM, the
 * source included, must sign a fresh challenge that verifies with the
 * DNSKEY that will be published before the key is recorded as usable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto/key.h"
#include "keys/generate.h"
#include "util/error.h"

/* DER of the OID of P-256 (1.2.840.10045.3.1.7), CKA_EC_PARAMS. */
static const CK_BYTE p256_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x03, 0x01, 0x07};
#define POINT_LEN 65     /* 04 || X || Y */
#define POINT_DER_LEN 67 /* OCTET STRING around it: 04 41 04 X Y */
#define WRAPPED_MAX 4096
#define FIND_MAX 2 /* one more than allowed, to see "several" */
#define LABEL_MAX 300

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

/* The objects this run created on one HSM, destroyed on failure. */
struct made {
	CK_OBJECT_HANDLE priv, pub;
};

/* The key being generated. */
struct run {
	sigil_hsm_t **hsms;
	size_t n;
	struct made *made;      /* n entries */
	CK_OBJECT_HANDLE *keks; /* n entries */
	uint8_t rdata[SIGIL_KEY_RDATA_MAXLEN];
	size_t rdlen;
	uint8_t id[SIGIL_KEY_CKA_ID_LEN];
	uint16_t tag;
	char label[LABEL_MAX];
};

static int gen_error(sigil_hsm_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills err (may be NULL) with a message of our own; returns code. */
static int gen_error(sigil_hsm_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->rv = CKR_OK;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Handles of up to FIND_MAX objects of class cls with CKA_ID id (when
 * not NULL) and label (when not NULL); their number in *count. */
static int find(sigil_hsm_t *hsm, CK_OBJECT_CLASS cls, const void *id,
                size_t idlen, const char *label, CK_OBJECT_HANDLE *out,
                CK_ULONG *count, sigil_hsm_error_t *err)
{
	CK_ATTRIBUTE tmpl[3] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_ULONG nt = 1;

	if (id != NULL) {
		tmpl[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, idlen};
	}
	if (label != NULL) {
		tmpl[nt++] =
			(CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	}
	return sigil_hsm_objects_find(hsm, tmpl, nt, out, FIND_MAX, count,
	                              label, err);
}

/* The HSM's KEK; refuses an HSM that has none (or several) before
 * anything is generated. */
static int kek_get(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *kek,
                   sigil_hsm_error_t *err)
{
	CK_OBJECT_HANDLE h[FIND_MAX];
	CK_ULONG count;
	int ret = find(hsm, CKO_SECRET_KEY, NULL, 0, SIGIL_HSM_KEK_LABEL, h,
	               &count, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (count == 0) {
		return gen_error(err, SIGIL_ECONFIG,
		                 "HSM %s not enrolled (no " SIGIL_HSM_KEK_LABEL
		                 "): run sigil hsm enroll",
		                 sigil_hsm_name(hsm));
	}
	if (count > 1) {
		return gen_error(err, SIGIL_EAMBIGUOUS,
		                 "HSM %s holds several " SIGIL_HSM_KEK_LABEL
		                 " keys: refusing to choose",
		                 sigil_hsm_name(hsm));
	}
	*kek = h[0];
	return SIGIL_EOK;
}

/* X||Y from a CKA_EC_POINT value: the DER OCTET STRING PKCS#11 asks for,
 * or the bare uncompressed point some tokens return. */
static bool point_xy(const CK_BYTE *p, CK_ULONG len, const uint8_t **xy)
{
	if (len == POINT_DER_LEN && p[0] == 0x04 && p[1] == POINT_LEN &&
	    p[2] == 0x04) {
		*xy = p + 3;
		return true;
	}
	if (len == POINT_LEN && p[0] == 0x04) {
		*xy = p + 1;
		return true;
	}
	return false;
}

/* Reads obj's public point as X||Y into xy (64 bytes). */
static int point_read(sigil_hsm_t *hsm, CK_OBJECT_HANDLE obj, uint8_t *xy,
                      const char *what, sigil_hsm_error_t *err)
{
	CK_BYTE buf[POINT_DER_LEN + 8];
	CK_ATTRIBUTE a = {CKA_EC_POINT, buf, sizeof(buf)};
	const uint8_t *p;
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret = sigil_hsm_session(hsm, &s, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	rv = sigil_hsm_functions(hsm)->C_GetAttributeValue(s, obj, &a, 1);
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_GetAttributeValue", rv,
		                           what);
	}
	if (!point_xy(buf, a.ulValueLen, &p)) {
		return gen_error(err, SIGIL_EHSM,
		                 "%s: CKA_EC_POINT of %s is not an "
		                 "uncompressed P-256 point",
		                 sigil_hsm_name(hsm), what);
	}
	memcpy(xy, p, 64);
	return SIGIL_EOK;
}

/* Generates a pair in hsms[0] and derives RDATA, tag, CKA_ID and label
 * from its public key, then gives both objects that ID and label. */
static int pair_generate(struct run *r, const char *zone, uint16_t flags,
                         sigil_hsm_error_t *err)
{
	sigil_hsm_t *hsm = r->hsms[0];
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	/* A random ID until the real one is known: the pair must not be
	 * found as some other key's in the meantime. */
	CK_BYTE tmp_id[SIGIL_KEY_CKA_ID_LEN];
	CK_ATTRIBUTE pub_tmpl[] = {
		{CKA_EC_PARAMS, (void *)p256_params, sizeof(p256_params)},
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_false, sizeof(ck_false)},
		{CKA_VERIFY, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_false, sizeof(ck_false)},
		{CKA_WRAP, &ck_false, sizeof(ck_false)},
		{CKA_DERIVE, &ck_false, sizeof(ck_false)},
		{CKA_ID, tmp_id, sizeof(tmp_id)},
	};
	/* Extractable only until it is wrapped for the replicas; default
	 * usages are broad, so everything but signing is switched off. */
	CK_ATTRIBUTE priv_tmpl[] = {
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_true, sizeof(ck_true)},
		{CKA_SENSITIVE, &ck_true, sizeof(ck_true)},
		{CKA_EXTRACTABLE, &ck_true, sizeof(ck_true)},
		{CKA_SIGN, &ck_true, sizeof(ck_true)},
		{CKA_DECRYPT, &ck_false, sizeof(ck_false)},
		{CKA_UNWRAP, &ck_false, sizeof(ck_false)},
		{CKA_DERIVE, &ck_false, sizeof(ck_false)},
		{CKA_ID, tmp_id, sizeof(tmp_id)},
	};
	uint8_t digest[SHA256_DIGEST_LENGTH];
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret;

	ret = sigil_hsm_session(hsm, &s, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (RAND_bytes(tmp_id, sizeof(tmp_id)) != 1) {
		return gen_error(err, SIGIL_ECRYPTO,
		                 "no random bytes for a temporary CKA_ID");
	}
	rv = f->C_GenerateKeyPair(
		s, &mech, pub_tmpl, sizeof(pub_tmpl) / sizeof(pub_tmpl[0]),
		priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
		&r->made[0].pub, &r->made[0].priv);
	if (rv != CKR_OK) {
		r->made[0].pub = r->made[0].priv = CK_INVALID_HANDLE;
		return sigil_hsm_error_set(err, hsm, "C_GenerateKeyPair", rv,
		                           "P-256 key pair");
	}
	r->rdata[0] = (uint8_t)(flags >> 8);
	r->rdata[1] = (uint8_t)flags;
	r->rdata[2] = 3;  /* protocol */
	r->rdata[3] = 13; /* ECDSAP256SHA256 */
	ret = point_read(hsm, r->made[0].pub, r->rdata + 4, "new public key",
	                 err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	r->rdlen = 4 + 64;
	r->tag = sigil_keytag(r->rdata, r->rdlen);
	SHA256(r->rdata + 4, 64, digest);
	memcpy(r->id, digest, sizeof(r->id));
	snprintf(r->label, sizeof(r->label), "sigil %s %u", zone,
	         (unsigned)r->tag);

	CK_ATTRIBUTE set[] = {
		{CKA_ID, r->id, sizeof(r->id)},
		{CKA_LABEL, r->label, strlen(r->label)},
	};
	rv = f->C_SetAttributeValue(s, r->made[0].priv, set, 2);
	if (rv == CKR_OK) {
		rv = f->C_SetAttributeValue(s, r->made[0].pub, set, 2);
	}
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_SetAttributeValue", rv,
		                           r->label);
	}
	return SIGIL_EOK;
}

/* Copies the private key of hsms[0] to hsms[i] (wrapped under the KEK)
 * and creates its public object there. */
static int replicate(struct run *r, size_t i, sigil_hsm_error_t *err)
{
	sigil_hsm_t *src = r->hsms[0], *dst = r->hsms[i];
	CK_FUNCTION_LIST *sf = sigil_hsm_functions(src);
	CK_FUNCTION_LIST *df = sigil_hsm_functions(dst);
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY,
			pub_class = CKO_PUBLIC_KEY;
	CK_KEY_TYPE ec = CKK_EC;
	CK_BYTE point[POINT_DER_LEN] = {0x04, POINT_LEN, 0x04};
	/* Unwrapped keys default to SENSITIVE false in SoftHSM2: every
	 * protection is stated, not inherited. */
	CK_ATTRIBUTE priv_tmpl[] = {
		{CKA_CLASS, &priv_class, sizeof(priv_class)},
		{CKA_KEY_TYPE, &ec, sizeof(ec)},
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_true, sizeof(ck_true)},
		{CKA_SENSITIVE, &ck_true, sizeof(ck_true)},
		{CKA_EXTRACTABLE, &ck_false, sizeof(ck_false)},
		{CKA_SIGN, &ck_true, sizeof(ck_true)},
		{CKA_DECRYPT, &ck_false, sizeof(ck_false)},
		{CKA_UNWRAP, &ck_false, sizeof(ck_false)},
		{CKA_DERIVE, &ck_false, sizeof(ck_false)},
		{CKA_ID, r->id, sizeof(r->id)},
		{CKA_LABEL, r->label, strlen(r->label)},
	};
	/* The public object carries the point of the DNSKEY itself. */
	CK_ATTRIBUTE pub_tmpl[] = {
		{CKA_CLASS, &pub_class, sizeof(pub_class)},
		{CKA_KEY_TYPE, &ec, sizeof(ec)},
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_false, sizeof(ck_false)},
		{CKA_VERIFY, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_false, sizeof(ck_false)},
		{CKA_WRAP, &ck_false, sizeof(ck_false)},
		{CKA_DERIVE, &ck_false, sizeof(ck_false)},
		{CKA_EC_PARAMS, (void *)p256_params, sizeof(p256_params)},
		{CKA_EC_POINT, point, sizeof(point)},
		{CKA_ID, r->id, sizeof(r->id)},
		{CKA_LABEL, r->label, strlen(r->label)},
	};
	CK_BYTE *blob = NULL;
	CK_ULONG blob_len = 0;
	CK_SESSION_HANDLE ss, ds;
	CK_RV rv;
	int ret;

	memcpy(point + 3, r->rdata + 4, 64);
	ret = sigil_hsm_session(src, &ss, err);
	if (ret == SIGIL_EOK) {
		ret = sigil_hsm_session(dst, &ds, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	rv = sf->C_WrapKey(ss, &mech, r->keks[0], r->made[0].priv, NULL,
	                   &blob_len);
	if (rv == CKR_OK && (blob_len == 0 || blob_len > WRAPPED_MAX)) {
		rv = CKR_GENERAL_ERROR;
	}
	if (rv == CKR_OK) {
		blob = malloc(blob_len);
		if (blob == NULL) {
			ret = gen_error(err, SIGIL_ENOMEM, "out of memory");
			goto out;
		}
		rv = sf->C_WrapKey(ss, &mech, r->keks[0], r->made[0].priv, blob,
		                   &blob_len);
	}
	if (rv != CKR_OK) {
		ret = sigil_hsm_error_set(err, src, "C_WrapKey", rv, r->label);
		goto out;
	}
	rv = df->C_UnwrapKey(ds, &mech, r->keks[i], blob, blob_len, priv_tmpl,
	                     sizeof(priv_tmpl) / sizeof(priv_tmpl[0]),
	                     &r->made[i].priv);
	if (rv != CKR_OK) {
		r->made[i].priv = CK_INVALID_HANDLE;
		ret = sigil_hsm_error_set(err, dst, "C_UnwrapKey", rv,
		                          r->label);
		goto out;
	}
	rv = df->C_CreateObject(ds, pub_tmpl,
	                        sizeof(pub_tmpl) / sizeof(pub_tmpl[0]),
	                        &r->made[i].pub);
	if (rv != CKR_OK) {
		r->made[i].pub = CK_INVALID_HANDLE;
		ret = sigil_hsm_error_set(err, dst, "C_CreateObject", rv,
		                          r->label);
		goto out;
	}
	ret = SIGIL_EOK;
out:
	/* Ciphertext only, but it has no use once unwrapped. */
	if (blob != NULL) {
		OPENSSL_cleanse(blob, blob_len);
	}
	free(blob);
	return ret;
}

/* Proof of possession on hsm (I1): exactly one private and one
 * public object with the key's CKA_ID, a fresh challenge signed there
 * that verifies with the DNSKEY, the public key read back equal to the
 * DNSKEY's, and no CKA_LOCAL unless expect_local.  rdata is the
 * 68 bytes of an algorithm 13 DNSKEY.  Fills copy; returns SIGIL_EOK
 * only when the proof holds, else err says which HSM and why. */
static int prove_on(sigil_hsm_t *hsm, const uint8_t *rdata, const uint8_t *id,
                    size_t idlen, bool expect_local, const sigil_pubkey_t *pk,
                    sigil_keydb_copy_t *copy, sigil_hsm_error_t *err)
{
	unsigned tag = sigil_keytag(rdata, SIGIL_KEY_RDATA_MAXLEN);
	char label[32];
	const char *name = sigil_hsm_name(hsm);
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_OBJECT_HANDLE priv[FIND_MAX], pub[FIND_MAX];
	CK_ULONG npriv, npub;
	CK_BBOOL local = CK_FALSE;
	CK_ATTRIBUTE la = {CKA_LOCAL, &local, sizeof(local)};
	uint8_t challenge[32], digest[SHA256_DIGEST_LENGTH], xy[64];
	CK_BYTE sig[160];
	CK_ULONG siglen = sizeof(sig);
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret;

	snprintf(label, sizeof(label), "key %u", tag);
	copy->present = false;
	copy->local = false;
	copy->result = SIGIL_PROOF_ERROR;
	ret = find(hsm, CKO_PRIVATE_KEY, id, idlen, NULL, priv, &npriv, err);
	if (ret == SIGIL_EOK) {
		ret = find(hsm, CKO_PUBLIC_KEY, id, idlen, NULL, pub, &npub,
		           err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (npriv == 0 || npub == 0) {
		copy->result = SIGIL_PROOF_MISSING;
		return gen_error(err, SIGIL_ENOTFOUND,
		                 "%s: no %s key with the CKA_ID of key %u",
		                 name, npriv == 0 ? "private" : "public", tag);
	}
	copy->present = true;
	if (npriv > 1 || npub > 1) {
		copy->result = SIGIL_PROOF_MULTIPLE;
		return gen_error(
			err, SIGIL_EAMBIGUOUS,
			"%s: several %s keys with the CKA_ID of key %u", name,
			npriv > 1 ? "private" : "public", tag);
	}
	ret = sigil_hsm_session(hsm, &s, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	rv = f->C_GetAttributeValue(s, priv[0], &la, 1);
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_GetAttributeValue", rv,
		                           label);
	}
	/* Legitimate on the source only: anywhere else the key was made
	 * there, which is the .de failure. */
	copy->local = local == CK_TRUE;
	if (copy->local && !expect_local) {
		copy->result = SIGIL_PROOF_LOCAL;
		return gen_error(err, SIGIL_ECRYPTO,
		                 "%s: key %u was generated there (CKA_LOCAL), "
		                 "not replicated",
		                 name, tag);
	}
	ret = point_read(hsm, pub[0], xy, label, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (memcmp(xy, rdata + 4, 64) != 0) {
		copy->result = SIGIL_PROOF_PUBKEY_MISMATCH;
		return gen_error(err, SIGIL_ECRYPTO,
		                 "%s: the public key of key %u differs from "
		                 "the DNSKEY",
		                 name, tag);
	}
	/* A fresh challenge per HSM, so that no signature can be replayed
	 * from another token. */
	if (RAND_bytes(challenge, sizeof(challenge)) != 1) {
		return gen_error(err, SIGIL_ECRYPTO,
		                 "no random bytes for a challenge");
	}
	SHA256(challenge, sizeof(challenge), digest);
	rv = f->C_SignInit(s, &mech, priv[0]);
	if (rv == CKR_OK) {
		rv = f->C_Sign(s, digest, sizeof(digest), sig, &siglen);
	}
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_Sign", rv, label);
	}
	/* Verified with the RDATA that will be published, not with
	 * anything the token says about itself. */
	ret = sigil_pubkey_verify(pk, challenge, sizeof(challenge), sig,
	                          siglen);
	if (ret != SIGIL_EOK) {
		copy->result = SIGIL_PROOF_BAD_SIGNATURE;
		return gen_error(err, SIGIL_ECRYPTO,
		                 "%s: its signature does not verify with the "
		                 "DNSKEY of key %u",
		                 name, tag);
	}
	copy->result = SIGIL_PROOF_OK;
	return SIGIL_EOK;
}

/* prove_on for hsms[i] of a run: the source may be CKA_LOCAL. */
static int prove(struct run *r, size_t i, const sigil_pubkey_t *pk,
                 sigil_keydb_copy_t *copy, sigil_hsm_error_t *err)
{
	return prove_on(r->hsms[i], r->rdata, r->id, sizeof(r->id), i == 0, pk,
	                copy, err);
}

enum sigil_proof_result sigil_key_prove(sigil_hsm_t *hsm, const uint8_t *rdata,
                                        size_t rdlen, const uint8_t *cka_id,
                                        size_t idlen, bool expect_local,
                                        sigil_keydb_copy_t *out,
                                        sigil_hsm_error_t *err)
{
	sigil_pubkey_t *pk = NULL;
	int ret;

	out->present = false;
	out->local = false;
	out->result = SIGIL_PROOF_ERROR;
	if (hsm == NULL || rdata == NULL || cka_id == NULL || idlen == 0 ||
	    rdlen != SIGIL_KEY_RDATA_MAXLEN || rdata[3] != 13) {
		gen_error(err, SIGIL_EALGORITHM,
		          "only algorithm 13 (ECDSAP256SHA256) keys can be "
		          "proven");
		goto out;
	}
	ret = sigil_pubkey_from_dnskey(rdata, rdlen, &pk);
	if (ret != SIGIL_EOK) {
		gen_error(err, ret, "the DNSKEY is not a valid public key");
		goto out;
	}
	ret = prove_on(hsm, rdata, cka_id, idlen, expect_local, pk, out, err);
	/* A failure before the token answered at all: it is not reachable. */
	if (ret != SIGIL_EOK && out->result == SIGIL_PROOF_ERROR &&
	    ret == SIGIL_EUNREACHABLE) {
		out->result = SIGIL_PROOF_UNREACHABLE;
	}
out:
	sigil_pubkey_free(pk);
	return out->result;
}

/* Adds a keydb error to err, naming the zone. */
static int db_error(sigil_hsm_error_t *err, int code, const char *zone,
                    const sigil_keydb_error_t *dberr)
{
	return gen_error(err, code, "key database (zone %s): %s", zone,
	                 dberr->message);
}

/* Rollback of the HSM side: destroys what this run made; what cannot be
 * destroyed is named in err, for removal by hand. */
static void made_destroy(struct run *r, sigil_hsm_error_t *err)
{
	for (size_t i = 0; i < r->n; i++) {
		CK_OBJECT_HANDLE *obj[] = {&r->made[i].priv, &r->made[i].pub};

		for (size_t k = 0; k < 2; k++) {
			CK_RV rv = sigil_hsm_object_destroy(r->hsms[i], obj[k]);
			size_t used;

			if (rv == CKR_OK || err == NULL) {
				continue;
			}
			used = strlen(err->message);
			snprintf(err->message + used,
			         sizeof(err->message) - used,
			         "; %s: \"%s\" could not be destroyed (%s): "
			         "remove it by hand",
			         sigil_hsm_name(r->hsms[i]), r->label,
			         sigil_hsm_rv_name(rv));
		}
	}
}

/* Refuses one token listed twice: it would get a second copy. */
static int distinct(sigil_hsm_t **hsms, size_t n, sigil_hsm_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (sigil_hsm_functions(hsms[i]) ==
			            sigil_hsm_functions(hsms[j]) &&
			    sigil_hsm_slot(hsms[i]) ==
			            sigil_hsm_slot(hsms[j])) {
				return gen_error(err, SIGIL_ECONFIG,
				                 "%s and %s are the same token",
				                 sigil_hsm_name(hsms[i]),
				                 sigil_hsm_name(hsms[j]));
			}
		}
	}
	return SIGIL_EOK;
}

int sigil_key_generate(sigil_keydb_t *db, const char *zone,
                       enum sigil_key_role role, uint8_t alg,
                       sigil_hsm_t **hsms, size_t n,
                       sigil_key_generate_result_t *res, sigil_hsm_error_t *err)
{
	struct run r = {.hsms = hsms, .n = n};
	sigil_keydb_error_t dberr;
	sigil_pubkey_t *pk = NULL;
	bool in_txn = false;
	int64_t key_id = 0;
	unsigned tries = 0;
	uint16_t flags;
	int ret;

	if (db == NULL || zone == NULL || hsms == NULL || n == 0 ||
	    res == NULL || sigil_key_role_name((int)role) == NULL) {
		ret = gen_error(err, SIGIL_EINVAL,
		                "key generation needs a database, a zone, a "
		                "role and at least one HSM");
		goto out;
	}
	if (alg != 13) {
		ret = gen_error(err, SIGIL_EALGORITHM,
		                "algorithm %u: only 13 (ECDSAP256SHA256) can "
		                "be generated",
		                (unsigned)alg);
		goto out;
	}
	flags = SIGIL_DNSKEY_FLAG_ZONE |
	        (role == SIGIL_ROLE_ZSK ? 0 : SIGIL_DNSKEY_FLAG_SEP);
	r.made = calloc(n, sizeof(*r.made));
	r.keks = calloc(n, sizeof(*r.keks));
	if (r.made == NULL || r.keks == NULL) {
		ret = gen_error(err, SIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r.made[i].priv = r.made[i].pub = CK_INVALID_HANDLE;
	}
	/* Every HSM must be able to take a copy before a key exists. */
	ret = distinct(hsms, n, err);
	for (size_t i = 0; i < n && ret == SIGIL_EOK; i++) {
		ret = kek_get(hsms[i], &r.keks[i], err);
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
			ret = gen_error(
				err, SIGIL_ELIMIT,
				"zone %s: %u key pairs generated in %s, "
				"every key tag already in use",
				zone, tries, sigil_hsm_name(hsms[0]));
			goto out;
		}
		tries++;
		ret = pair_generate(&r, zone, flags, err);
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
		 * a plausible label on the token. */
		CK_RV rv = sigil_hsm_object_destroy(hsms[0], &r.made[0].priv);
		CK_RV rv2 = sigil_hsm_object_destroy(hsms[0], &r.made[0].pub);

		if (rv == CKR_OK) {
			rv = rv2;
		}
		if (rv != CKR_OK) {
			ret = gen_error(
				err, sigil_hsm_rv_error(rv),
				"%s: the discarded pair \"%s\" (key tag "
				"in use) could not be destroyed (%s): "
				"remove it by hand",
				sigil_hsm_name(hsms[0]), r.label,
				sigil_hsm_rv_name(rv));
			goto out;
		}
	}
	ret = sigil_pubkey_from_dnskey(r.rdata, r.rdlen, &pk);
	if (ret != SIGIL_EOK) {
		ret = gen_error(err, ret,
		                "%s: the new public key of zone %s "
		                "is not a valid DNSKEY",
		                sigil_hsm_name(hsms[0]), zone);
		goto out;
	}
	for (size_t i = 1; i < n; i++) {
		ret = replicate(&r, i, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
	}
	/* Wrapped once for every replica: from now on it never leaves. */
	{
		CK_ATTRIBUTE a = {CKA_EXTRACTABLE, &ck_false, sizeof(ck_false)};
		CK_SESSION_HANDLE s;
		CK_RV rv;

		ret = sigil_hsm_session(hsms[0], &s, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		rv = sigil_hsm_functions(hsms[0])->C_SetAttributeValue(
			s, r.made[0].priv, &a, 1);
		if (rv != CKR_OK) {
			ret = sigil_hsm_error_set(err, hsms[0],
			                          "C_SetAttributeValue", rv,
			                          r.label);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		sigil_keydb_copy_t copy = {.key_id = key_id,
		                           .hsm = sigil_hsm_name(hsms[i]),
		                           .message = ""};

		ret = prove(&r, i, pk, &copy, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		copy.proof_time = (int64_t)time(NULL);
		copy.message = i == 0 ? "generated here" : "replica";
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
out:
	if (ret != SIGIL_EOK) {
		if (in_txn) {
			sigil_keydb_rollback(db, &dberr);
		}
		if (r.made != NULL) {
			made_destroy(&r, err);
		}
	}
	sigil_pubkey_free(pk);
	free(r.made);
	free(r.keks);
	return ret;
}
