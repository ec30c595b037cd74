/* SPDX-License-Identifier: MIT */
/* Test helpers: byte buffer, SID/ACE/ACL/SD encoder, data-file access, LDIF fixtures. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/guid.h"
#include "kdeleg/ldif.h"
#include "kdeleg/sid.h"
#include "testutil.h"

/* Test inputs are small; a runaway loop should fail loudly rather than eat memory. */
#define TU_BUF_MAX (256u * 1024u * 1024u)

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "testutil: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

void
tu_buf_init(struct tu_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
tu_buf_free(struct tu_buf *b)
{
	free(b->data);
	tu_buf_init(b);
}

void
tu_buf_append(struct tu_buf *b, const void *data, size_t len)
{
	if (len > TU_BUF_MAX - b->len)
		die("buffer limit reached", NULL);
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			die("out of memory", NULL);
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

void
tu_buf_u8(struct tu_buf *b, uint8_t v)
{
	tu_buf_append(b, &v, 1);
}

void
tu_buf_u16le(struct tu_buf *b, uint16_t v)
{
	uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	tu_buf_append(b, le, sizeof(le));
}

void
tu_buf_u32le(struct tu_buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	tu_buf_append(b, le, sizeof(le));
}

void
tu_buf_put_u16le(struct tu_buf *b, size_t pos, uint16_t v)
{
	if (pos > b->len || b->len - pos < 2)
		die("tu_buf_put_u16le past end", NULL);
	b->data[pos] = (uint8_t)v;
	b->data[pos + 1] = (uint8_t)(v >> 8);
}

void
tu_buf_put_u32le(struct tu_buf *b, size_t pos, uint32_t v)
{
	if (pos > b->len || b->len - pos < 4)
		die("tu_buf_put_u32le past end", NULL);
	for (size_t i = 0; i < 4; i++)
		b->data[pos + i] = (uint8_t)(v >> (8 * i));
}

void
tu_sid_append(struct tu_buf *b, const char *sid_text)
{
	struct kd_sid sid;
	uint8_t bin[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t n;

	if (kd_sid_from_string(sid_text, &sid, NULL) < 0)
		die("bad SID string", sid_text);
	n = kd_sid_to_binary(&sid, bin, sizeof(bin));
	tu_buf_append(b, bin, n);
}

void
tu_guid_append(struct tu_buf *b, const char *guid_text)
{
	struct kd_guid g;

	if (!kd_guid_from_string(guid_text, &g))
		die("bad GUID string", guid_text);
	tu_buf_append(b, g.bytes, sizeof(g.bytes));
}

bool
tu_ace_type_is_object(uint8_t type)
{
	return (type >= 0x05 && type <= 0x08) || type == 0x0b || type == 0x0c || type == 0x0f ||
	       type == 0x10;
}

void
tu_ace_append(struct tu_buf *b, const struct tu_ace *ace)
{
	size_t start = b->len;
	size_t size;

	tu_buf_u8(b, ace->type);
	tu_buf_u8(b, ace->flags);
	tu_buf_u16le(b, 0); /* patched below */
	tu_buf_u32le(b, ace->mask);
	if (tu_ace_type_is_object(ace->type)) {
		uint32_t flags =
		    (ace->object_type_guid ? 0x1u : 0) | (ace->inherited_type_guid ? 0x2u : 0);

		tu_buf_u32le(b, flags);
		if (ace->object_type_guid)
			tu_guid_append(b, ace->object_type_guid);
		if (ace->inherited_type_guid)
			tu_guid_append(b, ace->inherited_type_guid);
	}
	if (ace->sid)
		tu_sid_append(b, ace->sid);
	if (ace->app_len)
		tu_buf_append(b, ace->app_data, ace->app_len);
	size = b->len - start;
	if (size > UINT16_MAX)
		die("ACE too large", NULL);
	tu_buf_put_u16le(b, start + 2, ace->size_override ? ace->size_override : (uint16_t)size);
}

void
tu_acl_append(struct tu_buf *b, uint8_t revision, const struct tu_ace *aces, size_t n)
{
	size_t start = b->len;
	size_t size;

	if (revision == 0) {
		revision = 2;
		for (size_t i = 0; i < n; i++)
			if (tu_ace_type_is_object(aces[i].type))
				revision = 4;
	}
	if (n > UINT16_MAX)
		die("too many ACEs", NULL);
	tu_buf_u8(b, revision);
	tu_buf_u8(b, 0);
	tu_buf_u16le(b, 0); /* AclSize, patched below */
	tu_buf_u16le(b, (uint16_t)n);
	tu_buf_u16le(b, 0);
	for (size_t i = 0; i < n; i++)
		tu_ace_append(b, &aces[i]);
	size = b->len - start;
	if (size > UINT16_MAX)
		die("ACL too large", NULL);
	tu_buf_put_u16le(b, start + 2, (uint16_t)size);
}

size_t
tu_sd_encode(struct tu_buf *out, const struct tu_sd *sd)
{
	size_t start = out->len;
	uint16_t control = 0x8000u | sd->control_extra; /* SELF_RELATIVE */

	if (sd->dacl_present)
		control |= 0x0004u;
	if (sd->sacl_present)
		control |= 0x0010u;
	tu_buf_u8(out, 1);
	tu_buf_u8(out, 0);
	tu_buf_u16le(out, control);
	for (size_t i = 0; i < 4; i++)
		tu_buf_u32le(out, 0); /* owner, group, SACL, DACL offsets, patched below */
	if (sd->owner) {
		tu_buf_put_u32le(out, start + 4, (uint32_t)(out->len - start));
		tu_sid_append(out, sd->owner);
	}
	if (sd->group) {
		tu_buf_put_u32le(out, start + 8, (uint32_t)(out->len - start));
		tu_sid_append(out, sd->group);
	}
	if (sd->sacl_present) {
		tu_buf_put_u32le(out, start + 12, (uint32_t)(out->len - start));
		tu_acl_append(out, sd->sacl_revision, sd->sacl, sd->sacl_count);
	}
	if (sd->dacl_present && !sd->dacl_null) {
		tu_buf_put_u32le(out, start + 16, (uint32_t)(out->len - start));
		tu_acl_append(out, sd->dacl_revision, sd->dacl, sd->dacl_count);
	}
	return start;
}

size_t
tu_sd_build(struct tu_buf *out, const char *owner_sid_or_null, bool dacl_present,
            const struct tu_ace *aces, size_t n)
{
	struct tu_sd sd = {
	    .owner = owner_sid_or_null,
	    .dacl_present = dacl_present,
	    .dacl = aces,
	    .dacl_count = n,
	};

	return tu_sd_encode(out, &sd);
}

const char *
tu_data_path(const char *relative)
{
	static char path[4096];
	const char *dir = getenv("KD_TEST_DATA");
	int n;

	if (!dir || !*dir)
		dir = "tests/data";
	n = snprintf(path, sizeof(path), "%s/%s", dir, relative);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("data path too long", relative);
	return path;
}

uint8_t *
tu_read_file(const char *path, size_t *ret_len)
{
	struct tu_buf b = {0};
	uint8_t chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tu_buf_append(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		tu_buf_free(&b);
		return NULL;
	}
	fclose(f);
	/* Never NULL on success, even for an empty file. */
	if (!b.data) {
		tu_buf_append(&b, "", 1);
		b.len = 0;
	}
	*ret_len = b.len;
	return b.data;
}

char *
tu_read_data_text(const char *relative)
{
	size_t len;
	uint8_t *data = tu_read_file(tu_data_path(relative), &len);
	char *text;

	if (!data)
		die("cannot read test data", relative);
	text = realloc(data, len + 1);
	if (!text)
		die("out of memory", NULL);
	text[len] = '\0';
	return text;
}

char *
tu_xprintf(const char *fmt, ...)
{
	char *out = NULL;
	size_t len = 0;
	/* open_memstream: POSIX, no asprintf needed. */
	FILE *f = open_memstream(&out, &len);
	va_list ap;

	if (!f)
		die("out of memory", NULL);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		die("out of memory", NULL);
	return out;
}

char *
tu_base64(const uint8_t *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((len + 2) / 3) + 1), *p = out;

	if (!out)
		die("out of memory", NULL);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*p = '\0';
	return out;
}

int
tu_load_directory(const char *text, struct kd_directory **ret_dir, struct kd_error *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct kd_ldif *ldif = NULL;
	struct kd_directory *dir = NULL;
	const struct kd_entry *entry;
	int r;

	if (!f)
		die("fmemopen failed", NULL);
	kd_error_clear(err);
	if (kd_directory_new(&dir, err) != 0)
		die("kd_directory_new", err->message);
	if (kd_ldif_open(f, "test", kd_directory_attributes, &ldif, err) != 0)
		die("kd_ldif_open", err->message);
	for (;;) {
		struct kd_error lerr;

		kd_error_clear(&lerr);
		r = kd_ldif_next(ldif, &entry, &lerr);
		if (r != 0) {
			fprintf(stderr, "testutil: LDIF fixture error at line %zu: %s\n", lerr.line,
				lerr.message);
			abort();
		}
		if (!entry)
			break;
		r = kd_directory_add(dir, entry, err);
		if (r < 0)
			goto out;
	}
	r = kd_directory_finish(dir, err);
out:
	kd_ldif_free(ldif);
	fclose(f);
	*ret_dir = dir;
	return r;
}

void
tu_audit_run(struct tu_audit *a, const char *text)
{
	struct kd_error err;

	if (tu_load_directory(text, &a->dir, &err) != 0)
		die("load", err.message);
	kd_error_clear(&err);
	if (kd_analyze(a->dir, &a->findings, &err) != 0)
		die("kd_analyze", err.message);
}

void
tu_audit_free(struct tu_audit *a)
{
	kd_findings_free(&a->findings);
	kd_directory_free(a->dir);
}

const char *
tu_account_name(const struct tu_audit *a, const struct kd_finding *f)
{
	const struct kd_principal *p = kd_directory_get(a->dir, f->principal);

	return p ? p->name : "(domain)";
}

size_t
tu_count_findings(const struct tu_audit *a, const char *rule, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < a->findings.count; i++) {
		const struct kd_finding *f = &a->findings.items[i];

		if ((!rule || strcmp(f->rule->id, rule) == 0) &&
		    (!name || strcmp(tu_account_name(a, f), name) == 0))
			n++;
	}
	return n;
}
