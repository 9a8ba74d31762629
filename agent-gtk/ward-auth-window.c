/* ward-auth-window.c: the authentication dialog's window.
 *
 * Security rules (HACKING.md):
 *  1. Every string shown here came from polkitd, the requesting process or PAM and is
 *     untrusted: it goes through ward_text_sanitize() and into labels that never parse markup.
 *  2. The password stays in GtkPasswordEntry's secure buffer until the moment it is copied into
 *     a WardSecret and written to the helper; the entry is cleared right after the copy.
 *  3. The icon name is looked up only when it is a plain name (ward_gtk_sanitize_icon_name).
 *  4. Accessible names, descriptions and announcements are made of the same sanitised texts the
 *     labels show, never of anything else that came from outside.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ward-auth-window.h"
#include "ward-gtk-ipc.h"
#include "ward-secret.h"
#include "ward-session.h"
#include "ward-text.h"

#define MAX_PROMPT_CHARS 80
#define MAX_VENDOR_CHARS 256

struct _WardAuthWindow
{
  GtkWindow parent_instance;

  WardRequest *request;
  guint32 invoking_uid;
  char *dump_path;

  WardSession *session;
  guint attempts;
  gboolean awaiting_response; /* the helper asked and the user has not answered yet */
  gboolean echo_on;
  gboolean finished;

  GCancellable *cancellable;
  char *pending_announcement; /* said once the window is active (announce ()) */
  gboolean pending_urgent;

  GtkWidget *icon;
  GtkWidget *heading;
  GtkWidget *message;
  GtkWidget *requester;
  GtkWidget *requester_detail;
  GtkWidget *identity_label;
  GtkWidget *identity_dropdown;
  GtkWidget *identity_single;
  GtkWidget *prompt_label;
  GtkWidget *password_entry;
  GtkWidget *plain_entry;
  GtkWidget *info;
  GtkWidget *error;
  GtkWidget *action_value;
  GtkWidget *vendor_value;
  GtkWidget *vendor_url_value;
  GtkWidget *spinner;
  GtkWidget *expander;
  GtkWidget *cancel_button;
  GtkWidget *ok_button;
};

G_DEFINE_FINAL_TYPE (WardAuthWindow, ward_auth_window, GTK_TYPE_WINDOW)

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void start_session (WardAuthWindow *self);

static const char *
label_text (GtkWidget *label)
{
  return gtk_widget_get_visible (label) ? gtk_label_get_text (GTK_LABEL (label)) : "";
}

/* For the test dump: the texts of the shown labels that are drawn cut short (ellipsized), one
 * a line. */
static void
collect_ellipsized (GtkWidget *widget, GString *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget) &&
      pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    g_string_append_printf (out, "%s%s", out->len > 0 ? "\n" : "",
                            gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_ellipsized (child, out);
}

/* Test hook: writes what the labels show, as GVariant text, so a test can check that hostile
 * text is displayed literally. Never the password: it is not in any label. */
