/* The key database: every DNSSEC key of every zone sigil signs, the copy
 * of each key in each HSM and the last proof of possession of that copy,
 * persisted in SQLite.
 *
 * Invariant I2 lives here: a caller hands over only a role, the DNSKEY
 * RDATA and the PKCS#11 CKA_ID.  Algorithm, flags, size, key tag and the
 * SHA-256 DS digest are computed from the RDATA inside this module, stored
 * for indexing, and computed again and compared whenever a key is read, so
 * a damaged or edited row is an error instead of a wrong DS at the parent.
 * Key tags are unique among all keys of a zone, whatever their state.
 *
 * Invariant I5: every change is one SQLite transaction (WAL, synchronous
 * FULL), so a crash leaves either all of a change or none of it.  Callers
 * that need several changes to be one (record a key, its copies, mark it
 * usable) wrap them in sigil_keydb_begin() / sigil_keydb_commit(); inside
 * such a transaction a failed call undoes only its own part.
 *
 * A sigil_keydb_t is used by one thread at a time; several processes may
 * open the same file (writers wait up to a busy timeout).
 *
 * Times are seconds since the epoch; 0 means "not yet".
 */
#ifndef SIGIL_KEYS_KEYDB_H
#define SIGIL_KEYS_KEYDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Newest schema this code reads and writes (PRAGMA user_version). */
#define SIGIL_KEYDB_SCHEMA_VERSION 1

#define SIGIL_KEYDB_DS_LEN 32 /* SHA-256 */
#define SIGIL_KEYDB_CKA_ID_MAXLEN 256
#define SIGIL_KEYDB_HSM_MAXLEN 255 /* bytes of an HSM name */

enum sigil_key_role {
	SIGIL_ROLE_KSK = 1,
	SIGIL_ROLE_ZSK = 2,
	SIGIL_ROLE_CSK = 3,
};

/* Key life cycle so far; the rollover states come with the rollover
 * agent.  generated -> usable (every copy proven) or -> failed. */
enum sigil_key_state {
	SIGIL_KEY_GENERATED = 1,
	SIGIL_KEY_USABLE = 2,
	SIGIL_KEY_FAILED = 3,
};

/* Outcome of the last proof of possession on one HSM (I1). */
enum sigil_proof_result {
	SIGIL_PROOF_NONE = 0, /* never proven */
	SIGIL_PROOF_OK,
	SIGIL_PROOF_MISSING,         /* no object with the CKA_ID */
	SIGIL_PROOF_MULTIPLE,        /* several objects with the CKA_ID */
	SIGIL_PROOF_PUBKEY_MISMATCH, /* public key read back differs */
	SIGIL_PROOF_BAD_SIGNATURE,   /* does not verify with the DNSKEY */
	SIGIL_PROOF_LOCAL, /* CKA_LOCAL: generated there, no replica */
	SIGIL_PROOF_UNREACHABLE,
	SIGIL_PROOF_ERROR,
};

/* Lower-case names as stored ("ksk", "usable", "pubkey-mismatch"); NULL
 * for a value outside the enum. */
const char *sigil_key_role_name(int role);
const char *sigil_key_state_name(int state);
const char *sigil_proof_result_name(int result);
/* Inverse of the above (exact, lower case); SIGIL_EINVAL when unknown. */
int sigil_key_role_parse(const char *name, enum sigil_key_role *role);
int sigil_key_state_parse(const char *name, enum sigil_key_state *state);
int sigil_proof_result_parse(const char *name, enum sigil_proof_result *result);

/* Why a call failed.  The function's return value is the sigil error
 * code; this says what was being done and, for SQLite failures, keeps
 * SQLite's own message and extended result code. */
typedef struct {
	int sqlite_code; /* extended SQLite result code, 0: not SQLite's */
	char message[512];
} sigil_keydb_error_t;

/* A key as stored.  zone, rdata and cka_id point into one block owned by
 * the record (freed by sigil_keydb_keys_free). */
typedef struct {
	int64_t id;       /* never reused, even after a delete */
	const char *zone; /* canonical: lower case, trailing dot */
	enum sigil_key_role role;
	enum sigil_key_state state;
	/* Derived from rdata: */
	uint8_t algorithm;
	uint16_t flags;
	uint16_t tag;
	unsigned bits;
	uint8_t ds_sha256[SIGIL_KEYDB_DS_LEN];
	const uint8_t *rdata;
	size_t rdlen;
	const uint8_t *cka_id;
	size_t cka_id_len;
	int64_t created;
	int64_t published, active, retired, removed; /* 0: not yet */
} sigil_keydb_key_t;

/* One HSM's copy of a key and its last proof. */
typedef struct {
	int64_t key_id;
	const char *hsm;    /* HSM name from the configuration */
	bool present;       /* an object with the key's CKA_ID was found */
	bool local;         /* its CKA_LOCAL was true */
	int64_t proof_time; /* 0 exactly when result is SIGIL_PROOF_NONE */
	enum sigil_proof_result result;
	const char *message; /* detail of the result; "" when none */
} sigil_keydb_copy_t;

