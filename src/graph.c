/* SPDX-License-Identifier: MIT */
/* The delegation graph over the model's edges, and shortest chains to tier 0 by reverse BFS. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/arena.h"
#include "kdeleg/edge.h"
#include "kdeleg/graph.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/token.h"
#include "kdeleg/uac.h"

/* Hop flags kept with the evidence. */
#define EV_PT 0x01
#define EV_ALIAS 0x02
#define EV_AMBIGUOUS 0x04
#define EV_RBCD_ON_ITSELF 0x08
#define EV_MECH_CLASSIC 0x10
#define EV_MECH_RBCD 0x20

/* An edge as the search reads it: 16 bytes, a million of them are common. */
struct gedge {
	uint32_t from, to;
	uint32_t ev;     /* index into evidence, KD_NONE for passing hops */
	uint8_t kind;    /* enum kd_hop_kind */
	uint8_t needs;   /* KD_NEED_* */
	uint8_t verdict; /* enum kd_verdict */
	uint8_t rank;    /* tie-break: what the hop needs, lower is better */
};

struct gev {
	const char *spn;
	uint32_t ace, victim, trust;
	uint8_t via, flags;
};

struct sidnode {
	struct kd_sid sid;
};

struct kd_graph {
	const struct kd_directory *dir;
	struct kd_kdc *kdc;
	uint32_t nprincipals, nnodes;
	uint32_t domain_node, any_node, new_computer_node, trust_base, ntrust_nodes;
	uint32_t *trust_of;   /* trust node - trust_base -> index into the directory's trusts */
	/* SIDs outside the snapshot, node = sid_base + k */
	uint32_t sid_base;
	struct kd_sid *sids;
	size_t nsids, sids_cap;
	struct kd_hashtab sid_index; /* binary SID (in @arena) -> k */
	struct kd_arena *arena;
	struct gedge *edges;
	size_t nedges, edges_cap;
	struct gev *evs;
	size_t nevs, evs_cap;
	/* reverse adjacency: the edges that end at node v are in_list[in_off[v]..in_off[v+1]) */
	uint32_t *in_off, *in_list;
	uint64_t *keys;       /* per node, kd_graph_node_key() */
	uint8_t *front_end;   /* per node: an account the KDC serves tickets for (an SPN) */
	/* the administrators impersonated to take a machine: for member computers,
	 * for DCs, and a DC account whose TGT a coerced DC sends */
	uint32_t victim_member, victim_dc, victim_dc_account;
	uint8_t victim_member_needs, victim_dc_needs, victim_dc_account_needs;
	uint32_t domain_computers; /* group 515 or KD_NONE */
	bool quota;                /* ms-DS-MachineAccountQuota above 0 */
	int status;
};

const char *
kd_gnode_kind_name(enum kd_gnode_kind kind)
{
	switch (kind) {
	case KD_GNODE_PRINCIPAL:
		return "principal";
	case KD_GNODE_DOMAIN:
		return "domain";
	case KD_GNODE_ANY_USER:
		return "any-authenticated-user";
	case KD_GNODE_NEW_COMPUTER:
		return "created-computer";
	case KD_GNODE_TRUST:
		return "trusting-domain";
	default:
		return "unresolved-sid";
	}
}

const char *
kd_hop_kind_name(enum kd_hop_kind kind)
{
	static const char *const names[KD_HOP_KIND_COUNT] = {
		"member-of",         "sid-history",           "token",
		"create-computer",   "constrained-delegation", "resource-based-delegation",
		"write-rbcd",        "unconstrained-delegation",
	};

	return (unsigned)kind < KD_HOP_KIND_COUNT ? names[kind] : "unknown";
}

bool
kd_hop_passes(enum kd_hop_kind kind)
{
	return kind == KD_HOP_MEMBER || kind == KD_HOP_SID_HISTORY || kind == KD_HOP_TOKEN ||
	       kind == KD_HOP_CREATE_COMPUTER;
}

/* ---- small helpers ---- */

static uint64_t
fnv(uint64_t h, const void *data, size_t len, bool fold)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 0x100000001b3ull;
	}
	return h;
}

#define FNV_SEED 0xcbf29ce484222325ull

