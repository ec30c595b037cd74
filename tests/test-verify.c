/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for `kdeleg verify` (src/verify.c): each case is a front end, an SPN,
 * a user and a protocol over one LDIF fixture, with the verdict, the mechanism and
 * the check that decides (its outcome, the error the admin sees, its detail, its
 * fix); then the invariants every result keeps (fixes only where the delegation
 * does not work and only on failed checks, every error explains), accounts by the
 * names people use, --explain-error's table, and the rendered reports.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/directory.h"
#include "kdeleg/kdc.h"
#include "kdeleg/report.h"
#include "kdeleg/token.h"
#include "kdeleg/verify.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define V_YES KD_VERDICT_YES
#define V_NO KD_VERDICT_NO
#define V_COND KD_VERDICT_CONDITIONAL
#define V_UNC KD_VERDICT_UNCERTAIN
#define KERBEROS KD_VERIFY_KERBEROS
#define ANY KD_VERIFY_ANY

#define U_WS_PT "16781312"      /* WORKSTATION_TRUST | TRUSTED_TO_AUTH_FOR_DELEGATION */
#define U_WS_DISABLED "4098"    /* WORKSTATION_TRUST | ACCOUNTDISABLE */
#define ETYPES(n) "msDS-SupportedEncryptionTypes: " n "\n"

#define ALLOW(s) {.type = 0x00, .mask = 0x100, .sid = (s)}
#define DENY(s) {.type = 0x01, .mask = 0x100, .sid = (s)}
#define CB_ALLOW(s) {.type = 0x09, .mask = 0x100, .sid = (s), .app_data = "artx", .app_len = 4}

/* ---- the fixture ---- */

/* BASE_LDIF after its domain object, so that each case can pick the functional level. */
#define BASE_REST                                                                             \
	GROUP("Domain Admins", DOMSID "-512") END                                             \
	GROUP("Domain Users", DOMSID "-513") END                                              \
	GROUP("Domain Computers", DOMSID "-515") END                                          \
	GROUP("Domain Controllers", DOMSID "-516") END                                        \
	GROUP("Protected Users", DOMSID "-525") END                                           \
	COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"                                \
	SPN("ldap/dc01.corp.example") SPN("HOST/dc01.corp.example") SPN("HOST/DC01")          \
	"dNSHostName: dc01.corp.example\n" END                                                \
	USER("krbtgt", "502", "514") SPN("kadmin/changepw") END

/* An account whose CN and sAMAccountName differ (for names that match twice). */
#define NAMED_USER(cn, sam, rid)                                                              \
	"dn: CN=" cn "," USERS "\nobjectClass: top\nobjectClass: person\nobjectClass: user\n"  \
	"sAMAccountName: " sam "\nobjectSid: " DOMSID "-" rid "\nuserAccountControl: 512\n"
#define NAMED_COMPUTER(cn, sam, rid)                                                          \
	"dn: CN=" cn "," USERS "\nobjectClass: top\nobjectClass: person\nobjectClass: user\n"  \
	"objectClass: computer\nsAMAccountName: " sam "\nobjectSid: " DOMSID "-" rid "\n"      \
	"userAccountControl: 4096\n"

/*
 * Back ends: FS01 (HOST SPNs only: cifs/ through the alias), RES (RBCD: deny DENIED,
 * allow WEB01, allow the group Fronts, a conditional allow for CFRONT), svc_sql (a
 * user account with RBCD trusting RFRONT), OLDFS (DES and RC4), dup1/dup2 (one SPN
 * twice), svc_portal (a short-name SPN). Front ends: APP01 (classic with protocol
 * transition), WEB01 (classic without), GFRONT (RBCD through Fronts), DENIED, CFRONT,
 * RFRONT (RBCD only), OFF (disabled), nospn, SHORTFRONT (lists the short name),
 * RC4FRONT, DESFRONT, AESFRONT, svc_web. Users: carol, sensitive, gone (disabled),
 * protected (in Protected Users).
 */
static const char accounts[] =
	COMPUTER("FS01", "4001", U_WS) SPN("HOST/fs01.corp.example") SPN("HOST/FS01")
	"dNSHostName: fs01.corp.example\n" ETYPES("28") END
	COMPUTER("APP01", "4002", U_WS_PT) SPN("HOST/app01.corp.example")
	A2D("cifs/fs01.corp.example") END
	COMPUTER("WEB01", "4003", U_WS) SPN("HOST/web01.corp.example")
	A2D("cifs/fs01.corp.example") A2D("cifs/res.corp.example") END
	COMPUTER("RES", "4004", U_WS) SPN("HOST/res.corp.example") "%s" END
	GROUP("Fronts", DOMSID "-4010") MEMBER("GFRONT") MEMBER("DENIED") END
	COMPUTER("DENIED", "4011", U_WS) SPN("HOST/denied.corp.example") END
	COMPUTER("GFRONT", "4012", U_WS) SPN("HOST/gfront.corp.example") END
	COMPUTER("CFRONT", "4013", U_WS) SPN("HOST/cfront.corp.example") END
	USER("svc_sql", "4020", U_NORMAL) SPN("MSSQLSvc/sql01.corp.example:1433")
	SPN("MSSQLSvc/sql01.corp.example") "%s" END;

/* (in parts: a string literal over 4095 bytes is beyond what C requires) */
static const char accounts_more[] =
	COMPUTER("RFRONT", "4021", U_WS) SPN("HOST/rfront.corp.example") END
	COMPUTER("OFF", "4030", U_WS_DISABLED) SPN("HOST/off.corp.example")
	A2D("cifs/fs01.corp.example") END
	USER("nospn", "4031", U_PT) A2D("cifs/fs01.corp.example") END
	USER("svc_web", "4032", U_NORMAL) SPN("HTTP/intranet.corp.example")
	A2D("HTTP/dup.corp.example") A2D("cifs/fs.other.example") END
	COMPUTER("SHORTFRONT", "4033", U_WS_PT) SPN("HOST/shortfront.corp.example")
	A2D("cifs/FS01") END
	USER("dup1", "4040", U_NORMAL) SPN("HTTP/dup.corp.example") END
	USER("dup2", "4041", U_NORMAL) SPN("HTTP/dup.corp.example") END
	USER("svc_portal", "4042", U_NORMAL) SPN("HTTP/portal") END
	USER("carol", "4050", U_NORMAL) END
	USER("sensitive", "4051", U_SENSITIVE) END
	USER("gone", "4052", "514") END
	USER("protected", "4053", U_NORMAL) MEMBER_OF("Protected Users") END;

