/* SPDX-License-Identifier: MIT */
/* Tokens as the KDC builds them, one per principal, built once and cached. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/token.h"

/* A principal's transitive groups, ascending; built on first use. */
struct token {
	uint32_t *groups;
	uint32_t ngroups;
	bool built;
};

struct kd_tokens {
	const struct kd_directory *dir;
	struct token *tokens;    /* one per principal, calloc'd: pages mapped on use */
	uint32_t *everyone;      /* groups holding a SID of every token, ascending */
	size_t neveryone;
	bool any_history;        /* some principal carries sIDHistory */
	/* scratch for the walk */
	uint8_t *seen;
	uint32_t *stack;
	size_t stack_cap;
};

static bool
sid_is(const struct kd_sid *sid, uint64_t authority, uint8_t count, uint32_t a, uint32_t b)
{
	return sid->authority == authority && sid->count == count &&
	       (count < 1 || sid->sub[0] == a) && (count < 2 || sid->sub[1] == b);
}

bool
kd_token_sid_universal(const struct kd_sid *sid)
{
	return sid_is(sid, 1, 1, 0, 0) ||  /* S-1-1-0 World */
	       sid_is(sid, 5, 1, 2, 0) ||  /* S-1-5-2 Network: the TGS-REQ came over it */
	       sid_is(sid, 5, 1, 11, 0) || /* S-1-5-11 Authenticated Users */
	       sid_is(sid, 18, 1, 1, 0);   /* S-1-18-1: the front end proved its own keys */
}

/*
 * The well-known SIDs whose presence does not depend on group membership. Returns
 * -1 when @sid is not one of them, else the answer with its reason.
 */
