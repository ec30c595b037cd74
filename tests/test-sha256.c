/* SPDX-License-Identifier: MIT */
/* SHA-256 against the FIPS 180-4 / NIST CAVS vectors, fed whole and byte by byte. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/sha256.h"

struct vector {
	const char *message; /* NULL: a million 'a' */
	const char *digest;
};

static const struct vector vectors[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnop"
	 "qrlmnopqrsmnopqrstnopqrstu",
	 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	/* 55 and 56 bytes: the padding boundary inside one block */
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
	{NULL, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

static void
hex(const uint8_t *digest, char *out)
{
	for (size_t i = 0; i < KD_SHA256_SIZE; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

START_TEST(test_vectors)
{
	const struct vector *v = &vectors[_i];
	struct kd_sha256 whole, bytewise;
	uint8_t digest[KD_SHA256_SIZE];
	char text[2 * KD_SHA256_SIZE + 1];
	char *million = NULL;
	const char *msg = v->message;
	size_t len;

	if (!msg) {
		million = malloc(1000000);
		ck_assert_ptr_nonnull(million);
		memset(million, 'a', 1000000);
		msg = million;
		len = 1000000;
	} else {
		len = strlen(msg);
	}
	kd_sha256_init(&whole);
	kd_sha256_update(&whole, msg, len);
	kd_sha256_final(&whole, digest);
	hex(digest, text);
	ck_assert_str_eq(text, v->digest);

	kd_sha256_init(&bytewise);
	for (size_t i = 0; i < len; i++)
		kd_sha256_update(&bytewise, msg + i, 1);
	kd_sha256_final(&bytewise, digest);
	hex(digest, text);
	ck_assert_str_eq(text, v->digest);
	free(million);
}
END_TEST

static Suite *
sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("vectors");

	tcase_add_loop_test(tc, test_vectors, 0, sizeof(vectors) / sizeof(*vectors));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sha256_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
