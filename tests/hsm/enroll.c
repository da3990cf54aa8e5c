/* Enrollment (hsm/enroll.c) against three SoftHSM2 tokens made here,
 * checked independently with raw PKCS#11 calls: every token holds exactly
 * one object after enrollment (the KEK: no transport key left behind),
 * with the attributes asked for (sensitive, AES-256, CKA_LOCAL only where
 * it was generated); a key wrapped under the KEK in one HSM unwraps in
 * the others to the same key; idempotence; refusals of several KEKs on
 * one token and of different KEKs, with nothing changed. */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "lib/softhsm.h"
#include "lib/tap.h"
#include "util/error.h"

#define PIN "pin-enroll-1234"
#define NHSM 4

/* The one object of each token is the KEK with the attributes asked for;
 * local says whether it was generated there. */
static void check_kek(sigil_hsm_t *h, bool local)
{
	const char *name = sigil_hsm_name(h);
	CK_OBJECT_HANDLE o[4];
	CK_SESSION_HANDLE s;
	CK_ULONG n = test_hsm_objects(h, NULL, 0, o, 4);
	CK_OBJECT_CLASS cls = 0;
	CK_KEY_TYPE kt = 0;
	CK_ULONG len = 0;
	char label[32] = "", id[32] = "";
	CK_ATTRIBUTE a[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_VALUE_LEN, &len, sizeof(len)},
		{CKA_LABEL, label, sizeof(label) - 1},
		{CKA_ID, id, sizeof(id) - 1},
	};

	if (!ok(n == 1, "%s: exactly one object", name)) {
		diag("%lu objects", (unsigned long)n);
		return;
	}
	sigil_hsm_session(h, &s, NULL);
	ok(sigil_hsm_functions(h)->C_GetAttributeValue(s, o[0], a, 5) == CKR_OK,
	   "%s: attributes readable", name);
	/* SoftHSM2 2.6 leaves CKA_VALUE_LEN 0 on unwrapped AES keys (and
	 * refuses it in the unwrap template); check_same_kek() shows the
	 * copies are the 32-byte KEK. */
	if (!ok(cls == CKO_SECRET_KEY && kt == CKK_AES &&
	                (len == 32 || (!local && len == 0)),
	        "%s: an AES%s secret key", name, local ? "-256" : "")) {
		diag("class %lu, key type %lu, value length %lu",
		     (unsigned long)cls, (unsigned long)kt, (unsigned long)len);
	}
	is_str(label, SIGIL_HSM_KEK_LABEL, "%s: label", name);
	is_str(id, SIGIL_HSM_KEK_ID, "%s: id", name);
	ok(test_hsm_attr_bool(h, o[0], CKA_TOKEN, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_PRIVATE, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_SENSITIVE, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_EXTRACTABLE, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_WRAP, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_UNWRAP, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_ENCRYPT, CK_TRUE) &&
	           test_hsm_attr_bool(h, o[0], CKA_DECRYPT, CK_FALSE),
	   "%s: token, private, sensitive, wrap/unwrap/encrypt, no decrypt",
	   name);
	ok(test_hsm_attr_bool(h, o[0], CKA_LOCAL, local ? CK_TRUE : CK_FALSE),
	   "%s: CKA_LOCAL %s", name,
	   local ? "true (generated here)" : "false (a copy)");
}

/* KCV of a session key, for the cross-check. */
static bool kcv_of(sigil_hsm_t *h, CK_OBJECT_HANDLE k, uint8_t out[3])
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(h);
	CK_MECHANISM m = {CKM_AES_ECB, NULL, 0};
	CK_BYTE zero[16] = {0}, c[16];
	CK_ULONG len = sizeof(c);
	CK_SESSION_HANDLE s;

	if (sigil_hsm_session(h, &s, NULL) != SIGIL_EOK ||
	    f->C_EncryptInit(s, &m, k) != CKR_OK ||
	    f->C_Encrypt(s, zero, 16, c, &len) != CKR_OK) {
		return false;
	}
	memcpy(out, c, 3);
	return true;
}

/* A session AES key made in hsms[0], wrapped there under the KEK with
 * CKM_AES_KEY_WRAP_PAD, unwraps under the KEK of every other HSM to a key
 * with the same KCV: the KEKs are one key, not only one KCV. */
