/* SPDX-License-Identifier: MIT */
/* Command line: dispatch, option parsing and help, all from the tables of cli-table.c. */
#include "config.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kdeleg/strbuf.h"

#include "cli-private.h"

#define HELP_WIDTH 80
#define HELP_COLUMN 30 /* where an option's help starts */

/* The command being parsed, for the pointer to its help in usage errors. */
static const struct cli_command *current;

/* One specific line and a pointer to the help; arguments may be user text, so escape. */
int
cli_usage_error(const char *fmt, ...)
{
	char raw[1024], safe[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	kd_escape_text(safe, sizeof(safe), raw, strlen(raw));
	fprintf(stderr, "kdeleg: %s\nTry 'kdeleg %s%s--help' for more information.\n", safe,
		current ? current->name : "", current ? " " : "");
	return KD_EXIT_USAGE;
}

int
cli_fail(const struct kd_error *err)
{
	char buf[2048];

	kd_error_format(err, buf, sizeof(buf));
	fprintf(stderr, "kdeleg: %s\n", buf);
	return KD_EXIT_FAILURE;
}

bool
cli_given(const struct cli_args *args, enum cli_opt opt)
{
	return args->count[opt] != 0;
}

const char *
cli_text(const struct cli_args *args, enum cli_opt opt)
{
	return args->count[opt] ? args->values[opt][0].text : NULL;
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, the
 * commonest typo), ignoring case; words longer than 63 bytes are never near.
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[64][64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = strncasecmp(a + i - 1, b + j - 1, 1) != 0;
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && strncasecmp(a + i - 1, b + j - 2, 1) == 0 &&
			    strncasecmp(a + i - 2, b + j - 1, 1) == 0 && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* Near: a third of the word's letters wrong at most (one in "jsn", two in "fromm-to"). */
const char *
cli_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL, *prefixed = NULL;
	size_t best_d = SIZE_MAX, nprefixed = 0, len = strlen(word);

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
		if (len && strncasecmp(word, candidates[i], len) == 0) {
			prefixed = candidates[i];
			nprefixed++;
		}
	}
	if (best && best_d > 0 && best_d * 3 <= len + 1)
		return best;
	return nprefixed == 1 ? prefixed : NULL;
}

/* An option's choices with @cmd, at most @max (CLI_CHOICES_MAX holds every row's). */
static size_t
choices_of(const struct cli_command *cmd, enum cli_opt opt, const char **names, size_t max)
{
	size_t n = 0;

	while (n < max && cli_options[opt].choices &&
	       (names[n] = cli_options[opt].choices(cmd, n)) != NULL)
		n++;
	return n;
}

void
cli_list_add(char *buf, size_t size, size_t *len, const char *sep, const char *item)
{
	int n;

	if (*len >= size) /* full: truncated already */
		return;
	n = snprintf(buf + *len, size - *len, "%s%s", sep, item);
	*len += n > 0 ? (size_t)n : 0;
}

