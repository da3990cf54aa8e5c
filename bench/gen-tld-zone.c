/*
 * gen-tld-zone — generate a deterministic, TLD-like, unsigned zone.
 *
 *   gen-tld-zone [--origin NAME] [--delegations N] [--ds-fraction F]
 *                [--glue-fraction G] [--seed S] > zone.txt
 *
 * Defaults: origin "tld.", N = 1000, F = 0.1, G = 0.05, seed 1.
 *
 * Output, in this order:
 *   $ORIGIN / $TTL, the SOA, two apex NS (ns1.nic / ns2.nic, inside the
 *   zone, with A and AAAA records), a few apex records (TXT, MX), some
 *   names under "nic" (nic itself stays an empty non-terminal), then
 *   exactly N delegations:
 *     - every delegation has two NS records; most point out of the zone to
 *       a Zipf-distributed set of hosters (ns1.<hoster>.net. ...);
 *     - a fraction G uses in-bailiwick name servers (ns1.<name>, ns2.<name>)
 *       with A / AAAA glue below the delegation;
 *     - a fraction F has a DS record (algorithm 13, digest type 2, random
 *       SHA-256 digest); a few of those have a second DS (key rollover);
 *     - a small, deterministic number of delegations sit one or two labels
 *       deeper (child.parent.<origin>, child.inner.parent.<origin>) where
 *       the parents have no data, so the zone has empty non-terminals.
 * Delegation names are unique, made of letters, digits and hyphens, of
 * varying length (pronounceable words, compounds, names with digits,
 * numeric names, xn-- names, a few long ones).
 *
 * The same arguments always give byte-identical output (own PRNG, no
 * locale or libc randomness). Names are written relative to $ORIGIN.
 * Memory: one 8-byte slot per 0.5 name for the uniqueness set (about
 * 256 MiB for 10 million delegations).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: xoshiro256** seeded by splitmix64 ---------------------------- */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9;
	uint64_t t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* uniform in [0, n), n > 0 (slight modulo bias is irrelevant here) */
