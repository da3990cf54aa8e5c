/* Sequential pass in canonical order: turns RRSIG verdicts into findings
 * and checks signature coverage, algorithm rules (RFC 4035 §2.2, RFC 6840
 * §5.11), the DNSKEY RRset and basic zone structure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/alg.h"
#include "crypto/rrsig.h"
#include "dns/rdata.h"
#include "util/error.h"
#include "verify/internal.h"

static void fmt_time(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(out, cap, "%lld", (long long)t);
	}
}

static sigil_verify_keystat_t *keystat(vctx_t *v, uint16_t tag, uint8_t alg)
{
	sigil_verify_report_t *r = v->rep;
	for (size_t i = 0; i < r->key_count; i++) {
		if (r->keys[i].tag == tag && r->keys[i].alg == alg) {
			return &r->keys[i];
		}
	}
	sigil_verify_keystat_t *p =
		realloc(r->keys, (r->key_count + 1) * sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	r->keys = p;
	sigil_verify_keystat_t *k = &r->keys[r->key_count++];
	memset(k, 0, sizeof(*k));
	k->tag = tag;
	k->alg = alg;
	k->earliest_expiration = -1;
	for (size_t i = 0; i < v->keys.count; i++) {
		const vkey_t *vk = &v->keys.keys[i];
		if (vk->tag == tag && vk->alg == alg) {
			k->published = true;
			k->flags = vk->flags;
			k->keys++;
			if (vk->key != NULL) {
				k->bits = sigil_pubkey_bits(vk->key);
			}
		}
	}
	return k;
}

/* A key that can be a secure entry point: a zone key with the SEP flag,
 * not revoked (a revoked key is no trust anchor, RFC 5011). */
static bool is_sep(uint16_t flags)
{
	return (flags & SIGIL_DNSKEY_FLAG_SEP) &&
	       (flags & SIGIL_DNSKEY_FLAG_ZONE) &&
	       !(flags & SIGIL_DNSKEY_FLAG_REVOKE);
}

static bool any_sep_key(const vctx_t *v)
{
	for (size_t k = 0; k < v->keys.count; k++) {
		if (is_sep(v->keys.keys[k].flags)) {
			return true;
		}
	}
	return false;
}

static int check_keys(vctx_t *v, const sigil_node_t *apex)
{
	int ret = SIGIL_EOK;
	bool any_sep = false;
	const keyset_t *ks = &v->keys;

	if (ks->count == 0) {
		return report_add(v, SIGIL_F_DNSKEY_MISSING, v->apex,
		                  SIGIL_T_DNSKEY, -1, -1,
		                  "no DNSKEY RRset at the zone apex");
	}
	for (size_t i = 0; i < ks->count && ret == SIGIL_EOK; i++) {
		const vkey_t *k = &ks->keys[i];
		/* Registers the key in the statistics even without signatures. */
		if (keystat(v, k->tag, k->alg) == NULL) {
			return SIGIL_ENOMEM;
		}
		if (is_sep(k->flags)) {
			any_sep = true;
		}
		if (k->decode_failed) {
			ret = report_add(
				v, SIGIL_F_DNSKEY_BAD, apex->owner,
				SIGIL_T_DNSKEY, k->tag, k->alg,
				"DNSKEY %u (algorithm %u): key material does "
				"not decode",
				k->tag, k->alg);
		} else if (!k->zone_key) {
			/* not used for validation: nothing to check */
		} else if (k->key == NULL) {
			ret = report_add(
				v, SIGIL_F_DNSKEY_ALG_UNSUPPORTED, apex->owner,
				SIGIL_T_DNSKEY, k->tag, k->alg,
				"DNSKEY %u: algorithm %u cannot be verified by "
				"sigil; its signatures are not checked",
				k->tag, k->alg);
		} else if ((k->alg == 5 || k->alg == 7 || k->alg == 8 ||
		            k->alg == 10) &&
		           sigil_pubkey_bits(k->key) < 1024) {
			ret = report_add(v, SIGIL_F_DNSKEY_WEAK, apex->owner,
			                 SIGIL_T_DNSKEY, k->tag, k->alg,
			                 "DNSKEY %u: RSA key of %u bits",
			                 k->tag, sigil_pubkey_bits(k->key));
		}
		for (size_t j = 0; j < i && ret == SIGIL_EOK; j++) {
			if (ks->keys[j].tag == k->tag) {
				ret = report_add(
					v, SIGIL_F_DNSKEY_TAG_COLLISION,
					apex->owner, SIGIL_T_DNSKEY, k->tag,
					k->alg,
					"two DNSKEYs share key tag %u (legal; "
					"every matching key is tried)",
					k->tag);
				break;
			}
		}
	}
	if (ret == SIGIL_EOK && !any_sep) {
		ret = report_add(v, SIGIL_F_DNSKEY_NO_SEP, apex->owner,
		                 SIGIL_T_DNSKEY, -1, -1,
		                 "no DNSKEY has the SEP flag");
	}
	return ret;
}

