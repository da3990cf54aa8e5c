#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "config/config.h"
#include "config/internal.h"
#include "crypto/alg.h"
#include "dns/name.h"
#include "util/arena.h"
#include "util/error.h"

/* A configuration is a few kilobytes; anything this large is some other
 * file given by mistake (a zone file), not worth reading into memory. */
#define MAX_FILE_SIZE (4u << 20)
#define MAX_NAME_LEN 64
#define MAX_FIELDS 16

struct sigil_config {
	sigil_arena_t *arena;
	const char *path;
	const char *database;
	sigil_config_hsm_t *hsms;
	size_t hsm_count;
	sigil_config_keystore_t *keystores;
	size_t keystore_count;
	sigil_config_zone_t *zones;
	size_t zone_count;
	/* every HSM then every key store: what an unlisted zone uses */
	const char **all;
	size_t all_count;
	sigil_config_policy_t default_policy; /* of an unlisted zone */
};

/* State while checking one document.  Only the first error is kept: later
 * ones are often consequences of it. */
struct parser {
	yaml_document_t *doc;
	sigil_config_t *cfg;
	sigil_config_error_t *err;
	const char *dir; /* absolute directory of the file */
	char key[256];   /* key path of what is being checked */
	size_t key_len;
	int ret;
};

/* A key a mapping may have.  A refused key is known only to be rejected
 * with a reason, rather than as a typo. */
struct field {
	const char *name;
	bool required;
	const char *refused;
};

static const char pin_refused[] =
	"a PIN must not be written in the configuration file: the file is "
	"read by many tools and people and copied into backups and version "
	"control; use pin-file: (a file of mode 0600 holding the PIN) or "
	"pin-env: (an environment variable name)";

static __attribute__((format(printf, 3, 4))) int
fail(struct parser *p, const yaml_node_t *at, const char *fmt, ...)
{
	sigil_config_error_t *err = p->err;
	size_t cap = sizeof(err->message);
	size_t n = 0;
	va_list ap;

	if (p->ret != SIGIL_EOK) {
		return p->ret;
	}
	p->ret = SIGIL_ECONFIG;
	err->line = at->start_mark.line + 1;
	err->column = at->start_mark.column + 1;
	if (p->key_len > 0) {
		n = (size_t)snprintf(err->message, cap, "%s: ", p->key);
		if (n >= cap) {
			return p->ret;
		}
	}
	va_start(ap, fmt);
	vsnprintf(err->message + n, cap - n, fmt, ap);
	va_end(ap);
	return p->ret;
}

static int fail_nomem(struct parser *p)
{
	if (p->ret == SIGIL_EOK) {
		p->ret = SIGIL_ENOMEM;
		p->err->line = 0;
		p->err->column = 0;
		snprintf(p->err->message, sizeof(p->err->message), "%s",
		         sigil_strerror(SIGIL_ENOMEM));
	}
	return p->ret;
}

/* Key paths: "hsms[2].site".  Keys come from the file and may hold any
 * character, so unprintable ones are shown as '?' to keep messages on
 * one line. */
