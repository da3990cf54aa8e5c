/* HSM layer against a SoftHSM2 test bed made here: three tokens, two of
 * them with the same label.  Token selection by URI (ambiguity, serials),
 * PINs from files and the environment, login errors, the shared module,
 * per-thread sessions, close, fork, and the CK_RV table. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "lib/tap.h"
#include "util/error.h"

extern char **environ;

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define SO_PIN "so-87654321"
#define PIN_HSM1 "pin-hsm1-1111"
#define PIN_DUPA "pin-dupa-2222"
#define PIN_DUPB "pin-dupb-3333"
#define WRONG_PIN "wrong-pin-9999"

static char dir[64];
static char serial_hsm1[17], serial_dupa[17], serial_dupb[17];

#define like(str, sub, ...)                                                    \
	do {                                                                   \
		const char *s_ = (str);                                        \
		if (!ok(strstr(s_, (sub)) != NULL, __VA_ARGS__)) {             \
			printf("#   '%s'\n#   does not contain '%s'\n", s_,    \
			       (sub));                                         \
		}                                                              \
	} while (0)

#define unlike(str, sub, ...)                                                  \
	do {                                                                   \
		const char *s_ = (str);                                        \
		if (!ok(strstr(s_, (sub)) == NULL, __VA_ARGS__)) {             \
			printf("#   '%s'\n#   contains '%s'\n", s_, (sub));    \
		}                                                              \
	} while (0)

/* Runs argv (searched in PATH) with stdout discarded; true on exit 0. */
static bool run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	bool done = false;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0 &&
	    waitpid(pid, &status, 0) == pid) {
		done = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	return done;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path != NULL && *path != '\0') {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0) {
			return true;
		}
		path += n;
		if (*path == ':') {
			path++;
		}
	}
	return false;
}

