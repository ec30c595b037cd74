/* SPDX-License-Identifier: MIT */
/* The domain model: principals indexed by SID, DN and SPN, groups, tier 0. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"
#include "kdeleg/secdesc.h"
#include "kdeleg/sid.h"
#include "kdeleg/spn.h"

/*
 * What the collector asks the directory for, kept in one place: the LDAP filter
 * and the attributes the model reads. The LDIF reader keeps only these, the
 * README's ldapsearch command and the live collector use the same lists.
 */
extern const char *const kd_directory_attributes[]; /* lower case, NULL-terminated */
extern const char kd_directory_filter[];

enum kd_kind {
	KD_KIND_USER,
	KD_KIND_COMPUTER,
	KD_KIND_DC,        /* writable DC: SERVER_TRUST_ACCOUNT, or a machine with primary group 516 */
	KD_KIND_RODC,      /* PARTIAL_SECRETS_ACCOUNT, or a machine with primary group 521 */
	KD_KIND_MSA,       /* msDS-ManagedServiceAccount */
	KD_KIND_GMSA,      /* msDS-GroupManagedServiceAccount */
	KD_KIND_TRUST,     /* INTERDOMAIN_TRUST_ACCOUNT */
	KD_KIND_KRBTGT,    /* RID 502, or an RODC's disabled krbtgt_NNNN */
	KD_KIND_GROUP,
	KD_KIND_FOREIGN,   /* foreignSecurityPrincipal */
	KD_KIND_UNKNOWN
};

const char *kd_kind_name(enum kd_kind kind);
/* The noun of the PowerShell AD cmdlets for @kind (ADComputer, ADServiceAccount, ADUser). */
const char *kd_kind_ps_noun(enum kd_kind kind);

/* State of msDS-AllowedToActOnBehalfOfOtherIdentity on a principal. */
enum kd_rbcd_state {
	KD_RBCD_NONE,      /* attribute absent */
	KD_RBCD_PARSED,    /* a descriptor with a DACL (possibly empty) */
	KD_RBCD_NULL_DACL, /* parsed, but the DACL is NULL */
	KD_RBCD_MALFORMED  /* the value does not parse: the KDC fails closed */
};

/* An attribute value that did not parse; the audit reports it. */
struct kd_bad_value {
	uint32_t principal;  /* index, or KD_NONE for the domain object */
	const char *attribute;
	size_t offset;       /* byte offset in the value */
	bool has_offset;
	const char *reason;  /* arena text */
};

#define KD_NONE UINT32_MAX

/*
 * Everything the audit knows about one security principal. Strings and arrays
 * live in the directory's arena, valid until kd_directory_free().
 */
struct kd_principal {
	/* Laid out by size: a million-account snapshot keeps a million of these. */
	const char *dn;
	const char *name;          /* sAMAccountName, or the DN's first RDN value when absent */
	const char *dns_host_name; /* NULL when absent */
	const char **spns;         /* servicePrincipalName as stored */
	const char **delegate_to;  /* msDS-AllowedToDelegateTo as stored */
	const struct kd_secdesc *rbcd; /* in the arena for PARSED and NULL_DACL, else NULL */
	/* nTSecurityDescriptor as read with the SD-flags control (owner and DACL), in
	 * the arena; NULL when the snapshot has none or it does not parse (a bad value).
	 * Principals whose values are byte for byte equal share one parsed descriptor. */
	const struct kd_secdesc *sd;
	/* sIDHistory: SIDs the KDC adds to the account's token, in the arena */
	const struct kd_sid *sid_history;
	/* group membership, resolved by kd_directory_finish() (indexes into principals) */
	uint32_t *members;   /* direct members of a group, primary group members included */
	uint32_t *member_of; /* direct groups, primary group included */
	const char *tier0_reason; /* static or arena text: "member of Domain Admins" ... */
	/* objectSid in binary form (MS-DTYP 2.4.2.2) in the arena, valid when has_sid:
	 * 28 bytes for a domain account where a struct kd_sid takes 80 (kd_principal_sid) */
	const uint8_t *sid_binary;

	enum kd_kind kind;
	enum kd_rbcd_state rbcd_state;
	uint32_t uac;               /* valid when has_uac */
	uint32_t primary_group_rid; /* 0 when absent */
	uint32_t enc_types;         /* valid when has_enc_types */
	uint32_t line;              /* source line of the entry, 0 when unknown */
	uint32_t nspns;
	uint32_t ndelegate_to;
	uint32_t nmembers;
	uint32_t nmember_of;
	uint32_t nunresolved_members; /* member DNs that are not in the snapshot */
	uint32_t nsid_history;

