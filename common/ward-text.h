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

typedef enum {
  WARD_TEXT_SINGLE_LINE = 0,
  /* Keep '\n' (tab becomes a space either way; in single-line mode '\n' becomes a space). */
  WARD_TEXT_MULTILINE = 1 << 0,
} WardTextFlags;

/* Returns newly allocated valid UTF-8 safe for a terminal: invalid bytes become U+FFFD; escape
 * sequences (ESC and what follows it: CSI, OSC up to BEL/ST, DCS/SOS/PM/APC up to ST, and
 * two-byte ones) and their 8-bit C1 forms are removed; other C0 and C1 controls and DEL are
 * removed; bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069,
 * U+200E, U+200F, U+061C) are removed; at most @max_chars characters are kept, and when text was
 * cut an ellipsis "…" ends it (the ellipsis counts within @max_chars). @len -1 means
 * NUL-terminated. NULL text gives "". */
char *ward_text_sanitize (const char *text, gssize len, gsize max_chars, WardTextFlags flags);

/* ward_text_sanitize() followed by escaping for Pango/GMarkup. */
char *ward_text_sanitize_markup (const char *text, gssize len, gsize max_chars, WardTextFlags flags);

G_END_DECLS
