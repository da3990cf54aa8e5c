#include <string.h>

#include "cmd/commands.h"
#include "cmd/config_hsm.h"
#include "util/error.h"

int cmd_hsm_open(const sigil_config_hsm_t *h, sigil_hsm_t **out,
                 sigil_hsm_error_t *err)
{
	sigil_hsm_conf_t hc = {
		.name = h->name,
		.site = h->site,
		.module = h->module,
		.uri = h->uri,
		.pin_file = h->pin_file,
		.pin_env = h->pin_env,
	};
	return sigil_hsm_open(&hc, out, err);
}

int cmd_store_open(const sigil_config_t *cfg, const char *name,
                   sigil_keystore_t **out, sigil_keystore_error_t *err)
{
	const sigil_config_hsm_t *h = sigil_config_hsm_find(cfg, name);
	const sigil_config_keystore_t *k;
	sigil_hsm_error_t herr;
	sigil_hsm_t *hsm;
	int r;

	*out = NULL;
	if (h != NULL) {
		r = cmd_hsm_open(h, &hsm, &herr);
		if (r != SIGIL_EOK) {
			return sigil_keystore_error_set(err, r, "%s",
			                                herr.message);
		}
		return sigil_keystore_open_pkcs11(hsm, out, err);
	}
	k = sigil_config_keystore_find(cfg, name);
	if (k != NULL) {
		return sigil_keystore_open_pkcs8(k->name, k->directory, out,
		                                 err);
	}
	return sigil_keystore_error_set(err, SIGIL_ENOTFOUND,
	                                "%s: no HSM or key store of that name "
	                                "in %s",
	                                name, sigil_config_path(cfg));
}

int cmd_store_exit(int code)
{
	return code == SIGIL_ECONFIG ? SIGIL_EXIT_USAGE : SIGIL_EXIT_HSM;
}

int cmd_config_policy(const sigil_config_t *cfg, const char *zone,
                      sigil_sign_policy_t *out)
{
	const sigil_config_policy_t *p;
	int r = sigil_config_zone_policy(cfg, zone, &p);

	if (r != SIGIL_EOK) {
		return r;
	}
	out->nsec3 = p->nsec3;
	out->nsec3_iterations = p->nsec3_iterations;
	memcpy(out->nsec3_salt, p->nsec3_salt, p->nsec3_salt_len);
	out->nsec3_salt_len = p->nsec3_salt_len;
	out->nsec3_opt_out = p->nsec3_opt_out;
	out->validity = p->validity;
	out->jitter = p->jitter;
	out->inception_offset = p->inception_offset;
	switch (p->serial) {
	case SIGIL_CONFIG_SERIAL_KEEP:
		out->serial = SIGIL_SERIAL_KEEP;
		break;
	case SIGIL_CONFIG_SERIAL_UNIXTIME:
		out->serial = SIGIL_SERIAL_UNIXTIME;
		break;
	case SIGIL_CONFIG_SERIAL_DATESERIAL:
		out->serial = SIGIL_SERIAL_DATESERIAL;
		break;
	default:
		out->serial = SIGIL_SERIAL_INCREMENT;
		break;
	}
	out->zonemd = p->zonemd;
	return SIGIL_EOK;
}