static size_t key_enter(struct parser *p, const char *name)
{
	size_t saved = p->key_len;
	size_t n = saved;

	if (n > 0 && n < sizeof(p->key) - 1) {
		p->key[n++] = '.';
	}
	for (; *name != '\0' && n < sizeof(p->key) - 1; name++) {
		unsigned char c = (unsigned char)*name;
		p->key[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	p->key[n] = '\0';
	p->key_len = n;
	return saved;
}

static size_t key_enter_index(struct parser *p, size_t i)
{
	size_t saved = p->key_len;

	snprintf(p->key + saved, sizeof(p->key) - saved, "[%zu]", i);
	p->key_len = strlen(p->key);
	return saved;
}

static void key_leave(struct parser *p, size_t saved)
{
	p->key_len = saved;
	p->key[saved] = '\0';
}

static yaml_node_t *node_at(struct parser *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

/* libyaml does not resolve tags: a plain scalar that YAML reads as null
 * ("key:" with nothing after it, "~", "null") arrives as a string. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE) {
		return false;
	}
	if (n->tag != NULL &&
	    strcmp((const char *)n->tag, YAML_NULL_TAG) == 0) {
		return true;
	}
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		return false;
	}
	const char *v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *kind(const yaml_node_t *n)
{
	if (is_null(n)) {
		return "no value";
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a string";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Levenshtein distance ignoring case, for "did you mean" hints; long
 * words are never close to a key. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[MAX_NAME_LEN + 1];

	if (la > MAX_NAME_LEN || lb > MAX_NAME_LEN) {
		return UINT_MAX;
	}
	for (size_t j = 0; j <= lb; j++) {
		row[j] = (unsigned)j;
	}
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost =
				(a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			unsigned best = diag + cost;
			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Checks that map is a mapping whose keys are all in fields, each at most
 * once, and the required ones present; values[i] gets the value of
 * fields[i] or NULL. */
static int take_fields(struct parser *p, yaml_node_t *map,
                       const struct field *fields, size_t n,
                       yaml_node_t **values)
{
	yaml_node_t *keys[MAX_FIELDS] = {NULL};

	if (map->type != YAML_MAPPING_NODE) {
		return fail(p, map, "expected a mapping, found %s", kind(map));
	}
	for (size_t i = 0; i < n; i++) {
		values[i] = NULL;
	}
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(p, pair->key);
		if (k->type != YAML_SCALAR_NODE) {
			return fail(p, k, "a key must be a string, found %s",
			            kind(k));
		}
		const char *name = (const char *)k->data.scalar.value;
		size_t i = 0;
		while (i < n && (strcmp(fields[i].name, name) != 0 ||
		                 strlen(name) != k->data.scalar.length)) {
			i++;
		}
		size_t saved = key_enter(p, name);
		if (i == n) {
			const char *hint = NULL;
			unsigned best = 3; /* up to two edits away */
			for (size_t j = 0; j < n; j++) {
				unsigned d = distance(name, fields[j].name);
				if (fields[j].refused == NULL && d < best &&
				    d < strlen(name)) {
					best = d;
					hint = fields[j].name;
				}
			}
			if (hint != NULL) {
				fail(p, k, "unknown key (did you mean '%s'?)",
				     hint);
			} else {
				fail(p, k, "unknown key");
			}
		} else if (fields[i].refused != NULL) {
			fail(p, k, "%s", fields[i].refused);
		} else if (values[i] != NULL) {
			fail(p, k, "duplicate key (first given at line %zu)",
			     keys[i]->start_mark.line + 1);
		}
		key_leave(p, saved);
		if (p->ret != SIGIL_EOK) {
			return p->ret;
		}
		values[i] = node_at(p, pair->value);
		keys[i] = k;
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i].required && values[i] == NULL) {
			key_enter(p, fields[i].name);
			return fail(p, map, "missing");
		}
	}
	return SIGIL_EOK;
}

/* A non-empty string on one line, copied into the configuration. */
static int take_string(struct parser *p, yaml_node_t *n, const char **out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		return fail(p, n, "expected a string, found %s", kind(n));
	}
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (len == 0) {
		return fail(p, n, "empty");
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f) {
			return fail(p, n, "contains a control character");
		}
	}
	*out = sigil_arena_dup(p->cfg->arena, v, len + 1);
	return *out != NULL ? SIGIL_EOK : fail_nomem(p);
}

/* Drops empty and "." components of an absolute path, in place.  ".." is
 * kept: removing it by text would be wrong across symbolic links. */
static void path_clean(char *path)
{
	char *out = path;
	const char *in = path;

	while (*in != '\0') {
		while (*in == '/') {
			in++;
		}
		const char *end = strchrnul(in, '/');
		size_t len = (size_t)(end - in);
		if (len > 0 && !(len == 1 && in[0] == '.')) {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in = end;
	}
	if (out == path) {
		*out++ = '/';
	}
	*out = '\0';
}

/* Joins dir and a relative path into a new string in arena. */
static char *path_join(sigil_arena_t *arena, const char *dir, const char *rel)
{
	size_t ld = strlen(dir), lr = strlen(rel);
	char *s = sigil_arena_alloc_bytes(arena, ld + lr + 2);

	if (s == NULL) {
		return NULL;
	}
	memcpy(s, dir, ld);
	s[ld] = '/';
	memcpy(s + ld + 1, rel, lr + 1);
	path_clean(s);
	return s;
}

/* A path; relative ones are taken from the configuration's directory so
 * that the meaning of the file does not depend on where sigil runs. */
static int take_path(struct parser *p, yaml_node_t *n, const char **out)
{
	const char *v;

	if (take_string(p, n, &v) != SIGIL_EOK) {
		return p->ret;
	}
	if (v[0] == '/') {
		*out = v;
		return SIGIL_EOK;
	}
	*out = path_join(p->cfg->arena, p->dir, v);
	return *out != NULL ? SIGIL_EOK : fail_nomem(p);
}

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_NAME_LEN) {
		return false;
	}
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_-") == len;
}

/* Name of an HSM or key store: they share one name space because zones
 * refer to both the same way. */
