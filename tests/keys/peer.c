/* Signatures made by keys sigil generated, checked by other validators:
 * three enrolled SoftHSM2 tokens get a KSK and a ZSK of algorithms 8
 * (RSA 2048), 13 and 15; a small NSEC-signed zone per algorithm is signed
 * with them, the RRsets taken in turn by the three HSMs so that every
 * token's signatures are in the zone.  Each signature is checked with
 * sigil_pubkey_verify (OpenSSL), then the zone is written in RFC 3597
 * generic syntax and must pass BIND's dnssec-verify and ldns-verify-zone.
 * One flipped bit in the SOA's signature must make both reject it (the
 * negative control).  The same for algorithm 13 in software key stores.
 * The tools are required: a missing one is a failure, not a skip. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/key.h"
#include "crypto/rrsig.h"
#include "dns/name.h"
#include "hsm/hsm.h"
#include "keys/generate.h"
#include "keys/keydb.h"
#include "keystore/keystore.h"
#include "lib/softhsm.h"
#include "lib/tap.h"
#include "util/buf.h"
#include "util/error.h"

extern char **environ;

#define PIN "pin-peer-1234"
#define NHSM 3

enum {
	T_A = 1,
	T_NS = 2,
	T_SOA = 6,
	T_TXT = 16,
	T_RRSIG = 46,
	T_NSEC = 47,
	T_DNSKEY = 48,
};

#define RD_MAX 1024
#define NRRSET 8

/* One RRset of the zone and its RRSIG. */
typedef struct {
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	uint16_t type;
	uint32_t ttl;
	size_t n;
	uint8_t rd[2][RD_MAX];
	size_t rdlen[2];
	uint8_t sig[RD_MAX]; /* RRSIG RDATA */
	size_t siglen;
	size_t sigoff; /* where the Signature field starts in sig */
} rrset_t;

typedef struct {
	char apex[64];
	uint8_t apex_wire[SIGIL_DNAME_MAXLEN];
	rrset_t set[NRRSET];
	size_t nset;
} zone_t;

