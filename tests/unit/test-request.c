/* test-request.c: requests built from what polkitd 122 sends, and requesters read from /proc. */
#include "config.h"

#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ward-request.h"
#include "ward-text.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* An identity as polkit_identity_to_gvariant() builds it. */
static GVariant *
identity (const char *kind, const char *key, GVariant *value)
{
  GVariantBuilder props;

  g_variant_builder_init (&props, G_VARIANT_TYPE ("a{sv}"));
  if (key != NULL)
    g_variant_builder_add (&props, "{sv}", key, value);
  return g_variant_new ("(s@a{sv})", kind, g_variant_builder_end (&props));
}

static GVariant *
details_with (const char *key1, const char *value1, const char *key2, const char *value2)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  if (key1 != NULL)
    g_variant_builder_add (&builder, "{ss}", key1, value1);
  if (key2 != NULL)
    g_variant_builder_add (&builder, "{ss}", key2, value2);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static GVariant *
identities_mixed (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{sv})"));
  g_variant_builder_add_value (&builder, identity ("unix-group", "gid", g_variant_new_uint32 (0)));
  g_variant_builder_add_value (&builder, identity ("unix-user", "uid", g_variant_new_uint32 (0)));
  /* Malformed ones polkitd never sends: skipped, not guessed at. */
  g_variant_builder_add_value (&builder, identity ("unix-user", "uid", g_variant_new_int32 (5)));
  g_variant_builder_add_value (&builder, identity ("unix-user", "uid", g_variant_new_string ("0")));
  g_variant_builder_add_value (&builder, identity ("unix-user", "gid", g_variant_new_uint32 (7)));
  g_variant_builder_add_value (&builder, identity ("unix-user", NULL, NULL));
  g_variant_builder_add_value (&builder, identity ("unix-netgroup", "name",
                                                   g_variant_new_string ("admins")));
  g_variant_builder_add_value (&builder, identity ("", "uid", g_variant_new_uint32 (9)));
  /* A uid no passwd entry has. */
  g_variant_builder_add_value (&builder, identity ("unix-user", "uid",
                                                   g_variant_new_uint32 (4000000000u)));
  g_variant_builder_add_value (&builder, identity ("unix-user", "uid",
                                                   g_variant_new_uint32 ((guint32) getuid ())));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
test_parse_uint32 (void)
{
  struct {
    const char *text;
    gboolean ok;
    guint32 value;
  } cases[] = {
    { "0", TRUE, 0 },
    { "1", TRUE, 1 },
    { "1234", TRUE, 1234 },
    { "4294967295", TRUE, G_MAXUINT32 },
    { "4294967296", FALSE, 0 },
    { "99999999999999999999999", FALSE, 0 },
    { "", FALSE, 0 },
    { "-1", FALSE, 0 },
    { "+1", FALSE, 0 },
    { " 1", FALSE, 0 },
    { "1 ", FALSE, 0 },
    { "01", FALSE, 0 },
    { "00", FALSE, 0 },
    { "0x10", FALSE, 0 },
    { "1e3", FALSE, 0 },
    { "12a", FALSE, 0 },
    { "\xd9\xa1", FALSE, 0 }, /* ARABIC-INDIC DIGIT ONE */
  };
  guint32 value;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      value = 12345;
      g_assert_cmpint (ward_parse_uint32 (cases[i].text, &value), ==, cases[i].ok);
      if (cases[i].ok)
        g_assert_cmpuint (value, ==, cases[i].value);
      else
        g_assert_cmpuint (value, ==, 12345);
    }
  g_assert_false (ward_parse_uint32 (NULL, &value));
  g_assert_true (ward_parse_uint32 ("7", NULL));
}

static void
check_cmdline (const char *raw, gsize len, gsize max_chars, const char *expected)
{
  g_autofree char *out = ward_cmdline_format (raw, len, max_chars);

  if (g_strcmp0 (out, expected) != 0)
    {
      g_autofree char *raw_esc = g_strescape (raw, NULL);

      g_error ("cmdline \"%s\" (%" G_GSIZE_FORMAT ") gave \"%s\", expected \"%s\"", raw_esc, len,
               out, expected);
    }
}

