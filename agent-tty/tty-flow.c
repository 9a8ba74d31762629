/* tty-flow.c: see tty-flow.h.
 *
 * Security rules (HACKING.md, invariants 1 and 3):
 *  1. The typed answer goes from the terminal's WardSecret straight to ward_session_respond(),
 *     which clears it.
 *  2. Everything shown that ward did not write (message, details, names, command line, PAM text)
 *     passes through ward_text_sanitize() first; WardRequest's *_display fields already did.
 *     Then through terminal_text(), for a terminal that does not use UTF-8 (tty-terminal rule 3).
 */
#include "config.h"

#include <unistd.h>

#include <glib/gi18n.h>

#include "tty-flow.h"
#include "ward-session.h"
#include "ward-text.h"

/* polkit's GTK agents retry three times; pkttyagent gives up after one. */
#define MAX_ATTEMPTS 3
/* Details shown under the message; more than this is noise (or an attack on the screen). */
#define MAX_DETAILS_SHOWN 8

#define COLOUR_BOLD "\033[1m"
#define COLOUR_RED "\033[1;31m"
#define COLOUR_GREEN "\033[1;32m"
#define COLOUR_RESET "\033[0m"

struct _TtyFlow {
  WardAgent *agent;
  TtyTerminal *terminal;
  GSourceFunc hangup;
  gpointer hangup_data;
  gulong begin_id;
  gulong cancel_id;

  GQueue queue;        /* handles waiting for the terminal */
  gpointer current;    /* handle being shown, or NULL */
  WardRequest *request; /* current's request (owned by the agent) */
  GArray *usable;      /* indices into request->identities with a user name */
  guint chosen;        /* index into request->identities */
  guint attempts;
  WardSession *session;
  guint next_id;       /* idle that starts the next request */
  guint wait_id;       /* polls for the foreground while a shell holds it */
  gboolean shut_down;
};

static void start_attempt (TtyFlow *self);
static void schedule_next (TtyFlow *self);

static const char *
style (TtyFlow *self, const char *code)
{
  return tty_terminal_get_colour (self->terminal) ? code : "";
}

/* Rule 2: sanitised untrusted text as this terminal can show it, every character its charset
 * lacks escaped (never transliterated into something it is not). NULL stays NULL. */
static char *
terminal_text (TtyFlow *self, const char *sanitised)
{
  if (sanitised == NULL)
    return NULL;
  return ward_text_restrict_charset (sanitised, tty_terminal_get_charset (self->terminal));
}

static gboolean
unref_later_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
drop_session (TtyFlow *self)
{
  if (self->session == NULL)
    return;

  WardSession *session = g_steal_pointer (&self->session);
  g_signal_handlers_disconnect_by_data (session, self);
  ward_session_cancel (session);
  /* We may be inside one of its signal emissions: let it finish before the last unref. */
  g_idle_add (unref_later_cb, session);
}

/* Ends the current request: session stopped, terminal restored (tty-terminal rule 2), polkitd
 * answered, next request scheduled. */
static void
end_request (TtyFlow *self, WardAgentOutcome outcome, const char *message)
{
  drop_session (self);
  g_clear_handle_id (&self->wait_id, g_source_remove);
  tty_terminal_release (self->terminal);

  gpointer handle = g_steal_pointer (&self->current);
  self->request = NULL;
  g_clear_pointer (&self->usable, g_array_unref);
  if (handle != NULL)
    ward_agent_complete (self->agent, handle, outcome, message);

  schedule_next (self);
}

static void
print_result (TtyFlow *self, const char *colour, const char *text)
{
  tty_terminal_printf (self->terminal, "%s%s%s\n", style (self, colour), text,
                       style (self, COLOUR_RESET));
}

static void
hang_up (TtyFlow *self)
{
  tty_flow_shutdown (self);
  if (self->hangup != NULL)
    {
      GSourceFunc hangup = self->hangup;
      self->hangup = NULL;
      hangup (self->hangup_data);
    }
}

static void
cancel_by_user (TtyFlow *self)
{
  print_result (self, COLOUR_RED, _("=== Authentication cancelled ==="));
  end_request (self, WARD_AGENT_CANCELLED, "Cancelled by the user");
}

