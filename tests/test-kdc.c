/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the KDC model: tokens per principal (src/token.c), the RBCD access
 * check, delegability, S4U2Self and S4U2Proxy with their steps (src/kdc.c), and who
 * can write msDS-AllowedToActOnBehalfOfOtherIdentity (src/access.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/access.h"
#include "kdeleg/arena.h"
#include "kdeleg/directory.h"
#include "kdeleg/edge.h"
#include "kdeleg/kdc.h"
#include "kdeleg/secdesc.h"
#include "kdeleg/token.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the fixture: a directory, its tokens and its KDC ---- */

#define FSP_DN(sid) "CN=" sid ",CN=ForeignSecurityPrincipals," BASE
#define FSP(sid)                                                                              \
	"dn: " FSP_DN(sid) "\nobjectClass: top\nobjectClass: foreignSecurityPrincipal\n"      \
	"objectSid: " sid "\n"

/* userAccountControl: WORKSTATION_TRUST | PARTIAL_SECRETS | TRUSTED_TO_AUTH (an RODC) */
#define U_RODC "83890176"
#define U_WS_PT "16781312" /* WORKSTATION_TRUST | TRUSTED_TO_AUTH_FOR_DELEGATION */
#define U_WS_DISABLED "4098"

#define RBCD_GUID KD_GUID_RBCD_ATTRIBUTE
#define PROPSET_GUID KD_GUID_USER_ACCOUNT_RESTRICTIONS
#define SPN_GUID "f3a64788-5306-11d1-a9c5-0000f80367c1" /* servicePrincipalName */

struct fx {
	struct kd_directory *dir;
	struct kd_tokens *tokens;
	struct kd_kdc *kdc;
	struct kd_arena *arena; /* descriptors and SIDs the tests attach */
};

static void
fx_load(struct fx *f, const char *text)
{
	struct kd_error err;

	memset(f, 0, sizeof(*f));
	ck_assert_msg(tu_load_directory(text, &f->dir, &err) == 0, "load: %s", err.message);
	f->arena = kd_arena_new();
	ck_assert_ptr_nonnull(f->arena);
}

/* Tokens and KDC over the loaded (and possibly patched) directory. */
static void
fx_start(struct fx *f)
{
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_tokens_new(f->dir, &f->tokens, &err), 0);
	ck_assert_int_eq(kd_kdc_new(f->dir, f->tokens, &f->kdc, &err), 0);
}

static void
fx_free(struct fx *f)
{
	kd_kdc_free(f->kdc);
	kd_tokens_free(f->tokens);
	kd_directory_free(f->dir);
	kd_arena_free(f->arena);
}

/* The index of the account CN=@cn,CN=Users; fails the test when there is none. */
static uint32_t
idx(const struct fx *f, const char *cn)
{
	char dn[256];
	uint32_t i;

	snprintf(dn, sizeof(dn), "CN=%s," USERS, cn);
	i = kd_directory_find_dn(f->dir, dn);
	ck_assert_msg(i != KD_NONE, "no account %s", cn);
	return i;
}

static struct kd_sid
sid_of(const char *text)
{
	struct kd_sid sid;

	ck_assert_msg(kd_sid_from_string(text, &sid, NULL) == 0, "bad SID %s", text);
	return sid;
}

/* The fixtures carry sIDHistory and nTSecurityDescriptor as LDIF attributes: the
 * directory must have read them (the models below are tested on what it read). */
static void
expect_history(struct fx *f, const char *cn, const char *sid_text)
{
	const struct kd_principal *p = kd_directory_get(f->dir, idx(f, cn));
	struct kd_sid want = sid_of(sid_text);

	ck_assert_msg(p->nsid_history == 1, "%s: %u sIDHistory values read", cn,
		      (unsigned)p->nsid_history);
	ck_assert(kd_sid_equal(&p->sid_history[0], &want));
}

static void
expect_sd(struct fx *f, uint32_t i, const struct tu_buf *sd_bytes)
{
	(void)sd_bytes;
	ck_assert_msg(kd_directory_get(f->dir, i)->sd != NULL, "no descriptor read");
}

/* "@attr:: <base64 of @b>\n", malloc'd. */
static char *
b64_line(const char *attr, const struct tu_buf *b)
{
	char *b64 = tu_base64(b->data, b->len), *line;

	line = tu_xprintf("%s:: %s\n", attr, b64);
	free(b64);
	return line;
}

static bool
any_step_says(const struct kd_decision *d, const char *text)
{
	for (size_t k = 0; k < d->nsteps; k++)
		if (strstr(d->steps[k].why, text))
			return true;
	return false;
}

static void
dump_steps(const char *name, const struct kd_decision *d)
{
	fprintf(stderr, "%s: verdict %s, ace %u\n", name, kd_verdict_name(d->verdict),
		(unsigned)d->ace);
	for (size_t k = 0; k < d->nsteps; k++)
		fprintf(stderr, "  [%s] %s: %s\n", kd_verdict_name(d->steps[k].outcome),
			d->steps[k].check, d->steps[k].why);
}

/* ---- tokens ---- */