void
cli_choice_list(const struct cli_command *cmd, enum cli_opt opt, char *buf, size_t size)
{
	const char *names[CLI_CHOICES_MAX];
	size_t n = choices_of(cmd, opt, names, CLI_CHOICES_MAX), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		cli_list_add(buf, size, &len, i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
}

/* Writes @text from column @col, folded at HELP_WIDTH onto lines starting at @indent. */
static void
print_wrapped(FILE *out, size_t col, size_t indent, const char *text)
{
	while (*text) {
		size_t room = col < HELP_WIDTH ? HELP_WIDTH - col : 1, len = strlen(text), cut = len;

		if (len > room) {
			cut = room;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0) /* a word longer than the line */
				for (cut = room; text[cut] && text[cut] != ' '; cut++)
					;
		}
		fprintf(out, "%.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
		if (*text)
			fprintf(out, "%*s", (int)indent, "");
		col = indent;
	}
}

/* An option's help with "{}" replaced by its choices with @cmd. */
static void
option_help(const struct cli_command *cmd, enum cli_opt opt, char *buf, size_t size)
{
	const char *help = cli_options[opt].help, *mark = strstr(help, "{}");
	char list[1024];

	if (!mark) {
		snprintf(buf, size, "%s", help);
		return;
	}
	cli_choice_list(cmd, opt, list, sizeof(list));
	snprintf(buf, size, "%.*s%s%s", (int)(mark - help), help, list, mark + 2);
}

void
cli_print_command_help(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "Usage: kdeleg %s%s%s [OPTIONS]\n\n", cmd->name, cmd->args[0] ? " " : "",
		cmd->args);
	print_wrapped(out, 0, 0, cmd->description);
	fprintf(out, "\nkdeleg %s%s%s options:\n", cmd->name, cmd->args[0] ? " " : "", cmd->args);
	for (size_t o = 0; o < OPT_COUNT; o++) {
		const struct cli_option *opt = &cli_options[o];
		char left[64], help[2048];
		int len;

		if (!cli_takes(cmd, (enum cli_opt)o))
			continue;
		len = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", opt->short_name ? '-' : ' ',
			       opt->short_name ? opt->short_name : ' ', opt->short_name ? ", " : "  ",
			       opt->name, opt->metavar ? " " : "", opt->metavar ? opt->metavar : "");
		option_help(cmd, (enum cli_opt)o, help, sizeof(help));
		if (len >= HELP_COLUMN - 1) {
			fprintf(out, "%s\n%*s", left, HELP_COLUMN, "");
		} else {
			fprintf(out, "%-*s", HELP_COLUMN, left);
		}
		print_wrapped(out, HELP_COLUMN, HELP_COLUMN, help);
	}
}

static void
print_help(FILE *out)
{
	fputs("Usage: kdeleg COMMAND [OPTIONS] [ARGUMENTS]\n"
	      "       kdeleg help [COMMAND] | --help | --version\n\n",
	      out);
	print_wrapped(out, 0, 0, cli_about);
	fputs("\nCommands:\n", out);
	for (size_t c = 0; c < CMD_COUNT; c++)
		fprintf(out, "  %-9s %s\n", cli_commands[c].name, cli_commands[c].summary);
	fputs("\nOptions:\n"
	      "  -h, --help                  show this help\n"
	      "  -V, --version               print the version\n"
	      "\n"
	      "Run 'kdeleg help COMMAND' or 'kdeleg COMMAND --help' for a command's options,\n"
	      "'man kdeleg' for all of them.\n"
	      "\nExit status:\n",
	      out);
	for (size_t i = 0; i < sizeof(cli_exits) / sizeof(*cli_exits); i++) {
		fprintf(out, "  %d  ", cli_exits[i].code);
		print_wrapped(out, 5, 5, cli_exits[i].meaning);
	}
}

static const struct cli_command *
find_command(const char *name)
{
	for (size_t c = 0; c < CMD_COUNT; c++)
		if (strcmp(name, cli_commands[c].name) == 0)
			return &cli_commands[c];
	return NULL;
}

static int
unknown_command(const char *name)
{
	const char *names[CMD_COUNT];
	const char *near;
	char list[256] = "";
	size_t len = 0;

	for (size_t c = 0; c < CMD_COUNT; c++) {
		names[c] = cli_commands[c].name;
		cli_list_add(list, sizeof(list), &len,
			     c == 0 ? "" : c + 1 == CMD_COUNT ? " or " : ", ", names[c]);
	}
	near = cli_nearest(name, names, CMD_COUNT);
	if (near)
		return cli_usage_error("unknown command '%s'; did you mean '%s'?", name, near);
	return cli_usage_error("unknown command '%s' (%s)", name, list);
}

int
cli_cmd_help(struct cli_args *args)
{
	const struct cli_command *cmd;

	if (args->npositional == 0) {
		print_help(stdout);
		return KD_EXIT_OK;
	}
	cmd = find_command(args->positional[0]);
	if (!cmd)
		return unknown_command(args->positional[0]);
	cli_print_command_help(stdout, cmd);
	return KD_EXIT_OK;
}

int
cli_cmd_version(struct cli_args *args)
{
	puts("kdeleg " KD_VERSION);
	return KD_EXIT_OK;
}

