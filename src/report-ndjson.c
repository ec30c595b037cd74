/* SPDX-License-Identifier: MIT */
/*
 * NDJSON for SIEMs: one self-contained record a line, for `audit` and `diff` alike.
 * Field names follow Elastic ECS (KD_ECS_VERSION: event.*, rule.*, threat.*, user.*,
 * observer.*); the rest lives under "kdeleg". Every field has one JSON type in every
 * record (null where a value is not known): dynamic mappings never conflict.
 * docs/json-output.md and docs/schema/kdeleg-ndjson.schema.json describe them.
 */
#include "config.h"

#include <string.h>

#include "kdeleg/report.h"
#include "report-private.h"

/* ECS event.severity: a number that sorts, 1 (info) to 5 (critical). */
static json_int_t
severity_number(enum kd_severity severity)
{
	return (json_int_t)severity + 1;
}

static json_t *
event(const char *kind, const char *dataset, const char *type, json_int_t severity)
{
	json_t *e = json_pack("{s:s, s:[s], s:[s], s:s, s:s}", "kind", kind, "category",
			      "configuration", "type", type, "module", "kdeleg", "dataset",
			      dataset);

	if (e && severity && json_object_set_new(e, "severity", json_integer(severity)) < 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* {"@timestamp", ecs, event, observer, kdeleg: {schema_version, domain, source}} */
static json_t *
record(const struct kd_ndjson_common *c, json_t *ev)
{
	return json_pack("{s:s, s:{s:s}, s:o, s:O, s:{s:i, s:O, s:O}}", "@timestamp", c->when,
			 "ecs", "version", KD_ECS_VERSION, "event", ev, "observer", c->observer,
			 "kdeleg", "schema_version", KD_NDJSON_SCHEMA_VERSION, "domain",
			 c->domain, "source", c->source);
}

/*
 * @obj's @key as a new reference when it has @type, else null: resolved findings
 * and diffs copy what another run (maybe another version, maybe edited) wrote, and
 * a field of the wrong type would make a SIEM's mapping reject whole records.
 */
static json_t *
typed(const json_t *obj, const char *key, json_type type)
{
	json_t *value = json_object_get(obj, key);

	return value && json_typeof(value) == type ? json_incref(value) : json_null();
}

/* @obj's @key as a new reference when it is a boolean, else null. */
static json_t *
typed_boolean(const json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	return json_is_boolean(value) ? json_incref(value) : json_null();
}

/* A finding's account reference with only its own fields, each of its own type. */
static json_t *
account(const json_t *a)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "name", typed(a, "name", JSON_STRING),
			 "dn", typed(a, "dn", JSON_STRING), "sid", typed(a, "sid", JSON_STRING),
			 "kind", typed(a, "kind", JSON_STRING), "enabled",
			 typed_boolean(a, "enabled"), "tier0", typed_boolean(a, "tier0"));
}

/* Appends @id, its name and its page to @group ({id, name, reference}) once. */
static int
add_attack(json_t *group, const char *id)
{
	json_t *ids = json_object_get(group, "id");
	const char *name = kd_attack_name(id);
	char url[96];

	for (size_t i = 0; i < json_array_size(ids); i++)
		if (strcmp(json_string_value(json_array_get(ids, i)), id) == 0)
			return 0;
	if (!name || !kd_attack_url(id, url, sizeof(url)))
		return 0; /* an id this version does not know: not half an entry */
	if (json_array_append_new(ids, json_string(id)) < 0 ||
	    json_array_append_new(json_object_get(group, "name"), json_string(name)) < 0 ||
	    json_array_append_new(json_object_get(group, "reference"), json_string(url)) < 0)
		return KD_ERR_NOMEM;
	return 0;
}

/*
 * ECS threat.*: the parent technique of each id in threat.technique, sub-techniques
 * (T1550.003) in threat.technique.subtechnique, the rule's tactics in threat.tactic;
 * each an array of ids, names and attack.mitre.org pages, in step. The catalogue's ids
 * for a rule it knows (a resolved finding may come from an older version), else the
 * finding's own.
 */