static int
wellknown(const struct kd_principal *p, const struct kd_sid *sid, const char **ret_why)
{
	if (kd_token_sid_universal(sid)) {
		*ret_why = "in every token the KDC builds for an authenticated service";
		return KD_TOKEN_YES;
	}
	if (sid_is(sid, 18, 1, 2, 0)) {
		*ret_why = "S-1-18-2 is asserted by a service for the user it impersonates; "
			   "the front end's own token carries S-1-18-1 instead";
		return KD_TOKEN_NO;
	}
	if (sid_is(sid, 5, 1, 10, 0)) {
		*ret_why = "Principal Self stands for the object being checked, and the KDC's "
			   "check names no object: it matches nobody";
		return KD_TOKEN_NO;
	}
	if (sid_is(sid, 5, 1, 15, 0)) {
		*ret_why = "This Organization: Samba's KDC token does not carry it; whether a "
			   "Windows KDC adds it for a same-forest service is not documented";
		return KD_TOKEN_UNCERTAIN;
	}
	if (sid_is(sid, 5, 1, 9, 0)) {
		*ret_why = "Enterprise Domain Controllers: carried by writable DCs only";
		return p && p->kind == KD_KIND_DC ? KD_TOKEN_YES : KD_TOKEN_NO;
	}
	if (sid->authority == 3 || sid_is(sid, 5, 1, 7, 0) || sid_is(sid, 5, 1, 18, 0) ||
	    sid_is(sid, 5, 1, 4, 0) || sid_is(sid, 5, 1, 6, 0)) {
		/* Creator Owner/Group, Owner Rights; Anonymous; SYSTEM; Interactive;
		 * Service: logon-session SIDs that no KDC puts in a service's token */
		*ret_why = "a logon-session or template SID, never in a token the KDC builds";
		return KD_TOKEN_NO;
	}
	return -1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
push(struct kd_tokens *t, size_t *depth, uint32_t value)
{
	if (!kd_grow_array((void **)&t->stack, &t->stack_cap, *depth, sizeof(*t->stack), 64))
		return false;
	t->stack[(*depth)++] = value;
	return true;
}

/*
 * Every group reachable upward from @starts through member_of, ascending, into a
 * malloc'd array (*ret); the starts themselves are not included unless a group
 * reaches them. Returns the count or (size_t)-1.
 */
static size_t
walk_up(struct kd_tokens *t, const uint32_t *starts, size_t nstarts, uint32_t **ret)
{
	size_t depth = 0, n = 0, cap = 0;
	uint32_t *out = NULL;

	*ret = NULL;
	for (size_t s = 0; s < nstarts; s++)
		if (!push(t, &depth, starts[s]))
			goto fail;
	while (depth) {
		const struct kd_principal *p = kd_directory_get(t->dir, t->stack[--depth]);

		for (uint32_t j = 0; j < p->nmember_of; j++) {
			uint32_t g = p->member_of[j];

			if (t->seen[g])
				continue;
			t->seen[g] = 1;
			if (!kd_grow_array((void **)&out, &cap, n, sizeof(*out), 16))
				goto fail;
			out[n++] = g;
			if (!push(t, &depth, g))
				goto fail;
		}
	}
	for (size_t k = 0; k < n; k++)
		t->seen[out[k]] = 0;
	if (n)
		qsort(out, n, sizeof(*out), cmp_u32);
	*ret = out;
	return n;
fail:
	for (size_t k = 0; k < n; k++)
		t->seen[out[k]] = 0;
	free(out);
	return (size_t)-1;
}

int
kd_tokens_new(const struct kd_directory *dir, struct kd_tokens **ret_tokens, struct kd_error *err)
{
	static const char *const universal[] = {"S-1-1-0", "S-1-5-2", "S-1-5-11", "S-1-18-1"};
	size_t count = kd_directory_count(dir);
	struct kd_tokens *t = calloc(1, sizeof(*t));
	uint32_t starts[sizeof(universal) / sizeof(*universal)];
	size_t nstarts = 0;

	*ret_tokens = NULL;
	if (!t)
		goto nomem;
	t->dir = dir;
	t->tokens = calloc(count ? count : 1, sizeof(*t->tokens));
	t->seen = calloc(count ? count : 1, 1);
	if (!t->tokens || !t->seen)
		goto nomem;
	/* Foreign-principal entries for Authenticated Users & co. are members of groups
	 * (Pre-Windows 2000 Compatible Access, Users): every token holds those groups. */
	for (size_t k = 0; k < sizeof(universal) / sizeof(*universal); k++) {
		struct kd_sid sid;
		uint32_t index;

		if (kd_sid_from_string(universal[k], &sid, NULL) < 0)
			continue;
		index = kd_directory_find_sid(dir, &sid);
		if (index != KD_NONE)
			starts[nstarts++] = index;
	}
	t->neveryone = walk_up(t, starts, nstarts, &t->everyone);
	if (t->neveryone == (size_t)-1)
		goto nomem;
	for (size_t i = 0; i < count && !t->any_history; i++)
		t->any_history = kd_directory_get(dir, (uint32_t)i)->nsid_history != 0;
	*ret_tokens = t;
	return 0;
nomem:
	kd_tokens_free(t);
	return kd_error_set(err, KD_ERR_NOMEM, "out of memory while building tokens");
}

void
kd_tokens_free(struct kd_tokens *t)
{
	if (!t)
		return;
	if (t->tokens) {
		for (size_t i = 0; i < kd_directory_count(t->dir); i++)
			free(t->tokens[i].groups);
	}
	free(t->tokens);
	free(t->everyone);
	free(t->seen);
	free(t->stack);
	free(t);
}

size_t
kd_tokens_groups(struct kd_tokens *t, uint32_t who, const uint32_t **ret_groups)
{
	struct token *tok = &t->tokens[who];

	if (!tok->built) {
		uint32_t *own, *merged;
		size_t nown = walk_up(t, &who, 1, &own), n = 0, a = 0, b = 0;

		if (nown == (size_t)-1)
			return (size_t)-1;
		/* merge with the groups every token holds, without duplicates */
		merged = malloc((nown + t->neveryone + 1) * sizeof(*merged));
		if (!merged) {
			free(own);
			return (size_t)-1;
		}
		while (a < nown || b < t->neveryone) {
			uint32_t next;

			if (b == t->neveryone || (a < nown && own[a] < t->everyone[b]))
				next = own[a++];
			else if (a == nown || t->everyone[b] < own[a])
				next = t->everyone[b++];
			else
				next = own[a++], b++;
			merged[n++] = next;
		}
		free(own);
		tok->groups = merged;
		tok->ngroups = (uint32_t)n;
		tok->built = true;
	}
	*ret_groups = tok->groups;
	return tok->ngroups;
}

static bool
sorted_has(const uint32_t *array, size_t n, uint32_t value)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (array[mid] == value)
			return true;
		if (array[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool
history_has(const struct kd_principal *p, const struct kd_sid *sid)
{
	for (uint32_t k = 0; k < p->nsid_history; k++)
		if (kd_sid_equal(&p->sid_history[k], sid))
			return true;
	return false;
}

int
kd_tokens_has(struct kd_tokens *t, uint32_t who, const struct kd_sid *sid, const char **ret_why)
{
	const struct kd_principal *p = kd_directory_get(t->dir, who);
	const struct kd_domain *domain = kd_directory_domain(t->dir);
	const uint32_t *groups;
	const char *why = NULL;
	size_t ngroups;
	uint32_t index;
	int known = wellknown(p, sid, &why);

	if (ret_why)
		*ret_why = why;
	if (known >= 0)
		return known;
	if (p->has_sid) {
		struct kd_sid own = kd_principal_sid(p);

		if (kd_sid_equal(&own, sid))
			return KD_TOKEN_YES;
	}
	if (history_has(p, sid)) /* the KDC adds sIDHistory as extra SIDs */
		return KD_TOKEN_YES;
	ngroups = kd_tokens_groups(t, who, &groups);
	if (ngroups == (size_t)-1)
		return KD_ERR_NOMEM;
	index = kd_directory_find_sid(t->dir, sid);
	if (index != KD_NONE && sorted_has(groups, ngroups, index))
		return KD_TOKEN_YES;
	if (t->any_history)
		for (size_t k = 0; k < ngroups; k++)
			if (history_has(kd_directory_get(t->dir, groups[k]), sid))
				return KD_TOKEN_YES;
	/* A primary group missing from the snapshot still shows in the PAC. */
	if (domain->has_sid && p->primary_group_rid && kd_sid_in_domain(sid, &domain->sid) &&
	    kd_sid_rid(sid) == p->primary_group_rid)
		return KD_TOKEN_YES;
	return KD_TOKEN_NO;
}

int
kd_tokens_sid_has(struct kd_tokens *t, const struct kd_sid *holder, const struct kd_sid *sid,
		  const char **ret_why)
{
	uint32_t index = kd_directory_find_sid(t->dir, holder);
	const char *why = NULL;
	int known;

	if (index != KD_NONE)
		return kd_tokens_has(t, index, sid, ret_why);
	known = wellknown(NULL, sid, &why);
	if (ret_why)
		*ret_why = why;
	if (known >= 0)
		return known;
	if (kd_sid_equal(holder, sid))
		return KD_TOKEN_YES;
	index = kd_directory_find_sid(t->dir, sid);
	if (index != KD_NONE && sorted_has(t->everyone, t->neveryone, index))
		return KD_TOKEN_YES;
	if (t->any_history) /* as kd_tokens_has(): the groups' sIDHistory is in the PAC too */
		for (size_t k = 0; k < t->neveryone; k++)
			if (history_has(kd_directory_get(t->dir, t->everyone[k]), sid))
				return KD_TOKEN_YES;
	return KD_TOKEN_NO;
}
