/* SPDX-License-Identifier: MIT */
/* The text report: grouped by severity, aligned, every directory string escaped. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define OUT_MAX ((size_t)64 << 20)
#define PLURAL(n) ((n) == 1 ? "" : "s") /* "1 user", "2 users" */
#define LIST_SHOWN 8

struct text {
	struct kd_strbuf sb;
	bool color;
	int status;
};

/* Trusted text (our own words). */
static void
lit(struct text *t, const char *s)
{
	if (t->status == 0)
		t->status = kd_strbuf_puts(&t->sb, s);
}

/* Directory text: escaped so it can never drive the terminal. */
static void
esc(struct text *t, const char *s)
{
	if (t->status == 0 && s)
		t->status = kd_strbuf_append_safe(&t->sb, s, strlen(s));
}

static void
style(struct text *t, const char *code)
{
	if (t->color)
		lit(t, code);
}

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *const severity_colors[KD_SEV_COUNT] = {"\033[36m", "\033[34m", "\033[33m",
							   "\033[31m", "\033[1;31m"};

static const char *
upper_severity(enum kd_severity s)
{
	static const char *const names[KD_SEV_COUNT] = {"INFO", "LOW", "MEDIUM", "HIGH",
							"CRITICAL"};

	return names[s];
}

static void
jesc(struct text *t, json_t *value)
{
	esc(t, json_string_value(value));
}

/* "NAME (kind, tier 0)" for an account object of the details. */
static void
account_line(struct text *t, json_t *acct)
{
	const char *name = json_string_value(json_object_get(acct, "name"));
	const char *sid = json_string_value(json_object_get(acct, "sid"));
	const char *kind = json_string_value(json_object_get(acct, "kind"));

	esc(t, name ? name : sid ? sid : "?");
	if (kind) {
		lit(t, " (");
		lit(t, kind);
		if (json_is_true(json_object_get(acct, "tier0")))
			lit(t, ", tier 0");
		if (json_is_false(json_object_get(acct, "enabled")))
			lit(t, ", disabled");
		lit(t, ")");
	} else if (name && sid) {
		lit(t, " (");
		esc(t, sid);
		lit(t, ")");
	}
}

static void
more_line(struct text *t, size_t shown, size_t total)
{
	char buf[64];

	if (total <= shown)
		return;
	snprintf(buf, sizeof(buf), "      ... and %zu more (see --format json)\n", total - shown);
	lit(t, buf);
}

static void
targets_block(struct text *t, json_t *targets)
{
	size_t n = json_array_size(targets);

	for (size_t i = 0; i < n && i < LIST_SHOWN; i++) {
		json_t *target = json_array_get(targets, i);
		json_t *owners = json_object_get(target, "owners");

		lit(t, "      -> ");
		jesc(t, json_object_get(target, "spn"));
		if (json_array_size(owners) == 0) {
			lit(t, ": registered nowhere\n");
			continue;
		}
		lit(t, json_is_true(json_object_get(target, "via_host_alias")) ? ": via HOST/ on "
										 : ": ");
		for (size_t k = 0; k < json_array_size(owners); k++) {
			if (k)
				lit(t, ", ");
			account_line(t, json_array_get(owners, k));
		}
		lit(t, "\n");
	}
	more_line(t, LIST_SHOWN, n);
}

static void
aces_block(struct text *t, json_t *aces)
{
	size_t n = json_array_size(aces);

	for (size_t i = 0; i < n && i < LIST_SHOWN; i++) {
		json_t *ace = json_array_get(aces, i);
		char buf[96];

		snprintf(buf, sizeof(buf), "      ACE %-2lld %-14s %-22s %s  ",
			 (long long)json_integer_value(json_object_get(ace, "index")),
			 json_string_value(json_object_get(ace, "class")),
			 json_string_value(json_object_get(ace, "type")),
			 json_string_value(json_object_get(ace, "mask")));
		lit(t, buf);
		account_line(t, json_object_get(ace, "trustee"));
		lit(t, "\n");
	}
	more_line(t, LIST_SHOWN, n);
}

