/* test-wire.c: the helper line protocol is byte-for-byte polkit's, and parsing is strict. */
#include "config.h"

#include <string.h>

#include "ward-wire.h"

/* A random NUL-free string of @len bytes, biased towards the interesting ones. */
static char *
random_text (gsize len)
{
  char *s = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    {
      static const char pool[] = "\\\"\n\r\t\b\f\v\x1b\x7f\x80\xff 07a";

      if (g_test_rand_bit ())
        s[i] = pool[g_test_rand_int_range (0, sizeof pool - 1)];
      else
        s[i] = (char) g_test_rand_int_range (1, 256);
    }
  s[len] = '\0';
  return s;
}

static void
test_escape_every_byte (void)
{
  for (int b = 1; b < 256; b++)
    {
      char text[4] = { 'x', (char) b, 'y', '\0' };
      g_autofree char *ours = ward_wire_escape (text);
      g_autofree char *glib = g_strescape (text, NULL);
      g_autofree char *back = NULL;

      g_assert_cmpstr (ours, ==, glib);
      back = ward_wire_unescape (ours, strlen (ours), NULL);
      g_assert_cmpstr (back, ==, text);
    }
}

static void
test_escape_random (void)
{
  for (int round = 0; round < 5000; round++)
    {
      g_autofree char *text = random_text ((gsize) g_test_rand_int_range (0, 64));
      g_autofree char *ours = ward_wire_escape (text);
      g_autofree char *glib = g_strescape (text, NULL);
      g_autofree char *back = NULL;
      g_autofree char *compressed = NULL;

      g_assert_cmpstr (ours, ==, glib);
      back = ward_wire_unescape (ours, strlen (ours), NULL);
      g_assert_cmpstr (back, ==, text);
      /* polkit's agent side reads the same bytes back with g_strcompress. */
      compressed = g_strcompress (ours);
      g_assert_cmpstr (compressed, ==, text);
    }
}

static void
test_round_trip (void)
{
  for (int round = 0; round < 5000; round++)
    {
      WardWireKind kind = (WardWireKind) g_test_rand_int_range (WARD_WIRE_PROMPT_ECHO_OFF,
                                                                WARD_WIRE_FAILURE + 1);
      g_autofree char *text = random_text ((gsize) g_test_rand_int_range (0, 200));
      g_autoptr(GError) error = NULL;
      g_autofree char *line = ward_wire_encode (kind, text, &error);
      g_autoptr(WardWireMessage) message = NULL;
      gsize len;
      gsize text_len = strlen (text);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      len = strlen (line);
      g_assert_cmpuint (len, >, 0);
      g_assert_cmpint (line[len - 1], ==, '\n');
      g_assert_null (memchr (line, '\n', len - 1));

      message = ward_wire_parse (line, len - 1, &error);
      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_assert_cmpint (message->kind, ==, kind);
      if (kind == WARD_WIRE_SUCCESS || kind == WARD_WIRE_FAILURE)
        {
          g_assert_cmpstr (message->text, ==, "");
        }
      else
        {
          /* One trailing newline is dropped, as polkit's helper does. */
          if (text_len > 0 && text[text_len - 1] == '\n')
            text[text_len - 1] = '\0';
          g_assert_cmpstr (message->text, ==, text);
        }
    }
}

/* What polkit-agent-helper-1's send_to_helper() writes, built independently of ward. */
static char *
polkit_helper_line (const char *keyword, const char *text)
{
  g_autofree char *tmp = g_strdup (text);
  gsize len = strlen (tmp);
  g_autofree char *escaped = NULL;

  if (len > 0 && tmp[len - 1] == '\n')
    tmp[len - 1] = '\0';
  escaped = g_strescape (tmp, NULL);
  return g_strdup_printf ("%s %s\n", keyword, escaped);
}

