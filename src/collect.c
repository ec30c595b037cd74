/* SPDX-License-Identifier: MIT */
/* The collector's searches of the domain and the configuration, over how many connections
 * (kd_ldap_collect in kdeleg/ldapsrc.h; the targeted plan above them is plan.c). */
#include "config.h"

#include <ldap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/directory.h"
#include "kdeleg/plan.h"

#include "collect-private.h"
#include "ldap-private.h"

/*
 * Everything the collector asks the directory for, in one place. The domain search
 * uses the model's filter and attribute list (kdeleg/directory.h) so that live and
 * snapshot audits read the same entries.
 */
static const char *const spn_mapping_attributes[] = {"spnmappings", NULL};
/* the domain's NetBIOS name (MS-ADTS 6.1.1.2.1.1.5): the model reads it for krbtgt/NETBIOS */
static const char *const cross_ref_attributes[] = {"ncname", "netbiosname", NULL};

#define SPN_MAPPINGS_RDNS "CN=Directory Service,CN=Windows NT,CN=Services,"
#define PARTITIONS_RDNS "CN=Partitions,"

/*
 * The domain search's share of work with several connections: RANGES_PER_CONNECTION
 * uSNChanged ranges of equal width a connection, handed to whichever connection is
 * free. Few, because every search costs Samba a fixed scan (0.15-0.3 s measured on the
 * 10k bench DC under load: 32 ranges made two connections 2.5x slower than one); more
 * than one a connection, because USNs are not spread evenly over accounts (provisioning
 * takes the first thousands) and a connection done early takes the next range.
 */
#define RANGES_PER_CONNECTION 2u
#define RANGES_MAX (RANGES_PER_CONNECTION * KD_LDAP_MAX_CONNECTIONS)
/* a domain filter (the targeted plan's is the longest) with two uSNChanged bounds */
#define FILTER_MAX 2048

/* "<rdns><config_nc>" in a malloc'd string, NULL when out of memory. */
static char *
config_dn(const struct kd_ldap *c, const char *rdns)
{
	size_t len = strlen(rdns), nc_len = strlen(c->config_nc);
	char *dn = malloc(len + nc_len + 1);

	if (dn) {
		memcpy(dn, rdns, len);
		memcpy(dn + len, c->config_nc, nc_len + 1);
	}
	return dn;
}

/* The crossRef of the naming context searched, its DN escaped (RFC 4515): in @b. */
static int
cross_ref_filter(const struct kd_ldap *c, struct kd_strbuf *b)
{
	if (kd_strbuf_puts(b, "(&(objectClass=crossRef)") < 0 ||
	    kd_plan_filter_term(b, "nCName", c->base, strlen(c->base), false) < 0 ||
	    kd_strbuf_putc(b, ')') < 0)
		return KD_ERR_NOMEM;
	return 0;
}

/* ---- entries kept in memory: a range until its turn, the targeted plan's entries ---- */

/*
 * An entry laid out in a buffer: sizes as size_t, then the bytes and a NUL, for the
 * DN, each attribute name and each value. Only this file writes and reads it.
 */
static int
put_size(struct kd_strbuf *b, size_t n)
{
	return kd_strbuf_append(b, &n, sizeof(n));
}

static int
put_bytes(struct kd_strbuf *b, const char *bytes, size_t len)
{
	if (put_size(b, len) < 0 || kd_strbuf_append(b, bytes, len) < 0 ||
	    kd_strbuf_putc(b, '\0') < 0)
		return KD_ERR_NOMEM;
	return 0;
}

void
kd_entry_store_init(struct kd_entry_store *st)
{
	kd_strbuf_init(&st->data, SIZE_MAX);
	st->count = 0;
}

void
kd_entry_store_free(struct kd_entry_store *st)
{
	kd_strbuf_free(&st->data);
	st->count = 0;
}

int
kd_entry_store_put(struct kd_entry_store *st, const struct kd_entry *e)
{
	struct kd_strbuf *b = &st->data;
	int r = put_bytes(b, e->dn, e->dn_len);

	if (r == 0)
		r = put_size(b, e->nattrs);
	for (size_t a = 0; a < e->nattrs && r == 0; a++) {
		const struct kd_attr *at = &e->attrs[a];

		r = put_bytes(b, at->name, strlen(at->name));
		if (r == 0)
			r = put_size(b, at->nvalues);
		for (size_t v = 0; v < at->nvalues && r == 0; v++)
			r = put_bytes(b, at->values[v].data, at->values[v].len);
	}
	if (r == 0)
		st->count++;
	return r;
}

