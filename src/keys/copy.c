/* Key database: the copy of a key in each HSM and its last proof of
 * possession (I1). */
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"
#include "keys/keydb.h"
#include "util/error.h"

static int check_copy(const sigil_keydb_copy_t *c, sigil_keydb_error_t *err)
{
	if (c->hsm == NULL || *c->hsm == '\0' ||
	    strlen(c->hsm) > SIGIL_KEYDB_HSM_MAXLEN) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "HSM name missing or longer than %d bytes",
		                 SIGIL_KEYDB_HSM_MAXLEN);
	}
	if (c->result != SIGIL_PROOF_NONE &&
	    sigil_proof_result_name(c->result) == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid proof result %d",
		                 (int)c->result);
	}
	/* A result without a time could not be aged by `keys check`, a
	 * time without a result says nothing. */
	if (c->proof_time < 0 ||
	    (c->proof_time == 0) != (c->result == SIGIL_PROOF_NONE)) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "proof time and proof result go together");
	}
	return SIGIL_EOK;
}

static int upsert(sigil_keydb_t *db, const sigil_keydb_copy_t *c,
                  sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = keydb_prepare(db, &st, "SELECT 1 FROM keys WHERE id = ?1", err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, c->key_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = keydb_err(err, SIGIL_ENOTFOUND, "no key %lld",
		                (long long)c->key_id);
	} else if (rc != SQLITE_ROW) {
		ret = keydb_sqlerr(db->h, rc, err, "looking up the key");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = keydb_prepare(db, &st,
	                    "INSERT INTO copies (key_id, hsm, present, local, "
	                    "proof_time, proof_result, message) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	                    "ON CONFLICT (key_id, hsm) DO UPDATE SET "
	                    "present = excluded.present, "
	                    "local = excluded.local, "
	                    "proof_time = excluded.proof_time, "
	                    "proof_result = excluded.proof_result, "
	                    "message = excluded.message",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, c->key_id);
	sqlite3_bind_text(st, 2, c->hsm, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, c->present ? 1 : 0);
	sqlite3_bind_int(st, 4, c->local ? 1 : 0);
	if (c->result != SIGIL_PROOF_NONE) {
		sqlite3_bind_int64(st, 5, c->proof_time);
		sqlite3_bind_text(st, 6, sigil_proof_result_name(c->result), -1,
		                  SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_text(st, 7, c->message != NULL ? c->message : "", -1,
	                  SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "recording the copy");
	}
	sqlite3_finalize(st);
	return ret;
}

int sigil_keydb_copy_record(sigil_keydb_t *db, const sigil_keydb_copy_t *copy,
                            sigil_keydb_error_t *err)
{
	int ret;

	if (db == NULL || copy == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid argument");
	}
	ret = check_copy(copy, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = keydb_op_begin(db, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = upsert(db, copy, err);
	return keydb_op_end(db, ret, err);
}

/* Turns the current row of st into *c; hsm and message share one block
 * starting at hsm. */
static int read_copy(sqlite3_stmt *st, sigil_keydb_copy_t *c,
                     sigil_keydb_error_t *err)
{
	const char *hsm = (const char *)sqlite3_column_text(st, 1);
	const char *res = (const char *)sqlite3_column_text(st, 5);
	const char *msg = (const char *)sqlite3_column_text(st, 6);
	size_t hlen, mlen;
	char *block;

	memset(c, 0, sizeof(*c));
	c->key_id = sqlite3_column_int64(st, 0);
	c->present = sqlite3_column_int(st, 2) != 0;
	c->local = sqlite3_column_int(st, 3) != 0;
	c->proof_time = sqlite3_column_int64(st, 4);
	if (res != NULL &&
	    sigil_proof_result_parse(res, &c->result) != SIGIL_EOK) {
		return keydb_err(err, SIGIL_EDB,
		                 "key %lld: unknown proof result '%s'",
		                 (long long)c->key_id, res);
	}
	if (hsm == NULL) {
		return keydb_err(err, SIGIL_EDB, "key %lld: copy without HSM",
		                 (long long)c->key_id);
	}
	msg = msg != NULL ? msg : "";
	hlen = strlen(hsm) + 1;
	mlen = strlen(msg) + 1;
	block = malloc(hlen + mlen);
	if (block == NULL) {
		return keydb_err(err, SIGIL_ENOMEM, "out of memory");
	}
	memcpy(block, hsm, hlen);
	memcpy(block + hlen, msg, mlen);
	c->hsm = block;
	c->message = block + hlen;
	return SIGIL_EOK;
}

int sigil_keydb_copies(sigil_keydb_t *db, int64_t key_id,
                       sigil_keydb_copy_t **out, size_t *count,
                       sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	sigil_keydb_copy_t *copies = NULL;
	size_t n = 0, cap = 0;
	bool key_seen = false;
	int ret, rc;

	if (db == NULL || out == NULL || count == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid argument");
	}
	*out = NULL;
	*count = 0;
	/* One statement, so "no such key" and "no copies" are told apart in
	 * one consistent read: the LEFT JOIN gives one row of NULLs for a
	 * key without copies, and none for no key. */
	ret = keydb_prepare(db, &st,
	                    "SELECT k.id, c.hsm, c.present, c.local, "
	                    "c.proof_time, c.proof_result, c.message "
	                    "FROM keys k LEFT JOIN copies c ON c.key_id = k.id "
	                    "WHERE k.id = ?1 ORDER BY c.hsm",
	                    err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, key_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		key_seen = true;
		if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			sigil_keydb_copy_t *p =
				realloc(copies, ncap * sizeof(*p));

			if (p == NULL) {
				ret = keydb_err(err, SIGIL_ENOMEM,
				                "out of memory");
				goto out;
			}
			copies = p;
			cap = ncap;
		}
		ret = read_copy(st, &copies[n], err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "reading copies");
	} else if (!key_seen) {
		ret = keydb_err(err, SIGIL_ENOTFOUND, "no key %lld",
		                (long long)key_id);
	}
out:
	sqlite3_finalize(st);
	if (ret != SIGIL_EOK) {
		sigil_keydb_copies_free(copies, n);
		return ret;
	}
	*out = copies;
	*count = n;
	return SIGIL_EOK;
}

void sigil_keydb_copies_free(sigil_keydb_copy_t *copies, size_t count)
{
	for (size_t i = 0; copies != NULL && i < count; i++) {
		free((void *)copies[i].hsm); /* the copy's one block */
	}
	free(copies);
}