static void
dump_state (WardAuthWindow *self)
{
  if (self->dump_path == NULL)
    return;

  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&builder, "{ss}", "title", gtk_window_get_title (GTK_WINDOW (self)));
  g_variant_builder_add (&builder, "{ss}", "heading", label_text (self->heading));
  g_variant_builder_add (&builder, "{ss}", "message", label_text (self->message));
  g_variant_builder_add (&builder, "{ss}", "message-use-markup",
                         gtk_label_get_use_markup (GTK_LABEL (self->message)) ? "true" : "false");
  g_variant_builder_add (&builder, "{ss}", "requester", label_text (self->requester));
  g_variant_builder_add (&builder, "{ss}", "requester-detail", label_text (self->requester_detail));
  g_variant_builder_add (&builder, "{ss}", "prompt", label_text (self->prompt_label));
  g_variant_builder_add (&builder, "{ss}", "info", label_text (self->info));
  g_variant_builder_add (&builder, "{ss}", "error", label_text (self->error));
  g_variant_builder_add (&builder, "{ss}", "action", label_text (self->action_value));
  g_variant_builder_add (&builder, "{ss}", "vendor", label_text (self->vendor_value));
  g_variant_builder_add (&builder, "{ss}", "vendor-url", label_text (self->vendor_url_value));
  g_variant_builder_add (&builder, "{ss}", "icon",
                         gtk_image_get_icon_name (GTK_IMAGE (self->icon)) ?: "");
  g_autofree char *attempts = g_strdup_printf ("%u", self->attempts);
  g_variant_builder_add (&builder, "{ss}", "attempts", attempts);
  gboolean expanded = gtk_expander_get_expanded (GTK_EXPANDER (self->expander));
  g_variant_builder_add (&builder, "{ss}", "details-expanded", expanded ? "true" : "false");
  g_variant_builder_add (&builder, "{ss}", "awaiting-response",
                         self->awaiting_response ? "true" : "false");
  g_variant_builder_add (&builder, "{ss}", "echo", self->echo_on ? "true" : "false");
  gboolean dark = FALSE;
  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  g_variant_builder_add (&builder, "{ss}", "prefer-dark", dark ? "true" : "false");
  /* How many characters the entry holds, never what they are. */
  GtkWidget *entry = self->echo_on ? self->plain_entry : self->password_entry;
  g_autofree char *chars = g_strdup_printf (
    "%ld", g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (entry)), -1));
  g_variant_builder_add (&builder, "{ss}", "entry-chars", chars);
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));
  gboolean focus_in_entry = focus != NULL &&
                            (focus == entry || gtk_widget_is_ancestor (focus, entry));
  g_variant_builder_add (&builder, "{ss}", "focus-in-entry", focus_in_entry ? "true" : "false");
  g_variant_builder_add (&builder, "{ss}", "focus-type",
                         focus != NULL ? G_OBJECT_TYPE_NAME (focus) : "");
  /* Which windowing system the dialog talks to (GdkWaylandDisplay, GdkX11Display), and whether
   * the compositor or window manager made the mapped window the active one. */
  g_variant_builder_add (&builder, "{ss}", "display-type",
                         G_OBJECT_TYPE_NAME (gtk_widget_get_display (GTK_WIDGET (self))));
  g_variant_builder_add (&builder, "{ss}", "mapped",
                         gtk_widget_get_mapped (GTK_WIDGET (self)) ? "true" : "false");
  g_variant_builder_add (&builder, "{ss}", "active",
                         gtk_window_is_active (GTK_WINDOW (self)) ? "true" : "false");
  /* Whether everything fits: the labels drawn cut short, the window's size against its
   * monitor's, and the theme and font resolution in force. */
  GString *ellipsized = g_string_new (NULL);
  collect_ellipsized (GTK_WIDGET (self), ellipsized);
  g_variant_builder_add (&builder, "{ss}", "ellipsized", ellipsized->str);
  g_string_free (ellipsized, TRUE);
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (self));
  GdkMonitor *monitor = surface != NULL ?
    gdk_display_get_monitor_at_surface (gtk_widget_get_display (GTK_WIDGET (self)), surface) :
    NULL;
  g_autofree char *size = g_strdup_printf ("%dx%d", gtk_widget_get_width (GTK_WIDGET (self)),
                                           gtk_widget_get_height (GTK_WIDGET (self)));
  g_variant_builder_add (&builder, "{ss}", "size", size);
  g_autofree char *monitor_size = NULL;
  if (monitor != NULL)
    {
      GdkRectangle geometry;
      gdk_monitor_get_geometry (monitor, &geometry);
      monitor_size = g_strdup_printf ("%dx%d", geometry.width, geometry.height);
    }
  g_variant_builder_add (&builder, "{ss}", "monitor-size", monitor_size ? monitor_size : "");
  g_autofree char *theme = NULL;
  int dpi = 0;
  g_object_get (gtk_settings_get_default (), "gtk-theme-name", &theme, "gtk-xft-dpi", &dpi,
                NULL);
  g_variant_builder_add (&builder, "{ss}", "theme", theme ? theme : "");
  g_autofree char *dpi_text = g_strdup_printf ("%d", dpi);
  g_variant_builder_add (&builder, "{ss}", "xft-dpi", dpi_text);

  GString *identities = g_string_new (NULL);
  GListModel *model = gtk_drop_down_get_model (GTK_DROP_DOWN (self->identity_dropdown));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      const char *item = gtk_string_list_get_string (GTK_STRING_LIST (model), i);
      g_string_append_printf (identities, "%s%s", i > 0 ? "\n" : "", item);
    }
  g_variant_builder_add (&builder, "{ss}", "identities", identities->str);
  g_variant_builder_add (&builder, "{ss}", "identity-single",
                         gtk_widget_get_visible (self->identity_single) ? "true" : "false");
  g_string_free (identities, TRUE);
  g_autofree char *selected = g_strdup_printf (
    "%u", gtk_drop_down_get_selected (GTK_DROP_DOWN (self->identity_dropdown)));
  g_variant_builder_add (&builder, "{ss}", "identity-selected", selected);

  g_autoptr(GVariant) state = g_variant_ref_sink (g_variant_builder_end (&builder));
  g_autofree char *text = g_variant_print (state, FALSE);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents_full (self->dump_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    g_message ("cannot write the dialog state: %s", error->message);
}

static void
on_active_changed (WardAuthWindow *self)
{
  /* Tests learn from the dump when the window became active; not once it is being torn down. */
  if (!self->finished)
    dump_state (self);
}

static void
set_label (GtkWidget *label, const char *untrusted, gsize max_chars, WardTextFlags flags)
{
  g_autofree char *safe = ward_text_sanitize (untrusted, -1, max_chars, flags);

  g_strchomp (safe);
  gtk_label_set_text (GTK_LABEL (label), safe);
  gtk_widget_set_visible (label, safe[0] != '\0');
}

/* Rule 4. A control's accessible name is set as a plain label property, with no labelled-by
 * relation: GTK 4.8 names a widget after its label property *and* the labels it is labelled by,
 * glued together ("_Cancel Cancel" for a button with a mnemonic), and an unnamed one after its
 * type ("GtkExpander"); GTK 4.18 follows ARIA. Both then say what a person should hear. */
