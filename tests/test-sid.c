/* SPDX-License-Identifier: MIT */
/* Unit tests for SIDs: binary and text parsing, round trips, well-known names. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/sid.h"

/* Binary SIDs written out by hand from MS-DTYP 2.4.2.2, with their text form. */
/* clang-format off */
static const struct valid_case {
	const char *text;
	size_t len;
	uint8_t bin[8 + 4 * 15];
} valid[] = {
	{"S-1-1-0", 12, {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}},
	{"S-1-5-11", 12, {1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}},
	{"S-1-5", 8, {1, 0, 0, 0, 0, 0, 0, 5}}, /* no sub-authorities: NT Authority */
	{"S-1-5-32-544", 16, {1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0}},
	{"S-1-5-21-1004336348-1177238915-682003330-1104",
	 28,
	 {1, 5, 0, 0, 0, 0, 0, 5, 0x15, 0, 0, 0, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d, 0x2b,
	  0x46, 0x82, 0x8b, 0xa6, 0x28, 0x50, 0x04, 0, 0}},
	{"S-1-18-2", 12, {1, 1, 0, 0, 0, 0, 0, 18, 2, 0, 0, 0}},
	{"S-1-4294967295-4294967295", 12, {1, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	/* Authorities >= 2^32 print as 0x plus 12 hex digits (MS-DTYP 2.4.2.1). */
	{"S-1-0x000100000000-7", 12, {1, 1, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0}},
	{"S-1-0xFFFFFFFFFFFF", 8, {1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	{"S-1-0-0", 12, {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
	 68,
	 {1, 15, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0,
	  6, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0, 12, 0, 0, 0,
	  13, 0, 0, 0, 14, 0, 0, 0, 15, 0, 0, 0}},
};
/* clang-format on */

#define N_VALID (sizeof(valid) / sizeof(valid[0]))

/* A recognisable pattern: failure must leave the output alone. */
static void
poison(struct kd_sid *sid)
{
	memset(sid, 0x5a, sizeof(*sid));
}

static bool
is_poisoned(const struct kd_sid *sid)
{
	struct kd_sid p;

	poison(&p);
	return memcmp(&p, sid, sizeof(p)) == 0;
}

START_TEST(test_binary_valid)
{
	const struct valid_case *c = &valid[_i];
	struct kd_error err;
	struct kd_sid sid;
	char text[KD_SID_STRING_MAX];
	uint8_t out[sizeof(c->bin)];

	kd_error_clear(&err);
	ck_assert_int_eq(kd_sid_from_binary(c->bin, c->len, &sid, &err), 0);
	ck_assert_int_eq(err.code, 0); /* untouched on success */
	ck_assert_str_eq(kd_sid_to_string(&sid, text, sizeof(text)), c->text);
	ck_assert_uint_eq(kd_sid_binary_size(&sid), c->len);
	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(kd_sid_to_binary(&sid, out, sizeof(out)), c->len);
	ck_assert_mem_eq(out, c->bin, c->len);
	/* Unused sub-authorities are zero so that memcmp-based keys work. */
	for (size_t i = sid.count; i < KD_SID_MAX_SUBAUTH; i++)
		ck_assert_uint_eq(sid.sub[i], 0);
}
END_TEST

START_TEST(test_text_round_trip)
{
	const struct valid_case *c = &valid[_i];
	struct kd_sid a, b;
	char text[KD_SID_STRING_MAX];

	ck_assert_int_eq(kd_sid_from_string(c->text, &a, NULL), 0);
	ck_assert_int_eq(kd_sid_from_binary(c->bin, c->len, &b, NULL), 0);
	ck_assert(kd_sid_equal(&a, &b));
	ck_assert_mem_eq(&a, &b, sizeof(a)); /* the value-type promise */
	ck_assert_str_eq(kd_sid_to_string(&a, text, sizeof(text)), c->text);
}
END_TEST

/* Every proper prefix of every valid SID is an error, with output untouched. */
START_TEST(test_binary_every_cut)
{
	const struct valid_case *c = &valid[_i];

	for (size_t cut = 0; cut < c->len; cut++) {
		struct kd_error err;
		struct kd_sid sid;
		struct kd_reader r;

		kd_error_clear(&err);
		poison(&sid);
		ck_assert_int_eq(kd_sid_from_binary(c->bin, cut, &sid, &err), KD_ERR_PARSE);
		ck_assert(is_poisoned(&sid));
		ck_assert(err.has_offset);
		ck_assert_uint_eq(err.offset, 0);
		ck_assert_ptr_nonnull(strstr(err.message, "truncated"));

		kd_reader_init(&r, c->bin, cut);
		ck_assert_int_eq(kd_sid_read(&r, &sid, NULL), KD_ERR_PARSE);
		ck_assert(r.failed);
	}
}
END_TEST

/* clang-format off */
static const struct bad_binary_case {
	const char *name;
	size_t len;
	uint8_t bin[72];
	size_t offset;
	const char *message;
} bad_binary[] = {
	{"revision 0", 12, {0, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}, 0, "SID revision 0, expected 1"},
	{"revision 2", 12, {2, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}, 0, "SID revision 2, expected 1"},
	{"revision 0xff", 8, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, "revision 255"},
	{"16 sub-authorities",
	 72,
	 {1, 16, 0, 0, 0, 0, 0, 5},
	 1,
	 "SID has 16 sub-authorities, at most 15 allowed"},
	{"count 0xff", 8, {1, 0xff, 0, 0, 0, 0, 0, 5}, 1, "255 sub-authorities"},
	{"count 2, one present",
	 12,
	 {1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0},
	 0,
	 "2 sub-authorities need 16 bytes, 12 left"},
	{"header only 7", 7, {1, 0, 0, 0, 0, 0, 0}, 0, "SID truncated: 7 of 8 header bytes"},
	{"trailing byte", 13, {1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0, 0}, 12,
	 "1 trailing bytes after 12-byte SID"},
	{"trailing SID", 24,
	 {1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}, 12,
	 "12 trailing bytes"},
};
/* clang-format on */

START_TEST(test_binary_invalid)
{
	const struct bad_binary_case *c = &bad_binary[_i];
	struct kd_error err;
	struct kd_sid sid;

	kd_error_clear(&err);
	poison(&sid);
	ck_assert_int_eq(kd_sid_from_binary(c->bin, c->len, &sid, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_msg(err.offset == c->offset, "%s: offset %zu", c->name, err.offset);
	ck_assert_msg(strstr(err.message, c->message), "%s: message '%s'", c->name, err.message);
	ck_assert(is_poisoned(&sid));
}
END_TEST

/* kd_sid_read marks the reader failed at the field and reports absolute offsets. */
START_TEST(test_read_in_stream)
{
	static const uint8_t data[] = {0xaa, 0xbb, 0xcc, 0xdd, /* prefix */
	                               1,    1,    0,    0,    0, 0, 0, 5, 11, 0,
	                               0,    0,    1,    20,   0, 0, 0, 0, 0,  5};
	struct kd_reader r;
	struct kd_error err;
	struct kd_sid sid;

	kd_reader_init(&r, data, sizeof(data));
	kd_reader_u32le(&r);
	ck_assert_int_eq(kd_sid_read(&r, &sid, NULL), 0);
	ck_assert_uint_eq(r.pos, 16);
	ck_assert_uint_eq(kd_sid_rid(&sid), 11);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_sid_read(&r, &sid, &err), KD_ERR_PARSE);
	ck_assert(r.failed);
	ck_assert_uint_eq(r.fail_offset, 17);
	ck_assert_uint_eq(err.offset, 17);
	/* A reader that already failed is reported, not read. */
	kd_error_clear(&err);
	ck_assert_int_eq(kd_sid_read(&r, &sid, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.offset, 17);
	ck_assert_uint_eq(r.fail_offset, 17);
}
END_TEST

START_TEST(test_to_binary_short_buffer)
{
	struct kd_sid sid;
	uint8_t out[16];

	ck_assert_int_eq(kd_sid_from_string("S-1-5-32-544", &sid, NULL), 0);
	ck_assert_uint_eq(kd_sid_to_binary(&sid, out, 15), 0);
	ck_assert_uint_eq(kd_sid_to_binary(&sid, out, 16), 16);
}
END_TEST

/* Accepted text and what it prints as (canonical form). */
static const struct text_case {
	const char *in;
	const char *out;
} text_ok[] = {
    {"s-1-5-18", "S-1-5-18"},
    {"S-1-0x000100000000-1", "S-1-0x000100000000-1"},
    {"S-1-0x00010000abcd", "S-1-0x00010000ABCD"},
    {"S-1-0X00010000ABCD", "S-1-0x00010000ABCD"},
    /* Hex is allowed below 2^32 too (the ABNF permits it); it prints as decimal. */
    {"S-1-0x000000000005-32-544", "S-1-5-32-544"},
    {"S-1-0", "S-1-0"},
    {"S-1-5-0", "S-1-5-0"},
    {"S-1-5-21-4294967295-0-1", "S-1-5-21-4294967295-0-1"},
    {"S-1-4294967295", "S-1-4294967295"},
};

START_TEST(test_text_valid)
{
	const struct text_case *c = &text_ok[_i];
	struct kd_sid sid, again;
	char text[KD_SID_STRING_MAX];

	ck_assert_msg(kd_sid_from_string(c->in, &sid, NULL) == 0, "%s", c->in);
	ck_assert_str_eq(kd_sid_to_string(&sid, text, sizeof(text)), c->out);
	ck_assert_int_eq(kd_sid_from_string(text, &again, NULL), 0);
	ck_assert(kd_sid_equal(&sid, &again));
}
END_TEST

static const struct bad_text_case {
	const char *in;
	size_t offset;
	const char *message;
} text_bad[] = {
    {"", 0, "S-"},
    {"S", 0, "S-"},
    {"X-1-5", 0, "S-"},
    {" S-1-5", 0, "S-"},
    {"S-", 2, "revision"},
    {"S-2-5", 2, "revision"},
    {"S-10-5", 2, "revision"},
    {"S-1", 2, "revision"},
    {"S-1-", 4, "authority"},
    {"S-1--5", 4, "authority"},
    {"S-1-+5", 4, "authority"},
    {"S-1- 5", 4, "authority"},
    {"S-1-05", 4, "authority"},         /* leading zero: not canonical */
    {"S-1-4294967296", 4, "authority"}, /* decimal authority must be < 2^32 */
    {"S-1-99999999999999999999999", 4, "authority"},
    {"S-1-0x", 6, "12 hex digits"},
    {"S-1-0x12345", 11, "12 hex digits"},
    {"S-1-0xGGGGGGGGGGGG", 6, "12 hex digits"},
    {"S-1-0x1234567890ABC", 18, "unexpected character"}, /* 13 digits */
    {"S-1-5-", 6, "sub-authority"},
    {"S-1-5--1", 6, "sub-authority"},
    {"S-1-5-+1", 6, "sub-authority"},
    {"S-1-5--", 6, "sub-authority"},
    {"S-1-5-21-", 9, "sub-authority"},
    {"S-1-5-4294967296", 6, "sub-authority"},
    {"S-1-5-18446744073709551617", 6, "sub-authority"}, /* wraps to 1 in 64 bits */
    {"S-1-5-007", 6, "sub-authority"},
    {"S-1-5-21x", 8, "unexpected"},
    {"S-1-5-21 ", 8, "unexpected"},
    {"S-1-5 ", 5, "unexpected"},
    {"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", 42, "more than 15"},
};

START_TEST(test_text_invalid)
{
	const struct bad_text_case *c = &text_bad[_i];
	struct kd_error err;
	struct kd_sid sid;

	kd_error_clear(&err);
	poison(&sid);
	ck_assert_msg(kd_sid_from_string(c->in, &sid, &err) == KD_ERR_PARSE, "'%s' parsed", c->in);
	ck_assert(err.has_offset);
	ck_assert_msg(err.offset == c->offset, "'%s': offset %zu", c->in, err.offset);
	ck_assert_msg(strstr(err.message, c->message), "'%s': message '%s'", c->in, err.message);
	ck_assert(is_poisoned(&sid));
}
END_TEST

START_TEST(test_to_string_small_buffer)
{
	struct kd_sid sid;
	char buf[8];

	ck_assert_int_eq(kd_sid_from_string("S-1-5-21-1-2-3", &sid, NULL), 0);
	/* Truncated, but always terminated. */
	ck_assert_str_eq(kd_sid_to_string(&sid, buf, sizeof(buf)), "S-1-5");
	memset(buf, 'x', sizeof(buf));
	kd_sid_to_string(&sid, buf, 1);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'x', sizeof(buf));
	kd_sid_to_string(&sid, buf, 4); /* "S-1-5" does not fit: nothing half-written */
	ck_assert_int_eq(buf[0], '\0');
}
END_TEST

START_TEST(test_longest_string_fits)
{
	static const char longest[] = "S-1-0xFFFFFFFFFFFF-4294967295-4294967295-4294967295"
	                              "-4294967295-4294967295-4294967295-4294967295-4294967295"
	                              "-4294967295-4294967295-4294967295-4294967295-4294967295"
	                              "-4294967295-4294967295";
	struct kd_sid sid;
	char buf[KD_SID_STRING_MAX];

	ck_assert_uint_lt(sizeof(longest), KD_SID_STRING_MAX);
	ck_assert_int_eq(kd_sid_from_string(longest, &sid, NULL), 0);
	ck_assert_uint_eq(sid.count, 15);
	ck_assert_str_eq(kd_sid_to_string(&sid, buf, sizeof(buf)), longest);
}
END_TEST

static struct kd_sid
sid_of(const char *text)
{
	struct kd_sid sid;

	ck_assert_int_eq(kd_sid_from_string(text, &sid, NULL), 0);
	return sid;
}

START_TEST(test_equal_rid_domain)
{
	struct kd_sid dom = sid_of("S-1-5-21-1-2-3");
	struct kd_sid user = sid_of("S-1-5-21-1-2-3-1104");
	struct kd_sid other = sid_of("S-1-5-21-1-2-4-1104");
	struct kd_sid nested = sid_of("S-1-5-21-1-2-3-1104-5");
	struct kd_sid auth = sid_of("S-1-0x000100000005-21-1-2-3-1104");
	struct kd_sid composed, full;

	ck_assert(kd_sid_equal(&user, &user));
	ck_assert(!kd_sid_equal(&user, &other));
	ck_assert(!kd_sid_equal(&user, &dom));
	ck_assert(!kd_sid_equal(&user, &auth));
	ck_assert_uint_eq(kd_sid_rid(&user), 1104);
	ck_assert_uint_eq(kd_sid_rid(&dom), 3);
	ck_assert_uint_eq(kd_sid_rid(&(struct kd_sid){.revision = 1, .authority = 5}), 0);
	ck_assert(kd_sid_in_domain(&user, &dom));
	ck_assert(!kd_sid_in_domain(&other, &dom));
	ck_assert(!kd_sid_in_domain(&nested, &dom)); /* exactly one RID more */
	ck_assert(!kd_sid_in_domain(&dom, &dom));
	ck_assert(!kd_sid_in_domain(&auth, &dom));
	ck_assert(kd_sid_compose(&dom, 1104, &composed));
	ck_assert(kd_sid_equal(&composed, &user));
	ck_assert_mem_eq(&composed, &user, sizeof(user));
	full = sid_of("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15");
	composed = dom;
	ck_assert(!kd_sid_compose(&full, 1, &composed));
	ck_assert(kd_sid_equal(&composed, &dom)); /* untouched on failure */
}
END_TEST

static const struct name_case {
	const char *sid;
	const char *name; /* NULL: not well known */
} wellknown[] = {
    {"S-1-1-0", "Everyone"},
    {"S-1-3-0", "Creator Owner"},
    {"S-1-3-4", "Owner Rights"},
    {"S-1-5-7", "Anonymous"},
    {"S-1-5-2", "Network"},
    {"S-1-5-4", "Interactive"},
    {"S-1-5-9", "Enterprise Domain Controllers"},
    {"S-1-5-10", "Principal Self"},
    {"S-1-5-11", "Authenticated Users"},
    {"S-1-5-15", "This Organization"},
    {"S-1-5-18", "Local System"},
    {"S-1-18-1", "Authentication authority asserted identity"},
    {"S-1-18-2", "Service asserted identity"},
    {"S-1-5-32-544", "Administrators"},
    {"S-1-5-32-545", "Users"},
    {"S-1-5-32-546", "Guests"},
    {"S-1-5-32-548", "Account Operators"},
    {"S-1-5-32-549", "Server Operators"},
    {"S-1-5-32-550", "Print Operators"},
    {"S-1-5-32-551", "Backup Operators"},
    {"S-1-5-32-554", "Pre-Windows 2000 Compatible Access"},
    {"S-1-5-32-547", NULL},
    {"S-1-5-32", NULL},
    {"S-1-5-32-544-1", NULL},
    {"S-1-5-11-0", NULL},
    {"S-1-1", NULL},
    {"S-1-2-0", NULL},
    {"S-1-5-21-1-2-3-512", NULL}, /* domain-relative: see kd_sid_domain_rid_name */
    {"S-1-0x000100000001-0", NULL},
};

START_TEST(test_wellknown_name)
{
	const struct name_case *c = &wellknown[_i];
	struct kd_sid sid = sid_of(c->sid);
	const char *name = kd_sid_wellknown_name(&sid);

	if (c->name)
		ck_assert_msg(name && strcmp(name, c->name) == 0, "%s: %s", c->sid,
		              name ? name : "(null)");
	else
		ck_assert_msg(name == NULL, "%s: %s", c->sid, name);
}
END_TEST

static const struct rid_case {
	uint32_t rid;
	const char *name;
} rids[] = {
    {500, "Administrator"},
    {501, "Guest"},
    {502, "krbtgt"},
    {512, "Domain Admins"},
    {513, "Domain Users"},
    {514, "Domain Guests"},
    {515, "Domain Computers"},
    {516, "Domain Controllers"},
    {517, "Cert Publishers"},
    {518, "Schema Admins"},
    {519, "Enterprise Admins"},
    {520, "Group Policy Creator Owners"},
    {521, "Read-only Domain Controllers"},
    {522, "Cloneable Domain Controllers"},
    {525, "Protected Users"},
    {526, "Key Admins"},
    {527, "Enterprise Key Admins"},
    {0, NULL},
    {503, NULL},
    {523, NULL},
    {528, NULL},
    {1104, NULL},
    {UINT32_MAX, NULL},
};

START_TEST(test_domain_rid_name)
{
	const struct rid_case *c = &rids[_i];
	const char *name = kd_sid_domain_rid_name(c->rid);

	if (c->name)
		ck_assert_msg(name && strcmp(name, c->name) == 0, "%u", c->rid);
	else
		ck_assert_msg(name == NULL, "%u: %s", c->rid, name);
}
END_TEST

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static Suite *
kd_sid_suite(void)
{
	Suite *s = suite_create("sid");
	TCase *tc;

	tc = tcase_create("binary");
	tcase_add_loop_test(tc, test_binary_valid, 0, N_VALID);
	tcase_add_loop_test(tc, test_binary_every_cut, 0, N_VALID);
	tcase_add_loop_test(tc, test_binary_invalid, 0, N_OF(bad_binary));
	tcase_add_test(tc, test_read_in_stream);
	tcase_add_test(tc, test_to_binary_short_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_loop_test(tc, test_text_round_trip, 0, N_VALID);
	tcase_add_loop_test(tc, test_text_valid, 0, N_OF(text_ok));
	tcase_add_loop_test(tc, test_text_invalid, 0, N_OF(text_bad));
	tcase_add_test(tc, test_to_string_small_buffer);
	tcase_add_test(tc, test_longest_string_fits);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_add_test(tc, test_equal_rid_domain);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_wellknown_name, 0, N_OF(wellknown));
	tcase_add_loop_test(tc, test_domain_rid_name, 0, N_OF(rids));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_sid_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
