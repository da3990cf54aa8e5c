/* HSM internals shared by the files of src/hsm/.
 *
 * One process-wide lock, hsm_lock, guards the module registry, the list of
 * open HSMs and each HSM's list of thread sessions.  It is taken only when
 * a module is loaded or released, an HSM is opened or closed, a thread
 * opens its first session on an HSM, or a thread with sessions exits; the
 * per-operation path (sigil_hsm_session() finding the thread's session)
 * takes no lock.
 */
#ifndef SIGIL_HSM_INTERNAL_H
#define SIGIL_HSM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hsm/hsm.h"

/* Longest PIN accepted, in bytes (PKCS#11 tokens allow far less). */
#define HSM_PIN_MAX 255

/* A loaded and initialised PKCS#11 module, shared by the HSMs that use it
 * (keyed by the configured path) and by sigil_hsm_list_tokens(). */
struct hsm_module {
	struct hsm_module *next;
	char *path;
	CK_FUNCTION_LIST *funcs; /* p11-kit's managed instance */
	unsigned refs;
	unsigned forks; /* hsm_forks when loaded: stale in a child */
};

struct sigil_hsm {
	sigil_hsm_t *next; /* list of open HSMs, under hsm_lock */
	char *name;
	char *site;
	struct hsm_module *module;
	CK_FUNCTION_LIST *funcs; /* module->funcs */
	CK_SLOT_ID slot;         /* this process only */
	CK_SESSION_HANDLE login; /* held open to keep the login */
	uint64_t gen;            /* never reused: keys thread session tables */
	unsigned forks;          /* hsm_forks when opened */
	unsigned warnings;
	/* Sessions opened by threads, so that close can close them all;
	 * under hsm_lock. */
	CK_SESSION_HANDLE *tsessions;
	size_t ntsessions;
	size_t captsessions;
};

extern pthread_mutex_t hsm_lock;

/* Counts fork()s, in the child; objects remember the count they were
 * made under (see hsm_stale()). */
extern atomic_uint hsm_forks;

/* Registers the fork handlers, once per process. */
void hsm_fork_init(void);

/* True when obj_forks was recorded before a fork, in this child: the
 * object's PKCS#11 state belongs to the parent and must not be touched. */
bool hsm_stale(unsigned obj_forks);

/* Fills err for an HSM used in a child after fork; returns SIGIL_EHSM. */
int hsm_forked_error(const sigil_hsm_t *hsm, sigil_hsm_error_t *err);

/* Fills err (may be NULL) with a formatted message and rv. */
void hsm_error(sigil_hsm_error_t *err, CK_RV rv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills err with "FUNCTION on WHO: CKR_X" and returns the mapped code. */
int hsm_ck_error(sigil_hsm_error_t *err, const char *who, const char *function,
                 CK_RV rv);

/* Copies a blank-padded PKCS#11 text field into a C string of at most
 * len bytes plus the NUL, without trailing blanks, with control characters
 * replaced by '?'. */
void hsm_text_copy(char *dst, const unsigned char *src, size_t len);

/* Fills out from a PKCS#11 token information structure. */
void hsm_token_fill(sigil_hsm_token_t *out, const CK_TOKEN_INFO *info);

/* Module registry; all under hsm_lock.  who names the HSM (or the module)
 * in error messages. */
int hsm_module_acquire(const char *path, const char *who,
                       struct hsm_module **out, sigil_hsm_error_t *err);
void hsm_module_release(struct hsm_module *mod);
/* The same for callers that do not hold hsm_lock: takes it, after the
 * fork check.  who is the module path. */
int hsm_module_get(const char *module, struct hsm_module **out,
                   sigil_hsm_error_t *err);

/* The slots with a token present: *slots is allocated (NULL when none),
 * the caller frees it. */
int hsm_slot_list(CK_FUNCTION_LIST *f, const char *who, CK_SLOT_ID **slots,
                  CK_ULONG *count, sigil_hsm_error_t *err);

/* Reads the PIN conf names into pin (HSM_PIN_MAX + 1 bytes, NUL
 * terminated; *len without the NUL); may add SIGIL_HSM_WARN_* bits to
 * *warnings.  The caller wipes pin after use. */
int hsm_pin_read(const sigil_hsm_conf_t *conf, char *pin, size_t *len,
                 unsigned *warnings, sigil_hsm_error_t *err);

/* Thread sessions (session.c).  hsm_sessions_close() closes every thread
 * session of hsm; called by sigil_hsm_close() under hsm_lock after hsm
 * left the open list. */
void hsm_sessions_close(sigil_hsm_t *hsm);
/* Forgets the calling thread's entry for an HSM generation (not under
 * hsm_lock: the table belongs to the thread). */
void hsm_tls_forget(uint64_t gen);
/* The open HSM with this generation, or NULL; under hsm_lock. */
sigil_hsm_t *hsm_find_gen(uint64_t gen);

#endif
