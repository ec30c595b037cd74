/* SPDX-License-Identifier: MIT */
/*
 * Delegation chains for people and programs: a chain as a line of text and as
 * JSON, its severity, and `kdeleg paths` (chains to tier 0 or to one account).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/analyze.h"
#include "kdeleg/directory.h"
#include "kdeleg/error.h"
#include "kdeleg/graph.h"
#include "kdeleg/strbuf.h"

/* A node's name for people: the account name, "domain corp.example", a SID...
 * Directory text as is (callers escape it). Returns @buf or a borrowed string. */
const char *kd_chain_node_name(const struct kd_graph *graph, const struct kd_directory *dir,
			       uint32_t node, char *buf, size_t size);

/*
 * The chain from @start as one line: "WEB01$ --constrained+PT cifs/files01-->
 * FILES01$ --rbcd--> DC1$". Directory text is not escaped here. KD_ERR_NOMEM.
 */
int kd_chain_text(const struct kd_graph *graph, const struct kd_reach *reach,
		  const struct kd_directory *dir, uint32_t start, struct kd_strbuf *out);

/* {path: [{name, sid, kind, ...}], hops: [{kind, evidence}], length, needs, severity,
 * text} for the chain from @start. New reference, NULL on ENOMEM. */
json_t *kd_chain_json(const struct kd_graph *graph, const struct kd_reach *reach,
		      const struct kd_directory *dir, uint32_t start);
/* One node as the chains name it. New reference, NULL on ENOMEM. */
json_t *kd_chain_node_json(const struct kd_graph *graph, const struct kd_directory *dir,
			   uint32_t node);
/* The KD_NEED_* flags as an array of names ("user-ticket"...). */
json_t *kd_chain_needs_json(uint8_t needs);

/*
 * Critical for a chain of up to 3 hops that needs nothing; one level lower for
 * each of: more hops, a front end to make, a conditional or uncertain answer;
 * two for a user's ticket. Never below low.
 */
enum kd_severity kd_chain_severity(uint32_t hops, uint8_t needs);

/* kdeleg paths: which chains. */
struct kd_paths_query {
	const char *from;  /* an account (name, DN or SID), or NULL: every start */
	const char *to;    /* an account, or NULL: tier 0 and the domain */
	uint32_t max_hops; /* 0: no limit */
};

/*
 * {"paths": [...]} for @dir (finished): every chain the query asks for, shortest
 * first. An account that is not in the snapshot is KD_ERR_USAGE naming it.
 * *ret_doc is a new reference. KD_ERR_NOMEM.
 */
int kd_paths(const struct kd_directory *dir, const struct kd_paths_query *query,
	     json_t **ret_doc, struct kd_error *err);
