#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/nsec3.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "sign/denial.h"
#include "util/error.h"

/* A type bitmap (RFC 4034 §4.1.2) needs at most 256 windows of 2 + 32
 * bytes. */
#define BITMAP_MAX (256 * 34)
/* Largest NSEC3 RDATA: fixed fields, salt, hash length and hash, bitmap;
 * larger than any NSEC RDATA (next name and bitmap). */
#define RDATA_MAX (6 + 255 + SIGIL_NSEC3_SHA1_LEN + BITMAP_MAX)
/* Below this many names per thread, starting threads costs more than
 * hashing in the calling thread. */
#define HASH_PER_THREAD_MIN 4096
#define HASH_THREADS_MAX 256

static int fail(sigil_denial_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(sigil_denial_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* --- type bitmaps ------------------------------------------------------ */

/* The types of one bitmap, gathered in any order.  Only the windows in use
 * are cleared afterwards: clearing all 8 KiB for each of millions of names
 * would cost more than the rest of the work. */
typedef struct {
	uint8_t bits[256][32];
	uint8_t len[256]; /* octets used in each window, 0: window unused */
	uint8_t used[256];
	unsigned nused;
} typeset_t;

typedef struct {
	typeset_t types;
	uint8_t rdata[RDATA_MAX];
} scratch_t;

static void ts_add(typeset_t *ts, uint16_t type)
{
	uint8_t win = (uint8_t)(type >> 8);
	uint8_t oct = (uint8_t)((type & 0xff) >> 3);

	if (ts->len[win] == 0) {
		ts->used[ts->nused++] = win;
	}
	if (ts->len[win] < oct + 1) {
		ts->len[win] = (uint8_t)(oct + 1);
	}
	ts->bits[win][oct] |= (uint8_t)(0x80 >> (type & 7));
}

/* Writes the bitmap to out (BITMAP_MAX bytes), returns its length and
 * empties the set. */
static size_t ts_encode(typeset_t *ts, uint8_t *out)
{
	size_t pos = 0;

	/* windows must be in increasing order; there are seldom more than
	 * two */
	for (unsigned i = 1; i < ts->nused; i++) {
		uint8_t w = ts->used[i];
		unsigned j = i;
		while (j > 0 && ts->used[j - 1] > w) {
			ts->used[j] = ts->used[j - 1];
			j--;
		}
		ts->used[j] = w;
	}
	for (unsigned i = 0; i < ts->nused; i++) {
		uint8_t w = ts->used[i];
		out[pos++] = w;
		out[pos++] = ts->len[w];
		memcpy(out + pos, ts->bits[w], ts->len[w]);
		pos += ts->len[w];
		memset(ts->bits[w], 0, ts->len[w]);
		ts->len[w] = 0;
	}
	ts->nused = 0;
	return pos;
}

/* Adds the types of a node.  At a delegation the parent is authoritative
 * only for NS and DS: other types there are glue, whose bits must be clear
 * (RFC 4035 §2.3). */
static void ts_add_node(typeset_t *ts, const sigil_node_t *n)
{
	bool deleg = (n->flags & SIGIL_NODE_DELEG) != 0;

	for (uint32_t i = 0; i < n->rr_count; i++) {
		uint16_t t = n->rrs[i].type;
		if (i > 0 && n->rrs[i - 1].type == t) {
			continue;
		}
		if (deleg && t != SIGIL_T_NS && t != SIGIL_T_DS) {
			continue;
		}
		ts_add(ts, t);
	}
}

/* --- shared checks ----------------------------------------------------- */

/* TTL of NSEC and NSEC3 records: min(SOA TTL, SOA MINIMUM) (RFC 9077
 * §3), as negative answers are cached for that long (RFC 2308 §5). */
static int denial_ttl(const sigil_zone_t *zone, uint32_t *ttl,
                      sigil_denial_error_t *err)
{
	const sigil_node_t *apex = sigil_zone_apex_node(zone);
	size_t cnt = 0;
	const sigil_rr_t *soa =
		apex ? sigil_node_rrset(apex, SIGIL_T_SOA, &cnt) : NULL;

	if (soa == NULL) {
		return fail(err, SIGIL_ENOSOA,
		            "the zone has no SOA at its apex");
	}
	size_t l1 = sigil_dname_parse(soa->rdata, soa->rdlen);
	size_t l2 =
		l1 ? sigil_dname_parse(soa->rdata + l1, soa->rdlen - l1) : 0;
	if (l2 == 0 || soa->rdlen != l1 + l2 + 20) {
		return fail(err, SIGIL_ENOSOA,
		            "the apex SOA RDATA is malformed");
	}
	const uint8_t *m = soa->rdata + soa->rdlen - 4;
	uint32_t minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	                   (uint32_t)m[2] << 8 | m[3];
	*ttl = soa->ttl < minimum ? soa->ttl : minimum;
	return SIGIL_EOK;
}

/* The builders start from the unsigned data: records left from an earlier
 * signing would be duplicated or contradict the new chain.  An NSEC3PARAM
 * equal to param (the one the builder would add) is accepted, so that the
 * caller may put it at the apex itself; *have_param says it is there. */
static int check_unsigned(const sigil_zone_t *zone, const uint8_t *param,
                          size_t param_len, bool *have_param,
                          sigil_denial_error_t *err)
{
	size_t count = sigil_zone_node_count(zone);

	*have_param = false;
	for (size_t i = 0; i < count; i++) {
		const sigil_node_t *n = sigil_zone_node(zone, i);
		for (uint32_t k = 0; k < n->rr_count; k++) {
			const sigil_rr_t *rr = &n->rrs[k];
			uint16_t t = rr->type;
			bool dnssec = t == SIGIL_T_RRSIG || t == SIGIL_T_NSEC ||
			              t == SIGIL_T_NSEC3;
			if (t == SIGIL_T_NSEC3PARAM) {
				dnssec = param == NULL || *have_param ||
				         !(n->flags & SIGIL_NODE_APEX) ||
				         rr->rdlen != param_len ||
				         memcmp(rr->rdata, param, param_len) !=
				                 0;
				*have_param = !dnssec;
			}
			if (dnssec) {
				char name[SIGIL_DNAME_TXT_MAXLEN], tn[16];
				sigil_dname_to_str(name, n->owner);
				return fail(err, SIGIL_EINVAL,
				            "%s %s: the zone must hold no "
				            "DNSSEC denial records or "
				            "signatures before the chain "
				            "is built",
				            name, sigil_rrtype_name(t, tn));
			}
		}
	}
	return SIGIL_EOK;
}

static bool is_authoritative(const sigil_node_t *n)
{
	return !(n->flags & (SIGIL_NODE_NONAUTH | SIGIL_NODE_OUTSIDE));
}

/* --- NSEC -------------------------------------------------------------- */

static int add_nsec(sigil_zone_t *zone, scratch_t *s, sigil_node_t *n,
                    const uint8_t *next, uint32_t ttl)
{
	size_t nl = sigil_dname_len(next);

	/* The next name is written in lowercase: RFC 6840 §5.1 took NSEC
	 * out of the types whose names are lowercased for signing, and
	 * validators older than that still lowercase; a lowercase name gives
	 * the same signed data under both readings. */
	sigil_dname_tolower(s->rdata, next);
	ts_add_node(&s->types, n);
	ts_add(&s->types, SIGIL_T_NSEC);
	ts_add(&s->types, SIGIL_T_RRSIG);
	size_t bl = ts_encode(&s->types, s->rdata + nl);
	uint8_t *rdata = sigil_zone_alloc(zone, nl + bl);
	if (rdata == NULL) {
		return SIGIL_ENOMEM;
	}
	memcpy(rdata, s->rdata, nl + bl);
	sigil_rr_t rr = {
		.rdata = rdata,
		.rdlen = (uint16_t)(nl + bl),
		.ttl = ttl,
		.type = SIGIL_T_NSEC,
	};
	/* into the node itself: the zone stays in order */
	return sigil_zone_node_append(zone, n, &rr, 1);
}

int sigil_denial_nsec(sigil_zone_t *zone, sigil_denial_stats_t *stats,
                      sigil_denial_error_t *err)
{
	size_t count = sigil_zone_node_count(zone);
	const sigil_node_t *apex = sigil_zone_apex_node(zone);
	sigil_node_t *prev = NULL;
	scratch_t *s = NULL;
	uint64_t made = 0;
	uint32_t ttl = 0;
	bool have_param;
	int ret;

	ret = denial_ttl(zone, &ttl, err);
	if (ret == SIGIL_EOK) {
		ret = check_unsigned(zone, NULL, 0, &have_param, err);
	}
	if (ret == SIGIL_EOK) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			ret = SIGIL_ENOMEM;
		}
	}
	for (size_t i = 0; i < count && ret == SIGIL_EOK; i++) {
		sigil_node_t *n = sigil_zone_node(zone, i);
		if (!is_authoritative(n)) {
			continue;
		}
		if (prev != NULL) {
			ret = add_nsec(zone, s, prev, n->owner, ttl);
			made++;
		}
		prev = n;
	}
	if (ret == SIGIL_EOK && prev != NULL) {
		ret = add_nsec(zone, s, prev, apex->owner, ttl);
		made++;
	}
	if (ret == SIGIL_ENOMEM) {
		fail(err, ret, "out of memory building the NSEC chain");
	}
	if (stats != NULL) {
		*stats = (sigil_denial_stats_t){
			.records = ret == SIGIL_EOK ? made : 0, .ttl = ttl};
	}
	free(s);
	return ret;
}

