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
#include <time.h>
#include <unistd.h>

#include "kdeleg/analyze.h"
#include "kdeleg/baseline.h"
#include "kdeleg/cli-output.h"
#include "kdeleg/chain.h"
#include "kdeleg/cli.h"
#include "kdeleg/directory.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/ldif-write.h"
#include "kdeleg/ldif.h"
#include "kdeleg/password.h"
#include "kdeleg/report.h"
#include "kdeleg/report-paths.h"
#include "kdeleg/spn.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/verify.h"

/* Report formats first, in enum kd_report_format's order. */
enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_NDJSON, FORMAT_CSV, FORMAT_MARKDOWN, FORMAT_DOT,
	      FORMAT_SVG };
#define FORMATS_AUDIT ((1u << FORMAT_TEXT) | (1u << FORMAT_JSON) | (1u << FORMAT_NDJSON) | \
		       (1u << FORMAT_CSV))
#define FORMATS_DIFF ((1u << FORMAT_TEXT) | (1u << FORMAT_JSON) | (1u << FORMAT_NDJSON))
#define FORMATS_RULES ((1u << FORMAT_TEXT) | (1u << FORMAT_JSON) | (1u << FORMAT_MARKDOWN))
#define FORMATS_VERIFY ((1u << FORMAT_TEXT) | (1u << FORMAT_JSON))
#define FORMATS_PATHS ((1u << FORMAT_TEXT) | (1u << FORMAT_JSON) | (1u << FORMAT_DOT) | \
		       (1u << FORMAT_SVG))
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* Parsed options (cli.c only). */
static const char *arg_ldif;
static const char *arg_output;
static enum format arg_format = FORMAT_TEXT;
static enum color_mode arg_color = COLOR_AUTO;
static const char *arg_baseline;
static bool arg_fail_on_set, arg_fail_on_new;
static enum kd_severity arg_fail_on;
static bool arg_min_severity_set;
static enum kd_severity arg_min_severity;
/* positional arguments (kdeleg diff OLD NEW) */
static const char *arg_positional[2];
static int arg_npositional;
/* the live source (audit without --ldif, collect) */
static struct kd_ldap_options arg_ldap;
static const char *arg_password_file;
static bool arg_quiet;
/* kdeleg verify */
static const char *arg_user;
static enum kd_verify_protocol arg_protocol = KD_VERIFY_KERBEROS;
static const char *arg_explain;
/* kdeleg paths */
static const char *arg_from, *arg_to;
static unsigned arg_max_hops;

enum {
	OPT_COLOR = 0x100,
	OPT_BASELINE,
	OPT_FAIL_ON,
	OPT_MIN_SEVERITY,
	OPT_STARTTLS,
	OPT_SIMPLE_BIND,
	OPT_PASSWORD_FILE,
	OPT_CA_FILE,
	OPT_INSECURE_TLS,
	OPT_TIMEOUT,
	OPT_DEADLINE,
	OPT_PAGE_SIZE,
	OPT_RANGE_STEP,
	OPT_CONNECTIONS,
	OPT_USER,
	OPT_PROTOCOL,
	OPT_EXPLAIN_ERROR,
	OPT_FROM,
	OPT_TO,
	OPT_MAX_HOPS,
};

struct option_doc {
	const char *name;
	int key;
	const char *arg; /* NULL: no argument */
	const char *help;
};

/* The live source's options, shared by audit (without --ldif) and collect. */
#define CONNECTION_OPTIONS                                                                    \
	{"uri", 'H', "URI",                                                                   \
	 "read the DC at ldap://HOST or ldaps://HOST (repeat: tried in order; default: "      \
	 "ldap.conf's URI)"},                                                                 \
	{"domain", 'd', "DOMAIN", "find the DCs of DOMAIN in DNS (_ldap._tcp SRV records)"},  \
	{"base", 'b', "DN", "search under DN (default: the DC's defaultNamingContext)"},      \
	{"starttls", OPT_STARTTLS, NULL, "upgrade ldap:// to TLS (StartTLS) before binding"}, \
	{"simple-bind", OPT_SIMPLE_BIND, "DN|UPN",                                            \
	 "bind with a password, not Kerberos (needs ldaps:// or --starttls)"},                \
	{"password-file", OPT_PASSWORD_FILE, "FILE",                                          \
	 "its password: FILE's first line (else $KDELEG_PASSWORD, else a prompt)"},           \
	{"ca-file", OPT_CA_FILE, "FILE", "trust only the CA certificates in FILE for TLS"},   \
	{"insecure-tls", OPT_INSECURE_TLS, NULL, "do not verify the DC's TLS certificate"},  \
	{"timeout", OPT_TIMEOUT, "SECONDS",                                                   \
	 "give up on a silent DC after SECONDS (default 30 to connect, 120 a request)"},      \
	{"deadline", OPT_DEADLINE, "SECONDS",                                                 \
	 "give up when the whole conversation with the DC takes longer (default 3600)"},      \
	{"page-size", OPT_PAGE_SIZE, "N", "entries per page of results (default 1000)"},      \
	{"range-step", OPT_RANGE_STEP, "N",                                                   \
	 "read multi-valued attributes N values a request (default: as the DC splits them)"}, \
	{"connections", OPT_CONNECTIONS, "N",                                                 \
	 "read the domain over N connections to the DC, 1 to 16 (default 1)"},               \
	{"quiet", 'q', NULL, "no progress on stderr (shown only when it is a terminal)"}

