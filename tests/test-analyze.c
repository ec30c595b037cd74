/* SPDX-License-Identifier: MIT */
/* Unit tests for the audit rules: each rule's positive and negative cases (src/analyze.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/analyze.h"
#include "kdeleg/arena.h"
#include "kdeleg/directory.h"
#include "kdeleg/ldif.h"
#include "kdeleg/secdesc.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* "msDS-AllowedToActOnBehalfOfOtherIdentity:: <base64>\n" for a descriptor owned by
 * BUILTIN\Administrators; @mode 0 a DACL of @aces, 1 a NULL DACL, 2 a cut (malformed) one. */
static char *
rbcd_line(const struct tu_ace *aces, size_t n, int mode)
{
	struct tu_buf sd = {0};
	char *b64, *line;

	tu_sd_build(&sd, "S-1-5-32-544", mode != 1, aces, n);
	if (mode == 2)
		sd.len -= 6;
	b64 = tu_base64(sd.data, sd.len);
	line = tu_xprintf("msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n", b64);
	free(b64);
	tu_buf_free(&sd);
	return line;
}

/* tu_audit_run() on BASE_LDIF followed by @extra. */
static void
audit_base(struct tu_audit *a, const char *extra)
{
	char *text = tu_xprintf("%s%s", BASE_LDIF, extra);

	tu_audit_run(a, text);
	free(text);
}

/* The one finding of @rule on @name; fails the test when there is not exactly one. */
static const struct kd_finding *
find(const struct tu_audit *a, const char *rule, const char *name)
{
	const struct kd_finding *found = NULL;

	for (size_t i = 0; i < a->findings.count; i++) {
		const struct kd_finding *f = &a->findings.items[i];

		if (strcmp(f->rule->id, rule) == 0 && strcmp(tu_account_name(a, f), name) == 0) {
			ck_assert_msg(!found, "two %s findings on %s", rule, name);
			found = f;
		}
	}
	ck_assert_msg(found != NULL, "no %s finding on %s", rule, name);
	return found;
}

/* Prints the findings, to make a failing test readable. */
static void
dump(const struct tu_audit *a)
{
	for (size_t i = 0; i < a->findings.count; i++) {
		const struct kd_finding *f = &a->findings.items[i];

		fprintf(stderr, "  %s %s %s: %s\n", kd_severity_name(f->severity), f->rule->id,
			tu_account_name(a, f), f->message);
	}
}

static const char *
jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	ck_assert_msg(s != NULL, "no string '%s'", key);
	return s;
}

static json_int_t
jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
	return json_integer_value(v);
}

static bool
jbool(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(json_is_boolean(v), "no boolean '%s'", key);
	return json_is_true(v);
}

/* True when the array of account objects @list names @name. */
static bool
names(json_t *list, const char *name)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *n = json_string_value(json_object_get(json_array_get(list, i), "name"));

		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* ---- the base snapshot ---- */

START_TEST(test_base_is_clean)
{
	struct tu_audit a;

	tu_audit_run(&a, BASE_LDIF);
	if (a.findings.count)
		dump(&a);
	ck_assert_uint_eq(a.findings.count, 0);
	ck_assert_int_eq(kd_directory_get(a.dir, kd_directory_find_rid(a.dir, 1000))->kind,
			 KD_KIND_DC);
	tu_audit_free(&a);
}
END_TEST

/* ---- unconstrained-delegation ---- */

START_TEST(test_unconstrained_user)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("svc_iis", "1101", U_UNCONSTRAINED)
			      SPN("HTTP/intranet.corp.example") END);
	f = find(&a, "unconstrained-delegation", "svc_iis");
	ck_assert_int_eq(f->severity, KD_SEV_CRITICAL);
	ck_assert_int_eq(jint(f->details, "user_account_control"), 524800);
	ck_assert_ptr_nonnull(strstr(jstr(f->details, "user_account_control_flags"),
				     "TRUSTED_FOR_DELEGATION"));
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(f->details, "service_principal_names"), 0)),
			 "HTTP/intranet.corp.example");
	ck_assert(!jbool(f->details, "tier0"));
	ck_assert_ptr_nonnull(strstr(f->message, "enabled user"));
	/* the TGTs of delegable users only: not of sensitive or protected ones */
	ck_assert_ptr_nonnull(strstr(f->message, "delegable user"));
	ck_assert_ptr_nonnull(strstr(f->remediation, "-TrustedForDelegation $false"));
	/* and its chain to the domain (issue 10) */
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-chain", "(domain)"), 1);
	ck_assert_uint_eq(a.findings.count, 2);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_unconstrained_disabled_computer)
{
	struct tu_audit a;
	const struct kd_finding *f;

	/* WORKSTATION_TRUST | TRUSTED_FOR_DELEGATION | ACCOUNTDISABLE */
	tu_audit_run(&a, BASE_LDIF COMPUTER("OLD01", "1102", "528386") END);
	f = find(&a, "unconstrained-delegation", "OLD01$");
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	ck_assert_ptr_nonnull(strstr(f->message, "disabled computer"));
	ck_assert_ptr_nonnull(strstr(f->message, "no SPN registered"));
	ck_assert_uint_eq(a.findings.count, 1);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_unconstrained_never_dc)
{
	struct tu_audit a;
	const struct kd_finding *f;

	/* A DC by primary group only, with the flag: not reported. An RODC with it is
	 * (RODCs never carry it by default), and a user whose primary group was set to
	 * Domain Controllers is still a user. */
	tu_audit_run(&a, BASE_LDIF COMPUTER("DC02", "1103", "528384") "primaryGroupID: 516\n" END
			      COMPUTER("RODC1", "1104", "67637248") "primaryGroupID: 521\n" END
			      COMPUTER("WS01", "1105", U_WS) SPN("HOST/ws01") END
			      USER("fakedc", "1106", U_UNCONSTRAINED) "primaryGroupID: 516\n" END);
	ck_assert_uint_eq(tu_count_findings(&a, "unconstrained-delegation", "DC02$"), 0);
	f = find(&a, "unconstrained-delegation", "RODC1$");
	ck_assert_int_eq(kd_directory_get(a.dir, f->principal)->kind, KD_KIND_RODC);
	f = find(&a, "unconstrained-delegation", "fakedc");
	ck_assert_int_eq(kd_directory_get(a.dir, f->principal)->kind, KD_KIND_USER);
	ck_assert(jbool(f->details, "tier0"));
	ck_assert_uint_eq(tu_count_findings(&a, "unconstrained-delegation", NULL), 2);
	tu_audit_free(&a);
}
END_TEST

/* PowerShell ends a single-quoted literal at U+2018..U+201B too: they are doubled. */
START_TEST(test_remediation_quotes)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("o\xe2\x80\x99" "brien", "1107", U_UNCONSTRAINED) END
			      USER("x\xe2\x80\x98;calc;\xe2\x80\x9b'", "1108", U_UNCONSTRAINED) END);
	f = find(&a, "unconstrained-delegation", "o\xe2\x80\x99" "brien");
	ck_assert_ptr_nonnull(strstr(f->remediation, "'CN=o\xe2\x80\x99\xe2\x80\x99" "brien,"));
	f = find(&a, "unconstrained-delegation", "x\xe2\x80\x98;calc;\xe2\x80\x9b'");
	ck_assert_ptr_nonnull(strstr(f->remediation, "'CN=x\xe2\x80\x98\xe2\x80\x98;calc;"
						     "\xe2\x80\x9b\xe2\x80\x9b'',"));
	tu_audit_free(&a);
}
END_TEST

/* Every RODC has TRUSTED_TO_AUTH_FOR_DELEGATION by default: no finding without targets. */
START_TEST(test_pt_rodc_default)
{
	struct tu_audit a;

	tu_audit_run(&a, BASE_LDIF COMPUTER("RODC2", "1109", "83890176") "primaryGroupID: 521\n" END
			      "dn: CN=krbtgt_12345," USERS "\nobjectClass: user\n"
			      "sAMAccountName: krbtgt_12345\nobjectSid: " DOMSID "-1110\n"
			      "userAccountControl: 514\n" END
			      USER("krbtgt_evil", "1111", U_UNCONSTRAINED) END);
	ck_assert_uint_eq(tu_count_findings(&a, "protocol-transition", NULL), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "unconstrained-delegation", "krbtgt_evil"), 1);
	ck_assert_int_eq(kd_directory_get(a.dir, kd_directory_find_dn(a.dir, "CN=krbtgt_12345," USERS))
				 ->kind,
			 KD_KIND_KRBTGT);
	ck_assert_int_eq(kd_directory_get(a.dir, kd_directory_find_dn(a.dir, "CN=krbtgt_evil," USERS))
				 ->kind,
			 KD_KIND_USER);
	tu_audit_free(&a);
}
END_TEST

/* ---- constrained-delegation, orphan-delegation-target ---- */

/* Added to BASE_LDIF at run time (C11 only promises 4095-byte literals). */
static const char constrained_ldif[] =
	USER("svc_sql", "1201", U_NORMAL) SPN("MSSQLSvc/sql01.corp.example:1433")
	SPN("MSSQLSvc/sql01.corp.example") END
	COMPUTER("SQL01", "1202", U_WS) SPN("HOST/sql01.corp.example") SPN("HOST/SQL01") END
	COMPUTER("FS01", "1203", U_WS) SPN("HOST/fs01.corp.example") END
	USER("dup_a", "1204", U_NORMAL) SPN("http/shared.corp.example") END
	COMPUTER("dup_b", "1205", U_WS) SPN("http/shared.corp.example") END
	USER("svc_web", "1210", U_NORMAL) A2D("MSSQLSvc/sql01.corp.example:1433") END
	USER("svc_files", "1211", U_NORMAL) A2D("cifs/fs01.corp.example") END
	USER("svc_amb", "1212", U_NORMAL) A2D("HTTP/shared.corp.example") END
	USER("svc_gone", "1213", U_NORMAL) A2D("cifs/oldfs.corp.example") A2D("notanspn") END
	USER("svc_tgt", "1214", U_NORMAL) A2D("krbtgt/CORP.EXAMPLE") END
	USER("svc_none", "1215", U_NORMAL) SPN("HTTP/none.corp.example") END;

