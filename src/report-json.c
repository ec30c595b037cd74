/* SPDX-License-Identifier: MIT */
/* The JSON report: one document, schema in docs/json-output.md. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

json_t *
kd_report_strings(const char *const *items, size_t max)
{
	json_t *list = json_array();

	for (size_t k = 0; list && k < max && items[k]; k++)
		if (json_array_append_new(list, json_string(items[k])) < 0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

json_t *
kd_report_attack(const struct kd_rule *rule)
{
	return kd_report_strings(rule->attack, KD_RULE_ATTACK_MAX);
}

const char *
kd_report_mark_name(enum kd_baseline_mark mark)
{
	return mark == KD_MARK_NEW ? "new" : mark == KD_MARK_UNCHANGED ? "unchanged" : NULL;
}

json_t *
kd_report_finding(const struct kd_directory *dir, const struct kd_finding *f)
{
	char facts[KD_FINGERPRINT_SIZE];
	/* message and remediation quote directory text, which may be any bytes */
	json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:O, s:o, s:o}", "rule",
				f->rule->id, "severity", kd_severity_name(f->severity), "title",
				f->rule->title, "fingerprint", f->fingerprint, "account",
				kd_json_account(dir, f->principal), "message",
				kd_json_text(f->message), "details", f->details, "remediation",
				kd_json_text(f->remediation), "attack", kd_report_attack(f->rule));

	if (obj && f->baseline != KD_MARK_NONE &&
	    json_object_set_new(obj, "baseline", json_string(kd_report_mark_name(f->baseline))) < 0) {
		json_decref(obj);
		return NULL;
	}
	/* what an --accept entry's facts= pins (docs/accepted-risks.md) */
	kd_accept_facts(f->severity, f->details, facts);
	if (obj && (json_object_set_new(obj, "facts", json_string(facts)) < 0 ||
		    (f->acceptance &&
		     json_object_set_new(obj, "acceptance", kd_accept_json(f->acceptance)) < 0))) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *
kd_report_baseline(const struct kd_findings *findings, const struct kd_report_meta *meta)
{
	size_t added = 0, unchanged = 0;

	for (size_t i = 0; i < findings->count; i++) {
		added += findings->items[i].baseline == KD_MARK_NEW;
		unchanged += findings->items[i].baseline == KD_MARK_UNCHANGED;
	}
	return json_pack("{s:o, s:I, s:I, s:I}", "source", kd_json_text(meta->baseline), "new",
			 (json_int_t)added, "unchanged", (json_int_t)unchanged, "resolved",
			 (json_int_t)json_array_size(meta->resolved));
}

/*
 * jansson hands its dump callback one token at a time: a million-account report is
 * millions of calls, and json_dumpf's fwrite takes the stream lock on each. The
 * caller owns the stream, so the unlocked variant is enough.
 */
static int
write_tokens(const char *buffer, size_t size, void *data)
{
	return fwrite_unlocked(buffer, 1, size, data) == size ? 0 : -1;
}

int
kd_report_write_json(FILE *out, const json_t *value, size_t flags, struct kd_error *err)
{
	errno = 0;
	if (json_dump_callback(value, write_tokens, out, flags | JSON_PRESERVE_ORDER) < 0 ||
	    fputc('\n', out) < 0 || ferror(out))
		return kd_error_set(err, KD_ERR_IO, "writing the report failed: %s",
				    errno ? strerror(errno) : "write error");
	return 0;
}

int
kd_report_finish(FILE *out, struct kd_error *err)
{
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return kd_error_set(err, KD_ERR_IO, "writing the report failed: %s",
				    errno ? strerror(errno) : "write error");
	return 0;
}

/* What the snapshot carried, and what could not be evaluated without the rest. */
static json_t *
coverage(const struct kd_directory *dir)
{
	const struct kd_coverage *c = kd_directory_coverage(dir);
	const char *gaps[KD_GAPS_MAX];
	size_t ngaps = kd_analyze_gaps(dir, gaps, KD_GAPS_MAX);
	json_t *list = json_array();

	for (size_t k = 0; list && k < ngaps; k++)
		if (json_array_append_new(list, json_string(gaps[k])) < 0) {
			json_decref(list);
			return NULL;
		}
	if (!list)
		return NULL;
	return json_pack("{s:o, s:I, s:I, s:b, s:b, s:b, s:b, s:b, s:b, s:o}", "plan",
			 c->plan ? json_string(c->plan) : json_null(), "accounts",
			 (json_int_t)c->accounts, "descriptors", (json_int_t)c->descriptors,
			 "domain_descriptor", c->domain_descriptor, "functional_level",
			 c->functional_level, "machine_account_quota", c->machine_quota,
			 "netbios_name", c->netbios_name, "trusts", c->trusts, "spn_mappings",
			 c->spn_mappings, "not_evaluated", list);
}

