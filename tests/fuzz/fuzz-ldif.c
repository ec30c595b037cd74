/* SPDX-License-Identifier: MIT */
/* Fuzz target for the LDIF reader: read every entry, touch every value, compare filters. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif.h"

#include "testutil.h"

/* Every value byte is read into this, so that ASan sees reads past the end. */
static volatile unsigned sink;

struct outcome {
	int status;
	size_t line;
	size_t entries;
};

/* Reads all of @data; returns how it ended. */
static struct outcome
run(const uint8_t *data, size_t size, const char *const *wanted)
{
	struct outcome o = {0, 0, 0};
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	FILE *f;

	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		abort();
	if (kd_ldif_open(f, "fuzz", wanted, &l, &err) < 0)
		abort();
	while ((o.status = kd_ldif_next(l, &e, &err)) == 0 && e) {
		if (e->dn[e->dn_len] != '\0')
			abort();
		for (size_t i = 0; i < e->nattrs; i++)
			for (size_t j = 0; j < e->attrs[i].nvalues; j++) {
				const struct kd_value *v = &e->attrs[i].values[j];

				for (size_t k = 0; k < v->len; k++)
					sink += (unsigned char)v->data[k];
				if (v->data[v->len] != '\0')
					abort();
			}
		o.entries++;
	}
	if (o.status < 0) {
		if (err.code != o.status || err.message[0] == '\0' || err.line == 0)
			abort();
		o.line = err.line;
		/* the error is sticky */
		if (kd_ldif_next(l, &e, &err) != o.status)
			abort();
	}
	kd_ldif_free(l);
	fclose(f);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const wanted[] = {"member", "objectsid", "cn", NULL};
	struct outcome all, some;

	if (size == 0 || size > 1024 * 1024) /* fmemopen() needs a size; keep runs fast */
		return 0;
	all = run(data, size, NULL);
	some = run(data, size, wanted);
	/*
	 * Dropped attributes are checked like kept ones, so the filter never changes
	 * whether or where a snapshot fails. Out-of-memory aside: the filter changes
	 * how much is stored.
	 */
	if (all.status != KD_ERR_NOMEM && some.status != KD_ERR_NOMEM &&
	    (all.status != some.status || all.line != some.line || all.entries != some.entries))
		abort();
	return 0;
}
