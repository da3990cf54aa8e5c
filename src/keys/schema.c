/* Key database schema: identity check, WAL, versioned migrations.
 *
 * PRAGMA user_version holds the schema version and application_id marks
 * the file as sigil's.  migrations[v] brings a database from version v to
 * v + 1; all steps up to SIGIL_KEYDB_SCHEMA_VERSION run in one transaction
 * together with the new user_version, so a crash during a migration leaves
 * the old schema intact.  A schema is never edited once released: a change
 * is a new migration.
 */
#include <stdio.h>
#include <strings.h>

#include "keys/internal.h"
#include "keys/keydb.h"
#include "util/error.h"

/* Version 1.  Key tag and CKA_ID are unique per zone over keys of every
 * state (I2: a retired key's tag stays taken).  Zones are never deleted,
 * so keys need no ON DELETE rule for them; copies go with their key.
 * STRICT: a value of the wrong type is an error, not a silent
 * conversion. */
static const char schema_v1[] =
	"CREATE TABLE zones (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	name TEXT NOT NULL UNIQUE\n"
	"		CHECK (length(name) > 0 AND substr(name, -1) = '.'\n"
	"		       AND name = lower(name))\n"
	") STRICT;\n"
	"CREATE TABLE keys (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	zone_id INTEGER NOT NULL REFERENCES zones (id),\n"
	"	role TEXT NOT NULL CHECK (role IN ('ksk', 'zsk', 'csk')),\n"
	"	algorithm INTEGER NOT NULL CHECK (algorithm BETWEEN 1 AND "
	"255),\n"
	"	bits INTEGER NOT NULL CHECK (bits > 0),\n"
	"	flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),\n"
	"	key_tag INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),\n"
	"	dnskey BLOB NOT NULL CHECK (length(dnskey) > 4),\n"
	"	ds_sha256 BLOB NOT NULL CHECK (length(ds_sha256) = 32),\n"
	"	cka_id BLOB NOT NULL CHECK (length(cka_id) BETWEEN 1 AND "
	"256),\n"
	"	state TEXT NOT NULL\n"
	"		CHECK (state IN ('generated', 'usable', 'failed')),\n"
	"	created INTEGER NOT NULL,\n"
	"	published INTEGER,\n"
	"	active INTEGER,\n"
	"	retired INTEGER,\n"
	"	removed INTEGER,\n"
	"	UNIQUE (zone_id, key_tag),\n"
	"	UNIQUE (zone_id, cka_id)\n"
	") STRICT;\n"
	"CREATE TABLE copies (\n"
	"	key_id INTEGER NOT NULL REFERENCES keys (id) ON DELETE "
	"CASCADE,\n"
	"	hsm TEXT NOT NULL CHECK (length(hsm) BETWEEN 1 AND 255),\n"
	"	present INTEGER NOT NULL CHECK (present IN (0, 1)),\n"
	"	local INTEGER NOT NULL CHECK (local IN (0, 1)),\n"
	"	proof_time INTEGER,\n"
	"	proof_result TEXT CHECK (proof_result IN ('ok', 'missing',\n"
	"		'multiple', 'pubkey-mismatch', 'bad-signature', "
	"'local',\n"
	"		'unreachable', 'error')),\n"
	"	message TEXT NOT NULL DEFAULT '',\n"
	"	PRIMARY KEY (key_id, hsm),\n"
	"	CHECK ((proof_time IS NULL) = (proof_result IS NULL))\n"
	") STRICT, WITHOUT ROWID;\n";

static int migrate_0_1(sqlite3 *h, sigil_keydb_error_t *err)
{
	char sql[64];
	int ret = keydb_exec(h, schema_v1, err,
	                     "creating the key database schema");

	if (ret != SIGIL_EOK) {
		return ret;
	}
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
	         KEYDB_APPLICATION_ID);
	return keydb_exec(h, sql, err, "marking the key database");
}

typedef int (*migration_fn)(sqlite3 *h, sigil_keydb_error_t *err);

static const migration_fn migrations[SIGIL_KEYDB_SCHEMA_VERSION] = {
	migrate_0_1,
};

/* Runs a statement that returns one integer. */
static int query_int(sqlite3 *h, const char *sql, sqlite3_int64 *v,
                     sigil_keydb_error_t *err, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	int ret = SIGIL_EOK;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
	} else {
		ret = keydb_sqlerr(h, rc, err, what);
	}
	sqlite3_finalize(st);
	return ret;
}

/* Reads the version and checks that the file is a sigil key database this
 * code can use. */
