/* test-text.c: untrusted text comes out of ward-text with nothing a terminal or Pango can
 * interpret. */
#include "config.h"

#include <string.h>

#include "ward-text.h"

#define FFFD "\xef\xbf\xbd"
#define ELLIPSIS "\xe2\x80\xa6"

/* Unicode 15's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), written out here
 * independently of ward-text.c's rules. */
static const gunichar default_ignorable[][2] = {
  { 0x00ad, 0x00ad }, { 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x115f, 0x1160 },
  { 0x17b4, 0x17b5 }, { 0x180b, 0x180f }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
  { 0x2060, 0x206f }, { 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
  { 0xffa0, 0xffa0 }, { 0xfff0, 0xfff8 }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
  { 0xe0000, 0xe0fff },
};

static gboolean
is_default_ignorable (gunichar c)
{
  for (gsize i = 0; i < G_N_ELEMENTS (default_ignorable); i++)
    if (c >= default_ignorable[i][0] && c <= default_ignorable[i][1])
      return TRUE;
  return FALSE;
}

/* The invisible characters ward keeps where they shape a script or an emoji. */
static gboolean
is_joiner_or_selector (gunichar c)
{
  return c == 0x200c || c == 0x200d || (c >= 0xfe00 && c <= 0xfe0f) ||
         (c >= 0xe0100 && c <= 0xe01ef) || (c >= 0x180b && c <= 0x180d) || c == 0x180f;
}

static gboolean
is_overlay_mark (gunichar c)
{
  GUnicodeType type = g_unichar_type (c);

  return type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK;
}

/* The safety invariants every output must satisfy, whatever the input. */
static void
assert_safe (const char *out, gsize max_chars, WardTextFlags flags)
{
  const char *p;
  gunichar prev = 0;
  guint marks = 0;

  g_assert_nonnull (out);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  if (max_chars > 0)
    g_assert_cmpuint (g_utf8_strlen (out, -1), <=, max_chars);

  for (p = out; *p != '\0'; prev = g_utf8_get_char (p), p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && (flags & WARD_TEXT_MULTILINE))
        continue;
      g_assert_cmpuint (c, >=, 0x20);
      g_assert_cmpuint (c, !=, 0x7f);
      g_assert_false (c >= 0x80 && c <= 0x9f);
      g_assert_false (c == 0x2028 || c == 0x2029);
      /* No invisible character, but joiners and selectors next to non-ASCII characters. */
      if (is_joiner_or_selector (c))
        {
          g_assert_cmpuint (prev, >=, 0x80);
          g_assert_false (g_unichar_isspace (prev));
        }
      else
        {
          g_assert_false (is_default_ignorable (c));
          g_assert_cmpint (g_unichar_type (c), !=, G_UNICODE_FORMAT);
        }
      /* A mark always has a base, and only a few overlay one base. */
      if (g_unichar_ismark (c))
        g_assert_true (prev != 0 && prev != '\n');
      if (is_overlay_mark (c))
        g_assert_cmpuint (++marks, <=, WARD_TEXT_MAX_MARKS);
      else if (!g_unichar_ismark (c))
        marks = 0;
    }
}

static void
check (const char *input, gssize len, gsize max_chars, WardTextFlags flags, const char *expected)
{
  g_autofree char *out = ward_text_sanitize (input, len, max_chars, flags);

  assert_safe (out, max_chars, flags);
  if (g_strcmp0 (out, expected) != 0)
    {
      g_autofree char *in_esc = input != NULL ? g_strescape (input, NULL) : g_strdup ("(null)");
      g_autofree char *out_esc = g_strescape (out, NULL);
      g_autofree char *exp_esc = g_strescape (expected, NULL);

      g_error ("sanitize (\"%s\", %d) = \"%s\", expected \"%s\"", in_esc, (int) max_chars,
               out_esc, exp_esc);
    }
}

static void
check1 (const char *input, const char *expected)
{
  check (input, -1, 0, WARD_TEXT_SINGLE_LINE, expected);
}

static void
test_plain (void)
{
  check1 ("", "");
  check1 ("hello, world", "hello, world");
  check1 ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  check (NULL, -1, 0, 0, "");
  check (NULL, 5, 10, WARD_TEXT_MULTILINE, "");
  /* An explicit length: NUL bytes are C0 controls, bytes after @len are ignored. */
  check ("a\0b", 3, 0, 0, "ab");
  check ("abcdef", 3, 0, 0, "abc");
  check ("abc", 0, 0, 0, "");
}