START_TEST(test_constrained_service_user)
{
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *target, *owner, *reach;

	audit_base(&a, constrained_ldif);
	f = find(&a, "constrained-delegation", "svc_web");
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	ck_assert(!jbool(f->details, "protocol_transition"));
	ck_assert_uint_eq(json_array_size(json_object_get(f->details, "targets")), 1);
	target = json_array_get(json_object_get(f->details, "targets"), 0);
	ck_assert_str_eq(jstr(target, "spn"), "MSSQLSvc/sql01.corp.example:1433");
	ck_assert_str_eq(jstr(target, "status"), "resolved");
	ck_assert(!jbool(target, "via_host_alias"));
	/* the SPN's owner is the service user, not the computer its host part names */
	ck_assert_uint_eq(json_array_size(json_object_get(target, "owners")), 1);
	owner = json_array_get(json_object_get(target, "owners"), 0);
	ck_assert_str_eq(jstr(owner, "name"), "svc_sql");
	reach = json_object_get(f->details, "reachable_accounts");
	ck_assert_uint_eq(json_array_size(reach), 1);
	ck_assert_str_eq(jstr(json_array_get(reach, 0), "name"), "svc_sql");
	ck_assert_int_eq(jint(json_array_get(reach, 0), "service_count"), 2);
	ck_assert(!names(reach, "SQL01$"));
	ck_assert_uint_eq(tu_count_findings(&a, NULL, "svc_web"), 1);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_constrained_host_alias)
{
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *target;

	audit_base(&a, constrained_ldif);
	f = find(&a, "constrained-delegation", "svc_files");
	target = json_array_get(json_object_get(f->details, "targets"), 0);
	ck_assert_str_eq(jstr(target, "status"), "resolved");
	ck_assert(jbool(target, "via_host_alias"));
	ck_assert_str_eq(jstr(json_array_get(json_object_get(target, "owners"), 0), "name"),
			 "FS01$");
	ck_assert(jbool(json_array_get(json_object_get(f->details, "reachable_accounts"), 0),
			"host_aliases"));
	ck_assert_uint_eq(tu_count_findings(&a, "orphan-delegation-target", "svc_files"), 0);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_constrained_ambiguous)
{
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *target, *owners;

	audit_base(&a, constrained_ldif);
	f = find(&a, "constrained-delegation", "svc_amb");
	target = json_array_get(json_object_get(f->details, "targets"), 0);
	ck_assert_str_eq(jstr(target, "status"), "ambiguous");
	owners = json_object_get(target, "owners");
	ck_assert_uint_eq(json_array_size(owners), 2);
	ck_assert(names(owners, "dup_a"));
	ck_assert(names(owners, "dup_b$"));
	ck_assert_uint_eq(json_array_size(json_object_get(f->details, "reachable_accounts")), 2);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_orphan_targets)
{
	struct tu_audit a;
	size_t seen = 0;

	audit_base(&a, constrained_ldif);
	ck_assert_uint_eq(tu_count_findings(&a, "orphan-delegation-target", "svc_gone"), 2);
	for (size_t i = 0; i < a.findings.count; i++) {
		const struct kd_finding *f = &a.findings.items[i];
		const char *spn;

		if (strcmp(f->rule->id, "orphan-delegation-target") != 0)
			continue;
		ck_assert_str_eq(tu_account_name(&a, f), "svc_gone");
		ck_assert_int_eq(f->severity, KD_SEV_LOW);
		ck_assert(!jbool(f->details, "protocol_transition"));
		spn = jstr(f->details, "spn");
		if (strcmp(spn, "cifs/oldfs.corp.example") == 0) {
			ck_assert(jbool(f->details, "valid_spn"));
			seen |= 1;
		} else {
			ck_assert_str_eq(spn, "notanspn");
			ck_assert(!jbool(f->details, "valid_spn"));
			seen |= 2;
		}
	}
	ck_assert_uint_eq(seen, 3);
	/* every orphan is svc_gone's: krbtgt/REALM and the resolved targets are not */
	ck_assert_uint_eq(tu_count_findings(&a, "orphan-delegation-target", NULL), 2);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(
					  find(&a, "constrained-delegation", "svc_gone")->details,
					  "targets"),
					  0),
			      "status"),
			 "orphan");
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_constrained_negative)
{
	struct tu_audit a;

	audit_base(&a, constrained_ldif);
	/* SPN holders without msDS-AllowedToDelegateTo delegate nothing */
	ck_assert_uint_eq(tu_count_findings(&a, "constrained-delegation", "svc_sql"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, NULL, "svc_none"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "constrained-delegation", NULL), 5);
	tu_audit_free(&a);
}
END_TEST

/* ---- protocol-transition ---- */

START_TEST(test_pt_with_targets)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF COMPUTER("FS01", "1301", U_WS) SPN("HOST/fs01.corp.example") END
			      USER("svc_pt", "1302", U_PT) A2D("cifs/fs01.corp.example") END);
	f = find(&a, "protocol-transition", "svc_pt");
	ck_assert_int_eq(f->severity, KD_SEV_HIGH);
	ck_assert_int_eq(jint(f->details, "constrained_targets"), 1);
	ck_assert(jbool(f->details, "s4u2self_forwardable"));
	/* RBCD accepts non-forwardable S4U2Self tickets: the flag is about classic targets */
	ck_assert_ptr_null(json_object_get(f->details, "rbcd_resources_trusting_it"));
	ck_assert_ptr_null(json_object_get(f->details, "rbcd_resources"));
	ck_assert_ptr_nonnull(strstr(jstr(f->details, "note"), "RBCD accepts non-forwardable"));
	ck_assert(jbool(find(&a, "constrained-delegation", "svc_pt")->details,
			"protocol_transition"));
	ck_assert_ptr_nonnull(strstr(f->remediation, "-TrustedToAuthForDelegation $false"));
	tu_audit_free(&a);
}
END_TEST

/* Without targets the flag adds nothing today: low (it was medium). */
START_TEST(test_pt_without_targets)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("svc_legacy", "1303", U_PT) END);
	f = find(&a, "protocol-transition", "svc_legacy");
	ck_assert_int_eq(f->severity, KD_SEV_LOW);
	ck_assert_int_eq(jint(f->details, "constrained_targets"), 0);
	ck_assert_ptr_null(json_object_get(f->details, "rbcd_resources_trusting_it"));
	ck_assert_ptr_nonnull(strstr(f->message, "no constrained targets"));
	ck_assert_ptr_null(strstr(f->message, "RBCD"));
	ck_assert_uint_eq(tu_count_findings(&a, "constrained-delegation", NULL), 0);
	tu_audit_free(&a);
}
END_TEST

/* Trusted by an RBCD resource: no higher than without (it was raised to high). */
START_TEST(test_pt_trusted_by_rbcd)
{
	const struct tu_ace aces[] = {{.type = 0, .mask = 0x100, .sid = DOMSID "-1303"}};
	char *rbcd = rbcd_line(aces, 1, 0);
	char *text = tu_xprintf(BASE_LDIF USER("svc_legacy", "1303", U_PT) END
				     COMPUTER("RES", "1304", U_WS) "%s" END
				     COMPUTER("OTHER", "1305", U_WS) END,
			     rbcd);
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, text);
	f = find(&a, "protocol-transition", "svc_legacy");
	ck_assert_int_eq(f->severity, KD_SEV_LOW);
	ck_assert_ptr_null(json_object_get(f->details, "rbcd_resources_trusting_it"));
	ck_assert_ptr_null(json_object_get(f->details, "rbcd_resources"));
	ck_assert_ptr_null(strstr(f->message, "RBCD"));
	/* the RBCD grant itself is reported where it is, on the resource */
	ck_assert(names(json_object_get(find(&a, "resource-based-delegation", "RES$")->details,
					"effective_trustees"),
			"svc_legacy"));
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

/* A writable DC does not carry the flag by default: someone set it, so it is reported. */
START_TEST(test_pt_writable_dc)
{
	struct tu_audit a;
	const struct kd_finding *f;

	/* SERVER_TRUST | TRUSTED_FOR_DELEGATION | TRUSTED_TO_AUTH_FOR_DELEGATION */
	tu_audit_run(&a, BASE_LDIF COMPUTER("DC02", "1308", "17309696") "primaryGroupID: 516\n"
			      SPN("HOST/dc02.corp.example") END
			      /* the same, disabled */
			      COMPUTER("DC03", "1309", "17309698") "primaryGroupID: 516\n" END);
	f = find(&a, "protocol-transition", "DC02$");
	ck_assert_int_eq(kd_directory_get(a.dir, f->principal)->kind, KD_KIND_DC);
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	ck_assert_int_eq(jint(f->details, "constrained_targets"), 0);
	ck_assert_ptr_nonnull(strstr(f->message, "domain controller"));
	ck_assert_int_eq(find(&a, "protocol-transition", "DC03$")->severity, KD_SEV_LOW);
	/* the DC's TRUSTED_FOR_DELEGATION is by design */
	ck_assert_uint_eq(tu_count_findings(&a, "unconstrained-delegation", NULL), 0);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_pt_disabled_and_absent)
{
	struct tu_audit a;

	tu_audit_run(&a, BASE_LDIF COMPUTER("FS01", "1301", U_WS) SPN("HOST/fs01.corp.example") END
			      USER("svc_off", "1306", U_PT_DISABLED) A2D("cifs/fs01.corp.example") END
			      USER("svc_kcd", "1307", U_NORMAL) A2D("cifs/fs01.corp.example") END);
	ck_assert_int_eq(find(&a, "protocol-transition", "svc_off")->severity, KD_SEV_MEDIUM);
	ck_assert_uint_eq(tu_count_findings(&a, "protocol-transition", "svc_kcd"), 0);
	ck_assert(!jbool(find(&a, "constrained-delegation", "svc_kcd")->details,
			 "protocol_transition"));
	tu_audit_free(&a);
}
END_TEST

/* ---- resource-based-delegation, rbcd-broad-trustee: the KDC's access check ---- */

#define SID_FRONT DOMSID "-2101"
#define SID_WEB02 DOMSID "-2102"
#define SID_WEBGROUP DOMSID "-2200"
#define SID_OUTER DOMSID "-2201"
#define SID_PGGROUP DOMSID "-2203"
#define RBCD_GUID "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"

#define RBCD_PEOPLE                                                                           \
	COMPUTER("FRONT", "2101", U_WS) END                                                   \
	COMPUTER("WEB02", "2102", U_WS) END                                                   \
	COMPUTER("NEST", "2103", U_WS) END                                                    \
	COMPUTER("PG", "2104", U_WS) "primaryGroupID: 2203\n" END                             \
	GROUP("Web", SID_WEBGROUP) MEMBER("FRONT") MEMBER("WEB02") END                        \
	GROUP("Outer", SID_OUTER) MEMBER("Inner") END                                         \
	GROUP("Inner", DOMSID "-2202") MEMBER("NEST") MEMBER("Outer") END                     \
	GROUP("AppServers", SID_PGGROUP) END

struct rbcd_case {
	const char *name;
	struct tu_ace aces[3];
	size_t naces;
	int mode; /* rbcd_line() mode */
	const char *state;
	enum kd_severity severity;
	const char *effective[3]; /* names, NULL-terminated */
	const char *classes[3];   /* per ACE */
	const char *broad_sid;    /* rbcd-broad-trustee expected with this SID */
	size_t unresolved;
	size_t conditional;       /* entries of conditional_trustees */
};

#define ALLOW(s) {.type = 0x00, .mask = 0x100, .sid = (s)}
#define DENY(s) {.type = 0x01, .mask = 0x100, .sid = (s)}