/* An option that is not @cmd's: a typo of one of its own, or another command's. */
static int
unknown_option(const struct cli_command *cmd, const char *given)
{
	const char *names[OPT_COUNT], *near;
	char users[256] = "";
	size_t n = 0, len = 0, nusers = 0, dashes = given[1] == '-' ? 2 : 1;

	for (size_t o = 0; o < OPT_COUNT; o++) {
		const struct cli_option *opt = &cli_options[o];
		bool matches = dashes == 2 ? strcmp(given + 2, opt->name) == 0
					   : given[1] == opt->short_name && !given[2];

		if (cli_takes(cmd, (enum cli_opt)o))
			names[n++] = opt->name;
		else if (matches) {
			for (size_t c = 0; c < CMD_COUNT; c++)
				if (opt->commands & ON(c))
					cli_list_add(users, sizeof(users), &len,
						     nusers++ ? ", " : "", cli_commands[c].name);
		}
	}
	if (nusers)
		return cli_usage_error("unknown option '%s' for %s (an option of %s)", given,
				       cmd->name, users);
	/* a single letter is near every other: only long names are suggested */
	near = dashes == 2 ? cli_nearest(given + 2, names, n) : NULL;
	if (near)
		return cli_usage_error("unknown option '%s'; did you mean '--%s'?", given, near);
	return cli_usage_error("unknown option '%s'", given);
}

/* A whole decimal number in [min, max]: no sign, no spaces, no suffix. */
static int
parse_number(const struct cli_option *opt, const char *text, unsigned *ret)
{
	unsigned long v = 0;

	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > opt->max)
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!*text || v < opt->min || v > opt->max)
		goto bad;
	*ret = (unsigned)v;
	return 0;
bad:
	return cli_usage_error("--%s takes a number from %u to %u, not '%s'", opt->name, opt->min,
			       opt->max, text);
}

/* One of the option's choices, in any case; the index of the canonical spelling. */
static int
parse_choice(const struct cli_command *cmd, enum cli_opt o, const char *text, size_t *ret)
{
	const char *names[CLI_CHOICES_MAX], *near;
	size_t n = choices_of(cmd, o, names, CLI_CHOICES_MAX);
	char list[1024];

	for (size_t i = 0; i < n; i++)
		if (strcasecmp(text, names[i]) == 0) {
			*ret = i;
			return 0;
		}
	cli_choice_list(cmd, o, list, sizeof(list));
	near = cli_nearest(text, names, n);
	if (near)
		return cli_usage_error("unknown value '%s' for --%s; did you mean '%s'? (%s)", text,
				       cli_options[o].name, near, list);
	return cli_usage_error("unknown value '%s' for --%s (%s)", text, cli_options[o].name, list);
}

/* Stores one occurrence of option @o; a second of a single-valued one is an error. */
static int
take_option(struct cli_args *args, enum cli_opt o, const char *value)
{
	const struct cli_option *opt = &cli_options[o];
	struct cli_value *v;

	if (args->count[o] && !opt->repeat) {
		if (opt->kind == KIND_FLAG) /* saying it twice means it once */
			return -1;
		return cli_usage_error("--%s given twice ('%s' and '%s'): give it once", opt->name,
				       args->values[o][0].text, value);
	}
	if (args->count[o] == CLI_REPEAT_MAX)
		return cli_usage_error("at most %d --%s", CLI_REPEAT_MAX, opt->name);
	v = &args->values[o][args->count[o]];
	v->text = value ? value : "";
	if (opt->kind == KIND_NUMBER && parse_number(opt, value, &v->number) != 0)
		return KD_EXIT_USAGE;
	if (opt->kind == KIND_CHOICE && parse_choice(args->command, o, value, &v->choice) != 0)
		return KD_EXIT_USAGE;
	args->count[o]++;
	return -1;
}

