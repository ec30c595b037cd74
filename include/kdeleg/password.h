/* SPDX-License-Identifier: MIT */
/* The password of a simple bind: from a file, the environment, or a prompt without echo. */
#pragma once

#include "kdeleg/error.h"

/* Longest password accepted, in bytes. */
#define KD_PASSWORD_MAX 1024

/* The environment variable read when no file is given. */
#define KD_PASSWORD_ENV "KDELEG_PASSWORD"

/*
 * Gets the password, never from the command line (ps would show it):
 *   1. @file when not NULL: its first line, without the line end ("-" is not stdin:
 *      a file name only);
 *   2. else $KDELEG_PASSWORD, which is then wiped and removed from the environment
 *      so that child processes and /proc/PID/environ readers do not see it;
 *   3. else a prompt on /dev/tty with echo off (termios), @prompt_for naming the
 *      account; SIGINT and friends wait until the terminal is restored.
 * On success *ret_password is a NUL-terminated copy, freed with kd_password_free().
 * An empty password is refused (KD_ERR_USAGE: it would make an anonymous bind).
 * Errors: KD_ERR_IO (unreadable file, no terminal), KD_ERR_USAGE, KD_ERR_NOMEM.
 */
int kd_password_get(const char *file, const char *prompt_for, char **ret_password,
		    struct kd_error *err);

/* Wipes (explicit_bzero) and frees; NULL is a no-op. */
void kd_password_free(char *password);
