/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: masking a DC's text (src/mask.c). The input is a secret, a NUL, then
 * the text. Whatever the text, the output is bounded and terminated, and holds no
 * KD_MASK_PIECE-byte piece of the secret (compared without case), but for pieces
 * with a '*' in them, which the mask itself and the text around it could make up.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/mask.h"

#include "testutil.h"

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Whether @piece[0..n) occurs in @text, ignoring ASCII case. */
static bool
contains(const char *text, size_t len, const char *piece, size_t n)
{
	for (size_t at = 0; at + n <= len; at++) {
		size_t i = 0;

		while (i < n && fold((unsigned char)text[at + i]) == fold((unsigned char)piece[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *sep = memchr(in, '\0', size);
	size_t slen, tlen, olen, piece;
	struct kd_mask *m = NULL;
	char out[512];
	bool masked;

	if (!sep)
		return 0;
	slen = (size_t)(sep - in);
	tlen = size - slen - 1;
	TU_CHECK(kd_mask_new(in, slen, &m, NULL) == 0);
	TU_CHECK((m == NULL) == (slen == 0));
	memset(out, 'Z', sizeof(out));
	masked = kd_mask_apply(m, sep + 1, tlen, out, sizeof(out));
	olen = strnlen(out, sizeof(out));
	TU_CHECK(olen < sizeof(out));
	TU_CHECK(!masked || strstr(out, KD_MASK_TEXT));
	piece = slen < KD_MASK_PIECE ? slen : KD_MASK_PIECE;
	for (size_t at = 0; m && at + piece <= slen && piece > 0; at++)
		if (!memchr(in + at, '*', piece))
			TU_CHECK(!contains(out, olen, in + at, piece));
	/* no mask: a plain, cut copy */
	if (!m)
		TU_CHECK(strncmp(out, sep + 1, olen) == 0);
	kd_mask_free(m);
	return 0;
}
