/* SPDX-License-Identifier: MIT */
/* Who can write an account's RBCD attribute, read from its owner and DACL. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kdeleg/access.h"
#include "kdeleg/arena.h"
#include "kdeleg/secdesc.h"

const char *
kd_write_via_name(enum kd_write_via via)
{
	switch (via) {
	case KD_WRITE_ATTRIBUTE:
		return "write-property-attribute";
	case KD_WRITE_PROPERTY_SET:
		return "write-property-set";
	case KD_WRITE_ALL_PROPERTIES:
		return "write-all-properties";
	case KD_WRITE_GENERIC_WRITE:
		return "generic-write";
	case KD_WRITE_GENERIC_ALL:
		return "generic-all";
	case KD_WRITE_DAC:
		return "write-dacl";
	case KD_WRITE_OWNER_RIGHT:
		return "write-owner";
	default:
		return "owner";
	}
}

/*
 * The three rights that each let a trustee end up writing the attribute, checked
 * one at a time: for a single right the first ACE that covers it and matches the
 * token decides (MS-DTYP 2.5.3.2).
 */
enum question { Q_WRITE_PROPERTY, Q_WRITE_DAC, Q_WRITE_OWNER, Q_COUNT };

struct guids {
	struct kd_guid attribute, property_set;
};

/* Does @ace speak about right @q? Object ACEs speak about WRITE_PROPERTY only on
 * the node they name (the attribute or its property set, MS-ADTS 5.1.3.3), and
 * about the object's own rights only without an ObjectType. */
static bool
covers(const struct kd_ace *ace, enum question q, const struct guids *g)
{
	uint32_t m = ace->mask;
	bool on_attribute = !ace->has_object_type ||
			    kd_guid_equal(&ace->object_type, &g->attribute) ||
			    kd_guid_equal(&ace->object_type, &g->property_set);

	switch (q) {
	case Q_WRITE_PROPERTY:
		return (m & (KD_RIGHT_DS_WRITE_PROP | KD_RIGHT_GENERIC_WRITE |
			     KD_RIGHT_GENERIC_ALL)) &&
		       on_attribute;
	case Q_WRITE_DAC:
		return (m & (KD_RIGHT_WRITE_DAC | KD_RIGHT_GENERIC_ALL)) && !ace->has_object_type;
	default:
		return (m & (KD_RIGHT_WRITE_OWNER | KD_RIGHT_GENERIC_ALL)) &&
		       !ace->has_object_type;
	}
}

static enum kd_write_via
via_of(const struct kd_ace *ace, enum question q, const struct guids *g)
{
	if (ace->mask & KD_RIGHT_GENERIC_ALL)
		return KD_WRITE_GENERIC_ALL;
	if (q == Q_WRITE_DAC)
		return KD_WRITE_DAC;
	if (q == Q_WRITE_OWNER)
		return KD_WRITE_OWNER_RIGHT;
	if (ace->has_object_type)
		return kd_guid_equal(&ace->object_type, &g->attribute) ? KD_WRITE_ATTRIBUTE
								       : KD_WRITE_PROPERTY_SET;
	return ace->mask & KD_RIGHT_DS_WRITE_PROP ? KD_WRITE_ALL_PROPERTIES
						  : KD_WRITE_GENERIC_WRITE;
}

/* An ACE that takes part in a write check: on this object, allow or deny, not
 * conditional (the audit cannot evaluate a condition and counts neither way). */
static bool
takes_part(const struct kd_ace *ace)
{
	if (!ace->known || (ace->flags & KD_ACE_FLAG_INHERIT_ONLY))
		return false;
	switch (ace->type) {
	case KD_ACE_ALLOWED:
	case KD_ACE_DENIED:
	case KD_ACE_ALLOWED_OBJECT:
	case KD_ACE_DENIED_OBJECT:
		return true;
	default:
		return false;
	}
}

static bool
is_owner_rights(const struct kd_sid *sid)
{
	return sid->authority == 3 && sid->count == 1 && sid->sub[0] == 4;
}

/* The trustee being checked: a principal of the snapshot or a SID alone, and the
 * object's owner, which OWNER RIGHTS (S-1-3-4) stands for (MS-DTYP 2.5.3.2). */
struct trustee {
	uint32_t who;
	const struct kd_sid *sid;
	const struct kd_sid *owner; /* NULL when the descriptor names none */
};

static int
token_has(struct kd_tokens *tokens, const struct trustee *t, const struct kd_sid *sid)
{
	if (is_owner_rights(sid)) {
		if (!t->owner)
			return KD_TOKEN_NO;
		sid = t->owner;
	}
	return t->who != KD_NONE ? kd_tokens_has(tokens, t->who, sid, NULL)
				 : kd_tokens_sid_has(tokens, t->sid, sid, NULL);
}

/*
 * The first ACE deciding right @q for the token of @who (or @holder alone):
 * its index when it allows, KD_NONE when a deny or nothing decides; negative on
 * ENOMEM. A SID the token may or may not carry counts for an allow (it may
 * grant) and not for a deny (it may not take away).
 */
