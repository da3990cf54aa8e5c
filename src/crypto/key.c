#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto/alg.h"
#include "crypto/ecfast.h"
#include "crypto/key.h"
#include "crypto/ossl.h"
#include "dns/name.h"
#include "util/error.h"

#define DNSKEY_FIXED_LEN 4 /* flags, protocol, algorithm */
#define DNSKEY_PROTOCOL 3
#define RSA_MAX_BITS 16384 /* OpenSSL's own limit; bounds verify cost */

/* An ECDSA key gets a precomputed table (crypto/ecfast.h) once it has
 * verified this many signatures: building one costs ~25 ms (P-256), which
 * only a key with many signatures (a ZSK) pays back. */
#define ECFAST_AFTER 64

enum key_kind {
	KIND_RSA,
	KIND_ECDSA,
	KIND_EDDSA,
};

struct sigil_pubkey {
	EVP_PKEY *pkey;
	uint8_t *rdata;
	size_t rdlen;
	uint64_t gen;        /* identifies the key in per-thread caches */
	size_t siglen;       /* the only valid signature length */
	enum sigil_md_id md; /* prehash digest (RSA, ECDSA) */
	enum key_kind kind;
	unsigned bits;
	uint16_t tag;
	uint16_t flags;
	uint8_t alg;
	/* The rest changes after decoding, atomically: a cache, not state. */
	_Atomic(sigil_ecfast_t *) fast; /* ECDSA: table, once built */
	atomic_uint fast_uses;          /* ECDSA: verifications so far */
	atomic_int fast_claimed;        /* ECDSA: a thread builds the table */
};

uint16_t sigil_keytag(const uint8_t *rdata, size_t rdlen)
{
	uint32_t ac = 0;

	if (rdlen >= DNSKEY_FIXED_LEN && rdata[3] == SIGIL_ALG_RSAMD5) {
		/* RFC 4034 B.1: bits 8..23 of the modulus, which ends the
		 * RDATA. */
		if (rdlen < DNSKEY_FIXED_LEN + 3) {
			return 0;
		}
		return (uint16_t)(rdata[rdlen - 3] << 8 | rdata[rdlen - 2]);
	}
	for (size_t i = 0; i < rdlen; i++) {
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	}
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

/* Builds a public key of the named type from OSSL_PARAMs. */
static int pkey_fromdata(const char *type, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int ret = SIGIL_ECRYPTO;

	if (ctx == NULL) {
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1) {
		goto out;
	}
	/* Fails for invalid material, such as an EC point off the curve. */
	if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ret = SIGIL_EMALFORMED;
		goto out;
	}
	ret = SIGIL_EOK;
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* RFC 3110 §2: exponent length (1 byte, or 0 and 2 bytes), exponent,
 * modulus. */
static int rsa_decode(const uint8_t *k, size_t klen, unsigned min_bits,
                      EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *e = NULL, *n = NULL;
	size_t elen, off, mlen;
	int bits;
	int ret = SIGIL_EMALFORMED;

	if (klen < 1) {
		goto out;
	}
	if (k[0] != 0) {
		elen = k[0];
		off = 1;
	} else {
		if (klen < 3) {
			goto out;
		}
		elen = (size_t)k[1] << 8 | k[2];
		off = 3;
	}
	if (elen == 0 || elen >= klen - off) {
		goto out;
	}
	mlen = klen - off - elen;
	ret = SIGIL_ENOMEM;
	e = BN_bin2bn(k + off, (int)elen, NULL);
	n = BN_bin2bn(k + off + elen, (int)mlen, NULL);
	if (e == NULL || n == NULL) {
		goto out;
	}
	ret = SIGIL_EMALFORMED;
	bits = BN_num_bits(n);
	if (bits < (int)min_bits || bits > RSA_MAX_BITS || !BN_is_odd(n) ||
	    !BN_is_odd(e) || BN_is_one(e)) {
		goto out;
	}
	ret = SIGIL_ENOMEM;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL) {
		goto out;
	}
	ret = pkey_fromdata("RSA", params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return ret;
}

/* RFC 6605 §4: the public key is X || Y, each the size of the curve. */
static int ecdsa_decode(const uint8_t *k, size_t klen, size_t half,
                        EVP_PKEY **out)
{
	char group[16];
	uint8_t point[1 + 2 * 48];
	OSSL_PARAM params[3];

	if (klen != 2 * half || half > 48) {
		return SIGIL_EMALFORMED;
	}
	strcpy(group, half == 32 ? "prime256v1" : "secp384r1");
	point[0] = 0x04; /* uncompressed point (SEC 1 §2.3.3) */
	memcpy(point + 1, k, klen);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              point, 1 + klen);
	params[2] = OSSL_PARAM_construct_end();
	return pkey_fromdata("EC", params, out);
}