struct range {
	atomic_size_t *read; /* the pool's count of entries read, all connections */
	struct kd_entry_store store;
	bool done; /* read completely; the merge may take it (under pool.lock) */
};

static int
keep_entry(void *ctx, const struct kd_entry *e, struct kd_error *err)
{
	struct range *rg = ctx;

	if (kd_entry_store_put(&rg->store, e) < 0)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory keeping entries in memory");
	atomic_fetch_add(rg->read, 1);
	return 0;
}

static size_t
get_size(struct kd_entry_replay *rp)
{
	size_t n;

	memcpy(&n, rp->p, sizeof(n));
	rp->p += sizeof(n);
	return n;
}

static const char *
get_bytes(struct kd_entry_replay *rp, size_t *ret_len)
{
	const char *s;

	*ret_len = get_size(rp);
	s = rp->p;
	rp->p += *ret_len + 1;
	return s;
}

void
kd_entry_replay_start(struct kd_entry_replay *rp, const struct kd_entry_store *st)
{
	rp->p = st->data.data;
	rp->end = rp->p ? rp->p + st->data.len : NULL;
}

void
kd_entry_replay_free(struct kd_entry_replay *rp)
{
	free(rp->attrs);
	free(rp->values);
	*rp = (struct kd_entry_replay){0};
}

int
kd_entry_replay_next(struct kd_entry_replay *rp)
{
	size_t nattrs, nvalues = 0, len;
	const char *save;

	if (!rp->p || rp->p >= rp->end)
		return 0;
	rp->entry.dn = get_bytes(rp, &rp->entry.dn_len);
	nattrs = get_size(rp);
	/* count the values first so that both arrays are laid out once */
	save = rp->p;
	for (size_t a = 0; a < nattrs; a++) {
		size_t n;

		get_bytes(rp, &len);
		n = get_size(rp);
		nvalues += n;
		for (size_t v = 0; v < n; v++)
			get_bytes(rp, &len);
	}
	rp->p = save;
	while (rp->attrs_cap < nattrs)
		if (!kd_grow_array((void **)&rp->attrs, &rp->attrs_cap, rp->attrs_cap,
				   sizeof(*rp->attrs), nattrs))
			return KD_ERR_NOMEM;
	while (rp->values_cap < nvalues)
		if (!kd_grow_array((void **)&rp->values, &rp->values_cap, rp->values_cap,
				   sizeof(*rp->values), nvalues))
			return KD_ERR_NOMEM;
	nvalues = 0;
	for (size_t a = 0; a < nattrs; a++) {
		struct kd_attr *at = &rp->attrs[a];

		*at = (struct kd_attr){.name = get_bytes(rp, &len)};
		at->nvalues = get_size(rp);
		at->values = rp->values + nvalues;
		for (size_t v = 0; v < at->nvalues; v++) {
			at->values[v].data = get_bytes(rp, &at->values[v].len);
			nvalues++;
		}
	}
	rp->entry.nattrs = nattrs;
	rp->entry.attrs = rp->attrs;
	return 1;
}

/* ---- the domain search over several connections ---- */

struct pool;

struct worker {
	struct pool *pool;
	struct kd_ldap *conn;
	pthread_t thread;
	size_t entries; /* the connection's count at its last progress report */
	int r;
	size_t pages;   /* pages of its current range search */
	struct kd_error err;
};

struct pool {
	struct worker workers[KD_LDAP_MAX_CONNECTIONS];
	size_t nworkers;
	const char *base;
	const char *stage;
	const char *filter; /* the domain filter each range is cut from */
	size_t highest_usn;
	struct range ranges[RANGES_MAX];
	unsigned nranges;
	atomic_uint next_range;
	atomic_size_t read;
	atomic_bool stop;
	pthread_mutex_t lock; /* the caller's progress callback, the counts below, done */
	pthread_cond_t changed; /* a range is done, or stop was set */
	size_t pages_done;    /* pages of the range searches that ended */
	void (*progress)(void *ctx, const struct kd_ldap_progress *progress);
	void *progress_ctx;
};

/* uSNChanged from lo to hi of range @k (both inclusive); false when it is empty. */
static bool
range_bounds(const struct pool *p, unsigned k, size_t *lo, size_t *hi)
{
	size_t width = p->highest_usn / p->nranges + 1;

	*lo = (size_t)k * width;
	if (*lo > p->highest_usn)
		return false;
	*hi = k + 1 == p->nranges || p->highest_usn - *lo < width ? p->highest_usn
								      : *lo + width - 1;
	return true;
}

