/* sigil_verify_zone: the validator on a zone already in a store (as a signer
 * builds one), with and without signatures_trusted, against the signed
 * example zones of RFC 4035 and RFC 5155 (see tests/scenario/rfc-examples.t
 * for their contents and validity windows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/load.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "lib/tap.h"
#include "util/error.h"
#include "verify/verify.h"

#define T_HINFO 13

typedef struct {
	const char *file;
	uint64_t now;       /* inside the validity of every signature */
	uint64_t after;     /* after their expiration */
	uint16_t denial;    /* SIGIL_T_NSEC or SIGIL_T_NSEC3 */
	const char *drop;   /* owner whose denial record is dropped */
	const char *missed; /* name the missing-record finding is about */
	sigil_finding_t missing;
} example_t;

static char *src_path(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("SIGIL_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/%s", dir && *dir ? dir : ".", rel);
	return buf;
}

static sigil_zone_t *load(const char *path)
{
	sigil_zone_t *z = sigil_zone_new();
	sigil_load_opts_t lo = {0};
	sigil_load_error_t err;

	if (z == NULL) {
		abort();
	}
	if (sigil_zone_load(z, path, &lo, &err) != SIGIL_EOK) {
		diag("%s:%llu: %s", err.file, (unsigned long long)err.line,
		     err.message);
		sigil_zone_free(z);
		return NULL;
	}
	return z;
}

static sigil_verify_opts_t opts_at(uint64_t now, bool trusted)
{
	return (sigil_verify_opts_t){
		.now = now, .threads = 2, .signatures_trusted = trusted};
}

/* Runs sigil_verify_zone; NULL (and a failed test) when it fails. */
static sigil_verify_report_t *check(sigil_zone_t *z, uint64_t now, bool trusted)
{
	sigil_verify_opts_t o = opts_at(now, trusted);
	sigil_verify_report_t *r = NULL;
	int ret = sigil_verify_zone(z, &o, &r);
	if (ret != SIGIL_EOK || r == NULL) {
		ok(0, "sigil_verify_zone: %s", sigil_strerror(ret));
		return NULL;
	}
	return r;
}

static size_t count(const sigil_verify_report_t *r, sigil_finding_t code,
                    const char *owner)
{
	size_t n = 0;
	for (size_t i = 0; i < r->finding_count; i++) {
		const sigil_verify_finding_t *f = &r->findings[i];
		n += f->code == code &&
		     (owner == NULL || strcmp(f->owner, owner) == 0);
	}
	return n;
}

static void describe(const sigil_verify_report_t *r)
{
	for (size_t i = 0; i < r->finding_count && i < 20; i++) {
		diag("%s %s: %s", sigil_finding_code(r->findings[i].code),
		     r->findings[i].owner, r->findings[i].message);
	}
}

/* Same counts and the same findings in the same order. */
static bool same(const sigil_verify_report_t *a, const sigil_verify_report_t *b)
{
	bool eq = strcmp(a->zone, b->zone) == 0 && a->records == b->records &&
	          a->rrsets == b->rrsets && a->names == b->names &&
	          a->delegations == b->delegations &&
	          a->secure_delegations == b->secure_delegations &&
	          a->signatures == b->signatures &&
	          a->signatures_valid == b->signatures_valid &&
	          a->signatures_invalid == b->signatures_invalid &&
	          a->errors == b->errors && a->warnings == b->warnings &&
	          a->expiring_soon == b->expiring_soon &&
	          a->earliest_expiration == b->earliest_expiration &&
	          a->denial == b->denial &&
	          a->nsec3_records == b->nsec3_records &&
	          a->key_count == b->key_count &&
	          a->finding_count == b->finding_count;
	for (size_t i = 0; eq && i < a->key_count; i++) {
		eq = a->keys[i].tag == b->keys[i].tag &&
		     a->keys[i].valid == b->keys[i].valid &&
		     a->keys[i].invalid == b->keys[i].invalid;
	}
	for (size_t i = 0; eq && i < a->finding_count; i++) {
		eq = a->findings[i].code == b->findings[i].code &&
		     a->findings[i].type == b->findings[i].type &&
		     strcmp(a->findings[i].owner, b->findings[i].owner) == 0;
	}
	return eq;
}

static sigil_node_t *node_named(sigil_zone_t *z, const char *name)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	if (sigil_dname_from_str(wire, name, NULL) == 0) {
		abort();
	}
	long i = sigil_zone_find(z, wire);
	return i < 0 ? NULL : sigil_zone_node(z, (size_t)i);
}

