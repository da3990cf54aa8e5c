/* Enrollment: one AES-256 key-encryption key (KEK) in every HSM.
 *
 * The KEK is generated inside one HSM and moved to each other HSM under
 * an RSA-2048 transport key pair generated inside the target for that
 * one transfer: the target's public key is copied (as a session object)
 * into the source, the source wraps the KEK with RSA-OAEP (SHA-1, MGF1
 * SHA-1: SoftHSM2 refuses other OAEP parameters for secret keys) and the
 * target unwraps it with the transport private key, which never leaves
 * it.  Host memory only ever holds the public transport key and the
 * ciphertext.  Copies are compared by key check value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/hsm.h"
#include "hsm/internal.h"
#include "util/error.h"

#define KEK_LABEL SIGIL_HSM_KEK_LABEL
#define KEK_ID SIGIL_HSM_KEK_ID
/* More than this many KEK objects on one token is reported as "several"
 * all the same. */
#define KEK_FIND_MAX 8

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

/* Finds the secret keys labelled KEK_LABEL: up to max handles in out,
 * their number (at most max) in *count. */
static int kek_find(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *out, CK_ULONG max,
                    CK_ULONG *count, sigil_hsm_error_t *err)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_LABEL, (void *)KEK_LABEL, sizeof(KEK_LABEL) - 1},
	};

	return sigil_hsm_objects_find(hsm, tmpl, 2, out, max, count, KEK_LABEL,
	                              err);
}

/* KCV of an AES key: AES-ECB of a zero block, or AES-CBC with a zero IV
 * (the same for one block) when the token refuses ECB for the key. */
static int kcv_compute(sigil_hsm_t *hsm, CK_SESSION_HANDLE s,
                       CK_OBJECT_HANDLE key, uint8_t kcv[3],
                       sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_BYTE iv[16] = {0};
	CK_BYTE zero[16] = {0};
	CK_BYTE out[16];
	CK_ULONG len = sizeof(out);
	CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0};
	CK_MECHANISM cbc = {CKM_AES_CBC, iv, sizeof(iv)};
	CK_RV rv;

	rv = f->C_EncryptInit(s, &ecb, key);
	if (rv == CKR_MECHANISM_INVALID ||
	    rv == CKR_KEY_FUNCTION_NOT_PERMITTED ||
	    rv == CKR_KEY_TYPE_INCONSISTENT) {
		rv = f->C_EncryptInit(s, &cbc, key);
	}
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_EncryptInit", rv,
		                           "key check value of " KEK_LABEL);
	}
	rv = f->C_Encrypt(s, zero, sizeof(zero), out, &len);
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_Encrypt", rv,
		                           "key check value of " KEK_LABEL);
	}
	if (len != sizeof(out)) {
		hsm_error(err, CKR_OK,
		          "C_Encrypt on %s (key check value of " KEK_LABEL
		          "): %lu bytes instead of 16",
		          sigil_hsm_name(hsm), (unsigned long)len);
		return SIGIL_EHSM;
	}
	memcpy(kcv, out, 3);
	return SIGIL_EOK;
}

/* The KEK on hsm: *handle CK_INVALID_HANDLE when absent. */
static int kek_lookup(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *handle,
                      uint8_t kcv[3], sigil_hsm_error_t *err)
{
	CK_OBJECT_HANDLE found[KEK_FIND_MAX];
	CK_SESSION_HANDLE s;
	CK_ULONG count = 0;
	int ret;

	*handle = CK_INVALID_HANDLE;
	memset(kcv, 0, 3);
	ret = sigil_hsm_session(hsm, &s, err);
	if (ret == SIGIL_EOK) {
		ret = kek_find(hsm, found, KEK_FIND_MAX, &count, err);
	}
	if (ret == SIGIL_EOK && count > 1) {
		hsm_error(err, CKR_OK,
		          "%s holds %s%lu keys labelled " KEK_LABEL
		          " (one expected): refusing to choose",
		          sigil_hsm_name(hsm),
		          count == KEK_FIND_MAX ? "at least " : "",
		          (unsigned long)count);
		ret = SIGIL_EAMBIGUOUS;
	}
	if (ret == SIGIL_EOK && count == 1) {
		ret = kcv_compute(hsm, s, found[0], kcv, err);
		if (ret == SIGIL_EOK) {
			*handle = found[0];
		}
	}
	return ret;
}

