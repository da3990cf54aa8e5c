/* Object helpers for the layers above: finding and destroying objects on
 * the calling thread's session. */
#include "hsm/hsm.h"
#include "util/error.h"

int sigil_hsm_objects_find(sigil_hsm_t *hsm, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                           CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count,
                           const char *what, sigil_hsm_error_t *err)
{
	CK_FUNCTION_LIST *f = sigil_hsm_functions(hsm);
	CK_SESSION_HANDLE s;
	CK_RV rv, rv2;
	int ret;

	*count = 0;
	ret = sigil_hsm_session(hsm, &s, err);
	if (ret != SIGIL_EOK) {
		return ret;
	}
	rv = f->C_FindObjectsInit(s, tmpl, n);
	if (rv != CKR_OK) {
		return sigil_hsm_error_set(err, hsm, "C_FindObjectsInit", rv,
		                           what);
	}
	rv = f->C_FindObjects(s, out, max, count);
	rv2 = f->C_FindObjectsFinal(s);
	if (rv == CKR_OK) {
		rv = rv2;
	}
	if (rv != CKR_OK) {
		*count = 0;
		return sigil_hsm_error_set(err, hsm, "C_FindObjects", rv, what);
	}
	return SIGIL_EOK;
}

CK_RV sigil_hsm_object_destroy(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *obj)
{
	CK_SESSION_HANDLE s;
	CK_RV rv = CKR_OK;

	if (*obj != CK_INVALID_HANDLE) {
		rv = CKR_SESSION_HANDLE_INVALID;
		if (sigil_hsm_session(hsm, &s, NULL) == SIGIL_EOK) {
			rv = sigil_hsm_functions(hsm)->C_DestroyObject(s, *obj);
		}
	}
	*obj = CK_INVALID_HANDLE;
	return rv;
}
