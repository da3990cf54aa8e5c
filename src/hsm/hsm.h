/* HSM access through PKCS#11: one sigil_hsm_t per configured HSM.
 *
 * An HSM is one token, selected by an RFC 7512 PKCS#11 URI inside one
 * PKCS#11 module.  Each has an operator-chosen name (used in every error
 * message) and a site (the data centre it stands in).  Several HSMs may
 * share a module: the module is loaded and initialised once, through
 * p11-kit's managed loading, and finalised when the last HSM using it is
 * closed.  Other components of the process may load the same module
 * through p11-kit without disturbing sigil, and the other way round.
 *
 * Token selection never relies on slot IDs, which change between runs and
 * whenever a token is initialised: the URI names the token by label and,
 * where labels repeat (duplicate labels are legal), by serial.  A URI that
 * matches several tokens is an error, never "the first one".
 *
 * The PIN comes from a file (its first line) or an environment variable,
 * never from argv; it is kept only until C_Login and appears in no message.
 * The login lasts as long as the sigil_hsm_t: a session opened at
 * sigil_hsm_open() stays open until sigil_hsm_close(), because closing the
 * last session of a token logs the process out (and invalidates object
 * handles).  Login is per token per process, so a second sigil_hsm_t on a
 * token that is already logged in does not check its PIN again.
 *
 * Threads: sigil_hsm_open() and sigil_hsm_close() may be called from any
 * thread; an open HSM may be used by any number of threads at once, each
 * with its own session (sigil_hsm_session()), but not while or after it is
 * closed.
 *
 * Not fork-safe: PKCS#11 sessions and module state do not survive fork().
 * In a child process an HSM opened by the parent only reports an error
 * (SIGIL_EHSM) and sigil_hsm_close() there releases memory only; a module
 * the parent loaded is never reused by the child.  A process that forks
 * workers should open its HSMs after forking, in each worker (or exec).
 */
#ifndef SIGIL_HSM_HSM_H
#define SIGIL_HSM_HSM_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

typedef struct sigil_hsm sigil_hsm_t;

/* What the configuration says about one HSM.  Strings are copied. */
typedef struct {
	const char *name;     /* required: operator's name, in all messages */
	const char *site;     /* data centre; NULL or "" when not grouped */
	const char *module;   /* required: path of the PKCS#11 module */
	const char *uri;      /* required: "pkcs11:token=...;serial=..." */
	const char *pin_file; /* exactly one of pin_file and pin_env */
	const char *pin_env;  /* name of the environment variable */
} sigil_hsm_conf_t;

/* Why an HSM function failed, for operators: names the PKCS#11 function,
 * the HSM and the CKR_ code ("C_Login on hsm2: CKR_PIN_INCORRECT"), or the
 * file, URI or token list involved.  Never contains a PIN. */
typedef struct {
	CK_RV rv; /* PKCS#11 result behind the error; CKR_OK when none */
	char message[512];
} sigil_hsm_error_t;

/* Token information for operators: blank-padded PKCS#11 fields as
 * trimmed C strings (control characters replaced by '?'). */
typedef struct {
	char label[33];
	char serial[17];
	char manufacturer[33];
	char model[17];
	char firmware[8]; /* "major.minor" */
	bool initialized; /* CKF_TOKEN_INITIALIZED; others cannot be opened */
	bool logged_in;   /* this process: set by sigil_hsm_token_info() only */
	bool pin_count_low; /* a wrong user PIN was entered lately */
	bool pin_final_try; /* one more wrong PIN locks the token */
	bool pin_locked;    /* user PIN locked: only the SO can unlock it */
} sigil_hsm_token_t;

/* Bits of sigil_hsm_warnings(): conditions an operator should fix that do
 * not prevent use. */
#define SIGIL_HSM_WARN_PIN_FILE_GROUP 0x1u /* PIN file accessible to group */

