/* SPDX-License-Identifier: MIT */
/* The collection plan: which of the domain's entries a live run asks the DC for. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kdeleg/error.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/strbuf.h"

enum kd_plan {
	/* the entries a finding can need, then look-ups until nothing is missing */
	KD_PLAN_TARGETED,
	/* every account, group, trust and the domain (kd_ldap_collect) */
	KD_PLAN_FULL,
};

/* "targeted", "full" */
const char *kd_plan_name(enum kd_plan plan);

/* What a collection did, for messages and the benchmark. */
struct kd_plan_stats {
	size_t entries;  /* handed to the callback */
	size_t rounds;   /* look-up rounds after the first search */
	size_t lookups;  /* values looked up (SIDs, DNs, primary groups, memberOf) */
	size_t skipped;  /* entries a look-up returned twice, handed once */
	/* the plan the entries came by: the one asked for, or KD_PLAN_FULL when the targeted
	 * plan found no domain SID; set before the first entry reaches the callback */
	enum kd_plan plan;
};

/*
 * Collects the domain over @conn as @plan says and hands each entry to @fn once, in the
 * caller's thread. KD_PLAN_TARGETED reads, in one search split over the connection's
 * peers, the entries that can carry a finding: holders of an SPN, computers (and so
 * DCs, MSAs and gMSAs), groups, delegation carriers and trust accounts by
 * userAccountControl bit, RBCD and constrained-delegation holders, adminCount and
 * sIDHistory holders, krbtgt, the domain and its trusts. Then it builds the model from
 * what it has and looks up, by objectSid, DN, primaryGroupID and memberOf, whatever the
 * model refers to and lacks - owners and trustees in the descriptors of accounts that take
 * service tickets, RBCD trustees and owners, DCSync holders, the members of every group
 * that reaches tier 0, of Protected Users and of RBCD trustee groups - round after round
 * until nothing is missing. Every search is ANDed with kd_directory_filter: the
 * targeted entries are a subset of a full collection's, and the findings are the same.
 * Look-ups go by the domain's SID: when neither the domain object nor an account gives
 * it, the full collection follows (stats->plan says so). Fails as kd_ldap_collect()
 * does; nothing reaches @fn before the look-ups end.
 * @stats may be NULL.
 */
int kd_plan_collect(struct kd_ldap *conn, enum kd_plan plan, kd_ldap_entry_fn fn, void *ctx,
		    struct kd_plan_stats *stats, struct kd_error *err);

/*
 * Appends "(@attribute=@value)" to @b with the value escaped (RFC 4515 3): NUL, '*',
 * '(', ')', '\' and control bytes as \XX, and every byte as \XX when @binary (a SID).
 * KD_ERR_NOMEM.
 */
int kd_plan_filter_term(struct kd_strbuf *b, const char *attribute, const void *value,
			size_t len, bool binary);
