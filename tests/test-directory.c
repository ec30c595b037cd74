/* SPDX-License-Identifier: MIT */
/* Unit tests for the domain model: kinds, domain, membership, tier 0, SPN index (src/directory.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/directory.h"
#include "kdeleg/ldif-write.h"
#include "kdeleg/ldif.h"
#include "kdeleg/strbuf.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* tu_load_directory() that must succeed. */
static struct kd_directory *
load_ok(const char *text)
{
	struct kd_directory *dir;
	struct kd_error err;
	int r = tu_load_directory(text, &dir, &err);

	ck_assert_msg(r == 0, "load failed (%d): %s", r, err.message);
	return dir;
}

static uint32_t
by_cn(const struct kd_directory *dir, const char *cn)
{
	char dn[256];
	uint32_t i;

	snprintf(dn, sizeof(dn), "CN=%s,%s", cn, USERS);
	i = kd_directory_find_dn(dir, dn);
	ck_assert_msg(i != KD_NONE, "no entry %s", dn);
	return i;
}

static const struct kd_principal *
get_cn(const struct kd_directory *dir, const char *cn)
{
	return kd_directory_get(dir, by_cn(dir, cn));
}

/* The bad value recorded for @attribute on principal @who (KD_NONE: domain), or NULL. */
static const struct kd_bad_value *
find_bad(const struct kd_directory *dir, uint32_t who, const char *attribute)
{
	const struct kd_bad_value *bad;
	size_t n = kd_directory_bad_values(dir, &bad);

	for (size_t i = 0; i < n; i++)
		if (bad[i].principal == who && strcmp(bad[i].attribute, attribute) == 0)
			return &bad[i];
	return NULL;
}

/* ---- kinds and enabled ---- */

struct kind_case {
	const char *cn;
	enum kd_kind kind;
	bool enabled;
};

static const char kinds_ldif[] =
	DOMAIN_ENTRY
	USER("plain", "1101", "512") END
	USER("disabled", "1102", "514") END
	COMPUTER("WS01", "1103", "4096") END
	COMPUTER("DCUAC", "1104", "532480") END
	COMPUTER("DCPG", "1105", "4096") "primaryGroupID: 516\n" END
	COMPUTER("RODC1", "1106", "67113984") "primaryGroupID: 521\n" END
	COMPUTER("RODCPG", "1107", "4096") "primaryGroupID: 521\n" END
	COMPUTER("gmsa1", "1108", "4096") "objectClass: msDS-GroupManagedServiceAccount\n" END
	COMPUTER("msa1", "1109", "4096") "objectClass: msDS-ManagedServiceAccount\n" END
	USER("PARTNER$", "1110", "2048") END
	USER("krbtgt", "502", "514") END
	USER("krbtgt_31337", "1111", "514") END
	USER("nocls", "1112", "4096") END /* user class + WORKSTATION_TRUST: a computer */
	GROUP("grp", DOMSID "-1113") END
	"dn: CN=" DOMSID "-1114," USERS "\nobjectClass: foreignSecurityPrincipal\n"
	"objectSid: S-1-5-21-9-9-9-1114\n" END
	"dn: CN=bare," USERS "\nobjectSid: " DOMSID "-1115\nuserAccountControl: 512\n" END
	"dn: CN=contact," USERS "\nobjectClass: contact\n" END;

static const struct kind_case kind_cases[] = {
	{"plain", KD_KIND_USER, true},
	{"disabled", KD_KIND_USER, false},
	{"WS01", KD_KIND_COMPUTER, true},
	{"DCUAC", KD_KIND_DC, true},
	{"DCPG", KD_KIND_DC, true},
	{"RODC1", KD_KIND_RODC, true},
	{"RODCPG", KD_KIND_RODC, true},
	{"gmsa1", KD_KIND_GMSA, true},
	{"msa1", KD_KIND_MSA, true},
	{"PARTNER$", KD_KIND_TRUST, true},
	{"krbtgt", KD_KIND_KRBTGT, false},
	{"krbtgt_31337", KD_KIND_KRBTGT, false},
	{"nocls", KD_KIND_COMPUTER, true},
	{"grp", KD_KIND_GROUP, true},
	{DOMSID "-1114", KD_KIND_FOREIGN, true},
	{"bare", KD_KIND_USER, true},
};

START_TEST(test_kinds)
{
	const struct kind_case *c = &kind_cases[_i];
	struct kd_directory *dir = load_ok(kinds_ldif);
	const struct kd_principal *p = get_cn(dir, c->cn);

	ck_assert_msg(p->kind == c->kind, "%s: kind %s, want %s", c->cn, kd_kind_name(p->kind),
		      kd_kind_name(c->kind));
	if (c->kind != KD_KIND_GROUP && c->kind != KD_KIND_FOREIGN)
		ck_assert_int_eq(p->enabled, c->enabled);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_kinds_skip_non_principals)
{
	struct kd_directory *dir = load_ok(kinds_ldif);
	struct kd_directory_counts counts;

	/* the contact and the domain object are not principals */
	ck_assert_uint_eq(kd_directory_count(dir), ARRAY_LEN(kind_cases));
	ck_assert_uint_eq(kd_directory_find_dn(dir, "CN=contact," USERS), KD_NONE);
	kd_directory_counts(dir, &counts);
	ck_assert_uint_eq(counts.entries, ARRAY_LEN(kind_cases) + 2);
	ck_assert_uint_eq(counts.dcs, 4);
	ck_assert_uint_eq(counts.service_accounts, 2);
	ck_assert_uint_eq(counts.groups, 1);
	ck_assert_uint_eq(counts.trusts, 1);
	ck_assert_str_eq(kd_kind_name(KD_KIND_DC), "domain-controller");
	kd_directory_free(dir);
}
END_TEST

/* ---- the domain object ---- */

START_TEST(test_domain_from_object)
{
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY USER("alice", "1104", "512") END);
	const struct kd_domain *d = kd_directory_domain(dir);
	char text[KD_SID_STRING_MAX];

	ck_assert_ptr_nonnull(d->dn);
	ck_assert_str_eq(d->dn, BASE);
	ck_assert_str_eq(d->dns_name, "corp.example");
	ck_assert(d->has_sid);
	ck_assert_str_eq(kd_sid_to_string(&d->sid, text, sizeof(text)), DOMSID);
	ck_assert(d->has_functional_level);
	ck_assert_uint_eq(d->functional_level, 7);
	ck_assert(!d->custom_spn_mappings);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_domain_inferred)
{
	/* No domain object: a builtin group (2 sub-authorities) and a foreign principal
	 * (another domain's SID) come first; the domain SID comes from the user. */
	struct kd_directory *dir =
		load_ok(GROUP("Administrators", "S-1-5-32-544") END
			"dn: CN=fsp," USERS "\nobjectClass: foreignSecurityPrincipal\n"
			"objectSid: S-1-5-21-9-9-9-1000\n" END
			USER("alice", "1104", "512") END);
	const struct kd_domain *d = kd_directory_domain(dir);
	char text[KD_SID_STRING_MAX];

	ck_assert_ptr_null(d->dn);
	ck_assert(d->has_sid);
	ck_assert_str_eq(kd_sid_to_string(&d->sid, text, sizeof(text)), DOMSID);
	ck_assert_str_eq(d->dns_name, "corp.example");
	ck_assert(!d->has_functional_level);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_domain_none)
{
	/* Nothing to infer from: no SID at all. */
	struct kd_directory *dir =
		load_ok(GROUP("Administrators", "S-1-5-32-544") END);

	ck_assert(!kd_directory_domain(dir)->has_sid);
	ck_assert_uint_eq(kd_directory_find_rid(dir, 512), KD_NONE);
	kd_directory_free(dir);
}
END_TEST

/* Two snapshots concatenated: two domain heads with different SIDs are refused, naming both. */
#define OTHER_DOMAIN                                                                          \
	"dn: DC=other,DC=example\nobjectClass: domain\nobjectClass: domainDNS\n"               \
	"objectSid: S-1-5-21-7-8-9\n" END

