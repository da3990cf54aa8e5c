/* faultp11: a fault-injecting PKCS#11 module.  TEST-ONLY: it is built by
 * the tests that use it (tests/scenario/fault.t) and is never installed,
 * packaged or linked into sigil.
 *
 * It forwards every PKCS#11 call to a real module (the path in the
 * environment variable SIGIL_FAULT_MODULE, default
 * /usr/lib/softhsm/libsofthsm2.so) and injects faults per token, chosen by
 * token label, as described by the text file named by SIGIL_FAULT_CONF.
 * The file is read again on every call that can be faulted, so a test can
 * change the faults while a process runs (write it atomically: a new file
 * renamed over the old one).  No variable, no file or an empty file: no
 * faults.  One fault per line; '#' starts a comment:
 *
 *   LABEL unreachable     the token looks removed: C_GetSlotList with
 *                         tokenPresent=TRUE omits its slot, C_GetSlotInfo
 *                         clears CKF_TOKEN_PRESENT, C_GetTokenInfo,
 *                         C_GetMechanismList/Info, C_InitToken and
 *                         C_OpenSession return CKR_TOKEN_NOT_PRESENT, and
 *                         every call on one of its sessions returns
 *                         CKR_DEVICE_REMOVED, except C_CloseSession and
 *                         C_CloseAllSessions, which are forwarded so that
 *                         sessions are not leaked.  Sessions (and the
 *                         login) survive underneath: when the fault is
 *                         removed they work again, like a network HSM
 *                         whose link came back.
 *   LABEL fail-unwrap     C_UnwrapKey returns CKR_DEVICE_ERROR (before
 *                         anything is forwarded: arguments are not looked
 *                         at).
 *   LABEL bad-signature   C_Sign and C_SignFinal succeed but one bit of the
 *                         signature (the lowest bit of its last byte) is
 *                         flipped.
 *   LABEL slow MS         C_Sign and C_SignFinal sleep MS milliseconds
 *                         first.
 *
 * LABEL is the token label without its blank padding (no white space in
 * it), or '*' for every token.  A token may have several faults (several
 * lines); for slow, the largest delay counts.  A line that cannot be
 * parsed is reported on stderr and makes every call that consults the
 * faults return CKR_GENERAL_ERROR until the file is fixed, so that a typo
 * cannot pass for "no fault".
 *
 * Sessions are mapped to slots when C_OpenSession returns them; slots are
 * mapped to labels with the real module's C_GetTokenInfo, cached per slot
 * and dropped when the fault file changes, at C_InitToken and C_Finalize.
 * The tables are protected by one mutex; the real module is never called
 * with it held.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define CONF_MAX 65536
#define RULES_MAX 128
#define LABEL_MAX 32

enum { F_UNREACHABLE = 1, F_FAIL_UNWRAP = 2, F_BAD_SIGNATURE = 4 };

struct rule {
	char label[LABEL_MAX + 1];
	unsigned flags;
	unsigned long slow_ms;
};

struct fault {
	unsigned flags;
	unsigned long slow_ms;
};

struct session_map {
	CK_SESSION_HANDLE session;
	CK_SLOT_ID slot;
};

struct label_map {
	CK_SLOT_ID slot;
	char label[LABEL_MAX + 1];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST *real; /* the real module's functions */
static char *conf_path;        /* SIGIL_FAULT_CONF, NULL when unset */

/* Under lock: */
static char *conf_text; /* content last parsed, NULL: no file */
static size_t conf_len;
static int conf_bad; /* the content has an error */
static struct rule rules[RULES_MAX];
static size_t nrules;
static unsigned long generation; /* bumped when the label cache is dropped */
static struct session_map *sessions;
static size_t nsessions, capsessions;
static struct label_map *labels;
static size_t nlabels, caplabels;

/* ---- fault file ---- */

/* Parses text (NUL-terminated) into rules; 0 or -1 after reporting the
 * first error on stderr.  Under lock. */
