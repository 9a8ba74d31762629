/* test-login.c: the session lookup answers as libsystemd's sd_pid_get_session() and
 * sd_uid_get_display() would, and never takes a user-made cgroup for a session. */
#include "config.h"

#include <unistd.h>

#include "ward-login.h"

static void
check_cgroup (const char *contents, gboolean unified, const char *expected)
{
  g_autofree char *got = ward_login_session_from_cgroup (contents, unified);

  g_assert_cmpstr (got, ==, expected);
}

#define HYBRID                                                                          \
  "12:cpuset:/\n"                                                                       \
  "4:cpu,cpuacct:/user.slice\n"                                                         \
  "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n"                         \
  "0::/user.slice/user-1000.slice/session-3.scope\n"

static void
test_session_scopes (void)
{
  check_cgroup ("0::/user.slice/user-1000.slice/session-2.scope\n", TRUE, "2");
  check_cgroup ("0::/user.slice/user-1000.slice/session-c7.scope", TRUE, "c7");
  check_cgroup (HYBRID, TRUE, "3");
  check_cgroup (HYBRID, FALSE, "3");
  /* Legacy hosts: the named hierarchy, wherever it is listed. */
  check_cgroup ("3:name=systemd:/user.slice/user-4102.slice/session-w123.scope\n0::/\n", FALSE,
                "w123");
  check_cgroup ("3:name=systemd:/user.slice/user-4102.slice/session-w123.scope\n0::/\n", TRUE,
                NULL);
  /* Nested slices, escaped names and processes in a sub-cgroup of the scope. */
  check_cgroup ("0::/user.slice/user-1000.slice/a-b.slice/session-9.scope/sub\n", TRUE, "9");
  check_cgroup ("0::/_user.slice/user-1000.slice/_session-4.scope\n", TRUE, "4");
}

static void
test_not_sessions (void)
{
  /* The user's own systemd instance, and anything the user creates in its delegated tree. */
  check_cgroup ("0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service\n", TRUE,
                NULL);
  check_cgroup ("0::/user.slice/user-1000.slice/user@1000.service/session-5.scope\n", TRUE, NULL);
  check_cgroup ("0::/system.slice/polkit.service\n", TRUE, NULL);
  check_cgroup ("0::/system.slice/foo.service/session-5.scope\n", TRUE, NULL);
  check_cgroup ("0::/\n", TRUE, NULL);
  check_cgroup ("0::/init.scope\n", TRUE, NULL);
  check_cgroup ("0::/session-1.scope.slice\n", TRUE, NULL);
  /* Invalid session ids. */
  check_cgroup ("0::/user.slice/session-.scope\n", TRUE, NULL);
  check_cgroup ("0::/user.slice/session-a_b.scope\n", TRUE, NULL);
  check_cgroup ("0::/user.slice/session-a b.scope\n", TRUE, NULL);
  check_cgroup ("0::/user.slice/session-\xc3\xa9.scope\n", TRUE, NULL);
  check_cgroup ("0::/user.slice/session-1.service\n", TRUE, NULL);
  /* Malformed files. */
  check_cgroup (NULL, TRUE, NULL);
  check_cgroup ("", TRUE, NULL);
  check_cgroup ("garbage\n0:\n", TRUE, NULL);
  check_cgroup ("0::user.slice/session-1.scope\n", TRUE, NULL);
  check_cgroup ("1:cpu:/user.slice/session-1.scope\n", TRUE, NULL);
  check_cgroup ("1:cpu:/user.slice/session-1.scope\n", FALSE, NULL);
  check_cgroup ("1:name=systemdx:/user.slice/session-1.scope\n", FALSE, NULL);
}

static void
test_session_ids (void)
{
  g_assert_true (ward_login_session_id_is_valid ("c7"));
  g_assert_true (ward_login_session_id_is_valid ("2"));
  g_assert_false (ward_login_session_id_is_valid (NULL));
  g_assert_false (ward_login_session_id_is_valid (""));
  g_assert_false (ward_login_session_id_is_valid ("../x"));
  g_assert_false (ward_login_session_id_is_valid ("a-b"));
  g_assert_false (ward_login_session_id_is_valid ("a_b"));
}

static void
test_unit_names (void)
{
  g_assert_true (ward_login_unit_name_is_valid ("run-u42.service"));
  g_assert_true (ward_login_unit_name_is_valid ("user@1000.service"));
  g_assert_true (ward_login_unit_name_is_valid ("a\\x2db:c_d.scope"));
  g_assert_false (ward_login_unit_name_is_valid (NULL));
  g_assert_false (ward_login_unit_name_is_valid (""));
  g_assert_false (ward_login_unit_name_is_valid ("a b.service"));
  g_assert_false (ward_login_unit_name_is_valid ("a/b.service"));
  g_assert_false (ward_login_unit_name_is_valid ("\xc3\xa9.service"));
  g_autofree char *long_name = g_strnfill (256, 'a');
  g_assert_false (ward_login_unit_name_is_valid (long_name));
  long_name[255] = '\0';
  g_assert_true (ward_login_unit_name_is_valid (long_name));
}

static void
test_display (void)
{
  g_autofree char *a = ward_login_display_from_user_file (
    "# This is private data. Do not parse.\nNAME=bob\nSTATE=active\nDISPLAY=c2\nSESSIONS=c2 3\n");
  g_assert_cmpstr (a, ==, "c2");

  g_autofree char *b = ward_login_display_from_user_file ("NAME=bob\nSESSIONS=3\n");
  g_assert_null (b);
  g_autofree char *c = ward_login_display_from_user_file ("DISPLAY=../../x\n");
  g_assert_null (c);
  g_autofree char *d = ward_login_display_from_user_file ("XDISPLAY=4\n");
  g_assert_null (d);
  g_assert_null (ward_login_display_from_user_file (NULL));
}

/* On the machine itself: whatever libsystemd would say, we either find a valid id or none, and
 * a process that does not exist has none. */
static void
test_live (void)
{
  g_autofree char *self = ward_login_pid_get_session (0);
  g_autofree char *mine = ward_login_pid_get_session (getpid ());

  g_assert_cmpstr (self, ==, mine);
  g_assert_true (self == NULL || ward_login_session_id_is_valid (self));
  g_assert_null (ward_login_pid_get_session (-1));
  g_assert_null (ward_login_pid_get_session (G_MAXINT32));
  g_autofree char *display = ward_login_uid_get_display (G_MAXINT32 - 1);
  g_assert_null (display);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/login/session-scopes", test_session_scopes);
  g_test_add_func ("/login/not-sessions", test_not_sessions);
  g_test_add_func ("/login/session-ids", test_session_ids);
  g_test_add_func ("/login/unit-names", test_unit_names);
  g_test_add_func ("/login/display", test_display);
  g_test_add_func ("/login/live", test_live);
  return g_test_run ();
}