static const char accounts_etypes[] =
	COMPUTER("OLDFS", "4060", U_WS) SPN("HOST/oldfs.corp.example") ETYPES("7") END
	COMPUTER("RC4FRONT", "4061", U_WS_PT) SPN("HOST/rc4front.corp.example") ETYPES("4")
	A2D("cifs/fs01.corp.example") END
	COMPUTER("DESFRONT", "4062", U_WS_PT) SPN("HOST/desfront.corp.example") ETYPES("3")
	A2D("cifs/oldfs.corp.example") END
	COMPUTER("AESFRONT", "4063", U_WS_PT) SPN("HOST/aesfront.corp.example") ETYPES("16")
	A2D("cifs/oldfs.corp.example") END;

static const char accounts_names[] =
	/* names for kd_verify_find_account: twice the same name, a user and a computer
	 * named alike */
	NAMED_USER("Twin A", "twin", "4070") END
	NAMED_USER("Twin B", "TWIN", "4071") END
	NAMED_COMPUTER("Pair Host", "pair$", "4072") END
	NAMED_USER("Pair User", "pair", "4073") END
	NAMED_COMPUTER("Box A", "box$", "4074") END
	NAMED_COMPUTER("Box B", "BOX$", "4075") END;

struct fx {
	struct kd_directory *dir;
	struct kd_tokens *tokens;
	struct kd_kdc *kdc;
};

/* "@attr:: <base64 of @b>\n", malloc'd. */
static char *
b64_line(const char *attr, const struct tu_buf *b)
{
	char *b64 = tu_base64(b->data, b->len), *line;

	line = tu_xprintf("%s:: %s\n", attr, b64);
	free(b64);
	return line;
}

/* The RBCD descriptor line of @n ACEs. */
static char *
rbcd_line(const struct tu_ace *aces, size_t n)
{
	struct tu_buf sd = {0};
	char *line;

	tu_sd_build(&sd, "S-1-5-32-544", true, aces, n);
	line = b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", &sd);
	tu_buf_free(&sd);
	return line;
}

/* The fixture at functional level @level (a msDS-Behavior-Version line, or "" for none). */
static void
fx_load(struct fx *f, const char *level)
{
	static const struct tu_ace res_aces[] = {
		DENY(DOMSID "-4011"),     /* DENIED, before the group that holds it */
		ALLOW(DOMSID "-4003"),    /* WEB01 */
		ALLOW(DOMSID "-4010"),    /* Fronts */
		CB_ALLOW(DOMSID "-4013"), /* CFRONT, conditionally */
	};
	static const struct tu_ace sql_aces[] = {ALLOW(DOMSID "-4021")};
	char *res = rbcd_line(res_aces, ARRAY_LEN(res_aces));
	char *sql = rbcd_line(sql_aces, ARRAY_LEN(sql_aces));
	char *rest = tu_xprintf(accounts, res, sql);
	char *text = tu_xprintf(DOMAIN_AT("%s") "%s%s%s%s%s", level, BASE_REST, rest, accounts_more,
				accounts_etypes, accounts_names);
	struct kd_error err;

	memset(f, 0, sizeof(*f));
	kd_error_clear(&err);
	ck_assert_msg(tu_load_directory(text, &f->dir, &err) == 0, "load: %s", err.message);
	ck_assert_int_eq(kd_tokens_new(f->dir, &f->tokens, &err), 0);
	ck_assert_int_eq(kd_kdc_new(f->dir, f->tokens, &f->kdc, &err), 0);
	/* the descriptors were read: the RBCD cases below test what the directory holds */
	ck_assert_int_eq(kd_directory_get(f->dir, kd_verify_find_account(f->dir, "RES"))
				 ->rbcd_state,
			 KD_RBCD_PARSED);
	free(text);
	free(rest);
	free(res);
	free(sql);
}

static void
fx_free(struct fx *f)
{
	kd_kdc_free(f->kdc);
	kd_tokens_free(f->tokens);
	kd_directory_free(f->dir);
}

static uint32_t
account(const struct fx *f, const char *name)
{
	uint32_t i = kd_verify_find_account(f->dir, name);

	ck_assert_msg(i != KD_NONE, "no account %s", name);
	return i;
}

static const struct kd_verify_check *
check_named(const struct kd_verify_result *r, const char *name)
{
	for (size_t k = 0; k < r->nchecks; k++)
		if (strcmp(r->checks[k].name, name) == 0)
			return &r->checks[k];
	return NULL;
}

static void
dump(const char *what, const struct kd_verify_result *r)
{
	fprintf(stderr, "%s: verdict %s, mechanism %s\n", what, kd_verdict_name(r->verdict),
		r->mechanism ? r->mechanism : "(none)");
	for (size_t k = 0; k < r->nchecks; k++)
		fprintf(stderr, "  [%s] %s: %s%s%s%s%s\n", kd_verdict_name(r->checks[k].outcome),
			r->checks[k].name, r->checks[k].detail,
			r->checks[k].error ? " | error: " : "",
			r->checks[k].error ? r->checks[k].error : "",
			r->checks[k].fix ? " | fix: " : "",
			r->checks[k].fix ? r->checks[k].fix : "");
}

static void
run(struct fx *f, const char *front, const char *spn, const char *user,
    enum kd_verify_protocol protocol, struct kd_verify_result *r)
{
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_verify(f->kdc, f->dir, account(f, front), spn,
				   user ? account(f, user) : KD_NONE, protocol, r, &err),
			 0);
}

/* ---- the cases ---- */

#define L7 "msDS-Behavior-Version: 7\n"
#define L6 "msDS-Behavior-Version: 6\n"
#define L4 "msDS-Behavior-Version: 4\n"
#define L_UNKNOWN ""

#define C_SPN "front end has an SPN of its own"
#define C_FRONT "front end enabled"
#define C_USER_ENABLED "user account enabled"
#define C_SENSITIVE "user not marked sensitive"
#define C_PROTECTED "user not protected by Protected Users"
#define C_SELF "S4U2Self ticket forwardable"
#define C_REGISTERED "target SPN registered"
#define C_DOMAIN "target in this domain"
#define C_LISTED "classic: SPN in the front end's targets"
#define C_EVIDENCE "classic: evidence ticket forwardable"
#define C_GRANTED "front end granted control access"
#define C_RBCD "resource-based: access check"
#define C_ACE "ACE matches the front end's token"
#define C_S4U_ID "back end accepts a service-asserted identity"
#define C_ETYPES "encryption types shared"

struct verify_case {
	const char *name;
	const char *level;       /* NULL: functional level 7 */
	const char *front;       /* as kd_verify_find_account() takes it */
	const char *spn;
	const char *user;        /* NULL: any delegable user */
	enum kd_verify_protocol protocol;
	enum kd_verdict verdict;
	const char *mechanism;   /* NULL: none */
	const char *backend;     /* the SPN's owner, NULL: none */
	/* the check that tells: present, with this outcome, error (NULL: none), a word of
	 * its detail and of its fix (each NULL: not checked; that a working delegation has
	 * no fix at all is checked for every case) */
	const char *check;
	enum kd_verdict outcome;
	const char *error;
	const char *says;
	const char *fix;
	const char *absent;      /* a check that must not be there */
};

