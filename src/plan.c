/* SPDX-License-Identifier: MIT */
/* The targeted collection: the entries findings can need, then look-ups to closure. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/directory.h"
#include "kdeleg/graph.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/kdc.h"
#include "kdeleg/plan.h"
#include "kdeleg/token.h"
#include "kdeleg/uac.h"

#include "collect-private.h"
#include "ldap-private.h"

/*
 * The first search: every entry a rule reads for its own sake. Groups all come (a few
 * percent of a domain), so that membership, tokens and nesting are known without a
 * look-up; computers all come, since any machine takes service tickets. The
 * userAccountControl bits: unconstrained and protocol transition, DC, RODC, workstation
 * (a user object with it is a computer to the model) and interdomain trust accounts.
 */
#define TARGETED_UAC_BITS                                                                     \
	(KD_UAC_TRUSTED_FOR_DELEGATION | KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION |              \
	 KD_UAC_SERVER_TRUST_ACCOUNT | KD_UAC_PARTIAL_SECRETS_ACCOUNT |                        \
	 KD_UAC_WORKSTATION_TRUST_ACCOUNT | KD_UAC_INTERDOMAIN_TRUST_ACCOUNT)
#define TARGETED_TERMS_FORMAT                                                                 \
	"(|(objectClass=group)(objectClass=computer)(objectClass=domain)"                     \
	"(objectClass=trustedDomain)(servicePrincipalName=*)(msDS-AllowedToDelegateTo=*)"      \
	"(msDS-AllowedToActOnBehalfOfOtherIdentity=*)"                                         \
	"(userAccountControl:1.2.840.113556.1.4.804:=%u)(adminCount=*)(sIDHistory=*)"           \
	"(sAMAccountName=krbtgt*))"

/* A look-up's filter holds this many values (~50 KB of SIDs) and this many bytes at most:
 * far below any DC's request limit, whatever length the DNs it sent, and few searches
 * (each costs the DC a fixed price). */
#define LOOKUP_BATCH 500
#define LOOKUP_BYTES ((size_t)64 * 1024)
/* Look-up rounds end when nothing is missing, in two or three rounds on any real domain
 * (groups all come first). A DC that keeps inventing references is stopped here. */
#define ROUNDS_MAX 32
/* collect_targeted(): the domain's SID is nowhere, the full plan takes over */
#define NO_DOMAIN_SID 1

const char *
kd_plan_name(enum kd_plan plan)
{
	return plan == KD_PLAN_FULL ? "full" : "targeted";
}

int
kd_plan_filter_term(struct kd_strbuf *b, const char *attribute, const void *value, size_t len,
		    bool binary)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = value;
	int r = kd_strbuf_putc(b, '(');

	if (r == 0)
		r = kd_strbuf_puts(b, attribute);
	if (r == 0)
		r = kd_strbuf_putc(b, '=');
	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char ch = v[i];

		if (binary || ch < 0x20 || ch == 0x7f || ch == '*' || ch == '(' || ch == ')' ||
		    ch == '\\') {
			char esc[3] = {'\\', hex[ch >> 4], hex[ch & 15]};

			r = kd_strbuf_append(b, esc, sizeof(esc));
		} else {
			r = kd_strbuf_putc(b, (char)ch);
		}
	}
	if (r == 0)
		r = kd_strbuf_putc(b, ')');
	return r < 0 ? KD_ERR_NOMEM : 0;
}

struct plan {
	struct kd_ldap *c;
	struct kd_entry_store store; /* everything read, in order */
	struct kd_arena *keys;       /* the tables' keys */
	struct kd_hashtab kept;      /* DNs in the store (digests) */
	struct kd_hashtab asked_dns; /* values asked for once, never again */
	struct kd_hashtab asked_sids;
	struct kd_hashtab asked_rids;
	struct kd_hashtab asked_member_of; /* groups whose memberOf holders were asked for */
	bool lookup;                 /* a look-up is running: an entry kept before is skipped */
	/* this round's filter terms, one after another; ends[k] ends term k: values that
	 * name an object (SID, DN), and groups whose members are asked for by primaryGroupID
	 * or memberOf (which may name entries read already) */
	struct terms {
		struct kd_strbuf text;
		size_t *ends;
		size_t count, cap;
	} named, by_group;
	char targeted[sizeof(TARGETED_TERMS_FORMAT) + 16];
	struct kd_plan_stats stats;
};

