/* SPDX-License-Identifier: MIT */
/*
 * The delegation graph: A -> B means "whoever controls A gains B", each edge with
 * its evidence, built from the model's edges (edge.h) and decisions (kdc.h) and
 * nothing else; and the shortest chains from every node to tier 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/access.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/kdc.h"
#include "kdeleg/sid.h"

/*
 * Nodes are numbered: the directory's principals first (node i is principal i),
 * then the domain, the two pseudo-nodes, one node per trust that lets TGTs be
 * delegated, and one per SID the snapshot does not resolve.
 */
enum kd_gnode_kind {
	KD_GNODE_PRINCIPAL,
	KD_GNODE_DOMAIN,       /* this domain: whoever holds a DC's TGT (sink) */
	KD_GNODE_ANY_USER,     /* any authenticated user: the SIDs every token carries */
	KD_GNODE_NEW_COMPUTER, /* a computer any user can create (quota above 0) */
	KD_GNODE_TRUST,        /* a trusting domain whose TGTs cross to us (sink) */
	KD_GNODE_SID,          /* a SID outside the snapshot: never assumed safe, nor owned */
};

const char *kd_gnode_kind_name(enum kd_gnode_kind kind);

struct kd_gnode {
	enum kd_gnode_kind kind;
	uint32_t principal;   /* KD_GNODE_PRINCIPAL: the index; else KD_NONE */
	uint32_t trust;       /* KD_GNODE_TRUST: index into kd_directory_trusts() */
	struct kd_sid sid;    /* KD_GNODE_SID, and principals that have one */
	bool has_sid;
	bool sink;            /* tier 0, the domain, a trusting domain */
};

/* What an attacker who controls a hop's source gains, and how. */
enum kd_hop_kind {
	KD_HOP_MEMBER,          /* member -> group: the group's rights */
	KD_HOP_SID_HISTORY,     /* holder -> a SID its sIDHistory puts in its token */
	KD_HOP_TOKEN,           /* any user -> a principal every token names (S-1-5-11...) */
	KD_HOP_CREATE_COMPUTER, /* any user -> a computer it creates */
	KD_HOP_CONSTRAINED,     /* front end -> owner of a target SPN (impersonation) */
	KD_HOP_RBCD,            /* trustee -> resource (impersonation) */
	KD_HOP_WRITE_RBCD,      /* writer -> account (writes RBCD, then impersonates) */
	KD_HOP_UNCONSTRAINED,   /* holder -> the domain (a coerced DC's TGT) */
};
#define KD_HOP_KIND_COUNT 8

/* "member-of", "constrained-delegation"...: the names of the JSON output. */
const char *kd_hop_kind_name(enum kd_hop_kind kind);
/* True for hops that only pass rights along (membership, tokens, creation). */
bool kd_hop_passes(enum kd_hop_kind kind);

/* What a hop or a chain needs besides the account the attacker starts from. */
#define KD_NEED_USER_TICKET 0x01  /* a user's forwardable ticket (classic KCD, no PT) */
#define KD_NEED_NEW_COMPUTER 0x02 /* a computer created under ms-DS-MachineAccountQuota */
#define KD_NEED_SPNLESS 0x04      /* no front end with an SPN: SPN-less RBCD (U2U) */
#define KD_NEED_CONDITIONAL 0x08  /* a conditional ACE's expression must hold */
#define KD_NEED_UNCERTAIN 0x10    /* Windows' answer is not documented (see the model) */
#define KD_NEED_COERCION 0x20     /* a DC made to authenticate (not visible over LDAP) */
#define KD_NEED_FRONT_END (KD_NEED_NEW_COMPUTER | KD_NEED_SPNLESS)

