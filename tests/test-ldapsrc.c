/* SPDX-License-Identifier: MIT */
/* Tests for the LDAP source's pure parts (descriptions, ranges), its refusals, the password. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdeleg/ldapsrc.h"
#include "kdeleg/password.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- attribute descriptions ---- */

static const struct desc_case {
	const char *text;
	size_t name_len;
	bool ranged;
	size_t lo;
	size_t hi;
	bool open;
} desc_cases[] = {
	{"member", 6, false, 0, 0, false},
	{"member;range=0-1499", 6, true, 0, 1499, false},
	{"member;range=1500-*", 6, true, 1500, 0, true},
	{"member;range=0-*", 6, true, 0, 0, true},
	{"member;range=7-7", 6, true, 7, 7, false},
	{"Member;Range=0-1", 6, true, 0, 1, false},
	{"member;RANGE=3-*;binary", 6, true, 3, 0, true},
	{"userCertificate;binary", 15, false, 0, 0, false},
	{"description;lang-en;x-1", 11, false, 0, 0, false},
	{"msDS-AllowedToActOnBehalfOfOtherIdentity", 40, false, 0, 0, false},
	{"1.2.840.113556.1.4.8", 20, false, 0, 0, false},
	{"1.2.840.113556.1.4.8;range=0-*", 20, true, 0, 0, true},
	{"a", 1, false, 0, 0, false},
	{"x;range=18446744073709551614-*", 1, true, 18446744073709551614u, 0, true},
	{"x;range=0-18446744073709551614", 1, true, 0, 18446744073709551614u, false},
	{"x;rangex", 1, false, 0, 0, false}, /* an ordinary option */
	{"x;range", 1, false, 0, 0, false},  /* also: no '=' */
};

START_TEST(test_desc)
{
	const struct desc_case *c = &desc_cases[_i];
	struct kd_ldap_desc d;
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_msg(kd_ldap_parse_desc(c->text, strlen(c->text), &d, &err) == 0, "%s: %s",
		      c->text, err.message);
	ck_assert_uint_eq(d.name_len, c->name_len);
	ck_assert_int_eq(d.ranged, c->ranged);
	if (c->ranged) {
		ck_assert_uint_eq(d.range_lo, c->lo);
		ck_assert_int_eq(d.range_open, c->open);
		if (!c->open)
			ck_assert_uint_eq(d.range_hi, c->hi);
	}
}
END_TEST

static const struct bad_desc {
	const char *text;
	size_t offset;
	const char *message;
} bad_descs[] = {
	{"", 0, "empty"},
	{";range=0-1", 0, "does not begin"},
	{"-x", 0, "does not begin"},
	{"member;", 7, "empty option"},
	{"member;;binary", 7, "empty option"},
	{"mem ber", 3, "unexpected character 0x20"},
	{"member:", 6, "unexpected character 0x3a"},
	{"member;bin ary", 10, "option has characters"},
	{"member;range=", 12, "option has characters"}, /* no bounds: an ordinary option */
	{"member;range=-1", 13, "low bound"},
	{"member;range=1", 13, "without '-'"},
	{"member;range=a-1", 13, "low bound"},
	{"member;range=1-", 15, "high bound"},
	{"member;range=1-*x", 15, "high bound"},
	{"member;range=1-**", 15, "high bound"},
	{"member;range=5-4", 15, "below low"},
	{"member;range=+1-2", 13, "low bound"},
	{"member;range= 1-2", 13, "low bound"},
	{"member;range=0-1;range=2-*", 17, "two range"},
	{"x;range=18446744073709551615-*", 8, "low bound"}, /* SIZE_MAX itself */
	{"x;range=0-18446744073709551615", 10, "high bound"},
	{"x;range=99999999999999999999-*", 8, "low bound"},
	{"1..2", 2, "numeric OID"},
	{"1.", 1, "numeric OID"},
	{"1.2x", 3, "unexpected character"},
	{"\xff", 0, "does not begin"},
};