static int take_store_name(struct parser *p, yaml_node_t *n, const char **out)
{
	const char *name;

	if (take_string(p, n, &name) != SIGIL_EOK) {
		return p->ret;
	}
	if (!valid_name(name)) {
		return fail(p, n,
		            "'%.80s' is not a valid name: use 1 to %d of "
		            "A-Z a-z 0-9 _ -",
		            name, MAX_NAME_LEN);
	}
	for (size_t i = 0; i < p->cfg->hsm_count; i++) {
		const sigil_config_hsm_t *h = &p->cfg->hsms[i];
		if (strcasecmp(h->name, name) == 0) {
			return fail(
				p, n,
				"duplicate name '%s' (HSM '%s' at line %lu)",
				name, h->name, h->line);
		}
	}
	for (size_t i = 0; i < p->cfg->keystore_count; i++) {
		const sigil_config_keystore_t *k = &p->cfg->keystores[i];
		if (strcasecmp(k->name, name) == 0) {
			return fail(p, n,
			            "duplicate name '%s' (key store '%s' at "
			            "line %lu)",
			            name, k->name, k->line);
		}
	}
	*out = name;
	return SIGIL_EOK;
}

/* Sequence items of n; an absent list (null) is empty when null_ok. */
static int take_list(struct parser *p, yaml_node_t *n, bool null_ok,
                     yaml_node_item_t **items, size_t *count)
{
	if (null_ok && is_null(n)) {
		*items = NULL;
		*count = 0;
		return SIGIL_EOK;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		return fail(p, n, "expected a list, found %s", kind(n));
	}
	*items = n->data.sequence.items.start;
	*count = (size_t)(n->data.sequence.items.top -
	                  n->data.sequence.items.start);
	return SIGIL_EOK;
}

static void *alloc_array(struct parser *p, size_t count, size_t size)
{
	void *a = sigil_arena_alloc(p->cfg->arena, count * size);
	if (a == NULL) {
		fail_nomem(p);
	} else {
		memset(a, 0, count * size);
	}
	return a;
}

/* Checks one value of a field and runs take on it with the key path
 * pointing at it. */
#define TAKE(p, field_name, take, node, out)                                   \
	do {                                                                   \
		size_t saved_ = key_enter((p), (field_name));                  \
		take((p), (node), (out));                                      \
		key_leave((p), saved_);                                        \
	} while (0)

static int take_hsm(struct parser *p, yaml_node_t *map, void *item)
{
	sigil_config_hsm_t *h = item;
	enum { NAME, SITE, MODULE, TOKEN, PIN_FILE, PIN_ENV, PIN, N };
	_Static_assert(N <= MAX_FIELDS, "take_fields keeps MAX_FIELDS keys");
	static const struct field fields[N] = {
		[NAME] = {"name", true, NULL},
		[SITE] = {"site", true, NULL},
		[MODULE] = {"module", true, NULL},
		[TOKEN] = {"token", true, NULL},
		[PIN_FILE] = {"pin-file", false, NULL},
		[PIN_ENV] = {"pin-env", false, NULL},
		[PIN] = {"pin", false, pin_refused},
	};
	yaml_node_t *v[N];

	if (take_fields(p, map, fields, N, v) != SIGIL_EOK) {
		return p->ret;
	}
	h->line = map->start_mark.line + 1;
	TAKE(p, "name", take_store_name, v[NAME], &h->name);
	TAKE(p, "site", take_string, v[SITE], &h->site);
	/* A bare library name is for dlopen's search path, not a file
	 * next to the configuration. */
	if (v[MODULE]->type == YAML_SCALAR_NODE &&
	    strchr((const char *)v[MODULE]->data.scalar.value, '/') == NULL) {
		TAKE(p, "module", take_string, v[MODULE], &h->module);
	} else {
		TAKE(p, "module", take_path, v[MODULE], &h->module);
	}
	TAKE(p, "token", take_string, v[TOKEN], &h->uri);
	if (p->ret != SIGIL_EOK) {
		return p->ret;
	}
	if (strncasecmp(h->uri, "pkcs11:", 7) != 0) {
		size_t saved = key_enter(p, "token");
		fail(p, v[TOKEN],
		     "'%.80s' is not a PKCS#11 URI (RFC 7512): it must start "
		     "with \"pkcs11:\"",
		     h->uri);
		key_leave(p, saved);
		return p->ret;
	}

	if (v[PIN_FILE] != NULL && v[PIN_ENV] != NULL) {
		/* point at whichever comes second */
		bool env_last = v[PIN_ENV]->start_mark.index >
		                v[PIN_FILE]->start_mark.index;
		size_t saved = key_enter(p, env_last ? "pin-env" : "pin-file");
		fail(p, env_last ? v[PIN_ENV] : v[PIN_FILE],
		     "%s is given too: give exactly one of pin-file and "
		     "pin-env",
		     env_last ? "pin-file" : "pin-env");
		key_leave(p, saved);
		return p->ret;
	}
	if (v[PIN_FILE] == NULL && v[PIN_ENV] == NULL) {
		return fail(p, map,
		            "missing pin-file or pin-env: the PIN comes from a "
		            "file or an environment variable");
	}
	if (v[PIN_FILE] != NULL) {
		TAKE(p, "pin-file", take_path, v[PIN_FILE], &h->pin_file);
		return p->ret;
	}
	size_t saved = key_enter(p, "pin-env");
	if (take_string(p, v[PIN_ENV], &h->pin_env) == SIGIL_EOK) {
		const char *e = h->pin_env;
		bool ok = !(e[0] >= '0' && e[0] <= '9') &&
		          strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                    "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		                  strlen(e);
		if (!ok) {
			fail(p, v[PIN_ENV],
			     "'%.80s' is not an environment variable name "
			     "(letters, digits and _, not starting with a "
			     "digit)",
			     e);
		}
	}
	key_leave(p, saved);
	return p->ret;
}

