/* SPDX-License-Identifier: MIT */
/* Chains as a Graphviz graph: dot text, and SVG rendered in-process by libgvc when built with it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if KD_HAVE_GRAPHVIZ
#include <graphviz/gvc.h>

static GVC_t *shared_gvc;
#endif

#include "kdeleg/report-paths.h"
#include "kdeleg/strbuf.h"
#include "report-private.h"

#define DOT_MAX ((size_t)256 << 20)

/*
 * A dot string literal of directory text: escaped for a terminal first (no control
 * characters, no invalid UTF-8), then for dot, whose quoted strings end at '"' and
 * read backslash sequences (\N, \G, \l...) in labels.
 */
static void
quoted_body(struct kd_strbuf *sb, const char *text)
{
	struct kd_strbuf safe;
	const char *s;

	kd_strbuf_init(&safe, DOT_MAX);
	kd_strbuf_append_safe(&safe, text ? text : "", text ? strlen(text) : 0);
	for (s = kd_strbuf_str(&safe); *s; s++) {
		if (*s == '"' || *s == '\\')
			kd_strbuf_putc(sb, '\\');
		kd_strbuf_putc(sb, *s);
	}
	kd_strbuf_free(&safe);
}

static void
quoted(struct kd_strbuf *sb, const char *text)
{
	kd_strbuf_putc(sb, '"');
	quoted_body(sb, text);
	kd_strbuf_putc(sb, '"');
}

static const char *
str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A node's identity across chains: its SID, else its kind and name. */
static void
node_key(const json_t *node, struct kd_strbuf *key)
{
	kd_strbuf_reset(key);
	kd_strbuf_puts(key, str(node, "kind") ? str(node, "kind") : "?");
	kd_strbuf_putc(key, '\x1f');
	kd_strbuf_puts(key, str(node, "sid") ? str(node, "sid")
					     : str(node, "dn") ? str(node, "dn") : "");
	kd_strbuf_putc(key, '\x1f');
	kd_strbuf_puts(key, str(node, "name") ? str(node, "name") : "");
}

static const char *
node_shape(const char *kind)
{
	if (!kind)
		return "ellipse";
	if (strcmp(kind, "group") == 0)
		return "folder";
	if (strcmp(kind, "computer") == 0 || strcmp(kind, "domain-controller") == 0 ||
	    strcmp(kind, "read-only-domain-controller") == 0)
		return "box";
	if (strcmp(kind, "domain") == 0 || strcmp(kind, "trusting-domain") == 0)
		return "doubleoctagon";
	if (strcmp(kind, "any-authenticated-user") == 0 || strcmp(kind, "created-computer") == 0)
		return "diamond";
	if (strcmp(kind, "unresolved-sid") == 0)
		return "octagon";
	return "ellipse";
}

static void
node_line(struct kd_strbuf *sb, const json_t *node, size_t id, const char *indent)
{
	const char *kind = str(node, "kind");
	bool unresolved = kind && strcmp(kind, "unresolved-sid") == 0;
	bool pseudo = kind && (strcmp(kind, "any-authenticated-user") == 0 ||
			       strcmp(kind, "created-computer") == 0);

	kd_strbuf_printf(sb, "%sn%zu [label=", indent, id);
	quoted(sb, str(node, "name") ? str(node, "name") : str(node, "sid"));
	kd_strbuf_printf(sb, ", shape=%s", node_shape(kind));
	if (unresolved)
		kd_strbuf_puts(sb, ", style=dashed, color=\"#b2182b\", fontcolor=\"#b2182b\"");
	else if (pseudo)
		kd_strbuf_puts(sb, ", style=filled, fillcolor=\"#fee08b\"");
	else if (json_is_true(json_object_get(node, "tier0")))
		kd_strbuf_puts(sb, ", style=filled, fillcolor=\"#f4a582\"");
	kd_strbuf_puts(sb, "];\n");
}

static const char *
edge_style(const char *kind)
{
	static const struct {
		const char *kind, *style;
	} styles[] = {
		{"member-of", "style=dashed, color=gray50, fontcolor=gray40"},
		{"sid-history", "style=dashed, color=gray30, fontcolor=gray30"},
		{"token", "style=dotted, color=gray50, fontcolor=gray40"},
		{"create-computer", "style=dotted, color=\"#1a9850\", fontcolor=\"#1a9850\""},
		{"constrained-delegation", "color=\"#2166ac\", fontcolor=\"#2166ac\""},
		{"resource-based-delegation", "color=\"#b2182b\", fontcolor=\"#b2182b\""},
		{"write-rbcd", "color=\"#e08214\", fontcolor=\"#e08214\""},
		{"unconstrained-delegation", "color=\"#762a83\", fontcolor=\"#762a83\", penwidth=2"},
	};

	for (size_t k = 0; kind && k < sizeof(styles) / sizeof(*styles); k++)
		if (strcmp(kind, styles[k].kind) == 0)
			return styles[k].style;
	return "color=black";
}

