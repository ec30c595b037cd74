/* SPDX-License-Identifier: MIT */
/* `kdeleg verify`: the KDC model's steps as checks, with what the admin sees and the fix. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/spn.h"
#include "kdeleg/strbuf.h"
#include "kdeleg/uac.h"
#include "kdeleg/verify.h"

/* msDS-SupportedEncryptionTypes bits (MS-KILE 2.2.7) */
#define ETYPE_DES_CRC 0x01u
#define ETYPE_DES_MD5 0x02u
#define ETYPE_RC4 0x04u
#define ETYPE_AES128 0x08u
#define ETYPE_AES256 0x10u
#define ETYPE_ALL 0x1fu

#define NEAR_MAX 3

/* ---- the errors admins search for ---- */

static const struct kd_error_cause causes[] = {
	{"0xC000015B", "the front end (event log, Kerberos operational log)",
	 "classic delegation: the target SPN is not in the front end's "
	 "msDS-AllowedToDelegateTo (STATUS_NO_MATCH) and RBCD does not trust the front end",
	 "classic: SPN in the front end's targets"},
	{"0xC0000064", "the front end or the client",
	 "the SPN is registered on no account, or on another account than the one the "
	 "service runs as (KDC_ERR_S_PRINCIPAL_UNKNOWN)",
	 "target SPN registered"},
	{"NTLM", "the back end's logon events (authentication package NTLM), or endless 401s",
	 "the name clients use matches no SPN (short name, FQDN or port differs), so "
	 "Negotiate falls back to NTLM silently and nothing can be delegated",
	 "target SPN registered"},
	{"KDC_ERR_BADOPTION", "the front end (STATUS_NO_MATCH)",
	 "the evidence ticket is not forwardable: the user is sensitive or in Protected Users, "
	 "or it came from S4U2Self without protocol transition",
	 "classic: evidence ticket forwardable"},
	{"KDC_ERR_BADOPTION", "the front end (STATUS_NOT_SUPPORTED)",
	 "the front end has no classic targets and RBCD on the back end does not trust it",
	 "classic: SPN in the front end's targets"},
	{"KDC_ERR_BADOPTION", "the front end (STATUS_NOT_FOUND)",
	 "the RBCD access check failed: the back end's "
	 "msDS-AllowedToActOnBehalfOfOtherIdentity does not grant the front end's token "
	 "control access (or its descriptor does not parse: the KDC fails closed)",
	 "front end granted control access"},
	{"KDC_ERR_BADOPTION", "the front end (STATUS_ACCOUNT_RESTRICTION)",
	 "the user cannot be delegated: NOT_DELEGATED, or Protected Users at functional "
	 "level 2012 R2 and above",
	 "user not marked sensitive"},
	{"KDC_ERR_CLIENT_REVOKED", "the front end (0xC0000072, STATUS_ACCOUNT_DISABLED)",
	 "the user or the front end's account is disabled", "user account enabled"},
	{"KDC_ERR_POLICY", "the front end, at S4U2Self (Samba: \"Principal may not act as client\")",
	 "the impersonated user's account is disabled or may not log on", "user account enabled"},
	{"KDC_ERR_S_PRINCIPAL_UNKNOWN", "the front end or the client (0xC0000064)",
	 "the SPN is registered on no account, or the front end has no SPN of its own",
	 "target SPN registered"},
	{"KDC_ERR_PRINCIPAL_NOT_UNIQUE", "the KDC (event 11), clients falling back to NTLM",
	 "the SPN is registered on more than one account", "target SPN registered"},
	{"KDC_ERR_ETYPE_NOSUPP", "the front end or the client",
	 "the front end, the back end and the user share no encryption type (DES-only or "
	 "RC4 disabled on one side)",
	 "encryption types shared"},
};

/* "0xC000015B", "c000015b" and "C000015B" are one code; names compare as written. */
static bool
code_matches(const char *want, const char *have)
{
	if (strncasecmp(want, "0x", 2) == 0)
		want += 2;
	if (strncasecmp(have, "0x", 2) == 0)
		have += 2;
	return strcasecmp(want, have) == 0;
}

