/* ward-run0-backend: a stand-in for systemd's manager on the polkit world's private bus, for
 * ward-tty's tests and the demo. Root only, never installed.
 *
 * It owns org.freedesktop.systemd1 and implements the part of org.freedesktop.systemd1.Manager
 * that Debian 12's systemctl (start, with or without --no-block) and systemd-run (252) use, and
 * Debian 13's (257) with run0: StartUnit, StartTransientUnit (ExecStart or ExecStartEx), GetUnit,
 * Subscribe/Unsubscribe, the JobNew/JobRemoved signals, and unit objects with a few properties
 * (Id, ActiveState, SubState, LoadState, NeedDaemonReload, InvocationID, Result, MainPID,
 * ExecMainCode, ExecMainStatus), Get/GetAll (also for every interface at once) and
 * PropertiesChanged.
 *
 * Every start is checked like systemd does: CheckAuthorization of
 * org.freedesktop.systemd1.manage-units for the caller's bus name, with user interaction when
 * the message allows it, and details "unit", "verb" and, for transient units, "command_line".
 * An authorized transient service runs as root in a fresh process: its own session, "/" as
 * working directory, a minimal environment, stdin/stdout/stderr from the
 * Standard{Input,Output,Error}FileDescriptor properties (else /dev/null). Other units are only
 * recorded as started.
 *
 * Usage: ward-run0-backend [--log FILE]. Logs one line per event on stdout (or FILE).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>

#include "ward-login.h"

#define MANAGER_PATH "/org/freedesktop/systemd1"
#define UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
#define ACTION_ID "org.freedesktop.systemd1.manage-units"

static const char introspection_xml[] =
  "<node>"
  " <interface name='" MANAGER_IFACE "'>"
  "  <method name='StartUnit'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='o' direction='out'/></method>"
  "  <method name='StartTransientUnit'><arg type='s' direction='in'/>"
  "   <arg type='s' direction='in'/><arg type='a(sv)' direction='in'/>"
  "   <arg type='a(sa(sv))' direction='in'/><arg type='o' direction='out'/></method>"
  "  <method name='GetUnit'><arg type='s' direction='in'/><arg type='o' direction='out'/>"
  "  </method>"
  "  <method name='Subscribe'/>"
  "  <method name='Unsubscribe'/>"
  "  <signal name='JobNew'><arg type='u'/><arg type='o'/><arg type='s'/></signal>"
  "  <signal name='JobRemoved'><arg type='u'/><arg type='o'/><arg type='s'/><arg type='s'/>"
  "  </signal>"
  " </interface>"
  " <interface name='" UNIT_IFACE "'>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='LoadState' type='s' access='read'/>"
  "  <property name='ActiveState' type='s' access='read'/>"
  "  <property name='SubState' type='s' access='read'/>"
  "  <property name='NeedDaemonReload' type='b' access='read'/>"
  "  <property name='InvocationID' type='ay' access='read'/>"
  " </interface>"
  " <interface name='" SERVICE_IFACE "'>"
  "  <property name='Result' type='s' access='read'/>"
  "  <property name='MainPID' type='u' access='read'/>"
  "  <property name='ExecMainCode' type='i' access='read'/>"
  "  <property name='ExecMainStatus' type='i' access='read'/>"
  " </interface>"
  /* Units answer Properties themselves: systemd 257's clients call GetAll with the interface
   * "" (all of them), which GDBus's own handling refuses. */
  " <interface name='org.freedesktop.DBus.Properties'>"
  "  <method name='Get'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='out'/></method>"
  "  <method name='GetAll'><arg type='s' direction='in'/><arg type='a{sv}' direction='out'/>"
  "  </method>"
  "  <method name='Set'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='in'/></method>"
  "  <signal name='PropertiesChanged'><arg type='s'/><arg type='a{sv}'/><arg type='as'/>"
  "  </signal>"
  " </interface>"
  "</node>";

typedef struct {
  char *id;
  char *path;
  const char *active_state; /* "active", "inactive", "failed" */
  const char *sub_state;
  const char *result;
  guint32 main_pid;
  gint32 exec_main_code;   /* CLD_EXITED, CLD_KILLED, ... 0 while running */
  gint32 exec_main_status;
  guint8 invocation_id[16]; /* random, new at each start, as systemd's */
} Unit;

typedef struct {
  GDBusConnection *bus;
  GDBusNodeInfo *node;
  GHashTable *units; /* path -> Unit* */
  guint32 next_job;
  FILE *log;
  GMainLoop *loop;
} Backend;

