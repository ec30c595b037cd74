/* SPDX-License-Identifier: MIT */
/* The rule catalogue: one table for the audit, `kdeleg rules` and docs/rules.md. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "kdeleg/analyze.h"

static const struct kd_rule rules[KD_RULE_COUNT] = {
	[KD_RULE_UNCONSTRAINED_DELEGATION] = {
		.id = "unconstrained-delegation",
		.severity = KD_SEV_CRITICAL,
		.title = "Unconstrained delegation outside the domain controllers",
		.meaning = "The account has TRUSTED_FOR_DELEGATION (userAccountControl 0x80000): "
			   "every delegable user who authenticates to one of its services hands "
			   "it a forwardable TGT, which it may use anywhere in the forest (not "
			   "users marked sensitive, nor, at functional level 2012 R2 and above, "
			   "members of Protected Users).",
		.why = "Whoever controls the account (or its host) collects the TGTs of everyone "
		       "who connects, and can coerce a domain controller to connect (printer bug, "
		       "PetitPotam) to obtain a DC's TGT and replicate every secret. Disabled "
		       "accounts are reported too: re-enabling one restores the exposure.",
		.fix = "Clear the flag; where the service must delegate, configure constrained or "
		       "resource-based delegation to the exact services it needs.",
		.attack = {"T1558", "T1187", "T1550.003"},
		.tactics = {"TA0006", "TA0008"},
		.reference = "https://learn.microsoft.com/windows-server/security/"
			     "kerberos/kerberos-constrained-delegation-overview",
		.references = {"MS-ADTS 2.2.16", "MS-SFU 1.3"},
	},
	[KD_RULE_CONSTRAINED_DELEGATION] = {
		.id = "constrained-delegation",
		.severity = KD_SEV_MEDIUM,
		.title = "Constrained delegation (msDS-AllowedToDelegateTo)",
		.meaning = "The account may obtain service tickets on behalf of users (S4U2Proxy) "
			   "to the listed SPNs; each is resolved to the account that owns it.",
		.why = "The service name in a ticket is not protected, so delegation to one SPN "
		       "reaches every service that runs as the owning account (an MSSQLSvc SPN on "
		       "a service user reaches that user's services, a HOST SPN reaches every "
		       "HOST alias and explicit SPN of that computer).",
		.fix = "Remove the targets the service does not need; prefer resource-based "
		       "delegation configured on the target.",
		.attack = {"T1558", "T1550.003"},
		.tactics = {"TA0006", "TA0008"},
		.reference = "https://learn.microsoft.com/windows/win32/adschema/"
			     "a-msds-allowedtodelegateto",
		.references = {"MS-SFU 3.2.5.2", "MS-ADA2 2.219"},
	},
	[KD_RULE_PROTOCOL_TRANSITION] = {
		.id = "protocol-transition",
		.severity = KD_SEV_HIGH,
		.title = "Protocol transition: can impersonate any user without their ticket",
		.meaning = "TRUSTED_TO_AUTH_FOR_DELEGATION (0x1000000) lets the account ask the "
			   "KDC for a forwardable ticket to itself for any user (S4U2Self) and "
			   "use it for constrained delegation.",
		.why = "Whoever controls the account impersonates any delegable user to every "
		       "service it may delegate to, without that user logging on. Without "
		       "targets the flag does nothing yet; it never adds anything toward RBCD, "
		       "which accepts non-forwardable S4U2Self tickets anyway. Reported on a "
		       "writable DC (not set by default there); the RODC default is not reported.",
		.fix = "Clear the flag unless the service really accepts non-Kerberos logons; "
		       "mark privileged users as sensitive.",
		.attack = {"T1558", "T1134", "T1550.003"},
		.tactics = {"TA0004", "TA0008"},
		.reference = "https://learn.microsoft.com/openspecs/windows_protocols/"
			     "ms-sfu/3bff5864-8135-400e-bdd9-33b552051d94",
		.references = {"MS-SFU 3.2.5.1", "MS-ADTS 2.2.16"},
	},
	[KD_RULE_RESOURCE_BASED_DELEGATION] = {
		.id = "resource-based-delegation",
		.severity = KD_SEV_MEDIUM,
		.title = "Resource-based constrained delegation "
			 "(msDS-AllowedToActOnBehalfOfOtherIdentity)",
		.meaning = "The account's RBCD descriptor lets the trustees it grants control "
			   "access (0x100) impersonate users to its services. Each ACE is "
			   "evaluated as the KDC does: effective, inert, denied or inherit-only.",
		.why = "RBCD always allows protocol transition, so every effective trustee can "
		       "impersonate any unprotected user to every service of this account.",
		.fix = "Keep only the front-end services that must delegate here; remove the "
		       "descriptor when no delegation is intended.",
		.attack = {"T1558", "T1134", "T1550.003"},
		.tactics = {"TA0004", "TA0008"},
		.reference = "https://learn.microsoft.com/windows/win32/adschema/"
			     "a-msds-allowedtoactonbehalfofotheridentity",
		.references = {"MS-SFU 3.2.5.2.3", "MS-ADA2 2.218", "MS-DTYP 2.4.6"},
	},
	[KD_RULE_RBCD_BROAD_TRUSTEE] = {
		.id = "rbcd-broad-trustee",
		.severity = KD_SEV_CRITICAL,
		.title = "RBCD granted to a broad group",
		.meaning = "The RBCD descriptor grants a group that almost any account belongs "
			   "to (Everyone, Authenticated Users, Domain Users, Domain Computers...) "
			   "or has a NULL DACL.",
		.why = "Whoever controls any qualifying account (and, where "
		       "ms-DS-MachineAccountQuota is above 0, any user by creating a computer) "
		       "can impersonate any delegable user, administrators included, to this "
		       "account's services.",
		.fix = "Replace the broad trustee with the specific front-end accounts.",
		.attack = {"T1558", "T1134", "T1136.002"},
		.tactics = {"TA0004", "TA0003"},
		.reference = "https://learn.microsoft.com/windows/win32/adschema/"
			     "a-msds-allowedtoactonbehalfofotheridentity",
		.references = {"MS-DTYP 2.4.6 (NULL DACL)", "KB 243327 (MachineAccountQuota)",
				"https://learn.microsoft.com/troubleshoot/windows-server/"
				"active-directory/default-workstation-numbers-join-domain"},
	},
	[KD_RULE_DELEGATION_TO_TIER0] = {
		.id = "delegation-to-tier0",
		.severity = KD_SEV_CRITICAL,
		.title = "Delegation to a tier-0 account",
		.meaning = "Constrained delegation to an SPN owned by a tier-0 account (a domain "
			   "controller, krbtgt, an administrator), or RBCD set on a tier-0 "
			   "account.",
		.why = "Impersonating a user to a domain controller's services (ldap, cifs, "
		       "host...) is control of the domain; a ticket to krbtgt is a TGT.",
		.fix = "Remove the delegation; nothing outside tier 0 should delegate to it.",
		.attack = {"T1558", "T1550.003", "T1003.006"},
		.tactics = {"TA0004", "TA0006"},
		.reference = "https://learn.microsoft.com/windows-server/security/"
			     "kerberos/kerberos-constrained-delegation-overview",
		.references = {"MS-SFU 3.2.5.2"},
	},
	[KD_RULE_DELEGATION_CHAIN] = {
		.id = "delegation-chain",
		.severity = KD_SEV_CRITICAL,
		.title = "Chain of delegation from outside tier 0 to tier 0",
		.meaning = "Principals outside tier 0 (accounts, groups, SIDs the snapshot does not "
			   "resolve, any authenticated user, a computer any user can create) reach "
			   "a tier-0 account or the domain through a chain of hops: membership, "
			   "sIDHistory, constrained delegation to an SPN's owner, RBCD, write "
			   "access to an RBCD attribute, unconstrained delegation. Each principal's "
			   "shortest chain is given hop by hop with its evidence; chains that share "
			   "their suffix from the first delegation hop on are one finding.",
		.why = "Findings on single settings say what is configured; a chain says what an "
		       "attacker who owns one account reaches. Impersonation counts as control of "
		       "a computer when one of its administrators can be delegated (a domain "
		       "controller's own account, almost always); unconstrained delegation "
		       "assumes a DC can be coerced to authenticate, which LDAP cannot show. "
		       "Critical when the chain needs nothing and has at most 3 hops; lower "
		       "when it is longer, needs a created computer or SPN-less RBCD, a user's "
		       "forwardable ticket, or a conditional or uncertain answer.",
		.fix = "Break each chain at the hop the finding groups on (the remediation names "
		       "it), or protect the administrators it impersonates (sensitive, "
		       "Protected Users); kdeleg paths --from ACCOUNT shows one account's chain.",
		.attack = {"T1558", "T1550.003", "T1098", "T1187"},
		.tactics = {"TA0004", "TA0008"},
		.reference = "https://attack.mitre.org/techniques/T1558/",
		.references = {"MS-SFU 3.2.5", "MS-ADTS 5.1.3.3", "MS-DTYP 2.5.3.2"},
	},
	[KD_RULE_DUPLICATE_SPN] = {
		.id = "duplicate-spn",
		.severity = KD_SEV_MEDIUM,
		.title = "SPN held by more than one account",
		.meaning = "Two accounts register the same SPN (case-insensitively), or one "
			   "registers an alias that HOST/ on another account already implies.",
		.why = "Two explicit holders: the KDC cannot tell which key to use (event 11, "
		       "KDC_ERR_PRINCIPAL_NOT_UNIQUE), so authentication fails or falls back to "
		       "NTLM. An alias against HOST/: the explicit SPN deterministically wins, so "
		       "the HOST account's service of that class is silently unreachable by "
		       "Kerberos and delegation to the SPN reaches the other account.",
		.fix = "Remove the SPN from the account that should not hold it (setspn -D); "
		       "find them all with setspn -X.",
		.attack = {NULL},
		.tactics = {NULL},
		.reference = "https://support.microsoft.com/help/5008382",
		.references = {"MS-ADTS 3.1.1.5.1.3", "KB5008382"},
	},
	[KD_RULE_ORPHAN_DELEGATION_TARGET] = {
		.id = "orphan-delegation-target",
		.severity = KD_SEV_LOW,
		.title = "Delegation target that no account holds",
		.meaning = "An msDS-AllowedToDelegateTo entry names an SPN that no account in "
			   "the snapshot registers, directly or through a HOST alias.",
		.why = "The delegation does nothing today, but whoever can register that SPN on "
		       "an account they control inherits it.",
		.fix = "Remove the stale entry, or register the SPN on the intended account.",
		.attack = {"T1098"},
		.tactics = {"TA0003", "TA0004"},
		.reference = "https://learn.microsoft.com/windows/win32/adschema/"
			     "a-msds-allowedtodelegateto",
		.references = {"MS-ADA2 2.219"},
	},
	[KD_RULE_PRIVILEGED_DELEGABLE] = {
		.id = "privileged-delegable",
		.severity = KD_SEV_HIGH,
		.title = "Privileged account can be delegated",
		.meaning = "A tier-0 account is neither marked sensitive (NOT_DELEGATED) nor a "
			   "member of Protected Users (effective at domain functional level "
			   "2012 R2 and above).",
		.why = "Any service with delegation rights can impersonate it, so one "
		       "compromised front end is one step from domain administration.",
		.fix = "Set 'Account is sensitive and cannot be delegated' or add the account to "
		       "Protected Users (not for service or computer accounts).",
		.attack = {"T1558", "T1550.003"},
		.tactics = {"TA0006", "TA0008"},
		.reference = "https://learn.microsoft.com/windows-server/security/"
			     "credentials-protection-and-management/"
			     "protected-users-security-group",
		.references = {"MS-ADTS 2.2.16", "MS-SFU 3.2.5.1.2"},
	},
	[KD_RULE_RBCD_WRITABLE] = {
		.id = "rbcd-writable",
		.severity = KD_SEV_HIGH,
		.title = "Principal outside tier 0 can configure RBCD on an account",
		.meaning = "The account takes service tickets (it holds an SPN, or it is a "
			   "computer, DC, managed service account or krbtgt) and its owner or "
			   "DACL lets a principal outside tier 0 write "
			   "msDS-AllowedToActOnBehalfOfOtherIdentity: WRITE_PROPERTY on the "
			   "attribute, on the User-Account-Restrictions property set or on all "
			   "properties, GENERIC_WRITE, GENERIC_ALL, WRITE_DAC, WRITE_OWNER, or "
			   "ownership, on an ACE that applies to the object and is not taken "
			   "away by an earlier deny.",
		.why = "This is how RBCD is abused most often: the writer trusts an account it "
		       "controls (any SPN holder, or a computer it creates while "
		       "ms-DS-MachineAccountQuota is above 0) and impersonates any delegable "
		       "user, administrators included, to this account's services. Critical on "
		       "a domain controller or krbtgt. An account without a service is left "
		       "out: nobody gets a ticket to it, so impersonation to it gains nothing.",
		.fix = "Remove the ACE (or change the owner to Domain Admins); delegate only the "
		       "rights the writer needs, never on the RBCD attribute.",
		.attack = {"T1098", "T1558", "T1550.003"},
		.tactics = {"TA0004", "TA0003"},
		.reference = "https://learn.microsoft.com/windows/win32/adschema/"
			     "a-msds-allowedtoactonbehalfofotheridentity",
		.references = {"MS-ADTS 5.1.3.3",
				"MS-DTYP 2.5.3.2",
				"MS-ADA2 2.218 (attributeSecurityGUID User-Account-Restrictions)"},
	},
	[KD_RULE_MACHINE_ACCOUNT_QUOTA] = {
		.id = "machine-account-quota",
		.severity = KD_SEV_MEDIUM,
		.title = "Any user can create computer accounts",
		.meaning = "ms-DS-MachineAccountQuota on the domain is above 0 (AD's default is "
			   "10): every authenticated user may create that many computer "
			   "accounts, each with SPNs and a password the user knows.",
		.why = "A created computer is a ready front end for RBCD: any RBCD write right, "
		       "or an RBCD descriptor trusting Domain Computers, becomes usable by every "
		       "user.",
		.fix = "Set ms-DS-MachineAccountQuota to 0 and delegate computer creation to "
		       "the people who join machines.",
		.attack = {"T1136.002", "T1098"},
		.tactics = {"TA0003", "TA0004"},
		.reference = "https://learn.microsoft.com/troubleshoot/windows-server/"
			     "active-directory/default-workstation-numbers-join-domain",
		.references = {"MS-ADA2 2.62", "KB 243327"},
	},
	[KD_RULE_TRUST_TGT_DELEGATION] = {
		.id = "trust-tgt-delegation",
		.severity = KD_SEV_HIGH,
		.title = "Trust that lets TGTs be delegated across the forest boundary",
		.meaning = "A trustedDomain object carries CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION "
			   "(trustAttributes 0x800): TGTs of the other forest's users are "
			   "delegated to this forest's accounts with unconstrained delegation.",
		.why = "Whoever controls one unconstrained host (or a DC) can coerce the other "
		       "forest's DCs to authenticate and capture their TGTs: the forest "
		       "boundary stops being a security boundary.",
		.fix = "Disable TGT delegation on the trust (netdom trust ... "
		       "/EnableTgtDelegation:No) unless a documented service needs it.",
		.attack = {"T1187", "T1558", "T1550.003"},
		.tactics = {"TA0006", "TA0008"},
		.reference = "https://support.microsoft.com/help/4490425",
		.references = {"MS-ADTS 6.1.6.7.9", "KB 4490425"},
	},
	[KD_RULE_STALE_ADMINCOUNT] = {
		.id = "stale-admincount",
		.severity = KD_SEV_INFO,
		.title = "adminCount=1 without privileged membership",
		.meaning = "The account carries adminCount=1 but is in no tier-0 group now: "
			   "SDProp set it once and never clears it.",
		.why = "Not privilege: tools that treat adminCount as privileged overstate the "
		       "tier-0 population, and the account keeps the inheritance-disabled ACL "
		       "SDProp gave it.",
		.fix = "Clear adminCount and re-enable inheritance on the account's ACL.",
		.attack = {NULL},
		.tactics = {NULL},
		.reference = "https://learn.microsoft.com/windows-server/identity/ad-ds/"
			     "plan/security-best-practices/"
			     "appendix-c--protected-accounts-and-groups-in-active-directory",
		.references = {"MS-ADTS 3.1.1.6.1.2 (AdminSDHolder)"},
	},
	[KD_RULE_UNPARSEABLE_ATTRIBUTE] = {
		.id = "unparseable-attribute",
		.severity = KD_SEV_MEDIUM,
		.title = "Attribute value that does not parse",
		.meaning = "A value in the directory is malformed (a security descriptor, SID, "
			   "flag word or SPN that does not decode); the audit could not evaluate "
			   "what it grants.",
		.why = "Someone wrote an invalid value, by mistake or to hide it from tools. The "
		       "KDC fails closed on a malformed RBCD descriptor, other consumers may not.",
		.fix = "Inspect the value and rewrite it with a supported tool.",
		.attack = {NULL},
		.tactics = {NULL},
		.reference = "https://learn.microsoft.com/openspecs/windows_protocols/"
			     "ms-dtyp/7d4dac05-9cef-4563-a058-f108abecce1d",
		.references = {"MS-DTYP 2.4.6"},
	},
};

/*
 * The ATT&CK ids the catalogue uses, with their names (ATT&CK v14, the version
 * current with ECS 8.11): tactics, techniques, and sub-techniques after their parent.
 */
