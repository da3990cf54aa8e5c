/* Key database: opening, errors, transactions, enum names, zones. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys/internal.h"
#include "keys/keydb.h"
#include "util/error.h"

/* ---- errors --------------------------------------------------------- */

int keydb_err(sigil_keydb_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return code;
	}
	err->sqlite_code = 0;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

int keydb_sqlerr(sqlite3 *h, int rc, sigil_keydb_error_t *err, const char *what)
{
	int code = SIGIL_EDB;

	switch (rc) {
	case SQLITE_NOMEM:
		code = SIGIL_ENOMEM;
		break;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		/* The explicit checks before each insert catch these with
		 * a better message; this is the schema's backstop. */
		code = SIGIL_EAMBIGUOUS;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		code = SIGIL_ENOTFOUND;
		break;
	default:
		break;
	}
	if (err != NULL) {
		/* sqlite3_errmsg() describes the most recent failure on h,
		 * which is rc's as long as nothing ran on h since. */
		const char *msg = h != NULL ? sqlite3_errmsg(h) : NULL;

		if (msg == NULL || *msg == '\0') {
			msg = sqlite3_errstr(rc);
		}
		snprintf(err->message, sizeof(err->message), "%s: %s", what,
		         msg);
		err->sqlite_code = rc;
	}
	return code;
}

int keydb_prepare(sigil_keydb_t *db, sqlite3_stmt **st, const char *sql,
                  sigil_keydb_error_t *err)
{
	int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return keydb_sqlerr(db->h, rc, err, "preparing a statement");
	}
	return SIGIL_EOK;
}

int keydb_exec(sqlite3 *h, const char *sql, sigil_keydb_error_t *err,
               const char *what)
{
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		return keydb_sqlerr(h, rc, err, what);
	}
	return SIGIL_EOK;
}

/* ---- names of enum values --------------------------------------------- */

static const char *const role_names[] = {NULL, "ksk", "zsk", "csk"};
static const char *const state_names[] = {NULL, "generated", "usable",
                                          "failed"};
static const char *const result_names[] = {
	NULL,
	"ok",
	"missing",
	"multiple",
	"pubkey-mismatch",
	"bad-signature",
	"local",
	"unreachable",
	"error",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v > 0 && (size_t)v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; s != NULL && i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			return (int)i;
		}
	}
	return 0;
}

const char *sigil_key_role_name(int role)
{
	return name_of(role_names, NELEM(role_names), role);
}

const char *sigil_key_state_name(int state)
{
	return name_of(state_names, NELEM(state_names), state);
}

const char *sigil_proof_result_name(int result)
{
	return name_of(result_names, NELEM(result_names), result);
}

int sigil_key_role_parse(const char *name, enum sigil_key_role *role)
{
	int v = parse_name(role_names, NELEM(role_names), name);

	if (v == 0) {
		return SIGIL_EINVAL;
	}
	*role = (enum sigil_key_role)v;
	return SIGIL_EOK;
}

int sigil_key_state_parse(const char *name, enum sigil_key_state *state)
{
	int v = parse_name(state_names, NELEM(state_names), name);

	if (v == 0) {
		return SIGIL_EINVAL;
	}
	*state = (enum sigil_key_state)v;
	return SIGIL_EOK;
}

int sigil_proof_result_parse(const char *name, enum sigil_proof_result *result)
{
	int v = parse_name(result_names, NELEM(result_names), name);

	if (v == 0) {
		return SIGIL_EINVAL;
	}
	*result = (enum sigil_proof_result)v;
	return SIGIL_EOK;
}

/* ---- zone names ------------------------------------------------------- */

int keydb_zone_canon(const char *zone, char canon[SIGIL_DNAME_TXT_MAXLEN],
                     uint8_t wire[SIGIL_DNAME_MAXLEN], sigil_keydb_error_t *err)
{
	/* The root as origin makes "example.com" mean "example.com.":
	 * operators type zone names both ways. */
	static const uint8_t root[1] = {0};

	if (zone == NULL || *zone == '\0' ||
	    sigil_dname_from_str(wire, zone, root) == 0) {
		return keydb_err(err, SIGIL_EINVAL, "invalid zone name '%s'",
		                 zone != NULL ? zone : "(null)");
	}
	sigil_dname_tolower(wire, wire);
	sigil_dname_to_str(canon, wire);
	return SIGIL_EOK;
}

/* ---- open and close ----------------------------------------------------- */

int sigil_keydb_open(const char *path, sigil_keydb_t **out,
                     sigil_keydb_error_t *err)
{
	sigil_keydb_t *db = NULL;
	int ret, rc, fd;

	if (out == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "no result pointer");
	}
	*out = NULL;
	if (path == NULL || *path == '\0') {
		return keydb_err(err, SIGIL_EINVAL, "no key database path");
	}
	/* SQLite would create the file 0644: create it ourselves so that it
	 * is private from the first byte.  SQLite gives the -wal and -shm
	 * files the mode of the database file. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		return keydb_err(err, SIGIL_EDB,
		                 "cannot open key database %s: %s", path,
		                 strerror(errno));
	}
	close(fd);

	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		return keydb_err(err, SIGIL_ENOMEM, "out of memory");
	}
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		char what[600];

		snprintf(what, sizeof(what), "cannot open key database %s",
		         path);
		ret = keydb_sqlerr(db->h, rc, err, what);
		goto out;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, KEYDB_BUSY_TIMEOUT_MS);
	/* Defensive: no writable_schema or other ways to corrupt the file
	 * through SQL; untrusted schema: no functions with side effects
	 * called from views or triggers someone else put in the file. */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	ret = keydb_schema_setup(db->h, path, err);
