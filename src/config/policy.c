#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/internal.h"
#include "util/error.h"

const char *const config_policy_names[POLICY_KEYS] = {
	[POLICY_DENIAL] = "denial",
	[POLICY_NSEC3_ITERATIONS] = "nsec3-iterations",
	[POLICY_NSEC3_SALT] = "nsec3-salt",
	[POLICY_NSEC3_OPT_OUT] = "nsec3-opt-out",
	[POLICY_SIGNATURE_VALIDITY] = "signature-validity",
	[POLICY_SIGNATURE_JITTER] = "signature-jitter",
	[POLICY_INCEPTION_OFFSET] = "inception-offset",
	[POLICY_SERIAL] = "serial",
	[POLICY_ZONEMD] = "zonemd",
};

const char *const config_policy_expects[POLICY_KEYS] = {
	[POLICY_DENIAL] = "nsec or nsec3",
	[POLICY_NSEC3_ITERATIONS] = "a number",
	[POLICY_NSEC3_SALT] = "- or a hexadecimal salt",
	[POLICY_NSEC3_OPT_OUT] = "true or false",
	[POLICY_SIGNATURE_VALIDITY] = "a duration",
	[POLICY_SIGNATURE_JITTER] = "a duration",
	[POLICY_INCEPTION_OFFSET] = "a duration",
	[POLICY_SERIAL] = "keep, increment, unixtime or dateserial",
	[POLICY_ZONEMD] = "true or false",
};

void sigil_config_policy_default(sigil_config_policy_t *policy)
{
	memset(policy, 0, sizeof(*policy));
	policy->nsec3 = true;
	policy->validity = 14 * 86400;
	policy->jitter = 86400;
	policy->inception_offset = 3600;
	policy->serial = SIGIL_CONFIG_SERIAL_INCREMENT;
}

/* Whole decimal numbers only: no sign, no spaces, no hexadecimal, so that
 * "0x10" or "-1" is an error rather than a surprise.  Values above max
 * saturate at max + 1 for the caller to refuse. */
static bool parse_number(const char *s, size_t *len, unsigned long max,
                         unsigned long *out)
{
	unsigned long v = 0;
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max) {
			v = max + 1;
		}
		i++;
	}
	*len = i;
	*out = v;
	return i > 0;
}

/* Units are lowercase only: "M" would read as months to some. */
static bool parse_duration(const char *s, unsigned long *out)
{
	static const struct {
		char unit;
		unsigned long secs;
	} units[] = {{'s', 1},
	             {'m', 60},
	             {'h', 3600},
	             {'d', 86400},
	             {'w', 7 * 86400}};
	unsigned long v;
	size_t len;

	if (!parse_number(s, &len, SIGIL_CONFIG_DURATION_MAX, &v)) {
		return false;
	}
	if (s[len] == '\0') {
		*out = v;
		return true;
	}
	if (s[len + 1] != '\0') {
		return false;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[len] == units[i].unit) {
			/* v is at most 3650d + 1: no overflow in 64 bits. */
			unsigned long long secs =
				(unsigned long long)v * units[i].secs;
			*out = secs > SIGIL_CONFIG_DURATION_MAX ?
			               SIGIL_CONFIG_DURATION_MAX + 1ul :
			               (unsigned long)secs;
			return true;
		}
	}
	return false;
}

/* A duration in the largest unit that divides it, for messages. */
static const char *duration_str(char *buf, size_t len, unsigned long secs)
{
	if (secs > 0 && secs % 86400 == 0) {
		snprintf(buf, len, "%lud", secs / 86400);
	} else if (secs > 0 && secs % 3600 == 0) {
		snprintf(buf, len, "%luh", secs / 3600);
	} else if (secs > 0 && secs % 60 == 0) {
		snprintf(buf, len, "%lum", secs / 60);
	} else {
		snprintf(buf, len, "%lus", secs);
	}
	return buf;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
		return (c | 0x20) - 'a' + 10;
	}
	return -1;
}