/* Reports one RRSIG that is not valid. */
static int report_sig(vctx_t *v, const sigil_node_t *node, const sigil_rr_t *rr,
                      sigil_severity_t sev)
{
	sigil_rrsig_t sig;
	char t1[64];
	uint16_t covered = sigil_rrsig_covered(rr);

	if (sigil_rrsig_parse(rr->rdata, rr->rdlen, &sig) != SIGIL_EOK) {
		return report_add_sev(v, SIGIL_F_SIG_MALFORMED, sev,
		                      node->owner, covered, -1, -1,
		                      "RRSIG RDATA is malformed");
	}
	int tag = sig.key_tag, alg = sig.algorithm;
	switch (rr->status) {
	case RS_BOGUS:
		return report_add_sev(
			v, SIGIL_F_SIG_BOGUS, sev, node->owner, covered, tag,
			alg, "RRSIG by key %d (algorithm %d) does not verify",
			tag, alg);
	case RS_NOKEY:
		return report_add_sev(
			v, SIGIL_F_SIG_NO_KEY, sev, node->owner, covered, tag,
			alg,
			"RRSIG names key %d (algorithm %d), which is "
			"not in the DNSKEY RRset",
			tag, alg);
	case RS_EXPIRED:
		fmt_time(t1, sizeof(t1),
		         (int64_t)v->opts->now +
		                 sigil_rrsig_expires_in(&sig, v->opts->now));
		return report_add_sev(v, SIGIL_F_SIG_EXPIRED, sev, node->owner,
		                      covered, tag, alg,
		                      "RRSIG by key %d expired at %s", tag, t1);
	case RS_NOTYET: {
		/* inception is ahead of now in serial arithmetic */
		int64_t d = (int32_t)(sig.inception - (uint32_t)v->opts->now);
		fmt_time(t1, sizeof(t1), (int64_t)v->opts->now + d);
		return report_add_sev(v, SIGIL_F_SIG_NOT_YET_VALID, sev,
		                      node->owner, covered, tag, alg,
		                      "RRSIG by key %d is not valid before %s",
		                      tag, t1);
	}
	case RS_BADSIGNER: {
		char s[SIGIL_DNAME_TXT_MAXLEN];
		sigil_dname_to_str(s, sig.signer);
		return report_add_sev(
			v, SIGIL_F_SIG_BAD_SIGNER, sev, node->owner, covered,
			tag, alg, "RRSIG signer name %s is not the zone apex",
			s);
	}
	case RS_BADLABELS:
		return report_add_sev(
			v, SIGIL_F_SIG_BAD_LABELS, sev, node->owner, covered,
			tag, alg,
			"RRSIG labels field is %d, the owner name has %u",
			sig.labels, sigil_dname_rrsig_labels(node->owner));
	case RS_UNSUPPORTED:
		return report_add(
			v, SIGIL_F_SIG_ALG_UNSUPPORTED, node->owner, covered,
			tag, alg,
			"RRSIG algorithm %d cannot be verified by sigil", alg);
	case RS_UNPUBLISHED:
		return report_add(v, SIGIL_F_SIG_ALG_UNPUBLISHED, node->owner,
		                  covered, tag, alg,
		                  "RRSIG by key %d of algorithm %d, which no "
		                  "DNSKEY uses: ignored, as by resolvers "
		                  "(algorithm rollover?)",
		                  tag, alg);
	case RS_REVOKED:
		return report_add_sev(v, SIGIL_F_SIG_REVOKED_KEY, sev,
		                      node->owner, covered, tag, alg,
		                      "RRSIG made by revoked key %d", tag);
	case RS_BADTIMES:
		return report_add_sev(v, SIGIL_F_SIG_BAD_TIMES, sev,
		                      node->owner, covered, tag, alg,
		                      "RRSIG by key %d expires (%u) before its "
		                      "inception (%u)",
		                      tag, sig.expiration, sig.inception);
	case RS_MALFORMED:
		return report_add_sev(v, SIGIL_F_SIG_MALFORMED, sev,
		                      node->owner, covered, tag, alg,
		                      "RRSIG RDATA is malformed");
	default:
		return report_add_sev(v, SIGIL_F_SIG_BOGUS, sev, node->owner,
		                      covered, tag, alg,
		                      "RRSIG could not be checked");
	}
}

