/* Validation findings: what the validator can say about a zone.  These are
 * verdicts, not errors: a zone full of bad signatures is a successful
 * validation run with many findings.  Kept apart from util/error.h. */
#ifndef SIGIL_VERIFY_VERDICT_H
#define SIGIL_VERIFY_VERDICT_H

/* Each finding has a stable code string (used in --json and by tests) and a
 * default severity.  Keep the table in verdict.c in the same order. */
typedef enum {
	/* signatures */
	SIGIL_F_SIG_BOGUS,         /* sig-bogus: signature does not verify */
	SIGIL_F_SIG_EXPIRED,       /* sig-expired */
	SIGIL_F_SIG_NOT_YET_VALID, /* sig-not-yet-valid */
	SIGIL_F_SIG_NO_KEY, /* sig-no-key: no DNSKEY with that tag and algorithm */
	SIGIL_F_SIG_BAD_SIGNER, /* sig-bad-signer: signer name is not the apex */
	SIGIL_F_SIG_BAD_LABELS, /* sig-bad-labels */
	SIGIL_F_SIG_BAD_TTL, /* sig-bad-ttl (warning): original TTL differs from the RRset TTL */
	SIGIL_F_SIG_BAD_TIMES, /* sig-bad-times: inception after expiration */
	SIGIL_F_SIG_MALFORMED, /* sig-malformed: RRSIG RDATA does not parse */
	SIGIL_F_SIG_NO_RRSET, /* sig-no-rrset: covers a type absent at the name */
	SIGIL_F_SIG_UNEXPECTED, /* sig-unexpected: RRSIG on delegation NS, glue or occluded data */
	SIGIL_F_SIG_ALG_UNSUPPORTED, /* sig-alg-unsupported (warning) */
	SIGIL_F_SIG_EXPIRES_SOON,    /* sig-expires-soon (warning) */
	SIGIL_F_SIG_REVOKED_KEY, /* sig-revoked-key: made by a revoked key outside DNSKEY */
	SIGIL_F_SIG_ALG_UNPUBLISHED, /* sig-alg-unpublished (warning): no DNSKEY of its algorithm */
	/* RRset coverage */
	SIGIL_F_RRSET_UNSIGNED, /* rrset-unsigned: no RRSIG at all */
	SIGIL_F_RRSET_MISSING_ALG, /* rrset-missing-alg: not signed with every DNSKEY algorithm */
	SIGIL_F_RRSET_TTL_MISMATCH, /* rrset-ttl-mismatch (warning): RRs of one RRset with different TTLs */
	/* keys */
	SIGIL_F_DNSKEY_MISSING, /* dnskey-missing: no DNSKEY RRset at the apex */
	SIGIL_F_DNSKEY_NOT_SEP_SIGNED, /* dnskey-not-sep-signed: no valid signature by a SEP key */
	SIGIL_F_DNSKEY_NO_SEP, /* dnskey-no-sep (warning): no key has the SEP flag */
	SIGIL_F_DNSKEY_BAD, /* dnskey-bad: key material does not decode */
	SIGIL_F_DNSKEY_ALG_UNSUPPORTED, /* dnskey-alg-unsupported (warning) */
	SIGIL_F_DNSKEY_TAG_COLLISION, /* dnskey-tag-collision (notice-level warning) */
	SIGIL_F_DNSKEY_WEAK, /* dnskey-weak (warning): RSA below 1024 bits */
	SIGIL_F_DS_NO_MATCH, /* ds-no-match: no DS matches a SEP DNSKEY that signs the DNSKEY RRset */
	SIGIL_F_DS_UNMATCHED, /* ds-unmatched (warning): a DS matches no DNSKEY */
	SIGIL_F_DS_DIGEST_UNSUPPORTED, /* ds-digest-unsupported (warning) */
	SIGIL_F_CDS_NO_KEY, /* cds-no-key: an apex CDS matches no DNSKEY of the zone */
	SIGIL_F_CDNSKEY_NO_KEY, /* cdnskey-no-key: an apex CDNSKEY is not in the DNSKEY RRset */
	SIGIL_F_CDS_DELETE_MIXED, /* cds-delete-mixed: CDS/CDNSKEY delete request beside other records */
	/* zone structure */
	SIGIL_F_OUT_OF_ZONE, /* out-of-zone (warning): record not at or below the apex, ignored */
	SIGIL_F_SOA_COUNT, /* soa-count: not exactly one SOA at the apex */
	SIGIL_F_APEX_NS_MISSING, /* apex-ns-missing */
	SIGIL_F_CNAME_AND_OTHER, /* cname-and-other: CNAME beside other data */
	/* NSEC */
	SIGIL_F_NSEC_MISSING, /* nsec-missing: authoritative name without NSEC */
	SIGIL_F_NSEC_UNEXPECTED, /* nsec-unexpected: NSEC at glue or occluded name */
	SIGIL_F_NSEC_NEXT, /* nsec-next: next name is not the next name in the zone */
	SIGIL_F_NSEC_BITMAP, /* nsec-bitmap: type bitmap differs from the data */
	SIGIL_F_NSEC_MULTIPLE, /* nsec-multiple: more than one NSEC at a name */
	SIGIL_F_DENIAL_MIXED, /* denial-mixed: both NSEC and NSEC3 in the zone */
	SIGIL_F_DENIAL_NONE,  /* denial-none: neither NSEC nor NSEC3 */
	/* NSEC3 */
	SIGIL_F_NSEC3PARAM, /* nsec3param: missing, several or inconsistent NSEC3PARAM */
	SIGIL_F_NSEC3_MISSING, /* nsec3-missing: name needs an NSEC3 and has none */
	SIGIL_F_NSEC3_OPTOUT, /* nsec3-optout: omitted name not covered by an opt-out NSEC3 */
	SIGIL_F_NSEC3_UNEXPECTED, /* nsec3-unexpected: NSEC3 for glue, occluded data or no name */
	SIGIL_F_NSEC3_NEXT, /* nsec3-next: next hashed owner breaks the chain */
	SIGIL_F_NSEC3_BITMAP, /* nsec3-bitmap */
	SIGIL_F_NSEC3_PARAMS, /* nsec3-params: NSEC3 parameters differ from NSEC3PARAM */
	SIGIL_F_NSEC3_MALFORMED, /* nsec3-malformed: owner is not a hash, bad RDATA */
	SIGIL_F_NSEC3_ITERATIONS, /* nsec3-iterations (warning, RFC 9276) */
	SIGIL_F_NSEC3_SALT,       /* nsec3-salt (warning, RFC 9276) */
	SIGIL_F_NSEC3_OPTOUT_MIXED, /* nsec3-optout-mixed (warning): opt-out flags differ in one chain */
	SIGIL_F_ZONEMD_DIGEST, /* zonemd-digest: the apex ZONEMD digest does not match the zone */
	SIGIL_F_ZONEMD_SERIAL, /* zonemd-serial: ZONEMD serial is not the SOA serial */
	SIGIL_F_ZONEMD_UNSUPPORTED, /* zonemd-unsupported (warning): no ZONEMD with a scheme and hash sigil knows */
	SIGIL_F__COUNT
} sigil_finding_t;

typedef enum {
	SIGIL_SEV_ERROR,
	SIGIL_SEV_WARNING,
} sigil_severity_t;

/* Stable code, e.g. "sig-bogus". */
const char *sigil_finding_code(sigil_finding_t f);
/* Default severity (--lenient downgrades some errors per RRset). */
sigil_severity_t sigil_finding_severity(sigil_finding_t f);

#endif