typedef struct sigil_keydb sigil_keydb_t;

/* Opens the database at path, creating the file (mode 0600) and the schema
 * when needed, and migrating an older schema in one transaction.  Refuses
 * (SIGIL_EDB) a file that is not a sigil key database or whose schema is
 * newer than SIGIL_KEYDB_SCHEMA_VERSION.  err may be NULL. */
int sigil_keydb_open(const char *path, sigil_keydb_t **out,
                     sigil_keydb_error_t *err);
/* Closes; an open transaction is rolled back.  NULL is allowed. */
void sigil_keydb_close(sigil_keydb_t *db);

/* Transactions of the caller (BEGIN IMMEDIATE: the write lock is taken at
 * once, so a commit never fails for a concurrent writer).  Not nested:
 * SIGIL_EINVAL when one is already open, or none is for commit and
 * rollback.  A call that fails inside a transaction leaves nothing of its
 * own behind and the transaction open, so the caller may go on (discard a
 * colliding key, try another) or roll back.  If SQLite abandoned the
 * transaction itself (I/O error, disk full), every later call fails with
 * SIGIL_EDB until sigil_keydb_rollback().  A failed commit leaves nothing
 * committed and the transaction closed. */
int sigil_keydb_begin(sigil_keydb_t *db, sigil_keydb_error_t *err);
int sigil_keydb_commit(sigil_keydb_t *db, sigil_keydb_error_t *err);
int sigil_keydb_rollback(sigil_keydb_t *db, sigil_keydb_error_t *err);

/* Records a new key of zone (presentation form, any case, trailing dot
 * optional) in state generated; the zone is created on its first key.
 * rdata is validated (SIGIL_EMALFORMED, or SIGIL_EALGORITHM when sigil
 * cannot sign with its algorithm) and its flags must fit the role: zone
 * key bit set, revoke bit clear, SEP bit set exactly for KSK and CSK
 * (SIGIL_EINVAL otherwise).  SIGIL_EAMBIGUOUS when the derived key tag or
 * the CKA_ID is already used by any key of the zone.  On success *key_id
 * (may be NULL) receives the new id; on failure nothing is recorded. */
int sigil_keydb_key_add(sigil_keydb_t *db, const char *zone,
                        enum sigil_key_role role, const uint8_t *rdata,
                        size_t rdlen, const uint8_t *cka_id, size_t idlen,
                        int64_t *key_id, sigil_keydb_error_t *err);

/* Changes a key's state.  Allowed: generated -> usable, generated ->
 * failed (and a state to itself).  usable requires at least one copy and
 * every copy present with a successful last proof (I1); SIGIL_EINVAL
 * otherwise, SIGIL_ENOTFOUND for an unknown key. */
int sigil_keydb_key_set_state(sigil_keydb_t *db, int64_t key_id,
                              enum sigil_key_state state,
                              sigil_keydb_error_t *err);

/* Deletes a key and its copies; SIGIL_ENOTFOUND when there is none. */
int sigil_keydb_key_delete(sigil_keydb_t *db, int64_t key_id,
                           sigil_keydb_error_t *err);

/* One key by id; free with sigil_keydb_keys_free(*out, 1). */
int sigil_keydb_key_get(sigil_keydb_t *db, int64_t key_id,
                        sigil_keydb_key_t **out, sigil_keydb_error_t *err);

/* The keys of zone (NULL: of all zones, by zone name) ordered by creation
 * time, then id.  A zone without keys gives *count 0 and *out NULL.
 * SIGIL_EDB when a stored key tag, flags, algorithm, size or DS no longer
 * matches its RDATA. */
int sigil_keydb_keys(sigil_keydb_t *db, const char *zone,
                     sigil_keydb_key_t **out, size_t *count,
                     sigil_keydb_error_t *err);
void sigil_keydb_keys_free(sigil_keydb_key_t *keys, size_t count);

/* Inserts or replaces the copy (copy->key_id, copy->hsm).  message may be
 * NULL.  SIGIL_ENOTFOUND for an unknown key; SIGIL_EINVAL for an empty or
 * too long HSM name, an unknown result, or a proof time given without a
 * result or a result without a time. */
int sigil_keydb_copy_record(sigil_keydb_t *db, const sigil_keydb_copy_t *copy,
                            sigil_keydb_error_t *err);

/* The copies of a key, by HSM name; SIGIL_ENOTFOUND for an unknown key,
 * *count 0 for a key without copies. */
int sigil_keydb_copies(sigil_keydb_t *db, int64_t key_id,
                       sigil_keydb_copy_t **out, size_t *count,
                       sigil_keydb_error_t *err);
void sigil_keydb_copies_free(sigil_keydb_copy_t *copies, size_t count);

/* Names of all zones that ever had a key, in canonical form, sorted. */
int sigil_keydb_zones(sigil_keydb_t *db, char ***out, size_t *count,
                      sigil_keydb_error_t *err);
void sigil_keydb_zones_free(char **zones, size_t count);

#endif
