/* SPDX-License-Identifier: MIT */
/* Streaming RFC 2849 LDIF reader for ldapsearch snapshots (content records only). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/ldif.h"
#include "kdeleg/strbuf.h"

/*
 * Shape of the input, as OpenLDAP's ldapsearch (clients/tools/ldapsearch.c) writes it:
 *
 *   -LLL   dn: ...\n attr: ...\n \n  (no version line, no comments except "# refldap://")
 *   -LL    "version: 1" first
 *   -L     also "# ufn" comments before each dn and "# numEntries" comments at the end
 *   no -L  "# extended LDIF", no version line, "ref: URL" records for continuation
 *          references and a "search: N / result: 0 Success" record per search (per page
 *          with -E pr=...), possibly with text:, matchedDN:, control:, pagedresults:.
 *
 * dosearch() prints '\n' *before* every response but the first, and the final search
 * result is itself a response: every entry of a search that completed is therefore
 * followed by an empty line, in every -L mode and across pages. An entry that is not
 * is one whose search never got its result (lost connection): a truncated snapshot.
 *
 * The reader reads CHUNK bytes at a time and finds lines with memchr. A logical line
 * that is not folded is handed out in place; folded ones are joined in @fold. Entry
 * data (DN, names, values) goes into one reused buffer; nothing is allocated per entry
 * once the buffers have grown to the largest entry.
 */

#define CHUNK ((size_t)256 * 1024)
#define LINE_MAX_BYTES KD_LDIF_LINE_MAX
#define ENTRY_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* The input buffer never needs more than a longest line plus one read. */
#define IN_MAX (LINE_MAX_BYTES + 2 + 2 * CHUNK)

