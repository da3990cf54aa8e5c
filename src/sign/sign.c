/* sigil_sign_file: the steps of sign.h, in order (the input in input.c,
 * the keys in keys.c, the signatures in engine.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/name.h"
#include "dns/write.h"
#include "dns/zonemd.h"
#include "sign/denial.h"
#include "sign/internal.h"
#include "util/error.h"

#define ARENA_BLOCK (4u << 20)

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sign_fail(sigil_sign_error_t *err, int code, const char *fmt, ...)
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

int sign_refinish(sigil_zone_t *zone)
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
		return sign_fail(err, SIGIL_ENOMEM, "out of memory");
	}
	ret = sigil_zonemd_update(run->zone, SIGIL_ZONEMD_HASH_SHA384, buf);
	if (ret != SIGIL_EOK) {
		return sign_fail(err, ret, "ZONEMD: %s", sigil_strerror(ret));
	}
	/* The update changed the RDATA in place: find the RRset again. */
	sigil_node_t *apex = sigil_zone_apex_node(run->zone);
	job = (sjob_t){.node = apex, .type = SIGIL_T_ZONEMD, .group = 1};
	job.rrs = sigil_node_rrset(apex, SIGIL_T_ZONEMD, &n);
	job.rr_count = (uint32_t)n;
	if (job.rrs == NULL) {
		return sign_fail(err, SIGIL_ENOTFOUND,
		                 "ZONEMD: no placeholder");
	}
	sigs = calloc(run->group_n[1], sizeof(*sigs));
	if (sigs == NULL) {
		return sign_fail(err, SIGIL_ENOMEM, "out of memory");
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
		return sign_fail(err, ret, "ZONEMD: %s",
		                 atomic_load(&run->fatal) ?
		                         run->fatal_msg :
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
		return sign_fail(
			err, ret, "%s: %s", p->nsec3 ? "NSEC3" : "NSEC",
			derr.message[0] ? derr.message : sigil_strerror(ret));
	}
	/* The new nodes into place; they come classified (denial.h). */
	size_t before = sigil_zone_node_count(run->zone);
	ret = sigil_zone_finish(run->zone);
	if (ret == SIGIL_EOK && sigil_zone_node_count(run->zone) != before) {
		sigil_zone_classify(run->zone);
	}
	return ret == SIGIL_EOK ?
	               SIGIL_EOK :
	               sign_fail(err, ret, "%s", sigil_strerror(ret));
}

/* The gate runs in a thread of its own while the output is formatted into
 * a temporary file: both only read the zone (the gate its scratch fields
 * aside), and the file is renamed into place only when the gate passed. */
typedef struct {
	srun_t *run;
	sigil_verify_report_t *report;
	int ret;
	double seconds;
} gate_t;

static void *gate_main(void *p)
{
	gate_t *g = p;
	double t = now_sec();
	sigil_verify_opts_t vo = {
		.now = g->run->opts->now,
		.threads = g->run->nthreads,
		.signatures_trusted = true,
		.zone_ready = true,
	};

	g->ret = sigil_verify_zone(g->run->zone, &vo, &g->report);
	g->seconds = now_sec() - t;
	return NULL;
}

static int gate_verdict(const gate_t *g, sigil_sign_error_t *err)
{
	if (g->ret != SIGIL_EOK) {
		return sign_fail(err, g->ret, "gate: %s",
		                 sigil_strerror(g->ret));
	}
	if (!sigil_verify_report_valid(g->report)) {
		return sign_fail(
			err, SIGIL_EMALFORMED,
			"the signed zone failed the structural checks "
			"(%llu errors): a signer bug; nothing was written",
			(unsigned long long)g->report->errors);
	}
	return SIGIL_EOK;
}

static int gate_and_output(srun_t *run, const char *out,
                           sigil_sign_report_t *rep, sigil_sign_error_t *err)
{
	sigil_write_opts_t wo = {.name = out, .threads = run->nthreads};
	sigil_atomic_file_t *f = NULL;
	sigil_file_error_t ferr;
	gate_t g = {.run = run};
	pthread_t th;
	bool threaded;
	double t;
	int ret, wret;

	/* The order and the zone cuts once more, from the signed zone, for
	 * the gate and the writer alike; nothing changes the zone after. */
	ret = sign_refinish(run->zone);
	if (ret != SIGIL_EOK) {
		return sign_fail(err, ret, "%s", sigil_strerror(ret));
	}
	threaded = pthread_create(&th, NULL, gate_main, &g) == 0;
	if (!threaded) {
		gate_main(&g);
	}
	t = now_sec();
	wret = sigil_file_atomic_open(&f, out, 0644, &ferr);
	if (wret == SIGIL_EOK) {
		wret = sigil_zone_write(run->zone, sigil_file_atomic_stream(f),
		                        &wo, &ferr);
	}
	rep->time_write = now_sec() - t;
	if (threaded) {
		pthread_join(th, NULL);
	}
	rep->time_gate = g.seconds;
	rep->gate = g.report;
	ret = gate_verdict(&g, err);
	if (ret == SIGIL_EOK && wret == SIGIL_EOK) {
		t = now_sec();
		wret = sigil_file_atomic_commit(f, &ferr);
		f = NULL;
		rep->time_write += now_sec() - t;
	}
	sigil_file_atomic_abort(f);
	if (ret == SIGIL_EOK && wret != SIGIL_EOK) {
		snprintf(err->file, sizeof(err->file), "%s", out);
		ret = sign_fail(err, wret, "%s", ferr.message);
	}
	if (ret == SIGIL_EOK) {
		rep->records_out = sigil_zone_rr_count(run->zone);
	}
	return ret;
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
		ret = sign_fail(err, SIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < run.nthreads; i++) {
		run.arenas[i] = sigil_arena_new(ARENA_BLOCK);
		if (run.arenas[i] == NULL) {
			ret = sign_fail(err, SIGIL_ENOMEM, "out of memory");
			goto out;
		}
	}
	rep->threads = run.nthreads;
	rep->verify_sample = opts->verify_sample;

	/* 1. input */
	ret = sign_input_load(&run, in, rep, err);
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
		ret = sign_fail(
			err, SIGIL_ECONFIG,
			"signature validity must be at least 1h and the "
			"jitter less than half of it");
		goto out;
	}
	rep->zonemd = o.policy.zonemd;
	rep->policy = o.policy;
	for (size_t i = 0; i < key_count; i++) {
		store_slots += keys[i].store_count;
	}
	run.stores = calloc(store_slots ? store_slots : 1, sizeof(*run.stores));
	if (run.stores == NULL) {
		ret = sign_fail(err, SIGIL_ENOMEM, "out of memory");
		goto out;
	}
	ret = sign_keys_setup(&run, keys, key_count, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sign_input_prepare(&run, rep, &soa, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sign_apex_add(&run, soa, rep->serial_new, err);
	if (ret == SIGIL_EOK) {
		ret = sign_input_cds(&run, in, err);
	}
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
		sign_fail(err, ret, "%s",
		          atomic_load(&run.fatal) ? run.fatal_msg :
		                                    sigil_strerror(ret));
		goto out;
	}
	rep->rrsets_signed = run.njobs;
	ret = sigs_add(&run, run.jobs, run.njobs, run.sigs);
	if (ret != SIGIL_EOK) {
		sign_fail(err, ret, "%s", sigil_strerror(ret));
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

	/* 5. the gate, and the output written meanwhile (renamed into
	 * place only when the gate passed) */
	ret = gate_and_output(&run, out, rep, err);
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
	sign_keys_free(&run);
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
