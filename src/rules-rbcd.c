/* SPDX-License-Identifier: MIT */
/* Rules on resource-based delegation: what descriptors grant (decided by the KDC model) and who can write them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/access.h"
#include "kdeleg/arena.h"
#include "kdeleg/strbuf.h"

/* ---- resource-based constrained delegation, decided by the KDC model ---- */

/*
 * SIDs that nearly every front end's token carries, or groups nearly every account
 * is in: reported as "broad" rather than expanded member by member. Whether each
 * really grants is still the KDC model's answer (S-1-18-2 and This Organization
 * are not here: the first matches nobody, the second is uncertain).
 */
bool
audit_is_broad_sid(const struct kd_sid *sid)
{
	static const char *const broad[] = {
		"S-1-1-0",      /* Everyone */
		"S-1-5-11",     /* Authenticated Users */
		"S-1-5-2",      /* Network */
		"S-1-18-1",     /* Authentication authority asserted identity */
		"S-1-5-32-545", /* Users */
		"S-1-5-32-554", /* Pre-Windows 2000 Compatible Access */
	};
	char text[KD_SID_STRING_MAX];
	uint32_t rid = kd_sid_rid(sid);

	kd_sid_to_string(sid, text, sizeof(text));
	for (size_t i = 0; i < sizeof(broad) / sizeof(*broad); i++)
		if (strcmp(text, broad[i]) == 0)
			return true;
	/* Domain Users, Domain Guests, Domain Computers of this or any domain */
	return (rid == 513 || rid == 514 || rid == 515) && sid->count == 5 &&
	       sid->authority == 5 && sid->sub[0] == 21;
}

enum ace_class {
	ACE_EFFECTIVE,
	ACE_INERT,
	ACE_DENIED,
	ACE_INHERIT_ONLY,
	ACE_DENY,
	ACE_CONDITIONAL,
	ACE_UNCERTAIN,
	ACE_NO_MATCH,
};

static const char *const ace_class_names[] = {
	"effective", "inert", "denied", "inherit-only", "deny", "conditional", "uncertain",
	"matches-nobody",
};

static bool
push_index(uint32_t **array, size_t *count, size_t *cap, uint32_t value)
{
	if (!kd_grow_array((void **)array, cap, *count, sizeof(**array), 16))
		return false;
	(*array)[(*count)++] = value;
	return true;
}

/* Principals the resource's descriptor grants, and those it may grant. */
struct grant {
	uint32_t who, ace; /* a front end and the ACE that decided its grant */
};

struct grants {
	struct grant *yes; /* granted, in the order first decided */
	size_t nyes, yes_cap;
	uint32_t *maybe;   /* conditional or uncertain */
	bool any_uncertain; /* a grant Samba's KDC makes and Windows' may not */
	size_t nmaybe, maybe_cap;
};

/*
 * The KDC's verdict for front end @who on @resource, decided once per resource
 * however many ACEs or groups name it. Returns the verdict, or KD_ERR_NOMEM.
 */
static int
decided(struct audit *a, uint32_t resource, uint32_t who, struct grants *g)
{
	struct kd_decision d;
	bool ok;

	if (a->verdict[who])
		return a->verdict[who] - 1;
	if (kd_kdc_rbcd(a->kdc, resource, who, &d) < 0 ||
	    !push_index(&a->touched, &a->ntouched, &a->touched_cap, who))
		return KD_ERR_NOMEM;
	a->verdict[who] = (uint8_t)(d.verdict + 1);
	if (d.verdict == KD_VERDICT_YES) {
		ok = kd_grow_array((void **)&g->yes, &g->yes_cap, g->nyes, sizeof(*g->yes), 16);
		if (ok)
			g->yes[g->nyes++] = (struct grant){.who = who, .ace = d.ace};
	} else if (d.verdict != KD_VERDICT_NO) {
		g->any_uncertain |= d.verdict == KD_VERDICT_UNCERTAIN;
		ok = push_index(&g->maybe, &g->nmaybe, &g->maybe_cap, who);
	} else {
		ok = true;
	}
	return ok ? (int)d.verdict : KD_ERR_NOMEM;
}

/* Nested groups walked before the answer is "some, uncounted" (SIZE_MAX). */
#define NESTED_GROUPS_MAX 1024