static const char token_ldif[] =
	USER("alice", "3001", U_NORMAL) "primaryGroupID: 513\n" MEMBER_OF("Inner") END
	GROUP("Inner", DOMSID "-3101") END
	GROUP("Outer", DOMSID "-3102") MEMBER("Inner") END
	GROUP("Top", DOMSID "-3103") MEMBER("Outer") END
	GROUP("Unrelated", DOMSID "-3104") END
	/* a primary group the snapshot does not hold, and one it holds without member */
	USER("bob", "3002", U_NORMAL) "primaryGroupID: 3999\n" END
	USER("carol", "3003", U_NORMAL) "primaryGroupID: 3105\n" END
	GROUP("AppServers", DOMSID "-3105") END
	/* Authenticated Users in Pre-Windows 2000 Compatible Access, nested once more */
	FSP("S-1-5-11") END
	GROUP("Pre-Windows 2000 Compatible Access", "S-1-5-32-554")
	"member: " FSP_DN("S-1-5-11") "\n" END
	GROUP("Legacy Apps", DOMSID "-3106") MEMBER("Pre-Windows 2000 Compatible Access")
	"sIDHistory: S-1-5-21-9-9-9-1700\n" END
	/* sIDHistory of an account and of a group */
	USER("dave", "3004", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-1500\n" END
	GROUP("Migrated", DOMSID "-3107") "sIDHistory: S-1-5-21-9-9-9-1600\n" MEMBER("erin") END
	USER("erin", "3005", U_NORMAL) END
	COMPUTER("RODC1", "3006", U_RODC) "primaryGroupID: 521\n" END;

static void
token_fixture(struct fx *f)
{
	char *text = tu_xprintf("%s%s", BASE_LDIF, token_ldif);

	fx_load(f, text);
	free(text);
	expect_history(f, "dave", "S-1-5-21-9-9-9-1500");
	expect_history(f, "Migrated", "S-1-5-21-9-9-9-1600");
	expect_history(f, "Legacy Apps", "S-1-5-21-9-9-9-1700");
	fx_start(f);
}

struct token_case {
	const char *who; /* a CN under CN=Users */
	const char *sid;
	enum kd_token_answer want;
	bool has_why;    /* a well-known SID: the answer comes with a reason */
};

static const struct token_case token_cases[] = {
	/* own SID, transitive groups, primary group */
	{"alice", DOMSID "-3001", KD_TOKEN_YES, false},
	{"alice", DOMSID "-3101", KD_TOKEN_YES, false},
	{"alice", DOMSID "-3102", KD_TOKEN_YES, false},
	{"alice", DOMSID "-3103", KD_TOKEN_YES, false},
	{"alice", DOMSID "-3104", KD_TOKEN_NO, false},
	{"alice", DOMSID "-513", KD_TOKEN_YES, false},
	{"alice", DOMSID "-512", KD_TOKEN_NO, false},
	/* a primary group missing from the snapshot still shows in the PAC */
	{"bob", DOMSID "-3999", KD_TOKEN_YES, false},
	{"bob", DOMSID "-3998", KD_TOKEN_NO, false},
	{"bob", DOMSID "-513", KD_TOKEN_NO, false},
	{"carol", DOMSID "-3105", KD_TOKEN_YES, false},
	/* groups holding Authenticated Users are in every token, nested ones too */
	{"alice", "S-1-5-32-554", KD_TOKEN_YES, false},
	{"bob", "S-1-5-32-554", KD_TOKEN_YES, false},
	{"bob", DOMSID "-3106", KD_TOKEN_YES, false},
	{"DC01", DOMSID "-3106", KD_TOKEN_YES, false},
	/* sIDHistory of the principal, of a group it is in; not of others */
	{"dave", "S-1-5-21-9-9-9-1500", KD_TOKEN_YES, false},
	{"erin", "S-1-5-21-9-9-9-1600", KD_TOKEN_YES, false},
	{"erin", DOMSID "-3107", KD_TOKEN_YES, false},
	{"alice", "S-1-5-21-9-9-9-1500", KD_TOKEN_NO, false},
	{"alice", "S-1-5-21-9-9-9-1600", KD_TOKEN_NO, false},
	{"dave", "S-1-5-21-9-9-9-1600", KD_TOKEN_NO, false},
	/* ...and of a group every token holds */
	{"alice", "S-1-5-21-9-9-9-1700", KD_TOKEN_YES, false},
	/* well-known SIDs the KDC adds, or never adds */
	{"alice", "S-1-1-0", KD_TOKEN_YES, true},
	{"alice", "S-1-5-2", KD_TOKEN_YES, true},
	{"alice", "S-1-5-11", KD_TOKEN_YES, true},
	{"alice", "S-1-18-1", KD_TOKEN_YES, true},
	{"alice", "S-1-18-2", KD_TOKEN_NO, true},
	{"alice", "S-1-5-10", KD_TOKEN_NO, true},
	{"alice", "S-1-5-7", KD_TOKEN_NO, true},
	{"alice", "S-1-5-15", KD_TOKEN_UNCERTAIN, true},
	{"alice", "S-1-5-18", KD_TOKEN_NO, true},
	{"alice", "S-1-3-4", KD_TOKEN_NO, true},
	/* Enterprise Domain Controllers: writable DCs only */
	{"alice", "S-1-5-9", KD_TOKEN_NO, true},
	{"DC01", "S-1-5-9", KD_TOKEN_YES, true},
	{"RODC1", "S-1-5-9", KD_TOKEN_NO, true},
	{"DC01", DOMSID "-516", KD_TOKEN_YES, false},
	/* a group's own token: the one of an account holding only that SID */
	{"Inner", DOMSID "-3103", KD_TOKEN_YES, false},
	{"Top", DOMSID "-3101", KD_TOKEN_NO, false},
};

START_TEST(test_token_has)
{
	const struct token_case *c = &token_cases[_i];
	struct fx f;
	struct kd_sid sid = sid_of(c->sid);
	const char *why = "unset";
	int r;

	token_fixture(&f);
	r = kd_tokens_has(f.tokens, idx(&f, c->who), &sid, &why);
	ck_assert_msg(r == (int)c->want, "%s has %s: %d, want %d", c->who, c->sid, r,
		      (int)c->want);
	if (c->has_why)
		ck_assert_msg(why != NULL && why[0], "%s: no reason", c->sid);
	else
		ck_assert_msg(why == NULL, "%s: reason '%s' for a non-well-known SID", c->sid,
			      why);
	/* asked again: the cached token gives the same answer */
	ck_assert_int_eq(kd_tokens_has(f.tokens, idx(&f, c->who), &sid, NULL), r);
	fx_free(&f);
}
END_TEST

START_TEST(test_token_groups)
{
	const char *const want[] = {"Inner", "Outer", "Top", "Domain Users",
				    "Pre-Windows 2000 Compatible Access", "Legacy Apps"};
	struct fx f;
	const uint32_t *groups, *again;
	size_t n;

	token_fixture(&f);
	n = kd_tokens_groups(f.tokens, idx(&f, "alice"), &groups);
	ck_assert_uint_eq(n, ARRAY_LEN(want));
	for (size_t k = 0; k < ARRAY_LEN(want); k++) {
		uint32_t g = idx(&f, want[k]);
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found |= groups[j] == g;
		ck_assert_msg(found, "alice's token lacks %s", want[k]);
	}
	for (size_t j = 1; j < n; j++)
		ck_assert_uint_lt(groups[j - 1], groups[j]);
	/* built once: the same array the second time */
	ck_assert_uint_eq(kd_tokens_groups(f.tokens, idx(&f, "alice"), &again), n);
	ck_assert_ptr_eq(again, groups);
	/* the primary group held in the snapshot is a group of the token */
	n = kd_tokens_groups(f.tokens, idx(&f, "carol"), &groups);
	ck_assert_uint_eq(n, 3); /* AppServers, Pre-Windows 2000..., Legacy Apps */
	fx_free(&f);
}
END_TEST

struct sid_token_case {
	const char *holder;
	const char *sid;
	enum kd_token_answer want;
};

static const struct sid_token_case sid_token_cases[] = {
	/* a SID the snapshot does not hold: itself, and what every token holds */
	{"S-1-5-21-9-9-9-1105", "S-1-5-21-9-9-9-1105", KD_TOKEN_YES},
	{"S-1-5-21-9-9-9-1105", "S-1-5-11", KD_TOKEN_YES},
	{"S-1-5-21-9-9-9-1105", "S-1-18-1", KD_TOKEN_YES},
	{"S-1-5-21-9-9-9-1105", "S-1-5-32-554", KD_TOKEN_YES},
	{"S-1-5-21-9-9-9-1105", DOMSID "-3106", KD_TOKEN_YES},
	{"S-1-5-21-9-9-9-1105", DOMSID "-513", KD_TOKEN_NO},
	{"S-1-5-21-9-9-9-1105", DOMSID "-3101", KD_TOKEN_NO},
	{"S-1-5-21-9-9-9-1105", "S-1-18-2", KD_TOKEN_NO},
	{"S-1-5-21-9-9-9-1105", "S-1-5-10", KD_TOKEN_NO},
	{"S-1-5-21-9-9-9-1105", "S-1-5-9", KD_TOKEN_NO},
	{"S-1-5-21-9-9-9-1105", "S-1-5-15", KD_TOKEN_UNCERTAIN},
	{"S-1-5-21-9-9-9-1105", "S-1-5-21-9-9-9-1106", KD_TOKEN_NO},
	/* the sIDHistory of a group every token holds */
	{"S-1-5-21-9-9-9-1105", "S-1-5-21-9-9-9-1700", KD_TOKEN_YES},
	/* a SID the snapshot holds: that principal's token */
	{DOMSID "-3001", DOMSID "-3103", KD_TOKEN_YES},
	{DOMSID "-1000", "S-1-5-9", KD_TOKEN_YES},
	/* a well-known SID as holder */
	{"S-1-5-11", "S-1-5-32-554", KD_TOKEN_YES},
	{"S-1-1-0", "S-1-5-11", KD_TOKEN_YES},
};

START_TEST(test_token_sid_has)
{
	const struct sid_token_case *c = &sid_token_cases[_i];
	struct fx f;
	struct kd_sid holder = sid_of(c->holder), sid = sid_of(c->sid);
	int r;

	token_fixture(&f);
	r = kd_tokens_sid_has(f.tokens, &holder, &sid, NULL);
	ck_assert_msg(r == (int)c->want, "%s has %s: %d, want %d", c->holder, c->sid, r,
		      (int)c->want);
	fx_free(&f);
}
END_TEST

START_TEST(test_token_universal)
{
	static const char *const yes[] = {"S-1-1-0", "S-1-5-2", "S-1-5-11", "S-1-18-1"};
	static const char *const no[] = {"S-1-18-2", "S-1-5-15", "S-1-5-10", "S-1-5-7",
					 "S-1-5-9", "S-1-5-32-545", "S-1-5-32-554",
					 DOMSID "-513", "S-1-1", "S-1-5-11-1"};

	for (size_t k = 0; k < ARRAY_LEN(yes); k++) {
		struct kd_sid s = sid_of(yes[k]);

		ck_assert_msg(kd_token_sid_universal(&s), "%s not universal", yes[k]);
	}
	for (size_t k = 0; k < ARRAY_LEN(no); k++) {
		struct kd_sid s = sid_of(no[k]);

		ck_assert_msg(!kd_token_sid_universal(&s), "%s universal", no[k]);
	}
}
END_TEST

/* ---- the RBCD access check ---- */

#define SID_FRONT DOMSID "-2101"
#define SID_WEB DOMSID "-2200"
#define SID_OTHER DOMSID "-2102"
#define SID_FOREIGN "S-1-5-21-9-9-9-1105"

#define ALLOW(s) {.type = 0x00, .mask = 0x100, .sid = (s)}
#define DENY(s) {.type = 0x01, .mask = 0x100, .sid = (s)}
#define CB_ALLOW(s) {.type = 0x09, .mask = 0x100, .sid = (s), .app_data = "artx", .app_len = 4}
#define CB_DENY(s) {.type = 0x0a, .mask = 0x100, .sid = (s), .app_data = "artx", .app_len = 4}

static const char rbcd_people[] =
	COMPUTER("FRONT", "2101", U_WS) SPN("HOST/front.corp.example") END
	COMPUTER("OTHER", "2102", U_WS) END
	GROUP("Web", SID_WEB) MEMBER("FRONT") END;

enum rbcd_mode { M_DACL, M_NULL_DACL, M_MALFORMED, M_ABSENT };

struct rbcd_case {
	const char *name;
	struct tu_ace aces[4];
	size_t naces;
	enum rbcd_mode mode;
	const char *front;       /* a CN, or a SID (kd_kdc_rbcd_sid) */
	enum kd_verdict verdict;
	uint32_t ace;            /* the deciding ACE, or KD_NONE */
	enum kd_verdict last;    /* the last step's outcome */
};

#define NONE KD_NONE
#define V_YES KD_VERDICT_YES
#define V_NO KD_VERDICT_NO
#define V_COND KD_VERDICT_CONDITIONAL
#define V_UNC KD_VERDICT_UNCERTAIN

static const struct rbcd_case rbcd_cases[] = {
	{"allow", {ALLOW(SID_FRONT)}, 1, M_DACL, "FRONT", V_YES, 0, V_YES},
	{"allow-other", {ALLOW(SID_OTHER)}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"allow-full-mask", {{.type = 0, .mask = 0xf01ff, .sid = SID_FRONT}}, 1, M_DACL, "FRONT",
	 V_YES, 0, V_YES},
	{"allow-group", {ALLOW(SID_WEB)}, 1, M_DACL, "FRONT", V_YES, 0, V_YES},
	/* the first ACE that matches decides */
	{"deny-then-allow", {DENY(SID_FRONT), ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT", V_NO, 0,
	 V_NO},
	{"allow-then-deny", {ALLOW(SID_FRONT), DENY(SID_FRONT)}, 2, M_DACL, "FRONT", V_YES, 0,
	 V_YES},
	{"deny-group-then-allow", {DENY(SID_WEB), ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT", V_NO, 0,
	 V_NO},
	{"deny-other-then-allow", {DENY(SID_OTHER), ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT", V_YES,
	 1, V_YES},
	{"deny-everyone-then-allow", {DENY("S-1-1-0"), ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT",
	 V_NO, 0, V_NO},
	/* object ACEs take no part, with or without an ObjectType */
	{"object-allow-with-type",
	 {{.type = 0x05, .mask = 0x100, .sid = SID_FRONT, .object_type_guid = RBCD_GUID}}, 1,
	 M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"object-allow-without-type", {{.type = 0x05, .mask = 0x100, .sid = SID_FRONT}}, 1,
	 M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"object-deny-then-allow",
	 {{.type = 0x06, .mask = 0x100, .sid = SID_FRONT}, ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT",
	 V_YES, 1, V_YES},
	{"object-deny-with-type-then-allow",
	 {{.type = 0x06, .mask = 0x100, .sid = SID_FRONT, .object_type_guid = RBCD_GUID},
	  ALLOW(SID_FRONT)},
	 2, M_DACL, "FRONT", V_YES, 1, V_YES},
	{"callback-object-allow",
	 {{.type = 0x0b, .mask = 0x100, .sid = SID_FRONT, .app_data = "artx", .app_len = 4}}, 1,
	 M_DACL, "FRONT", V_NO, NONE, V_NO},
	/* callback (conditional) ACEs */
	{"callback-allow", {CB_ALLOW(SID_FRONT)}, 1, M_DACL, "FRONT", V_COND, NONE, V_NO},
	{"callback-deny-then-allow", {CB_DENY(SID_FRONT), ALLOW(SID_FRONT)}, 2, M_DACL, "FRONT",
	 V_COND, 1, V_YES},
	{"callback-allow-then-deny", {CB_ALLOW(SID_FRONT), DENY(SID_FRONT)}, 2, M_DACL, "FRONT",
	 V_COND, 1, V_NO},
	{"callback-allow-then-allow", {CB_ALLOW(SID_FRONT), ALLOW(SID_FRONT)}, 2, M_DACL,
	 "FRONT", V_YES, 1, V_YES},
	{"callback-deny-then-deny", {CB_DENY(SID_FRONT), DENY(SID_FRONT)}, 2, M_DACL, "FRONT",
	 V_NO, 1, V_NO},
	{"callback-allow-other", {CB_ALLOW(SID_OTHER)}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	/* This Organization: not documented for a Windows KDC, absent from Samba's token */
	{"allow-this-organization", {ALLOW("S-1-5-15")}, 1, M_DACL, "FRONT", V_UNC, NONE, V_NO},
	{"deny-this-organization-then-authenticated", {DENY("S-1-5-15"), ALLOW("S-1-5-11")}, 2,
	 M_DACL, "FRONT", V_UNC, 1, V_YES},
	{"deny-this-organization-then-authenticated-sid", {DENY("S-1-5-15"), ALLOW("S-1-5-11")},
	 2, M_DACL, SID_FOREIGN, V_UNC, 1, V_YES},
	/* SIDs the front end's own token carries or never carries */
	{"allow-s-1-18-1", {ALLOW("S-1-18-1")}, 1, M_DACL, "FRONT", V_YES, 0, V_YES},
	{"allow-s-1-18-2", {ALLOW("S-1-18-2")}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"deny-s-1-18-2-then-authenticated", {DENY("S-1-18-2"), ALLOW("S-1-5-11")}, 2, M_DACL,
	 "FRONT", V_YES, 1, V_YES},
	{"allow-self", {ALLOW("S-1-5-10")}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"allow-anonymous", {ALLOW("S-1-5-7")}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"allow-enterprise-dcs-dc", {ALLOW("S-1-5-9")}, 1, M_DACL, "DC01", V_YES, 0, V_YES},
	{"allow-enterprise-dcs-member", {ALLOW("S-1-5-9")}, 1, M_DACL, "FRONT", V_NO, NONE, V_NO},
	/* rights and flags */
	{"generic-all-only", {{.type = 0, .mask = 0x10000000, .sid = SID_FRONT}}, 1, M_DACL,
	 "FRONT", V_NO, NONE, V_NO},
	{"write-property-only", {{.type = 0, .mask = 0x20, .sid = SID_FRONT}}, 1, M_DACL,
	 "FRONT", V_NO, NONE, V_NO},
	{"deny-without-control-access",
	 {{.type = 1, .mask = 0x10000000, .sid = SID_FRONT}, ALLOW(SID_FRONT)}, 2, M_DACL,
	 "FRONT", V_YES, 1, V_YES},
	{"inherit-only-allow", {{.type = 0, .flags = 0x08, .mask = 0x100, .sid = SID_FRONT}}, 1,
	 M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"inherit-only-deny-then-allow",
	 {{.type = 1, .flags = 0x08, .mask = 0x100, .sid = SID_FRONT}, ALLOW(SID_FRONT)}, 2,
	 M_DACL, "FRONT", V_YES, 1, V_YES},
	{"inherited-allow", {{.type = 0, .flags = 0x10, .mask = 0x100, .sid = SID_FRONT}}, 1,
	 M_DACL, "FRONT", V_YES, 0, V_YES},
	/* the descriptor itself */
	{"null-dacl", {{0}}, 0, M_NULL_DACL, "FRONT", V_YES, NONE, V_YES},
	{"empty-dacl", {{0}}, 0, M_DACL, "FRONT", V_NO, NONE, V_NO},
	{"absent", {{0}}, 0, M_ABSENT, "FRONT", V_NO, NONE, V_NO},
	{"malformed", {ALLOW(SID_FRONT)}, 1, M_MALFORMED, "FRONT", V_NO, NONE, V_NO},
	/* a front end known by its SID only */
	{"sid-allow-itself", {ALLOW(SID_FOREIGN)}, 1, M_DACL, SID_FOREIGN, V_YES, 0, V_YES},
	{"sid-allow-authenticated", {ALLOW("S-1-5-11")}, 1, M_DACL, SID_FOREIGN, V_YES, 0,
	 V_YES},
	{"sid-allow-domain-computers", {ALLOW(DOMSID "-515")}, 1, M_DACL, SID_FOREIGN, V_NO,
	 NONE, V_NO},
	{"sid-deny-everyone-then-itself", {DENY("S-1-1-0"), ALLOW(SID_FOREIGN)}, 2, M_DACL,
	 SID_FOREIGN, V_NO, 0, V_NO},
	{"sid-in-snapshot", {ALLOW(SID_WEB)}, 1, M_DACL, SID_FRONT, V_YES, 0, V_YES},
};

static void
rbcd_fixture(struct fx *f, const struct rbcd_case *c)
{
	struct tu_buf sd = {0};
	char *line = NULL, *text;

	if (c->mode != M_ABSENT) {
		tu_sd_build(&sd, "S-1-5-32-544", c->mode != M_NULL_DACL, c->aces, c->naces);
		if (c->mode == M_MALFORMED)
			sd.len -= 6;
		line = b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", &sd);
	}
	text = tu_xprintf("%s%s" COMPUTER("RES", "2300", U_WS) "%s" END, BASE_LDIF, rbcd_people,
			  line ? line : "");
	fx_load(f, text);
	fx_start(f);
	free(text);
	free(line);
	tu_buf_free(&sd);
}

static void
rbcd_ask(struct fx *f, const char *front, struct kd_decision *d)
{
	uint32_t res = idx(f, "RES");

	if (strncmp(front, "S-", 2) == 0) {
		struct kd_sid sid = sid_of(front);

		ck_assert_int_eq(kd_kdc_rbcd_sid(f->kdc, res, &sid, d), 0);
	} else {
		ck_assert_int_eq(kd_kdc_rbcd(f->kdc, res, idx(f, front), d), 0);
	}
}

START_TEST(test_rbcd_check)
{
	const struct rbcd_case *c = &rbcd_cases[_i];
	struct kd_decision d;
	struct fx f;
	const struct kd_step *last;

	rbcd_fixture(&f, c);
	rbcd_ask(&f, c->front, &d);
	if (d.verdict != c->verdict || d.ace != c->ace)
		dump_steps(c->name, &d);
	ck_assert_msg(d.verdict == c->verdict, "%s: verdict %s, want %s", c->name,
		      kd_verdict_name(d.verdict), kd_verdict_name(c->verdict));
	ck_assert_msg(d.ace == c->ace, "%s: deciding ACE %u, want %u", c->name, (unsigned)d.ace,
		      (unsigned)c->ace);
	if (d.verdict == KD_VERDICT_NO)
		ck_assert_ptr_null(d.mechanism);
	else
		ck_assert_str_eq(d.mechanism, "resource-based");
	ck_assert_msg(d.nsteps > 0 && d.nsteps <= KD_STEPS_MAX, "%s: %zu steps", c->name,
		      d.nsteps);
	last = &d.steps[d.nsteps - 1];
	ck_assert_msg(last->outcome == c->last, "%s: last step %s, want %s", c->name,
		      kd_verdict_name(last->outcome), kd_verdict_name(c->last));
	ck_assert_ptr_nonnull(last->check);
	ck_assert_msg(last->why[0] != '\0', "%s: a step without a reason", c->name);
	/* the deciding step names the deciding ACE */
	if (c->ace != KD_NONE)
		ck_assert_uint_eq(last->ace, c->ace);
	/* every step that read an ACE names one of the DACL */
	for (size_t k = 0; k < d.nsteps; k++)
		ck_assert(d.steps[k].ace == KD_NONE || d.steps[k].ace < c->naces);
	fx_free(&f);
}
END_TEST

/* The steps say why, in the terms of the protocol. */
START_TEST(test_rbcd_steps_text)
{
	static const struct rbcd_case cond = {"callback-deny-then-allow",
					      {CB_DENY(SID_FRONT), ALLOW(SID_FRONT)}, 2, M_DACL,
					      "FRONT", V_COND, 1, V_YES};
	static const struct rbcd_case org = {"deny-this-organization-then-authenticated",
					     {DENY("S-1-5-15"), ALLOW("S-1-5-11")}, 2, M_DACL,
					     "FRONT", V_UNC, 1, V_YES};
	static const struct rbcd_case absent = {"absent", {{0}}, 0, M_ABSENT, "FRONT", V_NO,
						NONE, V_NO};
	static const struct rbcd_case bad = {"malformed", {ALLOW(SID_FRONT)}, 1, M_MALFORMED,
					     "FRONT", V_NO, NONE, V_NO};
	struct kd_decision d;
	struct fx f;

	rbcd_fixture(&f, &cond);
	rbcd_ask(&f, "FRONT", &d);
	ck_assert_uint_eq(d.nsteps, 2);
	ck_assert_int_eq(d.steps[0].outcome, KD_VERDICT_CONDITIONAL);
	ck_assert_uint_eq(d.steps[0].ace, 0);
	ck_assert_str_eq(d.steps[0].read, "msDS-AllowedToActOnBehalfOfOtherIdentity");
	ck_assert_ptr_nonnull(strstr(d.steps[0].why, "conditional deny"));
	fx_free(&f);

	rbcd_fixture(&f, &org);
	rbcd_ask(&f, "FRONT", &d);
	ck_assert_int_eq(d.steps[0].outcome, KD_VERDICT_UNCERTAIN);
	ck_assert_ptr_nonnull(strstr(d.steps[0].why, "S-1-5-15"));
	ck_assert_ptr_nonnull(strstr(d.steps[0].why, "Samba"));
	fx_free(&f);

	rbcd_fixture(&f, &absent);
	rbcd_ask(&f, "FRONT", &d);
	ck_assert_uint_eq(d.nsteps, 1);
	ck_assert_ptr_nonnull(strstr(d.steps[0].why, "RES$"));
	fx_free(&f);

	rbcd_fixture(&f, &bad);
	rbcd_ask(&f, "FRONT", &d);
	ck_assert(any_step_says(&d, "fails closed"));
	fx_free(&f);
}
END_TEST

struct role_case {
	uint8_t type;
	uint8_t flags;
	uint32_t mask;
	bool known;
	bool object_type;
	enum kd_ace_role want;
};

static const struct role_case role_cases[] = {
	{KD_ACE_ALLOWED, 0, 0x100, true, false, KD_ACE_ROLE_ALLOW},
	{KD_ACE_DENIED, 0, 0x100, true, false, KD_ACE_ROLE_DENY},
	{KD_ACE_ALLOWED_CALLBACK, 0, 0x100, true, false, KD_ACE_ROLE_ALLOW_IF},
	{KD_ACE_DENIED_CALLBACK, 0, 0x100, true, false, KD_ACE_ROLE_DENY_IF},
	{KD_ACE_ALLOWED_OBJECT, 0, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_ALLOWED_OBJECT, 0, 0x100, true, true, KD_ACE_ROLE_IGNORED},
	{KD_ACE_DENIED_OBJECT, 0, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_ALLOWED_CALLBACK_OBJECT, 0, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_DENIED_CALLBACK_OBJECT, 0, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_AUDIT, 0, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_ALLOWED, 0x08, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_DENIED, 0x08, 0x100, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_ALLOWED, 0x12, 0x100, true, false, KD_ACE_ROLE_ALLOW}, /* inherited, CI */
	{KD_ACE_ALLOWED, 0, 0x10000000, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_DENIED, 0, 0x000f00ff, true, false, KD_ACE_ROLE_IGNORED},
	{KD_ACE_ALLOWED, 0, 0x100, false, false, KD_ACE_ROLE_IGNORED},
};

START_TEST(test_rbcd_ace_role)
{
	const struct role_case *c = &role_cases[_i];
	struct kd_ace ace = {.type = c->type, .flags = c->flags, .mask = c->mask,
			     .known = c->known, .has_object_type = c->object_type};
	const char *reason = NULL;

	ace.sid = sid_of(SID_FRONT);
	ck_assert_int_eq(kd_kdc_rbcd_ace_role(&ace, &reason), c->want);
	ck_assert_msg(reason && reason[0], "case %d: no reason", _i);
}
END_TEST

/* ---- delegability ---- */

struct delegable_case {
	const char *name;
	const char *level; /* "" when the domain carries no msDS-Behavior-Version */
	const char *uac;
	bool protected_users;
	enum kd_verdict want;
	const char *step_says; /* a step's reason contains this, or NULL */
};

static const struct delegable_case delegable_cases[] = {
	{"ordinary", "msDS-Behavior-Version: 7\n", U_NORMAL, false, V_YES, NULL},
	{"disabled", "msDS-Behavior-Version: 7\n", "514", false, V_NO, "disabled"},
	{"sensitive", "msDS-Behavior-Version: 7\n", U_SENSITIVE, false, V_NO, "NOT_DELEGATED"},
	{"protected-2016", "msDS-Behavior-Version: 7\n", U_NORMAL, true, V_NO, "Protected Users"},
	{"protected-2012r2", "msDS-Behavior-Version: 6\n", U_NORMAL, true, V_NO,
	 "Protected Users"},
	{"protected-2012", "msDS-Behavior-Version: 5\n", U_NORMAL, true, V_YES,
	 "does not block"},
	{"protected-2008r2", "msDS-Behavior-Version: 4\n", U_NORMAL, true, V_YES,
	 "does not block"},
	{"protected-unknown-level", "", U_NORMAL, true, V_UNC, "not read"},
	{"unprotected-unknown-level", "", U_NORMAL, false, V_YES, NULL},
	{"sensitive-and-protected", "msDS-Behavior-Version: 4\n", U_SENSITIVE, true, V_NO,
	 "NOT_DELEGATED"},
};

START_TEST(test_delegable)
{
	const struct delegable_case *c = &delegable_cases[_i];
	/* Protected Users through a nested group */
	char *text = tu_xprintf(DOMAIN_AT("%s") GROUP("Protected Users", DOMSID "-525") "%s" END
				GROUP("Tier0 Protected", DOMSID "-3202") MEMBER("user") END
				USER("user", "3201", "%s") END,
				c->level, c->protected_users ? MEMBER("Tier0 Protected") : "",
				c->uac);
	struct kd_decision d;
	struct fx f;
	fx_load(&f, text);
	fx_start(&f);
	ck_assert_int_eq(kd_kdc_delegable(f.kdc, idx(&f, "user"), &d), 0);
	if (d.verdict != c->want)
		dump_steps(c->name, &d);
	ck_assert_msg(d.verdict == c->want, "%s: %s, want %s", c->name,
		      kd_verdict_name(d.verdict), kd_verdict_name(c->want));
	ck_assert_uint_gt(d.nsteps, 0);
	ck_assert_int_eq(d.steps[d.nsteps - 1].outcome, c->want);
	if (c->step_says)
		ck_assert_msg(any_step_says(&d, c->step_says), "%s: no step says '%s'", c->name,
			      c->step_says);
	ck_assert_ptr_null(d.mechanism);
	fx_free(&f);
	free(text);
}
END_TEST

START_TEST(test_delegable_anyone)
{
	struct kd_decision d;
	struct fx f;

	fx_load(&f, BASE_LDIF);
	fx_start(&f);
	ck_assert_int_eq(kd_kdc_delegable(f.kdc, KD_NONE, &d), 0);
	ck_assert_int_eq(d.verdict, KD_VERDICT_YES);
	ck_assert_uint_gt(d.nsteps, 0);
	fx_free(&f);
}
END_TEST

/* ---- S4U2Self ---- */

static const char s4u_ldif[] =
	USER("alice", "3301", U_NORMAL) END
	USER("sensitive", "3302", U_SENSITIVE) END
	USER("gone", "3303", "514") END
	USER("protected", "3304", U_NORMAL) END
	GROUP("PU Members", DOMSID "-3305") MEMBER("protected") MEMBER_OF("Protected Users") END
	COMPUTER("FS01", "3310", U_WS) SPN("HOST/fs01.corp.example") END
	/* front ends: PT with and without targets, no PT with and without targets */
	USER("svc_pt", "3320", U_PT) A2D("cifs/fs01.corp.example") END
	USER("svc_pt_only", "3321", U_PT) END
	USER("svc_plain", "3322", U_NORMAL) SPN("HTTP/plain.corp.example") END
	USER("svc_kcd", "3323", U_NORMAL) A2D("cifs/fs01.corp.example") END
	USER("svc_off", "3324", U_PT_DISABLED) END
	COMPUTER("APP01", "3325", U_WS_PT) A2D("cifs/fs01.corp.example") END;

struct s4u2self_case {
	const char *front;
	const char *user; /* NULL: any delegable user */
	enum kd_verdict verdict;
	bool forwardable;
	const char *step_says;
};

static const struct s4u2self_case s4u2self_cases[] = {
	{"svc_pt", "alice", V_YES, true, "TRUSTED_TO_AUTH_FOR_DELEGATION"},
	{"svc_pt_only", "alice", V_YES, true, "TRUSTED_TO_AUTH_FOR_DELEGATION"},
	{"APP01", NULL, V_YES, true, "TRUSTED_TO_AUTH_FOR_DELEGATION"},
	{"svc_plain", "alice", V_YES, true, "neither"},
	{"svc_plain", NULL, V_YES, true, "neither"},
	{"svc_kcd", "alice", V_YES, false, "not forwardable"},
	{"svc_kcd", NULL, V_YES, false, "not forwardable"},
	/* a user who cannot be delegated: a ticket, never forwardable */
	{"svc_pt", "sensitive", V_YES, false, "NOT_DELEGATED"},
	{"svc_plain", "sensitive", V_YES, false, "NOT_DELEGATED"},
	{"svc_pt", "protected", V_YES, false, "Protected Users"},
	/* no ticket at all */
	{"svc_pt", "gone", V_NO, false, "disabled"},
	{"svc_off", "alice", V_NO, false, "disabled"},
};

START_TEST(test_s4u2self)
{
	const struct s4u2self_case *c = &s4u2self_cases[_i];
	char *text = tu_xprintf("%s%s", BASE_LDIF, s4u_ldif);
	struct kd_decision d;
	struct fx f;

	fx_load(&f, text);
	fx_start(&f);
	ck_assert_int_eq(kd_kdc_s4u2self(f.kdc, idx(&f, c->front),
					 c->user ? idx(&f, c->user) : KD_NONE, &d),
			 0);
	if (d.verdict != c->verdict || d.forwardable != c->forwardable)
		dump_steps(c->front, &d);
	ck_assert_msg(d.verdict == c->verdict, "%s for %s: %s", c->front,
		      c->user ? c->user : "anyone", kd_verdict_name(d.verdict));
	ck_assert_msg(d.forwardable == c->forwardable, "%s for %s: forwardable %d", c->front,
		      c->user ? c->user : "anyone", d.forwardable);
	ck_assert_uint_gt(d.nsteps, 0);
	ck_assert_msg(any_step_says(&d, c->step_says), "%s for %s: no step says '%s'", c->front,
		      c->user ? c->user : "anyone", c->step_says);
	fx_free(&f);
	free(text);
}
END_TEST

/* ---- S4U2Proxy ---- */

static const char s4u2proxy_ldif[] =
	COMPUTER("RES", "3330", U_WS) SPN("HOST/res.corp.example") "%s" END
	COMPUTER("CLOSED", "3331", U_WS) SPN("HOST/closed.corp.example") END
	USER("svc_both", "3332", U_NORMAL) A2D("cifs/res.corp.example") END
	USER("svc_rbcd", "3333", U_NORMAL) END
	USER("svc_closed", "3334", U_NORMAL) A2D("cifs/closed.corp.example") END;

struct s4u2proxy_case {
	const char *name;
	const char *front;
	const char *user;
	const char *spn;
	bool forwardable; /* the evidence ticket */
	enum kd_verdict verdict;
	const char *mechanism;
	const char *step_says;
};

static const struct s4u2proxy_case s4u2proxy_cases[] = {
	{"classic", "svc_kcd", "alice", "cifs/fs01.corp.example", true, V_YES, "classic",
	 "is in svc_kcd's msDS-AllowedToDelegateTo"},
	{"classic-case-insensitive", "svc_kcd", "alice", "CIFS/FS01.corp.example", true, V_YES,
	 "classic", NULL},
	{"classic-pt", "svc_pt", NULL, "cifs/fs01.corp.example", true, V_YES, "classic", NULL},
	/* not listed: the KDC tries RBCD, which the back end does not allow */
	{"not-listed", "svc_kcd", "alice", "HOST/fs01.corp.example", true, V_NO, NULL,
	 "0xC000015B"},
	{"no-targets", "svc_plain", "alice", "cifs/fs01.corp.example", true, V_NO, NULL,
	 "tries RBCD"},
	/* classic without PT: a non-forwardable S4U2Self ticket fails classic... */
	{"classic-non-forwardable", "svc_closed", "alice", "cifs/closed.corp.example", false,
	 V_NO, NULL, "not forwardable"},
	/* ...but RBCD on the back end accepts it */
	{"classic-non-forwardable-rbcd", "svc_both", "alice", "cifs/res.corp.example", false,
	 V_YES, "resource-based", "not forwardable"},
	{"classic-forwardable-rbcd", "svc_both", "alice", "cifs/res.corp.example", true, V_YES,
	 "classic", NULL},
	{"rbcd-only", "svc_rbcd", "alice", "cifs/res.corp.example", false, V_YES,
	 "resource-based", NULL},
	{"rbcd-through-spn-owner", "svc_rbcd", NULL, "HOST/res.corp.example", false, V_YES,
	 "resource-based", NULL},
	{"rbcd-not-trusted", "svc_kcd", "alice", "cifs/res.corp.example", false, V_NO, NULL,
	 "STATUS_NOT_FOUND"},
	{"unregistered-spn", "svc_rbcd", "alice", "cifs/nowhere.corp.example", false, V_NO, NULL,
	 "registered on no account"},
	{"sensitive-user", "svc_kcd", "sensitive", "cifs/fs01.corp.example", true, V_NO, NULL,
	 "NOT_DELEGATED"},
	{"sensitive-user-rbcd", "svc_rbcd", "sensitive", "cifs/res.corp.example", false, V_NO,
	 NULL, "NOT_DELEGATED"},
	{"protected-user", "svc_kcd", "protected", "cifs/fs01.corp.example", true, V_NO, NULL,
	 "Protected Users"},
	{"disabled-user", "svc_kcd", "gone", "cifs/fs01.corp.example", true, V_NO, NULL,
	 "disabled"},
	{"disabled-front-end", "svc_off", "alice", "cifs/fs01.corp.example", true, V_NO, NULL,
	 "disabled"},
};

START_TEST(test_s4u2proxy)
{
	const struct s4u2proxy_case *c = &s4u2proxy_cases[_i];
	const struct tu_ace aces[] = {ALLOW(DOMSID "-3332"), ALLOW(DOMSID "-3333")};
	struct tu_buf sd = {0};
	char *line, *rest, *text;
	struct kd_decision d;
	struct fx f;

	tu_sd_build(&sd, "S-1-5-32-544", true, aces, ARRAY_LEN(aces));
	line = b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", &sd);
	rest = tu_xprintf(s4u2proxy_ldif, line);
	text = tu_xprintf("%s%s%s", BASE_LDIF, s4u_ldif, rest);
	fx_load(&f, text);
	fx_start(&f);
	ck_assert_int_eq(kd_kdc_s4u2proxy(f.kdc, idx(&f, c->front),
					  c->user ? idx(&f, c->user) : KD_NONE, c->spn,
					  c->forwardable, &d),
			 0);
	if (d.verdict != c->verdict)
		dump_steps(c->name, &d);
	ck_assert_msg(d.verdict == c->verdict, "%s: %s, want %s", c->name,
		      kd_verdict_name(d.verdict), kd_verdict_name(c->verdict));
	if (c->mechanism)
		ck_assert_msg(d.mechanism && strcmp(d.mechanism, c->mechanism) == 0,
			      "%s: mechanism %s", c->name, d.mechanism ? d.mechanism : "(none)");
	else
		ck_assert_msg(d.mechanism == NULL, "%s: mechanism %s", c->name, d.mechanism);
	if (d.mechanism && strcmp(d.mechanism, "resource-based") == 0)
		ck_assert_uint_ne(d.ace, KD_NONE);
	ck_assert_uint_gt(d.nsteps, 0);
	if (c->step_says)
		ck_assert_msg(any_step_says(&d, c->step_says), "%s: no step says '%s'", c->name,
			      c->step_says);
	ck_assert_int_eq(d.steps[d.nsteps - 1].outcome,
			 d.verdict == KD_VERDICT_NO ? KD_VERDICT_NO : KD_VERDICT_YES);
	fx_free(&f);
	free(text);
	free(rest);
	free(line);
	tu_buf_free(&sd);
}
END_TEST

/* The whole chain as the KDC runs it: S4U2Self, then S4U2Proxy with what it gave. */
START_TEST(test_s4u_chain)
{
	const struct tu_ace aces[] = {ALLOW(DOMSID "-3332")};
	struct tu_buf sd = {0};
	char *line, *rest, *text;
	struct kd_decision self, proxy;
	struct fx f;

	tu_sd_build(&sd, "S-1-5-32-544", true, aces, ARRAY_LEN(aces));
	line = b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", &sd);
	rest = tu_xprintf(s4u2proxy_ldif, line);
	text = tu_xprintf("%s%s%s", BASE_LDIF, s4u_ldif, rest);
	fx_load(&f, text);
	fx_start(&f);
	/* svc_both: classic targets, no PT, trusted by RES's RBCD */
	ck_assert_int_eq(kd_kdc_s4u2self(f.kdc, idx(&f, "svc_both"), idx(&f, "alice"), &self), 0);
	ck_assert_int_eq(self.verdict, KD_VERDICT_YES);
	ck_assert(!self.forwardable);
	ck_assert_int_eq(kd_kdc_s4u2proxy(f.kdc, idx(&f, "svc_both"), idx(&f, "alice"),
					  "cifs/res.corp.example", self.forwardable, &proxy),
			 0);
	ck_assert_int_eq(proxy.verdict, KD_VERDICT_YES);
	ck_assert_str_eq(proxy.mechanism, "resource-based");
	ck_assert_uint_eq(proxy.ace, 0);
	/* svc_closed: the same without RBCD: refused */
	ck_assert_int_eq(kd_kdc_s4u2self(f.kdc, idx(&f, "svc_closed"), idx(&f, "alice"), &self),
			 0);
	ck_assert(!self.forwardable);
	ck_assert_int_eq(kd_kdc_s4u2proxy(f.kdc, idx(&f, "svc_closed"), idx(&f, "alice"),
					  "cifs/closed.corp.example", self.forwardable, &proxy),
			 0);
	ck_assert_int_eq(proxy.verdict, KD_VERDICT_NO);
	fx_free(&f);
	free(text);
	free(rest);
	free(line);
	tu_buf_free(&sd);
}
END_TEST

/* ---- who can write msDS-AllowedToActOnBehalfOfOtherIdentity ---- */

#define SID_HELPDESK DOMSID "-3401"
#define SID_OPS DOMSID "-3402"
#define SID_OPUSER DOMSID "-3403"
#define SID_OWNER DOMSID "-3404"
#define SID_GONE DOMSID "-3499"

static const char writers_people[] =
	USER("helpdesk", "3401", U_NORMAL) END
	GROUP("Ops", SID_OPS) MEMBER("opuser") END
	USER("opuser", "3403", U_NORMAL) END
	USER("joiner", "3404", U_NORMAL) END;

#define WP 0x20u
#define RIGHTS_READ 0x00020094u /* READ_CONTROL | LIST_CONTENTS | READ_PROPERTY | LIST_OBJECT */
#define OBJ_WP(s, g) {.type = 0x05, .mask = WP, .sid = (s), .object_type_guid = (g)}
#define PLAIN(m, s) {.type = 0x00, .mask = (m), .sid = (s)}

struct writer_want {
	const char *sid;
	enum kd_write_via via;
	uint32_t ace;
};

struct writers_case {
	const char *name;
	const char *owner;
	bool null_dacl;
	struct tu_ace aces[4];
	size_t naces;
	struct writer_want want[3];
	size_t nwant;
};

static const struct writers_case writers_cases[] = {
	{"attribute", DOMSID "-512", false, {OBJ_WP(SID_HELPDESK, RBCD_GUID)}, 1,
	 {{SID_HELPDESK, KD_WRITE_ATTRIBUTE, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"property-set", DOMSID "-512", false, {OBJ_WP(SID_HELPDESK, PROPSET_GUID)}, 1,
	 {{SID_HELPDESK, KD_WRITE_PROPERTY_SET, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"all-properties", DOMSID "-512", false, {PLAIN(WP, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"all-properties-object-ace", DOMSID "-512", false,
	 {{.type = 0x05, .mask = WP, .sid = SID_HELPDESK}}, 1,
	 {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"generic-write", DOMSID "-512", false, {PLAIN(0x40000000, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_GENERIC_WRITE, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"generic-all", DOMSID "-512", false, {PLAIN(0x10000000, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_GENERIC_ALL, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"write-dac", DOMSID "-512", false, {PLAIN(0x40000, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_DAC, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"write-owner", DOMSID "-512", false, {PLAIN(0x80000, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_OWNER_RIGHT, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"full-control", DOMSID "-512", false, {PLAIN(0x000f01ff, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"through-group", DOMSID "-512", false, {PLAIN(0x40000000, SID_OPS)}, 1,
	 {{SID_OPS, KD_WRITE_GENERIC_WRITE, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"unresolved-sid", DOMSID "-512", false, {PLAIN(WP, SID_GONE)}, 1,
	 {{SID_GONE, KD_WRITE_ALL_PROPERTIES, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"authenticated-users", DOMSID "-512", false, {OBJ_WP("S-1-5-11", RBCD_GUID)}, 1,
	 {{"S-1-5-11", KD_WRITE_ATTRIBUTE, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	/* no write */
	{"read-only", DOMSID "-512", false, {PLAIN(RIGHTS_READ, SID_HELPDESK)}, 1,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"control-access-only", DOMSID "-512", false, {PLAIN(0x100, SID_HELPDESK)}, 1,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"inherit-only", DOMSID "-512", false,
	 {{.type = 0, .flags = 0x0a, .mask = 0x10000000, .sid = SID_HELPDESK}}, 1,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"other-attribute", DOMSID "-512", false, {OBJ_WP(SID_HELPDESK, SPN_GUID)}, 1,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	/* an object ACE's rights, generic ones included, apply to its ObjectType only */
	{"generic-all-other-attribute", DOMSID "-512", false,
	 {{.type = 0x05, .mask = 0x10000000, .sid = SID_HELPDESK, .object_type_guid = SPN_GUID}},
	 1, {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"deny-generic-all-other-attribute-before-all", DOMSID "-512", false,
	 {{.type = 0x06, .mask = 0x10000000, .sid = SID_HELPDESK, .object_type_guid = SPN_GUID},
	  PLAIN(WP, SID_HELPDESK)},
	 2, {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 1}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"callback-allow", DOMSID "-512", false,
	 {{.type = 0x09, .mask = 0x10000000, .sid = SID_HELPDESK, .app_data = "artx",
	   .app_len = 4}},
	 1, {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	/* Principal Self is the object itself in a DS check; no token the model builds
	 * carries S-1-5-10, so nobody is listed (the audit would skip the object anyway) */
	{"self", DOMSID "-512", false, {OBJ_WP("S-1-5-10", RBCD_GUID)}, 1,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	/* an earlier deny */
	{"deny-group-before-member", DOMSID "-512", false,
	 {{.type = 0x01, .mask = WP, .sid = SID_OPS}, PLAIN(WP, SID_OPUSER)}, 2,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"deny-group-before-group", DOMSID "-512", false,
	 {{.type = 0x01, .mask = 0x40000000, .sid = SID_OPS}, PLAIN(0x40000000, SID_OPS)}, 2,
	 {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"deny-attribute-before-all", DOMSID "-512", false,
	 {{.type = 0x06, .mask = WP, .sid = SID_HELPDESK, .object_type_guid = RBCD_GUID},
	  PLAIN(WP, SID_HELPDESK)},
	 2, {{DOMSID "-512", KD_WRITE_OWNS, NONE}}, 1},
	{"deny-other-attribute-before-all", DOMSID "-512", false,
	 {{.type = 0x06, .mask = WP, .sid = SID_HELPDESK, .object_type_guid = SPN_GUID},
	  PLAIN(WP, SID_HELPDESK)},
	 2, {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 1}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"deny-after-allow", DOMSID "-512", false,
	 {PLAIN(WP, SID_HELPDESK), {.type = 0x01, .mask = WP, .sid = SID_HELPDESK}}, 2,
	 {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 0}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	{"inherit-only-deny", DOMSID "-512", false,
	 {{.type = 0x01, .flags = 0x0a, .mask = WP, .sid = SID_HELPDESK},
	  PLAIN(WP, SID_HELPDESK)},
	 2, {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 1}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	/* a deny of write-property leaves WRITE_DAC to rewrite the DACL */
	{"deny-property-keeps-dac", DOMSID "-512", false,
	 {{.type = 0x01, .mask = WP, .sid = SID_HELPDESK}, PLAIN(0x10000000, SID_HELPDESK)}, 2,
	 {{SID_HELPDESK, KD_WRITE_GENERIC_ALL, 1}, {DOMSID "-512", KD_WRITE_OWNS, NONE}}, 2},
	/* the owner */
	{"owner", SID_OWNER, false, {{0}}, 0, {{SID_OWNER, KD_WRITE_OWNS, NONE}}, 1},
	{"owner-rights-restricts", SID_OWNER, false, {PLAIN(0x00020000, "S-1-3-4")}, 1, {{0}},
	 0},
	{"owner-rights-inherit-only", SID_OWNER, false,
	 {{.type = 0, .flags = 0x0a, .mask = 0x00020000, .sid = "S-1-3-4"}}, 1,
	 {{SID_OWNER, KD_WRITE_OWNS, NONE}}, 1},
	{"owner-also-granted", SID_HELPDESK, false, {PLAIN(WP, SID_HELPDESK)}, 1,
	 {{SID_HELPDESK, KD_WRITE_ALL_PROPERTIES, 0}}, 1},
	/* OWNER RIGHTS replaces the owner's implicit rights with what its ACE grants: an
	 * ACE granting GENERIC_ALL leaves the owner a writer, through that ACE */
	{"owner-rights-grants", SID_OWNER, false, {PLAIN(0x10000000, "S-1-3-4")}, 1,
	 {{SID_OWNER, KD_WRITE_GENERIC_ALL, 0}}, 1},
	{"owner-rights-grants-attribute", SID_OWNER, false, {OBJ_WP("S-1-3-4", RBCD_GUID)}, 1,
	 {{SID_OWNER, KD_WRITE_ATTRIBUTE, 0}}, 1},
	{"no-owner", NULL, false, {{0}}, 0, {{0}}, 0},
	/* a NULL DACL: everyone */
	{"null-dacl", DOMSID "-512", true, {{0}}, 0, {{"S-1-1-0", KD_WRITE_GENERIC_ALL, NONE}},
	 1},
};

START_TEST(test_rbcd_writers)
{
	const struct writers_case *c = &writers_cases[_i];
	struct tu_buf sd = {0};
	struct kd_writer *writers = NULL;
	size_t n = 0;
	char *line, *text;
	struct kd_error err;
	struct fx f;
	uint32_t target;

	if (c->null_dacl) {
		struct tu_sd whole = {.owner = c->owner, .dacl_present = true, .dacl_null = true};

		tu_sd_encode(&sd, &whole);
	} else {
		tu_sd_build(&sd, c->owner, true, c->aces, c->naces);
	}
	line = b64_line("nTSecurityDescriptor", &sd);
	text = tu_xprintf("%s%s" COMPUTER("TARGET", "3410", U_WS) "%s" END, BASE_LDIF,
			  writers_people, line);
	fx_load(&f, text);
	target = idx(&f, "TARGET");
	expect_sd(&f, target, &sd);
	fx_start(&f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_access_rbcd_writers(f.tokens, f.dir, target, &writers, &n, &err), 0);
	for (size_t k = 0; k < n && n != c->nwant; k++) {
		char s[KD_SID_STRING_MAX];

		fprintf(stderr, "%s: writer %s via %s ace %u\n", c->name,
			kd_sid_to_string(&writers[k].sid, s, sizeof(s)),
			kd_write_via_name(writers[k].via), (unsigned)writers[k].ace);
	}
	ck_assert_msg(n == c->nwant, "%s: %zu writers, want %zu", c->name, n, c->nwant);
	for (size_t k = 0; k < c->nwant; k++) {
		struct kd_sid want = sid_of(c->want[k].sid);
		char s[KD_SID_STRING_MAX];

		ck_assert_msg(kd_sid_equal(&writers[k].sid, &want), "%s: writer %zu is %s, want %s",
			      c->name, k, kd_sid_to_string(&writers[k].sid, s, sizeof(s)),
			      c->want[k].sid);
		ck_assert_msg(writers[k].via == c->want[k].via, "%s: %s via %s, want %s", c->name,
			      c->want[k].sid, kd_write_via_name(writers[k].via),
			      kd_write_via_name(c->want[k].via));
		ck_assert_msg(writers[k].ace == c->want[k].ace, "%s: %s by ACE %u, want %u",
			      c->name, c->want[k].sid, (unsigned)writers[k].ace,
			      (unsigned)c->want[k].ace);
		ck_assert_uint_eq(writers[k].principal, kd_directory_find_sid(f.dir, &want));
	}
	free(writers);
	fx_free(&f);
	free(text);
	free(line);
	tu_buf_free(&sd);
}
END_TEST

/* Without a descriptor nobody is a writer (coverage says why, not this list). */
START_TEST(test_rbcd_writers_no_descriptor)
{
	struct kd_writer *writers = (struct kd_writer *)1;
	size_t n = 99;
	struct kd_error err;
	struct fx f;
	char *text = tu_xprintf("%s%s" COMPUTER("TARGET", "3410", U_WS) END, BASE_LDIF,
				writers_people);

	fx_load(&f, text);
	fx_start(&f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_access_rbcd_writers(f.tokens, f.dir, idx(&f, "TARGET"), &writers, &n,
						&err),
			 0);
	ck_assert_uint_eq(n, 0);
	free(writers);
	fx_free(&f);
	free(text);
}
END_TEST

START_TEST(test_write_via_names)
{
	static const struct {
		enum kd_write_via via;
		const char *name;
	} names[] = {
		{KD_WRITE_ATTRIBUTE, "write-property-attribute"},
		{KD_WRITE_PROPERTY_SET, "write-property-set"},
		{KD_WRITE_ALL_PROPERTIES, "write-all-properties"},
		{KD_WRITE_GENERIC_WRITE, "generic-write"},
		{KD_WRITE_GENERIC_ALL, "generic-all"},
		{KD_WRITE_DAC, "write-dacl"},
		{KD_WRITE_OWNER_RIGHT, "write-owner"},
		{KD_WRITE_OWNS, "owner"},
	};

	for (size_t k = 0; k < ARRAY_LEN(names); k++)
		ck_assert_str_eq(kd_write_via_name(names[k].via), names[k].name);
	ck_assert_str_eq(kd_verdict_name(KD_VERDICT_YES), "yes");
	ck_assert_str_eq(kd_verdict_name(KD_VERDICT_NO), "no");
	ck_assert_str_eq(kd_verdict_name(KD_VERDICT_CONDITIONAL), "conditional");
	ck_assert_str_eq(kd_verdict_name(KD_VERDICT_UNCERTAIN), "uncertain");
}
END_TEST

/* ---- the model's edges ---- */

/* One edge as the test reads it: kind, the names at both ends, one evidence value. */
struct seen_edge {
	enum kd_edge_kind kind;
	char from[64], to[64];
	char evidence[96];
};

struct edge_log {
	const struct kd_directory *dir;
	struct seen_edge edges[64];
	size_t n;
};

static int
log_edge(void *ctx, const struct kd_edge *e)
{
	struct edge_log *log = ctx;
	struct seen_edge *s;
	char sid[KD_SID_STRING_MAX];

	ck_assert_uint_lt(log->n, ARRAY_LEN(log->edges));
	s = &log->edges[log->n++];
	s->kind = e->kind;
	snprintf(s->from, sizeof(s->from), "%s",
		 e->from != KD_NONE ? kd_directory_get(log->dir, e->from)->name
				    : kd_sid_to_string(&e->from_sid, sid, sizeof(sid)));
	snprintf(s->to, sizeof(s->to), "%s",
		 e->to != KD_NONE ? kd_directory_get(log->dir, e->to)->name : "(domain)");
	switch (e->kind) {
	case KD_EDGE_CONSTRAINED:
		snprintf(s->evidence, sizeof(s->evidence), "%s pt=%d alias=%d",
			 e->ev.constrained.spn, e->ev.constrained.protocol_transition,
			 e->ev.constrained.via_alias);
		break;
	case KD_EDGE_RBCD:
		snprintf(s->evidence, sizeof(s->evidence), "ace=%u %s", (unsigned)e->ev.rbcd.ace,
			 kd_verdict_name(e->ev.rbcd.verdict));
		break;
	case KD_EDGE_WRITE_RBCD:
		snprintf(s->evidence, sizeof(s->evidence), "ace=%d %s",
			 e->ev.write.ace == KD_NONE ? -1 : (int)e->ev.write.ace,
			 kd_write_via_name(e->ev.write.via));
		break;
	default:
		s->evidence[0] = '\0';
	}
	return 0;
}

static size_t
count_edges(const struct edge_log *log, enum kd_edge_kind kind, const char *from,
	    const char *to, const char *evidence)
{
	size_t n = 0;

	for (size_t k = 0; k < log->n; k++)
		n += log->edges[k].kind == kind && strcmp(log->edges[k].from, from) == 0 &&
		     strcmp(log->edges[k].to, to) == 0 &&
		     (!evidence || strcmp(log->edges[k].evidence, evidence) == 0);
	return n;
}

START_TEST(test_edges)
{
	static const struct tu_ace rbcd_aces[] = {
		{.type = 0x01, .mask = 0x100, .sid = DOMSID "-2504"}, /* deny denied-front */
		{.type = 0x00, .mask = 0x100, .sid = DOMSID "-2503"}, /* allow Fronts */
		{.type = 0x09, .mask = 0x100, .sid = DOMSID "-2505", .app_data = "artx",
		 .app_len = 4},                                        /* callback: cond-front */
		{.type = 0x00, .mask = 0x100, .sid = DOMSID "-9999"}, /* outside the snapshot */
	};
	static const struct tu_ace sd_aces[] = {
		{.type = 0x05, .mask = 0x20, .sid = DOMSID "-2506", .object_type_guid = RBCD_GUID},
	};
	struct tu_buf rbcd = {0}, sd = {0};
	struct edge_log log = {0};
	struct kd_error err;
	struct fx f;
	char *rbcd_line, *sd_line, *text;

	tu_sd_build(&rbcd, "S-1-5-32-544", true, rbcd_aces, ARRAY_LEN(rbcd_aces));
	tu_sd_build(&sd, DOMSID "-512", true, sd_aces, ARRAY_LEN(sd_aces));
	rbcd_line = b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", &rbcd);
	sd_line = b64_line("nTSecurityDescriptor", &sd);
	text = tu_xprintf("%s" COMPUTER("FS01", "2500", U_WS) SPN("HOST/fs01.corp.example") END
			  USER("svc_kcd", "2501", U_PT) A2D("cifs/fs01.corp.example") END
			  USER("front", "2502", U_NORMAL) SPN("HTTP/front") END
			  GROUP("Fronts", DOMSID "-2503") MEMBER("front") MEMBER("denied-front") END
			  USER("denied-front", "2504", U_NORMAL) END
			  USER("cond-front", "2505", U_NORMAL) END
			  USER("helpdesk", "2506", U_NORMAL) END
			  USER("web", "2507", U_UNCONSTRAINED) END
			  COMPUTER("RES", "2510", U_WS) "%s%s" END,
			  BASE_LDIF, rbcd_line, sd_line);
	fx_load(&f, text);
	fx_start(&f);
	log.dir = f.dir;
	kd_error_clear(&err);
	ck_assert_int_eq(kd_edges_each(f.kdc, f.dir, log_edge, &log, &err), 0);
	/* membership: member -> group */
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_MEMBER, "front", "Fronts", NULL), 1);
	/* constrained, with protocol transition, to the owner of HOST/ (cifs is an alias) */
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_CONSTRAINED, "svc_kcd", "FS01$",
				      "cifs/fs01.corp.example pt=1 alias=1"),
			  1);
	/* unconstrained: the holder reaches the domain (DC01 holds the flag too) */
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_UNCONSTRAINED, "web", "(domain)", NULL), 1);
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_UNCONSTRAINED, "DC01$", "(domain)", NULL), 1);
	/* RBCD: the group's member granted by ACE 1; the member denied by ACE 0 is not;
	 * the callback makes cond-front conditional; the SID outside the snapshot too */
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_RBCD, "front", "RES$", "ace=1 yes"), 1);
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_RBCD, "denied-front", "RES$", NULL), 0);
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_RBCD, "cond-front", "RES$", NULL), 1);
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_RBCD, DOMSID "-9999", "RES$", "ace=3 yes"), 1);
	/* write rights: helpdesk on the attribute, Domain Admins as owner */
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_WRITE_RBCD, "helpdesk", "RES$",
				      "ace=0 write-property-attribute"),
			  1);
	ck_assert_uint_eq(count_edges(&log, KD_EDGE_WRITE_RBCD, "Domain Admins", "RES$",
				      "ace=-1 owner"),
			  1);
	ck_assert_str_eq(kd_edge_kind_name(KD_EDGE_WRITE_RBCD), "write-rbcd");
	fx_free(&f);
	free(text);
	free(rbcd_line);
	free(sd_line);
	tu_buf_free(&rbcd);
	tu_buf_free(&sd);
}
END_TEST

/* A callback that fails stops the walk with its error. */
static int
fail_edge(void *ctx, const struct kd_edge *e)
{
	(void)e;
	++*(size_t *)ctx;
	return KD_ERR_PARSE;
}

START_TEST(test_edges_stop)
{
	struct kd_error err;
	size_t calls = 0;
	struct fx f;

	fx_load(&f, BASE_LDIF);
	fx_start(&f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_edges_each(f.kdc, f.dir, fail_edge, &calls, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(calls, 1);
	fx_free(&f);
}
END_TEST

Suite *kd_kdc_suite(void);

Suite *
kd_kdc_suite(void)
{
	Suite *s = suite_create("kdc");
	TCase *tc;

	tc = tcase_create("tokens");
	tcase_add_loop_test(tc, test_token_has, 0, ARRAY_LEN(token_cases));
	tcase_add_test(tc, test_token_groups);
	tcase_add_loop_test(tc, test_token_sid_has, 0, ARRAY_LEN(sid_token_cases));
	tcase_add_test(tc, test_token_universal);
	suite_add_tcase(s, tc);

	tc = tcase_create("rbcd-check");
	tcase_add_loop_test(tc, test_rbcd_check, 0, ARRAY_LEN(rbcd_cases));
	tcase_add_test(tc, test_rbcd_steps_text);
	tcase_add_loop_test(tc, test_rbcd_ace_role, 0, ARRAY_LEN(role_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("delegable");
	tcase_add_loop_test(tc, test_delegable, 0, ARRAY_LEN(delegable_cases));
	tcase_add_test(tc, test_delegable_anyone);
	suite_add_tcase(s, tc);

	tc = tcase_create("s4u2self");
	tcase_add_loop_test(tc, test_s4u2self, 0, ARRAY_LEN(s4u2self_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("s4u2proxy");
	tcase_add_loop_test(tc, test_s4u2proxy, 0, ARRAY_LEN(s4u2proxy_cases));
	tcase_add_test(tc, test_s4u_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("write-rights");
	tcase_add_loop_test(tc, test_rbcd_writers, 0, ARRAY_LEN(writers_cases));
	tcase_add_test(tc, test_rbcd_writers_no_descriptor);
	tcase_add_test(tc, test_write_via_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("edges");
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_edges_stop);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_kdc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
