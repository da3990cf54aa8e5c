/* Key stores: where private keys live and sign.  One interface, two
 * backends (a small vtable per backend, keystore/internal.h):
 *
 *   pkcs11  an HSM token (hsm/hsm.h), keys as PKCS#11 objects found by
 *           CKA_ID; replication between HSMs by wrap/unwrap under the
 *           enrolled key-encryption key (KEK), so private keys never pass
 *           through host memory in clear;
 *   pkcs8   a directory of PEM PKCS#8 files (mode 0600), one per key,
 *           named after the key's CKA_ID in hex: "<hex>.pem".
 *
 * A key is named in a store by its CKA_ID (derived from its public key,
 * keys/generate.h) and algorithm: sigil_keystore_ref_t.
 *
 * Threads: a store may be used by several threads at once (each HSM
 * thread has its own session); opening and closing are not concurrent
 * with use.
 *
 * Errors: the functions return SIGIL_EOK or a sigil error code and fill
 * err (may be NULL) with a message naming the store, the operation and
 * the key; never a PIN or key material.
 */
#ifndef SIGIL_KEYSTORE_KEYSTORE_H
#define SIGIL_KEYSTORE_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/privkey.h"
#include "hsm/hsm.h"

typedef struct sigil_keystore sigil_keystore_t;
typedef struct sigil_keystore_key sigil_keystore_key_t;

typedef enum {
	SIGIL_KEYSTORE_PKCS11 = 1,
	SIGIL_KEYSTORE_PKCS8 = 2,
} sigil_keystore_kind_t;

typedef struct {
	char message[512];
} sigil_keystore_error_t;

/* A key in a store. */
typedef struct {
	uint8_t alg; /* DNSSEC algorithm */
	const uint8_t *id;
	size_t idlen; /* 1..SIGIL_KEYSTORE_ID_MAXLEN */
	/* Label of objects and messages ("sigil example. 12345"); needed
	 * when creating a key, may be NULL otherwise. */
	const char *label;
} sigil_keystore_ref_t;

#define SIGIL_KEYSTORE_ID_MAXLEN 64

/* Fills err (may be NULL) with a formatted message and returns code: for
 * the layers above that report in the stores' terms. */