static const struct rbcd_case rbcd_cases[] = {
	{"allow", {ALLOW(SID_FRONT)}, 1, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$"}, {"effective"},
	 NULL, 0, 0},
	/* what PowerShell writes: 0xf01ff includes 0x100 */
	{"allow-full", {{.type = 0, .mask = 0xf01ff, .sid = SID_FRONT}}, 1, 0, "parsed",
	 KD_SEV_MEDIUM, {"FRONT$"}, {"effective"}, NULL, 0, 0},
	{"generic-all-only", {{.type = 0, .mask = 0x10000000, .sid = SID_FRONT}}, 1, 0, "parsed",
	 KD_SEV_INFO, {NULL}, {"inert"}, NULL, 0, 0},
	{"object-ace-with-type",
	 {{.type = 0x05, .mask = 0x100, .sid = SID_FRONT, .object_type_guid = RBCD_GUID}}, 1, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"inert"}, NULL, 0, 0},
	/* the KDC's check passes no object tree: an object ACE without ObjectType grants
	 * nothing either (it was counted as a grant) */
	{"object-ace-without-type", {{.type = 0x05, .mask = 0x100, .sid = SID_FRONT}}, 1, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"inert"}, NULL, 0, 0},
	{"object-deny-then-allow", {{.type = 0x06, .mask = 0x100, .sid = SID_FRONT},
				    ALLOW(SID_FRONT)},
	 2, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$"}, {"inert", "effective"}, NULL, 0, 0},
	{"inherit-only", {{.type = 0, .flags = 0x08, .mask = 0x100, .sid = SID_FRONT}}, 1, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"inherit-only"}, NULL, 0, 0},
	{"deny-then-allow", {DENY(SID_FRONT), ALLOW(SID_FRONT)}, 2, 0, "parsed", KD_SEV_INFO,
	 {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"allow-then-deny", {ALLOW(SID_FRONT), DENY(SID_FRONT)}, 2, 0, "parsed", KD_SEV_MEDIUM,
	 {"FRONT$"}, {"effective", "deny"}, NULL, 0, 0},
	{"group", {ALLOW(SID_WEBGROUP)}, 1, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$", "WEB02$"},
	 {"effective"}, NULL, 0, 0},
	{"deny-member-then-group", {DENY(SID_FRONT), ALLOW(SID_WEBGROUP)}, 2, 0, "parsed",
	 KD_SEV_MEDIUM, {"WEB02$"}, {"deny", "effective"}, NULL, 0, 0},
	{"group-then-deny-member", {ALLOW(SID_WEBGROUP), DENY(SID_FRONT)}, 2, 0, "parsed",
	 KD_SEV_MEDIUM, {"FRONT$", "WEB02$"}, {"effective", "deny"}, NULL, 0, 0},
	{"deny-group-then-member", {DENY(SID_WEBGROUP), ALLOW(SID_FRONT)}, 2, 0, "parsed",
	 KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"nested-cyclic-group", {ALLOW(SID_OUTER)}, 1, 0, "parsed", KD_SEV_MEDIUM, {"NEST$"},
	 {"effective"}, NULL, 0, 0},
	{"primary-group", {ALLOW(SID_PGGROUP)}, 1, 0, "parsed", KD_SEV_MEDIUM, {"PG$"},
	 {"effective"}, NULL, 0, 0},
	{"unresolved", {ALLOW(DOMSID "-4242")}, 1, 0, "parsed", KD_SEV_MEDIUM, {NULL},
	 {"effective"}, NULL, 1, 0},
	{"everyone", {ALLOW("S-1-1-0")}, 1, 0, "parsed", KD_SEV_HIGH, {NULL}, {"effective"},
	 "S-1-1-0", 0, 0},
	{"authenticated-users", {ALLOW("S-1-5-11")}, 1, 0, "parsed", KD_SEV_HIGH, {NULL},
	 {"effective"}, "S-1-5-11", 0, 0},
	{"domain-computers", {ALLOW(DOMSID "-515")}, 1, 0, "parsed", KD_SEV_HIGH, {NULL},
	 {"effective"}, DOMSID "-515", 0, 0},
	{"deny-everyone-first", {DENY("S-1-1-0"), ALLOW("S-1-1-0")}, 2, 0, "parsed", KD_SEV_INFO,
	 {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"deny-everyone-then-allow", {DENY("S-1-1-0"), ALLOW(SID_FRONT)}, 2, 0, "parsed",
	 KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"inherit-only-deny", {{.type = 1, .flags = 0x08, .mask = 0x100, .sid = SID_FRONT},
			       ALLOW(SID_FRONT)},
	 2, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$"}, {"inherit-only", "effective"}, NULL, 0, 0},
	{"deny-without-control-access", {{.type = 1, .mask = 0x10000000, .sid = SID_FRONT},
					 ALLOW(SID_FRONT)},
	 2, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$"}, {"inert", "effective"}, NULL, 0, 0},
	/* whoever carries the unresolved SID is denied first: the grant is dead */
	{"deny-then-allow-unresolved", {DENY(DOMSID "-4242"), ALLOW(DOMSID "-4242")}, 2, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	/* a deny of a SID in every token stops later broad and unresolved grants too */
	{"deny-everyone-then-authenticated", {DENY("S-1-1-0"), ALLOW("S-1-5-11")}, 2, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"deny-authenticated-then-unresolved", {DENY("S-1-5-11"), ALLOW(DOMSID "-4242")}, 2, 0,
	 "parsed", KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	{"deny-everyone-then-group", {DENY("S-1-1-0"), ALLOW(SID_WEBGROUP)}, 2, 0, "parsed",
	 KD_SEV_INFO, {NULL}, {"deny", "denied"}, NULL, 0, 0},
	/* a narrower deny leaves a broad grant standing for everyone else */
	{"deny-domain-users-then-authenticated", {DENY(DOMSID "-513"), ALLOW("S-1-5-11")}, 2, 0,
	 "parsed", KD_SEV_HIGH, {NULL}, {"deny", "effective"}, "S-1-5-11", 0, 0},
	/* a conditional (callback) deny before a grant: the grant holds only when the
	 * condition does not, so it is conditional (it was counted as effective) */
	{"callback-deny-then-allow",
	 {{.type = 0x0a, .mask = 0x100, .sid = SID_FRONT, .app_data = "artx", .app_len = 4},
	  ALLOW(SID_FRONT)},
	 2, 0, "parsed", KD_SEV_LOW, {NULL}, {"deny", "conditional"}, NULL, 0, 1},
	{"callback-deny-everyone-then-unresolved",
	 {{.type = 0x0a, .mask = 0x100, .sid = "S-1-1-0", .app_data = "artx", .app_len = 4},
	  ALLOW(DOMSID "-4242")},
	 2, 0, "parsed", KD_SEV_LOW, {NULL}, {"deny", "conditional"}, NULL, 0, 1},
	/* a conditional allow is not effective: "conditional" (it was effective) */
	{"callback-allow",
	 {{.type = 0x09, .mask = 0x100, .sid = SID_FRONT, .app_data = "artx", .app_len = 4}}, 1,
	 0, "parsed", KD_SEV_LOW, {NULL}, {"conditional"}, NULL, 0, 1},
	{"callback-allow-group",
	 {{.type = 0x09, .mask = 0x100, .sid = SID_WEBGROUP, .app_data = "artx", .app_len = 4}},
	 1, 0, "parsed", KD_SEV_LOW, {NULL}, {"conditional"}, NULL, 0, 2},
	{"callback-allow-everyone",
	 {{.type = 0x09, .mask = 0x100, .sid = "S-1-1-0", .app_data = "artx", .app_len = 4}}, 1,
	 0, "parsed", KD_SEV_LOW, {NULL}, {"conditional"}, NULL, 0, 1},
	{"callback-allow-then-allow",
	 {{.type = 0x09, .mask = 0x100, .sid = SID_FRONT, .app_data = "artx", .app_len = 4},
	  ALLOW(SID_FRONT)},
	 2, 0, "parsed", KD_SEV_MEDIUM, {"FRONT$"}, {"conditional", "effective"}, NULL, 0, 0},
	/* the front end's own token carries S-1-18-1, never S-1-18-2: an ACE for S-1-18-2
	 * is no broad grant (it was) */
	{"service-asserted-identity", {ALLOW("S-1-18-2")}, 1, 0, "parsed", KD_SEV_INFO, {NULL},
	 {"matches-nobody"}, NULL, 0, 0},
	{"authority-asserted-identity", {ALLOW("S-1-18-1")}, 1, 0, "parsed", KD_SEV_HIGH, {NULL},
	 {"effective"}, "S-1-18-1", 0, 0},
	/* Principal Self stands for the object checked; the KDC's check names none */
	{"principal-self", {ALLOW("S-1-5-10")}, 1, 0, "parsed", KD_SEV_INFO, {NULL},
	 {"matches-nobody"}, NULL, 0, 0},
	{"anonymous", {ALLOW("S-1-5-7")}, 1, 0, "parsed", KD_SEV_INFO, {NULL},
	 {"matches-nobody"}, NULL, 0, 0},
	/* This Organization: not in Samba's token, undocumented for Windows' KDC */
	{"this-organization", {ALLOW("S-1-5-15")}, 1, 0, "parsed", KD_SEV_MEDIUM, {NULL},
	 {"uncertain"}, NULL, 0, 1},
	/* ...so a deny of it does not take a later Authenticated Users grant from everyone
	 * (it was "denied"): uncertain, not a certain no */
	/* an uncertain grant weighs as an unresolved one (medium): Samba's KDC grants it */
	{"deny-this-organization-then-authenticated", {DENY("S-1-5-15"), ALLOW("S-1-5-11")}, 2,
	 0, "parsed", KD_SEV_MEDIUM, {NULL}, {"deny", "uncertain"}, NULL, 0, 1},
	{"deny-this-organization-then-member", {DENY("S-1-5-15"), ALLOW(SID_FRONT)}, 2, 0,
	 "parsed", KD_SEV_MEDIUM, {NULL}, {"deny", "uncertain"}, NULL, 0, 1},
	{"null-dacl", {{0}}, 0, 1, "null-dacl", KD_SEV_HIGH, {NULL}, {NULL}, "S-1-1-0", 0, 0},
	{"empty-dacl", {{0}}, 0, 0, "empty-dacl", KD_SEV_INFO, {NULL}, {NULL}, NULL, 0, 0},
};

START_TEST(test_rbcd)
{
	const struct rbcd_case *c = &rbcd_cases[_i];
	char *rbcd = rbcd_line(c->aces, c->naces, c->mode);
	char *text = tu_xprintf(BASE_LDIF RBCD_PEOPLE COMPUTER("RES", "2300", U_WS) "%s" END, rbcd);
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *effective, *aces;
	size_t neffective = 0;

	tu_audit_run(&a, text);
	f = find(&a, "resource-based-delegation", "RES$");
	ck_assert_msg(strcmp(jstr(f->details, "state"), c->state) == 0, "%s: state %s", c->name,
		      jstr(f->details, "state"));
	ck_assert_msg(f->severity == c->severity, "%s: severity %s", c->name,
		      kd_severity_name(f->severity));
	effective = json_object_get(f->details, "effective_trustees");
	for (; neffective < 3 && c->effective[neffective]; neffective++)
		ck_assert_msg(names(effective, c->effective[neffective]), "%s: %s not effective",
			      c->name, c->effective[neffective]);
	ck_assert_msg(json_array_size(effective) == neffective, "%s: %zu effective trustees",
		      c->name, json_array_size(effective));
	ck_assert_int_eq(jint(f->details, "effective_trustee_count"), (json_int_t)neffective);
	aces = json_object_get(f->details, "aces");
	ck_assert_uint_eq(json_array_size(aces), c->mode == 1 ? 0 : c->naces);
	for (size_t k = 0; k < c->naces; k++)
		ck_assert_msg(strcmp(jstr(json_array_get(aces, k), "class"), c->classes[k]) == 0,
			      "%s: ACE %zu is %s, want %s", c->name, k,
			      jstr(json_array_get(aces, k), "class"), c->classes[k]);
	ck_assert_msg(json_array_size(json_object_get(f->details, "unresolved_trustees")) ==
			      c->unresolved,
		      "%s: %zu unresolved trustees", c->name,
		      json_array_size(json_object_get(f->details, "unresolved_trustees")));
	ck_assert_msg(json_array_size(json_object_get(f->details, "conditional_trustees")) ==
			      c->conditional,
		      "%s: %zu conditional trustees", c->name,
		      json_array_size(json_object_get(f->details, "conditional_trustees")));
	if (c->broad_sid) {
		const struct kd_finding *b = find(&a, "rbcd-broad-trustee", "RES$");
		json_t *broad = json_object_get(b->details, "broad_trustees");

		ck_assert_int_eq(b->severity, KD_SEV_CRITICAL);
		ck_assert_str_eq(jstr(b->details, "state"), c->state);
		ck_assert_uint_eq(json_array_size(broad), 1);
		ck_assert_str_eq(jstr(json_array_get(broad, 0), "sid"), c->broad_sid);
	} else {
		ck_assert_uint_eq(tu_count_findings(&a, "rbcd-broad-trustee", NULL), 0);
		ck_assert_uint_eq(json_array_size(json_object_get(f->details, "broad_trustees")),
				  0);
	}
	/* RES is no tier-0 account; nothing else is reported about anyone */
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-to-tier0", NULL), 0);
	ck_assert_uint_eq(a.findings.count, c->broad_sid ? 2 : 1);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

/* A grant in doubt says where the doubt comes from: the earlier ACE, not the grant. */
START_TEST(test_rbcd_doubt_reasons)
{
	const struct tu_ace org[] = {DENY("S-1-5-15"), ALLOW("S-1-5-11")};
	const struct tu_ace cond[] = {{.type = 0x0a, .mask = 0x100, .sid = "S-1-1-0",
				       .app_data = "artx", .app_len = 4},
				      ALLOW(DOMSID "-4242")};
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *maybe, *ace;
	char *rbcd, *text;
	const char *reason;

	/* deny This Organization, allow Authenticated Users: the doubt is S-1-5-15's */
	rbcd = rbcd_line(org, 2, 0);
	text = tu_xprintf(BASE_LDIF RBCD_PEOPLE COMPUTER("RES", "2300", U_WS) "%s" END, rbcd);
	tu_audit_run(&a, text);
	f = find(&a, "resource-based-delegation", "RES$");
	maybe = json_array_get(json_object_get(f->details, "conditional_trustees"), 0);
	ck_assert_str_eq(jstr(maybe, "sid"), "S-1-5-11");
	ck_assert_str_eq(jstr(maybe, "verdict"), "uncertain");
	reason = jstr(maybe, "reason");
	ck_assert_msg(strstr(reason, "S-1-5-15") || strstr(reason, "This Organization"),
		      "conditional_trustees reason does not name the doubt: %s", reason);
	ace = json_array_get(json_object_get(f->details, "aces"), 1);
	ck_assert_str_eq(jstr(ace, "class"), "uncertain");
	reason = jstr(ace, "reason");
	/* Authenticated Users' presence is documented; the earlier deny's is not */
	ck_assert_msg(strstr(reason, "S-1-5-15") || strstr(reason, "This Organization") ||
			      strstr(reason, "earlier"),
		      "ACE 1 reason blames its own SID: %s", reason);
	tu_audit_free(&a);
	free(text);
	free(rbcd);

	/* a conditional deny of Everyone before an unresolved grant */
	rbcd = rbcd_line(cond, 2, 0);
	text = tu_xprintf(BASE_LDIF RBCD_PEOPLE COMPUTER("RES", "2300", U_WS) "%s" END, rbcd);
	tu_audit_run(&a, text);
	f = find(&a, "resource-based-delegation", "RES$");
	maybe = json_array_get(json_object_get(f->details, "conditional_trustees"), 0);
	ck_assert_str_eq(jstr(maybe, "verdict"), "conditional");
	reason = jstr(maybe, "reason");
	ck_assert_msg(strstr(reason, "conditional"),
		      "conditional_trustees reason does not name the condition: %s", reason);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

/* A group trustee with members outside the snapshot: they may hold the grant too. */
START_TEST(test_rbcd_group_foreign_members)
{
	const struct tu_ace aces[] = {ALLOW(DOMSID "-2400")};
	char *rbcd = rbcd_line(aces, 1, 0);
	char *text = tu_xprintf(BASE_LDIF GROUP("Partners", DOMSID "-2400")
				"member: CN=S-1-5-21-9-9-9-1105,CN=ForeignSecurityPrincipals," BASE
				"\n" END COMPUTER("RES", "2300", U_WS) "%s" END,
				rbcd);
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *unresolved;

	tu_audit_run(&a, text);
	f = find(&a, "resource-based-delegation", "RES$");
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	unresolved = json_object_get(f->details, "unresolved_trustees");
	ck_assert_uint_eq(json_array_size(unresolved), 1);
	ck_assert_str_eq(jstr(json_array_get(unresolved, 0), "name"), "Partners");
	ck_assert_int_eq(jint(json_array_get(unresolved, 0), "unresolved_members"), 1);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

/* ...also when the foreign member sits in a nested group. */
START_TEST(test_rbcd_nested_foreign_members)
{
	const struct tu_ace aces[] = {ALLOW(DOMSID "-2401")};
	char *rbcd = rbcd_line(aces, 1, 0);
	char *text = tu_xprintf(BASE_LDIF GROUP("Outer", DOMSID "-2401") MEMBER("Inner") END
				GROUP("Inner", DOMSID "-2402")
				"member: CN=S-1-5-21-9-9-9-1105,CN=ForeignSecurityPrincipals," BASE
				"\nmember: CN=S-1-5-21-9-9-9-1106,CN=ForeignSecurityPrincipals," BASE
				"\n" END COMPUTER("RES", "2300", U_WS) "%s" END,
				rbcd);
	struct tu_audit a;
	json_t *unresolved;

	tu_audit_run(&a, text);
	unresolved = json_object_get(find(&a, "resource-based-delegation", "RES$")->details,
				     "unresolved_trustees");
	ck_assert_uint_eq(json_array_size(unresolved), 1);
	ck_assert_str_eq(jstr(json_array_get(unresolved, 0), "name"), "Outer");
	ck_assert_int_eq(jint(json_array_get(unresolved, 0), "unresolved_members"), 2);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

START_TEST(test_rbcd_group_members_granted)
{
	const struct tu_ace aces[] = {DENY(SID_FRONT), ALLOW(SID_WEBGROUP)};
	char *rbcd = rbcd_line(aces, 2, 0);
	char *text = tu_xprintf(BASE_LDIF RBCD_PEOPLE COMPUTER("RES", "2300", U_WS) "%s" END, rbcd);
	struct tu_audit a;
	json_t *ace;

	tu_audit_run(&a, text);
	ace = json_array_get(json_object_get(find(&a, "resource-based-delegation", "RES$")->details,
					     "aces"),
			     1);
	ck_assert_int_eq(jint(ace, "members_granted"), 1);
	ck_assert_str_eq(jstr(ace, "mask"), "0x00000100");
	ck_assert_str_eq(jstr(json_object_get(ace, "trustee"), "name"), "Web");
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

START_TEST(test_rbcd_malformed)
{
	const struct tu_ace aces[] = {ALLOW(SID_FRONT)};
	char *rbcd = rbcd_line(aces, 1, 2);
	char *text = tu_xprintf(BASE_LDIF RBCD_PEOPLE COMPUTER("RES", "2300", U_WS) "%s" END, rbcd);
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, text);
	ck_assert_uint_eq(tu_count_findings(&a, "resource-based-delegation", NULL), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "rbcd-broad-trustee", NULL), 0);
	f = find(&a, "unparseable-attribute", "RES$");
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	ck_assert_str_eq(jstr(f->details, "attribute"), "msDS-AllowedToActOnBehalfOfOtherIdentity");
	ck_assert_int_eq(jint(f->details, "offset"), 38);
	ck_assert_ptr_nonnull(strstr(jstr(f->details, "note"), "fails closed"));
	ck_assert_ptr_nonnull(strstr(f->message, "at byte 38"));
	ck_assert_uint_eq(a.findings.count, 1);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
}
END_TEST

/* ---- delegation-to-tier0 ---- */

START_TEST(test_tier0_constrained)
{
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *targets;

	tu_audit_run(&a, BASE_LDIF
		  USER("svc_ldap", "2401", U_NORMAL) A2D("ldap/dc01.corp.example") END
		  USER("svc_cifs", "2402", U_PT) A2D("cifs/DC01.corp.example") END
		  USER("svc_tgt", "2403", U_NORMAL) A2D("krbtgt/CORP.EXAMPLE") END
		  COMPUTER("FS01", "2404", U_WS) SPN("HOST/fs01.corp.example") END
		  USER("svc_fs", "2405", U_NORMAL) A2D("cifs/fs01.corp.example") END);

	f = find(&a, "delegation-to-tier0", "svc_ldap");
	ck_assert_int_eq(f->severity, KD_SEV_CRITICAL);
	ck_assert_str_eq(jstr(f->details, "delegation"), "constrained");
	ck_assert(!jbool(f->details, "protocol_transition"));
	targets = json_object_get(f->details, "targets");
	ck_assert_uint_eq(json_array_size(targets), 1);
	ck_assert_str_eq(jstr(json_array_get(targets, 0), "spn"), "ldap/dc01.corp.example");
	ck_assert(names(json_object_get(json_array_get(targets, 0), "owners"), "DC01$"));

	f = find(&a, "delegation-to-tier0", "svc_cifs");
	ck_assert(jbool(f->details, "protocol_transition"));
	ck_assert(jbool(json_array_get(json_object_get(f->details, "targets"), 0),
			"via_host_alias"));

	f = find(&a, "delegation-to-tier0", "svc_tgt");
	ck_assert(names(json_object_get(json_array_get(json_object_get(f->details, "targets"), 0),
					"owners"),
			"krbtgt"));
	ck_assert_uint_eq(tu_count_findings(&a, "orphan-delegation-target", NULL), 0);

	ck_assert_uint_eq(tu_count_findings(&a, "delegation-to-tier0", "svc_fs"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-to-tier0", NULL), 3);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_tier0_rbcd_on_dc)
{
	const struct tu_ace aces[] = {ALLOW(SID_FRONT)};
	char *rbcd = rbcd_line(aces, 1, 0), *empty = rbcd_line(NULL, 0, 0);
	char *text = tu_xprintf(DOMAIN_ENTRY RBCD_PEOPLE
			     COMPUTER("DC02", "2501", U_DC) "%s" END
			     COMPUTER("DC03", "2502", U_DC) "%s" END,
			     rbcd, empty);
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, text);
	f = find(&a, "delegation-to-tier0", "DC02$");
	ck_assert_int_eq(f->severity, KD_SEV_CRITICAL);
	ck_assert_str_eq(jstr(f->details, "delegation"), "resource-based");
	ck_assert_str_eq(jstr(f->details, "tier0_reason"), "domain controller");
	ck_assert(names(json_object_get(json_object_get(f->details, "rbcd"), "effective_trustees"),
			"FRONT$"));
	/* an empty DACL on a DC grants nobody: informational only */
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-to-tier0", "DC03$"), 0);
	ck_assert_int_eq(find(&a, "resource-based-delegation", "DC03$")->severity, KD_SEV_INFO);
	tu_audit_free(&a);
	free(text);
	free(rbcd);
	free(empty);
}
END_TEST

/* ---- duplicate-spn ---- */

START_TEST(test_duplicate_exact)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("svc_a", "2601", U_NORMAL) SPN("http/dup.corp.example") END
			      USER("svc_b", "2602", U_NORMAL) SPN("HTTP/DUP.corp.example") END);
	ck_assert_uint_eq(tu_count_findings(&a, "duplicate-spn", NULL), 2);
	f = find(&a, "duplicate-spn", "svc_a");
	ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
	ck_assert_str_eq(jstr(f->details, "collision"), "exact");
	ck_assert_str_eq(jstr(f->details, "spn"), "http/dup.corp.example");
	ck_assert(names(json_object_get(f->details, "other_holders"), "svc_b"));
	ck_assert_uint_eq(json_array_size(json_object_get(f->details, "other_holders")), 1);
	f = find(&a, "duplicate-spn", "svc_b");
	ck_assert_str_eq(jstr(f->details, "spn"), "HTTP/DUP.corp.example");
	ck_assert(names(json_object_get(f->details, "other_holders"), "svc_a"));
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_duplicate_same_account)
{
	struct tu_audit a;

	tu_audit_run(&a, BASE_LDIF USER("svc_a", "2601", U_NORMAL) SPN("http/dup.corp.example")
			      SPN("HTTP/DUP.CORP.EXAMPLE") SPN("http/dup.corp.example") END);
	ck_assert_uint_eq(tu_count_findings(&a, "duplicate-spn", NULL), 0);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_duplicate_host_alias)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("svc_web", "2601", U_NORMAL) SPN("http/web.corp.example") END
			      COMPUTER("WEB", "2602", U_WS) SPN("HOST/web.corp.example") END
			      COMPUTER("WEB2", "2603", U_WS) SPN("HOST/web2.corp.example") END);
	ck_assert_uint_eq(tu_count_findings(&a, "duplicate-spn", NULL), 2);
	f = find(&a, "duplicate-spn", "svc_web");
	ck_assert_int_eq(f->severity, KD_SEV_LOW);
	ck_assert_str_eq(jstr(f->details, "collision"), "host-alias");
	ck_assert_str_eq(jstr(f->details, "colliding_spn"), "HOST/web.corp.example");
	ck_assert(names(json_object_get(f->details, "other_holders"), "WEB$"));
	/* the fix removes the alias SPN, never HOST/ */
	ck_assert_ptr_nonnull(strstr(f->remediation, "setspn -D 'http/web.corp.example'"));
	f = find(&a, "duplicate-spn", "WEB$");
	ck_assert_int_eq(f->severity, KD_SEV_LOW);
	ck_assert_str_eq(jstr(f->details, "collision"), "host-alias");
	ck_assert(names(json_object_get(f->details, "other_holders"), "svc_web"));
	ck_assert_ptr_nonnull(strstr(f->remediation, "setspn -D 'http/web.corp.example'"));
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_duplicate_none)
{
	struct tu_audit a;

	/* non-alias class on another host, an alias on the same account as its HOST/ */
	tu_audit_run(&a, BASE_LDIF COMPUTER("WEB", "2602", U_WS) SPN("HOST/web.corp.example")
			      SPN("http/web.corp.example") END
			      USER("svc_sql", "2604", U_NORMAL) SPN("MSSQLSvc/web.corp.example") END);
	ck_assert_uint_eq(tu_count_findings(&a, "duplicate-spn", NULL), 0);
	tu_audit_free(&a);
}
END_TEST

/* ---- privileged-delegable ---- */

struct priv_case {
	const char *name;
	const char *level;    /* domain attribute line, "" when absent */
	const char *uac;
	bool protected_users; /* member of Protected Users (through a nested group) */
	bool reported;
	enum kd_severity severity;
};

static const struct priv_case priv_cases[] = {
	{"plain-admin", "msDS-Behavior-Version: 7\n", U_NORMAL, false, true, KD_SEV_HIGH},
	{"not-delegated", "msDS-Behavior-Version: 7\n", U_SENSITIVE, false, false, 0},
	{"protected-2016", "msDS-Behavior-Version: 7\n", U_NORMAL, true, false, 0},
	{"protected-2012r2", "msDS-Behavior-Version: 6\n", U_NORMAL, true, false, 0},
	{"protected-2008r2", "msDS-Behavior-Version: 4\n", U_NORMAL, true, true, KD_SEV_HIGH},
	{"protected-unknown-level", "", U_NORMAL, true, true, KD_SEV_LOW},
	{"disabled-admin", "msDS-Behavior-Version: 7\n", "514", false, true, KD_SEV_LOW},
};

START_TEST(test_privileged_delegable)
{
	const struct priv_case *c = &priv_cases[_i];
	char *text = tu_xprintf(
		"dn: " BASE "\nobjectClass: domain\nobjectSid: " DOMSID "\n%s\n"
		GROUP("Domain Admins", DOMSID "-512") MEMBER("admin") END
		GROUP("Protected Users", DOMSID "-525") "%s" END
		GROUP("Tier0 Protected", DOMSID "-2701") MEMBER("admin") END
		USER("admin", "2702", "%s") END
		USER("helpdesk", "2703", U_NORMAL) END,
		c->level, c->protected_users ? MEMBER("Tier0 Protected") : "", c->uac);
	struct tu_audit a;

	tu_audit_run(&a, text);
	ck_assert_uint_eq(tu_count_findings(&a, "privileged-delegable", "helpdesk"), 0);
	if (!c->reported) {
		ck_assert_msg(tu_count_findings(&a, "privileged-delegable", NULL) == 0, "%s: reported",
			      c->name);
	} else {
		const struct kd_finding *f = find(&a, "privileged-delegable", "admin");
		json_t *level = json_object_get(f->details, "domain_functional_level");

		ck_assert_msg(f->severity == c->severity, "%s: severity %s", c->name,
			      kd_severity_name(f->severity));
		ck_assert_str_eq(jstr(f->details, "tier0_reason"), "member of Domain Admins");
		ck_assert(!jbool(f->details, "not_delegated"));
		ck_assert_int_eq(jbool(f->details, "protected_users"), c->protected_users);
		if (c->level[0])
			ck_assert_int_eq(json_integer_value(level), c->level[23] - '0');
		else
			ck_assert(json_is_null(level));
		ck_assert_ptr_nonnull(strstr(f->remediation, "-AccountNotDelegated $true"));
	}
	tu_audit_free(&a);
	free(text);
}
END_TEST

/* ---- who can configure delegation: rbcd-writable, machine-account-quota ---- */

/* BASE_LDIF without krbtgt, under a domain object with @domain_lines. */
#define WR_BASE(domain_lines)                                                                 \
	DOMAIN_AT(domain_lines)                                                               \
	GROUP("Domain Admins", DOMSID "-512") MEMBER("t0admin") END                           \
	GROUP("Domain Users", DOMSID "-513") END                                              \
	GROUP("Domain Computers", DOMSID "-515") END                                          \
	GROUP("Domain Controllers", DOMSID "-516") END                                        \
	GROUP("Protected Users", DOMSID "-525") END                                           \
	COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"                                \
	SPN("ldap/dc01.corp.example") SPN("HOST/dc01.corp.example") END                       \
	USER("t0admin", "3400", U_SENSITIVE) END                                              \
	USER("helpdesk", "3401", U_NORMAL) END                                                \
	GROUP("Ops", DOMSID "-3402") MEMBER("opuser") END                                     \
	USER("opuser", "3403", U_NORMAL) END                                                  \
	USER("joiner", "3404", U_NORMAL) END

#define SID_HELPDESK DOMSID "-3401"
#define SID_OPS DOMSID "-3402"
#define SID_OPUSER DOMSID "-3403"
#define SID_JOINER DOMSID "-3404"
#define PROPSET_GUID "4c164200-20c0-11d0-a768-00aa006e0529"
#define SPN_GUID "f3a64788-5306-11d1-a9c5-0000f80367c1"
#define WP 0x20u
#define OBJ_WP(s, g) {.type = 0x05, .mask = WP, .sid = (s), .object_type_guid = (g)}
#define PLAIN(m, s) {.type = 0x00, .mask = (m), .sid = (s)}

/* A target account of the write-rights cases: its LDIF (without the blank line). */
#define T_WS COMPUTER("WS01", "3501", U_WS)
#define T_DC COMPUTER("DC02", "3502", U_DC) "primaryGroupID: 516\n"
#define T_USER USER("svc_app", "3503", U_NORMAL) "servicePrincipalName: HTTP/app.corp.example\n"
#define T_USER_NO_SPN USER("svc_app", "3503", U_NORMAL)
#define T_KRBTGT USER("krbtgt", "502", "514")
#define T_GROUP GROUP("AppAdmins", DOMSID "-3504")

/* An audit whose accounts carry nTSecurityDescriptor (the directory reads it). */
struct sd_audit {
	struct tu_audit a;
	struct kd_arena *arena;
};

/* The fixture carries the descriptor as an LDIF attribute: the directory read it. */
static void
expect_sd(struct sd_audit *s, const char *cn, const struct tu_buf *bytes)
{
	char *dn = tu_xprintf("CN=%s," USERS, cn);
	uint32_t i = kd_directory_find_dn(s->a.dir, dn);

	(void)bytes;
	free(dn);
	ck_assert_msg(i != KD_NONE, "no account %s", cn);
	ck_assert_msg(kd_directory_get(s->a.dir, i)->sd != NULL, "%s: no descriptor read", cn);
}

/* @base then @target_entry with its descriptor (@owner, @aces; @null_dacl), audited. */
static void
sd_audit_run(struct sd_audit *s, const char *base, const char *target_cn,
	     const char *target_entry, const char *owner, bool null_dacl,
	     const struct tu_ace *aces, size_t naces)
{
	struct tu_buf bytes = {0};
	struct kd_error err;
	char *b64, *text;

	if (null_dacl) {
		struct tu_sd whole = {.owner = owner, .dacl_present = true, .dacl_null = true};

		tu_sd_encode(&bytes, &whole);
	} else {
		tu_sd_build(&bytes, owner, true, aces, naces);
	}
	b64 = tu_base64(bytes.data, bytes.len);
	text = tu_xprintf("%s%snTSecurityDescriptor:: %s\n\n", base, target_entry, b64);
	s->arena = kd_arena_new();
	ck_assert_ptr_nonnull(s->arena);
	ck_assert_msg(tu_load_directory(text, &s->a.dir, &err) == 0, "load: %s", err.message);
	expect_sd(s, target_cn, &bytes);
	kd_error_clear(&err);
	ck_assert_msg(kd_analyze(s->a.dir, &s->a.findings, &err) == 0, "audit: %s", err.message);
	free(text);
	free(b64);
	tu_buf_free(&bytes);
}

static void
sd_audit_free(struct sd_audit *s)
{
	tu_audit_free(&s->a);
	kd_arena_free(s->arena);
}

struct writable_case {
	const char *name;
	const char *target_cn;
	const char *target_name; /* sAMAccountName */
	const char *target_entry;
	const char *owner;
	bool null_dacl;
	struct tu_ace aces[6];
	size_t naces;
	bool reported;
	enum kd_severity severity;
	const char *writer;  /* the first writer's name */
	const char *via;
	int ace;             /* the granting ACE's index, -1 for null (ownership) */
	size_t nwriters;
	bool broad;
};

static const struct writable_case writable_cases[] = {
	{"attribute", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {OBJ_WP(SID_HELPDESK, RBCD_GUID)}, 1, true, KD_SEV_HIGH, "helpdesk",
	 "write-property-attribute", 0, 1, false},
	{"property-set", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {OBJ_WP(SID_HELPDESK, PROPSET_GUID)}, 1, true, KD_SEV_HIGH, "helpdesk",
	 "write-property-set", 0, 1, false},
	{"all-properties", "WS01", "WS01$", T_WS, DOMSID "-512", false, {PLAIN(WP, SID_HELPDESK)},
	 1, true, KD_SEV_HIGH, "helpdesk", "write-all-properties", 0, 1, false},
	{"generic-write-group", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x00020094, "S-1-5-32-545") /* read */, PLAIN(0x40000000, SID_OPS)}, 2, true,
	 KD_SEV_HIGH, "Ops", "generic-write", 1, 1, false},
	{"generic-all", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x10000000, SID_HELPDESK)}, 1, true, KD_SEV_HIGH, "helpdesk", "generic-all", 0, 1,
	 false},
	{"write-dacl", "WS01", "WS01$", T_WS, DOMSID "-512", false, {PLAIN(0x40000, SID_HELPDESK)},
	 1, true, KD_SEV_HIGH, "helpdesk", "write-dacl", 0, 1, false},
	{"write-owner", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x80000, SID_HELPDESK)}, 1, true, KD_SEV_HIGH, "helpdesk", "write-owner", 0, 1,
	 false},
	{"two-writers", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {OBJ_WP(SID_HELPDESK, RBCD_GUID), PLAIN(0x40000000, SID_OPS)}, 2, true, KD_SEV_HIGH,
	 "helpdesk", "write-property-attribute", 0, 2, false},
	/* the owner who joined the computer (the quota's usual result) */
	{"owner", "WS01", "WS01$", T_WS, SID_JOINER, false, {{0}}, 0, true, KD_SEV_HIGH, "joiner",
	 "owner", -1, 1, false},
	{"broad", "WS01", "WS01$", T_WS, DOMSID "-512", false, {OBJ_WP("S-1-5-11", RBCD_GUID)}, 1,
	 true, KD_SEV_HIGH, "Authenticated Users", "write-property-attribute", 0, 1, true},
	{"null-dacl", "WS01", "WS01$", T_WS, DOMSID "-512", true, {{0}}, 0, true, KD_SEV_HIGH,
	 "Everyone", "generic-all", -1, 1, true},
	/* any account with a service, and tier 0 is critical */
	{"user", "svc_app", "svc_app", T_USER, DOMSID "-512", false,
	 {PLAIN(0x10000000, SID_HELPDESK)}, 1, true, KD_SEV_HIGH, "helpdesk", "generic-all", 0, 1,
	 false},
	{"dc", "DC02", "DC02$", T_DC, DOMSID "-512", false, {OBJ_WP(SID_HELPDESK, RBCD_GUID)}, 1,
	 true, KD_SEV_CRITICAL, "helpdesk", "write-property-attribute", 0, 1, false},
	{"krbtgt", "krbtgt", "krbtgt", T_KRBTGT, DOMSID "-512", false,
	 {PLAIN(0x40000000, SID_OPS)}, 1, true, KD_SEV_CRITICAL, "Ops", "generic-write", 0, 1,
	 false},
	/* not findings */
	{"read-only", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x00020094, SID_HELPDESK), PLAIN(0x100, SID_HELPDESK)}, 2, false, 0, NULL, NULL,
	 0, 0, false},
	{"inherit-only", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {{.type = 0, .flags = 0x0a, .mask = 0x10000000, .sid = SID_HELPDESK}}, 1, false, 0, NULL,
	 NULL, 0, 0, false},
	{"other-attribute", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {OBJ_WP(SID_HELPDESK, SPN_GUID)}, 1, false, 0, NULL, NULL, 0, 0, false},
	{"deny-group-first", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {{.type = 0x01, .mask = WP, .sid = SID_OPS}, PLAIN(WP, SID_OPUSER)}, 2, false, 0, NULL,
	 NULL, 0, 0, false},
	{"callback-allow", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {{.type = 0x09, .mask = 0x10000000, .sid = SID_HELPDESK, .app_data = "artx",
	   .app_len = 4}},
	 1, false, 0, NULL, NULL, 0, 0, false},
	{"owner-rights", "WS01", "WS01$", T_WS, SID_JOINER, false,
	 {PLAIN(0x00020000, "S-1-3-4")}, 1, false, 0, NULL, NULL, 0, 0, false},
	{"default-admins", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x10000000, DOMSID "-512"), PLAIN(0x10000000, "S-1-5-32-544"),
	  PLAIN(0x10000000, "S-1-5-32-548"), PLAIN(0x10000000, "S-1-5-18"),
	  OBJ_WP("S-1-5-10", RBCD_GUID), PLAIN(0x10000000, DOMSID "-519")},
	 6, false, 0, NULL, NULL, 0, 0, false},
	{"tier0-writers", "WS01", "WS01$", T_WS, DOMSID "-512", false,
	 {PLAIN(0x10000000, DOMSID "-3400"), PLAIN(0x40000000, DOMSID "-1000"),
	  PLAIN(WP, "S-1-5-9")},
	 3, false, 0, NULL, NULL, 0, 0, false},
	{"itself", "WS01", "WS01$", T_WS, DOMSID "-3501", false,
	 {OBJ_WP(DOMSID "-3501", RBCD_GUID)}, 1, false, 0, NULL, NULL, 0, 0, false},
	{"group", "AppAdmins", "AppAdmins", T_GROUP, SID_JOINER, false,
	 {PLAIN(0x10000000, SID_HELPDESK)}, 1, false, 0, NULL, NULL, 0, 0, false},
	/* a user with no SPN: nobody gets a service ticket for it, impersonation gives nothing */
	{"user-no-spn", "svc_app", "svc_app", T_USER_NO_SPN, DOMSID "-512", false,
	 {PLAIN(0x10000000, SID_HELPDESK)}, 1, false, 0, NULL, NULL, 0, 0, false},
};

