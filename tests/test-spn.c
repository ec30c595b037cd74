/* SPDX-License-Identifier: MIT */
/* Unit tests for SPN parsing, keys and the sPNMappings alias table (src/spn.c). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/spn.h"
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct parse_ok {
	const char *text;
	const char *service_class;
	const char *host;
	int port; /* -1: none */
	const char *service_name; /* NULL: absent */
	const char *key;
};

static const struct parse_ok parse_ok_cases[] = {
	{"HOST/web01", "HOST", "web01", -1, NULL, "host/web01"},
	{"HOST/web01.corp.example", "HOST", "web01.corp.example", -1, NULL,
	 "host/web01.corp.example"},
	{"krbtgt/CORP.EXAMPLE", "krbtgt", "CORP.EXAMPLE", -1, NULL, "krbtgt/corp.example"},
	{"HTTP/web01.corp.example:8080", "HTTP", "web01.corp.example", 8080, NULL,
	 "http/web01.corp.example:8080"},
	{"MSSQLSvc/sql01.corp.example:1433", "MSSQLSvc", "sql01.corp.example", 1433, NULL,
	 "mssqlsvc/sql01.corp.example:1433"},
	/* SQL Server named instance: ":INSTANCE" is not a port and stays in the host. */
	{"MSSQLSvc/sql01.corp.example:PROD", "MSSQLSvc", "sql01.corp.example:PROD", -1, NULL,
	 "mssqlsvc/sql01.corp.example:prod"},
	{"MSSQLSvc/sql01:SQL_2019", "MSSQLSvc", "sql01:SQL_2019", -1, NULL,
	 "mssqlsvc/sql01:sql_2019"},
	{"MSSQLSvc/sql01:1433x", "MSSQLSvc", "sql01:1433x", -1, NULL, "mssqlsvc/sql01:1433x"},
	{"ldap/dc01.corp.example/corp.example", "ldap", "dc01.corp.example", -1, "corp.example",
	 "ldap/dc01.corp.example/corp.example"},
	{"ldap/dc01.corp.example:389/CORP", "ldap", "dc01.corp.example", 389, "CORP",
	 "ldap/dc01.corp.example:389/corp"},
	{"GC/dc01.corp.example/corp.example", "GC", "dc01.corp.example", -1, "corp.example",
	 "gc/dc01.corp.example/corp.example"},
	{"E3514235-4B06-11D1-AB04-00C04FC2DCD2/7f1e2b9c-0000-4000-8000-000000000001/"
	 "corp.example",
	 "E3514235-4B06-11D1-AB04-00C04FC2DCD2", "7f1e2b9c-0000-4000-8000-000000000001", -1,
	 "corp.example",
	 "e3514235-4b06-11d1-ab04-00c04fc2dcd2/7f1e2b9c-0000-4000-8000-000000000001/"
	 "corp.example"},
	{"a/b:1", "a", "b", 1, NULL, "a/b:1"},
	{"a/b:65535", "a", "b", 65535, NULL, "a/b:65535"},
	/* IPv6: bracketed literal with and without port; a bare literal is all host. */
	{"HOST/[::1]", "HOST", "[::1]", -1, NULL, "host/[::1]"},
	{"HOST/[fe80::1]:88", "HOST", "[fe80::1]", 88, NULL, "host/[fe80::1]:88"},
	{"HOST/fe80::1", "HOST", "fe80::1", -1, NULL, "host/fe80::1"},
	{"HOST/[::1]:PROD", "HOST", "[::1]:PROD", -1, NULL, "host/[::1]:prod"},
	{"HOST/[::1", "HOST", "[::1", -1, NULL, "host/[::1"},
	{"HOST/[::1]x", "HOST", "[::1]x", -1, NULL, "host/[::1]x"},
	/* Non-ASCII passes untouched and unfolded (the output layer escapes). */
	{"HTTP/caf\xc3\xa9.example", "HTTP", "caf\xc3\xa9.example", -1, NULL,
	 "http/caf\xc3\xa9.example"},
	{"HTTP/two words", "HTTP", "two words", -1, NULL, "http/two words"},
};

static void
assert_part(const char *got, size_t got_len, const char *want)
{
	ck_assert_uint_eq(got_len, strlen(want));
	ck_assert_int_eq(memcmp(got, want, got_len), 0);
}

