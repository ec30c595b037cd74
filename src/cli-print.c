/* SPDX-License-Identifier: MIT */
/*
 * A command's result: to stdout or atomically to -o FILE, coloured and folded to the
 * width only when it goes to a terminal (a pipe or a file gets the lines unchanged).
 */
#define _GNU_SOURCE /* fopencookie */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kdeleg/cli-output.h"

#include "cli-private.h"

/* Narrower is no terminal worth folding for; wider, a COLUMNS typo. */
#define WIDTH_MIN 20u
#define WIDTH_MAX 1000u
/* A visual row: WIDTH_MAX code points of up to 4 bytes, and colour codes. */
#define ROW_MAX 8192

unsigned
cli_terminal_width(int fd)
{
	const char *columns = getenv("COLUMNS");
	struct winsize ws;
	unsigned long v = 0;

	if (!isatty(fd))
		return 0;
	for (const char *p = columns; p && *p && v <= WIDTH_MAX; p++)
		v = *p >= '0' && *p <= '9' ? v * 10 + (unsigned long)(*p - '0') : WIDTH_MAX + 1;
	if (v >= WIDTH_MIN && v <= WIDTH_MAX)
		return (unsigned)v;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= WIDTH_MIN)
		return ws.ws_col > WIDTH_MAX ? WIDTH_MAX : ws.ws_col;
	return 0;
}

/*
 * The folding stream's state: the visual row being filled. A row that would pass
 * the width breaks at its last space (else in the word), and the rest continues
 * on a line indented two more than the logical line's own indentation. Colour
 * codes (ESC [ ... letter) and UTF-8 continuation bytes take no column.
 */
struct fold {
	FILE *out;
	unsigned width;
	char row[ROW_MAX];
	size_t len;        /* bytes in row */
	unsigned col;      /* columns in row */
	size_t space;      /* byte offset of the last breakable space, 0: none */
	unsigned space_col;
	unsigned indent;   /* leading spaces of the logical line */
	bool leading;      /* still in them */
	int escape;        /* 0: text, 1: after ESC, 2: in a CSI sequence */
	bool failed;
};

static void
emit(struct fold *f, const char *data, size_t len)
{
	if (!f->failed && len && fwrite(data, 1, len, f->out) != len)
		f->failed = true;
}

/* Ends the row at @cut bytes and starts a continuation row with the bytes after @skip. */
static void
break_row(struct fold *f, size_t cut, size_t skip)
{
	unsigned cont = f->indent + 2 < f->width / 2 ? f->indent + 2 : f->width / 2;
	size_t rest = f->len - skip;
	char tail[ROW_MAX];
	unsigned tail_col = f->col - (skip == f->len ? f->col : f->space_col + 1);

	if (cont + rest >= ROW_MAX)
		cont = 0;

	while (cut > 0 && f->row[cut - 1] == ' ') /* no trailing blanks at the break */
		cut--;
	emit(f, f->row, cut);
	emit(f, "\n", 1);
	memcpy(tail, f->row + skip, rest);
	memset(f->row, ' ', cont);
	memcpy(f->row + cont, tail, rest);
	f->len = cont + rest;
	f->col = cont + tail_col;
	f->space = 0;
}

static void
fold_byte(struct fold *f, char c)
{
	unsigned char u = (unsigned char)c;

	if (c == '\n') {
		emit(f, f->row, f->len);
		emit(f, "\n", 1);
		f->len = f->col = 0;
		f->space = 0;
		f->indent = 0;
		f->leading = true;
		f->escape = 0;
		return;
	}
	if (f->len + 1 >= ROW_MAX) { /* colour codes and nothing to show: pass them on */
		emit(f, f->row, f->len);
		f->len = 0;
		f->space = 0;
	}
	if (f->escape == 0 && u == 0x1b) {
		f->escape = 1;
		f->row[f->len++] = c;
		return;
	}
	if (f->escape) { /* ESC [ parameters, then a final byte in 0x40..0x7e */
		f->escape = f->escape == 1 ? (c == '[' ? 2 : 0) : u >= 0x40 && u <= 0x7e ? 0 : 2;
		f->row[f->len++] = c;
		return;
	}
	if ((u & 0xc0) == 0x80) { /* UTF-8 continuation */
		f->row[f->len++] = c;
		return;
	}
	if (f->leading && c == ' ') {
		f->indent++;
	} else {
		f->leading = false;
	}
	if (f->col >= f->width) {
		if (c == ' ') { /* the break falls on a space: it goes */
			break_row(f, f->len, f->len);
			return;
		}
		if (f->space)
			break_row(f, f->space, f->space + 1);
		else
			break_row(f, f->len, f->len);
	}
	if (c == ' ' && !f->leading) {
		f->space = f->len;
		f->space_col = f->col;
	}
	f->row[f->len++] = c;
	f->col++;
}

static ssize_t
fold_write(void *cookie, const char *buf, size_t size)
{
	struct fold *f = cookie;

	for (size_t i = 0; i < size; i++)
		fold_byte(f, buf[i]);
	if (f->failed) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)size;
}

static int
fold_close(void *cookie)
{
	struct fold *f = cookie;
	bool ok;

	emit(f, f->row, f->len);
	ok = !f->failed && fflush(f->out) == 0;
	free(f);
	return ok ? 0 : EOF;
}

FILE *
cli_fold_open(FILE *out, unsigned width)
{
	static const cookie_io_functions_t io = {.write = fold_write, .close = fold_close};
	struct fold *f = calloc(1, sizeof(*f));
	FILE *stream;

	if (!f)
		return out;
	f->out = out;
	f->width = width;
	f->leading = true;
	stream = fopencookie(f, "w", io);
	if (!stream) {
		free(f);
		return out;
	}
	return stream;
}

int
cli_write(const struct cli_args *args, cli_writer_fn write, void *ctx, struct kd_error *err)
{
	struct kd_output out;
	unsigned width = 0;
	FILE *text;
	int r = kd_output_open(&out, cli_text(args, OPT_OUTPUT), err), c;
	bool color;

	if (r < 0)
		return r;
	text = out.file;
	color = args->format == FORMAT_TEXT && out.file == stdout && isatty(STDOUT_FILENO);
	if (color)
		width = cli_terminal_width(STDOUT_FILENO);
	if (width)
		text = cli_fold_open(out.file, width);
	/* auto colour: on a terminal that shows it, unless NO_COLOR (no-color.org) */
	if (cli_given(args, OPT_COLOR) && args->values[OPT_COLOR][0].choice != 0) {
		color = args->values[OPT_COLOR][0].choice == 1; /* always, never */
	} else if (color) {
		const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

		color = !(no_color && no_color[0]) && !(term && strcmp(term, "dumb") == 0);
	}
	r = write(text, color, ctx, err);
	/* writers that print as they go leave a failed write in the stream's error flag */
	if (r == 0 && (fflush(text) != 0 || ferror(text)))
		r = kd_error_set(err, KD_ERR_IO, "writing the output failed: %s", strerror(errno));
	if (text != out.file && fclose(text) != 0 && r == 0)
		r = kd_error_set(err, KD_ERR_IO, "writing the report failed: %s", strerror(errno));
	c = kd_output_close(&out, r == 0, r == 0 ? err : NULL);
	return r < 0 ? r : c;
}
