/* ward-text.h: make untrusted text safe to show.
 *
 * Security rule (HACKING.md, invariant 3): every string ward did not write itself (the action's
 * message, details, identity names and GECOS, PAM text, command lines) passes through
 * ward_text_sanitize() before a terminal sees it, and through ward_text_sanitize_markup() before
 * Pango markup sees it (GTK labels are plain text by default; use markup only when needed).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Default cap, in characters, for messages; names and prompts use smaller ones. */
#define WARD_TEXT_MAX_MESSAGE 1024
#define WARD_TEXT_MAX_NAME 128
/* Non-spacing and enclosing marks kept on one base character: enough for Vietnamese, Hebrew
 * points or Tibetan stacks, not for "Zalgo" text that draws over the lines around it. */
#define WARD_TEXT_MAX_MARKS 4

/* Untrusted line breaks ('\n', U+2028, U+2029) shown as WARD_TEXT_LINE_BREAK. */
#define WARD_TEXT_LINE_BREAK "\xe2\x86\xb5" /* U+21B5 ↵ */

typedef enum {
  /* One line: a line break becomes a space (tab becomes a space in every mode). */
  WARD_TEXT_SINGLE_LINE = 0,
  /* Keep '\n' (U+2028 and U+2029 become spaces). */
  WARD_TEXT_MULTILINE = 1 << 0,
  /* One line on which every line break is visible, WARD_TEXT_LINE_BREAK: for text that sits
   * among ward's own labelled lines (the message above "Action:" and "Requested by:", command
   * lines), where a real line break would let it start a line that looks like ward's own.
   * WARD_TEXT_MULTILINE wins when both are given. */
  WARD_TEXT_SHOW_BREAKS = 1 << 1,
} WardTextFlags;

/* Returns newly allocated valid UTF-8 safe for a terminal: invalid bytes become U+FFFD; escape
 * sequences (ESC and what follows it: CSI, OSC up to BEL/ST, DCS/SOS/PM/APC up to ST, and
 * two-byte ones) and their 8-bit C1 forms are removed; other C0 and C1 controls and DEL are
 * removed; every format character (Unicode category Cf: bidirectional controls, zero-width
 * space, word joiner, invisible operators, soft hyphen, interlinear annotation, tags, BOM...)
 * and every other default-ignorable character (U+034F, Hangul fillers, U+2065, U+FFF0-U+FFF8,
 * U+E0000-U+E0FFF...) is removed, except ZWNJ and ZWJ between two non-ASCII characters and
 * variation selectors after one (scripts and emoji need them); marks with no base character
 * get U+25CC as their base, and at most WARD_TEXT_MAX_MARKS non-spacing or enclosing marks
 * stay on one base; at most @max_chars characters are kept, and when text was cut an ellipsis
 * "…" ends it (the ellipsis counts within @max_chars). @len -1 means NUL-terminated. NULL text
 * gives "". */
char *ward_text_sanitize (const char *text, gssize len, gsize max_chars, WardTextFlags flags);

/* ward_text_sanitize() followed by escaping for Pango/GMarkup. */
char *ward_text_sanitize_markup (const char *text, gssize len, gsize max_chars, WardTextFlags flags);

G_END_DECLS
