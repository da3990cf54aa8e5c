/* sigil keys: the DNSSEC keys of a zone.
 *
 *   sigil keys generate ZONE --role ROLE [--algorithm ALG] [-c FILE]
 *   sigil keys list ZONE [--json] [-c FILE]
 *   sigil keys dnskey ZONE [--ttl N] [-c FILE]
 *   sigil keys ds ZONE [--digest 2|4] [--ttl N] [-c FILE]
 *   sigil keys check [ZONE] [--json] [-c FILE]
 *
 * generate makes a key in the HSMs the zone uses (keys/generate.h) and
 * records it in the key database; list, dnskey and ds only read the key
 * database.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "cmd/json.h"
#include "cmd/keys.h"
#include "config/config.h"
#include "crypto/alg.h"
#include "crypto/key.h"
#include "dns/name.h"
#include "hsm/hsm.h"
#include "keys/generate.h"
#include "keys/keydb.h"
#include "util/error.h"

#define KEYS_TTL_DEFAULT 3600

void cmd_keys_usage(FILE *out)
{
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil keys generate ZONE --role zsk|ksk|csk [--algorithm ALG] [--bits N] [-c FILE]\n"
	        "       sigil keys list ZONE [--json] [-c FILE]\n"
	        "       sigil keys dnskey ZONE [--ttl N] [-c FILE]\n"
	        "       sigil keys ds ZONE [--digest 2|4] [--ttl N] [-c FILE]\n"
	        "       sigil keys check [ZONE] [--json] [-c FILE]\n"
	        "\n"
	        "generate: make one key pair of ZONE and put it in every HSM or\n"
	        "software key store the zone uses: generated in the first HSM and\n"
	        "replicated under the enrolled key-encryption key (sigil hsm\n"
	        "enroll), or, for algorithms the HSMs cannot wrap (Ed25519 on\n"
	        "SoftHSM2) and for software key stores, generated in software and\n"
	        "imported.  Possession is then proven in every store and the key\n"
	        "recorded, usable, in the key database.\n"
	        "\n"
	        "list: the keys of ZONE in the key database (id, role, state,\n"
	        "algorithm, key tag, flags, creation time) and, per copy,\n"
	        "whether it is present, generated there (local), and the time\n"
	        "and result of its last proof of possession.\n"
	        "\n"
	        "dnskey: the DNSKEY RRset of the usable keys of ZONE, in zone\n"
	        "file format.\n"
	        "\n"
	        "ds: the DS records of the usable keys of ZONE with the SEP flag\n"
	        "(KSK, CSK), in zone file format.\n"
	        "\n"
	        "check: prove possession of every usable key of ZONE (of every\n"
	        "zone when ZONE is omitted) again in every store the zone uses and\n"
	        "record the results: ok, missing, multiple, pubkey-mismatch,\n"
	        "bad-signature, local or unreachable.  Exit 1 when one is not ok.\n"
	        "\n"
	        "Options:\n"
	        "  -c, --config FILE    configuration (default "
	        SIGIL_CONFIG_DEFAULT_PATH ")\n"
	        "      --role ROLE      generate: zsk, ksk or csk\n"
	        "      --algorithm ALG  generate: mnemonic or number: RSASHA256 (8),\n"
	        "                       RSASHA512 (10), ECDSAP256SHA256 (13),\n"
	        "                       ECDSAP384SHA384 (14), ED25519 (15), ED448\n"
	        "                       (16); default: the zone's configured\n"
	        "                       algorithm, else 13\n"
	        "      --bits N         generate: RSA key size (1024-4096, default 2048)\n"
	        "      --json           list: print a JSON array, one object per key\n"
	        "      --ttl N          dnskey, ds: TTL of the records (default 3600)\n"
	        "      --digest N       ds: 2 (SHA-256, default) or 4 (SHA-384)\n"
	        "  -h, --help           show this help\n"
	        "\n"
	        "Exit status: 0 success, 1 check found a problem, 2 usage or\n"
	        "configuration error, 3 HSM, key store or key database failure.\n");
	/* clang-format on */
}

