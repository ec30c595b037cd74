/* SPDX-License-Identifier: MIT */
/* Unit tests for self-relative security descriptor parsing (MS-DTYP 2.4.6, 2.4.5, 2.4.4). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/arena.h"
#include "kdeleg/secdesc.h"
#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * msDS-AllowedToActOnBehalfOfOtherIdentity as Set-ADComputer
 * -PrincipalsAllowedToDelegateToAccount (and impacket's rbcd.py) write it:
 * O:BA, DACL revision 4 with one ACCESS_ALLOWED ACE, mask 0x000F01FF, for a
 * domain computer. Written byte by byte from MS-DTYP, independent of the
 * test encoder, so an encoder bug cannot hide a parser bug.
 */
/* clang-format off */
static const uint8_t rbcd[] = {
	/* 0: header: revision 1, Sbz1, Control 0x8004 (SELF_RELATIVE | DACL_PRESENT) */
	0x01, 0x00, 0x04, 0x80,
	0x14, 0x00, 0x00, 0x00, /* 4: OffsetOwner 20 */
	0x00, 0x00, 0x00, 0x00, /* 8: OffsetGroup */
	0x00, 0x00, 0x00, 0x00, /* 12: OffsetSacl */
	0x24, 0x00, 0x00, 0x00, /* 16: OffsetDacl 36 */
	/* 20: owner S-1-5-32-544 */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00,
	0x00,
	/* 36: ACL revision 4, AclSize 44, AceCount 1 */
	0x04, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* 44: ACE type 0, flags 0, AceSize 36, mask 0x000F01FF */
	0x00, 0x00, 0x24, 0x00, 0xff, 0x01, 0x0f, 0x00,
	/* 52: SID S-1-5-21-1004336348-1177238915-682003330-1105 */
	0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00, 0xdc, 0xf4, 0xdc,
	0x3b, 0x83, 0x3d, 0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x51, 0x04, 0x00, 0x00,
};
/* clang-format on */

/*
 * Samba's sddl for "O:BAD:(A;;CR;;;AU)": DACL revision 2 (no object ACE), one
 * ACE granting control access to Authenticated Users. Here the DACL comes
 * first and the owner after it, to show that the order of the parts is free.
 */
/* clang-format off */
static const uint8_t samba_cr_au[] = {
	0x01, 0x00, 0x04, 0x80,
	0x30, 0x00, 0x00, 0x00, /* OffsetOwner 48 */
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x00, 0x00, /* OffsetDacl 20 */
	/* 20: ACL revision 2, AclSize 28, AceCount 1 */
	0x02, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* 28: ACCESS_ALLOWED, size 20, mask 0x100 (CR) */
	0x00, 0x00, 0x14, 0x00, 0x00, 0x01, 0x00, 0x00,
	/* 36: S-1-5-11 */
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0b, 0x00, 0x00, 0x00,
	/* 48: owner S-1-5-32-544 */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00,
	0x00,
};
/* clang-format on */

#define DOMAIN "S-1-5-21-1004336348-1177238915-682003330"
/* Well-known schema/rights GUIDs (ad-facts §3) for object ACEs. */
#define GUID_ALLOWED_TO_ACT "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"
#define GUID_COMPUTER "bf967a86-0de6-11d0-a285-00aa003049e2"

static struct kd_arena *arena;

static void
setup(void)
{
	arena = kd_arena_new();
	ck_assert_ptr_nonnull(arena);
}

static void
teardown(void)
{
	kd_arena_free(arena);
	arena = NULL;
}

static bool
is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void
assert_sid(const struct kd_sid *sid, const char *expect)
{
	char text[KD_SID_STRING_MAX];

	ck_assert_str_eq(kd_sid_to_string(sid, text, sizeof(text)), expect);
}

static void
assert_parses(const void *data, size_t len, struct kd_secdesc *sd)
{
	struct kd_error err;
	int ret;

	kd_error_clear(&err);
	ret = kd_secdesc_parse(arena, data, len, sd, &err);
	ck_assert_msg(ret == 0, "parse failed at byte %zu: %s", err.offset, err.message);
	ck_assert_int_eq(err.code, 0);
}

