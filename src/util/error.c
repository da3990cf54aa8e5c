#include "util/error.h"

static const struct {
	int code;
	const char *msg;
} messages[] = {
	{SIGIL_EOK, "success"},
	{SIGIL_ENOMEM, "out of memory"},
	{SIGIL_EINVAL, "invalid argument"},
	{SIGIL_EIO, "input/output error"},
	{SIGIL_ESYNTAX, "syntax error"},
	{SIGIL_EMALFORMED, "malformed data"},
	{SIGIL_EALGORITHM, "unsupported algorithm"},
	{SIGIL_EBADSIG, "signature does not verify"},
	{SIGIL_ECRYPTO, "cryptographic library failure"},
	{SIGIL_ESPACE, "buffer too small"},
	{SIGIL_ENOTFOUND, "not found"},
	{SIGIL_EOUTOFZONE, "record outside the zone"},
	{SIGIL_ENOSOA, "no SOA record at the zone apex"},
	{SIGIL_ETHREAD, "cannot start a thread"},
	{SIGIL_ERANGE, "value out of range"},
	{SIGIL_EDIGEST, "unsupported digest type"},
	{SIGIL_ELIMIT, "size limit exceeded"},
	{SIGIL_ECONFIG, "configuration error"},
	{SIGIL_EHSM, "HSM operation failed"},
	{SIGIL_EAUTH, "HSM login refused"},
	{SIGIL_EAMBIGUOUS, "more than one match"},
	{SIGIL_EDB, "key database error"},
	{SIGIL_EUNREACHABLE, "HSM not reachable"},
};

const char *sigil_strerror(int code)
{
	for (unsigned i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		if (messages[i].code == code) {
			return messages[i].msg;
		}
	}
	return "unknown error";
}
