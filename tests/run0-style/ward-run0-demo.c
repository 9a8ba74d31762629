/* ward-run0-demo: a run0-like client for the demo and the tests. Never installed.
 *
 *   ward-run0-demo [--agent PATH] CMD [ARGS...]
 *
 * Like run0 and systemd-run, it starts a polkit TTY agent exactly as systemd's
 * polkit_agent_open() does (not as root, only with a terminal on stdin: fork; in the child
 * default signal handling, PR_SET_PDEATHSIG(SIGTERM), every fd closed but the notify pipe,
 * stdout/stderr/stdin reopened on /dev/tty when they are not terminals, then
 * `AGENT --notify-fd N --fallback`; the parent waits, without timeout, until N is closed). Then it
 * asks org.freedesktop.systemd1 (ward-run0-backend in the world) to StartTransientUnit a service
 * running CMD with our stdout/stderr, with interactive authorization allowed and the default
 * 25 s timeout, stops the agent (SIGTERM then SIGCONT, and waits), waits for the unit to end
 * and exits with CMD's exit status.
 *
 * The agent is --agent PATH, else $WARD_RUN0_AGENT, else /usr/bin/pkttyagent (systemd's
 * POLKIT_AGENT_BINARY_PATH).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#define DEFAULT_AGENT "/usr/bin/pkttyagent"

static pid_t agent_pid;

static void
write_all (const char *text)
{
  size_t length = strlen (text);

  while (length > 0)
    {
      ssize_t n = write (STDERR_FILENO, text, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      text += n;
      length -= (size_t) n;
    }
}

/* Why the agent could not be started, as systemd's fork_agent() says it ("Failed to execute"):
 * without it the client carries on with no agent and polkitd denies without a prompt. In the
 * forked child of a threaded process: write(2) and constant strings only. */
static void
say_exec_failed (const char *path, int error)
{
  char number[16];
  size_t n = sizeof number;
  unsigned value = (unsigned) error;

  number[--n] = '\0';
  do
    number[--n] = (char) ('0' + value % 10);
  while ((value /= 10) > 0 && n > 0);

  write_all ("ward-run0-demo: cannot execute the polkit agent ");
  write_all (path);
  if (error == EACCES)
    write_all (": permission denied (can this user enter every folder on the way to it?)\n");
  else if (error == ENOENT)
    write_all (": no such file\n");
  else
    {
      write_all (": errno ");
      write_all (number + n);
      write_all ("\n");
    }
}

/* systemd's fork_agent(), in the child. Only async-signal-safe calls until exec. */
static void G_GNUC_NORETURN
agent_child (const char *path, int notify_fd, pid_t parent)
{
  char fd_text[16];
  sigset_t none;

  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid () != parent)
    _exit (EXIT_FAILURE);

  for (int fd = 3; fd < 1024; fd++)
    if (fd != notify_fd)
      close (fd);

  if (!isatty (STDOUT_FILENO) || !isatty (STDERR_FILENO))
    {
      int tty = open ("/dev/tty", O_WRONLY);
      if (tty < 0)
        _exit (EXIT_FAILURE);
      if (!isatty (STDOUT_FILENO))
        dup2 (tty, STDOUT_FILENO);
      if (!isatty (STDERR_FILENO))
        dup2 (tty, STDERR_FILENO);
      if (tty > 2)
        close (tty);
    }
  if (!isatty (STDIN_FILENO))
    {
      int tty = open ("/dev/tty", O_RDONLY);
      if (tty < 0)
        _exit (EXIT_FAILURE);
      dup2 (tty, STDIN_FILENO);
      if (tty > 2)
        close (tty);
    }

  snprintf (fd_text, sizeof fd_text, "%d", notify_fd);
  execl (path, path, "--notify-fd", fd_text, "--fallback", (char *) NULL);
  say_exec_failed (path, errno);
  _exit (EXIT_FAILURE);
}

/* systemd's polkit_agent_open(). */
static void
agent_open (const char *path)
{
  int pipe_fd[2];

  if (geteuid () == 0 || !isatty (STDIN_FILENO))
    return;
  if (pipe (pipe_fd) < 0)
    return;

  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      g_printerr ("ward-run0-demo: cannot fork the polkit agent: %s\n", g_strerror (errno));
      close (pipe_fd[0]);
      close (pipe_fd[1]);
      return;
    }
  if (pid == 0)
    {
      close (pipe_fd[0]);
      agent_child (path, pipe_fd[1], parent);
    }

  agent_pid = pid;
  close (pipe_fd[1]);
  struct pollfd pfd = { .fd = pipe_fd[0], .events = POLLHUP };
  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  close (pipe_fd[0]);
}

/* systemd's polkit_agent_close(): SIGTERM, SIGCONT, wait. */
static void
agent_close (void)
{
  if (agent_pid <= 0)
    return;
  kill (agent_pid, SIGTERM);
  kill (agent_pid, SIGCONT);
  while (waitpid (agent_pid, NULL, 0) < 0 && errno == EINTR)
    ;
  agent_pid = 0;
}

static char *
unit_object_path (const char *id)
{
  GString *path = g_string_new ("/org/freedesktop/systemd1/unit/");
  for (const char *p = id; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (path, *p);
      else
        g_string_append_printf (path, "_%02x", (guchar) *p);
    }
  return g_string_free (path, FALSE);
}

