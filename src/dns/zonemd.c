#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ossl.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/zonemd.h"
#include "util/error.h"
#include "util/wire.h"

/* RRs are gathered in a buffer and hashed in large pieces: a zone has
 * tens of millions of small RRs, and one EVP call each would cost more
 * than the hashing.  It holds at least one RR of the largest size. */
#define STAGE_LEN (256u * 1024)
#define RR_HEAD_LEN (SIGIL_DNAME_MAXLEN + 10)

size_t sigil_zonemd_digest_len(uint8_t hash_alg)
{
	switch (hash_alg) {
	case SIGIL_ZONEMD_HASH_SHA384:
		return 48;
	case SIGIL_ZONEMD_HASH_SHA512:
		return 64;
	default:
		return 0;
	}
}

/* The apex node, found by name: sigil_zone_apex_node() needs
 * sigil_zone_classify(), which the digest does not. */
static sigil_node_t *apex_node(const sigil_zone_t *zone)
{
	const uint8_t *apex = sigil_zone_apex(zone);
	if (apex == NULL) {
		return NULL;
	}
	long i = sigil_zone_find(zone, apex);
	return i < 0 ? NULL : sigil_zone_node(zone, (size_t)i);
}

int sigil_zonemd_serial(const sigil_zone_t *zone, uint32_t *serial)
{
	const sigil_node_t *apex = apex_node(zone);
	size_t count;

	if (apex == NULL) {
		return SIGIL_ENOSOA;
	}
	const sigil_rr_t *soa = sigil_node_rrset(apex, SIGIL_T_SOA, &count);
	if (soa == NULL) {
		return SIGIL_ENOSOA;
	}
	/* MNAME and RNAME, then SERIAL (RFC 1035 §3.3.13). */
	size_t m = sigil_dname_parse(soa->rdata, soa->rdlen);
	size_t r = m ? sigil_dname_parse(soa->rdata + m, soa->rdlen - m) : 0;
	if (r == 0 || (size_t)soa->rdlen < m + r + 4) {
		return SIGIL_EMALFORMED;
	}
	const uint8_t *p = soa->rdata + m + r;
	*serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	          (uint32_t)p[2] << 8 | p[3];
	return SIGIL_EOK;
}

