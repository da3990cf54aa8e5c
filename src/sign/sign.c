/* sigil_sign_file: the steps of sign.h, in order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "dns/load.h"
#include "dns/name.h"
#include "dns/write.h"
#include "sign/denial.h"
#include "sign/internal.h"
#include "dns/zonemd.h"
#include "util/error.h"

#define ARENA_BLOCK (4u << 20)

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(sigil_sign_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(sigil_sign_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void sigil_sign_policy_default(sigil_sign_policy_t *p)
{
	memset(p, 0, sizeof(*p));
	p->nsec3 = true;
	p->validity = 14 * 86400;
	p->jitter = 86400;
	p->inception_offset = 3600;
	p->serial = SIGIL_SERIAL_INCREMENT;
}

void sigil_sign_report_free(sigil_sign_report_t *rep)
{
	if (rep == NULL) {
		return;
	}
	sigil_verify_report_free(rep->gate);
	free(rep->stores);
	free(rep->keys);
	free(rep);
}

/* --- input ------------------------------------------------------------- */

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

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
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
	rep->serial_old = rd32(rd + off);
	rep->serial_new =
		serial_next(rep->serial_old, o->policy.serial, o->now);
	copy = sigil_zone_alloc(zone, soa->rdlen);
	if (copy == NULL) {
		return NULL;
	}
	memcpy(copy, rd, soa->rdlen);
	copy[off] = (uint8_t)(rep->serial_new >> 24);
	copy[off + 1] = (uint8_t)(rep->serial_new >> 16);
	copy[off + 2] = (uint8_t)(rep->serial_new >> 8);
	copy[off + 3] = (uint8_t)rep->serial_new;
	soa->rdata = copy;
	return soa;
}

/* --- keys -------------------------------------------------------------- */