/* A growing byte buffer with a hard maximum (strbuf without the NUL bookkeeping). */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static int
buf_grow(struct buf *b, size_t extra, size_t max)
{
	size_t want, cap;
	char *p;

	if (extra > max || b->len > max - extra)
		return KD_ERR_NOMEM;
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return KD_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Room for @extra more bytes; the common case (there is room) stays inline. */
static inline int
buf_reserve(struct buf *b, size_t extra, size_t max)
{
	if (extra <= b->cap - b->len && b->len + extra <= max)
		return 0;
	return buf_grow(b, extra, max);
}

/* Grows an array of @size-byte elements to hold at least @want. */
static int
array_reserve(void **array, size_t *cap, size_t want, size_t size)
{
	size_t n;
	void *p;

	if (want <= *cap)
		return 0;
	n = *cap ? *cap : 64;
	while (n < want)
		n *= 2;
	if (n > SIZE_MAX / size)
		return KD_ERR_NOMEM;
	p = realloc(*array, n * size);
	if (!p)
		return KD_ERR_NOMEM;
	*array = p;
	*cap = n;
	return 0;
}

/* An attribute of the entry being read; name and values live in ldif->data. */
struct pattr {
	size_t name_off;
	size_t name_len;
	uint32_t hash;
	size_t line;
	size_t nvalues;
	size_t fill; /* next slot in the final value array */
};

struct pvalue {
	size_t attr;
	size_t off;
	size_t len;
};

/* One ";range=lo-hi" chunk seen in the entry, wanted or not. */
struct rchunk {
	size_t name_off; /* in ldif->rnames */
	size_t name_len;
	size_t lo;
	size_t hi;
	bool open; /* "lo-*": the final chunk */
	size_t line;
};

enum record {
	REC_NONE,
	REC_ENTRY,
	REC_RESULT,    /* "search: N" + "result: CODE TEXT" (ldapsearch without -L) */
	REC_REFERENCE, /* "ref: URL" (ldapsearch without -L) */
};

/* A parsed "description: value" line. */
struct desc {
	const char *name; /* lower-cased base name, NUL-terminated, in ldif->name */
	size_t name_len;
	uint32_t hash;
	bool options; /* any ";option" */
	bool ranged;
	bool range_open;
	size_t range_lo;
	size_t range_hi;
	bool b64;
	const char *value; /* after the separator and FILL, not decoded */
	size_t value_len;
};

struct kd_ldif {
	FILE *file;
	char *source;

	/* wanted: names in one block, open-addressing table of index + 1 */
	char *wanted_names;
	size_t *wanted_off;
	size_t *wanted_len;
	size_t nwanted;
	uint32_t *wanted_tab;
	size_t wanted_mask;

	/* input: bytes [in_pos, in_end) of in are unread; scan bytes of them hold no '\n' */
	char *in;
	size_t in_cap;
	size_t in_pos;
	size_t in_end;
	size_t scan;
	bool in_eof;
	size_t raw;  /* bytes of the current physical line incl. its end of line */
	bool last;   /* the logical line just read is the last of the input */
	size_t line; /* physical lines consumed */

	struct buf fold;    /* a folded logical line, joined */
	struct buf name;    /* lower-cased attribute name of the current line */
	struct buf scratch; /* decoded values of records other than entries */

	/* the entry being read */
	enum record rec;
	size_t rec_line;
	size_t rec_bytes;
	bool result_seen;
	bool version_ok;   /* a version line may still come */
	bool dn_set;
	struct buf data;   /* DN, names, values, each NUL-terminated */
	size_t dn_off;
	size_t dn_len;
	struct pattr *attrs;
	size_t nattrs;
	size_t attrs_cap;
	struct pvalue *pvals;
	size_t npvals;
	size_t pvals_cap;
	uint32_t *etab; /* attr index + 1, valid when egen[] == gen */
	uint32_t *egen;
	size_t emask;
	uint32_t gen;
	struct rchunk *chunks;
	size_t nchunks;
	size_t chunks_cap;
	struct buf rnames;

	/* what is handed out */
	struct kd_entry entry;
	struct kd_attr *kattrs;
	size_t kattrs_cap;
	struct kd_value *kvalues;
	size_t kvalues_cap;

	size_t entries;
	bool done;
	bool records;        /* a record (not the version line) has begun */
	bool kdeleg;         /* KD_LDIF_KDELEG_HEADER came before the first record */
	const char *plan;    /* its "# plan: " line: "targeted", "full", or NULL */
	bool trailer;        /* the trailer came: only the end of the file may follow */
	size_t trailer_entries;
	int status; /* sticky: after an error every call returns it */
	struct kd_error error;
};

static const unsigned char b64_table[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* keystring characters (RFC 4512 1.4) lower-cased; 0 for any other byte */
static const unsigned char key_table[256] = {
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,  45,   0,   0,
	 48,  49,  50,  51,  52,  53,  54,  55,  56,  57,   0,   0,   0,   0,   0,   0,
	  0,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
	112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,   0,   0,   0,   0,   0,
	  0,  97,  98,  99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
	112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	  0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
};

/*
 * Records an error at @line, names the entry when one is open, and makes it sticky.
 * Returns @code.
 */
static int __attribute__((format(printf, 5, 6)))
fail(struct kd_ldif *l, struct kd_error *err, int code, size_t line, const char *fmt, ...)
{
	va_list ap;

	kd_error_clear(&l->error);
	va_start(ap, fmt);
	kd_error_setv(&l->error, code, fmt, ap);
	va_end(ap);
	kd_error_set_where(&l->error, l->source, line,
			   l->rec == REC_ENTRY && l->dn_set ? l->data.p + l->dn_off : NULL, NULL);
	l->status = code;
	if (err)
		*err = l->error;
	return code;
}

/* Adds the attribute name to a sticky error (the error is set before we know it). */
static void
fail_attr(struct kd_ldif *l, struct kd_error *err, const char *name)
{
	kd_error_set_where(&l->error, NULL, 0, NULL, name);
	if (err)
		*err = l->error;
}

/* fail() for a line whose attribute is known: the attribute goes into err->attribute. */
static int __attribute__((format(printf, 6, 7)))
attr_fail(struct kd_ldif *l, struct kd_error *err, int code, size_t line, const char *name,
	  const char *fmt, ...)
{
	char msg[sizeof(l->error.message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail(l, err, code, line, "%s", msg);
	fail_attr(l, err, name);
	return code;
}

/* Reads more input, keeping the unread bytes. */
static int
fill(struct kd_ldif *l, struct kd_error *err)
{
	size_t keep = l->in_end - l->in_pos;
	size_t n;

	if (l->in_pos > 0) {
		memmove(l->in, l->in + l->in_pos, keep);
		l->in_pos = 0;
		l->in_end = keep;
	}
	if (l->in_cap - l->in_end < CHUNK) {
		size_t cap = l->in_cap * 2;
		char *p;

		if (cap < keep + CHUNK)
			cap = keep + CHUNK;
		if (cap > IN_MAX)
			cap = IN_MAX;
		if (cap < keep + CHUNK)
			return fail(l, err, KD_ERR_NOMEM, l->line + 1,
				    "line longer than 16 MiB");
		p = realloc(l->in, cap);
		if (!p)
			return fail(l, err, KD_ERR_NOMEM, l->line + 1,
				    "out of memory reading a %zu-byte line", keep);
		l->in = p;
		l->in_cap = cap;
	}
	n = fread(l->in + l->in_end, 1, l->in_cap - l->in_end, l->file);
	if (n == 0) {
		if (ferror(l->file))
			return fail(l, err, KD_ERR_IO, l->line + 1, "read failed: %s",
				    strerror(errno));
		l->in_eof = true;
	}
	l->in_end += n;
	return 0;
}

/*
 * Finds the next physical line without consuming it: it starts at in_pos, its text
 * (without LF or CRLF) is *ret_len bytes, l->raw counts the end of line too.
 * Returns 1, 0 at the end of input, or an error.
 */
static int
read_phys(struct kd_ldif *l, size_t *ret_len, struct kd_error *err)
{
	for (;;) {
		char *start = l->in + l->in_pos;
		size_t avail = l->in_end - l->in_pos;
		char *nl = memchr(start + l->scan, '\n', avail - l->scan);
		int r;

		if (nl) {
			size_t len = (size_t)(nl - start);

			l->raw = len + 1;
			if (len > 0 && start[len - 1] == '\r')
				len--;
			if (len > LINE_MAX_BYTES)
				return fail(l, err, KD_ERR_NOMEM, l->line + 1,
					    "line longer than 16 MiB");
			*ret_len = len;
			return 1;
		}
		l->scan = avail;
		if (avail > LINE_MAX_BYTES + 1)
			return fail(l, err, KD_ERR_NOMEM, l->line + 1, "line longer than 16 MiB");
		if (l->in_eof) {
			if (avail == 0)
				return 0;
			if (l->rec == REC_ENTRY)
				return fail(l, err, KD_ERR_INCOMPLETE, l->line + 1,
					    "file ends in the middle of line %zu, inside the "
					    "entry begun at line %zu: the snapshot looks truncated",
					    l->line + 1, l->rec_line);
			return fail(l, err, KD_ERR_INCOMPLETE, l->line + 1,
				    "file ends in the middle of line %zu: the snapshot looks "
				    "truncated",
				    l->line + 1);
		}
		r = fill(l, err);
		if (r < 0)
			return r;
	}
}

static void
consume(struct kd_ldif *l)
{
	l->in_pos += l->raw;
	l->scan = 0;
	l->line++;
}

/* *ret_c: the first byte after the current physical line, or -1 at the end of input. */
static int
peek_next(struct kd_ldif *l, int *ret_c, struct kd_error *err)
{
	while (l->in_end - l->in_pos <= l->raw) {
		int r;

		if (l->in_eof) {
			*ret_c = -1;
			return 0;
		}
		r = fill(l, err);
		if (r < 0)
			return r;
	}
	*ret_c = (unsigned char)l->in[l->in_pos + l->raw];
	return 0;
}

enum line_kind {
	LINE_EOF = 0,
	LINE_TEXT,
	LINE_EMPTY,
	LINE_COMMENT,
};

/*
 * The next logical line (RFC 2849 note 2: a line beginning with one space continues
 * the previous one; the space is dropped). Returns a line_kind or an error. TEXT lines
 * are valid until the next call. Comments (column-0 '#', folded or not) are skipped
 * without being joined.
 *
 * A line of only spaces is a continuation like any other: after an empty line or at
 * the start of the file it has nothing to continue and is an error, never a record
 * separator (RFC 2849 SEP is a bare newline). ldapsearch never writes such lines.
 */
static int
next_line(struct kd_ldif *l, const char **ret_line, size_t *ret_len, size_t *ret_lineno,
	  struct kd_error *err)
{
	size_t len, lineno;
	bool comment;
	int r, c;

	r = read_phys(l, &len, err);
	if (r <= 0)
		return r;
	lineno = l->line + 1;
	*ret_lineno = lineno;
	if (len == 0) {
		consume(l);
		return LINE_EMPTY;
	}
	if (l->in[l->in_pos] == ' ')
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "line begins with a space, which continues the previous line "
			    "(RFC 2849 folding), but there is no line to continue");
	comment = l->in[l->in_pos] == '#';
	r = peek_next(l, &c, err);
	if (r < 0)
		return r;
	l->last = c == -1;
	if (c != ' ') {
		/* The common case: the line is handed out where it lies in the input. */
		*ret_line = l->in + l->in_pos;
		*ret_len = len;
		consume(l);
		return comment ? LINE_COMMENT : LINE_TEXT;
	}
	l->fold.len = 0;
	for (bool first = true;; first = false) {
		if (!comment) {
			size_t skip = first ? 0 : 1; /* the continuation's space */

			if (buf_reserve(&l->fold, len - skip, LINE_MAX_BYTES) < 0)
				return fail(l, err, KD_ERR_NOMEM, lineno,
					    "line longer than 16 MiB (after unfolding)");
			memcpy(l->fold.p + l->fold.len, l->in + l->in_pos + skip, len - skip);
			l->fold.len += len - skip;
		}
		consume(l);
		if (c != ' ')
			break;
		r = read_phys(l, &len, err);
		if (r < 0)
			return r;
		/* peek_next saw a space, so there is a line; keep it non-empty */
		if (r == 0 || len == 0)
			return fail(l, err, KD_ERR_PARSE, l->line + 1,
				    "continuation line without text");
		r = peek_next(l, &c, err);
		if (r < 0)
			return r;
		l->last = c == -1;
	}
	*ret_line = l->fold.p ? l->fold.p : "";
	*ret_len = l->fold.len;
	return comment ? LINE_COMMENT : LINE_TEXT;
}

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

/*
 * Hash of an attribute name for the wanted and per-entry tables: its first and last
 * 8 bytes and its length, two multiplies instead of one per byte (names are short,
 * and this runs once per line).
 */
static uint32_t
name_hash(const char *s, size_t n)
{
	uint64_t a = 0, b = 0;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else {
		memcpy(&a, s, n);
	}
	a = (a ^ n) * 0x9e3779b97f4a7c15ull;
	b = (b + (a >> 29)) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)((a ^ b) >> 32);
}

/* memcmp for short names without the call */
static inline bool
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
		a += 8;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*a++ != *b++)
			return false;
	return true;
}

