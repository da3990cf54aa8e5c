/* The PKCS#11 key store: keys as object pairs on one HSM token, found by
 * CKA_ID (keystore/keystore.h).
 *
 * A key generated here exists once, in the token that generated it; every
 * other HSM gets the same private key as ciphertext under the KEK all
 * enrolled HSMs share (hsm/enroll.c), so only the wrapped blob passes
 * through host memory.  Keys a token cannot wrap (EdDSA on SoftHSM2) are
 * made in software and imported into every HSM instead.
 *
 * Every object is created with its protections stated in full, never
 * inherited from token defaults: SoftHSM2 makes unwrapped keys
 * non-sensitive by default, and default key usage is broad.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "keystore/internal.h"
#include "util/error.h"

/* Objects looked for under one ID: one more than allowed is enough to
 * see "several"; for renaming, sealing and destroying, all of them. */
#define FIND_SEVERAL 2
#define FIND_ALL 16
#define WRAPPED_MAX 16384 /* a wrapped RSA-4096 PKCS#8 is about 2.5 kB */
#define WHAT_MAX 400      /* how messages name a key */
#define RSA_BITS_DEFAULT 2048
#define RSA_BITS_MIN 1024
#define RSA_BITS_MAX 4096
#define RSA_PART_MAX 1024 /* bytes of a modulus or exponent read back */
/* OCTET STRING header and 04 prefix around the longest point (P-384). */
#define POINT_DER_MAX (2 + 1 + 96)
/* No mechanism: 0 is one (CKM_RSA_PKCS_KEY_PAIR_GEN). */
#define NO_MECH CK_UNAVAILABLE_INFORMATION

static CK_BBOOL ck_true = CK_TRUE;
static CK_BBOOL ck_false = CK_FALSE;

/* DER OIDs (CKA_EC_PARAMS): P-256 1.2.840.10045.3.1.7, P-384
 * 1.3.132.0.34, Ed25519 1.3.101.112, Ed448 1.3.101.113; and the
 * PrintableString curve names PKCS#11 3.0 also allows for Edwards
 * curves, for tokens that take only those. */
static const CK_BYTE p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07};
static const CK_BYTE p384_oid[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const CK_BYTE ed25519_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const CK_BYTE ed448_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x71};
static const CK_BYTE ed25519_name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                       'd',  's',  '2', '5', '5', '1', '9'};
static const CK_BYTE ed448_name[] = {0x13, 0x0a, 'e', 'd', 'w', 'a',
                                     'r',  'd',  's', '4', '4', '8'};
static const CK_BYTE rsa_exponent[] = {0x01, 0x00, 0x01}; /* 65537 */

/* What this store needs to know of a DNSSEC algorithm. */
struct alg {
	uint8_t alg;
	const char *name; /* for messages */
	CK_KEY_TYPE type;
	/* Key pair generation in the token; NO_MECH when keys of the
	 * algorithm are only imported (they could not be replicated). */
	CK_MECHANISM_TYPE gen;
	CK_MECHANISM_TYPE sign;
	/* SHA-2 output size in bytes when the host hashes before signing
	 * (CKM_ECDSA signs a digest), 0 when the mechanism hashes. */
	size_t hash;
	/* Curves: CKA_EC_PARAMS, the alternative form (NULL if none), the
	 * size in bits and the DNSKEY public key length.  RSA: all 0. */
	const CK_BYTE *params, *params_alt;
	size_t params_len, params_alt_len;
	unsigned bits;
	size_t pub_len;
};

static const struct alg algs[] = {
	{
		.alg = 8,
		.name = "RSASHA256",
		.type = CKK_RSA,
		.gen = CKM_RSA_PKCS_KEY_PAIR_GEN,
		.sign = CKM_SHA256_RSA_PKCS,
	},
	{
		.alg = 10,
		.name = "RSASHA512",
		.type = CKK_RSA,
		.gen = CKM_RSA_PKCS_KEY_PAIR_GEN,
		.sign = CKM_SHA512_RSA_PKCS,
	},
	{
		.alg = 13,
		.name = "ECDSAP256SHA256",
		.type = CKK_EC,
		.gen = CKM_EC_KEY_PAIR_GEN,
		.sign = CKM_ECDSA,
		.hash = SHA256_DIGEST_LENGTH,
		.params = p256_oid,
		.params_len = sizeof(p256_oid),
		.bits = 256,
		.pub_len = 64,
	},
	{
		.alg = 14,
		.name = "ECDSAP384SHA384",
		.type = CKK_EC,
		.gen = CKM_EC_KEY_PAIR_GEN,
		.sign = CKM_ECDSA,
		.hash = SHA384_DIGEST_LENGTH,
		.params = p384_oid,
		.params_len = sizeof(p384_oid),
		.bits = 384,
		.pub_len = 96,
	},
	{
		.alg = 15,
		.name = "ED25519",
		.type = CKK_EC_EDWARDS,
		.gen = NO_MECH,
		.sign = CKM_EDDSA,
		.params = ed25519_oid,
		.params_len = sizeof(ed25519_oid),
		.params_alt = ed25519_name,
		.params_alt_len = sizeof(ed25519_name),
		.bits = 255,
		.pub_len = 32,
	},
	{
		.alg = 16,
		.name = "ED448",
		.type = CKK_EC_EDWARDS,
		.gen = NO_MECH,
		.sign = CKM_EDDSA,
		.params = ed448_oid,
		.params_len = sizeof(ed448_oid),
		.params_alt = ed448_name,
		.params_alt_len = sizeof(ed448_name),
		.bits = 448,
		.pub_len = 57,
	},
};

struct p11_store {
	sigil_keystore_t base; /* first: the dispatcher's view */
	/* What the token can generate and wrap, asked once on first use;
	 * several threads may ask at once. */
	pthread_mutex_t lock;
	bool mech_known;
	uint32_t gen_ok; /* bit alg set: sigil_keystore_can_generate() */
};

struct p11_key {
	sigil_keystore_key_t base; /* first: the dispatcher's view */
	const struct alg *a;
	/* Valid in every session of the process while the HSM is open:
	 * sigil_hsm keeps one session open for its lifetime, so no
	 * logout invalidates it. */
	CK_OBJECT_HANDLE obj;
	char what[WHAT_MAX];
};

/* A template being put together; the callers' templates are short. */
struct tmpl {
	CK_ATTRIBUTE a[24];
	CK_ULONG n;
};

/* A DNSKEY public key as PKCS#11 public key attributes. */
struct pubkey {
	const struct alg *a;
	CK_BYTE point[POINT_DER_MAX]; /* curves: DER OCTET STRING */
	CK_ULONG point_len;
	const uint8_t *n, *e; /* RSA: point into the DNSKEY field */
	size_t n_len, e_len;
};