typedef struct {
  GMainLoop *loop;
  gboolean done;
  gint32 code;
  gint32 status;
} Wait;

static void
on_properties_changed (GDBusConnection *connection, const char *sender, const char *path,
                       const char *iface, const char *signal_name, GVariant *parameters,
                       gpointer user_data)
{
  Wait *wait = user_data;
  const char *changed_iface = NULL;
  g_autoptr (GVariant) changed = NULL;
  const char *state = NULL;

  g_variant_get (parameters, "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
  g_variant_lookup (changed, "ExecMainCode", "i", &wait->code);
  g_variant_lookup (changed, "ExecMainStatus", "i", &wait->status);
  if (g_variant_lookup (changed, "ActiveState", "&s", &state) &&
      (g_strcmp0 (state, "inactive") == 0 || g_strcmp0 (state, "failed") == 0))
    {
      wait->done = TRUE;
      g_main_loop_quit (wait->loop);
    }
}

int
main (int argc, char *argv[])
{
  g_autofree char *opt_agent = NULL;
  g_auto (GStrv) command = NULL;
  const GOptionEntry options[] = {
    { "agent", 0, 0, G_OPTION_ARG_FILENAME, &opt_agent,
      "The polkit agent to start (default: $WARD_RUN0_AGENT or " DEFAULT_AGENT ")", "PATH" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &command, NULL, "CMD [ARGS...]" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new (
    "- run a command as root through a systemd-like manager, as run0 does");

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ward-run0-demo: %s\n", error->message);
      return 2;
    }
  if (command == NULL || command[0] == NULL)
    {
      g_printerr ("ward-run0-demo: no command given\n");
      return 2;
    }

  const char *agent = opt_agent;
  if (agent == NULL)
    agent = g_getenv ("WARD_RUN0_AGENT");
  if (agent == NULL || *agent == '\0')
    agent = DEFAULT_AGENT;

  g_autofree char *exec_path = g_find_program_in_path (command[0]);
  if (exec_path == NULL || !g_path_is_absolute (exec_path))
    {
      g_printerr ("ward-run0-demo: %s: command not found\n", command[0]);
      return 127;
    }

  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("ward-run0-demo: %s\n", error->message);
      return 1;
    }

  g_autofree char *unit = g_strdup_printf ("run-u%u.service", g_random_int_range (1, 1000000));
  g_autofree char *unit_path = unit_object_path (unit);
  g_autofree char *description = g_strjoinv (" ", command);

  /* Before the call: the unit may end before the reply is read. */
  Wait wait = { g_main_loop_new (NULL, FALSE), FALSE, 0, 0 };
  guint subscription = g_dbus_connection_signal_subscribe (
    bus, "org.freedesktop.systemd1", "org.freedesktop.DBus.Properties", "PropertiesChanged",
    unit_path, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, &wait, NULL);

  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  int in_index = g_unix_fd_list_append (fds, devnull, NULL);
  int out_index = g_unix_fd_list_append (fds, STDOUT_FILENO, NULL);
  int err_index = g_unix_fd_list_append (fds, STDERR_FILENO, NULL);
  close (devnull);

  GVariantBuilder props;
  g_variant_builder_init (&props, G_VARIANT_TYPE ("a(sv)"));
  g_variant_builder_add (&props, "(sv)", "Description",
                         g_variant_new_take_string (g_strdup_printf ("[ward-run0-demo] %s",
                                                                     description)));
  g_variant_builder_add (&props, "(sv)", "ExecStart",
                         g_variant_new_parsed ("[(%s, %^as, false)]", exec_path, command));
  g_variant_builder_add (&props, "(sv)", "StandardInputFileDescriptor",
                         g_variant_new_handle (in_index));
  g_variant_builder_add (&props, "(sv)", "StandardOutputFileDescriptor",
                         g_variant_new_handle (out_index));
  g_variant_builder_add (&props, "(sv)", "StandardErrorFileDescriptor",
                         g_variant_new_handle (err_index));

  agent_open (agent);

  g_autoptr (GDBusMessage) message = g_dbus_message_new_method_call (
    "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
    "StartTransientUnit");
  g_dbus_message_set_body (message, g_variant_new ("(ssa(sv)a(sa(sv)))", unit, "fail", &props,
                                                   NULL));
  g_dbus_message_set_unix_fd_list (message, fds);
  g_dbus_message_set_flags (message, G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
  /* -1: GDBus's default, 25 s, as sd-bus's. */
  g_autoptr (GDBusMessage) reply = g_dbus_connection_send_message_with_reply_sync (
    bus, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, -1, NULL, NULL, &error);

  agent_close ();

  if (reply != NULL && g_dbus_message_to_gerror (reply, &error))
    g_clear_object (&reply);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr ("ward-run0-demo: failed to start %s: %s\n", unit, error->message);
      return 1;
    }

  if (!wait.done)
    g_main_loop_run (wait.loop);
  g_dbus_connection_signal_unsubscribe (bus, subscription);
  g_main_loop_unref (wait.loop);

  if (wait.code == CLD_EXITED)
    {
      g_printerr ("ward-run0-demo: %s finished: exit status %d\n", unit, wait.status);
      return wait.status;
    }
  g_printerr ("ward-run0-demo: %s finished: killed by signal %d\n", unit, wait.status);
  return 128 + wait.status;
}
