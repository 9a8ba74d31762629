/* ward-tty: polkit's textual authentication agent, a drop-in for pkttyagent.
 *
 * The shape: options -> terminal -> system bus -> register -> close the notify fd -> main loop.
 * Exit codes as pkttyagent: 126 for bad options, a dead parent or a failed registration; 127
 * when polkitd or a terminal is not available, and 127 as well when the system bus goes away
 * later (pkttyagent itself dies by GLib's exit-on-close SIGTERM then). SIGTERM, SIGINT and SIGHUP
 * restore the terminal, answer polkitd and end the process by the same signal, in every state.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "tty-flow.h"
#include "tty-terminal.h"
#include "ward-agent.h"
#include "ward-login.h"
#include "ward-request.h"
#include "ward-session.h"
#include "ward-text.h"

#define EXIT_BAD_USAGE 126
#define EXIT_UNAVAILABLE 127

#define PREFER_ENV "WARD_TTY_PREFER_TERMINAL"
#define CONFIG_ENV "WARD_TTY_CONFIG"
#define CONFIG_FILE SYSCONFDIR "/ward/tty.conf"

typedef struct {
  GMainLoop *loop;
  TtyFlow *flow;
  GDBusConnection *bus;
  int exit_signal; /* re-raised after cleanup, 0 for none */
  int status;
  gboolean bus_lost;
} App;

/* Whether to register without "fallback" even when asked for it, so that the terminal wins
 * over a graphical agent of the session (systemd#40886). The environment variable overrides
 * the configuration file. */
static gboolean
prefer_terminal (void)
{
  const char *env = g_getenv (PREFER_ENV);
  if (env != NULL && *env != '\0')
    return g_strcmp0 (env, "1") == 0 || g_ascii_strcasecmp (env, "true") == 0 ||
           g_ascii_strcasecmp (env, "yes") == 0;

  const char *path = g_getenv (CONFIG_ENV);
  if (path == NULL || *path == '\0')
    path = CONFIG_FILE;

  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message (_("Ignoring %s: %s"), path, error->message);
      return FALSE;
    }
  gboolean value = g_key_file_get_boolean (keyfile, "tty", "prefer-terminal", &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND) &&
          !g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        g_message (_("Ignoring %s: %s"), path, error->message);
      return FALSE;
    }
  return value;
}

/* PID[,START_TIME[,UID]], each part strict decimal. */
static gboolean
parse_process (const char *text, WardSubject *subject)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  guint n = g_strv_length (parts);
  guint32 pid = 0;

  if (n < 1 || n > 3 || !ward_parse_uint32 (parts[0], &pid) || pid == 0)
    return FALSE;
  subject->kind = WARD_SUBJECT_PROCESS;
  subject->pid = pid;
  subject->start_time = 0;
  subject->uid = -1;
  if (n >= 2)
    {
      guint64 start_time = 0;
      if (!g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT64, &start_time, NULL))
        return FALSE;
      subject->start_time = start_time;
    }
  if (n == 3)
    {
      guint32 uid = 0;
      if (!ward_parse_uint32 (parts[2], &uid) || uid > G_MAXINT32)
        return FALSE;
      subject->uid = uid;
    }
  return TRUE;
}

/* polkitd (122 and later) consults a fallback agent only after looking for the subject's logind
 * session: for a process outside any session, a fallback agent is never asked and the request
 * fails without a prompt (su, sudo -i, cron-like contexts). There is no session agent to defer
 * to then, so the fallback option only does harm. */
static gboolean
subject_has_session (const WardSubject *subject)
{
  g_autofree char *session = NULL;

  if (subject->kind != WARD_SUBJECT_PROCESS)
    return TRUE;
  session = ward_login_pid_get_session ((pid_t) subject->pid);
  return session != NULL;
}

