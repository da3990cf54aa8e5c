#include <stdio.h>
#include <string.h>

#include <libknot/descriptor.h>

#include "dns/name.h"
#include "dns/rdata.h"
#include "util/error.h"

/* Layout of the RDATA of the types whose embedded names are lowercased in
 * canonical form.  Our own table rather than libknot's descriptors: those
 * also mark names that must NOT be lowercased (NSEC, and e.g. SVCB, HIP,
 * AMTRELAY targets), and lack A6 and some obsolete types. */
enum op {
	OP_END,  /* RDATA must end here */
	OP_REST, /* the rest is opaque */
	OP_NAME, /* an uncompressed name, lowercased */
	OP_CSTR, /* a <character-string> */
	OP_FIX2,
	OP_FIX4,
	OP_FIX6,
	OP_FIX18,
	OP_FIX20,
	OP_A6, /* prefix length, address suffix, prefix name if any */
};

static const uint8_t *layout(uint16_t type)
{
	static const uint8_t name_only[] = {OP_NAME, OP_END};
	static const uint8_t two_names[] = {OP_NAME, OP_NAME, OP_END};
	static const uint8_t pref_name[] = {OP_FIX2, OP_NAME, OP_END};
	static const uint8_t soa[] = {OP_NAME, OP_NAME, OP_FIX20, OP_END};
	static const uint8_t px[] = {OP_FIX2, OP_NAME, OP_NAME, OP_END};
	static const uint8_t srv[] = {OP_FIX6, OP_NAME, OP_END};
	static const uint8_t naptr[] = {OP_FIX4, OP_CSTR, OP_CSTR,
	                                OP_CSTR, OP_NAME, OP_END};
	static const uint8_t nxt[] = {OP_NAME, OP_REST};
	static const uint8_t sig[] = {OP_FIX18, OP_NAME, OP_REST};
	static const uint8_t a6[] = {OP_A6, OP_END};

	switch (type) {
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_MD:
	case KNOT_RRTYPE_MF:
	case KNOT_RRTYPE_CNAME:
	case KNOT_RRTYPE_MB:
	case KNOT_RRTYPE_MG:
	case KNOT_RRTYPE_MR:
	case KNOT_RRTYPE_PTR:
	case KNOT_RRTYPE_DNAME:
		return name_only;
	case KNOT_RRTYPE_SOA:
		return soa;
	case KNOT_RRTYPE_MINFO:
	case KNOT_RRTYPE_RP:
		return two_names;
	case KNOT_RRTYPE_MX:
	case KNOT_RRTYPE_AFSDB:
	case KNOT_RRTYPE_RT:
	case KNOT_RRTYPE_KX:
		return pref_name;
	case KNOT_RRTYPE_PX:
		return px;
	case KNOT_RRTYPE_SRV:
		return srv;
	case KNOT_RRTYPE_NAPTR:
		return naptr;
	case KNOT_RRTYPE_NXT:
		return nxt;
	case KNOT_RRTYPE_SIG:
	case KNOT_RRTYPE_RRSIG:
		return sig;
	case 38: /* A6 */
		return a6;
	default:
		return NULL;
	}
}

bool sigil_rdata_has_canon_names(uint16_t type)
{
	return layout(type) != NULL;
}

int sigil_rdata_canonicalize(uint16_t type, uint8_t *out, const uint8_t *rdata,
                             size_t rdlen)
{
	const uint8_t *ops = layout(type);
	size_t pos = 0;

	if (rdlen > SIGIL_RDATA_MAXLEN) {
		return SIGIL_EMALFORMED;
	}
	if (out != rdata) {
		memmove(out, rdata, rdlen);
	}
	if (ops == NULL) {
		return SIGIL_EOK;
	}
	/* Walk the copy and lowercase its names in place. */
	for (;; ops++) {
		size_t n = 0;

		switch (*ops) {
		case OP_END:
			return pos == rdlen ? SIGIL_EOK : SIGIL_EMALFORMED;
		case OP_REST:
			return SIGIL_EOK;
		case OP_NAME:
			n = sigil_dname_parse(out + pos, rdlen - pos);
			if (n == 0) {
				return SIGIL_EMALFORMED;
			}
			sigil_dname_tolower(out + pos, out + pos);
			break;
		case OP_CSTR:
			if (pos >= rdlen) {
				return SIGIL_EMALFORMED;
			}
			n = 1 + (size_t)out[pos];
			break;
		case OP_FIX2:
			n = 2;
			break;
		case OP_FIX4:
			n = 4;
			break;
		case OP_FIX6:
			n = 6;
			break;
		case OP_FIX18:
			n = 18;
			break;
		case OP_FIX20:
			n = 20;
			break;
		case OP_A6: {
			unsigned plen;

			if (pos >= rdlen || out[pos] > 128) {
				return SIGIL_EMALFORMED;
			}
			plen = out[pos];
			n = 1 + (128 - plen + 7) / 8; /* RFC 2874 §3.1 */
			if (n > rdlen - pos) {
				return SIGIL_EMALFORMED;
			}
			pos += n;
			if (plen == 0) {
				continue; /* no prefix name */
			}
			n = sigil_dname_parse(out + pos, rdlen - pos);
			if (n == 0) {
				return SIGIL_EMALFORMED;
			}
			sigil_dname_tolower(out + pos, out + pos);
			break;
		}
		default:
			return SIGIL_EMALFORMED;
		}
		if (n > rdlen - pos) {
			return SIGIL_EMALFORMED;
		}
		pos += n;
	}
}

int sigil_rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen)
{
	size_t min = alen < blen ? alen : blen;
	int c = min > 0 ? memcmp(a, b, min) : 0;

	if (c != 0) {
		return c < 0 ? -1 : 1;
	}
	if (alen == blen) {
		return 0;
	}
	return alen < blen ? -1 : 1;
}

const char *sigil_rrtype_name(uint16_t type, char out[16])
{
	/* libknot's names exactly, so that text we write is read back by
	 * libzscanner: types it does not name (A6, MD, NXT...) come out in
	 * the RFC 3597 form. */
	if (knot_rrtype_to_string(type, out, 16) < 0) {
		snprintf(out, 16, "TYPE%u", (unsigned)type);
	}
	return out;
}
