/* SPDX-License-Identifier: MIT */
/* Unit tests for masking a secret and its look-alikes in a peer's text (src/mask.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/mask.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct mask_case {
	const char *secret;
	const char *text;
	const char *want;
	bool masked;
} mask_cases[] = {
	/* the secret itself, alone, quoted, in a word, twice */
	{"Hunter2-Tr0ub4dor", "you sent Hunter2-Tr0ub4dor", "you sent ***", true},
	{"Hunter2-Tr0ub4dor", "pw='Hunter2-Tr0ub4dor'.", "***", true},
	{"Hunter2-Tr0ub4dor", "a Hunter2-Tr0ub4dor b Hunter2-Tr0ub4dor c", "a *** b *** c", true},
	/* case variants */
	{"Hunter2-Tr0ub4dor", "HUNTER2-TR0UB4DOR hunter2-tr0ub4dor", "*** ***", true},
	/* its base64 (SHVudGVyMi1UcjB1YjRkb3I=) and hex */
	{"Hunter2-Tr0ub4dor", "b64 SHVudGVyMi1UcjB1YjRkb3I= end", "b64 *** end", true},
	{"Hunter2-Tr0ub4dor", "hex 48756e746572322d547230756234646f72", "hex ***", true},
	{"Hunter2-Tr0ub4dor", "HEX 48756E746572322D547230756234646F72", "HEX ***", true},
	/* pieces of it: cut to a field width, or with white space inside */
	{"Hunter2-Tr0ub4dor", "sent [Hunter2-Tr", "sent ***", true},
	{"Hunter2-Tr0ub4dor", "...0ub4dor]", "***", true},
	{"correct horse battery", "echo: correct horse battery! ok", "echo: *** ok", true},
	/* what does not look like it stays */
	{"Hunter2-Tr0ub4dor", "80090308: LdapErr: DSID-0C09044E, data 52e, v4563",
	 "80090308: LdapErr: DSID-0C09044E, data 52e, v4563", false},
	{"Hunter2-Tr0ub4dor", "Hunt", "Hunt", false},
	{"Hunter2-Tr0ub4dor", "", "", false},
	/* a short secret is matched whole, not by pieces */
	{"abc", "xabcx y ab", "*** y ab", true},
	{"abc", "ABC", "***", true},
	/* the mask never eats the white space around a word */
	{"secret1", "\tsecret1\n", "\t***\n", true},
	/* a secret with a space: the pieces that span it mask both words as one */
	{"pass word1", "got pass word1 ok", "got *** ok", true},
};

START_TEST(test_mask)
{
	const struct mask_case *c = &mask_cases[_i];
	struct kd_mask *m = NULL;
	struct kd_error err;
	char out[256];

	kd_error_clear(&err);
	ck_assert_int_eq(kd_mask_new(c->secret, strlen(c->secret), &m, &err), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(kd_mask_apply(m, c->text, strlen(c->text), out, sizeof(out)), c->masked);
	ck_assert_msg(strcmp(out, c->want) == 0, "'%s' with secret '%s':\n got  '%s'\n want '%s'",
		      c->text, c->secret, out, c->want);
	kd_mask_free(m);
}
END_TEST

START_TEST(test_no_secret)
{
	struct kd_mask *m = (struct kd_mask *)&m; /* not NULL: must be set */
	char out[16];

	ck_assert_int_eq(kd_mask_new("", 0, &m, NULL), 0);
	ck_assert_ptr_null(m);
	/* a NULL mask copies */
	ck_assert(!kd_mask_apply(NULL, "plain text", 10, out, sizeof(out)));
	ck_assert_str_eq(out, "plain text");
	kd_mask_free(NULL);
}
END_TEST

START_TEST(test_bounds)
{
	struct kd_mask *m = NULL;
	char out[8];

	ck_assert_int_eq(kd_mask_new("topsecret", 9, &m, NULL), 0);
	/* cut to the buffer, always terminated */
	ck_assert(!kd_mask_apply(m, "0123456789abcdef", 16, out, sizeof(out)));
	ck_assert_str_eq(out, "0123456");
	/* a mask that does not fit is left out with the rest, never cut to a piece of
	 * the text (and nothing masked shows: false) */
	ck_assert(!kd_mask_apply(m, "ab cd topsecret", 15, out, sizeof(out)));
	ck_assert_str_eq(out, "ab cd ");
	ck_assert(kd_mask_apply(m, "ab topsecret", 12, out, sizeof(out)));
	ck_assert_str_eq(out, "ab ***");
	/* a NUL ends the text */
	ck_assert(!kd_mask_apply(m, "ab\0topsecret", 12, out, sizeof(out)));
	ck_assert_str_eq(out, "ab");
	/* size 0 writes nothing, size 1 the terminator */
	out[0] = 'x';
	ck_assert(!kd_mask_apply(m, "topsecret", 9, out, 0));
	ck_assert_int_eq(out[0], 'x');
	kd_mask_apply(m, "topsecret", 9, out, 1);
	ck_assert_int_eq(out[0], '\0');
	kd_mask_free(m);
}
END_TEST

/* Every piece of the secret in any text is masked: no five bytes of it survive. */
START_TEST(test_no_piece_survives)
{
	static const char secret[] = "S3cr3t-P@ssw0rd!";
	struct kd_mask *m = NULL;
	char text[128], out[256];

	ck_assert_int_eq(kd_mask_new(secret, strlen(secret), &m, NULL), 0);
	for (size_t at = 0; at + KD_MASK_PIECE <= strlen(secret); at++) {
		for (size_t n = KD_MASK_PIECE; at + n <= strlen(secret); n++) {
			snprintf(text, sizeof(text), "before x%.*sy after", (int)n, secret + at);
			ck_assert(kd_mask_apply(m, text, strlen(text), out, sizeof(out)));
			ck_assert_str_eq(out, "before *** after");
		}
	}
	kd_mask_free(m);
}
END_TEST

static Suite *
kd_mask_suite(void)
{
	Suite *s = suite_create("mask");
	TCase *tc = tcase_create("mask");

	tcase_add_loop_test(tc, test_mask, 0, ARRAY_LEN(mask_cases));
	tcase_add_test(tc, test_no_secret);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_no_piece_survives);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_mask_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
