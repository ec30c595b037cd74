/* SPDX-License-Identifier: MIT */
/* Domain-wide rules: the machine account quota, trusts, stale adminCount, values that do not parse. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/uac.h"

void
audit_rule_machine_account_quota(struct audit *a)
{
	const struct kd_domain *d = a->domain;
	char *quoted;

	if (!d->has_machine_quota || d->machine_quota <= 0)
		return;
	quoted = kd_ps_quote(d->dn ? d->dn : "");
	audit_emit(a, KD_RULE_MACHINE_ACCOUNT_QUOTA, KD_SEV_MEDIUM, KD_NONE, "",
	     json_pack("{s:I}", "machine_account_quota", (json_int_t)d->machine_quota),
	     kd_format("ms-DS-MachineAccountQuota is %lld: every authenticated user can create up "
		    "to %lld computer accounts, each an SPN-holding front end for any RBCD they "
		    "can write or that trusts Domain Computers",
		    (long long)d->machine_quota, (long long)d->machine_quota),
	     quoted ? kd_format("Set-ADObject -Identity %s -Replace @{'ms-DS-MachineAccountQuota'=0}",
			     quoted)
		    : NULL);
	free(quoted);
}

void
audit_rule_trust_tgt_delegation(struct audit *a)
{
	const struct kd_trust *trusts;
	size_t ntrusts = kd_directory_trusts(a->dir, &trusts);
	size_t unconstrained = 0;

	for (size_t i = 0; i < kd_directory_count(a->dir); i++) {
		const struct kd_principal *p = kd_directory_get(a->dir, (uint32_t)i);

		unconstrained += p->enabled && p->has_uac &&
				 (p->uac & KD_UAC_TRUSTED_FOR_DELEGATION);
	}
	for (size_t k = 0; k < ntrusts; k++) {
		const struct kd_trust *t = &trusts[k];
		char identity[512];
		char *partner;

		if (!t->has_attributes ||
		    !(t->attributes & KD_TRUST_ATTR_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION))
			continue;
		audit_lower(t->partner ? t->partner : t->dn, identity, sizeof(identity));
		partner = kd_ps_quote(t->partner ? t->partner : t->dn);
		audit_emit(a, KD_RULE_TRUST_TGT_DELEGATION, KD_SEV_HIGH, KD_NONE, identity,
		     json_pack("{s:o, s:o, s:I, s:o, s:o, s:I}", "partner", kd_json_text(t->partner),
			       "trust_dn", kd_json_text(t->dn), "trust_attributes",
			       (json_int_t)t->attributes, "trust_direction",
			       t->has_direction ? json_integer(t->direction) : json_null(),
			       "trust_type", t->has_type ? json_integer(t->type) : json_null(),
			       "unconstrained_accounts", (json_int_t)unconstrained),
		     kd_format("the trust with %s allows TGT delegation "
			    "(CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION): TGTs cross the forest "
			    "boundary to the %zu enabled account%s with unconstrained delegation, "
			    "domain controllers included",
			    t->partner ? t->partner : t->dn, unconstrained,
			    unconstrained == 1 ? "" : "s"),
		     partner ? kd_format("netdom trust <this domain> /domain:%s /EnableTgtDelegation:No",
				      partner)
			     : NULL);
		free(partner);
	}
}

/* adminCount=1 stays after an account leaves the protected groups (SDProp never
 * clears it): a hint worth cleaning, not privilege. */
void
audit_rule_stale_admincount(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	char *quoted;

	if (!p->admin_count || p->tier0 || p->kind == KD_KIND_GROUP ||
	    p->kind == KD_KIND_FOREIGN)
		return;
	quoted = kd_ps_quote(p->dn);
	audit_emit(a, KD_RULE_STALE_ADMINCOUNT, KD_SEV_INFO, i, "",
	     json_pack("{s:b}", "admin_count", true),
	     kd_format("%s has adminCount=1 but no current privileged membership: the mark "
		    "(and the inheritance SDProp disabled) outlived the membership",
		    p->name),
	     quoted ? kd_format("Set-ADObject -Identity %s -Clear adminCount  # and re-enable "
			     "inheritance on its ACL",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- values that did not parse ---- */

void
audit_rule_unparseable(struct audit *a)
{
	const struct kd_bad_value *bad;
	size_t n = kd_directory_bad_values(a->dir, &bad);

	for (size_t k = 0; k < n; k++) {
		const struct kd_bad_value *b = &bad[k];
		const struct kd_principal *p = kd_directory_get(a->dir, b->principal);
		bool rbcd = strcmp(b->attribute, "msDS-AllowedToActOnBehalfOfOtherIdentity") == 0;
		const char *dn = p ? p->dn : a->domain->dn ? a->domain->dn : "";
		char *quoted = kd_ps_quote(dn);
		char attr_lower[64];
		json_t *details;

		details = json_pack("{s:s, s:o, s:o, s:o}", "attribute", b->attribute, "offset",
				    b->has_offset ? json_integer((json_int_t)b->offset) : json_null(),
				    "reason", kd_json_text(b->reason), "entry", kd_json_text(dn));
		if (details && rbcd)
			audit_set(details, "note",
				json_string("the KDC fails closed on a descriptor it cannot "
					    "unmarshal: RBCD to this account is refused until the "
					    "value is rewritten"),
				a);
		audit_emit(a, KD_RULE_UNPARSEABLE_ATTRIBUTE, KD_SEV_MEDIUM, b->principal,
		     audit_lower(b->attribute, attr_lower, sizeof(attr_lower)), details,
		     b->has_offset ? kd_format("%s does not parse at byte %zu: %s", b->attribute,
					    b->offset, b->reason)
				   : kd_format("%s does not parse: %s", b->attribute, b->reason),
		     quoted ? kd_format("Get-ADObject -Identity %s -Properties '%s'  # inspect, then "
				     "rewrite or clear the value",
				     quoted, b->attribute)
			    : NULL);
		free(quoted);
	}
}