static int conf_parse(char *text)
{
	size_t line = 0;
	char *save = NULL;

	nrules = 0;
	for (char *p = text; p != NULL;) {
		char *next = strchr(p, '\n');
		char *word[4];
		size_t n = 0;
		struct rule *r;

		if (next != NULL) {
			*next++ = '\0';
		}
		line++;
		char *hash = strchr(p, '#');
		if (hash != NULL) {
			*hash = '\0';
		}
		for (char *w = strtok_r(p, " \t\r", &save); w != NULL;
		     w = strtok_r(NULL, " \t\r", &save)) {
			if (n == 4) {
				break;
			}
			word[n++] = w;
		}
		p = next;
		if (n == 0) {
			continue;
		}
		if (nrules == RULES_MAX) {
			fprintf(stderr,
			        "faultp11: %s:%zu: more than %d faults\n",
			        conf_path, line, RULES_MAX);
			return -1;
		}
		r = &rules[nrules];
		memset(r, 0, sizeof(*r));
		if (strlen(word[0]) > LABEL_MAX) {
			fprintf(stderr,
			        "faultp11: %s:%zu: label longer than %d "
			        "characters\n",
			        conf_path, line, LABEL_MAX);
			return -1;
		}
		strcpy(r->label, word[0]);
		if (n == 2 && strcmp(word[1], "unreachable") == 0) {
			r->flags = F_UNREACHABLE;
		} else if (n == 2 && strcmp(word[1], "fail-unwrap") == 0) {
			r->flags = F_FAIL_UNWRAP;
		} else if (n == 2 && strcmp(word[1], "bad-signature") == 0) {
			r->flags = F_BAD_SIGNATURE;
		} else if (n == 3 && strcmp(word[1], "slow") == 0) {
			char *end;
			errno = 0;
			r->slow_ms = strtoul(word[2], &end, 10);
			if (errno != 0 || *end != '\0' || word[2][0] == '-' ||
			    r->slow_ms > 3600000) {
				fprintf(stderr,
				        "faultp11: %s:%zu: bad delay '%s' "
				        "(milliseconds, at most 3600000)\n",
				        conf_path, line, word[2]);
				return -1;
			}
		} else {
			fprintf(stderr,
			        "faultp11: %s:%zu: cannot parse this "
			        "line (expected 'LABEL unreachable', 'LABEL "
			        "fail-unwrap', 'LABEL bad-signature' or 'LABEL "
			        "slow MS')\n",
			        conf_path, line);
			return -1;
		}
		nrules++;
	}
	return 0;
}

/* Reads the fault file again and, when its content changed, parses it and
 * drops the label cache.  Returns CKR_GENERAL_ERROR while the file has an
 * error. */
