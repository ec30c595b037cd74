/* SPDX-License-Identifier: MIT */
/* Service principal names (MS-ADTS 2.2.21) and the sPNMappings HOST alias table. */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kdeleg/hashtab.h"
#include "kdeleg/spn.h"

static int
spn_error(struct kd_error *err, size_t offset, const char *what)
{
	kd_error_set(err, KD_ERR_PARSE, "SPN: %s", what);
	kd_error_set_offset(err, offset);
	return KD_ERR_PARSE;
}

static inline char
lower_ascii(char c)
{
	/* Only ASCII folds: Windows folds Unicode too, but classes and DNS names are ASCII. */
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Splits "host[:port]" at @text[0..len) (absolute offset @base for errors).
 *
 * A ':' suffix is a port only when it is canonical decimal 1..65535 (no leading
 * zero), so kd_spn_key() reproduces the text byte for byte. Other all-digit
 * suffixes ("0", "65536", "080", "") are errors, as the header says. A suffix
 * with any non-digit stays part of the host: SQL Server registers named
 * instances as "MSSQLSvc/host:INSTANCE" (instance names cannot start with a
 * digit), so "sql01:PROD" is host "sql01:PROD" without a port.
 *
 * IPv6: "[addr]" and "[addr]:port" work as above. A bare host with two or more
 * ':' ("fe80::1") is taken whole, since a port cannot be told apart from the
 * last group.
 */
static int
split_port(const char *text, size_t len, size_t base, struct kd_spn *spn, struct kd_error *err)
{
	size_t colon = len, colons = 0, start, digits;
	uint32_t port = 0;

	if (len > 0 && text[0] == '[') {
		const char *close = memchr(text, ']', len);

		if (!close || (size_t)(close - text) + 1 == len)
			return 0;
		if (close[1] != ':')
			return 0; /* "[x]junk": keep whole, like any other odd host text */
		colon = (size_t)(close - text) + 1;
	} else {
		for (size_t i = 0; i < len; i++) {
			if (text[i] == ':') {
				colon = i;
				colons++;
			}
		}
		if (colons != 1)
			return 0;
	}
	if (colon == 0)
		return spn_error(err, base, "empty host before ':'");
	start = colon + 1;
	digits = 0;
	while (start + digits < len && text[start + digits] >= '0' && text[start + digits] <= '9')
		digits++;
	if (start + digits < len)
		return 0; /* a non-digit: an instance name, part of the host */
	if (digits == 0)
		return spn_error(err, base + start, "empty port after ':'");
	if (text[start] == '0')
		return spn_error(err, base + start, "port is 0 or has a leading zero");
	if (digits > 5)
		return spn_error(err, base + start, "port above 65535");
	for (size_t i = 0; i < digits; i++)
		port = port * 10 + (uint32_t)(text[start + i] - '0');
	if (port > 65535)
		return spn_error(err, base + start, "port above 65535");
	spn->host_len = colon;
	spn->has_port = true;
	spn->port = (uint16_t)port;
	return 0;
}

int
kd_spn_parse(const char *text, size_t len, struct kd_spn *ret_spn, struct kd_error *err)
{
	struct kd_spn spn = {0};
	size_t slash[3], slashes = 0;
	size_t host_end;
	int r;

	if (len > KD_SPN_MAX)
		return spn_error(err, KD_SPN_MAX, "longer than 1024 bytes");
	if (len == 0)
		return spn_error(err, 0, "empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		/* C0 and DEL; bytes >= 0x80 are left to the UTF-8-aware output layer. */
		if (c < 0x20 || c == 0x7f)
			return spn_error(err, i, "control character");
		if (c == '/') {
			if (slashes == 2)
				return spn_error(err, i, "more than three '/'-separated parts");
			slash[slashes++] = i;
		}
	}
	if (slashes == 0)
		return spn_error(err, len, "no '/' after the service class");
	if (slash[0] == 0)
		return spn_error(err, 0, "empty service class");
	host_end = slashes == 2 ? slash[1] : len;
	if (host_end == slash[0] + 1)
		return spn_error(err, slash[0] + 1, "empty host");
	if (slashes == 2 && slash[1] + 1 == len)
		return spn_error(err, len, "empty service name after '/'");

	spn.service_class = text;
	spn.service_class_len = slash[0];
	spn.host = text + slash[0] + 1;
	spn.host_len = host_end - slash[0] - 1;
	r = split_port(spn.host, spn.host_len, slash[0] + 1, &spn, err);
	if (r < 0)
		return r;
	if (slashes == 2) {
		spn.service_name = text + slash[1] + 1;
		spn.service_name_len = len - slash[1] - 1;
	}
	*ret_spn = spn;
	return 0;
}

/* Appends @n lower-cased bytes; false when they (plus a NUL) do not fit. */
static bool
put_lower(char *buf, size_t size, size_t *used, const char *s, size_t n)
{
	if (n >= size - *used)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[*used + i] = lower_ascii(s[i]);
	*used += n;
	return true;
}

static size_t
build_key(const struct kd_spn *spn, const char *cls, size_t cls_len, char *buf, size_t size)
{
	size_t used = 0;
	char port[8];
	size_t port_len = 0;

	if (size == 0)
		return 0;
	if (spn->has_port) {
		/* Decimal by hand: 1..65535, at most 5 digits. */
		char rev[5];
		unsigned int p = spn->port;

		do {
			rev[port_len++] = (char)('0' + p % 10);
			p /= 10;
		} while (p);
		port[0] = ':';
		for (size_t i = 0; i < port_len; i++)
			port[1 + i] = rev[port_len - 1 - i];
		port_len++;
	}
	if (!put_lower(buf, size, &used, cls, cls_len) || !put_lower(buf, size, &used, "/", 1) ||
	    !put_lower(buf, size, &used, spn->host, spn->host_len) ||
	    !put_lower(buf, size, &used, port, port_len))
		goto too_small;
	if (spn->service_name &&
	    (!put_lower(buf, size, &used, "/", 1) ||
	     !put_lower(buf, size, &used, spn->service_name, spn->service_name_len)))
		goto too_small;
	buf[used] = '\0';
	return used;
too_small:
	buf[0] = '\0';
	return 0;
}

size_t
kd_spn_key(const struct kd_spn *spn, char *buf, size_t size)
{
	return build_key(spn, spn->service_class, spn->service_class_len, buf, size);
}

size_t
kd_spn_key_with_class(const struct kd_spn *spn, const char *new_class, char *buf, size_t size)
{
	assert(new_class);
	return build_key(spn, new_class, strlen(new_class), buf, size);
}

/*
 * The alias table. All strings live in @text, one lower-cased copy of the
 * values with '=' and ',' replaced by NULs; it never moves, so the hash tables
 * can borrow their keys from it.
 */
struct spnmap_target {
	const char *name;
	size_t alias_first; /* into aliases[] */
	size_t alias_count;
};

struct kd_spnmap {
	char *text;
	struct spnmap_target *targets;
	size_t target_count;
	const char **aliases;      /* grouped by target */
	uint32_t *alias_target;    /* per alias, in insertion order, the target index */
	size_t alias_count;
	size_t max_alias_len;
	struct kd_hashtab by_alias;  /* alias -> index into alias_target */
	struct kd_hashtab by_target; /* target -> index into targets */
};

void
kd_spnmap_free(struct kd_spnmap *map)
{
	if (!map)
		return;
	kd_hashtab_free(&map->by_alias);
	kd_hashtab_free(&map->by_target);
	free(map->aliases);
	free(map->alias_target);
	free(map->targets);
	free(map->text);
	free(map);
}

static int
map_error(struct kd_error *err, size_t value, size_t offset, const char *what)
{
	kd_error_set(err, KD_ERR_PARSE, "sPNMappings value %zu: %s", value + 1, what);
	kd_error_set_offset(err, offset);
	return KD_ERR_PARSE;
}

/*
 * Each value is "target=alias,alias,..." (MS-ADTS 3.1.1.5.1.3). Nothing is
 * trimmed: " cifs" is the alias " cifs", which no service class will match.
 * Errors: no '=', empty target, empty alias (",," or a trailing ','), a control
 * character (C0 or DEL: as in kd_spn_parse(); a NUL would also cut the names
 * returned as C strings). Tolerated,
 * since they are real data an admin may have written: several values naming the
 * same target (merged), an alias listed twice (kept once), an alias of two
 * targets (the first wins, matching the order values are read), an alias equal
 * to its target (dropped: "host" is not an alias of itself), '=' inside an alias
 * (literal).
 */
int
kd_spnmap_new_from_values(const char *const *values, const size_t *lens, size_t count,
			  struct kd_spnmap **ret_map, struct kd_error *err)
{
	struct kd_spnmap *map = NULL;
	size_t total = 0, max_aliases = 0, max_targets = 0, pos = 0;
	size_t *fill = NULL;
	int r = KD_ERR_NOMEM;

	/* Pass 1: syntax and sizes, before allocating anything. */
	for (size_t v = 0; v < count; v++) {
		const char *s = values[v];
		size_t len = lens[v];
		const char *eq = len ? memchr(s, '=', len) : NULL;
		size_t start;

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			/* NUL would cut the names handed out as C strings; no class has C0/DEL. */
			if (c < 0x20 || c == 0x7f) {
				r = map_error(err, v, i, "control character");
				goto out;
			}
		}
		if (!eq) {
			r = map_error(err, v, len, "no '=' (expected target=alias,...)");
			goto out;
		}
		if (eq == s) {
			r = map_error(err, v, 0, "empty target before '='");
			goto out;
		}
		start = (size_t)(eq - s) + 1;
		for (size_t i = start; i <= len; i++) {
			if (i == len || s[i] == ',') {
				if (i == start) {
					r = map_error(err, v, i, "empty alias");
					goto out;
				}
				max_aliases++;
				start = i + 1;
			}
		}
		if (len > SIZE_MAX - 1 - total) {
			r = kd_error_set(err, KD_ERR_NOMEM, "sPNMappings: values too long");
			goto out;
		}
		total += len + 1;
		max_targets++;
	}
	if (max_aliases > UINT32_MAX || max_targets > UINT32_MAX) {
		r = kd_error_set(err, KD_ERR_NOMEM, "sPNMappings: too many aliases");
		goto out;
	}

	map = calloc(1, sizeof(*map));
	if (!map)
		goto nomem;
	kd_hashtab_init(&map->by_alias);
	kd_hashtab_init(&map->by_target);
	map->text = malloc(total ? total : 1);
	map->targets = calloc(max_targets ? max_targets : 1, sizeof(*map->targets));
	map->aliases = calloc(max_aliases ? max_aliases : 1, sizeof(*map->aliases));
	map->alias_target = calloc(max_aliases ? max_aliases : 1, sizeof(*map->alias_target));
	fill = calloc(max_targets ? max_targets : 1, sizeof(*fill));
	if (!map->text || !map->targets || !map->aliases || !map->alias_target || !fill)
		goto nomem;

	/*
	 * Pass 2: copy lower-cased, index targets and aliases. alias_target[] holds
	 * the accepted aliases in order; their names are collected in aliases[]
	 * below, grouped by target, once the per-target counts are known.
	 */
	for (size_t v = 0; v < count; v++) {
		char *s = map->text + pos;
		size_t len = lens[v];
		size_t eq = (size_t)((const char *)memchr(values[v], '=', len) - values[v]);
		uint32_t target, existing;
		size_t start;

		for (size_t i = 0; i < len; i++)
			s[i] = lower_ascii(values[v][i]);
		s[len] = '\0';
		pos += len + 1;
		s[eq] = '\0';
		r = kd_hashtab_put(&map->by_target, s, eq, (uint32_t)map->target_count, &existing);
		if (r < 0)
			goto nomem;
		if (r == 1) {
			target = existing;
		} else {
			target = (uint32_t)map->target_count++;
			map->targets[target].name = s;
		}
		start = eq + 1;
		for (size_t i = start; i <= len; i++) {
			size_t alen;

			if (i < len && s[i] != ',')
				continue;
			alen = i - start;
			s[i] = '\0';
			if (!(alen == eq && memcmp(s + start, s, eq) == 0)) {
				r = kd_hashtab_put(&map->by_alias, s + start, alen,
						   (uint32_t)map->alias_count, NULL);
				if (r < 0)
					goto nomem;
				if (r == 0) {
					/* Name stored temporarily in order; regrouped below. */
					map->aliases[map->alias_count] = s + start;
					map->alias_target[map->alias_count++] = target;
					map->targets[target].alias_count++;
					if (alen > map->max_alias_len)
						map->max_alias_len = alen;
				}
			}
			start = i + 1;
		}
	}

	/* Group aliases by target (counting sort, stable) for kd_spnmap_aliases(). */
	{
		const char **grouped = calloc(map->alias_count ? map->alias_count : 1,
					      sizeof(*grouped));
		size_t first = 0;

		if (!grouped)
			goto nomem;
		for (size_t t = 0; t < map->target_count; t++) {
			map->targets[t].alias_first = first;
			fill[t] = first;
			first += map->targets[t].alias_count;
		}
		for (size_t a = 0; a < map->alias_count; a++)
			grouped[fill[map->alias_target[a]]++] = map->aliases[a];
		free(map->aliases);
		map->aliases = grouped;
	}

	*ret_map = map;
	map = NULL;
	r = 0;
	goto out;
nomem:
	r = kd_error_set(err, KD_ERR_NOMEM, "out of memory building the sPNMappings table");
out:
	free(fill);
	kd_spnmap_free(map);
	return r;
}

