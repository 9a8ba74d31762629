/* test-secret.c: WardSecret keeps, edits and wipes a password in its own locked pages. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ward-secret.h"

/* Every byte after the contents, up to and including the capacity's NUL, is zero. */
static void
assert_tail_zero (const WardSecret *secret)
{
  const char *bytes = ward_secret_get (secret);

  for (gsize i = ward_secret_len (secret); i <= ward_secret_capacity (secret); i++)
    {
      if (bytes[i] != '\0')
        g_error ("byte %" G_GSIZE_FORMAT " is 0x%02x, expected 0", i, (guchar) bytes[i]);
    }
}

static void
test_new_and_alignment (void)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize capacities[] = { 0, 1, 511, 4095, 4096, WARD_SECRET_DEFAULT_CAPACITY, 100000 };

  for (gsize i = 0; i < G_N_ELEMENTS (capacities); i++)
    {
      g_autoptr(WardSecret) secret = ward_secret_new (capacities[i]);

      g_assert_nonnull (secret);
      g_assert_cmpuint (ward_secret_capacity (secret), ==, capacities[i]);
      g_assert_cmpuint (ward_secret_len (secret), ==, 0);
      g_assert_cmpuint (ward_secret_char_count (secret), ==, 0);
      g_assert_cmpstr (ward_secret_get (secret), ==, "");
      /* Page-aligned: the password shares its page with nothing malloc() returns. */
      g_assert_cmpuint ((guintptr) ward_secret_get (secret) % page, ==, 0);
      /* The struct does not live inside the bytes: filling them all keeps it intact. */
      if (capacities[i] > 0)
        {
          g_autofree char *fill = g_malloc (capacities[i]);

          memset (fill, 'x', capacities[i]);
          g_assert_true (ward_secret_append (secret, fill, capacities[i]));
          g_assert_cmpuint (ward_secret_len (secret), ==, capacities[i]);
          g_assert_cmpuint (ward_secret_capacity (secret), ==, capacities[i]);
          g_assert_cmpint (ward_secret_get (secret)[capacities[i]], ==, '\0');
        }
    }
  ward_secret_free (NULL);
}

/* Whether this process may lock a page of its own: root without CAP_IPC_LOCK may not, whatever
 * RLIMIT_MEMLOCK says, when a seccomp filter refuses mlock (systemd-nspawn's does). */
static gboolean
may_lock_memory (void)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  void *probe = mmap (NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  gboolean locked;

  g_assert_true (probe != MAP_FAILED);
  locked = syscall (SYS_mlock, probe, page) == 0;
  munmap (probe, page);
  return locked;
}

static void
test_locked (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);

  /* mlock may fail without privileges or with a small RLIMIT_MEMLOCK; then it is only
   * reported. Where this process can lock a page, the secret must be locked. */
  g_test_message ("secret locked in memory: %s", ward_secret_is_locked (secret) ? "yes" : "no");
  if (may_lock_memory ())
    g_assert_true (ward_secret_is_locked (secret));
}

/* Without the right to lock memory the secret still works, and says it is not locked. */
static void
test_unlocked (void)
{
  if (g_test_subprocess ())
    {
      struct rlimit none = { 0, 0 };
      g_autoptr(WardSecret) secret = NULL;

      g_assert_cmpint (setrlimit (RLIMIT_MEMLOCK, &none), ==, 0);
      /* root ignores RLIMIT_MEMLOCK (CAP_IPC_LOCK): become nobody, which drops it. */
      if (getuid () == 0 && setuid (65534) != 0)
        g_error ("setuid: %s", g_strerror (errno));
      secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);
      g_assert_false (ward_secret_is_locked (secret));
      g_assert_true (ward_secret_append (secret, "pw", 2));
      g_assert_cmpstr (ward_secret_get (secret), ==, "pw");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* The kernel's view of the mapping: VmFlags "dd" (MADV_DONTDUMP) and "lo" (mlock). */
static void
test_vm_flags (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);
  guintptr addr = (guintptr) ward_secret_get (secret);
  g_autofree char *smaps = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean in_mapping = FALSE;
  gboolean found = FALSE;

  if (!g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL))
    {
      g_test_skip ("/proc/self/smaps is not readable");
      return;
    }
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 start, end;

      /* Mapping headers look like "7f0000000000-7f0000002000 rw-p ..."; the fields that
       * follow them look like "Name:   value". */
      if (strchr (lines[i], ':') > strchr (lines[i], ' ') &&
          sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x ", &start, &end) == 2)
        {
          in_mapping = addr >= start && addr < end;
          continue;
        }
      if (in_mapping && g_str_has_prefix (lines[i], "VmFlags:"))
        {
          g_auto(GStrv) flags = g_strsplit (lines[i] + strlen ("VmFlags:"), " ", -1);

          found = TRUE;
#ifdef MADV_DONTDUMP
          g_assert_true (g_strv_contains ((const char *const *) flags, "dd"));
#endif
          if (ward_secret_is_locked (secret))
            g_assert_true (g_strv_contains ((const char *const *) flags, "lo"));
        }
    }
  g_assert_true (found);
}