static CK_RV conf_refresh(void)
{
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	CK_RV rv = CKR_OK;

	if (conf_path != NULL) {
		fd = open(conf_path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0) {
		buf = malloc(CONF_MAX + 1);
		if (buf == NULL) {
			close(fd);
			return CKR_HOST_MEMORY;
		}
		for (;;) {
			ssize_t got = read(fd, buf + len, CONF_MAX - len);
			if (got < 0 && errno == EINTR) {
				continue;
			}
			if (got <= 0) {
				break;
			}
			len += (size_t)got;
			if (len == CONF_MAX) {
				break;
			}
		}
		close(fd);
		buf[len] = '\0';
	}

	pthread_mutex_lock(&lock);
	int same = (buf == NULL && conf_text == NULL) ||
	           (buf != NULL && conf_text != NULL && len == conf_len &&
	            memcmp(buf, conf_text, len) == 0);
	if (!same) {
		free(conf_text);
		conf_text = buf;
		conf_len = len;
		buf = NULL;
		conf_bad = 0;
		nrules = 0;
		if (conf_text != NULL) {
			char *copy = malloc(conf_len + 1);
			if (copy == NULL) {
				free(conf_text);
				conf_text = NULL;
				pthread_mutex_unlock(&lock);
				return CKR_HOST_MEMORY;
			}
			memcpy(copy, conf_text, conf_len + 1);
			if (conf_parse(copy) != 0) {
				conf_bad = 1;
				nrules = 0;
			}
			free(copy);
		}
		nlabels = 0;
		generation++;
	}
	if (conf_bad) {
		rv = CKR_GENERAL_ERROR;
	}
	pthread_mutex_unlock(&lock);
	free(buf);
	return rv;
}

/* ---- tables (all under lock) ---- */

static int session_find(CK_SESSION_HANDLE h, CK_SLOT_ID *slot)
{
	for (size_t i = 0; i < nsessions; i++) {
		if (sessions[i].session == h) {
			*slot = sessions[i].slot;
			return 1;
		}
	}
	return 0;
}

static void session_remove(CK_SESSION_HANDLE h)
{
	for (size_t i = 0; i < nsessions; i++) {
		if (sessions[i].session == h) {
			sessions[i] = sessions[--nsessions];
			return;
		}
	}
}

static CK_RV session_add(CK_SESSION_HANDLE h, CK_SLOT_ID slot)
{
	session_remove(h); /* a handle the module reuses */
	if (nsessions == capsessions) {
		size_t cap = capsessions ? capsessions * 2 : 16;
		struct session_map *s = realloc(sessions, cap * sizeof(*s));
		if (s == NULL) {
			return CKR_HOST_MEMORY;
		}
		sessions = s;
		capsessions = cap;
	}
	sessions[nsessions].session = h;
	sessions[nsessions].slot = slot;
	nsessions++;
	return CKR_OK;
}

static const char *label_find(CK_SLOT_ID slot)
{
	for (size_t i = 0; i < nlabels; i++) {
		if (labels[i].slot == slot) {
			return labels[i].label;
		}
	}
	return NULL;
}

static void label_add(CK_SLOT_ID slot, const char *label)
{
	if (label_find(slot) != NULL) {
		return;
	}
	if (nlabels == caplabels) {
		size_t cap = caplabels ? caplabels * 2 : 16;
		struct label_map *l = realloc(labels, cap * sizeof(*l));
		if (l == NULL) {
			return; /* not cached: asked again next time */
		}
		labels = l;
		caplabels = cap;
	}
	labels[nlabels].slot = slot;
	memcpy(labels[nlabels].label, label, LABEL_MAX + 1);
	nlabels++;
}

static void labels_drop(void)
{
	nlabels = 0;
	generation++;
}

/* ---- fault lookup ---- */

/* The faults of the token in slot.  CKR_OK, or CKR_GENERAL_ERROR when the
 * fault file has an error.  Call without the lock. */
static CK_RV slot_faults(CK_SLOT_ID slot, struct fault *f)
{
	char label[LABEL_MAX + 1];
	int have = 0;
	CK_RV rv;

	memset(f, 0, sizeof(*f));
	rv = conf_refresh();
	if (rv != CKR_OK) {
		return rv;
	}
	pthread_mutex_lock(&lock);
	if (nrules == 0) {
		pthread_mutex_unlock(&lock);
		return CKR_OK;
	}
	const char *cached = label_find(slot);
	if (cached != NULL) {
		memcpy(label, cached, sizeof(label));
		have = 1;
	}
	unsigned long gen = generation;
	pthread_mutex_unlock(&lock);

	if (!have) {
		/* Ask the real module, without the lock. */
		CK_TOKEN_INFO info;
		if (real->C_GetTokenInfo(slot, &info) != CKR_OK) {
			return CKR_OK; /* no token there: nothing to fault */
		}
		size_t n = LABEL_MAX;
		memcpy(label, info.label, LABEL_MAX);
		while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\0')) {
			n--;
		}
		label[n] = '\0';
	}

	pthread_mutex_lock(&lock);
	if (!have && gen == generation) {
		label_add(slot, label);
	}
	for (size_t i = 0; i < nrules; i++) {
		if (strcmp(rules[i].label, "*") != 0 &&
		    strcmp(rules[i].label, label) != 0) {
			continue;
		}
		f->flags |= rules[i].flags;
		if (rules[i].slow_ms > f->slow_ms) {
			f->slow_ms = rules[i].slow_ms;
		}
	}
	pthread_mutex_unlock(&lock);
	return CKR_OK;
}

