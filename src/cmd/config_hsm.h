/* Glue between the configuration and the HSM and key store layers, for
 * the commands. */
#ifndef SIGIL_CMD_CONFIG_HSM_H
#define SIGIL_CMD_CONFIG_HSM_H

#include "config/config.h"
#include "hsm/hsm.h"
#include "keystore/keystore.h"
#include "sign/sign.h"

/* Opens the HSM a configuration entry describes (sigil_hsm_open). */
int cmd_hsm_open(const sigil_config_hsm_t *h, sigil_hsm_t **out,
                 sigil_hsm_error_t *err);

/* Opens the HSM or software key store called name in cfg as a key store.
 * SIGIL_ENOTFOUND when cfg defines neither; otherwise as
 * sigil_hsm_open() and sigil_keystore_open_pkcs8().  err names the store. */
int cmd_store_open(const sigil_config_t *cfg, const char *name,
                   sigil_keystore_t **out, sigil_keystore_error_t *err);

/* The signing policy of zone from cfg (its own, or the defaults).
 * SIGIL_EOK or SIGIL_EINVAL (zone is not a domain name). */
int cmd_config_policy(const sigil_config_t *cfg, const char *zone,
                      sigil_sign_policy_t *out);

/* The exit status for a failure to open a store: 2 for configuration
 * errors, 3 for HSM and file failures. */
int cmd_store_exit(int code);

#endif
