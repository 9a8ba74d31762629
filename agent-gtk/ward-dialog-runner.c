/* ward-dialog-runner.c: spawns ward-gtk-dialog for one request and waits for its answer.
 *
 * Security rules (HACKING.md):
 *  1. The request (with polkitd's cookie) goes over an inherited socket, never argv or the
 *     environment; the password never comes back, only an outcome line.
 *  2. Reads from the dialog are bounded (WARD_GTK_IPC_MAX_OUTCOME); anything odd is a failure.
 *  3. A dialog that does not exit after answering or being cancelled is killed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ward-dialog-runner.h"
#include "ward-gtk-ipc.h"

/* After the process exits, how long its socket may stay open (a descendant holding it). */
#define EOF_GRACE_MS 1000

struct _WardDialogRunner
{
  GObject parent_instance;

  char *dialog_path;
  GSubprocess *process;
  GSocket *socket;
  GIOStream *stream;
  GBytes *frame;
  GCancellable *cancellable;

  char buffer[WARD_GTK_IPC_MAX_OUTCOME];
  gsize buffer_len;

  gboolean reading_done;   /* outcome emitted, or cancelled */
  gboolean process_exited;
  gboolean exited_emitted;
  guint kill_id;
  guint eof_id;
};

G_DEFINE_FINAL_TYPE (WardDialogRunner, ward_dialog_runner, G_TYPE_OBJECT)

enum {
  SIGNAL_OUTCOME,
  SIGNAL_EXITED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static gboolean
kill_cb (gpointer data)
{
  WardDialogRunner *self = data;

  self->kill_id = 0;
  if (self->process != NULL && !self->process_exited)
    {
      g_message ("the dialog did not exit; killing it");
      g_subprocess_force_exit (self->process);
    }
  return G_SOURCE_REMOVE;
}

static void
arm_kill_timer (WardDialogRunner *self)
{
  if (self->kill_id == 0 && !self->process_exited)
    self->kill_id = g_timeout_add_seconds (WARD_DIALOG_RUNNER_EXIT_GRACE, kill_cb, self);
}

static void
maybe_emit_exited (WardDialogRunner *self)
{
  if (!self->process_exited || !self->reading_done || self->exited_emitted)
    return;
  self->exited_emitted = TRUE;
  g_clear_handle_id (&self->kill_id, g_source_remove);
  g_clear_handle_id (&self->eof_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_EXITED], 0);
}

static void
emit_outcome (WardDialogRunner *self, WardAgentOutcome outcome, const char *message)
{
  if (self->reading_done)
    return;
  self->reading_done = TRUE;
  g_cancellable_cancel (self->cancellable);
  arm_kill_timer (self);
  g_signal_emit (self, signals[SIGNAL_OUTCOME], 0, (int) outcome, message);
  maybe_emit_exited (self);
}

static void read_more (WardDialogRunner *self);

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(WardDialogRunner) self = data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (self->reading_done)
    return;
  if (n < 0)
    {
      emit_outcome (self, WARD_AGENT_FAILED, "Lost the connection to the authentication dialog");
      return;
    }
  if (n == 0)
    {
      /* The socket closed before a full line: the dialog crashed or was killed. */
      emit_outcome (self, WARD_AGENT_FAILED, "The authentication dialog exited unexpectedly");
      return;
    }

  self->buffer_len += n;
  char *newline = memchr (self->buffer, '\n', self->buffer_len);
  if (newline == NULL)
    {
      if (self->buffer_len >= sizeof self->buffer)
        emit_outcome (self, WARD_AGENT_FAILED, "The authentication dialog misbehaved");
      else
        read_more (self);
      return;
    }

  switch (ward_gtk_ipc_outcome_from_line (self->buffer, newline - self->buffer + 1))
    {
    case WARD_GTK_IPC_OUTCOME_DONE:
      emit_outcome (self, WARD_AGENT_DONE, NULL);
      break;
    case WARD_GTK_IPC_OUTCOME_CANCELLED:
      emit_outcome (self, WARD_AGENT_CANCELLED, "The user dismissed the authentication dialog");
      break;
    case WARD_GTK_IPC_OUTCOME_INVALID:
    default:
      emit_outcome (self, WARD_AGENT_FAILED, "The authentication dialog misbehaved");
      break;
    }
}

static void
read_more (WardDialogRunner *self)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream),
                             self->buffer + self->buffer_len,
                             sizeof self->buffer - self->buffer_len, G_PRIORITY_DEFAULT,
                             self->cancellable, on_read, g_object_ref (self));
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  /* A dialog that died before reading shows up as EOF on the read side. */
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("could not send the request to the dialog: %s", error->message);
  g_object_unref (data);
}