/* --- NSEC3 ------------------------------------------------------------- */

void sigil_denial_nsec3_default(sigil_nsec3_conf_t *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->alg = SIGIL_NSEC3_HASH_SHA1;
	conf->threads = 1;
}

/* What an NSEC3 stands for, which decides its bitmap. */
enum kind {
	K_APEX,
	K_AUTH,     /* authoritative data: signed */
	K_SECURE,   /* delegation with DS */
	K_INSECURE, /* delegation without DS (no opt-out) */
	K_EMPTY,    /* empty non-terminal, or a node without records */
};

typedef struct {
	uint8_t hash[SIGIL_NSEC3_SHA1_LEN];
	uint8_t kind;
	const sigil_node_t *node; /* NULL for an empty non-terminal */
	const uint8_t *owner; /* the original name: a node's owner or suffix */
} entry_t;

typedef struct {
	entry_t *e;
	size_t n, cap;
	uint64_t empty, opted_out;
} names_t;

static int names_push(names_t *ns, uint8_t kind, const sigil_node_t *node,
                      const uint8_t *owner)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 4096;
		entry_t *p = realloc(ns->e, cap * sizeof(*p));
		if (p == NULL) {
			return SIGIL_ENOMEM;
		}
		ns->e = p;
		ns->cap = cap;
	}
	ns->e[ns->n++] = (entry_t){.kind = kind, .node = node, .owner = owner};
	if (node == NULL) {
		ns->empty++;
	}
	return SIGIL_EOK;
}

