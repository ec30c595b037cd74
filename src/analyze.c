/* SPDX-License-Identifier: MIT */
/* The audit: every rule of the catalogue over a finished directory. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/sha256.h"
#include "kdeleg/strbuf.h"

/* ---- small builders ---- */


json_t *
kd_json_text(const char *text)
{
	struct kd_strbuf escaped;
	json_t *out = NULL;
	size_t len;

	if (!text)
		return json_null();
	len = strlen(text);
	if (kd_utf8_valid(text, len)) /* checked: jansson need not check again */
		return json_stringn_nocheck(text, len);
	/* jansson refuses invalid UTF-8; keep the value visible, escaped, whole. */
	kd_strbuf_init(&escaped, 4 * strlen(text) + 1);
	if (kd_strbuf_append_safe(&escaped, text, strlen(text)) == 0)
		out = json_string(kd_strbuf_str(&escaped));
	kd_strbuf_free(&escaped);
	return out;
}

/* Built by hand, not with json_pack(): a report names accounts a hundred thousand
 * times, and the keys are ours, so they skip jansson's UTF-8 check. */
static json_t *
account_object(json_t *name, json_t *dn, json_t *sid, const char *kind, bool enabled,
	       bool tier0)
{
	json_t *o = json_object(), *kind_text = json_string_nocheck(kind);
	int r = 0;

	if (!o || !name || !dn || !sid || !kind_text) {
		json_decref(o);
		json_decref(name);
		json_decref(dn);
		json_decref(sid);
		json_decref(kind_text);
		return NULL;
	}
	/* each call takes its value, even when it fails */
	r |= json_object_set_new_nocheck(o, "name", name);
	r |= json_object_set_new_nocheck(o, "dn", dn);
	r |= json_object_set_new_nocheck(o, "sid", sid);
	r |= json_object_set_new_nocheck(o, "kind", kind_text);
	r |= json_object_set_new_nocheck(o, "enabled", json_boolean(enabled));
	r |= json_object_set_new_nocheck(o, "tier0", json_boolean(tier0));
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
kd_json_account(const struct kd_directory *dir, uint32_t index)
{
	const struct kd_principal *p = kd_directory_get(dir, index);
	const struct kd_domain *d = kd_directory_domain(dir);
	char sid[KD_SID_STRING_MAX];
	struct kd_sid own;

	if (!p) /* a finding about the domain object itself */
		return account_object(kd_json_text(d->dns_name), kd_json_text(d->dn),
				      d->has_sid ? json_string_nocheck(kd_sid_to_string(
							   &d->sid, sid, sizeof(sid)))
						 : json_null(),
				      "domain", true, true);
	own = kd_principal_sid(p);
	return account_object(kd_json_text(p->name), kd_json_text(p->dn),
			      p->has_sid ? json_string_nocheck(
						   kd_sid_to_string(&own, sid, sizeof(sid)))
					 : json_null(),
			      kd_kind_name(p->kind), p->enabled, p->tier0);
}

/* Names a SID: an account of the snapshot, a well-known principal, or unresolved. */
json_t *
audit_sid_ref(const struct kd_directory *dir, const struct kd_sid *sid, uint32_t *ret_index)
{
	char text[KD_SID_STRING_MAX];
	uint32_t index = kd_directory_find_sid(dir, sid);
	const struct kd_domain *domain = kd_directory_domain(dir);
	const char *name = kd_sid_wellknown_name(sid);
	json_t *ref;

	if (ret_index)
		*ret_index = index;
	kd_sid_to_string(sid, text, sizeof(text));
	if (index != KD_NONE) {
		ref = kd_json_account(dir, index);
		json_object_set_new(ref, "resolved", json_string("account"));
		return ref;
	}
	if (!name && domain->has_sid && kd_sid_in_domain(sid, &domain->sid))
		name = kd_sid_domain_rid_name(kd_sid_rid(sid));
	if (name)
		return json_pack("{s:s, s:s, s:s}", "sid", text, "name", name, "resolved",
				 "well-known");
	return json_pack("{s:s, s:n, s:s}", "sid", text, "name", "resolved", "unresolved");
}

void
audit_set(json_t *obj, const char *key, json_t *value, struct audit *a)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		a->failed = true;
}

