/* WardSession against scripted fake helpers (fake-helper.py), spawned (WARD_HELPER=spawn:PATH)
 * and behind a socket (WARD_HELPER=socket:PATH). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ward-secret.h"
#include "ward-session.h"

static char *fake_helper;

typedef enum { MODE_SPAWN, MODE_SOCKET } HelperMode;

typedef struct {
  char *dir;
  char *record;
  GSubprocess *server;   /* socket mode: the fake helper accepting one connection */
  GPtrArray *servers;    /* more fake helpers (start_server) */
  WardSession *session;
  GMainLoop *loop;
  GPtrArray *events;     /* "request:ECHO:text", "info:text", "error:text" */
  GPtrArray *replies;    /* what to answer, in order */
  guint next_reply;
  int completed;
  gboolean result;
  gboolean cancel_on_request;
  gboolean respond_with_newline;
  WardSecret *last_secret;
} Fixture;

/* Messages saying a helper was not available (S5), in the C locale. */
static guint unavailable_said;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ward-session-XXXXXX", &error);
  g_assert_no_error (error);
  f->record = g_build_filename (f->dir, "record", NULL);
  f->loop = g_main_loop_new (NULL, FALSE);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->replies = g_ptr_array_new_with_free_func (g_free);
  f->servers = g_ptr_array_new_with_free_func (g_object_unref);
  g_setenv ("FAKE_HELPER_RECORD", f->record, TRUE);
  unavailable_said = 0;
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *sock = g_build_filename (f->dir, "sock", NULL);
  g_autofree char *record_tmp = g_strconcat (f->record, ".tmp", NULL);

  g_clear_object (&f->session);
  if (f->server != NULL)
    {
      g_subprocess_force_exit (f->server);
      g_subprocess_wait (f->server, NULL, NULL);
      g_clear_object (&f->server);
    }
  for (guint i = 0; i < f->servers->len; i++)
    {
      GSubprocess *server = f->servers->pdata[i];
      g_autofree char *path = g_strdup_printf ("%s/sock%u", f->dir, i);
      g_autofree char *record = g_strdup_printf ("%s/record%u", f->dir, i);
      g_autofree char *tmp = g_strconcat (record, ".tmp", NULL);

      g_subprocess_force_exit (server);
      g_subprocess_wait (server, NULL, NULL);
      g_unlink (path);
      g_unlink (record);
      g_unlink (tmp);
    }
  g_ptr_array_unref (f->servers);
  g_unlink (f->record);
  /* A helper killed while saving its record leaves this behind. */
  g_unlink (record_tmp);
  g_unlink (sock);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->record);
  g_main_loop_unref (f->loop);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->replies);
  g_clear_pointer (&f->last_secret, ward_secret_free);
  g_unsetenv ("WARD_HELPER");
  g_unsetenv ("FAKE_HELPER_MODE");
}

static void
use_helper (Fixture *f, HelperMode mode, const char *script)
{
  g_setenv ("FAKE_HELPER_MODE", script, TRUE);
  if (mode == MODE_SPAWN)
    {
      g_autofree char *value = g_strconcat ("spawn:", fake_helper, NULL);
      g_setenv ("WARD_HELPER", value, TRUE);
    }
  else
    {
      g_autofree char *path = g_build_filename (f->dir, "sock", NULL);
      g_autofree char *value = g_strconcat ("socket:", path, NULL);
      g_autoptr(GSubprocessLauncher) launcher = NULL;
      g_autoptr(GError) error = NULL;
      struct sockaddr_un addr = { .sun_family = AF_UNIX };
      int fd;

      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_assert_cmpint (fd, >=, 0);
      g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
      g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
      g_assert_cmpint (listen (fd, 1), ==, 0);

      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_subprocess_launcher_take_fd (launcher, fd, 3);
      f->server = g_subprocess_launcher_spawn (launcher, &error, fake_helper, "--listen-fd", "3",
                                               NULL);
      g_assert_no_error (error);
      g_setenv ("WARD_HELPER", value, TRUE);
    }
}

static GLogWriterOutput
count_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
          strstr (fields[i].value, "busy or not running") != NULL)
        unavailable_said++;
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

/* Another fake helper behind its own socket, in @mode, with its own record: returns
 * "socket:PATH" for WARD_HELPER. Its record is record<N> in the fixture's folder. */
