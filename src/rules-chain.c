/* SPDX-License-Identifier: MIT */
/* Delegation chains to tier 0: the delegation-chain rule, chains as text and JSON, kdeleg paths. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/chain.h"
#include "kdeleg/graph.h"
#include "kdeleg/strbuf.h"

/* Chains longer than this are cut in text and JSON (a chain is at most as long as
 * the graph has nodes; a thousand hops says all there is to say). */
#define CHAIN_SHOWN_MAX 1000

/* ---- naming ---- */

const char *
kd_chain_node_name(const struct kd_graph *g, const struct kd_directory *dir, uint32_t node,
		   char *buf, size_t size)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	struct kd_gnode n;
	char sid[KD_SID_STRING_MAX];
	const char *known;

	kd_graph_node_get(g, node, &n);
	switch (n.kind) {
	case KD_GNODE_PRINCIPAL:
		return kd_directory_get(dir, node)->name;
	case KD_GNODE_DOMAIN:
		snprintf(buf, size, "domain %s",
			 d->dns_name ? d->dns_name : d->dn ? d->dn : "(unknown)");
		return buf;
	case KD_GNODE_ANY_USER:
		return "any authenticated user";
	case KD_GNODE_NEW_COMPUTER:
		return "a computer any user can create";
	case KD_GNODE_TRUST: {
		const struct kd_trust *trusts;

		kd_directory_trusts(dir, &trusts);
		snprintf(buf, size, "domain %s",
			 trusts[n.trust].partner ? trusts[n.trust].partner : trusts[n.trust].dn);
		return buf;
	}
	default:
		kd_sid_to_string(&n.sid, sid, sizeof(sid));
		known = kd_sid_wellknown_name(&n.sid);
		if (!known && d->has_sid && kd_sid_in_domain(&n.sid, &d->sid))
			known = kd_sid_domain_rid_name(kd_sid_rid(&n.sid));
		if (known)
			snprintf(buf, size, "%s (%s, not in the snapshot)", known, sid);
		else
			snprintf(buf, size, "%s (not in the snapshot)", sid);
		return buf;
	}
}

static const char *const need_names[] = {
	"user-ticket", "created-computer", "spn-less", "conditional", "uncertain", "coercion",
};

static const char *const need_words[] = {
	"a user's forwardable ticket",
	"a computer account it creates",
	"SPN-less RBCD (U2U) from an account it controls",
	"a conditional ACE's expression to hold",
	"a Windows behaviour the model cannot settle",
	"a DC coerced to authenticate (assumed)",
};

json_t *
kd_chain_needs_json(uint8_t needs)
{
	json_t *list = json_array();

	for (size_t k = 0; list && k < sizeof(need_names) / sizeof(*need_names); k++)
		if ((needs & (1u << k)) &&
		    json_array_append_new(list, json_string_nocheck(need_names[k])) < 0) {
			json_decref(list);
			return NULL;
		}
	return list;
}

static void
needs_words(struct kd_strbuf *out, uint8_t needs)
{
	bool first = true;

	for (size_t k = 0; k < sizeof(need_words) / sizeof(*need_words); k++) {
		if (!(needs & (1u << k)))
			continue;
		kd_strbuf_puts(out, first ? "" : "; ");
		kd_strbuf_puts(out, need_words[k]);
		first = false;
	}
}

enum kd_severity
kd_chain_severity(uint32_t hops, uint8_t needs)
{
	int level = KD_SEV_CRITICAL;

	if (hops > 3)
		level--;
	if (needs & KD_NEED_FRONT_END)
		level--;
	if (needs & KD_NEED_USER_TICKET)
		level -= 2;
	if (needs & (KD_NEED_CONDITIONAL | KD_NEED_UNCERTAIN))
		level--;
	return level < KD_SEV_LOW ? KD_SEV_LOW : (enum kd_severity)level;
}

/* ---- text ---- */

