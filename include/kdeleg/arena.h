/* SPDX-License-Identifier: MIT */
/* Arena allocator for data that lives as long as the directory model. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * An arena hands out memory that is released all at once by kd_arena_free().
 * Built with -Darena_malloc=true every allocation is its own malloc() so that
 * AddressSanitizer sees overflows between neighbouring objects.
 */
struct kd_arena;

/* Returns NULL when out of memory. */
struct kd_arena *kd_arena_new(void);
/* Frees the arena and everything allocated from it; NULL is a no-op. */
void kd_arena_free(struct kd_arena *arena);

/* Zeroed, 16-byte aligned memory; NULL on overflow or when out of memory. */
void *kd_arena_alloc(struct kd_arena *arena, size_t size);
/* kd_arena_alloc(count * size) with the multiplication checked. */
void *kd_arena_calloc(struct kd_arena *arena, size_t count, size_t size);
/* Copies @len bytes and adds a terminating NUL (so text copies are C strings). */
void *kd_arena_memdup(struct kd_arena *arena, const void *data, size_t len);
char *kd_arena_strdup(struct kd_arena *arena, const char *text);
/* A lower-cased (ASCII) copy, used for case-insensitive index keys. */
char *kd_arena_strdup_lower(struct kd_arena *arena, const char *text, size_t len);

/*
 * Makes room in a malloc'd array of @elem-byte elements holding @count of *@cap: when
 * it is full, doubles it (@initial elements the first time) with the multiplication
 * checked. False when out of memory; the array is then unchanged.
 */
bool kd_grow_array(void **array, size_t *cap, size_t count, size_t elem, size_t initial);

/* Bytes handed out so far (for memory figures in benchmarks). */
size_t kd_arena_used(const struct kd_arena *arena);

/*
 * Large zeroed blocks (index tables, the principal array) straight from mmap with
 * transparent huge pages requested: a million-entry hash table probed at random
 * otherwise spends most of its time in TLB misses. kd_large_realloc keeps the
 * contents and zeroes the new tail. With -Darena_malloc=true these are calloc/realloc
 * so that sanitizers see them. Sizes must be passed back unchanged.
 */
void *kd_large_alloc(size_t size);
void *kd_large_realloc(void *block, size_t old_size, size_t new_size);
void kd_large_free(void *block, size_t size);
