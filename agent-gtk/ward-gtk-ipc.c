/* ward-gtk-ipc.c: the listener <-> dialog framing (see ward-gtk-ipc.h). */
#include "config.h"

#include <string.h>

#include "ward-gtk-ipc.h"

G_DEFINE_QUARK (ward-gtk-ipc-error-quark, ward_gtk_ipc_error)

GBytes *
ward_gtk_ipc_encode_request (const WardRequest *request, GError **error)
{
  GVariantBuilder details;
  GVariantBuilder identities;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{ss}"));
  if (request->details != NULL)
    {
      g_hash_table_iter_init (&iter, request->details);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_variant_builder_add (&details, "{ss}", (const char *) key, (const char *) value);
    }

  /* Only unix-user identities survive ward_request_new(), so that is all there is to pass on;
   * they keep polkitd's order. */
  g_variant_builder_init (&identities, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; request->identities != NULL && i < request->identities->len; i++)
    {
      const WardIdentity *identity = g_ptr_array_index (request->identities, i);
      GVariantBuilder dict;

      g_variant_builder_init (&dict, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&dict, "{sv}", "uid", g_variant_new_uint32 (identity->uid));
      g_variant_builder_add (&identities, "(sa{sv})", "unix-user", &dict);
    }

  g_autoptr(GVariant) variant = g_variant_ref_sink (
    g_variant_new ("(sssa{ss}sa(sa{sv}))",
                   request->action_id ? request->action_id : "",
                   request->message ? request->message : "",
                   request->icon_name ? request->icon_name : "",
                   &details,
                   request->cookie ? request->cookie : "",
                   &identities));

  gsize size = g_variant_get_size (variant);
  if (size > WARD_GTK_IPC_MAX_REQUEST)
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_TOO_LARGE,
                   "request of %" G_GSIZE_FORMAT " bytes exceeds the limit", size);
      return NULL;
    }

  /* g_variant_store() wants aligned memory, which frame + 4 is not: copy the serialised bytes. */
  g_autoptr(GBytes) data = g_variant_get_data_as_bytes (variant);
  guint8 *frame = g_malloc (4 + size);
  guint32 be = GUINT32_TO_BE ((guint32) size);
  memcpy (frame, &be, 4);
  memcpy (frame + 4, g_bytes_get_data (data, NULL), size);
  return g_bytes_new_take (frame, 4 + size);
}

gssize
ward_gtk_ipc_parse_length (const guint8 prefix[4], GError **error)
{
  guint32 be;

  memcpy (&be, prefix, 4);
  guint32 len = GUINT32_FROM_BE (be);
  if (len == 0 || len > WARD_GTK_IPC_MAX_REQUEST)
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_TOO_LARGE,
                   "request length %u out of bounds", len);
      return -1;
    }
  return len;
}

WardRequest *
ward_gtk_ipc_decode_request (const guint8 *payload, gsize len, GError **error)
{
  if (len == 0 || len > WARD_GTK_IPC_MAX_REQUEST)
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_TOO_LARGE,
                   "request length %" G_GSIZE_FORMAT " out of bounds", len);
      return NULL;
    }

  /* g_variant_new_from_bytes trusts nothing about the data, but only normal form is what our
   * own encoder writes: anything else did not come from the listener. */
  g_autoptr(GBytes) bytes = g_bytes_new (payload, len);
  g_autoptr(GVariant) variant = g_variant_ref_sink (
    g_variant_new_from_bytes (G_VARIANT_TYPE (WARD_GTK_IPC_REQUEST_TYPE), bytes, FALSE));
  if (!g_variant_is_normal_form (variant))
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_MALFORMED,
                   "request is not in normal form");
      return NULL;
    }

  const char *action_id, *message, *icon_name, *cookie;
  g_autoptr(GVariant) details = NULL;
  g_autoptr(GVariant) identities = NULL;
  g_variant_get (variant, "(&s&s&s@a{ss}&s@a(sa{sv}))", &action_id, &message, &icon_name,
                 &details, &cookie, &identities);

  if (*action_id == '\0' || *cookie == '\0')
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_MALFORMED,
                   "request without action or cookie");
      return NULL;
    }

  g_autoptr(WardRequest) request = ward_request_new (action_id, message, icon_name, details,
                                                     cookie, identities);
  if (request->identities == NULL || request->identities->len == 0)
    {
      g_set_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_MALFORMED,
                   "request without any unix-user identity");
      return NULL;
    }
  return g_steal_pointer (&request);
}

const char *
ward_gtk_ipc_outcome_to_line (WardGtkIpcOutcome outcome)
{
  switch (outcome)
    {
    case WARD_GTK_IPC_OUTCOME_DONE:
      return "done\n";
    case WARD_GTK_IPC_OUTCOME_CANCELLED:
      return "cancelled\n";
    case WARD_GTK_IPC_OUTCOME_INVALID:
    default:
      return NULL;
    }
}

WardGtkIpcOutcome
ward_gtk_ipc_outcome_from_line (const char *line, gsize len)
{
  if (len > 0 && line[len - 1] == '\n')
    len--;
  if (len == 4 && memcmp (line, "done", 4) == 0)
    return WARD_GTK_IPC_OUTCOME_DONE;
  if (len == 9 && memcmp (line, "cancelled", 9) == 0)
    return WARD_GTK_IPC_OUTCOME_CANCELLED;
  return WARD_GTK_IPC_OUTCOME_INVALID;
}

char *
ward_gtk_sanitize_icon_name (const char *icon_name)
{
  if (icon_name == NULL || icon_name[0] == '\0' || icon_name[0] == '.')
    return NULL;

  gsize len = 0;
  for (const char *p = icon_name; *p != '\0'; p++, len++)
    {
      if (len >= 64)
        return NULL;
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
        return NULL;
    }
  return g_strdup (icon_name);
}
