/* Configuration file: the documented examples, relative paths, and every
 * class of error with its file, line and key path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/tap.h"
#include "util/error.h"

static char tmpdir[64];
static char conf_path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		abort();
	}
	fputs(text, f);
	fclose(f);
}

/* Writes text to DIR/sigil.conf and loads it. */
static int load_text(const char *text, sigil_config_t **cfg,
                     sigil_config_error_t *err)
{
	write_file(conf_path, text);
	return sigil_config_load(conf_path, cfg, err);
}

/* Expects text to fail with code at line (and column when col > 0), the
 * message starting with want. */
static void check_error(const char *what, const char *text, int code,
                        unsigned long line, unsigned long col, const char *want)
{
	sigil_config_t *cfg = (sigil_config_t *)&cfg; /* must become NULL */
	sigil_config_error_t err;
	int ret = load_text(text, &cfg, &err);

	is_int(ret, code, "%s: fails with %s", what, sigil_strerror(code));
	ok(cfg == NULL, "%s: no configuration returned", what);
	is_int(err.line, line, "%s: line %lu", what, line);
	if (col > 0) {
		is_int(err.column, col, "%s: column %lu", what, col);
	}
	if (!ok(strncmp(err.message, want, strlen(want)) == 0,
	        "%s: message names the key", what)) {
		diag("got      '%s'", err.message);
		diag("expected '%s...'", want);
	}
	is_str(err.file, conf_path, "%s: error names the file", what);
	if (ret == SIGIL_EOK) {
		sigil_config_free(cfg);
	}
}

static char *src_path(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("SIGIL_SRCDIR");
	snprintf(buf, sizeof(buf), "%s/%s", dir && *dir ? dir : ".", rel);
	return buf;
}

static void test_single_soft(void)
{
	sigil_config_t *cfg;
	sigil_config_error_t err;
	const char *const *names;
	size_t n;
	int ret = sigil_config_load(src_path("docs/examples/single-soft.conf"),
	                            &cfg, &err);

	is_int(ret, SIGIL_EOK, "single-soft.conf loads");
	if (ret != SIGIL_EOK) {
		char buf[2048];
		diag("%s", sigil_config_error_str(buf, sizeof(buf), &err));
		return;
	}
	is_str(sigil_config_database(cfg), "/var/lib/sigil/keys.db",
	       "single soft: database");
	is_int(sigil_config_hsm_count(cfg), 0, "single soft: no HSM");
	is_int(sigil_config_keystore_count(cfg), 1, "single soft: a key store");
	const sigil_config_keystore_t *ks = sigil_config_keystore(cfg, 0);
	is_str(ks->name, "soft", "single soft: key store name");
	is_str(ks->directory, "/var/lib/sigil/keys",
	       "single soft: key store directory");
	ok(sigil_config_keystore_find(cfg, "soft") == ks,
	   "single soft: key store found by name");
	ok(sigil_config_keystore(cfg, 1) == NULL, "single soft: index checked");

	is_int(sigil_config_zone_count(cfg), 1, "single soft: one zone");
	const sigil_config_zone_t *z =
		sigil_config_zone_find(cfg, "Example.ORG");
	ok(z != NULL, "single soft: zone found, any case, no trailing dot");
	if (z != NULL) {
		is_str(z->name, "example.org.", "single soft: zone name");
		is_int(z->algorithm, 15, "single soft: ED25519");
		is_int(z->store_count, 1, "single soft: zone uses one store");
		is_str(z->stores[0], "soft", "single soft: the key store");
	}
	is_int(sigil_config_zone_stores(cfg, "other.test.", &names, &n),
	       SIGIL_EOK, "single soft: stores of an unlisted zone");
	ok(n == 1 && strcmp(names[0], "soft") == 0,
	   "single soft: an unlisted zone uses the key store");
	sigil_config_free(cfg);
}