static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	const char *path = path_in(name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		abort();
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool init_token(const char *label, const char *pin)
{
	char *argv[] = {"softhsm2-util", "--init-token",
	                "--free",        "--label",
	                (char *)label,   "--so-pin",
	                SO_PIN,          "--pin",
	                (char *)pin,     NULL};

	return run(argv);
}

/* Serial of the one token labelled label not yet in known (NULL-ended). */
static bool new_serial(const char *label, char *out, const char *const *known)
{
	sigil_hsm_token_t *t = NULL;
	sigil_hsm_error_t err;
	size_t n = 0;
	bool found = false;

	if (sigil_hsm_list_tokens(MODULE, &t, &n, &err) != SIGIL_EOK) {
		diag("%s", err.message);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (const char *const *k = known; *k != NULL; k++) {
			seen |= strcmp(*k, t[i].serial) == 0;
		}
		if (t[i].initialized && !seen &&
		    strcmp(t[i].label, label) == 0) {
			snprintf(out, 17, "%s", t[i].serial);
			found = true;
		}
	}
	free(t);
	return found;
}

static bool setup(void)
{
	const char *none[] = {NULL};
	const char *one[] = {serial_dupa, NULL};
	char conf[512];

	snprintf(dir, sizeof(dir), "/tmp/sigil-hsm-test-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		return false;
	}
	if (mkdir(path_in("tokens"), 0700) != 0) {
		return false;
	}
	snprintf(conf, sizeof(conf),
	         "directories.tokendir = %s/tokens\n"
	         "objectstore.backend = file\n"
	         "log.level = ERROR\n",
	         dir);
	setenv("SOFTHSM2_CONF", write_file("softhsm2.conf", conf, 0600), 1);
	return init_token("hsm1", PIN_HSM1) &&
	       new_serial("hsm1", serial_hsm1, none) &&
	       init_token("dup", PIN_DUPA) &&
	       new_serial("dup", serial_dupa, none) &&
	       init_token("dup", PIN_DUPB) &&
	       new_serial("dup", serial_dupb, one);
}

static void test_list(void)
{
	sigil_hsm_token_t *t = NULL;
	sigil_hsm_error_t err;
	size_t n = 0, initialized = 0, dups = 0;
	int ret;

	ret = sigil_hsm_list_tokens(MODULE, &t, &n, &err);
	is_int(ret, SIGIL_EOK, "list tokens");
	/* SoftHSM always adds one free, uninitialised token. */
	is_int(n, 4, "three tokens and the free slot");
	for (size_t i = 0; i < n; i++) {
		initialized += t[i].initialized;
		dups += t[i].initialized && strcmp(t[i].label, "dup") == 0;
		if (t[i].initialized) {
			is_str(t[i].manufacturer, "SoftHSM project",
			       "token %zu manufacturer", i);
			is_str(t[i].model, "SoftHSM v2", "token %zu model", i);
			ok(t[i].firmware[0] != '\0', "token %zu firmware %s", i,
			   t[i].firmware);
		}
	}
	is_int(initialized, 3, "three initialised tokens");
	is_int(dups, 2, "two share the label dup");
	ok(strcmp(serial_dupa, serial_dupb) != 0 &&
	           strcmp(serial_hsm1, serial_dupa) != 0 &&
	           serial_dupa[0] != '\0',
	   "serials differ: %s %s %s", serial_hsm1, serial_dupa, serial_dupb);
	free(t);

	ret = sigil_hsm_list_tokens("/nonexistent/libnope.so", &t, &n, &err);
	is_int(ret, SIGIL_EHSM, "a missing module is an HSM error");
	like(err.message, "/nonexistent/libnope.so", "it names the module");
	ok(t == NULL && n == 0, "and lists nothing");
}

static int open_hsm(const char *name, const char *uri, const char *pin_file,
                    const char *pin_env, sigil_hsm_t **out,
                    sigil_hsm_error_t *err)
{
	sigil_hsm_conf_t conf = {
		.name = name,
		.site = "fra",
		.module = MODULE,
		.uri = uri,
		.pin_file = pin_file,
		.pin_env = pin_env,
	};

	memset(err, 0, sizeof(*err));
	return sigil_hsm_open(&conf, out, err);
}

static bool session_logged_in(sigil_hsm_t *hsm, CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	return sigil_hsm_functions(hsm)->C_GetSessionInfo(s, &si) == CKR_OK &&
	       si.state == CKS_RW_USER_FUNCTIONS;
}

static bool session_closed(sigil_hsm_t *via, CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;

	return sigil_hsm_functions(via)->C_GetSessionInfo(s, &si) ==
	       CKR_SESSION_HANDLE_INVALID;
}

/* URIs, configuration and PIN errors that stop before any login. */
static void test_conf_errors(void)
{
	sigil_hsm_conf_t conf = {.name = "hsm1", .module = MODULE};
	sigil_hsm_t *h = (sigil_hsm_t *)&conf; /* must be reset to NULL */
	sigil_hsm_error_t err;
	char pf[256];
	char big[400];
	int ret;

	/* path_in() buffers are reused: keep a copy. */
	snprintf(pf, sizeof(pf), "%s",
	         write_file("pin-ok", PIN_HSM1 "\n", 0600));
	ret = sigil_hsm_open(NULL, &h, &err);
	is_int(ret, SIGIL_EINVAL, "no configuration");
	ok(h == NULL, "out is cleared on error");
	ret = sigil_hsm_open(&conf, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "no URI");
	like(err.message, "hsm1", "the message names the HSM");
	conf.name = NULL;
	conf.uri = "pkcs11:token=hsm1";
	conf.pin_file = pf;
	is_int(sigil_hsm_open(&conf, &h, &err), SIGIL_ECONFIG, "no name");

	ret = open_hsm("hsm1", "token=hsm1", pf, NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "URI without the pkcs11 scheme");
	ret = open_hsm("hsm1", "pkcs11:slot-id=1", pf, NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "slot-id is refused");
	like(err.message, "slot IDs change", "and the message says why");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1;object=k1", pf, NULL, &h,
	               &err);
	is_int(ret, SIGIL_ECONFIG, "object attributes are refused");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1?pin-value=" PIN_HSM1, pf,
	               NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "a PIN in the URI is refused");
	unlike(err.message, PIN_HSM1, "without quoting the PIN");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1;pin-value=" PIN_HSM1 ";x", pf,
	               NULL, &h, &err);
	unlike(err.message, PIN_HSM1, "not even in an invalid URI");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1?module-path=/other.so", pf,
	               NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "a URI for another module is refused");

	/* PIN sources */
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", NULL, NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "no PIN source");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", pf, "SIGIL_TEST_PIN", &h,
	               &err);
	is_int(ret, SIGIL_ECONFIG, "two PIN sources");
	unsetenv("SIGIL_TEST_UNSET");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", NULL, "SIGIL_TEST_UNSET",
	               &h, &err);
	is_int(ret, SIGIL_ECONFIG, "unset PIN variable");
	like(err.message, "SIGIL_TEST_UNSET", "the message names it");
	setenv("SIGIL_TEST_EMPTY", "", 1);
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", NULL, "SIGIL_TEST_EMPTY",
	               &h, &err);
	is_int(ret, SIGIL_ECONFIG, "empty PIN variable");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", path_in("no-such-pin"),
	               NULL, &h, &err);
	is_int(ret, SIGIL_EIO, "missing PIN file");
	like(err.message, "no-such-pin", "the message names the file");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1",
	               write_file("pin-world", PIN_HSM1 "\n", 0644), NULL, &h,
	               &err);
	is_int(ret, SIGIL_ECONFIG, "a PIN file all users can read is refused");
	like(err.message, "0644", "the message gives the mode");
	unlike(err.message, PIN_HSM1, "but not the PIN");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1",
	               write_file("pin-empty", "\n", 0600), NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "empty PIN file");
	ret = open_hsm("hsm1", "pkcs11:token=hsm1", dir, NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "a directory is not a PIN file");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ret = open_hsm("hsm1", "pkcs11:token=hsm1",
	               write_file("pin-big", big, 0600), NULL, &h, &err);
	is_int(ret, SIGIL_ECONFIG, "an overlong PIN");

	/* Token selection */
	ret = open_hsm("hsm2", "pkcs11:token=dup", pf, NULL, &h, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "two tokens labelled dup: ambiguous");
	ok(h == NULL, "no HSM returned");
	like(err.message, "hsm2", "the message names the HSM");
	like(err.message, serial_dupa, "and the first serial");
	like(err.message, serial_dupb, "and the second serial");
	like(err.message, "serial=", "and says to add serial=");
	diag("%s", err.message);
	ret = open_hsm("hsm2", "pkcs11:", pf, NULL, &h, &err);
	is_int(ret, SIGIL_EAMBIGUOUS, "an empty URI matches all three");
	ret = open_hsm("hsm9", "pkcs11:token=nosuch", pf, NULL, &h, &err);
	is_int(ret, SIGIL_ENOTFOUND, "unknown label: not found");
	like(err.message, "hsm9", "the message names the HSM");
	like(err.message, "\"hsm1\"", "and lists the tokens present");
	ret = open_hsm("hsm9", "pkcs11:token=hsm1;serial=0000", pf, NULL, &h,
	               &err);
	is_int(ret, SIGIL_ENOTFOUND, "right label, wrong serial: not found");

	conf = (sigil_hsm_conf_t){.name = "hsmx",
	                          .module = "/nonexistent/libnope.so",
	                          .uri = "pkcs11:token=hsm1",
	                          .pin_file = pf};
	ret = sigil_hsm_open(&conf, &h, &err);
	is_int(ret, SIGIL_EHSM, "a missing module");
	like(err.message, "hsmx", "the message names the HSM");
	like(err.message, "/nonexistent/libnope.so", "and the module");
	diag("%s", err.message);
}

