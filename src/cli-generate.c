/* SPDX-License-Identifier: MIT */
/*
 * kdeleg --generate man|bash|zsh|fish: the man page and the shell completions, made
 * from the command and option tables (cli-table.c). Their output is committed
 * (docs/man/kdeleg.1, completions/) and tests/cli/test-generated.sh fails when it
 * drifts from the tables.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cli-private.h"

#define CHOICES_MAX 32
#define ORIGIN "kdeleg --generate %s from src/cli-table.c; do not edit"

/* ---- shared ---- */

/* The option's values with @cmd, space-separated (completion words). */
static void
choice_words(const struct cli_command *cmd, enum cli_opt o, char *buf, size_t size)
{
	size_t len = 0;
	const char *name;

	buf[0] = '\0';
	for (size_t i = 0; cli_options[o].choices && (name = cli_options[o].choices(cmd, i)); i++)
		cli_list_add(buf, size, &len, i ? " " : "", name);
}

static void
command_words(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t c = 0; c < CMD_COUNT; c++)
		cli_list_add(buf, size, &len, c ? " " : "", cli_commands[c].name);
}

/* The help's first clause, for completion menus (before " (", ": " or "; "). */
static void
short_help(enum cli_opt o, char *buf, size_t size)
{
	static const char *const ends[] = {" (", ": ", "; "};
	const char *help = cli_options[o].help;
	size_t n = strlen(help);

	for (size_t i = 0; i < 3; i++) {
		const char *end = strstr(help, ends[i]);

		if (end && (size_t)(end - help) < n)
			n = (size_t)(end - help);
	}

	while (n > 0 && help[n - 1] == ' ')
		n--;
	snprintf(buf, size, "%.*s", (int)n, help);
}

/* Writes @s inside single quotes for a shell: ' becomes '\''. */
static void
sh_quoted(FILE *out, const char *s)
{
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
}

/* ---- man ---- */