/* rbcd-writable: each writer, the right it holds and the ACE that grants it. */
static void
writers_block(struct text *t, json_t *writers)
{
	size_t n = json_array_size(writers);

	for (size_t i = 0; i < n && i < LIST_SHOWN; i++) {
		json_t *w = json_array_get(writers, i);
		json_t *ace = json_object_get(w, "ace");
		char buf[64];

		lit(t, "      <- ");
		account_line(t, w);
		lit(t, ": ");
		lit(t, json_string_value(json_object_get(w, "via")));
		if (json_is_object(ace)) {
			snprintf(buf, sizeof(buf), " (ACE %lld, mask %s)",
				 (long long)json_integer_value(json_object_get(ace, "index")),
				 json_string_value(json_object_get(ace, "mask")));
			lit(t, buf);
		}
		lit(t, "\n");
	}
	more_line(t, LIST_SHOWN, n);
}

static void
accounts_block(struct text *t, const char *label, json_t *list)
{
	size_t n = json_array_size(list);

	if (n == 0)
		return;
	lit(t, "      ");
	lit(t, label);
	for (size_t i = 0; i < n && i < LIST_SHOWN; i++) {
		lit(t, i ? ", " : " ");
		account_line(t, json_array_get(list, i));
	}
	if (n > LIST_SHOWN) {
		char buf[48];

		snprintf(buf, sizeof(buf), ", ... %zu more", n - LIST_SHOWN);
		lit(t, buf);
	}
	lit(t, "\n");
}

/* The evidence worth a line in a terminal, by rule; JSON carries all of it. */
static void
details_block(struct text *t, const struct kd_finding *f)
{
	const char *id = f->rule->id;
	json_t *d = f->details;

	if (strcmp(id, "constrained-delegation") == 0 || strcmp(id, "delegation-to-tier0") == 0) {
		json_t *rbcd = json_object_get(d, "rbcd");

		if (rbcd) {
			accounts_block(t, "trustees:", json_object_get(rbcd, "effective_trustees"));
			accounts_block(t, "broad:", json_object_get(rbcd, "broad_trustees"));
			accounts_block(t, "unresolved:", json_object_get(rbcd, "unresolved_trustees"));
		} else {
			targets_block(t, json_object_get(d, "targets"));
		}
	} else if (strcmp(id, "resource-based-delegation") == 0 ||
		   strcmp(id, "rbcd-broad-trustee") == 0) {
		aces_block(t, json_object_get(d, "aces"));
		accounts_block(t, "conditional:", json_object_get(d, "conditional_trustees"));
	} else if (strcmp(id, "rbcd-writable") == 0) {
		writers_block(t, json_object_get(d, "writers"));
	} else if (strcmp(id, "delegation-chain") == 0) {
		json_t *chains = json_object_get(d, "chains");

		for (size_t i = 0; i < json_array_size(chains) && i < LIST_SHOWN; i++) {
			lit(t, "      ");
			jesc(t, json_object_get(json_array_get(chains, i), "text"));
			lit(t, "\n");
		}
		more_line(t, LIST_SHOWN,
			  (size_t)json_integer_value(json_object_get(d, "start_count")));
	} else if (strcmp(id, "duplicate-spn") == 0) {
		accounts_block(t, "also on:", json_object_get(d, "other_holders"));
	}
}

/* What other rules said about the same setting (kd_findings_fold). */
static void
also_block(struct text *t, json_t *also)
{
	for (size_t i = 0; i < json_array_size(also); i++) {
		json_t *a = json_array_get(also, i);

		lit(t, "      also ");
		jesc(t, json_object_get(a, "rule"));
		lit(t, ": ");
		jesc(t, json_object_get(a, "message"));
		lit(t, "\n");
	}
}

static void
finding_block(struct text *t, const struct kd_directory *dir, const struct kd_finding *f)
{
	const struct kd_principal *p = kd_directory_get(dir, f->principal);
	const struct kd_domain *d = kd_directory_domain(dir);
	char buf[64];

	snprintf(buf, sizeof(buf), "  %-26s ", f->rule->id);
	style(t, BOLD);
	lit(t, buf);
	style(t, RESET);
	if (p) {
		esc(t, p->name);
		lit(t, " (");
		lit(t, kd_kind_name(p->kind));
		if (p->tier0)
			lit(t, ", tier 0");
		if (!p->enabled)
			lit(t, ", disabled");
		lit(t, ")");
	} else {
		lit(t, "domain ");
		esc(t, d->dns_name ? d->dns_name : "?");
	}
	if (f->baseline == KD_MARK_NEW) {
		style(t, BOLD);
		lit(t, "  [new]");
		style(t, RESET);
	}
	lit(t, "\n");
	lit(t, "      ");
	esc(t, f->message);
	lit(t, "\n");
	details_block(t, f);
	also_block(t, json_object_get(f->details, "also"));
	style(t, DIM);
	lit(t, "      dn:  ");
	esc(t, p ? p->dn : d->dn ? d->dn : "?");
	lit(t, "\n      fix: ");
	esc(t, f->remediation);
	lit(t, "\n      id:  ");
	lit(t, f->fingerprint);
	lit(t, "\n");
	style(t, RESET);
}

