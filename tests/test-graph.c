/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the delegation graph and its chains (src/graph.c, src/rules-chain.c):
 * chains of 1 to 6 hops, cycles, self-delegation, a group that is its own member, a
 * deny that breaks a chain, an unresolved SID in the middle, the machine account
 * quota at 0 and 10, protected administrators, the delegation-chain findings and
 * kdeleg paths.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/chain.h"
#include "kdeleg/graph.h"
#include "kdeleg/kdc.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/token.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* a second DC that carries RBCD in the fixtures (DC01's entry is BASE_LDIF's) */
#define DC02(extra)                                                                           \
	COMPUTER("DC02", "1001", U_DC) "primaryGroupID: 516\n" SPN("ldap/dc02.corp.example")  \
	SPN("HOST/dc02.corp.example") extra END
/* an administrator of every member computer, delegable */
#define ADMIN USER("adm", "1500", U_NORMAL) MEMBER_OF("Domain Admins") END
#define ALLOW_CA(who) {.type = 0x00, .mask = 0x100, .sid = (who)}
#define DENY_CA(who) {.type = 0x01, .mask = 0x100, .sid = (who)}
#define GENERIC_WRITE(who) {.type = 0x00, .mask = 0x40000000u, .sid = (who)}

struct gx {
	struct kd_directory *dir;
	struct kd_tokens *tokens;
	struct kd_kdc *kdc;
	struct kd_graph *graph;
	struct kd_reach *reach;
};

static void
gx_load(struct gx *g, const char *text)
{
	struct kd_error err;

	memset(g, 0, sizeof(*g));
	ck_assert_msg(tu_load_directory(text, &g->dir, &err) == 0, "load: %s", err.message);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_tokens_new(g->dir, &g->tokens, &err), 0);
	ck_assert_int_eq(kd_kdc_new(g->dir, g->tokens, &g->kdc, &err), 0);
	ck_assert_int_eq(kd_graph_new(g->kdc, g->dir, &g->graph, &err), 0);
	ck_assert_int_eq(kd_graph_reach(g->graph, NULL, 0, 0, &g->reach, &err), 0);
}

static void
gx_free(struct gx *g)
{
	kd_reach_free(g->reach);
	kd_graph_free(g->graph);
	kd_kdc_free(g->kdc);
	kd_tokens_free(g->tokens);
	kd_directory_free(g->dir);
}

static uint32_t
node_named(const struct gx *g, const char *name)
{
	char buf[256];

	if (strcmp(name, "*any") == 0)
		return kd_graph_any_user_node(g->graph);
	for (uint32_t n = 0; n < kd_graph_node_count(g->graph); n++)
		if (strcmp(kd_chain_node_name(g->graph, g->dir, n, buf, sizeof(buf)), name) == 0)
			return n;
	ck_abort_msg("no node %s", name);
	return KD_NONE;
}

/* The chain of @name as text, "" when it reaches nothing. Freed by the caller. */
static char *
chain_of(const struct gx *g, const char *name)
{
	uint32_t n = node_named(g, name);
	struct kd_strbuf sb;
	char *out;

	if (kd_reach_hops(g->reach, n) == KD_UNREACHED)
		return strdup("");
	kd_strbuf_init(&sb, 1 << 20);
	ck_assert_int_eq(kd_chain_text(g->graph, g->reach, g->dir, n, &sb), 0);
	out = strdup(kd_strbuf_str(&sb));
	kd_strbuf_free(&sb);
	return out;
}

static void
expect_chain(const struct gx *g, const char *name, const char *want)
{
	char *got = chain_of(g, name);

	ck_assert_msg(strcmp(got, want) == 0, "%s: chain\n  got  '%s'\n  want '%s'", name, got,
		      want);
	free(got);
}

static char *
b64_line(const char *attr, const struct tu_ace *aces, size_t n, const char *owner)
{
	struct tu_buf b = {0};
	char *b64, *line;

	tu_sd_build(&b, owner, true, aces, n);
	b64 = tu_base64(b.data, b.len);
	line = tu_xprintf("%s:: %s\n", attr, b64);
	free(b64);
	tu_buf_free(&b);
	return line;
}

