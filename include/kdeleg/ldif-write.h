/* SPDX-License-Identifier: MIT */
/* Writing entries as RFC 2849 LDIF that the reader (kdeleg/ldif.h) reads back unchanged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"

/*
 * True when @data[0..len) may be written as a plain value: RFC 2849 SAFE-STRING
 * (ASCII without NUL, LF and CR, not beginning with a space, ':' or '<'), and
 * also no other control character and no trailing space, which the RFC lets a
 * writer encode anyway (a trailing space does not survive copy and paste).
 * Everything else, UTF-8 included, is written as base64 ("attr:: ...").
 */
bool kd_ldif_safe_string(const char *data, size_t len);

/*
 * Starts a snapshot: "version: 1" and comments naming the tool, @source (escaped,
 * never more than one line), @when in UTC and the collection @plan ("targeted" or
 * "full", kd_ldif_plan()). KD_ERR_IO when writing fails.
 */
int kd_ldif_write_header(FILE *out, const char *source, const char *plan, time_t when,
			 struct kd_error *err);

/*
 * Ends a complete snapshot of @entries entries with the trailer (kdeleg/ldif.h),
 * which the reader requires of a snapshot that starts with kd_ldif_write_header().
 * Write only once every entry is written and checked. KD_ERR_IO.
 */
int kd_ldif_write_trailer(FILE *out, size_t entries, struct kd_error *err);

/*
 * Writes @entry as one record followed by its empty line, lines never folded
 * (ldapsearch -o ldif-wrap=no). Attributes without values are left out (LDIF
 * cannot say "present, empty"); everything else reads back with kd_ldif_next()
 * as the same DN, names, values and order. Refused before anything is written:
 * a DN that is not UTF-8 without NUL (KD_ERR_PARSE: the reader would refuse it),
 * an attribute name that is not a lower-case RFC 4512 descriptor or numeric OID,
 * or one the reader treats as a record keyword ("dn", "changetype")
 * (KD_ERR_USAGE). Write errors are KD_ERR_IO; stdio buffers, so the caller
 * still checks fflush()/fclose().
 */
int kd_ldif_write_entry(FILE *out, const struct kd_entry *entry, struct kd_error *err);
