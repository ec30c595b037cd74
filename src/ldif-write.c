/* SPDX-License-Identifier: MIT */
/* RFC 2849 LDIF writer for snapshots that src/ldif.c reads back byte for byte. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kdeleg/ldif-write.h"
#include "kdeleg/ldif.h"
#include "kdeleg/strbuf.h"

bool
kd_ldif_safe_string(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;

	if (len == 0)
		return true;
	/* SAFE-INIT-CHAR excludes SPACE, ':' and '<' (a URL value) */
	if (s[0] == ' ' || s[0] == ':' || s[0] == '<')
		return false;
	if (s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* An attribute name the reader takes as is: keystring or numeric OID, lower case. */
static bool
name_ok(const char *name)
{
	size_t n = strlen(name);
	bool dot = true;

	if (n == 0)
		return false;
	if (name[0] >= 'a' && name[0] <= 'z') {
		for (size_t i = 0; i < n; i++) {
			char c = name[i];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return false;
		}
		/* the reader starts records with these, or refuses them inside one */
		return strcmp(name, "dn") != 0 && strcmp(name, "changetype") != 0;
	}
	/* numericoid: digits separated by single dots, neither first nor last */
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (name[i] >= '0' && name[i] <= '9') {
			dot = false;
		} else {
			return false;
		}
	}
	return !dot;
}

static void
put(FILE *out, const void *data, size_t len)
{
	if (len)
		fwrite(data, 1, len, out);
}

/* Base64 (RFC 4648, padded, no line breaks) straight to @out, 3 KiB at a time. */
static void
put_base64(FILE *out, const unsigned char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char buf[4096];
	size_t n = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		buf[n++] = alphabet[(v >> 18) & 63];
		buf[n++] = alphabet[(v >> 12) & 63];
		buf[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		buf[n++] = i + 2 < len ? alphabet[v & 63] : '=';
		if (n > sizeof(buf) - 4) {
			put(out, buf, n);
			n = 0;
		}
	}
	put(out, buf, n);
}

/* "name: value" or "name:: base64", and the end of line. */
static void
put_line(FILE *out, const char *name, const char *data, size_t len)
{
	fputs(name, out);
	if (kd_ldif_safe_string(data, len)) {
		/* "name:" alone for an empty value: the reader skips spaces after ':' */
		if (len) {
			fputs(": ", out);
			put(out, data, len);
		} else {
			fputc(':', out);
		}
	} else {
		fputs(":: ", out);
		put_base64(out, (const unsigned char *)data, len);
	}
	fputc('\n', out);
}

/* The logical line put_line() writes for a value, without its newline. */
static size_t
line_length(const char *name, const char *data, size_t len)
{
	if (kd_ldif_safe_string(data, len))
		return strlen(name) + 2 + len;
	return strlen(name) + 3 + (len + 2) / 3 * 4;
}

static int
write_failed(struct kd_error *err)
{
	return kd_error_set(err, KD_ERR_IO, "writing the snapshot failed: %s",
			    errno ? strerror(errno) : "stream error");
}

int
kd_ldif_write_header(FILE *out, const char *source, const char *plan, time_t when,
		     struct kd_error *err)
{
	char safe[512], stamp[32];
	struct tm tm;

	/* kd_escape_text turns CR/LF into \r \n: the comment stays one line */
	kd_escape_text(safe, sizeof(safe), source ? source : "", source ? strlen(source) : 0);
	if (!gmtime_r(&when, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "unknown");
	errno = 0;
	fprintf(out,
		"version: 1\n"
		KD_LDIF_KDELEG_HEADER " a directory snapshot for 'kdeleg audit --ldif'\n"
		"# source: %s\n"
		"# time: %s\n"
		KD_LDIF_PLAN_PREFIX "%s\n"
		"\n",
		safe, stamp, plan);
	return ferror(out) ? write_failed(err) : 0;
}

int
kd_ldif_write_trailer(FILE *out, size_t entries, struct kd_error *err)
{
	errno = 0;
	fprintf(out, KD_LDIF_TRAILER_PREFIX "%zu" KD_LDIF_TRAILER_SUFFIX "\n", entries);
	return ferror(out) ? write_failed(err) : 0;
}

int
kd_ldif_write_entry(FILE *out, const struct kd_entry *entry, struct kd_error *err)
{
	/* Check everything before writing, so that a refused entry leaves no half record. */
	if (!kd_utf8_valid(entry->dn, entry->dn_len)) {
		kd_error_set(err, KD_ERR_PARSE, "the DN is not UTF-8 text");
		kd_error_set_where(err, NULL, 0, entry->dn, NULL);
		return KD_ERR_PARSE;
	}
	for (size_t i = 0; i < entry->nattrs; i++) {
		if (!name_ok(entry->attrs[i].name)) {
			char quoted[96];

			kd_escape_text(quoted, sizeof(quoted), entry->attrs[i].name,
				       strlen(entry->attrs[i].name));
			kd_error_set(err, KD_ERR_USAGE,
				     "attribute name '%s' cannot be written as LDIF (lower-case "
				     "name or numeric OID expected)",
				     quoted);
			kd_error_set_where(err, NULL, 0, entry->dn, NULL);
			return KD_ERR_USAGE;
		}
	}
	/* The reader refuses longer lines: a snapshot must never be unreadable. */
	if (line_length("dn", entry->dn, entry->dn_len) > KD_LDIF_LINE_MAX) {
		kd_error_set(err, KD_ERR_USAGE, "the DN is too long for an LDIF line");
		return KD_ERR_USAGE;
	}
	for (size_t i = 0; i < entry->nattrs; i++) {
		const struct kd_attr *a = &entry->attrs[i];

		for (size_t j = 0; j < a->nvalues; j++) {
			if (line_length(a->name, a->values[j].data, a->values[j].len) >
			    KD_LDIF_LINE_MAX) {
				kd_error_set(err, KD_ERR_USAGE,
					     "a value of %zu bytes is too long for an LDIF line "
					     "(%zu at most)",
					     a->values[j].len, KD_LDIF_LINE_MAX);
				kd_error_set_where(err, NULL, 0, entry->dn, a->name);
				return KD_ERR_USAGE;
			}
		}
	}
	errno = 0;
	put_line(out, "dn", entry->dn, entry->dn_len);
	for (size_t i = 0; i < entry->nattrs; i++) {
		const struct kd_attr *a = &entry->attrs[i];

		for (size_t j = 0; j < a->nvalues; j++)
			put_line(out, a->name, a->values[j].data, a->values[j].len);
	}
	fputc('\n', out);
	return ferror(out) ? write_failed(err) : 0;
}
