/* DNSSEC algorithm numbers (IANA registry) and what sigil supports. */
#ifndef SIGIL_CRYPTO_ALG_H
#define SIGIL_CRYPTO_ALG_H

#include <stdbool.h>
#include <stdint.h>

enum sigil_alg {
	SIGIL_ALG_RSAMD5 = 1,
	SIGIL_ALG_DSA = 3,
	SIGIL_ALG_RSASHA1 = 5,
	SIGIL_ALG_DSA_NSEC3_SHA1 = 6,
	SIGIL_ALG_RSASHA1_NSEC3_SHA1 = 7,
	SIGIL_ALG_RSASHA256 = 8,
	SIGIL_ALG_RSASHA512 = 10,
	SIGIL_ALG_ECC_GOST = 12,
	SIGIL_ALG_ECDSAP256SHA256 = 13,
	SIGIL_ALG_ECDSAP384SHA384 = 14,
	SIGIL_ALG_ED25519 = 15,
	SIGIL_ALG_ED448 = 16,
};

/* Mnemonic ("ECDSAP256SHA256"), or NULL for an unassigned number. */
const char *sigil_alg_name(uint8_t alg);
/* Signatures of this algorithm can be verified (5, 7, 8, 10, 13, 14, 15, 16). */
bool sigil_alg_can_verify(uint8_t alg);
/* Keys of this algorithm may be used to sign (8, 10, 13, 14, 15, 16). */
bool sigil_alg_can_sign(uint8_t alg);

/* An algorithm as written by operators: a number from 0 to 255 or an
 * IANA mnemonic in any case ("13", "ECDSAP256SHA256", "ed25519").  false
 * when s is neither. */
bool sigil_alg_parse(const char *s, uint8_t *alg);

/* The mnemonics of the algorithms sigil signs with, comma separated, for
 * error messages ("RSASHA256, RSASHA512, ..."). */
const char *sigil_alg_sign_list(void);

#endif