/*
 * Member references of @group and of the groups nested in it that name nothing in
 * the snapshot (foreign principals, other domains, deleted objects). SIZE_MAX
 * when the nesting is too wide to walk, or memory ran out: unknown, not none.
 */
static size_t
unresolved_members_of(const struct kd_directory *dir, uint32_t group)
{
	uint32_t *seen = malloc(NESTED_GROUPS_MAX * sizeof(*seen));
	size_t nseen = 0, total = 0;

	if (!seen)
		return SIZE_MAX;
	seen[nseen++] = group;
	for (size_t k = 0; k < nseen && total != SIZE_MAX; k++) {
		const struct kd_principal *g = kd_directory_get(dir, seen[k]);

		total += g->nunresolved_members;
		for (uint32_t m = 0; m < g->nmembers; m++) {
			uint32_t member = g->members[m];
			bool known = false;

			if (kd_directory_get(dir, member)->kind != KD_KIND_GROUP)
				continue;
			for (size_t q = 0; q < nseen && !known; q++)
				known = seen[q] == member;
			if (known)
				continue;
			if (nseen == NESTED_GROUPS_MAX) {
				total = SIZE_MAX;
				break;
			}
			seen[nseen++] = member;
		}
	}
	free(seen);
	return total;
}

/* unresolved_members_of(), once per group however many resources name it. */
static size_t
group_outside(struct audit *a, uint32_t group)
{
	if (!a->outside) {
		a->outside = calloc(kd_directory_count(a->dir), sizeof(*a->outside));
		if (!a->outside) {
			a->failed = true;
			return 0;
		}
	}
	if (!a->outside[group]) {
		size_t n = unresolved_members_of(a->dir, group);

		a->outside[group] = n == SIZE_MAX ? SIZE_MAX : n + 1;
	}
	return a->outside[group] == SIZE_MAX ? SIZE_MAX : a->outside[group] - 1;
}

/* The ACE's trustee and what the KDC makes of it, for the rule's details. */
struct ace_eval {
	enum ace_class cls;
	const char *reason;
	uint32_t trustee;   /* a resolved, non-broad principal, or KD_NONE */
	size_t nallowed;    /* group members granted */
	bool is_group;
};

/* The step that made a verdict conditional or uncertain: the first such one. */
static const struct kd_step *
doubt_step(const struct kd_decision *d)
{
	for (size_t k = 0; k < d->nsteps; k++)
		if (d->steps[k].outcome == KD_VERDICT_CONDITIONAL ||
		    d->steps[k].outcome == KD_VERDICT_UNCERTAIN)
			return &d->steps[k];
	return NULL;
}

/* Why ACE @j's grant is not certain, given the step that casts the doubt. */
static const char *
doubt_reason(enum kd_ace_role role, const struct kd_step *doubt, size_t j)
{
	if (role == KD_ACE_ROLE_ALLOW_IF)
		return "conditional allow: grants only when its expression holds";
	if (doubt && doubt->ace == j)
		return "whether the KDC's token carries this SID is not documented";
	return "an earlier conditional ACE, or one naming a SID whose presence in the KDC's "
	       "token is not documented, may decide first (see conditional_trustees)";
}

/* An allow ACE whose SID is broad or not in the snapshot: the verdict of an
 * account that holds that SID (and the SIDs every token has) and nothing else. */
