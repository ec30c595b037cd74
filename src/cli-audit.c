/* SPDX-License-Identifier: MIT */
/* kdeleg audit and kdeleg diff: findings, baselines and --fail-on. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/baseline.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"

#include "cli-private.h"

/* A --fail-on condition: a severity, "new", or "new:SEVERITY" (cli-table.c). */
struct fail_on {
	bool new_only;
	enum kd_severity min;
	const char *text;
	size_t hits;
};

static void
decode_fail_on(const struct cli_args *args, size_t i, struct fail_on *ret)
{
	const char *name = cli_options[OPT_FAIL_ON].choices(args->command,
							    args->values[OPT_FAIL_ON][i].choice);

	ret->text = name; /* canonical: as the table spells it */
	ret->new_only = strncmp(name, "new", 3) == 0;
	ret->min = KD_SEV_INFO;
	if (!kd_severity_parse(ret->new_only ? name + (name[3] ? 4 : 3) : name, &ret->min))
		ret->min = KD_SEV_INFO; /* "new" alone: any severity */
	ret->hits = 0;
}

static bool
any_new_condition(const struct cli_args *args)
{
	for (size_t i = 0; i < args->count[OPT_FAIL_ON]; i++) {
		struct fail_on f;

		decode_fail_on(args, i, &f);
		if (f.new_only)
			return true;
	}
	return false;
}

/* Says each condition met on stderr; KD_EXIT_VERDICT when any is, else KD_EXIT_OK. */
static int
verdict_of(struct fail_on *conds, size_t n, const char *where)
{
	int verdict = KD_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		if (!conds[i].hits)
			continue;
		verdict = KD_EXIT_VERDICT;
		fprintf(stderr, "kdeleg: --fail-on %s: %zu finding%s %s", conds[i].text,
			conds[i].hits, conds[i].hits == 1 ? "" : "s",
			conds[i].new_only ? where : "at or above it");
		if (conds[i].new_only && conds[i].min > KD_SEV_INFO)
			fprintf(stderr, " at or above %s", kd_severity_name(conds[i].min));
		fputc('\n', stderr);
	}
	return verdict;
}

/* The verdict over every finding, shown or not. */
static int
fail_on_verdict(const struct cli_args *args, const struct kd_findings *findings)
{
	struct fail_on conds[CLI_REPEAT_MAX];
	size_t n = args->count[OPT_FAIL_ON];

	for (size_t i = 0; i < n; i++) {
		decode_fail_on(args, i, &conds[i]);
		for (size_t k = 0; k < findings->count; k++) {
			const struct kd_finding *f = &findings->items[k];

			conds[i].hits += f->severity >= conds[i].min &&
					 (!conds[i].new_only || f->baseline == KD_MARK_NEW);
		}
	}
	return verdict_of(conds, n, "not in the baseline");
}

/* Marks findings against the baseline; refuses a baseline of another domain. */
static int
compare_baseline(const struct kd_directory *dir, const char *path,
		 const struct kd_baseline *baseline, struct kd_findings *findings,
		 struct kd_report_meta *meta, struct kd_error *err)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	const char *then = kd_baseline_domain_sid(baseline);
	char now[KD_SID_STRING_MAX];

	/* Fingerprints hold the domain SID: across domains, or with it on one side
	 * only, every finding would look new and every old one resolved. */
	snprintf(now, sizeof(now), "(none)");
	if (d->has_sid)
		kd_sid_to_string(&d->sid, now, sizeof(now));
	if (!then || !d->has_sid || strcmp(then, now) != 0) {
		kd_error_set(err, KD_ERR_USAGE,
			     "the baseline is a report of domain %s, this audit is of %s",
			     then ? then : "(none)", now);
		kd_error_set_where(err, path, 0, NULL, NULL);
		return KD_ERR_USAGE;
	}
	meta->baseline = path;
	return kd_baseline_mark(baseline, findings, &meta->resolved, err);
}

/* Resolved findings below --min-severity, or of rules --rule leaves out, are not shown
 * either. */
static void
filter_resolved(json_t *resolved, enum kd_severity min, const bool *rules)
{
	for (size_t i = json_array_size(resolved); i-- > 0;) {
		const json_t *f = json_array_get(resolved, i);
		const char *id = json_string_value(json_object_get(f, "rule"));
		const struct kd_rule *rule = id ? kd_rule_find(id) : NULL;
		enum kd_severity level;

		if ((kd_severity_parse(json_string_value(json_object_get(f, "severity")), &level) &&
		     level < min) ||
		    (rules && rule && !rules[rule - kd_rule_get(0)]))
			json_array_remove(resolved, i);
	}
}