void
audit_append(json_t *array, json_t *value, struct audit *a)
{
	if (!value || json_array_append_new(array, value) < 0)
		a->failed = true;
}

/*
 * The fingerprint: SHA-256 over the rule, the domain SID, the account (its SID, else
 * its DN folded to lower case) and @extra (what else tells two findings of one rule
 * on one account apart, already canonical). Nothing that changes between runs or
 * between a live read and a snapshot goes in; a cryptographic hash so that names an
 * attacker chooses cannot make a new finding pass for a known one in a baseline.
 */
static void
fingerprint(const struct audit *a, const char *rule_id, uint32_t principal, const char *extra,
	    char out[KD_FINGERPRINT_SIZE])
{
	const struct kd_principal *p = kd_directory_get(a->dir, principal);
	char sid[KD_SID_STRING_MAX];
	uint8_t digest[KD_SHA256_SIZE];
	struct kd_sha256 ctx;

	kd_sha256_init(&ctx);
	kd_sha256_update(&ctx, rule_id, strlen(rule_id) + 1);
	if (a->domain->has_sid)
		kd_sid_to_string(&a->domain->sid, sid, sizeof(sid));
	else
		sid[0] = '\0';
	kd_sha256_update(&ctx, sid, strlen(sid) + 1);
	if (p && p->has_sid) {
		struct kd_sid own = kd_principal_sid(p);

		kd_sid_to_string(&own, sid, sizeof(sid));
		kd_sha256_update(&ctx, sid, strlen(sid) + 1);
	} else {
		const char *dn = p ? p->dn : a->domain->dn ? a->domain->dn : "";

		for (const char *c = dn; *c; c++) {
			char lower = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);

			kd_sha256_update(&ctx, &lower, 1);
		}
		kd_sha256_update(&ctx, "", 1);
	}
	kd_sha256_update(&ctx, extra, strlen(extra));
	kd_sha256_final(&ctx, digest);
	kd_hex_lower(out, digest, (KD_FINGERPRINT_SIZE - 1) / 2);
}

