/* NSEC3 chain (RFC 5155): one chain with the NSEC3PARAM's parameters,
 * hashes in order and closed, every name that needs an NSEC3 has one with
 * the right type bitmap, and what opt-out leaves out (RFC 5155 §7.1:
 * insecure delegations and empty non-terminals that exist only above them)
 * is covered by an NSEC3 with the opt-out flag.  That last property is what
 * a validating resolver needs to accept a referral to an unsigned child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "verify/internal.h"

typedef struct {
	uint8_t hash[SIGIL_NSEC3_SHA1_LEN];
	const sigil_node_t *node;
	const uint8_t *next;
	const uint8_t *bitmap;
	uint16_t bmlen;
	uint8_t next_len;
	uint8_t flags;
	bool matched;
} n3entry_t;

typedef struct {
	n3entry_t *e;
	uint64_t *prefix; /* first 8 bytes of each hash, for the search */
	uint8_t *flags;   /* NSEC3 flags of each entry, for opt-out checks */
	const nsec3_params_t *p; /* the chain's parameters */
	bool first;  /* the first chain: reports what is in no chain */
	bool cached; /* node->hash was computed with these parameters */
	size_t n;
	bool any_optout;
} chain_t;

static uint64_t hash_prefix(const uint8_t *h)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = v << 8 | h[i];
	}
	return v;
}

/* Where h would be if the hashes were evenly spread. */
static size_t chain_guess(const chain_t *c, const uint8_t *h)
{
	return (size_t)(((unsigned __int128)hash_prefix(h) * c->n) >> 64);
}

/* Index of the first hash >= h.  SHA-1 hashes are uniform, so the position
 * is guessed from the value and then found by galloping from the guess:
 * a few cache lines per lookup instead of a binary search over a chain
 * that, for a large zone, does not fit in any cache. */
static size_t chain_lower_bound(const chain_t *c, const uint8_t *h)
{
	uint64_t p = hash_prefix(h);
	size_t n = c->n;
	size_t guess = chain_guess(c, h);
	size_t lo, hi, step = 1;

	/* find [lo, hi) with prefix[lo - 1] < p <= prefix[hi] */
	if (guess < n && c->prefix[guess] < p) {
		lo = guess + 1;
		hi = lo;
		while (hi < n && c->prefix[hi] < p) {
			lo = hi + 1;
			hi += step;
			step *= 2;
		}
		if (hi > n) {
			hi = n;
		}
	} else {
		hi = guess < n ? guess : n;
		lo = hi;
		while (lo > 0 && c->prefix[lo - 1] >= p) {
			hi = lo - 1;
			lo = hi > step ? hi - step : 0;
			step *= 2;
		}
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->prefix[mid] < p) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	/* equal prefixes: order by the whole hash */
	while (lo < n && c->prefix[lo] == p &&
	       memcmp(c->e[lo].hash, h, SIGIL_NSEC3_SHA1_LEN) < 0) {
		lo++;
	}
	return lo;
}

static n3entry_t *chain_find(const chain_t *c, size_t lb, const uint8_t *h)
{
	/* The compact arrays stay in cache; the entries of a large chain do
	 * not: touch an entry only when its prefix matches. */
	if (lb < c->n && c->prefix[lb] == hash_prefix(h) &&
	    memcmp(c->e[lb].hash, h, SIGIL_NSEC3_SHA1_LEN) == 0) {
		return &c->e[lb];
	}
	return NULL;
}

/* Index of the NSEC3 whose span covers h (not equal to any hash): the
 * greatest hash below h, or the last one (its span wraps around). */
static size_t chain_cover(const chain_t *c, size_t lb)
{
	return lb == 0 ? c->n - 1 : lb - 1;
}

static void hash_txt(char *out, const uint8_t *h)
{
	sigil_base32hex_encode(out, h, SIGIL_NSEC3_SHA1_LEN);
}

/* Checks a name that needs, may have, or must not have an NSEC3.
 * node: the name's node (NULL for an empty non-terminal). */