START_TEST(test_rbcd_writable)
{
	const struct writable_case *c = &writable_cases[_i];
	struct sd_audit s;
	const struct kd_finding *f;
	json_t *writers, *w, *ace;

	sd_audit_run(&s, WR_BASE("msDS-Behavior-Version: 7\n"), c->target_cn, c->target_entry,
		     c->owner, c->null_dacl, c->aces, c->naces);
	if (!c->reported) {
		if (tu_count_findings(&s.a, "rbcd-writable", NULL))
			dump(&s.a);
		ck_assert_msg(tu_count_findings(&s.a, "rbcd-writable", NULL) == 0, "%s: reported",
			      c->name);
		sd_audit_free(&s);
		return;
	}
	ck_assert_uint_eq(tu_count_findings(&s.a, "rbcd-writable", NULL), 1);
	f = find(&s.a, "rbcd-writable", c->target_name);
	ck_assert_msg(f->severity == c->severity, "%s: severity %s", c->name,
		      kd_severity_name(f->severity));
	ck_assert_str_eq(jstr(f->details, "attribute"), "msDS-AllowedToActOnBehalfOfOtherIdentity");
	ck_assert_int_eq(jint(f->details, "writer_count"), (json_int_t)c->nwriters);
	ck_assert_int_eq(jbool(f->details, "broad_writer"), c->broad);
	writers = json_object_get(f->details, "writers");
	ck_assert_uint_eq(json_array_size(writers), c->nwriters);
	w = json_array_get(writers, 0);
	ck_assert_msg(strcmp(jstr(w, "name"), c->writer) == 0, "%s: writer %s", c->name,
		      jstr(w, "name"));
	ck_assert_msg(strcmp(jstr(w, "via"), c->via) == 0, "%s: via %s", c->name, jstr(w, "via"));
	ace = json_object_get(w, "ace");
	if (c->ace < 0) {
		ck_assert(json_is_null(ace));
	} else {
		char mask[16];

		snprintf(mask, sizeof(mask), "0x%08x", (unsigned)c->aces[c->ace].mask);
		ck_assert_int_eq(jint(ace, "index"), c->ace);
		ck_assert_str_eq(jstr(ace, "mask"), mask);
		if (c->aces[c->ace].object_type_guid)
			ck_assert_str_eq(jstr(ace, "object_type"), c->aces[c->ace].object_type_guid);
		else
			ck_assert(json_is_null(json_object_get(ace, "object_type")));
	}
	/* the message names the writer, the right and the account */
	ck_assert_msg(strstr(f->message, c->writer) && strstr(f->message, c->via) &&
			      strstr(f->message, c->target_name),
		      "%s: message %s", c->name, f->message);
	ck_assert_ptr_nonnull(strstr(f->remediation, c->target_cn));
	sd_audit_free(&s);
}
END_TEST

