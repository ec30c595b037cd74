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
 * Bulk operations over keys 0..@count-1 that @key_at hands out (NULL: skip key @i).
 * A million probes into a table of a million keys are a million cache misses; these
 * overlap them by loading slots, then the keys those slots hold, some keys ahead.
 * @each is called in order of @i, skipped keys left out. For kd_hashtab_put_all,
 * @found is false when key @i was inserted with value @i, true when it was already
 * there with @value. For kd_hashtab_get_all, whether key @i is present and its value.
 * A negative return from @each stops the loop and is returned; KD_ERR_NOMEM as for
 * kd_hashtab_put (growth, a key over 4 GiB, a put at @i past UINT32_MAX). Size the
 * table first (kd_hashtab_reserve): the puts then never rehash.
 */
typedef const void *kd_hashtab_key_fn(void *ctx, size_t i, size_t *ret_len);
typedef int kd_hashtab_each_fn(void *ctx, size_t i, bool found, uint32_t value);
int kd_hashtab_put_all(struct kd_hashtab *table, size_t count, kd_hashtab_key_fn *key_at,
		       kd_hashtab_each_fn *each, void *ctx);
int kd_hashtab_get_all(const struct kd_hashtab *table, size_t count, kd_hashtab_key_fn *key_at,
		       kd_hashtab_each_fn *each, void *ctx);

/* Finds @key; false when absent. */
bool kd_hashtab_get(const struct kd_hashtab *table, const void *key, size_t len,
		    uint32_t *ret_value);
/* Replaces the value of a present key; false when absent. */
bool kd_hashtab_set(struct kd_hashtab *table, const void *key, size_t len, uint32_t value);