#define CHECK_CMDLINE(raw, max, expected) check_cmdline (raw, sizeof (raw) - 1, max, expected)

static void
test_cmdline_format (void)
{
  check_cmdline ("", 0, 0, NULL);
  check_cmdline (NULL, 0, 0, NULL);
  CHECK_CMDLINE ("/usr/bin/pkexec\0", 0, "/usr/bin/pkexec");
  CHECK_CMDLINE ("/usr/bin/pkexec\0ls\0-l\0", 0, "/usr/bin/pkexec ls -l");
  /* No NUL at the end (a process that rewrote its arguments). */
  CHECK_CMDLINE ("nginx: worker process", 0, "'nginx: worker process'");
  CHECK_CMDLINE ("a\0b", 0, "a b");
  /* Empty arguments are shown as ''; only the final NUL's "argument" is dropped. */
  CHECK_CMDLINE ("a\0\0b\0", 0, "a '' b");
  CHECK_CMDLINE ("a\0\0", 0, "a ''");
  CHECK_CMDLINE ("\0", 0, "''");
  CHECK_CMDLINE ("\0\0", 0, "'' ''");
  /* Quoting, POSIX style. */
  CHECK_CMDLINE ("echo\0it's\0", 0, "echo 'it'\\''s'");
  CHECK_CMDLINE ("sh\0-c\0rm -rf / # $HOME `id` $(id) \"q\" ; | & < > * ? [ ] ~ { } !\0", 0,
                 "sh -c 'rm -rf / # $HOME `id` $(id) \"q\" ; | & < > * ? [ ] ~ { } !'");
  CHECK_CMDLINE ("cp\0--target=/a,b:c@d%e+f\0", 0, "cp --target=/a,b:c@d%e+f");
  CHECK_CMDLINE ("~\0#x\0a=b\0", 0, "'~' '#x' a=b");
  CHECK_CMDLINE ("caf\xc3\xa9\0", 0, "caf\xc3\xa9");
  /* Control characters are quoted, then sanitised away: never reach a terminal. */
  CHECK_CMDLINE ("x\0\x1b]0;pwned\x07y\0", 0, "x 'y'");
  /* A line break inside an argument is shown, not made a space. */
  CHECK_CMDLINE ("x\0a\nb\0", 0, "x 'a" WARD_TEXT_LINE_BREAK "b'");
  CHECK_CMDLINE ("x\0a\r\nb\xe2\x80\xa8" "c\0", 0,
                 "x 'a" WARD_TEXT_LINE_BREAK "b" WARD_TEXT_LINE_BREAK "c'");
  CHECK_CMDLINE ("x\0a\tb\0", 0, "x 'a b'");
  CHECK_CMDLINE ("x\0\xe2\x80\xae" "exe.txt\0", 0, "x exe.txt");
  CHECK_CMDLINE ("x\0\xff\0", 0, "x \xef\xbf\xbd");
  /* The cap counts the ellipsis. */
  CHECK_CMDLINE ("abcdef\0ghi\0", 8, "abcdef " ELLIPSIS);
  CHECK_CMDLINE ("abcdef\0ghi\0", 10, "abcdef ghi");
  CHECK_CMDLINE ("abcdef\0ghi\0", 9, "abcdef g" ELLIPSIS);
}

/* Issue 16, item 4: a pkexec-style program path with line breaks cannot give the message a
 * line of its own that looks like ward's "Action:" or "Requested by:" lines. */
