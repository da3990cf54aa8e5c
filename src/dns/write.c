#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/write.h"
#include "util/error.h"

/* Lines are collected up to this much before going to stdio. */
#define FLUSH_AT (1u << 20)
/* Room given to libknot for one RDATA, always the same so that whether a
 * record fits (or falls back to the generic form) never depends on where
 * it lands in the buffer.  Four times the largest RDATA covers names and
 * TXT strings made of \DDD escapes; the generic form needs half of it. */
#define RDATA_TXT_MAX (4u * 65536)
/* owner, TTL, class, type, RDATA, separators, newline */
#define LINE_MAX_LEN (SIGIL_DNAME_TXT_MAXLEN + 10 + 4 + 16 + 2 + RDATA_TXT_MAX)

struct sigil_writer {
	FILE *out;
	char *name;
	char *buf; /* FLUSH_AT + LINE_MAX_LEN bytes */
	size_t len;
	knot_rdata_t *rd; /* scratch RDATA in libknot's layout */
	zs_scanner_t *zs; /* for read-back checks, made when first needed */
	knot_dump_style_t style;
	knot_dump_style_t generic;
	char owner[SIGIL_DNAME_TXT_MAXLEN];
	size_t owner_len;
	char type_txt[16];
	size_t type_len;
	int type_of; /* type whose mnemonic is in type_txt, -1: none */
	uint64_t records;
};

sigil_writer_t *sigil_writer_new(FILE *out, const sigil_write_opts_t *opts)
{
	sigil_writer_t *w = calloc(1, sizeof(*w));
	const char *name = opts && opts->name ? opts->name : "output";

	if (w == NULL) {
		return NULL;
	}
	w->out = out;
	w->name = strdup(name);
	w->buf = malloc(FLUSH_AT + LINE_MAX_LEN);
	w->rd = malloc(knot_rdata_size(UINT16_MAX));
	if (w->name == NULL || w->buf == NULL || w->rd == NULL) {
		sigil_writer_free(w);
		return NULL;
	}
	w->style = KNOT_DUMP_STYLE_DEFAULT;
	w->style.wrap = false;
	w->style.verbose = false;
	w->style.human_ttl = false;
	w->style.human_timestamp = true;
	w->style.generic = false;
	w->style.hide_crypto = false;
	w->style.ascii_to_idn = NULL;
	w->style.color = NULL;
	/* libknot maps 32-bit RRSIG times to dates in a window around now,
	 * which here is fixed so that the text never depends on the clock:
	 * this window gives every value but 0 its plain unsigned meaning
	 * (1970-2106); 0 comes out as 2106-02-07 06:28:16, which is 2^32
	 * and libzscanner reads back as 0. */
	w->style.now = (uint64_t)1 << 31;
	w->generic = w->style;
	w->generic.generic = true;
	w->type_of = -1;
	return w;
}

void sigil_writer_free(sigil_writer_t *w)
{
	if (w == NULL) {
		return;
	}
	free(w->zs);
	free(w->rd);
	free(w->buf);
	free(w->name);
	free(w);
}

uint64_t sigil_writer_records(const sigil_writer_t *w)
{
	return w->records;
}

static int write_error(sigil_writer_t *w, sigil_file_error_t *err, int e)
{
	snprintf(err->path, sizeof(err->path), "%s", w->name);
	snprintf(err->message, sizeof(err->message), "cannot write %s: %s",
	         w->name, strerror(e ? e : EIO));
	return SIGIL_EIO;
}

static int drain(sigil_writer_t *w, sigil_file_error_t *err)
{
	if (w->len == 0) {
		return SIGIL_EOK;
	}
	errno = 0;
	if (fwrite(w->buf, 1, w->len, w->out) != w->len) {
		return write_error(w, err, errno);
	}
	w->len = 0;
	return SIGIL_EOK;
}

int sigil_writer_flush(sigil_writer_t *w, sigil_file_error_t *err)
{
	int ret = drain(w, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	errno = 0;
	if (fflush(w->out) != 0 || ferror(w->out)) {
		return write_error(w, err, errno);
	}
	return SIGIL_EOK;
}

static char *put_u32(char *p, uint32_t v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0) {
		*p++ = tmp[--n];
	}
	return p;
}

