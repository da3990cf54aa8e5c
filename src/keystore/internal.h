/* Key store internals: the backend vtable (one file per backend). */
#ifndef SIGIL_KEYSTORE_INTERNAL_H
#define SIGIL_KEYSTORE_INTERNAL_H

#include "keystore/keystore.h"

typedef struct keystore_ops {
	sigil_keystore_kind_t kind;
	void (*close)(sigil_keystore_t *ks);
	bool (*same)(const sigil_keystore_t *a, const sigil_keystore_t *b);
	bool (*can_generate)(sigil_keystore_t *ks, uint8_t alg);
	int (*ready)(sigil_keystore_t *ks, bool need_kek,
	             sigil_keystore_error_t *err);
	/* NULL when the backend cannot (keystore.c answers
	 * SIGIL_EALGORITHM or SIGIL_EINVAL). */
	int (*generate)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	                unsigned bits, uint8_t *pub, size_t len, size_t *publen,
	                sigil_keystore_error_t *err);
	int (*rename)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	              const sigil_keystore_ref_t *to,
	              sigil_keystore_error_t *err);
	int (*replicate)(sigil_keystore_t *src, sigil_keystore_t *dst,
	                 const sigil_keystore_ref_t *ref, const uint8_t *pub,
	                 size_t publen, sigil_keystore_error_t *err);
	int (*import)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	              const sigil_privkey_t *key, sigil_keystore_error_t *err);
	int (*seal)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	            sigil_keystore_error_t *err);
	int (*destroy)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	               sigil_keystore_error_t *err);
	int (*lookup)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	              sigil_keystore_lookup_t *out,
	              sigil_keystore_error_t *err);
	int (*key_open)(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
	                sigil_keystore_key_t **out,
	                sigil_keystore_error_t *err);
	void (*key_free)(sigil_keystore_key_t *key);
	int (*key_sign)(sigil_keystore_key_t *key, const uint8_t *data,
	                size_t datalen, uint8_t *sig, size_t len,
	                size_t *siglen, sigil_keystore_error_t *err);
} keystore_ops_t;

/* Common head of every store; backends embed it first and keep their own
 * state after it. */
struct sigil_keystore {
	const keystore_ops_t *ops;
	char *name;       /* malloc'd */
	sigil_hsm_t *hsm; /* pkcs11 only, owned */
};

/* Common head of every signing key handle. */
struct sigil_keystore_key {
	sigil_keystore_t *ks;
};

extern const keystore_ops_t keystore_pkcs11_ops;
extern const keystore_ops_t keystore_pkcs8_ops;

/* Fills err (may be NULL) with a formatted message; returns code. */
#define keystore_error sigil_keystore_error_set

/* Lower-case hex of a key ID into out (2 * idlen + 1 bytes). */
void keystore_id_hex(char *out, const uint8_t *id, size_t idlen);

/* A ref is usable: algorithm set, 1..SIGIL_KEYSTORE_ID_MAXLEN ID bytes. */
bool keystore_ref_ok(const sigil_keystore_ref_t *ref);

#endif
