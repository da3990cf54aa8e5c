/* sigil sign: options, the zone's keys and stores from the configuration
 * and the key database, and the report.  The signing itself is
 * sign/sign.h. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "cmd/json.h"
#include "config/config.h"
#include "crypto/alg.h"
#include "keys/keydb.h"
#include "sign/sign.h"
#include "util/error.h"

void cmd_sign_usage(FILE *out)
{
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil sign ZONEFILE -o OUTPUT [OPTIONS]\n"
	        "\n"
	        "Sign a zone file (unsigned, or signed: its DNSSEC records are replaced)\n"
	        "with the usable keys the key database holds for the zone, in every\n"
	        "HSM or key store holding them.  Every signature is verified with the\n"
	        "published DNSKEY before it is accepted; a store whose signature does\n"
	        "not verify is quarantined and its work redone elsewhere.  The signed\n"
	        "zone passes the structural checks of sigil verify before OUTPUT is\n"
	        "replaced (atomically); otherwise nothing is written.\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output FILE      the signed zone (required)\n"
	        "  -c, --config FILE      configuration (default "
	        SIGIL_CONFIG_DEFAULT_PATH ")\n"
	        "      --origin NAME      zone apex (default: the owner of the SOA)\n"
	        "      --nsec             NSEC instead of NSEC3\n"
	        "      --nsec3            NSEC3 (the default)\n"
	        "      --opt-out          NSEC3 opt-out: no NSEC3 for insecure delegations\n"
	        "      --no-opt-out       every delegation gets an NSEC3 (the default)\n"
	        "      --iterations N     NSEC3 extra iterations (default 0, RFC 9276)\n"
	        "      --salt HEX         NSEC3 salt, hex or - for none (the default)\n"
	        "      --validity DUR     signature validity (default 14d)\n"
	        "      --jitter DUR       expirations spread over DUR before the end of\n"
	        "                         the validity (default 1d)\n"
	        "      --inception-offset DUR\n"
	        "                         inception this long before now (clock skew\n"
	        "                         margin, default 1h)\n"
	        "      --serial POLICY    keep, increment (default), unixtime, dateserial\n"
	        "      --zonemd           add a ZONEMD record (RFC 8976, SHA-384 SIMPLE)\n"
	        "      --no-zonemd        do not (the default)\n"
	        "      --verify-sample N  verify one signature in N per store instead of\n"
	        "                         every one (a risk the report states)\n"
	        "  -t, --threads N        signing threads (default: online CPUs)\n"
	        "      --time TIME        sign as at TIME: YYYYMMDDHHMMSS (UTC) or\n"
	        "                         seconds since the epoch (default: now)\n"
	        "      --json             print the report as JSON\n"
	        "  -q, --quiet            no report, no progress\n"
	        "  -h, --help             show this help\n"
	        "\n"
	        "Durations: a number of seconds with an optional unit s, m, h, d, w.\n"
	        "Options given here override the zone's policy in the configuration.\n"
	        "\n"
	        "Exit status: 0 signed; 1 the gate refused to write an output (a\n"
	        "signature or the signed zone did not verify); 2 usage, configuration\n"
	        "or input error; 3 an HSM, key store or key database failure.\n");
	/* clang-format on */
}

/* Options given on the command line, applied over the zone's policy. */
typedef struct {
	bool denial, opt_out, iterations, salt, validity, jitter, inception,
		serial, zonemd;
	sigil_sign_policy_t p;
} overrides_t;

/* What the key provider opened, freed after signing. */
typedef struct {
	const sigil_config_t *cfg;
	sigil_keydb_t *db;
	const overrides_t *ov;
	bool provided; /* the provider gave keys: a report can be printed */
	sigil_keydb_key_t *keys;
	size_t nkeys;
	sigil_sign_key_t *skeys;
	size_t nskeys;
	sigil_keystore_t **stores; /* opened, by index of names */
	const char *const *names;
	size_t nnames;
	sigil_keystore_t **slots; /* stores per key, nkeys * nnames */
	bool *failed;             /* per name: could not be opened */
	char (*why)[512];         /* per name: why not */
	int last_exit;            /* exit status for the last such failure */
	int exit_code;            /* for failures of the provider */
} provider_t;

