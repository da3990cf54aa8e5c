/* Authenticated denial of existence for the signer: the NSEC chain
 * (RFC 4034 §4, RFC 4035 §2.3) or the NSEC3 chain and its NSEC3PARAM
 * (RFC 5155 §7.1, with the parameters RFC 9276 recommends by default).
 *
 * The builders take a zone that holds exactly the unsigned records of the
 * output (no RRSIG, NSEC or NSEC3; no NSEC3PARAM, or for NSEC3 only the one
 * the builder would add), after sigil_zone_finish() and
 * sigil_zone_classify().  NSEC records and the NSEC3PARAM are added to
 * the nodes they belong to; NSEC3 records as nodes of their own, after
 * the others and in hash order, flagged SIGIL_NODE_HASHED as
 * sigil_zone_classify() would: the caller puts them in place with
 * sigil_zone_finish(), and needs to classify again only when that merged
 * one into a name already there (the node count went down).  When a
 * builder fails the zone may hold part of the new records: it is only fit
 * to be freed.
 *
 * Every NSEC and NSEC3 record gets the TTL min(SOA TTL, SOA MINIMUM)
 * (RFC 9077 §3); NSEC3PARAM gets the same TTL (see denial.c).
 * Bitmaps list RRSIG wherever the signer will sign an RRset of the name.
 */
#ifndef SIGIL_SIGN_DENIAL_H
#define SIGIL_SIGN_DENIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/zone.h"

/* What went wrong, naming the records or names involved. */
typedef struct {
	char message[2560]; /* room for two names in presentation form */
} sigil_denial_error_t;

/* What a builder added. */
typedef struct {
	uint64_t records;       /* NSEC or NSEC3 records */
	uint64_t empty_nonterm; /* NSEC3 records of empty non-terminals */
	uint64_t opted_out;     /* insecure delegations left to opt-out */
	uint32_t ttl;           /* TTL of the records */
} sigil_denial_stats_t;

typedef struct {
	uint8_t alg; /* hash algorithm: SIGIL_NSEC3_HASH_SHA1 only */
	uint16_t iterations;
	uint8_t salt[255];
	uint8_t salt_len;
	bool opt_out;
	unsigned threads; /* hashing threads; 0 or 1: the calling thread */
} sigil_nsec3_conf_t;

/* RFC 9276 §3.1: SHA-1, 0 iterations, empty salt, no opt-out; 1 thread. */
void sigil_denial_nsec3_default(sigil_nsec3_conf_t *conf);

/* Adds one NSEC to every authoritative name and delegation point (every
 * node neither glue, occluded nor outside the zone): next name the next
 * such name in canonical order (lowercase; the last one points to the
 * apex), bitmap the name's types with NSEC and RRSIG, only NS, DS, NSEC
 * and RRSIG at a delegation.
 * stats and err may be NULL.  Returns SIGIL_EOK, SIGIL_ENOSOA (no SOA at
 * the apex, or its RDATA is malformed), SIGIL_EINVAL (the zone already
 * holds DNSSEC records: err names the first), SIGIL_ENOMEM. */
int sigil_denial_nsec(sigil_zone_t *zone, sigil_denial_stats_t *stats,
                      sigil_denial_error_t *err);

/* Adds the NSEC3 chain with conf's parameters and the NSEC3PARAM (flags
 * 0) at the apex.  Names with an NSEC3: the apex, every authoritative
 * name, every delegation (with opt-out only those with DS), and every
 * empty non-terminal that is an ancestor of one of those.  Owner
 * base32hex(hash).apex in lowercase; opt-out flag on every record when
 * conf->opt_out.  Bitmaps: the name's types and RRSIG; NS DS RRSIG at a
 * secure delegation; NS at an insecure one; empty at an empty
 * non-terminal.
 * stats and err may be NULL.  Returns SIGIL_EOK, SIGIL_EAMBIGUOUS (two
 * names have the same hash: err names both; choose another salt, RFC 5155
 * §7.1), SIGIL_EALGORITHM (hash algorithm), SIGIL_ERANGE (apex too long
 * for hashed owner names), SIGIL_ENOSOA, SIGIL_EINVAL (the zone already
 * holds DNSSEC records, or an NSEC3PARAM other than conf's), SIGIL_ENOMEM,
 * SIGIL_ECRYPTO. */
int sigil_denial_nsec3(sigil_zone_t *zone, const sigil_nsec3_conf_t *conf,
                       sigil_denial_stats_t *stats, sigil_denial_error_t *err);

#endif
