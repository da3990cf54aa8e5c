/* Glue between the configuration and the HSM layer, for the commands. */
#ifndef SIGIL_CMD_CONFIG_HSM_H
#define SIGIL_CMD_CONFIG_HSM_H

#include "config/config.h"
#include "hsm/hsm.h"

/* Opens the HSM a configuration entry describes (sigil_hsm_open). */
int cmd_hsm_open(const sigil_config_hsm_t *h, sigil_hsm_t **out,
                 sigil_hsm_error_t *err);

#endif