/* @text folded to ASCII lower case into @buf (for canonical fingerprint parts). */
const char *
audit_lower(const char *text, char *buf, size_t size)
{
	size_t i = 0;

	for (; text[i] && i + 1 < size; i++)
		buf[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
	buf[i] = '\0';
	return buf;
}

/*
 * Adds a finding; takes ownership of @details, @message and @remediation (any of
 * which may be NULL after a failed allocation: the audit then fails as a whole).
 * @identity is the fingerprint's rule-specific part ("" when the account suffices).
 */
void
audit_emit(struct audit *a, enum kd_rule_id rule, enum kd_severity severity, uint32_t principal,
     const char *identity, json_t *details, char *message, char *remediation)
{
	struct kd_finding *f;

	if (!details || !message || !remediation || a->failed)
		goto fail;
	if (a->out->count == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct kd_finding *items = realloc(a->out->items, cap * sizeof(*items));

		if (!items)
			goto fail;
		a->out->items = items;
		a->cap = cap;
	}
	f = &a->out->items[a->out->count++];
	f->rule = kd_rule_get(rule);
	f->severity = severity;
	f->principal = principal;
	f->details = details;
	f->message = message;
	f->remediation = remediation;
	f->baseline = KD_MARK_NONE;
	f->acceptance = NULL;
	fingerprint(a, f->rule->id, principal, identity, f->fingerprint);
	a->out->by_severity[severity]++;
	return;
fail:
	a->failed = true;
	json_decref(details);
	free(message);
	free(remediation);
}


const char *
audit_kind_word(const struct kd_principal *p)
{
	switch (p->kind) {
	case KD_KIND_COMPUTER:
		return "computer";
	case KD_KIND_DC:
		return "domain controller";
	case KD_KIND_RODC:
		return "read-only domain controller";
	case KD_KIND_MSA:
		return "managed service account";
	case KD_KIND_GMSA:
		return "group managed service account";
	case KD_KIND_TRUST:
		return "trust account";
	case KD_KIND_KRBTGT:
		return "krbtgt account";
	case KD_KIND_GROUP:
		return "group";
	default:
		return "user";
	}
}

/* ---- ordering and the entry point ---- */

static const struct kd_directory *sort_dir;

static size_t
rule_rank(const struct kd_rule *rule)
{
	const struct kd_rule *all;

	kd_rules(&all);
	return (size_t)(rule - all);
}

static int
cmp_finding(const void *x, const void *y)
{
	const struct kd_finding *a = x, *b = y;
	const struct kd_principal *pa = kd_directory_get(sort_dir, a->principal);
	const struct kd_principal *pb = kd_directory_get(sort_dir, b->principal);
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->rule != b->rule)
		return rule_rank(a->rule) < rule_rank(b->rule) ? -1 : 1;
	c = strcasecmp(pa ? pa->name : "", pb ? pb->name : "");
	if (c)
		return c;
	c = strcmp(pa ? pa->dn : "", pb ? pb->dn : "");
	if (c)
		return c;
	return strcmp(a->message, b->message);
}

/* ---- one finding per configuration ---- */

/*
 * Which delegation setting of which account a finding is about. Several rules look at
 * one setting from different sides (an RBCD descriptor granting Authenticated Users on
 * a DC is resource-based-delegation, rbcd-broad-trustee and delegation-to-tier0; a
 * one-hop chain is the setting itself): people fixing 2,850 findings need each setting
 * once, under the rule that says most, with the others' facts in its details.
 */
enum config { CFG_NONE, CFG_RBCD, CFG_CONSTRAINED, CFG_UNCONSTRAINED, CFG_WRITE, CFG_COUNT };

static enum config
hop_config(const char *hop)
{
	if (!hop)
		return CFG_NONE;
	if (strcmp(hop, "resource-based-delegation") == 0)
		return CFG_RBCD;
	if (strcmp(hop, "constrained-delegation") == 0)
		return CFG_CONSTRAINED;
	if (strcmp(hop, "unconstrained-delegation") == 0)
		return CFG_UNCONSTRAINED;
	if (strcmp(hop, "write-rbcd") == 0)
		return CFG_WRITE;
	return CFG_NONE;
}

static enum config
config_of(const struct kd_finding *f)
{
	const json_t *d = f->details;

	switch ((enum kd_rule_id)rule_rank(f->rule)) {
	case KD_RULE_RESOURCE_BASED_DELEGATION:
	case KD_RULE_RBCD_BROAD_TRUSTEE:
		return CFG_RBCD;
	case KD_RULE_CONSTRAINED_DELEGATION:
	case KD_RULE_PROTOCOL_TRANSITION:
		return CFG_CONSTRAINED;
	case KD_RULE_UNCONSTRAINED_DELEGATION:
		return CFG_UNCONSTRAINED;
	case KD_RULE_RBCD_WRITABLE:
		return CFG_WRITE;
	case KD_RULE_DELEGATION_TO_TIER0: {
		const char *how = json_string_value(json_object_get(d, "delegation"));

		return how && strcmp(how, "constrained") == 0 ? CFG_CONSTRAINED : CFG_RBCD;
	}
	case KD_RULE_DELEGATION_CHAIN:
		/* only a chain of one hop is the setting itself, and only when every
		 * start is listed (a cut list cannot show each start has its finding) */
		if (json_integer_value(json_object_get(d, "max_hops")) != 1 ||
		    json_integer_value(json_object_get(d, "start_count")) !=
			    json_integer_value(json_object_get(d, "chains_listed")))
			return CFG_NONE;
		return hop_config(json_string_value(json_object_get(d, "hop")));
	default:
		return CFG_NONE;
	}
}

