/* SPDX-License-Identifier: MIT */
/* Tests for the LDIF reader: accepted forms, every error with its line, cuts, limits. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif.h"
#include "kdeleg/strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* fmemopen() refuses size 0 on some libcs: an empty input is an empty tmpfile(). */
static FILE *
open_mem(const char *data, size_t len)
{
	FILE *f = len ? fmemopen((void *)(uintptr_t)data, len, "r") : tmpfile();

	ck_assert_ptr_nonnull(f);
	return f;
}

/*
 * Reads every entry of @data and writes them as text into @out:
 * "DN{name=[v][v];name=[v]}\n" per entry, values escaped. Returns the final status.
 */
static int
dump(const char *data, size_t len, const char *const *wanted, struct kd_strbuf *out,
     struct kd_error *err)
{
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	FILE *f = open_mem(data, len);
	int r;

	kd_error_clear(err);
	r = kd_ldif_open(f, "test.ldif", wanted, &l, err);
	ck_assert_int_eq(r, 0);
	while ((r = kd_ldif_next(l, &e, err)) == 0 && e) {
		kd_strbuf_append_safe(out, e->dn, e->dn_len);
		ck_assert_int_eq(e->dn[e->dn_len], '\0');
		kd_strbuf_puts(out, "{");
		for (size_t i = 0; i < e->nattrs; i++) {
			const struct kd_attr *a = &e->attrs[i];

			kd_strbuf_printf(out, "%s%s=", i ? ";" : "", a->name);
			ck_assert_uint_gt(a->nvalues, 0);
			for (size_t j = 0; j < a->nvalues; j++) {
				ck_assert_int_eq(a->values[j].data[a->values[j].len], '\0');
				kd_strbuf_puts(out, "[");
				kd_strbuf_append_safe(out, a->values[j].data, a->values[j].len);
				kd_strbuf_puts(out, "]");
			}
		}
		kd_strbuf_puts(out, "}\n");
	}
	kd_ldif_free(l);
	fclose(f);
	return r;
}

/* ---- accepted forms ---- */

#define KDELEG_HEADER "version: 1\n# kdeleg collect: a directory snapshot\n# source: ldaps://dc\n\n"

