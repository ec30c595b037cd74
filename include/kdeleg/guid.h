/* SPDX-License-Identifier: MIT */
/* GUIDs as stored in object ACEs (MS-DTYP 2.3.4.2) and their text form. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define KD_GUID_STRING_MAX 37

/* The 16 bytes in wire order: Data1..3 little-endian, Data4 as stored. */
struct kd_guid {
	uint8_t bytes[16];
};

/* "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79" (lower case) into @buf of >= 37 bytes. */
char *kd_guid_to_string(const struct kd_guid *guid, char *buf);
/* Parses the 36-character text form; false when malformed. */
bool kd_guid_from_string(const char *text, struct kd_guid *ret_guid);
bool kd_guid_equal(const struct kd_guid *a, const struct kd_guid *b);
