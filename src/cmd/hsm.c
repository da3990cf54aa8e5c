/* sigil hsm: operations on the configured HSMs.
 *
 *   sigil hsm enroll [-c FILE] [--check]
 *
 * enroll establishes the key-encryption key shared by every HSM of the
 * configuration (see hsm/hsm.h, "Enrollment"); --check only reports the
 * KEK each HSM holds, changing nothing.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "config/config.h"
#include "hsm/hsm.h"
#include "util/error.h"

void cmd_hsm_usage(FILE *out)
{
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil hsm enroll [-c FILE] [--check]\n"
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
	        "Options:\n"
	        "  -c, --config FILE  configuration (default "
	        SIGIL_CONFIG_DEFAULT_PATH ")\n"
	        "      --check        only report each HSM's KEK and KCV; exit 1\n"
	        "                     unless all hold the same one\n"
	        "  -h, --help         show this help\n"
	        "\n"
	        "Exit status: 0 success, 1 (--check) not enrolled, 2 usage or\n"
	        "configuration error, 3 HSM failure.\n");
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
		sigil_hsm_conf_t hc = {
			.name = h->name,
			.site = h->site,
			.module = h->module,
			.uri = h->uri,
			.pin_file = h->pin_file,
			.pin_env = h->pin_env,
		};

		r = sigil_hsm_open(&hc, &hsms[i], &herr);
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

enum { OPT_CHECK = 256 };

int cmd_hsm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, OPT_CHECK},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = SIGIL_CONFIG_DEFAULT_PATH;
	bool check = false;
	int c;

	if (argc < 2) {
		cmd_hsm_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_hsm_usage(stdout);
		return SIGIL_EXIT_OK;
	}
	if (strcmp(argv[1], "enroll") != 0) {
		fprintf(stderr, "sigil hsm: unknown subcommand '%s'\n",
		        argv[1]);
		cmd_hsm_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			check = true;
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
		fprintf(stderr, "sigil hsm enroll: unexpected argument '%s'\n",
		        argv[optind]);
		return SIGIL_EXIT_USAGE;
	}
	return enroll_run(config, check);
}
