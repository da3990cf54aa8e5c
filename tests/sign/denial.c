/* NSEC and NSEC3 chain builders: the chains of RFC 4035 and RFC 5155
 * Appendix A rebuilt from their unsigned zones (known answers), opt-out
 * with empty non-terminals, secure and insecure delegations, glue,
 * DNAME-occluded names, wildcards, TTLs, hash collisions, and the
 * validator's own chain checks on every result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/nsec3.h"
#include "dns/load.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "sign/denial.h"
#include "util/error.h"
#include "verify/internal.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

static sigil_zone_t *load_path(const char *path, const char *origin)
{
	sigil_zone_t *z = sigil_zone_new();
	sigil_load_opts_t opts = {.origin = origin, .default_ttl = 3600};
	sigil_load_error_t err;

	if (z == NULL || sigil_zone_load(z, path, &opts, &err) != SIGIL_EOK) {
		diag("cannot load %s: %s", path, err.message);
		sigil_zone_free(z);
		return NULL;
	}
	if (sigil_zone_finish(z) != SIGIL_EOK) {
		abort();
	}
	sigil_zone_classify(z);
	return z;
}

static sigil_zone_t *load_text(const char *text)
{
	char path[] = "/tmp/sigil-denial-test-XXXXXX";
	test_write_tmp(path, text);
	sigil_zone_t *z = load_path(path, "example.");
	unlink(path);
	return z;
}

static bool is_dnssec(uint16_t t)
{
	return t == SIGIL_T_RRSIG || t == SIGIL_T_NSEC || t == SIGIL_T_NSEC3 ||
	       t == SIGIL_T_NSEC3PARAM;
}

/* A new zone with src's records minus RRSIG, NSEC, NSEC3 and NSEC3PARAM:
 * what the signer hands to the builders. */
static sigil_zone_t *strip(const sigil_zone_t *src)
{
	sigil_zone_t *z = sigil_zone_new();
	sigil_rr_t *keep = NULL;
	size_t cap = 0;

	sigil_zone_set_apex(z, sigil_zone_apex(src));
	for (size_t i = 0; i < sigil_zone_node_count(src); i++) {
		const sigil_node_t *n = sigil_zone_node(src, i);
		size_t k = 0;
		if (n->rr_count > cap) {
			cap = n->rr_count;
			keep = realloc(keep, cap * sizeof(*keep));
		}
		for (uint32_t r = 0; r < n->rr_count; r++) {
			if (!is_dnssec(n->rrs[r].type)) {
				keep[k++] = n->rrs[r];
			}
		}
		if (k > 0 && sigil_zone_add_node(z, n->owner, keep, k,
		                                 n->line) == NULL) {
			abort();
		}
	}
	free(keep);
	if (sigil_zone_finish(z) != SIGIL_EOK) {
		abort();
	}
	sigil_zone_classify(z);
	return z;
}

static void refinish(sigil_zone_t *z)
{
	if (sigil_zone_finish(z) != SIGIL_EOK) {
		abort();
	}
	sigil_zone_classify(z);
}

static size_t count_type(const sigil_zone_t *z, uint16_t type)
{
	size_t c = 0;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		const sigil_node_t *n = sigil_zone_node(z, i);
		for (uint32_t r = 0; r < n->rr_count; r++) {
			c += n->rrs[r].type == type;
		}
	}
	return c;
}

static uint32_t ttl_of(const sigil_zone_t *z, uint16_t type)
{
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		size_t cnt;
		const sigil_rr_t *rr =
			sigil_node_rrset(sigil_zone_node(z, i), type, &cnt);
		if (rr != NULL) {
			return rr->ttl;
		}
	}
	return 0;
}

/* Every record of type in want is in got, with the same TTL and RDATA;
 * returns the number of mismatches (each reported). */