/* The ancestors of the current name by label count.  In canonical order a
 * name comes right before its descendants, so an ancestor of a node that
 * is itself a node is already on this stack when the node is reached; the
 * other ancestors are empty non-terminals. */
typedef struct {
	const uint8_t *key; /* key of a node at or below this ancestor */
	size_t key_len;     /* length of this ancestor's key */
	const uint8_t *owner;
	bool empty;
	bool listed; /* has its entry already */
} level_t;

/* Lists every name that gets an NSEC3, in canonical order (the hashes are
 * computed afterwards).  Empty non-terminals are listed when a descendant
 * is, so that with opt-out those that lead only to insecure delegations
 * get none (RFC 5155 §7.1). */
static int collect_names(const sigil_zone_t *zone, bool opt_out, names_t *ns)
{
	size_t count = sigil_zone_node_count(zone);
	unsigned apex_labels = sigil_dname_labels(sigil_zone_apex(zone));
	level_t *lv = calloc(SIGIL_DNAME_MAXLABELS + 1, sizeof(*lv));
	int ret = SIGIL_EOK;

	if (lv == NULL) {
		return SIGIL_ENOMEM;
	}
	for (size_t i = 0; i < count && ret == SIGIL_EOK; i++) {
		const sigil_node_t *n = sigil_zone_node(zone, i);
		if (!is_authoritative(n)) {
			continue;
		}
		uint8_t kind = K_AUTH;
		if (n->flags & SIGIL_NODE_APEX) {
			kind = K_APEX;
		} else if (n->flags & SIGIL_NODE_DELEG) {
			kind = (n->flags & SIGIL_NODE_DS) ? K_SECURE :
			                                    K_INSECURE;
		} else if (n->rr_count == 0) {
			kind = K_EMPTY;
		}
		unsigned labels = sigil_dname_labels(n->owner);
		if (labels > apex_labels) {
			unsigned d = apex_labels + 1;
			for (; d < labels; d++) {
				size_t kl = sigil_dname_key_ancestor_len(
					n->key, n->key_len, d);
				if (lv[d].key == NULL || lv[d].key_len != kl ||
				    memcmp(lv[d].key, n->key, kl) != 0) {
					break;
				}
			}
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
					.empty = true,
				};
			}
			lv[labels] = (level_t){.key = n->key,
			                       .key_len = n->key_len,
			                       .owner = n->owner};
		}
		if (kind == K_INSECURE && opt_out) {
			ns->opted_out++;
			continue;
		}
		for (unsigned k = apex_labels + 1;
		     k < labels && ret == SIGIL_EOK; k++) {
			if (lv[k].empty && !lv[k].listed) {
				ret = names_push(ns, K_EMPTY, NULL,
				                 lv[k].owner);
				lv[k].listed = true;
			}
		}
		if (ret == SIGIL_EOK) {
			ret = names_push(ns, kind, n, n->owner);
		}
	}
	free(lv);
	return ret;
}

