/* SPDX-License-Identifier: MIT */
/* Self-relative SECURITY_DESCRIPTOR parsing (MS-DTYP 2.4.6, 2.4.5, 2.4.4). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/arena.h"
#include "kdeleg/error.h"
#include "kdeleg/guid.h"
#include "kdeleg/sid.h"

/* SECURITY_DESCRIPTOR_CONTROL bits */
#define KD_SE_DACL_PRESENT 0x0004u
#define KD_SE_SACL_PRESENT 0x0010u
#define KD_SE_SELF_RELATIVE 0x8000u

/* ACE types (MS-DTYP 2.4.4.1) */
enum kd_ace_type {
	KD_ACE_ALLOWED = 0x00,
	KD_ACE_DENIED = 0x01,
	KD_ACE_AUDIT = 0x02,
	KD_ACE_ALARM = 0x03,
	KD_ACE_ALLOWED_COMPOUND = 0x04,
	KD_ACE_ALLOWED_OBJECT = 0x05,
	KD_ACE_DENIED_OBJECT = 0x06,
	KD_ACE_AUDIT_OBJECT = 0x07,
	KD_ACE_ALARM_OBJECT = 0x08,
	KD_ACE_ALLOWED_CALLBACK = 0x09,
	KD_ACE_DENIED_CALLBACK = 0x0a,
	KD_ACE_ALLOWED_CALLBACK_OBJECT = 0x0b,
	KD_ACE_DENIED_CALLBACK_OBJECT = 0x0c,
	KD_ACE_AUDIT_CALLBACK = 0x0d,
	KD_ACE_ALARM_CALLBACK = 0x0e,
	KD_ACE_AUDIT_CALLBACK_OBJECT = 0x0f,
	KD_ACE_ALARM_CALLBACK_OBJECT = 0x10,
	KD_ACE_MANDATORY_LABEL = 0x11
};

/* AceFlags */
#define KD_ACE_FLAG_OBJECT_INHERIT 0x01u
#define KD_ACE_FLAG_CONTAINER_INHERIT 0x02u
#define KD_ACE_FLAG_NO_PROPAGATE 0x04u
#define KD_ACE_FLAG_INHERIT_ONLY 0x08u
#define KD_ACE_FLAG_INHERITED 0x10u

/* Object ACE Flags field */
#define KD_ACE_OBJECT_TYPE_PRESENT 0x1u
#define KD_ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2u

/* Directory access rights (ADS_RIGHTS_ENUM) */
#define KD_RIGHT_DS_CONTROL_ACCESS 0x00000100u
#define KD_RIGHT_DS_WRITE_PROP 0x00000020u
#define KD_RIGHT_WRITE_DAC 0x00040000u
#define KD_RIGHT_WRITE_OWNER 0x00080000u
#define KD_RIGHT_GENERIC_ALL 0x10000000u
#define KD_RIGHT_GENERIC_WRITE 0x40000000u

struct kd_ace {
	uint8_t type;         /* enum kd_ace_type */
	uint8_t flags;        /* KD_ACE_FLAG_* */
	uint16_t size;        /* AceSize */
	size_t offset;        /* byte offset of the ACE in the descriptor */
	bool known;           /* false: a type this parser does not decode (only header kept) */
	uint32_t mask;
	uint32_t object_flags; /* object ACEs only */
	bool has_object_type;
	struct kd_guid object_type;
	bool has_inherited_object_type;
	struct kd_guid inherited_object_type;
	struct kd_sid sid; /* the trustee; valid when known */
};

struct kd_acl {
	uint8_t revision; /* 2 or 4 */
	uint16_t size;
	uint16_t count;
	size_t offset;       /* of the ACL in the descriptor */
	struct kd_ace *aces; /* count entries, in the arena */
};

struct kd_secdesc {
	uint8_t revision;
	uint16_t control;
	bool has_owner;
	struct kd_sid owner;
	bool has_group;
	struct kd_sid group;
	/* MS-DTYP 2.4.6: no DACL_PRESENT bit, or the bit with offset 0, is a NULL
	 * DACL ("everyone, full access"); an ACL with no ACEs grants nothing. */
	bool dacl_null;
	struct kd_acl dacl; /* valid when !dacl_null */
	bool has_sacl;
	struct kd_acl sacl;
};

/*
 * Parses a self-relative security descriptor of exactly @len bytes. Every offset
 * is checked against the buffer without overflow, every count against the bytes
 * that remain before anything is allocated. On failure returns KD_ERR_PARSE with
 * the byte offset in @err (err->has_offset) and leaves @ret_sd zeroed; memory
 * already taken from @arena stays there (it is freed with the arena). Bytes after
 * the last structure are accepted (AD pads descriptors); bytes between structures
 * are never read.
 */
int kd_secdesc_parse(struct kd_arena *arena, const void *data, size_t len,
		     struct kd_secdesc *ret_sd, struct kd_error *err);

/* "ACCESS_ALLOWED_OBJECT" ... or NULL for an unknown type. */
const char *kd_ace_type_name(uint8_t type);
/* True for the allow types (plain, object, callback, callback object). */
bool kd_ace_is_allow(uint8_t type);
bool kd_ace_is_deny(uint8_t type);