static int keys_setup(srun_t *run, const sigil_sign_key_t *keys, size_t n,
                      sigil_sign_error_t *err)
{
	bool ksk_alg[256] = {false}, zsk_alg[256] = {false};
	sigil_keystore_error_t last = {""};
	int ret;

	run->keys = calloc(n, sizeof(*run->keys));
	run->group[0] = calloc(n, sizeof(size_t));
	run->group[1] = calloc(n, sizeof(size_t));
	if (run->keys == NULL || run->group[0] == NULL ||
	    run->group[1] == NULL) {
		return fail(err, SIGIL_ENOMEM, "out of memory");
	}
	run->nkeys = n;
	for (size_t i = 0; i < n; i++) {
		const sigil_keydb_key_t *k = keys[i].key;
		skey_t *sk = &run->keys[i];

		sk->db = k;
		ret = sigil_pubkey_from_dnskey(k->rdata, k->rdlen, &sk->pub);
		if (ret != SIGIL_EOK) {
			return fail(err, SIGIL_ECONFIG,
			            "key %u: its DNSKEY does not decode (%s)",
			            (unsigned)k->tag, sigil_strerror(ret));
		}
		if (keys[i].store_count == 0) {
			return fail(err, SIGIL_ECONFIG,
			            "%s %u: no key store holds it",
			            sigil_key_role_name((int)k->role),
			            (unsigned)k->tag);
		}
		sk->stores = calloc(keys[i].store_count, sizeof(size_t));
		sk->handles = calloc(keys[i].store_count, sizeof(*sk->handles));
		if (sk->stores == NULL || sk->handles == NULL) {
			return fail(err, SIGIL_ENOMEM, "out of memory");
		}
		for (size_t s = 0; s < keys[i].store_count; s++) {
			sigil_keystore_t *ks = keys[i].stores[s];
			sigil_keystore_ref_t ref = {.alg = k->algorithm,
			                            .id = k->cka_id,
			                            .idlen = k->cka_id_len};
			size_t idx = run->nstores;

			for (size_t j = 0; j < run->nstores; j++) {
				if (run->stores[j].ks == ks) {
					idx = j;
				}
			}
			if (idx == run->nstores) {
				/* run->stores has room for every store of every
				 * key (allocated by the caller of this). */
				run->stores[idx].ks = ks;
				pthread_mutex_init(&run->stores[idx].lock,
				                   NULL);
				run->nstores++;
			}
			ret = sigil_keystore_key_open(
				ks, &ref, &sk->handles[sk->nstores], &last);
			if (ret != SIGIL_EOK) {
				/* Not usable there (the key is missing, or
				 * several objects carry its ID): that store
				 * does not sign with this key; the report
				 * says so. */
				run->stores[idx].keys_unusable++;
				snprintf(run->stores[idx].note,
				         sizeof(run->stores[idx].note), "%s",
				         last.message);
				continue;
			}
			sk->stores[sk->nstores++] = idx;
		}
		if (sk->nstores == 0) {
			return fail(err, SIGIL_EBADSIG,
			            "%s %u: no store can sign with it: %s",
			            sigil_key_role_name((int)k->role),
			            (unsigned)k->tag, last.message);
		}
		/* KSKs sign the DNSKEY RRset, ZSKs the rest, CSKs both. */
		if (k->role != SIGIL_ROLE_ZSK) {
			run->group[0][run->group_n[0]++] = i;
			ksk_alg[k->algorithm] = true;
		}
		if (k->role != SIGIL_ROLE_KSK) {
			run->group[1][run->group_n[1]++] = i;
			zsk_alg[k->algorithm] = true;
		}
	}
	/* RFC 6840 §5.11: every algorithm of the DNSKEY RRset signs every
	 * RRset, so each needs both roles. */
	for (unsigned a = 0; a < 256; a++) {
		if (ksk_alg[a] != zsk_alg[a]) {
			return fail(
				err, SIGIL_ECONFIG,
				"algorithm %u (%s) has a %s but no %s: every "
				"algorithm must sign the DNSKEY RRset and the "
				"rest of the zone",
				a, sigil_alg_name((uint8_t)a),
				ksk_alg[a] ? "KSK" : "ZSK",
				ksk_alg[a] ? "ZSK (or CSK)" : "KSK (or CSK)");
		}
	}
	if (run->group_n[0] == 0) {
		return fail(err, SIGIL_ECONFIG,
		            "no usable key: generate a KSK and a ZSK, or a CSK "
		            "(sigil keys generate)");
	}
	return SIGIL_EOK;
}

static void keys_free(srun_t *run)
{
	for (size_t i = 0; run->keys != NULL && i < run->nkeys; i++) {
		skey_t *sk = &run->keys[i];

		for (size_t s = 0; s < sk->nstores; s++) {
			sigil_keystore_key_free(sk->handles[s]);
		}
		free(sk->handles);
		free(sk->stores);
		sigil_pubkey_free(sk->pub);
	}
	free(run->keys);
	free(run->group[0]);
	free(run->group[1]);
	for (size_t s = 0; run->stores != NULL && s < run->nstores; s++) {
		pthread_mutex_destroy(&run->stores[s].lock);
	}
	free(run->stores);
}

/* The apex additions: the DNSKEY RRset (TTL of the SOA) and, with
 * ZONEMD, a placeholder for its digest.  Appended to the apex node, which
 * keeps its place: no re-sorting of the zone. */
