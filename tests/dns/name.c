/* Wire-format names: parsing, text conversion, labels, and the canonical
 * order of RFC 4034 §6.1 (by sigil_dname_cmp and by sort keys). */
#include <stdint.h>

#include "dns/name.h"
#include "lib/tap.h"

static size_t wire(uint8_t *out, const char *txt)
{
	return sigil_dname_from_str(out, txt, NULL);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Orders two sort keys as the header prescribes: memcmp, then length. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t min = alen < blen ? alen : blen;
	int c = memcmp(a, b, min);

	if (c != 0) {
		return sign(c);
	}
	return (alen > blen) - (alen < blen);
}

static int name_key_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t ka[SIGIL_DNAME_KEY_MAXLEN], kb[SIGIL_DNAME_KEY_MAXLEN];
	size_t la = sigil_dname_key(ka, a), lb = sigil_dname_key(kb, b);

	return key_cmp(ka, la, kb, lb);
}

/* RFC 4034 §6.1, the example list in canonical order. */
static const char *const rfc4034_order[] = {
	"example.",         "a.example.",      "yljkjljk.a.example.",
	"Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
	"\\001.z.example.", "*.z.example.",    "\\200.z.example.",
};
#define NORDER (sizeof(rfc4034_order) / sizeof(rfc4034_order[0]))

static void test_rfc4034_order(void)
{
	uint8_t n[NORDER][SIGIL_DNAME_MAXLEN];
	int bad_cmp = 0, bad_key = 0;

	for (size_t i = 0; i < NORDER; i++) {
		ok(wire(n[i], rfc4034_order[i]) > 0, "parse %s",
		   rfc4034_order[i]);
	}
	for (size_t i = 0; i < NORDER; i++) {
		for (size_t j = 0; j < NORDER; j++) {
			int want = (i > j) - (i < j);

			bad_cmp += sign(sigil_dname_cmp(n[i], n[j])) != want;
			bad_key += name_key_cmp(n[i], n[j]) != want;
		}
	}
	is_int(bad_cmp, 0, "sigil_dname_cmp orders the RFC 4034 §6.1 list");
	is_int(bad_key, 0, "sort keys order the RFC 4034 §6.1 list");
	ok(sigil_dname_cmp(n[3], n[4]) < 0, "Z.a.example < zABC.a.EXAMPLE");
}

static void test_text(void)
{
	static const struct {
		const char *in;
		const char *out;
		size_t len;
	} cases[] = {
		{".", ".", 1},
		{"example.", "example.", 9},
		{"Example.COM.", "Example.COM.", 13},
		{"\\001.z.example.", "\\001.z.example.", 13},
		{"\\200.z.example.", "\\200.z.example.", 13},
		{"*.z.example.", "*.z.example.", 13},
		{"a\\.b.example.", "a\\.b.example.", 13},
		{"\\097bc.example.", "abc.example.", 13},
		{"a\\ b.", "a\\032b.", 5},
		{"\\\\.", "\\\\.", 3},
		{"\\@\\$\\;\\(\\)\\\".", "\\@\\$\\;\\(\\)\\\".", 8},
		{"\\000\\255.", "\\000\\255.", 4},
	};
	uint8_t n[SIGIL_DNAME_MAXLEN], origin[SIGIL_DNAME_MAXLEN];
	char txt[SIGIL_DNAME_TXT_MAXLEN];
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = wire(n, cases[i].in);
		is_int(len, cases[i].len, "from_str(%s) length", cases[i].in);
		sigil_dname_to_str(txt, n);
		is_str(txt, cases[i].out, "to_str(from_str(%s))", cases[i].in);
		ok(sigil_dname_len(n) == len &&
		           sigil_dname_parse(n, len) == len,
		   "  wire form is well formed");
	}
	ok(memcmp(n, "\x02\x00\xff\x00", 4) == 0,
	   "\\000\\255 gives bytes 0, 255");

	wire(origin, "example.com.");
	len = sigil_dname_from_str(n, "www", origin);
	sigil_dname_to_str(txt, n);
	ok(len == 17 && strcmp(txt, "www.example.com.") == 0,
	   "relative name completed with the origin");
	len = sigil_dname_from_str(n, "@", origin);
	ok(len == 13 && memcmp(n, origin, 13) == 0, "@ is the origin");
	is_int(sigil_dname_from_str(n, "www", NULL), 0,
	       "relative name without origin fails");

	is_int(wire(n, "a..b."), 0, "empty label fails");
	is_int(wire(n, ".a."), 0, "leading empty label fails");
	is_int(wire(n, "\\25.a."), 0, "short decimal escape fails");
	is_int(wire(n, "\\256.a."), 0, "escape over 255 fails");
	is_int(wire(n, "a\\"), 0, "trailing backslash fails");
	{
		char buf[400];

		memset(buf, 'a', 63);
		strcpy(buf + 63, ".");
		is_int(wire(n, buf), 65, "63-byte label is fine");
		memset(buf, 'a', 64);
		strcpy(buf + 64, ".");
		is_int(wire(n, buf), 0, "64-byte label fails");
		/* 4 x (1 + 62) + 1 = 253, then 63-byte fifth label: too long */
		buf[0] = '\0';
		for (int i = 0; i < 4; i++) {
			strcat(buf, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
			            "bbbbbbbbbbbbbbbbbbbb.");
		}
		is_int(wire(n, buf), 253, "253-byte name is fine");
		strcat(buf, "c.");
		is_int(wire(n, buf), 255, "255-byte name is fine");
		strcat(buf, "d.");
		is_int(wire(n, buf), 0, "257-byte name fails");
	}
}