/* The faults of the token a session was opened on; none for a session
 * this module did not open. */
static CK_RV session_faults(CK_SESSION_HANDLE h, struct fault *f)
{
	CK_SLOT_ID slot;
	int known;

	memset(f, 0, sizeof(*f));
	pthread_mutex_lock(&lock);
	known = session_find(h, &slot);
	pthread_mutex_unlock(&lock);
	if (!known) {
		return conf_refresh();
	}
	return slot_faults(slot, f);
}

/* CKR_OK when a session call may go on, else the fault's result. */
static CK_RV session_gate(CK_SESSION_HANDLE h, struct fault *f)
{
	CK_RV rv = session_faults(h, f);
	if (rv != CKR_OK) {
		return rv;
	}
	if (f->flags & F_UNREACHABLE) {
		return CKR_DEVICE_REMOVED;
	}
	return CKR_OK;
}

static CK_RV slot_gate(CK_SLOT_ID slot)
{
	struct fault f;
	CK_RV rv = slot_faults(slot, &f);
	if (rv != CKR_OK) {
		return rv;
	}
	if (f.flags & F_UNREACHABLE) {
		return CKR_TOKEN_NOT_PRESENT;
	}
	return CKR_OK;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
	                      (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* ---- general-purpose functions ---- */

static CK_FUNCTION_LIST fault_list;

static CK_RV f_Initialize(CK_VOID_PTR args)
{
	return real->C_Initialize(args);
}

static CK_RV f_Finalize(CK_VOID_PTR reserved)
{
	CK_RV rv = real->C_Finalize(reserved);
	if (rv == CKR_OK) {
		pthread_mutex_lock(&lock);
		nsessions = 0;
		labels_drop();
		pthread_mutex_unlock(&lock);
	}
	return rv;
}

static CK_RV f_GetInfo(CK_INFO_PTR info)
{
	return real->C_GetInfo(info);
}

static CK_RV f_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL) {
		return CKR_ARGUMENTS_BAD;
	}
	*list = &fault_list;
	return CKR_OK;
}

/* ---- slot and token management ---- */

static CK_RV f_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list,
                           CK_ULONG_PTR count)
{
	CK_SLOT_ID *all = NULL;
	CK_ULONG n = 0, kept = 0;
	CK_RV rv;
	int any;

	if (!present || count == NULL) {
		return real->C_GetSlotList(present, list, count);
	}
	rv = conf_refresh();
	if (rv != CKR_OK) {
		return rv;
	}
	pthread_mutex_lock(&lock);
	any = 0;
	for (size_t i = 0; i < nrules; i++) {
		any |= (rules[i].flags & F_UNREACHABLE) != 0;
	}
	pthread_mutex_unlock(&lock);
	if (!any) {
		return real->C_GetSlotList(present, list, count);
	}
	for (;;) {
		rv = real->C_GetSlotList(present, NULL, &n);
		if (rv != CKR_OK) {
			return rv;
		}
		CK_SLOT_ID *bigger = realloc(all, (n + 1) * sizeof(*all));
		if (bigger == NULL) {
			free(all);
			return CKR_HOST_MEMORY;
		}
		all = bigger;
		rv = real->C_GetSlotList(present, all, &n);
		if (rv == CKR_OK) {
			break;
		}
		if (rv != CKR_BUFFER_TOO_SMALL) {
			free(all);
			return rv;
		}
	}
	for (CK_ULONG i = 0; i < n; i++) {
		struct fault f;
		rv = slot_faults(all[i], &f);
		if (rv != CKR_OK) {
			free(all);
			return rv;
		}
		if (!(f.flags & F_UNREACHABLE)) {
			all[kept++] = all[i];
		}
	}
	rv = CKR_OK;
	if (list != NULL) {
		if (*count < kept) {
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(list, all, kept * sizeof(*all));
		}
	}
	*count = kept;
	free(all);
	return rv;
}