int sigil_hsm_kek_check(sigil_hsm_t *hsm, uint8_t kcv[3], bool *present,
                        sigil_hsm_error_t *err)
{
	CK_OBJECT_HANDLE h;
	int ret = kek_lookup(hsm, &h, kcv, err);

	*present = ret == SIGIL_EOK && h != CK_INVALID_HANDLE;
	return ret;
}

/* Generates the KEK in hsm. */
static int kek_generate(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *out,
                        sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_ULONG value_len = 32;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_VALUE_LEN, &value_len, sizeof(value_len)},
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_true, sizeof(ck_true)},
		{CKA_SENSITIVE, &ck_true, sizeof(ck_true)},
		{CKA_EXTRACTABLE, &ck_true, sizeof(ck_true)},
		{CKA_WRAP, &ck_true, sizeof(ck_true)},
		{CKA_UNWRAP, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_true, sizeof(ck_true)},
		{CKA_DECRYPT, &ck_false, sizeof(ck_false)},
		{CKA_LABEL, (void *)KEK_LABEL, sizeof(KEK_LABEL) - 1},
		{CKA_ID, (void *)KEK_ID, sizeof(KEK_ID) - 1},
	};
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret = sigil_hsm_session(hsm, &s, err);

	*out = CK_INVALID_HANDLE;
	if (ret != SIGIL_EOK) {
		return ret;
	}
	rv = f->C_GenerateKey(s, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]),
	                      out);
	if (rv != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		return sigil_hsm_error_set(err, hsm, "C_GenerateKey", rv,
		                           KEK_LABEL);
	}
	return SIGIL_EOK;
}

/* Reads attribute type of obj into a new buffer *out of *len bytes. */
static int attr_read(sigil_hsm_t *hsm, CK_SESSION_HANDLE s,
                     CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
                     CK_BYTE **out, CK_ULONG *len, sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv;

	*out = NULL;
	*len = 0;
	rv = f->C_GetAttributeValue(s, obj, &a, 1);
	if (rv == CKR_OK && (a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	                     a.ulValueLen == 0 || a.ulValueLen > 4096)) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (rv == CKR_OK) {
		a.pValue = malloc(a.ulValueLen);
		if (a.pValue == NULL) {
			hsm_error(err, CKR_OK, "out of memory");
			return SIGIL_ENOMEM;
		}
		rv = f->C_GetAttributeValue(s, obj, &a, 1);
	}
	if (rv != CKR_OK) {
		free(a.pValue);
		return sigil_hsm_error_set(err, hsm, "C_GetAttributeValue", rv,
		                           "transport public key");
	}
	*out = a.pValue;
	*len = a.ulValueLen;
	return SIGIL_EOK;
}

/* Rollback: destroys the KEKs this run made; where that fails, marks the
 * HSM SIGIL_HSM_KEK_LEFT and adds it to err's message. */
static void made_destroy(sigil_hsm_t **hsms, size_t n,
                         CK_OBJECT_HANDLE *handles, const bool *made,
                         sigil_hsm_enroll_result_t *res, sigil_hsm_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		CK_RV rv;

		if (!made[i]) {
			continue;
		}
		rv = sigil_hsm_object_destroy(hsms[i], &handles[i]);
		if (rv == CKR_OK) {
			continue;
		}
		res[i].state = SIGIL_HSM_KEK_LEFT;
		if (err != NULL) {
			size_t used = strlen(err->message);

			snprintf(err->message + used,
			         sizeof(err->message) - used,
			         "; the " KEK_LABEL
			         " made on %s could not be destroyed "
			         "(C_DestroyObject: %s): remove it by hand",
			         sigil_hsm_name(hsms[i]),
			         sigil_hsm_rv_name(rv));
		}
	}
}

