/* SPDX-License-Identifier: MIT */
/* The directory a command reads: an LDIF snapshot (--ldif) or a DC, with its options. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kdeleg/ldif.h"
#include "kdeleg/password.h"
#include "kdeleg/strbuf.h"

#include "cli-private.h"

/* Every --uri given fits the connection's list. */
_Static_assert(CLI_REPEAT_MAX <= KD_LDAP_MAX_URIS, "--uri may repeat more than uris[] holds");

/* The live source's options into args->ldap; -1 to go on. */
static int
take_ldap_options(struct cli_args *args)
{
	struct kd_ldap_options *l = &args->ldap;

	for (size_t i = 0; i < args->count[OPT_URI]; i++) {
		const char *uri = args->values[OPT_URI][i].text;

		if (strncasecmp(uri, "ldap://", 7) != 0 && strncasecmp(uri, "ldaps://", 8) != 0)
			return cli_usage_error("--uri takes ldap://HOST or ldaps://HOST, not '%s'",
					       uri);
		l->uris[l->nuris++] = uri;
	}
	l->domain = cli_text(args, OPT_DOMAIN);
	l->base = cli_text(args, OPT_BASE);
	l->starttls = cli_given(args, OPT_STARTTLS);
	l->insecure_tls = cli_given(args, OPT_INSECURE_TLS);
	l->ca_file = cli_text(args, OPT_CA_FILE);
	l->simple_bind = cli_text(args, OPT_SIMPLE_BIND);
	if (cli_given(args, OPT_TIMEOUT))
		l->connect_timeout = l->op_timeout = args->values[OPT_TIMEOUT][0].number;
	if (cli_given(args, OPT_DEADLINE))
		l->deadline = args->values[OPT_DEADLINE][0].number;
	if (cli_given(args, OPT_PAGE_SIZE))
		l->page_size = args->values[OPT_PAGE_SIZE][0].number;
	if (cli_given(args, OPT_RANGE_STEP))
		l->range_step = args->values[OPT_RANGE_STEP][0].number;
	if (cli_given(args, OPT_CONNECTIONS))
		l->connections = args->values[OPT_CONNECTIONS][0].number;
	return -1;
}

int
cli_check_source(struct cli_args *args, bool ldif_allowed)
{
	const char *name = args->command->name;
	struct kd_error err;
	int code = take_ldap_options(args);

	if (code >= 0)
		return code;
	if (cli_given(args, OPT_LDIF)) {
		if (args->ldap.nuris || args->ldap.domain)
			return cli_usage_error(
				"two sources: --ldif FILE or a DC (-H URI, -d DOMAIN), not both");
		return -1;
	}
	if (cli_given(args, OPT_PASSWORD_FILE) && !args->ldap.simple_bind)
		return cli_usage_error("--password-file goes with --simple-bind");
	if (!args->ldap.nuris && !args->ldap.domain && !kd_ldap_conf_has_uri())
		return cli_usage_error("%s needs a source: %s-H URI or -d DOMAIN (ldap.conf names no "
				       "server)",
				       name, ldif_allowed ? "--ldif FILE, " : "");
	kd_error_clear(&err);
	if (kd_ldap_check_options(&args->ldap, &err) < 0)
		return cli_fail(&err);
	return -1;
}

/* Reads the snapshot into @dir. */
static int
load_ldif(struct kd_directory *dir, const char *path, bool every_account, struct kd_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *source = is_stdin ? "<stdin>" : path;
	FILE *file = is_stdin ? stdin : fopen(path, "rb");
	struct kd_ldif *ldif = NULL;
	const struct kd_entry *entry;
	int r;

	if (!file) {
		kd_error_set(err, KD_ERR_IO, "cannot open: %s", strerror(errno));
		kd_error_set_where(err, source, 0, NULL, NULL);
		return KD_ERR_IO;
	}
	r = kd_ldif_open(file, source, kd_directory_attributes, &ldif, err);
	while (r == 0) {
		r = kd_ldif_next(ldif, &entry, err);
		if (r < 0 || !entry)
			break;
		r = kd_directory_add(dir, entry, err);
	}
	if (r == 0) {
		kd_directory_set_plan(dir, kd_ldif_plan(ldif));
		if (every_account && kd_ldif_plan(ldif) &&
		    strcmp(kd_ldif_plan(ldif), "targeted") == 0)
			r = kd_error_set(err, KD_ERR_USAGE,
					 "%s holds the targeted collection (the accounts a finding "
					 "can need), and this command may name any account: collect "
					 "with --full",
					 source);
	}
	if (r < 0 && r != KD_ERR_USAGE)
		kd_error_set_where(err, source, 0, NULL, NULL);
	kd_ldif_free(ldif);
	if (!is_stdin)
		fclose(file);
	return r;
}