enum need { NEED_REQUIRED, NEED_OPTIONAL, NEED_FORBIDDEN };

static int check_name(vctx_t *v, chain_t *c, const uint8_t *owner,
                      const sigil_node_t *node, const uint8_t *h,
                      enum need need)
{
	char msg[1200], ht[40];
	size_t lb = c->n ? chain_lower_bound(c, h) : 0;
	n3entry_t *e = chain_find(c, lb, h);
	const char *what = node == NULL ? "empty non-terminal" :
	                   (node->flags & SIGIL_NODE_DELEG) ?
	                                  ((node->flags & SIGIL_NODE_DS) ?
	                                           "secure delegation" :
	                                           "insecure delegation") :
	                                  "authoritative name";
	if (need == NEED_FORBIDDEN) {
		if (e == NULL) {
			return SIGIL_EOK;
		}
		hash_txt(ht, h);
		e->matched = true;
		return report_add(
			v, SIGIL_F_NSEC3_UNEXPECTED, owner, SIGIL_T_NSEC3, -1,
			-1, "NSEC3 %s exists for glue or occluded name", ht);
	}
	if (e != NULL) {
		e->matched = true;
		if (!bitmap_matches(node, e->bitmap, e->bmlen, true, msg,
		                    sizeof(msg))) {
			hash_txt(ht, h);
			return report_add(v, SIGIL_F_NSEC3_BITMAP, owner,
			                  SIGIL_T_NSEC3, -1, -1,
			                  "NSEC3 %s of this %s: %s", ht, what,
			                  msg);
		}
		return SIGIL_EOK;
	}
	size_t cov = c->n ? chain_cover(c, lb) : 0;
	if (need == NEED_OPTIONAL && c->any_optout &&
	    (c->flags[cov] & SIGIL_NSEC3_FLAG_OPTOUT)) {
		return SIGIL_EOK; /* left out under an opt-out span */
	}
	hash_txt(ht, h);
	if (c->n == 0) {
		return report_add(
			v, SIGIL_F_NSEC3_MISSING, owner, SIGIL_T_NSEC3, -1, -1,
			"%s has no NSEC3 (hash %s): the chain is empty", what,
			ht);
	}
	if (need == NEED_REQUIRED || !c->any_optout) {
		return report_add(v, SIGIL_F_NSEC3_MISSING, owner,
		                  SIGIL_T_NSEC3, -1, -1,
		                  "%s has no NSEC3 (hash %s)", what, ht);
	}
	char ct[40];
	hash_txt(ct, c->e[cov].hash);
	return report_add(
		v, SIGIL_F_NSEC3_OPTOUT, owner, SIGIL_T_NSEC3, -1, -1,
		"%s has no NSEC3 (hash %s) and the NSEC3 %s covering "
		"it lacks the opt-out flag: resolvers cannot prove the "
		"referral insecure",
		what, ht, ct);
}

static bool params_match(const nsec3_params_t *p, const uint8_t *d,
                         uint16_t iter, const uint8_t *salt, uint8_t salt_len)
{
	return d[0] == p->alg && iter == p->iterations &&
	       salt_len == p->salt_len && memcmp(salt, p->salt, salt_len) == 0;
}

/* Collects the NSEC3 records of the chain with parameters c->p; all[] are
 * the parameters of every usable NSEC3PARAM.  Records that belong to no
 * chain, and malformed ones, are reported while collecting the first. */
