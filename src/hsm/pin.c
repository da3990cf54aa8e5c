/* User PINs: from a file (its first line) or an environment variable.
 *
 * Never from argv, where every user of the machine can read it in
 * /proc, and never echoed: messages name the file or the variable only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsm/internal.h"
#include "util/error.h"

/* Enough for the longest accepted PIN, a CR LF, and one byte to tell a
 * longer first line. */
#define PIN_READ_MAX (HSM_PIN_MAX + 3)

/* Reads up to len bytes, fewer only at end of file. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			break;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Checks and copies a PIN of len bytes from src; where names its source
 * in messages. */
static int pin_take(const char *name, const char *where, const char *src,
                    size_t len, char *pin, size_t *pinlen,
                    sigil_hsm_error_t *err)
{
	if (len == 0) {
		hsm_error(err, CKR_OK, "%s: the PIN in %s is empty", name,
		          where);
		return SIGIL_ECONFIG;
	}
	if (len > HSM_PIN_MAX) {
		hsm_error(err, CKR_OK,
		          "%s: the PIN in %s is longer than %d bytes", name,
		          where, HSM_PIN_MAX);
		return SIGIL_ECONFIG;
	}
	memcpy(pin, src, len);
	pin[len] = '\0';
	*pinlen = len;
	return SIGIL_EOK;
}

static int pin_from_file(const char *name, const char *path, char *pin,
                         size_t *pinlen, unsigned *warnings,
                         sigil_hsm_error_t *err)
{
	char buf[PIN_READ_MAX];
	char where[300];
	char ebuf[128];
	struct stat st;
	ssize_t got;
	size_t len;
	char *nl;
	int fd = -1;
	int ret = SIGIL_EIO;

	snprintf(where, sizeof(where), "PIN file %s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		hsm_error(err, CKR_OK, "%s: cannot open %s: %s", name, where,
		          strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		hsm_error(err, CKR_OK, "%s: cannot stat %s: %s", name, where,
		          strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hsm_error(err, CKR_OK, "%s: %s is not a regular file", name,
		          where);
		ret = SIGIL_ECONFIG;
		goto out;
	}
	/* Any user of the machine could read it: refuse, as ssh does for
	 * keys.  A group may be how a service account is given the PIN,
	 * so that is only a warning. */
	if (st.st_mode & S_IRWXO) {
		hsm_error(err, CKR_OK,
		          "%s: %s is accessible to all users (mode %04o); "
		          "make it 0600 or 0640",
		          name, where, (unsigned)(st.st_mode & 07777));
		ret = SIGIL_ECONFIG;
		goto out;
	}
	if (st.st_mode & S_IRWXG) {
		*warnings |= SIGIL_HSM_WARN_PIN_FILE_GROUP;
	}
	got = read_full(fd, buf, sizeof(buf));
	if (got < 0) {
		hsm_error(err, CKR_OK, "%s: cannot read %s: %s", name, where,
		          strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	len = (size_t)got;
	nl = memchr(buf, '\n', len);
	if (nl == NULL && len == sizeof(buf)) {
		/* No line end in reach: the first line is too long. */
		hsm_error(err, CKR_OK,
		          "%s: the PIN in %s is longer than %d bytes", name,
		          where, HSM_PIN_MAX);
		ret = SIGIL_ECONFIG;
		goto out;
	}
	if (nl != NULL) {
		len = (size_t)(nl - buf);
	}
	if (len > 0 && buf[len - 1] == '\r') {
		len--;
	}
	ret = pin_take(name, where, buf, len, pin, pinlen, err);
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

static int pin_from_env(const char *name, const char *var, char *pin,
                        size_t *pinlen, sigil_hsm_error_t *err)
{
	char where[300];
	const char *value = getenv(var);

	if (value == NULL) {
		hsm_error(err, CKR_OK,
		          "%s: environment variable %s (the PIN) is not set",
		          name, var);
		return SIGIL_ECONFIG;
	}
	snprintf(where, sizeof(where), "environment variable %s", var);
	return pin_take(name, where, value, strlen(value), pin, pinlen, err);
}

int hsm_pin_read(const sigil_hsm_conf_t *conf, char *pin, size_t *len,
                 unsigned *warnings, sigil_hsm_error_t *err)
{
	bool file = conf->pin_file != NULL && conf->pin_file[0] != '\0';
	bool env = conf->pin_env != NULL && conf->pin_env[0] != '\0';

	if (file == env) {
		hsm_error(err, CKR_OK,
		          "%s: set exactly one of a PIN file and a PIN "
		          "environment variable",
		          conf->name);
		return SIGIL_ECONFIG;
	}
	if (file) {
		return pin_from_file(conf->name, conf->pin_file, pin, len,
		                     warnings, err);
	}
	return pin_from_env(conf->name, conf->pin_env, pin, len, err);
}
