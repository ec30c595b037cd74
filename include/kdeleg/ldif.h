/* SPDX-License-Identifier: MIT */
/* Streaming RFC 2849 LDIF reader for ldapsearch snapshots (content records only). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"

struct kd_ldif;

/* The longest logical line (after unfolding) the reader takes; writers stay below. */
#define KD_LDIF_LINE_MAX ((size_t)16 * 1024 * 1024)

/*
 * A snapshot kdeleg collect writes begins with a comment line starting with
 * KD_LDIF_KDELEG_HEADER and ends, when the collection completed, with the trailer
 * "# kdeleg collect complete: N entries" (N the number of entries before it). The
 * reader refuses such a snapshot without a valid trailer: a collection that failed,
 * or a file cut at an entry's end, never passes for the whole directory.
 */
#define KD_LDIF_KDELEG_HEADER "# kdeleg collect:"
#define KD_LDIF_TRAILER_PREFIX "# kdeleg collect complete: "
#define KD_LDIF_TRAILER_SUFFIX " entries"
/* The header's "# plan: targeted" or "# plan: full": how the entries were chosen. */
#define KD_LDIF_PLAN_PREFIX "# plan: "

/*
 * Parses @line[0..len) (untrusted) as the trailer. Returns 1 with the count in
 * *ret_entries, 0 when the line is not a trailer at all (no prefix), or KD_ERR_PARSE
 * when it has the prefix but not the form: the count a strict decimal (no sign, no
 * leading zero but "0", below SIZE_MAX), then the suffix, nothing else.
 */
int kd_ldif_parse_trailer(const char *line, size_t len, size_t *ret_entries);

/*
 * Reads entries from @file (borrowed, not closed) named @source in messages.
 * @wanted, when not NULL, is a NULL-terminated list of lower-case attribute names
 * to keep; others are checked for syntax and dropped without decoding. Memory is
 * bounded by the largest entry, never by the file.
 */
int kd_ldif_open(FILE *file, const char *source, const char *const *wanted,
		 struct kd_ldif **ret_ldif, struct kd_error *err);
void kd_ldif_free(struct kd_ldif *ldif);

/*
 * The next entry in *ret_entry, or NULL at a clean end of file. The entry is valid
 * until the next call. Errors (KD_ERR_PARSE, KD_ERR_INCOMPLETE, KD_ERR_IO,
 * KD_ERR_NOMEM) name the source and line in @err; after an error the reader is done.
 *
 * Accepted: "version: 1", comments (also folded), "# refldap://" references, CRLF,
 * folded lines, "::" base64, attribute options (;binary dropped, ;range=A-B merged
 * and checked to end in '*'), a "search:/result:" trailer as ldapsearch -L writes it
 * (a non-zero result is KD_ERR_INCOMPLETE). Refused: "attr:<" URL values (never
 * followed), change records, bad base64, a line without ':', a continuation with
 * nothing to continue, NUL or invalid UTF-8 in plain values, a file that ends
 * inside an entry (ldapsearch ends every entry with an empty line), and a kdeleg
 * snapshot (KD_LDIF_KDELEG_HEADER before the first record) that does not end with
 * its trailer, whose count differs from the entries read, or that has anything but
 * the end of the file after it (KD_ERR_INCOMPLETE; a malformed trailer is
 * KD_ERR_PARSE).
 */
int kd_ldif_next(struct kd_ldif *ldif, const struct kd_entry **ret_entry, struct kd_error *err);

/* The plan a kdeleg snapshot's header names ("targeted", "full"), NULL when none: read
 * with the first entry (an unknown plan is KD_ERR_PARSE). */
const char *kd_ldif_plan(const struct kd_ldif *ldif);

/* Entries returned so far. */
size_t kd_ldif_entries(const struct kd_ldif *ldif);
