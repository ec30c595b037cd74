/* SPDX-License-Identifier: MIT */
/* Unit tests for the byte-key hash table (src/hashtab.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/error.h"
#include "kdeleg/hashtab.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct kd_hashtab table;

static void
setup_table(void)
{
	kd_hashtab_init(&table);
}

static void
teardown_table(void)
{
	kd_hashtab_free(&table);
}

START_TEST(test_empty)
{
	uint32_t v = 77;

	ck_assert_uint_eq(table.count, 0);
	ck_assert_uint_eq(table.cap, 0);
	ck_assert(!kd_hashtab_get(&table, "a", 1, &v));
	ck_assert(!kd_hashtab_get(&table, "", 0, &v));
	ck_assert(!kd_hashtab_set(&table, "a", 1, 5));
	ck_assert_uint_eq(v, 77);
	kd_hashtab_free(&table); /* free of an empty table, then reuse */
	ck_assert_int_eq(kd_hashtab_put(&table, "a", 1, 1, NULL), 0);
	ck_assert(kd_hashtab_get(&table, "a", 1, &v));
	ck_assert_uint_eq(v, 1);
}
END_TEST

START_TEST(test_put_get_set)
{
	uint32_t v = 0, existing = 99;

	ck_assert_int_eq(kd_hashtab_put(&table, "alpha", 5, 10, &existing), 0);
	ck_assert_uint_eq(existing, 99); /* untouched on insert */
	ck_assert_int_eq(kd_hashtab_put(&table, "beta", 4, 20, NULL), 0);
	ck_assert_uint_eq(table.count, 2);
	ck_assert(kd_hashtab_get(&table, "alpha", 5, &v));
	ck_assert_uint_eq(v, 10);
	ck_assert(kd_hashtab_get(&table, "beta", 4, NULL)); /* NULL out is allowed */
	ck_assert(!kd_hashtab_get(&table, "gamma", 5, &v));
	ck_assert_uint_eq(v, 10);

	ck_assert(kd_hashtab_set(&table, "alpha", 5, 11));
	ck_assert(kd_hashtab_get(&table, "alpha", 5, &v));
	ck_assert_uint_eq(v, 11);
	ck_assert(!kd_hashtab_set(&table, "gamma", 5, 1));
	ck_assert(!kd_hashtab_get(&table, "gamma", 5, NULL)); /* set never inserts */
	ck_assert_uint_eq(table.count, 2);
}
END_TEST

/* A duplicate put reports the existing value and changes nothing. */
START_TEST(test_duplicate)
{
	/* Different pointers, equal bytes: the same key. */
	char key1[] = "host/web01";
	char key2[] = "host/web01";
	uint32_t v = 0, existing = 0;

	ck_assert_int_eq(kd_hashtab_put(&table, key1, 10, 5, NULL), 0);
	ck_assert_int_eq(kd_hashtab_put(&table, key2, 10, 6, &existing), 1);
	ck_assert_uint_eq(existing, 5);
	ck_assert_int_eq(kd_hashtab_put(&table, key2, 10, 7, NULL), 1); /* NULL existing */
	ck_assert_uint_eq(table.count, 1);
	ck_assert(kd_hashtab_get(&table, key2, 10, &v));
	ck_assert_uint_eq(v, 5);
	/* After a set, the duplicate reports the new value. */
	ck_assert(kd_hashtab_set(&table, key1, 10, UINT32_MAX));
	ck_assert_int_eq(kd_hashtab_put(&table, key1, 10, 0, &existing), 1);
	ck_assert_uint_eq(existing, UINT32_MAX);
}
END_TEST

/* Keys are bytes with a length: prefixes, NULs and zero length are distinct keys. */
static const struct {
	const char *key;
	size_t len;
} prefix_keys[] = {
	{"", 0},  {"a", 1},   {"ab", 2},     {"abc", 3},   {"abcd", 4}, {"abc\0", 4},
	{"abc\0d", 5}, {"b", 1}, {"\0", 1},  {"\0\0", 2},  {"A", 1},    {"aB", 2},
};

START_TEST(test_prefixes)
{
	for (size_t i = 0; i < ARRAY_LEN(prefix_keys); i++)
		ck_assert_int_eq(kd_hashtab_put(&table, prefix_keys[i].key, prefix_keys[i].len,
						(uint32_t)i, NULL),
				 0);
	ck_assert_uint_eq(table.count, ARRAY_LEN(prefix_keys));
	for (size_t i = 0; i < ARRAY_LEN(prefix_keys); i++) {
		uint32_t v = UINT32_MAX;

		ck_assert(kd_hashtab_get(&table, prefix_keys[i].key, prefix_keys[i].len, &v));
		ck_assert_uint_eq(v, i);
	}
	/* Not case-folded: that is the caller's job. */
	ck_assert(!kd_hashtab_get(&table, "ABC", 3, NULL));
	ck_assert(!kd_hashtab_get(&table, "abcde", 5, NULL));
}
END_TEST