START_TEST(test_bad_desc)
{
	const struct bad_desc *c = &bad_descs[_i];
	struct kd_ldap_desc d = {.name_len = 77, .range_lo = 77};
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_parse_desc(c->text, strlen(c->text), &d, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_msg(err.offset == c->offset, "'%s': offset %zu, expected %zu (%s)", c->text,
		      err.offset, c->offset, err.message);
	ck_assert_msg(strstr(err.message, c->message), "'%s': %s", c->text, err.message);
	/* untouched on failure */
	ck_assert_uint_eq(d.name_len, 77);
	ck_assert_uint_eq(d.range_lo, 77);
}
END_TEST

/* The length bounds the parse: bytes after it are never read. */
START_TEST(test_desc_length)
{
	struct kd_ldap_desc d;

	ck_assert_int_eq(kd_ldap_parse_desc("member;range=0-1499", 6, &d, NULL), 0);
	ck_assert_uint_eq(d.name_len, 6);
	ck_assert(!d.ranged);
	ck_assert_int_eq(kd_ldap_parse_desc("member;range=0-14", 17, &d, NULL), 0);
	ck_assert_uint_eq(d.range_hi, 14);
	ck_assert_int_eq(kd_ldap_parse_desc("member;range=0-1\0-*", 19, &d, NULL), KD_ERR_PARSE);
}
END_TEST

/* ---- range requests ---- */

START_TEST(test_range_request)
{
	char buf[64];
	struct kd_ldap_desc d;

	ck_assert_uint_eq(kd_ldap_range_request(buf, sizeof(buf), "member", 6, 1500, 0), 19);
	ck_assert_str_eq(buf, "member;range=1500-*");
	ck_assert_uint_eq(kd_ldap_range_request(buf, sizeof(buf), "memberXYZ", 6, 0, 2), 16);
	ck_assert_str_eq(buf, "member;range=0-1");
	ck_assert_uint_gt(kd_ldap_range_request(buf, sizeof(buf), "member", 6, 10, 1), 0);
	ck_assert_str_eq(buf, "member;range=10-10");
	/* a step past SIZE_MAX asks for the rest */
	ck_assert_uint_gt(kd_ldap_range_request(buf, sizeof(buf), "m", 1, SIZE_MAX - 2, 5), 0);
	ck_assert_str_eq(buf, "m;range=18446744073709551613-*");
	/* too small: 0, never a cut request */
	ck_assert_uint_eq(kd_ldap_range_request(buf, 19, "member", 6, 1500, 0), 0);
	ck_assert_uint_eq(kd_ldap_range_request(buf, 20, "member", 6, 1500, 0), 19);
	/* what it writes parses back to what was asked */
	ck_assert_uint_gt(kd_ldap_range_request(buf, sizeof(buf), "member", 6, 3000, 1500), 0);
	ck_assert_int_eq(kd_ldap_parse_desc(buf, strlen(buf), &d, NULL), 0);
	ck_assert(d.ranged && !d.range_open);
	ck_assert_uint_eq(d.range_lo, 3000);
	ck_assert_uint_eq(d.range_hi, 4499);
}
END_TEST

/* ---- chunk sequences ---- */

static const struct next_case {
	const char *desc;
	size_t nvalues;
	size_t expect_lo; /* the walk's next_lo */
	size_t step;      /* the walk's step so far (0: no closed chunk yet) */
	uint32_t asked;   /* range_step asked for, 0: as the DC splits */
	int code;
	bool done;
	size_t next;
} next_cases[] = {
	{"member;range=0-1499", 1500, 0, 0, 0, 0, false, 1500},
	{"member;range=1500-2999", 1500, 1500, 1500, 0, 0, false, 3000},
	{"member;range=3000-*", 12, 3000, 1500, 0, 0, true, 3012},
	{"member;range=0-*", 0, 0, 0, 0, 0, true, 0},
	/* the fewest values a chunk before the last may bring */
	{"member;range=0-99", 100, 0, 0, 0, 0, false, 100},
	{"member;range=0-98", 99, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=0-0", 1, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	/* ... unless the search asked for fewer */
	{"member;range=0-0", 1, 0, 0, 1, 0, false, 1},
	{"member;range=5-5", 1, 5, 1, 1, 0, false, 6},
	{"member;range=0-1", 2, 0, 0, 2, 0, false, 2},
	{"member;range=0-0", 1, 0, 0, 2, KD_ERR_INCOMPLETE, false, 0},
	/* asked for more than the DC hands out: its step is what counts */
	{"member;range=0-1499", 1500, 0, 0, 5000, 0, false, 1500},
	/* chunks never shrink below the first (they may grow) */
	{"member;range=1500-2498", 999, 1500, 1500, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=1500-4999", 3500, 1500, 1500, 0, 0, false, 5000},
	{"member;range=1500-*", 1, 1500, 1500, 0, 0, true, 1501},
	/* a chunk that does not start where asked: values lost or doubled */
	{"member;range=1-*", 3, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=1400-*", 3, 1500, 1500, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=1500-2999", 1500, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	/* a closed chunk with the wrong count */
	{"member;range=0-1499", 1499, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=0-1499", 1501, 0, 0, 0, KD_ERR_INCOMPLETE, false, 0},
	{"member;range=0-1", 0, 0, 0, 2, KD_ERR_INCOMPLETE, false, 0},
	{"member", 3, 0, 0, 0, KD_ERR_USAGE, false, 0},
};

START_TEST(test_range_next)
{
	const struct next_case *c = &next_cases[_i];
	struct kd_ldap_range_walk w, before;
	struct kd_ldap_desc d;
	struct kd_error err;
	bool done = true;

	ck_assert_int_eq(kd_ldap_parse_desc(c->desc, strlen(c->desc), &d, NULL), 0);
	kd_error_clear(&err);
	kd_ldap_range_start(&w, c->asked);
	w.next_lo = c->expect_lo;
	w.step = c->step;
	before = w;
	ck_assert_int_eq(kd_ldap_range_next(&w, &d, c->nvalues, &done, &err), c->code);
	if (c->code == 0) {
		ck_assert_int_eq(done, c->done);
		ck_assert_uint_eq(w.next_lo, c->next);
		/* the first closed chunk sets the step, later ones keep it */
		if (!c->done)
			ck_assert_uint_eq(w.step, c->step ? c->step : d.range_hi - d.range_lo + 1);
	} else {
		ck_assert_int_eq(err.code, c->code);
		ck_assert(err.message[0] != '\0');
		ck_assert(done);
		ck_assert_mem_eq(&w, &before, sizeof(w));
	}
}
END_TEST

START_TEST(test_range_start)
{
	struct kd_ldap_range_walk w;

	kd_ldap_range_start(&w, 0);
	ck_assert_uint_eq(w.min_step, KD_LDAP_RANGE_STEP_MIN);
	ck_assert_uint_eq(w.next_lo, 0);
	ck_assert_uint_eq(w.step, 0);
	kd_ldap_range_start(&w, 3);
	ck_assert_uint_eq(w.min_step, 3);
	kd_ldap_range_start(&w, 100000);
	ck_assert_uint_eq(w.min_step, KD_LDAP_RANGE_STEP_MIN);
}
END_TEST

/* A whole sequence as a DC would answer 4000 values in chunks of 1500. */
START_TEST(test_range_sequence)
{
	const char *chunks[] = {"member;range=0-1499", "member;range=1500-2999", "member;range=3000-*"};
	size_t counts[] = {1500, 1500, 1000}, total = 0;
	struct kd_ldap_range_walk w;
	bool done = false;
	char want[64];

	kd_ldap_range_start(&w, 0);
	for (size_t i = 0; i < 3; i++) {
		struct kd_ldap_desc d;

		ck_assert(!done);
		/* what the collector asks for next names the chunk that comes */
		if (i > 0) {
			kd_ldap_range_request(want, sizeof(want), "member", 6, w.next_lo, 0);
			ck_assert_int_eq(strncmp(want, chunks[i], strlen("member;range=") + 4), 0);
		}
		ck_assert_int_eq(kd_ldap_parse_desc(chunks[i], strlen(chunks[i]), &d, NULL), 0);
		ck_assert_int_eq(kd_ldap_range_next(&w, &d, counts[i], &done, NULL), 0);
		total += counts[i];
	}
	ck_assert(done);
	ck_assert_uint_eq(w.next_lo, total);
}
END_TEST

/* ---- refusals before anything goes on the wire ---- */

START_TEST(test_open_refusals)
{
	struct kd_ldap_options o = {0};
	struct kd_ldap *c = NULL;
	struct kd_error err;

	/* simple bind over ldap:// */
	o.uris[0] = "ldap://127.0.0.1:1";
	o.nuris = 1;
	o.simple_bind = "CN=a,DC=x";
	o.password = "secret";
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err.message, "ldaps://"));
	ck_assert_str_eq(err.source, "ldap://127.0.0.1:1");
	ck_assert_ptr_null(strstr(err.message, "secret"));

	/* an empty password would be an anonymous bind */
	o.uris[0] = "ldaps://127.0.0.1:1";
	o.password = "";
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "needs a password"));
	o.password = NULL;
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);

	/* a CA file that is not there */
	o.password = "secret";
	o.ca_file = "/nonexistent/ca.pem";
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_IO);
	ck_assert_str_eq(err.source, "/nonexistent/ca.pem");
}
END_TEST