static char *
rbcd(const struct tu_ace *aces, size_t n)
{
	return b64_line("msDS-AllowedToActOnBehalfOfOtherIdentity", aces, n, "S-1-5-32-544");
}

static char *
acl(const struct tu_ace *aces, size_t n)
{
	return b64_line("nTSecurityDescriptor", aces, n, DOMSID "-512");
}

/* ---- one and two hops: the example ---- */

START_TEST(test_two_hops)
{
	static const struct tu_ace dc_rbcd[] = {ALLOW_CA(DOMSID "-2000")};
	char *r = rbcd(dc_rbcd, 1);
	char *text = tu_xprintf(BASE_LDIF ADMIN DC02("%s")
				COMPUTER("FILES01", "2000", U_WS) SPN("HOST/files01.corp.example")
				END USER("WEB01", "2001", U_PT) SPN("HTTP/web01")
				A2D("cifs/files01.corp.example") END,
				r);
	struct gx g;

	gx_load(&g, text);
	expect_chain(&g, "FILES01$", "FILES01$ --rbcd--> DC02$");
	expect_chain(&g, "WEB01",
		     "WEB01 --constrained+PT cifs/files01.corp.example--> FILES01$ --rbcd--> DC02$");
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, "WEB01")), 2);
	ck_assert_uint_eq(kd_reach_needs(g.reach, node_named(&g, "WEB01")), 0);
	/* tier 0 is a sink: no chain of its own */
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, "DC02$")), 0);
	ck_assert_uint_eq(kd_reach_next(g.reach, node_named(&g, "DC02$")), KD_NONE);
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- chains of 1 to 6 hops, each kind of hop once ---- */

static const struct {
	const char *name;
	uint32_t hops;
	const char *chain;
} six_rows[] = {
	{"SRV3$", 1, "SRV3$ --unconstrained--> domain corp.example  [needs a DC coerced to "
		     "authenticate (assumed)]"},
	{"SRV2$", 2, "SRV2$ --rbcd--> SRV3$ --unconstrained--> domain corp.example  [needs a DC "
		     "coerced to authenticate (assumed)]"},
	{"SRV1$", 3, "SRV1$ --constrained+PT HOST/srv2.corp.example--> SRV2$ --rbcd--> SRV3$ "
		     "--unconstrained--> domain corp.example  [needs a DC coerced to "
		     "authenticate (assumed)]"},
	{"G2", 4, "G2 --write-rbcd generic-write--> SRV1$ --constrained+PT "
		  "HOST/srv2.corp.example--> SRV2$ --rbcd--> SRV3$ --unconstrained--> domain "
		  "corp.example  [needs SPN-less RBCD (U2U) from an account it controls; a DC "
		  "coerced to authenticate (assumed)]"},
	{"G1", 5, "G1 --member--> G2 --write-rbcd generic-write--> SRV1$ --constrained+PT "
		  "HOST/srv2.corp.example--> SRV2$ --rbcd--> SRV3$ --unconstrained--> domain "
		  "corp.example  [needs SPN-less RBCD (U2U) from an account it controls; a DC "
		  "coerced to authenticate (assumed)]"},
	{"start", 6, "start --member--> G1 --member--> G2 --write-rbcd generic-write--> SRV1$ "
		     "--constrained+PT HOST/srv2.corp.example--> SRV2$ --rbcd--> SRV3$ "
		     "--unconstrained--> domain corp.example  [needs SPN-less RBCD (U2U) from "
		     "an account it controls; a DC coerced to authenticate (assumed)]"},
};

static char *
six_hops_ldif(const char *quota_line)
{
	static const struct tu_ace write[] = {GENERIC_WRITE(DOMSID "-3002")};
	static const struct tu_ace trust[] = {ALLOW_CA(DOMSID "-3011")};
	char *w = acl(write, 1), *r = rbcd(trust, 1);
	char *text = tu_xprintf(
		DOMAIN_AT("msDS-Behavior-Version: 7\n%s")
		GROUP("Domain Admins", DOMSID "-512") END
		GROUP("Domain Computers", DOMSID "-515") END
		COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"
		SPN("ldap/dc01.corp.example") SPN("HOST/dc01.corp.example") END
		USER("krbtgt", "502", "514") END ADMIN
		USER("start", "3000", U_NORMAL) END
		GROUP("G1", DOMSID "-3001") MEMBER("start") END
		GROUP("G2", DOMSID "-3002") MEMBER("G1") END
		COMPUTER("SRV1", "3010", "16781312") SPN("HOST/srv1.corp.example")
		A2D("HOST/srv2.corp.example") "%s" END
		COMPUTER("SRV2", "3011", U_WS) SPN("HOST/srv2.corp.example") END
		COMPUTER("SRV3", "3012", "528384") SPN("HOST/srv3.corp.example") "%s" END,
		quota_line, w, r);

	free(w);
	free(r);
	return text;
}

