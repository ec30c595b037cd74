/* SPDX-License-Identifier: MIT */
/*
 * Test helpers: a growable byte buffer, a SID/ACL/SD encoder, test data files, LDIF
 * fixtures loaded into a directory and audited, the fuzz targets' entry point.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"

/*
 * Everything here is for tests, fuzz seeds and benchmarks: on out-of-memory or
 * malformed arguments (a bad SID string, a bad GUID, a fixture that is not valid
 * LDIF) the helpers print to stderr and abort(), so callers need no error paths.
 * Nothing here links Check (the fuzz targets use it too); in a forked Check test
 * such an abort fails that one test, with the message on stderr. Nothing here is hardened input
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
/* "$KD_TEST_DATA/@relative" as a NUL-terminated string (free() it); aborts when unreadable. */
char *tu_read_data_text(const char *relative);

/* A malloc()ed printf result (free() it). */
char *tu_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RFC 4648 base64 of @data with padding, as LDIF "attr:: value" wants; malloc()ed. */
char *tu_base64(const uint8_t *data, size_t len);

/*
 * Reads @text as LDIF into a new directory and finishes it. Invalid LDIF aborts
 * (fixtures must be valid); the first kd_directory_add/finish error is returned
 * with @err filled, and the directory (possibly unfinished) still goes to @ret_dir,
 * which the caller frees with kd_directory_free() either way.
 */
int tu_load_directory(const char *text, struct kd_directory **ret_dir, struct kd_error *err);

/* A loaded directory and its findings; tu_audit_free() releases both. */
struct tu_audit {
	struct kd_directory *dir;
	struct kd_findings findings;
};

/* tu_load_directory() then kd_analyze(); aborts with the message when either fails. */
void tu_audit_run(struct tu_audit *a, const char *text);
void tu_audit_free(struct tu_audit *a);
/* The name of the account @f is about, "(domain)" for a domain-wide finding. */
const char *tu_account_name(const struct tu_audit *a, const struct kd_finding *f);
/* Findings of @rule (NULL: any) on account @name (NULL: any). */
size_t tu_count_findings(const struct tu_audit *a, const char *rule, const char *name);

/*
 * LDIF fixture text for a small domain (DC=corp,DC=example, SID S-1-5-21-1-2-3),
 * built by string concatenation: DOMAIN_ENTRY USER("alice", "1104", U_NORMAL)
 * SPN("HTTP/web") END. The names are short for readable fixtures, so they are only
 * defined where a file asks for them with #define TU_LDIF_FIXTURES before the include.
 */
#ifdef TU_LDIF_FIXTURES
#define DOMSID "S-1-5-21-1-2-3"
#define BASE "DC=corp,DC=example"
#define USERS "CN=Users," BASE
/* The domain object (with its blank line); @level a msDS-Behavior-Version line or "". */
#define DOMAIN_AT(level)                                                                      \
	"dn: " BASE "\nobjectClass: top\nobjectClass: domain\nobjectClass: domainDNS\n"        \
	"objectSid: " DOMSID "\n" level "\n"
#define DOMAIN_ENTRY DOMAIN_AT("msDS-Behavior-Version: 7\n")
/* A user (objectSid in text form, which the model accepts besides binary). */
#define USER(cn, rid, uac)                                                                    \
	"dn: CN=" cn "," USERS "\nobjectClass: top\nobjectClass: person\nobjectClass: user\n"  \
	"sAMAccountName: " cn "\nobjectSid: " DOMSID "-" rid "\nuserAccountControl: " uac "\n"
#define COMPUTER(cn, rid, uac)                                                                \
	"dn: CN=" cn "," USERS "\nobjectClass: top\nobjectClass: person\nobjectClass: user\n"  \
	"objectClass: computer\nsAMAccountName: " cn "$\nobjectSid: " DOMSID "-" rid "\n"      \
	"userAccountControl: " uac "\n"
#define GROUP(cn, sid)                                                                        \
	"dn: CN=" cn "," USERS "\nobjectClass: top\nobjectClass: group\nsAMAccountName: " cn   \
	"\nobjectSid: " sid "\n"
#define MEMBER(cn) "member: CN=" cn "," USERS "\n"
#define MEMBER_OF(cn) "memberOf: CN=" cn "," USERS "\n"
#define SPN(s) "servicePrincipalName: " s "\n"
#define A2D(s) "msDS-AllowedToDelegateTo: " s "\n"
#define END "\n"

/* userAccountControl values */
#define U_NORMAL "512"
#define U_WS "4096"
#define U_DC "532480"            /* SERVER_TRUST | TRUSTED_FOR_DELEGATION */
#define U_UNCONSTRAINED "524800" /* NORMAL | TRUSTED_FOR_DELEGATION */
#define U_PT "16777728"          /* NORMAL | TRUSTED_TO_AUTH_FOR_DELEGATION */
#define U_PT_DISABLED "16777730"
#define U_SENSITIVE "1049088"    /* NORMAL | NOT_DELEGATED */

/*
 * A whole snapshot to start from: a domain at level 7 (2016), the well-known
 * groups, a DC carrying TRUSTED_FOR_DELEGATION and its SPNs, and krbtgt. Alone
 * it gives no finding at all.
 */
#define BASE_LDIF                                                                             \
	DOMAIN_ENTRY                                                                          \
	GROUP("Domain Admins", DOMSID "-512") END                                             \
	GROUP("Domain Users", DOMSID "-513") END                                              \
	GROUP("Domain Computers", DOMSID "-515") END                                          \
	GROUP("Domain Controllers", DOMSID "-516") END                                        \
	GROUP("Protected Users", DOMSID "-525") END                                           \
	COMPUTER("DC01", "1000", U_DC) "primaryGroupID: 516\n"                                \
	SPN("ldap/dc01.corp.example") SPN("ldap/dc01.corp.example/corp.example")              \
	SPN("HOST/dc01.corp.example") SPN("HOST/DC01") SPN("GC/dc01.corp.example/corp.example") \
	"dNSHostName: dc01.corp.example\n" END                                                \
	USER("krbtgt", "502", "514") SPN("kadmin/changepw") END
#endif /* TU_LDIF_FIXTURES */

/*
 * A bad input for a parser, as a case table row: @len 0 means strlen(@text) (set it
 * for embedded NULs), @offset is the byte offset the error must name.
 */
struct tu_bad_input {
	const char *text;
	size_t len;
	size_t offset;
};

/* The fuzz targets' entry point (each tests/fuzz/fuzz-*.c defines it; fuzz-main.c replays). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fuzz oracle failure is a bug: crash so libFuzzer keeps the input. */
#define TU_CHECK(cond)                                                                        \
	do {                                                                                  \
		if (!(cond))                                                                  \
			abort();                                                              \
	} while (0)