static int take_keystore(struct parser *p, yaml_node_t *map, void *item)
{
	sigil_config_keystore_t *k = item;
	enum { NAME, DIRECTORY, N };
	_Static_assert(N <= MAX_FIELDS, "take_fields keeps MAX_FIELDS keys");
	static const struct field fields[N] = {
		[NAME] = {"name", true, NULL},
		[DIRECTORY] = {"directory", true, NULL},
	};
	yaml_node_t *v[N];

	if (take_fields(p, map, fields, N, v) != SIGIL_EOK) {
		return p->ret;
	}
	k->line = map->start_mark.line + 1;
	TAKE(p, "name", take_store_name, v[NAME], &k->name);
	TAKE(p, "directory", take_path, v[DIRECTORY], &k->directory);
	return p->ret;
}

/* "13", "ECDSAP256SHA256" or "ecdsap256sha256"; only algorithms sigil
 * signs with. */
static int take_algorithm(struct parser *p, yaml_node_t *n, uint8_t *out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		return fail(p, n,
		            "expected an algorithm mnemonic or number, found "
		            "%s",
		            kind(n));
	}
	const char *s;
	uint8_t alg;
	if (take_string(p, n, &s) != SIGIL_EOK) {
		return p->ret;
	}
	if (!sigil_alg_parse(s, &alg)) {
		return fail(p, n,
		            "'%.80s' is not an algorithm (a mnemonic or a "
		            "number from 0 to 255)",
		            s);
	}
	if (!sigil_alg_can_sign(alg)) {
		const char *name = sigil_alg_name(alg);
		return fail(p, n,
		            "algorithm %s (%u) cannot be used for signing; "
		            "use one of %s",
		            name ? name : "unassigned", (unsigned)alg,
		            sigil_alg_sign_list());
	}
	*out = alg;
	return SIGIL_EOK;
}

/* A zone's store list: names defined above, each once.  The stored
 * pointers are the definitions' own names. */
static int take_zone_stores(struct parser *p, yaml_node_t *n,
                            sigil_config_zone_t *z)
{
	yaml_node_item_t *items = NULL;
	size_t count = 0;

	/* An empty list would mean "no HSM" or "all HSMs" depending on who
	 * reads it: refuse it and say how to get all. */
	if (is_null(n) ||
	    (n->type == YAML_SEQUENCE_NODE &&
	     n->data.sequence.items.top == n->data.sequence.items.start)) {
		return fail(p, n,
		            "empty: list at least one HSM or key store, or "
		            "leave hsms out to use all of them");
	}
	if (take_list(p, n, false, &items, &count) != SIGIL_EOK) {
		return p->ret;
	}
	const char **stores = alloc_array(p, count, sizeof(*stores));
	if (stores == NULL) {
		return p->ret;
	}
	for (size_t i = 0; i < count && p->ret == SIGIL_EOK; i++) {
		yaml_node_t *item = node_at(p, items[i]);
		size_t saved = key_enter_index(p, i);
		const char *name;
		if (take_string(p, item, &name) == SIGIL_EOK) {
			size_t j = 0;
			while (j < p->cfg->all_count &&
			       strcmp(p->cfg->all[j], name) != 0) {
				j++;
			}
			if (j == p->cfg->all_count) {
				char known[256];
				size_t len = 0;
				known[0] = '\0';
				for (size_t k = 0; k < p->cfg->all_count &&
				                   len < sizeof(known);
				     k++) {
					len += (size_t)snprintf(
						known + len,
						sizeof(known) - len, "%s%s",
						k ? ", " : "", p->cfg->all[k]);
				}
				fail(p, item,
				     "unknown HSM or key store '%.80s' "
				     "(defined: %s)",
				     name, known);
			} else {
				for (size_t k = 0; k < i; k++) {
					if (stores[k] == p->cfg->all[j]) {
						fail(p, item,
						     "'%s' is listed twice",
						     name);
					}
				}
				stores[i] = p->cfg->all[j];
			}
		}
		key_leave(p, saved);
	}
	z->stores = stores;
	z->store_count = count;
	return p->ret;
}