static void provider_free(provider_t *pv)
{
	for (size_t i = 0; pv->stores != NULL && i < pv->nnames; i++) {
		sigil_keystore_close(pv->stores[i]);
	}
	free(pv->stores);
	free(pv->failed);
	free(pv->why);
	free(pv->slots);
	free(pv->skeys);
	sigil_keydb_keys_free(pv->keys, pv->nkeys);
}

static void policy_apply(sigil_sign_policy_t *p, const overrides_t *ov)
{
	if (ov->denial) {
		p->nsec3 = ov->p.nsec3;
	}
	if (ov->opt_out) {
		p->nsec3_opt_out = ov->p.nsec3_opt_out;
	}
	if (ov->iterations) {
		p->nsec3_iterations = ov->p.nsec3_iterations;
	}
	if (ov->salt) {
		memcpy(p->nsec3_salt, ov->p.nsec3_salt, ov->p.nsec3_salt_len);
		p->nsec3_salt_len = ov->p.nsec3_salt_len;
	}
	if (ov->validity) {
		p->validity = ov->p.validity;
	}
	if (ov->jitter) {
		p->jitter = ov->p.jitter;
	}
	if (ov->inception) {
		p->inception_offset = ov->p.inception_offset;
	}
	if (ov->serial) {
		p->serial = ov->p.serial;
	}
	if (ov->zonemd) {
		p->zonemd = ov->p.zonemd;
	}
}

/* Opens the store called name once; NULL when the zone does not use it
 * or it cannot be opened.  A store that cannot be opened (a site down) is
 * said once on stderr and left out: the others holding the keys sign. */
static sigil_keystore_t *store_get(provider_t *pv, const char *name)
{
	sigil_keystore_error_t kerr;
	int r;

	for (size_t i = 0; i < pv->nnames; i++) {
		if (strcmp(pv->names[i], name) != 0) {
			continue;
		}
		if (pv->stores[i] == NULL && !pv->failed[i]) {
			r = cmd_store_open(pv->cfg, name, &pv->stores[i],
			                   &kerr);
			if (r != SIGIL_EOK) {
				pv->failed[i] = true;
				snprintf(pv->why[i], sizeof(pv->why[i]), "%s",
				         kerr.message);
				pv->last_exit = cmd_store_exit(r);
				fprintf(stderr,
				        "sigil sign: %s is not available, "
				        "signing without it: %s\n",
				        name, kerr.message);
			}
		}
		return pv->stores[i];
	}
	return NULL;
}

/* sigil_sign_keys_fn: the zone's policy, its usable keys and, for each,
 * the configured stores holding a copy. */
