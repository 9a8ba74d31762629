/* ward-agent.c: polkit's AuthenticationAgent D-Bus interface, registration, re-registration.
 *
 * Security rules (HACKING.md, invariant 5):
 *  1. BeginAuthentication and CancelAuthentication are answered only for the unique name that
 *     currently owns org.freedesktop.PolicyKit1. The system bus policy should already ensure
 *     this; the check here holds even when a bus policy is too permissive.
 *  2. Every request is answered exactly once: by ward_agent_complete(), or with an error when it
 *     is refused, or when the agent is disposed.
 *  3. A cookie is never logged or shown.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ward_agent_register()'s errors are printed to the user by ward-tty and ward-gtk: translated.
 * The D-Bus error texts polkitd receives and the log lines stay in English. */
#include <glib/gi18n-lib.h>

#include "ward-agent.h"

#define POLKIT_BUS_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_AUTHORITY_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_AUTHORITY_IFACE "org.freedesktop.PolicyKit1.Authority"
#define AGENT_OBJECT_PATH "/org/freedesktop/PolicyKit1/AuthenticationAgent"
#define AGENT_IFACE "org.freedesktop.PolicyKit1.AuthenticationAgent"

#define ERROR_CANCELLED "org.freedesktop.PolicyKit1.Error.Cancelled"
#define ERROR_FAILED "org.freedesktop.PolicyKit1.Error.Failed"
#define ERROR_NOT_AUTHORIZED "org.freedesktop.PolicyKit1.Error.NotAuthorized"

/* More pending requests than this from one polkitd is not a real workload. */
#define MAX_PENDING 64

static const char agent_introspection_xml[] =
  "<node>"
  "  <interface name='" AGENT_IFACE "'>"
  "    <method name='BeginAuthentication'>"
  "      <arg type='s' name='action_id' direction='in'/>"
  "      <arg type='s' name='message' direction='in'/>"
  "      <arg type='s' name='icon_name' direction='in'/>"
  "      <arg type='a{ss}' name='details' direction='in'/>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "      <arg type='a(sa{sv})' name='identities' direction='in'/>"
  "    </method>"
  "    <method name='CancelAuthentication'>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct {
  GDBusMethodInvocation *invocation; /* owned; NULL once answered */
  WardRequest *request;
  gboolean cancel_emitted;
} Pending;

struct _WardAgent {
  GObject parent_instance;

  GDBusConnection *connection;
  GDBusNodeInfo *node_info;
  guint object_id;
  guint watch_id;

  char *polkit_owner;        /* current unique name of polkitd, or NULL */
  GVariant *subject;         /* (sa{sv}), owned, NULL before register */
  gboolean fallback;
  gboolean registered;
  GCancellable *cancellable; /* for asynchronous re-registration */

  GPtrArray *pending; /* of Pending*, in arrival order; the Pending* is the handle */
};

G_DEFINE_TYPE (WardAgent, ward_agent, G_TYPE_OBJECT)

enum {
  SIGNAL_BEGIN,
  SIGNAL_CANCEL,
  SIGNAL_POLKITD_VANISHED,
  SIGNAL_REGISTERED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
pending_free (Pending *pending)
{
  if (pending->invocation != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (pending->invocation, ERROR_CANCELLED,
                                                  "The authentication agent went away");
      pending->invocation = NULL;
    }
  ward_request_free (pending->request);
  g_free (pending);
}

static Pending *
find_pending (WardAgent *self, gpointer handle)
{
  for (guint i = 0; i < self->pending->len; i++)
    if (g_ptr_array_index (self->pending, i) == handle)
      return handle;
  return NULL;
}

static Pending *
find_pending_by_cookie (WardAgent *self, const char *cookie)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *pending = g_ptr_array_index (self->pending, i);
      if (g_strcmp0 (pending->request->cookie, cookie) == 0)
        return pending;
    }
  return NULL;
}

/* The locale polkitd uses to translate the message: the same lookup libpolkit-agent does. */
static const char *
agent_locale (void)
{
  const char *names[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = g_getenv (names[i]);
      if (value != NULL && *value != '\0')
        return value;
    }
  return "en_US.UTF-8";
}

