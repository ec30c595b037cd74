/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page a busy admin hands upward. No script,
 * no font, no link out: inline CSS, and the chains as inline SVG when Graphviz is
 * built in. Every directory string is attacker-controlled: escaped for a terminal
 * first (controls, invalid UTF-8 and bidirectional controls become visible \x and
 * \u escapes), then for HTML; a Content-Security-Policy forbids scripts besides.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/accept.h"
#include "kdeleg/report-paths.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define OUT_MAX ((size_t)256 << 20)
#define TEXT_MAX ((size_t)16 << 20)

struct html {
	struct kd_strbuf sb;
	struct kd_strbuf tmp;  /* one string escaped for a terminal */
	struct kd_strbuf dump; /* one finding's details as JSON */
	int status;
};

static int
dump_tokens(const char *buffer, size_t size, void *data)
{
	return kd_strbuf_append(data, buffer, size);
}

/* Our own markup. */
static void
lit(struct html *h, const char *s)
{
	if (h->status == 0)
		h->status = kd_strbuf_puts(&h->sb, s);
}

/* Text for an element or an attribute value: directory data, any bytes. */
static void
esc(struct html *h, const char *s)
{
	if (h->status || !s)
		return;
	kd_strbuf_reset(&h->tmp);
	h->status = kd_strbuf_append_safe(&h->tmp, s, strlen(s));
	for (const char *p = kd_strbuf_str(&h->tmp); h->status == 0 && p && *p; p++) {
		switch (*p) {
		case '&':
			h->status = kd_strbuf_puts(&h->sb, "&amp;");
			break;
		case '<':
			h->status = kd_strbuf_puts(&h->sb, "&lt;");
			break;
		case '>':
			h->status = kd_strbuf_puts(&h->sb, "&gt;");
			break;
		case '"':
			h->status = kd_strbuf_puts(&h->sb, "&quot;");
			break;
		case '\'':
			h->status = kd_strbuf_puts(&h->sb, "&#39;");
			break;
		default:
			h->status = kd_strbuf_putc(&h->sb, *p);
			break;
		}
	}
}

static void
jesc(struct html *h, const json_t *value)
{
	esc(h, json_string_value(value));
}

static void
num(struct html *h, size_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%zu", n);
	lit(h, buf);
}

