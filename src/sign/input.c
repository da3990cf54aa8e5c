/* Input of the signer: the zone file loaded and checked (errors of the
 * input are reported as such, with file and line, before anything is
 * signed), its old DNSSEC records dropped, RRset TTLs made equal and the
 * SOA serial set by the policy. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/key.h"
#include "dns/load.h"
#include "dns/name.h"
#include "sign/internal.h"
#include "util/error.h"
#include "util/wire.h"

static bool is_dnssec(uint16_t type)
{
	return type == SIGIL_T_RRSIG || type == SIGIL_T_NSEC ||
	       type == SIGIL_T_NSEC3 || type == SIGIL_T_NSEC3PARAM;
}

/* Old DNSSEC records go; the apex DNSKEY RRset comes from the key
 * database and ZONEMD is recomputed (or dropped: a stale digest would
 * make the zone fail verification at its consumers). */
static bool keep_rr(const sigil_node_t *node, const sigil_rr_t *rr, void *ctx)
{
	(void)ctx;
	if (is_dnssec(rr->type)) {
		return false;
	}
	if (node->flags & SIGIL_NODE_APEX) {
		return rr->type != SIGIL_T_DNSKEY && rr->type != SIGIL_T_ZONEMD;
	}
	return true;
}

/* RFC 2181 §5.2: the RRs of an RRset share one TTL; the lowest wins. */
static void ttls_normalise(sigil_zone_t *zone)
{
	for (size_t i = 0; i < sigil_zone_node_count(zone); i++) {
		sigil_node_t *n = sigil_zone_node(zone, i);

		for (uint32_t k = 0; k < n->rr_count;) {
			uint32_t j = k, ttl = n->rrs[k].ttl;

			while (j < n->rr_count &&
			       n->rrs[j].type == n->rrs[k].type) {
				ttl = n->rrs[j].ttl < ttl ? n->rrs[j].ttl : ttl;
				j++;
			}
			for (uint32_t m = k; m < j; m++) {
				n->rrs[m].ttl = ttl;
			}
			k = j;
		}
	}
}

/* The new serial by the policy; RFC 1982 arithmetic: it must be greater
 * than the old one, or secondaries would not take the signed zone. */
static uint32_t serial_next(uint32_t old, enum sigil_serial_policy p,
                            uint64_t now)
{
	uint32_t want;
	time_t t = (time_t)now;
	struct tm tm;

	switch (p) {
	case SIGIL_SERIAL_KEEP:
		return old;
	case SIGIL_SERIAL_UNIXTIME:
		want = (uint32_t)now;
		break;
	case SIGIL_SERIAL_DATESERIAL:
		gmtime_r(&t, &tm);
		want = (uint32_t)((tm.tm_year + 1900) * 1000000 +
		                  (tm.tm_mon + 1) * 10000 + tm.tm_mday * 100);
		break;
	case SIGIL_SERIAL_INCREMENT:
	default:
		want = old + 1;
		break;
	}
	/* Not newer in serial arithmetic: one more than the old one. */
	if (want == old || (int32_t)(want - old) < 0) {
		want = old + 1;
	}
	return want;
}

/* Sets the SOA serial; returns the SOA's RR (for TTLs) or NULL. */
static sigil_rr_t *soa_update(sigil_zone_t *zone, const sigil_sign_opts_t *o,
                              sigil_sign_report_t *rep)
{
	sigil_node_t *apex = sigil_zone_apex_node(zone);
	size_t n = 0;
	sigil_rr_t *soa = apex ? sigil_node_rrset(apex, SIGIL_T_SOA, &n) : NULL;
	const uint8_t *rd;
	uint8_t *copy;
	size_t off;

	if (soa == NULL || n != 1) {
		return NULL;
	}
	rd = soa->rdata;
	off = sigil_dname_len(rd);
	off += sigil_dname_len(rd + off);
	if (off + 20 != soa->rdlen) {
		return NULL;
	}
	rep->serial_old = sigil_get32(rd + off);
	rep->serial_new =
		serial_next(rep->serial_old, o->policy.serial, o->now);
	copy = sigil_zone_alloc(zone, soa->rdlen);
	if (copy == NULL) {
		return NULL;
	}
	memcpy(copy, rd, soa->rdlen);
	sigil_put32(copy + off, rep->serial_new);
	soa->rdata = copy;
	return soa;
}