static int compare_type(const sigil_zone_t *got, const sigil_zone_t *want,
                        uint16_t type)
{
	int bad = 0;
	for (size_t i = 0; i < sigil_zone_node_count(want); i++) {
		const sigil_node_t *w = sigil_zone_node(want, i);
		size_t wn = 0, gn = 0;
		const sigil_rr_t *wr = sigil_node_rrset(w, type, &wn);
		if (wr == NULL) {
			continue;
		}
		char name[SIGIL_DNAME_TXT_MAXLEN];
		sigil_dname_to_str(name, w->owner);
		long gi = sigil_zone_find(got, w->owner);
		const sigil_rr_t *gr =
			gi < 0 ? NULL :
				 sigil_node_rrset(
					 sigil_zone_node(got, (size_t)gi), type,
					 &gn);
		if (gr == NULL || gn != wn) {
			diag("%s: %zu records built, %zu expected", name, gn,
			     wn);
			bad++;
			continue;
		}
		for (size_t k = 0; k < wn; k++) {
			if (gr[k].rdlen != wr[k].rdlen ||
			    memcmp(gr[k].rdata, wr[k].rdata, wr[k].rdlen) !=
			            0 ||
			    gr[k].ttl != wr[k].ttl) {
				diag("%s: record %zu differs", name, k);
				bad++;
			}
		}
	}
	return bad;
}

/* Puts a placeholder RRSIG on every RRset the signer signs, so that the
 * validator's bitmap checks (which look at the types present) see the
 * signed zone.  NSEC: at every authoritative name.  NSEC3: at the apex,
 * names with authoritative data and secure delegations. */
static void add_fake_sigs(sigil_zone_t *z, bool nsec3)
{
	size_t count = sigil_zone_node_count(z);
	for (size_t i = 0; i < count; i++) {
		const sigil_node_t *n = sigil_zone_node(z, i);
		if (n->flags & (SIGIL_NODE_NONAUTH | SIGIL_NODE_OUTSIDE)) {
			continue;
		}
		uint16_t covered = n->rr_count ? n->rrs[0].type : 0;
		if (n->flags & SIGIL_NODE_DELEG) {
			if (nsec3 && !(n->flags & SIGIL_NODE_DS)) {
				continue;
			}
			covered = nsec3 ? SIGIL_T_DS : SIGIL_T_NSEC;
		}
		if (covered == 0) {
			continue;
		}
		uint8_t rd[20] = {(uint8_t)(covered >> 8), (uint8_t)covered};
		sigil_rr_t rr = {.rdata = rd,
		                 .rdlen = sizeof(rd),
		                 .ttl = 60,
		                 .type = SIGIL_T_RRSIG};
		if (sigil_zone_add_node(z, n->owner, &rr, 1, 0) == NULL) {
			abort();
		}
	}
	refinish(z);
}

/* Runs the validator's NSEC or NSEC3 chain check on z (after the fake
 * signatures); returns the number of errors, listing them. */
static long validate(sigil_zone_t *z, bool nsec3)
{
	sigil_verify_opts_t opts = {.threads = 1};
	vctx_t v;
	memset(&v, 0, sizeof(v));
	v.opts = &opts;
	v.zone = z;
	v.rep = calloc(1, sizeof(*v.rep));
	memcpy(v.apex, sigil_zone_apex(z), sigil_dname_len(sigil_zone_apex(z)));
	add_fake_sigs(z, nsec3);
	int ret = nsec3 ? nsec3_check(&v) : nsec_check(&v);
	long errors = ret == SIGIL_EOK ? (long)v.rep->errors : -1;
	for (size_t i = 0; i < v.rep->finding_count; i++) {
		const sigil_verify_finding_t *f = &v.rep->findings[i];
		if (f->severity == SIGIL_SEV_ERROR) {
			diag("validator: %s %s", f->owner, f->message);
		}
	}
	sigil_verify_report_free(v.rep);
	return errors;
}

/* The NSEC or NSEC3 RDATA for name in z (NULL: none), and its bitmap as
 * text in bm ("(none)" when there is no record). */
