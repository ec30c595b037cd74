/* SPDX-License-Identifier: MIT */
/*
 * Accepted risks: the --accept file (docs/accepted-risks.md). One entry a line:
 *
 *   FINGERPRINT  EXPIRES  BY  [facts=DIGEST]  REASON...
 *
 * '#' starts a comment line; blank lines are skipped. The file is edited by hand
 * and may be edited by anyone with write access to it, so it is parsed as
 * untrusted: every field checked, every line bounded, nothing skipped silently.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/arena.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/sha256.h"
#include "kdeleg/strbuf.h"

struct kd_accept {
	char *name;
	struct kd_acceptance *items;
	size_t count, cap;
	struct kd_hashtab index; /* fingerprint -> item */
};

static int
parse_error(struct kd_error *err, const char *name, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
parse_error(struct kd_error *err, const char *name, size_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, KD_ERR_PARSE, fmt, ap);
	va_end(ap);
	kd_error_set_where(err, name, line, NULL, NULL);
	return KD_ERR_PARSE;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_hex32(const char *p, size_t len)
{
	if (len != KD_FINGERPRINT_SIZE - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

static unsigned
digits(const char *p, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	return v;
}

/* A real calendar date, YYYY-MM-DD, year 2000..9999. */
static bool
is_date(const char *p, size_t len)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;

	if (len != 10 || p[4] != '-' || p[7] != '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (i != 4 && i != 7 && (p[i] < '0' || p[i] > '9'))
			return false;
	y = digits(p, 4);
	m = digits(p + 5, 2);
	d = digits(p + 8, 2);
	if (y < 2000 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* The next whitespace-separated word of [*p, end), or length 0 at the end. */
static size_t
word(const char **p, const char *end)
{
	const char *start;

	while (*p < end && is_space(**p))
		(*p)++;
	start = *p;
	while (*p < end && !is_space(**p))
		(*p)++;
	return (size_t)(*p - start);
}

/* One entry line [p, end), already free of NUL and CR/LF. */
static int
parse_line(struct kd_accept *acc, const char *p, const char *end, size_t line,
	   struct kd_error *err)
{
	struct kd_acceptance e = {.line = line};
	const char *w;
	size_t n;

	n = word(&p, end);
	w = p - n;
	if (!is_hex32(w, n))
		return parse_error(err, acc->name, line,
				   "the first field is not a fingerprint (32 lower-case hex "
				   "digits, as in the JSON report's \"fingerprint\")");
	memcpy(e.fingerprint, w, n);
	n = word(&p, end);
	w = p - n;
	if (!is_date(w, n))
		return parse_error(err, acc->name, line,
				   "the second field is not an expiry date YYYY-MM-DD");
	memcpy(e.expires, w, n);
	n = word(&p, end);
	w = p - n;
	if (!n)
		return parse_error(err, acc->name, line, "no BY field (who accepted it)");
	if (n > 128)
		return parse_error(err, acc->name, line, "the BY field is over 128 bytes");
	e.by = strndup(w, n);
	n = word(&p, end);
	w = p - n;
	if (n >= 6 && memcmp(w, "facts=", 6) == 0) {
		if (!is_hex32(w + 6, n - 6)) {
			free(e.by);
			return parse_error(err, acc->name, line,
					   "facts= is not 32 lower-case hex digits");
		}
		memcpy(e.facts, w + 6, n - 6);
	} else {
		p = w; /* the reason starts here */
	}
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end) {
		free(e.by);
		return parse_error(err, acc->name, line, "no REASON (why the risk is accepted)");
	}
	e.reason = strndup(p, (size_t)(end - p));
	if (!e.by || !e.reason)
		goto nomem;
	if (!kd_grow_array((void **)&acc->items, &acc->cap, acc->count, sizeof(e), 16))
		goto nomem;
	acc->items[acc->count++] = e;
	return 0;
nomem:
	free(e.by);
	free(e.reason);
	return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading %s", acc->name);
}

/* A reason or BY shown in reports: UTF-8, and no control character a terminal obeys. */
static bool
line_text_ok(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 ? p[i] != '\t' : p[i] == 0x7f)
			return false;
	return kd_utf8_valid(p, len);
}

int
kd_accept_parse(const char *text, size_t len, const char *name, struct kd_accept **ret,
		struct kd_error *err)
{
	struct kd_accept *acc = calloc(1, sizeof(*acc));
	const char *p = text, *end = text + len;
	size_t line = 0;
	int r = 0;

	if (!name)
		name = "<accept>";
	if (!acc || !(acc->name = strdup(name))) {
		free(acc);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading %s", name);
	}
	kd_hashtab_init(&acc->index);
	if (len > KD_ACCEPT_FILE_MAX) {
		r = parse_error(err, acc->name, 0, "over %u bytes: not an accepted-risk list",
				KD_ACCEPT_FILE_MAX);
		goto out;
	}
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end, *q = p;

		line++;
		if ((size_t)(stop - p) > KD_ACCEPT_LINE_MAX) {
			r = parse_error(err, acc->name, line, "line over %u bytes",
					KD_ACCEPT_LINE_MAX);
			break;
		}
		if (stop > p && stop[-1] == '\r') /* edited on Windows */
			stop--;
		if (!line_text_ok(p, (size_t)(stop - p))) {
			r = parse_error(err, acc->name, line,
					"control character, NUL or invalid UTF-8");
			break;
		}
		while (q < stop && is_space(*q))
			q++;
		if (q < stop && *q != '#') {
			if (acc->count == KD_ACCEPT_ENTRIES_MAX)
				r = parse_error(err, acc->name, line, "over %u entries",
						KD_ACCEPT_ENTRIES_MAX);
			else
				r = parse_line(acc, q, stop, line, err);
		}
		p = nl ? nl + 1 : end;
	}
	/* the index borrows the fingerprints: built once the array stops moving */
	if (r == 0 && kd_hashtab_reserve(&acc->index, acc->count) < 0)
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory reading %s", acc->name);
	for (size_t i = 0; r == 0 && i < acc->count; i++) {
		uint32_t first;

		r = kd_hashtab_put(&acc->index, acc->items[i].fingerprint,
				   KD_FINGERPRINT_SIZE - 1, (uint32_t)i, &first);
		if (r == 1)
			r = parse_error(err, acc->name, acc->items[i].line,
					"fingerprint %s is accepted already on line %zu",
					acc->items[i].fingerprint, acc->items[first].line);
		else if (r < 0)
			r = kd_error_set(err, KD_ERR_NOMEM, "out of memory reading %s",
					 acc->name);
	}
out:
	if (r < 0) {
		kd_accept_free(acc);
		return r;
	}
	*ret = acc;
	return 0;
}

int
kd_accept_load(const char *path, struct kd_accept **ret, struct kd_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (!f) {
		r = kd_error_set(err, KD_ERR_IO, "cannot open: %s", strerror(errno));
		kd_error_set_where(err, path, 0, NULL, NULL);
		return r;
	}
	/* one byte over the limit tells a too-long file from one exactly at it */
	buf = malloc(KD_ACCEPT_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading %s", path);
	}
	len = fread(buf, 1, KD_ACCEPT_FILE_MAX + 1, f);
	if (ferror(f)) {
		r = kd_error_set(err, KD_ERR_IO, "cannot read: %s", strerror(errno));
		kd_error_set_where(err, path, 0, NULL, NULL);
	} else {
		r = kd_accept_parse(buf, len, path, ret, err);
	}
	fclose(f);
	free(buf);
	return r;
}

void
kd_accept_free(struct kd_accept *acc)
{
	if (!acc)
		return;
	for (size_t i = 0; i < acc->count; i++) {
		free(acc->items[i].by);
		free(acc->items[i].reason);
	}
	kd_hashtab_free(&acc->index);
	free(acc->items);
	free(acc->name);
	free(acc);
}

size_t
kd_accept_count(const struct kd_accept *acc)
{
	return acc ? acc->count : 0;
}

const struct kd_acceptance *
kd_accept_entry(const struct kd_accept *acc, size_t i)
{
	return acc && i < acc->count ? &acc->items[i] : NULL;
}

const char *
kd_accept_name(const struct kd_accept *acc)
{
	return acc->name;
}

/* jansson's dump callback: the canonical text goes straight into the hash. */
static int
hash_tokens(const char *buffer, size_t size, void *data)
{
	kd_sha256_update(data, buffer, size);
	return 0;
}

void
kd_accept_facts(enum kd_severity severity, const json_t *details, char out[KD_FINGERPRINT_SIZE])
{
	uint8_t digest[KD_SHA256_SIZE];
	struct kd_sha256 ctx;
	const char *level = kd_severity_name(severity);

	out[0] = '\0';
	if (!details)
		return;
	/* severity too: a rule raising its verdict (a target turned tier 0) is a change */
	kd_sha256_init(&ctx);
	kd_sha256_update(&ctx, level, strlen(level) + 1);
	if (json_dump_callback(details, hash_tokens, &ctx, JSON_COMPACT | JSON_SORT_KEYS) < 0)
		return;
	kd_sha256_final(&ctx, digest);
	kd_hex_lower(out, digest, (KD_FINGERPRINT_SIZE - 1) / 2);
}

struct kd_acceptance *
kd_accept_match(struct kd_accept *acc, const char *fingerprint, const char *facts,
		const char *today)
{
	struct kd_acceptance *e;
	uint32_t at;

	if (!acc || !fingerprint || strlen(fingerprint) != KD_FINGERPRINT_SIZE - 1 ||
	    !kd_hashtab_get(&acc->index, fingerprint, KD_FINGERPRINT_SIZE - 1, &at))
		return NULL;
	e = &acc->items[at];
	e->used = true;
	if (e->facts[0] && (!facts || strcmp(e->facts, facts) != 0)) {
		e->changed = true;
		return NULL;
	}
	/* valid through the expiry day: dates compare as text */
	return strcmp(e->expires, today) < 0 ? NULL : e;
}

int
kd_accept_apply(struct kd_accept *acc, struct kd_findings *findings,
		struct kd_findings *ret_accepted, const char *today, struct kd_error *err)
{
	struct kd_findings *out = ret_accepted;
	size_t kept = 0, n = 0;
	char facts[KD_FINGERPRINT_SIZE];

	memset(out, 0, sizeof(*out));
	out->items = calloc(findings->count ? findings->count : 1, sizeof(*out->items));
	if (!out->items)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory applying %s", acc->name);
	for (size_t i = 0; i < findings->count; i++) {
		struct kd_finding *f = &findings->items[i];
		const struct kd_acceptance *e;

		kd_accept_facts(f->severity, f->details, facts);
		e = kd_accept_match(acc, f->fingerprint, facts, today);
		if (!e) {
			findings->items[kept++] = *f;
			continue;
		}
		f->acceptance = e;
		findings->by_severity[f->severity]--;
		out->by_severity[f->severity]++;
		out->items[n++] = *f;
	}
	findings->count = kept;
	out->count = n;
	return 0;
}

const struct kd_acceptance *
kd_accept_match_json(struct kd_accept *acc, const json_t *f, const char *today)
{
	char facts[KD_FINGERPRINT_SIZE];
	const char *severity = json_string_value(json_object_get(f, "severity"));
	enum kd_severity level;

	if (!acc || !f)
		return NULL;
	/* a saved report may be edited: an unknown severity matches no facts= */
	if (!severity || !kd_severity_parse(severity, &level))
		level = KD_SEV_INFO;
	kd_accept_facts(level, json_object_get(f, "details"), facts);
	return kd_accept_match(acc, json_string_value(json_object_get(f, "fingerprint")), facts,
			       today);
}

size_t
kd_accept_count_json(struct kd_accept *acc, const json_t *list, const char *today)
{
	size_t n = 0;

	for (size_t i = 0; acc && i < json_array_size(list); i++)
		n += kd_accept_match_json(acc, json_array_get(list, i), today) != NULL;
	return n;
}

const char *
kd_accept_warning(const struct kd_accept *acc, size_t i, const char *today)
{
	const struct kd_acceptance *e = kd_accept_entry(acc, i);

	if (!e)
		return NULL;
	/* first: an entry that matched nothing has nothing to report again, expired or not */
	if (!e->used)
		return "no finding has this fingerprint now (fixed, or a typing error?)";
	if (strcmp(e->expires, today) < 0)
		return "the acceptance expired: the finding is reported again";
	if (e->changed)
		return "the finding changed since it was accepted (facts= differs): it is "
		       "reported again";
	return NULL;
}

void
kd_accept_today(char *buf, size_t size)
{
	kd_utc_now(buf, size, true);
}

json_t *
kd_accept_json(const struct kd_acceptance *e)
{
	return json_pack("{s:s, s:s, s:s, s:I}", "reason", e->reason, "by", e->by, "expires",
			 e->expires, "line", (json_int_t)e->line);
}
