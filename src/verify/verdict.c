#include "verify/verdict.h"

static const struct {
	const char *code;
	sigil_severity_t sev;
} table[SIGIL_F__COUNT] = {
	[SIGIL_F_SIG_BOGUS] = {"sig-bogus", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_EXPIRED] = {"sig-expired", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_NOT_YET_VALID] = {"sig-not-yet-valid", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_NO_KEY] = {"sig-no-key", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_BAD_SIGNER] = {"sig-bad-signer", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_BAD_LABELS] = {"sig-bad-labels", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_BAD_TTL] = {"sig-bad-ttl", SIGIL_SEV_WARNING},
	[SIGIL_F_SIG_BAD_TIMES] = {"sig-bad-times", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_MALFORMED] = {"sig-malformed", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_NO_RRSET] = {"sig-no-rrset", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_UNEXPECTED] = {"sig-unexpected", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_ALG_UNSUPPORTED] = {"sig-alg-unsupported",
                                         SIGIL_SEV_WARNING},
	[SIGIL_F_SIG_EXPIRES_SOON] = {"sig-expires-soon", SIGIL_SEV_WARNING},
	[SIGIL_F_SIG_REVOKED_KEY] = {"sig-revoked-key", SIGIL_SEV_ERROR},
	[SIGIL_F_SIG_ALG_UNPUBLISHED] = {"sig-alg-unpublished",
                                         SIGIL_SEV_WARNING},
	[SIGIL_F_RRSET_UNSIGNED] = {"rrset-unsigned", SIGIL_SEV_ERROR},
	[SIGIL_F_RRSET_MISSING_ALG] = {"rrset-missing-alg", SIGIL_SEV_ERROR},
	[SIGIL_F_RRSET_TTL_MISMATCH] = {"rrset-ttl-mismatch",
                                        SIGIL_SEV_WARNING},
	[SIGIL_F_DNSKEY_MISSING] = {"dnskey-missing", SIGIL_SEV_ERROR},
	[SIGIL_F_DNSKEY_NOT_SEP_SIGNED] = {"dnskey-not-sep-signed",
                                           SIGIL_SEV_ERROR},
	[SIGIL_F_DNSKEY_NO_SEP] = {"dnskey-no-sep", SIGIL_SEV_WARNING},
	[SIGIL_F_DNSKEY_BAD] = {"dnskey-bad", SIGIL_SEV_ERROR},
	[SIGIL_F_DNSKEY_ALG_UNSUPPORTED] = {"dnskey-alg-unsupported",
                                            SIGIL_SEV_WARNING},
	[SIGIL_F_DNSKEY_TAG_COLLISION] = {"dnskey-tag-collision",
                                          SIGIL_SEV_WARNING},
	[SIGIL_F_DNSKEY_WEAK] = {"dnskey-weak", SIGIL_SEV_WARNING},
	[SIGIL_F_DS_NO_MATCH] = {"ds-no-match", SIGIL_SEV_ERROR},
	[SIGIL_F_DS_UNMATCHED] = {"ds-unmatched", SIGIL_SEV_WARNING},
	[SIGIL_F_DS_DIGEST_UNSUPPORTED] = {"ds-digest-unsupported",
                                           SIGIL_SEV_WARNING},
	[SIGIL_F_CDS_NO_KEY] = {"cds-no-key", SIGIL_SEV_ERROR},
	[SIGIL_F_CDNSKEY_NO_KEY] = {"cdnskey-no-key", SIGIL_SEV_ERROR},
	[SIGIL_F_CDS_DELETE_MIXED] = {"cds-delete-mixed", SIGIL_SEV_ERROR},
	[SIGIL_F_OUT_OF_ZONE] = {"out-of-zone", SIGIL_SEV_WARNING},
	[SIGIL_F_SOA_COUNT] = {"soa-count", SIGIL_SEV_ERROR},
	[SIGIL_F_APEX_NS_MISSING] = {"apex-ns-missing", SIGIL_SEV_ERROR},
	[SIGIL_F_CNAME_AND_OTHER] = {"cname-and-other", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC_MISSING] = {"nsec-missing", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC_UNEXPECTED] = {"nsec-unexpected", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC_NEXT] = {"nsec-next", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC_BITMAP] = {"nsec-bitmap", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC_MULTIPLE] = {"nsec-multiple", SIGIL_SEV_ERROR},
	[SIGIL_F_DENIAL_MIXED] = {"denial-mixed", SIGIL_SEV_ERROR},
	[SIGIL_F_DENIAL_NONE] = {"denial-none", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3PARAM] = {"nsec3param", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_MISSING] = {"nsec3-missing", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_OPTOUT] = {"nsec3-optout", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_UNEXPECTED] = {"nsec3-unexpected", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_NEXT] = {"nsec3-next", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_BITMAP] = {"nsec3-bitmap", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_PARAMS] = {"nsec3-params", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_MALFORMED] = {"nsec3-malformed", SIGIL_SEV_ERROR},
	[SIGIL_F_NSEC3_ITERATIONS] = {"nsec3-iterations", SIGIL_SEV_WARNING},
	[SIGIL_F_NSEC3_SALT] = {"nsec3-salt", SIGIL_SEV_WARNING},
	[SIGIL_F_NSEC3_OPTOUT_MIXED] = {"nsec3-optout-mixed",
                                        SIGIL_SEV_WARNING},
	[SIGIL_F_ZONEMD_DIGEST] = {"zonemd-digest", SIGIL_SEV_ERROR},
	[SIGIL_F_ZONEMD_SERIAL] = {"zonemd-serial", SIGIL_SEV_ERROR},
	[SIGIL_F_ZONEMD_UNSUPPORTED] = {"zonemd-unsupported",
                                        SIGIL_SEV_WARNING},
};

const char *sigil_finding_code(sigil_finding_t f)
{
	return (unsigned)f < SIGIL_F__COUNT ? table[f].code : "unknown";
}

sigil_severity_t sigil_finding_severity(sigil_finding_t f)
{
	return (unsigned)f < SIGIL_F__COUNT ? table[f].sev : SIGIL_SEV_ERROR;
}
