/* SPDX-License-Identifier: MIT */
/* Unit tests for the bounded buffer and untrusted-text escaping (src/strbuf.c). */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/strbuf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct kd_strbuf sb;

static void
setup_sb(void)
{
	kd_strbuf_init(&sb, 1000);
}

static void
teardown_sb(void)
{
	kd_strbuf_free(&sb);
}

START_TEST(test_empty)
{
	ck_assert_ptr_null(sb.data);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "");
	kd_strbuf_reset(&sb); /* no data yet: must not crash */
	ck_assert_str_eq(kd_strbuf_str(&sb), "");
	ck_assert_int_eq(kd_strbuf_append(&sb, NULL, 0), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "");
	ck_assert_uint_eq(sb.len, 0);
}
END_TEST

START_TEST(test_append_puts_putc)
{
	ck_assert_int_eq(kd_strbuf_puts(&sb, "abc"), 0);
	ck_assert_int_eq(kd_strbuf_putc(&sb, '-'), 0);
	ck_assert_int_eq(kd_strbuf_append(&sb, "xyz123", 3), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "abc-xyz");
	ck_assert_uint_eq(sb.len, 7);
	/* An embedded NUL is data, counted in len. */
	ck_assert_int_eq(kd_strbuf_putc(&sb, '\0'), 0);
	ck_assert_int_eq(kd_strbuf_putc(&sb, 'q'), 0);
	ck_assert_uint_eq(sb.len, 9);
	ck_assert_int_eq(memcmp(sb.data, "abc-xyz\0q", 10), 0);
}
END_TEST

/* Byte-by-byte growth: the contents stay intact across every realloc. */
START_TEST(test_growth)
{
	for (size_t i = 0; i < 1000; i++) {
		ck_assert_int_eq(kd_strbuf_putc(&sb, (char)('a' + i % 26)), 0);
		ck_assert_uint_ge(sb.cap, sb.len + 1);
		ck_assert_int_eq(sb.data[sb.len], '\0');
	}
	ck_assert_uint_eq(sb.len, 1000);
	ck_assert_uint_le(sb.cap, 1001); /* never more than max + NUL */
	for (size_t i = 0; i < 1000; i++)
		ck_assert_int_eq(sb.data[i], 'a' + i % 26);
}
END_TEST

struct limit_case {
	size_t max;
	size_t first;  /* appended first, must succeed */
	size_t second; /* appended next */
	int ret;
};

static const struct limit_case limit_cases[] = {
	{1000, 1000, 0, 0},
	{1000, 1000, 1, KD_ERR_NOMEM},
	{1000, 999, 1, 0},
	{1000, 999, 2, KD_ERR_NOMEM},
	{1000, 0, 1001, KD_ERR_NOMEM},
	{1000, 500, SIZE_MAX, KD_ERR_NOMEM},  /* len + extra overflow */
	{1000, 500, SIZE_MAX - 400, KD_ERR_NOMEM},
	{0, 0, 1, KD_ERR_NOMEM},
	{0, 0, 0, 0},
	{1, 1, 0, 0},
	{1, 1, 1, KD_ERR_NOMEM},
	{64, 63, 1, 0}, /* the first allocation is 64: exactly max + 1 */
	{65, 64, 1, 0},
};

START_TEST(test_limit)
{
	const struct limit_case *c = &limit_cases[_i];
	static char bytes[2000];
	char *before;

	memset(bytes, 'x', sizeof(bytes));
	kd_strbuf_free(&sb);
	kd_strbuf_init(&sb, c->max);
	ck_assert_int_eq(kd_strbuf_append(&sb, bytes, c->first), 0);
	ck_assert_uint_eq(sb.len, c->first);
	before = sb.data ? strdup(sb.data) : NULL;
	/* A failing append reads nothing, so a huge length with a short buffer is safe. */
	ck_assert_int_eq(kd_strbuf_append(&sb, bytes, c->second), c->ret);
	if (c->ret < 0) {
		ck_assert_uint_eq(sb.len, c->first);
		if (before)
			ck_assert_str_eq(kd_strbuf_str(&sb), before);
	} else {
		ck_assert_uint_eq(sb.len, c->first + c->second);
	}
	ck_assert_uint_le(sb.len, c->max);
	free(before);
}
END_TEST