static void
test_whitespace (void)
{
  check1 ("a\tb", "a b");
  check1 ("a\nb", "a b");
  check ("a\nb", -1, 0, WARD_TEXT_MULTILINE, "a\nb");
  check ("a\r\nb", -1, 0, WARD_TEXT_MULTILINE, "a\nb");
  check1 ("a\r\nb", "a b");
  check1 ("over\rwrite", "overwrite");
  check1 ("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a b c");
  check ("a\xe2\x80\xa8" "b", -1, 0, WARD_TEXT_MULTILINE, "a b");
  /* Visible line breaks: one line, each break shown (issue 16, item 4). */
  check ("a\nAction: x\r\nRequested by: y\xe2\x80\xa8z\xe2\x80\xa9", -1, 0,
         WARD_TEXT_SHOW_BREAKS,
         "a" WARD_TEXT_LINE_BREAK "Action: x" WARD_TEXT_LINE_BREAK "Requested by: y"
         WARD_TEXT_LINE_BREAK "z" WARD_TEXT_LINE_BREAK);
  check ("a\tb\rc", -1, 0, WARD_TEXT_SHOW_BREAKS, "a bc");
  check ("a\nb", -1, 0, WARD_TEXT_SHOW_BREAKS | WARD_TEXT_MULTILINE, "a\nb");
  check ("\n\n\n", -1, 2, WARD_TEXT_SHOW_BREAKS, WARD_TEXT_LINE_BREAK ELLIPSIS);
}

static void
test_c0_c1_del (void)
{
  for (int c = 0; c < 0x20; c++)
    {
      char in[4] = { 'a', (char) c, 'b', '\0' };
      const char *expected_single = c == '\t' || c == '\n' ? "a b" : "ab";
      const char *expected_multi = c == '\n' ? "a\nb" : expected_single;

      if (c == 0x1b)
        continue; /* ESC b is a two-character sequence; tested below */
      check (in, 3, 0, WARD_TEXT_SINGLE_LINE, expected_single);
      check (in, 3, 0, WARD_TEXT_MULTILINE, expected_multi);
    }
  check1 ("a\x7f" "b", "ab");

  /* C1 controls as code points (U+0080-U+009F, encoded in UTF-8). */
  for (gunichar c = 0x80; c <= 0x9f; c++)
    {
      char in[16];
      int n = 0;

      in[n++] = 'a';
      n += g_unichar_to_utf8 (c, in + n);
      in[n] = '\0';
      g_strlcat (in, "ok", sizeof in);
      /* The string introducers (DCS, SOS, OSC, PM, APC) swallow the rest; CSI swallows "ok"
       * up to its final byte 'o'... and keeps "k". */
      if (c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f)
        check1 (in, "a");
      else if (c == 0x9b)
        check1 (in, "ak");
      else
        check1 (in, "aok");
    }

  /* Raw C1 bytes are not UTF-8: each becomes U+FFFD, never a control. */
  for (int b = 0x80; b <= 0x9f; b++)
    {
      char in[4] = { 'a', (char) b, 'b', '\0' };

      check1 (in, "a" FFFD "b");
    }
}

static void
test_escape_sequences (void)
{
  /* CSI */
  check1 ("\x1b[2J", "");
  check1 ("\x1b[2Jafter", "after");
  check1 ("\x1b[1;31mred\x1b[0m", "red");
  check1 ("\x1b[?1049h\x1b[H", "");
  check1 ("\x1b[>0;1 qx", "x");
  check1 ("\xc2\x9b" "2Jx", "x");
  check1 ("\xc2\x9b" "31mred", "red");
  /* OSC, terminated by BEL, ST (ESC \) or U+009C, or by nothing. */
  check1 ("\x1b]0;pwned\x07ok", "ok");
  check1 ("\x1b]52;c;cm0gLXJmIH4=\x1b\\ok", "ok");
  check1 ("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link");
  check1 ("\xc2\x9d" "0;title\x07ok", "ok");
  check1 ("\xc2\x9d" "0;title\xc2\x9cok", "ok");
  check1 ("\x1b]0;unterminated title", "");
  check1 ("\x1b]0;esc inside\x1bX still\x07ok", "ok");
  /* DCS, SOS, PM, APC: up to ST only. */
  check1 ("\x1bP1$r\x1b\\ok", "ok");
  check1 ("\x1bXsos\x1b\\ok", "ok");
  check1 ("\x1b^pm\x1b\\ok", "ok");
  check1 ("\x1b_apc\x1b\\ok", "ok");
  check1 ("\x1bPdcs\x07not the end\x1b\\ok", "ok");
  check1 ("\xc2\x90" "dcs\xc2\x9cok", "ok");
  check1 ("\xc2\x98" "sos\x1b\\ok", "ok");
  check1 ("\xc2\x9e" "pm\x1b\\ok", "ok");
  check1 ("\xc2\x9f" "apc\x1b\\ok", "ok");
  check1 ("\x1bPunterminated", "");
  /* Two-character and nF sequences. */
  check1 ("\x1b" "7saved\x1b" "8", "saved");
  check1 ("\x1b" "cx", "x");
  check1 ("\x1b" "Dx", "x");
  check1 ("\x1b(Bx", "x");
  check1 ("\x1b#8x", "x");
  check1 ("\x1b%Gx", "x");
  check1 ("\x1b (  Bx", "x");
  /* Broken sequences never leave an ESC behind. */
  check1 ("a\x1b", "a");
  check1 ("a\x1b[", "a");
  check1 ("a\x1b[12;", "a");
  check1 ("\x1b\x1b[2Jx", "x");
  check1 ("\x1b\xc3\xa9", "\xc3\xa9");
  check1 ("\x1b\n", " ");
  check1 ("\x1b[1\n;31mx", " ;31mx");
  check1 ("\x1b(\x01x", "x");
}