/* Quotes at most 40 bytes of untrusted text for a message. */
static const char *
snippet(char *buf, size_t size, const char *text, size_t len)
{
	kd_escape_text(buf, size, text, len);
	return buf;
}

/*
 * Splits "description: value", "description:: base64" (RFC 2849 attrval-spec).
 * AttributeDescription (RFC 4512 2.5): a keystring or a numeric OID, then ";option"s.
 * The name is lower-cased into l->name; options are checked and dropped, except
 * range=, which AD writes although '=' and '*' are not option characters.
 */
static int
parse_desc(struct kd_ldif *l, const char *line, size_t len, size_t lineno, struct desc *d,
	   struct kd_error *err)
{
	char quoted[48];
	struct kd_range range;
	size_t i = 0, at;
	char *out;

	memset(d, 0, sizeof(*d));
	l->name.len = 0;
	/* The name cannot be longer than the line. */
	if (buf_reserve(&l->name, len + 1, LINE_MAX_BYTES + 1) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	out = l->name.p;
	if (is_alpha((unsigned char)line[0])) {
		for (; i < len; i++) {
			unsigned char c = key_table[(unsigned char)line[i]];

			if (!c)
				break;
			out[i] = (char)c;
		}
	} else if (is_digit((unsigned char)line[0])) {
		bool dot = true;

		for (; i < len && (is_digit((unsigned char)line[i]) || line[i] == '.'); i++) {
			if (line[i] == '.' && dot)
				break;
			dot = line[i] == '.';
			out[i] = line[i];
		}
		if (dot)
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "malformed numeric OID attribute name '%s'",
				    snippet(quoted, sizeof(quoted), line, i + 1 < len ? i + 1 : len));
	} else if (len == 1 && line[0] == '-') {
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "a '-' line separates modifications in change records: change "
			    "records are not snapshots");
	} else {
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "expected an attribute name (letters, digits, '-' or a numeric "
			    "OID) at the start of the line, found '%s'",
			    snippet(quoted, sizeof(quoted), line, len < 16 ? len : 16));
	}
	d->name = out;
	d->name_len = i;
	d->hash = name_hash(out, i);
	out[i] = '\0';

	while (i < len && line[i] == ';') {
		size_t start = ++i;

		d->options = true;
		while (i < len && line[i] != ';' && line[i] != ':')
			i++;
		if (i - start > 6 && strncasecmp(line + start, "range=", 6) == 0) {
			if (d->ranged)
				return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
						 "two range options");
			if (kd_range_parse(line + start + 6, i - start - 6, &range, &at))
				return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
						 "malformed option '%s' (expected "
						 "range=LOW-HIGH or range=LOW-*)",
						 snippet(quoted, sizeof(quoted), line + start,
							 i - start));
			d->ranged = true;
			d->range_lo = range.lo;
			d->range_hi = range.hi;
			d->range_open = range.open;
			continue;
		}
		if (i == start)
			return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
					 "empty option after ';'");
		for (size_t j = start; j < i; j++)
			if (!is_keychar((unsigned char)line[j]))
				return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
						 "option '%s' has characters other than "
						 "letters, digits and '-'",
						 snippet(quoted, sizeof(quoted), line + start,
							 i - start));
		/* binary, lang-xx and other options: values merge into the base name */
	}
	if (i == len || line[i] != ':')
		return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
				 "expected ':' after the attribute description, found '%s'",
				 snippet(quoted, sizeof(quoted), line, len < 24 ? len : 24));
	i++;
	if (i < len && line[i] == '<')
		return attr_fail(l, err, KD_ERR_PARSE, lineno, d->name,
				 "URL values are not supported (kdeleg never reads files "
				 "named in a snapshot)");
	if (i < len && line[i] == ':') {
		d->b64 = true;
		i++;
	}
	while (i < len && line[i] == ' ')
		i++;
	d->value = line + i;
	d->value_len = len - i;
	return 0;
}