static const char *type_name(uint16_t t)
{
	switch (t) {
	case T_A:
		return "A";
	case T_NS:
		return "NS";
	case T_SOA:
		return "SOA";
	case T_TXT:
		return "TXT";
	case T_RRSIG:
		return "RRSIG";
	case T_NSEC:
		return "NSEC";
	case T_DNSKEY:
		return "DNSKEY";
	}
	return "?";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Wire form of "label.apex" (label NULL: the apex) into out; length. */
static size_t wire_name(uint8_t *out, const char *label, const char *apex)
{
	char txt[128];

	if (label == NULL) {
		snprintf(txt, sizeof(txt), "%s", apex);
	} else {
		snprintf(txt, sizeof(txt), "%s.%s", label, apex);
	}
	return sigil_dname_from_str(out, txt, NULL);
}

/* NSEC type bitmap (RFC 4034 §4.1.2) of the ascending types t[0..n):
 * one window block per 256 types, each with the bytes up to the last
 * type present in it.  Returns the length written to out. */
static size_t bitmap_encode(uint8_t *out, const uint16_t *t, size_t n)
{
	size_t len = 0, i = 0;

	while (i < n) {
		uint8_t window = (uint8_t)(t[i] >> 8);
		uint8_t bits[32];
		size_t used = 0;

		memset(bits, 0, sizeof(bits));
		for (; i < n && (t[i] >> 8) == window; i++) {
			uint8_t low = (uint8_t)t[i];

			bits[low / 8] |= (uint8_t)(0x80 >> (low % 8));
			if ((size_t)low / 8 + 1 > used) {
				used = (size_t)low / 8 + 1;
			}
		}
		out[len++] = window;
		out[len++] = (uint8_t)used;
		memcpy(out + len, bits, used);
		len += used;
	}
	return len;
}

static rrset_t *add_set(zone_t *z, const char *label, uint16_t type,
                        uint32_t ttl)
{
	rrset_t *s = &z->set[z->nset++];

	memset(s, 0, sizeof(*s));
	wire_name(s->owner, label, z->apex);
	s->type = type;
	s->ttl = ttl;
	return s;
}

static void add_rdata(rrset_t *s, const uint8_t *rd, size_t len)
{
	memcpy(s->rd[s->n], rd, len);
	s->rdlen[s->n++] = len;
}

/* NSEC of label pointing at next, listing types (ascending). */
static void add_nsec(zone_t *z, const char *label, const char *next,
                     const uint16_t *types, size_t ntypes)
{
	rrset_t *s = add_set(z, label, T_NSEC, 300);
	uint8_t rd[RD_MAX];
	size_t len = wire_name(rd, next, z->apex);

	len += bitmap_encode(rd + len, types, ntypes);
	add_rdata(s, rd, len);
}

/* The unsigned zone of apex: SOA, NS, DNSKEY (ksk and zsk), an in-zone
 * name server with its address, a TXT and the NSEC chain, in canonical
 * order (apex < ns1 < www). */
static void zone_build(zone_t *z, const char *apex,
                       const sigil_key_generate_result_t *ksk,
                       const sigil_key_generate_result_t *zsk)
{
	uint8_t rd[RD_MAX];
	size_t len;
	rrset_t *s;
	static const uint16_t apex_types[] = {T_NS, T_SOA, T_RRSIG, T_NSEC,
	                                      T_DNSKEY};
	static const uint16_t ns1_types[] = {T_A, T_RRSIG, T_NSEC};
	static const uint16_t www_types[] = {T_TXT, T_RRSIG, T_NSEC};
	static const uint8_t addr[] = {192, 0, 2, 1};
	static const char txt[] = "\x14signed in a softhsm2";

	memset(z, 0, sizeof(*z));
	snprintf(z->apex, sizeof(z->apex), "%s", apex);
	wire_name(z->apex_wire, NULL, apex);

	s = add_set(z, NULL, T_SOA, 3600);
	len = wire_name(rd, "ns1", apex);
	len += wire_name(rd + len, "hostmaster", apex);
	put32(rd + len, 1);
	put32(rd + len + 4, 3600);
	put32(rd + len + 8, 900);
	put32(rd + len + 12, 604800);
	put32(rd + len + 16, 300);
	add_rdata(s, rd, len + 20);

	s = add_set(z, NULL, T_NS, 3600);
	len = wire_name(rd, "ns1", apex);
	add_rdata(s, rd, len);

	s = add_set(z, NULL, T_DNSKEY, 3600);
	add_rdata(s, ksk->rdata, ksk->rdlen);
	add_rdata(s, zsk->rdata, zsk->rdlen);

	add_nsec(z, NULL, "ns1", apex_types, 5);

	s = add_set(z, "ns1", T_A, 3600);
	add_rdata(s, addr, sizeof(addr));
	add_nsec(z, "ns1", "www", ns1_types, 3);

	s = add_set(z, "www", T_TXT, 3600);
	add_rdata(s, (const uint8_t *)txt, sizeof(txt) - 1);
	add_nsec(z, "www", NULL, www_types, 3);
}

/* Signs every RRset: DNSKEY with ksk, the others with zsk, RRset i in
 * store i % nstores.  Each signature must verify with OpenSSL
 * (sigil_pubkey_verify).  used[j] counts the signatures of store j. */
static bool zone_sign(zone_t *z, const sigil_key_generate_result_t *ksk,
                      const sigil_key_generate_result_t *zsk,
                      sigil_keystore_t **stores, size_t nstores, unsigned *used)
{
	uint32_t now = (uint32_t)time(NULL);
	sigil_buf_t data = {0};
	bool all = true;

	for (size_t i = 0; i < z->nset; i++) {
		rrset_t *s = &z->set[i];
		const sigil_key_generate_result_t *k =
			s->type == T_DNSKEY ? ksk : zsk;
		sigil_keystore_t *ks = stores[i % nstores];
		sigil_keystore_ref_t ref = {.alg = k->rdata[3],
		                            .id = k->cka_id,
		                            .idlen = sizeof(k->cka_id)};
		sigil_keystore_key_t *key = NULL;
		sigil_keystore_error_t err = {{0}};
		sigil_rdata_ref_t rrs[2];
		sigil_pubkey_t *pk = NULL;
		sigil_rrsig_t rs;
		uint8_t sig[SIGIL_PRIVKEY_SIG_MAXLEN];
		char owner[SIGIL_DNAME_TXT_MAXLEN];
		size_t siglen = 0, off;
		int ret;

		put16(s->sig, s->type);
		s->sig[2] = k->rdata[3];
		s->sig[3] = (uint8_t)sigil_dname_rrsig_labels(s->owner);
		put32(s->sig + 4, s->ttl);
		put32(s->sig + 8, now + 30 * 86400);
		put32(s->sig + 12, now - 3600);
		put16(s->sig + 16, k->tag);
		off = SIGIL_RRSIG_FIXED_LEN + sigil_dname_len(z->apex_wire);
		memcpy(s->sig + SIGIL_RRSIG_FIXED_LEN, z->apex_wire,
		       off - SIGIL_RRSIG_FIXED_LEN);
		/* An empty Signature does not parse: a placeholder byte, which
		 * the signed data does not cover. */
		s->sig[off] = 0;
		s->sigoff = off;
		for (size_t j = 0; j < s->n; j++) {
			rrs[j].rdata = s->rd[j];
			rrs[j].rdlen = (uint16_t)s->rdlen[j];
		}
		sigil_buf_reset(&data);
		ret = sigil_rrsig_parse(s->sig, off + 1, &rs);
		if (ret == SIGIL_EOK) {
			ret = sigil_rrsig_signed_data(&data, &rs, s->sig,
			                              s->owner, s->type, 1, rrs,
			                              s->n);
		}
		if (ret == SIGIL_EOK) {
			ret = sigil_keystore_key_open(ks, &ref, &key, &err);
		}
		if (ret == SIGIL_EOK) {
			ret = sigil_keystore_key_sign(key, data.data, data.len,
			                              sig, sizeof(sig), &siglen,
			                              &err);
		}
		sigil_keystore_key_free(key);
		if (ret == SIGIL_EOK && off + siglen <= sizeof(s->sig)) {
			memcpy(s->sig + off, sig, siglen);
			s->siglen = off + siglen;
			used[i % nstores]++;
		} else {
			diag("%s", err.message[0] ? err.message :
			                            sigil_strerror(ret));
			ret = ret ? ret : SIGIL_ERANGE;
		}
		if (ret == SIGIL_EOK) {
			ret = sigil_pubkey_from_dnskey(k->rdata, k->rdlen, &pk);
		}
		if (ret == SIGIL_EOK) {
			ret = sigil_pubkey_verify(pk, data.data, data.len, sig,
			                          siglen);
		}
		sigil_pubkey_free(pk);
		sigil_dname_to_str(owner, s->owner);
		all &= ok(ret == SIGIL_EOK,
		          "  %s %s signed by %s with tag %u, OpenSSL verifies",
		          owner, type_name(s->type), sigil_keystore_name(ks),
		          (unsigned)k->tag);
	}
	sigil_buf_free(&data);
	return all;
}

static void put_hex(FILE *f, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		fprintf(f, "%02x", p[i]);
	}
}