static int set_salt(sigil_config_policy_t *policy, const char *text, char *msg,
                    size_t len)
{
	size_t n = strlen(text);

	/* "-" is how zone files and other signers write "no salt". */
	if (strcmp(text, "-") == 0) {
		policy->nsec3_salt_len = 0;
		return SIGIL_EOK;
	}
	for (size_t i = 0; i < n; i++) {
		if (hex_digit(text[i]) < 0) {
			snprintf(msg, len,
			         "'%.80s' is not a salt: use - (no salt) or "
			         "hexadecimal digits",
			         text);
			return SIGIL_ECONFIG;
		}
	}
	if (n == 0 || n % 2 != 0) {
		snprintf(msg, len,
		         "'%.80s' is not a salt: it needs an even number of "
		         "hexadecimal digits (or - for no salt)",
		         text);
		return SIGIL_ECONFIG;
	}
	if (n / 2 > sizeof(policy->nsec3_salt)) {
		snprintf(msg, len,
		         "a salt of %zu bytes is longer than the 255 NSEC3 "
		         "allows",
		         n / 2);
		return SIGIL_ECONFIG;
	}
	for (size_t i = 0; i < n / 2; i++) {
		policy->nsec3_salt[i] = (uint8_t)(hex_digit(text[2 * i]) << 4 |
		                                  hex_digit(text[2 * i + 1]));
	}
	policy->nsec3_salt_len = (uint8_t)(n / 2);
	return SIGIL_EOK;
}

/* YAML's core schema spellings of a boolean; YAML 1.1's yes/no/on/off
 * are refused, as they read as words in other contexts. */
static bool parse_bool(const char *text, bool *out)
{
	if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 ||
	    strcmp(text, "TRUE") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
	    strcmp(text, "FALSE") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static int set_duration(enum config_policy_key key, uint32_t *out,
                        const char *text, char *msg, size_t len)
{
	unsigned long v;
	char buf[32];

	if (!parse_duration(text, &v)) {
		snprintf(msg, len,
		         "'%.80s' is not a duration: a whole number with an "
		         "optional unit s, m, h, d or w (\"14d\", \"3600\")",
		         text);
		return SIGIL_ECONFIG;
	}
	if (v > SIGIL_CONFIG_DURATION_MAX) {
		snprintf(msg, len, "'%.80s' is more than the maximum of %s",
		         text,
		         duration_str(buf, sizeof(buf),
		                      SIGIL_CONFIG_DURATION_MAX));
		return SIGIL_ECONFIG;
	}
	/* Shorter signatures would expire before a zone transfer and a
	 * resolver's cache have caught up with them. */
	if (key == POLICY_SIGNATURE_VALIDITY && v < SIGIL_CONFIG_VALIDITY_MIN) {
		snprintf(msg, len, "'%.80s' is less than the minimum of %s",
		         text,
		         duration_str(buf, sizeof(buf),
		                      SIGIL_CONFIG_VALIDITY_MIN));
		return SIGIL_ECONFIG;
	}
	*out = (uint32_t)v;
	return SIGIL_EOK;
}

int config_policy_set(sigil_config_policy_t *policy, enum config_policy_key key,
                      const char *text, char *msg, size_t len)
{
	unsigned long v;
	size_t n;

	switch (key) {
	case POLICY_DENIAL:
		if (strcasecmp(text, "nsec") == 0 ||
		    strcasecmp(text, "nsec3") == 0) {
			policy->nsec3 = strcasecmp(text, "nsec3") == 0;
			return SIGIL_EOK;
		}
		snprintf(msg, len,
		         "'%.80s' is not a denial of existence: use nsec or "
		         "nsec3",
		         text);
		return SIGIL_ECONFIG;
	case POLICY_NSEC3_ITERATIONS:
		if (!parse_number(text, &n, SIGIL_CONFIG_NSEC3_ITERATIONS_MAX,
		                  &v) ||
		    text[n] != '\0') {
			snprintf(msg, len,
			         "'%.80s' is not a number from 0 to %d", text,
			         SIGIL_CONFIG_NSEC3_ITERATIONS_MAX);
			return SIGIL_ECONFIG;
		}
		/* Resolvers may treat zones with more as insecure or bogus
		 * (RFC 9276 §3.2), and extra iterations add no security. */
		if (v > SIGIL_CONFIG_NSEC3_ITERATIONS_MAX) {
			snprintf(msg, len,
			         "%.80s is more than %d: RFC 9276 asks for 0 "
			         "(validating resolvers may treat a zone with "
			         "many iterations as insecure)",
			         text, SIGIL_CONFIG_NSEC3_ITERATIONS_MAX);
			return SIGIL_ECONFIG;
		}
		policy->nsec3_iterations = (uint16_t)v;
		return SIGIL_EOK;
	case POLICY_NSEC3_SALT:
		return set_salt(policy, text, msg, len);
	case POLICY_NSEC3_OPT_OUT:
	case POLICY_ZONEMD:
		if (!parse_bool(text, key == POLICY_ZONEMD ?
		                              &policy->zonemd :
		                              &policy->nsec3_opt_out)) {
			snprintf(msg, len, "'%.80s' is not true or false",
			         text);
			return SIGIL_ECONFIG;
		}
		return SIGIL_EOK;
	case POLICY_SIGNATURE_VALIDITY:
		return set_duration(key, &policy->validity, text, msg, len);
	case POLICY_SIGNATURE_JITTER:
		return set_duration(key, &policy->jitter, text, msg, len);
	case POLICY_INCEPTION_OFFSET:
		return set_duration(key, &policy->inception_offset, text, msg,
		                    len);
	case POLICY_SERIAL: {
		static const struct {
			const char *name;
			enum sigil_config_serial value;
		} serials[] = {
			{"keep", SIGIL_CONFIG_SERIAL_KEEP},
			{"increment", SIGIL_CONFIG_SERIAL_INCREMENT},
			{"unixtime", SIGIL_CONFIG_SERIAL_UNIXTIME},
			{"dateserial", SIGIL_CONFIG_SERIAL_DATESERIAL},
		};
		for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]);
		     i++) {
			if (strcasecmp(text, serials[i].name) == 0) {
				policy->serial = serials[i].value;
				return SIGIL_EOK;
			}
		}
		snprintf(msg, len,
		         "'%.80s' is not a serial policy: use keep, "
		         "increment, unixtime or dateserial",
		         text);
		return SIGIL_ECONFIG;
	}
	case POLICY_KEYS:
		break;
	}
	snprintf(msg, len, "%s", sigil_strerror(SIGIL_EINVAL));
	return SIGIL_EINVAL;
}

