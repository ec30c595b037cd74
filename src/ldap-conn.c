/* SPDX-License-Identifier: MIT */
/* Reaching a DC: the socket and its guard, TLS, the bind, the rootDSE (kdeleg/ldapsrc.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ldap.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openldap.h>
#include <poll.h>
#include <sasl/sasl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ldap-private.h"

/*
 * The connection setup follows adcli (library/adconn.c: GSSAPI with an interact
 * callback that never prompts, SASL security layer on plain LDAP, no hostname
 * canonicalisation, referrals off) and OpenLDAP's tools (clients/tools/common.c:
 * the asynchronous SASL bind loop).
 *
 * Why kdeleg drives the socket itself. libldap 2.5 bounds the TCP connect
 * (LDAP_OPT_NETWORK_TIMEOUT) and the poll at the top of ldap_result(), nothing
 * else. With GnuTLS its handshake (tls2.c, ldap_int_tls_start) makes the socket
 * non-blocking and calls gnutls_handshake() in a loop that never polls: a server
 * that accepts and stays silent costs 100% CPU, forever (ldapsearch -o nettimeout=2
 * does the same). Once the first byte of a message is in, the rest is read without
 * a bound, so one byte every few seconds never times out; the synchronous calls
 * (ldap_start_tls_s, ldap_sasl_bind_s) wait inside libldap where no caller can
 * step in, and collect every entry a DC sends in answer to a bind.
 *
 * So kdeleg connects the socket (non-blocking connect, poll), hands it to libldap
 * with ldap_init_fd(), and puts an I/O layer of its own, the guard, on libldap's
 * socket buffer right above the TCP layer, below TLS and SASL. Every read and write
 * any layer above makes - the handshake, StartTLS, SASL tokens, each message -
 * first polls the socket until the armed bound (kd_ldap_arm: --timeout for this
 * wait, never past --deadline), then fails with ETIMEDOUT, which GnuTLS and liblber
 * treat as fatal (EAGAIN they would retry). Waiting is poll(2), so a silent peer
 * costs no CPU, and the guard works whatever libldap's loops above it do. Requests
 * are sent with the asynchronous calls and every answer is awaited with
 * kd_ldap_next_message(), one message at a time.
 *
 * Also on that socket buffer: LBER_SB_OPT_SET_MAX_INCOMING, which makes liblber
 * refuse a message from its announced length, before allocating it.
 */

/* SASL security strength asked for on plain LDAP: at least DES-class confidentiality. */
#define MIN_SSF 56u

/*
 * TLS 1.2 or newer. libldap with GnuTLS does not honour LDAP_OPT_X_TLS_PROTOCOL_MIN
 * (measured: the bind went out to a server offering only TLS 1.0/1.1); a GnuTLS
 * priority string through LDAP_OPT_X_TLS_CIPHER_SUITE does. An OpenSSL build honours
 * the minimum, which is set for every build.
 */
#define GNUTLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- time, and the guard ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
kd_ldap_arm(struct kd_ldap *c, unsigned seconds)
{
	int64_t until = now_ms() + (int64_t)seconds * 1000;

	c->guard.until = until < c->guard.deadline ? until : c->guard.deadline;
	c->guard.wait_s = seconds;
}

static void
trip(struct kd_ldap_guard *g)
{
	if (g->tripped == KD_LDAP_TRIP_NONE)
		g->tripped = g->until >= g->deadline ? KD_LDAP_TRIP_DEADLINE : KD_LDAP_TRIP_WAIT;
}

/* Polls @fd for @events until the armed bound; -1 with errno ETIMEDOUT after it. */
static int
guard_wait(struct kd_ldap_guard *g, int fd, short events)
{
	for (;;) {
		int64_t left = g->until - now_ms();
		struct pollfd p = {.fd = fd, .events = events};
		int n;

		if (left <= 0 || g->tripped != KD_LDAP_TRIP_NONE) {
			trip(g);
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0; /* ready, or an error that the read or write reports */
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
guard_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	sbiod->sbiod_pvt = arg;
	return 0;
}

static int
guard_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

/*
 * Nothing buffers below the guard (the TCP layer reads the socket), so a read that
 * reaches it needs bytes from the network, and a write room for them: poll first.
 * EAGAIN from the socket (it is non-blocking) polls again rather than going up,
 * where GnuTLS would spin on it.
 */
static ber_slen_t
guard_io_next(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len, short events)
{
	struct kd_ldap_guard *g = sbiod->sbiod_pvt;
	ber_socket_t fd = -1;

	ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
	for (;;) {
		ber_slen_t n;

		if (guard_wait(g, fd, events) < 0)
			return -1;
		n = events == POLLIN ? LBER_SBIOD_READ_NEXT(sbiod, buf, len)
				     : LBER_SBIOD_WRITE_NEXT(sbiod, buf, len);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return n;
	}
}

static ber_slen_t
guard_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	return guard_io_next(sbiod, buf, len, POLLIN);
}

static ber_slen_t
guard_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	return guard_io_next(sbiod, buf, len, POLLOUT);
}

static Sockbuf_IO guard_io = {
	.sbi_setup = guard_setup,
	.sbi_ctrl = guard_ctrl,
	.sbi_read = guard_read,
	.sbi_write = guard_write,
};

/* Why the guard stopped a wait, for messages. */
static void
tripped_text(const struct kd_ldap *c, char *buf, size_t size)
{
	if (c->guard.tripped == KD_LDAP_TRIP_DEADLINE)
		snprintf(buf, size, "the whole run's --deadline of %u s passed", c->deadline_s);
	else
		snprintf(buf, size, "no answer from the DC within %u s (--timeout)",
			 c->guard.wait_s);
}

/* ---- errors and the DC's text ---- */

int
kd_ldap_errno(LDAP *ld)
{
	int rc = LDAP_OTHER;

	ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	return rc;
}