/* The baseline's findings that are gone, as the baseline recorded them. */
static void
resolved_block(struct text *t, const json_t *resolved)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "\nRESOLVED since the baseline (%zu)\n",
		 json_array_size(resolved));
	lit(t, buf);
	for (size_t i = 0; i < json_array_size(resolved); i++) {
		const json_t *f = json_array_get(resolved, i);
		const char *rule = json_string_value(json_object_get(f, "rule"));
		const char *name =
			json_string_value(json_object_get(json_object_get(f, "account"), "name"));
		const char *message = json_string_value(json_object_get(f, "message"));

		snprintf(buf, sizeof(buf), "  %-26s ", rule ? rule : "?");
		lit(t, "  ");
		esc(t, buf + 2);
		esc(t, name ? name : "?");
		lit(t, "\n      ");
		esc(t, message ? message : "");
		lit(t, "\n");
	}
}

/* By rule, in enum kd_rule_id order: what an attacker gets, and how urgent (lower
 * first). The words land in "fix these first"; the rank orders one severity. */
static const struct {
	unsigned rank;
	const char *exposes;
} exposure[KD_RULE_COUNT] = {
	[KD_RULE_DELEGATION_TO_TIER0] = {1, "tier 0: the domain itself"},
	[KD_RULE_DELEGATION_CHAIN] = {2, "a path from ordinary accounts to tier 0"},
	[KD_RULE_UNCONSTRAINED_DELEGATION] = {3, "the TGT of every user who connects (DCs by coercion)"},
	[KD_RULE_RBCD_BROAD_TRUSTEE] = {4, "a host to any user (via a new computer account)"},
	[KD_RULE_RBCD_WRITABLE] = {5, "a host to whoever can write its RBCD"},
	[KD_RULE_TRUST_TGT_DELEGATION] = {6, "TGTs across a trust"},
	[KD_RULE_PRIVILEGED_DELEGABLE] = {7, "an administrator's identity to delegating services"},
	[KD_RULE_PROTOCOL_TRANSITION] = {8, "any user to its targets, no ticket needed"},
	[KD_RULE_RESOURCE_BASED_DELEGATION] = {9, "a host to the accounts its RBCD names"},
	[KD_RULE_CONSTRAINED_DELEGATION] = {10, "its targets, with a user's ticket"},
	[KD_RULE_MACHINE_ACCOUNT_QUOTA] = {11, "new computer accounts for any user"},
	[KD_RULE_DUPLICATE_SPN] = {12, "tickets issued with another account's key"},
	[KD_RULE_ORPHAN_DELEGATION_TARGET] = {13, "delegated tickets to whoever registers the SPN"},
	[KD_RULE_UNPARSEABLE_ATTRIBUTE] = {14, "settings kdeleg could not check"},
	[KD_RULE_STALE_ADMINCOUNT] = {15, "hygiene: stale protection marks"},
};

static size_t
rule_index(const struct kd_rule *rule)
{
	const struct kd_rule *all;
	size_t n = kd_rules(&all);
	size_t i = (size_t)(rule - all);

	return i < n && i < KD_RULE_COUNT ? i : 0;
}

const char *
kd_report_rule_exposes(const struct kd_rule *rule)
{
	const char *words = exposure[rule_index(rule)].exposes;

	return words ? words : rule->title;
}

static int
cmp_group(const void *x, const void *y)
{
	const struct kd_rule_group *a = x, *b = y;
	unsigned ra = exposure[rule_index(a->rule)].rank, rb = exposure[rule_index(b->rule)].rank;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return 0;
}