static int provide(void *ctx, const char *zone, sigil_sign_policy_t *policy,
                   const sigil_sign_key_t **out, size_t *count,
                   sigil_sign_error_t *err)
{
	provider_t *pv = ctx;
	sigil_keydb_error_t kerr;
	int r;

	r = cmd_config_policy(pv->cfg, zone, policy);
	if (r != SIGIL_EOK) {
		pv->exit_code = SIGIL_EXIT_USAGE;
		snprintf(err->message, sizeof(err->message),
		         "zone %s: no signing policy", zone);
		return r;
	}
	policy_apply(policy, pv->ov);
	if (sigil_config_zone_stores(pv->cfg, zone, &pv->names, &pv->nnames) !=
	            SIGIL_EOK ||
	    pv->nnames == 0) {
		pv->exit_code = SIGIL_EXIT_USAGE;
		snprintf(err->message, sizeof(err->message),
		         "zone %s: no HSM or key store in %s", zone,
		         sigil_config_path(pv->cfg));
		return SIGIL_ECONFIG;
	}
	pv->stores = calloc(pv->nnames, sizeof(*pv->stores));
	pv->failed = calloc(pv->nnames, sizeof(*pv->failed));
	pv->why = calloc(pv->nnames, sizeof(*pv->why));
	if (pv->stores == NULL || pv->failed == NULL || pv->why == NULL) {
		pv->exit_code = SIGIL_EXIT_HSM;
		return SIGIL_ENOMEM;
	}
	r = sigil_keydb_keys(pv->db, zone, &pv->keys, &pv->nkeys, &kerr);
	if (r != SIGIL_EOK) {
		pv->exit_code = SIGIL_EXIT_HSM;
		snprintf(err->message, sizeof(err->message), "key database: %s",
		         kerr.message);
		return r;
	}
	pv->skeys = calloc(pv->nkeys ? pv->nkeys : 1, sizeof(*pv->skeys));
	pv->slots = calloc(pv->nkeys * pv->nnames + 1, sizeof(*pv->slots));
	if (pv->skeys == NULL || pv->slots == NULL) {
		pv->exit_code = SIGIL_EXIT_HSM;
		return SIGIL_ENOMEM;
	}
	for (size_t k = 0; k < pv->nkeys; k++) {
		sigil_keydb_copy_t *copies = NULL;
		size_t nc = 0;
		sigil_sign_key_t *sk = &pv->skeys[pv->nskeys];

		if (pv->keys[k].state != SIGIL_KEY_USABLE) {
			continue;
		}
		r = sigil_keydb_copies(pv->db, pv->keys[k].id, &copies, &nc,
		                       &kerr);
		if (r != SIGIL_EOK) {
			pv->exit_code = SIGIL_EXIT_HSM;
			snprintf(err->message, sizeof(err->message),
			         "key database: %s", kerr.message);
			return r;
		}
		sk->key = &pv->keys[k];
		sk->stores = &pv->slots[pv->nskeys * pv->nnames];
		/* Copies in stores the zone no longer uses are left out. */
		for (size_t c = 0; c < nc; c++) {
			sigil_keystore_t *ks;

			if (!copies[c].present) {
				continue;
			}
			ks = store_get(pv, copies[c].hsm);
			if (ks != NULL) {
				sk->stores[sk->store_count++] = ks;
			}
		}
		sigil_keydb_copies_free(copies, nc);
		if (sk->store_count == 0) {
			pv->exit_code = pv->last_exit ? pv->last_exit :
			                                SIGIL_EXIT_USAGE;
			snprintf(err->message, sizeof(err->message),
			         "%s %u of zone %s: none of the stores holding "
			         "it can be used",
			         sigil_key_role_name((int)pv->keys[k].role),
			         (unsigned)pv->keys[k].tag, zone);
			return SIGIL_EHSM;
		}
		pv->nskeys++;
	}
	if (pv->nskeys == 0) {
		pv->exit_code = SIGIL_EXIT_USAGE;
		snprintf(err->message, sizeof(err->message),
		         "zone %s has no usable key in %s: run sigil keys "
		         "generate",
		         zone, sigil_config_database(pv->cfg));
		return SIGIL_ECONFIG;
	}
	*out = pv->skeys;
	*count = pv->nskeys;
	pv->provided = true;
	return SIGIL_EOK;
}

