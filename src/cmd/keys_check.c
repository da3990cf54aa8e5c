/* sigil keys check: re-proves every key in every store of its zone and
 * records the results (the proof is keys/generate.h's sigil_key_prove). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "cmd/json.h"
#include "cmd/keys.h"
#include "config/config.h"
#include "dns/name.h"
#include "keystore/keystore.h"
#include "keys/generate.h"
#include "keys/keydb.h"
#include "util/error.h"

/* One proof of check: printed and recorded in the key database. */
static int check_record(sigil_keydb_t *db, const sigil_keydb_key_t *k,
                        const char *hsm, sigil_keydb_copy_t *copy,
                        const char *message, bool json, const char **sep)
{
	sigil_keydb_error_t kerr;
	int r;

	copy->key_id = k->id;
	copy->hsm = hsm;
	copy->proof_time = (int64_t)time(NULL);
	copy->message = copy->result == SIGIL_PROOF_OK ? "checked" : message;
	if (json) {
		printf("%s{\"zone\":", *sep);
		cmd_json_str(stdout, k->zone);
		printf(",\"id\":%lld,\"tag\":%u,\"role\":", (long long)k->id,
		       (unsigned)k->tag);
		cmd_json_str(stdout,
		             keys_name_or(sigil_key_role_name(k->role)));
		printf(",\"hsm\":");
		cmd_json_str(stdout, hsm);
		printf(",\"present\":%s,\"local\":%s,\"result\":",
		       copy->present ? "true" : "false",
		       copy->local ? "true" : "false");
		cmd_json_str(stdout, keys_name_or(sigil_proof_result_name(
					     copy->result)));
		printf(",\"message\":");
		cmd_json_str(stdout, copy->message);
		printf("}");
		*sep = ",";
	} else {
		printf("%s key %lld (%s, tag %u) on %s: %s%s%s\n", k->zone,
		       (long long)k->id,
		       keys_name_or(sigil_key_role_name(k->role)),
		       (unsigned)k->tag, hsm,
		       keys_name_or(sigil_proof_result_name(copy->result)),
		       copy->result == SIGIL_PROOF_OK ? "" : ": ",
		       copy->result == SIGIL_PROOF_OK ? "" : copy->message);
	}
	r = sigil_keydb_copy_record(db, copy, &kerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys check: key database: %s\n",
		        kerr.message);
	}
	return r;
}

/* check: re-proves every usable key of one zone in every HSM and key
 * store the zone uses.  Returns an exit status; *bad set when a proof failed. */
static int check_zone(const sigil_config_t *cfg, sigil_keydb_t *db,
                      const char *ztxt, bool json, const char **sep, bool *bad)
{
	const char *const *names = NULL;
	sigil_keystore_t **stores = NULL;
	char(*why)[sizeof(((sigil_keystore_error_t *)0)->message)] = NULL;
	sigil_keydb_key_t *keys = NULL;
	sigil_keydb_error_t kerr;
	sigil_keystore_error_t serr;
	size_t n = 0, nkeys = 0;
	int r, ret = SIGIL_EXIT_USAGE;

	if (sigil_config_zone_stores(cfg, ztxt, &names, &n) != SIGIL_EOK ||
	    n == 0) {
		fprintf(stderr,
		        "sigil keys check: no HSM or key store for zone %s\n",
		        ztxt);
		goto out;
	}
	ret = SIGIL_EXIT_HSM;
	stores = calloc(n, sizeof(*stores));
	why = calloc(n, sizeof(*why));
	if (stores == NULL || why == NULL) {
		fprintf(stderr, "sigil keys check: out of memory\n");
		goto out;
	}
	/* A store that cannot be opened is reported for every key. */
	for (size_t i = 0; i < n; i++) {
		if (cmd_store_open(cfg, names[i], &stores[i], &serr) !=
		    SIGIL_EOK) {
			stores[i] = NULL;
			snprintf(why[i], sizeof(why[i]), "%s", serr.message);
		}
	}
	r = sigil_keydb_keys(db, ztxt, &keys, &nkeys, &kerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys check: key database: %s\n",
		        kerr.message);
		goto out;
	}
	for (size_t k = 0; k < nkeys; k++) {
		sigil_keydb_copy_t *copies = NULL;
		size_t nc = 0;

		if (keys[k].state != SIGIL_KEY_USABLE) {
			continue;
		}
		r = sigil_keydb_copies(db, keys[k].id, &copies, &nc, &kerr);
		if (r != SIGIL_EOK) {
			fprintf(stderr, "sigil keys check: key database: %s\n",
			        kerr.message);
			goto out;
		}
		for (size_t i = 0; i < n && r == SIGIL_EOK; i++) {
			sigil_keydb_copy_t copy = {
				.result = SIGIL_PROOF_UNREACHABLE};
			bool source = false, present = false;

			/* The HSM the key was generated in may say so. */
			for (size_t j = 0; j < nc; j++) {
				if (strcmp(copies[j].hsm, names[i]) == 0) {
					source = copies[j].local;
					present = copies[j].present;
				}
			}
			serr.message[0] = '\0';
			if (stores[i] != NULL) {
				sigil_key_prove(stores[i], keys[k].rdata,
				                keys[k].rdlen, keys[k].cka_id,
				                keys[k].cka_id_len, source,
				                &copy, &serr);
			}
			/* CKA_LOCAL not read: what was known stays, so that
			 * an outage does not turn the source into a copy. */
			if (copy.result == SIGIL_PROOF_MISSING ||
			    copy.result == SIGIL_PROOF_MULTIPLE ||
			    copy.result == SIGIL_PROOF_UNREACHABLE) {
				copy.local = source;
			}
			if (copy.result == SIGIL_PROOF_UNREACHABLE) {
				copy.present = present;
			}
			*bad = *bad || copy.result != SIGIL_PROOF_OK;
			r = check_record(db, &keys[k], names[i], &copy,
			                 stores[i] != NULL ? serr.message :
			                                     why[i],
			                 json, sep);
		}
		sigil_keydb_copies_free(copies, nc);
		if (r != SIGIL_EOK) {
			goto out;
		}
	}
	ret = SIGIL_EXIT_OK;
