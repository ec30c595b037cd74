/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for finding fingerprints that directory data cannot forge. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KD_SHA256_SIZE 32

struct kd_sha256 {
	uint32_t state[8];
	uint64_t length; /* bytes hashed so far */
	uint8_t block[64];
	size_t used; /* bytes waiting in block */
};

void kd_sha256_init(struct kd_sha256 *ctx);
void kd_sha256_update(struct kd_sha256 *ctx, const void *data, size_t len);
void kd_sha256_final(struct kd_sha256 *ctx, uint8_t digest[KD_SHA256_SIZE]);
