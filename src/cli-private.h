/* SPDX-License-Identifier: MIT */
/* The command line's tables and parsed arguments, shared by the cli*.c files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "kdeleg/analyze.h"
#include "kdeleg/cli.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/plan.h"

/* Output formats, the first five in enum kd_report_format's order. */
enum cli_format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_NDJSON,
	FORMAT_CSV,
	FORMAT_HTML,
	FORMAT_MARKDOWN,
	FORMAT_DOT,
	FORMAT_SVG,
	FORMAT_COUNT
};
extern const char *const cli_format_names[FORMAT_COUNT];

/* Commands: their index in cli_commands[] and their bit in an option's commands mask. */
enum cli_cmd {
	CMD_AUDIT,
	CMD_COLLECT,
	CMD_DIFF,
	CMD_VERIFY,
	CMD_PATHS,
	CMD_RULES,
	CMD_HELP,
	CMD_VERSION,
	CMD_COUNT
};
#define ON(cmd) (1u << (cmd))

/* Options: their index in cli_options[], in the order help lists them. */
enum cli_opt {
	OPT_LDIF,
	OPT_URI,
	OPT_DOMAIN,
	OPT_BASE,
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
	OPT_FULL,
	OPT_QUIET,
	OPT_USER,
	OPT_PROTOCOL,
	OPT_FROM,
	OPT_TO,
	OPT_MAX_HOPS,
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_COLOR,
	OPT_BASELINE,
	OPT_FAIL_ON,
	OPT_MIN_SEVERITY,
	OPT_RULE,
	OPT_ACCEPT,
	OPT_EXPLAIN_ERROR,
	OPT_HELP,
	OPT_COUNT
};

/* What an option's value (or a command's arguments) is: how it parses and completes. */
enum cli_kind {
	KIND_FLAG,   /* no value */
	KIND_TEXT,   /* free text (a name, a DN, a URI): completes choices() as hints only */
	KIND_FILE,   /* a path: completes file names */
	KIND_NUMBER, /* a whole decimal number in [min, max] */
	KIND_CHOICE, /* one of choices(), any case; stored as its index */
	KIND_COMMAND /* a command name (kdeleg help COMMAND) */
};

struct cli_command;

/* The i-th value an option takes with @cmd, NULL past the last one. */
typedef const char *(*cli_choices_fn)(const struct cli_command *cmd, size_t i);

struct cli_option {
	const char *name;       /* --name */
	char short_name;        /* -x, or 0 */
	enum cli_kind kind;
	const char *metavar;    /* the value's name in help (FILE, N...); NULL for a flag */
	unsigned commands;      /* ON(CMD_...) of each command taking it */
	bool repeat;            /* may be given again (the help says what that means) */
	unsigned min, max;      /* KIND_NUMBER's range */
	cli_choices_fn choices; /* KIND_CHOICE's values; KIND_TEXT's completion hints */
	const char *help;       /* one sentence; "{}" stands for the choices, "a, b or c" */
};
extern const struct cli_option cli_options[OPT_COUNT];

/* The most values an option's choices() may have (the unit test checks every one). */
#define CLI_CHOICES_MAX 64

/* The most a repeatable option may be given (--uri: KD_LDAP_MAX_URIS). */
#define CLI_REPEAT_MAX 16

/* One value given on the command line. */
struct cli_value {
	const char *text; /* as given (borrowed from argv); NULL when not given */
	unsigned number;  /* KIND_NUMBER */
	size_t choice;    /* KIND_CHOICE: the index of its choices() value */
};

struct cli_args {
	const struct cli_command *command;
	/* every value of each option in command-line order; count 0: not given */
	struct cli_value values[OPT_COUNT][CLI_REPEAT_MAX];
	size_t count[OPT_COUNT];
	const char *positional[2];
	size_t npositional;
	/* set by the handlers from the options (the live source's settings) */
	struct kd_ldap_options ldap;
	enum cli_format format;
};

struct cli_command {
	const char *name;
	const char *args;        /* positional arguments in the synopsis, "" for none */
	unsigned min_args, max_args;
	enum cli_kind arg_kind;  /* how they complete: KIND_FILE, KIND_TEXT or KIND_COMMAND */
	unsigned formats;        /* (1u << FORMAT_...) for --format, the first the default */
	const char *summary;     /* one line */
	const char *description; /* a paragraph for COMMAND --help and the man page */
	int (*handler)(struct cli_args *args);
};
extern const struct cli_command cli_commands[CMD_COUNT];

/* An exit status and what it means, for help and the man page. */
struct cli_exit {
	enum kd_exit code;
	const char *meaning;
};
extern const struct cli_exit cli_exits[4];