static int
keep(void *ctx, const struct kd_entry *e, struct kd_error *err)
{
	struct plan *pl = ctx;
	int r = kd_ldap_seen_dn(&pl->keys, &pl->kept, e->dn);

	if (r < 0)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	if (r > 0 && pl->lookup) {
		/* two values of one round named it (a writer who is also a member) */
		pl->stats.skipped++;
		return 0;
	}
	if (r > 0) {
		kd_error_set(err, KD_ERR_INCOMPLETE, "the DC sent this entry twice");
		kd_error_set_where(err, NULL, 0, e->dn, NULL);
		return KD_ERR_INCOMPLETE;
	}
	if (kd_entry_store_put(&pl->store, e) < 0)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory keeping entries in memory");
	return 0;
}

/* ---- what the model lacks ---- */

static int
add_term(struct plan *pl, struct terms *t, const char *attribute, const void *value, size_t len,
	 bool binary)
{
	if (kd_plan_filter_term(&t->text, attribute, value, len, binary) < 0 ||
	    !kd_grow_array((void **)&t->ends, &t->cap, t->count, sizeof(*t->ends), 64))
		return KD_ERR_NOMEM;
	t->ends[t->count++] = t->text.len;
	pl->stats.lookups++;
	return 0;
}

/* 1 when @key is new in @table (and now recorded), 0 when asked before. */
static int
first_time(struct plan *pl, struct kd_hashtab *table, const void *key, size_t len)
{
	void *stored;
	int r;

	if (!pl->keys && !(pl->keys = kd_arena_new()))
		return KD_ERR_NOMEM;
	if (kd_hashtab_get(table, key, len, NULL))
		return 0;
	stored = kd_arena_memdup(pl->keys, key, len);
	if (!stored)
		return KD_ERR_NOMEM;
	r = kd_hashtab_put(table, stored, len, 0, NULL);
	return r < 0 ? KD_ERR_NOMEM : 1;
}

/* An account of this domain the model names by SID and lacks. Other SIDs (well-known,
 * other domains') are no object of this naming context. */
static int
want_sid(struct plan *pl, const struct kd_directory *dir, const struct kd_sid *sid)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	uint8_t bin[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t len;
	int r;

	if (!d->has_sid || !kd_sid_in_domain(sid, &d->sid) ||
	    kd_directory_find_sid(dir, sid) != KD_NONE)
		return 0;
	len = kd_sid_to_binary(sid, bin, sizeof(bin));
	if (len == 0)
		return 0;
	r = first_time(pl, &pl->asked_sids, bin, len);
	return r <= 0 ? r : add_term(pl, &pl->named, "objectSid", bin, len, true);
}

static int
want_dn(struct plan *pl, const struct kd_directory *dir, const char *dn, size_t len)
{
	int r;

	if (kd_directory_find_dn(dir, dn) != KD_NONE)
		return 0;
	r = kd_ldap_seen_dn(&pl->keys, &pl->asked_dns, dn);
	if (r < 0)
		return r;
	return r > 0 ? 0 : add_term(pl, &pl->named, "distinguishedName", dn, len, false);
}

/*
 * The members of @group that no member value of it names: those whose primary group it
 * is, and, when the group showed no member value at all, those only their own memberOf
 * shows (a member attribute the account running kdeleg may not read: AD's hidden
 * membership; read rights are per attribute, so a readable one lists every member).
 * memberOf costs Samba a scan (0.13 s on the 10k bench DC): asked only then.
 */
static int
want_unlisted_members(struct plan *pl, const struct kd_directory *dir,
		      const struct kd_principal *group)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	struct kd_sid sid;
	uint32_t rid;
	char text[16];
	int r;

	if (!group->listed_members) {
		r = kd_ldap_seen_dn(&pl->keys, &pl->asked_member_of, group->dn);
		if (r == 0)
			r = add_term(pl, &pl->by_group, "memberOf", group->dn, strlen(group->dn),
				     false);
		if (r < 0)
			return r;
	}
	if (!group->has_sid || !d->has_sid)
		return 0;
	sid = kd_principal_sid(group);
	if (!kd_sid_in_domain(&sid, &d->sid))
		return 0;
	rid = kd_sid_rid(&sid);
	r = first_time(pl, &pl->asked_rids, &rid, sizeof(rid));
	if (r <= 0)
		return r;
	snprintf(text, sizeof(text), "%u", rid);
	return add_term(pl, &pl->by_group, "primaryGroupID", text, strlen(text), false);
}

