/* SPDX-License-Identifier: MIT */
/* Test helpers: a growable byte buffer, a SID/ACL/SD encoder, test data files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Everything here is for tests, fuzz seeds and benchmarks: on out-of-memory or
 * malformed arguments (a bad SID string, a bad GUID) the helpers print to stderr
 * and abort(), so callers need no error paths. Nothing here is hardened input
 * handling; the point is to build inputs for the real parsers.
 */

/* A growable byte buffer; zero-initialise it ({0}) or use tu_buf_init(). */
struct tu_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void tu_buf_init(struct tu_buf *b);
/* Frees the bytes and resets @b to empty; safe on an empty buffer. */
void tu_buf_free(struct tu_buf *b);
void tu_buf_append(struct tu_buf *b, const void *data, size_t len);
void tu_buf_u8(struct tu_buf *b, uint8_t v);
void tu_buf_u16le(struct tu_buf *b, uint16_t v);
void tu_buf_u32le(struct tu_buf *b, uint32_t v);
/* Overwrite already appended bytes at @pos (to patch sizes, offsets, or corrupt a blob). */
void tu_buf_put_u16le(struct tu_buf *b, size_t pos, uint16_t v);
void tu_buf_put_u32le(struct tu_buf *b, size_t pos, uint32_t v);

/* Appends the binary form of @sid_text ("S-1-5-21-1-2-3-1104"); aborts when it does not parse. */
void tu_sid_append(struct tu_buf *b, const char *sid_text);
/* Appends the 16-byte wire form of "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79". */
void tu_guid_append(struct tu_buf *b, const char *guid_text);

/*
 * One ACE to encode. Object types (0x05-0x08, 0x0b, 0x0c, 0x0f, 0x10) get the
 * Flags field, and each GUID that is non-NULL is written and flagged present.
 * @app_data (callback ApplicationData or padding) goes after the SID. AceSize is
 * computed unless @size_override is non-zero.
 */
struct tu_ace {
	uint8_t type;
	uint8_t flags;
	uint32_t mask;
	const char *sid;
	const char *object_type_guid;    /* NULL = absent */
	const char *inherited_type_guid; /* NULL = absent */
	const void *app_data;
	size_t app_len;
	uint16_t size_override;
};

/* True for the object ACE types (those with a Flags field and optional GUIDs). */
bool tu_ace_type_is_object(uint8_t type);
void tu_ace_append(struct tu_buf *b, const struct tu_ace *ace);
/* An ACL; @revision 0 picks 4 when an object ACE is present, else 2. */
void tu_acl_append(struct tu_buf *b, uint8_t revision, const struct tu_ace *aces, size_t n);

/*
 * A whole self-relative descriptor. Laid out header, owner, group, SACL, DACL;
 * a NULL owner/group gets offset 0. dacl_present false writes neither the bit
 * nor the ACL (a NULL DACL); dacl_present with dacl_null writes the bit and
 * offset 0 (the other NULL DACL). control_extra is ORed into Control.
 */
struct tu_sd {
	const char *owner;
	const char *group;
	uint16_t control_extra;
	bool sacl_present;
	uint8_t sacl_revision;
	const struct tu_ace *sacl;
	size_t sacl_count;
	bool dacl_present;
	bool dacl_null;
	uint8_t dacl_revision;
	const struct tu_ace *dacl;
	size_t dacl_count;
};

/* Appends the descriptor to @out; returns its offset in @out (so offsets are relative to it). */
size_t tu_sd_encode(struct tu_buf *out, const struct tu_sd *sd);
/* The common case: owner, optional DACL of @n ACEs, no group, no SACL. */
size_t tu_sd_build(struct tu_buf *out, const char *owner_sid_or_null, bool dacl_present,
                   const struct tu_ace *aces, size_t n);

/* "$KD_TEST_DATA/@relative" (default "tests/data"); a static buffer, valid until the next call. */
const char *tu_data_path(const char *relative);
/* Reads a whole file into a malloc()ed buffer (free() it); NULL when it cannot be read. */
uint8_t *tu_read_file(const char *path, size_t *ret_len);