static const struct verify_case verify_cases[] = {
	/* classic, with and without protocol transition */
	{"classic", NULL, "APP01", "cifs/fs01.corp.example", "carol", KERBEROS, V_YES, "classic",
	 "FS01$", C_LISTED, V_YES, NULL, "is in APP01$'s msDS-AllowedToDelegateTo", NULL,
	 C_S4U_ID},
	{"classic-any-user", NULL, "APP01", "CIFS/FS01.corp.example", NULL, KERBEROS, V_YES,
	 "classic", "FS01$", C_REGISTERED, V_YES, NULL, "through its HOST SPN", NULL, NULL},
	{"classic-pt-any", NULL, "APP01", "cifs/fs01.corp.example", "carol", ANY, V_YES, "classic",
	 "FS01$", C_SELF, V_YES, NULL, "TRUSTED_TO_AUTH_FOR_DELEGATION", NULL, C_S4U_ID},
	{"classic-no-pt-kerberos", NULL, "WEB01", "cifs/fs01.corp.example", "carol", KERBEROS,
	 V_YES, "classic", "FS01$", C_LISTED, V_YES, NULL, NULL, NULL, C_EVIDENCE},
	{"classic-no-pt-any", NULL, "WEB01", "cifs/fs01.corp.example", "carol", ANY, V_NO, NULL,
	 "FS01$", C_EVIDENCE, V_NO, "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)",
	 "not forwardable", "TrustedToAuthForDelegation", C_S4U_ID},
	{"classic-no-pt-any-self", NULL, "WEB01", "cifs/fs01.corp.example", NULL, ANY, V_NO, NULL,
	 "FS01$", C_SELF, V_NO, NULL, "without TRUSTED_TO_AUTH_FOR_DELEGATION", NULL, NULL},
	{"classic-no-pt-any-rbcd-refuses", NULL, "WEB01", "cifs/fs01.corp.example", "carol", ANY,
	 V_NO, NULL, "FS01$", C_RBCD, V_NO, "KDC_ERR_BADOPTION (STATUS_NOT_FOUND)", NULL, NULL,
	 NULL},
	/* the KDC's order: classic fails on the evidence, RBCD on the back end carries it */
	{"classic-no-pt-any-rbcd", NULL, "WEB01", "cifs/res.corp.example", "carol", ANY, V_YES,
	 "resource-based", "RES$", C_EVIDENCE, V_NO, NULL, "not forwardable", NULL, NULL},
	{"classic-no-pt-any-rbcd-ace", NULL, "WEB01", "cifs/res.corp.example", "carol", ANY,
	 V_YES, "resource-based", "RES$", C_GRANTED, V_YES, NULL, "ACE 1 (WEB01$", NULL, NULL},
	{"classic-no-pt-any-rbcd-caveat", NULL, "WEB01", "cifs/res.corp.example", "carol", ANY,
	 V_YES, "resource-based", "RES$", C_S4U_ID, V_UNC, NULL, "S-1-18-2", NULL, NULL},
	{"classic-first-over-rbcd", NULL, "WEB01", "cifs/res.corp.example", "carol", KERBEROS,
	 V_YES, "classic", "RES$", C_LISTED, V_YES, NULL, NULL, NULL, C_GRANTED},
	/* SPN not in the list: 0xC000015B, then RBCD refuses */
	{"not-listed", NULL, "APP01", "HOST/res.corp.example", "carol", KERBEROS, V_NO, NULL,
	 "RES$", C_LISTED, V_NO, "0xC000015B (KDC_ERR_BADOPTION, STATUS_NO_MATCH)",
	 "not in APP01$'s msDS-AllowedToDelegateTo", "msDS-AllowedToDelegateTo", NULL},
	{"not-listed-rbcd-fix", NULL, "APP01", "HOST/res.corp.example", "carol", KERBEROS, V_NO,
	 NULL, "RES$", C_GRANTED, V_NO, NULL, "no ACE grants",
	 "Set-ADComputer -Identity 'CN=RES,CN=Users,DC=corp,DC=example' "
	 "-PrincipalsAllowedToDelegateToAccount",
	 NULL},
	/* listed under another name: the KDC compares exactly */
	{"listed-short-name", NULL, "SHORTFRONT", "cifs/fs01.corp.example", NULL, KERBEROS, V_NO,
	 NULL, "FS01$", C_LISTED, V_NO, "0xC000015B (KDC_ERR_BADOPTION, STATUS_NO_MATCH)",
	 "listed instead: cifs/FS01", NULL, NULL},
	/* SPN registered nowhere: 0xC0000064, and the SPN clients probably meant */
	{"unregistered", NULL, "svc_web", "cifs/nowhere.corp.example", NULL, KERBEROS, V_NO, NULL,
	 NULL, C_REGISTERED, V_NO, "0xC0000064 (KDC_ERR_S_PRINCIPAL_UNKNOWN); clients fall back "
	 "to NTLM", "registered on no account", "setspn -S 'cifs/nowhere.corp.example'",
	 C_DOMAIN},
	{"near-short-name", NULL, "svc_web", "HTTP/intranet", NULL, KERBEROS, V_NO, NULL, NULL,
	 C_REGISTERED, V_NO, "0xC0000064 (KDC_ERR_S_PRINCIPAL_UNKNOWN); clients fall back to NTLM",
	 "registered instead: HTTP/intranet.corp.example", NULL, C_DOMAIN},
	{"near-fqdn", NULL, "svc_web", "HTTP/portal.corp.example", NULL, KERBEROS, V_NO, NULL,
	 NULL, C_REGISTERED, V_NO, NULL, "registered instead: HTTP/portal (", NULL, C_DOMAIN},
	{"near-port", NULL, "svc_web", "MSSQLSvc/sql01.corp.example:1434", NULL, KERBEROS, V_NO,
	 NULL, NULL, C_REGISTERED, V_NO, NULL,
	 "registered instead: MSSQLSvc/sql01.corp.example:1433, MSSQLSvc/sql01.corp.example (",
	 NULL, NULL},
	{"near-host-alias", NULL, "svc_web", "http/web01", NULL, KERBEROS, V_NO, NULL, NULL,
	 C_REGISTERED, V_NO, NULL, "registered instead: HOST/web01.corp.example (", NULL, NULL},
	{"near-none", NULL, "svc_web", "ftp/web01", NULL, KERBEROS, V_NO, NULL, NULL,
	 C_REGISTERED, V_NO, NULL, "is registered on no account (KDC_ERR_S_PRINCIPAL_UNKNOWN)",
	 NULL, NULL},
	/* another domain's SPN: classic cannot go there */
	{"other-domain", NULL, "svc_web", "cifs/fs.other.example", NULL, KERBEROS, V_NO, NULL,
	 NULL, C_DOMAIN, V_NO, NULL, "outside corp.example", "PrincipalsAllowedToDelegateToAccount",
	 NULL},
	{"other-domain-registered", NULL, "svc_web", "cifs/fs.other.example", NULL, KERBEROS, V_NO,
	 NULL, NULL, C_REGISTERED, V_NO,
	 "0xC0000064 (KDC_ERR_S_PRINCIPAL_UNKNOWN); clients fall back to NTLM", NULL, NULL, NULL},
	{"domain-suffix-lookalike", NULL, "svc_web", "cifs/fs.xcorp.example", NULL, KERBEROS,
	 V_NO, NULL, NULL, C_DOMAIN, V_NO, NULL, "outside corp.example", NULL, NULL},
	/* one SPN on two accounts */
	{"duplicate-spn", NULL, "svc_web", "HTTP/dup.corp.example", "carol", KERBEROS, V_UNC,
	 "classic", "dup1", C_REGISTERED, V_UNC, "KDC_ERR_PRINCIPAL_NOT_UNIQUE (KDC event 11)",
	 "and others", NULL, NULL},
	/* the front end */
	{"front-end-disabled", NULL, "OFF", "cifs/fs01.corp.example", "carol", KERBEROS, V_NO,
	 NULL, "FS01$", C_FRONT, V_NO, "KDC_ERR_CLIENT_REVOKED", "is disabled",
	 "Enable-ADAccount -Identity 'CN=OFF,CN=Users,DC=corp,DC=example'", NULL},
	{"front-end-disabled-any", NULL, "OFF", "cifs/fs01.corp.example", "carol", ANY, V_NO, NULL,
	 "FS01$", C_FRONT, V_NO, "KDC_ERR_CLIENT_REVOKED", "is disabled", "Enable-ADAccount",
	 C_LISTED},
	{"front-end-without-spn", NULL, "nospn", "cifs/fs01.corp.example", "carol", KERBEROS,
	 V_NO, NULL, "FS01$", C_SPN, V_NO, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "no servicePrincipalName",
	 "setspn -S HTTP/", NULL},
	{"front-end-with-spn", NULL, "APP01", "cifs/fs01.corp.example", NULL, KERBEROS, V_YES,
	 "classic", "FS01$", C_SPN, V_YES, NULL, "APP01$ has 1 SPN, e.g. HOST/app01.corp.example",
	 NULL, NULL},
	/* the user */
	{"sensitive-user", NULL, "APP01", "cifs/fs01.corp.example", "sensitive", KERBEROS, V_NO,
	 NULL, "FS01$", C_SENSITIVE, V_NO,
	 "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)", "NOT_DELEGATED",
	 "-AccountNotDelegated $false", NULL},
	{"sensitive-user-any", NULL, "APP01", "cifs/fs01.corp.example", "sensitive", ANY, V_NO,
	 NULL, "FS01$", C_SENSITIVE, V_NO,
	 "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)", "NOT_DELEGATED",
	 "-AccountNotDelegated $false", NULL},
	{"sensitive-user-rbcd", NULL, "GFRONT", "cifs/res.corp.example", "sensitive", KERBEROS,
	 V_NO, NULL, "RES$", C_SENSITIVE, V_NO, NULL, "NOT_DELEGATED", NULL, C_GRANTED},
	{"protected-user-2016", NULL, "APP01", "cifs/fs01.corp.example", "protected", KERBEROS,
	 V_NO, NULL, "FS01$", C_PROTECTED, V_NO,
	 "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)", "at functional level 7",
	 "Remove-ADGroupMember -Identity 'Protected Users'", NULL},
	{"protected-user-2012r2", L6, "APP01", "cifs/fs01.corp.example", "protected", KERBEROS,
	 V_NO, NULL, "FS01$", C_PROTECTED, V_NO,
	 "KDC_ERR_BADOPTION (the evidence ticket is not forwardable)", "at functional level 6",
	 "Remove-ADGroupMember", NULL},
	{"protected-user-2008r2", L4, "APP01", "cifs/fs01.corp.example", "protected", KERBEROS,
	 V_YES, "classic", "FS01$", C_PROTECTED, V_YES, NULL, "membership does not block", NULL,
	 NULL},
	{"protected-user-2008r2-any", L4, "APP01", "cifs/fs01.corp.example", "protected", ANY,
	 V_YES, "classic", "FS01$", C_PROTECTED, V_YES, NULL, "below 2012 R2", NULL, NULL},
	{"protected-user-unknown-level", L_UNKNOWN, "APP01", "cifs/fs01.corp.example", "protected",
	 KERBEROS, V_UNC, "classic", "FS01$", C_PROTECTED, V_UNC, NULL, "was not read", NULL,
	 NULL},
	{"protected-user-unknown-level-any", L_UNKNOWN, "APP01", "cifs/fs01.corp.example",
	 "protected", ANY, V_UNC, "classic", "FS01$", C_PROTECTED, V_UNC, NULL, "was not read",
	 NULL, NULL},
	{"disabled-user", NULL, "APP01", "cifs/fs01.corp.example", "gone", KERBEROS, V_NO, NULL,
	 "FS01$", C_USER_ENABLED, V_NO,
	 "KDC_ERR_CLIENT_REVOKED (0xC0000072, STATUS_ACCOUNT_DISABLED)", "gone is disabled",
	 "Enable-ADAccount -Identity 'CN=gone,CN=Users,DC=corp,DC=example'", C_LISTED},
	{"disabled-user-any", NULL, "APP01", "cifs/fs01.corp.example", "gone", ANY, V_NO, NULL,
	 "FS01$", C_USER_ENABLED, V_NO,
	 "KDC_ERR_CLIENT_REVOKED (0xC0000072, STATUS_ACCOUNT_DISABLED)", NULL, "Enable-ADAccount",
	 C_LISTED},
	/* resource-based */
	{"rbcd-group-trustee", NULL, "GFRONT", "cifs/res.corp.example", "carol", KERBEROS, V_YES,
	 "resource-based", "RES$", C_GRANTED, V_YES, NULL, "ACE 2 (Fronts, " DOMSID "-4010)",
	 NULL, C_S4U_ID},
	{"rbcd-deny-ace", NULL, "DENIED", "cifs/res.corp.example", "carol", KERBEROS, V_NO, NULL,
	 "RES$", C_GRANTED, V_NO, NULL, "ACE 0 (DENIED$, " DOMSID "-4011) denies control access",
	 "-PrincipalsAllowedToDelegateToAccount", NULL},
	{"rbcd-deny-ace-error", NULL, "DENIED", "cifs/res.corp.example", "carol", KERBEROS, V_NO,
	 NULL, "RES$", C_RBCD, V_NO, "KDC_ERR_BADOPTION (STATUS_NOT_FOUND)", NULL, NULL, NULL},
	{"rbcd-no-targets", NULL, "DENIED", "cifs/res.corp.example", "carol", KERBEROS, V_NO, NULL,
	 "RES$", C_LISTED, V_NO, "KDC_ERR_BADOPTION (STATUS_NOT_SUPPORTED)", "no classic targets",
	 NULL, NULL},
	{"rbcd-on-user-account", NULL, "RFRONT", "MSSQLSvc/sql01.corp.example:1433", "carol",
	 KERBEROS, V_YES, "resource-based", "svc_sql", C_GRANTED, V_YES, NULL, "ACE 0 (RFRONT$",
	 NULL, C_S4U_ID},
	{"rbcd-on-user-account-refused", NULL, "GFRONT", "MSSQLSvc/sql01.corp.example:1433",
	 "carol", KERBEROS, V_NO, NULL, "svc_sql", C_GRANTED, V_NO, NULL, NULL,
	 "Set-ADUser -Identity 'CN=svc_sql,CN=Users,DC=corp,DC=example' "
	 "-PrincipalsAllowedToDelegateToAccount",
	 NULL},
	{"rbcd-conditional", NULL, "CFRONT", "cifs/res.corp.example", "carol", KERBEROS, V_COND,
	 "resource-based", "RES$", C_ACE, V_COND, NULL, "conditional allow", NULL, NULL},
	{"rbcd-no-descriptor", NULL, "RFRONT", "cifs/fs01.corp.example", "carol", KERBEROS, V_NO,
	 NULL, "FS01$", "back end trusts front ends (RBCD)", V_NO, NULL,
	 "has no msDS-AllowedToActOnBehalfOfOtherIdentity", "-PrincipalsAllowedToDelegateToAccount",
	 NULL},
	/* the S-1-18-2 caveat: only for --protocol any through RBCD */
	{"rbcd-any-caveat", NULL, "RFRONT", "MSSQLSvc/sql01.corp.example:1433", "carol", ANY,
	 V_YES, "resource-based", "svc_sql", C_S4U_ID, V_UNC, NULL,
	 "the directory cannot show that policy", NULL, NULL},
	{"rbcd-any-self", NULL, "RFRONT", "MSSQLSvc/sql01.corp.example:1433", "carol", ANY, V_YES,
	 "resource-based", "svc_sql", C_SELF, V_YES, NULL, "neither", NULL, NULL},
	{"rbcd-kerberos-no-caveat", NULL, "RFRONT", "MSSQLSvc/sql01.corp.example:1433", NULL,
	 KERBEROS, V_YES, "resource-based", "svc_sql", C_GRANTED, V_YES, NULL, NULL, NULL,
	 C_S4U_ID},
	{"rbcd-any-refused-no-caveat", NULL, "DENIED", "cifs/res.corp.example", "carol", ANY, V_NO,
	 NULL, "RES$", C_GRANTED, V_NO, NULL, NULL, NULL, C_S4U_ID},
	/* encryption types */
	{"etypes-aes", NULL, "APP01", "cifs/fs01.corp.example", NULL, KERBEROS, V_YES, "classic",
	 "FS01$", C_ETYPES, V_YES, NULL, "the 1 account that set", NULL, NULL},
	{"etypes-rc4-only", NULL, "RC4FRONT", "cifs/fs01.corp.example", NULL, KERBEROS, V_YES,
	 "classic", "FS01$", C_ETYPES, V_YES, NULL, "RC4: RC4 only", NULL, NULL},
	{"etypes-des-only", NULL, "DESFRONT", "cifs/oldfs.corp.example", NULL, KERBEROS, V_NO, NULL,
	 "OLDFS$", C_ETYPES, V_NO, "KDC_ERR_ETYPE_NOSUPP", "DES-CBC-CRC,DES-CBC-MD5: DES only",
	 "-KerberosEncryptionType AES128,AES256", NULL},
	{"etypes-none-in-common", NULL, "AESFRONT", "cifs/oldfs.corp.example", NULL, KERBEROS,
	 V_NO, NULL, "OLDFS$", C_ETYPES, V_NO, "KDC_ERR_ETYPE_NOSUPP", "none: none in common",
	 "-KerberosEncryptionType", NULL},
	{"etypes-unset", NULL, "WEB01", "cifs/res.corp.example", "carol", KERBEROS, V_YES,
	 "classic", "RES$", C_ETYPES, V_UNC, NULL, "no account sets msDS-SupportedEncryptionTypes",
	 NULL, NULL},
};