/* Opens the HSM conf describes: loads its module (or shares the loaded
 * one), selects exactly one initialised token matching conf->uri, reads
 * the PIN and logs in as CKU_USER.  Returns SIGIL_EOK and the HSM in *out,
 * or, with *out NULL and err filled:
 *   SIGIL_ECONFIG     missing or contradictory settings, a URI that is not
 *                     a token URI (slot-id, object attributes, pin-value),
 *                     an empty or unset PIN, a PIN file others can read;
 *   SIGIL_EIO         the PIN file cannot be read;
 *   SIGIL_ENOTFOUND   no initialised token matches the URI (err lists the
 *                     tokens present);
 *   SIGIL_EAMBIGUOUS  several tokens match (err lists their labels and
 *                     serials: add serial= to the URI);
 *   SIGIL_EAUTH       the login was refused (wrong PIN, PIN locked);
 *   SIGIL_EUNREACHABLE, SIGIL_EHSM, SIGIL_ENOMEM. */
int sigil_hsm_open(const sigil_hsm_conf_t *conf, sigil_hsm_t **out,
                   sigil_hsm_error_t *err);

/* Closes every session of the HSM (those of all threads) and releases its
 * module when no other HSM uses it.  NULL is ignored. */
void sigil_hsm_close(sigil_hsm_t *hsm);

const char *sigil_hsm_name(const sigil_hsm_t *hsm);
/* "" when the configuration gave no site. */
const char *sigil_hsm_site(const sigil_hsm_t *hsm);
/* SIGIL_HSM_WARN_* bits found while opening. */
unsigned sigil_hsm_warnings(const sigil_hsm_t *hsm);

/* The module's function list, shared by all HSMs of the module: call
 * PKCS#11 functions through it with a session from sigil_hsm_session(). */
CK_FUNCTION_LIST *sigil_hsm_functions(const sigil_hsm_t *hsm);

/* The token's slot in this process (for C_GetMechanismInfo and the like).
 * Valid only until the module is finalised: never store or print it as
 * a way to find the token again. */
CK_SLOT_ID sigil_hsm_slot(const sigil_hsm_t *hsm);

/* Current token information, including the login state.  SIGIL_EOK,
 * SIGIL_EUNREACHABLE, SIGIL_EHSM. */
int sigil_hsm_token_info(const sigil_hsm_t *hsm, sigil_hsm_token_t *out,
                         sigil_hsm_error_t *err);

/* The calling thread's read-write session on the HSM's token, opened on
 * first use and then returned every time, so that a thread never shares a
 * session (PKCS#11 operations are per session).  It stays open until the
 * HSM is closed or the thread exits; the caller must not close it.
 * SIGIL_EOK, or the mapped C_OpenSession error, SIGIL_ENOMEM, or SIGIL_EHSM
 * in a child process after fork. */
int sigil_hsm_session(sigil_hsm_t *hsm, CK_SESSION_HANDLE *out,
                      sigil_hsm_error_t *err);

/* Lists the tokens present in a module (initialised or not), in slot
 * order, for operators and test beds.  The caller frees *tokens with
 * free(); *count may be 0 (then *tokens is NULL).  Loads the module for the
 * call when no HSM holds it.  Errors name the module path. */
int sigil_hsm_list_tokens(const char *module, sigil_hsm_token_t **tokens,
                          size_t *count, sigil_hsm_error_t *err);

/* Initialises a new token in module: the first slot with an uninitialised
 * token (SoftHSM2 always has one) gets C_InitToken with label and so_pin,
 * then, logged in as security officer, C_InitPIN with user_pin.  For test
 * beds and first setup: the PINs come from the caller, never from argv,
 * and appear in no message.  Fills *out with the token information read
 * back (the serial is the token's choice).  SIGIL_EOK; SIGIL_ECONFIG for a
 * label longer than 32 bytes; SIGIL_ENOTFOUND when no token is free;
 * otherwise the mapped PKCS#11 error, err naming the function and label. */
int sigil_hsm_token_init(const char *module, const char *label,
                         const char *so_pin, const char *user_pin,
                         sigil_hsm_token_t *out, sigil_hsm_error_t *err);

/* The sigil error for a PKCS#11 result: SIGIL_EOK for CKR_OK; SIGIL_EAUTH
 * for a refused or missing login (wrong, locked, expired PIN; not logged
 * in); SIGIL_EUNREACHABLE when the token, device or session went away;
 * SIGIL_ENOMEM for CKR_HOST_MEMORY; SIGIL_EHSM for anything else. */
int sigil_hsm_rv_error(CK_RV rv);

/* "CKR_PIN_INCORRECT" for CKR_PIN_INCORRECT; "CKR_VENDOR_DEFINED" for
 * vendor codes and "CKR_UNKNOWN" for codes PKCS#11 does not define. */