/* "a" + @c + "b", NUL-terminated, in @buf (16 bytes). */
static const char *
between_ascii (char *buf, gunichar c)
{
  int n = 0;

  buf[n++] = 'a';
  n += g_unichar_to_utf8 (c, buf + n);
  buf[n++] = 'b';
  buf[n] = '\0';
  return buf;
}

static void
test_bidi_and_invisible (void)
{
  /* Each class of the review (issue 16, item 6), then every default-ignorable and every format
   * character: between ASCII letters, none stays. */
  static const gunichar listed[] = {
    0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,  /* bidi */
    0x2066, 0x2067, 0x2068, 0x2069, 0x200b, 0xfeff,
    0x2060, 0x2061, 0x2062, 0x2063, 0x2064,                          /* word joiner, operators */
    0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f,                  /* deprecated format */
    0xe0000, 0xe0001, 0xe0020, 0xe0041, 0xe007e, 0xe007f,            /* tags */
    0x00ad, 0x034f, 0x115f, 0x1160, 0x3164, 0x180e,                  /* soft hyphen, CGJ, fillers */
    0xfff9, 0xfffa, 0xfffb,                                          /* interlinear annotation */
    0x17b4, 0x17b5, 0xffa0, 0x2065, 0xfff0, 0xfff8, 0x1bca0, 0x1d173, 0x0600, 0x06dd, 0x110bd,
    0x200c, 0x200d, 0xfe0f, 0xe0100, 0x180b,                         /* joiners, selectors */
  };
  char buf[16];
  guint format_chars = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (listed); i++)
    check1 (between_ascii (buf, listed[i]), "ab");

  for (gunichar c = 0x80; c <= 0x10ffff; c++)
    {
      if (c >= 0xd800 && c <= 0xdfff)
        continue;
      if (g_unichar_type (c) == G_UNICODE_FORMAT)
        format_chars++;
      else if (!is_default_ignorable (c))
        continue;
      check1 (between_ascii (buf, c), "ab");
    }
  /* The loop is not blind: GLib knows the format characters. */
  g_assert_cmpuint (format_chars, >, 150);

  /* "Trojan Source": RLO would show "txt.exe" as "exe.txt". */
  check1 ("invoice\xe2\x80\xaetxt.exe", "invoicetxt.exe");
  /* Invisible characters cannot make one word look like another. */
  check1 ("pk\xe2\x81\xa0" "exec", "pkexec");
  check1 ("r\xe2\x80\x8dm -rf", "rm -rf");
  check1 ("sudo\xc2\xad" "ers", "sudoers");
  /* Joiners stay between non-ASCII characters (emoji, Indic and Arabic scripts), selectors
   * after them; tag characters go (an England flag shows as a black flag). */
  check1 ("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb",
          "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb");
  check1 ("\xd9\x85\xe2\x80\x8c\xd9\x8a", "\xd9\x85\xe2\x80\x8c\xd9\x8a");
  check1 ("\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7",
          "\xe0\xa4\x95\xe0\xa5\x8d\xe2\x80\x8d\xe0\xa4\xb7");
  check1 ("\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x9d\xa4\xef\xb8\x8f");
  check1 ("\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xa5"
          "\xf3\xa0\x81\xae\xf3\xa0\x81\xa7\xf3\xa0\x81\xbf",
          "\xf0\x9f\x8f\xb4");
  /* ... but not next to ASCII or spaces, nor at the ends. */
  check1 ("a\xe2\x80\x8c" "b", "ab");
  check1 ("\xc3\xa9\xe2\x80\x8d" "b", "\xc3\xa9" "b");
  check1 ("a\xe2\x80\x8d\xc3\xa9", "a\xc3\xa9");
  check1 ("\xc3\xa9\xe2\x80\x8d", "\xc3\xa9");
  check1 ("\xe2\x80\x8d\xc3\xa9", "\xc3\xa9");
  check1 ("\xc3\xa9\xe2\x80\x8d \xc3\xa9", "\xc3\xa9 \xc3\xa9");
  check1 ("\xc3\xa9\xe2\x80\x8d\xe2\x80\x8d\xc3\xa9", "\xc3\xa9\xe2\x80\x8d\xc3\xa9");
  check1 ("1\xef\xb8\x8f\xe2\x83\xa3", "1\xe2\x83\xa3"); /* keycap: the selector goes */
  check1 (" \xef\xb8\x8f", " ");
}