enum b64_result {
	B64_OK = 0,
	B64_LENGTH,
	B64_CHAR,
	B64_PAD,
};

/*
 * Strict RFC 4648 base64: length a multiple of 4, the alphabet only, '=' only as the
 * last one or two characters, and zero bits after the data (as lutil_b64_ntop writes
 * them). @out may be NULL to only check; it needs n / 4 * 3 bytes. *ret_bad is the
 * offset of a bad character.
 */
static enum b64_result
b64_decode(const char *in, size_t n, char *out, size_t *ret_len, size_t *ret_bad)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *o = (unsigned char *)out;
	size_t full, pad = 0, olen = 0;
	unsigned bad = 0;

	*ret_len = 0;
	if (n % 4)
		return B64_LENGTH;
	if (n == 0)
		return B64_OK;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	full = pad ? n - 4 : n;
	for (size_t i = 0; i < full; i += 4) {
		unsigned a = b64_table[s[i]], b = b64_table[s[i + 1]];
		unsigned c = b64_table[s[i + 2]], e = b64_table[s[i + 3]];

		bad |= a | b | c | e;
		if (o) {
			uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | e;

			o[olen] = (unsigned char)(v >> 16);
			o[olen + 1] = (unsigned char)(v >> 8);
			o[olen + 2] = (unsigned char)v;
		}
		olen += 3;
	}
	if (bad & 0x80) {
		for (size_t i = 0; i < full; i++)
			if (b64_table[s[i]] == 255) {
				*ret_bad = i;
				break;
			}
		return B64_CHAR;
	}
	if (pad) {
		unsigned a = b64_table[s[full]], b = b64_table[s[full + 1]];
		unsigned c = pad == 1 ? b64_table[s[full + 2]] : 0;

		if (a == 255 || b == 255 || c == 255) {
			*ret_bad = full + (a == 255 ? 0 : b == 255 ? 1 : 2);
			return s[*ret_bad] == '=' ? B64_PAD : B64_CHAR;
		}
		if ((pad == 2 && (b & 0x0f)) || (pad == 1 && (c & 0x03)))
			return B64_PAD;
		if (o) {
			o[olen] = (unsigned char)(a << 2 | b >> 4);
			if (pad == 1)
				o[olen + 1] = (unsigned char)((b & 0x0f) << 4 | c >> 2);
		}
		olen += 3 - pad;
	}
	*ret_len = olen;
	return B64_OK;
}

/*
 * RFC 2849 SAFE-STRING allows any byte but NUL, LF and CR; we also want UTF-8, which
 * is what ldapsearch leaves unencoded (it base64-encodes anything else). Other control
 * characters are allowed as the RFC does; the text output escapes them.
 */
static bool
plain_ok(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	const uint64_t cr = 0x0d0d0d0d0d0d0d0dull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, x;

		memcpy(&w, s + i, 8);
		x = w ^ cr;
		if (((w - ones) & ~w & high) | ((x - ones) & ~x & high) | (w & high))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0 || c == '\r')
			return false;
		if (c >= 0x80)
			return !memchr(s + i, '\r', n - i) && kd_utf8_valid(s + i, n - i);
	}
	return true;
}

/*
 * Checks the value of @d and, when @out is not NULL, writes it there decoded (room for
 * value_len bytes plus a NUL). @what names it in messages.
 */
static int
take_value(struct kd_ldif *l, const struct desc *d, size_t lineno, char *out, size_t *ret_len,
	   struct kd_error *err)
{
	size_t bad = 0, n = 0;

	if (!d->b64) {
		if (d->value_len > 0 && (d->value[0] == ':' || d->value[0] == '<'))
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "a plain value may not begin with '%c' (RFC 2849 "
				    "SAFE-INIT-CHAR); ldapsearch writes it as base64",
				    d->value[0]);
		if (!plain_ok(d->value, d->value_len))
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "binary data in a plain value; ldapsearch writes it as "
				    "base64");
		if (out) {
			memcpy(out, d->value, d->value_len);
			out[d->value_len] = '\0';
		}
		*ret_len = d->value_len;
		return 0;
	}
	switch (b64_decode(d->value, d->value_len, out, &n, &bad)) {
	case B64_OK:
		break;
	case B64_LENGTH:
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "base64 value of %zu characters: the length must be a multiple "
			    "of 4",
			    d->value_len);
	case B64_CHAR:
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "base64 value has the character 0x%02x at position %zu, outside "
			    "the base64 alphabet",
			    (unsigned char)d->value[bad], bad);
	case B64_PAD:
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "base64 value has bad padding (only the last one or two "
			    "characters may be '=', and the bits they cover must be zero)");
	}
	if (out)
		out[n] = '\0';
	*ret_len = n;
	return 0;
}

