/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the LDIF reader: read every entry, touch every value, compare
 * filters, and compare the reader thread (ldif-pipe) with the reader itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif-pipe.h"
#include "kdeleg/ldif.h"
#include "kdeleg/sha256.h"

#include "testutil.h"

/* Every value byte is read into this, so that ASan sees reads past the end. */
static volatile unsigned sink;

struct outcome {
	int status;
	size_t line;
	size_t entries;
	uint8_t digest[KD_SHA256_SIZE]; /* of every entry as read, and the error */
};

static void
digest_entry(struct kd_sha256 *sha, const struct kd_entry *e)
{
	kd_sha256_update(sha, e->dn, e->dn_len + 1);
	kd_sha256_update(sha, &e->line, sizeof(e->line));
	kd_sha256_update(sha, &e->nattrs, sizeof(e->nattrs));
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct kd_attr *a = &e->attrs[i];

		kd_sha256_update(sha, a->name, strlen(a->name) + 1);
		kd_sha256_update(sha, &a->line, sizeof(a->line));
		kd_sha256_update(sha, &a->nvalues, sizeof(a->nvalues));
		for (size_t j = 0; j < a->nvalues; j++) {
			const struct kd_value *v = &a->values[j];

			for (size_t k = 0; k < v->len; k++)
				sink += (unsigned char)v->data[k];
			if (v->data[v->len] != '\0')
				abort();
			kd_sha256_update(sha, &v->len, sizeof(v->len));
			kd_sha256_update(sha, v->data, v->len);
		}
	}
}

/* Reads all of @data, with the reader or through the reader thread; how it ended. */
static struct outcome
run(const uint8_t *data, size_t size, const char *const *wanted, bool threaded)
{
	struct outcome o = {0, 0, 0, {0}};
	struct kd_ldif *l = NULL;
	struct kd_ldif_pipe *pipe = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	struct kd_sha256 sha;
	FILE *f;

	kd_sha256_init(&sha);
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		abort();
	if ((threaded ? kd_ldif_pipe_open(f, "fuzz", wanted, &pipe, &err)
		      : kd_ldif_open(f, "fuzz", wanted, &l, &err)) < 0)
		abort();
	while ((o.status = threaded ? kd_ldif_pipe_next(pipe, &e, &err)
				    : kd_ldif_next(l, &e, &err)) == 0 &&
	       e) {
		if (e->dn[e->dn_len] != '\0')
			abort();
		digest_entry(&sha, e);
		o.entries++;
	}
	if (o.status < 0) {
		if (err.code != o.status || err.message[0] == '\0' || err.line == 0)
			abort();
		o.line = err.line;
		kd_sha256_update(&sha, err.message, strlen(err.message));
		kd_sha256_update(&sha, err.entry, strlen(err.entry));
		/* the error is sticky */
		if ((threaded ? kd_ldif_pipe_next(pipe, &e, &err) : kd_ldif_next(l, &e, &err)) !=
		    o.status)
			abort();
	}
	kd_sha256_final(&sha, o.digest);
	kd_ldif_free(l);
	kd_ldif_pipe_free(pipe);
	fclose(f);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const wanted[] = {"member", "objectsid", "cn", NULL};
	struct outcome all, some, threaded;

	if (size == 0 || size > 1024 * 1024) /* fmemopen() needs a size; keep runs fast */
		return 0;
	all = run(data, size, NULL, false);
	some = run(data, size, wanted, false);
	/* The reader thread hands over exactly what the reader reads, errors included. */
	threaded = run(data, size, wanted, true);
	if (threaded.status != KD_ERR_NOMEM && some.status != KD_ERR_NOMEM &&
	    (threaded.status != some.status || threaded.line != some.line ||
	     threaded.entries != some.entries ||
	     memcmp(threaded.digest, some.digest, sizeof(some.digest)) != 0))
		abort();
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
