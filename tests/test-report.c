/* SPDX-License-Identifier: MIT */
/* Unit tests for the text and JSON reports: document shape, hostile strings, write errors. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/ldif.h"
#include "kdeleg/report.h"
#include "kdeleg/strbuf.h"
#define TU_LDIF_FIXTURES
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static const char *
jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	ck_assert_msg(s != NULL, "no string '%s'", key);
	return s;
}

/* ---- rendering into memory ---- */

struct rendered {
	char *data;
	size_t len;
	int r;
	struct kd_error err;
};

static void
render(const struct tu_audit *a, bool json, bool color, struct rendered *out)
{
	const struct kd_report_meta meta = {
		.source = "ldif:test.ldif", .source_kind = "ldif", .color = color};
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = open_memstream(&out->data, &out->len);
	ck_assert_ptr_nonnull(f);
	kd_error_clear(&out->err);
	out->r = json ? kd_report_json(f, a->dir, &a->findings, &meta, &out->err)
		      : kd_report_text(f, a->dir, &a->findings, &meta, &out->err);
	ck_assert_int_eq(fclose(f), 0);
}

static json_t *
render_json(const struct tu_audit *a)
{
	struct rendered out;
	json_error_t jerr;
	json_t *doc;

	render(a, true, false, &out);
	ck_assert_int_eq(out.r, 0);
	doc = json_loadb(out.data, out.len, 0, &jerr);
	ck_assert_msg(doc != NULL, "invalid JSON at line %d: %s", jerr.line, jerr.text);
	free(out.data);
	return doc;
}

static void
audit_file(struct tu_audit *a, const char *relative)
{
	char *text = tu_read_data_text(relative);

	tu_audit_run(a, text);
	free(text);
}

/* ---- JSON ---- */

static const char *const finding_keys[] = {"rule",        "severity", "title",
					   "account",     "message",  "details",
					   "remediation", "attack"};

