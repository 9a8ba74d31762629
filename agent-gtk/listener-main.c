/* ward-gtk: the resident polkit authentication agent of a desktop session.
 *
 * It registers for the session with polkitd and starts ward-gtk-dialog for each request, one at
 * a time, first in first out. It links GLib and GIO only: no GTK, no password.
 *
 * Security rules (HACKING.md):
 *  1. The password never enters this process: the dialog runs the helper conversation and
 *     reports only "done" or "cancelled".
 *  2. Requests come only from polkitd's current name owner (WardAgent checks every call).
 *  3. Every request is answered exactly once, whatever the dialog does (crash, hang, cancel).
 *  4. A locked session shows no password dialog: when logind (and only logind: the signals are
 *     matched on its bus name) locks the session, the open dialog and every queued request are
 *     cancelled; when the session ends, the agent exits.
 *
 * Exit status: 0 when stopped by a signal, when its session ended or when the session already
 * has its agent, 1 on any
 * failure, the system bus going away included (not GLib's exit-on-close SIGTERM, which would
 * end in status 0), so that the user unit's Restart=on-failure starts it again.
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ward-agent.h"
#include "ward-dialog-runner.h"
#include "ward-gtk-instance.h"

typedef struct {
  WardAgent *agent;
  GMainLoop *loop;
  const char *dialog_path;
  GQueue queue;              /* of handles waiting for their dialog */
  gpointer active;           /* the handle whose dialog is open */
  gboolean active_completed;
  WardDialogRunner *runner;
  gboolean bus_lost;
  gboolean session_gone;
} Listener;

static void pump (Listener *listener);

static void
complete (Listener *listener, gpointer handle, WardAgentOutcome outcome, const char *message)
{
  g_debug ("completing a request: outcome %d%s%s", outcome, message ? ", " : "",
           message ? message : "");
  ward_agent_complete (listener->agent, handle, outcome, message);
}

static void
on_runner_outcome (WardDialogRunner *runner, int outcome, const char *message, gpointer data)
{
  Listener *listener = data;

  if (listener->active == NULL || listener->active_completed)
    return;
  listener->active_completed = TRUE;
  complete (listener, listener->active, outcome, message);
}

static void
on_runner_exited (WardDialogRunner *runner, gpointer data)
{
  Listener *listener = data;

  if (listener->active != NULL && !listener->active_completed)
    complete (listener, listener->active, WARD_AGENT_FAILED,
              "The authentication dialog exited unexpectedly");
  listener->active = NULL;
  listener->active_completed = FALSE;
  g_signal_handlers_disconnect_by_data (runner, listener);
  g_clear_object (&listener->runner);
  pump (listener);
}

/* Opens the next queued request's dialog unless one is open. */
static void
pump (Listener *listener)
{
  while (listener->runner == NULL && !g_queue_is_empty (&listener->queue))
    {
      gpointer handle = g_queue_pop_head (&listener->queue);
      WardRequest *request = ward_agent_get_request (listener->agent, handle);
      g_autoptr(GError) error = NULL;

      if (request == NULL)
        continue;
      if (request->identities == NULL || request->identities->len == 0)
        {
          complete (listener, handle, WARD_AGENT_FAILED, "No identity to authenticate as");
          continue;
        }

      WardDialogRunner *runner = ward_dialog_runner_new (listener->dialog_path);
      g_signal_connect (runner, "outcome", G_CALLBACK (on_runner_outcome), listener);
      g_signal_connect (runner, "exited", G_CALLBACK (on_runner_exited), listener);
      if (!ward_dialog_runner_start (runner, request, &error))
        {
          g_message ("cannot start %s: %s", listener->dialog_path, error->message);
          g_signal_handlers_disconnect_by_data (runner, listener);
          g_object_unref (runner);
          complete (listener, handle, WARD_AGENT_FAILED, "Cannot show the authentication dialog");
          continue;
        }
      listener->runner = runner;
      listener->active = handle;
      listener->active_completed = FALSE;
      g_debug ("dialog %d opened for %s", (int) ward_dialog_runner_get_pid (runner),
               request->action_id);
    }
}