static char *
start_server (Fixture *f, const char *mode)
{
  guint n = f->servers->len;
  g_autofree char *path = g_strdup_printf ("%s/sock%u", f->dir, n);
  g_autofree char *record = g_strdup_printf ("%s/record%u", f->dir, n);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  GSubprocess *server;
  int fd;

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (fd, 1), ==, 0);
  g_subprocess_launcher_setenv (launcher, "FAKE_HELPER_MODE", mode, TRUE);
  g_subprocess_launcher_setenv (launcher, "FAKE_HELPER_RECORD", record, TRUE);
  g_subprocess_launcher_take_fd (launcher, fd, 3);
  server = g_subprocess_launcher_spawn (launcher, &error, fake_helper, "--listen-fd", "3", NULL);
  g_assert_no_error (error);
  g_ptr_array_add (f->servers, server);
  return g_strconcat ("socket:", path, NULL);
}

static GKeyFile *
load_server_record (Fixture *f, guint n)
{
  g_autofree char *record = g_strdup_printf ("%s/record%u", f->dir, n);
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  /* The fake rewrites its record after each step; it may still be on its way. */
  for (int i = 0; i < 500 && !g_file_test (record, G_FILE_TEST_EXISTS); i++)
    g_usleep (10 * 1000);
  if (!g_key_file_load_from_file (kf, record, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_steal_pointer (&kf);
}

static void
on_request (WardSession *session, const char *prompt, gboolean echo_on, Fixture *f)
{
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);
  const char *answer;

  g_ptr_array_add (f->events, g_strdup_printf ("request:%d:%s", echo_on, prompt));
  if (f->cancel_on_request)
    {
      ward_session_cancel (session);
      return;
    }
  answer = f->next_reply < f->replies->len ? f->replies->pdata[f->next_reply++] : "";
  g_assert_true (ward_secret_append (secret, answer, strlen (answer)));
  if (f->respond_with_newline)
    g_assert_true (ward_secret_append (secret, "\nPAM_INJECTED", 13));
  ward_session_respond (session, secret);
  /* The session always clears the secret. */
  g_assert_cmpuint (ward_secret_len (secret), ==, 0);
}

static void
on_info (WardSession *session, const char *text, Fixture *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("info:%s", text));
}

static void
on_error (WardSession *session, const char *text, Fixture *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("error:%s", text));
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
on_completed (WardSession *session, gboolean gained, Fixture *f)
{
  f->completed++;
  f->result = gained;
  /* Let a second emission, if any, arrive before the loop ends. */
  g_timeout_add (200, quit_cb, f->loop);
  g_main_loop_quit (f->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_error ("the session did not complete in time");
  return G_SOURCE_REMOVE;
}

static void
run_session (Fixture *f, const char *user, const char *cookie)
{
  guint timeout;

  f->session = ward_session_new (user, cookie);
  g_signal_connect (f->session, "request", G_CALLBACK (on_request), f);
  g_signal_connect (f->session, "show-info", G_CALLBACK (on_info), f);
  g_signal_connect (f->session, "show-error", G_CALLBACK (on_error), f);
  g_signal_connect (f->session, "completed", G_CALLBACK (on_completed), f);
  g_assert_null (ward_session_get_helper_kind (f->session));
  ward_session_initiate (f->session);
  /* "completed" always comes from the main loop. */
  g_assert_cmpint (f->completed, ==, 0);
  timeout = g_timeout_add_seconds (20, on_timeout, NULL);
  g_main_loop_run (f->loop);
  /* Wait out the grace period for a (wrong) second emission. */
  g_main_loop_run (f->loop);
  g_source_remove (timeout);
  g_assert_cmpint (f->completed, ==, 1);
}

static GKeyFile *
load_record (Fixture *f)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (kf, f->record, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&kf);
}

static void
assert_events (Fixture *f, const char *const *expected)
{
  guint i;

  for (i = 0; expected[i] != NULL; i++)
    {
      g_assert_cmpuint (i, <, f->events->len);
      g_assert_cmpstr (f->events->pdata[i], ==, expected[i]);
    }
  g_assert_cmpuint (i, ==, f->events->len);
}