/*
 * Regression: reserve() once clamped with `cap > sb->max + 1`, which wraps to 0
 * when max == SIZE_MAX ("no limit") and reallocated the buffer to 0 bytes.
 */
START_TEST(test_limit_size_max)
{
	kd_strbuf_free(&sb);
	kd_strbuf_init(&sb, SIZE_MAX);
	ck_assert_int_eq(kd_strbuf_puts(&sb, "unlimited"), 0);
	ck_assert_uint_ge(sb.cap, 10);
	ck_assert_str_eq(kd_strbuf_str(&sb), "unlimited");
}
END_TEST

START_TEST(test_reset)
{
	size_t cap;
	char *data;

	ck_assert_int_eq(kd_strbuf_puts(&sb, "hello"), 0);
	cap = sb.cap;
	data = sb.data;
	kd_strbuf_reset(&sb);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_uint_eq(sb.cap, cap);
	ck_assert_ptr_eq(sb.data, data);
	ck_assert_str_eq(kd_strbuf_str(&sb), "");
	ck_assert_int_eq(kd_strbuf_puts(&sb, "hi"), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "hi");
}
END_TEST

/* _free leaves a reusable, empty buffer with the same maximum. */
START_TEST(test_free_reuse)
{
	ck_assert_int_eq(kd_strbuf_puts(&sb, "hello"), 0);
	kd_strbuf_free(&sb);
	ck_assert_ptr_null(sb.data);
	ck_assert_str_eq(kd_strbuf_str(&sb), "");
	kd_strbuf_free(&sb); /* twice is fine */
	ck_assert_uint_eq(sb.max, 1000);
	ck_assert_int_eq(kd_strbuf_puts(&sb, "again"), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "again");
}
END_TEST

START_TEST(test_printf)
{
	char big[600];

	ck_assert_int_eq(kd_strbuf_printf(&sb, "%s=%u", "count", 42u), 0);
	ck_assert_int_eq(kd_strbuf_printf(&sb, " %zu|%-4s|%x", (size_t)7, "ab", 255u), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "count=42 7|ab  |ff");
	ck_assert_int_eq(kd_strbuf_printf(&sb, "%s", ""), 0);
	ck_assert_uint_eq(sb.len, strlen("count=42 7|ab  |ff"));

	/* Growth inside printf, then the limit: 18 + 600 fits, + 600 again does not. */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(kd_strbuf_printf(&sb, "%s", big), 0);
	ck_assert_uint_eq(sb.len, 18 + 599);
	ck_assert_int_eq(kd_strbuf_printf(&sb, "%s", big), KD_ERR_NOMEM);
	ck_assert_uint_eq(sb.len, 18 + 599);
	ck_assert_int_eq(sb.data[sb.len], '\0');
	ck_assert_int_eq(strncmp(kd_strbuf_str(&sb), "count=42", 8), 0);
}
END_TEST

START_TEST(test_printf_exact_limit)
{
	kd_strbuf_free(&sb);
	kd_strbuf_init(&sb, 5);
	ck_assert_int_eq(kd_strbuf_printf(&sb, "%d", 12345), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), "12345");
	ck_assert_int_eq(kd_strbuf_printf(&sb, "%c", 'x'), KD_ERR_NOMEM);
	ck_assert_str_eq(kd_strbuf_str(&sb), "12345");
}
END_TEST

/* ---- escaping ---- */

struct escape_case {
	const char *in;
	size_t len; /* 0: strlen */
	const char *out;
};