/* Ctrl-C while no prompt is shown (PAM's "place your finger", its delay after a wrong password,
 * a stalled helper) cancels as it does at a prompt; a hang-up ends everything (tty-terminal
 * rule 4). */
static void
on_interrupt (TtyTerminal *terminal, TtyLineResult result, gpointer user_data)
{
  TtyFlow *self = user_data;

  if (result == TTY_LINE_HANGUP)
    hang_up (self);
  else if (self->current != NULL)
    cancel_by_user (self);
}

/* ---- the helper conversation ---- */

static void
on_answer (TtyTerminal *terminal, TtyLineResult result, WardSecret *line, gpointer user_data)
{
  TtyFlow *self = user_data;

  switch (result)
    {
    case TTY_LINE_ENTER:
      if (self->session != NULL)
        ward_session_respond (self->session, line); /* rule 1: clears @line */
      break;
    case TTY_LINE_CANCEL:
      cancel_by_user (self);
      break;
    case TTY_LINE_HANGUP:
    default:
      hang_up (self);
      break;
    }
}

static void
on_session_request (WardSession *session, const char *prompt, gboolean echo_on,
                    gpointer user_data)
{
  TtyFlow *self = user_data;
  g_autofree char *clean = ward_text_sanitize (prompt, -1, WARD_TEXT_MAX_NAME,
                                               WARD_TEXT_SINGLE_LINE);
  g_autofree char *prompt_shown = NULL;

  /* PAM prompts usually end in ": "; make sure the cursor does not touch the text. */
  if (ward_session_prompt_is_default (clean))
    prompt_shown = g_strdup (_("Password: "));
  else if (g_str_has_suffix (clean, " "))
    prompt_shown = terminal_text (self, clean);
  else
    {
      g_autofree char *spaced = g_strconcat (clean, " ", NULL);
      prompt_shown = terminal_text (self, spaced);
    }

  tty_terminal_read_line (self->terminal, prompt_shown, echo_on, on_answer, self);
}

static void
on_session_text (WardSession *session, const char *text, gpointer user_data, gboolean error)
{
  TtyFlow *self = user_data;
  g_autofree char *clean = ward_text_sanitize (text, -1, WARD_TEXT_MAX_MESSAGE,
                                               WARD_TEXT_MULTILINE);
  g_autofree char *text_shown = terminal_text (self, clean);

  print_result (self, error ? COLOUR_RED : "", text_shown);
}

static void
on_session_info (WardSession *session, const char *text, gpointer user_data)
{
  on_session_text (session, text, user_data, FALSE);
}

static void
on_session_error (WardSession *session, const char *text, gpointer user_data)
{
  on_session_text (session, text, user_data, TRUE);
}

static void
on_session_completed (WardSession *session, gboolean gained, gpointer user_data)
{
  TtyFlow *self = user_data;
  gboolean no_helper = g_strcmp0 (ward_session_get_helper_kind (session), "none") == 0;

  drop_session (self);
  tty_terminal_stop_reading (self->terminal);

  if (gained)
    {
      print_result (self, COLOUR_GREEN, _("=== Authentication succeeded ==="));
      end_request (self, WARD_AGENT_DONE, NULL);
      return;
    }

  /* Nothing to retry with: say why once instead of "try again" with no password asked. */
  if (no_helper)
    {
      print_result (self, COLOUR_RED,
                    _("=== Authentication is not possible: no authentication helper could be "
                      "started (is ward-helper.socket running, or polkit-agent-helper-1 "
                      "installed?) ==="));
      end_request (self, WARD_AGENT_DONE, NULL);
      return;
    }

  self->attempts++;
  if (self->attempts < MAX_ATTEMPTS)
    {
      /* The next attempt's helper starts first, while the user reads the line below; its
       * questions come from the main loop, after the line. */
      start_attempt (self);
      print_result (self, COLOUR_RED, _("Sorry, that did not work. Please try again."));
      return;
    }

  print_result (self, COLOUR_RED, _("=== Authentication failed ==="));
  /* polkitd knows from the helper that nothing was gained; the call itself went fine. */
  end_request (self, WARD_AGENT_DONE, NULL);
}