/* Copies the KEK (handle kek in src) to dst as a new token object *out. */
static int kek_copy(sigil_hsm_t *src, CK_OBJECT_HANDLE kek, sigil_hsm_t *dst,
                    CK_OBJECT_HANDLE *out, sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *sf = sigil_hsm_functions(src);
	CK_FUNCTION_LIST *df = sigil_hsm_functions(dst);
	CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA_1, CKG_MGF1_SHA1,
	                                CKZ_DATA_SPECIFIED, NULL, 0};
	CK_MECHANISM wrap_mech = {CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
	CK_MECHANISM gen_mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_ULONG bits = 2048;
	CK_BYTE exponent[] = {0x01, 0x00, 0x01};
	CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
	CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ATTRIBUTE pub_tmpl[] = {
		{CKA_TOKEN, &ck_false, sizeof(ck_false)},
		{CKA_MODULUS_BITS, &bits, sizeof(bits)},
		{CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)},
		{CKA_WRAP, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_false, sizeof(ck_false)},
		{CKA_VERIFY, &ck_false, sizeof(ck_false)},
	};
	CK_ATTRIBUTE priv_tmpl[] = {
		{CKA_TOKEN, &ck_false, sizeof(ck_false)},
		{CKA_PRIVATE, &ck_true, sizeof(ck_true)},
		{CKA_SENSITIVE, &ck_true, sizeof(ck_true)},
		{CKA_EXTRACTABLE, &ck_false, sizeof(ck_false)},
		{CKA_UNWRAP, &ck_true, sizeof(ck_true)},
		{CKA_DECRYPT, &ck_false, sizeof(ck_false)},
		{CKA_SIGN, &ck_false, sizeof(ck_false)},
	};
	CK_ATTRIBUTE kek_tmpl[] = {
		{CKA_CLASS, &secret_class, sizeof(secret_class)},
		{CKA_KEY_TYPE, &aes, sizeof(aes)},
		{CKA_TOKEN, &ck_true, sizeof(ck_true)},
		{CKA_PRIVATE, &ck_true, sizeof(ck_true)},
		{CKA_SENSITIVE, &ck_true, sizeof(ck_true)},
		{CKA_EXTRACTABLE, &ck_true, sizeof(ck_true)},
		{CKA_WRAP, &ck_true, sizeof(ck_true)},
		{CKA_UNWRAP, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_true, sizeof(ck_true)},
		{CKA_DECRYPT, &ck_false, sizeof(ck_false)},
		{CKA_LABEL, (void *)KEK_LABEL, sizeof(KEK_LABEL) - 1},
		{CKA_ID, (void *)KEK_ID, sizeof(KEK_ID) - 1},
	};
	CK_OBJECT_HANDLE tpub = CK_INVALID_HANDLE, tpriv = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE spub = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE ss, ds;
	CK_BYTE *modulus = NULL, *pubexp = NULL, *blob = NULL;
	CK_ULONG modulus_len = 0, pubexp_len = 0, blob_len = 0;
	CK_RV rv;
	int ret;

	*out = CK_INVALID_HANDLE;
	ret = sigil_hsm_session(src, &ss, err);
	if (ret == SIGIL_EOK) {
		ret = sigil_hsm_session(dst, &ds, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	/* 1. The transport key pair, in the target. */
	rv = df->C_GenerateKeyPair(
		ds, &gen_mech, pub_tmpl, sizeof(pub_tmpl) / sizeof(pub_tmpl[0]),
		priv_tmpl, sizeof(priv_tmpl) / sizeof(priv_tmpl[0]), &tpub,
		&tpriv);
	if (rv != CKR_OK) {
		tpub = tpriv = CK_INVALID_HANDLE;
		ret = sigil_hsm_error_set(err, dst, "C_GenerateKeyPair", rv,
		                          "transport key");
		goto out;
	}
	ret = attr_read(dst, ds, tpub, CKA_MODULUS, &modulus, &modulus_len,
	                err);
	if (ret == SIGIL_EOK) {
		ret = attr_read(dst, ds, tpub, CKA_PUBLIC_EXPONENT, &pubexp,
		                &pubexp_len, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	/* 2. Its public half, as a session object in the source. */
	CK_ATTRIBUTE spub_tmpl[] = {
		{CKA_CLASS, &pub_class, sizeof(pub_class)},
		{CKA_KEY_TYPE, &rsa, sizeof(rsa)},
		{CKA_TOKEN, &ck_false, sizeof(ck_false)},
		{CKA_MODULUS, modulus, modulus_len},
		{CKA_PUBLIC_EXPONENT, pubexp, pubexp_len},
		{CKA_WRAP, &ck_true, sizeof(ck_true)},
		{CKA_ENCRYPT, &ck_false, sizeof(ck_false)},
		{CKA_VERIFY, &ck_false, sizeof(ck_false)},
	};
	rv = sf->C_CreateObject(
		ss, spub_tmpl, sizeof(spub_tmpl) / sizeof(spub_tmpl[0]), &spub);
	if (rv != CKR_OK) {
		spub = CK_INVALID_HANDLE;
		ret = sigil_hsm_error_set(err, src, "C_CreateObject", rv,
		                          "transport public key");
		goto out;
	}
	/* 3. The KEK wrapped in the source: only ciphertext leaves it. */
	rv = sf->C_WrapKey(ss, &wrap_mech, spub, kek, NULL, &blob_len);
	if (rv == CKR_OK && (blob_len == 0 || blob_len > 4096)) {
		rv = CKR_GENERAL_ERROR;
	}
	if (rv == CKR_OK) {
		blob = malloc(blob_len);
		if (blob == NULL) {
			hsm_error(err, CKR_OK, "out of memory");
			ret = SIGIL_ENOMEM;
			goto out;
		}
		rv = sf->C_WrapKey(ss, &wrap_mech, spub, kek, blob, &blob_len);
	}
	if (rv != CKR_OK) {
		ret = sigil_hsm_error_set(err, src, "C_WrapKey", rv, KEK_LABEL);
		goto out;
	}
	/* 4. Unwrapped in the target, as a sensitive token object.
	 * SoftHSM2 2.6 leaves CKA_VALUE_LEN 0 on the copy and refuses it in
	 * the template (CKR_ATTRIBUTE_READ_ONLY): the KCV comparison is what
	 * shows that the copy is the KEK. */
	rv = df->C_UnwrapKey(ds, &wrap_mech, tpriv, blob, blob_len, kek_tmpl,
	                     sizeof(kek_tmpl) / sizeof(kek_tmpl[0]), out);
	if (rv != CKR_OK) {
		*out = CK_INVALID_HANDLE;
		ret = sigil_hsm_error_set(err, dst, "C_UnwrapKey", rv,
		                          KEK_LABEL);
		goto out;
	}
	ret = SIGIL_EOK;
out:
	/* Session objects: should destroying one fail, it still goes when
	 * the session closes (at sigil_hsm_close()). */
	sigil_hsm_object_destroy(src, &spub);
	sigil_hsm_object_destroy(dst, &tpub);
	sigil_hsm_object_destroy(dst, &tpriv);
	free(blob);
	free(modulus);
	free(pubexp);
	return ret;
}

/* Names the HSMs holding KEKs and their KCVs, for the refusal. */
static void conflict_error(sigil_hsm_t **hsms, size_t n,
                           const CK_OBJECT_HANDLE *handles,
                           const sigil_hsm_enroll_result_t *res,
                           sigil_hsm_error_t *err)
{
	char list[400] = "";
	size_t used = 0;

	for (size_t i = 0; i < n && used < sizeof(list); i++) {
		int w;

		if (handles[i] == CK_INVALID_HANDLE) {
			continue;
		}
		w = snprintf(list + used, sizeof(list) - used,
		             "%s%s %02x%02x%02x", used > 0 ? ", " : "",
		             sigil_hsm_name(hsms[i]), res[i].kcv[0],
		             res[i].kcv[1], res[i].kcv[2]);
		if (w < 0) {
			break;
		}
		used += (size_t)w;
	}
	hsm_error(err, CKR_OK,
	          "HSMs hold different keys labelled " KEK_LABEL
	          " (KCV %s): refusing to choose",
	          list);
}

int sigil_hsm_enroll(sigil_hsm_t **hsms, size_t n,
                     sigil_hsm_enroll_result_t *res, sigil_hsm_error_t *err)
{
	CK_OBJECT_HANDLE *handles = NULL;
	bool *made = NULL;
	size_t src = n;
	int ret = SIGIL_EINVAL;

	if (hsms == NULL || res == NULL || n == 0) {
		hsm_error(err, CKR_OK, "enrollment needs at least one HSM");
		goto out;
	}
	ret = SIGIL_ENOMEM;
	handles = calloc(n, sizeof(*handles));
	made = calloc(n, sizeof(*made));
	if (handles == NULL || made == NULL) {
		hsm_error(err, CKR_OK, "out of memory");
		goto out;
	}
	/* One token listed twice would receive a second KEK. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (sigil_hsm_functions(hsms[i]) ==
			            sigil_hsm_functions(hsms[j]) &&
			    sigil_hsm_slot(hsms[i]) ==
			            sigil_hsm_slot(hsms[j])) {
				hsm_error(err, CKR_OK,
				          "%s and %s are the same token",
				          sigil_hsm_name(hsms[i]),
				          sigil_hsm_name(hsms[j]));
				ret = SIGIL_ECONFIG;
				goto out;
			}
		}
	}
	/* What every HSM holds now: nothing is changed before all agree. */
	for (size_t i = 0; i < n; i++) {
		handles[i] = CK_INVALID_HANDLE;
		res[i].state = SIGIL_HSM_KEK_PRESENT;
		memset(res[i].kcv, 0, sizeof(res[i].kcv));
	}
	for (size_t i = 0; i < n; i++) {
		ret = kek_lookup(hsms[i], &handles[i], res[i].kcv, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		if (handles[i] == CK_INVALID_HANDLE) {
			continue;
		}
		if (src == n) {
			src = i;
		} else if (memcmp(res[i].kcv, res[src].kcv, 3) != 0) {
			conflict_error(hsms, n, handles, res, err);
			ret = SIGIL_EAMBIGUOUS;
			goto out;
		}
	}
	if (src == n) {
		CK_SESSION_HANDLE s;

		src = 0;
		ret = kek_generate(hsms[0], &handles[0], err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		made[0] = true;
		res[0].state = SIGIL_HSM_KEK_CREATED;
		ret = sigil_hsm_session(hsms[0], &s, err);
		if (ret == SIGIL_EOK) {
			ret = kcv_compute(hsms[0], s, handles[0], res[0].kcv,
			                  err);
		}
		if (ret != SIGIL_EOK) {
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		CK_OBJECT_HANDLE copy;
		CK_SESSION_HANDLE s;
		uint8_t kcv[3];

		if (handles[i] != CK_INVALID_HANDLE) {
			continue;
		}
		ret = kek_copy(hsms[src], handles[src], hsms[i], &copy, err);
		if (ret != SIGIL_EOK) {
			goto out;
		}
		handles[i] = copy;
		made[i] = true;
		res[i].state = SIGIL_HSM_KEK_COPIED;
		ret = sigil_hsm_session(hsms[i], &s, err);
		if (ret == SIGIL_EOK) {
			ret = kcv_compute(hsms[i], s, copy, kcv, err);
		}
		if (ret != SIGIL_EOK) {
			goto out;
		}
		memcpy(res[i].kcv, kcv, 3);
		if (memcmp(kcv, res[src].kcv, 3) != 0) {
			hsm_error(err, CKR_OK,
			          "%s: the copied " KEK_LABEL
			          " has KCV %02x%02x%02x, %s's has "
			          "%02x%02x%02x",
			          sigil_hsm_name(hsms[i]), kcv[0], kcv[1],
			          kcv[2], sigil_hsm_name(hsms[src]),
			          res[src].kcv[0], res[src].kcv[1],
			          res[src].kcv[2]);
			ret = SIGIL_ECRYPTO;
			goto out;
		}
	}
	ret = SIGIL_EOK;
out:
	if (ret != SIGIL_EOK && made != NULL) {
		made_destroy(hsms, n, handles, made, res, err);
	}
	free(handles);
	free(made);
	return ret;
}
