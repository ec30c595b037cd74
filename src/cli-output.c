/* SPDX-License-Identifier: MIT */
/* -o for every command: a temp file renamed into place, or a spool copied when complete. */
#define _GNU_SOURCE /* O_TMPFILE and mkostemp: no name, or no descriptor leak, ever */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kdeleg/cli-output.h"
#include "kdeleg/entry.h"

/* Symbolic links followed before giving up (Linux's own limit, MAXSYMLINKS). */
#define LINK_HOPS_MAX 40

/* ---- signals: the temp file never outlives the process ---- */

/* The temp file a signal must not leave behind: partial directory data. */
static char *volatile pending_temp;

static void
remove_temp_and_die(int sig)
{
	char *path = pending_temp;

	if (path)
		unlink(path); /* async-signal-safe, as are signal() and raise() */
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The signals whose default action ends the process (signal(7): Term and Core),
 * which a user, a shell, a timer or a resource limit may send: each one removes the
 * temp file first. The synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
 * SIGSYS) are taken only while no one else handles them: sanitizers and debuggers
 * install their own, which must keep working. SIGKILL cannot be caught.
 */
static const int async_signals[] = {
	SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,   SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGABRT,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};
static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};

static void
guard_signal(int sig, bool only_default, sigset_t *set)
{
	struct sigaction old, sa = {.sa_handler = remove_temp_and_die};

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, NULL, &old) != 0)
		return;
	/* an ignored signal does not end the process (nohup): leave it ignored */
	if (old.sa_handler == SIG_IGN || (only_default && old.sa_handler != SIG_DFL))
		return;
	if (sigaction(sig, &sa, NULL) == 0 && set)
		sigaddset(set, sig);
}

/* The guarded signals, to block around a rename. */
static sigset_t guarded;

static void
guard_temp(char *path)
{
	static bool installed;

	pending_temp = path;
	if (installed)
		return;
	installed = true;
	sigemptyset(&guarded);
	for (size_t i = 0; i < sizeof(async_signals) / sizeof(*async_signals); i++)
		guard_signal(async_signals[i], false, &guarded);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		guard_signal(sig, false, &guarded);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(*fault_signals); i++)
		guard_signal(fault_signals[i], true, NULL);
}

/* ---- where -o leads ---- */

/*
 * Descriptor N when @path names one of this process's: /dev/stdin|stdout|stderr,
 * /dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, /proc/PID/fd/N with our PID.
 * These are links to whatever the descriptor is open on (a pipe shows as
 * "pipe:[123]"): followed further, they lead nowhere writable.
 */
static bool
fd_alias(const char *path, int *ret_fd)
{
	static const char *const std[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
	static const char *const dirs[] = {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"};
	char own[64];
	const char *num = NULL;
	size_t n;

	for (int i = 0; i < 3; i++)
		if (strcmp(path, std[i]) == 0) {
			*ret_fd = i;
			return true;
		}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs) && !num; i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			num = path + strlen(dirs[i]);
	snprintf(own, sizeof(own), "/proc/%ld/fd/", (long)getpid());
	if (!num && strncmp(path, own, strlen(own)) == 0)
		num = path + strlen(own);
	if (!num || !kd_parse_size(num, strlen(num), &n) || n > INT_MAX)
		return false;
	*ret_fd = (int)n;
	return true;
}

enum target_kind { TARGET_FILE, TARGET_FD, TARGET_OTHER };

/*
 * Follows @path's symbolic links to what -o writes: a descriptor, a regular file or
 * a name still free (TARGET_FILE, *ret_path), or something else to open in place
 * (TARGET_OTHER, *ret_path). A relative link resolves against its own directory.
 */
static int
resolve(const char *path, enum target_kind *ret_kind, char **ret_path, int *ret_fd, int *ret_errno)
{
	char *cur = strdup(path);

	*ret_errno = ENOMEM;
	for (int hop = 0; cur && hop < LINK_HOPS_MAX; hop++) {
		struct stat st;
		char link[PATH_MAX], *next;
		ssize_t n;

		if (fd_alias(cur, ret_fd)) {
			free(cur);
			*ret_kind = TARGET_FD;
			return 0;
		}
		if (lstat(cur, &st) != 0) {
			/* a name still free (or a dangling link's target): created there */
			if (errno != ENOENT) {
				*ret_errno = errno;
				free(cur);
				return -1;
			}
			*ret_kind = TARGET_FILE;
			*ret_path = cur;
			return 0;
		}
		if (!S_ISLNK(st.st_mode)) {
			if (S_ISDIR(st.st_mode)) {
				*ret_errno = EISDIR;
				free(cur);
				return -1;
			}
			*ret_kind = S_ISREG(st.st_mode) ? TARGET_FILE : TARGET_OTHER;
			*ret_path = cur;
			return 0;
		}
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0) {
			*ret_errno = errno;
			free(cur);
			return -1;
		}
		link[n] = '\0';
		if (link[0] == '/' || !strrchr(cur, '/')) {
			next = strdup(link);
		} else {
			size_t dir = (size_t)(strrchr(cur, '/') - cur) + 1;

			next = malloc(dir + (size_t)n + 1);
			if (next) {
				memcpy(next, cur, dir);
				memcpy(next + dir, link, (size_t)n + 1);
			}
		}
		free(cur);
		cur = next;
	}
	if (cur)
		*ret_errno = ELOOP;
	free(cur);
	return -1;
}

