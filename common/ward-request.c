/* ward-request.c: what an agent knows about a request, and who is asking (see ward-request.h).
 *
 * Formats follow polkitd 122: identities are a(sa{sv}) with ("unix-user", {"uid": <uint32>}),
 * ("unix-group", {"gid": <uint32>}) or ("unix-netgroup", {"name": <string>})
 * (polkit_identity_to_gvariant), and the details carry "polkit.caller-pid" and
 * "polkit.subject-pid" as "%d" strings (add_pid in polkitbackendinteractiveauthority.c).
 */
#include "config.h"

#include "ward-file.h"
#include "ward-request.h"
#include "ward-text.h"

#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/cmdline is read up to this size: plenty for context, bounded for memory. */
#define CMDLINE_READ_MAX (64 * 1024)
/* /proc/PID/status is about 1.5 KiB. */
#define STATUS_READ_MAX (16 * 1024)

gboolean
ward_parse_uint32 (const char *text, guint32 *out)
{
  guint64 value = 0;
  const char *p;

  if (text == NULL || text[0] == '\0')
    return FALSE;
  /* No leading zeros: polkitd and the kernel never write them, so they mean tampering. */
  if (text[0] == '0' && text[1] != '\0')
    return FALSE;

  for (p = text; *p != '\0'; p++)
    {
      if (*p < '0' || *p > '9')
        return FALSE;
      value = value * 10 + (guint64) (*p - '0');
      if (value > G_MAXUINT32)
        return FALSE;
    }

  if (out != NULL)
    *out = (guint32) value;
  return TRUE;
}

/* Looks a user up; returns NULL when unknown. */
static char *
lookup_user_name (guint32 uid, char **gecos_out)
{
  g_autofree char *buf = NULL;
  gsize buf_size = 4096;
  struct passwd pwd;
  struct passwd *result = NULL;
  int r;

  for (;;)
    {
      g_free (buf);
      buf = g_malloc (buf_size);
      r = getpwuid_r ((uid_t) uid, &pwd, buf, buf_size, &result);
      if (r != ERANGE || buf_size >= 1024 * 1024)
        break;
      buf_size *= 2;
    }

  if (r != 0 || result == NULL)
    return NULL;

  if (gecos_out != NULL)
    *gecos_out = g_strdup (pwd.pw_gecos);
  return g_strdup (pwd.pw_name);
}

static void
ward_identity_free (WardIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->name);
  g_free (identity->name_display);
  g_free (identity->gecos_display);
  g_free (identity);
}

static WardIdentity *
ward_identity_new (guint32 uid)
{
  WardIdentity *identity = g_new0 (WardIdentity, 1);
  g_autofree char *gecos = NULL;

  identity->uid = uid;
  identity->name = lookup_user_name (uid, &gecos);
  if (identity->name != NULL)
    identity->name_display = ward_text_sanitize (identity->name, -1, WARD_TEXT_MAX_NAME,
                                                 WARD_TEXT_SINGLE_LINE);
  else
    identity->name_display = g_strdup_printf ("%" G_GUINT32_FORMAT, uid);

  if (gecos != NULL)
    {
      /* The full name is the first comma-separated field (room, phones follow). */
      const char *comma = strchr (gecos, ',');
      gssize field_len = comma != NULL ? comma - gecos : -1;
      g_autofree char *display = ward_text_sanitize (gecos, field_len, WARD_TEXT_MAX_NAME,
                                                     WARD_TEXT_SINGLE_LINE);

      g_strstrip (display);
      if (display[0] != '\0')
        identity->gecos_display = g_steal_pointer (&display);
    }

  return identity;
}

