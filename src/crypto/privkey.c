/* Software private keys through OpenSSL 3 (EVP_PKEY only). */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/alg.h"
#include "crypto/ossl.h"
#include "crypto/privkey.h"
#include "util/error.h"

#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 4096
#define RSA_DEFAULT_BITS 2048
#define RSA_EXPONENT 65537

/* The longest ECDSA signature in DER: SEQUENCE of two INTEGERs of up to
 * 48 bytes plus a sign byte (P-384), with room to spare. */
#define ECDSA_DER_MAXLEN 128

enum privkey_kind {
	KIND_RSA,
	KIND_ECDSA,
	KIND_EDDSA,
};

struct sigil_privkey {
	EVP_PKEY *pkey;
	enum privkey_kind kind;
	enum sigil_md_id md; /* RSA, ECDSA */
	size_t half;         /* ECDSA: width of a coordinate, of r and s */
	size_t siglen;       /* length of every signature */
	unsigned bits;
	uint8_t alg;
	uint64_t gen; /* identifies the key in per-thread caches */
};

/* What an algorithm needs of a key. */
struct alg_info {
	enum privkey_kind kind;
	enum sigil_md_id md;
	const char *type; /* OpenSSL key type */
	int curve_nid;    /* ECDSA */
	size_t half;      /* ECDSA: coordinate width; EdDSA: key length */
	size_t siglen;    /* ECDSA, EdDSA */
	unsigned bits;    /* ECDSA, EdDSA: what EVP_PKEY_get_bits reports */
};

static int alg_info(uint8_t alg, struct alg_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	switch (alg) {
	case SIGIL_ALG_RSASHA256:
	case SIGIL_ALG_RSASHA512:
		ai->kind = KIND_RSA;
		ai->type = "RSA";
		ai->md = alg == SIGIL_ALG_RSASHA256 ? SIGIL_MD_SHA256 :
		                                      SIGIL_MD_SHA512;
		return SIGIL_EOK;
	case SIGIL_ALG_ECDSAP256SHA256:
		ai->kind = KIND_ECDSA;
		ai->type = "EC";
		ai->md = SIGIL_MD_SHA256;
		ai->curve_nid = NID_X9_62_prime256v1;
		ai->half = 32;
		ai->siglen = 64;
		ai->bits = 256;
		return SIGIL_EOK;
	case SIGIL_ALG_ECDSAP384SHA384:
		ai->kind = KIND_ECDSA;
		ai->type = "EC";
		ai->md = SIGIL_MD_SHA384;
		ai->curve_nid = NID_secp384r1;
		ai->half = 48;
		ai->siglen = 96;
		ai->bits = 384;
		return SIGIL_EOK;
	case SIGIL_ALG_ED25519:
		ai->kind = KIND_EDDSA;
		ai->type = "ED25519";
		ai->half = 32;
		ai->siglen = 64;
		ai->bits = 256;
		return SIGIL_EOK;
	case SIGIL_ALG_ED448:
		ai->kind = KIND_EDDSA;
		ai->type = "ED448";
		ai->half = 57;
		ai->siglen = 114;
		ai->bits = 456;
		return SIGIL_EOK;
	default:
		return SIGIL_EALGORITHM;
	}
}

static bool rsa_bits_ok(unsigned bits)
{
	return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS && bits % 8 == 0;
}

/* The curve of an EC key, or NID_undef (a key with explicit parameters
 * has no name, and is not one DNSSEC allows). */
static int ec_curve_nid(const EVP_PKEY *pkey)
{
	char name[64];
	size_t len = 0;
	int nid;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	                                   name, sizeof(name), &len) != 1) {
		return NID_undef;
	}
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef) {
		nid = EC_curve_nist2nid(name); /* "P-256" */
	}
	return nid;
}

/* An RSA key of more than two primes (RFC 8017 §3.2) cannot be handed to
 * an HSM as the eight parts of sigil_privkey_parts_t. */
static bool rsa_multiprime(const EVP_PKEY *pkey)
{
	BIGNUM *r = NULL;
	bool multi = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3,
	                                   &r) == 1;

	BN_clear_free(r);
	return multi;
}