/* The codes in @text an admin could paste: 0x..., KDC_ERR_..., STATUS_... */
static void
expect_codes_explain(const char *what, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t len = 0;
		char code[64];

		while (*p && !(isalnum((unsigned char)*p) || *p == '_'))
			p++;
		while (isalnum((unsigned char)p[len]) || p[len] == '_')
			len++;
		if (len && len < sizeof(code)) {
			memcpy(code, p, len);
			code[len] = '\0';
			if (strncmp(code, "0x", 2) == 0 || strncmp(code, "KDC_ERR_", 8) == 0 ||
			    strncmp(code, "STATUS_", 7) == 0)
				ck_assert_msg(kd_verify_explain(code, NULL, 0) > 0,
					      "%s: '%s' (in \"%s\") explains nothing", what, code,
					      text);
		}
		p += len;
	}
}

/* What every result keeps, whatever the case. */
static void
expect_invariants(const char *what, const struct kd_verify_result *r)
{
	ck_assert_uint_gt(r->nchecks, 0);
	ck_assert_uint_le(r->nchecks, KD_VERIFY_CHECKS_MAX);
	/* the verdict's mechanism names what carried it: nothing carries a refusal */
	if (r->verdict == KD_VERDICT_NO)
		ck_assert_msg(r->mechanism == NULL, "%s: refused, yet mechanism %s", what,
			      r->mechanism);
	else
		ck_assert_msg(r->mechanism != NULL, "%s: %s without a mechanism", what,
			      kd_verdict_name(r->verdict));
	for (size_t k = 0; k < r->nchecks; k++) {
		const struct kd_verify_check *c = &r->checks[k];

		ck_assert_ptr_nonnull(c->name);
		ck_assert_ptr_nonnull(c->detail);
		ck_assert_msg(c->detail[0] != '\0', "%s: %s has no detail", what, c->name);
		/* each check once */
		for (size_t j = 0; j < k; j++)
			ck_assert_msg(strcmp(r->checks[j].name, c->name) != 0,
				      "%s: check '%s' twice", what, c->name);
		/* fixes only when the delegation does not work, only on failed checks */
		if (c->fix) {
			ck_assert_msg(r->verdict != KD_VERDICT_YES,
				      "%s: the delegation works, yet '%s' has a fix", what,
				      c->name);
			ck_assert_msg(c->outcome == KD_VERDICT_NO,
				      "%s: '%s' (%s) has a fix", what, c->name,
				      kd_verdict_name(c->outcome));
		}
		/* a passed check shows no error */
		if (c->outcome == KD_VERDICT_YES)
			ck_assert_msg(c->error == NULL, "%s: passed '%s' has error %s", what,
				      c->name, c->error);
		if (c->error)
			expect_codes_explain(what, c->error);
	}
	/* a refusal says where it failed */
	if (r->verdict == KD_VERDICT_NO) {
		bool failed = false;

		for (size_t k = 0; k < r->nchecks; k++)
			failed |= r->checks[k].outcome == KD_VERDICT_NO;
		ck_assert_msg(failed, "%s: refused without a failed check", what);
	}
}

