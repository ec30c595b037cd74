/* SPDX-License-Identifier: MIT */
/*
 * The command line in two tables: commands and options. Parsing, --help, the man
 * page and the bash, zsh and fish completions are all made from them.
 *
 * A new option: its name in enum cli_opt (cli-private.h; the enum's order is the
 * help's), one row below naming the commands that take it, and the handler reads
 * it: cli_given(), cli_text(), or args->values[OPT_X][i].number / .choice for each
 * of args->count[OPT_X] (a repeatable option's every value, in order). Values are
 * checked before the handler runs (numbers in range, choices in any case). A new
 * command: enum cli_cmd, a row in cli_commands[], its handler in cli-NAME.c. Then
 * regenerate: kdeleg --generate man > docs/man/kdeleg.1, and bash, zsh and fish
 * into completions/ (kdeleg.bash, _kdeleg, kdeleg.fish).
 */
#include "config.h"

#include <string.h>

#include "kdeleg/verify.h"

#include "cli-private.h"

const char *const cli_format_names[FORMAT_COUNT] = {"text",     "json", "ndjson", "csv", "html",
						     "markdown", "dot",  "svg"};

const char cli_tagline[] = "audit Active Directory Kerberos delegation";
const char cli_about[] =
	"Audits Active Directory Kerberos delegation: unconstrained, constrained, protocol "
	"transition, resource-based (RBCD), duplicate SPNs, delegation to tier 0 and "
	"privileged accounts that can be delegated. It reads a domain from a DC over LDAP "
	"(Kerberos or a simple bind over TLS) or from an LDIF snapshot.";

const struct cli_exit cli_exits[4] = {
	{KD_EXIT_OK, "success, whatever was found"},
	{KD_EXIT_VERDICT, "a verdict asked for: a --fail-on condition held (the report is still "
			  "written); verify: the delegation does not work, or depends on what the "
			  "directory cannot show"},
	{KD_EXIT_USAGE, "usage error"},
	{KD_EXIT_FAILURE, "failure: broken or incomplete input, a DC that cannot be reached, "
			  "bound to or read completely, I/O error, out of memory"},
};

const struct cli_env cli_environment[] = {
	{"KDELEG_PASSWORD", "the --simple-bind password when there is no --password-file"},
	{"NO_COLOR", "when set and not empty, no colour (as --color never) unless --color always"},
	{"TERM", "dumb: no colour unless --color always"},
	{"COLUMNS", "the terminal width text output is folded to (default: the terminal's)"},
	{"LDAPCONF", "the OpenLDAP client configuration, whose URI is the default DC"},
	{NULL, NULL},
};

const struct cli_example cli_examples[] = {
	{"kdeleg audit --ldif SNAPSHOT.ldif", "a text report of a snapshot"},
	{"kdeleg audit -H ldaps://dc01.corp.example --simple-bind auditor@corp.example -f json "
	 "-o report.json",
	 "a JSON report of a live domain, written atomically"},
	{"kdeleg audit --ldif SNAPSHOT.ldif --baseline last.json --fail-on new:high --fail-on "
	 "critical",
	 "exit 1 when a high or critical finding is new, or any critical one is present"},
	{"kdeleg collect -d corp.example -o SNAPSHOT.ldif", "a snapshot for later audits"},
	{"kdeleg diff last.json report.json --fail-on new", "what changed between two reports"},
	{"kdeleg audit --ldif SNAPSHOT.ldif --accept accepted-risks --fail-on high",
	 "exit 1 on a high or critical finding nobody accepted (docs/accepted-risks.md)"},
	{"kdeleg audit --ldif SNAPSHOT.ldif -f html -o report.html",
	 "one self-contained page for people"},
	{"kdeleg verify APP01 cifs/FS01.corp.example --ldif SNAPSHOT.ldif",
	 "will APP01 delegate users to the file server, and if not, why"},
	{"kdeleg verify --explain-error 0xC000015B", "what a pasted Kerberos error means"},
	{"kdeleg paths --ldif SNAPSHOT.ldif -f svg -o chains.svg", "the chains to tier 0, drawn"},
	{NULL, NULL},
};

/* The i-th of a fixed list, NULL past its end. */
#define PICK(names, i) ((i) < sizeof(names) / sizeof(*(names)) ? (names)[i] : NULL)

static const char *
format_choice(const struct cli_command *cmd, size_t i)
{
	for (size_t f = 0; f < FORMAT_COUNT; f++)
		if ((cmd->formats & (1u << f)) && i-- == 0)
			return cli_format_names[f];
	return NULL;
}

static const char *
severity_choice(const struct cli_command *cmd, size_t i)
{
	return i < KD_SEV_COUNT ? kd_severity_name((enum kd_severity)i) : NULL;
}