/* The MachineAccountQuota sentence only when the quota is above 0. */
/*
 * Accounts sharing one DACL share one evaluation of its writers (the model shares
 * equal ACE arrays): still each account is judged on its own — WS01 may write the
 * descriptor it shares with WS02, which is a finding on WS02 only — and another
 * owner is another evaluation.
 */
START_TEST(test_rbcd_writable_shared_dacl)
{
	static const struct tu_ace aces[] = {OBJ_WP(DOMSID "-3501", RBCD_GUID)};
	struct tu_buf da = {0}, joiner = {0};
	char *b64_da, *b64_joiner, *text;
	const struct kd_finding *f;
	struct tu_audit a;

	tu_sd_build(&da, DOMSID "-512", true, aces, 1);
	tu_sd_build(&joiner, SID_JOINER, true, aces, 1);
	b64_da = tu_base64(da.data, da.len);
	b64_joiner = tu_base64(joiner.data, joiner.len);
	text = tu_xprintf("%s" COMPUTER("WS01", "3501", U_WS) "nTSecurityDescriptor:: %s\n" END
			  COMPUTER("WS02", "3502", U_WS) "nTSecurityDescriptor:: %s\n" END
			  COMPUTER("WS03", "3503", U_WS) "nTSecurityDescriptor:: %s\n" END,
			  WR_BASE("msDS-Behavior-Version: 7\n"), b64_da, b64_da, b64_joiner);
	tu_audit_run(&a, text);
	ck_assert_uint_eq(tu_count_findings(&a, "rbcd-writable", "WS01$"), 0);
	f = find(&a, "rbcd-writable", "WS02$");
	ck_assert_int_eq(jint(f->details, "writer_count"), 1);
	f = find(&a, "rbcd-writable", "WS03$");
	ck_assert_int_eq(jint(f->details, "writer_count"), 2); /* WS01$ and the owner */
	tu_audit_free(&a);
	free(text);
	free(b64_da);
	free(b64_joiner);
	tu_buf_free(&da);
	tu_buf_free(&joiner);
}
END_TEST