static const sigil_rr_t *denial_of(const sigil_zone_t *z, const char *name,
                                   const sigil_nsec3_conf_t *c, char *bm,
                                   size_t cap)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN], owner[SIGIL_DNAME_MAXLEN];
	uint16_t types[TYPELIST_MAX];
	size_t bmoff;

	sigil_dname_from_str(wire, name, NULL);
	if (c != NULL) {
		uint8_t h[SIGIL_NSEC3_SHA1_LEN];
		sigil_nsec3_hash(c->alg, c->iterations, c->salt, c->salt_len,
		                 wire, h);
		owner[0] = (uint8_t)sigil_base32hex_encode((char *)owner + 1, h,
		                                           sizeof(h));
		const uint8_t *apex = sigil_zone_apex(z);
		memcpy(owner + 1 + owner[0], apex, sigil_dname_len(apex));
	} else {
		memcpy(owner, wire, sigil_dname_len(wire));
	}
	long i = sigil_zone_find(z, owner);
	size_t cnt = 0;
	const sigil_rr_t *rr =
		i < 0 ? NULL :
			sigil_node_rrset(sigil_zone_node(z, (size_t)i),
	                                 c ? SIGIL_T_NSEC3 : SIGIL_T_NSEC,
	                                 &cnt);
	if (rr == NULL) {
		snprintf(bm, cap, "(none)");
		return NULL;
	}
	if (c != NULL) {
		bmoff = 5u + rr->rdata[4];
		bmoff += 1u + rr->rdata[bmoff];
	} else {
		bmoff = sigil_dname_len(rr->rdata);
	}
	int n = bitmap_decode(rr->rdata + bmoff, rr->rdlen - bmoff, types,
	                      TYPELIST_MAX);
	typelist_str(bm, cap, types, n < 0 ? 0 : (size_t)n);
	return rr;
}

static void test_rfc5155(void)
{
	sigil_zone_t *orig =
		load_path(SRCDIR "/tests/data/rfc5155-example.zone", NULL);
	ok(orig != NULL, "RFC 5155 example zone loads");
	if (orig == NULL) {
		return;
	}
	sigil_zone_t *z = strip(orig);
	is_int(count_type(z, SIGIL_T_NSEC3), 0, "stripped: no NSEC3 left");

	/* Appendix A: SHA-1, 12 iterations, salt aabbccdd, opt-out on every
	 * record (c.example. is an unsigned delegation without NSEC3). */
	sigil_nsec3_conf_t c;
	sigil_denial_nsec3_default(&c);
	c.iterations = 12;
	c.salt_len = 4;
	memcpy(c.salt, "\xaa\xbb\xcc\xdd", 4);
	c.opt_out = true;
	sigil_denial_error_t err = {{0}};
	sigil_denial_stats_t st;
	int ret = sigil_denial_nsec3(z, &c, &st, &err);
	is_int(ret, SIGIL_EOK, "NSEC3 chain built (%s)", err.message);
	refinish(z);
	ok(st.records == 12 && st.empty_nonterm == 2 && st.opted_out == 1 &&
	           st.ttl == 3600,
	   "stats: 12 records, 2 empty non-terminals (w, y.w), 1 delegation "
	   "opted out (c), TTL 3600");
	is_int(count_type(z, SIGIL_T_NSEC3), 12,
	       "12 NSEC3 records as in Appendix A");
	is_int(compare_type(z, orig, SIGIL_T_NSEC3), 0,
	       "owners, flags, parameters, next hashes and bitmaps equal "
	       "the Appendix A records");
	is_int(compare_type(z, orig, SIGIL_T_NSEC3PARAM), 0,
	       "NSEC3PARAM 1 0 12 aabbccdd as in Appendix A");
	is_int(count_type(z, SIGIL_T_NSEC3PARAM), 1, "one NSEC3PARAM");
	char bm[256];
	denial_of(z, "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", &c, bm,
	          sizeof(bm));
	is_str(bm, "A RRSIG",
	       "the name shaped like a hashed owner has its own NSEC3");
	is_int(validate(z, true), 0, "the validator accepts the chain");
	sigil_zone_free(z);

	/* Building on a zone that still has its chain is refused. */
	ret = sigil_denial_nsec3(orig, &c, NULL, &err);
	is_int(ret, SIGIL_EINVAL, "zone with old NSEC3 records refused");
	ok(strstr(err.message, "RRSIG") || strstr(err.message, "NSEC"),
	   "message names the record: %s", err.message);
	sigil_zone_free(orig);
}