static void
test_encode_matches_polkit (void)
{
  const char *texts[] = { "", "Password: ", "Password: \n", "two\n\n", "\n", "caf\xc3\xa9",
                          "quote \" backslash \\ tab \t", "\x1b]0;pwned\x07", "\x01\x7f\x80\xff" };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      for (WardWireKind kind = WARD_WIRE_PROMPT_ECHO_OFF; kind <= WARD_WIRE_TEXT_INFO; kind++)
        {
          g_autofree char *ours = ward_wire_encode (kind, texts[i], NULL);
          g_autofree char *theirs = polkit_helper_line (ward_wire_kind_to_string (kind), texts[i]);

          g_assert_cmpstr (ours, ==, theirs);
        }
    }

  {
    g_autofree char *s = ward_wire_encode (WARD_WIRE_SUCCESS, NULL, NULL);
    g_autofree char *f = ward_wire_encode (WARD_WIRE_FAILURE, "ignored", NULL);
    g_autofree char *empty = ward_wire_encode (WARD_WIRE_TEXT_INFO, NULL, NULL);

    g_assert_cmpstr (s, ==, "SUCCESS\n");
    g_assert_cmpstr (f, ==, "FAILURE\n");
    g_assert_cmpstr (empty, ==, "PAM_TEXT_INFO \n");
  }
}

static void
test_parse_valid (void)
{
  struct {
    const char *line;
    WardWireKind kind;
    const char *text;
  } cases[] = {
    { "PAM_PROMPT_ECHO_OFF Password: ", WARD_WIRE_PROMPT_ECHO_OFF, "Password: " },
    { "PAM_PROMPT_ECHO_ON Login: ", WARD_WIRE_PROMPT_ECHO_ON, "Login: " },
    { "PAM_ERROR_MSG Sorry\\n", WARD_WIRE_ERROR_MSG, "Sorry\n" },
    { "PAM_TEXT_INFO ", WARD_WIRE_TEXT_INFO, "" },
    { "PAM_TEXT_INFO  x", WARD_WIRE_TEXT_INFO, " x" },
    { "PAM_TEXT_INFO \\b\\f\\n\\r\\t\\v\\\\\\\"", WARD_WIRE_TEXT_INFO, "\b\f\n\r\t\v\\\"" },
    { "PAM_TEXT_INFO \\033]0;x\\007", WARD_WIRE_TEXT_INFO, "\x1b]0;x\x07" },
    { "PAM_TEXT_INFO \\303\\251", WARD_WIRE_TEXT_INFO, "\xc3\xa9" },
    { "PAM_TEXT_INFO \\001\\377", WARD_WIRE_TEXT_INFO, "\x01\xff" },
    { "PAM_TEXT_INFO \\101", WARD_WIRE_TEXT_INFO, "A" },
    { "PAM_TEXT_INFO SUCCESS", WARD_WIRE_TEXT_INFO, "SUCCESS" },
    { "SUCCESS", WARD_WIRE_SUCCESS, "" },
    { "FAILURE", WARD_WIRE_FAILURE, "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WardWireMessage) message = ward_wire_parse (cases[i].line,
                                                            strlen (cases[i].line), &error);

      g_assert_no_error (error);
      g_assert_nonnull (message);
      g_assert_cmpint (message->kind, ==, cases[i].kind);
      g_assert_cmpstr (message->text, ==, cases[i].text);
    }
}

static void
assert_malformed (const char *line, gsize len, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WardWireMessage) message = ward_wire_parse (line, len, &error);

  if (message != NULL)
    g_error ("accepted malformed line \"%s\"", g_strescape (line, NULL));
  g_assert_error (error, WARD_WIRE_ERROR, code);
}

