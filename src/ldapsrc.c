/* SPDX-License-Identifier: MIT */
/* Live collection from a domain controller: connect, bind, paged searches, ranged values. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <ldap.h>
#include <sasl/sasl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "kdeleg/directory.h"
#include "kdeleg/ldapsrc.h"
#include "kdeleg/strbuf.h"

/*
 * The shape follows OpenLDAP's ldapsearch (clients/tools/ldapsearch.c: one paged
 * search at a time, ldap_result per message) and adcli's connection setup
 * (library/adconn.c: GSSAPI with an interact callback that never prompts, SASL
 * security layer on plain LDAP, no hostname canonicalisation, referrals off).
 *
 * Measured against Samba 4.17 (/work/shared/samba-lab.md): GSSAPI needs sign/seal
 * on ldap:// and is refused over TLS; simple binds only over TLS; searches from the
 * domain root return references to the Configuration and DNS partitions, which must
 * not be chased (libldap would bind anonymously there and fail the whole search).
 */

/* One entry in memory at a time; the LDIF reader refuses larger entries as well. */
#define ENTRY_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define PROGRESS_EVERY 1000u

/* SASL security strength asked for on plain LDAP: at least DES-class confidentiality. */
#define MIN_SSF 56u

enum search_base {
	BASE_NAMING_CONTEXT, /* the domain partition (-b or defaultNamingContext) */
	BASE_SPN_MAPPINGS,   /* CN=Directory Service,... in the configuration partition */
	BASE_PARTITIONS,     /* CN=Partitions,<configuration>: the domain's crossRef */
};

/*
 * Everything the collector asks the directory for, in one place. The domain search
 * uses the model's filter and attribute list (kdeleg/directory.h) so that live and
 * snapshot audits read the same entries; narrowing the collection later (SPN
 * holders, delegation carriers, tier-0 members, trustees) means new rows here.
 */
static const char *const spn_mapping_attributes[] = {"spnmappings", NULL};
/* the domain's NetBIOS name (MS-ADTS 6.1.1.2.1.1.5): the model reads it for krbtgt/NETBIOS */
static const char *const cross_ref_attributes[] = {"ncname", "netbiosname", NULL};

static const struct search_spec {
	const char *stage;
	enum search_base base;
	int scope;
	const char *filter;
	const char *const *attributes;
	bool paged;
	bool sd_flags; /* send the SD-flags control (owner and DACL of nTSecurityDescriptor) */
} searches[] = {
	{"accounts", BASE_NAMING_CONTEXT, LDAP_SCOPE_SUBTREE, kd_directory_filter,
	 kd_directory_attributes, true, true},
	{"spn-mappings", BASE_SPN_MAPPINGS, LDAP_SCOPE_BASE, "(objectClass=*)",
	 spn_mapping_attributes, false, false},
	/* filter NULL: (&(objectClass=crossRef)(nCName=<the base searched>)), built at run time */
	{"cross-ref", BASE_PARTITIONS, LDAP_SCOPE_ONELEVEL, NULL, cross_ref_attributes, false,
	 false},
};

#define SPN_MAPPINGS_RDNS "CN=Directory Service,CN=Windows NT,CN=Services,"
#define PARTITIONS_RDNS "CN=Partitions,"

/*
 * LDAP_SERVER_SD_FLAGS_OID (MS-ADTS 3.1.1.3.4.1.11), SEQUENCE { INTEGER 5 }: owner and
 * DACL. Without it AD asks for the SACL too and leaves the attribute out for anyone
 * without SeSecurityPrivilege; with it an ordinary user reads both. Not critical: a
 * server that ignores it still answers, and the model then says descriptors are missing.
 */
#define SD_FLAGS_OID "1.2.840.113556.1.4.801"
static const char sd_flags_owner_dacl[] = {0x30, 0x03, 0x02, 0x01, 0x05};

/*
 * Attributes that can hold more values than a DC returns at once (AD's MaxValRange,
 * 1500): with options.range_step they are asked for in explicit ranges.
 */
static const char *const multi_valued[] = {
	"member", "memberof", "serviceprincipalname", "msds-allowedtodelegateto", NULL,
};

/* An attribute of the entry being built; its name and values live in c->data. */
struct battr {
	size_t name_off;
	size_t name_len;
	size_t nvalues;
	size_t fill;    /* next slot while laying out the handed-out values */
	bool pending;   /* ranged: values from next_lo on are still to be fetched */
	size_t next_lo;
};

struct bvalue {
	size_t attr;
	size_t off;
	size_t len;
};

/* The search being run, for progress and messages. */
/* Pages in a row with neither an entry nor a reference before the run fails. */
#define IDLE_PAGES_MAX 100

struct stage {
	const struct search_spec *spec;
	const char *base;
	const char *filter;
	size_t pages;
	size_t references;
};

struct kd_ldap {
	LDAP *ld;
	char *uri;
	char *base;
	char *config_nc;
	const char *mechanism;
	unsigned ssf;
	bool tls;
	unsigned op_timeout;
	uint32_t page_size;
	uint32_t range_step;
	void (*progress)(void *ctx, const struct kd_ldap_progress *progress);
	void *progress_ctx;
	bool failed;

	/* the entry being built */
	struct kd_strbuf data; /* DN, names and values, each NUL-terminated */
	struct battr *attrs;
	size_t nattrs, attrs_cap;
	struct bvalue *vals;
	size_t nvals, vals_cap;
	struct kd_attr *kattrs;
	size_t kattrs_cap;
	struct kd_value *kvalues;
	size_t kvalues_cap;
	struct kd_entry entry;

	size_t entries;
};

/* ---- pure parts: attribute descriptions and ranges ---- */

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_keychar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

static int __attribute__((format(printf, 4, 5)))
desc_fail(struct kd_error *err, size_t offset, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, code, fmt, ap);
	va_end(ap);
	kd_error_set_offset(err, offset);
	return code;
}

int
kd_ldap_parse_desc(const char *text, size_t len, struct kd_ldap_desc *ret_desc,
		   struct kd_error *err)
{
	struct kd_ldap_desc d = {0};
	struct kd_range range;
	const char *why;
	size_t i = 0, at;

	if (len == 0)
		return desc_fail(err, 0, KD_ERR_PARSE, "empty attribute description");
	if (is_alpha((unsigned char)text[0])) {
		while (i < len && is_keychar((unsigned char)text[i]))
			i++;
	} else if (is_digit((unsigned char)text[0])) {
		/* numericoid: digits separated by single dots (RFC 4512 1.4) */
		bool dot = true;

		for (; i < len && (is_digit((unsigned char)text[i]) || text[i] == '.'); i++) {
			if (text[i] == '.' && dot)
				return desc_fail(err, i, KD_ERR_PARSE,
						 "malformed numeric OID attribute name");
			dot = text[i] == '.';
		}
		if (dot)
			return desc_fail(err, i - 1, KD_ERR_PARSE,
					 "malformed numeric OID attribute name");
	} else {
		return desc_fail(err, 0, KD_ERR_PARSE,
				 "attribute description does not begin with a letter or digit");
	}
	d.name_len = i;
	while (i < len) {
		size_t start;

		if (text[i] != ';')
			return desc_fail(err, i, KD_ERR_PARSE,
					 "unexpected character 0x%02x in the attribute description",
					 (unsigned char)text[i]);
		start = ++i;
		while (i < len && text[i] != ';')
			i++;
		if (i == start)
			return desc_fail(err, start, KD_ERR_PARSE, "empty option after ';'");
		/* AD's range option has '=' and '*', which RFC 4512 options cannot */
		if (i - start > 6 && strncasecmp(text + start, "range=", 6) == 0) {
			if (d.ranged)
				return desc_fail(err, start, KD_ERR_PARSE, "two range options");
			why = kd_range_parse(text + start + 6, i - start - 6, &range, &at);
			if (why)
				return desc_fail(err, start + 6 + at, KD_ERR_PARSE, "%s", why);
			d.ranged = true;
			d.range_lo = range.lo;
			d.range_hi = range.hi;
			d.range_open = range.open;
			continue;
		}
		for (size_t j = start; j < i; j++)
			if (!is_keychar((unsigned char)text[j]))
				return desc_fail(err, j, KD_ERR_PARSE,
						 "option has characters other than letters, "
						 "digits and '-'");
	}
	*ret_desc = d;
	return 0;
}

