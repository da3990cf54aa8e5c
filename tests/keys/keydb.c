/* Key database: schema and versions, metadata derived from the DNSKEY RDATA
 * (I2), key tag and CKA_ID uniqueness, copies and states, transactions,
 * crashes in the middle (I5), file permissions. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "crypto/key.h"
#include "keys/keydb.h"
#include "lib/dnstest.h"
#include "lib/tap.h"
#include "util/error.h"

/* ---- helpers -------------------------------------------------------- */

static char dir[64];

/* A path inside the test directory (one static buffer per slot). */
static const char *tpath(int slot, const char *name)
{
	static char buf[4][128];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", dir, name);
	return buf[slot];
}

static void rm_db(const char *path)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* RFC 6605 §6.1 (P-256), §6.2 (P-384), RFC 8080 §6.1 (Ed25519), RFC 5702
 * §6.2 (RSASHA512), RFC 4034 §5.4 (RSASHA1). */
#define P256_KEY                                                               \
	"GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"     \
	"e+MAnLr+Wi9xMWyQLc8NAA=="
#define P256_DS                                                                \
	"b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17"
#define P384_KEY                                                               \
	"xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RC"     \
	"OpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40"
#define ED25519_KEY "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="
#define ED25519_DS                                                             \
	"3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b"
#define RSA512_KEY                                                             \
	"AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnj"     \
	"JQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8g"     \
	"pMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL"
#define RSASHA1_KEY                                                            \
	"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMz"     \
	"NXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJ"     \
	"BjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=="

/* What a caller does: CKA_ID from the public key (here: the first 16
 * bytes of a SHA-256 of the RDATA after the header). */
static size_t cka_of(const uint8_t *rd, size_t len, uint8_t out[16])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	size_t skip = len > 4 ? 4 : 0; /* short RDATA in the refusal tests */

	if (EVP_Digest(rd + skip, len - skip, md, &mdlen, EVP_sha256(), NULL) !=
	    1) {
		abort();
	}
	memcpy(out, md, 16);
	return 16;
}

/* A fresh Ed25519 DNSKEY RDATA (36 bytes) with the given flags. */
static size_t fresh_ed25519(uint8_t rd[36], uint16_t flags)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t len = 32;

	if (pk == NULL || EVP_PKEY_get_raw_public_key(pk, rd + 4, &len) != 1 ||
	    len != 32) {
		abort();
	}
	EVP_PKEY_free(pk);
	rd[0] = (uint8_t)(flags >> 8);
	rd[1] = (uint8_t)flags;
	rd[2] = 3;
	rd[3] = 15;
	return 36;
}

/* Adds rd with its own CKA_ID; returns the sigil code. */
static int add(sigil_keydb_t *db, const char *zone, enum sigil_key_role role,
               const uint8_t *rd, size_t len, int64_t *id,
               sigil_keydb_error_t *err)
{
	uint8_t cka[16];
	size_t idlen = cka_of(rd, len, cka);

	return sigil_keydb_key_add(db, zone, role, rd, len, cka, idlen, id,
	                           err);
}

/* A fresh Ed25519 key added to zone; returns its id (aborts on error). */
static int64_t add_fresh(sigil_keydb_t *db, const char *zone,
                         enum sigil_key_role role)
{
	uint8_t rd[36];
	int64_t id = 0;
	sigil_keydb_error_t err;

	fresh_ed25519(rd, role == SIGIL_ROLE_ZSK ? 256 : 257);
	if (add(db, zone, role, rd, sizeof(rd), &id, &err) != SIGIL_EOK) {
		diag("add_fresh: %s", err.message);
		abort();
	}
	return id;
}

static size_t key_count(sigil_keydb_t *db, const char *zone)
{
	sigil_keydb_key_t *keys = NULL;
	size_t n = 0;
	sigil_keydb_error_t err;

	if (sigil_keydb_keys(db, zone, &keys, &n, &err) != SIGIL_EOK) {
		diag("key_count: %s", err.message);
		return (size_t)-1;
	}
	sigil_keydb_keys_free(keys, n);
	return n;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* ---- direct SQLite access, to look behind the module's back ---------- */

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(path, &h);

	sqlite3_extended_result_codes(h, 1);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, 5000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return rc;
}

/* First column of the first row as text into buf ("" when none). */
static const char *raw_text(const char *path, const char *sql)
{
	static char buf[256];
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_open(path, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL) {
		snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return buf;
}

static long long raw_int(const char *path, const char *sql)
{
	return atoll(raw_text(path, sql));
}

/* ---- tests ------------------------------------------------------------ */

static void test_create(void)
{
	const char *path = tpath(0, "create.db");
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;
	sigil_keydb_key_t *keys = (sigil_keydb_key_t *)&err;
	char **zones = (char **)&err;
	size_t n = 99;
	char wal[160];

	umask(022); /* what SQLite would create 0644 under */
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK,
	       "a new database is created");
	ok(db != NULL, "handle returned");
	is_int(file_mode(path), 0600, "database file is mode 0600");
	is_int(raw_int(path, "PRAGMA user_version"), SIGIL_KEYDB_SCHEMA_VERSION,
	       "schema version set");
	is_int(raw_int(path, "PRAGMA application_id"), 0x5349474c,
	       "application_id marks the file as sigil's");
	is_str(raw_text(path, "PRAGMA journal_mode"), "wal", "WAL mode");
	is_int(sigil_keydb_keys(db, NULL, &keys, &n, &err), SIGIL_EOK,
	       "keys of an empty database");
	ok(n == 0 && keys == NULL, "no keys, NULL array");
	is_int(sigil_keydb_zones(db, &zones, &n, &err), SIGIL_EOK,
	       "zones of an empty database");
	ok(n == 0 && zones == NULL, "no zones");
	add_fresh(db, "perm.test", SIGIL_ROLE_ZSK);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	is_int(file_mode(wal), 0600, "WAL file is mode 0600 too");
	sigil_keydb_close(db);

	db = NULL;
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK, "reopens");
	is_int(key_count(db, "perm.test."), 1, "the key is still there");
	sigil_keydb_close(db);
	is_int(raw_int(path, "PRAGMA user_version"), SIGIL_KEYDB_SCHEMA_VERSION,
	       "reopening keeps the version");
	sigil_keydb_close(NULL);
	ok(1, "closing NULL is harmless");

	/* An empty file made beforehand (by an installer) is a version 0
	 * database: migrated. */
	path = tpath(0, "empty.db");
	fclose(fopen(path, "w"));
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK,
	       "an empty file is migrated from version 0");
	is_int(raw_int(path, "PRAGMA user_version"), SIGIL_KEYDB_SCHEMA_VERSION,
	       "to the current version");
	sigil_keydb_close(db);
	rm_db(path);
	rm_db(tpath(0, "create.db"));
}

