/* NSEC3 hashing (RFC 5155 §5) and base32hex (RFC 4648 §7). */
#ifndef SIGIL_CRYPTO_NSEC3_H
#define SIGIL_CRYPTO_NSEC3_H

#include <stddef.h>
#include <stdint.h>

#define SIGIL_NSEC3_HASH_SHA1 1
#define SIGIL_NSEC3_SHA1_LEN 20
#define SIGIL_NSEC3_FLAG_OPTOUT 0x01

/* Hashes name (any case: it is lowercased first) with the given algorithm,
 * iterations and salt.  out must hold SIGIL_NSEC3_SHA1_LEN bytes.
 * SIGIL_EALGORITHM for a hash algorithm other than SHA-1. */
int sigil_nsec3_hash(uint8_t alg, uint16_t iterations, const uint8_t *salt,
                     size_t salt_len, const uint8_t *name, uint8_t *out);

/* Lowercase base32hex without padding.  out must hold (len*8+4)/5 + 1
 * bytes; returns the text length. */
size_t sigil_base32hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes case-insensitively; returns decoded length or -1 when invalid or
 * larger than cap. */
long sigil_base32hex_decode(uint8_t *out, size_t cap, const char *in,
                            size_t len);

#endif