/* An input error about node: file, line and owner named. */
static int input_error(sigil_sign_error_t *err, int code, const char *in,
                       const sigil_node_t *n, const char *what)
{
	char name[SIGIL_DNAME_TXT_MAXLEN];

	sigil_dname_to_str(name, n->owner);
	snprintf(err->file, sizeof(err->file), "%s", in);
	err->line = n->line;
	return sign_fail(err, code, "%s %s", name, what);
}

/* What a zone must be before it is signed: errors of the input, found
 * here so that they are reported as such and not by the gate as a
 * signer bug. */
static int input_check(const sigil_zone_t *zone, const char *in,
                       sigil_sign_error_t *err)
{
	const uint8_t *dname = NULL; /* innermost DNAME owner above */
	char apex[SIGIL_DNAME_TXT_MAXLEN];
	size_t n_ns = 0, n_ds = 0;
	sigil_node_t *top = sigil_zone_apex_node(zone);

	sigil_dname_to_str(apex, sigil_zone_apex(zone));
	if (sigil_node_rrset(top, SIGIL_T_NS, &n_ns) == NULL) {
		return input_error(err, SIGIL_ESYNTAX, in, top,
		                   "(the apex) has no NS RRset");
	}
	if (sigil_node_rrset(top, SIGIL_T_DS, &n_ds) != NULL) {
		return input_error(err, SIGIL_ESYNTAX, in, top,
		                   "(the apex) has a DS RRset: DS records of a "
		                   "zone belong in its parent");
	}
	for (size_t i = 0; i < sigil_zone_node_count(zone); i++) {
		const sigil_node_t *n = sigil_zone_node(zone, i);
		bool cname = false, other = false;
		char what[SIGIL_DNAME_TXT_MAXLEN + 64];

		if (n->flags & SIGIL_NODE_OUTSIDE) {
			snprintf(what, sizeof(what), "is outside the zone %s",
			         apex);
			return input_error(err, SIGIL_EOUTOFZONE, in, n, what);
		}
		/* RFC 6672 §2.3: no data below a DNAME. */
		if (dname != NULL &&
		    sigil_dname_is_subdomain(n->owner, dname) &&
		    !sigil_dname_equal(n->owner, dname)) {
			return input_error(err, SIGIL_ESYNTAX, in, n,
			                   "is below a DNAME (RFC 6672 2.3: a "
			                   "DNAME owner has no descendants)");
		}
		for (uint32_t k = 0; k < n->rr_count; k++) {
			uint16_t t = n->rrs[k].type;

			if (t == SIGIL_T_CNAME) {
				cname = true;
			} else if (t != SIGIL_T_RRSIG && t != SIGIL_T_NSEC &&
			           t != SIGIL_T_NSEC3) {
				other = true;
			}
			if (t == SIGIL_T_DNAME &&
			    !(n->flags & SIGIL_NODE_NONAUTH)) {
				dname = n->owner;
			}
		}
		/* RFC 2181 §10.1, RFC 4035 §2.5: a CNAME has no other data
		 * but its own DNSSEC records. */
		if (cname && other) {
			return input_error(err, SIGIL_ESYNTAX, in, n,
			                   "has a CNAME beside other data "
			                   "(RFC 2181 10.1)");
		}
	}
	return SIGIL_EOK;
}

/* Each node's records are put in order as soon as the node is read, by a
 * second thread while the parser goes on: the node is still in a cache
 * then (done later, over the ordered zone, every node is a miss: a second
 * for a million names), and the parser's thread is the one that limits
 * loading.  Nodes go over in batches through a small ring; nodes never
 * move, and the parser does not touch a node once it is handed over. */