/* Writes the signed zone to path, every record in RFC 3597 generic
 * syntax. */
static bool zone_write(const zone_t *z, const char *path)
{
	FILE *f = fopen(path, "w");
	char owner[SIGIL_DNAME_TXT_MAXLEN];

	if (f == NULL) {
		return false;
	}
	for (size_t i = 0; i < z->nset; i++) {
		const rrset_t *s = &z->set[i];

		sigil_dname_to_str(owner, s->owner);
		for (size_t j = 0; j < s->n; j++) {
			fprintf(f, "%s %u IN %s \\# %zu ", owner,
			        (unsigned)s->ttl, type_name(s->type),
			        s->rdlen[j]);
			put_hex(f, s->rd[j], s->rdlen[j]);
			fputc('\n', f);
		}
		fprintf(f, "%s %u IN RRSIG \\# %zu ", owner, (unsigned)s->ttl,
		        s->siglen);
		put_hex(f, s->sig, s->siglen);
		fputc('\n', f);
	}
	return fclose(f) == 0;
}

/* Runs argv with stdout and stderr to log; the exit status, -1 when it
 * could not be run (*missing set when the program was not found), -2 on
 * a signal. */
static int run(char *const argv[], const char *log, bool *missing)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, ret;

	*missing = false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0) {
		*missing = ret == ENOENT;
		return -1;
	}
	if (waitpid(pid, &status, 0) != pid) {
		return -1;
	}
	if (!WIFEXITED(status)) {
		return -2;
	}
	/* posix_spawnp may report a missing program as exit 127. */
	if (WEXITSTATUS(status) == 127) {
		*missing = true;
	}
	return WEXITSTATUS(status);
}