/* Canonical presentation form of zone ("example."), or false. */
bool keys_zone_canon(const char *zone, uint8_t wire[SIGIL_DNAME_MAXLEN],
                     char txt[SIGIL_DNAME_TXT_MAXLEN])
{
	uint8_t raw[SIGIL_DNAME_MAXLEN];

	if (sigil_dname_from_str(raw, zone, NULL) == 0) {
		return false;
	}
	sigil_dname_tolower(wire, raw);
	sigil_dname_to_str(txt, wire);
	return true;
}

static void time_str(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(out, len, "-");
	}
}

static void hex(char *out, const uint8_t *b, size_t n, bool upper)
{
	for (size_t i = 0; i < n; i++) {
		sprintf(out + 2 * i, upper ? "%02X" : "%02x", b[i]);
	}
	out[2 * n] = '\0';
}

static int generate_run(const char *path, const char *zone,
                        enum sigil_key_role role, int alg_arg, unsigned bits)
{
	sigil_config_t *cfg = NULL;
	const sigil_config_zone_t *zc;
	sigil_config_error_t cerr;
	sigil_keystore_error_t serr;
	sigil_keydb_error_t kerr;
	sigil_keydb_t *db = NULL;
	sigil_keystore_t **stores = NULL;
	sigil_key_generate_result_t res;
	const char *const *names = NULL;
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	char ztxt[SIGIL_DNAME_TXT_MAXLEN];
	char msg[1600];
	char idhex[2 * SIGIL_KEY_CKA_ID_LEN + 1];
	uint8_t alg;
	size_t n = 0;
	int r, ret = SIGIL_EXIT_USAGE;