START_TEST(test_domain_two_heads)
{
	struct kd_directory *dir;
	struct kd_error err;
	int r = tu_load_directory(DOMAIN_ENTRY USER("alice", "1104", "512") END OTHER_DOMAIN,
				  &dir, &err);

	ck_assert_int_eq(r, KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert_msg(strstr(err.message, "two domains, '" BASE "' (" DOMSID ") and "
					  "'DC=other,DC=example' (S-1-5-21-7-8-9)"),
		      "%s", err.message);
	ck_assert_str_eq(err.entry, "DC=other,DC=example");
	ck_assert_uint_eq(err.line, 16);
	kd_directory_free(dir);

	/* the same domain's head again, or a head without a SID, changes nothing */
	dir = load_ok(DOMAIN_ENTRY DOMAIN_ENTRY
		      "dn: DC=child," BASE "\nobjectClass: domainDNS\n" END);
	ck_assert_str_eq(kd_directory_domain(dir)->dn, BASE);
	kd_directory_free(dir);
}
END_TEST

/* ---- lookups and duplicates ---- */

START_TEST(test_dn_lookup_case_insensitive)
{
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY USER("Alice", "1104", "512") END);
	uint32_t i = kd_directory_find_dn(dir, "CN=Alice," USERS);
	struct kd_sid sid;

	ck_assert_uint_ne(i, KD_NONE);
	ck_assert_uint_eq(kd_directory_find_dn(dir, "cn=alice,cn=users,dc=corp,dc=example"), i);
	ck_assert_uint_eq(kd_directory_find_dn(dir, "CN=ALICE,CN=USERS,DC=CORP,DC=EXAMPLE"), i);
	ck_assert_uint_eq(kd_directory_find_dn(dir, "CN=Alic," USERS), KD_NONE);
	ck_assert_uint_eq(kd_directory_find_dn(dir, ""), KD_NONE);
	ck_assert_int_eq(kd_sid_from_string(DOMSID "-1104", &sid, NULL), 0);
	ck_assert_uint_eq(kd_directory_find_sid(dir, &sid), i);
	ck_assert_uint_eq(kd_directory_find_rid(dir, 1104), i);
	ck_assert_uint_eq(kd_directory_find_rid(dir, 1105), KD_NONE);
	ck_assert_str_eq(kd_directory_get(dir, i)->name, "Alice");
	ck_assert_ptr_null(kd_directory_get(dir, 99));
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_duplicate_dn)
{
	struct kd_directory *dir;
	struct kd_error err;
	int r = tu_load_directory(DOMAIN_ENTRY USER("alice", "1104", "512") END
		     "dn: cn=ALICE,cn=users,dc=corp,dc=example\nobjectClass: user\n"
		     "objectSid: " DOMSID "-1105\n" END,
		     &dir, &err);

	ck_assert_int_eq(r, KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "twice"));
	ck_assert_ptr_nonnull(strstr(err.message, "line 8"));
	ck_assert_str_eq(err.entry, "cn=ALICE,cn=users,dc=corp,dc=example");
	ck_assert_uint_eq(err.line, 16);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_duplicate_sid)
{
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY USER("alice", "1104", "512") END
						   USER("mallory", "1104", "512") END);
	uint32_t alice = by_cn(dir, "alice"), mallory = by_cn(dir, "mallory");
	const struct kd_bad_value *b = find_bad(dir, mallory, "objectSid");
	struct kd_sid sid;

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(strstr(b->reason, DOMSID "-1104"));
	ck_assert_ptr_nonnull(strstr(b->reason, "CN=alice"));
	ck_assert(!kd_directory_get(dir, mallory)->has_sid);
	ck_assert(kd_directory_get(dir, alice)->has_sid);
	ck_assert_ptr_null(find_bad(dir, alice, "objectSid"));
	ck_assert_int_eq(kd_sid_from_string(DOMSID "-1104", &sid, NULL), 0);
	ck_assert_uint_eq(kd_directory_find_sid(dir, &sid), alice);
	kd_directory_free(dir);
}
END_TEST

/* ---- membership ---- */

static const char membership_ldif[] =
	DOMAIN_ENTRY
	USER("viamember", "1101", "512") END
	USER("viamemberof", "1102", "512") MEMBER_OF("G2") END
	USER("viaboth", "1103", "512") MEMBER_OF("G3") END
	USER("primary", "1104", "512") "primaryGroupID: 1200\n" END
	USER("loner", "1105", "512") MEMBER_OF("loner2") END /* memberOf a non-group */
	USER("loner2", "1106", "512") END
	/* memberOf toward a group that lists its members: member is authoritative */
	USER("stale", "1107", "512") MEMBER_OF("G1") END
	GROUP("G1", DOMSID "-1201") MEMBER("viamember") MEMBER("ghost") MEMBER("ghost2") END
	GROUP("G2", DOMSID "-1202") END
	GROUP("G3", DOMSID "-1203") MEMBER("viaboth") END
	GROUP("AppServers", DOMSID "-1200") END;

START_TEST(test_member_only)
{
	struct kd_directory *dir = load_ok(membership_ldif);
	const struct kd_principal *u = get_cn(dir, "viamember"), *g = get_cn(dir, "G1");

	ck_assert_uint_eq(u->nmember_of, 1);
	ck_assert_uint_eq(u->member_of[0], by_cn(dir, "G1"));
	ck_assert_uint_eq(g->nmembers, 1);
	ck_assert_uint_eq(g->members[0], by_cn(dir, "viamember"));
	ck_assert_uint_eq(g->nunresolved_members, 2);
	ck_assert(kd_directory_is_member(dir, by_cn(dir, "viamember"), by_cn(dir, "G1")));
	ck_assert(!kd_directory_is_member(dir, by_cn(dir, "viamember"), by_cn(dir, "G2")));
	ck_assert(!kd_directory_is_member(dir, by_cn(dir, "stale"), by_cn(dir, "G1")));
	ck_assert_uint_eq(get_cn(dir, "stale")->nmember_of, 0);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_member_of_only)
{
	struct kd_directory *dir = load_ok(membership_ldif);
	const struct kd_principal *u = get_cn(dir, "viamemberof"), *g = get_cn(dir, "G2");

	ck_assert_uint_eq(u->nmember_of, 1);
	ck_assert_uint_eq(u->member_of[0], by_cn(dir, "G2"));
	ck_assert_uint_eq(g->nmembers, 1);
	ck_assert_uint_eq(g->members[0], by_cn(dir, "viamemberof"));
	ck_assert_uint_eq(g->nunresolved_members, 0);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_member_both_deduped)
{
	struct kd_directory *dir = load_ok(membership_ldif);
	const struct kd_principal *u = get_cn(dir, "viaboth"), *g = get_cn(dir, "G3");

	ck_assert_uint_eq(u->nmember_of, 1);
	ck_assert_uint_eq(g->nmembers, 1);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_member_primary_group)
{
	struct kd_directory *dir = load_ok(membership_ldif);
	uint32_t u = by_cn(dir, "primary"), g = by_cn(dir, "AppServers");
	uint32_t *members = NULL;
	size_t n;

	ck_assert_uint_eq(kd_directory_get(dir, u)->primary_group_rid, 1200);
	ck_assert_uint_eq(kd_directory_get(dir, u)->nmember_of, 1);
	ck_assert_uint_eq(kd_directory_get(dir, g)->nmembers, 1);
	ck_assert(kd_directory_is_member(dir, u, g));
	n = kd_directory_expand_group(dir, g, &members);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(members[0], u);
	free(members);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_member_of_non_group_ignored)
{
	struct kd_directory *dir = load_ok(membership_ldif);

	ck_assert_uint_eq(get_cn(dir, "loner")->nmember_of, 0);
	ck_assert_uint_eq(get_cn(dir, "loner2")->nmembers, 0);
	kd_directory_free(dir);
}
END_TEST

/*
 * Order and sharing: memberOf values naming one bare group in several spellings
 * (case), a principal in several groups, groups listed before and after their
 * members. Members and groups come out in index (input) order.
 */
static const char order_ldif[] =
	DOMAIN_ENTRY
	GROUP("Late", DOMSID "-1410") MEMBER("u3") MEMBER("u1") MEMBER("u2") END
	USER("u1", "1401", "512") "memberOf: cn=BARE,cn=users,dc=CORP,dc=example\n" END
	USER("u2", "1402", "512") MEMBER_OF("Bare") MEMBER_OF("Bare") END
	USER("u3", "1403", "512") "memberOf: CN=Bare,CN=Users,DC=corp,DC=example\n" END
	GROUP("Bare", DOMSID "-1411") END
	GROUP("Early", DOMSID "-1412") MEMBER("u2") MEMBER("Late") MEMBER("u1") END;

START_TEST(test_member_order_and_spellings)
{
	struct kd_directory *dir = load_ok(order_ldif);
	uint32_t late = by_cn(dir, "Late"), bare = by_cn(dir, "Bare"), early = by_cn(dir, "Early");
	uint32_t u1 = by_cn(dir, "u1"), u2 = by_cn(dir, "u2"), u3 = by_cn(dir, "u3");
	const struct kd_principal *g;
	const struct kd_principal *u;

	g = kd_directory_get(dir, late);
	ck_assert_uint_eq(g->nmembers, 3);
	ck_assert_uint_eq(g->members[0], u1);
	ck_assert_uint_eq(g->members[1], u2);
	ck_assert_uint_eq(g->members[2], u3);
	/* three spellings of one DN, one of them twice: one edge each */
	g = kd_directory_get(dir, bare);
	ck_assert_uint_eq(g->nmembers, 3);
	ck_assert_uint_eq(g->members[0], u1);
	ck_assert_uint_eq(g->members[2], u3);
	g = kd_directory_get(dir, early);
	ck_assert_uint_eq(g->nmembers, 3);
	ck_assert_uint_eq(g->members[0], late);
	ck_assert_uint_eq(g->members[1], u1);
	ck_assert_uint_eq(g->members[2], u2);
	u = kd_directory_get(dir, u2);
	ck_assert_uint_eq(u->nmember_of, 3);
	ck_assert_uint_eq(u->member_of[0], late);
	ck_assert_uint_eq(u->member_of[1], bare);
	ck_assert_uint_eq(u->member_of[2], early);
	u = kd_directory_get(dir, u3);
	ck_assert_uint_eq(u->nmember_of, 2);
	ck_assert_uint_eq(kd_directory_get(dir, late)->nmember_of, 1);
	ck_assert_uint_eq(kd_directory_get(dir, late)->member_of[0], early);
	ck_assert(kd_directory_is_member(dir, u3, early)); /* through Late */
	kd_directory_free(dir);
}
END_TEST

/* A ∋ B ∋ A, with users at both levels, nested under Domain Admins. */
static const char cycle_ldif[] =
	DOMAIN_ENTRY
	GROUP("Domain Admins", DOMSID "-512") MEMBER("A") END
	GROUP("A", DOMSID "-1301") MEMBER("B") MEMBER("ua") END
	GROUP("B", DOMSID "-1302") MEMBER("A") MEMBER("ub") END
	GROUP("C", DOMSID "-1303") MEMBER("C") MEMBER("outsider") END /* contains itself */
	USER("ua", "1311", "512") END
	USER("ub", "1312", "512") END
	USER("outsider", "1313", "512") END;