static Backend backend;

typedef struct {
  GDBusMethodInvocation *invocation;
  char *unit_name;
  gboolean transient;
  char **argv;      /* transient: ExecStart argv, with argv[0] the path to run */
  int fds[3];       /* transient: stdin/stdout/stderr, -1 for /dev/null */
} StartRequest;

static void
log_line (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
log_line (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  vfprintf (backend.log, format, args);
  va_end (args);
  fputc ('\n', backend.log);
  fflush (backend.log);
}

static void
start_request_free (StartRequest *request)
{
  g_free (request->unit_name);
  g_strfreev (request->argv);
  for (int i = 0; i < 3; i++)
    if (request->fds[i] >= 0)
      close (request->fds[i]);
  g_free (request);
}

/* systemd's bus_label_escape: every byte but [A-Za-z0-9] becomes _xx. */
static char *
unit_path (const char *id)
{
  GString *path = g_string_new (UNIT_PREFIX "/");
  for (const char *p = id; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (path, *p);
      else
        g_string_append_printf (path, "_%02x", (guchar) *p);
    }
  return g_string_free (path, FALSE);
}

static void
unit_free (Unit *unit)
{
  g_free (unit->id);
  g_free (unit->path);
  g_free (unit);
}

static Unit *
unit_new (const char *id)
{
  Unit *unit = g_new0 (Unit, 1);
  unit->id = g_strdup (id);
  unit->path = unit_path (id);
  unit->active_state = "inactive";
  unit->sub_state = "dead";
  unit->result = "success";
  g_hash_table_insert (backend.units, unit->path, unit);
  return unit;
}

static GVariant *
unit_property (Unit *unit, const char *iface, const char *name)
{
  if (g_strcmp0 (iface, UNIT_IFACE) == 0)
    {
      if (g_strcmp0 (name, "Id") == 0)
        return g_variant_new_string (unit->id);
      if (g_strcmp0 (name, "LoadState") == 0)
        return g_variant_new_string ("loaded");
      if (g_strcmp0 (name, "ActiveState") == 0)
        return g_variant_new_string (unit->active_state);
      if (g_strcmp0 (name, "SubState") == 0)
        return g_variant_new_string (unit->sub_state);
      if (g_strcmp0 (name, "NeedDaemonReload") == 0)
        return g_variant_new_boolean (FALSE);
      if (g_strcmp0 (name, "InvocationID") == 0)
        return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, unit->invocation_id,
                                          sizeof unit->invocation_id, 1);
    }
  else if (g_strcmp0 (iface, SERVICE_IFACE) == 0)
    {
      if (g_strcmp0 (name, "Result") == 0)
        return g_variant_new_string (unit->result);
      if (g_strcmp0 (name, "MainPID") == 0)
        return g_variant_new_uint32 (unit->main_pid);
      if (g_strcmp0 (name, "ExecMainCode") == 0)
        return g_variant_new_int32 (unit->exec_main_code);
      if (g_strcmp0 (name, "ExecMainStatus") == 0)
        return g_variant_new_int32 (unit->exec_main_status);
    }
  return NULL;
}

static void
emit_unit_changed (Unit *unit)
{
  GVariantBuilder unit_props, service_props;
  g_variant_builder_init (&unit_props, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&unit_props, "{sv}", "ActiveState",
                         g_variant_new_string (unit->active_state));
  g_variant_builder_add (&unit_props, "{sv}", "SubState", g_variant_new_string (unit->sub_state));
  g_variant_builder_init (&service_props, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&service_props, "{sv}", "Result", g_variant_new_string (unit->result));
  g_variant_builder_add (&service_props, "{sv}", "MainPID", g_variant_new_uint32 (unit->main_pid));
  g_variant_builder_add (&service_props, "{sv}", "ExecMainCode",
                         g_variant_new_int32 (unit->exec_main_code));
  g_variant_builder_add (&service_props, "{sv}", "ExecMainStatus",
                         g_variant_new_int32 (unit->exec_main_status));

  /* Service first: a client that stops at ActiveState already has the exit status. */
  g_dbus_connection_emit_signal (backend.bus, NULL, unit->path, "org.freedesktop.DBus.Properties",
                                 "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", SERVICE_IFACE, &service_props, NULL),
                                 NULL);
  g_dbus_connection_emit_signal (backend.bus, NULL, unit->path, "org.freedesktop.DBus.Properties",
                                 "PropertiesChanged",
                                 g_variant_new ("(sa{sv}as)", UNIT_IFACE, &unit_props, NULL),
                                 NULL);
}

