/* SPDX-License-Identifier: MIT */
/* Fuzz target: userAccountControl / small-integer parsing and describe (src/uac.c). */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/uac.h"

#include "testutil.h"

/*
 * Oracle: a value that parses must be the input with its leading zeros
 * removed (and "-0" read as 0), and both parsers must agree.
 */
static void
check_round_trip(const char *text, size_t len, int64_t value, uint32_t flags)
{
	char want[32];
	size_t start = 0, n;
	bool negative = len > 0 && text[0] == '-';

	if ((uint32_t)value != flags)
		abort();
	if (value < -2147483648LL || value > 4294967295LL)
		abort();
	if (negative)
		start = 1;
	while (start + 1 < len && text[start] == '0')
		start++;
	n = (size_t)snprintf(want, sizeof(want), "%" PRId64, value < 0 ? -value : value);
	if (len - start != n || memcmp(text + start, want, n) != 0)
		abort();
	if (negative && value > 0)
		abort();
}

static void
check_describe(uint32_t flags)
{
	static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 17, 18, 40, 100, 451, 452, 453, 512};
	char buf[512 + 8];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len;

		memset(buf, 'Z', sizeof(buf));
		if (kd_uac_describe(flags, buf, sizes[i]) != buf)
			abort();
		if (sizes[i] == 0) {
			if (buf[0] != 'Z')
				abort();
			continue;
		}
		len = strnlen(buf, sizes[i]);
		if (len >= sizes[i] || buf[sizes[i]] != 'Z')
			abort();
		/* 512 bytes hold every description: never truncated there. */
		if (sizes[i] == 512 && len >= 3 && memcmp(buf + len - 3, "...", 3) == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kd_error err;
	uint32_t flags = 0;
	int64_t value = 0;
	int r1, r2;

	kd_error_clear(&err);
	r1 = kd_uac_parse(text, size, &flags, &err);
	if (r1 < 0 && (r1 != KD_ERR_PARSE || err.code != KD_ERR_PARSE || !err.has_offset ||
		       err.offset > size))
		abort();
	kd_error_clear(&err);
	r2 = kd_parse_int32(text, size, &value, &err);
	if (r1 != r2)
		abort();
	if (r1 == 0)
		check_round_trip(text, size, value, flags);

	/* Describe the parsed value, and the first 4 input bytes as raw flags. */
	check_describe(flags);
	if (size >= 4) {
		uint32_t raw;

		memcpy(&raw, data, 4);
		check_describe(raw);
	}
	return 0;
}