START_TEST(test_verify)
{
	const struct verify_case *c = &verify_cases[_i];
	const struct kd_verify_check *check;
	struct kd_verify_result r;
	struct fx f;
	bool ok;

	fx_load(&f, c->level ? c->level : L7);
	run(&f, c->front, c->spn, c->user, c->protocol, &r);
	check = check_named(&r, c->check);
	ok = r.verdict == c->verdict && check && check->outcome == c->outcome &&
	     (c->mechanism ? r.mechanism && strcmp(r.mechanism, c->mechanism) == 0
			   : r.mechanism == NULL);
	if (!ok)
		dump(c->name, &r);
	ck_assert_msg(r.verdict == c->verdict, "%s: verdict %s, want %s", c->name,
		      kd_verdict_name(r.verdict), kd_verdict_name(c->verdict));
	if (c->mechanism)
		ck_assert_msg(r.mechanism && strcmp(r.mechanism, c->mechanism) == 0,
			      "%s: mechanism %s, want %s", c->name,
			      r.mechanism ? r.mechanism : "(none)", c->mechanism);
	else
		ck_assert_msg(r.mechanism == NULL, "%s: mechanism %s, want none", c->name,
			      r.mechanism);
	ck_assert_int_eq(r.frontend, account(&f, c->front));
	ck_assert_int_eq(r.user, c->user ? account(&f, c->user) : KD_NONE);
	ck_assert_int_eq(r.backend, c->backend ? account(&f, c->backend) : KD_NONE);
	ck_assert_ptr_eq(r.spn, c->spn);
	ck_assert_int_eq(r.protocol, c->protocol);
	ck_assert_msg(check != NULL, "%s: no check '%s'", c->name, c->check);
	ck_assert_msg(check->outcome == c->outcome, "%s: '%s' %s, want %s", c->name, c->check,
		      kd_verdict_name(check->outcome), kd_verdict_name(c->outcome));
	if (c->error)
		ck_assert_msg(check->error && strcmp(check->error, c->error) == 0,
			      "%s: '%s' error \"%s\", want \"%s\"", c->name, c->check,
			      check->error ? check->error : "(none)", c->error);
	if (c->says)
		ck_assert_msg(strstr(check->detail, c->says), "%s: '%s' says \"%s\", not \"%s\"",
			      c->name, c->check, check->detail, c->says);
	if (c->fix)
		ck_assert_msg(check->fix && strstr(check->fix, c->fix),
			      "%s: '%s' fix \"%s\", want \"%s\"", c->name, c->check,
			      check->fix ? check->fix : "(none)", c->fix);
	if (c->absent)
		ck_assert_msg(!check_named(&r, c->absent), "%s: check '%s' present", c->name,
			      c->absent);
	expect_invariants(c->name, &r);
	kd_verify_free(&r);
	ck_assert_uint_eq(r.nchecks, 0);
	fx_free(&f);
}
END_TEST