static void
set_accessible_name (GtkWidget *widget, const char *name)
{
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

/* A control named after the text of its label widget (without the mnemonic marker). */
static void
name_after_label (GtkWidget *widget, GtkWidget *label)
{
  if (GTK_IS_LABEL (label))
    set_accessible_name (widget, gtk_label_get_text (GTK_LABEL (label)));
}

/* GTK 4.8 leaves the password entry's reveal icon unnamed (its tooltip, "Show Text" or "Hide
 * Text" in GTK's own translation, becomes the description): name it after the tooltip. */
static void
name_after_tooltip (GtkWidget *widget)
{
  const char *tooltip = gtk_widget_get_tooltip_text (widget);

  if (tooltip != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    tooltip, -1);
}

static void
on_tooltip_changed (GtkWidget *widget, GParamSpec *pspec, gpointer data)
{
  name_after_tooltip (widget);
}

/* GTK 4.8's drop-down gives the focus to an inner toggle button it leaves unnamed
 * ("GtkToggleButton"): name it as the drop-down is named. Both describe the choice shown. */
static void
name_identity_chooser (WardAuthWindow *self)
{
  GtkDropDown *dropdown = GTK_DROP_DOWN (self->identity_dropdown);
  GListModel *model = gtk_drop_down_get_model (dropdown);
  guint index = gtk_drop_down_get_selected (dropdown);
  const char *chosen = "";

  if (model != NULL && index < g_list_model_get_n_items (model))
    chosen = gtk_string_list_get_string (GTK_STRING_LIST (model), index);
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  chosen, -1);
  for (GtkWidget *child = gtk_widget_get_first_child (self->identity_dropdown); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_BUTTON (child))
      {
        name_after_label (child, self->identity_label);
        gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, chosen, -1);
      }
}

/* The entries' description is the PAM and retry messages shown under them, so that a screen
 * reader says them with the field whenever the focus comes (back) to it. */
static void
describe_entries (WardAuthWindow *self)
{
  g_autofree char *text = g_strjoin ("\n", label_text (self->info), label_text (self->error),
                                     NULL);

  g_strstrip (text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->password_entry),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->plain_entry),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
announce_now (WardAuthWindow *self, const char *text, gboolean urgent)
{
#if GTK_CHECK_VERSION (4, 14, 0)
  /* Built against the GTK it runs with; GDK_VERSION_MAX_ALLOWED keeps 4.8 the API floor. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_accessible_announce (GTK_ACCESSIBLE (self), text,
                           urgent ? GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_HIGH
                                  : GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
  G_GNUC_END_IGNORE_DEPRECATIONS
#endif
}

/* A message that appears while the focus is in the entry (or nowhere, while a fingerprint
 * reader waits) is spoken, not only painted:
 *  - GTK 4.14 and later announce it (AT-SPI's Announcement), once the window is active: a
 *    screen reader does not speak for a window that has not come up yet;
 *  - with every GTK, the label is an alert, and the entries are described by the messages, so
 *    the next focus on the field says them (GTK 4.8 has nothing else to offer).
 * The label is hidden and shown again so that a repeated message appears again. */
static void
announce (WardAuthWindow *self, GtkWidget *label, gboolean urgent)
{
  const char *text = gtk_label_get_text (GTK_LABEL (label));

  gtk_widget_set_visible (label, FALSE);
  gtk_widget_set_visible (label, text[0] != '\0');
  describe_entries (self);
  if (text[0] == '\0')
    return;
  if (!gtk_window_is_active (GTK_WINDOW (self)))
    {
      g_free (self->pending_announcement);
      self->pending_announcement = g_strdup (text);
      self->pending_urgent = urgent;
      return;
    }
  announce_now (self, text, urgent);
}

static void
on_is_active (WardAuthWindow *self)
{
  if (!self->finished && gtk_window_is_active (GTK_WINDOW (self)) &&
      self->pending_announcement != NULL)
    {
      g_autofree char *text = g_steal_pointer (&self->pending_announcement);
      announce_now (self, text, self->pending_urgent);
    }
  on_active_changed (self);
}

static void
finish (WardAuthWindow *self, WardGtkIpcOutcome outcome)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  self->awaiting_response = FALSE;
  dump_state (self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, (int) outcome);
}

static void
stop_session (WardAuthWindow *self)
{
  if (self->session == NULL)
    return;

  /* Detach first: the cancelled conversation's "completed" must not count as an attempt. */
  WardSession *session = g_steal_pointer (&self->session);
  g_signal_handlers_disconnect_by_data (session, self);
  ward_session_cancel (session);
  g_object_unref (session);
  self->awaiting_response = FALSE;
}

/* Empties an entry. GTK 4.8's password buffer only moves the terminating NUL when text is
 * deleted, so the old bytes would stay in its (secure) memory: overwrite them in place with as
 * many filler bytes first. */
static void
wipe_entry (GtkWidget *entry)
{
  gsize len = strlen (gtk_editable_get_text (GTK_EDITABLE (entry)));

  if (len > 0)
    {
      g_autofree char *filler = g_strnfill (len, ' ');
      gtk_editable_set_text (GTK_EDITABLE (entry), filler);
    }
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static GtkWidget *
active_entry (WardAuthWindow *self)
{
  return self->echo_on ? self->plain_entry : self->password_entry;
}

static void
set_input_sensitive (WardAuthWindow *self, gboolean sensitive)
{
  /* Move the focus off an entry before it turns insensitive, or GtkText misses its focus-out. */
  if (!sensitive)
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_set_sensitive (self->password_entry, sensitive);
  gtk_widget_set_sensitive (self->plain_entry, sensitive);
  gtk_widget_set_sensitive (self->ok_button, sensitive);
  gtk_widget_set_visible (self->spinner, !sensitive && !self->finished);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), !sensitive && !self->finished);
}