START_TEST(test_json_shape)
{
	struct tu_audit a;
	json_t *doc, *findings, *counts, *summary, *domain;
	json_int_t total = 0;

	audit_file(&a, "audit/lab.ldif");
	doc = render_json(&a);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "schema_version")),
			 KD_JSON_SCHEMA_VERSION);
	ck_assert_str_eq(jstr(json_object_get(doc, "tool"), "name"), "kdeleg");
	ck_assert_str_eq(jstr(json_object_get(doc, "tool"), "version"), KD_VERSION);
	ck_assert_uint_eq(strlen(jstr(doc, "generated_at")), 20);
	ck_assert_str_eq(jstr(json_object_get(doc, "source"), "kind"), "ldif");
	ck_assert_str_eq(jstr(json_object_get(doc, "source"), "name"), "ldif:test.ldif");
	ck_assert(json_is_true(json_object_get(doc, "complete")));

	domain = json_object_get(doc, "domain");
	ck_assert_str_eq(jstr(domain, "dns_name"), "corp.example");
	ck_assert_str_eq(jstr(domain, "sid"), "S-1-5-21-3623811015-3361044348-30300820");
	ck_assert_str_eq(jstr(domain, "naming_context"), "DC=corp,DC=example");
	ck_assert_int_eq(json_integer_value(json_object_get(domain, "functional_level")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(domain, "machine_account_quota")), 10);
	ck_assert_str_eq(jstr(domain, "spn_mappings"), "snapshot");

	counts = json_object_get(doc, "counts");
	ck_assert_int_eq(json_integer_value(json_object_get(counts, "findings")),
			 (json_int_t)a.findings.count);
	ck_assert_int_eq(json_integer_value(json_object_get(counts, "domain_controllers")), 2);
	ck_assert(json_is_integer(json_object_get(counts, "entries")));
	ck_assert(json_is_integer(json_object_get(counts, "users")));
	ck_assert(json_is_integer(json_object_get(counts, "groups")));

	summary = json_object_get(doc, "summary");
	for (int s = KD_SEV_INFO; s <= KD_SEV_CRITICAL; s++) {
		json_t *v = json_object_get(summary, kd_severity_name((enum kd_severity)s));

		ck_assert(json_is_integer(v));
		ck_assert_int_eq(json_integer_value(v), (json_int_t)a.findings.by_severity[s]);
		total += json_integer_value(v);
	}
	ck_assert_int_eq(total, (json_int_t)a.findings.count);

	findings = json_object_get(doc, "findings");
	ck_assert_uint_eq(json_array_size(findings), a.findings.count);
	for (size_t i = 0; i < json_array_size(findings); i++) {
		json_t *f = json_array_get(findings, i), *acct = json_object_get(f, "account");
		const struct kd_finding *want = &a.findings.items[i];

		for (size_t k = 0; k < ARRAY_LEN(finding_keys); k++)
			ck_assert_msg(json_object_get(f, finding_keys[k]) != NULL,
				      "finding %zu lacks %s", i, finding_keys[k]);
		ck_assert_str_eq(jstr(f, "rule"), want->rule->id);
		ck_assert_str_eq(jstr(f, "severity"), kd_severity_name(want->severity));
		ck_assert_str_eq(jstr(f, "title"), want->rule->title);
		ck_assert_str_eq(jstr(f, "message"), want->message);
		ck_assert_str_eq(jstr(f, "remediation"), want->remediation);
		ck_assert(json_equal(json_object_get(f, "details"), want->details));
		ck_assert(json_is_array(json_object_get(f, "attack")));
		/* one id per entry of the catalogue, in its order */
		for (size_t k = 0; k <= KD_RULE_ATTACK_MAX; k++) {
			json_t *id = json_array_get(json_object_get(f, "attack"), k);

			if (k == KD_RULE_ATTACK_MAX || !want->rule->attack[k]) {
				ck_assert_ptr_null(id);
				break;
			}
			ck_assert_str_eq(json_string_value(id), want->rule->attack[k]);
		}
		ck_assert(json_is_string(json_object_get(acct, "name")));
		ck_assert(json_is_string(json_object_get(acct, "dn")));
		ck_assert(json_is_string(json_object_get(acct, "sid")));
		ck_assert(json_is_string(json_object_get(acct, "kind")));
		ck_assert(json_is_boolean(json_object_get(acct, "enabled")));
	}
	/* the first finding, spelled out */
	ck_assert_str_eq(jstr(json_array_get(findings, 0), "rule"), "unconstrained-delegation");
	ck_assert_str_eq(jstr(json_object_get(json_array_get(findings, 0), "account"), "name"),
			 "svc_iis");
	ck_assert_str_eq(jstr(json_object_get(json_array_get(findings, 0), "account"), "kind"),
			 "user");
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(json_array_get(findings, 0), "attack"), 0)),
			 "T1558");
	json_decref(doc);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_json_empty)
{
	struct tu_audit a;
	json_t *doc;

	tu_audit_run(&a, BASE_LDIF);
	doc = render_json(&a);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "findings")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "summary"),
							    "critical")),
			 0);
	ck_assert_str_eq(jstr(json_object_get(doc, "domain"), "spn_mappings"), "default");
	json_decref(doc);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_json_no_domain_object)
{
	struct tu_audit a;
	json_t *doc, *domain;

	tu_audit_run(&a, USER("svc", "1101", U_UNCONSTRAINED) END);
	doc = render_json(&a);
	domain = json_object_get(doc, "domain");
	ck_assert(json_is_null(json_object_get(domain, "naming_context")));
	ck_assert(json_is_null(json_object_get(domain, "functional_level")));
	ck_assert(json_is_null(json_object_get(domain, "machine_account_quota")));
	ck_assert_str_eq(jstr(domain, "sid"), DOMSID);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "findings")), 1);
	json_decref(doc);
	tu_audit_free(&a);
}
END_TEST

/* ---- hostile directory strings ---- */

/* ESC colour, BEL, CR, a newline that fakes a report line, C1 CSI, invalid UTF-8, DEL.
 * The LDIF reader refuses a DN that is not UTF-8, so only the name carries \xff. */
static const char hostile_name[] =
	"evil\x1b[31mRED\x07\rX\nFAKE LINE\xc2\x9b" "2J\xff\xfeZ\x7f";
static const char hostile_dn[] =
	"CN=evil\x1b]0;title\x07\nFAKE DN\xc2\x9b,CN=Users,DC=corp,DC=example";

