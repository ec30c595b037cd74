/* SPDX-License-Identifier: MIT */
/* Chunked bump allocator; with KD_ARENA_MALLOC each allocation is its own malloc. */
/* mremap(2) */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kdeleg/arena.h"

#define ALIGN 16u
/* A chunk with its header is 2 MiB, one huge page: chunks are filled front to back,
 * so all of it gets used. */
#define CHUNK_SIZE (2u * 1024u * 1024u - sizeof(struct chunk))

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct kd_arena {
	struct chunk *head;
	size_t used;
};

struct kd_arena *
kd_arena_new(void)
{
	return calloc(1, sizeof(struct kd_arena));
}

void
kd_arena_free(struct kd_arena *arena)
{
	struct chunk *c, *next;

	if (!arena)
		return;
	for (c = arena->head; c; c = next) {
		next = c->next;
		kd_large_free(c, sizeof(*c) + c->size);
	}
	free(arena);
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = kd_large_alloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = NULL;
	return c;
}

/* @align is 1 for text (no padding between strings) or ALIGN for structures. */
static void *
arena_alloc(struct kd_arena *arena, size_t size, size_t align)
{
	struct chunk *c;
	size_t start;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		return NULL;
	c = arena->head;
	start = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (KD_ARENA_MALLOC || !c || start > c->size || c->size - start < size) {
		/* With KD_ARENA_MALLOC: one exact chunk per allocation, inside ASan's redzones. */
		size_t want = KD_ARENA_MALLOC ? size : size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
		struct chunk *fresh = chunk_new(want);

		if (!fresh)
			return NULL;
		if (!c || want == CHUNK_SIZE || KD_ARENA_MALLOC) {
			fresh->next = c;
			arena->head = fresh;
		} else {
			/* A large block goes behind the current chunk so its free space is kept. */
			fresh->next = c->next;
			c->next = fresh;
		}
		c = fresh;
		start = 0;
	}
	/* Chunks come zeroed (mmap or calloc) and are never reused: no memset. */
	p = c->data + start;
	c->used = start + size;
	arena->used += size;
	return p;
}

void *
kd_arena_alloc(struct kd_arena *arena, size_t size)
{
	return arena_alloc(arena, size, ALIGN);
}

void *
kd_arena_calloc(struct kd_arena *arena, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return kd_arena_alloc(arena, count * size);
}

void *
kd_arena_memdup(struct kd_arena *arena, const void *data, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = arena_alloc(arena, len + 1, 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

char *
kd_arena_strdup(struct kd_arena *arena, const char *text)
{
	return kd_arena_memdup(arena, text, strlen(text));
}

char *
kd_arena_strdup_lower(struct kd_arena *arena, const char *text, size_t len)
{
	char *p = kd_arena_memdup(arena, text, len);

	if (p)
		for (size_t i = 0; i < len; i++)
			p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

size_t
kd_arena_used(const struct kd_arena *arena)
{
	return arena->used;
}

#if !KD_ARENA_MALLOC
static size_t
round_to_page(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (size + page - 1) / page * page;
}
#endif

void *
kd_large_alloc(size_t size)
{
#if KD_ARENA_MALLOC
	return calloc(1, size ? size : 1);
#else
	const size_t huge = (size_t)2 << 20;
	char *p, *aligned;
	size_t head;

	if (size == 0)
		size = 1;
	if (size < huge || size > SIZE_MAX - huge) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/*
	 * A huge page needs a 2 MiB-aligned range: recent kernels align mappings this
	 * large themselves, older ones (bookworm's 6.1) do not. Map 2 MiB more and give
	 * back the ends, so that the block is exactly [aligned, aligned + size).
	 */
	p = mmap(NULL, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	head = (size_t)(aligned - p);
	if (head)
		munmap(p, head);
	munmap(aligned + round_to_page(size), huge - head);
	/* Advice only: without THP the block still works with 4 KiB pages. */
	madvise(aligned, size, MADV_HUGEPAGE);
	return aligned;
#endif
}

void *
kd_large_realloc(void *block, size_t old_size, size_t new_size)
{
	void *p;

	if (!block)
		return kd_large_alloc(new_size);
#if KD_ARENA_MALLOC
	p = realloc(block, new_size ? new_size : 1);
	if (p && new_size > old_size)
		memset((char *)p + old_size, 0, new_size - old_size);
	return p;
#else
	/* mremap moves the pages, not the bytes; new anonymous pages read as zero. */
	p = mremap(block, old_size ? old_size : 1, new_size ? new_size : 1, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, new_size, MADV_HUGEPAGE);
	return p;
#endif
}

void
kd_large_free(void *block, size_t size)
{
	if (!block)
		return;
#if KD_ARENA_MALLOC
	(void)size;
	free(block);
#else
	munmap(block, size ? size : 1);
#endif
}

bool
kd_grow_array(void **array, size_t *cap, size_t count, size_t elem, size_t initial)
{
	size_t new_cap;
	void *p;

	if (count < *cap)
		return true;
	new_cap = *cap ? *cap * 2 : initial;
	if (new_cap < *cap || new_cap > SIZE_MAX / elem)
		return false;
	p = realloc(*array, new_cap * elem);
	if (!p)
		return false;
	*array = p;
	*cap = new_cap;
	return true;
}