static void show_log(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");
	int n = 0;

	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && n++ < 20) {
		line[strcspn(line, "\n")] = '\0';
		diag("  | %s", line);
	}
	fclose(f);
}

/* Whether the file log mentions word. */
static bool log_has(const char *log, const char *word)
{
	char line[512];
	FILE *f = fopen(log, "r");
	bool found = false;

	if (f == NULL) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, word) != NULL;
	}
	fclose(f);
	return found;
}

/* Runs the two validators on path; want_ok: whether they must accept it. */
static void check_tools(const char *apex, const char *path, bool want_ok)
{
	char log[256], origin[64];
	char *dv[] = {"dnssec-verify", "-o", origin, (char *)path, NULL};
	char *lv[] = {"ldns-verify-zone", (char *)path, NULL};
	char *const *argv[] = {dv, lv};
	static const char *pkg[] = {"bind9-utils", "ldnsutils"};
	bool missing;

	snprintf(origin, sizeof(origin), "%s", apex);
	for (int t = 0; t < 2; t++) {
		int st;

		snprintf(log, sizeof(log), "%s.%s.log", path, argv[t][0]);
		st = run(argv[t], log, &missing);
		if (missing) {
			ok(0,
			   "%s is not installed (apt-get install %s): "
			   "cannot check %s",
			   argv[t][0], pkg[t], apex);
			continue;
		}
		if (want_ok) {
			if (!ok(st == 0, "%s accepts %s", argv[t][0], apex)) {
				diag("exit status %d", st);
				show_log(log);
			}
		} else if (!ok(st > 0 && log_has(log, "SOA"),
		               "%s rejects %s, naming the SOA whose "
		               "signature has a flipped bit",
		               argv[t][0], apex)) {
			diag("exit status %d", st);
			show_log(log);
		}
	}
}

/* Generates the KSK and ZSK of alg.example. in stores, signs the zone
 * rotating over them, has it validated, then breaks one signature. */