typedef struct {
	entry_t *e;
	size_t lo, hi;
	const sigil_nsec3_conf_t *conf;
	int ret;
} hash_job_t;

static void *hash_run(void *arg)
{
	hash_job_t *j = arg;
	const sigil_nsec3_conf_t *c = j->conf;

	j->ret = SIGIL_EOK;
	for (size_t i = j->lo; i < j->hi && j->ret == SIGIL_EOK; i++) {
		j->ret = sigil_nsec3_hash(c->alg, c->iterations, c->salt,
		                          c->salt_len, j->e[i].owner,
		                          j->e[i].hash);
	}
	return NULL;
}

/* Hashes every entry, in conf->threads threads when there are enough
 * names.  A thread that cannot be started leaves its share to the calling
 * thread: the result does not depend on how many run. */
static int hash_names(names_t *ns, const sigil_nsec3_conf_t *conf)
{
	unsigned nt = conf->threads ? conf->threads : 1;
	hash_job_t *jobs = NULL;
	pthread_t *tids = NULL;
	bool *started = NULL;
	int ret = SIGIL_EOK;

	if (nt > HASH_THREADS_MAX) {
		nt = HASH_THREADS_MAX;
	}
	if (ns->n / nt < HASH_PER_THREAD_MIN) {
		nt = (unsigned)(ns->n / HASH_PER_THREAD_MIN);
	}
	if (nt <= 1) {
		hash_job_t one = {.e = ns->e, .hi = ns->n, .conf = conf};
		hash_run(&one);
		return one.ret;
	}
	jobs = calloc(nt, sizeof(*jobs));
	tids = calloc(nt, sizeof(*tids));
	started = calloc(nt, sizeof(*started));
	if (jobs == NULL || tids == NULL || started == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	for (unsigned t = 0; t < nt; t++) {
		jobs[t] = (hash_job_t){.e = ns->e,
		                       .lo = ns->n * t / nt,
		                       .hi = ns->n * (t + 1) / nt,
		                       .conf = conf};
		/* the calling thread takes the last share itself */
		if (t + 1 < nt) {
			started[t] = pthread_create(&tids[t], NULL, hash_run,
			                            &jobs[t]) == 0;
		}
	}
	for (unsigned t = 0; t < nt; t++) {
		if (!started[t]) {
			hash_run(&jobs[t]);
		}
	}
	for (unsigned t = 0; t < nt; t++) {
		if (started[t]) {
			pthread_join(tids[t], NULL);
		}
		if (ret == SIGIL_EOK) {
			ret = jobs[t].ret;
		}
	}
out:
	free(jobs);
	free(tids);
	free(started);
	return ret;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const entry_t *)a)->hash, ((const entry_t *)b)->hash,
	              SIGIL_NSEC3_SHA1_LEN);
}