/* The login: right and wrong PINs, read from files and the
 * environment.  dupB is opened by nothing else here, so every open
 * checks its PIN (a logged-in token does not). */
static void test_login(void)
{
	char uri[128];
	sigil_hsm_t *h = NULL;
	sigil_hsm_error_t err;
	sigil_hsm_token_t info;
	const char *pf;
	int ret;

	snprintf(uri, sizeof(uri), "pkcs11:token=dup;serial=%s", serial_dupb);
	setenv("SIGIL_TEST_WRONG", WRONG_PIN, 1);
	ret = open_hsm("hsm3", uri, NULL, "SIGIL_TEST_WRONG", &h, &err);
	is_int(ret, SIGIL_EAUTH, "wrong PIN: login refused");
	ok(h == NULL, "no HSM returned");
	is_int(err.rv, CKR_PIN_INCORRECT, "the error keeps the CK_RV");
	like(err.message, "C_Login", "the message names C_Login");
	like(err.message, "hsm3", "and the HSM");
	like(err.message, "CKR_PIN_INCORRECT", "and the CKR_ code");
	unlike(err.message, WRONG_PIN, "but not the PIN");
	diag("%s", err.message);
	pf = write_file("pin-wrong", WRONG_PIN "\n", 0600);
	ret = open_hsm("hsm3", uri, pf, NULL, &h, &err);
	is_int(ret, SIGIL_EAUTH, "wrong PIN from a file");
	unlike(err.message, WRONG_PIN, "not in the message either");

	pf = write_file("pin-crlf", PIN_DUPB "\r\nsecond line\n", 0600);
	ret = open_hsm("hsm3", uri, pf, NULL, &h, &err);
	is_int(ret, SIGIL_EOK, "PIN file: first line, CR LF stripped: %s",
	       err.message);
	is_int(sigil_hsm_warnings(h), 0, "no warning for mode 0600");
	ret = sigil_hsm_token_info(h, &info, &err);
	is_int(ret, SIGIL_EOK, "token info");
	is_str(info.serial, serial_dupb, "the token with that serial");
	ok(info.logged_in, "logged in");
	sigil_hsm_close(h);

	/* Closing the last session logs the token out: a wrong PIN must
	 * fail again. */
	ret = open_hsm("hsm3", uri, NULL, "SIGIL_TEST_WRONG", &h, &err);
	is_int(ret, SIGIL_EAUTH, "after close the PIN is checked again");

	pf = write_file("pin-noeol", PIN_DUPB, 0640);
	ret = open_hsm("hsm3", uri, pf, NULL, &h, &err);
	is_int(ret, SIGIL_EOK, "PIN file without a line end, mode 0640: %s",
	       err.message);
	is_int(sigil_hsm_warnings(h), SIGIL_HSM_WARN_PIN_FILE_GROUP,
	       "group access is a warning");
	sigil_hsm_close(h);

	setenv("SIGIL_TEST_PIN_B", PIN_DUPB, 1);
	ret = open_hsm("hsm3", uri, NULL, "SIGIL_TEST_PIN_B", &h, &err);
	is_int(ret, SIGIL_EOK, "PIN from the environment: %s", err.message);
	sigil_hsm_close(h);
}