static void
on_begin (WardAgent *agent, WardRequest *request, gpointer handle, gpointer data)
{
  Listener *listener = data;

  g_debug ("request for %s queued behind %u", request->action_id,
           g_queue_get_length (&listener->queue) + (listener->active != NULL ? 1 : 0));
  g_queue_push_tail (&listener->queue, handle);
  pump (listener);
}

static void
on_cancel (WardAgent *agent, gpointer handle, gpointer data)
{
  Listener *listener = data;

  if (handle == listener->active)
    {
      if (listener->active_completed)
        return;
      /* The dialog closes at once; the next one opens when it has exited. */
      ward_dialog_runner_cancel (listener->runner);
      listener->active_completed = TRUE;
      complete (listener, handle, WARD_AGENT_CANCELLED, NULL);
    }
  else if (g_queue_remove (&listener->queue, handle))
    complete (listener, handle, WARD_AGENT_CANCELLED, NULL);
}

/* Rule 4: cancels the open dialog and every queued request. */
static void
cancel_all (Listener *listener)
{
  if (listener->runner != NULL && !listener->active_completed)
    {
      ward_dialog_runner_cancel (listener->runner);
      listener->active_completed = TRUE;
      complete (listener, listener->active, WARD_AGENT_CANCELLED, NULL);
    }
  gpointer handle;
  while ((handle = g_queue_pop_head (&listener->queue)) != NULL)
    complete (listener, handle, WARD_AGENT_CANCELLED, NULL);
}

static void
on_session_locked (GDBusConnection *bus, const char *sender, const char *path,
                   const char *interface, const char *signal, GVariant *parameters,
                   gpointer data)
{
  Listener *listener = data;

  if (listener->runner != NULL || !g_queue_is_empty (&listener->queue))
    g_message ("the session was locked: cancelling its authentication requests");
  cancel_all (listener);
}

static void
on_session_removed (GDBusConnection *bus, const char *sender, const char *path,
                    const char *interface, const char *signal, GVariant *parameters,
                    gpointer data)
{
  Listener *listener = data;

  g_message ("the session ended");
  listener->session_gone = TRUE;
  g_main_loop_quit (listener->loop);
}

/* Rule 4: logind's Lock for SESSION and SessionRemoved for it. Without logind (the private
 * test world has none) there is nothing to follow. */
static void
watch_session (Listener *listener, GDBusConnection *bus, const char *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (
    bus, "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
    "GetSession", g_variant_new ("(s)", session), G_VARIANT_TYPE ("(o)"),
    G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, &error);
  if (reply == NULL)
    {
      g_debug ("not following the session's lock and end: %s", error->message);
      return;
    }

  const char *path;
  g_variant_get (reply, "(&o)", &path);
  g_dbus_connection_signal_subscribe (bus, "org.freedesktop.login1",
                                      "org.freedesktop.login1.Session", "Lock", path, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_session_locked, listener,
                                      NULL);
  g_dbus_connection_signal_subscribe (bus, "org.freedesktop.login1",
                                      "org.freedesktop.login1.Manager", "SessionRemoved",
                                      "/org/freedesktop/login1", session,
                                      G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_session_removed, listener, NULL);
}

static void
on_registered (WardAgent *agent, gpointer data)
{
  g_debug ("registered with polkitd");
}

static void
on_polkitd_vanished (WardAgent *agent, gpointer data)
{
  g_message ("polkitd left the system bus; waiting for it to come back");
}

static gboolean
on_quit_signal (gpointer data)
{
  Listener *listener = data;

  g_main_loop_quit (listener->loop);
  return G_SOURCE_REMOVE;
}

/* The system bus went away: polkitd cannot reach us any more, nor we it. */
static void
on_bus_closed (GDBusConnection *bus, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  Listener *listener = data;

  listener->bus_lost = TRUE;
  g_main_loop_quit (listener->loop);
}