/* AD's default sPNMappings value (ad-facts.md §6). ldap, gc and MSSQLSvc are not aliases. */
static const char default_mapping[] =
	"host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,eventlog,"
	"eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,msiserver,ias,messenger,"
	"netlogon,netman,netdde,netddedsm,nmagent,plugplay,protectedstorage,rasman,"
	"rpclocator,rpc,rpcss,remoteaccess,rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,"
	"cifs,spooler,snmp,schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,"
	"iisadmin,msdtc";

struct kd_spnmap *
kd_spnmap_new_default(void)
{
	const char *values[] = {default_mapping};
	size_t lens[] = {sizeof(default_mapping) - 1};
	struct kd_spnmap *map = NULL;

	if (kd_spnmap_new_from_values(values, lens, 1, &map, NULL) < 0)
		return NULL;
	return map;
}

/*
 * Looks @name up in @table after ASCII lower-casing. Runs for every SPN of
 * every account: a stack copy, no allocation unless the table holds absurdly
 * long names.
 */
static bool
lookup_folded(const struct kd_hashtab *table, size_t max_len, const char *name, size_t len,
	      uint32_t *ret_value)
{
	char stack[256];
	char *heap = NULL, *key = stack;
	bool found;

	if (len > max_len)
		return false;
	if (len > sizeof(stack)) {
		heap = malloc(len);
		if (!heap)
			return false;
		key = heap;
	}
	for (size_t i = 0; i < len; i++)
		key[i] = lower_ascii(name[i]);
	found = kd_hashtab_get(table, key, len, ret_value);
	free(heap);
	return found;
}

const char *
kd_spnmap_target(const struct kd_spnmap *map, const char *service_class, size_t len)
{
	uint32_t alias;

	if (!map || !lookup_folded(&map->by_alias, map->max_alias_len, service_class, len, &alias))
		return NULL;
	return map->targets[map->alias_target[alias]].name;
}

size_t
kd_spnmap_aliases(const struct kd_spnmap *map, const char *target_class,
		  const char *const **ret_aliases)
{
	uint32_t t;

	*ret_aliases = NULL;
	if (!map || !lookup_folded(&map->by_target, SIZE_MAX, target_class, strlen(target_class),
				   &t))
		return 0;
	*ret_aliases = map->aliases + map->targets[t].alias_first;
	return map->targets[t].alias_count;
}