static int collect(vctx_t *v, chain_t *c, const nsec3_params_t *all,
                   size_t nall)
{
	int ret = SIGIL_EOK;
	sigil_zone_t *z = v->zone;
	size_t count = sigil_zone_node_count(z), cap = 0;
	unsigned apex_labels = sigil_dname_labels(v->apex);

	for (size_t i = 0; i < count && ret == SIGIL_EOK; i++) {
		const sigil_node_t *n = sigil_zone_node(z, i);
		size_t nn = 0;
		sigil_rr_t *rrs = sigil_node_rrset(n, SIGIL_T_NSEC3, &nn);
		if (rrs == NULL || (n->flags & SIGIL_NODE_OUTSIDE)) {
			continue;
		}
		if (c->first) {
			v->rep->nsec3_records += nn;
		}
		uint8_t h[64];
		long hl = -1;
		if (sigil_dname_labels(n->owner) == apex_labels + 1) {
			hl = sigil_base32hex_decode(h, sizeof(h),
			                            (const char *)n->owner + 1,
			                            n->owner[0]);
		}
		if (hl != SIGIL_NSEC3_SHA1_LEN) {
			if (!c->first) {
				continue;
			}
			ret = report_add(
				v, SIGIL_F_NSEC3_MALFORMED, n->owner,
				SIGIL_T_NSEC3, -1, -1,
				"NSEC3 owner is not a base32hex SHA-1 hash "
				"directly below the apex");
			continue;
		}
		bool have = false;
		for (size_t k = 0; k < nn && ret == SIGIL_EOK; k++) {
			const uint8_t *d = rrs[k].rdata;
			size_t len = rrs[k].rdlen;
			size_t pos = 5;
			if (len < 6 || pos + d[4] + 1 > len) {
				if (!c->first) {
					continue;
				}
				ret = report_add(v, SIGIL_F_NSEC3_MALFORMED,
				                 n->owner, SIGIL_T_NSEC3, -1,
				                 -1,
				                 "NSEC3 RDATA is malformed");
				continue;
			}
			uint8_t salt_len = d[4];
			const uint8_t *salt = d + 5;
			pos += salt_len;
			uint8_t next_len = d[pos++];
			if (pos + next_len > len ||
			    next_len != SIGIL_NSEC3_SHA1_LEN) {
				if (!c->first) {
					continue;
				}
				ret = report_add(
					v, SIGIL_F_NSEC3_MALFORMED, n->owner,
					SIGIL_T_NSEC3, -1, -1,
					"NSEC3 next hashed owner is malformed");
				continue;
			}
			uint16_t iter = (uint16_t)(d[2] << 8 | d[3]);
			if (!params_match(c->p, d, iter, salt, salt_len)) {
				bool other = false;
				for (size_t a = 0; a < nall && !other; a++) {
					other = params_match(&all[a], d, iter,
					                     salt, salt_len);
				}
				if (other || !c->first) {
					continue; /* another chain's record */
				}
				ret = report_add(
					v, SIGIL_F_NSEC3_PARAMS, n->owner,
					SIGIL_T_NSEC3, -1, -1,
					"NSEC3 parameters (algorithm %u, %u "
					"iterations, salt length %u) match no "
					"NSEC3PARAM",
					d[0], iter, salt_len);
				continue;
			}
			/* Validators ignore NSEC3 records with unknown flags
			 * (RFC 5155 §8.2): such a record proves nothing. */
			if (d[1] & ~SIGIL_NSEC3_FLAG_OPTOUT) {
				ret = report_add(v, SIGIL_F_NSEC3_MALFORMED,
				                 n->owner, SIGIL_T_NSEC3, -1,
				                 -1,
				                 "NSEC3 flags 0x%02x: unknown "
				                 "flags, resolvers ignore it",
				                 d[1]);
				continue;
			}
			if (have) {
				ret = report_add(v, SIGIL_F_NSEC3_MALFORMED,
				                 n->owner, SIGIL_T_NSEC3, -1,
				                 -1,
				                 "several NSEC3 records at one "
				                 "hashed owner");
				continue;
			}
			have = true;
			if (c->n == cap) {
				cap = cap ? cap * 2 : 1024;
				n3entry_t *p = realloc(c->e, cap * sizeof(*p));
				if (p == NULL) {
					return SIGIL_ENOMEM;
				}
				c->e = p;
			}
			n3entry_t *e = &c->e[c->n++];
			memcpy(e->hash, h, SIGIL_NSEC3_SHA1_LEN);
			e->node = n;
			e->flags = d[1];
			e->next = d + pos;
			e->next_len = next_len;
			e->bitmap = d + pos + next_len;
			e->bmlen = (uint16_t)(len - pos - next_len);
			e->matched = false;
			if (e->flags & SIGIL_NSEC3_FLAG_OPTOUT) {
				c->any_optout = true;
			}
		}
	}
	return ret;
}