static int
eval_sid_trustee(struct audit *a, uint32_t resource, size_t j, const struct kd_ace *ace,
		 enum kd_ace_role role, struct ace_eval *e, json_t *broad, json_t *unresolved,
		 json_t *maybe, struct grants *g)
{
	struct kd_decision d;
	const char *why = NULL;
	bool is_broad = audit_is_broad_sid(&ace->sid);
	json_t *ref;

	if (kd_tokens_sid_has(a->tokens, &ace->sid, &ace->sid, &why) == KD_TOKEN_NO) {
		e->cls = ACE_NO_MATCH;
		e->reason = why ? why : "no front end's token carries this SID";
		return 0;
	}
	if (kd_kdc_rbcd_sid(a->kdc, resource, &ace->sid, &d) < 0)
		return KD_ERR_NOMEM;
	switch (d.verdict) {
	case KD_VERDICT_YES:
		e->cls = ACE_EFFECTIVE;
		e->reason = is_broad ? "broad trustee: nearly every account qualifies"
				     : "trustee SID not found in the snapshot";
		audit_append(is_broad ? broad : unresolved, audit_sid_ref(a->dir, &ace->sid, NULL), a);
		break;
	case KD_VERDICT_NO:
		e->cls = ACE_DENIED;
		e->reason = "an earlier deny ACE takes control access from every account "
			    "holding this SID";
		break;
	default: {
		const struct kd_step *doubt = doubt_step(&d);

		e->cls = d.verdict == KD_VERDICT_CONDITIONAL ? ACE_CONDITIONAL : ACE_UNCERTAIN;
		e->reason = doubt_reason(role, doubt, j);
		g->any_uncertain |= d.verdict == KD_VERDICT_UNCERTAIN;
		ref = audit_sid_ref(a->dir, &ace->sid, NULL);
		audit_set(ref, "verdict", json_string(kd_verdict_name(d.verdict)), a);
		audit_set(ref, "reason", kd_json_text(doubt ? doubt->why : "may apply"), a);
		audit_append(maybe, ref, a);
		break;
	}
	}
	return 0;
}

/* An allow ACE naming a principal of the snapshot: each front end it stands for. */
static int
eval_principal_trustee(struct audit *a, uint32_t resource, const struct kd_ace *ace,
		       enum kd_ace_role role, uint32_t trustee, struct ace_eval *e,
		       json_t *unresolved, struct grants *g)
{
	const struct kd_principal *t = kd_directory_get(a->dir, trustee);
	uint32_t *candidates = NULL, single = trustee;
	size_t ncandidates = 1, nconditional = 0, nuncertain = 0;

	e->trustee = trustee;
	e->is_group = t->kind == KD_KIND_GROUP;
	if (e->is_group) {
		size_t outside;

		ncandidates = kd_directory_expand_group(a->dir, trustee, &candidates);
		if (ncandidates == (size_t)-1)
			return KD_ERR_NOMEM;
		/* Members outside the snapshot (foreign principals, other domains) may hold
		 * the grant too: unknown is not "none". */
		outside = group_outside(a, trustee);
		if (outside) {
			struct kd_decision d;
			json_t *ref;

			if (kd_kdc_rbcd_sid(a->kdc, resource, &ace->sid, &d) < 0) {
				free(candidates);
				return KD_ERR_NOMEM;
			}
			if (d.verdict != KD_VERDICT_NO) {
				ref = audit_sid_ref(a->dir, &ace->sid, NULL);
				/* null: too widely nested to count, but some */
				audit_set(ref, "unresolved_members",
					outside == SIZE_MAX ? json_null()
							    : json_integer((json_int_t)outside),
					a);
				audit_append(unresolved, ref, a);
			}
		}
	} else {
		candidates = &single;
	}
	for (size_t c = 0; c < ncandidates; c++) {
		int v = decided(a, resource, candidates[c], g);

		if (v < 0) {
			if (candidates != &single)
				free(candidates);
			return v;
		}
		e->nallowed += v == KD_VERDICT_YES;
		nconditional += v == KD_VERDICT_CONDITIONAL;
		nuncertain += v == KD_VERDICT_UNCERTAIN;
	}
	if (candidates != &single)
		free(candidates);
	if (role == KD_ACE_ROLE_ALLOW_IF) {
		/* never grants by itself for certain, whatever later ACEs grant */
		e->cls = ACE_CONDITIONAL;
		e->reason = doubt_reason(role, NULL, 0);
	} else if (e->nallowed || !ncandidates) {
		e->cls = ACE_EFFECTIVE;
		e->reason = e->is_group ? "grants control access to the group's members"
					: "grants control access";
	} else if (nconditional || nuncertain) {
		e->cls = nconditional ? ACE_CONDITIONAL : ACE_UNCERTAIN;
		e->reason = doubt_reason(role, NULL, SIZE_MAX);
	} else {
		e->cls = ACE_DENIED;
		e->reason = "every principal it names is denied by an earlier ACE";
	}
	return 0;
}

/* An account list with, for each, the ACE that decided its grant. */
static json_t *
granted_list(struct audit *a, const struct grants *g)
{
	json_t *list = json_array();

	for (size_t k = 0; list && k < g->nyes && k < LIST_MAX; k++) {
		json_t *ref = kd_json_account(a->dir, g->yes[k].who);

		audit_set(ref, "ace", json_integer((json_int_t)g->yes[k].ace), a);
		audit_append(list, ref, a);
	}
	return list;
}