struct twice {
	sigil_hsm_t *hsm;
	pthread_barrier_t *barrier;
	CK_SESSION_HANDLE first, second;
	int ret1, ret2;
	bool logged_in;
};

static void *session_twice(void *arg)
{
	struct twice *t = arg;
	sigil_hsm_error_t err;

	t->ret1 = sigil_hsm_session(t->hsm, &t->first, &err);
	t->ret2 = sigil_hsm_session(t->hsm, &t->second, &err);
	t->logged_in = session_logged_in(t->hsm, t->first);
	/* Both threads hold their sessions while main compares them. */
	pthread_barrier_wait(t->barrier);
	pthread_barrier_wait(t->barrier);
	return NULL;
}

struct outlive {
	sigil_hsm_t *gone, *kept;
	pthread_barrier_t *barrier;
	CK_SESSION_HANDLE s_gone, s_kept;
	int ret_gone, ret_kept;
};

/* Holds a session of an HSM that main closes, then opens another. */
static void *outlive_hsm(void *arg)
{
	struct outlive *o = arg;
	sigil_hsm_error_t err;

	o->ret_gone = sigil_hsm_session(o->gone, &o->s_gone, &err);
	pthread_barrier_wait(o->barrier);
	pthread_barrier_wait(o->barrier); /* main closes gone */
	o->ret_kept = sigil_hsm_session(o->kept, &o->s_kept, &err);
	return NULL;
}

