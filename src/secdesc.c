/* SPDX-License-Identifier: MIT */
/* Self-relative security descriptors: header, owner/group SIDs, SACL/DACL and their ACEs. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kdeleg/reader.h"
#include "kdeleg/secdesc.h"

/* MS-DTYP 2.4.6: Revision, Sbz1, Control, four u32 offsets. */
#define SD_HEADER_SIZE 20u
/* MS-DTYP 2.4.5: AclRevision, Sbz1, AclSize, AceCount, Sbz2. */
#define ACL_HEADER_SIZE 8u
#define ACL_REVISION 2u
#define ACL_REVISION_DS 4u
/* MS-DTYP 2.4.4.1 header (4) + Mask (4) + the smallest SID (8, no sub-authorities). */
#define ACE_MIN_SIZE 16u
/* Object ACEs (2.4.4.3) add a 4-byte Flags field; each present GUID adds 16. */
#define OBJECT_ACE_MIN_SIZE 20u
#define GUID_SIZE 16u
#define SID_MIN_SIZE 8u

enum ace_layout {
	LAYOUT_UNKNOWN, /* header only; the body is skipped */
	LAYOUT_PLAIN,   /* Mask, Sid [, ApplicationData] */
	LAYOUT_OBJECT,  /* Mask, Flags, [ObjectType], [InheritedObjectType], Sid [, data] */
};

/*
 * How each type's body is laid out. Callback ACEs (2.4.4.6-2.4.4.8, 2.4.4.12-2.4.4.14)
 * share the plain or object layout and append opaque ApplicationData up to AceSize;
 * trailing bytes inside AceSize are therefore accepted for every type. 0x12-0x15
 * (resource attribute, scoped policy, process trust label, access filter) are also
 * Mask + Sid + optional data. ALLOWED_COMPOUND (0x04) is reserved and left undecoded.
 */
static enum ace_layout
ace_layout(uint8_t type)
{
	switch (type) {
	case KD_ACE_ALLOWED:
	case KD_ACE_DENIED:
	case KD_ACE_AUDIT:
	case KD_ACE_ALARM:
	case KD_ACE_ALLOWED_CALLBACK:
	case KD_ACE_DENIED_CALLBACK:
	case KD_ACE_AUDIT_CALLBACK:
	case KD_ACE_ALARM_CALLBACK:
	case KD_ACE_MANDATORY_LABEL:
	case 0x12:
	case 0x13:
	case 0x14:
	case 0x15:
		return LAYOUT_PLAIN;
	case KD_ACE_ALLOWED_OBJECT:
	case KD_ACE_DENIED_OBJECT:
	case KD_ACE_AUDIT_OBJECT:
	case KD_ACE_ALARM_OBJECT:
	case KD_ACE_ALLOWED_CALLBACK_OBJECT:
	case KD_ACE_DENIED_CALLBACK_OBJECT:
	case KD_ACE_AUDIT_CALLBACK_OBJECT:
	case KD_ACE_ALARM_CALLBACK_OBJECT:
		return LAYOUT_OBJECT;
	default:
		return LAYOUT_UNKNOWN;
	}
}

static int parse_error(struct kd_error *err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
parse_error(struct kd_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, KD_ERR_PARSE, fmt, ap);
	va_end(ap);
	kd_error_set_offset(err, offset);
	return KD_ERR_PARSE;
}

/*
 * Reads the SID that ends an ACE from @ace (a reader limited to AceSize).
 * A SID longer than the room AceSize leaves is reported as the ACE's fault.
 */
static int
read_ace_sid(struct kd_reader *ace, const char *acl_name, size_t index, uint16_t ace_size,
             struct kd_sid *ret_sid, struct kd_error *err)
{
	struct kd_reader peek = *ace; /* a value copy: looking ahead moves nothing */
	size_t sid_off = ace->pos;
	size_t room = kd_reader_remaining(ace);
	struct kd_error sid_err;
	uint8_t count;

	if (room < SID_MIN_SIZE)
		return parse_error(err, sid_off, "%s ACE %zu size %u leaves %zu bytes for its SID",
		                   acl_name, index, ace_size, room);
	kd_reader_u8(&peek);
	count = kd_reader_u8(&peek);
	if (count <= KD_SID_MAX_SUBAUTH && SID_MIN_SIZE + 4u * count > room)
		return parse_error(err, sid_off,
		                   "%s ACE %zu SID needs %u bytes, ACE size %u leaves %zu",
		                   acl_name, index, SID_MIN_SIZE + 4u * count, ace_size, room);
	kd_error_clear(&sid_err);
	if (kd_sid_read(ace, ret_sid, &sid_err) < 0)
		return parse_error(err, sid_err.offset, "%s ACE %zu: %s", acl_name, index,
		                   sid_err.message);
	return 0;
}