START_TEST(test_check_options)
{
	struct kd_ldap_options o = {0};
	struct kd_error err;

	ck_assert_int_eq(kd_ldap_check_options(&o, &err), 0);
	o.uris[0] = "ldaps://dc1";
	o.uris[1] = "LDAPS://dc2";
	o.nuris = 2;
	o.simple_bind = "x@y";
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), 0);
	/* StartTLS on ldaps:// */
	o.starttls = true;
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), KD_ERR_USAGE);
	ck_assert_str_eq(err.source, "ldaps://dc1");
	/* one plain URI among TLS ones: refused for a simple bind */
	o.starttls = false;
	o.uris[1] = "ldap://dc2";
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), KD_ERR_USAGE);
	ck_assert_str_eq(err.source, "ldap://dc2");
	/* fine with StartTLS when every URI is ldap:// */
	o.uris[0] = "ldap://dc1";
	o.starttls = true;
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), 0);
	/* and for GSSAPI, which signs and seals on ldap:// */
	o.starttls = false;
	o.simple_bind = NULL;
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), 0);
	/* the Global Catalog lacks the delegation attributes */
	o.uris[1] = "ldap://dc2:3268";
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), KD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "Global Catalog"));
	ck_assert_str_eq(err.source, "ldap://dc2:3268");
	o.uris[1] = "ldaps://dc2:3269";
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), KD_ERR_USAGE);
	o.uris[1] = "ldaps://dc2:636";
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), 0);
	o.page_size = (uint32_t)INT32_MAX + 1;
	ck_assert_int_eq(kd_ldap_check_options(&o, &err), KD_ERR_USAGE);
}
END_TEST