static void
test_ok (Fixture *f, HelperMode mode, const char *reply, gboolean expect)
{
  g_autoptr(GKeyFile) kf = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) replies = NULL;
  g_autofree char *user = NULL;
  g_autofree char *cookie = NULL;
  const char *events[] = { "info:Hello\nworld \342\234\223", "request:0:Password: ", NULL };

  use_helper (f, mode, "ok");
  g_ptr_array_add (f->replies, g_strdup (reply));
  run_session (f, "alice", "cookie-x");
  g_assert_cmpint (f->result, ==, expect);
  assert_events (f, events);
  g_assert_cmpstr (ward_session_get_helper_kind (f->session), ==,
                   mode == MODE_SPAWN ? "polkit-setuid" : "ward-socket");

  kf = load_record (f);
  user = g_key_file_get_string (kf, "helper", "user", NULL);
  cookie = g_key_file_get_string (kf, "helper", "cookie", NULL);
  argv = g_key_file_get_string_list (kf, "helper", "argv", NULL, NULL);
  replies = g_key_file_get_string_list (kf, "helper", "replies", NULL, NULL);
  g_assert_cmpstr (user, ==, "alice");
  g_assert_cmpstr (cookie, ==, "cookie-x");
  g_assert_nonnull (replies);
  g_assert_cmpuint (g_strv_length (replies), ==, 1);
  g_assert_cmpstr (replies[0], ==, reply);
  /* The cookie is never on argv: spawned helpers get [helper, user]. */
  if (mode == MODE_SPAWN)
    g_assert_cmpuint (g_strv_length (argv), ==, 2);
  for (guint i = 0; argv[i] != NULL; i++)
    g_assert_null (strstr (argv[i], "cookie-x"));
}

static void
test_spawn_right (Fixture *f, gconstpointer d)
{
  test_ok (f, MODE_SPAWN, "right", TRUE);
}

static void
test_spawn_wrong (Fixture *f, gconstpointer d)
{
  test_ok (f, MODE_SPAWN, "wrong", FALSE);
}

static void
test_socket_right (Fixture *f, gconstpointer d)
{
  test_ok (f, MODE_SOCKET, "right", TRUE);
}

static void
test_socket_wrong (Fixture *f, gconstpointer d)
{
  test_ok (f, MODE_SOCKET, "wrong", FALSE);
}

static void
test_multi (Fixture *f, gconstpointer d)
{
  const char *events[] = { "info:first info", "error:an error", "request:1:Name: ",
                           "request:0:Password: ", NULL };

  use_helper (f, GPOINTER_TO_INT (d), "multi");
  g_ptr_array_add (f->replies, g_strdup ("me"));
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_true (f->result);
  assert_events (f, events);
}

static void
test_split (Fixture *f, gconstpointer d)
{
  const char *events[] = { "request:0:Pass\tword: ", NULL };

  use_helper (f, GPOINTER_TO_INT (d), "split");
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_true (f->result);
  assert_events (f, events);
}

/* Anything the helper could not have written ends the session with failure, once. */
static void
test_bad (Fixture *f, const char *script, HelperMode mode)
{
  use_helper (f, mode, script);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
}

#define BAD_TEST(name, script)                                                  \
  static void test_##name##_spawn (Fixture *f, gconstpointer d)                 \
  { test_bad (f, script, MODE_SPAWN); }                                         \
  static void test_##name##_socket (Fixture *f, gconstpointer d)                \
  { test_bad (f, script, MODE_SOCKET); }

BAD_TEST (garbage, "garbage")
BAD_TEST (huge, "huge")
BAD_TEST (nul, "nul")
BAD_TEST (bad_escape, "bad-escape")
BAD_TEST (truncated, "truncated")
BAD_TEST (die, "die")
BAD_TEST (exit_now, "exit-now")

static void
test_success_then_more (Fixture *f, gconstpointer d)
{
  use_helper (f, MODE_SOCKET, "success-then-more");
  run_session (f, "alice", "cookie-x");
  /* SUCCESS ends the conversation; what follows is never read. */
  g_assert_true (f->result);
  g_assert_cmpuint (f->events->len, ==, 0);
}

static gboolean
pid_alive (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  p = strrchr (stat, ')');
  return p != NULL && p[2] != 'Z';
}

