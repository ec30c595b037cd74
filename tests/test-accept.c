/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for accepted risks (src/accept.c), one finding per configuration
 * (kd_findings_fold) and the --rule filter (src/analyze.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/analyze.h"

#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FP_A "66923adbb93b56042efb106f3f03985c"
#define FP_B "0cca327ec9b3211ed1c41ac25c588038"
#define FACTS "0123456789abcdef0123456789abcdef"

static const struct parse_case {
	const char *text;
	int code;     /* 0 or the kd_status */
	size_t line;  /* of the error */
	size_t count; /* entries when it parses */
} parse_cases[] = {
	{"", 0, 0, 0},
	{"# only a comment\n\n   \t\n", 0, 0, 0},
	{FP_A " 2027-03-31 alice Legacy IIS (CHG-1234)\n", 0, 0, 1},
	{FP_A " 2027-03-31 alice Legacy IIS", 0, 0, 1}, /* no final newline */
	{FP_A "\t2028-02-29\tbob facts=" FACTS " spooler\r\n" FP_B " 2027-01-01 c d\n", 0, 0, 2},
	{"  # indented comment\n" FP_A " 2027-03-31 alice ok\n", 0, 0, 1},
	/* malformed: each names its line */
	{"\n" FP_A " 2027-02-29 alice not a leap year\n", KD_ERR_PARSE, 2, 0},
	{FP_A " 2027-13-01 alice month 13\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 1999-12-31 alice before 2000\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-3-31 alice short month\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31\n", KD_ERR_PARSE, 1, 0},
	{FP_A "\n", KD_ERR_PARSE, 1, 0},
	{"66923ADBB93B56042EFB106F3F03985C 2027-03-31 alice upper case\n", KD_ERR_PARSE, 1, 0},
	{"66923adbb93b56042efb106f3f03985 2027-03-31 alice 31 digits\n", KD_ERR_PARSE, 1, 0},
	{FP_A "0 2027-03-31 alice 33 digits\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice facts=abc reason\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice facts=" FACTS "\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice facts= empty digest\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice one\n#\n" FP_A " 2027-04-01 bob two\n", KD_ERR_PARSE, 3, 0},
	{FP_A " 2027-03-31 alice bell \a\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice esc \033[2J\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice bad \xff utf8\n", KD_ERR_PARSE, 1, 0},
	{FP_A " 2027-03-31 alice C1 \xc2\x9b\n", 0, 0, 1}, /* valid UTF-8: reports escape it */
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct kd_accept *acc = NULL;
	struct kd_error err;
	int r;

	kd_error_clear(&err);
	r = kd_accept_parse(c->text, strlen(c->text), "risks.txt", &acc, &err);
	ck_assert_int_eq(r, c->code);
	if (c->code) {
		ck_assert_ptr_null(acc);
		ck_assert_str_eq(err.source, "risks.txt");
		ck_assert_uint_eq(err.line, c->line);
		return;
	}
	ck_assert_uint_eq(kd_accept_count(acc), c->count);
	kd_accept_free(acc);
}
END_TEST

/* A NUL byte is an error, not the end of the file. */
START_TEST(test_parse_nul)
{
	static const char text[] = FP_A " 2027-03-31 alice a\0b\n";
	struct kd_accept *acc = NULL;
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, sizeof(text) - 1, "f", &acc, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.line, 1);
}
END_TEST

START_TEST(test_parse_limits)
{
	size_t len = KD_ACCEPT_LINE_MAX + 64;
	char *text = malloc(len + 1);
	struct kd_accept *acc = NULL;
	struct kd_error err;

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', len);
	memcpy(text, FP_A " 2027-03-31 alice ", 50);
	text[len] = '\0';
	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, len, "f", &acc, &err), KD_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "line over"));
	/* the length alone is refused: nothing of the (shorter) buffer is read */
	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, KD_ACCEPT_FILE_MAX + 1u, "f", &acc, &err),
			 KD_ERR_PARSE);
	free(text);
}
END_TEST

