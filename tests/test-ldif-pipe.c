/* SPDX-License-Identifier: MIT */
/* Unit tests for the LDIF reader thread (src/ldif-pipe.c): same entries, same errors. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/ldif-pipe.h"
#include "kdeleg/ldif.h"
#include "kdeleg/strbuf.h"

/* A snapshot of @n entries (several batches), base64 and multi-valued attributes,
 * one group whose member list alone is larger than a batch, and @tail at the end. */
static char *
make_snapshot(size_t n, const char *tail, size_t *ret_len)
{
	struct kd_strbuf sb;
	char *copy;

	kd_strbuf_init(&sb, (size_t)256 << 20);
	ck_assert_int_eq(kd_strbuf_puts(&sb, "version: 1\n\n"), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(kd_strbuf_printf(&sb,
						  "# entry %zu\ndn: CN=u%zu,DC=corp,DC=example\n"
						  "objectClass: top\nobjectClass: user\n"
						  "sAMAccountName:: dSV6dQ==\n"
						  "servicePrincipalName: http/h%zu\n"
						  "servicePrincipalName: HOST/h%zu\n"
						  "unwanted: dropped\n\n",
						  i, i, i, i),
				 0);
		if (i == n / 2) {
			ck_assert_int_eq(kd_strbuf_puts(&sb, "dn: CN=big,DC=corp,DC=example\n"
							     "objectClass: group\n"),
					 0);
			for (size_t m = 0; m < 40000; m++)
				ck_assert_int_eq(kd_strbuf_printf(&sb,
								  "member: CN=member number %zu,"
								  "OU=People,DC=corp,DC=example\n",
								  m),
						 0);
			ck_assert_int_eq(kd_strbuf_puts(&sb, "\n"), 0);
		}
	}
	ck_assert_int_eq(kd_strbuf_puts(&sb, tail), 0);
	*ret_len = sb.len;
	copy = malloc(sb.len + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, kd_strbuf_str(&sb), sb.len + 1);
	kd_strbuf_free(&sb);
	return copy;
}

static FILE *
open_mem(const char *data, size_t len)
{
	FILE *f = len ? fmemopen((void *)(uintptr_t)data, len, "r") : tmpfile();

	ck_assert_ptr_nonnull(f);
	return f;
}

static const char *const wanted[] = {"objectclass", "samaccountname", "serviceprincipalname",
				     "member", NULL};

static void
assert_same_entry(const struct kd_entry *a, const struct kd_entry *b)
{
	ck_assert_uint_eq(a->dn_len, b->dn_len);
	ck_assert_mem_eq(a->dn, b->dn, a->dn_len + 1);
	ck_assert_uint_eq(a->line, b->line);
	ck_assert_uint_eq(a->nattrs, b->nattrs);
	for (size_t i = 0; i < a->nattrs; i++) {
		const struct kd_attr *x = &a->attrs[i], *y = &b->attrs[i];

		ck_assert_str_eq(x->name, y->name);
		ck_assert_uint_eq(x->line, y->line);
		ck_assert_uint_eq(x->nvalues, y->nvalues);
		for (size_t j = 0; j < x->nvalues; j++) {
			ck_assert_uint_eq(x->values[j].len, y->values[j].len);
			/* the NUL after each value is part of the contract */
			ck_assert_mem_eq(x->values[j].data, y->values[j].data, x->values[j].len + 1);
		}
	}
}