/* A type bitmap (RFC 4034 §4.1.2) in the only encoding that libknot's
 * type list reads back as: windows ascending, each 1 to 32 bytes long
 * with a non-zero last byte.  An empty bitmap is left to the read-back
 * check. */
static bool bitmap_canonical(const uint8_t *p, size_t len)
{
	int last = -1;

	if (len == 0) {
		return false;
	}
	while (len > 0) {
		if (len < 2) {
			return false;
		}
		size_t wl = p[1];
		if ((int)p[0] <= last || wl < 1 || wl > 32 || 2 + wl > len ||
		    p[1 + wl] == 0) {
			return false;
		}
		last = p[0];
		p += 2 + wl;
		len -= 2 + wl;
	}
	return true;
}

/* Whether libknot's presentation form of this RDATA must be read back
 * before it is trusted.  The bulk of a signed zone (the types below) has
 * fields whose text form libknot rejects when malformed, so the text is
 * exact whenever it is produced; rarer types (SVCB parameters, LOC, APL,
 * CAA, ...) and odd encodings are checked, at a cost that only they pay. */
static bool needs_check(const sigil_rr_t *rr)
{
	switch (rr->type) {
	case SIGIL_T_A:
	case SIGIL_T_NS:
	case SIGIL_T_CNAME:
	case SIGIL_T_SOA:
	case 12: /* PTR */
	case SIGIL_T_MX:
	case SIGIL_T_TXT:
	case SIGIL_T_AAAA:
	case 33: /* SRV */
	case SIGIL_T_DNAME:
	case SIGIL_T_DS:
	case SIGIL_T_RRSIG:
	case SIGIL_T_DNSKEY:
	case SIGIL_T_NSEC3PARAM:
		return false;
	case SIGIL_T_NSEC: {
		size_t nl = sigil_dname_parse(rr->rdata, rr->rdlen);
		return nl == 0 ||
		       !bitmap_canonical(rr->rdata + nl, rr->rdlen - nl);
	}
	case SIGIL_T_NSEC3: {
		/* alg, flags, iterations, salt, hash, bitmap */
		size_t off = 4;
		if (rr->rdlen < off + 1) {
			return true;
		}
		off += 1 + rr->rdata[off];
		if (rr->rdlen < off + 1 || rr->rdata[off] == 0) {
			return true;
		}
		off += 1 + rr->rdata[off];
		return rr->rdlen < off ||
		       !bitmap_canonical(rr->rdata + off, rr->rdlen - off);
	}
	default: {
		/* libknot writes types it does not name in the generic form,
		 * which is exact by construction. */
		char name[16];
		return knot_rrtype_to_string(rr->type, name, sizeof(name)) >
		               0 &&
		       strncmp(name, "TYPE", 4) != 0;
	}
	}
}

/* True when libzscanner reads line (one whole record) back as rr's type
 * and RDATA. */
static bool reads_back(sigil_writer_t *w, const char *line, size_t len,
                       const sigil_rr_t *rr)
{
	bool same = false;

	if (w->zs == NULL) {
		w->zs = malloc(sizeof(*w->zs));
		if (w->zs == NULL) {
			/* The generic form needs no check. */
			return false;
		}
	}
	if (zs_init(w->zs, ".", SIGIL_CLASS_IN, 0) != 0) {
		return false;
	}
	if (zs_set_input_string(w->zs, line, len) == 0 &&
	    zs_parse_record(w->zs) == 0 && w->zs->state == ZS_STATE_DATA) {
		same = w->zs->r_type == rr->type &&
		       w->zs->r_data_length == rr->rdlen &&
		       memcmp(w->zs->r_data, rr->rdata, rr->rdlen) == 0;
	}
	zs_deinit(w->zs);
	return same;
}

/* Renders the RDATA of rr at dst (RDATA_TXT_MAX bytes), in the generic
 * form when asked to; returns its length or a negative libknot code. */
static int dump_rdata(sigil_writer_t *w, const sigil_rr_t *rr, char *dst,
                      bool generic)
{
	knot_rrset_t set = {
		.type = rr->type,
		.rclass = SIGIL_CLASS_IN,
		.ttl = rr->ttl,
		.rrs = {.count = 1,
	                .size = (uint32_t)knot_rdata_size(rr->rdlen),
	                .rdata = w->rd},
	};

	return knot_rrset_txt_dump_data(&set, 0, dst, RDATA_TXT_MAX,
	                                generic ? &w->generic : &w->style);
}