/*
 * A failed check's fix must be one that would help: with a user who cannot be
 * delegated, S4U2Self's ticket is not forwardable because of the user, and a
 * front end that already has protocol transition must not be told to get it.
 */
START_TEST(test_fix_names_the_cause)
{
	const struct kd_verify_check *self;
	struct kd_verify_result r;
	struct fx f;

	fx_load(&f, L7);
	run(&f, "APP01", "cifs/fs01.corp.example", "sensitive", ANY, &r);
	ck_assert_int_eq(r.verdict, KD_VERDICT_NO);
	for (size_t k = 0; k < r.nchecks; k++)
		if (r.checks[k].fix && strstr(r.checks[k].fix, "TrustedToAuthForDelegation")) {
			dump("sensitive user, --protocol any", &r);
			ck_abort_msg("'%s' tells APP01$, which has TRUSTED_TO_AUTH_FOR_DELEGATION, "
				     "to set it: %s",
				     r.checks[k].name, r.checks[k].fix);
		}
	kd_verify_free(&r);
	/* without protocol transition the same fix is the right one */
	run(&f, "WEB01", "cifs/fs01.corp.example", "carol", ANY, &r);
	self = check_named(&r, C_SELF);
	ck_assert_ptr_nonnull(self);
	ck_assert_ptr_nonnull(self->fix);
	ck_assert_ptr_nonnull(strstr(self->fix, "TrustedToAuthForDelegation"));
	kd_verify_free(&r);
	fx_free(&f);
}
END_TEST

/* Every check an --explain-error cause points to is one verify makes. */
START_TEST(test_causes_name_real_checks)
{
	const struct kd_error_cause *all;
	size_t n = kd_verify_causes(&all);
	struct fx fx[3];
	const char *levels[3] = {L7, L6, L_UNKNOWN};

	ck_assert_uint_ge(n, 10);
	for (size_t l = 0; l < 3; l++)
		fx_load(&fx[l], levels[l]);
	for (size_t k = 0; k < n; k++) {
		bool seen = false;

		ck_assert_ptr_nonnull(all[k].code);
		ck_assert_ptr_nonnull(all[k].seen);
		ck_assert_ptr_nonnull(all[k].cause);
		ck_assert_ptr_nonnull(all[k].check);
		/* each row explains its own code */
		ck_assert_uint_gt(kd_verify_explain(all[k].code, NULL, 0), 0);
		for (size_t i = 0; i < ARRAY_LEN(verify_cases) && !seen; i++) {
			const struct verify_case *c = &verify_cases[i];
			struct kd_verify_result r;
			size_t l = !c->level ? 0 : strcmp(c->level, L6) == 0 ? 1 : 2;

			if (c->level && strcmp(c->level, L4) == 0)
				continue;
			run(&fx[l], c->front, c->spn, c->user, c->protocol, &r);
			seen = check_named(&r, all[k].check) != NULL;
			kd_verify_free(&r);
		}
		ck_assert_msg(seen, "cause %s points to check '%s', which no case makes",
			      all[k].code, all[k].check);
	}
	for (size_t l = 0; l < 3; l++)
		fx_free(&fx[l]);
}
END_TEST