/* Checks that pkey is a key of alg and makes a sigil_privkey_t of it; the
 * new key owns pkey.  SIGIL_EMALFORMED when pkey is of another type, curve
 * or size. */
static int privkey_wrap(uint8_t alg, EVP_PKEY *pkey, sigil_privkey_t **out)
{
	sigil_privkey_t *key = NULL;
	struct alg_info ai;
	int bits;
	int ret = alg_info(alg, &ai);

	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = SIGIL_EMALFORMED;
	/* "RSA" is not true of RSA-PSS keys, which cannot make PKCS #1
	 * v1.5 signatures. */
	if (!EVP_PKEY_is_a(pkey, ai.type)) {
		goto out;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (bits <= 0) {
		goto out;
	}
	if (ai.kind == KIND_RSA &&
	    (!rsa_bits_ok((unsigned)bits) || rsa_multiprime(pkey))) {
		goto out;
	}
	if (ai.kind == KIND_ECDSA && ec_curve_nid(pkey) != ai.curve_nid) {
		goto out;
	}
	ret = SIGIL_ENOMEM;
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		goto out;
	}
	key->kind = ai.kind;
	key->gen = sigil_ossl_next_gen();
	key->md = ai.md;
	key->half = ai.half;
	key->siglen = ai.kind == KIND_RSA ? (size_t)EVP_PKEY_get_size(pkey) :
	                                    ai.siglen;
	key->bits = (unsigned)bits;
	key->alg = alg;
	key->pkey = pkey;
	*out = key;
	ret = SIGIL_EOK;
out:
	return ret;
}

/* RSA key generation with an explicit public exponent: OpenSSL's default
 * happens to be 65537 too, but the DNSKEY size bound depends on it. */
static EVP_PKEY *rsa_generate(unsigned bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	unsigned int e = RSA_EXPONENT;
	size_t nbits = bits;
	OSSL_PARAM params[3];

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1) {
		goto out;
	}
	params[0] =
		OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &nbits);
	params[1] = OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_set_params(ctx, params) != 1) {
		goto out;
	}
	if (EVP_PKEY_generate(ctx, &pkey) != 1) {
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int sigil_privkey_generate(uint8_t alg, unsigned bits, sigil_privkey_t **out)
{
	EVP_PKEY *pkey = NULL;
	struct alg_info ai;
	int ret = alg_info(alg, &ai);

	*out = NULL;
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = SIGIL_ERANGE;
	if (ai.kind == KIND_RSA) {
		if (bits == 0) {
			bits = RSA_DEFAULT_BITS;
		}
		if (!rsa_bits_ok(bits)) {
			goto out;
		}
	} else if (bits != 0 && bits != ai.bits &&
	           !(alg == SIGIL_ALG_ED448 && bits == 448)) {
		/* Ed448 is also known by its curve's 448 bits, although
		 * OpenSSL counts the 456 of its encoding. */
		goto out;
	}
	ret = SIGIL_ECRYPTO;
	switch (ai.kind) {
	case KIND_RSA:
		pkey = rsa_generate(bits);
		break;
	case KIND_ECDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		                         OBJ_nid2sn(ai.curve_nid));
		break;
	case KIND_EDDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, ai.type);
		break;
	}
	if (pkey == NULL) {
		goto out;
	}
	ret = privkey_wrap(alg, pkey, out);
	if (ret == SIGIL_EMALFORMED) {
		ret = SIGIL_ECRYPTO; /* OpenSSL made something else */
	}
	if (ret == SIGIL_EOK) {
		pkey = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

int sigil_privkey_from_pem(uint8_t alg, const char *buf, size_t len,
                           sigil_privkey_t **out)
{
	uint8_t pub[SIGIL_PRIVKEY_PUB_MAXLEN];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	struct alg_info ai;
	unsigned char *der = NULL;
	const unsigned char *p;
	char *name = NULL, *header = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	long derlen = 0;
	size_t publen;
	int ret;

	*out = NULL;
	ret = alg_info(alg, &ai);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = SIGIL_EMALFORMED;
	if (len > INT_MAX) {
		goto out;
	}
	ret = SIGIL_ENOMEM;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		goto out;
	}
	/* Only unencrypted PKCS #8: the generic PEM readers would also take
	 * legacy "RSA PRIVATE KEY" blocks, and ask for a passphrase on the
	 * terminal for encrypted ones. */
	ret = SIGIL_EMALFORMED;
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1 ||
	    strcmp(name, PEM_STRING_PKCS8INF) != 0 || header[0] != '\0') {
		goto out;
	}
	p = der;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, derlen);
	if (p8 == NULL || p != der + derlen) {
		goto out;
	}
	pkey = EVP_PKCS82PKEY(p8);
	if (pkey == NULL) {
		goto out;
	}
	ret = privkey_wrap(alg, pkey, out);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	pkey = NULL;
	/* An RSA key with an exponent too long for the DNSKEY field sigil
	 * promises (SIGIL_PRIVKEY_PUB_MAXLEN) is refused now rather than
	 * when it is published. */
	ret = sigil_privkey_dnskey_pub(*out, pub, sizeof(pub), &publen);
	if (ret == SIGIL_ESPACE) {
		ret = SIGIL_EMALFORMED;
	}
	if (ret != SIGIL_EOK) {
		sigil_privkey_free(*out);
		*out = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8); /* wipes the key it holds */
	if (der != NULL) {
		OPENSSL_clear_free(der, (size_t)derlen);
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

int sigil_privkey_to_pem(const sigil_privkey_t *key, char **out, size_t *len)
{
	BIO *bio = NULL;
	char *data = NULL;
	char *pem = NULL;
	long n;
	int ret = SIGIL_ENOMEM;

	*out = NULL;
	*len = 0;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL) {
		goto out;
	}
	/* Unencrypted PKCS #8 ("PRIVATE KEY"): the file's mode protects
	 * it. */
	ret = SIGIL_ECRYPTO;
	if (PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL,
	                             NULL) != 1) {
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0) {
		goto out;
	}
	ret = SIGIL_ENOMEM;
	pem = malloc((size_t)n + 1);
	if (pem == NULL) {
		goto out;
	}
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*out = pem;
	*len = (size_t)n;
	ret = SIGIL_EOK;