static void
test_marks (void)
{
  g_autoptr(GString) zalgo = g_string_new ("e");
  g_autoptr(GString) capped = g_string_new ("e");

  for (int i = 0; i < 40; i++)
    g_string_append (zalgo, i % 2 ? "\xcc\x81" : "\xe2\x83\x9d"); /* U+0301, U+20DD */
  for (int i = 0; i < WARD_TEXT_MAX_MARKS; i++)
    g_string_append (capped, i % 2 ? "\xcc\x81" : "\xe2\x83\x9d");
  g_string_append (zalgo, "x");
  g_string_append (capped, "x");
  check1 (zalgo->str, capped->str);

  /* Real text keeps its marks: decomposed Vietnamese, Hebrew points, Devanagari. */
  check1 ("e\xcc\xa3\xcc\x82", "e\xcc\xa3\xcc\x82");
  check1 ("\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8", "\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8");
  check1 ("\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7\xe0\xa4\xbf",
          "\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7\xe0\xa4\xbf");
  /* Spacing marks (Mc) take room of their own: not capped. */
  check1 ("\xe0\xa4\x95\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe",
          "\xe0\xa4\x95\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe");
  /* The count starts again at each base; removed characters do not end a run. */
  check1 ("a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xe2\x80\x8b\xcc\x81" "b\xcc\x81",
          "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81" "b\xcc\x81");
  /* A mark with no base gets U+25CC, so it cannot sit on ward's own text. */
  check1 ("\xcc\x81" "x", "\xe2\x97\x8c\xcc\x81" "x");
  check1 ("\x1b[1m\xcc\xb8", "\xe2\x97\x8c\xcc\xb8");
  check ("a\n\xcc\x81", -1, 0, WARD_TEXT_MULTILINE, "a\n\xe2\x97\x8c\xcc\x81");
  check ("\xcc\x81", -1, 1, 0, ELLIPSIS);
}