START_TEST(test_fields)
{
	static const char text[] = "# who, when, why\n" FP_A " 2027-03-31 alice@corp facts=" FACTS
				   "   Legacy IIS, see CHG-1234  \n";
	struct kd_accept *acc = NULL;
	const struct kd_acceptance *e;
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, strlen(text), "f", &acc, &err), 0);
	e = kd_accept_entry(acc, 0);
	ck_assert_uint_eq(e->line, 2);
	ck_assert_str_eq(e->fingerprint, FP_A);
	ck_assert_str_eq(e->facts, FACTS);
	ck_assert_str_eq(e->expires, "2027-03-31");
	ck_assert_str_eq(e->by, "alice@corp");
	ck_assert_str_eq(e->reason, "Legacy IIS, see CHG-1234");
	ck_assert_ptr_null(kd_accept_entry(acc, 1));
	kd_accept_free(acc);
}
END_TEST

START_TEST(test_match)
{
	static const char text[] = FP_A " 2027-03-31 alice plain\n" FP_B " 2027-03-31 bob facts=" FACTS
				   " pinned\n" "0000000000000000000000000000000f 2027-03-31 c gone\n";
	struct kd_accept *acc = NULL;
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, strlen(text), "f", &acc, &err), 0);
	/* valid through the expiry day, in UTC */
	ck_assert_ptr_nonnull(kd_accept_match(acc, FP_A, "whatever", "2027-03-31"));
	ck_assert_ptr_null(kd_accept_match(acc, FP_A, "whatever", "2027-04-01"));
	ck_assert_ptr_null(kd_accept_warning(acc, 0, "2027-03-31"));
	ck_assert_ptr_nonnull(strstr(kd_accept_warning(acc, 0, "2027-04-01"), "expired"));
	/* facts= pins what the finding says */
	ck_assert_ptr_nonnull(kd_accept_match(acc, FP_B, FACTS, "2027-01-01"));
	ck_assert_ptr_null(kd_accept_warning(acc, 1, "2027-01-01"));
	ck_assert_ptr_null(kd_accept_match(acc, FP_B, "ffffffffffffffffffffffffffffffff",
					   "2027-01-01"));
	ck_assert_ptr_null(kd_accept_match(acc, FP_B, NULL, "2027-01-01"));
	ck_assert_ptr_nonnull(strstr(kd_accept_warning(acc, 1, "2027-01-01"), "changed"));
	/* never matched: unknown */
	ck_assert_ptr_null(kd_accept_match(acc, "nothex", NULL, "2027-01-01"));
	ck_assert_ptr_null(kd_accept_match(acc, NULL, NULL, "2027-01-01"));
	ck_assert_ptr_nonnull(strstr(kd_accept_warning(acc, 2, "2027-01-01"), "no finding"));
	/* expired as well: there is nothing to report again, the entry is to remove */
	ck_assert_ptr_null(strstr(kd_accept_warning(acc, 2, "2027-04-01"), "reported again"));
	ck_assert_ptr_nonnull(strstr(kd_accept_warning(acc, 2, "2027-04-01"), "no finding"));
	ck_assert_ptr_null(kd_accept_warning(acc, 3, "2027-01-01"));
	kd_accept_free(acc);
}
END_TEST

/* The facts digest: stable for equal details whatever the key order, and moved by a
 * change of severity or of any detail. */