static const struct alg *alg_find(uint8_t alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (algs[i].alg == alg) {
			return &algs[i];
		}
	}
	return NULL;
}

static void tmpl_add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const void *p,
                     size_t len)
{
	/* Overflowing would be a bug in this file: drop the attribute so
	 * that the token refuses the incomplete template. */
	if (t->n < sizeof(t->a) / sizeof(t->a[0])) {
		t->a[t->n++] = (CK_ATTRIBUTE){type, (void *)p, (CK_ULONG)len};
	}
}

/* How messages name a key: its label and ID, or its ID alone. */
static void key_what(char *out, size_t len, const sigil_keystore_ref_t *ref)
{
	char hex[2 * SIGIL_KEYSTORE_ID_MAXLEN + 1];

	keystore_id_hex(hex, ref->id, ref->idlen);
	if (ref->label != NULL) {
		snprintf(out, len, "key \"%s\" (ID %s)", ref->label, hex);
	} else {
		snprintf(out, len, "key ID %s", hex);
	}
}

/* Adds "; " and a formatted text to err's message, keeping what is
 * there. */
static void error_append(sigil_keystore_error_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void error_append(sigil_keystore_error_t *err, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (err == NULL) {
		return;
	}
	used = strlen(err->message);
	if (used + 2 >= sizeof(err->message)) {
		return;
	}
	if (used > 0) {
		memcpy(err->message + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(err->message + used, sizeof(err->message) - used, fmt, ap);
	va_end(ap);
}

/* HSM-layer errors become this store's: the HSM layer's message (naming
 * the function, HSM, object and CKR_ code) is kept as it is. */
static int hsm_fail(sigil_keystore_error_t *err, int code,
                    const sigil_hsm_error_t *herr)
{
	return keystore_error(err, code, "%s", herr->message);
}

static int ck_fail(sigil_keystore_error_t *err, const sigil_hsm_t *hsm,
                   const char *function, CK_RV rv, const char *what)
{
	sigil_hsm_error_t herr;
	int code = sigil_hsm_error_set(&herr, hsm, function, rv, what);

	return hsm_fail(err, code, &herr);
}

static int session_get(sigil_hsm_t *hsm, CK_SESSION_HANDLE *s,
                       sigil_keystore_error_t *err)
{
	sigil_hsm_error_t herr;
	int ret = sigil_hsm_session(hsm, s, &herr);

	return ret == SIGIL_EOK ? ret : hsm_fail(err, ret, &herr);
}

/* Up to max objects with ref's ID, of class *cls when cls is not NULL. */
static int find_id(sigil_hsm_t *hsm, const CK_OBJECT_CLASS *cls,
                   const sigil_keystore_ref_t *ref, CK_OBJECT_HANDLE *out,
                   CK_ULONG max, CK_ULONG *count, const char *what,
                   sigil_keystore_error_t *err)
{
	CK_ATTRIBUTE tmpl[2] = {{CKA_ID, (void *)ref->id, ref->idlen}};
	sigil_hsm_error_t herr;
	CK_ULONG n = 1;
	int ret;

	if (cls != NULL) {
		tmpl[n++] =
			(CK_ATTRIBUTE){CKA_CLASS, (void *)cls, sizeof(*cls)};
	}
	ret = sigil_hsm_objects_find(hsm, tmpl, n, out, max, count, what,
	                             &herr);
	return ret == SIGIL_EOK ? ret : hsm_fail(err, ret, &herr);
}

/* The one private key with ref's ID (SIGIL_ENOTFOUND, SIGIL_EAMBIGUOUS). */
static int private_get(sigil_hsm_t *hsm, const sigil_keystore_ref_t *ref,
                       CK_OBJECT_HANDLE *obj, const char *what,
                       sigil_keystore_error_t *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE h[FIND_SEVERAL];
	CK_ULONG count;
	int ret = find_id(hsm, &cls, ref, h, FIND_SEVERAL, &count, what, err);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (count == 0) {
		return keystore_error(err, SIGIL_ENOTFOUND,
		                      "%s: no private key for %s",
		                      sigil_hsm_name(hsm), what);
	}
	if (count > 1) {
		return keystore_error(err, SIGIL_EAMBIGUOUS,
		                      "%s: several private keys for %s",
		                      sigil_hsm_name(hsm), what);
	}
	*obj = h[0];
	return SIGIL_EOK;
}

/* Refuses to create a key under an ID the token already uses: CKA_ID
 * uniqueness is not enforced by tokens, and a second object would make
 * the key ambiguous everywhere it is looked for. */
static int id_unused(sigil_hsm_t *hsm, const sigil_keystore_ref_t *ref,
                     const char *what, sigil_keystore_error_t *err)
{
	CK_OBJECT_HANDLE h[1];
	CK_ULONG count;
	int ret = find_id(hsm, NULL, ref, h, 1, &count, what, err);

	if (ret == SIGIL_EOK && count > 0) {
		ret = keystore_error(err, SIGIL_EAMBIGUOUS,
		                     "%s already holds objects with the ID of "
		                     "%s",
		                     sigil_hsm_name(hsm), what);
	}
	return ret;
}

/* Refuses a ref naming the KEK: it belongs to enrollment (hsm/enroll.c),
 * and renaming or destroying it would end replication to this HSM. */
static int not_kek(const sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                   sigil_keystore_error_t *err)
{
	if (ref->idlen == sizeof(SIGIL_HSM_KEK_ID) - 1 &&
	    memcmp(ref->id, SIGIL_HSM_KEK_ID, ref->idlen) == 0) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "%s: the ID of " SIGIL_HSM_KEK_LABEL
		                      " is not a key's",
		                      ks->name);
	}
	return SIGIL_EOK;
}

/* The HSM's KEK (exactly one secret key labelled SIGIL_HSM_KEK_LABEL). */
static int kek_get(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *kek,
                   sigil_keystore_error_t *err)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_LABEL, (void *)SIGIL_HSM_KEK_LABEL,
	         sizeof(SIGIL_HSM_KEK_LABEL) - 1},
	};
	CK_OBJECT_HANDLE h[FIND_SEVERAL];
	sigil_hsm_error_t herr;
	CK_ULONG count;
	int ret = sigil_hsm_objects_find(hsm, tmpl, 2, h, FIND_SEVERAL, &count,
	                                 SIGIL_HSM_KEK_LABEL, &herr);

	if (ret != SIGIL_EOK) {
		return hsm_fail(err, ret, &herr);
	}
	if (count == 0) {
		return keystore_error(
			err, SIGIL_ENOTFOUND,
			"HSM %s not enrolled (no " SIGIL_HSM_KEK_LABEL
			"): run sigil hsm enroll",
			sigil_hsm_name(hsm));
	}
	if (count > 1) {
		return keystore_error(
			err, SIGIL_EAMBIGUOUS,
			"HSM %s holds several " SIGIL_HSM_KEK_LABEL
			" keys: refusing to choose",
			sigil_hsm_name(hsm));
	}
	*kek = h[0];
	return SIGIL_EOK;
}

