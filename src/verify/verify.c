/* The validator's driver: loads the zone while worker threads check the
 * signatures of every finished node, then runs the ordered checks.  A zone
 * already in a store (sigil_verify_zone) goes through the same steps after
 * loading, with every signature left to the sweep. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/load.h"
#include "util/error.h"
#include "verify/internal.h"

#define BATCH 64

typedef struct {
	vctx_t *v;
	worker_scratch_t *ws;
	bool sweep; /* second pass: walk all nodes instead of the queue */
} worker_arg_t;

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker_pipeline(void *p)
{
	worker_arg_t *a = p;
	vctx_t *v = a->v;
	sigil_node_t *batch[BATCH];

	for (;;) {
		size_t n = 0;
		pthread_mutex_lock(&v->lock);
		while (!v->load_done &&
		       !(v->keys_ready && v->q_head < v->q_len)) {
			pthread_cond_wait(&v->cond, &v->lock);
		}
		if (!v->keys_ready || v->q_head == v->q_len) {
			pthread_mutex_unlock(&v->lock);
			break; /* loading is over: the rest is the sweep's */
		}
		while (n < BATCH && v->q_head < v->q_len) {
			batch[n++] = v->queue[v->q_head++];
		}
		pthread_mutex_unlock(&v->lock);
		for (size_t i = 0; i < n; i++) {
			sigs_check_node(v, a->ws, batch[i]);
		}
	}
	return NULL;
}

static void *worker_sweep(void *p)
{
	worker_arg_t *a = p;
	vctx_t *v = a->v;
	size_t count = sigil_zone_node_count(v->zone);

	for (;;) {
		size_t i = atomic_fetch_add(&v->next_index, BATCH);
		if (i >= count) {
			break;
		}
		size_t end = i + BATCH < count ? i + BATCH : count;
		for (; i < end; i++) {
			sigs_check_node(v, a->ws, sigil_zone_node(v->zone, i));
		}
	}
	return NULL;
}

/* Takes the key set and NSEC3 parameters from an apex node. */
static int apex_setup(vctx_t *v, sigil_node_t *apex)
{
	keyset_free(&v->keys);
	sigil_node_sort(apex);
	int ret = keyset_build(&v->keys, apex);
	nsec3_params_from_apex(&v->n3, apex);
	v->apex_seen = apex;
	return ret;
}

/* Moves the loader's pending nodes to the shared queue: one lock and one
 * wake-up per batch, not per node. */