/* Decodes into l->scratch for records other than entries. */
static int
scratch_value(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	l->scratch.len = 0;
	if (buf_reserve(&l->scratch, d->value_len + 1, LINE_MAX_BYTES + 1) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	return take_value(l, d, lineno, l->scratch.p, &l->scratch.len, err);
}

static bool
wanted(const struct kd_ldif *l, const struct desc *d)
{
	size_t i;

	if (!l->wanted_tab)
		return true;
	for (i = d->hash & l->wanted_mask; l->wanted_tab[i]; i = (i + 1) & l->wanted_mask) {
		size_t w = l->wanted_tab[i] - 1;

		if (l->wanted_len[w] == d->name_len &&
		    same_bytes(l->wanted_names + l->wanted_off[w], d->name, d->name_len))
			return true;
	}
	return false;
}

static bool
attr_is(const struct kd_ldif *l, size_t a, const struct desc *d)
{
	const struct pattr *p = &l->attrs[a];

	return p->hash == d->hash && p->name_len == d->name_len &&
	       same_bytes(l->data.p + p->name_off, d->name, d->name_len);
}

static void
etab_insert(struct kd_ldif *l, size_t a)
{
	size_t i = l->attrs[a].hash & l->emask;

	while (l->egen[i] == l->gen)
		i = (i + 1) & l->emask;
	l->egen[i] = l->gen;
	l->etab[i] = (uint32_t)(a + 1);
}

/* The index of the entry's attribute named like @d, added when new. */
static int
find_attr(struct kd_ldif *l, const struct desc *d, size_t lineno, size_t *ret, struct kd_error *err)
{
	size_t i, a;

	/* ldapsearch writes all values of a description together: try the last one */
	if (l->nattrs > 0 && attr_is(l, l->nattrs - 1, d)) {
		*ret = l->nattrs - 1;
		return 0;
	}
	if (l->emask) {
		for (i = d->hash & l->emask; l->egen[i] == l->gen; i = (i + 1) & l->emask) {
			a = l->etab[i] - 1;
			if (attr_is(l, a, d)) {
				*ret = a;
				return 0;
			}
		}
	}
	if (l->nattrs >= UINT32_MAX - 1)
		return fail(l, err, KD_ERR_NOMEM, lineno, "too many attributes in one entry");
	if (array_reserve((void **)&l->attrs, &l->attrs_cap, l->nattrs + 1, sizeof(*l->attrs)) < 0 ||
	    buf_reserve(&l->data, d->name_len + 1, ENTRY_MAX_BYTES * 2) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	a = l->nattrs++;
	l->attrs[a] = (struct pattr){
		.name_off = l->data.len,
		.name_len = d->name_len,
		.hash = d->hash,
		.line = lineno,
	};
	memcpy(l->data.p + l->data.len, d->name, d->name_len + 1);
	l->data.len += d->name_len + 1;

	/* keep the table at most half full */
	if (l->nattrs * 2 > l->emask) {
		size_t size = l->emask ? (l->emask + 1) * 2 : 64;
		uint32_t *tab = malloc(size * sizeof(*tab)), *gen = calloc(size, sizeof(*gen));

		if (!tab || !gen) {
			free(tab);
			free(gen);
			return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
		}
		free(l->etab);
		free(l->egen);
		l->etab = tab;
		l->egen = gen;
		l->emask = size - 1;
		l->gen = 1;
		for (size_t j = 0; j < l->nattrs; j++)
			etab_insert(l, j);
	} else {
		etab_insert(l, a);
	}
	*ret = a;
	return 0;
}

static int
add_chunk(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	struct rchunk *last = l->nchunks ? &l->chunks[l->nchunks - 1] : NULL;

	/* every value line repeats the description: one chunk per run of them */
	if (last && last->lo == d->range_lo && last->open == d->range_open &&
	    (d->range_open || last->hi == d->range_hi) && last->name_len == d->name_len &&
	    memcmp(l->rnames.p + last->name_off, d->name, d->name_len) == 0)
		return 0;
	if (array_reserve((void **)&l->chunks, &l->chunks_cap, l->nchunks + 1,
			  sizeof(*l->chunks)) < 0 ||
	    buf_reserve(&l->rnames, d->name_len + 1, ENTRY_MAX_BYTES) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	l->chunks[l->nchunks++] = (struct rchunk){
		.name_off = l->rnames.len,
		.name_len = d->name_len,
		.lo = d->range_lo,
		.hi = d->range_open ? 0 : d->range_hi,
		.open = d->range_open,
		.line = lineno,
	};
	memcpy(l->rnames.p + l->rnames.len, d->name, d->name_len + 1);
	l->rnames.len += d->name_len + 1;
	return 0;
}

/* The current record's line of text: an attribute of the open entry. */
static int
entry_attr(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	size_t a = 0, len = 0;
	int r;

	if (d->name_len == 2 && memcmp(d->name, "dn", 2) == 0)
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "a second dn: line in the entry begun at line %zu (is the empty "
			    "line between two entries missing?)",
			    l->rec_line);
	if (d->name_len == 10 && memcmp(d->name, "changetype", 10) == 0)
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "changetype: change records are not snapshots");
	if (d->ranged) {
		r = add_chunk(l, d, lineno, err);
		if (r < 0)
			return r;
	}
	if (!wanted(l, d))
		return take_value(l, d, lineno, NULL, &len, err);

	r = find_attr(l, d, lineno, &a, err);
	if (r < 0)
		return r;
	if (array_reserve((void **)&l->pvals, &l->pvals_cap, l->npvals + 1, sizeof(*l->pvals)) < 0 ||
	    buf_reserve(&l->data, d->value_len + 1, ENTRY_MAX_BYTES * 2) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	r = take_value(l, d, lineno, l->data.p + l->data.len, &len, err);
	if (r < 0)
		return r;
	l->pvals[l->npvals++] = (struct pvalue){.attr = a, .off = l->data.len, .len = len};
	l->data.len += len + 1;
	l->attrs[a].nvalues++;
	return 0;
}

static bool
chunk_same_name(const struct kd_ldif *l, const struct rchunk *a, const struct rchunk *b)
{
	return a->name_len == b->name_len &&
	       memcmp(l->rnames.p + a->name_off, l->rnames.p + b->name_off, a->name_len) == 0;
}

/* Orders by name, then low bound, closed before open. */
static int
chunk_cmp(const struct kd_ldif *l, const struct rchunk *a, const struct rchunk *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(l->rnames.p + a->name_off, l->rnames.p + b->name_off, n);

	if (c)
		return c;
	if (a->name_len != b->name_len)
		return a->name_len < b->name_len ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (int)a->open - (int)b->open;
}

/*
 * Insertion sort: there is one chunk per ranged attribute description in the entry,
 * usually one or two, and C11 qsort has no context argument.
 */
static void
sort_chunks(struct kd_ldif *l)
{
	for (size_t i = 1; i < l->nchunks; i++) {
		struct rchunk t = l->chunks[i];
		size_t j = i;

		while (j > 0 && chunk_cmp(l, &l->chunks[j - 1], &t) > 0) {
			l->chunks[j] = l->chunks[j - 1];
			j--;
		}
		l->chunks[j] = t;
	}
}

static void
format_chunk(char *buf, size_t size, const struct rchunk *c)
{
	if (c->open)
		snprintf(buf, size, "%zu-*", c->lo);
	else
		snprintf(buf, size, "%zu-%zu", c->lo, c->hi);
}

/*
 * Ranged retrieval (MS-ADTS 3.1.1.3.1.3.3): the chunks of one attribute, in any order,
 * must cover 0.. without gaps or overlaps and end with "lo-*". A missing chunk means
 * values are missing, which the audit must not take for a complete answer.
 */
static int
check_ranges(struct kd_ldif *l, struct kd_error *err)
{
	size_t i = 0;

	sort_chunks(l);
	while (i < l->nchunks) {
		const char *name = l->rnames.p + l->chunks[i].name_off;
		size_t j = i, expect = 0, line = l->chunks[i].line;
		const struct rchunk *prev = NULL;
		char a[48], b[48];

		for (; j < l->nchunks && chunk_same_name(l, &l->chunks[i], &l->chunks[j]); j++)
			if (l->chunks[j].line < line)
				line = l->chunks[j].line;
		for (size_t k = i; k < j; k++) {
			const struct rchunk *c = &l->chunks[k];

			/* the same description again later in the entry: the same chunk */
			if (prev && prev->lo == c->lo && prev->open == c->open &&
			    (c->open || prev->hi == c->hi))
				continue;
			format_chunk(a, sizeof(a), c);
			if (prev && (prev->open || c->lo < expect)) {
				format_chunk(b, sizeof(b), prev);
				return attr_fail(l, err, KD_ERR_PARSE, line, name,
						  "ranged values %s overlap %s", a, b);
			}
			if (c->lo > expect && expect == 0)
				return attr_fail(l, err, KD_ERR_INCOMPLETE, line, name,
						  "ranged values start with %s, values 0-%zu "
						  "are missing; the snapshot is incomplete",
						  a, c->lo - 1);
			if (c->lo > expect)
				return attr_fail(l, err, KD_ERR_INCOMPLETE, line, name,
						  "ranged values %zu-%zu are missing before %s; "
						  "the snapshot is incomplete",
						  expect, c->lo - 1, a);
			/* kd_range_parse keeps hi below SIZE_MAX */
			expect = c->open ? SIZE_MAX : c->hi + 1;
			prev = c;
		}
		if (prev && !prev->open)
			return attr_fail(l, err, KD_ERR_INCOMPLETE, line, name,
					  "ranged values 0-%zu without the final chunk (%zu-*); "
					  "the snapshot is incomplete",
					  prev->hi, prev->hi + 1);
		i = j;
	}
	return 0;
}

/* Turns the offsets collected for the entry into the kd_entry handed out. */
static int
finish_entry(struct kd_ldif *l, size_t lineno, struct kd_error *err)
{
	struct kd_value *v;
	size_t pos = 0;
	int r;

	if (l->nchunks) {
		r = check_ranges(l, err);
		if (r < 0)
			return r;
	}
	if (array_reserve((void **)&l->kattrs, &l->kattrs_cap, l->nattrs, sizeof(*l->kattrs)) < 0 ||
	    array_reserve((void **)&l->kvalues, &l->kvalues_cap, l->npvals, sizeof(*l->kvalues)) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	v = l->kvalues;
	for (size_t a = 0; a < l->nattrs; a++) {
		struct pattr *p = &l->attrs[a];

		l->kattrs[a] = (struct kd_attr){
			.name = l->data.p + p->name_off,
			.line = p->line,
			.nvalues = p->nvalues,
			.values = v ? v + pos : NULL,
		};
		p->fill = pos;
		pos += p->nvalues;
	}
	for (size_t i = 0; i < l->npvals; i++) {
		const struct pvalue *pv = &l->pvals[i];

		v[l->attrs[pv->attr].fill++] = (struct kd_value){l->data.p + pv->off, pv->len};
	}
	l->entry = (struct kd_entry){
		.dn = l->data.p + l->dn_off,
		.dn_len = l->dn_len,
		.line = l->rec_line,
		.nattrs = l->nattrs,
		.attrs = l->kattrs,
	};
	return 0;
}

static void
entry_reset(struct kd_ldif *l)
{
	l->data.len = 0;
	l->nattrs = 0;
	l->npvals = 0;
	l->nchunks = 0;
	l->rnames.len = 0;
	l->dn_set = false;
	if (++l->gen == 0) {
		/* once every 4 billion entries: forget the stamps */
		if (l->egen)
			memset(l->egen, 0, (l->emask + 1) * sizeof(*l->egen));
		l->gen = 1;
	}
}

static int
start_entry(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	size_t len = 0;
	int r;

	if (d->options)
		return fail(l, err, KD_ERR_PARSE, lineno, "dn: takes no options");
	l->rec = REC_ENTRY;
	l->rec_line = lineno;
	if (buf_reserve(&l->data, d->value_len + 1, ENTRY_MAX_BYTES * 2) < 0)
		return fail(l, err, KD_ERR_NOMEM, lineno, "out of memory");
	r = take_value(l, d, lineno, l->data.p, &len, err);
	if (r < 0)
		return r;
	/* A DN is text (RFC 4514): a base64 one must still be UTF-8 without NUL. */
	if (d->b64 && !kd_utf8_valid(l->data.p, len))
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "the base64 DN is not UTF-8 text");
	l->dn_off = 0;
	l->dn_len = len;
	l->data.len = len + 1;
	l->dn_set = true;
	return 0;
}

/* "result: CODE TEXT" of the record ldapsearch writes without -L. */
static int
result_line(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	const char *s, *sp;
	size_t code, n;
	int r;

	r = scratch_value(l, d, lineno, err);
	if (r < 0)
		return r;
	s = l->scratch.p;
	n = l->scratch.len;
	sp = memchr(s, ' ', n);
	if (!kd_parse_size(s, sp ? (size_t)(sp - s) : n, &code))
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "expected 'result: CODE TEXT' with a decimal LDAP result code");
	if (code != 0) {
		char text[96];

		kd_escape_text(text, sizeof(text), sp ? sp + 1 : "", sp ? n - (size_t)(sp - s) - 1 : 0);
		return fail(l, err, KD_ERR_INCOMPLETE, lineno,
			    "the snapshot records LDAP result %zu (%s): it is incomplete", code,
			    text);
	}
	l->result_seen = true;
	return 0;
}

static bool
name_is(const struct desc *d, const char *name)
{
	size_t n = strlen(name);

	return d->name_len == n && memcmp(d->name, name, n) == 0;
}

/* The first text line of a record decides what it is. */
static int
start_record(struct kd_ldif *l, const struct desc *d, size_t lineno, struct kd_error *err)
{
	char quoted[48];
	int r;

	if (name_is(d, "version") && l->version_ok) {
		/* RFC 2849 version-spec, first in the file; ldapsearch -L/-LL write it */
		l->version_ok = false;
		r = scratch_value(l, d, lineno, err);
		if (r < 0)
			return r;
		if (l->scratch.len != 1 || l->scratch.p[0] != '1')
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "unsupported LDIF version '%s' (RFC 2849 defines version 1)",
				    snippet(quoted, sizeof(quoted), l->scratch.p, l->scratch.len));
		return 0;
	}
	l->version_ok = false;
	l->records = true;
	l->rec_line = lineno;
	if (name_is(d, "dn"))
		return start_entry(l, d, lineno, err);
	if (name_is(d, "search")) {
		l->rec = REC_RESULT;
		l->result_seen = false;
		return scratch_value(l, d, lineno, err);
	}
	if (name_is(d, "ref")) {
		/*
		 * A continuation reference as ldapsearch without -L writes it; -LLL writes
		 * the same as a "# refldap://" comment. Both are ignored alike: they point
		 * to other naming contexts, not to parts of the one searched.
		 */
		l->rec = REC_REFERENCE;
		return scratch_value(l, d, lineno, err);
	}
	return fail(l, err, KD_ERR_PARSE, lineno,
		    "expected 'dn:' at the start of a record, found '%s:'%s", d->name,
		    name_is(d, "version") ? " (the version line must come first: were two files "
					    "concatenated?)"
					  : "");
}

