/* Files that appear complete or not at all.
 *
 * sigil_file_atomic_open() creates a temporary file in the directory of the
 * target (so the final rename stays within one file system), and
 * sigil_file_atomic_commit() makes its content durable and renames it over
 * the target: readers of the target see the old file or the whole new one,
 * never a partial one, even across a crash.  sigil_file_atomic_abort()
 * throws the temporary file away and leaves the target untouched.
 * The target is replaced as a directory entry: a symbolic link there is
 * replaced, not followed, and hard links to the old file keep it.
 */
#ifndef SIGIL_UTIL_FILE_H
#define SIGIL_UTIL_FILE_H

#include <stdio.h>
#include <sys/types.h>

/* Why a file operation failed.  message is complete on its own and names
 * the file and the system's reason (strerror), e.g. "cannot create a
 * temporary file in /srv/zones: Permission denied"; path is the file the
 * operation was about (the target, not the temporary name). */
typedef struct {
	char path[512];
	char message[768];
} sigil_file_error_t;

typedef struct sigil_atomic_file sigil_atomic_file_t;

/* Creates the temporary file ".<name>.XXXXXX" next to path, with mode
 * (0: 0644; set as given, the umask does not apply, as the file is meant
 * for other readers such as a name server).  On success *out owns it: end
 * it with _commit or _abort.  Returns SIGIL_EOK, SIGIL_EINVAL (empty path
 * or one ending in '/'), SIGIL_EIO (err says why) or SIGIL_ENOMEM. */
int sigil_file_atomic_open(sigil_atomic_file_t **out, const char *path,
                           mode_t mode, sigil_file_error_t *err);

/* The stream to write to; owned by f (never fclose it). */
FILE *sigil_file_atomic_stream(const sigil_atomic_file_t *f);

/* The temporary file's path; owned by f. */
const char *sigil_file_atomic_temp_path(const sigil_atomic_file_t *f);

/* Flushes the stream, fsyncs the file, closes it, renames it to the target
 * and fsyncs the directory.  Always releases f.  Returns SIGIL_EOK or
 * SIGIL_EIO: a write or sync error before the rename removes the temporary
 * file and leaves the target as it was; only a failed fsync of the
 * directory comes after the rename (the new file is then in place but
 * perhaps not yet durable), err says which. */
int sigil_file_atomic_commit(sigil_atomic_file_t *f, sigil_file_error_t *err);

/* Closes and removes the temporary file; the target is untouched.  Releases
 * f; NULL is accepted. */
void sigil_file_atomic_abort(sigil_atomic_file_t *f);

#endif
