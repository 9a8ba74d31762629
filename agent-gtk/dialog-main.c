/* ward-gtk-dialog: one authentication dialog for one request, started by ward-gtk.
 *
 * It reads the request from the socket ward-gtk passes as --fd, runs the helper conversation,
 * writes the outcome line back (ward-gtk-ipc.h) and exits. When ward-gtk closes its end
 * (polkitd cancelled, or ward-gtk quit) the dialog closes at once.
 *
 * Security rules (HACKING.md):
 *  1. The process is not dumpable from the start: it will hold a password, and it is short-lived.
 *  2. Nothing secret arrives on argv or in the environment; the request is read with a size
 *     bound and a time bound.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gtk/gtk.h>

#include "ward-auth-window.h"
#include "ward-gtk-ipc.h"
#include "ward-session.h"

#define READ_TIMEOUT_MS 10000

typedef struct {
  int fd;
  gboolean done;
  guint fd_watch;
  WardAuthWindow *window;
} Dialog;

static gboolean
read_exactly (int fd, guint8 *buffer, gsize len, gint64 deadline, GError **error)
{
  gsize got = 0;

  while (got < len)
    {
      int timeout = (int) MAX (0, (deadline - g_get_monotonic_time ()) / 1000);
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      int r = poll (&pfd, 1, timeout);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("no request from ward-gtk"));
          return FALSE;
        }
      ssize_t n = read (fd, buffer + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, _("request cut short"));
          return FALSE;
        }
      got += n;
    }
  return TRUE;
}

static WardRequest *
read_request (int fd, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_MS * 1000;
  guint8 prefix[4];

  if (!read_exactly (fd, prefix, sizeof prefix, deadline, error))
    return NULL;
  gssize len = ward_gtk_ipc_parse_length (prefix, error);
  if (len < 0)
    return NULL;

  g_autofree guint8 *payload = g_malloc (len);
  if (!read_exactly (fd, payload, len, deadline, error))
    return NULL;
  return ward_gtk_ipc_decode_request (payload, len, error);
}

static void
write_outcome (int fd, WardGtkIpcOutcome outcome)
{
  const char *line = ward_gtk_ipc_outcome_to_line (outcome);
  gsize len = strlen (line);
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (fd, line + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return; /* ward-gtk is gone; it completes the request itself */
      done += n;
    }
}

static void
on_finished (WardAuthWindow *window, int outcome, gpointer data)
{
  Dialog *dialog = data;

  write_outcome (dialog->fd, outcome);
  dialog->done = TRUE;
  g_main_context_wakeup (NULL);
}

