/* SPDX-License-Identifier: MIT */
/* Saved JSON reports as baselines: what is new, unchanged and resolved since. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "kdeleg/analyze.h"
#include "kdeleg/error.h"

struct kd_baseline;

/*
 * Reads a report that `kdeleg audit --format json` wrote. The file may have been
 * edited or be another program's: it is checked (tool, schema version, every
 * finding with a rule, a severity and a well-formed fingerprint, fingerprints
 * unique) and errors name the file and the finding.
 */
int kd_baseline_load(const char *path, struct kd_baseline **ret_baseline, struct kd_error *err);
/* The same checks on a report in memory (@name for messages): what the fuzz target reads. */
int kd_baseline_parse(const char *text, size_t size, const char *name,
		      struct kd_baseline **ret_baseline, struct kd_error *err);
void kd_baseline_free(struct kd_baseline *baseline);

/* The domain SID the report was made for, or NULL when it has none. */
const char *kd_baseline_domain_sid(const struct kd_baseline *baseline);
/* The whole document (borrowed). */
json_t *kd_baseline_document(const struct kd_baseline *baseline);

/*
 * Sets each finding's mark to new or unchanged by fingerprint, and puts into
 * *ret_resolved a new array of the baseline's findings (as saved) that are gone.
 */
int kd_baseline_mark(const struct kd_baseline *baseline, struct kd_findings *findings,
		     json_t **ret_resolved, struct kd_error *err);

/*
 * Two saved reports: the findings of @now that @before lacks (*ret_new), the ones
 * of @before that @now lacks (*ret_resolved), both new arrays in report order,
 * and how many both have.
 */
int kd_baseline_diff(const struct kd_baseline *before, const struct kd_baseline *now,
		     json_t **ret_new, json_t **ret_resolved, size_t *ret_unchanged,
		     struct kd_error *err);