struct expiry {
	int64_t earliest; /* seconds from now */
	const sigil_node_t *node;
	uint16_t type;
	uint16_t tag;
	bool have;
};

static int check_rrset(vctx_t *v, const sigil_node_t *node,
                       const sigil_rr_t *set, size_t n, const sigil_rr_t *sigs,
                       size_t nsigs, struct expiry *ex)
{
	int ret = SIGIL_EOK;
	uint16_t type = set[0].type;
	bool lenient = v->opts->lenient;
	sigil_verify_report_t *r = v->rep;

	r->rrsets++;
	for (size_t i = 1; i < n; i++) {
		if (set[i].ttl != set[0].ttl) {
			ret = report_add(
				v, SIGIL_F_RRSET_TTL_MISMATCH, node->owner,
				type, -1, -1,
				"RRs of one RRset have different TTLs (%u, %u)",
				set[0].ttl, set[i].ttl);
			break;
		}
	}
	/* At a delegation only DS and NSEC are the parent's, and an NSEC3
	 * whose hashed owner happens to be the delegation's name (anyone can
	 * register a label that is another name's hash). */
	bool nonauth =
		(node->flags & SIGIL_NODE_NONAUTH) ||
		((node->flags & SIGIL_NODE_DELEG) && type != SIGIL_T_DS &&
	         type != SIGIL_T_NSEC && type != SIGIL_T_NSEC3);
	if (nonauth) {
		if (nsigs > 0 && ret == SIGIL_EOK) {
			const char *what =
				(node->flags & SIGIL_NODE_NONAUTH) ?
					"glue or occluded data is signed" :
					"non-authoritative data at a "
					"delegation is signed";
			sigil_rrsig_t sig;
			int tag = -1, alg = -1;
			if (sigil_rrsig_parse(sigs[0].rdata, sigs[0].rdlen,
			                      &sig) == SIGIL_EOK) {
				tag = sig.key_tag;
				alg = sig.algorithm;
			}
			ret = report_add(v, SIGIL_F_SIG_UNEXPECTED, node->owner,
			                 type, tag, alg, "%s (%zu RRSIG)", what,
			                 nsigs);
		}
		return ret;
	}
	if (nsigs == 0) {
		ret = report_add(v, SIGIL_F_RRSET_UNSIGNED, node->owner, type,
		                 -1, -1, "RRset has no RRSIG");
		if (ret == SIGIL_EOK && type == SIGIL_T_DNSKEY &&
		    (node->flags & SIGIL_NODE_APEX) && any_sep_key(v)) {
			ret = report_add(
				v, SIGIL_F_DNSKEY_NOT_SEP_SIGNED, node->owner,
				type, -1, -1,
				"DNSKEY RRset has no valid signature by a "
				"key with the SEP flag (KSK)");
		}
		return ret;
	}

	size_t valid = 0;
	uint8_t valid_alg[256] = {0}, any_alg[256] = {0};
	bool sep_valid = false;
	for (size_t i = 0; i < nsigs; i++) {
		uint8_t alg = sigs[i].rdlen > 2 ? sigs[i].rdata[2] : 0;
		any_alg[alg] = 1;
		if (sigs[i].status == RS_VALID) {
			valid++;
			valid_alg[alg] = 1;
			if (sigs[i].aux > 0 &&
			    is_sep(v->keys.keys[sigs[i].aux - 1].flags)) {
				sep_valid = true;
			}
		}
	}
	/* Resolver semantics: one good signature makes the RRset secure. */
	sigil_severity_t sev =
		(lenient && valid > 0) ? SIGIL_SEV_WARNING : SIGIL_SEV_ERROR;
	for (size_t i = 0; i < nsigs && ret == SIGIL_EOK; i++) {
		if (sigs[i].status != RS_VALID) {
			ret = report_sig(v, node, &sigs[i], sev);
			continue;
		}
		if (sigs[i].aux2 & RS_F_TTL_MISMATCH) {
			sigil_rrsig_t sig;
			if (sigil_rrsig_parse(sigs[i].rdata, sigs[i].rdlen,
			                      &sig) == SIGIL_EOK) {
				ret = report_add(v, SIGIL_F_SIG_BAD_TTL,
				                 node->owner, type, sig.key_tag,
				                 sig.algorithm,
				                 "RRSIG original TTL %u "
				                 "differs from the "
				                 "RRset TTL %u",
				                 sig.original_ttl, set[0].ttl);
			}
		}
		sigil_rrsig_t sig;
		if (sigil_rrsig_parse(sigs[i].rdata, sigs[i].rdlen, &sig) ==
		    SIGIL_EOK) {
			int64_t left =
				sigil_rrsig_expires_in(&sig, v->opts->now);
			int64_t when = (int64_t)v->opts->now + left;
			sigil_verify_keystat_t *ks =
				keystat(v, sig.key_tag, sig.algorithm);
			if (ks == NULL) {
				return SIGIL_ENOMEM;
			}
			if (ks->earliest_expiration < 0 ||
			    when < ks->earliest_expiration) {
				ks->earliest_expiration = when;
			}
			if (v->opts->expire_warn > 0 &&
			    left < (int64_t)v->opts->expire_warn) {
				r->expiring_soon++;
			}
			if (!ex->have || left < ex->earliest) {
				ex->have = true;
				ex->earliest = left;
				ex->node = node;
				ex->type = type;
				ex->tag = sig.key_tag;
			}
		}
	}
	/* Every algorithm of the DNSKEY RRset must sign every RRset. */
	for (unsigned a = 0; a < 256 && ret == SIGIL_EOK; a++) {
		if (!v->keys.algs[a] || valid_alg[a] ||
		    !sigil_alg_can_verify((uint8_t)a)) {
			continue;
		}
		if (any_alg[a]) {
			continue; /* its bad signatures are reported above */
		}
		ret = report_add_sev(
			v, SIGIL_F_RRSET_MISSING_ALG, sev, node->owner, type,
			-1, (int)a,
			"RRset is not signed with algorithm %u, which "
			"the DNSKEY RRset uses",
			a);
	}
	if (ret == SIGIL_EOK && type == SIGIL_T_DNSKEY &&
	    (node->flags & SIGIL_NODE_APEX) && !sep_valid) {
		if (any_sep_key(v)) {
			ret = report_add_sev(
				v, SIGIL_F_DNSKEY_NOT_SEP_SIGNED,
				lenient && valid > 0 ? SIGIL_SEV_WARNING :
						       SIGIL_SEV_ERROR,
				node->owner, type, -1, -1,
				"DNSKEY RRset has no valid signature by a "
				"key with the SEP flag (KSK)");
		}
	}
	return ret;
}

