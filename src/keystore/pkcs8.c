/* The software key store: a directory of unencrypted PEM PKCS #8 files,
 * "<hex ID>.pem", mode 0600, in a directory only its owner may read or
 * write.  The directory is opened once and every file is reached relative
 * to it (openat and friends), so the store stays the directory that was
 * checked even if its path is later pointed elsewhere.
 *
 * Files are written whole or not at all: to a temporary file, synced,
 * then hard-linked under the final name, which fails when that name
 * exists: two imports of one ID can never overwrite each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/privkey.h"
#include "keystore/internal.h"
#include "util/error.h"

/* A PEM PKCS #8 RSA-4096 key is about 3.3 kB; anything much larger is not
 * a key file. */
#define KEYFILE_MAXLEN 65536

/* "<hex ID>.pem" and the temporary ".<hex ID>.<pid>.<n>.tmp". */
#define FILENAME_MAXLEN (2 * SIGIL_KEYSTORE_ID_MAXLEN + 64)

typedef struct {
	struct sigil_keystore base;
	char *dir; /* as given, for messages */
	int dirfd;
	dev_t dev;
	ino_t ino;
} pkcs8_store_t;

typedef struct {
	struct sigil_keystore_key base;
	sigil_privkey_t *key;
} pkcs8_key_t;

/* Makes temporary names unique between threads of the process. */
static atomic_uint tmp_counter;

static pkcs8_store_t *store_of(sigil_keystore_t *ks)
{
	return (pkcs8_store_t *)ks;
}

static const pkcs8_store_t *cstore_of(const sigil_keystore_t *ks)
{
	return (const pkcs8_store_t *)ks;
}

static int nomem(sigil_keystore_error_t *err, const char *name)
{
	return keystore_error(err, SIGIL_ENOMEM, "key store %s: out of memory",
	                      name);
}

static void key_filename(char *out, const sigil_keystore_ref_t *ref)
{
	char hex[2 * SIGIL_KEYSTORE_ID_MAXLEN + 1];

	keystore_id_hex(hex, ref->id, ref->idlen);
	snprintf(out, FILENAME_MAXLEN, "%s.pem", hex);
}

/* Keys are secrets: the directory must let nobody but its owner list,
 * create, rename or remove files in it.  The message says what is
 * wrong. */
static int mode_check(const pkcs8_store_t *st, mode_t mode,
                      sigil_keystore_error_t *err)
{
	if (!S_ISDIR(mode)) {
		return keystore_error(err, SIGIL_ECONFIG,
		                      "key store %s: %s is not a directory",
		                      st->base.name, st->dir);
	}
	if (mode & (S_IWGRP | S_IWOTH)) {
		return keystore_error(err, SIGIL_ECONFIG,
		                      "key store %s: directory %s is writable "
		                      "by %s (mode %04o): private keys must be "
		                      "its owner's alone",
		                      st->base.name, st->dir,
		                      (mode & S_IWOTH) ? "others" : "its group",
		                      (unsigned)(mode & 07777));
	}
	if (mode & (S_IRGRP | S_IROTH)) {
		return keystore_error(err, SIGIL_ECONFIG,
		                      "key store %s: directory %s is readable "
		                      "by %s (mode %04o): private keys must be "
		                      "its owner's alone",
		                      st->base.name, st->dir,
		                      (mode & S_IROTH) ? "others" : "its group",
		                      (unsigned)(mode & 07777));
	}
	return SIGIL_EOK;
}

static void pkcs8_close(sigil_keystore_t *ks)
{
	pkcs8_store_t *st = store_of(ks);

	if (st->dirfd >= 0) {
		close(st->dirfd);
	}
	free(st->dir);
	free(st->base.name);
	free(st);
}

