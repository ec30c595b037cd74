/* SPDX-License-Identifier: MIT */
/* Reader thread for LDIF snapshots: kd_ldif_next() on one core, the model on the other. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "kdeleg/ldif-pipe.h"
#include "kdeleg/ldif.h"

/* Batches: one being filled, one being read, the rest waiting for the caller. */
#define BATCHES 6
/* A batch is handed over once it holds this much: big enough that the lock is
 * taken a few hundred times for a million entries, small enough to stay in cache. */
#define BATCH_BYTES ((size_t)1 << 20)
#define BATCH_ENTRIES 4096

/* Entries are packed as offsets, so that the arrays can grow while filling. */
struct packed_entry {
	size_t dn, dn_len, line;
	size_t first_attr, nattrs;
};
struct packed_attr {
	size_t name, line;
	size_t first_value, nvalues;
};
struct packed_value {
	size_t data, len;
};

struct batch {
	struct packed_entry *entries;
	size_t nentries, entries_cap;
	struct packed_attr *attrs;
	size_t nattrs, attrs_cap;
	struct packed_value *values;
	size_t nvalues, values_cap;
	char *bytes;
	size_t nbytes, bytes_cap;
	/* set on the batch that ends the stream, after its entries */
	bool last;
	int status;
	struct kd_error err;
};

struct kd_ldif_pipe {
	struct kd_ldif *ldif; /* the reader thread's */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch *ready[BATCHES]; /* filled, in input order (a ring) */
	size_t ready_head, nready;
	struct batch *spare[BATCHES];
	size_t nspare;
	bool stop; /* the caller is done: the thread ends at its next batch */

	struct batch all[BATCHES];

	/* the caller's side */
	struct batch *current;
	size_t next_entry;
	struct kd_entry entry;
	struct kd_attr *attrs;
	size_t attrs_cap;
	struct kd_value *values;
	size_t values_cap;
};

/* Room for @more elements of @size after @count; false when out of memory. */
static bool
reserve(void **array, size_t *cap, size_t count, size_t more, size_t size)
{
	size_t want, grown;
	void *p;

	if (more > SIZE_MAX - count)
		return false;
	want = count + more;
	if (want <= *cap)
		return true;
	grown = *cap ? *cap : 64;
	while (grown < want) {
		if (grown > SIZE_MAX / 2)
			return false;
		grown *= 2;
	}
	if (grown > SIZE_MAX / size || !(p = realloc(*array, grown * size)))
		return false;
	*array = p;
	*cap = grown;
	return true;
}

static size_t
pack_bytes(struct batch *b, const char *data, size_t len)
{
	size_t at = b->nbytes;

	memcpy(b->bytes + at, data, len);
	b->bytes[at + len] = '\0';
	b->nbytes += len + 1;
	return at;
}

/* Copies @e into @b; on failure @b is as it was. */
static int
pack_entry(struct batch *b, const struct kd_entry *e)
{
	size_t bytes = e->dn_len + 1, nvalues = 0;
	struct packed_entry *pe;

	for (size_t i = 0; i < e->nattrs; i++) {
		const struct kd_attr *a = &e->attrs[i];

		bytes += strlen(a->name) + 1;
		nvalues += a->nvalues;
		for (size_t j = 0; j < a->nvalues; j++)
			bytes += a->values[j].len + 1;
	}
	if (!reserve((void **)&b->entries, &b->entries_cap, b->nentries, 1, sizeof(*b->entries)) ||
	    !reserve((void **)&b->attrs, &b->attrs_cap, b->nattrs, e->nattrs, sizeof(*b->attrs)) ||
	    !reserve((void **)&b->values, &b->values_cap, b->nvalues, nvalues, sizeof(*b->values)) ||
	    !reserve((void **)&b->bytes, &b->bytes_cap, b->nbytes, bytes, 1))
		return KD_ERR_NOMEM;
	pe = &b->entries[b->nentries++];
	pe->dn = pack_bytes(b, e->dn, e->dn_len);
	pe->dn_len = e->dn_len;
	pe->line = e->line;
	pe->first_attr = b->nattrs;
	pe->nattrs = e->nattrs;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct kd_attr *a = &e->attrs[i];
		struct packed_attr *pa = &b->attrs[b->nattrs++];

		pa->name = pack_bytes(b, a->name, strlen(a->name));
		pa->line = a->line;
		pa->first_value = b->nvalues;
		pa->nvalues = a->nvalues;
		for (size_t j = 0; j < a->nvalues; j++) {
			struct packed_value *pv = &b->values[b->nvalues++];

			pv->data = pack_bytes(b, a->values[j].data, a->values[j].len);
			pv->len = a->values[j].len;
		}
	}
	return 0;
}