static const struct accept_case {
	const char *name;
	const char *input;
	const char *expect;
} accept_cases[] = {
	{"empty file", "", ""},
	{"only version", "version: 1\n", ""},
	{"version and empty line", "version: 1\n\n", ""},
	{"only comments", "# a\n#b\n", ""},
	{"one entry", "dn: CN=a,DC=x\ncn: a\n\n", "CN=a,DC=x{cn=[a]}\n"},
	{"version then entry without empty line", "version: 1\ndn: CN=a\ncn: a\n\n",
	 "CN=a{cn=[a]}\n"},
	{"crlf", "version: 1\r\n\r\ndn: CN=a\r\ncn: a\r\ncn: b\r\n\r\n",
	 "CN=a{cn=[a][b]}\n"},
	{"mixed lf and crlf", "dn: CN=a\r\ncn: a\n\r\n", "CN=a{cn=[a]}\n"},
	{"names are case-insensitive and merge", "dn: CN=a\nCN: a\ncn: b\nCn: c\n\n",
	 "CN=a{cn=[a][b][c]}\n"},
	{"DN keyword in capitals", "DN: CN=a\ncn: a\n\n", "CN=a{cn=[a]}\n"},
	{"values of one attribute apart", "dn: CN=a\ncn: a\nsn: s\ncn: b\n\n",
	 "CN=a{cn=[a][b];sn=[s]}\n"},
	{"fill spaces stripped", "dn:    CN=a\ncn:   a b \n\n", "CN=a{cn=[a b ]}\n"},
	{"no space after colon", "dn:CN=a\ncn:a\n\n", "CN=a{cn=[a]}\n"},
	{"empty values", "dn: CN=a\ncn:\nsn: \nx::\n\n", "CN=a{cn=[];sn=[];x=[]}\n"},
	{"empty dn (root DSE)", "dn:\nnamingcontexts: DC=x\n\n", "{namingcontexts=[DC=x]}\n"},
	{"base64 dn and value",
	 "dn:: Q049SsO8cmdlbg==\ndescription:: R3LDvMOfZQ==\n\n",
	 "CN=J\xc3\xbcrgen{description=[Gr\xc3\xbc\xc3\x9f" "e]}\n"},
	{"base64 binary value", "dn: CN=a\nobjectSid:: AQUAAP8=\n\n",
	 "CN=a{objectsid=[\\x01\\x05\\x00\\x00\\xff]}\n"},
	{"base64 all paddings", "dn: CN=a\nx:: YQ==\nx:: YWI=\nx:: YWJj\n\n",
	 "CN=a{x=[a][ab][abc]}\n"},
	{"utf-8 plain value", "dn: CN=a\ncn: K\xc3\xb6ln \xe2\x82\xac \xf0\x9f\x94\x91\n\n",
	 "CN=a{cn=[K\xc3\xb6ln \xe2\x82\xac \xf0\x9f\x94\x91]}\n"},
	{"tab and control in plain value (RFC SAFE-CHAR)", "dn: CN=a\ncn: a\tb\x01\n\n",
	 "CN=a{cn=[a\\tb\\x01]}\n"},
	{"folded value", "dn: CN=a\ncn: hel\n lo\n  world\n\n", "CN=a{cn=[hello world]}\n"},
	{"folded dn", "dn: CN=a,\n DC=x\ncn: a\n\n", "CN=a,DC=x{cn=[a]}\n"},
	{"folded attribute name", "dn: CN=a\nservicePrinc\n ipalName: x\n\n",
	 "CN=a{serviceprincipalname=[x]}\n"},
	{"folding inside base64", "dn: CN=a\nx:: YW\n Jj\n ZGVm\n\n", "CN=a{x=[abcdef]}\n"},
	{"folding inside base64 with crlf", "dn: CN=a\r\nx:: YW\r\n JjZA\r\n ==\r\n\r\n",
	 "CN=a{x=[abcd]}\n"},
	{"folding splits a utf-8 character", "dn: CN=a\ncn: K\xc3\n \xb6ln\n\n",
	 "CN=a{cn=[K\xc3\xb6ln]}\n"},
	{"continuation of one space adds nothing", "dn: CN=a\ncn: ab\n \n\n",
	 "CN=a{cn=[ab]}\n"},
	{"comments anywhere", "# top\ndn: CN=a\n# inside\ncn: a\n#\n\n# after\n",
	 "CN=a{cn=[a]}\n"},
	{"folded comment", "# a long\n  comment\ndn: CN=a\n# in\n side\ncn: a\n\n",
	 "CN=a{cn=[a]}\n"},
	{"comment before dn without empty line (ldapsearch -L)",
	 "version: 1\n\n# a, x\ndn: CN=a\ncn: a\n\n# search result\n\n# numResponses: 2\n",
	 "CN=a{cn=[a]}\n"},
	{"refldap comment (-LLL reference)",
	 "dn: CN=a\ncn: a\n\n# refldap://DomainDnsZones.x/DC=DomainDnsZones,DC=x\n\n",
	 "CN=a{cn=[a]}\n"},
	{"paged -LLL: comments between pages",
	 "dn: CN=a\ncn: a\n\n# pagedresults: cookie=AAA=\ndn: CN=b\ncn: b\n\n"
	 "# pagedresults: cookie=\n",
	 "CN=a{cn=[a]}\nCN=b{cn=[b]}\n"},
	{"several empty lines between entries", "dn: CN=a\ncn: a\n\n\n\ndn: CN=b\ncn: b\n\n",
	 "CN=a{cn=[a]}\nCN=b{cn=[b]}\n"},
	{"result trailer (ldapsearch without -L)",
	 "# extended LDIF\n#\n\n# a\ndn: CN=a\ncn: a\n\n# search result\nsearch: 2\n"
	 "result: 0 Success\n\n# numResponses: 2\n# numEntries: 1\n",
	 "CN=a{cn=[a]}\n"},
	{"result trailer per page, with controls",
	 "dn: CN=a\ncn: a\n\nsearch: 2\nresult: 0 Success\ncontrol: 1.2.840.113556.1.4.319 "
	 "false MAQCAQA=\npagedresults: cookie=AAA=\n\n# numResponses: 2\ndn: CN=b\ncn: b\n\n"
	 "search: 3\nresult: 0 Success\n\n",
	 "CN=a{cn=[a]}\nCN=b{cn=[b]}\n"},
	{"result trailer at end of file", "dn: CN=a\ncn: a\n\nsearch: 2\nresult: 0 Success\n",
	 "CN=a{cn=[a]}\n"},
	{"result with text and matchedDN",
	 "search: 2\nresult: 0 Success\ntext: fine\nmatchedDN: DC=x\n\n", ""},
	{"ref record (ldapsearch without -L)",
	 "dn: CN=a\ncn: a\n\n# search reference\nref: ldap://x/DC=y\n\n", "CN=a{cn=[a]}\n"},
	{"binary option dropped", "dn: CN=a\nuserCertificate;binary:: YQ==\n\n",
	 "CN=a{usercertificate=[a]}\n"},
	{"other options merge into the base name",
	 "dn: CN=a\ndescription;lang-en: e\ndescription: p\ndescription;lang-de;x-1: d\n\n",
	 "CN=a{description=[e][p][d]}\n"},
	{"numeric OID name", "dn: CN=a\n1.2.840.113556.1.4.8: 512\n\n",
	 "CN=a{1.2.840.113556.1.4.8=[512]}\n"},
	{"range single final chunk", "dn: CN=g\nmember;range=0-*: a\nmember;range=0-*: b\n\n",
	 "CN=g{member=[a][b]}\n"},
	{"range two chunks", "dn: CN=g\nmember;range=0-1: a\nmember;range=0-1: b\n"
	 "member;range=2-*: c\n\n",
	 "CN=g{member=[a][b][c]}\n"},
	{"range out of order",
	 "dn: CN=g\nmember;range=2-*: c\nmember;range=0-1: a\nmember;range=0-1: b\n\n",
	 "CN=g{member=[c][a][b]}\n"},
	{"range with other attributes between",
	 "dn: CN=g\nmember;range=0-0: a\ncn: g\nmember;range=1-*: b\n\n",
	 "CN=g{member=[a][b];cn=[g]}\n"},
	{"range option case and binary", "dn: CN=g\nMember;Range=0-*;binary: a\n\n",
	 "CN=g{member=[a]}\n"},
	{"two ranged attributes", "dn: CN=g\nmember;range=0-0: a\nmember;range=1-*: b\n"
	 "msds-x;range=0-*: c\n\n",
	 "CN=g{member=[a][b];msds-x=[c]}\n"},
	{"plain value may contain colons and <", "dn: CN=a\nurl: http://x/<y>\n\n",
	 "CN=a{url=[http://x/<y>]}\n"},
	{"changetype as a value is fine", "dn: CN=a\ndescription: changetype: add\n\n",
	 "CN=a{description=[changetype: add]}\n"},
	/* kdeleg collect's snapshots: a header, the entries, the trailer that counts them */
	{"kdeleg snapshot", KDELEG_HEADER "dn: CN=a\ncn: a\n\n# kdeleg collect complete: 1 entries\n",
	 "CN=a{cn=[a]}\n"},
	{"empty kdeleg snapshot", KDELEG_HEADER "# kdeleg collect complete: 0 entries\n", ""},
	{"kdeleg snapshot, crlf", "version: 1\r\n# kdeleg collect: x\r\n\r\ndn: CN=a\r\n"
	 "cn: a\r\n\r\n# kdeleg collect complete: 1 entries\r\n", "CN=a{cn=[a]}\n"},
	{"a trailer is checked without a header too",
	 "dn: CN=a\ncn: a\n\n# kdeleg collect complete: 1 entries\n", "CN=a{cn=[a]}\n"},
	{"the header only counts before the first record",
	 "dn: CN=a\ncn: a\n\n# kdeleg collect: x\n", "CN=a{cn=[a]}\n"},
	{"other kdeleg comments are comments", "# kdeleg\n# kdeleg collect complete\n"
	 "# kdeleg collect complete:\tx\ndn: CN=a\ncn: a\n\n", "CN=a{cn=[a]}\n"},
	{"a folded trailer is a comment", "dn: CN=a\ncn: a\n\n# kdeleg collect complete: 7\n"
	 "  entries\n", "CN=a{cn=[a]}\n"},
};

START_TEST(test_accept)
{
	const struct accept_case *c = &accept_cases[_i];
	struct kd_strbuf out;
	struct kd_error err;
	int r;

	kd_strbuf_init(&out, 1 << 20);
	r = dump(c->input, strlen(c->input), NULL, &out, &err);
	ck_assert_msg(r == 0, "%s: status %d: %s (line %zu)", c->name, r, err.message, err.line);
	ck_assert_msg(strcmp(kd_strbuf_str(&out), c->expect) == 0, "%s:\n got  %s\n want %s",
		      c->name, kd_strbuf_str(&out), c->expect);
	kd_strbuf_free(&out);
}
END_TEST

/* ---- the trailer of kdeleg collect's snapshots ---- */

#define NUL_LINE "# kdeleg collect complete: 1\0 entries"