int sigil_keystore_open_pkcs8(const char *name, const char *directory,
                              sigil_keystore_t **out,
                              sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = NULL;
	struct stat sb;
	int ret;

	*out = NULL;
	if (name == NULL || directory == NULL) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "key store: no name or directory given");
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		ret = nomem(err, name);
		goto out;
	}
	st->dirfd = -1;
	st->base.ops = &keystore_pkcs8_ops;
	st->base.name = strdup(name);
	st->dir = strdup(directory);
	if (st->base.name == NULL || st->dir == NULL) {
		ret = nomem(err, name);
		goto out;
	}
	st->dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENOTDIR) {
			ret = keystore_error(
				err, SIGIL_ECONFIG, "key store %s: %s %s", name,
				directory,
				e == ENOENT ? "does not exist" :
					      "is not a directory");
		} else {
			ret = keystore_error(err, SIGIL_EIO,
			                     "key store %s: cannot open "
			                     "directory %s: %s",
			                     name, directory, strerror(e));
		}
		goto out;
	}
	if (fstat(st->dirfd, &sb) != 0) {
		ret = keystore_error(err, SIGIL_EIO,
		                     "key store %s: cannot examine %s: %s",
		                     name, directory, strerror(errno));
		goto out;
	}
	ret = mode_check(st, sb.st_mode, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	*out = &st->base;
	st = NULL;
out:
	if (st != NULL) {
		pkcs8_close(&st->base);
	}
	return ret;
}

static bool pkcs8_same(const sigil_keystore_t *a, const sigil_keystore_t *b)
{
	const pkcs8_store_t *x = cstore_of(a), *y = cstore_of(b);

	return x->dev == y->dev && x->ino == y->ino;
}

static bool pkcs8_can_generate(sigil_keystore_t *ks, uint8_t alg)
{
	(void)ks;
	(void)alg;
	return false; /* keys are made in software and imported */
}