/* Progress on stderr when it is a terminal. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rsigil sign: %llu of %llu signatures (%.0f%%)",
	        (unsigned long long)done, (unsigned long long)total,
	        total ? 100.0 * (double)done / (double)total : 100.0);
	if (done >= total) {
		fputc('\n', stderr);
	}
}

static void salt_str(char *out, const sigil_sign_policy_t *p)
{
	if (p->nsec3_salt_len == 0) {
		strcpy(out, "-");
		return;
	}
	for (size_t i = 0; i < p->nsec3_salt_len; i++) {
		sprintf(out + 2 * i, "%02x", p->nsec3_salt[i]);
	}
}

static const char *serial_name(enum sigil_serial_policy s)
{
	switch (s) {
	case SIGIL_SERIAL_KEEP:
		return "keep";
	case SIGIL_SERIAL_UNIXTIME:
		return "unixtime";
	case SIGIL_SERIAL_DATESERIAL:
		return "dateserial";
	default:
		return "increment";
	}
}

static void report_text(const sigil_sign_report_t *r,
                        const sigil_sign_policy_t *p, const provider_t *pv,
                        const char *out_path, bool written)
{
	char salt[520];

	salt_str(salt, p);
	printf("zone:        %s\n", r->zone);
	printf("serial:      %u -> %u (%s)\n", r->serial_old, r->serial_new,
	       serial_name(p->serial));
	printf("records:     %llu in, %llu out\n",
	       (unsigned long long)r->records_in,
	       (unsigned long long)r->records_out);
	if (p->nsec3) {
		printf("denial:      NSEC3, SHA-1, %u iterations, salt %s%s; "
		       "%llu records\n",
		       (unsigned)p->nsec3_iterations, salt,
		       p->nsec3_opt_out ? ", opt-out" : "",
		       (unsigned long long)r->nsec3);
	} else {
		printf("denial:      NSEC; %llu records\n",
		       (unsigned long long)r->nsec);
	}
	printf("signatures:  %llu over %llu RRsets; %llu verified when made",
	       (unsigned long long)r->signatures,
	       (unsigned long long)r->rrsets_signed,
	       (unsigned long long)r->signatures_verified);
	if (r->verify_sample != 0) {
		printf(" (SAMPLE: one in %u per store; the others were not "
		       "verified)",
		       r->verify_sample);
	}
	printf("\n");
	if (r->signatures_redone != 0) {
		printf("redone:      %llu signatures made again after a "
		       "quarantine\n",
		       (unsigned long long)r->signatures_redone);
	}
	if (r->zonemd) {
		printf("zonemd:      SHA-384 SIMPLE\n");
	}
	for (size_t k = 0; k < r->key_count; k++) {
		printf("key:         %s %u (%s): %llu signatures\n",
		       sigil_key_role_name((int)r->keys[k].role),
		       (unsigned)r->keys[k].tag, sigil_alg_name(r->keys[k].alg),
		       (unsigned long long)r->keys[k].signatures);
	}
	for (size_t s = 0; s < r->store_count; s++) {
		const sigil_sign_store_stat_t *st = &r->stores[s];

		printf("store:       %s: %llu signatures, %llu verified, %llu "
		       "bad%s%s\n",
		       st->name, (unsigned long long)st->made,
		       (unsigned long long)st->verified,
		       (unsigned long long)st->bad,
		       st->quarantined ? "; QUARANTINED: " : "",
		       st->quarantined ? st->reason : "");
		if (st->keys_unusable != 0) {
			printf("store:       %s: %u key(s) recorded there "
			       "cannot be used: %s\n",
			       st->name, st->keys_unusable, st->note);
		}
	}
	for (size_t i = 0; i < pv->nnames; i++) {
		if (pv->failed[i]) {
			printf("store:       %s: NOT AVAILABLE: %s\n",
			       pv->names[i], pv->why[i]);
		}
	}
	printf("time:        load %.2f s, prepare %.2f s, denial %.2f s, sign "
	       "%.2f s, zonemd %.2f s, gate %.2f s and write %.2f s at once; "
	       "total %.2f "
	       "s (%u threads)\n",
	       r->time_load, r->time_prepare, r->time_denial, r->time_sign,
	       r->time_zonemd, r->time_gate, r->time_write, r->time_total,
	       r->threads);
	if (written) {
		printf("output:      %s\n", out_path);
	} else {
		printf("output:      none (nothing was written)\n");
	}
}

static void report_json(const sigil_sign_report_t *r,
                        const sigil_sign_policy_t *p, const provider_t *pv,
                        const char *out_path, bool written)
{
	char salt[520];

	salt_str(salt, p);
	printf("{\"zone\":");
	cmd_json_str(stdout, r->zone);
	printf(",\"written\":%s,\"output\":", written ? "true" : "false");
	cmd_json_str(stdout, out_path);
	printf(",\"serial_old\":%u,\"serial_new\":%u,\"serial_policy\":\"%s\","
	       "\"records_in\":%llu,\"records_out\":%llu,",
	       r->serial_old, r->serial_new, serial_name(p->serial),
	       (unsigned long long)r->records_in,
	       (unsigned long long)r->records_out);
	printf("\"denial\":\"%s\",\"nsec3_iterations\":%u,\"nsec3_salt\":\"%"
	       "s\","
	       "\"nsec3_opt_out\":%s,\"denial_records\":%llu,",
	       p->nsec3 ? "nsec3" : "nsec", (unsigned)p->nsec3_iterations, salt,
	       p->nsec3_opt_out ? "true" : "false",
	       (unsigned long long)(p->nsec3 ? r->nsec3 : r->nsec));
	printf("\"rrsets_signed\":%llu,\"signatures\":%llu,"
	       "\"signatures_verified\":%llu,\"signatures_redone\":%llu,"
	       "\"verify_sample\":%u,\"zonemd\":%s,",
	       (unsigned long long)r->rrsets_signed,
	       (unsigned long long)r->signatures,
	       (unsigned long long)r->signatures_verified,
	       (unsigned long long)r->signatures_redone, r->verify_sample,
	       r->zonemd ? "true" : "false");
	printf("\"keys\":[");
	for (size_t k = 0; k < r->key_count; k++) {
		printf("%s{\"role\":\"%s\",\"tag\":%u,\"algorithm\":%u,"
		       "\"signatures\":%llu}",
		       k ? "," : "", sigil_key_role_name((int)r->keys[k].role),
		       (unsigned)r->keys[k].tag, (unsigned)r->keys[k].alg,
		       (unsigned long long)r->keys[k].signatures);
	}
	printf("],\"stores\":[");
	for (size_t s = 0; s < r->store_count; s++) {
		const sigil_sign_store_stat_t *st = &r->stores[s];

		printf("%s{\"name\":", s ? "," : "");
		cmd_json_str(stdout, st->name);
		printf(",\"signatures\":%llu,\"verified\":%llu,\"bad\":%llu,"
		       "\"quarantined\":%s,\"reason\":",
		       (unsigned long long)st->made,
		       (unsigned long long)st->verified,
		       (unsigned long long)st->bad,
		       st->quarantined ? "true" : "false");
		cmd_json_str(stdout, st->reason);
		printf(",\"keys_unusable\":%u,\"note\":", st->keys_unusable);
		cmd_json_str(stdout, st->note);
		printf("}");
	}
	printf("],\"unavailable\":[");
	for (size_t i = 0, n = 0; i < pv->nnames; i++) {
		if (!pv->failed[i]) {
			continue;
		}
		printf("%s{\"name\":", n++ ? "," : "");
		cmd_json_str(stdout, pv->names[i]);
		printf(",\"reason\":");
		cmd_json_str(stdout, pv->why[i]);
		printf("}");
	}
	printf("],\"time\":{\"load\":%.3f,\"prepare\":%.3f,\"denial\":%.3f,"
	       "\"sign\":%.3f,\"zonemd\":%.3f,\"gate\":%.3f,\"write\":%.3f,"
	       "\"total\":%.3f},\"threads\":%u}\n",
	       r->time_load, r->time_prepare, r->time_denial, r->time_sign,
	       r->time_zonemd, r->time_gate, r->time_write, r->time_total,
	       r->threads);
}

/* The gate's findings, on stderr, when it refused the output. */
static void gate_findings(const sigil_verify_report_t *g)
{
	for (size_t i = 0; i < g->finding_count; i++) {
		const sigil_verify_finding_t *f = &g->findings[i];

		if (f->severity != SIGIL_SEV_ERROR) {
			continue;
		}
		fprintf(stderr, "sigil sign: gate: %s: %s\n", f->owner,
		        f->message);
	}
}

