/* Zone store and loader: grouping, canonical order, merging of names that
 * appear in several places, zone cuts, syntax errors with file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/load.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/error.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/sigil-zone-test-XXXXXX");
	test_write_tmp(path, text);
	return path;
}

/* Loads text as a zone file into a new zone, which it frees; returns what
 * sigil_zone_load() returns. */
static int load_text(const char *text, const sigil_load_opts_t *opts,
                     sigil_load_error_t *err)
{
	char *path = write_tmp(text);
	sigil_zone_t *z = sigil_zone_new();
	int ret = sigil_zone_load(z, path, opts, err);

	sigil_zone_free(z);
	unlink(path);
	return ret;
}

static const char *owner_str(const sigil_zone_t *z, size_t i)
{
	static char buf[SIGIL_DNAME_TXT_MAXLEN];
	sigil_dname_to_str(buf, sigil_zone_node(z, i)->owner);
	return buf;
}

static unsigned seen;
static void count_node(void *ctx, sigil_node_t *node)
{
	(void)ctx;
	(void)node;
	seen++;
}

/* --- ordering of many nodes: every path of sigil_zone_finish ---------- */

/* Reference order: the sort keys compared as RFC 4034 §6.1 says, by the
 * obvious method. */
static int ref_cmp(const void *pa, const void *pb)
{
	const sigil_node_t *a = *(const sigil_node_t *const *)pa;
	const sigil_node_t *b = *(const sigil_node_t *const *)pb;
	size_t min = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, min);
	return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static uint64_t rng_state = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* A name under example.: random labels, some deep, some sharing long
 * prefixes (equal first 8 bytes after the apex), some upper case. */
static void random_name(char *out, size_t cap)
{
	static const char *stems[] = {"a",  "abcdefghij", "abcdefghijk",
	                              "zz", "m-",         "0"};
	char l1[40], l2[16];
	snprintf(l1, sizeof(l1), "%s%u", stems[rnd(6)], rnd(3000));
	if (rnd(4) == 0) {
		l1[0] = (char)(l1[0] >= 'a' && l1[0] <= 'z' ? l1[0] - 32 :
		                                              l1[0]);
	}
	if (rnd(5) == 0) {
		snprintf(l2, sizeof(l2), "x%u.", rnd(10));
	} else {
		l2[0] = '\0';
	}
	snprintf(out, cap, "%s%s.example.", l2, l1);
}

/* Checks that z's nodes are strictly ascending by the reference order,
 * that every name of names[0..n) is there and that it holds rrs records. */
