/* SPDX-License-Identifier: MIT */
/* The collection plan's filter terms: every value escaped (RFC 4515), nothing injected. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/plan.h"
#include "kdeleg/strbuf.h"

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Checks @term is "(@attr=V)" with no raw NUL, '*', '(', ')' or '\' in V (nor control
 * bytes, nor anything unescaped when @binary), and that unescaping V gives @value back.
 */
static void
check_term(const char *term, size_t term_len, const char *attr, const uint8_t *value, size_t len,
	   bool binary)
{
	size_t alen = strlen(attr), i, n = 0;
	uint8_t *back = malloc(term_len + 1);

	ck_assert_ptr_nonnull(back);
	ck_assert_uint_ge(term_len, alen + 3);
	ck_assert_int_eq(term[0], '(');
	ck_assert_int_eq(memcmp(term + 1, attr, alen), 0);
	ck_assert_int_eq(term[alen + 1], '=');
	ck_assert_int_eq(term[term_len - 1], ')');
	for (i = alen + 2; i < term_len - 1; i++) {
		unsigned char ch = (unsigned char)term[i];

		if (ch == '\\') {
			int hi, lo;

			ck_assert_uint_lt(i + 2, term_len - 1 + 1);
			hi = hex_value(term[i + 1]);
			lo = hex_value(term[i + 2]);
			ck_assert_msg(hi >= 0 && lo >= 0, "a bad escape at %zu in %.*s", i,
				      (int)term_len, term);
			back[n++] = (uint8_t)(hi << 4 | lo);
			i += 2;
			continue;
		}
		ck_assert_msg(ch != 0 && ch != '*' && ch != '(' && ch != ')' && ch >= 0x20 &&
				      ch != 0x7f,
			      "raw byte 0x%02x at %zu", ch, i);
		ck_assert_msg(!binary, "a binary value left byte 0x%02x unescaped", ch);
		back[n++] = ch;
	}
	ck_assert_uint_eq(n, len);
	ck_assert_int_eq(memcmp(back, value, len), 0);
	free(back);
}

START_TEST(test_filter_term_metacharacters)
{
	/* a DN an attacker names itself, and an SPN: filter syntax, NUL and controls */
	static const char dn[] = "CN=x*)(objectClass=*)(|(cn=\\\\\0\x01\x1b[31m\x7f,DC=é";
	struct kd_strbuf b;

	kd_strbuf_init(&b, SIZE_MAX);
	ck_assert_int_eq(kd_plan_filter_term(&b, "distinguishedName", dn, sizeof(dn) - 1, false),
			 0);
	check_term(b.data, b.len, "distinguishedName", (const uint8_t *)dn, sizeof(dn) - 1,
		   false);
	ck_assert_ptr_nonnull(strstr(kd_strbuf_str(&b), "x\\2a\\29\\28objectClass=\\2a\\29"));
	ck_assert_ptr_nonnull(strstr(kd_strbuf_str(&b), "\\00\\01\\1b[31m\\7f,DC=é)"));
	kd_strbuf_free(&b);
}
END_TEST

START_TEST(test_filter_term_sid)
{
	/* S-1-5-21-...-1066: RID 0x42a holds '*' (0x2a) and NULs, and 0x28/0x29/0x5c */
	static const uint8_t sid[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x28, 0x29, 0x5c, 0,
				      0x2a, 0x2a, 0, 0, 1, 2, 3, 4, 0x2a, 4, 0, 0};
	struct kd_strbuf b;

	kd_strbuf_init(&b, SIZE_MAX);
	ck_assert_int_eq(kd_plan_filter_term(&b, "objectSid", sid, sizeof(sid), true), 0);
	check_term(b.data, b.len, "objectSid", sid, sizeof(sid), true);
	ck_assert_uint_eq(b.len, strlen("(objectSid=)") + 3 * sizeof(sid));
	kd_strbuf_free(&b);
}
END_TEST

/* Random bytes, as text and as binary: always one well-formed term that reads back. */
START_TEST(test_filter_term_random)
{
	uint32_t state = 12345;

	for (int round = 0; round < 2000; round++) {
		uint8_t value[64];
		size_t len = round % 64;
		struct kd_strbuf b;
		bool binary = round & 1;

		for (size_t i = 0; i < len; i++) {
			state = state * 1103515245u + 12345u;
			value[i] = (uint8_t)(state >> 16);
		}
		kd_strbuf_init(&b, SIZE_MAX);
		ck_assert_int_eq(kd_plan_filter_term(&b, "a", value, len, binary), 0);
		check_term(b.data, b.len, "a", value, len, binary);
		kd_strbuf_free(&b);
	}
}
END_TEST

START_TEST(test_plan_names)
{
	ck_assert_str_eq(kd_plan_name(KD_PLAN_TARGETED), "targeted");
	ck_assert_str_eq(kd_plan_name(KD_PLAN_FULL), "full");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("filter");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_filter_term_metacharacters);
	tcase_add_test(tc, test_filter_term_sid);
	tcase_add_test(tc, test_filter_term_random);
	tcase_add_test(tc, test_plan_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
