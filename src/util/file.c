#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/file.h"

struct sigil_atomic_file {
	FILE *stream;
	char *path; /* the target */
	char *temp; /* the temporary file, next to the target */
	char *dir;  /* directory of both, fsync'd after the rename */
};

__attribute__((format(printf, 4, 5))) static int
file_error(sigil_file_error_t *err, int code, const char *path, const char *fmt,
           ...)
{
	va_list ap;

	snprintf(err->path, sizeof(err->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

static void atomic_release(sigil_atomic_file_t *f)
{
	free(f->path);
	free(f->temp);
	free(f->dir);
	free(f);
}

int sigil_file_atomic_open(sigil_atomic_file_t **out, const char *path,
                           mode_t mode, sigil_file_error_t *err)
{
	sigil_atomic_file_t *f = NULL;
	size_t len = strlen(path);
	int fd = -1;
	int ret = SIGIL_EOK;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len == 0 || path[len - 1] == '/') {
		return file_error(err, SIGIL_EINVAL, path,
		                  "'%s' is not a file name", path);
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return file_error(err, SIGIL_ENOMEM, path, "%s: %s", path,
		                  sigil_strerror(SIGIL_ENOMEM));
	}
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dir_len = slash ? (size_t)(slash - path) : 0;
	f->path = strdup(path);
	f->temp = malloc(len + 16);
	/* "/name" has the root as its directory; "name" the current one. */
	f->dir = slash ? strndup(path, dir_len ? dir_len : 1) : strdup(".");
	if (f->path == NULL || f->temp == NULL || f->dir == NULL) {
		ret = file_error(err, SIGIL_ENOMEM, path, "%s: %s", path,
		                 sigil_strerror(SIGIL_ENOMEM));
		goto fail;
	}
	/* Hidden, so that directory scans (zone file globs) skip it. */
	snprintf(f->temp, len + 16, "%.*s.%s.XXXXXX", (int)(base - path), path,
	         base);
	fd = mkostemp(f->temp, O_CLOEXEC);
	if (fd < 0) {
		ret = file_error(err, SIGIL_EIO, path,
		                 "cannot create a temporary file in %s: %s",
		                 f->dir, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, mode ? mode : 0644) != 0) {
		ret = file_error(err, SIGIL_EIO, path,
		                 "cannot set mode of %s: %s", f->temp,
		                 strerror(errno));
		goto fail;
	}
	f->stream = fdopen(fd, "w");
	if (f->stream == NULL) {
		ret = file_error(err, SIGIL_EIO, path, "cannot open %s: %s",
		                 f->temp, strerror(errno));
		goto fail;
	}
	*out = f;
	return SIGIL_EOK;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(f->temp);
	}
	atomic_release(f);
	return ret;
}

FILE *sigil_file_atomic_stream(const sigil_atomic_file_t *f)
{
	return f->stream;
}

const char *sigil_file_atomic_temp_path(const sigil_atomic_file_t *f)
{
	return f->temp;
}

int sigil_file_atomic_commit(sigil_atomic_file_t *f, sigil_file_error_t *err)
{
	int ret = SIGIL_EOK;
	int dfd = -1;

	memset(err, 0, sizeof(*err));
	/* Every step is checked: a full disk often shows only at fflush,
	 * fsync or close, never at the fwrite that filled the buffer. */
	errno = 0;
	if (fflush(f->stream) != 0 || ferror(f->stream)) {
		ret = file_error(err, SIGIL_EIO, f->path, "cannot write %s: %s",
		                 f->temp, strerror(errno ? errno : EIO));
		fclose(f->stream);
		goto remove;
	}
	if (fsync(fileno(f->stream)) != 0) {
		ret = file_error(err, SIGIL_EIO, f->path, "cannot sync %s: %s",
		                 f->temp, strerror(errno));
		fclose(f->stream);
		goto remove;
	}
	if (fclose(f->stream) != 0) {
		ret = file_error(err, SIGIL_EIO, f->path, "cannot close %s: %s",
		                 f->temp, strerror(errno));
		goto remove;
	}
	if (rename(f->temp, f->path) != 0) {
		ret = file_error(err, SIGIL_EIO, f->path,
		                 "cannot rename %s to %s: %s", f->temp, f->path,
		                 strerror(errno));
		goto remove;
	}
	/* The rename itself is durable only once the directory is. */
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		ret = file_error(
			err, SIGIL_EIO, f->path,
			"%s is in place but its directory %s could not "
			"be synced: %s",
			f->path, f->dir, strerror(errno));
	}
	if (dfd >= 0) {
		close(dfd);
	}
	atomic_release(f);
	return ret;
remove:
	unlink(f->temp);
	atomic_release(f);
	return ret;
}

void sigil_file_atomic_abort(sigil_atomic_file_t *f)
{
	if (f == NULL) {
		return;
	}
	fclose(f->stream);
	unlink(f->temp);
	atomic_release(f);
}
