/* SPDX-License-Identifier: MIT */
/* Rendering an audit for people (text) and programs (JSON). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"

#define KD_JSON_SCHEMA_VERSION 1

struct kd_report_meta {
	const char *source;      /* "ldif:FILE" now, "ldap://dc" later */
	const char *source_kind; /* "ldif" */
	bool color;              /* ANSI colours in text output */
};

/*
 * Writes the report to @out. The text report escapes every directory string. Both
 * fail with KD_ERR_IO when writing fails (a full disk must not look like success).
 */
int kd_report_text(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		   const struct kd_report_meta *meta, struct kd_error *err);
int kd_report_json(FILE *out, const struct kd_directory *dir, const struct kd_findings *findings,
		   const struct kd_report_meta *meta, struct kd_error *err);