out:
	sigil_keydb_keys_free(keys, nkeys);
	for (size_t i = 0; stores != NULL && i < n; i++) {
		sigil_keystore_close(stores[i]);
	}
	free(stores);
	free(why);
	return ret;
}

/* check [ZONE]: every zone of the key database when zone is NULL. */
int keys_check_run(const char *path, const char *zone, bool json)
{
	sigil_config_t *cfg = NULL;
	sigil_config_error_t cerr;
	sigil_keydb_error_t kerr;
	sigil_keydb_t *db = NULL;
	uint8_t wire[SIGIL_DNAME_MAXLEN];
	char ztxt[SIGIL_DNAME_TXT_MAXLEN];
	char msg[1600];
	char **zones = NULL;
	size_t nz = 0;
	const char *sep = "";
	bool bad = false;
	int r, ret = SIGIL_EXIT_USAGE;

	if (zone != NULL && !keys_zone_canon(zone, wire, ztxt)) {
		fprintf(stderr, "sigil keys check: '%s' is not a domain name\n",
		        zone);
		return SIGIL_EXIT_USAGE;
	}
	r = sigil_config_load(path, &cfg, &cerr);
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys check: %s\n",
		        sigil_config_error_str(msg, sizeof(msg), &cerr));
		goto out;
	}
	ret = SIGIL_EXIT_HSM;
	r = sigil_keydb_open(sigil_config_database(cfg), &db, &kerr);
	if (r == SIGIL_EOK && zone == NULL) {
		r = sigil_keydb_zones(db, &zones, &nz, &kerr);
	}
	if (r != SIGIL_EOK) {
		fprintf(stderr, "sigil keys check: key database %s: %s\n",
		        sigil_config_database(cfg), kerr.message);
		goto out;
	}
	if (json) {
		printf("[");
	}
	ret = SIGIL_EXIT_OK;
	for (size_t i = 0; ret == SIGIL_EXIT_OK && i < (zone ? 1 : nz); i++) {
		ret = check_zone(cfg, db, zone ? ztxt : zones[i], json, &sep,
		                 &bad);
	}
	if (json) {
		printf("]\n");
	}
	if (fflush(stdout) != 0) {
		ret = SIGIL_EXIT_HSM;
	}
	if (ret == SIGIL_EXIT_OK && bad) {
		ret = SIGIL_EXIT_FOUND;
	}
out:
	sigil_keydb_zones_free(zones, nz);
	sigil_keydb_close(db);
	sigil_config_free(cfg);
	return ret;
}
