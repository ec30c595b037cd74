/* SPDX-License-Identifier: MIT */
/* Bounds-checked cursor: every read checks what remains; the first failure sticks. */
#include "config.h"

#include <string.h>

#include "kdeleg/reader.h"

void
kd_reader_init(struct kd_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->data = data;
	r->len = data ? len : 0;
}

void
kd_reader_fail(struct kd_reader *r, const char *reason)
{
	if (r->failed)
		return;
	r->failed = true;
	r->fail_offset = r->pos;
	r->fail_reason = reason;
}

size_t
kd_reader_remaining(const struct kd_reader *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

/* pos <= len always holds, so len - pos cannot wrap. */
static const uint8_t *
need(struct kd_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed)
		return NULL;
	if (n > r->len - r->pos) {
		kd_reader_fail(r, "data ends early");
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

uint8_t
kd_reader_u8(struct kd_reader *r)
{
	const uint8_t *p = need(r, 1);

	return p ? p[0] : 0;
}

uint16_t
kd_reader_u16le(struct kd_reader *r)
{
	const uint8_t *p = need(r, 2);

	return p ? (uint16_t)(p[0] | (uint16_t)p[1] << 8) : 0;
}

uint32_t
kd_reader_u32le(struct kd_reader *r)
{
	const uint8_t *p = need(r, 4);

	if (!p)
		return 0;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint64_t
kd_reader_u48be(struct kd_reader *r)
{
	const uint8_t *p = need(r, 6);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (size_t i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

void
kd_reader_bytes(struct kd_reader *r, void *out, size_t len)
{
	const uint8_t *p = need(r, len);

	if (p)
		memcpy(out, p, len);
	else if (len)
		memset(out, 0, len);
}

const uint8_t *
kd_reader_take(struct kd_reader *r, size_t len)
{
	return need(r, len);
}

bool
kd_reader_seek(struct kd_reader *r, size_t offset, size_t need_bytes)
{
	if (r->failed)
		return false;
	if (offset > r->len || need_bytes > r->len - offset) {
		kd_reader_fail(r, "offset points outside the data");
		r->fail_offset = offset;
		return false;
	}
	r->pos = offset;
	return true;
}

bool
kd_reader_sub(struct kd_reader *r, size_t len, struct kd_reader *ret_sub)
{
	size_t start = r->pos;

	memset(ret_sub, 0, sizeof(*ret_sub));
	if (!need(r, len)) {
		ret_sub->failed = true;
		ret_sub->fail_offset = r->fail_offset;
		ret_sub->fail_reason = r->fail_reason;
		return false;
	}
	/* Same base pointer, so offsets stay absolute; the limit is the end of the slice. */
	ret_sub->data = r->data;
	ret_sub->len = start + len;
	ret_sub->pos = start;
	return true;
}
