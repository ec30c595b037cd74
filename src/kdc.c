/* SPDX-License-Identifier: MIT */
/* The KDC's delegation decisions (MS-SFU 3.2.5), each with the steps that led to it. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/kdc.h"
#include "kdeleg/uac.h"

/* msDS-Behavior-Version of Windows Server 2012 R2: Protected Users' DC-side rules */
#define LEVEL_2012R2 6u

struct kd_kdc {
	const struct kd_directory *dir;
	struct kd_tokens *tokens;
};

const char *
kd_verdict_name(enum kd_verdict verdict)
{
	switch (verdict) {
	case KD_VERDICT_YES:
		return "yes";
	case KD_VERDICT_CONDITIONAL:
		return "conditional";
	case KD_VERDICT_UNCERTAIN:
		return "uncertain";
	default:
		return "no";
	}
}

int
kd_kdc_new(const struct kd_directory *dir, struct kd_tokens *tokens, struct kd_kdc **ret_kdc,
	   struct kd_error *err)
{
	struct kd_kdc *kdc = calloc(1, sizeof(*kdc));

	*ret_kdc = NULL;
	if (!kdc)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kdc->dir = dir;
	kdc->tokens = tokens;
	*ret_kdc = kdc;
	return 0;
}

void
kd_kdc_free(struct kd_kdc *kdc)
{
	free(kdc);
}

struct kd_tokens *
kd_kdc_tokens(struct kd_kdc *kdc)
{
	return kdc->tokens;
}

static void
decision_init(struct kd_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = KD_VERDICT_NO;
	d->ace = KD_NONE;
}