static void check_order(const sigil_zone_t *z, char (*names)[80], size_t n,
                        size_t rrs, const char *what)
{
	size_t count = sigil_zone_node_count(z);
	bool ascending = true, found = true;

	for (size_t i = 1; i < count; i++) {
		sigil_node_t *a = sigil_zone_node(z, i - 1);
		sigil_node_t *b = sigil_zone_node(z, i);
		if (ref_cmp(&a, &b) >= 0) {
			ascending = false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t w[SIGIL_DNAME_MAXLEN];
		sigil_dname_from_str(w, names[i], NULL);
		if (sigil_zone_find(z, w) < 0) {
			found = false;
		}
	}
	ok(ascending, "%s: names strictly in canonical order", what);
	ok(found, "%s: every name found", what);
	is_int(sigil_zone_rr_count(z), rrs, "%s: every record kept", what);
}

static void test_many_nodes(void)
{
	enum { N = 20000, M = 3000 };
	static char names[N + M][80];
	sigil_zone_t *z = sigil_zone_new();
	uint8_t w[SIGIL_DNAME_MAXLEN];
	uint8_t rd[4] = {192, 0, 2, 0};

	/* Random order with repeated names: the radix path. */
	for (size_t i = 0; i < N; i++) {
		random_name(names[i], sizeof(names[i]));
		rd[3] = (uint8_t)i;
		rd[2] = (uint8_t)(i >> 8);
		sigil_rr_t rr = {
			.rdata = rd, .rdlen = 4, .ttl = 60, .type = SIGIL_T_A};
		sigil_dname_from_str(w, names[i], NULL);
		sigil_zone_add_node(z, w, &rr, 1, (uint32_t)i + 1);
	}
	is_int(sigil_zone_finish(z), SIGIL_EOK, "random order: finish");
	check_order(z, names, N, N, "random order");
	sigil_node_t *first = NULL;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		sigil_node_t *nd = sigil_zone_node(z, i);
		if (nd->flags & SIGIL_NODE_MERGED) {
			first = nd;
			break;
		}
	}
	ok(first != NULL && first->rr_count > 1,
	   "random order: repeated names merged into one node");
	ok(first != NULL && first->rrs[0].type == SIGIL_T_A,
	   "random order: merged node holds the records");

	/* A sorted run added later (new names and names already there):
	 * merged into place. */
	size_t before = sigil_zone_node_count(z);
	static const uint8_t txt_rd[4] = {3, 'n', 'e', 'w'};
	sigil_zone_t *tmpz = sigil_zone_new();
	for (size_t i = 0; i < M; i++) {
		if (i % 3 == 0) {
			snprintf(names[N + i], sizeof(names[N + i]), "%s",
			         names[rnd(N)]);
		} else {
			random_name(names[N + i], sizeof(names[N + i]));
		}
		sigil_rr_t rr = {.rdata = txt_rd,
		                 .rdlen = 4,
		                 .ttl = 60,
		                 .type = SIGIL_T_TXT};
		sigil_dname_from_str(w, names[N + i], NULL);
		sigil_zone_add_node(tmpz, w, &rr, 1, 0);
	}
	/* the names in canonical order, without repeats, then into z */
	sigil_zone_finish(tmpz);
	size_t added = 0;
	for (size_t i = 0; i < sigil_zone_node_count(tmpz); i++) {
		sigil_node_t *nd = sigil_zone_node(tmpz, i);
		sigil_zone_add_node(z, nd->owner, nd->rrs, nd->rr_count, 0);
		added++;
	}
	is_int(sigil_zone_finish(z), SIGIL_EOK, "sorted tail: finish");
	check_order(z, names, N + M, N + added, "sorted tail");
	size_t txt = 0, merged_txt = 0;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		sigil_node_t *nd = sigil_zone_node(z, i);
		size_t c;
		if (sigil_node_rrset(nd, SIGIL_T_TXT, &c) != NULL) {
			txt += c;
			merged_txt +=
				sigil_node_rrset(nd, SIGIL_T_A, &c) != NULL;
		}
	}
	is_int(txt, added, "sorted tail: one TXT per added name");
	ok(merged_txt > 0 && sigil_zone_node_count(z) < before + added,
	   "sorted tail: names already there got the new record");

	/* An unsorted tail: sorted as a whole. */
	for (size_t i = 0; i < 100; i++) {
		uint8_t mx[3] = {0, 10, 0};
		sigil_rr_t rr = {
			.rdata = mx, .rdlen = 3, .ttl = 60, .type = SIGIL_T_MX};
		sigil_dname_from_str(w, names[(i * 7919) % N], NULL);
		sigil_zone_add_node(z, w, &rr, 1, 0);
	}
	is_int(sigil_zone_finish(z), SIGIL_EOK, "unsorted tail: finish");
	check_order(z, names, N + M, N + added + 100, "unsorted tail");

	/* Compacted: same names, order and records, nodes in sequence in
	 * memory, the apex found again. */
	uint8_t soa[2 + 20] = {0, 0};
	sigil_rr_t srr = {.rdata = soa,
	                  .rdlen = sizeof(soa),
	                  .ttl = 60,
	                  .type = SIGIL_T_SOA};
	sigil_dname_from_str(w, "example.", NULL);
	sigil_zone_set_apex(z, w);
	sigil_zone_add_node(z, w, &srr, 1, 0);
	sigil_zone_finish(z);
	sigil_zone_classify(z);
	size_t nodes = sigil_zone_node_count(z);
	size_t rrs_before = sigil_zone_rr_count(z);
	is_int(sigil_zone_compact(z), SIGIL_EOK, "compact");
	check_order(z, names, N + M, rrs_before, "compacted");
	bool seq = true;
	for (size_t i = 1; i < nodes; i++) {
		seq = seq &&
		      sigil_zone_node(z, i) == sigil_zone_node(z, i - 1) + 1;
	}
	ok(seq, "compacted: nodes lie in order in memory");
	sigil_node_t *apex = sigil_zone_apex_node(z);
	size_t c;
	ok(apex == sigil_zone_node(z, (size_t)sigil_zone_find(z, w)) &&
	           sigil_node_rrset(apex, SIGIL_T_SOA, &c) != NULL && c == 1,
	   "compacted: the apex node is the one in the zone");
	sigil_dname_from_str(w, "after-compact.example.", NULL);
	sigil_zone_add_node(z, w, &srr, 1, 0);
	is_int(sigil_zone_finish(z), SIGIL_EOK,
	       "compacted: nodes can be added");
	ok(sigil_zone_find(z, w) >= 0, "compacted: the added node is found");
	sigil_zone_free(tmpz);
	sigil_zone_free(z);
}