/* The real uid from the "Uid:" line of /proc/PID/status; -1 when missing or malformed. */
static gint64
parse_status_uid (const char *status)
{
  const char *line = status;

  while (line != NULL && *line != '\0')
    {
      const char *end = strchr (line, '\n');

      if (g_str_has_prefix (line, "Uid:\t"))
        {
          const char *start = line + strlen ("Uid:\t");
          const char *tab = strchr (start, '\t');
          g_autofree char *field = NULL;
          guint32 uid;

          if (tab == NULL || (end != NULL && tab > end))
            return -1;
          field = g_strndup (start, (gsize) (tab - start));
          return ward_parse_uint32 (field, &uid) ? (gint64) uid : -1;
        }
      line = end != NULL ? end + 1 : NULL;
    }
  return -1;
}

void
ward_requester_free (WardRequester *requester)
{
  if (requester == NULL)
    return;
  g_free (requester->user_display);
  g_free (requester->cmdline_display);
  g_free (requester);
}

WardRequester *
ward_requester_new_for_pid (guint32 pid)
{
  g_autoptr(WardRequester) requester = g_new0 (WardRequester, 1);
  g_autofree char *dir_path = NULL;
  g_autofree char *status = NULL;
  g_autofree char *cmdline = NULL;
  gsize len;
  int dir_fd;

  requester->pid = pid;
  requester->uid = -1;
  if (pid == 0)
    return g_steal_pointer (&requester);

  /* One directory fd, so cmdline and status come from the same process even if the pid is
   * reused meanwhile (then both fail with ESRCH). */
  dir_path = g_strdup_printf ("/proc/%" G_GUINT32_FORMAT, pid);
  dir_fd = open (dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dir_fd < 0)
    return g_steal_pointer (&requester);

  status = ward_file_read_bounded (dir_fd, "status", STATUS_READ_MAX, &len);
  if (status != NULL)
    requester->uid = parse_status_uid (status);

  cmdline = ward_file_read_bounded (dir_fd, "cmdline", CMDLINE_READ_MAX, &len);
  if (cmdline != NULL && len > 0)
    requester->cmdline_display = ward_cmdline_format (cmdline, len, WARD_TEXT_MAX_MESSAGE);
  close (dir_fd);

  if (requester->uid >= 0)
    {
      g_autofree char *name = lookup_user_name ((guint32) requester->uid, NULL);

      if (name != NULL)
        requester->user_display = ward_text_sanitize (name, -1, WARD_TEXT_MAX_NAME,
                                                      WARD_TEXT_SINGLE_LINE);
      else
        requester->user_display = g_strdup_printf ("%" G_GINT64_FORMAT, requester->uid);
    }

  return g_steal_pointer (&requester);
}

/* Whether a shell would take @arg as one plain word; anything else is single-quoted. */
static gboolean
arg_needs_quoting (const char *arg, gsize len)
{
  if (len == 0)
    return TRUE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) arg[i];

      if (g_ascii_isalnum (c) || c >= 0x80 || strchr ("_-+=:,./@%", c) != NULL)
        continue;
      return TRUE;
    }
  return FALSE;
}

char *
ward_cmdline_format (const char *raw, gsize len, gsize max_chars)
{
  g_autoptr(GString) joined = NULL;
  gsize start = 0;

  if (raw == NULL || len == 0)
    return NULL;

  /* The kernel ends each argument with a NUL; the last one's NUL does not begin another. */
  if (raw[len - 1] == '\0')
    len--;

  joined = g_string_sized_new (MIN (len, 4096) + 16);
  for (;;)
    {
      const char *arg = raw + start;
      const char *nul = memchr (arg, '\0', len - start);
      gsize arg_len = nul != NULL ? (gsize) (nul - arg) : len - start;

      if (start > 0)
        g_string_append_c (joined, ' ');

      if (!arg_needs_quoting (arg, arg_len))
        {
          g_string_append_len (joined, arg, (gssize) arg_len);
        }
      else
        {
          /* POSIX single quotes: nothing inside is special but the quote itself. */
          g_string_append_c (joined, '\'');
          for (gsize i = 0; i < arg_len; i++)
            {
              if (arg[i] == '\'')
                g_string_append (joined, "'\\''");
              else
                g_string_append_c (joined, arg[i]);
            }
          g_string_append_c (joined, '\'');
        }

      if (nul == NULL)
        break;
      start += arg_len + 1;
    }

  return ward_text_sanitize (joined->str, (gssize) joined->len, max_chars, WARD_TEXT_SHOW_BREAKS);
}