/* Which of two findings on one setting to keep: the more severe, then the rule that
 * says more (tier 0 over anyone-can over the mechanism alone). */
static unsigned
preference(const struct kd_finding *f)
{
	static const enum kd_rule_id order[] = {
		KD_RULE_DELEGATION_TO_TIER0, KD_RULE_RBCD_BROAD_TRUSTEE,
		KD_RULE_PROTOCOL_TRANSITION, KD_RULE_UNCONSTRAINED_DELEGATION,
		KD_RULE_RESOURCE_BASED_DELEGATION, KD_RULE_CONSTRAINED_DELEGATION,
	};
	size_t n = sizeof(order) / sizeof(order[0]);

	for (size_t k = 0; k < n; k++)
		if (rule_rank(f->rule) == (size_t)order[k])
			return (unsigned)(f->severity * 16 + (n - k));
	return (unsigned)f->severity * 16;
}

/* The accounts whose setting finding @f restates: its own, or a one-hop chain's
 * starts (RBCD and who may write it are settings of the chain's target). KD_NONE
 * when unknown. */
static uint32_t
config_owner(const struct kd_directory *dir, const struct kd_finding *f, enum config c,
	     size_t k)
{
	const json_t *start;
	const char *text;
	struct kd_sid sid;
	struct kd_error ignored;

	if (rule_rank(f->rule) != KD_RULE_DELEGATION_CHAIN || c == CFG_RBCD || c == CFG_WRITE)
		return k == 0 ? f->principal : KD_NONE;
	start = json_array_get(json_object_get(json_array_get(json_object_get(f->details,
						 "chains"), k), "path"), 0);
	text = json_string_value(json_object_get(start, "sid"));
	if (!text || kd_sid_from_string(text, &sid, &ignored) < 0)
		return KD_NONE;
	return kd_directory_find_sid(dir, &sid);
}

/* The facts of @f as another finding's details carry them under "also". */
static json_t *
also_entry(const struct kd_directory *dir, const struct kd_finding *f)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:O}", "rule", f->rule->id, "severity",
			 kd_severity_name(f->severity), "fingerprint", f->fingerprint, "account",
			 kd_json_account(dir, f->principal), "message", kd_json_text(f->message),
			 "details", f->details);
}

/* Adds @entry to @f's details "also" list; the details may be shared (RBCD's are
 * inside delegation-to-tier0's), so @f gets its own shallow copy first. */
static int
add_also(struct kd_finding *f, json_t *entry)
{
	json_t *also = json_object_get(f->details, "also");

	if (!entry)
		return -1;
	if (!also) {
		json_t *copy = json_copy(f->details);

		also = json_array();
		if (!copy || !also || json_object_set_new(copy, "also", also) < 0) {
			json_decref(copy);
			json_decref(also);
			json_decref(entry);
			return -1;
		}
		json_decref(f->details);
		f->details = copy;
	}
	return json_array_append_new(also, entry);
}

static void
drop_finding(struct kd_findings *out, struct kd_finding *f)
{
	out->by_severity[f->severity]--;
	json_decref(f->details);
	free(f->message);
	free(f->remediation);
	f->details = NULL;
	f->message = NULL;
	f->remediation = NULL;
	f->rule = NULL; /* marks it for compaction */
}

