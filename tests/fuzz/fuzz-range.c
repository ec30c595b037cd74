/* SPDX-License-Identifier: MIT */
/* Fuzz target: attribute descriptions off the wire and ranged retrieval (src/ldapsrc.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldapsrc.h"

#include "testutil.h"

static bool
keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kd_ldap_desc d, back;
	struct kd_error err;
	char buf[2048];
	size_t n, next = 0;
	bool done = false;
	int r;

	kd_error_clear(&err);
	r = kd_ldap_parse_desc(text, size, &d, &err);
	if (r < 0) {
		TU_CHECK(r == KD_ERR_PARSE && err.code == KD_ERR_PARSE && err.has_offset);
		/* the end itself for an empty option at the end ("member;") */
		TU_CHECK(err.offset <= size);
		return 0;
	}
	/* the base name is a non-empty run of name characters, then ';' or the end */
	TU_CHECK(d.name_len > 0 && d.name_len <= size);
	for (size_t i = 0; i < d.name_len; i++)
		TU_CHECK(keychar(text[i]));
	TU_CHECK(d.name_len == size || text[d.name_len] == ';');
	if (!d.ranged)
		return 0;
	TU_CHECK(d.range_open || (d.range_hi >= d.range_lo && d.range_hi < SIZE_MAX));

	/* round trip: the request for this chunk parses back to it */
	{
		size_t span = d.range_open ? 0 : d.range_hi - d.range_lo + 1;
		uint32_t step = span > 0 && span <= UINT32_MAX ? (uint32_t)span : 0;

		n = kd_ldap_range_request(buf, sizeof(buf), text, d.name_len, d.range_lo, step);
		if (n > 0) {
			TU_CHECK(n == strlen(buf));
			TU_CHECK(kd_ldap_parse_desc(buf, n, &back, NULL) == 0);
			TU_CHECK(back.ranged && back.name_len == d.name_len);
			TU_CHECK(back.range_lo == d.range_lo);
			if (step)
				TU_CHECK(!back.range_open && back.range_hi == d.range_hi);
			else
				TU_CHECK(back.range_open);
		} else {
			TU_CHECK(d.name_len > 1024);
		}
	}

	/* chunk checks: the right count goes on, others fail without touching outputs */
	if (!d.range_open) {
		size_t count = d.range_hi - d.range_lo + 1;

		TU_CHECK(kd_ldap_range_next(&d, count, d.range_lo, &done, &next, NULL) == 0);
		TU_CHECK(!done && next == d.range_hi + 1);
		done = true;
		next = 7;
		TU_CHECK(kd_ldap_range_next(&d, count + 1, d.range_lo, &done, &next, &err) ==
			 KD_ERR_INCOMPLETE);
		TU_CHECK(done && next == 7);
	} else {
		TU_CHECK(kd_ldap_range_next(&d, size, d.range_lo, &done, &next, NULL) == 0);
		TU_CHECK(done);
	}
	if (d.range_lo > 0)
		TU_CHECK(kd_ldap_range_next(&d, 1, d.range_lo - 1, &done, &next, NULL) ==
			 KD_ERR_INCOMPLETE);
	return 0;
}