/* ---- accounts by the names people use ---- */

struct find_case {
	const char *name;
	const char *want_dn; /* NULL: KD_NONE */
};

static const struct find_case find_cases[] = {
	{"carol", "CN=carol," USERS},
	{"CAROL", "CN=carol," USERS},
	{"Carol", "CN=carol," USERS},
	/* a computer by its sAMAccountName, and without its $ */
	{"APP01$", "CN=APP01," USERS},
	{"app01$", "CN=APP01," USERS},
	{"app01", "CN=APP01," USERS},
	{"App01", "CN=APP01," USERS},
	/* a DN, a SID */
	{"CN=carol," USERS, "CN=carol," USERS},
	{DOMSID "-4050", "CN=carol," USERS},
	{DOMSID "-4002", "CN=APP01," USERS},
	/* an exact name wins over a computer's name without $ */
	{"pair", "CN=Pair User," USERS},
	{"pair$", "CN=Pair Host," USERS},
	/* nothing, or more than one */
	{"nobody", NULL},
	{"carol$", NULL},
	{"app0", NULL},
	{"", NULL},
	{"$", NULL},
	{"CN=nobody," USERS, NULL},
	{DOMSID "-9999", NULL},
	{"twin", NULL},
	{"TWIN", NULL},
	{"box", NULL},
	{"box$", NULL},
	/* a group is no account: it cannot authenticate as a front end or be delegated */
	{"Fronts", NULL},
	{"CN=Fronts," USERS, NULL},
	{DOMSID "-4010", NULL},
	{"Protected Users", NULL},
};

START_TEST(test_find_account)
{
	const struct find_case *c = &find_cases[_i];
	struct fx f;
	uint32_t got, want;

	fx_load(&f, L7);
	got = kd_verify_find_account(f.dir, c->name);
	want = c->want_dn ? kd_directory_find_dn(f.dir, c->want_dn) : KD_NONE;
	if (c->want_dn)
		ck_assert_uint_ne(want, KD_NONE);
	ck_assert_msg(got == want, "'%s': found %s, want %s", c->name,
		      got == KD_NONE ? "none" : kd_directory_get(f.dir, got)->dn,
		      c->want_dn ? c->want_dn : "none");
	fx_free(&f);
}
END_TEST

/* ---- --explain-error ---- */

struct explain_case {
	const char *code;
	size_t count;           /* how many causes; with or_more, at least that many */
	bool or_more;
	const char *cause_says; /* in one of the causes' texts, or NULL */
	const char *first_code; /* the first cause's code, or NULL */
};

static const struct explain_case explain_cases[] = {
	{"0xC000015B", 1, false, "msDS-AllowedToDelegateTo", "0xC000015B"},
	{"C000015B", 1, false, NULL, "0xC000015B"},
	{"c000015b", 1, false, NULL, "0xC000015B"},
	{"0xc000015b", 1, false, NULL, "0xC000015B"},
	{"0XC000015B", 1, false, NULL, "0xC000015B"},
	{"0xC0000064", 1, true, "registered on no account", "0xC0000064"},
	{"c0000064", 1, true, NULL, "0xC0000064"},
	{"NTLM", 1, false, "falls back to NTLM", "NTLM"},
	{"ntlm", 1, false, NULL, "NTLM"},
	{"KDC_ERR_BADOPTION", 4, false, "not forwardable", "KDC_ERR_BADOPTION"},
	{"kdc_err_badoption", 4, false, "RBCD access check", "KDC_ERR_BADOPTION"},
	/* an NTSTATUS finds its KDC_ERR_BADOPTION row */
	{"STATUS_NOT_FOUND", 1, false, "RBCD access check failed", "KDC_ERR_BADOPTION"},
	{"status_not_found", 1, false, NULL, "KDC_ERR_BADOPTION"},
	{"STATUS_NOT_SUPPORTED", 1, false, "no classic targets", "KDC_ERR_BADOPTION"},
	{"STATUS_NO_MATCH", 1, false, NULL, "KDC_ERR_BADOPTION"},
	{"STATUS_ACCOUNT_RESTRICTION", 1, false, "Protected Users", "KDC_ERR_BADOPTION"},
	{"STATUS_ACCOUNT_DISABLED", 1, false, "disabled", "KDC_ERR_CLIENT_REVOKED"},
	{"KDC_ERR_CLIENT_REVOKED", 1, false, "disabled", "KDC_ERR_CLIENT_REVOKED"},
	{"KDC_ERR_POLICY", 1, false, "may not log on", "KDC_ERR_POLICY"},
	{"KDC_ERR_S_PRINCIPAL_UNKNOWN", 1, false, "no SPN of its own",
	 "KDC_ERR_S_PRINCIPAL_UNKNOWN"},
	{"KDC_ERR_PRINCIPAL_NOT_UNIQUE", 1, false, "more than one account",
	 "KDC_ERR_PRINCIPAL_NOT_UNIQUE"},
	{"KDC_ERR_ETYPE_NOSUPP", 1, false, "encryption type", "KDC_ERR_ETYPE_NOSUPP"},
	/* unknown: nothing */
	{"0xDEADBEEF", 0, false, NULL, NULL},
	{"", 0, false, NULL, NULL},
	{"0x", 0, false, NULL, NULL},
	{"KDC_ERR", 0, false, NULL, NULL},
	{"STATUS_", 0, false, NULL, NULL},
	{"C000015", 0, false, NULL, NULL},
	{"0xC000015B0", 0, false, NULL, NULL},
	{" 0xC000015B", 0, false, NULL, NULL},
};

START_TEST(test_explain)
{
	const struct explain_case *c = &explain_cases[_i];
	const struct kd_error_cause *found[16];
	size_t n = kd_verify_explain(c->code, found, ARRAY_LEN(found));
	bool says = c->cause_says == NULL;

	ck_assert_msg(c->or_more ? n >= c->count : n == c->count, "'%s': %zu causes, want %s%zu",
		      c->code, n, c->or_more ? "at least " : "", c->count);
	for (size_t k = 0; k < n; k++) {
		ck_assert_ptr_nonnull(found[k]->seen);
		ck_assert_ptr_nonnull(found[k]->check);
		says |= c->cause_says && strstr(found[k]->cause, c->cause_says);
	}
	ck_assert_msg(says, "'%s': no cause says '%s'", c->code, c->cause_says);
	if (c->first_code)
		ck_assert_str_eq(found[0]->code, c->first_code);
}
END_TEST