static void test_rfc4035(void)
{
	sigil_zone_t *orig =
		load_path(SRCDIR "/tests/data/rfc4035-example.zone", NULL);
	ok(orig != NULL, "RFC 4035 example zone loads");
	if (orig == NULL) {
		return;
	}
	sigil_zone_t *z = strip(orig);
	sigil_denial_error_t err = {{0}};
	sigil_denial_stats_t st;
	is_int(sigil_denial_nsec(z, &st, &err), SIGIL_EOK,
	       "NSEC chain built (%s)", err.message);
	refinish(z);
	ok(st.records == 10 && st.ttl == 3600, "stats: 10 records, TTL 3600");
	is_int(count_type(z, SIGIL_T_NSEC), 10,
	       "10 NSEC records as in Appendix A");
	is_int(compare_type(z, orig, SIGIL_T_NSEC), 0,
	       "next names and bitmaps equal the Appendix A records");
	is_int(validate(z, false), 0, "the validator accepts the chain");
	sigil_zone_free(z);

	is_int(sigil_denial_nsec(orig, NULL, &err), SIGIL_EINVAL,
	       "zone with old NSEC records refused");
	sigil_zone_free(orig);
}

static const char *edge_zone =
	"$ORIGIN example.\n"
	"$TTL 300\n"
	"@ SOA ns hostmaster 1 2 3 4 60\n"
	"@ NS ns\n"
	"ns A 192.0.2.1\n"
	/* insecure delegation below an empty non-terminal */
	"ins.ent NS ns.other.test.\n"
	/* secure delegation below an empty non-terminal */
	"sec.ent2 NS ns.other.test.\n"
	"sec.ent2 DS 12345 13 2 "
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	/* an empty non-terminal above both kinds of names */
	"both.x NS ns.other.test.\n"
	"host.x A 192.0.2.3\n"
	/* delegation with glue, and data at the cut that is not the
	 * parent's */
	"sub NS ns.sub\n"
	"sub A 192.0.2.9\n"
	"ns.sub A 192.0.2.2\n"
	"deep.ns.sub A 192.0.2.7\n"
	/* DNAME with occluded names below */
	"d DNAME target.test.\n"
	"x.d A 192.0.2.4\n"
	"y.z.d A 192.0.2.5\n"
	/* wildcard below an empty non-terminal */
	"*.w TXT \"wild\"\n";