void
kd_ldap_clear_errno(LDAP *ld)
{
	int rc = LDAP_SUCCESS;

	ldap_set_option(ld, LDAP_OPT_RESULT_CODE, &rc);
}

void
kd_ldap_dc_text(const struct kd_ldap *c, const char *text, char *buf, size_t size)
{
	kd_mask_apply(c->mask, text ? text : "", text ? strlen(text) : 0, buf, size);
}

void
kd_ldap_reason(struct kd_ldap *c, int rc, char *buf, size_t size)
{
	char *diag = NULL, safe[200];

	/* libldap saw a failed read or write: the guard's bound is the reason */
	if (c->guard.tripped != KD_LDAP_TRIP_NONE) {
		tripped_text(c, buf, size);
		return;
	}
	if (c->ld)
		ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* libldap's placeholder when TLS fails says nothing */
	if (diag && strcmp(diag, "(unknown error code)") == 0)
		diag[0] = '\0';
	kd_ldap_dc_text(c, diag, safe, sizeof(safe));
	snprintf(buf, size, "%s (%d)%s%s", ldap_err2string(rc), rc, safe[0] ? ": " : "", safe);
	ldap_memfree(diag);
}

void
kd_ldap_mask_error(const struct kd_ldap *c, struct kd_error *err)
{
	char buf[sizeof(err->entry)];

	if (!c || !c->mask || !err)
		return;
	kd_mask_apply(c->mask, err->message, sizeof(err->message), buf, sizeof(err->message));
	memcpy(err->message, buf, sizeof(err->message));
	kd_mask_apply(c->mask, err->entry, sizeof(err->entry), buf, sizeof(err->entry));
	memcpy(err->entry, buf, sizeof(err->entry));
	kd_mask_apply(c->mask, err->attribute, sizeof(err->attribute), buf,
		      sizeof(err->attribute));
	memcpy(err->attribute, buf, sizeof(err->attribute));
	kd_mask_apply(c->mask, err->source, sizeof(err->source), buf, sizeof(err->source));
	memcpy(err->source, buf, sizeof(err->source));
}

int
kd_ldap_next_message(struct kd_ldap *c, int msgid, LDAPMessage **ret_msg, char *why,
		     size_t size)
{
	int64_t left = c->guard.until - now_ms();
	struct timeval tv = {0};
	int rc, saved;

	*ret_msg = NULL;
	if (left > 0 && c->guard.tripped == KD_LDAP_TRIP_NONE) {
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000 * 1000);
		errno = 0;
		rc = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, ret_msg);
		if (rc > 0)
			return rc;
		saved = errno;
		if (rc < 0 && c->guard.tripped == KD_LDAP_TRIP_NONE) {
			rc = kd_ldap_errno(c->ld);
			/* liblber's refusal of an announced length over the limit */
			if (saved == ERANGE) {
				snprintf(why, size,
					 "the DC sent a message longer than kdeleg's limit of "
					 "%zu MiB",
					 KD_LDAP_MESSAGE_MAX >> 20);
				return KD_ERR_INCOMPLETE;
			}
			{
				char reason[200];

				kd_ldap_reason(c, rc, reason, sizeof(reason));
				snprintf(why, size, "%s%s",
					 rc == LDAP_SERVER_DOWN ? "lost the connection to the DC: "
								: "",
					 reason);
			}
			return KD_ERR_INCOMPLETE;
		}
	}
	trip(&c->guard);
	tripped_text(c, why, size);
	return KD_ERR_INCOMPLETE;
}

static int __attribute__((format(printf, 4, 5)))
connect_fail(struct kd_error *err, const char *uri, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kd_error_setv(err, code, fmt, ap);
	va_end(ap);
	kd_error_set_where(err, uri ? uri : "ldap.conf", 0, NULL, NULL);
	return code;
}

/* Failures after which another DC may do better: it could not be reached. */
static bool
is_connection_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* ---- what can be checked before connecting ---- */

/*
 * The Global Catalog (ports 3268, 3269) holds a partial replica without
 * msDS-AllowedToDelegateTo and the RBCD descriptor (MS-ADA2 2.218, 2.219: not in the
 * partial attribute set): read there, every account would look like it delegates to
 * nothing.
 */
static bool
is_global_catalog(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	bool gc;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return false;
	gc = lud->lud_port == 3268 || lud->lud_port == 3269;
	ldap_free_urldesc(lud);
	return gc;
}

/* What @uri cannot be used for, whichever way it came (-H, DNS, ldap.conf). */
static int
check_uri(const struct kd_ldap_options *o, const char *uri, struct kd_error *err)
{
	bool ldaps = strncasecmp(uri, "ldaps://", 8) == 0;

	if (is_global_catalog(uri))
		return connect_fail(err, uri, KD_ERR_USAGE,
				    "refusing the Global Catalog port: it lacks the delegation "
				    "attributes (msDS-AllowedToDelegateTo, the RBCD descriptor); "
				    "use 389 or 636");
	if (o->starttls && ldaps)
		return connect_fail(err, uri, KD_ERR_USAGE,
				    "StartTLS upgrades ldap:// connections; ldaps:// is TLS already");
	/* Kerberos over TLS has no SASL layer: the TLS channel is all that protects
	 * the answers, and an unverified one lets a man in the middle hide delegations. */
	if (!o->simple_bind && o->insecure_tls && (ldaps || o->starttls))
		return connect_fail(err, uri, KD_ERR_USAGE,
				    "refusing Kerberos over unverified TLS (--insecure-tls): "
				    "nothing would protect the answers; use ldap://, which signs "
				    "and seals, or verify the certificate (--ca-file)");
	if (o->simple_bind && !o->starttls && !ldaps)
		return connect_fail(err, uri, KD_ERR_USAGE,
				    "refusing a simple bind over ldap:// (the password would "
				    "cross the network in clear): use ldaps:// or --starttls");
	return 0;
}

