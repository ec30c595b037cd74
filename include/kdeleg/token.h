/* SPDX-License-Identifier: MIT */
/* The token the KDC builds for a principal: its SIDs, its groups, cached per principal. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/sid.h"

/*
 * Whether a token carries a SID. UNCERTAIN is for SIDs that Windows and Samba
 * add differently and that no document settles (This Organization): an answer
 * built on it says so instead of picking one.
 */
enum kd_token_answer {
	KD_TOKEN_NO = 0,
	KD_TOKEN_YES = 1,
	KD_TOKEN_UNCERTAIN = 2,
};

struct kd_tokens;

/*
 * A cache of tokens over the finished directory @dir, which it borrows (it must
 * outlive the cache). A principal's token is built on first use, once:
 * transitive groups through member/memberOf and the primary group, the groups of
 * the well-known SIDs every authenticated token holds (Authenticated Users in
 * Pre-Windows 2000 Compatible Access...), sIDHistory of the principal and its
 * groups. KD_ERR_NOMEM.
 */
int kd_tokens_new(const struct kd_directory *dir, struct kd_tokens **ret_tokens,
		  struct kd_error *err);
void kd_tokens_free(struct kd_tokens *tokens);

/*
 * Does the token the KDC builds from principal @who's TGT (Samba:
 * samba_kdc_get_user_info_from_pac, then World, Network and Authenticated Users)
 * carry @sid? @who may be a group or a foreign principal: its token is then the
 * one any account holding that SID alone would have. @ret_why, when not NULL,
 * gets a static reason for the well-known cases (NULL otherwise).
 * Returns an enum kd_token_answer, or KD_ERR_NOMEM.
 */
int kd_tokens_has(struct kd_tokens *tokens, uint32_t who, const struct kd_sid *sid,
		  const char **ret_why);

/*
 * The same for a SID with no principal in the snapshot (deleted, foreign, or not
 * collected): the token of an account that holds @holder and nothing else that
 * the snapshot knows of.
 */
int kd_tokens_sid_has(struct kd_tokens *tokens, const struct kd_sid *holder,
		      const struct kd_sid *sid, const char **ret_why);

/*
 * @who's transitive groups (indexes, ascending), valid until kd_tokens_free().
 * Returns the count, or (size_t)-1 on ENOMEM.
 */
size_t kd_tokens_groups(struct kd_tokens *tokens, uint32_t who, const uint32_t **ret_groups);

/*
 * A well-known SID every authenticated token holds (World, Network, Authenticated
 * Users; and S-1-18-1, asserted by the authentication authority): a deny of it
 * takes the right from everyone.
 */
bool kd_token_sid_universal(const struct kd_sid *sid);