static void
test_parse_malformed (void)
{
  const char *lines[] = {
    "",
    " ",
    "SUCCESS ",
    "SUCCESS\r",
    "SUCCESSX",
    "FAILURE x",
    "success",
    "FAIL",
    "PAM_TEXT_INFO",
    "PAM_TEXT_INFOx",
    "PAM_TEXT_INFO\tx",
    "PAM_PROMPT_ECHO_OFF",
    "PAM_PROMPT_ECHO_OFFPassword",
    "PAM_PROMPT_ECHO Password",
    "PAM_UNKNOWN x",
    " PAM_TEXT_INFO x",
    "PAM_TEXT_INFO x\\",
    "PAM_TEXT_INFO \\",
    "PAM_TEXT_INFO \\x41",
    "PAM_TEXT_INFO \\a",
    "PAM_TEXT_INFO \\e",
    "PAM_TEXT_INFO \\0",
    "PAM_TEXT_INFO \\00",
    "PAM_TEXT_INFO \\000",
    "PAM_TEXT_INFO \\0000",  /* \000 then '0': still a NUL */
    "PAM_TEXT_INFO \\400",
    "PAM_TEXT_INFO \\777",
    "PAM_TEXT_INFO \\8",
    "PAM_TEXT_INFO \\18",
    "PAM_TEXT_INFO \\1",
    "PAM_TEXT_INFO \\12",
    "PAM_TEXT_INFO say \"hi\"",
    "PAM_TEXT_INFO tab\there",
    "PAM_TEXT_INFO cr\rhere",
    "PAM_TEXT_INFO esc\x1b[2J",
    "PAM_TEXT_INFO del\x7f",
    "PAM_TEXT_INFO raw\xc3\xa9",
    "PAM_TEXT_INFO raw\x9b",
    "PAM_TEXT_INFO raw\xff",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    assert_malformed (lines[i], strlen (lines[i]), WARD_WIRE_ERROR_MALFORMED);

  /* Embedded NUL and newline, even where the rest is fine. */
  assert_malformed ("SUCCESS\0", 8, WARD_WIRE_ERROR_MALFORMED);
  assert_malformed ("PAM_TEXT_INFO a\0b", 17, WARD_WIRE_ERROR_MALFORMED);
  assert_malformed ("PAM_TEXT_INFO a\nSUCCESS", 23, WARD_WIRE_ERROR_MALFORMED);
  assert_malformed ("SUCCESS\n", 8, WARD_WIRE_ERROR_MALFORMED);

  /* Each kind with every raw byte that g_strescape never writes. */
  for (int b = 0; b < 256; b++)
    {
      char line[32] = { 0 };
      int n = g_snprintf (line, sizeof line, "PAM_ERROR_MSG a");

      if (b >= 0x20 && b <= 0x7e && b != '"' && b != '\\')
        continue;
      line[n] = (char) b;
      line[n + 1] = 'z';
      assert_malformed (line, (gsize) n + 2, WARD_WIRE_ERROR_MALFORMED);
    }

  /* Every octal escape: \001-\377 accepted, the rest refused. */
  for (int v = 0; v < 01000; v++)
    {
      char line[32];
      gsize n = (gsize) g_snprintf (line, sizeof line, "PAM_TEXT_INFO \\%03o", v);
      g_autoptr(GError) error = NULL;
      g_autoptr(WardWireMessage) message = ward_wire_parse (line, n, &error);

      if (v >= 1 && v <= 0xff)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (strlen (message->text), ==, 1);
          g_assert_cmpint ((guchar) message->text[0], ==, v);
        }
      else
        {
          g_assert_null (message);
          g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
        }
    }
}

static void
test_max_line (void)
{
  const char *keyword = "PAM_TEXT_INFO ";
  gsize klen = strlen (keyword);
  g_autofree char *line = g_malloc (WARD_WIRE_MAX_LINE + 2);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WardWireMessage) message = NULL;
  g_autofree char *encoded = NULL;

  /* 4095 bytes without the '\n' (4096 with it): the longest line accepted. */
  memcpy (line, keyword, klen);
  memset (line + klen, 'a', WARD_WIRE_MAX_LINE + 1 - klen);
  message = ward_wire_parse (line, WARD_WIRE_MAX_LINE - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (message->text), ==, WARD_WIRE_MAX_LINE - 1 - klen);
  g_clear_pointer (&message, ward_wire_message_free);

  message = ward_wire_parse (line, WARD_WIRE_MAX_LINE, &error);
  g_assert_null (message);
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
  g_clear_error (&error);

  /* Encoding: a line of exactly WARD_WIRE_MAX_LINE bytes with its '\n' is fine, one more not. */
  text = g_strndup (line + klen, WARD_WIRE_MAX_LINE - 1 - klen);
  encoded = ward_wire_encode (WARD_WIRE_TEXT_INFO, text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (encoded), ==, WARD_WIRE_MAX_LINE);
  g_clear_pointer (&encoded, g_free);
  g_clear_pointer (&text, g_free);

  text = g_strndup (line + klen, WARD_WIRE_MAX_LINE - klen);
  encoded = ward_wire_encode (WARD_WIRE_TEXT_INFO, text, &error);
  g_assert_null (encoded);
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
  g_clear_error (&error);

  /* ...but a trailing '\n' of the text is dropped before counting, as the helper does. */
  text[WARD_WIRE_MAX_LINE - klen - 1] = '\n';
  encoded = ward_wire_encode (WARD_WIRE_TEXT_INFO, text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (encoded), ==, WARD_WIRE_MAX_LINE);
  g_clear_pointer (&encoded, g_free);
  g_clear_pointer (&text, g_free);

  /* Escaping counts: 1020 bytes of ESC become 4080 escaped bytes. */
  text = g_malloc (1100);
  memset (text, '\x1b', 1100);
  text[(WARD_WIRE_MAX_LINE - 1 - klen) / 4] = '\0';
  encoded = ward_wire_encode (WARD_WIRE_TEXT_INFO, text, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (encoded), <=, WARD_WIRE_MAX_LINE);
  g_clear_pointer (&encoded, g_free);
  memset (text, '\x1b', 1100);
  text[(WARD_WIRE_MAX_LINE - 1 - klen) / 4 + 1] = '\0';
  encoded = ward_wire_encode (WARD_WIRE_PROMPT_ECHO_OFF, text, &error);
  g_assert_null (encoded);
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  /* A megabyte of text fails cleanly. */
  text = g_malloc (1024 * 1024 + 1);
  memset (text, 'm', 1024 * 1024);
  text[1024 * 1024] = '\0';
  encoded = ward_wire_encode (WARD_WIRE_ERROR_MSG, text, &error);
  g_assert_null (encoded);
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
}

