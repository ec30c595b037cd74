/* SPDX-License-Identifier: MIT */
/* Rules on what an account may delegate: unconstrained, constrained, protocol transition, and who can be delegated. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/uac.h"

/* ---- what one account's SPNs reach (service-name substitution) ---- */

static json_t *
reach_of(struct audit *a, uint32_t holder, bool via_alias)
{
	const struct kd_principal *p = kd_directory_get(a->dir, holder);
	json_t *services = json_array();
	json_t *ref = kd_json_account(a->dir, holder);
	bool has_host = false;

	for (size_t i = 0; services && i < p->nspns && i < LIST_MAX; i++) {
		audit_append(services, kd_json_text(p->spns[i]), a);
		if (strncasecmp(p->spns[i], "host/", 5) == 0)
			has_host = true;
	}
	audit_set(ref, "services", services, a);
	audit_set(ref, "service_count", json_integer((json_int_t)p->nspns), a);
	audit_set(ref, "host_aliases", json_boolean(has_host), a);
	audit_set(ref, "via_host_alias", json_boolean(via_alias), a);
	if (p->tier0)
		audit_set(ref, "tier0_reason", kd_json_text(p->tier0_reason), a);
	return ref;
}

/* ---- unconstrained-delegation ---- */

void
audit_rule_unconstrained(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	char flags[512];
	json_t *details, *spns;
	char *quoted;

	/* Writable DCs need it; an RODC never has it by default, so it is reported. */
	if (!p->has_uac || !(p->uac & KD_UAC_TRUSTED_FOR_DELEGATION) || p->kind == KD_KIND_DC)
		return;
	spns = json_array();
	for (size_t k = 0; spns && k < p->nspns && k < LIST_MAX; k++)
		audit_append(spns, kd_json_text(p->spns[k]), a);
	details = json_pack("{s:I, s:s, s:o, s:b}", "user_account_control", (json_int_t)p->uac,
			    "user_account_control_flags", kd_uac_describe(p->uac, flags, sizeof(flags)),
			    "service_principal_names", spns ? spns : json_null(), "tier0", p->tier0);
	quoted = kd_ps_quote(p->dn);
	audit_emit(a, KD_RULE_UNCONSTRAINED_DELEGATION, p->enabled ? KD_SEV_CRITICAL : KD_SEV_MEDIUM, i, "",
	     details,
	     kd_format("%s %s is trusted for unconstrained delegation: it receives the TGT of every "
		    "delegable user who authenticates to it%s%s",
		    p->enabled ? "enabled" : "disabled", audit_kind_word(p),
		    p->nspns ? "" : " (no SPN registered: reachable once one is added)",
		    p->enabled ? "" : "; re-enabling the account restores the exposure"),
	     quoted ? kd_format("Set-ADAccountControl -Identity %s -TrustedForDelegation $false",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- constrained delegation, its targets, tier 0 and orphans ---- */

void
audit_rule_constrained(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	bool pt = p->has_uac && (p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION);
	json_t *targets = json_array(), *reach = json_array(), *tier0_targets = json_array();
	uint32_t *reached = NULL;
	size_t nreached = 0, ntier0 = 0, norphans = 0;
	char *quoted = kd_ps_quote(p->dn);

	if (p->ndelegate_to == 0) {
		json_decref(targets);
		json_decref(reach);
		json_decref(tier0_targets);
		free(quoted);
		return;
	}
	reached = calloc(p->ndelegate_to * HOLDERS_MAX, sizeof(*reached));
	if (!targets || !reach || !tier0_targets || !reached || !quoted) {
		a->failed = true;
		goto out;
	}
	for (size_t t = 0; t < p->ndelegate_to; t++) {
		const char *spn = p->delegate_to[t];
		uint32_t holders[HOLDERS_MAX];
		bool via_alias;
		size_t n = kd_directory_find_spn(a->dir, spn, holders, HOLDERS_MAX, &via_alias);
		json_t *target, *owners = json_array();
		bool to_tier0 = false;

		for (size_t h = 0; owners && h < n && h < HOLDERS_MAX; h++) {
			const struct kd_principal *o = kd_directory_get(a->dir, holders[h]);
			bool seen = false;

			audit_append(owners, kd_json_account(a->dir, holders[h]), a);
			to_tier0 |= o->tier0;
			for (size_t k = 0; k < nreached; k++)
				seen |= reached[k] == holders[h];
			if (!seen) {
				reached[nreached++] = holders[h];
				audit_append(reach, reach_of(a, holders[h], via_alias), a);
			}
		}
		target = json_pack("{s:o, s:s, s:o, s:b}", "spn", kd_json_text(spn), "status",
				   n == 0 ? "orphan" : n == 1 ? "resolved" : "ambiguous", "owners",
				   owners ? owners : json_null(), "via_host_alias", via_alias);
		audit_append(targets, target, a);
		if (to_tier0) {
			ntier0++;
			audit_append(tier0_targets, json_incref(target), a);
		}
		if (n == 0) {
			struct kd_spn parsed;
			bool valid = kd_spn_parse(spn, strlen(spn), &parsed, NULL) == 0;
			char *quoted_spn = kd_ps_quote(spn);
			char spn_lower[KD_SPN_MAX + 1];

			norphans++;
			audit_emit(a, KD_RULE_ORPHAN_DELEGATION_TARGET, KD_SEV_LOW, i,
			     audit_lower(spn, spn_lower, sizeof(spn_lower)),
			     json_pack("{s:o, s:b, s:b}", "spn", kd_json_text(spn), "valid_spn", valid,
				       "protocol_transition", pt),
			     kd_format("delegation target %s is registered on no account%s", spn,
				    valid ? "" : " (and is not a valid SPN)"),
			     quoted_spn ? kd_format("Set-ADObject -Identity %s -Remove "
						 "@{'msDS-AllowedToDelegateTo'=%s}",
						 quoted, quoted_spn)
					: NULL);
			free(quoted_spn);
		}
	}
	audit_emit(a, KD_RULE_CONSTRAINED_DELEGATION, KD_SEV_MEDIUM, i, "",
	     json_pack("{s:b, s:O, s:O, s:s}", "protocol_transition", pt, "targets", targets,
		       "reachable_accounts", reach, "note",
		       "service-name substitution: a ticket for one SPN of an account is "
		       "accepted by every service running as that account, so the reach is "
		       "every service of each owning account, not just the listed SPNs"),
	     kd_format("%s %s may delegate to %lu SPN%s owned by %zu account%s%s%s",
		    p->enabled ? "enabled" : "disabled", audit_kind_word(p),
		    (unsigned long)p->ndelegate_to,
		    p->ndelegate_to == 1 ? "" : "s", nreached, nreached == 1 ? "" : "s",
		    pt ? ", with protocol transition (any user, no ticket needed)" : "",
		    norphans ? "; some targets are registered nowhere" : ""),
	     kd_format("Set-ADObject -Identity %s -Remove @{'msDS-AllowedToDelegateTo'=@(<unneeded "
		    "SPNs>)}",
		    quoted));
	if (ntier0)
		audit_emit(a, KD_RULE_DELEGATION_TO_TIER0, KD_SEV_CRITICAL, i, "constrained",
		     json_pack("{s:s, s:b, s:O}", "delegation", "constrained",
			       "protocol_transition", pt, "targets", tier0_targets),
		     kd_format("%s may delegate to %zu SPN%s of tier-0 accounts%s", p->name, ntier0,
			    ntier0 == 1 ? "" : "s",
			    pt ? " and can impersonate any unprotected user there without a ticket"
			       : ""),
		     kd_format("Set-ADObject -Identity %s -Clear 'msDS-AllowedToDelegateTo'", quoted));
out:
	json_decref(targets);
	json_decref(reach);
	json_decref(tier0_targets);
	free(reached);
	free(quoted);
}

/* ---- protocol transition ---- */

void
audit_rule_protocol_transition(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	struct kd_decision self;
	char *quoted;
	enum kd_severity severity;

	if (!p->has_uac || !(p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION))
		return;
	/* Every RODC carries the flag by default (UAC 0x05001000); with targets,
	 * constrained-delegation reports them. A writable DC does not: someone set it. */
	if (p->kind == KD_KIND_RODC && !p->ndelegate_to)
		return;
	if (kd_kdc_s4u2self(a->kdc, i, KD_NONE, &self) < 0) {
		a->failed = true;
		return;
	}
	/* The flag only makes S4U2Self tickets forwardable, which classic delegation
	 * needs and RBCD does not (MS-SFU 3.2.5.2.3): without targets it adds nothing
	 * today, and it never adds anything toward RBCD resources. */
	severity = p->ndelegate_to ? KD_SEV_HIGH : p->kind == KD_KIND_DC ? KD_SEV_MEDIUM
									 : KD_SEV_LOW;
	if (!p->enabled && severity > KD_SEV_LOW)
		severity--;
	quoted = kd_ps_quote(p->dn);
	audit_emit(a, KD_RULE_PROTOCOL_TRANSITION, severity, i, "",
	     json_pack("{s:I, s:b, s:s}", "constrained_targets", (json_int_t)p->ndelegate_to,
		       "s4u2self_forwardable", self.forwardable, "note",
		       "RBCD accepts non-forwardable S4U2Self tickets: the flag matters for "
		       "classic targets only"),
	     p->ndelegate_to
		     ? kd_format("%s can impersonate any delegable user to its %lu delegation "
			      "target%s without the user's ticket",
			      p->name, (unsigned long)p->ndelegate_to, p->ndelegate_to == 1 ? "" : "s")
		     : kd_format("%s %s has protocol transition but no constrained targets: the flag "
			      "takes effect as soon as a target is added",
			      audit_kind_word(p), p->name),
	     quoted ? kd_format("Set-ADAccountControl -Identity %s -TrustedToAuthForDelegation $false",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- privileged accounts that can be delegated ---- */

void
audit_rule_privileged_delegable(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_domain *d = a->domain;
	bool level_known = d->has_functional_level;
	enum kd_severity severity = p->enabled ? KD_SEV_HIGH : KD_SEV_LOW;
	struct kd_decision decision;
	const char *protection;
	char *quoted;

	/* People and service accounts; machine accounts (DCs above all) are delegable by
	 * design and guarded by the delegation rules instead. */
	if (!p->tier0 || (p->kind != KD_KIND_USER && p->kind != KD_KIND_MSA &&
			  p->kind != KD_KIND_GMSA))
		return;
	/* Disabled accounts are reported too (low): re-enabling restores the exposure. */
	kd_kdc_protection(a->kdc, i, &decision);
	if (decision.verdict == KD_VERDICT_NO)
		return;
	if (decision.verdict == KD_VERDICT_UNCERTAIN) {
		severity = KD_SEV_LOW;
		protection = "member of Protected Users, which blocks delegation only at domain "
			     "functional level 2012 R2 or above; the snapshot has no "
			     "msDS-Behavior-Version to tell";
	} else if (p->protected_user) {
		protection = "member of Protected Users, but the domain functional level is below "
			     "2012 R2, where Protected Users does not block delegation";
	} else {
		protection = "not marked sensitive and not in Protected Users";
	}
	quoted = kd_ps_quote(p->dn);
	audit_emit(a, KD_RULE_PRIVILEGED_DELEGABLE, severity, i, "",
	     json_pack("{s:s, s:b, s:b, s:o, s:s}", "tier0_reason",
		       p->tier0_reason ? p->tier0_reason : "tier 0", "not_delegated", false,
		       "protected_users", p->protected_user, "domain_functional_level",
		       level_known ? json_integer(d->functional_level) : json_null(), "protection",
		       protection),
	     kd_format("%s (%s) can be impersonated through delegation: %s", p->name,
		    p->tier0_reason ? p->tier0_reason : "tier 0", protection),
	     quoted ? kd_format("Set-ADAccountControl -Identity %s -AccountNotDelegated $true", quoted)
		    : NULL);
	free(quoted);
}