void
ward_request_free (WardRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->action_id);
  g_free (request->message);
  g_free (request->message_display);
  g_free (request->icon_name);
  if (request->cookie != NULL)
    explicit_bzero (request->cookie, strlen (request->cookie));
  g_free (request->cookie);
  g_clear_pointer (&request->details, g_hash_table_unref);
  g_clear_pointer (&request->identities, g_ptr_array_unref);
  ward_requester_free (request->requester);
  g_free (request);
}

static void
add_identities (WardRequest *request, GVariant *identities)
{
  GVariantIter iter;
  GVariant *child;

  if (identities == NULL || !g_variant_is_of_type (identities, G_VARIANT_TYPE ("a(sa{sv})")))
    return;

  g_variant_iter_init (&iter, identities);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) entry = child;
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) uid_value = NULL;
      const char *kind = NULL;

      g_variant_get (entry, "(&s@a{sv})", &kind, &props);
      if (g_strcmp0 (kind, "unix-user") != 0)
        continue;

      /* polkitd sends the uid as uint32 and nothing else; anything else is skipped. */
      uid_value = g_variant_lookup_value (props, "uid", G_VARIANT_TYPE_UINT32);
      if (uid_value == NULL)
        continue;

      g_ptr_array_add (request->identities, ward_identity_new (g_variant_get_uint32 (uid_value)));
    }
}

static guint32
requester_pid (GHashTable *details)
{
  static const char *const keys[] = { "polkit.subject-pid", "polkit.caller-pid" };

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = g_hash_table_lookup (details, keys[i]);
      guint32 pid;

      if (value != NULL && ward_parse_uint32 (value, &pid) && pid > 0)
        return pid;
    }
  return 0;
}

WardRequest *
ward_request_new (const char *action_id, const char *message, const char *icon_name,
                  GVariant *details, const char *cookie, GVariant *identities)
{
  WardRequest *request = g_new0 (WardRequest, 1);

  request->action_id = g_strdup (action_id != NULL ? action_id : "");
  request->message = g_strdup (message != NULL ? message : "");
  /* Invariant 3: the message is shown above ward's own "Action:" and "Requested by:" lines, and
   * mechanisms put untrusted text in it (pkexec's program path): a line break in it must not
   * start a line that looks like one of those. */
  request->message_display = ward_text_sanitize (request->message, -1, WARD_TEXT_MAX_MESSAGE,
                                                 WARD_TEXT_SHOW_BREAKS);
  request->icon_name = g_strdup (icon_name != NULL ? icon_name : "");
  request->cookie = g_strdup (cookie != NULL ? cookie : "");
  request->details = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  request->identities = g_ptr_array_new_with_free_func ((GDestroyNotify) ward_identity_free);

  if (details != NULL && g_variant_is_of_type (details, G_VARIANT_TYPE ("a{ss}")))
    {
      GVariantIter iter;
      const char *key;
      const char *value;

      g_variant_iter_init (&iter, details);
      while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
        g_hash_table_replace (request->details, g_strdup (key), g_strdup (value));
    }

  add_identities (request, identities);

  /* Never NULL: pid 0 and unknown fields when polkitd named no process. */
  request->requester = ward_requester_new_for_pid (requester_pid (request->details));
  return request;
}

guint
ward_request_default_identity (const WardRequest *request, guint32 invoking_uid)
{
  g_return_val_if_fail (request != NULL, 0);

  for (guint i = 0; i < request->identities->len; i++)
    {
      const WardIdentity *identity = g_ptr_array_index (request->identities, i);

      if (identity->uid == invoking_uid)
        return i;
    }
  for (guint i = 0; i < request->identities->len; i++)
    {
      const WardIdentity *identity = g_ptr_array_index (request->identities, i);

      if (identity->uid == 0)
        return i;
    }
  return 0;
}