/* Parses one ACE at the cursor of @acl (limited to AclSize) into @ace. */
static int
parse_ace(struct kd_reader *acl, const char *acl_name, uint8_t acl_revision, size_t index,
          struct kd_ace *ace, struct kd_error *err)
{
	struct kd_reader body;
	size_t off = acl->pos;
	size_t room = kd_reader_remaining(acl);
	enum ace_layout layout;
	size_t min;

	ace->offset = off;
	ace->type = kd_reader_u8(acl);
	ace->flags = kd_reader_u8(acl);
	ace->size = kd_reader_u16le(acl);
	layout = ace_layout(ace->type);
	min = layout == LAYOUT_OBJECT  ? OBJECT_ACE_MIN_SIZE
	      : layout == LAYOUT_PLAIN ? ACE_MIN_SIZE
	                               : 4u;
	if (ace->size < min)
		return parse_error(err, off + 2, "%s ACE %zu size %u < %zu", acl_name, index,
		                   ace->size, min);
	if (ace->size > room)
		return parse_error(err, off + 2, "%s ACE %zu size %u overruns ACL (%zu bytes left)",
		                   acl_name, index, ace->size, room);
	/*
	 * MS-DTYP says AceSize is a multiple of 4 and Windows only writes such ACEs,
	 * but nothing here depends on alignment, so odd sizes are accepted rather
	 * than rejecting a descriptor the KDC may still evaluate.
	 */
	kd_reader_seek(acl, off, 0);
	kd_reader_sub(acl, ace->size, &body);
	kd_reader_take(&body, 4);

	if (layout == LAYOUT_UNKNOWN) {
		/* Kept so callers can report it; without a layout nothing else is safe to read. */
		ace->known = false;
		return 0;
	}
	/* MS-DTYP 2.4.5: object ACEs need ACL_REVISION_DS. */
	if (layout == LAYOUT_OBJECT && acl_revision != ACL_REVISION_DS)
		return parse_error(err, off,
		                   "%s ACE %zu: object ACE type 0x%02x in revision-%u ACL",
		                   acl_name, index, ace->type, acl_revision);

	ace->mask = kd_reader_u32le(&body);
	if (layout == LAYOUT_OBJECT) {
		ace->object_flags = kd_reader_u32le(&body);
		ace->has_object_type = ace->object_flags & KD_ACE_OBJECT_TYPE_PRESENT;
		ace->has_inherited_object_type =
		    ace->object_flags & KD_ACE_INHERITED_OBJECT_TYPE_PRESENT;
		/* 2.4.4.3: each GUID is physically absent unless its flag bit is set. */
		min = OBJECT_ACE_MIN_SIZE +
		      GUID_SIZE * (ace->has_object_type + ace->has_inherited_object_type);
		if (ace->size < min)
			return parse_error(err, off + 2,
			                   "%s ACE %zu size %u < %zu (object flags 0x%x)", acl_name,
			                   index, ace->size, min, ace->object_flags);
		if (ace->has_object_type)
			kd_reader_bytes(&body, ace->object_type.bytes, GUID_SIZE);
		if (ace->has_inherited_object_type)
			kd_reader_bytes(&body, ace->inherited_object_type.bytes, GUID_SIZE);
	}
	if (read_ace_sid(&body, acl_name, index, ace->size, &ace->sid, err) < 0)
		return KD_ERR_PARSE;
	/* Whatever follows the SID (callback ApplicationData, padding) is opaque. */
	ace->known = true;
	return 0;
}

/*
 * Parses the ACL whose offset field sits at @field in the header (MS-DTYP 2.4.5).
 * @r spans the whole descriptor; offsets in errors are absolute.
 */
static int
parse_acl(struct kd_arena *arena, struct kd_reader *r, const char *name, size_t field, uint32_t off,
          struct kd_acl *acl, struct kd_error *err)
{
	struct kd_reader body;
	size_t avail;
	int ret;

	if (off < SD_HEADER_SIZE)
		return parse_error(err, field, "%s offset %u inside the %u-byte header", name, off,
		                   SD_HEADER_SIZE);
	if (off >= r->len)
		return parse_error(err, field, "%s offset %u past end of %zu-byte descriptor", name,
		                   off, r->len);
	if (!kd_reader_seek(r, off, ACL_HEADER_SIZE))
		return parse_error(err, field,
		                   "%s header at offset %u overruns %zu-byte descriptor", name, off,
		                   r->len);
	acl->offset = off;
	acl->revision = kd_reader_u8(r);
	kd_reader_u8(r); /* Sbz1: reserved, not checked (Windows ignores it too) */
	acl->size = kd_reader_u16le(r);
	acl->count = kd_reader_u16le(r);
	kd_reader_u16le(r); /* Sbz2 */