static int pkcs8_ready(sigil_keystore_t *ks, bool need_kek,
                       sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = store_of(ks);
	struct stat sb;
	int ret;

	(void)need_kek; /* files are not wrapped */
	/* The mode may have changed since the store was opened. */
	if (fstat(st->dirfd, &sb) != 0) {
		return keystore_error(err, SIGIL_EIO,
		                      "key store %s: cannot examine %s: %s",
		                      ks->name, st->dir, strerror(errno));
	}
	ret = mode_check(st, sb.st_mode, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (faccessat(st->dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		return keystore_error(err, SIGIL_ECONFIG,
		                      "key store %s: cannot create files in "
		                      "%s: %s",
		                      ks->name, st->dir, strerror(errno));
	}
	return SIGIL_EOK;
}

/* Writes all of buf to fd. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates a new temporary file for ref in the directory, mode 0600; its
 * name in tmp.  A name left by an earlier crash is skipped, never
 * reused. */
static int tmp_create(pkcs8_store_t *st, const sigil_keystore_ref_t *ref,
                      char *tmp)
{
	char hex[2 * SIGIL_KEYSTORE_ID_MAXLEN + 1];
	int fd = -1;

	keystore_id_hex(hex, ref->id, ref->idlen);
	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		snprintf(tmp, FILENAME_MAXLEN, ".%s.%ld.%u.tmp", hex,
		         (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
		fd = openat(st->dirfd, tmp,
		            O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			break;
		}
	}
	return fd;
}

static int pkcs8_import(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        const sigil_privkey_t *key, sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = store_of(ks);
	char file[FILENAME_MAXLEN], tmp[FILENAME_MAXLEN];
	bool tmp_made = false;
	char *pem = NULL;
	size_t pemlen = 0;
	int fd = -1;
	int ret;

	key_filename(file, ref);
	ret = sigil_privkey_to_pem(key, &pem, &pemlen);
	if (ret != SIGIL_EOK) {
		ret = keystore_error(err, ret,
		                     "key store %s: cannot encode the key for "
		                     "%s/%s: %s",
		                     ks->name, st->dir, file,
		                     sigil_strerror(ret));
		goto out;
	}
	fd = tmp_create(st, ref, tmp);
	if (fd < 0) {
		ret = keystore_error(err, SIGIL_EIO,
		                     "key store %s: cannot create a file in "
		                     "%s: %s",
		                     ks->name, st->dir, strerror(errno));
		goto out;
	}
	tmp_made = true;
	/* Exactly 0600 whatever the umask took away from it: the owner
	 * must be able to read the key back. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, pem, pemlen) != 0 ||
	    fsync(fd) != 0) {
		ret = keystore_error(err, SIGIL_EIO,
		                     "key store %s: cannot write %s/%s: %s",
		                     ks->name, st->dir, tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ret = keystore_error(err, SIGIL_EIO,
		                     "key store %s: cannot write %s/%s: %s",
		                     ks->name, st->dir, tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* link() never replaces an existing name, unlike rename(): the
	 * check for an existing key and the creation are one atomic step. */
	if (linkat(st->dirfd, tmp, st->dirfd, file, 0) != 0) {
		if (errno == EEXIST) {
			ret = keystore_error(
				err, SIGIL_EAMBIGUOUS,
				"key store %s: %s/%s already exists", ks->name,
				st->dir, file);
		} else {
			ret = keystore_error(
				err, SIGIL_EIO,
				"key store %s: cannot create %s/%s: "
				"%s",
				ks->name, st->dir, file, strerror(errno));
		}
		goto out;
	}
	(void)unlinkat(st->dirfd, tmp, 0);
	tmp_made = false;
	/* The new name is durable only once the directory is. */
	if (fsync(st->dirfd) != 0) {
		ret = keystore_error(
			err, SIGIL_EIO,
			"key store %s: cannot sync directory %s: %s", ks->name,
			st->dir, strerror(errno));
		goto out;
	}
	ret = SIGIL_EOK;
out:
	if (fd >= 0) {
		close(fd);
	}
	if (tmp_made) {
		(void)unlinkat(st->dirfd, tmp, 0);
	}
	if (pem != NULL) {
		OPENSSL_cleanse(pem, pemlen);
		free(pem);
	}
	return ret;
}

static int pkcs8_destroy(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                         sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = store_of(ks);
	char file[FILENAME_MAXLEN];

	key_filename(file, ref);
	if (unlinkat(st->dirfd, file, 0) != 0) {
		if (errno == ENOENT) {
			return SIGIL_EOK;
		}
		return keystore_error(err, SIGIL_EIO,
		                      "key store %s: cannot remove %s/%s: %s",
		                      ks->name, st->dir, file, strerror(errno));
	}
	if (fsync(st->dirfd) != 0) {
		return keystore_error(err, SIGIL_EIO,
		                      "key store %s: cannot sync directory %s: "
		                      "%s",
		                      ks->name, st->dir, strerror(errno));
	}
	return SIGIL_EOK;
}

/* Reads and decodes the key file of ref: SIGIL_ENOTFOUND (with no
 * message) when there is none, SIGIL_EMALFORMED naming the file when it
 * is not a key of ref's algorithm. */
static int key_load(pkcs8_store_t *st, const sigil_keystore_ref_t *ref,
                    sigil_privkey_t **out, sigil_keystore_error_t *err)
{
	const char *name = st->base.name;
	char file[FILENAME_MAXLEN];
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	int fd;
	int ret;

	*out = NULL;
	key_filename(file, ref);
	fd = openat(st->dirfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			return SIGIL_ENOTFOUND;
		}
		return keystore_error(err, SIGIL_EIO,
		                      "key store %s: cannot open %s/%s: %s",
		                      name, st->dir, file, strerror(errno));
	}
	if (fstat(fd, &sb) != 0) {
		ret = keystore_error(err, SIGIL_EIO,
		                     "key store %s: cannot examine %s/%s: %s",
		                     name, st->dir, file, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > KEYFILE_MAXLEN) {
		ret = keystore_error(err, SIGIL_EMALFORMED,
		                     "key store %s: %s/%s is not a key file",
		                     name, st->dir, file);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		ret = nomem(err, name);
		goto out;
	}
	/* Read up to the size fstat gave; a file that grew meanwhile is
	 * cut there and then fails to decode. */
	while (len < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size - len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = keystore_error(
				err, SIGIL_EIO,
				"key store %s: cannot read %s/%s: %s", name,
				st->dir, file, strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	ret = sigil_privkey_from_pem(ref->alg, buf, len, out);
	if (ret == SIGIL_EMALFORMED) {
		ret = keystore_error(err, SIGIL_EMALFORMED,
		                     "key store %s: %s/%s is not a PEM PKCS#8 "
		                     "key of algorithm %u",
		                     name, st->dir, file, (unsigned)ref->alg);
	} else if (ret != SIGIL_EOK) {
		ret = keystore_error(err, ret,
		                     "key store %s: cannot load %s/%s: %s",
		                     name, st->dir, file, sigil_strerror(ret));
	}
out:
	close(fd);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return ret;
}

static int pkcs8_lookup(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        sigil_keystore_lookup_t *out,
                        sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = store_of(ks);
	sigil_privkey_t *key = NULL;
	char file[FILENAME_MAXLEN];
	int ret = key_load(st, ref, &key, err);

	if (ret == SIGIL_ENOTFOUND) {
		ret = SIGIL_EOK; /* counts stay 0 */
		goto out;
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sigil_privkey_dnskey_pub(key, out->pub, sizeof(out->pub),
	                               &out->publen);
	if (ret != SIGIL_EOK) {
		key_filename(file, ref);
		ret = keystore_error(err, ret,
		                     "key store %s: no DNSKEY public key from "
		                     "%s/%s: %s",
		                     ks->name, st->dir, file,
		                     sigil_strerror(ret));
		goto out;
	}
	out->private_count = 1;
	out->public_count = 1;
	out->local = false; /* made in software, not in the store */
out:
	sigil_privkey_free(key);
	return ret;
}

static int pkcs8_key_open(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          sigil_keystore_key_t **out,
                          sigil_keystore_error_t *err)
{
	pkcs8_store_t *st = store_of(ks);
	pkcs8_key_t *k = NULL;
	char file[FILENAME_MAXLEN];
	sigil_privkey_t *key = NULL;
	int ret = key_load(st, ref, &key, err);

	if (ret == SIGIL_ENOTFOUND) {
		key_filename(file, ref);
		ret = keystore_error(err, SIGIL_ENOTFOUND,
		                     "key store %s: no key %s/%s", ks->name,
		                     st->dir, file);
		goto out;
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		ret = nomem(err, ks->name);
		goto out;
	}
	k->base.ks = ks;
	k->key = key;
	key = NULL;
	*out = &k->base;
out:
	sigil_privkey_free(key);
	return ret;
}

static void pkcs8_key_free(sigil_keystore_key_t *key)
{
	pkcs8_key_t *k = (pkcs8_key_t *)key;

	sigil_privkey_free(k->key);
	free(k);
}

static int pkcs8_key_sign(sigil_keystore_key_t *key, const uint8_t *data,
                          size_t datalen, uint8_t *sig, size_t len,
                          size_t *siglen, sigil_keystore_error_t *err)
{
	pkcs8_key_t *k = (pkcs8_key_t *)key;
	int ret = sigil_privkey_sign(k->key, data, datalen, sig, len, siglen);

	if (ret != SIGIL_EOK) {
		return keystore_error(err, ret,
		                      "key store %s: signing failed: %s",
		                      key->ks->name, sigil_strerror(ret));
	}
	return SIGIL_EOK;
}

const keystore_ops_t keystore_pkcs8_ops = {
	.kind = SIGIL_KEYSTORE_PKCS8,
	.close = pkcs8_close,
	.same = pkcs8_same,
	.can_generate = pkcs8_can_generate,
	.ready = pkcs8_ready,
	.generate = NULL,  /* keys are generated in software */
	.rename = NULL,    /* file names follow the ID, fixed at import */
	.replicate = NULL, /* files are copied by importing the key */
	.import = pkcs8_import,
	.seal = NULL, /* nothing to seal: keys are never wrapped */
	.destroy = pkcs8_destroy,
	.lookup = pkcs8_lookup,
	.key_open = pkcs8_key_open,
	.key_free = pkcs8_key_free,
	.key_sign = pkcs8_key_sign,
};