START_TEST(test_parse_ok)
{
	const struct parse_ok *c = &parse_ok_cases[_i];
	struct kd_spn spn;
	struct kd_error err;
	char key[KD_SPN_MAX + 1];

	kd_error_clear(&err);
	ck_assert_int_eq(kd_spn_parse(c->text, strlen(c->text), &spn, &err), 0);
	ck_assert_int_eq(err.code, 0);
	ck_assert_ptr_eq(spn.service_class, c->text);
	assert_part(spn.service_class, spn.service_class_len, c->service_class);
	assert_part(spn.host, spn.host_len, c->host);
	ck_assert_int_eq(spn.has_port, c->port >= 0);
	if (c->port >= 0)
		ck_assert_int_eq(spn.port, c->port);
	if (c->service_name)
		assert_part(spn.service_name, spn.service_name_len, c->service_name);
	else
		ck_assert_ptr_null(spn.service_name);
	ck_assert_uint_eq(kd_spn_key(&spn, key, sizeof(key)), strlen(c->key));
	ck_assert_str_eq(key, c->key);
}
END_TEST

static const struct tu_bad_input parse_bad_cases[] = {
	{"", 0, 0},
	{"HOST", 0, 4},                 /* no '/' */
	{"/web01", 0, 0},               /* empty class */
	{"HOST/", 0, 5},                /* empty host */
	{"HOST//name", 0, 5},           /* empty host before the name */
	{"HOST/web01/", 0, 11},         /* empty service name */
	{"a/b/c/d", 0, 5},              /* four parts: the third '/' */
	{"a/b/c/d/e", 0, 5},
	{"HOST/web01:", 0, 11},         /* empty port */
	{"HOST/web01:0", 0, 11},
	{"HOST/web01:65536", 0, 11},
	{"HOST/web01:99999999999999999999", 0, 11},
	{"HOST/web01:080", 0, 11},      /* leading zero: key would not round-trip */
	{"HOST/:80", 0, 5},             /* empty host before ':' */
	{"MSSQLSvc/:PROD", 0, 9},
	{"HOST/[::1]:", 0, 11},
	{"HOST/[::1]:0", 0, 11},
	{"HOST/web\x01", 0, 8},
	{"HOST/web01\n", 0, 10},
	{"HO\tST/web01", 0, 2},
	{"HOST/web\x7f", 0, 8},
	{"\x1b[31mHOST/web01", 0, 0},
	{"HOST/web\0" "01", 11, 8},     /* embedded NUL */
};