int
kd_ldap_check_options(const struct kd_ldap_options *o, struct kd_error *err)
{
	if (o->page_size > INT32_MAX || o->nuris > KD_LDAP_MAX_URIS)
		return kd_error_set(err, KD_ERR_USAGE, "page size or URI count out of range");
	if (o->connections > KD_LDAP_MAX_CONNECTIONS)
		return kd_error_set(err, KD_ERR_USAGE, "at most %u connections",
				    KD_LDAP_MAX_CONNECTIONS);
	for (size_t i = 0; i < o->nuris; i++) {
		int r = check_uri(o, o->uris[i], err);

		if (r < 0)
			return r;
	}
	if (o->ca_file) {
		FILE *f = fopen(o->ca_file, "r");

		if (!f) {
			kd_error_set(err, KD_ERR_IO, "cannot read the CA file: %s", strerror(errno));
			kd_error_set_where(err, o->ca_file, 0, NULL, NULL);
			return KD_ERR_IO;
		}
		fclose(f);
	}
	return 0;
}

/* ---- connecting ---- */

/*
 * A TCP connection to @lud's host within the armed bound, trying each address;
 * the connected non-blocking socket, or -1 with the reason in @why.
 */
static int
connect_socket(struct kd_ldap *c, const LDAPURLDesc *lud, bool ldaps, char *why, size_t size)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	const char *host = lud->lud_host && lud->lud_host[0] ? lud->lud_host : "localhost";
	char port[16];
	int fd = -1, rc, saved = ECONNREFUSED;

	snprintf(port, sizeof(port), "%d", lud->lud_port > 0 ? lud->lud_port : ldaps ? 636 : 389);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		char safe[128];

		kd_escape_text(safe, sizeof(safe), host, strlen(host));
		snprintf(why, size, "cannot resolve '%s': %s", safe,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* as libldap does (os-ip.c): requests are small and each waits for its
		 * answer, so Nagle's algorithm would only add delayed-ACK pauses */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		if (saved == EINPROGRESS) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);

			if (guard_wait(&c->guard, fd, POLLOUT) == 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
				break;
			saved = soerr ? soerr : errno;
		}
		close(fd);
		fd = -1;
		if (c->guard.tripped != KD_LDAP_TRIP_NONE)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0 && c->guard.tripped != KD_LDAP_TRIP_NONE)
		tripped_text(c, why, size);
	else if (fd < 0)
		snprintf(why, size, "%s", strerror(saved));
	return fd;
}

static bool
tls_is_gnutls(LDAP *ld)
{
	char *pkg = NULL;
	bool gnutls;

	if (ldap_get_option(ld, LDAP_OPT_X_TLS_PACKAGE, &pkg) != LDAP_OPT_SUCCESS || !pkg)
		return false;
	gnutls = strcmp(pkg, "GnuTLS") == 0;
	ldap_memfree(pkg);
	return gnutls;
}

/* The handle's options; the TLS ones only when TLS is going to be used (@tls). */
static int
set_options(LDAP *ld, const struct kd_ldap_options *o, const char *uri, bool tls,
	    struct kd_error *err)
{
	int version = LDAP_VERSION3;
	int require = o->insecure_tls ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int min_tls = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
	int newctx = 0;
	struct timeval none = {.tv_sec = -1}; /* libldap's "no network timeout" */
	const char *what;

#define SET(opt, value, name)                                                         \
	do {                                                                          \
		if (ldap_set_option(ld, opt, value) != LDAP_OPT_SUCCESS) {            \
			what = name;                                                  \
			goto fail;                                                    \
		}                                                                     \
	} while (0)
	SET(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version");
	/* referrals lead to other partitions, where libldap would bind anonymously */
	SET(LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals");
	/* No network timeout, whatever ldap.conf says: with one, libldap switches the
	 * socket between blocking and non-blocking around TLS; the guard bounds it all. */
	SET(LDAP_OPT_NETWORK_TIMEOUT, &none, "network timeout");
	/* the Kerberos service name is the URI's host, never a reverse-DNS answer */
	SET(LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON, "SASL_NOCANON");
	/* ldap_init_fd() never starts TLS by itself: only ldap_install_tls() below does */
	if (!tls)
		return 0;
	SET(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate checking");
	SET(LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_tls, "TLS minimum version");
	if (tls_is_gnutls(ld))
		SET(LDAP_OPT_X_TLS_CIPHER_SUITE, GNUTLS_PRIORITY, "TLS priority (TLS 1.2+)");
	if (o->ca_file) {
		SET(LDAP_OPT_X_TLS_CACERTFILE, o->ca_file, "TLS CA file");
	} else {
		/*
		 * A new handle inherits libldap's global TLS context but not the names
		 * it was made from (ldap_create clears them), and the context made
		 * below starts from the handle's: carry ldap.conf's TLS_CACERT and
		 * TLS_CACERTDIR over. With neither, GnuTLS uses the system's CAs.
		 */
		char *file = NULL, *dir = NULL;
		int rf = 0, rd = 0;

		ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, &file);
		ldap_get_option(NULL, LDAP_OPT_X_TLS_CACERTDIR, &dir);
		if (file)
			rf = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, file);
		if (dir)
			rd = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, dir);
		ldap_memfree(file);
		ldap_memfree(dir);
		if (rf != LDAP_OPT_SUCCESS || rd != LDAP_OPT_SUCCESS) {
			what = "TLS CA (from ldap.conf)";
			goto fail;
		}
	}
	/* TLS options take effect in a new context, created after they are all set */
	SET(LDAP_OPT_X_TLS_NEWCTX, &newctx, "TLS context");
#undef SET
	return 0;
fail:
	{
		char why[200];
		char *diag = NULL;

		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
		snprintf(why, sizeof(why), "%s", diag ? diag : "");
		ldap_memfree(diag);
		return connect_fail(err, uri, KD_ERR_CONNECT, "cannot set the LDAP %s option%s%s",
				    what, why[0] ? ": " : "", why);
	}
}