/* Whether @text names @code among its words: "STATUS_NOT_FOUND", "0xC0000072"... */
static bool
names_in(const char *text, const char *code)
{
	for (const char *w = text; *w; w++) {
		char word[64];
		size_t len = 0;

		if (w != text && (w[-1] == '_' || (w[-1] >= '0' && w[-1] <= '9') ||
				  (w[-1] >= 'A' && w[-1] <= 'Z') || (w[-1] >= 'a' && w[-1] <= 'z')))
			continue;
		while (len + 1 < sizeof(word) &&
		       (w[len] == '_' || (w[len] >= '0' && w[len] <= '9') ||
			(w[len] >= 'A' && w[len] <= 'Z') || (w[len] >= 'a' && w[len] <= 'z')))
			word[len] = w[len], len++;
		word[len] = '\0';
		if (len > 2 && (strncmp(word, "STATUS_", 7) == 0 || strncasecmp(word, "0x", 2) == 0) &&
		    code_matches(code, word))
			return true;
	}
	return false;
}

size_t
kd_verify_explain(const char *code, const struct kd_error_cause **ret, size_t max)
{
	size_t n = 0;

	for (size_t k = 0; k < sizeof(causes) / sizeof(*causes); k++) {
		if (!code_matches(code, causes[k].code) && !names_in(causes[k].seen, code))
			continue;
		if (n < max)
			ret[n] = &causes[k];
		n++;
	}
	return n;
}

size_t
kd_verify_causes(const struct kd_error_cause **ret)
{
	*ret = causes;
	return sizeof(causes) / sizeof(*causes);
}

/* ---- accounts by the names people use ---- */

/* @index when it is an account (a front end or a user), KD_NONE for a group, a foreign
 * principal or nothing: neither asks for tickets. */
static uint32_t
is_account(const struct kd_directory *dir, uint32_t index)
{
	const struct kd_principal *p = kd_directory_get(dir, index);

	return p && p->kind != KD_KIND_GROUP && p->kind != KD_KIND_FOREIGN ? index : KD_NONE;
}

uint32_t
kd_verify_find_account(const struct kd_directory *dir, const char *name)
{
	struct kd_sid sid;
	uint32_t found = KD_NONE;
	size_t len = strlen(name);

	if (kd_sid_from_string(name, &sid, NULL) == 0)
		return is_account(dir, kd_directory_find_sid(dir, &sid));
	if (strchr(name, '='))
		return is_account(dir, kd_directory_find_dn(dir, name));
	for (int pass = 0; pass < 2 && found == KD_NONE; pass++) {
		for (size_t i = 0; i < kd_directory_count(dir); i++) {
			const struct kd_principal *p = kd_directory_get(dir, (uint32_t)i);
			bool match = pass == 0 ? strcasecmp(p->name, name) == 0
					       : strncasecmp(p->name, name, len) == 0 &&
							 p->name[len] == '$' && !p->name[len + 1];

			if (!match || is_account(dir, (uint32_t)i) == KD_NONE)
				continue;
			if (found != KD_NONE)
				return KD_NONE; /* ambiguous: ask for the DN or SID */
			found = (uint32_t)i;
		}
	}
	return found;
}

/* ---- building the result ---- */

struct build {
	const struct kd_directory *dir;
	struct kd_verify_result *r;
	bool failed;
};


static struct kd_verify_check *
find_check(struct kd_verify_result *r, const char *name)
{
	for (size_t k = 0; k < r->nchecks; k++)
		if (strcmp(r->checks[k].name, name) == 0)
			return &r->checks[k];
	return NULL;
}

/* Appends a check with @detail (taken) ; past the table's end the check is dropped
 * and the build fails: a verify result must never lose a check silently. */
static struct kd_verify_check *
add_check(struct build *b, const char *name, enum kd_verdict outcome, const char *error,
	  char *detail)
{
	struct kd_verify_check *c;

	if (!detail || b->r->nchecks == KD_VERIFY_CHECKS_MAX) {
		free(detail);
		b->failed = true;
		return NULL;
	}
	c = &b->r->checks[b->r->nchecks++];
	c->name = name;
	c->outcome = outcome;
	c->error = error;
	c->detail = detail;
	c->fix = NULL;
	return c;
}