/* Destroys the objects of class cls with ref's ID: the cleanup after a
 * failed C_UnwrapKey or C_CreateObject, which in SoftHSM2 may leave a
 * half-made object behind.  Only called where the ID was unused before.
 * What cannot be destroyed is added to err for removal by hand. */
static void sweep(sigil_hsm_t *hsm, CK_OBJECT_CLASS cls,
                  const sigil_keystore_ref_t *ref, const char *what,
                  sigil_keystore_error_t *err)
{
	CK_OBJECT_HANDLE h[FIND_ALL];
	sigil_hsm_error_t herr;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_ID, (void *)ref->id, ref->idlen},
		{CKA_CLASS, &cls, sizeof(cls)},
	};
	CK_ULONG count;

	if (sigil_hsm_objects_find(hsm, tmpl, 2, h, FIND_ALL, &count, what,
	                           &herr) != SIGIL_EOK) {
		error_append(err, "%s: objects of %s may be left: %s",
		             sigil_hsm_name(hsm), what, herr.message);
		return;
	}
	for (CK_ULONG i = 0; i < count; i++) {
		CK_RV rv = sigil_hsm_object_destroy(hsm, &h[i]);

		if (rv != CKR_OK) {
			error_append(err,
			             "%s: an object of %s could not be "
			             "destroyed (%s): remove it by hand",
			             sigil_hsm_name(hsm), what,
			             sigil_hsm_rv_name(rv));
		}
	}
}

/* Destroys one object this store made, on the way out of a failed
 * operation; what cannot be destroyed is added to err. */
static void undo(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *obj, const char *what,
                 sigil_keystore_error_t *err)
{
	CK_RV rv = sigil_hsm_object_destroy(hsm, obj);

	if (rv != CKR_OK) {
		error_append(err,
		             "%s: an object of %s could not be destroyed (%s): "
		             "remove it by hand",
		             sigil_hsm_name(hsm), what, sigil_hsm_rv_name(rv));
	}
}

/* ---------------------------------------------------------------------
 * Public keys: DNSKEY Public Key field <-> PKCS#11 attributes.
 * --------------------------------------------------------------------- */

/* RFC 3110: exponent length (one byte, or 0 and two bytes), exponent,
 * modulus; leading zero bytes are not allowed in either. */
static int rsa_pub_encode(const CK_BYTE *n, CK_ULONG n_len, const CK_BYTE *e,
                          CK_ULONG e_len, uint8_t *out, size_t len,
                          size_t *outlen)
{
	size_t head;

	while (n_len > 0 && n[0] == 0) {
		n++;
		n_len--;
	}
	while (e_len > 0 && e[0] == 0) {
		e++;
		e_len--;
	}
	if (n_len == 0 || e_len == 0 || e_len > 0xffff) {
		return SIGIL_EMALFORMED;
	}
	head = e_len > 255 ? 3 : 1;
	if (head + e_len + n_len > len) {
		return SIGIL_ESPACE;
	}
	if (head == 1) {
		out[0] = (uint8_t)e_len;
	} else {
		out[0] = 0;
		out[1] = (uint8_t)(e_len >> 8);
		out[2] = (uint8_t)e_len;
	}
	memcpy(out + head, e, e_len);
	memcpy(out + head + e_len, n, n_len);
	*outlen = head + e_len + n_len;
	return SIGIL_EOK;
}

/* Parses a DNSKEY Public Key field of algorithm a into pk. */
static bool pub_parse(const struct alg *a, const uint8_t *pub, size_t len,
                      struct pubkey *pk)
{
	memset(pk, 0, sizeof(*pk));
	pk->a = a;
	if (pub == NULL) {
		return false;
	}
	if (a->type == CKK_RSA) {
		size_t head = 1, e_len;

		if (len < 1) {
			return false;
		}
		e_len = pub[0];
		if (e_len == 0) {
			if (len < 3) {
				return false;
			}
			e_len = (size_t)pub[1] << 8 | pub[2];
			head = 3;
		}
		if (e_len == 0 || len <= head + e_len || pub[head] == 0 ||
		    pub[head + e_len] == 0) {
			return false;
		}
		pk->e = pub + head;
		pk->e_len = e_len;
		pk->n = pub + head + e_len;
		pk->n_len = len - head - e_len;
		return true;
	}
	if (len != a->pub_len) {
		return false;
	}
	/* DER OCTET STRING around the point (uncompressed for ECDSA: 04
	 * X Y; the raw key for EdDSA); all lengths fit the short form. */
	pk->point[0] = 0x04;
	if (a->type == CKK_EC) {
		pk->point[1] = (CK_BYTE)(len + 1);
		pk->point[2] = 0x04;
		memcpy(pk->point + 3, pub, len);
		pk->point_len = 3 + len;
	} else {
		pk->point[1] = (CK_BYTE)len;
		memcpy(pk->point + 2, pub, len);
		pk->point_len = 2 + len;
	}
	return true;
}

/* The public object's attributes for pk, with params as CKA_EC_PARAMS
 * of a curve. */
static void pub_tmpl(struct tmpl *t, const struct pubkey *pk,
                     const CK_OBJECT_CLASS *cls, const CK_BYTE *params,
                     size_t params_len)
{
	tmpl_add(t, CKA_CLASS, cls, sizeof(*cls));
	tmpl_add(t, CKA_KEY_TYPE, &pk->a->type, sizeof(pk->a->type));
	if (pk->a->type == CKK_RSA) {
		tmpl_add(t, CKA_MODULUS, pk->n, pk->n_len);
		tmpl_add(t, CKA_PUBLIC_EXPONENT, pk->e, pk->e_len);
	} else {
		tmpl_add(t, CKA_EC_PARAMS, params, params_len);
		tmpl_add(t, CKA_EC_POINT, pk->point, pk->point_len);
	}
}

/* The key from a CKA_EC_POINT value: the DER OCTET STRING PKCS#11 asks
 * for, or the bare value some tokens return.  ECDSA points are
 * uncompressed (04 X Y); key_len is the DNSKEY length. */