#define SORT_BATCH 256
#define SORT_RING 64

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sigil_node_t *ring[SORT_RING][SORT_BATCH];
	size_t len[SORT_RING];
	size_t head, count; /* batches waiting, from head */
	bool done;
	sigil_node_t *fill[SORT_BATCH]; /* the parser's batch being filled */
	size_t nfill;
	bool threaded;
	bool dnssec; /* a record the signer replaces was seen */
} sorter_t;

/* Sorts node; true when it holds a record the signer replaces (keep_rr
 * decides which go: one pass over the zone spared when none is there). */
static bool node_take(sigil_node_t *node)
{
	bool dnssec = false;

	sigil_node_sort(node);
	for (uint32_t k = 0; k < node->rr_count; k++) {
		uint16_t t = node->rrs[k].type;
		dnssec |= is_dnssec(t) || t == SIGIL_T_DNSKEY ||
		          t == SIGIL_T_ZONEMD;
	}
	return dnssec;
}

static void *sorter_main(void *p)
{
	sorter_t *s = p;
	sigil_node_t *batch[SORT_BATCH];

	for (;;) {
		size_t n;

		pthread_mutex_lock(&s->lock);
		while (s->count == 0 && !s->done) {
			pthread_cond_wait(&s->cond, &s->lock);
		}
		if (s->count == 0) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		n = s->len[s->head];
		memcpy(batch, s->ring[s->head], n * sizeof(*batch));
		s->head = (s->head + 1) % SORT_RING;
		s->count--;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		bool dnssec = false;
		for (size_t i = 0; i < n; i++) {
			dnssec |= node_take(batch[i]);
		}
		if (dnssec) {
			pthread_mutex_lock(&s->lock);
			s->dnssec = true;
			pthread_mutex_unlock(&s->lock);
		}
	}
}

/* Hands the parser's batch over (or sorts it here without a thread). */
static void sorter_push(sorter_t *s)
{
	if (!s->threaded) {
		for (size_t i = 0; i < s->nfill; i++) {
			s->dnssec |= node_take(s->fill[i]);
		}
		s->nfill = 0;
		return;
	}
	pthread_mutex_lock(&s->lock);
	while (s->count == SORT_RING) {
		pthread_cond_wait(&s->cond, &s->lock);
	}
	size_t slot = (s->head + s->count) % SORT_RING;
	memcpy(s->ring[slot], s->fill, s->nfill * sizeof(*s->fill));
	s->len[slot] = s->nfill;
	s->count++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	s->nfill = 0;
}

static void node_loaded(void *ctx, sigil_node_t *node)
{
	sorter_t *s = ctx;

	s->fill[s->nfill++] = node;
	if (s->nfill == SORT_BATCH) {
		sorter_push(s);
	}
}