	if (acl->revision != ACL_REVISION && acl->revision != ACL_REVISION_DS)
		return parse_error(err, off, "%s revision %u, expected 2 or 4", name,
		                   acl->revision);
	if (acl->size < ACL_HEADER_SIZE)
		return parse_error(err, off + 2, "%s size %u < %u", name, acl->size,
		                   ACL_HEADER_SIZE);
	if (acl->size > r->len - off)
		return parse_error(err, off + 2,
		                   "%s size %u at offset %u overruns %zu-byte descriptor", name,
		                   acl->size, off, r->len);
	/*
	 * Bound AceCount by the bytes that exist before allocating (krb5_pac_parse):
	 * every ACE takes at least 16 bytes, so a forged count of 65535 in a small
	 * ACL fails here instead of asking the arena for 65535 entries.
	 */
	avail = acl->size - ACL_HEADER_SIZE;
	if ((size_t)acl->count > avail / ACE_MIN_SIZE)
		return parse_error(err, off + 4, "%s count %u: %zu bytes hold at most %zu ACEs",
		                   name, acl->count, avail, avail / ACE_MIN_SIZE);
	if (acl->count > 0) {
		acl->aces = kd_arena_calloc(arena, acl->count, sizeof(*acl->aces));
		if (!acl->aces)
			return kd_error_set(err, KD_ERR_NOMEM, "out of memory for %u ACEs",
			                    acl->count);
	}