/* roff text: backslashes and hyphens escaped, no line starting with a control character. */
static void
roff(FILE *out, const char *s)
{
	bool line_start = true;

	for (; *s; s++) {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		line_start = *s == '\n';
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* Whether the option's choices are the same for every command taking it. */
static bool
same_choices(enum cli_opt o)
{
	char first[1024] = "", other[1024];
	bool seen = false;

	for (size_t c = 0; c < CMD_COUNT; c++) {
		if (!(cli_options[o].commands & ON(c)))
			continue;
		choice_words(&cli_commands[c], o, seen ? other : first, sizeof(first));
		if (seen && strcmp(first, other) != 0)
			return false;
		seen = true;
	}
	return true;
}

static const struct cli_command *
first_taker(enum cli_opt o)
{
	for (size_t c = 0; c < CMD_COUNT; c++)
		if (cli_options[o].commands & ON(c))
			return &cli_commands[c];
	return &cli_commands[0];
}

static void
man_option(FILE *out, enum cli_opt o)
{
	const struct cli_option *opt = &cli_options[o];
	const char *mark = strstr(opt->help, "{}");
	char list[1024], head[512];
	size_t n = 0;

	fputs(".TP\n", out);
	if (opt->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", opt->short_name);
	fputs("\\fB\\-\\-", out);
	roff(out, opt->name);
	fputs("\\fR", out);
	if (opt->metavar) {
		fputs(" \\fI", out);
		roff(out, opt->metavar);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	if (mark) {
		snprintf(head, sizeof(head), "%.*s", (int)(mark - opt->help), opt->help);
		roff(out, head);
		if (same_choices(o)) {
			cli_choice_list(first_taker(o), o, list, sizeof(list));
			roff(out, list);
		} else {
			roff(out, "per command, below");
		}
		roff(out, mark + 2);
	} else {
		roff(out, opt->help);
	}
	fputs(".\n", out);
	if (mark && !same_choices(o))
		for (size_t c = 0; c < CMD_COUNT; c++) {
			if (!(opt->commands & ON(c)))
				continue;
			cli_choice_list(&cli_commands[c], o, list, sizeof(list));
			fputs(".br\n", out);
			fprintf(out, "%s: ", cli_commands[c].name);
			roff(out, list);
			fputc('\n', out);
		}
	if (opt->commands == (1u << CMD_COUNT) - 1)
		return;
	fputs(".br\nTaken by: ", out);
	for (size_t c = 0; c < CMD_COUNT; c++)
		if (opt->commands & ON(c))
			fprintf(out, "%s%s", n++ ? ", " : "", cli_commands[c].name);
	fputs(".\n", out);
}

static void
generate_man(FILE *out)
{
	fprintf(out, ".\\\" " ORIGIN ".\n", "man");
	fputs(".TH KDELEG 1 \"\" \"kdeleg " KD_VERSION "\" \"User Commands\"\n", out);
	/* option names are words to copy: neither hyphenated nor stretched */
	fputs(".nh\n.ad l\n", out);
	fputs(".SH NAME\nkdeleg \\- ", out);
	roff(out, cli_tagline);
	fputs("\n.SH SYNOPSIS\n", out);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];

		fprintf(out, "%s\\fBkdeleg %s\\fR", c ? ".br\n" : "", cmd->name);
		if (cmd->args[0]) {
			fputs(" \\fI", out);
			roff(out, cmd->args);
			fputs("\\fR", out);
		}
		fputs(" [\\fIOPTIONS\\fR]\n", out);
	}
	fputs(".br\n\\fBkdeleg\\fR \\fB\\-\\-help\\fR | \\fB\\-V\\fR | \\fB\\-\\-version\\fR\n",
	      out);
	fputs(".SH DESCRIPTION\n", out);
	roff(out, cli_about);
	fputs("\n.PP\nAn option's value may follow it as the next argument or, for a long "
	      "option, after \\fB=\\fR. Values from a fixed list (formats, severities...) are "
	      "taken in any case. An option given twice is an error unless its description "
	      "says it may repeat, as \\fB\\-\\-uri\\fR and \\fB\\-\\-fail\\-on\\fR do.\n",
	      out);
	fputs(".SH COMMANDS\n", out);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];
		size_t n = 0;

		fprintf(out, ".TP\n\\fB%s\\fR", cmd->name);
		if (cmd->args[0]) {
			fputs(" \\fI", out);
			roff(out, cmd->args);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff(out, cmd->description);
		fputs("\n.br\nOptions: ", out);
		for (size_t o = 0; o < OPT_COUNT; o++)
			if (cli_takes(cmd, (enum cli_opt)o)) {
				fprintf(out, "%s\\fB\\-\\-", n++ ? ", " : "");
				roff(out, cli_options[o].name);
				fputs("\\fR", out);
			}
		fputs(".\n", out);
	}
	fputs(".SH OPTIONS\n", out);
	for (size_t o = 0; o < OPT_COUNT; o++)
		man_option(out, (enum cli_opt)o);
	fputs(".TP\n\\fB\\-V\\fR, \\fB\\-\\-version\\fR\nprint the version (before a "
	      "command).\n",
	      out);
	fputs(".SH EXIT STATUS\n", out);
	for (size_t i = 0; i < sizeof(cli_exits) / sizeof(*cli_exits); i++) {
		fprintf(out, ".TP\n.B %d\n", cli_exits[i].code);
		roff(out, cli_exits[i].meaning);
		fputs(".\n", out);
	}
	fputs(".SH ENVIRONMENT\n", out);
	for (const struct cli_env *e = cli_environment; e->name; e++) {
		fprintf(out, ".TP\n.B %s\n", e->name);
		roff(out, e->meaning);
		fputs(".\n", out);
	}
	fputs(".SH EXAMPLES\n", out);
	for (const struct cli_example *e = cli_examples; e->command; e++) {
		fputs(".PP\n", out);
		roff(out, e->meaning);
		fputs(":\n.RS\n.EX\n", out);
		roff(out, e->command);
		fputs("\n.EE\n.RE\n", out);
	}
	fputs(".SH SEE ALSO\n.BR ldapsearch (1),\n.BR ldap.conf (5),\n.BR kinit (1)\n", out);
}

/* ---- bash ---- */

/* The case arm completing the value of each of @cmd's options that takes one. */
static void
bash_values(FILE *out, const struct cli_command *cmd)
{
	char words[1024];

	fputs("        case $prev in\n", out);
	for (size_t o = 0; o < OPT_COUNT; o++) {
		const struct cli_option *opt = &cli_options[o];

		if (!cli_takes(cmd, (enum cli_opt)o) || opt->kind == KIND_FLAG)
			continue;
		fputs("        ", out);
		if (opt->short_name)
			fprintf(out, "-%c|", opt->short_name);
		fprintf(out, "--%s) ", opt->name);
		choice_words(cmd, (enum cli_opt)o, words, sizeof(words));
		if (opt->kind == KIND_FILE)
			fputs("_kdeleg_files; return ;;\n", out);
		else if (words[0])
			fprintf(out, "_kdeleg_words '%s'; return ;;\n", words);
		else
			fputs("return ;;\n", out);
	}
	fputs("        esac\n", out);
}

static void
generate_bash(FILE *out)
{
	char words[1024];

	fprintf(out, "# bash completion for kdeleg -*- shell-script -*-\n# " ORIGIN ".\n", "bash");
	fputs("# Works with and without the bash-completion package: the words are split here\n"
	      "# from COMP_LINE, \"--opt=value\" and \"new:high\" included.\n\n",
	      out);
	fputs("_kdeleg_words()\n{\n"
	      "    local IFS=$' \\t\\n'\n"
	      "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
	      "    # bash replaces only the part after the last ':' of the word\n"
	      "    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then\n"
	      "        local colon=${cur%\"${cur##*:}\"} i\n"
	      "        for i in \"${!COMPREPLY[@]}\"; do COMPREPLY[i]=${COMPREPLY[i]#\"$colon\"}; done\n"
	      "    fi\n"
	      "    # a URI scheme is a start, not a word: the host follows without a blank\n"
	      "    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *// ]]; then\n"
	      "        compopt -o nospace 2>/dev/null\n"
	      "    fi\n}\n\n",
	      out);
	fputs("_kdeleg_files()\n{\n"
	      "    if declare -F _filedir >/dev/null; then\n"
	      "        _filedir\n"
	      "    else\n"
	      "        local IFS=$'\\n'\n"
	      "        compopt -o filenames 2>/dev/null\n"
	      "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "    fi\n}\n\n",
	      out);
	fputs("_kdeleg()\n{\n"
	      "    local line=${COMP_LINE:0:COMP_POINT} cur= prev= cmd= i\n"
	      "    local -a w\n"
	      "    read -ra w <<<\"$line\"\n"
	      "    if [[ ${#w[@]} -gt 0 && $line != *[[:space:]] ]]; then\n"
	      "        cur=${w[${#w[@]}-1]}\n"
	      "        unset 'w[${#w[@]}-1]'\n"
	      "    fi\n"
	      "    [[ ${#w[@]} -gt 0 ]] && prev=${w[${#w[@]}-1]}\n"
	      "    if [[ $cur == --*=* ]]; then\n"
	      "        prev=${cur%%=*}\n"
	      "        cur=${cur#*=}\n"
	      "    fi\n"
	      "    # the command is the first word after kdeleg that is not an option\n"
	      "    for ((i = 1; i < ${#w[@]}; i++)); do\n"
	      "        if [[ ${w[i]} != -* ]]; then\n"
	      "            cmd=${w[i]}\n"
	      "            break\n"
	      "        fi\n"
	      "    done\n"
	      "    COMPREPLY=()\n",
	      out);
	command_words(words, sizeof(words));
	fprintf(out,
		"    if [[ -z $cmd ]]; then\n"
		"        if [[ $cur == -* ]]; then\n"
		"            _kdeleg_words '--help --version -h -V'\n"
		"        else\n"
		"            _kdeleg_words '%s'\n"
		"        fi\n"
		"        return\n"
		"    fi\n"
		"    case $cmd in\n",
		words);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];
		size_t len = 0;

		fprintf(out, "    %s)\n", cmd->name);
		bash_values(out, cmd);
		words[0] = '\0';
		for (size_t o = 0; o < OPT_COUNT; o++)
			if (cli_takes(cmd, (enum cli_opt)o))
				cli_list_add(words, sizeof(words), &len, len ? " --" : "--",
					     cli_options[o].name);
		fprintf(out, "        if [[ $cur == -* ]]; then\n"
			     "            _kdeleg_words '%s'\n",
			words);
		if (cmd->arg_kind == KIND_FILE) {
			fputs("        else\n            _kdeleg_files\n", out);
		} else if (cmd->arg_kind == KIND_COMMAND) {
			command_words(words, sizeof(words));
			fprintf(out, "        else\n            _kdeleg_words '%s'\n", words);
		}
		fputs("        fi\n        ;;\n", out);
	}
	fputs("    esac\n}\ncomplete -F _kdeleg kdeleg\n", out);
}

