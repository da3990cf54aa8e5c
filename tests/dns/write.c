/* Zone file writer and atomic file output: what is written reads back as
 * the same records, in the documented order, byte-identical every time,
 * and BIND's named-checkzone accepts it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns/load.h"
#include "dns/name.h"
#include "dns/write.h"
#include "dns/zone.h"
#include "lib/tap.h"
#include "util/error.h"
#include "util/file.h"

extern char **environ;

#ifndef SRCDIR
#define SRCDIR "."
#endif

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static int slot;
	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", tmpdir, name);
	return path[slot];
}

static void test_dname_from(uint8_t *out, const char *txt)
{
	if (sigil_dname_from_str(out, txt, NULL) == 0) {
		abort();
	}
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		abort();
	}
}

/* Whole file as a NUL-terminated string (caller frees), NULL if absent. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		abort();
	}
	buf[n] = '\0';
	fclose(f);
	if (len != NULL) {
		*len = (size_t)n;
	}
	return buf;
}

/* Loaded, finished and classified zone, or NULL (diagnosed). */
static sigil_zone_t *load(const char *path)
{
	sigil_zone_t *z = sigil_zone_new();
	sigil_load_opts_t opts = {0};
	sigil_load_error_t err;
	int ret = sigil_zone_load(z, path, &opts, &err);
	if (ret == SIGIL_EOK) {
		ret = sigil_zone_finish(z);
	}
	if (ret != SIGIL_EOK) {
		diag("loading %s: %s:%llu: %s", path, err.file,
		     (unsigned long long)err.line, err.message);
		sigil_zone_free(z);
		return NULL;
	}
	sigil_zone_classify(z);
	return z;
}

static int write_file(const sigil_zone_t *z, const char *path)
{
	sigil_file_error_t err;
	int ret = sigil_zone_write_file(z, path, 0, NULL, &err);
	if (ret != SIGIL_EOK) {
		diag("writing %s: %s", path, err.message);
	}
	return ret;
}

static size_t next_inside(const sigil_zone_t *z, size_t i)
{
	while (i < sigil_zone_node_count(z) &&
	       (sigil_zone_node(z, i)->flags & SIGIL_NODE_OUTSIDE)) {
		i++;
	}
	return i;
}

/* Same names (exact bytes, case included) with the same records (type,
 * TTL, RDATA bytes), names outside the zone left aside. */
static int same_zone(const sigil_zone_t *a, const sigil_zone_t *b)
{
	size_t i = next_inside(a, 0), j = next_inside(b, 0);
	char name[SIGIL_DNAME_TXT_MAXLEN];

	for (; i < sigil_zone_node_count(a) && j < sigil_zone_node_count(b);
	     i = next_inside(a, i + 1), j = next_inside(b, j + 1)) {
		const sigil_node_t *x = sigil_zone_node(a, i);
		const sigil_node_t *y = sigil_zone_node(b, j);
		size_t len = sigil_dname_len(x->owner);
		sigil_dname_to_str(name, x->owner);
		if (len != sigil_dname_len(y->owner) ||
		    memcmp(x->owner, y->owner, len) != 0) {
			diag("owner %s differs", name);
			return 0;
		}
		if (x->rr_count != y->rr_count) {
			diag("%s: %u records, %u read back", name, x->rr_count,
			     y->rr_count);
			return 0;
		}
		for (uint32_t r = 0; r < x->rr_count; r++) {
			const sigil_rr_t *p = &x->rrs[r], *q = &y->rrs[r];
			if (p->type != q->type || p->ttl != q->ttl ||
			    p->rdlen != q->rdlen ||
			    memcmp(p->rdata, q->rdata, p->rdlen) != 0) {
				diag("%s: record %u (type %u) differs", name, r,
				     p->type);
				return 0;
			}
		}
	}
	if (i < sigil_zone_node_count(a) || j < sigil_zone_node_count(b)) {
		diag("node counts differ");
		return 0;
	}
	return 1;
}

static size_t inside_rr_count(const sigil_zone_t *z)
{
	size_t n = 0;
	for (size_t i = next_inside(z, 0); i < sigil_zone_node_count(z);
	     i = next_inside(z, i + 1)) {
		n += sigil_zone_node(z, i)->rr_count;
	}
	return n;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++) {
		n += *text == '\n';
	}
	return n;
}

