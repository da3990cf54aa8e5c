/* Token initialisation through PKCS#11, for test beds and first setup.
 *
 * Done with the module's own functions rather than a vendor tool such as
 * softhsm2-util, which takes the PINs in argv where every user of the
 * machine can read them in /proc.
 */
#include <stdlib.h>
#include <string.h>

#include "hsm/internal.h"
#include "util/error.h"

/* The first slot whose token is present and not initialised (SoftHSM2
 * always offers one), or SIGIL_ENOTFOUND. */
static int free_slot(CK_FUNCTION_LIST *f, const char *module, CK_SLOT_ID *out,
                     sigil_hsm_error_t *err)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	CK_TOKEN_INFO info;
	CK_RV rv;
	int ret;

	ret = hsm_slot_list(f, module, &slots, &n, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = SIGIL_ENOTFOUND;
	for (CK_ULONG i = 0; i < n; i++) {
		rv = f->C_GetTokenInfo(slots[i], &info);
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID) {
			continue;
		}
		if (rv != CKR_OK) {
			ret = hsm_ck_error(err, module, "C_GetTokenInfo", rv);
			goto out;
		}
		if (!(info.flags & CKF_TOKEN_INITIALIZED)) {
			*out = slots[i];
			ret = SIGIL_EOK;
			goto out;
		}
	}
	hsm_error(err, CKR_OK, "%s: no uninitialised token to initialise",
	          module);
out:
	free(slots);
	return ret;
}

int sigil_hsm_token_init(const char *module, const char *label,
                         const char *so_pin, const char *user_pin,
                         sigil_hsm_token_t *out, sigil_hsm_error_t *err)
{
	struct hsm_module *mod = NULL;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_UTF8CHAR padded[32];
	CK_TOKEN_INFO info;
	CK_SLOT_ID slot = 0;
	bool logged_in = false;
	size_t llen;
	CK_RV rv;
	int ret = SIGIL_EINVAL;

	if (module == NULL || module[0] == '\0' || label == NULL ||
	    so_pin == NULL || so_pin[0] == '\0' || user_pin == NULL ||
	    user_pin[0] == '\0' || out == NULL) {
		hsm_error(err, CKR_OK,
		          "sigil_hsm_token_init: invalid argument");
		return ret;
	}
	llen = strlen(label);
	if (llen == 0 || llen > sizeof(padded)) {
		hsm_error(
			err, CKR_OK,
			"token label \"%s\" is empty or longer than %zu bytes",
			label, sizeof(padded));
		return SIGIL_ECONFIG;
	}
	/* PKCS#11 labels are fixed-size and blank padded, not NUL
	 * terminated. */
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, llen);
	ret = hsm_module_get(module, &mod, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	f = mod->funcs;
	ret = free_slot(f, module, &slot, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	rv = f->C_InitToken(slot, (CK_UTF8CHAR *)so_pin, strlen(so_pin),
	                    padded);
	if (rv != CKR_OK) {
		ret = hsm_ck_error(err, label, "C_InitToken", rv);
		goto out;
	}
	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                      NULL, &s);
	if (rv != CKR_OK) {
		s = CK_INVALID_HANDLE;
		ret = hsm_ck_error(err, label, "C_OpenSession", rv);
		goto out;
	}
	rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so_pin, strlen(so_pin));
	if (rv != CKR_OK) {
		ret = hsm_ck_error(err, label, "C_Login (SO)", rv);
		goto out;
	}
	logged_in = true;
	rv = f->C_InitPIN(s, (CK_UTF8CHAR *)user_pin, strlen(user_pin));
	if (rv != CKR_OK) {
		ret = hsm_ck_error(err, label, "C_InitPIN", rv);
		goto out;
	}
	/* The serial is assigned by the token: read it back so that the
	 * caller can select the token by label and serial. */
	rv = f->C_GetTokenInfo(slot, &info);
	if (rv != CKR_OK) {
		ret = hsm_ck_error(err, label, "C_GetTokenInfo", rv);
		goto out;
	}
	hsm_token_fill(out, &info);
	ret = SIGIL_EOK;
out:
	if (logged_in) {
		/* The SO session must not outlive the initialisation. */
		(void)f->C_Logout(s);
	}
	if (s != CK_INVALID_HANDLE) {
		(void)f->C_CloseSession(s);
	}
	pthread_mutex_lock(&hsm_lock);
	hsm_module_release(mod);
	pthread_mutex_unlock(&hsm_lock);
	return ret;
}