static struct kd_step *
step(struct kd_decision *d, const char *check, const char *read, enum kd_verdict outcome,
     uint32_t ace, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Records a step; past KD_STEPS_MAX the last one is overwritten with a note. */
static struct kd_step *
step(struct kd_decision *d, const char *check, const char *read, enum kd_verdict outcome,
     uint32_t ace, const char *fmt, ...)
{
	struct kd_step *s;
	va_list ap;

	if (d->nsteps == KD_STEPS_MAX) {
		s = &d->steps[KD_STEPS_MAX - 1];
		s->check = "more checks";
		s->read = NULL;
		s->outcome = outcome;
		s->ace = KD_NONE;
		s->error = NULL;
		snprintf(s->why, sizeof(s->why), "further steps are not listed");
		return s;
	}
	s = &d->steps[d->nsteps++];
	s->error = NULL;
	s->check = check;
	s->read = read;
	s->outcome = outcome;
	s->ace = ace;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return s;
}

/* A sub-decision's steps, in order, after @d's own (the last slot keeps the tail). */
static void
append_steps(struct kd_decision *d, const struct kd_decision *from)
{
	for (size_t k = 0; k < from->nsteps; k++)
		d->steps[d->nsteps < KD_STEPS_MAX ? d->nsteps++ : KD_STEPS_MAX - 1] =
			from->steps[k];
}

static enum kd_verdict
passed(bool ok)
{
	return ok ? KD_VERDICT_YES : KD_VERDICT_NO;
}

/* ---- the RBCD access check ---- */

enum kd_ace_role
kd_kdc_rbcd_ace_role(const struct kd_ace *ace, const char **ret_reason)
{
	if (!ace->known) {
		*ret_reason = "an ACE type this parser does not decode";
		return KD_ACE_ROLE_IGNORED;
	}
	if (ace->flags & KD_ACE_FLAG_INHERIT_ONLY) {
		*ret_reason = "inherit-only: applies to child objects, not this account";
		return KD_ACE_ROLE_IGNORED;
	}
	switch (ace->type) {
	case KD_ACE_ALLOWED_OBJECT:
	case KD_ACE_DENIED_OBJECT:
	case KD_ACE_ALLOWED_CALLBACK_OBJECT:
	case KD_ACE_DENIED_CALLBACK_OBJECT:
		/* sec_access_check_ds(sd, token, SEC_ADS_CONTROL_ACCESS, ..., NULL tree):
		 * object ACEs are skipped when there is no object tree, with or
		 * without an ObjectType. */
		*ret_reason = "object ACE: the KDC's check passes no object type, so object ACEs "
			      "take no part, with or without an ObjectType";
		return KD_ACE_ROLE_IGNORED;
	case KD_ACE_ALLOWED:
	case KD_ACE_DENIED:
	case KD_ACE_ALLOWED_CALLBACK:
	case KD_ACE_DENIED_CALLBACK:
		break;
	default:
		*ret_reason = "not an allow or deny ACE";
		return KD_ACE_ROLE_IGNORED;
	}
	/* Samba's comment: Windows writes GENERIC_ALL in the descriptors it makes for
	 * RBCD, but its KDC requires only CONTROL_ACCESS, and a stored generic right is
	 * not mapped at check time. */
	if (!(ace->mask & KD_RIGHT_DS_CONTROL_ACCESS)) {
		*ret_reason = "mask lacks control access (0x100), the one right the KDC checks";
		return KD_ACE_ROLE_IGNORED;
	}
	if (ace->type == KD_ACE_ALLOWED_CALLBACK) {
		*ret_reason = "conditional allow: grants only when its expression holds (claims, "
			      "device groups), which the directory cannot evaluate";
		return KD_ACE_ROLE_ALLOW_IF;
	}
	if (ace->type == KD_ACE_DENIED_CALLBACK) {
		*ret_reason = "conditional deny: denies only when its expression holds";
		return KD_ACE_ROLE_DENY_IF;
	}
	*ret_reason = ace->type == KD_ACE_ALLOWED ? "grants control access"
						  : "denies control access";
	return ace->type == KD_ACE_ALLOWED ? KD_ACE_ROLE_ALLOW : KD_ACE_ROLE_DENY;
}

/* Who is asking: a principal of the snapshot, or a SID alone. */
struct asker {
	uint32_t who;
	const struct kd_sid *sid;
};

static int
asker_has(struct kd_kdc *kdc, const struct asker *q, const struct kd_sid *sid,
	  const char **ret_why)
{
	if (q->who != KD_NONE)
		return kd_tokens_has(kdc->tokens, q->who, sid, ret_why);
	return kd_tokens_sid_has(kdc->tokens, q->sid, sid, ret_why);
}

/* "NAME, S-1-5-..." for a trustee the snapshot or the well-known table names, else the SID. */
static void
trustee_text(struct kd_kdc *kdc, const struct kd_sid *sid, char *buf, size_t size)
{
	uint32_t index = kd_directory_find_sid(kdc->dir, sid);
	const char *name = index != KD_NONE ? kd_directory_get(kdc->dir, index)->name
					    : kd_sid_wellknown_name(sid);
	char text[KD_SID_STRING_MAX];

	kd_sid_to_string(sid, text, sizeof(text));
	if (name)
		snprintf(buf, size, "%.256s, %s", name, text);
	else
		snprintf(buf, size, "%s", text);
}

static int
rbcd_check(struct kd_kdc *kdc, uint32_t resource, const struct asker *q, struct kd_decision *d)
{
	static const char attr[] = "msDS-AllowedToActOnBehalfOfOtherIdentity";
	const struct kd_principal *p = kd_directory_get(kdc->dir, resource);
	const struct kd_acl *dacl;
	enum kd_verdict outcome = KD_VERDICT_NO;
	bool flip_conditional = false, flip_uncertain = false;
	bool pending_allow = false, pending_deny = false, pending_cond = false;
	bool decided = false;

	switch (p->rbcd_state) {
	case KD_RBCD_NONE:
		step(d, "back end trusts front ends (RBCD)", attr, KD_VERDICT_NO, KD_NONE,
		     "%s has no msDS-AllowedToActOnBehalfOfOtherIdentity", p->name);
		d->verdict = KD_VERDICT_NO;
		return 0;
	case KD_RBCD_MALFORMED:
		step(d, "back end's descriptor unmarshals", attr, KD_VERDICT_NO, KD_NONE,
		     "the value on %s does not parse: the KDC fails closed (KDC_ERR_BADOPTION)",
		     p->name)->error = "KDC_ERR_BADOPTION";
		d->verdict = KD_VERDICT_NO;
		return 0;
	case KD_RBCD_NULL_DACL:
		step(d, "front end granted control access", attr, KD_VERDICT_YES, KD_NONE,
		     "the descriptor on %s has a NULL DACL, which grants everyone", p->name);
		d->verdict = KD_VERDICT_YES;
		d->mechanism = "resource-based";
		return 0;
	case KD_RBCD_PARSED:
		break;
	}
	dacl = &p->rbcd->dacl;
	for (size_t j = 0; j < dacl->count && !decided; j++) {
		const struct kd_ace *ace = &dacl->aces[j];
		const char *reason, *why = NULL;
		enum kd_ace_role role = kd_kdc_rbcd_ace_role(ace, &reason);
		char sid[KD_SID_STRING_MAX + 300];
		int has;

		if (role == KD_ACE_ROLE_IGNORED)
			continue;
		has = asker_has(kdc, q, &ace->sid, &why);
		if (has < 0)
			return has;
		if (has == KD_TOKEN_NO)
			continue;
		trustee_text(kdc, &ace->sid, sid, sizeof(sid));
		if (has == KD_TOKEN_UNCERTAIN || role == KD_ACE_ROLE_ALLOW_IF ||
		    role == KD_ACE_ROLE_DENY_IF) {
			bool allow = role == KD_ACE_ROLE_ALLOW || role == KD_ACE_ROLE_ALLOW_IF;
			enum kd_verdict o = has == KD_TOKEN_UNCERTAIN ? KD_VERDICT_UNCERTAIN
								      : KD_VERDICT_CONDITIONAL;

			pending_allow |= allow;
			pending_deny |= !allow;
			pending_cond |= o == KD_VERDICT_CONDITIONAL;
			step(d, "ACE matches the front end's token", attr, o, (uint32_t)j,
			     "ACE %zu (%s) %s: %s", j, sid, reason, why ? why : "may apply");
			continue;
		}
		decided = true;
		outcome = role == KD_ACE_ROLE_ALLOW ? KD_VERDICT_YES : KD_VERDICT_NO;
		d->ace = (uint32_t)j;
		step(d, "front end granted control access", attr, outcome, (uint32_t)j,
		     "ACE %zu (%s) %s%s%s: the first ACE matching the token decides", j, sid,
		     reason, why ? "; " : "", why ? why : "");
	}
	if (!decided)
		step(d, "front end granted control access", attr, KD_VERDICT_NO, KD_NONE,
		     "%s", dacl->count ? "no ACE grants control access to the front end's token"
				       : "the DACL is empty: it grants nobody");
	/* An earlier ACE that may or may not apply decides instead when it would say
	 * otherwise. */
	if ((outcome == KD_VERDICT_YES && pending_deny) ||
	    (outcome == KD_VERDICT_NO && pending_allow)) {
		flip_conditional = pending_cond;
		flip_uncertain = !pending_cond;
	}
	d->verdict = flip_conditional ? KD_VERDICT_CONDITIONAL
		     : flip_uncertain ? KD_VERDICT_UNCERTAIN
				      : outcome;
	if (d->verdict != KD_VERDICT_NO)
		d->mechanism = "resource-based";
	return 0;
}

int
kd_kdc_rbcd(struct kd_kdc *kdc, uint32_t resource, uint32_t frontend, struct kd_decision *ret)
{
	struct asker q = {.who = frontend, .sid = NULL};

	decision_init(ret);
	return rbcd_check(kdc, resource, &q, ret);
}

int
kd_kdc_rbcd_sid(struct kd_kdc *kdc, uint32_t resource, const struct kd_sid *frontend,
		struct kd_decision *ret)
{
	struct asker q = {.who = KD_NONE, .sid = frontend};

	decision_init(ret);
	return rbcd_check(kdc, resource, &q, ret);
}

/* ---- users, S4U2Self, S4U2Proxy ---- */

/* The user's own protections; @check_enabled adds the account state first. */
static void
delegable(struct kd_kdc *kdc, uint32_t user, bool check_enabled, struct kd_decision *d)
{
	static const char uac[] = "userAccountControl";
	const struct kd_principal *u = kd_directory_get(kdc->dir, user);
	const struct kd_domain *domain = kd_directory_domain(kdc->dir);

	d->verdict = KD_VERDICT_YES;
	if (!u) {
		step(d, "user can be delegated", NULL, KD_VERDICT_YES, KD_NONE,
		     "an ordinary user: not sensitive, not in Protected Users");
		return;
	}
	if (check_enabled && !u->enabled) {
		step(d, "user account enabled", uac, KD_VERDICT_NO, KD_NONE,
		     "%s is disabled: the KDC issues no ticket for it", u->name)
			->error = "KDC_ERR_CLIENT_REVOKED (0xC0000072, STATUS_ACCOUNT_DISABLED)";
		d->verdict = KD_VERDICT_NO;
		return;
	}
	if (u->has_uac && (u->uac & KD_UAC_NOT_DELEGATED)) {
		step(d, "user not marked sensitive", uac, KD_VERDICT_NO, KD_NONE,
		     "%s has NOT_DELEGATED (0x100000): its tickets are never forwardable",
		     u->name)->error = "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)";
		d->verdict = KD_VERDICT_NO;
		return;
	}
	step(d, "user not marked sensitive", uac, KD_VERDICT_YES, KD_NONE,
	     "%s does not have NOT_DELEGATED", u->name);
	if (!u->protected_user)
		return;
	if (!domain->has_functional_level) {
		step(d, "user not protected by Protected Users", "msDS-Behavior-Version",
		     KD_VERDICT_UNCERTAIN, KD_NONE,
		     "%s is in Protected Users, which blocks delegation only at domain "
		     "functional level 2012 R2 or above; the level was not read",
		     u->name);
		d->verdict = KD_VERDICT_UNCERTAIN;
	} else if (domain->functional_level >= LEVEL_2012R2) {
		step(d, "user not protected by Protected Users", "member", KD_VERDICT_NO, KD_NONE,
		     "%s is in Protected Users at functional level %u: it cannot be delegated",
		     u->name, (unsigned)domain->functional_level)
			->error = "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)";
		d->verdict = KD_VERDICT_NO;
	} else {
		step(d, "user not protected by Protected Users", "msDS-Behavior-Version",
		     KD_VERDICT_YES, KD_NONE,
		     "%s is in Protected Users, but at functional level %u (below 2012 R2) "
		     "membership does not block delegation",
		     u->name, (unsigned)domain->functional_level);
	}
}

int
kd_kdc_delegable(struct kd_kdc *kdc, uint32_t user, struct kd_decision *ret)
{
	decision_init(ret);
	delegable(kdc, user, true, ret);
	return 0;
}

int
kd_kdc_protection(struct kd_kdc *kdc, uint32_t user, struct kd_decision *ret)
{
	decision_init(ret);
	delegable(kdc, user, false, ret);
	return 0;
}

static bool
frontend_usable(struct kd_kdc *kdc, const struct kd_principal *f, struct kd_decision *d)
{
	step(d, "front end enabled", "userAccountControl", passed(f->enabled), KD_NONE,
	     f->enabled ? "%s is enabled" : "%s is disabled: it gets no TGT to ask with",
	     f->name)->error = f->enabled ? NULL : "KDC_ERR_CLIENT_REVOKED";
	return f->enabled;
}

/* What both S4U exchanges check first: the front end can ask, and who the user is.
 * False when the front end cannot ask at all. */
static bool
s4u_start(struct kd_kdc *kdc, const struct kd_principal *f, uint32_t user,
	  struct kd_decision *ret, struct kd_decision *who)
{
	decision_init(ret);
	if (!frontend_usable(kdc, f, ret))
		return false;
	decision_init(who);
	delegable(kdc, user, true, who);
	append_steps(ret, who);
	return true;
}

int
kd_kdc_s4u2self(struct kd_kdc *kdc, uint32_t frontend, uint32_t user, struct kd_decision *ret)
{
	const struct kd_principal *f = kd_directory_get(kdc->dir, frontend);
	bool pt = f->has_uac && (f->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION);
	struct kd_decision who;

	if (!s4u_start(kdc, f, user, ret, &who))
		return 0;
	if (user != KD_NONE && !kd_directory_get(kdc->dir, user)->enabled) {
		ret->verdict = KD_VERDICT_NO;
		return 0;
	}
	ret->verdict = KD_VERDICT_YES;
	if (who.verdict == KD_VERDICT_NO) {
		ret->forwardable = false;
		step(ret, "S4U2Self ticket forwardable", "userAccountControl", KD_VERDICT_NO,
		     KD_NONE, "the user cannot be delegated: the ticket is not forwardable");
		return 0;
	}
	/* MS-SFU 3.2.5.1.2 */
	if (pt) {
		ret->forwardable = true;
		step(ret, "S4U2Self ticket forwardable", "userAccountControl", KD_VERDICT_YES,
		     KD_NONE, "%s has TRUSTED_TO_AUTH_FOR_DELEGATION (protocol transition)",
		     f->name);
	} else if (f->ndelegate_to == 0) {
		ret->forwardable = true;
		step(ret, "S4U2Self ticket forwardable", "msDS-AllowedToDelegateTo",
		     KD_VERDICT_YES, KD_NONE,
		     "%s has neither protocol transition nor classic targets: the ticket is "
		     "forwardable but classic delegation has nothing to use it for",
		     f->name);
	} else {
		ret->forwardable = false;
		step(ret, "S4U2Self ticket forwardable", "userAccountControl", KD_VERDICT_NO,
		     KD_NONE,
		     "%s has classic targets without TRUSTED_TO_AUTH_FOR_DELEGATION: the "
		     "ticket is not forwardable (RBCD accepts it anyway)",
		     f->name);
	}
	if (who.verdict == KD_VERDICT_UNCERTAIN)
		ret->verdict = KD_VERDICT_UNCERTAIN;
	return 0;
}

int
kd_kdc_s4u2proxy(struct kd_kdc *kdc, uint32_t frontend, uint32_t user, const char *spn,
		 bool forwardable_evidence, struct kd_decision *ret)
{
	static const char a2d[] = "msDS-AllowedToDelegateTo";
	const struct kd_principal *f = kd_directory_get(kdc->dir, frontend);
	struct kd_decision who, rbcd;
	uint32_t holders[4];
	bool via_alias = false, listed = false;
	size_t nholders;
	int r;

	if (!s4u_start(kdc, f, user, ret, &who))
		return 0;
	if (who.verdict == KD_VERDICT_NO) {
		ret->verdict = KD_VERDICT_NO;
		return 0;
	}
	nholders = kd_directory_find_spn(kdc->dir, spn, holders, 4, &via_alias);
	if (nholders == 0) {
		step(ret, "target SPN registered", "servicePrincipalName", KD_VERDICT_NO, KD_NONE,
		     "%s is registered on no account (KDC_ERR_S_PRINCIPAL_UNKNOWN)", spn)
			->error = "0xC0000064 (KDC_ERR_S_PRINCIPAL_UNKNOWN); clients fall back to NTLM";
		return 0;
	}
	step(ret, "target SPN registered", "servicePrincipalName",
	     nholders == 1 ? KD_VERDICT_YES : KD_VERDICT_UNCERTAIN, KD_NONE,
	     nholders == 1 ? "%s belongs to %s%s"
			   : "%s is registered on %s and others: the KDC may pick either%s",
	     spn, kd_directory_get(kdc->dir, holders[0])->name,
	     via_alias ? " (through its HOST SPN)" : "")
		->error = nholders == 1 ? NULL : "KDC_ERR_PRINCIPAL_NOT_UNIQUE (KDC event 11)";
	/* classic first (MS-SFU 3.2.5.2.1) */
	for (uint32_t k = 0; k < f->ndelegate_to && !listed; k++)
		listed = strcasecmp(f->delegate_to[k], spn) == 0;
	if (f->ndelegate_to == 0) {
		step(ret, "classic: SPN in the front end's targets", a2d, KD_VERDICT_NO, KD_NONE,
		     "%s has no classic targets (KDC_ERR_BADOPTION, STATUS_NOT_SUPPORTED); the "
		     "KDC tries RBCD",
		     f->name)->error = "KDC_ERR_BADOPTION (STATUS_NOT_SUPPORTED)";
	} else if (!listed) {
		step(ret, "classic: SPN in the front end's targets", a2d, KD_VERDICT_NO, KD_NONE,
		     "%s is not in %s's msDS-AllowedToDelegateTo (0xC000015B, STATUS_NO_MATCH); "
		     "the KDC tries RBCD",
		     spn, f->name)->error = "0xC000015B (KDC_ERR_BADOPTION, STATUS_NO_MATCH)";
	} else if (!forwardable_evidence) {
		step(ret, "classic: evidence ticket forwardable", a2d, KD_VERDICT_NO, KD_NONE,
		     "%s is listed but the evidence ticket is not forwardable "
		     "(KDC_ERR_BADOPTION); the KDC tries RBCD",
		     spn)->error = "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)";
	} else {
		step(ret, "classic: SPN in the front end's targets", a2d, KD_VERDICT_YES, KD_NONE,
		     "%s is in %s's msDS-AllowedToDelegateTo and the evidence is forwardable",
		     spn, f->name);
		/* two holders of the SPN: the KDC may use either key */
		ret->verdict = who.verdict == KD_VERDICT_UNCERTAIN || nholders > 1
				       ? KD_VERDICT_UNCERTAIN
				       : KD_VERDICT_YES;
		ret->mechanism = "classic";
		return 0;
	}
	/* then RBCD on the back end (MS-SFU 3.2.5.2.3): the evidence need not be
	 * forwardable */
	decision_init(&rbcd);
	if ((r = kd_kdc_rbcd(kdc, holders[0], frontend, &rbcd)) < 0)
		return r;
	append_steps(ret, &rbcd);
	ret->ace = rbcd.ace;
	ret->verdict = rbcd.verdict;
	if (rbcd.verdict == KD_VERDICT_YES && (who.verdict == KD_VERDICT_UNCERTAIN ||
					       nholders > 1))
		ret->verdict = KD_VERDICT_UNCERTAIN;
	if (rbcd.verdict != KD_VERDICT_NO)
		ret->mechanism = "resource-based";
	else
		step(ret, "resource-based: access check", "msDS-AllowedToActOnBehalfOfOtherIdentity",
		     KD_VERDICT_NO, KD_NONE,
		     "RBCD refuses too (KDC_ERR_BADOPTION, STATUS_NOT_FOUND)")
			->error = "KDC_ERR_BADOPTION (STATUS_NOT_FOUND)";
	return 0;
}