START_TEST(test_parse_bad)
{
	const struct tu_bad_input *c = &parse_bad_cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	struct kd_spn spn, untouched;
	struct kd_error err;

	memset(&spn, 0xa5, sizeof(spn));
	memcpy(&untouched, &spn, sizeof(spn));
	kd_error_clear(&err);
	ck_assert_int_eq(kd_spn_parse(c->text, len, &spn, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_uint_eq(err.offset, c->offset);
	ck_assert_str_ne(err.message, "");
	ck_assert_int_eq(memcmp(&spn, &untouched, sizeof(spn)), 0);
}
END_TEST

START_TEST(test_parse_length)
{
	char text[KD_SPN_MAX + 2];
	struct kd_spn spn;
	struct kd_error err;
	char key[KD_SPN_MAX + 1];

	memset(text, 'a', sizeof(text));
	memcpy(text, "HOST/", 5);
	/* Exactly KD_SPN_MAX parses, one more is an error at byte KD_SPN_MAX. */
	ck_assert_int_eq(kd_spn_parse(text, KD_SPN_MAX, &spn, NULL), 0);
	ck_assert_uint_eq(spn.host_len, KD_SPN_MAX - 5);
	ck_assert_uint_eq(kd_spn_key(&spn, key, sizeof(key)), KD_SPN_MAX);
	ck_assert_uint_eq(kd_spn_key(&spn, key, KD_SPN_MAX), 0);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_spn_parse(text, KD_SPN_MAX + 1, &spn, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.offset, KD_SPN_MAX);
}
END_TEST

/* Only @len bytes are read: an SPN inside a larger buffer. */
START_TEST(test_parse_not_terminated)
{
	const char *text = "HTTP/web01:80/extra";
	struct kd_spn spn;

	ck_assert_int_eq(kd_spn_parse(text, 13, &spn, NULL), 0);
	ck_assert_int_eq(spn.port, 80);
	ck_assert_ptr_null(spn.service_name);
	ck_assert_int_eq(kd_spn_parse(text, 11, &spn, NULL), KD_ERR_PARSE); /* "HTTP/web01:" */
}
END_TEST

START_TEST(test_key_case_insensitive)
{
	static const char *const same[] = {"HTTP/Web01.Corp.Example", "http/web01.corp.example",
					   "HtTp/WEB01.CORP.EXAMPLE"};
	char first[64], key[64];
	struct kd_spn spn;

	for (size_t i = 0; i < ARRAY_LEN(same); i++) {
		ck_assert_int_eq(kd_spn_parse(same[i], strlen(same[i]), &spn, NULL), 0);
		ck_assert_uint_ne(kd_spn_key(&spn, key, sizeof(key)), 0);
		if (i == 0)
			memcpy(first, key, sizeof(key));
		ck_assert_str_eq(key, first);
	}
}
END_TEST

struct key_size_case {
	size_t size;
	size_t ret;
	const char *key;
};

/* "http/web01:80/x" is 15 bytes: 16 fits, 15 does not (the NUL). */
static const struct key_size_case key_size_cases[] = {
	{64, 15, "http/web01:80/x"}, {16, 15, "http/web01:80/x"}, {15, 0, ""},
	{14, 0, ""}, {9, 0, ""}, {1, 0, ""},
};

START_TEST(test_key_size)
{
	const struct key_size_case *c = &key_size_cases[_i];
	struct kd_spn spn;
	char key[64];

	ck_assert_int_eq(kd_spn_parse("HTTP/web01:80/x", 15, &spn, NULL), 0);
	memset(key, 'Z', sizeof(key));
	ck_assert_uint_eq(kd_spn_key(&spn, key, c->size), c->ret);
	ck_assert_str_eq(key, c->key);
	for (size_t i = c->size; i < sizeof(key); i++)
		ck_assert_int_eq(key[i], 'Z');
	/* size 0: nothing written at all */
	ck_assert_uint_eq(kd_spn_key(&spn, key + 63, 0), 0);
	ck_assert_int_eq(key[63], 'Z');
}
END_TEST

struct with_class_case {
	const char *text;
	const char *new_class;
	const char *key;
};

static const struct with_class_case with_class_cases[] = {
	{"CIFS/FS1.corp.example", "host", "host/fs1.corp.example"},
	{"cifs/fs1", "HOST", "host/fs1"},
	{"HTTP/web01:8080/Svc", "host", "host/web01:8080/svc"},
	{"MSSQLSvc/sql01:PROD", "x", "x/sql01:prod"},
};

START_TEST(test_key_with_class)
{
	const struct with_class_case *c = &with_class_cases[_i];
	struct kd_spn spn;
	char key[64];

	ck_assert_int_eq(kd_spn_parse(c->text, strlen(c->text), &spn, NULL), 0);
	ck_assert_uint_eq(kd_spn_key_with_class(&spn, c->new_class, key, sizeof(key)),
			  strlen(c->key));
	ck_assert_str_eq(key, c->key);
	ck_assert_uint_eq(kd_spn_key_with_class(&spn, c->new_class, key, strlen(c->key)), 0);
}
END_TEST

/* The default table: every alias of ad-facts §6, and classes that are not aliases. */
static const char *const default_aliases[] = {
	"alerter", "appmgmt", "cisvc", "clipsrv", "browser", "dhcp", "dnscache", "replicator",
	"eventlog", "eventsystem", "policyagent", "oakley", "dmserver", "dns", "mcsvc", "fax",
	"msiserver", "ias", "messenger", "netlogon", "netman", "netdde", "netddedsm", "nmagent",
	"plugplay", "protectedstorage", "rasman", "rpclocator", "rpc", "rpcss", "remoteaccess",
	"rsvp", "samss", "scardsvr", "scesrv", "seclogon", "scm", "dcom", "cifs", "spooler",
	"snmp", "schedule", "tapisrv", "trksvr", "trkwks", "ups", "time", "wins", "www", "http",
	"w3svc", "iisadmin", "msdtc",
};

static struct kd_spnmap *default_map;

static void
setup_default(void)
{
	default_map = kd_spnmap_new_default();
	ck_assert_ptr_nonnull(default_map);
}

static void
teardown_default(void)
{
	kd_spnmap_free(default_map);
	default_map = NULL;
}

START_TEST(test_default_aliases)
{
	const char *const *aliases;
	size_t n;

	for (size_t i = 0; i < ARRAY_LEN(default_aliases); i++) {
		const char *a = default_aliases[i];

		ck_assert_msg(kd_spnmap_target(default_map, a, strlen(a)) != NULL, "%s", a);
		ck_assert_str_eq(kd_spnmap_target(default_map, a, strlen(a)), "host");
	}
	n = kd_spnmap_aliases(default_map, "host", &aliases);
	ck_assert_uint_eq(n, ARRAY_LEN(default_aliases));
	ck_assert_uint_eq(n, 53);
	/* In the order of the attribute value. */
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(aliases[i], default_aliases[i]);
	ck_assert_uint_eq(kd_spnmap_aliases(default_map, "HoSt", &aliases), 53);
	ck_assert_uint_eq(kd_spnmap_aliases(default_map, "cifs", &aliases), 0);
	ck_assert_ptr_null(aliases);
}
END_TEST

struct lookup_case {
	const char *service_class;
	const char *target; /* NULL: not an alias */
};

static const struct lookup_case default_lookup_cases[] = {
	{"cifs", "host"}, {"CIFS", "host"}, {"CiFs", "host"}, {"HTTP", "host"},
	{"http", "host"}, {"RPCSS", "host"}, {"msdtc", "host"}, {"DNS", "host"},
	{"host", NULL}, {"HOST", NULL}, {"ldap", NULL}, {"LDAP", NULL}, {"gc", NULL},
	{"GC", NULL}, {"MSSQLSvc", NULL}, {"krbtgt", NULL}, {"wsman", NULL},
	{"TERMSRV", NULL}, {"RestrictedKrbHost", NULL}, {"", NULL}, {"cif", NULL},
	{"cifss", NULL}, {"cifs ", NULL}, {" cifs", NULL},
	{"protectedstoragex", NULL}, /* longer than every alias */
};

START_TEST(test_default_lookup)
{
	const struct lookup_case *c = &default_lookup_cases[_i];
	const char *got = kd_spnmap_target(default_map, c->service_class,
					   strlen(c->service_class));

	if (c->target)
		ck_assert_str_eq(got, c->target);
	else
		ck_assert_ptr_null(got);
}
END_TEST

/* The lookup honours @len: a class inside an SPN buffer, not NUL-terminated. */
START_TEST(test_lookup_from_spn)
{
	const char *text = "CIFS/fs1.corp.example";
	struct kd_spn spn;
	const char *target;
	char key[64];

	ck_assert_int_eq(kd_spn_parse(text, strlen(text), &spn, NULL), 0);
	target = kd_spnmap_target(default_map, spn.service_class, spn.service_class_len);
	ck_assert_str_eq(target, "host");
	ck_assert_uint_ne(kd_spn_key_with_class(&spn, target, key, sizeof(key)), 0);
	ck_assert_str_eq(key, "host/fs1.corp.example");
	ck_assert_ptr_null(kd_spnmap_target(default_map, "httpd", 4 + 1));
	ck_assert_str_eq(kd_spnmap_target(default_map, "httpd", 4), "host");
}
END_TEST

START_TEST(test_null_map)
{
	const char *const *aliases = (const char *const *)&aliases;

	ck_assert_ptr_null(kd_spnmap_target(NULL, "cifs", 4));
	ck_assert_uint_eq(kd_spnmap_aliases(NULL, "host", &aliases), 0);
	ck_assert_ptr_null(aliases);
	kd_spnmap_free(NULL);
}
END_TEST

/* A custom table: several values, mixed case, merged targets, duplicates. */
START_TEST(test_custom_map)
{
	static const char *const values[] = {
		"HOST=CIFS,Http,dup,dup",
		"web=wsman,HTTP,Web,www",        /* http: host wins (first); web: self, dropped */
		"host=rpcss",                    /* merged into host */
		"x=a=b, spaced",                 /* literal '=' and leading space kept */
	};
	size_t lens[ARRAY_LEN(values)];
	struct kd_spnmap *map = NULL;
	struct kd_error err;
	const char *const *aliases;

	for (size_t i = 0; i < ARRAY_LEN(values); i++)
		lens[i] = strlen(values[i]);
	kd_error_clear(&err);
	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, ARRAY_LEN(values), &map, &err),
			 0);
	ck_assert_ptr_nonnull(map);
	ck_assert_str_eq(kd_spnmap_target(map, "cifs", 4), "host");
	ck_assert_str_eq(kd_spnmap_target(map, "HTTP", 4), "host");
	ck_assert_str_eq(kd_spnmap_target(map, "DUP", 3), "host");
	ck_assert_str_eq(kd_spnmap_target(map, "rpcss", 5), "host");
	ck_assert_str_eq(kd_spnmap_target(map, "WSMan", 5), "web");
	ck_assert_str_eq(kd_spnmap_target(map, "www", 3), "web");
	ck_assert_ptr_null(kd_spnmap_target(map, "web", 3));
	ck_assert_ptr_null(kd_spnmap_target(map, "host", 4));
	ck_assert_str_eq(kd_spnmap_target(map, "a=b", 3), "x");
	ck_assert_str_eq(kd_spnmap_target(map, " spaced", 7), "x");
	ck_assert_ptr_null(kd_spnmap_target(map, "spaced", 6));
	ck_assert_ptr_null(kd_spnmap_target(map, "alerter", 7)); /* not the default table */

	ck_assert_uint_eq(kd_spnmap_aliases(map, "HOST", &aliases), 4);
	ck_assert_str_eq(aliases[0], "cifs");
	ck_assert_str_eq(aliases[1], "http");
	ck_assert_str_eq(aliases[2], "dup");
	ck_assert_str_eq(aliases[3], "rpcss");
	ck_assert_uint_eq(kd_spnmap_aliases(map, "web", &aliases), 2);
	ck_assert_str_eq(aliases[0], "wsman");
	ck_assert_str_eq(aliases[1], "www");
	kd_spnmap_free(map);
}
END_TEST