static void test_sessions(sigil_hsm_t *hsm1, sigil_hsm_t *dupa)
{
	struct twice t[2];
	struct outlive o;
	pthread_t th[2];
	pthread_barrier_t b;
	CK_SESSION_HANDLE m1 = 0, m2 = 0, md = 0;
	sigil_hsm_t *tmp = NULL;
	sigil_hsm_error_t err;
	int ret;

	is_int(sigil_hsm_session(hsm1, &m1, &err), SIGIL_EOK, "main session");
	is_int(sigil_hsm_session(hsm1, &m2, &err), SIGIL_EOK, "and again");
	ok(m1 == m2, "the same session twice in one thread");
	ok(session_logged_in(hsm1, m1), "a logged-in read-write session");
	is_int(sigil_hsm_session(dupa, &md, &err), SIGIL_EOK,
	       "session on the second HSM");
	ok(md != m1, "another HSM, another session");

	pthread_barrier_init(&b, NULL, 3);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct twice){.hsm = hsm1, .barrier = &b};
		pthread_create(&th[i], NULL, session_twice, &t[i]);
	}
	pthread_barrier_wait(&b);
	for (int i = 0; i < 2; i++) {
		ok(t[i].ret1 == SIGIL_EOK && t[i].ret2 == SIGIL_EOK,
		   "thread %d has a session", i);
		ok(t[i].first == t[i].second, "thread %d: same one twice", i);
		ok(t[i].logged_in, "thread %d: logged in", i);
		ok(t[i].first != m1, "thread %d: not main's", i);
	}
	ok(t[0].first != t[1].first, "two threads, two sessions");
	pthread_barrier_wait(&b);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
	}
	ok(session_closed(hsm1, t[0].first) && session_closed(hsm1, t[1].first),
	   "thread sessions close when the threads exit");
	ok(session_logged_in(hsm1, m1), "main's session is untouched");
	pthread_barrier_destroy(&b);

	/* A thread that outlives an HSM it used. */
	ret = open_hsm("hsm1-tmp", "pkcs11:token=hsm1", NULL,
	               "SIGIL_TEST_PIN_1", &tmp, &err);
	is_int(ret, SIGIL_EOK, "a second object on token hsm1: %s",
	       err.message);
	pthread_barrier_init(&b, NULL, 2);
	o = (struct outlive){.gone = tmp, .kept = hsm1, .barrier = &b};
	pthread_create(&th[0], NULL, outlive_hsm, &o);
	pthread_barrier_wait(&b);
	is_int(o.ret_gone, SIGIL_EOK, "the thread has a session on it");
	sigil_hsm_close(tmp);
	ok(session_closed(hsm1, o.s_gone),
	   "close closes the session of a live thread");
	ok(session_logged_in(hsm1, m1),
	   "closing one object on a token keeps the other logged in");
	pthread_barrier_wait(&b);
	pthread_join(th[0], NULL);
	is_int(o.ret_kept, SIGIL_EOK, "the thread then opens another HSM");
	ok(session_closed(hsm1, o.s_kept), "whose session closes at exit");
	pthread_barrier_destroy(&b);

	/* close closes the calling thread's sessions too. */
	ret = open_hsm("hsm1-tmp", "pkcs11:token=hsm1", NULL,
	               "SIGIL_TEST_PIN_1", &tmp, &err);
	is_int(ret, SIGIL_EOK, "reopened");
	is_int(sigil_hsm_session(tmp, &m2, &err), SIGIL_EOK, "its session");
	ok(m2 != m1, "not hsm1's session");
	sigil_hsm_close(tmp);
	ok(session_closed(hsm1, m2), "closed by sigil_hsm_close");
	is_int(sigil_hsm_session(hsm1, &m2, &err), SIGIL_EOK, "hsm1 again");
	ok(m2 == m1, "still the thread's first session");
}

/* Threads opening, using and closing HSMs on one module at once, next
 * to an HSM used by all of them: the registry, the reference counts and
 * the thread tables under contention (and under TSan when built so). */
struct churn {
	sigil_hsm_t *shared;
	int fails;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	sigil_hsm_error_t err;
	char uri[128];

	snprintf(uri, sizeof(uri), "pkcs11:serial=%s", serial_dupb);
	for (int i = 0; i < 20; i++) {
		sigil_hsm_t *h = NULL;
		CK_SESSION_HANDLE s, t;
		unsigned char rnd[16];

		if (open_hsm("churn", uri, NULL, "SIGIL_TEST_PIN_B", &h,
		             &err) != SIGIL_EOK ||
		    sigil_hsm_session(h, &s, &err) != SIGIL_EOK ||
		    sigil_hsm_session(c->shared, &t, &err) != SIGIL_EOK ||
		    sigil_hsm_functions(h)->C_GenerateRandom(
			    s, rnd, sizeof(rnd)) != CKR_OK ||
		    sigil_hsm_functions(h)->C_GenerateRandom(
			    t, rnd, sizeof(rnd)) != CKR_OK) {
			c->fails++;
		}
		sigil_hsm_close(h);
	}
	return NULL;
}

