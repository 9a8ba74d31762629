/* ward-wire.c: polkit's agent <-> helper line protocol, as pure functions.
 *
 * polkit-agent-helper-1 writes "KEYWORD " + g_strescape (text minus one trailing '\n', NULL) +
 * "\n", or "SUCCESS\n" / "FAILURE\n". polkit's agent side runs g_strcompress() over the whole
 * line, which accepts anything; ward instead accepts only what g_strescape can produce (plus
 * octal escapes of any non-NUL byte), and rejects everything else.
 */
#include "config.h"

#include "ward-wire.h"

#include <string.h>

G_DEFINE_QUARK (ward-wire-error-quark, ward_wire_error)

static const struct {
  WardWireKind kind;
  const char *keyword;
  gboolean has_text;
} kinds[] = {
  { WARD_WIRE_PROMPT_ECHO_OFF, "PAM_PROMPT_ECHO_OFF", TRUE },
  { WARD_WIRE_PROMPT_ECHO_ON, "PAM_PROMPT_ECHO_ON", TRUE },
  { WARD_WIRE_ERROR_MSG, "PAM_ERROR_MSG", TRUE },
  { WARD_WIRE_TEXT_INFO, "PAM_TEXT_INFO", TRUE },
  { WARD_WIRE_SUCCESS, "SUCCESS", FALSE },
  { WARD_WIRE_FAILURE, "FAILURE", FALSE },
};

const char *
ward_wire_kind_to_string (WardWireKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      if (kinds[i].kind == kind)
        return kinds[i].keyword;
    }
  return NULL;
}

void
ward_wire_message_free (WardWireMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->text);
  g_free (message);
}

char *
ward_wire_escape (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  /* The helper's own escaping, so ward's helper is byte-for-byte what polkit's agents expect. */
  return g_strescape (text, NULL);
}

static int
octal_digit (char c)
{
  return c >= '0' && c <= '7' ? c - '0' : -1;
}

char *
ward_wire_unescape (const char *escaped, gsize len, GError **error)
{
  g_autofree char *out = NULL;
  gsize o = 0;

  g_return_val_if_fail (escaped != NULL || len == 0, NULL);

  /* Unescaping never grows the text. */
  out = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) escaped[i];

      /* g_strescape writes only printable ASCII; a raw '"' would have been escaped. */
      if (c < 0x20 || c > 0x7e || c == '"')
        {
          g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                       "Unescaped byte 0x%02x at offset %" G_GSIZE_FORMAT, c, i);
          return NULL;
        }
      if (c != '\\')
        {
          out[o++] = (char) c;
          continue;
        }

      if (++i >= len)
        {
          g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                       "Backslash at the end of the text");
          return NULL;
        }

      switch (escaped[i])
        {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case '\\': out[o++] = '\\'; break;
        case '"': out[o++] = '"'; break;
        default:
          {
            int d0, d1, d2, value;

            /* Exactly three octal digits, as g_strescape writes them. */
            if (len - i < 3 ||
                (d0 = octal_digit (escaped[i])) < 0 ||
                (d1 = octal_digit (escaped[i + 1])) < 0 ||
                (d2 = octal_digit (escaped[i + 2])) < 0)
              {
                g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                             "Invalid escape sequence at offset %" G_GSIZE_FORMAT, i - 1);
                return NULL;
              }
            value = d0 * 64 + d1 * 8 + d2;
            if (value == 0 || value > 0xff)
              {
                g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                             "Octal escape out of range at offset %" G_GSIZE_FORMAT, i - 1);
                return NULL;
              }
            out[o++] = (char) value;
            i += 2;
          }
          break;
        }
    }

  out[o] = '\0';
  return g_steal_pointer (&out);
}

gboolean
ward_wire_check_plain_line (const char *line, gsize len, GError **error)
{
  g_return_val_if_fail (line != NULL || len == 0, FALSE);

  if (len >= WARD_WIRE_MAX_LINE)
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG,
                   "Line of %" G_GSIZE_FORMAT " bytes is too long (limit %d with its newline)",
                   len, WARD_WIRE_MAX_LINE);
      return FALSE;
    }
  if (memchr (line, '\0', len) != NULL)
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED, "Line contains a NUL byte");
      return FALSE;
    }
  if (memchr (line, '\n', len) != NULL)
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED, "Line contains a newline");
      return FALSE;
    }
  return TRUE;
}

