/* sigil's validator: checks a signed zone completely.
 *
 * sigil_verify_file() loads a zone file and checks every RRSIG (in
 * parallel, overlapping with parsing), signature coverage and algorithm
 * rules, the NSEC or NSEC3 chain including opt-out (RFC 5155 §7.1), the
 * DNSKEY RRset and optionally the parent's DS records.  The result is a
 * report of counts and findings (verify/verdict.h); findings are listed in
 * a deterministic order that does not depend on the thread count.
 * sigil_verify_zone() makes the same checks on a zone already in a zone
 * store (dns/zone.h), such as one a signer has built in memory.
 */
#ifndef SIGIL_VERIFY_VERIFY_H
#define SIGIL_VERIFY_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/load.h"
#include "verify/verdict.h"

typedef struct {
	const char *origin;   /* zone apex; NULL: owner of the SOA */
	const char *ds_file;  /* parent's DS records, NULL: none */
	uint64_t now;         /* validation time, seconds since the epoch */
	uint32_t expire_warn; /* seconds; 0: no expiry warning */
	bool lenient;         /* resolver semantics, RFC 6840 §5.4, §5.11 */
	unsigned threads;     /* >= 1 */
	size_t max_findings;  /* findings kept in the report; 0: all */
	/* The caller has verified every RRSIG with the DNSKEY whose tag and
	 * algorithm it names (a signer checks each signature it makes).
	 * Every check is made but the cryptographic one: an RRSIG is still
	 * parsed and must cover an RRset present at its owner, name the apex
	 * as signer, have the right labels, a supported algorithm, a
	 * published zone key of its tag and algorithm (the first one is
	 * taken as the key that verified it) and valid times; its original
	 * TTL is compared.  Coverage, chains and DS are checked as always.
	 * false (sigil verify): every signature is verified. */
	bool signatures_trusted;
	/* sigil_verify_zone only.  The caller has just called
	 * sigil_zone_finish() and sigil_zone_classify() on the zone and
	 * changes nothing in it until the call returns: the checks then only
	 * read the store (its scratch fields aside), so that another thread
	 * may read it meanwhile (the signer writes the zone out while its
	 * gate runs).  false: the zone is ordered and classified here. */
	bool zone_ready;
} sigil_verify_opts_t;

typedef struct {
	sigil_finding_t code;
	sigil_severity_t severity;
	char *owner;     /* presentation form */
	uint16_t type;   /* RR type the finding is about, 0: none */
	int32_t key_tag; /* -1: none */
	int16_t alg;     /* -1: none */
	char *message;
} sigil_verify_finding_t;

/* Signatures by key tag and algorithm, as the RRSIGs name them. */
typedef struct {
	uint16_t tag;
	uint8_t alg;
	uint16_t flags; /* of the DNSKEY (0 when no DNSKEY has this tag) */
	unsigned bits;
	unsigned keys; /* DNSKEYs with this tag and algorithm */
	bool published;
	uint64_t valid;
	uint64_t invalid;
	int64_t earliest_expiration; /* of its valid signatures; -1: none */
} sigil_verify_keystat_t;

typedef enum {
	SIGIL_DENIAL_NONE,
	SIGIL_DENIAL_NSEC,
	SIGIL_DENIAL_NSEC3,
} sigil_denial_t;

typedef struct {
	char zone[1024];
	uint64_t now;
	bool lenient;
	/* opts.signatures_trusted: signatures were not verified here, only
	 * checked for everything else (their "valid" count includes them) */
	bool signatures_trusted;
	/* counts */
	uint64_t records;
	uint64_t rrsets;
	uint64_t names;
	uint64_t delegations;
	uint64_t secure_delegations;
	uint64_t signatures;
	uint64_t signatures_valid;
	uint64_t signatures_invalid;
	uint64_t errors;
	uint64_t warnings;
	/* expiry horizon of valid signatures */
	uint64_t expiring_soon;
	int64_t earliest_expiration; /* epoch seconds, -1: none */
	uint32_t expire_warn;
	/* denial of existence */
	sigil_denial_t denial;
	uint8_t nsec3_alg;
	uint16_t nsec3_iterations;
	uint8_t nsec3_salt[255];
	uint8_t nsec3_salt_len;
	bool nsec3_optout;
	uint64_t nsec3_records;
	/* keys */
	sigil_verify_keystat_t *keys;
	size_t key_count;
	/* findings, in report order */
	sigil_verify_finding_t *findings;
	size_t finding_count;
	size_t findings_dropped; /* beyond max_findings */
	/* timings, seconds */
	double time_load;   /* parsing, with signature checks alongside;
	                     * 0 for sigil_verify_zone */
	double time_order;  /* ordering, merging, zone cuts */
	double time_sigs;   /* signature checks left after loading */
	double time_checks; /* coverage, chains, DS */
	double time_total;
	size_t memory; /* bytes held by the zone store */
	unsigned threads;
} sigil_verify_report_t;

/* Loads and checks path.  On SIGIL_EOK *report is set (caller frees it with
 * sigil_verify_report_free) whatever the zone's validity; any other return
 * is a failure to read the input (err says where) or a resource failure. */
int sigil_verify_file(const char *path, const sigil_verify_opts_t *opts,
                      sigil_verify_report_t **report, sigil_load_error_t *err);

/* Checks a zone already in a store, as sigil_verify_file() checks a file
 * once loaded, with the same report.  The caller loaded or built the zone
 * (sigil_zone_load, or sigil_zone_set_apex and sigil_zone_add_node); its
 * apex must be set.  This function orders it and sets its zone cuts itself
 * (sigil_zone_finish and sigil_zone_classify, which do nothing more on a
 * zone that is already finished), so a caller need not.  opts->origin is
 * not used: the zone's apex is the store's.  With opts->ds_file a failure
 * to read that file is returned without the details sigil_verify_file()
 * gives in err.
 *
 * The store is modified: nodes are ordered and merged, RRs of each node
 * sorted, node flags set (as by finish and classify); the validator's
 * scratch fields are reset on entry and used (sigil_rr_t status, aux and
 * aux2 hold its verdicts on return, meaningful only to it) and node->hash
 * is NULL on return.  The zone must not be used by other threads during
 * the call; it stays the caller's.
 *
 * On SIGIL_EOK *report is set (caller frees it with
 * sigil_verify_report_free) whatever the zone's validity.  Otherwise:
 * SIGIL_ENOSOA (the zone has no apex), SIGIL_ENOMEM, or an error reading
 * opts->ds_file. */
int sigil_verify_zone(sigil_zone_t *zone, const sigil_verify_opts_t *opts,
                      sigil_verify_report_t **report);

void sigil_verify_report_free(sigil_verify_report_t *report);

/* True when the report has no errors. */
static inline bool sigil_verify_report_valid(const sigil_verify_report_t *r)
{
	return r->errors == 0;
}

#endif