static int count_sigs(vctx_t *v, const sigil_rr_t *rr)
{
	sigil_verify_report_t *r = v->rep;
	r->signatures++;
	if (rr->status == RS_VALID) {
		r->signatures_valid++;
	} else {
		r->signatures_invalid++;
	}
	if (rr->rdlen >= SIGIL_RRSIG_FIXED_LEN) {
		uint16_t tag = (uint16_t)(rr->rdata[16] << 8 | rr->rdata[17]);
		sigil_verify_keystat_t *k = keystat(v, tag, rr->rdata[2]);
		if (k == NULL) {
			return SIGIL_ENOMEM;
		}
		if (rr->status == RS_VALID) {
			k->valid++;
		} else {
			k->invalid++;
		}
	}
	return SIGIL_EOK;
}

static int check_node(vctx_t *v, const sigil_node_t *node, struct expiry *ex)
{
	int ret = SIGIL_EOK;
	sigil_verify_report_t *r = v->rep;
	const sigil_rr_t *rrs = node->rrs;
	size_t cnt = node->rr_count;

	r->records += cnt;
	if (node->flags & SIGIL_NODE_OUTSIDE) {
		return report_add(v, SIGIL_F_OUT_OF_ZONE, node->owner,
		                  cnt ? rrs[0].type : 0, -1, -1,
		                  "name is not at or below the zone apex; its "
		                  "records are ignored");
	}
	r->names++;
	if (node->flags & SIGIL_NODE_DELEG) {
		r->delegations++;
		if (node->flags & SIGIL_NODE_DS) {
			r->secure_delegations++;
		}
	}

	/* The RRSIG run, ordered by covered type. */
	size_t s0 = 0, s1 = 0;
	while (s0 < cnt && rrs[s0].type != SIGIL_T_RRSIG) {
		s0++;
	}
	s1 = s0;
	while (s1 < cnt && rrs[s1].type == SIGIL_T_RRSIG) {
		if ((ret = count_sigs(v, &rrs[s1])) != SIGIL_EOK) {
			return ret;
		}
		s1++;
	}

	bool has_cname = false, has_other = false;
	size_t si = s0;
	for (size_t i = 0; i < cnt && ret == SIGIL_EOK;) {
		uint16_t type = rrs[i].type;
		size_t j = i + 1;
		while (j < cnt && rrs[j].type == type) {
			j++;
		}
		if (type == SIGIL_T_RRSIG) {
			i = j;
			continue;
		}
		if (type == SIGIL_T_CNAME) {
			has_cname = true;
		} else if (type != SIGIL_T_NSEC && type != SIGIL_T_NSEC3) {
			has_other = true;
		}
		/* RRSIGs covering types below this one have no RRset. */
		while (si < s1 && sigil_rrsig_covered(&rrs[si]) < type) {
			si++;
		}
		size_t sj = si;
		while (sj < s1 && sigil_rrsig_covered(&rrs[sj]) == type) {
			sj++;
		}
		ret = check_rrset(v, node, &rrs[i], j - i, &rrs[si], sj - si,
		                  ex);
		si = sj;
		i = j;
	}
	/* RRSIGs that no RRset here used: their covered type is absent. */
	for (size_t k = s0; k < s1 && ret == SIGIL_EOK; k++) {
		uint16_t covered = sigil_rrsig_covered(&rrs[k]);
		size_t cnt_cov = 0;
		if (covered != SIGIL_T_RRSIG && rrs[k].rdlen >= 2 &&
		    sigil_node_rrset(node, covered, &cnt_cov) != NULL) {
			continue;
		}
		if (node->flags & SIGIL_NODE_NONAUTH) {
			ret = report_add(v, SIGIL_F_SIG_UNEXPECTED, node->owner,
			                 sigil_rrsig_covered(&rrs[k]), -1, -1,
			                 "RRSIG at glue or occluded name");
		} else if (rrs[k].status == RS_MALFORMED) {
			ret = report_add(v, SIGIL_F_SIG_MALFORMED, node->owner,
			                 covered, -1, -1,
			                 "RRSIG RDATA is malformed");
		} else {
			ret = report_add(
				v, SIGIL_F_SIG_NO_RRSET, node->owner,
				sigil_rrsig_covered(&rrs[k]), -1, -1,
				"RRSIG covers a type that has no RRset at "
				"this name");
		}
	}
	if (ret == SIGIL_EOK && has_cname && has_other &&
	    !(node->flags & SIGIL_NODE_NONAUTH)) {
		ret = report_add(v, SIGIL_F_CNAME_AND_OTHER, node->owner,
		                 SIGIL_T_CNAME, -1, -1,
		                 "CNAME beside other data (RFC 1034 §3.6.2)");
	}
	return ret;
}