int
kd_ldif_parse_trailer(const char *line, size_t len, size_t *ret_entries)
{
	const size_t plen = strlen(KD_LDIF_TRAILER_PREFIX), slen = strlen(KD_LDIF_TRAILER_SUFFIX);
	size_t digits = 0, n;

	if (len < plen || memcmp(line, KD_LDIF_TRAILER_PREFIX, plen) != 0)
		return 0;
	line += plen;
	len -= plen;
	while (digits < len && line[digits] >= '0' && line[digits] <= '9')
		digits++;
	/* one spelling of each count: the writer's */
	if (digits == 0 || (digits > 1 && line[0] == '0') || !kd_parse_size(line, digits, &n) ||
	    len - digits != slen || memcmp(line + digits, KD_LDIF_TRAILER_SUFFIX, slen) != 0)
		return KD_ERR_PARSE;
	*ret_entries = n;
	return 1;
}

/*
 * A comment may be kdeleg collect's header (before the first record) or its trailer
 * (after the last entry). Folded comments come with no text and are neither.
 */
static int
comment_line(struct kd_ldif *l, const char *line, size_t len, size_t lineno,
	     struct kd_error *err)
{
	const size_t hlen = strlen(KD_LDIF_KDELEG_HEADER);
	size_t n = 0;
	int r;