static void
on_session_request (WardSession *session, const char *prompt, gboolean echo_on, gpointer data)
{
  WardAuthWindow *self = data;
  g_autofree char *safe = ward_text_sanitize (prompt, -1, MAX_PROMPT_CHARS, WARD_TEXT_SINGLE_LINE);

  g_strstrip (safe);
  if (ward_session_prompt_is_default (safe))
    {
      g_free (safe);
      safe = g_strdup (_("Password:"));
    }

  /* A mnemonic on the prompt's first letter; underscores in PAM's text are doubled so that
   * they show as themselves. */
  g_auto(GStrv) parts = g_strsplit (safe, "_", -1);
  g_autofree char *escaped = g_strjoinv ("__", parts);
  g_autofree char *with_mnemonic = g_strconcat ("_", escaped, NULL);

  self->echo_on = echo_on;
  gtk_widget_set_visible (self->password_entry, !echo_on);
  gtk_widget_set_visible (self->plain_entry, echo_on);
  gtk_label_set_text_with_mnemonic (GTK_LABEL (self->prompt_label), with_mnemonic);
  gtk_label_set_mnemonic_widget (GTK_LABEL (self->prompt_label), active_entry (self));
  gtk_accessible_update_relation (GTK_ACCESSIBLE (active_entry (self)),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->prompt_label, NULL,
                                  -1);
  gtk_widget_set_visible (self->prompt_label, TRUE);

  self->awaiting_response = TRUE;
  set_input_sensitive (self, TRUE);
  gtk_widget_grab_focus (active_entry (self));
  dump_state (self);
}

static void
on_session_show_info (WardSession *session, const char *text, gpointer data)
{
  WardAuthWindow *self = data;

  set_label (self->info, text, WARD_TEXT_MAX_MESSAGE, WARD_TEXT_MULTILINE);
  announce (self, self->info, FALSE);
  dump_state (self);
}

static void
on_session_show_error (WardSession *session, const char *text, gpointer data)
{
  WardAuthWindow *self = data;

  set_label (self->error, text, WARD_TEXT_MAX_MESSAGE, WARD_TEXT_MULTILINE);
  announce (self, self->error, TRUE);
  dump_state (self);
}

static void
on_session_completed (WardSession *session, gboolean gained_authorization, gpointer data)
{
  WardAuthWindow *self = data;

  g_signal_handlers_disconnect_by_data (session, self);
  g_clear_object (&self->session);
  self->awaiting_response = FALSE;

  if (gained_authorization)
    {
      finish (self, WARD_GTK_IPC_OUTCOME_DONE);
      return;
    }

  self->attempts++;
  if (self->attempts >= WARD_AUTH_WINDOW_MAX_ATTEMPTS)
    {
      /* polkitd learns from the helper that nothing was granted. */
      finish (self, WARD_GTK_IPC_OUTCOME_DONE);
      return;
    }

  gtk_label_set_text (GTK_LABEL (self->error),
                      _("Sorry, that did not work. Please try again."));
  gtk_widget_set_visible (self->info, FALSE);
  announce (self, self->error, TRUE);
  start_session (self);
}

static const WardIdentity *
selected_identity (WardAuthWindow *self)
{
  guint index = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->identity_dropdown));

  if (index >= self->request->identities->len)
    index = 0;
  return g_ptr_array_index (self->request->identities, index);
}

static void
start_session (WardAuthWindow *self)
{
  const WardIdentity *identity = selected_identity (self);

  stop_session (self);
  wipe_entry (self->password_entry);
  wipe_entry (self->plain_entry);
  set_input_sensitive (self, FALSE);

  if (identity->name == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->error),
                          _("This user does not exist on this system."));
      announce (self, self->error, TRUE);
      gtk_widget_set_visible (self->spinner, FALSE);
      dump_state (self);
      return;
    }

  self->session = ward_session_new (identity->name, self->request->cookie);
  g_signal_connect (self->session, "request", G_CALLBACK (on_session_request), self);
  g_signal_connect (self->session, "show-info", G_CALLBACK (on_session_show_info), self);
  g_signal_connect (self->session, "show-error", G_CALLBACK (on_session_show_error), self);
  g_signal_connect (self->session, "completed", G_CALLBACK (on_session_completed), self);
  dump_state (self);
  ward_session_initiate (self->session);
}

static void
submit (WardAuthWindow *self)
{
  if (!self->awaiting_response || self->session == NULL)
    return;

  GtkEditable *entry = GTK_EDITABLE (active_entry (self));
  /* Rule 2: straight from the entry's buffer into the secret, then the entry is emptied. */
  const char *text = gtk_editable_get_text (entry);
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);
  gboolean fits = ward_secret_append (secret, text, strlen (text));
  text = NULL;
  wipe_entry (GTK_WIDGET (entry));

  if (!fits)
    {
      gtk_label_set_text (GTK_LABEL (self->error), _("That answer is too long."));
      announce (self, self->error, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (entry));
      dump_state (self);
      return;
    }

  self->awaiting_response = FALSE;
  gtk_widget_set_visible (self->info, FALSE);
  describe_entries (self);
  set_input_sensitive (self, FALSE);
  dump_state (self);
  ward_session_respond (self->session, secret);
}