static void check_same_kek(sigil_hsm_t **hsms, size_t n)
{
	CK_BBOOL t = CK_TRUE, fl = CK_FALSE;
	CK_ULONG len32 = 32;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE gen[] = {
		{CKA_VALUE_LEN, &len32, sizeof(len32)},
		{CKA_TOKEN, &fl, sizeof(fl)},
		{CKA_EXTRACTABLE, &t, sizeof(t)},
		{CKA_ENCRYPT, &t, sizeof(t)},
	};
	CK_ATTRIBUTE unw[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_TOKEN, &fl, sizeof(fl)},
		{CKA_ENCRYPT, &t, sizeof(t)},
	};
	CK_ATTRIBUTE lab[] = {
		{CKA_LABEL, (void *)SIGIL_HSM_KEK_LABEL,
	         sizeof(SIGIL_HSM_KEK_LABEL) - 1},
	};
	CK_MECHANISM kg = {CKM_AES_KEY_GEN, NULL, 0};
	CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_HANDLE k = 0, kek = 0;
	CK_SESSION_HANDLE s;
	CK_BYTE blob[64];
	CK_ULONG blen = sizeof(blob);
	uint8_t ref[3], got[3];
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsms[0]);

	sigil_hsm_session(hsms[0], &s, NULL);
	if (!ok(f->C_GenerateKey(s, &kg, gen, 4, &k) == CKR_OK &&
	                test_hsm_objects(hsms[0], lab, 1, &kek, 1) == 1 &&
	                f->C_WrapKey(s, &kwp, kek, k, blob, &blen) == CKR_OK &&
	                kcv_of(hsms[0], k, ref),
	        "a test key wrapped under hsm1's KEK")) {
		return;
	}
	f->C_DestroyObject(s, k);
	for (size_t i = 1; i < n; i++) {
		CK_FUNCTION_LIST *g = sigil_hsm_functions(hsms[i]);
		CK_SESSION_HANDLE si;
		CK_OBJECT_HANDLE u = 0, kek_i = 0;

		sigil_hsm_session(hsms[i], &si, NULL);
		ok(test_hsm_objects(hsms[i], lab, 1, &kek_i, 1) == 1 &&
		           g->C_UnwrapKey(si, &kwp, kek_i, blob, blen, unw, 4,
		                          &u) == CKR_OK &&
		           kcv_of(hsms[i], u, got) && memcmp(got, ref, 3) == 0,
		   "%s's KEK unwraps it to the same key",
		   sigil_hsm_name(hsms[i]));
		g->C_DestroyObject(si, u);
	}
}

