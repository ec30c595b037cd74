/* SPDX-License-Identifier: MIT */
/*
 * CSV for spreadsheets (RFC 4180): every cell quoted, quotes doubled, CRLF rows.
 * Directory text is attacker-controlled, and a spreadsheet runs a cell that
 * starts with = + - @ (or a tab or CR before one) as a formula: such cells get a
 * leading apostrophe, which spreadsheets show as text. Control characters and
 * invalid UTF-8 are escaped as in the text report.
 */
#include "config.h"

#include <string.h>

#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define OUT_MAX ((size_t)1 << 30)

static const char *const columns[] = {
	"severity",   "severity_number", "rule",	"title",   "account",
	"kind",	      "enabled",	 "tier0",	"sid",	   "dn",
	"message",    "remediation",	 "attack",	"baseline", "fingerprint",
};

/*
 * Whether a spreadsheet could read @text as a formula: = + - @ (or a tab or CR) first,
 * also after blanks some imports trim, and their fullwidth forms (U+FF1D, U+FF0B,
 * U+FF0D, U+FF20) that some locales accept.
 */
static bool
formula_start(const char *text)
{
	const unsigned char *u = (const unsigned char *)text;

	for (;;) {
		if (u[0] == ' ')
			u++;
		else if (u[0] == 0xc2 && u[1] == 0xa0) /* NO-BREAK SPACE */
			u += 2;
		else
			break;
	}
	if (u[0] == '=' || u[0] == '+' || u[0] == '-' || u[0] == '@' || u[0] == '\t' ||
	    u[0] == '\r')
		return true;
	return u[0] == 0xef && u[1] == 0xbc &&
	       (u[2] == 0x9d || u[2] == 0x8b || u[2] == 0x8d || u[2] == 0xa0);
}

/* One quoted cell, then @sep. */
static int
cell(struct kd_strbuf *sb, const char *text, char sep)
{
	struct kd_strbuf safe;
	const char *s;
	int r;

	if (!text)
		text = "";
	kd_strbuf_init(&safe, OUT_MAX);
	r = kd_strbuf_append_safe(&safe, text, strlen(text));
	s = kd_strbuf_str(&safe);
	if (r == 0)
		r = kd_strbuf_putc(sb, '"');
	if (r == 0 && formula_start(text))
		r = kd_strbuf_putc(sb, '\'');
	for (; r == 0 && *s; s++)
		r = *s == '"' ? kd_strbuf_append(sb, "\"\"", 2) : kd_strbuf_putc(sb, *s);
	if (r == 0)
		r = kd_strbuf_putc(sb, '"');
	if (r == 0)
		r = sep == '\n' ? kd_strbuf_append(sb, "\r\n", 2) : kd_strbuf_putc(sb, sep);
	kd_strbuf_free(&safe);
	return r;
}

static int
row(struct kd_strbuf *sb, const struct kd_directory *dir, const struct kd_finding *f)
{
	const struct kd_principal *p = kd_directory_get(dir, f->principal);
	const struct kd_domain *d = kd_directory_domain(dir);
	char number[12], sid[KD_SID_STRING_MAX] = "", attack[96] = "";
	const char *mark = kd_report_mark_name(f->baseline);
	int r = 0;

	snprintf(number, sizeof(number), "%d", (int)f->severity + 1);
	/* the catalogue's ids, comma-separated as in earlier versions */
	for (size_t k = 0; k < KD_RULE_ATTACK_MAX && f->rule->attack[k]; k++) {
		size_t used = strlen(attack);

		snprintf(attack + used, sizeof(attack) - used, "%s%s", k ? "," : "",
			 f->rule->attack[k]);
	}
	if (p ? p->has_sid : d->has_sid) {
		struct kd_sid own = p ? kd_principal_sid(p) : d->sid;

		kd_sid_to_string(&own, sid, sizeof(sid));
	}
	{
		/* in the order of columns[] */
		const char *cells[] = {
			kd_severity_name(f->severity),
			number,
			f->rule->id,
			f->rule->title,
			p ? p->name : d->dns_name,
			p ? kd_kind_name(p->kind) : "domain",
			!p || p->enabled ? "true" : "false",
			!p || p->tier0 ? "true" : "false",
			sid,
			p ? p->dn : d->dn,
			f->message,
			f->remediation,
			attack,
			mark ? mark : "",
			f->fingerprint,
		};
		size_t n = sizeof(cells) / sizeof(*cells);

		for (size_t c = 0; r == 0 && c < n; c++)
			r = cell(sb, cells[c], c + 1 < n ? ',' : '\n');
	}
	return r;
}

int
kd_report_csv(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
	      const struct kd_report_meta *meta, struct kd_error *err)
{
	struct kd_strbuf sb;
	size_t ncolumns = sizeof(columns) / sizeof(*columns);
	int r = 0;

	(void)meta;
	kd_strbuf_init(&sb, OUT_MAX);
	for (size_t c = 0; r == 0 && c < ncolumns; c++)
		r = cell(&sb, columns[c], c + 1 < ncolumns ? ',' : '\n');
	for (size_t i = 0; r == 0 && i < findings->count; i++) {
		r = row(&sb, dir, &findings->items[i]);
		/* a write error sticks to @out: kd_report_finish() reports it */
		if (r == 0 && sb.len > (size_t)1 << 20) {
			fwrite(sb.data, 1, sb.len, out);
			kd_strbuf_reset(&sb);
		}
	}
	if (r < 0) {
		kd_strbuf_free(&sb);
		return kd_error_set(err, r, "out of memory while writing the report");
	}
	fwrite(sb.data ? sb.data : "", 1, sb.len, out);
	kd_strbuf_free(&sb);
	return kd_report_finish(out, err);
}