/* Environment variables kdeleg reads, for the man page. */
struct cli_env {
	const char *name, *meaning;
};
extern const struct cli_env cli_environment[];

/* Command lines and what they do, for the man page. */
struct cli_example {
	const char *command, *meaning;
};
extern const struct cli_example cli_examples[];

/* The one-line description of kdeleg (help, man NAME) and its paragraph. */
extern const char cli_tagline[];
extern const char cli_about[];

/* Whether @cmd takes @opt. */
static inline bool
cli_takes(const struct cli_command *cmd, enum cli_opt opt)
{
	return (cli_options[opt].commands & ON(cmd - cli_commands)) != 0;
}

/* cli.c: parsing, help, messages. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail(const struct kd_error *err);
bool cli_given(const struct cli_args *args, enum cli_opt opt);
/* The option's value, NULL when not given. */
const char *cli_text(const struct cli_args *args, enum cli_opt opt);
void cli_print_command_help(FILE *out, const struct cli_command *cmd);
/* Appends @sep and @item to the list in @buf (@size bytes, *@len used); stops when full. */
void cli_list_add(char *buf, size_t size, size_t *len, const char *sep, const char *item);
/* "a, b or c" for an option's choices with @cmd, into @buf. */
void cli_choice_list(const struct cli_command *cmd, enum cli_opt opt, char *buf, size_t size);
/* The candidate nearest @word by edit distance (any case), or NULL when none is near. */
const char *cli_nearest(const char *word, const char *const *candidates, size_t n);
int cli_cmd_help(struct cli_args *args);
int cli_cmd_version(struct cli_args *args);

/* cli-generate.c: kdeleg --generate man|bash|zsh|fish. */
int cli_generate(const char *what);

/* cli-print.c: a command's result to stdout or -o FILE. */
/* Writes @out's content; @color: ANSI colours wanted. */
typedef int (*cli_writer_fn)(FILE *out, bool color, void *ctx, struct kd_error *err);
/*
 * Runs @write into -o FILE (atomically) or stdout; text on a terminal is folded to
 * its width (COLUMNS, else the terminal's) and coloured unless TERM=dumb or NO_COLOR.
 */
int cli_write(const struct cli_args *args, cli_writer_fn write, void *ctx,
	      struct kd_error *err);
/*
 * A stream folding the lines written to it at @width columns into @out: a row that
 * would pass the width breaks at its last blank (else inside the word) and goes on
 * indented two more than its line. fclose() it to flush; @out stays open. @out
 * itself when no stream can be made (ENOMEM): the text is then not folded.
 */
FILE *cli_fold_open(FILE *out, unsigned width);
/* The width text to @fd is folded to: 0 (none) unless @fd is a terminal. */
unsigned cli_terminal_width(int fd);

/* cli-source.c: the directory a command reads, from --ldif or a DC. */
/* Usage checks on the source options before anything is opened; -1 to go on. */
int cli_check_source(struct cli_args *args, bool ldif_allowed);
/*
 * Reads the source into a finished, non-empty directory; *ret_source names it (free it).
 * @every_account: the command may name any account (verify's user, paths --from/--to),
 * so a DC is read with the full plan and a targeted snapshot is refused (KD_ERR_USAGE).
 */
int cli_load_source(struct cli_args *args, bool every_account, struct kd_directory **ret_dir,
		    char **ret_source, struct kd_error *err);
/* The plan a live read of this command line uses (--full, else targeted). */
enum kd_plan cli_plan(const struct cli_args *args);
/* Live collection progress on stderr, when it is a terminal and not --quiet. */
struct cli_progress {
	const struct kd_ldap *conn;
	bool shown;
	struct timespec last;
};
/* Connects and binds (the password is read, used and wiped here); @pr shows progress. */
int cli_open_ldap(struct cli_args *args, struct kd_ldap **ret_conn, struct cli_progress *pr,
		  struct kd_error *err);
/* Ends the progress line. */
void cli_end_progress(struct cli_progress *pr);
int cli_check_scope(const struct kd_directory *dir, struct kd_error *err);

/* The command handlers (cli-audit.c, cli-collect.c, cli-verify.c, cli-paths.c, cli-rules.c). */
int cli_cmd_audit(struct cli_args *args);
int cli_cmd_diff(struct cli_args *args);
int cli_cmd_collect(struct cli_args *args);
int cli_cmd_verify(struct cli_args *args);
int cli_cmd_paths(struct cli_args *args);
int cli_cmd_rules(struct cli_args *args);