static void
test_invalid_utf8 (void)
{
  check1 ("\x80", FFFD);
  check1 ("a\xbf" "b", "a" FFFD "b");
  check1 ("\xc0\xaf", FFFD FFFD);                  /* overlong '/' */
  check1 ("\xe0\x80\xaf", FFFD FFFD FFFD);         /* overlong '/' */
  check1 ("\xc0\x80", FFFD FFFD);                  /* overlong NUL */
  check1 ("\xed\xa0\x80", FFFD FFFD FFFD);         /* surrogate U+D800 */
  check1 ("\xed\xbf\xbf", FFFD FFFD FFFD);         /* surrogate U+DFFF */
  check1 ("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
  check1 ("\xe2\x82", FFFD FFFD);                  /* truncated */
  check1 ("\xe2\x82x", FFFD FFFD "x");
  check1 ("\xf0\x9f\x98", FFFD FFFD FFFD);
  check1 ("\xfe\xff", FFFD FFFD);
  check1 ("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
  /* An ESC hidden in an overlong form is not an ESC. */
  check1 ("\xc0\x9b[2J", FFFD FFFD "[2J");
}

static void
test_cap (void)
{
  check ("abcdef", -1, 4, 0, "abc" ELLIPSIS);
  check ("abcd", -1, 4, 0, "abcd");
  check ("abcde", -1, 1, 0, ELLIPSIS);
  check ("a", -1, 1, 0, "a");
  check ("abcdef", -1, 0, 0, "abcdef");
  check ("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", -1, 3, 0, "\xc3\xa9\xc3\xa9" ELLIPSIS);
  /* Removed sequences do not count. */
  check ("ab\x1b[1mcd", -1, 4, 0, "abcd");
  check ("abcd\x1b[0m", -1, 4, 0, "abcd");
  check ("abcd\xe2\x80\xae", -1, 4, 0, "abcd");
  check ("abcd\x1b]0;x", -1, 4, 0, "abcd");
  /* The ellipsis is added, never taken from the input. */
  check ("ab" ELLIPSIS, -1, 3, 0, "ab" ELLIPSIS);
  check ("a\nb\nc", -1, 5, WARD_TEXT_MULTILINE, "a\nb\nc");
  check ("a\nb\nc", -1, 4, WARD_TEXT_MULTILINE, "a\nb" ELLIPSIS);
  check ("a\nb\nc", -1, 3, WARD_TEXT_MULTILINE, "a\n" ELLIPSIS);
  check ("a\nb\nc", -1, 2, WARD_TEXT_MULTILINE, "a" ELLIPSIS);
  check ("\x80\x80\x80", -1, 2, 0, FFFD ELLIPSIS);
}

static void
test_megabyte (void)
{
  gsize size = 1024 * 1024;
  g_autofree char *big = g_malloc (size + 1);
  g_autofree char *out = NULL;

  memset (big, 'a', size);
  big[size] = '\0';
  out = ward_text_sanitize (big, -1, WARD_TEXT_MAX_MESSAGE, 0);
  g_assert_cmpuint (g_utf8_strlen (out, -1), ==, WARD_TEXT_MAX_MESSAGE);
  g_assert_true (g_str_has_suffix (out, ELLIPSIS));
  g_clear_pointer (&out, g_free);

  out = ward_text_sanitize (big, -1, 0, 0);
  g_assert_cmpuint (strlen (out), ==, size);
  g_clear_pointer (&out, g_free);

  /* A megabyte of escape sequences. */
  for (gsize i = 0; i + 4 <= size; i += 4)
    memcpy (big + i, "\x1b[2J", 4);
  out = ward_text_sanitize (big, -1, WARD_TEXT_MAX_MESSAGE, 0);
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);

  /* A megabyte of random bytes, capped and not. */
  for (gsize i = 0; i < size; i++)
    big[i] = (char) g_test_rand_int_range (1, 256);
  out = ward_text_sanitize (big, (gssize) size, 0, WARD_TEXT_MULTILINE);
  assert_safe (out, 0, WARD_TEXT_MULTILINE);
  g_clear_pointer (&out, g_free);
  out = ward_text_sanitize (big, (gssize) size, 100, 0);
  assert_safe (out, 100, 0);
}

static void
test_random (void)
{
  static const char *const pieces[] = {
    "\x1b", "[", "]", "P", "\\", "\x07", "\xc2\x9b", "\xc2\x9c", "\xc2\x9d", "\xc2\x90", "\n",
    "\t", "\r", "\x7f", "\x80", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x80\xa8", "\xef\xbb\xbf",
    "a", " ", "<", "&", "1;31m", "\xf0\x9f\x98", "\xc3\xa9", "\0",
    "\xe2\x80\x8d", "\xe2\x80\x8c", "\xef\xb8\x8f", "\xcc\x81", "\xe2\x83\x9d", "\xe2\x81\xa0",
    "\xf3\xa0\x81\xa7", "\xc2\xad", "\xe0\xa4\xbe",
  };

  for (int round = 0; round < 20000; round++)
    {
      g_autoptr(GString) in = g_string_new (NULL);
      int n = g_test_rand_int_range (0, 40);
      gsize max_chars = (gsize) g_test_rand_int_range (0, 12);
      WardTextFlags flags = g_test_rand_int_range (0, 4);
      g_autofree char *out = NULL;
      g_autofree char *again = NULL;

      for (int i = 0; i < n; i++)
        {
          const char *piece = pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))];

          g_string_append_len (in, piece, piece[0] == '\0' ? 1 : (gssize) strlen (piece));
        }
      out = ward_text_sanitize (in->str, (gssize) in->len, max_chars, flags);
      assert_safe (out, max_chars, flags);
      /* Sanitising is idempotent: safe text passes unchanged. */
      again = ward_text_sanitize (out, -1, max_chars, flags);
      g_assert_cmpstr (again, ==, out);
    }
}