const char *sigil_hsm_rv_name(CK_RV rv);

/* Fills err (may be NULL) for a failed PKCS#11 call on hsm: "FUNCTION on
 * NAME: CKR_X", or "FUNCTION on NAME (WHAT): CKR_X" when what is not NULL
 * (e.g. "key 33834"), and returns sigil_hsm_rv_error(rv).  For the layers
 * above that call PKCS#11 functions themselves. */
int sigil_hsm_error_set(sigil_hsm_error_t *err, const sigil_hsm_t *hsm,
                        const char *function, CK_RV rv, const char *what);

/* Finds the objects matching tmpl (n attributes) on the calling thread's
 * session: up to max handles in out, their number in *count.  what names
 * the objects in error messages. */
int sigil_hsm_objects_find(sigil_hsm_t *hsm, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                           CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count,
                           const char *what, sigil_hsm_error_t *err);

/* Destroys *obj when it is set and clears it: CKR_OK, or why the object
 * could not be destroyed (it may then remain on the token). */
CK_RV sigil_hsm_object_destroy(sigil_hsm_t *hsm, CK_OBJECT_HANDLE *obj);

/* ---------------------------------------------------------------------
 * Enrollment (src/hsm/enroll.c): one AES-256 key-encryption key (KEK)
 * shared by every HSM of a configuration, for replicating signing keys by
 * wrap/unwrap.  The KEK never exists in host memory in clear: it is
 * generated in one HSM and moved to each other HSM wrapped (RSA-OAEP with
 * SHA-1, the parameters SoftHSM2 accepts) under an RSA-2048 transport key
 * pair generated in the target HSM for that one transfer.  Copies are
 * compared by key check value (KCV: the first 3 bytes of the AES
 * encryption of a zero block under the KEK).
 * --------------------------------------------------------------------- */

#include <stdint.h>

#define SIGIL_HSM_KEK_LABEL "sigil-kek"
#define SIGIL_HSM_KEK_ID "sigil-kek-1"

/* What enrollment did on one HSM. */
typedef enum {
	SIGIL_HSM_KEK_PRESENT = 0, /* it already held the KEK */
	SIGIL_HSM_KEK_CREATED,     /* the KEK was generated there */
	SIGIL_HSM_KEK_COPIED,      /* the KEK was copied there */
	SIGIL_HSM_KEK_LEFT, /* failure: made there, could not be destroyed */
} sigil_hsm_kek_state_t;

typedef struct {
	sigil_hsm_kek_state_t state;
	uint8_t kcv[3];
} sigil_hsm_enroll_result_t;

/* Whether hsm holds the KEK (one secret key labelled SIGIL_HSM_KEK_LABEL)
 * and, if so, its KCV.  SIGIL_EOK (*present false, kcv zero when absent);
 * SIGIL_EAMBIGUOUS when the token holds several (err says how many); the
 * mapped PKCS#11 error otherwise, err naming the function and HSM. */
int sigil_hsm_kek_check(sigil_hsm_t *hsm, uint8_t kcv[3], bool *present,
                        sigil_hsm_error_t *err);

/* Makes every one of the n open HSMs hold the same KEK: generated in
 * hsms[0] when none holds one, else copied from the first HSM that does to
 * those that do not.  res (n entries) says per HSM what was done and its
 * KCV; all entries SIGIL_HSM_KEK_PRESENT means "already enrolled".
 * All or nothing: on failure every KEK object created by this call is
 * destroyed again; should that fail too, res[i].state is
 * SIGIL_HSM_KEK_LEFT for that HSM and err says so (res is not meaningful
 * otherwise after a failure).  Refuses, without changing anything, when
 * an HSM holds several KEKs or HSMs hold KEKs with different KCVs
 * (SIGIL_EAMBIGUOUS, err naming the HSMs).  Other errors: SIGIL_EINVAL
 * (n is 0), SIGIL_ECONFIG (two of the HSMs are the same token),
 * SIGIL_ENOMEM, SIGIL_ECRYPTO (a copy's KCV differs), the mapped PKCS#11
 * errors. */
int sigil_hsm_enroll(sigil_hsm_t **hsms, size_t n,
                     sigil_hsm_enroll_result_t *res, sigil_hsm_error_t *err);

#endif