/* A second "sigil-kek" on h, made directly. */
static bool second_kek(sigil_hsm_t *h)
{
	CK_BBOOL t = CK_TRUE;
	CK_ULONG len32 = 32;
	CK_ATTRIBUTE a[] = {
		{CKA_VALUE_LEN, &len32, sizeof(len32)},
		{CKA_TOKEN, &t, sizeof(t)},
		{CKA_ENCRYPT, &t, sizeof(t)},
		{CKA_LABEL, (void *)SIGIL_HSM_KEK_LABEL,
	         sizeof(SIGIL_HSM_KEK_LABEL) - 1},
	};
	CK_MECHANISM kg = {CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE k;
	CK_SESSION_HANDLE s;

	return sigil_hsm_session(h, &s, NULL) == SIGIL_EOK &&
	       sigil_hsm_functions(h)->C_GenerateKey(s, &kg, a, 4, &k) ==
	               CKR_OK;
}

int main(void)
{
	sigil_hsm_t *h[NHSM + 1] = {NULL};
	sigil_hsm_enroll_result_t res[NHSM];
	sigil_hsm_error_t err;
	uint8_t kcv[3];
	bool present = true;
	int ret;

	if (!test_softhsm_start("enroll", NHSM, PIN)) {
		return 1;
	}
	for (int i = 1; i <= NHSM; i++) {
		h[i - 1] = test_softhsm_open(i);
		if (!ok(h[i - 1] != NULL, "hsm%d opens", i)) {
			printf("Bail out! cannot open the tokens\n");
			return 1;
		}
	}
	h[NHSM] = test_softhsm_open(1); /* hsm1 a second time */

	ret = sigil_hsm_kek_check(h[0], kcv, &present, &err);
	ok(ret == SIGIL_EOK && !present, "kek_check: none yet");
	is_int(sigil_hsm_enroll(h, 0, res, &err), SIGIL_EINVAL, "n = 0");
	ret = sigil_hsm_enroll((sigil_hsm_t *[]){h[0], h[NHSM]}, 2, res, &err);
	is_int(ret, SIGIL_ECONFIG, "one token twice: %s", err.message);
	ok(strstr(err.message, "same token") != NULL, "  says so");
	ret = sigil_hsm_kek_check(h[0], kcv, &present, &err);
	ok(ret == SIGIL_EOK && !present, "  nothing made");

	/* Three HSMs. */
	ret = sigil_hsm_enroll(h, 3, res, &err);
	is_int(ret, SIGIL_EOK, "enroll hsm1..hsm3: %s", ret ? err.message : "");
	ok(res[0].state == SIGIL_HSM_KEK_CREATED &&
	           res[1].state == SIGIL_HSM_KEK_COPIED &&
	           res[2].state == SIGIL_HSM_KEK_COPIED,
	   "created, copied, copied");
	ok(memcmp(res[0].kcv, res[1].kcv, 3) == 0 &&
	           memcmp(res[0].kcv, res[2].kcv, 3) == 0,
	   "one KCV");
	check_kek(h[0], true);
	check_kek(h[1], false);
	check_kek(h[2], false);
	check_same_kek(h, 3);
	ret = sigil_hsm_kek_check(h[1], kcv, &present, &err);
	ok(ret == SIGIL_EOK && present && memcmp(kcv, res[0].kcv, 3) == 0,
	   "kek_check: present, the same KCV");

	ret = sigil_hsm_enroll(h, 3, res, &err);
	ok(ret == SIGIL_EOK && res[0].state == SIGIL_HSM_KEK_PRESENT &&
	           res[1].state == SIGIL_HSM_KEK_PRESENT &&
	           res[2].state == SIGIL_HSM_KEK_PRESENT,
	   "again: all present");

	/* A fourth HSM, listed first: the KEK is copied from hsm1. */
	ret = sigil_hsm_enroll((sigil_hsm_t *[]){h[3], h[0], h[1], h[2]}, 4,
	                       res, &err);
	ok(ret == SIGIL_EOK && res[0].state == SIGIL_HSM_KEK_COPIED &&
	           res[1].state == SIGIL_HSM_KEK_PRESENT &&
	           memcmp(res[0].kcv, res[1].kcv, 3) == 0,
	   "hsm4 joins: copied from hsm1, same KCV");
	check_kek(h[3], false);
	check_same_kek((sigil_hsm_t *[]){h[3], h[0]}, 2);

	/* Several KEKs on one token: refused, nothing changed. */
	ok(second_kek(h[2]), "a second sigil-kek on hsm3");
	ret = sigil_hsm_enroll(h, NHSM, res, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "refused: %s", err.message);
	ok(strstr(err.message, "hsm3") != NULL, "  names hsm3");
	ret = sigil_hsm_kek_check(h[2], kcv, &present, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "kek_check refuses too");

	/* Different KEKs: hsm3 gets a fresh one of its own. */
	{
		CK_OBJECT_HANDLE o[4];
		CK_SESSION_HANDLE s;
		CK_ULONG n = test_hsm_objects(h[2], NULL, 0, o, 4);

		sigil_hsm_session(h[2], &s, NULL);
		for (CK_ULONG i = 0; i < n && n != (CK_ULONG)-1; i++) {
			sigil_hsm_functions(h[2])->C_DestroyObject(s, o[i]);
		}
	}
	ret = sigil_hsm_enroll(&h[2], 1, res, &err);
	ok(ret == SIGIL_EOK && res[0].state == SIGIL_HSM_KEK_CREATED,
	   "hsm3 alone: a new KEK");
	ret = sigil_hsm_enroll(h, NHSM, res, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "different KEKs refused: %s",
	       err.message);
	ok(strstr(err.message, "hsm1") && strstr(err.message, "hsm3"),
	   "  names hsm1 and hsm3");

	for (int i = 0; i <= NHSM; i++) {
		sigil_hsm_close(h[i]);
	}
	ok(test_softhsm_cleanup(), "temporary directory removed");
	return done_testing();
}