/* Hands the connected socket @fd to libldap with the guard and the message limit. */
static int
attach(struct kd_ldap *c, int fd, const char *uri, struct kd_error *err)
{
	ber_len_t max = KD_LDAP_MESSAGE_MAX;
	Sockbuf *sb = NULL;
	int rc;

	rc = ldap_init_fd(fd, LDAP_PROTO_TCP, uri, &c->ld);
	if (rc != LDAP_SUCCESS) {
		close(fd);
		c->ld = NULL;
		return connect_fail(err, uri, KD_ERR_CONNECT, "cannot set up the connection: %s",
				    ldap_err2string(rc));
	}
	/* from here the socket is libldap's: ldap_unbind_ext closes it */
	if (ldap_get_option(c->ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
	    ber_sockbuf_add_io(sb, &guard_io, LBER_SBIOD_LEVEL_PROVIDER, &c->guard) != 0 ||
	    ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max) < 0)
		return connect_fail(err, uri, KD_ERR_CONNECT,
				    "cannot guard the connection (libldap's socket buffer)");
	return 0;
}

/* The TLS handshake on the connected socket, within the armed bound. */
static int
start_tls(struct kd_ldap *c, const struct kd_ldap_options *o, const char *what,
	  struct kd_error *err)
{
	int rc = ldap_install_tls(c->ld), fd = -1, flags;
	char why[240];

	if (rc != LDAP_SUCCESS && c->guard.tripped != KD_LDAP_TRIP_NONE) {
		tripped_text(c, why, sizeof(why));
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "%s failed: %s", what, why);
	}
	if (rc != LDAP_SUCCESS) {
		kd_ldap_reason(c, rc, why, sizeof(why));
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "%s failed (%sTLS 1.2 or newer is required): %s", what,
				    o->insecure_tls ? "" : "certificate not trusted? --ca-file; ", why);
	}
	/* the guard expects a non-blocking socket; keep it so whatever TLS set up did */
	if (ldap_get_option(c->ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0 &&
	    (flags = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	return 0;
}

/*
 * Waits for the answer to bind request @msgid: a bind response and nothing else (a
 * DC that answers a bind with entries is refused at the first). *ret_msg is the
 * response, or NULL with @why filled.
 */
static int
wait_bind(struct kd_ldap *c, int msgid, LDAPMessage **ret_msg, char *why, size_t size)
{
	int type = kd_ldap_next_message(c, msgid, ret_msg, why, size);

	if (type < 0)
		return type;
	if (type != LDAP_RES_BIND) {
		ldap_msgfree(*ret_msg);
		*ret_msg = NULL;
		snprintf(why, size, "the DC answered the bind with an LDAP message of type 0x%x, "
				    "not a bind response",
			 (unsigned)type);
		return KD_ERR_INCOMPLETE;
	}
	return 0;
}

/*
 * SASL interaction without a user: GSSAPI asks at most for an authorization
 * identity, which stays empty (the ticket's principal). Anything that would need
 * a person (a password, a prompt) fails the bind instead of prompting.
 */
static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it = in;

	(void)ld;
	(void)flags;
	(void)defaults;
	for (; it->id != SASL_CB_LIST_END; it++) {
		const char *v;

		switch (it->id) {
		case SASL_CB_USER:
		case SASL_CB_AUTHNAME:
		case SASL_CB_GETREALM:
			v = it->defresult ? it->defresult : "";
			it->result = v;
			it->len = (unsigned)strlen(v);
			break;
		default:
			return LDAP_OTHER;
		}
	}
	return LDAP_SUCCESS;
}

static int
bind_gssapi(struct kd_ldap *c, bool *ret_next, struct kd_error *err)
{
	/* sign and seal on plain LDAP; over TLS no second layer (AD: "not allowed") */
	char props_plain[] = "minssf=56", props_tls[] = "maxssf=0";
	ber_len_t ssf = 0; /* what LDAP_OPT_X_SASL_SSF writes (libldap cyrus.c), not sasl_ssf_t */
	LDAPMessage *res = NULL;
	const char *rmech = NULL;
	char why[240];
	int rc, msgid = -1;

	if (ldap_set_option(c->ld, LDAP_OPT_X_SASL_SECPROPS, c->tls ? props_tls : props_plain) !=
	    LDAP_OPT_SUCCESS)
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "cannot set the SASL security properties");
	/* clients/tools/common.c's loop: each step's answer awaited by us, bounded */
	for (;;) {
		kd_ldap_arm(c, c->op_timeout);
		rc = ldap_sasl_interactive_bind(c->ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
						sasl_interact, NULL, res, &rmech, &msgid);
		ldap_msgfree(res);
		res = NULL;
		if (rc != LDAP_SASL_BIND_IN_PROGRESS)
			break;
		if (wait_bind(c, msgid, &res, why, sizeof(why)) < 0) {
			*ret_next = c->guard.tripped == KD_LDAP_TRIP_WAIT;
			return connect_fail(err, c->uri, KD_ERR_CONNECT,
					    "Kerberos (SASL GSSAPI) bind failed: %s", why);
		}
	}
	if (rc != LDAP_SUCCESS) {
		*ret_next = is_connection_error(rc) && c->guard.tripped != KD_LDAP_TRIP_DEADLINE;
		if (c->guard.tripped != KD_LDAP_TRIP_NONE)
			tripped_text(c, why, sizeof(why));
		else
			kd_ldap_reason(c, rc, why, sizeof(why));
		/* the hint first: GSSAPI diagnostics are long and the message is cut */
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "Kerberos (SASL GSSAPI) bind failed%s: %s",
				    rc == LDAP_LOCAL_ERROR ? " (no ticket? kinit; KRB5CCNAME)"
				    : c->tls && (rc == LDAP_STRONG_AUTH_REQUIRED ||
						 rc == LDAP_UNWILLING_TO_PERFORM)
					    ? " (Samba DCs refuse Kerberos over TLS: use ldap://, "
					      "which signs and seals)"
					    : "",
				    why);
	}
	/* With no layer installed (over TLS, as asked) libldap has no strength to give. */
	if (ldap_get_option(c->ld, LDAP_OPT_X_SASL_SSF, &ssf) != LDAP_OPT_SUCCESS) {
		if (!c->tls)
			return connect_fail(err, c->uri, KD_ERR_CONNECT,
					    "cannot read the SASL security strength");
		ssf = 0;
	}
	c->ssf = ssf > UINT_MAX ? UINT_MAX : (unsigned)ssf;
	if (!c->tls && c->ssf < MIN_SSF)
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "the SASL security layer is too weak (SSF %u, at least %u "
				    "wanted without TLS)",
				    c->ssf, MIN_SSF);
	c->mechanism = "GSSAPI";
	return 0;
}

