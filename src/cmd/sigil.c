/* sigil: the command-line front end.  Dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

#define SIGIL_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
	const char *summary;
} commands[] = {
	{"sign", cmd_sign, cmd_sign_usage,
         "sign a zone file, every signature verified before it is written"},
	{"verify", cmd_verify, cmd_verify_usage,
         "check a signed zone completely (signatures, chains, keys)"},
	{"testbed", cmd_testbed, cmd_testbed_usage,
         "create a multi-HSM test environment (SoftHSM2 tokens)"},
	{"hsm", cmd_hsm, cmd_hsm_usage,
         "HSMs: enroll (shared key-encryption key), list"},
	{"keys", cmd_keys, cmd_keys_usage,
         "DNSSEC keys of a zone: generate, list, dnskey, ds, check"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: sigil [--version] [--help] COMMAND [ARGS]\n"
	             "       sigil help COMMAND\n\n"
	             "DNSSEC signing system for large zones.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(out, "  %-10s %s\n", commands[i].name,
		        commands[i].summary);
	}
	fprintf(out, "\nRun 'sigil help COMMAND' for a command's options.\n");
}

static int find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return SIGIL_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("sigil %s\n", SIGIL_VERSION);
		return SIGIL_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return SIGIL_EXIT_OK;
		}
		int i = find(argv[2]);
		if (i < 0) {
			fprintf(stderr, "sigil: unknown command '%s'\n",
			        argv[2]);
			return SIGIL_EXIT_USAGE;
		}
		commands[i].usage(stdout);
		return SIGIL_EXIT_OK;
	}
	int i = find(cmd);
	if (i < 0) {
		fprintf(stderr, "sigil: unknown command '%s'\n", cmd);
		usage(stderr);
		return SIGIL_EXIT_USAGE;
	}
	return commands[i].run(argc - 1, argv + 1);
}
