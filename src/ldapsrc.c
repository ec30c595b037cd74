/* SPDX-License-Identifier: MIT */
/* One search on one connection: paging, ranged values, the progress rules (ldap-private.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "kdeleg/sha256.h"

#include "ldap-private.h"

/*
 * The shape follows OpenLDAP's ldapsearch (clients/tools/ldapsearch.c: one paged
 * search at a time, ldap_result per message); the connection is ldap-conn.c's.
 *
 * Measured against Samba 4.17 (/work/shared/samba-lab.md): GSSAPI needs sign/seal
 * on ldap:// and is refused over TLS; simple binds only over TLS; searches from the
 * domain root return references to the Configuration and DNS partitions, which must
 * not be chased (libldap would bind anonymously there and fail the whole search).
 */

#define ENTRY_MAX_BYTES KD_LDAP_ENTRY_MAX
#define PROGRESS_EVERY 1000u

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

/*
 * Pages in a row without a new entry before the run fails: AD may return an empty
 * page when its time budget for one runs out before a match, a DC that pages
 * forever must not. Search
 * references count as nothing (a page of references is an empty page), and there
 * are at most REFERENCES_MAX in a search: AD sends one per other partition.
 */
#define IDLE_PAGES_MAX 16
#define REFERENCES_MAX 1000

/* The search being run, for progress and messages. */
struct stage {
	const struct kd_ldap_search *spec;
	size_t pages;
	size_t references;
};

#define battr kd_ldap_battr
#define bvalue kd_ldap_bvalue

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

void
kd_ldap_range_start(struct kd_ldap_range_walk *w, uint32_t asked_step)
{
	*w = (struct kd_ldap_range_walk){
		.min_step = asked_step && asked_step < KD_LDAP_RANGE_STEP_MIN ? asked_step
									: KD_LDAP_RANGE_STEP_MIN,
	};
}

/*
 * Why the step rules: a DC that answers "member;range=N-N" with one value each time,
 * never reaching '*', would be asked again until the entry limit, a million round
 * trips later. AD hands out MaxValRange values a chunk (1500 by default), the same
 * number every time; so a chunk that is not the last must bring at least min_step
 * values and no fewer than the first one did, and the walk ends within the entry
 * limit after a bounded number of requests.
 */
int
kd_ldap_range_next(struct kd_ldap_range_walk *w, const struct kd_ldap_desc *chunk,
		   size_t nvalues, bool *ret_done, struct kd_error *err)
{
	size_t span;

	if (!chunk->ranged)
		return kd_error_set(err, KD_ERR_USAGE, "not a ranged attribute");
	if (chunk->range_lo != w->next_lo)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "ranged values start at %zu where %zu was asked for: values "
				    "would be lost or doubled",
				    chunk->range_lo, w->next_lo);
	if (chunk->range_open) {
		*ret_done = true;
		w->next_lo += nvalues;
		return 0;
	}
	span = chunk->range_hi - chunk->range_lo + 1;
	if (nvalues != span)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "range %zu-%zu came with %zu values instead of %zu",
				    chunk->range_lo, chunk->range_hi, nvalues, span);
	if (span < w->min_step)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "range %zu-%zu brings %zu values where at least %zu are "
				    "expected before the last chunk: the DC does not progress",
				    chunk->range_lo, chunk->range_hi, span, w->min_step);
	if (span < w->step)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "range %zu-%zu brings %zu values, fewer than the %zu of the "
				    "first chunk: the DC does not progress",
				    chunk->range_lo, chunk->range_hi, span, w->step);
	if (!w->step)
		w->step = span;
	*ret_done = false;
	w->next_lo = chunk->range_hi + 1;
	return 0;
}