static uint64_t
sid_key(const struct kd_sid *sid)
{
	uint8_t bin[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t n = kd_sid_to_binary(sid, bin, sizeof(bin));

	return fnv(FNV_SEED, bin, n, false);
}

static bool
is_machine(const struct kd_principal *p)
{
	return p->kind == KD_KIND_COMPUTER || p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC;
}

/* Accounts that get tickets of their own: a disabled one starts nothing. */
static bool
is_account(const struct kd_principal *p)
{
	return p->kind != KD_KIND_GROUP && p->kind != KD_KIND_FOREIGN &&
	       p->kind != KD_KIND_UNKNOWN;
}

static uint8_t
verdict_needs(enum kd_verdict v)
{
	return v == KD_VERDICT_CONDITIONAL ? KD_NEED_CONDITIONAL
	       : v == KD_VERDICT_UNCERTAIN ? KD_NEED_UNCERTAIN
					   : 0;
}

static uint8_t
needs_rank(uint8_t needs)
{
	return (uint8_t)((needs & KD_NEED_USER_TICKET ? 8 : 0) | (needs & KD_NEED_FRONT_END ? 4 : 0) |
			 (needs & (KD_NEED_CONDITIONAL | KD_NEED_UNCERTAIN) ? 2 : 0));
}


static uint32_t
add_ev(struct kd_graph *g, const struct gev *ev)
{
	if (g->nevs >= UINT32_MAX - 1 ||
	    !kd_grow_array((void **)&g->evs, &g->evs_cap, g->nevs, sizeof(*ev), 256)) {
		g->status = KD_ERR_NOMEM;
		return KD_NONE;
	}
	g->evs[g->nevs] = *ev;
	return (uint32_t)g->nevs++;
}

static void
add_edge(struct kd_graph *g, uint32_t from, uint32_t to, enum kd_hop_kind kind, uint8_t needs,
	 enum kd_verdict verdict, const struct gev *ev)
{
	struct gedge *e;

	if (g->status < 0 || from == to) /* a self-loop gains nothing */
		return;
	if (g->nedges >= UINT32_MAX - 1 ||
	    !kd_grow_array((void **)&g->edges, &g->edges_cap, g->nedges, sizeof(*e), 256)) {
		g->status = KD_ERR_NOMEM;
		return;
	}
	e = &g->edges[g->nedges];
	e->from = from;
	e->to = to;
	e->kind = (uint8_t)kind;
	e->needs = (uint8_t)(needs | verdict_needs(verdict));
	e->verdict = (uint8_t)verdict;
	e->rank = needs_rank(e->needs);
	e->ev = ev ? add_ev(g, ev) : KD_NONE;
	if (g->status == 0)
		g->nedges++;
}

/* The node of a SID the snapshot does not resolve (made on first use), or KD_NONE. */
static uint32_t
sid_node(struct kd_graph *g, const struct kd_sid *sid)
{
	uint8_t bin[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t n = kd_sid_to_binary(sid, bin, sizeof(bin));
	uint32_t k;
	void *key;

	if (kd_token_sid_universal(sid))
		return g->any_node;
	if (kd_hashtab_get(&g->sid_index, bin, n, &k))
		return g->sid_base + k;
	if (g->nsids >= UINT32_MAX / 2 ||
	    !kd_grow_array((void **)&g->sids, &g->sids_cap, g->nsids, sizeof(*g->sids), 256) ||
	    !(key = kd_arena_memdup(g->arena, bin, n)) ||
	    kd_hashtab_put(&g->sid_index, key, n, (uint32_t)g->nsids, NULL) < 0) {
		g->status = KD_ERR_NOMEM;
		return KD_NONE;
	}
	g->sids[g->nsids] = *sid;
	return g->sid_base + (uint32_t)g->nsids++;
}

/* ---- who is impersonated to take a machine ---- */

/*
 * The delegable account with the smallest key among @candidates' kinds: one that
 * can be delegated for sure, else one whose protection is uncertain. A stable
 * choice whatever order the directory was read in.
 */
static int
pick_victim(struct kd_graph *g, bool (*fit)(struct kd_graph *, uint32_t), uint32_t *ret,
	    uint8_t *ret_needs)
{
	uint64_t best_key = 0;
	int best_rank = 0; /* 2 yes, 1 uncertain */

	*ret = KD_NONE;
	*ret_needs = 0;
	for (uint32_t i = 0; i < g->nprincipals; i++) {
		struct kd_decision d;
		uint64_t key;
		int rank;

		if (!fit(g, i))
			continue;
		kd_kdc_delegable(g->kdc, i, &d);
		rank = d.verdict == KD_VERDICT_YES ? 2 : d.verdict == KD_VERDICT_NO ? 0 : 1;
		key = g->keys[i];
		if (rank > best_rank || (rank && rank == best_rank && key < best_key)) {
			best_rank = rank;
			best_key = key;
			*ret = i;
			*ret_needs = rank == 2 ? 0 : verdict_needs(d.verdict);
		}
	}
	return 0;
}

/* An administrator of every member computer: Administrator (RID 500) or a Domain Admin. */
static bool
fit_member_admin(struct kd_graph *g, uint32_t i)
{
	const struct kd_principal *p = kd_directory_get(g->dir, i);
	uint32_t da = kd_directory_find_rid(g->dir, 512);

	if (!p->tier0 || p->kind != KD_KIND_USER)
		return false;
	if (kd_principal_rid(p) == 500 && p->has_sid)
		return true;
	return da != KD_NONE && kd_directory_is_member(g->dir, i, da) == 1;
}

/* A DC's own account: impersonated to another DC's LDAP, it replicates (DCSync). */
static bool
fit_dc_account(struct kd_graph *g, uint32_t i)
{
	return kd_directory_get(g->dir, i)->kind == KD_KIND_DC;
}

/* An administrator of the DCs: a DC account, or a tier-0 user in an admin group. */
static bool
fit_dc_admin(struct kd_graph *g, uint32_t i)
{
	const struct kd_principal *p = kd_directory_get(g->dir, i);
	static const uint32_t rids[] = {512, 519};

	if (fit_dc_account(g, i) || fit_member_admin(g, i))
		return true;
	if (!p->tier0 || p->kind != KD_KIND_USER)
		return false;
	for (size_t k = 0; k < sizeof(rids) / sizeof(*rids); k++) {
		uint32_t grp = kd_directory_find_rid(g->dir, rids[k]);

		if (grp != KD_NONE && kd_directory_is_member(g->dir, i, grp) == 1)
			return true;
	}
	return false;
}

/*
 * Impersonation to @target's services gives control of it when it is a machine
 * (or krbtgt: a ticket to it is a TGT) and one of its administrators can be
 * delegated. Returns the victim or KD_NONE, and what relying on it needs.
 */
static uint32_t
victim_for(const struct kd_graph *g, uint32_t target, uint8_t *ret_needs)
{
	const struct kd_principal *p = kd_directory_get(g->dir, target);

	*ret_needs = 0;
	if (p->kind == KD_KIND_DC || p->kind == KD_KIND_KRBTGT ||
	    (p->tier0 && is_machine(p))) {
		*ret_needs = g->victim_dc_needs;
		return g->victim_dc;
	}
	if (is_machine(p)) {
		*ret_needs = g->victim_member_needs;
		return g->victim_member;
	}
	return KD_NONE;
}

/* ---- the edges ---- */

/* The source node of a model edge: a principal, any user, or a SID node. */
static uint32_t
source_of(struct kd_graph *g, uint32_t from, const struct kd_sid *from_sid)
{
	if (from != KD_NONE) {
		const struct kd_principal *p = kd_directory_get(g->dir, from);

		if (is_account(p) && !p->enabled)
			return KD_NONE;
		return from;
	}
	return sid_node(g, from_sid);
}

/* Can @frontend write its own RBCD attribute (itself, a group it is in, any user)? */
static int
writes_own_rbcd(struct kd_graph *g, uint32_t frontend, bool *ret)
{
	struct kd_writer *writers = NULL;
	size_t n = 0;
	struct kd_error why;

	*ret = false;
	if (kd_access_rbcd_writers(kd_kdc_tokens(g->kdc), g->dir, frontend, &writers, &n, &why) <
	    0)
		return KD_ERR_NOMEM;
	for (size_t k = 0; k < n && !*ret; k++) {
		uint32_t w = writers[k].principal;

		if (w == frontend || kd_token_sid_universal(&writers[k].sid))
			*ret = true;
		else if (w != KD_NONE &&
			 kd_directory_get(g->dir, w)->kind == KD_KIND_GROUP)
			*ret = kd_directory_is_member(g->dir, frontend, w) == 1;
	}
	free(writers);
	return 0;
}

/*
 * Constrained delegation from @e->from to the owner of the SPN, as the model's
 * S4U2Self and S4U2Proxy decide it for the administrator impersonated: with
 * protocol transition (or the back end's RBCD trusting the front end) the KDC
 * grants it outright; otherwise it needs that user's forwardable ticket, unless
 * the front end can write its own RBCD (RBCD to itself yields a forwardable one).
 */
static int
constrained_edge(struct kd_graph *g, const struct kd_edge *e)
{
	struct kd_decision self, proxy;
	struct gev ev = {.spn = e->ev.constrained.spn, .ace = KD_NONE, .trust = KD_NONE};
	uint8_t needs = 0, vneeds;
	uint32_t victim = victim_for(g, e->to, &vneeds);
	int r;

	if (victim == KD_NONE || source_of(g, e->from, NULL) == KD_NONE)
		return 0;
	ev.victim = victim;
	ev.flags = (uint8_t)((e->ev.constrained.protocol_transition ? EV_PT : 0) |
			     (e->ev.constrained.via_alias ? EV_ALIAS : 0) |
			     (e->ev.constrained.ambiguous ? EV_AMBIGUOUS : 0));
	if ((r = kd_kdc_s4u2self(g->kdc, e->from, victim, &self)) < 0 ||
	    (r = kd_kdc_s4u2proxy(g->kdc, e->from, victim, e->ev.constrained.spn,
				  self.verdict != KD_VERDICT_NO && self.forwardable, &proxy)) < 0)
		return r;
	if (proxy.verdict == KD_VERDICT_NO) {
		bool own = false;

		/* with a user's forwardable ticket instead of the S4U2Self one */
		if ((r = kd_kdc_s4u2proxy(g->kdc, e->from, victim, e->ev.constrained.spn, true,
					  &proxy)) < 0)
			return r;
		if (proxy.verdict == KD_VERDICT_NO)
			return 0;
		if ((r = writes_own_rbcd(g, e->from, &own)) < 0)
			return r;
		if (own)
			ev.flags |= EV_RBCD_ON_ITSELF;
		else
			needs |= KD_NEED_USER_TICKET;
	}
	if (proxy.mechanism && strcmp(proxy.mechanism, "classic") == 0)
		ev.flags |= EV_MECH_CLASSIC;
	else if (proxy.mechanism)
		ev.flags |= EV_MECH_RBCD;
	add_edge(g, e->from, e->to, KD_HOP_CONSTRAINED, (uint8_t)(needs | vneeds), proxy.verdict,
		 &ev);
	return 0;
}

/* A writer that is not itself an account with an SPN needs a front end. */
static uint8_t
front_end_need(const struct kd_graph *g, uint32_t node)
{
	/* SID nodes (from sid_base on) are made while edges arrive, after front_end was
	 * sized: an unresolved SID is not known to hold an SPN */
	if (node < g->sid_base && g->front_end[node])
		return 0;
	return g->quota ? KD_NEED_NEW_COMPUTER : KD_NEED_SPNLESS;
}

static int
collect(void *ctx, const struct kd_edge *e)
{
	struct kd_graph *g = ctx;
	struct gev ev = {.ace = KD_NONE, .victim = KD_NONE, .trust = KD_NONE};
	uint32_t from, victim;
	uint8_t vneeds;

	switch (e->kind) {
	case KD_EDGE_MEMBER:
		if ((from = source_of(g, e->from, NULL)) != KD_NONE)
			add_edge(g, from, e->to, KD_HOP_MEMBER, 0, KD_VERDICT_YES, NULL);
		break;
	case KD_EDGE_SID_HISTORY:
		if ((from = source_of(g, e->from, NULL)) == KD_NONE)
			break;
		if (e->to == KD_NONE) {
			/* a SID every token has anyway adds nothing */
			if (!kd_token_sid_universal(&e->to_sid))
				add_edge(g, from, sid_node(g, &e->to_sid), KD_HOP_SID_HISTORY, 0,
					 KD_VERDICT_YES, NULL);
		} else if (kd_directory_get(g->dir, e->to)->kind == KD_KIND_GROUP) {
			/* a group's SID gives its rights; another account's SID is not control
			 * of that account (its keys, its delegation) */
			add_edge(g, from, e->to, KD_HOP_SID_HISTORY, 0, KD_VERDICT_YES, NULL);
		}
		break;
	case KD_EDGE_CONSTRAINED:
		if (e->to != e->from)
			return constrained_edge(g, e);
		break;
	case KD_EDGE_RBCD:
		victim = victim_for(g, e->to, &vneeds);
		from = source_of(g, e->from, &e->from_sid);
		if (victim == KD_NONE || from == KD_NONE)
			break;
		ev.ace = e->ev.rbcd.ace;
		ev.victim = victim;
		add_edge(g, from, e->to, KD_HOP_RBCD, vneeds, e->ev.rbcd.verdict, &ev);
		break;
	case KD_EDGE_WRITE_RBCD:
		victim = victim_for(g, e->to, &vneeds);
		from = source_of(g, e->from, &e->from_sid);
		if (victim == KD_NONE || from == KD_NONE)
			break;
		ev.ace = e->ev.write.ace;
		ev.via = (uint8_t)e->ev.write.via;
		ev.victim = victim;
		add_edge(g, from, e->to, KD_HOP_WRITE_RBCD,
			 (uint8_t)(vneeds | front_end_need(g, from)), KD_VERDICT_YES, &ev);
		break;
	case KD_EDGE_UNCONSTRAINED:
		/* Coercion (printer bug, PetitPotam) cannot be seen over LDAP: assumed. */
		if ((from = source_of(g, e->from, NULL)) == KD_NONE ||
		    g->victim_dc_account == KD_NONE)
			break;
		ev.victim = g->victim_dc_account;
		add_edge(g, from, g->domain_node, KD_HOP_UNCONSTRAINED,
			 (uint8_t)(KD_NEED_COERCION | g->victim_dc_account_needs), KD_VERDICT_YES,
			 &ev);
		for (uint32_t t = 0; t < g->ntrust_nodes; t++) {
			ev.trust = g->trust_of[t];
			add_edge(g, from, g->trust_base + t, KD_HOP_UNCONSTRAINED,
				 KD_NEED_COERCION, KD_VERDICT_YES, &ev);
		}
		break;
	}
	return g->status;
}

/*
 * What the model's edges leave implicit: principals named by SIDs every token
 * holds, and the computer any user can create, whose token holds Domain
 * Computers (its primary group) and what every token holds.
 */
static int
pseudo_edges(struct kd_graph *g)
{
	const struct kd_domain *d = kd_directory_domain(g->dir);
	struct kd_sid dc_sid;
	bool have_dc_sid = d->has_sid && kd_sid_compose(&d->sid, 515, &dc_sid);

	for (uint32_t i = 0; i < g->nprincipals && g->status == 0; i++) {
		const struct kd_principal *p = kd_directory_get(g->dir, i);
		struct kd_sid sid;

		if (!p->has_sid)
			continue;
		sid = kd_principal_sid(p);
		if (kd_token_sid_universal(&sid))
			add_edge(g, g->any_node, i, KD_HOP_TOKEN, 0, KD_VERDICT_YES, NULL);
	}
	if (!g->quota || g->status < 0)
		return g->status;
	{
		struct gev ev = {.ace = KD_NONE, .victim = KD_NONE, .trust = KD_NONE};

		add_edge(g, g->any_node, g->new_computer_node, KD_HOP_CREATE_COMPUTER,
			 KD_NEED_NEW_COMPUTER, KD_VERDICT_YES, &ev);
	}
	if (g->domain_computers != KD_NONE)
		add_edge(g, g->new_computer_node, g->domain_computers, KD_HOP_MEMBER, 0,
			 KD_VERDICT_YES, NULL);
	if (!have_dc_sid)
		return g->status;
	for (uint32_t i = 0; i < g->nprincipals && g->status == 0; i++) {
		const struct kd_principal *p = kd_directory_get(g->dir, i);
		struct gev ev = {.ace = KD_NONE, .trust = KD_NONE};
		struct kd_decision dec;
		uint8_t vneeds;

		if (p->rbcd_state != KD_RBCD_PARSED && p->rbcd_state != KD_RBCD_NULL_DACL)
			continue;
		if ((ev.victim = victim_for(g, i, &vneeds)) == KD_NONE)
			continue;
		if (kd_kdc_rbcd_sid(g->kdc, i, &dc_sid, &dec) < 0)
			return KD_ERR_NOMEM;
		if (dec.verdict == KD_VERDICT_NO)
			continue;
		ev.ace = dec.ace;
		add_edge(g, g->new_computer_node, i, KD_HOP_RBCD, vneeds, dec.verdict, &ev);
	}
	return g->status;
}

/* The reverse adjacency, by counting sort on the edges' ends. */
static int
index_edges(struct kd_graph *g)
{
	uint32_t *fill;

	g->in_off = calloc((size_t)g->nnodes + 1, sizeof(*g->in_off));
	g->in_list = malloc((g->nedges ? g->nedges : 1) * sizeof(*g->in_list));
	fill = malloc(((size_t)g->nnodes + 1) * sizeof(*fill));
	if (!g->in_off || !g->in_list || !fill) {
		free(fill);
		return KD_ERR_NOMEM;
	}
	for (size_t k = 0; k < g->nedges; k++)
		g->in_off[g->edges[k].to + 1]++;
	for (uint32_t v = 0; v < g->nnodes; v++)
		g->in_off[v + 1] += g->in_off[v];
	memcpy(fill, g->in_off, ((size_t)g->nnodes + 1) * sizeof(*fill));
	for (size_t k = 0; k < g->nedges; k++)
		g->in_list[fill[g->edges[k].to]++] = (uint32_t)k;
	free(fill);
	return 0;
}

static int
node_tables(struct kd_graph *g)
{
	const struct kd_domain *d = kd_directory_domain(g->dir);
	const struct kd_trust *trusts;
	size_t ntrusts = kd_directory_trusts(g->dir, &trusts);
	uint32_t n = g->nprincipals;

	g->trust_of = malloc((ntrusts ? ntrusts : 1) * sizeof(*g->trust_of));
	if (!g->trust_of)
		return KD_ERR_NOMEM;
	for (size_t t = 0; t < ntrusts; t++)
		if (trusts[t].has_attributes &&
		    (trusts[t].attributes & KD_TRUST_ATTR_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION))
			g->trust_of[g->ntrust_nodes++] = (uint32_t)t;
	g->domain_node = n;
	g->any_node = n + 1;
	g->new_computer_node = n + 2;
	g->trust_base = n + 3;
	g->sid_base = g->trust_base + g->ntrust_nodes;
	g->quota = d->has_machine_quota && d->machine_quota > 0;
	g->domain_computers = kd_directory_find_rid(g->dir, 515);
	if (g->domain_computers != KD_NONE &&
	    kd_directory_get(g->dir, g->domain_computers)->kind != KD_KIND_GROUP)
		g->domain_computers = KD_NONE;
	/* keys and front ends of the principals; the other nodes' after the edges */
	g->keys = malloc(((size_t)g->sid_base + 1) * sizeof(*g->keys));
	if (!g->keys)
		return KD_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct kd_principal *p = kd_directory_get(g->dir, i);

		if (p->has_sid && p->sid_binary)
			g->keys[i] = fnv(FNV_SEED, p->sid_binary, 8 + 4 * (size_t)p->sid_binary[1],
					 false);
		else
			g->keys[i] = fnv(FNV_SEED ^ 1, p->dn, strlen(p->dn), true);
	}
	/* the domain wins a tie with a trusting domain: the smallest key */
	g->keys[g->domain_node] = 0;
	g->keys[g->any_node] = fnv(FNV_SEED, "any-user", 8, false);
	g->keys[g->new_computer_node] = fnv(FNV_SEED, "new-computer", 12, false);
	for (uint32_t t = 0; t < g->ntrust_nodes; t++) {
		const char *name = trusts[g->trust_of[t]].partner ? trusts[g->trust_of[t]].partner
								  : trusts[g->trust_of[t]].dn;

		g->keys[g->trust_base + t] = fnv(FNV_SEED ^ 2, name, strlen(name), true);
	}
	g->front_end = calloc((size_t)g->sid_base + 1, 1);
	if (!g->front_end)
		return KD_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct kd_principal *p = kd_directory_get(g->dir, i);

		/* machines and managed service accounts carry SPNs by design; a user
		 * only when it has one */
		g->front_end[i] = p->enabled && is_account(p) &&
				  (is_machine(p) || p->kind == KD_KIND_MSA ||
				   p->kind == KD_KIND_GMSA || p->nspns > 0);
	}
	g->front_end[g->new_computer_node] = 1;
	return 0;
}