static gboolean
on_listener_fd (int fd, GIOCondition condition, gpointer data)
{
  Dialog *dialog = data;

  /* Anything from ward-gtk after the request, or its end closing, means "cancel now". */
  ward_auth_window_abort (dialog->window);
  dialog->done = TRUE;
  dialog->fd_watch = 0;
  g_main_context_wakeup (NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  Dialog *dialog = data;

  ward_auth_window_abort (dialog->window);
  dialog->done = TRUE;
  g_main_context_wakeup (NULL);
  return G_SOURCE_CONTINUE;
}

/* GTK 4.8 on X11 does not follow GNOME's color-scheme key by itself (only libadwaita does). */
static void
follow_dark_preference (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  if (source == NULL)
    return;
  g_autoptr(GSettingsSchema) schema = g_settings_schema_source_lookup (
    source, "org.gnome.desktop.interface", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return;

  g_autoptr(GSettings) settings = g_settings_new_full (schema, NULL, NULL);
  g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");
  if (g_strcmp0 (scheme, "prefer-dark") == 0)
    g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);
}

int
main (int argc, char **argv)
{
  int fd = -1;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "fd", 0, 0, G_OPTION_ARG_INT, &fd, N_("Read the request from file descriptor FD"), "FD" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL },
    { NULL }
  };

  /* Rule 1, before anything can hold a secret. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("ward-gtk-dialog");

  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_option_context_set_summary (context, _("The authentication dialog of ward-gtk. It is started "
                                           "by ward-gtk, one process per request."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ward-gtk-dialog: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("ward-gtk-dialog %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (fd < 3)
    {
      g_printerr ("ward-gtk-dialog: %s\n", _("this program is started by ward-gtk (--fd missing)"));
      return 2;
    }
  /* The inherited socket must not leak into the helper or anything else this process starts. */
  if (!g_unix_set_fd_nonblocking (fd, FALSE, &error) ||
      fcntl (fd, F_SETFD, FD_CLOEXEC) < 0)
    {
      g_autofree char *text =
        g_strdup_printf (_("cannot use the file descriptor given with --fd (%d)"), fd);
      g_printerr ("ward-gtk-dialog: %s\n", text);
      return 2;
    }

  /* A request is certain and GTK takes tens of milliseconds to start: connect to ward's helper
   * first, so that it starts and loads PAM meanwhile (HACKING.md, invariant 24). */
  ward_session_prepare_helper ();

  WardRequest *request = read_request (fd, &error);
  if (request == NULL)
    {
      g_printerr ("ward-gtk-dialog: %s\n", error->message);
      return 1;
    }

  /* Without a session bus there is no accessibility bus either, and GTK would try to autolaunch
   * one (dbus-launch) from the dialog: skip it. GDK (its file transfer portal, while opening the
   * display) and dconf would still run dbus-launch --autolaunch, GDK's in the main thread: give
   * them the address of the missing socket, which fails at once. */
  g_autofree char *bus_socket = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL &&
      !g_file_test (bus_socket, G_FILE_TEST_EXISTS))
    {
      g_autofree char *escaped = g_dbus_address_escape_value (bus_socket);
      g_autofree char *address = g_strconcat ("unix:path=", escaped, NULL);

      g_setenv ("GTK_A11Y", "none", FALSE);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
    }

  /* A new process per dialog pays for the renderer's start-up every time, and GL's (Mesa,
   * shader compiles) is most of it; a form of labels and entries gains nothing from GL. On X11
   * GDK also starts EGL, then GLX, while it opens the display, only to pick a visual: with the
   * cairo renderer GL is turned off too, and GDK picks the same 32-bit visual without loading
   * Mesa. A user's GSK_RENDERER, GDK_DEBUG or GDK_DISABLE still wins. (GTK 4.16 moved
   * gl-disable from GDK_DEBUG to GDK_DISABLE=gl.) */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0)
    {
      if (gtk_get_minor_version () < 16)
        g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
      else
        g_setenv ("GDK_DISABLE", "gl", FALSE);
    }

  if (!gtk_init_check ())
    {
      g_printerr ("ward-gtk-dialog: %s\n", _("cannot open the display"));
      ward_request_free (request);
      return 1;
    }
  follow_dark_preference ();

  Dialog dialog = { .fd = fd };
  const char *dump_path = g_getenv ("WARD_GTK_DIALOG_DUMP");
  dialog.window = ward_auth_window_new (request, getuid (), dump_path);
  g_signal_connect (dialog.window, "finished", G_CALLBACK (on_finished), &dialog);
  dialog.fd_watch = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_listener_fd, &dialog);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, &dialog);
  guint sigint = g_unix_signal_add (SIGINT, on_signal, &dialog);

  gtk_window_present (GTK_WINDOW (dialog.window));
  ward_auth_window_start (dialog.window);

  while (!dialog.done)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (sigterm);
  g_source_remove (sigint);
  if (dialog.fd_watch != 0)
    g_source_remove (dialog.fd_watch);
  /* Unfocus and unmap before destroying, so the entry sees its focus go. */
  gtk_window_set_focus (GTK_WINDOW (dialog.window), NULL);
  gtk_widget_set_visible (GTK_WIDGET (dialog.window), FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gtk_window_destroy (GTK_WINDOW (dialog.window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ward_session_drop_prepared_helper ();
  close (fd);
  return 0;
}
