/* SPDX-License-Identifier: MIT */
/*
 * NDJSON for SIEMs: one self-contained record a line. Field names follow Elastic
 * ECS where one fits (event.*, rule.*, threat.*, user.*, observer.*); the rest
 * lives under "kdeleg". docs/json-output.md documents every field.
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

/* What every record repeats, so a line means something on its own. */
struct common {
	const char *when;
	json_t *domain;
	json_t *observer;
	json_t *source;
};

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

/* {"@timestamp", event, observer, kdeleg: {schema_version, domain, source}} */
static json_t *
record(const struct common *c, json_t *ev)
{
	return json_pack("{s:s, s:o, s:O, s:{s:i, s:O, s:O}}", "@timestamp", c->when, "event",
			 ev, "observer", c->observer, "kdeleg", "schema_version",
			 KD_JSON_SCHEMA_VERSION, "domain", c->domain, "source", c->source);
}

/* @obj's @key as a new reference, null when absent: a baseline's resolved findings
 * were written by another run, maybe another version, maybe edited. */
static json_t *
field(const json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	return value ? json_incref(value) : json_null();
}

/* Adds the finding @f (as the JSON report prints it) to @rec with ECS names. */
static int
add_finding(json_t *rec, const json_t *f, const char *mark)
{
	json_t *kd = json_object_get(rec, "kdeleg");
	json_t *account = json_object_get(f, "account");
	json_t *domain = json_object_get(kd, "domain");
	const char *rule_id = json_string_value(json_object_get(f, "rule"));
	const struct kd_rule *rule = rule_id ? kd_rule_find(rule_id) : NULL;
	char reference[512] = "";
	const char *url = rule ? strstr(rule->references, "https://") : NULL;

	/* ECS rule.reference is a URL: the catalogue's first one. */
	if (url)
		snprintf(reference, sizeof(reference), "%.*s", (int)strcspn(url, "; "), url);
	if (json_object_set_new(rec, "message", field(f, "message")) < 0 ||
	    json_object_set_new(rec, "rule",
				json_pack("{s:o, s:o, s:s, s:s?}", "id", field(f, "rule"), "name",
					  field(f, "title"), "ruleset", "kdeleg", "reference",
					  reference[0] ? reference : NULL)) < 0 ||
	    json_object_set_new(rec, "threat",
				json_pack("{s:s, s:{s:o}}", "framework", "MITRE ATT&CK",
					  "technique", "id", field(f, "attack"))) < 0 ||
	    json_object_set_new(rec, "user",
				json_pack("{s:o, s:o, s:o}", "name", field(account, "name"),
					  "id", field(account, "sid"), "domain",
					  field(domain, "dns_name"))) < 0 ||
	    json_object_set_new(kd, "fingerprint", field(f, "fingerprint")) < 0 ||
	    json_object_set_new(kd, "severity", field(f, "severity")) < 0 ||
	    json_object_set_new(kd, "account", field(f, "account")) < 0 ||
	    json_object_set_new(kd, "details", field(f, "details")) < 0 ||
	    json_object_set_new(kd, "remediation", field(f, "remediation")) < 0)
		return KD_ERR_NOMEM;
	if (mark && json_object_set_new(kd, "baseline", json_string(mark)) < 0)
		return KD_ERR_NOMEM;
	if (json_object_get(f, "acceptance") &&
	    json_object_set_new(kd, "acceptance", field(f, "acceptance")) < 0)
		return KD_ERR_NOMEM;
	return 0;
}

static int
put(FILE *out, json_t *rec, struct kd_error *err)
{
	int r;

	if (!rec)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while writing the report");
	r = kd_report_write_json(out, rec, JSON_COMPACT, err);
	json_decref(rec);
	return r;
}

/* A record per finding of @list, of ECS event.kind @kind. */
static int
put_findings(FILE *out, const struct kd_directory *dir, const struct common *c,
	     const struct kd_findings *list, const char *kind, struct kd_error *err)
{
	int r = 0;

	for (size_t i = 0; i < list->count && r == 0; i++) {
		const struct kd_finding *f = &list->items[i];
		json_t *saved = kd_report_finding(dir, f), *rec;

		rec = saved ? record(c, event(kind, "kdeleg.finding", "info",
					      severity_number(f->severity)))
			    : NULL;
		if (!rec || add_finding(rec, saved, kd_report_mark_name(f->baseline)) < 0) {
			json_decref(saved);
			json_decref(rec);
			return kd_error_set(err, KD_ERR_NOMEM,
					    "out of memory while writing the report");
		}
		json_decref(saved);
		r = put(out, rec, err);
	}
	return r;
}

int
kd_report_ndjson(FILE *out, const struct kd_directory *dir,
		 const struct kd_findings *findings, const struct kd_report_meta *meta,
		 struct kd_error *err)
{
	char when[32];
	struct common c = {.when = when};
	json_t *rec = NULL, *kd;
	int r = KD_ERR_NOMEM;

	kd_report_timestamp(when, sizeof(when));
	c.domain = kd_report_domain(dir);
	c.observer = json_pack("{s:s, s:s, s:s, s:s}", "vendor", "kdeleg", "product", "kdeleg",
			       "type", "scanner", "version", KD_VERSION);
	c.source = json_pack("{s:s, s:o}", "kind", meta->source_kind, "name",
			     kd_json_text(meta->source));
	if (!c.domain || !c.observer || !c.source)
		goto nomem;
	if ((r = put_findings(out, dir, &c, findings, "alert", err)) < 0)
		goto out;
	/* Accepted risks: events, not alerts, each with its kdeleg.acceptance. */
	if (meta->accepted && (r = put_findings(out, dir, &c, meta->accepted, "event", err)) < 0)
		goto out;
	/* Findings of the baseline that are gone: the SIEM can close its alerts. */
	for (size_t i = 0; meta->resolved && i < json_array_size(meta->resolved); i++) {
		json_t *f = json_array_get(meta->resolved, i);
		enum kd_severity level = KD_SEV_INFO;

		kd_severity_parse(json_string_value(json_object_get(f, "severity")), &level);
		rec = record(&c, event("alert", "kdeleg.finding", "change", severity_number(level)));
		if (!rec || add_finding(rec, f, "resolved") < 0)
			goto nomem;
		if ((r = put(out, rec, err)) < 0)
			goto out;
	}
	rec = record(&c, event("event", "kdeleg.summary", "info", 0));
	kd = json_object_get(rec, "kdeleg");
	if (!rec ||
	    json_object_set_new(rec, "message",
				json_sprintf("kdeleg audit: %zu findings", findings->count)) < 0 ||
	    json_object_set_new(kd, "complete", json_true()) < 0 ||
	    json_object_set_new(kd, "counts", kd_report_counts(dir, findings)) < 0 ||
	    json_object_set_new(kd, "summary", kd_report_summary(findings, meta)) < 0)
		goto nomem;
	if (meta->min_severity &&
	    json_object_set_new(kd, "filter",
				json_pack("{s:s, s:I}", "min_severity", meta->min_severity,
					  "hidden", (json_int_t)meta->hidden)) < 0)
		goto nomem;
	if (meta->baseline &&
	    json_object_set_new(kd, "baseline", kd_report_baseline(findings, meta)) < 0)
		goto nomem;
	if ((r = put(out, rec, err)) == 0)
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