static void
test_message_display (void)
{
  const char *message = "Authentication is needed to run `/tmp/x\nAction: org.example.harmless"
                        "\r\nRequested by: /bin/true\xe2\x80\xa8' as the super user";
  g_autoptr(WardRequest) request = ward_request_new ("org.freedesktop.policykit.exec", message,
                                                     "", NULL, "c", NULL);

  g_assert_cmpstr (request->message_display, ==,
                   "Authentication is needed to run `/tmp/x" WARD_TEXT_LINE_BREAK
                   "Action: org.example.harmless" WARD_TEXT_LINE_BREAK
                   "Requested by: /bin/true" WARD_TEXT_LINE_BREAK "' as the super user");
  g_assert_null (strchr (request->message_display, '\n'));
  g_assert_null (strchr (request->message_display, '\r'));
}

static void
test_cmdline_megabyte (void)
{
  gsize size = 1024 * 1024;
  g_autofree char *raw = g_malloc (size);
  g_autofree char *out = NULL;

  /* A megabyte of one-character arguments, then of quotes. */
  for (gsize i = 0; i < size; i += 2)
    {
      raw[i] = 'a';
      raw[i + 1] = '\0';
    }
  out = ward_cmdline_format (raw, size, WARD_TEXT_MAX_MESSAGE);
  g_assert_cmpuint (g_utf8_strlen (out, -1), ==, WARD_TEXT_MAX_MESSAGE);
  g_assert_true (g_str_has_prefix (out, "a a a "));
  g_assert_true (g_str_has_suffix (out, ELLIPSIS));
  g_clear_pointer (&out, g_free);

  memset (raw, '\'', size);
  out = ward_cmdline_format (raw, size, 0);
  g_assert_cmpuint (strlen (out), ==, size * 4 + 2);
  g_clear_pointer (&out, g_free);

  for (gsize i = 0; i < size; i++)
    raw[i] = (char) g_test_rand_int_range (0, 256);
  out = ward_cmdline_format (raw, size, 200);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_cmpuint (g_utf8_strlen (out, -1), <=, 200);
  for (const char *p = out; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20 && *p != 0x7f);
}

static void
test_requester_self (void)
{
  g_autoptr(WardRequester) requester = ward_requester_new_for_pid ((guint32) getpid ());
  struct passwd *pw = getpwuid (getuid ());

  g_assert_cmpuint (requester->pid, ==, (guint32) getpid ());
  g_assert_cmpint (requester->uid, ==, (gint64) getuid ());
  g_assert_nonnull (requester->user_display);
  if (pw != NULL)
    g_assert_cmpstr (requester->user_display, ==, pw->pw_name);
  g_assert_nonnull (requester->cmdline_display);
  g_assert_true (strstr (requester->cmdline_display, "test-request") != NULL);
}

static void
test_requester_unknown (void)
{
  g_autoptr(WardRequester) none = ward_requester_new_for_pid (0);
  g_autoptr(WardRequester) gone = NULL;
  GPid pid;
  const char *argv[] = { "/bin/true", NULL };
  int status;

  g_assert_cmpuint (none->pid, ==, 0);
  g_assert_cmpint (none->uid, ==, -1);
  g_assert_null (none->user_display);
  g_assert_null (none->cmdline_display);

  /* A process that has exited and been reaped. */
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &pid, NULL));
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  gone = ward_requester_new_for_pid ((guint32) pid);
  g_assert_cmpuint (gone->pid, ==, (guint32) pid);
  g_assert_cmpint (gone->uid, ==, -1);
  g_assert_null (gone->user_display);
  g_assert_null (gone->cmdline_display);
}

/* Its own process group, so the test can kill the shell and its sleep together. */
static void
child_setup (gpointer data)
{
  setpgid (0, 0);
}

/* A live child whose command line holds spaces, quotes and an escape sequence. */
static GPid
spawn_hostile_child (void)
{
  const char *argv[] = { "/bin/sh", "-c", "sleep 60; :", "name with space", "it's",
                         "\x1b]0;pwned\x07" "x", "\xe2\x80\xae" "gpj.exe", "", NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                                child_setup, NULL, &pid, &error));
  g_assert_no_error (error);
  return pid;
}

static void
kill_child (GPid pid)
{
  int status;

  kill (-pid, SIGKILL);
  waitpid (pid, &status, 0);
}

