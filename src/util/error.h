/* sigil: one error space for the whole library.
 *
 * Every library function that can fail returns an int: SIGIL_EOK (0) or one
 * of the negative codes below.  Foreign codes (OpenSSL, libzscanner, SQLite,
 * PKCS#11 CK_RV) are mapped to these at the boundary where they occur.
 * Validation findings (a bad signature, a broken chain) are not errors: they
 * are reported through verify/verdict.h.
 */
#ifndef SIGIL_UTIL_ERROR_H
#define SIGIL_UTIL_ERROR_H

enum sigil_error {
	SIGIL_EOK = 0,
	SIGIL_ENOMEM = -1,        /* allocation failed */
	SIGIL_EINVAL = -2,        /* invalid argument (a caller bug) */
	SIGIL_EIO = -3,           /* reading or writing a file failed */
	SIGIL_ESYNTAX = -4,       /* zone file syntax error */
	SIGIL_EMALFORMED = -5,    /* malformed wire data (RDATA, name) */
	SIGIL_EALGORITHM = -6,    /* DNSSEC algorithm not supported */
	SIGIL_EBADSIG = -7,       /* signature does not verify */
	SIGIL_ECRYPTO = -8,       /* crypto library failure */
	SIGIL_ESPACE = -9,        /* output buffer too small */
	SIGIL_ENOTFOUND = -10,    /* no such item */
	SIGIL_EOUTOFZONE = -11,   /* record outside the zone */
	SIGIL_ENOSOA = -12,       /* zone has no SOA at its apex */
	SIGIL_ETHREAD = -13,      /* thread creation failed */
	SIGIL_ERANGE = -14,       /* value out of range */
	SIGIL_EDIGEST = -15,      /* digest type not supported */
	SIGIL_ELIMIT = -16,       /* a size limit was exceeded */
	SIGIL_ECONFIG = -17,      /* configuration error */
	SIGIL_EHSM = -18,         /* a PKCS#11 operation failed */
	SIGIL_EAUTH = -19,        /* login refused (wrong PIN, locked) */
	SIGIL_EAMBIGUOUS = -20,   /* several objects match where one must */
	SIGIL_EDB = -21,          /* key database failure */
	SIGIL_EUNREACHABLE = -22, /* HSM or token not present */
};

/* Static English message for an error code; never NULL. */
const char *sigil_strerror(int code);

#endif