static void test_three_hsms(void)
{
	sigil_config_t *cfg;
	sigil_config_error_t err;
	const char *const *names;
	size_t n;
	int ret = sigil_config_load(
		src_path("docs/examples/three-hsms-two-sites.conf"), &cfg,
		&err);

	is_int(ret, SIGIL_EOK, "three-hsms-two-sites.conf loads");
	if (ret != SIGIL_EOK) {
		char buf[2048];
		diag("%s", sigil_config_error_str(buf, sizeof(buf), &err));
		return;
	}
	is_int(sigil_config_hsm_count(cfg), 3, "three HSMs");
	is_int(sigil_config_keystore_count(cfg), 0, "no key store");
	const char *sites[] = {"dc1", "dc1", "dc2"};
	for (size_t i = 0; i < 3; i++) {
		const sigil_config_hsm_t *h = sigil_config_hsm(cfg, i);
		char name[8], uri[64];
		snprintf(name, sizeof(name), "hsm%zu", i + 1);
		is_str(h->name, name, "HSM %zu: name", i);
		is_str(h->site, sites[i], "HSM %zu: site", i);
		is_str(h->module, "/usr/lib/softhsm/libsofthsm2.so",
		       "HSM %zu: module", i);
		snprintf(uri, sizeof(uri),
		         "pkcs11:token=hsm%zu;serial=%zu123456789abcdef", i + 1,
		         i);
		is_str(h->uri, uri, "HSM %zu: token URI", i);
		ok(sigil_config_hsm_find(cfg, name) == h, "HSM %zu: found", i);
	}
	const sigil_config_hsm_t *h1 = sigil_config_hsm(cfg, 0);
	const sigil_config_hsm_t *h3 = sigil_config_hsm(cfg, 2);
	is_str(h1->pin_file, "/etc/sigil/pin-hsm1", "hsm1: PIN file");
	ok(h1->pin_env == NULL, "hsm1: no PIN variable");
	is_str(h3->pin_env, "SIGIL_PIN_HSM3", "hsm3: PIN variable");
	ok(h3->pin_file == NULL, "hsm3: no PIN file");
	ok(sigil_config_hsm_find(cfg, "hsm4") == NULL, "no hsm4");
	ok(sigil_config_hsm_find(cfg, "HSM1") == NULL,
	   "HSM lookup is exact, like the references in zones");

	const sigil_config_zone_t *z = sigil_config_zone_find(cfg, "example.");
	ok(z != NULL && z->store_count == 3 && z->algorithm == 13,
	   "example.: three HSMs, ECDSAP256SHA256");
	z = sigil_config_zone_find(cfg, "example.net");
	ok(z != NULL && z->store_count == 2 && z->algorithm == 8,
	   "example.net.: two HSMs, algorithm given as a number");
	if (z != NULL && z->store_count == 2) {
		ok(strcmp(z->stores[0], "hsm1") == 0 &&
		           strcmp(z->stores[1], "hsm3") == 0,
		   "example.net.: one HSM in each site");
	}
	is_int(sigil_config_zone_stores(cfg, "example.net.", &names, &n),
	       SIGIL_EOK, "stores of a listed zone");
	ok(n == 2 && strcmp(names[1], "hsm3") == 0, "its own list");
	ok(sigil_config_zone_find(cfg, "sub.example.") == NULL,
	   "a subdomain is not the zone");
	is_int(sigil_config_zone_stores(cfg, "sub.example.", &names, &n),
	       SIGIL_EOK, "stores of an unlisted zone");
	ok(n == 3 && strcmp(names[0], "hsm1") == 0 &&
	           strcmp(names[1], "hsm2") == 0 &&
	           strcmp(names[2], "hsm3") == 0,
	   "an unlisted zone uses every HSM, in file order");
	is_int(sigil_config_zone_stores(cfg, "a..b", &names, &n), SIGIL_EINVAL,
	       "stores of a bad name: SIGIL_EINVAL");
	ok(sigil_config_zone_find(cfg, "a..b") == NULL, "find a bad name");

	const sigil_config_policy_t *pol;
	is_int(sigil_config_zone_policy(cfg, "example.", &pol), SIGIL_EOK,
	       "policy of example.");
	ok(pol->nsec3 && pol->nsec3_opt_out && pol->zonemd &&
	           pol->validity == 21 * 86400 && pol->jitter == 3 * 86400 &&
	           pol->serial == SIGIL_CONFIG_SERIAL_INCREMENT,
	   "example.: NSEC3 opt-out, 21d, 3d, ZONEMD, serial increment");
	is_int(sigil_config_zone_policy(cfg, "example.net.", &pol), SIGIL_EOK,
	       "policy of example.net.");
	ok(!pol->nsec3 && !pol->zonemd &&
	           pol->serial == SIGIL_CONFIG_SERIAL_UNIXTIME,
	   "example.net.: NSEC, serial unixtime");
	sigil_config_free(cfg);
}

static void test_relative_paths(void)
{
	char sub[128], path[160], cwd[4096], here[4096], want[4400];
	sigil_config_t *cfg;
	sigil_config_error_t err;
	const char *text = "database: keys.db\n"
			   "hsms:\n"
			   "  - name: hsm1\n"
			   "    site: dc1\n"
			   "    module: lib/./mod.so\n"
			   "    token: \"pkcs11:token=hsm1\"\n"
			   "    pin-file: ./secret//pin\n"
			   "  - name: hsm2\n"
			   "    site: dc2\n"
			   "    module: libsofthsm2.so\n"
			   "    token: PKCS11:token=hsm2\n"
			   "    pin-env: PIN_2\n"
			   "keystores:\n"
			   "  - name: soft\n"
			   "    directory: ../keys/\n"
			   "  - name: abs\n"
			   "    directory: /srv/keys\n";

	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	snprintf(path, sizeof(path), "%s/sigil.conf", sub);
	mkdir(sub, 0700);
	write_file(path, text);
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) != 0 ||
	    getcwd(here, sizeof(here)) == NULL) {
		abort();
	}
	/* loaded from a relative path, from another directory */
	int ret = sigil_config_load("sub/sigil.conf", &cfg, &err);
	is_int(ret, SIGIL_EOK, "relative paths: loads from sub/sigil.conf");
	if (ret == SIGIL_EOK) {
		const sigil_config_hsm_t *h1 = sigil_config_hsm(cfg, 0);
		const sigil_config_hsm_t *h2 = sigil_config_hsm(cfg, 1);
		is_str(sigil_config_path(cfg), "sub/sigil.conf",
		       "the path as given");
		snprintf(want, sizeof(want), "%s/sub/keys.db", here);
		is_str(sigil_config_database(cfg), want,
		       "database next to the file, made absolute");
		snprintf(want, sizeof(want), "%s/sub/lib/mod.so", here);
		is_str(h1->module, want, "a module path with '/' is resolved");
		snprintf(want, sizeof(want), "%s/sub/secret/pin", here);
		is_str(h1->pin_file, want, "pin-file resolved and cleaned");
		is_str(h2->module, "libsofthsm2.so",
		       "a bare module name is left to dlopen");
		is_str(h2->uri, "PKCS11:token=hsm2",
		       "the URI scheme is case-insensitive");
		snprintf(want, sizeof(want), "%s/sub/../keys", here);
		is_str(sigil_config_keystore(cfg, 0)->directory, want,
		       "'..' kept (symbolic links), trailing '/' dropped");
		is_str(sigil_config_keystore(cfg, 1)->directory, "/srv/keys",
		       "absolute path kept");
		sigil_config_free(cfg);
	}
	/* a bare file name: the file is in the working directory */
	if (chdir(sub) != 0) {
		abort();
	}
	ret = sigil_config_load("sigil.conf", &cfg, &err);
	is_int(ret, SIGIL_EOK, "relative paths: loads from sigil.conf");
	if (ret == SIGIL_EOK) {
		snprintf(want, sizeof(want), "%s/sub/keys.db", here);
		is_str(sigil_config_database(cfg), want,
		       "database in the working directory");
		sigil_config_free(cfg);
	}
	if (chdir(cwd) != 0) {
		abort();
	}
	/* the same file through its absolute path, from elsewhere */
	ret = sigil_config_load(path, &cfg, NULL);
	is_int(ret, SIGIL_EOK, "relative paths: loads from the absolute path");
	if (ret == SIGIL_EOK) {
		snprintf(want, sizeof(want), "%s/keys.db", sub);
		is_str(sigil_config_database(cfg), want,
		       "same database from any working directory");
		sigil_config_free(cfg);
	}
	unlink(path);
	rmdir(sub);
}

