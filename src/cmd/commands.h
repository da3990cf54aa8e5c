/* Subcommands of the sigil command.  Each returns the process exit status. */
#ifndef SIGIL_CMD_COMMANDS_H
#define SIGIL_CMD_COMMANDS_H

#include <stdio.h>

/* Exit statuses shared by all commands. */
enum {
	SIGIL_EXIT_OK = 0,
	SIGIL_EXIT_FOUND = 1, /* a check found a problem */
	SIGIL_EXIT_USAGE = 2, /* usage, configuration or input error */
	SIGIL_EXIT_HSM = 3,   /* an HSM or database failure */
};

int cmd_verify(int argc, char **argv);
void cmd_verify_usage(FILE *out);

int cmd_testbed(int argc, char **argv);
void cmd_testbed_usage(FILE *out);

int cmd_hsm(int argc, char **argv);
void cmd_hsm_usage(FILE *out);

int cmd_keys(int argc, char **argv);
void cmd_keys_usage(FILE *out);

int cmd_sign(int argc, char **argv);
void cmd_sign_usage(FILE *out);

#endif