/* The RRSIG covering type at node, NULL when none. */
static sigil_rr_t *rrsig_of(sigil_node_t *n, uint16_t type)
{
	size_t cnt = 0;
	sigil_rr_t *sigs = n ? sigil_node_rrset(n, SIGIL_T_RRSIG, &cnt) : NULL;
	for (size_t i = 0; i < cnt; i++) {
		if (sigil_rrsig_covered(&sigs[i]) == type) {
			return &sigs[i];
		}
	}
	return NULL;
}

/* A new store with the zone of z, built record by record as a signer would
 * (nodes added in reverse order), without the records of type drop (and
 * their RRSIGs) at the node named drop_owner. */
static sigil_zone_t *copy_without(const sigil_zone_t *z, const char *drop_owner,
                                  uint16_t drop)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	sigil_zone_t *c = sigil_zone_new();

	if (c == NULL || sigil_dname_from_str(wire, drop_owner, NULL) == 0 ||
	    sigil_zone_set_apex(c, sigil_zone_apex(z)) != SIGIL_EOK) {
		abort();
	}
	for (size_t i = sigil_zone_node_count(z); i-- > 0;) {
		const sigil_node_t *n = sigil_zone_node(z, i);
		bool here = sigil_dname_equal(n->owner, wire);
		sigil_rr_t *rrs = malloc((n->rr_count + 1) * sizeof(*rrs));
		size_t k = 0;
		if (rrs == NULL) {
			abort();
		}
		for (uint32_t j = 0; j < n->rr_count; j++) {
			const sigil_rr_t *rr = &n->rrs[j];
			if (here && (rr->type == drop ||
			             (rr->type == SIGIL_T_RRSIG &&
			              sigil_rrsig_covered(rr) == drop))) {
				continue;
			}
			rrs[k++] = *rr;
		}
		if (k > 0 &&
		    sigil_zone_add_node(c, n->owner, rrs, k, n->line) == NULL) {
			abort();
		}
		free(rrs);
	}
	return c;
}

