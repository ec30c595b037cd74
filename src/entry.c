/* SPDX-License-Identifier: MIT */
/* Attribute lookup in an entry handed over by a source. */
#include "config.h"

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