int
kd_graph_new(struct kd_kdc *kdc, const struct kd_directory *dir, struct kd_graph **ret_graph,
	     struct kd_error *err)
{
	struct kd_graph *g = calloc(1, sizeof(*g));
	size_t count = kd_directory_count(dir);
	int r = KD_ERR_NOMEM;

	*ret_graph = NULL;
	if (!g)
		goto fail;
	kd_hashtab_init(&g->sid_index);
	g->dir = dir;
	g->kdc = kdc;
	if (count > UINT32_MAX / 4) {
		r = kd_error_set(err, KD_ERR_NOMEM, "too many principals for the graph");
		goto fail;
	}
	g->nprincipals = (uint32_t)count;
	if (!(g->arena = kd_arena_new()) || node_tables(g) < 0)
		goto fail;
	pick_victim(g, fit_member_admin, &g->victim_member, &g->victim_member_needs);
	pick_victim(g, fit_dc_admin, &g->victim_dc, &g->victim_dc_needs);
	pick_victim(g, fit_dc_account, &g->victim_dc_account, &g->victim_dc_account_needs);
	kd_error_clear(err);
	r = kd_edges_each(kdc, dir, collect, g, err);
	if (r == 0)
		r = g->status;
	if (r == 0)
		r = pseudo_edges(g);
	if (r < 0) {
		if (r != KD_ERR_NOMEM)
			goto out;
		r = KD_ERR_NOMEM;
		goto fail;
	}
	g->nnodes = g->sid_base + (uint32_t)g->nsids;
	{
		uint64_t *keys = realloc(g->keys, ((size_t)g->nnodes + 1) * sizeof(*keys));
		uint8_t *fe = realloc(g->front_end, (size_t)g->nnodes + 1);

		if (keys)
			g->keys = keys;
		if (fe)
			g->front_end = fe;
		if (!keys || !fe)
			goto fail;
	}
	for (size_t k = 0; k < g->nsids; k++) {
		g->keys[g->sid_base + k] = sid_key(&g->sids[k]);
		g->front_end[g->sid_base + k] = 0;
	}
	if (index_edges(g) < 0)
		goto fail;
	*ret_graph = g;
	return 0;
fail:
	r = kd_error_set(err, KD_ERR_NOMEM, "out of memory while building the delegation graph");
out:
	kd_graph_free(g);
	return r;
}