static int check_identity(sqlite3 *h, const char *path, sqlite3_int64 *version,
                          sigil_keydb_error_t *err)
{
	sqlite3_int64 app = 0, objects = 0;
	char what[600];
	int ret;

	snprintf(what, sizeof(what), "reading key database %s", path);
	ret = query_int(h, "PRAGMA application_id", &app, err, what);
	if (ret == SIGIL_EOK) {
		ret = query_int(h, "PRAGMA user_version", version, err, what);
	}
	if (ret == SIGIL_EOK) {
		ret = query_int(h, "SELECT count(*) FROM sqlite_schema",
		                &objects, err, what);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (app != 0 && app != KEYDB_APPLICATION_ID) {
		return keydb_err(err, SIGIL_EDB,
		                 "%s is not a sigil key database "
		                 "(SQLite application_id 0x%08llx)",
		                 path, (unsigned long long)app);
	}
	if (app == 0 && (*version != 0 || objects != 0)) {
		return keydb_err(err, SIGIL_EDB,
		                 "%s is not a sigil key database: it holds "
		                 "other SQLite data",
		                 path);
	}
	if (*version > SIGIL_KEYDB_SCHEMA_VERSION) {
		return keydb_err(err, SIGIL_EDB,
		                 "key database %s has schema version %lld, "
		                 "newer than this sigil supports (%d): use the "
		                 "sigil that wrote it or a newer one",
		                 path, (long long)*version,
		                 SIGIL_KEYDB_SCHEMA_VERSION);
	}
	if (*version < 0) {
		return keydb_err(err, SIGIL_EDB,
		                 "key database %s has an invalid schema "
		                 "version %lld",
		                 path, (long long)*version);
	}
	return SIGIL_EOK;
}

static int set_wal(sqlite3 *h, const char *path, sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;
	int rc = sqlite3_prepare_v2(h, "PRAGMA journal_mode = WAL", -1, &st,
	                            NULL);
	int ret = SIGIL_EOK;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW) {
		ret = keydb_sqlerr(h, rc, err, "switching to WAL mode");
		goto out;
	}
	/* SQLite answers with the mode in effect, which stays the old one
	 * where WAL is impossible (no shared memory, some network file
	 * systems). */
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcasecmp(mode, "wal") != 0) {
		ret = keydb_err(err, SIGIL_EDB,
		                "key database %s cannot use WAL mode "
		                "(journal mode stays '%s')",
		                path, mode != NULL ? mode : "?");
	}
out:
	sqlite3_finalize(st);
	return ret;
}

static int migrate(sqlite3 *h, const char *path, sigil_keydb_error_t *err)
{
	sqlite3_int64 version = 0;
	char sql[64];
	int ret = keydb_exec(h, "BEGIN IMMEDIATE", err,
	                     "beginning the migration");

	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* Again under the write lock: another process may have migrated
	 * since we looked. */
	ret = check_identity(h, path, &version, err);
	for (sqlite3_int64 v = version;
	     ret == SIGIL_EOK && v < SIGIL_KEYDB_SCHEMA_VERSION; v++) {
		ret = migrations[v](h, err);
	}
	if (ret == SIGIL_EOK && version < SIGIL_KEYDB_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		         SIGIL_KEYDB_SCHEMA_VERSION);
		ret = keydb_exec(h, sql, err, "setting the schema version");
	}
	if (ret == SIGIL_EOK) {
		ret = keydb_exec(h, "COMMIT", err, "committing the migration");
	}
	if (ret != SIGIL_EOK && !sqlite3_get_autocommit(h)) {
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

int keydb_schema_setup(sqlite3 *h, const char *path, sigil_keydb_error_t *err)
{
	sqlite3_int64 version = 0;
	int ret;

	/* Per connection, off by default: without it REFERENCES and ON
	 * DELETE CASCADE are decoration. */
	ret = keydb_exec(h, "PRAGMA foreign_keys = ON", err,
	                 "enabling foreign keys");
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* Before anything writes: a file that is not ours stays as it
	 * was, journal mode included. */
	ret = check_identity(h, path, &version, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = set_wal(h, path, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* In WAL mode NORMAL may lose the last commits on power failure;
	 * an accepted key change must survive it (I5). */
	ret = keydb_exec(h, "PRAGMA synchronous = FULL", err,
	                 "setting synchronous mode");
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (version < SIGIL_KEYDB_SCHEMA_VERSION) {
		ret = migrate(h, path, err);
	}
	return ret;
}
