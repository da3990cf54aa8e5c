/* SoftHSM2 tokens for C tests of the HSM layer: a temporary token
 * directory with its softhsm2.conf, tokens hsm1..hsmN initialised through
 * PKCS#11, and small helpers to look at what a token holds. */
#ifndef SIGIL_TESTS_SOFTHSM_H
#define SIGIL_TESTS_SOFTHSM_H

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "keystore/keystore.h"
#include "lib/tap.h"
#include "util/error.h"

#define TEST_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TEST_SOFTHSM_SO_PIN "so-87654321"
#define TEST_SOFTHSM_PIN_ENV "SIGIL_TEST_HSM_PIN"

static char test_softhsm_dir[64];

static int test_softhsm_rm(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes the directory /tmp/sigil-NAME-test-*, points SOFTHSM2_CONF at it
 * and initialises tokens hsm1..hsmN with user PIN pin (also put in the
 * environment variable TEST_SOFTHSM_PIN_ENV). */
static inline bool test_softhsm_setup(const char *name, int n, const char *pin)
{
	char path[256];
	sigil_hsm_token_t tok;
	sigil_hsm_error_t err;
	FILE *f;

	snprintf(test_softhsm_dir, sizeof(test_softhsm_dir),
	         "/tmp/sigil-%s-test-XXXXXX", name);
	if (mkdtemp(test_softhsm_dir) == NULL) {
		return false;
	}
	snprintf(path, sizeof(path), "%s/tokens", test_softhsm_dir);
	if (mkdir(path, 0700) != 0) {
		return false;
	}
	snprintf(path, sizeof(path), "%s/softhsm2.conf", test_softhsm_dir);
	f = fopen(path, "w");
	if (f == NULL) {
		return false;
	}
	fprintf(f,
	        "directories.tokendir = %s/tokens\n"
	        "objectstore.backend = file\n"
	        "log.level = ERROR\n",
	        test_softhsm_dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	setenv(TEST_SOFTHSM_PIN_ENV, pin, 1);
	for (int i = 1; i <= n; i++) {
		char label[16];

		snprintf(label, sizeof(label), "hsm%d", i);
		if (sigil_hsm_token_init(TEST_SOFTHSM_MODULE, label,
		                         TEST_SOFTHSM_SO_PIN, pin, &tok,
		                         &err) != SIGIL_EOK) {
			diag("%s", err.message);
			return false;
		}
	}
	return true;
}

/* What every HSM test starts with: SoftHSM2's module present and tokens
 * hsm1..hsmN made (test_softhsm_setup).  On failure a "Bail out!" line is
 * printed and false returned: the caller exits 1. */
static inline bool test_softhsm_start(const char *name, int n, const char *pin)
{
	if (!ok(access(TEST_SOFTHSM_MODULE, R_OK) == 0, "%s exists",
	        TEST_SOFTHSM_MODULE)) {
		printf("Bail out! SoftHSM2 is needed (apt-get install "
		       "softhsm2)\n");
		return false;
	}
	if (!ok(test_softhsm_setup(name, n, pin),
	        "%d SoftHSM2 tokens in a temporary directory", n)) {
		printf("Bail out! cannot make the SoftHSM2 tokens\n");
		return false;
	}
	return true;
}

/* Opens token hsmI as HSM "hsmI" (odd ones in site1, even in site2). */
static inline sigil_hsm_t *test_softhsm_open(int i)
{
	char name[16], uri[40];
	sigil_hsm_conf_t c = {.name = name,
	                      .site = i % 2 ? "site1" : "site2",
	                      .module = TEST_SOFTHSM_MODULE,
	                      .uri = uri,
	                      .pin_env = TEST_SOFTHSM_PIN_ENV};
	sigil_hsm_error_t err;
	sigil_hsm_t *h = NULL;

	snprintf(name, sizeof(name), "hsm%d", i);
	snprintf(uri, sizeof(uri), "pkcs11:token=hsm%d", i);
	if (sigil_hsm_open(&c, &h, &err) != SIGIL_EOK) {
		diag("%s", err.message);
	}
	return h;
}

/* Opens tokens hsm1..hsmN as key stores ks[0..n-1]; h[i] is the HSM of
 * ks[i] (owned by it).  On failure a "Bail out!" line is printed and
 * false returned: the caller exits 1. */
static inline bool test_softhsm_stores(int n, sigil_hsm_t **h,
                                       sigil_keystore_t **ks)
{
	sigil_keystore_error_t err;
	bool all = true;

	for (int i = 0; i < n; i++) {
		h[i] = test_softhsm_open(i + 1);
		if (h[i] != NULL && sigil_keystore_open_pkcs11(
					    h[i], &ks[i], &err) != SIGIL_EOK) {
			diag("%s", err.message);
			h[i] = NULL;
			ks[i] = NULL;
		}
		all = all && ks[i] != NULL;
	}
	if (!ok(all, "HSMs open as key stores")) {
		printf("Bail out! cannot open the tokens\n");
		return false;
	}
	return true;
}

/* Removes the directory; true when it is gone. */
static inline bool test_softhsm_cleanup(void)
{
	struct stat st;

	return nftw(test_softhsm_dir, test_softhsm_rm, 16,
	            FTW_DEPTH | FTW_PHYS) == 0 &&
	       stat(test_softhsm_dir, &st) != 0 && errno == ENOENT;
}

/* The objects matching tmpl (token and session objects this process
 * sees), up to max, into out; their number, (CK_ULONG)-1 on failure. */
static inline CK_ULONG test_hsm_objects(sigil_hsm_t *h, CK_ATTRIBUTE *tmpl,
                                        CK_ULONG n, CK_OBJECT_HANDLE *out,
                                        CK_ULONG max)
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(h);
	CK_SESSION_HANDLE s;
	CK_ULONG count = 0;

	if (sigil_hsm_session(h, &s, NULL) != SIGIL_EOK ||
	    f->C_FindObjectsInit(s, tmpl, n) != CKR_OK) {
		return (CK_ULONG)-1;
	}
	if (f->C_FindObjects(s, out, max, &count) != CKR_OK) {
		count = (CK_ULONG)-1;
	}
	f->C_FindObjectsFinal(s);
	return count;
}

/* True when boolean attribute t of object o is want. */
static inline bool test_hsm_attr_bool(sigil_hsm_t *h, CK_OBJECT_HANDLE o,
                                      CK_ATTRIBUTE_TYPE t, CK_BBOOL want)
{
	CK_SESSION_HANDLE s;
	CK_BBOOL v = !want;
	CK_ATTRIBUTE a = {t, &v, sizeof(v)};

	return sigil_hsm_session(h, &s, NULL) == SIGIL_EOK &&
	       sigil_hsm_functions(h)->C_GetAttributeValue(s, o, &a, 1) ==
	               CKR_OK &&
	       v == want;
}

#endif
