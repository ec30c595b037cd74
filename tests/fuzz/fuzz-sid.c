/* SPDX-License-Identifier: MIT */
/* Fuzz target: binary and text SIDs, with round-trip oracles (Samba fuzz_sddl_parse style). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/sid.h"

#include "testutil.h"

/* Text → SID → text → SID must be stable, and the printed form must parse. */
static void
check_text_round_trip(const struct kd_sid *sid)
{
	char text[KD_SID_STRING_MAX], again_text[KD_SID_STRING_MAX];
	struct kd_sid again;

	kd_sid_to_string(sid, text, sizeof(text));
	TU_CHECK(strlen(text) < KD_SID_STRING_MAX - 1);
	TU_CHECK(kd_sid_from_string(text, &again, NULL) == 0);
	TU_CHECK(kd_sid_equal(sid, &again));
	TU_CHECK(memcmp(sid, &again, sizeof(again)) == 0);
	kd_sid_to_string(&again, again_text, sizeof(again_text));
	TU_CHECK(strcmp(text, again_text) == 0);
}

static void
check_helpers(const struct kd_sid *sid)
{
	struct kd_sid child;

	(void)kd_sid_wellknown_name(sid);
	(void)kd_sid_domain_rid_name(kd_sid_rid(sid));
	if (kd_sid_compose(sid, 0xdeadbeef, &child)) {
		TU_CHECK(kd_sid_in_domain(&child, sid));
		TU_CHECK(kd_sid_rid(&child) == 0xdeadbeef);
	} else {
		TU_CHECK(sid->count == KD_SID_MAX_SUBAUTH);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_sid sid;
	struct kd_reader r;
	struct kd_error err;
	char *text;

	/* 1. Exactly one binary SID: re-encoding gives the same bytes. */
	kd_error_clear(&err);
	if (kd_sid_from_binary(data, size, &sid, &err) == 0) {
		uint8_t out[8 + 4 * KD_SID_MAX_SUBAUTH];

		TU_CHECK(kd_sid_binary_size(&sid) == size);
		TU_CHECK(kd_sid_to_binary(&sid, out, sizeof(out)) == size);
		TU_CHECK(memcmp(out, data, size) == 0);
		check_text_round_trip(&sid);
		check_helpers(&sid);
	} else {
		TU_CHECK(err.code == KD_ERR_PARSE && err.has_offset && err.offset <= size);
	}

	/* 2. SIDs back to back, as inside a descriptor: the cursor only moves forward. */
	kd_reader_init(&r, data, size);
	for (;;) {
		size_t before = r.pos;

		if (kd_sid_read(&r, &sid, NULL) < 0) {
			TU_CHECK(r.failed && r.fail_offset <= size);
			break;
		}
		TU_CHECK(r.pos == before + kd_sid_binary_size(&sid));
		if (r.pos == size)
			break;
	}

	/* 3. The input as a NUL-terminated string (stops at an embedded NUL). */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	kd_error_clear(&err);
	if (kd_sid_from_string(text, &sid, &err) == 0) {
		uint8_t out[8 + 4 * KD_SID_MAX_SUBAUTH];
		struct kd_sid back;
		size_t n = kd_sid_to_binary(&sid, out, sizeof(out));

		TU_CHECK(n == kd_sid_binary_size(&sid));
		TU_CHECK(kd_sid_from_binary(out, n, &back, NULL) == 0);
		TU_CHECK(memcmp(&sid, &back, sizeof(back)) == 0);
		check_text_round_trip(&sid);
		check_helpers(&sid);
	} else {
		TU_CHECK(err.code == KD_ERR_PARSE && err.has_offset && err.offset <= strlen(text));
	}
	free(text);
	return 0;
}
