/* SPDX-License-Identifier: MIT */
/* `kdeleg paths` rendered: text, JSON, Graphviz dot, and SVG through Graphviz's library. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "kdeleg/error.h"

/*
 * Each writes the document kd_paths() made ({"paths": [...]}) to @out and fails
 * with KD_ERR_IO when writing fails. Directory text is escaped for a terminal
 * (text) or quoted for dot.
 */
int kd_report_paths_text(FILE *out, const json_t *doc, struct kd_error *err);
int kd_report_paths_json(FILE *out, const json_t *doc, struct kd_error *err);
/*
 * A digraph: tier 0 and the domain in a cluster of their own, edges styled by kind,
 * SIDs outside the snapshot drawn dashed, pseudo-nodes as diamonds; each node and
 * each edge once however many chains cross them.
 */
int kd_report_paths_dot(FILE *out, const json_t *doc, struct kd_error *err);
/* True when this build renders SVG in-process (libgvc, -Dgraphviz). */
bool kd_report_svg_available(void);
/* The dot graph laid out and rendered as SVG by libgvc; KD_ERR_USAGE without it. */
int kd_report_paths_svg(FILE *out, const json_t *doc, struct kd_error *err);