static bool point_decode(const CK_BYTE *p, CK_ULONG len, bool ecdsa,
                         size_t key_len, const uint8_t **key)
{
	size_t inner = ecdsa ? key_len + 1 : key_len;

	if (len == inner + 2 && p[0] == 0x04 && p[1] == inner) {
		p += 2;
		len -= 2;
	}
	if (len != inner || (ecdsa && p[0] != 0x04)) {
		return false;
	}
	*key = ecdsa ? p + 1 : p;
	return true;
}

/* Reads attribute type of obj into buf (cap bytes); its length in *len. */
static int attr_read(sigil_hsm_t *hsm, CK_SESSION_HANDLE s,
                     CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, void *buf,
                     CK_ULONG cap, CK_ULONG *len, const char *what,
                     sigil_keystore_error_t *err)
{
	CK_ATTRIBUTE a = {type, buf, cap};
	CK_RV rv = sigil_hsm_functions(hsm)->C_GetAttributeValue(s, obj, &a, 1);

	if (rv != CKR_OK) {
		return ck_fail(err, hsm, "C_GetAttributeValue", rv, what);
	}
	/* A token that wrote past buf has already done harm; one that
	 * claims to have done so is not believed either. */
	if (a.ulValueLen > cap) {
		return keystore_error(err, SIGIL_EHSM,
		                      "C_GetAttributeValue on %s (%s): %lu "
		                      "bytes in a buffer of %lu",
		                      sigil_hsm_name(hsm), what,
		                      (unsigned long)a.ulValueLen,
		                      (unsigned long)cap);
	}
	*len = a.ulValueLen;
	return SIGIL_EOK;
}

/* The DNSKEY Public Key field of public key object obj, whatever the
 * algorithm: the curve is read from the object, not assumed. */
