/* ward-session.c: one conversation with an authentication helper (see ward-session.h).
 *
 * Security rules (HACKING.md, session invariants):
 *  S1. The cookie goes to the helper over its stdin or socket, never on argv (CVE-2015-4625).
 *  S2. A reply is written with write(2) straight from its WardSecret and the secret is cleared on
 *      every path; a reply that is not a plain line (NUL, '\n', too long) is never written.
 *  S3. Reads are non-blocking and bounded: one line at most WARD_WIRE_MAX_LINE bytes; anything
 *      ward_wire_parse() rejects ends the conversation with completed(FALSE).
 *  S4. "completed" is emitted exactly once, from the main loop, whatever happens to the helper.
 *  S5. A helper that ends the connection before it has said anything (no byte read from it) was
 *      not available: systemd accepts and closes connections beyond MaxConnections=, and
 *      ward-helper closes those beyond its per-uid bound and idle ones (helper H7, H8). The
 *      attempt moves on to the next helper in the fixed order (HACKING.md, invariant 15) and
 *      says so once; it never becomes a failed attempt or a "try again".
 *  S6. A connection prepared ahead of the request (ward_session_prepare_helper) is ward's socket
 *      and nothing else: it is used by the first conversation that starts with that socket. One
 *      that has gone meanwhile (the helper drops idle connections, H8, or was killed) is replaced
 *      by a fresh connection to the same socket, silently: that is no helper being busy. Nothing
 *      is written to it before the conversation starts, so it carries no request and no secret.
 */
#include "config.h"

#include "ward-session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "ward-wire.h"

/* Writes to the helper are a few hundred bytes; a helper that cannot take them in this long is
 * treated as gone. */
#define WRITE_TIMEOUT_MS 5000

/* One place to look for a helper (S5: tried in order). */
typedef struct {
  const char *kind;     /* "ward-socket", "polkit-socket", "polkit-setuid" */
  char *path;
  gboolean spawn;
} Candidate;

/* S6: the connection prepared ahead of the request, at most one per process. */
static struct {
  int fd;
  char *path;
  guint watch;
} prepared = { -1, NULL, 0 };

struct _WardSession
{
  GObject parent_instance;

  char *user_name;
  char *cookie;
  const char *helper_kind;
  GArray *candidates;   /* of Candidate */
  guint next_candidate;
  gboolean heard;       /* S5: a byte came from the current helper */
  gboolean prepared;    /* S6: the current connection is the prepared one */
  gboolean said_unavailable;

  int fd;               /* the helper's socket (connected, or our end of the spawn socketpair) */
  GPid child_pid;       /* spawned helper, 0 otherwise */
  guint fd_watch;
  guint idle_complete;
  gboolean idle_result;

  char buf[WARD_WIRE_MAX_LINE];
  gsize buf_len;

  gboolean initiated;
  gboolean completed;
};

enum {
  SIGNAL_REQUEST,
  SIGNAL_SHOW_INFO,
  SIGNAL_SHOW_ERROR,
  SIGNAL_COMPLETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WardSession, ward_session, G_TYPE_OBJECT)

static void
reap_child (GPid pid, gint status, gpointer user_data)
{
  g_spawn_close_pid (pid);
}

/* Closes the connection and stops a spawned helper. Never emits anything. */
static void
stop_helper (WardSession *self)
{
  g_clear_handle_id (&self->fd_watch, g_source_remove);
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  if (self->child_pid > 0)
    {
      /* polkit's library waits for the child after SIGTERM; a child watch reaps it without
       * blocking the main loop on a helper that ignores the signal. */
      kill (self->child_pid, SIGTERM);
      g_child_watch_add (self->child_pid, reap_child, NULL);
      self->child_pid = 0;
    }
  self->buf_len = 0;
  self->heard = FALSE;
}

static gboolean start_next_helper (WardSession *self);
static void say_unavailable (WardSession *self);