static CK_RV f_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	struct fault f;
	CK_RV rv = slot_faults(slot, &f);
	if (rv != CKR_OK) {
		return rv;
	}
	rv = real->C_GetSlotInfo(slot, info);
	if (rv == CKR_OK && info != NULL && (f.flags & F_UNREACHABLE)) {
		info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
	}
	return rv;
}

static CK_RV f_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = slot_gate(slot);
	return rv != CKR_OK ? rv : real->C_GetTokenInfo(slot, info);
}

static CK_RV f_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                CK_ULONG_PTR count)
{
	CK_RV rv = slot_gate(slot);
	return rv != CKR_OK ? rv : real->C_GetMechanismList(slot, list, count);
}

static CK_RV f_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                CK_MECHANISM_INFO_PTR info)
{
	CK_RV rv = slot_gate(slot);
	return rv != CKR_OK ? rv : real->C_GetMechanismInfo(slot, type, info);
}

static CK_RV f_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len,
                         CK_UTF8CHAR_PTR label)
{
	CK_RV rv = slot_gate(slot);
	if (rv != CKR_OK) {
		return rv;
	}
	rv = real->C_InitToken(slot, pin, len, label);
	pthread_mutex_lock(&lock);
	labels_drop(); /* the label, and SoftHSM's slot IDs, may change */
	pthread_mutex_unlock(&lock);
	return rv;
}

static CK_RV f_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot,
                                CK_VOID_PTR reserved)
{
	return real->C_WaitForSlotEvent(flags, slot, reserved);
}

/* ---- sessions ---- */

static CK_RV f_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app,
                           CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session)
{
	CK_RV rv = slot_gate(slot);
	if (rv != CKR_OK) {
		return rv;
	}
	rv = real->C_OpenSession(slot, flags, app, notify, session);
	if (rv == CKR_OK && session != NULL) {
		pthread_mutex_lock(&lock);
		CK_RV add = session_add(*session, slot);
		pthread_mutex_unlock(&lock);
		if (add != CKR_OK) {
			real->C_CloseSession(*session);
			return add;
		}
	}
	return rv;
}

static CK_RV f_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv = real->C_CloseSession(h);
	if (rv == CKR_OK || rv == CKR_SESSION_HANDLE_INVALID ||
	    rv == CKR_SESSION_CLOSED) {
		pthread_mutex_lock(&lock);
		session_remove(h);
		pthread_mutex_unlock(&lock);
	}
	return rv;
}

static CK_RV f_CloseAllSessions(CK_SLOT_ID slot)
{
	CK_RV rv = real->C_CloseAllSessions(slot);
	if (rv == CKR_OK) {
		pthread_mutex_lock(&lock);
		for (size_t i = 0; i < nsessions;) {
			if (sessions[i].slot == slot) {
				sessions[i] = sessions[--nsessions];
			} else {
				i++;
			}
		}
		pthread_mutex_unlock(&lock);
	}
	return rv;
}

/* Session calls whose only fault is "unreachable". */
#define GATED(name, params, args)                                              \
	static CK_RV f_##name params                                           \
	{                                                                      \
		struct fault f;                                                \
		CK_RV rv = session_gate(session, &f);                          \
		return rv != CKR_OK ? rv : real->C_##name args;                \
	}