/* Zone names are absolute with or without their trailing dot (as
 * operators write them in other tools' configurations); "@" means nothing
 * without a zone file's origin.  Returns the wire length or 0. */
static size_t zone_name_parse(uint8_t wire[SIGIL_DNAME_MAXLEN],
                              const char *text)
{
	static const uint8_t root[1] = {0};

	if (strcmp(text, "@") == 0) {
		return 0;
	}
	return sigil_dname_from_str(wire, text, root);
}

/* The signing policy keys of a zone (v: their values or NULL, in the
 * order of enum config_policy_key; policy.c gives their meaning): the
 * defaults, then each key given, then the keys against each other. */
static int take_policy(struct parser *p, yaml_node_t *map,
                       yaml_node_t *const *v, sigil_config_policy_t *policy)
{
	bool given[POLICY_KEYS];
	enum config_policy_key blame;
	char msg[256];

	sigil_config_policy_default(policy);
	for (int k = 0; k < POLICY_KEYS; k++) {
		given[k] = v[k] != NULL;
	}
	for (int k = 0; k < POLICY_KEYS && p->ret == SIGIL_EOK; k++) {
		const char *text;
		if (v[k] == NULL) {
			continue;
		}
		size_t saved = key_enter(p, config_policy_names[k]);
		if (v[k]->type != YAML_SCALAR_NODE || is_null(v[k])) {
			fail(p, v[k], "expected %s, found %s",
			     config_policy_expects[k], kind(v[k]));
		} else if (take_string(p, v[k], &text) == SIGIL_EOK &&
		           config_policy_set(policy, (enum config_policy_key)k,
		                             text, msg,
		                             sizeof(msg)) != SIGIL_EOK) {
			fail(p, v[k], "%s", msg);
		}
		key_leave(p, saved);
	}
	if (p->ret == SIGIL_EOK &&
	    config_policy_check(policy, given, &blame, msg, sizeof(msg)) !=
	            SIGIL_EOK) {
		size_t saved = key_enter(p, config_policy_names[blame]);
		fail(p, v[blame] != NULL ? v[blame] : map, "%s", msg);
		key_leave(p, saved);
	}
	return p->ret;
}

static int take_zone(struct parser *p, yaml_node_t *map, void *item)
{
	sigil_config_zone_t *z = item;
	enum { NAME, HSMS, ALGORITHM, POLICY, N = POLICY + POLICY_KEYS };
	_Static_assert(N <= MAX_FIELDS, "take_fields keeps MAX_FIELDS keys");
	struct field fields[N] = {
		[NAME] = {"name", true, NULL},
		[HSMS] = {"hsms", false, NULL},
		[ALGORITHM] = {"algorithm", false, NULL},
	};
	yaml_node_t *v[N];
	const char *text;
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	char canon[SIGIL_DNAME_TXT_MAXLEN];

	for (int k = 0; k < POLICY_KEYS; k++) {
		fields[POLICY + k] =
			(struct field){config_policy_names[k], false, NULL};
	}
	if (take_fields(p, map, fields, N, v) != SIGIL_EOK) {
		return p->ret;
	}
	z->line = map->start_mark.line + 1;
	size_t saved = key_enter(p, "name");
	if (take_string(p, v[NAME], &text) != SIGIL_EOK) {
		goto out;
	}
	size_t len = zone_name_parse(wire, text);
	if (len == 0 || sigil_dname_is_wildcard(wire)) {
		fail(p, v[NAME], "'%.80s' is not a valid zone name", text);
		goto out;
	}
	sigil_dname_tolower(wire, wire);
	sigil_dname_to_str(canon, wire);
	for (size_t i = 0; i < p->cfg->zone_count; i++) {
		if (sigil_dname_equal(p->cfg->zones[i].dname, wire)) {
			fail(p, v[NAME],
			     "zone %s is listed twice (first at line %lu)",
			     canon, p->cfg->zones[i].line);
			goto out;
		}
	}
	z->dname = sigil_arena_dup(p->cfg->arena, wire, len);
	z->name = sigil_arena_dup(p->cfg->arena, canon, strlen(canon) + 1);
	if (z->dname == NULL || z->name == NULL) {
		fail_nomem(p);
		goto out;
	}
	key_leave(p, saved);

	if (v[HSMS] != NULL) {
		saved = key_enter(p, "hsms");
		take_zone_stores(p, v[HSMS], z);
		key_leave(p, saved);
	} else {
		z->stores = p->cfg->all;
		z->store_count = p->cfg->all_count;
	}
	if (v[ALGORITHM] != NULL) {
		TAKE(p, "algorithm", take_algorithm, v[ALGORITHM],
		     &z->algorithm);
	}
	if (p->ret == SIGIL_EOK) {
		take_policy(p, map, v + POLICY, &z->policy);
	}
	return p->ret;
out:
	key_leave(p, saved);
	return p->ret;
}

