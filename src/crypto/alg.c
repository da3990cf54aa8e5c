#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/alg.h"

const char *sigil_alg_name(uint8_t alg)
{
	/* IANA "DNS Security Algorithm Numbers" mnemonics. */
	switch (alg) {
	case 0:
		return "DELETE";
	case SIGIL_ALG_RSAMD5:
		return "RSAMD5";
	case 2:
		return "DH";
	case SIGIL_ALG_DSA:
		return "DSA";
	case SIGIL_ALG_RSASHA1:
		return "RSASHA1";
	case SIGIL_ALG_DSA_NSEC3_SHA1:
		return "DSA-NSEC3-SHA1";
	case SIGIL_ALG_RSASHA1_NSEC3_SHA1:
		return "RSASHA1-NSEC3-SHA1";
	case SIGIL_ALG_RSASHA256:
		return "RSASHA256";
	case SIGIL_ALG_RSASHA512:
		return "RSASHA512";
	case SIGIL_ALG_ECC_GOST:
		return "ECC-GOST";
	case SIGIL_ALG_ECDSAP256SHA256:
		return "ECDSAP256SHA256";
	case SIGIL_ALG_ECDSAP384SHA384:
		return "ECDSAP384SHA384";
	case SIGIL_ALG_ED25519:
		return "ED25519";
	case SIGIL_ALG_ED448:
		return "ED448";
	case 17:
		return "SM2SM3";
	case 23:
		return "ECC-GOST12";
	case 252:
		return "INDIRECT";
	case 253:
		return "PRIVATEDNS";
	case 254:
		return "PRIVATEOID";
	default:
		return NULL;
	}
}

bool sigil_alg_can_verify(uint8_t alg)
{
	switch (alg) {
	case SIGIL_ALG_RSASHA1:
	case SIGIL_ALG_RSASHA1_NSEC3_SHA1:
	case SIGIL_ALG_RSASHA256:
	case SIGIL_ALG_RSASHA512:
	case SIGIL_ALG_ECDSAP256SHA256:
	case SIGIL_ALG_ECDSAP384SHA384:
	case SIGIL_ALG_ED25519:
	case SIGIL_ALG_ED448:
		return true;
	default:
		return false;
	}
}

bool sigil_alg_can_sign(uint8_t alg)
{
	/* SHA-1 algorithms are verify-only (RFC 8624 §3.1: MUST NOT sign). */
	return sigil_alg_can_verify(alg) && alg != SIGIL_ALG_RSASHA1 &&
	       alg != SIGIL_ALG_RSASHA1_NSEC3_SHA1;
}

bool sigil_alg_parse(const char *s, uint8_t *alg)
{
	size_t digits = strspn(s, "0123456789");

	if (digits > 0) {
		if (digits > 3 || s[digits] != '\0' || atoi(s) > 255) {
			return false;
		}
		*alg = (uint8_t)atoi(s);
		return true;
	}
	for (unsigned a = 0; a < 256; a++) {
		const char *name = sigil_alg_name((uint8_t)a);

		if (name != NULL && strcasecmp(name, s) == 0) {
			*alg = (uint8_t)a;
			return true;
		}
	}
	return false;
}

const char *sigil_alg_sign_list(void)
{
	return "RSASHA256 (8), RSASHA512 (10), ECDSAP256SHA256 (13), "
	       "ECDSAP384SHA384 (14), ED25519 (15), ED448 (16)";
}