size_t
kd_report_rule_groups(const struct kd_findings *findings, struct kd_rule_group *ret)
{
	size_t at[KD_RULE_COUNT][KD_SEV_COUNT], n = 0;

	memset(at, 0xff, sizeof(at));
	for (size_t i = 0; i < findings->count; i++) {
		const struct kd_finding *f = &findings->items[i];
		size_t *slot = &at[rule_index(f->rule)][f->severity];

		if (*slot == SIZE_MAX) {
			*slot = n;
			ret[n++] = (struct kd_rule_group){f->rule, f->severity, 0};
		}
		ret[*slot].count++;
	}
	if (n)
		qsort(ret, n, sizeof(*ret), cmp_group);
	return n;
}

/* "Fix these first": one line a rule and severity, the most urgent first. */
static void
groups_block(struct text *t, const struct kd_findings *findings)
{
	struct kd_rule_group groups[KD_RULE_GROUPS_MAX];
	size_t n = kd_report_rule_groups(findings, groups);
	char buf[128];

	if (!n)
		return;
	style(t, BOLD);
	lit(t, "\nFIX THESE FIRST (by rule)\n");
	style(t, RESET);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "  %-8s %6zu  %-26s ", kd_severity_name(groups[i].severity),
			 groups[i].count, groups[i].rule->id);
		style(t, severity_colors[groups[i].severity]);
		lit(t, buf);
		style(t, RESET);
		lit(t, "exposes ");
		lit(t, kd_report_rule_exposes(groups[i].rule));
		lit(t, "\n");
	}
}

/* Accepted risks: out of the verdict, listed so that nobody forgets them. */
static void
accepted_block(struct text *t, const struct kd_directory *dir, const struct kd_findings *accepted)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "\nACCEPTED (%zu, not counted in the verdict)\n",
		 accepted->count);
	lit(t, buf);
	for (size_t i = 0; i < accepted->count; i++) {
		const struct kd_finding *f = &accepted->items[i];
		const struct kd_principal *p = kd_directory_get(dir, f->principal);

		snprintf(buf, sizeof(buf), "  %-8s %-26s ", kd_severity_name(f->severity),
			 f->rule->id);
		lit(t, buf);
		esc(t, p ? p->name : kd_directory_domain(dir)->dns_name);
		lit(t, "\n      until ");
		lit(t, f->acceptance->expires);
		lit(t, " by ");
		esc(t, f->acceptance->by);
		lit(t, ": ");
		esc(t, f->acceptance->reason);
		snprintf(buf, sizeof(buf), " (line %zu)\n      id:  ", f->acceptance->line);
		lit(t, buf);
		lit(t, f->fingerprint);
		lit(t, "\n");
	}
}