/* libldap reads its configuration once per process; Check forks each test. */
START_TEST(test_conf_none)
{
	setenv("LDAPNOINIT", "1", 1);
	ck_assert(!kd_ldap_conf_has_uri());
}
END_TEST

START_TEST(test_conf_uri)
{
	unsetenv("LDAPNOINIT");
	setenv("LDAPURI", "ldap://dc1.example.test", 1);
	ck_assert(kd_ldap_conf_has_uri());
}
END_TEST

/* The checks apply to a URI from ldap.conf too, before anything is sent. */
START_TEST(test_conf_checks)
{
	struct kd_ldap_options o = {0};
	struct kd_ldap *c = NULL;
	struct kd_error err;

	unsetenv("LDAPNOINIT");
	setenv("LDAPURI", "ldap://127.0.0.1:3268", 1);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "Global Catalog"));
}
END_TEST

START_TEST(test_conf_simple_plain)
{
	struct kd_ldap_options o = {.simple_bind = "a@b", .password = "pw"};
	struct kd_ldap *c = NULL;
	struct kd_error err;

	unsetenv("LDAPNOINIT");
	setenv("LDAPURI", "ldaps://127.0.0.1:1 ldap://127.0.0.1:2", 1);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "refusing a simple bind"));
}
END_TEST

START_TEST(test_conf_localhost)
{
	/* written out, even the built-in default counts as configured */
	unsetenv("LDAPNOINIT");
	setenv("LDAPURI", "ldap://localhost/", 1);
	ck_assert(kd_ldap_conf_has_uri());
}
END_TEST

/* No server named anywhere: a usage error, not a connection to localhost. */
START_TEST(test_open_nothing)
{
	struct kd_ldap_options o = {0};
	struct kd_ldap *c = NULL;
	struct kd_error err;

	setenv("LDAPNOINIT", "1", 1);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "no directory server named"));
	ck_assert_ptr_null(c);
}
END_TEST