static char *
hostile_ldif(void)
{
	char *name = tu_base64((const uint8_t *)hostile_name, strlen(hostile_name));
	char *dn = tu_base64((const uint8_t *)hostile_dn, strlen(hostile_dn));
	char *spn_b64 = tu_base64((const uint8_t *)"HTTP/x\x1b[2J.corp.example", 23);
	/* unconstrained + protocol transition, a target that is nowhere, a bad SPN */
	char *text = tu_xprintf("%sdn:: %s\nobjectClass: user\nsAMAccountName:: %s\n"
			     "objectSid: " DOMSID "-1101\nuserAccountControl: 17301504\n"
			     "msDS-AllowedToDelegateTo:: %s\nservicePrincipalName:: %s\n\n",
			     BASE_LDIF, dn, name, spn_b64, spn_b64);

	free(name);
	free(dn);
	free(spn_b64);
	return text;
}

START_TEST(test_text_escapes_hostile_strings)
{
	char *text = hostile_ldif();
	struct tu_audit a;
	struct rendered out;
	size_t lines = 0;

	tu_audit_run(&a, text);
	ck_assert_uint_ge(tu_count_findings(&a, "unconstrained-delegation", NULL), 1);
	ck_assert_uint_ge(tu_count_findings(&a, "protocol-transition", NULL), 1);
	render(&a, false, false, &out);
	ck_assert_int_eq(out.r, 0);
	ck_assert_uint_eq(strlen(out.data), out.len);
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		ck_assert_msg(c >= 0x20 || c == '\n', "raw control byte 0x%02x at %zu", c, i);
		ck_assert_msg(c != 0x7f, "raw DEL at %zu", i);
		lines += c == '\n';
	}
	ck_assert_msg(kd_utf8_valid(out.data, out.len), "text report is not valid UTF-8");
	ck_assert_ptr_null(strstr(out.data, "\xc2\x9b"));
	/* the newline inside the name is escaped, never a real line break */
	ck_assert_ptr_null(strstr(out.data, "\nFAKE LINE"));
	ck_assert_ptr_null(strstr(out.data, "\nFAKE DN"));
	ck_assert_ptr_nonnull(strstr(out.data, "X\\nFAKE LINE"));
	ck_assert_ptr_nonnull(strstr(out.data, "\\nFAKE DN"));
	ck_assert_uint_gt(lines, 5);
	free(out.data);
	tu_audit_free(&a);
	free(text);
}
END_TEST

START_TEST(test_text_color_only_ours)
{
	char *text = hostile_ldif();
	struct tu_audit a;
	struct rendered out;

	tu_audit_run(&a, text);
	render(&a, false, true, &out);
	ck_assert_int_eq(out.r, 0);
	/* colours are on, yet the name's ESC[31m still arrives escaped */
	ck_assert_ptr_nonnull(strstr(out.data, "\033[0m"));
	ck_assert_ptr_null(strstr(out.data, "evil\033"));
	ck_assert_ptr_null(strstr(out.data, "\033]0;"));
	ck_assert_ptr_null(strstr(out.data, "\a"));
	free(out.data);
	tu_audit_free(&a);
	free(text);
}
END_TEST