static void test_derived(sigil_keydb_t *db)
{
	uint8_t rd[512], ds[SIGIL_DS_MAXLEN], owner[SIGIL_DNAME_MAXLEN];
	uint8_t cka[16], exp_ds[32];
	sigil_keydb_key_t *k = NULL;
	sigil_keydb_error_t err;
	size_t len, dslen = 0, idlen;
	int64_t id = 0, id2 = 0;
	time_t t0 = time(NULL);
	int ret;

	/* RFC 6605 §6.1: KSK of example.net., tag 55648 */
	len = test_dnskey(rd, sizeof(rd), 257, 13, P256_KEY);
	idlen = cka_of(rd, len, cka);
	ret = sigil_keydb_key_add(db, "Example.NET", SIGIL_ROLE_KSK, rd, len,
	                          cka, idlen, &id, &err);
	is_int(ret, SIGIL_EOK, "P-256 KSK added");
	if (ret != SIGIL_EOK) {
		diag("%s", err.message);
		return;
	}
	ok(id > 0, "it has an id");
	is_int(sigil_keydb_key_get(db, id, &k, &err), SIGIL_EOK, "read back");
	if (k == NULL) {
		return;
	}
	is_str(k->zone, "example.net.",
	       "zone stored lower case with trailing dot");
	is_int(k->tag, 55648, "key tag is the RFC 6605 one");
	is_int(k->tag, sigil_keytag(rd, len), "key tag is sigil_keytag()");
	is_int(k->algorithm, 13, "algorithm from the RDATA");
	is_int(k->flags, 257, "flags from the RDATA");
	is_int(k->bits, 256, "size from the key");
	tap_hex(P256_DS, exp_ds, sizeof(exp_ds));
	is_mem(k->ds_sha256, exp_ds, 32, "DS SHA-256 is the RFC 6605 one");
	test_dname(owner, "example.net.");
	sigil_ds_digest(SIGIL_DS_SHA256, owner, rd, len, ds, &dslen);
	ok(dslen == 32 && memcmp(k->ds_sha256, ds, 32) == 0,
	   "DS is sigil_ds_digest()");
	ok(k->rdlen == len && memcmp(k->rdata, rd, len) == 0, "RDATA kept");
	ok(k->cka_id_len == idlen && memcmp(k->cka_id, cka, idlen) == 0,
	   "CKA_ID kept");
	is_int(k->role, SIGIL_ROLE_KSK, "role");
	is_int(k->state, SIGIL_KEY_GENERATED, "a new key is generated");
	ok(k->created >= t0 && k->created <= time(NULL) + 1, "created now");
	ok(k->published == 0 && k->active == 0 && k->retired == 0 &&
	           k->removed == 0,
	   "no rollover times yet");
	sigil_keydb_keys_free(k, 1);

	/* Same RDATA in another zone: same tag, another DS (the owner name
	 * is part of the digest); the tag is not from a caller's cache. */
	ret = sigil_keydb_key_add(db, "other.example.", SIGIL_ROLE_KSK, rd, len,
	                          cka, idlen, &id2, &err);
	is_int(ret, SIGIL_EOK, "same key in another zone");
	k = NULL;
	sigil_keydb_key_get(db, id2, &k, &err);
	ok(k != NULL && k->tag == 55648 &&
	           memcmp(k->ds_sha256, exp_ds, 32) != 0,
	   "same tag, DS of the other owner");
	test_dname(owner, "other.example.");
	sigil_ds_digest(SIGIL_DS_SHA256, owner, rd, len, ds, &dslen);
	ok(k != NULL && memcmp(k->ds_sha256, ds, 32) == 0,
	   "DS over other.example.");
	sigil_keydb_keys_free(k, 1);

	/* RFC 8080 §6.1: Ed25519 KSK of example.com., tag 3613 */
	len = test_dnskey(rd, sizeof(rd), 257, 15, ED25519_KEY);
	ret = add(db, "example.com.", SIGIL_ROLE_KSK, rd, len, &id, &err);
	is_int(ret, SIGIL_EOK, "Ed25519 KSK added");
	k = NULL;
	sigil_keydb_key_get(db, id, &k, &err);
	tap_hex(ED25519_DS, exp_ds, sizeof(exp_ds));
	ok(k != NULL && k->tag == 3613 && k->algorithm == 15 &&
	           k->bits == 256 && memcmp(k->ds_sha256, exp_ds, 32) == 0,
	   "Ed25519: tag 3613 and the RFC 8080 DS");
	sigil_keydb_keys_free(k, 1);

	/* RFC 6605 §6.2: P-384 (its DS vector is SHA-384; compare with
	 * our own SHA-256) */
	len = test_dnskey(rd, sizeof(rd), 257, 14, P384_KEY);
	ret = add(db, "example.net.", SIGIL_ROLE_CSK, rd, len, &id, &err);
	is_int(ret, SIGIL_EOK, "P-384 CSK added");
	k = NULL;
	sigil_keydb_key_get(db, id, &k, &err);
	test_dname(owner, "example.net.");
	sigil_ds_digest(SIGIL_DS_SHA256, owner, rd, len, ds, &dslen);
	ok(k != NULL && k->tag == 10771 && k->bits == 384 &&
	           k->role == SIGIL_ROLE_CSK &&
	           memcmp(k->ds_sha256, ds, 32) == 0,
	   "P-384: tag 10771, 384 bits, DS");
	sigil_keydb_keys_free(k, 1);

	/* RFC 5702 §6.2: RSASHA512 1024 bits as a ZSK */
	len = test_dnskey(rd, sizeof(rd), 256, 10, RSA512_KEY);
	ret = add(db, "example.net.", SIGIL_ROLE_ZSK, rd, len, &id, &err);
	is_int(ret, SIGIL_EOK, "RSASHA512 ZSK added");
	k = NULL;
	sigil_keydb_key_get(db, id, &k, &err);
	ok(k != NULL && k->tag == 3740 && k->bits == 1024 &&
	           k->algorithm == 10 && k->role == SIGIL_ROLE_ZSK,
	   "RSASHA512: tag 3740, 1024 bits");
	sigil_keydb_keys_free(k, 1);
	is_int(key_count(db, "example.net"), 3, "three keys in example.net.");
}