	bool has_sid;
	bool has_uac;
	bool admin_count; /* adminCount=1 as stored: a hint, not tier 0 (SDProp never clears it) */
	bool has_enc_types;
	bool listed_members; /* the entry carried member values */
	/* derived by kd_directory_finish() */
	bool enabled;
	bool tier0;          /* see tier0_reason; adminCount alone does not make it */
	bool protected_user; /* transitive member of Protected Users (RID 525) */
};

/* The domain object and forest-wide facts. */
struct kd_domain {
	const char *dn;       /* naming context, e.g. DC=corp,DC=example */
	const char *dns_name; /* derived from the DC= components */
	bool has_sid;
	struct kd_sid sid;
	bool has_machine_quota;
	int64_t machine_quota;
	bool has_functional_level;
	uint32_t functional_level; /* msDS-Behavior-Version */
	bool custom_spn_mappings;  /* sPNMappings came from the snapshot */
	/* the domain's NetBIOS name (crossRef nETBIOSName whose nCName is @dn), or NULL:
	 * the KDC's krbtgt/NETBIOS alias is then not guessed from the DNS name */
	const char *netbios_name;
	/* the domain head's nTSecurityDescriptor (owner and DACL), or NULL */
	const struct kd_secdesc *sd;
};

/* trustAttributes bits (MS-ADTS 6.1.6.7.9) */
#define KD_TRUST_ATTR_NON_TRANSITIVE 0x00000001u
#define KD_TRUST_ATTR_QUARANTINED_DOMAIN 0x00000004u
#define KD_TRUST_ATTR_FOREST_TRANSITIVE 0x00000008u
#define KD_TRUST_ATTR_CROSS_ORGANIZATION 0x00000010u
#define KD_TRUST_ATTR_WITHIN_FOREST 0x00000020u
#define KD_TRUST_ATTR_TREAT_AS_EXTERNAL 0x00000040u
#define KD_TRUST_ATTR_CROSS_ORGANIZATION_NO_TGT_DELEGATION 0x00000200u
#define KD_TRUST_ATTR_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION 0x00000800u
/* trustDirection (MS-ADTS 6.1.6.7.12) */
#define KD_TRUST_DIRECTION_INBOUND 1u
#define KD_TRUST_DIRECTION_OUTBOUND 2u

/* A trustedDomain object of this domain. Strings in the directory's arena. */
struct kd_trust {
	const char *dn;
	const char *partner;   /* trustPartner, else the DN's first RDN value */
	uint32_t attributes;   /* trustAttributes, valid when has_attributes */
	uint32_t direction;    /* trustDirection, valid when has_direction */
	uint32_t type;         /* trustType (1 downlevel, 2 uplevel, 3 MIT), when has_type */
	uint32_t line;
	bool has_attributes, has_direction, has_type;
};

/*
 * Which kinds of data the snapshot carried, so that a rule that needs missing data
 * says "not known" rather than "nothing there". Set by kd_directory_finish().
 */
struct kd_coverage {
	size_t accounts;          /* principals other than groups and foreign security principals */
	size_t descriptors;       /* of those, with a parsed nTSecurityDescriptor carrying a DACL */
	size_t takers;            /* accounts that take service tickets (what rbcd-writable reads) */
	size_t taker_descriptors; /* of those, with a descriptor as above */
	bool domain_descriptor;   /* the domain head's DACL was read */
	bool functional_level;    /* msDS-Behavior-Version */
	bool machine_quota;       /* ms-DS-MachineAccountQuota */
	bool netbios_name;        /* a crossRef for the domain */
	bool trusts;              /* every trustedDomain carried trustAttributes and trustDirection */
	bool spn_mappings;        /* sPNMappings read (else AD's default table) */
	/* how the entries were chosen: "targeted" (those a finding can need, kdeleg/plan.h),
	 * "full", or NULL when the source does not say (an ldapsearch snapshot) */
	const char *plan;
};

struct kd_directory;

/* The SID of @p, which has_sid. */
struct kd_sid kd_principal_sid(const struct kd_principal *p);
/*
 * Whether the KDC serves tickets to @p's services: it holds an SPN, or it is a machine
 * (computer, DC, RODC, MSA, gMSA: host/NAME resolves to NAME$) or krbtgt. Only such an
 * account gains anything from impersonation to it (RBCD written on it, a write edge).
 */