size_t
kd_ldap_range_request(char *buf, size_t size, const char *name, size_t name_len, size_t lo,
		      uint32_t step)
{
	int n;

	if (name_len > 1024)
		return 0;
	if (step > 0 && lo <= SIZE_MAX - 1 - (step - 1))
		n = snprintf(buf, size, "%.*s;range=%zu-%zu", (int)name_len, name, lo,
			     lo + (step - 1));
	else
		n = snprintf(buf, size, "%.*s;range=%zu-*", (int)name_len, name, lo);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

int
kd_ldap_range_next(const struct kd_ldap_desc *chunk, size_t nvalues, size_t expect_lo,
		   bool *ret_done, size_t *ret_next_lo, struct kd_error *err)
{
	if (!chunk->ranged)
		return kd_error_set(err, KD_ERR_USAGE, "not a ranged attribute");
	if (chunk->range_lo != expect_lo)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "ranged values start at %zu where %zu was asked for: values "
				    "would be lost or doubled",
				    chunk->range_lo, expect_lo);
	if (chunk->range_open) {
		*ret_done = true;
		*ret_next_lo = expect_lo + nvalues;
		return 0;
	}
	if (nvalues != chunk->range_hi - chunk->range_lo + 1)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "range %zu-%zu came with %zu values instead of %zu",
				    chunk->range_lo, chunk->range_hi, nvalues,
				    chunk->range_hi - chunk->range_lo + 1);
	*ret_done = false;
	*ret_next_lo = chunk->range_hi + 1;
	return 0;
}

/* ---- errors ---- */

/* "Can't contact LDAP server (-1): <diagnostic>" for @rc on @ld. */
static void
ld_reason(LDAP *ld, int rc, char *buf, size_t size)
{
	char *diag = NULL;

	if (ld)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* libldap's placeholder when TLS fails says nothing */
	if (diag && strcmp(diag, "(unknown error code)") == 0)
		diag[0] = '\0';
	snprintf(buf, size, "%s (%d)%s%s", ldap_err2string(rc), rc, diag && *diag ? ": " : "",
		 diag && *diag ? diag : "");
	ldap_memfree(diag);
}

/* The result code libldap recorded for the last failed call. */
static int
ld_errno(LDAP *ld)
{
	int rc = LDAP_OTHER;

	ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	return rc;
}

static void
ld_clear_errno(LDAP *ld)
{
	int rc = LDAP_SUCCESS;

	ldap_set_option(ld, LDAP_OPT_RESULT_CODE, &rc);
}

/*
 * A failure while collecting: "collecting 'accounts' failed after 1200 entries (page
 * 2): REASON", err->source the DC's URI. The connection is not used again.
 */
static int __attribute__((format(printf, 5, 0)))
stage_failv(struct kd_ldap *c, const struct stage *st, struct kd_error *err, int code,
	    const char *fmt, va_list ap)
{
	char why[sizeof(((struct kd_error *)0)->message)];

	vsnprintf(why, sizeof(why), fmt, ap);
	c->failed = true;
	kd_error_set(err, code, "collecting '%s' failed after %zu entries (page %zu): %s",
		     st->spec->stage, c->entries, st->pages + 1, why);
	kd_error_set_where(err, c->uri, 0, NULL, NULL);
	return code;
}

