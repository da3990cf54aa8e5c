#include "cmd/config_hsm.h"

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