START_TEST(test_nesting_cycle)
{
	struct kd_directory *dir = load_ok(cycle_ldif);
	uint32_t a = by_cn(dir, "A"), b = by_cn(dir, "B"), c = by_cn(dir, "C");
	uint32_t ua = by_cn(dir, "ua"), ub = by_cn(dir, "ub"), da = by_cn(dir, "Domain Admins");
	uint32_t out = by_cn(dir, "outsider");
	uint32_t *members = NULL;
	size_t n;

	ck_assert(kd_directory_is_member(dir, ub, a));
	ck_assert(kd_directory_is_member(dir, ua, b));
	ck_assert(kd_directory_is_member(dir, ub, da));
	ck_assert(kd_directory_is_member(dir, a, b));
	ck_assert(!kd_directory_is_member(dir, out, a));
	ck_assert(!kd_directory_is_member(dir, ua, c));
	ck_assert(kd_directory_is_member(dir, out, c));

	n = kd_directory_expand_group(dir, a, &members);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(members[0], ua < ub ? ua : ub);
	ck_assert_uint_eq(members[1], ua < ub ? ub : ua);
	free(members);
	n = kd_directory_expand_group(dir, c, &members);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(members[0], out);
	free(members);

	ck_assert(kd_directory_get(dir, ua)->tier0);
	ck_assert(kd_directory_get(dir, ub)->tier0);
	ck_assert_str_eq(kd_directory_get(dir, ub)->tier0_reason, "member of Domain Admins");
	ck_assert(!kd_directory_get(dir, out)->tier0);
	kd_directory_free(dir);
}
END_TEST

/*
 * A group's expansion does not depend on the order entries came in (a targeted
 * collection reads look-ups last): by binary SID, whose sub-authorities compare as their
 * little-endian bytes: not the numeric order (RID 2000 sorts before 1502), but the same
 * whatever the input.
 */
static const char expand_forward_ldif[] =
	DOMAIN_ENTRY
	GROUP("G", DOMSID "-1500") MEMBER("a") MEMBER("b") MEMBER("c") END
	USER("a", "1503", "512") END
	COMPUTER("b", "1502", "4096") END
	USER("c", "2000", "512") END;
static const char expand_reverse_ldif[] =
	DOMAIN_ENTRY
	USER("c", "2000", "512") END
	COMPUTER("b", "1502", "4096") END
	USER("a", "1503", "512") END
	GROUP("G", DOMSID "-1500") MEMBER("c") MEMBER("b") MEMBER("a") END;

START_TEST(test_expand_group_input_order)
{
	struct kd_directory *fwd = load_ok(expand_forward_ldif);
	struct kd_directory *rev = load_ok(expand_reverse_ldif);
	uint32_t *mf = NULL, *mr = NULL;
	size_t nf = kd_directory_expand_group(fwd, by_cn(fwd, "G"), &mf);
	size_t nr = kd_directory_expand_group(rev, by_cn(rev, "G"), &mr);

	ck_assert_uint_eq(nf, 3);
	ck_assert_uint_eq(nr, 3);
	for (size_t k = 0; k < 3; k++)
		ck_assert_str_eq(kd_directory_get(fwd, mf[k])->name,
				 kd_directory_get(rev, mr[k])->name);
	/* the two orders of input differ: in one of them the index order is not the SID order */
	ck_assert_uint_ne(mf[0] < mf[1], mr[0] < mr[1]);
	free(mf);
	free(mr);
	kd_directory_free(fwd);
	kd_directory_free(rev);
}
END_TEST

/* ---- tier 0 and Protected Users ---- */

static const char tier0_ldif[] =
	DOMAIN_ENTRY
	GROUP("Domain Admins", DOMSID "-512") MEMBER("nested") END
	GROUP("nested", DOMSID "-1400") MEMBER("deep") END
	GROUP("Administrators", "S-1-5-32-544") MEMBER("Domain Admins") MEMBER("local") END
	GROUP("Protected Users", DOMSID "-525") MEMBER("puinner") END
	GROUP("puinner", DOMSID "-1401") MEMBER("protected") END
	GROUP("Domain Users", DOMSID "-513") END
	USER("deep", "1410", "512") END
	USER("pgda", "1411", "512") "primaryGroupID: 512\n" END
	USER("flagged", "1412", "512") "adminCount: 1\n" END
	USER("local", "1413", "512") END
	USER("plain", "1414", "512") "primaryGroupID: 513\nadminCount: 0\n" END
	USER("protected", "1415", "512") END
	COMPUTER("DC01", "1416", "532480") END
	USER("krbtgt", "502", "514") END;

struct tier0_case {
	const char *cn;
	bool tier0;
	const char *reason;
	bool protected_user;
};

static const struct tier0_case tier0_cases[] = {
	{"deep", true, "member of Domain Admins", false},
	{"pgda", true, "member of Domain Admins", false},
	/* adminCount=1 is SDProp's mark, never cleared: no reason for tier 0 */
	{"flagged", false, NULL, false},
	{"local", true, "member of Administrators", false},
	{"plain", false, NULL, false},
	{"protected", false, NULL, true},
	{"DC01", true, "domain controller", false},
	{"krbtgt", true, "krbtgt account", false},
	{"Domain Admins", true, "member of Domain Admins", false},
	{"nested", true, "member of Domain Admins", false},
	{"Protected Users", false, NULL, false},
};

/* Principal @c->cn of @dir is as the row says. */
static void
assert_tier0_case(const struct kd_directory *dir, const struct tier0_case *c)
{
	const struct kd_principal *p = get_cn(dir, c->cn);

	ck_assert_msg(p->tier0 == c->tier0, "%s: tier0 %d (%s)", c->cn, p->tier0,
		      p->tier0_reason ? p->tier0_reason : "-");
	if (c->reason)
		ck_assert_str_eq(p->tier0_reason, c->reason);
	ck_assert_msg(p->protected_user == c->protected_user, "%s: protected_user %d", c->cn,
		      p->protected_user);
}

START_TEST(test_tier0)
{
	struct kd_directory *dir = load_ok(tier0_ldif);

	assert_tier0_case(dir, &tier0_cases[_i]);
	kd_directory_free(dir);
}
END_TEST

/* ---- the SPN index ---- */

/* The domain's crossRef as README's second search and the collector return it. */
#define CROSS_REF(netbios)                                                                    \
	"dn: CN=" netbios ",CN=Partitions,CN=Configuration," BASE "\nnCName: " BASE            \
	"\nnETBIOSName: " netbios "\n" END

static const char spn_ldif[] =
	DOMAIN_ENTRY
	COMPUTER("WEB01", "1501", "4096") "servicePrincipalName: HOST/Web01.corp.example\n"
	"servicePrincipalName: HOST/WEB01\n" END
	USER("svc_http", "1502", "512") "servicePrincipalName: http/web01.corp.example\n" END
	USER("twice", "1503", "512") "servicePrincipalName: ldap/twice.corp.example\n"
	"servicePrincipalName: LDAP/TWICE.corp.example\n" END
	USER("dup1", "1504", "512") "servicePrincipalName: MSSQLSvc/db.corp.example:1433\n" END
	USER("dup2", "1505", "512") "servicePrincipalName: mssqlsvc/DB.corp.example:1433\n" END
	USER("krbtgt", "502", "514") "servicePrincipalName: kadmin/changepw\n" END
	USER("badspn", "1506", "512") "servicePrincipalName: nonsense\n" END
	CROSS_REF("CORP");

struct spn_case {
	const char *spn;
	size_t count;
	const char *first; /* cn of the first holder */
	bool via_alias;
};

static const struct spn_case spn_cases[] = {
	{"host/WEB01.CORP.EXAMPLE", 1, "WEB01", false},
	{"HOST/web01", 1, "WEB01", false},
	{"cifs/web01.corp.example", 1, "WEB01", true},
	{"CIFS/WEB01", 1, "WEB01", true},
	{"http/WEB01.corp.example", 1, "svc_http", false}, /* explicit holder wins */
	{"mssqlsvc/web01.corp.example", 0, NULL, false},   /* not an alias class */
	{"cifs/web02.corp.example", 0, NULL, false},
	{"LDAP/twice.CORP.example", 1, "twice", false},    /* one account, listed twice */
	{"MSSQLSvc/db.corp.example:1433", 2, "dup1", false},
	{"MSSQLSvc/db.corp.example", 0, NULL, false},      /* the port is part of the key */
	{"krbtgt/CORP.EXAMPLE", 1, "krbtgt", false},
	{"krbtgt/corp.example", 1, "krbtgt", false},
	{"krbtgt/CORP", 1, "krbtgt", false},
	{"kadmin/changepw", 1, "krbtgt", false},
	{"nonsense", 0, NULL, false},
	{"", 0, NULL, false},
};

START_TEST(test_spn_lookup)
{
	const struct spn_case *c = &spn_cases[_i];
	struct kd_directory *dir = load_ok(spn_ldif);
	uint32_t holders[4] = {KD_NONE, KD_NONE, KD_NONE, KD_NONE};
	bool via_alias = !c->via_alias;
	size_t n = kd_directory_find_spn(dir, c->spn, holders, 4, &via_alias);

	ck_assert_msg(n == c->count, "%s: %zu holders, want %zu", c->spn, n, c->count);
	ck_assert_int_eq(via_alias, c->via_alias);
	if (c->first)
		ck_assert_uint_eq(holders[0], by_cn(dir, c->first));
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_spn_lookup_max)
{
	struct kd_directory *dir = load_ok(spn_ldif);
	uint32_t holders[2] = {KD_NONE, 12345};
	bool via_alias;

	/* Reports the total even when @max is smaller, and writes no more than @max. */
	ck_assert_uint_eq(kd_directory_find_spn(dir, "MSSQLSvc/db.corp.example:1433", holders, 1,
						&via_alias),
			  2);
	ck_assert_uint_eq(holders[0], by_cn(dir, "dup1"));
	ck_assert_uint_eq(holders[1], 12345);
	kd_directory_free(dir);
}
END_TEST