/* RFC 8080 §3: the raw public key. */
static int eddsa_decode(const uint8_t *k, size_t klen, const char *type,
                        size_t want, EVP_PKEY **out)
{
	if (klen != want) {
		return SIGIL_EMALFORMED;
	}
	*out = EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, k, klen);
	return *out != NULL ? SIGIL_EOK : SIGIL_EMALFORMED;
}

int sigil_pubkey_from_dnskey(const uint8_t *rdata, size_t rdlen,
                             sigil_pubkey_t **out)
{
	sigil_pubkey_t *key = NULL;
	const uint8_t *k = rdata + DNSKEY_FIXED_LEN;
	size_t klen;
	int ret = SIGIL_EMALFORMED;

	*out = NULL;
	if (rdlen <= DNSKEY_FIXED_LEN || rdata[2] != DNSKEY_PROTOCOL) {
		goto out;
	}
	klen = rdlen - DNSKEY_FIXED_LEN;
	if (!sigil_alg_can_verify(rdata[3])) {
		ret = SIGIL_EALGORITHM;
		goto out;
	}
	ret = SIGIL_ENOMEM;
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		goto out;
	}
	key->rdata = malloc(rdlen);
	if (key->rdata == NULL) {
		goto out;
	}
	memcpy(key->rdata, rdata, rdlen);
	key->rdlen = rdlen;
	key->alg = rdata[3];
	key->flags = (uint16_t)(rdata[0] << 8 | rdata[1]);
	key->tag = sigil_keytag(rdata, rdlen);

	switch (key->alg) {
	case SIGIL_ALG_RSASHA1:
	case SIGIL_ALG_RSASHA1_NSEC3_SHA1:
		/* RFC 3110 §2: 512 to 4096 bits; more is tolerated. */
		key->kind = KIND_RSA;
		key->md = SIGIL_MD_SHA1;
		ret = rsa_decode(k, klen, 512, &key->pkey);
		break;
	case SIGIL_ALG_RSASHA256:
		key->kind = KIND_RSA;
		key->md = SIGIL_MD_SHA256;
		ret = rsa_decode(k, klen, 512, &key->pkey); /* RFC 5702 §2.1 */
		break;
	case SIGIL_ALG_RSASHA512:
		key->kind = KIND_RSA;
		key->md = SIGIL_MD_SHA512;
		ret = rsa_decode(k, klen, 1024, &key->pkey); /* RFC 5702 §2.2 */
		break;
	case SIGIL_ALG_ECDSAP256SHA256:
		key->kind = KIND_ECDSA;
		key->md = SIGIL_MD_SHA256;
		key->siglen = 64;
		ret = ecdsa_decode(k, klen, 32, &key->pkey);
		break;
	case SIGIL_ALG_ECDSAP384SHA384:
		key->kind = KIND_ECDSA;
		key->md = SIGIL_MD_SHA384;
		key->siglen = 96;
		ret = ecdsa_decode(k, klen, 48, &key->pkey);
		break;
	case SIGIL_ALG_ED25519:
		key->kind = KIND_EDDSA;
		key->siglen = 64;
		ret = eddsa_decode(k, klen, "ED25519", 32, &key->pkey);
		break;
	case SIGIL_ALG_ED448:
		key->kind = KIND_EDDSA;
		key->siglen = 114;
		ret = eddsa_decode(k, klen, "ED448", 57, &key->pkey);
		break;
	default:
		ret = SIGIL_EALGORITHM;
		break;
	}
	if (ret != SIGIL_EOK) {
		goto out;
	}
	key->bits = (unsigned)EVP_PKEY_get_bits(key->pkey);
	if (key->kind == KIND_RSA) {
		key->siglen = (size_t)EVP_PKEY_get_size(key->pkey);
	}
	key->gen = sigil_ossl_next_gen();
	*out = key;
	key = NULL;
out:
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	sigil_pubkey_free(key);
	return ret;
}

void sigil_pubkey_free(sigil_pubkey_t *key)
{
	if (key == NULL) {
		return;
	}
	sigil_ossl_forget(key->gen);
	sigil_ecfast_free(atomic_load(&key->fast));
	EVP_PKEY_free(key->pkey);
	free(key->rdata);
	free(key);
}

