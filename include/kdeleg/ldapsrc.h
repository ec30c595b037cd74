/* SPDX-License-Identifier: MIT */
/* The live source: a domain controller over LDAP (GSSAPI or simple bind over TLS). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdeleg/entry.h"
#include "kdeleg/error.h"

#define KD_LDAP_MAX_URIS 16
#define KD_LDAP_DEFAULT_CONNECT_TIMEOUT 30u
#define KD_LDAP_DEFAULT_OP_TIMEOUT 120u
#define KD_LDAP_DEFAULT_PAGE_SIZE 1000u
/* Connections to the DC that share the domain search (kd_ldap_options.connections). One by
 * default: on the 10k bench DC (2 cores shared with the client) two read about a fifth
 * faster when the machine was quiet, not under load, and always held the ranges read ahead
 * in memory (docs/performance.md). */
#define KD_LDAP_DEFAULT_CONNECTIONS 1u
#define KD_LDAP_MAX_CONNECTIONS 16u
/* The whole conversation with a DC, from the first connection attempt to the last answer. */
#define KD_LDAP_DEFAULT_DEADLINE 3600u
/*
 * The largest LDAP message accepted, refused from its length before libldap allocates
 * it: an entry is limited to 64 MiB once decoded, and its message is not much larger.
 */
#define KD_LDAP_MESSAGE_MAX ((size_t)64 * 1024 * 1024 + 64 * 1024)
/*
 * The fewest values a ranged chunk that is not the last may bring (AD hands out
 * MaxValRange values at a time, 1500 by default) unless range_step asked for fewer.
 */
#define KD_LDAP_RANGE_STEP_MIN 100u

/* What the collector reports while it reads (kd_ldap_options.progress). */
struct kd_ldap_progress {
	const char *stage; /* the search's name in the table ("accounts"...) */
	size_t entries;    /* entries handed to the callback so far, all stages */
	size_t pages;      /* pages of the current stage received so far */
	bool stage_done;   /* the stage's final result arrived */
};

/*
 * How to reach and read the directory. Every pointer is borrowed for the
 * duration of kd_ldap_open() only; the connection copies what it keeps.
 */
struct kd_ldap_options {
	/*
	 * Where: @uris (ldap:// or ldaps://, tried in order until one connects and
	 * binds); else DNS SRV records of @domain (_ldap._tcp, ldap_domain2hostlist:
	 * a domain named explicitly wins over the system configuration); else the
	 * URI of the OpenLDAP configuration (ldap.conf, LDAPURI); else KD_ERR_USAGE.
	 */
	const char *uris[KD_LDAP_MAX_URIS];
	size_t nuris;
	const char *domain;
	const char *base;   /* naming context to search; NULL: the rootDSE's default */

	/* TLS: certificates are verified unless @insecure_tls */
	bool starttls;
	bool insecure_tls;
	const char *ca_file; /* NULL: ldap.conf TLS_CACERT or the system's CAs */

	/*
	 * Authentication: SASL GSSAPI with the caller's Kerberos ticket unless
	 * @simple_bind (a DN or UPN) is set; a simple bind needs TLS (ldaps:// or
	 * @starttls) and a non-empty @password, which the caller wipes after
	 * kd_ldap_open() returns.
	 */
	const char *simple_bind;
	const char *password;

	/*
	 * Every wait is bounded by kdeleg itself, never by libldap or the DC: the TCP
	 * connection and TLS handshake together by @connect_timeout, each answer (from
	 * the request to the last byte of the message) by @op_timeout, and all of it,
	 * every URI tried, by @deadline. Seconds; 0: the KD_LDAP_DEFAULT_* values.
	 * Waiting is poll(2), not a busy loop. Name resolution (getaddrinfo, DNS SRV)
	 * is bounded by the system resolver's own timeouts.
	 */
	unsigned connect_timeout;
	unsigned op_timeout;
	unsigned deadline;
	uint32_t page_size;       /* 0: KD_LDAP_DEFAULT_PAGE_SIZE */
	/*
	 * 0: multi-valued attributes come back as the DC pages them (AD: 1500 values
	 * a chunk). N: ask for them N values at a time ("member;range=0-N-1"), which
	 * tests use to exercise ranged retrieval against DCs that never split values.
	 */
	uint32_t range_step;
	/*
	 * 0: KD_LDAP_DEFAULT_CONNECTIONS. N > 1: kd_ldap_open() binds N connections to the
	 * DC the first one reached (the same checks, the same credentials; each must name
	 * the same dsServiceName) and kd_ldap_collect() splits the domain search between
	 * them by uSNChanged. A DC whose rootDSE lacks highestCommittedUSN or
	 * dsServiceName gets one connection.
	 */
	unsigned connections;

