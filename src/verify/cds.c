/* CDS and CDNSKEY at the apex (RFC 7344, RFC 8078): what the zone asks its
 * parent to publish as DS.  A record naming a key the zone does not
 * publish would have a parent that acts on it install a DS that leads
 * nowhere, and the zone would turn bogus: an error, not a warning.  The
 * delete request (CDS 0 0 0 00, CDNSKEY 0 3 0 AA==) must be alone in its
 * RRset (RFC 8078 §4). */
#include <string.h>

#include "crypto/key.h"
#include "util/error.h"
#include "util/wire.h"
#include "verify/internal.h"

/* A delete request beside other records of its RRset. */
static int delete_alone(vctx_t *v, const sigil_rr_t *rrs, size_t n,
                        uint16_t type)
{
	for (size_t i = 0; i < n && n > 1; i++) {
		if (sigil_cds_is_delete(type, rrs[i].rdata, rrs[i].rdlen)) {
			return report_add(
				v, SIGIL_F_CDS_DELETE_MIXED, v->apex, type, -1,
				-1,
				"%s RRset holds the delete request beside %zu "
				"other record(s); it must be alone (RFC 8078 "
				"4)",
				type == SIGIL_T_CDS ? "CDS" : "CDNSKEY", n - 1);
		}
	}
	return SIGIL_EOK;
}

static int check_cds(vctx_t *v, const sigil_rr_t *rr)
{
	const uint8_t *d = rr->rdata;
	bool supported = true;

	if (rr->rdlen < 5) {
		return report_add(v, SIGIL_F_CDS_NO_KEY, v->apex, SIGIL_T_CDS,
		                  -1, -1, "CDS record too short (%u bytes)",
		                  (unsigned)rr->rdlen);
	}
	for (size_t k = 0; k < v->keys.count; k++) {
		const vkey_t *key = &v->keys.keys[k];
		int r = sigil_ds_matches(d, rr->rdlen, v->apex, key->rdata,
		                         key->rdlen);

		if (r == 1) {
			return SIGIL_EOK;
		}
		if (r < 0 && r != SIGIL_EDIGEST) {
			return r; /* not knowing is not "no key" */
		}
		supported = supported && r != SIGIL_EDIGEST;
	}
	uint16_t tag = sigil_get16(d);
	if (!supported) {
		return report_add(v, SIGIL_F_DS_DIGEST_UNSUPPORTED, v->apex,
		                  SIGIL_T_CDS, tag, d[2],
		                  "CDS %u uses digest type %u, which sigil "
		                  "cannot compute",
		                  tag, d[3]);
	}
	return report_add(v, SIGIL_F_CDS_NO_KEY, v->apex, SIGIL_T_CDS, tag,
	                  d[2],
	                  "CDS %u (algorithm %u, digest type %u) matches no "
	                  "DNSKEY of the zone: a parent acting on it would "
	                  "publish a DS that leads nowhere",
	                  tag, d[2], d[3]);
}

static int check_cdnskey(vctx_t *v, const sigil_rr_t *rr)
{
	for (size_t k = 0; k < v->keys.count; k++) {
		const vkey_t *key = &v->keys.keys[k];

		if (key->rdlen == rr->rdlen &&
		    memcmp(key->rdata, rr->rdata, rr->rdlen) == 0) {
			return SIGIL_EOK;
		}
	}
	int tag = rr->rdlen >= 4 ? (int)sigil_keytag(rr->rdata, rr->rdlen) : -1;
	int alg = rr->rdlen >= 4 ? rr->rdata[3] : -1;
	return report_add(v, SIGIL_F_CDNSKEY_NO_KEY, v->apex, SIGIL_T_CDNSKEY,
	                  tag, alg,
	                  "CDNSKEY %d (algorithm %d) is not in the DNSKEY "
	                  "RRset: a parent acting on it would publish a DS "
	                  "that leads nowhere",
	                  tag, alg);
}

int cds_check(vctx_t *v)
{
	sigil_node_t *apex = sigil_zone_apex_node(v->zone);
	size_t ncds = 0, nkey = 0;
	const sigil_rr_t *cds, *cdnskey;
	int ret;

	if (apex == NULL) {
		return SIGIL_EOK;
	}
	cds = sigil_node_rrset(apex, SIGIL_T_CDS, &ncds);
	cdnskey = sigil_node_rrset(apex, SIGIL_T_CDNSKEY, &nkey);
	ret = delete_alone(v, cds, ncds, SIGIL_T_CDS);
	if (ret == SIGIL_EOK) {
		ret = delete_alone(v, cdnskey, nkey, SIGIL_T_CDNSKEY);
	}
	for (size_t i = 0; i < ncds && ret == SIGIL_EOK; i++) {
		if (!sigil_cds_is_delete(SIGIL_T_CDS, cds[i].rdata,
		                         cds[i].rdlen)) {
			ret = check_cds(v, &cds[i]);
		}
	}
	for (size_t i = 0; i < nkey && ret == SIGIL_EOK; i++) {
		if (!sigil_cds_is_delete(SIGIL_T_CDNSKEY, cdnskey[i].rdata,
		                         cdnskey[i].rdlen)) {
			ret = check_cdnskey(v, &cdnskey[i]);
		}
	}
	return ret;
}