static void test_edge_nsec3(bool opt_out)
{
	sigil_zone_t *z = load_text(edge_zone);
	ok(z != NULL, "edge zone loads");
	if (z == NULL) {
		return;
	}
	sigil_nsec3_conf_t c;
	sigil_denial_nsec3_default(&c);
	c.opt_out = opt_out;
	sigil_denial_error_t err = {{0}};
	const char *mode = opt_out ? "opt-out" : "no opt-out";
	sigil_denial_stats_t st;
	is_int(sigil_denial_nsec3(z, &c, &st, &err), SIGIL_EOK,
	       "%s: chain built (%s)", mode, err.message);
	refinish(z);
	ok(st.records == (opt_out ? 9u : 13u) &&
	           st.opted_out == (opt_out ? 3u : 0u) &&
	           st.empty_nonterm == (opt_out ? 3u : 4u) && st.ttl == 60,
	   "%s: stats %llu records, %llu opted out, %llu empty "
	   "non-terminals",
	   mode, (unsigned long long)st.records,
	   (unsigned long long)st.opted_out,
	   (unsigned long long)st.empty_nonterm);
	is_int(count_type(z, SIGIL_T_NSEC3), opt_out ? 9 : 13,
	       "%s: NSEC3 count", mode);
	is_int(ttl_of(z, SIGIL_T_NSEC3), 60,
	       "%s: TTL is the SOA MINIMUM when lower", mode);
	is_int(ttl_of(z, SIGIL_T_NSEC3PARAM), 60,
	       "%s: NSEC3PARAM TTL as the NSEC3 records'", mode);

	struct {
		const char *name;
		const char *bitmap; /* NULL: as without opt-out */
		const char *optout;
	} want[] = {
		{"example.", "NS SOA RRSIG NSEC3PARAM", NULL},
		{"ns.example.", "A RRSIG", NULL},
		{"ent2.example.", "(empty)", NULL},
		{"sec.ent2.example.", "NS DS RRSIG", NULL},
		{"x.example.", "(empty)", NULL},
		{"host.x.example.", "A RRSIG", NULL},
		{"d.example.", "DNAME RRSIG", NULL},
		{"w.example.", "(empty)", NULL},
		{"*.w.example.", "TXT RRSIG", NULL},
		{"ins.ent.example.", "NS", "(none)"},
		{"ent.example.", "(empty)", "(none)"},
		{"both.x.example.", "NS", "(none)"},
		{"sub.example.", "NS", "(none)"},
		{"ns.sub.example.", "(none)", NULL},
		{"deep.ns.sub.example.", "(none)", NULL},
		{"x.d.example.", "(none)", NULL},
		{"y.z.d.example.", "(none)", NULL},
		{"z.d.example.", "(none)", NULL},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char bm[256];
		const sigil_rr_t *rr =
			denial_of(z, want[i].name, &c, bm, sizeof(bm));
		const char *exp = opt_out && want[i].optout ? want[i].optout :
		                                              want[i].bitmap;
		is_str(bm, exp, "%s: %s", mode, want[i].name);
		if (rr != NULL && rr->rdata[1] != (opt_out ? 1 : 0)) {
			ok(0, "%s: flags of %s", mode, want[i].name);
		}
		if (rr != NULL && rr->ttl != 60) {
			ok(0, "%s: TTL of %s", mode, want[i].name);
		}
	}
	size_t np = 0;
	const sigil_rr_t *p = sigil_node_rrset(sigil_zone_apex_node(z),
	                                       SIGIL_T_NSEC3PARAM, &np);
	ok(np == 1 && p->rdlen == 5 && memcmp(p->rdata, "\1\0\0\0\0", 5) == 0,
	   "%s: NSEC3PARAM 1 0 0 - (RFC 9276 defaults)", mode);
	is_int(validate(z, true), 0, "%s: the validator accepts the chain",
	       mode);
	sigil_zone_free(z);
}