static int
want_acl_sids(struct plan *pl, const struct kd_directory *dir, const struct kd_secdesc *sd)
{
	int r = 0;

	if (sd->has_owner)
		r = want_sid(pl, dir, &sd->owner);
	for (size_t k = 0; !sd->dacl_null && k < sd->dacl.count && r == 0; k++)
		r = want_sid(pl, dir, &sd->dacl.aces[k].sid);
	return r;
}

/* Marks the groups reachable down from the marked ones through nested groups. */
static int
mark_nested(const struct kd_directory *dir, uint8_t *mark, size_t count)
{
	uint32_t *stack = NULL;
	size_t depth = 0, cap = 0;

	for (size_t i = 0; i < count; i++) {
		if (!mark[i])
			continue;
		if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64)) {
			free(stack);
			return KD_ERR_NOMEM;
		}
		stack[depth++] = (uint32_t)i;
	}
	while (depth) {
		const struct kd_principal *g = kd_directory_get(dir, stack[--depth]);

		for (uint32_t m = 0; m < g->nmembers; m++) {
			uint32_t k = g->members[m];

			if (mark[k] || kd_directory_get(dir, k)->kind != KD_KIND_GROUP)
				continue;
			mark[k] = 1;
			if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64)) {
				free(stack);
				return KD_ERR_NOMEM;
			}
			stack[depth++] = k;
		}
	}
	free(stack);
	return 0;
}

/* Groups from which the delegation graph reaches tier 0: their members start chains. */
static int
mark_reaching(const struct kd_directory *dir, uint8_t *mark, struct kd_error *err)
{
	struct kd_tokens *tokens = NULL;
	struct kd_kdc *kdc = NULL;
	struct kd_graph *g = NULL;
	struct kd_reach *reach = NULL;
	int r;

	if ((r = kd_tokens_new(dir, &tokens, err)) == 0 &&
	    (r = kd_kdc_new(dir, tokens, &kdc, err)) == 0 &&
	    (r = kd_graph_new(kdc, dir, &g, err)) == 0 &&
	    (r = kd_graph_reach(g, NULL, 0, 0, &reach, err)) == 0) {
		for (size_t i = 0; i < kd_directory_count(dir); i++)
			if (kd_directory_get(dir, (uint32_t)i)->kind == KD_KIND_GROUP &&
			    kd_reach_hops(reach, (uint32_t)i) != KD_UNREACHED)
				mark[i] = 1;
	}
	kd_reach_free(reach);
	kd_graph_free(g);
	kd_kdc_free(kdc);
	kd_tokens_free(tokens);
	return r;
}

/* Member values of the marked groups that name nothing kept yet, from the raw entries. */
static int
want_members(struct plan *pl, const struct kd_directory *dir, const uint8_t *mark)
{
	struct kd_entry_replay rp = {0};
	int r = 0, more = 0;

	kd_entry_replay_start(&rp, &pl->store);
	while (r == 0 && (more = kd_entry_replay_next(&rp)) > 0) {
		const struct kd_attr *members = kd_entry_attr(&rp.entry, "member");
		uint32_t i;

		if (!members || (i = kd_directory_find_dn(dir, rp.entry.dn)) == KD_NONE ||
		    !mark[i])
			continue;
		for (size_t v = 0; v < members->nvalues && r == 0; v++)
			r = want_dn(pl, dir, members->values[v].data, members->values[v].len);
	}
	kd_entry_replay_free(&rp);
	return r < 0 || more < 0 ? KD_ERR_NOMEM : 0;
}

