/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the delegation graph (issue 10): a synthetic domain of about 1M
 * principals and 5M edges (groups nested 10 deep, with cycles; write rights and
 * delegation that lead most of the domain to tier 0), loaded once, then the graph
 * built and searched RUNS times. Prints medians. Usage:
 *   bench-graph [PRINCIPALS [RUNS]]     (defaults 1000000 5)
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kdeleg/analyze.h"
#include "kdeleg/graph.h"
#include "kdeleg/kdc.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/token.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define LEVELS 10

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
put(struct kd_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct kd_strbuf *sb, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || kd_strbuf_append(sb, line, (size_t)n) < 0) {
		fprintf(stderr, "bench-graph: out of memory\n");
		exit(1);
	}
}

/* The group index of level @level, number @k (groups are spread evenly over levels). */
static uint32_t
group_at(uint32_t ngroups, uint32_t level, uint32_t k)
{
	uint32_t per = ngroups / LEVELS;

	return level * per + k % per;
}

static char *
make_ldif(uint32_t total, size_t *ret_memberships)
{
	uint32_t ngroups = total / 20, ncomputers = total * 15 / 100;
	uint32_t nusers = total - ngroups - ncomputers, per = ngroups / LEVELS;
	struct kd_strbuf sb;
	size_t memberships = 0;
	char *rbcd_line, *out;
	struct tu_buf sd = {0};
	struct tu_ace dc_aces[100];
	char sids[100][48];

	kd_strbuf_init(&sb, (size_t)4 << 30);
	put(&sb, "%s", DOMAIN_AT("msDS-Behavior-Version: 7\nms-DS-MachineAccountQuota: 10\n"));
	put(&sb, "%s", GROUP("Domain Admins", DOMSID "-512") END);
	put(&sb, "%s", GROUP("Domain Users", DOMSID "-513") END);
	put(&sb, "%s", GROUP("Domain Computers", DOMSID "-515") END);
	put(&sb, "%s", GROUP("Domain Controllers", DOMSID "-516") END);
	put(&sb, "%s", USER("adm", "500", U_NORMAL) MEMBER_OF("Domain Admins") END);
	put(&sb, "%s", USER("krbtgt", "502", "514") END);
	/* the DC's RBCD trusts 100 servers */
	for (size_t k = 0; k < 100; k++) {
		snprintf(sids[k], sizeof(sids[k]), DOMSID "-%u", 200000000u + rnd(ncomputers));
		dc_aces[k] = (struct tu_ace){.type = 0x00, .mask = 0x100, .sid = sids[k]};
	}
	tu_sd_build(&sd, "S-1-5-32-544", true, dc_aces, 100);
	{
		char *b64 = tu_base64(sd.data, sd.len);

		rbcd_line = tu_xprintf("msDS-AllowedToActOnBehalfOfOtherIdentity:: %s\n", b64);
		free(b64);
	}
	tu_buf_free(&sd);
	put(&sb, "%s", COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"
			       SPN("ldap/dc01.corp.example") SPN("HOST/dc01.corp.example"));
	kd_strbuf_puts(&sb, rbcd_line);
	kd_strbuf_puts(&sb, "\n");
	free(rbcd_line);
	/* groups, level 0 the widest; each nested in two of the level above, and 1% of
	 * the top ones in a bottom one: cycles */
	for (uint32_t g = 0; g < ngroups; g++) {
		uint32_t level = g / per;

		put(&sb, "dn: CN=g%u," USERS "\nobjectClass: group\nsAMAccountName: g%u\n"
			 "objectSid: " DOMSID "-%u\n",
		    g, g, 100000000u + g);
		if (level > 0 && level < LEVELS)
			for (int k = 0; k < 2; k++, memberships++)
				put(&sb, "memberOf: CN=g%u," USERS "\n",
				    group_at(ngroups, level - 1, rnd(per)));
		if (level == 0 && rnd(100) == 0) {
			put(&sb, "memberOf: CN=g%u," USERS "\n",
			    group_at(ngroups, LEVELS - 1, rnd(per)));
			memberships++;
		}
		put(&sb, "\n");
	}
	/* computers: 2% unconstrained servers, half of them with GenericWrite granted to a
	 * group: the group's members reach the domain through them */
	for (uint32_t c = 0; c < ncomputers; c++) {
		uint32_t role = rnd(100);

		put(&sb, "dn: CN=c%u," USERS "\nobjectClass: computer\nsAMAccountName: c%u$\n"
			 "objectSid: " DOMSID "-%u\nuserAccountControl: %s\nprimaryGroupID: 515\n"
			 "servicePrincipalName: HOST/c%u.corp.example\n",
		    c, c, 200000000u + c, role <= 1 ? "528384" : "4096", c);
		if (role == 1) {
			struct tu_ace ace = {.type = 0x00, .mask = 0x40000000u};
			char who[48];
			char *b64;

			snprintf(who, sizeof(who), DOMSID "-%u",
				 100000000u + group_at(ngroups, rnd(LEVELS), rnd(per)));
			ace.sid = who;
			tu_sd_build(&sd, DOMSID "-512", true, &ace, 1);
			b64 = tu_base64(sd.data, sd.len);
			put(&sb, "nTSecurityDescriptor:: %s\n", b64);
			free(b64);
			tu_buf_free(&sd);
		}
		for (int k = 0; k < 2; k++, memberships++)
			put(&sb, "memberOf: CN=g%u," USERS "\n", rnd(ngroups));
		memberships++; /* the primary group */
		put(&sb, "\n");
	}
	/* users: five groups each, at any level */
	for (uint32_t u = 0; u < nusers; u++) {
		put(&sb, "dn: CN=u%u," USERS "\nobjectClass: user\nsAMAccountName: u%u\n"
			 "objectSid: " DOMSID "-%u\nuserAccountControl: 512\nprimaryGroupID: 513\n",
		    u, u, 300000000u + u);
		for (int k = 0; k < 5; k++, memberships++)
			put(&sb, "memberOf: CN=g%u," USERS "\n", rnd(ngroups));
		memberships++;
		put(&sb, "\n");
	}
	*ret_memberships = memberships;
	out = strdup(kd_strbuf_str(&sb));
	kd_strbuf_free(&sb);
	return out;
}