static void flush_pending(vctx_t *v)
{
	if (v->pending_len == 0) {
		return;
	}
	pthread_mutex_lock(&v->lock);
	if (v->q_len + v->pending_len > v->q_cap) {
		size_t cap = v->q_cap ? v->q_cap : 65536;
		while (cap < v->q_len + v->pending_len) {
			cap *= 2;
		}
		sigil_node_t **q = realloc(v->queue, cap * sizeof(*q));
		if (q == NULL) {
			/* The sweep after loading checks what the queue dropped. */
			pthread_mutex_unlock(&v->lock);
			v->pending_len = 0;
			return;
		}
		v->queue = q;
		v->q_cap = cap;
	}
	memcpy(v->queue + v->q_len, v->pending,
	       v->pending_len * sizeof(*v->pending));
	v->q_len += v->pending_len;
	v->pending_len = 0;
	if (v->keys_ready) {
		pthread_cond_broadcast(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
}

static void on_node(void *ctx, sigil_node_t *node)
{
	vctx_t *v = ctx;
	const uint8_t *apex = sigil_zone_apex(v->zone);

	if (!v->keys_ready && apex != NULL &&
	    sigil_dname_equal(node->owner, apex)) {
		memcpy(v->apex, apex, sigil_dname_len(apex));
		if (apex_setup(v, node) == SIGIL_EOK) {
			pthread_mutex_lock(&v->lock);
			v->keys_ready = true;
			pthread_cond_broadcast(&v->cond);
			pthread_mutex_unlock(&v->lock);
		}
	}
	v->pending[v->pending_len++] = node;
	if (v->pending_len == PENDING) {
		flush_pending(v);
	}
}

/* Starts up to v->nthreads threads running fn; returns how many started
 * (fewer when the system refuses more: the work still gets done, by the
 * sweep after loading, which the caller runs inline if need be). */
static unsigned run_threads(vctx_t *v, worker_arg_t *args, void *(*fn)(void *))
{
	unsigned started = 0;
	for (unsigned i = 0; i < v->nthreads; i++) {
		if (pthread_create(&v->threads[i], NULL, fn, &args[i]) != 0) {
			break;
		}
		started++;
	}
	return started;
}

static void join_threads(vctx_t *v, unsigned started)
{
	for (unsigned i = 0; i < started; i++) {
		pthread_join(v->threads[i], NULL);
	}
}

/* True when sigil's key set must be rebuilt after all nodes are known:
 * the apex appeared in several places, or later than the data. */
static bool apex_changed(vctx_t *v, sigil_node_t *apex)
{
	return !v->keys_ready || apex != v->apex_seen ||
	       (apex->flags & SIGIL_NODE_MERGED);
}

static void reset_all(vctx_t *v)
{
	sigil_zone_t *z = v->zone;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		sigil_node_t *n = sigil_zone_node(z, i);
		n->hash = NULL;
		for (uint32_t k = 0; k < n->rr_count; k++) {
			n->rrs[k].status = RS_UNCHECKED;
			n->rrs[k].aux = 0;
			n->rrs[k].aux2 = 0;
		}
	}
}

static int denial_check(vctx_t *v)
{
	sigil_zone_t *z = v->zone;
	bool nsec = false, nsec3 = v->n3.enabled;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		const sigil_node_t *n = sigil_zone_node(z, i);
		if (n->flags & SIGIL_NODE_OUTSIDE) {
			continue;
		}
		for (uint32_t k = 0; k < n->rr_count; k++) {
			nsec |= n->rrs[k].type == SIGIL_T_NSEC;
			nsec3 |= n->rrs[k].type == SIGIL_T_NSEC3;
		}
	}
	int ret = SIGIL_EOK;
	if (nsec && nsec3) {
		ret = report_add(v, SIGIL_F_DENIAL_MIXED, v->apex, 0, -1, -1,
		                 "the zone has both NSEC and NSEC3 records");
	} else if (!nsec && !nsec3) {
		return report_add(
			v, SIGIL_F_DENIAL_NONE, v->apex, 0, -1, -1,
			"the zone has neither NSEC nor NSEC3 records");
	}
	if (ret == SIGIL_EOK && nsec3) {
		v->rep->denial = SIGIL_DENIAL_NSEC3;
		v->rep->nsec3_alg = v->n3.alg;
		v->rep->nsec3_iterations = v->n3.iterations;
		v->rep->nsec3_salt_len = v->n3.salt_len;
		memcpy(v->rep->nsec3_salt, v->n3.salt, v->n3.salt_len);
		ret = nsec3_check(v);
	}
	if (ret == SIGIL_EOK && nsec) {
		if (!nsec3) {
			v->rep->denial = SIGIL_DENIAL_NSEC;
		}
		ret = nsec_check(v);
	}
	return ret;
}

/* The denial checks run in a thread of their own while coverage is
 * checked: both only read the zone and v's settings.  The thread works on
 * a copy of v with a report of its own (its mutex and queue unused),
 * appended to v's afterwards: the report is the one the checks give one
 * after the other. */
typedef struct {
	vctx_t v;
	int ret;
} denial_job_t;

static void *denial_main(void *p)
{
	denial_job_t *j = p;

	j->ret = denial_check(&j->v);
	return NULL;
}

