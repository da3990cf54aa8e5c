#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "crypto/ossl.h"
#include "util/error.h"

static const char *const md_names[SIGIL_MD_COUNT] = {
	[SIGIL_MD_SHA1] = "SHA1",
	[SIGIL_MD_SHA256] = "SHA256",
	[SIGIL_MD_SHA384] = "SHA384",
	[SIGIL_MD_SHA512] = "SHA512",
};

/* Fetched once and kept for the life of the process. */
static EVP_MD *mds[SIGIL_MD_COUNT];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static _Thread_local struct sigil_ossl_tls *tls_state;

static _Atomic uint64_t gen_counter;

static void md_init(void)
{
	for (int i = 0; i < SIGIL_MD_COUNT; i++) {
		mds[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
	}
}

const EVP_MD *sigil_ossl_md(enum sigil_md_id id)
{
	if ((unsigned)id >= SIGIL_MD_COUNT) {
		return NULL;
	}
	pthread_once(&md_once, md_init);
	return mds[id];
}

static void tls_destroy(void *p)
{
	struct sigil_ossl_tls *t = p;

	if (t == NULL) {
		return;
	}
	EVP_MD_CTX_free(t->mdctx);
	for (int i = 0; i < SIGIL_OSSL_CTX_SLOTS; i++) {
		EVP_PKEY_CTX_free(t->slots[i].ctx);
	}
	free(t);
	/* Runs in the exiting thread: a later destructor that verifies must
	 * not find the freed state. */
	tls_state = NULL;
}

static void tls_key_init(void)
{
	/* Without the key, thread state still works but leaks at thread
	 * exit; nothing better can be done here. */
	(void)pthread_key_create(&tls_key, tls_destroy);
}

struct sigil_ossl_tls *sigil_ossl_tls(void)
{
	struct sigil_ossl_tls *t = tls_state;

	if (t != NULL) {
		return t;
	}
	pthread_once(&tls_once, tls_key_init);
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->mdctx = EVP_MD_CTX_new();
	if (t->mdctx == NULL) {
		free(t);
		return NULL;
	}
	/* Registers the destructor that frees the state at thread exit. */
	(void)pthread_setspecific(tls_key, t);
	tls_state = t;
	return t;
}

int sigil_ossl_digest(enum sigil_md_id id, const void *data, size_t len,
                      uint8_t *out, unsigned *outlen)
{
	const EVP_MD *md = sigil_ossl_md(id);
	struct sigil_ossl_tls *t;

	if (md == NULL) {
		return SIGIL_ECRYPTO;
	}
	t = sigil_ossl_tls();
	if (t == NULL) {
		return SIGIL_ENOMEM;
	}
	if (EVP_DigestInit_ex2(t->mdctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(t->mdctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(t->mdctx, out, outlen) != 1) {
		return SIGIL_ECRYPTO;
	}
	return SIGIL_EOK;
}

void sigil_ossl_forget(uint64_t gen)
{
	struct sigil_ossl_tls *t = tls_state;
	struct sigil_ossl_ctx_slot *slot;

	if (t == NULL || gen == 0) {
		return;
	}
	slot = &t->slots[gen % SIGIL_OSSL_CTX_SLOTS];
	if (slot->gen == gen) {
		EVP_PKEY_CTX_free(slot->ctx);
		slot->ctx = NULL;
		slot->gen = 0;
	}
}

uint64_t sigil_ossl_next_gen(void)
{
	return atomic_fetch_add(&gen_counter, 1) + 1;
}
