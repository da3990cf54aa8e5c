/* Signature checks for one node: the hot loop of the validator. */
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/rrsig.h"
#include "util/error.h"
#include "verify/internal.h"

static int refs_fill(worker_scratch_t *ws, const sigil_rr_t *rrs, size_t n)
{
	if (n > ws->refs_cap) {
		sigil_rdata_ref_t *p = realloc(ws->refs, n * sizeof(*p));
		if (p == NULL) {
			return SIGIL_ENOMEM;
		}
		ws->refs = p;
		ws->refs_cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		ws->refs[i].rdata = rrs[i].rdata;
		ws->refs[i].rdlen = rrs[i].rdlen;
	}
	return SIGIL_EOK;
}

/* Verdict on a signature that key k (index in the key set) verifies: its
 * times decide. */
static uint8_t sig_verified(const vctx_t *v, const sigil_rrsig_t *sig,
                            sigil_rr_t *sigrr, size_t k)
{
	sigrr->aux = (uint16_t)(k + 1 > UINT16_MAX ? UINT16_MAX : k + 1);
	/* RFC 4034 3.1.5: serial number arithmetic */
	if ((int32_t)(sig->expiration - sig->inception) < 0) {
		return RS_BADTIMES;
	}
	if (!sigil_rrsig_time_valid(sig, v->opts->now)) {
		return sigil_rrsig_expires_in(sig, v->opts->now) < 0 ?
		               RS_EXPIRED :
		               RS_NOTYET;
	}
	return RS_VALID;
}

/* Verdict on one RRSIG.  With opts->signatures_trusted every check is made
 * but the cryptographic one: the first candidate key (published zone key
 * of the signature's tag and algorithm, not revoked unless the RRSIG
 * covers the DNSKEY RRset, decodable) counts as the one that verified. */
static uint8_t check_one(vctx_t *v, worker_scratch_t *ws, sigil_node_t *node,
                         sigil_rr_t *sigrr)
{
	sigil_rrsig_t sig;
	size_t n = 0;

	if (sigil_rrsig_parse(sigrr->rdata, sigrr->rdlen, &sig) != SIGIL_EOK) {
		return RS_MALFORMED;
	}
	sigil_rr_t *set = sigil_node_rrset(node, sig.type_covered, &n);
	if (set == NULL || sig.type_covered == SIGIL_T_RRSIG) {
		return RS_NORRSET;
	}
	if (set[0].ttl != sig.original_ttl) {
		sigrr->aux2 |= RS_F_TTL_MISMATCH;
	}
	if (!sigil_dname_equal(sig.signer, v->apex)) {
		return RS_BADSIGNER;
	}
	if (sig.labels != sigil_dname_rrsig_labels(node->owner)) {
		return RS_BADLABELS;
	}
	if (!sigil_alg_can_verify(sig.algorithm)) {
		return RS_UNSUPPORTED;
	}

	/* Only zone keys with protocol 3 validate (RFC 4034 §2.1.1, §2.1.2). */
	bool trusted = v->opts->signatures_trusted;
	bool alg_published = false, have_candidate = false,
	     revoked_only = false;
	for (size_t k = 0; k < v->keys.count; k++) {
		const vkey_t *key = &v->keys.keys[k];
		if (!key->zone_key || key->alg != sig.algorithm) {
			continue;
		}
		alg_published = true;
		if (key->tag != sig.key_tag) {
			continue;
		}
		/* A revoked key still signs the DNSKEY RRset (RFC 5011 §2.1). */
		if ((key->flags & SIGIL_DNSKEY_FLAG_REVOKE) &&
		    sig.type_covered != SIGIL_T_DNSKEY) {
			revoked_only = !have_candidate;
			continue;
		}
		if (key->key == NULL) {
			continue; /* undecodable key: reported with the key */
		}
		if (trusted) {
			/* The caller verified it with the first key that
			 * has its tag and algorithm: only the crypto is
			 * skipped. */
			return sig_verified(v, &sig, sigrr, k);
		}
		if (!have_candidate) {
			have_candidate = true;
			revoked_only = false;
			if (refs_fill(ws, set, n) != SIGIL_EOK) {
				return RS_UNCHECKED;
			}
			sigil_buf_reset(&ws->data);
			if (sigil_rrsig_signed_data(
				    &ws->data, &sig, sigrr->rdata, node->owner,
				    sig.type_covered, SIGIL_CLASS_IN, ws->refs,
				    n) != SIGIL_EOK) {
				return RS_MALFORMED;
			}
		}
		if (sigil_pubkey_verify(key->key, ws->data.data, ws->data.len,
		                        sig.signature,
		                        sig.signature_len) == SIGIL_EOK) {
			return sig_verified(v, &sig, sigrr, k);
		}
	}
	if (!alg_published) {
		/* During an algorithm rollover signatures come before their
		 * DNSKEYs and outlive them (RFC 6781 §4.1.4); resolvers ignore
		 * them (RFC 4035 §5.3.1). */
		return RS_UNPUBLISHED;
	}
	if (!have_candidate) {
		return revoked_only ? RS_REVOKED : RS_NOKEY;
	}
	return RS_BOGUS;
}

static void hash_node(vctx_t *v, worker_scratch_t *ws, sigil_node_t *node)
{
	if (!v->n3.enabled || node->hash != NULL) {
		return;
	}
	uint8_t *h = sigil_arena_alloc_bytes(ws->hashes, SIGIL_NSEC3_SHA1_LEN);
	if (h == NULL) {
		return;
	}
	if (sigil_nsec3_hash(v->n3.alg, v->n3.iterations, v->n3.salt,
	                     v->n3.salt_len, node->owner, h) == SIGIL_EOK) {
		node->hash = h;
	}
}

void sigs_check_node(vctx_t *v, worker_scratch_t *ws, sigil_node_t *node)
{
	sigil_node_sort(node);
	for (uint32_t i = 0; i < node->rr_count; i++) {
		sigil_rr_t *rr = &node->rrs[i];
		if (rr->type == SIGIL_T_RRSIG && rr->status == RS_UNCHECKED) {
			rr->status = check_one(v, ws, node, rr);
		}
	}
	hash_node(v, ws, node);
}
