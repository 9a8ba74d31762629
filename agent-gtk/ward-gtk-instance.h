/* ward-gtk-instance.h: which logind session ward-gtk serves, and one ward-gtk per session. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The logind session of this process, else the user's graphical ("display") session, which is
 * what a systemd user unit outside any session scope belongs to (polkit resolves it the same
 * way). NULL with G_IO_ERROR_NOT_FOUND when there is none. */
char *ward_gtk_find_session (GError **error);

/* Takes the per-session lock "ward-gtk-SESSION.lock" in the user's runtime directory
 * ($XDG_RUNTIME_DIR, else /run/user/UID; it must be a directory owned by the user with no
 * group/other access). Returns the lock's fd, held until the process exits, or -1 with:
 *   G_IO_ERROR_BUSY       another ward-gtk holds it;
 *   G_IO_ERROR_NOT_FOUND  there is no usable runtime directory (the caller then relies on
 *                         polkitd, which allows one agent per session);
 *   another code          the lock could not be taken. */
int ward_gtk_lock_instance (const char *session_id, GError **error);

G_END_DECLS