	/* ACEs live in [off + 8, off + AclSize); the rest of AclSize is legal slack. */
	kd_reader_sub(r, avail, &body);
	for (size_t i = 0; i < acl->count; i++) {
		/*
		 * The AceCount check above bounds the count, not the sizes: earlier
		 * ACEs may use up the room, and then the count is what is wrong.
		 */
		if (kd_reader_remaining(&body) < 4)
			return parse_error(err, off + 4,
			                   "%s count %u: ACE %zu at offset %zu has only %zu bytes "
			                   "left in ACL",
			                   name, acl->count, i, body.pos,
			                   kd_reader_remaining(&body));
		ret = parse_ace(&body, name, acl->revision, i, &acl->aces[i], err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Owner or group SID whose offset field sits at @field; 0 means absent. */
static int
parse_sid_at(struct kd_reader *r, const char *name, size_t field, uint32_t off, bool *ret_has,
             struct kd_sid *ret_sid, struct kd_error *err)
{
	struct kd_error sid_err;

	if (off == 0)
		return 0;
	if (off < SD_HEADER_SIZE)
		return parse_error(err, field, "%s offset %u inside the %u-byte header", name, off,
		                   SD_HEADER_SIZE);
	if (off >= r->len)
		return parse_error(err, field, "%s offset %u past end of %zu-byte descriptor", name,
		                   off, r->len);
	if (!kd_reader_seek(r, off, SID_MIN_SIZE))
		return parse_error(err, field, "%s SID at offset %u overruns %zu-byte descriptor",
		                   name, off, r->len);
	kd_error_clear(&sid_err);
	if (kd_sid_read(r, ret_sid, &sid_err) < 0)
		return parse_error(err, sid_err.offset, "%s %s", name, sid_err.message);
	*ret_has = true;
	return 0;
}

int
kd_secdesc_parse(struct kd_arena *arena, const void *data, size_t len, struct kd_secdesc *ret_sd,
                 struct kd_error *err)
{
	struct kd_secdesc sd;
	struct kd_reader r;
	uint32_t off_owner, off_group, off_sacl, off_dacl;
	int ret;

	memset(&sd, 0, sizeof(sd));
	memset(ret_sd, 0, sizeof(*ret_sd));
	if (len < SD_HEADER_SIZE) {
		ret =
		    parse_error(err, 0, "descriptor is %zu bytes, shorter than its %u-byte header",
		                len, SD_HEADER_SIZE);
		goto out;
	}
	kd_reader_init(&r, data, len);
	sd.revision = kd_reader_u8(&r);
	kd_reader_u8(&r); /* Sbz1: only meaningful with RM_CONTROL_VALID */
	sd.control = kd_reader_u16le(&r);
	off_owner = kd_reader_u32le(&r);
	off_group = kd_reader_u32le(&r);
	off_sacl = kd_reader_u32le(&r);
	off_dacl = kd_reader_u32le(&r);

	if (sd.revision != 1) {
		ret = parse_error(err, 0, "descriptor revision %u, expected 1", sd.revision);
		goto out;
	}
	/* Without SELF_RELATIVE the four fields are pointers (absolute form), not offsets. */
	if (!(sd.control & KD_SE_SELF_RELATIVE)) {
		ret = parse_error(err, 2, "control 0x%04x lacks SELF_RELATIVE", sd.control);
		goto out;
	}

	ret = parse_sid_at(&r, "owner", 4, off_owner, &sd.has_owner, &sd.owner, err);
	if (ret < 0)
		goto out;
	ret = parse_sid_at(&r, "group", 8, off_group, &sd.has_group, &sd.group, err);
	if (ret < 0)
		goto out;

	/*
	 * MS-DTYP 2.4.6: "If the SP flag is not set ... OffsetSacl MUST be set to
	 * zero", likewise for DP and OffsetDacl. An offset without its bit is
	 * rejected rather than guessed at: honouring it could invent ACEs Windows
	 * ignores, ignoring it could turn a real DACL into "everyone, full access".
	 * The bit with offset 0 is a NULL ACL.
	 */
	if (off_sacl != 0 && !(sd.control & KD_SE_SACL_PRESENT)) {
		ret = parse_error(err, 12, "SACL offset set without SACL_PRESENT");
		goto out;
	}
	if (off_sacl != 0) {
		ret = parse_acl(arena, &r, "SACL", 12, off_sacl, &sd.sacl, err);
		if (ret < 0)
			goto out;
		sd.has_sacl = true;
	}

	if (off_dacl != 0 && !(sd.control & KD_SE_DACL_PRESENT)) {
		ret = parse_error(err, 16, "DACL offset set without DACL_PRESENT");
		goto out;
	}
	if (off_dacl != 0) {
		ret = parse_acl(arena, &r, "DACL", 16, off_dacl, &sd.dacl, err);
		if (ret < 0)
			goto out;
	} else {
		/* No bit, or the bit with offset 0: a NULL DACL grants everyone everything. */
		sd.dacl_null = true;
	}

	/* Overlapping regions are tolerated: each one is parsed on its own and never written. */
	*ret_sd = sd;
	ret = 0;
out:
	return ret;
}

const char *
kd_ace_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [KD_ACE_ALLOWED] = "ACCESS_ALLOWED",
	    [KD_ACE_DENIED] = "ACCESS_DENIED",
	    [KD_ACE_AUDIT] = "SYSTEM_AUDIT",
	    [KD_ACE_ALARM] = "SYSTEM_ALARM",
	    [KD_ACE_ALLOWED_COMPOUND] = "ACCESS_ALLOWED_COMPOUND",
	    [KD_ACE_ALLOWED_OBJECT] = "ACCESS_ALLOWED_OBJECT",
	    [KD_ACE_DENIED_OBJECT] = "ACCESS_DENIED_OBJECT",
	    [KD_ACE_AUDIT_OBJECT] = "SYSTEM_AUDIT_OBJECT",
	    [KD_ACE_ALARM_OBJECT] = "SYSTEM_ALARM_OBJECT",
	    [KD_ACE_ALLOWED_CALLBACK] = "ACCESS_ALLOWED_CALLBACK",
	    [KD_ACE_DENIED_CALLBACK] = "ACCESS_DENIED_CALLBACK",
	    [KD_ACE_ALLOWED_CALLBACK_OBJECT] = "ACCESS_ALLOWED_CALLBACK_OBJECT",
	    [KD_ACE_DENIED_CALLBACK_OBJECT] = "ACCESS_DENIED_CALLBACK_OBJECT",
	    [KD_ACE_AUDIT_CALLBACK] = "SYSTEM_AUDIT_CALLBACK",
	    [KD_ACE_ALARM_CALLBACK] = "SYSTEM_ALARM_CALLBACK",
	    [KD_ACE_AUDIT_CALLBACK_OBJECT] = "SYSTEM_AUDIT_CALLBACK_OBJECT",
	    [KD_ACE_ALARM_CALLBACK_OBJECT] = "SYSTEM_ALARM_CALLBACK_OBJECT",
	    [KD_ACE_MANDATORY_LABEL] = "SYSTEM_MANDATORY_LABEL",
	    [0x12] = "SYSTEM_RESOURCE_ATTRIBUTE",
	    [0x13] = "SYSTEM_SCOPED_POLICY_ID",
	    [0x14] = "SYSTEM_PROCESS_TRUST_LABEL",
	    [0x15] = "SYSTEM_ACCESS_FILTER",
	};

	if (type >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[type];
}

bool
kd_ace_is_allow(uint8_t type)
{
	return type == KD_ACE_ALLOWED || type == KD_ACE_ALLOWED_OBJECT ||
	       type == KD_ACE_ALLOWED_CALLBACK || type == KD_ACE_ALLOWED_CALLBACK_OBJECT;
}

bool
kd_ace_is_deny(uint8_t type)
{
	return type == KD_ACE_DENIED || type == KD_ACE_DENIED_OBJECT ||
	       type == KD_ACE_DENIED_CALLBACK || type == KD_ACE_DENIED_CALLBACK_OBJECT;
}