	if (!keys_zone_canon(zone, wire, ztxt)) {
		fprintf(stderr,
		        "sigil keys generate: '%s' is not a domain name\n",
		        zone);
		return SIGIL_EXIT_USAGE;
	}
	r = sigil_config_load(path, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys generate: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	if (sigil_config_zone_stores(cfg, ztxt, &names, &n) != SIGIL_EOK) {
		fprintf(stderr,
		        "sigil keys generate: '%s' is not a domain name\n",
		        zone);
		goto out;
	}
	if (n == 0) {
		fprintf(stderr,
		        "sigil keys generate: %s: no HSM or key store for "
		        "zone %s\n",
		        path, ztxt);
		goto out;
	}
	/* --algorithm, else the zone's configured one, else 13. */
	zc = sigil_config_zone_find(cfg, ztxt);
	alg = alg_arg >= 0                     ? (uint8_t)alg_arg :
	      zc != NULL && zc->algorithm != 0 ? zc->algorithm :
	                                         13;
	if (bits != 0 && alg != 8 && alg != 10) {
		fprintf(stderr,
		        "sigil keys generate: --bits is for RSA (algorithms "
		        "8 and 10), not %s\n",
		        sigil_alg_name(alg));
		goto out;
	}
	stores = calloc(n, sizeof(*stores));
	if (stores == NULL) {
		fprintf(stderr, "sigil keys generate: out of memory\n");
		ret = SIGIL_EXIT_HSM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = cmd_store_open(cfg, names[i], &stores[i], &serr);
		if (r != SIGIL_EOK) {
			fprintf(stderr,
			        "sigil keys generate: %s\n"
			        "sigil keys generate: failed; no key was "
			        "recorded\n",
			        serr.message);
			ret = cmd_store_exit(r);
			goto out;
		}
	}
	r = sigil_keydb_open(sigil_config_database(cfg), &db, &kerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys generate: key database %s: %s\n",
		        sigil_config_database(cfg), kerr.message);
		ret = SIGIL_EXIT_HSM;
		goto out;
	}
	memset(&res, 0, sizeof(res));
	r = sigil_key_generate(db, ztxt, role, alg, bits, stores, n, &res,
	                       &serr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys generate: %s\n", serr.message);
		fprintf(stderr, "sigil keys generate: failed; no key was "
		                "recorded\n");
		ret = r == SIGIL_EALGORITHM || r == SIGIL_ERANGE ||
		                      r == SIGIL_ECONFIG ?
		              SIGIL_EXIT_USAGE :
		              SIGIL_EXIT_HSM;
		goto out;
	}
	hex(idhex, res.cka_id, sizeof(res.cka_id), false);
	printf("zone:       %s\n", ztxt);
	printf("id:         %lld\n", (long long)res.key_id);
	printf("role:       %s\n", sigil_key_role_name(role));
	printf("algorithm:  %u (%s)\n", (unsigned)alg, sigil_alg_name(alg));
	printf("key tag:    %u\n", (unsigned)res.tag);
	printf("flags:      %u\n",
	       (unsigned)(res.rdata[0] << 8 | res.rdata[1]));
	printf("CKA_ID:     %s\n", idhex);
	printf("stores:    ");
	for (size_t i = 0; i < n; i++) {
		printf(" %s", sigil_keystore_name(stores[i]));
	}
	printf("\n");
	if (res.origin == SIGIL_KEY_MADE_IN_HSM) {
		printf("generated in %s, replicated under the key-encryption "
		       "key\n",
		       sigil_keystore_name(stores[0]));
	} else if (sigil_keystore_kind(stores[0]) == SIGIL_KEYSTORE_PKCS11) {
		printf("generated in software and imported into every HSM "
		       "(the HSMs cannot wrap %s keys)\n",
		       sigil_alg_name(alg));
	} else {
		printf("generated in software, written to every key store\n");
	}
	printf("proven in every store\n");
	ret = fflush(stdout) == 0 ? SIGIL_EXIT_OK : SIGIL_EXIT_HSM;
out:
	sigil_keydb_close(db);
	for (size_t i = 0; stores != NULL && i < n; i++) {
		sigil_keystore_close(stores[i]);
	}
	free(stores);
	sigil_config_free(cfg);
	return ret;
}

const char *keys_name_or(const char *s)
{
	return s != NULL ? s : "unknown";
}

/* Prints one key of list, text or JSON. */
static void list_key(const sigil_keydb_key_t *k, const sigil_keydb_copy_t *c,
                     size_t nc, bool json, const char *sep)
{
	char created[32], when[32];
	char idhex[2 * SIGIL_KEYDB_CKA_ID_MAXLEN + 1];

	time_str(created, sizeof(created), k->created);
	hex(idhex, k->cka_id, k->cka_id_len, false);
	if (json) {
		printf("%s{\"id\":%lld,\"zone\":", sep, (long long)k->id);
		cmd_json_str(stdout, k->zone);
		printf(",\"role\":");
		cmd_json_str(stdout,
		             keys_name_or(sigil_key_role_name(k->role)));
		printf(",\"state\":");
		cmd_json_str(stdout,
		             keys_name_or(sigil_key_state_name(k->state)));
		printf(",\"algorithm\":%u,\"tag\":%u,\"flags\":%u,\"bits\":%u,"
		       "\"cka_id\":\"%s\",\"created\":",
		       (unsigned)k->algorithm, (unsigned)k->tag,
		       (unsigned)k->flags, k->bits, idhex);
		cmd_json_str(stdout, created);
		printf(",\"copies\":[");
		for (size_t i = 0; i < nc; i++) {
			time_str(when, sizeof(when), c[i].proof_time);
			printf("%s{\"hsm\":", i ? "," : "");
			cmd_json_str(stdout, c[i].hsm);
			printf(",\"present\":%s,\"local\":%s,\"proof_time\":",
			       c[i].present ? "true" : "false",
			       c[i].local ? "true" : "false");
			if (c[i].proof_time == 0) {
				printf("null");
			} else {
				cmd_json_str(stdout, when);
			}
			printf(",\"proof\":");
			cmd_json_str(stdout,
			             keys_name_or(sigil_proof_result_name(
					     c[i].result)));
			printf(",\"message\":");
			cmd_json_str(stdout,
			             c[i].message != NULL ? c[i].message : "");
			printf("}");
		}
		printf("]}");
		return;
	}
	printf("key %lld\n", (long long)k->id);
	printf("  role:       %s\n",
	       keys_name_or(sigil_key_role_name(k->role)));
	printf("  state:      %s\n",
	       keys_name_or(sigil_key_state_name(k->state)));
	printf("  algorithm:  %u\n", (unsigned)k->algorithm);
	printf("  key tag:    %u\n", (unsigned)k->tag);
	printf("  flags:      %u\n", (unsigned)k->flags);
	printf("  CKA_ID:     %s\n", idhex);
	printf("  created:    %s\n", created);
	for (size_t i = 0; i < nc; i++) {
		time_str(when, sizeof(when), c[i].proof_time);
		printf("  copy %s: present %s, local %s, proof %s at %s%s%s\n",
		       c[i].hsm, c[i].present ? "yes" : "no",
		       c[i].local ? "yes" : "no",
		       keys_name_or(sigil_proof_result_name(c[i].result)), when,
		       c[i].message != NULL && *c[i].message ? ": " : "",
		       c[i].message != NULL ? c[i].message : "");
	}
}

