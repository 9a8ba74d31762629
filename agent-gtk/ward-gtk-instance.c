/* ward-gtk-instance.c: session lookup and the one-instance lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "ward-gtk-instance.h"
#include "ward-login.h"

char *
ward_gtk_find_session (GError **error)
{
  char *session = ward_login_pid_get_session (0);

  if (session == NULL)
    session = ward_login_uid_get_display (getuid ());
  if (session == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         _("this process is not part of a logind session and its user has "
                           "no graphical session"));
  return session;
}

static gboolean
is_private_dir (const char *path)
{
  struct stat st;

  return path != NULL && g_path_is_absolute (path) && lstat (path, &st) == 0 &&
         S_ISDIR (st.st_mode) && st.st_uid == getuid () && (st.st_mode & 077) == 0;
}

int
ward_gtk_lock_instance (const char *session_id, GError **error)
{
  g_return_val_if_fail (ward_login_session_id_is_valid (session_id), -1);

  g_autofree char *fallback = g_strdup_printf ("/run/user/%u", (unsigned) getuid ());
  const char *dir = g_getenv ("XDG_RUNTIME_DIR");
  if (!is_private_dir (dir))
    dir = is_private_dir (fallback) ? fallback : NULL;
  if (dir == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "no private runtime directory for the instance lock");
      return -1;
    }

  g_autofree char *name = g_strdup_printf ("ward-gtk-%s.lock", session_id);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      int saved = errno;
      close (fd);
      if (saved == EWOULDBLOCK)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     _("another ward-gtk is already running for session %s"), session_id);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                     g_strerror (saved));
      return -1;
    }

  /* The holder's pid, for people reading the file; the lock is what counts. */
  char pid[32];
  int len = g_snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) == 0 && write (fd, pid, len) != len)
    g_debug ("could not write the pid into %s", path);
  return fd;
}