	/* Called after each page and every 1000 entries, from one thread at a time (with
	 * several connections: from the thread whose connection progressed, entries
	 * counting every connection's); may be NULL. */
	void (*progress)(void *ctx, const struct kd_ldap_progress *progress);
	void *progress_ctx;
};

struct kd_ldap;

/*
 * What can be checked without the network, so that a caller can refuse before
 * asking for a password: a simple bind needs TLS (every URI in @uris ldaps://,
 * or @starttls), StartTLS does not go with ldaps://, no Global Catalog port (3268,
 * 3269: its partial replica lacks the delegation attributes), the CA file is
 * readable, page size and URI count within bounds. KD_ERR_USAGE or KD_ERR_IO.
 * kd_ldap_open() checks the same.
 */
int kd_ldap_check_options(const struct kd_ldap_options *opts, struct kd_error *err);

/*
 * True when the OpenLDAP configuration (ldap.conf, ~/.ldaprc, $LDAPURI...) names a
 * server; false when libldap would fall back to its built-in ldap://localhost.
 */
bool kd_ldap_conf_has_uri(void);

/*
 * Connects, binds and reads the rootDSE (naming contexts). GSSAPI on ldap:// asks
 * for a SASL security layer with confidentiality (minssf=56) and fails when the
 * negotiated SSF is weaker; over TLS no layer is asked for, and TLS is 1.2 or newer
 * (a server offering only older versions never sees the bind). Referrals are never
 * chased. A bind answered with anything but a bind response, a rootDSE answered
 * with more than one entry, or a message over KD_LDAP_MESSAGE_MAX fails at once.
 * Text from the DC in @err is shown with the password (and what looks like it:
 * its case variants, base64, hex and long pieces of it) masked. A URI that cannot be reached (down, timeout, TLS handshake) passes to
 * the next; an authentication failure stops at once (the next DC would refuse
 * the same credentials, and a wrong password would count twice toward lockout).
 * Errors: KD_ERR_CONNECT (cannot reach, verify or bind; err->source names the
 * URI), KD_ERR_USAGE (what kd_ldap_check_options() refuses, no password, no
 * server named anywhere), KD_ERR_IO (the CA file), KD_ERR_NOMEM.
 * Free with kd_ldap_close().
 */
int kd_ldap_open(const struct kd_ldap_options *opts, struct kd_ldap **ret_conn,
		 struct kd_error *err);
/* Unbinds and frees; NULL is a no-op. */
void kd_ldap_close(struct kd_ldap *conn);

/* The URI of the DC bound to, for reports and messages. Valid until kd_ldap_close(). */
const char *kd_ldap_uri(const struct kd_ldap *conn);
/* The naming context searched (from -b or the rootDSE). */
const char *kd_ldap_base(const struct kd_ldap *conn);
/* "GSSAPI" or "simple"; the SASL security strength factor (0 over TLS). */
const char *kd_ldap_mechanism(const struct kd_ldap *conn);
unsigned kd_ldap_ssf(const struct kd_ldap *conn);
bool kd_ldap_tls(const struct kd_ldap *conn);

/*
 * Called once per entry; the entry is valid only during the call (copy what is
 * kept). A negative return stops the collection and is returned as is, with
 * @err as the callback filled it.
 */
typedef int (*kd_ldap_entry_fn)(void *ctx, const struct kd_entry *entry, struct kd_error *err);