/* Lines 1-7 of most error cases: a database and one HSM. */
#define HEAD                                                                   \
	"database: keys.db\n"                                                  \
	"hsms:\n"                                                              \
	"  - name: hsm1\n"                                                     \
	"    site: dc1\n"                                                      \
	"    module: /usr/lib/softhsm/libsofthsm2.so\n"                        \
	"    token: \"pkcs11:token=hsm1\"\n"                                   \
	"    pin-file: pin\n"

/* The rest of an HSM after its name and site. */
#define REST                                                                   \
	"    module: m.so\n"                                                   \
	"    token: \"pkcs11:token=x\"\n"                                      \
	"    pin-env: PIN\n"

#define HSM(n, site)                                                           \
	"  - name: hsm" #n "\n"                                                \
	"    site: " site "\n"                                                 \
	"    module: /usr/lib/softhsm/libsofthsm2.so\n"                        \
	"    token: \"pkcs11:token=hsm" #n "\"\n"                              \
	"    pin-env: SIGIL_PIN_HSM" #n "\n"

static void test_errors(void)
{
	/* the example of the documentation, to the column */
	check_error(
		"missing key",
		"# sigil test configuration\n"
		"database: keys.db\n"
		"hsms:\n" HSM(1, "dc1") HSM(
			2,
			"dc1") "  - name: hsm3\n"
			       "    module: /usr/lib/softhsm/libsofthsm2.so\n"
			       "    token: \"pkcs11:token=hsm3\"\n"
			       "    pin-env: PIN\n",
		SIGIL_ECONFIG, 14, 5, "hsms[2].site: missing");
	sigil_config_error_t e = {.file = "sigil.conf",
	                          .line = 12,
	                          .column = 5,
	                          .message = "hsms[2].site: missing"};
	char buf[2048];
	is_str(sigil_config_error_str(buf, sizeof(buf), &e),
	       "sigil.conf:12:5: hsms[2].site: missing",
	       "error text: file:line:column: key: problem");
	e.line = 0;
	is_str(sigil_config_error_str(buf, sizeof(buf), &e),
	       "sigil.conf: hsms[2].site: missing",
	       "error text without a position");

	check_error("missing database", "hsms:\n" HSM(1, "dc1"), SIGIL_ECONFIG,
	            1, 1, "database: missing");
	check_error("unknown key", HEAD "    sitee: dc2\n", SIGIL_ECONFIG, 8, 5,
	            "hsms[0].sitee: unknown key (did you mean 'site'?)");
	check_error("unknown top-level key", "databse: x\n", SIGIL_ECONFIG, 1,
	            1, "databse: unknown key (did you mean 'database'?)");
	check_error("unknown key, nothing close", HEAD "colour: blue\n",
	            SIGIL_ECONFIG, 8, 1, "colour: unknown key");
	check_error("pin_file spelled with _", HEAD "    pin_file: x\n",
	            SIGIL_ECONFIG, 8, 5,
	            "hsms[0].pin_file: unknown key (did you mean 'pin-file'?)");
	check_error("duplicate key", HEAD "    site: dc2\n", SIGIL_ECONFIG, 8,
	            5, "hsms[0].site: duplicate key (first given at line 4)");
	check_error("duplicate top-level key", HEAD "database: other.db\n",
	            SIGIL_ECONFIG, 8, 1,
	            "database: duplicate key (first given at line 1)");
	check_error(
		"duplicate key in a flow mapping",
		"database: x\nkeystores: [{name: a, directory: d, name: b}]\n",
		SIGIL_ECONFIG, 2, 37, "keystores[0].name: duplicate key");
	check_error("pin-file and pin-env", HEAD "    pin-env: SIGIL_PIN\n",
	            SIGIL_ECONFIG, 8, 14,
	            "hsms[0].pin-env: pin-file is given too: give exactly one");
	check_error("no PIN source",
	            "database: x\n"
	            "hsms:\n"
	            "  - name: hsm1\n"
	            "    site: dc1\n"
	            "    module: m.so\n"
	            "    token: pkcs11:token=a\n",
	            SIGIL_ECONFIG, 3, 5,
	            "hsms[0]: missing pin-file or pin-env");
	check_error("literal PIN", HEAD "    pin: 1234\n", SIGIL_ECONFIG, 8, 5,
	            "hsms[0].pin: a PIN must not be written in the "
	            "configuration file");
	check_error(
		"duplicate HSM name", HEAD HSM(2, "dc2") HSM(1, "dc2"),
		SIGIL_ECONFIG, 13, 11,
		"hsms[2].name: duplicate name 'hsm1' (HSM 'hsm1' at line 3)");
	check_error("HSM names differing in case",
	            HEAD "  - name: HSM1\n    site: dc2\n" REST, SIGIL_ECONFIG,
	            8, 11, "hsms[1].name: duplicate name 'HSM1'");
	check_error("key store named like an HSM",
	            HEAD "keystores:\n  - name: hsm1\n    directory: k\n",
	            SIGIL_ECONFIG, 9, 11,
	            "keystores[0].name: duplicate name 'hsm1' (HSM");
	check_error("bad HSM name",
	            HEAD "  - name: hsm 2\n    site: dc2\n" REST, SIGIL_ECONFIG,
	            8, 11, "hsms[1].name: 'hsm 2' is not a valid name");
	check_error("token not a PKCS#11 URI",
	            "database: x\nhsms:\n  - name: h\n    site: s\n"
	            "    module: m\n    token: token=h\n    pin-env: P\n",
	            SIGIL_ECONFIG, 6, 12,
	            "hsms[0].token: 'token=h' is not a PKCS#11 URI");
	check_error("pin-env, then pin-file",
	            HEAD HSM(2, "dc2") "    pin-file: x\n", SIGIL_ECONFIG, 13,
	            15, "hsms[1].pin-file: pin-env is given too");
	check_error("pin-env not a variable name",
	            "database: x\nhsms:\n  - name: h\n    site: s\n"
	            "    module: m\n    token: 'pkcs11:'\n    pin-env: 1PIN\n",
	            SIGIL_ECONFIG, 7, 14,
	            "hsms[0].pin-env: '1PIN' is not an environment variable");
	check_error("zone with an unknown HSM",
	            HEAD HSM(2, "dc2") "zones:\n"
	                               "  - name: example.\n"
	                               "    hsms: [hsm1, hsm9]\n",
	            SIGIL_ECONFIG, 15, 18,
	            "zones[0].hsms[1]: unknown HSM or key store 'hsm9' "
	            "(defined: hsm1, hsm2)");
	check_error("zone lists an HSM twice",
	            HEAD "zones:\n  - name: example.\n    hsms:\n"
	                 "      - hsm1\n      - hsm1\n",
	            SIGIL_ECONFIG, 12, 9,
	            "zones[0].hsms[1]: 'hsm1' is listed twice");
	check_error("zone with an empty list",
	            HEAD "zones:\n  - name: example.\n    hsms: []\n",
	            SIGIL_ECONFIG, 10, 11,
	            "zones[0].hsms: empty: list at least one");
	check_error("bad zone name",
	            HEAD "zones:\n  - name: example.\n  - name: exa..mple.\n",
	            SIGIL_ECONFIG, 10, 11,
	            "zones[1].name: 'exa..mple.' is not a valid zone name");
	check_error("zone name with a label over 63 octets",
	            HEAD "zones:\n  - name: "
	                 "a123456789012345678901234567890123456789012345678901"
	                 "234567890123.\n",
	            SIGIL_ECONFIG, 9, 11, "zones[0].name: 'a1234");
	check_error("wildcard zone name",
	            HEAD "zones:\n  - name: '*.example.'\n", SIGIL_ECONFIG, 9,
	            11, "zones[0].name: '*.example.' is not a valid zone name");
	check_error("zone name @", HEAD "zones:\n  - name: '@'\n",
	            SIGIL_ECONFIG, 9, 11,
	            "zones[0].name: '@' is not a valid zone name");
	check_error("control character in an algorithm",
	            HEAD
	            "zones:\n  - name: example.\n    algorithm: \"EC\\tDSA\"\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: contains a control character");
	check_error("zone listed twice",
	            HEAD "zones:\n  - name: example\n  - name: EXAMPLE.\n",
	            SIGIL_ECONFIG, 10, 11,
	            "zones[1].name: zone example. is listed twice (first at "
	            "line 9)");
	check_error("unknown algorithm",
	            HEAD "zones:\n  - name: example.\n    algorithm: ECDSA\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: 'ECDSA' is not an algorithm (a "
	            "mnemonic or a number from 0 to 255)");
	check_error("algorithm that must not sign",
	            HEAD "zones:\n  - name: example.\n    algorithm: RSASHA1\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: algorithm RSASHA1 (5) cannot be used "
	            "for signing; use one of RSASHA256 (8), RSASHA512 (10), "
	            "ECDSAP256SHA256 (13), ECDSAP384SHA384 (14), ED25519 (15), "
	            "ED448 (16)");
	check_error("unassigned algorithm number",
	            HEAD "zones:\n  - name: example.\n    algorithm: 200\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: algorithm unassigned (200) cannot");
	check_error("algorithm number out of range",
	            HEAD "zones:\n  - name: example.\n    algorithm: 256\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: '256' is not an algorithm");
	check_error("algorithm not an integer",
	            HEAD "zones:\n  - name: example.\n    algorithm: 13.5\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: '13.5' is not an algorithm");
	check_error("algorithm a list",
	            HEAD "zones:\n  - name: example.\n    algorithm: [13]\n",
	            SIGIL_ECONFIG, 10, 16,
	            "zones[0].algorithm: expected an algorithm mnemonic or "
	            "number, found a list");
	check_error("list for a string", "database: [a, b]\n", SIGIL_ECONFIG, 1,
	            11, "database: expected a string, found a list");
	check_error("mapping for a list", "database: x\nhsms:\n  name: hsm1\n",
	            SIGIL_ECONFIG, 3, 3,
	            "hsms: expected a list, found a mapping");
	check_error("string for a mapping", "database: x\nhsms: [hsm1]\n",
	            SIGIL_ECONFIG, 2, 8,
	            "hsms[0]: expected a mapping, found a string");
	check_error("no value", HEAD "  - name: hsm2\n    site:\n" REST,
	            SIGIL_ECONFIG, 9, 10,
	            "hsms[1].site: expected a string, found no value");
	check_error("empty string",
	            HEAD "  - name: hsm2\n    site: \"\"\n" REST, SIGIL_ECONFIG,
	            9, 11, "hsms[1].site: empty");
	check_error("control character",
	            HEAD "  - name: hsm2\n    site: \"dc\\n2\"\n" REST,
	            SIGIL_ECONFIG, 9, 11,
	            "hsms[1].site: contains a control character");
	check_error("key that is not a string", HEAD "[a]: b\n", SIGIL_ECONFIG,
	            8, 1, "a key must be a string, found a list");
	check_error("top level not a mapping", "- database: x\n", SIGIL_ECONFIG,
	            1, 1, "expected a mapping, found a list");
	check_error("no HSM and no key store",
	            "database: x\nhsms: []\nkeystores:\nzones:\n",
	            SIGIL_ECONFIG, 1, 1, "no HSM and no key store");
	check_error("YAML syntax error",
	            HEAD "  - name: hsm2\n   site: dc2\n    module: m\n",
	            SIGIL_ECONFIG, 9, 4, "YAML syntax error: ");
	check_error("unterminated flow list",
	            HEAD "zones:\n  - name: a.\n    hsms: [hsm1\n"
	                 "  - name: b.\n",
	            SIGIL_ECONFIG, 11, 0, "YAML syntax error: ");
	check_error("tab indentation", "database: x\n\thsms: []\n",
	            SIGIL_ECONFIG, 2, 1, "YAML syntax error: ");
	check_error("invalid UTF-8", HEAD "  - name: \xff\n", SIGIL_ECONFIG, 8,
	            11, "YAML syntax error: invalid leading UTF-8 octet");
	check_error("second document", HEAD "---\ndatabase: y\n", SIGIL_ECONFIG,
	            9, 1, "a second YAML document");
	check_error("empty file", "", SIGIL_ECONFIG, 0, 0, "empty");
	check_error("only comments", "# nothing yet\n\n", SIGIL_ECONFIG, 0, 0,
	            "empty");
	check_error("only a document marker", "---\n...\n", SIGIL_ECONFIG, 0, 0,
	            "empty");

	unlink(conf_path);
	sigil_config_t *cfg = (sigil_config_t *)&cfg;
	sigil_config_error_t err;
	is_int(sigil_config_load(conf_path, &cfg, &err), SIGIL_EIO,
	       "missing file: SIGIL_EIO");
	ok(cfg == NULL, "missing file: no configuration");
	is_str(err.file, conf_path, "missing file: named");
	is_str(err.message, "No such file or directory",
	       "missing file: the system's reason");
	is_int(err.line, 0, "missing file: no line");
	is_int(sigil_config_load(tmpdir, &cfg, &err), SIGIL_EIO,
	       "a directory: SIGIL_EIO");
}

