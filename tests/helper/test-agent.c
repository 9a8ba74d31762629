/* test-agent: a minimal polkit agent for ward-helper's world tests (test-only, never installed).
 *
 * Registers for one unix-process subject and answers the first BeginAuthentication with a
 * WardSession (default helper order, or WARD_HELPER) for the chosen identity, using the password
 * in $TEST_AGENT_PASSWORD (never argv). Or, with --session-only, runs one WardSession with a
 * cookie read from a file, without D-Bus: a user replaying somebody else's cookie.
 *
 * Prints one line per event on stdout: "registered", "begin ACTION", "request ECHO PROMPT",
 * "info TEXT", "error TEXT", "completed TRUE|FALSE helper=KIND". Exit status: 0 when the
 * session gained authorization, 1 when it did not, 2 on usage or setup errors.
 */
#include "config.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "ward-secret.h"
#include "ward-session.h"

static const char introspection[] =
  "<node>"
  " <interface name='org.freedesktop.PolicyKit1.AuthenticationAgent'>"
  "  <method name='BeginAuthentication'>"
  "   <arg type='s' name='action_id' direction='in'/>"
  "   <arg type='s' name='message' direction='in'/>"
  "   <arg type='s' name='icon_name' direction='in'/>"
  "   <arg type='a{ss}' name='details' direction='in'/>"
  "   <arg type='s' name='cookie' direction='in'/>"
  "   <arg type='a(sa{sv})' name='identities' direction='in'/>"
  "  </method>"
  "  <method name='CancelAuthentication'>"
  "   <arg type='s' name='cookie' direction='in'/>"
  "  </method>"
  " </interface>"
  "</node>";

#define AGENT_PATH "/org/ward/TestAgent"

static GMainLoop *loop;
static int exit_status = 2;
static gint opt_pid;
static char *opt_user;
static char *opt_cookie_file;
static gboolean opt_bogus_cookie;
static gboolean opt_hold;
static gboolean opt_stall;
static gboolean opt_session_only;
static GDBusMethodInvocation *pending;
static GDBusConnection *system_bus;
static WardSession *session;

static void
say (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static void
finish_request (void)
{
  if (pending != NULL)
    {
      g_dbus_method_invocation_return_value (g_steal_pointer (&pending), NULL);
      g_dbus_connection_flush_sync (system_bus, NULL, NULL);
    }
  g_main_loop_quit (loop);
}

static void
on_request (WardSession *s, const char *prompt, gboolean echo_on, gpointer data)
{
  const char *password = g_getenv ("TEST_AGENT_PASSWORD");
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);

  say ("request %d %s", echo_on, prompt);
  if (opt_stall)
    return;
  if (password != NULL)
    ward_secret_append (secret, password, strlen (password));
  ward_session_respond (s, secret);
}

static void
on_info (WardSession *s, const char *text, gpointer data)
{
  say ("info %s", text);
}

static void
on_error (WardSession *s, const char *text, gpointer data)
{
  say ("error %s", text);
}

static void
on_completed (WardSession *s, gboolean gained, gpointer data)
{
  say ("completed %s helper=%s", gained ? "TRUE" : "FALSE", ward_session_get_helper_kind (s));
  exit_status = gained ? 0 : 1;
  finish_request ();
}

static void
start_session (const char *user, const char *cookie)
{
  session = ward_session_new (user, cookie);
  g_signal_connect (session, "request", G_CALLBACK (on_request), NULL);
  g_signal_connect (session, "show-info", G_CALLBACK (on_info), NULL);
  g_signal_connect (session, "show-error", G_CALLBACK (on_error), NULL);
  g_signal_connect (session, "completed", G_CALLBACK (on_completed), NULL);
  ward_session_initiate (session);
}

static char *
pick_identity (GVariant *identities)
{
  GVariantIter iter;
  const char *kind;
  GVariant *details;
  struct passwd *wanted = opt_user != NULL ? getpwnam (opt_user) : NULL;
  char *first = NULL;

  g_variant_iter_init (&iter, identities);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &kind, &details))
    {
      guint32 uid;

      if (g_strcmp0 (kind, "unix-user") == 0 &&
          g_variant_lookup (details, "uid", "u", &uid))
        {
          struct passwd *pw = getpwuid (uid);

          if (pw != NULL && first == NULL)
            first = g_strdup (pw->pw_name);
          if (pw != NULL && wanted != NULL && uid == wanted->pw_uid)
            {
              g_free (first);
              g_variant_unref (details);
              return g_strdup (pw->pw_name);
            }
        }
      g_variant_unref (details);
    }
  return opt_user != NULL ? g_strdup (opt_user) : first;
}

