/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the LDIF writer as the reader's inverse. Entries the reader accepts are
 * written and read back unchanged; and the raw input as one value round-trips too.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif-write.h"
#include "kdeleg/ldif.h"

#include "testutil.h"

/* Writes @e, reads it back, and checks every byte. */
static void
round_trip(const struct kd_entry *e)
{
	struct kd_ldif *l = NULL;
	const struct kd_entry *got = NULL;
	struct kd_error err;
	char *buf = NULL;
	size_t len = 0, g = 0;
	FILE *out = open_memstream(&buf, &len), *in;
	int r;

	TU_CHECK(out);
	r = kd_ldif_write_entry(out, e, &err);
	TU_CHECK(fclose(out) == 0);
	/* whatever the reader hands out, the writer can write (its DNs are UTF-8) */
	TU_CHECK(r == 0);
	in = fmemopen(buf, len, "r");
	TU_CHECK(in);
	TU_CHECK(kd_ldif_open(in, "rt", NULL, &l, &err) == 0);
	TU_CHECK(kd_ldif_next(l, &got, &err) == 0 && got);
	TU_CHECK(got->dn_len == e->dn_len && memcmp(got->dn, e->dn, e->dn_len) == 0);
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct kd_attr *a = &e->attrs[i];

		if (a->nvalues == 0)
			continue;
		TU_CHECK(g < got->nattrs);
		TU_CHECK(strcmp(got->attrs[g].name, a->name) == 0);
		TU_CHECK(got->attrs[g].nvalues == a->nvalues);
		for (size_t j = 0; j < a->nvalues; j++) {
			const struct kd_value *v = &got->attrs[g].values[j];

			TU_CHECK(v->len == a->values[j].len);
			TU_CHECK(memcmp(v->data, a->values[j].data, v->len) == 0);
		}
		g++;
	}
	TU_CHECK(g == got->nattrs);
	TU_CHECK(kd_ldif_next(l, &got, &err) == 0 && !got);
	kd_ldif_free(l);
	fclose(in);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_value v = {(const char *)data, size};
	struct kd_attr a = {.name = "x", .nvalues = 1, .values = &v};
	struct kd_entry one = {.dn = "CN=x", .dn_len = 4, .nattrs = 1, .attrs = &a};
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	FILE *f;

	/* 1. the input as one value (the reader's plain path agrees with safe_string) */
	round_trip(&one);

	/* 2. the input as a snapshot: whatever the reader accepts, the writer reproduces */
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	TU_CHECK(kd_ldif_open(f, "fuzz", NULL, &l, &err) == 0);
	while (kd_ldif_next(l, &e, &err) == 0 && e)
		round_trip(e);
	kd_ldif_free(l);
	fclose(f);
	return 0;
}