int
kd_findings_fold(const struct kd_directory *dir, struct kd_findings *out, struct kd_error *err)
{
	size_t count = kd_directory_count(dir);
	uint32_t *keep[CFG_COUNT] = {NULL};
	size_t kept = 0;
	int r = 0;

	for (int c = CFG_RBCD; c < CFG_COUNT; c++) {
		keep[c] = malloc((count ? count : 1) * sizeof(uint32_t));
		if (!keep[c])
			goto fail;
		for (size_t i = 0; i < count; i++)
			keep[c][i] = KD_NONE;
	}
	/* the keeper of each setting: the preferred finding that is not a chain */
	for (size_t i = 0; i < out->count; i++) {
		struct kd_finding *f = &out->items[i];
		enum config c = config_of(f);
		uint32_t *slot;

		if (c == CFG_NONE || rule_rank(f->rule) == KD_RULE_DELEGATION_CHAIN ||
		    f->principal >= count)
			continue;
		slot = &keep[c][f->principal];
		if (*slot == KD_NONE || preference(f) > preference(&out->items[*slot]))
			*slot = (uint32_t)i;
	}
	/* every other finding whose owners all have a keeper folds into them */
	for (size_t i = 0; i < out->count; i++) {
		struct kd_finding *f = &out->items[i];
		enum config c = config_of(f);
		size_t n = rule_rank(f->rule) == KD_RULE_DELEGATION_CHAIN && c != CFG_RBCD &&
					   c != CFG_WRITE
				   ? json_array_size(json_object_get(f->details, "chains"))
				   : 1;
		bool covered = c != CFG_NONE && n > 0;

		for (size_t k = 0; covered && k < n; k++) {
			uint32_t owner = config_owner(dir, f, c, k);

			covered = owner < count && keep[c][owner] != KD_NONE &&
				  keep[c][owner] != i;
		}
		if (!covered)
			continue;
		for (size_t k = 0; k < n; k++)
			if (add_also(&out->items[keep[c][config_owner(dir, f, c, k)]],
				     also_entry(dir, f)) < 0)
				goto fail;
		drop_finding(out, f);
	}
	for (size_t i = 0; i < out->count; i++)
		if (out->items[i].rule)
			out->items[kept++] = out->items[i];
	out->count = kept;
	goto out;
fail:
	/* the dropped ones are freed already: close the gaps, then free the rest */
	for (size_t i = 0; i < out->count; i++)
		if (out->items[i].rule)
			out->items[kept++] = out->items[i];
	out->count = kept;
	kd_findings_free(out);
	r = kd_error_set(err, KD_ERR_NOMEM, "out of memory while folding findings");
out:
	for (int c = 0; c < CFG_COUNT; c++)
		free(keep[c]);
	return r;
}

int
kd_analyze(const struct kd_directory *dir, struct kd_findings *ret, struct kd_error *err)
{
	struct audit a = {.dir = dir, .domain = kd_directory_domain(dir), .out = ret};
	size_t count = kd_directory_count(dir);

	memset(ret, 0, sizeof(*ret));
	a.verdict = calloc(count ? count : 1, 1);
	a.failed = !a.verdict || kd_tokens_new(dir, &a.tokens, err) < 0 ||
		   kd_kdc_new(dir, a.tokens, &a.kdc, err) < 0;
	for (uint32_t i = 0; i < count && !a.failed; i++)
		audit_rule_rbcd(&a, i, kd_directory_get(dir, i));
	for (uint32_t i = 0; i < count && !a.failed; i++) {
		const struct kd_principal *p = kd_directory_get(dir, i);

		audit_rule_unconstrained(&a, i, p);
		audit_rule_constrained(&a, i, p);
		audit_rule_protocol_transition(&a, i, p);
		audit_rule_privileged_delegable(&a, i, p);
		audit_rule_rbcd_writable(&a, i, p);
		audit_rule_stale_admincount(&a, i, p);
	}
	if (!a.failed)
		audit_rule_machine_account_quota(&a);
	if (!a.failed)
		audit_rule_trust_tgt_delegation(&a);
	if (!a.failed)
		audit_rule_duplicate_spns(&a);
	if (!a.failed)
		audit_rule_unparseable(&a);
	if (!a.failed)
		audit_rule_delegation_chain(&a);
	audit_writers_free(&a);
	kd_kdc_free(a.kdc);
	kd_tokens_free(a.tokens);
	free(a.verdict);
	free(a.touched);
	free(a.outside);
	if (a.failed) {
		kd_findings_free(ret);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while auditing");
	}
	sort_dir = dir;
	if (ret->count) /* qsort(NULL, 0) is undefined */
		qsort(ret->items, ret->count, sizeof(*ret->items), cmp_finding);
	sort_dir = NULL;
	return 0;
}