static void
on_child_exit (GPid pid, int status, gpointer user_data)
{
  g_autofree char *path = user_data;
  Unit *unit = g_hash_table_lookup (backend.units, path);

  g_spawn_close_pid (pid);
  if (unit == NULL)
    return;
  unit->main_pid = 0;
  if (WIFEXITED (status))
    {
      unit->exec_main_code = CLD_EXITED;
      unit->exec_main_status = WEXITSTATUS (status);
    }
  else
    {
      unit->exec_main_code = CLD_KILLED;
      unit->exec_main_status = WTERMSIG (status);
    }
  gboolean ok = unit->exec_main_code == CLD_EXITED && unit->exec_main_status == 0;
  unit->active_state = ok ? "inactive" : "failed";
  unit->sub_state = ok ? "dead" : "failed";
  unit->result = ok ? "success" : "exit-code";
  log_line ("exited %s code=%d status=%d", unit->id, unit->exec_main_code,
            unit->exec_main_status);
  emit_unit_changed (unit);
}

static void
child_setup (gpointer user_data)
{
  /* A fresh process: its own session, nothing from the client's terminal. */
  setsid ();
}

static gboolean
run_transient (StartRequest *request, Unit *unit, GError **error)
{
  const char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "LANG=C.UTF-8", "HOME=/root", "USER=root", "LOGNAME=root",
                         "SHELL=/bin/sh", NULL };
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  GPid pid = 0;

  gboolean ok = g_spawn_async_with_fds ("/", request->argv, (char **) envp,
                                        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_FILE_AND_ARGV_ZERO,
                                        child_setup, NULL, &pid,
                                        request->fds[0] >= 0 ? request->fds[0] : devnull,
                                        request->fds[1] >= 0 ? request->fds[1] : devnull,
                                        request->fds[2] >= 0 ? request->fds[2] : devnull, error);
  close (devnull);
  if (!ok)
    return FALSE;

  unit->main_pid = (guint32) pid;
  for (gsize i = 0; i < sizeof unit->invocation_id; i++)
    unit->invocation_id[i] = (guint8) g_random_int_range (0, 256);
  unit->active_state = "active";
  unit->sub_state = "running";
  g_child_watch_add (pid, on_child_exit, g_strdup (unit->path));
  return TRUE;
}

static void
finish_start (StartRequest *request)
{
  g_autoptr (GError) error = NULL;
  const char *path_key = NULL;
  g_autofree char *path = unit_path (request->unit_name);
  Unit *unit = g_hash_table_lookup (backend.units, path);

  if (request->transient)
    {
      if (unit != NULL && g_strcmp0 (unit->active_state, "active") == 0)
        {
          g_dbus_method_invocation_return_dbus_error (request->invocation,
                                                      "org.freedesktop.systemd1.UnitExists",
                                                      "Unit already exists.");
          return;
        }
      if (unit == NULL)
        unit = unit_new (request->unit_name);
      if (!run_transient (request, unit, &error))
        {
          log_line ("failed %s: %s", unit->id, error->message);
          g_dbus_method_invocation_return_dbus_error (request->invocation,
                                                      "org.freedesktop.DBus.Error.Failed",
                                                      error->message);
          return;
        }
    }
  else
    {
      if (unit == NULL)
        unit = unit_new (request->unit_name);
      unit->active_state = "active";
      unit->sub_state = "running";
    }
  path_key = unit->path;

  guint32 job_id = ++backend.next_job;
  g_autofree char *job_path = g_strdup_printf (MANAGER_PATH "/job/%u", job_id);
  log_line ("started %s job %u pid %u", unit->id, job_id, unit->main_pid);

  g_dbus_method_invocation_return_value (request->invocation, g_variant_new ("(o)", job_path));
  /* After the reply, as systemd: the client has its match and knows the job path. */
  g_dbus_connection_emit_signal (backend.bus, NULL, MANAGER_PATH, MANAGER_IFACE, "JobNew",
                                 g_variant_new ("(uos)", job_id, job_path, unit->id), NULL);
  g_dbus_connection_emit_signal (backend.bus, NULL, MANAGER_PATH, MANAGER_IFACE, "JobRemoved",
                                 g_variant_new ("(uoss)", job_id, job_path, unit->id, "done"),
                                 NULL);
  emit_unit_changed (g_hash_table_lookup (backend.units, path_key));
}