typedef struct {
  GString *text;
  int elements;
} MarkupData;

static void
markup_start (GMarkupParseContext *context, const char *element, const char **names,
              const char **values, gpointer user_data, GError **error)
{
  ((MarkupData *) user_data)->elements++;
}

static void
markup_text (GMarkupParseContext *context, const char *text, gsize len, gpointer user_data,
             GError **error)
{
  g_string_append_len (((MarkupData *) user_data)->text, text, (gssize) len);
}

/* The markup output parses as one text node equal to the plain sanitised text. */
static void
check_markup (const char *input, gsize max_chars, WardTextFlags flags)
{
  static const GMarkupParser parser = { markup_start, NULL, markup_text, NULL, NULL };
  g_autofree char *plain = ward_text_sanitize (input, -1, max_chars, flags);
  g_autofree char *markup = ward_text_sanitize_markup (input, -1, max_chars, flags);
  g_autofree char *doc = g_strconcat ("<m>", markup, "</m>", NULL);
  MarkupData data = { g_string_new (NULL), 0 };
  g_autoptr(GMarkupParseContext) context = g_markup_parse_context_new (&parser, 0, &data, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (strchr (markup, '<'));
  g_assert_null (strchr (markup, '>'));
  g_assert_true (g_markup_parse_context_parse (context, doc, -1, &error));
  g_assert_true (g_markup_parse_context_end_parse (context, &error));
  g_assert_no_error (error);
  g_assert_cmpint (data.elements, ==, 1);
  g_assert_cmpstr (data.text->str, ==, plain);
  g_string_free (data.text, TRUE);
}

static void
test_markup (void)
{
  g_autofree char *a = ward_text_sanitize_markup ("<b>bold</b> & <span foreground=\"red\">x</span>",
                                                  -1, 0, 0);
  g_autofree char *b = ward_text_sanitize_markup ("a\x1b[1m<i>\xe2\x80\xae", -1, 0, 0);
  g_autofree char *c = ward_text_sanitize_markup ("&amp; &#x41; &lt;", -1, 0, 0);
  g_autofree char *d = ward_text_sanitize_markup (NULL, -1, 0, 0);

  g_assert_cmpstr (a, ==,
                   "&lt;b&gt;bold&lt;/b&gt; &amp; "
                   "&lt;span foreground=&quot;red&quot;&gt;x&lt;/span&gt;");
  g_assert_cmpstr (b, ==, "a&lt;i&gt;");
  g_assert_cmpstr (c, ==, "&amp;amp; &amp;#x41; &amp;lt;");
  g_assert_cmpstr (d, ==, "");

  check_markup ("<b>bold</b> & <span foreground='red'>x</span>", 0, 0);
  check_markup ("<<<&&&>>>\"'", 5, 0);
  check_markup ("line\n<two>", 0, WARD_TEXT_MULTILINE);
  check_markup ("\x1b]0;<b>\x07<![CDATA[x]]><!-- c -->", 0, 0);
  check_markup ("\x01\x02\x7f\xc2\x85\xc2\x9b<i>", 0, 0);
  /* Capping happens before escaping: an entity is never cut in half. */
  check_markup ("&&&&&&&&&&", 4, 0);
  {
    g_autofree char *capped = ward_text_sanitize_markup ("&&&&&&&&&&", -1, 4, 0);

    g_assert_cmpstr (capped, ==, "&amp;&amp;&amp;" ELLIPSIS);
  }
}

/* Whether iconv knows @charset here (Debian's libc6 carries every gconv module). */
static gboolean
have_charset (const char *charset)
{
  GIConv cd;

  if (charset == NULL)
    return TRUE;
  cd = g_iconv_open (charset, "UTF-8");

  if (cd == (GIConv) -1)
    {
      g_test_message ("iconv has no %s: its cases are skipped", charset);
      return FALSE;
    }
  g_iconv_close (cd);
  return TRUE;
}

/* Untrusted @input on its way to a terminal in @charset: restricted, then converted. */
static void
check_charset (const char *charset, const char *input, const char *restricted,
               const char *converted)
{
  g_autoptr(WardTextCharset) cs = ward_text_charset_new (charset);
  g_autofree char *r = ward_text_restrict_charset (input, cs);
  g_autofree char *c = ward_text_to_charset (r, cs);

  if (!have_charset (charset))
    return;
  if (g_strcmp0 (r, restricted) != 0 || g_strcmp0 (c, converted) != 0)
    {
      g_autofree char *in_esc = g_strescape (input, NULL);
      g_autofree char *r_esc = g_strescape (r, NULL);
      g_autofree char *c_esc = g_strescape (c, NULL);

      g_error ("%s: \"%s\" restricted to \"%s\", converted to \"%s\"", charset, in_esc, r_esc,
               c_esc);
    }
}

/* Issue 16, item 3: on a terminal that does not use UTF-8, no byte in 0x80-0x9f (C1 controls
 * for an 8-bit terminal) and no character the charset lacks: escapes instead, readable. */
static void
test_charset (void)
{
  /* UTF-8 terminals get the text as it is. */
  check_charset (NULL, "\xc3\x9b" "2J", "\xc3\x9b" "2J", "\xc3\x9b" "2J");
  check_charset ("UTF-8", "caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9");
  check_charset ("utf8", "caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9");
  g_assert_null (ward_text_charset_new ("UTF-8"));
  g_assert_null (ward_text_charset_new (NULL));
  {
    g_autoptr(WardTextCharset) latin1 = ward_text_charset_new ("ISO-8859-1");
    g_autofree char *empty = ward_text_restrict_charset (NULL, latin1);
    g_autofree char *empty2 = ward_text_to_charset (NULL, latin1);

    g_assert_cmpstr (empty, ==, "");
    g_assert_cmpstr (empty2, ==, "");
  }

  /* LANG=C: ASCII only. The review's "Û2JÛH" (C3 9B is CSI on an 8-bit terminal). */
  check_charset ("ANSI_X3.4-1968", "\xc3\x9b" "2J\xc3\x9b" "H caf\xc3\xa9 \xf0\x9f\x98\x80",
                 "\\u00db2J\\u00dbH caf\\u00e9 \\U0001f600",
                 "\\u00db2J\\u00dbH caf\\u00e9 \\U0001f600");
  check_charset ("ANSI_X3.4-1968", "a" WARD_TEXT_LINE_BREAK "b", "a\\u21b5b", "a\\u21b5b");
  /* Latin-1: its own characters as its bytes, the rest escaped. */
  check_charset ("ISO-8859-1", "\xc3\x9b" "2J caf\xc3\xa9 \xe2\x82\xac",
                 "\xc3\x9b" "2J caf\xc3\xa9 \\u20ac", "\xdb" "2J caf\xe9 \\u20ac");
  check_charset ("ISO-8859-15", "\xe2\x82\xac", "\xe2\x82\xac", "\xa4");
  /* Charsets whose printable characters use 0x80-0x9f: escaped all the same. */
  check_charset ("WINDOWS-1252", "\xe2\x82\xac \xc3\xa9", "\\u20ac \xc3\xa9", "\\u20ac \xe9");
  check_charset ("KOI8-R", "\xe2\x94\x80\xd0\x96", "\\u2500\xd0\x96", "\\u2500\xf6");
  check_charset ("SHIFT_JIS", "\xe3\x82\xa2\xef\xbd\xb1", "\\u30a2\xef\xbd\xb1", "\\u30a2\xb1");
  check_charset ("EUC-JP", "\xe3\x81\x82\xef\xbd\xb1", "\xe3\x81\x82\\uff71", "\xa4\xa2\\uff71");
  /* A stateful charset would need ESC to switch: escaped. */
  check_charset ("ISO-2022-JP", "a\xe3\x81\x82", "a\\u3042", "a\\u3042");
  /* A charset iconv does not know: ASCII only. */
  check_charset ("X-WARD-NO-SUCH-CHARSET", "caf\xc3\xa9", "caf\\u00e9", "caf\\u00e9");
  /* ward's own text: ASCII controls (its colours) pass, invalid UTF-8 is escaped. */
  check_charset ("ISO-8859-1", "\x1b[1m\xc3\xa9\x1b[0m\n", "\x1b[1m\xc3\xa9\x1b[0m\n",
                 "\x1b[1m\xe9\x1b[0m\n");
  check_charset ("ISO-8859-1", "a\x9b" "b", "a\\ufffdb", "a\\ufffdb");

  /* ward's own text is converted directly: its typographic quotes transliterated where the
   * locale has a rule (else escaped, never "?"), bytes 0x80-0x9f never written. The same quote
   * in untrusted text is escaped first (restrict), so it can never pass for ASCII punctuation in
   * a command line. */
  if (have_charset ("ISO-8859-1//TRANSLIT"))
    {
      g_autoptr(WardTextCharset) latin1 = ward_text_charset_new ("ISO-8859-1");
      g_autofree char *own = ward_text_to_charset ("l\xe2\x80\x99" "agent \xc3\xa9 \xe3\x81\x82",
                                                   latin1);
      g_autofree char *restricted = ward_text_restrict_charset ("'a\xe2\x80\x99 b'", latin1);
      g_autofree char *untrusted = ward_text_to_charset (restricted, latin1);

      g_assert_true (g_str_equal (own, "l'agent \xe9 \\u3042") ||
                     g_str_equal (own, "l\\u2019agent \xe9 \\u3042"));
      g_assert_cmpstr (untrusted, ==, "'a\\u2019 b'");
    }
  {
    g_autoptr(WardTextCharset) cp1252 = ward_text_charset_new ("WINDOWS-1252");
    g_autofree char *own = ward_text_to_charset ("\xe2\x82\xac\xc3\x9b", cp1252);

    g_assert_true (g_str_equal (own, "EUR\xdb") || g_str_equal (own, "\\u20ac\xdb"));
  }
}

/* Random sanitised text through every charset: the promises hold whatever the text. */
static void
test_charset_random (void)
{
  static const char *const charsets[] = {
    "ANSI_X3.4-1968", "ISO-8859-1", "ISO-8859-15", "WINDOWS-1252", "KOI8-R", "SHIFT_JIS",
    "EUC-JP", "GB18030", "BIG5", "ISO-2022-JP",
  };
  static const char *const pieces[] = {
    "a", " ", "\\", "\xc3\xa9", "\xc3\x9b", "\xc2\xa0", "\xe2\x82\xac", "\xe2\x80\xa6",
    "\xe2\x86\xb5", "\xe3\x81\x82", "\xef\xbd\xb1", "\xd0\x96", "\xe2\x94\x80", "\xf0\x9f\x98\x80",
    "\xcc\x81", "\x1b[2J", "\xc2\x9b", "\x80", "\n",
  };

  for (int round = 0; round < 2000; round++)
    {
      g_autoptr(GString) in = g_string_new (NULL);
      g_autofree char *safe = NULL;

      for (int i = g_test_rand_int_range (0, 20); i > 0; i--)
        g_string_append (in, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
      safe = ward_text_sanitize (in->str, -1, 0, WARD_TEXT_MULTILINE);

      for (gsize k = 0; k < G_N_ELEMENTS (charsets); k++)
        {
          g_autoptr(WardTextCharset) cs = ward_text_charset_new (charsets[k]);
          g_autofree char *restricted = ward_text_restrict_charset (safe, cs);
          g_autofree char *out = ward_text_to_charset (restricted, cs);
          g_autofree char *again = ward_text_restrict_charset (restricted, cs);

          g_assert_true (g_utf8_validate (restricted, -1, NULL));
          g_assert_cmpstr (again, ==, restricted);
          for (const char *p = out; *p != '\0'; p++)
            {
              guchar b = (guchar) *p;

              g_assert_true (b == '\n' || b >= 0x20);
              g_assert_true (b != 0x7f && !(b >= 0x80 && b <= 0x9f));
            }
          /* Latin-1 and ASCII, exactly: a model of what each character becomes. */
          if (k <= 1)
            {
              g_autoptr(GString) model = g_string_new (NULL);

              for (const char *p = safe; *p != '\0'; p = g_utf8_next_char (p))
                {
                  gunichar c = g_utf8_get_char (p);

                  if (c < 0x80 || (k == 1 && c >= 0xa0 && c <= 0xff))
                    g_string_append_c (model, (char) c);
                  else if (c <= 0xffff)
                    g_string_append_printf (model, "\\u%04x", c);
                  else
                    g_string_append_printf (model, "\\U%08x", c);
                }
              g_assert_cmpstr (out, ==, model->str);
            }
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/text/plain", test_plain);
  g_test_add_func ("/text/whitespace", test_whitespace);
  g_test_add_func ("/text/c0-c1-del", test_c0_c1_del);
  g_test_add_func ("/text/escape-sequences", test_escape_sequences);
  g_test_add_func ("/text/bidi-invisible", test_bidi_and_invisible);
  g_test_add_func ("/text/marks", test_marks);
  g_test_add_func ("/text/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/text/cap", test_cap);
  g_test_add_func ("/text/megabyte", test_megabyte);
  g_test_add_func ("/text/random", test_random);
  g_test_add_func ("/text/markup", test_markup);
  g_test_add_func ("/text/charset", test_charset);
  g_test_add_func ("/text/charset-random", test_charset_random);

  return g_test_run ();
}
