/* fuzz-wire.c: the helper line parser and its encoder.
 *
 * Invariants: parsing never crashes; what it accepts re-encodes to a line that parses back to
 * the same message, and means what polkit's own agent (g_strcompress) would read; encoding any
 * text gives a line that parses back to it; unescape inverts escape. */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-wire.h"

static void
check_parse (const char *line, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WardWireMessage) message = ward_wire_parse (line, len, &error);
  g_autoptr(WardWireMessage) again = NULL;
  g_autofree char *encoded = NULL;
  gsize text_len;

  if (message == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == WARD_WIRE_ERROR);
      return;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (message->text != NULL);
  FUZZ_CHECK (len < WARD_WIRE_MAX_LINE);
  FUZZ_CHECK (memchr (line, '\n', len) == NULL && memchr (line, '\0', len) == NULL);

  text_len = strlen (message->text);
  if (message->kind == WARD_WIRE_SUCCESS || message->kind == WARD_WIRE_FAILURE)
    {
      FUZZ_CHECK (text_len == 0);
      FUZZ_CHECK (len == strlen (ward_wire_kind_to_string (message->kind)));
    }
  else
    {
      const char *keyword = ward_wire_kind_to_string (message->kind);
      gsize klen = strlen (keyword);
      g_autofree char *rest = g_strndup (line + klen + 1, len - klen - 1);
      g_autofree char *compressed = g_strcompress (rest);

      FUZZ_CHECK (memcmp (line, keyword, klen) == 0 && line[klen] == ' ');
      /* Same meaning as polkit's PolkitAgentSession gives the line. */
      FUZZ_CHECK (strcmp (compressed, message->text) == 0);
      /* Unescaping never grows. */
      FUZZ_CHECK (text_len <= len - klen - 1);
    }

  /* Re-encoding: a text ending in '\n' loses it (the helper's rule), so only compare the rest. */
  /* The canonical escaping of each byte is never longer than any accepted form of it, so an
   * accepted line always fits when encoded again. */
  encoded = ward_wire_encode (message->kind, message->text, &error);
  FUZZ_CHECK (encoded != NULL);
  again = ward_wire_parse (encoded, strlen (encoded) - 1, &error);
  FUZZ_CHECK (again != NULL);
  FUZZ_CHECK (again->kind == message->kind);
  if (text_len > 0 && message->text[text_len - 1] == '\n')
    FUZZ_CHECK (strlen (again->text) == text_len - 1 &&
                memcmp (again->text, message->text, text_len - 1) == 0);
  else
    FUZZ_CHECK (strcmp (again->text, message->text) == 0);
}

static void
check_encode (const char *text)
{
  for (WardWireKind kind = WARD_WIRE_PROMPT_ECHO_OFF; kind <= WARD_WIRE_FAILURE; kind++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = ward_wire_encode (kind, text, &error);
      g_autoptr(WardWireMessage) message = NULL;
      gsize text_len = strlen (text);
      gsize len;

      if (line == NULL)
        {
          FUZZ_CHECK (error != NULL && error->code == WARD_WIRE_ERROR_TOO_LONG);
          FUZZ_CHECK (kind != WARD_WIRE_SUCCESS && kind != WARD_WIRE_FAILURE);
          continue;
        }
      len = strlen (line);
      FUZZ_CHECK (len <= WARD_WIRE_MAX_LINE && line[len - 1] == '\n');
      message = ward_wire_parse (line, len - 1, &error);
      FUZZ_CHECK (message != NULL);
      FUZZ_CHECK (message->kind == kind);
      if (kind == WARD_WIRE_SUCCESS || kind == WARD_WIRE_FAILURE)
        {
          FUZZ_CHECK (message->text[0] == '\0');
          continue;
        }
      if (text_len > 0 && text[text_len - 1] == '\n')
        text_len--;
      FUZZ_CHECK (strlen (message->text) == text_len);
      FUZZ_CHECK (memcmp (message->text, text, text_len) == 0);
    }
}

static void
check_unescape (const char *escaped, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ward_wire_unescape (escaped, len, &error);
  g_autofree char *escaped_again = NULL;
  g_autofree char *back = NULL;

  if (text == NULL)
    {
      FUZZ_CHECK (error != NULL);
      return;
    }
  /* Valid escaped text is printable ASCII only. */
  for (gsize i = 0; i < len; i++)
    FUZZ_CHECK ((guchar) escaped[i] >= 0x20 && (guchar) escaped[i] <= 0x7e);
  escaped_again = ward_wire_escape (text);
  back = ward_wire_unescape (escaped_again, strlen (escaped_again), &error);
  FUZZ_CHECK (back != NULL && strcmp (back, text) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;

  /* Longer inputs only exercise the length checks; keep the fuzzer fast. */
  if (size > 3 * WARD_WIRE_MAX_LINE)
    return 0;

  check_parse ((const char *) data, size);
  check_unescape ((const char *) data, size);

  /* As text for the encoder: up to the first NUL, as a C string would be. */
  text = g_strndup ((const char *) data, size);
  check_encode (text);
  return 0;
}