static void
hop_label(struct kd_strbuf *out, const struct kd_hop *h)
{
	switch (h->kind) {
	case KD_HOP_MEMBER:
		kd_strbuf_puts(out, "member");
		break;
	case KD_HOP_SID_HISTORY:
		kd_strbuf_puts(out, "sid-history");
		break;
	case KD_HOP_TOKEN:
		kd_strbuf_puts(out, "token");
		break;
	case KD_HOP_CREATE_COMPUTER:
		kd_strbuf_puts(out, "creates");
		break;
	case KD_HOP_CONSTRAINED:
		kd_strbuf_puts(out, h->protocol_transition ? "constrained+PT " : "constrained ");
		kd_strbuf_puts(out, h->spn ? h->spn : "?");
		if (h->mechanism && strcmp(h->mechanism, "resource-based") == 0)
			kd_strbuf_puts(out, " (its RBCD trusts the front end)");
		else if (h->rbcd_on_itself)
			kd_strbuf_puts(out, " (RBCD on itself)");
		break;
	case KD_HOP_RBCD:
		kd_strbuf_puts(out, "rbcd");
		break;
	case KD_HOP_WRITE_RBCD:
		kd_strbuf_puts(out, "write-rbcd ");
		kd_strbuf_puts(out, kd_write_via_name(h->via));
		break;
	case KD_HOP_UNCONSTRAINED:
		kd_strbuf_puts(out, "unconstrained");
		break;
	}
}

int
kd_chain_text(const struct kd_graph *g, const struct kd_reach *r, const struct kd_directory *dir,
	      uint32_t start, struct kd_strbuf *out)
{
	char buf[KD_SID_STRING_MAX + 128];
	uint32_t node = start, e;
	size_t shown = 0;
	uint8_t needs = kd_reach_needs(r, start);

	kd_strbuf_puts(out, kd_chain_node_name(g, dir, node, buf, sizeof(buf)));
	while ((e = kd_reach_next(r, node)) != KD_NONE && shown++ < CHAIN_SHOWN_MAX) {
		struct kd_hop h;

		kd_graph_hop(g, e, &h);
		kd_strbuf_puts(out, " --");
		hop_label(out, &h);
		kd_strbuf_puts(out, "--> ");
		node = h.to;
		kd_strbuf_puts(out, kd_chain_node_name(g, dir, node, buf, sizeof(buf)));
	}
	if (needs) {
		kd_strbuf_puts(out, "  [needs ");
		needs_words(out, needs);
		kd_strbuf_puts(out, "]");
	}
	/* a strbuf that failed to grow keeps failing: one check at the end */
	return kd_strbuf_putc(out, '\0') < 0 ? KD_ERR_NOMEM : (out->len--, 0);
}

/* ---- JSON ---- */

static int
set(json_t *o, const char *key, json_t *value)
{
	return json_object_set_new_nocheck(o, key, value) < 0 || !value ? -1 : 0;
}