static gboolean
on_sigusr1 (gpointer data)
{
  finish_request ();
  return G_SOURCE_REMOVE;
}

static void
method_call (GDBusConnection *connection, const char *sender, const char *path,
             const char *interface, const char *method, GVariant *parameters,
             GDBusMethodInvocation *invocation, gpointer data)
{
  const char *action_id, *cookie;
  g_autoptr(GVariant) identities = NULL;
  g_autofree char *user = NULL;

  if (g_strcmp0 (method, "CancelAuthentication") == 0)
    {
      say ("cancel");
      if (session != NULL)
        ward_session_cancel (session);
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }
  if (pending != NULL || session != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.PolicyKit1.Error.Failed",
                                                  "one request at a time");
      return;
    }

  g_variant_get (parameters, "(&s&s&s@a{ss}&s@a(sa{sv}))", &action_id, NULL, NULL, NULL,
                 &cookie, &identities);
  say ("begin %s", action_id);
  pending = invocation;

  if (opt_cookie_file != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!g_file_set_contents_full (opt_cookie_file, cookie, -1, G_FILE_SET_CONTENTS_NONE,
                                     0644, &error))
        g_error ("cannot write the cookie: %s", error->message);
    }
  if (opt_hold)
    {
      g_unix_signal_add (SIGUSR1, on_sigusr1, NULL);
      say ("holding");
      return;
    }

  user = pick_identity (identities);
  if (user == NULL)
    {
      say ("completed FALSE helper=none");
      exit_status = 1;
      finish_request ();
      return;
    }
  start_session (user, opt_bogus_cookie ? "0-bogus-cookie-never-issued-0" : cookie);
}

static guint64
start_time_of (gint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return 0;
  fields = g_strsplit (p + 2, " ", -1);
  /* Field 22 of stat is the 20th after the command name. */
  if (g_strv_length (fields) < 20)
    return 0;
  return g_ascii_strtoull (fields[19], NULL, 10);
}

static int
run_session_only (void)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GError) error = NULL;

  if (opt_user == NULL || opt_cookie_file == NULL)
    {
      g_printerr ("--session-only needs --user and --cookie-file\n");
      return 2;
    }
  if (!g_file_get_contents (opt_cookie_file, &cookie, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  g_strchomp (cookie);
  start_session (opt_user, cookie);
  g_main_loop_run (loop);
  return exit_status;
}

int
main (int argc, char *argv[])
{
  GOptionEntry entries[] = {
    { "process", 0, 0, G_OPTION_ARG_INT, &opt_pid, "Register for process PID", "PID" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "Authenticate as USER", "USER" },
    { "cookie-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_cookie_file,
      "Write the cookie to FILE (or read it, with --session-only)", "FILE" },
    { "bogus-cookie", 0, 0, G_OPTION_ARG_NONE, &opt_bogus_cookie,
      "Hand the helper a cookie polkitd never issued", NULL },
    { "hold", 0, 0, G_OPTION_ARG_NONE, &opt_hold,
      "Do not authenticate; answer the request on SIGUSR1", NULL },
    { "stall", 0, 0, G_OPTION_ARG_NONE, &opt_stall, "Never answer the prompt", NULL },
    { "session-only", 0, 0, G_OPTION_ARG_NONE, &opt_session_only,
      "Run one session with the cookie from --cookie-file, no D-Bus", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- ward test agent");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder subject;
  const GDBusInterfaceVTable vtable = { method_call, NULL, NULL };

  signal (SIGPIPE, SIG_IGN);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  loop = g_main_loop_new (NULL, FALSE);

  if (opt_session_only)
    return run_session_only ();

  if (opt_pid <= 0)
    {
      g_printerr ("--process PID is required\n");
      return 2;
    }

  bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  system_bus = bus;
  node = g_dbus_node_info_new_for_xml (introspection, &error);
  g_assert_no_error (error);
  if (g_dbus_connection_register_object (bus, AGENT_PATH, node->interfaces[0], &vtable, NULL,
                                         NULL, &error) == 0)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  g_variant_builder_init (&subject, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&subject, "{sv}", "pid", g_variant_new_uint32 ((guint32) opt_pid));
  g_variant_builder_add (&subject, "{sv}", "start-time",
                         g_variant_new_uint64 (start_time_of (opt_pid)));
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority",
                                       "RegisterAuthenticationAgent",
                                       g_variant_new ("((sa{sv})ss)", "unix-process", &subject,
                                                      "C", AGENT_PATH),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    {
      g_printerr ("cannot register: %s\n", error->message);
      return 2;
    }
  say ("registered");

  g_main_loop_run (loop);
  g_clear_object (&session);
  return exit_status;
}