static const struct {
	const char *id, *name;
} attack_names[] = {
	{"TA0003", "Persistence"},
	{"TA0004", "Privilege Escalation"},
	{"TA0006", "Credential Access"},
	{"TA0008", "Lateral Movement"},
	{"T1003", "OS Credential Dumping"},
	{"T1003.006", "DCSync"},
	{"T1098", "Account Manipulation"},
	{"T1134", "Access Token Manipulation"},
	{"T1136", "Create Account"},
	{"T1136.002", "Domain Account"},
	{"T1187", "Forced Authentication"},
	{"T1550", "Use Alternate Authentication Material"},
	{"T1550.003", "Pass the Ticket"},
	{"T1558", "Steal or Forge Kerberos Tickets"},
};

const char *
kd_attack_name(const char *id)
{
	for (size_t i = 0; i < sizeof(attack_names) / sizeof(attack_names[0]); i++)
		if (strcmp(attack_names[i].id, id) == 0)
			return attack_names[i].name;
	return NULL;
}

static bool
all_digits(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return false;
	return len > 0;
}

bool
kd_attack_url(const char *id, char *buf, size_t size)
{
	const char *dot = strchr(id, '.');
	int n;

	/* TA0004 -> tactics/TA0004/, T1550.003 -> techniques/T1550/003/ */
	if (strncmp(id, "TA", 2) == 0 && all_digits(id + 2, strlen(id + 2)))
		n = snprintf(buf, size, "https://attack.mitre.org/tactics/%s/", id);
	else if (id[0] == 'T' && !dot && all_digits(id + 1, strlen(id + 1)))
		n = snprintf(buf, size, "https://attack.mitre.org/techniques/%s/", id);
	else if (id[0] == 'T' && dot && all_digits(id + 1, (size_t)(dot - id - 1)) &&
		 all_digits(dot + 1, strlen(dot + 1)))
		n = snprintf(buf, size, "https://attack.mitre.org/techniques/%.*s/%s/",
			     (int)(dot - id), id, dot + 1);
	else
		return false;
	return n > 0 && (size_t)n < size;
}

size_t
kd_rules(const struct kd_rule **ret_rules)
{
	*ret_rules = rules;
	return sizeof(rules) / sizeof(rules[0]);
}

const struct kd_rule *
kd_rule_get(enum kd_rule_id id)
{
	return &rules[id];
}

const struct kd_rule *
kd_rule_find(const char *id)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

static const char *const severity_names[KD_SEV_COUNT] = {"info", "low", "medium", "high",
							  "critical"};

const char *
kd_severity_name(enum kd_severity severity)
{
	return (unsigned)severity < KD_SEV_COUNT ? severity_names[severity] : "unknown";
}

bool
kd_severity_parse(const char *text, enum kd_severity *ret_severity)
{
	for (size_t i = 0; i < KD_SEV_COUNT; i++) {
		if (strcasecmp(text, severity_names[i]) == 0) {
			*ret_severity = (enum kd_severity)i;
			return true;
		}
	}
	return false;
}