/* A record listed twice is one record, in the node and in the count. */
static void test_duplicate_record(void)
{
	sigil_zone_t *z = sigil_zone_new();
	uint8_t w[SIGIL_DNAME_MAXLEN];
	uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
	sigil_rr_t rrs[3] = {
		{.rdata = a1, .rdlen = 4, .ttl = 60, .type = SIGIL_T_A},
		{.rdata = a2, .rdlen = 4, .ttl = 60, .type = SIGIL_T_A},
		{.rdata = a1, .rdlen = 4, .ttl = 60, .type = SIGIL_T_A},
	};

	sigil_dname_from_str(w, "b.example.", NULL);
	sigil_zone_add_node(z, w, rrs, 3, 1);
	sigil_dname_from_str(w, "a.example.", NULL);
	sigil_zone_add_node(z, w, rrs, 1, 2);
	sigil_zone_add_node(z, w, rrs, 1, 3); /* the same record again */
	is_int(sigil_zone_rr_count(z), 5, "duplicates: five records read");
	is_int(sigil_zone_finish(z), SIGIL_EOK, "duplicates: finish");
	is_int(sigil_zone_node_count(z), 2, "duplicates: two names");
	is_int(sigil_zone_node(z, 0)->rr_count, 1,
	       "duplicates: a record in two places kept once");
	is_int(sigil_zone_node(z, 1)->rr_count, 2,
	       "duplicates: a record listed twice kept once");
	is_int(sigil_zone_rr_count(z), 3, "duplicates: the count follows");
	sigil_zone_free(z);
}