/* Nothing listens on port 1: each URI fails to connect, the next is tried, all are named. */
START_TEST(test_open_unreachable)
{
	struct kd_ldap_options o = {0};
	struct kd_ldap *c = NULL;
	struct kd_error err;

	o.uris[0] = "ldap://127.0.0.1:1";
	o.uris[1] = "ldap://127.0.0.1:2";
	o.nuris = 2;
	o.connect_timeout = 5;
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_CONNECT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err.source, "ldap://127.0.0.1:2");
	ck_assert_msg(strstr(err.message, "cannot connect") &&
			      strstr(err.message, "the 1 URIs before failed too"),
		      "%s", err.message);

	o.uris[0] = "not a uri";
	o.nuris = 1;
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldap_open(&o, &c, &err), KD_ERR_CONNECT);
	ck_assert_ptr_nonnull(strstr(err.message, "not a usable LDAP URI"));
	kd_ldap_close(NULL);
}
END_TEST

/* ---- the password ---- */

START_TEST(test_password_file)
{
	char path[] = "/tmp/kdeleg-pw-XXXXXX";
	struct kd_error err;
	char *pw = NULL;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("s3cr3t pass\r\nsecond line\n", f);
	fclose(f);
	ck_assert_int_eq(kd_password_get(path, "x", &pw, &err), 0);
	ck_assert_str_eq(pw, "s3cr3t pass");
	kd_password_free(pw);

	f = fopen(path, "w");
	fputs("no newline", f);
	fclose(f);
	ck_assert_int_eq(kd_password_get(path, "x", &pw, &err), 0);
	ck_assert_str_eq(pw, "no newline");
	kd_password_free(pw);
	pw = NULL;

	f = fopen(path, "w");
	fputs("\nafter an empty line", f);
	fclose(f);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_password_get(path, "x", &pw, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(pw);
	ck_assert_str_eq(err.source, path);
	unlink(path);

	kd_error_clear(&err);
	ck_assert_int_eq(kd_password_get(path, "x", &pw, &err), KD_ERR_IO);
	ck_assert_str_eq(err.source, path);
	kd_password_free(NULL);
}
END_TEST

START_TEST(test_password_env)
{
	struct kd_error err;
	char *pw = NULL;

	setenv(KD_PASSWORD_ENV, "from the environment", 1);
	ck_assert_int_eq(kd_password_get(NULL, "x", &pw, &err), 0);
	ck_assert_str_eq(pw, "from the environment");
	/* taken out of the environment */
	ck_assert_ptr_null(getenv(KD_PASSWORD_ENV));
	kd_password_free(pw);

	setenv(KD_PASSWORD_ENV, "", 1);
	ck_assert_int_eq(kd_password_get(NULL, "x", &pw, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(pw);
}
END_TEST

Suite *kd_ldapsrc_suite(void);

Suite *
kd_ldapsrc_suite(void)
{
	Suite *s = suite_create("ldapsrc");
	TCase *tc;

	tc = tcase_create("descriptions");
	tcase_add_loop_test(tc, test_desc, 0, (int)ARRAY_SIZE(desc_cases));
	tcase_add_loop_test(tc, test_bad_desc, 0, (int)ARRAY_SIZE(bad_descs));
	tcase_add_test(tc, test_desc_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("ranges");
	tcase_add_test(tc, test_range_request);
	tcase_add_loop_test(tc, test_range_next, 0, (int)ARRAY_SIZE(next_cases));
	tcase_add_test(tc, test_range_start);
	tcase_add_test(tc, test_range_sequence);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_test(tc, test_open_refusals);
	tcase_add_test(tc, test_open_unreachable);
	tcase_add_test(tc, test_check_options);
	tcase_add_test(tc, test_conf_none);
	tcase_add_test(tc, test_conf_uri);
	tcase_add_test(tc, test_conf_localhost);
	tcase_add_test(tc, test_conf_checks);
	tcase_add_test(tc, test_conf_simple_plain);
	tcase_add_test(tc, test_open_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("password");
	tcase_add_test(tc, test_password_file);
	tcase_add_test(tc, test_password_env);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_ldapsrc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
