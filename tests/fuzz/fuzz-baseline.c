/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: baselines (src/baseline.c), the JSON reports `--baseline` and `diff`
 * read back, which may have been edited or come from another program. Any bytes:
 * they load or fail with an error. Oracle: a report that loads, compared with
 * itself, has nothing new and nothing resolved, and every finding unchanged.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "kdeleg/baseline.h"

#include "testutil.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_baseline *b = NULL;
	json_t *added = NULL, *resolved = NULL;
	struct kd_error err;
	size_t unchanged = 0;

	kd_error_clear(&err);
	if (kd_baseline_parse((const char *)data, size, "fuzz", &b, &err) < 0) {
		if (b || err.code == 0)
			abort();
		return 0;
	}
	if (kd_baseline_diff(b, b, &added, &resolved, &unchanged, &err) == 0) {
		json_t *findings = json_object_get(kd_baseline_document(b), "findings");

		if (json_array_size(added) || json_array_size(resolved) ||
		    unchanged != json_array_size(findings))
			abort();
	} else if (err.code != KD_ERR_NOMEM) {
		abort();
	}
	json_decref(added);
	json_decref(resolved);
	kd_baseline_free(b);
	return 0;
}