static void
start_attempt (TtyFlow *self)
{
  WardIdentity *identity = g_ptr_array_index (self->request->identities, self->chosen);

  self->session = ward_session_new (identity->name, self->request->cookie);
  g_signal_connect (self->session, "request", G_CALLBACK (on_session_request), self);
  g_signal_connect (self->session, "show-info", G_CALLBACK (on_session_info), self);
  g_signal_connect (self->session, "show-error", G_CALLBACK (on_session_error), self);
  g_signal_connect (self->session, "completed", G_CALLBACK (on_session_completed), self);
  ward_session_initiate (self->session);
}

/* ---- identity choice ---- */

static char *
identity_label (TtyFlow *self, WardIdentity *identity)
{
  if (identity->gecos_display != NULL && *identity->gecos_display != '\0' &&
      g_strcmp0 (identity->gecos_display, identity->name_display) != 0)
    {
      g_autofree char *label = g_strdup_printf ("%s (%s)", identity->gecos_display,
                                                identity->name_display);
      return terminal_text (self, label);
    }
  return terminal_text (self, identity->name_display);
}

/* Starts the helper for identity @index. Its questions are handled from the main loop, so
 * whatever the caller prints next still comes before them. */
static void
choose_identity (TtyFlow *self, guint index)
{
  self->chosen = index;
  self->attempts = 0;
  start_attempt (self);
}

static void
announce_identity (TtyFlow *self)
{
  WardIdentity *identity = g_ptr_array_index (self->request->identities, self->chosen);
  g_autofree char *label = identity_label (self, identity);

  tty_terminal_printf (self->terminal, _("Authenticating as: %s\n"), label);
}

static guint
default_choice (TtyFlow *self)
{
  guint preferred = ward_request_default_identity (self->request, (guint32) getuid ());

  for (guint i = 0; i < self->usable->len; i++)
    if (g_array_index (self->usable, guint, i) == preferred)
      return i;
  return 0;
}

static void ask_identity (TtyFlow *self);

static void
on_identity_answer (TtyTerminal *terminal, TtyLineResult result, WardSecret *line,
                    gpointer user_data)
{
  TtyFlow *self = user_data;

  if (result == TTY_LINE_CANCEL)
    {
      cancel_by_user (self);
      return;
    }
  if (result != TTY_LINE_ENTER)
    {
      hang_up (self);
      return;
    }

  g_autofree char *answer = g_strstrip (g_strdup (ward_secret_get (line)));
  guint32 number = 0;
  if (*answer == '\0')
    number = default_choice (self) + 1;
  else if (!ward_parse_uint32 (answer, &number))
    number = 0;

  if (number < 1 || number > self->usable->len)
    {
      tty_terminal_printf (self->terminal, _("Please type a number from 1 to %u.\n"),
                           self->usable->len);
      ask_identity (self);
      return;
    }
  choose_identity (self, g_array_index (self->usable, guint, number - 1));
  announce_identity (self);
}

static void
ask_identity (TtyFlow *self)
{
  g_autofree char *prompt = g_strdup_printf (_("Authenticate as which user? [%u]: "),
                                             default_choice (self) + 1);
  tty_terminal_read_line (self->terminal, prompt, TRUE, on_identity_answer, self);
}

static void
list_identities (TtyFlow *self)
{
  guint def = default_choice (self);

  tty_terminal_print (self->terminal, _("Several users may authorize this:\n"));
  for (guint i = 0; i < self->usable->len; i++)
    {
      WardIdentity *identity =
        g_ptr_array_index (self->request->identities, g_array_index (self->usable, guint, i));
      g_autofree char *label = identity_label (self, identity);
      tty_terminal_printf (self->terminal, "  %u. %s%s\n", i + 1, label,
                           i == def ? _(" (default)") : "");
    }
  ask_identity (self);
}

/* ---- the header ---- */

static gboolean
is_internal_detail (const char *key)
{
  return g_str_has_prefix (key, "polkit.");
}