static int __attribute__((format(printf, 5, 6)))
stage_fail(struct kd_ldap *c, const struct stage *st, struct kd_error *err, int code,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stage_failv(c, st, err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* stage_fail() naming the entry being read (its DN is first in c->data) and @attribute. */
static int __attribute__((format(printf, 6, 7)))
entry_fail(struct kd_ldap *c, const struct stage *st, struct kd_error *err, int code,
	   const char *attribute, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stage_failv(c, st, err, code, fmt, ap);
	va_end(ap);
	kd_error_set_where(err, NULL, 0, c->data.data, attribute);
	return code;
}

/* ---- the entry being built ---- */

static int
grow(void **array, size_t *cap, size_t want, size_t size)
{
	size_t n;
	void *p;

	if (want <= *cap)
		return 0;
	n = *cap ? *cap : 16;
	while (n < want) {
		if (n > SIZE_MAX / 2)
			return KD_ERR_NOMEM;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return KD_ERR_NOMEM;
	p = realloc(*array, n * size);
	if (!p)
		return KD_ERR_NOMEM;
	*array = p;
	*cap = n;
	return 0;
}

static void
entry_reset(struct kd_ldap *c)
{
	kd_strbuf_reset(&c->data);
	c->nattrs = 0;
	c->nvals = 0;
}

/* Appends @len bytes and a NUL; the offset of the copy goes to *ret_off. */
static int
data_add(struct kd_ldap *c, const void *bytes, size_t len, size_t *ret_off)
{
	size_t off = c->data.len;

	if (kd_strbuf_append(&c->data, bytes, len) < 0 || kd_strbuf_putc(&c->data, '\0') < 0)
		return KD_ERR_NOMEM;
	*ret_off = off;
	return 0;
}

/* The attribute named @name[0..len) (compared case-insensitively), added when new. */
static int
attr_find(struct kd_ldap *c, const char *name, size_t len, size_t *ret)
{
	size_t off;

	for (size_t a = 0; a < c->nattrs; a++) {
		if (c->attrs[a].name_len == len &&
		    strncasecmp(c->data.data + c->attrs[a].name_off, name, len) == 0) {
			*ret = a;
			return 0;
		}
	}
	if (grow((void **)&c->attrs, &c->attrs_cap, c->nattrs + 1, sizeof(*c->attrs)) < 0 ||
	    data_add(c, name, len, &off) < 0)
		return KD_ERR_NOMEM;
	for (size_t i = 0; i < len; i++) {
		char *p = c->data.data + off + i;

		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	c->attrs[c->nattrs] = (struct battr){.name_off = off, .name_len = len};
	*ret = c->nattrs++;
	return 0;
}

/* Copies the values: berval data is not NUL-terminated, kd_value promises a NUL. */
static int
values_add(struct kd_ldap *c, size_t a, struct berval **vals)
{
	for (size_t i = 0; vals && vals[i]; i++) {
		size_t off;

		/* Empty values cost their bookkeeping, not data: bound that by the entry
		 * limit too, or a million empty values would outgrow it. */
		if ((c->nvals + 1) * (sizeof(struct bvalue) + sizeof(struct kd_value)) >
		    ENTRY_MAX_BYTES)
			return KD_ERR_NOMEM;
		if (grow((void **)&c->vals, &c->vals_cap, c->nvals + 1, sizeof(*c->vals)) < 0 ||
		    data_add(c, vals[i]->bv_val, vals[i]->bv_len, &off) < 0)
			return KD_ERR_NOMEM;
		c->vals[c->nvals++] = (struct bvalue){.attr = a, .off = off, .len = vals[i]->bv_len};
		c->attrs[a].nvalues++;
	}
	return 0;
}

/* Lays the collected offsets out as the kd_entry handed to the callback. */
static int
entry_finish(struct kd_ldap *c)
{
	size_t pos = 0;

	if (grow((void **)&c->kattrs, &c->kattrs_cap, c->nattrs, sizeof(*c->kattrs)) < 0 ||
	    grow((void **)&c->kvalues, &c->kvalues_cap, c->nvals, sizeof(*c->kvalues)) < 0)
		return KD_ERR_NOMEM;
	for (size_t a = 0; a < c->nattrs; a++) {
		struct battr *b = &c->attrs[a];

		c->kattrs[a] = (struct kd_attr){
			.name = c->data.data + b->name_off,
			.nvalues = b->nvalues,
			.values = c->kvalues ? c->kvalues + pos : NULL,
		};
		b->fill = pos;
		pos += b->nvalues;
	}
	for (size_t i = 0; i < c->nvals; i++) {
		const struct bvalue *v = &c->vals[i];

		c->kvalues[c->attrs[v->attr].fill++] =
			(struct kd_value){c->data.data + v->off, v->len};
	}
	c->entry = (struct kd_entry){
		.dn = c->data.data,
		.dn_len = strlen(c->data.data),
		.nattrs = c->nattrs,
		.attrs = c->kattrs,
	};
	return 0;
}

/* ---- searching ---- */

static void
report_progress(struct kd_ldap *c, const struct stage *st, bool done)
{
	struct kd_ldap_progress p = {
		.stage = st->spec->stage,
		.entries = c->entries,
		.pages = st->pages,
		.stage_done = done,
	};

	if (c->progress)
		c->progress(c->progress_ctx, &p);
}

/*
 * The next message of request @msgid, and its type. A timeout or a lost connection
 * fails the stage (the request is abandoned where the connection still stands).
 */
static int
next_message(struct kd_ldap *c, const struct stage *st, int msgid, LDAPMessage **ret_msg,
	     struct kd_error *err)
{
	struct timeval tv = {.tv_sec = (time_t)c->op_timeout};
	char why[200];
	int rc;

	*ret_msg = NULL;
	rc = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, ret_msg);
	if (rc > 0)
		return rc;
	if (rc == 0) {
		ldap_abandon_ext(c->ld, msgid, NULL, NULL);
		return stage_fail(c, st, err, KD_ERR_INCOMPLETE,
				  "no answer from the DC within %u s (--timeout)", c->op_timeout);
	}
	rc = ld_errno(c->ld);
	ld_reason(c->ld, rc, why, sizeof(why));
	return stage_fail(c, st, err, KD_ERR_INCOMPLETE, "%s%s",
			  rc == LDAP_SERVER_DOWN ? "lost the connection to the DC: " : "", why);
}

/*
 * The final message of a search: anything but success fails the stage (size and
 * time limits, a referral for a base the DC does not hold, an evicted paging cookie).
 * For paged searches the next cookie goes to *ret_cookie (empty: the last page).
 */
static int
check_result(struct kd_ldap *c, const struct stage *st, LDAPMessage *msg,
	     struct berval *ret_cookie, struct kd_error *err)
{
	LDAPControl **ctrls = NULL, *page;
	char *matched = NULL, *text = NULL, why[200];
	int code = LDAP_OTHER, rc, r = 0;

	rc = ldap_parse_result(c->ld, msg, &code, &matched, &text, NULL, &ctrls, 0);
	if (rc != LDAP_SUCCESS) {
		ld_reason(c->ld, rc, why, sizeof(why));
		r = stage_fail(c, st, err, KD_ERR_INCOMPLETE, "cannot decode the result: %s", why);
		goto out;
	}
	if (code != LDAP_SUCCESS) {
		r = stage_fail(c, st, err, KD_ERR_INCOMPLETE, "the DC answered %s (%d)%s%s",
			       ldap_err2string(code), code, text && *text ? ": " : "",
			       text && *text ? text : "");
		goto out;
	}
	if (!ret_cookie)
		goto out;
	page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (!page) {
		/* RFC 2696 3: the server returns the control with every result */
		r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
			       "the DC did not return the paged results control");
		goto out;
	}
	{
		ber_int_t estimate = 0;
		struct berval cookie = {0, NULL};

		rc = ldap_parse_pageresponse_control(c->ld, page, &estimate, &cookie);
		if (rc != LDAP_SUCCESS) {
			ld_reason(c->ld, rc, why, sizeof(why));
			r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
				       "cannot decode the paged results control: %s", why);
			goto out;
		}
		*ret_cookie = cookie;
	}
out:
	ldap_memfree(matched);
	ldap_memfree(text);
	ldap_controls_free(ctrls);
	return r;
}

/* Whether the search asked for attribute @name[0..len) (no options). */
static bool
requested(const struct search_spec *spec, const char *name, size_t len)
{
	for (size_t i = 0; spec->attributes[i]; i++)
		if (strlen(spec->attributes[i]) == len &&
		    strncasecmp(spec->attributes[i], name, len) == 0)
			return true;
	return false;
}

/* Adds the values of attribute @name of @msg to the entry; ranged chunks start at 0. */
static int
take_attribute(struct kd_ldap *c, const struct stage *st, LDAPMessage *msg, const char *name,
	       struct kd_error *err)
{
	struct berval **vals = NULL;
	struct kd_ldap_desc d;
	struct kd_error why;
	size_t a = 0, nvalues, before;
	bool done = true;
	size_t next = 0;
	int r;

	kd_error_clear(&why);
	if (kd_ldap_parse_desc(name, strlen(name), &d, &why) < 0)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
				  "the DC returned an attribute description that does not "
				  "parse (byte %zu: %s)",
				  why.offset, why.message);
	/* What was not asked for is not kept (and cannot grow the entry's tables). */
	if (!requested(st->spec, name, d.name_len))
		return 0;
	ld_clear_errno(c->ld);
	vals = ldap_get_values_len(c->ld, msg, name);
	if (!vals && ld_errno(c->ld) != LDAP_SUCCESS)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name,
				  "cannot decode the values (%s)", ldap_err2string(ld_errno(c->ld)));
	nvalues = (size_t)ldap_count_values_len(vals);
	before = c->nattrs;
	r = attr_find(c, name, d.name_len, &a);
	if (r == 0 && a < before) {
		/* ldap_get_values_len() finds a name's first occurrence only: a second
		 * one, or a plain and a ranged form together, would be read wrongly */
		ldap_value_free_len(vals);
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name,
				  "the attribute came twice in one entry");
	}
	if (r == 0)
		r = values_add(c, a, vals);
	ldap_value_free_len(vals);
	if (r < 0)
		return entry_fail(c, st, err, KD_ERR_NOMEM, name,
				  "out of memory (an entry is limited to 64 MiB)");
	if (!d.ranged)
		return 0;
	if (c->attrs[a].pending)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name,
				  "two ranged chunks of one attribute in one entry");
	if (kd_ldap_range_next(&d, nvalues, 0, &done, &next, &why) < 0)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name, "%s", why.message);
	c->attrs[a].pending = !done;
	c->attrs[a].next_lo = next;
	return 0;
}

