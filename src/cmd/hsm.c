/* sigil hsm: operations on the configured HSMs.
 *
 *   sigil hsm enroll [-c FILE] [--check]
 *   sigil hsm list [-c FILE] [--json]
 *
 * enroll establishes the key-encryption key shared by every HSM of the
 * configuration (see hsm/hsm.h, "Enrollment"); --check only reports the
 * KEK each HSM holds, changing nothing.  list shows every HSM (reachable,
 * logged in, token, KEK, keys recorded on it, health) and key store,
 * changing nothing.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "cmd/json.h"
#include "config/config.h"
#include "hsm/hsm.h"
#include "keys/keydb.h"
#include "util/error.h"

void cmd_hsm_usage(FILE *out)
{
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil hsm enroll [-c FILE] [--check]\n"
	        "       sigil hsm list [-c FILE] [--json]\n"
	        "\n"
	        "enroll: establish one AES-256 key-encryption key (KEK, label\n"
	        "\"" SIGIL_HSM_KEK_LABEL "\") shared by every HSM of the configuration.\n"
	        "It is generated in the first HSM and copied to each other HSM\n"
	        "wrapped under an RSA-2048 transport key generated in that HSM;\n"
	        "it never exists in clear outside the HSMs.  HSMs that already\n"
	        "hold it are left alone; the key check values (KCV) of all copies\n"
	        "must agree.  Refuses when HSMs hold different KEKs or one HSM\n"
	        "holds several.  On failure, every copy made by this run is\n"
	        "destroyed.\n"
	        "\n"
	        "list: show every HSM of the configuration (site, reachable,\n"
	        "logged in, token label, serial, manufacturer, model, firmware,\n"
	        "PIN flags, KEK and its KCV, number of sigil keys with a copy on\n"
	        "it in the key database, health) and every key store.  An HSM is\n"
	        "healthy when it is reachable, logged in and holds the same KEK\n"
	        "as every other HSM.  Changes nothing.\n"
	        "\n"
	        "Options:\n"
	        "  -c, --config FILE  configuration (default "
	        SIGIL_CONFIG_DEFAULT_PATH ")\n"
	        "      --check        enroll: only report each HSM's KEK and KCV;\n"
	        "                     exit 1 unless all hold the same one\n"
	        "      --json         list: print a JSON array, one object per\n"
	        "                     HSM and key store\n"
	        "  -h, --help         show this help\n"
	        "\n"
	        "Exit status: 0 success (list: every HSM healthy), 1 enroll\n"
	        "--check: not enrolled, list: an HSM is not healthy, 2 usage or\n"
	        "configuration error, 3 HSM or key database failure.\n");
	/* clang-format on */
}

static int exit_of(int err)
{
	return err == SIGIL_ECONFIG ? SIGIL_EXIT_USAGE : SIGIL_EXIT_HSM;
}

static const char *state_name(sigil_hsm_kek_state_t s)
{
	switch (s) {
	case SIGIL_HSM_KEK_CREATED:
		return "created";
	case SIGIL_HSM_KEK_COPIED:
		return "copied";
	case SIGIL_HSM_KEK_LEFT:
		return "left";
	case SIGIL_HSM_KEK_PRESENT:
		break;
	}
	return "present";
}

