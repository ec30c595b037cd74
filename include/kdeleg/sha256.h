/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for finding fingerprints that directory data cannot forge and
 * for DN digests: nettle's, the library GnuTLS (and so libldap) already links.
 */
#pragma once

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#define KD_SHA256_SIZE SHA256_DIGEST_SIZE

struct kd_sha256 {
	struct sha256_ctx nettle;
};

void kd_sha256_init(struct kd_sha256 *ctx);
void kd_sha256_update(struct kd_sha256 *ctx, const void *data, size_t len);
/* Writes the digest and leaves @ctx ready for a new message (nettle resets it). */
void kd_sha256_final(struct kd_sha256 *ctx, uint8_t digest[KD_SHA256_SIZE]);
