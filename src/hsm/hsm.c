/* HSM objects: token selection by PKCS#11 URI, login, token information. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

#include "hsm/internal.h"
#include "util/error.h"

/* Open HSMs and the generation counter, under hsm_lock. */
static sigil_hsm_t *open_list;
static uint64_t last_gen;

sigil_hsm_t *hsm_find_gen(uint64_t gen)
{
	for (sigil_hsm_t *h = open_list; h != NULL; h = h->next) {
		if (h->gen == gen) {
			return h;
		}
	}
	return NULL;
}

int hsm_forked_error(const sigil_hsm_t *hsm, sigil_hsm_error_t *err)
{
	hsm_error(err, CKR_OK,
	          "%s: opened before fork(); a child process must open its "
	          "HSMs itself",
	          hsm->name);
	return SIGIL_EHSM;
}

/* Parses the token URI.  Refuses what would select a token in a way that
 * does not survive a restart (slot-id) or does not belong in a token URI
 * (object attributes), and PINs: a URI ends up in messages and logs. */
static int uri_parse(const sigil_hsm_conf_t *conf, P11KitUri **out,
                     sigil_hsm_error_t *err)
{
	P11KitUri *uri = p11_kit_uri_new();
	const char *path;
	int r;
	int ret = SIGIL_ECONFIG;

	if (uri == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", conf->name);
		ret = SIGIL_ENOMEM;
		goto out;
	}
	r = p11_kit_uri_parse(conf->uri, P11_KIT_URI_FOR_TOKEN, uri);
	if (r != P11_KIT_URI_OK) {
		/* Not quoted: an unparsable URI may still hold a PIN. */
		hsm_error(err, CKR_OK, "%s: invalid PKCS#11 URI: %s",
		          conf->name, p11_kit_uri_message(r));
		goto out;
	}
	if (p11_kit_uri_get_pin_value(uri) != NULL ||
	    p11_kit_uri_get_pin_source(uri) != NULL) {
		hsm_error(err, CKR_OK,
		          "%s: the PKCS#11 URI must not carry a PIN "
		          "(pin-value, pin-source): use a PIN file or a PIN "
		          "environment variable",
		          conf->name);
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(uri)) {
		hsm_error(err, CKR_OK,
		          "%s: PKCS#11 URI %s selects more than a token or "
		          "has a value too long: use token, serial, "
		          "manufacturer and model only (slot IDs change "
		          "between runs)",
		          conf->name, conf->uri);
		goto out;
	}
	path = p11_kit_uri_get_module_path(uri);
	if (p11_kit_uri_get_module_name(uri) != NULL ||
	    (path != NULL && strcmp(path, conf->module) != 0)) {
		hsm_error(err, CKR_OK,
		          "%s: PKCS#11 URI %s names another module than %s",
		          conf->name, conf->uri, conf->module);
		goto out;
	}
	*out = uri;
	uri = NULL;
	ret = SIGIL_EOK;
out:
	if (uri != NULL) {
		p11_kit_uri_free(uri);
	}
	return ret;
}

/* Appends '"label" serial S' for the picked tokens to buf, comma
 * separated; a list cut short ends in "...". */
static void token_list(char *buf, size_t len, const CK_TOKEN_INFO *infos,
                       const unsigned char *pick, size_t n)
{
	size_t used = 0;
	bool first = true;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char label[33], serial[17];
		int w;

		if (!pick[i]) {
			continue;
		}
		hsm_text_copy(label, infos[i].label, sizeof(infos[i].label));
		hsm_text_copy(serial, infos[i].serialNumber,
		              sizeof(infos[i].serialNumber));
		w = snprintf(buf + used, len - used, "%s\"%s\" serial %s",
		             first ? "" : ", ", label, serial);
		first = false;
		if (w < 0 || (size_t)w >= len - used) {
			if (len >= 4) {
				memcpy(buf + len - 4, "...", 4);
			}
			return;
		}
		used += (size_t)w;
	}
	if (first) {
		snprintf(buf, len, "none");
	}
}