static void test_edge_nsec(void)
{
	const char *text =
		"$ORIGIN example.\n"
		"$TTL 30\n"
		"@ SOA ns hostmaster 1 2 3 4 3600\n"
		"@ NS ns\n"
		"ns A 192.0.2.1\n"
		"ins.ent NS ns.other.test.\n"
		"sec.ent2 NS ns.other.test.\n"
		"sec.ent2 DS 12345 13 2 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
		"cdef\n"
		"Sub NS ns.sub\n"
		"sub A 192.0.2.9\n"
		"ns.sub A 192.0.2.2\n"
		"d DNAME target.test.\n"
		"x.d A 192.0.2.4\n"
		"*.w TXT \"wild\"\n"
		"ZZ TXT \"last\"\n";
	sigil_zone_t *z = load_text(text);
	ok(z != NULL, "NSEC edge zone loads");
	if (z == NULL) {
		return;
	}
	sigil_denial_error_t err = {{0}};
	is_int(sigil_denial_nsec(z, NULL, &err), SIGIL_EOK,
	       "NSEC chain built (%s)", err.message);
	refinish(z);
	is_int(ttl_of(z, SIGIL_T_NSEC), 30,
	       "NSEC TTL is the SOA TTL when lower");
	is_int(count_type(z, SIGIL_T_NSEC), 8,
	       "one NSEC per authoritative name or cut");
	struct {
		const char *name, *next, *bitmap;
	} want[] = {
		{"example.", "d.example.", "NS SOA RRSIG NSEC"},
		{"d.example.", "ins.ent.example.", "DNAME RRSIG NSEC"},
		{"ins.ent.example.", "sec.ent2.example.", "NS RRSIG NSEC"},
		{"sec.ent2.example.", "ns.example.", "NS DS RRSIG NSEC"},
		{"ns.example.", "sub.example.", "A RRSIG NSEC"},
		{"sub.example.", "*.w.example.", "NS RRSIG NSEC"},
		{"*.w.example.", "zz.example.", "TXT RRSIG NSEC"},
		{"zz.example.", "example.", "TXT RRSIG NSEC"},
		{"ns.sub.example.", NULL, "(none)"},
		{"x.d.example.", NULL, "(none)"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char bm[256], next[SIGIL_DNAME_TXT_MAXLEN] = "";
		const sigil_rr_t *rr =
			denial_of(z, want[i].name, NULL, bm, sizeof(bm));
		is_str(bm, want[i].bitmap, "NSEC bitmap of %s", want[i].name);
		if (rr != NULL) {
			sigil_dname_to_str(next, rr->rdata);
			is_str(next, want[i].next,
			       "NSEC next of %s (lowercase)", want[i].name);
			if (rr->ttl != 30) {
				ok(0, "TTL of %s", want[i].name);
			}
		}
	}
	is_int(validate(z, false), 0, "the validator accepts the chain");
	sigil_zone_free(z);
}

static void test_errors(void)
{
	const char *base = "$ORIGIN example.\n$TTL 300\n"
			   "@ SOA ns hostmaster 1 2 3 4 60\n@ NS ns\n"
			   "ns A 192.0.2.1\n";
	sigil_nsec3_conf_t c;
	sigil_denial_error_t err = {{0}};
	sigil_denial_nsec3_default(&c);

	/* Two names, one hash.  SHA-1 collisions cannot be made here, so
	 * the path is driven by a name listed twice (a zone not finished
	 * after the second one was added). */
	sigil_zone_t *z = load_text(base);
	uint8_t name[SIGIL_DNAME_MAXLEN];
	sigil_dname_from_str(name, "dup.example.", NULL);
	sigil_rr_t a = {.rdata = (const uint8_t *)"\xc0\0\2\1",
	                .rdlen = 4,
	                .ttl = 300,
	                .type = SIGIL_T_A};
	sigil_zone_add_node(z, name, &a, 1, 0);
	sigil_zone_add_node(z, name, &a, 1, 0);
	sigil_zone_classify(z);
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_EAMBIGUOUS,
	       "hash collision detected");
	ok(strstr(err.message, "dup.example. and dup.example.") != NULL &&
	           strstr(err.message, "collision") != NULL,
	   "message names both names: %s", err.message);
	sigil_zone_free(z);

	/* An NSEC3PARAM already at the apex: the same one is kept, another
	 * one refused. */
	z = load_text(base);
	sigil_rr_t p = {.rdata = (const uint8_t *)"\1\0\0\0\0",
	                .rdlen = 5,
	                .ttl = 60,
	                .type = SIGIL_T_NSEC3PARAM};
	sigil_zone_add_node(z, sigil_zone_apex(z), &p, 1, 0);
	refinish(z);
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_EOK,
	       "the NSEC3PARAM the chain needs may be there already");
	refinish(z);
	is_int(count_type(z, SIGIL_T_NSEC3PARAM), 1, "and is not doubled");
	sigil_zone_free(z);
	z = load_text(base);
	sigil_zone_add_node(z, sigil_zone_apex(z), &p, 1, 0);
	refinish(z);
	c.iterations = 1;
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_EINVAL,
	       "another NSEC3PARAM is refused");
	is_int(sigil_denial_nsec(z, NULL, &err), SIGIL_EINVAL,
	       "an NSEC3PARAM is refused when building NSEC");
	c.iterations = 0;
	c.alg = 2;
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_EALGORITHM,
	       "unknown hash algorithm refused");
	sigil_zone_free(z);

	/* No SOA */
	z = sigil_zone_new();
	uint8_t apex[SIGIL_DNAME_MAXLEN];
	sigil_dname_from_str(apex, "example.", NULL);
	sigil_zone_set_apex(z, apex);
	sigil_zone_add_node(z, name, &a, 1, 0);
	refinish(z);
	c.alg = SIGIL_NSEC3_HASH_SHA1;
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_ENOSOA,
	       "NSEC3 without SOA: SIGIL_ENOSOA");
	is_int(sigil_denial_nsec(z, NULL, &err), SIGIL_ENOSOA,
	       "NSEC without SOA: SIGIL_ENOSOA");
	sigil_zone_free(z);
}

/* In a registry anyone may register a label that is the hash of another
 * name (with no salt and no iterations it is easy to compute): the NSEC3
 * of www.example. then has the owner of a delegation.  The chain is still
 * complete; the NSEC3 shares the node of the delegation. */
