/* SPDX-License-Identifier: MIT */
/* Bounds-checked little-endian cursor over untrusted binary data. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The first failure sticks (MIT krb5's k5input): later reads return zeros and
 * leave the error and its offset alone, so a parser may read a whole structure
 * and check once. The reader borrows @data; nothing to free.
 */
struct kd_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	bool failed;
	size_t fail_offset;      /* where the failing read started */
	const char *fail_reason; /* static text */
};

void kd_reader_init(struct kd_reader *r, const void *data, size_t len);

/* Bytes left after the cursor; 0 after a failure. */
size_t kd_reader_remaining(const struct kd_reader *r);

uint8_t kd_reader_u8(struct kd_reader *r);
uint16_t kd_reader_u16le(struct kd_reader *r);
uint32_t kd_reader_u32le(struct kd_reader *r);
uint64_t kd_reader_u48be(struct kd_reader *r);
/* Copies @len bytes into @out (zero-filled on failure). */
void kd_reader_bytes(struct kd_reader *r, void *out, size_t len);
/* Returns a pointer to the next @len bytes and skips them, NULL on failure. */
const uint8_t *kd_reader_take(struct kd_reader *r, size_t len);

/*
 * Moves the cursor to absolute @offset; fails unless offset + @need <= len,
 * computed without overflow (Samba's NDR_PULL_NEED_BYTES).
 */
bool kd_reader_seek(struct kd_reader *r, size_t offset, size_t need);

/* A sub-reader over [pos, pos + len) that keeps absolute offsets; skips it in @r. */
bool kd_reader_sub(struct kd_reader *r, size_t len, struct kd_reader *ret_sub);

/* Marks the reader failed at the current position with @reason (static text). */
void kd_reader_fail(struct kd_reader *r, const char *reason);