/* NSEC3PARAM RDATA (RFC 5155 §4.2) with flags 0; returns its length. */
static size_t param_rdata(uint8_t *out, const sigil_nsec3_conf_t *c)
{
	out[0] = c->alg;
	out[1] = 0;
	out[2] = (uint8_t)(c->iterations >> 8);
	out[3] = (uint8_t)c->iterations;
	out[4] = c->salt_len;
	memcpy(out + 5, c->salt, c->salt_len);
	return 5u + c->salt_len;
}

static int add_nsec3(sigil_zone_t *zone, scratch_t *s,
                     const sigil_nsec3_conf_t *c, const entry_t *e,
                     const uint8_t *next, uint32_t ttl)
{
	uint8_t owner[SIGIL_DNAME_MAXLEN + 34];
	const uint8_t *apex = sigil_zone_apex(zone);
	uint8_t *d = s->rdata;
	size_t pos;

	/* base32hex of the hash as one label above the apex (RFC 5155
	 * §3.3), in lowercase like the apex: the owner is then already in
	 * the canonical form signatures are computed over */
	owner[0] = (uint8_t)sigil_base32hex_encode((char *)owner + 1, e->hash,
	                                           SIGIL_NSEC3_SHA1_LEN);
	memcpy(owner + 1 + owner[0], apex, sigil_dname_len(apex));

	pos = param_rdata(d, c);
	d[1] = c->opt_out ? SIGIL_NSEC3_FLAG_OPTOUT : 0;
	d[pos++] = SIGIL_NSEC3_SHA1_LEN;
	memcpy(d + pos, next, SIGIL_NSEC3_SHA1_LEN);
	pos += SIGIL_NSEC3_SHA1_LEN;
	switch (e->kind) {
	case K_APEX:
		/* the NSEC3PARAM is added with the chain, and signed */
		ts_add(&s->types, SIGIL_T_NSEC3PARAM);
		/* fall through */
	case K_AUTH:
		ts_add_node(&s->types, e->node);
		ts_add(&s->types, SIGIL_T_RRSIG);
		break;
	case K_SECURE:
		/* the DS RRset is the parent's and signed */
		ts_add(&s->types, SIGIL_T_NS);
		ts_add(&s->types, SIGIL_T_DS);
		ts_add(&s->types, SIGIL_T_RRSIG);
		break;
	case K_INSECURE:
		/* nothing is signed at an insecure delegation */
		ts_add(&s->types, SIGIL_T_NS);
		break;
	default:
		break;
	}
	pos += ts_encode(&s->types, d + pos);
	sigil_rr_t rr = {
		.rdata = d,
		.rdlen = (uint16_t)pos,
		.ttl = ttl,
		.type = SIGIL_T_NSEC3,
	};
	sigil_node_t *node = sigil_zone_add_node(zone, owner, &rr, 1, 0);
	if (node == NULL) {
		return SIGIL_ENOMEM;
	}
	/* what sigil_zone_classify would say of a hashed owner */
	node->flags |= SIGIL_NODE_HASHED;
	return SIGIL_EOK;
}

static int collision(sigil_denial_error_t *err, const entry_t *a,
                     const entry_t *b)
{
	char na[SIGIL_DNAME_TXT_MAXLEN], nb[SIGIL_DNAME_TXT_MAXLEN], h[40];

	sigil_dname_to_str(na, a->owner);
	sigil_dname_to_str(nb, b->owner);
	sigil_base32hex_encode(h, a->hash, SIGIL_NSEC3_SHA1_LEN);
	return fail(err, SIGIL_EAMBIGUOUS,
	            "NSEC3 hash collision: %s and %s both hash to %s; "
	            "choose another salt (RFC 5155 §7.1)",
	            na, nb, h);
}