static void
header_block(struct text *t, const struct kd_directory *dir, const struct kd_findings *findings,
	     const struct kd_report_meta *meta)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	const char *plan = kd_directory_coverage(dir)->plan;
	struct kd_directory_counts c;
	char sid[KD_SID_STRING_MAX], buf[256];

	kd_directory_counts(dir, &c);
	style(t, BOLD);
	lit(t, "kdeleg " KD_VERSION " - Kerberos delegation audit of ");
	esc(t, d->dns_name ? d->dns_name : "(unknown domain)");
	style(t, RESET);
	lit(t, "\n");
	lit(t, "domain:   ");
	esc(t, d->dn ? d->dn : "(no domain object in the snapshot)");
	if (d->has_sid) {
		lit(t, "  ");
		lit(t, kd_sid_to_string(&d->sid, sid, sizeof(sid)));
	}
	lit(t, "\nsource:   ");
	lit(t, meta->source_kind);
	lit(t, " ");
	esc(t, meta->source);
	snprintf(buf, sizeof(buf),
		 "\naccounts: %zu user%s, %zu computer%s, %zu domain controller%s, %zu service "
		 "account%s, %zu group%s (%zu entr%s read)\n",
		 c.users, PLURAL(c.users), c.computers, PLURAL(c.computers), c.dcs, PLURAL(c.dcs),
		 c.service_accounts, PLURAL(c.service_accounts), c.groups, PLURAL(c.groups),
		 c.entries, c.entries == 1 ? "y" : "ies");
	lit(t, buf);
	if (plan && strcmp(plan, "targeted") == 0)
		lit(t, "plan:     targeted (the accounts a finding can need, not every account; "
		       "--full reads them all)\n");
	{
		const char *gaps[KD_GAPS_MAX];
		size_t ngaps = kd_analyze_gaps(dir, gaps, KD_GAPS_MAX);

		for (size_t k = 0; k < ngaps; k++) {
			lit(t, k ? "          " : "not read: ");
			lit(t, gaps[k]);
			lit(t, "\n");
		}
	}
	lit(t, "findings: ");
	if (findings->count == 0)
		lit(t, "none");
	for (int s = KD_SEV_CRITICAL, first = 1; s >= KD_SEV_INFO; s--) {
		if (!findings->by_severity[s])
			continue;
		snprintf(buf, sizeof(buf), "%s%zu %s", first ? "" : ", ", findings->by_severity[s],
			 kd_severity_name((enum kd_severity)s));
		lit(t, buf);
		first = 0;
	}
	if (meta->min_severity) {
		snprintf(buf, sizeof(buf), " (%zu below %s not shown)", meta->hidden,
			 meta->min_severity);
		lit(t, buf);
	}
	/* --rule: without this, "findings: 1 low" would read as the whole domain's */
	for (size_t i = 0, n = 0; meta->rules && i < KD_RULE_COUNT; i++) {
		if (!meta->rules[i])
			continue;
		lit(t, n++ ? ", " : " (only the rules chosen with --rule: ");
		lit(t, kd_rule_get((enum kd_rule_id)i)->id);
	}
	if (meta->rules)
		lit(t, ")");
	if (meta->accepted && meta->accepted->count) {
		snprintf(buf, sizeof(buf), "; %zu accepted (listed at the end)",
			 meta->accepted->count);
		lit(t, buf);
	}
	if (meta->baseline) {
		size_t added = 0, unchanged = 0;

		for (size_t i = 0; i < findings->count; i++) {
			added += findings->items[i].baseline == KD_MARK_NEW;
			unchanged += findings->items[i].baseline == KD_MARK_UNCHANGED;
		}
		snprintf(buf, sizeof(buf), "\nbaseline: %zu new, %zu unchanged, %zu resolved since ",
			 added, unchanged, json_array_size(meta->resolved));
		lit(t, buf);
		esc(t, meta->baseline);
	}
	lit(t, "\n");
}

int
kd_report_text(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
	       const struct kd_report_meta *meta, struct kd_error *err)
{
	struct text t = {.color = meta->color};
	int current = -1;

	kd_strbuf_init(&t.sb, OUT_MAX);
	header_block(&t, dir, findings, meta);
	groups_block(&t, findings);
	for (size_t i = 0; i < findings->count && t.status == 0; i++) {
		const struct kd_finding *f = &findings->items[i];
		char buf[64];

		if ((int)f->severity != current) {
			current = (int)f->severity;
			snprintf(buf, sizeof(buf), "\n%s (%zu)\n", upper_severity(f->severity),
				 findings->by_severity[f->severity]);
			style(&t, severity_colors[f->severity]);
			lit(&t, buf);
			style(&t, RESET);
		}
		finding_block(&t, dir, f);
		/* Flush per finding: a million-account report must not sit in memory. */
		if (t.status == 0 && t.sb.len > 1 << 20) {
			if (fwrite(t.sb.data, 1, t.sb.len, out) != t.sb.len)
				goto io;
			kd_strbuf_reset(&t.sb);
		}
	}
	if (meta->accepted && meta->accepted->count)
		accepted_block(&t, dir, meta->accepted);
	if (meta->resolved && json_array_size(meta->resolved))
		resolved_block(&t, meta->resolved);
	if (t.status < 0) {
		kd_strbuf_free(&t.sb);
		return kd_error_set(err, t.status, "out of memory while writing the report");
	}
	errno = 0;
	if ((t.sb.len && fwrite(t.sb.data, 1, t.sb.len, out) != t.sb.len) || fflush(out) != 0 ||
	    ferror(out))
		goto io;
	kd_strbuf_free(&t.sb);
	return 0;
io:
	kd_strbuf_free(&t.sb);
	return kd_error_set(err, KD_ERR_IO, "writing the report failed: %s",
			    errno ? strerror(errno) : "write error");
}