void
kd_graph_free(struct kd_graph *g)
{
	if (!g)
		return;
	kd_hashtab_free(&g->sid_index);
	kd_arena_free(g->arena);
	free(g->trust_of);
	free(g->sids);
	free(g->edges);
	free(g->evs);
	free(g->in_off);
	free(g->in_list);
	free(g->keys);
	free(g->front_end);
	free(g);
}

size_t
kd_graph_node_count(const struct kd_graph *g)
{
	return g->nnodes;
}

size_t
kd_graph_edge_count(const struct kd_graph *g)
{
	return g->nedges;
}

uint32_t
kd_graph_domain_node(const struct kd_graph *g)
{
	return g->domain_node;
}

uint32_t
kd_graph_any_user_node(const struct kd_graph *g)
{
	return g->any_node;
}

uint64_t
kd_graph_node_key(const struct kd_graph *g, uint32_t node)
{
	return g->keys[node];
}

static bool
is_sink(const struct kd_graph *g, uint32_t node)
{
	if (node < g->nprincipals)
		return kd_directory_get(g->dir, node)->tier0;
	return node == g->domain_node || (node >= g->trust_base && node < g->sid_base);
}

void
kd_graph_node_get(const struct kd_graph *g, uint32_t node, struct kd_gnode *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->principal = KD_NONE;
	ret->trust = KD_NONE;
	ret->sink = is_sink(g, node);
	if (node < g->nprincipals) {
		const struct kd_principal *p = kd_directory_get(g->dir, node);

		ret->kind = KD_GNODE_PRINCIPAL;
		ret->principal = node;
		if ((ret->has_sid = p->has_sid))
			ret->sid = kd_principal_sid(p);
	} else if (node == g->domain_node) {
		const struct kd_domain *d = kd_directory_domain(g->dir);

		ret->kind = KD_GNODE_DOMAIN;
		if ((ret->has_sid = d->has_sid))
			ret->sid = d->sid;
	} else if (node == g->any_node) {
		ret->kind = KD_GNODE_ANY_USER;
	} else if (node == g->new_computer_node) {
		ret->kind = KD_GNODE_NEW_COMPUTER;
	} else if (node < g->sid_base) {
		ret->kind = KD_GNODE_TRUST;
		ret->trust = g->trust_of[node - g->trust_base];
	} else {
		ret->kind = KD_GNODE_SID;
		ret->has_sid = true;
		ret->sid = g->sids[node - g->sid_base];
	}
}

