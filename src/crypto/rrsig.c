#include <stdlib.h>
#include <string.h>

#include "crypto/rrsig.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "util/error.h"
#include "util/wire.h"

/* RRsets up to this size are sorted without allocating. */
#define SORT_STACK_MAX 32

int sigil_rrsig_parse(const uint8_t *rdata, size_t rdlen, sigil_rrsig_t *out)
{
	size_t slen;

	if (rdlen <= SIGIL_RRSIG_FIXED_LEN) {
		return SIGIL_EMALFORMED;
	}
	slen = sigil_dname_parse(rdata + SIGIL_RRSIG_FIXED_LEN,
	                         rdlen - SIGIL_RRSIG_FIXED_LEN);
	if (slen == 0 || SIGIL_RRSIG_FIXED_LEN + slen >= rdlen) {
		return SIGIL_EMALFORMED;
	}
	out->type_covered = sigil_get16(rdata);
	out->algorithm = rdata[2];
	out->labels = rdata[3];
	out->original_ttl = sigil_get32(rdata + 4);
	out->expiration = sigil_get32(rdata + 8);
	out->inception = sigil_get32(rdata + 12);
	out->key_tag = sigil_get16(rdata + 16);
	out->signer = rdata + SIGIL_RRSIG_FIXED_LEN;
	out->signer_len = slen;
	out->signature = out->signer + slen;
	out->signature_len = rdlen - SIGIL_RRSIG_FIXED_LEN - slen;
	return SIGIL_EOK;
}

/* A canonical RDATA to sort: points into the caller's RR or into scratch
 * space at the end of the output buffer. */
typedef struct {
	const uint8_t *data;
	uint16_t len;
} canon_t;

static int canon_cmp(const void *a, const void *b)
{
	const canon_t *x = a, *y = b;

	return sigil_rdata_cmp(x->data, x->len, y->data, y->len);
}

