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

/* Terminals that do not use UTF-8 (invariant 3). A valid UTF-8 character can hold bytes
 * 0x80-0x9f ("Û" is C3 9B), which an 8-bit terminal takes for C1 controls (0x9b is CSI), and a
 * character the terminal's charset lacks shows as garbage. So text for such a terminal is
 * converted character by character, and a character that cannot be written exactly, or whose
 * bytes there would hold a control (below 0x20, 0x7f) or a byte in 0x80-0x9f, is written as an
 * ASCII escape, \uXXXX or \UXXXXXXXX (as g_convert_with_fallback() writes them). */

typedef struct _WardTextCharset WardTextCharset;

/* A terminal's character set, by name (an iconv name); NULL when it is UTF-8, which needs no
 * conversion. A charset iconv does not know is kept: every non-ASCII character is escaped. */
WardTextCharset *ward_text_charset_new (const char *name);
/* The locale's (LC_CTYPE, after setlocale ()): what a terminal started in it uses. */
WardTextCharset *ward_text_charset_new_for_locale (void);
void ward_text_charset_free (WardTextCharset *charset);

/* For untrusted text (after ward_text_sanitize()), on its way to a terminal using @charset:
 * returns UTF-8 in which every character that @charset cannot hold exactly and safely is
 * replaced by its escape; ASCII is kept; an invalid byte becomes \ufffd. NULL @charset (UTF-8):
 * a copy. NULL @text gives "". */
char *ward_text_restrict_charset (const char *text, WardTextCharset *charset);

/* Converts UTF-8 text to @charset for writing to the terminal: ASCII as it is (ward's own
 * colour sequences included), every other character exactly, else by the charset's
 * transliteration (ward's own typographic quotes on a Latin-1 terminal), else as its escape;
 * a character whose bytes would hold a control or a byte in 0x80-0x9f is always escaped. NULL
 * @charset (UTF-8): a copy. Untrusted text must go through ward_text_restrict_charset() first:
 * transliteration could make a character look like another ("ｐｋｅｘｅｃ" like "pkexec").
 * NULL @text gives "". */
char *ward_text_to_charset (const char *text, WardTextCharset *charset);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WardTextCharset, ward_text_charset_free)

G_END_DECLS
