/* NSEC chain (RFC 4034 §4, RFC 4035 §2.3): every authoritative name has
 * one NSEC whose next name is the next authoritative name in canonical
 * order (the last one points to the apex) and whose type bitmap lists
 * exactly the types present. */
#include <stdio.h>
#include <string.h>

#include "dns/rdata.h"
#include "util/error.h"
#include "verify/internal.h"

/* Types present at a node, sorted; *required_n gets how many of them must
 * be in the bitmap (at a delegation only NS, DS, NSEC, RRSIG must be). */
static size_t node_types(const sigil_node_t *n, uint16_t *out, bool nsec3,
                         uint16_t *req, size_t *req_n)
{
	size_t k = 0, r = 0;
	bool deleg = (n->flags & SIGIL_NODE_DELEG) != 0;
	for (uint32_t i = 0; i < n->rr_count && k < TYPELIST_MAX; i++) {
		uint16_t t = n->rrs[i].type;
		if (nsec3 && t == SIGIL_T_NSEC3) {
			continue;
		}
		if (k > 0 && out[k - 1] == t) {
			continue;
		}
		out[k++] = t;
		if (!deleg || t == SIGIL_T_NS || t == SIGIL_T_DS ||
		    t == SIGIL_T_NSEC || t == SIGIL_T_RRSIG) {
			req[r++] = t;
		}
	}
	*req_n = r;
	return k;
}

bool bitmap_matches(const sigil_node_t *n, const uint8_t *bm, size_t bmlen,
                    bool nsec3, char *msg, size_t cap)
{
	uint16_t have[TYPELIST_MAX], all[TYPELIST_MAX], req[TYPELIST_MAX];
	size_t req_n = 0, all_n = 0;
	int have_n = bitmap_decode(bm, bmlen, have, TYPELIST_MAX);
	if (have_n < 0) {
		snprintf(msg, cap, "type bitmap is malformed");
		return false;
	}
	if (n != NULL) {
		all_n = node_types(n, all, nsec3, req, &req_n);
	}
	/* required subset of bitmap, bitmap subset of present types */
	size_t a = 0, r = 0;
	bool ok = true;
	for (int i = 0; i < have_n && ok; i++) {
		while (a < all_n && all[a] < have[i]) {
			a++;
		}
		ok = a < all_n && all[a] == have[i];
	}
	for (r = 0; r < req_n && ok; r++) {
		bool found = false;
		for (int i = 0; i < have_n && !found; i++) {
			found = have[i] == req[r];
		}
		ok = found;
	}
	if (!ok) {
		char h[512], e[512];
		typelist_str(h, sizeof(h), have, (size_t)have_n);
		typelist_str(e, sizeof(e), req, req_n);
		snprintf(msg, cap, "type bitmap lists %s; the name has %s", h,
		         e);
	}
	return ok;
}

int nsec_check(vctx_t *v)
{
	int ret = SIGIL_EOK;
	sigil_zone_t *z = v->zone;
	size_t count = sigil_zone_node_count(z);
	char msg[1200];
	sigil_node_t *first = NULL, *prev = NULL;

	for (size_t i = 0; i <= count && ret == SIGIL_EOK; i++) {
		sigil_node_t *n = i < count ? sigil_zone_node(z, i) : NULL;
		if (n != NULL && (n->flags & SIGIL_NODE_OUTSIDE)) {
			continue;
		}
		size_t nn = 0;
		sigil_rr_t *nsec =
			n ? sigil_node_rrset(n, SIGIL_T_NSEC, &nn) : NULL;
		if (n != NULL && (n->flags & SIGIL_NODE_NONAUTH)) {
			if (nsec != NULL) {
				ret = report_add(
					v, SIGIL_F_NSEC_UNEXPECTED, n->owner,
					SIGIL_T_NSEC, -1, -1,
					"NSEC at glue or occluded name");
			}
			continue;
		}
		/* n is the next authoritative name after prev (NULL: wrap). */
		if (prev != NULL) {
			size_t pn = 0;
			sigil_rr_t *pnsec =
				sigil_node_rrset(prev, SIGIL_T_NSEC, &pn);
			const sigil_node_t *want = n ? n : first;
			if (pnsec != NULL) {
				size_t nl = sigil_dname_parse(pnsec->rdata,
				                              pnsec->rdlen);
				if (nl == 0) {
					ret = report_add(
						v, SIGIL_F_NSEC_NEXT,
						prev->owner, SIGIL_T_NSEC, -1,
						-1,
						"NSEC next name is malformed");
				} else if (!sigil_dname_equal(pnsec->rdata,
				                              want->owner)) {
					char a[SIGIL_DNAME_TXT_MAXLEN],
						b[SIGIL_DNAME_TXT_MAXLEN];
					sigil_dname_to_str(a, pnsec->rdata);
					sigil_dname_to_str(b, want->owner);
					ret = report_add(v, SIGIL_F_NSEC_NEXT,
					                 prev->owner,
					                 SIGIL_T_NSEC, -1, -1,
					                 "NSEC next name is "
					                 "%s; the next name "
					                 "in the zone is %s",
					                 a, b);
				}
				if (ret == SIGIL_EOK && nl > 0 &&
				    !bitmap_matches(prev, pnsec->rdata + nl,
				                    pnsec->rdlen - nl, false,
				                    msg, sizeof(msg))) {
					ret = report_add(v, SIGIL_F_NSEC_BITMAP,
					                 prev->owner,
					                 SIGIL_T_NSEC, -1, -1,
					                 "NSEC %s", msg);
				}
			}
		}
		if (n == NULL || ret != SIGIL_EOK) {
			break;
		}
		if (nsec == NULL) {
			ret = report_add(v, SIGIL_F_NSEC_MISSING, n->owner,
			                 SIGIL_T_NSEC, -1, -1,
			                 "authoritative name has no NSEC");
		} else if (nn > 1) {
			ret = report_add(v, SIGIL_F_NSEC_MULTIPLE, n->owner,
			                 SIGIL_T_NSEC, -1, -1,
			                 "%zu NSEC records at one name", nn);
		}
		if (first == NULL) {
			first = n;
		}
		prev = n;
	}
	return ret;
}