uint16_t sigil_pubkey_tag(const sigil_pubkey_t *key)
{
	return key->tag;
}

uint16_t sigil_pubkey_flags(const sigil_pubkey_t *key)
{
	return key->flags;
}

uint8_t sigil_pubkey_alg(const sigil_pubkey_t *key)
{
	return key->alg;
}

unsigned sigil_pubkey_bits(const sigil_pubkey_t *key)
{
	return key->bits;
}

const uint8_t *sigil_pubkey_rdata(const sigil_pubkey_t *key, size_t *rdlen)
{
	*rdlen = key->rdlen;
	return key->rdata;
}

/* The calling thread's verification context for key, set up on first use
 * and then reused: creating and initialising one costs a provider lookup. */
static EVP_PKEY_CTX *verify_ctx(const sigil_pubkey_t *key,
                                struct sigil_ossl_tls *t)
{
	struct sigil_ossl_ctx_slot *slot =
		&t->slots[key->gen % SIGIL_OSSL_CTX_SLOTS];
	EVP_PKEY_CTX *ctx;

	if (slot->gen == key->gen) {
		return slot->ctx;
	}
	EVP_PKEY_CTX_free(slot->ctx);
	slot->ctx = NULL;
	slot->gen = 0;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1) {
		goto fail;
	}
	if (key->kind == KIND_RSA &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_signature_md(ctx, sigil_ossl_md(key->md)) != 1)) {
		goto fail;
	}
	slot->ctx = ctx;
	slot->gen = key->gen;
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* DER INTEGER from an unsigned big-endian value: minimal length, with a
 * 0x00 in front when the high bit is set (X.690 §8.3). */
static size_t der_uint(uint8_t *out, const uint8_t *v, size_t n)
{
	size_t pad;

	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (v[0] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279) from
 * r || s (RFC 6605 §4).  At most 2 + 2 * 51 bytes, so the short length
 * form always fits. */
static size_t ecdsa_sig_der(uint8_t *out, const uint8_t *sig, size_t siglen)
{
	size_t half = siglen / 2;
	size_t len = 2;

	len += der_uint(out + len, sig, half);
	len += der_uint(out + len, sig + half, half);
	out[0] = 0x30;
	out[1] = (uint8_t)(len - 2);
	return len;
}

static int verify_eddsa(const sigil_pubkey_t *key, const uint8_t *data,
                        size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ret = SIGIL_ECRYPTO;
	int r;

	if (ctx == NULL) {
		ret = SIGIL_ENOMEM;
		goto out;
	}
	/* EdDSA hashes internally: no digest (RFC 8032 PureEdDSA). */
	if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey,
	                            NULL) != 1) {
		goto out;
	}
	r = EVP_DigestVerify(ctx, sig, siglen, data, len);
	ret = r == 1 ? SIGIL_EOK : SIGIL_EBADSIG;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* The key's fixed-base table, built by the first thread that passes
 * ECFAST_AFTER verifications; NULL until then (EVP is used meanwhile). */
static const sigil_ecfast_t *ecdsa_fast(const sigil_pubkey_t *ckey)
{
	sigil_pubkey_t *key = (sigil_pubkey_t *)ckey; /* only atomics change */
	sigil_ecfast_t *f =
		atomic_load_explicit(&key->fast, memory_order_acquire);
	int unclaimed = 0;

	if (f != NULL ||
	    atomic_fetch_add_explicit(&key->fast_uses, 1,
	                              memory_order_relaxed) < ECFAST_AFTER ||
	    !atomic_compare_exchange_strong(&key->fast_claimed, &unclaimed,
	                                    1)) {
		return f;
	}
	if (sigil_ecfast_new(key->alg, key->rdata + DNSKEY_FIXED_LEN,
	                     key->rdlen - DNSKEY_FIXED_LEN, &f) != SIGIL_EOK) {
		return NULL; /* EVP stays in use */
	}
	atomic_store_explicit(&key->fast, f, memory_order_release);
	return f;
}