static void test_rejected(sigil_keydb_t *db)
{
	uint8_t rd[512], cka[300];
	sigil_keydb_error_t err;
	size_t len, before = key_count(db, NULL);
	int64_t id = -7;

	memset(cka, 0xab, sizeof(cka));
	len = test_dnskey(rd, sizeof(rd), 256, 13, P256_KEY);
	is_int(add(db, "flags.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EINVAL, "KSK without SEP bit refused");
	ok(strstr(err.message, "ksk") != NULL, "message: %s", err.message);
	ok(id == -7, "no id on failure");
	rd[1] = 1; /* 257 */
	is_int(add(db, "flags.test", SIGIL_ROLE_ZSK, rd, len, &id, &err),
	       SIGIL_EINVAL, "ZSK with SEP bit refused");
	rd[0] = 0; /* 1: SEP but no zone key bit */
	is_int(add(db, "flags.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EINVAL, "key without zone key bit refused");
	rd[0] = 1;
	rd[1] = 0x81; /* 385: revoked */
	is_int(add(db, "flags.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EINVAL, "revoked key refused");
	rd[1] = 1;

	/* invalid RDATA */
	is_int(add(db, "bad.test", SIGIL_ROLE_KSK, rd, len - 1, &id, &err),
	       SIGIL_EMALFORMED, "P-256 key one byte short refused");
	ok(err.message[0] != '\0', "message: %s", err.message);
	rd[len - 1] ^= 1;
	is_int(add(db, "bad.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EMALFORMED, "point off the curve refused");
	rd[len - 1] ^= 1;
	rd[2] = 2;
	is_int(add(db, "bad.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EMALFORMED, "protocol 2 refused");
	rd[2] = 3;
	rd[3] = 200;
	is_int(add(db, "bad.test", SIGIL_ROLE_KSK, rd, len, &id, &err),
	       SIGIL_EALGORITHM, "algorithm 200 refused");
	rd[3] = 13;
	is_int(add(db, "bad.test", SIGIL_ROLE_KSK, rd, 3, &id, &err),
	       SIGIL_EMALFORMED, "3 bytes of RDATA refused");
	len = test_dnskey(rd, sizeof(rd), 256, 5, RSASHA1_KEY);
	is_int(add(db, "bad.test", SIGIL_ROLE_ZSK, rd, len, &id, &err),
	       SIGIL_EALGORITHM,
	       "valid RSASHA1 key refused: sigil does not "
	       "sign with SHA-1");
	ok(strstr(err.message, "RSASHA1") != NULL, "message: %s", err.message);

	/* invalid arguments */
	len = test_dnskey(rd, sizeof(rd), 257, 13, P256_KEY);
	is_int(sigil_keydb_key_add(db, "bad.test", SIGIL_ROLE_KSK, rd, 0, cka,
	                           16, &id, &err),
	       SIGIL_EINVAL, "empty RDATA refused");
	is_int(sigil_keydb_key_add(db, "bad.test", SIGIL_ROLE_KSK, NULL, len,
	                           cka, 16, &id, &err),
	       SIGIL_EINVAL, "NULL RDATA refused");
	is_int(sigil_keydb_key_add(db, "bad.test", SIGIL_ROLE_KSK, rd, len, cka,
	                           0, &id, &err),
	       SIGIL_EINVAL, "empty CKA_ID refused");
	is_int(sigil_keydb_key_add(db, "bad.test", SIGIL_ROLE_KSK, rd, len, cka,
	                           257, &id, &err),
	       SIGIL_EINVAL, "CKA_ID of 257 bytes refused");
	is_int(sigil_keydb_key_add(db, "bad.test", (enum sigil_key_role)0, rd,
	                           len, cka, 16, &id, &err),
	       SIGIL_EINVAL, "role 0 refused");
	is_int(sigil_keydb_key_add(db, "bad..test", SIGIL_ROLE_KSK, rd, len,
	                           cka, 16, &id, &err),
	       SIGIL_EINVAL, "invalid zone name refused");
	is_int(sigil_keydb_key_add(db, NULL, SIGIL_ROLE_KSK, rd, len, cka, 16,
	                           &id, &err),
	       SIGIL_EINVAL, "NULL zone refused");
	is_int(sigil_keydb_key_add(NULL, "x.", SIGIL_ROLE_KSK, rd, len, cka, 16,
	                           &id, NULL),
	       SIGIL_EINVAL, "NULL database refused (err may be NULL)");
	is_int(key_count(db, NULL), before, "nothing was recorded");
	is_int(key_count(db, "bad.test"), 0, "no keys in bad.test.");
}

/* Two different Ed25519 DNSKEYs (flags 256) with one key tag, found by
 * generating keys: by the birthday bound a collision among 65536 tags
 * comes after about 320 keys; 20000 make failure impossible in practice. */
static int find_collision(uint8_t a[36], uint8_t b[36], int *tries)
{
	static uint8_t seen[65536][32];
	static uint8_t used[65536];
	uint8_t rd[36];

	memset(used, 0, sizeof(used));
	for (*tries = 1; *tries <= 20000; (*tries)++) {
		uint16_t tag;

		fresh_ed25519(rd, 256);
		tag = sigil_keytag(rd, sizeof(rd));
		if (used[tag] && memcmp(seen[tag], rd + 4, 32) != 0) {
			memcpy(a, rd, 4);
			memcpy(a + 4, seen[tag], 32);
			memcpy(b, rd, 36);
			return 1;
		}
		used[tag] = 1;
		memcpy(seen[tag], rd + 4, 32);
	}
	return 0;
}

static void test_collision(sigil_keydb_t *db)
{
	uint8_t a[36], b[36], rd[512], cka[16];
	sigil_keydb_error_t err;
	int64_t ida = 0, idb = 0, id = 0;
	int tries = 0;

	int found = find_collision(a, b, &tries);

	ok(found, "two keys with one tag after %d keys", tries);
	ok(memcmp(a, b, 36) != 0 && sigil_keytag(a, 36) == sigil_keytag(b, 36),
	   "different keys, key tag %u", sigil_keytag(a, 36));
	is_int(add(db, "collide.test", SIGIL_ROLE_ZSK, a, 36, &ida, &err),
	       SIGIL_EOK, "first key added");
	is_int(add(db, "collide.test", SIGIL_ROLE_ZSK, b, 36, &idb, &err),
	       SIGIL_EAMBIGUOUS, "second key with the same tag refused");
	ok(strstr(err.message, "key tag") != NULL, "message: %s", err.message);
	is_int(key_count(db, "collide.test"), 1, "only the first is recorded");
	is_int(add(db, "other-collide.test", SIGIL_ROLE_ZSK, b, 36, &idb, &err),
	       SIGIL_EOK, "the same tag in another zone is fine");

	/* Any state holds its tag: a failed key's tag stays taken. */
	is_int(sigil_keydb_key_set_state(db, ida, SIGIL_KEY_FAILED, &err),
	       SIGIL_EOK, "first key marked failed");
	is_int(add(db, "collide.test", SIGIL_ROLE_ZSK, b, 36, &idb, &err),
	       SIGIL_EAMBIGUOUS, "a failed key still holds its tag");

	/* The same RDATA again is a collision too. */
	is_int(add(db, "collide.test", SIGIL_ROLE_ZSK, a, 36, &idb, &err),
	       SIGIL_EAMBIGUOUS, "the same key twice refused");

	/* CKA_ID: unique per zone */
	memset(cka, 0x5a, sizeof(cka));
	size_t len = test_dnskey(rd, sizeof(rd), 257, 13, P256_KEY);
	is_int(sigil_keydb_key_add(db, "cka.test", SIGIL_ROLE_KSK, rd, len, cka,
	                           16, &id, &err),
	       SIGIL_EOK, "key with CKA_ID 5a5a...");
	is_int(sigil_keydb_key_add(db, "cka.test", SIGIL_ROLE_ZSK, a, 36, cka,
	                           16, &id, &err),
	       SIGIL_EAMBIGUOUS, "another key with the same CKA_ID refused");
	ok(strstr(err.message, "CKA_ID") != NULL, "message: %s", err.message);
	is_int(sigil_keydb_key_add(db, "cka.test", SIGIL_ROLE_ZSK, a, 36, cka,
	                           15, &id, &err),
	       SIGIL_EOK, "a CKA_ID that is a prefix of another is distinct");
	is_int(sigil_keydb_key_add(db, "cka2.test", SIGIL_ROLE_ZSK, a, 36, cka,
	                           16, &id, &err),
	       SIGIL_EOK, "the same CKA_ID in another zone is allowed");
	is_int(key_count(db, "cka.test"), 2, "two keys in cka.test.");
}

static void test_copies_states(sigil_keydb_t *db)
{
	sigil_keydb_copy_t c = {0}, *cs = NULL;
	sigil_keydb_key_t *k = NULL;
	sigil_keydb_error_t err;
	int64_t id = add_fresh(db, "state.test", SIGIL_ROLE_ZSK), id2, old;
	size_t n = 99;
	time_t now = time(NULL);
	uint8_t rd[36];
	int ret;

	is_int(sigil_keydb_copies(db, id, &cs, &n, &err), SIGIL_EOK,
	       "copies of a key without copies");
	ok(n == 0 && cs == NULL, "none");
	is_int(sigil_keydb_copies(db, 987654, &cs, &n, &err), SIGIL_ENOTFOUND,
	       "copies of an unknown key");
	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_USABLE, &err),
	       SIGIL_EINVAL, "no copies: cannot become usable");
	ok(strstr(err.message, "no HSM copy") != NULL, "message: %s",
	   err.message);

	c.key_id = id;
	c.hsm = "hsm-b";
	c.present = false;
	c.proof_time = now;
	c.result = SIGIL_PROOF_MISSING;
	c.message = "no object with the CKA_ID";
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK,
	       "copy on hsm-b recorded (missing)");
	c.hsm = "hsm-a";
	c.present = true;
	c.local = true;
	c.result = SIGIL_PROOF_OK;
	c.message = NULL;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK,
	       "copy on hsm-a recorded (ok)");
	ret = sigil_keydb_copies(db, id, &cs, &n, &err);
	is_int(ret, SIGIL_EOK, "copies read");
	is_int(n, 2, "two copies");
	if (n == 2) {
		ok(strcmp(cs[0].hsm, "hsm-a") == 0 &&
		           strcmp(cs[1].hsm, "hsm-b") == 0,
		   "ordered by HSM name");
		ok(cs[0].present && cs[0].local &&
		           cs[0].result == SIGIL_PROOF_OK &&
		           cs[0].proof_time == now && cs[0].key_id == id &&
		           strcmp(cs[0].message, "") == 0,
		   "hsm-a: present, local, ok, no message");
		ok(!cs[1].present && !cs[1].local &&
		           cs[1].result == SIGIL_PROOF_MISSING &&
		           strcmp(cs[1].message, "no object with the CKA_ID") ==
		                   0,
		   "hsm-b: missing with message");
	}
	sigil_keydb_copies_free(cs, n);
	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_USABLE, &err),
	       SIGIL_EINVAL, "a copy without proof: cannot become usable");
	ok(strstr(err.message, "hsm-b") != NULL, "message: %s", err.message);

	/* Upsert: hsm-b proven now. */
	c.hsm = "hsm-b";
	c.local = false;
	c.proof_time = now + 5;
	c.message = "verified";
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK,
	       "copy on hsm-b updated");
	sigil_keydb_copies(db, id, &cs, &n, &err);
	ok(n == 2 && cs[1].present && !cs[1].local &&
	           cs[1].result == SIGIL_PROOF_OK &&
	           cs[1].proof_time == now + 5 &&
	           strcmp(cs[1].message, "verified") == 0,
	   "update replaced the row, no third copy");
	sigil_keydb_copies_free(cs, n);
	is_int(raw_int(tpath(1, "main.db"),
	               "SELECT count(*) FROM copies WHERE hsm = 'hsm-b'"),
	       1, "one hsm-b row in the table");

	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_USABLE, &err),
	       SIGIL_EOK, "every copy proven: usable");
	sigil_keydb_key_get(db, id, &k, &err);
	ok(k != NULL && k->state == SIGIL_KEY_USABLE, "state is usable");
	sigil_keydb_keys_free(k, 1);
	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_USABLE, &err),
	       SIGIL_EOK, "usable again is a no-op");
	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_GENERATED, &err),
	       SIGIL_EINVAL, "usable cannot go back to generated");
	is_int(sigil_keydb_key_set_state(db, id, SIGIL_KEY_FAILED, &err),
	       SIGIL_EINVAL, "usable cannot become failed");
	is_int(sigil_keydb_key_set_state(db, id, (enum sigil_key_state)9, &err),
	       SIGIL_EINVAL, "unknown state refused");
	is_int(sigil_keydb_key_set_state(db, 987654, SIGIL_KEY_FAILED, &err),
	       SIGIL_ENOTFOUND, "unknown key");

	/* a later check failing is recorded; the state stays */
	c.result = SIGIL_PROOF_BAD_SIGNATURE;
	c.message = "signature does not verify with the published DNSKEY";
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK,
	       "a failed re-proof is recorded");

	id2 = add_fresh(db, "state.test", SIGIL_ROLE_KSK);
	is_int(sigil_keydb_key_set_state(db, id2, SIGIL_KEY_FAILED, &err),
	       SIGIL_EOK, "generated -> failed");
	is_int(sigil_keydb_key_set_state(db, id2, SIGIL_KEY_USABLE, &err),
	       SIGIL_EINVAL, "failed -> usable refused");

	/* invalid copies */
	c.key_id = 987654;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_ENOTFOUND,
	       "copy of an unknown key refused");
	c.key_id = id2;
	c.hsm = "";
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EINVAL,
	       "empty HSM name refused");
	{
		char longname[SIGIL_KEYDB_HSM_MAXLEN + 2];

		memset(longname, 'h', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		c.hsm = longname;
		is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EINVAL,
		       "HSM name of %d bytes refused",
		       SIGIL_KEYDB_HSM_MAXLEN + 1);
	}
	c.hsm = "hsm-a";
	c.result = SIGIL_PROOF_NONE;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EINVAL,
	       "a proof time without a result refused");
	c.result = SIGIL_PROOF_OK;
	c.proof_time = 0;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EINVAL,
	       "a result without a proof time refused");
	c.result = (enum sigil_proof_result)42;
	c.proof_time = now;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EINVAL,
	       "unknown proof result refused");
	c.result = SIGIL_PROOF_NONE;
	c.proof_time = 0;
	c.message = NULL;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK,
	       "a copy not yet proven");
	sigil_keydb_copies(db, id2, &cs, &n, &err);
	ok(n == 1 && cs[0].result == SIGIL_PROOF_NONE && cs[0].proof_time == 0,
	   "read back as never proven");
	sigil_keydb_copies_free(cs, n);

	/* delete: copies go too, the tag is free, ids are not reused */
	sigil_keydb_key_get(db, id, &k, &err);
	memcpy(rd, k->rdata, 36);
	sigil_keydb_keys_free(k, 1);
	old = id2;
	is_int(sigil_keydb_key_delete(db, id, &err), SIGIL_EOK, "key deleted");
	is_int(sigil_keydb_copies(db, id, &cs, &n, &err), SIGIL_ENOTFOUND,
	       "its copies are gone with it");
	is_int(raw_int(tpath(1, "main.db"),
	               "SELECT count(*) FROM copies c WHERE NOT EXISTS "
	               "(SELECT 1 FROM keys k WHERE k.id = c.key_id)"),
	       0, "no orphan copy rows");
	is_int(sigil_keydb_key_delete(db, id, &err), SIGIL_ENOTFOUND,
	       "deleting twice");
	is_int(sigil_keydb_key_get(db, id, &k, &err), SIGIL_ENOTFOUND,
	       "get of a deleted key");
	is_int(sigil_keydb_key_delete(db, id2, &err), SIGIL_EOK,
	       "the newest key deleted");
	is_int(add(db, "state.test", SIGIL_ROLE_ZSK, rd, 36, &id, &err),
	       SIGIL_EOK, "a deleted key's tag is free again");
	ok(id > old, "ids are not reused (%lld > %lld)", (long long)id,
	   (long long)old);
}