/* Sort keys give the canonical name order with memcmp (dns/name.h). */
static int key_cmp(const sigil_node_t *a, const sigil_node_t *b)
{
	size_t min = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, min);
	if (c != 0) {
		return c;
	}
	return (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

struct stage {
	EVP_MD_CTX *ctx;
	uint8_t *buf;
	size_t used;
};

static int stage_flush(struct stage *s)
{
	if (s->used > 0 && EVP_DigestUpdate(s->ctx, s->buf, s->used) != 1) {
		return SIGIL_ECRYPTO;
	}
	s->used = 0;
	return SIGIL_EOK;
}

/* One RR in canonical wire form (RFC 4034 §6.2); owner is already in
 * lowercase.  The class is IN: the store holds nothing else. */
static int stage_rr(struct stage *s, const uint8_t *owner, size_t olen,
                    const sigil_rr_t *rr)
{
	int ret;

	if (STAGE_LEN - s->used < RR_HEAD_LEN + (size_t)rr->rdlen &&
	    (ret = stage_flush(s)) != SIGIL_EOK) {
		return ret;
	}
	uint8_t *p = s->buf + s->used;
	memcpy(p, owner, olen);
	p += olen;
	sigil_put16(p, rr->type);
	sigil_put16(p + 2, SIGIL_CLASS_IN);
	sigil_put32(p + 4, rr->ttl);
	sigil_put16(p + 8, rr->rdlen);
	p += 10;
	if (sigil_rdata_has_canon_names(rr->type)) {
		ret = sigil_rdata_canonicalize(rr->type, p, rr->rdata,
		                               rr->rdlen);
		if (ret != SIGIL_EOK) {
			return ret;
		}
	} else {
		memcpy(p, rr->rdata, rr->rdlen);
	}
	s->used = (size_t)(p + rr->rdlen - s->buf);
	return SIGIL_EOK;
}

/* The apex ZONEMD RRset and its signatures are what the digest goes into
 * (RFC 8976 §3.3.1.1). */
static bool skip_at_apex(const sigil_rr_t *rr)
{
	return rr->type == SIGIL_T_ZONEMD ||
	       (rr->type == SIGIL_T_RRSIG &&
	        sigil_rrsig_covered(rr) == SIGIL_T_ZONEMD);
}

int sigil_zonemd_digest(const sigil_zone_t *zone, uint8_t hash_alg,
                        uint8_t out[SIGIL_ZONEMD_DIGEST_MAXLEN])
{
	uint8_t apex_key[SIGIL_DNAME_KEY_MAXLEN];
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	struct stage s = {0};
	const sigil_node_t *prev = NULL;
	const EVP_MD *md;
	unsigned mdlen = 0;
	int ret;

	switch (hash_alg) {
	case SIGIL_ZONEMD_HASH_SHA384:
		md = sigil_ossl_md(SIGIL_MD_SHA384);
		break;
	case SIGIL_ZONEMD_HASH_SHA512:
		md = sigil_ossl_md(SIGIL_MD_SHA512);
		break;
	default:
		return SIGIL_EDIGEST;
	}
	if (md == NULL) {
		return SIGIL_ECRYPTO;
	}
	const uint8_t *apex = sigil_zone_apex(zone);
	if (apex == NULL) {
		return SIGIL_EINVAL;
	}
	size_t apex_len = sigil_dname_key(apex_key, apex);

	ret = SIGIL_ENOMEM;
	s.buf = malloc(STAGE_LEN);
	s.ctx = EVP_MD_CTX_new();
	if (s.buf == NULL || s.ctx == NULL) {
		goto out;
	}
	ret = SIGIL_ECRYPTO;
	if (EVP_DigestInit_ex(s.ctx, md, NULL) != 1) {
		goto out;
	}
	size_t count = sigil_zone_node_count(zone);
	for (size_t i = 0; i < count; i++) {
		const sigil_node_t *n = sigil_zone_node(zone, i);
		/* The canonical order and the single copy of each RR are
		 * the store's work: a store that has not done it would
		 * give a wrong digest, not a failure. */
		ret = SIGIL_EINVAL;
		if (!(n->flags & SIGIL_NODE_SORTED) ||
		    (prev != NULL && key_cmp(prev, n) >= 0)) {
			goto out;
		}
		prev = n;
		/* A key that does not start with the apex's key is a name
		 * outside the zone: not zone data. */
		if (n->key_len < apex_len ||
		    memcmp(n->key, apex_key, apex_len) != 0) {
			continue;
		}
		bool at_apex = n->key_len == apex_len;
		size_t olen = sigil_dname_len(n->owner);
		sigil_dname_tolower(owner, n->owner);
		for (uint32_t r = 0; r < n->rr_count; r++) {
			const sigil_rr_t *rr = &n->rrs[r];
			if (at_apex && skip_at_apex(rr)) {
				continue;
			}
			ret = stage_rr(&s, owner, olen, rr);
			if (ret != SIGIL_EOK) {
				goto out;
			}
		}
	}
	ret = stage_flush(&s);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = EVP_DigestFinal_ex(s.ctx, out, &mdlen) == 1 &&
	                      mdlen == sigil_zonemd_digest_len(hash_alg) ?
	              SIGIL_EOK :
	              SIGIL_ECRYPTO;
out:
	EVP_MD_CTX_free(s.ctx);
	free(s.buf);
	return ret;
}

int sigil_zonemd_rdata(uint32_t serial, uint8_t hash_alg, const uint8_t *digest,
                       uint8_t out[SIGIL_ZONEMD_RDATA_MAXLEN], size_t *len)
{
	size_t dlen = sigil_zonemd_digest_len(hash_alg);

	if (dlen == 0) {
		return SIGIL_EDIGEST;
	}
	sigil_put32(out, serial);
	out[4] = SIGIL_ZONEMD_SCHEME_SIMPLE;
	out[5] = hash_alg;
	if (digest != NULL) {
		memcpy(out + 6, digest, dlen);
	} else {
		memset(out + 6, 0, dlen);
	}
	*len = 6 + dlen;
	return SIGIL_EOK;
}

sigil_rr_t *sigil_zonemd_find(const sigil_zone_t *zone, uint8_t hash_alg)
{
	const sigil_node_t *apex = apex_node(zone);
	size_t count;

	if (apex == NULL) {
		return NULL;
	}
	sigil_rr_t *rrs = sigil_node_rrset(apex, SIGIL_T_ZONEMD, &count);
	for (size_t i = 0; i < count; i++) {
		if (rrs[i].rdlen >= 6 &&
		    rrs[i].rdata[4] == SIGIL_ZONEMD_SCHEME_SIMPLE &&
		    rrs[i].rdata[5] == hash_alg) {
			return &rrs[i];
		}
	}
	return NULL;
}

int sigil_zonemd_update(sigil_zone_t *zone, uint8_t hash_alg,
                        uint8_t buf[SIGIL_ZONEMD_RDATA_MAXLEN])
{
	uint8_t digest[SIGIL_ZONEMD_DIGEST_MAXLEN];
	uint32_t serial;
	size_t len;
	int ret;

	if (sigil_zonemd_digest_len(hash_alg) == 0) {
		return SIGIL_EDIGEST;
	}
	sigil_rr_t *rr = sigil_zonemd_find(zone, hash_alg);
	if (rr == NULL) {
		return SIGIL_ENOTFOUND;
	}
	if ((ret = sigil_zonemd_serial(zone, &serial)) != SIGIL_EOK ||
	    (ret = sigil_zonemd_digest(zone, hash_alg, digest)) != SIGIL_EOK ||
	    (ret = sigil_zonemd_rdata(serial, hash_alg, digest, buf, &len)) !=
	            SIGIL_EOK) {
		return ret;
	}
	rr->rdata = buf;
	rr->rdlen = (uint16_t)len;
	return SIGIL_EOK;
}