/* Field 22 of /proc/PID/stat, counted after the last ')' since the command name may hold
 * anything. 0 when unknown. */
static guint64
start_time_for_pid (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/stat", pid);
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return 0;

  const char *p = strrchr (contents, ')');
  if (p == NULL)
    return 0;
  p++;

  /* After ')': field 3 (state) is the first token, so field 22 is token 20. */
  g_auto (GStrv) tokens = g_strsplit_set (p, " \n", -1);
  guint n = 0;
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      if (*tokens[i] == '\0')
        continue;
      n++;
      if (n == 20)
        {
          char *end = NULL;
          errno = 0;
          guint64 value = g_ascii_strtoull (tokens[i], &end, 10);
          if (errno != 0 || end == tokens[i] || *end != '\0')
            return 0;
          return value;
        }
    }
  return 0;
}

/* The real uid from /proc/PID/status, as polkit does. -1 when unknown. */
static gint64
uid_for_pid (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/status", pid);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;

  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (!g_str_has_prefix (lines[i], "Uid:"))
        continue;
      const char *p = lines[i] + 4;
      while (*p == ' ' || *p == '\t')
        p++;
      char *end = NULL;
      errno = 0;
      guint64 value = g_ascii_strtoull (p, &end, 10);
      if (errno != 0 || end == p || value > G_MAXINT32)
        return -1;
      return (gint64) value;
    }
  return -1;
}

static GVariant *
process_subject (guint32 pid, guint64 start_time, gint64 uid, GError **error)
{
  if (pid == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Invalid process id 0"));
      return NULL;
    }
  if (start_time == 0)
    start_time = start_time_for_pid (pid);
  if (start_time == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Cannot read the start time of process %u"), pid);
      return NULL;
    }
  if (uid < 0)
    uid = uid_for_pid (pid);
  if (uid < 0 || uid > G_MAXINT32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Cannot read the user of process %u"), pid);
      return NULL;
    }

  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "pid", g_variant_new_uint32 (pid));
  g_variant_builder_add (&builder, "{sv}", "start-time", g_variant_new_uint64 (start_time));
  g_variant_builder_add (&builder, "{sv}", "uid", g_variant_new_int32 ((gint32) uid));
  return g_variant_ref_sink (g_variant_new ("(sa{sv})", "unix-process", &builder));
}

/* polkitd registers agents only for unix-process and unix-session subjects, so a bus name is
 * resolved to the process that owns it now, as the bus daemon reports it. */
static GVariant *
bus_name_subject (GDBusConnection *connection, const char *name, GError **error)
{
  if (name == NULL || !g_dbus_is_name (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Invalid bus name"));
      return NULL;
    }

  g_autoptr (GVariant) reply =
    g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "GetConnectionCredentials",
                                 g_variant_new ("(s)", name), G_VARIANT_TYPE ("(a{sv})"),
                                 G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return NULL;

  g_autoptr (GVariant) dict = g_variant_get_child_value (reply, 0);
  guint32 pid = 0;
  guint32 uid = 0;
  if (!g_variant_lookup (dict, "ProcessID", "u", &pid) ||
      !g_variant_lookup (dict, "UnixUserID", "u", &uid))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The bus did not report the process owning %s"), name);
      return NULL;
    }
  return process_subject (pid, 0, uid, error);
}

static GVariant *
session_subject (const char *session_id, GError **error)
{
  if (session_id == NULL || *session_id == '\0' || !g_utf8_validate (session_id, -1, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Invalid session id"));
      return NULL;
    }

  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "session-id", g_variant_new_string (session_id));
  return g_variant_ref_sink (g_variant_new ("(sa{sv})", "unix-session", &builder));
}

static GVariant *
registration_parameters (WardAgent *self)
{
  GVariantBuilder options;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (self->fallback)
    g_variant_builder_add (&options, "{sv}", "fallback", g_variant_new_boolean (TRUE));

  return g_variant_new ("(@(sa{sv})ssa{sv})", self->subject, agent_locale (), AGENT_OBJECT_PATH,
                        &options);
}

