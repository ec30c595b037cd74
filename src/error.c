/* SPDX-License-Identifier: MIT */
/* Error records: set once where a failure is found, formatted once by the CLI. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kdeleg/error.h"
#include "kdeleg/strbuf.h"

void
kd_error_clear(struct kd_error *err)
{
	/* Field by field: parsers clear one per value, a memset of 1 KiB each shows. */
	if (!err)
		return;
	err->code = 0;
	err->message[0] = '\0';
	err->source[0] = '\0';
	err->line = 0;
	err->entry[0] = '\0';
	err->attribute[0] = '\0';
	err->offset = 0;
	err->has_offset = false;
}

int
kd_error_setv(struct kd_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int
kd_error_set(struct kd_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

static void
copy_if_empty(char *dst, size_t size, const char *src)
{
	if (src && dst[0] == '\0')
		snprintf(dst, size, "%s", src);
}

void
kd_error_set_where(struct kd_error *err, const char *source, size_t line, const char *entry,
		   const char *attribute)
{
	if (!err)
		return;
	copy_if_empty(err->source, sizeof(err->source), source);
	copy_if_empty(err->entry, sizeof(err->entry), entry);
	copy_if_empty(err->attribute, sizeof(err->attribute), attribute);
	if (err->line == 0)
		err->line = line;
}

void
kd_error_set_offset(struct kd_error *err, size_t offset)
{
	if (!err)
		return;
	err->offset = offset;
	err->has_offset = true;
}

void
kd_error_format(const struct kd_error *err, char *buf, size_t size)
{
	char escaped[sizeof(err->entry) * 2];
	size_t used = 0;
	int n;

	if (size == 0)
		return;
	buf[0] = '\0';
#define APPEND(...)                                                                   \
	do {                                                                          \
		n = snprintf(buf + used, size - used, __VA_ARGS__);                   \
		if (n < 0 || (size_t)n >= size - used)                                \
			return;                                                       \
		used += (size_t)n;                                                    \
	} while (0)
	/* "source:line: entry 'DN' attribute A byte N: message", absent parts left out */
	if (err->source[0] != '\0') {
		kd_escape_text(escaped, sizeof(escaped), err->source, strlen(err->source));
		if (err->line)
			APPEND("%s:%zu", escaped, err->line);
		else
			APPEND("%s", escaped);
	}
	if (err->entry[0] != '\0') {
		kd_escape_text(escaped, sizeof(escaped), err->entry, strlen(err->entry));
		APPEND("%sentry '%s'", used ? ": " : "", escaped);
	}
	if (err->attribute[0] != '\0') {
		kd_escape_text(escaped, sizeof(escaped), err->attribute, strlen(err->attribute));
		APPEND("%sattribute %s", err->entry[0] ? " " : used ? ": " : "", escaped);
	}
	if (err->has_offset)
		APPEND("%sbyte %zu",
		       err->entry[0] || err->attribute[0] ? " " : used ? ": " : "", err->offset);
	kd_escape_text(escaped, sizeof(escaped), err->message, strlen(err->message));
	APPEND("%s%s", used ? ": " : "", escaped);
#undef APPEND
}

const char *
kd_status_name(int code)
{
	switch (code) {
	case KD_OK:
		return "success";
	case KD_ERR_NOMEM:
		return "out of memory";
	case KD_ERR_PARSE:
		return "parse error";
	case KD_ERR_IO:
		return "I/O error";
	case KD_ERR_USAGE:
		return "usage error";
	case KD_ERR_INCOMPLETE:
		return "incomplete data";
	case KD_ERR_CONNECT:
		return "connection failed";
	default:
		return "unknown error";
	}
}
