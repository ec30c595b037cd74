/* SPDX-License-Identifier: MIT */
/* The audit: every rule of the catalogue over a finished directory. */
#include "config.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/access.h"
#include "kdeleg/analyze.h"
#include "kdeleg/kdc.h"
#include "kdeleg/sha256.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/token.h"
#include "kdeleg/uac.h"

/* Accounts named in one finding's details before the list is cut (with a count). */
#define LIST_MAX 50
#define HOLDERS_MAX 16
#define TEXT_MAX (1u << 20)

struct audit {
	const struct kd_directory *dir;
	const struct kd_domain *domain;
	struct kd_findings *out;
	size_t cap;
	struct kd_tokens *tokens;
	struct kd_kdc *kdc; /* every delegation decision is its */
	/* RBCD: each candidate's verdict on the current resource, decided once however
	 * many ACEs or groups name it; reset through @touched after each resource. */
	uint8_t *verdict; /* 1 + enum kd_verdict, one per principal; 0 not decided */
	uint32_t *touched;
	size_t ntouched, touched_cap;
	/* per group trustee: 1 + its unresolved members (0: not counted yet) */
	size_t *outside;
	bool failed; /* out of memory somewhere; reported once at the end */
};

/* ---- small builders ---- */

static char *
vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *
vformat(const char *fmt, va_list ap)
{
	va_list copy;
	char *out;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	if ((size_t)n <= TEXT_MAX) {
		out = malloc((size_t)n + 1);
		if (out)
			vsnprintf(out, (size_t)n + 1, fmt, ap);
		return out;
	}
	/* Directory text can make a message huge; cut it, at a character boundary,
	 * rather than fail the audit. */
	out = malloc(TEXT_MAX + 1);
	if (out) {
		size_t end = TEXT_MAX - 3;

		vsnprintf(out, TEXT_MAX + 1, fmt, ap);
		while (end > 0 && ((unsigned char)out[end] & 0xc0) == 0x80)
			end--;
		memcpy(out + end, "...", 4);
	}
	return out;
}

static char *
format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
format(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = vformat(fmt, ap);
	va_end(ap);
	return out;
}

/*
 * A PowerShell single-quoted literal. PowerShell also ends such a literal at the
 * typographic quotes U+2018..U+201B, so those are doubled like the ASCII one:
 * a DN holding one must not close the literal and run the rest as a command.
 */
