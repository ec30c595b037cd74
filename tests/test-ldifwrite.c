/* SPDX-License-Identifier: MIT */
/* Tests for the LDIF writer: plain vs base64, refusals, and round trips through the reader. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif-write.h"
#include "kdeleg/ldif.h"

#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- which values stay plain ---- */

static const struct safe_case {
	const char *text;
	size_t len; /* 0: strlen */
	bool safe;
} safe_cases[] = {
	{"", 0, true},
	{"CN=web01,OU=Servers,DC=corp,DC=example", 0, true},
	{"HTTP/web01.corp.example:8443", 0, true},
	{"a:b<c", 0, true},           /* ':' and '<' only matter first */
	{"inner space", 0, true},
	{"~", 0, true},
	{" leading space", 0, false},
	{":leading colon", 0, false},
	{"<file:///etc/passwd", 0, false},
	{"trailing space ", 0, false},
	{"line\nfeed", 0, false},
	{"carriage\rreturn", 0, false},
	{"tab\there", 0, false},
	{"bell\x07", 0, false},
	{"del\x7f", 0, false},
	{"K\xc3\xb6ln", 0, false},    /* UTF-8: RFC 2849 SAFE-CHAR is ASCII */
	{"\xff\xfe", 0, false},
	{"nul\0inside", 10, false},
	{"\0", 1, false},
};

START_TEST(test_safe)
{
	const struct safe_case *c = &safe_cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);

	ck_assert_msg(kd_ldif_safe_string(c->text, len) == c->safe, "case %d", _i);
}
END_TEST

/* ---- writing to memory and reading back ---- */

struct mem {
	char *data;
	size_t len;
	FILE *file;
};

static void
mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->file = open_memstream(&m->data, &m->len);
	ck_assert_ptr_nonnull(m->file);
}

static void
mem_close(struct mem *m)
{
	ck_assert_int_eq(fclose(m->file), 0);
	m->file = NULL;
}

static void
mem_free(struct mem *m)
{
	free(m->data);
	m->data = NULL;
}

/* Attributes with values must come back in order, names and bytes equal; empty ones vanish. */
static void
assert_same_entry(const struct kd_entry *want, const struct kd_entry *got)
{
	size_t g = 0;

	ck_assert_uint_eq(got->dn_len, want->dn_len);
	ck_assert(memcmp(got->dn, want->dn, want->dn_len) == 0);
	ck_assert_int_eq(got->dn[got->dn_len], '\0');
	for (size_t i = 0; i < want->nattrs; i++) {
		const struct kd_attr *w = &want->attrs[i], *a;

		if (w->nvalues == 0)
			continue;
		ck_assert_uint_lt(g, got->nattrs);
		a = &got->attrs[g++];
		ck_assert_str_eq(a->name, w->name);
		ck_assert_uint_eq(a->nvalues, w->nvalues);
		for (size_t j = 0; j < w->nvalues; j++) {
			ck_assert_uint_eq(a->values[j].len, w->values[j].len);
			ck_assert_msg(memcmp(a->values[j].data, w->values[j].data,
					     w->values[j].len) == 0,
				      "attribute %s value %zu differs", w->name, j);
			ck_assert_int_eq(a->values[j].data[a->values[j].len], '\0');
		}
	}
	ck_assert_uint_eq(got->nattrs, g);
}

