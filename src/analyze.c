/* SPDX-License-Identifier: MIT */
/* The audit: every rule of the catalogue over a finished directory. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/analyze.h"
#include "kdeleg/sha256.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/uac.h"

/* Accounts named in one finding's details before the list is cut (with a count). */
#define LIST_MAX 50
#define HOLDERS_MAX 16
#define TEXT_MAX (1u << 20)

/* An (RBCD resource, effective trustee) pair, for protocol-transition's cross-check. */
struct trust_pair {
	uint32_t resource;
	uint32_t trustee;
};

struct audit {
	const struct kd_directory *dir;
	const struct kd_domain *domain;
	struct kd_findings *out;
	size_t cap;
	struct trust_pair *pairs;
	size_t npairs, pairs_cap;
	/* RBCD: each candidate's verdict on the current resource, decided once however
	 * many ACEs or groups name it; reset through @touched after each resource. */
	uint8_t *verdict; /* enum verdict, one per principal */
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
		    "user who authenticates to it%s%s",
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

/* ---- resource-based constrained delegation, evaluated as the KDC does ---- */

/* SIDs that nearly every account's token carries (or a NULL DACL): "broad". */
static bool
is_broad_sid(const struct kd_directory *dir, const struct kd_sid *sid)
{
	static const char *const broad[] = {
		"S-1-1-0",      /* Everyone */
		"S-1-5-7",      /* Anonymous */
		"S-1-5-11",     /* Authenticated Users */
		"S-1-5-15",     /* This Organization */
		"S-1-5-2",      /* Network */
		"S-1-5-32-545", /* Users */
		"S-1-5-32-554", /* Pre-Windows 2000 Compatible Access */
		"S-1-18-1",     /* Authentication authority asserted identity */
		"S-1-18-2",     /* Service asserted identity */
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

/*
 * SIDs in the token of every front-end service the KDC checks: a deny of one of
 * them takes control access from everyone after it. The S-1-18 identity SIDs are
 * counted present for allows but are not certain, so their denies are not.
 */
static bool
in_every_token(const char *sid_text)
{
	return strcmp(sid_text, "S-1-1-0") == 0 || strcmp(sid_text, "S-1-5-11") == 0 ||
	       strcmp(sid_text, "S-1-5-15") == 0 || strcmp(sid_text, "S-1-5-2") == 0;
}

/* Does @sid appear in the token the KDC builds for front-end service @who?
 * 1 yes, 0 no, KD_ERR_NOMEM when membership could not be walked. */
static int
token_has(const struct kd_directory *dir, uint32_t who, uint32_t resource,
	  const struct kd_sid *sid)
{
	const struct kd_principal *p = kd_directory_get(dir, who);
	const struct kd_domain *domain = kd_directory_domain(dir);
	char text[KD_SID_STRING_MAX];
	uint32_t index;

	if (p->has_sid) {
		struct kd_sid own = kd_principal_sid(p);

		if (kd_sid_equal(&own, sid))
			return 1;
	}
	kd_sid_to_string(sid, text, sizeof(text));
	if (in_every_token(text) || strcmp(text, "S-1-18-1") == 0 ||
	    strcmp(text, "S-1-18-2") == 0)
		return 1;
	if (strcmp(text, "S-1-5-9") == 0)
		return p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC;
	if (strcmp(text, "S-1-5-10") == 0) /* Principal Self: the resource itself */
		return who == resource;
	index = kd_directory_find_sid(dir, sid);
	if (index != KD_NONE)
		return kd_directory_is_member(dir, who, index);
	/* A primary group missing from the snapshot still shows in the token. */
	return domain->has_sid && kd_sid_in_domain(sid, &domain->sid) &&
	       p->primary_group_rid == kd_sid_rid(sid) && p->primary_group_rid != 0;
}

enum ace_class { ACE_EFFECTIVE, ACE_INERT, ACE_DENIED, ACE_INHERIT_ONLY, ACE_DENY };

static const char *const ace_class_names[] = {"effective", "inert", "denied", "inherit-only",
					      "deny"};

/* Whether an ACE takes part in the KDC's check for control access, and why not. */
static bool
ace_applies(const struct kd_ace *ace, const char **ret_reason)
{
	*ret_reason = NULL;
	if (ace->flags & KD_ACE_FLAG_INHERIT_ONLY) {
		*ret_reason = "inherit-only: applies to child objects, not this account";
		return false;
	}
	if (!ace->known || !(kd_ace_is_allow(ace->type) || kd_ace_is_deny(ace->type))) {
		*ret_reason = "not an allow or deny ACE";
		return false;
	}
	/* Samba's KDC checks SEC_ADS_CONTROL_ACCESS alone; a stored GENERIC_ALL is not
	 * mapped at check time, so it does not count. */
	if (!(ace->mask & KD_RIGHT_DS_CONTROL_ACCESS)) {
		*ret_reason = "mask lacks control access (0x100), which the KDC checks";
		return false;
	}
	/* The KDC's check has no object type list: object-specific ACEs never match. */
	if (ace->has_object_type) {
		*ret_reason = "object-specific ACE; the KDC checks without an object type";
		return false;
	}
	return true;
}

/*
 * A deny ACE that certainly applies to whoever's token holds its SID. A callback
 * (conditional) deny applies only when its condition holds, which the audit cannot
 * evaluate: counting it would hide grants, so it is not certain.
 */
static bool
certain_deny(const struct kd_ace *ace)
{
	const char *why;

	return ace_applies(ace, &why) &&
	       (ace->type == KD_ACE_DENIED || ace->type == KD_ACE_DENIED_OBJECT);
}

/*
 * Whether a certain deny before ACE @j takes control access from every principal
 * @sid may stand for (a broad or unresolved SID, whose members the snapshot
 * cannot list): a deny of that same SID, or of a SID in every token.
 */
static bool
earlier_deny_of(const struct kd_acl *dacl, size_t j, const struct kd_sid *sid)
{
	for (size_t k = 0; k < j; k++) {
		char text[KD_SID_STRING_MAX];

		if (!certain_deny(&dacl->aces[k]))
			continue;
		if (kd_sid_equal(&dacl->aces[k].sid, sid))
			return true;
		kd_sid_to_string(&dacl->aces[k].sid, text, sizeof(text));
		if (in_every_token(text))
			return true;
	}
	return false;
}

/*
 * The first ACE matching @who's token decides: 1 when it allows, 0 when a certain
 * deny or nothing matches, KD_ERR_NOMEM. Conditional denies are passed over.
 */
static int
decide(const struct kd_directory *dir, const struct kd_acl *dacl, uint32_t who,
       uint32_t resource)
{
	for (size_t j = 0; j < dacl->count; j++) {
		const struct kd_ace *ace = &dacl->aces[j];
		const char *why;
		int has;

		if (!ace_applies(ace, &why) || (kd_ace_is_deny(ace->type) && !certain_deny(ace)))
			continue;
		has = token_has(dir, who, resource, &ace->sid);
		if (has < 0)
			return has;
		if (has)
			return kd_ace_is_allow(ace->type);
	}
	return 0;
}

enum verdict { VERDICT_UNKNOWN, VERDICT_GRANTED, VERDICT_REFUSED };

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

/*
 * Whether @who holds control access on @resource: 1 or 0, decided once per
 * resource; a first grant is appended to @granted. KD_ERR_NOMEM on failure.
 */
static int
decided(struct audit *a, const struct kd_acl *dacl, uint32_t who, uint32_t resource,
	uint32_t **granted, size_t *ngranted, size_t *granted_cap)
{
	int d;

	if (a->verdict[who] != VERDICT_UNKNOWN)
		return a->verdict[who] == VERDICT_GRANTED;
	d = decide(a->dir, dacl, who, resource);
	if (d < 0 || !push_index(&a->touched, &a->ntouched, &a->touched_cap, who))
		return KD_ERR_NOMEM;
	a->verdict[who] = d ? VERDICT_GRANTED : VERDICT_REFUSED;
	if (d && !push_index(granted, ngranted, granted_cap, who))
		return KD_ERR_NOMEM;
	return d;
}

static void
add_pair(struct audit *a, uint32_t resource, uint32_t trustee)
{
	if (a->npairs == a->pairs_cap) {
		size_t cap = a->pairs_cap ? a->pairs_cap * 2 : 64;
		struct trust_pair *p = realloc(a->pairs, cap * sizeof(*p));

		if (!p) {
			a->failed = true;
			return;
		}
		a->pairs = p;
		a->pairs_cap = cap;
	}
	a->pairs[a->npairs].resource = resource;
	a->pairs[a->npairs].trustee = trustee;
	a->npairs++;
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

static void
rule_rbcd(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	const struct kd_acl *dacl;
	json_t *aces = NULL, *effective = NULL, *broad = NULL, *unresolved = NULL, *details;
	char *quoted = NULL, *remedy = NULL;
	uint32_t *granted = NULL;
	size_t ngranted = 0, granted_cap = 0;
	const char *state;
	enum kd_severity severity;

	if (!p->rbcd)
		return; /* absent, or malformed: reported as unparseable-attribute */
	dacl = &p->rbcd->dacl;
	aces = json_array();
	effective = json_array();
	broad = json_array();
	unresolved = json_array();
	quoted = ps_quote(p->dn);
	if (!aces || !effective || !broad || !unresolved || !quoted) {
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
		const char *reason;
		enum ace_class cls;
		uint32_t trustee = KD_NONE;
		json_t *ace_json, *trustee_json = NULL;
		size_t ncandidates = 0, nallowed = 0;
		char mask[16];

		if (!ace_applies(ace, &reason)) {
			cls = ace->flags & KD_ACE_FLAG_INHERIT_ONLY ? ACE_INHERIT_ONLY : ACE_INERT;
		} else if (kd_ace_is_deny(ace->type)) {
			cls = ACE_DENY;
			reason = certain_deny(ace)
					 ? "takes control access away from this trustee for later ACEs"
					 : "conditional deny: applies only when its condition holds, "
					   "so later grants are still counted";
		} else if (is_broad_sid(a->dir, &ace->sid)) {
			/* A broad SID is denied only by an earlier deny of that same SID. */
			cls = earlier_deny_of(dacl, j, &ace->sid) ? ACE_DENIED : ACE_EFFECTIVE;
			reason = cls == ACE_DENIED ? "an earlier deny ACE for the same SID wins"
						   : "broad trustee: nearly every account qualifies";
		} else {
			uint32_t *candidates = NULL;
			uint32_t single;

			trustee = kd_directory_find_sid(a->dir, &ace->sid);
			if (trustee == KD_NONE) {
				/* Deleted, foreign or not in the snapshot: it may still exist, and
				 * only an earlier deny of that same SID is known to stop it. */
				cls = earlier_deny_of(dacl, j, &ace->sid) ? ACE_DENIED : ACE_EFFECTIVE;
				reason = cls == ACE_DENIED ? "an earlier deny ACE for the same SID wins"
							   : "trustee SID not found in the snapshot";
				if (cls == ACE_EFFECTIVE)
					append_new(unresolved, sid_ref(a->dir, &ace->sid, NULL), a);
			} else {
				const struct kd_principal *t = kd_directory_get(a->dir, trustee);

				if (t->kind == KD_KIND_GROUP) {
					ncandidates = kd_directory_expand_group(a->dir, trustee,
										&candidates);
					if (ncandidates == (size_t)-1) {
						a->failed = true;
						goto out;
					}
					/* Members outside the snapshot (foreign principals, other
					 * domains) may hold the grant too: unknown is not "none". */
					size_t outside = group_outside(a, trustee);

					if (outside && !earlier_deny_of(dacl, j, &ace->sid)) {
						json_t *ref = sid_ref(a->dir, &ace->sid, NULL);

						/* null: too widely nested to count, but some */
						set_new(ref, "unresolved_members",
							outside == SIZE_MAX
								? json_null()
								: json_integer((json_int_t)outside),
							a);
						append_new(unresolved, ref, a);
					}
				} else {
					single = trustee;
					candidates = &single;
					ncandidates = 1;
				}
				for (size_t c = 0; c < ncandidates; c++) {
					int d = decided(a, dacl, candidates[c], i, &granted,
							&ngranted, &granted_cap);

					if (d < 0) {
						a->failed = true;
						break;
					}
					nallowed += (size_t)d;
				}
				if (candidates != &single)
					free(candidates);
				cls = ncandidates && !nallowed ? ACE_DENIED : ACE_EFFECTIVE;
				reason = cls == ACE_DENIED
						 ? "every principal it names is denied by an earlier ACE"
					 : t->kind == KD_KIND_GROUP
						 ? "grants control access to the group's members"
						 : "grants control access";
			}
		}
		if (cls == ACE_EFFECTIVE && trustee == KD_NONE && is_broad_sid(a->dir, &ace->sid))
			append_new(broad, sid_ref(a->dir, &ace->sid, NULL), a);
		snprintf(mask, sizeof(mask), "0x%08x", (unsigned)ace->mask);
		trustee_json = ace->known ? sid_ref(a->dir, &ace->sid, NULL) : json_null();
		ace_json = json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:s}", "index", (json_int_t)j,
				     "type",
				     kd_ace_type_name(ace->type) ? kd_ace_type_name(ace->type)
								 : "unknown",
				     "flags", (json_int_t)ace->flags, "mask", mask, "trustee",
				     trustee_json, "class", ace_class_names[cls], "reason", reason);
		if (ace_json && trustee != KD_NONE &&
		    kd_directory_get(a->dir, trustee)->kind == KD_KIND_GROUP)
			set_new(ace_json, "members_granted", json_integer((json_int_t)nallowed), a);
		append_new(aces, ace_json, a);
	}
	for (size_t g = 0; g < ngranted; g++) {
		if (g < LIST_MAX)
			append_new(effective, kd_json_account(a->dir, granted[g]), a);
		add_pair(a, i, granted[g]);
	}
	details = json_pack("{s:s, s:o, s:b, s:I, s:O, s:O, s:O, s:O, s:s}", "state", state,
			    "owner",
			    p->rbcd->has_owner ? sid_ref(a->dir, &p->rbcd->owner, NULL) : json_null(),
			    "dacl_null", p->rbcd->dacl_null, "effective_trustee_count",
			    (json_int_t)ngranted, "effective_trustees", effective, "broad_trustees",
			    broad, "unresolved_trustees", unresolved, "aces", aces, "note",
			    "RBCD always allows protocol transition, and service-name substitution "
			    "extends a ticket for one SPN to every service of this account");
	severity = json_array_size(broad) ? KD_SEV_HIGH
		   : (ngranted || json_array_size(unresolved)) ? KD_SEV_MEDIUM
							       : KD_SEV_INFO;
	remedy = format("Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount $null",
			ps_noun(p), quoted);
	emit(a, "resource-based-delegation", severity, i, "", json_incref(details),
	     format("%zu principal%s may impersonate users to %s%s%s%s", ngranted,
		    ngranted == 1 ? "" : "s", p->name,
		    json_array_size(broad) ? ", plus broad groups" : "",
		    json_array_size(unresolved) ? ", plus unresolved SIDs" : "",
		    p->rbcd_state == KD_RBCD_NULL_DACL ? " (NULL DACL: anyone)"
		    : dacl->count == 0                 ? " (empty DACL: nobody)"
						       : ""),
	     remedy ? strdup(remedy) : NULL);
	if (json_array_size(broad))
		emit(a, "rbcd-broad-trustee", KD_SEV_CRITICAL, i, "",
		     json_pack("{s:s, s:O, s:O}", "state", state, "broad_trustees", broad,
			       "aces", aces),
		     format("RBCD on %s grants %s: any account that qualifies can impersonate "
			    "users to it",
			    p->name,
			    p->rbcd_state == KD_RBCD_NULL_DACL
				    ? "everyone (NULL DACL)"
				    : json_string_value(json_object_get(json_array_get(broad, 0),
									"name"))
					      ? json_string_value(json_object_get(
							json_array_get(broad, 0), "name"))
					      : "a broad group"),
		     remedy ? strdup(remedy) : NULL);
	if (p->tier0 && (ngranted || json_array_size(broad) || json_array_size(unresolved)))
		emit(a, "delegation-to-tier0", KD_SEV_CRITICAL, i, "resource-based",
		     json_pack("{s:s, s:s, s:O}", "delegation", "resource-based", "tier0_reason",
			       p->tier0_reason ? p->tier0_reason : "tier 0", "rbcd", details),
		     format("RBCD is set on tier-0 %s %s (%s)", kind_word(p), p->name,
			    p->tier0_reason ? p->tier0_reason : "tier 0"),
		     remedy ? strdup(remedy) : NULL);
	json_decref(details);
out:
	for (size_t t = 0; t < a->ntouched; t++)
		a->verdict[a->touched[t]] = VERDICT_UNKNOWN;
	a->ntouched = 0;
	free(remedy);
	free(quoted);
	free(granted);
	json_decref(aces);
	json_decref(effective);
	json_decref(broad);
	json_decref(unresolved);
}

/* ---- protocol transition ---- */

static void
rule_protocol_transition(struct audit *a, uint32_t i, const struct kd_principal *p)
{
	json_t *resources;
	size_t nres = 0;
	char *quoted;
	enum kd_severity severity;

	if (!p->has_uac || !(p->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION))
		return;
	/* Every RODC carries the flag by default (UAC 0x05001000) and a DC is tier 0
	 * already; with targets, constrained-delegation reports them. */
	if ((p->kind == KD_KIND_DC || p->kind == KD_KIND_RODC) && !p->ndelegate_to)
		return;
	resources = json_array();
	for (size_t k = 0; resources && k < a->npairs; k++) {
		if (a->pairs[k].trustee != i)
			continue;
		if (nres++ < LIST_MAX)
			append_new(resources, kd_json_account(a->dir, a->pairs[k].resource), a);
	}
	quoted = ps_quote(p->dn);
	severity = p->ndelegate_to || nres ? KD_SEV_HIGH : KD_SEV_MEDIUM;
	if (!p->enabled && severity > KD_SEV_LOW)
		severity--;
	emit(a, "protocol-transition", severity, i, "",
	     json_pack("{s:I, s:I, s:o}", "constrained_targets", (json_int_t)p->ndelegate_to,
		       "rbcd_resources_trusting_it", (json_int_t)nres, "rbcd_resources",
		       resources ? resources : json_null()),
	     p->ndelegate_to
		     ? format("%s can impersonate any unprotected user to its %lu delegation "
			      "target%s without the user's ticket",
			      p->name, (unsigned long)p->ndelegate_to, p->ndelegate_to == 1 ? "" : "s")
		     : format("%s has protocol transition with no constrained targets: its "
			      "forwardable S4U2Self tickets serve toward %zu RBCD resource%s "
			      "that trust it",
			      p->name, nres, nres == 1 ? "" : "s"),
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
	bool pu_effective = level_known && d->functional_level >= 6;
	enum kd_severity severity = p->enabled ? KD_SEV_HIGH : KD_SEV_LOW;
	const char *protection;
	char *quoted;

	/* People and service accounts; machine accounts (DCs above all) are delegable by
	 * design and guarded by the delegation rules instead. */
	if (!p->tier0 || (p->kind != KD_KIND_USER && p->kind != KD_KIND_MSA &&
			  p->kind != KD_KIND_GMSA))
		return;
	if (p->has_uac && (p->uac & KD_UAC_NOT_DELEGATED))
		return;
	if (p->protected_user && pu_effective)
		return;
	if (p->protected_user && !level_known) {
		/* The snapshot does not say whether Protected Users blocks delegation. */
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
	a.failed = !a.verdict;
	/* RBCD first: protocol transition looks up which resources trust each account. */
	for (uint32_t i = 0; i < count && !a.failed; i++)
		rule_rbcd(&a, i, kd_directory_get(dir, i));
	for (uint32_t i = 0; i < count && !a.failed; i++) {
		const struct kd_principal *p = kd_directory_get(dir, i);

		rule_unconstrained(&a, i, p);
		rule_constrained(&a, i, p);
		rule_protocol_transition(&a, i, p);
		rule_privileged_delegable(&a, i, p);
	}
	if (!a.failed)
		rule_duplicate_spns(&a);
	if (!a.failed)
		rule_unparseable(&a);
	free(a.pairs);
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
