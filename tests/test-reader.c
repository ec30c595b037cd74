/* SPDX-License-Identifier: MIT */
/* Unit tests for the bounds-checked reader: values, sticky failure, seek and sub-readers. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/reader.h"

static const uint8_t sample[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

START_TEST(test_values_little_endian)
{
	struct kd_reader r;

	kd_reader_init(&r, sample, sizeof(sample));
	ck_assert_uint_eq(kd_reader_u8(&r), 0x01);
	ck_assert_uint_eq(kd_reader_u16le(&r), 0x0302);
	ck_assert_uint_eq(kd_reader_u32le(&r), 0x07060504u);
	/* The SID authority is the one big-endian field. */
	ck_assert_uint_eq(kd_reader_u48be(&r), 0x08090a0b0c0dull);
	ck_assert_uint_eq(r.pos, 13);
	ck_assert_uint_eq(kd_reader_remaining(&r), 3);
	ck_assert(!r.failed);
}
END_TEST

START_TEST(test_values_high_bits)
{
	static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct kd_reader r;

	/* No sign extension anywhere. */
	kd_reader_init(&r, ff, sizeof(ff));
	ck_assert_uint_eq(kd_reader_u16le(&r), 0xffffu);
	kd_reader_init(&r, ff, sizeof(ff));
	ck_assert_uint_eq(kd_reader_u32le(&r), 0xffffffffu);
	kd_reader_init(&r, ff, sizeof(ff));
	ck_assert_uint_eq(kd_reader_u48be(&r), 0xffffffffffffull);
}
END_TEST

START_TEST(test_bytes_and_take)
{
	struct kd_reader r;
	uint8_t out[4];
	const uint8_t *p;

	kd_reader_init(&r, sample, sizeof(sample));
	kd_reader_bytes(&r, out, sizeof(out));
	ck_assert_mem_eq(out, sample, 4);
	p = kd_reader_take(&r, 2);
	ck_assert_ptr_eq(p, sample + 4);
	ck_assert_uint_eq(r.pos, 6);
	/* Zero-length reads succeed even at the end. */
	kd_reader_init(&r, sample, 0);
	ck_assert_ptr_nonnull(kd_reader_take(&r, 0));
	ck_assert(!r.failed);
}
END_TEST

/* Each read type, starting at @pos in a 16-byte buffer, one byte too short. */
static const struct short_read_case {
	const char *name;
	size_t start;
	int kind; /* 1 u8, 2 u16, 4 u32, 6 u48, 8 bytes(8), 9 take(8) */
} short_reads[] = {
    {"u8 at end", 16, 1}, {"u16 at 15", 15, 2}, {"u32 at 13", 13, 4}, {"u48 at 11", 11, 6},
    {"bytes at 9", 9, 8}, {"take at 9", 9, 9},  {"u32 at 16", 16, 4},
};

START_TEST(test_short_read_fails_sticky)
{
	const struct short_read_case *c = &short_reads[_i];
	struct kd_reader r;
	uint8_t out[8];
	uint64_t v = 1;

	kd_reader_init(&r, sample, sizeof(sample));
	ck_assert(kd_reader_seek(&r, c->start, 0));
	memset(out, 0xaa, sizeof(out));
	switch (c->kind) {
	case 1:
		v = kd_reader_u8(&r);
		break;
	case 2:
		v = kd_reader_u16le(&r);
		break;
	case 4:
		v = kd_reader_u32le(&r);
		break;
	case 6:
		v = kd_reader_u48be(&r);
		break;
	case 8:
		kd_reader_bytes(&r, out, 8);
		v = 0;
		for (size_t i = 0; i < 8; i++)
			v |= out[i]; /* zero-filled on failure */
		break;
	case 9:
		v = kd_reader_take(&r, 8) != NULL;
		break;
	}
	ck_assert_msg(v == 0, "%s: value %llu", c->name, (unsigned long long)v);
	ck_assert(r.failed);
	ck_assert_uint_eq(r.fail_offset, c->start);
	ck_assert_ptr_nonnull(r.fail_reason);
	ck_assert_uint_eq(r.pos, c->start); /* a failed read does not move */
	ck_assert_uint_eq(kd_reader_remaining(&r), 0);

	/* Sticky: later reads return zero and keep the first offset, even ones that would fit. */
	ck_assert(kd_reader_seek(&r, 0, 1) == false);
	ck_assert_uint_eq(kd_reader_u8(&r), 0);
	ck_assert_uint_eq(r.fail_offset, c->start);
}
END_TEST

START_TEST(test_null_data)
{
	struct kd_reader r;

	kd_reader_init(&r, NULL, 100);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(kd_reader_u8(&r), 0);
	ck_assert(r.failed);
}
END_TEST

START_TEST(test_fail_keeps_first)
{
	struct kd_reader r;

	kd_reader_init(&r, sample, sizeof(sample));
	kd_reader_u32le(&r);
	kd_reader_fail(&r, "first");
	ck_assert_uint_eq(r.fail_offset, 4);
	ck_assert_str_eq(r.fail_reason, "first");
	kd_reader_fail(&r, "second");
	ck_assert_str_eq(r.fail_reason, "first");
}
END_TEST