static void
test_append (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (8);

  g_assert_true (ward_secret_append (secret, "abc", 3));
  g_assert_true (ward_secret_append (secret, "", 0));
  g_assert_true (ward_secret_append (secret, NULL, 0));
  g_assert_cmpstr (ward_secret_get (secret), ==, "abc");

  /* Beyond capacity: refused, nothing changed (no partial append). */
  g_assert_false (ward_secret_append (secret, "defghi", 6));
  g_assert_cmpstr (ward_secret_get (secret), ==, "abc");
  g_assert_cmpuint (ward_secret_len (secret), ==, 3);
  assert_tail_zero (secret);

  /* Exactly full is fine; one more byte is not. */
  g_assert_true (ward_secret_append (secret, "defgh", 5));
  g_assert_cmpstr (ward_secret_get (secret), ==, "abcdefgh");
  g_assert_false (ward_secret_append (secret, "i", 1));
  g_assert_cmpstr (ward_secret_get (secret), ==, "abcdefgh");
  g_assert_cmpuint (ward_secret_len (secret), ==, 8);

  /* Huge lengths must not wrap around the capacity check. */
  g_assert_false (ward_secret_append (secret, "x", G_MAXSIZE));
  g_assert_cmpuint (ward_secret_len (secret), ==, 8);
}

static void
test_pop_char (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (64);
  /* a, é (2 bytes), € (3), 😀 (4) */
  const char *text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

  g_assert_false (ward_secret_pop_char (secret));
  g_assert_true (ward_secret_append (secret, text, strlen (text)));
  g_assert_cmpuint (ward_secret_char_count (secret), ==, 4);

  g_assert_true (ward_secret_pop_char (secret));
  g_assert_cmpstr (ward_secret_get (secret), ==, "a\xc3\xa9\xe2\x82\xac");
  assert_tail_zero (secret);
  g_assert_true (ward_secret_pop_char (secret));
  g_assert_cmpstr (ward_secret_get (secret), ==, "a\xc3\xa9");
  g_assert_true (ward_secret_pop_char (secret));
  g_assert_cmpstr (ward_secret_get (secret), ==, "a");
  g_assert_true (ward_secret_pop_char (secret));
  g_assert_cmpstr (ward_secret_get (secret), ==, "");
  g_assert_false (ward_secret_pop_char (secret));
  assert_tail_zero (secret);
}

static void
test_pop_char_invalid (void)
{
  struct {
    const char *bytes;
    gsize chars;  /* pops needed to empty it */
  } cases[] = {
    { "\xff", 1 },
    { "a\xff", 2 },
    { "\x80\x80\x80\x80\x80", 5 },       /* lone continuation bytes */
    { "\xe2\x82", 2 },                   /* truncated 3-byte sequence */
    { "\xf0\x9f\x98", 3 },               /* truncated 4-byte sequence */
    { "\xc0\xaf", 2 },                   /* overlong '/' */
    { "\xe0\x80\xaf", 3 },               /* overlong '/' */
    { "\xed\xa0\x80", 3 },               /* UTF-16 surrogate encoded in UTF-8 */
    { "\xf4\x90\x80\x80", 4 },           /* beyond U+10FFFF */
    { "\xc3\xa9\xa9", 2 },               /* é then a stray continuation */
    { "x\xf0\x9f\x98\x80\x80", 3 },      /* 😀 then a stray continuation */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WardSecret) secret = ward_secret_new (16);
      gsize pops = 0;

      g_assert_true (ward_secret_append (secret, cases[i].bytes, strlen (cases[i].bytes)));
      g_assert_cmpuint (ward_secret_char_count (secret), ==, cases[i].chars);
      while (ward_secret_pop_char (secret))
        {
          pops++;
          assert_tail_zero (secret);
          g_assert_cmpuint (ward_secret_char_count (secret), ==, cases[i].chars - pops);
        }
      g_assert_cmpuint (pops, ==, cases[i].chars);
      g_assert_cmpuint (ward_secret_len (secret), ==, 0);
    }
}

