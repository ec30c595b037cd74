/* SPDX-License-Identifier: MIT */
/* Unit tests for jansson's size-class pool (src/json-pool.c). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/json-pool.h"

static bool installed;

static void
setup(void)
{
	installed = kd_json_pool_install();
	/* sanitizer builds (-Darena_malloc=true) leave jansson on malloc() */
	ck_assert_int_eq(installed, !KD_ARENA_MALLOC);
}

static void
teardown(void)
{
	kd_json_pool_release();
	ck_assert_uint_eq(kd_json_pool_mapped(), 0);
}

/* A text of @len bytes that depends on @seed, for strings of every size class. */
static char *
text_of(size_t len, unsigned seed)
{
	char *t = malloc(len + 1);

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < len; i++)
		t[i] = (char)('a' + (seed + i * 7) % 26);
	t[len] = '\0';
	return t;
}

/* Values of every small size and past the pool's limit survive, compare, and free. */
START_TEST(test_values_round_trip)
{
	json_t *doc = json_object(), *list = json_array();
	char *dumped, key[32];
	json_free_t release;
	json_t *back;

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(list);
	for (size_t len = 0; len < 3000; len += (len < 1100 ? 1 : 97)) {
		char *t = text_of(len, (unsigned)len);

		ck_assert_int_eq(json_array_append_new(list, json_string(t)), 0);
		snprintf(key, sizeof(key), "k%zu", len);
		ck_assert_int_eq(json_object_set_new(doc, key, json_integer((json_int_t)len)), 0);
		free(t);
	}
	ck_assert_int_eq(json_object_set_new(doc, "list", list), 0);
	dumped = json_dumps(doc, JSON_COMPACT);
	ck_assert_ptr_nonnull(dumped);
	back = json_loads(dumped, 0, NULL);
	ck_assert_ptr_nonnull(back);
	ck_assert(json_equal(doc, back));
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		size_t len = strlen(s);
		char *t = text_of(len, (unsigned)len);

		ck_assert_str_eq(s, t);
		free(t);
	}
	if (installed)
		ck_assert_uint_gt(kd_json_pool_mapped(), 0);
	json_get_alloc_funcs(NULL, &release);
	release(dumped); /* json_dumps() allocates through jansson's functions too */
	json_decref(back);
	json_decref(doc);
}
END_TEST

/* A freed block is handed out again for a request of its size class. */
START_TEST(test_reuse_by_class)
{
	json_malloc_t alloc;
	json_free_t release;
	void *a, *b, *c, *big;

	json_get_alloc_funcs(&alloc, &release);
	a = alloc(40);
	b = alloc(40);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq((uintptr_t)a % 8, 0);
	ck_assert_uint_eq((uintptr_t)b % 8, 0);
	memset(a, 0xa5, 40);
	memset(b, 0x5a, 40);
	release(a);
	c = alloc(33); /* same class as 40 */
	if (installed)
		ck_assert_ptr_eq(c, a);
	memset(c, 0x11, 33);
	ck_assert_int_eq(((unsigned char *)b)[39], 0x5a); /* neighbours untouched */
	big = alloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 0x22, 5000);
	release(big);
	release(b);
	release(c);
	release(NULL);
	c = alloc(0);
	ck_assert_ptr_nonnull(c);
	release(c);
}
END_TEST

/* Many blocks: several chunks are carved, and all of it is given back at release. */
START_TEST(test_many_chunks)
{
	enum { N = 200000 };
	json_t *list = json_array();

	ck_assert_ptr_nonnull(list);
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(json_array_append_new(list, json_integer(i)), 0);
	if (installed)
		ck_assert_uint_gt(kd_json_pool_mapped(), (size_t)2 << 20);
	for (unsigned i = 0; i < N; i += 997)
		ck_assert_int_eq(json_integer_value(json_array_get(list, i)), i);
	json_decref(list);
}
END_TEST

static Suite *
kd_json_pool_suite(void)
{
	Suite *s = suite_create("json-pool");
	TCase *tc = tcase_create("pool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_values_round_trip);
	tcase_add_test(tc, test_reuse_by_class);
	tcase_add_test(tc, test_many_chunks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_json_pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
