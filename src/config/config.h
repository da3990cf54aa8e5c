/* sigil configuration file: HSMs, software key stores, zones and the key
 * database, in YAML (parsed with libyaml).
 *
 * Schema (every key below is known; any other key is an error, so that a
 * typo never passes silently; a key given twice is an error):
 *
 *   database: /var/lib/sigil/keys.db   # key database (SQLite), required
 *   hsms:                              # PKCS#11 tokens
 *     - name: hsm1                     # required, [A-Za-z0-9_-]{1,64}
 *       site: dc1                      # required, data centre
 *       module: /usr/lib/softhsm/libsofthsm2.so   # required
 *       token: "pkcs11:token=hsm1;serial=0123456789abcdef"  # required
 *       pin-file: /etc/sigil/pin       # exactly one of pin-file ...
 *       pin-env: SIGIL_PIN_HSM1        # ... and pin-env
 *   keystores:                         # software key stores (PKCS#8 files)
 *     - name: soft                     # required, as for HSMs
 *       directory: /var/lib/sigil/keys # required
 *   zones:                             # optional
 *     - name: example.                 # required; the final dot is optional
 *       hsms: [hsm1, hsm2, hsm3]       # optional, default: all stores
 *       algorithm: ECDSAP256SHA256     # optional, mnemonic or number
 *       denial: nsec3                  # optional: nsec | nsec3 (default)
 *       nsec3-iterations: 0            # optional, 0 to 100, default 0
 *       nsec3-salt: "-"                # optional: - (none, default) or hex
 *       nsec3-opt-out: false           # optional, default false
 *       signature-validity: 14d        # optional, default 14d, >= 1h
 *       signature-jitter: 1d           # optional, default 1d
 *       inception-offset: 1h           # optional, default 1h
 *       serial: increment              # optional: keep | increment
 *                                      #   (default) | unixtime | dateserial
 *       zonemd: false                  # optional, default false
 *
 * Rules:
 * - At least one HSM or key store.  Names are unique among HSMs and key
 *   stores together (compared without regard to case, since they end up
 *   in metrics and messages where "HSM1" and "hsm1" would be confused).
 *   `hsms`, `keystores` and `zones` may be empty or left without a value.
 * - PINs are never in this file: `pin-file` names a file holding the PIN,
 *   `pin-env` an environment variable.  A `pin` key is refused.  Neither
 *   is read here: commands that never log in do not need the secret.
 * - `token` is an RFC 7512 PKCS#11 URI; only its "pkcs11:" scheme is
 *   checked here, the HSM layer parses the rest.
 * - Relative paths (database, pin-file, directory, and a module given
 *   with a '/') are relative to the directory of the configuration file,
 *   so a generated configuration works from any working directory; they
 *   are made absolute at load time.  A module without '/' is a library
 *   name for dlopen(3) to find and is kept as written.
 * - A zone's `hsms` lists HSM and key store names (each defined above,
 *   each once).  A zone that is not listed, or listed without `hsms`,
 *   uses every HSM and key store.  `algorithm` must be one sigil signs
 *   with (crypto/alg.h: sigil_alg_can_sign).
 * - The signing policy keys of a zone (denial ... zonemd) are optional;
 *   a zone that is not listed gets every default.  Durations are a whole
 *   number with an optional unit s, m, h, d or w ("14d", "3600"), at
 *   most 3650d.  signature-jitter must be less than half of
 *   signature-validity.  The nsec3-* keys are refused with denial: nsec,
 *   where they would mean nothing.  An NSEC3 salt is at most 255 bytes.
 * - One YAML document per file.  Anchors and aliases may be used.
 *
 * Errors name the file, line and column and the key path, with list
 * positions counted from 0: "sigil.conf:12:5: hsms[2].site: missing".
 *
 * A loaded configuration is immutable and may be read from any number of
 * threads at once.  All strings it returns live as long as it does.
 */
#ifndef SIGIL_CONFIG_CONFIG_H
#define SIGIL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_CONFIG_DEFAULT_PATH "/etc/sigil/sigil.conf"

typedef struct sigil_config sigil_config_t;

/* Where and why loading failed.  line and column count from 1; both are 0
 * when the error has no position (unreadable or empty file). */
typedef struct {
	char file[1024]; /* the path as given to sigil_config_load */
	unsigned long line;
	unsigned long column;
	char message[512]; /* "hsms[2].site: missing" */
} sigil_config_error_t;

/* A PKCS#11 token.  Exactly one of pin_file and pin_env is set. */
typedef struct {
	const char *name;
	const char *site;
	const char *module;   /* absolute path, or a bare library name */
	const char *uri;      /* RFC 7512 PKCS#11 URI selecting the token */
	const char *pin_file; /* absolute path, or NULL */
	const char *pin_env;  /* environment variable name, or NULL */
	unsigned long line;   /* where it is defined, for later messages */
} sigil_config_hsm_t;

/* A software key store: a directory of PKCS#8 files. */
typedef struct {
	const char *name;
	const char *directory; /* absolute path */
	unsigned long line;
} sigil_config_keystore_t;