/* --accept FILE, read before anything else; NULL without it, KD_EXIT_USAGE when it is
 * malformed (the file is the user's configuration, like an option). */
static int
load_accept(const struct cli_args *args, struct kd_accept **ret)
{
	struct kd_error err;

	*ret = NULL;
	kd_error_clear(&err);
	if (cli_given(args, OPT_ACCEPT) && kd_accept_load(cli_text(args, OPT_ACCEPT), ret, &err) < 0) {
		cli_fail(&err);
		return KD_EXIT_USAGE;
	}
	return -1;
}

/* --accept's warnings: each names the file and the line (the file may be anyone's). */
static void
accept_warnings(const struct kd_accept *accept, const char *today)
{
	char name[512];

	kd_escape_text(name, sizeof(name), kd_accept_name(accept), strlen(kd_accept_name(accept)));
	for (size_t i = 0; i < kd_accept_count(accept); i++)
		if (kd_accept_warning(accept, i, today))
			fprintf(stderr, "kdeleg: warning: %s:%zu: %s\n", name,
				kd_accept_entry(accept, i)->line, kd_accept_warning(accept, i, today));
}

struct audit_report {
	enum cli_format format;
	const struct kd_directory *dir;
	const struct kd_findings *findings;
	struct kd_report_meta *meta;
};

static int
write_audit(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	struct audit_report *a = ctx;

	a->meta->color = color;
	switch (a->format) {
	case FORMAT_JSON:
		return kd_report_json(out, a->dir, a->findings, a->meta, err);
	case FORMAT_NDJSON:
		return kd_report_ndjson(out, a->dir, a->findings, a->meta, err);
	case FORMAT_CSV:
		return kd_report_csv(out, a->dir, a->findings, a->meta, err);
	case FORMAT_HTML:
		return kd_report_html(out, a->dir, a->findings, a->meta, err);
	default:
		return kd_report_text(out, a->dir, a->findings, a->meta, err);
	}
}

int
cli_cmd_audit(struct cli_args *args)
{
	struct kd_directory *dir = NULL;
	struct kd_findings findings = {0};
	struct kd_error err;
	struct kd_report_meta meta = {0};
	struct kd_baseline *baseline = NULL;
	struct kd_accept *accept = NULL;
	struct kd_findings accepted = {0};
	const char *ldif = cli_text(args, OPT_LDIF), *path = cli_text(args, OPT_BASELINE);
	char *source = NULL, today[16];
	bool rules[KD_RULE_COUNT] = {false};
	int r, code, verdict = KD_EXIT_OK;

	kd_error_clear(&err);
	if (any_new_condition(args) && !path)
		return cli_usage_error("--fail-on new needs --baseline FILE");
	code = cli_check_source(args, true);
	if (code >= 0)
		return code;
	/* A broken baseline fails before the audit, not after it. */
	if (path && kd_baseline_load(path, &baseline, &err) < 0)
		return cli_fail(&err);
	if ((code = load_accept(args, &accept)) >= 0) {
		kd_baseline_free(baseline);
		return code;
	}
	kd_accept_today(today, sizeof(today));
	r = cli_load_source(args, false, &dir, &source, &err);
	if (r == 0)
		r = kd_analyze(dir, &findings, &err);
	if (r == 0)
		r = kd_findings_fold(dir, &findings, &err);
	if (r == 0 && baseline)
		r = compare_baseline(dir, path, baseline, &findings, &meta, &err);
	if (r == 0 && accept && (r = kd_accept_apply(accept, &findings, &accepted, today, &err)) == 0)
		accept_warnings(accept, today);
	if (r == 0) {
		struct audit_report report = {args->format, dir, &findings, &meta};

		verdict = fail_on_verdict(args, &findings);
		if (cli_given(args, OPT_MIN_SEVERITY)) {
			enum kd_severity min =
				(enum kd_severity)args->values[OPT_MIN_SEVERITY][0].choice;

			meta.min_severity = kd_severity_name(min);
			meta.hidden = kd_findings_filter(&findings, min);
			kd_findings_filter(&accepted, min);
			filter_resolved(meta.resolved, min, NULL);
		}
		if (cli_given(args, OPT_RULE)) {
			for (size_t i = 0; i < args->count[OPT_RULE]; i++)
				rules[args->values[OPT_RULE][i].choice] = true;
			meta.rules = rules;
			filter_resolved(meta.resolved, KD_SEV_INFO, rules);
			kd_findings_keep_rules(&findings, rules);
			kd_findings_keep_rules(&accepted, rules);
		}
		meta.accepted = accept ? &accepted : NULL;
		meta.source = !ldif ? source : strcmp(ldif, "-") == 0 ? "<stdin>" : ldif;
		meta.source_kind = ldif ? "ldif" : "ldap";
		r = cli_write(args, write_audit, &report, &err);
	}
	json_decref(meta.resolved);
	kd_baseline_free(baseline);
	kd_findings_free(&accepted);
	kd_accept_free(accept);
	kd_findings_free(&findings);
	kd_directory_free(dir);
	free(source);
	return r < 0 ? cli_fail(&err) : verdict;
}