static int64_t
decide(struct kd_tokens *tokens, const struct kd_acl *dacl, enum question q,
       const struct guids *g, const struct trustee *t)
{
	for (size_t j = 0; j < dacl->count; j++) {
		const struct kd_ace *ace = &dacl->aces[j];
		bool allow = kd_ace_is_allow(ace->type);
		int has;

		if (!takes_part(ace) || !covers(ace, q, g))
			continue;
		has = token_has(tokens, t, &ace->sid);
		if (has < 0)
			return has;
		if (has == KD_TOKEN_NO || (has == KD_TOKEN_UNCERTAIN && !allow))
			continue;
		return allow ? (int64_t)j : (int64_t)KD_NONE;
	}
	return KD_NONE;
}

static int
add_writer(struct kd_writer **writers, size_t *n, size_t *cap, const struct kd_writer *w)
{
	if (!kd_grow_array((void **)writers, cap, *n, sizeof(**writers), 8))
		return KD_ERR_NOMEM;
	(*writers)[(*n)++] = *w;
	return 0;
}

static bool
listed(const struct kd_writer *writers, size_t n, const struct kd_sid *sid)
{
	for (size_t k = 0; k < n; k++)
		if (kd_sid_equal(&writers[k].sid, sid))
			return true;
	return false;
}

/* Evaluates trustee @sid; appends it when one of the rights is granted. */
static int
evaluate(struct kd_tokens *tokens, const struct kd_directory *dir, const struct kd_secdesc *sd,
	 const struct guids *g, const struct kd_sid *sid, struct kd_writer **writers, size_t *n,
	 size_t *cap)
{
	const struct kd_acl *dacl = &sd->dacl;
	uint32_t who = kd_directory_find_sid(dir, sid);
	struct trustee t = {.who = who, .sid = sid, .owner = sd->has_owner ? &sd->owner : NULL};

	for (int q = 0; q < Q_COUNT; q++) {
		int64_t j = decide(tokens, dacl, (enum question)q, g, &t);
		struct kd_writer w;

		if (j < 0 && j != (int64_t)KD_NONE)
			return (int)j;
		if (j == (int64_t)KD_NONE)
			continue;
		w.sid = *sid;
		w.principal = who;
		w.ace = (uint32_t)j;
		w.via = via_of(&dacl->aces[j], (enum question)q, g);
		return add_writer(writers, n, cap, &w);
	}
	return 0;
}

int
kd_access_rbcd_writers(struct kd_tokens *tokens, const struct kd_directory *dir, uint32_t object,
		       struct kd_writer **ret_writers, size_t *ret_count, struct kd_error *err)
{
	const struct kd_principal *p = kd_directory_get(dir, object);
	const struct kd_secdesc *sd = p->sd;
	struct kd_writer *writers = NULL;
	size_t n = 0, cap = 0;
	struct guids g;
	bool owner_restricted = false;
	int r = 0;

	*ret_writers = NULL;
	*ret_count = 0;
	if (!sd)
		return 0;
	kd_guid_from_string(KD_GUID_RBCD_ATTRIBUTE, &g.attribute);
	kd_guid_from_string(KD_GUID_USER_ACCOUNT_RESTRICTIONS, &g.property_set);
	if (sd->dacl_null) {
		/* MS-DTYP 2.4.6: a NULL DACL grants everyone everything */
		struct kd_writer w = {.principal = KD_NONE, .ace = KD_NONE,
				      .via = KD_WRITE_GENERIC_ALL};

		kd_sid_from_string("S-1-1-0", &w.sid, NULL);
		r = add_writer(&writers, &n, &cap, &w);
		goto out;
	}
	for (size_t j = 0; j < sd->dacl.count && r == 0; j++) {
		const struct kd_ace *ace = &sd->dacl.aces[j];
		bool relevant = false;

		if (!takes_part(ace))
			continue;
		const struct kd_sid *candidate = &ace->sid;

		if (is_owner_rights(&ace->sid)) {
			/* the owner's rights are then this ACE's, checked like any grant */
			owner_restricted = true;
			if (!sd->has_owner)
				continue;
			candidate = &sd->owner;
		}
		if (!kd_ace_is_allow(ace->type) || listed(writers, n, candidate))
			continue;
		for (int q = 0; q < Q_COUNT && !relevant; q++)
			relevant = covers(ace, (enum question)q, &g);
		if (relevant)
			r = evaluate(tokens, dir, sd, &g, candidate, &writers, &n, &cap);
	}
	/* MS-DTYP 2.5.3.2: the owner holds READ_CONTROL and WRITE_DAC whatever the DACL
	 * says, unless an OWNER RIGHTS ACE is there to replace them. */
	if (r == 0 && sd->has_owner && !owner_restricted && !listed(writers, n, &sd->owner)) {
		struct kd_writer w = {.sid = sd->owner,
				      .principal = kd_directory_find_sid(dir, &sd->owner),
				      .ace = KD_NONE,
				      .via = KD_WRITE_OWNS};

		r = add_writer(&writers, &n, &cap, &w);
	}
out:
	if (r < 0) {
		free(writers);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while reading write rights");
	}
	*ret_writers = writers;
	*ret_count = n;
	return 0;
}