int sigil_keystore_error_set(sigil_keystore_error_t *err, int code,
                             const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Makes an HSM a key store.  The store takes ownership of hsm (closed by
 * sigil_keystore_close, also when this call fails). */
int sigil_keystore_open_pkcs11(sigil_hsm_t *hsm, sigil_keystore_t **out,
                               sigil_keystore_error_t *err);

/* A software key store named name (as HSM names: used in messages and the
 * key database) over directory, which must exist, be a directory and not
 * be writable by group or others (SIGIL_ECONFIG otherwise, SIGIL_EIO when
 * it cannot be examined). */
int sigil_keystore_open_pkcs8(const char *name, const char *directory,
                              sigil_keystore_t **out,
                              sigil_keystore_error_t *err);

/* Closes the store (and its HSM).  NULL is ignored. */
void sigil_keystore_close(sigil_keystore_t *ks);

const char *sigil_keystore_name(const sigil_keystore_t *ks);
/* Data centre of an HSM; "" for software stores. */
const char *sigil_keystore_site(const sigil_keystore_t *ks);
sigil_keystore_kind_t sigil_keystore_kind(const sigil_keystore_t *ks);
/* The HSM of a pkcs11 store, NULL for others. */
sigil_hsm_t *sigil_keystore_hsm(const sigil_keystore_t *ks);
/* Whether a and b are the same token or the same directory (a key would
 * be stored twice in one place). */
bool sigil_keystore_same(const sigil_keystore_t *a, const sigil_keystore_t *b);

/* Whether the store can generate a key pair of alg itself and replicate
 * its private key to other stores of its kind (sigil_keystore_replicate):
 * for pkcs11, algorithms 8, 10, 13 and 14 when the token has the key pair
 * and signature mechanisms; never for pkcs8 (keys are generated in
 * software and imported).  Keys of other algorithms are generated in
 * software and imported (sigil_keystore_import). */
bool sigil_keystore_can_generate(sigil_keystore_t *ks, uint8_t alg);

/* Checks that the store can take a new key before one is made: pkcs11
 * holds exactly one KEK when need_kek (SIGIL_ENOTFOUND "not enrolled: run
 * sigil hsm enroll", SIGIL_EAMBIGUOUS for several); pkcs8 can create
 * files in its directory. */
int sigil_keystore_ready(sigil_keystore_t *ks, bool need_kek,
                         sigil_keystore_error_t *err);

/* Generates a key pair of ref->alg (bits: RSA size; 0 for curves) inside
 * the store under ref->id and ref->label, private key sensitive, signing
 * only, extractable only by wrapping until sigil_keystore_seal().  The new
 * DNSKEY Public Key field in pub (len bytes, SIGIL_PRIVKEY_PUB_MAXLEN is
 * enough), its length in *publen.  SIGIL_EALGORITHM when
 * !sigil_keystore_can_generate(). */
int sigil_keystore_generate(sigil_keystore_t *ks,
                            const sigil_keystore_ref_t *ref, unsigned bits,
                            uint8_t *pub, size_t len, size_t *publen,
                            sigil_keystore_error_t *err);

/* Gives the key ref (both objects) a new CKA_ID and label: a generated
 * pair gets its ID only once its public key is known. */
int sigil_keystore_rename(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          const sigil_keystore_ref_t *to,
                          sigil_keystore_error_t *err);

/* Copies the private key ref from src to dst, wrapped under the KEK both
 * hold (CKM_AES_KEY_WRAP_PAD), and creates its public object in dst from
 * pub (the DNSKEY Public Key field).  The copy is sensitive, not
 * extractable, signing only.  Both stores pkcs11 (SIGIL_EINVAL
 * otherwise). */
int sigil_keystore_replicate(sigil_keystore_t *src, sigil_keystore_t *dst,
                             const sigil_keystore_ref_t *ref,
                             const uint8_t *pub, size_t publen,
                             sigil_keystore_error_t *err);

/* Stores a key made in software under ref: pkcs11 creates the private
 * (sensitive, not extractable, signing only) and public objects; pkcs8
 * writes the file (mode 0600, created exclusively, fsync'd, then renamed
 * into place).  SIGIL_EAMBIGUOUS when the store already has the ID. */
int sigil_keystore_import(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          const sigil_privkey_t *key,
                          sigil_keystore_error_t *err);

/* Ends replication of a generated key: its private key is no longer
 * extractable, even wrapped.  No-op for pkcs8. */
int sigil_keystore_seal(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        sigil_keystore_error_t *err);

/* Destroys every object (or the file) with ref's ID: the rollback of a
 * failed generation.  SIGIL_EOK also when there was nothing. */
int sigil_keystore_destroy(sigil_keystore_t *ks,
                           const sigil_keystore_ref_t *ref,
                           sigil_keystore_error_t *err);

/* What a store holds under a key's ID, for proofs of possession. */
typedef struct {
	unsigned private_count; /* 0, 1, or 2 meaning "several" */
	unsigned public_count;  /* likewise; pkcs8: as private_count */
	bool local;             /* CKA_LOCAL of the private key */
	/* DNSKEY Public Key field read back from the public object (pkcs8:
	 * computed from the private key); set when exactly one exists. */
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	size_t publen;
} sigil_keystore_lookup_t;

/* Fills out; SIGIL_EOK also when nothing is found (counts 0).  A public
 * object whose key cannot be read in DNSKEY form is SIGIL_EHSM. */
int sigil_keystore_lookup(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          sigil_keystore_lookup_t *out,
                          sigil_keystore_error_t *err);

/* A private key ready to sign: exactly one private object with ref's ID
 * (SIGIL_ENOTFOUND, SIGIL_EAMBIGUOUS).  Borrowed from ks, which must
 * outlive it. */
int sigil_keystore_key_open(sigil_keystore_t *ks,
                            const sigil_keystore_ref_t *ref,
                            sigil_keystore_key_t **out,
                            sigil_keystore_error_t *err);
void sigil_keystore_key_free(sigil_keystore_key_t *key);

/* Signs data (the whole signed data; hashing is done as the algorithm
 * needs, by the host for ECDSA over PKCS#11) in the RRSIG Signature
 * format.  Any number of threads may sign with one key at once.  The
 * signature is what the store returned: the caller verifies it. */
int sigil_keystore_key_sign(sigil_keystore_key_t *key, const uint8_t *data,
                            size_t datalen, uint8_t *sig, size_t len,
                            size_t *siglen, sigil_keystore_error_t *err);

#endif
