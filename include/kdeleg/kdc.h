/* SPDX-License-Identifier: MIT */
/*
 * What the KDC decides, modelled once: S4U2Self, S4U2Proxy (classic, then RBCD),
 * whether a user can be delegated. Each answer comes with its steps, so that the
 * audit, delegation chains and `verify` show the same reasons.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/secdesc.h"
#include "kdeleg/token.h"

enum kd_verdict {
	KD_VERDICT_NO,          /* the KDC refuses */
	KD_VERDICT_YES,         /* the KDC grants */
	KD_VERDICT_CONDITIONAL, /* depends on a conditional (callback) ACE's expression */
	KD_VERDICT_UNCERTAIN,   /* Windows' behaviour is not documented here; see the steps */
};

const char *kd_verdict_name(enum kd_verdict verdict);

#define KD_STEPS_MAX 16
#define KD_STEP_TEXT 240

/* One check the KDC makes: what it read, whether it passed, why. */
struct kd_step {
	const char *check;        /* static: "target SPN in msDS-AllowedToDelegateTo" */
	const char *read;         /* static: the attribute read ("userAccountControl") */
	enum kd_verdict outcome;  /* YES passed, NO failed, or conditional/uncertain */
	uint32_t ace;             /* the ACE index it read, or KD_NONE */
	/* static: what the front end's admin sees when this check fails, in the words of
	 * the troubleshooting tables ("0xC000015B"...); NULL when nothing is shown */
	const char *error;
	char why[KD_STEP_TEXT];   /* directory text escaped by the reports, not here */
};

struct kd_decision {
	enum kd_verdict verdict;
	const char *mechanism;    /* "classic", "resource-based" or NULL */
	uint32_t ace;             /* the deciding ACE of an RBCD check, or KD_NONE */
	bool forwardable;         /* S4U2Self: the ticket it issues is forwardable */
	size_t nsteps;
	struct kd_step steps[KD_STEPS_MAX];
};

/* How one ACE takes part in the KDC's RBCD check (MS-SFU 3.2.5.2.3, Samba's
 * samba_kdc_check_s4u2proxy_rbcd: an access check for CONTROL_ACCESS, no object tree). */
enum kd_ace_role {
	KD_ACE_ROLE_IGNORED,     /* does not take part; see the reason */
	KD_ACE_ROLE_ALLOW,
	KD_ACE_ROLE_DENY,
	KD_ACE_ROLE_ALLOW_IF,    /* conditional allow: only when its expression holds */
	KD_ACE_ROLE_DENY_IF,     /* conditional deny */
};

/* The role of @ace in the RBCD check, with a static reason. */
enum kd_ace_role kd_kdc_rbcd_ace_role(const struct kd_ace *ace, const char **ret_reason);

struct kd_kdc;

/* A KDC over the finished @dir with the token cache @tokens (both borrowed). */
int kd_kdc_new(const struct kd_directory *dir, struct kd_tokens *tokens, struct kd_kdc **ret_kdc,
	       struct kd_error *err);
void kd_kdc_free(struct kd_kdc *kdc);
struct kd_tokens *kd_kdc_tokens(struct kd_kdc *kdc);

/*
 * The RBCD access check: does front end @frontend's token hold control access in
 * @resource's msDS-AllowedToActOnBehalfOfOtherIdentity? The first ACE that
 * matches the token decides (MS-DTYP 2.5.3.2 for a single right); a conditional
 * or uncertain match before it makes the verdict conditional or uncertain.
 * A NULL DACL grants everyone, an empty one nobody, a missing or malformed
 * descriptor nobody (the KDC fails closed). KD_ERR_NOMEM.
 */
int kd_kdc_rbcd(struct kd_kdc *kdc, uint32_t resource, uint32_t frontend,
		struct kd_decision *ret);
/* The same for a front end the snapshot does not hold, known by its SID only. */
int kd_kdc_rbcd_sid(struct kd_kdc *kdc, uint32_t resource, const struct kd_sid *frontend,
		    struct kd_decision *ret);

/*
 * Can @user be delegated: enabled, not NOT_DELEGATED, not in Protected Users at
 * functional level 2012 R2 or above (uncertain when the level is unknown).
 * @user KD_NONE: an ordinary user with no protection (always YES).
 */
int kd_kdc_delegable(struct kd_kdc *kdc, uint32_t user, struct kd_decision *ret);
/* The same without the account state: would @user be delegable once enabled? */
int kd_kdc_protection(struct kd_kdc *kdc, uint32_t user, struct kd_decision *ret);

/*
 * S4U2Self by @frontend for @user (KD_NONE: any delegable user): is the ticket
 * forwardable (MS-SFU 3.2.5.1.2)? With TRUSTED_TO_AUTH_FOR_DELEGATION, or
 * without it and an empty msDS-AllowedToDelegateTo; never for a user who cannot
 * be delegated. The verdict is whether a ticket is issued at all; ret->forwardable
 * says how.
 */
int kd_kdc_s4u2self(struct kd_kdc *kdc, uint32_t frontend, uint32_t user,
		    struct kd_decision *ret);

/*
 * S4U2Proxy by @frontend for @user (KD_NONE: any delegable user) to @spn, in the
 * KDC's order (MS-SFU 3.2.5.2): classic (the SPN in msDS-AllowedToDelegateTo and
 * a forwardable evidence ticket), then RBCD on the SPN's owner. @forwardable_evidence
 * says whether the evidence ticket is forwardable (a user's ticket: true; an
 * S4U2Self ticket: what kd_kdc_s4u2self() said). ret->mechanism names which
 * carried it. KD_ERR_NOMEM.
 */
int kd_kdc_s4u2proxy(struct kd_kdc *kdc, uint32_t frontend, uint32_t user, const char *spn,
		     bool forwardable_evidence, struct kd_decision *ret);