static char *
ps_quote(const char *text)
{
	size_t len = strlen(text), o = 0;
	char *out;

	if (len > TEXT_MAX) /* a command that names nothing, never a truncated DN */
		return strdup("'<longer than 1 MiB: not quoted>'");
	out = malloc(2 * len + 3); /* every character doubled at worst, quotes, NUL */
	if (!out)
		return NULL;
	out[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		const unsigned char *u = (const unsigned char *)text + i;

		if (text[i] == '\'') {
			out[o++] = '\'';
		} else if (i + 2 < len && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 &&
			   u[2] <= 0x9b) {
			memcpy(out + o, text + i, 3);
			o += 3;
		}
		out[o++] = text[i];
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

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
static json_t *
sid_ref(const struct kd_directory *dir, const struct kd_sid *sid, uint32_t *ret_index)
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

static void
set_new(json_t *obj, const char *key, json_t *value, struct audit *a)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		a->failed = true;
}

static void
append_new(json_t *array, json_t *value, struct audit *a)
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
	static const char hex[] = "0123456789abcdef";
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
	for (size_t i = 0; i < (KD_FINGERPRINT_SIZE - 1) / 2; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[KD_FINGERPRINT_SIZE - 1] = '\0';
}

/* @text folded to ASCII lower case into @buf (for canonical fingerprint parts). */
static const char *
lower_copy(const char *text, char *buf, size_t size)
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
static void
emit(struct audit *a, const char *rule_id, enum kd_severity severity, uint32_t principal,
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
	f->rule = kd_rule_find(rule_id);
	assert(f->rule); /* every id emitted is in the catalogue */
	f->severity = severity;
	f->principal = principal;
	f->details = details;
	f->message = message;
	f->remediation = remediation;
	f->baseline = KD_MARK_NONE;
	fingerprint(a, rule_id, principal, identity, f->fingerprint);
	a->out->by_severity[severity]++;
	return;
fail:
	a->failed = true;
	json_decref(details);
	free(message);
	free(remediation);
}

/* PowerShell cmdlet for an account kind, for remediation commands. */
static const char *
ps_noun(const struct kd_principal *p)
{
	switch (p->kind) {
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

static const char *
kind_word(const struct kd_principal *p)
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

/* ---- what one account's SPNs reach (service-name substitution) ---- */

static json_t *
reach_of(struct audit *a, uint32_t holder, bool via_alias)
{
	const struct kd_principal *p = kd_directory_get(a->dir, holder);
	json_t *services = json_array();
	json_t *ref = kd_json_account(a->dir, holder);
	bool has_host = false;

	for (size_t i = 0; services && i < p->nspns && i < LIST_MAX; i++) {
		append_new(services, kd_json_text(p->spns[i]), a);
		if (strncasecmp(p->spns[i], "host/", 5) == 0)
			has_host = true;
	}
	set_new(ref, "services", services, a);
	set_new(ref, "service_count", json_integer((json_int_t)p->nspns), a);
	set_new(ref, "host_aliases", json_boolean(has_host), a);
	set_new(ref, "via_host_alias", json_boolean(via_alias), a);
	if (p->tier0)
		set_new(ref, "tier0_reason", kd_json_text(p->tier0_reason), a);
	return ref;
}

/* ---- unconstrained-delegation ---- */

static void
rule_unconstrained(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	char flags[512];
	json_t *details, *spns;
	char *quoted;

	/* Writable DCs need it; an RODC never has it by default, so it is reported. */
	if (!p->has_uac || !(p->uac & KD_UAC_TRUSTED_FOR_DELEGATION) || p->kind == KD_KIND_DC)
		return;
	spns = json_array();
	for (size_t k = 0; spns && k < p->nspns && k < LIST_MAX; k++)
		append_new(spns, kd_json_text(p->spns[k]), a);
	details = json_pack("{s:I, s:s, s:o, s:b}", "user_account_control", (json_int_t)p->uac,
			    "user_account_control_flags", kd_uac_describe(p->uac, flags, sizeof(flags)),
			    "service_principal_names", spns ? spns : json_null(), "tier0", p->tier0);
	quoted = ps_quote(p->dn);
	emit(a, "unconstrained-delegation", p->enabled ? KD_SEV_CRITICAL : KD_SEV_MEDIUM, i, "",
	     details,
	     format("%s %s is trusted for unconstrained delegation: it receives the TGT of every "
		    "delegable user who authenticates to it%s%s",
		    p->enabled ? "enabled" : "disabled", kind_word(p),
		    p->nspns ? "" : " (no SPN registered: reachable once one is added)",
		    p->enabled ? "" : "; re-enabling the account restores the exposure"),
	     quoted ? format("Set-ADAccountControl -Identity %s -TrustedForDelegation $false",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- constrained delegation, its targets, tier 0 and orphans ---- */

static void
rule_constrained(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	bool pt = p->has_uac && (p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION);
	json_t *targets = json_array(), *reach = json_array(), *tier0_targets = json_array();
	uint32_t *reached = NULL;
	size_t nreached = 0, ntier0 = 0, norphans = 0;
	char *quoted = ps_quote(p->dn);

	if (p->ndelegate_to == 0) {
		json_decref(targets);
		json_decref(reach);
		json_decref(tier0_targets);
		free(quoted);
		return;
	}
	reached = calloc(p->ndelegate_to * HOLDERS_MAX, sizeof(*reached));
	if (!targets || !reach || !tier0_targets || !reached || !quoted) {
		a->failed = true;
		goto out;
	}
	for (size_t t = 0; t < p->ndelegate_to; t++) {
		const char *spn = p->delegate_to[t];
		uint32_t holders[HOLDERS_MAX];
		bool via_alias;
		size_t n = kd_directory_find_spn(a->dir, spn, holders, HOLDERS_MAX, &via_alias);
		json_t *target, *owners = json_array();
		bool to_tier0 = false;

		for (size_t h = 0; owners && h < n && h < HOLDERS_MAX; h++) {
			const struct kd_principal *o = kd_directory_get(a->dir, holders[h]);
			bool seen = false;

			append_new(owners, kd_json_account(a->dir, holders[h]), a);
			to_tier0 |= o->tier0;
			for (size_t k = 0; k < nreached; k++)
				seen |= reached[k] == holders[h];
			if (!seen) {
				reached[nreached++] = holders[h];
				append_new(reach, reach_of(a, holders[h], via_alias), a);
			}
		}
		target = json_pack("{s:o, s:s, s:o, s:b}", "spn", kd_json_text(spn), "status",
				   n == 0 ? "orphan" : n == 1 ? "resolved" : "ambiguous", "owners",
				   owners ? owners : json_null(), "via_host_alias", via_alias);
		append_new(targets, target, a);
		if (to_tier0) {
			ntier0++;
			append_new(tier0_targets, json_incref(target), a);
		}
		if (n == 0) {
			struct kd_spn parsed;
			bool valid = kd_spn_parse(spn, strlen(spn), &parsed, NULL) == 0;
			char *quoted_spn = ps_quote(spn);
			char spn_lower[KD_SPN_MAX + 1];

			norphans++;
			emit(a, "orphan-delegation-target", KD_SEV_LOW, i,
			     lower_copy(spn, spn_lower, sizeof(spn_lower)),
			     json_pack("{s:o, s:b, s:b}", "spn", kd_json_text(spn), "valid_spn", valid,
				       "protocol_transition", pt),
			     format("delegation target %s is registered on no account%s", spn,
				    valid ? "" : " (and is not a valid SPN)"),
			     quoted_spn ? format("Set-ADObject -Identity %s -Remove "
						 "@{'msDS-AllowedToDelegateTo'=%s}",
						 quoted, quoted_spn)
					: NULL);
			free(quoted_spn);
		}
	}
	emit(a, "constrained-delegation", KD_SEV_MEDIUM, i, "",
	     json_pack("{s:b, s:O, s:O, s:s}", "protocol_transition", pt, "targets", targets,
		       "reachable_accounts", reach, "note",
		       "service-name substitution: a ticket for one SPN of an account is "
		       "accepted by every service running as that account, so the reach is "
		       "every service of each owning account, not just the listed SPNs"),
	     format("%s %s may delegate to %lu SPN%s owned by %zu account%s%s%s",
		    p->enabled ? "enabled" : "disabled", kind_word(p),
		    (unsigned long)p->ndelegate_to,
		    p->ndelegate_to == 1 ? "" : "s", nreached, nreached == 1 ? "" : "s",
		    pt ? ", with protocol transition (any user, no ticket needed)" : "",
		    norphans ? "; some targets are registered nowhere" : ""),
	     format("Set-ADObject -Identity %s -Remove @{'msDS-AllowedToDelegateTo'=@(<unneeded "
		    "SPNs>)}",
		    quoted));
	if (ntier0)
		emit(a, "delegation-to-tier0", KD_SEV_CRITICAL, i, "constrained",
		     json_pack("{s:s, s:b, s:O}", "delegation", "constrained",
			       "protocol_transition", pt, "targets", tier0_targets),
		     format("%s may delegate to %zu SPN%s of tier-0 accounts%s", p->name, ntier0,
			    ntier0 == 1 ? "" : "s",
			    pt ? " and can impersonate any unprotected user there without a ticket"
			       : ""),
		     format("Set-ADObject -Identity %s -Clear 'msDS-AllowedToDelegateTo'", quoted));
out:
	json_decref(targets);
	json_decref(reach);
	json_decref(tier0_targets);
	free(reached);
	free(quoted);
}

/* ---- resource-based constrained delegation, decided by the KDC model ---- */

/*
 * SIDs that nearly every front end's token carries, or groups nearly every account
 * is in: reported as "broad" rather than expanded member by member. Whether each
 * really grants is still the KDC model's answer (S-1-18-2 and This Organization
 * are not here: the first matches nobody, the second is uncertain).
 */
static bool
is_broad_sid(const struct kd_sid *sid)
{
	static const char *const broad[] = {
		"S-1-1-0",      /* Everyone */
		"S-1-5-11",     /* Authenticated Users */
		"S-1-5-2",      /* Network */
		"S-1-18-1",     /* Authentication authority asserted identity */
		"S-1-5-32-545", /* Users */
		"S-1-5-32-554", /* Pre-Windows 2000 Compatible Access */
	};
	char text[KD_SID_STRING_MAX];
	uint32_t rid = kd_sid_rid(sid);

	kd_sid_to_string(sid, text, sizeof(text));
	for (size_t i = 0; i < sizeof(broad) / sizeof(*broad); i++)
		if (strcmp(text, broad[i]) == 0)
			return true;
	/* Domain Users, Domain Guests, Domain Computers of this or any domain */
	return (rid == 513 || rid == 514 || rid == 515) && sid->count == 5 &&
	       sid->authority == 5 && sid->sub[0] == 21;
}

enum ace_class {
	ACE_EFFECTIVE,
	ACE_INERT,
	ACE_DENIED,
	ACE_INHERIT_ONLY,
	ACE_DENY,
	ACE_CONDITIONAL,
	ACE_UNCERTAIN,
	ACE_NO_MATCH,
};

static const char *const ace_class_names[] = {
	"effective", "inert", "denied", "inherit-only", "deny", "conditional", "uncertain",
	"matches-nobody",
};

static bool
push_index(uint32_t **array, size_t *count, size_t *cap, uint32_t value)
{
	if (*count == *cap) {
		size_t bigger_cap = *cap ? *cap * 2 : 16;
		uint32_t *bigger = realloc(*array, bigger_cap * sizeof(*bigger));

		if (!bigger)
			return false;
		*array = bigger;
		*cap = bigger_cap;
	}
	(*array)[(*count)++] = value;
	return true;
}

/* Principals the resource's descriptor grants, and those it may grant. */
struct grant {
	uint32_t who, ace; /* a front end and the ACE that decided its grant */
};

struct grants {
	struct grant *yes; /* granted, in the order first decided */
	size_t nyes, yes_cap;
	uint32_t *maybe;   /* conditional or uncertain */
	size_t nmaybe, maybe_cap;
};

/*
 * The KDC's verdict for front end @who on @resource, decided once per resource
 * however many ACEs or groups name it. Returns the verdict, or KD_ERR_NOMEM.
 */
static int
decided(struct audit *a, uint32_t resource, uint32_t who, struct grants *g)
{
	struct kd_decision d;
	bool ok;

	if (a->verdict[who])
		return a->verdict[who] - 1;
	if (kd_kdc_rbcd(a->kdc, resource, who, &d) < 0 ||
	    !push_index(&a->touched, &a->ntouched, &a->touched_cap, who))
		return KD_ERR_NOMEM;
	a->verdict[who] = (uint8_t)(d.verdict + 1);
	if (d.verdict == KD_VERDICT_YES) {
		ok = g->nyes < g->yes_cap;
		if (!ok) {
			size_t cap = g->yes_cap ? g->yes_cap * 2 : 16;
			struct grant *bigger = realloc(g->yes, cap * sizeof(*bigger));

			if ((ok = bigger != NULL)) {
				g->yes = bigger;
				g->yes_cap = cap;
			}
		}
		if (ok)
			g->yes[g->nyes++] = (struct grant){.who = who, .ace = d.ace};
	} else if (d.verdict != KD_VERDICT_NO)
		ok = push_index(&g->maybe, &g->nmaybe, &g->maybe_cap, who);
	else
		ok = true;
	return ok ? (int)d.verdict : KD_ERR_NOMEM;
}

/* Nested groups walked before the answer is "some, uncounted" (SIZE_MAX). */
#define NESTED_GROUPS_MAX 1024

/*
 * Member references of @group and of the groups nested in it that name nothing in
 * the snapshot (foreign principals, other domains, deleted objects). SIZE_MAX
 * when the nesting is too wide to walk, or memory ran out: unknown, not none.
 */
static size_t
unresolved_members_of(const struct kd_directory *dir, uint32_t group)
{
	uint32_t *seen = malloc(NESTED_GROUPS_MAX * sizeof(*seen));
	size_t nseen = 0, total = 0;

	if (!seen)
		return SIZE_MAX;
	seen[nseen++] = group;
	for (size_t k = 0; k < nseen && total != SIZE_MAX; k++) {
		const struct kd_principal *g = kd_directory_get(dir, seen[k]);

		total += g->nunresolved_members;
		for (uint32_t m = 0; m < g->nmembers; m++) {
			uint32_t member = g->members[m];
			bool known = false;

			if (kd_directory_get(dir, member)->kind != KD_KIND_GROUP)
				continue;
			for (size_t q = 0; q < nseen && !known; q++)
				known = seen[q] == member;
			if (known)
				continue;
			if (nseen == NESTED_GROUPS_MAX) {
				total = SIZE_MAX;
				break;
			}
			seen[nseen++] = member;
		}
	}
	free(seen);
	return total;
}

/* unresolved_members_of(), once per group however many resources name it. */
static size_t
group_outside(struct audit *a, uint32_t group)
{
	if (!a->outside) {
		a->outside = calloc(kd_directory_count(a->dir), sizeof(*a->outside));
		if (!a->outside) {
			a->failed = true;
			return 0;
		}
	}
	if (!a->outside[group]) {
		size_t n = unresolved_members_of(a->dir, group);

		a->outside[group] = n == SIZE_MAX ? SIZE_MAX : n + 1;
	}
	return a->outside[group] == SIZE_MAX ? SIZE_MAX : a->outside[group] - 1;
}

/* The ACE's trustee and what the KDC makes of it, for the rule's details. */
struct ace_eval {
	enum ace_class cls;
	const char *reason;
	uint32_t trustee;   /* a resolved, non-broad principal, or KD_NONE */
	size_t nallowed;    /* group members granted */
	bool is_group;
};

/* An allow ACE whose SID is broad or not in the snapshot: the verdict of an
 * account that holds that SID (and the SIDs every token has) and nothing else. */
static int
eval_sid_trustee(struct audit *a, uint32_t resource, const struct kd_ace *ace,
		 enum kd_ace_role role, struct ace_eval *e, json_t *broad, json_t *unresolved,
		 json_t *maybe)
{
	struct kd_decision d;
	const char *why = NULL;
	bool is_broad = is_broad_sid(&ace->sid);
	json_t *ref;

	if (kd_tokens_sid_has(a->tokens, &ace->sid, &ace->sid, &why) == KD_TOKEN_NO) {
		e->cls = ACE_NO_MATCH;
		e->reason = why ? why : "no front end's token carries this SID";
		return 0;
	}
	if (kd_kdc_rbcd_sid(a->kdc, resource, &ace->sid, &d) < 0)
		return KD_ERR_NOMEM;
	switch (d.verdict) {
	case KD_VERDICT_YES:
		e->cls = ACE_EFFECTIVE;
		e->reason = is_broad ? "broad trustee: nearly every account qualifies"
				     : "trustee SID not found in the snapshot";
		append_new(is_broad ? broad : unresolved, sid_ref(a->dir, &ace->sid, NULL), a);
		break;
	case KD_VERDICT_NO:
		e->cls = ACE_DENIED;
		e->reason = "an earlier deny ACE takes control access from every account "
			    "holding this SID";
		break;
	default:
		e->cls = d.verdict == KD_VERDICT_CONDITIONAL ? ACE_CONDITIONAL : ACE_UNCERTAIN;
		e->reason = d.nsteps ? NULL : "may apply";
		ref = sid_ref(a->dir, &ace->sid, NULL);
		set_new(ref, "verdict", json_string(kd_verdict_name(d.verdict)), a);
		set_new(ref, "reason",
			kd_json_text(d.nsteps ? d.steps[d.nsteps - 1].why : "may apply"), a);
		append_new(maybe, ref, a);
		if (d.nsteps) /* the step names the ACE and its condition or doubt */
			e->reason = role == KD_ACE_ROLE_ALLOW_IF
					    ? "conditional allow: grants only when its expression holds"
				    : d.verdict == KD_VERDICT_UNCERTAIN
					    ? "whether the KDC's token carries this SID is not documented"
					    : "an earlier conditional ACE decides";
		break;
	}
	return 0;
}

/* An allow ACE naming a principal of the snapshot: each front end it stands for. */
static int
eval_principal_trustee(struct audit *a, uint32_t resource, const struct kd_ace *ace,
		       uint32_t trustee, struct ace_eval *e, json_t *unresolved,
		       struct grants *g)
{
	const struct kd_principal *t = kd_directory_get(a->dir, trustee);
	uint32_t *candidates = NULL, single = trustee;
	size_t ncandidates = 1, nmaybe = 0;

	e->trustee = trustee;
	e->is_group = t->kind == KD_KIND_GROUP;
	if (e->is_group) {
		size_t outside;

		ncandidates = kd_directory_expand_group(a->dir, trustee, &candidates);
		if (ncandidates == (size_t)-1)
			return KD_ERR_NOMEM;
		/* Members outside the snapshot (foreign principals, other domains) may hold
		 * the grant too: unknown is not "none". */
		outside = group_outside(a, trustee);
		if (outside) {
			struct kd_decision d;
			json_t *ref;

			if (kd_kdc_rbcd_sid(a->kdc, resource, &ace->sid, &d) < 0) {
				free(candidates);
				return KD_ERR_NOMEM;
			}
			if (d.verdict != KD_VERDICT_NO) {
				ref = sid_ref(a->dir, &ace->sid, NULL);
				/* null: too widely nested to count, but some */
				set_new(ref, "unresolved_members",
					outside == SIZE_MAX ? json_null()
							    : json_integer((json_int_t)outside),
					a);
				append_new(unresolved, ref, a);
			}
		}
	} else {
		candidates = &single;
	}
	for (size_t c = 0; c < ncandidates; c++) {
		int v = decided(a, resource, candidates[c], g);

		if (v < 0) {
			if (candidates != &single)
				free(candidates);
			return v;
		}
		e->nallowed += v == KD_VERDICT_YES;
		nmaybe += v == KD_VERDICT_CONDITIONAL || v == KD_VERDICT_UNCERTAIN;
	}
	if (candidates != &single)
		free(candidates);
	if (e->nallowed || !ncandidates) {
		e->cls = ACE_EFFECTIVE;
		e->reason = e->is_group ? "grants control access to the group's members"
					: "grants control access";
	} else if (nmaybe) {
		e->cls = ACE_CONDITIONAL;
		e->reason = "grants only if a conditional ACE or an undocumented token SID "
			    "allows it (see conditional_trustees)";
	} else {
		e->cls = ACE_DENIED;
		e->reason = "every principal it names is denied by an earlier ACE";
	}
	return 0;
}

/* An account list with, for each, the ACE that decided its grant. */
static json_t *
granted_list(struct audit *a, const struct grants *g)
{
	json_t *list = json_array();

	for (size_t k = 0; list && k < g->nyes && k < LIST_MAX; k++) {
		json_t *ref = kd_json_account(a->dir, g->yes[k].who);

		set_new(ref, "ace", json_integer((json_int_t)g->yes[k].ace), a);
		append_new(list, ref, a);
	}
	return list;
}

static void
rule_rbcd(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_acl *dacl;
	json_t *aces = NULL, *effective = NULL, *broad = NULL, *unresolved = NULL, *maybe = NULL;
	json_t *details;
	char *quoted = NULL, *remedy = NULL;
	struct grants g = {0};
	const char *state;
	enum kd_severity severity;

	if (!p->rbcd)
		return; /* absent, or malformed: reported as unparseable-attribute */
	dacl = &p->rbcd->dacl;
	aces = json_array();
	broad = json_array();
	unresolved = json_array();
	maybe = json_array();
	quoted = ps_quote(p->dn);
	if (!aces || !broad || !unresolved || !maybe || !quoted) {
		a->failed = true;
		goto out;
	}
	if (p->rbcd_state == KD_RBCD_NULL_DACL) {
		state = "null-dacl";
		append_new(broad, json_pack("{s:s, s:s}", "sid", "S-1-1-0", "name",
					    "Everyone (NULL DACL grants full access to all)"),
			   a);
	} else {
		state = dacl->count ? "parsed" : "empty-dacl";
	}
	for (size_t j = 0; p->rbcd_state == KD_RBCD_PARSED && j < dacl->count; j++) {
		const struct kd_ace *ace = &dacl->aces[j];
		struct ace_eval e = {.cls = ACE_INERT, .trustee = KD_NONE};
		enum kd_ace_role role = kd_kdc_rbcd_ace_role(ace, &e.reason);
		json_t *ace_json;
		char mask[16];
		int r = 0;

		if (role == KD_ACE_ROLE_IGNORED) {
			e.cls = ace->flags & KD_ACE_FLAG_INHERIT_ONLY ? ACE_INHERIT_ONLY : ACE_INERT;
		} else if (role == KD_ACE_ROLE_DENY || role == KD_ACE_ROLE_DENY_IF) {
			e.cls = ACE_DENY;
		} else {
			uint32_t trustee = kd_directory_find_sid(a->dir, &ace->sid);

			if (trustee == KD_NONE || is_broad_sid(&ace->sid))
				r = eval_sid_trustee(a, i, ace, role, &e, broad, unresolved, maybe);
			else
				r = eval_principal_trustee(a, i, ace, trustee, &e, unresolved, &g);
		}
		if (r < 0) {
			a->failed = true;
			goto out;
		}
		snprintf(mask, sizeof(mask), "0x%08x", (unsigned)ace->mask);
		ace_json = json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:s}", "index", (json_int_t)j,
				     "type",
				     kd_ace_type_name(ace->type) ? kd_ace_type_name(ace->type)
								 : "unknown",
				     "flags", (json_int_t)ace->flags, "mask", mask, "trustee",
				     ace->known ? sid_ref(a->dir, &ace->sid, NULL) : json_null(),
				     "class", ace_class_names[e.cls], "reason", e.reason);
		if (ace_json && e.is_group)
			set_new(ace_json, "members_granted", json_integer((json_int_t)e.nallowed), a);
		append_new(aces, ace_json, a);
	}
	for (size_t k = 0; k < g.nmaybe && k < LIST_MAX; k++)
		append_new(maybe, kd_json_account(a->dir, g.maybe[k]), a);
	effective = granted_list(a, &g);
	details = json_pack("{s:s, s:o, s:b, s:I, s:O, s:O, s:O, s:O, s:O, s:s}", "state", state,
			    "owner",
			    p->rbcd->has_owner ? sid_ref(a->dir, &p->rbcd->owner, NULL) : json_null(),
			    "dacl_null", p->rbcd->dacl_null, "effective_trustee_count",
			    (json_int_t)g.nyes, "effective_trustees", effective, "broad_trustees",
			    broad, "unresolved_trustees", unresolved, "conditional_trustees", maybe,
			    "aces", aces, "note",
			    "the KDC accepts a non-forwardable S4U2Self ticket for RBCD, so a trustee "
			    "needs no protocol transition; service-name substitution extends a "
			    "ticket for one SPN to every service of this account");
	severity = json_array_size(broad)                           ? KD_SEV_HIGH
		   : (g.nyes || json_array_size(unresolved))        ? KD_SEV_MEDIUM
		   : json_array_size(maybe)                          ? KD_SEV_LOW
									     : KD_SEV_INFO;
	remedy = format("Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount $null",
			ps_noun(p), quoted);
	emit(a, "resource-based-delegation", severity, i, "", json_incref(details),
	     format("%zu principal%s may impersonate users to %s%s%s%s%s", g.nyes,
		    g.nyes == 1 ? "" : "s", p->name,
		    json_array_size(broad) ? ", plus broad groups" : "",
		    json_array_size(unresolved) ? ", plus unresolved SIDs" : "",
		    json_array_size(maybe) ? ", plus conditional or uncertain grants" : "",
		    p->rbcd_state == KD_RBCD_NULL_DACL ? " (NULL DACL: anyone)"
		    : dacl->count == 0                 ? " (empty DACL: nobody)"
						       : ""),
	     remedy ? strdup(remedy) : NULL);
	if (json_array_size(broad)) {
		const char *first = json_string_value(
			json_object_get(json_array_get(broad, 0), "name"));
		bool quota = a->domain->has_machine_quota && a->domain->machine_quota > 0;

		emit(a, "rbcd-broad-trustee", KD_SEV_CRITICAL, i, "",
		     json_pack("{s:s, s:O, s:O, s:o}", "state", state, "broad_trustees", broad,
			       "aces", aces, "machine_account_quota",
			       a->domain->has_machine_quota ? json_integer(a->domain->machine_quota)
							    : json_null()),
		     format("RBCD on %s grants %s: any account that qualifies can impersonate "
			    "users to it%s",
			    p->name,
			    p->rbcd_state == KD_RBCD_NULL_DACL ? "everyone (NULL DACL)"
			    : first                            ? first
							       : "a broad group",
			    quota ? "; any user can create a computer account that qualifies "
				    "(ms-DS-MachineAccountQuota is above 0)"
				  : ""),
		     remedy ? strdup(remedy) : NULL);
	}
	if (p->tier0 && (g.nyes || json_array_size(broad) || json_array_size(unresolved)))
		emit(a, "delegation-to-tier0", KD_SEV_CRITICAL, i, "resource-based",
		     json_pack("{s:s, s:s, s:O}", "delegation", "resource-based", "tier0_reason",
			       p->tier0_reason ? p->tier0_reason : "tier 0", "rbcd", details),
		     format("RBCD is set on tier-0 %s %s (%s)", kind_word(p), p->name,
			    p->tier0_reason ? p->tier0_reason : "tier 0"),
		     remedy ? strdup(remedy) : NULL);
	json_decref(details);
out:
	for (size_t t = 0; t < a->ntouched; t++)
		a->verdict[a->touched[t]] = 0;
	a->ntouched = 0;
	free(remedy);
	free(quoted);
	free(g.yes);
	free(g.maybe);
	json_decref(aces);
	json_decref(effective);
	json_decref(broad);
	json_decref(unresolved);
	json_decref(maybe);
}

/* ---- protocol transition ---- */

static void
rule_protocol_transition(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	struct kd_decision self;
	char *quoted;
	enum kd_severity severity;

	if (!p->has_uac || !(p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION))
		return;
	/* Every RODC carries the flag by default (UAC 0x05001000); with targets,
	 * constrained-delegation reports them. A writable DC does not: someone set it. */
	if (p->kind == KD_KIND_RODC && !p->ndelegate_to)
		return;
	if (kd_kdc_s4u2self(a->kdc, i, KD_NONE, &self) < 0) {
		a->failed = true;
		return;
	}
	/* The flag only makes S4U2Self tickets forwardable, which classic delegation
	 * needs and RBCD does not (MS-SFU 3.2.5.2.3): without targets it adds nothing
	 * today, and it never adds anything toward RBCD resources. */
	severity = p->ndelegate_to ? KD_SEV_HIGH : p->kind == KD_KIND_DC ? KD_SEV_MEDIUM
									 : KD_SEV_LOW;
	if (!p->enabled && severity > KD_SEV_LOW)
		severity--;
	quoted = ps_quote(p->dn);
	emit(a, "protocol-transition", severity, i, "",
	     json_pack("{s:I, s:b, s:s}", "constrained_targets", (json_int_t)p->ndelegate_to,
		       "s4u2self_forwardable", self.forwardable, "note",
		       "RBCD accepts non-forwardable S4U2Self tickets: the flag matters for "
		       "classic targets only"),
	     p->ndelegate_to
		     ? format("%s can impersonate any delegable user to its %lu delegation "
			      "target%s without the user's ticket",
			      p->name, (unsigned long)p->ndelegate_to, p->ndelegate_to == 1 ? "" : "s")
		     : format("%s %s has protocol transition but no constrained targets: the flag "
			      "takes effect as soon as a target is added",
			      kind_word(p), p->name),
	     quoted ? format("Set-ADAccountControl -Identity %s -TrustedToAuthForDelegation $false",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- privileged accounts that can be delegated ---- */

static void
rule_privileged_delegable(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_domain *d = a->domain;
	bool level_known = d->has_functional_level;
	enum kd_severity severity = p->enabled ? KD_SEV_HIGH : KD_SEV_LOW;
	struct kd_decision decision;
	const char *protection;
	char *quoted;

	/* People and service accounts; machine accounts (DCs above all) are delegable by
	 * design and guarded by the delegation rules instead. */
	if (!p->tier0 || (p->kind != KD_KIND_USER && p->kind != KD_KIND_MSA &&
			  p->kind != KD_KIND_GMSA))
		return;
	/* Disabled accounts are reported too (low): re-enabling restores the exposure. */
	kd_kdc_protection(a->kdc, i, &decision);
	if (decision.verdict == KD_VERDICT_NO)
		return;
	if (decision.verdict == KD_VERDICT_UNCERTAIN) {
		severity = KD_SEV_LOW;
		protection = "member of Protected Users, which blocks delegation only at domain "
			     "functional level 2012 R2 or above; the snapshot has no "
			     "msDS-Behavior-Version to tell";
	} else if (p->protected_user) {
		protection = "member of Protected Users, but the domain functional level is below "
			     "2012 R2, where Protected Users does not block delegation";
	} else {
		protection = "not marked sensitive and not in Protected Users";
	}
	quoted = ps_quote(p->dn);
	emit(a, "privileged-delegable", severity, i, "",
	     json_pack("{s:s, s:b, s:b, s:o, s:s}", "tier0_reason",
		       p->tier0_reason ? p->tier0_reason : "tier 0", "not_delegated", false,
		       "protected_users", p->protected_user, "domain_functional_level",
		       level_known ? json_integer(d->functional_level) : json_null(), "protection",
		       protection),
	     format("%s (%s) can be impersonated through delegation: %s", p->name,
		    p->tier0_reason ? p->tier0_reason : "tier 0", protection),
	     quoted ? format("Set-ADAccountControl -Identity %s -AccountNotDelegated $true", quoted)
		    : NULL);
	free(quoted);
}

/* ---- duplicate SPNs, exact and through HOST aliases ---- */

/*
 * One duplicate-spn finding on @mine's account. The fix always removes an explicit
 * SPN: the other copy for exact duplicates, the alias SPN (never HOST/) for
 * alias collisions: @fix_spn on @fix_account.
 */
static void
emit_duplicate(struct audit *a, const struct kd_spn_holder *mine, const char *other_spn,
	       const uint32_t *others, size_t nlisted, size_t nothers, bool alias,
	       const char *fix_spn, uint32_t fix_account)
{
	const struct kd_principal *p = kd_directory_get(a->dir, mine->principal);
	const struct kd_principal *fix = kd_directory_get(a->dir, fix_account);
	json_t *list = json_array();
	char *quoted_spn = ps_quote(fix_spn), *quoted_name = ps_quote(fix->name);
	char own[KD_SPN_MAX + 64], other[KD_SPN_MAX + 64], identity[2 * KD_SPN_MAX + 160];

	for (size_t k = 0; list && k < nlisted && k < LIST_MAX; k++)
		append_new(list, kd_json_account(a->dir, others[k]), a);
	/* exact: the key; alias: both SPNs, so each side of each collision is distinct */
	snprintf(identity, sizeof(identity), "%s\x1f%s\x1f%s", alias ? "host-alias" : "exact",
		 lower_copy(mine->key, own, sizeof(own)),
		 alias ? lower_copy(other_spn, other, sizeof(other)) : "");
	emit(a, "duplicate-spn", alias ? KD_SEV_LOW : KD_SEV_MEDIUM, mine->principal, identity,
	     json_pack("{s:o, s:o, s:s, s:o}", "spn", kd_json_text(mine->spn), "colliding_spn",
		       kd_json_text(other_spn), "collision", alias ? "host-alias" : "exact",
		       "other_holders", list ? list : json_null()),
	     alias ? format("%s on %s collides with %s on %zu other account%s through the HOST "
			    "alias table: the KDC issues %s tickets with %s's key",
			    mine->spn, p->name, other_spn, nothers, nothers == 1 ? "" : "s",
			    fix_spn, fix->name)
		   : format("%s is also registered on %zu other account%s", mine->spn, nothers,
			    nothers == 1 ? "" : "s"),
	     quoted_spn && quoted_name
		     ? format("setspn -D %s %s%s", quoted_spn, quoted_name,
			      alias ? "  # unless that account is meant to serve it" : "")
		     : NULL);
	free(quoted_spn);
	free(quoted_name);
}

/*
 * Distinct explicit principals on the chain from @head other than @self: up to
 * @max into @ret, how many are listed returned, how many in all (duplicates past
 * @max counted once each time they recur) in *ret_total.
 */
static size_t
chain_others(struct audit *a, uint32_t head, uint32_t self, uint32_t *ret, size_t max,
	     size_t *ret_total)
{
	const struct kd_spn_holder *holders;
	size_t n = 0;

	kd_directory_spn_holders(a->dir, &holders);
	for (uint32_t h = head; h != KD_NONE; h = holders[h].next) {
		bool seen = holders[h].principal == self || holders[h].implicit;

		for (size_t k = 0; k < n && k < max && !seen; k++)
			seen = ret[k] == holders[h].principal;
		if (seen)
			continue;
		if (n < max)
			ret[n] = holders[h].principal;
		n++;
	}
	*ret_total = n;
	return n < max ? n : max;
}

static void
rule_duplicate_spns(struct audit *a)
{
	const struct kd_spn_holder *holders;
	size_t nholders = kd_directory_spn_holders(a->dir, &holders);
	const struct kd_spnmap *map = kd_directory_spnmap(a->dir);
	uint32_t others[HOLDERS_MAX];
	char key[KD_SPN_MAX + 64];

	for (size_t h = 0; h < nholders; h++) {
		const struct kd_spn_holder *mine = &holders[h];
		uint32_t head;
		struct kd_spn spn;
		const char *target;
		size_t n, total;
		bool first = true;

		if (mine->implicit || (!mine->shared && !mine->alias))
			continue; /* the common case: a unique, non-alias SPN */
		head = kd_directory_spn_head(a->dir, mine->key);
		/* One finding per principal and key, even when it lists the SPN twice. */
		for (uint32_t g = head; g != h && g != KD_NONE; g = holders[g].next)
			if (holders[g].principal == mine->principal)
				first = false;
		if (!first)
			continue;
		n = chain_others(a, head, mine->principal, others, HOLDERS_MAX, &total);
		if (n)
			emit_duplicate(a, mine, mine->spn, others, n, total, false, mine->spn,
				       mine->principal);
		/* An alias SPN also collides with host/<same> on another account. */
		if (kd_spn_parse(mine->key, strlen(mine->key), &spn, NULL) < 0)
			continue;
		target = kd_spnmap_target(map, spn.service_class, spn.service_class_len);
		if (!target || !kd_spn_key_with_class(&spn, target, key, sizeof(key)))
			continue;
		head = kd_directory_spn_head(a->dir, key);
		if (head == KD_NONE)
			continue;
		n = chain_others(a, head, mine->principal, others, HOLDERS_MAX, &total);
		if (!n)
			continue;
		emit_duplicate(a, mine, holders[head].spn, others, n, total, true, mine->spn,
			       mine->principal);
		/* ...and the HOST side hears of it too, one finding per holding account. */
		for (size_t k = 0; k < n; k++) {
			uint32_t me = mine->principal;
			struct kd_spn_holder host_side = holders[head];

			for (uint32_t g = head; g != KD_NONE; g = holders[g].next)
				if (holders[g].principal == others[k])
					host_side = holders[g];
			emit_duplicate(a, &host_side, mine->spn, &me, 1, 1, true, mine->spn, me);
		}
	}
}

/* ---- who can configure delegation: write rights, the quota, trusts ---- */

/* Trustees whose write access is the directory's own design, not a finding:
 * SYSTEM, Enterprise DCs, Creator Owner, the builtin administrative groups and
 * the domain's administrative groups of any domain (most are tier 0 as well). */
static bool
is_default_admin(const struct kd_sid *sid)
{
	static const uint32_t builtin[] = {544, 548, 549, 550, 551};
	static const uint32_t domain[] = {498, 512, 516, 518, 519, 521};
	uint32_t rid = kd_sid_rid(sid);

	if (sid->authority == 3) /* Creator Owner, Owner Rights: templates */
		return true;
	if (sid->authority != 5)
		return false;
	if (sid->count == 1)
		return sid->sub[0] == 18 || sid->sub[0] == 9 || sid->sub[0] == 10;
	if (sid->count == 2 && sid->sub[0] == 32) {
		for (size_t k = 0; k < sizeof(builtin) / sizeof(*builtin); k++)
			if (rid == builtin[k])
				return true;
	}
	if (sid->count == 5 && sid->sub[0] == 21) {
		for (size_t k = 0; k < sizeof(domain) / sizeof(*domain); k++)
			if (rid == domain[k])
				return true;
	}
	return false;
}

static json_t *
ace_json(const struct kd_secdesc *sd, uint32_t index)
{
	const struct kd_ace *ace;
	char mask[16], guid[KD_GUID_STRING_MAX];

	if (index == KD_NONE)
		return json_null();
	ace = &sd->dacl.aces[index];
	snprintf(mask, sizeof(mask), "0x%08x", (unsigned)ace->mask);
	return json_pack("{s:I, s:s, s:I, s:s, s:o}", "index", (json_int_t)index, "type",
			 kd_ace_type_name(ace->type) ? kd_ace_type_name(ace->type) : "unknown",
			 "flags", (json_int_t)ace->flags, "mask", mask, "object_type",
			 ace->has_object_type
				 ? json_string(kd_guid_to_string(&ace->object_type, guid))
				 : json_null());
}

static void
rule_rbcd_writable(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	struct kd_writer *writers = NULL;
	size_t nwriters = 0, nkept = 0;
	struct kd_strbuf identity;
	json_t *list;
	const char *first = NULL, *first_via = NULL;
	bool critical, broad = false;
	char *quoted;
	struct kd_error why;

	if (!p->sd || p->kind == KD_KIND_GROUP || p->kind == KD_KIND_FOREIGN ||
	    p->kind == KD_KIND_TRUST || p->kind == KD_KIND_UNKNOWN)
		return;
	kd_error_clear(&why);
	if (kd_access_rbcd_writers(a->tokens, a->dir, i, &writers, &nwriters, &why) < 0) {
		a->failed = true;
		return;
	}
	list = json_array();
	kd_strbuf_init(&identity, 64);
	for (size_t k = 0; list && k < nwriters; k++) {
		const struct kd_writer *w = &writers[k];
		const struct kd_principal *wp = kd_directory_get(a->dir, w->principal);
		char sid[KD_SID_STRING_MAX];
		json_t *ref;

		if (w->principal == i || is_default_admin(&w->sid) || (wp && wp->tier0))
			continue;
		nkept++;
		broad |= is_broad_sid(&w->sid);
		ref = sid_ref(a->dir, &w->sid, NULL);
		set_new(ref, "via", json_string(kd_write_via_name(w->via)), a);
		set_new(ref, "ace", ace_json(p->sd, w->ace), a);
		append_new(list, ref, a);
		if (!first) {
			first = wp ? wp->name : kd_sid_wellknown_name(&w->sid);
			first_via = kd_write_via_name(w->via);
		}
		kd_sid_to_string(&w->sid, sid, sizeof(sid));
		kd_strbuf_append(&identity, sid, strlen(sid));
		kd_strbuf_append(&identity, "\x1f", 1);
	}
	free(writers);
	if (!nkept || !list) {
		json_decref(list);
		kd_strbuf_free(&identity);
		a->failed |= !list;
		return;
	}
	critical = p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC ||
		   p->kind == KD_KIND_KRBTGT || p->tier0;
	quoted = ps_quote(p->dn);
	emit(a, "rbcd-writable", critical ? KD_SEV_CRITICAL : KD_SEV_HIGH, i,
	     kd_strbuf_str(&identity) ? kd_strbuf_str(&identity) : "",
	     json_pack("{s:o, s:I, s:b, s:o, s:s}", "writers", list, "writer_count",
		       (json_int_t)nkept, "broad_writer", broad, "machine_account_quota",
		       a->domain->has_machine_quota ? json_integer(a->domain->machine_quota)
						    : json_null(),
		       "attribute", "msDS-AllowedToActOnBehalfOfOtherIdentity"),
	     format("%zu principal%s outside tier 0 can write the RBCD attribute of %s %s "
		    "(%s%s%s, %s)%s",
		    nkept, nkept == 1 ? "" : "s", kind_word(p), p->name,
		    first ? first : "an unresolved SID", nkept > 1 ? " and others" : "",
		    "", first_via,
		    a->domain->has_machine_quota && a->domain->machine_quota > 0
			    ? ": with any computer account it creates (ms-DS-MachineAccountQuota "
			      "is above 0) it can impersonate any delegable user to this account"
			    : ": with an account that has an SPN it can impersonate any delegable "
			      "user to this account"),
	     quoted ? format("dsacls %s /R <writer>  # then re-grant only what the writer needs",
			     quoted)
		    : NULL);
	free(quoted);
	kd_strbuf_free(&identity);
}

static void
rule_machine_account_quota(struct audit *a)
{
	const struct kd_domain *d = a->domain;
	char *quoted;

	if (!d->has_machine_quota || d->machine_quota <= 0)
		return;
	quoted = ps_quote(d->dn ? d->dn : "");
	emit(a, "machine-account-quota", KD_SEV_MEDIUM, KD_NONE, "",
	     json_pack("{s:I}", "machine_account_quota", (json_int_t)d->machine_quota),
	     format("ms-DS-MachineAccountQuota is %lld: every authenticated user can create up "
		    "to %lld computer accounts, each an SPN-holding front end for any RBCD they "
		    "can write or that trusts Domain Computers",
		    (long long)d->machine_quota, (long long)d->machine_quota),
	     quoted ? format("Set-ADObject -Identity %s -Replace @{'ms-DS-MachineAccountQuota'=0}",
			     quoted)
		    : NULL);
	free(quoted);
}

static void
rule_trust_tgt_delegation(struct audit *a)
{
	const struct kd_trust *trusts;
	size_t ntrusts = kd_directory_trusts(a->dir, &trusts);
	size_t unconstrained = 0;

	for (size_t i = 0; i < kd_directory_count(a->dir); i++) {
		const struct kd_principal *p = kd_directory_get(a->dir, (uint32_t)i);

		unconstrained += p->enabled && p->has_uac &&
				 (p->uac & KD_UAC_TRUSTED_FOR_DELEGATION);
	}
	for (size_t k = 0; k < ntrusts; k++) {
		const struct kd_trust *t = &trusts[k];
		char identity[512];
		char *partner;

		if (!t->has_attributes ||
		    !(t->attributes & KD_TRUST_ATTR_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION))
			continue;
		lower_copy(t->partner ? t->partner : t->dn, identity, sizeof(identity));
		partner = ps_quote(t->partner ? t->partner : t->dn);
		emit(a, "trust-tgt-delegation", KD_SEV_HIGH, KD_NONE, identity,
		     json_pack("{s:o, s:o, s:I, s:o, s:o, s:I}", "partner", kd_json_text(t->partner),
			       "trust_dn", kd_json_text(t->dn), "trust_attributes",
			       (json_int_t)t->attributes, "trust_direction",
			       t->has_direction ? json_integer(t->direction) : json_null(),
			       "trust_type", t->has_type ? json_integer(t->type) : json_null(),
			       "unconstrained_accounts", (json_int_t)unconstrained),
		     format("the trust with %s allows TGT delegation "
			    "(CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION): TGTs cross the forest "
			    "boundary to the %zu enabled account%s with unconstrained delegation, "
			    "domain controllers included",
			    t->partner ? t->partner : t->dn, unconstrained,
			    unconstrained == 1 ? "" : "s"),
		     partner ? format("netdom trust <this domain> /domain:%s /EnableTgtDelegation:No",
				      partner)
			     : NULL);
		free(partner);
	}
}

/* adminCount=1 stays after an account leaves the protected groups (SDProp never
 * clears it): a hint worth cleaning, not privilege. */
static void
rule_stale_admincount(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	char *quoted;

	if (!p->admin_count || p->tier0 || p->kind == KD_KIND_GROUP ||
	    p->kind == KD_KIND_FOREIGN)
		return;
	quoted = ps_quote(p->dn);
	emit(a, "stale-admincount", KD_SEV_INFO, i, "",
	     json_pack("{s:b}", "admin_count", true),
	     format("%s has adminCount=1 but no current privileged membership: the mark "
		    "(and the inheritance SDProp disabled) outlived the membership",
		    p->name),
	     quoted ? format("Set-ADObject -Identity %s -Clear adminCount  # and re-enable "
			     "inheritance on its ACL",
			     quoted)
		    : NULL);
	free(quoted);
}

/* ---- values that did not parse ---- */

static void
rule_unparseable(struct audit *a)
{
	const struct kd_bad_value *bad;
	size_t n = kd_directory_bad_values(a->dir, &bad);

	for (size_t k = 0; k < n; k++) {
		const struct kd_bad_value *b = &bad[k];
		const struct kd_principal *p = kd_directory_get(a->dir, b->principal);
		bool rbcd = strcmp(b->attribute, "msDS-AllowedToActOnBehalfOfOtherIdentity") == 0;
		const char *dn = p ? p->dn : a->domain->dn ? a->domain->dn : "";
		char *quoted = ps_quote(dn);
		char attr_lower[64];
		json_t *details;

		details = json_pack("{s:s, s:o, s:o, s:o}", "attribute", b->attribute, "offset",
				    b->has_offset ? json_integer((json_int_t)b->offset) : json_null(),
				    "reason", kd_json_text(b->reason), "entry", kd_json_text(dn));
		if (details && rbcd)
			set_new(details, "note",
				json_string("the KDC fails closed on a descriptor it cannot "
					    "unmarshal: RBCD to this account is refused until the "
					    "value is rewritten"),
				a);
		emit(a, "unparseable-attribute", KD_SEV_MEDIUM, b->principal,
		     lower_copy(b->attribute, attr_lower, sizeof(attr_lower)), details,
		     b->has_offset ? format("%s does not parse at byte %zu: %s", b->attribute,
					    b->offset, b->reason)
				   : format("%s does not parse: %s", b->attribute, b->reason),
		     quoted ? format("Get-ADObject -Identity %s -Properties '%s'  # inspect, then "
				     "rewrite or clear the value",
				     quoted, b->attribute)
			    : NULL);
		free(quoted);
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
		rule_rbcd(&a, i, kd_directory_get(dir, i));
	for (uint32_t i = 0; i < count && !a.failed; i++) {
		const struct kd_principal *p = kd_directory_get(dir, i);

		rule_unconstrained(&a, i, p);
		rule_constrained(&a, i, p);
		rule_protocol_transition(&a, i, p);
		rule_privileged_delegable(&a, i, p);
		rule_rbcd_writable(&a, i, p);
		rule_stale_admincount(&a, i, p);
	}
	if (!a.failed)
		rule_machine_account_quota(&a);
	if (!a.failed)
		rule_trust_tgt_delegation(&a);
	if (!a.failed)
		rule_duplicate_spns(&a);
	if (!a.failed)
		rule_unparseable(&a);
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

	if (c->accounts && !c->descriptors)
		gaps[n++] = "owners and DACLs (nTSecurityDescriptor, SD-flags control): "
			    "rbcd-writable was not evaluated";
	else if (c->descriptors < c->accounts)
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

size_t
kd_findings_filter(struct kd_findings *findings, enum kd_severity min)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < findings->count; i++) {
		struct kd_finding *f = &findings->items[i];

		if (f->severity >= min) {
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