static void
batch_reset(struct batch *b)
{
	b->nentries = b->nattrs = b->nvalues = b->nbytes = 0;
	b->last = false;
	b->status = 0;
	kd_error_clear(&b->err);
}

/* An empty batch for the reader thread, or NULL once the caller has stopped. */
static struct batch *
take_spare(struct kd_ldif_pipe *pipe)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&pipe->lock);
	while (pipe->nspare == 0 && !pipe->stop)
		pthread_cond_wait(&pipe->changed, &pipe->lock);
	if (!pipe->stop)
		b = pipe->spare[--pipe->nspare];
	pthread_mutex_unlock(&pipe->lock);
	if (b)
		batch_reset(b);
	return b;
}

static void
hand_over(struct kd_ldif_pipe *pipe, struct batch *b)
{
	pthread_mutex_lock(&pipe->lock);
	pipe->ready[(pipe->ready_head + pipe->nready) % BATCHES] = b;
	pipe->nready++;
	pthread_cond_broadcast(&pipe->changed);
	pthread_mutex_unlock(&pipe->lock);
}

static void *
reader_thread(void *arg)
{
	struct kd_ldif_pipe *pipe = arg;
	struct batch *b = NULL;

	for (;;) {
		const struct kd_entry *e = NULL;
		int r;

		if (!b && !(b = take_spare(pipe)))
			return NULL;
		r = kd_ldif_next(pipe->ldif, &e, &b->err);
		if (r == 0 && e && (r = pack_entry(b, e)) < 0) {
			kd_error_set(&b->err, r, "out of memory");
			kd_error_set_where(&b->err, NULL, e->line, e->dn, NULL);
		}
		if (r < 0 || !e) {
			b->last = true;
			b->status = r;
			hand_over(pipe, b);
			return NULL;
		}
		if (b->nbytes >= BATCH_BYTES || b->nentries >= BATCH_ENTRIES) {
			hand_over(pipe, b);
			b = NULL;
		}
	}
}

int
kd_ldif_pipe_open(FILE *file, const char *source, const char *const *wanted,
		  struct kd_ldif_pipe **ret_pipe, struct kd_error *err)
{
	struct kd_ldif_pipe *pipe = calloc(1, sizeof(*pipe));
	int r;

	*ret_pipe = NULL;
	if (!pipe)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	r = kd_ldif_open(file, source, wanted, &pipe->ldif, err);
	if (r < 0) {
		free(pipe);
		return r;
	}
	for (size_t i = 0; i < BATCHES; i++)
		pipe->spare[pipe->nspare++] = &pipe->all[i];
	if (pthread_mutex_init(&pipe->lock, NULL) != 0) {
		kd_ldif_free(pipe->ldif);
		free(pipe);
		return kd_error_set(err, KD_ERR_NOMEM, "cannot create a lock");
	}
	if (pthread_cond_init(&pipe->changed, NULL) != 0) {
		pthread_mutex_destroy(&pipe->lock);
		kd_ldif_free(pipe->ldif);
		free(pipe);
		return kd_error_set(err, KD_ERR_NOMEM, "cannot create a condition variable");
	}
	if (pthread_create(&pipe->thread, NULL, reader_thread, pipe) != 0) {
		kd_ldif_pipe_free(pipe);
		return kd_error_set(err, KD_ERR_NOMEM, "cannot start the reader thread");
	}
	pipe->started = true;
	*ret_pipe = pipe;
	return 0;
}

