/* SPDX-License-Identifier: MIT */
/* `kdeleg paths` as text (one chain a line) and JSON. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "kdeleg/report-paths.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

int
kd_report_paths_text(FILE *out, const json_t *doc, struct kd_error *err)
{
	const json_t *paths = json_object_get(doc, "paths");
	struct kd_strbuf sb;
	int r = 0;

	kd_strbuf_init(&sb, (size_t)16 << 20);
	for (size_t i = 0; i < json_array_size(paths) && r == 0; i++) {
		const char *text = json_string_value(json_object_get(json_array_get(paths, i), "text"));

		/* chain text is directory text: escaped so it cannot drive the terminal */
		r = kd_strbuf_append_safe(&sb, text ? text : "", text ? strlen(text) : 0);
		if (r == 0)
			r = kd_strbuf_putc(&sb, '\n');
		if (r == 0 && (sb.len > (1u << 20) || i + 1 == json_array_size(paths))) {
			if (fwrite(sb.data, 1, sb.len, out) != sb.len)
				goto io;
			kd_strbuf_reset(&sb);
		}
	}
	kd_strbuf_free(&sb);
	if (r < 0)
		return kd_error_set(err, r, "out of memory while writing the chains");
	return kd_report_finish(out, err);
io:
	kd_strbuf_free(&sb);
	return kd_error_set(err, KD_ERR_IO, "writing the chains failed: %s",
			    errno ? strerror(errno) : "write error");
}

int
kd_report_paths_json(FILE *out, const json_t *doc, struct kd_error *err)
{
	int r = kd_report_write_json(out, doc, JSON_INDENT(2), err);

	return r < 0 ? r : kd_report_finish(out, err);
}