out:
	/* A memory BIO wipes its buffer when freed (and when it grows). */
	BIO_free(bio);
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

void sigil_privkey_free(sigil_privkey_t *key)
{
	if (key == NULL) {
		return;
	}
	sigil_ossl_forget(key->gen);
	EVP_PKEY_free(key->pkey);
	free(key);
}

uint8_t sigil_privkey_alg(const sigil_privkey_t *key)
{
	return key->alg;
}

unsigned sigil_privkey_bits(const sigil_privkey_t *key)
{
	return key->bits;
}

/* A big-endian parameter of the key, minimal length, appended at
 * buf[*off]; where it went in *pos and *plen.  width > 0 pads it on the
 * left to that width (ECDSA scalars and coordinates are fixed-width). */
static int put_bn(const EVP_PKEY *pkey, const char *param, size_t width,
                  uint8_t *buf, size_t cap, size_t *off, const uint8_t **pos,
                  size_t *plen)
{
	BIGNUM *bn = NULL;
	size_t n;
	int ret = SIGIL_ECRYPTO;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
		goto out;
	}
	n = (size_t)BN_num_bytes(bn);
	if (width != 0) {
		if (n > width) {
			goto out;
		}
		n = width;
	}
	ret = SIGIL_ESPACE;
	if (n > cap - *off) {
		goto out;
	}
	ret = SIGIL_ECRYPTO;
	if (BN_bn2binpad(bn, buf + *off, (int)n) != (int)n) {
		goto out;
	}
	if (pos != NULL) {
		*pos = buf + *off;
		*plen = n;
	}
	*off += n;
	ret = SIGIL_EOK;
out:
	BN_clear_free(bn); /* private parts pass through here too */
	return ret;
}

/* RFC 3110 §2: exponent length in one byte, or a zero byte and two bytes
 * when it is longer than 255; the exponent; the modulus. */
