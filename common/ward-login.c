/* ward-login.c: logind session lookup from the cgroup and logind's state files. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/vfs.h>

#include "ward-file.h"
#include "ward-login.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* Both files are small; anything longer is not what logind or the kernel writes. */
#define MAX_FILE_SIZE (64 * 1024)

gboolean
ward_login_session_id_is_valid (const char *session_id)
{
  if (session_id == NULL || session_id[0] == '\0' || strlen (session_id) > 64)
    return FALSE;
  for (const char *p = session_id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

/* systemd escapes cgroup names that could clash with kernel files by prefixing '_'. */
static const char *
cg_unescape (const char *name)
{
  return name[0] == '_' ? name + 1 : name;
}

gboolean
ward_login_unit_name_is_valid (const char *name)
{
  if (name == NULL || name[0] == '\0' || strlen (name) > 255)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr (":-_.\\@", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_slice (const char *component)
{
  const char *name = cg_unescape (component);

  return strlen (name) > strlen (".slice") && g_str_has_suffix (name, ".slice") &&
         ward_login_unit_name_is_valid (name) && strchr (name, '@') == NULL;
}

static char *
session_from_path (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);

  for (char **p = parts; *p != NULL; p++)
    {
      if ((*p)[0] == '\0' || is_slice (*p))
        continue;

      /* The first unit below the slices decides: a session scope, or no session at all. */
      const char *unit = cg_unescape (*p);
      if (!ward_login_unit_name_is_valid (unit) || !g_str_has_prefix (unit, "session-") ||
          !g_str_has_suffix (unit, ".scope"))
        return NULL;

      g_autofree char *id = g_strndup (unit + strlen ("session-"),
                                       strlen (unit) - strlen ("session-") - strlen (".scope"));
      return ward_login_session_id_is_valid (id) ? g_steal_pointer (&id) : NULL;
    }
  return NULL;
}

char *
ward_login_session_from_cgroup (const char *contents, gboolean unified)
{
  if (contents == NULL)
    return NULL;

  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      /* hierarchy-id:controller-list:path; the path may itself contain ':'. */
      char *first = strchr (*l, ':');
      if (first == NULL)
        continue;
      char *second = strchr (first + 1, ':');
      if (second == NULL)
        continue;

      g_autofree char *id = g_strndup (*l, first - *l);
      g_autofree char *controllers = g_strndup (first + 1, second - first - 1);
      const char *path = second + 1;

      gboolean wanted;
      if (unified)
        wanted = strcmp (id, "0") == 0 && controllers[0] == '\0';
      else
        {
          g_auto (GStrv) names = g_strsplit (controllers, ",", -1);
          wanted = g_strv_contains ((const char *const *) names, "name=systemd");
        }
      if (wanted)
        return path[0] == '/' ? session_from_path (path) : NULL;
    }
  return NULL;
}

char *
ward_login_display_from_user_file (const char *contents)
{
  if (contents == NULL)
    return NULL;

  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      if (!g_str_has_prefix (*l, "DISPLAY="))
        continue;
      g_autofree char *value = g_strdup (*l + strlen ("DISPLAY="));
      g_strstrip (value);
      return ward_login_session_id_is_valid (value) ? g_steal_pointer (&value) : NULL;
    }
  return NULL;
}

static gboolean
fs_is (const char *path, long magic)
{
  struct statfs st;

  return statfs (path, &st) == 0 && (long) st.f_type == magic;
}

/* As systemd decides which hierarchy holds its own cgroups: v2 when /sys/fs/cgroup is cgroup2
 * (unified) or when a tmpfs there carries a cgroup2 "unified" (hybrid) or "systemd" mount. */
static gboolean
systemd_hierarchy_is_unified (void)
{
  if (fs_is ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
    return TRUE;
  if (!fs_is ("/sys/fs/cgroup", TMPFS_MAGIC))
    return FALSE;
  return fs_is ("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC) ||
         fs_is ("/sys/fs/cgroup/systemd", CGROUP2_SUPER_MAGIC);
}

static char *
read_small_file (const char *path)
{
  gsize length = 0;
  g_autofree char *contents = ward_file_read_bounded (AT_FDCWD, path, MAX_FILE_SIZE + 1, &length);

  if (contents == NULL || length > MAX_FILE_SIZE || memchr (contents, '\0', length) != NULL)
    return NULL;
  return g_steal_pointer (&contents);
}

char *
ward_login_pid_get_session (pid_t pid)
{
  g_autofree char *path = pid == 0 ? g_strdup ("/proc/self/cgroup")
                                   : g_strdup_printf ("/proc/%d/cgroup", (int) pid);
  g_autofree char *contents = read_small_file (path);

  return ward_login_session_from_cgroup (contents, systemd_hierarchy_is_unified ());
}

char *
ward_login_uid_get_display (uid_t uid)
{
  g_autofree char *path = g_strdup_printf ("/run/systemd/users/%u", (unsigned) uid);
  g_autofree char *contents = read_small_file (path);

  return ward_login_display_from_user_file (contents);
}