static void check_alg(sigil_keydb_t *db, uint8_t alg, unsigned bits,
                      sigil_keystore_t **stores, size_t n, const char *tag)
{
	sigil_key_generate_result_t ksk, zsk;
	sigil_keystore_error_t err;
	char apex[64], path[256];
	unsigned used[NHSM] = {0};
	static zone_t z;
	bool all;
	int ret;

	snprintf(apex, sizeof(apex), "alg%u%s.example.", (unsigned)alg, tag);
	ret = sigil_key_generate(db, apex, SIGIL_ROLE_KSK, alg, bits, stores, n,
	                         &ksk, &err);
	if (!ok(ret == SIGIL_EOK, "%s: KSK of algorithm %u generated: %s", apex,
	        (unsigned)alg, ret ? err.message : "")) {
		return;
	}
	ret = sigil_key_generate(db, apex, SIGIL_ROLE_ZSK, alg, bits, stores, n,
	                         &zsk, &err);
	if (!ok(ret == SIGIL_EOK, "%s: ZSK of algorithm %u generated: %s", apex,
	        (unsigned)alg, ret ? err.message : "")) {
		return;
	}
	zone_build(&z, apex, &ksk, &zsk);
	all = zone_sign(&z, &ksk, &zsk, stores, n, used);
	for (size_t i = 0; i < n; i++) {
		ok(used[i] > 0, "  %s made %u of the signatures",
		   sigil_keystore_name(stores[i]), used[i]);
	}
	if (!all) {
		return;
	}
	/* Files named after the apex without its final dot. */
	snprintf(path, sizeof(path), "%s/%.*s.zone", test_softhsm_dir,
	         (int)strlen(apex) - 1, apex);
	if (!ok(zone_write(&z, path), "  zone written to %s", path)) {
		return;
	}
	check_tools(apex, path, true);

	/* Negative control: one bit of the SOA's signature flipped. */
	z.set[0].sig[z.set[0].sigoff + 5] ^= 0x10;
	snprintf(path, sizeof(path), "%s/%.*s-broken.zone", test_softhsm_dir,
	         (int)strlen(apex) - 1, apex);
	if (!ok(zone_write(&z, path), "  zone with a broken signature "
	                              "written")) {
		return;
	}
	check_tools(apex, path, false);
}

int main(void)
{
	sigil_keystore_t *ks[NHSM] = {NULL}, *soft[2] = {NULL};
	sigil_hsm_t *h[NHSM] = {NULL};
	sigil_hsm_enroll_result_t eres[NHSM];
	sigil_keydb_error_t dberr;
	sigil_keydb_t *db = NULL;
	sigil_hsm_error_t herr;
	sigil_keystore_error_t err;
	char path[160];
	int ret;

	if (!test_softhsm_start("peer", NHSM, PIN)) {
		return 1;
	}
	if (!test_softhsm_stores(NHSM, h, ks)) {
		return 1;
	}
	ret = sigil_hsm_enroll(h, NHSM, eres, &herr);
	if (!ok(ret == SIGIL_EOK, "hsm1-3 enrolled: %s",
	        ret ? herr.message : "")) {
		printf("Bail out! enrollment failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/keys.db", test_softhsm_dir);
	if (!ok(sigil_keydb_open(path, &db, &dberr) == SIGIL_EOK,
	        "key database")) {
		printf("Bail out! %s\n", dberr.message);
		return 1;
	}

	check_alg(db, 8, 2048, ks, NHSM, "");
	check_alg(db, 13, 0, ks, NHSM, "");
	check_alg(db, 15, 0, ks, NHSM, "");

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/soft%d", test_softhsm_dir,
		         i + 1);
		mkdir(path, 0700);
		ret = sigil_keystore_open_pkcs8(i ? "soft2" : "soft1", path,
		                                &soft[i], &err);
		ok(ret == SIGIL_EOK, "software key store soft%d: %s", i + 1,
		   ret ? err.message : "");
	}
	if (soft[0] && soft[1]) {
		check_alg(db, 13, 0, soft, 2, "-soft");
	}

	sigil_keystore_close(soft[0]);
	sigil_keystore_close(soft[1]);
	sigil_keydb_close(db);
	for (int i = 0; i < NHSM; i++) {
		sigil_keystore_close(ks[i]);
	}
	ok(test_softhsm_cleanup(), "temporary directory removed");
	return done_testing();
}