bool kd_principal_takes_tickets(const struct kd_principal *p);
/* Its last sub-authority (the RID of a domain account), 0 when it has no SID. */
uint32_t kd_principal_rid(const struct kd_principal *p);

/* An empty model with AD's default sPNMappings. */
int kd_directory_new(struct kd_directory **ret_dir, struct kd_error *err);
void kd_directory_free(struct kd_directory *dir);

/*
 * Adds one entry. Values that do not parse (SID, descriptor, flags) are recorded
 * as bad values, not errors: they are directory facts. Errors are for what makes
 * the snapshot unusable: two entries with one DN or one SID (KD_ERR_PARSE), memory.
 */
int kd_directory_add(struct kd_directory *dir, const struct kd_entry *entry, struct kd_error *err);

/*
 * Resolves membership, identifies the domain, DCs, tier 0 and Protected Users and
 * builds the SPN index. Call once after the last add; the model is read-only after.
 */
int kd_directory_finish(struct kd_directory *dir, struct kd_error *err);

/* Records the collection plan (a static string) for kd_coverage.plan; before finish. */
void kd_directory_set_plan(struct kd_directory *dir, const char *plan);

const struct kd_domain *kd_directory_domain(const struct kd_directory *dir);
size_t kd_directory_count(const struct kd_directory *dir);
const struct kd_principal *kd_directory_get(const struct kd_directory *dir, uint32_t index);
const struct kd_spnmap *kd_directory_spnmap(const struct kd_directory *dir);

/* Lookups: the index, or KD_NONE. */
uint32_t kd_directory_find_sid(const struct kd_directory *dir, const struct kd_sid *sid);
uint32_t kd_directory_find_dn(const struct kd_directory *dir, const char *dn);
/* A well-known domain group by RID (512 Domain Admins...), or KD_NONE. */
uint32_t kd_directory_find_rid(const struct kd_directory *dir, uint32_t rid);

/*
 * Who holds @spn_text (case-insensitive). Explicit holders first; when there are
 * none and the class is a HOST alias, the holders of host/<rest>. @ret_via_alias
 * tells which. Up to @max indexes go to @ret; returns how many hold it in all.
 */
size_t kd_directory_find_spn(const struct kd_directory *dir, const char *spn_text,
			     uint32_t *ret, size_t max, bool *ret_via_alias);

/* 1 when principal @who is @group or a transitive member of it, 0 when not,
 * KD_ERR_NOMEM when it could not tell. */
int kd_directory_is_member(const struct kd_directory *dir, uint32_t who, uint32_t group);

/*
 * The SPN index as a list of holders: every SPN of every principal, plus the
 * implicit krbtgt/REALM names of the krbtgt account. Holders of one key are
 * chained through @next (KD_NONE ends the chain) in input order.
 */
struct kd_spn_holder {
	const char *key;  /* canonical key (kd_spn_key), up to ASCII case */
	const char *spn;  /* the value as stored, or the implicit name */
	uint32_t principal;
	uint32_t next;
	bool implicit;    /* not stored in servicePrincipalName */
	bool shared;      /* another holder has the same key (duplicates, case variants) */
	bool alias;       /* the service class is a HOST alias (cifs, http...) */
};
size_t kd_directory_spn_holders(const struct kd_directory *dir,
				const struct kd_spn_holder **ret_holders);
/* The first holder of @key (canonical up to case), or KD_NONE. */
uint32_t kd_directory_spn_head(const struct kd_directory *dir, const char *key);

/*
 * The non-group principals that are transitive members of @group, ordered by SID (then
 * DN), not by input order: the same list whichever entries a collection read first.
 * Into a malloc'd array the caller frees. Returns the count, or (size_t)-1 on ENOMEM.
 */
size_t kd_directory_expand_group(const struct kd_directory *dir, uint32_t group,
				 uint32_t **ret_members);

/* The trusts in input order. */
size_t kd_directory_trusts(const struct kd_directory *dir, const struct kd_trust **ret);
/* What the snapshot carried (valid after finish). */
const struct kd_coverage *kd_directory_coverage(const struct kd_directory *dir);

/* Bad values in input order. */
size_t kd_directory_bad_values(const struct kd_directory *dir, const struct kd_bad_value **ret);

/* Counts for the report. */
struct kd_directory_counts {
	size_t entries;
	size_t users, computers, dcs, service_accounts, groups, trusts, other;
	size_t enabled;
	size_t spns;
};
void kd_directory_counts(const struct kd_directory *dir, struct kd_directory_counts *ret);