static int apex_add(srun_t *run, const sigil_rr_t *soa, uint32_t serial,
                    sigil_sign_error_t *err)
{
	sigil_rr_t *rrs = calloc(run->nkeys + 1, sizeof(*rrs));
	uint8_t zmd[SIGIL_ZONEMD_RDATA_MAXLEN];
	uint32_t ttl = soa->ttl;
	size_t n = 0, zlen = 0;
	int ret = SIGIL_EOK;

	if (rrs == NULL) {
		return fail(err, SIGIL_ENOMEM, "out of memory");
	}
	/* The keys' RDATA is the provider's, which outlives the call but
	 * not the zone's every use: copies in the zone. */
	for (size_t i = 0; i < run->nkeys && ret == SIGIL_EOK; i++) {
		const sigil_keydb_key_t *k = run->keys[i].db;
		uint8_t *rd = sigil_zone_alloc(run->zone, k->rdlen);

		if (rd == NULL) {
			ret = SIGIL_ENOMEM;
			break;
		}
		memcpy(rd, k->rdata, k->rdlen);
		rrs[n++] = (sigil_rr_t){.type = SIGIL_T_DNSKEY,
		                        .ttl = ttl,
		                        .rdata = rd,
		                        .rdlen = (uint16_t)k->rdlen};
	}
	if (ret == SIGIL_EOK && run->opts->policy.zonemd) {
		uint8_t *rd;

		ret = sigil_zonemd_rdata(serial, SIGIL_ZONEMD_HASH_SHA384, NULL,
		                         zmd, &zlen);
		rd = ret == SIGIL_EOK ? sigil_zone_alloc(run->zone, zlen) :
		                        NULL;
		if (ret == SIGIL_EOK && rd == NULL) {
			ret = SIGIL_ENOMEM;
		}
		if (ret == SIGIL_EOK) {
			memcpy(rd, zmd, zlen);
			rrs[n++] = (sigil_rr_t){.type = SIGIL_T_ZONEMD,
			                        .ttl = ttl,
			                        .rdata = rd,
			                        .rdlen = (uint16_t)zlen};
		}
	}
	if (ret == SIGIL_EOK) {
		ret = sigil_zone_node_append(
			run->zone, sigil_zone_apex_node(run->zone), rrs, n);
	}
	free(rrs);
	return ret == SIGIL_EOK ?
	               SIGIL_EOK :
	               fail(err, ret, "apex records: %s", sigil_strerror(ret));
}

/* --- jobs -------------------------------------------------------------- */

/* Whether the RRset of type at node is signed: authoritative data, and at
 * a delegation only DS and the NSEC (RFC 4035 §2.2). */
static bool signed_rrset(const sigil_node_t *n, uint16_t type)
{
	if (n->flags & (SIGIL_NODE_NONAUTH | SIGIL_NODE_OUTSIDE)) {
		return false;
	}
	if (type == SIGIL_T_RRSIG) {
		return false;
	}
	if ((n->flags & SIGIL_NODE_DELEG) && !(n->flags & SIGIL_NODE_APEX)) {
		/* NSEC3 too: a hashed owner may be a delegation's name. */
		return type == SIGIL_T_DS || type == SIGIL_T_NSEC ||
		       type == SIGIL_T_NSEC3;
	}
	return true;
}

/* The apex DNSKEY RRset is signed by the KSKs (and CSKs), and so are CDS
 * and CDNSKEY: RFC 7344 §4.1 wants them signed by a key the parent's DS
 * names. */
static bool ksk_signs(const sigil_node_t *n, uint16_t type)
{
	return (n->flags & SIGIL_NODE_APEX) &&
	       (type == SIGIL_T_DNSKEY || type == SIGIL_T_CDS ||
	        type == SIGIL_T_CDNSKEY);
}

/* One job per signed RRset; the apex ZONEMD (when made) is signed after
 * its digest, outside the engine's pass. */
static int jobs_build(srun_t *run, sjob_t *zonemd_job)
{
	size_t cap = 1024, njobs = 0, nsigs = 0;
	sjob_t *jobs = malloc(cap * sizeof(*jobs));

	if (jobs == NULL) {
		return SIGIL_ENOMEM;
	}
	memset(zonemd_job, 0, sizeof(*zonemd_job));
	for (size_t i = 0; i < sigil_zone_node_count(run->zone); i++) {
		sigil_node_t *n = sigil_zone_node(run->zone, i);

		for (uint32_t k = 0; k < n->rr_count;) {
			uint32_t j = k;

			while (j < n->rr_count &&
			       n->rrs[j].type == n->rrs[k].type) {
				j++;
			}
			if (signed_rrset(n, n->rrs[k].type)) {
				sjob_t job = {
					.node = n,
					.rrs = &n->rrs[k],
					.rr_count = j - k,
					.type = n->rrs[k].type,
					.group = ksk_signs(n, n->rrs[k].type) ?
				                         0 :
				                         1,
				};
				if (job.type == SIGIL_T_ZONEMD &&
				    (n->flags & SIGIL_NODE_APEX)) {
					*zonemd_job = job;
				} else {
					if (njobs == cap) {
						sjob_t *p = realloc(
							jobs,
							2 * cap *
								sizeof(*jobs));
						if (p == NULL) {
							free(jobs);
							return SIGIL_ENOMEM;
						}
						jobs = p;
						cap *= 2;
					}
					job.first = nsigs;
					nsigs += run->group_n[job.group];
					jobs[njobs++] = job;
				}
			}
			k = j;
		}
	}
	run->jobs = jobs;
	run->njobs = njobs;
	run->nsigs = nsigs;
	run->sigs = calloc(nsigs ? nsigs : 1, sizeof(*run->sigs));
	return run->sigs != NULL ? SIGIL_EOK : SIGIL_ENOMEM;
}

