/* ward-secret.c: the only type that holds a password (see ward-secret.h for the rules).
 *
 * Layout: one private anonymous mapping per secret. The bytes start at the first page (so they
 * are page-aligned and never share a page with anything malloc() hands out); the bookkeeping
 * struct sits after them in the same mapping, so the whole thing is locked, excluded from core
 * dumps and wiped as one.
 */
#include "config.h"

#include "ward-secret.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct _WardSecret {
  char *bytes;       /* start of the mapping; capacity + 1 bytes usable */
  gsize len;
  gsize capacity;
  gsize map_size;    /* whole mapping, a multiple of the page size */
  gboolean locked;
};

/* The system calls themselves: sanitizer runtimes intercept mlock() and report success without
 * locking anything, which would make ward_secret_is_locked() lie in exactly the builds that
 * test it. */
static gboolean
lock_pages (void *addr, gsize len)
{
#ifdef SYS_mlock
  return syscall (SYS_mlock, addr, len) == 0;
#else
  return mlock (addr, len) == 0;
#endif
}

static void
unlock_pages (void *addr, gsize len)
{
#ifdef SYS_munlock
  (void) syscall (SYS_munlock, addr, len);
#else
  (void) munlock (addr, len);
#endif
}

static gsize
round_up (gsize value, gsize to)
{
  return (value + to - 1) / to * to;
}

WardSecret *
ward_secret_new (gsize capacity)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize struct_offset;
  gsize map_size;
  void *map;
  WardSecret *secret;

  /* Refuse sizes whose arithmetic would wrap; a password never comes close. */
  g_return_val_if_fail (capacity < G_MAXSIZE / 4, NULL);

  struct_offset = round_up (capacity + 1, G_ALIGNOF (WardSecret));
  map_size = round_up (struct_offset + sizeof (WardSecret), page);

  map = mmap (NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    g_error ("Could not map %" G_GSIZE_FORMAT " bytes for a secret: %s", map_size,
             g_strerror (errno));

  secret = (WardSecret *) ((char *) map + struct_offset);
  secret->bytes = map;
  secret->len = 0;
  secret->capacity = capacity;
  secret->map_size = map_size;

  /* Keep the password out of swap when the limits allow it (RLIMIT_MEMLOCK may be small for
   * unprivileged users); carry on without it otherwise. */
  secret->locked = lock_pages (map, map_size);

#ifdef MADV_DONTDUMP
  /* Keep it out of core dumps too; failure only loses that extra protection. */
  (void) madvise (map, map_size, MADV_DONTDUMP);
#endif

  secret->bytes[0] = '\0';
  return secret;
}

void
ward_secret_free (WardSecret *secret)
{
  void *map;
  gsize map_size;
  gboolean locked;

  if (secret == NULL)
    return;

  map = secret->bytes;
  map_size = secret->map_size;
  locked = secret->locked;

  /* Wipes the bookkeeping struct too: it lives inside the mapping. */
  explicit_bzero (map, map_size);
  if (locked)
    unlock_pages (map, map_size);
  (void) munmap (map, map_size);
}

gboolean
ward_secret_append (WardSecret *secret, const char *bytes, gsize len)
{
  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL || len == 0, FALSE);

  if (len > secret->capacity - secret->len)
    return FALSE;
  if (len == 0)
    return TRUE;

  memcpy (secret->bytes + secret->len, bytes, len);
  secret->len += len;
  secret->bytes[secret->len] = '\0';
  return TRUE;
}

/* Length of the valid UTF-8 character at @p (at most @max bytes), or 1 for an invalid byte:
 * the same rule forwards (char_count) and backwards (pop_char), so they always agree. */
static gsize
char_len_at (const char *p, gsize max)
{
  gunichar c = g_utf8_get_char_validated (p, (gssize) max);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    return 1;
  return (gsize) g_utf8_skip[(guchar) *p];
}

static void
truncate_to (WardSecret *secret, gsize len)
{
  explicit_bzero (secret->bytes + len, secret->len - len);
  secret->len = len;
  secret->bytes[len] = '\0';
}

gboolean
ward_secret_pop_char (WardSecret *secret)
{
  gsize start;
  gsize back;

  g_return_val_if_fail (secret != NULL, FALSE);

  if (secret->len == 0)
    return FALSE;

  /* Walk back over at most three continuation bytes to a lead byte; if the sequence from there
   * is one valid character ending exactly at the end, remove it whole, else one byte. */
  start = secret->len - 1;
  for (back = 0; back < 3 && start > 0 && ((guchar) secret->bytes[start] & 0xc0) == 0x80; back++)
    start--;

  if (char_len_at (secret->bytes + start, secret->len - start) != secret->len - start)
    start = secret->len - 1;

  truncate_to (secret, start);
  return TRUE;
}

gboolean
ward_secret_pop_word (WardSecret *secret)
{
  gsize end;

  g_return_val_if_fail (secret != NULL, FALSE);

  if (secret->len == 0)
    return FALSE;

  /* As readline's unix-word-rubout: the blanks before the cursor, then the word before them.
   * Blanks are ASCII, so working on bytes never splits a UTF-8 character. */
  end = secret->len;
  while (end > 0 && (secret->bytes[end - 1] == ' ' || secret->bytes[end - 1] == '\t'))
    end--;
  while (end > 0 && secret->bytes[end - 1] != ' ' && secret->bytes[end - 1] != '\t')
    end--;

  truncate_to (secret, end);
  return TRUE;
}

void
ward_secret_clear (WardSecret *secret)
{
  g_return_if_fail (secret != NULL);

  /* The whole buffer, not just len bytes: nothing of an earlier, longer value may remain. */
  explicit_bzero (secret->bytes, secret->capacity + 1);
  secret->len = 0;
}

const char *
ward_secret_get (const WardSecret *secret)
{
  g_return_val_if_fail (secret != NULL, NULL);
  return secret->bytes;
}

gsize
ward_secret_len (const WardSecret *secret)
{
  g_return_val_if_fail (secret != NULL, 0);
  return secret->len;
}

gsize
ward_secret_capacity (const WardSecret *secret)
{
  g_return_val_if_fail (secret != NULL, 0);
  return secret->capacity;
}

gsize
ward_secret_char_count (const WardSecret *secret)
{
  gsize count = 0;
  gsize i = 0;

  g_return_val_if_fail (secret != NULL, 0);

  while (i < secret->len)
    {
      i += char_len_at (secret->bytes + i, secret->len - i);
      count++;
    }
  return count;
}

gboolean
ward_secret_is_locked (const WardSecret *secret)
{
  g_return_val_if_fail (secret != NULL, FALSE);
  return secret->locked;
}