static void test_churn(sigil_hsm_t *shared)
{
	struct churn c[4];
	pthread_t th[4];
	int fails = 0;

	for (int i = 0; i < 4; i++) {
		c[i] = (struct churn){.shared = shared};
		pthread_create(&th[i], NULL, churn_main, &c[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		fails += c[i].fails;
	}
	is_int(fails, 0, "4 threads x 20 open, use, close");
}

static void test_fork(sigil_hsm_t *hsm1)
{
	CK_SESSION_HANDLE s;
	sigil_hsm_error_t err;
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		sigil_hsm_token_t info;
		int code = 0;

		if (sigil_hsm_session(hsm1, &s, &err) != SIGIL_EHSM ||
		    strstr(err.message, "fork") == NULL) {
			code |= 1;
		}
		if (sigil_hsm_token_info(hsm1, &info, &err) != SIGIL_EHSM) {
			code |= 2;
		}
		sigil_hsm_close(hsm1); /* memory only */
		_exit(code);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	   "child ran");
	is_int(WEXITSTATUS(status), 0,
	       "in a child an inherited HSM refuses to work");
	is_int(sigil_hsm_session(hsm1, &s, &err), SIGIL_EOK,
	       "the parent's HSM still works");
	ok(session_logged_in(hsm1, s), "and is logged in");
}

static void test_rv(sigil_hsm_t *hsm)
{
	sigil_hsm_error_t err;
	int ret;

	is_int(sigil_hsm_rv_error(CKR_OK), SIGIL_EOK, "CKR_OK");
	is_int(sigil_hsm_rv_error(CKR_PIN_INCORRECT), SIGIL_EAUTH,
	       "PIN_INCORRECT");
	is_int(sigil_hsm_rv_error(CKR_PIN_LOCKED), SIGIL_EAUTH, "PIN_LOCKED");
	is_int(sigil_hsm_rv_error(CKR_USER_NOT_LOGGED_IN), SIGIL_EAUTH,
	       "USER_NOT_LOGGED_IN");
	is_int(sigil_hsm_rv_error(CKR_TOKEN_NOT_PRESENT), SIGIL_EUNREACHABLE,
	       "TOKEN_NOT_PRESENT");
	is_int(sigil_hsm_rv_error(CKR_DEVICE_REMOVED), SIGIL_EUNREACHABLE,
	       "DEVICE_REMOVED");
	is_int(sigil_hsm_rv_error(CKR_DEVICE_ERROR), SIGIL_EUNREACHABLE,
	       "DEVICE_ERROR");
	is_int(sigil_hsm_rv_error(CKR_SESSION_HANDLE_INVALID),
	       SIGIL_EUNREACHABLE, "SESSION_HANDLE_INVALID");
	is_int(sigil_hsm_rv_error(CKR_HOST_MEMORY), SIGIL_ENOMEM,
	       "HOST_MEMORY");
	is_int(sigil_hsm_rv_error(CKR_GENERAL_ERROR), SIGIL_EHSM,
	       "GENERAL_ERROR");
	is_int(sigil_hsm_rv_error(CKR_KEY_NOT_WRAPPABLE), SIGIL_EHSM,
	       "KEY_NOT_WRAPPABLE");
	is_int(sigil_hsm_rv_error(CKR_VENDOR_DEFINED | 5), SIGIL_EHSM,
	       "a vendor code");
	is_str(sigil_hsm_rv_name(CKR_OK), "CKR_OK", "name of CKR_OK");
	is_str(sigil_hsm_rv_name(CKR_CANCEL), "CKR_CANCEL", "CKR_CANCEL");
	is_str(sigil_hsm_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT",
	       "CKR_PIN_INCORRECT");
	is_str(sigil_hsm_rv_name(CKR_ACTION_PROHIBITED),
	       "CKR_ACTION_PROHIBITED", "CKR_ACTION_PROHIBITED");
	is_str(sigil_hsm_rv_name(CKR_WRAPPED_KEY_INVALID),
	       "CKR_WRAPPED_KEY_INVALID", "CKR_WRAPPED_KEY_INVALID");
	is_str(sigil_hsm_rv_name(CKR_FUNCTION_REJECTED),
	       "CKR_FUNCTION_REJECTED", "the last one, CKR_FUNCTION_REJECTED");
	is_str(sigil_hsm_rv_name(4), "CKR_UNKNOWN", "an undefined code");
	is_str(sigil_hsm_rv_name(CKR_VENDOR_DEFINED | 0x123),
	       "CKR_VENDOR_DEFINED", "a vendor code");

	ret = sigil_hsm_error_set(&err, hsm, "C_SignInit",
	                          CKR_KEY_HANDLE_INVALID, "key 33834");
	is_int(ret, SIGIL_EHSM, "error_set returns the mapped code");
	is_str(err.message,
	       "C_SignInit on hsm1 (key 33834): "
	       "CKR_KEY_HANDLE_INVALID",
	       "and names function, HSM, key and code");
	ret = sigil_hsm_error_set(&err, hsm, "C_Sign", CKR_VENDOR_DEFINED | 7,
	                          NULL);
	is_str(err.message, "C_Sign on hsm1: CKR_VENDOR_DEFINED (0x80000007)",
	       "a vendor code keeps its value");
	is_int(sigil_hsm_error_set(NULL, hsm, "C_Sign", CKR_DEVICE_REMOVED,
	                           NULL),
	       SIGIL_EUNREACHABLE, "err may be NULL");
}

int main(void)
{
	sigil_hsm_t *hsm1 = NULL, *dupa = NULL;
	sigil_hsm_error_t err;
	sigil_hsm_token_t info;
	struct stat st;
	char uri[128];
	int ret;

	if (!ok(in_path("softhsm2-util"), "softhsm2-util is installed") ||
	    !ok(access(MODULE, R_OK) == 0, "%s exists", MODULE)) {
		printf("Bail out! SoftHSM2 is needed (apt-get install "
		       "softhsm2)\n");
		return 1;
	}
	if (!ok(setup(), "three SoftHSM2 tokens in a temporary directory")) {
		printf("Bail out! cannot make the SoftHSM2 test bed\n");
		return 1;
	}
	test_list();
	test_conf_errors();
	test_login();

	ret = open_hsm("hsm1", "pkcs11:token=hsm1",
	               write_file("pin-hsm1", PIN_HSM1 "\n", 0600), NULL, &hsm1,
	               &err);
	is_int(ret, SIGIL_EOK, "open by label: %s", err.message);
	is_str(sigil_hsm_name(hsm1), "hsm1", "name");
	is_str(sigil_hsm_site(hsm1), "fra", "site");
	ret = sigil_hsm_token_info(hsm1, &info, &err);
	is_int(ret, SIGIL_EOK, "token info");
	is_str(info.label, "hsm1", "label");
	is_str(info.serial, serial_hsm1, "serial");
	is_str(info.manufacturer, "SoftHSM project", "manufacturer");
	is_str(info.model, "SoftHSM v2", "model");
	ok(info.initialized && info.logged_in && !info.pin_locked,
	   "initialised, logged in, not locked");

	snprintf(uri, sizeof(uri), "pkcs11:token=dup;serial=%s", serial_dupa);
	setenv("SIGIL_TEST_PIN_A", PIN_DUPA, 1);
	ret = open_hsm("hsm2", uri, NULL, "SIGIL_TEST_PIN_A", &dupa, &err);
	is_int(ret, SIGIL_EOK, "label and serial select one of two: %s",
	       err.message);
	ret = sigil_hsm_token_info(dupa, &info, &err);
	is_str(info.serial, serial_dupa, "the one with that serial");
	ok(sigil_hsm_functions(hsm1) == sigil_hsm_functions(dupa),
	   "two HSMs on one module share one load");

	/* Percent-encoding is the URI parser's business. */
	setenv("SIGIL_TEST_PIN_1", PIN_HSM1, 1);
	{
		sigil_hsm_t *h = NULL;

		ret = open_hsm("hsm1-enc", "pkcs11:token=hs%6d1", NULL,
		               "SIGIL_TEST_PIN_1", &h, &err);
		is_int(ret, SIGIL_EOK, "percent-encoded label: %s",
		       err.message);
		sigil_hsm_close(h);
	}

	test_sessions(hsm1, dupa);
	test_churn(dupa);
	test_fork(hsm1);
	test_rv(hsm1);

	sigil_hsm_close(dupa);
	sigil_hsm_close(hsm1);
	sigil_hsm_close(NULL);

	/* Everything released: the module loads afresh. */
	test_list();

	ok(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 &&
	           stat(dir, &st) != 0 && errno == ENOENT,
	   "temporary directory removed");
	return done_testing();
}