/* Everything the model built from the store refers to and lacks, as this round's terms. */
static int
find_wants(struct plan *pl, const struct kd_directory *dir, struct kd_error *err)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	size_t count = kd_directory_count(dir);
	uint8_t *mark = calloc(count ? count : 1, 1);
	struct kd_sid krbtgt;
	uint32_t pu;
	int r = 0;

	if (!mark)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	/* krbtgt by RID, whatever it was renamed to; the DCSync holders */
	if (d->has_sid && kd_sid_compose(&d->sid, 502, &krbtgt))
		r = want_sid(pl, dir, &krbtgt);
	if (r == 0 && d->sd)
		r = want_acl_sids(pl, dir, d->sd);
	for (size_t i = 0; i < count && r == 0; i++) {
		const struct kd_principal *p = kd_directory_get(dir, (uint32_t)i);

		/* who can write the RBCD attribute of an account with services */
		if (p->sd && kd_principal_takes_tickets(p))
			r = want_acl_sids(pl, dir, p->sd);
		/* RBCD trustees; a trustee group's members are the front ends; the owner
		 * the descriptor names (the details resolve it) */
		if (r == 0 && p->rbcd && p->rbcd->has_owner)
			r = want_sid(pl, dir, &p->rbcd->owner);
		for (size_t k = 0; r == 0 && p->rbcd && !p->rbcd->dacl_null &&
				   k < p->rbcd->dacl.count;
		     k++) {
			const struct kd_sid *sid = &p->rbcd->dacl.aces[k].sid;
			uint32_t t = kd_directory_find_sid(dir, sid);

			if (t != KD_NONE && kd_directory_get(dir, t)->kind == KD_KIND_GROUP)
				mark[t] = 1;
			r = want_sid(pl, dir, sid);
		}
		for (size_t k = 0; k < p->nsid_history && r == 0; k++)
			r = want_sid(pl, dir, &p->sid_history[k]);
	}
	if (r < 0) {
		free(mark);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	}
	r = mark_reaching(dir, mark, err);
	if (r < 0) {
		free(mark);
		return r;
	}
	pu = kd_directory_find_rid(dir, 525);
	if (pu != KD_NONE)
		mark[pu] = 1;
	r = mark_nested(dir, mark, count);
	for (size_t i = 0; i < count && r == 0; i++)
		if (mark[i])
			r = want_unlisted_members(pl, dir, kd_directory_get(dir, (uint32_t)i));
	if (r == 0)
		r = want_members(pl, dir, mark);
	free(mark);
	return r < 0 ? kd_error_set(err, KD_ERR_NOMEM, "out of memory") : 0;
}

/* ---- the searches ---- */

/* The model of everything kept so far, for find_wants(). */
static int
build_model(struct plan *pl, struct kd_directory **ret_dir, struct kd_error *err)
{
	struct kd_entry_replay rp = {0};
	int r = kd_directory_new(ret_dir, err), more = 0;

	kd_entry_replay_start(&rp, &pl->store);
	while (r == 0 && (more = kd_entry_replay_next(&rp)) > 0)
		r = kd_directory_add(*ret_dir, &rp.entry, err);
	kd_entry_replay_free(&rp);
	if (more < 0)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	return r == 0 ? kd_directory_finish(*ret_dir, err) : r;
}

/*
 * @t's terms in searches of LOOKUP_BATCH values. A group's members leave out the targeted
 * entries (Domain Computers' members are the computers read already); a SID or DN asked
 * for is no entry read already, and the search stays one an index answers.
 */
static int
look_up(struct plan *pl, const struct terms *t, bool by_group, struct kd_error *err)
{
	struct kd_strbuf filter;
	int r = 0;

	kd_strbuf_init(&filter, SIZE_MAX);
	pl->lookup = true;
	for (size_t first = 0, last; first < t->count && r == 0; first = last) {
		size_t from = first ? t->ends[first - 1] : 0;
		struct kd_ldap_search s = {
			.stage = "look-ups", .base = pl->c->base, .scope = LDAP_SCOPE_SUBTREE,
			.attributes = kd_directory_attributes, .paged = true, .sd_flags = true,
		};

		/* LOOKUP_BATCH values, fewer when the DC's DNs are long: at least one */
		for (last = first + 1; last < t->count && last - first < LOOKUP_BATCH &&
				       t->ends[last] - from <= LOOKUP_BYTES;
		     last++)
			;
		kd_strbuf_reset(&filter);
		if (kd_strbuf_printf(&filter, "(&%s%s%s%s(|", kd_directory_filter,
				     by_group ? "(!" : "", by_group ? pl->targeted : "",
				     by_group ? ")" : "") < 0 ||
		    kd_strbuf_append(&filter, t->text.data + from, t->ends[last - 1] - from) < 0 ||
		    kd_strbuf_puts(&filter, "))") < 0) {
			r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
			break;
		}
		s.filter = kd_strbuf_str(&filter);
		/* the connection's own once-a-DN check holds within each search */
		kd_collect_forget_dns(pl->c);
		r = kd_ldap_search(pl->c, &s, keep, pl, err);
	}
	pl->lookup = false;
	kd_strbuf_free(&filter);
	return r;
}