/* The chunk of attribute @a in the answer to a range request, if there is one. */
static int
take_chunk(struct kd_ldap *c, const struct stage *st, LDAPMessage *msg, size_t a, bool *got,
	   struct kd_error *err)
{
	BerElement *ber = NULL;
	char *name;
	int r = 0;

	ld_clear_errno(c->ld);
	for (name = ldap_first_attribute(c->ld, msg, &ber); name && r == 0;
	     ldap_memfree(name), name = ldap_next_attribute(c->ld, msg, ber)) {
		const char *aname = c->data.data + c->attrs[a].name_off;
		size_t alen = c->attrs[a].name_len, nvalues;
		struct berval **vals;
		struct kd_ldap_desc d;
		struct kd_error why;
		bool done = false;
		size_t next = 0;

		kd_error_clear(&why);
		if (kd_ldap_parse_desc(name, strlen(name), &d, &why) < 0) {
			r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
				       "the DC returned an attribute description that does not "
				       "parse (byte %zu: %s)",
				       why.offset, why.message);
			break;
		}
		if (!d.ranged || d.name_len != alen || strncasecmp(name, aname, alen) != 0)
			continue;
		if (*got) {
			r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
				       "two chunks in the answer to one range request");
			break;
		}
		*got = true;
		ld_clear_errno(c->ld);
		vals = ldap_get_values_len(c->ld, msg, name);
		if (!vals && ld_errno(c->ld) != LDAP_SUCCESS) {
			r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
				       "cannot decode the values (%s)",
				       ldap_err2string(ld_errno(c->ld)));
			break;
		}
		nvalues = (size_t)ldap_count_values_len(vals);
		if (kd_ldap_range_next(&d, nvalues, c->attrs[a].next_lo, &done, &next, &why) < 0) {
			ldap_value_free_len(vals);
			r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname, "%s", why.message);
			break;
		}
		r = values_add(c, a, vals);
		ldap_value_free_len(vals);
		if (r < 0) {
			r = entry_fail(c, st, err, KD_ERR_NOMEM, aname,
				       "out of memory (an entry is limited to 64 MiB)");
			break;
		}
		c->attrs[a].pending = !done;
		c->attrs[a].next_lo = next;
	}
	ldap_memfree(name);
	ber_free(ber, 0);
	if (r == 0 && ld_errno(c->ld) != LDAP_SUCCESS)
		r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
			       "cannot decode the answer to a range request (%s)",
			       ldap_err2string(ld_errno(c->ld)));
	return r;
}

/*
 * Completes ranged attribute @a with base-scope requests "name;range=LO-*" until the
 * chunk that ends in '*' (MS-ADTS 3.1.1.3.1.3.3). A chunk that does not come is an
 * error: the values after it exist, and "no values" would be a false answer.
 */
static int
fetch_ranges(struct kd_ldap *c, const struct stage *st, size_t a, struct kd_error *err)
{
	while (c->attrs[a].pending) {
		char want[1100];
		char *attrs[2] = {want, NULL};
		struct timeval tv = {.tv_sec = (time_t)c->op_timeout};
		const char *aname = c->data.data + c->attrs[a].name_off;
		bool got = false, done = false;
		int msgid = -1, rc, r = 0;
		char why[200];

		if (kd_ldap_range_request(want, sizeof(want), aname, c->attrs[a].name_len,
					  c->attrs[a].next_lo, c->range_step) == 0)
			return entry_fail(c, st, err, KD_ERR_NOMEM, aname, "attribute name too long");
		/* the DN leads c->data; libldap copies it into the request */
		rc = ldap_search_ext(c->ld, c->data.data, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
				     0, NULL, NULL, &tv, LDAP_NO_LIMIT, &msgid);
		if (rc != LDAP_SUCCESS) {
			ld_reason(c->ld, rc, why, sizeof(why));
			return entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname, "asking for %s: %s",
					  want, why);
		}
		while (!done) {
			LDAPMessage *msg = NULL;
			int type = next_message(c, st, msgid, &msg, err);

			if (type < 0) {
				kd_error_set_where(err, NULL, 0, c->data.data, aname);
				return type;
			}
			if (type == LDAP_RES_SEARCH_ENTRY) {
				r = take_chunk(c, st, msg, a, &got, err);
			} else if (type == LDAP_RES_SEARCH_RESULT) {
				r = check_result(c, st, msg, NULL, err);
				done = true;
			}
			ldap_msgfree(msg);
			if (r < 0) {
				if (!done)
					ldap_abandon_ext(c->ld, msgid, NULL, NULL);
				kd_error_set_where(err, NULL, 0, c->data.data, aname);
				return r;
			}
		}
		if (!got)
			return entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
					  "the DC returned nothing for %s: the values from %zu on "
					  "are missing",
					  want, c->attrs[a].next_lo);
	}
	return 0;
}

/* Converts one search entry and hands it to @fn; the message stays the caller's. */
static int
read_entry(struct kd_ldap *c, const struct stage *st, LDAPMessage *msg, kd_ldap_entry_fn fn,
	   void *ctx, struct kd_error *err)
{
	BerElement *ber = NULL;
	char *dn, *name;
	size_t off = 0;
	int r = 0;

	entry_reset(c);
	dn = ldap_get_dn(c->ld, msg);
	if (!dn)
		return stage_fail(c, st, err, KD_ERR_INCOMPLETE,
				  "an entry came without a readable DN (%s)",
				  ldap_err2string(ld_errno(c->ld)));
	r = data_add(c, dn, strlen(dn), &off);
	ldap_memfree(dn);
	if (r < 0)
		return stage_fail(c, st, err, KD_ERR_NOMEM, "out of memory");

	ld_clear_errno(c->ld);
	for (name = ldap_first_attribute(c->ld, msg, &ber); name && r == 0;
	     ldap_memfree(name), name = ldap_next_attribute(c->ld, msg, ber))
		r = take_attribute(c, st, msg, name, err);
	ldap_memfree(name);
	ber_free(ber, 0);
	if (r < 0)
		return r;
	if (ld_errno(c->ld) != LDAP_SUCCESS)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
				  "cannot decode the entry's attributes (%s)",
				  ldap_err2string(ld_errno(c->ld)));
	for (size_t a = 0; a < c->nattrs; a++) {
		r = fetch_ranges(c, st, a, err);
		if (r < 0)
			return r;
	}
	if (entry_finish(c) < 0)
		return entry_fail(c, st, err, KD_ERR_NOMEM, NULL, "out of memory");
	r = fn(ctx, &c->entry, err);
	if (r < 0) {
		c->failed = true;
		kd_error_set_where(err, c->uri, 0, c->entry.dn, NULL);
		return r;
	}
	c->entries++;
	if (c->entries % PROGRESS_EVERY == 0)
		report_progress(c, st, false);
	return 0;
}

static void
free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static bool
is_multi_valued(const char *name)
{
	for (size_t i = 0; multi_valued[i]; i++)
		if (strcasecmp(name, multi_valued[i]) == 0)
			return true;
	return false;
}