static void
test_cancel (Fixture *f, gconstpointer d)
{
  HelperMode mode = GPOINTER_TO_INT (d);
  g_autoptr(GKeyFile) kf = NULL;
  GPid pid;

  use_helper (f, mode, "hang");
  f->cancel_on_request = TRUE;
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
  ward_session_cancel (f->session);
  ward_session_cancel (f->session);

  kf = load_record (f);
  pid = g_key_file_get_integer (kf, "helper", "pid", NULL);
  g_assert_cmpint (pid, >, 0);
  /* The spawned helper gets SIGTERM; the socket helper sees end-of-file and leaves. */
  for (int i = 0; i < 500 && pid_alive (pid); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  g_assert_false (pid_alive (pid));
  g_assert_cmpint (f->completed, ==, 1);
}

static void
test_reply_with_newline (Fixture *f, gconstpointer d)
{
  g_autoptr(GKeyFile) kf = NULL;
  g_autofree char *after = NULL;

  use_helper (f, MODE_SOCKET, "hang");
  f->respond_with_newline = TRUE;
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);

  /* Nothing of the reply reached the helper: it saw the connection close. */
  for (int i = 0; i < 500; i++)
    {
      g_clear_pointer (&kf, g_key_file_unref);
      kf = load_record (f);
      if (g_key_file_has_key (kf, "helper", "after_hang", NULL))
        break;
      g_usleep (10 * 1000);
    }
  g_assert_true (g_key_file_has_key (kf, "helper", "after_hang", NULL));
  after = g_key_file_get_string (kf, "helper", "after_hang", NULL);
  g_assert_cmpstr (after, ==, "<EOF>");
}

static void
test_no_helper (Fixture *f, gconstpointer d)
{
  g_setenv ("WARD_HELPER", "socket:/nonexistent/ward-test.socket", TRUE);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
}

static void
test_no_spawn (Fixture *f, gconstpointer d)
{
  g_setenv ("WARD_HELPER", "spawn:/nonexistent/ward-helper", TRUE);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
}

static void
test_bad_override (Fixture *f, gconstpointer d)
{
  g_setenv ("WARD_HELPER", "tcp:127.0.0.1:1", TRUE);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
}

static void
test_bad_cookie (Fixture *f, gconstpointer d)
{
  use_helper (f, MODE_SPAWN, "ok");
  run_session (f, "alice", "cookie\nPAM_INJECTED");
  g_assert_false (f->result);
  /* The helper was never started. */
  g_assert_false (g_file_test (f->record, G_FILE_TEST_EXISTS));
}

static void
test_cookie_not_polkits (Fixture *f, gconstpointer d)
{
  const char *cookies[] = { "c\xff", "cookie;id", "", "cookie x" };

  for (gsize i = 0; i < G_N_ELEMENTS (cookies); i++)
    {
      use_helper (f, MODE_SPAWN, "ok");
      f->completed = 0;
      run_session (f, "alice", cookies[i]);
      g_assert_false (f->result);
      g_assert_cmpstr (ward_session_get_helper_kind (f->session), ==, "none");
      g_assert_false (g_file_test (f->record, G_FILE_TEST_EXISTS));
      g_clear_object (&f->session);
    }
  use_helper (f, MODE_SPAWN, "ok");
  f->completed = 0;
  run_session (f, "ali\x1b[2Jce", "cookie-x");
  g_assert_false (f->result);
  g_assert_false (g_file_test (f->record, G_FILE_TEST_EXISTS));
}

static void
test_cancel_before_initiate_output (Fixture *f, gconstpointer d)
{
  /* Cancel right after initiate: completed(FALSE) once, no later signal. */
  use_helper (f, MODE_SPAWN, "ok");
  f->session = ward_session_new ("alice", "cookie-x");
  g_signal_connect (f->session, "request", G_CALLBACK (on_request), f);
  g_signal_connect (f->session, "completed", G_CALLBACK (on_completed), f);
  ward_session_initiate (f->session);
  ward_session_cancel (f->session);
  g_assert_cmpint (f->completed, ==, 1);
  g_main_loop_run (f->loop);
  g_assert_cmpint (f->completed, ==, 1);
  g_assert_cmpuint (f->events->len, ==, 0);
}

/* S5: a helper that ends the connection before saying anything was not available; the attempt
 * moves on to the next helper, says so once, and is not a failed attempt. */
static void
test_fallback (Fixture *f, gconstpointer d)
{
  const char *mode = d;
  g_autofree char *first = start_server (f, mode);
  g_autofree char *second = start_server (f, "accept-close");
  g_autofree char *third = start_server (f, "ok");
  g_autofree char *list = g_strjoin (",", first, second, third, NULL);
  const char *events[] = { "info:Hello\nworld \342\234\223", "request:0:Password: ", NULL };
  g_autoptr(GKeyFile) kf = NULL;
  g_autofree char *cookie = NULL;

  g_setenv ("WARD_HELPER", list, TRUE);
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_true (f->result);
  assert_events (f, events);
  g_assert_cmpuint (unavailable_said, ==, 1);
  kf = load_server_record (f, 2);
  g_assert_nonnull (kf);
  cookie = g_key_file_get_string (kf, "helper", "cookie", NULL);
  g_assert_cmpstr (cookie, ==, "cookie-x");
}

