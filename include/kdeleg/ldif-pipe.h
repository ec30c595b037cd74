/* SPDX-License-Identifier: MIT */
/* An LDIF snapshot read on a second thread, its entries handed over in batches. */
#pragma once

#include <stdio.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"

/*
 * Parsing a snapshot and building the model from it cost about the same (half a
 * second each for a million accounts), so on two cores they overlap: a thread
 * runs kd_ldif_next() and copies each entry into a batch, the caller takes the
 * entries in order. The contract is kd_ldif_next()'s: the same entries, the same
 * errors after the same entries. Memory stays bounded: a few batches of about
 * 1 MiB, or of one entry when an entry is larger.
 */
struct kd_ldif_pipe;

/* Starts reading @file (borrowed: keep it open until kd_ldif_pipe_free). */
int kd_ldif_pipe_open(FILE *file, const char *source, const char *const *wanted,
		      struct kd_ldif_pipe **ret_pipe, struct kd_error *err);

/* As kd_ldif_next(): the next entry, valid until the next call, or NULL at the end. */
int kd_ldif_pipe_next(struct kd_ldif_pipe *pipe, const struct kd_entry **ret_entry,
		      struct kd_error *err);

/* Stops the reader thread (also early, after an error on either side) and frees. */
void kd_ldif_pipe_free(struct kd_ldif_pipe *pipe);
