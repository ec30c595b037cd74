/* SPDX-License-Identifier: MIT */
/* `kdeleg diff OLD.json NEW.json`: what appeared and what went away between reports. */
#include "config.h"

#include <string.h>

#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define OUT_MAX ((size_t)1 << 30)

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "?";
}

/* {generated_at, source, domain} of one report, for the header. */
static json_t *
report_ref(const json_t *doc, const char *name)
{
	return json_pack("{s:o, s:O*, s:O*, s:O*}", "file", kd_json_text(name), "generated_at",
			 json_object_get(doc, "generated_at"), "source",
			 json_object_get(doc, "source"), "domain", json_object_get(doc, "domain"));
}

static int
diff_json(FILE *out, const struct kd_diff *diff, struct kd_error *err)
{
	json_t *doc = json_pack("{s:i, s:{s:s, s:s}, s:o, s:o, s:{s:I, s:I, s:I}, s:O, s:O}",
				"schema_version", KD_JSON_SCHEMA_VERSION, "tool", "name",
				"kdeleg", "version", KD_VERSION, "before",
				report_ref(diff->before, diff->before_name), "after",
				report_ref(diff->now, diff->now_name), "counts", "new",
				(json_int_t)json_array_size(diff->added), "resolved",
				(json_int_t)json_array_size(diff->resolved), "unchanged",
				(json_int_t)diff->unchanged, "new", diff->added, "resolved",
				diff->resolved);
	int r;

	if (!doc)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while writing the diff");
	r = kd_report_write_json(out, doc, JSON_INDENT(2), err);
	json_decref(doc);
	return r;
}

/* @doc's @key when it is an object (a new reference), else null. */
static json_t *
object_of(const json_t *doc, const char *key)
{
	json_t *value = json_object_get(doc, key);

	return json_is_object(value) ? json_incref(value) : json_null();
}

/*
 * The same records as `audit -f ndjson --baseline`: each new and resolved finding
 * an ECS alert of the newer report's domain, then a summary record.
 */
static int
diff_ndjson(FILE *out, const struct kd_diff *diff, struct kd_error *err)
{
	const json_t *lists[] = {diff->added, diff->resolved};
	const char *marks[] = {"new", "resolved"};
	char when[32];
	struct kd_ndjson_common c = {.when = when};
	json_t *rec;
	int r = 0;

	kd_report_timestamp(when, sizeof(when));
	c.domain = object_of(diff->now, "domain");
	c.source = object_of(diff->now, "source");
	c.observer = kd_report_observer();
	if (!c.domain || !c.source || !c.observer)
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	for (size_t l = 0; r == 0 && l < 2; l++)
		for (size_t i = 0; r == 0 && i < json_array_size(lists[l]); i++)
			r = kd_report_ndjson_put(out,
						 kd_report_ndjson_alert(&c, json_array_get(lists[l], i),
									marks[l], diff->before_name),
						 err);
	if (r == 0) {
		rec = kd_report_ndjson_summary(
			&c, json_sprintf("kdeleg diff: %zu new, %zu resolved, %zu unchanged",
					 json_array_size(diff->added),
					 json_array_size(diff->resolved), diff->unchanged));
		if (rec && json_object_set_new(json_object_get(rec, "kdeleg"), "baseline",
					       json_pack("{s:o, s:I, s:I, s:I}", "source",
							 kd_json_text(diff->before_name), "new",
							 (json_int_t)json_array_size(diff->added),
							 "unchanged", (json_int_t)diff->unchanged,
							 "resolved",
							 (json_int_t)json_array_size(diff->resolved))) < 0) {
			json_decref(rec);
			rec = NULL;
		}
		r = kd_report_ndjson_put(out, rec, err);
	}
	json_decref(c.domain);
	json_decref(c.source);
	json_decref(c.observer);
	return r;
}

static int
text_list(struct kd_strbuf *sb, const char *heading, const json_t *list)
{
	char buf[96];
	int r;

	snprintf(buf, sizeof(buf), "\n%s (%zu)\n", heading, json_array_size(list));
	r = kd_strbuf_puts(sb, buf);
	for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
		const json_t *f = json_array_get(list, i);
		const char *name = str(json_object_get(f, "account"), "name");
		const char *message = str(f, "message");

		const char *severity = str(f, "severity"), *rule = str(f, "rule");
		size_t pad = strlen(rule) < 26 ? 26 - strlen(rule) : 0;

		/* every string here comes from a file someone may have edited */
		snprintf(buf, sizeof(buf), "%*s ", (int)pad, "");
		if ((r = kd_strbuf_puts(sb, "  ")) == 0 &&
		    (r = kd_strbuf_append_safe(sb, severity, strlen(severity))) == 0 &&
		    (r = kd_strbuf_putc(sb, ' ')) == 0 &&
		    (r = kd_strbuf_append_safe(sb, rule, strlen(rule))) == 0 &&
		    (r = kd_strbuf_puts(sb, buf)) == 0 &&
		    (r = kd_strbuf_append_safe(sb, name, strlen(name))) == 0 &&
		    (r = kd_strbuf_puts(sb, "\n      ")) == 0 &&
		    (r = kd_strbuf_append_safe(sb, message, strlen(message))) == 0)
			r = kd_strbuf_putc(sb, '\n');
	}
	return r;
}

static int
diff_text(FILE *out, const struct kd_diff *diff, struct kd_error *err)
{
	struct kd_strbuf sb;
	char buf[160];
	int r;

	kd_strbuf_init(&sb, OUT_MAX);
	r = kd_strbuf_puts(&sb, "kdeleg diff: ");
	if (r == 0)
		r = kd_strbuf_append_safe(&sb, diff->before_name, strlen(diff->before_name));
	if (r == 0)
		r = kd_strbuf_puts(&sb, " -> ");
	if (r == 0)
		r = kd_strbuf_append_safe(&sb, diff->now_name, strlen(diff->now_name));
	snprintf(buf, sizeof(buf), "\n%zu new, %zu resolved, %zu unchanged\n",
		 json_array_size(diff->added), json_array_size(diff->resolved), diff->unchanged);
	if (r == 0)
		r = kd_strbuf_puts(&sb, buf);
	if (r == 0 && json_array_size(diff->added))
		r = text_list(&sb, "NEW", diff->added);
	if (r == 0 && json_array_size(diff->resolved))
		r = text_list(&sb, "RESOLVED", diff->resolved);
	if (r < 0) {
		kd_strbuf_free(&sb);
		return kd_error_set(err, r, "out of memory while writing the diff");
	}
	fwrite(kd_strbuf_str(&sb), 1, sb.len, out);
	kd_strbuf_free(&sb);
	return 0;
}

int
kd_report_diff(FILE *out, enum kd_report_format format, const struct kd_diff *diff,
	       struct kd_error *err)
{
	int r;

	switch (format) {
	case KD_FORMAT_JSON:
		r = diff_json(out, diff, err);
		break;
	case KD_FORMAT_NDJSON:
		r = diff_ndjson(out, diff, err);
		break;
	case KD_FORMAT_TEXT:
		r = diff_text(out, diff, err);
		break;
	default:
		return kd_error_set(err, KD_ERR_USAGE, "kdeleg diff writes text, json or ndjson");
	}
	return r < 0 ? r : kd_report_finish(out, err);
}
