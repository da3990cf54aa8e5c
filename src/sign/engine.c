/* The signing engine: worker threads take batches of RRsets; each
 * signature is made by one of the stores holding the key (round robin, so
 * that the stores' combined rate is used) and verified with the DNSKEY
 * that will be published before it is accepted (I3).  A store returning a
 * signature that does not verify is quarantined at once (I4): no more
 * work goes to it, and the signature is made again in another store
 * holding the key.  With no healthy store left for a key, the run stops
 * and nothing is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/rrsig.h"
#include "dns/name.h"
#include "sign/internal.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/wire.h"

#define BATCH 64
#define SCRATCH_SIG 1024 /* room for any signature sigil makes */

typedef struct {
	srun_t *run;
	unsigned id;
	sigil_buf_t data;
	sigil_rdata_ref_t *refs;
	size_t refs_cap;
	int ret;
} worker_t;

/* Stops the run; the first failure's code and message are kept. */
static void fatal_set(srun_t *run, int code, const char *msg)
{
	pthread_mutex_lock(&run->fatal_lock);
	if (!atomic_load(&run->fatal)) {
		run->fatal_code = code;
		snprintf(run->fatal_msg, sizeof(run->fatal_msg), "%s", msg);
		atomic_store(&run->fatal, true);
	}
	pthread_mutex_unlock(&run->fatal_lock);
}

/* Quarantines store s (first reason wins). */
static void quarantine(srun_t *run, size_t s, const char *why)
{
	sstore_t *st = &run->stores[s];

	pthread_mutex_lock(&st->lock);
	if (!atomic_load(&st->quarantined)) {
		snprintf(st->reason, sizeof(st->reason), "%s", why);
		atomic_store(&st->quarantined, true);
	}
	pthread_mutex_unlock(&st->lock);
}

/* Spreads expirations over [max - jitter, max] by owner and type, the
 * same for the same input, so refreshes do not all fall due at once and
 * re-signing the same zone gives the same expirations. */