static void
cancel (WardAuthWindow *self)
{
  stop_session (self);
  wipe_entry (self->password_entry);
  wipe_entry (self->plain_entry);
  finish (self, WARD_GTK_IPC_OUTCOME_CANCELLED);
}

static void
on_ok_clicked (GtkButton *button, gpointer data)
{
  submit (WARD_AUTH_WINDOW (data));
}

static void
on_cancel_clicked (GtkButton *button, gpointer data)
{
  cancel (WARD_AUTH_WINDOW (data));
}

static void
on_identity_selected (GObject *dropdown, GParamSpec *pspec, gpointer data)
{
  WardAuthWindow *self = data;

  if (self->finished)
    return;
  name_identity_chooser (self);
  /* Another identity means another conversation; it does not count as a failed attempt. */
  gtk_widget_set_visible (self->error, FALSE);
  gtk_widget_set_visible (self->info, FALSE);
  describe_entries (self);
  start_session (self);
}

static gboolean
escape_cb (GtkWidget *widget, GVariant *args, gpointer data)
{
  cancel (WARD_AUTH_WINDOW (widget));
  return TRUE;
}

static gboolean
ward_auth_window_close_request (GtkWindow *window)
{
  /* The window manager's close button cancels; the owner destroys the window on "finished". */
  cancel (WARD_AUTH_WINDOW (window));
  return TRUE;
}

/* The vendor is not part of BeginAuthentication: ask polkitd, as any user may. */
static void
on_enumerate_actions (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("cannot look up the action's vendor: %s", error->message);
      return;
    }

  WardAuthWindow *self = data;
  g_autoptr(GVariantIter) iter = NULL;
  const char *action_id, *vendor, *vendor_url;

  g_variant_get (reply, "(a(ssssssuuua{ss}))", &iter);
  while (g_variant_iter_next (iter, "(&s&s&s&s&s&suuu@a{ss})", &action_id, NULL, NULL, &vendor,
                              &vendor_url, NULL, NULL, NULL, NULL, NULL))
    {
      if (g_strcmp0 (action_id, self->request->action_id) != 0)
        continue;
      if (vendor[0] != '\0')
        set_label (self->vendor_value, vendor, MAX_VENDOR_CHARS, WARD_TEXT_SINGLE_LINE);
      if (vendor_url[0] != '\0')
        set_label (self->vendor_url_value, vendor_url, MAX_VENDOR_CHARS, WARD_TEXT_SINGLE_LINE);
      break;
    }
  dump_state (self);
}

static void
on_system_bus (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (bus == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("no system bus for the vendor lookup: %s", error->message);
      return;
    }

  WardAuthWindow *self = data;
  const char *const *langs = g_get_language_names ();
  g_dbus_connection_call (bus, "org.freedesktop.PolicyKit1",
                          "/org/freedesktop/PolicyKit1/Authority",
                          "org.freedesktop.PolicyKit1.Authority", "EnumerateActions",
                          g_variant_new ("(s)", langs[0] != NULL ? langs[0] : ""),
                          G_VARIANT_TYPE ("(a(ssssssuuua{ss}))"), G_DBUS_CALL_FLAGS_NONE, 5000,
                          self->cancellable, on_enumerate_actions, self);
}

/* GTK 4.12 deprecated GTK_ALIGN_BASELINE (now GTK_ALIGN_BASELINE_FILL) and
 * gtk_css_provider_load_from_data() (now _load_from_string()). The new names are used where the
 * API pins allow them (meson.build), the old ones on GTK 4.8: no deprecation warning either way. */
#if GTK_CHECK_VERSION(4, 12, 0) && GDK_VERSION_MAX_ALLOWED >= GDK_VERSION_4_12
#define WARD_ALIGN_BASELINE GTK_ALIGN_BASELINE_FILL
#define ward_css_provider_load(provider, css) gtk_css_provider_load_from_string (provider, css)
#else
#define WARD_ALIGN_BASELINE GTK_ALIGN_BASELINE
#define ward_css_provider_load(provider, css) gtk_css_provider_load_from_data (provider, css, -1)
#endif

static GtkWidget *
field_label (const char *text_with_mnemonic)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text_with_mnemonic);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_set_valign (label, WARD_ALIGN_BASELINE);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static GtkWidget *
label_with_role (GtkAccessibleRole role)
{
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL, "accessible-role", role, NULL);

  /* Plain text only (rule 1): use-markup stays FALSE on every label that shows outside text. */
  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  /* As wide at its minimum as at its natural size: the window's height for its width is then
   * one figure, where GTK 4.18 warned on every frame that it measured the window's width for
   * a height below its minimum ("Trying to measure WardAuthWindow ... for height of 335, but it
   * needs at least 341"). */
  gtk_label_set_width_chars (GTK_LABEL (label), 40);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_valign (label, WARD_ALIGN_BASELINE);
  /* Out of the focus chain altogether: a selectable label takes Tab in GtkLabel's focus handler
   * even when it is not focusable, so Tab went round through the labels with the focus
   * nowhere (GTK 4.8 and 4.18). */
  gtk_widget_set_focusable (label, FALSE);
  gtk_widget_set_can_focus (label, FALSE);
  return label;
}