START_TEST(test_zero_length_key)
{
	uint32_t v = 0, existing = 0;

	ck_assert(!kd_hashtab_get(&table, "x", 0, NULL));
	ck_assert_int_eq(kd_hashtab_put(&table, "", 0, 42, NULL), 0);
	/* Any pointer with length 0 is the same empty key. */
	ck_assert(kd_hashtab_get(&table, "whatever", 0, &v));
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(kd_hashtab_put(&table, "other", 0, 1, &existing), 1);
	ck_assert_uint_eq(existing, 42);
	ck_assert(kd_hashtab_set(&table, "", 0, 43));
	ck_assert(kd_hashtab_get(&table, "", 0, &v));
	ck_assert_uint_eq(v, 43);
	ck_assert_uint_eq(table.count, 1);
}
END_TEST

/* Growth through 100k keys: every key found with its value, absent keys not. */
enum { MANY = 100000 };
static char (*many_keys)[16];

static void
setup_many(void)
{
	kd_hashtab_init(&table);
	many_keys = calloc(MANY, sizeof(*many_keys));
	ck_assert_ptr_nonnull(many_keys);
	for (unsigned int i = 0; i < MANY; i++)
		snprintf(many_keys[i], sizeof(many_keys[i]), "key-%u", i);
}

static void
teardown_many(void)
{
	kd_hashtab_free(&table);
	free(many_keys);
	many_keys = NULL;
}

START_TEST(test_many)
{
	char absent[16];

	for (unsigned int i = 0; i < MANY; i++) {
		ck_assert_int_eq(kd_hashtab_put(&table, many_keys[i], strlen(many_keys[i]),
						i * 3u, NULL),
				 0);
		ck_assert_uint_eq(table.count, i + 1);
		ck_assert_uint_le(table.count * 4, table.cap * 3); /* load factor <= 3/4 */
	}
	ck_assert_uint_eq(table.cap & (table.cap - 1), 0); /* power of two */
	for (unsigned int i = 0; i < MANY; i++) {
		uint32_t v = 0;

		ck_assert(kd_hashtab_get(&table, many_keys[i], strlen(many_keys[i]), &v));
		ck_assert_uint_eq(v, i * 3u);
	}
	for (unsigned int i = MANY; i < MANY + 1000; i++) {
		snprintf(absent, sizeof(absent), "key-%u", i);
		ck_assert(!kd_hashtab_get(&table, absent, strlen(absent), NULL));
	}
	/* Duplicates after growth still report their values. */
	for (unsigned int i = 0; i < MANY; i += 997) {
		uint32_t existing = 0;

		ck_assert_int_eq(kd_hashtab_put(&table, many_keys[i], strlen(many_keys[i]), 0,
						&existing),
				 1);
		ck_assert_uint_eq(existing, i * 3u);
	}
	ck_assert_uint_eq(table.count, MANY);
}
END_TEST

/*
 * Bulk put/get. Keys 0..MANY-1 are many_keys, every 7th skipped (NULL), and from
 * MANY on the same keys again (duplicates) or, for gets, absent ones. @each
 * records what it is told, so order and values can be checked against the
 * one-at-a-time calls.
 */
struct bulk_log {
	size_t calls;
	size_t last_i;
	size_t found;
	size_t stop_at; /* stop with -42 at this key, SIZE_MAX never */
	bool in_order;
	bool values_ok;
	char absent[32];
};

static bool
bulk_skipped(size_t i)
{
	return (i < 2 * MANY ? i % MANY : i) % 7 == 3;
}

/* How many of keys 0..n-1 are not skipped. */
static size_t
bulk_kept(size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		kept += !bulk_skipped(i);
	return kept;
}

static const void *
bulk_key_at(void *ctx, size_t i, size_t *ret_len)
{
	struct bulk_log *log = ctx;
	const char *key;

	if (bulk_skipped(i))
		return NULL;
	if (i < MANY) {
		key = many_keys[i];
	} else if (i < 2 * MANY) {
		key = many_keys[i - MANY];
	} else {
		snprintf(log->absent, sizeof(log->absent), "absent-%zu", i);
		key = log->absent;
	}
	*ret_len = strlen(key);
	return key;
}