void
kd_graph_hop(const struct kd_graph *g, uint32_t edge, struct kd_hop *ret)
{
	const struct gedge *e = &g->edges[edge];
	const struct gev *ev = e->ev != KD_NONE ? &g->evs[e->ev] : NULL;

	memset(ret, 0, sizeof(*ret));
	ret->kind = (enum kd_hop_kind)e->kind;
	ret->from = e->from;
	ret->to = e->to;
	ret->needs = e->needs;
	ret->verdict = (enum kd_verdict)e->verdict;
	ret->victim = ev ? ev->victim : KD_NONE;
	ret->ace = ev ? ev->ace : KD_NONE;
	ret->trust = ev ? ev->trust : KD_NONE;
	if (!ev)
		return;
	ret->spn = ev->spn;
	ret->via = (enum kd_write_via)ev->via;
	ret->protocol_transition = ev->flags & EV_PT;
	ret->via_alias = ev->flags & EV_ALIAS;
	ret->ambiguous = ev->flags & EV_AMBIGUOUS;
	ret->rbcd_on_itself = ev->flags & EV_RBCD_ON_ITSELF;
	ret->mechanism = ev->flags & EV_MECH_CLASSIC ? "classic"
			 : ev->flags & EV_MECH_RBCD  ? "resource-based"
						     : NULL;
}

