/* sigil testbed: a multi-HSM test environment in one directory.
 *
 * The .de outage's multi-HSM code path had never run before production
 * because the test environment had a single HSM.  This command makes the
 * shape of production cheap to rehearse: N SoftHSM2 tokens over M sites,
 * their PINs in files, and a sigil configuration that uses them all.
 *
 * All or nothing: the directory must be empty (or absent), and on any
 * failure everything made inside it is removed again, tokens included
 * (SoftHSM2 keeps them as files under DIR/tokens).  The environment is
 * proven before success is reported: the written configuration is loaded
 * and every HSM in it is opened and logged in to.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <openssl/rand.h>

#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "config/config.h"
#include "hsm/hsm.h"
#include "util/error.h"

#define TESTBED_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TESTBED_MAX_HSMS 16
/* 16 random bytes: 128 bits, as 32 hex digits (SoftHSM2 takes 4..255). */
#define TESTBED_PIN_BYTES 16

void cmd_testbed_usage(FILE *out)
{
	/* The text is laid out as it prints. */
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil testbed [OPTIONS] DIR\n"
	        "\n"
	        "Create a multi-HSM test environment in DIR (created if absent,\n"
	        "refused if not empty): SoftHSM2 tokens hsm1..hsmN spread round-robin\n"
	        "over sites site1..siteM, initialised through PKCS#11 with random\n"
	        "PINs, and the files\n"
	        "  DIR/softhsm2.conf  SoftHSM2 configuration (tokens in DIR/tokens),\n"
	        "                     for SOFTHSM2_CONF\n"
	        "  DIR/pin            user PIN of every token (mode 0600)\n"
	        "  DIR/so-pin         security officer PIN of every token (mode 0600)\n"
	        "  DIR/sigil.conf     sigil configuration of those HSMs, key\n"
	        "                     database DIR/keys.db, no zones listed (every\n"
	        "                     zone uses all HSMs)\n"
	        "The configuration is then loaded and every HSM opened.  On any\n"
	        "failure, everything made in DIR is removed again.\n"
	        "\n"
	        "Options:\n"
	        "      --hsms N       number of HSMs (tokens), 1 to 16 (default 3)\n"
	        "      --sites M      number of sites, 1 to N (default 2, or 1 when\n"
	        "                     N is 1)\n"
	        "      --module PATH  PKCS#11 module (default\n"
	        "                     " TESTBED_MODULE ")\n"
	        "      --soft         a software key store DIR/keys instead of\n"
	        "                     tokens (no PINs, no SoftHSM2)\n"
	        "  -h, --help         show this help\n"
	        "\n"
	        "The configuration is DIR/sigil.conf; processes that use the\n"
	        "tokens need SOFTHSM2_CONF=DIR/softhsm2.conf.\n"
	        "\n"
	        "Exit status: 0 success, 2 usage error or DIR unusable, 3 HSM\n"
	        "failure.\n");
	/* clang-format on */
}

struct testbed {
	const char *arg; /* DIR as given */
	char *dir;       /* absolute, once it exists */
	bool created;    /* DIR did not exist: remove it on failure */
	bool soft;
	unsigned long hsms, sites;
	char *module; /* as written to the configuration */
	char pin[2 * TESTBED_PIN_BYTES + 1];
	char so_pin[2 * TESTBED_PIN_BYTES + 1];
	sigil_hsm_token_t *tokens; /* hsms entries, as initialised */
};

static int parse_count(const char *s, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || *s == '+') {
		return -1;
	}
	*out = v;
	return 0;
}

/* s joined to the testbed directory; NULL without memory. */
static char *path_in(const struct testbed *tb, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", tb->dir, name) < 0) {
		return NULL;
	}
	return p;
}

/* Creates DIR, or checks that it is an empty directory, and makes
 * tb->dir absolute.  Control characters are refused: the path goes into
 * two configuration files and the printed shell commands. */
