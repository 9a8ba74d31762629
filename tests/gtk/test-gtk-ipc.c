/* test-gtk-ipc.c: the ward-gtk <-> dialog framing and icon names (session ids: unit/test-login). */
#include "config.h"

#include <string.h>

#include "ward-gtk-instance.h"
#include "ward-gtk-ipc.h"

static WardRequest *
make_request (const char *message)
{
  GVariantBuilder details, identities;

  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&details, "{ss}", "polkit.subject-pid", "1");
  g_variant_builder_add (&details, "{ss}", "ward.target", "<b>x</b>");
  g_variant_builder_init (&identities, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint32 uid = 0; uid < 2; uid++)
    {
      GVariantBuilder dict;
      g_variant_builder_init (&dict, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&dict, "{sv}", "uid", g_variant_new_uint32 (uid == 0 ? 0 : 65534));
      g_variant_builder_add (&identities, "(sa{sv})", "unix-user", &dict);
    }
  g_autoptr(GVariant) d = g_variant_ref_sink (g_variant_builder_end (&details));
  g_autoptr(GVariant) i = g_variant_ref_sink (g_variant_builder_end (&identities));
  return ward_request_new ("org.example.act", message, "dialog-password", d, "cookie-1", i);
}

static void
test_roundtrip (void)
{
  g_autoptr(WardRequest) request = make_request ("Hello\n<i>world</i> \x1b[31m");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = ward_gtk_ipc_encode_request (request, &error);
  g_assert_no_error (error);

  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  g_assert_cmpuint (size, >, 4);
  gssize len = ward_gtk_ipc_parse_length (data, &error);
  g_assert_no_error (error);
  g_assert_cmpint (len, ==, (gssize) size - 4);

  g_autoptr(WardRequest) back = ward_gtk_ipc_decode_request (data + 4, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->action_id, ==, "org.example.act");
  g_assert_cmpstr (back->message, ==, "Hello\n<i>world</i> \x1b[31m");
  g_assert_cmpstr (back->icon_name, ==, "dialog-password");
  g_assert_cmpstr (back->cookie, ==, "cookie-1");
  g_assert_cmpstr (g_hash_table_lookup (back->details, "ward.target"), ==, "<b>x</b>");
  g_assert_cmpuint (back->identities->len, ==, 2);
  g_assert_cmpuint (((WardIdentity *) g_ptr_array_index (back->identities, 0))->uid, ==, 0);
  g_assert_cmpuint (((WardIdentity *) g_ptr_array_index (back->identities, 1))->uid, ==, 65534);
}

static void
test_bad_frames (void)
{
  g_autoptr(GError) error = NULL;
  guint8 zero[4] = { 0, 0, 0, 0 };
  guint8 huge[4] = { 0xff, 0xff, 0xff, 0xff };

  g_assert_cmpint (ward_gtk_ipc_parse_length (zero, &error), ==, -1);
  g_assert_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (ward_gtk_ipc_parse_length (huge, &error), ==, -1);
  g_clear_error (&error);

  /* Garbage of the right size is not a request. */
  guint8 garbage[64];
  memset (garbage, 0xa5, sizeof garbage);
  g_assert_null (ward_gtk_ipc_decode_request (garbage, sizeof garbage, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* A well-formed request of another type is refused too. */
  g_autoptr(GVariant) other = g_variant_ref_sink (g_variant_new ("(ss)", "a", "b"));
  g_assert_null (ward_gtk_ipc_decode_request (g_variant_get_data (other),
                                              g_variant_get_size (other), &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* No identity, no cookie: refused. */
  g_autoptr(GVariant) empty = g_variant_ref_sink (
    g_variant_new_parsed ("('a', 'm', 'i', @a{ss} {}, 'c', @a(sa{sv}) [])"));
  g_assert_null (ward_gtk_ipc_decode_request (g_variant_get_data (empty),
                                              g_variant_get_size (empty), &error));
  g_assert_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_MALFORMED);
  g_clear_error (&error);
  g_autoptr(GVariant) no_cookie = g_variant_ref_sink (g_variant_new_parsed (
    "('a', 'm', 'i', @a{ss} {}, '', [('unix-user', {'uid': <uint32 0>})])"));
  g_assert_null (ward_gtk_ipc_decode_request (g_variant_get_data (no_cookie),
                                              g_variant_get_size (no_cookie), &error));
  g_assert_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Every truncation of a valid frame is refused or decodes safely; none crashes. */
  g_autoptr(WardRequest) request = make_request ("m");
  g_autoptr(GBytes) frame = ward_gtk_ipc_encode_request (request, &error);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  for (gsize cut = 1; cut < size - 4; cut++)
    {
      WardRequest *r = ward_gtk_ipc_decode_request (data + 4, cut, NULL);
      g_clear_pointer (&r, ward_request_free);
    }
}

static void
test_too_large (void)
{
  g_autofree char *big = g_strnfill (WARD_GTK_IPC_MAX_REQUEST + 10, 'x');
  g_autoptr(WardRequest) request = make_request (big);
  g_autoptr(GError) error = NULL;

  g_assert_null (ward_gtk_ipc_encode_request (request, &error));
  g_assert_error (error, WARD_GTK_IPC_ERROR, WARD_GTK_IPC_ERROR_TOO_LARGE);
}

static void
test_outcomes (void)
{
  g_assert_cmpstr (ward_gtk_ipc_outcome_to_line (WARD_GTK_IPC_OUTCOME_DONE), ==, "done\n");
  g_assert_cmpstr (ward_gtk_ipc_outcome_to_line (WARD_GTK_IPC_OUTCOME_CANCELLED), ==,
                   "cancelled\n");
  g_assert_null (ward_gtk_ipc_outcome_to_line (WARD_GTK_IPC_OUTCOME_INVALID));
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("done\n", 5), ==, WARD_GTK_IPC_OUTCOME_DONE);
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("done", 4), ==, WARD_GTK_IPC_OUTCOME_DONE);
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("cancelled\n", 10), ==,
                   WARD_GTK_IPC_OUTCOME_CANCELLED);
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("done\n\n", 6), ==,
                   WARD_GTK_IPC_OUTCOME_INVALID);
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("DONE\n", 5), ==, WARD_GTK_IPC_OUTCOME_INVALID);
  g_assert_cmpint (ward_gtk_ipc_outcome_from_line ("", 0), ==, WARD_GTK_IPC_OUTCOME_INVALID);
}

static void
test_icon_names (void)
{
  const char *good[] = { "dialog-password", "drive-harddisk", "org.gnome.Foo_2", "a" };
  const char *bad[] = { NULL, "", "../../etc/passwd", "/usr/share/icons/x.png", ".hidden",
                        "with space", "ünicode", "a\nb",
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaX" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *name = ward_gtk_sanitize_icon_name (good[i]);
      g_assert_cmpstr (name, ==, good[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (ward_gtk_sanitize_icon_name (bad[i]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gtk-ipc/roundtrip", test_roundtrip);
  g_test_add_func ("/gtk-ipc/bad-frames", test_bad_frames);
  g_test_add_func ("/gtk-ipc/too-large", test_too_large);
  g_test_add_func ("/gtk-ipc/outcomes", test_outcomes);
  g_test_add_func ("/gtk-ipc/icon-names", test_icon_names);
  return g_test_run ();
}
