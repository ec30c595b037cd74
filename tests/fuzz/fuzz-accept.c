/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the --accept file parser (src/accept.c). Any bytes: it parses or
 * fails with a line inside the file. Oracle: each entry's fields are what the
 * grammar allows (32 hex digits, a calendar date, one word BY, a non-empty reason
 * without controls), each fingerprint once, and written back as a file they parse
 * again to the same entries.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/strbuf.h"

#include "testutil.h"

static void
check_entry(const struct kd_acceptance *e)
{
	if (strlen(e->fingerprint) != KD_FINGERPRINT_SIZE - 1 ||
	    strspn(e->fingerprint, "0123456789abcdef") != KD_FINGERPRINT_SIZE - 1)
		abort();
	if (e->facts[0] && strspn(e->facts, "0123456789abcdef") != KD_FINGERPRINT_SIZE - 1)
		abort();
	if (strlen(e->expires) != 10 || !e->by[0] || strpbrk(e->by, " \t") || !e->reason[0])
		abort();
	for (const char *p = e->reason; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			abort();
	if (!kd_utf8_valid(e->reason, strlen(e->reason)) || e->line == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_accept *acc = NULL, *again = NULL;
	struct kd_error err;
	struct kd_strbuf sb;
	size_t lines = 1;

	kd_error_clear(&err);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (kd_accept_parse((const char *)data, size, "fuzz", &acc, &err) < 0) {
		if (acc || err.code == 0 || err.line > lines)
			abort();
		return 0;
	}
	kd_strbuf_init(&sb, (size_t)64 << 20);
	for (size_t i = 0; i < kd_accept_count(acc); i++) {
		const struct kd_acceptance *e = kd_accept_entry(acc, i);

		check_entry(e);
		if (e->line > lines)
			abort();
		kd_strbuf_printf(&sb, "%s %s %s %s%s %s\n", e->fingerprint, e->expires, e->by,
				 e->facts[0] ? "facts=" : "", e->facts, e->reason);
	}
	if (kd_accept_parse(sb.data ? sb.data : "", sb.len, "again", &again, &err) < 0 ||
	    kd_accept_count(again) != kd_accept_count(acc))
		abort();
	for (size_t i = 0; i < kd_accept_count(acc); i++) {
		const struct kd_acceptance *a = kd_accept_entry(acc, i), *b = kd_accept_entry(again, i);

		if (strcmp(a->fingerprint, b->fingerprint) || strcmp(a->facts, b->facts) ||
		    strcmp(a->expires, b->expires) || strcmp(a->by, b->by) ||
		    strcmp(a->reason, b->reason))
			abort();
	}
	kd_strbuf_free(&sb);
	kd_accept_free(again);
	kd_accept_free(acc);
	return 0;
}