size_t
kd_analyze_gaps(const struct kd_directory *dir, const char **ret, size_t max)
{
	const struct kd_coverage *c = kd_directory_coverage(dir);
	const char *gaps[KD_GAPS_MAX];
	size_t n = 0;

	/* rbcd-writable reads the accounts that take service tickets, no other */
	if (c->takers && !c->taker_descriptors)
		gaps[n++] = "owners and DACLs (nTSecurityDescriptor, SD-flags control): "
			    "rbcd-writable was not evaluated";
	else if (c->taker_descriptors < c->takers)
		gaps[n++] = "owners and DACLs of some accounts: rbcd-writable did not evaluate "
			    "those accounts";
	if (!c->domain_descriptor)
		gaps[n++] = "the domain head's DACL: DCSync holders (DS-Replication-Get-Changes-"
			    "All) are not counted in tier 0";
	if (!c->functional_level)
		gaps[n++] = "the domain functional level (msDS-Behavior-Version): whether "
			    "Protected Users blocks delegation is uncertain";
	if (!c->machine_quota)
		gaps[n++] = "ms-DS-MachineAccountQuota: whether any user can create a computer "
			    "account is unknown";
	if (!c->netbios_name)
		gaps[n++] = "the domain's NetBIOS name (crossRef nETBIOSName): krbtgt/NETBIOS is "
			    "not recognised as a delegation target";
	if (!c->trusts)
		gaps[n++] = "trust attributes (trustAttributes, trustDirection): "
			    "trust-tgt-delegation was not evaluated";
	if (!c->spn_mappings)
		gaps[n++] = "sPNMappings: AD's default HOST alias table was assumed";
	for (size_t k = 0; k < n && k < max; k++)
		ret[k] = gaps[k];
	return n < max ? n : max;
}

void
kd_findings_free(struct kd_findings *findings)
{
	if (!findings)
		return;
	for (size_t i = 0; i < findings->count; i++) {
		json_decref(findings->items[i].details);
		free(findings->items[i].message);
		free(findings->items[i].remediation);
	}
	free(findings->items);
	memset(findings, 0, sizeof(*findings));
}

/* Keeps the findings @keep says yes to, in order; frees the others. */
static size_t
filter_findings(struct kd_findings *findings, bool (*keep)(const struct kd_finding *, const void *),
		const void *ctx)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < findings->count; i++) {
		struct kd_finding *f = &findings->items[i];

		if (keep(f, ctx)) {
			findings->items[kept++] = *f;
			continue;
		}
		findings->by_severity[f->severity]--;
		json_decref(f->details);
		free(f->message);
		free(f->remediation);
		dropped++;
	}
	findings->count = kept;
	return dropped;
}

static bool
at_least(const struct kd_finding *f, const void *ctx)
{
	return f->severity >= *(const enum kd_severity *)ctx;
}

size_t
kd_findings_filter(struct kd_findings *findings, enum kd_severity min)
{
	return filter_findings(findings, at_least, &min);
}

static bool
of_rules(const struct kd_finding *f, const void *ctx)
{
	return ((const bool *)ctx)[rule_rank(f->rule)];
}

size_t
kd_findings_keep_rules(struct kd_findings *findings, const bool keep[KD_RULE_COUNT])
{
	return filter_findings(findings, of_rules, keep);
}
