/* tty-terminal.c: see tty-terminal.h. Modelled on systemd's ask_password_tty: non-canonical
 * input, ward's own line editing, termios restored and input discarded on every exit path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "tty-terminal.h"

/* PAM answers are at most 512 bytes; the helper line limit is 4096. */
#define LINE_CAPACITY 1023
/* Bytes read per read(2); wiped right after. */
#define READ_CHUNK 64

typedef enum {
  ESC_NONE,
  ESC_SEEN,      /* after ESC */
  ESC_SEQUENCE,  /* inside CSI or SS3: until a final byte */
} EscState;

struct _TtyTerminal {
  int fd;
  gboolean colour;
  WardTextCharset *charset; /* NULL for UTF-8 */
  struct sigaction old_ttou;

  gboolean acquired;
  struct termios saved;
  pid_t given_back_to; /* foreground group to restore, 0 when we did not take it */

  /* Rule 4: from acquire to release one watch on the terminal, whether a line is read or not. */
  guint watch_id;
  guint cancel_id;    /* delivers a Ctrl-C typed before the prompt it ends appeared */
  TtyInterruptFunc interrupt;
  gpointer interrupt_data;

  /* the read in progress */
  WardSecret *line;
  char *prompt;
  gboolean echo;
  EscState esc;
  TtyLineFunc func;
  gpointer func_data;
};

static void
write_all (int fd, const char *text, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, text, len);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          return;
        }
      text += n;
      len -= (gsize) n;
    }
}

TtyTerminal *
tty_terminal_new (int fd, GError **error)
{
  if (fd < 0)
    {
      fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (fd < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Cannot open the controlling terminal /dev/tty: %s"),
                       g_strerror (saved_errno));
          return NULL;
        }
    }
  if (!isatty (fd))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Not a terminal"));
      close (fd);
      return NULL;
    }

  TtyTerminal *self = g_new0 (TtyTerminal, 1);
  self->fd = fd;
  self->line = ward_secret_new (LINE_CAPACITY);

  const char *term = g_getenv ("TERM");
  const char *no_colour = g_getenv ("NO_COLOR");
  self->colour = term != NULL && *term != '\0' && g_strcmp0 (term, "dumb") != 0 &&
                 (no_colour == NULL || *no_colour == '\0');
  /* The terminal is taken to use the locale's charset, as every program on it does. */
  self->charset = ward_text_charset_new_for_locale ();

  /* Changing termios or the foreground group from a background process group raises SIGTTOU,
   * which would stop us mid-change (pkttyagent's systemctl hang). Ignored, the calls just work;
   * the old disposition comes back in tty_terminal_free(). */
  struct sigaction ignore = { 0 };
  ignore.sa_handler = SIG_IGN;
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGTTOU, &ignore, &self->old_ttou);

  return self;
}

void
tty_terminal_free (TtyTerminal *self)
{
  if (self == NULL)
    return;

  tty_terminal_release (self);
  ward_secret_free (self->line);
  g_free (self->prompt);
  ward_text_charset_free (self->charset);
  close (self->fd);
  sigaction (SIGTTOU, &self->old_ttou, NULL);
  g_free (self);
}

gboolean
tty_terminal_get_colour (TtyTerminal *self)
{
  return self->colour;
}

WardTextCharset *
tty_terminal_get_charset (TtyTerminal *self)
{
  return self->charset;
}

static void
take_foreground (TtyTerminal *self)
{
  pid_t foreground = tcgetpgrp (self->fd);
  pid_t mine = getpgrp ();

  self->given_back_to = 0;
  if (foreground == mine)
    return;
  if (tcsetpgrp (self->fd, mine) == 0 && foreground > 0)
    self->given_back_to = foreground;
}

/* Whether @pid ignores SIGTTIN, from /proc/PID/status (readable for any process). */
static gboolean
ignores_sigttin (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  const char *line = strstr (contents, "\nSigIgn:");
  if (line == NULL)
    return FALSE;
  guint64 mask = g_ascii_strtoull (line + strlen ("\nSigIgn:"), NULL, 16);
  return (mask & (G_GUINT64_CONSTANT (1) << (SIGTTIN - 1))) != 0;
}

