/* SPDX-License-Identifier: MIT */
/* Open-addressing hash table from byte-string keys to 32-bit values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Keys are borrowed: the caller keeps them alive and unchanged as long as the
 * table (the directory's keys live in its arena). Case folding, if wanted, is
 * the caller's job. One value per key; kd_hashtab_put reports an existing key.
 */
struct kd_hashtab {
	struct kd_hashtab_slot *slots;
	size_t cap; /* power of two, 0 when empty */
	size_t count;
	bool fold_case; /* keys compare ASCII case-insensitively (DNs) */
};

void kd_hashtab_init(struct kd_hashtab *table);
/* A table whose keys hash and compare ASCII case-insensitively, without lower-cased copies. */
void kd_hashtab_init_fold(struct kd_hashtab *table);
void kd_hashtab_free(struct kd_hashtab *table);

/* Sizes the table for @count keys, so that filling it never rehashes. */
int kd_hashtab_reserve(struct kd_hashtab *table, size_t count);

/*
 * Inserts @key -> @value. When the key is present, leaves the table unchanged,
 * stores the existing value in *ret_existing (if not NULL) and returns 1.
 * Returns 0 when inserted, KD_ERR_NOMEM when growing failed.
 */
int kd_hashtab_put(struct kd_hashtab *table, const void *key, size_t len, uint32_t value,
		   uint32_t *ret_existing);
/*
 * Starts loading the slot where @key would be. Loops over a million keys call it a
 * few keys ahead of the put or get: the probe is a cache miss, hidden this way.
 */
void kd_hashtab_prefetch(const struct kd_hashtab *table, const void *key, size_t len);

/* Finds @key; false when absent. */
bool kd_hashtab_get(const struct kd_hashtab *table, const void *key, size_t len,
		    uint32_t *ret_value);
/* Replaces the value of a present key; false when absent. */
bool kd_hashtab_set(struct kd_hashtab *table, const void *key, size_t len, uint32_t value);
