/* Full-zone signing: an unsigned (or signed) zone file in, a signed zone
 * file out, every signature checked before it is accepted (I3) and the
 * result checked as a whole before it is written (I4).
 *
 * Steps (sigil_sign_file):
 *  1. load the input into a zone store (dns/zone.h) and drop its DNSSEC
 *     records (RRSIG, NSEC, NSEC3, NSEC3PARAM, the apex DNSKEY and
 *     ZONEMD); set the SOA serial by the policy; put the keys' DNSKEY
 *     RRset (and NSEC3PARAM, a ZONEMD placeholder) at the apex;
 *  2. build the NSEC or NSEC3 chain (sign/denial.h);
 *  3. sign every RRset that must be signed, in worker threads, each
 *     signature made by one of the stores holding the key (spread over
 *     all of them) and verified with the DNSKEY before it is taken; a
 *     store whose signature does not verify is quarantined at once and
 *     its work redone in another store holding the key;
 *  4. ZONEMD, when asked for: the digest over the signed zone, then its
 *     own signature;
 *  5. the gate: the validator's structural checks on the whole signed
 *     zone (verify/verify.h, signatures trusted since each was verified
 *     when it was made); any error is a signer bug and nothing is
 *     written;
 *  6. the output, written to a temporary file, fsync'd and renamed.
 */
#ifndef SIGIL_SIGN_SIGN_H
#define SIGIL_SIGN_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys/keydb.h"
#include "keystore/keystore.h"
#include "verify/verify.h"

enum sigil_serial_policy {
	SIGIL_SERIAL_KEEP = 1,
	SIGIL_SERIAL_INCREMENT,
	SIGIL_SERIAL_UNIXTIME,
	SIGIL_SERIAL_DATESERIAL,
};

/* How a zone is signed (the zone's policy in the configuration). */
typedef struct {
	bool nsec3; /* NSEC3 (else NSEC) */
	uint16_t nsec3_iterations;
	uint8_t nsec3_salt[255];
	uint8_t nsec3_salt_len;
	bool nsec3_opt_out;
	uint32_t validity;         /* seconds from now to expiration */
	uint32_t jitter;           /* expiration spread: up to this earlier */
	uint32_t inception_offset; /* inception this long before now */
	enum sigil_serial_policy serial;
	bool zonemd; /* ZONEMD SHA-384 SIMPLE over the signed zone */
} sigil_sign_policy_t;

/* The defaults of RFC 9276 and common practice: NSEC3, SHA-1, 0
 * iterations, empty salt, no opt-out; 14 days validity, 1 day jitter, 1
 * hour inception offset; serial increment; no ZONEMD. */
void sigil_sign_policy_default(sigil_sign_policy_t *p);

/* One key to sign with and the stores that hold it (all of them are
 * used).  Borrowed: everything must outlive the call. */
typedef struct {
	const sigil_keydb_key_t *key; /* role, RDATA, CKA_ID, tag */
	sigil_keystore_t **stores;
	size_t store_count;
} sigil_sign_key_t;

typedef struct {
	const char *origin; /* zone apex; NULL: the owner of the SOA */
	uint64_t now;       /* signing time, seconds since the epoch */
	sigil_sign_policy_t policy;
	unsigned threads; /* signing threads, >= 1 */
	/* 0: verify every signature (default).  N > 0: verify one signature
	 * in N per store (a sample; the report says so).  A store caught
	 * returning a bad signature is quarantined and every signature it
	 * made is then verified and, where needed, made again. */
	unsigned verify_sample;
	/* Called now and then from the signing threads' coordinator with
	 * signatures made so far and the total; may be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
} sigil_sign_opts_t;

/* Per store: signatures made, verified, rejected; quarantine. */
typedef struct {
	const char *name; /* the store's name (borrowed from the store) */
	uint64_t made;    /* signatures it returned */
	uint64_t verified;
	uint64_t bad; /* returned signatures that did not verify */
	bool quarantined;
	char reason[512]; /* why it was quarantined */
	/* Keys the key database says it holds that it cannot sign with
	 * (missing there, or several objects with one CKA_ID): it signs
	 * with the others only.  note: the last such key's error. */
	unsigned keys_unusable;
	char note[512];
} sigil_sign_store_stat_t;

typedef struct {
	uint16_t tag;
	uint8_t alg;
	enum sigil_key_role role;
	uint64_t signatures; /* RRSIGs of this key in the output */
} sigil_sign_key_stat_t;

typedef struct {
	char zone[1024];
	/* the policy the run followed: the options' as the key provider
	 * completed it */
	sigil_sign_policy_t policy;
	uint32_t serial_old, serial_new;
	uint64_t records_in;  /* records read */
	uint64_t records_out; /* records written */
	uint64_t rrsets_signed;
	uint64_t signatures;          /* RRSIGs in the output */
	uint64_t signatures_verified; /* verified when made */
	uint64_t signatures_redone;   /* made again after a quarantine */
	unsigned verify_sample;       /* as in the options */
	uint64_t nsec, nsec3;         /* denial records made */
	bool zonemd;
	sigil_sign_store_stat_t *stores;
	size_t store_count;
	sigil_sign_key_stat_t *keys;
	size_t key_count;
	/* The gate's findings when it refused the output (NULL otherwise;
	 * warnings are kept when it accepted). */
	sigil_verify_report_t *gate;
	/* seconds per phase */
	double time_load, time_prepare, time_denial, time_sign, time_zonemd,
		time_gate, time_write, time_total;
	unsigned threads;
} sigil_sign_report_t;

void sigil_sign_report_free(sigil_sign_report_t *rep);

/* Why signing failed: the file and line for input errors, or a message
 * naming the store, key or step. */
typedef struct {
	char file[512];
	uint64_t line;
	char message[768];
} sigil_sign_error_t;

/* Gives the keys of zone (canonical presentation form, known once the
 * input is loaded) and the stores holding each, and may change the policy
 * (set from the options before the call) to the zone's: *keys stays the
 * provider's until the signing call returns.  On failure it returns an
 * error code and fills err->message. */
typedef int (*sigil_sign_keys_fn)(void *ctx, const char *zone,
                                  sigil_sign_policy_t *policy,
                                  const sigil_sign_key_t **keys, size_t *count,
                                  sigil_sign_error_t *err);

/* Signs the zone in file in and writes it to out (atomically: out is
 * replaced only by a complete, checked, fsync'd file).  Returns:
 *   SIGIL_EOK        out written; *report filled;
 *   SIGIL_EBADSIG    no healthy store was left for a key (every store
 *                    holding it quarantined): nothing written; *report
 *                    filled, err names the key;
 *   SIGIL_EMALFORMED the gate refused the signed zone (a signer bug):
 *                    nothing written; (*report)->gate has the findings;
 *   SIGIL_ESYNTAX, SIGIL_EIO, SIGIL_ENOSOA, SIGIL_EOUTOFZONE (input),
 *   SIGIL_ECONFIG (keys: none for a role, an algorithm without a key for
 *   the DNSKEY RRset or for the rest), SIGIL_ENOMEM, SIGIL_ETHREAD and
 *   store errors and those of keys_fn: nothing written; *report NULL
 *   unless said above.
 * keys_fn(keys_ctx, ...) is called once, after loading, for the zone's
 * usable keys. */
int sigil_sign_file(const char *in, const char *out,
                    const sigil_sign_opts_t *opts, sigil_sign_keys_fn keys_fn,
                    void *keys_ctx, sigil_sign_report_t **report,
                    sigil_sign_error_t *err);

#endif