/* Writes @n entries between a header and the trailer, reads them back and compares. */
static void
round_trip(const struct kd_entry *entries, size_t n)
{
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	struct mem m;
	FILE *in;
	size_t count = 0;
	int r;

	kd_error_clear(&err);
	mem_open(&m);
	ck_assert_int_eq(kd_ldif_write_header(m.file, "ldap://dc1.lab.test", "targeted", 0, &err),
			 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(kd_ldif_write_entry(m.file, &entries[i], &err), 0);
	ck_assert_int_eq(kd_ldif_write_trailer(m.file, n, &err), 0);
	mem_close(&m);

	in = fmemopen(m.data, m.len, "r");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(kd_ldif_open(in, "written.ldif", NULL, &l, &err), 0);
	while ((r = kd_ldif_next(l, &e, &err)) == 0 && e) {
		ck_assert_uint_lt(count, n);
		assert_same_entry(&entries[count], e);
		count++;
	}
	ck_assert_msg(r == 0, "reading back failed: %s (line %zu)", err.message, err.line);
	ck_assert_uint_eq(count, n);
	ck_assert_str_eq(kd_ldif_plan(l), "targeted");
	kd_ldif_free(l);
	fclose(in);
	mem_free(&m);
}

#define VAL(s) {s, sizeof(s) - 1}

/* One value per case: how it is written, and that it reads back. */
static const struct line_case {
	struct kd_value value;
	const char *line;
} line_cases[] = {
	{VAL("plain"), "x: plain\n"},
	{VAL(""), "x:\n"},
	{VAL(" "), "x:: IA==\n"},
	{VAL(" lead"), "x:: IGxlYWQ=\n"},
	{VAL(":x"), "x:: Ong=\n"},
	{VAL("<x"), "x:: PHg=\n"},
	{VAL("tail "), "x:: dGFpbCA=\n"},
	{VAL("a\nb"), "x:: YQpi\n"},
	{VAL("a\r\nb"), "x:: YQ0KYg==\n"},
	{VAL("\0"), "x:: AA==\n"},
	{VAL("\x01\x05\0\0\xff"), "x:: AQUAAP8=\n"},
	{VAL("J\xc3\xbcrgen"), "x:: SsO8cmdlbg==\n"},
	{VAL("\xc3"), "x:: ww==\n"}, /* not UTF-8: base64 keeps it exact */
	{VAL("a:b"), "x: a:b\n"},
	{VAL("#not a comment"), "x: #not a comment\n"},
	{VAL("-"), "x: -\n"},
};

START_TEST(test_line)
{
	const struct line_case *c = &line_cases[_i];
	struct kd_value v = c->value;
	struct kd_attr a = {.name = "x", .nvalues = 1, .values = &v};
	struct kd_entry e = {.dn = "CN=a", .dn_len = 4, .nattrs = 1, .attrs = &a};
	struct kd_error err;
	struct mem m;
	char *want;

	mem_open(&m);
	ck_assert_int_eq(kd_ldif_write_entry(m.file, &e, &err), 0);
	mem_close(&m);
	want = malloc(strlen(c->line) + 16);
	ck_assert_ptr_nonnull(want);
	snprintf(want, strlen(c->line) + 16, "dn: CN=a\n%s\n", c->line);
	ck_assert_str_eq(m.data, want);
	free(want);
	mem_free(&m);
	round_trip(&e, 1);
}
END_TEST

/* A snapshot like the collector's: binary SIDs and descriptors, ranged members merged. */
START_TEST(test_snapshot)
{
	static const char sid[] = "\x01\x05\0\0\0\0\0\x05\x15\0\0\0\x01\0\0\0\x02\0\0\0\x03\0\0\0";
	unsigned char sd[512];
	struct kd_value oc[] = {VAL("top"), VAL("group")};
	struct kd_value members[3000];
	char names[3000][48];
	struct kd_value sids[] = {{sid, sizeof(sid) - 1}};
	struct kd_value sdv[] = {{(const char *)sd, sizeof(sd)}};
	struct kd_value spns[] = {VAL("HTTP/web01"), VAL("HOST/web01.corp.example")};
	struct kd_value empty[] = {VAL("")};
	struct kd_attr gattrs[] = {
		{.name = "objectclass", .nvalues = 2, .values = oc},
		{.name = "objectsid", .nvalues = 1, .values = sids},
		{.name = "member", .nvalues = ARRAY_SIZE(members), .values = members},
		{.name = "description", .nvalues = 0, .values = NULL},
	};
	struct kd_attr cattrs[] = {
		{.name = "serviceprincipalname", .nvalues = 2, .values = spns},
		{.name = "msds-allowedtoactonbehalfofotheridentity", .nvalues = 1, .values = sdv},
		{.name = "1.2.840.113556.1.4.8", .nvalues = 1, .values = empty},
	};
	static const char udn[] = "CN=J\xc3\xbcrgen M\xc3\xbcller,OU=Users,DC=corp,DC=example";
	struct kd_entry entries[] = {
		{.dn = "CN=Big,DC=corp,DC=example", .dn_len = 25, .nattrs = 4, .attrs = gattrs},
		{.dn = udn, .dn_len = sizeof(udn) - 1, .nattrs = 3, .attrs = cattrs},
		{.dn = " CN=odd ", .dn_len = 8, .nattrs = 0, .attrs = NULL},
		{.dn = "", .dn_len = 0, .nattrs = 1, .attrs = cattrs},
	};

	for (size_t i = 0; i < sizeof(sd); i++)
		sd[i] = (unsigned char)(i * 7);
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		int n = snprintf(names[i], sizeof(names[i]), "CN=user%zu,CN=Users,DC=corp,DC=example",
				 i);

		members[i] = (struct kd_value){names[i], (size_t)n};
	}
	round_trip(entries, ARRAY_SIZE(entries));
}
END_TEST