static void test_order_and_zones(sigil_keydb_t *db)
{
	const char *path = tpath(1, "main.db");
	sigil_keydb_key_t *keys = NULL;
	sigil_keydb_error_t err;
	char **zones = NULL, sql[160];
	int64_t id[3];
	size_t n = 0, total = 0;
	int sorted = 1;

	for (int i = 0; i < 3; i++) {
		id[i] = add_fresh(db, "order.test", SIGIL_ROLE_ZSK);
	}
	sigil_keydb_keys(db, "ORDER.test.", &keys, &n, &err);
	ok(n == 3 && keys[0].id == id[0] && keys[1].id == id[1] &&
	           keys[2].id == id[2],
	   "same second: ordered by id");
	sigil_keydb_keys_free(keys, n);
	/* the first key created later than the others */
	snprintf(sql, sizeof(sql),
	         "UPDATE keys SET created = created + 100 WHERE id = %lld",
	         (long long)id[0]);
	is_int(raw_exec(path, sql), SQLITE_OK, "first key's creation moved");
	sigil_keydb_keys(db, "order.test", &keys, &n, &err);
	ok(n == 3 && keys[0].id == id[1] && keys[1].id == id[2] &&
	           keys[2].id == id[0],
	   "ordered by creation time first");
	sigil_keydb_keys_free(keys, n);
	is_int(sigil_keydb_keys(db, "no-such.zone", &keys, &n, &err), SIGIL_EOK,
	       "keys of an unknown zone");
	ok(n == 0 && keys == NULL, "none");
	is_int(sigil_keydb_keys(db, "a..b", &keys, &n, &err), SIGIL_EINVAL,
	       "invalid zone name");

	is_int(sigil_keydb_zones(db, &zones, &n, &err), SIGIL_EOK, "zones");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(zones[i]);

		sorted &= i == 0 || strcmp(zones[i - 1], zones[i]) < 0;
		sorted &= len > 0 && zones[i][len - 1] == '.';
		total += key_count(db, zones[i]);
	}
	ok(n >= 8 && sorted, "%zu zones, sorted, with trailing dots", n);
	ok(n > 0 && strcmp(zones[0], "cka.test.") == 0, "first is cka.test.");
	sigil_keydb_zones_free(zones, n);
	is_int(sigil_keydb_keys(db, NULL, &keys, &n, &err), SIGIL_EOK,
	       "keys of all zones");
	is_int(n, total, "as many as the zones' keys together");
	for (size_t i = 1; i < n; i++) {
		sorted &= strcmp(keys[i - 1].zone, keys[i].zone) <= 0;
	}
	ok(sorted, "grouped by zone");
	sigil_keydb_keys_free(keys, n);
}