START_TEST(test_json_hostile_strings)
{
	char *text = hostile_ldif();
	struct tu_audit a;
	json_t *doc, *findings;
	struct rendered out;

	tu_audit_run(&a, text);
	render(&a, true, false, &out);
	ck_assert_int_eq(out.r, 0);
	/* jansson escapes control characters; invalid UTF-8 must not reach the output */
	ck_assert_msg(kd_utf8_valid(out.data, out.len), "JSON report is not valid UTF-8");
	for (size_t i = 0; i < out.len; i++)
		ck_assert_msg((unsigned char)out.data[i] >= 0x20 || out.data[i] == '\n' ||
				      out.data[i] == ' ',
			      "raw control byte 0x%02x at %zu", (unsigned char)out.data[i], i);
	doc = json_loadb(out.data, out.len, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	findings = json_object_get(doc, "findings");
	ck_assert_uint_ge(json_array_size(findings), 2);
	for (size_t i = 0; i < json_array_size(findings); i++) {
		json_t *acct = json_object_get(json_array_get(findings, i), "account");
		const char *name = json_string_value(json_object_get(acct, "name"));
		const char *dn = json_string_value(json_object_get(acct, "dn"));

		if (strcmp(jstr(acct, "sid"), DOMSID "-1101") != 0)
			continue;
		ck_assert_ptr_nonnull(name);
		ck_assert_ptr_nonnull(dn);
		/* the valid prefix survives; the name is not blanked to null */
		ck_assert_int_eq(strncmp(name, "evil", 4), 0);
		ck_assert_ptr_nonnull(strstr(name, "FAKE LINE"));
		ck_assert_int_eq(strncmp(dn, "CN=evil", 7), 0);
	}
	json_decref(doc);
	free(out.data);
	tu_audit_free(&a);
	free(text);
}
END_TEST

/* ---- write errors ---- */

START_TEST(test_full_device)
{
	const struct kd_report_meta meta = {.source = "ldif:lab", .source_kind = "ldif"};
	struct tu_audit a;
	struct kd_error err;
	FILE *f;

	audit_file(&a, "audit/lab.ldif");
	f = fopen("/dev/full", "w");
	if (!f) {
		tu_audit_free(&a);
		return; /* no /dev/full here: nothing to test */
	}
	kd_error_clear(&err);
	ck_assert_int_eq(kd_report_text(f, a.dir, &a.findings, &meta, &err), KD_ERR_IO);
	ck_assert_int_eq(err.code, KD_ERR_IO);
	fclose(f);

	f = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_report_json(f, a.dir, &a.findings, &meta, &err), KD_ERR_IO);
	ck_assert_int_eq(err.code, KD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "writing the report failed"));
	fclose(f);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_full_device_unbuffered)
{
	const struct kd_report_meta meta = {.source = "ldif:lab", .source_kind = "ldif"};
	struct tu_audit a;
	struct kd_error err;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		return;
	/* every write fails at once, not at the final flush */
	setvbuf(f, NULL, _IONBF, 0);
	audit_file(&a, "audit/lab.ldif");
	kd_error_clear(&err);
	ck_assert_int_eq(kd_report_text(f, a.dir, &a.findings, &meta, &err), KD_ERR_IO);
	clearerr(f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_report_json(f, a.dir, &a.findings, &meta, &err), KD_ERR_IO);
	fclose(f);
	tu_audit_free(&a);
}
END_TEST

/* ---- the text layout ---- */

START_TEST(test_text_layout)
{
	struct tu_audit a;
	struct rendered out;

	audit_file(&a, "audit/lab.ldif");
	render(&a, false, false, &out);
	ck_assert_int_eq(out.r, 0);
	ck_assert_ptr_null(memchr(out.data, '\033', out.len));
	ck_assert_int_eq(strncmp(out.data, "kdeleg ", 7), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "corp.example"));
	ck_assert_ptr_nonnull(strstr(out.data, "\nCRITICAL (7)\n"));
	/* the empty-DACL RBCD on TEST01$ and old.admin's stale adminCount */
	ck_assert_ptr_nonnull(strstr(out.data, "\nINFO (2)\n"));
	/* severities in order */
	ck_assert(strstr(out.data, "\nCRITICAL (") < strstr(out.data, "\nHIGH ("));
	ck_assert(strstr(out.data, "\nHIGH (") < strstr(out.data, "\nMEDIUM ("));
	ck_assert(strstr(out.data, "\nMEDIUM (") < strstr(out.data, "\nLOW ("));
	ck_assert(strstr(out.data, "\nLOW (") < strstr(out.data, "\nINFO ("));
	ck_assert_ptr_nonnull(strstr(out.data, "unconstrained-delegation"));
	ck_assert_ptr_nonnull(strstr(out.data, "svc_iis"));
	free(out.data);
	tu_audit_free(&a);
}
END_TEST

START_TEST(test_text_no_findings)
{
	struct tu_audit a;
	struct rendered out;

	tu_audit_run(&a, BASE_LDIF);
	render(&a, false, false, &out);
	ck_assert_int_eq(out.r, 0);
	ck_assert_ptr_nonnull(strstr(out.data, "findings: none\n"));
	free(out.data);
	tu_audit_free(&a);
}
END_TEST

Suite *kd_report_suite(void);

Suite *
kd_report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_shape);
	tcase_add_test(tc, test_json_empty);
	tcase_add_test(tc, test_json_no_domain_object);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_text_layout);
	tcase_add_test(tc, test_text_no_findings);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile-strings");
	tcase_add_test(tc, test_text_escapes_hostile_strings);
	tcase_add_test(tc, test_text_color_only_ours);
	tcase_add_test(tc, test_json_hostile_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("write-errors");
	tcase_add_test(tc, test_full_device);
	tcase_add_test(tc, test_full_device_unbuffered);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