	const size_t plen = strlen(KD_LDIF_PLAN_PREFIX);

	if (!l->records && len >= hlen && memcmp(line, KD_LDIF_KDELEG_HEADER, hlen) == 0) {
		l->kdeleg = true;
		return 0;
	}
	/* the collection plan, in the header: a targeted snapshot is not every account */
	if (l->kdeleg && !l->records && len >= plen && memcmp(line, KD_LDIF_PLAN_PREFIX, plen) == 0) {
		static const char *const plans[] = {"targeted", "full"};

		for (size_t k = 0; k < sizeof(plans) / sizeof(plans[0]); k++)
			if (len - plen == strlen(plans[k]) &&
			    memcmp(line + plen, plans[k], len - plen) == 0)
				l->plan = plans[k];
		if (!l->plan)
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "unknown collection plan (expected '" KD_LDIF_PLAN_PREFIX
				    "targeted' or 'full')");
		return 0;
	}
	r = kd_ldif_parse_trailer(line, len, &n);
	if (r == 0)
		return 0;
	if (r < 0)
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "malformed kdeleg trailer (expected '" KD_LDIF_TRAILER_PREFIX
			    "N" KD_LDIF_TRAILER_SUFFIX "')");
	if (l->rec != REC_NONE)
		return fail(l, err, KD_ERR_PARSE, lineno,
			    "the kdeleg trailer comes inside the record begun at line %zu",
			    l->rec_line);
	l->trailer = true;
	l->trailer_entries = n;
	return 0;
}

/* At the end of the input: a kdeleg snapshot must have ended with a true trailer. */
static int
check_trailer(struct kd_ldif *l, struct kd_error *err)
{
	if (l->kdeleg && !l->trailer)
		return fail(l, err, KD_ERR_INCOMPLETE, l->line,
			    "the snapshot kdeleg collect wrote ends without its trailer ('"
			    KD_LDIF_TRAILER_PREFIX "N" KD_LDIF_TRAILER_SUFFIX "'): the collection "
			    "did not complete, or the file was cut");
	if (l->trailer && l->trailer_entries != l->entries)
		return fail(l, err, KD_ERR_INCOMPLETE, l->line,
			    "the trailer counts %zu entries, the snapshot has %zu: entries were "
			    "lost or added",
			    l->trailer_entries, l->entries);
	return 0;
}

static int
truncated(struct kd_ldif *l, struct kd_error *err)
{
	return fail(l, err, KD_ERR_INCOMPLETE, l->line,
		    "file ends inside the entry begun at line %zu without the empty line "
		    "that ends it: the snapshot looks truncated",
		    l->rec_line);
}

