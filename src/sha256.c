/* SPDX-License-Identifier: MIT */
/* SHA-256 through nettle; the names the callers (fingerprints, DN digests) already use. */
#include "config.h"

#include "kdeleg/sha256.h"

void
kd_sha256_init(struct kd_sha256 *ctx)
{
	sha256_init(&ctx->nettle);
}

void
kd_sha256_update(struct kd_sha256 *ctx, const void *data, size_t len)
{
	sha256_update(&ctx->nettle, len, data);
}

void
kd_sha256_final(struct kd_sha256 *ctx, uint8_t digest[KD_SHA256_SIZE])
{
	sha256_digest(&ctx->nettle, KD_SHA256_SIZE, digest);
}
