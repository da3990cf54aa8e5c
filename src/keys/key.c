/* Key database: keys.  Everything about a key except its role and CKA_ID
 * is derived from its DNSKEY RDATA here (I2), on the way in and again on
 * the way out. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "keys/internal.h"
#include "keys/keydb.h"
#include "util/error.h"

#define RDATA_MAXLEN 65535

/* What the RDATA says about a key. */
struct derived {
	uint8_t alg;
	uint16_t flags;
	uint16_t tag;
	unsigned bits;
	uint8_t ds[SIGIL_KEYDB_DS_LEN];
};

static int derive(const uint8_t *owner, const uint8_t *rdata, size_t rdlen,
                  struct derived *d, sigil_keydb_error_t *err)
{
	sigil_pubkey_t *pk = NULL;
	size_t dslen = 0;
	int ret;

	/* Decoding proves the RDATA holds a usable public key of its
	 * algorithm, not just four header bytes and some payload. */
	ret = sigil_pubkey_from_dnskey(rdata, rdlen, &pk);
	if (ret != SIGIL_EOK) {
		return keydb_err(err, ret, "DNSKEY RDATA: %s",
		                 sigil_strerror(ret));
	}
	d->alg = sigil_pubkey_alg(pk);
	d->flags = sigil_pubkey_flags(pk);
	d->tag = sigil_keytag(rdata, rdlen);
	d->bits = sigil_pubkey_bits(pk);
	sigil_pubkey_free(pk);
	ret = sigil_ds_digest(SIGIL_DS_SHA256, owner, rdata, rdlen, d->ds,
	                      &dslen);
	if (ret == SIGIL_EOK && dslen != SIGIL_KEYDB_DS_LEN) {
		ret = SIGIL_ECRYPTO;
	}
	if (ret != SIGIL_EOK) {
		return keydb_err(err, ret, "DS digest: %s",
		                 sigil_strerror(ret));
	}
	return SIGIL_EOK;
}

/* The flags a key of this role must have.  The SEP bit is only a hint to
 * resolvers, but a KSK without it (or a ZSK with it) is a caller's mix-up
 * that would surface much later as a wrong DS at the parent. */
static int check_role(enum sigil_key_role role, const struct derived *d,
                      sigil_keydb_error_t *err)
{
	bool sep = d->flags & SIGIL_DNSKEY_FLAG_SEP;

	if (!(d->flags & SIGIL_DNSKEY_FLAG_ZONE)) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "DNSKEY flags %u: not a zone key", d->flags);
	}
	if (d->flags & SIGIL_DNSKEY_FLAG_REVOKE) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "DNSKEY flags %u: a new key cannot be revoked",
		                 d->flags);
	}
	if (sep != (role != SIGIL_ROLE_ZSK)) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "DNSKEY flags %u do not fit a %s (SEP bit %s)",
		                 d->flags, sigil_key_role_name(role),
		                 sep ? "set" : "clear");
	}
	if (!sigil_alg_can_sign(d->alg)) {
		return keydb_err(
			err, SIGIL_EALGORITHM,
			"sigil does not sign with algorithm %u (%s)", d->alg,
			sigil_alg_name(d->alg) ? sigil_alg_name(d->alg) :
						 "unassigned");
	}
	return SIGIL_EOK;
}

/* The id of zone, created when it has none yet. */
static int zone_id(sigil_keydb_t *db, const char *zone, sqlite3_int64 *id,
                   sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = keydb_prepare(db, &st,
	                    "INSERT INTO zones (name) VALUES (?1) "
	                    "ON CONFLICT (name) DO UPDATE SET name = name "
	                    "RETURNING id",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "recording the zone");
	}
	sqlite3_finalize(st);
	return ret;
}

/* Looks for a key of the zone whose column col equals the bound value:
 * *found receives its id, or 0. */