int coverage_check(vctx_t *v)
{
	int ret;
	sigil_zone_t *z = v->zone;
	sigil_node_t *apex = sigil_zone_apex_node(z);
	struct expiry ex = {0};

	if (apex == NULL) {
		return report_add(v, SIGIL_F_SOA_COUNT, v->apex, SIGIL_T_SOA,
		                  -1, -1, "no records at the zone apex");
	}
	size_t n = 0;
	sigil_node_rrset(apex, SIGIL_T_SOA, &n);
	if (n != 1 &&
	    (ret = report_add(v, SIGIL_F_SOA_COUNT, apex->owner, SIGIL_T_SOA,
	                      -1, -1, "%zu SOA records at the apex", n))) {
		return ret;
	}
	sigil_node_rrset(apex, SIGIL_T_NS, &n);
	if (n == 0 &&
	    (ret = report_add(v, SIGIL_F_APEX_NS_MISSING, apex->owner,
	                      SIGIL_T_NS, -1, -1, "no NS RRset at the apex"))) {
		return ret;
	}
	if ((ret = check_keys(v, apex)) != SIGIL_EOK) {
		return ret;
	}
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		if ((ret = check_node(v, sigil_zone_node(z, i), &ex)) !=
		    SIGIL_EOK) {
			return ret;
		}
	}
	v->rep->earliest_expiration =
		ex.have ? (int64_t)v->opts->now + ex.earliest : -1;
	if (v->rep->expiring_soon > 0) {
		char t[64], name[16];
		fmt_time(t, sizeof(t), v->rep->earliest_expiration);
		ret = report_add(
			v, SIGIL_F_SIG_EXPIRES_SOON, ex.node->owner, ex.type,
			ex.tag, -1,
			"%llu valid signatures expire within %u seconds; "
			"the first at %s (%s)",
			(unsigned long long)v->rep->expiring_soon,
			v->opts->expire_warn, t,
			sigil_rrtype_name(ex.type, name));
	}
	return ret;
}
