/* SPDX-License-Identifier: MIT */
/* One directory entry as a source (LDIF now, LDAP later) hands it to the model. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value: raw bytes, always followed by a NUL that is not counted in len. */
struct kd_value {
	const char *data;
	size_t len;
};

struct kd_attr {
	const char *name;  /* lower-cased description without options ("member") */
	size_t line;       /* source line of the first value, 0 when unknown */
	size_t nvalues;
	struct kd_value *values;
};

/*
 * Owned by the source that produced it and valid until the next call to that
 * source: the model copies what it keeps. Ranged values (member;range=0-1499,
 * member;range=1500-*) arrive merged under the plain name.
 */
struct kd_entry {
	const char *dn;
	size_t dn_len;
	size_t line; /* line of the dn: line, 0 when unknown */
	size_t nattrs;
	struct kd_attr *attrs;
};

/* The attribute named @name (lower case), or NULL. */
const struct kd_attr *kd_entry_attr(const struct kd_entry *entry, const char *name);
/* The first value of @name, or NULL. */
const struct kd_value *kd_entry_value(const struct kd_entry *entry, const char *name);

/*
 * AD's ranged retrieval (MS-ADTS 3.1.1.3.1.3.3): the part after "range=" in an
 * attribute option, "LO-HI" or "LO-*", as both the LDIF reader and the LDAP
 * collector meet it. Bounds are strict decimals below SIZE_MAX (so HI + 1 is safe).
 */
struct kd_range {
	size_t lo;
	size_t hi; /* 0 when open */
	bool open; /* "LO-*": the last chunk */
};

/*
 * Parses @n bytes at @s. Returns NULL when they are a range, else why not ("range
 * option: ...") with the byte offset of the fault in *ret_at.
 */
const char *kd_range_parse(const char *s, size_t n, struct kd_range *ret_range, size_t *ret_at);

/* A strict decimal below SIZE_MAX: digits only, no sign, no overflow. */
bool kd_parse_size(const char *s, size_t n, size_t *ret_value);