START_TEST(test_one_to_six_hops)
{
	char *text = six_hops_ldif("");
	struct gx g;

	gx_load(&g, text);
	expect_chain(&g, six_rows[_i].name, six_rows[_i].chain);
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, six_rows[_i].name)),
			  six_rows[_i].hops);
	gx_free(&g);
	free(text);
}
END_TEST

/* A quota above 0: a group that writes RBCD needs a computer it creates, not U2U;
 * an account with an SPN earlier in the chain is a front end already. */
START_TEST(test_quota_front_end)
{
	char *text = six_hops_ldif("ms-DS-MachineAccountQuota: 10\n");
	struct gx g;

	gx_load(&g, text);
	ck_assert_uint_eq(kd_reach_needs(g.reach, node_named(&g, "start")),
			  KD_NEED_NEW_COMPUTER | KD_NEED_COERCION);
	ck_assert_uint_eq(kd_reach_needs(g.reach, node_named(&g, "SRV1$")), KD_NEED_COERCION);
	gx_free(&g);
	free(text);
}
END_TEST

/* ---- cycles, self-delegation, a group that is its own member ---- */

START_TEST(test_cycles)
{
	static const struct tu_ace write[] = {GENERIC_WRITE(DOMSID "-3101")};
	static const struct tu_ace self_trust[] = {ALLOW_CA(DOMSID "-3120")};
	static const struct tu_ace b_trusts_a[] = {ALLOW_CA(DOMSID "-3110")};
	char *w = acl(write, 1), *self = rbcd(self_trust, 1), *ba = rbcd(b_trusts_a, 1);
	char *text = tu_xprintf(
		BASE_LDIF ADMIN
		/* membership cycle: LoopA in LoopB in LoopA, and Self in itself */
		GROUP("LoopA", DOMSID "-3100") MEMBER("LoopB") MEMBER("carol") END
		GROUP("LoopB", DOMSID "-3101") MEMBER("LoopA") MEMBER("Self") END
		GROUP("Self", DOMSID "-3102") MEMBER("Self") MEMBER("dave") END
		USER("carol", "3103", U_NORMAL) END USER("dave", "3104", U_NORMAL) END
		/* delegation cycle: A -> B (constrained, PT) and B -> A (RBCD); B writable by
		 * LoopB, which leads nowhere else */
		COMPUTER("A", "3110", "16781312") SPN("HOST/a.corp.example")
		A2D("HOST/b.corp.example") END
		COMPUTER("B", "3111", U_WS) SPN("HOST/b.corp.example") "%s%s" END
		/* self-delegation: RBCD trusting itself, constrained to its own SPN */
		COMPUTER("SELFISH", "3120", "16781312") SPN("HOST/selfish.corp.example")
		A2D("HOST/selfish.corp.example") "%s" END,
		ba, w, self);
	struct gx g;

	gx_load(&g, text);
	/* nothing in the cycles reaches tier 0: no chain, and the search ends */
	expect_chain(&g, "carol", "");
	expect_chain(&g, "A$", "");
	expect_chain(&g, "SELFISH$", "");
	expect_chain(&g, "Self", "");
	gx_free(&g);
	free(text);
	free(w);
	free(self);
	free(ba);
}
END_TEST

/* The same cycles with a way out: B unconstrained. Every member of the loops gets
 * the shortest way, through whichever loop group is nearer. */
