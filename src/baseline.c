/* SPDX-License-Identifier: MIT */
/* Baselines: a saved JSON report, its findings keyed by fingerprint. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/baseline.h"
#include "kdeleg/report.h"

struct kd_baseline {
	json_t *doc;
	json_t *findings;       /* borrowed from doc */
	json_t *by_fingerprint; /* fingerprint -> finding (borrowed references) */
	const char *domain_sid; /* borrowed from doc, or NULL */
	/* --min-severity of the run that wrote it: findings below were not recorded */
	enum kd_severity min_severity;
	/* its --rule choice (id -> true), NULL for every rule: others were not recorded */
	json_t *rules;
	/* its --accept'ed findings by fingerprint: present, though not in findings */
	json_t *accepted;
};

static bool
is_fingerprint(const char *text)
{
	size_t n = 0;

	for (; text[n]; n++)
		if (!((text[n] >= '0' && text[n] <= '9') || (text[n] >= 'a' && text[n] <= 'f')))
			return false;
	return n == KD_FINGERPRINT_SIZE - 1;
}

/* @obj's @key is absent, null or a string. */
static bool
string_or_null(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return !v || json_is_null(v) || json_is_string(v);
}

static bool
boolean_or_absent(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return !v || json_is_boolean(v);
}

/*
 * The fields reports and NDJSON copy from a baseline have the types kdeleg writes
 * (docs/schema): a SIEM's mapping takes one type a field. details is an object; what
 * it holds is copied as recorded.
 */
static bool
optional_fields_ok(const json_t *f)
{
	static const char *const strings[] = {"title", "message", "remediation"};
	static const char *const account_strings[] = {"name", "dn", "sid", "kind"};
	const json_t *account = json_object_get(f, "account");
	const json_t *attack = json_object_get(f, "attack");
	const json_t *details = json_object_get(f, "details");

	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
		const json_t *v = json_object_get(f, strings[i]);

		if (v && !json_is_string(v))
			return false;
	}
	for (size_t i = 0; account && i < sizeof(account_strings) / sizeof(*account_strings); i++)
		if (!string_or_null(account, account_strings[i]))
			return false;
	for (size_t i = 0; i < json_array_size(attack); i++)
		if (!json_is_string(json_array_get(attack, i)))
			return false;
	return (!account || (json_is_object(account) && boolean_or_absent(account, "enabled") &&
			     boolean_or_absent(account, "tier0"))) &&
	       (!attack || json_is_array(attack)) && (!details || json_is_object(details));
}

static int
invalid(struct kd_error *err, const char *path, size_t index, const char *what)
{
	kd_error_set(err, KD_ERR_PARSE, "not a kdeleg JSON report: finding %zu: %s", index, what);
	kd_error_set_where(err, path, 0, NULL, NULL);
	return KD_ERR_PARSE;
}

/*
 * What the run that wrote @b left out of its findings without resolving it: the rules
 * --rule did not choose, and the findings --accept moved to "accepted".
 */
static int
load_filters(struct kd_baseline *b, const char *path, struct kd_error *err)
{
	const json_t *rules = json_object_get(b->doc, "rule_filter");
	const json_t *accepted = json_object_get(b->doc, "accepted");

	if ((rules && !json_is_array(rules)) || (accepted && !json_is_array(accepted))) {
		kd_error_set(err, KD_ERR_PARSE,
			     "not a kdeleg JSON report: rule_filter or accepted is not an array");
		kd_error_set_where(err, path, 0, NULL, NULL);
		return KD_ERR_PARSE;
	}
	if ((rules && !(b->rules = json_object())) || !(b->accepted = json_object()))
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
	for (size_t i = 0; i < json_array_size(rules); i++) {
		const char *id = json_string_value(json_array_get(rules, i));

		if (!id) {
			kd_error_set(err, KD_ERR_PARSE,
				     "not a kdeleg JSON report: rule_filter holds a non-string");
			kd_error_set_where(err, path, 0, NULL, NULL);
			return KD_ERR_PARSE;
		}
		if (json_object_set_new(b->rules, id, json_true()) < 0)
			return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
	}
	for (size_t i = 0; i < json_array_size(accepted); i++) {
		json_t *f = json_array_get(accepted, i);
		const char *fp = json_string_value(json_object_get(f, "fingerprint"));

		if (!fp || !is_fingerprint(fp)) {
			kd_error_set(err, KD_ERR_PARSE,
				     "not a kdeleg JSON report: accepted finding %zu has no "
				     "fingerprint of 32 lower-case hex digits",
				     i);
			kd_error_set_where(err, path, 0, NULL, NULL);
			return KD_ERR_PARSE;
		}
		if (json_object_set(b->accepted, fp, f) < 0)
			return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
	}
	return 0;
}