static int
bind_simple(struct kd_ldap *c, const struct kd_ldap_options *o, bool *ret_next,
	    struct kd_error *err)
{
	LDAPMessage *res = NULL;
	struct berval cred;
	char who[128], why[240], *text = NULL;
	int rc, code = LDAP_OTHER, msgid = -1;

	if (!c->tls)
		return connect_fail(err, c->uri, KD_ERR_USAGE,
				    "refusing a simple bind without TLS (the password would "
				    "cross the network in clear): use ldaps:// or --starttls");
	kd_escape_text(who, sizeof(who), o->simple_bind, strlen(o->simple_bind));
	cred.bv_val = (char *)(uintptr_t)o->password;
	cred.bv_len = strlen(o->password);
	kd_ldap_arm(c, c->op_timeout);
	rc = ldap_sasl_bind(c->ld, o->simple_bind, LDAP_SASL_SIMPLE, &cred, NULL, NULL, &msgid);
	if (rc == LDAP_SUCCESS && wait_bind(c, msgid, &res, why, sizeof(why)) < 0) {
		*ret_next = c->guard.tripped == KD_LDAP_TRIP_WAIT;
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "simple bind as '%s' failed: %s",
				    who, why);
	}
	if (rc == LDAP_SUCCESS)
		rc = ldap_parse_result(c->ld, res, &code, NULL, &text, NULL, NULL, 1);
	if (rc != LDAP_SUCCESS) {
		*ret_next = is_connection_error(rc);
		kd_ldap_reason(c, rc, why, sizeof(why));
		ldap_memfree(text);
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "simple bind as '%s' failed: %s",
				    who, why);
	}
	if (code != LDAP_SUCCESS) {
		char safe[200];

		*ret_next = is_connection_error(code);
		kd_ldap_dc_text(c, text, safe, sizeof(safe));
		ldap_memfree(text);
		return connect_fail(err, c->uri, KD_ERR_CONNECT,
				    "simple bind as '%s' failed: %s (%d)%s%s", who,
				    ldap_err2string(code), code, safe[0] ? ": " : "", safe);
	}
	ldap_memfree(text);
	c->mechanism = "simple";
	return 0;
}

/* StartTLS (RFC 4511 4.14): the extended operation, then the handshake. */
static int
starttls(struct kd_ldap *c, const struct kd_ldap_options *o, bool *ret_next, struct kd_error *err)
{
	LDAPMessage *res = NULL;
	char why[240], *text = NULL;
	int rc, type, code = LDAP_OTHER, msgid = -1;

	kd_ldap_arm(c, c->op_timeout);
	rc = ldap_extended_operation(c->ld, LDAP_EXOP_START_TLS, NULL, NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS) {
		*ret_next = true;
		kd_ldap_reason(c, rc, why, sizeof(why));
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "StartTLS failed: %s", why);
	}
	type = kd_ldap_next_message(c, msgid, &res, why, sizeof(why));
	if (type > 0 && type != LDAP_RES_EXTENDED) {
		snprintf(why, sizeof(why),
			 "the DC answered with an LDAP message of type 0x%x, not an extended "
			 "response",
			 (unsigned)type);
		type = KD_ERR_INCOMPLETE;
	}
	if (type > 0)
		rc = ldap_parse_result(c->ld, res, &code, NULL, &text, NULL, NULL, 0);
	ldap_msgfree(res);
	if (type < 0 || rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
		char safe[200];

		*ret_next = c->guard.tripped != KD_LDAP_TRIP_DEADLINE;
		if (type > 0 && rc != LDAP_SUCCESS)
			kd_ldap_reason(c, rc, why, sizeof(why));
		else if (type > 0) {
			kd_ldap_dc_text(c, text, safe, sizeof(safe));
			snprintf(why, sizeof(why), "%s (%d)%s%s", ldap_err2string(code), code,
				 safe[0] ? ": " : "", safe);
		}
		ldap_memfree(text);
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "StartTLS failed: %s", why);
	}
	ldap_memfree(text);
	kd_ldap_arm(c, c->connect_timeout);
	rc = start_tls(c, o, "StartTLS", err);
	if (rc < 0)
		*ret_next = c->guard.tripped != KD_LDAP_TRIP_DEADLINE;
	return rc;
}

/* Reads one text value of the rootDSE into a new C string (NULL when absent). */
static int
root_value(LDAP *ld, LDAPMessage *e, const char *name, char **ret)
{
	struct berval **vals = ldap_get_values_len(ld, e, name);
	char *s;

	*ret = NULL;
	if (!vals || !vals[0]) {
		ldap_value_free_len(vals);
		return 0;
	}
	if (memchr(vals[0]->bv_val, '\0', vals[0]->bv_len)) {
		ldap_value_free_len(vals);
		return KD_ERR_PARSE;
	}
	s = malloc(vals[0]->bv_len + 1);
	if (!s) {
		ldap_value_free_len(vals);
		return KD_ERR_NOMEM;
	}
	memcpy(s, vals[0]->bv_val, vals[0]->bv_len);
	s[vals[0]->bv_len] = '\0';
	ldap_value_free_len(vals);
	*ret = s;
	return 0;
}