/* @max bounds what is written, not what is counted. */
START_TEST(test_explain_max)
{
	const struct kd_error_cause *found[2] = {NULL, NULL}, *sentinel = found[1];
	const struct kd_error_cause *all;

	ck_assert_uint_eq(kd_verify_explain("KDC_ERR_BADOPTION", NULL, 0), 4);
	ck_assert_uint_eq(kd_verify_explain("KDC_ERR_BADOPTION", found, 1), 4);
	ck_assert_ptr_nonnull(found[0]);
	ck_assert_ptr_eq(found[1], sentinel);
	ck_assert_str_eq(found[0]->code, "KDC_ERR_BADOPTION");
	/* the rows come in the table's order */
	ck_assert_uint_gt(kd_verify_causes(&all), 4);
	ck_assert_ptr_eq(found[0], &all[3]);
}
END_TEST

/* ---- the reports ---- */

static char *
render(const struct fx *f, const struct kd_verify_result *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct kd_error err;

	ck_assert_ptr_nonnull(out);
	kd_error_clear(&err);
	ck_assert_int_eq(json ? kd_report_verify_json(out, f->dir, r, &err)
			      : kd_report_verify_text(out, f->dir, r, false, &err),
			 0);
	fclose(out);
	return buf;
}

START_TEST(test_report_text)
{
	struct kd_verify_result r;
	struct fx f;
	char *text;

	fx_load(&f, L7);
	/* works: no error, no fix, a failed classic check the KDC left is not a FAIL */
	run(&f, "WEB01", "cifs/res.corp.example", "carol", ANY, &r);
	text = render(&f, &r, false);
	ck_assert_ptr_nonnull(strstr(text, "kdeleg verify: WEB01$ -> cifs/res.corp.example (RES$) "
					   "for carol, protocol any\n"));
	ck_assert_ptr_nonnull(strstr(text, "verdict: WORKS (resource-based delegation)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  [ -- ] " C_EVIDENCE "\n"));
	ck_assert_ptr_nonnull(strstr(text, "  [ ?? ] " C_S4U_ID "\n"));
	ck_assert_ptr_null(strstr(text, "[FAIL]"));
	ck_assert_ptr_null(strstr(text, "error:"));
	ck_assert_ptr_null(strstr(text, "fix:"));
	free(text);
	kd_verify_free(&r);
	/* refused: the failed check, its error, its fix (each line of it) */
	run(&f, "APP01", "HOST/res.corp.example", NULL, KERBEROS, &r);
	text = render(&f, &r, false);
	ck_assert_ptr_nonnull(strstr(text, "for any delegable user, protocol kerberos\n"
					   "verdict: DOES NOT WORK\n"));
	ck_assert_ptr_nonnull(strstr(text, "  [FAIL] " C_LISTED "\n"));
	ck_assert_ptr_nonnull(
		strstr(text, "         error: 0xC000015B (KDC_ERR_BADOPTION, STATUS_NO_MATCH)\n"));
	ck_assert_ptr_nonnull(strstr(text, "         fix:  Set-ADObject -Identity "
					   "'CN=APP01,CN=Users,DC=corp,DC=example' -Add "
					   "@{'msDS-AllowedToDelegateTo'='HOST/res.corp.example'}\n"
					   "              # or resource-based"));
	free(text);
	kd_verify_free(&r);
	/* conditional */
	run(&f, "CFRONT", "cifs/res.corp.example", NULL, KERBEROS, &r);
	text = render(&f, &r, false);
	ck_assert_ptr_nonnull(strstr(text, "verdict: DEPENDS ON A CONDITIONAL ACE "
					   "(resource-based delegation)\n"));
	ck_assert_ptr_nonnull(strstr(text, "  [ ?? ] " C_ACE "\n"));
	free(text);
	kd_verify_free(&r);
	fx_free(&f);
}
END_TEST

START_TEST(test_report_json)
{
	static const char *const keys[] = {"allowed", "verdict", "mechanism", "frontend", "spn",
					   "backend", "user", "protocol", "checks"};
	struct kd_verify_result r;
	json_t *doc, *checks, *item;
	struct fx f;
	size_t k;

	fx_load(&f, L7);
	run(&f, "APP01", "HOST/res.corp.example", NULL, KERBEROS, &r);
	doc = kd_report_verify_object(f.dir, &r);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), ARRAY_LEN(keys));
	for (k = 0; k < ARRAY_LEN(keys); k++)
		ck_assert_msg(json_object_get(doc, keys[k]), "no key %s", keys[k]);
	ck_assert(json_is_false(json_object_get(doc, "allowed")));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "verdict")), "no");
	ck_assert(json_is_null(json_object_get(doc, "mechanism")));
	ck_assert(json_is_null(json_object_get(doc, "user")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "backend"),
							   "name")),
			 "RES$");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "protocol")), "kerberos");
	checks = json_object_get(doc, "checks");
	ck_assert_uint_eq(json_array_size(checks), r.nchecks);
	json_array_foreach(checks, k, item)
	{
		const struct kd_verify_check *c = &r.checks[k];
		json_t *passed = json_object_get(item, "passed");

		ck_assert_uint_eq(json_object_size(item), 6);
		ck_assert_str_eq(json_string_value(json_object_get(item, "name")), c->name);
		ck_assert_str_eq(json_string_value(json_object_get(item, "outcome")),
				 kd_verdict_name(c->outcome));
		ck_assert(c->outcome == KD_VERDICT_YES  ? json_is_true(passed)
			  : c->outcome == KD_VERDICT_NO ? json_is_false(passed)
							: json_is_null(passed));
		ck_assert(c->fix ? json_is_string(json_object_get(item, "fix"))
				 : json_is_null(json_object_get(item, "fix")));
		ck_assert(c->error && c->outcome == KD_VERDICT_NO
				  ? json_is_string(json_object_get(item, "error"))
				  : json_is_null(json_object_get(item, "error")));
	}
	json_decref(doc);
	kd_verify_free(&r);
	fx_free(&f);
}
END_TEST

Suite *kd_verify_suite(void);

Suite *
kd_verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc;

	tc = tcase_create("verify");
	tcase_add_loop_test(tc, test_verify, 0, ARRAY_LEN(verify_cases));
	tcase_add_test(tc, test_fix_names_the_cause);
	tcase_add_test(tc, test_causes_name_real_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("find-account");
	tcase_add_loop_test(tc, test_find_account, 0, ARRAY_LEN(find_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("explain");
	tcase_add_loop_test(tc, test_explain, 0, ARRAY_LEN(explain_cases));
	tcase_add_test(tc, test_explain_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_test(tc, test_report_text);
	tcase_add_test(tc, test_report_json);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_verify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