static int rsa_pub(const sigil_privkey_t *key, uint8_t *out, size_t len,
                   size_t *outlen)
{
	BIGNUM *n = NULL, *e = NULL;
	size_t nlen, elen, hlen;
	int ret = SIGIL_ECRYPTO;

	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		goto out;
	}
	nlen = (size_t)BN_num_bytes(n);
	elen = (size_t)BN_num_bytes(e);
	hlen = elen <= 255 ? 1 : 3;
	ret = SIGIL_ESPACE;
	if (elen > 0xffff || hlen + elen + nlen > len) {
		goto out;
	}
	if (hlen == 1) {
		out[0] = (uint8_t)elen;
	} else {
		out[0] = 0;
		out[1] = (uint8_t)(elen >> 8);
		out[2] = (uint8_t)elen;
	}
	BN_bn2bin(e, out + hlen);
	BN_bn2bin(n, out + hlen + elen);
	*outlen = hlen + elen + nlen;
	ret = SIGIL_EOK;
out:
	BN_free(n);
	BN_free(e);
	return ret;
}

int sigil_privkey_dnskey_pub(const sigil_privkey_t *key, uint8_t *out,
                             size_t len, size_t *outlen)
{
	size_t off = 0;
	int ret = SIGIL_ECRYPTO;

	*outlen = 0;
	switch (key->kind) {
	case KIND_RSA:
		ret = rsa_pub(key, out, len, outlen);
		break;
	case KIND_ECDSA:
		/* RFC 6605 §4: X || Y, each as wide as the curve. */
		ret = put_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, key->half,
		             out, len, &off, NULL, NULL);
		if (ret == SIGIL_EOK) {
			ret = put_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y,
			             key->half, out, len, &off, NULL, NULL);
		}
		if (ret == SIGIL_EOK) {
			*outlen = off;
		}
		break;
	case KIND_EDDSA:
		/* RFC 8080 §3: the raw public key. */
		ret = SIGIL_ESPACE;
		if (len < key->half) {
			break;
		}
		off = len;
		ret = EVP_PKEY_get_raw_public_key(key->pkey, out, &off) == 1 ?
		              SIGIL_EOK :
		              SIGIL_ECRYPTO;
		if (ret == SIGIL_EOK) {
			*outlen = off;
		}
		break;
	}
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

/* ECDSA-Sig-Value (DER, RFC 3279) to r || s, each half bytes wide
 * (RFC 6605 §4). */
static int ecdsa_sig_raw(const uint8_t *der, size_t derlen, size_t half,
                         uint8_t *sig)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	int ret = SIGIL_ECRYPTO;

	es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (es == NULL) {
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, (int)half) != (int)half ||
	    BN_bn2binpad(s, sig + half, (int)half) != (int)half) {
		goto out;
	}
	ret = SIGIL_EOK;
out:
	ECDSA_SIG_free(es);
	return ret;
}

/* The calling thread's signing context for key (RSA, ECDSA), set up on
 * first use and then reused: creating and initialising one per signature
 * costs a provider lookup, a large share of an ECDSA signature. */
static EVP_PKEY_CTX *sign_ctx(const sigil_privkey_t *key)
{
	struct sigil_ossl_tls *t = sigil_ossl_tls();
	struct sigil_ossl_ctx_slot *slot;
	EVP_PKEY_CTX *ctx;

	if (t == NULL) {
		return NULL;
	}
	slot = &t->slots[key->gen % SIGIL_OSSL_CTX_SLOTS];
	if (slot->gen == key->gen) {
		return slot->ctx;
	}
	EVP_PKEY_CTX_free(slot->ctx);
	slot->ctx = NULL;
	slot->gen = 0;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, sigil_ossl_md(key->md)) != 1 ||
	    (key->kind == KIND_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	slot->ctx = ctx;
	slot->gen = key->gen;
	return ctx;
}

