/* SPDX-License-Identifier: MIT */
/* Linear-probing hash table over borrowed byte keys (FNV-1a + fmix64), load factor <= 3/4. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/error.h"
#include "kdeleg/hashtab.h"

struct kd_hashtab_slot {
	const void *key; /* NULL = empty */
	uint32_t len;
	uint32_t hash;
	uint32_t value;
};

void
kd_hashtab_init(struct kd_hashtab *table)
{
	memset(table, 0, sizeof(*table));
}

void
kd_hashtab_init_fold(struct kd_hashtab *table)
{
	kd_hashtab_init(table);
	table->fold_case = true;
}

void
kd_hashtab_free(struct kd_hashtab *table)
{
	bool fold = table->fold_case;

	kd_large_free(table->slots, table->cap * sizeof(*table->slots));
	kd_hashtab_init(table);
	table->fold_case = fold;
}

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ASCII upper to lower case in eight bytes at once: 0x20 is added to 'A'..'Z' only. */
static inline uint64_t
fold64(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t low7 = w & (0x7f * ones);
	uint64_t ge_a = low7 + (0x80 - 'A') * ones;     /* bit 7 set where byte >= 'A' */
	uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones; /* bit 7 set where byte > 'Z' */
	uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);

	return w | upper >> 2;
}

/*
 * Eight bytes a step (a DN is hashed for every put and get of a million-entry
 * load, so a byte loop shows in profiles), then murmur3's fmix64 so that keys
 * differing only in their last bytes (SIDs) still spread over the low bits.
 */
static uint32_t
hash_bytes(const struct kd_hashtab *table, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15u ^ len;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;

		memcpy(&w, p + i, len - i < 8 ? len - i : 8);
		if (table->fold_case)
			w = fold64(w);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return (uint32_t)h;
}

static bool
keys_equal(const struct kd_hashtab *table, const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;

	if (!table->fold_case)
		return memcmp(a, b, len) == 0;
	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i] && fold(x[i]) != fold(y[i]))
			return false;
	return true;
}

static struct kd_hashtab_slot *
find_slot(const struct kd_hashtab *table, const void *key, size_t len, uint32_t hash)
{
	size_t mask = table->cap - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct kd_hashtab_slot *s = &table->slots[i];

		if (!s->key)
			return s;
		if (s->hash == hash && s->len == len && keys_equal(table, s->key, key, len))
			return s;
	}
}

static int
resize(struct kd_hashtab *table, size_t cap)
{
	struct kd_hashtab_slot *old = table->slots;
	size_t old_cap = table->cap;

	if (cap > SIZE_MAX / sizeof(*old))
		return KD_ERR_NOMEM;
	table->slots = kd_large_alloc(cap * sizeof(*old));
	if (!table->slots) {
		table->slots = old;
		return KD_ERR_NOMEM;
	}
	table->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*find_slot(table, old[i].key, old[i].len, old[i].hash) = old[i];
	kd_large_free(old, old_cap * sizeof(*old));
	return 0;
}

int
kd_hashtab_reserve(struct kd_hashtab *table, size_t count)
{
	size_t cap = 64;

	while (cap / 4 * 3 < count + 1) {
		if (cap > SIZE_MAX / 4)
			return KD_ERR_NOMEM;
		cap *= 2;
	}
	return cap > table->cap ? resize(table, cap) : 0;
}

static int
put_hashed(struct kd_hashtab *table, const void *key, size_t len, uint32_t hash, uint32_t value,
	   uint32_t *ret_existing)
{
	struct kd_hashtab_slot *s;

	/* 3/4 keeps the million-key tables at half the memory of 1/2 for ~1 more probe. */
	if (table->count + 1 > table->cap / 4 * 3) {
		int r = resize(table, table->cap ? table->cap * 2 : 64);

		if (r < 0)
			return r;
	}
	s = find_slot(table, key, len, hash);
	if (s->key) {
		if (ret_existing)
			*ret_existing = s->value;
		return 1;
	}
	s->key = key;
	s->len = (uint32_t)len;
	s->hash = hash;
	s->value = value;
	table->count++;
	return 0;
}

int
kd_hashtab_put(struct kd_hashtab *table, const void *key, size_t len, uint32_t value,
	       uint32_t *ret_existing)
{
	if (len > UINT32_MAX)
		return KD_ERR_NOMEM;
	return put_hashed(table, key, len, hash_bytes(table, key, len), value, ret_existing);
}