/* Coverage, then the denial chain (beside it when a thread can be had). */
static int ordered_checks(vctx_t *v, bool denial)
{
	denial_job_t j;
	pthread_t th;
	bool threaded = false;
	int ret;

	if (!denial) {
		return coverage_check(v);
	}
	j.v = *v;
	j.ret = SIGIL_EOK;
	j.v.rep = calloc(1, sizeof(*j.v.rep));
	if (j.v.rep == NULL) {
		return SIGIL_ENOMEM;
	}
	threaded = v->nthreads > 1 &&
	           pthread_create(&th, NULL, denial_main, &j) == 0;
	ret = coverage_check(v);
	if (threaded) {
		pthread_join(th, NULL);
	} else if (ret == SIGIL_EOK) {
		denial_main(&j);
	}
	if (ret == SIGIL_EOK) {
		ret = j.ret;
	}
	if (ret == SIGIL_EOK) {
		sigil_verify_report_t *d = j.v.rep;
		v->rep->denial = d->denial;
		v->rep->nsec3_alg = d->nsec3_alg;
		v->rep->nsec3_iterations = d->nsec3_iterations;
		v->rep->nsec3_salt_len = d->nsec3_salt_len;
		memcpy(v->rep->nsec3_salt, d->nsec3_salt, d->nsec3_salt_len);
		v->rep->nsec3_optout = d->nsec3_optout;
		v->rep->nsec3_records += d->nsec3_records;
		ret = report_append(v, d);
	}
	sigil_verify_report_free(j.v.rep);
	return ret;
}

/* Sets up v to check zone; on failure v still holds what
 * vctx_cleanup() frees. */
static int vctx_init(vctx_t *v, sigil_zone_t *zone,
                     const sigil_verify_opts_t *opts, worker_arg_t **args)
{
	*v = (vctx_t){.opts = opts, .zone = zone};
	v->nthreads = opts->threads ? opts->threads : 1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->rep = calloc(1, sizeof(*v->rep));
	v->threads = calloc(v->nthreads, sizeof(*v->threads));
	v->scratch = calloc(v->nthreads, sizeof(*v->scratch));
	*args = calloc(v->nthreads, sizeof(**args));
	if (v->rep == NULL || v->threads == NULL || v->scratch == NULL ||
	    *args == NULL) {
		return SIGIL_ENOMEM;
	}
	for (unsigned i = 0; i < v->nthreads; i++) {
		v->scratch[i].hashes = sigil_arena_new(1u << 20);
		if (v->scratch[i].hashes == NULL) {
			return SIGIL_ENOMEM;
		}
		(*args)[i] = (worker_arg_t){.v = v, .ws = &v->scratch[i]};
	}
	v->rep->now = opts->now;
	v->rep->lenient = opts->lenient;
	v->rep->signatures_trusted = opts->signatures_trusted;
	v->rep->expire_warn = opts->expire_warn;
	v->rep->threads = v->nthreads;
	v->rep->earliest_expiration = -1;
	return SIGIL_EOK;
}

/* Frees what vctx_init() set up (not the zone); hands the report over when
 * ret is SIGIL_EOK, frees it otherwise.  Returns ret. */
static int vctx_cleanup(vctx_t *v, worker_arg_t *args, int ret,
                        sigil_verify_report_t **report)
{
	if (ret != SIGIL_EOK) {
		sigil_verify_report_free(v->rep);
		v->rep = NULL;
	}
	*report = v->rep;
	keyset_free(&v->keys);
	for (unsigned i = 0; v->scratch != NULL && i < v->nthreads; i++) {
		sigil_buf_free(&v->scratch[i].data);
		free(v->scratch[i].refs);
		sigil_arena_free(v->scratch[i].hashes);
	}
	free(v->scratch);
	free(v->threads);
	free(args);
	free(v->queue);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
	return ret;
}

/* Loads path into v->zone, checking signatures of finished nodes meanwhile;
 * without any worker, loading just loads and the sweep does the rest. */
static int load_pipelined(vctx_t *v, worker_arg_t *args, const char *path,
                          sigil_load_error_t *err)
{
	unsigned started = run_threads(v, args, worker_pipeline);
	sigil_load_opts_t lo = {
		.origin = v->opts->origin, .on_node = on_node, .ctx = v};
	int ret = sigil_zone_load(v->zone, path, &lo, err);
	flush_pending(v);
	pthread_mutex_lock(&v->lock);
	v->load_done = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	join_threads(v, started);
	return ret;
}

