/* SPDX-License-Identifier: MIT */
/* Fuzz target: self-relative security descriptors, every ACE walked and checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/secdesc.h"

#include "testutil.h"

/* Touches every field of every ACE (so ASan sees the array) and checks the bounds promises. */
static void
walk_acl(const struct kd_acl *acl, size_t size)
{
	char text[KD_SID_STRING_MAX];
	char guid[KD_GUID_STRING_MAX];

	TU_CHECK(acl->revision == 2 || acl->revision == 4);
	TU_CHECK(acl->size >= 8 && acl->offset >= 20 && acl->offset + acl->size <= size);
	TU_CHECK(acl->count == 0 || acl->aces != NULL);
	for (size_t i = 0; i < acl->count; i++) {
		const struct kd_ace *ace = &acl->aces[i];

		TU_CHECK(ace->offset >= acl->offset + 8);
		TU_CHECK(ace->offset + ace->size <= acl->offset + acl->size);
		if (i > 0)
			TU_CHECK(ace->offset == acl->aces[i - 1].offset + acl->aces[i - 1].size);
		(void)kd_ace_type_name(ace->type);
		(void)kd_ace_is_allow(ace->type);
		(void)kd_ace_is_deny(ace->type);
		if (!ace->known)
			continue;
		TU_CHECK(ace->sid.revision == 1 && ace->sid.count <= KD_SID_MAX_SUBAUTH);
		TU_CHECK(ace->size >= 8 + kd_sid_binary_size(&ace->sid));
		kd_sid_to_string(&ace->sid, text, sizeof(text));
		if (ace->has_object_type)
			kd_guid_to_string(&ace->object_type, guid);
		if (ace->has_inherited_object_type)
			kd_guid_to_string(&ace->inherited_object_type, guid);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_arena *arena = kd_arena_new();
	struct kd_secdesc sd;
	struct kd_error err;
	char text[KD_SID_STRING_MAX];

	if (!arena)
		return 0;
	kd_error_clear(&err);
	if (kd_secdesc_parse(arena, data, size, &sd, &err) == 0) {
		TU_CHECK(sd.revision == 1 && (sd.control & KD_SE_SELF_RELATIVE));
		if (sd.has_owner)
			kd_sid_to_string(&sd.owner, text, sizeof(text));
		if (sd.has_group)
			kd_sid_to_string(&sd.group, text, sizeof(text));
		if (sd.has_sacl)
			walk_acl(&sd.sacl, size);
		if (!sd.dacl_null)
			walk_acl(&sd.dacl, size);
	} else {
		TU_CHECK(err.code == KD_ERR_PARSE || err.code == KD_ERR_NOMEM);
		TU_CHECK(err.code != KD_ERR_PARSE || (err.has_offset && err.offset < size + 1));
	}
	kd_arena_free(arena);
	return 0;
}