/*
 * The naming contexts from the rootDSE: one entry, then the result. A second entry,
 * a reference or anything else fails at once (a base search names one object).
 */
static int
read_root_dse(struct kd_ldap *c, const struct kd_ldap_options *o, struct kd_error *err)
{
	char *attrs[] = {"defaultNamingContext", "configurationNamingContext", "dsServiceName",
			 "highestCommittedUSN", NULL};
	struct timeval tv = {.tv_sec = (time_t)c->op_timeout};
	char *def = NULL, *usn = NULL, why[240];
	int rc, r = 0, msgid = -1;
	bool done = false, got = false;

	kd_ldap_arm(c, c->op_timeout);
	rc = ldap_search_ext(c->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
			     &tv, LDAP_NO_LIMIT, &msgid);
	if (rc != LDAP_SUCCESS) {
		kd_ldap_reason(c, rc, why, sizeof(why));
		return connect_fail(err, c->uri, KD_ERR_CONNECT, "cannot read the rootDSE: %s", why);
	}
	while (!done && r == 0) {
		LDAPMessage *msg = NULL;
		int type;

		kd_ldap_arm(c, c->op_timeout);
		type = kd_ldap_next_message(c, msgid, &msg, why, sizeof(why));
		if (type < 0) {
			r = connect_fail(err, c->uri, KD_ERR_CONNECT, "cannot read the rootDSE: %s",
					 why);
		} else if (type == LDAP_RES_SEARCH_ENTRY && !got) {
			got = true;
			r = root_value(c->ld, msg, "defaultNamingContext", &def);
			if (r == 0)
				r = root_value(c->ld, msg, "configurationNamingContext",
					       &c->config_nc);
			if (r == 0)
				r = root_value(c->ld, msg, "dsServiceName", &c->service_name);
			if (r == 0)
				r = root_value(c->ld, msg, "highestCommittedUSN", &usn);
			if (r < 0)
				r = connect_fail(err, c->uri,
						 r == KD_ERR_NOMEM ? KD_ERR_NOMEM : KD_ERR_CONNECT,
						 r == KD_ERR_NOMEM
							 ? "out of memory"
							 : "the rootDSE has a NUL in a naming context");
		} else if (type == LDAP_RES_SEARCH_RESULT) {
			int code = LDAP_OTHER;

			done = true;
			rc = ldap_parse_result(c->ld, msg, &code, NULL, NULL, NULL, NULL, 0);
			if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS)
				r = connect_fail(err, c->uri, KD_ERR_CONNECT,
						 "cannot read the rootDSE: %s (%d)",
						 ldap_err2string(rc != LDAP_SUCCESS ? rc : code),
						 rc != LDAP_SUCCESS ? rc : code);
		} else {
			r = connect_fail(err, c->uri, KD_ERR_CONNECT,
					 "the DC answered the rootDSE read with %s",
					 type == LDAP_RES_SEARCH_ENTRY
						 ? "a second entry (a base search names one)"
						 : "an unexpected LDAP message");
		}
		ldap_msgfree(msg);
	}
	if (r == 0 && !got)
		r = connect_fail(err, c->uri, KD_ERR_CONNECT, "the rootDSE did not come");
	if (r == 0 && !c->config_nc)
		r = connect_fail(err, c->uri, KD_ERR_CONNECT,
				 "the rootDSE names no configurationNamingContext: is this an "
				 "Active Directory domain controller?");
	if (r == 0 && o->base) {
		c->base = strdup(o->base);
		if (!c->base)
			r = connect_fail(err, c->uri, KD_ERR_NOMEM, "out of memory");
	} else if (r == 0 && def) {
		c->base = def;
		def = NULL;
	} else if (r == 0) {
		r = connect_fail(err, c->uri, KD_ERR_CONNECT,
				 "the rootDSE names no defaultNamingContext: give --base");
	}
	/* only a plain decimal splits the domain search; anything else keeps one connection */
	c->has_usn = usn && kd_parse_size(usn, strlen(usn), &c->highest_usn) &&
		     c->highest_usn <= INT64_MAX;
	free(usn);
	free(def);
	return r;
}

/* Connects to @uri, binds, reads the rootDSE. */
static int
open_one(struct kd_ldap *c, const struct kd_ldap_options *o, const char *uri, bool *ret_next,
	 struct kd_error *err)
{
	LDAPURLDesc *lud = NULL;
	char why[240];
	bool ldaps;
	int fd, r;

	*ret_next = false;
	c->guard.tripped = KD_LDAP_TRIP_NONE;
	c->uri = strdup(uri);
	if (!c->uri)
		return connect_fail(err, uri, KD_ERR_NOMEM, "out of memory");
	/* URIs from ldap.conf or DNS get the checks -H ones got: refuse before sending */
	r = check_uri(o, uri, err);
	if (r < 0)
		return r;
	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS ||
	    (strcasecmp(lud->lud_scheme, "ldap") != 0 && strcasecmp(lud->lud_scheme, "ldaps") != 0)) {
		ldap_free_urldesc(lud);
		*ret_next = true;
		return connect_fail(err, uri, KD_ERR_CONNECT,
				    "not a usable LDAP URI (ldap://HOST or ldaps://HOST)");
	}
	ldaps = strcasecmp(lud->lud_scheme, "ldaps") == 0;
	/* one bound for the TCP connection and, on ldaps://, the TLS handshake */
	kd_ldap_arm(c, c->connect_timeout);
	fd = connect_socket(c, lud, ldaps, why, sizeof(why));
	ldap_free_urldesc(lud);
	if (fd < 0) {
		*ret_next = c->guard.tripped != KD_LDAP_TRIP_DEADLINE;
		return connect_fail(err, uri, KD_ERR_CONNECT, "cannot connect: %s", why);
	}
	r = attach(c, fd, uri, err);
	if (r == 0)
		r = set_options(c->ld, o, uri, ldaps || o->starttls, err);
	if (r < 0)
		return r;
	if (ldaps) {
		r = start_tls(c, o, "the TLS handshake", err);
		if (r < 0) {
			*ret_next = c->guard.tripped != KD_LDAP_TRIP_DEADLINE;
			return r;
		}
	} else if (o->starttls) {
		r = starttls(c, o, ret_next, err);
		if (r < 0)
			return r;
	}
	c->tls = ldap_tls_inplace(c->ld) != 0;
	r = o->simple_bind ? bind_simple(c, o, ret_next, err) : bind_gssapi(c, ret_next, err);
	if (r < 0)
		return r;
	return read_root_dse(c, o, err);
}