int
kd_ldif_next(struct kd_ldif *l, const struct kd_entry **ret_entry, struct kd_error *err)
{
	const char *line = NULL;
	size_t len = 0, lineno = 0;
	struct desc d;
	int r;

	if (l->status < 0) {
		if (err)
			*err = l->error;
		return l->status;
	}
	if (l->done) {
		*ret_entry = NULL;
		return 0;
	}
	entry_reset(l);
	for (;;) {
		r = next_line(l, &line, &len, &lineno, err);
		if (r < 0)
			return r;
		if (r == LINE_EOF) {
			if (l->rec == REC_ENTRY)
				return truncated(l, err);
			if (l->rec == REC_RESULT && !l->result_seen)
				return fail(l, err, KD_ERR_INCOMPLETE, l->line,
					    "file ends inside the search result begun at line "
					    "%zu: the snapshot looks truncated",
					    l->rec_line);
			r = check_trailer(l, err);
			if (r < 0)
				return r;
			l->rec = REC_NONE;
			l->done = true;
			*ret_entry = NULL;
			return 0;
		}
		if (l->trailer)
			return fail(l, err, KD_ERR_PARSE, lineno,
				    "the snapshot goes on after its kdeleg trailer: what follows "
				    "was not part of the collection (two snapshots concatenated?)");
		if (r == LINE_COMMENT) {
			r = comment_line(l, line, len, lineno, err);
			if (r < 0)
				return r;
			continue;
		}
		if (r == LINE_EMPTY) {
			enum record rec = l->rec;

			l->rec = REC_NONE;
			l->rec_bytes = 0;
			if (rec == REC_RESULT && !l->result_seen)
				return fail(l, err, KD_ERR_PARSE, l->rec_line,
					    "search result record begun at line %zu has no "
					    "'result:' line",
					    l->rec_line);
			if (rec != REC_ENTRY)
				continue;
			l->rec = REC_ENTRY; /* for messages */
			r = finish_entry(l, lineno, err);
			l->rec = REC_NONE;
			if (r < 0)
				return r;
			l->entries++;
			*ret_entry = &l->entry;
			return 0;
		}
		/* memory is bounded by the record, checked on the text as read */
		l->rec_bytes += len + 1;
		if (l->rec_bytes > ENTRY_MAX_BYTES)
			return fail(l, err, KD_ERR_NOMEM, lineno,
				    "entry longer than 64 MiB (begun at line %zu)", l->rec_line);
		/*
		 * An entry line that is the last of the input cannot be followed by the
		 * empty line that ends the entry: say so before looking at the line, which
		 * was likely cut (a base64 value cut at a fold is still a complete line).
		 */
		if (l->last && l->rec == REC_ENTRY)
			return truncated(l, err);
		r = parse_desc(l, line, len, lineno, &d, err);
		if (r < 0)
			return r;
		if (l->last && l->rec == REC_NONE && name_is(&d, "dn")) {
			l->rec = REC_ENTRY;
			l->rec_line = lineno;
			return truncated(l, err);
		}
		switch (l->rec) {
		case REC_NONE:
			l->rec_bytes = len + 1;
			r = start_record(l, &d, lineno, err);
			break;
		case REC_ENTRY:
			r = entry_attr(l, &d, lineno, err);
			if (r < 0)
				fail_attr(l, err, d.name);
			break;
		case REC_RESULT:
			if (name_is(&d, "result"))
				r = result_line(l, &d, lineno, err);
			else /* text:, matchedDN:, control:, pagedresults: ... */
				r = scratch_value(l, &d, lineno, err);
			break;
		case REC_REFERENCE:
			r = scratch_value(l, &d, lineno, err);
			break;
		}
		if (r < 0)
			return r;
	}
}

const char *
kd_ldif_plan(const struct kd_ldif *ldif)
{
	return ldif->plan;
}

size_t
kd_ldif_entries(const struct kd_ldif *ldif)
{
	return ldif->entries;
}

void
kd_ldif_free(struct kd_ldif *l)
{
	if (!l)
		return;
	free(l->source);
	free(l->wanted_names);
	free(l->wanted_off);
	free(l->wanted_len);
	free(l->wanted_tab);
	free(l->in);
	free(l->fold.p);
	free(l->name.p);
	free(l->scratch.p);
	free(l->data.p);
	free(l->attrs);
	free(l->pvals);
	free(l->etab);
	free(l->egen);
	free(l->chunks);
	free(l->rnames.p);
	free(l->kattrs);
	free(l->kvalues);
	free(l);
}

static int
set_wanted(struct kd_ldif *l, const char *const *names, struct kd_error *err)
{
	size_t n = 0, total = 0, size = 8, pos = 0;

	for (; names[n]; n++) {
		for (const char *c = names[n]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				return kd_error_set(err, KD_ERR_USAGE,
						    "wanted attribute '%s' is not lower case",
						    names[n]);
		total += strlen(names[n]) + 1;
	}
	while (size < n * 2)
		size *= 2;
	l->wanted_names = malloc(total ? total : 1);
	l->wanted_off = calloc(n ? n : 1, sizeof(*l->wanted_off));
	l->wanted_len = calloc(n ? n : 1, sizeof(*l->wanted_len));
	l->wanted_tab = calloc(size, sizeof(*l->wanted_tab));
	if (!l->wanted_names || !l->wanted_off || !l->wanted_len || !l->wanted_tab)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	l->wanted_mask = size - 1;
	for (size_t w = 0; w < n; w++) {
		size_t len = strlen(names[w]), i;

		memcpy(l->wanted_names + pos, names[w], len + 1);
		l->wanted_off[w] = pos;
		l->wanted_len[w] = len;
		pos += len + 1;
		for (i = name_hash(names[w], len) & l->wanted_mask; l->wanted_tab[i];
		     i = (i + 1) & l->wanted_mask)
			;
		l->wanted_tab[i] = (uint32_t)(w + 1);
	}
	l->nwanted = n;
	return 0;
}

int
kd_ldif_open(FILE *file, const char *source, const char *const *wanted_names,
	     struct kd_ldif **ret_ldif, struct kd_error *err)
{
	struct kd_ldif *l = NULL;
	int r;

	if (!file || !ret_ldif)
		return kd_error_set(err, KD_ERR_USAGE, "kd_ldif_open: no file");
	l = calloc(1, sizeof(*l));
	if (!l) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	l->file = file;
	l->source = strdup(source ? source : "<ldif>");
	l->in_cap = 2 * CHUNK;
	l->in = malloc(l->in_cap);
	if (!l->source || !l->in) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (wanted_names) {
		r = set_wanted(l, wanted_names, err);
		if (r < 0)
			goto out;
	}
	l->version_ok = true;
	*ret_ldif = l;
	l = NULL;
	r = 0;
out:
	kd_ldif_free(l);
	return r;
}
