/* SPDX-License-Identifier: MIT */
/* `kdeleg verify` rendered: checks with their errors and fixes, for people and programs. */
#include "config.h"

#include <string.h>

#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define OUT_MAX ((size_t)16 << 20)

static const char *
verdict_words(const struct kd_verify_result *r)
{
	switch (r->verdict) {
	case KD_VERDICT_YES:
		return "WORKS";
	case KD_VERDICT_CONDITIONAL:
		return "DEPENDS ON A CONDITIONAL ACE";
	case KD_VERDICT_UNCERTAIN:
		return "UNCERTAIN";
	default:
		return "DOES NOT WORK";
	}
}

static const char *
protocol_name(enum kd_verify_protocol protocol)
{
	return protocol == KD_VERIFY_ANY ? "any" : "kerberos";
}

/* Directory text, escaped; each line of a multi-line fix on its own indented line. */
static int
put_lines(struct kd_strbuf *sb, const char *label, const char *value)
{
	const char *line = value;
	int r = 0;

	while (r == 0 && line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		r = kd_strbuf_puts(sb, line == value ? label : "              ");
		if (r == 0)
			r = kd_strbuf_append_safe(sb, line, len);
		if (r == 0)
			r = kd_strbuf_putc(sb, '\n');
		line = end ? end + 1 : NULL;
	}
	return r;
}

int
kd_report_verify_text(FILE *out, const struct kd_directory *dir,
		      const struct kd_verify_result *result, bool color, struct kd_error *err)
{
	const struct kd_principal *f = kd_directory_get(dir, result->frontend);
	const struct kd_principal *u = kd_directory_get(dir, result->user);
	const struct kd_principal *b = kd_directory_get(dir, result->backend);
	struct kd_strbuf sb;
	int r;

	kd_strbuf_init(&sb, OUT_MAX);
	r = kd_strbuf_puts(&sb, color ? "\033[1mkdeleg verify\033[0m: " : "kdeleg verify: ");
	if (r == 0)
		r = kd_strbuf_append_safe(&sb, f->name, strlen(f->name));
	if (r == 0)
		r = kd_strbuf_puts(&sb, " -> ");
	if (r == 0)
		r = kd_strbuf_append_safe(&sb, result->spn, strlen(result->spn));
	if (r == 0 && b) {
		r = kd_strbuf_puts(&sb, " (");
		if (r == 0)
			r = kd_strbuf_append_safe(&sb, b->name, strlen(b->name));
		if (r == 0)
			r = kd_strbuf_puts(&sb, ")");
	}
	if (r == 0)
		r = kd_strbuf_puts(&sb, " for ");
	if (r == 0)
		r = u ? kd_strbuf_append_safe(&sb, u->name, strlen(u->name))
		      : kd_strbuf_puts(&sb, "any delegable user");
	if (r == 0)
		r = kd_strbuf_printf(&sb, ", protocol %s\nverdict: %s%s%s%s\n\n",
				     protocol_name(result->protocol), verdict_words(result),
				     result->mechanism ? " (" : "",
				     result->mechanism ? result->mechanism : "",
				     result->mechanism ? " delegation)" : "");
	for (size_t k = 0; r == 0 && k < result->nchecks; k++) {
		const struct kd_verify_check *c = &result->checks[k];
		/* a check that failed on a path the KDC then left (classic, before RBCD
		 * carried it) did not stop anything */
		bool works = result->verdict == KD_VERDICT_YES;
		const char *mark = c->outcome == KD_VERDICT_YES  ? "[ ok ]"
				   : c->outcome != KD_VERDICT_NO ? "[ ?? ]"
				   : works                       ? "[ -- ]"
								 : "[FAIL]";

		r = kd_strbuf_printf(&sb, "  %s %s\n", mark, c->name);
		if (r == 0)
			r = put_lines(&sb, "         ", c->detail);
		if (r == 0 && c->error && c->outcome != KD_VERDICT_YES && !works)
			r = kd_strbuf_printf(&sb, "         error: %s\n", c->error);
		if (r == 0 && c->fix)
			r = put_lines(&sb, "         fix:  ", c->fix);
	}
	if (r < 0) {
		kd_strbuf_free(&sb);
		return kd_error_set(err, r, "the verify report is too large");
	}
	if (fputs(kd_strbuf_str(&sb), out) == EOF) {
		kd_strbuf_free(&sb);
		return kd_error_set(err, KD_ERR_IO, "writing the report failed");
	}
	kd_strbuf_free(&sb);
	return kd_report_finish(out, err);
}

static json_t *
account_or_null(const struct kd_directory *dir, uint32_t index)
{
	return index == KD_NONE ? json_null() : kd_json_account(dir, index);
}

static json_t *
outcome_json(enum kd_verdict outcome)
{
	return outcome == KD_VERDICT_YES ? json_true()
	       : outcome == KD_VERDICT_NO ? json_false()
					  : json_null();
}

json_t *
kd_report_verify_object(const struct kd_directory *dir, const struct kd_verify_result *result)
{
	json_t *checks = json_array(), *doc;

	for (size_t k = 0; checks && k < result->nchecks; k++) {
		const struct kd_verify_check *c = &result->checks[k];
		json_t *check = json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "name", c->name,
					  "passed", outcome_json(c->outcome), "outcome",
					  kd_verdict_name(c->outcome), "detail",
					  kd_json_text(c->detail), "fix", kd_json_text(c->fix), "error",
					  c->error && c->outcome != KD_VERDICT_YES &&
							  result->verdict != KD_VERDICT_YES
						  ? json_string(c->error)
						  : json_null());

		if (!check || json_array_append_new(checks, check) < 0) {
			json_decref(checks);
			return NULL;
		}
	}
	if (!checks)
		return NULL;
	doc = json_pack("{s:b, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "allowed",
			result->verdict == KD_VERDICT_YES, "verdict",
			kd_verdict_name(result->verdict), "mechanism",
			result->mechanism ? json_string(result->mechanism) : json_null(),
			"frontend", account_or_null(dir, result->frontend), "spn",
			kd_json_text(result->spn), "backend",
			account_or_null(dir, result->backend), "user",
			account_or_null(dir, result->user), "protocol",
			protocol_name(result->protocol), "checks", checks);
	return doc;
}

int
kd_report_verify_json(FILE *out, const struct kd_directory *dir,
		      const struct kd_verify_result *result, struct kd_error *err)
{
	json_t *doc = kd_report_verify_object(dir, result);
	int r;

	if (!doc)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	r = kd_report_write_json(out, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER, err);
	json_decref(doc);
	return r < 0 ? r : kd_report_finish(out, err);
}

int
kd_report_explain(FILE *out, bool json, const struct kd_error_cause *const *causes, size_t n,
		  struct kd_error *err)
{
	json_t *list;
	int r;

	if (!json) {
		for (size_t k = 0; k < n; k++)
			fprintf(out, "%s, seen in %s:\n  %s\n  checked by: kdeleg verify (%s)\n%s",
				causes[k]->code, causes[k]->seen, causes[k]->cause, causes[k]->check,
				k + 1 < n ? "\n" : "");
		return kd_report_finish(out, err);
	}
	list = json_array();
	for (size_t k = 0; list && k < n; k++) {
		json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "code", causes[k]->code, "seen",
				      causes[k]->seen, "cause", causes[k]->cause, "check",
				      causes[k]->check);

		if (!c || json_array_append_new(list, c) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (!list)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	r = kd_report_write_json(out, list, JSON_INDENT(2) | JSON_PRESERVE_ORDER, err);
	json_decref(list);
	return r < 0 ? r : kd_report_finish(out, err);
}
