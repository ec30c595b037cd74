/* SPDX-License-Identifier: MIT */
/* Accepted risks (--accept FILE): findings an admin has signed off, until a date. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kdeleg/analyze.h"
#include "kdeleg/error.h"

/* Limits on the file: an admin's list, not a data set. */
#define KD_ACCEPT_FILE_MAX (4u << 20)
#define KD_ACCEPT_LINE_MAX 4096
#define KD_ACCEPT_ENTRIES_MAX 100000

/* One line of the file (docs/accepted-risks.md). Strings owned by the kd_accept. */
struct kd_acceptance {
	size_t line;                           /* 1-based */
	char fingerprint[KD_FINGERPRINT_SIZE]; /* the finding's */
	char facts[KD_FINGERPRINT_SIZE];       /* "" when the entry has no facts= */
	char expires[11];                      /* YYYY-MM-DD, valid through that day (UTC) */
	char *by;                              /* who accepted it: one word */
	char *reason;                          /* the rest of the line, UTF-8, no controls */
	bool used;                             /* its fingerprint matched a finding */
	bool changed;                          /* ... whose facts differ from facts= */
};

struct kd_accept;

/*
 * Parses @len bytes of @text (not NUL-terminated, any bytes) named @name (for
 * errors). A malformed line fails with KD_ERR_PARSE naming @name and the line;
 * *ret untouched on failure. Free with kd_accept_free().
 */
int kd_accept_parse(const char *text, size_t len, const char *name, struct kd_accept **ret,
		    struct kd_error *err);
/* Reads and parses the file @path (KD_ERR_IO when it cannot be read). */
int kd_accept_load(const char *path, struct kd_accept **ret, struct kd_error *err);
void kd_accept_free(struct kd_accept *acc);
size_t kd_accept_count(const struct kd_accept *acc);
const struct kd_acceptance *kd_accept_entry(const struct kd_accept *acc, size_t i);

/*
 * The digest of what a finding says (its severity and details, keys sorted) as 32
 * hex digits: an entry with facts= stops matching when the finding changes while
 * its fingerprint (rule and account) stays. NULL details give "".
 */
void kd_accept_facts(enum kd_severity severity, const json_t *details,
		     char out[KD_FINGERPRINT_SIZE]);

/*
 * The entry accepting a finding with @fingerprint and @facts on @today (YYYY-MM-DD,
 * UTC), or NULL: no entry, the entry expired, or its facts= differ. Marks the entry
 * used whenever the fingerprint matches (so it is not reported unknown).
 */
struct kd_acceptance *kd_accept_match(struct kd_accept *acc, const char *fingerprint,
				      const char *facts, const char *today);

/*
 * Moves the accepted findings of @findings into @ret_accepted (initialised here),
 * keeping the order, each pointing at its entry through f->acceptance. Fails only on
 * memory (@findings then unchanged).
 */
int kd_accept_apply(struct kd_accept *acc, struct kd_findings *findings,
		    struct kd_findings *ret_accepted, const char *today, struct kd_error *err);

/*
 * After matching on @today: why entry @i deserves a warning (expired; the finding
 * changed; an unknown fingerprint, no such finding now), or NULL. Static text.
 */
const char *kd_accept_warning(const struct kd_accept *acc, size_t i, const char *today);
/* The file's name as given to kd_accept_parse (borrowed from @acc). */
const char *kd_accept_name(const struct kd_accept *acc);

/*
 * kdeleg diff: the entry accepting the finding @f (as a report saves it) on @today, or
 * NULL (also when @acc or @f is NULL).
 */
const struct kd_acceptance *kd_accept_match_json(struct kd_accept *acc, const json_t *f,
						 const char *today);
/*
 * How many findings of @list (JSON findings as a report saves them)
 * @acc accepts on @today; 0 when @acc or @list is NULL.
 */
size_t kd_accept_count_json(struct kd_accept *acc, const json_t *list, const char *today);

/* Today's date in UTC, YYYY-MM-DD, into @buf (at least 11 bytes). */
void kd_accept_today(char *buf, size_t size);

/* {reason, by, expires, line} for the reports. New reference, NULL on ENOMEM. */
json_t *kd_accept_json(const struct kd_acceptance *entry);