/* What YAML allows and the schema accepts. */
static void test_accepted(void)
{
	sigil_config_t *cfg;
	sigil_config_error_t err;
	int ret = load_text(
		"%YAML 1.1\n"
		"---\n"
		"{database: \"/db\",\n"
		" keystores: [{name: ks_1, directory: /k}],\n"
		" hsms: [{name: h-1, site: '1', module: m, token: 'pkcs11:',\n"
		"         pin-env: P}, {name: h-2, site: 2, module: m,\n"
		"         token: 'pkcs11:', pin-file: /p}],\n"
		" zones: [{name: a., hsms: &pair [h-1, ks_1],\n"
		"          algorithm: ecdsap384sha384},\n"
		"         {name: b., hsms: *pair, algorithm: '16'},\n"
		"         {name: ., hsms: [h-2]}]}\n"
		"...\n",
		&cfg, &err);
	is_int(ret, SIGIL_EOK, "flow style, anchors, document markers");
	if (ret != SIGIL_EOK) {
		char buf[2048];
		diag("%s", sigil_config_error_str(buf, sizeof(buf), &err));
		return;
	}
	is_str(sigil_config_hsm(cfg, 1)->site, "2", "a number as a string");
	const sigil_config_zone_t *b = sigil_config_zone_find(cfg, "b.");
	ok(b != NULL && b->store_count == 2 && b->algorithm == 16 &&
	           strcmp(b->stores[1], "ks_1") == 0,
	   "zone list through an alias; quoted algorithm number");
	const sigil_config_zone_t *a = sigil_config_zone(cfg, 0);
	is_int(a->algorithm, 14, "mnemonic in lower case");
	ok(a->stores[0] == sigil_config_hsm(cfg, 0)->name,
	   "zone stores point at the definitions' names");
	const sigil_config_zone_t *root = sigil_config_zone_find(cfg, ".");
	ok(root != NULL && strcmp(root->name, ".") == 0 &&
	           root->store_count == 1,
	   "the root zone");
	sigil_config_free(cfg);

	ret = load_text("database: x\nkeystores:\n  - name: k\n"
	                "    directory: d\nzones:\n",
	                &cfg, &err);
	is_int(ret, SIGIL_EOK, "an empty zones key is no zone");
	if (ret == SIGIL_EOK) {
		is_int(sigil_config_zone_count(cfg), 0, "no zones");
		sigil_config_free(cfg);
	}
}

