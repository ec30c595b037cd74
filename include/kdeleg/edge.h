/* SPDX-License-Identifier: MIT */
/*
 * Typed edges of the delegation model, with their evidence as C structs:
 * A -> B means "whoever controls A gains B". Chains and reports are built from
 * them; JSON is made by the reports, not here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/access.h"
#include "kdeleg/error.h"
#include "kdeleg/kdc.h"
#include "kdeleg/sid.h"

enum kd_edge_kind {
	KD_EDGE_MEMBER,        /* member -> group: the group's rights pass to its members */
	KD_EDGE_CONSTRAINED,   /* front end -> owner of a target SPN (classic KCD) */
	KD_EDGE_RBCD,          /* trustee -> resource whose descriptor grants it */
	KD_EDGE_UNCONSTRAINED, /* holder -> the domain: TGTs of whoever authenticates to it */
	KD_EDGE_WRITE_RBCD,    /* writer -> account whose RBCD attribute it can write */
	KD_EDGE_SID_HISTORY,   /* account or group -> a SID its sIDHistory puts in the token */
};

const char *kd_edge_kind_name(enum kd_edge_kind kind);

struct kd_edge {
	enum kd_edge_kind kind;
	uint32_t from;           /* principal index, or KD_NONE: then @from_sid names it */
	struct kd_sid from_sid;  /* valid when from == KD_NONE */
	uint32_t to;             /* principal index, or KD_NONE: the domain, or @to_sid */
	struct kd_sid to_sid;    /* KD_EDGE_SID_HISTORY: the SID (to names it when resolved) */
	union {
		struct {
			const char *spn;          /* the target as listed (directory text) */
			bool protocol_transition; /* TRUSTED_TO_AUTH_FOR_DELEGATION: no user ticket needed */
			bool via_alias;           /* reached through the owner's HOST SPN (sPNMappings) */
			bool ambiguous;           /* the SPN has more than one holder */
		} constrained;
		struct {
			uint32_t ace;             /* the deciding ACE in the resource's DACL, or KD_NONE */
			enum kd_verdict verdict;  /* YES, CONDITIONAL or UNCERTAIN */
		} rbcd;
		struct {
			uint32_t ace;             /* the granting ACE, or KD_NONE for ownership */
			enum kd_write_via via;
		} write;
	} ev;
};

/*
 * Called once per edge; the edge is valid during the call only. A negative return
 * stops the walk and is returned as is.
 */
typedef int (*kd_edge_fn)(void *ctx, const struct kd_edge *edge);

/*
 * Every edge of the model, principal by principal in index order: its membership
 * and sIDHistory edges, its unconstrained and constrained edges, then the RBCD and
 * write edges that end at it. A sIDHistory edge names the SID the KDC adds to the
 * token (MS-PAC ExtraSids, as token.c does): @to is the principal holding it, or
 * KD_NONE when the snapshot has none. RBCD trustees are the front ends the KDC model grants (groups
 * expanded to their members; SIDs outside the snapshot as from == KD_NONE). Write
 * edges leave out nothing: filtering tier 0 or default administrators is the
 * reader's choice. KD_ERR_NOMEM, or the callback's error.
 */
int kd_edges_each(struct kd_kdc *kdc, const struct kd_directory *dir, kd_edge_fn fn, void *ctx,
		  struct kd_error *err);