/* Checks @b->doc (untrusted: an edited file or another program's) and indexes it. */
static int
check_document(struct kd_baseline *b, const char *path, struct kd_error *err)
{
	json_t *tool, *version, *domain, *sid, *filter;
	int r = KD_ERR_PARSE;

	tool = json_object_get(json_object_get(b->doc, "tool"), "name");
	version = json_object_get(b->doc, "schema_version");
	b->findings = json_object_get(b->doc, "findings");
	if (!json_is_string(tool) || strcmp(json_string_value(tool), "kdeleg") != 0 ||
	    !json_is_integer(version) || !json_is_array(b->findings)) {
		kd_error_set(err, KD_ERR_PARSE,
			     "not a kdeleg JSON report (no tool.name \"kdeleg\", schema_version "
			     "or findings array): baselines are what 'kdeleg audit -f json' writes");
		kd_error_set_where(err, path, 0, NULL, NULL);
		return r;
	}
	if (json_integer_value(version) != KD_JSON_SCHEMA_VERSION) {
		kd_error_set(err, KD_ERR_PARSE,
			     "report schema_version %lld, this kdeleg reads %d: regenerate the "
			     "baseline",
			     (long long)json_integer_value(version), KD_JSON_SCHEMA_VERSION);
		kd_error_set_where(err, path, 0, NULL, NULL);
		return r;
	}
	domain = json_object_get(b->doc, "domain");
	sid = json_object_get(domain, "sid");
	if (sid && !json_is_string(sid) && !json_is_null(sid)) {
		kd_error_set(err, KD_ERR_PARSE, "not a kdeleg JSON report: domain.sid is not a string");
		kd_error_set_where(err, path, 0, NULL, NULL);
		return r;
	}
	b->domain_sid = json_is_string(sid) ? json_string_value(sid) : NULL;
	filter = json_object_get(json_object_get(b->doc, "filter"), "min_severity");
	if (filter && !kd_severity_parse(json_string_value(filter) ? json_string_value(filter) : "",
					 &b->min_severity)) {
		kd_error_set(err, KD_ERR_PARSE,
			     "not a kdeleg JSON report: filter.min_severity is not a severity");
		kd_error_set_where(err, path, 0, NULL, NULL);
		return r;
	}
	r = load_filters(b, path, err);
	if (r < 0)
		return r;
	r = KD_ERR_PARSE;
	b->by_fingerprint = json_object();
	if (!b->by_fingerprint) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
		return r;
	}
	for (size_t i = 0; i < json_array_size(b->findings); i++) {
		json_t *f = json_array_get(b->findings, i);
		json_t *fp = json_object_get(f, "fingerprint");
		json_t *rule = json_object_get(f, "rule");
		json_t *severity = json_object_get(f, "severity");
		enum kd_severity level;

		if (!json_is_object(f)) {
			r = invalid(err, path, i, "not an object");
			return r;
		}
		if (!json_is_string(rule) || !json_is_string(severity) ||
		    !kd_severity_parse(json_string_value(severity), &level)) {
			r = invalid(err, path, i, "no rule, or no known severity");
			return r;
		}
		/* a finding its own report's filters exclude: an edited or spliced file, which
		 * a diff would otherwise count as neither unchanged nor resolved */
		if (level < b->min_severity ||
		    (b->rules && !json_object_get(b->rules, json_string_value(rule)))) {
			r = invalid(err, path, i,
				    "outside the report's own filter (rule_filter or "
				    "filter.min_severity)");
			return r;
		}
		if (!optional_fields_ok(f)) {
			r = invalid(err, path, i,
				    "title, message or remediation not a string, account not an "
				    "account, attack not an array of strings, or details not an "
				    "object");
			return r;
		}
		if (!json_is_string(fp) || !is_fingerprint(json_string_value(fp))) {
			r = invalid(err, path, i, "no fingerprint of 32 lower-case hex digits");
			return r;
		}
		if (json_object_get(b->by_fingerprint, json_string_value(fp))) {
			r = invalid(err, path, i, "fingerprint repeated: a report has each once");
			return r;
		}
		if (json_object_set(b->by_fingerprint, json_string_value(fp), f) < 0) {
			r = kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
			return r;
		}
	}
	return 0;
}

/* Takes @doc (NULL: jansson failed with @jerr) and checks it; frees what it does not keep. */
static int
finish_load(json_t *doc, const json_error_t *jerr, bool cannot_open, const char *path,
	    struct kd_baseline **ret_baseline, struct kd_error *err)
{
	struct kd_baseline *b;
	int r;

	*ret_baseline = NULL;
	if (!doc) {
		/* jansson's own text names the line; the path is added as the source */
		r = kd_error_set(err, cannot_open ? KD_ERR_IO : KD_ERR_PARSE, "%s", jerr->text);
		kd_error_set_where(err, path, (size_t)(jerr->line > 0 ? jerr->line : 0), NULL,
				   NULL);
		return r;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		json_decref(doc);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory reading a baseline");
	}
	b->doc = doc;
	r = check_document(b, path, err);
	if (r < 0) {
		kd_baseline_free(b);
		return r;
	}
	*ret_baseline = b;
	return 0;
}