/*
 * A source that yielded no account at all (a wrong base or filter, an ldapsearch
 * that failed into an empty file) must not pass for a clean domain.
 */
int
cli_check_scope(const struct kd_directory *dir, struct kd_error *err)
{
	struct kd_directory_counts c;

	kd_directory_counts(dir, &c);
	if (c.users + c.computers + c.dcs + c.service_accounts + c.trusts == 0)
		return kd_error_set(err, KD_ERR_INCOMPLETE,
				    "no accounts in %zu entries: the snapshot does not cover a "
				    "domain (check the search base and filter)",
				    c.entries);
	if (!kd_directory_domain(dir)->has_sid)
		fputs("kdeleg: warning: no domain object with objectSid in the source: "
		      "well-known domain groups cannot be told apart from other domains' and "
		      "fingerprints are not tied to the domain\n",
		      stderr);
	return 0;
}

static void
show_progress(void *ctx, const struct kd_ldap_progress *p)
{
	struct cli_progress *pr = ctx;
	char uri[256];
	const char *u = pr->conn ? kd_ldap_uri(pr->conn) : "";
	struct timespec now;

	/* ten lines a second at most: a terminal is slower than a DC's small pages */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pr->shown && !p->stage_done &&
	    (now.tv_sec - pr->last.tv_sec) * 1000000000L + (now.tv_nsec - pr->last.tv_nsec) <
		    100000000L)
		return;
	pr->last = now;
	kd_escape_text(uri, sizeof(uri), u, strlen(u));
	fprintf(stderr, "\rkdeleg: %s: %s: %zu entr%s, page %zu%s", uri, p->stage, p->entries,
		p->entries == 1 ? "y" : "ies", p->pages + (p->stage_done ? 0 : 1),
		p->stage_done ? ", done" : "");
	pr->shown = true;
}

void
cli_end_progress(struct cli_progress *pr)
{
	if (pr->shown)
		fputc('\n', stderr);
	pr->shown = false;
}

int
cli_open_ldap(struct cli_args *args, struct kd_ldap **ret_conn, struct cli_progress *pr,
	      struct kd_error *err)
{
	char *password = NULL;
	int r;

	if (args->ldap.simple_bind) {
		r = kd_password_get(cli_text(args, OPT_PASSWORD_FILE), args->ldap.simple_bind,
				    &password, err);
		if (r < 0)
			return r;
		args->ldap.password = password;
	}
	if (!cli_given(args, OPT_QUIET) && isatty(STDERR_FILENO)) {
		args->ldap.progress = show_progress;
		args->ldap.progress_ctx = pr;
	}
	r = kd_ldap_open(&args->ldap, ret_conn, err);
	args->ldap.password = NULL;
	kd_password_free(password);
	if (r == 0)
		pr->conn = *ret_conn;
	return r;
}

static int
entry_to_directory(void *ctx, const struct kd_entry *entry, struct kd_error *err)
{
	return kd_directory_add(ctx, entry, err);
}

enum kd_plan
cli_plan(const struct cli_args *args)
{
	return cli_given(args, OPT_FULL) ? KD_PLAN_FULL : KD_PLAN_TARGETED;
}

/* Reads the domain from a DC into @dir; *ret_source is the DC's URI (free it). */
static int
load_ldap(struct cli_args *args, enum kd_plan plan, struct kd_directory *dir,
	  char **ret_source, struct kd_error *err)
{
	struct cli_progress pr = {0};
	struct kd_plan_stats stats = {0};
	struct kd_ldap *conn = NULL;
	int r = cli_open_ldap(args, &conn, &pr, err);

	if (r == 0)
		r = kd_plan_collect(conn, plan, entry_to_directory, dir, &stats, err);
	kd_directory_set_plan(dir, kd_plan_name(stats.plan));
	cli_end_progress(&pr);
	if (r == 0 && !(*ret_source = strdup(kd_ldap_uri(conn))))
		r = kd_error_set(err, KD_ERR_NOMEM, "out of memory");
	kd_ldap_close(conn);
	return r;
}

int
cli_load_source(struct cli_args *args, bool every_account, struct kd_directory **ret_dir,
		char **ret_source, struct kd_error *err)
{
	const char *ldif = cli_text(args, OPT_LDIF);
	struct kd_directory *dir = NULL;
	int r;

	*ret_dir = NULL;
	*ret_source = NULL;
	r = kd_directory_new(&dir, err);
	if (r == 0)
		r = ldif ? load_ldif(dir, ldif, every_account, err)
			 : load_ldap(args, every_account ? KD_PLAN_FULL : cli_plan(args), dir,
				     ret_source, err);
	if (r == 0)
		r = kd_directory_finish(dir, err);
	if (r == 0)
		r = cli_check_scope(dir, err);
	*ret_dir = dir; /* freed by the caller, whole or not */
	return r;
}