struct diff_report {
	enum cli_format format;
	const struct kd_diff *diff;
};

static int
write_diff(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	struct diff_report *d = ctx;

	return kd_report_diff(out, (enum kd_report_format)d->format, d->diff, err);
}

/* diff's conditions are all about new findings: NEW.json's that OLD.json lacks, less
 * those --accept accepts. */
static int
diff_verdict(const struct cli_args *args, json_t *added, struct kd_accept *accept,
	     const char *today)
{
	struct fail_on conds[CLI_REPEAT_MAX];
	size_t n = args->count[OPT_FAIL_ON];

	for (size_t i = 0; i < n; i++) {
		decode_fail_on(args, i, &conds[i]);
		for (size_t k = 0; k < json_array_size(added); k++) {
			enum kd_severity s = KD_SEV_INFO;
			const json_t *one = json_array_get(added, k);
			const char *level = json_string_value(json_object_get(one, "severity"));

			if (kd_accept_match_json(accept, one, today))
				continue;
			/* a report names a severity it knows; one it does not counts as met */
			if (!level || !kd_severity_parse(level, &s))
				s = KD_SEV_CRITICAL;
			conds[i].hits += s >= conds[i].min;
		}
	}
	return verdict_of(conds, n, "not in the older report");
}

int
cli_cmd_diff(struct cli_args *args)
{
	struct kd_baseline *before = NULL, *now = NULL;
	struct kd_accept *accept = NULL;
	struct kd_diff diff = {0};
	struct kd_error err;
	const char *sid_before, *sid_now;
	char today[16];
	int r, verdict = KD_EXIT_OK;

	kd_error_clear(&err);
	if ((r = load_accept(args, &accept)) >= 0)
		return r;
	kd_accept_today(today, sizeof(today));
	r = kd_baseline_load(args->positional[0], &before, &err);
	if (r == 0)
		r = kd_baseline_load(args->positional[1], &now, &err);
	if (r == 0) {
		sid_before = kd_baseline_domain_sid(before);
		sid_now = kd_baseline_domain_sid(now);
		if (!sid_before || !sid_now || strcmp(sid_before, sid_now) != 0)
			r = kd_error_set(&err, KD_ERR_USAGE,
					 "the reports are of two domains, %s and %s",
					 sid_before ? sid_before : "(none)",
					 sid_now ? sid_now : "(none)");
	}
	if (r == 0)
		r = kd_baseline_diff(before, now, &diff.added, &diff.resolved, &diff.unchanged,
				     &err);
	if (r == 0) {
		struct diff_report report = {args->format, &diff};

		diff.before = kd_baseline_document(before);
		diff.now = kd_baseline_document(now);
		diff.before_name = args->positional[0];
		diff.now_name = args->positional[1];
		r = cli_write(args, write_diff, &report, &err);
	}
	if (r == 0)
		verdict = diff_verdict(args, diff.added, accept, today);
	if (r == 0 && accept) {
		/* an entry for a finding NEW.json has (not new, or accepted there) is known */
		kd_accept_count_json(accept, json_object_get(diff.now, "findings"), today);
		kd_accept_count_json(accept, json_object_get(diff.now, "accepted"), today);
		accept_warnings(accept, today);
	}
	kd_accept_free(accept);
	json_decref(diff.added);
	json_decref(diff.resolved);
	kd_baseline_free(before);
	kd_baseline_free(now);
	return r < 0 ? cli_fail(&err) : verdict;
}