static const char *const hostile_cmdline =
  "/bin/sh -c 'sleep 60; :' 'name with space' 'it'\\''s' 'x' gpj.exe ''";

static void
test_requester_child (void)
{
  GPid pid = spawn_hostile_child ();
  g_autoptr(WardRequester) requester = ward_requester_new_for_pid ((guint32) pid);

  g_assert_cmpstr (requester->cmdline_display, ==, hostile_cmdline);
  g_assert_cmpint (requester->uid, ==, (gint64) getuid ());
  kill_child (pid);
}

static void
test_request_new (void)
{
  GPid pid = spawn_hostile_child ();
  g_autofree char *pid_str = g_strdup_printf ("%d", (int) pid);
  g_autofree char *self_str = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GVariant) details = details_with ("polkit.subject-pid", pid_str,
                                              "polkit.caller-pid", self_str);
  g_autoptr(GVariant) identities = identities_mixed ();
  g_autoptr(WardRequest) request = ward_request_new ("org.example.action", "Msg \x1b[2J",
                                                     "icon", details, "cookie-123", identities);
  const WardIdentity *id;

  g_assert_cmpstr (request->action_id, ==, "org.example.action");
  g_assert_cmpstr (request->message, ==, "Msg \x1b[2J"); /* raw, by contract */
  g_assert_cmpstr (request->message_display, ==, "Msg ");
  g_assert_cmpstr (request->icon_name, ==, "icon");
  g_assert_cmpstr (request->cookie, ==, "cookie-123");
  g_assert_cmpstr (g_hash_table_lookup (request->details, "polkit.subject-pid"), ==, pid_str);
  g_assert_cmpuint (g_hash_table_size (request->details), ==, 2);

  /* Only well-formed unix-user entries, in polkitd's order. */
  g_assert_cmpuint (request->identities->len, ==, 3);
  id = g_ptr_array_index (request->identities, 0);
  g_assert_cmpuint (id->uid, ==, 0);
  g_assert_cmpstr (id->name, ==, "root");
  g_assert_cmpstr (id->name_display, ==, "root");
  id = g_ptr_array_index (request->identities, 1);
  g_assert_cmpuint (id->uid, ==, 4000000000u);
  g_assert_null (id->name);
  g_assert_cmpstr (id->name_display, ==, "4000000000");
  g_assert_null (id->gecos_display);
  id = g_ptr_array_index (request->identities, 2);
  g_assert_cmpuint (id->uid, ==, getuid ());

  /* The subject is preferred over the caller. */
  g_assert_nonnull (request->requester);
  g_assert_cmpuint (request->requester->pid, ==, (guint32) pid);
  g_assert_cmpstr (request->requester->cmdline_display, ==, hostile_cmdline);

  kill_child (pid);
}

static void
test_request_requester_keys (void)
{
  g_autofree char *self_str = g_strdup_printf ("%d", (int) getpid ());
  struct {
    const char *subject;
    const char *caller;
    guint32 expected;
  } cases[] = {
    { self_str, NULL, (guint32) getpid () },
    { NULL, self_str, (guint32) getpid () },
    { "not-a-pid", self_str, (guint32) getpid () },
    { "-1", self_str, (guint32) getpid () },
    { "0", self_str, (guint32) getpid () },
    { "0", "0", 0 },
    { " 12", "+12", 0 },
    { NULL, NULL, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) details = details_with (cases[i].subject ? "polkit.subject-pid" : NULL,
                                                  cases[i].subject,
                                                  cases[i].caller ? "polkit.caller-pid" : NULL,
                                                  cases[i].caller);
      g_autoptr(WardRequest) request = ward_request_new ("a", "m", "", details, "c", NULL);

      g_assert_nonnull (request->requester);
      g_assert_cmpuint (request->requester->pid, ==, cases[i].expected);
    }
}