static json_t *
threat(const json_t *finding_attack, const struct kd_rule *rule)
{
	json_t *own = rule ? kd_report_attack(rule) : NULL;
	const json_t *attack = rule ? own : finding_attack;
	json_t *t = json_pack("{s:s, s:{s:[], s:[], s:[], s:{s:[], s:[], s:[]}}, s:{s:[], s:[], "
			      "s:[]}}",
			      "framework", "MITRE ATT&CK", "technique", "id", "name", "reference",
			      "subtechnique", "id", "name", "reference", "tactic", "id", "name",
			      "reference");
	json_t *technique = json_object_get(t, "technique");
	json_t *sub = json_object_get(technique, "subtechnique");
	int r = t ? 0 : KD_ERR_NOMEM;

	for (size_t i = 0; r == 0 && i < json_array_size(attack); i++) {
		const char *id = json_string_value(json_array_get(attack, i));
		char parent[16];

		if (!id || strlen(id) >= sizeof(parent))
			continue;
		memcpy(parent, id, strlen(id) + 1);
		parent[strcspn(parent, ".")] = '\0';
		r = add_attack(technique, parent);
		if (r == 0 && strchr(id, '.'))
			r = add_attack(sub, id);
	}
	for (size_t k = 0; r == 0 && rule && k < KD_RULE_TACTICS_MAX && rule->tactics[k]; k++)
		r = add_attack(json_object_get(t, "tactic"), rule->tactics[k]);
	if (rule && !own)
		r = KD_ERR_NOMEM;
	json_decref(own);
	if (r < 0) {
		json_decref(t);
		return NULL;
	}
	return t;
}

int
kd_report_ndjson_finding(json_t *rec, const json_t *f, const char *status,
			 const char *baseline)
{
	json_t *kd = json_object_get(rec, "kdeleg");
	json_t *acct = json_object_get(f, "account");
	json_t *domain = json_object_get(kd, "domain");
	json_t *details = json_object_get(f, "details");
	const char *rule_id = json_string_value(json_object_get(f, "rule"));
	const struct kd_rule *rule = rule_id ? kd_rule_find(rule_id) : NULL;

	if (json_object_set_new(rec, "message", typed(f, "message", JSON_STRING)) < 0 ||
	    json_object_set_new(rec, "rule",
				json_pack("{s:o, s:o, s:s, s:s?}", "id",
					  typed(f, "rule", JSON_STRING), "name",
					  typed(f, "title", JSON_STRING), "ruleset", "kdeleg",
					  "reference", rule ? rule->reference : NULL)) < 0 ||
	    json_object_set_new(rec, "threat", threat(json_object_get(f, "attack"), rule)) < 0 ||
	    json_object_set_new(rec, "user",
				json_pack("{s:o, s:o, s:o}", "name",
					  typed(acct, "name", JSON_STRING), "id",
					  typed(acct, "sid", JSON_STRING), "domain",
					  typed(domain, "dns_name", JSON_STRING))) < 0 ||
	    json_object_set_new(kd, "fingerprint", typed(f, "fingerprint", JSON_STRING)) < 0 ||
	    json_object_set_new(kd, "severity", typed(f, "severity", JSON_STRING)) < 0 ||
	    json_object_set_new(kd, "account", account(acct)) < 0 ||
	    json_object_set_new(kd, "details",
				json_is_object(details) ? json_incref(details) : json_null()) < 0 ||
	    json_object_set_new(kd, "remediation", typed(f, "remediation", JSON_STRING)) < 0)
		return KD_ERR_NOMEM;
	/* --accept: why this finding is out of the verdict */
	if (json_is_object(json_object_get(f, "acceptance")) &&
	    json_object_set(kd, "acceptance", json_object_get(f, "acceptance")) < 0)
		return KD_ERR_NOMEM;
	/* an object in every record that has it: the summary's counts sit beside source */
	if (status && json_object_set_new(kd, "baseline",
					  json_pack("{s:s, s:o}", "status", status, "source",
						    kd_json_text(baseline))) < 0)
		return KD_ERR_NOMEM;
	return 0;
}