static const struct option_doc audit_options[] = {
	{"ldif", 'l', "FILE", "audit an LDIF snapshot (as ldapsearch writes it; - for stdin)"},
	CONNECTION_OPTIONS,
	{"format", 'f', "FORMAT", "text (default), json, ndjson (one finding a line) or csv"},
	{"output", 'o', "FILE", "write the report to FILE atomically (temp file + rename)"},
	{"color", OPT_COLOR, "WHEN", "auto (default: when stdout is a terminal), always, never"},
	{"baseline", OPT_BASELINE, "FILE",
	 "mark findings new or unchanged against an earlier JSON report; list resolved ones"},
	{"fail-on", OPT_FAIL_ON, "LEVEL",
	 "exit 1 when a finding at or above LEVEL (info..critical) is present, or with "
	 "'new', when a finding is not in the baseline"},
	{"min-severity", OPT_MIN_SEVERITY, "LEVEL", "report only findings at or above LEVEL"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static const struct option_doc collect_options[] = {
	{"output", 'o', "FILE", "write the LDIF snapshot to FILE atomically (required)"},
	CONNECTION_OPTIONS,
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static const struct option_doc diff_options[] = {
	{"format", 'f', "FORMAT", "text (default), json or ndjson"},
	{"output", 'o', "FILE", "write to FILE atomically (temp file + rename)"},
	{"fail-on", OPT_FAIL_ON, "new", "exit 1 when NEW.json has a finding OLD.json lacks"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static const struct option_doc verify_options[] = {
	{"user", OPT_USER, "USER",
	 "the user to delegate (sAMAccountName, DN or SID; default: any delegable user)"},
	{"protocol", OPT_PROTOCOL, "PROTO",
	 "kerberos (default: the user's own ticket) or any (forms, NTLM, certificates: "
	 "protocol transition)"},
	{"ldif", 'l', "FILE", "read an LDIF snapshot instead of a DC"},
	CONNECTION_OPTIONS,
	{"format", 'f', "FORMAT", "text (default) or json"},
	{"output", 'o', "FILE", "write to FILE atomically (temp file + rename)"},
	{"color", OPT_COLOR, "WHEN", "auto (default: when stdout is a terminal), always, never"},
	{"explain-error", OPT_EXPLAIN_ERROR, "CODE",
	 "list what an error means (0xC000015B, KDC_ERR_BADOPTION, STATUS_NOT_FOUND, NTLM...)"},
	{"help", 'h', NULL, "show this help"},
	{NULL, 0, NULL, NULL},
};

static const struct option_doc paths_options[] = {
	{"ldif", 'l', "FILE", "read an LDIF snapshot (as ldapsearch writes it; - for stdin)"},
	CONNECTION_OPTIONS,
	{"from", OPT_FROM, "ACCOUNT", "only ACCOUNT's chain (sAMAccountName, DN or SID)"},
	{"to", OPT_TO, "ACCOUNT", "chains to ACCOUNT instead of tier 0 and the domain"},
	{"max-hops", OPT_MAX_HOPS, "N", "only chains of at most N hops"},
	{"format", 'f', "FORMAT", "text (default), json, dot or svg (Graphviz)"},
	{"output", 'o', "FILE", "write to FILE atomically (temp file + rename)"},
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
	      "  collect   read a domain from a DC into an LDIF snapshot for audit --ldif\n"
	      "  diff      compare two JSON reports: new and resolved findings\n"
	      "  verify    will FRONTEND delegate users to SPN, and if not, why (as the KDC)\n"
	      "  paths     delegation chains to tier 0: who reaches it, hop by hop\n"
	      "  rules     list the rule catalogue\n"
	      "  version   print the version\n"
	      "\n"
	      "kdeleg audit options:\n",
	      out);
	print_options(out, audit_options);
	fputs("\nkdeleg collect -o FILE options:\n", out);
	print_options(out, collect_options);
	fputs("\nkdeleg diff OLD.json NEW.json options:\n", out);
	print_options(out, diff_options);
	fputs("\nkdeleg verify FRONTEND SPN options:\n", out);
	print_options(out, verify_options);
	fputs("\nkdeleg paths options:\n", out);
	print_options(out, paths_options);
	fputs("\nkdeleg rules options:\n", out);
	print_options(out, rules_options);
	fputs("\n"
	      "Exit status:\n"
	      "  0  success, whatever was found\n"
	      "  1  a --fail-on threshold was met (the report is still written); verify: the\n"
	      "     delegation does not work, or depends on what the directory cannot show\n"
	      "  2  usage error\n"
	      "  3  failure: broken or incomplete input, a DC that cannot be reached, bound to\n"
	      "     or read completely, I/O error, out of memory\n",
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

/* Options a command may have, and the end marker (short ones take at most 2 chars each). */
#define OPTIONS_MAX 64

/* Builds getopt_long's tables from an option_doc table. */
static void
build_getopt(const struct option_doc *docs, struct option *longopts, char *shortopts)
{
	size_t n = 0, s = 0;

	shortopts[s++] = ':'; /* a missing value returns ':', not '?' */
	for (const struct option_doc *d = docs; d->name; d++, n++) {
		if (n + 1 == OPTIONS_MAX)
			abort(); /* a table outgrew the arrays: a programming error */
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
parse_format(const char *text, unsigned allowed)
{
	static const char *const names[] = {"text", "json", "ndjson", "csv", "markdown", "dot",
					    "svg"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if ((allowed & (1u << i)) && strcmp(text, names[i]) == 0) {
			arg_format = (enum format)i;
			return 0;
		}
	return usage_error("unknown format '%s'", text);
}

/* A whole decimal number in [min, max] for @option. */
static int
parse_count(const char *option, const char *text, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v = 0;

	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > max)
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!*text || v < min || v > max)
		goto bad;
	*ret = (unsigned)v;
	return 0;
bad:
	return usage_error("%s takes a number from %u to %u, not '%s'", option, min, max, text);
}

static int
parse_severity(const char *option, const char *text, enum kd_severity *ret)
{
	if (!kd_severity_parse(text, ret))
		return usage_error("%s takes info, low, medium, high or critical, not '%s'", option,
				   text);
	return 0;
}

/* Parses options after the command; returns an exit code, or -1 to go on. */
static int
parse_options(int argc, char **argv, const struct option_doc *docs, unsigned formats,
	      int npositional)
{
	struct option longopts[OPTIONS_MAX];
	char shortopts[2 * OPTIONS_MAX + 2];
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
			if (parse_format(optarg, formats) != 0)
				return KD_EXIT_USAGE;
			break;
		case OPT_BASELINE:
			arg_baseline = optarg;
			break;
		case OPT_FAIL_ON:
			arg_fail_on_set = true;
			arg_fail_on_new = strcmp(optarg, "new") == 0;
			if (!arg_fail_on_new && parse_severity("--fail-on", optarg, &arg_fail_on))
				return KD_EXIT_USAGE;
			break;
		case OPT_MIN_SEVERITY:
			arg_min_severity_set = true;
			if (parse_severity("--min-severity", optarg, &arg_min_severity))
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
		case 'H':
			if (arg_ldap.nuris == KD_LDAP_MAX_URIS)
				return usage_error("at most %d --uri", KD_LDAP_MAX_URIS);
			if (strncasecmp(optarg, "ldap://", 7) != 0 &&
			    strncasecmp(optarg, "ldaps://", 8) != 0)
				return usage_error("--uri takes ldap://HOST or ldaps://HOST, not '%s'",
						   optarg);
			arg_ldap.uris[arg_ldap.nuris++] = optarg;
			break;
		case 'd':
			arg_ldap.domain = optarg;
			break;
		case 'b':
			arg_ldap.base = optarg;
			break;
		case 'q':
			arg_quiet = true;
			break;
		case OPT_STARTTLS:
			arg_ldap.starttls = true;
			break;
		case OPT_SIMPLE_BIND:
			arg_ldap.simple_bind = optarg;
			break;
		case OPT_PASSWORD_FILE:
			arg_password_file = optarg;
			break;
		case OPT_CA_FILE:
			arg_ldap.ca_file = optarg;
			break;
		case OPT_INSECURE_TLS:
			arg_ldap.insecure_tls = true;
			break;
		case OPT_TIMEOUT:
			if (parse_count("--timeout", optarg, 1, 86400, &arg_ldap.op_timeout))
				return KD_EXIT_USAGE;
			arg_ldap.connect_timeout = arg_ldap.op_timeout;
			break;
		case OPT_DEADLINE:
			if (parse_count("--deadline", optarg, 1, 604800, &arg_ldap.deadline))
				return KD_EXIT_USAGE;
			break;
		case OPT_PAGE_SIZE: {
			unsigned n = 0;

			if (parse_count("--page-size", optarg, 1, 100000, &n))
				return KD_EXIT_USAGE;
			arg_ldap.page_size = n;
			break;
		}
		case OPT_RANGE_STEP: {
			unsigned n = 0;

			if (parse_count("--range-step", optarg, 1, 1000000, &n))
				return KD_EXIT_USAGE;
			arg_ldap.range_step = n;
			break;
		}
		case OPT_CONNECTIONS:
			if (parse_count("--connections", optarg, 1, KD_LDAP_MAX_CONNECTIONS,
					&arg_ldap.connections))
				return KD_EXIT_USAGE;
			break;
		case OPT_USER:
			arg_user = optarg;
			break;
		case OPT_PROTOCOL:
			if (strcmp(optarg, "kerberos") == 0)
				arg_protocol = KD_VERIFY_KERBEROS;
			else if (strcmp(optarg, "any") == 0)
				arg_protocol = KD_VERIFY_ANY;
			else
				return usage_error("--protocol takes kerberos or any, not '%s'",
						   optarg);
			break;
		case OPT_EXPLAIN_ERROR:
			arg_explain = optarg;
			break;
		case OPT_FROM:
			arg_from = optarg;
			break;
		case OPT_TO:
			arg_to = optarg;
			break;
		case OPT_MAX_HOPS:
			if (parse_count("--max-hops", optarg, 1, 1000000, &arg_max_hops))
				return KD_EXIT_USAGE;
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		if (arg_npositional >= npositional)
			return usage_error("unexpected argument '%s'", argv[optind]);
		arg_positional[arg_npositional++] = argv[optind];
	}
	if (arg_npositional < npositional && !arg_explain) /* --explain-error needs none */
		return usage_error("%d argument%s expected, %d given", npositional,
				   npositional == 1 ? "" : "s", arg_npositional);
	return -1;
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

/* Marks findings against the baseline; refuses a baseline of another domain. */
static int
compare_baseline(const struct kd_directory *dir, const struct kd_baseline *baseline,
		 struct kd_findings *findings, struct kd_report_meta *meta, struct kd_error *err)
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
		kd_error_set_where(err, arg_baseline, 0, NULL, NULL);
		return KD_ERR_USAGE;
	}
	meta->baseline = arg_baseline;
	return kd_baseline_mark(baseline, findings, &meta->resolved, err);
}

/* Resolved findings below --min-severity are not shown either. */
static void
filter_resolved(json_t *resolved, enum kd_severity min)
{
	for (size_t i = json_array_size(resolved); i-- > 0;) {
		enum kd_severity level;

		if (kd_severity_parse(json_string_value(json_object_get(
					      json_array_get(resolved, i), "severity")),
				      &level) &&
		    level < min)
			json_array_remove(resolved, i);
	}
}

/* KD_EXIT_VERDICT when --fail-on is met (said on stderr), else KD_EXIT_OK. */
static int
fail_on_verdict(const struct kd_findings *findings)
{
	size_t hits = 0;

	if (!arg_fail_on_set)
		return KD_EXIT_OK;
	for (size_t i = 0; i < findings->count; i++)
		hits += arg_fail_on_new ? findings->items[i].baseline == KD_MARK_NEW
					: findings->items[i].severity >= arg_fail_on;
	if (!hits)
		return KD_EXIT_OK;
	if (arg_fail_on_new)
		fprintf(stderr, "kdeleg: --fail-on new: %zu finding%s not in the baseline\n", hits,
			hits == 1 ? "" : "s");
	else
		fprintf(stderr, "kdeleg: --fail-on %s: %zu finding%s at or above it\n",
			kd_severity_name(arg_fail_on), hits, hits == 1 ? "" : "s");
	return KD_EXIT_VERDICT;
}

/* The report in the chosen format, to stdout or atomically to -o FILE. */
static int
write_report(const struct kd_directory *dir, const struct kd_findings *findings,
	     struct kd_report_meta *meta, struct kd_error *err)
{
	struct kd_output out;
	int r = kd_output_open(&out, arg_output, err);

	if (r < 0)
		return r;
	meta->color = use_color(out.file);
	switch (arg_format) {
	case FORMAT_JSON:
		r = kd_report_json(out.file, dir, findings, meta, err);
		break;
	case FORMAT_NDJSON:
		r = kd_report_ndjson(out.file, dir, findings, meta, err);
		break;
	case FORMAT_CSV:
		r = kd_report_csv(out.file, dir, findings, meta, err);
		break;
	default:
		r = kd_report_text(out.file, dir, findings, meta, err);
		break;
	}
	{
		int c = kd_output_close(&out, r == 0, r == 0 ? err : NULL);

		return r < 0 ? r : c;
	}
}

/* Live collection progress on stderr, when it is a terminal and not --quiet. */
struct progress {
	const struct kd_ldap *conn;
	bool shown;
	struct timespec last;
};

static void
show_progress(void *ctx, const struct kd_ldap_progress *p)
{
	struct progress *pr = ctx;
	char uri[256];
	const char *u = pr->conn ? kd_ldap_uri(pr->conn) : "";
	struct timespec now;

	/* ten lines a second at most: a terminal is slower than a DC's small pages */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pr->shown && !p->stage_done &&
	    (now.tv_sec - pr->last.tv_sec) * 1000000000L + (now.tv_nsec - pr->last.tv_nsec) <
		    100000000L)
		return;
	pr->last = now;
	kd_escape_text(uri, sizeof(uri), u, strlen(u));
	fprintf(stderr, "\rkdeleg: %s: %s: %zu entries, page %zu%s", uri, p->stage, p->entries,
		p->pages + (p->stage_done ? 0 : 1), p->stage_done ? ", done" : "");
	pr->shown = true;
}

static void
end_progress(struct progress *pr)
{
	if (pr->shown)
		fputc('\n', stderr);
	pr->shown = false;
}

/* What can be refused before connecting or asking for a password; -1 to go on. */
static int
check_connection_options(const char *command)
{
	struct kd_error err;

	if (arg_password_file && !arg_ldap.simple_bind)
		return usage_error("--password-file goes with --simple-bind");
	if (!arg_ldap.nuris && !arg_ldap.domain && !kd_ldap_conf_has_uri())
		return usage_error("%s needs a source: %s-H URI or -d DOMAIN (ldap.conf names no "
				   "server)",
				   command, strcmp(command, "collect") != 0 ? "--ldif FILE, " : "");
	kd_error_clear(&err);
	if (kd_ldap_check_options(&arg_ldap, &err) < 0)
		return fail(&err);
	return -1;
}

/* Connects and binds; the password is read, used and wiped here. */
static int
open_ldap(struct kd_ldap **ret_conn, struct progress *pr, struct kd_error *err)
{
	char *password = NULL;
	int r;

	if (arg_ldap.simple_bind) {
		r = kd_password_get(arg_password_file, arg_ldap.simple_bind, &password, err);
		if (r < 0)
			return r;
		arg_ldap.password = password;
	}
	if (!arg_quiet && isatty(STDERR_FILENO)) {
		arg_ldap.progress = show_progress;
		arg_ldap.progress_ctx = pr;
	}
	r = kd_ldap_open(&arg_ldap, ret_conn, err);
	arg_ldap.password = NULL;
	kd_password_free(password);
	if (r == 0)
		pr->conn = *ret_conn;
	return r;
}

static int
entry_to_directory(void *ctx, const struct kd_entry *entry, struct kd_error *err)
{
	return kd_directory_add(ctx, entry, err);
}

/* Reads the domain from a DC into @dir; *ret_source is the DC's URI (free it). */
static int
load_ldap(struct kd_directory *dir, char **ret_source, struct kd_error *err)
{
	struct progress pr = {0};
	struct kd_ldap *conn = NULL;
	int r = open_ldap(&conn, &pr, err);

	if (r == 0)
		r = kd_ldap_collect(conn, entry_to_directory, dir, err);
	end_progress(&pr);
	if (r == 0 && !(*ret_source = strdup(kd_ldap_uri(conn))))
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kd_ldap_close(conn);
	return r;
}

/* Where collect's entries go: the snapshot, and the model that checks it. */
struct snapshot {
	FILE *file;
	struct kd_directory *dir;
};

static int
entry_to_snapshot(void *ctx, const struct kd_entry *entry, struct kd_error *err)
{
	struct snapshot *snap = ctx;
	int r = kd_ldif_write_entry(snap->file, entry, err);

	if (r == KD_ERR_IO)
		kd_error_set_where(err, arg_output, 0, NULL, NULL);
	if (r == 0)
		r = kd_directory_add(snap->dir, entry, err);
	return r;
}

/*
 * kdeleg collect: the same entries as a live audit reads, as an LDIF snapshot.
 * Declared complete (the trailer written, the file renamed into place) only after
 * the model an audit would build from it accepts it: the same checks (one DN, one
 * SID per object, accounts present), so that collect never succeeds on a snapshot
 * that audit --ldif refuses. The output is opened before anything is sent: a
 * directory that cannot take it fails before the password goes anywhere.
 */
static int
cmd_collect(int argc, char **argv)
{
	struct progress pr = {0};
	struct kd_ldap *conn = NULL;
	struct kd_error err;
	struct kd_output out = {0};
	struct snapshot snap = {0};
	bool opened = false;
	int r, code;

	kd_error_clear(&err);
	code = parse_options(argc, argv, collect_options, 0, 0);
	if (code >= 0)
		return code;
	/* a failed collection must leave nothing behind, which stdout cannot promise */
	if (!arg_output || strcmp(arg_output, "-") == 0)
		return usage_error("collect writes a file atomically: give -o FILE (not stdout)");
	code = check_connection_options("collect");
	if (code >= 0)
		return code;
	r = kd_output_open(&out, arg_output, &err);
	opened = r == 0;
	if (r == 0)
		r = kd_directory_new(&snap.dir, &err);
	if (r == 0)
		r = open_ldap(&conn, &pr, &err);
	if (r == 0 && kd_ldif_write_header(out.file, kd_ldap_uri(conn), time(NULL), &err) < 0) {
		kd_error_set_where(&err, arg_output, 0, NULL, NULL);
		r = KD_ERR_IO;
	}
	snap.file = out.file;
	if (r == 0)
		r = kd_ldap_collect(conn, entry_to_snapshot, &snap, &err);
	end_progress(&pr);
	if (r == 0)
		r = kd_directory_finish(snap.dir, &err);
	if (r == 0)
		r = check_scope(snap.dir, &err);
	if (r < 0 && !err.source[0] && conn)
		kd_error_set_where(&err, kd_ldap_uri(conn), 0, NULL, NULL);
	if (r == 0 && kd_ldif_write_trailer(out.file, kd_ldap_entries(conn), &err) < 0) {
		kd_error_set_where(&err, arg_output, 0, NULL, NULL);
		r = KD_ERR_IO;
	}
	if (opened) {
		int c = kd_output_close(&out, r == 0, r == 0 ? &err : NULL);

		if (r == 0)
			r = c;
	}
	kd_ldap_close(conn);
	kd_directory_free(snap.dir);
	return r < 0 ? fail(&err) : KD_EXIT_OK;
}

static int
cmd_audit(int argc, char **argv)
{
	struct kd_directory *dir = NULL;
	struct kd_findings findings = {0};
	struct kd_error err;
	struct kd_report_meta meta = {0};
	struct kd_baseline *baseline = NULL;
	char *source = NULL;
	int r, code, verdict = KD_EXIT_OK;

	kd_error_clear(&err);
	code = parse_options(argc, argv, audit_options, FORMATS_AUDIT, 0);
	if (code >= 0)
		return code;
	if (arg_fail_on_new && !arg_baseline)
		return usage_error("--fail-on new needs --baseline FILE");
	if (arg_ldif && (arg_ldap.nuris || arg_ldap.domain))
		return usage_error("two sources: --ldif FILE or a DC (-H URI, -d DOMAIN), not both");
	if (!arg_ldif && (code = check_connection_options("audit")) >= 0)
		return code;
	/* A broken baseline fails before the audit, not after it. */
	if (arg_baseline && kd_baseline_load(arg_baseline, &baseline, &err) < 0)
		return fail(&err);
	r = kd_directory_new(&dir, &err);
	if (r == 0)
		r = arg_ldif ? load_ldif(dir, arg_ldif, &err) : load_ldap(dir, &source, &err);
	if (r == 0)
		r = kd_directory_finish(dir, &err);
	if (r == 0)
		r = check_scope(dir, &err);
	if (r == 0)
		r = kd_analyze(dir, &findings, &err);
	if (r == 0 && baseline)
		r = compare_baseline(dir, baseline, &findings, &meta, &err);
	if (r == 0) {
		/* The verdict covers every finding, shown or not. */
		verdict = fail_on_verdict(&findings);
		if (arg_min_severity_set) {
			meta.min_severity = kd_severity_name(arg_min_severity);
			meta.hidden = kd_findings_filter(&findings, arg_min_severity);
			filter_resolved(meta.resolved, arg_min_severity);
		}
		meta.source = !arg_ldif ? source : strcmp(arg_ldif, "-") == 0 ? "<stdin>" : arg_ldif;
		meta.source_kind = arg_ldif ? "ldif" : "ldap";
		r = write_report(dir, &findings, &meta, &err);
	}
	json_decref(meta.resolved);
	kd_baseline_free(baseline);
	kd_findings_free(&findings);
	kd_directory_free(dir);
	free(source);
	return r < 0 ? fail(&err) : verdict;
}

/* kdeleg verify --explain-error CODE */
static int
explain_error(void)
{
	const struct kd_error_cause *found[16];
	size_t n = kd_verify_explain(arg_explain, found, 16);
	struct kd_error err;

	kd_error_clear(&err);
	if (n == 0) {
		const struct kd_error_cause *all;
		size_t nall = kd_verify_causes(&all);
		char safe[128];

		kd_escape_text(safe, sizeof(safe), arg_explain, strlen(arg_explain));
		fprintf(stderr, "kdeleg: no cause known for '%s'; known codes:", safe);
		for (size_t k = 0; k < nall; k++)
			if (k == 0 || strcmp(all[k].code, all[k - 1].code) != 0)
				fprintf(stderr, " %s", all[k].code);
		fputc('\n', stderr);
		return KD_EXIT_USAGE;
	}
	if (kd_report_explain(stdout, arg_format == FORMAT_JSON, found, n < 16 ? n : 16, &err) < 0)
		return fail(&err);
	return KD_EXIT_OK;
}

/* An account named on the command line; a usage error when the model has none. */
static int
find_named(const struct kd_directory *dir, const char *what, const char *name, uint32_t *ret)
{
	*ret = kd_verify_find_account(dir, name);
	if (*ret == KD_NONE)
		return usage_error("%s '%s' is not an account of the source, or names more than "
				   "one (give its DN or SID)",
				   what, name);
	return -1;
}

/* kdeleg verify FRONTEND SPN: the KDC model's answer, check by check. */
static int
cmd_verify(int argc, char **argv)
{
	struct kd_directory *dir = NULL;
	struct kd_tokens *tokens = NULL;
	struct kd_kdc *kdc = NULL;
	struct kd_verify_result result = {0};
	struct kd_error err;
	struct kd_output out;
	uint32_t frontend = KD_NONE, user = KD_NONE;
	char *source = NULL;
	int r, code;

	kd_error_clear(&err);
	code = parse_options(argc, argv, verify_options, FORMATS_VERIFY, 2);
	if (code >= 0)
		return code;
	if (arg_explain)
		return arg_npositional ? usage_error("--explain-error takes no FRONTEND or SPN")
				       : explain_error();
	{
		struct kd_spn parsed;
		struct kd_error why;

		kd_error_clear(&why);
		if (kd_spn_parse(arg_positional[1], strlen(arg_positional[1]), &parsed, &why) < 0)
			return usage_error("'%s' is not an SPN (service/host[:port][/name]): %s",
					   arg_positional[1], why.message);
	}
	if (arg_ldif && (arg_ldap.nuris || arg_ldap.domain))
		return usage_error("two sources: --ldif FILE or a DC (-H URI, -d DOMAIN), not both");
	if (!arg_ldif && (code = check_connection_options("verify")) >= 0)
		return code;
	code = -1;
	r = kd_directory_new(&dir, &err);
	if (r == 0)
		r = arg_ldif ? load_ldif(dir, arg_ldif, &err) : load_ldap(dir, &source, &err);
	if (r == 0)
		r = kd_directory_finish(dir, &err);
	if (r == 0)
		r = check_scope(dir, &err);
	if (r == 0) {
		code = find_named(dir, "front end", arg_positional[0], &frontend);
		if (code < 0 && arg_user)
			code = find_named(dir, "user", arg_user, &user);
		if (code >= 0)
			goto out;
	}
	if (r == 0)
		r = kd_tokens_new(dir, &tokens, &err);
	if (r == 0)
		r = kd_kdc_new(dir, tokens, &kdc, &err);
	if (r == 0)
		r = kd_verify(kdc, dir, frontend, arg_positional[1], user, arg_protocol, &result,
			      &err);
	if (r == 0 && (r = kd_output_open(&out, arg_output, &err)) == 0) {
		int c;

		r = arg_format == FORMAT_JSON
			    ? kd_report_verify_json(out.file, dir, &result, &err)
			    : kd_report_verify_text(out.file, dir, &result, use_color(out.file),
						    &err);
		c = kd_output_close(&out, r == 0, r == 0 ? &err : NULL);
		if (r == 0)
			r = c;
	}
	/* exit 1 unless the KDC would do it: a conditional or uncertain answer is no promise */
	code = r < 0 ? fail(&err) : result.verdict == KD_VERDICT_YES ? KD_EXIT_OK : KD_EXIT_VERDICT;
	kd_verify_free(&result);
out:
	kd_kdc_free(kdc);
	kd_tokens_free(tokens);
	kd_directory_free(dir);
	free(source);
	return code;
}

static int
cmd_diff(int argc, char **argv)
{
	struct kd_baseline *before = NULL, *now = NULL;
	struct kd_diff diff = {0};
	struct kd_error err;
	struct kd_output out;
	const char *sid_before, *sid_now;
	size_t added;
	int r, code;

	kd_error_clear(&err);
	code = parse_options(argc, argv, diff_options, FORMATS_DIFF, 2);
	if (code >= 0)
		return code;
	if (arg_fail_on_set && !arg_fail_on_new)
		return usage_error("kdeleg diff takes --fail-on new only, not a severity");
	r = kd_baseline_load(arg_positional[0], &before, &err);
	if (r == 0)
		r = kd_baseline_load(arg_positional[1], &now, &err);
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
	if (r == 0)
		r = kd_output_open(&out, arg_output, &err);
	if (r == 0) {
		int c;

		diff.before = kd_baseline_document(before);
		diff.now = kd_baseline_document(now);
		diff.before_name = arg_positional[0];
		diff.now_name = arg_positional[1];
		r = kd_report_diff(out.file, (enum kd_report_format)arg_format, &diff, &err);
		c = kd_output_close(&out, r == 0, r == 0 ? &err : NULL);
		if (r == 0)
			r = c;
	}
	added = json_array_size(diff.added);
	json_decref(diff.added);
	json_decref(diff.resolved);
	kd_baseline_free(before);
	kd_baseline_free(now);
	if (r < 0)
		return fail(&err);
	if (arg_fail_on_new && added) {
		fprintf(stderr, "kdeleg: --fail-on new: %zu new finding%s\n", added,
			added == 1 ? "" : "s");
		return KD_EXIT_VERDICT;
	}
	return KD_EXIT_OK;
}

/* kdeleg paths: every chain to tier 0 (or to --to), from everyone (or --from). */
static int
cmd_paths(int argc, char **argv)
{
	struct kd_paths_query query = {0};
	struct kd_directory *dir = NULL;
	struct kd_error err;
	struct kd_output out;
	json_t *doc = NULL;
	char *source = NULL;
	int r, code;

	kd_error_clear(&err);
	code = parse_options(argc, argv, paths_options, FORMATS_PATHS, 0);
	if (code >= 0)
		return code;
	if (arg_ldif && (arg_ldap.nuris || arg_ldap.domain))
		return usage_error("two sources: --ldif FILE or a DC (-H URI, -d DOMAIN), not both");
	if (!arg_ldif && (code = check_connection_options("paths")) >= 0)
		return code;
	if (arg_format == FORMAT_SVG && !kd_report_svg_available())
		return usage_error("--format svg: this kdeleg was built without Graphviz (install "
				   "libgraphviz-dev and rebuild); --format dot | dot -Tsvg works");
	query.from = arg_from;
	query.to = arg_to;
	query.max_hops = arg_max_hops;
	r = kd_directory_new(&dir, &err);
	if (r == 0)
		r = arg_ldif ? load_ldif(dir, arg_ldif, &err) : load_ldap(dir, &source, &err);
	if (r == 0)
		r = kd_directory_finish(dir, &err);
	if (r == 0)
		r = check_scope(dir, &err);
	if (r == 0)
		r = kd_paths(dir, &query, &doc, &err);
	if (r == 0)
		r = kd_output_open(&out, arg_output, &err);
	if (r == 0) {
		int c;

		r = arg_format == FORMAT_JSON  ? kd_report_paths_json(out.file, doc, &err)
		    : arg_format == FORMAT_DOT ? kd_report_paths_dot(out.file, doc, &err)
		    : arg_format == FORMAT_SVG ? kd_report_paths_svg(out.file, doc, &err)
					       : kd_report_paths_text(out.file, doc, &err);
		c = kd_output_close(&out, r == 0, r == 0 ? &err : NULL);
		if (r == 0)
			r = c;
	}
	json_decref(doc);
	kd_directory_free(dir);
	free(source);
	if (r == KD_ERR_USAGE) /* --from or --to names no account */
		return usage_error("%s", err.message);
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
	int code = parse_options(argc, argv, rules_options, FORMATS_RULES, 0);

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
	if (strcmp(cmd, "collect") == 0)
		return cmd_collect(argc - 1, argv + 1);
	if (strcmp(cmd, "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "paths") == 0)
		return cmd_paths(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