static gboolean
eof_timeout_cb (gpointer data)
{
  WardDialogRunner *self = data;

  self->eof_id = 0;
  emit_outcome (self, WARD_AGENT_FAILED, "The authentication dialog exited unexpectedly");
  return G_SOURCE_REMOVE;
}

static void
on_wait (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(WardDialogRunner) self = data;
  GSubprocess *process = G_SUBPROCESS (source);

  g_subprocess_wait_finish (process, result, NULL);
  self->process_exited = TRUE;
  g_clear_handle_id (&self->kill_id, g_source_remove);

  if (g_subprocess_get_if_signaled (process))
    g_message ("the dialog was killed by signal %d", g_subprocess_get_term_sig (process));
  else if (g_subprocess_get_exit_status (process) != 0)
    g_message ("the dialog exited with status %d", g_subprocess_get_exit_status (process));

  /* The outcome line, if any, is still in the socket: wait for EOF, but not forever. */
  if (!self->reading_done && self->eof_id == 0)
    self->eof_id = g_timeout_add (EOF_GRACE_MS, eof_timeout_cb, self);
  maybe_emit_exited (self);
}

gboolean
ward_dialog_runner_start (WardDialogRunner *self, const WardRequest *request, GError **error)
{
  g_return_val_if_fail (WARD_IS_DIALOG_RUNNER (self), FALSE);
  g_return_val_if_fail (self->process == NULL, FALSE);

  self->frame = ward_gtk_ipc_encode_request (request, error);
  if (self->frame == NULL)
    return FALSE;

  int fds[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s",
                   g_strerror (saved));
      return FALSE;
    }

  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  /* The launcher owns fds[1] from here and closes it in this process when freed. */
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  self->process = g_subprocess_launcher_spawn (launcher, error, self->dialog_path, "--fd=3", NULL);
  g_clear_object (&launcher);
  if (self->process == NULL)
    {
      close (fds[0]);
      return FALSE;
    }

  self->socket = g_socket_new_from_fd (fds[0], error);
  if (self->socket == NULL)
    {
      close (fds[0]);
      g_subprocess_force_exit (self->process);
      g_subprocess_wait_async (self->process, NULL, NULL, NULL);
      return FALSE;
    }
  self->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (self->socket));

  gsize size;
  const void *data = g_bytes_get_data (self->frame, &size);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream), data, size,
                                   G_PRIORITY_DEFAULT, self->cancellable, on_written,
                                   g_object_ref (self));
  read_more (self);
  g_subprocess_wait_async (self->process, NULL, on_wait, g_object_ref (self));
  return TRUE;
}

void
ward_dialog_runner_cancel (WardDialogRunner *self)
{
  g_return_if_fail (WARD_IS_DIALOG_RUNNER (self));

  if (self->process == NULL)
    return;
  self->reading_done = TRUE;
  g_cancellable_cancel (self->cancellable);
  /* The dialog sees EOF and closes at once. */
  if (self->socket != NULL)
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  arm_kill_timer (self);
  maybe_emit_exited (self);
}

GPid
ward_dialog_runner_get_pid (WardDialogRunner *self)
{
  g_return_val_if_fail (WARD_IS_DIALOG_RUNNER (self), 0);

  if (self->process == NULL || self->process_exited)
    return 0;
  const char *id = g_subprocess_get_identifier (self->process);
  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

WardDialogRunner *
ward_dialog_runner_new (const char *dialog_path)
{
  WardDialogRunner *self = g_object_new (WARD_TYPE_DIALOG_RUNNER, NULL);

  self->dialog_path = g_strdup (dialog_path);
  return self;
}

static void
ward_dialog_runner_dispose (GObject *object)
{
  WardDialogRunner *self = WARD_DIALOG_RUNNER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->kill_id, g_source_remove);
  g_clear_handle_id (&self->eof_id, g_source_remove);
  if (self->process != NULL && !self->process_exited)
    g_subprocess_force_exit (self->process);
  G_OBJECT_CLASS (ward_dialog_runner_parent_class)->dispose (object);
}

static void
ward_dialog_runner_finalize (GObject *object)
{
  WardDialogRunner *self = WARD_DIALOG_RUNNER (object);

  g_clear_object (&self->stream);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->frame, g_bytes_unref);
  g_free (self->dialog_path);
  G_OBJECT_CLASS (ward_dialog_runner_parent_class)->finalize (object);
}

static void
ward_dialog_runner_class_init (WardDialogRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ward_dialog_runner_dispose;
  object_class->finalize = ward_dialog_runner_finalize;

  signals[SIGNAL_OUTCOME] = g_signal_new ("outcome", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
                                          G_TYPE_STRING);
  signals[SIGNAL_EXITED] = g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ward_dialog_runner_init (WardDialogRunner *self)
{
  self->cancellable = g_cancellable_new ();
}