/* The attribute list of @spec as libldap wants it, with explicit ranges when asked. */
static int
request_attributes(const struct kd_ldap *c, const struct search_spec *spec, char ***ret)
{
	size_t n = 0;
	char **v;

	while (spec->attributes[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return KD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = spec->attributes[i];

		if (c->range_step && is_multi_valued(name)) {
			char buf[256];

			if (kd_ldap_range_request(buf, sizeof(buf), name, strlen(name), 0,
						  c->range_step) == 0) {
				free_strv(v);
				return KD_ERR_NOMEM;
			}
			v[i] = strdup(buf);
		} else {
			v[i] = strdup(name);
		}
		if (!v[i]) {
			free_strv(v);
			return KD_ERR_NOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* One row of the table: every page, every entry through @fn. */
static int
run_search(struct kd_ldap *c, struct stage *st, kd_ldap_entry_fn fn, void *ctx,
	   struct kd_error *err)
{
	const struct search_spec *spec = st->spec;
	struct berval cookie = {0, NULL};
	size_t idle_pages = 0;
	char **attrs = NULL;
	bool more;
	int r;

	if (request_attributes(c, spec, &attrs) < 0)
		return stage_fail(c, st, err, KD_ERR_NOMEM, "out of memory");
	do {
		LDAPControl *page = NULL, *sd_flags = NULL, *ctrls[3] = {NULL, NULL, NULL};
		size_t nctrls = 0;
		struct timeval tv = {.tv_sec = (time_t)c->op_timeout};
		size_t entries_before = c->entries, references_before = st->references;
		int msgid = -1, rc;
		bool done = false;
		char why[200];

		if (spec->paged) {
			/* critical: a DC that cannot page must refuse, not stop at its limit */
			rc = ldap_create_page_control(c->ld, (ber_int_t)c->page_size, &cookie, 1,
						      &page);
			if (rc != LDAP_SUCCESS) {
				ld_reason(c->ld, rc, why, sizeof(why));
				r = stage_fail(c, st, err, KD_ERR_NOMEM,
					       "cannot build the paged results control: %s", why);
				goto out;
			}
			ctrls[nctrls++] = page;
		}
		if (spec->sd_flags) {
			struct berval value = {sizeof(sd_flags_owner_dacl),
					       (char *)sd_flags_owner_dacl};

			rc = ldap_control_create(SD_FLAGS_OID, 0, &value, 1, &sd_flags);
			if (rc != LDAP_SUCCESS) {
				ldap_control_free(page);
				r = stage_fail(c, st, err, KD_ERR_NOMEM,
					       "cannot build the SD flags control");
				goto out;
			}
			ctrls[nctrls++] = sd_flags;
		}
		/* the timeval is also sent as the server's time limit for the page */
		rc = ldap_search_ext(c->ld, st->base, spec->scope, st->filter, attrs, 0,
				     nctrls ? ctrls : NULL, NULL, &tv, LDAP_NO_LIMIT, &msgid);
		ldap_control_free(page);
		ldap_control_free(sd_flags);
		ber_memfree(cookie.bv_val);
		cookie = (struct berval){0, NULL};
		if (rc != LDAP_SUCCESS) {
			ld_reason(c->ld, rc, why, sizeof(why));
			r = stage_fail(c, st, err, KD_ERR_INCOMPLETE, "%s%s",
				       rc == LDAP_SERVER_DOWN ? "lost the connection to the DC: "
							      : "",
				       why);
			goto out;
		}
		while (!done) {
			LDAPMessage *msg = NULL;
			int type = next_message(c, st, msgid, &msg, err);

			if (type < 0) {
				r = type;
				goto out;
			}
			switch (type) {
			case LDAP_RES_SEARCH_ENTRY:
				r = read_entry(c, st, msg, fn, ctx, err);
				break;
			case LDAP_RES_SEARCH_REFERENCE:
				/* other partitions (Configuration, DNS zones): never chased */
				st->references++;
				r = 0;
				break;
			case LDAP_RES_SEARCH_RESULT:
				r = check_result(c, st, msg, spec->paged ? &cookie : NULL, err);
				done = true;
				break;
			default:
				r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
					       "unexpected LDAP message type 0x%x", (unsigned)type);
				break;
			}
			ldap_msgfree(msg);
			if (r < 0) {
				if (!done)
					ldap_abandon_ext(c->ld, msgid, NULL, NULL);
				goto out;
			}
		}
		more = spec->paged && cookie.bv_len > 0;
		st->pages++;
		/* A cookie need not change between pages (Samba's names the search, not
		 * the position), but pages that bring nothing for long would loop here
		 * forever, each answer within the timeout. */
		idle_pages = c->entries == entries_before && st->references == references_before
				     ? idle_pages + 1
				     : 0;
		if (more && idle_pages >= IDLE_PAGES_MAX) {
			r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
				       "the DC's paging does not progress (%u pages in a row "
				       "without an entry)",
				       (unsigned)idle_pages);
			goto out;
		}
		report_progress(c, st, !more);
	} while (more);
	r = 0;
out:
	ber_memfree(cookie.bv_val);
	free_strv(attrs);
	return r;
}

/* "<rdns><config_nc>" in a malloc'd string, NULL when out of memory. */
static char *
config_dn(const struct kd_ldap *c, const char *rdns)
{
	size_t len = strlen(rdns), nc_len = strlen(c->config_nc);
	char *dn = malloc(len + nc_len + 1);

	if (dn) {
		memcpy(dn, rdns, len);
		memcpy(dn + len, c->config_nc, nc_len + 1);
	}
	return dn;
}

/* The crossRef of the naming context searched, its DN escaped (RFC 4515); malloc'd. */
static char *
cross_ref_filter(const struct kd_ldap *c)
{
	static const char head[] = "(&(objectClass=crossRef)(nCName=";
	struct berval in = {strlen(c->base), c->base}, escaped = {0, NULL};
	char *filter = NULL;

	if (ldap_bv2escaped_filter_value(&in, &escaped) != 0)
		return NULL;
	filter = malloc(sizeof(head) - 1 + escaped.bv_len + 3);
	if (filter) {
		memcpy(filter, head, sizeof(head) - 1);
		memcpy(filter + sizeof(head) - 1, escaped.bv_val, escaped.bv_len);
		memcpy(filter + sizeof(head) - 1 + escaped.bv_len, "))", 3);
	}
	ber_memfree(escaped.bv_val);
	return filter;
}

int
kd_ldap_collect(struct kd_ldap *c, kd_ldap_entry_fn fn, void *ctx, struct kd_error *err)
{
	char *spn_base = NULL, *partitions = NULL, *cross_ref = NULL;
	int r = 0;

	if (!c || !fn)
		return kd_error_set(err, KD_ERR_USAGE, "kd_ldap_collect: no connection");
	if (c->failed)
		return kd_error_set(err, KD_ERR_USAGE,
				    "kd_ldap_collect: the connection failed before");
	spn_base = config_dn(c, SPN_MAPPINGS_RDNS);
	partitions = config_dn(c, PARTITIONS_RDNS);
	cross_ref = cross_ref_filter(c);
	if (!spn_base || !partitions || !cross_ref) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		const struct search_spec *spec = &searches[i];
		struct stage st = {
			.spec = spec,
			.base = spec->base == BASE_NAMING_CONTEXT ? c->base
				: spec->base == BASE_SPN_MAPPINGS ? spn_base
								  : partitions,
			.filter = spec->filter ? spec->filter : cross_ref,
		};

		r = run_search(c, &st, fn, ctx, err);
		if (r < 0)
			break;
	}
out:
	free(spn_base);
	free(partitions);
	free(cross_ref);
	return r;
}

size_t
kd_ldap_entries(const struct kd_ldap *c)
{
	return c->entries;
}

/* ---- connecting and binding ---- */

/* Failures after which another DC may do better: it could not be reached. */
static bool
is_connection_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

static int __attribute__((format(printf, 4, 5)))
connect_fail(struct kd_error *err, const char *uri, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, code, fmt, ap);
	va_end(ap);
	kd_error_set_where(err, uri ? uri : "ldap.conf", 0, NULL, NULL);
	return code;
}

