/* SPDX-License-Identifier: MIT */
/* SIDs: binary form through the bounds-checked reader, strict text form, well-known names. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kdeleg/sid.h"

/* MS-DTYP 2.4.2.2: Revision, SubAuthorityCount, 6-byte IdentifierAuthority. */
#define SID_HEADER_SIZE 8u
#define AUTHORITY_MAX 0xFFFFFFFFFFFFull /* 48 bits */

/*
 * Marks @r failed with @reason at @offset (the field at fault, not the cursor),
 * unless an earlier failure already stuck, and fills @err to match.
 */
static int fail_at(struct kd_reader *r, size_t offset, struct kd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct kd_reader *r, size_t offset, struct kd_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!r->failed) {
		kd_reader_fail(r, "malformed SID");
		r->fail_offset = offset;
	}
	va_start(ap, fmt);
	kd_error_setv(err, KD_ERR_PARSE, fmt, ap);
	va_end(ap);
	kd_error_set_offset(err, offset);
	return KD_ERR_PARSE;
}

/*
 * Built in a local and copied out only on success, so a failed read leaves
 * *ret_sid as the caller had it. Revision and count are checked before the
 * sub-authorities are read: the count is attacker-controlled and indexes sub[].
 */
int
kd_sid_read(struct kd_reader *r, struct kd_sid *ret_sid, struct kd_error *err)
{
	struct kd_sid sid;
	size_t start = r->pos;
	size_t left = kd_reader_remaining(r);

	memset(&sid, 0, sizeof(sid));
	if (r->failed) {
		kd_error_set(err, KD_ERR_PARSE, "SID not read: %s",
		             r->fail_reason ? r->fail_reason : "earlier read failed");
		kd_error_set_offset(err, r->fail_offset);
		return KD_ERR_PARSE;
	}
	if (left < SID_HEADER_SIZE)
		return fail_at(r, start, err, "SID truncated: %zu of %u header bytes", left,
		               SID_HEADER_SIZE);

	sid.revision = kd_reader_u8(r);
	sid.count = kd_reader_u8(r);
	sid.authority = kd_reader_u48be(r); /* the authority alone is big-endian */
	/* Only revision 1 exists (SID_REVISION); anything else is not a SID. */
	if (sid.revision != 1)
		return fail_at(r, start, err, "SID revision %u, expected 1", sid.revision);
	/* SID_MAX_SUB_AUTHORITIES is 15; the count also bounds sub[] below. */
	if (sid.count > KD_SID_MAX_SUBAUTH)
		return fail_at(r, start + 1, err, "SID has %u sub-authorities, at most %u allowed",
		               sid.count, KD_SID_MAX_SUBAUTH);
	/* Check the whole array first so the message names the real size. */
	if (kd_reader_remaining(r) < 4u * sid.count)
		return fail_at(r, start, err,
		               "SID truncated: %u sub-authorities need %u bytes, %zu left",
		               sid.count, SID_HEADER_SIZE + 4u * sid.count, left);
	for (size_t i = 0; i < sid.count; i++)
		sid.sub[i] = kd_reader_u32le(r);

	*ret_sid = sid;
	return 0;
}

int
kd_sid_from_binary(const void *data, size_t len, struct kd_sid *ret_sid, struct kd_error *err)
{
	struct kd_reader r;
	struct kd_sid sid;
	int ret;

	kd_reader_init(&r, data, len);
	ret = kd_sid_read(&r, &sid, err);
	if (ret < 0)
		return ret;
	/* objectSid values are exactly one SID; extra bytes mean a wrong attribute. */
	if (kd_reader_remaining(&r) != 0) {
		kd_error_set(err, KD_ERR_PARSE, "%zu trailing bytes after %zu-byte SID",
		             kd_reader_remaining(&r), r.pos);
		kd_error_set_offset(err, r.pos);
		return KD_ERR_PARSE;
	}
	*ret_sid = sid;
	return 0;
}

size_t
kd_sid_binary_size(const struct kd_sid *sid)
{
	return SID_HEADER_SIZE + 4u * (size_t)sid->count;
}

size_t
kd_sid_to_binary(const struct kd_sid *sid, uint8_t *buf, size_t size)
{
	size_t need = kd_sid_binary_size(sid);
	size_t o = 0;

	/* A count above 15 or a short buffer is a caller bug; write nothing. */
	if (sid->count > KD_SID_MAX_SUBAUTH || size < need)
		return 0;
	buf[o++] = sid->revision;
	buf[o++] = sid->count;
	for (int shift = 40; shift >= 0; shift -= 8)
		buf[o++] = (uint8_t)(sid->authority >> shift);
	for (size_t i = 0; i < sid->count; i++) {
		uint32_t v = sid->sub[i];

		buf[o++] = (uint8_t)v;
		buf[o++] = (uint8_t)(v >> 8);
		buf[o++] = (uint8_t)(v >> 16);
		buf[o++] = (uint8_t)(v >> 24);
	}
	return o;
}