static void test_transactions(sigil_keydb_t *db)
{
	sigil_keydb_t *db2 = NULL;
	sigil_keydb_error_t err;
	sigil_keydb_copy_t c = {0};
	sigil_keydb_key_t *k = NULL;
	uint8_t a[36], b[36];
	char **zones = NULL;
	size_t n = 0;
	int64_t ida = 0, idb = 0;
	int tries, has_zone = 0;

	is_int(sigil_keydb_begin(db, &err), SIGIL_EOK, "begin");
	add_fresh(db, "tx.test", SIGIL_ROLE_ZSK);
	add_fresh(db, "tx.test", SIGIL_ROLE_KSK);
	is_int(key_count(db, "tx.test"), 2, "two keys seen inside");
	is_int(sigil_keydb_rollback(db, &err), SIGIL_EOK, "rollback");
	is_int(key_count(db, "tx.test"), 0, "rollback leaves no key");
	sigil_keydb_zones(db, &zones, &n, &err);
	for (size_t i = 0; i < n; i++) {
		has_zone |= strcmp(zones[i], "tx.test.") == 0;
	}
	sigil_keydb_zones_free(zones, n);
	ok(!has_zone, "nor the zone it created");

	is_int(sigil_keydb_commit(db, &err), SIGIL_EINVAL,
	       "commit without begin");
	is_int(sigil_keydb_rollback(db, &err), SIGIL_EINVAL,
	       "rollback without begin");
	is_int(sigil_keydb_begin(db, &err), SIGIL_EOK, "begin");
	is_int(sigil_keydb_begin(db, &err), SIGIL_EINVAL, "no nesting");

	/* A reader in another connection sees only committed keys (WAL:
	 * and it is not blocked by the writer). */
	ok(sigil_keydb_open(tpath(1, "main.db"), &db2, &err) == SIGIL_EOK,
	   "second connection");
	add_fresh(db, "tx.test", SIGIL_ROLE_ZSK);
	is_int(key_count(db2, "tx.test"), 0,
	       "other connection does not see the uncommitted key");
	is_int(sigil_keydb_commit(db, &err), SIGIL_EOK, "commit");
	is_int(key_count(db2, "tx.test"), 1, "committed key seen by the other");
	sigil_keydb_close(db2);

	/* The generator's step: record a key, its copies and mark it
	 * usable as one; a colliding candidate fails inside without
	 * breaking the transaction. */
	int found = find_collision(a, b, &tries);

	ok(found, "colliding candidates");
	is_int(sigil_keydb_begin(db, &err), SIGIL_EOK, "begin generation");
	is_int(add(db, "gen.test", SIGIL_ROLE_ZSK, a, 36, &ida, &err),
	       SIGIL_EOK, "key recorded");
	is_int(add(db, "gen.test", SIGIL_ROLE_ZSK, b, 36, &idb, &err),
	       SIGIL_EAMBIGUOUS, "colliding candidate refused inside");
	c.key_id = ida;
	c.present = true;
	c.result = SIGIL_PROOF_OK;
	c.proof_time = time(NULL);
	c.hsm = "hsm-1";
	c.local = true;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK, "copy 1");
	c.hsm = "hsm-2";
	c.local = false;
	is_int(sigil_keydb_copy_record(db, &c, &err), SIGIL_EOK, "copy 2");
	is_int(sigil_keydb_key_set_state(db, ida, SIGIL_KEY_USABLE, &err),
	       SIGIL_EOK, "marked usable");
	is_int(sigil_keydb_key_set_state(db, 987654, SIGIL_KEY_USABLE, &err),
	       SIGIL_ENOTFOUND, "a failing call inside");
	is_int(sigil_keydb_commit(db, &err), SIGIL_EOK, "commit generation");
	sigil_keydb_key_get(db, ida, &k, &err);
	ok(k != NULL && k->state == SIGIL_KEY_USABLE, "key usable");
	sigil_keydb_keys_free(k, 1);
	is_int(sigil_keydb_copies(db, ida, NULL, &n, &err), SIGIL_EINVAL,
	       "NULL out refused");
	{
		sigil_keydb_copy_t *cs = NULL;

		sigil_keydb_copies(db, ida, &cs, &n, &err);
		is_int(n, 2, "with both copies");
		sigil_keydb_copies_free(cs, n);
	}
	is_int(key_count(db, "gen.test"), 1, "and no trace of the candidate");

	/* The same step rolled back (an HSM failed): nothing stays. */
	is_int(sigil_keydb_begin(db, &err), SIGIL_EOK, "begin generation 2");
	ida = add_fresh(db, "gen.test", SIGIL_ROLE_KSK);
	c.key_id = ida;
	sigil_keydb_copy_record(db, &c, &err);
	is_int(sigil_keydb_rollback(db, &err), SIGIL_EOK, "HSM failed: undo");
	is_int(key_count(db, "gen.test"), 1, "no second key");
	is_int(raw_int(tpath(1, "main.db"),
	               "SELECT count(*) FROM copies WHERE key_id NOT IN "
	               "(SELECT id FROM keys)"),
	       0, "no copies left");
}