typedef int (*take_item_fn)(struct parser *p, yaml_node_t *n, void *item);

/* Room for the items of a list node (NULL when it is no list or empty).
 * Allocated before the items are checked, so that each item's name check
 * can see the items before it. */
static void *alloc_items(struct parser *p, const yaml_node_t *n, size_t size)
{
	if (n == NULL || n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start) {
		return NULL;
	}
	return alloc_array(p,
	                   (size_t)(n->data.sequence.items.top -
	                            n->data.sequence.items.start),
	                   size);
}

/* Checks a list of mappings under key with take, into array (from
 * alloc_items); counts only complete items in *count, so that name checks
 * never see a half-filled one. */
static int take_items(struct parser *p, const char *key, yaml_node_t *n,
                      void *array, size_t size, take_item_fn take,
                      size_t *count)
{
	yaml_node_item_t *items = NULL;
	size_t total = 0;
	size_t saved = key_enter(p, key);

	if (take_list(p, n, true, &items, &total) == SIGIL_EOK &&
	    array != NULL) {
		for (size_t i = 0; i < total && p->ret == SIGIL_EOK; i++) {
			size_t s = key_enter_index(p, i);
			if (take(p, node_at(p, items[i]),
			         (char *)array + i * size) == SIGIL_EOK) {
				(*count)++;
			}
			key_leave(p, s);
		}
	}
	key_leave(p, saved);
	return p->ret;
}

static int take_root(struct parser *p, yaml_node_t *root)
{
	enum { DATABASE, HSMS, KEYSTORES, ZONES, N };
	_Static_assert(N <= MAX_FIELDS, "take_fields keeps MAX_FIELDS keys");
	static const struct field fields[N] = {
		[DATABASE] = {"database", true, NULL},
		[HSMS] = {"hsms", false, NULL},
		[KEYSTORES] = {"keystores", false, NULL},
		[ZONES] = {"zones", false, NULL},
	};
	sigil_config_t *cfg = p->cfg;
	yaml_node_t *v[N];

	if (take_fields(p, root, fields, N, v) != SIGIL_EOK) {
		return p->ret;
	}
	TAKE(p, "database", take_path, v[DATABASE], &cfg->database);
	if (v[HSMS] != NULL && p->ret == SIGIL_EOK) {
		cfg->hsms = alloc_items(p, v[HSMS], sizeof(*cfg->hsms));
		take_items(p, "hsms", v[HSMS], cfg->hsms, sizeof(*cfg->hsms),
		           take_hsm, &cfg->hsm_count);
	}
	if (v[KEYSTORES] != NULL && p->ret == SIGIL_EOK) {
		cfg->keystores =
			alloc_items(p, v[KEYSTORES], sizeof(*cfg->keystores));
		take_items(p, "keystores", v[KEYSTORES], cfg->keystores,
		           sizeof(*cfg->keystores), take_keystore,
		           &cfg->keystore_count);
	}
	if (p->ret != SIGIL_EOK) {
		return p->ret;
	}
	if (cfg->hsm_count + cfg->keystore_count == 0) {
		return fail(p, root,
		            "no HSM and no key store: define at least one "
		            "under hsms or keystores");
	}

	cfg->all_count = cfg->hsm_count + cfg->keystore_count;
	cfg->all = alloc_array(p, cfg->all_count, sizeof(*cfg->all));
	if (cfg->all == NULL) {
		return p->ret;
	}
	for (size_t i = 0; i < cfg->hsm_count; i++) {
		cfg->all[i] = cfg->hsms[i].name;
	}
	for (size_t i = 0; i < cfg->keystore_count; i++) {
		cfg->all[cfg->hsm_count + i] = cfg->keystores[i].name;
	}

	if (v[ZONES] != NULL) {
		cfg->zones = alloc_items(p, v[ZONES], sizeof(*cfg->zones));
		take_items(p, "zones", v[ZONES], cfg->zones,
		           sizeof(*cfg->zones), take_zone, &cfg->zone_count);
	}
	return p->ret;
}

/* Reads the whole file: libyaml then parses from memory, and a read error
 * is told apart from a syntax error. */