/* --check: what each HSM holds, nothing changed. */
static int enroll_check(sigil_hsm_t **hsms, size_t n)
{
	uint8_t first[3] = {0};
	bool all = true, have_first = false;
	int ret = SIGIL_EXIT_OK;

	printf("%-16s %-12s %-8s %s\n", "HSM", "SITE", "KCV", "KEK");
	for (size_t i = 0; i < n; i++) {
		sigil_hsm_error_t herr;
		uint8_t kcv[3];
		bool present = false;
		int r = sigil_hsm_kek_check(hsms[i], kcv, &present, &herr);

		if (r != SIGIL_EOK) {
			printf("%-16s %-12s %-8s %s\n", sigil_hsm_name(hsms[i]),
			       sigil_hsm_site(hsms[i]), "-", "error");
			fprintf(stderr, "sigil hsm enroll: %s\n", herr.message);
			ret = SIGIL_EXIT_HSM;
			continue;
		}
		if (!present) {
			printf("%-16s %-12s %-8s %s\n", sigil_hsm_name(hsms[i]),
			       sigil_hsm_site(hsms[i]), "-", "missing");
			all = false;
			continue;
		}
		printf("%-16s %-12s %02x%02x%02x   %s\n",
		       sigil_hsm_name(hsms[i]), sigil_hsm_site(hsms[i]), kcv[0],
		       kcv[1], kcv[2], "present");
		if (!have_first) {
			memcpy(first, kcv, 3);
			have_first = true;
		} else if (memcmp(first, kcv, 3) != 0) {
			all = false;
		}
	}
	if (ret == SIGIL_EXIT_OK) {
		if (all) {
			printf("enrolled: every HSM holds the same KEK\n");
		} else {
			printf("not enrolled\n");
			ret = SIGIL_EXIT_FOUND;
		}
	}
	return ret;
}

static int enroll_run(const char *path, bool check)
{
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	sigil_hsm_error_t herr;
	sigil_hsm_t **hsms = NULL;
	sigil_hsm_enroll_result_t *res = NULL;
	char msg[1600];
	size_t n = 0;
	bool already = true;
	int r, ret = SIGIL_EXIT_USAGE;

	r = sigil_config_load(path, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil hsm enroll: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	n = sigil_config_hsm_count(cfg);
	if (n == 0) {
		fprintf(stderr, "sigil hsm enroll: %s configures no HSMs\n",
		        path);
		goto out;
	}
	hsms = calloc(n, sizeof(*hsms));
	res = calloc(n, sizeof(*res));
	if (hsms == NULL || res == NULL) {
		fprintf(stderr, "sigil hsm enroll: out of memory\n");
		ret = SIGIL_EXIT_HSM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const sigil_config_hsm_t *h = sigil_config_hsm(cfg, i);

		r = cmd_hsm_open(h, &hsms[i], &herr);
		if (r != SIGIL_EOK) {
			fprintf(stderr, "sigil hsm enroll: %s: %s\n", h->name,
			        herr.message);
			ret = exit_of(r);
			goto out;
		}
	}
	if (check) {
		ret = enroll_check(hsms, n);
		goto out;
	}
	r = sigil_hsm_enroll(hsms, n, res, &herr);
	if (r != SIGIL_EOK) {
		bool left = false;

		for (size_t i = 0; i < n; i++) {
			left |= res[i].state == SIGIL_HSM_KEK_LEFT;
		}
		fprintf(stderr, "sigil hsm enroll: %s\nsigil hsm enroll: %s\n",
		        herr.message,
		        left ? "failed; a KEK made by this run is left (see "
		               "above)" :
		               "failed; no KEK made by this run is left");
		ret = exit_of(r);
		goto out;
	}
	printf("%-16s %-12s %-8s %s\n", "HSM", "SITE", "KCV", "KEK");
	for (size_t i = 0; i < n; i++) {
		printf("%-16s %-12s %02x%02x%02x   %s\n",
		       sigil_hsm_name(hsms[i]), sigil_hsm_site(hsms[i]),
		       res[i].kcv[0], res[i].kcv[1], res[i].kcv[2],
		       state_name(res[i].state));
		if (res[i].state != SIGIL_HSM_KEK_PRESENT) {
			already = false;
		}
	}
	printf(already ? "already enrolled: every HSM holds the same KEK\n" :
	                 "enrolled: every HSM holds the same KEK\n");
	ret = fflush(stdout) == 0 ? SIGIL_EXIT_OK : SIGIL_EXIT_HSM;
out:
	for (size_t i = 0; hsms != NULL && i < n; i++) {
		sigil_hsm_close(hsms[i]);
	}
	free(hsms);
	free(res);
	sigil_config_free(cfg);
	return ret;
}

/* ---------------------------------------------------------------------
 * sigil hsm list: the state of every configured HSM and key store.
 * --------------------------------------------------------------------- */

/* What list found out about one HSM. */
typedef struct {
	const sigil_config_hsm_t *conf;
	sigil_hsm_t *hsm;
	sigil_hsm_token_t token;
	bool have_token; /* token holds information read from the token */
	bool reachable;  /* token found and a session opened */
	bool logged_in;
	int kek; /* KEK_* below */
	uint8_t kcv[3];
	size_t keys; /* sigil keys with a present copy on it */
	char health[600];
} hsm_row_t;

enum { KEK_UNKNOWN = 0, KEK_PRESENT, KEK_MISSING, KEK_SEVERAL };

/* Copies the value of attribute name ("token", "serial") of the path of
 * a PKCS#11 URI into out, percent-decoded; false when it has none or it
 * does not fit. */
static bool uri_attr(const char *uri, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);
	const char *p = strncmp(uri, "pkcs11:", 7) == 0 ? uri + 7 : uri;

	while (*p != '\0' && *p != '?') {
		size_t seg = strcspn(p, ";?");

		if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;

			for (const char *v = p + nl + 1; v < p + seg; v++) {
				unsigned x;

				if (o + 1 >= len) {
					return false;
				}
				if (*v == '%' && v + 2 < p + seg &&
				    isxdigit((unsigned char)v[1]) &&
				    isxdigit((unsigned char)v[2]) &&
				    sscanf(v + 1, "%2x", &x) == 1) {
					out[o++] = (char)x;
					v += 2;
				} else {
					out[o++] = *v;
				}
			}
			out[o] = '\0';
			return true;
		}
		p += seg;
		if (*p == ';') {
			p++;
		}
	}
	return false;
}