/* ---- zsh ---- */

/* @s for a zsh _arguments description: inside single quotes and [ ]. */
static void
zsh_described(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void
zsh_option(FILE *out, const struct cli_command *cmd, enum cli_opt o)
{
	const struct cli_option *opt = &cli_options[o];
	bool value = opt->kind != KIND_FLAG;
	char help[256], words[1024];

	short_help(o, help, sizeof(help));
	fputs("            ", out);
	if (opt->repeat)
		fputs("'*'", out);
	else if (opt->short_name)
		fprintf(out, "'(-%c --%s)'", opt->short_name, opt->name);
	if (opt->short_name)
		fprintf(out, "{-%c%s,--%s%s}'", opt->short_name, value ? "+" : "", opt->name,
			value ? "=" : "");
	else
		fprintf(out, "'--%s%s", opt->name, value ? "=" : "");
	fputc('[', out);
	zsh_described(out, help);
	fputc(']', out);
	if (value) {
		fputc(':', out);
		zsh_described(out, opt->metavar);
		choice_words(cmd, o, words, sizeof(words));
		if (opt->kind == KIND_FILE)
			fputs(":_files", out);
		else if (words[0]) {
			fputs(":(", out);
			zsh_described(out, words);
			fputc(')', out);
		} else {
			fputs(": ", out);
		}
	}
	fputs("' \\\n", out);
}

static void
generate_zsh(FILE *out)
{
	char words[1024];

	fprintf(out, "#compdef kdeleg\n# zsh completion for kdeleg; " ORIGIN ".\n\n", "zsh");
	fputs("_kdeleg() {\n"
	      "    local curcontext=$curcontext state line ret=1\n"
	      "    typeset -A opt_args\n"
	      "    _arguments -C \\\n"
	      "        '(- :)'{-h,--help}'[show this help]' \\\n"
	      "        '(- :)'{-V,--version}'[print the version]' \\\n"
	      "        '1:command:->command' \\\n"
	      "        '*::argument:->argument' && ret=0\n"
	      "    case $state in\n"
	      "    (command)\n"
	      "        local -a commands\n"
	      "        commands=(\n",
	      out);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		fputs("            '", out);
		fputs(cli_commands[c].name, out);
		fputc(':', out);
		sh_quoted(out, cli_commands[c].summary);
		fputs("'\n", out);
	}
	fputs("        )\n"
	      "        _describe -t commands 'kdeleg command' commands && ret=0\n"
	      "        ;;\n"
	      "    (argument)\n"
	      "        curcontext=${curcontext%:*:*}:kdeleg-$words[1]:\n"
	      "        case $words[1] in\n",
	      out);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];
		char args[128];
		const char *a = cmd->args;
		size_t n = 0;

		fprintf(out, "        (%s)\n            _arguments -s -S \\\n", cmd->name);
		for (size_t o = 0; o < OPT_COUNT; o++)
			if (cli_takes(cmd, (enum cli_opt)o))
				zsh_option(out, cmd, (enum cli_opt)o);
		/* each positional argument by its synopsis name */
		while (*a) {
			size_t len = strcspn(a, " ");

			snprintf(args, sizeof(args), "%.*s", (int)len, a);
			command_words(words, sizeof(words));
			n++;
			fprintf(out, "            '%zu:%s", n, n <= cmd->min_args ? "" : ":");
			zsh_described(out, args);
			if (cmd->arg_kind == KIND_FILE)
				fputs(":_files' \\\n", out);
			else if (cmd->arg_kind == KIND_COMMAND)
				fprintf(out, ":(%s)' \\\n", words);
			else
				fputs(": ' \\\n", out);
			a += len;
			while (*a == ' ')
				a++;
		}
		fputs("                && ret=0\n            ;;\n", out);
	}
	fputs("        esac\n"
	      "        ;;\n"
	      "    esac\n"
	      "    return ret\n"
	      "}\n\n"
	      "_kdeleg \"$@\"\n",
	      out);
}

