/* SPDX-License-Identifier: MIT */
/* Unit tests for the command line's helpers: nearest spelling, folding, the tables. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli-private.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const values[] = {"info",     "low",      "medium",   "high",
				     "critical", "new",      "new:high", "text",
				     "json",     "ndjson",   "ldif",     "audit"};

static const struct nearest_case {
	const char *word;
	const char *want; /* NULL: nothing is near */
} nearest_cases[] = {
	{"hgh", "high"},          /* a letter missing */
	{"jsn", "json"},          {"josn", "json"},     /* transposed */
	{"ldf", "ldif"},          {"AUDT", "audit"},    /* any case */
	{"crit", "critical"},     /* a prefix of one value only */
	{"new:hihg", "new:high"}, {"frobnicate", NULL}, {"x", NULL},
	{"", NULL},
	/* a word as long as the distance table allows, and longer */
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
};

START_TEST(test_nearest)
{
	const struct nearest_case *c = &nearest_cases[_i];
	const char *got = cli_nearest(c->word, values, ARRAY_LEN(values));

	if (c->want)
		ck_assert_msg(got && strcmp(got, c->want) == 0, "'%s': got %s, want %s", c->word,
			      got ? got : "(none)", c->want);
	else
		ck_assert_msg(!got, "'%s': got %s, want none", c->word, got);
}
END_TEST

/* @in through a folding stream at @width; the result (to free) and its length. */
static char *
fold_len(const char *in, size_t len, unsigned width, size_t *ret_len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&buf, &size);
	FILE *f;

	ck_assert_ptr_nonnull(mem);
	f = cli_fold_open(mem, width);
	ck_assert_ptr_ne(f, mem);
	ck_assert_uint_eq(fwrite(in, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(fclose(mem), 0);
	*ret_len = size;
	return buf;
}

static char *
fold(const char *in, size_t len, unsigned width)
{
	size_t out_len;

	return fold_len(in, len, width, &out_len);
}

static const struct fold_case {
	unsigned width;
	const char *in, *want;
} fold_cases[] = {
	/* at the last blank; the rest indented two */
	{20, "aaaa bbbb cccc dddd eeee\n", "aaaa bbbb cccc dddd\n  eeee\n"},
	{20, "aaaa bbbb cccc ddddd\n", "aaaa bbbb cccc ddddd\n"}, /* exactly the width */
	{20, "aaaa bbbb cccc dddd  eeee\n", "aaaa bbbb cccc dddd\n  eeee\n"}, /* no blank left */
	/* a line's own indentation is kept, and added to */
	{20, "    xxxx yyyy zzzz wwww\n", "    xxxx yyyy zzzz\n      wwww\n"},
	/* a word longer than the row breaks inside */
	{20, "abcdefghijklmnopqrstuvwxyz\n", "abcdefghijklmnopqrst\n  uvwxyz\n"},
	/* colour codes and UTF-8 continuation bytes take no column */
	{20, "\033[1;31mxxxxxxxxxxxxxxxxxxxx\033[0m\n", "\033[1;31mxxxxxxxxxxxxxxxxxxxx\033[0m\n"},
	{20,
	 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n",
	 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n"},
	/* short lines, empty lines, and a last line without its newline pass unchanged */
	{20, "a\n\nb c\nlast", "a\n\nb c\nlast"},
	/* the continuation indentation is at most half the width */
	{20, "                  aa bb cc dd\n", "                  aa\n          bb cc dd\n"},
};

START_TEST(test_fold)
{
	const struct fold_case *c = &fold_cases[_i];
	char *got = fold(c->in, strlen(c->in), c->width);

	ck_assert_msg(strcmp(got, c->want) == 0, "case %d: got [%s]", _i, got);
	free(got);
}
END_TEST

/* Whatever the bytes, folding only adds line breaks and blanks: nothing else changes. */
START_TEST(test_fold_keeps_text)
{
	static char in[4096];
	unsigned seed = 1;

	for (int round = 0; round < 200; round++) {
		size_t got_len, na = 0, nb = 0;
		char *got, *a, *b;

		for (size_t i = 0; i < sizeof(in); i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (char)(seed >> 16);
		}
		got = fold_len(in, sizeof(in), 20 + (unsigned)round % 100, &got_len);
		a = malloc(sizeof(in));
		b = malloc(got_len + 1);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		for (size_t i = 0; i < sizeof(in); i++)
			if (in[i] != ' ' && in[i] != '\n')
				a[na++] = in[i];
		for (size_t i = 0; i < got_len; i++)
			if (got[i] != ' ' && got[i] != '\n')
				b[nb++] = got[i];
		ck_assert_uint_eq(na, nb);
		ck_assert_int_eq(memcmp(a, b, na), 0);
		free(a);
		free(b);
		free(got);
	}
}
END_TEST

/* Every option belongs to a command, has help, and a kind that matches its fields. */
START_TEST(test_tables)
{
	for (size_t o = 0; o < OPT_COUNT; o++) {
		const struct cli_option *opt = &cli_options[o];

		ck_assert_msg(opt->name && opt->help && opt->commands, "option %zu", o);
		ck_assert_msg((opt->kind == KIND_FLAG) == !opt->metavar, "--%s", opt->name);
		ck_assert_msg(opt->kind != KIND_CHOICE || opt->choices, "--%s", opt->name);
		ck_assert_msg(opt->kind != KIND_NUMBER || opt->min <= opt->max, "--%s", opt->name);
		for (size_t p = 0; p < o; p++) {
			ck_assert_str_ne(opt->name, cli_options[p].name);
			ck_assert_msg(!opt->short_name || opt->short_name != cli_options[p].short_name,
				      "-%c twice", opt->short_name);
		}
	}
	for (size_t c = 0; c < CMD_COUNT; c++) {
		const struct cli_command *cmd = &cli_commands[c];

		ck_assert_msg(cmd->name && cmd->summary && cmd->description && cmd->handler,
			      "command %zu", c);
		/* --format exactly where there are formats, text first */
		ck_assert_int_eq(cli_takes(cmd, OPT_FORMAT), cmd->formats != 0);
		ck_assert(!cmd->formats || (cmd->formats & (1u << FORMAT_TEXT)));
		ck_assert_uint_le(cmd->max_args, ARRAY_LEN(((struct cli_args *)0)->positional));
		/* every list of values fits the parser's array */
		for (size_t o = 0; o < OPT_COUNT; o++) {
			size_t n = 0;

			while (cli_options[o].choices && cli_options[o].choices(cmd, n))
				n++;
			ck_assert_msg(n < CLI_CHOICES_MAX, "--%s has %zu values", cli_options[o].name,
				      n);
		}
	}
}
END_TEST

static Suite *
kd_cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("nearest");

	tcase_add_loop_test(tc, test_nearest, 0, ARRAY_LEN(nearest_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("fold");
	tcase_add_loop_test(tc, test_fold, 0, ARRAY_LEN(fold_cases));
	tcase_add_test(tc, test_fold_keeps_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_add_test(tc, test_tables);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