/* Token information of an HSM that could not be opened (login refused),
 * from the module's token list: only when exactly one token matches the
 * label and serial of its URI. */
static bool token_lookup(const sigil_config_hsm_t *h, sigil_hsm_token_t *out)
{
	sigil_hsm_token_t *tokens = NULL;
	sigil_hsm_error_t herr;
	char label[33], serial[17];
	size_t count = 0, found = 0;
	bool want_serial;

	if (!uri_attr(h->uri, "token", label, sizeof(label))) {
		return false;
	}
	want_serial = uri_attr(h->uri, "serial", serial, sizeof(serial));
	if (sigil_hsm_list_tokens(h->module, &tokens, &count, &herr) !=
	    SIGIL_EOK) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tokens[i].label, label) == 0 &&
		    (!want_serial || strcmp(tokens[i].serial, serial) == 0)) {
			*out = tokens[i];
			found++;
		}
	}
	free(tokens);
	return found == 1;
}

static void list_open(hsm_row_t *row)
{
	const sigil_config_hsm_t *h = row->conf;
	sigil_hsm_error_t herr;
	bool present = false;
	int r = cmd_hsm_open(h, &row->hsm, &herr);

	if (r != SIGIL_EOK) {
		const char *what = "error";

		if (r == SIGIL_EAUTH) {
			what = "login refused";
			row->reachable = true;
			row->have_token = token_lookup(h, &row->token);
		} else if (r == SIGIL_EUNREACHABLE || r == SIGIL_ENOTFOUND) {
			what = "unreachable";
		}
		snprintf(row->health, sizeof(row->health), "%s: %s", what,
		         herr.message);
		return;
	}
	row->reachable = true;
	r = sigil_hsm_token_info(row->hsm, &row->token, &herr);
	if (r != SIGIL_EOK) {
		row->reachable = r != SIGIL_EUNREACHABLE;
		snprintf(row->health, sizeof(row->health), "%s: %s",
		         r == SIGIL_EUNREACHABLE ? "unreachable" : "error",
		         herr.message);
		return;
	}
	row->have_token = true;
	row->logged_in = row->token.logged_in;
	if (!row->logged_in) {
		snprintf(row->health, sizeof(row->health), "not logged in");
		return;
	}
	r = sigil_hsm_kek_check(row->hsm, row->kcv, &present, &herr);
	if (r == SIGIL_EOK) {
		row->kek = present ? KEK_PRESENT : KEK_MISSING;
	} else if (r == SIGIL_EAMBIGUOUS) {
		row->kek = KEK_SEVERAL;
		snprintf(row->health, sizeof(row->health), "several KEKs: %s",
		         herr.message);
	} else {
		snprintf(row->health, sizeof(row->health), "%s: %s",
		         r == SIGIL_EUNREACHABLE ? "unreachable" : "error",
		         herr.message);
	}
}