/* ---- errors ---- */

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
		     st->spec->stage, c->shared_entries ? atomic_load(c->shared_entries) : c->entries,
		     st->pages + 1, why);
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
 * The next message of request @msgid, and its type: each wait is bounded by
 * --timeout from now and by the deadline (ldap-conn.c's guard). A timeout or a lost
 * connection fails the stage.
 */
static int
next_message(struct kd_ldap *c, const struct stage *st, int msgid, LDAPMessage **ret_msg,
	     struct kd_error *err)
{
	char why[240];
	int type;

	kd_ldap_arm(c, c->op_timeout);
	type = kd_ldap_next_message(c, msgid, ret_msg, why, sizeof(why));
	if (type < 0)
		return stage_fail(c, st, err, KD_ERR_INCOMPLETE, "%s", why);
	return type;
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
		kd_ldap_reason(c, rc, why, sizeof(why));
		r = stage_fail(c, st, err, KD_ERR_INCOMPLETE, "cannot decode the result: %s", why);
		goto out;
	}
	if (code != LDAP_SUCCESS) {
		char safe[200];

		kd_ldap_dc_text(c, text, safe, sizeof(safe));
		r = stage_fail(c, st, err, KD_ERR_INCOMPLETE, "the DC answered %s (%d)%s%s",
			       ldap_err2string(code), code, safe[0] ? ": " : "", safe);
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
			kd_ldap_reason(c, rc, why, sizeof(why));
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
requested(const struct kd_ldap_search *spec, const char *name, size_t len)
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
	kd_ldap_clear_errno(c->ld);
	vals = ldap_get_values_len(c->ld, msg, name);
	if (!vals && kd_ldap_errno(c->ld) != LDAP_SUCCESS)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name,
				  "cannot decode the values (%s)", ldap_err2string(kd_ldap_errno(c->ld)));
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
	kd_ldap_range_start(&c->attrs[a].walk, c->range_step);
	if (kd_ldap_range_next(&c->attrs[a].walk, &d, nvalues, &done, &why) < 0)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, name, "%s", why.message);
	c->attrs[a].pending = !done;
	return 0;
}

/*
 * The chunk of attribute @a in the answer to a range request, if there is one. The
 * answer must name the entry asked for: values of another DN are not this group's.
 */
static int
take_chunk(struct kd_ldap *c, const struct stage *st, LDAPMessage *msg, size_t a, bool *got,
	   struct kd_error *err)
{
	BerElement *ber = NULL;
	char *name, *dn;
	int r = 0;

	dn = ldap_get_dn(c->ld, msg);
	if (!dn || strcasecmp(dn, c->data.data) != 0) {
		char safe[200];

		kd_ldap_dc_text(c, dn ? dn : "", safe, sizeof(safe));
		ldap_memfree(dn);
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE,
				  c->data.data + c->attrs[a].name_off,
				  "the answer to a range request names another entry ('%s')", safe);
	}
	ldap_memfree(dn);
	kd_ldap_clear_errno(c->ld);
	for (name = ldap_first_attribute(c->ld, msg, &ber); name && r == 0;
	     ldap_memfree(name), name = ldap_next_attribute(c->ld, msg, ber)) {
		const char *aname = c->data.data + c->attrs[a].name_off;
		size_t alen = c->attrs[a].name_len, nvalues;
		struct berval **vals;
		struct kd_ldap_desc d;
		struct kd_error why;
		bool done = false;

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
		kd_ldap_clear_errno(c->ld);
		vals = ldap_get_values_len(c->ld, msg, name);
		if (!vals && kd_ldap_errno(c->ld) != LDAP_SUCCESS) {
			r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
				       "cannot decode the values (%s)",
				       ldap_err2string(kd_ldap_errno(c->ld)));
			break;
		}
		nvalues = (size_t)ldap_count_values_len(vals);
		if (kd_ldap_range_next(&c->attrs[a].walk, &d, nvalues, &done, &why) < 0) {
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
	}
	ldap_memfree(name);
	ber_free(ber, 0);
	if (r == 0 && kd_ldap_errno(c->ld) != LDAP_SUCCESS)
		r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
			       "cannot decode the answer to a range request (%s)",
			       ldap_err2string(kd_ldap_errno(c->ld)));
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
		size_t entries = 0;
		int msgid = -1, rc, r = 0;
		char why[240];

		if (kd_ldap_range_request(want, sizeof(want), aname, c->attrs[a].name_len,
					  c->attrs[a].walk.next_lo, c->range_step) == 0)
			return entry_fail(c, st, err, KD_ERR_NOMEM, aname, "attribute name too long");
		/* the DN leads c->data; libldap copies it into the request */
		kd_ldap_arm(c, c->op_timeout);
		rc = ldap_search_ext(c->ld, c->data.data, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
				     0, NULL, NULL, &tv, LDAP_NO_LIMIT, &msgid);
		if (rc != LDAP_SUCCESS) {
			kd_ldap_reason(c, rc, why, sizeof(why));
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
			/* a base search names one entry: a second one, or a reference,
			 * is not an answer to it */
			if (type == LDAP_RES_SEARCH_ENTRY && ++entries == 1) {
				r = take_chunk(c, st, msg, a, &got, err);
			} else if (type == LDAP_RES_SEARCH_RESULT) {
				r = check_result(c, st, msg, NULL, err);
				done = true;
			} else {
				r = entry_fail(c, st, err, KD_ERR_INCOMPLETE, aname,
					       "the DC answered a range request with %s",
					       type == LDAP_RES_SEARCH_ENTRY
						       ? "a second entry (a base search names one)"
						       : "an unexpected LDAP message");
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
					  want, c->attrs[a].walk.next_lo);
	}
	return 0;
}