/* A decision's steps as checks, in order; a check already made keeps its first answer. */
static void
add_steps(struct build *b, const struct kd_decision *d)
{
	for (size_t k = 0; k < d->nsteps; k++) {
		const struct kd_step *s = &d->steps[k];

		if (find_check(b->r, s->check))
			continue;
		add_check(b, s->check, s->outcome, s->outcome == KD_VERDICT_YES ? NULL : s->error,
			  strdup(s->why));
	}
}

/* The length of @spn's first host label (its short name). */
static size_t
short_name_len(const struct kd_spn *spn)
{
	size_t n = 0;

	while (n < spn->host_len && spn->host[n] != '.')
		n++;
	return n;
}

/* The same service on the same host, by short name, FQDN or another port: the same
 * class, or @alias (HOST/ serving it through sPNMappings: http -> host). */
static bool
same_service(const struct kd_spn *want, const char *alias, const char *have_text)
{
	struct kd_spn have;
	size_t label = short_name_len(want);

	if (kd_spn_parse(have_text, strlen(have_text), &have, NULL) < 0)
		return false;
	if ((have.service_class_len != want->service_class_len ||
	     strncasecmp(have.service_class, want->service_class, want->service_class_len)) &&
	    !(alias && strlen(alias) == have.service_class_len &&
	      strncasecmp(have.service_class, alias, have.service_class_len) == 0))
		return false;
	return short_name_len(&have) == label && strncasecmp(have.host, want->host, label) == 0;
}

/* Adds @text to @ret (up to @max, each once); returns the new count. */
static size_t
add_near(const char **ret, size_t n, size_t max, const char *text)
{
	for (size_t k = 0; k < n; k++)
		if (strcasecmp(ret[k], text) == 0)
			return n;
	if (n < max)
		ret[n++] = text;
	return n;
}

/* Registered SPNs that clients probably meant: the same service by another name. */
static size_t
near_spns(const struct kd_directory *dir, const char *spn_text, const char **ret, size_t max)
{
	const struct kd_spn_holder *holders;
	size_t nholders = kd_directory_spn_holders(dir, &holders), n = 0;
	struct kd_spn want;
	const char *alias;

	if (kd_spn_parse(spn_text, strlen(spn_text), &want, NULL) < 0)
		return 0;
	alias = kd_spnmap_target(kd_directory_spnmap(dir), want.service_class,
				 want.service_class_len);
	for (size_t h = 0; h < nholders && n < max; h++)
		if (!holders[h].implicit && same_service(&want, alias, holders[h].spn))
			n = add_near(ret, n, max, holders[h].spn);
	return n;
}

/* The front end's targets that name @spn_text's service otherwise (short name vs FQDN,
 * port): the KDC compares them exactly. */
static size_t
near_targets(const struct kd_principal *f, const char *spn_text, const char **ret, size_t max)
{
	struct kd_spn want;
	size_t n = 0;

	if (kd_spn_parse(spn_text, strlen(spn_text), &want, NULL) < 0)
		return 0;
	for (uint32_t k = 0; k < f->ndelegate_to && n < max; k++)
		if (same_service(&want, NULL, f->delegate_to[k]))
			n = add_near(ret, n, max, f->delegate_to[k]);
	return n;
}

/* Appends "; @label: a, b, c (@why)" to check @name's detail. */
static void
append_near(struct build *b, const char *name, const char *label, const char **near, size_t n,
	    const char *why)
{
	struct kd_verify_check *c = find_check(b->r, name);
	char *more;

	if (!c || !n)
		return;
	more = kd_format("%s; %s: %s%s%s%s%s (%s)", c->detail, label, near[0], n > 1 ? ", " : "",
			 n > 1 ? near[1] : "", n > 2 ? ", " : "", n > 2 ? near[2] : "", why);
	if (!more) {
		b->failed = true;
		return;
	}
	free(c->detail);
	c->detail = more;
}