static void
test_plain_line (void)
{
  g_autofree char *big = g_malloc0 (WARD_WIRE_MAX_LINE + 1);
  g_autoptr(GError) error = NULL;

  g_assert_true (ward_wire_check_plain_line ("alice", 5, NULL));
  g_assert_true (ward_wire_check_plain_line ("", 0, NULL));
  g_assert_true (ward_wire_check_plain_line ("p\xc3\xa4ss w\x01rd\x1b", 11, NULL));

  g_assert_false (ward_wire_check_plain_line ("a\0b", 3, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ward_wire_check_plain_line ("a\nb", 3, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ward_wire_check_plain_line ("ab\n", 3, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
  g_clear_error (&error);

  memset (big, 'x', WARD_WIRE_MAX_LINE);
  g_assert_true (ward_wire_check_plain_line (big, WARD_WIRE_MAX_LINE - 1, NULL));
  g_assert_false (ward_wire_check_plain_line (big, WARD_WIRE_MAX_LINE, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
}

static void
test_user_name (void)
{
  const char *good[] = { "alice", "a", "j.doe", "DOMAIN\\user", "user@example.org",
                         "J\xc3\xbcrgen M\xc3\xbcller", "\xe5\xb1\xb1\xe7\x94\xb0" };
  const struct {
    const char *bytes;
    gsize len;
    int code;
  } bad[] = {
    { "", 0, WARD_WIRE_ERROR_MALFORMED },
    { "a\0b", 3, WARD_WIRE_ERROR_MALFORMED },
    { "a\nb", 3, WARD_WIRE_ERROR_MALFORMED },
    { "ali\x1b[2Jce", 9, WARD_WIRE_ERROR_MALFORMED },
    { "tab\tname", 8, WARD_WIRE_ERROR_MALFORMED },
    { "del\x7f", 4, WARD_WIRE_ERROR_MALFORMED },
    { "c1\xc2\x9b" "31m", 7, WARD_WIRE_ERROR_MALFORMED },  /* U+009B, CSI */
    { "bob\xff", 4, WARD_WIRE_ERROR_MALFORMED },
    { "\xc3", 1, WARD_WIRE_ERROR_MALFORMED },                /* cut in a character */
    { "\xed\xa0\x80", 3, WARD_WIRE_ERROR_MALFORMED },        /* a surrogate */
    { "\xc0\xaf", 2, WARD_WIRE_ERROR_MALFORMED },            /* overlong '/' */
  };
  g_autofree char *longest = g_strnfill (WARD_WIRE_MAX_USER_NAME, 'u');
  g_autofree char *too_long = g_strnfill (WARD_WIRE_MAX_USER_NAME + 1, 'u');
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (ward_wire_check_user_name (good[i], strlen (good[i]), NULL));
  g_assert_true (ward_wire_check_user_name (longest, strlen (longest), NULL));
  g_assert_false (ward_wire_check_user_name (too_long, strlen (too_long), &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_clear_error (&error);
      g_assert_false (ward_wire_check_user_name (bad[i].bytes, bad[i].len, &error));
      g_assert_error (error, WARD_WIRE_ERROR, bad[i].code);
    }
  /* @len is respected: bytes after it are not read. */
  g_assert_true (ward_wire_check_user_name ("bob\xff", 3, NULL));
}

static void
test_cookie (void)
{
  /* What polkitd 122 and 127 issue, and what polkit before 0.113 did. */
  const char *good[] = { "7-2b3f9c0a11d24e5f8a7b6c5d4e3f2a1b-1-0123456789abcdef0123456789abcdef",
                         ("18446744073709551615-ffffffffffffffffffffffffffffffff-"
                          "18446744073709551615-ffffffffffffffffffffffffffffffff"),
                         "cookie0", "cookie-x", "C" };
  const char *bad[] = { "c\xff", "cookie x", "cookie\t", "cookie;rm", "cookie\x1b[2J",
                        "c\xc3\xa4", "../../etc", "cookie_1", "cookie.1", "+1" };
  g_autofree char *longest = g_strnfill (WARD_WIRE_MAX_COOKIE, 'f');
  g_autofree char *too_long = g_strnfill (WARD_WIRE_MAX_COOKIE + 1, 'f');
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (ward_wire_check_cookie (good[i], strlen (good[i]), NULL));
  g_assert_cmpuint (strlen (good[1]), <=, 108);
  g_assert_true (ward_wire_check_cookie (longest, strlen (longest), NULL));
  g_assert_false (ward_wire_check_cookie (too_long, strlen (too_long), &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_assert_false (ward_wire_check_cookie ("", 0, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (ward_wire_check_cookie ("a\0b", 3, &error));
  g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_clear_error (&error);
      g_assert_false (ward_wire_check_cookie (bad[i], strlen (bad[i]), &error));
      g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
    }
}

static void
test_unescape_strict (void)
{
  const char *bad[] = { "\\", "a\\", "\\q", "\\0", "\\000", "\\400", "\"", "\x7f", "\t", "\\08" };
  g_autofree char *empty = ward_wire_unescape ("", 0, NULL);

  g_assert_cmpstr (empty, ==, "");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = ward_wire_unescape (bad[i], strlen (bad[i]), &error);

      g_assert_null (out);
      g_assert_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED);
    }

  /* @len is respected: bytes after it are not read. */
  {
    g_autofree char *out = ward_wire_unescape ("ab\\", 2, NULL);

    g_assert_cmpstr (out, ==, "ab");
  }
}

static void
test_kind_names (void)
{
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_PROMPT_ECHO_OFF), ==,
                   "PAM_PROMPT_ECHO_OFF");
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_PROMPT_ECHO_ON), ==, "PAM_PROMPT_ECHO_ON");
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_ERROR_MSG), ==, "PAM_ERROR_MSG");
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_TEXT_INFO), ==, "PAM_TEXT_INFO");
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_SUCCESS), ==, "SUCCESS");
  g_assert_cmpstr (ward_wire_kind_to_string (WARD_WIRE_FAILURE), ==, "FAILURE");
  g_assert_null (ward_wire_kind_to_string ((WardWireKind) 42));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wire/escape-every-byte", test_escape_every_byte);
  g_test_add_func ("/wire/escape-random", test_escape_random);
  g_test_add_func ("/wire/round-trip", test_round_trip);
  g_test_add_func ("/wire/encode-matches-polkit", test_encode_matches_polkit);
  g_test_add_func ("/wire/parse-valid", test_parse_valid);
  g_test_add_func ("/wire/parse-malformed", test_parse_malformed);
  g_test_add_func ("/wire/max-line", test_max_line);
  g_test_add_func ("/wire/plain-line", test_plain_line);
  g_test_add_func ("/wire/user-name", test_user_name);
  g_test_add_func ("/wire/cookie", test_cookie);
  g_test_add_func ("/wire/unescape-strict", test_unescape_strict);
  g_test_add_func ("/wire/kind-names", test_kind_names);

  return g_test_run ();
}