gboolean
ward_wire_check_user_name (const char *name, gsize len, GError **error)
{
  const char *p;

  g_return_val_if_fail (name != NULL || len == 0, FALSE);

  if (len == 0 || len > WARD_WIRE_MAX_USER_NAME)
    {
      g_set_error (error, WARD_WIRE_ERROR, len == 0 ? WARD_WIRE_ERROR_MALFORMED :
                   WARD_WIRE_ERROR_TOO_LONG, "A user name has 1 to %d bytes, not %" G_GSIZE_FORMAT,
                   WARD_WIRE_MAX_USER_NAME, len);
      return FALSE;
    }
  /* Refuses NUL bytes as well. */
  if (!g_utf8_validate_len (name, len, NULL))
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                   "A user name must be valid UTF-8");
      return FALSE;
    }
  for (p = name; p < name + len; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                       "A user name must not contain control characters");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ward_wire_check_cookie (const char *cookie, gsize len, GError **error)
{
  g_return_val_if_fail (cookie != NULL || len == 0, FALSE);

  if (len == 0 || len > WARD_WIRE_MAX_COOKIE)
    {
      g_set_error (error, WARD_WIRE_ERROR, len == 0 ? WARD_WIRE_ERROR_MALFORMED :
                   WARD_WIRE_ERROR_TOO_LONG, "A cookie has 1 to %d bytes, not %" G_GSIZE_FORMAT,
                   WARD_WIRE_MAX_COOKIE, len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isalnum (cookie[i]) && cookie[i] != '-')
        {
          g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED,
                       "A cookie holds only ASCII letters, digits and '-'");
          return FALSE;
        }
    }
  return TRUE;
}

WardWireMessage *
ward_wire_parse (const char *line, gsize len, GError **error)
{
  g_autoptr(WardWireMessage) message = NULL;

  g_return_val_if_fail (line != NULL || len == 0, NULL);

  if (!ward_wire_check_plain_line (line, len, error))
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      gsize klen = strlen (kinds[i].keyword);

      if (len < klen || memcmp (line, kinds[i].keyword, klen) != 0)
        continue;

      if (!kinds[i].has_text)
        {
          /* polkit's agent matches these by prefix; the helper writes them alone. */
          if (len != klen)
            break;
          message = g_new0 (WardWireMessage, 1);
          message->kind = kinds[i].kind;
          message->text = g_strdup ("");
          return g_steal_pointer (&message);
        }

      /* Exactly one space, then the escaped text (possibly empty). No keyword is a prefix of
       * another followed by a space, so the first match is the only one. */
      if (len == klen || line[klen] != ' ')
        continue;

      message = g_new0 (WardWireMessage, 1);
      message->kind = kinds[i].kind;
      message->text = ward_wire_unescape (line + klen + 1, len - klen - 1, error);
      if (message->text == NULL)
        {
          g_prefix_error (error, "%s: ", kinds[i].keyword);
          return NULL;
        }
      return g_steal_pointer (&message);
    }

  g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_MALFORMED, "Unknown helper message");
  return NULL;
}

char *
ward_wire_encode (WardWireKind kind, const char *text, GError **error)
{
  const char *keyword = ward_wire_kind_to_string (kind);
  g_autofree char *copy = NULL;
  g_autofree char *escaped = NULL;
  gsize text_len;
  char *line;

  g_return_val_if_fail (keyword != NULL, NULL);

  if (kind == WARD_WIRE_SUCCESS || kind == WARD_WIRE_FAILURE)
    return g_strconcat (keyword, "\n", NULL);

  /* As the helper does: one trailing newline of the PAM text goes, then the escaping. */
  if (text == NULL)
    text = "";
  text_len = strlen (text);
  if (text_len > 0 && text[text_len - 1] == '\n')
    text_len--;

  /* Each byte escapes to at most four; check before allocating for huge input. */
  if (text_len >= WARD_WIRE_MAX_LINE)
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG,
                   "%s text of %" G_GSIZE_FORMAT " bytes does not fit in one line", keyword,
                   text_len);
      return NULL;
    }

  copy = g_strndup (text, text_len);
  escaped = ward_wire_escape (copy);
  line = g_strconcat (keyword, " ", escaped, "\n", NULL);
  if (strlen (line) > WARD_WIRE_MAX_LINE)
    {
      g_set_error (error, WARD_WIRE_ERROR, WARD_WIRE_ERROR_TOO_LONG,
                   "%s line of %" G_GSIZE_FORMAT " bytes exceeds %d", keyword, strlen (line),
                   WARD_WIRE_MAX_LINE);
      g_free (line);
      return NULL;
    }
  return line;
}