GATED(InitPIN, (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG len),
      (session, pin, len))
GATED(SetPIN,
      (CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR old, CK_ULONG oldlen,
       CK_UTF8CHAR_PTR new_pin, CK_ULONG newlen),
      (session, old, oldlen, new_pin, newlen))
GATED(GetSessionInfo, (CK_SESSION_HANDLE session, CK_SESSION_INFO_PTR info),
      (session, info))
GATED(GetOperationState,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG_PTR len),
      (session, state, len))
GATED(SetOperationState,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR state, CK_ULONG len,
       CK_OBJECT_HANDLE enc, CK_OBJECT_HANDLE auth),
      (session, state, len, enc, auth))
GATED(Login,
      (CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
       CK_ULONG len),
      (session, user, pin, len))
GATED(Logout, (CK_SESSION_HANDLE session), (session))

/* ---- objects ---- */

GATED(CreateObject,
      (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR t, CK_ULONG n,
       CK_OBJECT_HANDLE_PTR obj),
      (session, t, n, obj))
GATED(CopyObject,
      (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t,
       CK_ULONG n, CK_OBJECT_HANDLE_PTR out),
      (session, obj, t, n, out))
GATED(DestroyObject, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE obj),
      (session, obj))
GATED(GetObjectSize,
      (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE obj, CK_ULONG_PTR size),
      (session, obj, size))
GATED(GetAttributeValue,
      (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t,
       CK_ULONG n),
      (session, obj, t, n))
GATED(SetAttributeValue,
      (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t,
       CK_ULONG n),
      (session, obj, t, n))
GATED(FindObjectsInit,
      (CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR t, CK_ULONG n),
      (session, t, n))
GATED(FindObjects,
      (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR obj, CK_ULONG max,
       CK_ULONG_PTR n),
      (session, obj, max, n))
GATED(FindObjectsFinal, (CK_SESSION_HANDLE session), (session))

/* ---- encryption, decryption, digests ---- */

GATED(EncryptInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(Encrypt,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(EncryptUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(EncryptFinal,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, out, outlen))
GATED(DecryptInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(Decrypt,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(DecryptUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(DecryptFinal,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, out, outlen))
GATED(DigestInit, (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m), (session, m))
GATED(Digest,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(DigestUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen),
      (session, in, inlen))
GATED(DigestKey, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key),
      (session, key))
GATED(DigestFinal,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, out, outlen))

/* ---- signatures ---- */

GATED(SignInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(SignUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen),
      (session, in, inlen))
GATED(SignRecoverInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(SignRecover,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(VerifyInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(Verify,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR sig, CK_ULONG siglen),
      (session, in, inlen, sig, siglen))
GATED(VerifyUpdate, (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen),
      (session, in, inlen))
GATED(VerifyFinal,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG siglen),
      (session, sig, siglen))
GATED(VerifyRecoverInit,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),
      (session, m, key))
GATED(VerifyRecover,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR sig, CK_ULONG siglen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, sig, siglen, out, outlen))

/* For "bad-signature": flips a bit once the real module produced a
 * signature (not when it only reported the length). */
static CK_RV signed_output(CK_BYTE_PTR sig, CK_ULONG_PTR siglen, CK_RV rv,
                           const struct fault *f)
{
	if (rv == CKR_OK && sig != NULL && siglen != NULL && *siglen > 0 &&
	    (f->flags & F_BAD_SIGNATURE)) {
		sig[*siglen - 1] ^= 0x01;
	}
	return rv;
}

static CK_RV f_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
                    CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	struct fault f;
	CK_RV rv = session_gate(session, &f);
	if (rv != CKR_OK) {
		return rv;
	}
	if (f.slow_ms > 0) {
		sleep_ms(f.slow_ms);
	}
	rv = real->C_Sign(session, in, inlen, sig, siglen);
	return signed_output(sig, siglen, rv, &f);
}

