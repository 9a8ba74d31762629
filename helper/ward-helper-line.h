/* ward-helper-line.h: the framing of ward-helper's input, one byte at a time.
 *
 * ward-helper reads its agent's lines (user name, cookie, replies) one byte per read(2), so that
 * nothing beyond the current line is ever buffered outside a WardSecret, and hands each byte to
 * ward_helper_line_feed(). Every decision about what a line is lives here; ward-helper.c keeps
 * only the I/O (poll, read, timeouts, end of file) and the log lines. The fuzz target
 * tests/fuzz/fuzz-helper-request.c drives this very function.
 *
 * The rules (HACKING.md, invariants 4 and 9): a line ends at '\n', which is not stored; any other
 * byte, '\r' and bytes >= 0x80 included, is part of the line; a NUL byte refuses the line; so does
 * a line that, with its '\n', would not fit in WARD_WIRE_MAX_LINE bytes (the longest line is
 * WARD_WIRE_MAX_LINE - 1 bytes). A refused line is over: the caller clears @line and ends the
 * conversation.
 */
#pragma once

#include "ward-secret.h"

typedef enum {
  WARD_HELPER_LINE_MORE,     /* the byte was appended to @line */
  WARD_HELPER_LINE_END,      /* '\n': @line holds the whole line, without the '\n' */
  WARD_HELPER_LINE_NUL,      /* refused: a NUL byte */
  WARD_HELPER_LINE_TOO_LONG, /* refused: the line would not fit in WARD_WIRE_MAX_LINE */
} WardHelperLineStatus;

/* Takes the next byte @c of the line being read into @line (a WardSecret of at least
 * WARD_WIRE_MAX_LINE bytes, cleared before the first byte of each line). */
WardHelperLineStatus ward_helper_line_feed (WardSecret *line, char c);