START_TEST(test_cycles_exit)
{
	static const struct tu_ace write[] = {GENERIC_WRITE(DOMSID "-3101")};
	char *w = acl(write, 1);
	char *text = tu_xprintf(
		BASE_LDIF ADMIN
		GROUP("LoopA", DOMSID "-3100") MEMBER("LoopB") MEMBER("carol") END
		GROUP("LoopB", DOMSID "-3101") MEMBER("LoopA") MEMBER("Self") END
		GROUP("Self", DOMSID "-3102") MEMBER("Self") MEMBER("dave") END
		USER("carol", "3103", U_NORMAL) END USER("dave", "3104", U_NORMAL) END
		COMPUTER("B", "3111", "528384") SPN("HOST/b.corp.example") "%s" END,
		w);
	struct gx g;

	gx_load(&g, text);
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, "LoopB")), 2);
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, "LoopA")), 3);
	ck_assert_uint_eq(kd_reach_hops(g.reach, node_named(&g, "carol")), 4);
	/* Self is its own member: the self-loop is dropped, not followed */
	expect_chain(&g, "dave",
		     "dave --member--> Self --member--> LoopB --write-rbcd generic-write--> B$ "
		     "--unconstrained--> domain corp.example  [needs SPN-less RBCD (U2U) from an "
		     "account it controls; a DC coerced to authenticate (assumed)]");
	gx_free(&g);
	free(text);
	free(w);
}
END_TEST

/* ---- a deny that breaks a chain ---- */