static void
test_request_bad_variants (void)
{
  g_autoptr(GVariant) wrong_details = g_variant_ref_sink (g_variant_new_string ("x"));
  g_autoptr(GVariant) wrong_identities = g_variant_ref_sink (g_variant_new ("as", NULL));
  g_autoptr(WardRequest) a = ward_request_new (NULL, NULL, NULL, NULL, NULL, NULL);
  g_autoptr(WardRequest) b = ward_request_new ("a", "m", "i", wrong_details, "c",
                                               wrong_identities);

  g_assert_cmpstr (a->action_id, ==, "");
  g_assert_cmpstr (a->message, ==, "");
  g_assert_cmpuint (a->identities->len, ==, 0);
  g_assert_cmpuint (g_hash_table_size (a->details), ==, 0);
  g_assert_cmpuint (a->requester->pid, ==, 0);
  g_assert_cmpuint (ward_request_default_identity (a, 0), ==, 0);
  g_assert_cmpuint (b->identities->len, ==, 0);
  g_assert_cmpuint (g_hash_table_size (b->details), ==, 0);
}

static GVariant *
users (const guint32 *uids, gsize n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{sv})"));
  for (gsize i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, identity ("unix-user", "uid",
                                                     g_variant_new_uint32 (uids[i])));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
test_default_identity (void)
{
  static const guint32 list[] = { 1001, 0, 1002, 1003 };
  static const guint32 no_root[] = { 1001, 1002 };
  g_autoptr(GVariant) v1 = users (list, G_N_ELEMENTS (list));
  g_autoptr(GVariant) v2 = users (no_root, G_N_ELEMENTS (no_root));
  g_autoptr(WardRequest) r1 = ward_request_new ("a", "m", "", NULL, "c", v1);
  g_autoptr(WardRequest) r2 = ward_request_new ("a", "m", "", NULL, "c", v2);

  g_assert_cmpuint (r1->identities->len, ==, 4);
  g_assert_cmpuint (ward_request_default_identity (r1, 1002), ==, 2);
  g_assert_cmpuint (ward_request_default_identity (r1, 1003), ==, 3);
  g_assert_cmpuint (ward_request_default_identity (r1, 5000), ==, 1); /* root */
  g_assert_cmpuint (ward_request_default_identity (r1, 0), ==, 1);
  g_assert_cmpuint (ward_request_default_identity (r2, 5000), ==, 0);
  g_assert_cmpuint (ward_request_default_identity (r2, 1002), ==, 1);
}

static void
test_identity_gecos (void)
{
  static const guint32 root[] = { 0 };
  g_autoptr(GVariant) v = users (root, 1);
  g_autoptr(WardRequest) r = ward_request_new ("a", "m", "", NULL, "c", v);
  struct passwd *pw = getpwuid (0);
  const WardIdentity *id;
  g_auto(GStrv) fields = NULL;
  g_autofree char *expected = NULL;

  g_assert_nonnull (pw);
  id = g_ptr_array_index (r->identities, 0);
  fields = g_strsplit (pw->pw_gecos, ",", 2);
  expected = g_strstrip (g_strdup (fields[0] != NULL ? fields[0] : ""));
  if (expected[0] == '\0')
    g_assert_null (id->gecos_display);
  else
    g_assert_cmpstr (id->gecos_display, ==, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/request/parse-uint32", test_parse_uint32);
  g_test_add_func ("/request/cmdline-format", test_cmdline_format);
  g_test_add_func ("/request/message-display", test_message_display);
  g_test_add_func ("/request/cmdline-megabyte", test_cmdline_megabyte);
  g_test_add_func ("/request/requester-self", test_requester_self);
  g_test_add_func ("/request/requester-unknown", test_requester_unknown);
  g_test_add_func ("/request/requester-child", test_requester_child);
  g_test_add_func ("/request/new", test_request_new);
  g_test_add_func ("/request/requester-keys", test_request_requester_keys);
  g_test_add_func ("/request/bad-variants", test_request_bad_variants);
  g_test_add_func ("/request/default-identity", test_default_identity);
  g_test_add_func ("/request/identity-gecos", test_identity_gecos);

  return g_test_run ();
}
