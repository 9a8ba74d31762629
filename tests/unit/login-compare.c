/* login-compare.c: differential check of common/ward-login against libsystemd itself. For every
 * process in /proc (sd_pid_get_session) and every user logind describes in /run/systemd/users
 * (sd_uid_get_display), both must give the same answer. Prints one line per disagreement and a
 * summary; exit 0 when they all agree, 1 otherwise. With --expect-session ID, also fails unless
 * at least one process was found in session ID (so a world test cannot pass vacuously). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "ward-login.h"

/* libsystemd's answer as a GLib string: NULL when it found none (r < 0). */
static char *
g_from_sd (int r, char *s)
{
  char *copy = r < 0 ? NULL : g_strdup (s);
  free (s);
  return copy;
}

static char *
sd_session_of (pid_t pid)
{
  char *s = NULL;
  int r = sd_pid_get_session (pid, &s);
  return g_from_sd (r, s);
}

static char *
sd_display_of (uid_t uid)
{
  char *s = NULL;
  int r = sd_uid_get_display (uid, &s);
  return g_from_sd (r, s);
}

static gboolean
pid_exists (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d", (int) pid);
  struct stat st;
  return stat (path, &st) == 0;
}

int
main (int argc, char **argv)
{
  const char *expect = argc == 3 && strcmp (argv[1], "--expect-session") == 0 ? argv[2] : NULL;
  guint pids = 0, in_session = 0, expected_seen = 0, users = 0, failures = 0;

  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_assert_nonnull (proc);
  for (const char *name; (name = g_dir_read_name (proc)) != NULL;)
    {
      if (strspn (name, "0123456789") != strlen (name))
        continue;
      pid_t pid = (pid_t) atoi (name);
      g_autofree char *a = sd_session_of (pid);
      g_autofree char *b = ward_login_pid_get_session (pid);
      if (!pid_exists (pid))
        continue; /* exited between the two reads */
      pids++;
      if (g_strcmp0 (a, b) != 0)
        {
          printf ("pid %d: libsystemd %s, ward %s\n", (int) pid, a ? a : "(none)",
                  b ? b : "(none)");
          failures++;
        }
      if (a != NULL)
        in_session++;
      if (expect != NULL && g_strcmp0 (b, expect) == 0)
        expected_seen++;
    }

  g_autoptr (GDir) run = g_dir_open ("/run/systemd/users", 0, NULL);
  for (const char *name; run != NULL && (name = g_dir_read_name (run)) != NULL;)
    {
      if (strspn (name, "0123456789") != strlen (name))
        continue;
      uid_t uid = (uid_t) strtoul (name, NULL, 10);
      g_autofree char *a = sd_display_of (uid);
      g_autofree char *b = ward_login_uid_get_display (uid);
      users++;
      if (g_strcmp0 (a, b) != 0)
        {
          printf ("uid %u: libsystemd display %s, ward %s\n", (unsigned) uid, a ? a : "(none)",
                  b ? b : "(none)");
          failures++;
        }
    }
  /* Users logind knows nothing about. */
  for (uid_t uid = 0; uid < 5; uid++)
    {
      g_autofree char *a = sd_display_of (uid + 60000);
      g_autofree char *b = ward_login_uid_get_display (uid + 60000);
      if (g_strcmp0 (a, b) != 0)
        failures++;
    }

  printf ("%u processes (%u in a session), %u users compared; %u disagreements\n", pids,
          in_session, users, failures);
  if (expect != NULL)
    {
      printf ("%u processes in session %s\n", expected_seen, expect);
      if (expected_seen == 0)
        failures++;
    }
  return failures == 0 && pids > 0 ? 0 : 1;
}
