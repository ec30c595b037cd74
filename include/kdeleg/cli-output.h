/* SPDX-License-Identifier: MIT */
/* A command's output (-o): whole or nothing, whatever the target is. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "kdeleg/error.h"

/*
 * Where -o PATH leads, decided once by kd_output_open():
 *  - NULL or "-": standard output, written as it comes (commands that must not leave
 *    part of their output refuse it themselves);
 *  - a regular file, or a name that does not exist yet: a temp file in the same
 *    directory (mode 0600), renamed over it when complete. Symbolic links are
 *    followed to their target, which is replaced; the link stays;
 *  - a file descriptor: /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N (also
 *    reached through symbolic links) mean descriptor N of this process, whoever runs
 *    it and whatever it is open on: nothing is created next to them;
 *  - anything else (a FIFO, a terminal, a device) is opened where it is;
 *  - in the last two cases the output is spooled to an unlinked temp file and copied
 *    there only when complete, so a reader never sees part of it (the null device
 *    alone is written directly: nothing reaches anyone).
 * A temp file is removed by kd_output_close() on failure, and by every terminating
 * signal that can be caught (SIGKILL cannot: the temp file stays, named
 * PATH.tmp.XXXXXX, mode 0600).
 */
struct kd_output {
	FILE *file; /* write the output here; owned by the output */
	/* private */
	char *target;    /* the regular file renamed over; NULL otherwise */
	char *temp_path; /* the temp file next to it */
	int dest_fd;     /* where a spool is copied; -1 when none */
	bool close_dest; /* dest_fd was opened here */
	bool spooled;
	const char *name; /* -o as given, for messages */
};

/*
 * Resolves @path and prepares the output. Errors name @path: KD_ERR_IO (a directory
 * that cannot take a temp file, a descriptor not open for writing, a symbolic link
 * loop), KD_ERR_NOMEM. Nothing is left behind on failure.
 */
int kd_output_open(struct kd_output *out, const char *path, struct kd_error *err);

/*
 * Finishes: with @success, flushes and syncs, then renames the temp file into place
 * (and syncs its directory) or copies the spool to its destination; without, removes
 * the temp file and writes nothing. KD_ERR_IO when finishing fails (the temp file is
 * then removed too). Always releases @out.
 */
int kd_output_close(struct kd_output *out, bool success, struct kd_error *err);