START_TEST(test_rbcd_writable_quota)
{
	static const struct {
		const char *domain;
		bool sentence;
		json_int_t quota; /* -1: null */
	} cases[] = {
		{"msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 10\n", true, 10},
		{"msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 0\n", false, 0},
		{"msDS-Behavior-Version: 7\n", false, -1},
	};
	const struct tu_ace aces[] = {OBJ_WP(SID_HELPDESK, RBCD_GUID)};

	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		char *base = tu_xprintf(WR_BASE("%s"), cases[k].domain);
		struct sd_audit s;
		const struct kd_finding *f;
		json_t *quota;

		sd_audit_run(&s, base, "WS01", T_WS, DOMSID "-512", false, aces, 1);
		f = find(&s.a, "rbcd-writable", "WS01$");
		ck_assert_msg((strstr(f->message, "MachineAccountQuota") != NULL) ==
				      cases[k].sentence,
			      "case %zu: %s", k, f->message);
		quota = json_object_get(f->details, "machine_account_quota");
		if (cases[k].quota < 0)
			ck_assert(json_is_null(quota));
		else
			ck_assert_int_eq(json_integer_value(quota), cases[k].quota);
		sd_audit_free(&s);
		free(base);
	}
}
END_TEST

#define TRUST(cn, attrs)                                                                      \
	"dn: CN=" cn ",CN=System," BASE "\nobjectClass: top\nobjectClass: leaf\n"              \
	"objectClass: trustedDomain\ntrustPartner: " cn "\n" attrs "\n"