static const struct trailer_case {
	const char *line;
	int ret; /* 1 a trailer, 0 not one, KD_ERR_PARSE a malformed one */
	size_t entries;
	size_t len; /* 0: strlen(line) */
} trailer_cases[] = {
	{"# kdeleg collect complete: 0 entries", 1, 0, 0},
	{"# kdeleg collect complete: 1 entries", 1, 1, 0},
	{"# kdeleg collect complete: 1234567 entries", 1, 1234567, 0},
	{"# kdeleg collect complete: 18446744073709551614 entries", 1, SIZE_MAX - 1, 0},
	{"# kdeleg collect complete: 18446744073709551615 entries", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: 00 entries", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: 07 entries", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: 7 entries ", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: 7 Entries", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: 7", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: ", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: x entries", KD_ERR_PARSE, 0, 0},
	{"# kdeleg collect complete: -1 entries", KD_ERR_PARSE, 0, 0},
	{NUL_LINE, KD_ERR_PARSE, 0, sizeof(NUL_LINE) - 1},
	{"# kdeleg collect complete:", 0, 0, 0},
	{"# kdeleg collect: a directory snapshot", 0, 0, 0},
	{"# Kdeleg collect complete: 1 entries", 0, 0, 0},
	{"", 0, 0, 0},
};

START_TEST(test_trailer_parse)
{
	const struct trailer_case *c = &trailer_cases[_i];
	size_t n = 77;

	ck_assert_int_eq(kd_ldif_parse_trailer(c->line, c->len ? c->len : strlen(c->line), &n),
			 c->ret);
	ck_assert_uint_eq(n, c->ret == 1 ? c->entries : 77);
}
END_TEST

/* ---- refused forms: code, line, a piece of the message ---- */

static const struct reject_case {
	const char *name;
	const char *input;
	int code;
	size_t line;
	const char *message;
} reject_cases[] = {
	{"url value", "dn: CN=a\njpegPhoto:< file:///etc/passwd\n\n", KD_ERR_PARSE, 2,
	 "URL values are not supported"},
	/* kdeleg snapshots: incomplete without their true trailer */
	{"kdeleg snapshot without trailer", KDELEG_HEADER "dn: CN=a\ncn: a\n\n",
	 KD_ERR_INCOMPLETE, 7, "ends without its trailer"},
	{"kdeleg header alone", KDELEG_HEADER, KD_ERR_INCOMPLETE, 4, "ends without its trailer"},
	{"trailer counts more", KDELEG_HEADER "dn: CN=a\ncn: a\n\n# kdeleg collect complete: 2 "
	 "entries\n", KD_ERR_INCOMPLETE, 8, "counts 2 entries, the snapshot has 1"},
	{"trailer counts fewer", "dn: CN=a\n\ndn: CN=b\n\n# kdeleg collect complete: 1 entries\n",
	 KD_ERR_INCOMPLETE, 5, "counts 1 entries, the snapshot has 2"},
	{"entry after the trailer", KDELEG_HEADER "# kdeleg collect complete: 0 entries\n"
	 "dn: CN=b\ncn: b\n\n", KD_ERR_PARSE, 6, "goes on after its kdeleg trailer"},
	{"empty line after the trailer", "# kdeleg collect complete: 0 entries\n\n",
	 KD_ERR_PARSE, 2, "goes on after"},
	{"a kdeleg snapshot after another file: its version line",
	 "dn: CN=a\ncn: a\n\n" KDELEG_HEADER "dn: CN=b\ncn: b\n\n", KD_ERR_PARSE, 4,
	 "were two files concatenated?"},
	{"two collected snapshots concatenated", KDELEG_HEADER "dn: CN=a\ncn: a\n\n"
	 "# kdeleg collect complete: 1 entries\n" KDELEG_HEADER, KD_ERR_PARSE, 9,
	 "two snapshots concatenated?"},
	{"comment after the trailer", "# kdeleg collect complete: 0 entries\n# x\n",
	 KD_ERR_PARSE, 2, "goes on after"},
	{"trailer inside an entry", "dn: CN=a\n# kdeleg collect complete: 1 entries\ncn: a\n\n",
	 KD_ERR_PARSE, 2, "inside the record"},
	{"trailer with leading zero", "# kdeleg collect complete: 01 entries\n", KD_ERR_PARSE, 1,
	 "malformed kdeleg trailer"},
	{"trailer in the singular", "# kdeleg collect complete: 1 entry\n", KD_ERR_PARSE, 1,
	 "malformed kdeleg trailer"},
	{"trailer with a sign", "# kdeleg collect complete: +1 entries\n", KD_ERR_PARSE, 1,
	 "malformed"},
	{"trailer with two spaces", "# kdeleg collect complete:  1 entries\n", KD_ERR_PARSE, 1,
	 "malformed"},
	{"trailer with more after it", "# kdeleg collect complete: 1 entries, ok\n", KD_ERR_PARSE,
	 1, "malformed"},
	{"trailer without a count", "# kdeleg collect complete:  entries\n", KD_ERR_PARSE, 1,
	 "malformed"},
	{"trailer overflowing", "# kdeleg collect complete: 18446744073709551616 entries\n",
	 KD_ERR_PARSE, 1, "malformed"},
	{"url dn", "dn:< file:///x\n\n", KD_ERR_PARSE, 1, "URL values"},
	{"version 2", "version: 2\ndn: CN=a\n\n", KD_ERR_PARSE, 1, "unsupported LDIF version '2'"},
	{"version 1 after an entry", "dn: CN=a\ncn: a\n\nversion: 1\n\n", KD_ERR_PARSE, 4,
	 "version line must come first"},
	{"version twice", "version: 1\nversion: 1\n", KD_ERR_PARSE, 2, "expected 'dn:'"},
	{"record without dn", "cn: a\n\n", KD_ERR_PARSE, 1, "expected 'dn:' at the start"},
	{"record without dn after an entry", "dn: CN=a\ncn: a\n\ncn: b\n\n", KD_ERR_PARSE, 4,
	 "expected 'dn:'"},
	{"changetype", "dn: CN=a\nchangetype: add\ncn: a\n\n", KD_ERR_PARSE, 2,
	 "change records are not snapshots"},
	{"changetype after control", "dn: CN=a\ncontrol: 1.2.3 true\nchangeType: modify\n\n",
	 KD_ERR_PARSE, 3, "change records"},
	{"dash line", "dn: CN=a\ncn: a\n-\n\n", KD_ERR_PARSE, 3, "change records"},
	{"dash line at record start", "-\n", KD_ERR_PARSE, 1, "change records"},
	{"second dn", "dn: CN=a\ncn: a\ndn: CN=b\n\n", KD_ERR_PARSE, 3, "second dn:"},
	{"dn with option", "dn;x: CN=a\n\n", KD_ERR_PARSE, 1, "dn: takes no options"},
	{"line without colon", "dn: CN=a\ncn a\n\n", KD_ERR_PARSE, 2, "expected ':'"},
	{"bad name character", "dn: CN=a\nc_n: a\n\n", KD_ERR_PARSE, 2, "expected ':'"},
	{"name starts with hyphen", "dn: CN=a\n-cn: a\n\n", KD_ERR_PARSE, 2,
	 "expected an attribute name"},
	{"tab at line start", "dn: CN=a\n\tcn: a\n\n", KD_ERR_PARSE, 2,
	 "expected an attribute name"},
	{"bad OID", "dn: CN=a\n1..2: a\n\n", KD_ERR_PARSE, 2, "numeric OID"},
	{"OID ends with dot", "dn: CN=a\n1.2.: a\n\n", KD_ERR_PARSE, 2, "numeric OID"},
	{"empty option", "dn: CN=a\ncn;: a\n\n", KD_ERR_PARSE, 2, "empty option"},
	{"bad option character", "dn: CN=a\ncn;x_y: a\n\n", KD_ERR_PARSE, 2, "option 'x_y'"},
	{"bad range option", "dn: CN=a\nmember;range=1-0: a\n\n", KD_ERR_PARSE, 2,
	 "malformed option"},
	{"range without dash", "dn: CN=a\nmember;range=5: a\n\n", KD_ERR_PARSE, 2,
	 "malformed option"},
	{"range with sign", "dn: CN=a\nmember;range=+0-*: a\n\n", KD_ERR_PARSE, 2,
	 "malformed option"},
	/* the LDAP collector's bound too: SIZE_MAX itself is refused, so HI + 1 is safe */
	{"range bound SIZE_MAX", "dn: CN=a\nmember;range=0-18446744073709551615: a\n\n",
	 KD_ERR_PARSE, 2, "range=LOW-HIGH"},
	{"range overflow", "dn: CN=a\nmember;range=0-99999999999999999999999: a\n\n",
	 KD_ERR_PARSE, 2, "malformed option"},
	{"two ranges", "dn: CN=a\nmember;range=0-*;range=0-*: a\n\n", KD_ERR_PARSE, 2,
	 "two range options"},
	{"continuation at file start", " dn: CN=a\n\n", KD_ERR_PARSE, 1, "no line to continue"},
	{"continuation after empty line", "dn: CN=a\ncn: a\n\n cn: b\n\n", KD_ERR_PARSE, 4,
	 "no line to continue"},
	{"space-only line after empty line", "dn: CN=a\ncn: a\n\n \n", KD_ERR_PARSE, 4,
	 "no line to continue"},
	{"base64 bad length", "dn: CN=a\nx:: YWJ\n\n", KD_ERR_PARSE, 2, "multiple of 4"},
	{"base64 bad character", "dn: CN=a\nx:: YW*j\n\n", KD_ERR_PARSE, 2,
	 "character 0x2a at position 2"},
	{"base64 space inside", "dn: CN=a\nx:: YW Jj\n\n", KD_ERR_PARSE, 2, "multiple of 4"},
	{"base64 trailing space", "dn: CN=a\nx:: YWJj \n\n", KD_ERR_PARSE, 2, "multiple of 4"},
	{"base64 padding in the middle", "dn: CN=a\nx:: YQ==YWJj\n\n", KD_ERR_PARSE, 2,
	 "outside the base64 alphabet"},
	{"base64 three pads", "dn: CN=a\nx:: Y===\n\n", KD_ERR_PARSE, 2, "bad padding"},
	{"base64 four pads", "dn: CN=a\nx:: ====\n\n", KD_ERR_PARSE, 2, "bad padding"},
	{"base64 non-zero pad bits", "dn: CN=a\nx:: YR==\n\n", KD_ERR_PARSE, 2, "bad padding"},
	{"base64 non-zero pad bits (one pad)", "dn: CN=a\nx:: YWJ=\n\n", KD_ERR_PARSE, 2,
	 "bad padding"},
	{"base64 dn not utf-8", "dn:: /w==\n\n", KD_ERR_PARSE, 1, "not UTF-8"},
	{"base64 dn with NUL", "dn:: AA==\n\n", KD_ERR_PARSE, 1, "not UTF-8"},
	{"invalid utf-8 in plain value", "dn: CN=a\ncn: \xff\xfe\n\n", KD_ERR_PARSE, 2,
	 "binary data in a plain value; ldapsearch writes it as base64"},
	{"overlong utf-8", "dn: CN=a\ncn: \xc0\xaf\n\n", KD_ERR_PARSE, 2, "binary data"},
	{"CR inside plain value", "dn: CN=a\ncn: a\rb\n\n", KD_ERR_PARSE, 2, "binary data"},
	{"CR before CRLF", "dn: CN=a\ncn: ab\r\r\n\n", KD_ERR_PARSE, 2, "binary data"},
	{"invalid utf-8 in dn", "dn: CN=\xe9\n\n", KD_ERR_PARSE, 1, "binary data"},
	{"plain value starting with colon", "dn: CN=a\ncn: :x\n\n", KD_ERR_PARSE, 2,
	 "SAFE-INIT-CHAR"},
	{"plain value starting with <", "dn: CN=a\ncn: <x\n\n", KD_ERR_PARSE, 2,
	 "SAFE-INIT-CHAR"},
	{"size limit result", "dn: CN=a\ncn: a\n\nsearch: 2\nresult: 4 Size limit exceeded\n\n",
	 KD_ERR_INCOMPLETE, 5,
	 "the snapshot records LDAP result 4 (Size limit exceeded): it is incomplete"},
	{"time limit result", "search: 2\nresult: 3 Time limit exceeded\n\n", KD_ERR_INCOMPLETE,
	 2, "LDAP result 3 (Time limit exceeded)"},
	{"result without text", "search: 2\nresult: 10\n\n", KD_ERR_INCOMPLETE, 2,
	 "LDAP result 10 ()"},
	{"malformed result", "search: 2\nresult: ok\n\n", KD_ERR_PARSE, 2, "result: CODE TEXT"},
	{"search without result", "search: 2\n\n", KD_ERR_PARSE, 1, "no 'result:' line"},
	{"search without result at eof", "search: 2\n", KD_ERR_INCOMPLETE, 1,
	 "inside the search result"},
	{"entry not ended at eof", "dn: CN=a\ncn: a\n", KD_ERR_INCOMPLETE, 2,
	 "file ends inside the entry begun at line 1"},
	{"second entry not ended", "dn: CN=a\ncn: a\n\ndn: CN=b\ncn: b\n", KD_ERR_INCOMPLETE, 5,
	 "begun at line 4"},
	{"file ends mid-line", "dn: CN=a\ncn: a", KD_ERR_INCOMPLETE, 2,
	 "file ends in the middle of line 2, inside the entry begun at line 1"},
	{"file ends mid-dn", "dn: CN=a\ncn: a\n\ndn: CN", KD_ERR_INCOMPLETE, 4,
	 "middle of line 4: the snapshot looks truncated"},
	{"file ends mid-comment", "dn: CN=a\ncn: a\n\n# numEnt", KD_ERR_INCOMPLETE, 4,
	 "middle of line 4"},
	{"file ends in a continuation", "dn: CN=a\ncn: a\n b", KD_ERR_INCOMPLETE, 3,
	 "middle of line 3"},
	{"file ends after a continuation", "dn: CN=a\ncn: a\n b\n", KD_ERR_INCOMPLETE, 3,
	 "file ends inside the entry"},
	{"range missing final chunk",
	 "dn: CN=g\nmember;range=0-1: a\nmember;range=0-1: b\n\n", KD_ERR_INCOMPLETE, 2,
	 "ranged values 0-1 without the final chunk (2-*); the snapshot is incomplete"},
	{"range gap", "dn: CN=g\nmember;range=0-1: a\nmember;range=3-*: b\n\n",
	 KD_ERR_INCOMPLETE, 2, "ranged values 2-2 are missing before 3-*"},
	{"range not from 0", "dn: CN=g\ncn: g\nmember;range=1500-*: a\n\n", KD_ERR_INCOMPLETE, 3,
	 "ranged values start with 1500-*, values 0-1499 are missing"},
	{"range overlap", "dn: CN=g\nmember;range=0-5: a\nmember;range=3-*: b\n\n",
	 KD_ERR_PARSE, 2, "ranged values 3-* overlap 0-5"},
	{"range two final chunks", "dn: CN=g\nmember;range=0-*: a\nmember;range=1-*: b\n\n",
	 KD_ERR_PARSE, 2, "overlap 0-*"},
	{"range gap out of order", "dn: CN=g\nmember;range=4-*: a\nmember;range=0-1: b\n\n",
	 KD_ERR_INCOMPLETE, 2, "ranged values 2-3 are missing before 4-*"},
	{"range error in second attribute",
	 "dn: CN=g\nmember;range=0-*: a\nx;range=0-0: b\n\n", KD_ERR_INCOMPLETE, 3,
	 "ranged values 0-0 without the final chunk (1-*)"},
	{"error in second entry", "dn: CN=a\ncn: a\n\ndn: CN=b\ncn:: ***\n\n", KD_ERR_PARSE, 5,
	 "multiple of 4"},
	{"folded line error names its first line", "dn: CN=a\ncn:: YW\n Jj\n ZA=\n\n",
	 KD_ERR_PARSE, 2, "multiple of 4"},
	{"crlf line numbers", "dn: CN=a\r\ncn: a\r\n\r\ndn: CN=b\r\nx:: Y\r\n\r\n", KD_ERR_PARSE,
	 5, "multiple of 4"},
};

static void
check_reject(const struct reject_case *c, const char *const *wanted)
{
	struct kd_strbuf out;
	struct kd_error err;
	char formatted[1024];
	int r;

	kd_strbuf_init(&out, 1 << 20);
	r = dump(c->input, strlen(c->input), wanted, &out, &err);
	kd_error_format(&err, formatted, sizeof(formatted));
	ck_assert_msg(r == c->code, "%s: status %d, want %d (%s)", c->name, r, c->code,
		      formatted);
	ck_assert_int_eq(err.code, c->code);
	ck_assert_msg(err.line == c->line, "%s: line %zu, want %zu (%s)", c->name, err.line,
		      c->line, formatted);
	ck_assert_msg(strstr(err.message, c->message), "%s: message '%s' lacks '%s'", c->name,
		      err.message, c->message);
	ck_assert_str_eq(err.source, "test.ldif");
	kd_strbuf_free(&out);
}

START_TEST(test_reject)
{
	check_reject(&reject_cases[_i], NULL);
}
END_TEST

/* Validity does not depend on the filter: a dropped attribute is checked the same way. */
START_TEST(test_reject_filtered)
{
	static const char *const none[] = {"nothing", NULL};
	static const char *const some[] = {"cn", "member", NULL};

	check_reject(&reject_cases[_i], none);
	check_reject(&reject_cases[_i], some);
}
END_TEST

/* A NUL cannot sit in the tables' C strings. */
START_TEST(test_nul)
{
	static const char plain[] = "dn: CN=a\ncn: a\0b\n\n";
	static const char dn[] = "dn: CN=\0\n\n";
	static const char *const none[] = {NULL};
	struct kd_strbuf out;
	struct kd_error err;

	kd_strbuf_init(&out, 1 << 20);
	ck_assert_int_eq(dump(plain, sizeof(plain) - 1, NULL, &out, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.message, "binary data in a plain value"));
	ck_assert_int_eq(dump(plain, sizeof(plain) - 1, none, &out, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_int_eq(dump(dn, sizeof(dn) - 1, NULL, &out, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(err.line, 1);
	kd_strbuf_free(&out);
}
END_TEST

/* Where the error is inside an entry, err names the entry and the attribute. */
START_TEST(test_error_context)
{
	static const char input[] = "dn: CN=a\ncn: a\n\ndn: CN=web,DC=x\nobjectSid:: AQ=A\n\n";
	static const char ranged[] = "dn: CN=g\nmember;range=0-1499: a\n\n";
	struct kd_strbuf out;
	struct kd_error err;
	char buf[1024];

	kd_strbuf_init(&out, 1 << 20);
	ck_assert_int_eq(dump(input, sizeof(input) - 1, NULL, &out, &err), KD_ERR_PARSE);
	ck_assert_str_eq(err.entry, "CN=web,DC=x");
	ck_assert_str_eq(err.attribute, "objectsid");
	ck_assert_uint_eq(err.line, 5);
	kd_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "test.ldif:5: entry 'CN=web,DC=x' attribute objectsid: "),
		      "%s", buf);

	ck_assert_int_eq(dump(ranged, sizeof(ranged) - 1, NULL, &out, &err), KD_ERR_INCOMPLETE);
	kd_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "entry 'CN=g' attribute member: ranged values 0-1499 without "
				  "the final chunk (1500-*); the snapshot is incomplete"),
		      "%s", buf);
	kd_strbuf_free(&out);
}
END_TEST

/* ---- the wanted filter ---- */

START_TEST(test_wanted)
{
	static const char input[] =
		"dn: CN=a\nobjectClass: user\nCN: a\nnTSecurityDescriptor:: AQIDBA==\n"
		"member;range=0-0: x\nmember;range=1-*: y\ndescription: d\n\n"
		"dn: CN=b\ndescription: e\n\n";
	static const char *const wanted[] = {"cn", "member", "objectclass", NULL};
	static const char *const none[] = {NULL};
	struct kd_strbuf out;
	struct kd_error err;

	kd_strbuf_init(&out, 1 << 20);
	ck_assert_int_eq(dump(input, sizeof(input) - 1, wanted, &out, &err), 0);
	ck_assert_str_eq(kd_strbuf_str(&out),
			 "CN=a{objectclass=[user];cn=[a];member=[x][y]}\nCN=b{}\n");
	kd_strbuf_reset(&out);
	ck_assert_int_eq(dump(input, sizeof(input) - 1, none, &out, &err), 0);
	ck_assert_str_eq(kd_strbuf_str(&out), "CN=a{}\nCN=b{}\n");
	kd_strbuf_free(&out);
}
END_TEST

START_TEST(test_wanted_many)
{
	/* more names than the first table size, all found */
	const char *wanted[41];
	char names[40][8];
	struct kd_strbuf in, out;
	struct kd_error err;

	kd_strbuf_init(&in, 1 << 20);
	kd_strbuf_init(&out, 1 << 20);
	kd_strbuf_puts(&in, "dn: CN=a\n");
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "a%d", i);
		wanted[i] = names[i];
		kd_strbuf_printf(&in, "A%d: %d\nz%d: no\n", i, i, i);
	}
	wanted[40] = NULL;
	kd_strbuf_puts(&in, "\n");
	ck_assert_int_eq(dump(kd_strbuf_str(&in), in.len, wanted, &out, &err), 0);
	ck_assert_ptr_null(strstr(kd_strbuf_str(&out), "z"));
	ck_assert_ptr_nonnull(strstr(kd_strbuf_str(&out), ";a39=[39]}"));
	kd_strbuf_free(&in);
	kd_strbuf_free(&out);
}
END_TEST