START_TEST(test_deny_breaks)
{
	static const struct tu_ace aces[] = {DENY_CA(DOMSID "-4001"), ALLOW_CA(DOMSID "-4000")};
	char *r = rbcd(aces, 2);
	char *text = tu_xprintf(BASE_LDIF DC02("%s")
				GROUP("Fronts", DOMSID "-4000") MEMBER("WEB1") MEMBER("WEB2") END
				COMPUTER("WEB1", "4001", U_WS) SPN("HOST/web1") END
				COMPUTER("WEB2", "4002", U_WS) SPN("HOST/web2") END,
				r);
	struct gx g;

	gx_load(&g, text);
	expect_chain(&g, "WEB1$", "");
	expect_chain(&g, "WEB2$", "WEB2$ --rbcd--> DC02$");
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- an unresolved SID in the middle ---- */

START_TEST(test_unresolved_middle)
{
	static const struct tu_ace aces[] = {ALLOW_CA("S-1-5-21-9-9-9-1234")};
	char *r = rbcd(aces, 1);
	char *text = tu_xprintf(BASE_LDIF DC02("%s")
				USER("hist", "5000", U_NORMAL) "sIDHistory: S-1-5-21-9-9-9-1234\n"
				END,
				r);
	struct gx g;
	struct kd_gnode n;
	uint32_t sid;
	json_t *node;

	gx_load(&g, text);
	expect_chain(&g, "hist",
		     "hist --sid-history--> S-1-5-21-9-9-9-1234 (not in the snapshot) --rbcd--> "
		     "DC02$");
	/* the SID is a node of its own: a start too, neither safe nor owned */
	sid = node_named(&g, "S-1-5-21-9-9-9-1234 (not in the snapshot)");
	kd_graph_node_get(g.graph, sid, &n);
	ck_assert_int_eq(n.kind, KD_GNODE_SID);
	ck_assert_uint_eq(kd_reach_hops(g.reach, sid), 1);
	node = kd_chain_node_json(g.graph, g.dir, sid);
	ck_assert_str_eq(json_string_value(json_object_get(node, "domain_sid")),
			 "S-1-5-21-9-9-9");
	ck_assert_str_eq(json_string_value(json_object_get(node, "kind")), "unresolved-sid");
	json_decref(node);
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- the machine account quota: 0 and 10 ---- */

START_TEST(test_quota)
{
	static const struct tu_ace aces[] = {ALLOW_CA(DOMSID "-515")};
	static const char *const quotas[] = {"ms-DS-MachineAccountQuota: 0\n",
					     "ms-DS-MachineAccountQuota: 10\n"};
	char *r = rbcd(aces, 1);
	char *text = tu_xprintf(DOMAIN_AT("msDS-Behavior-Version: 7\n%s")
				GROUP("Domain Admins", DOMSID "-512") END
				GROUP("Domain Computers", DOMSID "-515") END
				COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"
				SPN("HOST/dc01.corp.example") END DC02("%s"),
				quotas[_i], r);
	struct gx g;

	gx_load(&g, text);
	if (_i == 0)
		expect_chain(&g, "*any", "");
	else
		expect_chain(&g, "any authenticated user",
			     "any authenticated user --creates--> a computer any user can create "
			     "--rbcd--> DC02$  [needs a computer account it creates]");
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- administrators who cannot be delegated: impersonation takes nothing ---- */

START_TEST(test_protected_admins)
{
	static const struct tu_ace aces[] = {ALLOW_CA(DOMSID "-6001")};
	char *r = rbcd(aces, 1);
	char *text = tu_xprintf(BASE_LDIF
				USER("adm", "1500", U_SENSITIVE) MEMBER_OF("Domain Admins") END
				COMPUTER("SRV", "6000", "528384") SPN("HOST/srv") "%s" END
				COMPUTER("WEB", "6001", U_WS) SPN("HOST/web") END,
				r);
	struct gx g;

	gx_load(&g, text);
	/* SRV's only administrator is sensitive: RBCD to it is no control of it */
	expect_chain(&g, "WEB$", "");
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- constrained delegation without protocol transition ---- */

START_TEST(test_constrained_needs_ticket)
{
	static const struct tu_ace dc_rbcd[] = {ALLOW_CA(DOMSID "-7001")};
	char *r = rbcd(dc_rbcd, 1);
	char *text = tu_xprintf(BASE_LDIF ADMIN DC02("%s")
				USER("classic", "7000", U_NORMAL) SPN("HTTP/classic")
				A2D("ldap/dc01.corp.example") END
				/* the back end's RBCD also trusts this one: no ticket needed */
				USER("both", "7001", U_NORMAL) SPN("HTTP/both")
				A2D("ldap/dc02.corp.example") END,
				r);
	struct gx g;
	struct kd_hop h;

	gx_load(&g, text);
	expect_chain(&g, "classic",
		     "classic --constrained ldap/dc01.corp.example--> DC01$  [needs a user's "
		     "forwardable ticket]");
	ck_assert_uint_eq(kd_reach_needs(g.reach, node_named(&g, "classic")),
			  KD_NEED_USER_TICKET);
	/* the RBCD edge and the constrained one tie at one hop; neither needs anything */
	ck_assert_uint_eq(kd_reach_needs(g.reach, node_named(&g, "both")), 0);
	kd_graph_hop(g.graph, kd_reach_next(g.reach, node_named(&g, "classic")), &h);
	ck_assert_int_eq(h.kind, KD_HOP_CONSTRAINED);
	ck_assert_str_eq(h.spn, "ldap/dc01.corp.example");
	ck_assert(!h.protocol_transition);
	ck_assert_uint_ne(h.victim, KD_NONE); /* a DC account or adm: the smaller key */
	gx_free(&g);
	free(text);
	free(r);
}
END_TEST

/* ---- the findings: grouped by suffix, stable fingerprints ---- */

START_TEST(test_findings_grouped)
{
	static const struct tu_ace write[] = {GENERIC_WRITE(DOMSID "-8000")};
	static const struct tu_ace dc_rbcd[] = {ALLOW_CA(DOMSID "-8001")};
	char *w = acl(write, 1), *r = rbcd(dc_rbcd, 1);
	/* ten helpdesk members write the RBCD of SRV, which DC02 trusts */
	char *members = strdup(""), *text;

	for (int k = 0; k < 10; k++) {
		char *more = tu_xprintf("%s" USER("h%d", "81%02d", U_NORMAL) MEMBER_OF("Helpdesk") END,
					members, k, k, k);

		free(members);
		members = more;
	}
	text = tu_xprintf(BASE_LDIF ADMIN DC02("%s") GROUP("Helpdesk", DOMSID "-8000") END
			  "%s" COMPUTER("SRV", "8001", U_WS) SPN("HOST/srv") "%s" END,
			  r, members, w);
	free(members);
	struct tu_audit a, b;
	const struct kd_finding *f = NULL;

	tu_audit_run(&a, text);
	/* one finding for SRV's writers (Helpdesk and its ten members), one for SRV */
	ck_assert_uint_eq(tu_count_findings(&a, "delegation-chain", NULL), 2);
	for (size_t k = 0; k < a.findings.count; k++)
		if (strcmp(a.findings.items[k].rule->id, "delegation-chain") == 0 &&
		    strcmp(tu_account_name(&a, &a.findings.items[k]), "SRV$") == 0)
			f = &a.findings.items[k];
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(json_integer_value(json_object_get(f->details, "start_count")), 11);
	ck_assert_str_eq(json_string_value(json_object_get(f->details, "hop")), "write-rbcd");
	ck_assert_int_eq(f->severity, KD_SEV_HIGH); /* SPN-less RBCD needed */
	ck_assert_ptr_nonnull(strstr(f->message, "11 principals outside tier 0"));
	/* the same fingerprints on a second run */
	tu_audit_run(&b, text);
	for (size_t k = 0; k < a.findings.count; k++)
		ck_assert_str_eq(a.findings.items[k].fingerprint, b.findings.items[k].fingerprint);
	tu_audit_free(&a);
	tu_audit_free(&b);
	free(text);
	free(w);
	free(r);
}
END_TEST

/* ---- kdeleg paths ---- */

START_TEST(test_paths_query)
{
	static const struct tu_ace dc_rbcd[] = {ALLOW_CA(DOMSID "-2000")};
	char *r = rbcd(dc_rbcd, 1);
	char *text = tu_xprintf(BASE_LDIF ADMIN DC02("%s")
				COMPUTER("FILES01", "2000", U_WS) SPN("HOST/files01.corp.example")
				END USER("WEB01", "2001", U_PT) SPN("HTTP/web01")
				A2D("cifs/files01.corp.example") END,
				r);
	struct kd_directory *dir = NULL;
	struct kd_paths_query q = {0};
	struct kd_error err;
	json_t *doc = NULL, *paths, *hop;

	ck_assert_int_eq(tu_load_directory(text, &dir, &err), 0);
	ck_assert_int_eq(kd_paths(dir, &q, &doc, &err), 0);
	paths = json_object_get(doc, "paths");
	ck_assert_uint_eq(json_array_size(paths), 2);
	/* shortest first */
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(paths, 0), "length")),
			 1);
	json_decref(doc);
	q.from = "web01";
	ck_assert_int_eq(kd_paths(dir, &q, &doc, &err), 0);
	paths = json_object_get(doc, "paths");
	ck_assert_uint_eq(json_array_size(paths), 1);
	hop = json_array_get(json_object_get(json_array_get(paths, 0), "hops"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(hop, "kind")), "constrained-delegation");
	ck_assert(json_is_true(json_object_get(json_object_get(hop, "evidence"),
					       "protocol_transition")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(json_array_get(paths, 0), "path"), 2),
				 "name")),
			 "DC02$");
	json_decref(doc);
	/* --max-hops 1 leaves WEB01's two-hop chain out */
	q.max_hops = 1;
	ck_assert_int_eq(kd_paths(dir, &q, &doc, &err), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "paths")), 0);
	json_decref(doc);
	/* --to FILES01: WEB01 in one hop */
	q.max_hops = 0;
	q.from = NULL;
	q.to = "FILES01";
	ck_assert_int_eq(kd_paths(dir, &q, &doc, &err), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "paths")), 1);
	json_decref(doc);
	q.to = "nobody";
	ck_assert_int_eq(kd_paths(dir, &q, &doc, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err.message, "nobody"));
	kd_directory_free(dir);
	free(text);
	free(r);
}
END_TEST

Suite *kd_graph_suite(void);

Suite *
kd_graph_suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc;

	tc = tcase_create("chains");
	tcase_add_test(tc, test_two_hops);
	tcase_add_loop_test(tc, test_one_to_six_hops, 0, ARRAY_LEN(six_rows));
	tcase_add_test(tc, test_quota_front_end);
	tcase_add_test(tc, test_cycles);
	tcase_add_test(tc, test_cycles_exit);
	tcase_add_test(tc, test_deny_breaks);
	tcase_add_test(tc, test_unresolved_middle);
	tcase_add_loop_test(tc, test_quota, 0, 2);
	tcase_add_test(tc, test_protected_admins);
	tcase_add_test(tc, test_constrained_needs_ticket);
	suite_add_tcase(s, tc);

	tc = tcase_create("findings");
	tcase_add_test(tc, test_findings_grouped);
	tcase_add_test(tc, test_paths_query);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_graph_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