static void test_example(const example_t *ex)
{
	const char *path = src_path(ex->file);
	sigil_verify_opts_t fo = opts_at(ex->now, false);
	sigil_verify_report_t *rf = NULL, *r;
	sigil_load_error_t err;

	diag("%s", ex->file);
	is_int(sigil_verify_file(path, &fo, &rf, &err), SIGIL_EOK,
	       "%s: sigil_verify_file", ex->file);
	if (rf == NULL) {
		return;
	}
	ok(rf->errors == 0 && rf->signatures > 0 &&
	           rf->signatures_valid == rf->signatures,
	   "%s: the file is valid, every signature verifies (%llu)", ex->file,
	   (unsigned long long)rf->signatures);
	ok(!rf->signatures_trusted, "%s: file report: signatures verified",
	   ex->file);

	sigil_zone_t *z = load(path);
	ok(z != NULL, "%s: loaded into a store", ex->file);
	if (z == NULL) {
		sigil_verify_report_free(rf);
		return;
	}

	/* 1. Same checks, same results as on the file. */
	if ((r = check(z, ex->now, false)) != NULL) {
		ok(r->errors == 0, "%s: sigil_verify_zone: no errors",
		   ex->file);
		ok(same(r, rf), "%s: same counts and findings as the file",
		   ex->file);
		ok(!r->signatures_trusted && r->time_load == 0,
		   "%s: report: signatures verified, no loading time",
		   ex->file);
		sigil_verify_report_free(r);
	}
	if ((r = check(z, ex->now, true)) != NULL) {
		ok(r->errors == 0 && r->signatures_valid == rf->signatures,
		   "%s: trusted: no errors, every signature valid", ex->file);
		ok(same(r, rf), "%s: trusted: same counts and findings",
		   ex->file);
		ok(r->signatures_trusted, "%s: report says trusted", ex->file);
		sigil_verify_report_free(r);
	}
	bool hashes_clear = true;
	for (size_t i = 0; i < sigil_zone_node_count(z); i++) {
		hashes_clear &= sigil_zone_node(z, i)->hash == NULL;
	}
	ok(hashes_clear, "%s: node->hash is NULL on return", ex->file);

	/* 2. A bit flipped in the signature of ai.example. HINFO. */
	sigil_rr_t *sig = rrsig_of(node_named(z, "ai.example."), T_HINFO);
	ok(sig != NULL, "%s: RRSIG of ai.example. HINFO found", ex->file);
	if (sig != NULL) {
		uint8_t *rd = (uint8_t *)sig->rdata;
		rd[sig->rdlen - 1] ^= 0x01;
		if ((r = check(z, ex->now, false)) != NULL) {
			if (!ok(r->errors == 1 && r->signatures_invalid == 1 &&
			                count(r, SIGIL_F_SIG_BOGUS,
			                      "ai.example.") == 1,
			        "%s: flipped bit: sig-bogus at ai.example.",
			        ex->file)) {
				describe(r);
			}
			sigil_verify_report_free(r);
		}
		if ((r = check(z, ex->now, true)) != NULL) {
			if (!ok(r->errors == 0 &&
			                r->signatures_valid == rf->signatures,
			        "%s: flipped bit, trusted: no error (crypto "
			        "skipped)",
			        ex->file)) {
				describe(r);
			}
			sigil_verify_report_free(r);
		}

		/* The key tag is not the crypto: still checked. */
		rd[sig->rdlen - 1] ^= 0x01;
		rd[16] ^= 0x80;
		if ((r = check(z, ex->now, true)) != NULL) {
			if (!ok(r->errors >= 1 && count(r, SIGIL_F_SIG_NO_KEY,
			                                "ai.example.") == 1,
			        "%s: trusted, unknown key tag: sig-no-key",
			        ex->file)) {
				describe(r);
			}
			sigil_verify_report_free(r);
		}
		rd[16] ^= 0x80;
		if ((r = check(z, ex->now, false)) != NULL) {
			ok(same(r, rf), "%s: restored: as the file again",
			   ex->file);
			sigil_verify_report_free(r);
		}
	}

	/* 3. Times are checked when trusted. */
	if ((r = check(z, ex->after, true)) != NULL) {
		ok(count(r, SIGIL_F_SIG_EXPIRED, NULL) == rf->signatures &&
		           r->signatures_valid == 0,
		   "%s: trusted, after expiration: every signature expired",
		   ex->file);
		sigil_verify_report_free(r);
	}

	/* 4. A store built without one denial record. */
	for (int trusted = 0; trusted < 2; trusted++) {
		sigil_zone_t *c = copy_without(z, ex->drop, ex->denial);
		if ((r = check(c, ex->now, trusted)) != NULL) {
			bool found = r->errors >= 1 &&
			             count(r, ex->missing, ex->missed) == 1;
			if (!ok(found,
			        "%s: %s record of %s dropped%s: %s for %s",
			        ex->file,
			        ex->denial == SIGIL_T_NSEC ? "NSEC" : "NSEC3",
			        ex->drop, trusted ? ", trusted" : "",
			        sigil_finding_code(ex->missing), ex->missed)) {
				describe(r);
			}
			ok(r->signatures == rf->signatures - 1 &&
			           r->signatures_valid == r->signatures,
			   "%s: the other signatures are valid%s", ex->file,
			   trusted ? " (trusted)" : "");
			sigil_verify_report_free(r);
		}
		sigil_zone_free(c);
	}

	sigil_zone_free(z);
	sigil_verify_report_free(rf);
}

int main(void)
{
	static const example_t examples[] = {
		{
			/* 20040420000000, 20040509183620 */
			.file = "tests/data/rfc4035-example.zone",
			.now = 1082419200,
			.after = 1084127780,
			.denial = SIGIL_T_NSEC,
			.drop = "ai.example.",
			.missed = "ai.example.",
			.missing = SIGIL_F_NSEC_MISSING,
		},
		{
			/* 20100101000000, 20150421000000 */
			.file = "tests/data/rfc5155-example.zone",
			.now = 1262304000,
			.after = 1429574400,
			.denial = SIGIL_T_NSEC3,
			/* H(ns1.example.) */
			.drop = "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.",
			.missed = "ns1.example.",
			.missing = SIGIL_F_NSEC3_MISSING,
		},
	};
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		test_example(&examples[i]);
	}

	/* A store without an apex is refused. */
	sigil_zone_t *z = sigil_zone_new();
	sigil_verify_opts_t o = opts_at(0, false);
	sigil_verify_report_t dummy, *r = &dummy;
	is_int(sigil_verify_zone(z, &o, &r), SIGIL_ENOSOA,
	       "a store without an apex: SIGIL_ENOSOA");
	ok(r == NULL, "no report");
	sigil_zone_free(z);

	return done_testing();
}