json_t *
kd_report_domain(const struct kd_directory *dir)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	char sid[KD_SID_STRING_MAX];

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o}", "dns_name",
			 kd_json_text(d->dns_name), "sid",
			 d->has_sid ? json_string(kd_sid_to_string(&d->sid, sid, sizeof(sid)))
				    : json_null(),
			 "naming_context", kd_json_text(d->dn), "functional_level",
			 d->has_functional_level ? json_integer(d->functional_level) : json_null(),
			 "machine_account_quota",
			 d->has_machine_quota ? json_integer(d->machine_quota) : json_null(),
			 "spn_mappings", d->custom_spn_mappings ? "snapshot" : "default",
			 "netbios_name", kd_json_text(d->netbios_name), "coverage", coverage(dir));
}

json_t *
kd_report_counts(const struct kd_directory *dir, const struct kd_findings *findings)
{
	struct kd_directory_counts c;

	kd_directory_counts(dir, &c);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "entries",
			 (json_int_t)c.entries, "users", (json_int_t)c.users, "computers",
			 (json_int_t)c.computers, "domain_controllers", (json_int_t)c.dcs,
			 "service_accounts", (json_int_t)c.service_accounts, "groups",
			 (json_int_t)c.groups, "trusts", (json_int_t)c.trusts, "enabled_accounts",
			 (json_int_t)c.enabled, "service_principal_names", (json_int_t)c.spns,
			 "findings", (json_int_t)findings->count);
}

json_t *
kd_report_accepted(const struct kd_directory *dir, const struct kd_report_meta *meta)
{
	json_t *list = json_array();

	for (size_t i = 0; list && meta->accepted && i < meta->accepted->count; i++)
		if (json_array_append_new(list, kd_report_finding(dir, &meta->accepted->items[i])) <
		    0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

json_t *
kd_report_rule_filter(const struct kd_report_meta *meta)
{
	json_t *list = json_array();

	for (size_t i = 0; list && meta->rules && i < KD_RULE_COUNT; i++)
		if (meta->rules[i] &&
		    json_array_append_new(list, json_string(kd_rule_get((enum kd_rule_id)i)->id)) <
			    0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

json_t *
kd_report_summary(const struct kd_findings *findings, const struct kd_report_meta *meta)
{
	json_t *summary = json_object();
	size_t accepted = meta->accepted ? meta->accepted->count : 0;

	for (int s = KD_SEV_CRITICAL; summary && s >= KD_SEV_INFO; s--)
		if (json_object_set_new(summary, kd_severity_name((enum kd_severity)s),
					json_integer((json_int_t)findings->by_severity[s])) < 0) {
			json_decref(summary);
			return NULL;
		}
	if (summary &&
	    json_object_set_new(summary, "accepted", json_integer((json_int_t)accepted)) < 0) {
		json_decref(summary);
		return NULL;
	}
	return summary;
}

json_t *
kd_report_observer(void)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "vendor", "kdeleg", "product", "kdeleg", "type",
			 "scanner", "version", KD_VERSION);
}

void
kd_report_timestamp(char *buf, size_t size)
{
	kd_utc_now(buf, size, false);
}

int
kd_report_json(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
	       const struct kd_report_meta *meta, struct kd_error *err)
{
	json_t *doc = NULL, *list = NULL;
	char when[32];
	int r = KD_ERR_NOMEM;

	list = json_array();
	if (!list)
		goto out;
	for (size_t i = 0; i < findings->count; i++)
		if (json_array_append_new(list, kd_report_finding(dir, &findings->items[i])) < 0)
			goto out;
	kd_report_timestamp(when, sizeof(when));
	doc = json_pack("{s:i, s:{s:s, s:s}, s:s, s:{s:s, s:o}, s:b, s:o, s:o, s:o, s:O}",
			"schema_version", KD_JSON_SCHEMA_VERSION, "tool", "name", "kdeleg",
			"version", KD_VERSION, "generated_at", when, "source", "kind",
			meta->source_kind, "name", kd_json_text(meta->source), "complete",
			true, "domain", kd_report_domain(dir), "counts", kd_report_counts(dir, findings),
			"summary", kd_report_summary(findings, meta), "findings", list);
	if (!doc)
		goto out;
	if (json_object_set_new(doc, "accepted", kd_report_accepted(dir, meta)) < 0)
		goto out;
	if (meta->rules && json_object_set_new(doc, "rule_filter", kd_report_rule_filter(meta)) < 0)
		goto out;
	if (meta->min_severity &&
	    json_object_set_new(doc, "filter",
				json_pack("{s:s, s:I}", "min_severity", meta->min_severity,
					  "hidden", (json_int_t)meta->hidden)) < 0)
		goto out;
	if (meta->baseline &&
	    (json_object_set_new(doc, "baseline", kd_report_baseline(findings, meta)) < 0 ||
	     json_object_set(doc, "resolved", meta->resolved) < 0))
		goto out;
	r = kd_report_write_json(out, doc, JSON_INDENT(2), err);
	if (r == 0)
		r = kd_report_finish(out, err);
out:
	if (r == KD_ERR_NOMEM)
		kd_error_set(err, r, "out of memory while writing the report");
	json_decref(doc);
	json_decref(list);
	return r;
}