static GtkWidget *
value_label (void)
{
  return label_with_role (GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
install_css (void)
{
  static gboolean installed;
  if (installed)
    return;
  installed = TRUE;

  g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();
  ward_css_provider_load (provider, ".ward-heading { font-weight: bold; font-size: 1.2em; }\n"
                                    ".ward-detail { font-size: 0.9em; }\n");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
build_ui (WardAuthWindow *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  /* A fixed width: the wrapped labels' height is then measured for it, with no slack below. */
  gtk_widget_set_size_request (outer, 420, -1);
  gtk_widget_set_margin_top (outer, 20);
  gtk_widget_set_margin_bottom (outer, 18);
  gtk_widget_set_margin_start (outer, 20);
  gtk_widget_set_margin_end (outer, 20);
  gtk_window_set_child (GTK_WINDOW (self), outer);

  /* Icon beside the heading and the message. */
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 16);
  gtk_box_append (GTK_BOX (outer), top);
  self->icon = gtk_image_new ();
  gtk_image_set_pixel_size (GTK_IMAGE (self->icon), 48);
  gtk_widget_add_css_class (self->icon, "dim-label");
  gtk_widget_set_valign (self->icon, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (top), self->icon);

  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (top), texts);
  self->heading = gtk_label_new (_("Authentication Required"));
  gtk_label_set_xalign (GTK_LABEL (self->heading), 0.0);
  gtk_label_set_wrap (GTK_LABEL (self->heading), TRUE);
  gtk_widget_add_css_class (self->heading, "ward-heading");
  gtk_box_append (GTK_BOX (texts), self->heading);
  self->message = value_label ();
  gtk_box_append (GTK_BOX (texts), self->message);

  /* The facts, as a two-column form. */
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 10);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_box_append (GTK_BOX (outer), grid);
  int row = 0;

  GtkWidget *requester_label = field_label (_("Requested by:"));
  gtk_widget_set_valign (requester_label, GTK_ALIGN_START);
  gtk_grid_attach (GTK_GRID (grid), requester_label, 0, row, 1, 1);
  GtkWidget *requester_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  self->requester = value_label ();
  gtk_widget_add_css_class (self->requester, "monospace");
  /* Long command lines are cut after a few lines; the tooltip (plain text) has all of it. */
  gtk_label_set_lines (GTK_LABEL (self->requester), 4);
  gtk_label_set_ellipsize (GTK_LABEL (self->requester), PANGO_ELLIPSIZE_END);
  self->requester_detail = value_label ();
  gtk_widget_add_css_class (self->requester_detail, "dim-label");
  gtk_widget_add_css_class (self->requester_detail, "ward-detail");
  gtk_box_append (GTK_BOX (requester_box), self->requester);
  gtk_box_append (GTK_BOX (requester_box), self->requester_detail);
  gtk_grid_attach (GTK_GRID (grid), requester_box, 1, row++, 1, 1);

  self->identity_label = field_label (_("_Identity:"));
  gtk_widget_set_valign (self->identity_label, GTK_ALIGN_CENTER);
  gtk_grid_attach (GTK_GRID (grid), self->identity_label, 0, row, 1, 1);
  GtkWidget *identity_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_grid_attach (GTK_GRID (grid), identity_box, 1, row++, 1, 1);
  self->identity_dropdown = gtk_drop_down_new (NULL, NULL);
  gtk_widget_set_hexpand (self->identity_dropdown, TRUE);
  gtk_box_append (GTK_BOX (identity_box), self->identity_dropdown);
  self->identity_single = value_label ();
  gtk_box_append (GTK_BOX (identity_box), self->identity_single);

  self->prompt_label = field_label (_("_Password:"));
  gtk_widget_set_valign (self->prompt_label, GTK_ALIGN_CENTER);
  gtk_grid_attach (GTK_GRID (grid), self->prompt_label, 0, row, 1, 1);
  GtkWidget *entry_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_grid_attach (GTK_GRID (grid), entry_box, 1, row++, 1, 1);
  self->password_entry = gtk_password_entry_new ();
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (self->password_entry), TRUE);
  g_object_set (self->password_entry, "activates-default", TRUE, NULL);
  /* No undo history: it would keep copies of what was typed outside the secure buffer. */
  gtk_editable_set_enable_undo (GTK_EDITABLE (self->password_entry), FALSE);
  gtk_widget_set_hexpand (self->password_entry, TRUE);
  gtk_box_append (GTK_BOX (entry_box), self->password_entry);
  self->plain_entry = gtk_entry_new ();
  gtk_entry_set_activates_default (GTK_ENTRY (self->plain_entry), TRUE);
  gtk_widget_set_visible (self->plain_entry, FALSE);
  gtk_box_append (GTK_BOX (entry_box), self->plain_entry);
  gtk_label_set_mnemonic_widget (GTK_LABEL (self->prompt_label), self->password_entry);
  g_signal_connect_swapped (self->password_entry, "changed", G_CALLBACK (dump_state), self);
  g_signal_connect_swapped (self->plain_entry, "changed", G_CALLBACK (dump_state), self);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->password_entry),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->prompt_label, NULL,
                                  -1);

  /* PAM's info and error lines, under the entry. */
  /* Alerts: screen readers present them as they appear (see announce ()). */
  self->info = label_with_role (GTK_ACCESSIBLE_ROLE_ALERT);
  gtk_widget_set_visible (self->info, FALSE);
  gtk_grid_attach (GTK_GRID (grid), self->info, 1, row++, 1, 1);
  self->error = label_with_role (GTK_ACCESSIBLE_ROLE_ALERT);
  gtk_widget_add_css_class (self->error, "error");
  gtk_widget_set_visible (self->error, FALSE);
  gtk_grid_attach (GTK_GRID (grid), self->error, 1, row++, 1, 1);

  /* Details. */
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_("_Details"));
  self->expander = expander;
  g_signal_connect_swapped (expander, "notify::expanded", G_CALLBACK (dump_state), self);
  gtk_box_append (GTK_BOX (outer), expander);
  GtkWidget *details = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (details), 6);
  gtk_grid_set_column_spacing (GTK_GRID (details), 12);
  gtk_widget_set_margin_top (details, 8);
  gtk_widget_set_margin_start (details, 18);
  gtk_expander_set_child (GTK_EXPANDER (expander), details);
  const char *names[] = { N_("Action:"), N_("Vendor:"), N_("Vendor URL:") };
  GtkWidget **values[] = { &self->action_value, &self->vendor_value, &self->vendor_url_value };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GtkWidget *name = field_label (_(names[i]));
      *values[i] = value_label ();
      gtk_widget_add_css_class (*values[i], "ward-detail");
      gtk_widget_add_css_class (name, "ward-detail");
      gtk_label_set_text (GTK_LABEL (*values[i]), _("Unknown"));
      gtk_grid_attach (GTK_GRID (details), name, 0, i, 1, 1);
      gtk_grid_attach (GTK_GRID (details), *values[i], 1, i, 1, 1);
    }

  /* Buttons, the default one last. */
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (outer), buttons);
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  gtk_widget_set_margin_end (self->spinner, 4);
  gtk_box_append (GTK_BOX (buttons), self->spinner);
  self->cancel_button = gtk_button_new_with_mnemonic (_("_Cancel"));
  g_signal_connect (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  gtk_box_append (GTK_BOX (buttons), self->cancel_button);
  self->ok_button = gtk_button_new_with_mnemonic (_("_Authenticate"));
  gtk_widget_add_css_class (self->ok_button, "suggested-action");
  g_signal_connect (self->ok_button, "clicked", G_CALLBACK (on_ok_clicked), self);
  gtk_box_append (GTK_BOX (buttons), self->ok_button);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->ok_button);

  name_after_label (self->cancel_button, gtk_button_get_child (GTK_BUTTON (self->cancel_button)));
  name_after_label (self->ok_button, gtk_button_get_child (GTK_BUTTON (self->ok_button)));
  name_after_label (expander, gtk_expander_get_label_widget (GTK_EXPANDER (expander)));
  for (GtkWidget *child = gtk_widget_get_first_child (self->password_entry); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_IMAGE (child))
      {
        name_after_tooltip (child);
        g_signal_connect (child, "notify::tooltip-text", G_CALLBACK (on_tooltip_changed), NULL);
      }
}

