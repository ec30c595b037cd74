/* SPDX-License-Identifier: MIT */
/* Fuzz target: SPN parsing, keys, alias lookup, and sPNMappings values (src/spn.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/spn.h"

#include "testutil.h"

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The parts must lie inside the text, in order, and the key must be the
 * lower-cased text byte for byte (ports are canonical, so nothing is rewritten). */
static void
check_spn(const char *text, size_t len, const struct kd_spn *spn,
	  const struct kd_spnmap *map)
{
	char key[KD_SPN_MAX + 1], key2[KD_SPN_MAX + 16];
	const char *target;
	size_t n;

	if (spn->service_class != text || spn->service_class_len == 0 || spn->host_len == 0)
		abort();
	if (spn->host != text + spn->service_class_len + 1 || spn->host + spn->host_len > text + len)
		abort();
	if (spn->has_port && spn->port == 0)
		abort();
	if (spn->service_name &&
	    (spn->service_name_len == 0 || spn->service_name + spn->service_name_len != text + len))
		abort();
	n = kd_spn_key(spn, key, sizeof(key));
	if (n != len)
		abort();
	for (size_t i = 0; i < len; i++)
		if (key[i] != lower(text[i]))
			abort();
	if (kd_spn_key(spn, key, len) != 0) /* one byte short for the NUL */
		abort();

	target = kd_spnmap_target(map, spn->service_class, spn->service_class_len);
	if (target) {
		size_t want = len - spn->service_class_len + strlen(target);

		n = kd_spn_key_with_class(spn, target, key2, sizeof(key2));
		if (n != (want < sizeof(key2) ? want : 0))
			abort();
	}
}

/* Every alias in a table that built must look up to a target that lists it. */
static void
check_map(const struct kd_spnmap *map, const char *const *values, const size_t *lens,
	  size_t count)
{
	for (size_t v = 0; v < count; v++) {
		const char *eq = memchr(values[v], '=', lens[v]);
		const char *p, *end = values[v] + lens[v];
		const char *const *aliases;
		char target[64];
		size_t tlen = (size_t)(eq - values[v]);

		if (!eq)
			abort();
		for (p = eq + 1; p <= end;) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			size_t alen = (size_t)((comma ? comma : end) - p);
			const char *t = kd_spnmap_target(map, p, alen);

			/* NULL only for an alias equal to its own target. */
			if (!t && !(alen == tlen && strncasecmp(p, values[v], tlen) == 0))
				abort();
			if (t && kd_spnmap_aliases(map, t, &aliases) == 0)
				abort();
			if (!comma)
				break;
			p = comma + 1;
		}
		if (tlen < sizeof(target)) {
			memcpy(target, values[v], tlen);
			target[tlen] = '\0';
			kd_spnmap_aliases(map, target, &aliases);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kd_spnmap *default_map;
	const char *text = (const char *)data;
	const char *values[16];
	size_t lens[16], count = 0, start = 0;
	struct kd_spnmap *map = NULL;
	struct kd_spn spn;
	struct kd_error err;
	int r;

	if (!default_map) {
		default_map = kd_spnmap_new_default();
		if (!default_map)
			abort();
	}

	/* 1. The whole input as one SPN. */
	kd_error_clear(&err);
	r = kd_spn_parse(text, size, &spn, &err);
	if (r == 0)
		check_spn(text, size, &spn, default_map);
	else if (r != KD_ERR_PARSE || err.code != KD_ERR_PARSE || !err.has_offset ||
		 err.offset > size)
		abort();

	/* 2. The input as sPNMappings values, one per line (at most 16). */
	for (size_t i = 0; i <= size && count < 16; i++) {
		if (i == size || text[i] == '\n') {
			values[count] = text + start;
			lens[count++] = i - start;
			start = i + 1;
		}
	}
	kd_error_clear(&err);
	r = kd_spnmap_new_from_values(values, lens, count, &map, &err);
	if (r == 0) {
		check_map(map, values, lens, count);
		/* The first line as an SPN, looked up in the custom table. */
		if (kd_spn_parse(values[0], lens[0], &spn, NULL) == 0)
			check_spn(values[0], lens[0], &spn, map);
		kd_spnmap_free(map);
	} else if (r != KD_ERR_PARSE || err.code != KD_ERR_PARSE || !err.has_offset) {
		abort();
	}
	return 0;
}
