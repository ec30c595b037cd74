/* SPDX-License-Identifier: MIT */
/*
 * Who can configure delegation: DS access checks (MS-DTYP 2.5.3.2, with the
 * object tree of MS-ADTS 5.1.3.3) against an object's nTSecurityDescriptor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/guid.h"
#include "kdeleg/sid.h"
#include "kdeleg/token.h"

/* schemaIDGUID of msDS-AllowedToActOnBehalfOfOtherIdentity and its property set */
#define KD_GUID_RBCD_ATTRIBUTE "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"
#define KD_GUID_USER_ACCOUNT_RESTRICTIONS "4c164200-20c0-11d0-a768-00aa006e0529"
/* DS-Replication-Get-Changes-All: with Get-Changes, DCSync */
#define KD_GUID_GET_CHANGES_ALL "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"

/* How a writer gets to write the RBCD attribute. */
enum kd_write_via {
	KD_WRITE_ATTRIBUTE,      /* WRITE_PROPERTY on the attribute itself */
	KD_WRITE_PROPERTY_SET,   /* ... on User-Account-Restrictions, which holds it */
	KD_WRITE_ALL_PROPERTIES, /* WRITE_PROPERTY with no ObjectType */
	KD_WRITE_GENERIC_WRITE,
	KD_WRITE_GENERIC_ALL,
	KD_WRITE_DAC,            /* can rewrite the DACL to grant itself the rest */
	KD_WRITE_OWNER_RIGHT,    /* can take ownership, then rewrite the DACL */
	KD_WRITE_OWNS,           /* owns the object: implied WRITE_DAC */
};

const char *kd_write_via_name(enum kd_write_via via);

/* One principal (or SID) that can write an object's RBCD attribute. */
struct kd_writer {
	struct kd_sid sid;
	uint32_t principal;     /* its index, or KD_NONE when the snapshot lacks it */
	uint32_t ace;           /* the granting ACE's index in the DACL; KD_NONE for KD_WRITE_OWNS */
	enum kd_write_via via;
};

/*
 * Every trustee of @object's nTSecurityDescriptor (and its owner) whose token
 * can write msDS-AllowedToActOnBehalfOfOtherIdentity, in DACL order, each once:
 * an allow that applies to the object itself (not inherit-only) granting
 * WRITE_PROPERTY on the attribute, its property set or all properties, or
 * GENERIC_WRITE, GENERIC_ALL, WRITE_DAC, WRITE_OWNER, not taken away by an
 * earlier deny that matches the trustee's token; or ownership (implied
 * WRITE_DAC) unless an OWNER RIGHTS (S-1-3-4) ACE restricts it. Conditional
 * (callback) ACEs neither grant nor deny here. Nobody when the object has no
 * readable descriptor (see kd_directory_coverage()). The array is malloc'd;
 * the caller frees it. KD_ERR_NOMEM.
 */
int kd_access_rbcd_writers(struct kd_tokens *tokens, const struct kd_directory *dir,
			   uint32_t object, struct kd_writer **ret_writers, size_t *ret_count,
			   struct kd_error *err);