static int check_links(vctx_t *v, chain_t *c)
{
	int ret = SIGIL_EOK;
	size_t optout = 0;
	for (size_t i = 0; i < c->n && ret == SIGIL_EOK; i++) {
		const n3entry_t *e = &c->e[i], *nx = &c->e[(i + 1) % c->n];
		if (i + 1 < c->n &&
		    memcmp(e->hash, nx->hash, SIGIL_NSEC3_SHA1_LEN) >= 0) {
			/* cannot happen for sorted nodes; guards the invariant */
			return SIGIL_EINVAL;
		}
		if (e->flags & SIGIL_NSEC3_FLAG_OPTOUT) {
			optout++;
		}
		if (memcmp(e->next, nx->hash, SIGIL_NSEC3_SHA1_LEN) != 0) {
			char a[40], b[40];
			hash_txt(a, e->next);
			hash_txt(b, nx->hash);
			ret = report_add(v, SIGIL_F_NSEC3_NEXT, e->node->owner,
			                 SIGIL_T_NSEC3, -1, -1,
			                 "next hashed owner is %s; the next "
			                 "NSEC3 in the "
			                 "chain is %s",
			                 a, b);
		}
	}
	if (ret == SIGIL_EOK && optout != 0 && optout != c->n) {
		ret = report_add(
			v, SIGIL_F_NSEC3_OPTOUT_MIXED, v->apex, SIGIL_T_NSEC3,
			-1, -1,
			"%zu of %zu NSEC3 records have the opt-out flag",
			optout, c->n);
	}
	if (c->first) {
		v->rep->nsec3_optout = optout > 0;
	}
	return ret;
}

/* Ancestors of the current name, by label count, to find empty
 * non-terminals: names that exist only because a descendant does. */
typedef struct {
	const uint8_t *key;   /* key of the name that opened the entry */
	size_t key_len;       /* length of this ancestor's key */
	const uint8_t *owner; /* wire name (a suffix of a node owner) */
	bool is_ent;
	bool required; /* a descendant needs an NSEC3, so this ENT does */
	bool used;
} level_t;

static int ent_finish(vctx_t *v, chain_t *c, level_t *l)
{
	if (!l->used || !l->is_ent) {
		l->used = false;
		return SIGIL_EOK;
	}
	l->used = false;
	uint8_t h[SIGIL_NSEC3_SHA1_LEN];
	if (sigil_nsec3_hash(c->p->alg, c->p->iterations, c->p->salt,
	                     c->p->salt_len, l->owner, h) != SIGIL_EOK) {
		return SIGIL_ECRYPTO;
	}
	return check_name(v, c, l->owner, NULL, h,
	                  l->required ? NEED_REQUIRED : NEED_OPTIONAL);
}