/* Adds the RRSIGs of jobs to their nodes, which keep their places (jobs
 * of one node are adjacent: they were made in node order).  The RDATA
 * stays in the workers' arenas, which outlive the zone's use. */
static int sigs_add(srun_t *run, const sjob_t *jobs, size_t njobs,
                    const ssig_t *sigs)
{
	sigil_rr_t *rrs = NULL;
	size_t cap = 0;
	int ret = SIGIL_EOK;

	for (size_t j = 0; j < njobs && ret == SIGIL_EOK;) {
		sigil_node_t *node = jobs[j].node;
		size_t n = 0, k = j;

		for (; k < njobs && jobs[k].node == node; k++) {
			n += run->group_n[jobs[k].group];
		}
		if (n > cap) {
			sigil_rr_t *p = realloc(rrs, n * sizeof(*rrs));
			if (p == NULL) {
				ret = SIGIL_ENOMEM;
				break;
			}
			rrs = p;
			cap = n;
		}
		n = 0;
		for (size_t m = j; m < k; m++) {
			const sjob_t *job = &jobs[m];

			for (size_t i = 0; i < run->group_n[job->group]; i++) {
				const ssig_t *s = &sigs[job->first + i];

				rrs[n++] = (sigil_rr_t){.type = SIGIL_T_RRSIG,
				                        .ttl = job->rrs[0].ttl,
				                        .rdata = s->rdata,
				                        .rdlen = s->rdlen};
			}
		}
		ret = sigil_zone_node_append(run->zone, node, rrs, n);
		j = k;
	}
	free(rrs);
	return ret;
}

static int refinish(sigil_zone_t *zone)
{
	int ret = sigil_zone_finish(zone);

	if (ret == SIGIL_EOK) {
		sigil_zone_classify(zone);
	}
	return ret;
}