/* The input values need not outlive the table, nor be NUL-terminated. */
START_TEST(test_custom_map_copies)
{
	char value[] = "host=cifs,http###";
	const char *values[] = {value};
	size_t lens[] = {14};
	struct kd_spnmap *map = NULL;

	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, 1, &map, NULL), 0);
	memset(value, 'Q', sizeof(value) - 1);
	ck_assert_str_eq(kd_spnmap_target(map, "http", 4), "host");
	ck_assert_ptr_null(kd_spnmap_target(map, "http###", 7));
	kd_spnmap_free(map);
}
END_TEST

START_TEST(test_empty_map)
{
	struct kd_spnmap *map = NULL;
	const char *const *aliases;

	ck_assert_int_eq(kd_spnmap_new_from_values(NULL, NULL, 0, &map, NULL), 0);
	ck_assert_ptr_nonnull(map);
	ck_assert_ptr_null(kd_spnmap_target(map, "cifs", 4));
	ck_assert_ptr_null(kd_spnmap_target(map, "", 0));
	ck_assert_uint_eq(kd_spnmap_aliases(map, "host", &aliases), 0);
	kd_spnmap_free(map);
}
END_TEST

/* An alias longer than the lookup's stack buffer still works. */
START_TEST(test_long_alias)
{
	char value[2 + 600 + 1];
	char cls[600];
	const char *values[] = {value};
	size_t lens[] = {sizeof(value) - 1};
	struct kd_spnmap *map = NULL;

	memcpy(value, "h=", 2);
	memset(value + 2, 'A', 600);
	value[sizeof(value) - 1] = '\0';
	memset(cls, 'a', sizeof(cls));
	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, 1, &map, NULL), 0);
	ck_assert_str_eq(kd_spnmap_target(map, cls, sizeof(cls)), "h");
	ck_assert_ptr_null(kd_spnmap_target(map, cls, sizeof(cls) - 1));
	kd_spnmap_free(map);
}
END_TEST