json_t *
kd_chain_node_json(const struct kd_graph *g, const struct kd_directory *dir, uint32_t node)
{
	char buf[KD_SID_STRING_MAX + 128], sid[KD_SID_STRING_MAX];
	struct kd_gnode n;
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	kd_graph_node_get(g, node, &n);
	bad |= set(o, "name", kd_json_text(kd_chain_node_name(g, dir, node, buf, sizeof(buf))));
	bad |= set(o, "sid", n.has_sid ? json_string_nocheck(kd_sid_to_string(&n.sid, sid,
									       sizeof(sid)))
				       : json_null());
	if (n.kind == KD_GNODE_PRINCIPAL) {
		const struct kd_principal *p = kd_directory_get(dir, node);

		bad |= set(o, "kind", json_string_nocheck(kd_kind_name(p->kind)));
		bad |= set(o, "dn", kd_json_text(p->dn));
	} else {
		bad |= set(o, "kind", json_string_nocheck(kd_gnode_kind_name(n.kind)));
	}
	if (n.kind == KD_GNODE_SID && n.sid.count >= 2) {
		/* the domain it belongs to: the SID without its last sub-authority */
		struct kd_sid prefix = n.sid;

		prefix.sub[--prefix.count] = 0;
		bad |= set(o, "domain_sid",
			   json_string_nocheck(kd_sid_to_string(&prefix, sid, sizeof(sid))));
	}
	bad |= set(o, "tier0", json_boolean(n.sink));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
victim_json(const struct kd_directory *dir, uint32_t victim)
{
	const struct kd_principal *p = kd_directory_get(dir, victim);
	char sid[KD_SID_STRING_MAX];
	struct kd_sid own;

	if (!p)
		return json_null();
	own = kd_principal_sid(p);
	return json_pack("{s:o, s:o}", "name", kd_json_text(p->name), "sid",
			 p->has_sid ? json_string(kd_sid_to_string(&own, sid, sizeof(sid)))
				    : json_null());
}

static json_t *
hop_json(const struct kd_graph *g, const struct kd_directory *dir, const struct kd_hop *h)
{
	json_t *ev = json_object(), *hop;
	int bad = !ev;

	switch (h->kind) {
	case KD_HOP_CONSTRAINED:
		bad |= set(ev, "spn", kd_json_text(h->spn));
		bad |= set(ev, "protocol_transition", json_boolean(h->protocol_transition));
		bad |= set(ev, "via_host_alias", json_boolean(h->via_alias));
		bad |= set(ev, "ambiguous", json_boolean(h->ambiguous));
		bad |= set(ev, "mechanism",
			   h->mechanism ? json_string_nocheck(h->mechanism) : json_null());
		bad |= set(ev, "rbcd_on_itself", json_boolean(h->rbcd_on_itself));
		bad |= set(ev, "condition",
			   json_string_nocheck(
				   h->needs & KD_NEED_USER_TICKET
					   ? "needs a forwardable ticket of the user impersonated "
					     "(no protocol transition)"
				   : h->protocol_transition
					   ? "none: protocol transition makes the S4U2Self "
					     "ticket forwardable"
				   : h->mechanism && strcmp(h->mechanism, "resource-based") == 0
					   ? "none: the back end's RBCD also trusts the front end"
				   : h->rbcd_on_itself
					   ? "none: the front end can write its own RBCD, and RBCD to "
					     "itself yields a forwardable ticket"
					   : "none"));
		break;
	case KD_HOP_RBCD:
		bad |= set(ev, "ace", h->ace == KD_NONE ? json_null() : json_integer(h->ace));
		break;
	case KD_HOP_WRITE_RBCD:
		bad |= set(ev, "ace", h->ace == KD_NONE ? json_null() : json_integer(h->ace));
		bad |= set(ev, "right", json_string_nocheck(kd_write_via_name(h->via)));
		bad |= set(ev, "front_end",
			   json_string_nocheck(h->needs & KD_NEED_NEW_COMPUTER ? "created-computer"
					       : h->needs & KD_NEED_SPNLESS    ? "spn-less"
									       : "the-writer"));
		break;
	case KD_HOP_UNCONSTRAINED:
		bad |= set(ev, "coercion",
			   json_string_nocheck("assumed: a DC made to authenticate (printer bug, "
					       "PetitPotam) cannot be seen over LDAP"));
		if (h->trust != KD_NONE) {
			const struct kd_trust *trusts;

			kd_directory_trusts(dir, &trusts);
			bad |= set(ev, "trust", kd_json_text(trusts[h->trust].partner));
		}
		break;
	case KD_HOP_CREATE_COMPUTER:
		bad |= set(ev, "machine_account_quota",
			   json_integer(kd_directory_domain(dir)->machine_quota));
		break;
	default:
		break;
	}
	if (h->victim != KD_NONE)
		bad |= set(ev, h->kind == KD_HOP_UNCONSTRAINED ? "tgt_of" : "impersonates",
			   victim_json(dir, h->victim));
	if (h->kind == KD_HOP_CONSTRAINED || h->kind == KD_HOP_RBCD)
		bad |= set(ev, "verdict", json_string_nocheck(kd_verdict_name(h->verdict)));
	hop = bad ? NULL
		  : json_pack("{s:s, s:o, s:o}", "kind", kd_hop_kind_name(h->kind), "needs",
			      kd_chain_needs_json(h->needs), "evidence", json_incref(ev));
	json_decref(ev);
	return hop;
}

json_t *
kd_chain_json(const struct kd_graph *g, const struct kd_reach *r, const struct kd_directory *dir,
	      uint32_t start)
{
	json_t *path = json_array(), *hops = json_array(), *out = NULL;
	struct kd_strbuf text;
	uint32_t node = start, e;
	size_t shown = 0;
	uint8_t needs = kd_reach_needs(r, start);
	int bad = !path || !hops;

	kd_strbuf_init(&text, 1u << 20);
	bad |= !path || json_array_append_new(path, kd_chain_node_json(g, dir, node)) < 0;
	while (!bad && (e = kd_reach_next(r, node)) != KD_NONE && shown++ < CHAIN_SHOWN_MAX) {
		struct kd_hop h;

		kd_graph_hop(g, e, &h);
		node = h.to;
		bad |= json_array_append_new(hops, hop_json(g, dir, &h)) < 0;
		bad |= json_array_append_new(path, kd_chain_node_json(g, dir, node)) < 0;
	}
	bad |= kd_chain_text(g, r, dir, start, &text) < 0;
	if (!bad)
		out = json_pack("{s:O, s:O, s:I, s:o, s:s, s:o}", "path", path, "hops", hops,
				"length", (json_int_t)kd_reach_hops(r, start), "needs",
				kd_chain_needs_json(needs), "severity",
				kd_severity_name(kd_chain_severity(kd_reach_hops(r, start), needs)),
				"text", kd_json_text(kd_strbuf_str(&text)));
	kd_strbuf_free(&text);
	json_decref(path);
	json_decref(hops);
	return out;
}

/* ---- the delegation-chain rule ---- */

/* A start and the group its chain falls in. */
struct member {
	uint32_t to;     /* the group: the first hop that is not membership, its end */
	uint32_t start;
	uint32_t hops;
	uint64_t key;
	uint8_t kind;    /* that hop's kind */
	uint8_t severity;
};

static int
cmp_member(const void *x, const void *y)
{
	const struct member *a = x, *b = y;

	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* The canonical name of a node for fingerprints: its SID, else its DN or kind. */
static void
canonical(const struct kd_graph *g, const struct kd_directory *dir, uint32_t node,
	  struct kd_strbuf *out)
{
	char buf[KD_SID_STRING_MAX + 128];
	struct kd_gnode n;

	kd_graph_node_get(g, node, &n);
	if (n.has_sid) {
		kd_strbuf_puts(out, kd_sid_to_string(&n.sid, buf, sizeof(buf)));
	} else if (n.kind == KD_GNODE_PRINCIPAL) {
		const char *dn = kd_directory_get(dir, node)->dn;

		for (const char *c = dn; *c; c++)
			kd_strbuf_putc(out, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
	} else {
		const char *name = kd_chain_node_name(g, dir, node, buf, sizeof(buf));

		kd_strbuf_puts(out, kd_gnode_kind_name(n.kind));
		kd_strbuf_putc(out, ':');
		for (const char *c = name; *c; c++)
			kd_strbuf_putc(out, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
	}
	kd_strbuf_putc(out, '\x1f');
}

static const char *
hop_words(enum kd_hop_kind kind)
{
	switch (kind) {
	case KD_HOP_CONSTRAINED:
		return "constrained delegation to";
	case KD_HOP_RBCD:
		return "resource-based delegation to";
	case KD_HOP_WRITE_RBCD:
		return "write access to the RBCD attribute of";
	case KD_HOP_UNCONSTRAINED:
		return "unconstrained delegation, reaching";
	default:
		return "membership, reaching";
	}
}

static char *
remediation(struct audit *a, enum kd_hop_kind kind, uint32_t to)
{
	const struct kd_principal *p = kd_directory_get(a->dir, to);
	char *quoted = p ? kd_ps_quote(p->dn) : NULL, *out = NULL;

	if (p && !quoted)
		return NULL;
	switch (kind) {
	case KD_HOP_WRITE_RBCD:
		out = kd_format("dsacls %s /R <writer>  # remove the write access that starts "
				   "these chains; re-grant only what each writer needs",
				   quoted ? quoted : "<account>");
		break;
	case KD_HOP_RBCD:
		out = kd_format("Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount "
				   "$null  # or keep only the front ends that must delegate",
				   p ? kd_kind_ps_noun(p->kind) : "ADComputer", quoted ? quoted : "<account>");
		break;
	case KD_HOP_CONSTRAINED:
		out = kd_format("Set-ADObject -Identity <front end> -Remove "
				   "@{'msDS-AllowedToDelegateTo'=<SPN of %s>}  # and mark the "
				   "administrators sensitive: Set-ADAccountControl "
				   "-AccountNotDelegated $true",
				   p ? p->name : "the target");
		break;
	case KD_HOP_UNCONSTRAINED:
		out = kd_format("Set-ADAccountControl -Identity <holder> -TrustedForDelegation "
				   "$false  # use constrained or resource-based delegation instead");
		break;
	default:
		out = kd_format("Remove-ADGroupMember <group> <member>  # break the membership "
				   "that passes the right on");
		break;
	}
	free(quoted);
	return out;
}

/* One finding for the starts [@first, @end) of one group. */
static void
emit_group(struct audit *a, const struct kd_graph *g, const struct kd_reach *r,
	   const struct member *m, size_t count)
{
	char buf[KD_SID_STRING_MAX + 128];
	struct kd_strbuf identity, shortest;
	json_t *chains = json_array(), *suffix = json_array(), *details;
	enum kd_hop_kind kind = (enum kd_hop_kind)m[0].kind;
	uint32_t to = m[0].to, node, e, min_hops = UINT32_MAX, max_hops = 0;
	uint8_t needs_all = 0xff, needs_any = 0;
	size_t shown = 0;
	enum kd_severity severity = (enum kd_severity)m[0].severity;

	kd_strbuf_init(&identity, 1u << 20);
	kd_strbuf_init(&shortest, 1u << 20);
	kd_strbuf_puts(&identity, kd_hop_kind_name(kind));
	kd_strbuf_putc(&identity, '\x1f');
	for (node = to;; shown++) {
		struct kd_hop h;

		canonical(g, a->dir, node, &identity);
		audit_append(suffix, kd_chain_node_json(g, a->dir, node), a);
		e = kd_reach_next(r, node);
		if (e == KD_NONE || shown >= CHAIN_SHOWN_MAX)
			break;
		kd_graph_hop(g, e, &h);
		node = h.to;
	}
	for (size_t k = 0; k < count; k++) {
		uint8_t needs = kd_reach_needs(r, m[k].start);

		needs_all &= needs;
		needs_any |= needs;
		if (m[k].hops < min_hops)
			min_hops = m[k].hops;
		if (m[k].hops > max_hops)
			max_hops = m[k].hops;
		if (k < LIST_MAX)
			audit_append(chains, kd_chain_json(g, r, a->dir, m[k].start), a);
	}
	/* the first chain listed is the most severe, then the shortest */
	kd_chain_text(g, r, a->dir, m[0].start, &shortest);
	details = json_pack("{s:s, s:o, s:O, s:I, s:I, s:I, s:o, s:o, s:O, s:I}", "hop",
			    kd_hop_kind_name(kind), "target", kd_chain_node_json(g, a->dir, to),
			    "suffix", suffix, "start_count", (json_int_t)count, "min_hops",
			    (json_int_t)min_hops, "max_hops", (json_int_t)max_hops, "needs_all",
			    kd_chain_needs_json(needs_all), "needs_any",
			    kd_chain_needs_json(needs_any), "chains", chains, "chains_listed",
			    (json_int_t)json_array_size(chains));
	audit_emit(a, KD_RULE_DELEGATION_CHAIN, severity, to < kd_directory_count(a->dir) ? to : KD_NONE,
		   kd_strbuf_str(&identity), details,
		   kd_format("%zu principal%s outside tier 0 reach%s tier 0 through %s %s "
				"(%u%s%.0u hop%s); e.g. %s",
				count, count == 1 ? "" : "s", count == 1 ? "es" : "", hop_words(kind),
				kd_chain_node_name(g, a->dir, to, buf, sizeof(buf)), min_hops,
				min_hops == max_hops ? "" : " to ",
				min_hops == max_hops ? 0 : max_hops,
				max_hops == 1 ? "" : "s", kd_strbuf_str(&shortest)),
		   remediation(a, kind, to));
	if (kd_strbuf_str(&identity)[0] == '\0' || shortest.len == 0)
		a->failed = true; /* a buffer that could not grow */
	kd_strbuf_free(&identity);
	kd_strbuf_free(&shortest);
	json_decref(chains);
	json_decref(suffix);
}

/* For each reached node, the first hop of its chain that is not membership. */
static uint32_t *
pivots(const struct kd_graph *g, const struct kd_reach *r)
{
	size_t n, nodes = kd_graph_node_count(g);
	const uint32_t *order = kd_reach_order(r, &n);
	uint32_t *pivot = malloc((nodes ? nodes : 1) * sizeof(*pivot));

	if (!pivot)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		uint32_t u = order[k], e = kd_reach_next(r, u);
		struct kd_hop h;

		pivot[u] = KD_NONE;
		if (e == KD_NONE)
			continue;
		kd_graph_hop(g, e, &h);
		/* membership all the way to a sink: the last hop is the pivot */
		pivot[u] = !kd_hop_passes(h.kind) || kd_reach_next(r, h.to) == KD_NONE
				   ? e
				   : pivot[h.to];
	}
	return pivot;
}

void
audit_rule_delegation_chain(struct audit *a)
{
	struct kd_graph *g = NULL;
	struct kd_reach *r = NULL;
	struct member *m = NULL;
	uint32_t *pivot = NULL;
	size_t n = 0, norder;
	const uint32_t *order;
	struct kd_error err;

	kd_error_clear(&err);
	if (kd_graph_new(a->kdc, a->dir, &g, &err) < 0 || kd_graph_reach(g, NULL, 0, 0, &r, &err) < 0 ||
	    !(pivot = pivots(g, r))) {
		a->failed = true;
		goto out;
	}
	order = kd_reach_order(r, &norder);
	m = malloc((norder ? norder : 1) * sizeof(*m));
	if (!m) {
		a->failed = true;
		goto out;
	}
	for (size_t k = 0; k < norder; k++) {
		uint32_t u = order[k], hops = kd_reach_hops(r, u);
		struct kd_gnode node;
		struct kd_hop h;

		/* sinks start nothing; the computer any user creates is any user's chain */
		if (hops == 0)
			continue;
		kd_graph_node_get(g, u, &node);
		if (node.kind == KD_GNODE_NEW_COMPUTER)
			continue;
		kd_graph_hop(g, pivot[u], &h);
		m[n++] = (struct member){
			.to = h.to,
			.start = u,
			.hops = hops,
			.key = kd_graph_node_key(g, u),
			.kind = (uint8_t)h.kind,
			.severity = (uint8_t)kd_chain_severity(hops, kd_reach_needs(r, u)),
		};
	}
	if (n)
		qsort(m, n, sizeof(*m), cmp_member);
	for (size_t k = 0, first = 0; k <= n && !a->failed; k++) {
		if (k < n && m[k].to == m[first].to && m[k].kind == m[first].kind)
			continue;
		if (k > first)
			emit_group(a, g, r, m + first, k - first);
		first = k;
	}
out:
	free(m);
	free(pivot);
	kd_reach_free(r);
	kd_graph_free(g);
}

/* ---- kdeleg paths ---- */

/* An account by SID, DN or sAMAccountName (case-insensitive), or KD_NONE. */
static uint32_t
find_account(const struct kd_directory *dir, const char *text)
{
	struct kd_sid sid;
	uint32_t i;
	size_t count = kd_directory_count(dir);

	if (kd_sid_from_string(text, &sid, NULL) == 0)
		return kd_directory_find_sid(dir, &sid);
	if ((i = kd_directory_find_dn(dir, text)) != KD_NONE)
		return i;
	for (uint32_t k = 0; k < count; k++)
		if (strcasecmp(kd_directory_get(dir, k)->name, text) == 0)
			return k;
	/* a computer named without its trailing $ */
	for (uint32_t k = 0; k < count; k++) {
		const char *name = kd_directory_get(dir, k)->name;
		size_t len = strlen(name);

		if (len == strlen(text) + 1 && name[len - 1] == '$' &&
		    strncasecmp(name, text, len - 1) == 0)
			return k;
	}
	return KD_NONE;
}

struct listed {
	uint32_t start, hops;
	uint64_t key;
	uint8_t severity;
};

static int
cmp_listed(const void *x, const void *y)
{
	const struct listed *a = x, *b = y;

	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

int
kd_paths(const struct kd_directory *dir, const struct kd_paths_query *q, json_t **ret_doc,
	 struct kd_error *err)
{
	struct kd_tokens *tokens = NULL;
	struct kd_kdc *kdc = NULL;
	struct kd_graph *g = NULL;
	struct kd_reach *r = NULL;
	struct listed *list = NULL;
	json_t *paths = NULL;
	uint32_t from = KD_NONE, to = KD_NONE;
	size_t n = 0, norder;
	const uint32_t *order;
	int rc;

	*ret_doc = NULL;
	if (q->from && (from = find_account(dir, q->from)) == KD_NONE)
		return kd_error_set(err, KD_ERR_USAGE, "--from: no account '%s' in the domain",
				    q->from);
	if (q->to && (to = find_account(dir, q->to)) == KD_NONE)
		return kd_error_set(err, KD_ERR_USAGE, "--to: no account '%s' in the domain", q->to);
	if ((rc = kd_tokens_new(dir, &tokens, err)) < 0 ||
	    (rc = kd_kdc_new(dir, tokens, &kdc, err)) < 0 ||
	    (rc = kd_graph_new(kdc, dir, &g, err)) < 0 ||
	    (rc = kd_graph_reach(g, to == KD_NONE ? NULL : &to, to == KD_NONE ? 0 : 1, q->max_hops,
				 &r, err)) < 0)
		goto out;
	rc = KD_ERR_NOMEM;
	order = kd_reach_order(r, &norder);
	list = malloc((norder ? norder : 1) * sizeof(*list));
	if (!list || !(paths = json_array()))
		goto nomem;
	for (size_t k = 0; k < norder; k++) {
		uint32_t u = order[k], hops = kd_reach_hops(r, u);
		struct kd_gnode node;

		if (hops == 0 || (from != KD_NONE && u != from))
			continue;
		kd_graph_node_get(g, u, &node);
		/* tier 0 owns everything already, and a created computer is any user's
		 * chain; asked for by name, they are shown */
		if (from == KD_NONE && (node.kind == KD_GNODE_NEW_COMPUTER ||
					(node.kind == KD_GNODE_PRINCIPAL &&
					 kd_directory_get(dir, u)->tier0)))
			continue;
		list[n++] = (struct listed){
			.start = u,
			.hops = hops,
			.key = kd_graph_node_key(g, u),
			.severity = (uint8_t)kd_chain_severity(hops, kd_reach_needs(r, u)),
		};
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_listed);
	for (size_t k = 0; k < n; k++)
		if (json_array_append_new(paths, kd_chain_json(g, r, dir, list[k].start)) < 0)
			goto nomem;
	*ret_doc = json_pack("{s:O}", "paths", paths);
	if (!*ret_doc)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	rc = kd_error_set(err, KD_ERR_NOMEM, "out of memory while listing chains");
out:
	json_decref(paths);
	free(list);
	kd_reach_free(r);
	kd_graph_free(g);
	kd_kdc_free(kdc);
	kd_tokens_free(tokens);
	return rc;
}