static void
print_header (TtyFlow *self)
{
  WardRequest *request = self->request;
  g_autofree char *clean_action = ward_text_sanitize (request->action_id, -1, WARD_TEXT_MAX_NAME,
                                                      WARD_TEXT_SINGLE_LINE);
  g_autofree char *action = terminal_text (self, clean_action);
  g_autofree char *message = terminal_text (self, request->message_display);

  tty_terminal_printf (self->terminal, "%s%s%s\n", style (self, COLOUR_BOLD),
                       _("=== Authentication required ==="), style (self, COLOUR_RESET));
  /* Rule 2: one line, its line breaks visible; no untrusted text can begin a line of its own
   * here, so it cannot pose as the "Action:" or "Requested by:" lines that follow. */
  tty_terminal_printf (self->terminal, "%s\n", message);
  tty_terminal_printf (self->terminal, _("  Action:       %s\n"), action);

  if (request->details != NULL)
    {
      g_autoptr (GList) keys = g_hash_table_get_keys (request->details);
      keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
      guint shown = 0;
      for (GList *l = keys; l != NULL && shown < MAX_DETAILS_SHOWN; l = l->next)
        {
          const char *key = l->data;
          if (is_internal_detail (key))
            continue;
          g_autofree char *clean_key = ward_text_sanitize (key, -1, 32, WARD_TEXT_SINGLE_LINE);
          g_autofree char *clean_value =
            ward_text_sanitize (g_hash_table_lookup (request->details, key), -1, 200,
                                WARD_TEXT_SHOW_BREAKS);
          g_autofree char *key_shown = terminal_text (self, clean_key);
          g_autofree char *value_shown = terminal_text (self, clean_value);
          tty_terminal_printf (self->terminal, "  %s: %s\n", key_shown, value_shown);
          shown++;
        }
    }

  WardRequester *requester = request->requester;
  if (requester != NULL && requester->pid != 0)
    {
      g_autofree char *cmdline_shown = terminal_text (self, requester->cmdline_display);
      g_autofree char *user_shown = terminal_text (self, requester->user_display);
      const char *cmdline = cmdline_shown != NULL ? cmdline_shown : _("(unknown program)");
      const char *user = user_shown != NULL ? user_shown : _("unknown user");
      tty_terminal_printf (self->terminal, _("  Requested by: %s\n"), cmdline);
      tty_terminal_printf (self->terminal,
                           _("                (pid %u, user %s; as reported by the process)\n"),
                           requester->pid, user);
    }
}

/* ---- the queue ---- */

static void
show_request (TtyFlow *self)
{
  g_autoptr (GError) error = NULL;

  if (!tty_terminal_acquire (self->terminal, &error))
    {
      g_message ("%s", error->message);
      end_request (self, WARD_AGENT_FAILED, "Cannot use the terminal");
      return;
    }

  /* With one identity there is nothing to ask first: start the helper now, since it takes a few
   * milliseconds (exec, PAM) before it asks, and print the header meanwhile. */
  if (self->usable->len == 1)
    choose_identity (self, g_array_index (self->usable, guint, 0));

  tty_terminal_print (self->terminal, "\n");
  print_header (self);

  if (self->usable->len == 0)
    {
      print_result (self, COLOUR_RED, _("No user who may authorize this exists on this system."));
      end_request (self, WARD_AGENT_FAILED, "No usable identity");
      return;
    }
  if (self->usable->len == 1)
    {
      announce_identity (self);
      return;
    }
  list_identities (self);
}

static gboolean
wait_foreground_cb (gpointer user_data)
{
  TtyFlow *self = user_data;

  if (tty_terminal_should_wait_for_foreground (self->terminal))
    return G_SOURCE_CONTINUE;
  self->wait_id = 0;
  show_request (self);
  return G_SOURCE_REMOVE;
}

