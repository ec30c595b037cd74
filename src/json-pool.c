/* SPDX-License-Identifier: MIT */
/* A size-class allocator for jansson on huge-page chunks (see json-pool.h). */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "kdeleg/arena.h"
#include "kdeleg/json-pool.h"

#define GRAIN 8u              /* jansson's values need no more alignment than this */
#define SMALL_MAX 1024u       /* larger blocks come from malloc() */
#define CLASSES (SMALL_MAX / GRAIN)
#define CHUNK_SIZE ((size_t)2 << 20)
#define FROM_MALLOC 0u        /* header of a block malloc() gave */

/* Each block starts with an 8-byte header, its size class; the payload follows. */
struct chunk {
	struct chunk *next;
	size_t used; /* bytes handed out, this header included */
};

static struct {
	bool installed;
	struct chunk *chunks; /* the one being carved first */
	size_t nchunks;
	void *free[CLASSES + 1]; /* by class: freed payloads, linked through their first bytes */
} pool;

static void *
pool_malloc(size_t size)
{
	size_t cls, need;
	uint64_t *header;
	struct chunk *c;

	if (size > SMALL_MAX) {
		if (size > SIZE_MAX - sizeof(*header) || !(header = malloc(size + sizeof(*header))))
			return NULL;
		*header = FROM_MALLOC;
		return header + 1;
	}
	cls = size ? (size + GRAIN - 1) / GRAIN : 1;
	if (pool.free[cls]) {
		void *reused = pool.free[cls];

		pool.free[cls] = *(void **)reused;
		return reused;
	}
	need = sizeof(*header) + cls * GRAIN;
	c = pool.chunks;
	if (!c || CHUNK_SIZE - c->used < need) {
		/* the tail of the old chunk (under 1 KiB) stays unused */
		c = kd_large_alloc(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = pool.chunks;
		c->used = (sizeof(*c) + GRAIN - 1) / GRAIN * GRAIN;
		pool.chunks = c;
		pool.nchunks++;
	}
	header = (uint64_t *)(void *)((char *)c + c->used);
	c->used += need;
	*header = cls;
	return header + 1;
}

static void
pool_free(void *payload)
{
	uint64_t *header;

	if (!payload)
		return;
	header = (uint64_t *)payload - 1;
	if (*header == FROM_MALLOC) {
		free(header);
		return;
	}
	*(void **)payload = pool.free[*header];
	pool.free[*header] = payload;
}

bool
kd_json_pool_install(void)
{
	if (KD_ARENA_MALLOC || pool.installed)
		return pool.installed;
	json_set_alloc_funcs(pool_malloc, pool_free);
	pool.installed = true;
	return true;
}

void
kd_json_pool_release(void)
{
	struct chunk *c, *next;

	if (!pool.installed)
		return;
	json_set_alloc_funcs(malloc, free);
	for (c = pool.chunks; c; c = next) {
		next = c->next;
		kd_large_free(c, CHUNK_SIZE);
	}
	pool.chunks = NULL;
	pool.nchunks = 0;
	for (size_t i = 0; i <= CLASSES; i++)
		pool.free[i] = NULL;
	pool.installed = false;
}

size_t
kd_json_pool_mapped(void)
{
	return pool.nchunks * CHUNK_SIZE;
}