static uint32_t rndn(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

/* uniform in [0, 1) */
static double rndu(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- uniqueness set: open addressing over 64-bit name hashes ------------- *
 * A candidate whose hash is already present is rejected even if the name
 * differs (astronomically rare); accepted names therefore never repeat. */

static uint64_t *set_slot;
static uint64_t set_mask;

static uint64_t hash_name(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static void set_init(uint64_t expected)
{
	uint64_t cap = 1024;
	while (cap < expected * 2 + 64)
		cap <<= 1;
	set_slot = calloc(cap, sizeof(*set_slot));
	if (!set_slot) {
		fprintf(stderr, "gen-tld-zone: out of memory (%llu slots)\n",
		        (unsigned long long)cap);
		exit(1);
	}
	set_mask = cap - 1;
}

/* returns 1 if inserted, 0 if already present */
static int set_add(const char *s, size_t n)
{
	uint64_t h = hash_name(s, n);
	for (uint64_t i = h & set_mask;; i = (i + 1) & set_mask) {
		if (set_slot[i] == 0) {
			set_slot[i] = h;
			return 1;
		}
		if (set_slot[i] == h)
			return 0;
	}
}

/* ---- name generation ---------------------------------------------------- */

static const char *const CONS[] = {
	"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",
	"n",  "p",  "r",  "s",  "t",  "v",  "w",  "z",  "b",  "d",
	"k",  "l",  "m",  "n",  "r",  "s",  "t",  "st", "tr", "br",
	"ch", "sh", "th", "pl", "gr", "cl", "kr", "sp", "fl",
};
static const char *const VOW[] = {
	"a", "e",  "i",  "o",  "u",  "a", "e",  "i",
	"o", "ai", "ea", "ou", "io", "y", "ei", "au",
};
#define NCONS (sizeof(CONS) / sizeof(CONS[0]))
#define NVOW (sizeof(VOW) / sizeof(VOW[0]))
#define MAXLABEL 63

/* Appends a pronounceable word of exactly len characters (len >= 1). */
static size_t put_word(char *out, size_t len)
{
	size_t n = 0;
	int vowel = rndn(4) == 0;
	while (n < len) {
		const char *p = vowel ? VOW[rndn(NVOW)] : CONS[rndn(NCONS)];
		while (*p && n < len)
			out[n++] = *p++;
		vowel = !vowel;
	}
	return n;
}

static size_t put_chars(char *out, size_t len, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[rndn((uint32_t)k)];
	return len;
}

/* typical word length 3..13, centred near 8 */
static size_t word_len(void)
{
	return 3 + rndn(6) + rndn(6);
}

/* Writes one random LDH label into out (no terminator); returns length. */
static size_t gen_label(char *out)
{
	static const char ALNUM[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char DIGITS[] = "0123456789";
	uint32_t r = rndn(100);
	size_t n = 0;

	if (r < 55) { /* one word */
		n = put_word(out, word_len());
	} else if (r < 72) { /* compound of two words, sometimes hyphenated */
		n = put_word(out, 2 + rndn(6));
		if (rndn(3) == 0)
			out[n++] = '-';
		n += put_word(out + n, 2 + rndn(7));
	} else if (r < 85) { /* word followed by digits */
		n = put_word(out, 2 + rndn(9));
		if (rndn(5) == 0)
			out[n++] = '-';
		out[n] = (char)('1' + rndn(9));
		n++;
		n += put_chars(out + n, rndn(4), DIGITS);
	} else if (r < 91) { /* short random alphanumerics (acronyms etc.) */
		out[0] = (char)('a' + rndn(26));
		n = 1 + put_chars(out + 1, 1 + rndn(5), ALNUM);
	} else if (r < 94) { /* IDN-like */
		memcpy(out, "xn--", 4);
		n = 4 + put_chars(out + 4, 4 + rndn(16), ALNUM);
		/* punycode labels often end with "-" + code letters */
		if (rndn(2) == 0 && n < 40) {
			out[n++] = '-';
			n += put_chars(out + n, 2 + rndn(4), ALNUM);
		}
	} else if (r < 96) { /* all digits */
		out[0] = (char)('1' + rndn(9));
		n = 1 + put_chars(out + 1, rndn(8), DIGITS);
	} else { /* long, hyphenated phrase, up to the 63-octet limit */
		size_t target = 20 + rndn(44);
		while (n < target) {
			if (n)
				out[n++] = '-';
			n += put_word(out + n, 2 + rndn(8));
		}
		if (n > MAXLABEL)
			n = MAXLABEL;
	}
	while (n > 1 && out[n - 1] == '-')
		n--;
	return n;
}

/* ---- hosters (targets of out-of-zone NS records) ------------------------- */

struct hoster {
	char name[48];
	uint8_t style;
};

static const char *const HOSTER_TLD[] = {
	"net",  "com", "net", "com", "net", "org", "de", "eu", "nl", "io",
	"info", "biz", "fr",  "net", "com", "ch",  "at", "be", "se", "co.uk",
};
#define NHOSTER_TLD (sizeof(HOSTER_TLD) / sizeof(HOSTER_TLD[0]))

/* NS name patterns: prefixes put before the hoster domain */
static const char *const NS_STYLE[][2] = {
	{"ns1.", "ns2."},     {"ns1.", "ns2."},   {"ns1.", "ns2."},
	{"dns1.", "dns2."},   {"a.ns.", "b.ns."}, {"ns.", "ns-secondary."},
	{"pdns1.", "pdns2."}, {"ns-a.", "ns-b."},
};
#define NNS_STYLE (sizeof(NS_STYLE) / sizeof(NS_STYLE[0]))

static struct hoster *hosters;
static uint32_t nhosters;

static void make_hosters(uint64_t seed, uint32_t count)
{
	uint64_t saved[4];
	memcpy(saved, rs, sizeof(saved));
	rng_seed(seed ^ 0x686f7374657273ULL); /* independent stream */
	hosters = calloc(count, sizeof(*hosters));
	if (!hosters) {
		fprintf(stderr, "gen-tld-zone: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < count; i++) {
		char w[40];
		size_t n = put_word(w, 4 + rndn(9));
		if (rndn(4) == 0)
			n += (size_t)snprintf(w + n, sizeof(w) - n, "%u",
			                      (unsigned)rndn(1000));
		else if (rndn(6) == 0)
			n += (size_t)snprintf(w + n, sizeof(w) - n, "-dns");
		w[n] = '\0';
		snprintf(hosters[i].name, sizeof(hosters[i].name), "%s.%s", w,
		         HOSTER_TLD[rndn(NHOSTER_TLD)]);
		hosters[i].style = (uint8_t)rndn(NNS_STYLE);
	}
	nhosters = count;
	memcpy(rs, saved, sizeof(saved));
}

/* Zipf-like choice: a few large hosters carry most delegations */
static const struct hoster *pick_hoster(void)
{
	double u = rndu();
	uint32_t i = (uint32_t)((double)nhosters * u * u * u);
	if (i >= nhosters)
		i = nhosters - 1;
	return &hosters[i];
}

/* ---- output helpers ------------------------------------------------------ */

static void put_ipv4(FILE *o)
{
	/* public-looking unicast: first octet 1..223 except 10 and 127 */
	uint32_t a;
	do
		a = 1 + rndn(223);
	while (a == 10 || a == 127);
	fprintf(o, "%u.%u.%u.%u", (unsigned)a, (unsigned)rndn(256),
	        (unsigned)rndn(256), (unsigned)(1 + rndn(254)));
}

static void put_ipv6(FILE *o)
{
	fprintf(o, "2001:db8:%x:%x::%x", (unsigned)rndn(65536),
	        (unsigned)rndn(65536), (unsigned)(1 + rndn(65535)));
}

static void put_ds(FILE *o, const char *owner)
{
	static const char HEX[] = "0123456789ABCDEF";
	char dig[65];
	for (int i = 0; i < 64; i += 16) {
		uint64_t x = rnd();
		for (int j = 0; j < 16; j++, x >>= 4)
			dig[i + j] = HEX[x & 15];
	}
	dig[64] = '\0';
	fprintf(o, "%s\tDS\t%u 13 2 %s\n", owner, (unsigned)rndn(65536), dig);
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: gen-tld-zone [--origin NAME] [--delegations N] "
	      "[--ds-fraction F]\n"
	      "                    [--glue-fraction G] [--seed S] > zone.txt\n"
	      "defaults: --origin tld. --delegations 1000 --ds-fraction 0.1\n"
	      "          --glue-fraction 0.05 --seed 1\n",
	      f);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (*s == '-')
		return -1;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_frac(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || end == s || *end || !(x >= 0.0 && x <= 1.0))
		return -1;
	*v = x;
	return 0;
}

static int valid_origin(const char *s)
{
	size_t n = strlen(s), lab = 0;
	if (n == 0 || n > 254 || s[n - 1] != '.')
		return 0;
	if (n == 1)
		return 1; /* root */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++lab > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	char origin[300] = "tld.";
	uint64_t ndeleg = 1000, seed = 1;
	double dsf = 0.1, gluef = 0.05;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		const char *v = NULL;
		const char *eq = strchr(a, '=');
		char key[32];
		if (!strncmp(a, "--", 2) && eq &&
		    (size_t)(eq - a) < sizeof(key)) {
			memcpy(key, a, (size_t)(eq - a));
			key[eq - a] = '\0';
			a = key;
			v = eq + 1;
		} else if (i + 1 < argc && !strncmp(a, "--", 2)) {
			v = argv[i + 1];
			i++;
		}
		int bad = 0;
		if (strcmp(a, "--origin") && strcmp(a, "--delegations") &&
		    strcmp(a, "--ds-fraction") &&
		    strcmp(a, "--glue-fraction") && strcmp(a, "--seed")) {
			fprintf(stderr, "gen-tld-zone: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "gen-tld-zone: %s needs a value\n", a);
			usage(stderr);
			return 2;
		} else if (!strcmp(a, "--origin")) {
			size_t n = strlen(v);
			if (n + 2 > sizeof(origin)) {
				bad = 1;
			} else {
				memcpy(origin, v, n + 1);
				if (n == 0 || origin[n - 1] != '.')
					strcat(origin, ".");
				bad = !valid_origin(origin);
			}
		} else if (!strcmp(a, "--delegations")) {
			bad = parse_u64(v, &ndeleg) || ndeleg > 200000000ULL;
		} else if (!strcmp(a, "--ds-fraction")) {
			bad = parse_frac(v, &dsf);
		} else if (!strcmp(a, "--glue-fraction")) {
			bad = parse_frac(v, &gluef);
		} else if (!strcmp(a, "--seed")) {
			bad = parse_u64(v, &seed);
		} else {
			fprintf(stderr, "gen-tld-zone: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr,
			        "gen-tld-zone: bad value for %s: '%s'\n", a, v);
			return 2;
		}
	}

	static char obuf[1 << 20];
	FILE *o = stdout;
	setvbuf(o, obuf, _IOFBF, sizeof(obuf));

	/* Empty non-terminal structure: P parent names with no data, one of
	 * them with an inner level too; D delegations below them. */
	uint64_t ndeep = ndeleg >= 20 ? ndeleg / 1000 + 2 : 0;
	if (ndeep > 5000)
		ndeep = 5000;
	uint64_t nparent = ndeep ? 1 + ndeep / 200 : 0;
	if (nparent > 25)
		nparent = 25;

	set_init(ndeleg + nparent + 16);
	rng_seed(seed);
	make_hosters(seed, (uint32_t)(500 + ndeleg / 400 < 50000 ?
	                                      500 + ndeleg / 400 :
	                                      50000));

	/* names used at the apex level must not become delegations */
	set_add("nic", 3);
	set_add("www", 3);

	fprintf(o,
	        "; TLD-like test zone generated by sigil bench/gen-tld-zone\n"
	        "; delegations=%llu ds-fraction=%g glue-fraction=%g "
	        "seed=%llu\n",
	        (unsigned long long)ndeleg, dsf, gluef,
	        (unsigned long long)seed);
	fprintf(o, "$ORIGIN %s\n$TTL 86400\n", origin);
	fprintf(o, "@\t3600\tSOA\tns1.nic hostmaster.nic 2026010100 1800 900 "
	           "2419200 3600\n");
	fprintf(o, "@\t\tNS\tns1.nic\n@\t\tNS\tns2.nic\n");
	fprintf(o, "@\t\tTXT\t\"generated TLD-like zone for benchmarks\"\n");
	fprintf(o, "@\t\tTXT\t\"v=spf1 -all\"\n");
	fprintf(o, "@\t\tMX\t0 .\n");
	fprintf(o, "ns1.nic\t\tA\t192.0.2.53\n");
	fprintf(o, "ns1.nic\t\tAAAA\t2001:db8::53\n");
	fprintf(o, "ns2.nic\t\tA\t198.51.100.53\n");
	fprintf(o, "ns2.nic\t\tAAAA\t2001:db8:1::53\n");
	fprintf(o, "whois.nic\t\tA\t192.0.2.43\n");
	fprintf(o, "www.nic\t\tA\t192.0.2.80\n");
	fprintf(o, "www.nic\t\tAAAA\t2001:db8::80\n");

	/* parent names (no data of their own) */
	char(*parents)[2 * MAXLABEL + 2] = NULL;
	if (nparent) {
		parents = calloc(nparent, sizeof(*parents));
		if (!parents) {
			fprintf(stderr, "gen-tld-zone: out of memory\n");
			return 1;
		}
	}
	for (uint64_t p = 0; p < nparent; p++) {
		char lab[MAXLABEL + 1];
		size_t n;
		do
			n = gen_label(lab);
		while (n > 12 ||
		       !set_add(lab, n)); /* short, like co / gov / ac */
		memcpy(parents[p], lab, n);
		parents[p][n] = '\0';
		if (p ==
		    0) { /* nested: <child>.<inner>.<parent>, both parents empty */
			char full[2 * MAXLABEL + 2];
			int k = snprintf(full, sizeof(full), "reg.%s",
			                 parents[p]);
			set_add(full, (size_t)k);
			memcpy(parents[p], full, (size_t)k + 1);
		}
	}

	/* delegations; the deep ones are spread evenly through the output */
	uint64_t deep_every = ndeep ? ndeleg / ndeep : 0, deep_done = 0;
	char name[2 * MAXLABEL + 2 + MAXLABEL + 2];
	for (uint64_t d = 0; d < ndeleg; d++) {
		size_t n;
		int deep = ndeep && deep_done < ndeep &&
		           d % deep_every == deep_every - 1;
		if (deep) {
			const char *par = parents[deep_done % nparent];
			size_t pl = strlen(par);
			do {
				n = gen_label(
					name); /* n + 1 + pl always fits */
				name[n] = '.';
				memcpy(name + n + 1, par, pl);
				n += 1 + pl;
			} while (!set_add(name, n));
			deep_done++;
		} else {
			do
				n = gen_label(name);
			while (!set_add(name, n));
		}
		name[n] = '\0';

		if (rndu() < gluef) {
			/* in-bailiwick name servers with glue */
			fprintf(o, "%s\tNS\tns1.%s\n%s\tNS\tns2.%s\n", name,
			        name, name, name);
			fprintf(o, "ns1.%s\tA\t", name);
			put_ipv4(o);
			fprintf(o, "\nns1.%s\tAAAA\t", name);
			put_ipv6(o);
			fprintf(o, "\nns2.%s\tA\t", name);
			put_ipv4(o);
			fputc('\n', o);
			if (rndn(2)) {
				fprintf(o, "ns2.%s\tAAAA\t", name);
				put_ipv6(o);
				fputc('\n', o);
			}
		} else {
			const struct hoster *h1 = pick_hoster();
			const struct hoster *h2 =
				rndn(10) == 0 ? pick_hoster() : h1;
			fprintf(o, "%s\tNS\t%s%s.\n%s\tNS\t%s%s.\n", name,
			        NS_STYLE[h1->style][0], h1->name, name,
			        NS_STYLE[h2->style][h2 == h1 ? 1 : 0],
			        h2->name);
		}
		if (rndu() < dsf) {
			put_ds(o, name);
			if (rndn(20) == 0)
				put_ds(o, name);
		}
	}

	if (fflush(o) || ferror(o)) {
		fprintf(stderr, "gen-tld-zone: write error: %s\n",
		        strerror(errno));
		return 1;
	}
	free(parents);
	free(hosters);
	free(set_slot);
	return 0;
}
