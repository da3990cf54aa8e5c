/* Signer internals shared by the files of src/sign/. */
#ifndef SIGIL_SIGN_INTERNAL_H
#define SIGIL_SIGN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "crypto/key.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "sign/sign.h"
#include "util/arena.h"

/* A store taking part in the run. */
typedef struct {
	sigil_keystore_t *ks;
	atomic_bool quarantined;
	atomic_uint_fast64_t made, verified, bad;
	pthread_mutex_t lock; /* reason */
	char reason[512];
	unsigned keys_unusable; /* set before the workers start */
	char note[512];
} sstore_t;

/* A key taking part in the run, with a handle per store holding it. */
typedef struct {
	const sigil_keydb_key_t *db;
	sigil_pubkey_t *pub;
	size_t *stores;                 /* indexes into the run's stores */
	sigil_keystore_key_t **handles; /* one per entry of stores */
	size_t nstores;
	atomic_uint next; /* round robin over the stores */
	atomic_uint_fast64_t sigs;
} skey_t;

/* One RRSIG made, in a worker's arena. */
typedef struct {
	uint8_t *rdata;
	uint16_t rdlen;
	uint16_t store; /* index of the store that made it */
	bool verified;
} ssig_t;

/* One RRset to sign; its signatures are sigs[first .. first + count). */
typedef struct {
	sigil_node_t *node;
	sigil_rr_t *rrs;
	uint32_t rr_count;
	uint16_t type;
	uint8_t group; /* 0: keys signing the DNSKEY RRset, 1: the others */
	size_t first;
} sjob_t;

typedef struct srun {
	const sigil_sign_opts_t *opts;
	sigil_zone_t *zone;
	uint8_t apex[SIGIL_DNAME_MAXLEN]; /* lower case */
	size_t apex_len;
	uint32_t inception, expiration_max;
	/* input.c: the input holds records the signer replaces (RRSIG,
	 * NSEC, NSEC3, NSEC3PARAM, DNSKEY, ZONEMD); false: none to drop */
	bool input_dnssec;

	sstore_t *stores;
	size_t nstores;
	skey_t *keys;
	size_t nkeys;
	size_t *group[2]; /* key indexes per group */
	size_t group_n[2];

	sjob_t *jobs;
	size_t njobs;
	ssig_t *sigs;
	size_t nsigs;

	/* workers */
	atomic_size_t next_job;
	atomic_uint_fast64_t done;
	atomic_uint_fast64_t redone;
	atomic_uint workers_done;
	atomic_bool fatal;
	int fatal_code;
	char fatal_msg[512];
	pthread_mutex_t fatal_lock;
	sigil_arena_t **arenas; /* one per worker */
	unsigned nthreads;
} srun_t;

/* sign.c: fills err->message and returns code. */
int sign_fail(sigil_sign_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* sign.c: sigil_zone_finish and sigil_zone_classify. */
int sign_refinish(sigil_zone_t *zone);

/* input.c: loads the input into run->zone and checks it (apex, records
 * outside the zone, CNAME beside data, no NS or a DS at the apex, data
 * below a DNAME); err names the file and line. */
int sign_input_load(srun_t *run, const char *in, sigil_sign_report_t *rep,
                    sigil_sign_error_t *err);

/* input.c: drops the old DNSSEC records, makes the TTLs of each RRset
 * equal and sets the SOA serial by the policy; *soa is the SOA record
 * (valid until the apex node changes). */
int sign_input_prepare(srun_t *run, sigil_sign_report_t *rep, sigil_rr_t **soa,
                       sigil_sign_error_t *err);

/* input.c: the apex CDS and CDNSKEY records must name keys of the DNSKEY
 * RRset sign_apex_add put there, and a delete request (RFC 8078) must be
 * alone; otherwise an input error naming the file and the apex. */
int sign_input_cds(srun_t *run, const char *in, sigil_sign_error_t *err);

/* keys.c: run->keys, run->stores and the key groups from keys;
 * sign_keys_free releases them (also after a failure). */
int sign_keys_setup(srun_t *run, const sigil_sign_key_t *keys, size_t n,
                    sigil_sign_error_t *err);
void sign_keys_free(srun_t *run);

/* keys.c: the DNSKEY RRset (TTL of soa) and, with ZONEMD, a placeholder
 * appended to the apex node. */
int sign_apex_add(srun_t *run, const sigil_rr_t *soa, uint32_t serial,
                  sigil_sign_error_t *err);

/* engine.c: makes every signature of run->jobs into run->sigs; then, for
 * stores quarantined while signatures went unverified (sampling), checks
 * and redoes theirs.  SIGIL_EOK, or SIGIL_EBADSIG with run->fatal_msg
 * when a key has no healthy store left, or SIGIL_ENOMEM/SIGIL_ETHREAD. */
int sign_engine_run(srun_t *run);

/* engine.c: one signature of job with key k into out (for ZONEMD's RRset
 * after the digest), in the calling thread with arena a. */
int sign_engine_one(srun_t *run, const sjob_t *job, size_t k, ssig_t *out,
                    sigil_arena_t *a);

#endif
