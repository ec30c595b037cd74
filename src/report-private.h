/* SPDX-License-Identifier: MIT */
/* Pieces the text and JSON reports share (and NDJSON will). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"

/* The rule's ATT&CK ids as an array. */
json_t *kd_report_attack(const struct kd_rule *rule);
/* One finding as the JSON report prints it. */
json_t *kd_report_finding(const struct kd_directory *dir, const struct kd_finding *f);
json_t *kd_report_counts(const struct kd_directory *dir, const struct kd_findings *findings);
json_t *kd_report_summary(const struct kd_findings *findings);
/* Current time, RFC 3339 UTC. */
void kd_report_timestamp(char *buf, size_t size);
