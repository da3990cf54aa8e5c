/* OpenSSL plumbing shared by the crypto module (internal header).
 *
 * Digest implementations are fetched from the default provider once per
 * process: a fetch takes a lock and a hash-table lookup, which costs a
 * noticeable share of a signature check when done per call.  Each thread
 * keeps its own reusable EVP_MD_CTX and a small cache of verification
 * contexts; both are released when the thread exits.
 */
#ifndef SIGIL_CRYPTO_OSSL_H
#define SIGIL_CRYPTO_OSSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum sigil_md_id {
	SIGIL_MD_SHA1,
	SIGIL_MD_SHA256,
	SIGIL_MD_SHA384,
	SIGIL_MD_SHA512,
	SIGIL_MD_COUNT,
};

/* The prefetched digest, or NULL when OpenSSL could not provide it. */
const EVP_MD *sigil_ossl_md(enum sigil_md_id id);

/* One-shot digest with a prefetched implementation and the calling
 * thread's reusable context.  out must hold EVP_MAX_MD_SIZE bytes.
 * SIGIL_EOK, SIGIL_ENOMEM or SIGIL_ECRYPTO. */
int sigil_ossl_digest(enum sigil_md_id id, const void *data, size_t len,
                      uint8_t *out, unsigned *outlen);

/* Per-thread cache of EVP_PKEY_CTX objects initialised for verification,
 * keyed by a process-unique key generation number (never reused, so a
 * freed key can never match a later one allocated at the same address). */
#define SIGIL_OSSL_CTX_SLOTS 16

struct sigil_ossl_ctx_slot {
	uint64_t gen; /* 0: empty */
	EVP_PKEY_CTX *ctx;
};

struct sigil_ossl_tls {
	EVP_MD_CTX *mdctx;
	struct sigil_ossl_ctx_slot slots[SIGIL_OSSL_CTX_SLOTS];
};

/* The calling thread's state, created on first use; NULL when out of
 * memory. */
struct sigil_ossl_tls *sigil_ossl_tls(void);

/* Drops the calling thread's cached context for a key generation (when
 * the key is freed); other threads drop theirs when the slot is reused or
 * the thread exits. */
void sigil_ossl_forget(uint64_t gen);

/* A new process-unique generation number (never 0). */
uint64_t sigil_ossl_next_gen(void);

#endif
