/* The zone's DNSKEY RRset, decoded once and shared by all threads. */
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "util/error.h"
#include "verify/internal.h"

int keyset_build(keyset_t *ks, const sigil_node_t *apex)
{
	size_t n = 0;
	sigil_rr_t *rrs =
		apex ? sigil_node_rrset(apex, SIGIL_T_DNSKEY, &n) : NULL;

	memset(ks, 0, sizeof(*ks));
	if (n == 0) {
		return SIGIL_EOK;
	}
	ks->keys = calloc(n, sizeof(*ks->keys));
	if (ks->keys == NULL) {
		return SIGIL_ENOMEM;
	}
	/* The node is sorted, so a record listed twice is already gone. */
	for (size_t i = 0; i < n; i++) {
		vkey_t *k = &ks->keys[ks->count++];
		k->rdata = rrs[i].rdata;
		k->rdlen = rrs[i].rdlen;
		if (rrs[i].rdlen < 4) {
			k->decode_failed = true;
			continue;
		}
		k->flags = (uint16_t)(rrs[i].rdata[0] << 8 | rrs[i].rdata[1]);
		k->alg = rrs[i].rdata[3];
		k->tag = sigil_keytag(rrs[i].rdata, rrs[i].rdlen);
		/* Only zone keys (flags bit 7) with protocol 3 take part in
		 * validation (RFC 4034 §2.1.1, §2.1.2); others are not even
		 * decoded. */
		k->zone_key = (k->flags & SIGIL_DNSKEY_FLAG_ZONE) &&
		              rrs[i].rdata[2] == 3;
		if (!k->zone_key) {
			continue;
		}
		int ret = sigil_pubkey_from_dnskey(rrs[i].rdata, rrs[i].rdlen,
		                                   &k->key);
		if (ret == SIGIL_EMALFORMED) {
			k->decode_failed = true;
		} else if (ret != SIGIL_EOK && ret != SIGIL_EALGORITHM) {
			keyset_free(ks);
			return ret;
		}
		if (!(k->flags & SIGIL_DNSKEY_FLAG_REVOKE)) {
			ks->algs[k->alg] = 1;
		}
	}
	return SIGIL_EOK;
}

void keyset_free(keyset_t *ks)
{
	for (size_t i = 0; i < ks->count; i++) {
		sigil_pubkey_free(ks->keys[i].key);
	}
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

void nsec3_params_from_apex(nsec3_params_t *p, const sigil_node_t *apex)
{
	size_t n = 0;
	sigil_rr_t *rrs =
		apex ? sigil_node_rrset(apex, SIGIL_T_NSEC3PARAM, &n) : NULL;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = rrs[i].rdata;
		/* NSEC3PARAM with flags other than 0 are ignored by servers
		 * (RFC 5155 §4.1.2); take the first usable one. */
		if (rrs[i].rdlen < 5 || d[1] != 0 ||
		    rrs[i].rdlen != 5u + d[4]) {
			continue;
		}
		p->enabled = true;
		p->alg = d[0];
		p->iterations = (uint16_t)(d[2] << 8 | d[3]);
		p->salt_len = d[4];
		memcpy(p->salt, d + 5, d[4]);
		return;
	}
}