static int
collect_targeted(struct plan *pl, struct kd_error *err)
{
	char filter[1024];
	size_t before;
	int r;

	snprintf(pl->targeted, sizeof(pl->targeted), TARGETED_TERMS_FORMAT, TARGETED_UAC_BITS);
	if (snprintf(filter, sizeof(filter), "(&%s%s)", kd_directory_filter, pl->targeted) >=
	    (int)sizeof(filter))
		return kd_error_set(err, KD_ERR_NOMEM, "the targeted filter is too long");
	/* in kd_ldap_collect's order; sPNMappings before the first model, which resolves
	 * delegation targets through them */
	r = kd_collect_domain(pl->c, "accounts", filter, keep, pl, err);
	if (r == 0)
		r = kd_collect_config(pl->c, keep, pl, err);
	while (r == 0) {
		struct kd_directory *dir = NULL;

		kd_strbuf_reset(&pl->named.text);
		kd_strbuf_reset(&pl->by_group.text);
		pl->named.count = pl->by_group.count = 0;
		r = build_model(pl, &dir, err);
		/* look-ups go by the domain's SID: without one, nothing says what is missing */
		if (r == 0 && !kd_directory_domain(dir)->has_sid) {
			kd_directory_free(dir);
			return NO_DOMAIN_SID;
		}
		if (r == 0)
			r = find_wants(pl, dir, err);
		kd_directory_free(dir);
		if (r < 0 || pl->named.count + pl->by_group.count == 0)
			break;
		if (++pl->stats.rounds > ROUNDS_MAX) {
			r = kd_error_set(err, KD_ERR_INCOMPLETE,
					 "the look-ups found new references after %d rounds: the "
					 "DC keeps inventing entries",
					 ROUNDS_MAX);
			break;
		}
		before = pl->store.count;
		r = look_up(pl, &pl->named, false, err);
		if (r == 0)
			r = look_up(pl, &pl->by_group, true, err);
		/* nothing new: the model would be the same, and ask only what was asked */
		if (r == 0 && pl->store.count == before)
			break;
	}
	return r;
}

int
kd_plan_collect(struct kd_ldap *c, enum kd_plan plan, kd_ldap_entry_fn fn, void *ctx,
		struct kd_plan_stats *stats, struct kd_error *err)
{
	struct plan pl = {.c = c};
	struct kd_entry_replay rp = {0};
	int r, more = 0;

	pl.stats.plan = plan;
	if (stats)
		*stats = pl.stats;
	if (!c || !fn)
		return kd_error_set(err, KD_ERR_USAGE, "kd_plan_collect: no connection");
	if (plan == KD_PLAN_FULL) {
		r = kd_ldap_collect(c, fn, ctx, err);
		if (stats)
			stats->entries = kd_ldap_entries(c);
		return r;
	}
	kd_entry_store_init(&pl.store);
	kd_strbuf_init(&pl.named.text, SIZE_MAX);
	kd_strbuf_init(&pl.by_group.text, SIZE_MAX);
	kd_hashtab_init(&pl.kept);
	kd_hashtab_init(&pl.asked_dns);
	kd_hashtab_init(&pl.asked_sids);
	kd_hashtab_init(&pl.asked_rids);
	kd_hashtab_init(&pl.asked_member_of);
	r = collect_targeted(&pl, err);
	if (r == NO_DOMAIN_SID) {
		kd_entry_store_free(&pl.store);
		kd_collect_forget_dns(c);
		pl.stats.plan = KD_PLAN_FULL;
		if (stats) /* before the first entry: a snapshot's header says which plan */
			stats->plan = KD_PLAN_FULL;
		r = kd_ldap_collect(c, fn, ctx, err);
		pl.stats.entries = kd_ldap_entries(c);
		goto out;
	}
	if (r < 0 && !err->source[0])
		kd_error_set_where(err, c->uri, 0, NULL, NULL);
	/* only a complete closure reaches the caller */
	kd_entry_replay_start(&rp, &pl.store);
	while (r == 0 && (more = kd_entry_replay_next(&rp)) > 0) {
		r = fn(ctx, &rp.entry, err);
		pl.stats.entries++;
	}
	if (more < 0)
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	/* what the snapshot's trailer counts: each entry once */
	c->entries = pl.stats.entries;
out:
	if (stats)
		*stats = pl.stats;
	kd_entry_replay_free(&rp);
	kd_entry_store_free(&pl.store);
	kd_strbuf_free(&pl.named.text);
	kd_strbuf_free(&pl.by_group.text);
	free(pl.named.ends);
	free(pl.by_group.ends);
	kd_hashtab_free(&pl.kept);
	kd_hashtab_free(&pl.asked_dns);
	kd_hashtab_free(&pl.asked_sids);
	kd_hashtab_free(&pl.asked_rids);
	kd_hashtab_free(&pl.asked_member_of);
	kd_arena_free(pl.keys);
	return r;
}