static void
complete (WardSession *self, gboolean gained_authorization)
{
  g_autoptr(WardSession) keep = NULL;

  if (self->completed)
    return;
  self->completed = TRUE;
  g_clear_handle_id (&self->idle_complete, g_source_remove);
  stop_helper (self);

  /* The handler may drop the last reference to the session. */
  keep = g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_COMPLETED], 0, gained_authorization);
}

static gboolean
complete_idle_cb (gpointer user_data)
{
  WardSession *self = user_data;

  self->idle_complete = 0;
  complete (self, self->idle_result);
  return G_SOURCE_REMOVE;
}

/* For failures found outside the main loop (initiate): "completed" still comes from it. */
static void
complete_later (WardSession *self, gboolean gained_authorization)
{
  stop_helper (self);
  if (self->completed || self->idle_complete != 0)
    return;
  self->idle_result = gained_authorization;
  self->idle_complete = g_idle_add (complete_idle_cb, self);
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      ssize_t n;
      int r;

      n = send (fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0)
        {
          data += n;
          len -= (gsize) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || errno != EAGAIN)
        return FALSE;
      do
        r = poll (&p, 1, WRITE_TIMEOUT_MS);
      while (r < 0 && errno == EINTR);
      if (r <= 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_line (int fd, const char *text)
{
  return write_all (fd, text, strlen (text)) && write_all (fd, "\n", 1);
}

/* Handles one complete line; FALSE when the conversation is over. */
static gboolean
handle_line (WardSession *self, const char *line, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WardWireMessage) message = ward_wire_parse (line, len, &error);

  if (message == NULL)
    {
      g_message ("ward-session: malformed line from the helper: %s", error->message);
      complete (self, FALSE);
      return FALSE;
    }

  switch (message->kind)
    {
    case WARD_WIRE_PROMPT_ECHO_OFF:
    case WARD_WIRE_PROMPT_ECHO_ON:
      g_signal_emit (self, signals[SIGNAL_REQUEST], 0, message->text,
                     message->kind == WARD_WIRE_PROMPT_ECHO_ON);
      break;
    case WARD_WIRE_ERROR_MSG:
      g_signal_emit (self, signals[SIGNAL_SHOW_ERROR], 0, message->text);
      break;
    case WARD_WIRE_TEXT_INFO:
      g_signal_emit (self, signals[SIGNAL_SHOW_INFO], 0, message->text);
      break;
    case WARD_WIRE_SUCCESS:
      complete (self, TRUE);
      return FALSE;
    case WARD_WIRE_FAILURE:
    default:
      complete (self, FALSE);
      return FALSE;
    }

  /* A handler may have cancelled. */
  return !self->completed;
}

static gboolean
fd_ready_cb (int fd, GIOCondition condition, gpointer user_data)
{
  WardSession *self = user_data;
  /* A signal handler may drop the last reference while lines are being handled. */
  g_autoptr(WardSession) keep = g_object_ref (self);
  ssize_t n;

  (void) keep;

  do
    n = read (fd, self->buf + self->buf_len, sizeof self->buf - self->buf_len);
  while (n < 0 && errno == EINTR);

  if (n < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;
  if (n <= 0 && !self->heard)
    {
      /* S5: closed (or reset, when it went before reading our lines) without a word. */
      self->fd_watch = 0;
      if (self->prepared)
        {
          /* S6: dropped by the helper just before the request reached it. */
          g_debug ("ward-session: the prepared connection was gone; connecting again");
        }
      else
        {
          g_message (n < 0 ? "ward-session: the %s helper reset the connection before saying "
                             "anything"
                           : "ward-session: the %s helper closed the connection before saying "
                             "anything",
                     self->helper_kind);
          say_unavailable (self);
        }
      stop_helper (self);
      if (!start_next_helper (self))
        complete (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  if (n <= 0)
    {
      /* The helper died or closed without SUCCESS: a partial line is dropped, never parsed. */
      self->fd_watch = 0;
      complete (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  self->heard = TRUE;
  self->buf_len += (gsize) n;

  for (;;)
    {
      char *nl = memchr (self->buf, '\n', self->buf_len);
      gsize line_len;

      if (nl == NULL)
        break;
      line_len = (gsize) (nl - self->buf);
      if (!handle_line (self, self->buf, line_len))
        {
          /* complete() removed this source already. */
          return G_SOURCE_REMOVE;
        }
      memmove (self->buf, nl + 1, self->buf_len - line_len - 1);
      self->buf_len -= line_len + 1;
    }

  if (self->buf_len == sizeof self->buf)
    {
      g_message ("ward-session: the helper sent a line longer than %d bytes", WARD_WIRE_MAX_LINE);
      complete (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Connects to the socket at @path; -1 when it is not there. *@busy is set when it is there but
 * its backlog is full. */
static int
connect_socket (const char *path, gboolean *busy)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  *busy = FALSE;
  if (strlen (path) >= sizeof addr.sun_path)
    return -1;
  strcpy (addr.sun_path, path);

  /* Non-blocking: with Accept=yes systemd accepts every connection, even beyond MaxConnections=
   * (it closes those at once, S5), but a manager that is itself stuck lets the backlog fill, and
   * a blocking connect() would then freeze the agent; EAGAIN moves on to the next helper. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      *busy = errno == EAGAIN;
      close (fd);
      return -1;
    }
  return fd;
}

/* polkit's library spawns the setuid helper with argv [helper, user] and writes the cookie on its
 * stdin; ward gives it one end of a socketpair as stdin and stdout, so writes never raise SIGPIPE
 * and the helper's exit shows as end-of-file. */
static int
spawn_helper (WardSession *self, const char *path)
{
  const char *argv[] = { path, self->user_name, NULL };
  g_autoptr(GError) error = NULL;
  int pair[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return -1;

  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD,
                                         NULL, NULL,
                                         pair[1], pair[1], -1,
                                         NULL, NULL, 0,
                                         &self->child_pid, NULL, NULL, NULL, &error))
    {
      g_message ("ward-session: cannot spawn %s: %s", path, error->message);
      close (pair[0]);
      close (pair[1]);
      self->child_pid = 0;
      return -1;
    }
  close (pair[1]);
  return pair[0];
}

static void
add_candidate (GArray *candidates, const char *kind, const char *path, gboolean spawn)
{
  Candidate c = { kind, g_strdup (path), spawn };

  g_array_append_val (candidates, c);
}

static void
clear_candidate (gpointer data)
{
  Candidate *c = data;

  g_free (c->path);
}

/* The fixed order (HACKING.md, invariant 15), or what WARD_HELPER names: a comma-separated list
 * of socket:PATH and spawn:PATH, tried in that order (a test knob; agents run with their user's
 * rights, so it grants nothing). */
static GArray *
list_candidates (void)
{
  GArray *candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  const char *override = g_getenv ("WARD_HELPER");

  g_array_set_clear_func (candidates, clear_candidate);
  if (override == NULL)
    {
      add_candidate (candidates, "ward-socket", WARD_HELPER_SOCKET, FALSE);
      add_candidate (candidates, "polkit-socket", POLKIT_HELPER_SOCKET, FALSE);
      add_candidate (candidates, "polkit-setuid", POLKIT_AGENT_HELPER, TRUE);
      return candidates;
    }

  g_auto(GStrv) items = g_strsplit (override, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (g_str_has_prefix (items[i], "socket:"))
        add_candidate (candidates, "ward-socket", items[i] + strlen ("socket:"), FALSE);
      else if (g_str_has_prefix (items[i], "spawn:"))
        add_candidate (candidates, "polkit-setuid", items[i] + strlen ("spawn:"), TRUE);
      else
        g_message ("ward-session: WARD_HELPER must list socket:PATH or spawn:PATH");
    }
  return candidates;
}

/* S5, the user's side: once per conversation, in the user's language. */
static void
say_unavailable (WardSession *self)
{
  if (self->said_unavailable)
    return;
  self->said_unavailable = TRUE;
  g_message ("%s", _("The authentication helper is busy or not running; trying the next one."));
}

static void
drop_prepared (void)
{
  g_clear_handle_id (&prepared.watch, g_source_remove);
  if (prepared.fd >= 0)
    close (prepared.fd);
  prepared.fd = -1;
  g_clear_pointer (&prepared.path, g_free);
}

static gboolean
prepared_gone_cb (int fd, GIOCondition condition, gpointer data)
{
  /* Nothing is ever due from a helper before the request: this is its end (H8, or killed). */
  g_debug ("ward-session: the prepared helper connection was closed");
  prepared.watch = 0;
  drop_prepared ();
  return G_SOURCE_REMOVE;
}

/* S6: the prepared connection to @path, if there is one and it is still open. */
static int
take_prepared (const char *path)
{
  struct pollfd p = { .fd = prepared.fd, .events = POLLIN };
  int fd;

  if (prepared.fd < 0 || g_strcmp0 (prepared.path, path) != 0)
    return -1;
  g_clear_handle_id (&prepared.watch, g_source_remove);
  fd = prepared.fd;
  prepared.fd = -1;
  g_clear_pointer (&prepared.path, g_free);
  if (poll (&p, 1, 0) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
ward_session_prepare_helper (void)
{
  const char *override = g_getenv ("WARD_HELPER");
  g_autofree char *path = NULL;
  gboolean busy = FALSE;

  if (prepared.fd >= 0)
    return TRUE;
  /* Only ward's socket: the first helper to try (S6). */
  if (override == NULL)
    path = g_strdup (WARD_HELPER_SOCKET);
  else if (g_str_has_prefix (override, "socket:"))
    path = g_strndup (override + strlen ("socket:"), strcspn (override + strlen ("socket:"), ","));
  else
    return FALSE;

  prepared.fd = connect_socket (path, &busy);
  if (prepared.fd < 0)
    return FALSE;
  prepared.path = g_steal_pointer (&path);
  prepared.watch = g_unix_fd_add (prepared.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, prepared_gone_cb,
                                  NULL);
  return TRUE;
}

void
ward_session_drop_prepared_helper (void)
{
  drop_prepared ();
}

/* Starts the next helper of the list and sends it the request; FALSE when none is left (the
 * helper kind is then "none"). Never emits anything. */
static gboolean
start_next_helper (WardSession *self)
{
  while (self->next_candidate < self->candidates->len)
    {
      Candidate *c = &g_array_index (self->candidates, Candidate, self->next_candidate);
      gboolean busy = FALSE;
      gboolean sent;

      self->helper_kind = c->kind;
      /* S6: the prepared connection first; the same socket again, fresh, if it has gone. */
      self->fd = c->spawn ? -1 : take_prepared (c->path);
      self->prepared = self->fd >= 0;
      if (!self->prepared)
        {
          self->next_candidate++;
          self->fd = c->spawn ? spawn_helper (self, c->path) : connect_socket (c->path, &busy);
        }
      if (self->fd < 0)
        {
          if (busy)
            {
              g_message ("ward-session: the %s helper's backlog is full", c->kind);
              say_unavailable (self);
            }
          continue;
        }

      /* S1. Socket helpers read the user name line first; the spawned one has it on argv. */
      if (c->spawn)
        sent = write_line (self->fd, self->cookie);
      else
        sent = write_line (self->fd, self->user_name) && write_line (self->fd, self->cookie);
      if (!sent || !g_unix_set_fd_nonblocking (self->fd, TRUE, NULL))
        {
          /* S5: gone before it could say anything; S6: silently, for the prepared one. */
          if (!self->prepared)
            {
              g_message ("ward-session: the %s helper went away before reading the request",
                         c->kind);
              say_unavailable (self);
            }
          stop_helper (self);
          continue;
        }
      self->fd_watch = g_unix_fd_add (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, fd_ready_cb, self);
      return TRUE;
    }
  /* Agents tell "no helper at all" (retrying cannot help) from a failed conversation. */
  self->helper_kind = "none";
  return FALSE;
}

gboolean
ward_session_prompt_is_default (const char *prompt)
{
  return prompt == NULL || prompt[0] == '\0' || g_str_equal (prompt, "Password:") ||
         g_str_equal (prompt, "Password: ");
}

void
ward_session_initiate (WardSession *self)
{
  g_return_if_fail (WARD_IS_SESSION (self));
  g_return_if_fail (!self->initiated);

  self->initiated = TRUE;

  /* The helper refuses these too (HACKING.md, invariant 4); no helper is started for them. */
  if (!ward_wire_check_user_name (self->user_name, strlen (self->user_name), NULL) ||
      !ward_wire_check_cookie (self->cookie, strlen (self->cookie), NULL))
    {
      g_message ("ward-session: refusing a user name or cookie that polkitd could not have sent");
      self->helper_kind = "none";
      complete_later (self, FALSE);
      return;
    }

  self->candidates = list_candidates ();
  if (!start_next_helper (self))
    {
      g_message ("ward-session: no authentication helper could be reached");
      complete_later (self, FALSE);
    }
}

void
ward_session_respond (WardSession *self, WardSecret *response)
{
  g_return_if_fail (WARD_IS_SESSION (self));
  g_return_if_fail (response != NULL);

  if (self->completed || self->fd < 0)
    {
      ward_secret_clear (response);
      return;
    }

  /* S2. */
  if (!ward_wire_check_plain_line (ward_secret_get (response), ward_secret_len (response), NULL) ||
      strlen (ward_secret_get (response)) != ward_secret_len (response))
    {
      ward_secret_clear (response);
      g_message ("ward-session: refusing to send a reply that is not a plain line");
      complete (self, FALSE);
      return;
    }
  if (!write_all (self->fd, ward_secret_get (response), ward_secret_len (response)) ||
      !write_all (self->fd, "\n", 1))
    {
      ward_secret_clear (response);
      g_message ("ward-session: the helper went away before the reply");
      complete (self, FALSE);
      return;
    }
  ward_secret_clear (response);
}

void
ward_session_cancel (WardSession *self)
{
  g_return_if_fail (WARD_IS_SESSION (self));

  stop_helper (self);
  if (!self->completed)
    complete (self, FALSE);
}

const char *
ward_session_get_helper_kind (WardSession *self)
{
  g_return_val_if_fail (WARD_IS_SESSION (self), NULL);

  return self->helper_kind;
}

WardSession *
ward_session_new (const char *user_name, const char *cookie)
{
  WardSession *self;

  g_return_val_if_fail (user_name != NULL, NULL);
  g_return_val_if_fail (cookie != NULL, NULL);

  self = g_object_new (WARD_TYPE_SESSION, NULL);
  self->user_name = g_strdup (user_name);
  self->cookie = g_strdup (cookie);
  return self;
}

static void
ward_session_dispose (GObject *object)
{
  WardSession *self = WARD_SESSION (object);

  /* Dropped without completing: nobody is listening for "completed" any more. */
  g_clear_handle_id (&self->idle_complete, g_source_remove);
  stop_helper (self);

  G_OBJECT_CLASS (ward_session_parent_class)->dispose (object);
}

static void
ward_session_finalize (GObject *object)
{
  WardSession *self = WARD_SESSION (object);

  g_free (self->user_name);
  g_clear_pointer (&self->candidates, g_array_unref);
  if (self->cookie != NULL)
    explicit_bzero (self->cookie, strlen (self->cookie));
  g_free (self->cookie);
  explicit_bzero (self->buf, sizeof self->buf);

  G_OBJECT_CLASS (ward_session_parent_class)->finalize (object);
}

static void
ward_session_class_init (WardSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ward_session_dispose;
  object_class->finalize = ward_session_finalize;

  signals[SIGNAL_REQUEST] = g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                          G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[SIGNAL_SHOW_INFO] = g_signal_new ("show-info", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_SHOW_ERROR] = g_signal_new ("show-error", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_COMPLETED] = g_signal_new ("completed", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
ward_session_init (WardSession *self)
{
  self->fd = -1;
}