/* Random bytes of every length up to 300, in one entry per length. */
START_TEST(test_random_values)
{
	static unsigned char bytes[300][300];
	struct kd_value values[300];
	struct kd_attr attrs[300];
	struct kd_entry entries[300];
	char dns[300][24];
	uint32_t x = 2463534242u;

	for (size_t n = 0; n < 300; n++) {
		int dl;

		for (size_t i = 0; i < n; i++) {
			/* xorshift32; one value in four drawn from " :<\r\n\t a" */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			bytes[n][i] = (x & 3) == 0 ? (unsigned char)" :<\r\n\ta"[(x >> 8) % 7]
						   : (unsigned char)(x >> 16);
		}
		values[n] = (struct kd_value){(const char *)bytes[n], n};
		attrs[n] = (struct kd_attr){.name = "x", .nvalues = 1, .values = &values[n]};
		dl = snprintf(dns[n], sizeof(dns[n]), "CN=v%zu", n);
		entries[n] = (struct kd_entry){
			.dn = dns[n], .dn_len = (size_t)dl, .nattrs = 1, .attrs = &attrs[n]};
	}
	round_trip(entries, ARRAY_SIZE(entries));
}
END_TEST

/* A value of 4 MiB: base64 goes out in pieces, the line stays whole. */
START_TEST(test_big_value)
{
	size_t len = (size_t)4 << 20;
	char *big = malloc(len);
	struct kd_value v;
	struct kd_attr a = {.name = "x", .nvalues = 1, .values = &v};
	struct kd_entry e = {.dn = "CN=a", .dn_len = 4, .nattrs = 1, .attrs = &a};

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i % 251);
	v = (struct kd_value){big, len};
	round_trip(&e, 1);
	memset(big, 'a', len);
	round_trip(&e, 1);
	free(big);
}
END_TEST

/* The header's plan line: read before the first entry, only in a kdeleg header, and an
 * unknown plan is refused (a snapshot from a newer plan would be misread). */
static int
read_plan(const char *text, const char **ret_plan, struct kd_error *err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	int r;

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(kd_ldif_open(in, "p.ldif", NULL, &l, err), 0);
	r = kd_ldif_next(l, &e, err);
	*ret_plan = kd_ldif_plan(l);
	kd_ldif_free(l);
	fclose(in);
	return r;
}