static void test_versions(void)
{
	const char *path = tpath(2, "v99.db");
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;
	FILE *f;

	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK, "create");
	add_fresh(db, "v.test", SIGIL_ROLE_ZSK);
	sigil_keydb_close(db);
	/* as if a newer sigil had migrated it */
	is_int(raw_exec(path, "PRAGMA user_version = 99"), SQLITE_OK,
	       "user_version set to 99");
	db = (sigil_keydb_t *)&err;
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EDB,
	       "a newer schema is refused");
	ok(db == NULL, "no handle");
	ok(strstr(err.message, "99") != NULL &&
	           strstr(err.message, "newer") != NULL,
	   "message: %s", err.message);
	is_int(raw_int(path, "PRAGMA user_version"), 99,
	       "and the file is left alone");
	rm_db(path);

	/* somebody else's SQLite database */
	path = tpath(2, "other.db");
	is_int(raw_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)"),
	       SQLITE_OK, "a foreign SQLite database");
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EDB, "refused");
	ok(strstr(err.message, "not a sigil key database") != NULL,
	   "message: %s", err.message);
	is_str(raw_text(path, "PRAGMA journal_mode"), "delete",
	       "its journal mode is untouched");
	rm_db(path);
	is_int(raw_exec(path, "PRAGMA application_id = 42"), SQLITE_OK,
	       "a database of another application");
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EDB, "refused");
	ok(strstr(err.message, "application_id") != NULL, "message: %s",
	   err.message);
	rm_db(path);

	/* not a database at all */
	path = tpath(2, "text.db");
	f = fopen(path, "w");
	fputs("this is a zone file, not a key database\n"
	      "example. 3600 IN SOA ns hostmaster 1 2 3 4 5\n",
	      f);
	fclose(f);
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EDB,
	       "a text file is refused");
	is_int(err.sqlite_code, SQLITE_NOTADB, "SQLite's code is kept");
	ok(strstr(err.message, path) != NULL &&
	           strstr(err.message, "not a database") != NULL,
	   "message: %s", err.message);
	rm_db(path);

	is_int(sigil_keydb_open("/nonexistent-dir/keys.db", &db, &err),
	       SIGIL_EDB, "an impossible path");
	ok(strstr(err.message, "/nonexistent-dir/keys.db") != NULL,
	   "message: %s", err.message);
	is_int(sigil_keydb_open("", &db, &err), SIGIL_EINVAL, "empty path");
}