/* How a zone's SOA serial is set when it is signed. */
enum sigil_config_serial {
	SIGIL_CONFIG_SERIAL_KEEP = 1,   /* as in the input */
	SIGIL_CONFIG_SERIAL_INCREMENT,  /* input + 1 (RFC 1982) */
	SIGIL_CONFIG_SERIAL_UNIXTIME,   /* seconds since the epoch */
	SIGIL_CONFIG_SERIAL_DATESERIAL, /* YYYYMMDDnn */
};

/* Bounds of the policy keys. */
#define SIGIL_CONFIG_NSEC3_ITERATIONS_MAX 100
#define SIGIL_CONFIG_VALIDITY_MIN 3600u            /* 1h */
#define SIGIL_CONFIG_DURATION_MAX (3650u * 86400u) /* 3650d */

/* How a zone is signed.  The fields have the names and meanings of
 * sign/sign.h's sigil_sign_policy_t and the serial values those of its
 * enum sigil_serial_policy, so that a command copies one into the other
 * field by field; this header does not depend on the signer. */
typedef struct {
	bool nsec3; /* denial: nsec3 (else nsec) */
	uint16_t nsec3_iterations;
	uint8_t nsec3_salt[255];
	uint8_t nsec3_salt_len;
	bool nsec3_opt_out;
	uint32_t validity;         /* signature-validity, seconds */
	uint32_t jitter;           /* signature-jitter, < validity / 2 */
	uint32_t inception_offset; /* inception-offset, seconds */
	enum sigil_config_serial serial;
	bool zonemd;
} sigil_config_policy_t;

/* The defaults: NSEC3 with 0 iterations, no salt and no opt-out (RFC
 * 9276); signatures valid 14 days, expirations spread over 1 day,
 * inception 1 hour in the past; serial increment; no ZONEMD. */
void sigil_config_policy_default(sigil_config_policy_t *policy);

typedef struct {
	const char *name;          /* lowercase, with the trailing dot */
	const uint8_t *dname;      /* the same in wire form */
	const char *const *stores; /* HSM and key store names it uses */
	size_t store_count;
	uint8_t algorithm;            /* 0: not set (the policy decides) */
	sigil_config_policy_t policy; /* defaults for keys not given */
	unsigned long line;
} sigil_config_zone_t;

/* Reads and checks the configuration at path.  Returns SIGIL_EOK and a new
 * configuration in *out, or: SIGIL_EIO (the file cannot be read),
 * SIGIL_ECONFIG (not valid: err says where and why), SIGIL_ENOMEM.  err
 * is filled on every failure; *out is NULL then. */
int sigil_config_load(const char *path, sigil_config_t **out,
                      sigil_config_error_t *err);
void sigil_config_free(sigil_config_t *cfg);

/* Formats err as "file:line:column: message" (or "file: message" when it
 * has no position) into out; returns out. */
char *sigil_config_error_str(char *out, size_t len,
                             const sigil_config_error_t *err);

/* The path the configuration was loaded from, as given. */
const char *sigil_config_path(const sigil_config_t *cfg);
/* Absolute path of the key database. */
const char *sigil_config_database(const sigil_config_t *cfg);

/* HSMs in the order of the file; i < count. */
size_t sigil_config_hsm_count(const sigil_config_t *cfg);
const sigil_config_hsm_t *sigil_config_hsm(const sigil_config_t *cfg, size_t i);
/* The HSM of that name (exact match), or NULL. */
const sigil_config_hsm_t *sigil_config_hsm_find(const sigil_config_t *cfg,
                                                const char *name);

/* Software key stores in the order of the file; i < count. */
size_t sigil_config_keystore_count(const sigil_config_t *cfg);
const sigil_config_keystore_t *sigil_config_keystore(const sigil_config_t *cfg,
                                                     size_t i);
const sigil_config_keystore_t *
sigil_config_keystore_find(const sigil_config_t *cfg, const char *name);

/* Configured zones in the order of the file; i < count. */
size_t sigil_config_zone_count(const sigil_config_t *cfg);
const sigil_config_zone_t *sigil_config_zone(const sigil_config_t *cfg,
                                             size_t i);
/* The configured zone of that name (presentation form, case and trailing
 * dot do not matter), or NULL when it is not configured or not a name. */
const sigil_config_zone_t *sigil_config_zone_find(const sigil_config_t *cfg,
                                                  const char *zone);

/* Names of the HSMs and key stores zone uses: its list when it is
 * configured with one, else every HSM (file order) then every key store.
 * Sets *names (owned by cfg) and *count; returns SIGIL_EOK, or
 * SIGIL_EINVAL when zone is not a domain name. */
int sigil_config_zone_stores(const sigil_config_t *cfg, const char *zone,
                             const char *const **names, size_t *count);

/* Signing policy of zone: its own when it is configured, else the
 * defaults (sigil_config_policy_default).  Sets *policy (owned by cfg);
 * returns SIGIL_EOK, or SIGIL_EINVAL when zone is not a domain name. */
int sigil_config_zone_policy(const sigil_config_t *cfg, const char *zone,
                             const sigil_config_policy_t **policy);

#endif
