/* SPDX-License-Identifier: MIT */
/* Internals shared by the connection (ldap-conn.c), the search (ldapsrc.c) and the
 * collection plan (collect.c). */
#pragma once

#include <ldap.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/arena.h"
#include "kdeleg/entry.h"
#include "kdeleg/error.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/mask.h"
#include "kdeleg/strbuf.h"

/* One entry in memory at a time; the LDIF reader refuses larger entries as well. */
#define KD_LDAP_ENTRY_MAX ((size_t)64 * 1024 * 1024)

/*
 * Every byte to and from the DC passes through the guard, an I/O layer kdeleg puts
 * on libldap's socket buffer just above the TCP one: it polls before each read and
 * write until @until, so that no wait outlasts kdeleg's own bounds whatever libldap
 * does above it (see ldap-conn.c).
 */
enum kd_ldap_tripped {
	KD_LDAP_TRIP_NONE,
	KD_LDAP_TRIP_WAIT,     /* the current wait's bound (--timeout) passed */
	KD_LDAP_TRIP_DEADLINE, /* the conversation's bound (--deadline) passed */
};

struct kd_ldap_guard {
	int64_t deadline;  /* CLOCK_MONOTONIC milliseconds: the whole conversation */
	int64_t until;     /* the current wait's end, never past @deadline */
	unsigned wait_s;   /* what @until was armed with, for messages */
	enum kd_ldap_tripped tripped;
};

/* An attribute of the entry being built; its name and values live in c->data. */
struct kd_ldap_battr {
	size_t name_off;
	size_t name_len;
	size_t nvalues;
	size_t fill;    /* next slot while laying out the handed-out values */
	bool pending;   /* ranged: values from walk.next_lo on are still to be fetched */
	struct kd_ldap_range_walk walk;
};

struct kd_ldap_bvalue {
	size_t attr;
	size_t off;
	size_t len;
};

struct kd_ldap {
	LDAP *ld;
	char *uri;
	char *base;
	char *config_nc;
	const char *mechanism;
	unsigned ssf;
	bool tls;
	unsigned connect_timeout;
	unsigned op_timeout;
	unsigned deadline_s;
	uint32_t page_size;
	uint32_t range_step;
	void (*progress)(void *ctx, const struct kd_ldap_progress *progress);
	void *progress_ctx;
	bool failed;
	struct kd_ldap_guard guard;
	/* from the rootDSE: the DC's NTDS settings object and its highest USN, which
	 * identify the DC the other connections must reach and bound uSNChanged */
	char *service_name;
	size_t highest_usn;
	bool has_usn;
	/* while connections share a search: the entries all of them read, which a
	 * failure names (NULL: this connection's own count) */
	const atomic_size_t *shared_entries;
	/* the other connections to the same DC (kd_ldap_options.connections - 1) */
	struct kd_ldap **peers;
	size_t npeers;
	/* the password's look-alikes, for masking the DC's text (NULL: no password) */
	struct kd_mask *mask;

	/* the entry being built */
	struct kd_strbuf data; /* DN, names and values, each NUL-terminated */
	struct kd_ldap_battr *attrs;
	size_t nattrs, attrs_cap;
	struct kd_ldap_bvalue *vals;
	size_t nvals, vals_cap;
	struct kd_attr *kattrs;
	size_t kattrs_cap;
	struct kd_value *kvalues;
	size_t kvalues_cap;
	struct kd_entry entry;

	/* DNs handed out so far, as digests: a repeated one fails the run */
	struct kd_arena *seen_keys;
	struct kd_hashtab seen;

	size_t entries;
};

/* Starts a wait of at most @seconds (capped by the deadline). */
void kd_ldap_arm(struct kd_ldap *c, unsigned seconds);

/*
 * The next message of request @msgid within the armed wait (kd_ldap_arm()), and its
 * type (> 0). On failure returns KD_ERR_INCOMPLETE with why it failed in @why (no
 * answer in time, the deadline, a message over the size limit, a lost connection)
 * and abandons the request where the connection still stands.
 */
int kd_ldap_next_message(struct kd_ldap *c, int msgid, LDAPMessage **ret_msg, char *why,
			 size_t size);

/* "Can't contact LDAP server (-1): <diagnostic>" for @rc, the DC's text masked; or, when the
 * guard stopped a read or write, why it did. */
void kd_ldap_reason(struct kd_ldap *c, int rc, char *buf, size_t size);

/* Copies DC-supplied @text into @buf with the password's look-alikes masked. */
void kd_ldap_dc_text(const struct kd_ldap *c, const char *text, char *buf, size_t size);

/* Masks the password's look-alikes in the message and entry of an error leaving us. */
void kd_ldap_mask_error(const struct kd_ldap *c, struct kd_error *err);

/* The result code libldap recorded for the last failed call, and resetting it. */
int kd_ldap_errno(LDAP *ld);
void kd_ldap_clear_errno(LDAP *ld);

/* Frees a NULL-terminated vector of malloc'd strings; NULL is a no-op. */
void kd_ldap_free_strv(char **v);

/*
 * One search (a row of the collection plan): from @base (a DN) with @scope and the
 * complete @filter (its values escaped by the caller, RFC 4515), keeping @attributes
 * only; @paged with the connection's page size (critical control), @sd_flags asks for
 * owner and DACL of nTSecurityDescriptor.
 */
struct kd_ldap_search {
	const char *stage; /* its name, for progress and messages */
	const char *base;
	int scope;
	const char *filter;
	const char *const *attributes; /* lower case, NULL-terminated */
	bool paged;
	bool sd_flags;
};

/*
 * Runs @search on @c, every entry through @fn, with every rule of kd_ldap_collect()
 * (kdeleg/ldapsrc.h): progress, DNs handed out once per connection, size caps, the
 * timeouts, the DC's text masked. The connection is not reusable after a failure.
 */
int kd_ldap_search(struct kd_ldap *c, const struct kd_ldap_search *search, kd_ldap_entry_fn fn,
		   void *ctx, struct kd_error *err);

/* Records @dn (case-insensitively, as a digest) in @seen, keys in *@keys (made when
 * NULL); 1 when it was there before, 0 when new, KD_ERR_NOMEM. */
int kd_ldap_seen_dn(struct kd_arena **keys, struct kd_hashtab *seen, const char *dn);