static int pub_read(sigil_hsm_t *hsm, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
                    uint8_t *out, size_t len, size_t *outlen, const char *what,
                    sigil_keystore_error_t *err)
{
	const char *name = sigil_hsm_name(hsm);
	CK_KEY_TYPE type;
	CK_BYTE buf[RSA_PART_MAX], e[RSA_PART_MAX];
	CK_ULONG n = 0, e_len = 0;
	const struct alg *a = NULL;
	const uint8_t *key = NULL;
	int ret;

	ret = attr_read(hsm, s, obj, CKA_KEY_TYPE, &type, sizeof(type), &n,
	                what, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (type == CKK_RSA) {
		ret = attr_read(hsm, s, obj, CKA_MODULUS, buf, sizeof(buf), &n,
		                what, err);
		if (ret == SIGIL_EOK) {
			ret = attr_read(hsm, s, obj, CKA_PUBLIC_EXPONENT, e,
			                sizeof(e), &e_len, what, err);
		}
		if (ret != SIGIL_EOK) {
			return ret;
		}
		ret = rsa_pub_encode(buf, n, e, e_len, out, len, outlen);
		if (ret == SIGIL_EMALFORMED) {
			return keystore_error(
				err, SIGIL_EHSM,
				"%s: the RSA public key of %s has "
				"no modulus or exponent",
				name, what);
		}
		if (ret != SIGIL_EOK) {
			return keystore_error(err, ret,
			                      "%s: the public key of %s is "
			                      "too long",
			                      name, what);
		}
		return SIGIL_EOK;
	}
	if (type != CKK_EC && type != CKK_EC_EDWARDS) {
		return keystore_error(err, SIGIL_EHSM,
		                      "%s: %s is of key type 0x%lx, not one "
		                      "of DNSSEC",
		                      name, what, (unsigned long)type);
	}
	if (type == CKK_EC) {
		ret = attr_read(hsm, s, obj, CKA_EC_PARAMS, buf, sizeof(buf),
		                &n, what, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
		if (n == sizeof(p256_oid) && memcmp(buf, p256_oid, n) == 0) {
			a = alg_find(13);
		} else if (n == sizeof(p384_oid) &&
		           memcmp(buf, p384_oid, n) == 0) {
			a = alg_find(14);
		} else {
			return keystore_error(err, SIGIL_EHSM,
			                      "%s: %s is on a curve other than "
			                      "P-256 and P-384",
			                      name, what);
		}
	}
	ret = attr_read(hsm, s, obj, CKA_EC_POINT, buf, sizeof(buf), &n, what,
	                err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (type == CKK_EC_EDWARDS) {
		/* Ed25519 or Ed448 by the size of the point. */
		const struct alg *ed25519 = alg_find(15), *ed448 = alg_find(16);

		if (point_decode(buf, n, false, ed25519->pub_len, &key)) {
			a = ed25519;
		} else if (point_decode(buf, n, false, ed448->pub_len, &key)) {
			a = ed448;
		}
	} else if (!point_decode(buf, n, true, a->pub_len, &key)) {
		a = NULL;
	}
	if (a == NULL) {
		return keystore_error(err, SIGIL_EHSM,
		                      "%s: CKA_EC_POINT of %s is not a point "
		                      "of its curve in a form DNSSEC can use",
		                      name, what);
	}
	if (a->pub_len > len) {
		return keystore_error(err, SIGIL_ESPACE,
		                      "%s: the public key of %s is too long",
		                      name, what);
	}
	memcpy(out, key, a->pub_len);
	*outlen = a->pub_len;
	return SIGIL_EOK;
}

/* The attributes every private key gets: a signing key the token keeps
 * secret; extractable (by wrapping, being sensitive) only while it is
 * replicated. */
static void priv_usage(struct tmpl *t, bool extractable)
{
	tmpl_add(t, CKA_TOKEN, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_PRIVATE, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_SENSITIVE, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_EXTRACTABLE, extractable ? &ck_true : &ck_false,
	         sizeof(ck_true));
	tmpl_add(t, CKA_SIGN, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_DECRYPT, &ck_false, sizeof(ck_false));
	tmpl_add(t, CKA_UNWRAP, &ck_false, sizeof(ck_false));
	tmpl_add(t, CKA_DERIVE, &ck_false, sizeof(ck_false));
}

/* Every public key: verification only. */
static void pub_usage(struct tmpl *t)
{
	tmpl_add(t, CKA_TOKEN, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_PRIVATE, &ck_false, sizeof(ck_false));
	tmpl_add(t, CKA_VERIFY, &ck_true, sizeof(ck_true));
	tmpl_add(t, CKA_ENCRYPT, &ck_false, sizeof(ck_false));
	tmpl_add(t, CKA_WRAP, &ck_false, sizeof(ck_false));
	tmpl_add(t, CKA_DERIVE, &ck_false, sizeof(ck_false));
}

static void ref_attrs(struct tmpl *t, const sigil_keystore_ref_t *ref)
{
	tmpl_add(t, CKA_ID, ref->id, ref->idlen);
	tmpl_add(t, CKA_LABEL, ref->label, strlen(ref->label));
}

/* Objects are created only with a label: it is what an operator sees in
 * token listings. */
static int label_check(const sigil_keystore_t *ks,
                       const sigil_keystore_ref_t *ref, const char *what,
                       sigil_keystore_error_t *err)
{
	if (ref->label == NULL) {
		return keystore_error(err, SIGIL_EINVAL,
		                      "%s: %s: a new key needs a label",
		                      ks->name, what);
	}
	return SIGIL_EOK;
}

/* ---------------------------------------------------------------------
 * The store.
 * --------------------------------------------------------------------- */

static void p11_close(sigil_keystore_t *ks)
{
	struct p11_store *st = (struct p11_store *)ks;

	sigil_hsm_close(ks->hsm);
	free(ks->name);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static bool p11_same(const sigil_keystore_t *a, const sigil_keystore_t *b)
{
	return sigil_hsm_functions(a->hsm) == sigil_hsm_functions(b->hsm) &&
	       sigil_hsm_slot(a->hsm) == sigil_hsm_slot(b->hsm);
}

static bool mech_has(CK_FUNCTION_LIST *f, CK_SLOT_ID slot,
                     CK_MECHANISM_TYPE type, CK_FLAGS flags)
{
	CK_MECHANISM_INFO info;

	return f->C_GetMechanismInfo(slot, type, &info) == CKR_OK &&
	       (info.flags & flags) == flags;
}

static bool p11_can_generate(sigil_keystore_t *ks, uint8_t alg)
{
	struct p11_store *st = (struct p11_store *)ks;
	const struct alg *a = alg_find(alg);
	bool can;

	if (a == NULL || a->gen == NO_MECH) {
		return false;
	}
	pthread_mutex_lock(&st->lock);
	if (!st->mech_known) {
		CK_FUNCTION_LIST *f = sigil_hsm_functions(ks->hsm);
		CK_SLOT_ID slot = sigil_hsm_slot(ks->hsm);
		/* Replication wraps and unwraps under the KEK. */
		bool wrap = mech_has(f, slot, CKM_AES_KEY_WRAP_PAD,
		                     CKF_WRAP | CKF_UNWRAP);

		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			if (wrap && algs[i].gen != NO_MECH &&
			    mech_has(f, slot, algs[i].gen,
			             CKF_GENERATE_KEY_PAIR) &&
			    mech_has(f, slot, algs[i].sign, CKF_SIGN)) {
				st->gen_ok |= 1u << algs[i].alg;
			}
		}
		st->mech_known = true;
	}
	can = (st->gen_ok & 1u << alg) != 0;
	pthread_mutex_unlock(&st->lock);
	return can;
}

static int p11_ready(sigil_keystore_t *ks, bool need_kek,
                     sigil_keystore_error_t *err)
{
	CK_OBJECT_HANDLE kek;
	CK_SESSION_HANDLE s;

	if (need_kek) {
		return kek_get(ks->hsm, &kek, err);
	}
	return session_get(ks->hsm, &s, err);
}

/* Key sizes this store makes: RSA 1024 to 4096 bits in whole bytes (0
 * for the default), curves only their own size (or 0). */
static bool bits_ok(const struct alg *a, unsigned bits)
{
	if (a->type != CKK_RSA) {
		return bits == 0 || bits == a->bits;
	}
	return bits == 0 ||
	       (bits >= RSA_BITS_MIN && bits <= RSA_BITS_MAX && bits % 8 == 0);
}

static int p11_generate(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        unsigned bits, uint8_t *pub, size_t len, size_t *publen,
                        sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	const struct alg *a = alg_find(ref->alg);
	CK_MECHANISM mech = {a->gen, NULL, 0};
	CK_ULONG modulus_bits = bits == 0 ? RSA_BITS_DEFAULT : bits;
	CK_OBJECT_HANDLE pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
	struct tmpl pt = {.n = 0}, kt = {.n = 0};
	char what[WHAT_MAX];
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret;

	key_what(what, sizeof(what), ref);
	ret = label_check(ks, ref, what, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	if (!bits_ok(a, bits)) {
		ret = keystore_error(err, SIGIL_ERANGE,
		                     "%s: no %u-bit keys of algorithm %u (%s)",
		                     ks->name, bits, (unsigned)a->alg, a->name);
		goto out;
	}
	ret = id_unused(hsm, ref, what, err);
	if (ret == SIGIL_EOK) {
		ret = session_get(hsm, &s, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	pub_usage(&pt);
	ref_attrs(&pt, ref);
	if (a->type == CKK_RSA) {
		tmpl_add(&pt, CKA_MODULUS_BITS, &modulus_bits,
		         sizeof(modulus_bits));
		tmpl_add(&pt, CKA_PUBLIC_EXPONENT, rsa_exponent,
		         sizeof(rsa_exponent));
	} else {
		tmpl_add(&pt, CKA_EC_PARAMS, a->params, a->params_len);
	}
	priv_usage(&kt, true);
	ref_attrs(&kt, ref);
	rv = sigil_hsm_functions(hsm)->C_GenerateKeyPair(
		s, &mech, pt.a, pt.n, kt.a, kt.n, &pubh, &privh);
	if (rv != CKR_OK) {
		pubh = privh = CK_INVALID_HANDLE;
		ret = ck_fail(err, hsm, "C_GenerateKeyPair", rv, what);
		goto out;
	}
	ret = pub_read(hsm, s, pubh, pub, len, publen, what, err);
out:
	if (ret != SIGIL_EOK) {
		undo(hsm, &privh, what, err);
		undo(hsm, &pubh, what, err);
	}
	return ret;
}

static int p11_rename(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                      const sigil_keystore_ref_t *to,
                      sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_OBJECT_HANDLE h[FIND_ALL];
	CK_ATTRIBUTE set[2] = {{CKA_ID, (void *)to->id, to->idlen}};
	CK_ULONG count, nset = 1;
	char what[WHAT_MAX], to_what[WHAT_MAX];
	CK_SESSION_HANDLE s;
	int ret;

	key_what(what, sizeof(what), ref);
	key_what(to_what, sizeof(to_what), to);
	ret = not_kek(ks, ref, err);
	if (ret == SIGIL_EOK) {
		ret = not_kek(ks, to, err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (to->label != NULL) {
		set[nset++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)to->label,
		                             strlen(to->label)};
	}
	ret = find_id(hsm, NULL, ref, h, FIND_ALL, &count, what, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (count == 0) {
		return keystore_error(err, SIGIL_ENOTFOUND,
		                      "%s: no objects for %s to rename",
		                      ks->name, what);
	}
	/* Two keys must never end up under one ID. */
	if (to->idlen != ref->idlen ||
	    memcmp(to->id, ref->id, ref->idlen) != 0) {
		ret = id_unused(hsm, to, to_what, err);
	}
	if (ret == SIGIL_EOK) {
		ret = session_get(hsm, &s, err);
	}
	for (CK_ULONG i = 0; i < count && ret == SIGIL_EOK; i++) {
		CK_RV rv = f->C_SetAttributeValue(s, h[i], set, nset);

		if (rv != CKR_OK) {
			ret = ck_fail(err, hsm, "C_SetAttributeValue", rv,
			              what);
			if (i > 0) {
				error_append(err,
				             "some of its objects already have "
				             "the ID of %s",
				             to_what);
			}
		}
	}
	return ret;
}

static int p11_replicate(sigil_keystore_t *src, sigil_keystore_t *dst,
                         const sigil_keystore_ref_t *ref, const uint8_t *pub,
                         size_t publen, sigil_keystore_error_t *err)
{
	sigil_hsm_t *shsm = src->hsm, *dhsm = dst->hsm;
	const struct alg *a = alg_find(ref->alg);
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY,
			pub_class = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE skek, dkek, sobj;
	CK_OBJECT_HANDLE privh = CK_INVALID_HANDLE, pubh = CK_INVALID_HANDLE;
	struct tmpl kt = {.n = 0}, pt = {.n = 0};
	struct pubkey pk;
	CK_BYTE *blob = NULL;
	CK_ULONG blob_len = 0;
	char what[WHAT_MAX];
	CK_SESSION_HANDLE ss, ds;
	bool unwrap_failed = false;
	CK_RV rv;
	int ret;

	key_what(what, sizeof(what), ref);
	if (p11_same(src, dst)) {
		ret = keystore_error(err, SIGIL_ECONFIG,
		                     "%s and %s are the same token: %s would "
		                     "be held twice",
		                     src->name, dst->name, what);
		goto out;
	}
	ret = label_check(dst, ref, what, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	if (a == NULL) {
		ret = keystore_error(err, SIGIL_EALGORITHM,
		                     "%s: algorithm %u of %s is not supported",
		                     src->name, (unsigned)ref->alg, what);
		goto out;
	}
	if (!pub_parse(a, pub, publen, &pk)) {
		ret = keystore_error(err, SIGIL_EINVAL,
		                     "%s: the public key given for %s is not "
		                     "one of algorithm %u",
		                     dst->name, what, (unsigned)a->alg);
		goto out;
	}
	/* Everything that can be checked is checked before anything is
	 * made in dst. */
	ret = kek_get(shsm, &skek, err);
	if (ret == SIGIL_EOK) {
		ret = kek_get(dhsm, &dkek, err);
	}
	if (ret == SIGIL_EOK) {
		ret = private_get(shsm, ref, &sobj, what, err);
	}
	if (ret == SIGIL_EOK) {
		ret = id_unused(dhsm, ref, what, err);
	}
	if (ret == SIGIL_EOK) {
		ret = session_get(shsm, &ss, err);
	}
	if (ret == SIGIL_EOK) {
		ret = session_get(dhsm, &ds, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	rv = sigil_hsm_functions(shsm)->C_WrapKey(ss, &mech, skek, sobj, NULL,
	                                          &blob_len);
	if (rv == CKR_OK && (blob_len == 0 || blob_len > WRAPPED_MAX)) {
		rv = CKR_GENERAL_ERROR;
	}
	if (rv == CKR_OK) {
		blob = malloc(blob_len);
		if (blob == NULL) {
			ret = keystore_error(err, SIGIL_ENOMEM,
			                     "%s: out of memory wrapping %s",
			                     src->name, what);
			goto out;
		}
		rv = sigil_hsm_functions(shsm)->C_WrapKey(ss, &mech, skek, sobj,
		                                          blob, &blob_len);
	}
	if (rv != CKR_OK) {
		ret = ck_fail(err, shsm, "C_WrapKey", rv, what);
		goto out;
	}
	/* Unwrapped keys default to SENSITIVE false in SoftHSM2: every
	 * protection is stated, not inherited. */
	tmpl_add(&kt, CKA_CLASS, &priv_class, sizeof(priv_class));
	tmpl_add(&kt, CKA_KEY_TYPE, &a->type, sizeof(a->type));
	priv_usage(&kt, false);
	ref_attrs(&kt, ref);
	rv = sigil_hsm_functions(dhsm)->C_UnwrapKey(
		ds, &mech, dkek, blob, blob_len, kt.a, kt.n, &privh);
	if (rv != CKR_OK) {
		privh = CK_INVALID_HANDLE;
		unwrap_failed = true;
		ret = ck_fail(err, dhsm, "C_UnwrapKey", rv, what);
		goto out;
	}
	/* The public object carries the DNSKEY's key itself. */
	pub_usage(&pt);
	ref_attrs(&pt, ref);
	pub_tmpl(&pt, &pk, &pub_class, a->params, a->params_len);
	rv = sigil_hsm_functions(dhsm)->C_CreateObject(ds, pt.a, pt.n, &pubh);
	if (rv != CKR_OK) {
		pubh = CK_INVALID_HANDLE;
		ret = ck_fail(err, dhsm, "C_CreateObject", rv, what);
		goto out;
	}
	ret = SIGIL_EOK;
out:
	if (ret != SIGIL_EOK) {
		undo(dhsm, &pubh, what, err);
		undo(dhsm, &privh, what, err);
		/* SoftHSM2 may leave a half-made key behind a failed unwrap;
		 * the ID was unused in dst before. */
		if (unwrap_failed) {
			sweep(dhsm, CKO_PRIVATE_KEY, ref, what, err);
		}
	}
	/* Ciphertext only, but of no use once unwrapped. */
	if (blob != NULL) {
		OPENSSL_cleanse(blob, blob_len);
	}
	free(blob);
	return ret;
}

/* Whether a failed C_CreateObject of an Edwards key may be the token
 * wanting the other form of CKA_EC_PARAMS. */
static bool params_refused(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_VALUE_INVALID ||
	       rv == CKR_DOMAIN_PARAMS_INVALID ||
	       rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_TEMPLATE_INCONSISTENT;
}

static int p11_import(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                      const sigil_privkey_t *key, sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	const struct alg *a = alg_find(ref->alg);
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY,
			pub_class = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE privh = CK_INVALID_HANDLE, pubh = CK_INVALID_HANDLE;
	sigil_privkey_parts_t parts;
	struct tmpl kt = {.n = 0}, pt = {.n = 0};
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	const CK_BYTE *params;
	size_t publen, params_len;
	struct pubkey pk;
	char what[WHAT_MAX];
	CK_SESSION_HANDLE s;
	bool made = false;
	CK_ULONG common;
	CK_RV rv;
	int ret;

	memset(&parts, 0, sizeof(parts));
	key_what(what, sizeof(what), ref);
	if (a == NULL) {
		ret = keystore_error(err, SIGIL_EALGORITHM,
		                     "%s: algorithm %u of %s is not supported",
		                     ks->name, (unsigned)ref->alg, what);
		goto out;
	}
	ret = label_check(ks, ref, what, err);
	if (ret == SIGIL_EOK) {
		ret = id_unused(hsm, ref, what, err);
	}
	if (ret == SIGIL_EOK) {
		ret = session_get(hsm, &s, err);
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = sigil_privkey_parts(key, &parts);
	if (ret == SIGIL_EOK) {
		ret = sigil_privkey_dnskey_pub(key, pub, sizeof(pub), &publen);
	}
	if (ret != SIGIL_EOK) {
		ret = keystore_error(err, ret, "%s: %s cannot be read: %s",
		                     ks->name, what, sigil_strerror(ret));
		goto out;
	}
	if (!pub_parse(a, pub, publen, &pk)) {
		ret = keystore_error(err, SIGIL_EINVAL,
		                     "%s: %s is not a key of algorithm %u",
		                     ks->name, what, (unsigned)a->alg);
		goto out;
	}
	tmpl_add(&kt, CKA_CLASS, &priv_class, sizeof(priv_class));
	tmpl_add(&kt, CKA_KEY_TYPE, &a->type, sizeof(a->type));
	priv_usage(&kt, false);
	ref_attrs(&kt, ref);
	made = true;
	if (a->type == CKK_RSA) {
		tmpl_add(&kt, CKA_MODULUS, parts.n, parts.n_len);
		tmpl_add(&kt, CKA_PUBLIC_EXPONENT, parts.e, parts.e_len);
		tmpl_add(&kt, CKA_PRIVATE_EXPONENT, parts.d, parts.d_len);
		tmpl_add(&kt, CKA_PRIME_1, parts.p, parts.p_len);
		tmpl_add(&kt, CKA_PRIME_2, parts.q, parts.q_len);
		tmpl_add(&kt, CKA_EXPONENT_1, parts.dp, parts.dp_len);
		tmpl_add(&kt, CKA_EXPONENT_2, parts.dq, parts.dq_len);
		tmpl_add(&kt, CKA_COEFFICIENT, parts.qinv, parts.qinv_len);
		rv = f->C_CreateObject(s, kt.a, kt.n, &privh);
		params = NULL;
		params_len = 0;
	} else {
		/* The curve's OID first, then, for Edwards curves, the
		 * curve name some tokens want instead. */
		tmpl_add(&kt, CKA_VALUE, parts.value, parts.value_len);
		common = kt.n;
		params = a->params;
		params_len = a->params_len;
		tmpl_add(&kt, CKA_EC_PARAMS, params, params_len);
		rv = f->C_CreateObject(s, kt.a, kt.n, &privh);
		if (rv != CKR_OK && a->params_alt != NULL &&
		    params_refused(rv)) {
			sweep(hsm, CKO_PRIVATE_KEY, ref, what, err);
			params = a->params_alt;
			params_len = a->params_alt_len;
			kt.n = common;
			tmpl_add(&kt, CKA_EC_PARAMS, params, params_len);
			rv = f->C_CreateObject(s, kt.a, kt.n, &privh);
		}
	}
	if (rv != CKR_OK) {
		privh = CK_INVALID_HANDLE;
		ret = ck_fail(err, hsm, "C_CreateObject", rv, what);
		goto out;
	}
	pub_usage(&pt);
	ref_attrs(&pt, ref);
	pub_tmpl(&pt, &pk, &pub_class, params, params_len);
	rv = f->C_CreateObject(s, pt.a, pt.n, &pubh);
	if (rv != CKR_OK) {
		pubh = CK_INVALID_HANDLE;
		ret = ck_fail(err, hsm, "C_CreateObject", rv, what);
		goto out;
	}
	ret = SIGIL_EOK;
out:
	if (ret != SIGIL_EOK && made) {
		undo(hsm, &pubh, what, err);
		undo(hsm, &privh, what, err);
		/* The ID was unused before: anything under it is this
		 * call's, half-made objects included. */
		sweep(hsm, CKO_PRIVATE_KEY, ref, what, err);
	}
	sigil_privkey_parts_clear(&parts);
	return ret;
}

static int p11_seal(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                    sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE h[FIND_ALL];
	CK_ATTRIBUTE a = {CKA_EXTRACTABLE, &ck_false, sizeof(ck_false)};
	char what[WHAT_MAX];
	CK_SESSION_HANDLE s;
	CK_ULONG count;
	int ret;

	key_what(what, sizeof(what), ref);
	ret = find_id(hsm, &cls, ref, h, FIND_ALL, &count, what, err);
	if (ret == SIGIL_EOK) {
		ret = session_get(hsm, &s, err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	if (count == 0) {
		return keystore_error(err, SIGIL_ENOTFOUND,
		                      "%s: no private key for %s to seal",
		                      ks->name, what);
	}
	/* Every one: none may stay extractable, whatever else is wrong. */
	for (CK_ULONG i = 0; i < count; i++) {
		CK_RV rv = sigil_hsm_functions(hsm)->C_SetAttributeValue(
			s, h[i], &a, 1);

		if (rv != CKR_OK) {
			return ck_fail(err, hsm, "C_SetAttributeValue", rv,
			               what);
		}
	}
	return SIGIL_EOK;
}

static int p11_destroy(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                       sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	CK_OBJECT_HANDLE h[FIND_ALL];
	char what[WHAT_MAX];
	CK_ULONG count, failed = 0;
	CK_RV first = CKR_OK;
	int ret;

	key_what(what, sizeof(what), ref);
	ret = not_kek(ks, ref, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* In batches; a batch where something stayed would be found again,
	 * so it is the last. */
	do {
		ret = find_id(hsm, NULL, ref, h, FIND_ALL, &count, what, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
		for (CK_ULONG i = 0; i < count; i++) {
			CK_RV rv = sigil_hsm_object_destroy(hsm, &h[i]);

			if (rv == CKR_OK) {
				continue;
			}
			if (failed++ == 0) {
				first = rv;
				keystore_error(
					err, SIGIL_EOK,
					"%s: an object of %s could not "
					"be destroyed (%s): remove it by "
					"hand",
					ks->name, what, sigil_hsm_rv_name(rv));
			} else {
				error_append(err, "another (%s)",
				             sigil_hsm_rv_name(rv));
			}
		}
	} while (count == FIND_ALL && failed == 0);
	return failed == 0 ? SIGIL_EOK : sigil_hsm_rv_error(first);
}

static int p11_lookup(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                      sigil_keystore_lookup_t *out, sigil_keystore_error_t *err)
{
	sigil_hsm_t *hsm = ks->hsm;
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY,
			pub_class = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE priv[FIND_SEVERAL], pub[FIND_SEVERAL];
	CK_ULONG npriv, npub, n;
	CK_BBOOL local = CK_FALSE;
	char what[WHAT_MAX];
	CK_SESSION_HANDLE s;
	int ret;

	key_what(what, sizeof(what), ref);
	ret = find_id(hsm, &priv_class, ref, priv, FIND_SEVERAL, &npriv, what,
	              err);
	if (ret == SIGIL_EOK) {
		ret = find_id(hsm, &pub_class, ref, pub, FIND_SEVERAL, &npub,
		              what, err);
	}
	if (ret == SIGIL_EOK) {
		ret = session_get(hsm, &s, err);
	}
	if (ret != SIGIL_EOK) {
		return ret;
	}
	out->private_count = (unsigned)npriv;
	out->public_count = (unsigned)npub;
	if (npriv == 1) {
		ret = attr_read(hsm, s, priv[0], CKA_LOCAL, &local,
		                sizeof(local), &n, what, err);
		if (ret != SIGIL_EOK) {
			return ret;
		}
		out->local = local == CK_TRUE;
	}
	if (npub == 1) {
		ret = pub_read(hsm, s, pub[0], out->pub, sizeof(out->pub),
		               &out->publen, what, err);
	}
	return ret;
}

static int p11_key_open(sigil_keystore_t *ks, const sigil_keystore_ref_t *ref,
                        sigil_keystore_key_t **out, sigil_keystore_error_t *err)
{
	const struct alg *a = alg_find(ref->alg);
	struct p11_key *key = NULL;
	char what[WHAT_MAX];
	CK_OBJECT_HANDLE obj;
	int ret;

	key_what(what, sizeof(what), ref);
	if (a == NULL) {
		ret = keystore_error(err, SIGIL_EALGORITHM,
		                     "%s: algorithm %u of %s is not supported",
		                     ks->name, (unsigned)ref->alg, what);
		goto out;
	}
	ret = private_get(ks->hsm, ref, &obj, what, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		ret = keystore_error(err, SIGIL_ENOMEM, "%s: out of memory",
		                     ks->name);
		goto out;
	}
	key->base.ks = ks;
	key->a = a;
	key->obj = obj;
	memcpy(key->what, what, sizeof(what));
	*out = &key->base;
out:
	return ret;
}

static void p11_key_free(sigil_keystore_key_t *key)
{
	free(key);
}

static int p11_key_sign(sigil_keystore_key_t *base, const uint8_t *data,
                        size_t datalen, uint8_t *sig, size_t len,
                        size_t *siglen, sigil_keystore_error_t *err)
{
	struct p11_key *key = (struct p11_key *)base;
	sigil_hsm_t *hsm = base->ks->hsm;
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_MECHANISM mech = {key->a->sign, NULL, 0};
	uint8_t digest[SHA384_DIGEST_LENGTH];
	CK_BYTE *in = (CK_BYTE *)data;
	CK_ULONG in_len = datalen, out_len = len;
	CK_SESSION_HANDLE s;
	CK_RV rv;
	int ret;

	ret = session_get(hsm, &s, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	/* CKM_ECDSA signs a digest: the host hashes. */
	if (key->a->hash == SHA256_DIGEST_LENGTH) {
		SHA256(data, datalen, digest);
		in = digest;
		in_len = SHA256_DIGEST_LENGTH;
	} else if (key->a->hash == SHA384_DIGEST_LENGTH) {
		SHA384(data, datalen, digest);
		in = digest;
		in_len = SHA384_DIGEST_LENGTH;
	}
	rv = f->C_SignInit(s, &mech, key->obj);
	if (rv != CKR_OK) {
		return ck_fail(err, hsm, "C_SignInit", rv, key->what);
	}
	rv = f->C_Sign(s, in, in_len, sig, &out_len);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		/* The operation stays active after this answer; it must be
		 * finished, or the session could sign nothing more. */
		CK_ULONG need = out_len;
		CK_BYTE *tmp = malloc(need > 0 ? need : 1);

		if (tmp != NULL) {
			f->C_Sign(s, in, in_len, tmp, &need);
			free(tmp);
		}
		return keystore_error(err, SIGIL_ESPACE,
		                      "C_Sign on %s (%s): a signature of %lu "
		                      "bytes does not fit in %zu",
		                      base->ks->name, key->what,
		                      (unsigned long)out_len, len);
	}
	if (rv != CKR_OK) {
		return ck_fail(err, hsm, "C_Sign", rv, key->what);
	}
	*siglen = out_len;
	return SIGIL_EOK;
}

const keystore_ops_t keystore_pkcs11_ops = {
	.kind = SIGIL_KEYSTORE_PKCS11,
	.close = p11_close,
	.same = p11_same,
	.can_generate = p11_can_generate,
	.ready = p11_ready,
	.generate = p11_generate,
	.rename = p11_rename,
	.replicate = p11_replicate,
	.import = p11_import,
	.seal = p11_seal,
	.destroy = p11_destroy,
	.lookup = p11_lookup,
	.key_open = p11_key_open,
	.key_free = p11_key_free,
	.key_sign = p11_key_sign,
};

int sigil_keystore_open_pkcs11(sigil_hsm_t *hsm, sigil_keystore_t **out,
                               sigil_keystore_error_t *err)
{
	struct p11_store *st = NULL;
	int ret = SIGIL_EOK;

	*out = NULL;
	if (hsm == NULL) {
		ret = keystore_error(err, SIGIL_EINVAL, "key store: no HSM");
		goto out;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		ret = keystore_error(err, SIGIL_ENOMEM,
		                     "key store %s: out of memory",
		                     sigil_hsm_name(hsm));
		goto out;
	}
	st->base.name = strdup(sigil_hsm_name(hsm));
	if (st->base.name == NULL || pthread_mutex_init(&st->lock, NULL) != 0) {
		ret = keystore_error(err, SIGIL_ENOMEM,
		                     "key store %s: out of memory",
		                     sigil_hsm_name(hsm));
		goto out;
	}
	st->base.ops = &keystore_pkcs11_ops;
	st->base.hsm = hsm;
	*out = &st->base;
out:
	if (ret != SIGIL_EOK) {
		if (st != NULL) {
			free(st->base.name);
			free(st);
		}
		sigil_hsm_close(hsm);
	}
	return ret;
}
