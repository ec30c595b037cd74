/* SPDX-License-Identifier: MIT */
/* The domain model: entries in, principals with indexes, membership and tier 0 out. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/directory.h"
#include "kdeleg/guid.h"
#include "kdeleg/hashtab.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/uac.h"

/* Keep in step with kd_directory_filter and README's ldapsearch command. */
const char *const kd_directory_attributes[] = {
	"objectclass",
	"samaccountname",
	"objectsid",
	"useraccountcontrol",
	"serviceprincipalname",
	"msds-allowedtodelegateto",
	"msds-allowedtoactonbehalfofotheridentity",
	"memberof",
	"member",
	"primarygroupid",
	"admincount",
	"dnshostname",
	"msds-supportedencryptiontypes",
	"ms-ds-machineaccountquota",
	"msds-behavior-version",
	"spnmappings",
	"ntsecuritydescriptor",
	"sidhistory",
	"trustpartner",
	"trustattributes",
	"trustdirection",
	"trusttype",
	/* a crossRef of the Partitions container, from its own search (README, ldapsrc.c) */
	"ncname",
	"netbiosname",
	NULL,
};

const char kd_directory_filter[] =
	"(|(objectClass=user)(objectClass=computer)(objectClass=group)(objectClass=domain)"
	"(objectClass=trustedDomain))";

/* A crossRef (nCName and nETBIOSName, arena text), matched to the domain at finish:
 * the domain object may come before or after it. */
struct cross_ref {
	const char *nc;
	const char *netbios;
};

/* Membership references are kept until finish(): both a group's member and a
 * principal's memberOf may name the same edge, and either may be missing. */
struct pending_ref {
	const char *dn; /* in refs_arena */
	uint32_t from;  /* the principal whose member or memberOf value it is */
};

struct kd_directory {
	struct kd_arena *arena;
	struct kd_principal *principals;
	size_t count, cap;
	struct kd_domain domain;
	struct kd_spnmap *spnmap;

	struct kd_hashtab by_sid; /* binary SID -> index */
	struct kd_hashtab by_dn;  /* DN (case-insensitive) -> index */
	struct kd_hashtab by_spn; /* key (case-insensitive) -> first holder */
	struct kd_spn_holder *holders; /* kd_large_alloc'd */
	size_t nholders, holders_cap;

	/* kd_large_alloc'd: grow by mremap, never copied; dropped after finish */
	struct pending_ref *refs; /* member values */
	size_t nrefs, refs_cap;
	struct pending_ref *member_of_refs; /* memberOf values */
	size_t nmember_of_refs, member_of_refs_cap;
	struct kd_arena *refs_arena; /* the DNs they name */
	uint32_t *bare_groups;       /* groups that listed no members, in input order */
	size_t nbare_groups, bare_groups_cap;

	struct kd_bad_value *bad;
	size_t nbad, bad_cap;

	/*
	 * nTSecurityDescriptor values, shared where they are equal. A parsed ACE takes
	 * ~150 bytes (a computer's DACL, 40-60 ACEs, ~8 KB): a million parsed one by one
	 * would not fit. Objects created alike in one OU carry equal DACLs even when
	 * their owners differ, so each distinct DACL (at its offset) is kept once
	 * (by_dacl, keys in sd_keys). Keying whole values would keep a copy of every
	 * distinct one until finish (owners differ: as many as accounts); a value equal
	 * to one of the last few (entries of one OU come together) is not parsed again.
	 * Parses go to a scratch arena first. All of it is dropped at finish.
	 */
	struct {
		uint8_t *bytes; /* malloc'd copy */
		size_t len;
		const struct kd_secdesc *sd;
	} recent_sds[16];
	unsigned recent_next;
	struct kd_hashtab by_dacl;
	struct kd_ace **dacls;
	size_t ndacls, dacls_cap;
	size_t dacl_hits; /* DACLs found in by_dacl: when few are, keys stop being kept */
	struct kd_arena *sd_keys;
	struct kd_arena *sd_scratch;

	struct kd_trust *trusts;
	size_t ntrusts, trusts_cap;
	struct cross_ref *cross_refs;
	size_t ncross_refs, cross_refs_cap;

	size_t entries;
	struct kd_directory_counts counts; /* set by finish */
	struct kd_coverage coverage;       /* set by finish */
	const char *plan;                  /* kd_directory_set_plan() */
	bool finished;
};


