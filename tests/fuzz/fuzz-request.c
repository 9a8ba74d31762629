/* fuzz-request.c: ward_request_new() over arbitrary BeginAuthentication parameters.
 *
 * Input layout: byte 0 = flags, bytes 1-2 = length N of the details part (little endian), then
 * N bytes of serialised a{ss}, then the rest as serialised a(sa{sv}). GVariant takes any bytes
 * as a value of the type (in normal form or not: GLib gives defaults for what does not
 * deserialise), so every input is a well-typed request; flag bits also swap in values of the
 * wrong type and NULLs, and choose the strings.
 *
 * Invariants: ward_request_new() never crashes and never returns NULL; every field is set; the
 * details hold at most one entry per serialised one; identities are the unix-user entries only;
 * every *_display string is valid UTF-8, one line, without controls or invisible characters, and
 * capped. The same holds for the normal form of the values (what D-Bus delivers). */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-request.h"
#include "ward-text.h"

enum {
  FLAG_DETAILS_WRONG_TYPE = 1 << 0,
  FLAG_IDENTITIES_WRONG_TYPE = 1 << 1,
  FLAG_NULL_STRINGS = 1 << 2,
  FLAG_DETAILS_NULL = 1 << 3,
  FLAG_IDENTITIES_NULL = 1 << 4,
};

static void
check_display (const char *text, gsize max_chars)
{
  if (text == NULL)
    return;
  fuzz_check_shown_text (text, FALSE);
  FUZZ_CHECK (g_utf8_strlen (text, -1) <= (glong) max_chars);
  fuzz_check_charsets (text);
}

static guint
count_unix_users (GVariant *identities)
{
  GVariantIter iter;
  const char *kind;
  GVariant *props;
  guint n = 0;

  if (identities == NULL || !g_variant_is_of_type (identities, G_VARIANT_TYPE ("a(sa{sv})")))
    return 0;
  g_variant_iter_init (&iter, identities);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &kind, &props))
    {
      g_autoptr(GVariant) uid = g_variant_lookup_value (props, "uid", G_VARIANT_TYPE_UINT32);

      if (strcmp (kind, "unix-user") == 0 && uid != NULL)
        n++;
      g_variant_unref (props);
    }
  return n;
}

static void
check_request (guint8 flags, GVariant *details, GVariant *identities, const char *text)
{
  const char *s = (flags & FLAG_NULL_STRINGS) ? NULL : text;
  g_autoptr(WardRequest) request = ward_request_new (s, s, s, details, s, identities);
  gsize n_details = 0;

  FUZZ_CHECK (request != NULL);
  FUZZ_CHECK (request->action_id != NULL && request->message != NULL);
  /* One line with visible line breaks: it cannot start a line of the header (issue 16). */
  FUZZ_CHECK (request->message_display != NULL);
  check_display (request->message_display, WARD_TEXT_MAX_MESSAGE);
  FUZZ_CHECK (request->icon_name != NULL && request->cookie != NULL);
  FUZZ_CHECK (request->details != NULL && request->identities != NULL);
  FUZZ_CHECK (request->requester != NULL);

  if (details != NULL && g_variant_is_of_type (details, G_VARIANT_TYPE ("a{ss}")))
    n_details = g_variant_n_children (details);
  FUZZ_CHECK (g_hash_table_size (request->details) <= n_details);
  FUZZ_CHECK (request->identities->len == count_unix_users (identities));

  for (guint i = 0; i < request->identities->len; i++)
    {
      const WardIdentity *identity = g_ptr_array_index (request->identities, i);

      FUZZ_CHECK (identity->name_display != NULL);
      check_display (identity->name_display, WARD_TEXT_MAX_NAME);
      check_display (identity->gecos_display, WARD_TEXT_MAX_NAME);
    }
  FUZZ_CHECK (ward_request_default_identity (request, 0) <= MAX (request->identities->len, 1));

  check_display (request->requester->user_display, WARD_TEXT_MAX_NAME);
  check_display (request->requester->cmdline_display, WARD_TEXT_MAX_MESSAGE);
  if (request->requester->pid == 0)
    FUZZ_CHECK (request->requester->uid == -1 && request->requester->cmdline_display == NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) details_bytes = NULL;
  g_autoptr(GBytes) identities_bytes = NULL;
  g_autoptr(GVariant) details = NULL;
  g_autoptr(GVariant) identities = NULL;
  g_autoptr(GVariant) details_normal = NULL;
  g_autoptr(GVariant) identities_normal = NULL;
  g_autofree char *text = NULL;
  GVariant *d, *id;
  guint8 flags;
  size_t n;

  if (size < 3 || size > 64 * 1024)
    return 0;
  flags = data[0];
  n = MIN ((size_t) data[1] | ((size_t) data[2] << 8), size - 3);

  /* GBytes copies: g_variant_new_from_bytes then aligns as the type needs. */
  details_bytes = g_bytes_new (data + 3, n);
  identities_bytes = g_bytes_new (data + 3 + n, size - 3 - n);
  details = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a{ss}"),
                                                          details_bytes, FALSE));
  identities = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(sa{sv})"),
                                                             identities_bytes, FALSE));
  text = g_strndup ((const char *) data + 3, n);

  d = (flags & FLAG_DETAILS_NULL) ? NULL : (flags & FLAG_DETAILS_WRONG_TYPE) ? identities : details;
  id = (flags & FLAG_IDENTITIES_NULL) ? NULL
       : (flags & FLAG_IDENTITIES_WRONG_TYPE) ? details : identities;
  check_request (flags, d, id, text);

  /* What D-Bus would deliver: the normal form. */
  details_normal = g_variant_get_normal_form (details);      /* transfer full, not floating */
  identities_normal = g_variant_get_normal_form (identities);
  FUZZ_CHECK (g_variant_is_normal_form (details_normal));
  FUZZ_CHECK (g_variant_is_normal_form (identities_normal));
  check_request (flags & FLAG_NULL_STRINGS, details_normal, identities_normal, text);
  return 0;
}
