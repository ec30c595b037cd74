/* SPDX-License-Identifier: MIT */
/* The rule catalogue and the audit: a finished directory in, findings out. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/directory.h"
#include "kdeleg/error.h"

struct kd_acceptance;

enum kd_severity {
	KD_SEV_INFO = 0,
	KD_SEV_LOW = 1,
	KD_SEV_MEDIUM = 2,
	KD_SEV_HIGH = 3,
	KD_SEV_CRITICAL = 4
};
#define KD_SEV_COUNT 5

const char *kd_severity_name(enum kd_severity severity);
/* Parses "info".."critical" (case-insensitive); false when unknown. */
bool kd_severity_parse(const char *text, enum kd_severity *ret_severity);

/* The rules, in catalogue (and report) order: an index, never a look-up that can fail. */
enum kd_rule_id {
	KD_RULE_UNCONSTRAINED_DELEGATION,
	KD_RULE_CONSTRAINED_DELEGATION,
	KD_RULE_PROTOCOL_TRANSITION,
	KD_RULE_RESOURCE_BASED_DELEGATION,
	KD_RULE_RBCD_BROAD_TRUSTEE,
	KD_RULE_DELEGATION_TO_TIER0,
	KD_RULE_DELEGATION_CHAIN,
	KD_RULE_DUPLICATE_SPN,
	KD_RULE_ORPHAN_DELEGATION_TARGET,
	KD_RULE_PRIVILEGED_DELEGABLE,
	KD_RULE_RBCD_WRITABLE,
	KD_RULE_MACHINE_ACCOUNT_QUOTA,
	KD_RULE_TRUST_TGT_DELEGATION,
	KD_RULE_STALE_ADMINCOUNT,
	KD_RULE_UNPARSEABLE_ATTRIBUTE,
	KD_RULE_COUNT
};

#define KD_RULE_ATTACK_MAX 5
#define KD_RULE_TACTICS_MAX 3
#define KD_RULE_REFERENCES_MAX 4

/* One entry of the catalogue; docs/rules.md is generated from the same table. */
struct kd_rule {
	const char *id;
	enum kd_severity severity; /* the usual severity; a finding may lower or raise it */
	const char *title;
	const char *meaning;     /* what the finding says about the directory */
	const char *why;         /* why it matters */
	const char *fix;         /* how to fix it, in words */
	/* MITRE ATT&CK technique and sub-technique ids ("T1550.003"), then NULLs */
	const char *attack[KD_RULE_ATTACK_MAX];
	/* the ATT&CK tactics a finding serves ("TA0004"), then NULLs */
	const char *tactics[KD_RULE_TACTICS_MAX];
	const char *reference;  /* one https:// URL that explains the rule (ECS rule.reference) */
	/* further sources (spec sections, KB articles, URLs), then NULLs */
	const char *references[KD_RULE_REFERENCES_MAX];
};

/*
 * An ATT&CK technique, sub-technique or tactic id's name ("Pass the Ticket"), NULL
 * when the catalogue does not know it; kd_attack_url writes its attack.mitre.org
 * page to @buf (false when @id is not an id or @size is too small).
 */
const char *kd_attack_name(const char *id);
bool kd_attack_url(const char *id, char *buf, size_t size);

/* The catalogue, in report order (KD_RULE_COUNT entries, indexed by enum kd_rule_id). */
size_t kd_rules(const struct kd_rule **ret_rules);
const struct kd_rule *kd_rule_get(enum kd_rule_id id);
/* By its text id (from a baseline or the command line); NULL when unknown. */
const struct kd_rule *kd_rule_find(const char *id);

/* 128 bits of SHA-256 in hex, and the NUL */
#define KD_FINGERPRINT_SIZE 33

/* Where a finding stands against a baseline report (--baseline, kdeleg diff). */
enum kd_baseline_mark {
	KD_MARK_NONE,     /* no baseline given */
	KD_MARK_NEW,      /* not in the baseline */
	KD_MARK_UNCHANGED /* in the baseline with the same fingerprint */
};

struct kd_finding {
	const struct kd_rule *rule;
	enum kd_severity severity;
	uint32_t principal;  /* the account it is about, or KD_NONE (domain-wide) */
	char *message;       /* one line of evidence for people, owned */
	char *remediation;   /* the command that fixes it, owned */
	json_t *details;     /* structured evidence, owned (one reference) */
	/* Stable identity: rule, domain SID, account SID (else DN) and the rule's own
	 * key (an SPN, an attribute...). Same across runs, orderings and live vs snapshot. */
	char fingerprint[KD_FINGERPRINT_SIZE];
	enum kd_baseline_mark baseline;
	/* --accept: the entry that accepts it (owned by the kd_accept), else NULL */
	const struct kd_acceptance *acceptance;
};

struct kd_findings {
	size_t count;
	struct kd_finding *items; /* sorted: severity desc, rule, account name, message */
	size_t by_severity[KD_SEV_COUNT];
};

/* A JSON string for directory text (invalid UTF-8 escaped); NULL gives null. New reference. */
json_t *kd_json_text(const char *text);
/*
 * {name, dn, sid, kind, enabled, tier0} for principal @index; for KD_NONE, the
 * domain object (kind "domain"). New reference, NULL on ENOMEM.
 */
json_t *kd_json_account(const struct kd_directory *dir, uint32_t index);

/*
 * Runs every rule over @dir (finished). On success *ret holds the findings; free
 * with kd_findings_free(). Fails only on memory.
 */
int kd_analyze(const struct kd_directory *dir, struct kd_findings *ret, struct kd_error *err);
void kd_findings_free(struct kd_findings *findings);
/*
 * One finding per configuration: where several rules report one delegation setting
 * of one account (an RBCD descriptor granting Authenticated Users on a DC is
 * resource-based-delegation, rbcd-broad-trustee, delegation-to-tier0 and a one-hop
 * delegation-chain), keeps the most severe, most telling one and moves the others
 * into its details as "also": [{rule, severity, fingerprint, account, message,
 * details}], each as the finding was.
 * Keeps the order. On ENOMEM fails and frees @findings.
 */
int kd_findings_fold(const struct kd_directory *dir, struct kd_findings *findings,
		     struct kd_error *err);
/*
 * What the audit could not evaluate because the snapshot lacked the data (see
 * kd_directory_coverage()): up to @max static sentences into @ret, the count
 * returned. A report shows them so that "no finding" never reads as "nothing
 * there" when the data was missing.
 */
#define KD_GAPS_MAX 8
size_t kd_analyze_gaps(const struct kd_directory *dir, const char **ret, size_t max);

/* --rule: drops (and frees) the findings of rules whose @keep flag (KD_RULE_COUNT of
 * them, by enum kd_rule_id) is false, keeping the order; returns how many. */
size_t kd_findings_keep_rules(struct kd_findings *findings, const bool keep[KD_RULE_COUNT]);

/* Drops (and frees) the findings below @min, keeping the order; returns how many. */
size_t kd_findings_filter(struct kd_findings *findings, enum kd_severity min);