START_TEST(test_facts)
{
	json_t *a = json_pack("{s:i, s:[s, s]}", "x", 1, "y", "p", "q");
	json_t *b = json_pack("{s:[s, s], s:i}", "y", "p", "q", "x", 1);
	json_t *c = json_pack("{s:i, s:[s, s]}", "x", 2, "y", "p", "q");
	char fa[KD_FINGERPRINT_SIZE], fb[KD_FINGERPRINT_SIZE], fc[KD_FINGERPRINT_SIZE],
		fd[KD_FINGERPRINT_SIZE];

	kd_accept_facts(KD_SEV_HIGH, a, fa);
	kd_accept_facts(KD_SEV_HIGH, b, fb);
	kd_accept_facts(KD_SEV_HIGH, c, fc);
	kd_accept_facts(KD_SEV_CRITICAL, a, fd);
	ck_assert_uint_eq(strlen(fa), KD_FINGERPRINT_SIZE - 1);
	ck_assert_str_eq(fa, fb);
	ck_assert_str_ne(fa, fc);
	ck_assert_str_ne(fa, fd);
	kd_accept_facts(KD_SEV_HIGH, NULL, fd);
	ck_assert_str_eq(fd, "");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

static void
lab_audit(struct tu_audit *a)
{
	char *text = tu_read_data_text("audit/lab.ldif");
	struct kd_error err;

	tu_audit_run(a, text);
	free(text);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_findings_fold(a->dir, &a->findings, &err), 0);
}

static const struct kd_finding *
find(const struct tu_audit *a, const struct kd_findings *list, const char *rule,
     const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].rule->id, rule) == 0 &&
		    strcmp(tu_account_name(a, &list->items[i]), name) == 0)
			return &list->items[i];
	return NULL;
}

static size_t
sum(const struct kd_findings *list)
{
	size_t total = 0;

	for (int s = 0; s < KD_SEV_COUNT; s++)
		total += list->by_severity[s];
	return total;
}