/* Counts, per HSM, the keys of the database with a present copy on it.
 * A database that does not exist yet is not created: *exists is false and
 * every count 0.  SIGIL_EOK or the key database error (msg filled). */
static int list_count_keys(const char *path, hsm_row_t *rows, size_t n,
                           bool *exists, char *msg, size_t len)
{
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t kerr;
	sigil_keydb_key_t *keys = NULL;
	size_t nkeys = 0;
	struct stat st;
	int r;

	*exists = stat(path, &st) == 0;
	if (!*exists) {
		return SIGIL_EOK;
	}
	r = sigil_keydb_open(path, &db, &kerr);
	if (r == SIGIL_EOK) {
		r = sigil_keydb_keys(db, NULL, &keys, &nkeys, &kerr);
	}
	for (size_t k = 0; r == SIGIL_EOK && k < nkeys; k++) {
		sigil_keydb_copy_t *copies = NULL;
		size_t nc = 0;

		r = sigil_keydb_copies(db, keys[k].id, &copies, &nc, &kerr);
		for (size_t c = 0; r == SIGIL_EOK && c < nc; c++) {
			for (size_t i = 0; i < n; i++) {
				if (copies[c].present &&
				    strcmp(copies[c].hsm, rows[i].conf->name) ==
				            0) {
					rows[i].keys++;
				}
			}
		}
		sigil_keydb_copies_free(copies, nc);
	}
	if (r != SIGIL_EOK) {
		snprintf(msg, len, "%s", kerr.message);
	}
	sigil_keydb_keys_free(keys, nkeys);
	sigil_keydb_close(db);
	return r;
}

/* Health of the HSMs whose checks passed: enrolled with the same KEK as
 * every other HSM that holds one. */
