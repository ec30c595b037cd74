/* SPDX-License-Identifier: MIT */
/* Security identifiers: binary (MS-DTYP 2.4.2.2) and text (2.4.2.1) forms. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/error.h"
#include "kdeleg/reader.h"

#define KD_SID_MAX_SUBAUTH 15
/* "S-1-" + 48-bit authority + 15 x "-4294967295" + NUL */
#define KD_SID_STRING_MAX 192

/* A value type: copy it freely. Unused sub-authorities are zero so memcmp works. */
struct kd_sid {
	uint8_t revision;
	uint8_t count;      /* sub-authorities in use, <= 15 */
	uint64_t authority; /* 48-bit identifier authority */
	uint32_t sub[KD_SID_MAX_SUBAUTH];
};

/*
 * Reads one binary SID at the reader's cursor. Fails (reader marked failed,
 * KD_ERR_PARSE with the byte offset in @err) on revision != 1, more than 15
 * sub-authorities, or too few bytes.
 */
int kd_sid_read(struct kd_reader *r, struct kd_sid *ret_sid, struct kd_error *err);

/* Parses exactly @len bytes; trailing bytes are an error. */
int kd_sid_from_binary(const void *data, size_t len, struct kd_sid *ret_sid,
		       struct kd_error *err);

/* Binary size of @sid: 8 + 4 * count. */
size_t kd_sid_binary_size(const struct kd_sid *sid);
/* Writes the binary form; @size must be >= kd_sid_binary_size(). Returns bytes written. */
size_t kd_sid_to_binary(const struct kd_sid *sid, uint8_t *buf, size_t size);

/*
 * Parses "S-1-5-21-…" (case-insensitive 'S'; authority in decimal, or 0x hex
 * when >= 2^32 as MS-DTYP prints it). Strict: no signs, spaces, empty parts or
 * overflow.
 */
int kd_sid_from_string(const char *text, struct kd_sid *ret_sid, struct kd_error *err);

/* Writes the text form into @buf (at least KD_SID_STRING_MAX bytes); returns @buf. */
char *kd_sid_to_string(const struct kd_sid *sid, char *buf, size_t size);

bool kd_sid_equal(const struct kd_sid *a, const struct kd_sid *b);
/* Last sub-authority, 0 when there is none. */
uint32_t kd_sid_rid(const struct kd_sid *sid);
/* True when @sid is @domain plus exactly one RID. */
bool kd_sid_in_domain(const struct kd_sid *sid, const struct kd_sid *domain);
/* @domain with @rid appended; false when @domain already has 15 sub-authorities. */
bool kd_sid_compose(const struct kd_sid *domain, uint32_t rid, struct kd_sid *ret_sid);

/* A well-known name for SIDs that are the same in every domain, or NULL. */
const char *kd_sid_wellknown_name(const struct kd_sid *sid);
/* A well-known name for a domain-relative RID (512 "Domain Admins"...), or NULL. */
const char *kd_sid_domain_rid_name(uint32_t rid);