/*
 * Runs every search of the collector's table (the domain's accounts, groups,
 * trusts and domain object with kd_directory_filter/kd_directory_attributes and
 * the SD-flags control for owners and DACLs, then sPNMappings and the domain's
 * crossRef from the configuration partition), paged, completing ranged
 * attributes with follow-up requests, skipping search references. Entries reach
 * @fn one at a time, attribute names lower-cased without options, ranged chunks
 * merged under the plain name, each value followed by a NUL not counted in its
 * length. Memory holds one entry (and libldap's current message), never a page,
 * with one connection. With several (kd_ldap_options.connections), the domain search
 * is split into uSNChanged ranges (two a connection) up to the rootDSE's
 * highestCommittedUSN, read in parallel into memory and handed to @fn in range order
 * as they complete, each DN once (a DN in two ranges fails the run); then, unless the
 * DC's highestCommittedUSN is still the same, one search for uSNChanged above it
 * brings what changed meanwhile (entries already handed out are skipped). Callbacks
 * run in the caller's thread. A failure on any connection fails the run.
 *
 * Anything short of a complete answer - a non-success result (size or time
 * limit, an evicted paging cookie...), a lost connection, a timeout or the
 * deadline, a missing range chunk - fails with KD_ERR_INCOMPLETE naming the URI
 * (err->source), the stage and how many entries were read; the caller must then
 * drop what it got. KD_ERR_NOMEM on memory. The connection is not reusable after
 * a failure.
 *
 * Every loop has a rule a hostile DC cannot meet without progress: an entry whose
 * DN was handed out before fails the run (so does a page of old entries), search
 * references count as nothing, so pages without a new entry fail after a few; a
 * base search answered with a second entry fails; ranged chunks must start where
 * the last ended, bring at least KD_LDAP_RANGE_STEP_MIN values (or range_step)
 * until the last, never fewer than the first did, and name the entry asked for.
 */
int kd_ldap_collect(struct kd_ldap *conn, kd_ldap_entry_fn fn, void *ctx, struct kd_error *err);

/* Entries handed to callbacks so far. */
size_t kd_ldap_entries(const struct kd_ldap *conn);

/*
 * An attribute description as a DC returns it, split (RFC 4512 2.5 plus AD's
 * ranged retrieval, MS-ADTS 3.1.1.3.1.3.3): "member", "member;range=0-1499",
 * "member;range=1500-*", "userCertificate;binary". Options other than range are
 * checked and dropped (their values merge into the base name).
 */
struct kd_ldap_desc {
	size_t name_len; /* the base name is text[0..name_len) */
	bool ranged;
	size_t range_lo;
	size_t range_hi;  /* valid when ranged and !range_open; < SIZE_MAX */
	bool range_open;  /* "lo-*": the last chunk */
};

/*
 * Parses @text[0..len) (untrusted: it comes off the wire). KD_ERR_PARSE with the
 * byte offset for a name that is not a keystring or numeric OID, an empty or
 * malformed option, a range that is not "range=LO-HI" (HI >= LO) or "range=LO-*",
 * two range options, or numbers that overflow.
 */
int kd_ldap_parse_desc(const char *text, size_t len, struct kd_ldap_desc *ret_desc,
		       struct kd_error *err);

/*
 * The description asking for the values of @name from @lo on: "name;range=LO-*",
 * or "name;range=LO-HI" with HI = LO + @step - 1 when @step > 0. Returns the
 * length written, or 0 when @size is too small (nothing useful written).
 */
size_t kd_ldap_range_request(char *buf, size_t size, const char *name, size_t name_len,
			     size_t lo, uint32_t step);

/*
 * The progress of one ranged attribute (MS-ADTS 3.1.1.3.1.3.3). Start it with
 * kd_ldap_range_start() for a search that asked for @asked_step values at a time
 * (0: as the DC splits them).
 */
struct kd_ldap_range_walk {
	size_t next_lo;  /* where the next chunk must start */
	size_t step;     /* the first closed chunk's size, the DC's step; 0 until seen */
	size_t min_step; /* the fewest values a closed chunk may bring */
};

void kd_ldap_range_start(struct kd_ldap_range_walk *walk, uint32_t asked_step);

/*
 * Checks one chunk of @nvalues values against the walk: it must start at
 * walk->next_lo, a closed chunk must hold exactly hi - lo + 1 values (else values
 * would be lost or doubled), at least walk->min_step of them and no fewer than the
 * first closed chunk held. On success advances the walk and sets *ret_done when the
 * chunk was the last ("LO-*"). KD_ERR_INCOMPLETE otherwise (walk and *ret_done
 * untouched), KD_ERR_USAGE for a chunk that is not ranged.
 */
int kd_ldap_range_next(struct kd_ldap_range_walk *walk, const struct kd_ldap_desc *chunk,
		       size_t nvalues, bool *ret_done, struct kd_error *err);
