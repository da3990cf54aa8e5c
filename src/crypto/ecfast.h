/* Fast ECDSA verification for a public key used many times (internal).
 *
 * OpenSSL's ECDSA verification computes u1*G + u2*Q with a variable-base
 * multiplication for the public key Q, rebuilding a window table for Q on
 * every call.  A sigil_ecfast_t precomputes a fixed-base table for Q once
 * (and, for P-384, one for G), so that each verification is two
 * fixed-base multiplications and one point addition: about 2.5 times
 * faster than EVP_PKEY_verify for P-256 and P-384 alike.  That pays off
 * for a key that verifies many signatures (a zone's ZSK): setting a key up
 * costs ~25 ms and ~150 KiB for P-256, ~3 ms and ~280 KiB for P-384.
 *
 * A key is immutable after sigil_ecfast_new() and may be used by several
 * threads at once.  Per-call scratch memory is kept per thread and freed
 * at thread exit, or earlier by sigil_ecfast_thread_cleanup().
 */
#ifndef SIGIL_CRYPTO_ECFAST_H
#define SIGIL_CRYPTO_ECFAST_H

#include <stddef.h>
#include <stdint.h>

typedef struct sigil_ecfast sigil_ecfast_t;

/* Builds a verification key from a DNSKEY public key field (RFC 6605 §4:
 * X || Y, 64 bytes for algorithm 13, 96 for 14).  Returns SIGIL_EOK and a
 * new key in *out; SIGIL_EALGORITHM for another algorithm; SIGIL_EMALFORMED
 * for a wrong length, a coordinate not below the field prime or a point
 * not on the curve; SIGIL_ENOMEM or SIGIL_ECRYPTO. */
int sigil_ecfast_new(uint8_t alg, const uint8_t *pub, size_t publen,
                     sigil_ecfast_t **out);

/* Verifies an ECDSA signature (r || s, RFC 6605 §4) over a message digest
 * (SHA-256 for 13, SHA-384 for 14; a longer digest is truncated to the
 * order's bit length as SEC 1 §4.1.4 says).  Returns SIGIL_EOK when valid,
 * SIGIL_EBADSIG when not (including a signature of the wrong length and r
 * or s outside [1, n-1]), SIGIL_ENOMEM or SIGIL_ECRYPTO on failure.
 * Thread-safe. */
int sigil_ecfast_verify(const sigil_ecfast_t *k, const uint8_t *digest,
                        size_t dlen, const uint8_t *sig, size_t siglen);

void sigil_ecfast_free(sigil_ecfast_t *k);

/* Frees the calling thread's scratch memory now (it is freed at thread
 * exit anyway; call this from the main thread before exit, or in tests,
 * to keep leak checkers quiet).  The next verification recreates it. */
void sigil_ecfast_thread_cleanup(void);

#endif
