/* SPDX-License-Identifier: MIT */
/* userAccountControl: the LDAP bit values (MS-ADTS 2.2.16), never MS-SAMR's USER_*. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kdeleg/error.h"

#define KD_UAC_SCRIPT 0x00000001u
#define KD_UAC_ACCOUNTDISABLE 0x00000002u
#define KD_UAC_HOMEDIR_REQUIRED 0x00000008u
#define KD_UAC_LOCKOUT 0x00000010u
#define KD_UAC_PASSWD_NOTREQD 0x00000020u
#define KD_UAC_PASSWD_CANT_CHANGE 0x00000040u
#define KD_UAC_ENCRYPTED_TEXT_PWD_ALLOWED 0x00000080u
#define KD_UAC_TEMP_DUPLICATE_ACCOUNT 0x00000100u
#define KD_UAC_NORMAL_ACCOUNT 0x00000200u
#define KD_UAC_INTERDOMAIN_TRUST_ACCOUNT 0x00000800u
#define KD_UAC_WORKSTATION_TRUST_ACCOUNT 0x00001000u
#define KD_UAC_SERVER_TRUST_ACCOUNT 0x00002000u
#define KD_UAC_DONT_EXPIRE_PASSWORD 0x00010000u
#define KD_UAC_MNS_LOGON_ACCOUNT 0x00020000u
#define KD_UAC_SMARTCARD_REQUIRED 0x00040000u
#define KD_UAC_TRUSTED_FOR_DELEGATION 0x00080000u
#define KD_UAC_NOT_DELEGATED 0x00100000u
#define KD_UAC_USE_DES_KEY_ONLY 0x00200000u
#define KD_UAC_DONT_REQ_PREAUTH 0x00400000u
#define KD_UAC_PASSWORD_EXPIRED 0x00800000u
#define KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION 0x01000000u
#define KD_UAC_NO_AUTH_DATA_REQUIRED 0x02000000u
#define KD_UAC_PARTIAL_SECRETS_ACCOUNT 0x04000000u

/*
 * Parses the decimal LDAP value. AD returns an INTEGER, which is signed 32-bit
 * on the wire, so "-2147483648".."2147483647" and, for tools that print it
 * unsigned, up to "4294967295" are accepted; anything else (signs twice, spaces,
 * hex, overflow, empty) is KD_ERR_PARSE.
 */
int kd_uac_parse(const char *text, size_t len, uint32_t *ret_flags, struct kd_error *err);

/* The name of a single bit, or NULL when it has none. */
const char *kd_uac_flag_name(uint32_t bit);

/*
 * Writes the names of the set bits joined by '|' ("NORMAL_ACCOUNT|TRUSTED_FOR_DELEGATION"),
 * unnamed bits as 0x hex; "0" when none are set. Truncates to @size. Returns @buf.
 */
char *kd_uac_describe(uint32_t flags, char *buf, size_t size);

/* Strict parser for other small integer attributes (adminCount, primaryGroupID,
 * msDS-SupportedEncryptionTypes, ms-DS-MachineAccountQuota): same rules as above. */
int kd_parse_int32(const char *text, size_t len, int64_t *ret_value, struct kd_error *err);
