/* sigil verify: option parsing and exit status; the report is printed by
 * verify_report.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "cmd/verify_report.h"
#include "util/error.h"
#include "verify/verify.h"

void cmd_verify_usage(FILE *out)
{
	/* The text is laid out as it prints. */
	/* clang-format off */
	fprintf(out,
	        "Usage: sigil verify [OPTIONS] ZONEFILE\n"
	        "\n"
	        "Check a signed zone completely: every RRSIG, signature coverage,\n"
	        "NSEC/NSEC3 chains (opt-out exactly per RFC 5155 7.1), DNSKEY/DS\n"
	        "consistency and the expiry horizon.  Strict by default: any RRSIG\n"
	        "that does not verify is an error, even beside a good one.\n"
	        "\n"
	        "Options:\n"
	        "  -o, --origin NAME      zone apex (default: the owner of the SOA)\n"
	        "      --ds FILE          the parent's DS records (zone-file format);\n"
	        "                         a DNSKEY with the SEP flag must match one\n"
	        "                         and sign the DNSKEY RRset\n"
	        "      --time TIME        validate at TIME instead of now:\n"
	        "                         YYYYMMDDHHMMSS (UTC) or seconds since the epoch\n"
	        "      --expire-warn DUR  warn about signatures that expire within DUR\n"
	        "                         (default 7d; a number with unit s, m, h, d or w;\n"
	        "                         0 turns the warning off)\n"
	        "      --lenient          resolver semantics (RFC 6840 5.4, 5.11): an\n"
	        "                         RRset with one valid signature is secure; other\n"
	        "                         bad signatures and missing algorithms on it\n"
	        "                         become warnings\n"
	        "      --json             print the report as JSON on standard output\n"
	        "  -t, --threads N        threads for signature checks (default: all\n"
	        "                         online CPUs); results do not depend on N\n"
	        "      --max-findings N   list at most N findings (default 1000, 0 = all);\n"
	        "                         counts are always complete\n"
	        "  -q, --quiet            print only findings and the result line\n"
	        "  -h, --help             show this help\n"
	        "\n"
	        "Exit status: 0 the zone is valid (warnings allowed), 1 DNSSEC errors\n"
	        "found, 2 usage or input error.\n");
	/* clang-format on */
}

enum { OPT_DS = 256, OPT_TIME, OPT_EXPIRE, OPT_LENIENT, OPT_JSON, OPT_MAXF };

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"origin", required_argument, NULL, 'o'},
		{"ds", required_argument, NULL, OPT_DS},
		{"time", required_argument, NULL, OPT_TIME},
		{"expire-warn", required_argument, NULL, OPT_EXPIRE},
		{"lenient", no_argument, NULL, OPT_LENIENT},
		{"json", no_argument, NULL, OPT_JSON},
		{"threads", required_argument, NULL, 't'},
		{"max-findings", required_argument, NULL, OPT_MAXF},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigil_verify_opts_t opts = {
		.now = (uint64_t)time(NULL),
		.expire_warn = 7 * 86400,
		.threads = ncpu > 0 ? (unsigned)ncpu : 1,
		.max_findings = 1000,
	};
	bool json = false, quiet = false;
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:t:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts.origin = optarg;
			break;
		case OPT_DS:
			opts.ds_file = optarg;
			break;
		case OPT_TIME:
			if (cmd_parse_time(optarg, &opts.now) != 0) {
				fprintf(stderr,
				        "sigil verify: --time: '%s' is not "
				        "YYYYMMDDHHMMSS or seconds since the "
				        "epoch\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			break;
		case OPT_EXPIRE:
			if (cmd_parse_duration(optarg, &opts.expire_warn) !=
			    0) {
				fprintf(stderr,
				        "sigil verify: --expire-warn: '%s' is "
				        "not "
				        "a duration such as 7d, 12h or 3600\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			break;
		case OPT_LENIENT:
			opts.lenient = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 't':
			if (cmd_parse_count(optarg, 1024, &v) != 0 || v == 0) {
				fprintf(stderr,
				        "sigil verify: --threads: '%s' is not "
				        "a "
				        "number from 1 to 1024\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			opts.threads = (unsigned)v;
			break;
		case OPT_MAXF:
			if (cmd_parse_count(optarg, (unsigned long)-1 >> 1,
			                    &v) != 0) {
				fprintf(stderr,
				        "sigil verify: --max-findings: '%s' is "
				        "not "
				        "a number\n",
				        optarg);
				return SIGIL_EXIT_USAGE;
			}
			opts.max_findings = v;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cmd_verify_usage(stdout);
			return SIGIL_EXIT_OK;
		default:
			cmd_verify_usage(stderr);
			return SIGIL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "sigil verify: expected one ZONEFILE\n");
		cmd_verify_usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	const char *path = argv[optind];

	sigil_verify_report_t *rep = NULL;
	sigil_load_error_t err;
	int ret = sigil_verify_file(path, &opts, &rep, &err);
	if (ret != SIGIL_EOK) {
		if (err.file[0] != '\0' && err.line > 0) {
			fprintf(stderr, "sigil verify: %s:%llu: %s\n", err.file,
			        (unsigned long long)err.line, err.message);
		} else if (err.file[0] != '\0') {
			fprintf(stderr, "sigil verify: %s: %s\n", err.file,
			        err.message[0] ? err.message :
			                         sigil_strerror(ret));
		} else {
			fprintf(stderr, "sigil verify: %s: %s\n", path,
			        sigil_strerror(ret));
		}
		return SIGIL_EXIT_USAGE;
	}
	if (json) {
		verify_report_json(stdout, rep, path);
	} else {
		verify_report_text(stdout, rep, path, quiet);
	}
	int status = sigil_verify_report_valid(rep) ? SIGIL_EXIT_OK :
	                                              SIGIL_EXIT_FOUND;
	sigil_verify_report_free(rep);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sigil verify: cannot write the report: %s\n",
		        strerror(errno));
		return SIGIL_EXIT_USAGE;
	}
	return status;
}
