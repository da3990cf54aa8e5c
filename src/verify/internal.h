/* Validator internals shared by the files of src/verify/. */
#ifndef SIGIL_VERIFY_INTERNAL_H
#define SIGIL_VERIFY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "crypto/key.h"
#include "crypto/nsec3.h"
#include "crypto/rrsig.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "util/arena.h"
#include "util/buf.h"
#include "verify/verify.h"

/* Verdict on one RRSIG, kept in sigil_rr_t.status. */
enum rrsig_status {
	RS_UNCHECKED = 0,
	RS_VALID,
	RS_BOGUS,   /* no candidate key verifies it */
	RS_NOKEY,   /* no DNSKEY with this tag and algorithm */
	RS_EXPIRED, /* verifies, but expired at the validation time */
	RS_NOTYET,  /* verifies, but inception is in the future */
	RS_BADSIGNER,
	RS_BADLABELS,
	RS_MALFORMED,
	RS_UNSUPPORTED, /* algorithm sigil cannot verify */
	RS_NORRSET,     /* covers a type absent at the name */
	RS_REVOKED,  /* only a revoked key matches, outside the DNSKEY RRset */
	RS_BADTIMES, /* verifies, but its expiration precedes its inception */
	RS_UNPUBLISHED, /* no DNSKEY of its algorithm: ignored (RFC 4035 5.3.1) */
};

/* RRSIG aux2 bits */
#define RS_F_TTL_MISMATCH 0x1

typedef struct {
	sigil_pubkey_t *key; /* NULL: unsupported or undecodable */
	const uint8_t *rdata;
	uint16_t rdlen;
	uint16_t tag;
	uint16_t flags;
	uint8_t alg;
	bool decode_failed; /* supported algorithm, bad key material */
	bool zone_key;      /* zone flag and protocol 3: used to validate */
} vkey_t;

typedef struct {
	vkey_t *keys;
	size_t count;
	uint8_t algs[256]; /* algorithms present among zone keys */
} keyset_t;

typedef struct {
	bool enabled;
	uint8_t alg;
	uint16_t iterations;
	uint8_t salt[255];
	uint8_t salt_len;
} nsec3_params_t;

/* Per-thread scratch for signature checks. */
typedef struct {
	sigil_buf_t data;
	sigil_rdata_ref_t *refs;
	size_t refs_cap;
	sigil_arena_t *hashes; /* NSEC3 hashes written to nodes */
} worker_scratch_t;

typedef struct vctx vctx_t;

/* Nodes the loader hands over to the workers at a time. */
#define PENDING 512

struct vctx {
	const sigil_verify_opts_t *opts;
	sigil_zone_t *zone;
	sigil_verify_report_t *rep;
	keyset_t keys;
	nsec3_params_t n3; /* parameters of the chain that is checked */
	uint8_t apex[SIGIL_DNAME_MAXLEN];

	/* pipeline */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sigil_node_t **queue;
	size_t q_head, q_len, q_cap;
	sigil_node_t *pending[PENDING]; /* loader's nodes not yet queued */
	size_t pending_len;
	bool keys_ready;
	bool load_done;
	sigil_node_t *apex_seen; /* the apex node the key set came from */
	pthread_t *threads;
	worker_scratch_t *scratch;
	unsigned nthreads;
	/* parallel pass over all nodes after loading */
	atomic_size_t next_index;
};

/* keys.c */
int keyset_build(keyset_t *ks, const sigil_node_t *apex);
void keyset_free(keyset_t *ks);
void nsec3_params_from_apex(nsec3_params_t *p, const sigil_node_t *apex);

/* sigs.c: checks every unchecked RRSIG of a sorted node and, when an NSEC3
 * chain is known, stores the node's hash. */
void sigs_check_node(vctx_t *v, worker_scratch_t *ws, sigil_node_t *node);

/* report.c */
int report_add(vctx_t *v, sigil_finding_t code, const uint8_t *owner,
               uint16_t type, int tag, int alg, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Same with an explicit severity (for --lenient downgrades). */
int report_add_sev(vctx_t *v, sigil_finding_t code, sigil_severity_t sev,
                   const uint8_t *owner, uint16_t type, int tag, int alg,
                   const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* report.c: moves the findings and counts of from (made by checks that
 * ran beside v's, see verify.c) to the end of v's report, within
 * max_findings as if they had been added there; from keeps no finding.
 * SIGIL_EOK or SIGIL_ENOMEM. */
int report_append(vctx_t *v, sigil_verify_report_t *from);

/* cds.c: the apex CDS and CDNSKEY RRsets against the DNSKEY RRset
 * (RFC 7344, RFC 8078). */
int cds_check(vctx_t *v);

/* zonemd.c: the apex ZONEMD against the zone (RFC 8976 §4). */
int zonemd_check(vctx_t *v);

/* coverage.c: signature verdicts, coverage, algorithms, zone structure. */
int coverage_check(vctx_t *v);
/* nsec.c, nsec3.c */
int nsec_check(vctx_t *v);
int nsec3_check(vctx_t *v);
/* ds.c */
int ds_check(vctx_t *v, sigil_load_error_t *err);

/* bitmap.c: NSEC/NSEC3 type bitmaps (RFC 4034 §4.1.2) as sorted lists. */
#define TYPELIST_MAX 1024
/* Decodes a type bitmap; returns the number of types or -1 when malformed
 * (window order, lengths) or more than cap. */
int bitmap_decode(const uint8_t *bm, size_t len, uint16_t *out, size_t cap);
/* nsec.c: true when bitmap bm lists exactly the types of node n (NULL:
 * an empty non-terminal); at a delegation, other types present at the name
 * may be listed but NS, DS, NSEC and RRSIG must.  nsec3: NSEC3 records at
 * the name are not counted.  On a mismatch msg describes it. */
bool bitmap_matches(const sigil_node_t *n, const uint8_t *bm, size_t bmlen,
                    bool nsec3, char *msg, size_t cap);
/* Writes "A NS RRSIG" style text of a type list to out. */
void typelist_str(char *out, size_t cap, const uint16_t *t, size_t n);

#endif