/* Everything after loading: orders and classifies the zone, checks the
 * signatures not checked yet, then runs the ordered checks.  fresh: the
 * store's scratch fields are as the loader left them, with the verdicts of
 * the pipeline (otherwise they are all reset).  ready: the zone is ordered
 * and classified already (opts.zone_ready).  t0: start of the run. */
static int check_store(vctx_t *v, worker_arg_t *args, bool fresh, bool ready,
                       double t0, sigil_load_error_t *err)
{
	int ret;
	unsigned started;

	/* Order, merge and classify; redo what the pipeline could not. */
	if (!ready) {
		if ((ret = sigil_zone_finish(v->zone)) != SIGIL_EOK) {
			return ret;
		}
		sigil_zone_classify(v->zone);
	}
	const uint8_t *apex = sigil_zone_apex(v->zone);
	if (apex == NULL) {
		return SIGIL_ENOSOA;
	}
	memcpy(v->apex, apex, sigil_dname_len(apex));
	sigil_dname_to_str(v->rep->zone, apex);
	sigil_node_t *apex_node = sigil_zone_apex_node(v->zone);
	double t1 = now_sec();
	v->rep->time_order = t1 - t0 - v->rep->time_load;
	bool redo = apex_node != NULL && apex_changed(v, apex_node);
	if (redo || !fresh) {
		reset_all(v);
	}
	if (redo) {
		if ((ret = apex_setup(v, apex_node)) != SIGIL_EOK) {
			return ret;
		}
		v->keys_ready = true;
	}
	atomic_store(&v->next_index, 0);
	started = run_threads(v, args, worker_sweep);
	if (started == 0) {
		worker_sweep(&args[0]); /* no thread at all: do it here */
	}
	join_threads(v, started);

	double t2 = now_sec();
	v->rep->time_sigs = t2 - t1;

	/* Ordered checks. */
	if ((ret = ordered_checks(v, apex_node != NULL)) != SIGIL_EOK) {
		return ret;
	}
	if (apex_node != NULL && (ret = cds_check(v)) != SIGIL_EOK) {
		return ret;
	}
	if (apex_node != NULL && (ret = zonemd_check(v)) != SIGIL_EOK) {
		return ret;
	}
	if (v->opts->ds_file != NULL && (ret = ds_check(v, err)) != SIGIL_EOK) {
		return ret;
	}
	v->rep->memory = sigil_zone_memory(v->zone);
	v->rep->time_total = now_sec() - t0;
	v->rep->time_checks = now_sec() - t2;
	return SIGIL_EOK;
}

int sigil_verify_file(const char *path, const sigil_verify_opts_t *opts,
                      sigil_verify_report_t **report, sigil_load_error_t *err)
{
	int ret;
	double t0 = now_sec();
	vctx_t v;
	worker_arg_t *args = NULL;
	sigil_zone_t *zone = sigil_zone_new();

	memset(err, 0, sizeof(*err));
	ret = vctx_init(&v, zone, opts, &args);
	if (ret == SIGIL_EOK && zone == NULL) {
		ret = SIGIL_ENOMEM;
	}
	if (ret == SIGIL_EOK) {
		ret = load_pipelined(&v, args, path, err);
	}
	if (ret == SIGIL_EOK) {
		v.rep->time_load = now_sec() - t0;
		ret = check_store(&v, args, true, false, t0, err);
	}
	ret = vctx_cleanup(&v, args, ret, report);
	sigil_zone_free(zone);
	return ret;
}

int sigil_verify_zone(sigil_zone_t *zone, const sigil_verify_opts_t *opts,
                      sigil_verify_report_t **report)
{
	int ret;
	double t0 = now_sec();
	vctx_t v;
	worker_arg_t *args = NULL;
	sigil_load_error_t err;

	memset(&err, 0, sizeof(err));
	ret = vctx_init(&v, zone, opts, &args);
	if (ret == SIGIL_EOK) {
		ret = check_store(&v, args, false, opts->zone_ready, t0, &err);
	}
	/* The NSEC3 hashes live in the workers' arenas, freed below. */
	for (size_t i = 0; i < sigil_zone_node_count(zone); i++) {
		sigil_zone_node(zone, i)->hash = NULL;
	}
	return vctx_cleanup(&v, args, ret, report);
}