int main(void)
{
	test_many_nodes();
	test_duplicate_record();
	/* Unsorted, one name split in two places, mixed case, a DNAME, a
	 * delegation with glue and occluded data. */
	const char *zone = "$ORIGIN example.\n"
			   "$TTL 300\n"
			   "b NS ns.b\n"
			   "@ SOA ns hostmaster 1 2 3 4 5\n"
			   "ns.b A 192.0.2.1\n"
			   "deep.ns.b A 192.0.2.9\n"
			   "@ NS ns\n"
			   "NS A 192.0.2.2\n"
			   "a MX 10 MAIL.example.\n"
			   "a A 192.0.2.3\n"
			   "d DNAME target.test.\n"
			   "x.d A 192.0.2.4\n"
			   "A TXT \"again\"\n"
			   "z.y.x A 192.0.2.5\n"
			   "other.test. A 192.0.2.6\n"
			   "@ TYPE65534 \\# 3 010203\n";
	char *path = write_tmp(zone);
	sigil_zone_t *z = sigil_zone_new();
	sigil_load_error_t err;
	sigil_load_opts_t opts = {.on_node = count_node};
	int ret = sigil_zone_load(z, path, &opts, &err);
	is_int(ret, SIGIL_EOK, "zone loads");
	is_int(seen, 13, "one node per run of equal owners is handed over");
	is_int(sigil_zone_finish(z), SIGIL_EOK, "finish");
	sigil_zone_classify(z);
	is_int(sigil_zone_node_count(z), 10, "split names are merged");
	is_int(sigil_zone_rr_count(z), 14, "all records kept");

	/* canonical order */
	const char *order[] = {"example.",           "a.example.",
	                       "b.example.",         "ns.b.example.",
	                       "deep.ns.b.example.", "d.example.",
	                       "x.d.example.",       "NS.example.",
	                       "z.y.x.example.",     "other.test."};
	int in_order = 1;
	for (size_t i = 0; i < 10; i++) {
		uint8_t w[SIGIL_DNAME_MAXLEN];
		sigil_dname_from_str(w, order[i], NULL);
		if (!sigil_dname_equal(w, sigil_zone_node(z, i)->owner)) {
			in_order = 0;
			diag("position %zu: %s, expected %s", i,
			     owner_str(z, i), order[i]);
		}
	}
	ok(in_order, "nodes in canonical order (RFC 4034 6.1)");

	uint8_t w[SIGIL_DNAME_MAXLEN];
	sigil_dname_from_str(w, "a.example.", NULL);
	long ia = sigil_zone_find(z, w);
	ok(ia == 1, "find a.example.");
	sigil_node_t *a = sigil_zone_node(z, (size_t)ia);
	ok(a->flags & SIGIL_NODE_MERGED, "a.example. marked merged");
	size_t n = 0;
	sigil_rr_t *rr = sigil_node_rrset(a, 1, &n);
	ok(rr != NULL && n == 1, "A RRset at a.example.");
	sigil_node_rrset(a, 16, &n);
	is_int(n, 1, "TXT from the second occurrence");
	ok(a->rrs[0].type == 1 && a->rrs[1].type == 15 && a->rrs[2].type == 16,
	   "RRs ordered by type");

	ok(sigil_zone_node(z, 0)->flags & SIGIL_NODE_APEX, "apex flagged");
	ok(sigil_zone_apex_node(z) == sigil_zone_node(z, 0), "apex node");
	ok(sigil_zone_node(z, 2)->flags & SIGIL_NODE_DELEG,
	   "b.example. is a cut");
	ok(sigil_zone_node(z, 3)->flags & SIGIL_NODE_NONAUTH, "ns.b is glue");
	ok(sigil_zone_node(z, 4)->flags & SIGIL_NODE_NONAUTH,
	   "deep.ns.b is below the cut");
	ok(!(sigil_zone_node(z, 5)->flags & SIGIL_NODE_NONAUTH),
	   "DNAME owner is authoritative");
	ok(sigil_zone_node(z, 6)->flags & SIGIL_NODE_NONAUTH,
	   "name below a DNAME is occluded");
	ok(!(sigil_zone_node(z, 7)->flags &
	     (SIGIL_NODE_NONAUTH | SIGIL_NODE_DELEG)),
	   "NS.example. (uppercase) is ordinary data");
	ok(sigil_zone_node(z, 9)->flags & SIGIL_NODE_OUTSIDE,
	   "other.test. is outside the zone");
	sigil_node_rrset(sigil_zone_node(z, 0), 65534, &n);
	is_int(n, 1, "RFC 3597 generic type loaded");
	sigil_zone_free(z);
	unlink(path);

	/* syntax error: file and line */
	path = write_tmp(
		"$ORIGIN example.\n@ SOA ns hm 1 2 3 4 5\nwww A 300.1.2.3\n");
	z = sigil_zone_new();
	opts.on_node = NULL;
	ret = sigil_zone_load(z, path, &opts, &err);
	is_int(ret, SIGIL_ESYNTAX, "syntax error detected");
	is_int(err.line, 3, "error names line 3");
	is_str(err.file, path, "error names the file");
	ok(err.message[0] != '\0', "error has a message: %s", err.message);
	sigil_zone_free(z);
	unlink(path);

	/* no SOA and no origin */
	is_int(load_text("www.example. 300 A 192.0.2.1\n", &opts, &err),
	       SIGIL_ENOSOA, "no SOA, no origin: error");

	/* unreadable file */
	z = sigil_zone_new();
	ret = sigil_zone_load(z, "/nonexistent/zone", &opts, &err);
	is_int(ret, SIGIL_EIO, "missing file: SIGIL_EIO");
	sigil_zone_free(z);

	/* a class other than IN */
	is_int(load_text("example. 300 CH SOA ns hm 1 2 3 4 5\n", &opts, &err),
	       SIGIL_ESYNTAX, "class CH refused");

	/* $INCLUDE, with and without an origin, and a self-include loop */
	{
		char dir[] = "/tmp/sigil-inc-XXXXXX";
		char mainf[128], sub[128], loop[128];
		if (mkdtemp(dir) == NULL) {
			abort();
		}
		snprintf(mainf, sizeof(mainf), "%s/main.zone", dir);
		snprintf(sub, sizeof(sub), "%s/sub.zone", dir);
		snprintf(loop, sizeof(loop), "%s/loop.zone", dir);
		FILE *f = fopen(sub, "w");
		fputs("www 300 A 192.0.2.1\n", f);
		fclose(f);
		f = fopen(mainf, "w");
		fputs("$ORIGIN example.\n@ 300 SOA ns hm 1 2 3 4 5\n"
		      "$INCLUDE sub.zone\n$INCLUDE sub.zone other.example.\n"
		      "end 300 A 192.0.2.2\n",
		      f);
		fclose(f);
		f = fopen(loop, "w");
		fputs("$INCLUDE loop.zone\n", f);
		fclose(f);
		z = sigil_zone_new();
		ret = sigil_zone_load(z, mainf, &opts, &err);
		is_int(ret, SIGIL_EOK, "zone with $INCLUDE loads");
		sigil_zone_finish(z);
		uint8_t n1[SIGIL_DNAME_MAXLEN], n2[SIGIL_DNAME_MAXLEN];
		sigil_dname_from_str(n1, "www.example.", NULL);
		sigil_dname_from_str(n2, "www.other.example.", NULL);
		ok(sigil_zone_find(z, n1) >= 0,
		   "included relative to the current origin");
		ok(sigil_zone_find(z, n2) >= 0, "included with its own origin");
		is_int(sigil_zone_rr_count(z), 4,
		       "records after the include kept");
		sigil_zone_free(z);
		z = sigil_zone_new();
		ret = sigil_zone_load(z, loop, &opts, &err);
		is_int(ret, SIGIL_ELIMIT, "include loop stops with an error");
		ok(strstr(err.file, "loop.zone") != NULL,
		   "include error names the file");
		sigil_zone_free(z);
		unlink(mainf);
		unlink(sub);
		unlink(loop);
		rmdir(dir);
	}

	return done_testing();
}