START_TEST(test_plan_line)
{
	static const char head[] = "version: 1\n# kdeleg collect: x\n";
	static const char entry[] = "\ndn: CN=a\nobjectClass: user\n\n"
				    "# kdeleg collect complete: 1 entries\n";
	struct kd_error err;
	const char *plan;
	char *text;

	kd_error_clear(&err);
	text = tu_xprintf("%s# plan: targeted\n%s", head, entry);
	ck_assert_int_eq(read_plan(text, &plan, &err), 0);
	ck_assert_str_eq(plan, "targeted");
	free(text);
	text = tu_xprintf("%s# plan: full\n%s", head, entry);
	ck_assert_int_eq(read_plan(text, &plan, &err), 0);
	ck_assert_str_eq(plan, "full");
	free(text);
	/* none: an older kdeleg's snapshot, or ldapsearch's */
	text = tu_xprintf("%s%s", head, entry);
	ck_assert_int_eq(read_plan(text, &plan, &err), 0);
	ck_assert_ptr_null(plan);
	free(text);
	ck_assert_int_eq(read_plan("dn: CN=a\nobjectClass: user\n# plan: full\n\n", &plan, &err),
			 0);
	ck_assert_ptr_null(plan);
	text = tu_xprintf("%s# plan: partial\n%s", head, entry);
	ck_assert_int_eq(read_plan(text, &plan, &err), KD_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "unknown collection plan"));
	ck_assert_uint_eq(err.line, 3);
	free(text);
}
END_TEST