/* Many holders of one SPN: one chain in input order, built in linear time. */
START_TEST(test_spn_long_chain)
{
	enum { HOLDERS = 20000 };
	struct kd_strbuf ldif;
	struct kd_directory *dir;
	const struct kd_spn_holder *holders;
	uint32_t first[3];
	size_t n, chain = 0;
	uint32_t last = KD_NONE;
	bool via_alias;

	kd_strbuf_init(&ldif, 16u << 20);
	ck_assert_int_eq(kd_strbuf_puts(&ldif, DOMAIN_ENTRY), 0);
	for (unsigned int i = 0; i < HOLDERS; i++)
		ck_assert_int_eq(kd_strbuf_printf(&ldif,
						   "dn: CN=s%u," USERS "\nobjectClass: user\n"
						   "objectSid: " DOMSID "-%u\nuserAccountControl: 512\n"
						   "servicePrincipalName: %s/shared.corp.example\n\n",
						   i, 5000 + i, i % 2 ? "HTTP" : "http"),
				 0);
	dir = load_ok(kd_strbuf_str(&ldif));
	ck_assert_uint_eq(kd_directory_find_spn(dir, "http/SHARED.corp.example", first, 3,
						&via_alias),
			  HOLDERS);
	n = kd_directory_spn_holders(dir, &holders);
	for (uint32_t h = kd_directory_spn_head(dir, "http/shared.corp.example"); h != KD_NONE;
	     h = holders[h].next) {
		ck_assert_uint_lt(h, n);
		ck_assert(holders[h].shared);
		if (last != KD_NONE)
			ck_assert_uint_gt(holders[h].principal, holders[last].principal);
		last = h;
		chain++;
	}
	ck_assert_uint_eq(chain, HOLDERS);
	kd_directory_free(dir);
	kd_strbuf_free(&ldif);
}
END_TEST

START_TEST(test_spn_holders_implicit_krbtgt)
{
	struct kd_directory *dir = load_ok(spn_ldif);
	const struct kd_spn_holder *holders;
	size_t n = kd_directory_spn_holders(dir, &holders);
	uint32_t krbtgt = by_cn(dir, "krbtgt");
	size_t implicit = 0;
	uint32_t head;

	for (size_t i = 0; i < n; i++) {
		if (!holders[i].implicit)
			continue;
		implicit++;
		ck_assert_uint_eq(holders[i].principal, krbtgt);
	}
	ck_assert_uint_eq(implicit, 2);
	head = kd_directory_spn_head(dir, "krbtgt/corp.example");
	ck_assert_uint_ne(head, KD_NONE);
	ck_assert(holders[head].implicit);
	ck_assert_str_eq(holders[head].spn, "krbtgt/CORP.EXAMPLE");
	/* explicit values: WEB01 2 + svc_http 1 + twice 2 + dup 2 + kadmin 1 (nonsense dropped) */
	ck_assert_uint_eq(n - implicit, 8);
	/* case variants share one key and chain in input order */
	head = kd_directory_spn_head(dir, "mssqlsvc/db.corp.example:1433");
	ck_assert_uint_ne(head, KD_NONE);
	ck_assert_str_eq(holders[head].spn, "MSSQLSvc/db.corp.example:1433");
	ck_assert_uint_ne(holders[head].next, KD_NONE);
	ck_assert_str_eq(holders[holders[head].next].spn, "mssqlsvc/DB.corp.example:1433");
	ck_assert_uint_eq(holders[holders[head].next].next, KD_NONE);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_spn_bad_value)
{
	struct kd_directory *dir = load_ok(spn_ldif);
	const struct kd_bad_value *b = find_bad(dir, by_cn(dir, "badspn"), "servicePrincipalName");

	ck_assert_ptr_nonnull(b);
	ck_assert(b->has_offset);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_spn_no_krbtgt_without_domain_rid)
{
	/* krbtgt_NNNN (an RODC's krbtgt) has no implicit krbtgt/REALM name. */
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY USER("krbtgt_4242", "1601", "514") END);
	uint32_t holders[2];
	bool via_alias;

	ck_assert_int_eq(get_cn(dir, "krbtgt_4242")->kind, KD_KIND_KRBTGT);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CORP.EXAMPLE", holders, 2, &via_alias),
			  0);
	kd_directory_free(dir);
}
END_TEST

#define SPN_MAPPINGS_DN "CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration," BASE

START_TEST(test_spn_custom_mappings)
{
	/* The forest's table replaces AD's default: cifs is no longer a HOST alias, mysvc is. */
	struct kd_directory *dir = load_ok(
		DOMAIN_ENTRY COMPUTER("FS01", "1701", "4096")
		"servicePrincipalName: HOST/fs01.corp.example\n" END
		"dn: " SPN_MAPPINGS_DN "\nobjectClass: nTDSService\n"
		"sPNMappings: host=alerter,http,mysvc\n" END);
	uint32_t holders[2];
	bool via_alias = false;

	ck_assert(kd_directory_domain(dir)->custom_spn_mappings);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "cifs/fs01.corp.example", holders, 2,
						&via_alias),
			  0);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "MYSVC/fs01.corp.example", holders, 2,
						&via_alias),
			  1);
	ck_assert(via_alias);
	ck_assert_uint_eq(holders[0], by_cn(dir, "FS01"));
	ck_assert_str_eq(kd_spnmap_target(kd_directory_spnmap(dir), "mysvc", 5), "host");
	ck_assert_ptr_null(kd_spnmap_target(kd_directory_spnmap(dir), "cifs", 4));
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_spn_bad_mappings_keep_default)
{
	struct kd_directory *dir = load_ok(
		DOMAIN_ENTRY COMPUTER("FS01", "1701", "4096")
		"servicePrincipalName: HOST/fs01.corp.example\n" END
		"dn: " SPN_MAPPINGS_DN "\nobjectClass: nTDSService\nsPNMappings: no-equals-sign\n" END);
	uint32_t holders[2];
	bool via_alias = false;
	const struct kd_bad_value *b = find_bad(dir, KD_NONE, "sPNMappings");

	ck_assert_ptr_nonnull(b);
	ck_assert(b->has_offset);
	ck_assert(!kd_directory_domain(dir)->custom_spn_mappings);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "cifs/fs01.corp.example", holders, 2,
						&via_alias),
			  1);
	ck_assert(via_alias);
	kd_directory_free(dir);
}
END_TEST

/* ---- malformed values are facts, not errors ---- */

struct bad_case {
	const char *name;
	const char *attr_line; /* appended to a user entry */
	const char *attribute;
	bool has_offset;
	size_t offset;
};

static const struct bad_case bad_cases[] = {
	/* revision 1, 5 sub-authorities, only 1 present: the SID (offset 0) is short */
	{"sid-cut", "objectSid:: AQUAAAAAAAUVAAAA\n", "objectSid", true, 0},
	{"sid-revision", "objectSid:: AgEAAAAAAAUVAAAA\n", "objectSid", true, 0},
	{"sid-text", "objectSid: S-1-5-21-x\n", "objectSid", true, 9},
	{"uac-text", "userAccountControl: abc\n", "userAccountControl", true, 0},
	{"uac-range", "userAccountControl: 99999999999\n", "userAccountControl", false, 0},
	{"pgid-text", "primaryGroupID: 5x\n", "primaryGroupID", true, 1},
	{"admincount", "adminCount: yes\n", "adminCount", true, 0},
};