/*
 * SASL interaction without a user: GSSAPI asks at most for an authorization
 * identity, which stays empty (the ticket's principal). Anything that would need
 * a person (a password, a prompt) fails the bind instead of prompting.
 */
static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it = in;

	(void)ld;
	(void)flags;
	(void)defaults;
	for (; it->id != SASL_CB_LIST_END; it++) {
		const char *v;

		switch (it->id) {
		case SASL_CB_USER:
		case SASL_CB_AUTHNAME:
		case SASL_CB_GETREALM:
			v = it->defresult ? it->defresult : "";
			it->result = v;
			it->len = (unsigned)strlen(v);
			break;
		default:
			return LDAP_OTHER;
		}
	}
	return LDAP_SUCCESS;
}

/*
 * The Global Catalog (ports 3268, 3269) holds a partial replica without
 * msDS-AllowedToDelegateTo and the RBCD descriptor (MS-ADA2 2.218, 2.219: not in the
 * partial attribute set): read there, every account would look like it delegates to
 * nothing.
 */
static bool
is_global_catalog(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	bool gc;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return false;
	gc = lud->lud_port == 3268 || lud->lud_port == 3269;
	ldap_free_urldesc(lud);
	return gc;
}

/* The URIs of a list as libldap prints it (space-separated): all ldaps://, any a GC. */
static void
scan_uri_list(const char *list, bool *ret_all_ldaps, bool *ret_any_gc)
{
	const char *p = list;
	bool any = false;

	*ret_all_ldaps = true;
	*ret_any_gc = false;
	while (*p) {
		char uri[1024];
		size_t n = strcspn(p, " ,");

		if (n > 0) {
			if (n >= sizeof(uri)) {
				*ret_all_ldaps = false;
				return;
			}
			memcpy(uri, p, n);
			uri[n] = '\0';
			if (!ldap_is_ldaps_url(uri))
				*ret_all_ldaps = false;
			if (is_global_catalog(uri))
				*ret_any_gc = true;
			any = true;
		}
		p += n;
		p += strspn(p, " ,");
	}
	if (!any)
		*ret_all_ldaps = false;
}

static int
set_options(LDAP *ld, const struct kd_ldap_options *o, const char *uri, struct kd_error *err)
{
	struct timeval net = {.tv_sec = (time_t)o->connect_timeout};
	struct timeval op = {.tv_sec = (time_t)o->op_timeout};
	int version = LDAP_VERSION3;
	int require = o->insecure_tls ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int min_tls = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int newctx = 0;
	const char *what;

#define SET(opt, value, name)                                                         \
	do {                                                                          \
		if (ldap_set_option(ld, opt, value) != LDAP_OPT_SUCCESS) {            \
			what = name;                                                  \
			goto fail;                                                    \
		}                                                                     \
	} while (0)
	SET(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version");
	/* referrals lead to other partitions, where libldap would bind anonymously */
	SET(LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals");
	SET(LDAP_OPT_NETWORK_TIMEOUT, &net, "network timeout");
	SET(LDAP_OPT_TIMEOUT, &op, "timeout");
	/* the Kerberos service name is the URI's host, never a reverse-DNS answer */
	SET(LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON, "SASL_NOCANON");
	SET(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate checking");
	SET(LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_tls, "TLS minimum version");
	if (o->ca_file) {
		SET(LDAP_OPT_X_TLS_CACERTFILE, o->ca_file, "TLS CA file");
	} else {
		/*
		 * A new handle inherits libldap's global TLS context but not the names
		 * it was made from (ldap_create clears them), and the context made
		 * below starts from the handle's: carry ldap.conf's TLS_CACERT and
		 * TLS_CACERTDIR over. With neither, GnuTLS uses the system's CAs.
		 */
		char *file = NULL, *dir = NULL;
		int rf = 0, rd = 0;

		ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, &file);
		ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTDIR, &dir);
		if (file)
			rf = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, file);
		if (dir)
			rd = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, dir);
		ldap_memfree(file);
		ldap_memfree(dir);
		if (rf != LDAP_OPT_SUCCESS || rd != LDAP_OPT_SUCCESS) {
			what = "TLS CA (from ldap.conf)";
			goto fail;
		}
	}
	/* TLS options take effect in a new context, created after they are all set */
	SET(LDAP_OPT_X_TLS_NEWCTX, &newctx, "TLS context");
#undef SET
	return 0;
fail:
	{
		char why[200];

		ld_reason(ld, ld_errno(ld), why, sizeof(why));
		return connect_fail(err, uri, KD_ERR_CONNECT, "cannot set the LDAP %s option%s%s",
				    what, strcmp(what, "TLS context") == 0 ? ": " : "",
				    strcmp(what, "TLS context") == 0 ? why : "");
	}
}

/* Reads one text value of the rootDSE into a new C string (NULL when absent). */
static int
root_value(LDAP *ld, LDAPMessage *e, const char *name, char **ret)
{
	struct berval **vals = ldap_get_values_len(ld, e, name);
	char *s;

	*ret = NULL;
	if (!vals || !vals[0]) {
		ldap_value_free_len(vals);
		return 0;
	}
	if (memchr(vals[0]->bv_val, '\0', vals[0]->bv_len)) {
		ldap_value_free_len(vals);
		return KD_ERR_PARSE;
	}
	s = malloc(vals[0]->bv_len + 1);
	if (!s) {
		ldap_value_free_len(vals);
		return KD_ERR_NOMEM;
	}
	memcpy(s, vals[0]->bv_val, vals[0]->bv_len);
	s[vals[0]->bv_len] = '\0';
	ldap_value_free_len(vals);
	*ret = s;
	return 0;
}

/* The naming contexts from the rootDSE. */
static int
read_root_dse(struct kd_ldap *c, const struct kd_ldap_options *o, struct kd_error *err)
{
	char *attrs[] = {"defaultNamingContext", "configurationNamingContext", NULL};
	struct timeval tv = {.tv_sec = (time_t)c->op_timeout};
	LDAPMessage *res = NULL, *e;
	char *def = NULL, why[200];
	int rc, r = 0;

	rc = ldap_search_ext_s(c->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
			       NULL, &tv, LDAP_NO_LIMIT, &res);
	if (rc != LDAP_SUCCESS) {
		ld_reason(c->ld, rc, why, sizeof(why));
		r = connect_fail(err, c->uri, KD_ERR_CONNECT, "cannot read the rootDSE: %s", why);
		goto out;
	}
	e = ldap_first_entry(c->ld, res);
	if (!e) {
		r = connect_fail(err, c->uri, KD_ERR_CONNECT, "the rootDSE did not come");
		goto out;
	}
	r = root_value(c->ld, e, "defaultNamingContext", &def);
	if (r == 0)
		r = root_value(c->ld, e, "configurationNamingContext", &c->config_nc);
	if (r < 0) {
		r = connect_fail(err, c->uri, r == KD_ERR_NOMEM ? KD_ERR_NOMEM : KD_ERR_CONNECT,
				 r == KD_ERR_NOMEM ? "out of memory"
						   : "the rootDSE has a NUL in a naming context");
		goto out;
	}
	if (!c->config_nc) {
		r = connect_fail(err, c->uri, KD_ERR_CONNECT,
				 "the rootDSE names no configurationNamingContext: is this an "
				 "Active Directory domain controller?");
		goto out;
	}
	if (o->base) {
		c->base = strdup(o->base);
		if (!c->base)
			r = connect_fail(err, c->uri, KD_ERR_NOMEM, "out of memory");
	} else if (def) {
		c->base = def;
		def = NULL;
	} else {
		r = connect_fail(err, c->uri, KD_ERR_CONNECT,
				 "the rootDSE names no defaultNamingContext: give --base");
	}
out:
	free(def);
	ldap_msgfree(res);
	return r;
}

