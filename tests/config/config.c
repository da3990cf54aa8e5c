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

	unlink(conf_path);
	rmdir(tmpdir);
	return done_testing();
}