static void canon_sort(canon_t *v, size_t n)
{
	/* Most RRsets hold one to a few RRs: insertion sort beats qsort's
	 * indirect calls there. */
	if (n > 16) {
		qsort(v, n, sizeof(*v), canon_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		canon_t c = v[i];
		size_t j = i;

		while (j > 0 && canon_cmp(&v[j - 1], &c) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = c;
	}
}

/* Writes the owner name the signature covers (RFC 4035 §5.3.2): the
 * lowercased owner, or "*." and its rightmost labels when the RRSIG
 * Labels field shows the RRset was synthesised from a wildcard.
 * Returns the length, or 0 when Labels exceeds the owner's label count. */
static size_t signed_owner(uint8_t *out, const uint8_t *owner, unsigned labels)
{
	unsigned have = sigil_dname_labels(owner);
	size_t len;

	if (labels > have) {
		return 0;
	}
	if (labels < have) {
		for (unsigned i = labels; i < have; i++) {
			owner += *owner + 1;
		}
		out[0] = 1;
		out[1] = '*';
		len = sigil_dname_len(owner);
		if (2 + len > SIGIL_DNAME_MAXLEN) {
			return 0;
		}
		sigil_dname_tolower(out + 2, owner);
		return 2 + len;
	}
	len = sigil_dname_len(owner);
	sigil_dname_tolower(out, owner);
	return len;
}

int sigil_rrsig_signed_data(sigil_buf_t *out, const sigil_rrsig_t *sig,
                            const uint8_t *rrsig_rdata, const uint8_t *owner,
                            uint16_t rtype, uint16_t rclass,
                            sigil_rdata_ref_t *rrs, size_t n)
{
	canon_t stack[SORT_STACK_MAX];
	canon_t *canon = stack;
	uint8_t name[SIGIL_DNAME_MAXLEN];
	uint8_t fixed[8];
	bool names = sigil_rdata_has_canon_names(rtype);
	size_t start = out->len;
	size_t name_len, rr_bytes = 0, scratch_bytes = 0;
	size_t total, scratch_off;
	uint8_t *p;
	int ret;

	name_len = signed_owner(name, owner, sig->labels);
	if (name_len == 0 || sig->signer_len > SIGIL_DNAME_MAXLEN) {
		return SIGIL_EMALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		rr_bytes += name_len + sizeof(fixed) + 2 + rrs[i].rdlen;
		scratch_bytes += rrs[i].rdlen;
	}
	if (!names) {
		scratch_bytes = 0;
	}
	/* One reservation for the output and the canonical-RDATA scratch
	 * behind it, so pointers into the buffer stay valid below. */
	total = SIGIL_RRSIG_FIXED_LEN + sig->signer_len + rr_bytes;
	ret = sigil_buf_reserve(out, total + scratch_bytes);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (n > SORT_STACK_MAX) {
		canon = malloc(n * sizeof(*canon));
		if (canon == NULL) {
			return SIGIL_ENOMEM;
		}
	}

	scratch_off = start + total;
	for (size_t i = 0; i < n; i++) {
		canon[i].len = rrs[i].rdlen;
		if (!names) {
			canon[i].data = rrs[i].rdata;
			continue;
		}
		p = out->data + scratch_off;
		ret = sigil_rdata_canonicalize(rtype, p, rrs[i].rdata,
		                               rrs[i].rdlen);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		canon[i].data = p;
		scratch_off += rrs[i].rdlen;
	}
	canon_sort(canon, n);

	/* RRSIG RDATA without the signature, signer name in canonical form
	 * (RFC 4034 §3.1.8.1, §6.2). */
	p = out->data + out->len;
	memcpy(p, rrsig_rdata, SIGIL_RRSIG_FIXED_LEN);
	sigil_dname_tolower(p + SIGIL_RRSIG_FIXED_LEN, sig->signer);
	out->len += SIGIL_RRSIG_FIXED_LEN + sig->signer_len;

	/* owner | type | class | original TTL | RDLENGTH, then RDATA */
	fixed[0] = (uint8_t)(rtype >> 8);
	fixed[1] = (uint8_t)rtype;
	fixed[2] = (uint8_t)(rclass >> 8);
	fixed[3] = (uint8_t)rclass;
	fixed[4] = (uint8_t)(sig->original_ttl >> 24);
	fixed[5] = (uint8_t)(sig->original_ttl >> 16);
	fixed[6] = (uint8_t)(sig->original_ttl >> 8);
	fixed[7] = (uint8_t)sig->original_ttl;
	for (size_t i = 0; i < n; i++) {
		/* Sorted, so a duplicate follows its twin (RFC 4034 §6.3). */
		if (i > 0 && canon_cmp(&canon[i - 1], &canon[i]) == 0) {
			continue;
		}
		p = out->data + out->len;
		memcpy(p, name, name_len);
		p += name_len;
		memcpy(p, fixed, sizeof(fixed));
		p += sizeof(fixed);
		p[0] = (uint8_t)(canon[i].len >> 8);
		p[1] = (uint8_t)canon[i].len;
		p += 2;
		/* The output never reaches the scratch: total is an upper
		 * bound. */
		memcpy(p, canon[i].data, canon[i].len);
		out->len += name_len + sizeof(fixed) + 2 + canon[i].len;
	}
	ret = SIGIL_EOK;
out:
	if (ret != SIGIL_EOK) {
		out->len = start;
	}
	if (canon != stack) {
		free(canon);
	}
	return ret;
}

/* RFC 1982 distance from now to t: positive when t is after now. */
static int64_t serial_diff(uint32_t t, uint64_t now)
{
	return (int64_t)(int32_t)(t - (uint32_t)now);
}

bool sigil_rrsig_time_valid(const sigil_rrsig_t *sig, uint64_t now)
{
	/* RFC 4034 §3.1.5: inception <= now <= expiration, each compared in
	 * serial number arithmetic, so timestamps wrap in 2106. */
	return serial_diff(sig->inception, now) <= 0 &&
	       serial_diff(sig->expiration, now) >= 0;
}

int64_t sigil_rrsig_expires_in(const sigil_rrsig_t *sig, uint64_t now)
{
	return serial_diff(sig->expiration, now);
}