int sigil_denial_nsec3(sigil_zone_t *zone, const sigil_nsec3_conf_t *conf,
                       sigil_denial_stats_t *stats, sigil_denial_error_t *err)
{
	const uint8_t *apex = sigil_zone_apex(zone);
	uint8_t param[5 + 255];
	size_t param_len = param_rdata(param, conf);
	names_t ns = {0};
	scratch_t *s = NULL;
	uint32_t ttl = 0;
	bool have_param = false;
	int ret = SIGIL_EOK;

	if (conf->alg != SIGIL_NSEC3_HASH_SHA1) {
		return fail(err, SIGIL_EALGORITHM,
		            "NSEC3 hash algorithm %u is not supported",
		            conf->alg);
	}
	/* an owner is one label of 32 characters above the apex */
	if (apex == NULL || sigil_dname_len(apex) + 33 > SIGIL_DNAME_MAXLEN) {
		return fail(err, apex ? SIGIL_ERANGE : SIGIL_ENOSOA,
		            apex ? "the apex name is too long for NSEC3 owner "
		                   "names" :
		                   "the zone has no apex");
	}
	ret = denial_ttl(zone, &ttl, err);
	if (ret == SIGIL_EOK) {
		ret = check_unsigned(zone, param, param_len, &have_param, err);
	}
	if (ret == SIGIL_EOK) {
		ret = collect_names(zone, conf->opt_out, &ns);
	}
	if (ret == SIGIL_EOK) {
		ret = hash_names(&ns, conf);
		if (ret != SIGIL_EOK && ret != SIGIL_ENOMEM) {
			fail(err, ret, "NSEC3 hashing failed");
		}
	}
	if (ret == SIGIL_EOK) {
		qsort(ns.e, ns.n, sizeof(*ns.e), entry_cmp);
		for (size_t i = 1; i < ns.n && ret == SIGIL_EOK; i++) {
			if (memcmp(ns.e[i - 1].hash, ns.e[i].hash,
			           SIGIL_NSEC3_SHA1_LEN) == 0) {
				ret = collision(err, &ns.e[i - 1], &ns.e[i]);
			}
		}
	}
	if (ret == SIGIL_EOK) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			ret = SIGIL_ENOMEM;
		}
	}
	for (size_t i = 0; i < ns.n && ret == SIGIL_EOK; i++) {
		/* the last hash points back to the first (RFC 5155 §3.1.7) */
		const uint8_t *next = ns.e[i + 1 < ns.n ? i + 1 : 0].hash;
		ret = add_nsec3(zone, s, conf, &ns.e[i], next, ttl);
	}
	/* NSEC3PARAM TTL: RFC 5155 sets none.  Servers, not resolvers, use
	 * it; it describes the chain, so it follows the chain's records:
	 * a parameter change then ages out of caches with them (the
	 * RFC 5155 Appendix A example gives them the same TTL too). */
	if (ret == SIGIL_EOK && !have_param) {
		/* into the apex node, so that the new nodes stay one
		 * sorted run for sigil_zone_finish to merge */
		uint8_t *rdata = sigil_zone_alloc(zone, param_len);
		sigil_rr_t rr = {.rdata = rdata,
		                 .rdlen = (uint16_t)param_len,
		                 .ttl = ttl,
		                 .type = SIGIL_T_NSEC3PARAM};
		if (rdata == NULL) {
			ret = SIGIL_ENOMEM;
		} else {
			memcpy(rdata, param, param_len);
			ret = sigil_zone_node_append(
				zone, sigil_zone_apex_node(zone), &rr, 1);
		}
	}
	if (ret == SIGIL_ENOMEM) {
		fail(err, ret, "out of memory building the NSEC3 chain");
	}
	if (stats != NULL) {
		*stats = (sigil_denial_stats_t){
			.records = ret == SIGIL_EOK ? ns.n : 0,
			.empty_nonterm = ns.empty,
			.opted_out = ns.opted_out,
			.ttl = ttl,
		};
	}
	free(s);
	free(ns.e);
	return ret;
}
