/* SPDX-License-Identifier: MIT */
/* Unit tests for userAccountControl parsing and naming (src/uac.c). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/uac.h"
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* 1 followed by 300 zeros and 300 leading zeros before 1: built in the fixture. */
static char huge_digits[302];
static char zeros_then_one[302];

static void
setup_strings(void)
{
	memset(huge_digits, '0', sizeof(huge_digits) - 1);
	huge_digits[0] = '1';
	huge_digits[sizeof(huge_digits) - 1] = '\0';
	memset(zeros_then_one, '0', sizeof(zeros_then_one) - 1);
	zeros_then_one[sizeof(zeros_then_one) - 2] = '1';
	zeros_then_one[sizeof(zeros_then_one) - 1] = '\0';
}

struct parse_ok {
	const char *text;
	uint32_t flags;
	int64_t value; /* kd_parse_int32 */
};

static const struct parse_ok parse_ok_cases[] = {
	{"0", 0, 0},
	{"1", 1, 1},
	{"512", 0x200, 512},
	{"66048", 0x10200, 66048},           /* NORMAL_ACCOUNT|DONT_EXPIRE_PASSWORD */
	{"532480", 0x82000, 532480},         /* DC: SERVER_TRUST|TRUSTED_FOR_DELEGATION */
	{"4096", 0x1000, 4096},
	{"2147483647", 0x7fffffff, 2147483647},
	{"2147483648", 0x80000000u, 2147483648},
	{"4294967295", 0xffffffffu, 4294967295},
	{"-1", 0xffffffffu, -1},
	{"-2", 0xfffffffeu, -2},
	{"-2147483648", 0x80000000u, -2147483648LL},
	{"-0", 0, 0},
	{"007", 7, 7},
	{"0000000000000000000000004294967295", 0xffffffffu, 4294967295},
	{"-00000000000000000000002147483648", 0x80000000u, -2147483648LL},
};

START_TEST(test_parse_ok)
{
	const struct parse_ok *c = &parse_ok_cases[_i];
	struct kd_error err;
	uint32_t flags = 0xdeadbeef;
	int64_t value = 12345;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_uac_parse(c->text, strlen(c->text), &flags, &err), 0);
	ck_assert_uint_eq(flags, c->flags);
	ck_assert_int_eq(err.code, 0);
	ck_assert_int_eq(kd_parse_int32(c->text, strlen(c->text), &value, &err), 0);
	ck_assert_int_eq(value, c->value);
}
END_TEST

START_TEST(test_parse_leading_zeros_long)
{
	uint32_t flags = 0;
	int64_t value = 0;

	ck_assert_int_eq(kd_uac_parse(zeros_then_one, strlen(zeros_then_one), &flags, NULL), 0);
	ck_assert_uint_eq(flags, 1);
	ck_assert_int_eq(kd_parse_int32(zeros_then_one, strlen(zeros_then_one), &value, NULL), 0);
	ck_assert_int_eq(value, 1);
}
END_TEST

/* Only the first @len bytes count: the value need not be NUL-terminated. */
START_TEST(test_parse_length_bounded)
{
	uint32_t flags = 0;

	ck_assert_int_eq(kd_uac_parse("512xyz", 3, &flags, NULL), 0);
	ck_assert_uint_eq(flags, 512);
	ck_assert_int_eq(kd_uac_parse("5120", 0, &flags, NULL), KD_ERR_PARSE);
	ck_assert_int_eq(kd_uac_parse(NULL, 0, &flags, NULL), KD_ERR_PARSE);
	ck_assert_uint_eq(flags, 512);
}
END_TEST

static const struct tu_bad_input parse_bad_cases[] = {
	{"", 0, 0},
	{" 1", 0, 0},
	{"1 ", 0, 1},
	{"+1", 0, 0},
	{"0x10", 0, 1},
	{"--1", 0, 1},
	{"-", 0, 1},
	{"1-", 0, 1},
	{"4294967296", 0, 9},
	{"4294967300", 0, 9},
	{"9999999999", 0, 9},
	{"18446744073709551616", 0, 10},  /* 2^64: must not wrap */
	{"-2147483649", 0, 10},
	{"-4294967295", 0, 10},
	{"1.0", 0, 1},
	{"1e3", 0, 1},
	{"\xd9\xa1", 0, 0},  /* ARABIC-INDIC DIGIT ONE */
	{"12\0" "3", 4, 2},  /* embedded NUL */
	{"\t7", 0, 0},
	{"7\n", 0, 1},
	{"ffff", 0, 0},
	{"1,000", 0, 1},
};