static void
on_authorization (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartRequest *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              &error);
  gboolean authorized = FALSE, challenge = FALSE;

  if (reply == NULL)
    {
      log_line ("denied %s: polkit error: %s", request->unit_name, error->message);
      g_dbus_method_invocation_return_dbus_error (request->invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Access denied");
      start_request_free (request);
      return;
    }

  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
  if (!authorized)
    {
      GDBusMessage *message = g_dbus_method_invocation_get_message (request->invocation);
      gboolean interactive = (g_dbus_message_get_flags (message) &
                              G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
      log_line ("denied %s (challenge=%d)", request->unit_name, challenge);
      if (challenge && !interactive)
        g_dbus_method_invocation_return_dbus_error (
          request->invocation, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
          "Interactive authentication required.");
      else
        g_dbus_method_invocation_return_dbus_error (request->invocation,
                                                    "org.freedesktop.DBus.Error.AccessDenied",
                                                    "Access denied");
      start_request_free (request);
      return;
    }

  finish_start (request);
  start_request_free (request);
}

static char *
format_command_line (char **argv)
{
  GString *line = g_string_new (NULL);
  /* argv[0] is the path; the rest is what runs. */
  for (guint i = 1; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      if (line->len > 0)
        g_string_append_c (line, ' ');
      g_string_append (line, strpbrk (argv[i], " \t\n'\"\\$`") != NULL ? quoted : argv[i]);
    }
  return g_string_free (line, FALSE);
}

static void
check_authorization (StartRequest *request)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (request->invocation);
  gboolean interactive = (g_dbus_message_get_flags (message) &
                          G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
  GVariantBuilder subject, details;

  g_variant_builder_init (&subject, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&subject, "{sv}", "name",
                         g_variant_new_string (g_dbus_method_invocation_get_sender (
                           request->invocation)));
  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&details, "{ss}", "unit", request->unit_name);
  g_variant_builder_add (&details, "{ss}", "verb", "start");
  if (request->transient)
    {
      g_autofree char *command_line = format_command_line (request->argv);
      g_variant_builder_add (&details, "{ss}", "command_line", command_line);
      g_variant_builder_add (&details, "{ss}", "polkit.message",
                             "Authentication is required to run '$(command_line)' as root "
                             "($(unit)).");
    }
  else
    g_variant_builder_add (&details, "{ss}", "polkit.message",
                           "Authentication is required to start '$(unit)'.");

  log_line ("checking %s for %s (interactive=%d)", request->unit_name,
            g_dbus_method_invocation_get_sender (request->invocation), interactive);
  g_dbus_connection_call (backend.bus, "org.freedesktop.PolicyKit1",
                          "/org/freedesktop/PolicyKit1/Authority",
                          "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                          g_variant_new ("((sa{sv})sa{ss}us)", "system-bus-name", &subject,
                                         ACTION_ID, &details, interactive ? 1u : 0u, ""),
                          G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
                          on_authorization, request);
}

static gboolean
valid_unit_name (const char *name)
{
  return ward_login_unit_name_is_valid (name) && g_str_has_suffix (name, ".service");
}

static gboolean
parse_transient_properties (StartRequest *request, GVariant *properties, GUnixFDList *fd_list,
                            GError **error)
{
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, properties);
  while (g_variant_iter_loop (&iter, "(&sv)", &name, &value))
    {
      /* ExecStart (path, argv, ignore-failure) from systemd 252's clients; ExecStartEx (path,
       * argv, flags) from 257's (run0, systemd-run). The first command is the one run. */
      gboolean exec_start = g_strcmp0 (name, "ExecStart") == 0 &&
                            g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sasb)"));
      gboolean exec_start_ex = g_strcmp0 (name, "ExecStartEx") == 0 &&
                               g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sasas)"));
      if (exec_start || exec_start_ex)
        {
          GVariantIter commands;
          const char *path;
          g_autofree const char **args = NULL;
          g_autoptr (GVariant) flags = NULL;
          g_variant_iter_init (&commands, value);
          if (g_variant_iter_next (&commands, exec_start ? "(&s^a&s@b)" : "(&s^a&s@as)", &path,
                                   &args, &flags))
            {
              GPtrArray *argv = g_ptr_array_new ();
              g_ptr_array_add (argv, g_strdup (path));
              for (guint i = 0; args[i] != NULL; i++)
                g_ptr_array_add (argv, g_strdup (args[i]));
              g_ptr_array_add (argv, NULL);
              g_strfreev (request->argv);
              request->argv = (char **) g_ptr_array_free (argv, FALSE);
            }
        }
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_HANDLE) && fd_list != NULL)
        {
          int slot = g_str_equal (name, "StandardInputFileDescriptor")    ? 0
                     : g_str_equal (name, "StandardOutputFileDescriptor") ? 1
                     : g_str_equal (name, "StandardErrorFileDescriptor")  ? 2
                                                                           : -1;
          if (slot < 0)
            continue;
          int fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (value), error);
          if (fd < 0)
            return FALSE;
          if (request->fds[slot] >= 0)
            close (request->fds[slot]);
          request->fds[slot] = fd;
        }
      /* Everything else (Description, AddRef, Environment, ...) is accepted and ignored. */
    }

  if (request->argv == NULL || request->argv[0] == NULL || request->argv[1] == NULL ||
      !g_path_is_absolute (request->argv[0]))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "ExecStart with an absolute path is required");
      return FALSE;
    }
  return TRUE;
}