/* One hop with its evidence; pointers borrow from the directory. */
struct kd_hop {
	enum kd_hop_kind kind;
	uint32_t from, to;      /* nodes */
	uint8_t needs;          /* KD_NEED_*, front-end needs included */
	enum kd_verdict verdict;
	uint32_t victim;        /* impersonation: the administrator impersonated, or KD_NONE */
	/* KD_HOP_CONSTRAINED */
	const char *spn;
	bool protocol_transition, via_alias, ambiguous;
	const char *mechanism;  /* "classic" or "resource-based" (the model's S4U2Proxy) */
	bool rbcd_on_itself;    /* no PT, but the front end can write its own RBCD */
	/* KD_HOP_RBCD, KD_HOP_WRITE_RBCD: the deciding or granting ACE, or KD_NONE */
	uint32_t ace;
	enum kd_write_via via;  /* KD_HOP_WRITE_RBCD */
	uint32_t trust;         /* KD_HOP_UNCONSTRAINED to a trusting domain, else KD_NONE */
};

struct kd_graph;

/*
 * The graph of @dir (finished) as the KDC model @kdc sees it; both are borrowed
 * and must outlive the graph. Impersonation (constrained, RBCD, write then RBCD)
 * counts as control of computers, domain controllers and krbtgt only, and only
 * when one of their administrators can be delegated (kd_kdc_delegable): a domain
 * admin for a member computer, a DC's own account or a tier-0 administrator for
 * a DC. Disabled accounts get no ticket and start nothing. Memory grows with
 * nodes + edges. KD_ERR_NOMEM.
 */
int kd_graph_new(struct kd_kdc *kdc, const struct kd_directory *dir, struct kd_graph **ret_graph,
		 struct kd_error *err);
void kd_graph_free(struct kd_graph *graph);

size_t kd_graph_node_count(const struct kd_graph *graph);
size_t kd_graph_edge_count(const struct kd_graph *graph);
/* What node @node stands for. */
void kd_graph_node_get(const struct kd_graph *graph, uint32_t node, struct kd_gnode *ret);
uint32_t kd_graph_domain_node(const struct kd_graph *graph);
uint32_t kd_graph_any_user_node(const struct kd_graph *graph);
/* The hop of edge @edge, with its evidence. */
void kd_graph_hop(const struct kd_graph *graph, uint32_t edge, struct kd_hop *ret);

/*
 * Shortest chains to a set of sinks: a breadth-first search backwards from them,
 * linear in nodes + edges. Ties between chains of one length are broken by what
 * the hop needs, then by a hash of the next node's SID (or DN): the same chain
 * whatever order the directory was read in.
 */
struct kd_reach;

/*
 * @sinks (@nsinks nodes), or NULL for the graph's sinks (tier 0, the domain,
 * trusting domains). @max_hops 0: no limit. KD_ERR_NOMEM.
 */
int kd_graph_reach(const struct kd_graph *graph, const uint32_t *sinks, size_t nsinks,
		   uint32_t max_hops, struct kd_reach **ret_reach, struct kd_error *err);
void kd_reach_free(struct kd_reach *reach);

#define KD_UNREACHED UINT32_MAX
/* Hops from @node to the nearest sink: 0 for a sink, KD_UNREACHED when none. */
uint32_t kd_reach_hops(const struct kd_reach *reach, uint32_t node);
/* The first edge of @node's chain, or KD_NONE (a sink, or not reached). */
uint32_t kd_reach_next(const struct kd_reach *reach, uint32_t node);
/*
 * What @node's whole chain needs (KD_NEED_*) for an attacker who controls @node
 * and nothing else: a hop that needs a front end does not when an account with
 * an SPN comes earlier in the chain.
 */
uint8_t kd_reach_needs(const struct kd_reach *reach, uint32_t node);
/* The nodes in order of hops (sinks first), @ret_count of them. */
const uint32_t *kd_reach_order(const struct kd_reach *reach, size_t *ret_count);
/* A stable 64-bit key of @node (a hash of its SID, else of its DN or kind). */
uint64_t kd_graph_node_key(const struct kd_graph *graph, uint32_t node);
