/* Key generation: one key pair, made once, copied to every key store of
 * the zone and proven in each (invariant I1) before it is recorded as
 * usable.
 */
#ifndef SIGIL_KEYS_GENERATE_H
#define SIGIL_KEYS_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/privkey.h"
#include "keys/keydb.h"
#include "keystore/keystore.h"

/* CKA_ID of a generated key: the first bytes of SHA-256 over the DNSKEY
 * public key field, so that the ID follows from the key material. */
#define SIGIL_KEY_CKA_ID_LEN 16
/* DNSKEY RDATA: flags, protocol, algorithm, public key. */
#define SIGIL_KEY_RDATA_MAXLEN (4 + SIGIL_PRIVKEY_PUB_MAXLEN)
/* Key pairs generated before giving up on finding an unused key tag. */
#define SIGIL_KEY_GENERATE_TRIES 16

/* How the stores got their copies. */
typedef enum {
	/* Generated in stores[0], wrapped under the KEK to the others. */
	SIGIL_KEY_MADE_IN_HSM = 1,
	/* Generated in software (OpenSSL) and imported into every store:
	 * software key stores, and algorithms an HSM cannot wrap (EdDSA on
	 * SoftHSM2). */
	SIGIL_KEY_MADE_IN_SOFTWARE,
} sigil_key_origin_t;

typedef struct {
	int64_t key_id; /* in the key database */
	uint16_t tag;
	uint8_t rdata[SIGIL_KEY_RDATA_MAXLEN]; /* the DNSKEY to publish */
	size_t rdlen;
	uint8_t cka_id[SIGIL_KEY_CKA_ID_LEN];
	unsigned attempts; /* key pairs generated; > 1 after tag collisions */
	sigil_key_origin_t origin;
} sigil_key_generate_result_t;

/* Generates a key of zone with role and DNSSEC algorithm alg (8, 10, 13,
 * 14, 15, 16; bits: RSA modulus size, 0 for the default 2048 or for
 * curves) and puts it in every one of the n stores, which must all be
 * HSMs (pkcs11) or all software key stores (pkcs8):
 *
 * - HSMs that can generate alg themselves (keystore.h:
 *   sigil_keystore_can_generate): one pair in stores[0], its private key
 *   wrapped under the enrolled KEK to stores[1..n-1]; it never exists in
 *   host memory in clear;
 * - otherwise the pair is made in software and imported into every store
 *   (res->origin says which).
 *
 * Then possession is proven on every store (sigil_key_prove) and the key
 * is recorded, usable, with one copy per store in db.  The key tag is
 * unique in the zone: a colliding pair is destroyed and another made.
 *
 * All or nothing: on failure every key this call created is destroyed in
 * every store (err says so when one could not be), nothing is recorded in
 * db, and err names the store and the reason.  db must not be inside a
 * transaction of the caller (SIGIL_EINVAL).  Errors: SIGIL_EINVAL,
 * SIGIL_EALGORITHM, SIGIL_ERANGE (bits), SIGIL_ECONFIG (HSMs mixed with
 * software stores, a store listed twice), SIGIL_ENOTFOUND (an HSM not
 * enrolled),
 * SIGIL_ELIMIT (no unused key tag found), SIGIL_ENOTFOUND,
 * SIGIL_EAMBIGUOUS, SIGIL_ECRYPTO (a proof failed), SIGIL_EDB,
 * SIGIL_ENOMEM and the store's errors. */
int sigil_key_generate(sigil_keydb_t *db, const char *zone,
                       enum sigil_key_role role, uint8_t alg, unsigned bits,
                       sigil_keystore_t **stores, size_t n,
                       sigil_key_generate_result_t *res,
                       sigil_keystore_error_t *err);

/* Proves possession of the key with DNSKEY rdata and CKA_ID cka_id in ks,
 * as sigil_key_generate does in every store: exactly one private and one
 * public object with the CKA_ID, CKA_LOCAL false unless expect_local (the
 * HSM the key was generated in), the public key read back equal to the
 * DNSKEY's, and a fresh challenge signed there that verifies with the
 * DNSKEY.  Fills out->present, out->local and out->result (key_id, hsm,
 * proof_time and message are left to the caller) and returns
 * out->result; for anything but SIGIL_PROOF_OK err says why. */
enum sigil_proof_result
sigil_key_prove(sigil_keystore_t *ks, const uint8_t *rdata, size_t rdlen,
                const uint8_t *cka_id, size_t idlen, bool expect_local,
                sigil_keydb_copy_t *out, sigil_keystore_error_t *err);

#endif
