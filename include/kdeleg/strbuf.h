/* SPDX-License-Identifier: MIT */
/* Growing byte buffer with a hard maximum, and escaping of untrusted text. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "kdeleg/error.h"

/*
 * A NUL-terminated buffer that grows up to @max bytes (curl's dynbuf). Appends
 * that would pass the maximum fail with KD_ERR_NOMEM and leave it unchanged.
 * Initialise with kd_strbuf_init(); release with kd_strbuf_free().
 */
struct kd_strbuf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;
};

void kd_strbuf_init(struct kd_strbuf *sb, size_t max);
void kd_strbuf_free(struct kd_strbuf *sb);
/* Empties the buffer but keeps its memory. */
void kd_strbuf_reset(struct kd_strbuf *sb);
/* The contents; "" when nothing was appended. Valid until the next change. */
const char *kd_strbuf_str(const struct kd_strbuf *sb);

int kd_strbuf_append(struct kd_strbuf *sb, const void *data, size_t len);
int kd_strbuf_puts(struct kd_strbuf *sb, const char *text);
int kd_strbuf_putc(struct kd_strbuf *sb, char c);
int kd_strbuf_printf(struct kd_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends untrusted text for a terminal: printable ASCII and valid UTF-8 pass,
 * control characters (C0, DEL, C1), invalid UTF-8 and backslashes become \xNN,
 * \\, \n, \t escapes, bidirectional controls \uNNNN, so directory data can never
 * move the cursor, change colours or reorder what is shown.
 */
int kd_strbuf_append_safe(struct kd_strbuf *sb, const char *text, size_t len);

/* Same escaping into a fixed buffer, truncated with "..." when it does not fit. */
void kd_escape_text(char *buf, size_t size, const char *text, size_t len);

/*
 * The current time in UTC into @buf: "YYYY-MM-DD" when @date_only, else RFC 3339
 * "YYYY-MM-DDTHH:MM:SSZ"; the epoch in the same form when the clock cannot be read,
 * so callers always get a well-formed stamp.
 */
void kd_utc_now(char *buf, size_t size, bool date_only);

/* @n bytes as 2*@n lower-case hex digits and a NUL into @out (2*@n + 1 bytes). */
void kd_hex_lower(char *out, const void *bytes, size_t n);

/* True when @text[0..len) is valid UTF-8 without NUL. */
bool kd_utf8_valid(const char *text, size_t len);

/*
 * @text as a PowerShell single-quoted literal, malloc'd (NULL on ENOMEM): ' and the
 * typographic quotes U+2018..U+201B, which also end such a literal, are doubled.
 * Text over 1 MiB gives a literal that names nothing rather than a cut one.
 */
char *kd_ps_quote(const char *text);

/*
 * printf into a malloc'd string (NULL on ENOMEM). Past 1 MiB the text is cut at
 * a UTF-8 character boundary and ends in "...": directory text must not make a
 * message fail the run.
 */
char *kd_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *kd_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