static int check_names(vctx_t *v, chain_t *c)
{
	int ret = SIGIL_EOK;
	sigil_zone_t *z = v->zone;
	size_t count = sigil_zone_node_count(z);
	unsigned apex_labels = sigil_dname_labels(v->apex);
	level_t lv[SIGIL_DNAME_MAXLABELS + 1];
	unsigned top = 0; /* levels above are not in use */
	memset(lv, 0, sizeof(lv));

	for (size_t i = 0; i < count && ret == SIGIL_EOK; i++) {
		sigil_node_t *n = sigil_zone_node(z, i);
		if (n->flags & (SIGIL_NODE_OUTSIDE | SIGIL_NODE_HASHED)) {
			continue;
		}
		uint8_t hbuf[SIGIL_NSEC3_SHA1_LEN];
		const uint8_t *h = c->cached ? n->hash : NULL;
		if (h == NULL) {
			if (sigil_nsec3_hash(c->p->alg, c->p->iterations,
			                     c->p->salt, c->p->salt_len,
			                     n->owner, hbuf) != SIGIL_EOK) {
				return SIGIL_ECRYPTO;
			}
			h = hbuf;
		}
		if (n->flags & SIGIL_NODE_NONAUTH) {
			ret = check_name(v, c, n->owner, n, h, NEED_FORBIDDEN);
			continue;
		}
		unsigned labels = sigil_dname_labels(n->owner);
		/* Close levels that are not ancestors of n. */
		unsigned d = apex_labels + 1;
		for (; d < labels; d++) {
			size_t kl = sigil_dname_key_ancestor_len(n->key,
			                                         n->key_len, d);
			if (!lv[d].used || lv[d].key_len != kl ||
			    memcmp(lv[d].key, n->key, kl) != 0) {
				break;
			}
		}
		for (unsigned k = top; k >= d && ret == SIGIL_EOK; k--) {
			ret = ent_finish(v, c, &lv[k]);
		}
		top = d - 1;
		/* Open the missing ancestors: empty non-terminals. */
		for (unsigned k = d; k < labels; k++) {
			const uint8_t *anc = n->owner;
			for (unsigned m = labels; m > k; m--) {
				anc += anc[0] + 1;
			}
			lv[k] = (level_t){
				.key = n->key,
				.key_len = sigil_dname_key_ancestor_len(
					n->key, n->key_len, k),
				.owner = anc,
				.is_ent = true,
				.used = true};
		}
		if (labels > apex_labels) {
			lv[labels] = (level_t){.key = n->key,
			                       .key_len = n->key_len,
			                       .owner = n->owner,
			                       .used = true};
		}
		top = labels > top ? labels : top;
		bool insecure = (n->flags & SIGIL_NODE_DELEG) &&
		                !(n->flags & SIGIL_NODE_DS);
		if (!insecure) {
			for (unsigned k = apex_labels + 1; k < labels; k++) {
				lv[k].required = true;
			}
		}
		if (ret == SIGIL_EOK) {
			ret = check_name(v, c, n->owner, n, h,
			                 insecure ? NEED_OPTIONAL :
			                            NEED_REQUIRED);
		}
	}
	for (unsigned k = top; k > 0 && ret == SIGIL_EOK; k--) {
		ret = ent_finish(v, c, &lv[k]);
	}
	for (size_t i = 0; i < c->n && ret == SIGIL_EOK; i++) {
		if (!c->e[i].matched) {
			ret = report_add(v, SIGIL_F_NSEC3_UNEXPECTED,
			                 c->e[i].node->owner, SIGIL_T_NSEC3, -1,
			                 -1,
			                 "NSEC3 matches no name in the zone");
		}
	}
	return ret;
}