START_TEST(test_bad_values)
{
	const struct bad_case *c = &bad_cases[_i];
	char *text = tu_xprintf(DOMAIN_ENTRY "dn: CN=victim," USERS "\nobjectClass: user\n%s%s%s" END,
			     strcmp(c->attribute, "objectSid") ? "objectSid: " DOMSID "-1801\n"
							       : "",
			     strcmp(c->attribute, "userAccountControl") ? "userAccountControl: 512\n"
									: "",
			     c->attr_line);
	struct kd_directory *dir = load_ok(text);
	uint32_t victim = by_cn(dir, "victim");
	const struct kd_bad_value *b = find_bad(dir, victim, c->attribute);
	const struct kd_principal *p = kd_directory_get(dir, victim);

	ck_assert_msg(b != NULL, "%s: no bad value", c->name);
	ck_assert_ptr_nonnull(b->reason);
	ck_assert(b->reason[0] != '\0');
	if (c->has_offset) {
		ck_assert_msg(b->has_offset, "%s: no offset", c->name);
		ck_assert_msg(b->offset == c->offset, "%s: offset %zu, want %zu", c->name,
			      b->offset, c->offset);
	}
	if (strcmp(c->attribute, "objectSid") == 0)
		ck_assert(!p->has_sid);
	if (strcmp(c->attribute, "userAccountControl") == 0)
		ck_assert(!p->has_uac);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_bad_rbcd_descriptor)
{
	const struct tu_ace ace = {.type = 0, .mask = 0x100, .sid = DOMSID "-1111"};
	struct tu_buf sd = {0};
	char *b64, *text;
	struct kd_directory *dir;
	const struct kd_bad_value *b;
	const struct kd_principal *p;

	tu_sd_build(&sd, "S-1-5-32-544", true, &ace, 1);
	sd.len -= 6; /* cut inside the ACE's SID */
	b64 = tu_base64(sd.data, sd.len);
	text = tu_xprintf(DOMAIN_ENTRY COMPUTER("PRINT01", "1901", "4096")
		       "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n" END,
		       b64);
	dir = load_ok(text);
	p = get_cn(dir, "PRINT01");
	b = find_bad(dir, by_cn(dir, "PRINT01"), "msDS-AllowedToActOnBehalfOfOtherIdentity");
	ck_assert_int_eq(p->rbcd_state, KD_RBCD_MALFORMED);
	ck_assert_ptr_nonnull(b);
	ck_assert(b->has_offset);
	/* header 20 + owner 16: the ACL at 36, whose AclSize (byte 38) passes the end */
	ck_assert_uint_eq(b->offset, 38);
	tu_buf_free(&sd);
	free(b64);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_rbcd_states)
{
	const struct tu_ace ace = {.type = 0, .mask = 0x100, .sid = DOMSID "-1111"};
	struct tu_buf parsed = {0}, empty = {0}, null_dacl = {0};
	char *b1, *b2, *b3, *text;
	struct kd_directory *dir;

	tu_sd_build(&parsed, "S-1-5-32-544", true, &ace, 1);
	tu_sd_build(&empty, "S-1-5-32-544", true, NULL, 0);
	tu_sd_build(&null_dacl, "S-1-5-32-544", false, NULL, 0);
	b1 = tu_base64(parsed.data, parsed.len);
	b2 = tu_base64(empty.data, empty.len);
	b3 = tu_base64(null_dacl.data, null_dacl.len);
	text = tu_xprintf(DOMAIN_ENTRY
		       COMPUTER("A", "2001", "4096") "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n" END
		       COMPUTER("B", "2002", "4096") "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n" END
		       COMPUTER("C", "2003", "4096") "msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n" END
		       COMPUTER("D", "2004", "4096") END,
		       b1, b2, b3);
	dir = load_ok(text);
	ck_assert_int_eq(get_cn(dir, "A")->rbcd_state, KD_RBCD_PARSED);
	ck_assert_uint_eq(get_cn(dir, "A")->rbcd->dacl.count, 1);
	ck_assert_int_eq(get_cn(dir, "B")->rbcd_state, KD_RBCD_PARSED);
	ck_assert_uint_eq(get_cn(dir, "B")->rbcd->dacl.count, 0);
	ck_assert_int_eq(get_cn(dir, "C")->rbcd_state, KD_RBCD_NULL_DACL);
	ck_assert_int_eq(get_cn(dir, "D")->rbcd_state, KD_RBCD_NONE);
	ck_assert_uint_eq(kd_directory_bad_values(dir, &(const struct kd_bad_value *){NULL}), 0);
	tu_buf_free(&parsed);
	tu_buf_free(&empty);
	tu_buf_free(&null_dacl);
	free(b1);
	free(b2);
	free(b3);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_binary_sid)
{
	/* ldapsearch prints objectSid in binary: S-1-5-21-1-2-3-1104 */
	struct tu_buf sid = {0};
	char *b64, *text;
	struct kd_directory *dir;
	char out[KD_SID_STRING_MAX];
	struct kd_sid parsed;

	tu_sid_append(&sid, DOMSID "-1104");
	b64 = tu_base64(sid.data, sid.len);
	text = tu_xprintf(DOMAIN_ENTRY "dn: CN=bin," USERS "\nobjectClass: user\nobjectSid:: %s\n"
				    "userAccountControl: 512\n" END,
		       b64);
	dir = load_ok(text);
	ck_assert(get_cn(dir, "bin")->has_sid);
	parsed = kd_principal_sid(get_cn(dir, "bin"));
	ck_assert_str_eq(kd_sid_to_string(&parsed, out, sizeof(out)), DOMSID "-1104");
	ck_assert_uint_eq(kd_principal_rid(get_cn(dir, "bin")), 1104);
	tu_buf_free(&sid);
	free(b64);
	free(text);
	kd_directory_free(dir);
}
END_TEST

/* ---- descriptors, sIDHistory, trusts, the NetBIOS name, coverage (issue 9) ---- */

#define GET_CHANGES_ALL "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"
#define GET_CHANGES "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"

/* The base64 of a descriptor owned by @owner with DACL @aces (malloc'd). */
static char *
sd_b64(const char *owner, const struct tu_ace *aces, size_t n)
{
	struct tu_buf b = {0};
	char *out;

	tu_sd_build(&b, owner, true, aces, n);
	out = tu_base64(b.data, b.len);
	tu_buf_free(&b);
	return out;
}

static char *
sid_b64(const char *sid)
{
	struct tu_buf b = {0};
	char *out;

	tu_sid_append(&b, sid);
	out = tu_base64(b.data, b.len);
	tu_buf_free(&b);
	return out;
}

static const struct tu_ace computer_aces[] = {
	{.type = KD_ACE_ALLOWED, .mask = 0x000f01ff, .sid = DOMSID "-512"},
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_WRITE_PROP, .sid = "S-1-5-10",
	 .object_type_guid = "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"},
};

START_TEST(test_descriptors)
{
	const struct tu_ace head_aces[] = {
		{.type = KD_ACE_ALLOWED, .mask = 0x20094, .sid = "S-1-5-11"},
	};
	char *dom = sd_b64("S-1-5-32-544", head_aces, ARRAY_LEN(head_aces));
	char *comp = sd_b64(DOMSID "-512", computer_aces, ARRAY_LEN(computer_aces));
	char *other = sd_b64(DOMSID "-1104", computer_aces, 1);
	/* the DACL of comp, other owners: one as long as comp's, one shorter */
	char *same_len = sd_b64(DOMSID "-1105", computer_aces, ARRAY_LEN(computer_aces));
	char *shorter = sd_b64("S-1-5-32-548", computer_aces, ARRAY_LEN(computer_aces));
	char *text = tu_xprintf(DOMAIN_AT("nTSecurityDescriptor:: %s\n")
				COMPUTER("WS01", "2101", U_WS) "nTSecurityDescriptor:: %s\n" END
				COMPUTER("WS02", "2102", U_WS) "nTSecurityDescriptor:: %s\n" END
				COMPUTER("WS03", "2103", U_WS) "nTSecurityDescriptor:: %s\n" END
				GROUP("grp", DOMSID "-2104") "nTSecurityDescriptor:: %s\n" END
				USER("nosd", "2105", U_NORMAL) END
				COMPUTER("WS04", "2106", U_WS) "nTSecurityDescriptor:: %s\n" END
				COMPUTER("WS05", "2107", U_WS) "nTSecurityDescriptor:: %s\n" END,
				dom, comp, comp, other, comp, same_len, shorter);
	struct kd_directory *dir = load_ok(text);
	const struct kd_principal *ws1 = get_cn(dir, "WS01"), *ws2 = get_cn(dir, "WS02");
	const struct kd_principal *ws3 = get_cn(dir, "WS03"), *p;
	const struct kd_domain *d = kd_directory_domain(dir);
	const struct kd_coverage *c = kd_directory_coverage(dir);
	char owner[KD_SID_STRING_MAX];

	ck_assert_ptr_nonnull(ws1->sd);
	ck_assert(ws1->sd->has_owner);
	ck_assert_str_eq(kd_sid_to_string(&ws1->sd->owner, owner, sizeof(owner)), DOMSID "-512");
	ck_assert(!ws1->sd->dacl_null);
	ck_assert_uint_eq(ws1->sd->dacl.count, 2);
	ck_assert(ws1->sd->dacl.aces[1].has_object_type);
	/* equal bytes, one parse */
	ck_assert_ptr_eq(ws1->sd, ws2->sd);
	ck_assert_ptr_eq(ws1->sd, get_cn(dir, "grp")->sd);
	ck_assert_ptr_nonnull(ws3->sd);
	ck_assert_ptr_ne(ws1->sd, ws3->sd);
	ck_assert_uint_eq(ws3->sd->dacl.count, 1);
	ck_assert_ptr_null(get_cn(dir, "nosd")->sd);
	/* another owner, the same DACL at the same offset: one ACE array */
	p = get_cn(dir, "WS04");
	ck_assert_ptr_ne(p->sd, ws1->sd);
	ck_assert_str_eq(kd_sid_to_string(&p->sd->owner, owner, sizeof(owner)), DOMSID "-1105");
	ck_assert_ptr_eq(p->sd->dacl.aces, ws1->sd->dacl.aces);
	/* at another offset the ACEs' offsets differ: a copy of its own */
	p = get_cn(dir, "WS05");
	ck_assert_ptr_ne(p->sd->dacl.aces, ws1->sd->dacl.aces);
	ck_assert_uint_eq(p->sd->dacl.count, 2);
	ck_assert_uint_eq(p->sd->dacl.offset + 12, ws1->sd->dacl.offset);
	ck_assert_uint_eq(p->sd->dacl.aces[0].offset + 12, ws1->sd->dacl.aces[0].offset);
	ck_assert(kd_sid_equal(&p->sd->dacl.aces[1].sid, &ws1->sd->dacl.aces[1].sid));
	ck_assert_ptr_nonnull(d->sd);
	ck_assert_uint_eq(d->sd->dacl.count, 1);
	ck_assert_uint_eq(kd_directory_bad_values(dir, &(const struct kd_bad_value *){NULL}), 0);
	/* five computers and a user are accounts, the group is not */
	ck_assert_uint_eq(c->accounts, 6);
	ck_assert_uint_eq(c->descriptors, 5);
	ck_assert(c->domain_descriptor);
	free(dom);
	free(comp);
	free(other);
	free(same_len);
	free(shorter);
	free(text);
	kd_directory_free(dir);
}
END_TEST

/*
 * Many distinct descriptors: parses go through scratch arenas that are dropped as
 * they fill, what is kept must not point into them (ASan with arena_malloc checks).
 */