/* trust-tgt-delegation: only CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION (0x800), one finding
 * per trust on the domain; a trust without trustAttributes is not known, not clean. */
START_TEST(test_trust_tgt_delegation)
{
	const char *text = BASE_LDIF
		USER("web", "3601", U_UNCONSTRAINED) END
		TRUST("partner.test", "trustAttributes: 2056\ntrustDirection: 3\ntrustType: 2\n")
		TRUST("other.test", "trustAttributes: 520\ntrustDirection: 2\ntrustType: 2\n")
		TRUST("old.test", "trustDirection: 1\n");
	const char *gaps[KD_GAPS_MAX];
	const struct kd_finding *f;
	struct tu_audit a;
	size_t ngaps;
	bool trust_gap = false;

	tu_audit_run(&a, text);
	ck_assert_uint_eq(tu_count_findings(&a, "trust-tgt-delegation", NULL), 1);
	f = find(&a, "trust-tgt-delegation", "(domain)");
	ck_assert_uint_eq(f->principal, KD_NONE);
	ck_assert_int_eq(f->severity, KD_SEV_HIGH);
	ck_assert_str_eq(jstr(f->details, "partner"), "partner.test");
	ck_assert_int_eq(jint(f->details, "trust_attributes"), 2056);
	ck_assert_int_eq(jint(f->details, "trust_direction"), 3);
	/* the DC and web: where the other forest's TGTs can land */
	ck_assert_int_eq(jint(f->details, "unconstrained_accounts"), 2);
	ck_assert_ptr_nonnull(strstr(f->message, "partner.test"));
	ck_assert_ptr_nonnull(strstr(f->remediation, "/EnableTgtDelegation:No"));
	/* old.test carries no trustAttributes: the report says trusts were not all read */
	ngaps = kd_analyze_gaps(a.dir, gaps, KD_GAPS_MAX);
	for (size_t k = 0; k < ngaps; k++)
		trust_gap |= strstr(gaps[k], "trust-tgt-delegation") != NULL;
	ck_assert(trust_gap);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_machine_account_quota)
{
	static const struct {
		const char *domain;
		bool reported;
		json_int_t quota;
	} cases[] = {
		{"ms-DS-MachineAccountQuota: 10\n", true, 10},
		{"ms-DS-MachineAccountQuota: 1\n", true, 1},
		{"ms-DS-MachineAccountQuota: 0\n", false, 0},
		{"ms-DS-MachineAccountQuota: -1\n", false, -1},
		{"", false, 0},
	};

	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		char *text = tu_xprintf(DOMAIN_AT("%s") GROUP("Domain Users", DOMSID "-513") END,
					cases[k].domain);
		struct tu_audit a;
		const struct kd_finding *f;

		tu_audit_run(&a, text);
		if (!cases[k].reported) {
			ck_assert_msg(tu_count_findings(&a, "machine-account-quota", NULL) == 0,
				      "case %zu reported", k);
		} else {
			ck_assert_uint_eq(a.findings.count, 1);
			f = find(&a, "machine-account-quota", "(domain)");
			ck_assert_uint_eq(f->principal, KD_NONE);
			ck_assert_int_eq(f->severity, KD_SEV_MEDIUM);
			ck_assert_int_eq(jint(f->details, "machine_account_quota"), cases[k].quota);
			ck_assert_ptr_nonnull(strstr(f->remediation, "ms-DS-MachineAccountQuota'=0"));
		}
		tu_audit_free(&a);
		free(text);
	}
}
END_TEST

/* rbcd-broad-trustee says that any user can create a qualifying computer only when it is so. */
START_TEST(test_broad_trustee_quota_sentence)
{
	static const struct {
		const char *domain;
		bool sentence;
		json_int_t quota; /* -1: null */
	} cases[] = {
		{"msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 10\n", true, 10},
		{"msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 0\n", false, 0},
		{"msDS-Behavior-Version: 7\n", false, -1},
	};
	const struct tu_ace aces[] = {ALLOW(DOMSID "-515")};
	char *rbcd = rbcd_line(aces, 1, 0);

	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		char *text = tu_xprintf(DOMAIN_AT("%s") GROUP("Domain Computers", DOMSID "-515") END
					COMPUTER("RES", "2300", U_WS) "%s" END,
					cases[k].domain, rbcd);
		struct tu_audit a;
		const struct kd_finding *f;
		json_t *quota;

		tu_audit_run(&a, text);
		f = find(&a, "rbcd-broad-trustee", "RES$");
		ck_assert_msg((strstr(f->message, "MachineAccountQuota") != NULL) ==
				      cases[k].sentence,
			      "case %zu: %s", k, f->message);
		quota = json_object_get(f->details, "machine_account_quota");
		if (cases[k].quota < 0)
			ck_assert(json_is_null(quota));
		else
			ck_assert_int_eq(json_integer_value(quota), cases[k].quota);
		tu_audit_free(&a);
		free(text);
	}
	free(rbcd);
}
END_TEST

/* ---- stale-admincount ---- */

START_TEST(test_stale_admincount)
{
	struct tu_audit a;
	const struct kd_finding *f;

	tu_audit_run(&a, BASE_LDIF USER("former", "3601", U_NORMAL) "adminCount: 1\n" END
			      USER("current", "3602", U_NORMAL) "adminCount: 1\n"
			      MEMBER_OF("Domain Admins") END
			      USER("plain", "3603", U_NORMAL) END
			      GROUP("Old Admins", DOMSID "-3604") "adminCount: 1\n" END);
	f = find(&a, "stale-admincount", "former");
	ck_assert_int_eq(f->severity, KD_SEV_INFO);
	ck_assert(jbool(f->details, "admin_count"));
	ck_assert_ptr_nonnull(strstr(f->remediation, "-Clear adminCount"));
	/* stale, not privileged: no tier 0, no privileged-delegable */
	ck_assert(!kd_directory_get(a.dir, f->principal)->tier0);
	ck_assert_uint_eq(tu_count_findings(&a, "privileged-delegable", "former"), 0);
	/* current membership: privileged, not stale */
	ck_assert_uint_eq(tu_count_findings(&a, "stale-admincount", "current"), 0);
	ck_assert_str_eq(jstr(find(&a, "privileged-delegable", "current")->details,
			      "tier0_reason"),
			 "member of Domain Admins");
	ck_assert_uint_eq(tu_count_findings(&a, NULL, "plain"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, NULL, "Old Admins"), 0);
	ck_assert_uint_eq(tu_count_findings(&a, "stale-admincount", NULL), 1);
	tu_audit_free(&a);
}
END_TEST

/* ---- a realistic domain without risky settings ---- */

START_TEST(test_no_false_positives)
{
	FILE *f = fopen(tu_data_path("audit/clean.ldif"), "r");
	char *text;
	size_t len;
	struct tu_audit a;
	const struct kd_finding *finding;

	ck_assert_ptr_nonnull(f);
	text = malloc(1 << 20);
	ck_assert_ptr_nonnull(text);
	len = fread(text, 1, (1 << 20) - 1, f);
	text[len] = '\0';
	fclose(f);
	tu_audit_run(&a, text);
	if (a.findings.count != 1)
		dump(&a);
	ck_assert_uint_eq(a.findings.count, 1);
	finding = find(&a, "privileged-delegable", "Administrator");
	ck_assert_int_eq(finding->severity, KD_SEV_HIGH);
	ck_assert_uint_ge(kd_directory_count(a.dir), 15);
	tu_audit_free(&a);
	free(text);
}
END_TEST

/* ---- ordering ---- */

struct lab_row {
	enum kd_severity severity;
	const char *rule;
	const char *account;
};

/* The lab's whole verdict (docs/examples/make-lab.py says why each one fires). */
static const struct lab_row lab_rows[] = {
	{KD_SEV_CRITICAL, "unconstrained-delegation", "svc_iis"},
	{KD_SEV_CRITICAL, "unconstrained-delegation", "WEB01$"},
	{KD_SEV_CRITICAL, "rbcd-broad-trustee", "SQL01$"},
	{KD_SEV_CRITICAL, "delegation-to-tier0", "DC02$"},
	{KD_SEV_CRITICAL, "delegation-to-tier0", "svc_backup"},
	/* svc_iis and WEB01$ reach the domain (coercion assumed); WEB02$ is trusted by
	 * DC02$'s RBCD (issue 10) */
	{KD_SEV_CRITICAL, "delegation-chain", "(domain)"},
	{KD_SEV_CRITICAL, "delegation-chain", "DC02$"},
	{KD_SEV_HIGH, "protocol-transition", "APP01$"},
	{KD_SEV_HIGH, "resource-based-delegation", "SQL01$"},
	{KD_SEV_HIGH, "privileged-delegable", "Administrator"},
	{KD_SEV_MEDIUM, "unconstrained-delegation", "OLD01$"},
	{KD_SEV_MEDIUM, "constrained-delegation", "APP01$"},
	{KD_SEV_MEDIUM, "constrained-delegation", "svc_backup"},
	{KD_SEV_MEDIUM, "constrained-delegation", "svc_web"},
	{KD_SEV_MEDIUM, "resource-based-delegation", "DC02$"},
	{KD_SEV_MEDIUM, "resource-based-delegation", "FS01$"},
	/* svc_backup to DC01$ without protocol transition: needs a user's ticket */
	{KD_SEV_MEDIUM, "delegation-chain", "DC01$"},
	{KD_SEV_MEDIUM, "duplicate-spn", "svc_iis"},
	{KD_SEV_MEDIUM, "duplicate-spn", "svc_web"},
	/* ms-DS-MachineAccountQuota: 10 */
	{KD_SEV_MEDIUM, "machine-account-quota", "(domain)"},
	{KD_SEV_MEDIUM, "unparseable-attribute", "PRINT01$"},
	/* no targets: the RBCD resource trusting it no longer raises it (issue 9) */
	{KD_SEV_LOW, "protocol-transition", "svc_legacy"},
	{KD_SEV_LOW, "duplicate-spn", "svc_iis"},
	{KD_SEV_LOW, "duplicate-spn", "WEB02$"},
	{KD_SEV_LOW, "orphan-delegation-target", "svc_backup"},
	{KD_SEV_INFO, "resource-based-delegation", "TEST01$"},
	/* adminCount=1 without privileged membership: stale, not privileged (issue 9) */
	{KD_SEV_INFO, "stale-admincount", "old.admin"},
};