START_TEST(test_header)
{
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	struct mem m;
	FILE *in;

	mem_open(&m);
	ck_assert_int_eq(kd_ldif_write_header(m.file, "ldap://dc\n\rdn: CN=forged", "full",
					      86400 * 365, &err),
			 0);
	mem_close(&m);
	ck_assert_msg(strncmp(m.data, "version: 1\n# kdeleg collect", 27) == 0, "%s", m.data);
	ck_assert_ptr_nonnull(strstr(m.data, "# source: ldap://dc\\n\\x0ddn: CN=forged\n"));
	ck_assert_ptr_nonnull(strstr(m.data, "# time: 1971-01-01T00:00:00Z\n# plan: full\n"));
	/* a header alone is a collection that never completed */
	in = fmemopen(m.data, m.len, "r");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(kd_ldif_open(in, "h.ldif", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), KD_ERR_INCOMPLETE);
	ck_assert_ptr_nonnull(strstr(err.message, "without its trailer"));
	kd_ldif_free(l);
	fclose(in);
	mem_free(&m);
	/* with the trailer, it is an empty snapshot */
	mem_open(&m);
	ck_assert_int_eq(kd_ldif_write_header(m.file, "x", "full", 0, &err), 0);
	ck_assert_int_eq(kd_ldif_write_trailer(m.file, 0, &err), 0);
	mem_close(&m);
	ck_assert_ptr_nonnull(strstr(m.data, "\n# kdeleg collect complete: 0 entries\n"));
	in = fmemopen(m.data, m.len, "r");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(kd_ldif_open(in, "h.ldif", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_ptr_null(e);
	kd_ldif_free(l);
	fclose(in);
	mem_free(&m);
}
END_TEST

/* ---- refusals: an error, and nothing written ---- */

/* A value whose line the reader would refuse is refused before anything is written:
 * at the limit it round-trips, one byte over (text or base64) it does not. */
START_TEST(test_line_limit)
{
	size_t text_max = KD_LDIF_LINE_MAX - strlen("x: ");
	size_t binary_max = (KD_LDIF_LINE_MAX - strlen("x:: ")) / 4 * 3;
	char *big = malloc(text_max + 1);
	struct kd_value v;
	struct kd_attr a = {.name = "x", .nvalues = 1, .values = &v};
	struct kd_entry e = {.dn = "CN=a", .dn_len = 4, .nattrs = 1, .attrs = &a};
	struct kd_error err;
	struct mem m;

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', text_max + 1);
	v = (struct kd_value){big, text_max};
	round_trip(&e, 1);
	for (int binary = 0; binary < 2; binary++) {
		if (binary)
			big[0] = '\0'; /* NUL first: base64 */
		v = (struct kd_value){big, (binary ? binary_max : text_max) + 1};
		kd_error_clear(&err);
		mem_open(&m);
		ck_assert_int_eq(kd_ldif_write_entry(m.file, &e, &err), KD_ERR_USAGE);
		ck_assert_ptr_nonnull(strstr(err.message, "too long for an LDIF line"));
		mem_close(&m);
		ck_assert_uint_eq(m.len, 0);
		mem_free(&m);
	}
	free(big);
}
END_TEST

static const struct refuse_case {
	const char *dn;
	size_t dn_len;
	const char *name;
	int code;
	const char *message;
} refuse_cases[] = {
	{"CN=\xff", 4, "x", KD_ERR_PARSE, "not UTF-8"},
	{"CN=a\0b", 6, "x", KD_ERR_PARSE, "not UTF-8"},
	{"CN=a", 4, "Member", KD_ERR_USAGE, "'Member'"},
	{"CN=a", 4, "", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "dn", KD_ERR_USAGE, "'dn'"},
	{"CN=a", 4, "changetype", KD_ERR_USAGE, "'changetype'"},
	{"CN=a", 4, "member;range=0-1", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "a b", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "a:", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "1..2", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, ".1", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "1.", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "-x", KD_ERR_USAGE, "cannot be written"},
	{"CN=a", 4, "x\n", KD_ERR_USAGE, "'x\\n'"},
};

START_TEST(test_refuse)
{
	const struct refuse_case *c = &refuse_cases[_i];
	struct kd_value v = VAL("v");
	struct kd_attr a[] = {
		{.name = "ok", .nvalues = 1, .values = &v},
		{.name = c->name, .nvalues = 1, .values = &v},
	};
	struct kd_entry e = {.dn = c->dn, .dn_len = c->dn_len, .nattrs = 2, .attrs = a};
	struct kd_error err;
	struct mem m;

	kd_error_clear(&err);
	mem_open(&m);
	ck_assert_int_eq(kd_ldif_write_entry(m.file, &e, &err), c->code);
	ck_assert_int_eq(err.code, c->code);
	ck_assert_msg(strstr(err.message, c->message), "case %d: %s", _i, err.message);
	mem_close(&m);
	ck_assert_uint_eq(m.len, 0);
	mem_free(&m);
}
END_TEST

/* A full disk is an error, not a short snapshot. */
START_TEST(test_write_error)
{
	struct kd_value v = VAL("value");
	struct kd_attr a = {.name = "x", .nvalues = 1, .values = &v};
	struct kd_entry e = {.dn = "CN=a", .dn_len = 4, .nattrs = 1, .attrs = &a};
	struct kd_error err;
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		return; /* no /dev/full in this sandbox */
	setvbuf(full, NULL, _IONBF, 0);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldif_write_entry(full, &e, &err), KD_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "writing the snapshot failed"));
	fclose(full);
	full = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(full);
	setvbuf(full, NULL, _IONBF, 0);
	ck_assert_int_eq(kd_ldif_write_header(full, "x", "full", 0, &err), KD_ERR_IO);
	ck_assert_int_eq(kd_ldif_write_trailer(full, 3, &err), KD_ERR_IO);
	fclose(full);
}
END_TEST

Suite *kd_ldifwrite_suite(void);

Suite *
kd_ldifwrite_suite(void)
{
	Suite *s = suite_create("ldif-write");
	TCase *tc;

	tc = tcase_create("safe");
	tcase_add_loop_test(tc, test_safe, 0, (int)ARRAY_SIZE(safe_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("round-trip");
	tcase_add_loop_test(tc, test_line, 0, (int)ARRAY_SIZE(line_cases));
	tcase_add_test(tc, test_snapshot);
	tcase_add_test(tc, test_random_values);
	tcase_add_test(tc, test_big_value);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_plan_line);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_loop_test(tc, test_refuse, 0, (int)ARRAY_SIZE(refuse_cases));
	tcase_add_test(tc, test_write_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_ldifwrite_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