static void
shut_down (Listener *listener)
{
  if (listener->runner != NULL)
    {
      ward_dialog_runner_cancel (listener->runner);
      g_signal_handlers_disconnect_by_data (listener->runner, listener);
      if (!listener->active_completed)
        complete (listener, listener->active, WARD_AGENT_CANCELLED, NULL);
      /* The runner's pending read and child watch hold references to it: wait until they let
       * go (the dialog closes on EOF, or is killed after WARD_DIALOG_RUNNER_EXIT_GRACE), so
       * the dialog is reaped and its socket closed before this process exits. */
      WardDialogRunner *runner = listener->runner;
      g_object_add_weak_pointer (G_OBJECT (runner), (gpointer *) &listener->runner);
      g_object_unref (runner);
      while (listener->runner != NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  gpointer handle;
  while ((handle = g_queue_pop_head (&listener->queue)) != NULL)
    complete (listener, handle, WARD_AGENT_CANCELLED, NULL);
}

int
main (int argc, char **argv)
{
  gboolean version = FALSE;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log each request"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_option_context_set_summary (context,
                                _("polkit authentication agent for a desktop session: asks for "
                                  "passwords in a small GTK dialog."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ward-gtk: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("ward-gtk %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);

  g_autofree char *session = ward_gtk_find_session (&error);
  if (session == NULL)
    {
      g_printerr ("ward-gtk: %s: %s\n", _("no desktop session to serve"), error->message);
      return 1;
    }

  int lock_fd = ward_gtk_lock_instance (session, &error);
  if (lock_fd < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        {
          /* Not a failure: the session already has its agent (autostart and unit both ran). */
          g_printerr ("ward-gtk: %s\n", error->message);
          return 0;
        }
      /* polkitd still refuses a second agent for the session, so carry on. */
      g_debug ("no instance lock: %s", error->message);
      g_clear_error (&error);
    }

  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("ward-gtk: %s: %s\n", _("cannot connect to the system bus"), error->message);
      return 1;
    }
  g_dbus_connection_set_exit_on_close (bus, FALSE);

  Listener listener = { 0 };
  g_queue_init (&listener.queue);
  listener.dialog_path = g_getenv ("WARD_GTK_DIALOG");
  if (listener.dialog_path == NULL || listener.dialog_path[0] == '\0')
    listener.dialog_path = WARD_DIALOG_PATH;
  listener.loop = g_main_loop_new (NULL, FALSE);
  listener.agent = ward_agent_new (bus);
  g_signal_connect (listener.agent, "begin", G_CALLBACK (on_begin), &listener);
  g_signal_connect (listener.agent, "cancel", G_CALLBACK (on_cancel), &listener);
  g_signal_connect (listener.agent, "registered", G_CALLBACK (on_registered), &listener);
  g_signal_connect (listener.agent, "polkitd-vanished", G_CALLBACK (on_polkitd_vanished),
                    &listener);
  gulong closed_id = g_signal_connect (bus, "closed", G_CALLBACK (on_bus_closed), &listener);

  WardSubject subject = { .kind = WARD_SUBJECT_SESSION, .session_id = session };
  if (!ward_agent_register (listener.agent, &subject, FALSE, &error))
    {
      /* Translators: the first %s is a logind session id, the second the reason. */
      g_autofree char *text = g_strdup_printf (_("cannot register as the authentication agent "
                                                 "of session %s: %s"),
                                               session, error->message);
      g_printerr ("ward-gtk: %s\n", text);
      g_signal_handler_disconnect (bus, closed_id);
      g_object_unref (listener.agent);
      g_main_loop_unref (listener.loop);
      return 1;
    }
  g_message ("authentication agent for session %s", session);
  watch_session (&listener, bus, session);

  g_unix_signal_add (SIGTERM, on_quit_signal, &listener);
  g_unix_signal_add (SIGINT, on_quit_signal, &listener);
  g_unix_signal_add (SIGHUP, on_quit_signal, &listener);
  g_main_loop_run (listener.loop);

  g_signal_handler_disconnect (bus, closed_id);
  shut_down (&listener);
  g_object_unref (listener.agent);
  g_main_loop_unref (listener.loop);
  if (lock_fd >= 0)
    close (lock_fd);
  if (listener.bus_lost)
    {
      g_printerr ("ward-gtk: %s\n", _("lost the connection to the system bus"));
      return 1;
    }
  return 0;
}
