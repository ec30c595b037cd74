/* SPDX-License-Identifier: MIT */
/* Chunked bump allocator; with KD_ARENA_MALLOC each allocation is its own malloc. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"

#define ALIGN 16u
#define CHUNK_SIZE (1024u * 1024u)

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
		free(c);
	}
	free(arena);
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = NULL;
	return c;
}

void *
kd_arena_alloc(struct kd_arena *arena, size_t size)
{
	struct chunk *c;
	size_t rounded;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ALIGN)
		return NULL;
	rounded = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	c = arena->head;
	if (KD_ARENA_MALLOC || !c || c->size - c->used < rounded) {
		/* With KD_ARENA_MALLOC: one exact chunk per allocation, inside ASan's redzones. */
		size_t want = KD_ARENA_MALLOC ? size : rounded > CHUNK_SIZE / 4 ? rounded : CHUNK_SIZE;
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
		if (KD_ARENA_MALLOC)
			rounded = size;
	}
	p = c->data + c->used;
	c->used += rounded;
	memset(p, 0, size);
	arena->used += size;
	return p;
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
	p = kd_arena_alloc(arena, len + 1);
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
