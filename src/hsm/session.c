/* A session per thread per HSM.
 *
 * PKCS#11 operations (C_SignInit ... C_Sign, C_FindObjects...) are state
 * of a session, so threads must not share one.  Each thread keeps a small
 * table from HSM generation to its session; finding it takes no lock.
 * The HSM keeps the list of its thread sessions so that sigil_hsm_close()
 * can close them all, whichever thread calls it.  Entries are keyed by the
 * generation, never by the address: a closed HSM's entry can then never
 * match a new HSM allocated at the same address, and a thread's stale
 * entries are dropped (without touching the freed HSM) the next time it
 * opens a session or when it exits.
 */
#include <stdlib.h>

#include "hsm/internal.h"
#include "util/error.h"

struct tls_entry {
	uint64_t gen;
	CK_SESSION_HANDLE session;
};

struct hsm_tls {
	struct tls_entry *e;
	size_t n;
	size_t cap;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_key_ok;
static _Thread_local struct hsm_tls *tls;

/* Removes session from hsm's list; under hsm_lock. */
static void tsession_remove(sigil_hsm_t *hsm, CK_SESSION_HANDLE session)
{
	for (size_t i = 0; i < hsm->ntsessions; i++) {
		if (hsm->tsessions[i] == session) {
			hsm->tsessions[i] = hsm->tsessions[--hsm->ntsessions];
			return;
		}
	}
}

/* Runs in the exiting thread: closes its sessions of HSMs still open. */
static void tls_destroy(void *p)
{
	struct hsm_tls *t = p;

	if (t == NULL) {
		return;
	}
	pthread_mutex_lock(&hsm_lock);
	for (size_t i = 0; i < t->n; i++) {
		sigil_hsm_t *hsm = hsm_find_gen(t->e[i].gen);

		if (hsm != NULL && !hsm_stale(hsm->forks)) {
			tsession_remove(hsm, t->e[i].session);
			(void)hsm->funcs->C_CloseSession(t->e[i].session);
		}
	}
	pthread_mutex_unlock(&hsm_lock);
	free(t->e);
	free(t);
	tls = NULL;
}

static void tls_key_init(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_destroy) == 0;
}

/* The calling thread's table, created on first use; NULL when it cannot
 * be (then sessions would outlive their threads). */
static struct hsm_tls *tls_get(void)
{
	struct hsm_tls *t = tls;

	if (t != NULL) {
		return t;
	}
	pthread_once(&tls_once, tls_key_init);
	if (!tls_key_ok) {
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	/* Registers the destructor that closes the sessions at thread
	 * exit. */
	if (pthread_setspecific(tls_key, t) != 0) {
		free(t);
		return NULL;
	}
	tls = t;
	return t;
}

/* Drops the table's entries for HSMs that were closed; under hsm_lock. */
static void tls_prune(struct hsm_tls *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (hsm_find_gen(t->e[i].gen) != NULL) {
			t->e[kept++] = t->e[i];
		}
	}
	t->n = kept;
}

static int session_open(sigil_hsm_t *hsm, CK_SESSION_HANDLE *out,
                        sigil_hsm_error_t *err)
{
	struct hsm_tls *t = tls_get();
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	bool locked = false;
	CK_RV rv;
	int ret = SIGIL_ENOMEM;

	if (t == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", hsm->name);
		goto out;
	}
	/* Room first, so nothing can fail once the session exists. */
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4;
		struct tls_entry *e = realloc(t->e, cap * sizeof(*e));

		if (e == NULL) {
			hsm_error(err, CKR_OK, "%s: out of memory", hsm->name);
			goto out;
		}
		t->e = e;
		t->cap = cap;
	}
	rv = hsm->funcs->C_OpenSession(
		hsm->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		s = CK_INVALID_HANDLE;
		ret = hsm_ck_error(err, hsm->name, "C_OpenSession", rv);
		goto out;
	}
	pthread_mutex_lock(&hsm_lock);
	locked = true;
	if (hsm->ntsessions == hsm->captsessions) {
		size_t cap = hsm->captsessions ? 2 * hsm->captsessions : 4;
		CK_SESSION_HANDLE *ts =
			realloc(hsm->tsessions, cap * sizeof(*ts));

		if (ts == NULL) {
			hsm_error(err, CKR_OK, "%s: out of memory", hsm->name);
			goto out;
		}
		hsm->tsessions = ts;
		hsm->captsessions = cap;
	}
	hsm->tsessions[hsm->ntsessions++] = s;
	tls_prune(t);
	t->e[t->n].gen = hsm->gen;
	t->e[t->n].session = s;
	t->n++;
	*out = s;
	s = CK_INVALID_HANDLE;
	ret = SIGIL_EOK;
out:
	if (s != CK_INVALID_HANDLE) {
		(void)hsm->funcs->C_CloseSession(s);
	}
	if (locked) {
		pthread_mutex_unlock(&hsm_lock);
	}
	return ret;
}

int sigil_hsm_session(sigil_hsm_t *hsm, CK_SESSION_HANDLE *out,
                      sigil_hsm_error_t *err)
{
	struct hsm_tls *t = tls;

	if (hsm_stale(hsm->forks)) {
		return hsm_forked_error(hsm, err);
	}
	if (t != NULL) {
		for (size_t i = 0; i < t->n; i++) {
			if (t->e[i].gen == hsm->gen) {
				*out = t->e[i].session;
				return SIGIL_EOK;
			}
		}
	}
	return session_open(hsm, out, err);
}

void hsm_sessions_close(sigil_hsm_t *hsm)
{
	for (size_t i = 0; i < hsm->ntsessions; i++) {
		(void)hsm->funcs->C_CloseSession(hsm->tsessions[i]);
	}
	hsm->ntsessions = 0;
}

void hsm_tls_forget(uint64_t gen)
{
	struct hsm_tls *t = tls;
	size_t kept = 0;

	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].gen != gen) {
			t->e[kept++] = t->e[i];
		}
	}
	t->n = kept;
	/* A thread that has closed all its HSMs holds nothing; the main
	 * thread, whose destructors never run, then leaks nothing. */
	if (t->n == 0) {
		(void)pthread_setspecific(tls_key, NULL);
		free(t->e);
		free(t);
		tls = NULL;
	}
}
