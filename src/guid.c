/* SPDX-License-Identifier: MIT */
/* GUID text form; the wire order is MS-DTYP 2.3.4.2 (Data1-3 little-endian). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kdeleg/guid.h"

/* Byte index in wire order for each of the 16 hex pairs of the text form. */
static const unsigned char text_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

char *
kd_guid_to_string(const struct kd_guid *guid, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < 16; i++) {
		unsigned char b = guid->bytes[text_order[i]];

		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[b >> 4];
		buf[o++] = hex[b & 0xf];
	}
	buf[o] = '\0';
	return buf;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
kd_guid_from_string(const char *text, struct kd_guid *ret_guid)
{
	struct kd_guid g;
	size_t pos = 0;

	if (strlen(text) != 36)
		return false;
	for (size_t i = 0; i < 16; i++) {
		int hi, lo;

		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (text[pos] != '-')
				return false;
			pos++;
		}
		hi = hexval(text[pos]);
		lo = hexval(text[pos + 1]);
		if (hi < 0 || lo < 0)
			return false;
		g.bytes[text_order[i]] = (unsigned char)(hi << 4 | lo);
		pos += 2;
	}
	*ret_guid = g;
	return true;
}

bool
kd_guid_equal(const struct kd_guid *a, const struct kd_guid *b)
{
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}