/* A zone entry of HEAD with the policy lines keys (each "    key: value\n"). */
#define ZONE(keys) HEAD "zones:\n  - name: example.\n" keys

/* Loads a configuration with ZONE(keys) and copies the zone's policy. */
static int load_policy(const char *text, sigil_config_policy_t *out)
{
	sigil_config_t *cfg;
	sigil_config_error_t err;
	const sigil_config_policy_t *pol;
	int ret = load_text(text, &cfg, &err);

	if (ret != SIGIL_EOK) {
		char buf[2048];
		diag("%s", sigil_config_error_str(buf, sizeof(buf), &err));
		return ret;
	}
	ret = sigil_config_zone_policy(cfg, "example.", &pol);
	if (ret == SIGIL_EOK) {
		*out = *pol;
	}
	sigil_config_free(cfg);
	return ret;
}

static void check_defaults(const char *what, const sigil_config_policy_t *p)
{
	ok(p->nsec3, "%s: denial nsec3", what);
	is_int(p->nsec3_iterations, 0, "%s: 0 iterations", what);
	is_int(p->nsec3_salt_len, 0, "%s: no salt", what);
	ok(!p->nsec3_opt_out, "%s: no opt-out", what);
	is_int(p->validity, 14 * 86400, "%s: validity 14d", what);
	is_int(p->jitter, 86400, "%s: jitter 1d", what);
	is_int(p->inception_offset, 3600, "%s: inception offset 1h", what);
	is_int(p->serial, SIGIL_CONFIG_SERIAL_INCREMENT, "%s: serial increment",
	       what);
	ok(!p->zonemd, "%s: no ZONEMD", what);
}