static uint32_t expiration_of(const srun_t *run, const sigil_node_t *node,
                              uint16_t type)
{
	uint32_t jitter = run->opts->policy.jitter;
	uint64_t h = 1469598103934665603ULL;
	size_t len = sigil_dname_len(node->owner);

	if (jitter == 0) {
		return run->expiration_max;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = node->owner[i];
		h = (h ^ (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) *
		    1099511628211ULL;
	}
	h = (h ^ type) * 1099511628211ULL;
	return run->expiration_max - (uint32_t)(h % ((uint64_t)jitter + 1));
}

/* The RRSIG RDATA without the signature for job signed by key. */
static size_t rrsig_prefix(const srun_t *run, const sjob_t *job,
                           const skey_t *key, uint8_t *out, sigil_rrsig_t *sig)
{
	uint32_t ttl = job->rrs[0].ttl;
	uint32_t exp = expiration_of(run, job->node, job->type);
	uint32_t inc = run->inception;
	uint16_t tag = key->db->tag;
	uint8_t labels = (uint8_t)sigil_dname_rrsig_labels(job->node->owner);

	sigil_put16(out, job->type);
	out[2] = key->db->algorithm;
	out[3] = labels;
	sigil_put32(out + 4, ttl);
	sigil_put32(out + 8, exp);
	sigil_put32(out + 12, inc);
	sigil_put16(out + 16, tag);
	memcpy(out + SIGIL_RRSIG_FIXED_LEN, run->apex, run->apex_len);
	*sig = (sigil_rrsig_t){
		.type_covered = job->type,
		.algorithm = key->db->algorithm,
		.labels = labels,
		.original_ttl = ttl,
		.expiration = exp,
		.inception = inc,
		.key_tag = tag,
		.signer = out + SIGIL_RRSIG_FIXED_LEN,
		.signer_len = run->apex_len,
	};
	return SIGIL_RRSIG_FIXED_LEN + run->apex_len;
}

static int refs_fill(worker_t *w, const sjob_t *job)
{
	if (job->rr_count > w->refs_cap) {
		sigil_rdata_ref_t *p =
			realloc(w->refs, job->rr_count * sizeof(*p));
		if (p == NULL) {
			return SIGIL_ENOMEM;
		}
		w->refs = p;
		w->refs_cap = job->rr_count;
	}
	for (uint32_t i = 0; i < job->rr_count; i++) {
		w->refs[i].rdata = job->rrs[i].rdata;
		w->refs[i].rdlen = job->rrs[i].rdlen;
	}
	return SIGIL_EOK;
}

/* Whether the signature made by store s is to be verified now. */
static bool must_verify(const srun_t *run, size_t s, uint64_t made)
{
	unsigned n = run->opts->verify_sample;

	return n == 0 || atomic_load(&run->stores[s].quarantined) ||
	       made % n == 0;
}

/* Signs data with key k in one of its healthy stores, verifying as the
 * options say; a store whose signature fails is quarantined and the next
 * one tried.  Fills out (rdata: prefix + signature, in arena a). */
static int sign_data(srun_t *run, skey_t *key, const uint8_t *prefix,
                     size_t plen, const uint8_t *data, size_t dlen, ssig_t *out,
                     sigil_arena_t *a, bool force_verify)
{
	uint8_t sig[SCRATCH_SIG];
	unsigned start = atomic_fetch_add(&key->next, 1);
	size_t healthy = 0, first = 0;
	bool retried = false;

	/* Round robin over the healthy stores only, so that a quarantined
	 * store's share is spread over all the others. */
	for (size_t i = 0; i < key->nstores; i++) {
		healthy +=
			!atomic_load(&run->stores[key->stores[i]].quarantined);
	}
	for (size_t i = 0, h = 0; healthy > 0 && i < key->nstores; i++) {
		if (!atomic_load(&run->stores[key->stores[i]].quarantined) &&
		    h++ == start % healthy) {
			first = i;
			break;
		}
	}
	for (size_t tries = 0; tries < key->nstores; tries++) {
		size_t slot = (first + tries) % key->nstores;
		size_t s = key->stores[slot];
		sstore_t *st = &run->stores[s];
		sigil_keystore_error_t kerr;
		size_t siglen = 0;
		uint64_t made;
		bool verify;
		int ret;

		if (atomic_load(&st->quarantined)) {
			continue;
		}
		ret = sigil_keystore_key_sign(key->handles[slot], data, dlen,
		                              sig, sizeof(sig), &siglen, &kerr);
		if (ret != SIGIL_EOK) {
			/* A store that cannot sign is as good as a bad one
			 * for this run; its error is the reason. */
			quarantine(run, s, kerr.message);
			retried = true;
			continue;
		}
		made = atomic_fetch_add(&st->made, 1);
		verify = force_verify || must_verify(run, s, made);
		if (verify) {
			if (sigil_pubkey_verify(key->pub, data, dlen, sig,
			                        siglen) != SIGIL_EOK) {
				char why[200];

				atomic_fetch_add(&st->bad, 1);
				snprintf(why, sizeof(why),
				         "a signature of key %u did not verify "
				         "with its DNSKEY",
				         (unsigned)key->db->tag);
				quarantine(run, s, why);
				retried = true;
				continue;
			}
			atomic_fetch_add(&st->verified, 1);
		}
		if (retried) {
			atomic_fetch_add(&run->redone, 1);
		}
		out->rdata = sigil_arena_alloc_bytes(a, plen + siglen);
		if (out->rdata == NULL) {
			return SIGIL_ENOMEM;
		}
		memcpy(out->rdata, prefix, plen);
		memcpy(out->rdata + plen, sig, siglen);
		out->rdlen = (uint16_t)(plen + siglen);
		out->store = (uint16_t)s;
		out->verified = verify;
		return SIGIL_EOK;
	}
	char msg[160];

	snprintf(msg, sizeof(msg),
	         "%s %u: no healthy store left to sign with (every store "
	         "holding it is quarantined)",
	         sigil_key_role_name((int)key->db->role),
	         (unsigned)key->db->tag);
	fatal_set(run, SIGIL_EBADSIG, msg);
	return SIGIL_EBADSIG;
}

/* Builds the signed data of job for key k into w->data; the prefix into
 * prefix (size SIGIL_RRSIG_FIXED_LEN + SIGIL_DNAME_MAXLEN). */
static int job_data(worker_t *w, const sjob_t *job, const skey_t *key,
                    uint8_t *prefix, size_t *plen)
{
	sigil_rrsig_t sig;
	int ret;

	*plen = rrsig_prefix(w->run, job, key, prefix, &sig);
	ret = refs_fill(w, job);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sigil_buf_reset(&w->data);
	return sigil_rrsig_signed_data(&w->data, &sig, prefix, job->node->owner,
	                               job->type, SIGIL_CLASS_IN, w->refs,
	                               job->rr_count);
}

static int sign_job(worker_t *w, const sjob_t *job, sigil_arena_t *a)
{
	srun_t *run = w->run;
	uint8_t prefix[SIGIL_RRSIG_FIXED_LEN + SIGIL_DNAME_MAXLEN];

	for (size_t i = 0; i < run->group_n[job->group]; i++) {
		skey_t *key = &run->keys[run->group[job->group][i]];
		size_t plen;
		int ret = job_data(w, job, key, prefix, &plen);

		if (ret == SIGIL_EOK) {
			ret = sign_data(run, key, prefix, plen, w->data.data,
			                w->data.len, &run->sigs[job->first + i],
			                a, false);
		}
		if (ret != SIGIL_EOK) {
			return ret;
		}
		atomic_fetch_add(&key->sigs, 1);
		atomic_fetch_add(&run->done, 1);
	}
	return SIGIL_EOK;
}

static void *worker_main(void *p)
{
	worker_t *w = p;
	srun_t *run = w->run;
	sigil_arena_t *a = run->arenas[w->id];

	while (!atomic_load(&run->fatal)) {
		size_t start = atomic_fetch_add(&run->next_job, BATCH);

		if (start >= run->njobs) {
			break;
		}
		size_t end =
			start + BATCH < run->njobs ? start + BATCH : run->njobs;
		for (size_t j = start; j < end; j++) {
			w->ret = sign_job(w, &run->jobs[j], a);
			if (w->ret != SIGIL_EOK) {
				if (w->ret != SIGIL_EBADSIG) {
					fatal_set(run, w->ret,
					          sigil_strerror(w->ret));
				}
				goto out;
			}
		}
	}
out:
	atomic_fetch_add(&run->workers_done, 1);
	return NULL;
}

int sign_engine_one(srun_t *run, const sjob_t *job, size_t k, ssig_t *out,
                    sigil_arena_t *a)
{
	worker_t w = {.run = run};
	uint8_t prefix[SIGIL_RRSIG_FIXED_LEN + SIGIL_DNAME_MAXLEN];
	skey_t *key = &run->keys[k];
	size_t plen;
	int ret = job_data(&w, job, key, prefix, &plen);

	if (ret == SIGIL_EOK) {
		ret = sign_data(run, key, prefix, plen, w.data.data, w.data.len,
		                out, a, false);
	}
	if (ret == SIGIL_EOK) {
		atomic_fetch_add(&key->sigs, 1);
	}
	sigil_buf_free(&w.data);
	free(w.refs);
	return ret;
}

/* After sampling: every signature a quarantined store made without
 * verification is verified now and made again elsewhere when bad. */
static int repair(srun_t *run)
{
	worker_t w = {.run = run};
	uint8_t prefix[SIGIL_RRSIG_FIXED_LEN + SIGIL_DNAME_MAXLEN];
	int ret = SIGIL_EOK;

	for (size_t j = 0; j < run->njobs && ret == SIGIL_EOK; j++) {
		const sjob_t *job = &run->jobs[j];

		for (size_t i = 0; i < run->group_n[job->group]; i++) {
			ssig_t *s = &run->sigs[job->first + i];
			skey_t *key = &run->keys[run->group[job->group][i]];
			size_t plen;

			if (s->verified ||
			    !atomic_load(&run->stores[s->store].quarantined)) {
				continue;
			}
			ret = job_data(&w, job, key, prefix, &plen);
			if (ret != SIGIL_EOK) {
				break;
			}
			if (sigil_pubkey_verify(key->pub, w.data.data,
			                        w.data.len, s->rdata + plen,
			                        s->rdlen - plen) == SIGIL_EOK) {
				s->verified = true;
				continue;
			}
			atomic_fetch_add(&run->stores[s->store].bad, 1);
			ret = sign_data(run, key, prefix, plen, w.data.data,
			                w.data.len, s, run->arenas[0], true);
			atomic_fetch_add(&run->redone, 1);
		}
	}
	sigil_buf_free(&w.data);
	free(w.refs);
	return ret;
}

static bool any_quarantined(const srun_t *run)
{
	for (size_t s = 0; s < run->nstores; s++) {
		if (atomic_load(&run->stores[s].quarantined)) {
			return true;
		}
	}
	return false;
}

int sign_engine_run(srun_t *run)
{
	unsigned n = run->nthreads;
	pthread_t *threads = calloc(n, sizeof(*threads));
	worker_t *w = calloc(n, sizeof(*w));
	unsigned started = 0;
	int ret = SIGIL_EOK;

	if (threads == NULL || w == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	atomic_store(&run->next_job, 0);
	for (unsigned i = 0; i < n; i++) {
		w[i] = (worker_t){.run = run, .id = i};
		if (pthread_create(&threads[i], NULL, worker_main, &w[i]) !=
		    0) {
			ret = SIGIL_ETHREAD;
			atomic_store(&run->fatal, true);
			break;
		}
		started++;
	}
	/* Progress while the workers run. */
	while (run->opts->progress != NULL && ret == SIGIL_EOK) {
		struct timespec ts = {0, 250 * 1000 * 1000};
		uint64_t done = atomic_load(&run->done);

		run->opts->progress(run->opts->progress_ctx, done, run->nsigs);
		if (atomic_load(&run->workers_done) >= started) {
			break;
		}
		nanosleep(&ts, NULL);
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
	}
	if (ret == SIGIL_EOK && atomic_load(&run->fatal)) {
		ret = run->fatal_code;
	}
	if (ret == SIGIL_EOK && run->opts->verify_sample != 0 &&
	    any_quarantined(run)) {
		ret = repair(run);
		if (ret != SIGIL_EOK && atomic_load(&run->fatal)) {
			ret = run->fatal_code;
		}
	}
	if (run->opts->progress != NULL) {
		run->opts->progress(run->opts->progress_ctx,
		                    atomic_load(&run->done), run->nsigs);
	}
out:
	for (unsigned i = 0; w != NULL && i < n; i++) {
		sigil_buf_free(&w[i].data);
		free(w[i].refs);
	}
	free(w);
	free(threads);
	return ret;
}