static int
bulk_each(void *ctx, size_t i, bool found, uint32_t value)
{
	struct bulk_log *log = ctx;

	if (log->calls && i <= log->last_i)
		log->in_order = false;
	if (bulk_skipped(i))
		log->in_order = false; /* a skipped key was reported */
	log->calls++;
	log->last_i = i;
	if (found) {
		log->found++;
		/* a duplicate (or a get) reports the index its key was first put at */
		if (value != (i < MANY ? i : i < 2 * MANY ? i - MANY : UINT32_MAX))
			log->values_ok = false;
	}
	return i == log->stop_at ? -42 : 0;
}

static struct bulk_log
bulk_log_new(size_t stop_at)
{
	struct bulk_log log = {.stop_at = stop_at, .in_order = true, .values_ok = true};

	return log;
}

START_TEST(test_bulk_put_get)
{
	size_t kept = bulk_kept(MANY);
	struct bulk_log log = bulk_log_new(SIZE_MAX);

	/* Into an empty table: it sizes itself; every kept key inserted, none found. */
	ck_assert_int_eq(kd_hashtab_put_all(&table, MANY, bulk_key_at, bulk_each, &log), 0);
	ck_assert_uint_eq(log.calls, kept);
	ck_assert_uint_eq(log.found, 0);
	ck_assert(log.in_order);
	ck_assert_uint_eq(table.count, kept);
	for (unsigned int i = 0; i < MANY; i++) {
		uint32_t v = UINT32_MAX;

		ck_assert_int_eq(kd_hashtab_get(&table, many_keys[i], strlen(many_keys[i]), &v),
				 !bulk_skipped(i));
		if (!bulk_skipped(i))
			ck_assert_uint_eq(v, i);
	}
	/* The kept keys twice more: each reports the index it was first put at. */
	log = bulk_log_new(SIZE_MAX);
	ck_assert_int_eq(kd_hashtab_put_all(&table, 2 * MANY, bulk_key_at, bulk_each, &log), 0);
	ck_assert(log.in_order);
	ck_assert(log.values_ok);
	ck_assert_uint_eq(table.count, kept);
	ck_assert_uint_eq(log.found, 2 * kept); /* both rounds of keys were there */

	/* Gets: present keys with their values, absent ones (from 2 * MANY) not found. */
	log = bulk_log_new(SIZE_MAX);
	ck_assert_int_eq(kd_hashtab_get_all(&table, 3 * MANY, bulk_key_at, bulk_each, &log), 0);
	ck_assert(log.in_order);
	ck_assert(log.values_ok);
	ck_assert_uint_eq(log.found, 2 * kept);
	ck_assert_uint_eq(log.calls, bulk_kept(3 * MANY));
}
END_TEST

/* A negative return from @each stops the loop there and is passed on. */
START_TEST(test_bulk_stop)
{
	struct bulk_log log = bulk_log_new(1000);

	ck_assert_int_eq(kd_hashtab_put_all(&table, MANY, bulk_key_at, bulk_each, &log), -42);
	ck_assert_uint_eq(log.last_i, 1000);
	ck_assert_uint_eq(table.count, bulk_kept(1001)); /* nothing past the stop */
	log = bulk_log_new(5);
	ck_assert_int_eq(kd_hashtab_get_all(&table, MANY, bulk_key_at, bulk_each, &log), -42);
	ck_assert_uint_eq(log.last_i, 5);
	ck_assert_uint_eq(log.found, 5);
}
END_TEST

/* Gets on a table that never held a key still report every key, as absent. */
START_TEST(test_bulk_get_empty)
{
	struct bulk_log log = bulk_log_new(SIZE_MAX);

	ck_assert_int_eq(kd_hashtab_get_all(&table, 100, bulk_key_at, bulk_each, &log), 0);
	ck_assert_uint_eq(log.calls, bulk_kept(100));
	ck_assert_uint_eq(log.found, 0);
	ck_assert(log.in_order);
	ck_assert_uint_eq(table.cap, 0);
	log = bulk_log_new(0);
	ck_assert_int_eq(kd_hashtab_get_all(&table, 100, bulk_key_at, bulk_each, &log), -42);
	ck_assert_uint_eq(log.calls, 1);
	/* counts of 0 and below the prefetch distance */
	for (size_t n = 0; n < 20; n++) {
		log = bulk_log_new(SIZE_MAX);
		ck_assert_int_eq(kd_hashtab_put_all(&table, n, bulk_key_at, bulk_each, &log), 0);
		ck_assert_uint_eq(log.calls, bulk_kept(n));
	}
}
END_TEST

/* Keys sharing long prefixes and differing only at the end (SPN-like). */
START_TEST(test_many_long_prefix)
{
	static char keys[5000][48];

	for (unsigned int i = 0; i < ARRAY_LEN(keys); i++) {
		snprintf(keys[i], sizeof(keys[i]), "mssqlsvc/sql01.corp.example:%u", i + 1);
		ck_assert_int_eq(kd_hashtab_put(&table, keys[i], strlen(keys[i]), i, NULL), 0);
	}
	for (unsigned int i = 0; i < ARRAY_LEN(keys); i++) {
		uint32_t v = UINT32_MAX;

		ck_assert(kd_hashtab_get(&table, keys[i], strlen(keys[i]), &v));
		ck_assert_uint_eq(v, i);
	}
}
END_TEST