/* True when @spn's host is a DNS name outside the domain @dns (classic cannot go there). */
static bool
other_domain(const char *spn_text, const char *dns)
{
	struct kd_spn spn;
	size_t dlen;

	if (!dns || kd_spn_parse(spn_text, strlen(spn_text), &spn, NULL) < 0 ||
	    !memchr(spn.host, '.', spn.host_len))
		return false;
	dlen = strlen(dns);
	if (spn.host_len == dlen && strncasecmp(spn.host, dns, dlen) == 0)
		return false;
	return !(spn.host_len > dlen + 1 && spn.host[spn.host_len - dlen - 1] == '.' &&
		 strncasecmp(spn.host + spn.host_len - dlen, dns, dlen) == 0);
}

static void
etype_names(uint32_t types, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {{ETYPE_DES_CRC, "DES-CBC-CRC"}, {ETYPE_DES_MD5, "DES-CBC-MD5"},
		     {ETYPE_RC4, "RC4"},             {ETYPE_AES128, "AES128"},
		     {ETYPE_AES256, "AES256"}};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++)
		if (types & names[k].bit)
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", o ? "," : "",
					      names[k].name);
	if (!o)
		snprintf(buf, size, "none");
}

/* The encryption types the three accounts share, as far as they say (unset: the
 * KDC's default, which the directory does not show). */
static void
check_etypes(struct build *b)
{
	const struct kd_verify_result *r = b->r;
	const uint32_t who[3] = {r->frontend, r->backend, r->user};
	uint32_t shared = ETYPE_ALL;
	size_t nset = 0;
	char names[96], *detail;
	enum kd_verdict outcome = KD_VERDICT_YES;
	const char *problem = "";

	for (size_t k = 0; k < 3; k++) {
		const struct kd_principal *p = kd_directory_get(b->dir, who[k]);

		if (p && p->has_enc_types && (p->enc_types & ETYPE_ALL)) {
			shared &= p->enc_types;
			nset++;
		}
	}
	if (!nset) {
		add_check(b, "encryption types shared", KD_VERDICT_UNCERTAIN, NULL,
			  strdup("no account sets msDS-SupportedEncryptionTypes: the KDC's defaults "
				 "apply (the directory does not show them)"));
		return;
	}
	etype_names(shared, names, sizeof(names));
	if (!(shared & ETYPE_ALL)) {
		outcome = KD_VERDICT_NO;
		problem = ": none in common";
	} else if (!(shared & (ETYPE_RC4 | ETYPE_AES128 | ETYPE_AES256))) {
		outcome = KD_VERDICT_NO;
		problem = ": DES only, which current Windows KDCs refuse";
	} else if (!(shared & (ETYPE_AES128 | ETYPE_AES256))) {
		problem = ": RC4 only (weak, and refused where RC4 is disabled)";
	}
	detail = kd_format("shared by the %zu account%s that set msDS-SupportedEncryptionTypes: %s%s",
		      nset, nset == 1 ? "" : "s", names, problem);
	add_check(b, "encryption types shared", outcome,
		  outcome == KD_VERDICT_NO ? "KDC_ERR_ETYPE_NOSUPP" : NULL, detail);
	if (outcome == KD_VERDICT_NO) { /* no ticket can be encrypted for them all */
		b->r->verdict = KD_VERDICT_NO;
		b->r->mechanism = NULL;
	}
}

/* ---- fixes, only where the delegation does not work ---- */

