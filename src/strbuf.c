/* SPDX-License-Identifier: MIT */
/* Bounded growing buffer, and escaping of untrusted text for terminals. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdeleg/strbuf.h"

void
kd_strbuf_init(struct kd_strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void
kd_strbuf_free(struct kd_strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

void
kd_strbuf_reset(struct kd_strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

const char *
kd_strbuf_str(const struct kd_strbuf *sb)
{
	return sb->data ? sb->data : "";
}

/* Makes room for @extra more bytes plus the NUL. */
static int
reserve(struct kd_strbuf *sb, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > sb->max || sb->len > sb->max - extra)
		return KD_ERR_NOMEM;
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (cap - 1 > sb->max) /* not `cap > max + 1`: wraps when max == SIZE_MAX */
		cap = sb->max + 1;
	p = realloc(sb->data, cap);
	if (!p)
		return KD_ERR_NOMEM;
	sb->data = p;
	sb->cap = cap;
	return 0;
}

int
kd_strbuf_append(struct kd_strbuf *sb, const void *data, size_t len)
{
	int r = reserve(sb, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
	return 0;
}

int
kd_strbuf_puts(struct kd_strbuf *sb, const char *text)
{
	return kd_strbuf_append(sb, text, strlen(text));
}

int
kd_strbuf_putc(struct kd_strbuf *sb, char c)
{
	return kd_strbuf_append(sb, &c, 1);
}

int
kd_strbuf_printf(struct kd_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KD_ERR_USAGE;
	r = reserve(sb, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

/*
 * Decodes the UTF-8 sequence at @s (RFC 3629: no overlongs, no surrogates, no NUL);
 * returns its length and the code point, 0 when invalid.
 */
static size_t
utf8_decode(const unsigned char *s, size_t avail, uint32_t *ret_cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80) {
		*ret_cp = c;
		return c ? 1 : 0;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

bool
kd_utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Appends the escaped form of one byte run through @put. */
/* U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069: reorder displayed text. */
static bool
is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static int
escape_into(int (*put)(void *ctx, const char *s, size_t n), void *ctx, const char *text,
	    size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	char tmp[8];
	uint32_t cp;
	int r;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			size_t j = i + 1;

			while (j < len && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '\\')
				j++;
			r = put(ctx, text + i, j - i);
			i = j;
		} else if (c == '\\') {
			r = put(ctx, "\\\\", 2);
			i++;
		} else if (c == '\n') {
			r = put(ctx, "\\n", 2);
			i++;
		} else if (c == '\t') {
			r = put(ctx, "\\t", 2);
			i++;
		} else if (c >= 0x80 && (n = utf8_decode(s + i, len - i, &cp)) > 0 &&
			   !(cp >= 0x80 && cp <= 0x9f)) {
			/* Valid UTF-8 passes; C1 controls (U+0080..U+009F) are escapes too, and
			 * so are the bidirectional controls that make a terminal show text
			 * in an order other than the bytes' (a name that reads as another). */
			if (is_bidi_control(cp)) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
				r = put(ctx, tmp, 6);
			} else {
				r = put(ctx, text + i, n);
			}
			i += n;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			r = put(ctx, tmp, 4);
			i++;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int
put_strbuf(void *ctx, const char *s, size_t n)
{
	return kd_strbuf_append(ctx, s, n);
}

int
kd_strbuf_append_safe(struct kd_strbuf *sb, const char *text, size_t len)
{
	return escape_into(put_strbuf, sb, text, len);
}

struct fixed {
	char *buf;
	size_t size;
	size_t used;
	size_t safe; /* last cut point that leaves room for "..." and the NUL */
	bool full;
};

static int
put_fixed(void *ctx, const char *s, size_t n)
{
	struct fixed *f = ctx;
	size_t room;

	if (f->full)
		return -1;
	room = f->size - f->used - 1; /* bytes left before the NUL */
	if (n <= room) {
		memcpy(f->buf + f->used, s, n);
		f->used += n;
		if (f->size - f->used >= 4)
			f->safe = f->used;
		return 0;
	}
	/*
	 * Does not fit. A printable ASCII run may be cut anywhere; an escape or a
	 * multi-byte character is never split. Either way keep room for "...".
	 */
	if (s[0] != '\\' && (unsigned char)s[0] >= 0x20 && (unsigned char)s[0] < 0x7f &&
	    f->size - f->used >= 4) {
		size_t k = f->size - f->used - 4;

		memcpy(f->buf + f->used, s, k);
		f->used += k;
		f->safe = f->used;
	}
	f->full = true;
	return -1;
}

void
kd_escape_text(char *buf, size_t size, const char *text, size_t len)
{
	struct fixed f = {buf, size, 0, 0, false};

	if (size == 0)
		return;
	if (size < 4) {
		buf[0] = '\0';
		return;
	}
	escape_into(put_fixed, &f, text, len);
	if (f.full) {
		f.used = f.safe;
		memcpy(buf + f.used, "...", 3);
		f.used += 3;
	}
	buf[f.used] = '\0';
}

/* Past this a DN is not quoted at all: a command that names nothing, never a cut one. */
#define PS_QUOTE_MAX (1u << 20)

/*
 * A PowerShell single-quoted literal. PowerShell also ends such a literal at the
 * typographic quotes U+2018..U+201B, so those are doubled like the ASCII one:
 * a DN holding one must not close the literal and run the rest as a command.
 */
char *
kd_ps_quote(const char *text)
{
	size_t len = strlen(text), o = 0;
	char *out;

	if (len > PS_QUOTE_MAX) /* a command that names nothing, never a truncated DN */
		return strdup("'<longer than 1 MiB: not quoted>'");
	out = malloc(2 * len + 3); /* every character doubled at worst, quotes, NUL */
	if (!out)
		return NULL;
	out[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		const unsigned char *u = (const unsigned char *)text + i;

		if (text[i] == '\'') {
			out[o++] = '\'';
		} else if (i + 2 < len && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 &&
			   u[2] <= 0x9b) {
			memcpy(out + o, text + i, 3);
			o += 3;
		}
		out[o++] = text[i];
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

/* Longest formatted text: directory text can make a message huge. */
#define FORMAT_MAX (1u << 20)

char *
kd_vformat(const char *fmt, va_list ap)
{
	va_list copy;
	char *out;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	if ((size_t)n <= FORMAT_MAX) {
		out = malloc((size_t)n + 1);
		if (out)
			vsnprintf(out, (size_t)n + 1, fmt, ap);
		return out;
	}
	/* Directory text can make a message huge; cut it, at a character boundary,
	 * rather than fail the audit. */
	out = malloc(FORMAT_MAX + 1);
	if (out) {
		size_t end = FORMAT_MAX - 3;

		vsnprintf(out, FORMAT_MAX + 1, fmt, ap);
		while (end > 0 && ((unsigned char)out[end] & 0xc0) == 0x80)
			end--;
		memcpy(out + end, "...", 4);
	}
	return out;
}

char *
kd_format(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = kd_vformat(fmt, ap);
	va_end(ap);
	return out;
}

void
kd_hex_lower(char *out, const void *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
kd_utc_now(char *buf, size_t size, bool date_only)
{
	time_t now = time(NULL), epoch = 0;
	struct tm tm;

	if (!size)
		return;
	if (now == (time_t)-1 || !gmtime_r(&now, &tm))
		gmtime_r(&epoch, &tm);
	if (strftime(buf, size, date_only ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}
