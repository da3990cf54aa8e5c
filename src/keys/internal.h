/* Key database internals shared by the files of src/keys/. */
#ifndef SIGIL_KEYS_INTERNAL_H
#define SIGIL_KEYS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "dns/name.h"
#include "keys/keydb.h"

/* PRAGMA application_id of a sigil key database ("SIGL"): tells our files
 * from other SQLite databases a path may point to by mistake. */
#define KEYDB_APPLICATION_ID 0x5349474c

/* How long a writer waits for another process's transaction. */
#define KEYDB_BUSY_TIMEOUT_MS 10000

struct sigil_keydb {
	sqlite3 *h;
	/* A transaction of the caller (sigil_keydb_begin) is open; SQLite may
	 * have rolled it back on its own after an I/O error, which
	 * sqlite3_get_autocommit() then shows. */
	bool user_tx;
	/* The operation in progress runs in a savepoint of the caller's
	 * transaction rather than a transaction of its own. */
	bool op_savepoint;
};

/* Fills err (may be NULL) and returns code. */
int keydb_err(sigil_keydb_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maps SQLite result rc on h to a sigil code and keeps SQLite's message
 * after what was being done. */
int keydb_sqlerr(sqlite3 *h, int rc, sigil_keydb_error_t *err,
                 const char *what);

int keydb_prepare(sigil_keydb_t *db, sqlite3_stmt **st, const char *sql,
                  sigil_keydb_error_t *err);
/* Runs SQL without parameters or results. */
int keydb_exec(sqlite3 *h, const char *sql, sigil_keydb_error_t *err,
               const char *what);

/* Every write runs between these: its own BEGIN IMMEDIATE ... COMMIT, or
 * a savepoint inside a transaction of the caller, so a failed call leaves
 * nothing behind either way.  keydb_op_end commits when ret is SIGIL_EOK,
 * undoes otherwise, and returns ret or the commit's error. */
int keydb_op_begin(sigil_keydb_t *db, sigil_keydb_error_t *err);
int keydb_op_end(sigil_keydb_t *db, int ret, sigil_keydb_error_t *err);

/* Canonical presentation form (lower case, trailing dot) and wire form of
 * a zone name given in any case, with or without the trailing dot. */
int keydb_zone_canon(const char *zone, char canon[SIGIL_DNAME_TXT_MAXLEN],
                     uint8_t wire[SIGIL_DNAME_MAXLEN],
                     sigil_keydb_error_t *err);

/* Checks the identity and version of the database on h, switches it to
 * WAL and migrates it to SIGIL_KEYDB_SCHEMA_VERSION. */
int keydb_schema_setup(sqlite3 *h, const char *path, sigil_keydb_error_t *err);

#endif