static int parse_salt(const char *s, sigil_sign_policy_t *p)
{
	size_t len = strlen(s);

	if (strcmp(s, "-") == 0) {
		p->nsec3_salt_len = 0;
		return 0;
	}
	if (len == 0 || len % 2 != 0 || len > 510 ||
	    strspn(s, "0123456789abcdefABCDEF") != len) {
		return -1;
	}
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		sscanf(s + 2 * i, "%2x", &v);
		p->nsec3_salt[i] = (uint8_t)v;
	}
	p->nsec3_salt_len = (uint8_t)(len / 2);
	return 0;
}

enum {
	OPT_ORIGIN = 256,
	OPT_NSEC,
	OPT_NSEC3,
	OPT_OPTOUT,
	OPT_NO_OPTOUT,
	OPT_ITER,
	OPT_SALT,
	OPT_VALIDITY,
	OPT_JITTER,
	OPT_INCEPTION,
	OPT_SERIAL,
	OPT_ZONEMD,
	OPT_NO_ZONEMD,
	OPT_SAMPLE,
	OPT_TIME,
	OPT_JSON,
};

static int bad_value(const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "sigil sign: --%s: '%s' is not %s\n", opt, value, want);
	return SIGIL_EXIT_USAGE;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"config", required_argument, NULL, 'c'},
		{"origin", required_argument, NULL, OPT_ORIGIN},
		{"nsec", no_argument, NULL, OPT_NSEC},
		{"nsec3", no_argument, NULL, OPT_NSEC3},
		{"opt-out", no_argument, NULL, OPT_OPTOUT},
		{"no-opt-out", no_argument, NULL, OPT_NO_OPTOUT},
		{"iterations", required_argument, NULL, OPT_ITER},
		{"salt", required_argument, NULL, OPT_SALT},
		{"validity", required_argument, NULL, OPT_VALIDITY},
		{"jitter", required_argument, NULL, OPT_JITTER},
		{"inception-offset", required_argument, NULL, OPT_INCEPTION},
		{"serial", required_argument, NULL, OPT_SERIAL},
		{"zonemd", no_argument, NULL, OPT_ZONEMD},
		{"no-zonemd", no_argument, NULL, OPT_NO_ZONEMD},
		{"verify-sample", required_argument, NULL, OPT_SAMPLE},
		{"threads", required_argument, NULL, 't'},
		{"time", required_argument, NULL, OPT_TIME},
		{"json", no_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = SIGIL_CONFIG_DEFAULT_PATH, *output = NULL;
	overrides_t ov = {0};
	sigil_sign_opts_t opts = {0};
	bool json = false, quiet = false;
	unsigned long v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	sigil_keydb_error_t kerr;
	sigil_sign_report_t *rep = NULL;
	sigil_sign_error_t err;
	provider_t pv = {0};
	char msg[1600];
	int c, r, ret = SIGIL_EXIT_USAGE;

	opts.now = (uint64_t)time(NULL);
	opts.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:c:t:qh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case OPT_ORIGIN:
			opts.origin = optarg;
			break;
		case OPT_NSEC:
		case OPT_NSEC3:
			ov.denial = true;
			ov.p.nsec3 = c == OPT_NSEC3;
			break;
		case OPT_OPTOUT:
		case OPT_NO_OPTOUT:
			ov.opt_out = true;
			ov.p.nsec3_opt_out = c == OPT_OPTOUT;
			break;
		case OPT_ITER:
			if (cmd_parse_count(optarg, 100, &v) != 0) {
				return bad_value("iterations", optarg,
				                 "a number from 0 to 100");
			}
			ov.iterations = true;
			ov.p.nsec3_iterations = (uint16_t)v;
			break;
		case OPT_SALT:
			if (parse_salt(optarg, &ov.p) != 0) {
				return bad_value("salt", optarg,
				                 "hex (up to 255 bytes) or -");
			}
			ov.salt = true;
			break;
		case OPT_VALIDITY:
			if (cmd_parse_duration(optarg, &ov.p.validity) != 0 ||
			    ov.p.validity < 3600) {
				return bad_value("validity", optarg,
				                 "a duration of 1h or more");
			}
			ov.validity = true;
			break;
		case OPT_JITTER:
			if (cmd_parse_duration(optarg, &ov.p.jitter) != 0) {
				return bad_value("jitter", optarg,
				                 "a duration");
			}
			ov.jitter = true;
			break;
		case OPT_INCEPTION:
			if (cmd_parse_duration(optarg,
			                       &ov.p.inception_offset) != 0) {
				return bad_value("inception-offset", optarg,
				                 "a duration");
			}
			ov.inception = true;
			break;
		case OPT_SERIAL:
			ov.serial = true;
			if (strcmp(optarg, "keep") == 0) {
				ov.p.serial = SIGIL_SERIAL_KEEP;
			} else if (strcmp(optarg, "increment") == 0) {
				ov.p.serial = SIGIL_SERIAL_INCREMENT;
			} else if (strcmp(optarg, "unixtime") == 0) {
				ov.p.serial = SIGIL_SERIAL_UNIXTIME;
			} else if (strcmp(optarg, "dateserial") == 0) {
				ov.p.serial = SIGIL_SERIAL_DATESERIAL;
			} else {
				return bad_value("serial", optarg,
				                 "keep, increment, unixtime or "
				                 "dateserial");
			}
			break;
		case OPT_ZONEMD:
		case OPT_NO_ZONEMD:
			ov.zonemd = true;
			ov.p.zonemd = c == OPT_ZONEMD;
			break;
		case OPT_SAMPLE:
			if (cmd_parse_count(optarg, 1000000, &v) != 0 ||
			    v < 1) {
				return bad_value("verify-sample", optarg,
				                 "a number from 1 to 1000000");
			}
			opts.verify_sample = v == 1 ? 0 : (unsigned)v;
			break;
		case 't':
			if (cmd_parse_count(optarg, 1024, &v) != 0 || v == 0) {
				return bad_value("threads", optarg,
				                 "a number from 1 to 1024");
			}
			opts.threads = (unsigned)v;
			break;
		case OPT_TIME:
			if (cmd_parse_time(optarg, &opts.now) != 0) {
				return bad_value(
					"time", optarg,
					"YYYYMMDDHHMMSS or seconds since "
					"the epoch");
			}
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cmd_sign_usage(stdout);
			return SIGIL_EXIT_OK;
		default:
			cmd_sign_usage(stderr);
			return SIGIL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || output == NULL) {
		fprintf(stderr, "sigil sign: %s\n",
		        optind >= argc    ? "missing ZONEFILE" :
		        optind + 1 < argc ? "more than one ZONEFILE" :
		                            "missing -o OUTPUT");
		cmd_sign_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	r = sigil_config_load(config, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil sign: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	r = sigil_keydb_open(sigil_config_database(cfg), &pv.db, &kerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil sign: key database %s: %s\n",
		        sigil_config_database(cfg), kerr.message);
		ret = SIGIL_EXIT_HSM;
		goto out;
	}
	pv.cfg = cfg;
	pv.ov = &ov;
	sigil_sign_policy_default(&opts.policy);
	if (!quiet && !json && isatty(STDERR_FILENO)) {
		opts.progress = progress;
	}
	r = sigil_sign_file(argv[optind], output, &opts, provide, &pv, &rep,
	                    &err);
	if (r != SIGIL_EOK) {
		if (err.file[0] != '\0' && err.line != 0) {
			fprintf(stderr, "sigil sign: %s:%llu: %s\n", err.file,
			        (unsigned long long)err.line, err.message);
		} else if (err.file[0] != '\0') {
			fprintf(stderr, "sigil sign: %s: %s\n", err.file,
			        err.message);
		} else {
			fprintf(stderr, "sigil sign: %s\n", err.message);
		}
		if (rep != NULL && rep->gate != NULL &&
		    !sigil_verify_report_valid(rep->gate)) {
			gate_findings(rep->gate);
		}
	}
	/* A report when something was signed, or the gates refused it;
	 * input and setup errors have only their message. */
	if (rep != NULL && !quiet && pv.provided &&
	    (r == SIGIL_EOK || r == SIGIL_EBADSIG ||
	     (r == SIGIL_EMALFORMED && rep->gate != NULL))) {
		(json ? report_json : report_text)(rep, &rep->policy, &pv,
		                                   output, r == SIGIL_EOK);
	}
	switch (r) {
	case SIGIL_EOK:
		ret = SIGIL_EXIT_OK;
		break;
	case SIGIL_EBADSIG:
		/* I3: the signatures' gate refused (no healthy store). */
		ret = SIGIL_EXIT_FOUND;
		break;
	case SIGIL_EMALFORMED:
		/* I4: the zone's gate refused, or bad input. */
		ret = rep != NULL && rep->gate != NULL &&
		                      !sigil_verify_report_valid(rep->gate) ?
		              SIGIL_EXIT_FOUND :
		              SIGIL_EXIT_USAGE;
		break;
	case SIGIL_ENOMEM:
	case SIGIL_ETHREAD:
		ret = SIGIL_EXIT_HSM;
		break;
	default:
		ret = pv.exit_code != 0 ? pv.exit_code :
		      r == SIGIL_EIO && err.line == 0 &&
		                      strcmp(err.file, output) == 0 ?
		                          SIGIL_EXIT_HSM :
		                          SIGIL_EXIT_USAGE;
		break;
	}
	if (fflush(stdout) != 0 && ret == SIGIL_EXIT_OK) {
		ret = SIGIL_EXIT_HSM;
	}
out:
	sigil_sign_report_free(rep);
	provider_free(&pv);
	sigil_keydb_close(pv.db);
	sigil_config_free(cfg);
	return ret;
}
