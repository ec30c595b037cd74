/* SPDX-License-Identifier: MIT */
/* Masking a secret, and what looks like it, in text a peer sent before it is shown. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kdeleg/error.h"

/*
 * What counts as looking like the secret: the secret itself, its base64 (RFC 4648,
 * padded) and its hex, compared ASCII-case-insensitively, and any piece of one of
 * them KD_MASK_PIECE bytes long or more (the whole of it when shorter). A peer that
 * echoes a password back, whole, quoted, upper-cased, encoded or cut, has it masked
 * together with the rest of the word it sits in (up to white space).
 */
#define KD_MASK_PIECE 5
#define KD_MASK_TEXT "***"

struct kd_mask;

/*
 * A mask for @secret[0..len). The mask keeps copies of the secret's forms, wiped by
 * kd_mask_free(); the caller may wipe its own at once. An empty secret gives a NULL
 * mask (nothing to hide), which every call accepts. KD_ERR_NOMEM.
 */
int kd_mask_new(const char *secret, size_t len, struct kd_mask **ret_mask,
		struct kd_error *err);
/* Wipes and frees; NULL is a no-op. */
void kd_mask_free(struct kd_mask *mask);

/*
 * Copies @text[0..len) into @buf (always NUL-terminated, cut to @size - 1 bytes)
 * with every look-alike of the secret, widened to the white space around it,
 * replaced by KD_MASK_TEXT. A NUL in @text ends it. Returns true when something
 * was masked. @mask NULL: a plain copy. @size 0 writes nothing.
 */
bool kd_mask_apply(const struct kd_mask *mask, const char *text, size_t len, char *buf,
		   size_t size);