static int find_key(sigil_keydb_t *db, const char *sql, sqlite3_int64 zid,
                    const void *blob, size_t bloblen, sqlite3_int64 num,
                    sqlite3_int64 *found, sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	*found = 0;
	ret = keydb_prepare(db, &st, sql, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, zid);
	if (blob != NULL) {
		sqlite3_bind_blob(st, 2, blob, (int)bloblen, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(st, 2, num);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "looking up keys");
	}
	sqlite3_finalize(st);
	return ret;
}

static int insert_key(sigil_keydb_t *db, const char *zone,
                      enum sigil_key_role role, const struct derived *d,
                      const uint8_t *rdata, size_t rdlen, const uint8_t *cka_id,
                      size_t idlen, sqlite3_int64 *key_id,
                      sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 zid = 0, other = 0;
	int ret, rc;

	ret = zone_id(db, zone, &zid, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* Checked here, under the write lock, for messages that name the
	 * other key; the UNIQUE constraints back this up. */
	ret = find_key(db,
	               "SELECT id FROM keys WHERE zone_id = ?1 AND "
	               "key_tag = ?2",
	               zid, NULL, 0, d->tag, &other, err);
	if (ret == SIGIL_EOK && other != 0) {
		return keydb_err(err, SIGIL_EAMBIGUOUS,
		                 "key tag %u is already used by key %lld of "
		                 "zone %s",
		                 d->tag, (long long)other, zone);
	}
	if (ret == SIGIL_EOK) {
		ret = find_key(db,
		               "SELECT id FROM keys WHERE zone_id = ?1 AND "
		               "cka_id = ?2",
		               zid, cka_id, idlen, 0, &other, err);
	}
	if (ret == SIGIL_EOK && other != 0) {
		return keydb_err(
			err, SIGIL_EAMBIGUOUS,
			"CKA_ID is already used by key %lld of zone %s",
			(long long)other, zone);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = keydb_prepare(db, &st,
	                    "INSERT INTO keys (zone_id, role, algorithm, bits, "
	                    "flags, key_tag, dnskey, ds_sha256, cka_id, "
	                    "state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	                    "?7, ?8, ?9, 'generated', ?10)",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, zid);
	sqlite3_bind_text(st, 2, sigil_key_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, d->alg);
	sqlite3_bind_int64(st, 4, d->bits);
	sqlite3_bind_int(st, 5, d->flags);
	sqlite3_bind_int(st, 6, d->tag);
	sqlite3_bind_blob(st, 7, rdata, (int)rdlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, d->ds, sizeof(d->ds), SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, cka_id, (int)idlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "recording the key");
	} else {
		*key_id = sqlite3_last_insert_rowid(db->h);
	}
	sqlite3_finalize(st);
	return ret;
}

int sigil_keydb_key_add(sigil_keydb_t *db, const char *zone,
                        enum sigil_key_role role, const uint8_t *rdata,
                        size_t rdlen, const uint8_t *cka_id, size_t idlen,
                        int64_t *key_id, sigil_keydb_error_t *err)
{
	char canon[SIGIL_DNAME_TXT_MAXLEN];
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	struct derived d;
	sqlite3_int64 id = 0;
	int ret;

	if (db == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "no key database");
	}
	if (sigil_key_role_name(role) == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid key role %d",
		                 (int)role);
	}
	if (rdata == NULL || rdlen == 0 || rdlen > RDATA_MAXLEN) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "DNSKEY RDATA missing or too long");
	}
	if (cka_id == NULL || idlen == 0 || idlen > SIGIL_KEYDB_CKA_ID_MAXLEN) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "CKA_ID missing or longer than %d bytes",
		                 SIGIL_KEYDB_CKA_ID_MAXLEN);
	}
	ret = keydb_zone_canon(zone, canon, owner, err);
	if (ret == SIGIL_EOK) {
		ret = derive(owner, rdata, rdlen, &d, err);
	}
	if (ret == SIGIL_EOK) {
		ret = check_role(role, &d, err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = keydb_op_begin(db, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = insert_key(db, canon, role, &d, rdata, rdlen, cka_id, idlen, &id,
	                 err);
	ret = keydb_op_end(db, ret, err);
	if (ret == SIGIL_EOK && key_id != NULL) {
		*key_id = id;
	}
	return ret;
}

/* ---- reading ----------------------------------------------------------- */

#define KEY_COLUMNS                                                            \
	"k.id, z.name, k.role, k.state, k.algorithm, k.bits, k.flags, "        \
	"k.key_tag, k.dnskey, k.ds_sha256, k.cka_id, k.created, "              \
	"k.published, k.active, k.retired, k.removed "                         \
	"FROM keys k JOIN zones z ON z.id = k.zone_id "

/* Turns the current row of st into *k, checking that what is stored about
 * the key is what its RDATA says. */
static int read_key(sqlite3_stmt *st, sigil_keydb_key_t *k,
                    sigil_keydb_error_t *err)
{
	const char *zone = (const char *)sqlite3_column_text(st, 1);
	const char *role = (const char *)sqlite3_column_text(st, 2);
	const char *state = (const char *)sqlite3_column_text(st, 3);
	const void *rdata = sqlite3_column_blob(st, 8);
	size_t rdlen = (size_t)sqlite3_column_bytes(st, 8);
	const void *ds = sqlite3_column_blob(st, 9);
	size_t dslen = (size_t)sqlite3_column_bytes(st, 9);
	const void *cka_id = sqlite3_column_blob(st, 10);
	size_t idlen = (size_t)sqlite3_column_bytes(st, 10);
	long long id = sqlite3_column_int64(st, 0);
	uint8_t owner[SIGIL_DNAME_MAXLEN];
	char canon[SIGIL_DNAME_TXT_MAXLEN];
	struct derived d;
	size_t zlen;
	uint8_t *block;
	int ret;

	memset(k, 0, sizeof(*k));
	if (zone == NULL || rdata == NULL || cka_id == NULL) {
		return keydb_err(err, SIGIL_EDB, "key %lld: incomplete row",
		                 id);
	}
	if (sigil_key_role_parse(role, &k->role) != SIGIL_EOK ||
	    sigil_key_state_parse(state, &k->state) != SIGIL_EOK) {
		return keydb_err(err, SIGIL_EDB,
		                 "key %lld: unknown role or state", id);
	}
	ret = keydb_zone_canon(zone, canon, owner, err);
	if (ret == SIGIL_EOK) {
		ret = derive(owner, rdata, rdlen, &d, err);
	}
	if (ret != SIGIL_EOK) {
		return keydb_err(err, SIGIL_EDB,
		                 "key %lld of zone %s: stored zone name or "
		                 "DNSKEY RDATA is no longer valid (%s)",
		                 id, zone, sigil_strerror(ret));
	}
	if (sqlite3_column_int64(st, 4) != d.alg ||
	    sqlite3_column_int64(st, 5) != d.bits ||
	    sqlite3_column_int64(st, 6) != d.flags ||
	    sqlite3_column_int64(st, 7) != d.tag || dslen != sizeof(d.ds) ||
	    memcmp(ds, d.ds, sizeof(d.ds)) != 0) {
		return keydb_err(err, SIGIL_EDB,
		                 "key %lld of zone %s: stored algorithm, size, "
		                 "flags, key tag or DS does not match its "
		                 "DNSKEY RDATA (tag %u)",
		                 id, zone, d.tag);
	}
	zlen = strlen(zone) + 1;
	block = malloc(rdlen + idlen + zlen);
	if (block == NULL) {
		return keydb_err(err, SIGIL_ENOMEM, "out of memory");
	}
	memcpy(block, rdata, rdlen);
	memcpy(block + rdlen, cka_id, idlen);
	memcpy(block + rdlen + idlen, zone, zlen);
	k->id = id;
	k->zone = (const char *)block + rdlen + idlen;
	k->algorithm = d.alg;
	k->flags = d.flags;
	k->tag = d.tag;
	k->bits = d.bits;
	memcpy(k->ds_sha256, d.ds, sizeof(d.ds));
	k->rdata = block;
	k->rdlen = rdlen;
	k->cka_id = block + rdlen;
	k->cka_id_len = idlen;
	k->created = sqlite3_column_int64(st, 11);
	k->published = sqlite3_column_int64(st, 12);
	k->active = sqlite3_column_int64(st, 13);
	k->retired = sqlite3_column_int64(st, 14);
	k->removed = sqlite3_column_int64(st, 15);
	return SIGIL_EOK;
}

/* Runs st (parameters bound) and collects its rows. */
static int read_keys(sigil_keydb_t *db, sqlite3_stmt *st,
                     sigil_keydb_key_t **out, size_t *count,
                     sigil_keydb_error_t *err)
{
	sigil_keydb_key_t *keys = NULL;
	size_t n = 0, cap = 0;
	int ret = SIGIL_EOK, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			sigil_keydb_key_t *p = realloc(keys, ncap * sizeof(*p));

			if (p == NULL) {
				ret = keydb_err(err, SIGIL_ENOMEM,
				                "out of memory");
				goto out;
			}
			keys = p;
			cap = ncap;
		}
		ret = read_key(st, &keys[n], err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "reading keys");
	}
out:
	if (ret != SIGIL_EOK) {
		sigil_keydb_keys_free(keys, n);
		return ret;
	}
	*out = keys;
	*count = n;
	return SIGIL_EOK;
}