void
audit_rule_rbcd(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_acl *dacl;
	json_t *aces = NULL, *effective = NULL, *broad = NULL, *unresolved = NULL, *maybe = NULL;
	json_t *details;
	char *quoted = NULL, *remedy = NULL;
	struct grants g = {0};
	const char *state;
	enum kd_severity severity;

	if (!p->rbcd)
		return; /* absent, or malformed: reported as unparseable-attribute */
	dacl = &p->rbcd->dacl;
	aces = json_array();
	broad = json_array();
	unresolved = json_array();
	maybe = json_array();
	quoted = kd_ps_quote(p->dn);
	if (!aces || !broad || !unresolved || !maybe || !quoted) {
		a->failed = true;
		goto out;
	}
	if (p->rbcd_state == KD_RBCD_NULL_DACL) {
		state = "null-dacl";
		audit_append(broad, json_pack("{s:s, s:s}", "sid", "S-1-1-0", "name",
					    "Everyone (NULL DACL grants full access to all)"),
			   a);
	} else {
		state = dacl->count ? "parsed" : "empty-dacl";
	}
	for (size_t j = 0; p->rbcd_state == KD_RBCD_PARSED && j < dacl->count; j++) {
		const struct kd_ace *ace = &dacl->aces[j];
		struct ace_eval e = {.cls = ACE_INERT, .trustee = KD_NONE};
		enum kd_ace_role role = kd_kdc_rbcd_ace_role(ace, &e.reason);
		json_t *ace_json;
		char mask[16];
		int r = 0;

		if (role == KD_ACE_ROLE_IGNORED) {
			e.cls = ace->flags & KD_ACE_FLAG_INHERIT_ONLY ? ACE_INHERIT_ONLY : ACE_INERT;
		} else if (role == KD_ACE_ROLE_DENY || role == KD_ACE_ROLE_DENY_IF) {
			e.cls = ACE_DENY;
		} else {
			uint32_t trustee = kd_directory_find_sid(a->dir, &ace->sid);

			if (trustee == KD_NONE || audit_is_broad_sid(&ace->sid))
				r = eval_sid_trustee(a, i, j, ace, role, &e, broad, unresolved, maybe, &g);
			else
				r = eval_principal_trustee(a, i, ace, role, trustee, &e, unresolved, &g);
		}
		if (r < 0) {
			a->failed = true;
			goto out;
		}
		snprintf(mask, sizeof(mask), "0x%08x", (unsigned)ace->mask);
		ace_json = json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:s}", "index", (json_int_t)j,
				     "type",
				     kd_ace_type_name(ace->type) ? kd_ace_type_name(ace->type)
								 : "unknown",
				     "flags", (json_int_t)ace->flags, "mask", mask, "trustee",
				     ace->known ? audit_sid_ref(a->dir, &ace->sid, NULL) : json_null(),
				     "class", ace_class_names[e.cls], "reason", e.reason);
		if (ace_json && e.is_group)
			audit_set(ace_json, "members_granted", json_integer((json_int_t)e.nallowed), a);
		audit_append(aces, ace_json, a);
	}
	for (size_t k = 0; k < g.nmaybe && k < LIST_MAX; k++) {
		struct kd_decision d;
		const struct kd_step *doubt;
		json_t *ref = kd_json_account(a->dir, g.maybe[k]);

		if (kd_kdc_rbcd(a->kdc, i, g.maybe[k], &d) < 0) {
			json_decref(ref);
			a->failed = true;
			goto out;
		}
		doubt = doubt_step(&d);
		audit_set(ref, "verdict", json_string(kd_verdict_name(d.verdict)), a);
		audit_set(ref, "reason", kd_json_text(doubt ? doubt->why : "may apply"), a);
		audit_append(maybe, ref, a);
	}
	effective = granted_list(a, &g);
	details = json_pack("{s:s, s:o, s:b, s:I, s:O, s:O, s:O, s:O, s:O, s:s}", "state", state,
			    "owner",
			    p->rbcd->has_owner ? audit_sid_ref(a->dir, &p->rbcd->owner, NULL) : json_null(),
			    "dacl_null", p->rbcd->dacl_null, "effective_trustee_count",
			    (json_int_t)g.nyes, "effective_trustees", effective, "broad_trustees",
			    broad, "unresolved_trustees", unresolved, "conditional_trustees", maybe,
			    "aces", aces, "note",
			    "the KDC accepts a non-forwardable S4U2Self ticket for RBCD, so a trustee "
			    "needs no protocol transition; service-name substitution extends a "
			    "ticket for one SPN to every service of this account");
	/* An uncertain grant (Samba's KDC grants it, Windows' may not) weighs as an
	 * unresolved one; a conditional one as low: its expression usually narrows it. */
	severity = json_array_size(broad)                                ? KD_SEV_HIGH
		   : (g.nyes || json_array_size(unresolved) || g.any_uncertain) ? KD_SEV_MEDIUM
		   : json_array_size(maybe)                               ? KD_SEV_LOW
									  : KD_SEV_INFO;
	remedy = kd_format("Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount $null",
			kd_kind_ps_noun(p->kind), quoted);
	audit_emit(a, KD_RULE_RESOURCE_BASED_DELEGATION, severity, i, "", json_incref(details),
	     kd_format("%zu principal%s may impersonate users to %s%s%s%s%s", g.nyes,
		    g.nyes == 1 ? "" : "s", p->name,
		    json_array_size(broad) ? ", plus broad groups" : "",
		    json_array_size(unresolved) ? ", plus unresolved SIDs" : "",
		    json_array_size(maybe) ? ", plus conditional or uncertain grants" : "",
		    p->rbcd_state == KD_RBCD_NULL_DACL ? " (NULL DACL: anyone)"
		    : dacl->count == 0                 ? " (empty DACL: nobody)"
						       : ""),
	     remedy ? strdup(remedy) : NULL);
	if (json_array_size(broad)) {
		const char *first = json_string_value(
			json_object_get(json_array_get(broad, 0), "name"));
		bool quota = a->domain->has_machine_quota && a->domain->machine_quota > 0;

		audit_emit(a, KD_RULE_RBCD_BROAD_TRUSTEE, KD_SEV_CRITICAL, i, "",
		     json_pack("{s:s, s:O, s:O, s:o}", "state", state, "broad_trustees", broad,
			       "aces", aces, "machine_account_quota",
			       a->domain->has_machine_quota ? json_integer(a->domain->machine_quota)
							    : json_null()),
		     kd_format("RBCD on %s grants %s: any account that qualifies can impersonate "
			    "users to it%s",
			    p->name,
			    p->rbcd_state == KD_RBCD_NULL_DACL ? "everyone (NULL DACL)"
			    : first                            ? first
							       : "a broad group",
			    quota ? "; any user can create a computer account that qualifies "
				    "(ms-DS-MachineAccountQuota is above 0)"
				  : ""),
		     remedy ? strdup(remedy) : NULL);
	}
	if (p->tier0 && (g.nyes || json_array_size(broad) || json_array_size(unresolved)))
		audit_emit(a, KD_RULE_DELEGATION_TO_TIER0, KD_SEV_CRITICAL, i, "resource-based",
		     json_pack("{s:s, s:s, s:O}", "delegation", "resource-based", "tier0_reason",
			       p->tier0_reason ? p->tier0_reason : "tier 0", "rbcd", details),
		     kd_format("RBCD is set on tier-0 %s %s (%s)", audit_kind_word(p), p->name,
			    p->tier0_reason ? p->tier0_reason : "tier 0"),
		     remedy ? strdup(remedy) : NULL);
	json_decref(details);
