/* PKCS#11 modules: loaded once per path through p11-kit's managed loading,
 * shared by every HSM of the module, finalised with the last one.
 *
 * Managed loading gives sigil its own instance of the module's function
 * list: p11-kit initialises the real module once per process (with OS
 * locking, so it is safe from several threads) and counts its users, so
 * neither sigil's C_Finalize nor another component's breaks the other
 * (a second raw C_Initialize would fail, and a raw C_Finalize would pull
 * the module from under everyone).
 */
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "hsm/internal.h"
#include "util/error.h"

pthread_mutex_t hsm_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_uint hsm_forks;

static struct hsm_module *modules; /* under hsm_lock */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* Holding the lock across fork() keeps the child from inheriting it held
 * by a thread that does not exist there. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&hsm_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&hsm_lock);
}

static void fork_child(void)
{
	atomic_fetch_add(&hsm_forks, 1);
	pthread_mutex_unlock(&hsm_lock);
}

static void fork_register(void)
{
	/* Without the handlers a child could deadlock on hsm_lock or use
	 * the parent's sessions; nothing better can be done if this fails
	 * (it only fails without memory). */
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void hsm_fork_init(void)
{
	pthread_once(&fork_once, fork_register);
}

bool hsm_stale(unsigned obj_forks)
{
	return obj_forks !=
	       atomic_load_explicit(&hsm_forks, memory_order_relaxed);
}

int hsm_module_acquire(const char *path, const char *who,
                       struct hsm_module **out, sigil_hsm_error_t *err)
{
	struct hsm_module *mod;
	const char *why;
	CK_RV rv;
	int ret = SIGIL_ENOMEM;

	for (mod = modules; mod != NULL; mod = mod->next) {
		/* A module loaded before a fork is the parent's: never
		 * reused in the child. */
		if (!hsm_stale(mod->forks) && strcmp(mod->path, path) == 0) {
			mod->refs++;
			*out = mod;
			return SIGIL_EOK;
		}
	}
	mod = calloc(1, sizeof(*mod));
	if (mod == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", who);
		goto out;
	}
	mod->forks = atomic_load(&hsm_forks);
	mod->path = strdup(path);
	if (mod->path == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", who);
		goto out;
	}
	mod->funcs = p11_kit_module_load(path, 0);
	if (mod->funcs == NULL) {
		/* p11-kit's message names the path and says why. */
		why = p11_kit_message();
		if (why != NULL) {
			hsm_error(err, CKR_OK,
			          "%s: cannot load PKCS#11 module: %s", who,
			          why);
		} else {
			hsm_error(err, CKR_OK,
			          "%s: cannot load PKCS#11 module %s", who,
			          path);
		}
		ret = SIGIL_EHSM;
		goto out;
	}
	rv = p11_kit_module_initialize(mod->funcs);
	if (rv != CKR_OK) {
		ret = hsm_ck_error(err, who, "C_Initialize", rv);
		goto out;
	}
	mod->refs = 1;
	mod->next = modules;
	modules = mod;
	*out = mod;
	mod = NULL;
	ret = SIGIL_EOK;
out:
	if (mod != NULL) {
		if (mod->funcs != NULL) {
			p11_kit_module_release(mod->funcs);
		}
		free(mod->path);
		free(mod);
	}
	return ret;
}

void hsm_module_release(struct hsm_module *mod)
{
	struct hsm_module **p;

	if (mod == NULL || --mod->refs > 0) {
		return;
	}
	for (p = &modules; *p != NULL; p = &(*p)->next) {
		if (*p == mod) {
			*p = mod->next;
			break;
		}
	}
	/* In a child the module's state is the parent's: finalising it
	 * here could act on the parent's sessions.  p11-kit keeps its own
	 * record of the instance. */
	if (!hsm_stale(mod->forks)) {
		(void)p11_kit_module_finalize(mod->funcs);
		p11_kit_module_release(mod->funcs);
	}
	free(mod->path);
	free(mod);
}

int hsm_slot_list(CK_FUNCTION_LIST *f, const char *who, CK_SLOT_ID **slots,
                  CK_ULONG *count, sigil_hsm_error_t *err)
{
	CK_SLOT_ID *list = NULL, *bigger;
	CK_ULONG n = 0;
	CK_RV rv;
	int ret;

	*slots = NULL;
	*count = 0;
	/* A token may appear between the two calls: ask again until the
	 * list fits. */
	for (;;) {
		rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
		if (rv != CKR_OK) {
			ret = hsm_ck_error(err, who, "C_GetSlotList", rv);
			goto out;
		}
		if (n == 0) {
			ret = SIGIL_EOK;
			goto out;
		}
		bigger = realloc(list, n * sizeof(*list));
		if (bigger == NULL) {
			hsm_error(err, CKR_OK, "%s: out of memory", who);
			ret = SIGIL_ENOMEM;
			goto out;
		}
		list = bigger;
		rv = f->C_GetSlotList(CK_TRUE, list, &n);
		if (rv == CKR_OK) {
			break;
		}
		if (rv != CKR_BUFFER_TOO_SMALL) {
			ret = hsm_ck_error(err, who, "C_GetSlotList", rv);
			goto out;
		}
	}
	*slots = list;
	*count = n;
	list = NULL;
	ret = SIGIL_EOK;
out:
	free(list);
	return ret;
}