enum { SUB_LIST, SUB_DNSKEY, SUB_DS, SUB_CHECK };

typedef struct {
	bool json;
	unsigned long ttl;
	uint8_t digest;
} read_opts_t;

/* false when out of memory. */
static bool print_dnskey(const char *owner, unsigned long ttl,
                         const sigil_keydb_key_t *k)
{
	unsigned char *b64;
	size_t pklen = k->rdlen - 4;

	b64 = malloc(4 * ((pklen + 2) / 3) + 1);
	if (b64 == NULL) {
		return false;
	}
	EVP_EncodeBlock(b64, k->rdata + 4, (int)pklen);
	printf("%s %lu IN DNSKEY %u %u %u %s\n", owner, ttl, (unsigned)k->flags,
	       (unsigned)k->rdata[2], (unsigned)k->algorithm,
	       (const char *)b64);
	free(b64);
	return true;
}

/* list, dnskey, ds: read the key database only; a database that does not
 * exist yet is not created and holds no key. */
static int read_run(const char *path, const char *zone, int sub,
                    const read_opts_t *o)
{
	static const char *const subname[] = {"list", "dnskey", "ds"};
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	sigil_keydb_error_t kerr;
	sigil_keydb_t *db = NULL;
	sigil_keydb_key_t *keys = NULL;
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	char ztxt[SIGIL_DNAME_TXT_MAXLEN];
	char msg[1600];
	struct stat st;
	size_t nkeys = 0;
	const char *sep = "";
	int r, ret = SIGIL_EXIT_USAGE;

	if (!keys_zone_canon(zone, wire, ztxt)) {
		fprintf(stderr, "sigil keys %s: '%s' is not a domain name\n",
		        subname[sub], zone);
		return SIGIL_EXIT_USAGE;
	}
	r = sigil_config_load(path, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys %s: %s\n", subname[sub],
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	ret = SIGIL_EXIT_HSM;
	if (stat(sigil_config_database(cfg), &st) == 0) {
		r = sigil_keydb_open(sigil_config_database(cfg), &db, &kerr);
		if (r == SIGIL_EOK) {
			r = sigil_keydb_keys(db, ztxt, &keys, &nkeys, &kerr);
		}
		if (r != SIGIL_EOK) {
			fprintf(stderr, "sigil keys %s: key database %s: %s\n",
			        subname[sub], sigil_config_database(cfg),
			        kerr.message);
			goto out;
		}
	} else if (errno != ENOENT) {
		fprintf(stderr, "sigil keys %s: key database %s: %s\n",
		        subname[sub], sigil_config_database(cfg),
		        strerror(errno));
		goto out;
	}
	if (sub == SUB_LIST && o->json) {
		printf("[");
	}
	for (size_t i = 0; i < nkeys; i++) {
		const sigil_keydb_key_t *k = &keys[i];

		if (sub == SUB_LIST) {
			sigil_keydb_copy_t *copies = NULL;
			size_t nc = 0;

			r = sigil_keydb_copies(db, k->id, &copies, &nc, &kerr);
			if (r != SIGIL_EOK) {
				fprintf(stderr,
				        "sigil keys list: key database %s: "
				        "%s\n",
				        sigil_config_database(cfg),
				        kerr.message);
				goto out;
			}
			list_key(k, copies, nc, o->json, sep);
			sep = ",";
			sigil_keydb_copies_free(copies, nc);
			continue;
		}
		if (k->state != SIGIL_KEY_USABLE || k->rdlen < 4) {
			continue;
		}
		if (sub == SUB_DNSKEY) {
			if (!print_dnskey(ztxt, o->ttl, k)) {
				fprintf(stderr,
				        "sigil keys dnskey: out of memory\n");
				goto out;
			}
		} else if (k->flags & SIGIL_DNSKEY_FLAG_SEP) {
			uint8_t d[SIGIL_DS_MAXLEN];
			char dhex[2 * SIGIL_DS_MAXLEN + 1];
			size_t dlen = 0;

			r = sigil_ds_digest(o->digest, wire, k->rdata, k->rdlen,
			                    d, &dlen);
			if (r != SIGIL_EOK) {
				fprintf(stderr,
				        "sigil keys ds: key %lld: cannot "
				        "compute "
				        "digest type %u\n",
				        (long long)k->id, (unsigned)o->digest);
				goto out;
			}
			hex(dhex, d, dlen, true);
			printf("%s %lu IN DS %u %u %u %s\n", ztxt, o->ttl,
			       (unsigned)k->tag, (unsigned)k->algorithm,
			       (unsigned)o->digest, dhex);
		}
	}
	if (sub == SUB_LIST) {
		if (o->json) {
			printf("]\n");
		} else if (nkeys == 0) {
			printf("no keys for %s\n", ztxt);
		}
	}
	ret = fflush(stdout) == 0 ? SIGIL_EXIT_OK : SIGIL_EXIT_HSM;
out:
	sigil_keydb_keys_free(keys, nkeys);
	sigil_keydb_close(db);
	sigil_config_free(cfg);
	return ret;
}

enum { OPT_ROLE = 256, OPT_ALG, OPT_JSON, OPT_TTL, OPT_DIGEST, OPT_BITS };

int cmd_keys(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"role", required_argument, NULL, OPT_ROLE},
		{"algorithm", required_argument, NULL, OPT_ALG},
		{"json", no_argument, NULL, OPT_JSON},
		{"ttl", required_argument, NULL, OPT_TTL},
		{"digest", required_argument, NULL, OPT_DIGEST},
		{"bits", required_argument, NULL, OPT_BITS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = SIGIL_CONFIG_DEFAULT_PATH;
	const char *sub, *role_arg = NULL;
	read_opts_t o = {false, KEYS_TTL_DEFAULT, 2};
	enum sigil_key_role role = SIGIL_ROLE_ZSK;
	int alg = -1; /* not given */
	uint8_t a8;
	unsigned bits = 0;
	unsigned long v;
	int c, s;

	if (argc < 2) {
		cmd_keys_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_keys_usage(stdout);
		return SIGIL_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "generate") == 0) {
		s = -1;
	} else if (strcmp(sub, "check") == 0) {
		s = SUB_CHECK;
	} else if (strcmp(sub, "list") == 0) {
		s = SUB_LIST;
	} else if (strcmp(sub, "dnskey") == 0) {
		s = SUB_DNSKEY;
	} else if (strcmp(sub, "ds") == 0) {
		s = SUB_DS;
	} else {
		fprintf(stderr, "sigil keys: unknown subcommand '%s'\n", sub);
		cmd_keys_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		const char *need = NULL;

		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_ROLE:
			need = s == -1 ? NULL : "generate";
			role_arg = optarg;
			if (need == NULL &&
			    sigil_key_role_parse(optarg, &role) != SIGIL_EOK) {
				fprintf(stderr,
				        "sigil keys generate: unknown role "
				        "'%s' (zsk, ksk or csk)\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			break;
		case OPT_ALG:
			need = s == -1 ? NULL : "generate";
			if (need == NULL && (!sigil_alg_parse(optarg, &a8) ||
			                     !sigil_alg_can_sign(a8))) {
				fprintf(stderr,
				        "sigil keys generate: algorithm '%s' "
				        "is not supported: use one of %s\n",
				        optarg, sigil_alg_sign_list());
				return SIGIL_EXIT_USAGE;
			}
			alg = a8;
			break;
		case OPT_BITS:
			need = s == -1 ? NULL : "generate";
			if (need == NULL &&
			    (cmd_parse_count(optarg, 4096, &v) != 0 ||
			     v < 1024 || v % 8 != 0)) {
				fprintf(stderr,
				        "sigil keys generate: bad key size "
				        "'%s' (RSA: 1024 to 4096 bits, a "
				        "multiple of 8)\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			bits = (unsigned)v;
			break;
		case OPT_JSON:
			need = s == SUB_LIST || s == SUB_CHECK ?
			               NULL :
			               "list and check";
			o.json = true;
			break;
		case OPT_TTL:
			need = s == SUB_DNSKEY || s == SUB_DS ? NULL :
			                                        "dnskey and ds";
			if (need == NULL &&
			    cmd_parse_count(optarg, 2147483647UL, &o.ttl) !=
			            0) {
				fprintf(stderr,
				        "sigil keys %s: bad TTL '%s' (0 to "
				        "2147483647)\n",
				        sub, optarg);
				return SIGIL_EXIT_USAGE;
			}
			break;
		case OPT_DIGEST:
			need = s == SUB_DS ? NULL : "ds";
			if (need == NULL &&
			    (cmd_parse_count(optarg, 255, &v) != 0 ||
			     (v != 2 && v != 4))) {
				fprintf(stderr,
				        "sigil keys ds: digest type '%s' is "
				        "not supported (2: SHA-256, 4: "
				        "SHA-384)\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			o.digest = (uint8_t)v;
			break;
		case 'h':
			cmd_keys_usage(stdout);
			return SIGIL_EXIT_OK;
		default:
			cmd_keys_usage(stderr);
			return SIGIL_EXIT_USAGE;
		}
		if (need != NULL) {
			fprintf(stderr, "sigil keys %s: --%s is for %s\n", sub,
			        longopts[c == 'c' ? 0 : c - OPT_ROLE + 1].name,
			        need);
			return SIGIL_EXIT_USAGE;
		}
	}
	if (s == SUB_CHECK && optind + 1 >= argc) {
		return keys_check_run(
			config, optind < argc ? argv[optind] : NULL, o.json);
	}
	if (optind >= argc) {
		fprintf(stderr, "sigil keys %s: missing ZONE\n", sub);
		return SIGIL_EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "sigil keys %s: unexpected argument '%s'\n",
		        sub, argv[optind + 1]);
		return SIGIL_EXIT_USAGE;
	}
	if (s == -1) {
		if (role_arg == NULL) {
			fprintf(stderr, "sigil keys generate: --role is "
			                "required (zsk, ksk or csk)\n");
			return SIGIL_EXIT_USAGE;
		}
		return generate_run(config, argv[optind], role, alg, bits);
	}
	return read_run(config, argv[optind], s, &o);
}
