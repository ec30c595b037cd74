/* SPDX-License-Identifier: MIT */
/* Rendering an audit for people (text) and programs (JSON). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/verify.h"

#define KD_JSON_SCHEMA_VERSION 1
/* NDJSON records: 2 made kdeleg.baseline an object and diff records ECS (issue 14). */
#define KD_NDJSON_SCHEMA_VERSION 2

struct kd_report_meta {
	const char *source;      /* the file, "<stdin>", or the DC's URI */
	const char *source_kind; /* "ldif" or "ldap" */
	bool color;              /* ANSI colours in text output */
	/* --baseline: the file, and its findings that are gone (NULL without) */
	const char *baseline;
	json_t *resolved;
	/* --min-severity: the threshold (NULL: everything) and how many it hid */
	const char *min_severity;
	size_t hidden;
	/* --accept: the findings it accepted, out of the verdict (NULL without) */
	const struct kd_findings *accepted;
	/* --rule: KD_RULE_COUNT flags by enum kd_rule_id, the rules shown (NULL: all) */
	const bool *rules;
};

enum kd_report_format { KD_FORMAT_TEXT, KD_FORMAT_JSON, KD_FORMAT_NDJSON, KD_FORMAT_CSV,
		       KD_FORMAT_HTML };

/*
 * Writes the report to @out. The text report escapes every directory string. Both
 * fail with KD_ERR_IO when writing fails (a full disk must not look like success).
 */
int kd_report_text(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		   const struct kd_report_meta *meta, struct kd_error *err);
int kd_report_json(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		   const struct kd_report_meta *meta, struct kd_error *err);
/*
 * One JSON object a line, for SIEMs: each finding self-contained with ECS-style
 * names, then each resolved finding, then one summary record (docs/json-output.md).
 */
int kd_report_ndjson(FILE *out, const struct kd_directory *dir,
		     const struct kd_findings *findings, const struct kd_report_meta *meta,
		     struct kd_error *err);
/* RFC 4180 CSV, a row per finding; cells a spreadsheet would run as a formula are
 * neutralised with a leading apostrophe. */
int kd_report_csv(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		  const struct kd_report_meta *meta, struct kd_error *err);

/*
 * One self-contained HTML page for people: summary, "fix these first", findings
 * grouped by severity and rule with their fixes, accepted risks; inline CSS, no
 * script, every directory string escaped; the chains as inline SVG when built with
 * Graphviz.
 */
int kd_report_html(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		   const struct kd_report_meta *meta, struct kd_error *err);

/*
 * `kdeleg rules`: the catalogue as a JSON array of {id, severity, title, meaning, why,
 * fix, attack, tactics, reference, references}, or as docs/rules.md. KD_ERR_IO when
 * writing fails.
 */
int kd_report_rules_json(FILE *out, struct kd_error *err);
int kd_report_rules_markdown(FILE *out, struct kd_error *err);

/* `kdeleg diff`: two saved reports' new and resolved findings (JSON arrays as saved). */
struct kd_diff {
	json_t *before, *now; /* the two documents */
	const char *before_name, *now_name;
	json_t *added, *resolved;
	size_t unchanged;
};
int kd_report_diff(FILE *out, enum kd_report_format format, const struct kd_diff *diff,
		   struct kd_error *err);

/*
 * `kdeleg verify`: the verdict and every check with its error and fix. Text
 * escapes all directory strings; JSON is {allowed, verdict, mechanism, frontend,
 * spn, backend, user, protocol, checks: [{name, passed, outcome, detail, fix,
 * error}]} (docs/json-output.md). KD_ERR_IO when writing fails.
 */
int kd_report_verify_text(FILE *out, const struct kd_directory *dir,
			  const struct kd_verify_result *result, bool color,
			  struct kd_error *err);
int kd_report_verify_json(FILE *out, const struct kd_directory *dir,
			  const struct kd_verify_result *result, struct kd_error *err);
/* The JSON object alone (new reference, NULL on ENOMEM). */
json_t *kd_report_verify_object(const struct kd_directory *dir,
				const struct kd_verify_result *result);
/* `verify --explain-error`: the causes of an error code, as text or a JSON array. */
int kd_report_explain(FILE *out, bool json, const struct kd_error_cause *const *causes,
		      size_t n, struct kd_error *err);