/* kd_hashtab_init_fold: ASCII case-insensitive keys (DNs), non-ASCII bytes exact. */
struct fold_case {
	const char *put;
	const char *get;
	bool found;
};

static const struct fold_case fold_cases[] = {
	{"CN=Web01,DC=corp", "cn=web01,dc=corp", true},
	{"cn=web01,dc=corp", "CN=WEB01,DC=CORP", true},
	{"host/web01", "HOST/WEB01", true},
	{"abc", "abcd", false},
	{"abc", "ab", false},
	{"a[b", "a{b", false},               /* '[' / '{' differ by 0x20 but are not letters */
	{"a@b", "a`b", false},
	{"caf\xc3\xa9", "CAF\xc3\xa9", true},   /* ASCII part folds */
	{"\xc3\xa9", "\xc3\x89", false},        /* U+00E9 vs U+00C9: not folded */
	{"", "", true},
};

START_TEST(test_fold)
{
	const struct fold_case *c = &fold_cases[_i];
	uint32_t v = 0, existing = 0;

	kd_hashtab_free(&table);
	kd_hashtab_init_fold(&table);
	ck_assert_int_eq(kd_hashtab_put(&table, c->put, strlen(c->put), 7, NULL), 0);
	ck_assert_int_eq(kd_hashtab_get(&table, c->get, strlen(c->get), &v), c->found);
	if (c->found) {
		ck_assert_uint_eq(v, 7);
		ck_assert_int_eq(kd_hashtab_put(&table, c->get, strlen(c->get), 8, &existing), 1);
		ck_assert_uint_eq(existing, 7);
		ck_assert(kd_hashtab_set(&table, c->get, strlen(c->get), 9));
		ck_assert(kd_hashtab_get(&table, c->put, strlen(c->put), &v));
		ck_assert_uint_eq(v, 9);
	}
}
END_TEST

/* A plain table stays case-sensitive, and free keeps the fold mode for reuse. */
START_TEST(test_fold_mode)
{
	ck_assert_int_eq(kd_hashtab_put(&table, "ABC", 3, 1, NULL), 0);
	ck_assert(!kd_hashtab_get(&table, "abc", 3, NULL));
	kd_hashtab_free(&table);
	kd_hashtab_init_fold(&table);
	ck_assert_int_eq(kd_hashtab_put(&table, "ABC", 3, 1, NULL), 0);
	kd_hashtab_free(&table);
	ck_assert_int_eq(kd_hashtab_put(&table, "ABC", 3, 2, NULL), 0);
	ck_assert(kd_hashtab_get(&table, "abc", 3, NULL));
}
END_TEST

/* Growth in fold mode: 20k mixed-case keys found under their lower-case form. */
START_TEST(test_fold_many)
{
	static char keys[20000][24], lower[24];

	kd_hashtab_free(&table);
	kd_hashtab_init_fold(&table);
	for (unsigned int i = 0; i < ARRAY_LEN(keys); i++) {
		snprintf(keys[i], sizeof(keys[i]), "CN=Host%u,DC=Corp", i);
		ck_assert_int_eq(kd_hashtab_put(&table, keys[i], strlen(keys[i]), i, NULL), 0);
	}
	for (unsigned int i = 0; i < ARRAY_LEN(keys); i++) {
		uint32_t v = UINT32_MAX;

		snprintf(lower, sizeof(lower), "cn=host%u,dc=corp", i);
		ck_assert(kd_hashtab_get(&table, lower, strlen(lower), &v));
		ck_assert_uint_eq(v, i);
	}
}
END_TEST

static Suite *
kd_hashtab_suite(void)
{
	Suite *s = suite_create("hashtab");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_checked_fixture(tc, setup_table, teardown_table);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_put_get_set);
	tcase_add_test(tc, test_duplicate);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup_table, teardown_table);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_zero_length_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("fold");
	tcase_add_checked_fixture(tc, setup_table, teardown_table);
	tcase_add_loop_test(tc, test_fold, 0, ARRAY_LEN(fold_cases));
	tcase_add_test(tc, test_fold_mode);
	tcase_add_test(tc, test_fold_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("growth");
	tcase_add_checked_fixture(tc, setup_many, teardown_many);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_many_long_prefix);
	tcase_add_test(tc, test_bulk_put_get);
	tcase_add_test(tc, test_bulk_stop);
	tcase_add_test(tc, test_bulk_get_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_hashtab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