/* Many distinct attributes in one entry: the per-entry table grows. */
START_TEST(test_many_attributes)
{
	struct kd_strbuf in, out;
	struct kd_error err;
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	FILE *f;

	kd_strbuf_init(&in, 1 << 24);
	kd_strbuf_init(&out, 1 << 20);
	kd_strbuf_puts(&in, "dn: CN=a\n");
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++)
			kd_strbuf_printf(&in, "attr%d: %d\n", i, round);
	kd_strbuf_puts(&in, "\n");
	f = open_mem(kd_strbuf_str(&in), in.len);
	ck_assert_int_eq(kd_ldif_open(f, "x", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->nattrs, 5000);
	for (size_t i = 0; i < e->nattrs; i++) {
		char name[32];

		snprintf(name, sizeof(name), "attr%zu", i);
		ck_assert_str_eq(e->attrs[i].name, name);
		ck_assert_uint_eq(e->attrs[i].nvalues, 2);
		ck_assert_str_eq(e->attrs[i].values[1].data, "1");
	}
	ck_assert_ptr_nonnull(kd_entry_attr(e, "attr4999"));
	kd_ldif_free(l);
	fclose(f);
	kd_strbuf_free(&in);
	kd_strbuf_free(&out);
}
END_TEST

/* ---- the reader's contract ---- */