static char *
fix_for(const struct build *b, const struct kd_verify_check *c)
{
	const struct kd_verify_result *r = b->r;
	const struct kd_principal *f = kd_directory_get(b->dir, r->frontend);
	const struct kd_principal *back = kd_directory_get(b->dir, r->backend);
	const struct kd_principal *u = kd_directory_get(b->dir, r->user);
	char *qf = kd_ps_quote(f->dn), *qspn = kd_ps_quote(r->spn);
	char *qb = back ? kd_ps_quote(back->dn) : NULL, *qu = u ? kd_ps_quote(u->dn) : NULL;
	char *fix = NULL;
	const char *n = c->name;

	if (!qf || !qspn || (back && !qb) || (u && !qu))
		goto out;
	if (strcmp(n, "front end enabled") == 0)
		fix = kd_format("Enable-ADAccount -Identity %s", qf);
	else if (strcmp(n, "user account enabled") == 0 && qu)
		fix = kd_format("Enable-ADAccount -Identity %s", qu);
	else if (strcmp(n, "user not marked sensitive") == 0 && qu)
		fix = kd_format("# the user is marked sensitive, usually on purpose (privileged "
			   "accounts); only if it must be delegated:\n"
			   "Set-ADAccountControl -Identity %s -AccountNotDelegated $false",
			   qu);
	else if (strcmp(n, "user not protected by Protected Users") == 0 && qu)
		fix = kd_format("# only if the user is not privileged:\n"
			   "Remove-ADGroupMember -Identity 'Protected Users' -Members %s",
			   qu);
	else if (strcmp(n, "front end has an SPN of its own") == 0)
		fix = kd_format("setspn -S HTTP/<the front end's host name> %s", qf);
	else if (strcmp(n, "target SPN registered") == 0)
		fix = kd_format("setspn -S %s <the account the back-end service runs as>", qspn);
	else if (strcmp(n, "target in this domain") == 0)
		fix = kd_format("# classic delegation cannot leave the domain; on the back end, in its "
			   "own domain:\nSet-ADComputer -Identity <back end> "
			   "-PrincipalsAllowedToDelegateToAccount (Get-ADComputer %s)",
			   qf);
	else if (strcmp(n, "classic: SPN in the front end's targets") == 0)
		fix = back ? kd_format("Set-ADObject -Identity %s -Add @{'msDS-AllowedToDelegateTo'=%s}\n"
				  "# or resource-based, on the back end (replaces its list):\n"
				  "Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount "
				  "(Get-ADObject %s)",
				  qf, qspn, kd_kind_ps_noun(back->kind), qb, qf)
			   : kd_format("Set-ADObject -Identity %s -Add @{'msDS-AllowedToDelegateTo'=%s}",
				  qf, qspn);
	else if ((strcmp(n, "classic: evidence ticket forwardable") == 0 ||
		  strcmp(n, "S4U2Self ticket forwardable") == 0) &&
		 !(f->has_uac && (f->uac & KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION)))
		fix = kd_format("Set-ADAccountControl -Identity %s -TrustedToAuthForDelegation $true"
			   "  # protocol transition; or trust the front end by RBCD on the back end",
			   qf);
	else if ((strcmp(n, "front end granted control access") == 0 ||
		  strcmp(n, "back end trusts front ends (RBCD)") == 0 ||
		  strcmp(n, "back end's descriptor unmarshals") == 0) &&
		 back)
		fix = kd_format("Set-%s -Identity %s -PrincipalsAllowedToDelegateToAccount "
			   "(Get-ADObject %s)  # replaces the list: name every front end it needs",
			   kd_kind_ps_noun(back->kind), qb, qf);
	else if (strcmp(n, "encryption types shared") == 0)
		fix = kd_format("Set-ADComputer (or Set-ADUser) -Identity <each account> "
			   "-KerberosEncryptionType AES128,AES256");
out:
	free(qf);
	free(qspn);
	free(qb);
	free(qu);
	return fix;
}

