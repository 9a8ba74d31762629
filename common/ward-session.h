/* ward-session.h: one conversation with an authentication helper, shaped like polkit's
 * PolkitAgentSession.
 *
 * The helper is chosen in this order (HACKING.md): ward's socket (WARD_HELPER_SOCKET), polkit's
 * socket (/run/polkit/agent-helper.socket), polkit's setuid helper spawned with the cookie on
 * stdin (never on argv). One that is not there, or that ends the connection before it has said
 * anything (busy: systemd's MaxConnections=, ward-helper's per-uid bound), is passed over for
 * the next one; the session says so once, in a log message. Tests may replace the list with the
 * environment variable WARD_HELPER, a comma-separated list of socket:PATH and spawn:PATH (an
 * agent runs with its user's rights, so this grants nothing).
 */
#pragma once

#include <glib-object.h>
#include "ward-secret.h"

G_BEGIN_DECLS

#define WARD_TYPE_SESSION (ward_session_get_type ())
G_DECLARE_FINAL_TYPE (WardSession, ward_session, WARD, SESSION, GObject)

/* @user_name: the unix user to authenticate; @cookie: polkitd's cookie. */
WardSession *ward_session_new (const char *user_name, const char *cookie);

/* Starts the conversation; signals follow from the main loop:
 *   "request"   (const char *prompt, gboolean echo_on): answer with ward_session_respond()
 *   "show-info" (const char *text)
 *   "show-error"(const char *text)
 *   "completed" (gboolean gained_authorization): emitted exactly once, also after cancel and
 *               when no helper can be reached or the helper dies.
 * Strings in signals are raw helper text (untrusted): sanitise before showing. */
void ward_session_initiate (WardSession *self);

/* Writes @response (plus '\n') straight from the secret buffer to the helper. The secret is
 * always cleared when this returns. */
void ward_session_respond (WardSession *self, WardSecret *response);

/* Ends the conversation: closes the helper connection or kills the spawned helper. "completed"
 * (FALSE) is emitted if it was not already. */
void ward_session_cancel (WardSession *self);

/* Connects to ward's helper socket now, ahead of any request (HACKING.md, invariant 24), so
 * that systemd starts the helper instance and it verifies this process and loads PAM while
 * polkitd is still deciding. The next conversation that starts with ward's socket uses this
 * connection instead of a new one; when it has gone meanwhile (the helper drops idle
 * connections after 10 s) a fresh one replaces it, unnoticed. Nothing is sent on it before a
 * conversation starts. At most one per process; does nothing when the first helper to try is
 * not a socket (WARD_HELPER=spawn:...). Returns whether a connection is prepared. Call it only
 * when a request is coming (an agent started for one request, a dialog): it holds a root
 * process and one of the user's helper slots until it is used, dropped or closed. */
gboolean ward_session_prepare_helper (void);

/* Closes the prepared connection, if any: its helper instance exits. */
void ward_session_drop_prepared_helper (void);

/* Whether @prompt (sanitised PAM text) is empty or pam_unix's plain "Password:", with or without
 * its trailing space: the helper runs in the system's locale, so agents show their own
 * translated prompt instead (as polkit-gnome does); any other prompt is PAM's own. */
gboolean ward_session_prompt_is_default (const char *prompt);

/* Which helper the session talks to, for logs and tests: "ward-socket", "polkit-socket",
 * "polkit-setuid", "none" when no helper could be reached (or the user name or cookie was
 * refused before one was tried), or NULL before initiate. */
const char *ward_session_get_helper_kind (WardSession *self);

G_END_DECLS
