/* SPDX-License-Identifier: MIT */
/* Command line: one option table drives parsing, --help and the completions. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kdeleg/analyze.h"
#include "kdeleg/cli.h"
#include "kdeleg/directory.h"
#include "kdeleg/ldif.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_MARKDOWN };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* Parsed options (cli.c only). */
static const char *arg_ldif;
static const char *arg_output;
static enum format arg_format = FORMAT_TEXT;
static enum color_mode arg_color = COLOR_AUTO;

enum {
	OPT_COLOR = 0x100,
};

struct option_doc {
	const char *name;
	int key;
	const char *arg; /* NULL: no argument */
	const char *help;
};

static const struct option_doc audit_options[] = {
	{"ldif", 'l', "FILE", "audit an LDIF snapshot (as ldapsearch writes it; - for stdin)"},
	{"format", 'f', "FORMAT", "text (default) or json"},
	{"output", 'o', "FILE", "write the report to FILE atomically (temp file + rename)"},
	{"color", OPT_COLOR, "WHEN", "auto (default: when stdout is a terminal), always, never"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static const struct option_doc rules_options[] = {
	{"format", 'f', "FORMAT", "text (default), json or markdown"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static void
print_options(FILE *out, const struct option_doc *docs)
{
	for (const struct option_doc *d = docs; d->name; d++) {
		char left[48];

		if (d->key < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->key, d->name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		fprintf(out, "  %-26s %s\n", left, d->help);
	}
}

static void
print_help(FILE *out)
{
	fputs("Usage: kdeleg COMMAND [OPTIONS]\n"
	      "\n"
	      "Audits Active Directory Kerberos delegation: unconstrained, constrained,\n"
	      "protocol transition, resource-based (RBCD), duplicate SPNs, delegation to\n"
	      "tier 0 and privileged accounts that can be delegated.\n"
	      "\n"
	      "Commands:\n"
	      "  audit     audit a domain and report every delegation risk\n"
	      "  rules     list the rule catalogue\n"
	      "  version   print the version\n"
	      "\n"
	      "kdeleg audit options:\n",
	      out);
	print_options(out, audit_options);
	fputs("\nkdeleg rules options:\n", out);
	print_options(out, rules_options);
	fputs("\n"
	      "Exit status:\n"
	      "  0  success, whatever was found\n"
	      "  1  reserved for verdicts the user asks for (a --fail-on threshold met)\n"
	      "  2  usage error\n"
	      "  3  failure: broken or incomplete input, I/O error, out of memory\n",
	      out);
}

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One specific line and a pointer to --help; arguments may be user text, so escape. */
static int
usage_error(const char *fmt, ...)
{
	char raw[512], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	kd_escape_text(safe, sizeof(safe), raw, strlen(raw));
	fprintf(stderr, "kdeleg: %s\nTry 'kdeleg --help' for more information.\n", safe);
	return KD_EXIT_USAGE;
}

static int
fail(const struct kd_error *err)
{
	char buf[2048];

	kd_error_format(err, buf, sizeof(buf));
	fprintf(stderr, "kdeleg: %s\n", buf);
	return KD_EXIT_FAILURE;
}

/* Builds getopt_long's tables from an option_doc table. */
static void
build_getopt(const struct option_doc *docs, struct option *longopts, char *shortopts)
{
	size_t n = 0, s = 0;

	shortopts[s++] = '+';
	for (const struct option_doc *d = docs; d->name; d++, n++) {
		longopts[n].name = d->name;
		longopts[n].has_arg = d->arg ? required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = d->key;
		if (d->key < 0x100) {
			shortopts[s++] = (char)d->key;
			if (d->arg)
				shortopts[s++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[s] = '\0';
}

static int
parse_format(const char *text, bool allow_markdown)
{
	if (strcmp(text, "text") == 0)
		arg_format = FORMAT_TEXT;
	else if (strcmp(text, "json") == 0)
		arg_format = FORMAT_JSON;
	else if (allow_markdown && strcmp(text, "markdown") == 0)
		arg_format = FORMAT_MARKDOWN;
	else
		return usage_error("unknown format '%s'", text);
	return 0;
}

/* Parses options after the command; returns an exit code, or -1 to go on. */
static int
parse_options(int argc, char **argv, const struct option_doc *docs, bool is_audit)
{
	struct option longopts[16];
	char shortopts[40];
	int c;

	build_getopt(docs, longopts, shortopts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_help(stdout);
			return KD_EXIT_OK;
		case 'l':
			arg_ldif = optarg;
			break;
		case 'o':
			arg_output = optarg;
			break;
		case 'f':
			if (parse_format(optarg, !is_audit) != 0)
				return KD_EXIT_USAGE;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				arg_color = COLOR_AUTO;
			else if (strcmp(optarg, "always") == 0)
				arg_color = COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				arg_color = COLOR_NEVER;
			else
				return usage_error("--color takes auto, always or never, not '%s'",
						   optarg);
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Output goes to a temp file renamed over the target only when complete. */
struct output {
	FILE *file;
	char *temp_path;
};

static int
output_open(struct output *o, struct kd_error *err)
{
	size_t len;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!arg_output || strcmp(arg_output, "-") == 0) {
		o->file = stdout;
		return 0;
	}
	len = strlen(arg_output);
	o->temp_path = malloc(len + 16);
	if (!o->temp_path)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	memcpy(o->temp_path, arg_output, len);
	memcpy(o->temp_path + len, ".tmp.XXXXXX", 12);
	fd = mkstemp(o->temp_path);
	if (fd < 0 || !(o->file = fdopen(fd, "w"))) {
		int saved = errno;

		if (fd >= 0) {
			close(fd);
			unlink(o->temp_path);
		}
		free(o->temp_path);
		o->temp_path = NULL;
		kd_error_set(err, KD_ERR_IO, "cannot create a file next to it: %s",
			     strerror(saved));
		kd_error_set_where(err, arg_output, 0, NULL, NULL);
		return KD_ERR_IO;
	}
	return 0;
}

/* Renames the temp file into place on success, removes it otherwise. */
static int
output_close(struct output *o, bool success, struct kd_error *err)
{
	int r = 0;

	if (!o->temp_path)
		return success && fflush(stdout) != 0
			       ? kd_error_set(err, KD_ERR_IO, "writing the report failed: %s",
					      strerror(errno))
			       : 0;
	if (fclose(o->file) != 0 && success) {
		r = kd_error_set(err, KD_ERR_IO, "writing the report failed: %s", strerror(errno));
		success = false;
	}
	if (success && rename(o->temp_path, arg_output) != 0) {
		r = kd_error_set(err, KD_ERR_IO, "cannot rename the report into place: %s",
				 strerror(errno));
		success = false;
	}
	if (!success)
		unlink(o->temp_path);
	if (r < 0)
		kd_error_set_where(err, arg_output, 0, NULL, NULL);
	free(o->temp_path);
	return r;
}

static bool
use_color(FILE *out)
{
	if (arg_color != COLOR_AUTO)
		return arg_color == COLOR_ALWAYS;
	if (getenv("NO_COLOR") && getenv("NO_COLOR")[0] != '\0')
		return false;
	return out == stdout && isatty(STDOUT_FILENO);
}

/* Reads the snapshot into @dir. */
static int
load_ldif(struct kd_directory *dir, const char *path, struct kd_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *source = is_stdin ? "<stdin>" : path;
	FILE *file = is_stdin ? stdin : fopen(path, "rb");
	struct kd_ldif *ldif = NULL;
	const struct kd_entry *entry;
	int r;

	if (!file) {
		kd_error_set(err, KD_ERR_IO, "cannot open: %s", strerror(errno));
		kd_error_set_where(err, source, 0, NULL, NULL);
		return KD_ERR_IO;
	}
	r = kd_ldif_open(file, source, kd_directory_attributes, &ldif, err);
	while (r == 0) {
		r = kd_ldif_next(ldif, &entry, err);
		if (r < 0 || !entry)
			break;
		r = kd_directory_add(dir, entry, err);
	}
	if (r < 0)
		kd_error_set_where(err, source, 0, NULL, NULL);
	kd_ldif_free(ldif);
	if (!is_stdin)
		fclose(file);
	return r;
}

/*
 * A source that yielded no account at all (a wrong base or filter, an ldapsearch
 * that failed into an empty file) must not pass for a clean domain.
 */
static int
check_scope(const struct kd_directory *dir, struct kd_error *err)
{
	struct kd_directory_counts c;

	kd_directory_counts(dir, &c);
	if (c.users + c.computers + c.dcs + c.service_accounts + c.trusts == 0)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "no accounts in %zu entries: the snapshot does not cover a "
				    "domain (check the search base and filter)",
				    c.entries);
	if (!kd_directory_domain(dir)->has_sid)
		fputs("kdeleg: warning: no domain object with objectSid in the source: "
		      "well-known domain groups cannot be told apart from other domains' and "
		      "fingerprints are not tied to the domain\n",
		      stderr);
	return 0;
}

static int
cmd_audit(int argc, char **argv)
{
	struct kd_directory *dir = NULL;
	struct kd_findings findings = {0};
	struct kd_error err;
	struct output out = {0};
	struct kd_report_meta meta = {0};
	int r, code;

	kd_error_clear(&err);
	code = parse_options(argc, argv, audit_options, true);
	if (code >= 0)
		return code;
	if (!arg_ldif)
		return usage_error("audit needs a source: --ldif FILE (live LDAP collection is "
				   "not built yet)");
	r = kd_directory_new(&dir, &err);
	if (r == 0)
		r = load_ldif(dir, arg_ldif, &err);
	if (r == 0)
		r = kd_directory_finish(dir, &err);
	if (r == 0)
		r = check_scope(dir, &err);
	if (r == 0)
		r = kd_analyze(dir, &findings, &err);
	if (r == 0)
		r = output_open(&out, &err);
	if (r == 0) {
		meta.source = strcmp(arg_ldif, "-") == 0 ? "<stdin>" : arg_ldif;
		meta.source_kind = "ldif";
		meta.color = use_color(out.file);
		if (arg_format == FORMAT_JSON)
			r = kd_report_json(out.file, dir, &findings, &meta, &err);
		else
			r = kd_report_text(out.file, dir, &findings, &meta, &err);
		if (out.file) {
			int c = output_close(&out, r == 0, r == 0 ? &err : NULL);

			if (r == 0)
				r = c;
		}
	}
	kd_findings_free(&findings);
	kd_directory_free(dir);
	return r < 0 ? fail(&err) : KD_EXIT_OK;
}

static void
rules_markdown(FILE *out, const struct kd_rule *rules, size_t n)
{
	fputs("# kdeleg rule catalogue\n\n"
	      "Generated by `kdeleg rules --format markdown` from the table the audit uses\n"
	      "(src/rules.c); do not edit by hand.\n\n"
	      "| rule | severity | title | ATT&CK |\n| --- | --- | --- | --- |\n",
	      out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "| [`%s`](#%s) | %s | %s | %s |\n", rules[i].id, rules[i].id,
			kd_severity_name(rules[i].severity), rules[i].title,
			rules[i].attack[0] ? rules[i].attack : "-");
	for (size_t i = 0; i < n; i++)
		fprintf(out,
			"\n## %s\n\n**%s** - usual severity: %s\n\n"
			"- **What it means:** %s\n- **Why it matters:** %s\n- **How to fix it:** %s\n"
			"- **ATT&CK:** %s\n- **References:** %s\n",
			rules[i].id, rules[i].title, kd_severity_name(rules[i].severity),
			rules[i].meaning, rules[i].why, rules[i].fix,
			rules[i].attack[0] ? rules[i].attack : "none", rules[i].references);
}

static int
cmd_rules(int argc, char **argv)
{
	const struct kd_rule *rules;
	size_t n = kd_rules(&rules);
	int code = parse_options(argc, argv, rules_options, false);

	if (code >= 0)
		return code;
	if (arg_format == FORMAT_MARKDOWN) {
		rules_markdown(stdout, rules, n);
	} else if (arg_format == FORMAT_JSON) {
		json_t *list = json_array();

		for (size_t i = 0; list && i < n; i++)
			json_array_append_new(
				list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
						rules[i].id, "severity",
						kd_severity_name(rules[i].severity), "title",
						rules[i].title, "meaning", rules[i].meaning, "why",
						rules[i].why, "fix", rules[i].fix, "attack",
						rules[i].attack, "references", rules[i].references));
		if (!list || json_dumpf(list, stdout, JSON_INDENT(2)) < 0) {
			json_decref(list);
			fputs("kdeleg: out of memory\n", stderr);
			return KD_EXIT_FAILURE;
		}
		fputc('\n', stdout);
		json_decref(list);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%-26s %-9s %s\n", rules[i].id, kd_severity_name(rules[i].severity),
			       rules[i].title);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kdeleg: writing failed: %s\n", strerror(errno));
		return KD_EXIT_FAILURE;
	}
	return KD_EXIT_OK;
}

int
kd_cli_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage_error("no command given");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		print_help(stdout);
		return KD_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		puts("kdeleg " KD_VERSION);
		return KD_EXIT_OK;
	}
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
