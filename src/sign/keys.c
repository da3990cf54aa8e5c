/* The keys of a signing run: each key decoded, a handle in every store
 * holding it, the roles sorted into the key groups (sign/internal.h), and
 * their DNSKEY RRset (with a ZONEMD placeholder) put at the apex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/key.h"
#include "dns/zonemd.h"
#include "sign/internal.h"
#include "util/error.h"

int sign_keys_setup(srun_t *run, const sigil_sign_key_t *keys, size_t n,
                    sigil_sign_error_t *err)
{
	bool ksk_alg[256] = {false}, zsk_alg[256] = {false};
	sigil_keystore_error_t last = {""};
	int ret;

	run->keys = calloc(n, sizeof(*run->keys));
	run->group[0] = calloc(n, sizeof(size_t));
	run->group[1] = calloc(n, sizeof(size_t));
	if (run->keys == NULL || run->group[0] == NULL ||
	    run->group[1] == NULL) {
		return sign_fail(err, SIGIL_ENOMEM, "out of memory");
	}
	run->nkeys = n;
	for (size_t i = 0; i < n; i++) {
		const sigil_keydb_key_t *k = keys[i].key;
		skey_t *sk = &run->keys[i];

		sk->db = k;
		ret = sigil_pubkey_from_dnskey(k->rdata, k->rdlen, &sk->pub);
		if (ret != SIGIL_EOK) {
			return sign_fail(
				err, SIGIL_ECONFIG,
				"key %u: its DNSKEY does not decode (%s)",
				(unsigned)k->tag, sigil_strerror(ret));
		}
		if (keys[i].store_count == 0) {
			return sign_fail(err, SIGIL_ECONFIG,
			                 "%s %u: no key store holds it",
			                 sigil_key_role_name((int)k->role),
			                 (unsigned)k->tag);
		}
		sk->stores = calloc(keys[i].store_count, sizeof(size_t));
		sk->handles = calloc(keys[i].store_count, sizeof(*sk->handles));
		if (sk->stores == NULL || sk->handles == NULL) {
			return sign_fail(err, SIGIL_ENOMEM, "out of memory");
		}
		for (size_t s = 0; s < keys[i].store_count; s++) {
			sigil_keystore_t *ks = keys[i].stores[s];
			sigil_keystore_ref_t ref = {.alg = k->algorithm,
			                            .id = k->cka_id,
			                            .idlen = k->cka_id_len};
			size_t idx = run->nstores;

			for (size_t j = 0; j < run->nstores; j++) {
				if (run->stores[j].ks == ks) {
					idx = j;
				}
			}
			if (idx == run->nstores) {
				/* run->stores has room for every store of every
				 * key (allocated by the caller of this). */
				run->stores[idx].ks = ks;
				pthread_mutex_init(&run->stores[idx].lock,
				                   NULL);
				run->nstores++;
			}
			ret = sigil_keystore_key_open(
				ks, &ref, &sk->handles[sk->nstores], &last);
			if (ret != SIGIL_EOK) {
				/* Not usable there (the key is missing, or
				 * several objects carry its ID): that store
				 * does not sign with this key; the report
				 * says so. */
				run->stores[idx].keys_unusable++;
				snprintf(run->stores[idx].note,
				         sizeof(run->stores[idx].note), "%s",
				         last.message);
				continue;
			}
			sk->stores[sk->nstores++] = idx;
		}
		if (sk->nstores == 0) {
			return sign_fail(err, SIGIL_EBADSIG,
			                 "%s %u: no store can sign with it: %s",
			                 sigil_key_role_name((int)k->role),
			                 (unsigned)k->tag, last.message);
		}
		/* KSKs sign the DNSKEY RRset, ZSKs the rest, CSKs both. */
		if (k->role != SIGIL_ROLE_ZSK) {
			run->group[0][run->group_n[0]++] = i;
			ksk_alg[k->algorithm] = true;
		}
		if (k->role != SIGIL_ROLE_KSK) {
			run->group[1][run->group_n[1]++] = i;
			zsk_alg[k->algorithm] = true;
		}
	}
	/* RFC 6840 §5.11: every algorithm of the DNSKEY RRset signs every
	 * RRset, so each needs both roles. */
	for (unsigned a = 0; a < 256; a++) {
		if (ksk_alg[a] != zsk_alg[a]) {
			return sign_fail(
				err, SIGIL_ECONFIG,
				"algorithm %u (%s) has a %s but no %s: every "
				"algorithm must sign the DNSKEY RRset and the "
				"rest of the zone",
				a, sigil_alg_name((uint8_t)a),
				ksk_alg[a] ? "KSK" : "ZSK",
				ksk_alg[a] ? "ZSK (or CSK)" : "KSK (or CSK)");
		}
	}
	if (run->group_n[0] == 0) {
		return sign_fail(
			err, SIGIL_ECONFIG,
			"no usable key: generate a KSK and a ZSK, or a CSK "
			"(sigil keys generate)");
	}
	return SIGIL_EOK;
}