static void
release(struct kd_ldap *c)
{
	if (c->ld) {
		/* the unbind request gets a second, never past the deadline */
		kd_ldap_arm(c, 1);
		c->guard.tripped = KD_LDAP_TRIP_NONE;
		ldap_unbind_ext(c->ld, NULL, NULL);
	}
	c->ld = NULL;
	free(c->uri);
	c->uri = NULL;
	free(c->base);
	c->base = NULL;
	free(c->config_nc);
	c->config_nc = NULL;
	free(c->service_name);
	c->service_name = NULL;
}

void
kd_ldap_free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Appends @len bytes of @text as a new URI to @uris (at most KD_LDAP_MAX_URIS). */
static int
add_uri(char **uris, size_t *n, const char *prefix, const char *text, size_t len)
{
	size_t plen = strlen(prefix);

	if (*n >= KD_LDAP_MAX_URIS)
		return 0;
	uris[*n] = malloc(plen + len + 1);
	if (!uris[*n])
		return KD_ERR_NOMEM;
	memcpy(uris[*n], prefix, plen);
	memcpy(uris[*n] + plen, text, len);
	uris[*n][plen + len] = '\0';
	(*n)++;
	return 0;
}

/* Splits a list as libldap prints it ("a b" or "a,b") into URIs, each with @prefix. */
static int
split_uris(const char *list, const char *prefix, char ***ret_uris, size_t *ret_n)
{
	char **uris = calloc(KD_LDAP_MAX_URIS + 1, sizeof(*uris));
	size_t n = 0;

	if (!uris)
		return KD_ERR_NOMEM;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ,");

		if (len > 0 && add_uri(uris, &n, prefix, p, len) < 0) {
			kd_ldap_free_strv(uris);
			return KD_ERR_NOMEM;
		}
		p += len;
		p += strspn(p, " ,");
	}
	*ret_uris = uris;
	*ret_n = n;
	return 0;
}

/* "host:port host:port" from the domain's _ldap._tcp SRV records, as ldap:// URIs. */
static int
discover(const char *domain, char ***ret_uris, size_t *ret_n, struct kd_error *err)
{
	char *hosts = NULL;
	int rc, r = 0;

	rc = ldap_domain2hostlist(domain, &hosts);
	if (rc != LDAP_SUCCESS || !hosts || !*hosts) {
		kd_error_set(err, KD_ERR_CONNECT,
			     "no domain controller found in DNS (_ldap._tcp.%s SRV records): %s",
			     domain, rc != LDAP_SUCCESS ? ldap_err2string(rc) : "none");
		kd_error_set_where(err, domain, 0, NULL, NULL);
		r = KD_ERR_CONNECT;
	} else if (split_uris(hosts, "ldap://", ret_uris, ret_n) < 0) {
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	}
	ldap_memfree(hosts);
	return r;
}

/*
 * What libldap's LDAP_OPT_URI reads when no configuration names a server: its
 * built-in "ldap://localhost/", printed with the URL's defaults (2.4 to 2.6). A
 * configured URI prints without the "/??base" tail, even ldap://localhost/.
 */
#define LIBLDAP_DEFAULT_URI "ldap://localhost:389/??base"

/* The URI list ldap.conf (or ~/.ldaprc, $LDAPURI) names; NULL when none. */
static char *
conf_uri(void)
{
	LDAP *ld = NULL;
	char *uri = NULL, *copy = NULL;

	if (ldap_initialize(&ld, NULL) != LDAP_SUCCESS)
		return NULL;
	if (ldap_get_option(ld, LDAP_OPT_URI, &uri) == LDAP_OPT_SUCCESS && uri && *uri &&
	    strcmp(uri, LIBLDAP_DEFAULT_URI) != 0)
		copy = strdup(uri);
	ldap_memfree(uri);
	ldap_unbind_ext(ld, NULL, NULL);
	return copy;
}

bool
kd_ldap_conf_has_uri(void)
{
	char *uri = conf_uri();
	bool has = uri != NULL;

	free(uri);
	return has;
}

/* A connection not yet opened, with @o's settings and the conversation's @deadline. */
static int
conn_new(const struct kd_ldap_options *o, int64_t deadline, struct kd_ldap **ret,
	 struct kd_error *err)
{
	struct kd_ldap *c = calloc(1, sizeof(*c));
	int r;