/* Runs fn in a child process that dies without closing anything; true
 * when it got as far as killing itself. */
static int in_child(void (*fn)(const char *path), const char *path)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		fn(path);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		return 0;
	}
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static void child_killed_mid_tx(const char *path)
{
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;

	if (sigil_keydb_open(path, &db, &err) != SIGIL_EOK) {
		_exit(2);
	}
	sigil_keydb_begin(db, &err);
	for (int i = 0; i < 50; i++) {
		add_fresh(db, "crash.test", SIGIL_ROLE_ZSK);
	}
	if (key_count(db, "crash.test") != 50) {
		_exit(3);
	}
	kill(getpid(), SIGKILL);
}

static void child_killed_after_commit(const char *path)
{
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;

	if (sigil_keydb_open(path, &db, &err) != SIGIL_EOK) {
		_exit(2);
	}
	add_fresh(db, "crash.test", SIGIL_ROLE_KSK);
	kill(getpid(), SIGKILL);
}

static void test_crash(void)
{
	const char *path = tpath(2, "crash.db");
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;

	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK, "create");
	is_int(sigil_keydb_begin(db, &err), SIGIL_EOK, "begin");
	add_fresh(db, "crash.test", SIGIL_ROLE_ZSK);
	sigil_keydb_close(db);
	db = NULL;
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK,
	       "reopened after close without commit");
	is_int(key_count(db, "crash.test"), 0, "the uncommitted key is gone");
	sigil_keydb_close(db);

	ok(in_child(child_killed_mid_tx, path),
	   "a process added 50 keys in a transaction and was killed");
	db = NULL;
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK,
	       "reopened after a process was killed mid-transaction");
	is_int(key_count(db, "crash.test"), 0, "none of its 50 keys remain");
	is_str(raw_text(path, "PRAGMA integrity_check"), "ok",
	       "integrity check passes");
	sigil_keydb_close(db);

	ok(in_child(child_killed_after_commit, path),
	   "a process added a key and was killed");
	db = NULL;
	is_int(sigil_keydb_open(path, &db, &err), SIGIL_EOK,
	       "reopened after a process was killed after a commit");
	is_int(key_count(db, "crash.test"), 1, "the committed key is there");
	is_str(raw_text(path, "PRAGMA foreign_key_check"), "",
	       "no foreign key violations");
	sigil_keydb_close(db);
	rm_db(path);
}