/* The current entry of the current batch, as pointers again. */
static int
unpack_entry(struct kd_ldif_pipe *pipe, const struct packed_entry *pe)
{
	const struct batch *b = pipe->current;
	size_t nvalues = 0;

	for (size_t i = 0; i < pe->nattrs; i++)
		nvalues += b->attrs[pe->first_attr + i].nvalues;
	if (!reserve((void **)&pipe->attrs, &pipe->attrs_cap, 0, pe->nattrs, sizeof(*pipe->attrs)) ||
	    !reserve((void **)&pipe->values, &pipe->values_cap, 0, nvalues, sizeof(*pipe->values)))
		return KD_ERR_NOMEM;
	pipe->entry.dn = b->bytes + pe->dn;
	pipe->entry.dn_len = pe->dn_len;
	pipe->entry.line = pe->line;
	pipe->entry.nattrs = pe->nattrs;
	pipe->entry.attrs = pipe->attrs;
	nvalues = 0;
	for (size_t i = 0; i < pe->nattrs; i++) {
		const struct packed_attr *pa = &b->attrs[pe->first_attr + i];
		struct kd_attr *a = &pipe->attrs[i];

		a->name = b->bytes + pa->name;
		a->line = pa->line;
		a->nvalues = pa->nvalues;
		a->values = &pipe->values[nvalues];
		for (size_t j = 0; j < pa->nvalues; j++) {
			const struct packed_value *pv = &b->values[pa->first_value + j];

			pipe->values[nvalues].data = b->bytes + pv->data;
			pipe->values[nvalues].len = pv->len;
			nvalues++;
		}
	}
	return 0;
}

int
kd_ldif_pipe_next(struct kd_ldif_pipe *pipe, const struct kd_entry **ret_entry,
		  struct kd_error *err)
{
	*ret_entry = NULL;
	for (;;) {
		struct batch *b = pipe->current;

		if (b && pipe->next_entry < b->nentries) {
			const struct packed_entry *pe = &b->entries[pipe->next_entry++];

			if (unpack_entry(pipe, pe) < 0) {
				kd_error_set(err, KD_ERR_NOMEM, "out of memory");
				kd_error_set_where(err, NULL, pe->line, b->bytes + pe->dn, NULL);
				return KD_ERR_NOMEM;
			}
			*ret_entry = &pipe->entry;
			return 0;
		}
		if (b && b->last) {
			if (b->status < 0 && err)
				*err = b->err;
			return b->status;
		}
		pthread_mutex_lock(&pipe->lock);
		if (b) {
			pipe->spare[pipe->nspare++] = b;
			pthread_cond_broadcast(&pipe->changed);
		}
		while (pipe->nready == 0)
			pthread_cond_wait(&pipe->changed, &pipe->lock);
		pipe->current = pipe->ready[pipe->ready_head];
		pipe->ready_head = (pipe->ready_head + 1) % BATCHES;
		pipe->nready--;
		pthread_mutex_unlock(&pipe->lock);
		pipe->next_entry = 0;
	}
}

void
kd_ldif_pipe_free(struct kd_ldif_pipe *pipe)
{
	if (!pipe)
		return;
	pthread_mutex_lock(&pipe->lock);
	pipe->stop = true;
	pthread_cond_broadcast(&pipe->changed);
	pthread_mutex_unlock(&pipe->lock);
	if (pipe->started)
		pthread_join(pipe->thread, NULL);
	pthread_cond_destroy(&pipe->changed);
	pthread_mutex_destroy(&pipe->lock);
	kd_ldif_free(pipe->ldif);
	for (size_t i = 0; i < BATCHES; i++) {
		free(pipe->all[i].entries);
		free(pipe->all[i].attrs);
		free(pipe->all[i].values);
		free(pipe->all[i].bytes);
	}
	free(pipe->attrs);
	free(pipe->values);
	free(pipe);
}