/* How far ahead bulk loops work: slots are loaded AHEAD keys ahead, the keys in
 * them AHEAD / 2 ahead, so each load has the time of AHEAD / 2 probes to arrive. */
#define AHEAD 16u

struct pending_key {
	const void *key; /* NULL: skipped */
	size_t len;
	uint32_t hash;
};

static void
stage_key(const struct kd_hashtab *table, struct pending_key *k, size_t i,
	  kd_hashtab_key_fn *key_at, void *ctx)
{
	k->key = key_at(ctx, i, &k->len);
	if (!k->key || k->len > UINT32_MAX) /* the latter fails when its turn comes */
		return;
	k->hash = hash_bytes(table, k->key, k->len);
	__builtin_prefetch(&table->slots[k->hash & (table->cap - 1)]);
}

/* The slot was loaded AHEAD / 2 keys ago: start loading the key it holds, the
 * comparison's miss on a hit. */
static void
prefetch_key(const struct kd_hashtab *table, const struct pending_key *k)
{
	const struct kd_hashtab_slot *s;

	if (!k->key || k->len > UINT32_MAX)
		return;
	s = &table->slots[k->hash & (table->cap - 1)];
	if (s->key && s->hash == k->hash)
		__builtin_prefetch(s->key);
}

static int
bulk(struct kd_hashtab *table, bool insert, size_t count, kd_hashtab_key_fn *key_at,
     kd_hashtab_each_fn *each, void *ctx)
{
	struct pending_key ring[AHEAD];

	if (table->cap == 0 && insert && kd_hashtab_reserve(table, count) < 0)
		return KD_ERR_NOMEM;
	if (table->cap == 0) {
		/* nothing to find, nor to prefetch from */
		for (size_t i = 0; i < count; i++) {
			size_t len;
			int r;

			if (key_at(ctx, i, &len) && (r = each(ctx, i, false, 0)) < 0)
				return r;
		}
		return 0;
	}
	for (size_t i = 0; i < count && i < AHEAD; i++)
		stage_key(table, &ring[i], i, key_at, ctx);
	for (size_t i = 0; i < count; i++) {
		struct pending_key k = ring[i % AHEAD];
		bool found = false;
		uint32_t value = 0;
		int r;

		if (i + AHEAD < count)
			stage_key(table, &ring[i % AHEAD], i + AHEAD, key_at, ctx);
		if (i + AHEAD / 2 < count && !insert)
			prefetch_key(table, &ring[(i + AHEAD / 2) % AHEAD]);
		if (!k.key)
			continue;
		if (k.len > UINT32_MAX || (insert && i > UINT32_MAX))
			return KD_ERR_NOMEM; /* as kd_hashtab_put: lengths and values are 32-bit */
		if (insert) {
			r = put_hashed(table, k.key, k.len, k.hash, (uint32_t)i, &value);
			if (r < 0)
				return r;
			found = r == 1;
		} else {
			const struct kd_hashtab_slot *s = find_slot(table, k.key, k.len, k.hash);

			found = s->key != NULL;
			value = found ? s->value : 0;
		}
		if ((r = each(ctx, i, found, value)) < 0)
			return r;
	}
	return 0;
}

int
kd_hashtab_put_all(struct kd_hashtab *table, size_t count, kd_hashtab_key_fn *key_at,
		   kd_hashtab_each_fn *each, void *ctx)
{
	return bulk(table, true, count, key_at, each, ctx);
}

int
kd_hashtab_get_all(const struct kd_hashtab *table, size_t count, kd_hashtab_key_fn *key_at,
		   kd_hashtab_each_fn *each, void *ctx)
{
	/* bulk() writes only when inserting */
	return bulk((struct kd_hashtab *)table, false, count, key_at, each, ctx);
}

bool
kd_hashtab_get(const struct kd_hashtab *table, const void *key, size_t len, uint32_t *ret_value)
{
	const struct kd_hashtab_slot *s;

	if (table->cap == 0 || len > UINT32_MAX)
		return false;
	s = find_slot(table, key, len, hash_bytes(table, key, len));
	if (!s->key)
		return false;
	if (ret_value)
		*ret_value = s->value;
	return true;
}

bool
kd_hashtab_set(struct kd_hashtab *table, const void *key, size_t len, uint32_t value)
{
	struct kd_hashtab_slot *s;

	if (table->cap == 0 || len > UINT32_MAX)
		return false;
	s = find_slot(table, key, len, hash_bytes(table, key, len));
	if (!s->key)
		return false;
	s->value = value;
	return true;
}
