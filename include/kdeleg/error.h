/* SPDX-License-Identifier: MIT */
/* Error codes and the error record every fallible function fills on failure. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum kd_status {
	KD_OK = 0,
	KD_ERR_NOMEM = -1,     /* allocation failed or a size limit was reached */
	KD_ERR_PARSE = -2,     /* malformed input: LDIF syntax, binary structure, number */
	KD_ERR_IO = -3,        /* reading or writing a file failed */
	KD_ERR_USAGE = -4,     /* the caller asked for something impossible */
	KD_ERR_INCOMPLETE = -5, /* the data is known to be partial (size limit, cut file) */
	KD_ERR_CONNECT = -6     /* a directory server could not be reached, verified or bound to */
};

/*
 * Where and why something failed. Filled only on failure, by the function that
 * detected it; callers above may add context that is still empty (the entry DN,
 * the attribute) with kd_error_set_where(). Plain buffers, nothing to free.
 */
struct kd_error {
	int code;           /* enum kd_status */
	char message[256];  /* the reason, without location */
	char source[256];   /* file name, "<stdin>", or later a DC URI */
	size_t line;        /* 1-based line in source, 0 = unknown */
	char entry[512];    /* the entry DN the data belongs to, "" = unknown */
	char attribute[64]; /* the attribute, "" = unknown */
	size_t offset;      /* byte offset inside the attribute value */
	bool has_offset;
};

/* Resets @err to "no error". @err may be NULL. */
void kd_error_clear(struct kd_error *err);

/*
 * Records @code with a printf-style message; returns @code so that callers can
 * write `return kd_error_set(err, KD_ERR_PARSE, "...")`. @err may be NULL.
 */
int kd_error_set(struct kd_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int kd_error_setv(struct kd_error *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Adds location fields that are still unset; NULL or 0 arguments leave a field alone. */
void kd_error_set_where(struct kd_error *err, const char *source, size_t line, const char *entry,
			const char *attribute);
void kd_error_set_offset(struct kd_error *err, size_t offset);

/*
 * Formats "source:line: entry 'DN' attribute A byte N: message" into @buf,
 * leaving out the parts that are unknown. Directory text is escaped.
 */
void kd_error_format(const struct kd_error *err, char *buf, size_t size);

/* A short constant name for a status code ("parse error", "out of memory"...). */
const char *kd_status_name(int code);
