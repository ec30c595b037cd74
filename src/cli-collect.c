/* SPDX-License-Identifier: MIT */
/* kdeleg collect: a DC's entries into an LDIF snapshot, complete or not at all. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "kdeleg/cli-output.h"
#include "kdeleg/ldif-write.h"

#include "cli-private.h"

/* Where collect's entries go: the snapshot, and the model that checks it. */
struct snapshot {
	FILE *file;
	const char *path;
	struct kd_directory *dir;
	const char *source;         /* the DC's URI */
	struct kd_plan_stats stats; /* its plan is known before the first entry */
	bool headed;
};

/* The header, once: it names the plan the entries really came by. */
static int
write_header(struct snapshot *snap, struct kd_error *err)
{
	const char *plan = kd_plan_name(snap->stats.plan);

	if (snap->headed)
		return 0;
	snap->headed = true;
	kd_directory_set_plan(snap->dir, plan);
	if (kd_ldif_write_header(snap->file, snap->source, plan, time(NULL), err) < 0) {
		kd_error_set_where(err, snap->path, 0, NULL, NULL);
		return KD_ERR_IO;
	}
	return 0;
}

static int
entry_to_snapshot(void *ctx, const struct kd_entry *entry, struct kd_error *err)
{
	struct snapshot *snap = ctx;
	int r = write_header(snap, err);

	if (r == 0)
		r = kd_ldif_write_entry(snap->file, entry, err);

	if (r == KD_ERR_IO)
		kd_error_set_where(err, snap->path, 0, NULL, NULL);
	if (r == 0)
		r = kd_directory_add(snap->dir, entry, err);
	return r;
}

/*
 * The same entries as a live audit reads, as an LDIF snapshot. Declared complete
 * (the trailer written, the file renamed into place) only after the model an audit
 * would build from it accepts it: the same checks (one DN, one SID per object,
 * accounts present), so that collect never succeeds on a snapshot that audit
 * --ldif refuses. The output is opened before anything is sent: a directory that
 * cannot take it fails before the password goes anywhere.
 */
int
cli_cmd_collect(struct cli_args *args)
{
	struct cli_progress pr = {0};
	struct kd_ldap *conn = NULL;
	struct kd_error err;
	struct kd_output out = {0};
	struct snapshot snap = {0};
	const char *path = cli_text(args, OPT_OUTPUT);
	bool opened = false;
	int r, code;

	kd_error_clear(&err);
	/* a failed collection must leave nothing behind, which stdout cannot promise */
	if (!path || strcmp(path, "-") == 0)
		return cli_usage_error("collect writes a file atomically: give -o FILE (not stdout)");
	code = cli_check_source(args, false);
	if (code >= 0)
		return code;
	snap.path = path;
	r = kd_output_open(&out, path, &err);
	opened = r == 0;
	if (r == 0)
		r = kd_directory_new(&snap.dir, &err);
	if (r == 0)
		r = cli_open_ldap(args, &conn, &pr, &err);
	snap.file = out.file;
	if (r == 0) {
		snap.source = kd_ldap_uri(conn);
		r = kd_plan_collect(conn, cli_plan(args), entry_to_snapshot, &snap, &snap.stats,
				    &err);
	}
	if (r == 0) /* no entry at all: the scope check below refuses it */
		r = write_header(&snap, &err);
	cli_end_progress(&pr);
	if (r == 0)
		r = kd_directory_finish(snap.dir, &err);
	if (r == 0)
		r = cli_check_scope(snap.dir, &err);
	if (r < 0 && !err.source[0] && conn)
		kd_error_set_where(&err, kd_ldap_uri(conn), 0, NULL, NULL);
	if (r == 0 && kd_ldif_write_trailer(out.file, kd_ldap_entries(conn), &err) < 0) {
		kd_error_set_where(&err, path, 0, NULL, NULL);
		r = KD_ERR_IO;
	}
	if (opened) {
		int c = kd_output_close(&out, r == 0, r == 0 ? &err : NULL);

		if (r == 0)
			r = c;
	}
	kd_ldap_close(conn);
	kd_directory_free(snap.dir);
	return r < 0 ? cli_fail(&err) : KD_EXIT_OK;
}