static void
fill_request (WardAuthWindow *self)
{
  WardRequest *request = self->request;

  g_autofree char *icon_name = ward_gtk_sanitize_icon_name (request->icon_name);
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self)));
  if (icon_name == NULL || !gtk_icon_theme_has_icon (theme, icon_name))
    {
      g_free (icon_name);
      icon_name = g_strdup ("dialog-password");
    }
  gtk_window_set_icon_name (GTK_WINDOW (self), icon_name);
  /* In the dialog itself the symbolic variant, when the theme has one: it follows the theme's
   * colours (dark included) where the old full-colour icon looks faded. */
  g_autofree char *symbolic = g_strconcat (icon_name, "-symbolic", NULL);
  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon),
                                gtk_icon_theme_has_icon (theme, symbolic) ? symbolic : icon_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Authentication"), -1);

  /* Rule 1, and one line with visible line breaks (WardRequest's message_display): the message
   * must not show lines that look like the form's "Requested by:" or "Action:". */
  set_label (self->message, request->message_display, WARD_TEXT_MAX_MESSAGE,
             WARD_TEXT_SHOW_BREAKS);
  if (!gtk_widget_get_visible (self->message))
    {
      gtk_label_set_text (GTK_LABEL (self->message),
                          _("An application is attempting to perform an action that requires "
                            "privileges."));
      gtk_widget_set_visible (self->message, TRUE);
    }
  /* Rule 4: the dialog's name is its title; its description what is asked, as shown. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  gtk_label_get_text (GTK_LABEL (self->message)), -1);

  const WardRequester *requester = request->requester;
  if (requester != NULL && requester->cmdline_display != NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->requester), requester->cmdline_display);
      gtk_widget_set_tooltip_text (self->requester, requester->cmdline_display);
    }
  else
    gtk_label_set_text (GTK_LABEL (self->requester), _("An unknown program"));
  if (requester != NULL && requester->pid != 0)
    {
      g_autofree char *detail = NULL;
      if (requester->user_display != NULL)
        detail = g_strdup_printf (_("Process %u, user %s"), requester->pid,
                                  requester->user_display);
      else
        detail = g_strdup_printf (_("Process %u"), requester->pid);
      gtk_label_set_text (GTK_LABEL (self->requester_detail), detail);
    }
  else
    gtk_widget_set_visible (self->requester_detail, FALSE);

  set_label (self->action_value, request->action_id, WARD_TEXT_MAX_NAME, WARD_TEXT_SINGLE_LINE);

  GtkStringList *identities = gtk_string_list_new (NULL);
  for (guint i = 0; i < request->identities->len; i++)
    {
      const WardIdentity *identity = g_ptr_array_index (request->identities, i);
      g_autofree char *item = NULL;
      if (identity->gecos_display != NULL && identity->gecos_display[0] != '\0')
        item = g_strdup_printf ("%s (%s)", identity->gecos_display, identity->name_display);
      else
        item = g_strdup (identity->name_display);
      gtk_string_list_append (identities, item);
    }
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->identity_dropdown), G_LIST_MODEL (identities));
  g_object_unref (identities);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->identity_dropdown),
                              ward_request_default_identity (request, self->invoking_uid));
  g_signal_connect (self->identity_dropdown, "notify::selected",
                    G_CALLBACK (on_identity_selected), self);

  /* One identity: a plain label says who, no control to operate. */
  gboolean single = request->identities->len == 1;
  gtk_widget_set_visible (self->identity_dropdown, !single);
  gtk_widget_set_visible (self->identity_single, single);
  if (single)
    {
      gtk_label_set_text (GTK_LABEL (self->identity_single),
                          gtk_string_list_get_string (GTK_STRING_LIST (
                            gtk_drop_down_get_model (GTK_DROP_DOWN (self->identity_dropdown))), 0));
      gtk_label_set_text_with_mnemonic (GTK_LABEL (self->identity_label), _("Identity:"));
    }
  else
    {
      gtk_label_set_mnemonic_widget (GTK_LABEL (self->identity_label), self->identity_dropdown);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (self->identity_dropdown),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->identity_label,
                                      NULL, -1);
      name_identity_chooser (self);
    }
}