static void
manager_call (GDBusConnection *connection, const char *sender, const char *object_path,
              const char *interface_name, const char *method_name, GVariant *parameters,
              GDBusMethodInvocation *invocation, gpointer user_data)
{
  log_line ("call %s from %s", method_name, sender);

  if (g_strcmp0 (method_name, "Subscribe") == 0 || g_strcmp0 (method_name, "Unsubscribe") == 0)
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }
  if (g_strcmp0 (method_name, "GetUnit") == 0)
    {
      const char *name;
      g_variant_get (parameters, "(&s)", &name);
      g_autofree char *path = unit_path (name);
      if (g_hash_table_lookup (backend.units, path) == NULL)
        g_dbus_method_invocation_return_dbus_error (invocation,
                                                    "org.freedesktop.systemd1.NoSuchUnit",
                                                    "Unit not loaded.");
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
      return;
    }

  StartRequest *request = g_new0 (StartRequest, 1);
  request->invocation = invocation;
  request->fds[0] = request->fds[1] = request->fds[2] = -1;

  if (g_strcmp0 (method_name, "StartUnit") == 0)
    {
      g_variant_get (parameters, "(ss)", &request->unit_name, NULL);
    }
  else
    {
      g_autoptr (GVariant) properties = NULL;
      g_autoptr (GError) error = NULL;
      GUnixFDList *fds = g_dbus_message_get_unix_fd_list (
        g_dbus_method_invocation_get_message (invocation));

      request->transient = TRUE;
      g_variant_get (parameters, "(s&s@a(sv)@a(sa(sv)))", &request->unit_name, NULL, &properties,
                     NULL);
      if (!parse_transient_properties (request, properties, fds, &error))
        {
          g_dbus_method_invocation_return_gerror (invocation, error);
          start_request_free (request);
          return;
        }
    }

  if (!valid_unit_name (request->unit_name))
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.InvalidArgs",
                                                  "Unit name is not valid (only .service).");
      start_request_free (request);
      return;
    }
  check_authorization (request);
}

/* Get, GetAll and Set of org.freedesktop.DBus.Properties on a unit; "" means every interface. */
static void
unit_properties_call (GDBusConnection *connection, const char *sender, const char *object_path,
                      const char *interface_name, const char *method_name, GVariant *parameters,
                      GDBusMethodInvocation *invocation, gpointer user_data)
{
  Unit *unit = g_hash_table_lookup (backend.units, object_path);
  GDBusInterfaceInfo *ifaces[] = { backend.node->interfaces[1], backend.node->interfaces[2] };
  const char *iface = NULL;

  if (g_strcmp0 (method_name, "Set") == 0 || unit == NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.PropertyReadOnly",
                                                  "Read-only.");
      return;
    }
  g_variant_get_child (parameters, 0, "&s", &iface);

  GVariantBuilder all;
  g_variant_builder_init (&all, G_VARIANT_TYPE_VARDICT);
  gboolean known = iface[0] == '\0';
  for (guint i = 0; i < G_N_ELEMENTS (ifaces); i++)
    {
      if (iface[0] != '\0' && g_strcmp0 (iface, ifaces[i]->name) != 0)
        continue;
      known = TRUE;
      for (guint j = 0; ifaces[i]->properties[j] != NULL; j++)
        {
          const char *name = ifaces[i]->properties[j]->name;
          GVariant *value = unit_property (unit, ifaces[i]->name, name);
          if (value == NULL)
            continue;
          if (g_strcmp0 (method_name, "Get") == 0)
            {
              const char *wanted = NULL;
              g_variant_get_child (parameters, 1, "&s", &wanted);
              if (g_strcmp0 (name, wanted) == 0)
                {
                  g_variant_builder_clear (&all);
                  g_dbus_method_invocation_return_value (invocation,
                                                         g_variant_new ("(v)", value));
                  return;
                }
              g_variant_unref (g_variant_ref_sink (value));
            }
          else
            g_variant_builder_add (&all, "{sv}", name, value);
        }
    }
  if (!known || g_strcmp0 (method_name, "Get") == 0)
    {
      g_variant_builder_clear (&all);
      g_dbus_method_invocation_return_dbus_error (
        invocation,
        known ? "org.freedesktop.DBus.Error.UnknownProperty"
              : "org.freedesktop.DBus.Error.UnknownInterface",
        known ? "No such property." : "No such interface.");
      return;
    }
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{sv})", &all));
}