/* DNs compare case-insensitively (RFC 4514 attribute values in AD do), kept as 128-bit
 * digests of their lower-cased form: 16 bytes a DN, not its text. */
int
kd_ldap_seen_dn(struct kd_arena **keys, struct kd_hashtab *seen, const char *dn)
{
	uint8_t digest[KD_SHA256_SIZE], *key;
	struct kd_sha256 h;

	if (!*keys && !(*keys = kd_arena_new()))
		return KD_ERR_NOMEM;
	kd_sha256_init(&h);
	for (size_t i = 0; dn[i]; i++) {
		char ch = dn[i] >= 'A' && dn[i] <= 'Z' ? (char)(dn[i] + 32) : dn[i];

		kd_sha256_update(&h, &ch, 1);
	}
	kd_sha256_final(&h, digest);
	key = kd_arena_memdup(*keys, digest, 16);
	if (!key)
		return KD_ERR_NOMEM;
	return kd_hashtab_put(seen, key, 16, 0, NULL);
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
				  ldap_err2string(kd_ldap_errno(c->ld)));
	r = data_add(c, dn, strlen(dn), &off);
	ldap_memfree(dn);
	if (r < 0)
		return stage_fail(c, st, err, KD_ERR_NOMEM, "out of memory");
	/* the progress rule of paging: every entry is new, or the DC goes round */
	r = kd_ldap_seen_dn(&c->seen_keys, &c->seen, c->data.data);
	if (r < 0)
		return stage_fail(c, st, err, KD_ERR_NOMEM, "out of memory");
	if (r > 0)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
				  "the DC sent this entry twice: its paging goes round, or the "
				  "directory has two objects with one DN");

	kd_ldap_clear_errno(c->ld);
	for (name = ldap_first_attribute(c->ld, msg, &ber); name && r == 0;
	     ldap_memfree(name), name = ldap_next_attribute(c->ld, msg, ber))
		r = take_attribute(c, st, msg, name, err);
	ldap_memfree(name);
	ber_free(ber, 0);
	if (r < 0)
		return r;
	if (kd_ldap_errno(c->ld) != LDAP_SUCCESS)
		return entry_fail(c, st, err, KD_ERR_INCOMPLETE, NULL,
				  "cannot decode the entry's attributes (%s)",
				  ldap_err2string(kd_ldap_errno(c->ld)));
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
request_attributes(const struct kd_ldap *c, const struct kd_ldap_search *spec, char ***ret)
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
				kd_ldap_free_strv(v);
				return KD_ERR_NOMEM;
			}
			v[i] = strdup(buf);
		} else {
			v[i] = strdup(name);
		}
		if (!v[i]) {
			kd_ldap_free_strv(v);
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
	const struct kd_ldap_search *spec = st->spec;
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
		size_t entries_before = c->entries;
		int msgid = -1, rc;
		bool done = false;
		char why[240];

		if (spec->paged) {
			/* critical: a DC that cannot page must refuse, not stop at its limit */
			rc = ldap_create_page_control(c->ld, (ber_int_t)c->page_size, &cookie, 1,
						      &page);
			if (rc != LDAP_SUCCESS) {
				kd_ldap_reason(c, rc, why, sizeof(why));
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
		kd_ldap_arm(c, c->op_timeout);
		rc = ldap_search_ext(c->ld, spec->base, spec->scope, spec->filter, attrs, 0,
				     nctrls ? ctrls : NULL, NULL, &tv, LDAP_NO_LIMIT, &msgid);
		ldap_control_free(page);
		ldap_control_free(sd_flags);
		ber_memfree(cookie.bv_val);
		cookie = (struct berval){0, NULL};
		if (rc != LDAP_SUCCESS) {
			kd_ldap_reason(c, rc, why, sizeof(why));
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
				/* no more entries than asked for: a page holds page_size at
				 * most (RFC 2696 3), a base search one */
				if (c->entries - entries_before >=
				    (spec->paged ? c->page_size : spec->scope == LDAP_SCOPE_BASE ? 1u
												: SIZE_MAX)) {
					r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
						       "the DC sent more entries than asked for (%s)",
						       spec->paged ? "a page of --page-size"
								   : "a base search names one");
					break;
				}
				r = read_entry(c, st, msg, fn, ctx, err);
				break;
			case LDAP_RES_SEARCH_REFERENCE:
				/* other partitions (Configuration, DNS zones): never chased,
				 * counted as nothing, and not without end */
				r = 0;
				if (spec->scope == LDAP_SCOPE_BASE)
					r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
						       "the DC answered a base search with a "
						       "search reference");
				else if (++st->references > REFERENCES_MAX)
					r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
						       "the DC sent more than %u search references",
						       REFERENCES_MAX);
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
		 * the position), but pages that bring nothing new for long would loop here
		 * forever, each answer within the timeout; references are nothing new.
		 * (A page of entries seen before already failed in read_entry.) */
		idle_pages = c->entries == entries_before ? idle_pages + 1 : 0;
		if (more && idle_pages >= IDLE_PAGES_MAX) {
			r = stage_fail(c, st, err, KD_ERR_INCOMPLETE,
				       "the DC's paging does not progress (%u pages in a row "
				       "without a new entry)",
				       (unsigned)idle_pages);
			goto out;
		}
		report_progress(c, st, !more);
	} while (more);
	r = 0;
out:
	ber_memfree(cookie.bv_val);
	kd_ldap_free_strv(attrs);
	return r;
}

int
kd_ldap_search(struct kd_ldap *c, const struct kd_ldap_search *search, kd_ldap_entry_fn fn,
	       void *ctx, struct kd_error *err)
{
	struct stage st = {.spec = search};
	int r;

	if (!c || !fn || !search || !search->base || !search->filter)
		return kd_error_set(err, KD_ERR_USAGE, "kd_ldap_search: no connection or search");
	if (c->failed)
		return kd_error_set(err, KD_ERR_USAGE,
				    "kd_ldap_search: the connection failed before");
	r = run_search(c, &st, fn, ctx, err);
	/* the DC's text and DNs in the message, with the password's look-alikes masked */
	if (r < 0)
		kd_ldap_mask_error(c, err);
	return r;
}

size_t
kd_ldap_entries(const struct kd_ldap *c)
{
	return c->entries;
}