out:
	for (size_t t = 0; t < a->ntouched; t++)
		a->verdict[a->touched[t]] = 0;
	a->ntouched = 0;
	free(remedy);
	free(quoted);
	free(g.yes);
	free(g.maybe);
	json_decref(aces);
	json_decref(effective);
	json_decref(broad);
	json_decref(unresolved);
	json_decref(maybe);
}

/* ---- who can configure delegation: write rights, the quota, trusts ---- */

/* Trustees whose write access is the directory's own design, not a finding:
 * SYSTEM, Enterprise DCs, Creator Owner, the builtin administrative groups and
 * the domain's administrative groups of any domain (most are tier 0 as well). */
static bool
is_default_admin(const struct kd_sid *sid)
{
	static const uint32_t builtin[] = {544, 548, 549, 550, 551};
	static const uint32_t domain[] = {498, 512, 516, 518, 519, 521};
	uint32_t rid = kd_sid_rid(sid);

	if (sid->authority == 3) /* Creator Owner, Owner Rights: templates */
		return true;
	if (sid->authority != 5)
		return false;
	if (sid->count == 1)
		return sid->sub[0] == 18 || sid->sub[0] == 9 || sid->sub[0] == 10;
	if (sid->count == 2 && sid->sub[0] == 32) {
		for (size_t k = 0; k < sizeof(builtin) / sizeof(*builtin); k++)
			if (rid == builtin[k])
				return true;
	}
	if (sid->count == 5 && sid->sub[0] == 21) {
		for (size_t k = 0; k < sizeof(domain) / sizeof(*domain); k++)
			if (rid == domain[k])
				return true;
	}
	return false;
}