/* ---- fish ---- */

static void
generate_fish(FILE *out)
{
	char words[1024], help[256];

	fprintf(out, "# fish completion for kdeleg; " ORIGIN ".\n\n", "fish");
	command_words(words, sizeof(words));
	fputs("complete -c kdeleg -f\n", out);
	fputs("complete -c kdeleg -n __fish_use_subcommand -s h -l help -d 'show this help'\n"
	      "complete -c kdeleg -n __fish_use_subcommand -s V -l version -d 'print the "
	      "version'\n",
	      out);
	for (size_t c = 0; c < CMD_COUNT; c++) {
		fprintf(out, "complete -c kdeleg -n __fish_use_subcommand -a %s -d '",
			cli_commands[c].name);
		sh_quoted(out, cli_commands[c].summary);
		fputs("'\n", out);
	}
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];

		fputc('\n', out);
		if (cmd->arg_kind == KIND_FILE)
			fprintf(out, "complete -c kdeleg -n '__fish_seen_subcommand_from %s' -F\n",
				cmd->name);
		if (cmd->arg_kind == KIND_COMMAND)
			fprintf(out, "complete -c kdeleg -n '__fish_seen_subcommand_from %s' -a '%s'\n",
				cmd->name, words);
		for (size_t o = 0; o < OPT_COUNT; o++) {
			const struct cli_option *opt = &cli_options[o];
			char values[1024];

			if (!cli_takes(cmd, (enum cli_opt)o))
				continue;
			fprintf(out, "complete -c kdeleg -n '__fish_seen_subcommand_from %s'",
				cmd->name);
			if (opt->short_name)
				fprintf(out, " -s %c", opt->short_name);
			fprintf(out, " -l %s", opt->name);
			choice_words(cmd, (enum cli_opt)o, values, sizeof(values));
			if (opt->kind == KIND_FILE)
				fputs(" -r -F", out);
			else if (opt->kind != KIND_FLAG)
				fputs(" -x", out);
			if (opt->kind != KIND_FLAG && opt->kind != KIND_FILE && values[0])
				fprintf(out, " -a '%s'", values);
			short_help((enum cli_opt)o, help, sizeof(help));
			fputs(" -d '", out);
			sh_quoted(out, help);
			fputs("'\n", out);
		}
	}
}

int
cli_generate(const char *what)
{
	static const char *const names[] = {"man", "bash", "zsh", "fish"};
	void (*const generators[])(FILE *) = {generate_man, generate_bash, generate_zsh,
					      generate_fish};

	for (size_t i = 0; i < 4; i++)
		if (strcmp(what, names[i]) == 0) {
			generators[i](stdout);
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "kdeleg: writing failed: %s\n", strerror(errno));
				return KD_EXIT_FAILURE;
			}
			return KD_EXIT_OK;
		}
	return cli_usage_error("--generate takes man, bash, zsh or fish, not '%s'", what);
}