/*
 * --fail-on: a severity, new, new:SEVERITY; diff compares two reports, where every
 * condition is about new findings.
 */
static const char *
fail_on_choice(const struct cli_command *cmd, size_t i)
{
	static const char *const news[KD_SEV_COUNT] = {"new:info", "new:low", "new:medium",
						       "new:high", "new:critical"};

	if (cmd == &cli_commands[CMD_DIFF])
		i += KD_SEV_COUNT;
	if (i < KD_SEV_COUNT)
		return severity_choice(cmd, i);
	if (i == KD_SEV_COUNT)
		return "new";
	i -= KD_SEV_COUNT + 1;
	return i < KD_SEV_COUNT ? news[i] : NULL;
}

/* --rule: the catalogue's ids. */
static const char *
rule_choice(const struct cli_command *cmd, size_t i)
{
	return i < KD_RULE_COUNT ? kd_rule_get((enum kd_rule_id)i)->id : NULL;
}

static const char *
color_choice(const struct cli_command *cmd, size_t i)
{
	static const char *const names[] = {"auto", "always", "never"};

	return PICK(names, i);
}

static const char *
protocol_choice(const struct cli_command *cmd, size_t i)
{
	static const char *const names[] = {"kerberos", "any"};

	return PICK(names, i);
}

static const char *
uri_hint(const struct cli_command *cmd, size_t i)
{
	static const char *const names[] = {"ldap://", "ldaps://"};

	return PICK(names, i);
}

/* The codes --explain-error knows, each once (the causes are sorted by code). */
static const char *
error_code_hint(const struct cli_command *cmd, size_t i)
{
	const struct kd_error_cause *all;
	size_t n = kd_verify_causes(&all);

	for (size_t k = 0; k < n; k++)
		if ((k == 0 || strcmp(all[k].code, all[k - 1].code) != 0) && i-- == 0)
			return all[k].code;
	return NULL;
}

/* Every command reading a directory: from --ldif (collect excepted) or from a DC. */
#define LIVE (ON(CMD_AUDIT) | ON(CMD_COLLECT) | ON(CMD_VERIFY) | ON(CMD_PATHS))
#define SNAPSHOT (ON(CMD_AUDIT) | ON(CMD_VERIFY) | ON(CMD_PATHS))
#define FORMATTED (ON(CMD_AUDIT) | ON(CMD_DIFF) | ON(CMD_VERIFY) | ON(CMD_PATHS) | ON(CMD_RULES))
#define OUTPUT (LIVE | ON(CMD_DIFF))