static const char style_sheet[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
	"max-width:70rem;padding:1rem 2rem;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #ddd}"
	"h3{margin:1.5rem 0 .3rem}h4{margin:.2rem 0}"
	"table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:left;"
	"border-bottom:1px solid #eee;vertical-align:top}"
	".meta{color:#555}.sev{font-weight:bold;text-transform:uppercase;font-size:.8rem;"
	"padding:.1rem .4rem;border-radius:.3rem;color:#fff}"
	".critical{background:#8b0000}.high{background:#d7301f}.medium{background:#e68a00}"
	".low{background:#2b6cb0}.info{background:#5a6b7b}"
	".boxes{display:flex;gap:.8rem;flex-wrap:wrap}.box{padding:.6rem 1rem;border-radius:.4rem;"
	"color:#fff;min-width:6rem}.box b{display:block;font-size:1.6rem}"
	"article{border:1px solid #ddd;border-left:5px solid #999;border-radius:.3rem;"
	"padding:.5rem .9rem;margin:.6rem 0}article.sev-critical{border-left-color:#8b0000}"
	"article.sev-high{border-left-color:#d7301f}article.sev-medium{border-left-color:#e68a00}"
	"article.sev-low{border-left-color:#2b6cb0}"
	"code,pre{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;background:#f5f5f5;"
	"white-space:pre-wrap;word-break:break-all}pre{padding:.5rem;overflow:auto}"
	".fix{background:#eef7ee;padding:.4rem;border-radius:.3rem}.id{color:#777;font-size:.8rem}"
	".also{color:#444}.rule-fix{background:#f4f4fb;padding:.4rem .8rem;border-radius:.3rem}"
	"svg{max-width:100%;height:auto}"
	"@media print{details{display:block}details>summary{display:none}}";

static void
account_label(struct html *h, const struct kd_directory *dir, uint32_t principal)
{
	const struct kd_principal *p = kd_directory_get(dir, principal);

	if (!p) {
		lit(h, "domain ");
		esc(h, kd_directory_domain(dir)->dns_name ? kd_directory_domain(dir)->dns_name
							  : "?");
		return;
	}
	esc(h, p->name);
	lit(h, " <span class=\"meta\">(");
	lit(h, kd_kind_name(p->kind));
	if (p->tier0)
		lit(h, ", tier 0");
	if (!p->enabled)
		lit(h, ", disabled");
	lit(h, ")</span>");
}

/* The delegation chains of a delegation-chain finding, drawn by Graphviz. */
static void
chains_svg(struct html *h, const json_t *details)
{
	json_t *doc;
	char *data = NULL;
	size_t len = 0;
	FILE *mem;
	struct kd_error ignored;
	const char *svg;

	if (!kd_report_svg_available() || !json_array_size(json_object_get(details, "chains")))
		return;
	doc = json_pack("{s:O}", "paths", json_object_get(details, "chains"));
	mem = doc ? open_memstream(&data, &len) : NULL;
	if (mem) {
		int r = kd_report_paths_svg(mem, doc, &ignored);

		if (fclose(mem) == 0 && r == 0 && data) {
			/* inline SVG starts at its element: no XML prologue or doctype */
			svg = strstr(data, "<svg");
			if (svg) {
				lit(h, "<figure>");
				lit(h, svg);
				lit(h, "</figure>\n");
			}
		}
	}
	/* a picture that cannot be drawn leaves the text, which says the same */
	free(data);
	json_decref(doc);
}

static void
also_list(struct html *h, const json_t *also)
{
	if (!json_array_size(also))
		return;
	lit(h, "<ul class=\"also\">");
	for (size_t i = 0; i < json_array_size(also); i++) {
		const json_t *a = json_array_get(also, i);

		lit(h, "<li>also <code>");
		jesc(h, json_object_get(a, "rule"));
		lit(h, "</code>: ");
		jesc(h, json_object_get(a, "message"));
		lit(h, "</li>");
	}
	lit(h, "</ul>\n");
}

static void
finding(struct html *h, const struct kd_directory *dir, const struct kd_finding *f)
{
	bool dumped;

	kd_strbuf_reset(&h->dump);
	/* ASCII: a bidirectional control in the data shows as \u202e, never acts */
	dumped = json_dump_callback(f->details, dump_tokens, &h->dump,
				    JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) == 0;
	lit(h, "<article class=\"finding sev-");
	lit(h, kd_severity_name(f->severity));
	lit(h, "\"><h4>");
	account_label(h, dir, f->principal);
	lit(h, " <span class=\"meta\">&middot; <code>");
	lit(h, f->rule->id);
	lit(h, "</code></span>");
	if (f->baseline == KD_MARK_NEW)
		lit(h, " <b>new</b>");
	lit(h, "</h4>\n<p>");
	esc(h, f->message);
	lit(h, "</p>\n");
	also_list(h, json_object_get(f->details, "also"));
	if (f->acceptance) {
		lit(h, "<p><b>Accepted</b> until ");
		lit(h, f->acceptance->expires);
		lit(h, " by ");
		esc(h, f->acceptance->by);
		lit(h, ": ");
		esc(h, f->acceptance->reason);
		lit(h, "</p>\n");
	}
	lit(h, "<p class=\"fix\">Fix: <code>");
	esc(h, f->remediation);
	lit(h, "</code></p>\n");
	if (strcmp(f->rule->id, "delegation-chain") == 0)
		chains_svg(h, f->details);
	for (size_t i = 0; i < json_array_size(json_object_get(f->details, "also")); i++) {
		const json_t *a = json_array_get(json_object_get(f->details, "also"), i);
		const char *rule = json_string_value(json_object_get(a, "rule"));

		if (rule && strcmp(rule, "delegation-chain") == 0)
			chains_svg(h, json_object_get(a, "details"));
	}
	lit(h, "<details><summary>Evidence</summary><pre>");
	esc(h, dumped ? kd_strbuf_str(&h->dump) : "(out of memory)");
	lit(h, "</pre></details>\n<p class=\"id\">fingerprint ");
	lit(h, f->fingerprint);
	lit(h, "</p></article>\n");
}

static void
summary(struct html *h, const struct kd_directory *dir, const struct kd_findings *findings,
	const struct kd_report_meta *meta)
{
	struct kd_rule_group groups[KD_RULE_GROUPS_MAX];
	size_t ngroups = kd_report_rule_groups(findings, groups);
	const char *gaps[KD_GAPS_MAX];
	size_t ngaps = kd_analyze_gaps(dir, gaps, KD_GAPS_MAX);
	struct kd_directory_counts c;

	kd_directory_counts(dir, &c);
	lit(h, "<section id=\"summary\"><h2>Summary</h2>\n<div class=\"boxes\">");
	for (int s = KD_SEV_CRITICAL; s >= KD_SEV_INFO; s--) {
		lit(h, "<div class=\"box ");
		lit(h, kd_severity_name((enum kd_severity)s));
		lit(h, "\"><b>");
		num(h, findings->by_severity[s]);
		lit(h, "</b>");
		lit(h, kd_severity_name((enum kd_severity)s));
		lit(h, "</div>");
	}
	lit(h, "</div>\n<p>");
	num(h, c.users);
	lit(h, " users, ");
	num(h, c.computers);
	lit(h, " computers, ");
	num(h, c.dcs);
	lit(h, " domain controllers, ");
	num(h, c.service_accounts);
	lit(h, " service accounts, ");
	num(h, c.groups);
	lit(h, " groups read.");
	if (meta->accepted) {
		lit(h, " ");
		num(h, meta->accepted->count);
		lit(h, " accepted risks are listed apart and do not count.");
	}
	if (meta->min_severity) {
		lit(h, " Findings below ");
		lit(h, meta->min_severity);
		lit(h, " are not shown (");
		num(h, meta->hidden);
		lit(h, ").");
	}
	if (meta->rules)
		lit(h, " Only the rules chosen with --rule are shown.");
	lit(h, "</p>\n");
	if (ngaps) {
		lit(h, "<p><b>Not evaluated</b> (the data was not in the snapshot):</p><ul>");
		for (size_t k = 0; k < ngaps; k++) {
			lit(h, "<li>");
			esc(h, gaps[k]);
			lit(h, "</li>");
		}
		lit(h, "</ul>\n");
	}
	if (!ngroups) {
		lit(h, "<p>No findings.</p></section>\n");
		return;
	}
	lit(h, "<h2>Fix these first</h2>\n<table><tr><th>severity</th><th>findings</th>"
	       "<th>rule</th><th>exposes</th></tr>\n");
	for (size_t i = 0; i < ngroups; i++) {
		const char *level = kd_severity_name(groups[i].severity);

		lit(h, "<tr><td><span class=\"sev ");
		lit(h, level);
		lit(h, "\">");
		lit(h, level);
		lit(h, "</span></td><td>");
		num(h, groups[i].count);
		lit(h, "</td><td><a href=\"#rule-");
		lit(h, groups[i].rule->id);
		lit(h, "\"><code>");
		lit(h, groups[i].rule->id);
		lit(h, "</code></a></td><td>");
		lit(h, kd_report_rule_exposes(groups[i].rule));
		lit(h, "</td></tr>\n");
	}
	lit(h, "</table></section>\n");
}

/* One severity's findings, a sub-section per rule with the rule's own fix. */
static void
findings_section(struct html *h, const struct kd_directory *dir,
		 const struct kd_findings *findings, const char *title, const char *id)
{
	int severity = -1;
	const struct kd_rule *rule = NULL, *all;
	bool seen[KD_RULE_COUNT] = {false};

	kd_rules(&all);

	lit(h, "<section id=\"");
	lit(h, id);
	lit(h, "\"><h2>");
	lit(h, title);
	lit(h, "</h2>\n");
	for (size_t i = 0; i < findings->count && h->status == 0; i++) {
		const struct kd_finding *f = &findings->items[i];
		const char *level = kd_severity_name(f->severity);

		if ((int)f->severity != severity) {
			severity = (int)f->severity;
			rule = NULL;
			lit(h, "<h3><span class=\"sev ");
			lit(h, level);
			lit(h, "\">");
			lit(h, level);
			lit(h, "</span> ");
			num(h, findings->by_severity[f->severity]);
			lit(h, " finding(s)</h3>\n");
		}
		if (f->rule != rule) {
			rule = f->rule;
			lit(h, "<h3");
			if (!seen[f->rule - all]) { /* "fix these first" links the first */
				seen[f->rule - all] = true;
				lit(h, " id=\"");
				lit(h, strcmp(id, "findings") == 0 ? "rule" : id);
				lit(h, "-");
				lit(h, rule->id);
				lit(h, "\"");
			}
			lit(h, "><code>");
			lit(h, rule->id);
			lit(h, "</code> &mdash; ");
			esc(h, rule->title);
			lit(h, "</h3>\n<p>");
			esc(h, rule->why);
			lit(h, "</p>\n<p class=\"rule-fix\"><b>How to fix:</b> ");
			esc(h, rule->fix);
			lit(h, "</p>\n");
		}
		finding(h, dir, f);
	}
	if (!findings->count)
		lit(h, "<p>None.</p>\n");
	lit(h, "</section>\n");
}

static void
resolved_section(struct html *h, const json_t *resolved)
{
	lit(h, "<section id=\"resolved\"><h2>Resolved since the baseline</h2>\n<table>");
	for (size_t i = 0; i < json_array_size(resolved); i++) {
		const json_t *f = json_array_get(resolved, i);

		lit(h, "<tr><td>");
		jesc(h, json_object_get(f, "severity"));
		lit(h, "</td><td><code>");
		jesc(h, json_object_get(f, "rule"));
		lit(h, "</code></td><td>");
		jesc(h, json_object_get(json_object_get(f, "account"), "name"));
		lit(h, "</td><td>");
		jesc(h, json_object_get(f, "message"));
		lit(h, "</td></tr>\n");
	}
	lit(h, "</table></section>\n");
}

int
kd_report_html(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
	       const struct kd_report_meta *meta, struct kd_error *err)
{
	const struct kd_domain *d = kd_directory_domain(dir);
	struct html h = {0};
	char when[32], sid[KD_SID_STRING_MAX];
	const char *domain = d->dns_name ? d->dns_name : "(unknown domain)";

	kd_strbuf_init(&h.sb, OUT_MAX);
	kd_strbuf_init(&h.tmp, TEXT_MAX);
	kd_strbuf_init(&h.dump, TEXT_MAX);
	kd_report_timestamp(when, sizeof(when));
	lit(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>kdeleg audit of ");
	esc(&h, domain);
	lit(&h, "</title>\n<style>");
	lit(&h, style_sheet);
	lit(&h, "</style></head>\n<body>\n<header><h1>Kerberos delegation audit of ");
	esc(&h, domain);
	lit(&h, "</h1>\n<p class=\"meta\">");
	esc(&h, d->dn ? d->dn : "(no domain object in the snapshot)");
	if (d->has_sid) {
		lit(&h, " &middot; ");
		lit(&h, kd_sid_to_string(&d->sid, sid, sizeof(sid)));
	}
	lit(&h, "<br>source: ");
	lit(&h, meta->source_kind ? meta->source_kind : "?");
	lit(&h, " ");
	esc(&h, meta->source);
	lit(&h, " &middot; generated ");
	lit(&h, when);
	lit(&h, " by kdeleg " KD_VERSION);
	if (meta->baseline) {
		lit(&h, " &middot; baseline ");
		esc(&h, meta->baseline);
	}
	lit(&h, "</p></header>\n");
	summary(&h, dir, findings, meta);
	findings_section(&h, dir, findings, "Findings", "findings");
	if (meta->accepted)
		findings_section(&h, dir, meta->accepted, "Accepted risks (not counted)",
				 "accepted");
	if (json_array_size(meta->resolved))
		resolved_section(&h, meta->resolved);
	lit(&h, "<footer class=\"meta\"><p>Each finding's fix is a command to review, not to "
		"paste blindly. Rules: <code>kdeleg rules</code>.</p></footer>\n</body></html>\n");
	kd_strbuf_free(&h.tmp);
	kd_strbuf_free(&h.dump);
	if (h.status < 0) {
		kd_strbuf_free(&h.sb);
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory while writing the report");
	}
	errno = 0;
	if ((h.sb.len && fwrite(h.sb.data, 1, h.sb.len, out) != h.sb.len) || fflush(out) != 0 ||
	    ferror(out)) {
		kd_strbuf_free(&h.sb);
		return kd_error_set(err, KD_ERR_IO, "writing the report failed: %s",
				    errno ? strerror(errno) : "write error");
	}
	kd_strbuf_free(&h.sb);
	return 0;
}