static void
pool_progress(void *ctx, const struct kd_ldap_progress *progress)
{
	struct worker *w = ctx;
	struct pool *p = w->pool;
	struct kd_ldap_progress sum = *progress;

	pthread_mutex_lock(&p->lock);
	w->entries = progress->entries;
	w->pages = progress->stage_done ? 0 : progress->pages;
	if (progress->stage_done)
		p->pages_done += progress->pages;
	/* one stage for the caller: the ranges' pages add up, and it ends in collect_parallel */
	sum.entries = 0;
	sum.pages = p->pages_done;
	sum.stage_done = false;
	for (size_t k = 0; k < p->nworkers; k++) {
		sum.entries += p->workers[k].entries;
		sum.pages += p->workers[k].pages;
	}
	p->progress(p->progress_ctx, &sum);
	pthread_mutex_unlock(&p->lock);
}

void
kd_collect_forget_dns(struct kd_ldap *c)
{
	kd_hashtab_free(&c->seen);
	kd_hashtab_init(&c->seen);
	kd_arena_free(c->seen_keys);
	c->seen_keys = NULL;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;

	while (!atomic_load(&p->stop)) {
		unsigned k = atomic_fetch_add(&p->next_range, 1);
		char filter[FILTER_MAX];
		size_t lo, hi;
		struct kd_ldap_search s = {
			.stage = p->stage, .base = p->base, .scope = LDAP_SCOPE_SUBTREE,
			.filter = filter, .attributes = kd_directory_attributes,
			.paged = true, .sd_flags = true,
		};

		if (k >= p->nranges)
			break;
		if (!range_bounds(p, k, &lo, &hi)) {
			pthread_mutex_lock(&p->lock);
			p->ranges[k].done = true;
			pthread_cond_broadcast(&p->changed);
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		if (snprintf(filter, sizeof(filter), "(&(uSNChanged>=%zu)(uSNChanged<=%zu)%s)", lo,
			     hi, p->filter) >= (int)sizeof(filter)) {
			w->r = kd_error_set(&w->err, KD_ERR_NOMEM, "the range filter is too long");
			pthread_mutex_lock(&p->lock);
			atomic_store(&p->stop, true);
			pthread_cond_broadcast(&p->changed);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		/* a range is a search of its own: its DNs are checked once within it here, and
		 * across ranges by the merge, which names an overlap for what it is */
		kd_collect_forget_dns(w->conn);
		w->r = kd_ldap_search(w->conn, &s, keep_entry, &p->ranges[k], &w->err);
		pthread_mutex_lock(&p->lock);
		p->ranges[k].done = w->r == 0;
		if (w->r < 0)
			atomic_store(&p->stop, true);
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		if (w->r < 0)
			break;
	}
	return NULL;
}

/* Hands the domain search's entries that were not handed out yet to @fn, counting them. */
struct merge {
	struct kd_arena *keys;
	struct kd_hashtab seen;
	kd_ldap_entry_fn fn;
	void *ctx;
	size_t skipped;
	size_t handed;
};

static int
merge_entry(struct merge *m, const struct kd_entry *e, bool skip_seen, struct kd_error *err)
{
	int r = kd_ldap_seen_dn(&m->keys, &m->seen, e->dn);

	if (r < 0)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	if (r > 0 && skip_seen) {
		m->skipped++;
		return 0;
	}
	if (r > 0) {
		kd_error_set(err, KD_ERR_INCOMPLETE,
			     "the DC sent this entry in two uSNChanged ranges: its answers do "
			     "not partition the domain");
		kd_error_set_where(err, NULL, 0, e->dn, NULL);
		return KD_ERR_INCOMPLETE;
	}
	m->handed++;
	return m->fn(m->ctx, e, err);
}

/* The rootDSE's highestCommittedUSN, read again (@ctx: where it goes). */
static const char *const usn_attributes[] = {"highestcommittedusn", NULL};

static int
take_usn(void *ctx, const struct kd_entry *e, struct kd_error *err)
{
	const struct kd_value *v = kd_entry_value(e, "highestcommittedusn");

	if (!v || !kd_parse_size(v->data, v->len, ctx))
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "the rootDSE's highestCommittedUSN is gone or not a number");
	return 0;
}

/* What changed after the rootDSE was read: entries handed out already are skipped. */
static int
catch_up_entry(void *ctx, const struct kd_entry *e, struct kd_error *err)
{
	return merge_entry(ctx, e, true, err);
}

/*
 * The domain search split by uSNChanged over @c and its peers, then handed to @fn in
 * range order; then whatever changed meanwhile (uSNChanged above the rootDSE's value
 * read at bind) from @c. Why the catch-up: an object modified during the collection
 * leaves its range, perhaps for one already read; a single search would still have
 * returned it, so must this.
 */
static int
collect_parallel(struct kd_ldap *c, const char *stage, const char *domain_filter,
		 kd_ldap_entry_fn fn, void *ctx, struct kd_error *err)
{
	struct pool *p = calloc(1, sizeof(*p));
	struct merge m = {.fn = fn, .ctx = ctx};
	struct kd_entry_replay rp = {0};
	size_t started = 0, before = c->entries;
	char filter[FILTER_MAX];
	int r = 0;

	if (!p)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kd_hashtab_init(&m.seen);
	p->nworkers = 1 + c->npeers;
	p->nranges = RANGES_PER_CONNECTION * (unsigned)p->nworkers;
	p->base = c->base;
	p->stage = stage;
	p->filter = domain_filter;
	p->highest_usn = c->highest_usn;
	p->progress = c->progress;
	p->progress_ctx = c->progress_ctx;
	atomic_init(&p->next_range, 0);
	atomic_init(&p->read, 0);
	atomic_init(&p->stop, false);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	for (unsigned k = 0; k < RANGES_MAX; k++) {
		kd_entry_store_init(&p->ranges[k].store);
		p->ranges[k].read = &p->read;
	}
	for (size_t i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->workers[i];

		w->pool = p;
		w->conn = i ? c->peers[i - 1] : c;
		w->conn->shared_entries = &p->read;
		kd_error_clear(&w->err);
		if (p->progress) {
			w->conn->progress = pool_progress;
			w->conn->progress_ctx = w;
		}
	}
	for (size_t i = 0; i < p->nworkers; i++) {
		if (pthread_create(&p->workers[i].thread, NULL, work, &p->workers[i]) != 0) {
			atomic_store(&p->stop, true);
			r = kd_error_set(err, KD_ERR_NOMEM, "cannot start a thread for connection %zu",
					 i + 1);
			break;
		}
		started = i + 1;
	}
	/* This thread hands the ranges over in order as they are done, so that memory
	 * holds the ranges read ahead of the merge, not the domain. */
	for (unsigned k = 0; k < p->nranges && r == 0; k++) {
		bool ready;

		pthread_mutex_lock(&p->lock);
		while (!p->ranges[k].done && !atomic_load(&p->stop))
			pthread_cond_wait(&p->changed, &p->lock);
		ready = p->ranges[k].done;
		pthread_mutex_unlock(&p->lock);
		if (!ready)
			break;
		kd_entry_replay_start(&rp, &p->ranges[k].store);
		while (r == 0) {
			int more = kd_entry_replay_next(&rp);

			if (more < 0)
				r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
			if (more <= 0)
				break;
			r = merge_entry(&m, &rp.entry, false, err);
		}
		kd_entry_store_free(&p->ranges[k].store);
	}
	atomic_store(&p->stop, true);
	for (size_t i = 0; i < started; i++)
		pthread_join(p->workers[i].thread, NULL);
	for (size_t i = 0; i < p->nworkers; i++)
		p->workers[i].conn->shared_entries = NULL;
	for (size_t i = 1; i < p->nworkers; i++) {
		p->workers[i].conn->progress = p->progress;
		p->workers[i].conn->progress_ctx = p->progress_ctx;
		p->workers[i].entries = 0; /* counted in the first connection's from here */
	}
	/* a connection's failure is the run's (the first in connection order), before
	 * what the merge made of its absence */
	for (size_t i = 0; i < p->nworkers; i++) {
		if (p->workers[i].r < 0) {
			r = p->workers[i].r;
			*err = p->workers[i].err;
			if (i > 0) {
				size_t len = strlen(err->message);

				snprintf(err->message + len, sizeof(err->message) - len,
					 " (connection %zu of %zu)", i + 1, p->nworkers);
			}
			break;
		}
	}
	if (r < 0) {
		c->failed = true;
		if (!err->source[0])
			kd_error_set_where(err, c->uri, 0, NULL, NULL);
		goto out;
	}
	/* the first connection reads again what it handed out: its own check starts afresh */
	kd_collect_forget_dns(c);
	c->entries = before + m.handed;
	/* Nothing committed since the ranges' bound: nothing to catch up (a search costs
	 * the DC a scan; reading the rootDSE costs nothing). It is not an entry. */
	{
		const struct kd_ldap_search root = {
			.stage = "rootDSE", .base = "", .scope = LDAP_SCOPE_BASE,
			.filter = "(objectClass=*)", .attributes = usn_attributes,
		};
		size_t now = 0;

		c->progress = NULL;
		r = kd_ldap_search(c, &root, take_usn, &now, err);
		if (r < 0)
			goto out;
		c->progress = p->progress ? pool_progress : NULL;
		c->entries--;
		if (now == p->highest_usn)
			goto done;
	}
	if (snprintf(filter, sizeof(filter), "(&(uSNChanged>=%zu)%s)", p->highest_usn + 1,
		     domain_filter) >= (int)sizeof(filter)) {
		r = kd_error_set(err, KD_ERR_NOMEM, "the range filter is too long");
		goto out;
	}
	{
		struct kd_ldap_search s = {
			.stage = stage, .base = c->base, .scope = LDAP_SCOPE_SUBTREE,
			.filter = filter, .attributes = kd_directory_attributes,
			.paged = true, .sd_flags = true,
		};

		r = kd_ldap_search(c, &s, catch_up_entry, &m, err);
	}
	c->entries -= m.skipped;
done:
	c->progress = p->progress;
	c->progress_ctx = p->progress_ctx;
	if (r == 0 && p->progress) {
		struct kd_ldap_progress done = {stage, c->entries, p->pages_done, true};

		p->progress(p->progress_ctx, &done);
	}
out:
	c->progress = p->progress;
	c->progress_ctx = p->progress_ctx;
	for (unsigned k = 0; k < RANGES_MAX; k++)
		kd_entry_store_free(&p->ranges[k].store);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
	free(p);
	kd_entry_replay_free(&rp);
	kd_hashtab_free(&m.seen);
	kd_arena_free(m.keys);
	return r;
}

int
kd_collect_domain(struct kd_ldap *c, const char *stage, const char *domain_filter,
		  kd_ldap_entry_fn fn, void *ctx, struct kd_error *err)
{
	const struct kd_ldap_search s = {
		.stage = stage, .base = c->base, .scope = LDAP_SCOPE_SUBTREE,
		.filter = domain_filter, .attributes = kd_directory_attributes,
		.paged = true, .sd_flags = true,
	};

	if (c->failed)
		return kd_error_set(err, KD_ERR_USAGE, "the connection failed before");
	return c->npeers ? collect_parallel(c, stage, domain_filter, fn, ctx, err)
			 : kd_ldap_search(c, &s, fn, ctx, err);
}

int
kd_collect_config(struct kd_ldap *c, kd_ldap_entry_fn fn, void *ctx, struct kd_error *err)
{
	char *spn_base = config_dn(c, SPN_MAPPINGS_RDNS);
	char *partitions = config_dn(c, PARTITIONS_RDNS);
	struct kd_strbuf cross_ref;
	int r = 0;

	kd_strbuf_init(&cross_ref, SIZE_MAX);
	if (!spn_base || !partitions || cross_ref_filter(c, &cross_ref) < 0) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	{
		const struct kd_ldap_search searches[] = {
			{"spn-mappings", spn_base, LDAP_SCOPE_BASE, "(objectClass=*)",
			 spn_mapping_attributes, false, false},
			{"cross-ref", partitions, LDAP_SCOPE_ONELEVEL, kd_strbuf_str(&cross_ref),
			 cross_ref_attributes, false, false},
		};

		for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]) && r == 0; i++)
			r = kd_ldap_search(c, &searches[i], fn, ctx, err);
	}
out:
	free(spn_base);
	free(partitions);
	kd_strbuf_free(&cross_ref);
	return r;
}

int
kd_ldap_collect(struct kd_ldap *c, kd_ldap_entry_fn fn, void *ctx, struct kd_error *err)
{
	int r;

	if (!c || !fn)
		return kd_error_set(err, KD_ERR_USAGE, "kd_ldap_collect: no connection");
	if (c->failed)
		return kd_error_set(err, KD_ERR_USAGE,
				    "kd_ldap_collect: the connection failed before");
	r = kd_collect_domain(c, "accounts", kd_directory_filter, fn, ctx, err);
	if (r == 0)
		r = kd_collect_config(c, fn, ctx, err);
	return r;
}
