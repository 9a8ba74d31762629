/* ward-wire.h: polkit's agent <-> helper line protocol (see landscape §3), as pure functions.
 *
 * Helper -> agent, one line each:
 *   "PAM_PROMPT_ECHO_OFF <escaped>\n", "PAM_PROMPT_ECHO_ON <escaped>\n",
 *   "PAM_ERROR_MSG <escaped>\n", "PAM_TEXT_INFO <escaped>\n", "SUCCESS\n", "FAILURE\n".
 * <escaped> is exactly g_strescape (text, NULL) after one trailing '\n' of text is removed, which
 * is what polkit-agent-helper-1 writes. Agent -> helper: the user name and the cookie (socket
 * mode) or the cookie alone (spawned mode) and then each reply, one raw line each.
 *
 * Parsing is strict: anything polkit's helper could not have written is an error, never a guess.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest line in either direction, including its '\n'. */
#define WARD_WIRE_MAX_LINE 4096
/* Longest user name line: LOGIN_NAME_MAX (256) less its NUL. */
#define WARD_WIRE_MAX_USER_NAME 255
/* Longest cookie line. polkitd's cookies are "AGENT-RANDOM-SERIAL-RANDOM" (two 64-bit decimal
 * serials and two 32-digit hexadecimal numbers, at most 108 bytes) since polkit 0.113, and
 * "cookieN" before. */
#define WARD_WIRE_MAX_COOKIE 256

#define WARD_WIRE_ERROR (ward_wire_error_quark ())
GQuark ward_wire_error_quark (void);

typedef enum {
  WARD_WIRE_ERROR_TOO_LONG,
  WARD_WIRE_ERROR_MALFORMED,
} WardWireError;

typedef enum {
  WARD_WIRE_PROMPT_ECHO_OFF,
  WARD_WIRE_PROMPT_ECHO_ON,
  WARD_WIRE_ERROR_MSG,
  WARD_WIRE_TEXT_INFO,
  WARD_WIRE_SUCCESS,
  WARD_WIRE_FAILURE,
} WardWireKind;

typedef struct {
  WardWireKind kind;
  /* Unescaped bytes, NUL-terminated, never NULL ("" for SUCCESS/FAILURE). Untrusted: it may be
   * invalid UTF-8 and hold control characters; pass it through ward-text before showing it. */
  char *text;
} WardWireMessage;

/* Parses one helper line. @line holds @len bytes and must NOT include the terminating '\n'
 * (the reader strips it); @len must be < WARD_WIRE_MAX_LINE. Returns NULL with @error set on
 * any malformed input. */
WardWireMessage *ward_wire_parse (const char *line, gsize len, GError **error);
void ward_wire_message_free (WardWireMessage *message);

/* Encodes one helper line, '\n' included. @text may be NULL for SUCCESS/FAILURE (and is ignored
 * for them). Returns NULL with @error set when the encoded line would exceed WARD_WIRE_MAX_LINE. */
char *ward_wire_encode (WardWireKind kind, const char *text, GError **error);

/* The escaping alone: g_strescape-compatible, and its strict inverse (NULL on malformed input). */
char *ward_wire_escape (const char *text);
char *ward_wire_unescape (const char *escaped, gsize len, GError **error);

/* Checks an agent -> helper line (user name, cookie or reply) before it is written or after it
 * is read, without its '\n': no NUL, no '\n', shorter than WARD_WIRE_MAX_LINE. */
gboolean ward_wire_check_plain_line (const char *line, gsize len, GError **error);

/* The request lines, checked by the agent before it writes them and by the helper before PAM
 * or polkitd sees them (HACKING.md, invariant 4):
 * a user name is 1 to WARD_WIRE_MAX_USER_NAME bytes of valid UTF-8 without control characters
 * (C0, DEL, C1); a cookie is 1 to WARD_WIRE_MAX_COOKIE bytes of ASCII letters, digits and '-',
 * the characters polkitd's cookies are made of. Both are plain lines too. */
gboolean ward_wire_check_user_name (const char *name, gsize len, GError **error);
gboolean ward_wire_check_cookie (const char *cookie, gsize len, GError **error);

const char *ward_wire_kind_to_string (WardWireKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WardWireMessage, ward_wire_message_free)

G_END_DECLS