void sign_keys_free(srun_t *run)
{
	for (size_t i = 0; run->keys != NULL && i < run->nkeys; i++) {
		skey_t *sk = &run->keys[i];

		for (size_t s = 0; s < sk->nstores; s++) {
			sigil_keystore_key_free(sk->handles[s]);
		}
		free(sk->handles);
		free(sk->stores);
		sigil_pubkey_free(sk->pub);
	}
	free(run->keys);
	free(run->group[0]);
	free(run->group[1]);
	for (size_t s = 0; run->stores != NULL && s < run->nstores; s++) {
		pthread_mutex_destroy(&run->stores[s].lock);
	}
	free(run->stores);
}

/* The apex additions: the DNSKEY RRset (TTL of the SOA) and, with
 * ZONEMD, a placeholder for its digest.  Appended to the apex node, which
 * keeps its place: no re-sorting of the zone. */
int sign_apex_add(srun_t *run, const sigil_rr_t *soa, uint32_t serial,
                  sigil_sign_error_t *err)
{
	sigil_rr_t *rrs = calloc(run->nkeys + 1, sizeof(*rrs));
	uint8_t zmd[SIGIL_ZONEMD_RDATA_MAXLEN];
	uint32_t ttl = soa->ttl;
	size_t n = 0, zlen = 0;
	int ret = SIGIL_EOK;

	if (rrs == NULL) {
		return sign_fail(err, SIGIL_ENOMEM, "out of memory");
	}
	/* The keys' RDATA is the provider's, which outlives the call but
	 * not the zone's every use: copies in the zone. */
	for (size_t i = 0; i < run->nkeys && ret == SIGIL_EOK; i++) {
		const sigil_keydb_key_t *k = run->keys[i].db;
		uint8_t *rd = sigil_zone_alloc(run->zone, k->rdlen);

		if (rd == NULL) {
			ret = SIGIL_ENOMEM;
			break;
		}
		memcpy(rd, k->rdata, k->rdlen);
		rrs[n++] = (sigil_rr_t){.type = SIGIL_T_DNSKEY,
		                        .ttl = ttl,
		                        .rdata = rd,
		                        .rdlen = (uint16_t)k->rdlen};
	}
	if (ret == SIGIL_EOK && run->opts->policy.zonemd) {
		uint8_t *rd;

		ret = sigil_zonemd_rdata(serial, SIGIL_ZONEMD_HASH_SHA384, NULL,
		                         zmd, &zlen);
		rd = ret == SIGIL_EOK ? sigil_zone_alloc(run->zone, zlen) :
		                        NULL;
		if (ret == SIGIL_EOK && rd == NULL) {
			ret = SIGIL_ENOMEM;
		}
		if (ret == SIGIL_EOK) {
			memcpy(rd, zmd, zlen);
			rrs[n++] = (sigil_rr_t){.type = SIGIL_T_ZONEMD,
			                        .ttl = ttl,
			                        .rdata = rd,
			                        .rdlen = (uint16_t)zlen};
		}
	}
	if (ret == SIGIL_EOK) {
		ret = sigil_zone_node_append(
			run->zone, sigil_zone_apex_node(run->zone), rrs, n);
	}
	free(rrs);
	return ret == SIGIL_EOK ? SIGIL_EOK :
	                          sign_fail(err, ret, "apex records: %s",
	                                    sigil_strerror(ret));
}