struct bad_map_case {
	const char *second; /* the second value; the first is always valid */
	size_t offset;
	const char *message; /* substring */
};

static const struct bad_map_case bad_map_cases[] = {
	{"", 0, "value 2: no '='"},
	{"host", 4, "value 2: no '='"},
	{"host,cifs", 9, "no '='"},
	{"=cifs", 0, "empty target"},
	{"host=", 5, "empty alias"},
	{"host=cifs,", 10, "empty alias"},
	{"host=,cifs", 5, "empty alias"},
	{"host=cifs,,http", 10, "empty alias"},
	{",", 1, "no '='"},
	{"=", 0, "empty target"},
	{"host=ci\x01fs", 7, "control character"},
	{"host=cifs\n", 9, "control character"},
	{"ho\x7fst=cifs", 2, "control character"},
	{"\x1b=cifs", 0, "control character"},
	/* The control check runs first, over the whole value. */
	{"host\t", 4, "control character"},
};

/* A NUL inside a value (length-delimited, so strlen cannot be used). */
START_TEST(test_bad_map_nul)
{
	const char *values[] = {"host=cifs", "h\0st=cifs"};
	size_t lens[] = {9, 9};
	struct kd_spnmap *map = NULL;
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, 2, &map, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.offset, 1);
	ck_assert_ptr_null(map);
}
END_TEST

