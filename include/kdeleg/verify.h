/* SPDX-License-Identifier: MIT */
/*
 * `kdeleg verify`: will FRONTEND be able to delegate a user to SPN, and if not,
 * why — the KDC model's steps as checks, each with the error the admin sees and
 * its fix.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/kdc.h"

/* How the user reached the front end. */
enum kd_verify_protocol {
	KD_VERIFY_KERBEROS, /* the user's own forwardable ticket is the evidence */
	KD_VERIFY_ANY,      /* forms, NTLM, certificates: S4U2Self first (protocol transition) */
};

/* the steps of S4U2Self and S4U2Proxy, and verify's own checks: never full */
#define KD_VERIFY_CHECKS_MAX (2 * KD_STEPS_MAX + 8)

struct kd_verify_check {
	const char *name;        /* static */
	enum kd_verdict outcome; /* YES passed, NO failed, CONDITIONAL/UNCERTAIN: cannot tell */
	const char *error;       /* static: what the admin sees when it fails, or NULL */
	char *detail;            /* owned; directory text, escaped by the renderer */
	char *fix;               /* owned; a command or an instruction, or NULL */
};

struct kd_verify_result {
	enum kd_verdict verdict;   /* YES: the delegation works */
	const char *mechanism;     /* "classic", "resource-based", or NULL */
	uint32_t frontend, user;   /* user KD_NONE: any delegable user */
	uint32_t backend;          /* the SPN's owner, or KD_NONE */
	const char *spn;           /* borrowed from the request */
	enum kd_verify_protocol protocol;
	size_t nchecks;
	struct kd_verify_check checks[KD_VERIFY_CHECKS_MAX];
};

/*
 * An account named as people name it: a SID, a DN, or a sAMAccountName
 * (case-insensitive; a computer also without its trailing $). KD_NONE when none
 * matches, or when a name matches more than one account.
 */
uint32_t kd_verify_find_account(const struct kd_directory *dir, const char *name);

/*
 * Evaluates the delegation as the KDC would (kd_kdc_s4u2self, kd_kdc_s4u2proxy)
 * and adds what the directory shows around it: the front end's own SPN, the
 * SPN that clients probably meant when theirs is registered nowhere (short name,
 * FQDN, port), another domain's SPN (classic cannot cross domains), encryption
 * types. @spn is borrowed for the result's life. Free with kd_verify_free().
 * KD_ERR_NOMEM.
 */
int kd_verify(struct kd_kdc *kdc, const struct kd_directory *dir, uint32_t frontend,
	      const char *spn, uint32_t user, enum kd_verify_protocol protocol,
	      struct kd_verify_result *ret, struct kd_error *err);
void kd_verify_free(struct kd_verify_result *result);

/* What an error an admin pasted can mean: its causes in this model. */
struct kd_error_cause {
	const char *code;  /* as the troubleshooting tables write it */
	const char *seen;  /* where it shows: "the front end's event log"... */
	const char *cause;
	const char *check; /* the verify check that finds it */
};

/*
 * The causes of @code ("0xC000015B", "c000015b", "KDC_ERR_BADOPTION",
 * "STATUS_NOT_FOUND", "NTLM"...: matched case-insensitively, with or without
 * 0x). Up to @max into @ret; returns how many there are.
 */
size_t kd_verify_explain(const char *code, const struct kd_error_cause **ret, size_t max);
/* Every known cause, for `--explain-error` without a match. */
size_t kd_verify_causes(const struct kd_error_cause **ret);