static gboolean
quit_cb (gpointer user_data)
{
  App *app = user_data;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_hangup (gpointer user_data)
{
  App *app = user_data;
  app->status = 1;
  return quit_cb (app);
}

static void
on_signal (App *app, int signum)
{
  app->exit_signal = signum;
  g_main_loop_quit (app->loop);
}

static gboolean
on_sigterm (gpointer user_data)
{
  on_signal (user_data, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  on_signal (user_data, SIGINT);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sighup (gpointer user_data)
{
  on_signal (user_data, SIGHUP);
  return G_SOURCE_CONTINUE;
}

/* The system bus went away (dbus-daemon died or restarted): polkitd can no longer reach us nor
 * we it. End like any other exit path (prompt cancelled, terminal restored), then say why. */
static void
on_bus_closed (GDBusConnection *bus, gboolean remote_peer_vanished, GError *error,
               gpointer user_data)
{
  App *app = user_data;

  if (app->exit_signal != 0 || app->bus_lost)
    return;
  app->bus_lost = TRUE;
  app->status = EXIT_UNAVAILABLE;
  g_main_loop_quit (app->loop);
}

/* GLib's default writer colours lines on a terminal (escape sequences that GLib 2.74 sends
 * whatever NO_COLOR says) and stamps them with times; some messages quote what a helper, PAM or
 * a file name contained. Lines for the user's terminal are therefore "ward-tty: TEXT", plain and
 * sanitised like everything else ward-tty prints; the journal still gets structured entries. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length >= 0)
        continue;
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);

  g_autofree char *safe =
    ward_text_sanitize (message, -1, WARD_TEXT_MAX_MESSAGE, WARD_TEXT_SINGLE_LINE);
  /* On a terminal that does not use UTF-8, in its charset, escaped where it lacks a character
   * (tty-terminal rule 3). */
  g_autoptr (WardTextCharset) charset = ward_text_charset_new_for_locale ();
  g_autofree char *restricted = ward_text_restrict_charset (safe, charset);
  g_autofree char *line = g_strdup_printf ("%s: %s\n", g_get_prgname (), restricted);
  g_autofree char *converted = ward_text_to_charset (line, charset);
  fputs (converted, stderr);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

int
main (int argc, char *argv[])
{
  gboolean opt_version = FALSE;
  gboolean opt_fallback = FALSE;
  g_autofree char *opt_process = NULL;
  g_autofree char *opt_bus_name = NULL;
  int opt_notify_fd = -1;
  const GOptionEntry options[] = {
    { "fallback", 0, 0, G_OPTION_ARG_NONE, &opt_fallback,
      N_("Don't replace existing agent if any"), NULL },
    { "notify-fd", 0, 0, G_OPTION_ARG_INT, &opt_notify_fd,
      N_("Close FD when the agent is registered"), N_("FD") },
    { "process", 'p', 0, G_OPTION_ARG_STRING, &opt_process,
      N_("Register the agent for the specified process"), N_("PID[,START_TIME[,UID]]") },
    { "system-bus-name", 's', 0, G_OPTION_ARG_STRING, &opt_bus_name,
      N_("Register the agent for the owner of BUS_NAME"), N_("BUS_NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Show version"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("ward-tty");
  g_log_set_writer_func (log_writer, NULL, NULL);
  /* No remote file access from GIO, as pkttyagent. */
  g_setenv ("GIO_USE_VFS", "local", TRUE);
  /* This process will hold passwords: no core dumps, no ptrace by the same user. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  g_autoptr (GOptionContext) context = g_option_context_new ("");
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Answer polkit authentication requests on the terminal."));
  g_autofree char *description =
    g_strdup_printf (_("Without --process or --system-bus-name, the agent serves its parent "
                       "process.\nSet %s=1, or prefer-terminal=true in the [tty] group of %s, "
                       "to win over a graphical agent even with --fallback. See ward-tty(1)."),
                     PREFER_ENV, CONFIG_FILE);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, options, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return EXIT_BAD_USAGE;
    }
  if (argc > 1)
    {
      g_printerr (_("%s: Unexpected argument `%s'\n"), g_get_prgname (), argv[1]);
      return EXIT_BAD_USAGE;
    }
  if (opt_version)
    {
      g_print ("ward-tty %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* Before anything else: the notify fd must not leak into a child (the helper). */
  if (opt_notify_fd >= 0)
    {
      int flags = fcntl (opt_notify_fd, F_GETFD);
      if (flags < 0 || fcntl (opt_notify_fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        {
          g_printerr (_("%s: Invalid notify fd %d: %s\n"), g_get_prgname (), opt_notify_fd,
                      g_strerror (errno));
          return EXIT_BAD_USAGE;
        }
    }
  else if (opt_notify_fd != -1)
    {
      g_printerr (_("%s: Invalid notify fd %d\n"), g_get_prgname (), opt_notify_fd);
      return EXIT_BAD_USAGE;
    }

  if (opt_process != NULL && opt_bus_name != NULL)
    {
      g_printerr (_("%s: Options --process and --system-bus-name are mutually exclusive\n"),
                  g_get_prgname ());
      return EXIT_BAD_USAGE;
    }

  WardSubject subject = { 0 };
  subject.uid = -1;
  if (opt_process != NULL)
    {
      if (!parse_process (opt_process, &subject))
        {
          g_printerr (_("%s: Invalid process specifier `%s'\n"), g_get_prgname (), opt_process);
          return EXIT_BAD_USAGE;
        }
    }
  else if (opt_bus_name != NULL)
    {
      subject.kind = WARD_SUBJECT_BUS_NAME;
      subject.bus_name = opt_bus_name;
    }
  else
    {
      pid_t parent = getppid ();
      if (parent <= 1)
        {
          g_printerr (_("%s: Refusing to serve a dead parent process.\n"), g_get_prgname ());
          return EXIT_BAD_USAGE;
        }
      /* Serving the parent only: end with it (systemd sets this too; others may not). */
      prctl (PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
      if (getppid () != parent)
        return EXIT_BAD_USAGE;
      subject.kind = WARD_SUBJECT_PROCESS;
      subject.pid = (guint32) parent;
      subject.uid = getuid ();
    }

  App app = { 0 };
  app.bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (app.bus == NULL)
    {
      g_printerr (_("%s: Authorization is not available: cannot connect to the system bus: "
                    "%s\n"),
                  g_get_prgname (), error->message);
      return EXIT_UNAVAILABLE;
    }
  /* Not GLib's default, raise (SIGTERM) on close: the user gets a message and pkttyagent's
   * status for "polkitd not available" (on_bus_closed). */
  g_dbus_connection_set_exit_on_close (app.bus, FALSE);

  TtyTerminal *terminal = tty_terminal_new (-1, &error);
  if (terminal == NULL)
    {
      g_printerr (_("%s: No terminal to ask for passwords on: %s\n"), g_get_prgname (),
                  error->message);
      g_object_unref (app.bus);
      return EXIT_UNAVAILABLE;
    }

  gboolean fallback = opt_fallback && !prefer_terminal () && subject_has_session (&subject);
  WardAgent *agent = ward_agent_new (app.bus);
  app.loop = g_main_loop_new (NULL, FALSE);
  app.flow = tty_flow_new (agent, terminal, on_hangup, &app);
  gulong closed_id = g_signal_connect (app.bus, "closed", G_CALLBACK (on_bus_closed), &app);

  if (!ward_agent_register (agent, &subject, fallback, &error))
    {
      /* As pkttyagent: polkitd not on the bus is 127, a refused registration 126. */
      g_autofree char *remote = g_dbus_error_get_remote_error (error);
      int status = (g_strcmp0 (remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
                    g_strcmp0 (remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0)
                     ? EXIT_UNAVAILABLE
                     : EXIT_BAD_USAGE;
      g_dbus_error_strip_remote_error (error);
      g_printerr (_("%s: Cannot register the authentication agent: %s\n"), g_get_prgname (),
                  error->message);
      g_signal_handler_disconnect (app.bus, closed_id);
      tty_flow_free (app.flow);
      g_object_unref (agent);
      tty_terminal_free (terminal);
      g_main_loop_unref (app.loop);
      g_object_unref (app.bus);
      return status;
    }

  /* Started for one request, as systemd's tools start it (--notify-fd): the request follows
   * within milliseconds, so connect to ward's helper now and let it start and load PAM while
   * polkitd decides (HACKING.md, invariant 24). A long-lived agent connects when a request
   * comes instead of keeping a root process idle. */
  if (opt_notify_fd >= 0)
    ward_session_prepare_helper ();

  if (opt_notify_fd >= 0 && close (opt_notify_fd) != 0)
    {
      g_printerr (_("%s: Cannot close the notify fd %d: %s\n"), g_get_prgname (), opt_notify_fd,
                  g_strerror (errno));
      app.status = EXIT_BAD_USAGE;
    }
  else
    {
      guint sources[] = {
        g_unix_signal_add (SIGTERM, on_sigterm, &app),
        g_unix_signal_add (SIGINT, on_sigint, &app),
        g_unix_signal_add (SIGHUP, on_sighup, &app),
      };
      g_main_loop_run (app.loop);
      for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
        g_source_remove (sources[i]);
    }

  /* Every exit path: terminal restored, polkitd answered, then the answers flushed. */
  g_signal_handler_disconnect (app.bus, closed_id);
  tty_flow_free (app.flow);
  /* An unused prepared helper sees its connection close and exits. */
  ward_session_drop_prepared_helper ();
  g_object_unref (agent);
  tty_terminal_free (terminal);
  if (!app.bus_lost)
    g_dbus_connection_flush_sync (app.bus, NULL, NULL);
  g_object_unref (app.bus);
  g_main_loop_unref (app.loop);

  /* After the terminal is given back, so the line is not lost in the prompt. */
  if (app.bus_lost)
    g_printerr ("%s: %s\n", g_get_prgname (), _("lost the connection to the system bus"));

  if (app.exit_signal != 0)
    {
      signal (app.exit_signal, SIG_DFL);
      raise (app.exit_signal);
    }
  return app.status;
}
