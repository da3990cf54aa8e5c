/* PKCS#11 results: names for messages, mapping to sigil errors, and the
 * small text helpers every file of the module uses for messages. */
#include <stdio.h>
#include <string.h>

#include "hsm/internal.h"
#include "util/error.h"

#define RV(name)                                                               \
	{                                                                      \
		name, #name                                                    \
	}

/* Every CKR_ code of PKCS#11 2.40 (as p11-kit's pkcs11.h defines them),
 * sorted by value for the binary search in sigil_hsm_rv_name(). */
static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	RV(CKR_OK),
	RV(CKR_CANCEL),
	RV(CKR_HOST_MEMORY),
	RV(CKR_SLOT_ID_INVALID),
	RV(CKR_GENERAL_ERROR),
	RV(CKR_FUNCTION_FAILED),
	RV(CKR_ARGUMENTS_BAD),
	RV(CKR_NO_EVENT),
	RV(CKR_NEED_TO_CREATE_THREADS),
	RV(CKR_CANT_LOCK),
	RV(CKR_ATTRIBUTE_READ_ONLY),
	RV(CKR_ATTRIBUTE_SENSITIVE),
	RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_ATTRIBUTE_VALUE_INVALID),
	RV(CKR_ACTION_PROHIBITED),
	RV(CKR_DATA_INVALID),
	RV(CKR_DATA_LEN_RANGE),
	RV(CKR_DEVICE_ERROR),
	RV(CKR_DEVICE_MEMORY),
	RV(CKR_DEVICE_REMOVED),
	RV(CKR_ENCRYPTED_DATA_INVALID),
	RV(CKR_ENCRYPTED_DATA_LEN_RANGE),
	RV(CKR_FUNCTION_CANCELED),
	RV(CKR_FUNCTION_NOT_PARALLEL),
	RV(CKR_FUNCTION_NOT_SUPPORTED),
	RV(CKR_KEY_HANDLE_INVALID),
	RV(CKR_KEY_SIZE_RANGE),
	RV(CKR_KEY_TYPE_INCONSISTENT),
	RV(CKR_KEY_NOT_NEEDED),
	RV(CKR_KEY_CHANGED),
	RV(CKR_KEY_NEEDED),
	RV(CKR_KEY_INDIGESTIBLE),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
	RV(CKR_KEY_NOT_WRAPPABLE),
	RV(CKR_KEY_UNEXTRACTABLE),
	RV(CKR_MECHANISM_INVALID),
	RV(CKR_MECHANISM_PARAM_INVALID),
	RV(CKR_OBJECT_HANDLE_INVALID),
	RV(CKR_OPERATION_ACTIVE),
	RV(CKR_OPERATION_NOT_INITIALIZED),
	RV(CKR_PIN_INCORRECT),
	RV(CKR_PIN_INVALID),
	RV(CKR_PIN_LEN_RANGE),
	RV(CKR_PIN_EXPIRED),
	RV(CKR_PIN_LOCKED),
	RV(CKR_SESSION_CLOSED),
	RV(CKR_SESSION_COUNT),
	RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	RV(CKR_SESSION_READ_ONLY),
	RV(CKR_SESSION_EXISTS),
	RV(CKR_SESSION_READ_ONLY_EXISTS),
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
	RV(CKR_SIGNATURE_INVALID),
	RV(CKR_SIGNATURE_LEN_RANGE),
	RV(CKR_TEMPLATE_INCOMPLETE),
	RV(CKR_TEMPLATE_INCONSISTENT),
	RV(CKR_TOKEN_NOT_PRESENT),
	RV(CKR_TOKEN_NOT_RECOGNIZED),
	RV(CKR_TOKEN_WRITE_PROTECTED),
	RV(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	RV(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	RV(CKR_USER_ALREADY_LOGGED_IN),
	RV(CKR_USER_NOT_LOGGED_IN),
	RV(CKR_USER_PIN_NOT_INITIALIZED),
	RV(CKR_USER_TYPE_INVALID),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	RV(CKR_USER_TOO_MANY_TYPES),
	RV(CKR_WRAPPED_KEY_INVALID),
	RV(CKR_WRAPPED_KEY_LEN_RANGE),
	RV(CKR_WRAPPING_KEY_HANDLE_INVALID),
	RV(CKR_WRAPPING_KEY_SIZE_RANGE),
	RV(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	RV(CKR_RANDOM_SEED_NOT_SUPPORTED),
	RV(CKR_RANDOM_NO_RNG),
	RV(CKR_DOMAIN_PARAMS_INVALID),
	RV(CKR_CURVE_NOT_SUPPORTED),
	RV(CKR_BUFFER_TOO_SMALL),
	RV(CKR_SAVED_STATE_INVALID),
	RV(CKR_INFORMATION_SENSITIVE),
	RV(CKR_STATE_UNSAVEABLE),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	RV(CKR_MUTEX_BAD),
	RV(CKR_MUTEX_NOT_LOCKED),
	RV(CKR_NEW_PIN_MODE),
	RV(CKR_NEXT_OTP),
	RV(CKR_EXCEEDED_MAX_ITERATIONS),
	RV(CKR_FIPS_SELF_TEST_FAILED),
	RV(CKR_LIBRARY_LOAD_FAILED),
	RV(CKR_PIN_TOO_WEAK),
	RV(CKR_PUBLIC_KEY_INVALID),
	RV(CKR_FUNCTION_REJECTED),
};

const char *sigil_hsm_rv_name(CK_RV rv)
{
	size_t lo = 0, hi = sizeof(rv_names) / sizeof(rv_names[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rv_names[mid].rv == rv) {
			return rv_names[mid].name;
		}
		if (rv_names[mid].rv < rv) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return rv >= CKR_VENDOR_DEFINED ? "CKR_VENDOR_DEFINED" : "CKR_UNKNOWN";
}

int sigil_hsm_rv_error(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return SIGIL_EOK;
	case CKR_HOST_MEMORY:
		return SIGIL_ENOMEM;
	/* The login was refused or is missing: the operator must act on
	 * the PIN (or the SO unlock it), retrying cannot help. */
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
	case CKR_USER_PIN_NOT_INITIALIZED:
	case CKR_USER_NOT_LOGGED_IN:
		return SIGIL_EAUTH;
	/* The token, its device or our session is gone: the HSM is down
	 * (or was replugged) rather than refusing this one operation, which
	 * is what health checks and quarantine act on. */
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_SLOT_ID_INVALID:
		return SIGIL_EUNREACHABLE;
	default:
		return SIGIL_EHSM;
	}
}

void hsm_error(sigil_hsm_error_t *err, CK_RV rv, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL) {
		return;
	}
	err->rv = rv;
	va_start(ap, fmt);
	n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	/* A cut message (a long token list) must say so. */
	if (n >= (int)sizeof(err->message)) {
		memcpy(err->message + sizeof(err->message) - 4, "...", 4);
	}
}

/* The name, with the value when the name alone does not identify it. */
static void rv_text(char *buf, size_t len, CK_RV rv)
{
	const char *name = sigil_hsm_rv_name(rv);

	if (strcmp(name, "CKR_VENDOR_DEFINED") == 0 ||
	    strcmp(name, "CKR_UNKNOWN") == 0) {
		snprintf(buf, len, "%s (0x%08lx)", name, (unsigned long)rv);
	} else {
		snprintf(buf, len, "%s", name);
	}
}

int hsm_ck_error(sigil_hsm_error_t *err, const char *who, const char *function,
                 CK_RV rv)
{
	char text[64];

	rv_text(text, sizeof(text), rv);
	hsm_error(err, rv, "%s on %s: %s", function, who, text);
	return sigil_hsm_rv_error(rv);
}

int sigil_hsm_error_set(sigil_hsm_error_t *err, const sigil_hsm_t *hsm,
                        const char *function, CK_RV rv, const char *what)
{
	char text[64];

	if (what == NULL) {
		return hsm_ck_error(err, hsm->name, function, rv);
	}
	rv_text(text, sizeof(text), rv);
	hsm_error(err, rv, "%s on %s (%s): %s", function, hsm->name, what,
	          text);
	return sigil_hsm_rv_error(rv);
}

void hsm_text_copy(char *dst, const unsigned char *src, size_t len)
{
	size_t n = len;

	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0')) {
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		/* Labels come from the device; keep them from garbling a
		 * terminal or a log line. */
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	}
	dst[n] = '\0';
}

void hsm_token_fill(sigil_hsm_token_t *out, const CK_TOKEN_INFO *info)
{
	memset(out, 0, sizeof(*out));
	hsm_text_copy(out->label, info->label, sizeof(info->label));
	hsm_text_copy(out->serial, info->serialNumber,
	              sizeof(info->serialNumber));
	hsm_text_copy(out->manufacturer, info->manufacturerID,
	              sizeof(info->manufacturerID));
	hsm_text_copy(out->model, info->model, sizeof(info->model));
	snprintf(out->firmware, sizeof(out->firmware), "%u.%u",
	         info->firmwareVersion.major, info->firmwareVersion.minor);
	out->initialized = (info->flags & CKF_TOKEN_INITIALIZED) != 0;
	out->pin_count_low = (info->flags & CKF_USER_PIN_COUNT_LOW) != 0;
	out->pin_final_try = (info->flags & CKF_USER_PIN_FINAL_TRY) != 0;
	out->pin_locked = (info->flags & CKF_USER_PIN_LOCKED) != 0;
}