static const GDBusInterfaceVTable manager_vtable = { manager_call, NULL, NULL, { 0 } };
static const GDBusInterfaceVTable unit_properties_vtable = { unit_properties_call, NULL, NULL,
                                                             { 0 } };

static char **
subtree_enumerate (GDBusConnection *connection, const char *sender, const char *object_path,
                   gpointer user_data)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, backend.units);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup ((const char *) key + strlen (UNIT_PREFIX "/")));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection, const char *sender, const char *object_path,
                    const char *node, gpointer user_data)
{
  if (node == NULL)
    return NULL;
  GPtrArray *ifaces = g_ptr_array_new ();
  g_ptr_array_add (ifaces, g_dbus_interface_info_ref (backend.node->interfaces[1]));
  g_ptr_array_add (ifaces, g_dbus_interface_info_ref (backend.node->interfaces[2]));
  g_ptr_array_add (ifaces, g_dbus_interface_info_ref (backend.node->interfaces[3]));
  g_ptr_array_add (ifaces, NULL);
  return (GDBusInterfaceInfo **) g_ptr_array_free (ifaces, FALSE);
}

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection, const char *sender, const char *object_path,
                  const char *interface_name, const char *node, gpointer *out_user_data,
                  gpointer user_data)
{
  /* Units have properties only; GDBus refuses calls of the other interfaces' (absent) methods. */
  if (g_strcmp0 (interface_name, "org.freedesktop.DBus.Properties") == 0)
    return &unit_properties_vtable;
  return NULL;
}

static const GDBusSubtreeVTable subtree_vtable = { subtree_enumerate, subtree_introspect,
                                                   subtree_dispatch, { 0 } };

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  log_line ("ready: owns %s", name);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  log_line ("lost %s", name);
  g_main_loop_quit (backend.loop);
}

static gboolean
on_sigterm (gpointer user_data)
{
  g_main_loop_quit (backend.loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char *argv[])
{
  g_autofree char *opt_log = NULL;
  const GOptionEntry options[] = {
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &opt_log, "Log to FILE", "FILE" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("- systemd manager stand-in");

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (geteuid () != 0)
    {
      g_printerr ("ward-run0-backend: must run as root (inside the test world)\n");
      return 77;
    }

  backend.log = stdout;
  if (opt_log != NULL)
    {
      backend.log = fopen (opt_log, "ae");
      if (backend.log == NULL)
        {
          g_printerr ("cannot open %s: %s\n", opt_log, g_strerror (errno));
          return 1;
        }
    }

  backend.bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (backend.bus == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  backend.node = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  backend.units = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) unit_free);
  backend.loop = g_main_loop_new (NULL, FALSE);

  if (g_dbus_connection_register_object (backend.bus, MANAGER_PATH, backend.node->interfaces[0],
                                         &manager_vtable, NULL, NULL, &error) == 0 ||
      g_dbus_connection_register_subtree (backend.bus, UNIT_PREFIX, &subtree_vtable,
                                          G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                          NULL, NULL, &error) == 0)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_bus_own_name_on_connection (backend.bus, "org.freedesktop.systemd1",
                                G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, on_name_acquired,
                                on_name_lost, NULL, NULL);
  g_unix_signal_add (SIGTERM, on_sigterm, NULL);
  g_unix_signal_add (SIGINT, on_sigterm, NULL);
  g_main_loop_run (backend.loop);

  g_hash_table_unref (backend.units);
  g_dbus_node_info_unref (backend.node);
  g_object_unref (backend.bus);
  g_main_loop_unref (backend.loop);
  return 0;
}