static const struct escape_case escape_cases[] = {
	{"plain text", 0, "plain text"},
	{"CN=web01,OU=Servers,DC=corp", 0, "CN=web01,OU=Servers,DC=corp"},
	{"back\\slash", 0, "back\\\\slash"},
	{"a\nb", 0, "a\\nb"},
	{"a\tb", 0, "a\\tb"},
	{"a\rb", 0, "a\\x0db"},
	{"\x1b[31mred", 0, "\\x1b[31mred"},
	{"nul\0in", 6, "nul\\x00in"},
	{"\x7f", 0, "\\x7f"},
	{"~", 0, "~"},
	{" ", 0, " "},
	/* C1 controls as UTF-8 (U+0080..U+009F): both bytes escaped. */
	{"\xc2\x80", 0, "\\xc2\\x80"},
	{"\xc2\x85", 0, "\\xc2\\x85"},  /* NEL */
	{"\xc2\x9b" "2J", 0, "\\xc2\\x9b2J"},  /* CSI */
	{"\xc2\x9f", 0, "\\xc2\\x9f"},
	/* First non-control after C1 passes. */
	{"\xc2\xa0", 0, "\xc2\xa0"},
	/* Valid multi-byte text passes. */
	{"caf\xc3\xa9", 0, "caf\xc3\xa9"},
	{"\xe2\x82\xac" "5", 0, "\xe2\x82\xac" "5"},           /* EURO SIGN */
	{"\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"},           /* U+1F600 */
	{"\xef\xbf\xbf", 0, "\xef\xbf\xbf"},                   /* U+FFFF */
	{"\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf"},           /* U+10FFFF */
	{"\xdf\xbf", 0, "\xdf\xbf"},                           /* U+07FF */
	{"\xe0\xa0\x80", 0, "\xe0\xa0\x80"},                   /* U+0800 */
	{"\xed\x9f\xbf", 0, "\xed\x9f\xbf"},                   /* U+D7FF */
	{"\xee\x80\x80", 0, "\xee\x80\x80"},                   /* U+E000 */
	{"\xf0\x90\x80\x80", 0, "\xf0\x90\x80\x80"},           /* U+10000 */
	/* Overlong forms. */
	{"\xc0\xaf", 0, "\\xc0\\xaf"},
	{"\xc1\xbf", 0, "\\xc1\\xbf"},
	{"\xc0\x80", 0, "\\xc0\\x80"},
	{"\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf"},
	{"\xe0\x9f\xbf", 0, "\\xe0\\x9f\\xbf"},
	{"\xf0\x80\x80\xaf", 0, "\\xf0\\x80\\x80\\xaf"},
	{"\xf0\x8f\xbf\xbf", 0, "\\xf0\\x8f\\xbf\\xbf"},
	/* Surrogates. */
	{"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},
	{"\xed\xbf\xbf", 0, "\\xed\\xbf\\xbf"},
	{"\xed\xa0\xbd\xed\xb8\x80", 0, "\\xed\\xa0\\xbd\\xed\\xb8\\x80"},  /* CESU-8 */
	/* Above U+10FFFF and never-valid bytes. */
	{"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"},
	{"\xf5\x80\x80\x80", 0, "\\xf5\\x80\\x80\\x80"},
	{"\xf8\x88\x80\x80\x80", 0, "\\xf8\\x88\\x80\\x80\\x80"},
	{"\xfe\xff", 0, "\\xfe\\xff"},
	/* Lone continuation bytes and truncated sequences. */
	{"\x80", 0, "\\x80"},
	{"\xbf" "a", 0, "\\xbfa"},
	{"\xc3", 0, "\\xc3"},
	{"\xe2\x82", 0, "\\xe2\\x82"},
	{"\xe2\x82" "A", 0, "\\xe2\\x82A"},
	{"\xf0\x9f\x98", 0, "\\xf0\\x9f\\x98"},
	{"\xf0\x9f\x98" "\xc3\xa9", 0, "\\xf0\\x9f\\x98\xc3\xa9"},
	/* The length bounds the sequence: a valid character cut by @len is invalid. */
	{"\xc3\xa9", 1, "\\xc3"},
	{"\xe2\x82\xac", 2, "\\xe2\\x82"},
	/* Bidirectional controls reorder what a terminal shows: escaped, neighbours kept. */
	{"adm\xe2\x80\xae" "nimda", 0, "adm\\u202enimda"},
	{"\xe2\x81\xa6x\xe2\x81\xa9", 0, "\\u2066x\\u2069"},
	{"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", 0, "\\u200e\\u200f\\u061c"},
	{"\xe2\x80\xa9\xe2\x80\xaf", 0, "\xe2\x80\xa9\xe2\x80\xaf"}, /* U+2029, U+202F pass */
	{"", 0, ""},
};

START_TEST(test_append_safe)
{
	const struct escape_case *c = &escape_cases[_i];
	size_t len = c->len ? c->len : strlen(c->in);

	ck_assert_int_eq(kd_strbuf_append_safe(&sb, c->in, len), 0);
	ck_assert_str_eq(kd_strbuf_str(&sb), c->out);
	ck_assert_uint_eq(sb.len, strlen(c->out));
}
END_TEST

START_TEST(test_escape_text_cases)
{
	const struct escape_case *c = &escape_cases[_i];
	size_t len = c->len ? c->len : strlen(c->in);
	char buf[128];

	kd_escape_text(buf, sizeof(buf), c->in, len);
	ck_assert_str_eq(buf, c->out);
}
END_TEST

/* Every C0 byte and DEL, alone: \n, \t, or \xNN, never the raw byte. */
START_TEST(test_escape_every_control)
{
	for (unsigned int c = 0; c <= 0x7f; c++) {
		char in = (char)c, want[8], buf[16];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			snprintf(want, sizeof(want), "%c", (int)c);
		else if (c == '\\')
			snprintf(want, sizeof(want), "\\\\");
		else if (c == '\n')
			snprintf(want, sizeof(want), "\\n");
		else if (c == '\t')
			snprintf(want, sizeof(want), "\\t");
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		kd_strbuf_reset(&sb);
		ck_assert_int_eq(kd_strbuf_append_safe(&sb, &in, 1), 0);
		ck_assert_str_eq(kd_strbuf_str(&sb), want);
		kd_escape_text(buf, sizeof(buf), &in, 1);
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

/* Every C1 code point U+0080..U+009F as UTF-8 is escaped byte by byte. */
START_TEST(test_escape_every_c1)
{
	for (unsigned int cp = 0x80; cp <= 0x9f; cp++) {
		char in[2] = {(char)0xc2, (char)cp}, want[16];

		snprintf(want, sizeof(want), "\\xc2\\x%02x", cp);
		kd_strbuf_reset(&sb);
		ck_assert_int_eq(kd_strbuf_append_safe(&sb, in, 2), 0);
		ck_assert_str_eq(kd_strbuf_str(&sb), want);
	}
}
END_TEST

/* Whatever the bytes, the output is printable ASCII or valid UTF-8 with no controls. */
START_TEST(test_escape_output_is_safe)
{
	unsigned char in[3];

	for (unsigned int a = 0; a < 256; a++) {
		for (unsigned int b = 0; b < 256; b += 3) {
			const char *out;

			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			in[2] = 0x80;
			kd_strbuf_reset(&sb);
			ck_assert_int_eq(kd_strbuf_append_safe(&sb, (char *)in, 3), 0);
			out = kd_strbuf_str(&sb);
			ck_assert(kd_utf8_valid(out, sb.len));
			for (size_t i = 0; i < sb.len; i++) {
				unsigned char c = (unsigned char)out[i];

				ck_assert(c >= 0x20 && c != 0x7f);
				if (c == 0xc2 && i + 1 < sb.len)
					ck_assert((unsigned char)out[i + 1] >= 0xa0);
			}
		}
	}
}
END_TEST

/* append_safe respects the buffer maximum. */
START_TEST(test_append_safe_limit)
{
	kd_strbuf_free(&sb);
	kd_strbuf_init(&sb, 7);
	ck_assert_int_eq(kd_strbuf_append_safe(&sb, "ab\x01", 3), 0); /* "ab\x01" = 6 */
	ck_assert_int_eq(kd_strbuf_append_safe(&sb, "\n", 1), KD_ERR_NOMEM);
	ck_assert_uint_le(sb.len, 7);
}
END_TEST

/*
 * Truncation: input tokens and their escapes; every cut must fall on a token
 * boundary and end with "...".
 */
static const struct {
	const char *in;
	size_t in_len;
	const char *out;
} tokens[] = {
	{"ab", 2, "ab"}, {"\x1b", 1, "\\x1b"}, {"\xc3\xa9", 2, "\xc3\xa9"},
	{"\\", 1, "\\\\"}, {"\n", 1, "\\n"}, {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"},
	/* A C1 character or a surrogate is escaped byte by byte: one escape per byte. */
	{"\xc2", 1, "\\xc2"}, {"\x85", 1, "\\x85"}, {"xyz", 3, "xyz"}, {"\xed", 1, "\\xed"},
	{"\xa0", 1, "\\xa0"}, {"\x80", 1, "\\x80"},
	{"\t", 1, "\\t"},
};

static bool
is_boundary(size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return true;
	for (size_t i = 0; i < ARRAY_LEN(tokens); i++) {
		const char *o = tokens[i].out;

		/* Printable runs are one put, but a cut inside them splits no escape. */
		if (strcmp(o, "ab") == 0 || strcmp(o, "xyz") == 0) {
			if (len > pos && len <= pos + strlen(o))
				return true;
		}
		pos += strlen(o);
		if (len == pos)
			return true;
	}
	return false;
}

START_TEST(test_escape_truncation)
{
	char in[64], full[128], buf[128];
	size_t in_len = 0, full_len = 0;

	for (size_t i = 0; i < ARRAY_LEN(tokens); i++) {
		memcpy(in + in_len, tokens[i].in, tokens[i].in_len);
		in_len += tokens[i].in_len;
		memcpy(full + full_len, tokens[i].out, strlen(tokens[i].out));
		full_len += strlen(tokens[i].out);
	}
	full[full_len] = '\0';
	kd_escape_text(buf, sizeof(buf), in, in_len);
	ck_assert_str_eq(buf, full);

	for (size_t size = 1; size <= full_len + 8; size++) {
		size_t out_len;

		memset(buf, 'Z', sizeof(buf));
		kd_escape_text(buf, size, in, in_len);
		out_len = strlen(buf);
		ck_assert_uint_lt(out_len, size);
		for (size_t i = size; i < sizeof(buf); i++)
			ck_assert_int_eq(buf[i], 'Z');
		if (out_len == full_len && strcmp(buf, full) == 0) {
			ck_assert_uint_gt(size, full_len);
			continue;
		}
		/* With room for the text plus "..." it is never cut. */
		ck_assert_uint_le(size, full_len + 3);
		if (size < 4) {
			ck_assert_str_eq(buf, "");
			continue;
		}
		ck_assert_uint_ge(out_len, 3);
		ck_assert_str_eq(buf + out_len - 3, "...");
		ck_assert_int_eq(memcmp(buf, full, out_len - 3), 0);
		ck_assert_msg(is_boundary(out_len - 3), "size %zu cut at %zu: %s", size,
			      out_len - 3, buf);
		/* Truncated output is still safe text. */
		ck_assert(kd_utf8_valid(buf, out_len));
	}
}
END_TEST

START_TEST(test_hex_lower)
{
	static const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff, 0x10};
	char out[2 * sizeof(bytes) + 2];

	memset(out, 'x', sizeof(out));
	kd_hex_lower(out, bytes, sizeof(bytes));
	ck_assert_str_eq(out, "000fa5ff10");
	ck_assert_int_eq(out[sizeof(out) - 1], 'x'); /* nothing past the NUL */
	kd_hex_lower(out, bytes, 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_utc_now)
{
	char day[16], stamp[32], tiny[4] = "xyz";

	kd_utc_now(day, sizeof(day), true);
	kd_utc_now(stamp, sizeof(stamp), false);
	ck_assert_uint_eq(strlen(day), 10);
	ck_assert_uint_eq(strlen(stamp), 20);
	ck_assert(day[4] == '-' && day[7] == '-');
	ck_assert(stamp[10] == 'T' && stamp[19] == 'Z');
	/* too small for the stamp: empty, never a cut-off date */
	kd_utc_now(tiny, sizeof(tiny), true);
	ck_assert_str_eq(tiny, "");
}
END_TEST

START_TEST(test_escape_size_zero)
{
	char buf[4] = "abc";

	kd_escape_text(buf, 0, "x", 1);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

/*
 * Regression: put_fixed() once kept 4 bytes free for "..." even for the last
 * piece and never cut inside a run of printable ASCII, so text that fit exactly
 * was cut ("abc" in 4 bytes gave "...") and a long plain name became "...".
 */
struct exact_case {
	const char *in;
	size_t size;
	const char *out;
};

static const struct exact_case exact_cases[] = {
	{"abc", 4, "abc"},
	{"abcdef", 7, "abcdef"},
	{"abcdef", 8, "abcdef"},
	{"abcdef", 9, "abcdef"},
	{"a\nb", 5, "a\\nb"},
	{"abcdefgh", 8, "abcd..."},
};

START_TEST(test_escape_exact_fit)
{
	const struct exact_case *c = &exact_cases[_i];
	char buf[32];

	kd_escape_text(buf, c->size, c->in, strlen(c->in));
	ck_assert_str_eq(buf, c->out);
}
END_TEST

struct valid_case {
	const char *in;
	size_t len; /* 0: strlen */
	bool valid;
};

static const struct valid_case valid_cases[] = {
	{"", 0, true},
	{"ascii", 0, true},
	{"\x01\x1f\x7f", 0, true},       /* controls are valid UTF-8, only NUL is not */
	{"a\0b", 3, false},
	{"\xc3\xa9", 0, true},
	{"\xc2\x85", 0, true},           /* C1 is valid UTF-8 (escaped, but valid) */
	{"\xe2\x82\xac", 0, true},
	{"\xf0\x9f\x98\x80", 0, true},
	{"\xf4\x8f\xbf\xbf", 0, true},
	{"\xc0\x80", 0, false},
	{"\xc1\xbf", 0, false},
	{"\xe0\x80\x80", 0, false},
	{"\xf0\x80\x80\x80", 0, false},
	{"\xed\xa0\x80", 0, false},
	{"\xed\xbf\xbf", 0, false},
	{"\xf4\x90\x80\x80", 0, false},
	{"\xf5\x80\x80\x80", 0, false},
	{"\xff", 0, false},
	{"\x80", 0, false},
	{"\xc3", 0, false},
	{"\xe2\x82", 0, false},
	{"\xe2\x82\xac", 2, false},
	{"\xc3\x28", 0, false},
	{"ok\xe2\x82\xac" "ok", 0, true},
};

START_TEST(test_utf8_valid)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = c->len ? c->len : strlen(c->in);

	ck_assert_int_eq(kd_utf8_valid(c->in, len), c->valid);
}
END_TEST

static Suite *
kd_strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc;

	tc = tcase_create("buffer");
	tcase_add_checked_fixture(tc, setup_sb, teardown_sb);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_append_puts_putc);
	tcase_add_test(tc, test_growth);
	tcase_add_loop_test(tc, test_limit, 0, ARRAY_LEN(limit_cases));
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_free_reuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("printf");
	tcase_add_checked_fixture(tc, setup_sb, teardown_sb);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_printf_exact_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_checked_fixture(tc, setup_sb, teardown_sb);
	tcase_add_loop_test(tc, test_append_safe, 0, ARRAY_LEN(escape_cases));
	tcase_add_loop_test(tc, test_escape_text_cases, 0, ARRAY_LEN(escape_cases));
	tcase_add_test(tc, test_escape_every_control);
	tcase_add_test(tc, test_escape_every_c1);
	tcase_add_test(tc, test_escape_output_is_safe);
	tcase_add_test(tc, test_append_safe_limit);
	tcase_add_test(tc, test_escape_truncation);
	tcase_add_test(tc, test_escape_size_zero);
	tcase_add_test(tc, test_hex_lower);
	tcase_add_test(tc, test_utc_now);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_utf8_valid, 0, ARRAY_LEN(valid_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_add_checked_fixture(tc, setup_sb, teardown_sb);
	tcase_add_test(tc, test_limit_size_max);
	tcase_add_loop_test(tc, test_escape_exact_fit, 0, ARRAY_LEN(exact_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_strbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