/* Short name, value kind, metavar, commands, repeat, min, max, choices, help. */
const struct cli_option cli_options[OPT_COUNT] = {
	[OPT_LDIF] = {"ldif", 'l', KIND_FILE, "FILE", SNAPSHOT, false, 0, 0, NULL,
		      "read an LDIF snapshot (as ldapsearch or kdeleg collect writes it; - for "
		      "stdin) instead of a DC"},
	[OPT_URI] = {"uri", 'H', KIND_TEXT, "URI", LIVE, true, 0, 0, uri_hint,
		     "read the DC at ldap://HOST or ldaps://HOST (repeat: tried in order; "
		     "default: ldap.conf's URI)"},
	[OPT_DOMAIN] = {"domain", 'd', KIND_TEXT, "DOMAIN", LIVE, false, 0, 0, NULL,
			"find the DCs of DOMAIN in DNS (_ldap._tcp SRV records)"},
	[OPT_BASE] = {"base", 'b', KIND_TEXT, "DN", LIVE, false, 0, 0, NULL,
		      "search under DN (default: the DC's defaultNamingContext)"},
	[OPT_STARTTLS] = {"starttls", 0, KIND_FLAG, NULL, LIVE, false, 0, 0, NULL,
			  "upgrade ldap:// to TLS (StartTLS) before binding"},
	[OPT_SIMPLE_BIND] = {"simple-bind", 0, KIND_TEXT, "DN|UPN", LIVE, false, 0, 0, NULL,
			     "bind with a password, not Kerberos (needs ldaps:// or --starttls)"},
	[OPT_PASSWORD_FILE] = {"password-file", 0, KIND_FILE, "FILE", LIVE, false, 0, 0, NULL,
			       "its password: FILE's first line (else $KDELEG_PASSWORD, else a "
			       "prompt)"},
	[OPT_CA_FILE] = {"ca-file", 0, KIND_FILE, "FILE", LIVE, false, 0, 0, NULL,
			 "trust only the CA certificates in FILE for TLS"},
	[OPT_INSECURE_TLS] = {"insecure-tls", 0, KIND_FLAG, NULL, LIVE, false, 0, 0, NULL,
			      "do not verify the DC's TLS certificate"},
	[OPT_TIMEOUT] = {"timeout", 0, KIND_NUMBER, "SECONDS", LIVE, false, 1, 86400, NULL,
			 "give up on a silent DC after SECONDS (default 30 to connect, 120 a "
			 "request)"},
	[OPT_DEADLINE] = {"deadline", 0, KIND_NUMBER, "SECONDS", LIVE, false, 1, 604800, NULL,
			  "give up when the whole conversation with the DC takes longer (default "
			  "3600)"},
	[OPT_PAGE_SIZE] = {"page-size", 0, KIND_NUMBER, "N", LIVE, false, 1, 100000, NULL,
			   "entries per page of results (default 1000)"},
	[OPT_RANGE_STEP] = {"range-step", 0, KIND_NUMBER, "N", LIVE, false, 1, 1000000, NULL,
			    "read multi-valued attributes N values a request (default: as the DC "
			    "splits them)"},
	[OPT_CONNECTIONS] = {"connections", 0, KIND_NUMBER, "N", LIVE, false, 1,
			     KD_LDAP_MAX_CONNECTIONS, NULL,
			     "read the domain over N connections to the DC (default 1)"},
	[OPT_FULL] = {"full", 0, KIND_FLAG, NULL, ON(CMD_AUDIT) | ON(CMD_COLLECT) | ON(CMD_PATHS),
		      false, 0, 0, NULL,
		      "read every account from the DC, not only those a finding can need (the "
		      "same findings, slower)"},
	[OPT_QUIET] = {"quiet", 'q', KIND_FLAG, NULL, LIVE, false, 0, 0, NULL,
		       "no progress on stderr (shown only when it is a terminal)"},
	[OPT_USER] = {"user", 0, KIND_TEXT, "USER", ON(CMD_VERIFY), false, 0, 0, NULL,
		      "the user to delegate (sAMAccountName, DN or SID; default: any delegable "
		      "user)"},
	[OPT_PROTOCOL] = {"protocol", 0, KIND_CHOICE, "PROTO", ON(CMD_VERIFY), false, 0, 0,
			  protocol_choice,
			  "how the user signs in to the front end: kerberos (default: the user's "
			  "own ticket) or any (forms, NTLM, certificates: protocol transition)"},
	[OPT_FROM] = {"from", 0, KIND_TEXT, "ACCOUNT", ON(CMD_PATHS), false, 0, 0, NULL,
		      "only ACCOUNT's chains (sAMAccountName, DN or SID)"},
	[OPT_TO] = {"to", 0, KIND_TEXT, "ACCOUNT", ON(CMD_PATHS), false, 0, 0, NULL,
		    "chains to ACCOUNT instead of tier 0 and the domain"},
	[OPT_MAX_HOPS] = {"max-hops", 0, KIND_NUMBER, "N", ON(CMD_PATHS), false, 1, 1000000, NULL,
			  "only chains of at most N hops"},
	[OPT_FORMAT] = {"format", 'f', KIND_CHOICE, "FORMAT", FORMATTED, false, 0, 0,
			format_choice, "output format: {} (default text)"},
	[OPT_OUTPUT] = {"output", 'o', KIND_FILE, "FILE", OUTPUT, false, 0, 0, NULL,
			"write to FILE atomically (temp file + rename; collect: required)"},
	[OPT_COLOR] = {"color", 0, KIND_CHOICE, "WHEN", ON(CMD_AUDIT) | ON(CMD_VERIFY), false, 0,
		       0, color_choice,
		       "colour text output: {} (auto: on a terminal unless TERM=dumb or "
		       "NO_COLOR is set)"},
	[OPT_BASELINE] = {"baseline", 0, KIND_FILE, "FILE", ON(CMD_AUDIT), false, 0, 0, NULL,
			  "mark findings new or unchanged against an earlier JSON report; list "
			  "resolved ones"},
	[OPT_FAIL_ON] = {"fail-on", 0, KIND_CHOICE, "COND", ON(CMD_AUDIT) | ON(CMD_DIFF), true, 0,
			 0, fail_on_choice,
			 "exit 1 when a finding at or above a severity (info..critical) is "
			 "present; new: when a finding is not in the baseline (diff: not in "
			 "OLD.json); new:SEVERITY: a new one at or above it (repeat: exit 1 when "
			 "any holds)"},
	[OPT_MIN_SEVERITY] = {"min-severity", 0, KIND_CHOICE, "LEVEL", ON(CMD_AUDIT), false, 0, 0,
			      severity_choice,
			      "report only findings at or above LEVEL: {} (--fail-on still "
			      "counts all)"},
	[OPT_RULE] = {"rule", 0, KIND_CHOICE, "RULE", ON(CMD_AUDIT), true, 0, 0, rule_choice,
		      "report only RULE's findings (repeat for more rules; --fail-on still "
		      "counts all): {}"},
	[OPT_ACCEPT] = {"accept", 0, KIND_FILE, "FILE", ON(CMD_AUDIT) | ON(CMD_DIFF), false, 0, 0,
			NULL,
			"accepted risks (docs/accepted-risks.md): FILE's findings leave the "
			"report's findings and --fail-on until they expire or change"},
	[OPT_EXPLAIN_ERROR] = {"explain-error", 0, KIND_TEXT, "CODE", ON(CMD_VERIFY), false, 0,
			       0, error_code_hint,
			       "list what an error means (0xC000015B, KDC_ERR_BADOPTION, "
			       "STATUS_NOT_FOUND, NTLM...), without a source"},
	[OPT_HELP] = {"help", 'h', KIND_FLAG, NULL, (1u << CMD_COUNT) - 1, false, 0, 0, NULL,
		      "show this help"},
};