static json_t *
ace_json(const struct kd_secdesc *sd, uint32_t index)
{
	const struct kd_ace *ace;
	char mask[16], guid[KD_GUID_STRING_MAX];

	if (index == KD_NONE)
		return json_null();
	ace = &sd->dacl.aces[index];
	snprintf(mask, sizeof(mask), "0x%08x", (unsigned)ace->mask);
	return json_pack("{s:I, s:s, s:I, s:s, s:o}", "index", (json_int_t)index, "type",
			 kd_ace_type_name(ace->type) ? kd_ace_type_name(ace->type) : "unknown",
			 "flags", (json_int_t)ace->flags, "mask", mask, "object_type",
			 ace->has_object_type
				 ? json_string(kd_guid_to_string(&ace->object_type, guid))
				 : json_null());
}

struct writers_memo {
	struct kd_writer *writers;
	size_t n;
};

void
audit_writers_free(struct audit *a)
{
	for (size_t k = 0; k < a->nwriters_memo; k++)
		free(a->writers_memo[k].writers);
	free(a->writers_memo);
	kd_hashtab_free(&a->writers_index);
	kd_arena_free(a->writers_keys);
}

/*
 * The writers of @p's descriptor. They depend on its DACL and owner only, and
 * equal DACLs share one ACE array in the model: computed once per (ACE array,
 * owner). The array stays the memo's. KD_ERR_NOMEM.
 */
static int
writers_of(struct audit *a, uint32_t i, const struct kd_principal *p,
	   const struct kd_writer **ret, size_t *ret_n)
{
	const struct kd_secdesc *sd = p->sd;
	uint8_t key[sizeof(void *) + 4 + 1 + 8 + 4 * KD_SID_MAX_SUBAUTH];
	const void *aces = sd->dacl.aces;
	uint32_t count = sd->dacl.count, index;
	size_t len = 0;
	struct writers_memo memo = {0};
	struct kd_error why;
	void *stored;

	memcpy(key, &aces, sizeof(aces));
	len += sizeof(aces);
	memcpy(key + len, &count, 4);
	len += 4;
	key[len++] = (uint8_t)(sd->dacl_null | sd->has_owner << 1);
	if (sd->has_owner)
		len += kd_sid_to_binary(&sd->owner, key + len, sizeof(key) - len);
	if (!a->writers_keys) {
		a->writers_keys = kd_arena_new();
		kd_hashtab_init(&a->writers_index);
		if (!a->writers_keys)
			return KD_ERR_NOMEM;
	}
	if (kd_hashtab_get(&a->writers_index, key, len, &index)) {
		*ret = a->writers_memo[index].writers;
		*ret_n = a->writers_memo[index].n;
		return 0;
	}
	kd_error_clear(&why);
	if (kd_access_rbcd_writers(a->tokens, a->dir, i, &memo.writers, &memo.n, &why) < 0)
		return KD_ERR_NOMEM;
	if (!kd_grow_array((void **)&a->writers_memo, &a->writers_memo_cap, a->nwriters_memo,
			   sizeof(*a->writers_memo), 64)) {
		free(memo.writers);
		return KD_ERR_NOMEM;
	}
	stored = kd_arena_memdup(a->writers_keys, key, len);
	if (!stored || a->nwriters_memo >= UINT32_MAX ||
	    kd_hashtab_put(&a->writers_index, stored, len, (uint32_t)a->nwriters_memo, NULL) < 0) {
		free(memo.writers);
		return KD_ERR_NOMEM;
	}
	a->writers_memo[a->nwriters_memo++] = memo;
	*ret = memo.writers;
	*ret_n = memo.n;
	return 0;
}