/* ---- the exported object ---- */

static void
handle_begin (WardAgent *self, GVariant *parameters, GDBusMethodInvocation *invocation)
{
  const char *action_id = NULL;
  const char *message = NULL;
  const char *icon_name = NULL;
  const char *cookie = NULL;
  g_autoptr (GVariant) details = NULL;
  g_autoptr (GVariant) identities = NULL;

  g_variant_get (parameters, "(&s&s&s@a{ss}&s@a(sa{sv}))", &action_id, &message, &icon_name,
                 &details, &cookie, &identities);

  if (*cookie == '\0' || find_pending_by_cookie (self, cookie) != NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_FAILED,
                                                  "Empty or duplicate cookie");
      return;
    }
  if (self->pending->len >= MAX_PENDING)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_FAILED,
                                                  "Too many pending authentication requests");
      return;
    }

  Pending *pending = g_new0 (Pending, 1);
  pending->invocation = invocation; /* ours until answered */
  pending->request = ward_request_new (action_id, message, icon_name, details, cookie, identities);
  g_ptr_array_add (self->pending, pending);

  g_debug ("ward-agent: BeginAuthentication for %s", action_id);
  g_signal_emit (self, signals[SIGNAL_BEGIN], 0, pending->request, (gpointer) pending);
}

static void
handle_cancel (WardAgent *self, GVariant *parameters, GDBusMethodInvocation *invocation)
{
  const char *cookie = NULL;

  g_variant_get (parameters, "(&s)", &cookie);
  Pending *pending = find_pending_by_cookie (self, cookie);
  if (pending == NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_FAILED,
                                                  "No pending authentication for this cookie");
      return;
    }

  g_dbus_method_invocation_return_value (invocation, NULL);
  if (!pending->cancel_emitted)
    {
      pending->cancel_emitted = TRUE;
      g_debug ("ward-agent: CancelAuthentication for %s", pending->request->action_id);
      g_signal_emit (self, signals[SIGNAL_CANCEL], 0, (gpointer) pending);
    }
}

static void
method_call (GDBusConnection *connection, const char *sender, const char *object_path,
             const char *interface_name, const char *method_name, GVariant *parameters,
             GDBusMethodInvocation *invocation, gpointer user_data)
{
  WardAgent *self = WARD_AGENT (user_data);

  /* Rule 1. */
  if (self->polkit_owner == NULL || g_strcmp0 (sender, self->polkit_owner) != 0)
    {
      g_message ("ward-agent: refused %s from %s: it is not the owner of " POLKIT_BUS_NAME,
                 method_name, sender != NULL ? sender : "(no sender)");
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_NOT_AUTHORIZED,
                                                  "Only polkitd may call this method");
      return;
    }

  if (g_strcmp0 (method_name, "BeginAuthentication") == 0)
    handle_begin (self, parameters, invocation);
  else if (g_strcmp0 (method_name, "CancelAuthentication") == 0)
    handle_cancel (self, parameters, invocation);
  else
    g_dbus_method_invocation_return_dbus_error (invocation,
                                                "org.freedesktop.DBus.Error.UnknownMethod",
                                                "Unknown method");
}

static const GDBusInterfaceVTable agent_vtable = { method_call, NULL, NULL, { 0 } };

/* ---- polkitd's name ---- */

static void
cancel_all_pending (WardAgent *self)
{
  /* Handlers may complete (and so remove) requests while we walk: walk a copy. */
  g_autoptr (GPtrArray) copy = g_ptr_array_new ();
  for (guint i = 0; i < self->pending->len; i++)
    g_ptr_array_add (copy, g_ptr_array_index (self->pending, i));

  for (guint i = 0; i < copy->len; i++)
    {
      Pending *pending = find_pending (self, g_ptr_array_index (copy, i));
      if (pending == NULL || pending->cancel_emitted)
        continue;
      pending->cancel_emitted = TRUE;
      g_signal_emit (self, signals[SIGNAL_CANCEL], 0, (gpointer) pending);
    }
}