/* Finds the one initialised token conf->uri matches and sets hsm->slot. */
static int token_find(sigil_hsm_t *hsm, const sigil_hsm_conf_t *conf,
                      const P11KitUri *uri, sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = hsm->funcs;
	CK_SLOT_ID *slots = NULL;
	CK_TOKEN_INFO *infos = NULL;
	unsigned char *present = NULL, *match = NULL;
	CK_ULONG n = 0;
	size_t matches = 0, found = 0;
	char list[400];
	CK_RV rv;
	int ret;

	ret = hsm_slot_list(f, hsm->name, &slots, &n, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	infos = calloc(n + 1, sizeof(*infos));
	present = calloc(n + 1, 1);
	match = calloc(n + 1, 1);
	if (infos == NULL || present == NULL || match == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", hsm->name);
		ret = SIGIL_ENOMEM;
		goto out;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		rv = f->C_GetTokenInfo(slots[i], &infos[i]);
		/* Removed since the slot list was taken: not a candidate. */
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID) {
			continue;
		}
		if (rv != CKR_OK) {
			ret = hsm_ck_error(err, hsm->name, "C_GetTokenInfo",
			                   rv);
			goto out;
		}
		present[i] = 1;
		/* An uninitialised token has no user PIN to log in with
		 * (and SoftHSM always offers one, with an empty label). */
		if (!(infos[i].flags & CKF_TOKEN_INITIALIZED)) {
			continue;
		}
		if (p11_kit_uri_match_token_info(uri, &infos[i])) {
			match[i] = 1;
			matches++;
			found = i;
		}
	}
	if (matches == 0) {
		token_list(list, sizeof(list), infos, present, n);
		hsm_error(err, CKR_OK,
		          "%s: no initialised token matches %s in %s; tokens "
		          "present: %s",
		          hsm->name, conf->uri, conf->module, list);
		ret = SIGIL_ENOTFOUND;
		goto out;
	}
	if (matches > 1) {
		/* Duplicate labels are legal: taking the first match would
		 * sign with whichever token the module lists first. */
		token_list(list, sizeof(list), infos, match, n);
		hsm_error(err, CKR_OK,
		          "%s: %zu tokens match %s in %s; add serial= to the "
		          "URI to choose one of: %s",
		          hsm->name, matches, conf->uri, conf->module, list);
		ret = SIGIL_EAMBIGUOUS;
		goto out;
	}
	hsm->slot = slots[found];
	ret = SIGIL_EOK;
out:
	free(slots);
	free(infos);
	free(present);
	free(match);
	return ret;
}

/* Opens the session that holds the login for the object's life, and logs
 * in. */
static int login(sigil_hsm_t *hsm, const char *pin, size_t pinlen,
                 sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = hsm->funcs;
	CK_RV rv;

	rv = f->C_OpenSession(hsm->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                      NULL, NULL, &hsm->login);
	if (rv != CKR_OK) {
		hsm->login = CK_INVALID_HANDLE;
		return hsm_ck_error(err, hsm->name, "C_OpenSession", rv);
	}
	rv = f->C_Login(hsm->login, CKU_USER, (CK_UTF8CHAR *)pin, pinlen);
	/* Login is per token and process: another sigil_hsm_t on this
	 * token (or another component) has logged in already. */
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		return hsm_ck_error(err, hsm->name, "C_Login", rv);
	}
	return SIGIL_EOK;
}

static void hsm_free(sigil_hsm_t *hsm)
{
	free(hsm->tsessions);
	free(hsm->name);
	free(hsm->site);
	free(hsm);
}