static void list_health(hsm_row_t *rows, size_t n)
{
	bool differ = false;
	const uint8_t *first = NULL;

	for (size_t i = 0; i < n; i++) {
		if (rows[i].kek != KEK_PRESENT) {
			continue;
		}
		if (first == NULL) {
			first = rows[i].kcv;
		} else if (memcmp(first, rows[i].kcv, 3) != 0) {
			differ = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (rows[i].health[0] != '\0') {
			continue;
		}
		if (rows[i].kek == KEK_MISSING) {
			snprintf(rows[i].health, sizeof(rows[i].health),
			         "not enrolled");
		} else if (differ) {
			snprintf(rows[i].health, sizeof(rows[i].health),
			         "KEK differs");
		} else {
			snprintf(rows[i].health, sizeof(rows[i].health), "ok");
		}
	}
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void kek_str(const hsm_row_t *row, char *out, size_t len)
{
	switch (row->kek) {
	case KEK_PRESENT:
		snprintf(out, len, "%02x%02x%02x", row->kcv[0], row->kcv[1],
		         row->kcv[2]);
		return;
	case KEK_MISSING:
		snprintf(out, len, "missing");
		return;
	case KEK_SEVERAL:
		snprintf(out, len, "several");
		return;
	}
	snprintf(out, len, "unknown");
}

/* "ok", or the PIN flags set: "count low, final try, locked". */
static const char *pin_str(const sigil_hsm_token_t *t, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s", t->pin_count_low ? "count low" : "",
	         t->pin_count_low && (t->pin_final_try || t->pin_locked) ?
	                 ", " :
	                 "",
	         t->pin_final_try ? "final try" : "",
	         t->pin_final_try && t->pin_locked ? ", " : "",
	         t->pin_locked ? "locked" : "");
	if (out[0] == '\0') {
		snprintf(out, len, "ok");
	}
	return out;
}

static void list_text(const hsm_row_t *rows, size_t n,
                      const sigil_config_t *cfg, bool db_exists, bool db_ok)
{
	for (size_t i = 0; i < n; i++) {
		const hsm_row_t *r = &rows[i];
		const sigil_hsm_token_t *t = &r->token;
		char kek[16], pin[40];

		kek_str(r, kek, sizeof(kek));
		printf("%s\n", r->conf->name);
		printf("  site:          %s\n", r->conf->site);
		printf("  reachable:     %s\n", yes_no(r->reachable));
		printf("  logged in:     %s\n", yes_no(r->logged_in));
		if (r->have_token) {
			printf("  token:         %s\n", t->label);
			printf("  serial:        %s\n", t->serial);
			printf("  manufacturer:  %s\n", t->manufacturer);
			printf("  model:         %s\n", t->model);
			printf("  firmware:      %s\n", t->firmware);
			printf("  PIN:           %s\n",
			       pin_str(t, pin, sizeof(pin)));
		} else {
			printf("  token:         -\n");
		}
		printf("  KEK:           %s\n", kek);
		if (db_ok) {
			printf("  keys:          %zu\n", r->keys);
		} else {
			printf("  keys:          -\n");
		}
		printf("  health:        %s\n", r->health);
	}
	for (size_t i = 0; i < sigil_config_keystore_count(cfg); i++) {
		const sigil_config_keystore_t *k =
			sigil_config_keystore(cfg, i);
		struct stat st;

		printf("%s (key store)\n", k->name);
		printf("  directory:     %s\n", k->directory);
		printf("  exists:        %s\n",
		       yes_no(stat(k->directory, &st) == 0 &&
		              S_ISDIR(st.st_mode)));
	}
	printf("database: %s%s\n", sigil_config_database(cfg),
	       db_exists ? "" : " (no database yet)");
}

static void json_field(const char *name, const char *value, bool known)
{
	printf(",\"%s\":", name);
	if (known) {
		cmd_json_str(stdout, value);
	} else {
		printf("null");
	}
}

static void json_bool(const char *name, bool value, bool known)
{
	printf(",\"%s\":%s", name, !known ? "null" : value ? "true" : "false");
}

static void list_json(const hsm_row_t *rows, size_t n,
                      const sigil_config_t *cfg, bool db_ok)
{
	const char *sep = "";

	printf("[");
	for (size_t i = 0; i < n; i++) {
		const hsm_row_t *r = &rows[i];
		const sigil_hsm_token_t *t = &r->token;
		bool k = r->have_token;
		char kek[16];

		kek_str(r, kek, sizeof(kek));
		printf("%s\n{\"type\":\"hsm\",\"name\":", sep);
		cmd_json_str(stdout, r->conf->name);
		json_field("site", r->conf->site, true);
		json_bool("reachable", r->reachable, true);
		json_bool("logged_in", r->logged_in, true);
		json_field("label", t->label, k);
		json_field("serial", t->serial, k);
		json_field("manufacturer", t->manufacturer, k);
		json_field("model", t->model, k);
		json_field("firmware", t->firmware, k);
		json_bool("pin_count_low", t->pin_count_low, k);
		json_bool("pin_final_try", t->pin_final_try, k);
		json_bool("pin_locked", t->pin_locked, k);
		json_field("kek", r->kek == KEK_PRESENT ? "present" : kek,
		           r->kek != KEK_UNKNOWN);
		json_field("kcv", kek, r->kek == KEK_PRESENT);
		if (db_ok) {
			printf(",\"keys\":%zu", r->keys);
		} else {
			printf(",\"keys\":null");
		}
		json_bool("healthy", strcmp(r->health, "ok") == 0, true);
		json_field("health", r->health, true);
		printf("}");
		sep = ",";
	}
	for (size_t i = 0; i < sigil_config_keystore_count(cfg); i++) {
		const sigil_config_keystore_t *ks =
			sigil_config_keystore(cfg, i);
		struct stat st;

		printf("%s\n{\"type\":\"keystore\",\"name\":", sep);
		cmd_json_str(stdout, ks->name);
		json_field("directory", ks->directory, true);
		json_bool("exists",
		          stat(ks->directory, &st) == 0 && S_ISDIR(st.st_mode),
		          true);
		printf("}");
		sep = ",";
	}
	printf("\n]\n");
}

static int list_run(const char *path, bool json)
{
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	hsm_row_t *rows = NULL;
	char msg[1600];
	size_t n = 0;
	bool db_exists = false, healthy = true;
	int r, ret = SIGIL_EXIT_USAGE;

	r = sigil_config_load(path, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil hsm list: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	n = sigil_config_hsm_count(cfg);
	rows = calloc(n + 1, sizeof(*rows));
	if (rows == NULL) {
		fprintf(stderr, "sigil hsm list: out of memory\n");
		ret = SIGIL_EXIT_HSM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rows[i].conf = sigil_config_hsm(cfg, i);
		list_open(&rows[i]);
	}
	list_health(rows, n);
	r = list_count_keys(sigil_config_database(cfg), rows, n, &db_exists,
	                    msg, sizeof(msg));
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil hsm list: %s\n", msg);
	}
	if (json) {
		list_json(rows, n, cfg, r == SIGIL_EOK);
	} else {
		list_text(rows, n, cfg, db_exists, r == SIGIL_EOK);
	}
	for (size_t i = 0; i < n; i++) {
		healthy &= strcmp(rows[i].health, "ok") == 0;
	}
	ret = r != SIGIL_EOK      ? SIGIL_EXIT_HSM :
	      !healthy            ? SIGIL_EXIT_FOUND :
	      fflush(stdout) == 0 ? SIGIL_EXIT_OK :
	                            SIGIL_EXIT_HSM;
out:
	for (size_t i = 0; rows != NULL && i < n; i++) {
		sigil_hsm_close(rows[i].hsm);
	}
	free(rows);
	sigil_config_free(cfg);
	return ret;
}

enum { OPT_CHECK = 256, OPT_JSON };

int cmd_hsm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, OPT_CHECK},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = SIGIL_CONFIG_DEFAULT_PATH;
	const char *sub;
	bool check = false, json = false;
	int c;

	if (argc < 2) {
		cmd_hsm_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_hsm_usage(stdout);
		return SIGIL_EXIT_OK;
	}
	if (strcmp(argv[1], "enroll") != 0 && strcmp(argv[1], "list") != 0) {
		fprintf(stderr, "sigil hsm: unknown subcommand '%s'\n",
		        argv[1]);
		cmd_hsm_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			if (strcmp(sub, "enroll") != 0) {
				fprintf(stderr,
				        "sigil hsm %s: --check is for "
				        "enroll\n",
				        sub);
				return SIGIL_EXIT_USAGE;
			}
			check = true;
			break;
		case OPT_JSON:
			if (strcmp(sub, "list") != 0) {
				fprintf(stderr,
				        "sigil hsm %s: --json is for "
				        "list\n",
				        sub);
				return SIGIL_EXIT_USAGE;
			}
			json = true;
			break;
		case 'h':
			cmd_hsm_usage(stdout);
			return SIGIL_EXIT_OK;
		default:
			cmd_hsm_usage(stderr);
			return SIGIL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sigil hsm %s: unexpected argument '%s'\n", sub,
		        argv[optind]);
		return SIGIL_EXIT_USAGE;
	}
	if (strcmp(sub, "list") == 0) {
		return list_run(config, json);
	}
	return enroll_run(config, check);
}
