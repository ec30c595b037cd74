/* SPDX-License-Identifier: MIT */
/* Reading a bind password without argv, echo or leftovers in memory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kdeleg/password.h"
#include "kdeleg/strbuf.h"

void
kd_password_free(char *password)
{
	if (!password)
		return;
	explicit_bzero(password, strlen(password));
	free(password);
}

/* Cuts @buf at its first line end (LF or CRLF); the rest is wiped. */
static size_t
first_line(char *buf, size_t len)
{
	char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;

	if (n > 0 && buf[n - 1] == '\r')
		n--;
	explicit_bzero(buf + n, len - n);
	return n;
}

static int
take(char *buf, size_t len, char **ret, struct kd_error *err)
{
	char *p;

	if (memchr(buf, '\0', len))
		return kd_error_set(err, KD_ERR_USAGE, "the password has a NUL byte");
	if (len == 0)
		return kd_error_set(err, KD_ERR_USAGE,
				    "empty password (a simple bind with an empty password is "
				    "an anonymous bind)");
	p = malloc(len + 1);
	if (!p)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	memcpy(p, buf, len);
	p[len] = '\0';
	*ret = p;
	return 0;
}

static int
from_file(const char *path, char **ret, struct kd_error *err)
{
	char buf[KD_PASSWORD_MAX + 2];
	size_t len = 0, n;
	FILE *f = fopen(path, "r");
	int r;

	if (!f) {
		kd_error_set(err, KD_ERR_IO, "cannot open the password file: %s", strerror(errno));
		kd_error_set_where(err, path, 0, NULL, NULL);
		return KD_ERR_IO;
	}
	/* unbuffered: no copy of the password left in a stdio buffer */
	setvbuf(f, NULL, _IONBF, 0);
	while (len < sizeof(buf) && (n = fread(buf + len, 1, sizeof(buf) - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		r = kd_error_set(err, KD_ERR_IO, "cannot read the password file: %s",
				 strerror(errno));
	} else {
		len = first_line(buf, len);
		r = len > KD_PASSWORD_MAX
			    ? kd_error_set(err, KD_ERR_USAGE, "the password is longer than %d bytes",
					   KD_PASSWORD_MAX)
			    : take(buf, len, ret, err);
	}
	fclose(f);
	explicit_bzero(buf, sizeof(buf));
	if (r < 0)
		kd_error_set_where(err, path, 0, NULL, NULL);
	return r;
}

static int
from_env(char *value, char **ret, struct kd_error *err)
{
	size_t len = strlen(value);
	int r = len > KD_PASSWORD_MAX ? kd_error_set(err, KD_ERR_USAGE,
						     "$" KD_PASSWORD_ENV " is longer than %d bytes",
						     KD_PASSWORD_MAX)
				      : take(value, len, ret, err);

	explicit_bzero(value, len);
	unsetenv(KD_PASSWORD_ENV);
	return r;
}

static int
from_tty(const char *prompt_for, char **ret, struct kd_error *err)
{
	char buf[KD_PASSWORD_MAX + 2], who[256];
	struct termios saved, quiet;
	sigset_t block, old;
	size_t len = 0;
	bool restored = false;
	int fd, r = 0;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_set(err, KD_ERR_IO,
				    "no password: give --password-file FILE or set $"
				    KD_PASSWORD_ENV " (no terminal to ask on: %s)",
				    strerror(errno));
	if (tcgetattr(fd, &saved) < 0) {
		r = kd_error_set(err, KD_ERR_IO, "no password: give --password-file FILE or set $"
				 KD_PASSWORD_ENV " (cannot use the terminal: %s)", strerror(errno));
		close(fd);
		return r;
	}
	/* Signals that would stop us with echo off wait until it is back on. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGTSTP);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	if (!prompt_for)
		prompt_for = "the simple bind";
	kd_escape_text(who, sizeof(who), prompt_for, strlen(prompt_for));
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		r = kd_error_set(err, KD_ERR_IO, "cannot turn the terminal's echo off: %s",
				 strerror(errno));
		goto out;
	}
	dprintf(fd, "Password for %s: ", who);
	for (;;) {
		ssize_t n = read(fd, buf + len, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf[len] == '\n')
			break;
		if (++len >= sizeof(buf)) {
			r = kd_error_set(err, KD_ERR_USAGE, "the password is longer than %d bytes",
					 KD_PASSWORD_MAX);
			break;
		}
	}
	tcsetattr(fd, TCSAFLUSH, &saved);
	restored = true;
	(void)!write(fd, "\n", 1);
	if (r == 0)
		r = take(buf, first_line(buf, len), ret, err);
out:
	if (!restored)
		tcsetattr(fd, TCSAFLUSH, &saved);
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int
kd_password_get(const char *file, const char *prompt_for, char **ret_password,
		struct kd_error *err)
{
	char *env;

	*ret_password = NULL;
	if (file)
		return from_file(file, ret_password, err);
	env = getenv(KD_PASSWORD_ENV);
	if (env)
		return from_env(env, ret_password, err);
	return from_tty(prompt_for, ret_password, err);
}
