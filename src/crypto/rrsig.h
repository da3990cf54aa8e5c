/* RRSIG RDATA (RFC 4034 §3) and the data a signature covers (§3.1.8.1). */
#ifndef SIGIL_CRYPTO_RRSIG_H
#define SIGIL_CRYPTO_RRSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SIGIL_RRSIG_FIXED_LEN 18 /* RDATA bytes before the signer name */

/* Parsed view into an RRSIG RDATA; pointers point into the RDATA. */
typedef struct {
	uint16_t type_covered;
	uint8_t algorithm;
	uint8_t labels;
	uint32_t original_ttl;
	uint32_t expiration;
	uint32_t inception;
	uint16_t key_tag;
	const uint8_t *signer; /* wire name, as in the RDATA */
	size_t signer_len;
	const uint8_t *signature;
	size_t signature_len;
} sigil_rrsig_t;

/* SIGIL_EOK or SIGIL_EMALFORMED (short RDATA, bad signer name, empty
 * signature). */
int sigil_rrsig_parse(const uint8_t *rdata, size_t rdlen, sigil_rrsig_t *out);

/* One RR of the RRset being verified: RDATA as stored (any case). */
typedef struct {
	const uint8_t *rdata;
	uint16_t rdlen;
} sigil_rdata_ref_t;

/* Appends to out the signed data of RFC 4034 §3.1.8.1:
 *   RRSIG RDATA without the Signature, signer name lowercased,
 *   then every RR of the RRset in canonical form and canonical order, with
 *   owner lowercased (and, when sig->labels is less than the owner's label
 *   count, replaced by the wildcard "*." + the rightmost labels: §5.3.2),
 *   type, class, the RRSIG's original TTL, RDLENGTH, canonical RDATA.
 * Duplicate RRs (equal canonical RDATA) are included once.
 * rrs may be reordered by the call.  rrsig_rdata is the RDATA sig was parsed
 * from.  Returns SIGIL_EOK, SIGIL_EMALFORMED or SIGIL_ENOMEM. */
int sigil_rrsig_signed_data(sigil_buf_t *out, const sigil_rrsig_t *sig,
                            const uint8_t *rrsig_rdata, const uint8_t *owner,
                            uint16_t rtype, uint16_t rclass,
                            sigil_rdata_ref_t *rrs, size_t n);

/* RFC 1982 serial arithmetic on 32-bit timestamps, as RFC 4034 §3.1.5
 * requires: true when the signature is valid at time now (inception <= now
 * <= expiration, modulo 2^32 relative to now). */
bool sigil_rrsig_time_valid(const sigil_rrsig_t *sig, uint64_t now);
/* Seconds from now until expiration (negative when expired), computed in
 * serial arithmetic around now. */
int64_t sigil_rrsig_expires_in(const sigil_rrsig_t *sig, uint64_t now);

#endif
