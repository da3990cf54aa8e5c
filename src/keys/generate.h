/* Key generation: one key pair, generated once in one HSM, replicated to
 * every other HSM under the shared key-encryption key and proven on each
 * (invariant I1) before it is recorded as usable.
 */
#ifndef SIGIL_KEYS_GENERATE_H
#define SIGIL_KEYS_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hsm/hsm.h"
#include "keys/keydb.h"

/* CKA_ID of a generated key: the first bytes of SHA-256 over the DNSKEY
 * public key field, so that the ID follows from the key material. */
#define SIGIL_KEY_CKA_ID_LEN 16
/* DNSKEY RDATA of an algorithm 13 key: flags, protocol, algorithm, X||Y. */
#define SIGIL_KEY_RDATA_MAXLEN (4 + 64)
/* Key pairs generated before giving up on finding an unused key tag. */
#define SIGIL_KEY_GENERATE_TRIES 16

typedef struct {
	int64_t key_id; /* in the key database */
	uint16_t tag;
	uint8_t rdata[SIGIL_KEY_RDATA_MAXLEN]; /* the DNSKEY to publish */
	size_t rdlen;
	uint8_t cka_id[SIGIL_KEY_CKA_ID_LEN];
	unsigned attempts; /* key pairs generated; > 1 after tag collisions */
} sigil_key_generate_result_t;

/* Generates a key of zone with role and algorithm alg (only 13, ECDSA
 * P-256 with SHA-256, so far: SIGIL_EALGORITHM otherwise) in hsms[0],
 * replicates its private key to hsms[1..n-1] by CKM_AES_KEY_WRAP_PAD under
 * the enrolled KEK (see hsm.h), proves possession on every HSM (a fresh
 * challenge signed there, verified with the DNSKEY RDATA, and the public
 * key read back compared) and records the key, usable, with one copy per
 * HSM in db.  The key tag is unique in the zone: a colliding pair is
 * destroyed and another generated.
 *
 * All or nothing: on failure every object this call created is destroyed
 * on every HSM (err says so when one could not be), nothing is recorded
 * in db, and err names the HSM and the reason.  db must not be inside a
 * transaction of the caller (SIGIL_EINVAL).  Errors: SIGIL_EINVAL,
 * SIGIL_EALGORITHM, SIGIL_ECONFIG (an HSM not enrolled, a token listed
 * twice), SIGIL_ELIMIT (no unused key tag found), SIGIL_ENOTFOUND,
 * SIGIL_EAMBIGUOUS, SIGIL_ECRYPTO (a proof failed), SIGIL_EDB, SIGIL_ENOMEM
 * and the mapped PKCS#11 errors. */
int sigil_key_generate(sigil_keydb_t *db, const char *zone,
                       enum sigil_key_role role, uint8_t alg,
                       sigil_hsm_t **hsms, size_t n,
                       sigil_key_generate_result_t *res,
                       sigil_hsm_error_t *err);

/* Proves possession of the key with DNSKEY rdata (algorithm 13 only) and
 * CKA_ID cka_id on hsm, as sigil_key_generate does on every HSM: exactly
 * one private and one public object with the CKA_ID, CKA_LOCAL false
 * unless expect_local (the HSM the key was generated in), the public
 * point equal to the DNSKEY's, and a fresh challenge signed there that
 * verifies with the DNSKEY.  Fills out->present, out->local and
 * out->result (key_id, hsm, proof_time and message are left to the
 * caller) and returns out->result; for anything but SIGIL_PROOF_OK err
 * says why. */
enum sigil_proof_result sigil_key_prove(sigil_hsm_t *hsm, const uint8_t *rdata,
                                        size_t rdlen, const uint8_t *cka_id,
                                        size_t idlen, bool expect_local,
                                        sigil_keydb_copy_t *out,
                                        sigil_hsm_error_t *err);

#endif
