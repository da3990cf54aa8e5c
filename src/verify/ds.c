/* --ds: the parent's DS RRset must lead to a DNSKEY with the SEP flag that
 * validly signs the DNSKEY RRset (the chain of trust into the zone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/load.h"
#include "util/error.h"
#include "verify/internal.h"

int ds_check(vctx_t *v, sigil_load_error_t *err)
{
	int ret;
	char origin[SIGIL_DNAME_TXT_MAXLEN];
	sigil_zone_t *dz = sigil_zone_new();
	bool *signs_dnskey = NULL;
	sigil_load_opts_t lo = {.origin = origin};

	if (dz == NULL) {
		return SIGIL_ENOMEM;
	}
	sigil_dname_to_str(origin, v->apex);
	ret = sigil_zone_load(dz, v->opts->ds_file, &lo, err);
	if (ret == SIGIL_ENOSOA) {
		ret = SIGIL_EOK; /* a DS file has no SOA */
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sigil_zone_finish(dz);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	long idx = sigil_zone_find(dz, v->apex);
	size_t nds = 0;
	sigil_rr_t *ds =
		idx >= 0 ? sigil_node_rrset(sigil_zone_node(dz, (size_t)idx),
	                                    SIGIL_T_DS, &nds) :
			   NULL;
	if (nds == 0) {
		snprintf(err->file, sizeof(err->file), "%s", v->opts->ds_file);
		snprintf(err->message, sizeof(err->message), "%s",
		         "no DS record for the zone apex in the file");
		ret = SIGIL_ENOTFOUND;
		goto out;
	}

	/* Keys whose signature over the DNSKEY RRset is valid. */
	signs_dnskey = calloc(v->keys.count + 1, sizeof(*signs_dnskey));
	if (signs_dnskey == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	sigil_node_t *apex = sigil_zone_apex_node(v->zone);
	size_t nsig = 0;
	sigil_rr_t *sigs =
		apex ? sigil_node_rrset(apex, SIGIL_T_RRSIG, &nsig) : NULL;
	for (size_t i = 0; i < nsig; i++) {
		if (sigil_rrsig_covered(&sigs[i]) == SIGIL_T_DNSKEY &&
		    sigs[i].status == RS_VALID && sigs[i].aux > 0 &&
		    sigs[i].aux <= v->keys.count) {
			signs_dnskey[sigs[i].aux - 1] = true;
		}
	}

	/* chain: a DS matches a key that validly signs the DNSKEY RRset;
	 * strict mode also wants the SEP flag on it, resolvers do not
	 * (RFC 4034 §2.1.1). */
	bool chain_ok = false, chain_no_sep = false;
	for (size_t i = 0; i < nds && ret == SIGIL_EOK; i++) {
		const uint8_t *d = ds[i].rdata;
		if (ds[i].rdlen < 5) {
			continue;
		}
		uint16_t tag = (uint16_t)(d[0] << 8 | d[1]);
		uint8_t alg = d[2], dtype = d[3];
		bool matched = false;
		bool supported = dtype == SIGIL_DS_SHA1 ||
		                 dtype == SIGIL_DS_SHA256 ||
		                 dtype == SIGIL_DS_SHA384;
		for (size_t k = 0; supported && k < v->keys.count; k++) {
			const vkey_t *key = &v->keys.keys[k];
			int r = sigil_ds_matches(d, ds[i].rdlen, v->apex,
			                         key->rdata, key->rdlen);
			if (r == SIGIL_EDIGEST) {
				supported = false;
				break;
			}
			if (r < 0) {
				ret = r; /* not knowing is not "no match" */
				break;
			}
			if (r != 1) {
				continue;
			}
			matched = true;
			if (signs_dnskey[k] && key->zone_key &&
			    !(key->flags & SIGIL_DNSKEY_FLAG_REVOKE)) {
				if (key->flags & SIGIL_DNSKEY_FLAG_SEP) {
					chain_ok = true;
				} else {
					chain_no_sep = true;
				}
			}
		}
		if (ret != SIGIL_EOK) {
			break;
		}
		if (!supported) {
			ret = report_add(
				v, SIGIL_F_DS_DIGEST_UNSUPPORTED, v->apex,
				SIGIL_T_DS, tag, alg,
				"DS %u uses digest type %u, which sigil "
				"cannot compute",
				tag, dtype);
		} else if (!matched) {
			ret = report_add(v, SIGIL_F_DS_UNMATCHED, v->apex,
			                 SIGIL_T_DS, tag, alg,
			                 "DS %u (algorithm %u, digest type %u) "
			                 "matches no DNSKEY",
			                 tag, alg, dtype);
		}
	}
	if (ret == SIGIL_EOK && !chain_ok && chain_no_sep) {
		ret = report_add_sev(
			v, SIGIL_F_DS_NO_MATCH,
			v->opts->lenient ? SIGIL_SEV_WARNING : SIGIL_SEV_ERROR,
			v->apex, SIGIL_T_DNSKEY, -1, -1,
			"a DS of the parent matches a DNSKEY that validly "
			"signs "
			"the DNSKEY RRset, but the key lacks the SEP flag "
			"(resolvers accept this; strict mode does not)");
	} else if (ret == SIGIL_EOK && !chain_ok) {
		ret = report_add(
			v, SIGIL_F_DS_NO_MATCH, v->apex, SIGIL_T_DNSKEY, -1, -1,
			"no DS of the parent matches a DNSKEY with the SEP "
			"flag that validly signs the DNSKEY RRset");
	}
out:
	free(signs_dnskey);
	sigil_zone_free(dz);
	return ret;
}
