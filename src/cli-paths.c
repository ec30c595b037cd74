/* SPDX-License-Identifier: MIT */
/* kdeleg paths: every chain to tier 0 (or to --to), from everyone (or --from). */
#include "config.h"

#include <stdlib.h>

#include "kdeleg/chain.h"
#include "kdeleg/report-paths.h"

#include "cli-private.h"

struct paths_report {
	enum cli_format format;
	json_t *doc;
};

static int
write_paths(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	struct paths_report *p = ctx;

	switch (p->format) {
	case FORMAT_JSON:
		return kd_report_paths_json(out, p->doc, err);
	case FORMAT_DOT:
		return kd_report_paths_dot(out, p->doc, err);
	case FORMAT_SVG:
		return kd_report_paths_svg(out, p->doc, err);
	default:
		return kd_report_paths_text(out, p->doc, err);
	}
}

int
cli_cmd_paths(struct cli_args *args)
{
	struct kd_paths_query query = {0};
	struct kd_directory *dir = NULL;
	struct kd_error err;
	json_t *doc = NULL;
	char *source = NULL;
	int r, code;

	kd_error_clear(&err);
	code = cli_check_source(args, true);
	if (code >= 0)
		return code;
	if (args->format == FORMAT_SVG && !kd_report_svg_available())
		return cli_usage_error("--format svg: this kdeleg was built without Graphviz "
				       "(install libgraphviz-dev and rebuild); --format dot | dot "
				       "-Tsvg works");
	query.from = cli_text(args, OPT_FROM);
	query.to = cli_text(args, OPT_TO);
	if (cli_given(args, OPT_MAX_HOPS))
		query.max_hops = args->values[OPT_MAX_HOPS][0].number;
	r = cli_load_source(args, query.from || query.to, &dir, &source, &err);
	if (r == 0)
		r = kd_paths(dir, &query, &doc, &err);
	if (r == 0) {
		struct paths_report report = {args->format, doc};

		r = cli_write(args, write_paths, &report, &err);
	}
	json_decref(doc);
	kd_directory_free(dir);
	free(source);
	if (r == KD_ERR_USAGE) /* --from or --to names no account */
		return cli_usage_error("%s", err.message);
	return r < 0 ? cli_fail(&err) : KD_EXIT_OK;
}
