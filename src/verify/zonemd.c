/* ZONEMD (RFC 8976 §4): the apex ZONEMD records checked against the zone.
 * A zone verifies when one ZONEMD with a scheme and hash algorithm sigil
 * knows (SIMPLE; SHA-384, SHA-512) carries the SOA serial and the digest
 * of the zone; ZONEMD records sigil cannot check are a warning. */
#include <string.h>

#include "dns/zonemd.h"
#include "util/error.h"
#include "util/wire.h"
#include "verify/internal.h"

int zonemd_check(vctx_t *v)
{
	sigil_node_t *apex = sigil_zone_apex_node(v->zone);
	uint8_t digest[SIGIL_ZONEMD_DIGEST_MAXLEN];
	uint32_t serial = 0;
	size_t n = 0;
	sigil_rr_t *rrs =
		apex ? sigil_node_rrset(apex, SIGIL_T_ZONEMD, &n) : NULL;
	bool checked = false;
	int ret;

	if (rrs == NULL) {
		return SIGIL_EOK;
	}
	if (sigil_zonemd_serial(v->zone, &serial) != SIGIL_EOK) {
		return SIGIL_EOK; /* no usable SOA: reported elsewhere */
	}
	for (size_t i = 0; i < n; i++) {
		const sigil_rr_t *rr = &rrs[i];
		size_t dlen;

		if (rr->rdlen < 6 ||
		    rr->rdata[4] != SIGIL_ZONEMD_SCHEME_SIMPLE) {
			continue;
		}
		dlen = sigil_zonemd_digest_len(rr->rdata[5]);
		if (dlen == 0 || rr->rdlen != 6 + dlen) {
			continue;
		}
		checked = true;
		if (sigil_get32(rr->rdata) != serial) {
			ret = report_add(v, SIGIL_F_ZONEMD_SERIAL, v->apex,
			                 SIGIL_T_ZONEMD, -1, -1,
			                 "ZONEMD serial %u, SOA serial %u",
			                 sigil_get32(rr->rdata), serial);
			if (ret != SIGIL_EOK) {
				return ret;
			}
			continue;
		}
		ret = sigil_zonemd_digest(v->zone, rr->rdata[5], digest);
		if (ret != SIGIL_EOK) {
			return ret == SIGIL_ENOMEM ? ret : SIGIL_EOK;
		}
		if (memcmp(digest, rr->rdata + 6, dlen) != 0) {
			ret = report_add(
				v, SIGIL_F_ZONEMD_DIGEST, v->apex,
				SIGIL_T_ZONEMD, -1, -1,
				"the ZONEMD digest (hash algorithm %u) "
				"is not the digest of the zone",
				(unsigned)rr->rdata[5]);
			if (ret != SIGIL_EOK) {
				return ret;
			}
		}
	}
	if (!checked) {
		return report_add(v, SIGIL_F_ZONEMD_UNSUPPORTED, v->apex,
		                  SIGIL_T_ZONEMD, -1, -1,
		                  "no ZONEMD record with a scheme and hash "
		                  "algorithm sigil can check (SIMPLE with "
		                  "SHA-384 or SHA-512)");
	}
	return SIGIL_EOK;
}