static CK_RV f_SignFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR sig,
                         CK_ULONG_PTR siglen)
{
	struct fault f;
	CK_RV rv = session_gate(session, &f);
	if (rv != CKR_OK) {
		return rv;
	}
	if (f.slow_ms > 0) {
		sleep_ms(f.slow_ms);
	}
	rv = real->C_SignFinal(session, sig, siglen);
	return signed_output(sig, siglen, rv, &f);
}

/* ---- dual-function operations ---- */

GATED(DigestEncryptUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(DecryptDigestUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(SignEncryptUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))
GATED(DecryptVerifyUpdate,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR in, CK_ULONG inlen,
       CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, in, inlen, out, outlen))

/* ---- keys ---- */

GATED(GenerateKey,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
       CK_ULONG n, CK_OBJECT_HANDLE_PTR key),
      (session, m, t, n, key))
GATED(GenerateKeyPair,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pubt,
       CK_ULONG pubn, CK_ATTRIBUTE_PTR privt, CK_ULONG privn,
       CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv),
      (session, m, pubt, pubn, privt, privn, pub, priv))
GATED(WrapKey,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
       CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR outlen),
      (session, m, wrapping, key, out, outlen))
GATED(DeriveKey,
      (CK_SESSION_HANDLE session, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
       CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR key),
      (session, m, base, t, n, key))

static CK_RV f_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR m,
                         CK_OBJECT_HANDLE unwrapping, CK_BYTE_PTR blob,
                         CK_ULONG bloblen, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                         CK_OBJECT_HANDLE_PTR key)
{
	struct fault f;
	CK_RV rv = session_gate(session, &f);
	if (rv != CKR_OK) {
		return rv;
	}
	if (f.flags & F_FAIL_UNWRAP) {
		return CKR_DEVICE_ERROR;
	}
	return real->C_UnwrapKey(session, m, unwrapping, blob, bloblen, t, n,
	                         key);
}

/* ---- random numbers, parallel functions ---- */

GATED(SeedRandom, (CK_SESSION_HANDLE session, CK_BYTE_PTR seed, CK_ULONG len),
      (session, seed, len))
GATED(GenerateRandom,
      (CK_SESSION_HANDLE session, CK_BYTE_PTR out, CK_ULONG len),
      (session, out, len))
GATED(GetFunctionStatus, (CK_SESSION_HANDLE session), (session))
GATED(CancelFunction, (CK_SESSION_HANDLE session), (session))