/* Nothing left after the helpers that closed: no helper ("none"), said once, completed once. */
static void
test_fallback_none_left (Fixture *f, gconstpointer d)
{
  g_autofree char *first = start_server (f, "accept-close");
  g_autofree char *second = start_server (f, "accept-close");
  g_autofree char *list = g_strjoin (",", first, second, NULL);

  g_setenv ("WARD_HELPER", list, TRUE);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
  g_assert_cmpstr (ward_session_get_helper_kind (f->session), ==, "none");
  g_assert_cmpuint (unavailable_said, ==, 1);
  g_assert_cmpuint (f->events->len, ==, 0);
}

/* A helper that has spoken and then dies fails the attempt: no fallback. */
static void
test_no_fallback_after_a_word (Fixture *f, gconstpointer d)
{
  g_autofree char *first = start_server (f, "die");
  g_autofree char *second = start_server (f, "ok");
  g_autofree char *list = g_strjoin (",", first, second, NULL);
  g_autofree char *record = g_strdup_printf ("%s/record1", f->dir);

  g_setenv ("WARD_HELPER", list, TRUE);
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
  g_assert_cmpstr (ward_session_get_helper_kind (f->session), ==, "ward-socket");
  g_assert_cmpuint (unavailable_said, ==, 0);
  g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
}

/* S6: a connection prepared before the request is the one the conversation uses. The fake
 * accepts exactly one connection and then stops listening, so a second one would be refused. */
static void
test_prepared_used (Fixture *f, gconstpointer d)
{
  g_autofree char *first = start_server (f, "ok");
  const char *events[] = { "info:Hello\nworld \342\234\223", "request:0:Password: ", NULL };
  g_autoptr(GKeyFile) kf = NULL;

  g_setenv ("WARD_HELPER", first, TRUE);
  g_assert_true (ward_session_prepare_helper ());
  /* Prepared twice is prepared once. */
  g_assert_true (ward_session_prepare_helper ());
  /* Let the fake accept it and stop listening. */
  g_usleep (300 * 1000);
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_true (f->result);
  assert_events (f, events);
  g_assert_cmpuint (unavailable_said, ==, 0);
  kf = load_server_record (f, 0);
  g_assert_nonnull (kf);
  /* Used: the next conversation has none (a fresh connection is refused: nobody listens). */
  g_clear_object (&f->session);
  f->completed = 0;
  g_ptr_array_set_size (f->events, 0);
  run_session (f, "alice", "cookie-x");
  g_assert_false (f->result);
  g_assert_cmpstr (ward_session_get_helper_kind (f->session), ==, "none");
}

/* S6: a prepared connection the helper dropped (at once, or just as the request came) is
 * replaced by a fresh one to the same socket, without a notice and without a failed attempt. */
static void
test_prepared_gone (Fixture *f, gconstpointer d)
{
  const char *mode = d;
  g_autofree char *first = start_server (f, mode);
  const char *events[] = { "info:Hello\nworld \342\234\223", "request:0:Password: ", NULL };
  g_autoptr(GKeyFile) kf = NULL;
  g_autofree char *state = NULL;

  g_setenv ("WARD_HELPER", first, TRUE);
  g_assert_true (ward_session_prepare_helper ());
  g_usleep (300 * 1000);
  g_ptr_array_add (f->replies, g_strdup ("right"));
  run_session (f, "alice", "cookie-x");
  g_assert_true (f->result);
  assert_events (f, events);
  g_assert_cmpuint (unavailable_said, ==, 0);
  kf = load_server_record (f, 0);
  g_assert_nonnull (kf);
  state = g_key_file_get_string (kf, "helper", "first", NULL);
  g_assert_cmpstr (state, ==, "closed");
}

/* Only a socket is prepared (S6). */
static void
test_prepared_not_for_spawn (Fixture *f, gconstpointer d)
{
  g_autofree char *value = g_strconcat ("spawn:", fake_helper, NULL);

  g_setenv ("WARD_HELPER", value, TRUE);
  g_assert_false (ward_session_prepare_helper ());
  g_setenv ("WARD_HELPER", "socket:/nonexistent/ward-test.socket", TRUE);
  g_assert_false (ward_session_prepare_helper ());
  ward_session_drop_prepared_helper ();
}