static int
bind_gssapi(struct kd_ldap *c, bool *ret_next, struct kd_error *err)
{
	/* sign and seal on plain LDAP; over TLS no second layer (AD: "not allowed") */
	char props_plain[] = "minssf=56", props_tls[] = "maxssf=0";
	ber_len_t ssf = 0; /* what LDAP_OPT_X_SASL_SSF writes (libldap cyrus.c), not sasl_ssf_t */
	char why[240];
	int rc;

	if (ldap_set_option(c->ld, LDAP_OPT_X_SASL_SECPROPS, c->tls ? props_tls : props_plain) !=
	    LDAP_OPT_SUCCESS)
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "cannot set the SASL security properties");
	rc = ldap_sasl_interactive_bind_s(c->ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
					  sasl_interact, NULL);
	if (rc != LDAP_SUCCESS) {
		*ret_next = is_connection_error(rc);
		ld_reason(c->ld, rc, why, sizeof(why));
		/* the hint first: GSSAPI diagnostics are long and the message is cut */
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "Kerberos (SASL GSSAPI) bind failed%s: %s",
				    rc == LDAP_LOCAL_ERROR ? " (no ticket? kinit; KRB5CCNAME)"
				    : c->tls && (rc == LDAP_STRONG_AUTH_REQUIRED ||
						 rc == LDAP_UNWILLING_TO_PERFORM)
					    ? " (Samba DCs refuse Kerberos over TLS: use ldap://, "
					      "which signs and seals)"
					    : "",
				    why);
	}
	/* With no layer installed (over TLS, as asked) libldap has no strength to give. */
	if (ldap_get_option(c->ld, LDAP_OPT_X_SASL_SSF, &ssf) != LDAP_OPT_SUCCESS) {
		if (!c->tls)
			return connect_fail(err, c->uri, KD_ERR_CONNECT,
					    "cannot read the SASL security strength");
		ssf = 0;
	}
	c->ssf = ssf > UINT_MAX ? UINT_MAX : (unsigned)ssf;
	if (!c->tls && c->ssf < MIN_SSF)
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "the SASL security layer is too weak (SSF %u, at least %u "
				    "wanted without TLS)",
				    c->ssf, MIN_SSF);
	c->mechanism = "GSSAPI";
	return 0;
}

static int
bind_simple(struct kd_ldap *c, const struct kd_ldap_options *o, bool *ret_next,
	    struct kd_error *err)
{
	struct berval cred;
	char why[240];
	int rc;

	if (!c->tls)
		return connect_fail(err, c->uri, KD_ERR_USAGE,
				    "refusing a simple bind without TLS (the password would "
				    "cross the network in clear): use ldaps:// or --starttls");
	cred.bv_val = (char *)(uintptr_t)o->password;
	cred.bv_len = strlen(o->password);
	rc = ldap_sasl_bind_s(c->ld, o->simple_bind, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		char who[128];

		*ret_next = is_connection_error(rc);
		ld_reason(c->ld, rc, why, sizeof(why));
		kd_escape_text(who, sizeof(who), o->simple_bind, strlen(o->simple_bind));
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "simple bind as '%s' failed: %s",
				    who, why);
	}
	c->mechanism = "simple";
	return 0;
}

/* Connects to @uri (NULL: ldap.conf), binds, reads the rootDSE. */
static int
open_one(struct kd_ldap *c, const struct kd_ldap_options *o, const char *uri, bool *ret_next,
	 struct kd_error *err)
{
	char *label = NULL, why[240];
	int rc, r;

	*ret_next = false;
	rc = ldap_initialize(&c->ld, uri);
	if (rc != LDAP_SUCCESS) {
		*ret_next = true;
		return connect_fail(err, uri, KD_ERR_CONNECT, "not a usable LDAP URI: %s",
				    ldap_err2string(rc));
	}
	if (!uri && ldap_get_option(c->ld, LDAP_OPT_URI, &label) == LDAP_OPT_SUCCESS && label) {
		c->uri = strdup(label);
		ldap_memfree(label);
	} else {
		c->uri = strdup(uri ? uri : "ldap.conf");
	}
	if (!c->uri)
		return connect_fail(err, uri, KD_ERR_NOMEM, "out of memory");
	r = set_options(c->ld, o, c->uri, err);
	if (r < 0)
		return r;
	/* URIs from ldap.conf or DNS get the checks kd_ldap_check_options() gives -H ones. */
	{
		bool all_ldaps, any_gc;

		scan_uri_list(c->uri, &all_ldaps, &any_gc);
		/* Refuse before anything is sent, not after the password went out. */
		if (o->simple_bind && !o->starttls && !all_ldaps)
			return connect_fail(err, c->uri, KD_ERR_USAGE,
					    "refusing a simple bind over ldap:// (the password "
					    "would cross the network in clear): use ldaps:// or "
					    "--starttls");
		if (any_gc)
			return connect_fail(err, c->uri, KD_ERR_USAGE,
					    "refusing the Global Catalog port: it lacks the "
					    "delegation attributes (use 389 or 636)");
	}
	rc = ldap_connect(c->ld);
	if (rc != LDAP_SUCCESS) {
		*ret_next = true;
		ld_reason(c->ld, rc, why, sizeof(why));
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "cannot connect%s: %s",
				    o->insecure_tls || !ldap_is_ldaps_url(c->uri)
					    ? ""
					    : " (down, or is its certificate not trusted? --ca-file)",
				    why);
	}
	if (o->starttls) {
		rc = ldap_start_tls_s(c->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			*ret_next = true;
			ld_reason(c->ld, rc, why, sizeof(why));
			return connect_fail(err, c->uri, KD_ERR_CONNECT, "StartTLS failed%s: %s",
					    o->insecure_tls ? ""
							    : " (is the DC's certificate trusted? "
							      "--ca-file)",
					    why);
		}
	}
	c->tls = ldap_tls_inplace(c->ld) != 0;
	r = o->simple_bind ? bind_simple(c, o, ret_next, err) : bind_gssapi(c, ret_next, err);
	if (r < 0)
		return r;
	return read_root_dse(c, o, err);
}

static void
release(struct kd_ldap *c)
{
	if (c->ld)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
	free(c->uri);
	c->uri = NULL;
	free(c->base);
	c->base = NULL;
	free(c->config_nc);
	c->config_nc = NULL;
}

/* "host:port host:port" from the domain's _ldap._tcp SRV records, as ldap:// URIs. */
static int
discover(const char *domain, char ***ret_uris, size_t *ret_n, struct kd_error *err)
{
	char *hosts = NULL, **uris = NULL;
	const char *p;
	size_t n = 0;
	int rc, r = 0;

	rc = ldap_domain2hostlist(domain, &hosts);
	if (rc != LDAP_SUCCESS || !hosts || !*hosts) {
		kd_error_set(err, KD_ERR_CONNECT,
			     "no domain controller found in DNS (_ldap._tcp.%s SRV records): %s",
			     domain, rc != LDAP_SUCCESS ? ldap_err2string(rc) : "none");
		kd_error_set_where(err, domain, 0, NULL, NULL);
		r = KD_ERR_CONNECT;
		goto out;
	}
	uris = calloc(KD_LDAP_MAX_URIS + 1, sizeof(*uris));
	if (!uris) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (p = hosts; *p && n < KD_LDAP_MAX_URIS;) {
		size_t len = strcspn(p, " ");

		if (len > 0) {
			uris[n] = malloc(len + 8);
			if (!uris[n]) {
				r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
				goto out;
			}
			memcpy(uris[n], "ldap://", 7);
			memcpy(uris[n] + 7, p, len);
			uris[n][len + 7] = '\0';
			n++;
		}
		p += len;
		p += strspn(p, " ");
	}
	*ret_uris = uris;
	*ret_n = n;
	uris = NULL;
out:
	free_strv(uris);
	ldap_memfree(hosts);
	return r;
}