int
kd_baseline_load(const char *path, struct kd_baseline **ret_baseline, struct kd_error *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	return finish_load(doc, &jerr, !doc && json_error_code(&jerr) == json_error_cannot_open_file,
			   path, ret_baseline, err);
}

int
kd_baseline_parse(const char *text, size_t size, const char *name,
		  struct kd_baseline **ret_baseline, struct kd_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);

	return finish_load(doc, &jerr, false, name, ret_baseline, err);
}

void
kd_baseline_free(struct kd_baseline *baseline)
{
	if (!baseline)
		return;
	json_decref(baseline->by_fingerprint);
	json_decref(baseline->rules);
	json_decref(baseline->accepted);
	json_decref(baseline->doc);
	free(baseline);
}

const char *
kd_baseline_domain_sid(const struct kd_baseline *baseline)
{
	return baseline->domain_sid;
}

json_t *
kd_baseline_document(const struct kd_baseline *baseline)
{
	return baseline->doc;
}

/* A loaded finding's severity (checked at load). */
static enum kd_severity
severity_of(const json_t *f)
{
	enum kd_severity level = KD_SEV_INFO;

	kd_severity_parse(json_string_value(json_object_get(f, "severity")), &level);
	return level;
}

/* Whether the run that wrote @b recorded a finding of @rule at @severity (NULL @b: yes). */
static bool
recorded(const struct kd_baseline *b, const char *rule, enum kd_severity severity)
{
	return !b || (severity >= b->min_severity &&
		      (!b->rules || (rule && json_object_get(b->rules, rule))));
}

/*
 * The findings of @from that both @scope and @other recorded whose fingerprint
 * @seen (and @seen_accepted) lacks, in a new array; *ret_compared counts those
 * recorded.
 */
static json_t *
missing_from(const json_t *from, const json_t *seen, const json_t *seen_accepted,
	     const struct kd_baseline *scope, const struct kd_baseline *other,
	     size_t *ret_compared)
{
	json_t *out = json_array();

	*ret_compared = 0;
	for (size_t i = 0; out && i < json_array_size(from); i++) {
		json_t *f = json_array_get(from, i);
		const char *fp = json_string_value(json_object_get(f, "fingerprint"));
		const char *rule = json_string_value(json_object_get(f, "rule"));

		if (!recorded(scope, rule, severity_of(f)) || !recorded(other, rule, severity_of(f)))
			continue;
		++*ret_compared;
		if (!json_object_get(seen, fp) && !json_object_get(seen_accepted, fp) &&
		    json_array_append(out, f) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

int
kd_baseline_mark(const struct kd_baseline *baseline, struct kd_findings *findings,
		 json_t **ret_resolved, struct kd_error *err)
{
	json_t *now = json_object();
	size_t compared;

	*ret_resolved = NULL;
	for (size_t i = 0; now && i < findings->count; i++) {
		struct kd_finding *f = &findings->items[i];

		/* below the baseline's --min-severity, or of a rule its --rule left out, a
		 * finding was never recorded; one it accepted was there */
		if (!recorded(baseline, f->rule->id, f->severity))
			f->baseline = KD_MARK_NONE;
		else if (json_object_get(baseline->by_fingerprint, f->fingerprint) ||
			 json_object_get(baseline->accepted, f->fingerprint))
			f->baseline = KD_MARK_UNCHANGED;
		else
			f->baseline = KD_MARK_NEW;
		if (json_object_set_new(now, f->fingerprint, json_true()) < 0) {
			json_decref(now);
			now = NULL;
		}
	}
	if (now)
		*ret_resolved = missing_from(baseline->findings, now, NULL, NULL, NULL, &compared);
	json_decref(now);
	if (!*ret_resolved)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory comparing with the baseline");
	return 0;
}

int
kd_baseline_diff(const struct kd_baseline *before, const struct kd_baseline *now,
		 json_t **ret_new, json_t **ret_resolved, size_t *ret_unchanged,
		 struct kd_error *err)
{
	/* each report recorded only what its --min-severity and --rule let through, and
	 * the findings its --accept took out are still there */
	size_t compared_now, compared_before;

	*ret_new = missing_from(now->findings, before->by_fingerprint, before->accepted, before,
				now, &compared_now);
	*ret_resolved = missing_from(before->findings, now->by_fingerprint, now->accepted, before,
				     now, &compared_before);
	if (!*ret_new || !*ret_resolved) {
		json_decref(*ret_new);
		json_decref(*ret_resolved);
		*ret_new = *ret_resolved = NULL;
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory comparing reports");
	}
	*ret_unchanged = compared_now - json_array_size(*ret_new);
	return 0;
}