/* The prompts agents replace by their own translated "Password:", and those they show as PAM
 * sent them. */
static void
test_default_prompt (void)
{
  g_assert_true (ward_session_prompt_is_default (NULL));
  g_assert_true (ward_session_prompt_is_default (""));
  g_assert_true (ward_session_prompt_is_default ("Password:"));
  g_assert_true (ward_session_prompt_is_default ("Password: "));
  g_assert_false (ward_session_prompt_is_default ("Password:  "));
  g_assert_false (ward_session_prompt_is_default ("password:"));
  g_assert_false (ward_session_prompt_is_default ("Passwort: "));
  g_assert_false (ward_session_prompt_is_default ("Password for alice: "));
  g_assert_false (ward_session_prompt_is_default ("PIN: "));
}

int
main (int argc, char *argv[])
{
  const char *root = g_getenv ("WARD_SOURCE_ROOT");

  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);
  g_log_set_writer_func (count_writer, NULL, NULL);

  if (argc > 1)
    fake_helper = g_strdup (argv[1]);
  else if (root != NULL)
    fake_helper = g_build_filename (root, "tests", "helper", "fake-helper.py", NULL);
  else
    fake_helper = g_strdup ("tests/helper/fake-helper.py");

#define ADD(path, fn, data) \
  g_test_add ("/session/" path, Fixture, (gconstpointer) (data), fixture_set_up, fn, \
              fixture_tear_down)
  ADD ("spawn/right", test_spawn_right, 0);
  ADD ("spawn/wrong", test_spawn_wrong, 0);
  ADD ("socket/right", test_socket_right, 0);
  ADD ("socket/wrong", test_socket_wrong, 0);
  ADD ("spawn/multi", test_multi, MODE_SPAWN);
  ADD ("socket/multi", test_multi, MODE_SOCKET);
  ADD ("spawn/split-reads", test_split, MODE_SPAWN);
  ADD ("socket/split-reads", test_split, MODE_SOCKET);
  ADD ("spawn/garbage", test_garbage_spawn, 0);
  ADD ("socket/garbage", test_garbage_socket, 0);
  ADD ("spawn/huge-line", test_huge_spawn, 0);
  ADD ("socket/huge-line", test_huge_socket, 0);
  ADD ("spawn/nul", test_nul_spawn, 0);
  ADD ("socket/nul", test_nul_socket, 0);
  ADD ("spawn/bad-escape", test_bad_escape_spawn, 0);
  ADD ("socket/bad-escape", test_bad_escape_socket, 0);
  ADD ("spawn/truncated", test_truncated_spawn, 0);
  ADD ("socket/truncated", test_truncated_socket, 0);
  ADD ("spawn/dies", test_die_spawn, 0);
  ADD ("socket/dies", test_die_socket, 0);
  ADD ("spawn/exits-at-once", test_exit_now_spawn, 0);
  ADD ("socket/exits-at-once", test_exit_now_socket, 0);
  ADD ("socket/success-then-more", test_success_then_more, 0);
  ADD ("spawn/cancel", test_cancel, MODE_SPAWN);
  ADD ("socket/cancel", test_cancel, MODE_SOCKET);
  ADD ("spawn/cancel-at-once", test_cancel_before_initiate_output, 0);
  ADD ("socket/reply-with-newline", test_reply_with_newline, 0);
  ADD ("no-helper/socket", test_no_helper, 0);
  ADD ("no-helper/spawn", test_no_spawn, 0);
  ADD ("no-helper/bad-override", test_bad_override, 0);
  ADD ("spawn/cookie-not-a-line", test_bad_cookie, 0);
  ADD ("spawn/not-polkits-cookie", test_cookie_not_polkits, 0);
  ADD ("fallback/accept-close", test_fallback, "accept-close");
  ADD ("fallback/closed-after-request", test_fallback, "exit-now");
  ADD ("fallback/none-left", test_fallback_none_left, 0);
  ADD ("fallback/not-after-a-word", test_no_fallback_after_a_word, 0);
  ADD ("prepared/used", test_prepared_used, 0);
  ADD ("prepared/gone", test_prepared_gone, "first-closed");
  ADD ("prepared/gone-as-the-request-came", test_prepared_gone, "first-closed-after-request");
  ADD ("prepared/not-for-spawn", test_prepared_not_for_spawn, 0);
  g_test_add_func ("/session/default-prompt", test_default_prompt);

  return g_test_run ();
}