static int read_file(const char *path, char **data, size_t *len,
                     sigil_config_error_t *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int ret = SIGIL_EOK;

	if (f == NULL) {
		snprintf(err->message, sizeof(err->message), "%s",
		         strerror(errno));
		return SIGIL_EIO;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE_SIZE) {
				snprintf(err->message, sizeof(err->message),
				         "larger than %u bytes: not a sigil "
				         "configuration",
				         MAX_FILE_SIZE);
				ret = SIGIL_ECONFIG;
				break;
			}
			cap = cap ? cap * 2 : 4096;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				snprintf(err->message, sizeof(err->message),
				         "%s", sigil_strerror(SIGIL_ENOMEM));
				ret = SIGIL_ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err->message, sizeof(err->message),
				         "%s", strerror(errno));
				ret = SIGIL_EIO;
			}
			break;
		}
	}
	fclose(f);
	if (ret != SIGIL_EOK) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = n;
	return SIGIL_EOK;
}

/* Absolute directory of the configuration file, without resolving
 * symbolic links: relative paths in it are meant next to the name the
 * operator gave. */
static char *config_dir(sigil_arena_t *arena, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	char *cwd = NULL;
	char *dir;

	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL) {
			return NULL;
		}
	}
	size_t clen = cwd ? strlen(cwd) : 0;
	dir = sigil_arena_alloc_bytes(arena, clen + dlen + 3);
	if (dir != NULL) {
		memcpy(dir, cwd ? cwd : "", clen);
		dir[clen] = '/';
		memcpy(dir + clen + 1, path, dlen);
		dir[clen + 1 + dlen] = '\0';
		path_clean(dir);
	}
	free(cwd);
	return dir;
}

/* libyaml reports reader errors (bad UTF-8) by byte offset only. */
static void offset_position(const char *data, size_t offset,
                            sigil_config_error_t *err)
{
	err->line = 1;
	err->column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			err->line++;
			err->column = 1;
		} else {
			err->column++;
		}
	}
}

static int yaml_failed(const yaml_parser_t *parser, const char *data,
                       sigil_config_error_t *err)
{
	if (parser->error == YAML_MEMORY_ERROR) {
		snprintf(err->message, sizeof(err->message), "%s",
		         sigil_strerror(SIGIL_ENOMEM));
		return SIGIL_ENOMEM;
	}
	if (parser->error == YAML_READER_ERROR) {
		offset_position(data, parser->problem_offset, err);
	} else {
		err->line = parser->problem_mark.line + 1;
		err->column = parser->problem_mark.column + 1;
	}
	const char *problem = parser->problem ? parser->problem : "error";
	if (parser->context != NULL) {
		snprintf(err->message, sizeof(err->message),
		         "YAML syntax error: %s (%s at line %zu)", problem,
		         parser->context, parser->context_mark.line + 1);
	} else {
		snprintf(err->message, sizeof(err->message),
		         "YAML syntax error: %s", problem);
	}
	return SIGIL_ECONFIG;
}

int sigil_config_load(const char *path, sigil_config_t **out,
                      sigil_config_error_t *err)
{
	sigil_config_error_t scratch;
	sigil_config_t *cfg = NULL;
	char *data = NULL;
	size_t len = 0;
	yaml_parser_t parser;
	yaml_document_t doc, next;
	bool have_parser = false, have_doc = false;
	struct parser p = {.ret = SIGIL_EOK};
	int ret;

	if (err == NULL) {
		err = &scratch;
	}
	*out = NULL;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);

	ret = read_file(path, &data, &len, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = SIGIL_ENOMEM;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->arena = sigil_arena_new(16384)) == NULL ||
	    (cfg->path = sigil_arena_dup(cfg->arena, path, strlen(path) + 1)) ==
	            NULL) {
		snprintf(err->message, sizeof(err->message), "%s",
		         sigil_strerror(ret));
		goto out;
	}
	sigil_config_policy_default(&cfg->default_policy);
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err->message, sizeof(err->message), "%s",
		         sigil_strerror(ret));
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = yaml_failed(&parser, data, err);
		goto out;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root)) {
		snprintf(err->message, sizeof(err->message),
		         "empty: a configuration needs at least database and "
		         "one HSM or key store");
		ret = SIGIL_ECONFIG;
		goto out;
	}
	/* A second document would be silently ignored otherwise. */
	if (!yaml_parser_load(&parser, &next)) {
		ret = yaml_failed(&parser, data, err);
		goto out;
	}
	yaml_node_t *extra = yaml_document_get_root_node(&next);
	if (extra != NULL) {
		err->line = extra->start_mark.line + 1;
		err->column = extra->start_mark.column + 1;
		snprintf(err->message, sizeof(err->message),
		         "a second YAML document: the configuration is one "
		         "document");
		yaml_document_delete(&next);
		ret = SIGIL_ECONFIG;
		goto out;
	}
	yaml_document_delete(&next);

	p.doc = &doc;
	p.cfg = cfg;
	p.err = err;
	p.dir = config_dir(cfg->arena, path);
	if (p.dir == NULL) {
		ret = errno == ENOMEM ? SIGIL_ENOMEM : SIGIL_EIO;
		snprintf(err->message, sizeof(err->message),
		         "cannot find the directory of the file: %s",
		         strerror(errno));
		goto out;
	}
	ret = take_root(&p, root);