START_TEST(test_descriptors_many)
{
	enum { ACCOUNTS = 800, ACES = 24 };
	struct tu_ace aces[ACES];
	char trustees[ACES][48];
	struct kd_strbuf ldif;
	struct kd_directory *dir;

	kd_strbuf_init(&ldif, 64u << 20);
	ck_assert_int_eq(kd_strbuf_puts(&ldif, DOMAIN_ENTRY), 0);
	for (unsigned i = 0; i < ACCOUNTS; i++) {
		char owner[48];
		char *b64;

		/* every tenth account another DACL; owners all distinct */
		for (unsigned k = 0; k < ACES; k++) {
			snprintf(trustees[k], sizeof(trustees[k]), DOMSID "-%u", 7000 + i / 10 + k);
			aces[k] = (struct tu_ace){.type = KD_ACE_ALLOWED, .mask = 0x20094,
						  .sid = trustees[k]};
		}
		snprintf(owner, sizeof(owner), DOMSID "-%u", 9000 + i);
		b64 = sd_b64(owner, aces, ACES);
		ck_assert_int_eq(kd_strbuf_printf(&ldif,
						  "dn: CN=m%u," USERS "\nobjectClass: computer\n"
						  "objectSid: " DOMSID "-%u\nuserAccountControl: 4096\n"
						  "nTSecurityDescriptor:: %s\n\n",
						  i, 20000 + i, b64),
				 0);
		free(b64);
	}
	dir = load_ok(kd_strbuf_str(&ldif));
	for (unsigned i = 0; i < ACCOUNTS; i++) {
		char cn[16];
		const struct kd_principal *p;

		snprintf(cn, sizeof(cn), "m%u", i);
		p = get_cn(dir, cn);
		ck_assert_ptr_nonnull(p->sd);
		ck_assert_uint_eq(kd_sid_rid(&p->sd->owner), 9000 + i);
		ck_assert_uint_eq(p->sd->dacl.count, ACES);
		ck_assert_uint_eq(kd_sid_rid(&p->sd->dacl.aces[ACES - 1].sid),
				  7000 + i / 10 + ACES - 1);
		if (i % 10)
			ck_assert_ptr_eq(p->sd->dacl.aces,
					 kd_directory_get(dir, by_cn(dir, cn) - 1)->sd->dacl.aces);
	}
	ck_assert_uint_eq(kd_directory_coverage(dir)->descriptors, ACCOUNTS);
	kd_directory_free(dir);
	kd_strbuf_free(&ldif);
}
END_TEST

START_TEST(test_descriptor_malformed)
{
	struct tu_buf cut = {0}, null_dacl = {0};
	char *b_cut, *b_null, *text;
	struct kd_directory *dir;
	const struct kd_bad_value *b;
	const struct kd_coverage *c;

	tu_sd_build(&cut, DOMSID "-512", true, computer_aces, 1);
	cut.len -= 6; /* inside the ACE's SID */
	tu_sd_build(&null_dacl, DOMSID "-512", false, NULL, 0);
	b_cut = tu_base64(cut.data, cut.len);
	b_null = tu_base64(null_dacl.data, null_dacl.len);
	text = tu_xprintf(DOMAIN_AT("nTSecurityDescriptor:: AQAEgA==\n")
			  COMPUTER("BAD01", "2201", U_WS) "nTSecurityDescriptor:: %s\n" END
			  COMPUTER("NUL01", "2202", U_WS) "nTSecurityDescriptor:: %s\n" END
			  COMPUTER("BAD02", "2203", U_WS) "nTSecurityDescriptor:: %s\n" END,
			  b_cut, b_null, b_cut);
	dir = load_ok(text);
	b = find_bad(dir, by_cn(dir, "BAD01"), "nTSecurityDescriptor");
	ck_assert_ptr_nonnull(b);
	ck_assert(b->has_offset);
	/* header 20 + owner 28: the ACL at 48, whose AclSize (byte 50) passes the end */
	ck_assert_uint_eq(b->offset, 50);
	ck_assert_ptr_null(get_cn(dir, "BAD01")->sd);
	/* a failed parse is not remembered as a success: the second one is reported too */
	ck_assert_ptr_nonnull(find_bad(dir, by_cn(dir, "BAD02"), "nTSecurityDescriptor"));
	ck_assert_ptr_null(get_cn(dir, "BAD02")->sd);
	/* the domain head's 4 bytes: a bad value of the domain, no descriptor */
	b = find_bad(dir, KD_NONE, "nTSecurityDescriptor");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(kd_directory_domain(dir)->sd);
	/* a NULL DACL parses but carries no DACL the model can read */
	ck_assert_ptr_nonnull(get_cn(dir, "NUL01")->sd);
	ck_assert(get_cn(dir, "NUL01")->sd->dacl_null);
	c = kd_directory_coverage(dir);
	ck_assert_uint_eq(c->accounts, 3);
	ck_assert_uint_eq(c->descriptors, 0);
	ck_assert(!c->domain_descriptor);
	tu_buf_free(&cut);
	tu_buf_free(&null_dacl);
	free(b_cut);
	free(b_null);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_sid_history)
{
	char *bin = sid_b64("S-1-5-21-9-9-9-1234");
	/* the second value is cut (5 sub-authorities announced, 1 present) */
	char *text = tu_xprintf(DOMAIN_ENTRY
				USER("migrated", "2301", U_NORMAL) "sIDHistory:: %s\n"
				"sIDHistory:: AQUAAAAAAAUVAAAA\n"
				"sIDHistory: S-1-5-21-9-9-9-1235\n" END
				USER("native", "2302", U_NORMAL) END,
				bin);
	struct kd_directory *dir = load_ok(text);
	const struct kd_principal *p = get_cn(dir, "migrated");
	const struct kd_bad_value *b = find_bad(dir, by_cn(dir, "migrated"), "sIDHistory");
	char sid[KD_SID_STRING_MAX];

	ck_assert_uint_eq(p->nsid_history, 2);
	ck_assert_str_eq(kd_sid_to_string(&p->sid_history[0], sid, sizeof(sid)),
			 "S-1-5-21-9-9-9-1234");
	ck_assert_str_eq(kd_sid_to_string(&p->sid_history[1], sid, sizeof(sid)),
			 "S-1-5-21-9-9-9-1235");
	ck_assert_ptr_nonnull(b);
	ck_assert(b->has_offset);
	ck_assert(p->has_sid); /* objectSid is not touched by a bad sIDHistory */
	ck_assert(!p->tier0);
	ck_assert_ptr_null(get_cn(dir, "native")->sid_history);
	ck_assert_uint_eq(get_cn(dir, "native")->nsid_history, 0);
	free(bin);
	free(text);
	kd_directory_free(dir);
}
END_TEST

#define SYSTEM "CN=System," BASE

START_TEST(test_trusts)
{
	struct kd_directory *dir = load_ok(
		DOMAIN_ENTRY
		"dn: CN=partner.example," SYSTEM "\nobjectClass: top\nobjectClass: leaf\n"
		"objectClass: trustedDomain\ntrustPartner: partner.example\n"
		"trustAttributes: 2056\ntrustDirection: 3\ntrustType: 2\n" END
		USER("alice", "2401", U_NORMAL) END
		"dn: CN=old.example," SYSTEM "\nobjectClass: trustedDomain\n" END
		"dn: CN=high.example," SYSTEM "\nobjectClass: trustedDomain\n"
		"trustAttributes: -2147483648\ntrustDirection: 1\n" END
		"dn: CN=bad.example," SYSTEM "\nobjectClass: trustedDomain\n"
		"trustPartner: bad.example\ntrustAttributes: 8x\ntrustDirection: 2\n" END);
	const struct kd_trust *t;
	size_t n = kd_directory_trusts(dir, &t);
	struct kd_directory_counts counts;
	const struct kd_bad_value *b = find_bad(dir, KD_NONE, "trustAttributes");

	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(t[0].dn, "CN=partner.example," SYSTEM);
	ck_assert_str_eq(t[0].partner, "partner.example");
	ck_assert(t[0].has_attributes && t[0].has_direction && t[0].has_type);
	ck_assert_uint_eq(t[0].attributes,
			  KD_TRUST_ATTR_FOREST_TRANSITIVE |
				  KD_TRUST_ATTR_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION);
	ck_assert_uint_eq(t[0].direction, KD_TRUST_DIRECTION_INBOUND | KD_TRUST_DIRECTION_OUTBOUND);
	ck_assert_uint_eq(t[0].type, 2);
	ck_assert_uint_eq(t[0].line, 8);
	/* no attributes: the partner from the RDN, nothing claimed */
	ck_assert_str_eq(t[1].partner, "old.example");
	ck_assert(!t[1].has_attributes && !t[1].has_direction && !t[1].has_type);
	/* a mask that LDAP shows as a negative integer keeps its bits */
	ck_assert(t[2].has_attributes);
	ck_assert_uint_eq(t[2].attributes, 0x80000000u);
	ck_assert(!t[2].has_type);
	/* a bad value names the trust and drops only itself */
	ck_assert(!t[3].has_attributes);
	ck_assert(t[3].has_direction);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(strstr(b->reason, "bad.example"));
	ck_assert(b->has_offset);
	ck_assert_uint_eq(b->offset, 1);
	/* trusts are not principals */
	ck_assert_uint_eq(kd_directory_count(dir), 1);
	kd_directory_counts(dir, &counts);
	ck_assert_uint_eq(counts.trusts, 4);
	ck_assert(!kd_directory_coverage(dir)->trusts);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_trusts_coverage)
{
	struct kd_directory *dir = load_ok(
		DOMAIN_ENTRY
		"dn: CN=partner.example," SYSTEM "\nobjectClass: trustedDomain\n"
		"trustPartner: partner.example\ntrustAttributes: 8\ntrustDirection: 3\n" END);
	const struct kd_trust *t;

	ck_assert_uint_eq(kd_directory_trusts(dir, &t), 1);
	ck_assert(!t[0].has_type);
	ck_assert(kd_directory_coverage(dir)->trusts);
	kd_directory_free(dir);
	/* none at all: the accounts search asks for trustedDomain, so none is known */
	dir = load_ok(DOMAIN_ENTRY);
	ck_assert_uint_eq(kd_directory_trusts(dir, &t), 0);
	ck_assert(kd_directory_coverage(dir)->trusts);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_netbios_from_cross_ref)
{
	/* The crossRef first (any order), its nCName in other case; a NetBIOS name that is
	 * not the first DNS label; crossRefs of other partitions and domains ignored. */
	struct kd_directory *dir = load_ok(
		"dn: CN=CORPNET,CN=Partitions,CN=Configuration," BASE "\n"
		"nCName: dc=CORP,dc=Example\nnETBIOSName: CORPNET\n" END
		"dn: CN=Enterprise Configuration,CN=Partitions,CN=Configuration," BASE "\n"
		"objectClass: crossRef\nnCName: CN=Configuration," BASE "\n" END
		"dn: CN=CHILD,CN=Partitions,CN=Configuration," BASE "\n"
		"objectClass: crossRef\nnCName: DC=child," BASE "\nnETBIOSName: CHILD\n" END
		DOMAIN_ENTRY USER("krbtgt", "502", "514") END);
	const struct kd_domain *d = kd_directory_domain(dir);
	uint32_t holders[2];
	bool via_alias;

	ck_assert_ptr_nonnull(d->netbios_name);
	ck_assert_str_eq(d->netbios_name, "CORPNET");
	ck_assert(kd_directory_coverage(dir)->netbios_name);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CORPNET", holders, 2, &via_alias), 1);
	ck_assert_uint_eq(holders[0], by_cn(dir, "krbtgt"));
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/corpnet", holders, 2, &via_alias), 1);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CORP", holders, 2, &via_alias), 0);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CHILD", holders, 2, &via_alias), 0);
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CORP.EXAMPLE", holders, 2, &via_alias),
			  1);
	/* crossRefs are neither principals nor counted as anything but entries */
	ck_assert_uint_eq(kd_directory_count(dir), 1);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_netbios_absent)
{
	/* No crossRef: no krbtgt/NETBIOS alias guessed from the DNS name. */
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY USER("krbtgt", "502", "514") END);
	const struct kd_spn_holder *holders;
	size_t n = kd_directory_spn_holders(dir, &holders);
	uint32_t found[2];
	bool via_alias;

	ck_assert_ptr_null(kd_directory_domain(dir)->netbios_name);
	ck_assert(!kd_directory_coverage(dir)->netbios_name);
	ck_assert_uint_eq(n, 1);
	ck_assert(holders[0].implicit);
	ck_assert_str_eq(holders[0].spn, "krbtgt/CORP.EXAMPLE");
	ck_assert_uint_eq(kd_directory_find_spn(dir, "krbtgt/CORP", found, 2, &via_alias), 0);
	kd_directory_free(dir);
}
END_TEST