static void
start_request (TtyFlow *self, gpointer handle)
{
  self->current = handle;
  self->request = ward_agent_get_request (self->agent, handle);
  self->usable = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->request->identities->len; i++)
    {
      WardIdentity *identity = g_ptr_array_index (self->request->identities, i);
      if (identity->name != NULL)
        g_array_append_val (self->usable, i);
    }

  if (tty_terminal_should_wait_for_foreground (self->terminal))
    {
      /* The shell is at its prompt: taking the terminal would hand it the password or make it
       * exit. Ask for `fg` and wait (polkitd may still cancel meanwhile). */
      tty_terminal_print (self->terminal,
                          _("\nward-tty: an authentication request is waiting; "
                            "type \"fg\" to answer it.\n"));
      self->wait_id = g_timeout_add (200, wait_foreground_cb, self);
      return;
    }
  show_request (self);
}

static gboolean
next_cb (gpointer user_data)
{
  TtyFlow *self = user_data;

  self->next_id = 0;
  if (self->current != NULL || self->shut_down)
    return G_SOURCE_REMOVE;
  gpointer handle = g_queue_pop_head (&self->queue);
  if (handle != NULL)
    start_request (self, handle);
  return G_SOURCE_REMOVE;
}

static void
schedule_next (TtyFlow *self)
{
  if (self->next_id == 0 && !self->shut_down && !g_queue_is_empty (&self->queue))
    self->next_id = g_idle_add (next_cb, self);
}

static void
on_begin (WardAgent *agent, WardRequest *request, gpointer handle, gpointer user_data)
{
  TtyFlow *self = user_data;

  if (self->shut_down)
    {
      ward_agent_complete (agent, handle, WARD_AGENT_CANCELLED, "The agent is exiting");
      return;
    }
  g_queue_push_tail (&self->queue, handle);
  if (self->current == NULL)
    schedule_next (self);
}

static void
on_cancel (WardAgent *agent, gpointer handle, gpointer user_data)
{
  TtyFlow *self = user_data;

  if (handle == self->current)
    {
      tty_terminal_stop_reading (self->terminal);
      print_result (self, COLOUR_RED,
                    _("=== Authentication cancelled by the system (the request was withdrawn "
                      "or timed out) ==="));
      end_request (self, WARD_AGENT_CANCELLED, "Cancelled by polkitd");
      return;
    }
  if (g_queue_remove (&self->queue, handle))
    ward_agent_complete (agent, handle, WARD_AGENT_CANCELLED, "Cancelled by polkitd");
}

TtyFlow *
tty_flow_new (WardAgent *agent, TtyTerminal *terminal, GSourceFunc hangup, gpointer hangup_data)
{
  TtyFlow *self = g_new0 (TtyFlow, 1);

  self->agent = g_object_ref (agent);
  self->terminal = terminal;
  self->hangup = hangup;
  self->hangup_data = hangup_data;
  g_queue_init (&self->queue);
  tty_terminal_set_interrupt_func (terminal, on_interrupt, self);
  self->begin_id = g_signal_connect (agent, "begin", G_CALLBACK (on_begin), self);
  self->cancel_id = g_signal_connect (agent, "cancel", G_CALLBACK (on_cancel), self);
  return self;
}

void
tty_flow_shutdown (TtyFlow *self)
{
  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  g_clear_handle_id (&self->next_id, g_source_remove);
  g_clear_handle_id (&self->wait_id, g_source_remove);

  if (self->current != NULL)
    {
      tty_terminal_stop_reading (self->terminal);
      tty_terminal_print (self->terminal, "\n");
      print_result (self, COLOUR_RED, _("=== Authentication cancelled ==="));
    }
  drop_session (self);
  tty_terminal_release (self->terminal);

  gpointer handle;
  if (self->current != NULL)
    end_request (self, WARD_AGENT_CANCELLED, "The agent is exiting");
  while ((handle = g_queue_pop_head (&self->queue)) != NULL)
    ward_agent_complete (self->agent, handle, WARD_AGENT_CANCELLED, "The agent is exiting");
}

void
tty_flow_free (TtyFlow *self)
{
  if (self == NULL)
    return;
  tty_flow_shutdown (self);
  tty_terminal_set_interrupt_func (self->terminal, NULL, NULL);
  g_clear_signal_handler (&self->begin_id, self->agent);
  g_clear_signal_handler (&self->cancel_id, self->agent);
  g_object_unref (self->agent);
  g_free (self);
}