static void test_tamper(void)
{
	const char *path = tpath(2, "tamper.db");
	sigil_keydb_t *db = NULL;
	sigil_keydb_key_t *keys = NULL;
	sigil_keydb_error_t err;
	size_t n = 0;
	int64_t id;
	char sql[160];

	sigil_keydb_open(path, &db, &err);
	id = add_fresh(db, "tamper.test", SIGIL_ROLE_ZSK);
	snprintf(sql, sizeof(sql),
	         "UPDATE keys SET key_tag = (key_tag + 1) %% 65536 "
	         "WHERE id = %lld",
	         (long long)id);
	is_int(raw_exec(path, sql), SQLITE_OK, "stored key tag edited");
	is_int(sigil_keydb_keys(db, "tamper.test", &keys, &n, &err), SIGIL_EDB,
	       "a stored tag that does not match the RDATA is an error");
	ok(keys == NULL && n == 0, "no partial list");
	ok(strstr(err.message, "does not match") != NULL, "message: %s",
	   err.message);
	snprintf(sql, sizeof(sql),
	         "UPDATE keys SET key_tag = (key_tag + 65535) %% 65536, "
	         "ds_sha256 = zeroblob(32) WHERE id = %lld",
	         (long long)id);
	raw_exec(path, sql);
	is_int(sigil_keydb_key_get(db, id, &keys, &err), SIGIL_EDB,
	       "a stored DS that does not match the RDATA is an error");
	snprintf(sql, sizeof(sql),
	         "UPDATE keys SET state = 'active' WHERE id = %lld",
	         (long long)id);
	is_int(raw_exec(path, sql), SQLITE_CONSTRAINT_CHECK,
	       "the schema refuses an undefined state");
	sigil_keydb_close(db);
	rm_db(path);
}

static void test_names(void)
{
	enum sigil_key_role role;
	enum sigil_key_state state;
	enum sigil_proof_result res;

	is_str(sigil_key_role_name(SIGIL_ROLE_CSK), "csk", "role name");
	is_str(sigil_key_state_name(SIGIL_KEY_USABLE), "usable", "state name");
	is_str(sigil_proof_result_name(SIGIL_PROOF_PUBKEY_MISMATCH),
	       "pubkey-mismatch", "proof result name");
	ok(sigil_key_role_name(0) == NULL && sigil_key_role_name(4) == NULL &&
	           sigil_proof_result_name(SIGIL_PROOF_NONE) == NULL &&
	           sigil_proof_result_name(9) == NULL,
	   "no names outside the enums");
	ok(sigil_key_role_parse("zsk", &role) == SIGIL_EOK &&
	           role == SIGIL_ROLE_ZSK,
	   "parse role");
	ok(sigil_key_state_parse("failed", &state) == SIGIL_EOK &&
	           state == SIGIL_KEY_FAILED,
	   "parse state");
	ok(sigil_proof_result_parse("bad-signature", &res) == SIGIL_EOK &&
	           res == SIGIL_PROOF_BAD_SIGNATURE,
	   "parse result");
	ok(sigil_key_role_parse("KSK", &role) == SIGIL_EINVAL &&
	           sigil_key_role_parse(NULL, &role) == SIGIL_EINVAL,
	   "parse is exact");
}

int main(void)
{
	sigil_keydb_t *db = NULL;
	sigil_keydb_error_t err;

	snprintf(dir, sizeof(dir), "/tmp/sigil-keydb-test-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		abort();
	}
	test_names();
	test_create();
	if (sigil_keydb_open(tpath(1, "main.db"), &db, &err) != SIGIL_EOK) {
		diag("%s", err.message);
		abort();
	}
	test_derived(db);
	test_rejected(db);
	test_collision(db);
	test_copies_states(db);
	test_order_and_zones(db);
	test_transactions(db);
	sigil_keydb_close(db);
	test_versions();
	test_crash();
	test_tamper();
	rm_db(tpath(1, "main.db"));
	rmdir(dir);
	return done_testing();
}