int
main(int argc, char **argv)
{
	uint32_t total = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	double t_build[32], t_reach[32], t_audit[32], t0;
	size_t memberships, reached = 0, nodes = 0, edges = 0, findings = 0;
	struct kd_directory *dir = NULL;
	struct kd_error err;
	struct rusage ru;
	char *text;

	if (total < 1000 || runs < 1 || runs > 32) {
		fprintf(stderr, "usage: bench-graph [PRINCIPALS>=1000 [RUNS 1..32]]\n");
		return 2;
	}
	t0 = now();
	text = make_ldif(total, &memberships);
	fprintf(stderr, "generated %.1f MB of LDIF in %.2f s\n", (double)strlen(text) / 1e6,
		now() - t0);
	t0 = now();
	if (tu_load_directory(text, &dir, &err) < 0) {
		fprintf(stderr, "bench-graph: %s\n", err.message);
		return 1;
	}
	free(text);
	printf("principals %zu, membership values %zu; snapshot loaded in %.2f s\n",
	       kd_directory_count(dir), memberships, now() - t0);
	for (int run = 0; run < runs; run++) {
		struct kd_tokens *tokens = NULL;
		struct kd_kdc *kdc = NULL;
		struct kd_graph *g = NULL;
		struct kd_reach *r = NULL;
		struct kd_findings f;
		size_t norder;

		kd_error_clear(&err);
		t0 = now();
		if (kd_tokens_new(dir, &tokens, &err) < 0 || kd_kdc_new(dir, tokens, &kdc, &err) < 0 ||
		    kd_graph_new(kdc, dir, &g, &err) < 0)
			goto fail;
		t_build[run] = now() - t0;
		t0 = now();
		if (kd_graph_reach(g, NULL, 0, 0, &r, &err) < 0)
			goto fail;
		t_reach[run] = now() - t0;
		kd_reach_order(r, &norder);
		reached = norder;
		nodes = kd_graph_node_count(g);
		edges = kd_graph_edge_count(g);
		kd_reach_free(r);
		kd_graph_free(g);
		kd_kdc_free(kdc);
		kd_tokens_free(tokens);
		/* the whole audit, every rule, delegation-chain findings included */
		t0 = now();
		if (kd_analyze(dir, &f, &err) < 0)
			goto fail;
		t_audit[run] = now() - t0;
		findings = 0;
		for (size_t k = 0; k < f.count; k++)
			findings += strcmp(f.items[k].rule->id, "delegation-chain") == 0;
		kd_findings_free(&f);
		continue;
fail:
		fprintf(stderr, "bench-graph: %s\n", err.message);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("graph: %zu nodes, %zu edges; %zu nodes reach tier 0 or are in it\n", nodes, edges,
	       reached);
	printf("median of %d runs: graph build %.3f s, shortest chains (BFS) %.3f s, "
	       "build + BFS %.3f s; whole audit %.3f s (%zu delegation-chain findings); "
	       "peak RSS %.0f MB\n",
	       runs, median(t_build, (size_t)runs), median(t_reach, (size_t)runs),
	       median(t_build, (size_t)runs) + median(t_reach, (size_t)runs),
	       median(t_audit, (size_t)runs), findings, (double)ru.ru_maxrss / 1024.0);
	kd_directory_free(dir);
	return 0;
}