#define FMT(f) (1u << FORMAT_##f)

const struct cli_command cli_commands[CMD_COUNT] = {
	[CMD_AUDIT] = {"audit", "", 0, 0, KIND_TEXT,
		       FMT(TEXT) | FMT(JSON) | FMT(NDJSON) | FMT(CSV) | FMT(HTML),
		       "audit a domain and report every delegation risk",
		       "Reads the domain (from --ldif FILE or a DC) and reports every delegation "
		       "risk the rule catalogue knows (kdeleg rules), by severity. With "
		       "--baseline, findings are marked new or unchanged against an earlier "
		       "JSON report and resolved ones are listed; --fail-on makes a condition "
		       "exit 1, for schedulers.",
		       cli_cmd_audit},
	[CMD_COLLECT] = {"collect", "", 0, 0, KIND_TEXT, 0,
			 "read a domain from a DC into an LDIF snapshot for audit --ldif",
			 "Reads the same entries a live audit reads and writes them, with a "
			 "trailer counting them, to -o FILE. The file appears only when the "
			 "collection is complete and the model an audit builds accepts it.",
			 cli_cmd_collect},
	[CMD_DIFF] = {"diff", "OLD.json NEW.json", 2, 2, KIND_FILE,
		      FMT(TEXT) | FMT(JSON) | FMT(NDJSON),
		      "compare two JSON reports: new and resolved findings",
		      "Compares two reports of the same domain written by kdeleg audit --format "
		      "json, by finding fingerprint: what NEW.json has that OLD.json lacks, and "
		      "what was resolved.",
		      cli_cmd_diff},
	[CMD_VERIFY] = {"verify", "FRONTEND SPN", 0, 2, /* 2 unless --explain-error */
			 KIND_TEXT, FMT(TEXT) | FMT(JSON),
			"will FRONTEND delegate users to SPN, and if not, why (as the KDC)",
			"Answers as the KDC would whether FRONTEND can obtain a ticket to SPN "
			"for a user (S4U2Self, S4U2Proxy, classic or resource-based), check by "
			"check, with the error each failure produces and its fix. "
			"--explain-error CODE lists what a pasted error means, without a source.",
			cli_cmd_verify},
	[CMD_PATHS] = {"paths", "", 0, 0, KIND_TEXT, FMT(TEXT) | FMT(JSON) | FMT(DOT) | FMT(SVG),
		       "delegation chains to tier 0: who reaches it, hop by hop",
		       "Lists every delegation chain that ends at tier 0 (or at --to ACCOUNT), "
		       "one a line, each hop with the right that makes it.",
		       cli_cmd_paths},
	[CMD_RULES] = {"rules", "", 0, 0, KIND_TEXT, FMT(TEXT) | FMT(JSON) | FMT(MARKDOWN),
		       "list the rule catalogue",
		       "Lists the rules the audit applies: id, usual severity and title; json "
		       "and markdown add what each means, why it matters and how to fix it "
		       "(docs/rules.md is its markdown).",
		       cli_cmd_rules},
	[CMD_HELP] = {"help", "[COMMAND]", 0, 1, KIND_COMMAND, 0,
		      "show the help of kdeleg or of COMMAND",
		      "Shows the commands, or COMMAND's options (as kdeleg COMMAND --help).",
		      cli_cmd_help},
	[CMD_VERSION] = {"version", "", 0, 0, KIND_TEXT, 0, "print the version",
			 "Prints kdeleg's version (as kdeleg --version).", cli_cmd_version},
};