json_t *
kd_report_ndjson_alert(const struct kd_ndjson_common *c, const json_t *f, const char *status,
		       const char *baseline)
{
	const char *severity = json_string_value(json_object_get(f, "severity"));
	enum kd_severity level = KD_SEV_INFO;
	json_t *rec;

	kd_severity_parse(severity ? severity : "", &level);
	/* a resolved finding changes the configuration's state: the SIEM may close it */
	rec = record(c, event("alert", "kdeleg.finding",
			      status && strcmp(status, "resolved") == 0 ? "change" : "info",
			      severity_number(level)));
	if (rec && kd_report_ndjson_finding(rec, f, status, baseline) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

json_t *
kd_report_ndjson_summary(const struct kd_ndjson_common *c, json_t *message)
{
	json_t *rec = record(c, event("event", "kdeleg.summary", "info", 0));

	if (!rec || !message || json_object_set_new(rec, "message", message) < 0 ||
	    json_object_set_new(json_object_get(rec, "kdeleg"), "complete", json_true()) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

int
kd_report_ndjson_put(FILE *out, json_t *rec, struct kd_error *err)
{
	int r;

	if (!rec)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while writing the report");
	r = kd_report_write_json(out, rec, JSON_COMPACT, err);
	json_decref(rec);
	return r;
}

int
kd_report_ndjson(FILE *out, const struct kd_directory *dir,
		 const struct kd_findings *findings, const struct kd_report_meta *meta,
		 struct kd_error *err)
{
	char when[32];
	struct kd_ndjson_common c = {.when = when};
	json_t *rec = NULL, *kd;
	int r = KD_ERR_NOMEM;

	kd_report_timestamp(when, sizeof(when));
	c.domain = kd_report_domain(dir);
	c.observer = kd_report_observer();
	c.source = json_pack("{s:s, s:o}", "kind", meta->source_kind, "name",
			     kd_json_text(meta->source));
	if (!c.domain || !c.observer || !c.source)
		goto nomem;
	for (size_t i = 0; i < findings->count; i++) {
		const struct kd_finding *f = &findings->items[i];
		json_t *saved = kd_report_finding(dir, f);

		rec = saved ? kd_report_ndjson_alert(&c, saved, kd_report_mark_name(f->baseline),
						     meta->baseline)
			    : NULL;
		json_decref(saved);
		if ((r = kd_report_ndjson_put(out, rec, err)) < 0)
			goto out;
	}
	/* Accepted risks: events, not alerts, each with its kdeleg.acceptance. */
	for (size_t i = 0; meta->accepted && i < meta->accepted->count; i++) {
		const struct kd_finding *f = &meta->accepted->items[i];
		json_t *saved = kd_report_finding(dir, f);

		rec = saved ? kd_report_ndjson_alert(&c, saved, kd_report_mark_name(f->baseline),
						     meta->baseline)
			    : NULL;
		json_decref(saved);
		if (rec && json_object_set_new(json_object_get(rec, "event"), "kind",
					       json_string("event")) < 0) {
			json_decref(rec);
			rec = NULL;
		}
		if ((r = kd_report_ndjson_put(out, rec, err)) < 0)
			goto out;
	}
	/* Findings of the baseline that are gone: the SIEM can close its alerts. */
	for (size_t i = 0; meta->resolved && i < json_array_size(meta->resolved); i++) {
		rec = kd_report_ndjson_alert(&c, json_array_get(meta->resolved, i), "resolved",
					     meta->baseline);
		if ((r = kd_report_ndjson_put(out, rec, err)) < 0)
			goto out;
	}
	rec = kd_report_ndjson_summary(&c, json_sprintf("kdeleg audit: %zu finding%s",
							findings->count,
							findings->count == 1 ? "" : "s"));
	kd = json_object_get(rec, "kdeleg");
	if (!rec || json_object_set_new(kd, "counts", kd_report_counts(dir, findings)) < 0 ||
	    json_object_set_new(kd, "summary", kd_report_summary(findings, meta)) < 0)
		goto nomem;
	if (meta->min_severity &&
	    json_object_set_new(kd, "filter",
				json_pack("{s:s, s:I}", "min_severity", meta->min_severity,
					  "hidden", (json_int_t)meta->hidden)) < 0)
		goto nomem;
	/* --rule: the counts above are of these rules only */
	if (meta->rules && json_object_set_new(kd, "rule_filter", kd_report_rule_filter(meta)) < 0)
		goto nomem;
	if (meta->baseline &&
	    json_object_set_new(kd, "baseline", kd_report_baseline(findings, meta)) < 0)
		goto nomem;
	if ((r = kd_report_ndjson_put(out, rec, err)) == 0)
		r = kd_report_finish(out, err);
	rec = NULL;
	goto out;
nomem:
	json_decref(rec);
	r = kd_error_set(err, KD_ERR_NOMEM, "out of memory while writing the report");
out:
	json_decref(c.domain);
	json_decref(c.observer);
	json_decref(c.source);
	return r;
}
