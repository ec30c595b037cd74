/* SPDX-License-Identifier: MIT */
/* userAccountControl: strict decimal parsing and bit names (MS-ADTS 2.2.16). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kdeleg/uac.h"

/*
 * LDAP INTEGER syntax (RFC 4517 3.3) is signed; AD stores 32 bits. We accept
 * the signed range and, because some tools print the unsigned reading, up to
 * UINT32_MAX. Nothing else: no '+', no spaces, no hex, no second sign.
 */
#define NEG_LIMIT 2147483648u  /* magnitude of INT32_MIN */
#define POS_LIMIT 4294967295u

/*
 * Own digit loop (libinput safe_atoi, but without strtol's locale, whitespace
 * and '+' leniency). Leading zeros are fine: the overflow check runs per digit,
 * so any number of them is accepted and any length of significant digits is
 * rejected at the first digit that leaves the range.
 */
static int
parse_decimal(const char *text, size_t len, int64_t *ret_value, struct kd_error *err)
{
	uint64_t limit, value = 0;
	bool negative = false;
	size_t i = 0;

	if (len == 0 || !text) {
		kd_error_set(err, KD_ERR_PARSE, "empty number");
		kd_error_set_offset(err, 0);
		return KD_ERR_PARSE;
	}
	if (text[0] == '-') {
		negative = true;
		i = 1;
		if (len == 1) {
			kd_error_set(err, KD_ERR_PARSE, "number has a sign but no digits");
			kd_error_set_offset(err, 1);
			return KD_ERR_PARSE;
		}
	}
	limit = negative ? NEG_LIMIT : POS_LIMIT;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < '0' || c > '9') {
			kd_error_set(err, KD_ERR_PARSE, "not a decimal digit in number: 0x%02x", c);
			kd_error_set_offset(err, i);
			return KD_ERR_PARSE;
		}
		/* value <= limit < 2^32, so value * 10 + 9 cannot wrap 64 bits. */
		value = value * 10 + (uint64_t)(c - '0');
		if (value > limit) {
			kd_error_set(err, KD_ERR_PARSE, "number out of range %s",
				     negative ? "(below -2147483648)" : "(above 4294967295)");
			kd_error_set_offset(err, i);
			return KD_ERR_PARSE;
		}
	}
	*ret_value = negative ? -(int64_t)value : (int64_t)value;
	return 0;
}

int
kd_uac_parse(const char *text, size_t len, uint32_t *ret_flags, struct kd_error *err)
{
	int64_t value;
	int r = parse_decimal(text, len, &value, err);

	if (r < 0)
		return r;
	/* Negative values are the signed reading of the same 32 bits (-1 = 0xFFFFFFFF). */
	*ret_flags = (uint32_t)value; /* modulo 2^32 (C11 6.3.1.3) */
	return 0;
}

int
kd_parse_int32(const char *text, size_t len, int64_t *ret_value, struct kd_error *err)
{
	/* Returned as written: -2147483648..4294967295; the caller picks the reading. */
	return parse_decimal(text, len, ret_value, err);
}