/*
 * What libldap's LDAP_OPT_URI reads when no configuration names a server: its
 * built-in "ldap://localhost/", printed with the URL's defaults (2.4 to 2.6). A
 * configured URI prints without the "/??base" tail, even ldap://localhost/.
 */
#define LIBLDAP_DEFAULT_URI "ldap://localhost:389/??base"

bool
kd_ldap_conf_has_uri(void)
{
	LDAP *ld = NULL;
	char *uri = NULL;
	bool has;

	if (ldap_initialize(&ld, NULL) != LDAP_SUCCESS)
		return false;
	has = ldap_get_option(ld, LDAP_OPT_URI, &uri) == LDAP_OPT_SUCCESS && uri && *uri &&
	      strcmp(uri, LIBLDAP_DEFAULT_URI) != 0;
	ldap_memfree(uri);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return has;
}

int
kd_ldap_check_options(const struct kd_ldap_options *o, struct kd_error *err)
{
	if (o->page_size > INT32_MAX || o->nuris > KD_LDAP_MAX_URIS)
		return kd_error_set(err, KD_ERR_USAGE, "page size or URI count out of range");
	for (size_t i = 0; i < o->nuris; i++) {
		bool ldaps = strncasecmp(o->uris[i], "ldaps://", 8) == 0;

		if (is_global_catalog(o->uris[i])) {
			kd_error_set(err, KD_ERR_USAGE,
				     "refusing the Global Catalog port: it lacks the delegation "
				     "attributes (msDS-AllowedToDelegateTo, the RBCD descriptor); "
				     "use 389 or 636");
			kd_error_set_where(err, o->uris[i], 0, NULL, NULL);
			return KD_ERR_USAGE;
		}
		if (o->starttls && ldaps) {
			kd_error_set(err, KD_ERR_USAGE,
				     "StartTLS upgrades ldap:// connections; ldaps:// is TLS already");
			kd_error_set_where(err, o->uris[i], 0, NULL, NULL);
			return KD_ERR_USAGE;
		}
		/* Kerberos over TLS has no SASL layer: the TLS channel is all that protects
		 * the answers, and an unverified one lets a man in the middle hide delegations. */
		if (!o->simple_bind && o->insecure_tls && (ldaps || o->starttls)) {
			kd_error_set(err, KD_ERR_USAGE,
				     "refusing Kerberos over unverified TLS (--insecure-tls): "
				     "nothing would protect the answers; use ldap://, which signs "
				     "and seals, or verify the certificate (--ca-file)");
			kd_error_set_where(err, o->uris[i], 0, NULL, NULL);
			return KD_ERR_USAGE;
		}
		if (o->simple_bind && !o->starttls && !ldaps) {
			kd_error_set(err, KD_ERR_USAGE,
				     "refusing a simple bind over ldap:// (the password would "
				     "cross the network in clear): use ldaps:// or --starttls");
			kd_error_set_where(err, o->uris[i], 0, NULL, NULL);
			return KD_ERR_USAGE;
		}
	}
	if (o->ca_file) {
		FILE *f = fopen(o->ca_file, "r");

		if (!f) {
			kd_error_set(err, KD_ERR_IO, "cannot read the CA file: %s", strerror(errno));
			kd_error_set_where(err, o->ca_file, 0, NULL, NULL);
			return KD_ERR_IO;
		}
		fclose(f);
	}
	return 0;
}

int
kd_ldap_open(const struct kd_ldap_options *opts, struct kd_ldap **ret_conn, struct kd_error *err)
{
	struct kd_ldap_options o = *opts;
	struct kd_ldap *c = NULL;
	char **found = NULL;
	const char *const *uris = NULL;
	const char *conf_uri[1] = {NULL};
	size_t n = 0, tried = 0;
	struct kd_error last;
	int r = 0;

	if (!o.connect_timeout)
		o.connect_timeout = KD_LDAP_DEFAULT_CONNECT_TIMEOUT;
	if (!o.op_timeout)
		o.op_timeout = KD_LDAP_DEFAULT_OP_TIMEOUT;
	if (!o.page_size)
		o.page_size = KD_LDAP_DEFAULT_PAGE_SIZE;
	r = kd_ldap_check_options(&o, err);
	if (r < 0)
		return r;
	if (o.simple_bind && (!o.password || !o.password[0]))
		/* RFC 4513 5.1.2: a name without a password is an unauthenticated bind */
		return kd_error_set(err, KD_ERR_USAGE,
				    "a simple bind needs a password (an empty one would be an "
				    "anonymous bind)");

	if (o.nuris) {
		uris = o.uris;
		n = o.nuris;
	} else if (o.domain) {
		r = discover(o.domain, &found, &n, err);
		if (r < 0)
			return r;
		uris = (const char *const *)found;
	} else if (kd_ldap_conf_has_uri()) {
		uris = conf_uri;
		n = 1;
	} else {
		return kd_error_set(err, KD_ERR_USAGE,
				    "no directory server named: give a URI or a domain (ldap.conf "
				    "names none)");
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	kd_strbuf_init(&c->data, ENTRY_MAX_BYTES);
	c->op_timeout = o.op_timeout;
	c->page_size = o.page_size;
	c->range_step = o.range_step;
	c->progress = o.progress;
	c->progress_ctx = o.progress_ctx;

	kd_error_clear(&last);
	for (size_t i = 0; i < n; i++) {
		bool next = false;

		kd_error_clear(&last);
		r = open_one(c, &o, uris[i], &next, &last);
		tried++;
		if (r == 0)
			break;
		release(c);
		if (!next)
			break;
	}
	if (r < 0) {
		if (tried > 1) {
			size_t len = strlen(last.message);

			snprintf(last.message + len, sizeof(last.message) - len,
				 " (the %zu URIs before failed too)", tried - 1);
		}
		if (err)
			*err = last;
		goto out;
	}
	*ret_conn = c;
	c = NULL;
out:
	kd_ldap_close(c);
	free_strv(found);
	return r;
}

void
kd_ldap_close(struct kd_ldap *c)
{
	if (!c)
		return;
	release(c);
	kd_strbuf_free(&c->data);
	free(c->attrs);
	free(c->vals);
	free(c->kattrs);
	free(c->kvalues);
	free(c);
}

const char *
kd_ldap_uri(const struct kd_ldap *c)
{
	return c->uri;
}

const char *
kd_ldap_base(const struct kd_ldap *c)
{
	return c->base;
}

const char *
kd_ldap_mechanism(const struct kd_ldap *c)
{
	return c->mechanism;
}

unsigned
kd_ldap_ssf(const struct kd_ldap *c)
{
	return c->ssf;
}

bool
kd_ldap_tls(const struct kd_ldap *c)
{
	return c->tls;
}