int sign_input_load(srun_t *run, const char *in, sigil_sign_report_t *rep,
                    sigil_sign_error_t *err)
{
	sorter_t *s = calloc(1, sizeof(*s));
	sigil_load_opts_t lo = {
		.origin = run->opts->origin, .on_node = node_loaded, .ctx = s};
	sigil_load_error_t lerr;
	pthread_t th;
	int ret;

	if (s == NULL) {
		return sign_fail(err, SIGIL_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->threaded = run->nthreads > 1 &&
	              pthread_create(&th, NULL, sorter_main, s) == 0;
	ret = sigil_zone_load(run->zone, in, &lo, &lerr);
	if (s->nfill > 0) {
		sorter_push(s);
	}
	if (s->threaded) {
		pthread_mutex_lock(&s->lock);
		s->done = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(th, NULL);
	}
	run->input_dnssec = s->dnssec;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
	if (ret != SIGIL_EOK) {
		snprintf(err->file, sizeof(err->file), "%s", lerr.file);
		err->line = lerr.line;
		return sign_fail(err, ret, "%s", lerr.message);
	}
	rep->records_in = sigil_zone_rr_count(run->zone); /* as read */
	ret = sign_refinish(run->zone);
	if (ret == SIGIL_EOK) {
		/* Every later step walks the zone in order: nodes in order in
		 * memory make those walks sequential. */
		ret = sigil_zone_compact(run->zone);
	}
	if (ret != SIGIL_EOK) {
		return sign_fail(err, ret, "%s", sigil_strerror(ret));
	}
	if (sigil_zone_apex_node(run->zone) == NULL) {
		return sign_fail(err, SIGIL_ENOSOA,
		                 "%s: no SOA record at the apex", in);
	}
	ret = input_check(run->zone, in, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	return SIGIL_EOK;
}

int sign_input_prepare(srun_t *run, sigil_sign_report_t *rep, sigil_rr_t **soa,
                       sigil_sign_error_t *err)
{
	if (run->input_dnssec) {
		sigil_zone_filter(run->zone, keep_rr, NULL);
	}
	ttls_normalise(run->zone);
	*soa = soa_update(run->zone, run->opts, rep);
	if (*soa == NULL) {
		return sign_fail(
			err, SIGIL_EMALFORMED,
			"%s: the apex must hold exactly one valid SOA record",
			rep->zone);
	}
	return SIGIL_EOK;
}

/* One apex CDS or CDNSKEY record against the DNSKEY RRset: 1 it names one
 * of the keys (or sigil cannot compute its digest: the gate warns), 0
 * not, or a negative error. */
static int cds_names_key(const sigil_rr_t *rr, const uint8_t *apex,
                         const sigil_rr_t *keys, size_t nkeys)
{
	bool unknown_digest = false;

	for (size_t k = 0; k < nkeys; k++) {
		if (rr->type == SIGIL_T_CDNSKEY) {
			if (keys[k].rdlen == rr->rdlen &&
			    memcmp(keys[k].rdata, rr->rdata, rr->rdlen) == 0) {
				return 1;
			}
			continue;
		}
		int r = sigil_ds_matches(rr->rdata, rr->rdlen, apex,
		                         keys[k].rdata, keys[k].rdlen);
		if (r == 1) {
			return 1;
		}
		if (r == SIGIL_EDIGEST) {
			unknown_digest = true;
		} else if (r < 0) {
			return r;
		}
	}
	return unknown_digest ? 1 : 0;
}

int sign_input_cds(srun_t *run, const char *in, sigil_sign_error_t *err)
{
	sigil_node_t *apex = sigil_zone_apex_node(run->zone);
	static const uint16_t types[] = {SIGIL_T_CDS, SIGIL_T_CDNSKEY};
	size_t nkeys = 0;
	const sigil_rr_t *keys = sigil_node_rrset(apex, SIGIL_T_DNSKEY, &nkeys);

	for (size_t t = 0; t < 2; t++) {
		const char *tn = types[t] == SIGIL_T_CDS ? "CDS" : "CDNSKEY";
		char what[256];
		size_t n = 0;
		const sigil_rr_t *rrs = sigil_node_rrset(apex, types[t], &n);

		for (size_t i = 0; i < n; i++) {
			int r;

			if (sigil_cds_is_delete(types[t], rrs[i].rdata,
			                        rrs[i].rdlen)) {
				if (n == 1) {
					continue;
				}
				snprintf(what, sizeof(what),
				         "has the %s delete request beside "
				         "other %s records (RFC 8078 4: it "
				         "must be alone)",
				         tn, tn);
				return input_error(err, SIGIL_ESYNTAX, in, apex,
				                   what);
			}
			r = cds_names_key(&rrs[i], run->apex, keys, nkeys);
			if (r < 0) {
				return sign_fail(err, r, "%s: %s", tn,
				                 sigil_strerror(r));
			}
			if (r == 0) {
				snprintf(what, sizeof(what),
				         "has a %s record (key tag %u) for no "
				         "key of the zone in the key database: "
				         "a parent acting on it would publish "
				         "a DS that leads nowhere",
				         tn,
				         types[t] == SIGIL_T_CDS &&
				                         rrs[i].rdlen >= 2 ?
				                 (unsigned)sigil_get16(
							 rrs[i].rdata) :
				                 (unsigned)sigil_keytag(
							 rrs[i].rdata,
							 rrs[i].rdlen));
				return input_error(err, SIGIL_ESYNTAX, in, apex,
				                   what);
			}
		}
	}
	return SIGIL_EOK;
}
