/* SPDX-License-Identifier: MIT */
/* jansson's memory from huge-page chunks, with a free list per size class. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A million-account report is millions of small jansson values. From glibc's heap
 * every fresh 4 KiB page costs a page fault (about 35,000 of them at a million
 * accounts) on top of malloc's bookkeeping. The pool hands out blocks of up to
 * 1 KiB, in 8-byte steps, from 2 MiB chunks on huge pages (kd_large_alloc), and keeps
 * freed blocks for the next request of their size; larger requests go to malloc().
 * Single-threaded, as kdeleg is. Returns false, and changes nothing, in builds with
 * -Darena_malloc=true: there the sanitizers must see jansson's allocations.
 * Install before the first jansson call.
 */
bool kd_json_pool_install(void);

/* Gives the chunks back and jansson malloc() again: every jansson value must be gone. */
void kd_json_pool_release(void);

/* Bytes in chunks, for tests and benchmarks. */
size_t kd_json_pool_mapped(void);