START_TEST(test_parse_bad)
{
	const struct tu_bad_input *c = &parse_bad_cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	struct kd_error err;
	uint32_t flags = 0xdeadbeef;
	int64_t value = 12345;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_uac_parse(c->text, len, &flags, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_uint_eq(err.offset, c->offset);
	ck_assert_str_ne(err.message, "");
	ck_assert_uint_eq(flags, 0xdeadbeef);

	kd_error_clear(&err);
	ck_assert_int_eq(kd_parse_int32(c->text, len, &value, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.offset, c->offset);
	ck_assert_int_eq(value, 12345);
}
END_TEST

START_TEST(test_parse_huge)
{
	struct kd_error err;
	uint32_t flags = 7;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_uac_parse(huge_digits, strlen(huge_digits), &flags, &err),
			 KD_ERR_PARSE);
	ck_assert_uint_eq(err.offset, 10); /* 10000000000 is the first value out of range */
	ck_assert_uint_eq(flags, 7);
}
END_TEST

/* Exhaustive over every single bit: each named bit has its ad-facts §1 name. */
static const struct {
	uint32_t bit;
	const char *name;
} names[] = {
	{0x00000001, "SCRIPT"},
	{0x00000002, "ACCOUNTDISABLE"},
	{0x00000008, "HOMEDIR_REQUIRED"},
	{0x00000010, "LOCKOUT"},
	{0x00000020, "PASSWD_NOTREQD"},
	{0x00000040, "PASSWD_CANT_CHANGE"},
	{0x00000080, "ENCRYPTED_TEXT_PWD_ALLOWED"},
	{0x00000100, "TEMP_DUPLICATE_ACCOUNT"},
	{0x00000200, "NORMAL_ACCOUNT"},
	{0x00000800, "INTERDOMAIN_TRUST_ACCOUNT"},
	{0x00001000, "WORKSTATION_TRUST_ACCOUNT"},
	{0x00002000, "SERVER_TRUST_ACCOUNT"},
	{0x00010000, "DONT_EXPIRE_PASSWORD"},
	{0x00020000, "MNS_LOGON_ACCOUNT"},
	{0x00040000, "SMARTCARD_REQUIRED"},
	{0x00080000, "TRUSTED_FOR_DELEGATION"},
	{0x00100000, "NOT_DELEGATED"},
	{0x00200000, "USE_DES_KEY_ONLY"},
	{0x00400000, "DONT_REQ_PREAUTH"},
	{0x00800000, "PASSWORD_EXPIRED"},
	{0x01000000, "TRUSTED_TO_AUTH_FOR_DELEGATION"},
	{0x02000000, "NO_AUTH_DATA_REQUIRED"},
	{0x04000000, "PARTIAL_SECRETS_ACCOUNT"},
};

START_TEST(test_flag_names)
{
	for (unsigned int i = 0; i < 32; i++) {
		uint32_t bit = (uint32_t)1 << i;
		const char *want = NULL;

		for (size_t j = 0; j < ARRAY_LEN(names); j++)
			if (names[j].bit == bit)
				want = names[j].name;
		if (want)
			ck_assert_str_eq(kd_uac_flag_name(bit), want);
		else
			ck_assert_ptr_null(kd_uac_flag_name(bit));
	}
	/* Not single bits. */
	ck_assert_ptr_null(kd_uac_flag_name(0));
	ck_assert_ptr_null(kd_uac_flag_name(0x202));
	/* The MS-SAMR numbers are different bits (ad-facts §1 trap). */
	ck_assert_str_eq(kd_uac_flag_name(0x2000), "SERVER_TRUST_ACCOUNT");
	ck_assert_ptr_null(kd_uac_flag_name(0x4000));
}
END_TEST

struct describe_case {
	uint32_t flags;
	const char *text;
};

static const struct describe_case describe_cases[] = {
	{0, "0"},
	{0x200, "NORMAL_ACCOUNT"},
	{0x80200, "NORMAL_ACCOUNT|TRUSTED_FOR_DELEGATION"},
	{0x82000, "SERVER_TRUST_ACCOUNT|TRUSTED_FOR_DELEGATION"},
	{0x5001000, "WORKSTATION_TRUST_ACCOUNT|TRUSTED_TO_AUTH_FOR_DELEGATION|"
		    "PARTIAL_SECRETS_ACCOUNT"},
	{0x4, "0x4"},
	{0x80000000u, "0x80000000"},
	{0x206, "ACCOUNTDISABLE|NORMAL_ACCOUNT|0x4"},
	{0x80008004u, "0x80008004"},
	{0xffffffffu,
	 "SCRIPT|ACCOUNTDISABLE|HOMEDIR_REQUIRED|LOCKOUT|PASSWD_NOTREQD|"
	 "PASSWD_CANT_CHANGE|ENCRYPTED_TEXT_PWD_ALLOWED|TEMP_DUPLICATE_ACCOUNT|"
	 "NORMAL_ACCOUNT|INTERDOMAIN_TRUST_ACCOUNT|WORKSTATION_TRUST_ACCOUNT|"
	 "SERVER_TRUST_ACCOUNT|DONT_EXPIRE_PASSWORD|MNS_LOGON_ACCOUNT|"
	 "SMARTCARD_REQUIRED|TRUSTED_FOR_DELEGATION|NOT_DELEGATED|USE_DES_KEY_ONLY|"
	 "DONT_REQ_PREAUTH|PASSWORD_EXPIRED|TRUSTED_TO_AUTH_FOR_DELEGATION|"
	 "NO_AUTH_DATA_REQUIRED|PARTIAL_SECRETS_ACCOUNT|0xf800c404"},
};

START_TEST(test_describe)
{
	const struct describe_case *c = &describe_cases[_i];
	char buf[512];

	ck_assert_ptr_eq(kd_uac_describe(c->flags, buf, sizeof(buf)), buf);
	ck_assert_str_eq(buf, c->text);
}
END_TEST

struct truncate_case {
	uint32_t flags;
	size_t size;
	const char *text;
};

static const struct truncate_case truncate_cases[] = {
	/* "NORMAL_ACCOUNT|TRUSTED_FOR_DELEGATION" is 37 bytes + NUL. */
	{0x80200, 38, "NORMAL_ACCOUNT|TRUSTED_FOR_DELEGATION"},
	{0x80200, 41, "NORMAL_ACCOUNT|TRUSTED_FOR_DELEGATION"},
	{0x80200, 37, "NORMAL_ACCOUNT..."},
	{0x80200, 19, "NORMAL_ACCOUNT..."},
	{0x80200, 18, "NORMAL_ACCOUNT..."},
	{0x80200, 17, "..."},
	{0x200, 15, "NORMAL_ACCOUNT"},
	{0x200, 14, "..."},
	{0x80200, 4, "..."},
	{0x80200, 3, ""},
	{0x80200, 1, ""},
	/* The hex token is last: it needs only its NUL after it. */
	{0x80000200u, 26, "NORMAL_ACCOUNT|0x80000000"},
	{0x80000200u, 25, "NORMAL_ACCOUNT..."},
	{0x80000000u, 11, "0x80000000"},
	{0x80000000u, 10, "..."},
	{0, 2, "0"},
	{0, 1, ""},
};

START_TEST(test_describe_truncated)
{
	const struct truncate_case *c = &truncate_cases[_i];
	char buf[64];

	memset(buf, 'Z', sizeof(buf));
	kd_uac_describe(c->flags, buf, c->size);
	ck_assert_str_eq(buf, c->text);
	/* Nothing written past @size. */
	for (size_t i = c->size; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 'Z');
}
END_TEST

START_TEST(test_describe_size_zero)
{
	char buf[4] = "abc";

	ck_assert_ptr_eq(kd_uac_describe(0x200, buf, 0), buf);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

/* The longest description (all 32 bits) fits the 512 bytes src/uac.c promises. */
START_TEST(test_describe_max_length)
{
	char buf[1024];

	kd_uac_describe(0xffffffffu, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), 452);
}
END_TEST

/* Parse then describe: the path the CLI takes for a value read from LDIF. */
START_TEST(test_parse_describe)
{
	uint32_t flags;
	char buf[512];

	ck_assert_int_eq(kd_uac_parse("-2147483136", 11, &flags, NULL), 0);
	ck_assert_uint_eq(flags, 0x80000200u);
	ck_assert_str_eq(kd_uac_describe(flags, buf, sizeof(buf)), "NORMAL_ACCOUNT|0x80000000");
}
END_TEST

static Suite *
kd_uac_suite(void)
{
	Suite *s = suite_create("uac");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup_strings, NULL);
	tcase_add_loop_test(tc, test_parse_ok, 0, ARRAY_LEN(parse_ok_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, ARRAY_LEN(parse_bad_cases));
	tcase_add_test(tc, test_parse_leading_zeros_long);
	tcase_add_test(tc, test_parse_length_bounded);
	tcase_add_test(tc, test_parse_huge);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_flag_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("describe");
	tcase_add_loop_test(tc, test_describe, 0, ARRAY_LEN(describe_cases));
	tcase_add_loop_test(tc, test_describe_truncated, 0, ARRAY_LEN(truncate_cases));
	tcase_add_test(tc, test_describe_size_zero);
	tcase_add_test(tc, test_describe_max_length);
	tcase_add_test(tc, test_parse_describe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_uac_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