static void
reregister_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply =
    g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("ward-agent: could not register again with polkitd: %s", error->message);
      return;
    }

  WardAgent *self = WARD_AGENT (user_data);
  self->registered = TRUE;
  g_debug ("ward-agent: registered again with the new polkitd");
  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0);
}

static void
name_appeared (GDBusConnection *connection, const char *name, const char *name_owner,
               gpointer user_data)
{
  WardAgent *self = WARD_AGENT (user_data);

  if (g_strcmp0 (self->polkit_owner, name_owner) == 0 && self->registered)
    return;

  g_free (self->polkit_owner);
  self->polkit_owner = g_strdup (name_owner);

  if (self->subject == NULL)
    return;

  /* A new polkitd knows nothing of us, nor of requests the old one sent. */
  self->registered = FALSE;
  cancel_all_pending (self);
  g_dbus_connection_call (self->connection, POLKIT_BUS_NAME, POLKIT_AUTHORITY_PATH,
                          POLKIT_AUTHORITY_IFACE, "RegisterAuthenticationAgentWithOptions",
                          registration_parameters (self), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          self->cancellable, reregister_done, self);
}

static void
name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  WardAgent *self = WARD_AGENT (user_data);

  if (self->polkit_owner == NULL && !self->registered)
    return;

  g_clear_pointer (&self->polkit_owner, g_free);
  self->registered = FALSE;
  g_debug ("ward-agent: polkitd left the bus");
  cancel_all_pending (self);
  g_signal_emit (self, signals[SIGNAL_POLKITD_VANISHED], 0);
}

/* ---- public API ---- */

WardAgent *
ward_agent_new (GDBusConnection *connection)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  WardAgent *self = g_object_new (WARD_TYPE_AGENT, NULL);
  self->connection = g_object_ref (connection);
  return self;
}

gboolean
ward_agent_register (WardAgent *self, const WardSubject *subject, gboolean fallback,
                     GError **error)
{
  g_return_val_if_fail (WARD_IS_AGENT (self), FALSE);
  g_return_val_if_fail (subject != NULL, FALSE);
  g_return_val_if_fail (self->subject == NULL, FALSE);

  g_autoptr (GVariant) subject_variant = NULL;
  switch (subject->kind)
    {
    case WARD_SUBJECT_PROCESS:
      subject_variant = process_subject (subject->pid, subject->start_time, subject->uid, error);
      break;
    case WARD_SUBJECT_SESSION:
      subject_variant = session_subject (subject->session_id, error);
      break;
    case WARD_SUBJECT_BUS_NAME:
      subject_variant = bus_name_subject (self->connection, subject->bus_name, error);
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Unknown subject kind"));
      return FALSE;
    }
  if (subject_variant == NULL)
    return FALSE;

  /* polkitd is usually started by D-Bus activation, on the first call to its name (Debian's
   * polkit.service has no [Install]): start it now, as libpolkit's proxy would, so that its
   * unique name exists. Where it is not activatable (a bus without activation), the name
   * must already have an owner, which GetNameOwner checks. */
  GVariant *started =
    g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "StartServiceByName",
                                 g_variant_new ("(su)", POLKIT_BUS_NAME, 0),
                                 G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_clear_pointer (&started, g_variant_unref);

  /* Know polkitd's unique name before any call can arrive (rule 1). */
  g_autoptr (GVariant) owner_reply =
    g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "GetNameOwner",
                                 g_variant_new ("(s)", POLKIT_BUS_NAME), G_VARIANT_TYPE ("(s)"),
                                 G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (owner_reply == NULL)
    return FALSE;
  g_free (self->polkit_owner);
  g_variant_get (owner_reply, "(s)", &self->polkit_owner);

  if (self->object_id == 0)
    {
      self->object_id = g_dbus_connection_register_object (self->connection, AGENT_OBJECT_PATH,
                                                           self->node_info->interfaces[0],
                                                           &agent_vtable, self, NULL, error);
      if (self->object_id == 0)
        return FALSE;
    }

  self->subject = g_variant_ref (subject_variant);
  self->fallback = fallback;

  g_autoptr (GVariant) reply =
    g_dbus_connection_call_sync (self->connection, POLKIT_BUS_NAME, POLKIT_AUTHORITY_PATH,
                                 POLKIT_AUTHORITY_IFACE, "RegisterAuthenticationAgentWithOptions",
                                 registration_parameters (self), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                                 NULL, error);
  if (reply == NULL)
    {
      g_clear_pointer (&self->subject, g_variant_unref);
      g_dbus_connection_unregister_object (self->connection, self->object_id);
      self->object_id = 0;
      return FALSE;
    }
  self->registered = TRUE;

  if (self->watch_id == 0)
    self->watch_id = g_bus_watch_name_on_connection (self->connection, POLKIT_BUS_NAME,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE, name_appeared,
                                                     name_vanished, self, NULL);

  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0);
  return TRUE;
}

