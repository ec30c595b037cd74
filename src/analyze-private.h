/* SPDX-License-Identifier: MIT */
/* What the audit's rule families share: the run's state and the finding builders. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/kdc.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/token.h"

/* Accounts named in one finding's details before the list is cut (with a count). */
#define LIST_MAX 50
#define HOLDERS_MAX 16

struct audit {
	const struct kd_directory *dir;
	const struct kd_domain *domain;
	struct kd_findings *out;
	size_t cap;
	struct kd_tokens *tokens;
	struct kd_kdc *kdc; /* every delegation decision is its */
	/* RBCD: each candidate's verdict on the current resource, decided once however
	 * many ACEs or groups name it; reset through @touched after each resource. */
	uint8_t *verdict; /* 1 + enum kd_verdict, one per principal; 0 not decided */
	uint32_t *touched;
	size_t ntouched, touched_cap;
	/* per group trustee: 1 + its unresolved members (0: not counted yet) */
	size_t *outside;
	/* rbcd-writable: the writers of each distinct (DACL, owner), computed once; most
	 * accounts of a domain share a handful of DACLs (rules-rbcd.c) */
	struct kd_hashtab writers_index; /* key in writers_keys -> index into writers_memo */
	struct kd_arena *writers_keys;
	struct writers_memo *writers_memo;
	size_t nwriters_memo, writers_memo_cap;
	bool failed; /* out of memory somewhere; reported once at the end */
};

/* ---- builders (analyze.c) ---- */

/* Names a SID: an account of the snapshot, a well-known principal, or unresolved. */
json_t *audit_sid_ref(const struct kd_directory *dir, const struct kd_sid *sid,
		      uint32_t *ret_index);
/* json_object_set_new / json_array_append_new that mark the audit failed on error. */
void audit_set(json_t *obj, const char *key, json_t *value, struct audit *a);
void audit_append(json_t *array, json_t *value, struct audit *a);
/* @text folded to ASCII lower case into @buf (canonical fingerprint parts). */
const char *audit_lower(const char *text, char *buf, size_t size);
/*
 * Adds a finding; takes ownership of @details, @message and @remediation (any of
 * which may be NULL after a failed allocation: the audit then fails as a whole).
 * @identity is the fingerprint's rule-specific part ("" when the account suffices).
 */
void audit_emit(struct audit *a, enum kd_rule_id rule, enum kd_severity severity,
		uint32_t principal, const char *identity, json_t *details, char *message,
		char *remediation);
/* The words for an account's kind. */
const char *audit_kind_word(const struct kd_principal *p);

/* ---- rule families: one call per account, or one per audit ---- */

/* rules-delegation.c */
void audit_rule_unconstrained(struct audit *a, uint32_t i, const struct kd_principal *p);
void audit_rule_constrained(struct audit *a, uint32_t i, const struct kd_principal *p);
void audit_rule_protocol_transition(struct audit *a, uint32_t i, const struct kd_principal *p);
void audit_rule_privileged_delegable(struct audit *a, uint32_t i, const struct kd_principal *p);
/* rules-rbcd.c */
bool audit_is_broad_sid(const struct kd_sid *sid);
void audit_rule_rbcd(struct audit *a, uint32_t i, const struct kd_principal *p);
void audit_rule_rbcd_writable(struct audit *a, uint32_t i, const struct kd_principal *p);
/* Releases what audit_rule_rbcd_writable() kept between accounts. */
void audit_writers_free(struct audit *a);
/* rules-spn.c */
void audit_rule_duplicate_spns(struct audit *a);
/* rules-chain.c: chains to tier 0 over the delegation graph, once per audit */
void audit_rule_delegation_chain(struct audit *a);
/* rules-domain.c */
void audit_rule_stale_admincount(struct audit *a, uint32_t i, const struct kd_principal *p);
void audit_rule_machine_account_quota(struct audit *a);
void audit_rule_trust_tgt_delegation(struct audit *a);
void audit_rule_unparseable(struct audit *a);