/* RSA and ECDSA: the digest here, then the cached context signs it. */
static int sign_digest(const sigil_privkey_t *key, const uint8_t *data,
                       size_t datalen, uint8_t *sig, size_t len, size_t *siglen)
{
	uint8_t digest[EVP_MAX_MD_SIZE], der[ECDSA_DER_MAXLEN];
	unsigned dlen = 0;
	EVP_PKEY_CTX *ctx;
	size_t outlen;
	int ret = sigil_ossl_digest(key->md, data, datalen, digest, &dlen);

	if (ret != SIGIL_EOK) {
		return ret;
	}
	ctx = sign_ctx(key);
	if (ctx == NULL) {
		return SIGIL_ECRYPTO;
	}
	if (key->kind == KIND_RSA) {
		outlen = len;
		if (EVP_PKEY_sign(ctx, sig, &outlen, digest, dlen) != 1 ||
		    outlen != key->siglen) {
			return SIGIL_ECRYPTO;
		}
		*siglen = outlen;
		return SIGIL_EOK;
	}
	outlen = sizeof(der);
	if (EVP_PKEY_sign(ctx, der, &outlen, digest, dlen) != 1) {
		return SIGIL_ECRYPTO;
	}
	ret = ecdsa_sig_raw(der, outlen, key->half, sig);
	OPENSSL_cleanse(der, sizeof(der));
	if (ret == SIGIL_EOK) {
		*siglen = key->siglen;
	}
	return ret;
}

int sigil_privkey_sign(const sigil_privkey_t *key, const uint8_t *data,
                       size_t datalen, uint8_t *sig, size_t len, size_t *siglen)
{
	EVP_MD_CTX *ctx = NULL;
	size_t outlen;
	int ret = SIGIL_ESPACE;

	*siglen = 0;
	if (len < key->siglen) {
		goto out;
	}
	if (key->kind != KIND_EDDSA) {
		ret = sign_digest(key, data, datalen, sig, len, siglen);
		goto out;
	}
	/* EdDSA hashes the message itself (RFC 8032 PureEdDSA), in one
	 * pass, so it takes a fresh one-shot context. */
	ret = SIGIL_ENOMEM;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		goto out;
	}
	ret = SIGIL_ECRYPTO;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) != 1) {
		goto out;
	}
	outlen = len;
	if (EVP_DigestSign(ctx, sig, &outlen, data, datalen) != 1 ||
	    outlen != key->siglen) {
		/* EdDSA signatures have a fixed length: anything else is a
		 * library fault. */
		goto out;
	}
	*siglen = outlen;
	ret = SIGIL_EOK;
out:
	EVP_MD_CTX_free(ctx);
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

int sigil_privkey_parts(const sigil_privkey_t *key, sigil_privkey_parts_t *out)
{
	static const char *const rsa_params[8] = {
		OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	const uint8_t **rsa_pos[8] = {
		&out->n, &out->e,  &out->d,  &out->p,
		&out->q, &out->dp, &out->dq, &out->qinv,
	};
	size_t *rsa_len[8] = {
		&out->n_len, &out->e_len,  &out->d_len,  &out->p_len,
		&out->q_len, &out->dp_len, &out->dq_len, &out->qinv_len,
	};
	size_t off = 0, n;
	int ret = SIGIL_EOK;

	memset(out, 0, sizeof(*out));
	out->alg = key->alg;
	switch (key->kind) {
	case KIND_RSA:
		for (size_t i = 0; i < 8 && ret == SIGIL_EOK; i++) {
			ret = put_bn(key->pkey, rsa_params[i], 0, out->buf,
			             sizeof(out->buf), &off, rsa_pos[i],
			             rsa_len[i]);
		}
		break;
	case KIND_ECDSA:
		ret = put_bn(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, key->half,
		             out->buf, sizeof(out->buf), &off, &out->value,
		             &out->value_len);
		break;
	case KIND_EDDSA:
		n = sizeof(out->buf);
		if (EVP_PKEY_get_raw_private_key(key->pkey, out->buf, &n) !=
		    1) {
			ret = SIGIL_ECRYPTO;
			break;
		}
		out->value = out->buf;
		out->value_len = n;
		break;
	}
	if (ret != SIGIL_EOK) {
		sigil_privkey_parts_clear(out);
		ERR_clear_error();
	}
	return ret;
}

void sigil_privkey_parts_clear(sigil_privkey_parts_t *parts)
{
	OPENSSL_cleanse(parts, sizeof(*parts));
}
