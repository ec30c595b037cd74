/* SPDX-License-Identifier: MIT */
/* kdeleg verify FRONTEND SPN and --explain-error: the KDC model's answer, check by check. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/kdc.h"
#include "kdeleg/report.h"
#include "kdeleg/spn.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/token.h"
#include "kdeleg/verify.h"

#include "cli-private.h"

#define EXPLAIN_MAX 16

struct explained {
	bool json;
	const struct kd_error_cause **found;
	size_t n;
};

static int
write_explained(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	struct explained *e = ctx;

	return kd_report_explain(out, e->json, e->found, e->n, err);
}

/* kdeleg verify --explain-error CODE */
static int
explain_error(const struct cli_args *args)
{
	const char *code = cli_text(args, OPT_EXPLAIN_ERROR);
	const struct kd_error_cause *found[EXPLAIN_MAX];
	size_t n = kd_verify_explain(code, found, EXPLAIN_MAX);
	struct kd_error err;

	kd_error_clear(&err);
	if (n == 0) {
		const struct kd_error_cause *all;
		size_t nall = kd_verify_causes(&all);
		char safe[128];

		kd_escape_text(safe, sizeof(safe), code, strlen(code));
		fprintf(stderr, "kdeleg: no cause known for '%s'; known codes:", safe);
		for (size_t k = 0; k < nall; k++)
			if (k == 0 || strcmp(all[k].code, all[k - 1].code) != 0)
				fprintf(stderr, " %s", all[k].code);
		fputc('\n', stderr);
		return KD_EXIT_USAGE;
	}
	{
		struct explained e = {args->format == FORMAT_JSON, found,
				      n < EXPLAIN_MAX ? n : EXPLAIN_MAX};

		if (cli_write(args, write_explained, &e, &err) < 0)
			return cli_fail(&err);
	}
	return KD_EXIT_OK;
}

/* An account named on the command line; a usage error when the model has none. */
static int
find_named(const struct kd_directory *dir, const char *what, const char *name, uint32_t *ret)
{
	*ret = kd_verify_find_account(dir, name);
	if (*ret == KD_NONE)
		return cli_usage_error("%s '%s' is not an account of the source, or names more "
				       "than one (give its DN or SID)",
				       what, name);
	return -1;
}

struct verify_report {
	enum cli_format format;
	const struct kd_directory *dir;
	const struct kd_verify_result *result;
};

static int
write_verify(FILE *out, bool color, void *ctx, struct kd_error *err)
{
	struct verify_report *v = ctx;

	return v->format == FORMAT_JSON ? kd_report_verify_json(out, v->dir, v->result, err)
					: kd_report_verify_text(out, v->dir, v->result, color, err);
}

int
cli_cmd_verify(struct cli_args *args)
{
	struct kd_directory *dir = NULL;
	struct kd_tokens *tokens = NULL;
	struct kd_kdc *kdc = NULL;
	struct kd_verify_result result = {0};
	struct kd_error err;
	const char *spn = args->positional[1], *user_name = cli_text(args, OPT_USER);
	uint32_t frontend = KD_NONE, user = KD_NONE;
	/* --protocol's choices: kerberos, any */
	enum kd_verify_protocol protocol =
		cli_given(args, OPT_PROTOCOL) && args->values[OPT_PROTOCOL][0].choice == 1
			? KD_VERIFY_ANY
			: KD_VERIFY_KERBEROS;
	char *source = NULL;
	int r, code;

	kd_error_clear(&err);
	if (cli_given(args, OPT_EXPLAIN_ERROR))
		return args->npositional ? cli_usage_error("--explain-error takes no FRONTEND or SPN")
					 : explain_error(args);
	if (args->npositional < 2)
		return cli_usage_error("verify takes FRONTEND SPN: %zu argument%s given",
				       args->npositional, args->npositional == 1 ? "" : "s");
	{
		struct kd_spn parsed;
		struct kd_error why;

		kd_error_clear(&why);
		if (kd_spn_parse(spn, strlen(spn), &parsed, &why) < 0)
			return cli_usage_error("'%s' is not an SPN (service/host[:port][/name]): %s",
					       spn, why.message);
	}
	code = cli_check_source(args, true);
	if (code >= 0)
		return code;
	code = -1;
	r = cli_load_source(args, true, &dir, &source, &err);
	if (r == 0) {
		code = find_named(dir, "front end", args->positional[0], &frontend);
		if (code < 0 && user_name)
			code = find_named(dir, "user", user_name, &user);
		if (code >= 0)
			goto out;
	}
	if (r == 0)
		r = kd_tokens_new(dir, &tokens, &err);
	if (r == 0)
		r = kd_kdc_new(dir, tokens, &kdc, &err);
	if (r == 0)
		r = kd_verify(kdc, dir, frontend, spn, user, protocol, &result, &err);
	if (r == 0) {
		struct verify_report report = {args->format, dir, &result};

		r = cli_write(args, write_verify, &report, &err);
	}
	/* exit 1 unless the KDC would do it: a conditional or uncertain answer is no promise */
	if (r == KD_ERR_USAGE) /* a targeted snapshot: the wrong input for this command */
		code = cli_usage_error("%s", err.message);
	else
		code = r < 0 ? cli_fail(&err)
			     : result.verdict == KD_VERDICT_YES ? KD_EXIT_OK : KD_EXIT_VERDICT;
	kd_verify_free(&result);
out:
	kd_kdc_free(kdc);
	kd_tokens_free(tokens);
	kd_directory_free(dir);
	free(source);
	return code;
}
