/* ward-auth-window.h: the authentication dialog's window (GTK4), one per request.
 *
 * It runs the helper conversation itself (WardSession), retries after a wrong password, and
 * emits "finished" exactly once with a WardGtkIpcOutcome.
 */
#pragma once

#include <gtk/gtk.h>
#include "ward-request.h"

G_BEGIN_DECLS

#define WARD_TYPE_AUTH_WINDOW (ward_auth_window_get_type ())
G_DECLARE_FINAL_TYPE (WardAuthWindow, ward_auth_window, WARD, AUTH_WINDOW, GtkWindow)

/* Wrong passwords allowed before the request ends unauthorised, as polkit-gnome does. */
#define WARD_AUTH_WINDOW_MAX_ATTEMPTS 3

/* Takes @request. @dump_path: test hook, NULL normally (see ward-gtk(1), WARD_GTK_DIALOG_DUMP). */
WardAuthWindow *ward_auth_window_new (WardRequest *request, guint32 invoking_uid,
                                      const char *dump_path);

/* Starts the first helper conversation. Call after presenting the window. */
void ward_auth_window_start (WardAuthWindow *self);

/* The listener went away or polkitd cancelled: stop the conversation now; "finished" is not
 * emitted afterwards. */
void ward_auth_window_abort (WardAuthWindow *self);

G_END_DECLS