/* Reads @data both ways side by side; returns the common final status. */
static int
compare_readers(const char *data, size_t len, size_t *ret_entries, struct kd_error *ret_err)
{
	FILE *f1 = open_mem(data, len), *f2 = open_mem(data, len);
	struct kd_ldif *direct = NULL;
	struct kd_ldif_pipe *pipe = NULL;
	struct kd_error err1, err2;
	size_t entries = 0;
	int r1, r2;

	kd_error_clear(&err1);
	kd_error_clear(&err2);
	ck_assert_int_eq(kd_ldif_open(f1, "snap.ldif", wanted, &direct, &err1), 0);
	ck_assert_int_eq(kd_ldif_pipe_open(f2, "snap.ldif", wanted, &pipe, &err2), 0);
	for (;;) {
		const struct kd_entry *a = NULL, *b = NULL;

		r1 = kd_ldif_next(direct, &a, &err1);
		r2 = kd_ldif_pipe_next(pipe, &b, &err2);
		ck_assert_int_eq(r1, r2);
		if (r1 < 0)
			break;
		ck_assert_int_eq(a == NULL, b == NULL);
		if (!a)
			break;
		assert_same_entry(a, b);
		entries++;
	}
	ck_assert_int_eq(err1.code, err2.code);
	ck_assert_str_eq(err1.message, err2.message);
	ck_assert_str_eq(err1.source, err2.source);
	ck_assert_uint_eq(err1.line, err2.line);
	ck_assert_str_eq(err1.entry, err2.entry);
	/* the end, clean or not, stays the end */
	{
		const struct kd_entry *again = (const struct kd_entry *)1;

		ck_assert_int_eq(kd_ldif_pipe_next(pipe, &again, &err2), r1);
		ck_assert_ptr_null(again);
	}
	kd_ldif_free(direct);
	kd_ldif_pipe_free(pipe);
	fclose(f1);
	fclose(f2);
	*ret_entries = entries;
	*ret_err = err1;
	return r1;
}

START_TEST(test_same_entries)
{
	size_t len, entries;
	char *data = make_snapshot(20000, "", &len);
	struct kd_error err;

	ck_assert_int_eq(compare_readers(data, len, &entries, &err), 0);
	ck_assert_uint_eq(entries, 20001);
	free(data);
}
END_TEST

/* A broken line after many entries: every entry before it, then the same error. */
START_TEST(test_error_after_entries)
{
	size_t len, entries;
	char *data = make_snapshot(9000, "dn: CN=last,DC=corp,DC=example\nno separator here\n\n",
				   &len);
	struct kd_error err;

	ck_assert_int_eq(compare_readers(data, len, &entries, &err), KD_ERR_PARSE);
	ck_assert_uint_eq(entries, 9001);
	ck_assert_uint_gt(err.line, 9000);
	free(data);
}
END_TEST

/* A file cut inside an entry, and small inputs: one entry, none, an empty file. */
START_TEST(test_small_and_cut)
{
	static const char *const inputs[] = {
		"dn: CN=a,DC=x\nobjectClass: user\n\n",
		"dn: CN=a,DC=x\nobjectClass: user\n",
		"version: 1\n",
		"",
		"dn: CN=a,DC=x\nobjectClass:: !!!!\n\n",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t entries;
		struct kd_error err;

		compare_readers(inputs[i], strlen(inputs[i]), &entries, &err);
	}
}
END_TEST

/* The caller may stop at any point: the thread is stopped and joined, nothing leaks
 * (the sanitizer builds check) and nothing hangs. */
START_TEST(test_stop_early)
{
	size_t len;
	char *data = make_snapshot(30000, "", &len);

	for (size_t stop = 0; stop < 3; stop++) {
		FILE *f = open_mem(data, len);
		struct kd_ldif_pipe *pipe = NULL;
		struct kd_error err;
		const struct kd_entry *e;

		ck_assert_int_eq(kd_ldif_pipe_open(f, "snap.ldif", wanted, &pipe, &err), 0);
		for (size_t i = 0; i < stop * 5000; i++) {
			ck_assert_int_eq(kd_ldif_pipe_next(pipe, &e, &err), 0);
			ck_assert_ptr_nonnull(e);
		}
		kd_ldif_pipe_free(pipe);
		fclose(f);
	}
	kd_ldif_pipe_free(NULL);
	free(data);
}
END_TEST

static Suite *
kd_ldif_pipe_suite(void)
{
	Suite *s = suite_create("ldif-pipe");
	TCase *tc = tcase_create("pipe");

	tcase_add_test(tc, test_same_entries);
	tcase_add_test(tc, test_error_after_entries);
	tcase_add_test(tc, test_small_and_cut);
	tcase_add_test(tc, test_stop_early);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kd_ldif_pipe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
