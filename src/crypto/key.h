/* DNSKEY public keys: decoding, key tag, DS digests, signature checks.
 *
 * A sigil_pubkey_t is immutable after sigil_pubkey_from_dnskey() and may be
 * used by several threads at once for verification.
 */
#ifndef SIGIL_CRYPTO_KEY_H
#define SIGIL_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_DNSKEY_FLAG_ZONE 0x0100   /* bit 7: zone key */
#define SIGIL_DNSKEY_FLAG_REVOKE 0x0080 /* bit 8: RFC 5011 revoked */
#define SIGIL_DNSKEY_FLAG_SEP 0x0001    /* bit 15: secure entry point */

#define SIGIL_DS_MAXLEN 64 /* longest digest sigil computes (SHA-384: 48) */

enum sigil_ds_digest {
	SIGIL_DS_SHA1 = 1,
	SIGIL_DS_SHA256 = 2,
	SIGIL_DS_GOST = 3,
	SIGIL_DS_SHA384 = 4,
};

typedef struct sigil_pubkey sigil_pubkey_t;

/* Key tag of DNSKEY RDATA (RFC 4034 Appendix B, including B.1 for
 * algorithm 1). */
uint16_t sigil_keytag(const uint8_t *rdata, size_t rdlen);

/* Decodes DNSKEY RDATA (flags, protocol, algorithm, public key).
 * Returns SIGIL_EOK and a new key in *out, SIGIL_EALGORITHM when the
 * algorithm cannot be verified, SIGIL_EMALFORMED when the key material is
 * invalid for its algorithm.  The caller frees the key. */
int sigil_pubkey_from_dnskey(const uint8_t *rdata, size_t rdlen,
                             sigil_pubkey_t **out);
void sigil_pubkey_free(sigil_pubkey_t *key);

uint16_t sigil_pubkey_tag(const sigil_pubkey_t *key);
uint16_t sigil_pubkey_flags(const sigil_pubkey_t *key);
uint8_t sigil_pubkey_alg(const sigil_pubkey_t *key);
/* Key size in bits (RSA modulus, curve size). */
unsigned sigil_pubkey_bits(const sigil_pubkey_t *key);
/* The DNSKEY RDATA the key was decoded from (owned by the key). */
const uint8_t *sigil_pubkey_rdata(const sigil_pubkey_t *key, size_t *rdlen);

/* Verifies a DNSSEC signature (RRSIG Signature field format for the key's
 * algorithm: RSA PKCS#1 v1.5 bytes, ECDSA r||s, EdDSA R||S) over data.
 * Returns SIGIL_EOK when valid, SIGIL_EBADSIG when not (including a
 * signature of the wrong length), SIGIL_ECRYPTO on library failure.
 * Thread-safe; built for speed (no per-call provider fetches). */
int sigil_pubkey_verify(const sigil_pubkey_t *key, const uint8_t *data,
                        size_t len, const uint8_t *sig, size_t siglen);

/* DS digest (RFC 4034 §5.1.4, RFC 4509, RFC 6605): digest over the
 * canonical (lowercased) owner name followed by the DNSKEY RDATA.
 * out must hold SIGIL_DS_MAXLEN bytes; *outlen receives the length.
 * SIGIL_EDIGEST for an unsupported digest type (supported: 1, 2, 4). */
int sigil_ds_digest(uint8_t digest_type, const uint8_t *owner,
                    const uint8_t *rdata, size_t rdlen, uint8_t *out,
                    size_t *outlen);

/* Whether the DS-format RDATA ds (a DS or CDS: tag, algorithm, digest
 * type, digest) stands for the DNSKEY RDATA dnskey at owner: 1 yes, 0 no
 * (also for a DS too short to hold a digest), SIGIL_EDIGEST for a digest
 * type sigil cannot compute, or another negative error. */
int sigil_ds_matches(const uint8_t *ds, size_t dslen, const uint8_t *owner,
                     const uint8_t *dnskey, size_t dnskeylen);

/* Whether rdata is the delete request of RFC 8078 §4 for type (CDS
 * 0 0 0 00, CDNSKEY 0 3 0 AA==). */
bool sigil_cds_is_delete(uint16_t type, const uint8_t *rdata, size_t rdlen);

#endif
