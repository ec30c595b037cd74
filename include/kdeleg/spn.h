/* SPDX-License-Identifier: MIT */
/* Service principal names and the forest's HOST alias table (sPNMappings). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/error.h"

#define KD_SPN_MAX 1024

/*
 * A parsed SPN, "class/host[:port][/name]" (MS-ADTS 2.2.21). The parts point
 * into the text given to kd_spn_parse() and are not NUL-terminated; the caller
 * keeps that text alive.
 */
struct kd_spn {
	const char *service_class;
	size_t service_class_len;
	const char *host;
	size_t host_len;
	bool has_port;
	uint16_t port;
	const char *service_name; /* NULL when absent */
	size_t service_name_len;
};

/*
 * Parses an SPN. Errors (KD_ERR_PARSE with the byte offset): empty class or host,
 * no '/', a port that is not 1..65535 digits, control characters, more than
 * three parts, longer than KD_SPN_MAX. "krbtgt/REALM" parses (host = REALM).
 */
int kd_spn_parse(const char *text, size_t len, struct kd_spn *ret_spn, struct kd_error *err);

/*
 * The canonical key: lower-cased "class/host[:port][/name]". AD compares SPNs
 * case-insensitively. Returns the key length, or 0 when @size is too small.
 */
size_t kd_spn_key(const struct kd_spn *spn, char *buf, size_t size);

/*
 * The same key with the service class replaced by @new_class (for HOST aliases:
 * "cifs/fs1" is served by "host/fs1").
 */
size_t kd_spn_key_with_class(const struct kd_spn *spn, const char *new_class, char *buf,
			     size_t size);

/* The alias table. Opaque; kd_spnmap_free(NULL) is a no-op. */
struct kd_spnmap;

/* AD's default table (one line, host=alerter,appmgmt,...). NULL on ENOMEM. */
struct kd_spnmap *kd_spnmap_new_default(void);
/* Builds a table from the values of sPNMappings ("x=a,b,c" each). KD_ERR_PARSE on
 * a value without '=' or with an empty alias; the offset names the byte. */
int kd_spnmap_new_from_values(const char *const *values, const size_t *lens, size_t count,
			      struct kd_spnmap **ret_map, struct kd_error *err);
void kd_spnmap_free(struct kd_spnmap *map);

/*
 * The class that @service_class is an alias of (lower case, e.g. "host" for
 * "CIFS"), or NULL when it is not an alias.
 */
const char *kd_spnmap_target(const struct kd_spnmap *map, const char *service_class,
			     size_t len);
/* The aliases of @target_class, for "reaches every service of the account" details. */
size_t kd_spnmap_aliases(const struct kd_spnmap *map, const char *target_class,
			 const char *const **ret_aliases);
