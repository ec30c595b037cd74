/* SPDX-License-Identifier: MIT */
/* The duplicate-SPN rule: exact duplicates and collisions through HOST aliases. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze-private.h"
#include "kdeleg/spn.h"

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
	char *quoted_spn = kd_ps_quote(fix_spn), *quoted_name = kd_ps_quote(fix->name);
	char own[KD_SPN_MAX + 64], other[KD_SPN_MAX + 64], identity[2 * KD_SPN_MAX + 160];

	for (size_t k = 0; list && k < nlisted && k < LIST_MAX; k++)
		audit_append(list, kd_json_account(a->dir, others[k]), a);
	/* exact: the key; alias: both SPNs, so each side of each collision is distinct */
	snprintf(identity, sizeof(identity), "%s\x1f%s\x1f%s", alias ? "host-alias" : "exact",
		 audit_lower(mine->key, own, sizeof(own)),
		 alias ? audit_lower(other_spn, other, sizeof(other)) : "");
	audit_emit(a, KD_RULE_DUPLICATE_SPN, alias ? KD_SEV_LOW : KD_SEV_MEDIUM, mine->principal, identity,
	     json_pack("{s:o, s:o, s:s, s:o}", "spn", kd_json_text(mine->spn), "colliding_spn",
		       kd_json_text(other_spn), "collision", alias ? "host-alias" : "exact",
		       "other_holders", list ? list : json_null()),
	     alias ? kd_format("%s on %s collides with %s on %zu other account%s through the HOST "
			    "alias table: the KDC issues %s tickets with %s's key",
			    mine->spn, p->name, other_spn, nothers, nothers == 1 ? "" : "s",
			    fix_spn, fix->name)
		   : kd_format("%s is also registered on %zu other account%s", mine->spn, nothers,
			    nothers == 1 ? "" : "s"),
	     quoted_spn && quoted_name
		     ? kd_format("setspn -D %s %s%s", quoted_spn, quoted_name,
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

void
audit_rule_duplicate_spns(struct audit *a)
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
