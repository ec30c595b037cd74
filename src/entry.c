/* SPDX-License-Identifier: MIT */
/* Attribute lookup in an entry handed over by a source; the range option of ranged values. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "kdeleg/entry.h"

const struct kd_attr *
kd_entry_attr(const struct kd_entry *entry, const char *name)
{
	for (size_t i = 0; i < entry->nattrs; i++)
		if (strcmp(entry->attrs[i].name, name) == 0)
			return &entry->attrs[i];
	return NULL;
}

const struct kd_value *
kd_entry_value(const struct kd_entry *entry, const char *name)
{
	const struct kd_attr *a = kd_entry_attr(entry, name);

	return a && a->nvalues ? &a->values[0] : NULL;
}

bool
kd_parse_size(const char *s, size_t n, size_t *ret_value)
{
	size_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (size_t)(s[i] - '0');
		if (v > (SIZE_MAX - 1 - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret_value = v;
	return true;
}

const char *
kd_range_parse(const char *s, size_t n, struct kd_range *ret_range, size_t *ret_at)
{
	const char *dash = memchr(s, '-', n);
	struct kd_range r = {0, 0, false};
	size_t lo_len;

	*ret_at = 0;
	if (!dash)
		return "range option without '-' (expected range=LOW-HIGH or range=LOW-*)";
	lo_len = (size_t)(dash - s);
	if (!kd_parse_size(s, lo_len, &r.lo))
		return "range option: the low bound is not a decimal number";
	*ret_at = lo_len + 1;
	s += lo_len + 1;
	n -= lo_len + 1;
	if (n == 1 && s[0] == '*') {
		r.open = true;
	} else {
		if (!kd_parse_size(s, n, &r.hi))
			return "range option: the high bound is neither '*' nor a decimal number";
		if (r.hi < r.lo)
			return "range option: high bound below low bound";
	}
	*ret_range = r;
	return NULL;
}
