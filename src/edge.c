/* SPDX-License-Identifier: MIT */
/* The model's edges, streamed: membership, delegation, RBCD grants and write rights. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/edge.h"
#include "kdeleg/uac.h"

#define HOLDERS_MAX 16

const char *
kd_edge_kind_name(enum kd_edge_kind kind)
{
	switch (kind) {
	case KD_EDGE_MEMBER:
		return "member-of";
	case KD_EDGE_CONSTRAINED:
		return "constrained-delegation";
	case KD_EDGE_RBCD:
		return "resource-based-delegation";
	case KD_EDGE_UNCONSTRAINED:
		return "unconstrained-delegation";
	case KD_EDGE_SID_HISTORY:
		return "sid-history";
	default:
		return "write-rbcd";
	}
}

struct walk {
	struct kd_kdc *kdc;
	const struct kd_directory *dir;
	kd_edge_fn fn;
	void *ctx;
	uint8_t *seen; /* front ends already granted on the current resource */
};

static int
delegation_edges(struct walk *w, uint32_t i, const struct kd_principal *p)
{
	bool pt = p->has_uac && (p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION);
	struct kd_edge e = {.from = i};
	int r;

	if (p->has_uac && (p->uac & KD_UAC_TRUSTED_FOR_DELEGATION)) {
		e.kind = KD_EDGE_UNCONSTRAINED;
		e.to = KD_NONE;
		if ((r = w->fn(w->ctx, &e)) < 0)
			return r;
	}
	for (uint32_t t = 0; t < p->ndelegate_to; t++) {
		uint32_t holders[HOLDERS_MAX];
		bool via_alias;
		size_t n = kd_directory_find_spn(w->dir, p->delegate_to[t], holders, HOLDERS_MAX,
						 &via_alias);

		for (size_t h = 0; h < n && h < HOLDERS_MAX; h++) {
			e.kind = KD_EDGE_CONSTRAINED;
			e.to = holders[h];
			e.ev.constrained.spn = p->delegate_to[t];
			e.ev.constrained.protocol_transition = pt;
			e.ev.constrained.via_alias = via_alias;
			e.ev.constrained.ambiguous = n > 1;
			if ((r = w->fn(w->ctx, &e)) < 0)
				return r;
		}
	}
	return 0;
}

/* One front end's verdict on @resource, as an edge when it is granted or may be. */
static int
rbcd_candidate(struct walk *w, uint32_t resource, uint32_t who, const struct kd_sid *sid)
{
	struct kd_decision d;
	struct kd_edge e = {.kind = KD_EDGE_RBCD, .from = who, .to = resource};
	int r;

	if (who != KD_NONE) {
		if (w->seen[who])
			return 0;
		w->seen[who] = 1;
		r = kd_kdc_rbcd(w->kdc, resource, who, &d);
	} else {
		r = kd_kdc_rbcd_sid(w->kdc, resource, sid, &d);
		e.from_sid = *sid;
	}
	if (r < 0)
		return r;
	if (d.verdict == KD_VERDICT_NO)
		return 0;
	e.ev.rbcd.ace = d.ace;
	e.ev.rbcd.verdict = d.verdict;
	return w->fn(w->ctx, &e);
}

static int
rbcd_edges(struct walk *w, uint32_t i, const struct kd_principal *p)
{
	uint32_t *touched = NULL;
	size_t ntouched = 0, cap = 0;
	int r = 0;

	if (p->rbcd_state == KD_RBCD_NULL_DACL) {
		struct kd_sid everyone;

		kd_sid_from_string("S-1-1-0", &everyone, NULL);
		return rbcd_candidate(w, i, KD_NONE, &everyone);
	}
	if (p->rbcd_state != KD_RBCD_PARSED)
		return 0;
	for (size_t j = 0; j < p->rbcd->dacl.count && r == 0; j++) {
		const struct kd_ace *ace = &p->rbcd->dacl.aces[j];
		const char *why;
		enum kd_ace_role role = kd_kdc_rbcd_ace_role(ace, &why);
		uint32_t trustee, *members = NULL, single;
		size_t n = 1;

		if (role != KD_ACE_ROLE_ALLOW && role != KD_ACE_ROLE_ALLOW_IF)
			continue;
		trustee = kd_directory_find_sid(w->dir, &ace->sid);
		if (trustee == KD_NONE) {
			r = rbcd_candidate(w, i, KD_NONE, &ace->sid);
			continue;
		}
		if (kd_directory_get(w->dir, trustee)->kind == KD_KIND_GROUP) {
			n = kd_directory_expand_group(w->dir, trustee, &members);
			if (n == (size_t)-1)
				return KD_ERR_NOMEM;
		} else {
			single = trustee;
			members = &single;
		}
		for (size_t k = 0; k < n && r == 0; k++) {
			bool fresh = !w->seen[members[k]];

			r = rbcd_candidate(w, i, members[k], NULL);
			if (r == 0 && fresh) {
				if (!kd_grow_array((void **)&touched, &cap, ntouched,
						   sizeof(*touched), 16)) {
					r = KD_ERR_NOMEM;
					break;
				}
				touched[ntouched++] = members[k];
			}
		}
		if (members != &single)
			free(members);
	}
	for (size_t k = 0; k < ntouched; k++)
		w->seen[touched[k]] = 0;
	free(touched);
	return r;
}

static int
write_edges(struct walk *w, uint32_t i)
{
	struct kd_writer *writers;
	size_t n;
	struct kd_error why;
	int r = 0;

	if (kd_access_rbcd_writers(kd_kdc_tokens(w->kdc), w->dir, i, &writers, &n, &why) < 0)
		return KD_ERR_NOMEM;
	for (size_t k = 0; k < n && r == 0; k++) {
		struct kd_edge e = {.kind = KD_EDGE_WRITE_RBCD,
				    .from = writers[k].principal,
				    .from_sid = writers[k].sid,
				    .to = i};

		e.ev.write.ace = writers[k].ace;
		e.ev.write.via = writers[k].via;
		r = w->fn(w->ctx, &e);
	}
	free(writers);
	return r;
}

int
kd_edges_each(struct kd_kdc *kdc, const struct kd_directory *dir, kd_edge_fn fn, void *ctx,
	      struct kd_error *err)
{
	size_t count = kd_directory_count(dir);
	struct walk w = {.kdc = kdc, .dir = dir, .fn = fn, .ctx = ctx};
	int r = 0;

	w.seen = calloc(count ? count : 1, 1);
	if (!w.seen)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while walking edges");
	for (uint32_t i = 0; i < count && r == 0; i++) {
		const struct kd_principal *p = kd_directory_get(dir, i);

		for (uint32_t g = 0; g < p->nmember_of && r == 0; g++) {
			struct kd_edge e = {.kind = KD_EDGE_MEMBER, .from = i, .to = p->member_of[g]};

			r = fn(ctx, &e);
		}
		for (uint32_t k = 0; k < p->nsid_history && r == 0; k++) {
			struct kd_edge e = {.kind = KD_EDGE_SID_HISTORY, .from = i,
					    .to_sid = p->sid_history[k]};

			e.to = kd_directory_find_sid(dir, &e.to_sid);
			r = fn(ctx, &e);
		}
		if (r == 0)
			r = delegation_edges(&w, i, p);
		if (r == 0)
			r = rbcd_edges(&w, i, p);
		if (r == 0)
			r = write_edges(&w, i);
	}
	free(w.seen);
	if (r == KD_ERR_NOMEM)
		return kd_error_set(err, r, "out of memory while walking edges");
	return r;
}
