/* ward-gtk-ipc.h: what the resident listener (ward-gtk) and one dialog process (ward-gtk-dialog)
 * say to each other over the socket the dialog inherits.
 *
 * Listener -> dialog: one frame, a 4-byte big-endian length followed by a GVariant of type
 * WARD_GTK_IPC_REQUEST_TYPE in normal form, the parameters of polkitd's BeginAuthentication:
 * (action_id, message, icon_name, details, cookie, identities). After that frame the listener
 * sends nothing; closing its end means "cancel now" (polkitd cancelled, or the listener exits).
 *
 * Dialog -> listener: one line, "done\n" (the helper conversation ended; polkitd knows whether
 * it succeeded) or "cancelled\n" (the user dismissed the dialog). Anything else, or the dialog
 * exiting without a line, is a failure.
 *
 * Security rules (HACKING.md): the password never crosses this socket, and nothing secret (the
 * cookie) ever goes on argv or into the environment. Parsing is bounded and strict.
 */
#pragma once

#include <glib.h>
#include "ward-request.h"

G_BEGIN_DECLS

#define WARD_GTK_IPC_REQUEST_TYPE "(sssa{ss}sa(sa{sv}))"
/* Largest request frame payload either side accepts. */
#define WARD_GTK_IPC_MAX_REQUEST (1024 * 1024)
/* Longest outcome line, '\n' included. */
#define WARD_GTK_IPC_MAX_OUTCOME 32

#define WARD_GTK_IPC_ERROR (ward_gtk_ipc_error_quark ())
GQuark ward_gtk_ipc_error_quark (void);

typedef enum {
  WARD_GTK_IPC_ERROR_TOO_LARGE,
  WARD_GTK_IPC_ERROR_MALFORMED,
} WardGtkIpcError;

typedef enum {
  WARD_GTK_IPC_OUTCOME_INVALID,
  WARD_GTK_IPC_OUTCOME_DONE,
  WARD_GTK_IPC_OUTCOME_CANCELLED,
} WardGtkIpcOutcome;

/* Encodes @request as one frame (length prefix included). NULL with @error when too large. */
GBytes *ward_gtk_ipc_encode_request (const WardRequest *request, GError **error);

/* Reads the 4-byte prefix: the payload length, or -1 with @error when it is out of bounds. */
gssize ward_gtk_ipc_parse_length (const guint8 prefix[4], GError **error);

/* Decodes a frame payload (without its prefix). Pure apart from the requester lookup in /proc
 * that ward_request_new() does. NULL with @error on anything malformed. */
WardRequest *ward_gtk_ipc_decode_request (const guint8 *payload, gsize len, GError **error);

const char *ward_gtk_ipc_outcome_to_line (WardGtkIpcOutcome outcome);
/* @line: what was read, with or without its '\n'. */
WardGtkIpcOutcome ward_gtk_ipc_outcome_from_line (const char *line, gsize len);

/* An icon name from polkitd, if it is safe to look up: only [A-Za-z0-9._-], not starting with
 * '.', at most 64 bytes. Otherwise NULL. */
char *ward_gtk_sanitize_icon_name (const char *icon_name);

G_END_DECLS