static CK_FUNCTION_LIST fault_list = {
	.version = {2, 40},
	.C_Initialize = f_Initialize,
	.C_Finalize = f_Finalize,
	.C_GetInfo = f_GetInfo,
	.C_GetFunctionList = f_GetFunctionList,
	.C_GetSlotList = f_GetSlotList,
	.C_GetSlotInfo = f_GetSlotInfo,
	.C_GetTokenInfo = f_GetTokenInfo,
	.C_GetMechanismList = f_GetMechanismList,
	.C_GetMechanismInfo = f_GetMechanismInfo,
	.C_InitToken = f_InitToken,
	.C_InitPIN = f_InitPIN,
	.C_SetPIN = f_SetPIN,
	.C_OpenSession = f_OpenSession,
	.C_CloseSession = f_CloseSession,
	.C_CloseAllSessions = f_CloseAllSessions,
	.C_GetSessionInfo = f_GetSessionInfo,
	.C_GetOperationState = f_GetOperationState,
	.C_SetOperationState = f_SetOperationState,
	.C_Login = f_Login,
	.C_Logout = f_Logout,
	.C_CreateObject = f_CreateObject,
	.C_CopyObject = f_CopyObject,
	.C_DestroyObject = f_DestroyObject,
	.C_GetObjectSize = f_GetObjectSize,
	.C_GetAttributeValue = f_GetAttributeValue,
	.C_SetAttributeValue = f_SetAttributeValue,
	.C_FindObjectsInit = f_FindObjectsInit,
	.C_FindObjects = f_FindObjects,
	.C_FindObjectsFinal = f_FindObjectsFinal,
	.C_EncryptInit = f_EncryptInit,
	.C_Encrypt = f_Encrypt,
	.C_EncryptUpdate = f_EncryptUpdate,
	.C_EncryptFinal = f_EncryptFinal,
	.C_DecryptInit = f_DecryptInit,
	.C_Decrypt = f_Decrypt,
	.C_DecryptUpdate = f_DecryptUpdate,
	.C_DecryptFinal = f_DecryptFinal,
	.C_DigestInit = f_DigestInit,
	.C_Digest = f_Digest,
	.C_DigestUpdate = f_DigestUpdate,
	.C_DigestKey = f_DigestKey,
	.C_DigestFinal = f_DigestFinal,
	.C_SignInit = f_SignInit,
	.C_Sign = f_Sign,
	.C_SignUpdate = f_SignUpdate,
	.C_SignFinal = f_SignFinal,
	.C_SignRecoverInit = f_SignRecoverInit,
	.C_SignRecover = f_SignRecover,
	.C_VerifyInit = f_VerifyInit,
	.C_Verify = f_Verify,
	.C_VerifyUpdate = f_VerifyUpdate,
	.C_VerifyFinal = f_VerifyFinal,
	.C_VerifyRecoverInit = f_VerifyRecoverInit,
	.C_VerifyRecover = f_VerifyRecover,
	.C_DigestEncryptUpdate = f_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = f_DecryptDigestUpdate,
	.C_SignEncryptUpdate = f_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = f_DecryptVerifyUpdate,
	.C_GenerateKey = f_GenerateKey,
	.C_GenerateKeyPair = f_GenerateKeyPair,
	.C_WrapKey = f_WrapKey,
	.C_UnwrapKey = f_UnwrapKey,
	.C_DeriveKey = f_DeriveKey,
	.C_SeedRandom = f_SeedRandom,
	.C_GenerateRandom = f_GenerateRandom,
	.C_GetFunctionStatus = f_GetFunctionStatus,
	.C_CancelFunction = f_CancelFunction,
	.C_WaitForSlotEvent = f_WaitForSlotEvent,
};

/* The module's entry point: loads the real module on first use. */
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_RV rv = CKR_OK;

	if (list == NULL) {
		return CKR_ARGUMENTS_BAD;
	}
	pthread_mutex_lock(&lock);
	if (real == NULL) {
		const char *path = getenv("SIGIL_FAULT_MODULE");
		const char *conf = getenv("SIGIL_FAULT_CONF");
		CK_C_GetFunctionList get;
		CK_FUNCTION_LIST *fl = NULL;
		void *h;

		if (path == NULL || path[0] == '\0') {
			path = DEFAULT_MODULE;
		}
		if (conf != NULL && conf[0] != '\0' && conf_path == NULL) {
			conf_path = strdup(conf);
			if (conf_path == NULL) {
				rv = CKR_HOST_MEMORY;
				goto out;
			}
		}
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (h == NULL) {
			fprintf(stderr, "faultp11: cannot load %s: %s\n", path,
			        dlerror());
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		*(void **)(&get) = dlsym(h, "C_GetFunctionList");
		if (get == NULL) {
			fprintf(stderr,
			        "faultp11: %s has no C_GetFunctionList\n",
			        path);
			dlclose(h);
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		rv = get(&fl);
		if (rv != CKR_OK || fl == NULL) {
			fprintf(stderr,
			        "faultp11: C_GetFunctionList of %s "
			        "failed\n",
			        path);
			dlclose(h);
			rv = rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
			goto out;
		}
		real = fl; /* the real module stays loaded until exit */
	}
	*list = &fault_list;
out:
	pthread_mutex_unlock(&lock);
	return rv;
}