int sigil_pubkey_verify(const sigil_pubkey_t *key, const uint8_t *data,
                        size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t dgst[EVP_MAX_MD_SIZE];
	uint8_t der[2 + 2 * 51];
	struct sigil_ossl_tls *t;
	EVP_PKEY_CTX *ctx;
	unsigned dlen = 0;
	int ret;
	int r;

	if (siglen != key->siglen) {
		return SIGIL_EBADSIG;
	}
	if (key->kind == KIND_EDDSA) {
		ret = verify_eddsa(key, data, len, sig, siglen);
		goto out;
	}
	t = sigil_ossl_tls();
	if (t == NULL) {
		return SIGIL_ENOMEM;
	}
	ret = sigil_ossl_digest(key->md, data, len, dgst, &dlen);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	if (key->kind == KIND_ECDSA) {
		const sigil_ecfast_t *f = ecdsa_fast(key);

		if (f != NULL) {
			ret = sigil_ecfast_verify(f, dgst, dlen, sig, siglen);
			goto out;
		}
	}
	ctx = verify_ctx(key, t);
	if (ctx == NULL) {
		ret = SIGIL_ECRYPTO;
		goto out;
	}
	if (key->kind == KIND_ECDSA) {
		size_t derlen = ecdsa_sig_der(der, sig, siglen);

		r = EVP_PKEY_verify(ctx, der, derlen, dgst, dlen);
	} else {
		r = EVP_PKEY_verify(ctx, sig, siglen, dgst, dlen);
	}
	/* 0 is a mismatch; negative values are what OpenSSL returns for
	 * some malformed signatures too, so both mean "does not verify". */
	ret = r == 1 ? SIGIL_EOK : SIGIL_EBADSIG;
out:
	if (ret != SIGIL_EOK) {
		ERR_clear_error();
	}
	return ret;
}

int sigil_ds_digest(uint8_t digest_type, const uint8_t *owner,
                    const uint8_t *rdata, size_t rdlen, uint8_t *out,
                    size_t *outlen)
{
	uint8_t lowner[SIGIL_DNAME_MAXLEN];
	uint8_t dgst[EVP_MAX_MD_SIZE];
	struct sigil_ossl_tls *t;
	enum sigil_md_id id;
	const EVP_MD *md;
	unsigned dlen = 0;
	size_t olen;

	switch (digest_type) {
	case SIGIL_DS_SHA1:
		id = SIGIL_MD_SHA1;
		break;
	case SIGIL_DS_SHA256:
		id = SIGIL_MD_SHA256;
		break;
	case SIGIL_DS_SHA384:
		id = SIGIL_MD_SHA384;
		break;
	default:
		return SIGIL_EDIGEST;
	}
	md = sigil_ossl_md(id);
	if (md == NULL) {
		return SIGIL_ECRYPTO;
	}
	olen = sigil_dname_len(owner);
	if (olen > sizeof(lowner)) {
		return SIGIL_EMALFORMED;
	}
	t = sigil_ossl_tls();
	if (t == NULL) {
		return SIGIL_ENOMEM;
	}
	/* digest = H(canonical owner name || DNSKEY RDATA), RFC 4034 §5.1.4 */
	sigil_dname_tolower(lowner, owner);
	if (EVP_DigestInit_ex2(t->mdctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(t->mdctx, lowner, olen) != 1 ||
	    EVP_DigestUpdate(t->mdctx, rdata, rdlen) != 1 ||
	    EVP_DigestFinal_ex(t->mdctx, dgst, &dlen) != 1 ||
	    dlen > SIGIL_DS_MAXLEN) {
		return SIGIL_ECRYPTO;
	}
	memcpy(out, dgst, dlen);
	*outlen = dlen;
	return SIGIL_EOK;
}

int sigil_ds_matches(const uint8_t *ds, size_t dslen, const uint8_t *owner,
                     const uint8_t *dnskey, size_t dnskeylen)
{
	uint8_t dig[SIGIL_DS_MAXLEN];
	size_t dlen = 0;
	int ret;

	if (dslen < 5 || dnskeylen < 4 || dnskey[3] != ds[2] ||
	    sigil_keytag(dnskey, dnskeylen) != (uint16_t)(ds[0] << 8 | ds[1])) {
		return 0;
	}
	ret = sigil_ds_digest(ds[3], owner, dnskey, dnskeylen, dig, &dlen);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	return dlen == dslen - 4 && memcmp(dig, ds + 4, dlen) == 0;
}

bool sigil_cds_is_delete(uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	/* CDS 0 0 0 00 and CDNSKEY 0 3 0 AA== */
	static const uint8_t cds[] = {0, 0, 0, 0, 0};
	static const uint8_t cdnskey[] = {0, 0, 3, 0, 0};
	const uint8_t *form = type == 59 ? cds : type == 60 ? cdnskey : NULL;

	return form != NULL && rdlen == 5 && memcmp(rdata, form, 5) == 0;
}
