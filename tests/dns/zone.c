/* Zone store and loader: grouping, canonical order, merging of names that
 * appear in several places, zone cuts, syntax errors with file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/load.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "lib/tap.h"
#include "util/error.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/sigil-zone-test-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0) {
		abort();
	}
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
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

int main(void)
{
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
