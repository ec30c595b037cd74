/* SPDX-License-Identifier: MIT */
/* Pieces the text and JSON reports share (and NDJSON will). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/report.h"

/* The first strings of @items up to @max or a NULL, as a JSON array (NULL on ENOMEM). */
json_t *kd_report_strings(const char *const *items, size_t max);
/* The rule's ATT&CK ids as an array. */
json_t *kd_report_attack(const struct kd_rule *rule);
/* One rule of the catalogue as `kdeleg rules -f json` prints it. */
json_t *kd_report_rule_object(const struct kd_rule *rule);
/* One finding as the JSON report prints it. */
json_t *kd_report_finding(const struct kd_directory *dir, const struct kd_finding *f);
/* "new", "unchanged", or NULL for KD_MARK_NONE. */
const char *kd_report_mark_name(enum kd_baseline_mark mark);
/* {source, new, unchanged, resolved} counts against the baseline. */
json_t *kd_report_baseline(const struct kd_findings *findings, const struct kd_report_meta *meta);
/* {dns_name, sid, naming_context, functional_level, ...} */
json_t *kd_report_domain(const struct kd_directory *dir);
/* Dumps @value and a newline; KD_ERR_IO naming errno when writing fails. */
int kd_report_write_json(FILE *out, const json_t *value, size_t flags, struct kd_error *err);
/* Flushes @out; KD_ERR_IO when anything written before was lost. */
int kd_report_finish(FILE *out, struct kd_error *err);
json_t *kd_report_counts(const struct kd_directory *dir, const struct kd_findings *findings);
/* Counts by severity, and "accepted" (--accept's, 0 without). */
json_t *kd_report_summary(const struct kd_findings *findings, const struct kd_report_meta *meta);
/* --rule's rule ids, as an array. */
json_t *kd_report_rule_filter(const struct kd_report_meta *meta);
/* The findings --accept took out of the verdict, each with its "acceptance". */
json_t *kd_report_accepted(const struct kd_directory *dir, const struct kd_report_meta *meta);
/* Current time, RFC 3339 UTC. */
void kd_report_timestamp(char *buf, size_t size);

/* The ECS version whose field set the NDJSON records follow (ecs.version). */
#define KD_ECS_VERSION "8.11.0"

/* What every NDJSON record repeats, so a line means something on its own (borrowed). */
struct kd_ndjson_common {
	const char *when;
	json_t *domain;
	json_t *observer;
	json_t *source;
};
/* ECS observer: {vendor, product, type, version} of this kdeleg (new reference). */
json_t *kd_report_observer(void);
/*
 * One finding @f (as a JSON report holds it, maybe from another run: every field is
 * copied only when of its own type) as an ECS alert record; @status "new",
 * "unchanged" or "resolved" against the report @baseline, or NULL. New reference,
 * NULL on ENOMEM.
 */
json_t *kd_report_ndjson_alert(const struct kd_ndjson_common *c, const json_t *f,
			       const char *status, const char *baseline);
/* Adds @f's ECS fields to the record @rec (kd_report_ndjson_alert's second half). */
int kd_report_ndjson_finding(json_t *rec, const json_t *f, const char *status,
			     const char *baseline);
/* The closing record (event.dataset kdeleg.summary, kdeleg.complete); steals @message. */
json_t *kd_report_ndjson_summary(const struct kd_ndjson_common *c, json_t *message);
/* Writes @rec as one line and drops it; KD_ERR_NOMEM when @rec is NULL. */
int kd_report_ndjson_put(FILE *out, json_t *rec, struct kd_error *err);

/*
 * "Fix these first": the findings summed by rule and severity, most urgent first, so
 * that a line's count adds up with its severity's heading (a rule whose findings are
 * critical and medium has a line at each).
 */
struct kd_rule_group {
	const struct kd_rule *rule;
	enum kd_severity severity;
	size_t count;
};
#define KD_RULE_GROUPS_MAX ((size_t)KD_RULE_COUNT * KD_SEV_COUNT)
/*
 * Fills @ret (at least KD_RULE_GROUPS_MAX entries) with a group per rule and
 * severity of @findings: highest severity first, then by what the rule exposes
 * (tier 0 before a host, a host before hygiene), then count. Returns how many.
 */
size_t kd_report_rule_groups(const struct kd_findings *findings, struct kd_rule_group *ret);
/* What a finding of @rule exposes, in a few words. */
const char *kd_report_rule_exposes(const struct kd_rule *rule);