/* Parses and expects failure at @offset with @message somewhere in the reason. */
static void
assert_fails(const void *data, size_t len, size_t offset, const char *message)
{
	struct kd_secdesc sd;
	struct kd_error err;

	kd_error_clear(&err);
	memset(&sd, 0x5a, sizeof(sd));
	ck_assert_int_eq(kd_secdesc_parse(arena, data, len, &sd, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_msg(strstr(err.message, message), "message '%s' lacks '%s'", err.message,
	              message);
	ck_assert_msg(err.offset == offset, "'%s': offset %zu, expected %zu", err.message,
	              err.offset, offset);
	ck_assert(is_zero(&sd, sizeof(sd)));
}

/* ---- valid descriptors -------------------------------------------------- */

START_TEST(test_rbcd_windows)
{
	/* _i = 0: revision 4 as written; 1: the same with ACL revision 2 (also seen). */
	uint8_t blob[sizeof(rbcd)];
	struct kd_secdesc sd;
	const struct kd_ace *ace;

	memcpy(blob, rbcd, sizeof(blob));
	if (_i == 1)
		blob[36] = 2;
	assert_parses(blob, sizeof(blob), &sd);
	ck_assert_uint_eq(sd.revision, 1);
	ck_assert_uint_eq(sd.control, 0x8004);
	ck_assert(sd.has_owner);
	assert_sid(&sd.owner, "S-1-5-32-544");
	ck_assert_str_eq(kd_sid_wellknown_name(&sd.owner), "Administrators");
	ck_assert(!sd.has_group);
	ck_assert(!sd.has_sacl);
	ck_assert(!sd.dacl_null);
	ck_assert_uint_eq(sd.dacl.revision, _i == 1 ? 2 : 4);
	ck_assert_uint_eq(sd.dacl.size, 44);
	ck_assert_uint_eq(sd.dacl.count, 1);
	ck_assert_uint_eq(sd.dacl.offset, 36);
	ace = &sd.dacl.aces[0];
	ck_assert(ace->known);
	ck_assert_uint_eq(ace->type, KD_ACE_ALLOWED);
	ck_assert_uint_eq(ace->flags, 0);
	ck_assert_uint_eq(ace->size, 36);
	ck_assert_uint_eq(ace->offset, 44);
	ck_assert_uint_eq(ace->mask, 0x000F01FFu);
	ck_assert(ace->mask & KD_RIGHT_DS_CONTROL_ACCESS);
	ck_assert(!ace->has_object_type);
	assert_sid(&ace->sid, DOMAIN "-1105");
	ck_assert(kd_ace_is_allow(ace->type));
}
END_TEST

START_TEST(test_samba_cr_au)
{
	struct kd_secdesc sd;
	const struct kd_ace *ace;

	assert_parses(samba_cr_au, sizeof(samba_cr_au), &sd);
	assert_sid(&sd.owner, "S-1-5-32-544");
	ck_assert(!sd.dacl_null);
	ck_assert_uint_eq(sd.dacl.revision, 2);
	ck_assert_uint_eq(sd.dacl.offset, 20);
	ck_assert_uint_eq(sd.dacl.count, 1);
	ace = &sd.dacl.aces[0];
	ck_assert_uint_eq(ace->type, KD_ACE_ALLOWED);
	ck_assert_uint_eq(ace->mask, KD_RIGHT_DS_CONTROL_ACCESS);
	assert_sid(&ace->sid, "S-1-5-11");
	ck_assert_uint_eq(ace->offset, 28);
}
END_TEST

/*
 * Files under tests/data/secdesc/, written by tests/fuzz/gen-sid-secdesc-corpus.py
 * (a Python encoder independent of testutil.c).
 */
static const struct file_case {
	const char *file;
	const char *owner;
	const char *group;
	bool dacl_null;
	uint16_t count;
	uint8_t type0;
	uint32_t mask0;
	const char *sid0;
	uint16_t sacl_count; /* 0xffff: no SACL */
} files[] = {
    {"secdesc/rbcd-powershell.bin", "S-1-5-32-544", NULL, false, 1, KD_ACE_ALLOWED, 0x000F01FF,
     DOMAIN "-1105", 0xffff},
    {"secdesc/rbcd-two-principals.bin", "S-1-5-32-544", NULL, false, 2, KD_ACE_ALLOWED, 0x000F01FF,
     DOMAIN "-1105", 0xffff},
    {"secdesc/samba-o-ba-d-a-cr-au.bin", "S-1-5-32-544", NULL, false, 1, KD_ACE_ALLOWED, 0x100,
     "S-1-5-11", 0xffff},
    {"secdesc/rbcd-deny-first.bin", "S-1-5-32-544", NULL, false, 2, KD_ACE_DENIED, 0x100,
     DOMAIN "-1106", 0xffff},
    {"secdesc/null-dacl.bin", "S-1-5-32-544", NULL, true, 0, 0, 0, NULL, 0xffff},
    {"secdesc/empty-dacl.bin", "S-1-5-32-544", NULL, false, 0, 0, 0, NULL, 0xffff},
    {"secdesc/computer-object.bin", DOMAIN "-512", DOMAIN "-513", false, 5, KD_ACE_ALLOWED_OBJECT,
     0x20, "S-1-5-10", 1},
};

START_TEST(test_data_files)
{
	const struct file_case *c = &files[_i];
	struct kd_secdesc sd;
	uint8_t *data;
	size_t len = 0;

	data = tu_read_file(tu_data_path(c->file), &len);
	ck_assert_msg(data != NULL, "cannot read %s", tu_data_path(c->file));
	assert_parses(data, len, &sd);
	assert_sid(&sd.owner, c->owner);
	ck_assert(sd.has_group == (c->group != NULL));
	if (c->group)
		assert_sid(&sd.group, c->group);
	ck_assert(sd.dacl_null == c->dacl_null);
	if (!c->dacl_null) {
		ck_assert_uint_eq(sd.dacl.count, c->count);
		if (c->count) {
			ck_assert_uint_eq(sd.dacl.aces[0].type, c->type0);
			ck_assert_uint_eq(sd.dacl.aces[0].mask, c->mask0);
			assert_sid(&sd.dacl.aces[0].sid, c->sid0);
		}
	}
	ck_assert(sd.has_sacl == (c->sacl_count != 0xffff));
	if (sd.has_sacl)
		ck_assert_uint_eq(sd.sacl.count, c->sacl_count);
	free(data);
}
END_TEST

/*
 * Three encodings that must agree byte for byte: the hand-written arrays above,
 * the Python generator's files, and testutil's encoder (which other tests,
 * seeds and the benchmark rely on).
 */
START_TEST(test_encoders_agree)
{
	struct tu_ace rbcd_ace = {
	    .type = KD_ACE_ALLOWED, .mask = 0x000F01FF, .sid = DOMAIN "-1105"};
	struct tu_sd spec = {.owner = "S-1-5-32-544",
	                     .dacl_present = true,
	                     .dacl_revision = 4,
	                     .dacl = &rbcd_ace,
	                     .dacl_count = 1};
	struct tu_buf b = {0};
	uint8_t *file;
	size_t len = 0;

	tu_sd_encode(&b, &spec);
	ck_assert_uint_eq(b.len, sizeof(rbcd));
	ck_assert_mem_eq(b.data, rbcd, sizeof(rbcd));
	tu_buf_free(&b);

	file = tu_read_file(tu_data_path("secdesc/samba-o-ba-d-a-cr-au.bin"), &len);
	ck_assert_ptr_nonnull(file);
	ck_assert_uint_eq(len, sizeof(samba_cr_au));
	ck_assert_mem_eq(file, samba_cr_au, len);
	free(file);
}
END_TEST

/* Object ACEs: each GUID is on the wire only when its flag bit is set. */
static const struct object_case {
	const char *object_type;
	const char *inherited;
	uint32_t flags;
	uint16_t size;
} object_cases[] = {
    {NULL, NULL, 0, 4 + 4 + 4 + 12},
    {GUID_ALLOWED_TO_ACT, NULL, 1, 4 + 4 + 4 + 16 + 12},
    {NULL, GUID_COMPUTER, 2, 4 + 4 + 4 + 16 + 12},
    {GUID_ALLOWED_TO_ACT, GUID_COMPUTER, 3, 4 + 4 + 4 + 32 + 12},
};

START_TEST(test_object_ace_guids)
{
	const struct object_case *c = &object_cases[_i];
	struct tu_ace aces[] = {
	    {.type = KD_ACE_ALLOWED_OBJECT,
	     .flags = KD_ACE_FLAG_CONTAINER_INHERIT,
	     .mask = KD_RIGHT_DS_WRITE_PROP,
	     .sid = "S-1-5-11",
	     .object_type_guid = c->object_type,
	     .inherited_type_guid = c->inherited},
	    /* A plain ACE after it proves the cursor moved by exactly AceSize. */
	    {.type = KD_ACE_DENIED, .mask = 0x100, .sid = DOMAIN "-515"},
	};
	struct tu_buf b = {0};
	struct kd_secdesc sd;
	const struct kd_ace *ace;
	char text[KD_GUID_STRING_MAX];

	tu_sd_build(&b, "S-1-5-32-544", true, aces, N_OF(aces));
	assert_parses(b.data, b.len, &sd);
	ck_assert_uint_eq(sd.dacl.revision, 4);
	ck_assert_uint_eq(sd.dacl.count, 2);
	ace = &sd.dacl.aces[0];
	ck_assert(ace->known);
	ck_assert_uint_eq(ace->size, c->size);
	ck_assert_uint_eq(ace->flags, KD_ACE_FLAG_CONTAINER_INHERIT);
	ck_assert_uint_eq(ace->mask, KD_RIGHT_DS_WRITE_PROP);
	ck_assert_uint_eq(ace->object_flags, c->flags);
	ck_assert(ace->has_object_type == (c->object_type != NULL));
	ck_assert(ace->has_inherited_object_type == (c->inherited != NULL));
	if (c->object_type)
		ck_assert_str_eq(kd_guid_to_string(&ace->object_type, text), c->object_type);
	else
		ck_assert(is_zero(&ace->object_type, sizeof(ace->object_type)));
	if (c->inherited)
		ck_assert_str_eq(kd_guid_to_string(&ace->inherited_object_type, text),
		                 c->inherited);
	else
		ck_assert(is_zero(&ace->inherited_object_type, sizeof(ace->inherited_object_type)));
	assert_sid(&ace->sid, "S-1-5-11");
	ck_assert_uint_eq(sd.dacl.aces[1].offset, ace->offset + c->size);
	ck_assert_uint_eq(sd.dacl.aces[1].type, KD_ACE_DENIED);
	assert_sid(&sd.dacl.aces[1].sid, DOMAIN "-515");
	tu_buf_free(&b);
}
END_TEST

START_TEST(test_callback_and_unknown_aces)
{
	static const uint8_t app[] = {'a', 'r', 't', 'x', 0xff, 0x00, 0x01};
	static const uint8_t junk[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct tu_ace aces[] = {
	    /* ApplicationData is opaque; 7 bytes also makes AceSize odd (27): accepted. */
	    {.type = KD_ACE_ALLOWED_CALLBACK,
	     .mask = 0x100,
	     .sid = "S-1-1-0",
	     .app_data = app,
	     .app_len = sizeof(app)},
	    {.type = KD_ACE_ALLOWED_CALLBACK_OBJECT,
	     .mask = 0x100,
	     .sid = "S-1-5-11",
	     .object_type_guid = GUID_ALLOWED_TO_ACT,
	     .app_data = app,
	     .app_len = 4},
	    /* An unknown type: kept with its header; its body is never read. */
	    {.type = 0x42,
	     .flags = 0x10,
	     .mask = 0xffffffff,
	     .app_data = junk,
	     .app_len = sizeof(junk)},
	    {.type = KD_ACE_ALLOWED_COMPOUND, .mask = 1, .sid = "S-1-5-18"},
	    {.type = KD_ACE_ALLOWED, .mask = 0x100, .sid = DOMAIN "-1105"},
	};
	struct tu_buf b = {0};
	struct kd_secdesc sd;
	const struct kd_ace *a;

	tu_sd_build(&b, "S-1-5-32-544", true, aces, N_OF(aces));
	assert_parses(b.data, b.len, &sd);
	ck_assert_uint_eq(sd.dacl.count, 5);
	a = sd.dacl.aces;
	ck_assert(a[0].known);
	ck_assert_uint_eq(a[0].size, 20 + 7);
	assert_sid(&a[0].sid, "S-1-1-0");
	ck_assert(kd_ace_is_allow(a[0].type));
	ck_assert(a[1].known);
	ck_assert(a[1].has_object_type);
	assert_sid(&a[1].sid, "S-1-5-11");
	ck_assert_uint_eq(a[1].offset, a[0].offset + 27);
	ck_assert(!a[2].known);
	ck_assert_uint_eq(a[2].type, 0x42);
	ck_assert_uint_eq(a[2].flags, 0x10);
	ck_assert_uint_eq(a[2].size, 4 + 4 + 12);
	ck_assert_uint_eq(a[2].mask, 0); /* not decoded */
	ck_assert(!a[3].known);          /* ALLOWED_COMPOUND is reserved */
	ck_assert(a[4].known);
	assert_sid(&a[4].sid, DOMAIN "-1105");
	tu_buf_free(&b);
}
END_TEST

START_TEST(test_owner_group_sacl)
{
	struct tu_ace sacl[] = {
	    {.type = KD_ACE_AUDIT_OBJECT,
	     .flags = 0xc0,
	     .mask = KD_RIGHT_DS_WRITE_PROP,
	     .sid = "S-1-1-0",
	     .object_type_guid = GUID_ALLOWED_TO_ACT},
	    {.type = KD_ACE_MANDATORY_LABEL, .mask = 1, .sid = "S-1-16-4096"},
	};
	struct tu_ace dacl[] = {
	    {.type = KD_ACE_ALLOWED, .mask = 0x000F01FF, .sid = DOMAIN "-1105"},
	};
	struct tu_sd spec = {
	    .owner = DOMAIN "-512",
	    .group = DOMAIN "-513",
	    .control_extra = 0x1000, /* DACL_PROTECTED: kept, not interpreted */
	    .sacl_present = true,
	    .sacl = sacl,
	    .sacl_count = N_OF(sacl),
	    .dacl_present = true,
	    .dacl = dacl,
	    .dacl_count = N_OF(dacl),
	};
	struct tu_buf b = {0};
	struct kd_secdesc sd;

	tu_sd_encode(&b, &spec);
	assert_parses(b.data, b.len, &sd);
	ck_assert_uint_eq(sd.control, 0x8000 | 0x1000 | KD_SE_DACL_PRESENT | KD_SE_SACL_PRESENT);
	assert_sid(&sd.owner, DOMAIN "-512");
	assert_sid(&sd.group, DOMAIN "-513");
	ck_assert(sd.has_sacl);
	ck_assert_uint_eq(sd.sacl.revision, 4);
	ck_assert_uint_eq(sd.sacl.count, 2);
	ck_assert_uint_eq(sd.sacl.aces[0].type, KD_ACE_AUDIT_OBJECT);
	ck_assert_uint_eq(sd.sacl.aces[0].flags, 0xc0);
	assert_sid(&sd.sacl.aces[1].sid, "S-1-16-4096");
	ck_assert_uint_eq(sd.dacl.count, 1);
	assert_sid(&sd.dacl.aces[0].sid, DOMAIN "-1105");
	tu_buf_free(&b);
}
END_TEST

/* NULL DACL (grants everything) vs empty DACL (grants nothing): MS-DTYP 2.4.6. */
static const struct dacl_case {
	const char *name;
	bool present;
	bool null_with_bit;
	bool expect_null;
} dacl_cases[] = {
    {"DACL_PRESENT clear, offset 0", false, false, true},
    {"DACL_PRESENT set, offset 0", true, true, true},
    {"DACL_PRESENT set, empty ACL", true, false, false},
};

START_TEST(test_null_vs_empty_dacl)
{
	const struct dacl_case *c = &dacl_cases[_i];
	struct tu_sd spec = {
	    .owner = "S-1-5-32-544", .dacl_present = c->present, .dacl_null = c->null_with_bit};
	struct tu_buf b = {0};
	struct kd_secdesc sd;

	tu_sd_encode(&b, &spec);
	assert_parses(b.data, b.len, &sd);
	ck_assert_msg(sd.dacl_null == c->expect_null, "%s", c->name);
	if (!c->expect_null) {
		ck_assert_uint_eq(sd.dacl.count, 0);
		ck_assert_ptr_null(sd.dacl.aces);
		ck_assert_uint_eq(sd.dacl.size, 8);
	}
	ck_assert(!sd.has_sacl);
	tu_buf_free(&b);
}
END_TEST

START_TEST(test_null_sacl_with_bit)
{
	struct tu_sd spec = {.owner = "S-1-5-32-544", .control_extra = KD_SE_SACL_PRESENT};
	struct tu_buf b = {0};
	struct kd_secdesc sd;

	tu_sd_encode(&b, &spec);
	assert_parses(b.data, b.len, &sd);
	ck_assert(!sd.has_sacl);
	ck_assert(sd.dacl_null);
	tu_buf_free(&b);
}
END_TEST

/* Slack inside AclSize after the last ACE, and padding after the descriptor, are legal. */
START_TEST(test_slack_and_padding)
{
	uint8_t blob[sizeof(rbcd) + 24];
	struct kd_secdesc sd;

	memset(blob, 0xee, sizeof(blob));
	memcpy(blob, rbcd, sizeof(rbcd));
	blob[38] = 44 + 16; /* AclSize grows into the padding */
	assert_parses(blob, sizeof(blob), &sd);
	ck_assert_uint_eq(sd.dacl.size, 60);
	ck_assert_uint_eq(sd.dacl.count, 1);
	assert_sid(&sd.dacl.aces[0].sid, DOMAIN "-1105");
}
END_TEST

/* Overlapping regions are tolerated: each part is parsed on its own. */
START_TEST(test_overlapping_offsets)
{
	uint8_t blob[sizeof(rbcd)];
	struct kd_secdesc sd;

	memcpy(blob, rbcd, sizeof(blob));
	blob[8] = 20; /* group = owner */
	assert_parses(blob, sizeof(blob), &sd);
	ck_assert(sd.has_group);
	ck_assert(kd_sid_equal(&sd.owner, &sd.group));

	memcpy(blob, rbcd, sizeof(blob));
	blob[4] = 52; /* owner = the ACE's trustee, inside the DACL */
	assert_parses(blob, sizeof(blob), &sd);
	assert_sid(&sd.owner, DOMAIN "-1105");

	/* A DACL pointing at the owner SID reads its bytes as an ACL header: revision 1. */
	memcpy(blob, rbcd, sizeof(blob));
	blob[16] = 20;
	assert_fails(blob, sizeof(blob), 20, "DACL revision 1, expected 2 or 4");
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(kd_ace_type_name(KD_ACE_ALLOWED), "ACCESS_ALLOWED");
	ck_assert_str_eq(kd_ace_type_name(KD_ACE_ALLOWED_OBJECT), "ACCESS_ALLOWED_OBJECT");
	ck_assert_str_eq(kd_ace_type_name(KD_ACE_DENIED_CALLBACK_OBJECT),
	                 "ACCESS_DENIED_CALLBACK_OBJECT");
	ck_assert_str_eq(kd_ace_type_name(KD_ACE_MANDATORY_LABEL), "SYSTEM_MANDATORY_LABEL");
	ck_assert_ptr_null(kd_ace_type_name(0x16));
	ck_assert_ptr_null(kd_ace_type_name(0xff));
	for (unsigned t = 0; t <= 0xff; t++) {
		bool allow = t == 0x00 || t == 0x05 || t == 0x09 || t == 0x0b;
		bool deny = t == 0x01 || t == 0x06 || t == 0x0a || t == 0x0c;

		ck_assert_msg(kd_ace_is_allow((uint8_t)t) == allow, "type 0x%02x", t);
		ck_assert_msg(kd_ace_is_deny((uint8_t)t) == deny, "type 0x%02x", t);
		if (t <= KD_ACE_MANDATORY_LABEL)
			ck_assert_ptr_nonnull(kd_ace_type_name((uint8_t)t));
	}
}
END_TEST

/* ---- malformed descriptors ---------------------------------------------- */

/*
 * Each row corrupts the RBCD blob (owner field at 4, DACL field at 16, ACL at
 * 36, ACE at 44, its SID at 52) with up to two little-endian patches and
 * states the exact offset of the field at fault plus the key words.
 */
struct patch {
	size_t pos;
	size_t width; /* 0 = unused, 1, 2 or 4 */
	uint32_t value;
};

/* clang-format off */
static const struct bad_case {
	const char *name;
	size_t len; /* 0 = the whole blob */
	struct patch p[2];
	size_t offset;
	const char *message;
} bad[] = {
	{"empty", 0xffff, {{0}}, 0, "descriptor is 0 bytes, shorter than its 20-byte header"},
	{"19 bytes", 19, {{0}}, 0, "19 bytes, shorter"},
	{"revision 0", 0, {{0, 1, 0}}, 0, "descriptor revision 0, expected 1"},
	{"revision 2", 0, {{0, 1, 2}}, 0, "descriptor revision 2"},
	{"absolute form", 0, {{2, 2, 0x0004}}, 2, "control 0x0004 lacks SELF_RELATIVE"},
	{"owner inside header", 0, {{4, 4, 4}}, 4, "owner offset 4 inside the 20-byte header"},
	{"owner offset 19", 0, {{4, 4, 19}}, 4, "owner offset 19 inside"},
	{"owner past end", 0, {{4, 4, 4096}}, 4, "owner offset 4096 past end of 80-byte descriptor"},
	{"owner at end", 0, {{4, 4, 80}}, 4, "owner offset 80 past end"},
	{"owner near 2^32", 0, {{4, 4, 0xFFFFFFF0u}}, 4, "owner offset 4294967280 past end"},
	{"owner 0xffffffff", 0, {{4, 4, 0xFFFFFFFFu}}, 4, "past end"},
	{"owner overruns", 0, {{4, 4, 76}}, 4, "owner SID at offset 76 overruns 80-byte"},
	{"owner SID revision", 0, {{20, 1, 2}}, 20, "owner SID revision 2, expected 1"},
	{"owner 16 sub-authorities", 0, {{21, 1, 16}}, 21, "owner SID has 16 sub-authorities"},
	{"owner 0xff sub-authorities", 0, {{21, 1, 0xff}}, 21, "255 sub-authorities"},
	{"owner SID truncated", 0, {{4, 4, 64}, {64, 2, 0x0f01}}, 64, "owner SID truncated"},
	{"group inside header", 0, {{8, 4, 2}}, 8, "group offset 2 inside"},
	{"group past end", 0, {{8, 4, 0xFFFFFFF0u}}, 8, "group offset 4294967280 past end"},
	{"SACL offset without bit", 0, {{12, 4, 36}}, 12, "SACL offset set without SACL_PRESENT"},
	{"SACL past end", 0, {{12, 4, 4096}, {2, 2, 0x8014}}, 12,
	 "SACL offset 4096 past end of 80-byte descriptor"},
	{"DACL offset without bit", 0, {{2, 2, 0x8000}}, 16, "DACL offset set without DACL_PRESENT"},
	{"DACL inside header", 0, {{16, 4, 8}}, 16, "DACL offset 8 inside the 20-byte header"},
	{"DACL past end", 0, {{16, 4, 4096}}, 16, "DACL offset 4096 past end of 80-byte descriptor"},
	{"DACL offset near 2^32", 0, {{16, 4, 0xFFFFFFF0u}}, 16, "DACL offset 4294967280 past end"},
	{"DACL offset 0xffffffff", 0, {{16, 4, 0xFFFFFFFFu}}, 16, "past end"},
	{"DACL header overruns", 0, {{16, 4, 76}}, 16, "DACL header at offset 76 overruns"},
	{"ACL revision 3", 0, {{36, 1, 3}}, 36, "DACL revision 3, expected 2 or 4"},
	{"ACL revision 0xff", 0, {{36, 1, 0xff}}, 36, "DACL revision 255"},
	{"AclSize 4", 0, {{38, 2, 4}}, 38, "DACL size 4 < 8"},
	{"AclSize 0", 0, {{38, 2, 0}}, 38, "DACL size 0 < 8"},
	{"AclSize past end", 0, {{38, 2, 45}}, 38, "DACL size 45 at offset 36 overruns 80-byte"},
	{"AclSize 0xffff", 0, {{38, 2, 0xffff}}, 38, "DACL size 65535"},
	{"AceCount 0xffff", 0, {{40, 2, 0xffff}}, 40, "DACL count 65535: 36 bytes hold at most 2"},
	{"AceCount 0xff", 0, {{40, 2, 0xff}}, 40, "DACL count 255"},
	{"AceCount 3", 0, {{40, 2, 3}}, 40, "DACL count 3: 36 bytes"},
	{"AceCount 2, room for 1", 0, {{40, 2, 2}}, 40,
	 "DACL count 2: ACE 1 at offset 80 has only 0 bytes left in ACL"},
	{"AceSize 4", 0, {{46, 2, 4}}, 46, "DACL ACE 0 size 4 < 16"},
	{"AceSize 0", 0, {{46, 2, 0}}, 46, "DACL ACE 0 size 0 < 16"},
	{"AceSize 15", 0, {{46, 2, 15}}, 46, "size 15 < 16"},
	{"AceSize past ACL", 0, {{46, 2, 37}}, 46, "DACL ACE 0 size 37 overruns ACL (36 bytes left)"},
	{"AceSize 0xffff", 0, {{46, 2, 0xffff}}, 46, "size 65535 overruns"},
	{"AceSize < SID", 0, {{46, 2, 20}}, 52, "DACL ACE 0 SID needs 28 bytes, ACE size 20 leaves 12"},
	{"AceSize 16 < SID", 0, {{46, 2, 16}}, 52, "SID needs 28 bytes, ACE size 16 leaves 8"},
	{"SID count 6 > AceSize", 0, {{53, 1, 6}}, 52, "SID needs 32 bytes, ACE size 36 leaves 28"},
	{"ACE SID revision 0", 0, {{52, 1, 0}}, 52, "DACL ACE 0: SID revision 0"},
	{"ACE SID 16 sub-authorities", 0, {{53, 1, 16}}, 53, "DACL ACE 0: SID has 16 sub"},
	{"ACE SID 0xff sub-authorities", 0, {{53, 1, 0xff}}, 53, "255 sub-authorities"},
	{"object ACE in revision 2", 0, {{36, 1, 2}, {44, 1, KD_ACE_ALLOWED_OBJECT}}, 44,
	 "DACL ACE 0: object ACE type 0x05 in revision-2 ACL"},
	{"callback object ACE in revision 2", 0, {{36, 1, 2}, {44, 1, 0x0b}}, 44,
	 "type 0x0b in revision-2"},
	{"object ACE, flags claim 3 GUIDs' room", 0, {{44, 1, 5}, {52, 4, 3}}, 46,
	 "DACL ACE 0 size 36 < 52 (object flags 0x3)"},
	{"all 0xff header", 0, {{0, 4, 0xffffffffu}, {4, 4, 0xffffffffu}}, 0, "revision 255"},
};
/* clang-format on */

static void
apply(uint8_t *blob, const struct patch *p)
{
	for (size_t i = 0; i < p->width; i++)
		blob[p->pos + i] = (uint8_t)(p->value >> (8 * i));
}

START_TEST(test_malformed_table)
{
	const struct bad_case *c = &bad[_i];
	uint8_t blob[sizeof(rbcd)];
	size_t len = c->len == 0xffff ? 0 : c->len ? c->len : sizeof(rbcd);

	memcpy(blob, rbcd, sizeof(blob));
	for (size_t i = 0; i < N_OF(c->p); i++)
		apply(blob, &c->p[i]);
	/* A copy of exactly @len bytes so ASan sees any read past the end. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		ck_assert_ptr_nonnull(exact);
		memcpy(exact, blob, len);
		assert_fails(exact, len, c->offset, c->message);
		free(exact);
	}
}
END_TEST

/* The message the brief and the CLI docs quote, checked word for word. */
START_TEST(test_exact_message)
{
	struct tu_ace aces[] = {{.type = KD_ACE_ALLOWED, .mask = 0x100, .sid = "S-1-5-11"}};
	struct tu_buf b = {0};
	struct kd_secdesc sd;
	struct kd_error err;
	char line[512];

	tu_sd_build(&b, "S-1-5-11", true, aces, 1);
	ck_assert_uint_eq(b.len, 60);
	tu_buf_put_u32le(&b, 16, 4096);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_secdesc_parse(arena, b.data, b.len, &sd, &err), KD_ERR_PARSE);
	ck_assert_str_eq(err.message, "DACL offset 4096 past end of 60-byte descriptor");
	ck_assert_uint_eq(err.offset, 16);
	kd_error_set_where(&err, NULL, 0, "CN=web01,DC=example,DC=com",
	                   "msDS-AllowedToActOnBehalfOfOtherIdentity");
	kd_error_format(&err, line, sizeof(line));
	ck_assert_str_eq(line, "entry 'CN=web01,DC=example,DC=com' attribute "
	                       "msDS-AllowedToActOnBehalfOfOtherIdentity byte 16: DACL offset 4096 "
	                       "past end of 60-byte descriptor");
	tu_buf_free(&b);
}
END_TEST

/* ACE index in messages is 0-based, matching dacl.aces[i]. */
START_TEST(test_third_ace_too_small)
{
	struct tu_ace aces[] = {
	    {.type = KD_ACE_ALLOWED, .mask = 0x100, .sid = "S-1-5-11"},
	    {.type = KD_ACE_ALLOWED, .mask = 0x100, .sid = "S-1-5-11"},
	    {.type = KD_ACE_ALLOWED, .mask = 0x100, .sid = "S-1-5-11", .size_override = 4},
	};
	struct tu_buf b = {0};

	tu_sd_build(&b, NULL, true, aces, N_OF(aces));
	/* header 20, ACL header 8, two 20-byte ACEs: the third starts at 68. */
	assert_fails(b.data, b.len, 68 + 2, "DACL ACE 2 size 4 < 16");
	tu_buf_free(&b);
}
END_TEST

START_TEST(test_object_ace_too_small)
{
	struct tu_ace aces[] = {
	    {.type = KD_ACE_ALLOWED_OBJECT, .mask = 0x100, .sid = "S-1-5-11", .size_override = 16},
	};
	struct tu_buf b = {0};

	tu_sd_build(&b, NULL, true, aces, 1);
	assert_fails(b.data, b.len, 28 + 2, "DACL ACE 0 size 16 < 20");
	tu_buf_free(&b);
}
END_TEST

/* Flags say both GUIDs but only one was written: the ACE is 16 bytes short. */
START_TEST(test_object_ace_missing_guid)
{
	struct tu_ace aces[] = {
	    {.type = KD_ACE_ALLOWED_OBJECT,
	     .mask = 0x100,
	     .sid = "S-1-5-11",
	     .object_type_guid = GUID_ALLOWED_TO_ACT},
	};
	struct tu_buf b = {0};

	tu_sd_build(&b, NULL, true, aces, 1);
	tu_buf_put_u32le(&b, 28 + 8, 3);
	assert_fails(b.data, b.len, 28 + 2, "DACL ACE 0 size 40 < 52");
	tu_buf_free(&b);
}
END_TEST

/* Earlier ACEs can use up the room AceCount was checked against. */
START_TEST(test_ace_header_past_acl)
{
	static const uint8_t app[26];
	struct tu_ace aces[] = {
	    {.type = KD_ACE_ALLOWED,
	     .mask = 0x100,
	     .sid = "S-1-5-11",
	     .app_data = app,
	     .app_len = sizeof(app)},
	};
	struct tu_buf b = {0};

	tu_sd_build(&b, NULL, true, aces, 1);
	ck_assert_uint_eq(b.len, 20 + 8 + 46);
	tu_buf_u16le(&b, 0);
	tu_buf_put_u16le(&b, 22, 8 + 48); /* AclSize: room for 3 minimal ACEs */
	tu_buf_put_u16le(&b, 24, 3);      /* AceCount */
	assert_fails(b.data, b.len, 24, "DACL count 3: ACE 1 at offset 74 has only 2 bytes left");
	tu_buf_free(&b);
}
END_TEST

/* The count is checked before the ACE array is taken from the arena. */
START_TEST(test_count_checked_before_alloc)
{
	uint8_t blob[sizeof(rbcd)];
	size_t before = kd_arena_used(arena);

	memcpy(blob, rbcd, sizeof(blob));
	blob[40] = 0xff;
	blob[41] = 0xff;
	assert_fails(blob, sizeof(blob), 40, "count 65535");
	ck_assert_uint_eq(kd_arena_used(arena), before);
}
END_TEST

/* Every proper prefix of a valid descriptor fails cleanly with the output zeroed. */
static void
check_every_cut(const uint8_t *data, size_t len)
{
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *exact = malloc(cut ? cut : 1);
		struct kd_secdesc sd;
		struct kd_error err;

		ck_assert_ptr_nonnull(exact);
		memcpy(exact, data, cut);
		kd_error_clear(&err);
		memset(&sd, 0x5a, sizeof(sd));
		ck_assert_msg(kd_secdesc_parse(arena, exact, cut, &sd, &err) == KD_ERR_PARSE,
		              "cut at %zu of %zu parsed", cut, len);
		ck_assert(err.has_offset);
		ck_assert_msg(err.offset < len, "cut %zu: offset %zu", cut, err.offset);
		ck_assert(is_zero(&sd, sizeof(sd)));
		free(exact);
	}
}

START_TEST(test_every_cut_fixed)
{
	check_every_cut(rbcd, sizeof(rbcd));
	check_every_cut(samba_cr_au, sizeof(samba_cr_au));
}
END_TEST

START_TEST(test_every_cut_complex)
{
	static const uint8_t app[] = {1, 2, 3};
	struct tu_ace sacl[] = {
	    {.type = KD_ACE_AUDIT_CALLBACK_OBJECT,
	     .mask = 0x20,
	     .sid = "S-1-1-0",
	     .object_type_guid = GUID_ALLOWED_TO_ACT,
	     .inherited_type_guid = GUID_COMPUTER,
	     .app_data = app,
	     .app_len = sizeof(app)},
	};
	struct tu_ace dacl[] = {
	    {.type = KD_ACE_DENIED, .mask = 0x100, .sid = DOMAIN "-1106"},
	    {.type = KD_ACE_ALLOWED_OBJECT,
	     .mask = 0x100,
	     .sid = "S-1-5-10",
	     .inherited_type_guid = GUID_COMPUTER},
	    {.type = 0x16, .mask = 7, .sid = "S-1-5-11"},
	    {.type = KD_ACE_ALLOWED, .mask = 0x000F01FF, .sid = DOMAIN "-1105"},
	};
	struct tu_sd spec = {
	    .owner = "S-1-5-32-544",
	    .group = DOMAIN "-513",
	    .sacl_present = true,
	    .sacl = sacl,
	    .sacl_count = N_OF(sacl),
	    .dacl_present = true,
	    .dacl = dacl,
	    .dacl_count = N_OF(dacl),
	};
	struct tu_buf b = {0};
	struct kd_secdesc sd;

	tu_sd_encode(&b, &spec);
	assert_parses(b.data, b.len, &sd);
	ck_assert_uint_eq(sd.dacl.count, 4);
	check_every_cut(b.data, b.len);
	tu_buf_free(&b);
}
END_TEST

/*
 * Every byte of the RBCD blob set to each of a few values: never a crash, and
 * success only with a self-consistent result. A cheap deterministic fuzz.
 */
START_TEST(test_every_byte_mutated)
{
	static const uint8_t values[] = {0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xfe, 0xff};

	for (size_t pos = 0; pos < sizeof(rbcd); pos++) {
		for (size_t v = 0; v < N_OF(values); v++) {
			uint8_t blob[sizeof(rbcd)];
			struct kd_secdesc sd;
			struct kd_error err;
			int ret;

			memcpy(blob, rbcd, sizeof(blob));
			blob[pos] = values[v];
			kd_error_clear(&err);
			ret = kd_secdesc_parse(arena, blob, sizeof(blob), &sd, &err);
			if (ret < 0) {
				ck_assert_int_eq(ret, KD_ERR_PARSE);
				ck_assert(err.has_offset);
				ck_assert_uint_lt(err.offset, sizeof(blob));
				continue;
			}
			if (!sd.dacl_null) {
				ck_assert_uint_le(sd.dacl.offset + sd.dacl.size, sizeof(blob));
				for (size_t i = 0; i < sd.dacl.count; i++)
					ck_assert_uint_le(sd.dacl.aces[i].offset +
					                      sd.dacl.aces[i].size,
					                  sd.dacl.offset + sd.dacl.size);
			}
		}
	}
}
END_TEST

static Suite *
kd_secdesc_suite(void)
{
	Suite *s = suite_create("secdesc");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rbcd_windows, 0, 2);
	tcase_add_test(tc, test_samba_cr_au);
	tcase_add_loop_test(tc, test_data_files, 0, N_OF(files));
	tcase_add_test(tc, test_encoders_agree);
	tcase_add_loop_test(tc, test_object_ace_guids, 0, N_OF(object_cases));
	tcase_add_test(tc, test_callback_and_unknown_aces);
	tcase_add_test(tc, test_owner_group_sacl);
	tcase_add_test(tc, test_slack_and_padding);
	tcase_add_test(tc, test_overlapping_offsets);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("null-dacl");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_null_vs_empty_dacl, 0, N_OF(dacl_cases));
	tcase_add_test(tc, test_null_sacl_with_bit);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_malformed_table, 0, N_OF(bad));
	tcase_add_test(tc, test_exact_message);
	tcase_add_test(tc, test_third_ace_too_small);
	tcase_add_test(tc, test_object_ace_too_small);
	tcase_add_test(tc, test_object_ace_missing_guid);
	tcase_add_test(tc, test_ace_header_past_acl);
	tcase_add_test(tc, test_count_checked_before_alloc);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_cut_fixed);
	tcase_add_test(tc, test_every_cut_complex);
	tcase_add_test(tc, test_every_byte_mutated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_secdesc_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