out:
	if (have_doc) {
		yaml_document_delete(&doc);
	}
	if (have_parser) {
		yaml_parser_delete(&parser);
	}
	free(data);
	if (ret != SIGIL_EOK) {
		sigil_config_free(cfg);
		return ret;
	}
	err->message[0] = '\0';
	*out = cfg;
	return SIGIL_EOK;
}

void sigil_config_free(sigil_config_t *cfg)
{
	if (cfg == NULL) {
		return;
	}
	sigil_arena_free(cfg->arena);
	free(cfg);
}

char *sigil_config_error_str(char *out, size_t len,
                             const sigil_config_error_t *err)
{
	if (len == 0) {
		return out;
	}
	if (err->line > 0) {
		snprintf(out, len, "%s:%lu:%lu: %s", err->file, err->line,
		         err->column, err->message);
	} else {
		snprintf(out, len, "%s: %s", err->file, err->message);
	}
	return out;
}

const char *sigil_config_path(const sigil_config_t *cfg)
{
	return cfg->path;
}

const char *sigil_config_database(const sigil_config_t *cfg)
{
	return cfg->database;
}

size_t sigil_config_hsm_count(const sigil_config_t *cfg)
{
	return cfg->hsm_count;
}

const sigil_config_hsm_t *sigil_config_hsm(const sigil_config_t *cfg, size_t i)
{
	return i < cfg->hsm_count ? &cfg->hsms[i] : NULL;
}

const sigil_config_hsm_t *sigil_config_hsm_find(const sigil_config_t *cfg,
                                                const char *name)
{
	for (size_t i = 0; i < cfg->hsm_count; i++) {
		if (strcmp(cfg->hsms[i].name, name) == 0) {
			return &cfg->hsms[i];
		}
	}
	return NULL;
}

size_t sigil_config_keystore_count(const sigil_config_t *cfg)
{
	return cfg->keystore_count;
}

const sigil_config_keystore_t *sigil_config_keystore(const sigil_config_t *cfg,
                                                     size_t i)
{
	return i < cfg->keystore_count ? &cfg->keystores[i] : NULL;
}

const sigil_config_keystore_t *
sigil_config_keystore_find(const sigil_config_t *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->keystore_count; i++) {
		if (strcmp(cfg->keystores[i].name, name) == 0) {
			return &cfg->keystores[i];
		}
	}
	return NULL;
}

size_t sigil_config_zone_count(const sigil_config_t *cfg)
{
	return cfg->zone_count;
}

const sigil_config_zone_t *sigil_config_zone(const sigil_config_t *cfg,
                                             size_t i)
{
	return i < cfg->zone_count ? &cfg->zones[i] : NULL;
}

const sigil_config_zone_t *sigil_config_zone_find(const sigil_config_t *cfg,
                                                  const char *zone)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN];

	if (zone_name_parse(wire, zone) == 0) {
		return NULL;
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		if (sigil_dname_equal(cfg->zones[i].dname, wire)) {
			return &cfg->zones[i];
		}
	}
	return NULL;
}

int sigil_config_zone_stores(const sigil_config_t *cfg, const char *zone,
                             const char *const **names, size_t *count)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN];

	if (zone_name_parse(wire, zone) == 0) {
		return SIGIL_EINVAL;
	}
	const sigil_config_zone_t *z = sigil_config_zone_find(cfg, zone);
	if (z != NULL) {
		*names = z->stores;
		*count = z->store_count;
	} else {
		*names = cfg->all;
		*count = cfg->all_count;
	}
	return SIGIL_EOK;
}

int sigil_config_zone_policy(const sigil_config_t *cfg, const char *zone,
                             const sigil_config_policy_t **policy)
{
	uint8_t wire[SIGIL_DNAME_MAXLEN];

	if (zone_name_parse(wire, zone) == 0) {
		return SIGIL_EINVAL;
	}
	const sigil_config_zone_t *z = sigil_config_zone_find(cfg, zone);
	*policy = z != NULL ? &z->policy : &cfg->default_policy;
	return SIGIL_EOK;
}
