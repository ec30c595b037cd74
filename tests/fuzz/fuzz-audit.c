/* SPDX-License-Identifier: MIT */
/* Fuzz target: the whole audit, LDIF text in, directory, findings and both reports out. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/ldif.h"
#include "kdeleg/report.h"

#include "testutil.h"

/* Renders one report into memory; only memory may make it fail. */
/*
 * The HTML report draws chains with Graphviz, which (with fontconfig) keeps plugin and
 * font tables for the process (tests/lsan.supp): LeakSanitizer's own hook, so that
 * libFuzzer and the replay need no LSAN_OPTIONS. kdeleg's own frees are still checked.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libfontconfig.so\n";
}

static void
render(const struct kd_directory *dir, const struct kd_findings *findings, int format)
{
	bool json = format == 1, html = format == 2;
	const struct kd_report_meta meta = {
		.source = "ldif:fuzz", .source_kind = "ldif", .color = !json};
	struct kd_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int r;

	if (!out)
		return;
	kd_error_clear(&err);
	r = json   ? kd_report_json(out, dir, findings, &meta, &err)
	    : html ? kd_report_html(out, dir, findings, &meta, &err)
		   : kd_report_text(out, dir, findings, &meta, &err);
	fclose(out);
	TU_CHECK(r == 0 || r == KD_ERR_NOMEM);
	if (r == 0 && !json) {
		/* Directory text never reaches the terminal raw: the only ESC bytes are
		 * our colours, and no other C0 control byte but '\n' appears. */
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			TU_CHECK(c >= 0x20 || c == '\n' || c == 0x1b);
			TU_CHECK(c != 0x7f);
		}
	}
	if (r == 0 && html) {
		/* the page has no script of its own: one would come from the data */
		for (size_t i = 0; i + 7 <= len; i++)
			TU_CHECK(strncasecmp(buf + i, "<script", 7) != 0);
		for (size_t i = 0; i < len; i++)
			TU_CHECK((unsigned char)buf[i] >= 0x20 || buf[i] == '\n' || buf[i] == '\t');
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_directory *dir = NULL;
	struct kd_ldif *ldif = NULL;
	struct kd_findings findings;
	struct kd_error err;
	FILE *in;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer on older glibc */
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	kd_error_clear(&err);
	if (kd_directory_new(&dir, &err) < 0)
		goto out;
	if (kd_ldif_open(in, "fuzz", kd_directory_attributes, &ldif, &err) < 0)
		goto out;
	for (;;) {
		const struct kd_entry *entry;

		kd_error_clear(&err);
		if (kd_ldif_next(ldif, &entry, &err) < 0) {
			TU_CHECK(err.code < 0);
			goto out; /* the first LDIF error ends the snapshot */
		}
		if (!entry)
			break;
		kd_error_clear(&err);
		if (kd_directory_add(dir, entry, &err) < 0) {
			TU_CHECK(err.code == KD_ERR_PARSE || err.code == KD_ERR_NOMEM);
			goto out;
		}
	}
	kd_error_clear(&err);
	if (kd_directory_finish(dir, &err) < 0)
		goto out;
	kd_error_clear(&err);
	if (kd_analyze(dir, &findings, &err) < 0) {
		TU_CHECK(err.code == KD_ERR_NOMEM);
		goto out;
	}
	{
		size_t total = 0;

		for (size_t i = 0; i < findings.count; i++) {
			TU_CHECK(findings.items[i].rule && findings.items[i].message &&
			      findings.items[i].remediation && findings.items[i].details);
			if (i)
				TU_CHECK(findings.items[i].severity <=
				      findings.items[i - 1].severity);
		}
		for (size_t s = 0; s < KD_SEV_COUNT; s++)
			total += findings.by_severity[s];
		TU_CHECK(total == findings.count);
	}
	render(dir, &findings, 0);
	render(dir, &findings, 1);
	/* one finding per configuration: fewer findings, same order, counts kept */
	{
		size_t before = findings.count, total = 0;

		if (kd_findings_fold(dir, &findings, &err) < 0) {
			TU_CHECK(err.code == KD_ERR_NOMEM);
			goto out;
		}
		TU_CHECK(findings.count <= before);
		for (size_t i = 1; i < findings.count; i++)
			TU_CHECK(findings.items[i].severity <= findings.items[i - 1].severity);
		for (size_t s = 0; s < KD_SEV_COUNT; s++)
			total += findings.by_severity[s];
		TU_CHECK(total == findings.count);
	}
	render(dir, &findings, 0);
	render(dir, &findings, 2);
	kd_findings_free(&findings);
out:
	kd_ldif_free(ldif);
	kd_directory_free(dir);
	fclose(in);
	return 0;
}
