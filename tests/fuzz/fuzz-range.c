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
	size_t n;
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
	{
		struct kd_ldap_range_walk w, before;

		kd_ldap_range_start(&w, 1);
		w.next_lo = d.range_lo;
		if (!d.range_open) {
			size_t count = d.range_hi - d.range_lo + 1;

			before = w;
			TU_CHECK(kd_ldap_range_next(&w, &d, count, &done, NULL) == 0);
			TU_CHECK(!done && w.next_lo == d.range_hi + 1 && w.step == count);
			/* the next chunk may not shrink below this one */
			if (count > 1 && w.next_lo < SIZE_MAX - count) {
				struct kd_ldap_desc smaller = {
					.name_len = d.name_len,
					.ranged = true,
					.range_lo = w.next_lo,
					.range_hi = w.next_lo + count - 2,
				};
				struct kd_ldap_range_walk again = w;

				TU_CHECK(kd_ldap_range_next(&w, &smaller, count - 1, &done, &err) ==
					 KD_ERR_INCOMPLETE);
				TU_CHECK(memcmp(&w, &again, sizeof(w)) == 0);
			}
			w = before;
			done = true;
			TU_CHECK(kd_ldap_range_next(&w, &d, count + 1, &done, &err) ==
				 KD_ERR_INCOMPLETE);
			TU_CHECK(done && memcmp(&w, &before, sizeof(w)) == 0);
			/* with the default minimum, a short closed chunk is refused */
			kd_ldap_range_start(&w, 0);
			w.next_lo = d.range_lo;
			TU_CHECK((kd_ldap_range_next(&w, &d, count, &done, NULL) == 0) ==
				 (count >= KD_LDAP_RANGE_STEP_MIN));
		} else {
			TU_CHECK(kd_ldap_range_next(&w, &d, size, &done, NULL) == 0);
			TU_CHECK(done && w.next_lo == d.range_lo + size);
		}
		if (d.range_lo > 0) {
			kd_ldap_range_start(&w, 1);
			w.next_lo = d.range_lo - 1;
			TU_CHECK(kd_ldap_range_next(&w, &d, 1, &done, NULL) == KD_ERR_INCOMPLETE);
		}
	}
	return 0;
}