static void test_policy_values(void)
{
	sigil_config_policy_t p;
	sigil_config_t *cfg;
	sigil_config_error_t err;
	const sigil_config_policy_t *pol;

	sigil_config_policy_default(&p);
	check_defaults("sigil_config_policy_default", &p);

	is_int(load_policy(ZONE(""), &p), SIGIL_EOK, "zone without policy");
	check_defaults("zone without policy", &p);

	is_int(load_text(ZONE("    serial: keep\n"), &cfg, &err), SIGIL_EOK,
	       "one policy key");
	if (cfg != NULL) {
		is_int(sigil_config_zone_policy(cfg, "other.test", &pol),
		       SIGIL_EOK, "policy of an unlisted zone");
		check_defaults("unlisted zone", pol);
		is_int(sigil_config_zone_policy(cfg, "EXAMPLE", &pol),
		       SIGIL_EOK, "policy of a listed zone, any case");
		is_int(pol->serial, SIGIL_CONFIG_SERIAL_KEEP,
		       "listed zone: its own value");
		ok(pol == &sigil_config_zone_find(cfg, "example.")->policy,
		   "listed zone: the zone's policy");
		is_int(sigil_config_zone_policy(cfg, "a..b", &pol),
		       SIGIL_EINVAL, "policy of a bad name");
		sigil_config_free(cfg);
	}

	is_int(load_policy(ZONE("    denial: nsec3\n"
	                        "    nsec3-iterations: 5\n"
	                        "    nsec3-salt: AbCd01\n"
	                        "    nsec3-opt-out: true\n"
	                        "    signature-validity: 3w\n"
	                        "    signature-jitter: 36h\n"
	                        "    inception-offset: 90m\n"
	                        "    serial: unixtime\n"
	                        "    zonemd: true\n"),
	                   &p),
	       SIGIL_EOK, "every policy key");
	ok(p.nsec3, "every key: nsec3");
	is_int(p.nsec3_iterations, 5, "every key: iterations");
	static const uint8_t salt[3] = {0xab, 0xcd, 0x01};
	ok(p.nsec3_salt_len == 3 && memcmp(p.nsec3_salt, salt, 3) == 0,
	   "every key: salt, any case of hex digits");
	ok(p.nsec3_opt_out, "every key: opt-out");
	is_int(p.validity, 21 * 86400, "every key: 3w");
	is_int(p.jitter, 36 * 3600, "every key: 36h");
	is_int(p.inception_offset, 90 * 60, "every key: 90m");
	is_int(p.serial, SIGIL_CONFIG_SERIAL_UNIXTIME, "every key: unixtime");
	ok(p.zonemd, "every key: zonemd");

	is_int(load_policy(ZONE("    denial: NSEC\n"
	                        "    signature-validity: 3600\n"
	                        "    signature-jitter: 0\n"
	                        "    inception-offset: 0s\n"
	                        "    serial: dateserial\n"
	                        "    zonemd: False\n"),
	                   &p),
	       SIGIL_EOK, "NSEC, smallest validity");
	ok(!p.nsec3, "denial in upper case");
	is_int(p.validity, 3600, "validity in seconds, the minimum");
	is_int(p.jitter, 0, "no jitter");
	is_int(p.inception_offset, 0, "no inception offset");
	is_int(p.serial, SIGIL_CONFIG_SERIAL_DATESERIAL, "dateserial");
	ok(!p.zonemd, "False");

	is_int(load_policy(ZONE("    nsec3-salt: \"-\"\n"
	                        "    nsec3-iterations: 100\n"
	                        "    nsec3-opt-out: FALSE\n"
	                        "    signature-validity: 3650d\n"
	                        "    signature-jitter: 1w\n"
	                        "    serial: increment\n"),
	                   &p),
	       SIGIL_EOK, "largest values");
	is_int(p.nsec3_salt_len, 0, "salt -: none");
	is_int(p.nsec3_iterations, 100, "100 iterations");
	ok(!p.nsec3_opt_out, "FALSE");
	is_int(p.validity, 3650u * 86400u, "3650d");
	is_int(p.jitter, 7 * 86400, "1w");

	char text[1024];
	char hex[511];
	memset(hex, 'f', 510);
	hex[510] = '\0';
	snprintf(text, sizeof(text), ZONE("    nsec3-salt: %s\n"), hex);
	is_int(load_policy(text, &p), SIGIL_EOK, "salt of 255 bytes");
	ok(p.nsec3_salt_len == 255 && p.nsec3_salt[254] == 0xff,
	   "salt of 255 bytes kept");

	is_int(load_policy(ZONE("    serial: keep\n"), &p), SIGIL_EOK, "keep");
	is_int(p.serial, SIGIL_CONFIG_SERIAL_KEEP, "serial keep");
	is_int(load_policy(ZONE("    nsec3-opt-out: True\n"), &p), SIGIL_EOK,
	       "True");
	ok(p.nsec3_opt_out && p.nsec3 && p.validity == 14 * 86400,
	   "one key given, the others default");

	/* Flow style and a second zone with its own policy. */
	is_int(load_text(HEAD "zones:\n"
	                      "  - {name: a., denial: nsec, zonemd: true}\n"
	                      "  - {name: b., signature-validity: '7d'}\n",
	                 &cfg, &err),
	       SIGIL_EOK, "policies of two zones");
	if (cfg != NULL) {
		const sigil_config_policy_t *a, *b;
		sigil_config_zone_policy(cfg, "a.", &a);
		sigil_config_zone_policy(cfg, "b.", &b);
		ok(!a->nsec3 && a->zonemd && a->validity == 14 * 86400,
		   "first zone's policy");
		ok(b->nsec3 && !b->zonemd && b->validity == 7 * 86400,
		   "second zone's policy, a quoted duration");
		sigil_config_free(cfg);
	}
}