void
ward_agent_complete (WardAgent *self, gpointer handle, WardAgentOutcome outcome,
                     const char *message)
{
  g_return_if_fail (WARD_IS_AGENT (self));

  Pending *pending = find_pending (self, handle);
  g_return_if_fail (pending != NULL);

  GDBusMethodInvocation *invocation = g_steal_pointer (&pending->invocation);
  switch (outcome)
    {
    case WARD_AGENT_DONE:
      g_dbus_method_invocation_return_value (invocation, NULL);
      break;
    case WARD_AGENT_CANCELLED:
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_CANCELLED,
                                                  message != NULL ? message
                                                                  : "Authentication was cancelled");
      break;
    case WARD_AGENT_FAILED:
    default:
      g_dbus_method_invocation_return_dbus_error (invocation, ERROR_FAILED,
                                                  message != NULL ? message
                                                                  : "Authentication failed");
      break;
    }
  /* return_* consumed the invocation; removing frees the rest. */
  g_ptr_array_remove (self->pending, pending);
}

WardRequest *
ward_agent_get_request (WardAgent *self, gpointer handle)
{
  g_return_val_if_fail (WARD_IS_AGENT (self), NULL);

  Pending *pending = find_pending (self, handle);
  return pending != NULL ? pending->request : NULL;
}

/* ---- GObject ---- */

static void
ward_agent_dispose (GObject *object)
{
  WardAgent *self = WARD_AGENT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }
  if (self->object_id != 0)
    {
      g_dbus_connection_unregister_object (self->connection, self->object_id);
      self->object_id = 0;
    }
  /* Rule 2: whatever is still pending gets an answer (pending_free). */
  if (self->pending != NULL)
    g_ptr_array_set_size (self->pending, 0);

  G_OBJECT_CLASS (ward_agent_parent_class)->dispose (object);
}

static void
ward_agent_finalize (GObject *object)
{
  WardAgent *self = WARD_AGENT (object);

  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->subject, g_variant_unref);
  g_clear_pointer (&self->polkit_owner, g_free);
  g_clear_pointer (&self->node_info, g_dbus_node_info_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (ward_agent_parent_class)->finalize (object);
}

static void
ward_agent_class_init (WardAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ward_agent_dispose;
  object_class->finalize = ward_agent_finalize;

  signals[SIGNAL_BEGIN] = g_signal_new ("begin", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER,
                                        G_TYPE_POINTER);
  signals[SIGNAL_CANCEL] = g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_POLKITD_VANISHED] = g_signal_new ("polkitd-vanished", G_TYPE_FROM_CLASS (klass),
                                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                   G_TYPE_NONE, 0);
  signals[SIGNAL_REGISTERED] = g_signal_new ("registered", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                             0);
}

static void
ward_agent_init (WardAgent *self)
{
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  self->cancellable = g_cancellable_new ();
  self->node_info = g_dbus_node_info_new_for_xml (agent_introspection_xml, NULL);
  g_assert (self->node_info != NULL);
}
