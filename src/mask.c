/* SPDX-License-Identifier: MIT */
/* Masking a password and its look-alikes in a DC's diagnostic text (kdeleg/mask.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/mask.h"
#include "kdeleg/strbuf.h"

/*
 * Why pieces and not only the whole secret: a DC (or a proxy in front of it) that
 * echoes the bind request puts the password in its diagnostic text, and what comes
 * back may be cut to a field width, upper-cased or encoded. Masking every five-byte
 * piece masks those too, at the price of masking a word of the DC's own that shares
 * five letters with the password: a false mask costs a word, a missed one a password.
 */

enum { FORM_PLAIN, FORM_BASE64, FORM_HEX, NFORMS };

struct kd_mask {
	char *form[NFORMS]; /* lower-cased, NUL-terminated */
	size_t len[NFORMS];
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void
kd_mask_free(struct kd_mask *m)
{
	if (!m)
		return;
	for (size_t f = 0; f < NFORMS; f++) {
		if (m->form[f])
			explicit_bzero(m->form[f], m->len[f]);
		free(m->form[f]);
	}
	free(m);
}

int
kd_mask_new(const char *secret, size_t len, struct kd_mask **ret_mask, struct kd_error *err)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct kd_mask *m;
	const unsigned char *s = (const unsigned char *)secret;

	*ret_mask = NULL;
	if (len == 0)
		return 0;
	if (len > SIZE_MAX / 2 - 4)
		return kd_error_set(err, KD_ERR_NOMEM, "secret too long to mask");
	m = calloc(1, sizeof(*m));
	if (!m)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	m->len[FORM_PLAIN] = len;
	m->len[FORM_BASE64] = (len + 2) / 3 * 4;
	m->len[FORM_HEX] = len * 2;
	for (size_t f = 0; f < NFORMS; f++) {
		m->form[f] = malloc(m->len[f] + 1);
		if (!m->form[f]) {
			kd_mask_free(m);
			return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		}
		m->form[f][m->len[f]] = '\0';
	}
	for (size_t i = 0; i < len; i++)
		m->form[FORM_PLAIN][i] = (char)lower(s[i]);
	kd_hex_lower(m->form[FORM_HEX], s, len);
	for (size_t i = 0, o = 0; i < len; i += 3, o += 4) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		m->form[FORM_BASE64][o] = (char)lower((unsigned char)b64[(v >> 18) & 63]);
		m->form[FORM_BASE64][o + 1] = (char)lower((unsigned char)b64[(v >> 12) & 63]);
		m->form[FORM_BASE64][o + 2] =
			i + 1 < len ? (char)lower((unsigned char)b64[(v >> 6) & 63]) : '=';
		m->form[FORM_BASE64][o + 3] = i + 2 < len ? (char)lower((unsigned char)b64[v & 63])
							  : '=';
	}
	*ret_mask = m;
	return 0;
}

/* Whether @text[at..at+n) equals @piece[0..n) ignoring ASCII case (piece is lower case). */
static bool
same_folded(const unsigned char *text, const char *piece, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(text[i]) != (unsigned char)piece[i])
			return false;
	return true;
}

/* Marks in @hit every byte of @text that a piece of @form covers. */
static void
mark_form(const unsigned char *text, size_t len, const char *form, size_t flen, bool *hit)
{
	size_t piece = flen < KD_MASK_PIECE ? flen : KD_MASK_PIECE;

	if (piece == 0 || len < piece)
		return;
	for (size_t at = 0; at + piece <= len; at++)
		for (size_t j = 0; j + piece <= flen; j++)
			if (same_folded(text + at, form + j, piece)) {
				memset(hit + at, 1, piece);
				break;
			}
}

bool
kd_mask_apply(const struct kd_mask *m, const char *text, size_t len, char *buf, size_t size)
{
	const unsigned char *t = (const unsigned char *)text;
	bool *hit = NULL, masked = false;
	size_t o = 0;

	if (size == 0)
		return false;
	len = strnlen(text, len);
	if (m && len > 0)
		hit = calloc(len, sizeof(*hit));
	if (m && len > 0 && !hit) {
		/* cannot tell what to hide: hide all of it */
		snprintf(buf, size, "%s", KD_MASK_TEXT);
		return true;
	}
	if (hit) {
		for (size_t f = 0; f < NFORMS; f++)
			mark_form(t, len, m->form[f], m->len[f], hit);
		/* widen each hit to its word: the rest of a cut or quoted echo goes too */
		for (size_t i = 0; i < len; i++) {
			if (!hit[i] || (i > 0 && hit[i - 1]))
				continue;
			for (size_t k = i; k > 0 && !is_space(t[k - 1]); k--)
				hit[k - 1] = true;
		}
		for (size_t i = len; i-- > 0;)
			if (hit[i] && i + 1 < len && !hit[i + 1] && !is_space(t[i + 1]))
				for (size_t k = i + 1; k < len && !is_space(t[k]); k++)
					hit[k] = true;
	}
	for (size_t i = 0; i < len && o + 1 < size;) {
		if (hit && hit[i]) {
			size_t n = strlen(KD_MASK_TEXT);

			if (o + n >= size)
				break;
			memcpy(buf + o, KD_MASK_TEXT, n);
			o += n;
			while (i < len && hit[i])
				i++;
			masked = true;
			continue;
		}
		buf[o++] = text[i++];
	}
	buf[o] = '\0';
	free(hit);
	return masked;
}
