/* SPDX-License-Identifier: MIT */
/* What the collector's searches (collect.c) offer the targeted plan (plan.c). */
#pragma once

#include <stddef.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/strbuf.h"

/*
 * The domain's entries that match @domain_filter (ANDed with nothing: give the whole
 * filter), with the model's attributes, owners and DACLs, paged; split by uSNChanged over
 * the connection's peers when it has any (kd_ldap_collect's rules). @stage names it in
 * progress and messages.
 */
int kd_collect_domain(struct kd_ldap *c, const char *stage, const char *domain_filter,
		      kd_ldap_entry_fn fn, void *ctx, struct kd_error *err);

/* sPNMappings and the domain's crossRef from the configuration partition. */
int kd_collect_config(struct kd_ldap *c, kd_ldap_entry_fn fn, void *ctx, struct kd_error *err);

/* Empties @c's record of the DNs it handed out (kd_ldap_search's once-a-DN check). */
void kd_collect_forget_dns(struct kd_ldap *c);

/* Entries kept in memory, laid out one after another in one buffer. */
struct kd_entry_store {
	struct kd_strbuf data;
	size_t count;
};

void kd_entry_store_init(struct kd_entry_store *st);
void kd_entry_store_free(struct kd_entry_store *st);
/* Copies @e in; KD_ERR_NOMEM. */
int kd_entry_store_put(struct kd_entry_store *st, const struct kd_entry *e);

/* Reading a store back, in the order kept: @entry points into the store, valid until
 * the next call; the arrays grow as needed. */
struct kd_entry_replay {
	const char *p, *end;
	struct kd_attr *attrs;
	size_t attrs_cap;
	struct kd_value *values;
	size_t values_cap;
	struct kd_entry entry;
};

void kd_entry_replay_start(struct kd_entry_replay *rp, const struct kd_entry_store *st);
/* 1 and the next entry in rp->entry, 0 at the end, KD_ERR_NOMEM. */
int kd_entry_replay_next(struct kd_entry_replay *rp);
void kd_entry_replay_free(struct kd_entry_replay *rp);