static void test_labels(void)
{
	uint8_t n[SIGIL_DNAME_MAXLEN], m[SIGIL_DNAME_MAXLEN],
		p[SIGIL_DNAME_MAXLEN];

	wire(n, ".");
	ok(sigil_dname_labels(n) == 0 && sigil_dname_rrsig_labels(n) == 0,
	   "root has no labels");
	wire(n, "a.b.example.");
	is_int(sigil_dname_labels(n), 3, "a.b.example has 3 labels");
	is_int(sigil_dname_rrsig_labels(n), 3, "  and RRSIG label count 3");
	ok(!sigil_dname_is_wildcard(n), "  and is no wildcard");
	wire(n, "*.b.example.");
	is_int(sigil_dname_labels(n), 3, "*.b.example has 3 labels");
	is_int(sigil_dname_rrsig_labels(n), 2, "  but RRSIG label count 2");
	ok(sigil_dname_is_wildcard(n), "  and is a wildcard");
	wire(n, "a.*.example.");
	ok(!sigil_dname_is_wildcard(n) && sigil_dname_rrsig_labels(n) == 3,
	   "a.*.example is no wildcard");
	wire(n, "\\*.example.");
	ok(sigil_dname_is_wildcard(n), "\\* is the same octet as *");
	wire(n, "**.example.");
	ok(!sigil_dname_is_wildcard(n), "** is no wildcard label");

	wire(n, "WwW.ExAmPlE.\\200Z.");
	wire(m, "www.example.\\200z.");
	sigil_dname_tolower(p, n);
	ok(memcmp(p, m, sigil_dname_len(m)) == 0,
	   "tolower: ASCII letters only");
	sigil_dname_tolower(n, n);
	ok(memcmp(n, m, sigil_dname_len(m)) == 0, "tolower in place");
	wire(n, "WwW.ExAmPlE.");
	wire(m, "www.example.");
	ok(sigil_dname_equal(n, m) && sigil_dname_cmp(n, m) == 0,
	   "equal ignores case");
	wire(m, "www.example.com.");
	ok(!sigil_dname_equal(n, m), "different names are not equal");
	wire(n, "\\193.");
	wire(m, "\\225.");
	ok(!sigil_dname_equal(n, m) && sigil_dname_cmp(n, m) < 0,
	   "bytes above 127 are not case-folded");

	wire(n, "a.b.example.");
	wire(m, "example.");
	ok(sigil_dname_is_subdomain(n, m), "a.b.example is under example");
	ok(sigil_dname_is_subdomain(m, m), "example is under itself");
	ok(!sigil_dname_is_subdomain(m, n), "example is not under a.b.example");
	wire(p, ".");
	ok(sigil_dname_is_subdomain(n, p), "everything is under the root");
	wire(n, "badexample.");
	ok(!sigil_dname_is_subdomain(n, m), "badexample is not under example");
	wire(n, "A.EXAMPLE.");
	ok(sigil_dname_is_subdomain(n, m), "subdomain ignores case");
}