START_TEST(test_bad_map)
{
	const struct bad_map_case *c = &bad_map_cases[_i];
	const char *values[] = {"host=cifs", c->second};
	size_t lens[] = {9, strlen(c->second)};
	struct kd_spnmap *map = (struct kd_spnmap *)&map; /* must stay untouched */
	struct kd_error err;

	kd_error_clear(&err);
	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, 2, &map, &err), KD_ERR_PARSE);
	ck_assert_int_eq(err.code, KD_ERR_PARSE);
	ck_assert(err.has_offset);
	ck_assert_uint_eq(err.offset, c->offset);
	ck_assert_msg(strstr(err.message, c->message), "message '%s'", err.message);
	ck_assert_ptr_eq(map, (struct kd_spnmap *)&map);
}
END_TEST

/* 20k distinct aliases: build and look every one up (the hash path, not a scan). */
START_TEST(test_big_map)
{
	enum { N = 20000 };
	char *value = malloc(5 + (size_t)N * 8);
	const char *values[1];
	size_t lens[1];
	size_t len = 0;
	struct kd_spnmap *map = NULL;

	ck_assert_ptr_nonnull(value);
	memcpy(value, "host=", 5);
	len = 5;
	for (unsigned int i = 0; i < N; i++) {
		char a[8];
		unsigned int v = i;

		for (int d = 5; d >= 0; d--) {
			a[d] = (char)('A' + v % 26);
			v /= 26;
		}
		a[6] = ',';
		memcpy(value + len, a, i + 1 < N ? 7 : 6);
		len += i + 1 < N ? 7 : 6;
	}
	values[0] = value;
	lens[0] = len;
	ck_assert_int_eq(kd_spnmap_new_from_values(values, lens, 1, &map, NULL), 0);
	for (unsigned int i = 0; i < N; i++)
		ck_assert_str_eq(kd_spnmap_target(map, value + 5 + (size_t)i * 7, 6), "host");
	ck_assert_ptr_null(kd_spnmap_target(map, "zzzzzz", 6));
	kd_spnmap_free(map);
	free(value);
}
END_TEST

static Suite *
kd_spn_suite(void)
{
	Suite *s = suite_create("spn");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_ok, 0, ARRAY_LEN(parse_ok_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, ARRAY_LEN(parse_bad_cases));
	tcase_add_test(tc, test_parse_length);
	tcase_add_test(tc, test_parse_not_terminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("key");
	tcase_add_test(tc, test_key_case_insensitive);
	tcase_add_loop_test(tc, test_key_size, 0, ARRAY_LEN(key_size_cases));
	tcase_add_loop_test(tc, test_key_with_class, 0, ARRAY_LEN(with_class_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("default-map");
	tcase_add_checked_fixture(tc, setup_default, teardown_default);
	tcase_add_test(tc, test_default_aliases);
	tcase_add_loop_test(tc, test_default_lookup, 0, ARRAY_LEN(default_lookup_cases));
	tcase_add_test(tc, test_lookup_from_spn);
	suite_add_tcase(s, tc);

	tc = tcase_create("custom-map");
	tcase_add_test(tc, test_null_map);
	tcase_add_test(tc, test_custom_map);
	tcase_add_test(tc, test_custom_map_copies);
	tcase_add_test(tc, test_empty_map);
	tcase_add_test(tc, test_long_alias);
	tcase_add_loop_test(tc, test_bad_map, 0, ARRAY_LEN(bad_map_cases));
	tcase_add_test(tc, test_bad_map_nul);
	tcase_add_test(tc, test_big_map);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_spn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