int sigil_hsm_open(const sigil_hsm_conf_t *conf, sigil_hsm_t **out,
                   sigil_hsm_error_t *err)
{
	sigil_hsm_t *hsm = NULL;
	P11KitUri *uri = NULL;
	char pin[HSM_PIN_MAX + 1];
	size_t pinlen = 0;
	int ret = SIGIL_ECONFIG;

	if (out != NULL) {
		*out = NULL;
	}
	if (conf == NULL || out == NULL) {
		hsm_error(err, CKR_OK, "sigil_hsm_open: invalid argument");
		ret = SIGIL_EINVAL;
		goto out;
	}
	if (conf->name == NULL || conf->name[0] == '\0') {
		hsm_error(err, CKR_OK, "an HSM has no name");
		goto out;
	}
	if (conf->module == NULL || conf->module[0] == '\0') {
		hsm_error(err, CKR_OK, "%s: no PKCS#11 module", conf->name);
		goto out;
	}
	if (conf->uri == NULL || conf->uri[0] == '\0') {
		hsm_error(err, CKR_OK, "%s: no token URI", conf->name);
		goto out;
	}
	hsm_fork_init();
	hsm = calloc(1, sizeof(*hsm));
	if (hsm == NULL || (hsm->name = strdup(conf->name)) == NULL ||
	    (hsm->site = strdup(conf->site != NULL ? conf->site : "")) ==
	            NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", conf->name);
		ret = SIGIL_ENOMEM;
		goto out;
	}
	hsm->login = CK_INVALID_HANDLE;
	/* Configuration errors first: they need no module. */
	ret = uri_parse(conf, &uri, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = hsm_pin_read(conf, pin, &pinlen, &hsm->warnings, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	pthread_mutex_lock(&hsm_lock);
	ret = hsm_module_acquire(conf->module, hsm->name, &hsm->module, err);
	pthread_mutex_unlock(&hsm_lock);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	hsm->funcs = hsm->module->funcs;
	hsm->forks = hsm->module->forks;
	/* Without the lock: a slow or dead HSM must not hold up the
	 * others; the module reference keeps the module loaded. */
	ret = token_find(hsm, conf, uri, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	ret = login(hsm, pin, pinlen, err);
	if (ret != SIGIL_EOK) {
		goto out;
	}
	pthread_mutex_lock(&hsm_lock);
	hsm->gen = ++last_gen;
	hsm->next = open_list;
	open_list = hsm;
	pthread_mutex_unlock(&hsm_lock);
	*out = hsm;
	hsm = NULL;
	ret = SIGIL_EOK;
out:
	explicit_bzero(pin, sizeof(pin));
	if (uri != NULL) {
		p11_kit_uri_free(uri);
	}
	if (hsm != NULL) {
		if (hsm->login != CK_INVALID_HANDLE) {
			/* No C_Logout: that would log out every other
			 * session of the token in this process. */
			(void)hsm->funcs->C_CloseSession(hsm->login);
		}
		pthread_mutex_lock(&hsm_lock);
		hsm_module_release(hsm->module);
		pthread_mutex_unlock(&hsm_lock);
		hsm_free(hsm);
	}
	return ret;
}

void sigil_hsm_close(sigil_hsm_t *hsm)
{
	sigil_hsm_t **p;

	if (hsm == NULL) {
		return;
	}
	pthread_mutex_lock(&hsm_lock);
	for (p = &open_list; *p != NULL; p = &(*p)->next) {
		if (*p == hsm) {
			*p = hsm->next;
			break;
		}
	}
	/* In a child after fork the sessions are the parent's. */
	if (!hsm_stale(hsm->forks)) {
		hsm_sessions_close(hsm);
		(void)hsm->funcs->C_CloseSession(hsm->login);
	}
	hsm_module_release(hsm->module);
	pthread_mutex_unlock(&hsm_lock);
	hsm_tls_forget(hsm->gen);
	hsm_free(hsm);
}

const char *sigil_hsm_name(const sigil_hsm_t *hsm)
{
	return hsm->name;
}

const char *sigil_hsm_site(const sigil_hsm_t *hsm)
{
	return hsm->site;
}

unsigned sigil_hsm_warnings(const sigil_hsm_t *hsm)
{
	return hsm->warnings;
}

CK_FUNCTION_LIST *sigil_hsm_functions(const sigil_hsm_t *hsm)
{
	return hsm->funcs;
}

CK_SLOT_ID sigil_hsm_slot(const sigil_hsm_t *hsm)
{
	return hsm->slot;
}

int sigil_hsm_token_info(const sigil_hsm_t *hsm, sigil_hsm_token_t *out,
                         sigil_hsm_error_t *err)
{
	CK_TOKEN_INFO info;
	CK_SESSION_INFO si;
	CK_RV rv;

	if (hsm_stale(hsm->forks)) {
		return hsm_forked_error(hsm, err);
	}
	rv = hsm->funcs->C_GetTokenInfo(hsm->slot, &info);
	if (rv != CKR_OK) {
		return hsm_ck_error(err, hsm->name, "C_GetTokenInfo", rv);
	}
	hsm_token_fill(out, &info);
	rv = hsm->funcs->C_GetSessionInfo(hsm->login, &si);
	if (rv != CKR_OK) {
		return hsm_ck_error(err, hsm->name, "C_GetSessionInfo", rv);
	}
	out->logged_in = si.state == CKS_RO_USER_FUNCTIONS ||
	                 si.state == CKS_RW_USER_FUNCTIONS;
	return SIGIL_EOK;
}

int hsm_module_get(const char *module, struct hsm_module **out,
                   sigil_hsm_error_t *err)
{
	hsm_fork_init();
	pthread_mutex_lock(&hsm_lock);
	int ret = hsm_module_acquire(module, module, out, err);
	pthread_mutex_unlock(&hsm_lock);
	return ret;
}

int sigil_hsm_list_tokens(const char *module, sigil_hsm_token_t **tokens,
                          size_t *count, sigil_hsm_error_t *err)
{
	struct hsm_module *mod = NULL;
	sigil_hsm_token_t *list = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	size_t used = 0;
	CK_RV rv;
	int ret;

	*tokens = NULL;
	*count = 0;
	if (module == NULL || module[0] == '\0') {
		hsm_error(err, CKR_OK, "no PKCS#11 module");
		return SIGIL_ECONFIG;
	}
	ret = hsm_module_get(module, &mod, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	ret = hsm_slot_list(mod->funcs, module, &slots, &n, err);
	if (ret != SIGIL_EOK || n == 0) {
		goto out;
	}
	list = calloc(n, sizeof(*list));
	if (list == NULL) {
		hsm_error(err, CKR_OK, "%s: out of memory", module);
		ret = SIGIL_ENOMEM;
		goto out;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;

		rv = mod->funcs->C_GetTokenInfo(slots[i], &info);
		if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID) {
			continue;
		}
		if (rv != CKR_OK) {
			ret = hsm_ck_error(err, module, "C_GetTokenInfo", rv);
			goto out;
		}
		hsm_token_fill(&list[used++], &info);
	}
	if (used > 0) {
		*tokens = list;
		*count = used;
		list = NULL;
	}
	ret = SIGIL_EOK;
out:
	free(list);
	free(slots);
	pthread_mutex_lock(&hsm_lock);
	hsm_module_release(mod);
	pthread_mutex_unlock(&hsm_lock);
	return ret;
}