/* Checks one chain. */
static int check_chain(vctx_t *v, const nsec3_params_t *p, bool first,
                       const nsec3_params_t *all, size_t nall)
{
	int ret = SIGIL_EOK;
	chain_t c = {.p = p, .first = first};
	const uint8_t *apex = v->apex;

	/* node->hash holds hashes made with the parameters the loader saw */
	c.cached = v->n3.enabled && v->n3.alg == p->alg &&
	           v->n3.iterations == p->iterations &&
	           v->n3.salt_len == p->salt_len &&
	           memcmp(v->n3.salt, p->salt, p->salt_len) == 0;
	if (p->alg != SIGIL_NSEC3_HASH_SHA1) {
		return report_add(
			v, SIGIL_F_NSEC3PARAM, apex, SIGIL_T_NSEC3PARAM, -1, -1,
			"NSEC3 hash algorithm %u is not supported", p->alg);
	}
	/* RFC 9276 §3.2: resolvers may treat more than 150 iterations as
	 * insecure or fail: then the zone is not validated at all. */
	if (p->iterations > 150) {
		ret = report_add_sev(
			v, SIGIL_F_NSEC3_ITERATIONS, SIGIL_SEV_ERROR, apex,
			SIGIL_T_NSEC3PARAM, -1, -1,
			"%u NSEC3 iterations: validating resolvers "
			"treat the zone as insecure or fail "
			"(RFC 9276 §3.2); use 0",
			p->iterations);
	} else if (p->iterations > 0) {
		ret = report_add(v, SIGIL_F_NSEC3_ITERATIONS, apex,
		                 SIGIL_T_NSEC3PARAM, -1, -1,
		                 "%u NSEC3 iterations; RFC 9276 asks for 0",
		                 p->iterations);
	}
	if (ret == SIGIL_EOK && p->salt_len > 0) {
		ret = report_add(
			v, SIGIL_F_NSEC3_SALT, apex, SIGIL_T_NSEC3PARAM, -1, -1,
			"NSEC3 salt of %u bytes; RFC 9276 asks for none",
			p->salt_len);
	}
	if (ret == SIGIL_EOK) {
		ret = collect(v, &c, all, nall);
	}
	if (ret == SIGIL_EOK && c.n > 0) {
		c.prefix = malloc(c.n * sizeof(*c.prefix));
		c.flags = malloc(c.n);
		if (c.prefix == NULL || c.flags == NULL) {
			ret = SIGIL_ENOMEM;
		}
		for (size_t i = 0; ret == SIGIL_EOK && i < c.n; i++) {
			c.prefix[i] = hash_prefix(c.e[i].hash);
			c.flags[i] = c.e[i].flags;
		}
	}
	if (ret == SIGIL_EOK) {
		ret = check_links(v, &c);
	}
	if (ret == SIGIL_EOK) {
		ret = check_names(v, &c);
	}
	free(c.e);
	free(c.prefix);
	free(c.flags);
	return ret;
}

#define MAX_CHAINS 16

int nsec3_check(vctx_t *v)
{
	int ret = SIGIL_EOK;
	sigil_node_t *apex = sigil_zone_apex_node(v->zone);
	nsec3_params_t all[MAX_CHAINS];
	size_t np = 0, nall = 0;
	sigil_rr_t *rrs =
		apex ? sigil_node_rrset(apex, SIGIL_T_NSEC3PARAM, &np) : NULL;

	/* Every usable NSEC3PARAM names a chain a server may answer from
	 * (RFC 5155 §4, §7.3): each must be complete. */
	for (size_t i = 0; i < np && nall < MAX_CHAINS; i++) {
		const uint8_t *d = rrs[i].rdata;
		if (rrs[i].rdlen < 5 || d[1] != 0 ||
		    rrs[i].rdlen != 5u + d[4]) {
			continue; /* flags other than 0: ignored (§4.1.2) */
		}
		nsec3_params_t *p = &all[nall++];
		memset(p, 0, sizeof(*p));
		p->enabled = true;
		p->alg = d[0];
		p->iterations = (uint16_t)(d[2] << 8 | d[3]);
		p->salt_len = d[4];
		memcpy(p->salt, d + 5, d[4]);
	}
	if (nall == 0) {
		return report_add(
			v, SIGIL_F_NSEC3PARAM, v->apex, SIGIL_T_NSEC3PARAM, -1,
			-1,
			np ? "no usable NSEC3PARAM (flags must be 0)" :
			     "NSEC3 records but no NSEC3PARAM at the apex");
	}
	if (np > MAX_CHAINS) {
		ret = report_add_sev(v, SIGIL_F_NSEC3PARAM, SIGIL_SEV_WARNING,
		                     v->apex, SIGIL_T_NSEC3PARAM, -1, -1,
		                     "%zu NSEC3PARAM records; the first %d "
		                     "chains are checked",
		                     np, MAX_CHAINS);
	}
	for (size_t i = 0; i < nall && ret == SIGIL_EOK; i++) {
		ret = check_chain(v, &all[i], i == 0, all, nall);
	}
	return ret;
}