static void test_policy_errors(void)
{
	check_error("denial unknown", ZONE("    denial: nsec4\n"),
	            SIGIL_ECONFIG, 10, 13,
	            "zones[0].denial: 'nsec4' is not a denial of existence: "
	            "use nsec or nsec3");
	check_error("denial a list", ZONE("    denial: [nsec]\n"),
	            SIGIL_ECONFIG, 10, 13,
	            "zones[0].denial: expected nsec or nsec3, found a list");
	check_error("denial without value", ZONE("    denial:\n"),
	            SIGIL_ECONFIG, 10, 12,
	            "zones[0].denial: expected nsec or nsec3, found no value");
	check_error("denial empty", ZONE("    denial: ''\n"), SIGIL_ECONFIG, 10,
	            13, "zones[0].denial: empty");

	check_error("iterations over 100", ZONE("    nsec3-iterations: 101\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].nsec3-iterations: 101 is more than 100: RFC "
	            "9276 asks for 0 (validating resolvers may treat a zone "
	            "with many iterations as insecure)");
	check_error("iterations huge",
	            ZONE("    nsec3-iterations: 99999999999999999999999\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].nsec3-iterations: 99999999999999999999999 is "
	            "more than 100");
	check_error("iterations negative", ZONE("    nsec3-iterations: -1\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].nsec3-iterations: '-1' is not a number from 0 "
	            "to 100");
	check_error("iterations hex", ZONE("    nsec3-iterations: 0x10\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].nsec3-iterations: '0x10' is not a number from 0 "
	            "to 100");
	check_error("iterations a mapping",
	            ZONE("    nsec3-iterations: {a: 1}\n"), SIGIL_ECONFIG, 10,
	            23,
	            "zones[0].nsec3-iterations: expected a number, found a "
	            "mapping");

	check_error("salt not hex", ZONE("    nsec3-salt: xyz\n"),
	            SIGIL_ECONFIG, 10, 17,
	            "zones[0].nsec3-salt: 'xyz' is not a salt: use - (no salt) "
	            "or hexadecimal digits");
	check_error("salt odd", ZONE("    nsec3-salt: abc\n"), SIGIL_ECONFIG,
	            10, 17,
	            "zones[0].nsec3-salt: 'abc' is not a salt: it needs an "
	            "even number of hexadecimal digits (or - for no salt)");
	check_error("salt empty", ZONE("    nsec3-salt: \"\"\n"), SIGIL_ECONFIG,
	            10, 17, "zones[0].nsec3-salt: empty");
	char text[1024];
	char hex[513];
	memset(hex, 'a', 512);
	hex[512] = '\0';
	snprintf(text, sizeof(text), ZONE("    nsec3-salt: %s\n"), hex);
	check_error("salt too long", text, SIGIL_ECONFIG, 10, 17,
	            "zones[0].nsec3-salt: a salt of 256 bytes is longer than "
	            "the 255 NSEC3 allows");

	check_error("opt-out yes", ZONE("    nsec3-opt-out: yes\n"),
	            SIGIL_ECONFIG, 10, 20,
	            "zones[0].nsec3-opt-out: 'yes' is not true or false");
	check_error("zonemd 1", ZONE("    zonemd: 1\n"), SIGIL_ECONFIG, 10, 13,
	            "zones[0].zonemd: '1' is not true or false");
	check_error("zonemd a list", ZONE("    zonemd: [true]\n"),
	            SIGIL_ECONFIG, 10, 13,
	            "zones[0].zonemd: expected true or false, found a list");

	check_error("validity too short", ZONE("    signature-validity: 30m\n"),
	            SIGIL_ECONFIG, 10, 25,
	            "zones[0].signature-validity: '30m' is less than the "
	            "minimum of 1h");
	check_error("validity too long",
	            ZONE("    signature-validity: 3651d\n"), SIGIL_ECONFIG, 10,
	            25,
	            "zones[0].signature-validity: '3651d' is more than the "
	            "maximum of 3650d");
	check_error("validity with a space",
	            ZONE("    signature-validity: 14 d\n"), SIGIL_ECONFIG, 10,
	            25,
	            "zones[0].signature-validity: '14 d' is not a duration: a "
	            "whole number with an optional unit s, m, h, d or w "
	            "(\"14d\", \"3600\")");
	check_error("validity unit in upper case",
	            ZONE("    signature-validity: 14D\n"), SIGIL_ECONFIG, 10,
	            25, "zones[0].signature-validity: '14D' is not a duration");
	check_error("validity two units",
	            ZONE("    signature-validity: 1d2h\n"), SIGIL_ECONFIG, 10,
	            25,
	            "zones[0].signature-validity: '1d2h' is not a duration");
	check_error("validity unit only", ZONE("    signature-validity: d\n"),
	            SIGIL_ECONFIG, 10, 25,
	            "zones[0].signature-validity: 'd' is not a duration");
	check_error("validity under twice the default jitter",
	            ZONE("    signature-validity: 2d\n"), SIGIL_ECONFIG, 10, 25,
	            "zones[0].signature-validity: 2d is not more than twice "
	            "the default signature-jitter (1d): set a smaller "
	            "signature-jitter");
	check_error("jitter half the validity",
	            ZONE("    signature-jitter: 7d\n"), SIGIL_ECONFIG, 10, 23,
	            "zones[0].signature-jitter: 7d is not less than half of "
	            "signature-validity (14d)");
	check_error("jitter too large for the validity",
	            ZONE("    signature-jitter: 2h\n"
	                 "    signature-validity: 3h\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].signature-jitter: 2h is not less than half of "
	            "signature-validity (3h)");
	check_error("jitter not a duration", ZONE("    signature-jitter: 1x\n"),
	            SIGIL_ECONFIG, 10, 23,
	            "zones[0].signature-jitter: '1x' is not a duration");
	check_error("inception offset negative",
	            ZONE("    inception-offset: -1h\n"), SIGIL_ECONFIG, 10, 23,
	            "zones[0].inception-offset: '-1h' is not a duration");
	check_error("inception offset too long",
	            ZONE("    inception-offset: 600w\n"), SIGIL_ECONFIG, 10, 23,
	            "zones[0].inception-offset: '600w' is more than the "
	            "maximum of 3650d");

	check_error("serial unknown", ZONE("    serial: date\n"), SIGIL_ECONFIG,
	            10, 13,
	            "zones[0].serial: 'date' is not a serial policy: use keep, "
	            "increment, unixtime or dateserial");
	check_error("serial a number", ZONE("    serial: 2024010100\n"),
	            SIGIL_ECONFIG, 10, 13,
	            "zones[0].serial: '2024010100' is not a serial policy");

	check_error("iterations with NSEC",
	            ZONE("    denial: nsec\n    nsec3-iterations: 0\n"),
	            SIGIL_ECONFIG, 11, 23,
	            "zones[0].nsec3-iterations: only for NSEC3, and this zone "
	            "has denial: nsec");
	check_error("salt with NSEC",
	            ZONE("    nsec3-salt: '-'\n    denial: nsec\n"),
	            SIGIL_ECONFIG, 10, 17,
	            "zones[0].nsec3-salt: only for NSEC3, and this zone has "
	            "denial: nsec");
	check_error("opt-out with NSEC",
	            ZONE("    denial: NSEC\n    nsec3-opt-out: false\n"),
	            SIGIL_ECONFIG, 11, 20,
	            "zones[0].nsec3-opt-out: only for NSEC3, and this zone "
	            "has denial: nsec");

	check_error("policy key misspelt", ZONE("    nsec3-iteration: 0\n"),
	            SIGIL_ECONFIG, 10, 5,
	            "zones[0].nsec3-iteration: unknown key (did you mean "
	            "'nsec3-iterations'?)");
	check_error("policy key with _", ZONE("    signature_validity: 1d\n"),
	            SIGIL_ECONFIG, 10, 5,
	            "zones[0].signature_validity: unknown key (did you mean "
	            "'signature-validity'?)");
	check_error("policy key twice",
	            ZONE("    zonemd: true\n    zonemd: false\n"),
	            SIGIL_ECONFIG, 11, 5,
	            "zones[0].zonemd: duplicate key (first given at line 10)");
	check_error("error in the second zone",
	            ZONE("    zonemd: true\n"
	                 "  - name: example.net.\n"
	                 "    serial: sometimes\n"),
	            SIGIL_ECONFIG, 12, 13,
	            "zones[1].serial: 'sometimes' is not a serial policy");
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sigil-config-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "%s/sigil.conf", tmpdir);

	ok(strcmp(SIGIL_CONFIG_DEFAULT_PATH, "/etc/sigil/sigil.conf") == 0,
	   "default path");
	test_single_soft();
	test_three_hsms();
	test_relative_paths();
	test_errors();
	test_accepted();
	test_policy_values();
	test_policy_errors();

	unlink(conf_path);
	rmdir(tmpdir);
	return done_testing();
}