void
audit_rule_rbcd_writable(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_writer *writers = NULL;
	size_t nwriters = 0, nkept = 0;
	struct kd_strbuf identity;
	json_t *list;
	const char *first = NULL, *first_via = NULL;
	bool critical, broad = false;
	char more[64] = "";
	char *quoted;

	/* no service, no gain: impersonating a user to an account nobody gets a service
	 * ticket for gives nothing (and a targeted collection reads only these) */
	if (!p->sd || !kd_principal_takes_tickets(p))
		return;
	if (writers_of(a, i, p, &writers, &nwriters) < 0) {
		a->failed = true;
		return;
	}
	/* the common case: nobody but the defaults, tier 0 and the account itself */
	for (size_t k = 0; k < nwriters && !nkept; k++) {
		const struct kd_principal *wp = kd_directory_get(a->dir, writers[k].principal);

		nkept = !(writers[k].principal == i || is_default_admin(&writers[k].sid) ||
			  (wp && wp->tier0));
	}
	if (!nkept)
		return;
	nkept = 0;
	list = json_array();
	kd_strbuf_init(&identity, 64);
	for (size_t k = 0; list && k < nwriters; k++) {
		const struct kd_writer *w = &writers[k];
		const struct kd_principal *wp = kd_directory_get(a->dir, w->principal);
		char sid[KD_SID_STRING_MAX];
		json_t *ref;

		if (w->principal == i || is_default_admin(&w->sid) || (wp && wp->tier0))
			continue;
		nkept++;
		broad |= audit_is_broad_sid(&w->sid);
		ref = audit_sid_ref(a->dir, &w->sid, NULL);
		audit_set(ref, "via", json_string(kd_write_via_name(w->via)), a);
		audit_set(ref, "ace", ace_json(p->sd, w->ace), a);
		audit_append(list, ref, a);
		if (!first) {
			first = wp ? wp->name : kd_sid_wellknown_name(&w->sid);
			first_via = kd_write_via_name(w->via);
		}
		kd_sid_to_string(&w->sid, sid, sizeof(sid));
		kd_strbuf_append(&identity, sid, strlen(sid));
		kd_strbuf_append(&identity, "\x1f", 1);
	}
	if (!nkept || !list) {
		json_decref(list);
		kd_strbuf_free(&identity);
		a->failed |= !list;
		return;
	}
	if (nkept > 1)
		snprintf(more, sizeof(more), "; and %zu other writer%s", nkept - 1,
			 nkept == 2 ? "" : "s");
	critical = p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC ||
		   p->kind == KD_KIND_KRBTGT || p->tier0;
	quoted = kd_ps_quote(p->dn);
	audit_emit(a, KD_RULE_RBCD_WRITABLE, critical ? KD_SEV_CRITICAL : KD_SEV_HIGH, i,
	     kd_strbuf_str(&identity) ? kd_strbuf_str(&identity) : "",
	     json_pack("{s:o, s:I, s:b, s:o, s:s}", "writers", list, "writer_count",
		       (json_int_t)nkept, "broad_writer", broad, "machine_account_quota",
		       a->domain->has_machine_quota ? json_integer(a->domain->machine_quota)
						    : json_null(),
		       "attribute", "msDS-AllowedToActOnBehalfOfOtherIdentity"),
	     kd_format("%s outside tier 0 can write the RBCD attribute of %s %s (%s%s): "
			  "with %s, a writer can impersonate any delegable user to this account",
			  first ? first : "an unresolved SID",
			  audit_kind_word(p), p->name, first_via,
			  more,
			  a->domain->has_machine_quota && a->domain->machine_quota > 0
				  ? "any computer account it creates (ms-DS-MachineAccountQuota is "
				    "above 0)"
				  : "an account it controls that has an SPN"),
	     quoted ? kd_format("dsacls %s /R <writer>  # then re-grant only what the writer "
				   "needs",
				   quoted)
		    : NULL);
	free(quoted);
	kd_strbuf_free(&identity);
}