/* Each setting once, under the rule that says most; the others under "also". */
START_TEST(test_fold)
{
	static const struct {
		const char *rule, *name, *also;
	} kept[] = {
		{"rbcd-broad-trustee", "SQL01$", "resource-based-delegation"},
		{"delegation-to-tier0", "DC02$", "resource-based-delegation"},
		{"delegation-to-tier0", "DC02$", "delegation-chain"},
		{"protocol-transition", "APP01$", "constrained-delegation"},
		{"delegation-to-tier0", "svc_backup", "constrained-delegation"},
		{"delegation-to-tier0", "svc_backup", "delegation-chain"},
		{"unconstrained-delegation", "svc_iis", "delegation-chain"},
		{"unconstrained-delegation", "WEB01$", "delegation-chain"},
	};
	struct tu_audit a;

	lab_audit(&a);
	ck_assert_uint_eq(a.findings.count, 20); /* 27 before (test-analyze.c lab_rows) */
	ck_assert_uint_eq(sum(&a.findings), a.findings.count);
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-chain", NULL), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "resource-based-delegation", "SQL01$"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "constrained-delegation", "APP01$"), 0);
	/* a setting reported by one rule only stays */
	ck_assert_uint_eq(tu_count_findings(&a, "resource-based-delegation", "FS01$"), 1);
	ck_assert_uint_eq(tu_count_findings(&a, "constrained-delegation", "svc_web"), 1);
	ck_assert_uint_eq(tu_count_findings(&a, "orphan-delegation-target", "svc_backup"), 1);
	for (size_t k = 0; k < ARRAY_LEN(kept); k++) {
		const struct kd_finding *f = find(&a, &a.findings, kept[k].rule, kept[k].name);
		json_t *also;
		bool seen = false;

		ck_assert_msg(f != NULL, "no %s on %s", kept[k].rule, kept[k].name);
		also = json_object_get(f->details, "also");
		for (size_t i = 0; i < json_array_size(also); i++) {
			json_t *e = json_array_get(also, i);

			seen |= strcmp(json_string_value(json_object_get(e, "rule")),
				       kept[k].also) == 0;
			ck_assert_uint_eq(strlen(json_string_value(json_object_get(e, "fingerprint"))),
					  KD_FINGERPRINT_SIZE - 1);
			ck_assert(json_is_object(json_object_get(e, "details")));
			ck_assert(json_is_object(json_object_get(e, "account")));
		}
		ck_assert_msg(seen, "%s on %s lacks also %s", kept[k].rule, kept[k].name,
			      kept[k].also);
	}
	/* still sorted */
	for (size_t i = 1; i < a.findings.count; i++)
		ck_assert_int_le(a.findings.items[i].severity, a.findings.items[i - 1].severity);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_apply)
{
	struct tu_audit a;
	struct kd_accept *acc = NULL;
	struct kd_findings accepted;
	struct kd_error err;
	const struct kd_finding *iis, *sql;
	char facts[KD_FINGERPRINT_SIZE], *text;
	size_t before;

	lab_audit(&a);
	before = a.findings.count;
	iis = find(&a, &a.findings, "unconstrained-delegation", "svc_iis");
	sql = find(&a, &a.findings, "rbcd-broad-trustee", "SQL01$");
	ck_assert(iis && sql);
	kd_accept_facts(sql->severity, sql->details, facts);
	text = tu_xprintf("# lab\n%s 2027-03-31 alice legacy IIS\n"
			  "%s 2027-03-31 bob facts=%s the SQL team's\n"
			  "%s 2020-01-01 carol long gone\n",
			  iis->fingerprint, sql->fingerprint, facts, FP_B);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, strlen(text), "lab.accept", &acc, &err), 0);
	ck_assert_int_eq(kd_accept_apply(acc, &a.findings, &accepted, "2027-03-31", &err), 0);
	ck_assert_uint_eq(accepted.count, 2);
	ck_assert_uint_eq(a.findings.count, before - 2);
	ck_assert_uint_eq(sum(&a.findings), a.findings.count);
	ck_assert_uint_eq(sum(&accepted), 2);
	ck_assert_uint_eq(accepted.by_severity[KD_SEV_CRITICAL], 2);
	ck_assert_ptr_null(find(&a, &a.findings, "unconstrained-delegation", "svc_iis"));
	iis = find(&a, &accepted, "unconstrained-delegation", "svc_iis");
	ck_assert_ptr_nonnull(iis);
	ck_assert_uint_eq(iis->acceptance->line, 2);
	ck_assert_str_eq(iis->acceptance->reason, "legacy IIS");
	ck_assert_ptr_null(kd_accept_warning(acc, 0, "2027-03-31"));
	ck_assert_ptr_null(kd_accept_warning(acc, 1, "2027-03-31"));
	ck_assert_ptr_nonnull(kd_accept_warning(acc, 2, "2027-03-31")); /* expired */
	kd_findings_free(&accepted);
	kd_accept_free(acc);
	tu_audit_free(&a);

	/* the day after the expiry, or once the finding changes, nothing is accepted */
	lab_audit(&a);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_accept_parse(text, strlen(text), "lab.accept", &acc, &err), 0);
	ck_assert_int_eq(kd_accept_apply(acc, &a.findings, &accepted, "2027-04-01", &err), 0);
	ck_assert_uint_eq(accepted.count, 0);
	ck_assert_uint_eq(a.findings.count, before);
	kd_findings_free(&accepted);
	kd_accept_free(acc);
	free(text);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_rules)
{
	struct tu_audit a;
	bool keep[KD_RULE_COUNT] = {false};
	size_t dropped, before;

	lab_audit(&a);
	before = a.findings.count;
	keep[KD_RULE_UNCONSTRAINED_DELEGATION] = keep[KD_RULE_DUPLICATE_SPN] = true;
	dropped = kd_findings_keep_rules(&a.findings, keep);
	ck_assert_uint_eq(a.findings.count, 3 + 4);
	ck_assert_uint_eq(dropped, before - a.findings.count);
	ck_assert_uint_eq(sum(&a.findings), a.findings.count);
	tu_audit_free(&a);
}
END_TEST

static Suite *
kd_accept_suite(void)
{
	Suite *s = suite_create("accept");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, ARRAY_LEN(parse_cases));
	tcase_add_test(tc, test_parse_nul);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("match");
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_facts);
	tcase_add_test(tc, test_apply);
	suite_add_tcase(s, tc);
	tc = tcase_create("fold");
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_accept_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