/* The LDAP names, as in MS-ADTS 2.2.16 and Microsoft's "UserAccountControl property flags". */
static const struct {
	uint32_t bit;
	const char *name;
} uac_names[] = {
	{KD_UAC_SCRIPT, "SCRIPT"},
	{KD_UAC_ACCOUNTDISABLE, "ACCOUNTDISABLE"},
	{KD_UAC_HOMEDIR_REQUIRED, "HOMEDIR_REQUIRED"},
	{KD_UAC_LOCKOUT, "LOCKOUT"},
	{KD_UAC_PASSWD_NOTREQD, "PASSWD_NOTREQD"},
	{KD_UAC_PASSWD_CANT_CHANGE, "PASSWD_CANT_CHANGE"},
	{KD_UAC_ENCRYPTED_TEXT_PWD_ALLOWED, "ENCRYPTED_TEXT_PWD_ALLOWED"},
	{KD_UAC_TEMP_DUPLICATE_ACCOUNT, "TEMP_DUPLICATE_ACCOUNT"},
	{KD_UAC_NORMAL_ACCOUNT, "NORMAL_ACCOUNT"},
	{KD_UAC_INTERDOMAIN_TRUST_ACCOUNT, "INTERDOMAIN_TRUST_ACCOUNT"},
	{KD_UAC_WORKSTATION_TRUST_ACCOUNT, "WORKSTATION_TRUST_ACCOUNT"},
	{KD_UAC_SERVER_TRUST_ACCOUNT, "SERVER_TRUST_ACCOUNT"},
	{KD_UAC_DONT_EXPIRE_PASSWORD, "DONT_EXPIRE_PASSWORD"},
	{KD_UAC_MNS_LOGON_ACCOUNT, "MNS_LOGON_ACCOUNT"},
	{KD_UAC_SMARTCARD_REQUIRED, "SMARTCARD_REQUIRED"},
	{KD_UAC_TRUSTED_FOR_DELEGATION, "TRUSTED_FOR_DELEGATION"},
	{KD_UAC_NOT_DELEGATED, "NOT_DELEGATED"},
	{KD_UAC_USE_DES_KEY_ONLY, "USE_DES_KEY_ONLY"},
	{KD_UAC_DONT_REQ_PREAUTH, "DONT_REQ_PREAUTH"},
	{KD_UAC_PASSWORD_EXPIRED, "PASSWORD_EXPIRED"},
	{KD_UAC_TRUSTED_TO_AUTH_FOR_DELEGATION, "TRUSTED_TO_AUTH_FOR_DELEGATION"},
	{KD_UAC_NO_AUTH_DATA_REQUIRED, "NO_AUTH_DATA_REQUIRED"},
	{KD_UAC_PARTIAL_SECRETS_ACCOUNT, "PARTIAL_SECRETS_ACCOUNT"},
};

const char *
kd_uac_flag_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(uac_names) / sizeof(uac_names[0]); i++)
		if (uac_names[i].bit == bit)
			return uac_names[i].name;
	return NULL;
}

/*
 * Appends "|"-separated @token when it fits; @reserve bytes must stay free
 * after it (4 for "..." and the NUL while more tokens follow, else 1).
 */
static bool
put_token(char *buf, size_t size, size_t *used, const char *token, size_t reserve)
{
	size_t sep = *used > 0 ? 1 : 0;
	size_t n = strlen(token);

	if (size - *used < reserve || sep + n > size - *used - reserve)
		return false;
	if (sep)
		buf[(*used)++] = '|';
	memcpy(buf + *used, token, n);
	*used += n;
	buf[*used] = '\0';
	return true;
}

/*
 * Named bits in ascending order, then every unnamed bit together as one "0x%x"
 * token ("NORMAL_ACCOUNT|0x80000000"). When the text does not fit, it ends
 * after the last whole token with "..." (like kd_escape_text), so a cut never
 * yields a different, valid-looking flag name. 512 bytes always suffice (all
 * 32 bits set: 452 bytes).
 */
char *
kd_uac_describe(uint32_t flags, char *buf, size_t size)
{
	uint32_t unnamed = flags;
	size_t used = 0;
	char hex[16];

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (flags == 0) {
		if (size >= 2)
			memcpy(buf, "0", 2);
		return buf;
	}
	for (size_t i = 0; i < sizeof(uac_names) / sizeof(uac_names[0]); i++)
		unnamed &= ~uac_names[i].bit;
	for (unsigned int i = 0; i < 32; i++) {
		uint32_t bit = (uint32_t)1 << i;
		const char *name = kd_uac_flag_name(bit);
		/* Are there tokens after this one? Then "..." must still fit. */
		bool more = (flags & ~unnamed) >> i >> 1 || unnamed;

		if (!(flags & bit) || !name)
			continue;
		if (!put_token(buf, size, &used, name, more ? 4 : 1))
			goto cut;
	}
	if (unnamed) {
		snprintf(hex, sizeof(hex), "0x%x", (unsigned int)unnamed);
		if (!put_token(buf, size, &used, hex, 1))
			goto cut;
	}
	return buf;
cut:
	if (size - used >= 4)
		memcpy(buf + used, "...", 4);
	return buf;
}