int sigil_keydb_keys(sigil_keydb_t *db, const char *zone,
                     sigil_keydb_key_t **out, size_t *count,
                     sigil_keydb_error_t *err)
{
	char canon[SIGIL_DNAME_TXT_MAXLEN];
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	sqlite3_stmt *st = NULL;
	int ret;

	if (db == NULL || out == NULL || count == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid argument");
	}
	*out = NULL;
	*count = 0;
	if (zone != NULL) {
		ret = keydb_zone_canon(zone, canon, wire, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
		ret = keydb_prepare(db, &st,
		                    "SELECT " KEY_COLUMNS "WHERE z.name = ?1 "
		                    "ORDER BY k.created, k.id",
		                    err);
		if (ret == SIGIL_EOK) {
			sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
		}
	} else {
		ret = keydb_prepare(db, &st,
		                    "SELECT " KEY_COLUMNS
		                    "ORDER BY z.name, k.created, k.id",
		                    err);
	}
	if (ret == SIGIL_EOK) {
		ret = read_keys(db, st, out, count, err);
	}
	sqlite3_finalize(st);
	return ret;
}

int sigil_keydb_key_get(sigil_keydb_t *db, int64_t key_id,
                        sigil_keydb_key_t **out, sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int ret;

	if (db == NULL || out == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid argument");
	}
	*out = NULL;
	ret = keydb_prepare(db, &st, "SELECT " KEY_COLUMNS "WHERE k.id = ?1",
	                    err);
	if (ret == SIGIL_EOK) {
		sqlite3_bind_int64(st, 1, key_id);
		ret = read_keys(db, st, out, &n, err);
	}
	sqlite3_finalize(st);
	if (ret == SIGIL_EOK && n == 0) {
		ret = keydb_err(err, SIGIL_ENOTFOUND, "no key %lld",
		                (long long)key_id);
	}
	return ret;
}

void sigil_keydb_keys_free(sigil_keydb_key_t *keys, size_t count)
{
	for (size_t i = 0; keys != NULL && i < count; i++) {
		free((void *)keys[i].rdata); /* the record's one block */
	}
	free(keys);
}

/* ---- state and deletion -------------------------------------------------- */

/* I1 in the database: a key becomes usable only once every HSM copy on
 * record has been found and has proven possession. */
static int check_proven(sigil_keydb_t *db, sqlite3_int64 key_id,
                        sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = keydb_prepare(db, &st,
	                    "SELECT hsm, present, proof_result FROM copies "
	                    "WHERE key_id = ?1 ORDER BY "
	                    "(present = 1 AND proof_result IS 'ok'), hsm "
	                    "LIMIT 1",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = keydb_err(err, SIGIL_EINVAL,
		                "key %lld has no HSM copy on record: it cannot "
		                "become usable before possession is proven",
		                (long long)key_id);
	} else if (rc == SQLITE_ROW) {
		const char *hsm = (const char *)sqlite3_column_text(st, 0);
		const char *res = (const char *)sqlite3_column_text(st, 2);
		bool present = sqlite3_column_int(st, 1) != 0;

		if (!present || res == NULL || strcmp(res, "ok") != 0) {
			ret = keydb_err(
				err, SIGIL_EINVAL,
				"key %lld cannot become usable: its copy "
				"on HSM %s is %s",
				(long long)key_id, hsm ? hsm : "?",
				!present    ? "not present" :
				res == NULL ? "not proven" :
					      res);
		}
	} else {
		ret = keydb_sqlerr(db->h, rc, err, "reading copies");
	}
	sqlite3_finalize(st);
	return ret;
}

static int change_state(sigil_keydb_t *db, sqlite3_int64 key_id,
                        enum sigil_key_state state, sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	enum sigil_key_state cur = 0;
	int ret, rc;

	ret = keydb_prepare(db, &st, "SELECT state FROM keys WHERE id = ?1",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = keydb_err(err, SIGIL_ENOTFOUND, "no key %lld",
		                (long long)key_id);
	} else if (rc != SQLITE_ROW) {
		ret = keydb_sqlerr(db->h, rc, err, "reading the key state");
	} else if (sigil_key_state_parse(
			   (const char *)sqlite3_column_text(st, 0), &cur) !=
	           SIGIL_EOK) {
		ret = keydb_err(err, SIGIL_EDB, "key %lld: unknown state",
		                (long long)key_id);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (ret != SIGIL_EOK || cur == state) {
		return ret;
	}
	if (cur != SIGIL_KEY_GENERATED) {
		return keydb_err(err, SIGIL_EINVAL,
		                 "key %lld is %s and cannot become %s",
		                 (long long)key_id, sigil_key_state_name(cur),
		                 sigil_key_state_name(state));
	}
	if (state == SIGIL_KEY_USABLE) {
		ret = check_proven(db, key_id, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
	}
	ret = keydb_prepare(db, &st, "UPDATE keys SET state = ?2 WHERE id = ?1",
	                    err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	sqlite3_bind_int64(st, 1, key_id);
	sqlite3_bind_text(st, 2, sigil_key_state_name(state), -1,
	                  SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "changing the key state");
	}
	sqlite3_finalize(st);
	return ret;
}

int sigil_keydb_key_set_state(sigil_keydb_t *db, int64_t key_id,
                              enum sigil_key_state state,
                              sigil_keydb_error_t *err)
{
	int ret;

	if (db == NULL || sigil_key_state_name(state) == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "invalid key state %d",
		                 (int)state);
	}
	ret = keydb_op_begin(db, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = change_state(db, key_id, state, err);
	return keydb_op_end(db, ret, err);
}

int sigil_keydb_key_delete(sigil_keydb_t *db, int64_t key_id,
                           sigil_keydb_error_t *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if (db == NULL) {
		return keydb_err(err, SIGIL_EINVAL, "no key database");
	}
	ret = keydb_op_begin(db, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* Copies go with the key (ON DELETE CASCADE). */
	ret = keydb_prepare(db, &st, "DELETE FROM keys WHERE id = ?1", err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = keydb_sqlerr(db->h, rc, err, "deleting the key");
	} else if (sqlite3_changes(db->h) == 0) {
		ret = keydb_err(err, SIGIL_ENOTFOUND, "no key %lld",
		                (long long)key_id);
	}
out:
	sqlite3_finalize(st);
	return keydb_op_end(db, ret, err);
}