static void test_parse(void)
{
	static const uint8_t ok1[] = "\x03"
				     "www\x07"
				     "example";
	static const uint8_t ptr[] = "\x03"
				     "www\xc0\x0c";
	static const uint8_t big[] = "\x40"
				     "xxxx";
	uint8_t n[300];

	is_int(sigil_dname_parse(ok1, sizeof(ok1)), 13, "well-formed name");
	is_int(sigil_dname_parse(ok1, sizeof(ok1) - 1), 0,
	       "name running past the buffer");
	is_int(sigil_dname_parse(ok1, 0), 0, "empty buffer");
	is_int(sigil_dname_parse(ptr, sizeof(ptr)), 0, "compression pointer");
	is_int(sigil_dname_parse(big, sizeof(big)), 0, "label length 64");
	/* 4 x 63-byte labels + root = 257 bytes */
	for (int i = 0; i < 4; i++) {
		n[i * 64] = 63;
		memset(n + i * 64 + 1, 'a', 63);
	}
	n[256] = 0;
	is_int(sigil_dname_parse(n, sizeof(n)), 0, "257-byte name");
	n[192] = 61;
	n[254] = 0;
	is_int(sigil_dname_parse(n, sizeof(n)), 255, "255-byte name");
}

/* Random names over an alphabet that stresses case folding, the key
 * escapes (0x00, 0x01) and presentation escapes. */
static size_t random_name(uint8_t *out, unsigned *seed)
{
	static const uint8_t alpha[] = {
		0x00, 0x01, 0x02, 'A',  'a', 'B', 'b',  'Z',  'z',  '[',  '`',
		'*',  '-',  '.',  '\\', '"', ' ', 0x7f, 0x80, 0xc1, 0xe1, 0xff};
	unsigned labels = (unsigned)rand_r(seed) % 5;
	size_t pos = 0;

	for (unsigned l = 0; l < labels; l++) {
		unsigned len = 1 + (unsigned)rand_r(seed) % 4;

		out[pos++] = (uint8_t)len;
		for (unsigned i = 0; i < len; i++) {
			out[pos++] =
				alpha[(unsigned)rand_r(seed) % sizeof(alpha)];
		}
	}
	out[pos++] = 0;
	return pos;
}

static void test_random(void)
{
	enum { N = 300 };
	static uint8_t names[N][SIGIL_DNAME_MAXLEN];
	uint8_t back[SIGIL_DNAME_MAXLEN], parent[SIGIL_DNAME_MAXLEN];
	char txt[SIGIL_DNAME_TXT_MAXLEN];
	unsigned seed = 4034;
	int bad_rt = 0, bad_order = 0, bad_eq = 0, bad_sym = 0, bad_prefix = 0;

	for (int i = 0; i < N; i++) {
		size_t len = random_name(names[i], &seed);

		sigil_dname_to_str(txt, names[i]);
		bad_rt += wire(back, txt) != len ||
		          memcmp(back, names[i], len) != 0;
	}
	is_int(bad_rt, 0, "%d random names survive to_str/from_str", N);

	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			int c = sign(sigil_dname_cmp(names[i], names[j]));

			bad_order += c != name_key_cmp(names[i], names[j]);
			bad_eq += (c == 0) !=
			          sigil_dname_equal(names[i], names[j]);
			bad_sym +=
				c != -sign(sigil_dname_cmp(names[j], names[i]));
		}
	}
	is_int(bad_order, 0, "sort key order equals sigil_dname_cmp order");
	is_int(bad_eq, 0, "cmp is 0 exactly for equal names");
	is_int(bad_sym, 0, "cmp is antisymmetric");

	/* every ancestor's key is a prefix of the name's key */
	for (int i = 0; i < N; i++) {
		uint8_t kn[SIGIL_DNAME_KEY_MAXLEN], kp[SIGIL_DNAME_KEY_MAXLEN];
		size_t ln = sigil_dname_key(kn, names[i]);
		const uint8_t *p = names[i];

		while (*p != 0) {
			size_t lp;

			p += *p + 1;
			memcpy(parent, p, sigil_dname_len(p));
			lp = sigil_dname_key(kp, parent);
			bad_prefix += lp >= ln || memcmp(kn, kp, lp) != 0;
			bad_prefix +=
				!sigil_dname_is_subdomain(names[i], parent);
			bad_prefix += sigil_dname_cmp(parent, names[i]) >= 0;
		}
	}
	is_int(bad_prefix, 0, "ancestors: key prefix, subdomain, sort first");
	{
		uint8_t root[1] = {0}, k[4];

		is_int(sigil_dname_key(k, root), 0,
		       "the root has the empty key");
	}
}

int main(void)
{
	test_rfc4034_order();
	test_text();
	test_labels();
	test_parse();
	test_random();
	return done_testing();
}