/* An unlinked file (mode 0600) in $TMPDIR or /tmp: nothing to clean up, ever. */
static int
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/kdeleg-spool.XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static bool
is_null_device(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

static int
io_fail(struct kd_output *o, struct kd_error *err, const char *what, int errnum)
{
	kd_error_set(err, KD_ERR_IO, "%s: %s", what, strerror(errnum));
	kd_error_set_where(err, o->name, 0, NULL, NULL);
	return KD_ERR_IO;
}

/* A temp file next to @target, renamed over it at the end. */
static int
open_temp(struct kd_output *o, char *target, struct kd_error *err)
{
	size_t len = strlen(target);
	int fd, saved;

	o->target = target;
	o->temp_path = malloc(len + 16);
	if (!o->temp_path)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	memcpy(o->temp_path, target, len);
	memcpy(o->temp_path + len, ".tmp.XXXXXX", 12);
	fd = mkostemp(o->temp_path, O_CLOEXEC);
	if (fd >= 0 && (o->file = fdopen(fd, "w")) != NULL) {
		guard_temp(o->temp_path);
		return 0;
	}
	saved = errno;
	if (fd >= 0) {
		close(fd);
		unlink(o->temp_path);
	}
	free(o->temp_path);
	o->temp_path = NULL;
	return io_fail(o, err, "cannot create a file next to it", saved);
}

int
kd_output_open(struct kd_output *o, const char *path, struct kd_error *err)
{
	enum target_kind kind = TARGET_FILE;
	char *target = NULL;
	int fd = -1, saved = 0, r;

	memset(o, 0, sizeof(*o));
	o->dest_fd = -1;
	o->name = path;
	if (!path || strcmp(path, "-") == 0) {
		o->file = stdout;
		return 0;
	}
	if (resolve(path, &kind, &target, &fd, &saved) < 0)
		return io_fail(o, err, "cannot write there", saved);
	if (kind == TARGET_FILE) {
		r = open_temp(o, target, err);
		if (r < 0)
			kd_output_close(o, false, NULL);
		return r;
	}
	if (kind == TARGET_FD) {
		int flags = fcntl(fd, F_GETFL);

		if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
			return io_fail(o, err, "cannot write there",
				       flags < 0 ? errno : EBADF);
		o->dest_fd = fd;
	} else {
		/* a FIFO waits here for its reader, as a shell's redirection would */
		o->dest_fd = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		saved = errno;
		free(target);
		if (o->dest_fd < 0)
			return io_fail(o, err, "cannot open", saved);
		o->close_dest = true;
	}
	if (is_null_device(o->dest_fd)) {
		fd = dup(o->dest_fd);
	} else {
		fd = spool_open();
		o->spooled = true;
	}
	if (fd < 0 || !(o->file = fdopen(fd, o->spooled ? "w+" : "w"))) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		kd_output_close(o, false, NULL);
		return io_fail(o, err, o->spooled ? "cannot create a spool file in $TMPDIR"
						  : "cannot write there",
			       saved);
	}
	return 0;
}

/*
 * After a rename, the directory entry reaches the disk only with the directory:
 * fsync it too, so a crash leaves the old output or the new one. Best effort (some
 * file systems cannot sync a directory; the output is complete either way).
 */
static void
sync_directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Copies the whole spool to the destination descriptor, as one complete output. */
static int
copy_spool(struct kd_output *o, struct kd_error *err)
{
	char buf[65536];
	int src = fileno(o->file);

	if (fflush(o->file) != 0 || lseek(src, 0, SEEK_SET) != 0)
		return io_fail(o, err, "writing the output failed", errno);
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_fail(o, err, "reading the spool failed", errno);
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(o->dest_fd, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return io_fail(o, err, "writing the output failed", errno);
			done += w;
		}
	}
}

int
kd_output_close(struct kd_output *o, bool success, struct kd_error *err)
{
	int r = 0;

	if (o->file == stdout) {
		if (success && fflush(stdout) != 0)
			r = io_fail(o, err, "writing the output failed", errno);
		memset(o, 0, sizeof(*o));
		return r;
	}
	if (o->temp_path) {
		sigset_t old;

		/* the data reaches the disk before the name points at it */
		if (success && o->file && (fflush(o->file) != 0 || fsync(fileno(o->file)) != 0)) {
			r = io_fail(o, err, "writing the output failed", errno);
			success = false;
		}
		if (o->file && fclose(o->file) != 0 && success) {
			r = io_fail(o, err, "writing the output failed", errno);
			success = false;
		}
		o->file = NULL;
		/* a signal now finds the temp file renamed or removed, never half-way */
		sigprocmask(SIG_BLOCK, &guarded, &old);
		if (success && rename(o->temp_path, o->target) != 0) {
			r = io_fail(o, err, "cannot rename the output into place", errno);
			success = false;
		}
		if (!success)
			unlink(o->temp_path);
		pending_temp = NULL;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (success)
			sync_directory_of(o->target);
	} else if (o->file) {
		if (success && o->spooled)
			r = copy_spool(o, err);
		else if (success && fflush(o->file) != 0)
			r = io_fail(o, err, "writing the output failed", errno);
		if (fclose(o->file) != 0 && success && r == 0)
			r = io_fail(o, err, "writing the output failed", errno);
	}
	if (o->close_dest && close(o->dest_fd) != 0 && success && r == 0)
		r = io_fail(o, err, "writing the output failed", errno);
	free(o->temp_path);
	free(o->target);
	memset(o, 0, sizeof(*o));
	o->dest_fd = -1;
	return r;
}