/* The label of @hop: @label gets directory text (an SPN), @note our own words. */
static void
edge_label(struct kd_strbuf *label, struct kd_strbuf *note, const json_t *hop)
{
	const char *kind = str(hop, "kind");
	const json_t *ev = json_object_get(hop, "evidence");

	bool open = false;

	kd_strbuf_reset(label);
	kd_strbuf_reset(note);
	if (!kind)
		return;
	if (strcmp(kind, "member-of") == 0)
		kd_strbuf_puts(label, "member");
	else if (strcmp(kind, "constrained-delegation") == 0) {
		kd_strbuf_puts(label, json_is_true(json_object_get(ev, "protocol_transition"))
					      ? "constrained+PT "
					      : "constrained ");
		kd_strbuf_puts(label, str(ev, "spn") ? str(ev, "spn") : "");
	} else if (strcmp(kind, "resource-based-delegation") == 0)
		kd_strbuf_puts(label, "rbcd");
	else if (strcmp(kind, "write-rbcd") == 0) {
		kd_strbuf_puts(label, "write-rbcd ");
		kd_strbuf_puts(label, str(ev, "right") ? str(ev, "right") : "");
	} else if (strcmp(kind, "unconstrained-delegation") == 0)
		kd_strbuf_puts(label, "unconstrained (coercion)");
	else if (strcmp(kind, "create-computer") == 0)
		kd_strbuf_puts(label, "creates");
	else
		kd_strbuf_puts(label, kind);
	for (size_t k = 0; k < json_array_size(json_object_get(hop, "needs")); k++) {
		const char *need = json_string_value(json_array_get(json_object_get(hop, "needs"), k));

		if (need && strcmp(need, "coercion") != 0) {
			kd_strbuf_puts(note, open ? ", " : "(needs ");
			kd_strbuf_puts(note, need);
			open = true;
		}
	}
	if (open)
		kd_strbuf_putc(note, ')');
}

/* Builds the dot text of @doc into @sb. */
static int
build_dot(const json_t *doc, struct kd_strbuf *sb)
{
	const json_t *paths = json_object_get(doc, "paths");
	json_t *ids = json_object(), *edges = json_object(), *tier0 = json_array(),
	       *others = json_array();
	struct kd_strbuf key, label, note, edge;
	size_t next_id = 0;
	int r = 0;

	kd_strbuf_init(&key, DOT_MAX);
	kd_strbuf_init(&label, DOT_MAX);
	kd_strbuf_init(&note, DOT_MAX);
	kd_strbuf_init(&edge, DOT_MAX);
	if (!ids || !edges || !tier0 || !others) {
		r = KD_ERR_NOMEM;
		goto out;
	}
	kd_strbuf_puts(sb, "digraph kdeleg_paths {\n"
			   "  rankdir=LR;\n"
			   "  node [fontname=\"Helvetica\", fontsize=11];\n"
			   "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	/* nodes first, each once: tier 0 and the domain apart in their own cluster */
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const json_t *path = json_object_get(json_array_get(paths, i), "path");

		for (size_t k = 0; k < json_array_size(path); k++) {
			const json_t *node = json_array_get(path, k);

			node_key(node, &key);
			if (json_object_get(ids, kd_strbuf_str(&key)))
				continue;
			if (json_object_set_new(ids, kd_strbuf_str(&key),
						json_integer((json_int_t)next_id++)) < 0 ||
			    json_array_append(json_is_true(json_object_get(node, "tier0")) ? tier0
											 : others,
					      (json_t *)node) < 0) {
				r = KD_ERR_NOMEM;
				goto out;
			}
		}
	}
	kd_strbuf_puts(sb, "  subgraph cluster_tier0 {\n"
			   "    label=\"tier 0\"; style=\"rounded,filled\"; fillcolor=\"#fddbc7\";\n"
			   "    color=\"#b2182b\"; fontname=\"Helvetica-Bold\";\n");
	for (size_t k = 0; k < json_array_size(tier0); k++) {
		const json_t *node = json_array_get(tier0, k);

		node_key(node, &key);
		node_line(sb, node, (size_t)json_integer_value(json_object_get(ids, kd_strbuf_str(&key))),
			  "    ");
	}
	kd_strbuf_puts(sb, "  }\n");
	for (size_t k = 0; k < json_array_size(others); k++) {
		const json_t *node = json_array_get(others, k);

		node_key(node, &key);
		node_line(sb, node, (size_t)json_integer_value(json_object_get(ids, kd_strbuf_str(&key))),
			  "  ");
	}
	/* then each distinct edge once */
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const json_t *chain = json_array_get(paths, i);
		const json_t *path = json_object_get(chain, "path"), *hops = json_object_get(chain, "hops");

		for (size_t k = 0; k < json_array_size(hops) && k + 1 < json_array_size(path); k++) {
			const json_t *hop = json_array_get(hops, k);
			json_int_t a, b;

			node_key(json_array_get(path, k), &key);
			a = json_integer_value(json_object_get(ids, kd_strbuf_str(&key)));
			node_key(json_array_get(path, k + 1), &key);
			b = json_integer_value(json_object_get(ids, kd_strbuf_str(&key)));
			edge_label(&label, &note, hop);
			kd_strbuf_reset(&edge);
			kd_strbuf_printf(&edge, "  n%lld -> n%lld [label=\"", (long long)a, (long long)b);
			quoted_body(&edge, kd_strbuf_str(&label));
			if (note.len) {
				kd_strbuf_puts(&edge, "\\n"); /* dot's line break */
				quoted_body(&edge, kd_strbuf_str(&note));
			}
			kd_strbuf_putc(&edge, '"');
			kd_strbuf_printf(&edge, ", %s];\n", edge_style(str(hop, "kind")));
			if (json_object_get(edges, kd_strbuf_str(&edge)))
				continue;
			if (json_object_set_new(edges, kd_strbuf_str(&edge), json_true()) < 0) {
				r = KD_ERR_NOMEM;
				goto out;
			}
			kd_strbuf_puts(sb, kd_strbuf_str(&edge));
		}
	}
	kd_strbuf_puts(sb, "}\n");
	/* a buffer that failed to grow has stayed short: the last put tells */
	if (kd_strbuf_putc(sb, '\0') < 0)
		r = KD_ERR_NOMEM;
	else
		sb->len--;