/*
 * Tier 0 beyond the privileged groups: the DC groups by member, DCSync holders on the
 * domain head, privileged sIDHistory; adminCount alone is not a reason.
 */
static const struct tu_ace head_dacl[] = {
	/* through a group */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS,
	 .sid = DOMSID "-2500", .object_type_guid = GET_CHANGES_ALL},
	/* inherit-only: for the objects below, not the head */
	{.type = KD_ACE_ALLOWED_OBJECT,
	 .flags = KD_ACE_FLAG_INHERIT_ONLY | KD_ACE_FLAG_CONTAINER_INHERIT,
	 .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = DOMSID "-2511",
	 .object_type_guid = GET_CHANGES_ALL},
	/* DS-Replication-Get-Changes alone reads no secrets */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS,
	 .sid = DOMSID "-2512", .object_type_guid = GET_CHANGES},
	/* every extended right */
	{.type = KD_ACE_ALLOWED, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = DOMSID "-2513"},
	{.type = KD_ACE_ALLOWED, .mask = KD_RIGHT_GENERIC_ALL, .sid = DOMSID "-2514"},
	/* read property on the right's GUID grants nothing */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = 0x10, .sid = DOMSID "-2515",
	 .object_type_guid = GET_CHANGES_ALL},
	/* conditional */
	{.type = KD_ACE_ALLOWED_CALLBACK_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS,
	 .sid = DOMSID "-2516", .object_type_guid = GET_CHANGES_ALL, .app_data = "artx",
	 .app_len = 4},
	{.type = KD_ACE_DENIED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = DOMSID "-2517",
	 .object_type_guid = GET_CHANGES_ALL},
	/* an object ACE without ObjectType: all extended rights */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = DOMSID "-2518"},
	/* Enterprise Domain Controllers and Everyone: not in the snapshot, skipped */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = "S-1-5-9",
	 .object_type_guid = GET_CHANGES_ALL},
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = "S-1-1-0",
	 .object_type_guid = GET_CHANGES_ALL},
	/* Domain Controllers hold it by default: their own reason comes first */
	{.type = KD_ACE_ALLOWED_OBJECT, .mask = KD_RIGHT_DS_CONTROL_ACCESS, .sid = DOMSID "-516",
	 .object_type_guid = GET_CHANGES_ALL},
};

#define DCSYNC "can replicate secrets from the domain (DCSync: DS-Replication-Get-Changes-All)"

/* In three parts: C11 compilers need not take string literals over 4095 bytes. */
static const char tier0_more_head_fmt[] =
	DOMAIN_AT("nTSecurityDescriptor:: %s\n")
	GROUP("Domain Admins", DOMSID "-512") MEMBER("WS09") MEMBER("nested") END
	GROUP("nested", DOMSID "-2536") END
	GROUP("Domain Controllers", DOMSID "-516") MEMBER("dcmember") MEMBER("SRV01") END
	GROUP("Read-only Domain Controllers", DOMSID "-521") MEMBER("rodcmember") END
	GROUP("Replicators", DOMSID "-2500") MEMBER("Inner") END
	GROUP("Inner", DOMSID "-2501") MEMBER("repl_user") MEMBER("REPL01") END "%s%s";

static const char tier0_more_dcsync[] =
	USER("repl_user", "2510", U_NORMAL) END
	COMPUTER("REPL01", "2509", U_WS) END
	USER("inherit_only", "2511", U_NORMAL) END
	USER("getchanges", "2512", U_NORMAL) END
	USER("allext", "2513", U_NORMAL) END
	USER("genall", "2514", U_NORMAL) END
	USER("readonly", "2515", U_NORMAL) END
	USER("conditional", "2516", U_NORMAL) END
	USER("denied", "2517", U_NORMAL) END
	USER("noobj", "2518", U_NORMAL) END
	USER("dcmember", "2520", U_NORMAL) END
	COMPUTER("SRV01", "2521", U_WS) END
	USER("rodcmember", "2522", U_NORMAL) END
	COMPUTER("WS09", "2523", U_WS) END
	COMPUTER("DC01", "2524", U_DC) "primaryGroupID: 516\n" END;

