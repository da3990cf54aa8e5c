/* The software key store (keystore/pkcs8.c) in a temporary directory:
 * refusal of directories others could read or write, import of keys of
 * three algorithms (files of mode 0600, never overwritten), lookup,
 * signing, destruction, files that are not keys, and store identity. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "crypto/key.h"
#include "crypto/privkey.h"
#include "keystore/keystore.h"
#include "lib/tap.h"
#include "util/error.h"

static char top[] = "/tmp/sigil-pkcs8-XXXXXX";

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* top/name into out (PATH_MAX-sized buffers are ample here). */
static const char *path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", top, name);
	return out;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (f == NULL) {
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* Whether the directory holds any file whose name starts with a dot (a
 * temporary file left behind). */
static bool has_dotfile(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL) {
		return true;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0) {
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* ---- opening -------------------------------------------------------- */

static void test_open_refused(void)
{
	char dir[512];
	sigil_keystore_error_t err;
	sigil_keystore_t *ks = (sigil_keystore_t *)&ks;
	FILE *f;

	path_of(dir, sizeof(dir), "open");
	mkdir(dir, 0700);
	chmod(dir, 0777);
	memset(&err, 0, sizeof(err));
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a 0777 directory is refused");
	ok(ks == NULL, "no store on failure");
	ok(strstr(err.message, dir) != NULL &&
	           strstr(err.message, "writable") != NULL &&
	           strstr(err.message, "soft") != NULL,
	   "the message names the store, the directory and the fault");
	diag("%s", err.message);

	chmod(dir, 0720);
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a group-writable directory is refused");
	chmod(dir, 0740);
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a group-readable directory is refused");
	ok(strstr(err.message, "readable") != NULL, "message says readable");
	chmod(dir, 0704);
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a world-readable directory is refused");
	chmod(dir, 0711);
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_EOK,
	       "a 0711 directory is taken (names cannot be listed)");
	sigil_keystore_close(ks);

	path_of(dir, sizeof(dir), "plain");
	f = fopen(dir, "w");
	if (f != NULL) {
		fclose(f);
	}
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a regular file is refused");
	ok(strstr(err.message, "not a directory") != NULL,
	   "message says not a directory");
	diag("%s", err.message);

	path_of(dir, sizeof(dir), "missing");
	is_int(sigil_keystore_open_pkcs8("soft", dir, &ks, &err), SIGIL_ECONFIG,
	       "a missing directory is refused");
	ok(strstr(err.message, "does not exist") != NULL,
	   "message says it does not exist");
	is_int(sigil_keystore_open_pkcs8(NULL, dir, &ks, &err), SIGIL_EINVAL,
	       "no name is EINVAL");
}

/* ---- keys ----------------------------------------------------------- */

static void check_signing(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          const uint8_t *pub, size_t publen)
{
	uint8_t rd[4 + SIGIL_PRIVKEY_PUB_MAXLEN], data[100];
	uint8_t sig[SIGIL_PRIVKEY_SIG_MAXLEN];
	sigil_keystore_key_t *key = NULL;
	sigil_keystore_error_t err;
	sigil_pubkey_t *pk = NULL;
	size_t siglen = 0;
	int ret;

	rd[0] = 1;
	rd[1] = 1;
	rd[2] = 3;
	rd[3] = ref->alg;
	memcpy(rd + 4, pub, publen);
	ret = sigil_pubkey_from_dnskey(rd, 4 + publen, &pk);
	is_int(ret, SIGIL_EOK, "alg %u: DNSKEY decodes", ref->alg);
	ret = sigil_keystore_key_open(ks, ref, &key, &err);
	is_int(ret, SIGIL_EOK, "alg %u: key opens", ref->alg);
	if (key == NULL || pk == NULL) {
		sigil_pubkey_free(pk);
		sigil_keystore_key_free(key);
		return;
	}
	RAND_bytes(data, sizeof(data));
	ret = sigil_keystore_key_sign(key, data, sizeof(data), sig, sizeof(sig),
	                              &siglen, &err);
	is_int(ret, SIGIL_EOK, "alg %u: key signs", ref->alg);
	is_int(sigil_pubkey_verify(pk, data, sizeof(data), sig, siglen),
	       SIGIL_EOK, "alg %u: the signature verifies", ref->alg);
	data[0] ^= 1;
	is_int(sigil_pubkey_verify(pk, data, sizeof(data), sig, siglen),
	       SIGIL_EBADSIG, "alg %u: not over other data", ref->alg);
	is_int(sigil_keystore_key_sign(key, data, sizeof(data), sig, 10,
	                               &siglen, &err),
	       SIGIL_ESPACE, "alg %u: a short buffer is ESPACE", ref->alg);
	sigil_keystore_key_free(key);
	sigil_pubkey_free(pk);
}

static void test_keys(sigil_keystore_t *ks, const char *dir)
{
	static const uint8_t tested[] = {13, 15, 8};

	for (size_t a = 0; a < sizeof(tested); a++) {
		uint8_t alg = tested[a], id[20], pub[SIGIL_PRIVKEY_PUB_MAXLEN];
		sigil_privkey_t *key = NULL, *other = NULL;
		sigil_keystore_ref_t ref = {alg, id, sizeof(id), "test"};
		sigil_keystore_lookup_t lk;
		sigil_keystore_error_t err;
		char hex[41], file[600];
		char *before = NULL, *after = NULL;
		size_t publen = 0, blen = 0, alen = 0;
		struct stat sb;
		mode_t old;
		int ret;

		RAND_bytes(id, sizeof(id));
		for (size_t i = 0; i < sizeof(id); i++) {
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		}
		snprintf(file, sizeof(file), "%s/%s.pem", dir, hex);
		if (sigil_privkey_generate(alg, alg == 8 ? 1024 : 0, &key) !=
		            SIGIL_EOK ||
		    sigil_privkey_generate(alg, alg == 8 ? 1024 : 0, &other) !=
		            SIGIL_EOK) {
			ok(0, "alg %u: keys generated", alg);
			sigil_privkey_free(key);
			sigil_privkey_free(other);
			continue;
		}
		sigil_privkey_dnskey_pub(key, pub, sizeof(pub), &publen);

		is_int(sigil_keystore_lookup(ks, &ref, &lk, &err), SIGIL_EOK,
		       "alg %u: lookup before import", alg);
		ok(lk.private_count == 0 && lk.public_count == 0,
		   "alg %u: nothing found before import", alg);

		/* A permissive umask must not widen the file's mode. */
		old = umask(0);
		ret = sigil_keystore_import(ks, &ref, key, &err);
		umask(old);
		is_int(ret, SIGIL_EOK, "alg %u: key imported", alg);
		ok(stat(file, &sb) == 0 && S_ISREG(sb.st_mode) &&
		           (sb.st_mode & 07777) == 0600,
		   "alg %u: %s.pem exists with mode 0600", alg, hex);
		ok(!has_dotfile(dir), "alg %u: no temporary file left", alg);

		memset(&lk, 0xaa, sizeof(lk));
		is_int(sigil_keystore_lookup(ks, &ref, &lk, &err), SIGIL_EOK,
		       "alg %u: lookup after import", alg);
		ok(lk.private_count == 1 && lk.public_count == 1 && !lk.local,
		   "alg %u: one key, not made in the store", alg);
		ok(lk.publen == publen && memcmp(lk.pub, pub, publen) == 0,
		   "alg %u: lookup gives the key's DNSKEY public key", alg);

		before = read_file(file, &blen);
		ret = sigil_keystore_import(ks, &ref, other, &err);
		is_int(ret, SIGIL_EAMBIGUOUS,
		       "alg %u: a second import under the ID is EAMBIGUOUS",
		       alg);
		ok(strstr(err.message, file) != NULL,
		   "alg %u: the message names the file", alg);
		after = read_file(file, &alen);
		ok(before != NULL && after != NULL && alen == blen &&
		           memcmp(before, after, blen) == 0,
		   "alg %u: the first key's file is untouched", alg);
		ok(!has_dotfile(dir), "alg %u: no temporary file left", alg);
		sigil_keystore_lookup(ks, &ref, &lk, &err);
		ok(lk.publen == publen && memcmp(lk.pub, pub, publen) == 0,
		   "alg %u: lookup still gives the first key", alg);

		check_signing(ks, &ref, pub, publen);

		is_int(sigil_keystore_seal(ks, &ref, &err), SIGIL_EOK,
		       "alg %u: seal is a no-op", alg);
		is_int(sigil_keystore_destroy(ks, &ref, &err), SIGIL_EOK,
		       "alg %u: destroyed", alg);
		ok(stat(file, &sb) != 0 && errno == ENOENT,
		   "alg %u: the file is gone", alg);
		sigil_keystore_lookup(ks, &ref, &lk, &err);
		ok(lk.private_count == 0 && lk.public_count == 0,
		   "alg %u: nothing found after destroy", alg);
		is_int(sigil_keystore_destroy(ks, &ref, &err), SIGIL_EOK,
		       "alg %u: destroying nothing is fine", alg);
		free(before);
		free(after);
		sigil_privkey_free(key);
		sigil_privkey_free(other);
	}
}

static void test_bad_files(sigil_keystore_t *ks, const char *dir)
{
	uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
	sigil_keystore_ref_t ref = {13, id, sizeof(id), NULL};
	sigil_keystore_key_t *key = NULL;
	sigil_keystore_lookup_t lk;
	sigil_keystore_error_t err;
	sigil_privkey_t *ed = NULL;
	char file[600];
	FILE *f;

	snprintf(file, sizeof(file), "%s/deadbeef.pem", dir);
	is_int(sigil_keystore_key_open(ks, &ref, &key, &err), SIGIL_ENOTFOUND,
	       "opening a missing key is ENOTFOUND");
	ok(strstr(err.message, file) != NULL, "the message names the file");
	diag("%s", err.message);

	f = fopen(file, "w");
	if (f != NULL) {
		fputs("-----BEGIN PRIVATE KEY-----\ngarbage\n", f);
		fclose(f);
	}
	chmod(file, 0600);
	is_int(sigil_keystore_lookup(ks, &ref, &lk, &err), SIGIL_EMALFORMED,
	       "lookup of a garbage file is EMALFORMED");
	ok(strstr(err.message, file) != NULL, "the message names the file");
	diag("%s", err.message);
	is_int(sigil_keystore_key_open(ks, &ref, &key, &err), SIGIL_EMALFORMED,
	       "opening a garbage file is EMALFORMED");
	ok(key == NULL, "no key from a garbage file");
	is_int(sigil_keystore_destroy(ks, &ref, &err), SIGIL_EOK,
	       "a garbage file can be destroyed");

	/* A good key of another algorithm than the ref's. */
	sigil_privkey_generate(15, 0, &ed);
	ref.alg = 15;
	is_int(sigil_keystore_import(ks, &ref, ed, &err), SIGIL_EOK,
	       "Ed25519 key imported");
	ref.alg = 13;
	is_int(sigil_keystore_lookup(ks, &ref, &lk, &err), SIGIL_EMALFORMED,
	       "an Ed25519 file looked up as P-256 is EMALFORMED");
	is_int(sigil_keystore_import(ks, &ref, ed, &err), SIGIL_EINVAL,
	       "importing a key under another algorithm is EINVAL");
	sigil_keystore_destroy(ks, &ref, &err);
	sigil_privkey_free(ed);
}

static void test_store(void)
{
	char dir[512], dir2[512];
	sigil_keystore_t *ks = NULL, *again = NULL, *other = NULL;
	sigil_keystore_error_t err;
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN], id[1] = {1};
	sigil_keystore_ref_t ref = {13, id, 1, "x"};
	size_t publen;
	int ret;

	path_of(dir, sizeof(dir), "store");
	path_of(dir2, sizeof(dir2), "store2");
	mkdir(dir, 0700);
	mkdir(dir2, 0700);
	ret = sigil_keystore_open_pkcs8("soft", dir, &ks, &err);
	is_int(ret, SIGIL_EOK, "a 0700 directory opens");
	if (ks == NULL) {
		diag("%s", err.message);
		return;
	}
	is_str(sigil_keystore_name(ks), "soft", "store name");
	is_str(sigil_keystore_site(ks), "", "no site");
	ok(sigil_keystore_kind(ks) == SIGIL_KEYSTORE_PKCS8, "kind pkcs8");
	ok(sigil_keystore_hsm(ks) == NULL, "no HSM");
	ok(!sigil_keystore_can_generate(ks, 13) &&
	           !sigil_keystore_can_generate(ks, 8),
	   "never generates in the store");
	is_int(sigil_keystore_ready(ks, true, &err), SIGIL_EOK,
	       "ready (a KEK is never needed)");
	is_int(sigil_keystore_generate(ks, &ref, 0, pub, sizeof(pub), &publen,
	                               &err),
	       SIGIL_EALGORITHM, "generate is refused");
	is_int(sigil_keystore_rename(ks, &ref, &ref, &err), SIGIL_EINVAL,
	       "rename is refused");

	test_keys(ks, dir);
	test_bad_files(ks, dir);

	chmod(dir, 0770);
	is_int(sigil_keystore_ready(ks, false, &err), SIGIL_ECONFIG,
	       "not ready once the directory became group-writable");
	diag("%s", err.message);
	chmod(dir, 0500);
	if (geteuid() != 0) {
		is_int(sigil_keystore_ready(ks, false, &err), SIGIL_ECONFIG,
		       "not ready when the directory is read-only");
		diag("%s", err.message);
	}
	chmod(dir, 0700);

	is_int(sigil_keystore_open_pkcs8("soft-again", dir, &again, &err),
	       SIGIL_EOK, "the directory opens twice");
	is_int(sigil_keystore_open_pkcs8("other", dir2, &other, &err),
	       SIGIL_EOK, "another directory opens");
	ok(again != NULL && sigil_keystore_same(ks, again),
	   "two opens of one directory are the same store");
	ok(other != NULL && !sigil_keystore_same(ks, other) &&
	           !sigil_keystore_same(other, ks),
	   "different directories are different stores");
	is_int(sigil_keystore_replicate(ks, other, &ref, pub, 64, &err),
	       SIGIL_EINVAL, "no replication between software stores");
	sigil_keystore_close(again);
	sigil_keystore_close(other);
	sigil_keystore_close(ks);
	sigil_keystore_close(NULL);
}

int main(void)
{
	if (mkdtemp(top) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_open_refused();
	test_store();
	nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