static void test_hash_shaped_delegation(void)
{
	uint8_t www[SIGIL_DNAME_MAXLEN], h[SIGIL_NSEC3_SHA1_LEN];
	char label[40], text[512];
	sigil_nsec3_conf_t c;

	sigil_denial_nsec3_default(&c);
	sigil_dname_from_str(www, "www.example.", NULL);
	sigil_nsec3_hash(c.alg, c.iterations, c.salt, c.salt_len, www, h);
	sigil_base32hex_encode(label, h, sizeof(h));
	snprintf(text, sizeof(text),
	         "$ORIGIN example.\n$TTL 300\n"
	         "@ SOA ns hostmaster 1 2 3 4 60\n@ NS ns\n"
	         "ns A 192.0.2.1\nwww A 192.0.2.2\n"
	         "%s NS ns.other.test.\n",
	         label);
	sigil_zone_t *z = load_text(text);
	sigil_denial_error_t err = {{0}};
	is_int(sigil_denial_nsec3(z, &c, NULL, &err), SIGIL_EOK,
	       "chain built with a delegation at a hashed owner (%s)",
	       err.message);
	refinish(z);
	char bm[256];
	denial_of(z, "www.example.", &c, bm, sizeof(bm));
	is_str(bm, "A RRSIG", "www.example. has its NSEC3 at the delegation");
	snprintf(text, sizeof(text), "%s.example.", label);
	denial_of(z, text, &c, bm, sizeof(bm));
	is_str(bm, "NS", "and the delegation its own NSEC3");
	is_int(validate(z, true), 0, "the validator accepts the chain");
	sigil_zone_free(z);
}

/* A larger zone hashed in several threads (enough names for 4) gives the
 * same chain as one thread. */
static void test_threads(void)
{
	size_t n = 30000, len = 0;
	char *text = malloc(n * 48 + 256);
	len += (size_t)sprintf(text, "$ORIGIN example.\n$TTL 300\n"
	                             "@ SOA ns hostmaster 1 2 3 4 60\n"
	                             "@ NS ns\nns A 192.0.2.1\n");
	for (size_t i = 0; i < n; i++) {
		if (i % 3 != 0) {
			len += (size_t)sprintf(text + len,
			                       "h%zu.l%zu A 192.0.2.1\n", i,
			                       i % 7);
		} else {
			len += (size_t)sprintf(text + len, "d%zu NS ns.test.\n",
			                       i);
		}
	}
	sigil_zone_t *z1 = load_text(text);
	sigil_zone_t *z4 = load_text(text);
	free(text);
	sigil_nsec3_conf_t c;
	sigil_denial_nsec3_default(&c);
	c.opt_out = true;
	sigil_denial_stats_t st;
	int r1 = sigil_denial_nsec3(z1, &c, NULL, NULL);
	c.threads = 4;
	int r4 = sigil_denial_nsec3(z4, &c, &st, NULL);
	ok(r1 == SIGIL_EOK && r4 == SIGIL_EOK, "built with 1 and 4 threads");
	refinish(z1);
	refinish(z4);
	/* apex, ns, the 20000 hosts, their 7 empty parents l0..l6 */
	is_int(count_type(z1, SIGIL_T_NSEC3), 2 + 20000 + 7,
	       "one NSEC3 per name and empty non-terminal");
	is_int(count_type(z4, SIGIL_T_NSEC3), count_type(z1, SIGIL_T_NSEC3),
	       "same record count");
	ok(st.records == 20009 && st.empty_nonterm == 7 &&
	           st.opted_out == 10000,
	   "stats: 20009 records, 7 empty non-terminals, 10000 opted out");
	is_int(compare_type(z4, z1, SIGIL_T_NSEC3), 0, "same records");
	is_int(validate(z4, true), 0, "the validator accepts the chain");
	sigil_zone_free(z1);
	sigil_zone_free(z4);
}

int main(void)
{
	test_rfc5155();
	test_rfc4035();
	test_edge_nsec3(true);
	test_edge_nsec3(false);
	test_edge_nsec();
	test_errors();
	test_hash_shaped_delegation();
	test_threads();
	return done_testing();
}
