/* Key store dispatch: argument checks common to every backend, then the
 * backend's function (keystore/internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore/internal.h"
#include "util/error.h"

int sigil_keystore_error_set(sigil_keystore_error_t *err, int code,
                             const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

void keystore_id_hex(char *out, const uint8_t *id, size_t idlen)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < idlen; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[2 * idlen] = '\0';
}

bool keystore_ref_ok(const sigil_keystore_ref_t *ref)
{
	return ref != NULL && ref->alg != 0 && ref->id != NULL &&
	       ref->idlen > 0 && ref->idlen <= SIGIL_KEYSTORE_ID_MAXLEN;
}

/* A ref check with the message every entry point gives. */
static int ref_check(const sigil_keystore_t *ks,
                     const sigil_keystore_ref_t *ref,
                     sigil_keystore_error_t *err)
{
	if (ks == NULL || !keystore_ref_ok(ref)) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "key store: no key (algorithm and ID) "
		                      "given");
	}
	return SIGIL_EOK;
}

void sigil_keystore_close(sigil_keystore_t *ks)
{
	if (ks != NULL) {
		ks->ops->close(ks);
	}
}

const char *sigil_keystore_name(const sigil_keystore_t *ks)
{
	return ks->name;
}

const char *sigil_keystore_site(const sigil_keystore_t *ks)
{
	return ks->hsm != NULL ? sigil_hsm_site(ks->hsm) : "";
}

sigil_keystore_kind_t sigil_keystore_kind(const sigil_keystore_t *ks)
{
	return ks->ops->kind;
}

sigil_hsm_t *sigil_keystore_hsm(const sigil_keystore_t *ks)
{
	return ks->hsm;
}

bool sigil_keystore_same(const sigil_keystore_t *a, const sigil_keystore_t *b)
{
	return a->ops == b->ops && a->ops->same(a, b);
}

bool sigil_keystore_can_generate(sigil_keystore_t *ks, uint8_t alg)
{
	return ks->ops->generate != NULL && ks->ops->can_generate(ks, alg);
}

int sigil_keystore_ready(sigil_keystore_t *ks, bool need_kek,
                         sigil_keystore_error_t *err)
{
	return ks->ops->ready(ks, need_kek, err);
}

int sigil_keystore_generate(sigil_keystore_t *ks,
                            const sigil_keystore_ref_t *ref, unsigned bits,
                            uint8_t *pub, size_t len, size_t *publen,
                            sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (!sigil_keystore_can_generate(ks, ref->alg)) {
		return keystore_error(err, SIGIL_EALGORITHM,
		                      "%s: cannot generate keys of algorithm "
		                      "%u for replication",
		                      ks->name, (unsigned)ref->alg);
	}
	return ks->ops->generate(ks, ref, bits, pub, len, publen, err);
}

int sigil_keystore_rename(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          const sigil_keystore_ref_t *to,
                          sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret == SIGIL_EOK) {
		ret = ref_check(ks, to, err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (ks->ops->rename == NULL) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "%s: keys cannot be renamed here",
		                      ks->name);
	}
	return ks->ops->rename(ks, ref, to, err);
}

int sigil_keystore_replicate(sigil_keystore_t *src, sigil_keystore_t *dst,
                             const sigil_keystore_ref_t *ref,
                             const uint8_t *pub, size_t publen,
                             sigil_keystore_error_t *err)
{
	int ret = ref_check(src, ref, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (dst == NULL || src->ops != dst->ops ||
	    src->ops->replicate == NULL) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "%s: keys can be replicated only between "
		                      "HSMs",
		                      src->name);
	}
	return src->ops->replicate(src, dst, ref, pub, publen, err);
}

int sigil_keystore_import(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          const sigil_privkey_t *key,
                          sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (key == NULL || sigil_privkey_alg(key) != ref->alg) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "%s: the key to import is not of "
		                      "algorithm %u",
		                      ks->name, (unsigned)ref->alg);
	}
	return ks->ops->import(ks, ref, key, err);
}

int sigil_keystore_seal(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret != SIGIL_EOK || ks->ops->seal == NULL) {
		return ret;
	}
	return ks->ops->seal(ks, ref, err);
}

int sigil_keystore_destroy(sigil_keystore_t *ks,
                           const sigil_keystore_ref_t *ref,
                           sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	return ks->ops->destroy(ks, ref, err);
}

int sigil_keystore_lookup(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                          sigil_keystore_lookup_t *out,
                          sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	memset(out, 0, sizeof(*out));
	return ks->ops->lookup(ks, ref, out, err);
}

int sigil_keystore_key_open(sigil_keystore_t *ks,
                            const sigil_keystore_ref_t *ref,
                            sigil_keystore_key_t **out,
                            sigil_keystore_error_t *err)
{
	int ret = ref_check(ks, ref, err);

	*out = NULL;
	if (ret != SIGIL_EOK) {
		return ret;
	}
	return ks->ops->key_open(ks, ref, out, err);
}

void sigil_keystore_key_free(sigil_keystore_key_t *key)
{
	if (key != NULL) {
		key->ks->ops->key_free(key);
	}
}

int sigil_keystore_key_sign(sigil_keystore_key_t *key, const uint8_t *data,
                            size_t datalen, uint8_t *sig, size_t len,
                            size_t *siglen, sigil_keystore_error_t *err)
{
	return key->ks->ops->key_sign(key, data, datalen, sig, len, siglen,
	                              err);
}