static int dir_prepare(struct testbed *tb)
{
	struct stat st;
	struct dirent *de;
	DIR *d = NULL;
	int ret = SIGIL_EXIT_USAGE;

	for (const char *c = tb->arg; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			fprintf(stderr,
			        "sigil testbed: DIR must not contain control "
			        "characters\n");
			goto out;
		}
	}
	if (mkdir(tb->arg, 0700) == 0) {
		tb->created = true;
	} else if (errno != EEXIST) {
		fprintf(stderr, "sigil testbed: cannot create %s: %s\n",
		        tb->arg, strerror(errno));
		goto out;
	} else if (stat(tb->arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
		        "sigil testbed: %s exists and is not a directory\n",
		        tb->arg);
		goto out;
	} else {
		d = opendir(tb->arg);
		if (d == NULL) {
			fprintf(stderr, "sigil testbed: cannot read %s: %s\n",
			        tb->arg, strerror(errno));
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0) {
				fprintf(stderr,
				        "sigil testbed: %s is not empty: "
				        "refusing to touch it\n",
				        tb->arg);
				goto out;
			}
		}
	}
	tb->dir = realpath(tb->arg, NULL);
	if (tb->dir == NULL) {
		fprintf(stderr, "sigil testbed: %s: %s\n", tb->arg,
		        strerror(errno));
		goto out;
	}
	ret = SIGIL_EXIT_OK;
out:
	if (d != NULL) {
		closedir(d);
	}
	if (ret != SIGIL_EXIT_OK && tb->created) {
		(void)rmdir(tb->arg);
		tb->created = false;
	}
	return ret;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
	(void)st;
	(void)flag;
	/* Level 0 is DIR itself, which is kept when it existed before. */
	if (ftw->level > 0) {
		(void)remove(path);
	}
	return 0;
}

/* Undoes dir_prepare and everything after it.  DIR was empty, so all it
 * holds now was made by this command. */
static void dir_remove(const struct testbed *tb)
{
	(void)nftw(tb->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (tb->created) {
		(void)rmdir(tb->dir);
	}
}

/* Writes a new file (never an existing one, never through a symbolic
 * link) with exactly the given mode, whatever the umask. */
static int file_write(const struct testbed *tb, const char *name,
                      const char *text, size_t len, mode_t mode)
{
	char *path = path_in(tb, name);
	size_t done = 0;
	int fd = -1;
	int ret = SIGIL_EXIT_USAGE;

	if (path == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		fprintf(stderr, "sigil testbed: cannot create %s: %s\n", path,
		        strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "sigil testbed: cannot write %s: %s\n",
			        path, strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0) {
		fd = -1;
		fprintf(stderr, "sigil testbed: cannot write %s: %s\n", path,
		        strerror(errno));
		goto out;
	}
	fd = -1;
	ret = SIGIL_EXIT_OK;
out:
	if (fd >= 0) {
		close(fd);
	}
	free(path);
	return ret;
}

static int dir_make(const struct testbed *tb, const char *name)
{
	char *path = path_in(tb, name);
	int ret = SIGIL_EXIT_USAGE;

	if (path == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
	} else if (mkdir(path, 0700) != 0 || chmod(path, 0700) != 0) {
		fprintf(stderr, "sigil testbed: cannot create %s: %s\n", path,
		        strerror(errno));
	} else {
		ret = SIGIL_EXIT_OK;
	}
	free(path);
	return ret;
}

static int pin_make(char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TESTBED_PIN_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		fprintf(stderr,
		        "sigil testbed: no random bytes for the PINs\n");
		return SIGIL_EXIT_HSM;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * sizeof(raw)] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return SIGIL_EXIT_OK;
}

/* A PIN file: the PIN on its first line, readable by the owner only. */
static int pin_write(const struct testbed *tb, const char *name,
                     const char *pin)
{
	char line[sizeof(tb->pin) + 1];
	size_t len = strlen(pin);
	int ret;

	memcpy(line, pin, len);
	line[len] = '\n';
	ret = file_write(tb, name, line, len + 1, 0600);
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

/* s as a YAML double-quoted scalar. */
static void yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
		}
		fputc(*s, f);
	}
	fputc('"', f);
}

/* s percent-encoded as an RFC 7512 attribute value. */
static void uri_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			fputc(c, f);
		} else {
			fprintf(f, "%%%02X", c);
		}
	}
}

static unsigned long site_of(unsigned long i, unsigned long sites)
{
	/* Round-robin, so that each site has HSMs whenever N >= M. */
	return i % sites + 1;
}