out:
	kd_strbuf_free(&key);
	kd_strbuf_free(&label);
	kd_strbuf_free(&note);
	kd_strbuf_free(&edge);
	json_decref(ids);
	json_decref(edges);
	json_decref(tier0);
	json_decref(others);
	return r;
}

static int
write_all(FILE *out, const void *data, size_t len, struct kd_error *err)
{
	errno = 0;
	if ((len && fwrite(data, 1, len, out) != len))
		return kd_error_set(err, KD_ERR_IO, "writing the graph failed: %s",
				    errno ? strerror(errno) : "write error");
	return kd_report_finish(out, err);
}

int
kd_report_paths_dot(FILE *out, const json_t *doc, struct kd_error *err)
{
	struct kd_strbuf sb;
	int r;

	kd_strbuf_init(&sb, DOT_MAX);
	r = build_dot(doc, &sb);
	if (r < 0)
		r = kd_error_set(err, r, "out of memory while drawing the graph");
	else
		r = write_all(out, sb.data ? sb.data : "", sb.len, err);
	kd_strbuf_free(&sb);
	return r;
}

bool
kd_report_svg_available(void)
{
	return KD_HAVE_GRAPHVIZ;
}

int
kd_report_paths_svg(FILE *out, const json_t *doc, struct kd_error *err)
{
#if KD_HAVE_GRAPHVIZ
	struct kd_strbuf sb;
	GVC_t *gvc = NULL;
	Agraph_t *graph = NULL;
	char *data = NULL;
	unsigned int len = 0;
	int r;

	kd_strbuf_init(&sb, DOT_MAX);
	r = build_dot(doc, &sb);
	if (r < 0) {
		r = kd_error_set(err, r, "out of memory while drawing the graph");
		goto out;
	}
	/* One context for the process, never freed: Graphviz's pango plugin keeps a font
	 * cache across contexts, and a second context after gvFreeContext reads freed
	 * memory (the HTML report draws one picture a chain finding). */
	if (!shared_gvc)
		shared_gvc = gvContext();
	gvc = shared_gvc;
	if (!gvc || !(graph = agmemread(kd_strbuf_str(&sb))) ||
	    gvLayout(gvc, graph, "dot") != 0) {
		r = kd_error_set(err, KD_ERR_NOMEM, "Graphviz could not lay the graph out");
		goto out;
	}
	if (gvRenderData(gvc, graph, "svg", &data, &len) != 0 || !data) {
		gvFreeLayout(gvc, graph);
		r = kd_error_set(err, KD_ERR_NOMEM,
				 "Graphviz could not render SVG (is its core plugin installed? "
				 "run 'dot -c' as root)");
		goto out;
	}
	r = write_all(out, data, len, err);
	gvFreeRenderData(data);
	gvFreeLayout(gvc, graph);
out:
	if (graph)
		agclose(graph);
	kd_strbuf_free(&sb);
	return r;
#else
	(void)out;
	(void)doc;
	return kd_error_set(err, KD_ERR_USAGE,
			    "this kdeleg was built without Graphviz: install libgraphviz-dev and "
			    "rebuild (meson setup -Dgraphviz=enabled), or use --format dot and "
			    "render it with 'dot -Tsvg'");
#endif
}