/* getopt_long's tables for @cmd; each option's val is 0x100 + its index. */
static void
build_getopt(const struct cli_command *cmd, struct option *longopts, char *shortopts)
{
	size_t n = 0, s = 0;

	shortopts[s++] = ':'; /* a missing value returns ':', not '?' */
	for (size_t o = 0; o < OPT_COUNT; o++) {
		const struct cli_option *opt = &cli_options[o];

		if (!cli_takes(cmd, (enum cli_opt)o))
			continue;
		longopts[n].name = opt->name;
		longopts[n].has_arg = opt->kind == KIND_FLAG ? no_argument : required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 0x100 + (int)o;
		n++;
		if (opt->short_name) {
			shortopts[s++] = opt->short_name;
			if (opt->kind != KIND_FLAG)
				shortopts[s++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[s] = '\0';
}

/* The option given as it was typed, without "=value", for messages. */
static const char *
given_name(char **argv, char *buf, size_t size)
{
	const char *arg = argv[optind - 1];

	if (optopt > 0 && optopt < 0x100)
		snprintf(buf, size, "-%c", optopt);
	else
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
	return buf;
}

/* Parses a command's arguments (argv[0] is its name); an exit code, or -1 to go on. */
static int
parse_arguments(const struct cli_command *cmd, int argc, char **argv, struct cli_args *args)
{
	struct option longopts[OPT_COUNT + 1];
	char shortopts[2 * OPT_COUNT + 2], name[64];
	int c;

	args->command = cmd;
	build_getopt(cmd, longopts, shortopts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		enum cli_opt o;
		int code;

		if (c == ':') {
			/* a long option's optopt is its val, a short one's its letter */
			for (o = 0; o < OPT_COUNT; o++)
				if (optopt == 0x100 + (int)o || optopt == cli_options[o].short_name)
					break;
			return cli_usage_error("option '%s' needs a value (%s)",
					       given_name(argv, name, sizeof(name)),
					       o < OPT_COUNT ? cli_options[o].metavar : "?");
		}
		if (c == '?' && optopt >= 0x100)
			return cli_usage_error("option '--%s' takes no value",
					       cli_options[optopt - 0x100].name);
		if (c == '?') /* unknown: a long one has optopt 0, as an ambiguous prefix */
			return unknown_option(cmd, given_name(argv, name, sizeof(name)));
		if (c < 0x100) { /* a short option: its letter */
			for (o = 0; o < OPT_COUNT && cli_options[o].short_name != c; o++)
				;
			assert(o < OPT_COUNT);
		} else {
			o = (enum cli_opt)(c - 0x100);
		}
		if (o == OPT_HELP) {
			cli_print_command_help(stdout, cmd);
			return KD_EXIT_OK;
		}
		code = take_option(args, o, optarg);
		if (code >= 0)
			return code;
	}
	for (; optind < argc; optind++) {
		if (args->npositional >= cmd->max_args)
			return cli_usage_error("unexpected argument '%s'", argv[optind]);
		args->positional[args->npositional++] = argv[optind];
	}
	if (args->npositional < cmd->min_args)
		return cli_usage_error("%s takes %s: %zu argument%s given", cmd->name, cmd->args,
				       args->npositional, args->npositional == 1 ? "" : "s");
	if (cmd->formats)
		args->format = (enum cli_format)__builtin_ctz(cmd->formats);
	if (cli_given(args, OPT_FORMAT)) {
		size_t i = args->values[OPT_FORMAT][0].choice;

		for (size_t f = 0; f < FORMAT_COUNT; f++)
			if ((cmd->formats & (1u << f)) && i-- == 0)
				args->format = (enum cli_format)f;
	}
	return -1;
}

int
kd_cli_main(int argc, char **argv)
{
	static struct cli_args args; /* large: off the stack */
	const struct cli_command *cmd;
	const char *first;
	int code;

	current = NULL;
	memset(&args, 0, sizeof(args));
	if (argc < 2)
		return cli_usage_error("no command given");
	first = argv[1];
	if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
		print_help(stdout);
		return KD_EXIT_OK;
	}
	if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0)
		return cli_cmd_version(&args);
	/* hidden: writes the man page and the completions the build installs */
	if (strcmp(first, "--generate") == 0)
		return argc == 3 ? cli_generate(argv[2])
				 : cli_usage_error("--generate takes man, bash, zsh or fish");
	if (first[0] == '-') {
		static const char *const global[] = {"--help", "--version"};
		const char *near = first[1] == '-' ? cli_nearest(first, global, 2) : NULL;

		if (near)
			return cli_usage_error("unknown option '%s'; did you mean '%s'?", first,
					       near);
		return cli_usage_error("unknown option '%s' (a command comes first: kdeleg "
				       "COMMAND [OPTIONS])",
				       first);
	}
	cmd = find_command(first);
	if (!cmd)
		return unknown_command(first);
	current = cmd;
	code = parse_arguments(cmd, argc - 1, argv + 1, &args);
	if (code >= 0)
		return code;
	return cmd->handler(&args);
}