/* ---- shortest chains ---- */

struct kd_reach {
	const struct kd_graph *graph;
	uint32_t *hops, *next, *order;
	uint8_t *needs_n, *needs_f; /* without / with a front end already in hand */
	size_t norder;
};

/* Is edge @a a better first hop than @b (both to nodes one hop nearer)? */
static bool
better(const struct kd_graph *g, uint32_t a, uint32_t b)
{
	const struct gedge *x = &g->edges[a], *y = &g->edges[b];

	if (x->rank != y->rank)
		return x->rank < y->rank;
	if (g->keys[x->to] != g->keys[y->to])
		return g->keys[x->to] < g->keys[y->to];
	if (x->to != y->to)
		return x->to < y->to;
	if (x->kind != y->kind)
		return x->kind < y->kind;
	if (x->ev != KD_NONE && y->ev != KD_NONE && g->evs[x->ev].spn && g->evs[y->ev].spn) {
		int c = strcasecmp(g->evs[x->ev].spn, g->evs[y->ev].spn);

		if (c)
			return c < 0;
	}
	if (x->ev != KD_NONE && y->ev != KD_NONE && g->evs[x->ev].ace != g->evs[y->ev].ace)
		return g->evs[x->ev].ace < g->evs[y->ev].ace;
	return a < b;
}