/* ZONEMD: the digest over the signed zone, then its own signatures. */
static int zonemd_make(srun_t *run, sigil_sign_error_t *err)
{
	uint8_t *buf = sigil_zone_alloc(run->zone, SIGIL_ZONEMD_RDATA_MAXLEN);
	sjob_t job;
	ssig_t *sigs;
	size_t n;
	int ret;

	if (buf == NULL) {
		return fail(err, SIGIL_ENOMEM, "out of memory");
	}
	ret = sigil_zonemd_update(run->zone, SIGIL_ZONEMD_HASH_SHA384, buf);
	if (ret != SIGIL_EOK) {
		return fail(err, ret, "ZONEMD: %s", sigil_strerror(ret));
	}
	/* The update changed the RDATA in place: find the RRset again. */
	sigil_node_t *apex = sigil_zone_apex_node(run->zone);
	job = (sjob_t){.node = apex, .type = SIGIL_T_ZONEMD, .group = 1};
	job.rrs = sigil_node_rrset(apex, SIGIL_T_ZONEMD, &n);
	job.rr_count = (uint32_t)n;
	if (job.rrs == NULL) {
		return fail(err, SIGIL_ENOTFOUND, "ZONEMD: no placeholder");
	}
	sigs = calloc(run->group_n[1], sizeof(*sigs));
	if (sigs == NULL) {
		return fail(err, SIGIL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < run->group_n[1] && ret == SIGIL_EOK; i++) {
		ret = sign_engine_one(run, &job, run->group[1][i], &sigs[i],
		                      run->arenas[0]);
	}
	if (ret == SIGIL_EOK) {
		ret = sigs_add(run, &job, 1, sigs);
	}
	free(sigs);
	if (ret != SIGIL_EOK) {
		return fail(err, ret, "ZONEMD: %s",
		            atomic_load(&run->fatal) ? run->fatal_msg :
		                                       sigil_strerror(ret));
	}
	return SIGIL_EOK;
}

/* --- report ------------------------------------------------------------ */

static int report_fill(const srun_t *run, sigil_sign_report_t *rep)
{
	rep->stores =
		calloc(run->nstores ? run->nstores : 1, sizeof(*rep->stores));
	rep->keys = calloc(run->nkeys ? run->nkeys : 1, sizeof(*rep->keys));
	if (rep->stores == NULL || rep->keys == NULL) {
		return SIGIL_ENOMEM;
	}
	rep->store_count = run->nstores;
	for (size_t s = 0; s < run->nstores; s++) {
		sigil_sign_store_stat_t *o = &rep->stores[s];
		const sstore_t *st = &run->stores[s];

		o->name = sigil_keystore_name(st->ks);
		o->made = atomic_load(&st->made);
		o->verified = atomic_load(&st->verified);
		o->bad = atomic_load(&st->bad);
		o->quarantined = atomic_load(&st->quarantined);
		snprintf(o->reason, sizeof(o->reason), "%s", st->reason);
		o->keys_unusable = st->keys_unusable;
		snprintf(o->note, sizeof(o->note), "%s", st->note);
		rep->signatures_verified += o->verified;
	}
	rep->key_count = run->nkeys;
	for (size_t k = 0; k < run->nkeys; k++) {
		rep->keys[k].tag = run->keys[k].db->tag;
		rep->keys[k].alg = run->keys[k].db->algorithm;
		rep->keys[k].role = run->keys[k].db->role;
		rep->keys[k].signatures = atomic_load(&run->keys[k].sigs);
	}
	rep->signatures_redone = atomic_load(&run->redone);
	return SIGIL_EOK;
}

/* --- the whole run ----------------------------------------------------- */

/* An input error about node: file, line and owner named. */
static int input_error(sigil_sign_error_t *err, int code, const char *in,
                       const sigil_node_t *n, const char *what)
{
	char name[SIGIL_DNAME_TXT_MAXLEN];

	sigil_dname_to_str(name, n->owner);
	snprintf(err->file, sizeof(err->file), "%s", in);
	err->line = n->line;
	return fail(err, code, "%s %s", name, what);
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

static int load(srun_t *run, const char *in, sigil_sign_report_t *rep,
                sigil_sign_error_t *err)
{
	sigil_load_opts_t lo = {.origin = run->opts->origin};
	sigil_load_error_t lerr;
	int ret = sigil_zone_load(run->zone, in, &lo, &lerr);

	if (ret != SIGIL_EOK) {
		snprintf(err->file, sizeof(err->file), "%s", lerr.file);
		err->line = lerr.line;
		return fail(err, ret, "%s", lerr.message);
	}
	ret = refinish(run->zone);
	if (ret != SIGIL_EOK) {
		return fail(err, ret, "%s", sigil_strerror(ret));
	}
	if (sigil_zone_apex_node(run->zone) == NULL) {
		return fail(err, SIGIL_ENOSOA, "%s: no SOA record at the apex",
		            in);
	}
	ret = input_check(run->zone, in, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	rep->records_in = sigil_zone_rr_count(run->zone);
	return SIGIL_EOK;
}

static int denial(srun_t *run, sigil_sign_report_t *rep,
                  sigil_sign_error_t *err)
{
	const sigil_sign_policy_t *p = &run->opts->policy;
	sigil_denial_stats_t st = {0};
	sigil_denial_error_t derr = {""};
	int ret;

	if (p->nsec3) {
		sigil_nsec3_conf_t c;

		sigil_denial_nsec3_default(&c);
		c.iterations = p->nsec3_iterations;
		c.salt_len = p->nsec3_salt_len;
		memcpy(c.salt, p->nsec3_salt, p->nsec3_salt_len);
		c.opt_out = p->nsec3_opt_out;
		c.threads = run->nthreads;
		ret = sigil_denial_nsec3(run->zone, &c, &st, &derr);
		rep->nsec3 = st.records;
	} else {
		ret = sigil_denial_nsec(run->zone, &st, &derr);
		rep->nsec = st.records;
	}
	if (ret != SIGIL_EOK) {
		return fail(err, ret, "%s: %s", p->nsec3 ? "NSEC3" : "NSEC",
		            derr.message[0] ? derr.message :
		                              sigil_strerror(ret));
	}
	ret = refinish(run->zone);
	return ret == SIGIL_EOK ? SIGIL_EOK :
	                          fail(err, ret, "%s", sigil_strerror(ret));
}

static int gate(srun_t *run, sigil_sign_report_t *rep, sigil_sign_error_t *err)
{
	sigil_verify_opts_t vo = {
		.now = run->opts->now,
		.threads = run->nthreads,
		.signatures_trusted = true,
	};
	int ret = sigil_verify_zone(run->zone, &vo, &rep->gate);

	if (ret != SIGIL_EOK) {
		return fail(err, ret, "gate: %s", sigil_strerror(ret));
	}
	if (!sigil_verify_report_valid(rep->gate)) {
		return fail(err, SIGIL_EMALFORMED,
		            "the signed zone failed the structural checks "
		            "(%llu errors): a signer bug; nothing was written",
		            (unsigned long long)rep->gate->errors);
	}
	return SIGIL_EOK;
}

static int output(srun_t *run, const char *out, sigil_sign_report_t *rep,
                  sigil_sign_error_t *err)
{
	sigil_write_opts_t wo = {.threads = run->nthreads};
	sigil_file_error_t ferr;
	int ret = sigil_zone_write_file(run->zone, out, 0644, &wo, &ferr);

	if (ret != SIGIL_EOK) {
		snprintf(err->file, sizeof(err->file), "%s", out);
		return fail(err, ret, "%s", ferr.message);
	}
	rep->records_out = sigil_zone_rr_count(run->zone);
	return SIGIL_EOK;
}

int sigil_sign_file(const char *in, const char *out,
                    const sigil_sign_opts_t *opts, sigil_sign_keys_fn keys_fn,
                    void *keys_ctx, sigil_sign_report_t **report,
                    sigil_sign_error_t *err)
{
	sigil_sign_opts_t o = *opts; /* the provider may set the policy */
	srun_t run = {.opts = &o};
	sigil_sign_report_t *rep = calloc(1, sizeof(*rep));
	const sigil_sign_key_t *keys = NULL;
	size_t key_count = 0, store_slots = 0;
	sjob_t zmd_job;
	sigil_rr_t *soa;
	double t = now_sec(), t0 = t, t1;
	int ret;

	memset(err, 0, sizeof(*err));
	*report = NULL;
	pthread_mutex_init(&run.fatal_lock, NULL);
	run.nthreads = opts->threads ? opts->threads : 1;
	run.arenas = calloc(run.nthreads, sizeof(*run.arenas));
	run.zone = sigil_zone_new();
	if (rep == NULL || run.arenas == NULL || run.zone == NULL) {
		ret = fail(err, SIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < run.nthreads; i++) {
		run.arenas[i] = sigil_arena_new(ARENA_BLOCK);
		if (run.arenas[i] == NULL) {
			ret = fail(err, SIGIL_ENOMEM, "out of memory");
			goto out;
		}
	}
	rep->threads = run.nthreads;
	rep->verify_sample = opts->verify_sample;

	/* 1. input */
	ret = load(&run, in, rep, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	sigil_dname_tolower(run.apex, sigil_zone_apex(run.zone));
	run.apex_len = sigil_dname_len(run.apex);
	sigil_dname_to_str(rep->zone, run.apex);
	t1 = now_sec();
	rep->time_load = t1 - t;
	t = t1;

	ret = keys_fn(keys_ctx, rep->zone, &o.policy, &keys, &key_count, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	if (o.policy.validity < 3600 ||
	    o.policy.jitter >= o.policy.validity / 2 ||
	    o.policy.inception_offset > o.now) {
		ret = fail(err, SIGIL_ECONFIG,
		           "signature validity must be at least 1h and the "
		           "jitter less than half of it");
		goto out;
	}
	rep->zonemd = o.policy.zonemd;
	for (size_t i = 0; i < key_count; i++) {
		store_slots += keys[i].store_count;
	}
	run.stores = calloc(store_slots ? store_slots : 1, sizeof(*run.stores));
	if (run.stores == NULL) {
		ret = fail(err, SIGIL_ENOMEM, "out of memory");
		goto out;
	}
	ret = keys_setup(&run, keys, key_count, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	sigil_zone_filter(run.zone, keep_rr, NULL);
	ttls_normalise(run.zone);
	soa = soa_update(run.zone, &o, rep);
	if (soa == NULL) {
		ret = fail(
			err, SIGIL_EMALFORMED,
			"%s: the apex must hold exactly one valid SOA record",
			rep->zone);
		goto out;
	}
	ret = apex_add(&run, soa, rep->serial_new, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	run.inception = (uint32_t)(o.now - o.policy.inception_offset);
	run.expiration_max = (uint32_t)(o.now + o.policy.validity);
	t1 = now_sec();
	rep->time_prepare = t1 - t;
	t = t1;

	/* 2. denial of existence */
	ret = denial(&run, rep, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	t1 = now_sec();
	rep->time_denial = t1 - t;
	t = t1;

	/* 3. signatures */
	ret = jobs_build(&run, &zmd_job);
	if (ret == SIGIL_EOK) {
		ret = sign_engine_run(&run);
	}
	if (ret != SIGIL_EOK) {
		fail(err, ret, "%s",
		     atomic_load(&run.fatal) ? run.fatal_msg :
		                               sigil_strerror(ret));
		goto out;
	}
	rep->rrsets_signed = run.njobs;
	ret = sigs_add(&run, run.jobs, run.njobs, run.sigs);
	if (ret != SIGIL_EOK) {
		fail(err, ret, "%s", sigil_strerror(ret));
		goto out;
	}
	t1 = now_sec();
	rep->time_sign = t1 - t;
	t = t1;

	/* 4. ZONEMD */
	if (o.policy.zonemd) {
		ret = zonemd_make(&run, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		rep->rrsets_signed++;
	}
	t1 = now_sec();
	rep->time_zonemd = t1 - t;
	t = t1;

	/* 5. the gate */
	ret = gate(&run, rep, err);
	t1 = now_sec();
	rep->time_gate = t1 - t;
	t = t1;
	if (ret != SIGIL_EOK) {
		goto out;
	}

	/* 6. output */
	ret = output(&run, out, rep, err);
	rep->time_write = now_sec() - t;
out:
	if (rep != NULL && run.stores != NULL &&
	    (ret == SIGIL_EOK || ret == SIGIL_EBADSIG ||
	     ret == SIGIL_EMALFORMED)) {
		if (report_fill(&run, rep) == SIGIL_EOK) {
			for (size_t k = 0; k < rep->key_count; k++) {
				rep->signatures += rep->keys[k].signatures;
			}
			rep->time_total = now_sec() - t0;
			*report = rep;
			rep = NULL;
		}
	}
	sigil_sign_report_free(rep);
	keys_free(&run);
	free(run.jobs);
	free(run.sigs);
	for (unsigned i = 0; run.arenas != NULL && i < run.nthreads; i++) {
		sigil_arena_free(run.arenas[i]);
	}
	free(run.arenas);
	sigil_zone_free(run.zone);
	pthread_mutex_destroy(&run.fatal_lock);
	return ret;
}