	*ret = NULL;
	if (!c)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kd_strbuf_init(&c->data, KD_LDAP_ENTRY_MAX);
	kd_hashtab_init(&c->seen);
	c->connect_timeout = o->connect_timeout;
	c->op_timeout = o->op_timeout;
	c->deadline_s = o->deadline;
	c->guard.deadline = deadline;
	c->page_size = o->page_size;
	c->range_step = o->range_step;
	c->progress = o->progress;
	c->progress_ctx = o->progress_ctx;
	if (o->simple_bind) {
		r = kd_mask_new(o->password, strlen(o->password), &c->mask, err);
		if (r < 0) {
			kd_ldap_close(c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

/*
 * The other connections of @c, to the URI it bound to, while the password is still
 * here: each gets every check the first got and must reach the same DC (one
 * dsServiceName and naming context), or uSN ranges would mean nothing. A DC that
 * does not say who it is, or has no highestCommittedUSN, keeps one connection.
 */
static int
open_peers(struct kd_ldap *c, const struct kd_ldap_options *o, struct kd_error *err)
{
	unsigned want = o->connections ? o->connections : KD_LDAP_DEFAULT_CONNECTIONS;

	if (want < 2 || !c->has_usn || !c->service_name)
		return 0;
	c->peers = calloc(want - 1, sizeof(*c->peers));
	if (!c->peers)
		return kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	for (unsigned k = 1; k < want; k++) {
		struct kd_ldap *p = NULL;
		bool next;
		int r = conn_new(o, c->guard.deadline, &p, err);

		if (r < 0)
			return r;
		c->peers[c->npeers++] = p;
		r = open_one(p, o, c->uri, &next, err);
		if (r == 0 && (!p->service_name || strcasecmp(p->service_name, c->service_name) != 0 ||
			       strcasecmp(p->base, c->base) != 0)) {
			char safe[200];

			kd_ldap_dc_text(c, p->service_name ? p->service_name : "", safe,
					sizeof(safe));
			r = connect_fail(err, c->uri, KD_ERR_CONNECT,
					 "connection %u of %u reached another domain controller "
					 "('%s'): the connections must share one DC",
					 k + 1, want, safe);
		}
		if (r < 0) {
			size_t len = strlen(err->message);

			snprintf(err->message + len, sizeof(err->message) - len,
				 " (connection %u of %u)", k + 1, want);
			return r;
		}
	}
	return 0;
}

int
kd_ldap_open(const struct kd_ldap_options *opts, struct kd_ldap **ret_conn, struct kd_error *err)
{
	struct kd_ldap_options o = *opts;
	struct kd_ldap *c = NULL;
	char **found = NULL, *conf = NULL;
	const char *const *uris = NULL;
	size_t n = 0, tried = 0;
	struct kd_error last;
	int r = 0;

	if (!o.connect_timeout)
		o.connect_timeout = KD_LDAP_DEFAULT_CONNECT_TIMEOUT;
	if (!o.op_timeout)
		o.op_timeout = KD_LDAP_DEFAULT_OP_TIMEOUT;
	if (!o.deadline)
		o.deadline = KD_LDAP_DEFAULT_DEADLINE;
	if (!o.page_size)
		o.page_size = KD_LDAP_DEFAULT_PAGE_SIZE;
	r = kd_ldap_check_options(&o, err);
	if (r < 0)
		return r;
	if (o.simple_bind && (!o.password || !o.password[0]))
		/* RFC 4513 5.1.2: a name without a password is an unauthenticated bind */
		return kd_error_set(err, KD_ERR_USAGE,
				    "a simple bind needs a password (an empty one would be an "
				    "anonymous bind)");

	r = conn_new(&o, now_ms() + (int64_t)o.deadline * 1000, &c, err);
	if (r < 0)
		goto out;

	if (o.nuris) {
		uris = o.uris;
		n = o.nuris;
	} else if (o.domain) {
		r = discover(o.domain, &found, &n, err);
		uris = (const char *const *)found;
	} else if ((conf = conf_uri()) != NULL) {
		r = split_uris(conf, "", &found, &n);
		if (r < 0)
			kd_error_set(err, KD_ERR_NOMEM, "out of memory");
		uris = (const char *const *)found;
	} else {
		r = kd_error_set(err, KD_ERR_USAGE,
				 "no directory server named: give a URI or a domain (ldap.conf "
				 "names none)");
	}
	if (r < 0)
		goto out;

	kd_error_clear(&last);
	for (size_t i = 0; i < n; i++) {
		bool next = false;

		kd_error_clear(&last);
		r = open_one(c, &o, uris[i], &next, &last);
		tried++;
		if (r == 0) {
			r = open_peers(c, &o, &last);
			next = false; /* the first bound: a peer's failure is the run's */
		}
		if (r == 0)
			break;
		release(c);
		if (!next)
			break;
	}
	if (n == 0)
		r = kd_error_set(&last, KD_ERR_USAGE, "no directory server named in ldap.conf");
	if (r < 0) {
		if (tried > 1) {
			size_t len = strlen(last.message);

			snprintf(last.message + len, sizeof(last.message) - len,
				 " (the %zu URIs before failed too)", tried - 1);
		}
		kd_ldap_mask_error(c, &last);
		if (err)
			*err = last;
		goto out;
	}
	*ret_conn = c;
	c = NULL;
out:
	kd_ldap_close(c);
	kd_ldap_free_strv(found);
	free(conf);
	return r;
}

void
kd_ldap_close(struct kd_ldap *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < c->npeers; k++)
		kd_ldap_close(c->peers[k]);
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
	release(c);
	kd_mask_free(c->mask);
	kd_strbuf_free(&c->data);
	kd_hashtab_free(&c->seen);
	kd_arena_free(c->seen_keys);
	free(c->attrs);
	free(c->vals);
	free(c->kattrs);
	free(c->kvalues);
	free(c);
}

const char *
kd_ldap_uri(const struct kd_ldap *c)
{
	return c->uri;
}

const char *
kd_ldap_base(const struct kd_ldap *c)
{
	return c->base;
}

const char *
kd_ldap_mechanism(const struct kd_ldap *c)
{
	return c->mechanism;
}

unsigned
kd_ldap_ssf(const struct kd_ldap *c)
{
	return c->ssf;
}

bool
kd_ldap_tls(const struct kd_ldap *c)
{
	return c->tls;
}
