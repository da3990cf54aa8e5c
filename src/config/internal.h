/* Configuration internals: the keys of a zone's signing policy, parsed
 * from their text by policy.c.  No YAML here: config.c finds the values
 * and reports the errors with their file positions and key paths.
 */
#ifndef SIGIL_CONFIG_INTERNAL_H
#define SIGIL_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

enum config_policy_key {
	POLICY_DENIAL,
	POLICY_NSEC3_ITERATIONS,
	POLICY_NSEC3_SALT,
	POLICY_NSEC3_OPT_OUT,
	POLICY_SIGNATURE_VALIDITY,
	POLICY_SIGNATURE_JITTER,
	POLICY_INCEPTION_OFFSET,
	POLICY_SERIAL,
	POLICY_ZONEMD,
	POLICY_KEYS
};

/* Key names as written in a zone entry ("nsec3-salt"), and what each
 * expects, for "expected ..., found a list" ("a duration"). */
extern const char *const config_policy_names[POLICY_KEYS];
extern const char *const config_policy_expects[POLICY_KEYS];

/* Sets key of policy from its text.  SIGIL_EOK, or SIGIL_ECONFIG with the
 * reason in msg (without the key path). */
int config_policy_set(sigil_config_policy_t *policy, enum config_policy_key key,
                      const char *text, char *msg, size_t len);

/* Checks the keys against each other once all are set; given[k] tells
 * which were in the file.  SIGIL_EOK, or SIGIL_ECONFIG with the reason in
 * msg and in *blame the given key the error is about. */
int config_policy_check(const sigil_config_policy_t *policy,
                        const bool given[POLICY_KEYS],
                        enum config_policy_key *blame, char *msg, size_t len);

#endif