int config_policy_check(const sigil_config_policy_t *policy,
                        const bool given[POLICY_KEYS],
                        enum config_policy_key *blame, char *msg, size_t len)
{
	static const enum config_policy_key nsec3_keys[] = {
		POLICY_NSEC3_ITERATIONS, POLICY_NSEC3_SALT,
		POLICY_NSEC3_OPT_OUT};
	char v[32], j[32];

	/* An NSEC3 setting on an NSEC zone is a sign that one of the two
	 * is not what the operator meant. */
	for (size_t i = 0; !policy->nsec3 && i < 3; i++) {
		if (given[nsec3_keys[i]]) {
			*blame = nsec3_keys[i];
			snprintf(msg, len,
			         "only for NSEC3, and this zone has denial: "
			         "nsec");
			return SIGIL_ECONFIG;
		}
	}
	/* Expirations are spread over [validity - jitter, validity]; half
	 * the validity keeps every signature far from expiring at once
	 * and from expiring soon after it is made. */
	if (2ull * policy->jitter >= policy->validity) {
		duration_str(v, sizeof(v), policy->validity);
		duration_str(j, sizeof(j), policy->jitter);
		if (given[POLICY_SIGNATURE_JITTER]) {
			*blame = POLICY_SIGNATURE_JITTER;
			snprintf(msg, len,
			         "%s is not less than half of "
			         "signature-validity (%s)",
			         j, v);
		} else {
			*blame = POLICY_SIGNATURE_VALIDITY;
			snprintf(msg, len,
			         "%s is not more than twice the default "
			         "signature-jitter (%s): set a smaller "
			         "signature-jitter",
			         v, j);
		}
		return SIGIL_ECONFIG;
	}
	return SIGIL_EOK;
}