static int put_record(sigil_writer_t *w, const sigil_rr_t *rr,
                      sigil_file_error_t *err)
{
	if (FLUSH_AT + LINE_MAX_LEN - w->len < LINE_MAX_LEN) {
		int ret = drain(w, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
	}
	char *line = w->buf + w->len;
	char *p = line;

	memcpy(p, w->owner, w->owner_len);
	p += w->owner_len;
	*p++ = ' ';
	p = put_u32(p, rr->ttl);
	memcpy(p, " IN ", 4);
	p += 4;
	if (w->type_of != rr->type) {
		sigil_rrtype_name(rr->type, w->type_txt);
		w->type_len = strlen(w->type_txt);
		w->type_of = rr->type;
	}
	memcpy(p, w->type_txt, w->type_len);
	p += w->type_len;
	*p++ = ' ';

	/* libknot wants RDATA behind its length: one copy into scratch. */
	w->rd->len = rr->rdlen;
	if (rr->rdlen > 0) {
		memcpy(w->rd->data, rr->rdata, rr->rdlen);
	}
	int n = dump_rdata(w, rr, p, false);
	/* libknot leaves a space after an empty type list (NSEC) or an
	 * empty last field (CAA value); nothing it writes ends in an
	 * escaped space. */
	while (n > 0 && p[n - 1] == ' ') {
		n--;
	}
	if (n >= 0 && needs_check(rr)) {
		p[n] = '\n';
		if (!reads_back(w, line, (size_t)(p + n + 1 - line), rr)) {
			n = -1;
		}
	}
	if (n < 0) {
		/* Malformed, too long as text, or not read back the same. */
		n = dump_rdata(w, rr, p, true);
		if (n < 0) {
			/* Cannot happen: hex of 64 KiB fits the room. */
			snprintf(err->path, sizeof(err->path), "%s", w->name);
			snprintf(err->message, sizeof(err->message),
			         "cannot write %s: RDATA of a %s record not "
			         "representable",
			         w->name, w->type_txt);
			return SIGIL_EINVAL;
		}
	}
	p += n;
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
	w->records++;
	return SIGIL_EOK;
}

/* Writes the RRs of one type starting at rrs[*i] (an RRset), then moves *i
 * past them. */
static int put_run(sigil_writer_t *w, const sigil_rr_t *rrs, size_t end,
                   size_t *i, sigil_file_error_t *err)
{
	uint16_t type = rrs[*i].type;
	int ret = SIGIL_EOK;

	while (ret == SIGIL_EOK && *i < end && rrs[*i].type == type) {
		ret = put_record(w, &rrs[(*i)++], err);
	}
	return ret;
}

/* Writes the RRSIGs at rrs[*j] covering type (consecutive in a sorted
 * node, as RRSIG RDATA begins with the type covered). */
static int put_sigs(sigil_writer_t *w, const sigil_rr_t *rrs, size_t end,
                    size_t *j, uint16_t type, sigil_file_error_t *err)
{
	int ret = SIGIL_EOK;

	while (ret == SIGIL_EOK && *j < end &&
	       sigil_rrsig_covered(&rrs[*j]) == type) {
		ret = put_record(w, &rrs[(*j)++], err);
	}
	return ret;
}

int sigil_writer_node(sigil_writer_t *w, const sigil_node_t *node,
                      sigil_file_error_t *err)
{
	const sigil_rr_t *rrs = node->rrs;
	size_t n = node->rr_count;
	size_t sig_begin = n, sig_end = n; /* the run of RRSIGs */
	size_t soa = n;
	int ret = SIGIL_EOK;

	if (!(node->flags & SIGIL_NODE_SORTED)) {
		snprintf(err->path, sizeof(err->path), "%s", w->name);
		snprintf(err->message, sizeof(err->message),
		         "cannot write %s: node not in canonical order",
		         w->name);
		return SIGIL_EINVAL;
	}
	if (n == 0) {
		return SIGIL_EOK;
	}
	sigil_dname_to_str(w->owner, node->owner);
	w->owner_len = strlen(w->owner);
	for (size_t k = 0; k < n; k++) {
		if (rrs[k].type == SIGIL_T_RRSIG && sig_begin == n) {
			sig_begin = k;
		}
		if (rrs[k].type == SIGIL_T_SOA && soa == n) {
			soa = k;
		}
		if (rrs[k].type > SIGIL_T_RRSIG) {
			break;
		}
	}
	sig_end = sig_begin;
	while (sig_end < n && rrs[sig_end].type == SIGIL_T_RRSIG) {
		sig_end++;
	}

	/* The SOA first, then its RRSIGs.  The ranges written here are
	 * remembered and skipped below, so every record is written once. */
	size_t soa_end = soa, soa_sig = sig_end, soa_sig_end = sig_end;
	if (soa < n) {
		ret = put_run(w, rrs, n, &soa_end, err);
		soa_sig = sig_begin;
		while (soa_sig < sig_end &&
		       sigil_rrsig_covered(&rrs[soa_sig]) != SIGIL_T_SOA) {
			soa_sig++;
		}
		soa_sig_end = soa_sig;
		if (ret == SIGIL_EOK) {
			ret = put_sigs(w, rrs, sig_end, &soa_sig_end,
			               SIGIL_T_SOA, err);
		}
	}

	/* Merge the other RRsets (by type) with the RRSIG groups (by type
	 * covered); a group follows the RRset it covers. */
	size_t i = sig_begin == 0 ? sig_end : 0;
	size_t j = sig_begin;
	while (ret == SIGIL_EOK && (i < n || j < sig_end)) {
		if (i == soa && soa < n) {
			i = soa_end;
		} else if (j == soa_sig && soa_sig < sig_end) {
			j = soa_sig_end;
		} else if (i < n &&
		           (j == sig_end ||
		            rrs[i].type <= sigil_rrsig_covered(&rrs[j]))) {
			uint16_t type = rrs[i].type;
			ret = put_run(w, rrs, n, &i, err);
			if (ret == SIGIL_EOK) {
				ret = put_sigs(w, rrs, sig_end, &j, type, err);
			}
		} else {
			/* RRSIGs whose RRset is absent. */
			ret = put_sigs(w, rrs, sig_end, &j,
			               sigil_rrsig_covered(&rrs[j]), err);
		}
		if (i == sig_begin) {
			i = sig_end;
		}
	}
	return ret;
}

/* Nodes one thread formats at a time in a parallel write. */
#define BLOCK_NODES 4096

/* One block of nodes formatted into memory by one thread. */
typedef struct {
	const sigil_zone_t *zone;
	const sigil_write_opts_t *opts;
	size_t from, to;
	char *text;
	size_t len;
	int ret;
	sigil_file_error_t err;
} wblock_t;

static int write_nodes(sigil_writer_t *w, const sigil_zone_t *zone, size_t from,
                       size_t to, sigil_file_error_t *err)
{
	int ret = SIGIL_EOK;

	for (size_t k = from; k < to && ret == SIGIL_EOK; k++) {
		const sigil_node_t *node = sigil_zone_node(zone, k);
		if (!(node->flags & SIGIL_NODE_OUTSIDE)) {
			ret = sigil_writer_node(w, node, err);
		}
	}
	return ret;
}

static void *block_format(void *p)
{
	wblock_t *b = p;
	FILE *mem = open_memstream(&b->text, &b->len);
	sigil_writer_t *w = mem ? sigil_writer_new(mem, b->opts) : NULL;

	b->ret = SIGIL_ENOMEM;
	if (w != NULL) {
		b->ret = write_nodes(w, b->zone, b->from, b->to, &b->err);
		if (b->ret == SIGIL_EOK) {
			b->ret = sigil_writer_flush(w, &b->err);
		}
	}
	sigil_writer_free(w);
	if (mem != NULL && fclose(mem) != 0 && b->ret == SIGIL_EOK) {
		b->ret = SIGIL_ENOMEM;
	}
	return NULL;
}

/* Formatting (libknot's text rendering) costs more than writing: rounds
 * of one block per thread, then the blocks written in order. */
static int write_parallel(const sigil_zone_t *zone, FILE *out,
                          const sigil_write_opts_t *opts,
                          sigil_file_error_t *err)
{
	unsigned n = opts->threads;
	size_t count = sigil_zone_node_count(zone);
	wblock_t *b = calloc(n, sizeof(*b));
	pthread_t *t = calloc(n, sizeof(*t));
	const char *name = opts->name ? opts->name : "output";
	int ret = SIGIL_EOK;

	if (b == NULL || t == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	for (size_t start = 0; start < count && ret == SIGIL_EOK;
	     start += (size_t)n * BLOCK_NODES) {
		unsigned started = 1;

		for (unsigned i = 0; i < n; i++) {
			size_t from = start + (size_t)i * BLOCK_NODES;

			b[i] = (wblock_t){.zone = zone, .opts = opts};
			b[i].from = from < count ? from : count;
			b[i].to = from + BLOCK_NODES < count ?
			                  from + BLOCK_NODES :
			                  count;
			if (b[i].to < b[i].from) {
				b[i].to = b[i].from;
			}
		}
		for (unsigned i = 1; i < n; i++) {
			if (pthread_create(&t[i], NULL, block_format, &b[i]) !=
			    0) {
				break;
			}
			started++;
		}
		block_format(&b[0]);
		for (unsigned i = 1; i < started; i++) {
			pthread_join(t[i], NULL);
		}
		/* Blocks a thread could not take: here. */
		for (unsigned i = started; i < n; i++) {
			block_format(&b[i]);
		}
		for (unsigned i = 0; i < n; i++) {
			if (ret == SIGIL_EOK && b[i].ret != SIGIL_EOK) {
				ret = b[i].ret;
				*err = b[i].err;
			}
			errno = 0;
			if (ret == SIGIL_EOK && b[i].len > 0 &&
			    fwrite(b[i].text, 1, b[i].len, out) != b[i].len) {
				snprintf(err->path, sizeof(err->path), "%s",
				         name);
				snprintf(err->message, sizeof(err->message),
				         "cannot write %s: %s", name,
				         strerror(errno ? errno : EIO));
				ret = SIGIL_EIO;
			}
			free(b[i].text);
			b[i].text = NULL;
		}
	}
	errno = 0;
	if (ret == SIGIL_EOK && (fflush(out) != 0 || ferror(out))) {
		snprintf(err->path, sizeof(err->path), "%s", name);
		snprintf(err->message, sizeof(err->message),
		         "cannot write %s: %s", name,
		         strerror(errno ? errno : EIO));
		ret = SIGIL_EIO;
	}
out:
	if (ret == SIGIL_ENOMEM && err->message[0] == '\0') {
		snprintf(err->path, sizeof(err->path), "%s", name);
		snprintf(err->message, sizeof(err->message),
		         "cannot write %s: %s", name,
		         sigil_strerror(SIGIL_ENOMEM));
	}
	free(b);
	free(t);
	return ret;
}

int sigil_zone_write(const sigil_zone_t *zone, FILE *out,
                     const sigil_write_opts_t *opts, sigil_file_error_t *err)
{
	sigil_writer_t *w;
	int ret;

	memset(err, 0, sizeof(*err));
	if (opts != NULL && opts->threads > 1) {
		return write_parallel(zone, out, opts, err);
	}
	w = sigil_writer_new(out, opts);
	if (w == NULL) {
		const char *name = opts && opts->name ? opts->name : "output";
		snprintf(err->path, sizeof(err->path), "%s", name);
		snprintf(err->message, sizeof(err->message),
		         "cannot write %s: %s", name,
		         sigil_strerror(SIGIL_ENOMEM));
		return SIGIL_ENOMEM;
	}
	ret = write_nodes(w, zone, 0, sigil_zone_node_count(zone), err);
	if (ret == SIGIL_EOK) {
		ret = sigil_writer_flush(w, err);
	}
	sigil_writer_free(w);
	return ret;
}

int sigil_zone_write_file(const sigil_zone_t *zone, const char *path,
                          mode_t mode, const sigil_write_opts_t *opts,
                          sigil_file_error_t *err)
{
	sigil_atomic_file_t *f = NULL;
	sigil_write_opts_t o = {.name = path};
	int ret = sigil_file_atomic_open(&f, path, mode, err);

	if (opts != NULL) {
		o.threads = opts->threads;
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = sigil_zone_write(zone, sigil_file_atomic_stream(f), &o, err);
	if (ret != SIGIL_EOK) {
		sigil_file_atomic_abort(f);
		return ret;
	}
	return sigil_file_atomic_commit(f, err);
}