/* Seek: offset and need checked without overflow (offsets come from the data). */
static const struct seek_case {
	size_t offset;
	size_t need;
	bool ok;
} seeks[] = {
    {0, 0, true},
    {0, 16, true},
    {16, 0, true}, /* just past the end with nothing needed */
    {15, 1, true},
    {15, 2, false},
    {16, 1, false},
    {17, 0, false},
    {0xFFFFFFF0u, 0x20, false}, /* an SD offset near 2^32 */
    {SIZE_MAX, 1, false},       /* offset + need wraps to 0 */
    {1, SIZE_MAX, false},
    {SIZE_MAX, SIZE_MAX, false},
};

START_TEST(test_seek)
{
	const struct seek_case *c = &seeks[_i];
	struct kd_reader r;
	bool ok;

	kd_reader_init(&r, sample, sizeof(sample));
	kd_reader_u8(&r);
	ok = kd_reader_seek(&r, c->offset, c->need);
	ck_assert_msg(ok == c->ok, "seek(%zu, %zu)", c->offset, c->need);
	if (ok) {
		ck_assert_uint_eq(r.pos, c->offset);
		ck_assert(!r.failed);
	} else {
		ck_assert(r.failed);
		/* The failure names the offset that was asked for, not the cursor. */
		ck_assert_uint_eq(r.fail_offset, c->offset);
		ck_assert_uint_eq(r.pos, 1);
	}
}
END_TEST

START_TEST(test_sub_reader)
{
	struct kd_reader r, sub;
	uint8_t b;

	kd_reader_init(&r, sample, sizeof(sample));
	kd_reader_u32le(&r);
	ck_assert(kd_reader_sub(&r, 4, &sub));
	ck_assert_uint_eq(r.pos, 8); /* skipped in the parent */
	/* Absolute offsets are kept. */
	ck_assert_uint_eq(sub.pos, 4);
	ck_assert_uint_eq(kd_reader_remaining(&sub), 4);
	ck_assert_uint_eq(kd_reader_u32le(&sub), 0x08070605u);
	/* The slice ends where it says, even though the parent has more. */
	b = kd_reader_u8(&sub);
	ck_assert_uint_eq(b, 0);
	ck_assert(sub.failed);
	ck_assert_uint_eq(sub.fail_offset, 8);
	ck_assert(!r.failed);
	/* Seeking inside the sub-reader is bounded by the slice too. */
	kd_reader_init(&r, sample, sizeof(sample));
	ck_assert(kd_reader_sub(&r, 8, &sub));
	ck_assert(kd_reader_seek(&sub, 4, 4));
	ck_assert(!kd_reader_seek(&sub, 4, 5));
}
END_TEST

START_TEST(test_sub_reader_too_long)
{
	struct kd_reader r, sub;

	kd_reader_init(&r, sample, sizeof(sample));
	kd_reader_u8(&r);
	ck_assert(!kd_reader_sub(&r, 16, &sub));
	ck_assert(r.failed);
	ck_assert_uint_eq(r.fail_offset, 1);
	ck_assert(sub.failed);
	ck_assert_uint_eq(sub.fail_offset, 1);
	ck_assert_uint_eq(kd_reader_remaining(&sub), 0);
	ck_assert_uint_eq(kd_reader_u8(&sub), 0);
	ck_assert(!kd_reader_sub(&r, SIZE_MAX, &sub));
}
END_TEST

/* Every prefix of the buffer: reading 16 bytes one at a time fails exactly at the cut. */
START_TEST(test_every_cut)
{
	struct kd_reader r;
	size_t cut = (size_t)_i;

	kd_reader_init(&r, sample, cut);
	for (size_t i = 0; i < sizeof(sample); i++)
		kd_reader_u8(&r);
	ck_assert(r.failed);
	ck_assert_uint_eq(r.fail_offset, cut);
}
END_TEST

static Suite *
kd_reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc;

	tc = tcase_create("values");
	tcase_add_test(tc, test_values_little_endian);
	tcase_add_test(tc, test_values_high_bits);
	tcase_add_test(tc, test_bytes_and_take);
	suite_add_tcase(s, tc);

	tc = tcase_create("failure");
	tcase_add_loop_test(tc, test_short_read_fails_sticky, 0,
	                    sizeof(short_reads) / sizeof(short_reads[0]));
	tcase_add_test(tc, test_null_data);
	tcase_add_test(tc, test_fail_keeps_first);
	tcase_add_loop_test(tc, test_every_cut, 0, sizeof(sample));
	suite_add_tcase(s, tc);

	tc = tcase_create("seek");
	tcase_add_loop_test(tc, test_seek, 0, sizeof(seeks) / sizeof(seeks[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("sub");
	tcase_add_test(tc, test_sub_reader);
	tcase_add_test(tc, test_sub_reader_too_long);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_reader_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