/* Every RRSIG line follows, at the same owner, the RRset it covers or
 * another RRSIG covering the same type; returns how many RRSIG lines were
 * checked, or -1. */
static long check_sig_placement(char *text)
{
	char prev_owner[1100] = "", prev_type[32] = "", prev_cov[32] = "";
	long sigs = 0;

	for (char *line = strtok(text, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		char owner[1100], cls[8], type[32], cov[32] = "";
		unsigned ttl;
		if (sscanf(line, "%1099s %u %7s %31s %31s", owner, &ttl, cls,
		           type, cov) < 4) {
			diag("unparsable line: %s", line);
			return -1;
		}
		if (strcmp(type, "RRSIG") == 0) {
			sigs++;
			bool after_set = strcmp(prev_type, cov) == 0;
			bool after_sig = strcmp(prev_type, "RRSIG") == 0 &&
			                 strcmp(prev_cov, cov) == 0;
			if (strcmp(owner, prev_owner) != 0 ||
			    !(after_set || after_sig)) {
				diag("misplaced: %s", line);
				return -1;
			}
		}
		snprintf(prev_owner, sizeof(prev_owner), "%s", owner);
		snprintf(prev_type, sizeof(prev_type), "%s", type);
		snprintf(prev_cov, sizeof(prev_cov), "%s", cov);
	}
	return sigs;
}

/* Runs argv (stdout to our stderr, to keep TAP clean); exit status, or -1
 * when it could not be started. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		diag("cannot run %s: %s", argv[0], strerror(e));
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		return -1;
	}
	return WEXITSTATUS(status);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	if (d == NULL) {
		abort();
	}
	while ((e = readdir(d)) != NULL) {
		n += strcmp(e->d_name, ".") != 0 &&
		     strcmp(e->d_name, "..") != 0;
	}
	closedir(d);
	return n;
}

/* Types of the leading "example." lines, RRSIGs with the type covered:
 * "SOA,RRSIG SOA,NS,...". */
static const char *apex_sequence(const char *text, char *seq, size_t cap)
{
	seq[0] = '\0';
	for (const char *l = text; strncmp(l, "example. ", 9) == 0;
	     l = strchr(l, '\n') + 1) {
		char type[16], cov[16] = "";
		bool sig;
		sscanf(l, "%*s %*u %*s %15s %15s", type, cov);
		sig = strcmp(type, "RRSIG") == 0;
		size_t len = strlen(seq);
		snprintf(seq + len, cap - len, "%s%s%s,", type, sig ? " " : "",
		         sig ? cov : "");
	}
	return seq;
}

static void test_rfc_zone(const char *file, const char *apex_order)
{
	char src[512];
	snprintf(src, sizeof(src), "%s/tests/data/%s", SRCDIR, file);
	const char *out1 = tmp_path("one.zone");
	const char *out2 = tmp_path("two.zone");

	sigil_zone_t *z = load(src);
	ok(z != NULL, "%s loads", file);
	if (z == NULL) {
		return;
	}
	is_int(write_file(z, out1), SIGIL_EOK, "%s written", file);
	is_int(write_file(z, out2), SIGIL_EOK, "%s written again", file);
	size_t l1, l2;
	char *t1 = slurp(out1, &l1), *t2 = slurp(out2, &l2);
	ok(t1 != NULL && t2 != NULL && l1 == l2 && memcmp(t1, t2, l1) == 0,
	   "%s: same zone, byte-identical output", file);
	is_int(count_lines(t1), inside_rr_count(z), "%s: one line per record",
	       file);
	ok(strncmp(t1, "example. 3600 IN SOA ", 21) == 0,
	   "%s: the SOA is the first line", file);

	sigil_zone_t *back = load(out1);
	ok(back != NULL, "%s: output loads", file);
	ok(back != NULL && same_zone(z, back),
	   "%s: output reads back as the same records", file);
	ok(back != NULL && sigil_zone_rr_count(back) == inside_rr_count(z),
	   "%s: nothing more read back", file);

	/* Written from what was read back: a fixed point. */
	if (back != NULL) {
		write_file(back, out2);
		free(t2);
		t2 = slurp(out2, &l2);
		ok(l1 == l2 && memcmp(t1, t2, l1) == 0,
		   "%s: rewriting the output gives the same bytes", file);
	}
	char seq[512];
	is_str(apex_sequence(t1, seq, sizeof(seq)), apex_order,
	       "%s: apex order: SOA, then by type, RRSIGs after their RRset",
	       file);
	long sigs = check_sig_placement(t1);
	ok(sigs > 0, "%s: each of %ld RRSIG lines follows its RRset", file,
	   sigs);

	char *argv[] = {"named-checkzone", "-i",       "none",       "-o",
	                "/dev/null",       "example.", (char *)out1, NULL};
	is_int(run(argv), 0, "%s: named-checkzone accepts the output", file);
	free(t1);
	free(t2);
	sigil_zone_free(back);
	sigil_zone_free(z);
	unlink(out1);
	unlink(out2);
}

/* Names and data that need escapes or other forms, RFC 3597 types, types
 * read back before being trusted, an RRSIG without its RRset. */
static const char *odd_zone =
	"$ORIGIN example.\n"
	"$TTL 300\n"
	"@ SOA ns hostmaster 1 2 3 4 5\n"
	"@ NS ns\n"
	"ns A 192.0.2.1\n"
	"other.test. A 192.0.2.99\n"
	"a\\032b.c\\.d A 192.0.2.2\n"
	"\\$x\\@y\\\"z\\;\\(\\) TXT \"he said \\\"hi\\\"\" \"\\255\\000x\\\\\" "
	"\"\"\n"
	"Mixed.CASE.\\000\\255 AAAA 2001:db8::1\n"
	"@ TYPE65280 \\# 3 010203\n"
	"@ TYPE65281 \\# 0\n"
	"@ CAA 0 issue \"ca.example.net\"\n"
	"svc SVCB 1 . alpn=h2,h3 port=8443\n"
	"loc LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n"
	"e NSEC f.example.\n"
	"o RRSIG MX 8 2 300 4294967295 0 12345 example. AQID\n"
	"o RRSIG A 8 2 300 20300101000000 20200101000000 12345 example. "
	"AQID\n"
	"o A 192.0.2.3\n"
	"o TXT \"x\"\n"
	"o RRSIG TXT 8 2 300 20300101000000 20200101000000 12345 example. "
	"AQID\n";

static void test_odd_zone(void)
{
	const char *in = tmp_path("odd-in.zone");
	const char *out = tmp_path("odd-out.zone");

	put_file(in, odd_zone);
	sigil_zone_t *z = load(in);
	ok(z != NULL, "odd zone loads");
	if (z == NULL) {
		return;
	}
	is_int(write_file(z, out), SIGIL_EOK, "odd zone written");
	char *text = slurp(out, NULL);
	sigil_zone_t *back = load(out);
	ok(back != NULL && same_zone(z, back),
	   "escaped names, TXT escapes, generic and checked types, RRSIG "
	   "times 0 and 2^32-1 read back the same");
	ok(strstr(text, "example. 300 IN TYPE65280 \\# 3 010203\n") != NULL,
	   "unknown type in RFC 3597 form");
	ok(strstr(text, "example. 300 IN TYPE65281 \\# 0\n") != NULL,
	   "empty unknown RDATA");
	ok(strstr(text, "\na\\032b.c\\.d.example. 300 IN A 192.0.2.2\n") !=
	           NULL,
	   "space and dot inside labels escaped");
	ok(strstr(text, "other.test.") == NULL, "names outside not written");
	ok(strstr(text, "21060207062815 21060207062816") != NULL,
	   "RRSIG times as dates, fixed window");
	ok(strstr(text, "IN CAA 0 issue \"ca.example.net\"\n") != NULL,
	   "checked type kept in its presentation form");
	/* the node o: A, its RRSIG, the orphan RRSIG(MX) where MX would be,
	 * TXT, its RRSIG */
	const char *o = strstr(text, "\no.example. ");
	ok(o != NULL && strncmp(o, "\no.example. 300 IN A ", 21) == 0 &&
	           strstr(o, "IN RRSIG A ") < strstr(o, "IN RRSIG MX ") &&
	           strstr(o, "IN RRSIG MX ") < strstr(o, "IN TXT ") &&
	           strstr(o, "IN TXT ") < strstr(o, "IN RRSIG TXT "),
	   "RRSIG without RRset stands where its RRset would");
	free(text);
	sigil_zone_free(back);
	sigil_zone_free(z);
	unlink(in);
	unlink(out);
}

/* RDATA that libknot cannot print or would print differently: written in
 * the generic form, read back as the same bytes. */
static void test_malformed(void)
{
	const char *out = tmp_path("bad.zone");
	uint8_t apex[SIGIL_DNAME_MAXLEN], name[SIGIL_DNAME_MAXLEN];
	static const uint8_t short_a[] = {192, 0, 2};
	/* NSEC to a.example. with a zero byte after the bitmap's last type */
	static const uint8_t nsec_pad[] = {
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 2, 0x40, 0};
	/* two windows 0 (A, then NS): libknot would merge them */
	static const uint8_t nsec_dup[] = {1, 'a', 0, 0, 1, 0x40, 0, 1, 0x20};
	static const uint8_t soa[] = {2, 'n', 's', 0, 2, 'h', 'm', 0, 0, 0,
	                              0, 1,   0,   0, 0, 2,   0,   0, 0, 3,
	                              0, 0,   0,   4, 0, 0,   0,   5};
	sigil_rr_t rr_apex[] = {
		{.type = SIGIL_T_SOA,
	         .ttl = 60,
	         .rdata = soa,
	         .rdlen = sizeof(soa)},
	};
	sigil_rr_t rr_x[] = {
		{.type = SIGIL_T_A, .ttl = 60, .rdata = short_a, .rdlen = 3},
		{.type = SIGIL_T_NSEC,
	         .ttl = 60,
	         .rdata = nsec_pad,
	         .rdlen = sizeof(nsec_pad)},
	};
	sigil_rr_t rr_y[] = {
		{.type = SIGIL_T_NSEC,
	         .ttl = 60,
	         .rdata = nsec_dup,
	         .rdlen = sizeof(nsec_dup)},
	};
	sigil_rr_t rr_z[] = {
		{.type = SIGIL_T_TXT, .ttl = 60, .rdata = soa, .rdlen = 0},
	};
	sigil_zone_t *z = sigil_zone_new();

	test_dname_from(apex, "example.");
	sigil_zone_set_apex(z, apex);
	sigil_zone_add_node(z, apex, rr_apex, 1, 1);
	test_dname_from(name, "x.example.");
	sigil_zone_add_node(z, name, rr_x, 2, 2);
	test_dname_from(name, "y.example.");
	sigil_zone_add_node(z, name, rr_y, 1, 3);
	sigil_zone_finish(z);
	sigil_zone_classify(z);

	is_int(write_file(z, out), SIGIL_EOK, "malformed RDATA written");
	char *text = slurp(out, NULL);
	ok(strstr(text, "x.example. 60 IN A \\# 3 C00002\n") != NULL,
	   "short A in the generic form");
	ok(strstr(text, "x.example. 60 IN NSEC \\# 15 "
	                "0161076578616D706C650000024000\n") != NULL,
	   "padded NSEC bitmap in the generic form");
	ok(strstr(text, "y.example. 60 IN NSEC \\# 9 016100000140000120\n") !=
	           NULL,
	   "repeated NSEC window in the generic form");
	sigil_zone_t *back = load(out);
	ok(back != NULL && same_zone(z, back),
	   "malformed RDATA reads back as the same bytes");

	/* libzscanner refuses this one in any form; still written as is */
	char *mem = NULL;
	size_t mem_len = 0;
	FILE *ms = open_memstream(&mem, &mem_len);
	sigil_writer_t *w = sigil_writer_new(ms, NULL);
	sigil_file_error_t err;
	test_dname_from(name, "z.example.");
	sigil_node_t *node = sigil_zone_add_node(z, name, rr_z, 1, 4);
	sigil_node_sort(node);
	is_int(sigil_writer_node(w, node, &err), SIGIL_EOK, "writer: a node");
	is_int(sigil_writer_flush(w, &err), SIGIL_EOK, "writer: flush");
	is_int(sigil_writer_records(w), 1, "writer: one record");
	sigil_writer_free(w);
	fclose(ms);
	is_str(mem, "z.example. 60 IN TXT \\# 0\n",
	       "empty TXT in the generic form");
	free(mem);
	free(text);
	sigil_zone_free(back);
	sigil_zone_free(z);
	unlink(out);
}

static void test_atomic(void)
{
	const char *target = tmp_path("atomic.txt");
	sigil_atomic_file_t *f = NULL;
	sigil_file_error_t err;
	struct stat st;

	is_int(sigil_file_atomic_open(&f, target, 0, &err), SIGIL_EOK,
	       "atomic open");
	ok(f != NULL && access(target, F_OK) != 0,
	   "target does not exist before commit");
	ok(f != NULL && strncmp(sigil_file_atomic_temp_path(f), tmpdir,
	                        strlen(tmpdir)) == 0,
	   "temporary file in the target's directory");
	fputs("first\n", sigil_file_atomic_stream(f));
	is_int(sigil_file_atomic_commit(f, &err), SIGIL_EOK, "commit");
	char *text = slurp(target, NULL);
	is_str(text, "first\n", "committed file has the content");
	free(text);
	ok(stat(target, &st) == 0 && (st.st_mode & 0777) == 0644,
	   "default mode 0644");
	is_int(dir_entries(tmpdir), 1, "no temporary file left by commit");

	/* replacing, with a mode */
	sigil_file_atomic_open(&f, target, 0600, &err);
	fputs("second\n", sigil_file_atomic_stream(f));
	text = slurp(target, NULL);
	is_str(text, "first\n", "old content visible until commit");
	free(text);
	is_int(sigil_file_atomic_commit(f, &err), SIGIL_EOK, "second commit");
	text = slurp(target, NULL);
	is_str(text, "second\n", "commit replaces the file");
	free(text);
	ok(stat(target, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "given mode applied");

	/* abort */
	const char *other = tmp_path("aborted.txt");
	is_int(sigil_file_atomic_open(&f, other, 0, &err), SIGIL_EOK,
	       "open for abort");
	fputs("never\n", sigil_file_atomic_stream(f));
	sigil_file_atomic_abort(f);
	ok(access(other, F_OK) != 0, "abort leaves no file");
	is_int(dir_entries(tmpdir), 1, "abort leaves no temporary file");
	unlink(target);

	/* a directory that cannot take the file */
	const char *missing = tmp_path("no-such-dir/zone");
	f = NULL;
	is_int(sigil_file_atomic_open(&f, missing, 0, &err), SIGIL_EIO,
	       "missing directory refused");
	ok(f == NULL, "nothing returned");
	is_str(err.path, missing, "error names the target");
	ok(strstr(err.message, tmpdir) != NULL &&
	           strstr(err.message, strerror(ENOENT)) != NULL,
	   "message names the directory and the reason: %s", err.message);

	if (geteuid() != 0) {
		const char *ro = tmp_path("ro");
		mkdir(ro, 0555);
		char path[300];
		snprintf(path, sizeof(path), "%s/zone", ro);
		is_int(sigil_file_atomic_open(&f, path, 0, &err), SIGIL_EIO,
		       "read-only directory refused");
		ok(strstr(err.message, ro) != NULL &&
		           strstr(err.message, strerror(EACCES)) != NULL,
		   "message: %s", err.message);
		rmdir(ro);
	} else {
		/* root writes anywhere but in /proc */
		is_int(sigil_file_atomic_open(&f, "/proc/sigil-test.zone", 0,
		                              &err),
		       SIGIL_EIO, "unwritable directory refused");
		ok(strstr(err.message, "/proc") != NULL, "message: %s",
		   err.message);
	}

	/* the zone writer through an unwritable target */
	sigil_zone_t *z = sigil_zone_new();
	int ret = sigil_zone_write_file(z, missing, 0, NULL, &err);
	is_int(ret, SIGIL_EIO, "zone write to a missing directory fails");
	is_str(err.path, missing, "and names the path");
	sigil_zone_free(z);
	is_int(dir_entries(tmpdir), 0, "directory left clean");
}

static void test_write_errors(void)
{
	/* a stream that cannot be written: /dev/full */
	FILE *full = fopen("/dev/full", "w");
	sigil_file_error_t err;
	const char *in = tmp_path("small.zone");

	put_file(in, "example. 60 IN SOA ns. hm. 1 2 3 4 5\n");
	sigil_zone_t *z = load(in);
	sigil_write_opts_t opts = {.name = "/dev/full"};
	ok(full != NULL && z != NULL, "setup");
	if (full != NULL && z != NULL) {
		int ret = sigil_zone_write(z, full, &opts, &err);
		is_int(ret, SIGIL_EIO, "full device: SIGIL_EIO");
		ok(strstr(err.message, "/dev/full") != NULL &&
		           strstr(err.message, strerror(ENOSPC)) != NULL,
		   "message: %s", err.message);
	}
	if (full != NULL) {
		fclose(full);
	}

	/* a node not sorted is refused */
	uint8_t name[SIGIL_DNAME_MAXLEN];
	static const uint8_t a[] = {192, 0, 2, 1};
	sigil_rr_t rr = {.type = SIGIL_T_A, .ttl = 1, .rdata = a, .rdlen = 4};
	sigil_zone_t *u = sigil_zone_new();
	test_dname_from(name, "x.");
	sigil_node_t *node = sigil_zone_add_node(u, name, &rr, 1, 1);
	sigil_writer_t *w = sigil_writer_new(stdout, NULL);
	is_int(sigil_writer_node(w, node, &err), SIGIL_EINVAL,
	       "unsorted node refused");
	is_int(sigil_writer_records(w), 0, "nothing written");
	sigil_writer_free(w);
	sigil_zone_free(u);
	sigil_zone_free(z);
	unlink(in);
}

/* More nodes than one block of the parallel writer: 1, 2 and 3 threads
 * give byte-identical text. */
static void test_parallel(void)
{
	sigil_zone_t *z = sigil_zone_new();
	uint8_t apex[SIGIL_DNAME_MAXLEN], name[SIGIL_DNAME_MAXLEN];
	uint8_t soa[64] = {0}, a[4] = {192, 0, 2, 1};
	char txt[64];
	char *one = NULL, *text = NULL;
	size_t one_len = 0, len = 0;
	sigil_file_error_t err;

	test_dname_from(apex, "par.example.");
	sigil_zone_set_apex(z, apex);
	/* SOA: root names, zero counters */
	sigil_rr_t srr = {
		.type = SIGIL_T_SOA, .ttl = 300, .rdata = soa, .rdlen = 22};
	sigil_zone_add_node(z, apex, &srr, 1, 1);
	for (unsigned i = 0; i < 70000; i++) {
		sigil_rr_t rr = {
			.type = SIGIL_T_A, .ttl = 300, .rdata = a, .rdlen = 4};
		snprintf(txt, sizeof(txt), "n%u.par.example.", i);
		test_dname_from(name, txt);
		sigil_zone_add_node(z, name, &rr, 1, i + 2);
	}
	sigil_zone_finish(z);
	sigil_zone_classify(z);
	for (unsigned t = 1; t <= 3; t++) {
		FILE *f = open_memstream(&text, &len);
		sigil_write_opts_t o = {.threads = t};
		int ret = sigil_zone_write(z, f, &o, &err);

		fclose(f);
		is_int(ret, SIGIL_EOK, "%u threads: written", t);
		if (t == 1) {
			one = text;
			one_len = len;
			is_int(count_lines(one), 70001, "  70001 lines");
			continue;
		}
		ok(len == one_len && memcmp(text, one, len) == 0,
		   "  %u threads: the same bytes as 1 thread", t);
		free(text);
	}
	free(one);
	sigil_zone_free(z);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sigil-write-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		abort();
	}
	test_rfc_zone("rfc4035-example.zone",
	              "SOA,RRSIG SOA,NS,NS,RRSIG NS,MX,RRSIG MX,NSEC,"
	              "RRSIG NSEC,DNSKEY,DNSKEY,RRSIG DNSKEY,RRSIG DNSKEY,");
	test_rfc_zone("rfc5155-example.zone",
	              "SOA,RRSIG SOA,NS,NS,RRSIG NS,MX,RRSIG MX,DNSKEY,DNSKEY,"
	              "RRSIG DNSKEY,NSEC3PARAM,RRSIG NSEC3PARAM,");
	test_odd_zone();
	test_malformed();
	test_write_errors();
	test_atomic();
	test_parallel();
	rmdir(tmpdir);
	return done_testing();
}