int
kd_verify(struct kd_kdc *kdc, const struct kd_directory *dir, uint32_t frontend,
	  const char *spn, uint32_t user, enum kd_verify_protocol protocol,
	  struct kd_verify_result *ret, struct kd_error *err)
{
	const struct kd_principal *f = kd_directory_get(dir, frontend);
	struct build b = {.dir = dir, .r = ret};
	struct kd_decision self, proxy;
	bool evidence = true, has_spn = f->nspns > 0;
	uint32_t holders[1];
	bool via_alias;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->frontend = frontend;
	ret->user = user;
	ret->spn = spn;
	ret->protocol = protocol;
	ret->verdict = KD_VERDICT_NO;
	ret->backend = kd_directory_find_spn(dir, spn, holders, 1, &via_alias) ? holders[0]
									       : KD_NONE;
	/* A service asks S4U2Self and S4U2Proxy, and users ask tickets to it, by SPN. */
	add_check(&b, "front end has an SPN of its own", has_spn ? KD_VERDICT_YES : KD_VERDICT_NO,
		  has_spn ? NULL : "KDC_ERR_S_PRINCIPAL_UNKNOWN",
		  has_spn ? kd_format("%s has %lu SPN%s, e.g. %s", f->name, (unsigned long)f->nspns,
				 f->nspns == 1 ? "" : "s", f->spns[0])
			  : kd_format("%s has no servicePrincipalName: clients cannot get a ticket to "
				 "it and it cannot ask for S4U2Self (SPN-less RBCD works only "
				 "through U2U, which Windows clients do not use)",
				 f->name));
	if (protocol == KD_VERIFY_ANY) {
		if ((r = kd_kdc_s4u2self(kdc, frontend, user, &self)) < 0)
			goto nomem;
		add_steps(&b, &self);
		evidence = self.forwardable;
		if (self.verdict == KD_VERDICT_NO)
			goto finish;
	}
	if ((r = kd_kdc_s4u2proxy(kdc, frontend, user, spn, evidence, &proxy)) < 0)
		goto nomem;
	add_steps(&b, &proxy);
	ret->verdict = proxy.verdict;
	ret->mechanism = proxy.mechanism;
	/* the user's protection may be uncertain at S4U2Self already */
	if (protocol == KD_VERIFY_ANY && self.verdict == KD_VERDICT_UNCERTAIN &&
	    ret->verdict == KD_VERDICT_YES)
		ret->verdict = KD_VERDICT_UNCERTAIN;
	/* the SPN clients use, when it is registered nowhere */
	if (ret->backend == KD_NONE) {
		const char *near[NEAR_MAX];

		append_near(&b, "target SPN registered", "registered instead", near,
			    near_spns(dir, spn, near, NEAR_MAX),
			    "short name, FQDN and port must match what clients use, or Negotiate "
			    "falls back to NTLM");
		if (other_domain(spn, kd_directory_domain(dir)->dns_name))
			add_check(&b, "target in this domain", KD_VERDICT_NO, NULL,
				  kd_format("%s names a host outside %s: classic delegation cannot "
				       "cross domains; resource-based delegation on the back end "
				       "can, and this snapshot cannot see it",
				       spn, kd_directory_domain(dir)->dns_name));
	}
	{
		const char *near[NEAR_MAX];
		const struct kd_verify_check *c =
			find_check(ret, "classic: SPN in the front end's targets");

		if (c && c->outcome == KD_VERDICT_NO)
			append_near(&b, c->name, "listed instead", near,
				    near_targets(f, spn, near, NEAR_MAX),
				    "the KDC compares the name exactly");
	}
	if (protocol == KD_VERIFY_ANY && ret->mechanism &&
	    strcmp(ret->mechanism, "resource-based") == 0)
		add_check(&b, "back end accepts a service-asserted identity", KD_VERDICT_UNCERTAIN,
			  NULL,
			  strdup("the user's ticket carries S-1-18-2 (identity asserted by a "
				 "service): a back end that refuses it by local policy (\"Deny "
				 "access to this computer from the network\", ACLs) refuses the "
				 "user although the KDC issued the ticket; the directory cannot "
				 "show that policy"));
finish:
	if (!has_spn) {
		ret->verdict = KD_VERDICT_NO;
		ret->mechanism = NULL;
	}
	check_etypes(&b);
	if (ret->verdict != KD_VERDICT_YES)
		for (size_t k = 0; k < ret->nchecks; k++)
			if (ret->checks[k].outcome == KD_VERDICT_NO)
				ret->checks[k].fix = fix_for(&b, &ret->checks[k]);
	if (b.failed)
		goto nomem;
	return 0;
nomem:
	kd_verify_free(ret);
	return kd_error_set(err, KD_ERR_NOMEM, "out of memory while verifying");
}

void
kd_verify_free(struct kd_verify_result *result)
{
	if (!result)
		return;
	for (size_t k = 0; k < result->nchecks; k++) {
		free(result->checks[k].detail);
		free(result->checks[k].fix);
	}
	result->nchecks = 0;
}