START_TEST(test_lab_verdict_sorted)
{
	char *text = tu_read_data_text("audit/lab.ldif");
	struct tu_audit a;
	size_t total = 0;

	tu_audit_run(&a, text);
	if (a.findings.count != ARRAY_LEN(lab_rows))
		dump(&a);
	ck_assert_uint_eq(a.findings.count, ARRAY_LEN(lab_rows));
	for (size_t i = 0; i < ARRAY_LEN(lab_rows); i++) {
		const struct kd_finding *f = &a.findings.items[i];

		ck_assert_msg(f->severity == lab_rows[i].severity &&
				      strcmp(f->rule->id, lab_rows[i].rule) == 0 &&
				      strcmp(tu_account_name(&a, f), lab_rows[i].account) == 0,
			      "finding %zu: %s %s %s, want %s %s %s", i,
			      kd_severity_name(f->severity), f->rule->id, tu_account_name(&a, f),
			      kd_severity_name(lab_rows[i].severity), lab_rows[i].rule,
			      lab_rows[i].account);
		if (i)
			ck_assert_int_le(f->severity, a.findings.items[i - 1].severity);
	}
	for (size_t s = 0; s < KD_SEV_COUNT; s++)
		total += a.findings.by_severity[s];
	ck_assert_uint_eq(total, a.findings.count);
	ck_assert_uint_eq(a.findings.by_severity[KD_SEV_CRITICAL], 7);
	tu_audit_free(&a);
	free(text);
}
END_TEST

START_TEST(test_lab_deterministic)
{
	char *text = tu_read_data_text("audit/lab.ldif");
	struct tu_audit a, b;

	tu_audit_run(&a, text);
	tu_audit_run(&b, text);
	ck_assert_uint_eq(a.findings.count, b.findings.count);
	for (size_t i = 0; i < a.findings.count; i++) {
		const struct kd_finding *x = &a.findings.items[i], *y = &b.findings.items[i];
		char *dx = json_dumps(x->details, JSON_SORT_KEYS | JSON_COMPACT);
		char *dy = json_dumps(y->details, JSON_SORT_KEYS | JSON_COMPACT);

		ck_assert_ptr_eq(x->rule, y->rule);
		ck_assert_uint_eq(x->principal, y->principal);
		ck_assert_str_eq(x->message, y->message);
		ck_assert_str_eq(x->remediation, y->remediation);
		ck_assert_str_eq(dx, dy);
		free(dx);
		free(dy);
	}
	tu_audit_free(&a);
	tu_audit_free(&b);
	free(text);
}
END_TEST

START_TEST(test_lab_details)
{
	char *text = tu_read_data_text("audit/lab.ldif");
	struct tu_audit a;
	const struct kd_finding *f;
	json_t *aces;

	tu_audit_run(&a, text);
	/* FS01: deny KIOSK01$, svc_legacy, Web Frontends (WEB02$ only), GENERIC_ALL Helpdesk,
	 * inherit-only carol, a deleted SID */
	f = find(&a, "resource-based-delegation", "FS01$");
	aces = json_object_get(f->details, "aces");
	ck_assert_uint_eq(json_array_size(aces), 6);
	ck_assert_str_eq(jstr(json_array_get(aces, 0), "class"), "deny");
	ck_assert_str_eq(jstr(json_array_get(aces, 1), "class"), "effective");
	ck_assert_str_eq(jstr(json_array_get(aces, 2), "class"), "effective");
	ck_assert_str_eq(jstr(json_array_get(aces, 3), "class"), "inert");
	ck_assert_str_eq(jstr(json_array_get(aces, 4), "class"), "inherit-only");
	ck_assert_str_eq(jstr(json_array_get(aces, 5), "class"), "effective");
	ck_assert_int_eq(jint(f->details, "effective_trustee_count"), 2);
	ck_assert(names(json_object_get(f->details, "effective_trustees"), "svc_legacy"));
	ck_assert(names(json_object_get(f->details, "effective_trustees"), "WEB02$"));
	ck_assert(!names(json_object_get(f->details, "effective_trustees"), "KIOSK01$"));
	ck_assert_uint_eq(json_array_size(json_object_get(f->details, "unresolved_trustees")), 1);
	tu_audit_free(&a);
	free(text);
}
END_TEST

START_TEST(test_rule_catalogue)
{
	const struct kd_rule *rules;
	size_t n = kd_rules(&rules);
	enum kd_severity s;

	ck_assert_uint_eq(n, 15);
	ck_assert_ptr_nonnull(kd_rule_find("rbcd-writable"));
	ck_assert_ptr_nonnull(kd_rule_find("machine-account-quota"));
	ck_assert_ptr_nonnull(kd_rule_find("trust-tgt-delegation"));
	ck_assert_ptr_nonnull(kd_rule_find("stale-admincount"));
	ck_assert_int_eq(kd_rule_find("rbcd-writable")->severity, KD_SEV_HIGH);
	ck_assert_int_eq(kd_rule_find("stale-admincount")->severity, KD_SEV_INFO);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_eq(kd_rule_find(rules[i].id), &rules[i]);
	ck_assert_ptr_null(kd_rule_find("no-such-rule"));
	ck_assert(kd_severity_parse("CRITICAL", &s));
	ck_assert_int_eq(s, KD_SEV_CRITICAL);
	ck_assert(!kd_severity_parse("urgent", &s));
	ck_assert_str_eq(kd_severity_name(KD_SEV_INFO), "info");
}
END_TEST

/* Every rule: a reference URL; every ATT&CK id it names has a name and a page (issue 14). */
START_TEST(test_rule_catalogue_attack)
{
	const struct kd_rule *rules;
	size_t n = kd_rules(&rules);
	char url[96];

	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(strncmp(rules[i].reference, "https://", 8) == 0, "%s", rules[i].id);
		for (size_t k = 0; k < KD_RULE_ATTACK_MAX && rules[i].attack[k]; k++) {
			ck_assert_msg(kd_attack_name(rules[i].attack[k]), "%s", rules[i].attack[k]);
			ck_assert(kd_attack_url(rules[i].attack[k], url, sizeof(url)));
			ck_assert(rules[i].attack[k][1] != 'A');
		}
		for (size_t k = 0; k < KD_RULE_TACTICS_MAX && rules[i].tactics[k]; k++) {
			ck_assert_msg(kd_attack_name(rules[i].tactics[k]), "%s", rules[i].tactics[k]);
			ck_assert(strncmp(rules[i].tactics[k], "TA", 2) == 0);
		}
		/* a finding with techniques serves a tactic */
		ck_assert((rules[i].attack[0] == NULL) == (rules[i].tactics[0] == NULL));
	}
	ck_assert(kd_attack_url("T1550.003", url, sizeof(url)));
	ck_assert_str_eq(url, "https://attack.mitre.org/techniques/T1550/003/");
	ck_assert(kd_attack_url("TA0004", url, sizeof(url)));
	ck_assert_str_eq(url, "https://attack.mitre.org/tactics/TA0004/");
	ck_assert(kd_attack_url("T1558", url, sizeof(url)));
	ck_assert_str_eq(url, "https://attack.mitre.org/techniques/T1558/");
	ck_assert_str_eq(kd_attack_name("T1550.003"), "Pass the Ticket");
	ck_assert_ptr_null(kd_attack_name("T9999"));
	for (size_t i = 0; i < 6; i++)
		ck_assert(!kd_attack_url((const char *[]){"T", "T1558.", "T.003", "TA", "X1558",
							  "T1558/../x"}[i],
					 url, sizeof(url)));
	ck_assert(!kd_attack_url("T1550.003", url, 20)); /* does not fit */
}
END_TEST

Suite *kd_analyze_suite(void);

Suite *
kd_analyze_suite(void)
{
	Suite *s = suite_create("analyze");
	TCase *tc;

	tc = tcase_create("baseline");
	tcase_add_test(tc, test_base_is_clean);
	tcase_add_test(tc, test_no_false_positives);
	tcase_add_test(tc, test_rule_catalogue);
	tcase_add_test(tc, test_rule_catalogue_attack);
	suite_add_tcase(s, tc);

	tc = tcase_create("unconstrained-delegation");
	tcase_add_test(tc, test_unconstrained_user);
	tcase_add_test(tc, test_unconstrained_disabled_computer);
	tcase_add_test(tc, test_unconstrained_never_dc);
	tcase_add_test(tc, test_remediation_quotes);
	tcase_add_test(tc, test_pt_rodc_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("constrained-delegation");
	tcase_add_test(tc, test_constrained_service_user);
	tcase_add_test(tc, test_constrained_host_alias);
	tcase_add_test(tc, test_constrained_ambiguous);
	tcase_add_test(tc, test_constrained_negative);
	suite_add_tcase(s, tc);

	tc = tcase_create("orphan-delegation-target");
	tcase_add_test(tc, test_orphan_targets);
	suite_add_tcase(s, tc);

	tc = tcase_create("protocol-transition");
	tcase_add_test(tc, test_pt_with_targets);
	tcase_add_test(tc, test_pt_without_targets);
	tcase_add_test(tc, test_pt_trusted_by_rbcd);
	tcase_add_test(tc, test_pt_disabled_and_absent);
	tcase_add_test(tc, test_pt_writable_dc);
	suite_add_tcase(s, tc);

	tc = tcase_create("resource-based-delegation");
	tcase_add_loop_test(tc, test_rbcd, 0, ARRAY_LEN(rbcd_cases));
	tcase_add_test(tc, test_rbcd_group_members_granted);
	tcase_add_test(tc, test_rbcd_doubt_reasons);
	tcase_add_test(tc, test_rbcd_group_foreign_members);
	tcase_add_test(tc, test_rbcd_nested_foreign_members);
	tcase_add_test(tc, test_rbcd_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("delegation-to-tier0");
	tcase_add_test(tc, test_tier0_constrained);
	tcase_add_test(tc, test_tier0_rbcd_on_dc);
	suite_add_tcase(s, tc);

	tc = tcase_create("duplicate-spn");
	tcase_add_test(tc, test_duplicate_exact);
	tcase_add_test(tc, test_duplicate_same_account);
	tcase_add_test(tc, test_duplicate_host_alias);
	tcase_add_test(tc, test_duplicate_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("privileged-delegable");
	tcase_add_loop_test(tc, test_privileged_delegable, 0, ARRAY_LEN(priv_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("rbcd-writable");
	tcase_add_loop_test(tc, test_rbcd_writable, 0, ARRAY_LEN(writable_cases));
	tcase_add_test(tc, test_rbcd_writable_quota);
	tcase_add_test(tc, test_rbcd_writable_shared_dacl);
	suite_add_tcase(s, tc);

	tc = tcase_create("machine-account-quota");
	tcase_add_test(tc, test_machine_account_quota);
	tcase_add_test(tc, test_broad_trustee_quota_sentence);
	tcase_add_test(tc, test_trust_tgt_delegation);
	suite_add_tcase(s, tc);

	tc = tcase_create("stale-admincount");
	tcase_add_test(tc, test_stale_admincount);
	suite_add_tcase(s, tc);

	tc = tcase_create("ordering");
	tcase_add_test(tc, test_lab_verdict_sorted);
	tcase_add_test(tc, test_lab_deterministic);
	tcase_add_test(tc, test_lab_details);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_analyze_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