/* Random bytes: popping always empties the secret in exactly char_count() steps. */
static void
test_pop_char_random (void)
{
  for (int round = 0; round < 2000; round++)
    {
      g_autoptr(WardSecret) secret = ward_secret_new (32);
      char buf[32];
      gsize len = (gsize) g_test_rand_int_range (0, sizeof buf + 1);
      gsize count;
      gsize pops = 0;

      for (gsize i = 0; i < len; i++)
        {
          /* Bias towards UTF-8 lead and continuation bytes. */
          static const guchar pool[] = { 'a', ' ', 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac,
                                         0xf0, 0x9f, 0x98, 0xff, 0x00, 0xed, 0xa0 };
          buf[i] = (char) (g_test_rand_bit () ? pool[g_test_rand_int_range (0, sizeof pool)]
                                              : g_test_rand_int_range (0, 256));
        }
      g_assert_true (ward_secret_append (secret, buf, len));
      count = ward_secret_char_count (secret);
      while (ward_secret_pop_char (secret))
        {
          pops++;
          g_assert_cmpuint (ward_secret_char_count (secret), ==, count - pops);
        }
      g_assert_cmpuint (pops, ==, count);
      assert_tail_zero (secret);
    }
}

static void
test_pop_word (void)
{
  struct {
    const char *before;
    const char *after;
  } cases[] = {
    { "hello world", "hello " },
    { "hello world  ", "hello " },
    { "hello", "" },
    { "   ", "" },
    { "a b c", "a b " },
    { "pass\tword", "pass\t" },
    { "caf\xc3\xa9 cr\xc3\xa8me", "caf\xc3\xa9 " },
    { " lead", " " },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WardSecret) secret = ward_secret_new (64);

      g_assert_true (ward_secret_append (secret, cases[i].before, strlen (cases[i].before)));
      g_assert_true (ward_secret_pop_word (secret));
      g_assert_cmpstr (ward_secret_get (secret), ==, cases[i].after);
      assert_tail_zero (secret);
    }

  {
    g_autoptr(WardSecret) secret = ward_secret_new (64);

    g_assert_false (ward_secret_pop_word (secret));
  }
}

static void
test_clear (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (WARD_SECRET_DEFAULT_CAPACITY);
  const char *bytes = ward_secret_get (secret);
  gsize capacity = ward_secret_capacity (secret);
  char password[WARD_SECRET_DEFAULT_CAPACITY];

  memset (password, 'P', sizeof password);
  g_assert_true (ward_secret_append (secret, password, sizeof password));
  /* Shorten and re-extend so old bytes lie beyond len before the clear. */
  g_assert_true (ward_secret_pop_word (secret));
  g_assert_true (ward_secret_append (secret, "new", 3));

  ward_secret_clear (secret);
  g_assert_cmpuint (ward_secret_len (secret), ==, 0);
  g_assert_true (ward_secret_get (secret) == bytes);
  for (gsize i = 0; i <= capacity; i++)
    g_assert_cmpint (bytes[i], ==, 0);

  /* Still usable afterwards. */
  g_assert_true (ward_secret_append (secret, "again", 5));
  g_assert_cmpstr (ward_secret_get (secret), ==, "again");
  ward_secret_clear (secret);
  ward_secret_clear (secret);
  g_assert_cmpstr (ward_secret_get (secret), ==, "");
}

static void
test_embedded_nul (void)
{
  g_autoptr(WardSecret) secret = ward_secret_new (16);

  /* Raw bytes are kept as given; len, not strlen, is the truth. */
  g_assert_true (ward_secret_append (secret, "a\0b", 3));
  g_assert_cmpuint (ward_secret_len (secret), ==, 3);
  g_assert_cmpuint (ward_secret_char_count (secret), ==, 3);
  g_assert_true (ward_secret_pop_char (secret));
  g_assert_true (ward_secret_pop_char (secret));
  g_assert_cmpuint (ward_secret_len (secret), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secret/new-alignment", test_new_and_alignment);
  g_test_add_func ("/secret/locked", test_locked);
  g_test_add_func ("/secret/unlocked", test_unlocked);
  g_test_add_func ("/secret/vm-flags", test_vm_flags);
  g_test_add_func ("/secret/append", test_append);
  g_test_add_func ("/secret/pop-char", test_pop_char);
  g_test_add_func ("/secret/pop-char-invalid", test_pop_char_invalid);
  g_test_add_func ("/secret/pop-char-random", test_pop_char_random);
  g_test_add_func ("/secret/pop-word", test_pop_word);
  g_test_add_func ("/secret/clear", test_clear);
  g_test_add_func ("/secret/embedded-nul", test_embedded_nul);

  return g_test_run ();
}