START_TEST(test_entry_fields)
{
	static const char input[] = "version: 1\n\n# c\ndn: CN=a\ncn: x\nsn: y\ncn: z\n\n"
				    "dn: CN=b\n\n";
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	FILE *f = open_mem(input, sizeof(input) - 1);

	ck_assert_int_eq(kd_ldif_open(f, "s", NULL, &l, &err), 0);
	ck_assert_uint_eq(kd_ldif_entries(l), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_str_eq(e->dn, "CN=a");
	ck_assert_uint_eq(e->dn_len, 4);
	ck_assert_uint_eq(e->line, 4);
	ck_assert_uint_eq(e->nattrs, 2);
	ck_assert_str_eq(e->attrs[0].name, "cn");
	ck_assert_uint_eq(e->attrs[0].line, 5);
	ck_assert_uint_eq(e->attrs[1].line, 6);
	ck_assert_str_eq(kd_entry_value(e, "sn")->data, "y");
	ck_assert_str_eq(e->attrs[0].values[1].data, "z");
	ck_assert_uint_eq(kd_ldif_entries(l), 1);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_str_eq(e->dn, "CN=b");
	ck_assert_uint_eq(e->nattrs, 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_ptr_null(e);
	/* the end stays the end */
	e = (const struct kd_entry *)&err;
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(kd_ldif_entries(l), 2);
	kd_ldif_free(l);
	fclose(f);
}
END_TEST

START_TEST(test_error_sticky)
{
	static const char input[] = "dn: CN=a\ncn: a\n\ndn: CN=b\ncn:: ?\n\ndn: CN=c\n\n";
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL, *before;
	struct kd_error err, again;
	FILE *f = open_mem(input, sizeof(input) - 1);

	ck_assert_int_eq(kd_ldif_open(f, "s", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	before = e;
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), KD_ERR_PARSE);
	ck_assert_ptr_eq(e, before); /* untouched on failure */
	ck_assert_uint_eq(err.line, 5);
	kd_error_clear(&again);
	ck_assert_int_eq(kd_ldif_next(l, &e, &again), KD_ERR_PARSE);
	ck_assert_int_eq(memcmp(&err, &again, sizeof(err)), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, NULL), KD_ERR_PARSE);
	ck_assert_uint_eq(kd_ldif_entries(l), 1);
	kd_ldif_free(l);
	fclose(f);
}
END_TEST

START_TEST(test_api)
{
	static const char *const upper[] = {"cn", "sAMAccountName", NULL};
	struct kd_ldif *l = NULL;
	struct kd_error err;
	FILE *f = open_mem("", 0);

	kd_error_clear(&err);
	ck_assert_int_eq(kd_ldif_open(NULL, "x", NULL, &l, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(kd_ldif_open(f, "x", upper, &l, &err), KD_ERR_USAGE);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(strstr(err.message, "sAMAccountName"));
	kd_ldif_free(NULL);
	/* a NULL source gets a placeholder name */
	ck_assert_int_eq(kd_ldif_open(f, NULL, NULL, &l, &err), 0);
	kd_ldif_free(l);
	fclose(f);
}
END_TEST

/* ---- truncation: cut a valid snapshot at every byte ---- */

static const char *const cut_inputs[] = {
	/* ldapsearch -LLL -o ldif-wrap=no */
	"dn: CN=a,DC=x\nobjectClass: user\nobjectSid:: AQUAAAAAAAUVAAAA\ncn: a\n\n"
	"dn:: Q049YixEQz14\ncn: b\nmember;range=0-0: CN=a\nmember;range=1-*: CN=c\n\n"
	"dn: CN=c,DC=x\ndescription: K\xc3\xb6ln\n\n",
	/* the same folded, CRLF, with -L comments and the plain-mode trailer */
	"version: 1\r\n\r\n# a\r\ndn: CN=a,\r\n DC=x\r\nobjectClass: user\r\nobjectSid:: AQUAAAAA\r\n"
	" AAUVAAAA\r\n\r\n# b\r\ndn:: Q049Yi\r\n xEQz14\r\ncn: b\r\n\r\n# c\r\ndn: CN=c,DC=x\r\n"
	"description: K\xc3\r\n \xb6ln\r\n\r\n# search result\r\nsearch: 2\r\n"
	"result: 0 Success\r\n\r\n# numEntries: 3\r\n",
};

/*
 * Every cut either fails with KD_ERR_INCOMPLETE (never a crash, never another code) or
 * ends after a complete line with no entry open, and then yields a prefix of the
 * entries of the whole input.
 */
START_TEST(test_truncation)
{
	const char *input = cut_inputs[_i];
	size_t total = strlen(input), clean = 0;
	struct kd_strbuf full, out;
	struct kd_error err;

	kd_strbuf_init(&full, 1 << 20);
	kd_strbuf_init(&out, 1 << 20);
	ck_assert_int_eq(dump(input, total, NULL, &full, &err), 0);
	ck_assert_ptr_nonnull(strstr(kd_strbuf_str(&full), "CN=c,DC=x{"));
	for (size_t cut = 0; cut <= total; cut++) {
		char *copy = malloc(cut ? cut : 1);
		int r;

		memcpy(copy, input, cut);
		kd_strbuf_reset(&out);
		r = dump(copy, cut, NULL, &out, &err);
		if (r == 0) {
			ck_assert_msg(cut == 0 || input[cut - 1] == '\n', "cut %zu: accepted mid-line",
				      cut);
			ck_assert_msg(strncmp(kd_strbuf_str(&full), kd_strbuf_str(&out), out.len) == 0,
				      "cut %zu: not a prefix: %s", cut, kd_strbuf_str(&out));
			clean++;
		} else {
			ck_assert_msg(r == KD_ERR_INCOMPLETE, "cut %zu: status %d (%s)", cut, r,
				      err.message);
			ck_assert_uint_gt(err.line, 0);
		}
		free(copy);
	}
	ck_assert_uint_gt(clean, 3);
	kd_strbuf_free(&full);
	kd_strbuf_free(&out);
}
END_TEST

/*
 * The exact rule for the -LLL snapshot: a cut parses cleanly if and only if it falls at
 * the start, or right after the empty line that ends an entry; then it yields exactly
 * the entries before it.
 */
START_TEST(test_truncation_exact)
{
	const char *input = cut_inputs[0];
	size_t total = strlen(input);
	struct kd_error err;

	for (size_t cut = 0; cut <= total; cut++) {
		struct kd_ldif *l = NULL;
		const struct kd_entry *e = NULL;
		char *copy = malloc(cut ? cut : 1);
		size_t n = 0, ends = 0;
		bool boundary = cut == 0;
		FILE *f;
		int r;

		for (size_t i = 1; i < cut; i++)
			if (input[i] == '\n' && input[i - 1] == '\n')
				ends++;
		if (cut >= 2 && input[cut - 1] == '\n' && input[cut - 2] == '\n')
			boundary = true;
		memcpy(copy, input, cut);
		f = open_mem(copy, cut);
		ck_assert_int_eq(kd_ldif_open(f, "cut", NULL, &l, &err), 0);
		while ((r = kd_ldif_next(l, &e, &err)) == 0 && e)
			n++;
		if (boundary) {
			ck_assert_msg(r == 0, "cut %zu: status %d: %s", cut, r, err.message);
			ck_assert_uint_eq(n, ends);
		} else {
			ck_assert_msg(r == KD_ERR_INCOMPLETE, "cut %zu: status %d", cut, r);
			ck_assert_msg(strstr(err.message, "truncated"), "cut %zu: %s", cut,
				      err.message);
		}
		kd_ldif_free(l);
		fclose(f);
		free(copy);
	}
}
END_TEST

/* ---- limits ---- */

START_TEST(test_long_line)
{
	/* a hostile 20 MiB line without a newline, and one with */
	size_t n = (size_t)20 * 1024 * 1024;
	char *big = malloc(n + 16);
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	FILE *f;

	memcpy(big, "dn: CN=a\ncn: ", 13);
	memset(big + 13, 'x', n);
	for (int nl = 0; nl < 2; nl++) {
		size_t len = 13 + n;

		if (nl)
			big[len++] = '\n';
		f = open_mem(big, len);
		ck_assert_int_eq(kd_ldif_open(f, "big", NULL, &l, &err), 0);
		ck_assert_int_eq(kd_ldif_next(l, &e, &err), KD_ERR_NOMEM);
		ck_assert_uint_eq(err.line, 2);
		ck_assert_ptr_nonnull(strstr(err.message, "line longer than 16 MiB"));
		kd_ldif_free(l);
		fclose(f);
	}
	free(big);
}
END_TEST

START_TEST(test_long_folded_line)
{
	/* 17 MiB after unfolding, each physical line short */
	struct kd_strbuf in;
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	char row[1024];
	FILE *f;

	memset(row, 'y', sizeof(row));
	row[0] = ' ';
	row[sizeof(row) - 1] = '\n';
	kd_strbuf_init(&in, (size_t)32 * 1024 * 1024);
	kd_strbuf_puts(&in, "dn: CN=a\ncn: a\ndescription: x\n");
	for (int i = 0; i < 17 * 1024; i++)
		kd_strbuf_append(&in, row, sizeof(row));
	kd_strbuf_puts(&in, "\n");
	f = open_mem(kd_strbuf_str(&in), in.len);
	ck_assert_int_eq(kd_ldif_open(f, "fold", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), KD_ERR_NOMEM);
	ck_assert_uint_eq(err.line, 3);
	ck_assert_ptr_nonnull(strstr(err.message, "16 MiB"));
	kd_ldif_free(l);
	fclose(f);
	kd_strbuf_free(&in);
}
END_TEST

START_TEST(test_big_entry)
{
	/* 15 MiB lines are fine on their own; five of them pass the 64 MiB entry cap */
	size_t n = (size_t)15 * 1024 * 1024;
	struct kd_strbuf in;
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	char *chunk = malloc(n);
	FILE *f;

	memset(chunk, 'z', n);
	kd_strbuf_init(&in, (size_t)96 * 1024 * 1024);
	kd_strbuf_puts(&in, "dn: CN=a\n");
	for (int i = 0; i < 5; i++) {
		kd_strbuf_puts(&in, "description: ");
		kd_strbuf_append(&in, chunk, n);
		kd_strbuf_puts(&in, "\n");
	}
	kd_strbuf_puts(&in, "\n");
	f = open_mem(kd_strbuf_str(&in), in.len);
	ck_assert_int_eq(kd_ldif_open(f, "entry", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), KD_ERR_NOMEM);
	ck_assert_uint_eq(err.line, 6);
	ck_assert_ptr_nonnull(strstr(err.message, "entry longer than 64 MiB"));
	kd_ldif_free(l);
	fclose(f);

	/* four of them are one 60 MiB entry, and the buffers are reused for the next */
	in.len -= 1 + 13 + n + 1;
	kd_strbuf_puts(&in, "\ndn: CN=b\ncn: b\n\n");
	f = open_mem(kd_strbuf_str(&in), in.len);
	ck_assert_int_eq(kd_ldif_open(f, "entry", NULL, &l, &err), 0);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_uint_eq(e->attrs[0].nvalues, 4);
	ck_assert_uint_eq(e->attrs[0].values[3].len, n);
	ck_assert_int_eq(kd_ldif_next(l, &e, &err), 0);
	ck_assert_str_eq(e->dn, "CN=b");
	kd_ldif_free(l);
	fclose(f);
	kd_strbuf_free(&in);
	free(chunk);
}
END_TEST

/* Entries spanning many 256 KiB reads, lines across read boundaries. */
START_TEST(test_many_entries)
{
	struct kd_strbuf in;
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	size_t n = 0;
	FILE *f;

	kd_strbuf_init(&in, (size_t)64 * 1024 * 1024);
	for (int i = 0; i < 50000; i++)
		kd_strbuf_printf(&in,
				 "dn: CN=user%d,DC=x\r\nobjectClass: user\r\nsAMAccountName: u%d\r\n"
				 "objectSid:: AQUAAAAAAAUVAAAA\r\ndescription: %0*d\r\n\r\n",
				 i, i, i % 300, i);
	f = open_mem(kd_strbuf_str(&in), in.len);
	ck_assert_int_eq(kd_ldif_open(f, "many", NULL, &l, &err), 0);
	while (kd_ldif_next(l, &e, &err) == 0 && e) {
		char want[32];

		snprintf(want, sizeof(want), "u%zu", n);
		ck_assert_str_eq(kd_entry_value(e, "samaccountname")->data, want);
		ck_assert_uint_eq(e->line, n * 6 + 1);
		n++;
	}
	ck_assert_uint_eq(n, 50000);
	kd_ldif_free(l);
	fclose(f);
	kd_strbuf_free(&in);
}
END_TEST

/* ---- captured ldapsearch 2.5.13 output (tests/data/ldif) ---- */

static const struct file_case {
	const char *file;
	int code;
	size_t entries;
	size_t line;
} file_cases[] = {
	{"lll-nowrap.ldif", 0, 3, 0},
	{"lll-wrapped.ldif", 0, 3, 0},
	{"lll-ref.ldif", 0, 3, 0},
	{"ll.ldif", 0, 3, 0},
	{"l.ldif", 0, 3, 0},
	{"plain.ldif", 0, 3, 0},
	{"plain-ref.ldif", 0, 3, 0},
	{"bad-lll-cut.ldif", KD_ERR_INCOMPLETE, 2, 38},
	{"bad-lll-range-incomplete.ldif", KD_ERR_INCOMPLETE, 2, 36},
	{"bad-plain-sizelimit.ldif", KD_ERR_INCOMPLETE, 3, 53},
};

START_TEST(test_files)
{
	const struct file_case *c = &file_cases[_i];
	const char *dir = getenv("KD_TEST_DATA");
	struct kd_ldif *l = NULL;
	const struct kd_entry *e = NULL;
	struct kd_error err;
	char path[4096];
	size_t n = 0;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/ldif/%s", dir ? dir : "tests/data", c->file);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_int_eq(kd_ldif_open(f, c->file, NULL, &l, &err), 0);
	while ((r = kd_ldif_next(l, &e, &err)) == 0 && e) {
		n++;
		if (n == 1) {
			ck_assert_str_eq(e->dn, "CN=web01,OU=Servers,DC=corp,DC=example,DC=com");
			ck_assert_uint_eq(kd_entry_attr(e, "objectclass")->nvalues, 5);
			ck_assert_uint_eq(kd_entry_attr(e, "description")->nvalues, 3);
			ck_assert_str_eq(kd_entry_attr(e, "description")->values[0].data,
					 " leading space");
			ck_assert_str_eq(kd_entry_attr(e, "description")->values[1].data,
					 "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
			ck_assert_uint_eq(kd_entry_value(e, "objectsid")->len, 28);
			ck_assert_uint_eq(kd_entry_attr(e, "msds-allowedtodelegateto")->nvalues, 2);
		} else if (n == 2) {
			const struct kd_value *sd;

			ck_assert_str_eq(e->dn, "CN=J\xc3\xbcrgen M\xc3\xbcller,OU=Users,DC=corp,"
						"DC=example,DC=com");
			sd = kd_entry_value(e, "msds-allowedtoactonbehalfofotheridentity");
			ck_assert_uint_eq(sd->len, 512);
			for (size_t i = 0; i < sd->len; i++)
				ck_assert_uint_eq((unsigned char)sd->data[i], i % 256);
		} else if (n == 3) {
			ck_assert_uint_eq(kd_entry_attr(e, "member")->nvalues, 3);
		}
	}
	ck_assert_msg(r == c->code, "%s: status %d: %s", c->file, r, err.message);
	ck_assert_uint_eq(n, c->entries);
	if (c->code)
		ck_assert_uint_eq(err.line, c->line);
	kd_ldif_free(l);
	fclose(f);
}
END_TEST

Suite *kd_ldif_suite(void);

Suite *
kd_ldif_suite(void)
{
	Suite *s = suite_create("ldif");
	TCase *tc;

	tc = tcase_create("accept");
	tcase_add_loop_test(tc, test_accept, 0, (int)ARRAY_SIZE(accept_cases));
	tcase_add_test(tc, test_entry_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("trailer");
	tcase_add_loop_test(tc, test_trailer_parse, 0, (int)ARRAY_SIZE(trailer_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_loop_test(tc, test_reject, 0, (int)ARRAY_SIZE(reject_cases));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_error_context);
	tcase_add_test(tc, test_error_sticky);
	tcase_add_test(tc, test_api);
	suite_add_tcase(s, tc);

	tc = tcase_create("wanted");
	tcase_add_test(tc, test_wanted);
	tcase_add_test(tc, test_wanted_many);
	tcase_add_loop_test(tc, test_reject_filtered, 0, (int)ARRAY_SIZE(reject_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_loop_test(tc, test_truncation, 0, (int)ARRAY_SIZE(cut_inputs));
	tcase_add_test(tc, test_truncation_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_long_folded_line);
	tcase_add_test(tc, test_big_entry);
	tcase_add_test(tc, test_many_entries);
	tcase_add_test(tc, test_many_attributes);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_loop_test(tc, test_files, 0, (int)ARRAY_SIZE(file_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_ldif_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