out:
	if (ret != SIGIL_EOK) {
		sigil_keydb_close(db);
		return ret;
	}
	*out = db;
	return SIGIL_EOK;
}

void sigil_keydb_close(sigil_keydb_t *db)
{
	if (db == NULL) {
		return;
	}
	if (db->h != NULL && !sqlite3_get_autocommit(db->h)) {
		/* SQLite would roll back as well; saying so keeps the
		 * behaviour independent of sqlite3_close details. */
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close_v2(db->h);
	free(db);
}

/* ---- transactions ----------------------------------------------------- */

/* True when the caller's transaction vanished: SQLite rolls back the
 * whole transaction itself after some errors (I/O, full disk, out of
 * memory), and continuing in autocommit mode would break the caller's
 * all-or-nothing step silently. */
static bool user_tx_lost(sigil_keydb_t *db)
{
	return db->user_tx && sqlite3_get_autocommit(db->h);
}

int sigil_keydb_begin(sigil_keydb_t *db, sigil_keydb_error_t *err)
{
	int ret;

	if (db == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "no key database");
	}
	if (db->user_tx) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "a key database transaction is already open");
	}
	ret = keydb_exec(db->h, "BEGIN IMMEDIATE", err,
	                 "beginning a transaction");
	if (ret == SIGIL_EOK) {
		db->user_tx = true;
	}
	return ret;
}

int sigil_keydb_commit(sigil_keydb_t *db, sigil_keydb_error_t *err)
{
	int ret;

	if (db == NULL || !db->user_tx) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "no key database transaction to commit");
	}
	db->user_tx = false;
	if (sqlite3_get_autocommit(db->h)) {
		return keydb_err(err, SIGIL_EDB,
		                 "the transaction was rolled back after an "
		                 "earlier error; nothing was committed");
	}
	ret = keydb_exec(db->h, "COMMIT", err, "committing");
	if (ret != SIGIL_EOK && !sqlite3_get_autocommit(db->h)) {
		/* A failed COMMIT can leave the transaction open; the
		 * contract is that nothing of it remains. */
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

int sigil_keydb_rollback(sigil_keydb_t *db, sigil_keydb_error_t *err)
{
	if (db == NULL || !db->user_tx) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "no key database transaction to roll back");
	}
	db->user_tx = false;
	if (sqlite3_get_autocommit(db->h)) {
		return SIGIL_EOK; /* SQLite already did */
	}
	return keydb_exec(db->h, "ROLLBACK", err, "rolling back");
}

int keydb_op_begin(sigil_keydb_t *db, sigil_keydb_error_t *err)
{
	if (user_tx_lost(db)) {
		return keydb_err(err, SIGIL_EDB,
		                 "the transaction was rolled back after an "
		                 "earlier error");
	}
	db->op_savepoint = db->user_tx;
	if (db->op_savepoint) {
		return keydb_exec(db->h, "SAVEPOINT sigil_op", err,
		                  "beginning a savepoint");
	}
	/* IMMEDIATE: take the write lock now.  A deferred transaction that
	 * reads first and writes later can fail with SQLITE_BUSY without
	 * waiting when another process wrote in between. */
	return keydb_exec(db->h, "BEGIN IMMEDIATE", err,
	                  "beginning a transaction");
}

int keydb_op_end(sigil_keydb_t *db, int ret, sigil_keydb_error_t *err)
{
	if (db->op_savepoint) {
		if (ret == SIGIL_EOK) {
			return keydb_exec(db->h, "RELEASE sigil_op", err,
			                  "releasing a savepoint");
		}
		/* After an automatic rollback the savepoint is gone too;
		 * the caller's commit reports that. */
		if (!sqlite3_get_autocommit(db->h)) {
			sqlite3_exec(db->h, "ROLLBACK TO sigil_op", NULL, NULL,
			             NULL);
			sqlite3_exec(db->h, "RELEASE sigil_op", NULL, NULL,
			             NULL);
		}
		return ret;
	}
	if (ret == SIGIL_EOK) {
		ret = keydb_exec(db->h, "COMMIT", err, "committing");
		if (ret == SIGIL_EOK) {
			return ret;
		}
	}
	if (!sqlite3_get_autocommit(db->h)) {
		/* The error that brought us here is the one to report. */
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

/* ---- zones ------------------------------------------------------------- */

int sigil_keydb_zones(sigil_keydb_t *db, char ***out, size_t *count,
                      sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret, rc;

	if (db == NULL || out == NULL || count == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid argument");
	}
	*out = NULL;
	*count = 0;
	ret = keydb_prepare(db, &st, "SELECT name FROM zones ORDER BY name",
	                    err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **p = realloc(names, ncap * sizeof(*p));

			if (p == NULL) {
				ret = keydb_err(err, SIGIL_ENOMEM,
				                "out of memory");
				goto out;
			}
			names = p;
			cap = ncap;
		}
		names[n] = strdup(name != NULL ? name : "");
		if (names[n] == NULL) {
			ret = keydb_err(err, SIGIL_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "listing zones");
	}
out:
	sqlite3_finalize(st);
	if (ret != SIGIL_EOK) {
		sigil_keydb_zones_free(names, n);
		return ret;
	}
	*out = names;
	*count = n;
	return SIGIL_EOK;
}

void sigil_keydb_zones_free(char **zones, size_t count)
{
	for (size_t i = 0; zones != NULL && i < count; i++) {
		free(zones[i]);
	}
	free(zones);
}