gboolean
tty_terminal_should_wait_for_foreground (TtyTerminal *self)
{
  pid_t foreground = tcgetpgrp (self->fd);

  if (foreground <= 0 || foreground == getpgrp ())
    return FALSE;
  return ignores_sigttin (foreground);
}

static void
give_back_foreground (TtyTerminal *self)
{
  if (self->given_back_to > 0 && tcgetpgrp (self->fd) == getpgrp ())
    {
      /* Fails when that group has gone meanwhile; nothing better to do then. */
      (void) tcsetpgrp (self->fd, self->given_back_to);
    }
  self->given_back_to = 0;
}

static gboolean
enter_raw_mode (TtyTerminal *self, GError **error)
{
  if (tcgetattr (self->fd, &self->saved) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot read the terminal settings: %s"), g_strerror (saved_errno));
      return FALSE;
    }

  struct termios raw = self->saved;
  /* ISIG off: Ctrl-C and Ctrl-Z arrive as bytes, so they cancel or suspend the prompt through
   * ward's own code, which restores the terminal first. */
  raw.c_lflag &= ~(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
  raw.c_iflag &= ~(ICRNL | INLCR | IGNCR);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  /* TCSAFLUSH: what was typed before the prompt appeared is not taken as the password. */
  if (tcsetattr (self->fd, TCSAFLUSH, &raw) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot change the terminal settings: %s"), g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Rule 2, without touching the read state. */
static void
restore (TtyTerminal *self)
{
  tcflush (self->fd, TCIFLUSH);
  tcsetattr (self->fd, TCSANOW, &self->saved);
  give_back_foreground (self);
}

static gboolean on_input (int fd, GIOCondition condition, gpointer user_data);

static void
watch (TtyTerminal *self)
{
  if (self->watch_id == 0)
    self->watch_id = g_unix_fd_add (self->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, self);
}

gboolean
tty_terminal_acquire (TtyTerminal *self, GError **error)
{
  if (self->acquired)
    return TRUE;

  take_foreground (self);
  if (!enter_raw_mode (self, error))
    {
      give_back_foreground (self);
      return FALSE;
    }
  self->acquired = TRUE;
  watch (self);
  return TRUE;
}

void
tty_terminal_set_interrupt_func (TtyTerminal *self, TtyInterruptFunc func, gpointer user_data)
{
  self->interrupt = func;
  self->interrupt_data = user_data;
}

void
tty_terminal_stop_reading (TtyTerminal *self)
{
  g_clear_handle_id (&self->cancel_id, g_source_remove);
  ward_secret_clear (self->line);
  self->func = NULL;
  self->func_data = NULL;
  self->esc = ESC_NONE;
}

void
tty_terminal_release (TtyTerminal *self)
{
  tty_terminal_stop_reading (self);
  g_clear_handle_id (&self->watch_id, g_source_remove);
  if (!self->acquired)
    return;
  restore (self);
  self->acquired = FALSE;
}

void
tty_terminal_print (TtyTerminal *self, const char *text)
{
  /* Rule 3. */
  g_autofree char *converted = self->charset != NULL ? ward_text_to_charset (text, self->charset)
                                                     : NULL;
  const char *shown = converted != NULL ? converted : text;

  write_all (self->fd, shown, strlen (shown));
}

void
tty_terminal_printf (TtyTerminal *self, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *text = g_strdup_vprintf (format, args);
  va_end (args);
  tty_terminal_print (self, text);
}

static void
erase_chars (TtyTerminal *self, gsize count)
{
  for (gsize i = 0; i < count; i++)
    write_all (self->fd, "\b \b", 3);
}

/* Ctrl-Z: the terminal is handed back as it was, the process group stops as it would have with
 * ISIG on, and after `fg` the prompt (if one is shown) comes back with echo still off. */
static void
suspend (TtyTerminal *self, gboolean at_prompt)
{
  write_all (self->fd, "\n", 1);
  restore (self);
  kill (0, SIGTSTP);

  /* Running again. The shell may have changed the settings meanwhile: save them anew. */
  take_foreground (self);
  g_autoptr (GError) error = NULL;
  if (!enter_raw_mode (self, &error))
    g_message ("%s", error->message);
  if (!at_prompt)
    return;
  tty_terminal_print (self, self->prompt);
  if (self->echo)
    write_all (self->fd, ward_secret_get (self->line), ward_secret_len (self->line));
}

static void
finish (TtyTerminal *self, TtyLineResult result)
{
  TtyLineFunc func = self->func;
  gpointer data = self->func_data;

  self->func = NULL;
  self->func_data = NULL;
  self->esc = ESC_NONE;
  g_clear_handle_id (&self->cancel_id, g_source_remove);

  if (result != TTY_LINE_HANGUP)
    write_all (self->fd, "\n", 1);
  if (func != NULL)
    func (self, result, self->line, data);
  /* The callback consumed the line or not; either way it does not stay. Unless a new read
   * started with the same buffer, which is then empty anyway. */
  if (self->func == NULL)
    ward_secret_clear (self->line);
}

/* Returns TRUE when the line ended (and finish() was called). */
static gboolean
handle_byte (TtyTerminal *self, unsigned char byte)
{
  switch (self->esc)
    {
    case ESC_SEEN:
      self->esc = (byte == '[' || byte == 'O') ? ESC_SEQUENCE : ESC_NONE;
      return FALSE;
    case ESC_SEQUENCE:
      if (byte >= 0x40 && byte <= 0x7e)
        self->esc = ESC_NONE;
      return FALSE;
    case ESC_NONE:
    default:
      break;
    }

  switch (byte)
    {
    case '\r':
    case '\n':
      finish (self, TTY_LINE_ENTER);
      return TRUE;
    case 0x03: /* Ctrl-C */
      finish (self, TTY_LINE_CANCEL);
      return TRUE;
    case 0x04: /* Ctrl-D */
      if (ward_secret_len (self->line) == 0)
        {
          finish (self, TTY_LINE_CANCEL);
          return TRUE;
        }
      return FALSE;
    case 0x08:
    case 0x7f: /* backspace: one UTF-8 character */
      if (ward_secret_pop_char (self->line) && self->echo)
        erase_chars (self, 1);
      return FALSE;
    case 0x15: /* Ctrl-U */
      if (self->echo)
        erase_chars (self, ward_secret_char_count (self->line));
      ward_secret_clear (self->line);
      return FALSE;
    case 0x17: /* Ctrl-W */
      {
        gsize before = ward_secret_char_count (self->line);
        ward_secret_pop_word (self->line);
        if (self->echo)
          erase_chars (self, before - ward_secret_char_count (self->line));
        return FALSE;
      }
    case 0x1a: /* Ctrl-Z */
      suspend (self, TRUE);
      return FALSE;
    case 0x1b:
      self->esc = ESC_SEEN;
      return FALSE;
    default:
      break;
    }

  if (byte < 0x20)
    return FALSE;

  char c = (char) byte;
  if (!ward_secret_append (self->line, &c, 1))
    write_all (self->fd, "\a", 1);
  else if (self->echo)
    write_all (self->fd, &c, 1);
  explicit_bzero (&c, sizeof c);
  return FALSE;
}

/* Rule 4: Ctrl-C typed while no line is read (the helper works, PAM waits after a wrong
 * password): the request is cancelled, through the line's callback if a prompt has appeared
 * since, else through the interrupt function. */
static void
cancel_now (TtyTerminal *self)
{
  if (self->func != NULL)
    finish (self, TTY_LINE_CANCEL);
  else if (self->interrupt != NULL)
    self->interrupt (self, TTY_LINE_CANCEL, self->interrupt_data);
}

/* Rule 4: a key typed while no line is read. Ctrl-C cancels (at once when @deliver, else once
 * the prompt being set up is shown), Ctrl-Z suspends; every other key is dropped: it was typed
 * before a prompt and is never the start of an answer. */
static void
handle_idle_byte (TtyTerminal *self, unsigned char byte, gboolean deliver, gboolean *cancel)
{
  switch (byte)
    {
    case 0x03: /* Ctrl-C */
      if (deliver)
        cancel_now (self);
      else
        *cancel = TRUE;
      break;
    case 0x1a: /* Ctrl-Z */
      suspend (self, FALSE);
      break;
    default:
      break;
    }
}

static gboolean
on_input (int fd, GIOCondition condition, gpointer user_data)
{
  TtyTerminal *self = user_data;
  guint watch_id = self->watch_id;
  unsigned char buffer[READ_CHUNK];
  gboolean line_ended = FALSE;
  ssize_t n;

  /* Rule 1: the buffer never outlives this function with contents. */
  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);

  if (n < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      explicit_bzero (buffer, sizeof buffer);
      self->watch_id = 0;
      if (self->func != NULL)
        finish (self, TTY_LINE_HANGUP);
      else if (self->interrupt != NULL)
        self->interrupt (self, TTY_LINE_HANGUP, self->interrupt_data);
      return G_SOURCE_REMOVE;
    }

  /* A callback may release the terminal (the watch goes) or start the next read. Keys after the
   * end of a line were typed before any later prompt appeared: they are handled as such. */
  for (ssize_t i = 0; i < n && self->watch_id == watch_id; i++)
    {
      if (self->func != NULL && !line_ended)
        line_ended = handle_byte (self, buffer[i]);
      else
        handle_idle_byte (self, buffer[i], TRUE, NULL);
    }
  explicit_bzero (buffer, sizeof buffer);

  return self->watch_id == watch_id ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
deliver_cancel_cb (gpointer user_data)
{
  TtyTerminal *self = user_data;

  self->cancel_id = 0;
  if (self->func != NULL)
    finish (self, TTY_LINE_CANCEL);
  return G_SOURCE_REMOVE;
}

/* Rule 4: what was typed before a prompt appears is read now, and dropped but for Ctrl-C and
 * Ctrl-Z (a flush would lose them). Returns whether Ctrl-C was among it. */
static gboolean
drain_typed_ahead (TtyTerminal *self)
{
  unsigned char buffer[READ_CHUNK];
  gboolean cancel = FALSE;

  for (;;)
    {
      struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
      ssize_t n;

      if (poll (&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
        break;
      n = read (self->fd, buffer, sizeof buffer);
      if (n <= 0)
        break; /* a hang-up: the watch reports it */
      for (ssize_t i = 0; i < n; i++)
        handle_idle_byte (self, buffer[i], FALSE, &cancel);
    }
  /* Rule 1. */
  explicit_bzero (buffer, sizeof buffer);
  return cancel;
}

void
tty_terminal_read_line (TtyTerminal *self, const char *prompt, gboolean echo, TtyLineFunc func,
                        gpointer user_data)
{
  g_return_if_fail (self->acquired);
  g_return_if_fail (self->func == NULL);

  /* As TCSAFLUSH does for the first prompt: keys typed before this prompt appeared (for an
   * attempt whose helper died, say) are not the start of this answer; but a Ctrl-C among them
   * still cancels, once the prompt is shown (rule 4). */
  gboolean cancel = drain_typed_ahead (self);

  g_free (self->prompt);
  self->prompt = g_strdup (prompt);
  self->echo = echo;
  self->esc = ESC_NONE;
  self->func = func;
  self->func_data = user_data;
  ward_secret_clear (self->line);

  tty_terminal_print (self, prompt);
  watch (self);
  if (cancel)
    self->cancel_id = g_idle_add (deliver_cancel_cb, self);
}
