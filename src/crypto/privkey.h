/* Software private keys (OpenSSL): generation, PKCS#8 files, DNSSEC
 * signatures, and the raw parts an HSM needs to import a key.
 *
 * Used by the software key store (keystore/pkcs8.c), by key generation
 * for algorithms an HSM cannot wrap (Ed25519 on SoftHSM2: the key is made
 * here and imported into every HSM), and by the signer for software keys.
 *
 * A sigil_privkey_t is immutable once made; sigil_privkey_sign() may be
 * called from any number of threads at once.
 */
#ifndef SIGIL_CRYPTO_PRIVKEY_H
#define SIGIL_CRYPTO_PRIVKEY_H

#include <stddef.h>
#include <stdint.h>

typedef struct sigil_privkey sigil_privkey_t;

/* Longest DNSKEY public key field sigil makes (RSA-4096 with a 3-byte
 * exponent: 1 + 3 + 512) and longest signature (RSA-4096). */
#define SIGIL_PRIVKEY_PUB_MAXLEN 520
#define SIGIL_PRIVKEY_SIG_MAXLEN 512

/* Generates a key pair of DNSSEC algorithm alg: 8 and 10 (RSA, bits 1024
 * to 4096, a multiple of 8, exponent 65537), 13, 14, 15, 16 (bits must be
 * 0 or the curve's size).  SIGIL_EALGORITHM for any other algorithm,
 * SIGIL_ERANGE for a bad size, SIGIL_ECRYPTO when OpenSSL fails. */
int sigil_privkey_generate(uint8_t alg, unsigned bits, sigil_privkey_t **out);

/* Reads a PEM "PRIVATE KEY" (unencrypted PKCS#8) from buf and checks that
 * it is a key of DNSSEC algorithm alg (8/10: RSA, 13: P-256, 14: P-384,
 * 15: Ed25519, 16: Ed448).  SIGIL_EMALFORMED for anything else. */
int sigil_privkey_from_pem(uint8_t alg, const char *buf, size_t len,
                           sigil_privkey_t **out);

/* The key as PEM PKCS#8 in a new malloc'd buffer (*len bytes, NUL
 * terminated); the caller must OPENSSL_cleanse() and free() it. */
int sigil_privkey_to_pem(const sigil_privkey_t *key, char **out, size_t *len);

void sigil_privkey_free(sigil_privkey_t *key);

uint8_t sigil_privkey_alg(const sigil_privkey_t *key);
/* RSA modulus or curve size in bits. */
unsigned sigil_privkey_bits(const sigil_privkey_t *key);

/* The DNSKEY Public Key field (RFC 3110 for RSA, X||Y for ECDSA (RFC
 * 6605), the raw key for EdDSA (RFC 8080)) into out (size len >=
 * SIGIL_PRIVKEY_PUB_MAXLEN is always enough); its length in *outlen. */
int sigil_privkey_dnskey_pub(const sigil_privkey_t *key, uint8_t *out,
                             size_t len, size_t *outlen);

/* Signs data (the whole RRSIG signed data, not a digest) in the RRSIG
 * Signature field format of the key's algorithm: RSASSA-PKCS1-v1_5, r||s
 * of fixed width for ECDSA, the EdDSA signature.  SIGIL_ESPACE when len is
 * too small. */
int sigil_privkey_sign(const sigil_privkey_t *key, const uint8_t *data,
                       size_t datalen, uint8_t *sig, size_t len,
                       size_t *siglen);

/* Big-endian parts of a private key, for C_CreateObject in an HSM.  Only
 * the fields of the key's type are set; each points into the struct's own
 * buffer.  Wipe with sigil_privkey_parts_clear(). */
typedef struct {
	uint8_t alg;
	/* ECDSA: d, the private scalar, curve-size wide.  EdDSA: the
	 * private key (RFC 8032 seed), 32 or 57 bytes. */
	const uint8_t *value;
	size_t value_len;
	/* RSA (PKCS #1): n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p. */
	const uint8_t *n, *e, *d, *p, *q, *dp, *dq, *qinv;
	size_t n_len, e_len, d_len, p_len, q_len, dp_len, dq_len, qinv_len;
	uint8_t buf[4096];
} sigil_privkey_parts_t;

int sigil_privkey_parts(const sigil_privkey_t *key, sigil_privkey_parts_t *out);
void sigil_privkey_parts_clear(sigil_privkey_parts_t *parts);

#endif