/* SoftHSM2's configuration: tokens inside DIR, errors only in syslog. */
static int softhsm_conf_write(const struct testbed *tb)
{
	char *text = NULL;
	int n, ret;

	n = asprintf(&text,
	             "# SoftHSM2 configuration of the sigil test bed in %s.\n"
	             "# Use: export SOFTHSM2_CONF=%s/softhsm2.conf\n"
	             "directories.tokendir = %s/tokens\n"
	             "objectstore.backend = file\n"
	             "log.level = ERROR\n"
	             "slots.removable = false\n",
	             tb->dir, tb->dir, tb->dir);
	if (n < 0) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		return SIGIL_EXIT_USAGE;
	}
	ret = file_write(tb, "softhsm2.conf", text, (size_t)n, 0644);
	free(text);
	return ret;
}

/* DIR/sigil.conf.  Relative paths: the configuration module resolves them
 * against the file's directory, so the configuration works from any
 * working directory. */
static int sigil_conf_write(const struct testbed *tb)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = SIGIL_EXIT_USAGE;

	if (f == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	fprintf(f, "# sigil test bed made by `sigil testbed`.\n");
	if (tb->soft) {
		fprintf(f,
		        "# One software key store (PKCS#8 files in keys/).\n");
	} else {
		fprintf(f,
		        "# %lu HSMs (SoftHSM2 tokens) over %lu sites.  Before "
		        "use:\n"
		        "#   export SOFTHSM2_CONF=%s/softhsm2.conf\n",
		        tb->hsms, tb->sites, tb->dir);
	}
	fprintf(f, "# Relative paths are relative to this file's directory.  "
	           "No zone is listed:\n"
	           "# every zone gets the default policy and all HSMs and "
	           "stores.\n"
	           "\n"
	           "database: keys.db\n\n");
	if (tb->soft) {
		fprintf(f, "keystores:\n"
		           "  - name: soft\n"
		           "    directory: keys\n");
	} else {
		fprintf(f, "hsms:\n");
		for (unsigned long i = 0; i < tb->hsms; i++) {
			fprintf(f, "  - name: %s\n    site: site%lu\n",
			        tb->tokens[i].label, site_of(i, tb->sites));
			fprintf(f, "    module: ");
			yaml_str(f, tb->module);
			fprintf(f, "\n    token: \"pkcs11:token=");
			uri_value(f, tb->tokens[i].label);
			fprintf(f, ";serial=");
			uri_value(f, tb->tokens[i].serial);
			fprintf(f, "\"\n    pin-file: pin\n");
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	f = NULL;
	ret = file_write(tb, "sigil.conf", text, len, 0644);
out:
	if (f != NULL) {
		fclose(f);
	}
	free(text);
	return ret;
}

/* The SoftHSM2 files, the PINs and the tokens. */
static int tokens_make(struct testbed *tb)
{
	char *conf = NULL;
	sigil_hsm_error_t herr;
	int ret;

	ret = pin_make(tb->pin);
	if (ret == SIGIL_EXIT_OK) {
		ret = pin_make(tb->so_pin);
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = softhsm_conf_write(tb);
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = dir_make(tb, "tokens");
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = pin_write(tb, "pin", tb->pin);
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = pin_write(tb, "so-pin", tb->so_pin);
	}
	if (ret != SIGIL_EXIT_OK) {
		goto out;
	}
	ret = SIGIL_EXIT_USAGE;
	conf = path_in(tb, "softhsm2.conf");
	tb->tokens = calloc(tb->hsms, sizeof(*tb->tokens));
	if (conf == NULL || tb->tokens == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	/* SoftHSM2 reads it once, at C_Initialize: before the module is
	 * loaded. */
	if (setenv("SOFTHSM2_CONF", conf, 1) != 0) {
		fprintf(stderr, "sigil testbed: cannot set SOFTHSM2_CONF: %s\n",
		        strerror(errno));
		goto out;
	}
	for (unsigned long i = 0; i < tb->hsms; i++) {
		char label[32];

		snprintf(label, sizeof(label), "hsm%lu", i + 1);
		int r = sigil_hsm_token_init(tb->module, label, tb->so_pin,
		                             tb->pin, &tb->tokens[i], &herr);
		if (r != SIGIL_EOK) {
			fprintf(stderr,
			        "sigil testbed: cannot initialise token %s: "
			        "%s\n",
			        label, herr.message);
			ret = r == SIGIL_ECONFIG ? SIGIL_EXIT_USAGE :
			                           SIGIL_EXIT_HSM;
			goto out;
		}
	}
	ret = SIGIL_EXIT_OK;
out:
	free(conf);
	return ret;
}

/* Prints DIR/name as one shell word, quoted when it needs to be, so that
 * the printed commands can be pasted. */
static void sh_path(const struct testbed *tb, const char *name)
{
	const char *safe =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789/._-+,:@%=";

	if (strspn(tb->dir, safe) == strlen(tb->dir)) {
		printf("%s/%s", tb->dir, name);
		return;
	}
	putchar('\'');
	for (const char *c = tb->dir; *c != '\0'; c++) {
		if (*c == '\'') {
			fputs("'\\''", stdout);
		} else {
			putchar(*c);
		}
	}
	printf("/%s'", name);
}

/* Proves the environment: the configuration loads and names what was
 * made, and every HSM opens and logs in with the PIN file.  Prints the
 * summary only then. */
static int testbed_check(const struct testbed *tb)
{
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	sigil_hsm_error_t herr;
	sigil_hsm_t *hsm = NULL;
	sigil_hsm_token_t *seen = NULL;
	char *path = path_in(tb, "sigil.conf");
	char msg[1600];
	size_t n = 0;
	int ret = SIGIL_EXIT_USAGE;

	if (path == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	if (sigil_config_load(path, &cfg, &cerr) != SIGIL_EOK) {
		fprintf(stderr,
		        "sigil testbed: the configuration made is "
		        "not valid: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	n = sigil_config_hsm_count(cfg);
	if (n != (tb->soft ? 0 : tb->hsms) ||
	    sigil_config_keystore_count(cfg) != (tb->soft ? 1u : 0u)) {
		fprintf(stderr,
		        "sigil testbed: %s does not describe the test "
		        "bed made\n",
		        path);
		goto out;
	}
	seen = calloc(n + 1, sizeof(*seen));
	if (seen == NULL) {
		fprintf(stderr, "sigil testbed: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const sigil_config_hsm_t *h = sigil_config_hsm(cfg, i);
		int r = cmd_hsm_open(h, &hsm, &herr);

		if (r == SIGIL_EOK) {
			r = sigil_hsm_token_info(hsm, &seen[i], &herr);
		}
		sigil_hsm_close(hsm);
		hsm = NULL;
		if (r != SIGIL_EOK) {
			fprintf(stderr, "sigil testbed: %s\n", herr.message);
			ret = SIGIL_EXIT_HSM;
			goto out;
		}
		if (strcmp(seen[i].serial, tb->tokens[i].serial) != 0 ||
		    !seen[i].logged_in) {
			fprintf(stderr,
			        "sigil testbed: %s: not the token initialised "
			        "(serial %s, expected %s) or not logged in\n",
			        h->name, seen[i].serial, tb->tokens[i].serial);
			ret = SIGIL_EXIT_HSM;
			goto out;
		}
	}
	if (tb->soft) {
		const sigil_config_keystore_t *k =
			sigil_config_keystore(cfg, 0);

		printf("sigil testbed: software key store in %s\n\n", tb->dir);
		printf("  %-8s %s\n", "STORE", "DIRECTORY");
		printf("  %-8s %s\n", k->name, k->directory);
	} else {
		printf("sigil testbed: %lu HSMs over %lu sites in %s\n\n",
		       tb->hsms, tb->sites, tb->dir);
		printf("  %-8s %-8s %-8s %s\n", "HSM", "SITE", "TOKEN",
		       "SERIAL");
		for (size_t i = 0; i < n; i++) {
			const sigil_config_hsm_t *h = sigil_config_hsm(cfg, i);

			printf("  %-8s %-8s %-8s %s\n", h->name, h->site,
			       seen[i].label, seen[i].serial);
		}
		printf("\nUser PIN of every token in %s/pin, security officer "
		       "PIN in %s/so-pin.\n",
		       tb->dir, tb->dir);
	}
	printf("Key database: %s\nConfiguration: ", sigil_config_database(cfg));
	sh_path(tb, "sigil.conf");
	putchar('\n');
	if (!tb->soft) {
		printf("Processes that use the tokens need:\n  export "
		       "SOFTHSM2_CONF=");
		sh_path(tb, "softhsm2.conf");
		putchar('\n');
	}
	/* A summary that was not written is a failure: the caller would not
	 * know where the test bed is. */
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sigil testbed: cannot write the summary: %s\n",
		        strerror(errno));
		goto out;
	}
	ret = SIGIL_EXIT_OK;
out:
	free(seen);
	sigil_config_free(cfg);
	free(path);
	return ret;
}

static int testbed_make(struct testbed *tb)
{
	/* A refused DIR is left exactly as it was: only what this command
	 * made is ever removed. */
	int ret = dir_prepare(tb);
	bool prepared = ret == SIGIL_EXIT_OK;

	if (prepared) {
		ret = tb->soft ? dir_make(tb, "keys") : tokens_make(tb);
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = sigil_conf_write(tb);
	}
	if (ret == SIGIL_EXIT_OK) {
		ret = testbed_check(tb);
	}
	if (ret != SIGIL_EXIT_OK && prepared) {
		dir_remove(tb);
		if (tb->created) {
			fprintf(stderr, "sigil testbed: failed; %s removed\n",
			        tb->dir);
		} else {
			fprintf(stderr,
			        "sigil testbed: failed; everything made in %s "
			        "removed\n",
			        tb->dir);
		}
	}
	return ret;
}

enum { OPT_HSMS = 256, OPT_SITES, OPT_MODULE, OPT_SOFT };

int cmd_testbed(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"hsms", required_argument, NULL, OPT_HSMS},
		{"sites", required_argument, NULL, OPT_SITES},
		{"module", required_argument, NULL, OPT_MODULE},
		{"soft", no_argument, NULL, OPT_SOFT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct testbed tb = {.hsms = 3};
	const char *module = TESTBED_MODULE;
	bool hsms_set = false, sites_set = false, module_set = false;
	char *cwd = NULL;
	int c;
	int ret = SIGIL_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HSMS:
			if (parse_count(optarg, &tb.hsms) != 0 || tb.hsms < 1 ||
			    tb.hsms > TESTBED_MAX_HSMS) {
				fprintf(stderr,
				        "sigil testbed: --hsms: '%s' is not a "
				        "number from 1 to %d\n",
				        optarg, TESTBED_MAX_HSMS);
				goto out;
			}
			hsms_set = true;
			break;
		case OPT_SITES:
			if (parse_count(optarg, &tb.sites) != 0 ||
			    tb.sites < 1 || tb.sites > TESTBED_MAX_HSMS) {
				fprintf(stderr,
				        "sigil testbed: --sites: '%s' is not a "
				        "number from 1 to the number of HSMs\n",
				        optarg);
				goto out;
			}
			sites_set = true;
			break;
		case OPT_MODULE:
			module = optarg;
			module_set = true;
			break;
		case OPT_SOFT:
			tb.soft = true;
			break;
		case 'h':
			cmd_testbed_usage(stdout);
			ret = SIGIL_EXIT_OK;
			goto out;
		default:
			cmd_testbed_usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "sigil testbed: expected one DIR\n");
		cmd_testbed_usage(stderr);
		goto out;
	}
	tb.arg = argv[optind];
	if (tb.soft && (hsms_set || sites_set || module_set)) {
		fprintf(stderr, "sigil testbed: --soft makes one software key "
		                "store: --hsms, --sites and --module do not "
		                "apply\n");
		goto out;
	}
	if (!sites_set) {
		tb.sites = tb.hsms < 2 ? tb.hsms : 2;
	}
	if (tb.sites > tb.hsms) {
		fprintf(stderr,
		        "sigil testbed: --sites %lu: more sites than HSMs "
		        "(%lu)\n",
		        tb.sites, tb.hsms);
		goto out;
	}
	if (module[0] == '\0') {
		fprintf(stderr, "sigil testbed: --module: empty path\n");
		goto out;
	}
	/* A relative path with a '/' would be taken from DIR when the
	 * configuration is loaded: make it absolute now.  A bare name is a
	 * library for dlopen(3) to find and stays as it is. */
	if (module[0] != '/' && strchr(module, '/') != NULL) {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL ||
		    asprintf(&tb.module, "%s/%s", cwd, module) < 0) {
			tb.module = NULL;
			fprintf(stderr, "sigil testbed: --module: %s\n",
			        strerror(errno));
			goto out;
		}
	} else {
		tb.module = strdup(module);
		if (tb.module == NULL) {
			fprintf(stderr, "sigil testbed: out of memory\n");
			goto out;
		}
	}
	ret = testbed_make(&tb);
out:
	OPENSSL_cleanse(tb.pin, sizeof(tb.pin));
	OPENSSL_cleanse(tb.so_pin, sizeof(tb.so_pin));
	free(tb.tokens);
	free(tb.module);
	free(tb.dir);
	free(cwd);
	return ret;
}