static const char tier0_more_history[] =
	USER("hist_da", "2530", U_NORMAL) "sIDHistory: " DOMSID "-512\n" END
	USER("hist_ea", "2531", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-1100\n"
	"sIDHistory: S-1-5-21-9-9-9-519\n" END
	USER("hist_ba", "2532", U_NORMAL) "sIDHistory: S-1-5-32-544\n" END
	USER("hist_plain", "2533", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-1100\n"
	"sIDHistory: S-1-5-32-545\n" END
	GROUP("hist_grp", DOMSID "-2534") "sIDHistory: S-1-5-21-9-9-9-518\n"
	MEMBER("hist_member") END
	USER("hist_member", "2535", U_NORMAL) END
	USER("hist_nest", "2537", U_NORMAL) "sIDHistory: " DOMSID "-2536\n" END
	USER("hist_krbtgt", "2538", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-502\n" END
	USER("hist_dc", "2539", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-516\n" END
	USER("stale", "2540", U_NORMAL) "adminCount: 1\n" END;

/* The snapshot above with @head as the domain head's descriptor (base64); free() it. */
static char *
tier0_more_text(const char *head)
{
	return tu_xprintf(tier0_more_head_fmt, head, tier0_more_dcsync, tier0_more_history);
}

static const struct tier0_case tier0_more_cases[] = {
	{"dcmember", true, "member of Domain Controllers", false},
	{"SRV01", true, "member of Domain Controllers", false},
	{"rodcmember", true, "member of Read-only Domain Controllers", false},
	{"DC01", true, "domain controller", false},
	{"Domain Controllers", true, "member of Domain Controllers", false},
	{"WS09", true, "member of Domain Admins", false}, /* a computer in a tier-0 group */
	{"Replicators", true, DCSYNC, false},
	{"Inner", true, DCSYNC, false},
	{"repl_user", true, DCSYNC, false},
	{"REPL01", true, DCSYNC, false},
	{"inherit_only", false, NULL, false},
	{"getchanges", false, NULL, false},
	{"allext", true, DCSYNC, false},
	{"genall", true, DCSYNC, false},
	{"readonly", false, NULL, false},
	{"conditional", false, NULL, false},
	{"denied", false, NULL, false},
	{"noobj", true, DCSYNC, false},
	{"hist_da", true, "sIDHistory carries Domain Admins", false},
	{"hist_ea", true, "sIDHistory carries Enterprise Admins (S-1-5-21-9-9-9-519)", false},
	{"hist_ba", true, "sIDHistory carries Administrators (S-1-5-32-544)", false},
	{"hist_plain", false, NULL, false},
	{"hist_grp", true, "sIDHistory carries Schema Admins (S-1-5-21-9-9-9-518)", false},
	{"hist_member", true, "sIDHistory carries Schema Admins (S-1-5-21-9-9-9-518)", false},
	{"hist_nest", true, "sIDHistory carries nested", false},
	{"hist_krbtgt", true, "sIDHistory carries krbtgt (S-1-5-21-9-9-9-502)", false},
	{"hist_dc", true, "sIDHistory carries Domain Controllers (S-1-5-21-9-9-9-516)", false},
	{"stale", false, NULL, false},
};

START_TEST(test_tier0_more)
{
	const struct tier0_case *c = &tier0_more_cases[_i];
	char *head = sd_b64("S-1-5-32-544", head_dacl, ARRAY_LEN(head_dacl));
	char *text = tier0_more_text(head);
	struct kd_directory *dir = load_ok(text);

	assert_tier0_case(dir, c);
	if (strcmp(c->cn, "stale") == 0)
		ck_assert(get_cn(dir, c->cn)->admin_count);
	free(head);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_tier0_without_head_dacl)
{
	/* The same domain without the head's descriptor: no DCSync holder can be named. */
	char *text = tier0_more_text("AQAEgA==");
	struct kd_directory *dir = load_ok(text);

	ck_assert(!get_cn(dir, "repl_user")->tier0);
	ck_assert(!get_cn(dir, "allext")->tier0);
	ck_assert(get_cn(dir, "dcmember")->tier0);
	ck_assert(!kd_directory_coverage(dir)->domain_descriptor);
	free(text);
	kd_directory_free(dir);
}
END_TEST

START_TEST(test_coverage)
{
	char *head = sd_b64("S-1-5-32-544", head_dacl, 1);
	char *comp = sd_b64(DOMSID "-512", computer_aces, ARRAY_LEN(computer_aces));
	char *text;
	struct kd_directory *dir = load_ok(DOMAIN_AT("") USER("alice", "2601", U_NORMAL) END
					   GROUP("grp", DOMSID "-2602") END);
	const struct kd_coverage *c = kd_directory_coverage(dir);

	ck_assert_uint_eq(c->accounts, 1);
	ck_assert_uint_eq(c->descriptors, 0);
	ck_assert(!c->domain_descriptor && !c->functional_level && !c->machine_quota);
	ck_assert(!c->netbios_name && !c->spn_mappings);
	ck_assert(c->trusts);
	kd_directory_free(dir);

	text = tu_xprintf(DOMAIN_AT("msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 0\n"
				    "nTSecurityDescriptor:: %s\n")
			  COMPUTER("WS01", "2603", U_WS) "nTSecurityDescriptor:: %s\n" END
			  USER("bob", "2604", U_NORMAL) END
			  "dn: CN=p.example," SYSTEM "\nobjectClass: trustedDomain\n"
			  "trustAttributes: 8\ntrustDirection: 3\n" END
			  "dn: " SPN_MAPPINGS_DN "\nsPNMappings: host=http\n" END
			  CROSS_REF("CORP"),
			  head, comp);
	dir = load_ok(text);
	c = kd_directory_coverage(dir);
	ck_assert_uint_eq(c->accounts, 2);
	ck_assert_uint_eq(c->descriptors, 1);
	ck_assert(c->domain_descriptor && c->functional_level && c->machine_quota);
	ck_assert(c->netbios_name && c->spn_mappings && c->trusts);
	free(head);
	free(comp);
	free(text);
	kd_directory_free(dir);
}
END_TEST

/*
 * What `kdeleg collect` writes (kd_ldif_write_entry) reads back to the same model:
 * binary descriptors and SIDs go out in base64, crossRefs and trusts as text.
 */
START_TEST(test_collected_round_trip)
{
	char *head = sd_b64("S-1-5-32-544", head_dacl, ARRAY_LEN(head_dacl));
	char *hist = sid_b64("S-1-5-21-9-9-9-519");
	char *text = tier0_more_text(head);
	char *all = tu_xprintf("%s" USER("migrated", "2701", U_NORMAL) "sIDHistory:: %s\n" END
			       "dn: CN=partner.example," SYSTEM "\nobjectClass: trustedDomain\n"
			       "trustPartner: partner.example\ntrustAttributes: 2056\n"
			       "trustDirection: 3\ntrustType: 2\n" END CROSS_REF("CORPNET"),
			       text, hist);
	FILE *in = fmemopen(all, strlen(all), "r"), *out;
	char *written = NULL;
	size_t written_len = 0;
	struct kd_ldif *ldif = NULL;
	const struct kd_entry *e;
	struct kd_error err;
	struct kd_directory *a, *b;
	const struct kd_trust *ta, *tb;

	kd_error_clear(&err);
	ck_assert_ptr_nonnull(in);
	out = open_memstream(&written, &written_len);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(kd_ldif_open(in, "test", kd_directory_attributes, &ldif, &err), 0);
	ck_assert_int_eq(kd_ldif_write_header(out, "ldap://dc1.corp.example", "full", 0, &err), 0);
	size_t nwritten = 0;

	while (kd_ldif_next(ldif, &e, &err) == 0 && e) {
		ck_assert_int_eq(kd_ldif_write_entry(out, e, &err), 0);
		nwritten++;
	}
	ck_assert_int_eq(err.code, 0);
	/* a kdeleg snapshot is read only with its trailer (issue 15) */
	ck_assert_int_eq(kd_ldif_write_trailer(out, nwritten, &err), 0);
	kd_ldif_free(ldif);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);

	a = load_ok(all);
	b = load_ok(written);
	ck_assert_uint_eq(kd_directory_count(a), kd_directory_count(b));
	for (uint32_t i = 0; i < kd_directory_count(a); i++) {
		const struct kd_principal *pa = kd_directory_get(a, i);
		const struct kd_principal *pb = kd_directory_get(b, i);

		ck_assert_str_eq(pa->dn, pb->dn);
		ck_assert_int_eq(pa->tier0, pb->tier0);
		if (pa->tier0_reason)
			ck_assert_str_eq(pa->tier0_reason, pb->tier0_reason);
		ck_assert_uint_eq(pa->nsid_history, pb->nsid_history);
		for (uint32_t k = 0; k < pa->nsid_history; k++)
			ck_assert(kd_sid_equal(&pa->sid_history[k], &pb->sid_history[k]));
	}
	ck_assert_str_eq(get_cn(b, "migrated")->tier0_reason,
			 "sIDHistory carries Enterprise Admins (S-1-5-21-9-9-9-519)");
	ck_assert_ptr_nonnull(kd_directory_domain(b)->sd);
	ck_assert_uint_eq(kd_directory_domain(b)->sd->dacl.count, ARRAY_LEN(head_dacl));
	ck_assert_str_eq(kd_directory_domain(b)->netbios_name, "CORPNET");
	ck_assert_uint_eq(kd_directory_trusts(a, &ta), 1);
	ck_assert_uint_eq(kd_directory_trusts(b, &tb), 1);
	ck_assert_str_eq(tb[0].partner, ta[0].partner);
	ck_assert_uint_eq(tb[0].attributes, ta[0].attributes);
	ck_assert(memcmp(kd_directory_coverage(a), kd_directory_coverage(b),
			 sizeof(struct kd_coverage)) == 0);
	kd_directory_free(a);
	kd_directory_free(b);
	free(written);
	free(all);
	free(text);
	free(hist);
	free(head);
}
END_TEST

START_TEST(test_finish_twice_and_add_after)
{
	struct kd_directory *dir = load_ok(DOMAIN_ENTRY);
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_directory_finish(dir, &err), KD_ERR_USAGE);
	kd_directory_free(dir);
	kd_directory_free(NULL);
}
END_TEST

Suite *kd_directory_suite(void);

Suite *
kd_directory_suite(void)
{
	Suite *s = suite_create("directory");
	TCase *tc;

	tc = tcase_create("kinds");
	tcase_add_loop_test(tc, test_kinds, 0, ARRAY_LEN(kind_cases));
	tcase_add_test(tc, test_kinds_skip_non_principals);
	suite_add_tcase(s, tc);

	tc = tcase_create("domain");
	tcase_add_test(tc, test_domain_from_object);
	tcase_add_test(tc, test_domain_inferred);
	tcase_add_test(tc, test_domain_none);
	tcase_add_test(tc, test_domain_two_heads);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_dn_lookup_case_insensitive);
	tcase_add_test(tc, test_duplicate_dn);
	tcase_add_test(tc, test_duplicate_sid);
	tcase_add_test(tc, test_binary_sid);
	tcase_add_test(tc, test_finish_twice_and_add_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("membership");
	tcase_add_test(tc, test_member_only);
	tcase_add_test(tc, test_member_of_only);
	tcase_add_test(tc, test_member_both_deduped);
	tcase_add_test(tc, test_member_primary_group);
	tcase_add_test(tc, test_member_of_non_group_ignored);
	tcase_add_test(tc, test_member_order_and_spellings);
	tcase_add_test(tc, test_expand_group_input_order);
	tcase_add_test(tc, test_nesting_cycle);
	suite_add_tcase(s, tc);

	tc = tcase_create("tier0");
	tcase_add_loop_test(tc, test_tier0, 0, ARRAY_LEN(tier0_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("spn-index");
	tcase_add_loop_test(tc, test_spn_lookup, 0, ARRAY_LEN(spn_cases));
	tcase_add_test(tc, test_spn_lookup_max);
	tcase_add_test(tc, test_spn_long_chain);
	tcase_add_test(tc, test_spn_holders_implicit_krbtgt);
	tcase_add_test(tc, test_spn_bad_value);
	tcase_add_test(tc, test_spn_no_krbtgt_without_domain_rid);
	tcase_add_test(tc, test_spn_custom_mappings);
	tcase_add_test(tc, test_spn_bad_mappings_keep_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("descriptors");
	tcase_add_test(tc, test_descriptors);
	tcase_add_test(tc, test_descriptors_many);
	tcase_add_test(tc, test_descriptor_malformed);
	tcase_add_test(tc, test_collected_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("sid-history-trusts-netbios");
	tcase_add_test(tc, test_sid_history);
	tcase_add_test(tc, test_trusts);
	tcase_add_test(tc, test_trusts_coverage);
	tcase_add_test(tc, test_netbios_from_cross_ref);
	tcase_add_test(tc, test_netbios_absent);
	tcase_add_test(tc, test_coverage);
	suite_add_tcase(s, tc);

	tc = tcase_create("tier0-more");
	tcase_add_loop_test(tc, test_tier0_more, 0, ARRAY_LEN(tier0_more_cases));
	tcase_add_test(tc, test_tier0_without_head_dacl);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-values");
	tcase_add_loop_test(tc, test_bad_values, 0, ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_bad_rbcd_descriptor);
	tcase_add_test(tc, test_rbcd_states);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_directory_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
