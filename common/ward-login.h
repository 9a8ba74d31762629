/* ward-login.h: which logind session a process or a user belongs to, read the way libsystemd's
 * sd_pid_get_session() and sd_uid_get_display() read it (the process's systemd cgroup and
 * /run/systemd/users/UID), without linking libsystemd: the resident ward-gtk listener would
 * otherwise carry libsystemd, libgcrypt and three compression libraries all session long for two
 * file reads (tests/bench/ANALYSIS.md).
 *
 * These answers are as trustworthy as libsystemd's: cgroup membership is set by root (systemd)
 * and a user's delegated subtree (user@UID.service) never passes for a session, because the
 * first unit below the slices must itself be a session scope.
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

G_BEGIN_DECLS

/* logind's rule for session ids: one or more ASCII letters and digits. */
gboolean ward_login_session_id_is_valid (const char *session_id);

/* Whether @name is made only of the characters systemd allows in a unit name (letters, digits,
 * ":-_.\\@") and at most 255 long; the unit type is the caller's to check. */
gboolean ward_login_unit_name_is_valid (const char *name);

/* The session id in the contents of a /proc/PID/cgroup file, or NULL: the path of the "0::"
 * line when @unified (systemd's own hierarchy is cgroup v2: a unified or hybrid host), else of
 * the "name=systemd" line; after the leading slices, the first unit must be "session-ID.scope". */
char *ward_login_session_from_cgroup (const char *contents, gboolean unified);

/* The DISPLAY= value (the user's graphical session) of a /run/systemd/users/UID file, or NULL. */
char *ward_login_display_from_user_file (const char *contents);

/* The session of process @pid (0: this process), or NULL when it is in none. */
char *ward_login_pid_get_session (pid_t pid);

/* The graphical session logind recorded for @uid, or NULL. */
char *ward_login_uid_get_display (uid_t uid);

G_END_DECLS