const char *
kd_kind_name(enum kd_kind kind)
{
	switch (kind) {
	case KD_KIND_USER:
		return "user";
	case KD_KIND_COMPUTER:
		return "computer";
	case KD_KIND_DC:
		return "domain-controller";
	case KD_KIND_RODC:
		return "read-only-domain-controller";
	case KD_KIND_MSA:
		return "managed-service-account";
	case KD_KIND_GMSA:
		return "group-managed-service-account";
	case KD_KIND_TRUST:
		return "trust-account";
	case KD_KIND_KRBTGT:
		return "krbtgt";
	case KD_KIND_GROUP:
		return "group";
	case KD_KIND_FOREIGN:
		return "foreign-security-principal";
	case KD_KIND_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
kd_kind_ps_noun(enum kd_kind kind)
{
	switch (kind) {
	case KD_KIND_COMPUTER:
	case KD_KIND_DC:
	case KD_KIND_RODC:
		return "ADComputer";
	case KD_KIND_MSA:
	case KD_KIND_GMSA:
		return "ADServiceAccount";
	default:
		return "ADUser";
	}
}

int
kd_directory_new(struct kd_directory **ret_dir, struct kd_error *err)
{
	struct kd_directory *dir = calloc(1, sizeof(*dir));

	if (!dir)
		goto nomem;
	dir->arena = kd_arena_new();
	dir->spnmap = kd_spnmap_new_default();
	if (!dir->arena || !dir->spnmap)
		goto nomem;
	kd_hashtab_init(&dir->by_sid);
	kd_hashtab_init_fold(&dir->by_dn);
	kd_hashtab_init_fold(&dir->by_spn);
	kd_hashtab_init(&dir->by_dacl);
	dir->refs_arena = kd_arena_new();
	if (!dir->refs_arena)
		goto nomem;
	*ret_dir = dir;
	return 0;
nomem:
	kd_directory_free(dir);
	return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
}

/* The descriptor tables that only serve while entries are added. */
static void
drop_descriptor_tables(struct kd_directory *dir)
{
	kd_hashtab_free(&dir->by_dacl);
	free(dir->dacls);
	dir->dacls = NULL;
	dir->ndacls = dir->dacls_cap = 0;
	for (size_t i = 0; i < sizeof(dir->recent_sds) / sizeof(*dir->recent_sds); i++) {
		free(dir->recent_sds[i].bytes);
		dir->recent_sds[i].bytes = NULL;
		dir->recent_sds[i].len = 0;
	}
	kd_arena_free(dir->sd_keys);
	kd_arena_free(dir->sd_scratch);
	dir->sd_keys = dir->sd_scratch = NULL;
}

static void
drop_pending(struct kd_directory *dir)
{
	kd_large_free(dir->refs, dir->refs_cap * sizeof(*dir->refs));
	dir->refs = NULL;
	dir->nrefs = dir->refs_cap = 0;
	free(dir->bare_groups);
	dir->bare_groups = NULL;
	dir->nbare_groups = dir->bare_groups_cap = 0;
	kd_large_free(dir->member_of_refs,
		      dir->member_of_refs_cap * sizeof(*dir->member_of_refs));
	dir->member_of_refs = NULL;
	dir->nmember_of_refs = dir->member_of_refs_cap = 0;
	kd_arena_free(dir->refs_arena);
	dir->refs_arena = NULL;
}

void
kd_directory_free(struct kd_directory *dir)
{
	if (!dir)
		return;
	kd_hashtab_free(&dir->by_sid);
	kd_hashtab_free(&dir->by_dn);
	kd_hashtab_free(&dir->by_spn);
	drop_descriptor_tables(dir);
	free(dir->trusts);
	free(dir->cross_refs);
	drop_pending(dir);
	kd_large_free(dir->principals, dir->cap * sizeof(*dir->principals));
	kd_large_free(dir->holders, dir->holders_cap * sizeof(*dir->holders));
	free(dir->bad);
	kd_spnmap_free(dir->spnmap);
	kd_arena_free(dir->arena);
	free(dir);
}

/* Doubles *cap (from @initial) so that one more element fits; false on overflow/ENOMEM. */

static int
add_bad(struct kd_directory *dir, uint32_t principal, const char *attribute,
	const struct kd_error *why)
{
	struct kd_bad_value *b;

	if (!kd_grow_array((void **)&dir->bad, &dir->bad_cap, dir->nbad, sizeof(*b), 16))
		return KD_ERR_NOMEM;
	b = &dir->bad[dir->nbad];
	memset(b, 0, sizeof(*b));
	b->principal = principal;
	b->attribute = attribute;
	b->has_offset = why->has_offset;
	b->offset = why->offset;
	b->reason = kd_arena_strdup(dir->arena, why->message);
	if (!b->reason)
		return KD_ERR_NOMEM;
	dir->nbad++;
	return 0;
}

static bool
starts_with_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* "DC=corp,DC=example" -> "corp.example"; NULL when the DN has no DC= parts. */
static const char *
dns_name_from_dn(struct kd_arena *arena, const char *dn)
{
	struct kd_strbuf sb;
	const char *p = dn;
	char *out = NULL;

	kd_strbuf_init(&sb, 1024);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && *p == ' ')
			p++, len--;
		if (starts_with_ci(p, len, "dc=")) {
			if (sb.len && kd_strbuf_putc(&sb, '.') < 0)
				goto out;
			for (size_t i = 3; i < len; i++)
				if (kd_strbuf_putc(&sb, (char)tolower((unsigned char)p[i])) < 0)
					goto out;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (sb.len)
		out = kd_arena_strdup(arena, kd_strbuf_str(&sb));
out:
	kd_strbuf_free(&sb);
	return out;
}

/* The value of the first RDN ("CN=web01,OU=..." -> "web01"), a fallback name. */
static const char *
first_rdn_value(struct kd_arena *arena, const char *dn)
{
	const char *eq = strchr(dn, '=');
	const char *end;

	if (!eq)
		return kd_arena_strdup(arena, dn);
	end = eq + 1;
	while (*end && *end != ',') {
		if (*end == '\\' && end[1])
			end++;
		end++;
	}
	return kd_arena_memdup(arena, eq + 1, (size_t)(end - eq - 1));
}

static int
copy_strings(struct kd_directory *dir, const struct kd_attr *attr, const char ***ret,
	     uint32_t *ret_count)
{
	const char **list;

	*ret = NULL;
	*ret_count = 0;
	if (!attr || attr->nvalues == 0)
		return 0;
	if (attr->nvalues > UINT32_MAX)
		return KD_ERR_NOMEM;
	list = kd_arena_calloc(dir->arena, attr->nvalues, sizeof(*list));
	if (!list)
		return KD_ERR_NOMEM;
	for (size_t i = 0; i < attr->nvalues; i++) {
		list[i] = kd_arena_memdup(dir->arena, attr->values[i].data, attr->values[i].len);
		if (!list[i])
			return KD_ERR_NOMEM;
	}
	*ret = list;
	*ret_count = (uint32_t)attr->nvalues;
	return 0;
}

/* Makes room for one more element of a kd_large_alloc'd array; false when out of memory. */
static bool
grow_large(void **array, size_t *cap, size_t count, size_t elem)
{
	size_t new_cap = *cap ? *cap * 2 : 65536;
	void *grown;

	if (count < *cap)
		return true;
	if (new_cap > SIZE_MAX / elem)
		return false;
	grown = kd_large_realloc(*array, *cap * elem, new_cap * elem);
	if (!grown)
		return false;
	*array = grown;
	*cap = new_cap;
	return true;
}

/* Keeps the DNs of a member or memberOf attribute for finish(), as written: the DN
 * table compares case-insensitively. */
static int
add_refs(struct kd_directory *dir, struct pending_ref **refs, size_t *nrefs, size_t *cap,
	 uint32_t from, const struct kd_attr *attr)
{
	for (size_t i = 0; attr && i < attr->nvalues; i++) {
		const struct kd_value *v = &attr->values[i];
		struct pending_ref *ref;

		if (!grow_large((void **)refs, cap, *nrefs, sizeof(*ref)))
			return KD_ERR_NOMEM;
		ref = &(*refs)[(*nrefs)++];
		ref->dn = kd_arena_memdup(dir->refs_arena, v->data, v->len);
		if (!ref->dn)
			return KD_ERR_NOMEM;
		ref->from = from;
	}
	return 0;
}

/* objectClass values that matter, as bits, found in one pass over the values. */
enum {
	OC_DOMAIN = 1 << 0,
	OC_TRUSTED_DOMAIN = 1 << 1,
	OC_GMSA = 1 << 2,
	OC_MSA = 1 << 3,
	OC_FOREIGN = 1 << 4,
	OC_GROUP = 1 << 5,
	OC_COMPUTER = 1 << 6,
	OC_USER = 1 << 7,
	OC_CROSS_REF = 1 << 8,
};

static unsigned
class_bits(const struct kd_attr *oc)
{
	static const struct {
		const char *name;
		unsigned bit;
	} classes[] = {
		{"domain", OC_DOMAIN},
		{"domainDNS", OC_DOMAIN},
		{"trustedDomain", OC_TRUSTED_DOMAIN},
		{"crossRef", OC_CROSS_REF},
		{"msDS-GroupManagedServiceAccount", OC_GMSA},
		{"msDS-ManagedServiceAccount", OC_MSA},
		{"foreignSecurityPrincipal", OC_FOREIGN},
		{"group", OC_GROUP},
		{"computer", OC_COMPUTER},
		{"user", OC_USER},
		{"inetOrgPerson", OC_USER},
	};
	unsigned bits = 0;

	for (size_t i = 0; oc && i < oc->nvalues; i++) {
		const char *v = oc->values[i].data;

		for (size_t k = 0; k < sizeof(classes) / sizeof(*classes); k++)
			if (tolower((unsigned char)v[0]) == tolower((unsigned char)classes[k].name[0]) &&
			    strcasecmp(v, classes[k].name) == 0)
				bits |= classes[k].bit;
	}
	return bits;
}

static enum kd_kind
kind_from_bits(unsigned bits)
{
	if (bits & OC_GMSA)
		return KD_KIND_GMSA;
	if (bits & OC_MSA)
		return KD_KIND_MSA;
	if (bits & OC_FOREIGN)
		return KD_KIND_FOREIGN;
	if (bits & OC_GROUP)
		return KD_KIND_GROUP;
	if (bits & OC_COMPUTER)
		return KD_KIND_COMPUTER;
	if (bits & OC_USER)
		return KD_KIND_USER;
	return KD_KIND_UNKNOWN;
}

/*
 * The entry's attributes by position in kd_directory_attributes, found in one pass:
 * the model reads a dozen attributes of every entry of a million-entry snapshot.
 */
enum attr_id {
	A_OBJECTCLASS,
	A_SAMACCOUNTNAME,
	A_OBJECTSID,
	A_USERACCOUNTCONTROL,
	A_SPN,
	A_DELEGATE_TO,
	A_RBCD,
	A_MEMBEROF,
	A_MEMBER,
	A_PRIMARYGROUPID,
	A_ADMINCOUNT,
	A_DNSHOSTNAME,
	A_ENCTYPES,
	A_MACHINE_QUOTA,
	A_BEHAVIOR_VERSION,
	A_SPNMAPPINGS,
	A_SD,
	A_SID_HISTORY,
	A_TRUST_PARTNER,
	A_TRUST_ATTRIBUTES,
	A_TRUST_DIRECTION,
	A_TRUST_TYPE,
	A_NCNAME,
	A_NETBIOSNAME,
	A_COUNT
};

struct attrs {
	const struct kd_attr *a[A_COUNT];
};

static void
index_attrs(const struct kd_entry *entry, struct attrs *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < entry->nattrs; i++) {
		const char *name = entry->attrs[i].name;

		for (size_t k = 0; k < A_COUNT; k++) {
			if (name[0] == kd_directory_attributes[k][0] &&
			    strcmp(name, kd_directory_attributes[k]) == 0) {
				ret->a[k] = &entry->attrs[i];
				break;
			}
		}
	}
}

static const struct kd_value *
first_value(const struct attrs *attrs, enum attr_id id)
{
	const struct kd_attr *a = attrs->a[id];

	return a && a->nvalues ? &a->values[0] : NULL;
}

/* Reads an optional 32-bit integer attribute; a bad value is recorded, not fatal. */
static int
read_int(struct kd_directory *dir, uint32_t index, const struct kd_value *v, const char *display,
	 bool *ret_has, int64_t *ret_value)
{
	struct kd_error why;

	*ret_has = false;
	if (!v)
		return 0;
	kd_error_clear(&why);
	if (kd_parse_int32(v->data, v->len, ret_value, &why) < 0)
		return add_bad(dir, index, display, &why);
	*ret_has = true;
	return 0;
}

/* ldapsearch prints objectSid in binary (base64); some exporters use the text form. */
static int
parse_sid_value(const struct kd_value *v, struct kd_sid *ret_sid, struct kd_error *err)
{
	if (v->len > 2 && (v->data[0] == 'S' || v->data[0] == 's') && v->data[1] == '-' &&
	    strlen(v->data) == v->len)
		return kd_sid_from_string(v->data, ret_sid, err);
	return kd_sid_from_binary(v->data, v->len, ret_sid, err);
}

/* A SID value (objectSid, sIDHistory); one that does not parse is a bad value of @index. */
static int
read_sid(struct kd_directory *dir, uint32_t index, const struct kd_value *v,
	 const char *attribute, bool *ret_has, struct kd_sid *ret_sid)
{
	struct kd_error why;
	int r;

	*ret_has = false;
	if (!v)
		return 0;
	kd_error_clear(&why);
	r = parse_sid_value(v, ret_sid, &why);
	if (r < 0)
		return add_bad(dir, index, attribute, &why);
	*ret_has = true;
	return 0;
}

/* A principal keeps its SID in binary form (see kd_principal.sid_binary). */
static int
read_principal_sid(struct kd_directory *dir, uint32_t index, const struct kd_value *v)
{
	struct kd_principal *p = &dir->principals[index];
	struct kd_sid sid;
	bool has;
	uint8_t *binary;
	int r = read_sid(dir, index, v, "objectSid", &has, &sid);

	if (r < 0 || !has)
		return r;
	binary = kd_arena_alloc(dir->arena, kd_sid_binary_size(&sid));
	if (!binary)
		return KD_ERR_NOMEM;
	kd_sid_to_binary(&sid, binary, kd_sid_binary_size(&sid));
	p->sid_binary = binary;
	p->has_sid = true;
	return 0;
}

/* Keys of the descriptor tables: copies that live until finish. */
static void *
sd_key(struct kd_directory *dir, const void *data, size_t len)
{
	if (!dir->sd_keys && !(dir->sd_keys = kd_arena_new()))
		return NULL;
	return kd_arena_memdup(dir->sd_keys, data, len);
}

/*
 * The ACEs of @acl, parsed in the scratch arena from @data, in the directory's: the
 * array of an equal ACL at the same offset when there is one (ACE offsets are the
 * descriptor's), else a copy. struct kd_ace holds no pointers, so a copy is whole.
 */
static int
keep_aces(struct kd_directory *dir, const uint8_t *data, struct kd_acl *acl, bool share)
{
	uint8_t *key = NULL;
	struct kd_ace *copy;
	size_t key_len = 4 + (size_t)acl->size;
	uint32_t known;

	if (acl->count == 0) {
		acl->aces = NULL;
		return 0;
	}
	if (share) {
		/* the offset, then the ACL's bytes (parsed: within the value) */
		key = kd_arena_alloc(dir->sd_scratch, key_len);
		if (!key)
			return KD_ERR_NOMEM;
		memcpy(key, &(uint32_t){(uint32_t)acl->offset}, 4);
		memcpy(key + 4, data + acl->offset, acl->size);
		if (kd_hashtab_get(&dir->by_dacl, key, key_len, &known)) {
			acl->aces = dir->dacls[known];
			dir->dacl_hits++;
			return 0;
		}
		/* A snapshot whose DACLs are all different would keep a key each for
		 * nothing: past a few thousand, only while sharing pays. */
		share = dir->ndacls < 4096 || dir->dacl_hits >= dir->ndacls;
	}
	copy = kd_arena_calloc(dir->arena, acl->count, sizeof(*copy));
	if (!copy)
		return KD_ERR_NOMEM;
	memcpy(copy, acl->aces, acl->count * sizeof(*copy));
	acl->aces = copy;
	if (!share)
		return 0;
	if (dir->ndacls >= KD_NONE ||
	    !kd_grow_array((void **)&dir->dacls, &dir->dacls_cap, dir->ndacls, sizeof(*dir->dacls),
			64) ||
	    !(key = sd_key(dir, key, key_len)) ||
	    kd_hashtab_put(&dir->by_dacl, key, key_len, (uint32_t)dir->ndacls, NULL) < 0)
		return KD_ERR_NOMEM;
	dir->dacls[dir->ndacls++] = copy;
	return 0;
}

/* A parsed descriptor equal to @v among the last few, or NULL. */
static const struct kd_secdesc *
recent_descriptor(const struct kd_directory *dir, const struct kd_value *v)
{
	for (size_t i = 0; i < sizeof(dir->recent_sds) / sizeof(*dir->recent_sds); i++)
		if (dir->recent_sds[i].bytes && dir->recent_sds[i].len == v->len &&
		    memcmp(dir->recent_sds[i].bytes, v->data, v->len) == 0)
			return dir->recent_sds[i].sd;
	return NULL;
}

/* Remembers @sd parsed from @v among the last few; false when out of memory. */
static bool
remember_descriptor(struct kd_directory *dir, const struct kd_value *v,
		    const struct kd_secdesc *sd)
{
	unsigned slot = dir->recent_next;
	uint8_t *copy = malloc(v->len ? v->len : 1);

	if (!copy)
		return false;
	memcpy(copy, v->data, v->len);
	free(dir->recent_sds[slot].bytes);
	dir->recent_sds[slot].bytes = copy;
	dir->recent_sds[slot].len = v->len;
	dir->recent_sds[slot].sd = sd;
	dir->recent_next = (slot + 1) % (sizeof(dir->recent_sds) / sizeof(*dir->recent_sds));
	return true;
}

/*
 * An nTSecurityDescriptor value of @index (KD_NONE: the domain head). One that does
 * not parse is a bad value and leaves *ret NULL. Equal DACLs share one ACE array, a
 * value equal to a recent one its parse (see struct kd_directory).
 */
static int
read_descriptor(struct kd_directory *dir, uint32_t index, const struct kd_value *v,
		const struct kd_secdesc **ret)
{
	struct kd_secdesc parsed, *sd;
	struct kd_error why;
	int r;

	*ret = NULL;
	if (!v)
		return 0;
	if ((*ret = recent_descriptor(dir, v)) != NULL)
		return 0;
	/* a fresh scratch arena every 1.5 MiB or so: a couple of hundred descriptors */
	if (dir->sd_scratch && kd_arena_used(dir->sd_scratch) > (size_t)3 << 19) {
		kd_arena_free(dir->sd_scratch);
		dir->sd_scratch = NULL;
	}
	if (!dir->sd_scratch && !(dir->sd_scratch = kd_arena_new()))
		return KD_ERR_NOMEM;
	kd_error_clear(&why);
	r = kd_secdesc_parse(dir->sd_scratch, v->data, v->len, &parsed, &why);
	if (r == KD_ERR_NOMEM)
		return r;
	if (r < 0)
		return add_bad(dir, index, "nTSecurityDescriptor", &why);
	if (!parsed.dacl_null && (r = keep_aces(dir, (const uint8_t *)v->data, &parsed.dacl,
						true)) < 0)
		return r;
	if (parsed.has_sacl &&
	    (r = keep_aces(dir, (const uint8_t *)v->data, &parsed.sacl, false)) < 0)
		return r;
	sd = kd_arena_alloc(dir->arena, sizeof(*sd));
	if (!sd)
		return KD_ERR_NOMEM;
	*sd = parsed;
	if (!remember_descriptor(dir, v, sd))
		return KD_ERR_NOMEM;
	*ret = sd;
	return 0;
}

/* sIDHistory: the values that parse, in the arena; each one that does not is a bad value. */
static int
read_sid_history(struct kd_directory *dir, uint32_t index, const struct kd_attr *attr)
{
	struct kd_sid *list;
	uint32_t n = 0;

	if (!attr || attr->nvalues == 0)
		return 0;
	if (attr->nvalues > UINT32_MAX)
		return KD_ERR_NOMEM;
	list = kd_arena_calloc(dir->arena, attr->nvalues, sizeof(*list));
	if (!list)
		return KD_ERR_NOMEM;
	for (size_t i = 0; i < attr->nvalues; i++) {
		bool has;
		int r = read_sid(dir, index, &attr->values[i], "sIDHistory", &has, &list[n]);

		if (r < 0)
			return r;
		if (has)
			n++;
	}
	if (n) {
		dir->principals[index].sid_history = list;
		dir->principals[index].nsid_history = n;
	}
	return 0;
}

struct kd_sid
kd_principal_sid(const struct kd_principal *p)
{
	struct kd_sid sid;

	/* checked when it was read: this parse cannot fail */
	if (!p->has_sid ||
	    kd_sid_from_binary(p->sid_binary, 8 + 4 * (size_t)p->sid_binary[1], &sid, NULL) < 0)
		memset(&sid, 0, sizeof(sid));
	return sid;
}

bool
kd_principal_takes_tickets(const struct kd_principal *p)
{
	switch (p->kind) {
	case KD_KIND_COMPUTER:
	case KD_KIND_DC:
	case KD_KIND_RODC:
	case KD_KIND_MSA:
	case KD_KIND_GMSA:
	case KD_KIND_KRBTGT:
		return true;
	case KD_KIND_USER:
		return p->nspns > 0;
	default:
		return false;
	}
}

uint32_t
kd_principal_rid(const struct kd_principal *p)
{
	const uint8_t *last;

	if (!p->has_sid || p->sid_binary[1] == 0)
		return 0;
	last = p->sid_binary + 8 + 4 * ((size_t)p->sid_binary[1] - 1);
	return (uint32_t)last[0] | (uint32_t)last[1] << 8 | (uint32_t)last[2] << 16 |
	       (uint32_t)last[3] << 24;
}

/*
 * A second domain head. The same domain's (same SID, or no SID to tell) changes
 * nothing; another domain's is refused: accounts, SIDs and fingerprints of two
 * domains cannot be told apart once merged (two snapshots concatenated, or a
 * forest-wide export), and a silent merge would report neither correctly.
 */
static int
second_domain_object(struct kd_directory *dir, const struct kd_entry *entry,
		     const struct attrs *at, struct kd_error *err)
{
	const struct kd_domain *d = &dir->domain;
	const struct kd_value *v = first_value(at, A_OBJECTSID);
	char first[KD_SID_STRING_MAX], second[KD_SID_STRING_MAX];
	struct kd_sid sid;

	if (!d->has_sid || !v || parse_sid_value(v, &sid, NULL) < 0 ||
	    kd_sid_equal(&sid, &d->sid))
		return 0;
	kd_sid_to_string(&d->sid, first, sizeof(first));
	kd_sid_to_string(&sid, second, sizeof(second));
	return kd_error_set(err, KD_ERR_PARSE,
			    "the snapshot holds two domains, '%s' (%s) and '%.*s' (%s): audit "
			    "one domain a snapshot (were two snapshots concatenated?)",
			    d->dn, first, (int)(entry->dn_len > 512 ? 512 : entry->dn_len),
			    entry->dn, second);
}

static int
add_domain_object(struct kd_directory *dir, const struct kd_entry *entry, const struct attrs *at,
		  struct kd_error *err)
{
	struct kd_domain *d = &dir->domain;
	bool has;
	int64_t value;
	int r;

	if (d->dn)
		return second_domain_object(dir, entry, at, err);
	d->dn = kd_arena_memdup(dir->arena, entry->dn, entry->dn_len);
	if (!d->dn)
		return KD_ERR_NOMEM;
	d->dns_name = dns_name_from_dn(dir->arena, d->dn);
	r = read_sid(dir, KD_NONE, first_value(at, A_OBJECTSID), "objectSid", &d->has_sid, &d->sid);
	if (r == 0)
		r = read_int(dir, KD_NONE, first_value(at, A_MACHINE_QUOTA),
			     "ms-DS-MachineAccountQuota", &d->has_machine_quota, &d->machine_quota);
	if (r == 0)
		r = read_int(dir, KD_NONE, first_value(at, A_BEHAVIOR_VERSION),
			     "msDS-Behavior-Version", &has, &value);
	if (r == 0 && has && value >= 0) {
		d->has_functional_level = true;
		d->functional_level = (uint32_t)value;
	}
	if (r == 0)
		r = read_descriptor(dir, KD_NONE, first_value(at, A_SD), &d->sd);
	return r;
}

/*
 * A trust's integer attribute. trustAttributes is a bit mask that LDAP shows as a
 * signed 32-bit integer: the cast keeps the bits. A bad value names the trust.
 */
static int
read_trust_int(struct kd_directory *dir, const struct kd_trust *t, const struct kd_value *v,
	       const char *display, bool *ret_has, uint32_t *ret_value)
{
	struct kd_error why, about;
	int64_t value;

	*ret_has = false;
	if (!v)
		return 0;
	kd_error_clear(&why);
	if (kd_parse_int32(v->data, v->len, &value, &why) < 0) {
		kd_error_clear(&about);
		kd_error_set(&about, why.code, "trust '%s': %s", t->partner, why.message);
		about.has_offset = why.has_offset;
		about.offset = why.offset;
		return add_bad(dir, KD_NONE, display, &about);
	}
	*ret_has = true;
	*ret_value = (uint32_t)value;
	return 0;
}

/* A trustedDomain object (MS-ADTS 6.1.6.7): kept for the trust rules. */
static int
add_trust(struct kd_directory *dir, const struct kd_entry *entry, const struct attrs *at)
{
	const struct kd_value *v = first_value(at, A_TRUST_PARTNER);
	struct kd_trust *t;
	size_t i = dir->ntrusts;
	int r;

	if (!kd_grow_array((void **)&dir->trusts, &dir->trusts_cap, i, sizeof(*t), 8))
		return KD_ERR_NOMEM;
	t = &dir->trusts[i];
	memset(t, 0, sizeof(*t));
	t->line = entry->line > UINT32_MAX ? 0 : (uint32_t)entry->line;
	t->dn = kd_arena_memdup(dir->arena, entry->dn, entry->dn_len);
	if (!t->dn)
		return KD_ERR_NOMEM;
	t->partner = v ? kd_arena_memdup(dir->arena, v->data, v->len)
		       : first_rdn_value(dir->arena, t->dn);
	if (!t->partner)
		return KD_ERR_NOMEM;
	dir->ntrusts++;
	r = read_trust_int(dir, t, first_value(at, A_TRUST_ATTRIBUTES), "trustAttributes",
			   &t->has_attributes, &t->attributes);
	if (r == 0)
		r = read_trust_int(dir, t, first_value(at, A_TRUST_DIRECTION), "trustDirection",
				   &t->has_direction, &t->direction);
	if (r == 0)
		r = read_trust_int(dir, t, first_value(at, A_TRUST_TYPE), "trustType",
				   &t->has_type, &t->type);
	return r;
}

/* A crossRef: only those naming a NetBIOS name matter (a domain's, not a partition's). */
static int
add_cross_ref(struct kd_directory *dir, const struct attrs *at)
{
	const struct kd_value *nc = first_value(at, A_NCNAME);
	const struct kd_value *netbios = first_value(at, A_NETBIOSNAME);
	struct cross_ref *c;

	if (!nc || !netbios || netbios->len == 0)
		return 0;
	if (!kd_grow_array((void **)&dir->cross_refs, &dir->cross_refs_cap, dir->ncross_refs,
			sizeof(*c), 4))
		return KD_ERR_NOMEM;
	c = &dir->cross_refs[dir->ncross_refs];
	c->nc = kd_arena_memdup(dir->arena, nc->data, nc->len);
	c->netbios = kd_arena_memdup(dir->arena, netbios->data, netbios->len);
	if (!c->nc || !c->netbios)
		return KD_ERR_NOMEM;
	dir->ncross_refs++;
	return 0;
}

static int
add_spn_mappings(struct kd_directory *dir, const struct kd_attr *attr)
{
	const char **values = NULL;
	size_t *lens = NULL;
	struct kd_spnmap *map = NULL;
	struct kd_error why;
	int r = KD_ERR_NOMEM;

	values = calloc(attr->nvalues, sizeof(*values));
	lens = calloc(attr->nvalues, sizeof(*lens));
	if (!values || !lens)
		goto out;
	for (size_t i = 0; i < attr->nvalues; i++) {
		values[i] = attr->values[i].data;
		lens[i] = attr->values[i].len;
	}
	kd_error_clear(&why);
	r = kd_spnmap_new_from_values(values, lens, attr->nvalues, &map, &why);
	if (r == KD_ERR_PARSE) {
		/* Keep AD's default table and report the value. */
		r = add_bad(dir, KD_NONE, "sPNMappings", &why);
		goto out;
	}
	if (r < 0)
		goto out;
	kd_spnmap_free(dir->spnmap);
	dir->spnmap = map;
	dir->domain.custom_spn_mappings = true;
out:
	free(values);
	free(lens);
	return r;
}

static int
fill_principal(struct kd_directory *dir, uint32_t index, const struct attrs *at)
{
	struct kd_principal *p = &dir->principals[index];
	const struct kd_value *v;
	struct kd_error why;
	bool has;
	int64_t value;
	int r;

	v = first_value(at, A_SAMACCOUNTNAME);
	p->name = v ? kd_arena_memdup(dir->arena, v->data, v->len) : first_rdn_value(dir->arena, p->dn);
	if (!p->name)
		return KD_ERR_NOMEM;
	v = first_value(at, A_DNSHOSTNAME);
	if (v && !(p->dns_host_name = kd_arena_memdup(dir->arena, v->data, v->len)))
		return KD_ERR_NOMEM;
	r = read_principal_sid(dir, index, first_value(at, A_OBJECTSID));
	if (r < 0)
		return r;

	v = first_value(at, A_USERACCOUNTCONTROL);
	if (v) {
		kd_error_clear(&why);
		if (kd_uac_parse(v->data, v->len, &p->uac, &why) == 0)
			p->has_uac = true;
		else if ((r = add_bad(dir, index, "userAccountControl", &why)) < 0)
			return r;
	}
	if ((r = read_int(dir, index, first_value(at, A_PRIMARYGROUPID), "primaryGroupID", &has,
			  &value)) < 0)
		return r;
	if (has && value > 0)
		p->primary_group_rid = (uint32_t)value;
	if ((r = read_int(dir, index, first_value(at, A_ADMINCOUNT), "adminCount", &has, &value)) <
	    0)
		return r;
	p->admin_count = has && value != 0;
	if ((r = read_int(dir, index, first_value(at, A_ENCTYPES), "msDS-SupportedEncryptionTypes",
			  &has, &value)) < 0)
		return r;
	p->has_enc_types = has;
	p->enc_types = has ? (uint32_t)value : 0;

	r = copy_strings(dir, at->a[A_SPN], &p->spns, &p->nspns);
	if (r == 0)
		r = copy_strings(dir, at->a[A_DELEGATE_TO], &p->delegate_to, &p->ndelegate_to);
	if (r == 0)
		r = read_descriptor(dir, index, first_value(at, A_SD), &p->sd);
	if (r == 0)
		r = read_sid_history(dir, index, at->a[A_SID_HISTORY]);
	if (r < 0)
		return r;

	v = first_value(at, A_RBCD);
	if (v) {
		struct kd_secdesc *sd = kd_arena_alloc(dir->arena, sizeof(*sd));

		if (!sd)
			return KD_ERR_NOMEM;
		kd_error_clear(&why);
		r = kd_secdesc_parse(dir->arena, v->data, v->len, sd, &why);
		if (r == KD_ERR_NOMEM)
			return r;
		if (r < 0) {
			p->rbcd_state = KD_RBCD_MALFORMED;
			r = add_bad(dir, index, "msDS-AllowedToActOnBehalfOfOtherIdentity", &why);
			if (r < 0)
				return r;
		} else {
			p->rbcd = sd;
			p->rbcd_state = sd->dacl_null ? KD_RBCD_NULL_DACL : KD_RBCD_PARSED;
		}
	}

	if (at->a[A_MEMBER] && at->a[A_MEMBER]->nvalues)
		p->listed_members = true;
	else if (p->kind == KD_KIND_GROUP) {
		if (!kd_grow_array((void **)&dir->bare_groups, &dir->bare_groups_cap,
				dir->nbare_groups, sizeof(*dir->bare_groups), 256))
			return KD_ERR_NOMEM;
		dir->bare_groups[dir->nbare_groups++] = index;
	}
	r = add_refs(dir, &dir->refs, &dir->nrefs, &dir->refs_cap, index, at->a[A_MEMBER]);
	if (r == 0)
		r = add_refs(dir, &dir->member_of_refs, &dir->nmember_of_refs,
			     &dir->member_of_refs_cap, index, at->a[A_MEMBEROF]);
	return r;
}

int
kd_directory_add(struct kd_directory *dir, const struct kd_entry *entry, struct kd_error *err)
{
	const struct kd_attr *mappings;
	struct attrs at;
	unsigned classes;
	enum kd_kind kind;
	struct kd_principal *p;
	uint32_t index;
	int r;

	if (dir->finished)
		return kd_error_set(err, KD_ERR_USAGE, "the directory is already finished");
	dir->entries++;
	index_attrs(entry, &at);
	classes = class_bits(at.a[A_OBJECTCLASS]);
	kind = kind_from_bits(classes);
	mappings = at.a[A_SPNMAPPINGS];
	if (mappings && mappings->nvalues) {
		r = add_spn_mappings(dir, mappings);
		if (r < 0)
			goto fail;
	}
	if (classes & OC_DOMAIN) {
		r = add_domain_object(dir, entry, &at, err);
		if (r < 0)
			goto fail;
		return 0;
	}
	if (classes & OC_TRUSTED_DOMAIN) {
		r = add_trust(dir, entry, &at);
		if (r < 0)
			goto fail;
		return 0;
	}
	/* The collector's crossRef search asks for nCName and nETBIOSName only. */
	if ((classes & OC_CROSS_REF) || first_value(&at, A_NCNAME)) {
		r = add_cross_ref(dir, &at);
		if (r < 0)
			goto fail;
		return 0;
	}
	/* Without objectClass, an entry with a SID and flags is still an account. */
	if (kind == KD_KIND_UNKNOWN && first_value(&at, A_OBJECTSID) &&
	    first_value(&at, A_USERACCOUNTCONTROL))
		kind = KD_KIND_USER;
	if (kind == KD_KIND_UNKNOWN)
		return 0;
	if (dir->count >= KD_NONE - 1) {
		r = kd_error_set(err, KD_ERR_NOMEM, "too many entries");
		goto fail;
	}
	if (dir->count == dir->cap) {
		/* mremap-grown: doubling a million-entry table moves page tables, not bytes */
		size_t cap = dir->cap ? dir->cap * 2 : 4096;
		struct kd_principal *grown =
			cap > SIZE_MAX / sizeof(*p)
				? NULL
				: kd_large_realloc(dir->principals, dir->cap * sizeof(*p),
						   cap * sizeof(*p));

		if (!grown) {
			r = KD_ERR_NOMEM;
			goto fail;
		}
		dir->principals = grown;
		dir->cap = cap;
	}
	index = (uint32_t)dir->count;
	p = &dir->principals[index];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->line = entry->line > UINT32_MAX ? 0 : (uint32_t)entry->line;
	p->dn = kd_arena_memdup(dir->arena, entry->dn, entry->dn_len);
	if (!p->dn) {
		r = KD_ERR_NOMEM;
		goto fail;
	}
	dir->count++;
	r = fill_principal(dir, index, &at);
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (r == KD_ERR_NOMEM && err && err->code == 0)
		kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kd_error_set_where(err, NULL, entry->line, entry->dn, NULL);
	return r;
}

/* ---- finish: indexes, domain, membership, kinds, tier 0, SPN index ---- */

/* Bulk index building: kd_hashtab_put_all/get_all callbacks. */
struct index_pass {
	struct kd_directory *dir;
	struct kd_error *err;
};

static const void *
dn_at(void *ctx, size_t i, size_t *ret_len)
{
	const struct index_pass *pass = ctx;
	const char *dn = pass->dir->principals[i].dn;

	*ret_len = strlen(dn);
	return dn;
}

static int
dn_indexed(void *ctx, size_t i, bool found, uint32_t existing)
{
	const struct index_pass *pass = ctx;
	const struct kd_principal *p = &pass->dir->principals[i];

	if (!found)
		return 0;
	kd_error_set(pass->err, KD_ERR_PARSE,
		     "the snapshot holds this entry twice (first at line %lu)",
		     (unsigned long)pass->dir->principals[existing].line);
	kd_error_set_where(pass->err, NULL, p->line, p->dn, NULL);
	return KD_ERR_PARSE;
}

static const void *
sid_at(void *ctx, size_t i, size_t *ret_len)
{
	const struct index_pass *pass = ctx;
	const struct kd_principal *p = &pass->dir->principals[i];

	if (!p->has_sid)
		return NULL;
	*ret_len = 8 + 4 * (size_t)p->sid_binary[1];
	return p->sid_binary;
}

static int
sid_indexed(void *ctx, size_t i, bool found, uint32_t existing)
{
	const struct index_pass *pass = ctx;
	struct kd_principal *p = &pass->dir->principals[i];
	struct kd_error why;
	char sid_text[KD_SID_STRING_MAX];
	struct kd_sid sid;

	if (!found)
		return 0;
	/* AD keeps SIDs unique; a clash is a directory fact worth reporting. */
	sid = kd_principal_sid(p);
	kd_error_clear(&why);
	kd_error_set(&why, KD_ERR_PARSE, "SID %s is also carried by '%s'",
		     kd_sid_to_string(&sid, sid_text, sizeof(sid_text)),
		     pass->dir->principals[existing].dn);
	p->has_sid = false;
	return add_bad(pass->dir, (uint32_t)i, "objectSid", &why);
}

/*
 * The DN and SID indexes are built once the count is known: sized exactly, they
 * never rehash (a million random moves saved on a million-account snapshot).
 */
static int
index_principals(struct kd_directory *dir, struct kd_error *err)
{
	struct index_pass pass = {.dir = dir, .err = err};
	int r;

	if (kd_hashtab_reserve(&dir->by_dn, dir->count) < 0 ||
	    kd_hashtab_reserve(&dir->by_sid, dir->count) < 0)
		return KD_ERR_NOMEM;
	r = kd_hashtab_put_all(&dir->by_dn, dir->count, dn_at, dn_indexed, &pass);
	if (r < 0)
		return r;
	/* keyed by the binary SIDs the principals keep */
	return kd_hashtab_put_all(&dir->by_sid, dir->count, sid_at, sid_indexed, &pass);
}

static void
settle_domain(struct kd_directory *dir)
{
	struct kd_domain *d = &dir->domain;

	/* Without the domain object, take the domain SID from a domain account (RID >= 500). */
	for (size_t i = 0; !d->has_sid && i < dir->count; i++) {
		const struct kd_principal *p = &dir->principals[i];

		struct kd_sid sid = kd_principal_sid(p);

		if (p->has_sid && sid.count == 5 && sid.authority == 5 && sid.sub[0] == 21 &&
		    p->kind != KD_KIND_FOREIGN) {
			d->sid = sid;
			d->sid.count = 4;
			d->sid.sub[4] = 0;
			d->has_sid = true;
		}
	}
	if (!d->dns_name && dir->count)
		d->dns_name = dns_name_from_dn(dir->arena, dir->principals[0].dn);
	/* The NetBIOS name is the nETBIOSName of the crossRef whose nCName is the domain;
	 * without the domain object there is nothing certain to match it to. */
	for (size_t i = 0; d->dn && !d->netbios_name && i < dir->ncross_refs; i++)
		if (strcasecmp(dir->cross_refs[i].nc, d->dn) == 0)
			d->netbios_name = dir->cross_refs[i].netbios;
}

/* Bits needed to write any value below @n. */
static unsigned
bits_below(size_t n)
{
	unsigned bits = 0;

	while (bits < 64 && n > ((uint64_t)1 << bits))
		bits++;
	return bits;
}

/*
 * Sorts @n keys of @bits significant bits, least significant digit first, 11 bits
 * a pass (2048 counters stay in L1). A million-account snapshot has two million
 * edges: qsort() with a comparison callback took a fifth of a second on them.
 * @tmp holds @n keys; the result is in @keys.
 */
static void
radix_sort_u64(uint64_t *keys, uint64_t *tmp, size_t n, unsigned bits)
{
	enum { DIGIT = 11, BUCKETS = 1 << DIGIT };
	uint64_t *from = keys, *to = tmp;

	for (unsigned shift = 0; shift < bits; shift += DIGIT) {
		size_t count[BUCKETS] = {0}, sum = 0;
		uint64_t *swap;

		for (size_t i = 0; i < n; i++)
			count[(from[i] >> shift) & (BUCKETS - 1)]++;
		for (size_t b = 0; b < BUCKETS; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[(from[i] >> shift) & (BUCKETS - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != keys)
		memcpy(keys, from, n * sizeof(*keys));
}

struct membership_pass {
	struct kd_directory *dir;
	const struct pending_ref *refs;
	uint64_t *edges;
	size_t nedges;
	unsigned member_bits;
};

static const void *
ref_at(void *ctx, size_t i, size_t *ret_len)
{
	const struct membership_pass *pass = ctx;
	const char *dn = pass->refs[i].dn;

	*ret_len = strlen(dn);
	return dn;
}

static int
member_found(void *ctx, size_t i, bool found, uint32_t member)
{
	struct membership_pass *pass = ctx;
	uint32_t group = pass->refs[i].from;
	struct kd_principal *g = &pass->dir->principals[group];

	if (!found)
		g->nunresolved_members++; /* contacts, foreign principals, outside the snapshot */
	else if (g->kind == KD_KIND_GROUP)
		pass->edges[pass->nedges++] = (uint64_t)group << pass->member_bits | member;
	return 0;
}

static int
member_of_found(void *ctx, size_t i, bool found, uint32_t group)
{
	struct membership_pass *pass = ctx;

	if (found)
		pass->edges[pass->nedges++] = (uint64_t)group << pass->member_bits | pass->refs[i].from;
	return 0;
}

/*
 * Builds members/member_of from pending references and primary groups. Edges
 * (group, member) are sorted, so each group's members and each principal's groups
 * come out in index order, one slice each of two arrays.
 */
static int
resolve_membership(struct kd_directory *dir)
{
	struct membership_pass pass = {.dir = dir};
	struct kd_hashtab bare_groups;
	uint64_t *edges = NULL, *tmp = NULL; /* group << member_bits | member */
	uint32_t *all_members, *all_member_of, *cursor;
	size_t nedges = 0, nunique = 0, cap;
	unsigned member_bits = bits_below(dir->count);
	uint64_t member_mask = ((uint64_t)1 << member_bits) - 1;
	int r = KD_ERR_NOMEM;

	kd_hashtab_init_fold(&bare_groups);
	cap = dir->nrefs + dir->nmember_of_refs + dir->count + 1;
	if (cap < dir->count || cap > SIZE_MAX / sizeof(*edges))
		goto out;
	/* Large and written once: huge pages spare a page fault every 4 KiB. */
	edges = kd_large_alloc(cap * sizeof(*edges));
	tmp = kd_large_alloc(cap * sizeof(*tmp));
	if (!edges || !tmp)
		goto out;
	pass.edges = edges;
	pass.member_bits = member_bits;
	pass.refs = dir->refs;
	if (kd_hashtab_get_all(&dir->by_dn, dir->nrefs, ref_at, member_found, &pass) < 0)
		goto out;
	/*
	 * AD keeps memberOf as the back link of member, so a memberOf value adds an
	 * edge only toward a group whose entry listed no members (empty, or member not
	 * readable or not asked for). Those groups are few, usually none: look memberOf
	 * values up in a table of just them, which stays in cache.
	 */
	for (size_t i = 0; i < dir->nbare_groups; i++) {
		const char *dn = dir->principals[dir->bare_groups[i]].dn;

		if (kd_hashtab_put(&bare_groups, dn, strlen(dn), dir->bare_groups[i], NULL) < 0)
			goto out;
	}
	pass.refs = dir->member_of_refs;
	if (bare_groups.count &&
	    kd_hashtab_get_all(&bare_groups, dir->nmember_of_refs, ref_at, member_of_found,
			       &pass) < 0)
		goto out;
	nedges = pass.nedges;
	/* MS-SAMR: the primary group is a membership that member/memberOf never show.
	 * Nearly every account has 513 or 515: remember the last lookup. */
	for (size_t i = 0, last_rid = 0, last_group = KD_NONE; i < dir->count; i++) {
		uint32_t rid = dir->principals[i].primary_group_rid;
		uint32_t g;

		if (rid != last_rid) {
			last_rid = rid;
			last_group = rid ? kd_directory_find_rid(dir, rid) : KD_NONE;
		}
		g = (uint32_t)last_group;

		if (g != KD_NONE && g != i && dir->principals[g].kind == KD_KIND_GROUP)
			edges[nedges++] = (uint64_t)g << member_bits | i;
	}
	radix_sort_u64(edges, tmp, nedges, 2 * member_bits);
	for (size_t i = 0; i < nedges; i++)
		if (i == 0 || edges[i] != edges[nunique - 1])
			edges[nunique++] = edges[i];

	all_members = kd_arena_calloc(dir->arena, nunique ? nunique : 1, sizeof(uint32_t));
	all_member_of = kd_arena_calloc(dir->arena, nunique ? nunique : 1, sizeof(uint32_t));
	if (!all_members || !all_member_of)
		goto out;
	/* Sorted by group: each group's members are one run. */
	for (size_t i = 0; i < nunique; i++) {
		struct kd_principal *g = &dir->principals[edges[i] >> member_bits];

		if (!g->members)
			g->members = &all_members[i];
		all_members[i] = (uint32_t)(edges[i] & member_mask);
		g->nmembers++;
	}
	/*
	 * By member: count, hand out slices, then fill in group order. The counts and
	 * cursors live in the radix sort's spare buffer (4 bytes a principal), not in
	 * the principals: two million random visits to 200-byte records missed cache.
	 */
	cursor = (uint32_t *)(void *)tmp;
	memset(cursor, 0, (dir->count + 1) * sizeof(*cursor));
	for (size_t i = 0; i < nunique; i++)
		cursor[edges[i] & member_mask]++;
	for (size_t i = 0, at = 0; i < dir->count; i++) {
		uint32_t n = cursor[i];

		cursor[i] = (uint32_t)at;
		if (n) {
			dir->principals[i].member_of = &all_member_of[at];
			dir->principals[i].nmember_of = n;
			at += n;
		}
	}
	for (size_t i = 0; i < nunique; i++)
		all_member_of[cursor[edges[i] & member_mask]++] = (uint32_t)(edges[i] >> member_bits);
	r = 0;
out:
	kd_hashtab_free(&bare_groups);
	kd_large_free(edges, cap * sizeof(*edges));
	kd_large_free(tmp, cap * sizeof(*tmp));
	return r;
}

/* An RODC's own krbtgt account: "krbtgt_" and the RODC's key version digits. */
static bool
is_rodc_krbtgt_name(const char *name)
{
	if (strncasecmp(name, "krbtgt_", 7) != 0 || name[7] == '\0')
		return false;
	for (name += 7; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

/* kd_sid_in_domain() on the binary forms (@domain's is @domain_len bytes): one more
 * sub-authority than the domain, the same revision, authority and ones before it. */
static bool
in_domain(const struct kd_principal *p, const uint8_t *domain, size_t domain_len)
{
	return p->has_sid && p->sid_binary[1] == domain[1] + 1 && p->sid_binary[0] == domain[0] &&
	       memcmp(p->sid_binary + 2, domain + 2, domain_len - 2) == 0;
}

static void
settle_kinds(struct kd_directory *dir)
{
	uint8_t domain[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t domain_len = kd_sid_to_binary(&dir->domain.sid, domain, sizeof(domain));

	for (size_t i = 0; i < dir->count; i++) {
		struct kd_principal *p = &dir->principals[i];
		bool domain_rid = dir->domain.has_sid && in_domain(p, domain, domain_len);

		if (p->kind != KD_KIND_GROUP && p->kind != KD_KIND_FOREIGN) {
			/* A primary group is only a DC mark on a machine account: anyone who
			 * can set a user's primaryGroupID must not hide it from the audit. */
			bool machine = p->kind == KD_KIND_COMPUTER ||
				       (p->has_uac && (p->uac & KD_UAC_WORKSTATION_TRUST_ACCOUNT));

			/* UAC decides over objectClass: a gMSA is also a computer, a DC too. */
			if ((p->has_uac && (p->uac & KD_UAC_SERVER_TRUST_ACCOUNT)) ||
			    (machine && p->primary_group_rid == 516))
				p->kind = KD_KIND_DC;
			else if ((p->has_uac && (p->uac & KD_UAC_PARTIAL_SECRETS_ACCOUNT)) ||
				 (machine && p->primary_group_rid == 521))
				p->kind = KD_KIND_RODC;
			else if (p->has_uac && (p->uac & KD_UAC_INTERDOMAIN_TRUST_ACCOUNT))
				p->kind = KD_KIND_TRUST;
			else if ((domain_rid && kd_principal_rid(p) == 502) ||
				 (p->kind == KD_KIND_USER && is_rodc_krbtgt_name(p->name) &&
				  p->has_uac && (p->uac & KD_UAC_ACCOUNTDISABLE)))
				p->kind = KD_KIND_KRBTGT;
			else if (p->kind == KD_KIND_USER && p->has_uac &&
				 (p->uac & KD_UAC_WORKSTATION_TRUST_ACCOUNT))
				p->kind = KD_KIND_COMPUTER;
		}
		p->enabled = !(p->has_uac && (p->uac & KD_UAC_ACCOUNTDISABLE));
	}
}

/* Marks @start and everything below it (members, transitively) with @reason. */
static int
mark_down(struct kd_directory *dir, uint32_t start, const char *reason, bool protected_users)
{
	uint32_t *stack = NULL;
	size_t depth = 0, cap = 0;
	int r = 0;

	if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64))
		return KD_ERR_NOMEM;
	stack[depth++] = start;
	while (depth) {
		struct kd_principal *p = &dir->principals[stack[--depth]];
		bool *flag = protected_users ? &p->protected_user : &p->tier0;

		if (*flag)
			continue;
		*flag = true;
		if (!protected_users)
			p->tier0_reason = reason;
		for (size_t j = 0; j < p->nmembers; j++) {
			if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64)) {
				r = KD_ERR_NOMEM;
				goto out;
			}
			stack[depth++] = p->members[j];
		}
	}
out:
	free(stack);
	return r;
}

/* mark_down() to tier 0 with the reason "@prefix@name", copied into the arena. */
static int
mark_tier0(struct kd_directory *dir, uint32_t start, const char *prefix, const char *name)
{
	char text[KD_SID_STRING_MAX + 320];
	const char *reason;

	snprintf(text, sizeof(text), "%s%s", prefix, name);
	reason = kd_arena_strdup(dir->arena, text);
	if (!reason)
		return KD_ERR_NOMEM;
	return mark_down(dir, start, reason, false);
}

/* The tier-0 groups by RID, in the order their reasons are given. Enterprise and Schema
 * Admins live in the forest root: any domain's RID counts. */
static const uint32_t tier0_domain_rids[] = {512, 518, 519, 526, 527};
static const uint32_t tier0_builtin_rids[] = {544, 548, 549, 550, 551};
#define TIER0_RIDS (sizeof(tier0_domain_rids) / sizeof(*tier0_domain_rids))

/* The name of @p when it is the tier-0 group tier0_domain_rids[@k] (builtin when
 * @builtin), or NULL. */
static const char *
tier0_group_name(const struct kd_principal *p, bool builtin, size_t k)
{
	struct kd_sid sid;
	const struct kd_sid *s = &sid;
	uint32_t rid;

	if (p->kind != KD_KIND_GROUP || !p->has_sid)
		return NULL;
	sid = kd_principal_sid(p);
	rid = kd_sid_rid(s);
	if (s->authority != 5)
		return NULL;
	if (builtin && s->count == 2 && s->sub[0] == 32 && rid == tier0_builtin_rids[k])
		return kd_sid_wellknown_name(s);
	if (!builtin && s->count == 5 && s->sub[0] == 21 && rid == tier0_domain_rids[k])
		return kd_sid_domain_rid_name(rid);
	return NULL;
}

/* The tier-0 reason of a DCSync holder and its members. */
#define REASON_DCSYNC                                                                         \
	"can replicate secrets from the domain (DCSync: DS-Replication-Get-Changes-All)"

/*
 * Whether an ACE of the domain head's DACL lets its trustee replicate secrets: an
 * allow (plain, or object with no ObjectType or DS-Replication-Get-Changes-All) that
 * applies to the head itself and grants CONTROL_ACCESS or GENERIC_ALL (which maps
 * onto every directory right, control access included). Callback ACEs are conditional
 * and not counted; denies are not weighed either: this is a reason to call an
 * account tier 0, and a DACL that grants the right and then denies it to the same
 * trustee is not how AD's default or any delegation wizard writes it.
 */
static bool
grants_get_changes_all(const struct kd_ace *ace, const struct kd_guid *get_changes_all)
{
	if (!ace->known || (ace->flags & KD_ACE_FLAG_INHERIT_ONLY))
		return false;
	if (!(ace->mask & (KD_RIGHT_DS_CONTROL_ACCESS | KD_RIGHT_GENERIC_ALL)))
		return false;
	if (ace->type == KD_ACE_ALLOWED)
		return true;
	return ace->type == KD_ACE_ALLOWED_OBJECT &&
	       (!ace->has_object_type || kd_guid_equal(&ace->object_type, get_changes_all));
}

/* Holders of DS-Replication-Get-Changes-All on the domain head, and their members. */
static int
mark_dcsync(struct kd_directory *dir)
{
	const struct kd_secdesc *sd = dir->domain.sd;
	struct kd_guid get_changes_all;
	int r;

	if (!sd || sd->dacl_null || !kd_guid_from_string("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2",
							  &get_changes_all))
		return 0;
	for (size_t k = 0; k < sd->dacl.count; k++) {
		const struct kd_ace *ace = &sd->dacl.aces[k];
		uint32_t who;

		if (!grants_get_changes_all(ace, &get_changes_all))
			continue;
		/* Enterprise Domain Controllers, SYSTEM, a foreign SID: no account here */
		who = kd_directory_find_sid(dir, &ace->sid);
		if (who != KD_NONE && (r = mark_down(dir, who, REASON_DCSYNC, false)) < 0)
			return r;
	}
	return 0;
}

/*
 * What a sIDHistory SID that puts its holder in tier 0 stands for, or NULL: a tier-0
 * group of the snapshot, RIDs 500, 502, 512, 516, 518, 519 and 521 of any domain
 * (the KDC adds the SID to the token whatever domain it names), BUILTIN
 * Administrators and the Account, Server, Print and Backup Operators.
 */
static const char *
privileged_sid_name(const struct kd_directory *dir, const struct kd_sid *sid, char *buf,
		    size_t size)
{
	static const uint32_t domain_rids[] = {500, 502, 512, 516, 518, 519, 521};
	static const uint32_t builtin_rids[] = {544, 548, 549, 550, 551};
	uint32_t who = kd_directory_find_sid(dir, sid);
	uint32_t rid = kd_sid_rid(sid);
	const char *name = NULL;
	char text[KD_SID_STRING_MAX];

	if (who != KD_NONE && dir->principals[who].kind == KD_KIND_GROUP &&
	    dir->principals[who].tier0)
		return dir->principals[who].name;
	if (sid->revision != 1 || sid->authority != 5)
		return NULL;
	if (sid->count == 5 && sid->sub[0] == 21) {
		for (size_t k = 0; k < sizeof(domain_rids) / sizeof(*domain_rids); k++)
			if (rid == domain_rids[k])
				name = kd_sid_domain_rid_name(rid);
	} else if (sid->count == 2 && sid->sub[0] == 32) {
		for (size_t k = 0; k < sizeof(builtin_rids) / sizeof(*builtin_rids); k++)
			if (rid == builtin_rids[k])
				name = kd_sid_wellknown_name(sid);
	}
	if (!name)
		return NULL;
	if (who != KD_NONE)
		return dir->principals[who].name;
	/* not in the snapshot (another domain's, usually): say which SID it is */
	snprintf(buf, size, "%s (%s)", name, kd_sid_to_string(sid, text, sizeof(text)));
	return buf;
}

/* Accounts (and groups: their members inherit the token) whose sIDHistory is privileged. */
static int
mark_sid_history(struct kd_directory *dir)
{
	char buf[KD_SID_STRING_MAX + 64];
	int r;

	for (size_t i = 0; i < dir->count; i++) {
		const struct kd_principal *p = &dir->principals[i];

		for (size_t k = 0; k < p->nsid_history && !p->tier0; k++) {
			const char *name =
				privileged_sid_name(dir, &p->sid_history[k], buf, sizeof(buf));

			if (name && (r = mark_tier0(dir, (uint32_t)i, "sIDHistory carries ", name)) < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Tier 0, most telling reason first (a principal keeps the first one): membership
 * of the tier-0 groups, the accounts that are domain controllers or krbtgt, members
 * of the domain controllers groups, DCSync holders, privileged sIDHistory.
 * adminCount=1 is no reason: SDProp sets it and nothing ever clears it.
 */
static int
settle_tier0(struct kd_directory *dir)
{
	static const struct {
		uint32_t rid;
		const char *reason;
	} dc_groups[] = {
		{516, "member of Domain Controllers"},
		{521, "member of Read-only Domain Controllers"},
	};
	int r;

	/* Domain groups first, so a Domain Admin reads "member of Domain Admins" rather
	 * than "member of Administrators" (which nests Domain Admins); then the table's
	 * order, not the input's, so the reason is the same whatever order the entries
	 * came in (a DC's, or the uSNChanged ranges of several connections). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < TIER0_RIDS; k++) {
			for (size_t i = 0; i < dir->count; i++) {
				const char *group =
					tier0_group_name(&dir->principals[i], pass == 1, k);

				/* The group itself is tier 0 as well: whoever controls it is. */
				if (group &&
				    (r = mark_tier0(dir, (uint32_t)i, "member of ", group)) < 0)
					return r;
			}
		}
	}
	for (size_t i = 0; i < dir->count; i++) {
		struct kd_principal *p = &dir->principals[i];
		const char *reason = NULL;

		if (p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC)
			reason = "domain controller";
		else if (p->primary_group_rid == 516 || p->primary_group_rid == 521)
			reason = "primary group is a domain controllers group";
		else if (p->kind == KD_KIND_KRBTGT)
			reason = "krbtgt account";
		if (reason && !p->tier0) {
			p->tier0 = true;
			p->tier0_reason = reason;
		}
	}
	/* The DC groups by member too: an account added there replicates as a DC. */
	for (size_t k = 0; k < sizeof(dc_groups) / sizeof(*dc_groups); k++) {
		uint32_t g = kd_directory_find_rid(dir, dc_groups[k].rid);

		if (g != KD_NONE && dir->principals[g].kind == KD_KIND_GROUP &&
		    (r = mark_down(dir, g, dc_groups[k].reason, false)) < 0)
			return r;
	}
	if ((r = mark_dcsync(dir)) < 0 || (r = mark_sid_history(dir)) < 0)
		return r;
	if (dir->domain.has_sid) {
		uint32_t pu = kd_directory_find_rid(dir, 525);

		if (pu != KD_NONE) {
			if ((r = mark_down(dir, pu, NULL, true)) < 0)
				return r;
			dir->principals[pu].protected_user = false; /* the group is not a user */
		}
	}
	return 0;
}

static int
add_holder(struct kd_directory *dir, const char *key, const char *spn, uint32_t principal,
	   bool implicit, bool alias)
{
	struct kd_spn_holder *h;

	if (dir->nholders >= KD_NONE ||
	    !grow_large((void **)&dir->holders, &dir->holders_cap, dir->nholders, sizeof(*h)))
		return KD_ERR_NOMEM;
	h = &dir->holders[dir->nholders++];
	h->key = key;
	h->spn = spn;
	h->principal = principal;
	h->next = KD_NONE;
	h->implicit = implicit;
	h->alias = alias;
	h->shared = false;
	return 0;
}

struct spn_pass {
	struct kd_directory *dir;
	uint32_t *tail; /* by chain head: its last holder, 0 while the head is alone */
};

static const void *
holder_key_at(void *ctx, size_t i, size_t *ret_len)
{
	const struct spn_pass *pass = ctx;
	const char *key = pass->dir->holders[i].key;

	*ret_len = strlen(key);
	return key;
}

/* A key seen before: append to its chain, keeping input order. The tail is kept
 * so that a snapshot holding one SPN a hundred thousand times stays linear. */
static int
holder_indexed(void *ctx, size_t i, bool found, uint32_t head)
{
	struct spn_pass *pass = ctx;
	struct kd_spn_holder *holders = pass->dir->holders;
	uint32_t last = pass->tail[head] ? pass->tail[head] : head;

	if (!found)
		return 0;
	holders[i].shared = true;
	holders[head].shared = true;
	holders[last].next = (uint32_t)i;
	pass->tail[head] = (uint32_t)i;
	return 0;
}

static int
index_spns(struct kd_directory *dir)
{
	struct spn_pass pass = {.dir = dir};
	size_t total = 2;
	char key[KD_SPN_MAX + 64];
	int r;

	for (size_t i = 0; i < dir->count; i++)
		total += dir->principals[i].nspns;
	if (kd_hashtab_reserve(&dir->by_spn, total) < 0 || total > SIZE_MAX / sizeof(*dir->holders) ||
	    !(dir->holders = kd_large_alloc(total * sizeof(*dir->holders))))
		return KD_ERR_NOMEM;
	dir->holders_cap = total;

	for (size_t i = 0; i < dir->count; i++) {
		const struct kd_principal *p = &dir->principals[i];

		for (size_t j = 0; j < p->nspns; j++) {
			struct kd_spn spn;
			struct kd_error why;
			size_t len;
			const char *stored;
			bool alias;

			kd_error_clear(&why);
			if (kd_spn_parse(p->spns[j], strlen(p->spns[j]), &spn, &why) < 0) {
				if ((r = add_bad(dir, (uint32_t)i, "servicePrincipalName", &why)) < 0)
					return r;
				continue;
			}
			len = kd_spn_key(&spn, key, sizeof(key));
			/* The table folds case, so the stored value is its own key unless the
			 * key normalised something else (a port written "0443"). */
			if (len && strlen(p->spns[j]) == len && strncasecmp(key, p->spns[j], len) == 0)
				stored = p->spns[j];
			else
				stored = len ? kd_arena_memdup(dir->arena, key, len) : NULL;
			if (!stored)
				return KD_ERR_NOMEM;
			alias = kd_spnmap_target(dir->spnmap, spn.service_class,
						 spn.service_class_len) != NULL;
			if ((r = add_holder(dir, stored, p->spns[j], (uint32_t)i, false, alias)) < 0)
				return r;
		}
		/* The KDC knows krbtgt by its principal name, SPN or not: krbtgt/REALM and
		 * krbtgt/NETBIOS. The NetBIOS name need not be the first DNS label: without
		 * the domain's crossRef it is left out (coverage.netbios_name says so). */
		if (p->kind == KD_KIND_KRBTGT && kd_principal_rid(p) == 502 && dir->domain.dns_name) {
			const char *realm = dir->domain.dns_name;
			const char *netbios = dir->domain.netbios_name;
			const char *names[2];
			size_t nnames = 0;

			names[nnames++] = kd_arena_strdup_lower(dir->arena, realm, strlen(realm));
			if (netbios && strcasecmp(netbios, realm) != 0)
				names[nnames++] =
					kd_arena_strdup_lower(dir->arena, netbios, strlen(netbios));
			for (size_t k = 0; k < nnames; k++) {
				char *k_key, *k_spn;
				size_t nlen;

				if (!names[k])
					return KD_ERR_NOMEM;
				nlen = strlen(names[k]);
				k_key = kd_arena_alloc(dir->arena, nlen + 8);
				k_spn = kd_arena_alloc(dir->arena, nlen + 8);
				if (!k_key || !k_spn)
					return KD_ERR_NOMEM;
				memcpy(k_key, "krbtgt/", 7);
				memcpy(k_key + 7, names[k], nlen + 1);
				memcpy(k_spn, "krbtgt/", 7);
				for (size_t c = 0; c <= nlen; c++)
					k_spn[7 + c] = (char)toupper((unsigned char)names[k][c]);
				if ((r = add_holder(dir, k_key, k_spn, (uint32_t)i, true, false)) < 0)
					return r;
			}
		}
	}
	/* calloc'd pages are mapped when first written: only chains with duplicates cost */
	pass.tail = calloc(dir->nholders ? dir->nholders : 1, sizeof(*pass.tail));
	if (!pass.tail)
		return KD_ERR_NOMEM;
	r = kd_hashtab_put_all(&dir->by_spn, dir->nholders, holder_key_at, holder_indexed, &pass);
	free(pass.tail);
	return r;
}

/* A pass over every principal: done once at finish, the report asks several times. */
static void
count_kinds(const struct kd_directory *dir, struct kd_directory_counts *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->entries = dir->entries;
	ret->trusts = dir->ntrusts;
	for (size_t i = 0; i < dir->count; i++) {
		const struct kd_principal *p = &dir->principals[i];

		switch (p->kind) {
		case KD_KIND_USER:
		case KD_KIND_KRBTGT:
			ret->users++;
			break;
		case KD_KIND_COMPUTER:
			ret->computers++;
			break;
		case KD_KIND_DC:
		case KD_KIND_RODC:
			ret->dcs++;
			break;
		case KD_KIND_MSA:
		case KD_KIND_GMSA:
			ret->service_accounts++;
			break;
		case KD_KIND_GROUP:
			ret->groups++;
			break;
		case KD_KIND_TRUST:
			ret->trusts++;
			break;
		case KD_KIND_FOREIGN:
		case KD_KIND_UNKNOWN:
			ret->other++;
			break;
		}
		if (p->kind != KD_KIND_GROUP && p->enabled)
			ret->enabled++;
		ret->spns += p->nspns;
	}
}

/* What the snapshot carried; after count_kinds() and the domain are settled. */
static void
settle_coverage(struct kd_directory *dir)
{
	struct kd_coverage *c = &dir->coverage;
	const struct kd_domain *d = &dir->domain;

	memset(c, 0, sizeof(*c));
	c->plan = dir->plan;
	for (size_t i = 0; i < dir->count; i++) {
		const struct kd_principal *p = &dir->principals[i];

		if (p->kind == KD_KIND_GROUP || p->kind == KD_KIND_FOREIGN)
			continue;
		c->accounts++;
		if (p->sd && !p->sd->dacl_null)
			c->descriptors++;
		if (kd_principal_takes_tickets(p)) {
			c->takers++;
			c->taker_descriptors += p->sd && !p->sd->dacl_null;
		}
	}
	c->domain_descriptor = d->sd && !d->sd->dacl_null;
	c->functional_level = d->has_functional_level;
	c->machine_quota = d->has_machine_quota;
	c->netbios_name = d->netbios_name != NULL;
	c->trusts = true;
	for (size_t i = 0; i < dir->ntrusts; i++)
		if (!dir->trusts[i].has_attributes || !dir->trusts[i].has_direction)
			c->trusts = false;
	c->spn_mappings = d->custom_spn_mappings;
}

int
kd_directory_finish(struct kd_directory *dir, struct kd_error *err)
{
	int r;

	if (dir->finished)
		return kd_error_set(err, KD_ERR_USAGE, "the directory is already finished");
	r = index_principals(dir, err);
	if (r == KD_ERR_PARSE)
		return r;
	if (r < 0)
		return kd_error_set(err, r, "out of memory while indexing the directory");
	settle_domain(dir);
	r = resolve_membership(dir);
	drop_pending(dir);
	drop_descriptor_tables(dir);
	if (r == 0) {
		settle_kinds(dir);
		r = settle_tier0(dir);
	}
	if (r == 0)
		r = index_spns(dir);
	if (r < 0)
		return kd_error_set(err, r, "out of memory while indexing the directory");
	count_kinds(dir, &dir->counts);
	settle_coverage(dir);
	dir->finished = true;
	return 0;
}

/* ---- queries ---- */

const struct kd_domain *
kd_directory_domain(const struct kd_directory *dir)
{
	return &dir->domain;
}

size_t
kd_directory_count(const struct kd_directory *dir)
{
	return dir->count;
}

const struct kd_principal *
kd_directory_get(const struct kd_directory *dir, uint32_t index)
{
	return index < dir->count ? &dir->principals[index] : NULL;
}

const struct kd_spnmap *
kd_directory_spnmap(const struct kd_directory *dir)
{
	return dir->spnmap;
}

uint32_t
kd_directory_find_sid(const struct kd_directory *dir, const struct kd_sid *sid)
{
	uint8_t key[8 + 4 * KD_SID_MAX_SUBAUTH];
	size_t len = kd_sid_to_binary(sid, key, sizeof(key));
	uint32_t index;

	return kd_hashtab_get(&dir->by_sid, key, len, &index) ? index : KD_NONE;
}

uint32_t
kd_directory_find_dn(const struct kd_directory *dir, const char *dn)
{
	uint32_t index;

	return kd_hashtab_get(&dir->by_dn, dn, strlen(dn), &index) ? index : KD_NONE;
}

uint32_t
kd_directory_find_rid(const struct kd_directory *dir, uint32_t rid)
{
	struct kd_sid sid;

	if (!dir->domain.has_sid || !kd_sid_compose(&dir->domain.sid, rid, &sid))
		return KD_NONE;
	return kd_directory_find_sid(dir, &sid);
}

uint32_t
kd_directory_spn_head(const struct kd_directory *dir, const char *key)
{
	uint32_t head;

	return kd_hashtab_get(&dir->by_spn, key, strlen(key), &head) ? head : KD_NONE;
}

size_t
kd_directory_spn_holders(const struct kd_directory *dir, const struct kd_spn_holder **ret_holders)
{
	*ret_holders = dir->holders;
	return dir->nholders;
}

/* Distinct principals along the chain from @head, up to @max into @ret; returns the total. */
static size_t
collect_chain(const struct kd_directory *dir, uint32_t head, uint32_t *ret, size_t max)
{
	size_t total = 0;

	for (uint32_t h = head; h != KD_NONE; h = dir->holders[h].next) {
		uint32_t who = dir->holders[h].principal;
		bool seen = false;

		/* A principal listing one SPN twice (case variants) holds it once. */
		for (uint32_t g = head; g != h; g = dir->holders[g].next)
			if (dir->holders[g].principal == who)
				seen = true;
		if (seen)
			continue;
		if (total < max)
			ret[total] = who;
		total++;
	}
	return total;
}

size_t
kd_directory_find_spn(const struct kd_directory *dir, const char *spn_text, uint32_t *ret,
		      size_t max, bool *ret_via_alias)
{
	struct kd_spn spn;
	char key[KD_SPN_MAX + 64];
	const char *target;
	uint32_t head;
	size_t len;

	*ret_via_alias = false;
	if (kd_spn_parse(spn_text, strlen(spn_text), &spn, NULL) < 0)
		return 0;
	len = kd_spn_key(&spn, key, sizeof(key));
	if (len == 0)
		return 0;
	head = kd_directory_spn_head(dir, key);
	if (head != KD_NONE)
		return collect_chain(dir, head, ret, max);
	/* MS-ADTS 3.1.1.5.1.3 / KDC: an alias class is served by host/<same instance>. */
	target = kd_spnmap_target(dir->spnmap, spn.service_class, spn.service_class_len);
	if (!target)
		return 0;
	len = kd_spn_key_with_class(&spn, target, key, sizeof(key));
	if (len == 0)
		return 0;
	head = kd_directory_spn_head(dir, key);
	if (head == KD_NONE)
		return 0;
	*ret_via_alias = true;
	return collect_chain(dir, head, ret, max);
}

int
kd_directory_is_member(const struct kd_directory *dir, uint32_t who, uint32_t group)
{
	uint32_t small[64];
	uint32_t *stack = small, *seen = NULL;
	size_t depth = 0, cap = 64, nseen = 0, seen_cap = 0;
	int found = 0;

	if (who == group)
		return 1;
	stack[depth++] = who;
	while (depth && !found) {
		const struct kd_principal *p = &dir->principals[stack[--depth]];

		for (size_t j = 0; j < p->nmember_of && !found; j++) {
			uint32_t g = p->member_of[j];
			bool dup = false;

			if (g == group) {
				found = 1;
				break;
			}
			for (size_t k = 0; k < nseen && !dup; k++)
				dup = seen[k] == g;
			if (dup)
				continue;
			if (!kd_grow_array((void **)&seen, &seen_cap, nseen, sizeof(*seen), 32)) {
				found = KD_ERR_NOMEM;
				goto out;
			}
			seen[nseen++] = g;
			if (depth == cap) {
				uint32_t *bigger;

				if (stack == small) {
					bigger = malloc(cap * 2 * sizeof(*bigger));
					if (bigger)
						memcpy(bigger, small, sizeof(small));
				} else {
					bigger = realloc(stack, cap * 2 * sizeof(*bigger));
				}
				if (!bigger) {
					found = KD_ERR_NOMEM;
					goto out;
				}
				stack = bigger;
				cap *= 2;
			}
			stack[depth++] = g;
		}
	}
out:
	if (stack != small)
		free(stack);
	free(seen);
	return found;
}

/* A member and what orders it: its binary SID (when it has one), then its DN. */
struct member_key {
	const uint8_t *sid;
	size_t sid_len;
	const char *dn;
	uint32_t index;
};

static int
cmp_member_key(const void *x, const void *y)
{
	const struct member_key *a = x, *b = y;
	int c;

	if (!a->sid != !b->sid)
		return a->sid ? -1 : 1;
	if (a->sid) {
		c = memcmp(a->sid, b->sid, a->sid_len < b->sid_len ? a->sid_len : b->sid_len);
		if (c || a->sid_len != b->sid_len)
			return c ? c : a->sid_len < b->sid_len ? -1 : 1;
	}
	c = strcasecmp(a->dn, b->dn);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Orders @members (@n of them) by SID, then DN. */
static int
sort_members(const struct kd_directory *dir, uint32_t *members, size_t n)
{
	struct member_key *keys = malloc(n * sizeof(*keys));

	if (!keys)
		return KD_ERR_NOMEM;
	for (size_t k = 0; k < n; k++) {
		const struct kd_principal *p = &dir->principals[members[k]];

		keys[k] = (struct member_key){
			.sid = p->has_sid ? p->sid_binary : NULL,
			.sid_len = p->has_sid ? 8 + 4 * (size_t)p->sid_binary[1] : 0,
			.dn = p->dn,
			.index = members[k],
		};
	}
	qsort(keys, n, sizeof(*keys), cmp_member_key);
	for (size_t k = 0; k < n; k++)
		members[k] = keys[k].index;
	free(keys);
	return 0;
}

size_t
kd_directory_expand_group(const struct kd_directory *dir, uint32_t group, uint32_t **ret_members)
{
	uint8_t *visited = calloc(dir->count ? dir->count : 1, 1);
	uint32_t *stack = NULL, *out = NULL;
	size_t depth = 0, cap = 0, nout = 0, out_cap = 0;
	size_t result = (size_t)-1;

	*ret_members = NULL;
	if (!visited)
		return result;
	if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64))
		goto out;
	stack[depth++] = group;
	visited[group] = 1;
	while (depth) {
		uint32_t i = stack[--depth];
		const struct kd_principal *p = &dir->principals[i];

		if (p->kind != KD_KIND_GROUP) {
			if (!kd_grow_array((void **)&out, &out_cap, nout, sizeof(*out), 16))
				goto out;
			out[nout++] = i;
			continue;
		}
		for (size_t j = 0; j < p->nmembers; j++) {
			uint32_t m = p->members[j];

			if (visited[m])
				continue;
			visited[m] = 1;
			if (!kd_grow_array((void **)&stack, &cap, depth, sizeof(*stack), 64))
				goto out;
			stack[depth++] = m;
		}
	}
	if (nout && sort_members(dir, out, nout) < 0)
		goto out;
	*ret_members = out;
	out = NULL;
	result = nout;
out:
	free(visited);
	free(stack);
	free(out);
	return result;
}

size_t
kd_directory_trusts(const struct kd_directory *dir, const struct kd_trust **ret)
{
	*ret = dir->trusts;
	return dir->ntrusts;
}

void
kd_directory_set_plan(struct kd_directory *dir, const char *plan)
{
	dir->plan = plan;
}

const struct kd_coverage *
kd_directory_coverage(const struct kd_directory *dir)
{
	return &dir->coverage;
}

size_t
kd_directory_bad_values(const struct kd_directory *dir, const struct kd_bad_value **ret)
{
	*ret = dir->bad;
	return dir->nbad;
}

void
kd_directory_counts(const struct kd_directory *dir, struct kd_directory_counts *ret)
{
	if (dir->finished) {
		*ret = dir->counts;
		return;
	}
	count_kinds(dir, ret);
}