WardAuthWindow *
ward_auth_window_new (WardRequest *request, guint32 invoking_uid, const char *dump_path)
{
  WardAuthWindow *self = g_object_new (WARD_TYPE_AUTH_WINDOW, NULL);

  self->request = request;
  self->invoking_uid = invoking_uid;
  self->dump_path = g_strdup (dump_path);
  install_css ();
  fill_request (self);
  g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, on_system_bus, self);
  return self;
}

void
ward_auth_window_start (WardAuthWindow *self)
{
  g_return_if_fail (WARD_IS_AUTH_WINDOW (self));

  if (self->session == NULL && !self->finished)
    start_session (self);
}

void
ward_auth_window_abort (WardAuthWindow *self)
{
  g_return_if_fail (WARD_IS_AUTH_WINDOW (self));

  stop_session (self);
  self->finished = TRUE;
  wipe_entry (self->password_entry);
  wipe_entry (self->plain_entry);
}

static void
ward_auth_window_dispose (GObject *object)
{
  WardAuthWindow *self = WARD_AUTH_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  stop_session (self);
  G_OBJECT_CLASS (ward_auth_window_parent_class)->dispose (object);
}

static void
ward_auth_window_finalize (GObject *object)
{
  WardAuthWindow *self = WARD_AUTH_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_free (self->pending_announcement);
  g_clear_pointer (&self->request, ward_request_free);
  g_free (self->dump_path);
  G_OBJECT_CLASS (ward_auth_window_parent_class)->finalize (object);
}

/* The dialog has a fixed width (build_ui): its width does not depend on its height, and its
 * wrapped labels are never narrower than that width. GTK measures a container's height for no
 * given width as if each label were at its own narrowest, which is taller than the dialog ever
 * is; GTK 4.12 and later then also measure the window's width for the height it will have, and
 * warn (abort under G_DEBUG=fatal-warnings) when that height is below the minimum height they
 * were told. So: the width is measured for no height, and the height for no width is the height
 * at the minimum width, which is the width the dialog gets. */
static void
ward_auth_window_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline,
                          int *natural_baseline)
{
  GtkWidgetClass *parent = GTK_WIDGET_CLASS (ward_auth_window_parent_class);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    for_size = -1;
  else if (for_size < 0)
    {
      int min_width = 0, nat_width = 0, unused = -1;
      parent->measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, &nat_width, &unused,
                       &unused);
      for_size = min_width;
    }
  parent->measure (widget, orientation, for_size, minimum, natural, minimum_baseline,
                   natural_baseline);
}

static void
ward_auth_window_class_init (WardAuthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ward_auth_window_dispose;
  object_class->finalize = ward_auth_window_finalize;
  window_class->close_request = ward_auth_window_close_request;
  widget_class->measure = ward_auth_window_measure;

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
  /* A dialog, not a plain window ("frame"): screen readers say so and read its description.
   * Not with GTK 4.8, whose AT-SPI backend marks only window-role toplevels showing and active,
   * so that a screen reader would not follow the focus into the dialog; 4.18 marks a dialog as
   * it marks a window (the versions between are not checked, and keep the window role). */
  if (gtk_get_minor_version () >= 18)
    gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DIALOG);

  /* "finished" (int outcome): a WardGtkIpcOutcome, emitted once. */
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
ward_auth_window_init (WardAuthWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Authentication Required"));
  gtk_window_set_default_size (GTK_WINDOW (self), 460, -1);
  gtk_window_set_resizable (GTK_WINDOW (self), FALSE);
  build_ui (self);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_is_active), NULL);
  g_signal_connect (self, "notify::focus-widget", G_CALLBACK (on_active_changed), NULL);
}