int
kd_graph_reach(const struct kd_graph *g, const uint32_t *sinks, size_t nsinks, uint32_t max_hops,
	       struct kd_reach **ret_reach, struct kd_error *err)
{
	struct kd_reach *r = calloc(1, sizeof(*r));
	size_t n = g->nnodes, head = 0;

	*ret_reach = NULL;
	if (!r)
		goto nomem;
	r->graph = g;
	r->hops = malloc((n ? n : 1) * sizeof(*r->hops));
	r->next = malloc((n ? n : 1) * sizeof(*r->next));
	r->order = malloc((n ? n : 1) * sizeof(*r->order));
	r->needs_n = calloc(n ? n : 1, 1);
	r->needs_f = calloc(n ? n : 1, 1);
	if (!r->hops || !r->next || !r->order || !r->needs_n || !r->needs_f)
		goto nomem;
	memset(r->hops, 0xff, n * sizeof(*r->hops));
	memset(r->next, 0xff, n * sizeof(*r->next));
	if (sinks) {
		for (size_t k = 0; k < nsinks; k++)
			if (sinks[k] < n && r->hops[sinks[k]] != 0) {
				r->hops[sinks[k]] = 0;
				r->order[r->norder++] = sinks[k];
			}
	} else {
		for (uint32_t v = 0; v < n; v++)
			if (is_sink(g, v)) {
				r->hops[v] = 0;
				r->order[r->norder++] = v;
			}
	}
	/* Level by level: every node of level d is expanded before any of level d+1,
	 * so all the candidate first hops of a node are seen before it is expanded. */
	while (head < r->norder) {
		uint32_t v = r->order[head++], d = r->hops[v];

		if (max_hops && d >= max_hops)
			continue;
		for (uint32_t k = g->in_off[v]; k < g->in_off[v + 1]; k++) {
			uint32_t e = g->in_list[k], u = g->edges[e].from;

			if (r->hops[u] == KD_UNREACHED) {
				r->hops[u] = d + 1;
				r->next[u] = e;
				r->order[r->norder++] = u;
			} else if (r->hops[u] == d + 1 && better(g, e, r->next[u])) {
				r->next[u] = e;
			}
		}
	}
	/* What each chain needs, nearest nodes first so the rest of a chain is known. */
	for (size_t k = 0; k < r->norder; k++) {
		uint32_t u = r->order[k], e = r->next[u];
		const struct gedge *x;
		uint8_t base, fe;

		if (e == KD_NONE)
			continue;
		x = &g->edges[e];
		fe = x->needs & KD_NEED_FRONT_END;
		base = (uint8_t)(x->needs & ~KD_NEED_FRONT_END);
		r->needs_f[u] = (uint8_t)(base | r->needs_f[x->to]);
		r->needs_n[u] = g->front_end[u] ? r->needs_f[u]
						: (uint8_t)(base | fe | r->needs_n[x->to]);
	}
	*ret_reach = r;
	return 0;
nomem:
	kd_reach_free(r);
	return kd_error_set(err, KD_ERR_NOMEM, "out of memory while searching chains");
}

void
kd_reach_free(struct kd_reach *r)
{
	if (!r)
		return;
	free(r->hops);
	free(r->next);
	free(r->order);
	free(r->needs_n);
	free(r->needs_f);
	free(r);
}

uint32_t
kd_reach_hops(const struct kd_reach *r, uint32_t node)
{
	return r->hops[node];
}

uint32_t
kd_reach_next(const struct kd_reach *r, uint32_t node)
{
	return r->next[node];
}

uint8_t
kd_reach_needs(const struct kd_reach *r, uint32_t node)
{
	return r->needs_n[node];
}

const uint32_t *
kd_reach_order(const struct kd_reach *r, size_t *ret_count)
{
	*ret_count = r->norder;
	return r->order;
}
