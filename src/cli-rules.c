/* SPDX-License-Identifier: MIT */
/* kdeleg rules: the rule catalogue as text, JSON or the markdown of docs/rules.md. */
#include "config.h"

#include "kdeleg/report.h"

#include "cli-private.h"

static int
write_rules(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	const struct cli_args *args = ctx;
	const struct kd_rule *rules;
	size_t n = kd_rules(&rules);

	if (args->format == FORMAT_MARKDOWN)
		return kd_report_rules_markdown(out, err);
	if (args->format == FORMAT_JSON)
		return kd_report_rules_json(out, err);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-26s %-9s %s\n", rules[i].id, kd_severity_name(rules[i].severity),
			rules[i].title);
	return 0;
}

int
cli_cmd_rules(struct cli_args *args)
{
	struct kd_error err;

	kd_error_clear(&err);
	return cli_write(args, write_rules, args, &err) < 0 ? cli_fail(&err) : KD_EXIT_OK;
}