/*
 * Text form, MS-DTYP 2.4.2.1:
 *   "S-1-" IdentifierAuthority *("-" SubAuthority)
 *   IdentifierAuthority = 1*10DIGIT (< 2^32) / "0x" 12HEXDIG
 * The ABNF asks for at least one sub-authority, but binary SIDs with none exist
 * (S-1-5 is "NT Authority"), so zero is accepted to keep text and binary
 * round trips total. Decimal numbers must be canonical (no leading zeros), so
 * every accepted string is what kd_sid_to_string() prints, up to letter case.
 */
static int
text_error(struct kd_error *err, size_t pos, const char *what)
{
	kd_error_set(err, KD_ERR_PARSE, "invalid SID string: %s", what);
	kd_error_set_offset(err, pos);
	return KD_ERR_PARSE;
}

/* Decimal digits at *@pos up to '-' or NUL, value <= @max. */
static bool
parse_decimal(const char *text, size_t *pos, uint64_t max, uint64_t *ret)
{
	size_t p = *pos;
	uint64_t v = 0;

	if (text[p] < '0' || text[p] > '9')
		return false;
	if (text[p] == '0' && text[p + 1] >= '0' && text[p + 1] <= '9')
		return false;
	for (; text[p] >= '0' && text[p] <= '9'; p++) {
		unsigned d = (unsigned)(text[p] - '0');

		/* v * 10 + d <= max, checked before it can wrap. */
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*pos = p;
	*ret = v;
	return true;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A hand-written scanner rather than strtoul: strtoul accepts leading spaces,
 * signs and "0x" everywhere, and wraps silently on 32-bit longs. Error offsets
 * are character positions in @text.
 */
int
kd_sid_from_string(const char *text, struct kd_sid *ret_sid, struct kd_error *err)
{
	struct kd_sid sid;
	size_t pos = 0;
	uint64_t v;

	memset(&sid, 0, sizeof(sid));
	if ((text[0] != 'S' && text[0] != 's') || text[1] != '-')
		return text_error(err, 0, "does not start with \"S-\"");
	pos = 2;
	if (text[pos] != '1' || text[pos + 1] != '-')
		return text_error(err, pos, "revision is not 1");
	sid.revision = 1;
	pos += 2;

	if (text[pos] == '0' && (text[pos + 1] == 'x' || text[pos + 1] == 'X')) {
		/* Authorities >= 2^32 are written as exactly 12 hex digits. */
		pos += 2;
		for (size_t i = 0; i < 12; i++, pos++) {
			int d = hex_digit(text[pos]);

			if (d < 0)
				return text_error(err, pos, "authority needs 12 hex digits");
			sid.authority = sid.authority << 4 | (uint64_t)d;
		}
	} else {
		if (!parse_decimal(text, &pos, UINT32_MAX, &v))
			return text_error(err, pos, "bad identifier authority");
		sid.authority = v;
	}

	while (text[pos] != '\0') {
		if (text[pos] != '-')
			return text_error(err, pos, "unexpected character");
		pos++;
		if (sid.count == KD_SID_MAX_SUBAUTH)
			return text_error(err, pos, "more than 15 sub-authorities");
		if (!parse_decimal(text, &pos, UINT32_MAX, &v))
			return text_error(err, pos, "bad sub-authority");
		sid.sub[sid.count++] = (uint32_t)v;
	}
	*ret_sid = sid;
	return 0;
}

char *
kd_sid_to_string(const struct kd_sid *sid, char *buf, size_t size)
{
	size_t used = 0;
	int n;

	if (size == 0)
		return buf;
	/* MS-DTYP 2.4.2.1: decimal below 2^32, otherwise "0x" and 12 hex digits. */
	if (sid->authority > UINT32_MAX)
		n = snprintf(buf, size, "S-%u-0x%012llX", sid->revision,
		             (unsigned long long)(sid->authority & AUTHORITY_MAX));
	else
		n = snprintf(buf, size, "S-%u-%llu", sid->revision,
		             (unsigned long long)sid->authority);
	/* A short buffer (a caller bug) ends at the last whole component, never mid-number. */
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return buf;
	}
	used = (size_t)n;
	for (size_t i = 0; i < sid->count && i < KD_SID_MAX_SUBAUTH; i++) {
		n = snprintf(buf + used, size - used, "-%lu", (unsigned long)sid->sub[i]);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	return buf;
}

bool
kd_sid_equal(const struct kd_sid *a, const struct kd_sid *b)
{
	if (a->revision != b->revision || a->count != b->count || a->authority != b->authority)
		return false;
	for (size_t i = 0; i < a->count && i < KD_SID_MAX_SUBAUTH; i++)
		if (a->sub[i] != b->sub[i])
			return false;
	return true;
}

uint32_t
kd_sid_rid(const struct kd_sid *sid)
{
	if (sid->count == 0 || sid->count > KD_SID_MAX_SUBAUTH)
		return 0;
	return sid->sub[sid->count - 1];
}

bool
kd_sid_in_domain(const struct kd_sid *sid, const struct kd_sid *domain)
{
	if (sid->count > KD_SID_MAX_SUBAUTH || domain->count + 1u != sid->count)
		return false;
	if (sid->revision != domain->revision || sid->authority != domain->authority)
		return false;
	for (size_t i = 0; i < domain->count; i++)
		if (sid->sub[i] != domain->sub[i])
			return false;
	return true;
}

bool
kd_sid_compose(const struct kd_sid *domain, uint32_t rid, struct kd_sid *ret_sid)
{
	struct kd_sid sid;

	if (domain->count >= KD_SID_MAX_SUBAUTH)
		return false;
	sid = *domain;
	sid.sub[sid.count++] = rid;
	*ret_sid = sid;
	return true;
}

/*
 * Well-known SIDs (MS-DTYP 2.4.2.4), matched on authority and sub-authorities.
 * Only those the delegation audit names; the list is short enough to scan.
 */
struct wellknown {
	uint64_t authority;
	uint8_t count;
	uint32_t sub[2];
	const char *name;
};

static const struct wellknown wellknown_sids[] = {
    {1, 1, {0, 0}, "Everyone"},
    {3, 1, {0, 0}, "Creator Owner"},
    {3, 1, {4, 0}, "Owner Rights"},
    {5, 1, {2, 0}, "Network"},
    {5, 1, {4, 0}, "Interactive"},
    {5, 1, {7, 0}, "Anonymous"},
    {5, 1, {9, 0}, "Enterprise Domain Controllers"},
    {5, 1, {10, 0}, "Principal Self"},
    {5, 1, {11, 0}, "Authenticated Users"},
    {5, 1, {15, 0}, "This Organization"},
    {5, 1, {18, 0}, "Local System"},
    {18, 1, {1, 0}, "Authentication authority asserted identity"},
    {18, 1, {2, 0}, "Service asserted identity"},
    {5, 2, {32, 544}, "Administrators"},
    {5, 2, {32, 545}, "Users"},
    {5, 2, {32, 546}, "Guests"},
    {5, 2, {32, 548}, "Account Operators"},
    {5, 2, {32, 549}, "Server Operators"},
    {5, 2, {32, 550}, "Print Operators"},
    {5, 2, {32, 551}, "Backup Operators"},
    {5, 2, {32, 554}, "Pre-Windows 2000 Compatible Access"},
};

const char *
kd_sid_wellknown_name(const struct kd_sid *sid)
{
	if (sid->revision != 1)
		return NULL;
	for (size_t i = 0; i < sizeof(wellknown_sids) / sizeof(wellknown_sids[0]); i++) {
		const struct wellknown *w = &wellknown_sids[i];

		if (w->authority == sid->authority && w->count == sid->count &&
		    w->sub[0] == sid->sub[0] && (w->count < 2 || w->sub[1] == sid->sub[1]))
			return w->name;
	}
	return NULL;
}

const char *
kd_sid_domain_rid_name(uint32_t rid)
{
	/* MS-DTYP 2.4.2.4 domain-relative RIDs. */
	switch (rid) {
	case 500:
		return "Administrator";
	case 501:
		return "Guest";
	case 502:
		return "krbtgt";
	case 512:
		return "Domain Admins";
	case 513:
		return "Domain Users";
	case 514:
		return "Domain Guests";
	case 515:
		return "Domain Computers";
	case 516:
		return "Domain Controllers";
	case 517:
		return "Cert Publishers";
	case 518:
		return "Schema Admins";
	case 519:
		return "Enterprise Admins";
	case 520:
		return "Group Policy Creator Owners";
	case 521:
		return "Read-only Domain Controllers";
	case 522:
		return "Cloneable Domain Controllers";
	case 525:
		return "Protected Users";
	case 526:
		return "Key Admins";
	case 527:
		return "Enterprise Key Admins";
	default:
		return NULL;
	}
}
