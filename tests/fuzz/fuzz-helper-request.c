/* fuzz-helper-request.c: the helper's side of a connection, over arbitrary agent bytes.
 *
 * ward-helper's reader (read_line() and conversation() in helper/ward-helper.c) is static and
 * reads a socket, so it cannot be called here. This target drives what that reader is made of,
 * the same way and with the same bounds: bytes go one by one into a WardSecret of
 * WARD_WIRE_MAX_LINE bytes, a NUL or an oversized line ends the connection, the first line is
 * the user name, the second the cookie, the rest replies; then each line must pass
 * ward_wire_check_plain_line() and the pid/uid parser must agree with a reference. The other
 * direction too: the bytes, taken as PAM text, are encoded as the helper would send them and
 * parsed back as the agent reads them.
 *
 * Invariants: nothing crashes or reads out of bounds; a secret never holds more than its
 * capacity; every accepted line is a plain line; encoding a PAM text gives one line of at most
 * WARD_WIRE_MAX_LINE bytes that parses back to the text (less one trailing '\n').
 *
 * TODO(lead): factor the reader out of ward-helper.c (e.g. helper/ward-helper-reader.c with
 * `gboolean ward_helper_read_line (int fd, WardSecret *line, ...)`) so this target can drive the
 * shipped function itself. */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-request.h"
#include "ward-secret.h"
#include "ward-wire.h"

/* As many lines as a conversation can carry before the helper's MAX_MESSAGES ends it. */
#define MAX_LINES 258

/* A reference for ward_parse_uint32: decimal, no sign, no leading zero, fits in 32 bits. */
static gboolean
reference_uint32 (const char *text, gsize len, guint32 *out)
{
  guint64 value = 0;

  if (len == 0 || len > 10 || (text[0] == '0' && len > 1))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] < '0' || text[i] > '9')
        return FALSE;
      value = value * 10 + (guint64) (text[i] - '0');
    }
  if (value > G_MAXUINT32)
    return FALSE;
  *out = (guint32) value;
  return TRUE;
}

static void
check_line (const WardSecret *line, guint index)
{
  const char *bytes = ward_secret_get (line);
  gsize len = ward_secret_len (line);
  g_autoptr(GError) error = NULL;
  guint32 parsed = 0, expected = 0;
  gboolean ok, ref;

  FUZZ_CHECK (len + 1 <= WARD_WIRE_MAX_LINE);
  FUZZ_CHECK (len <= ward_secret_capacity (line));
  FUZZ_CHECK (bytes[len] == '\0');
  /* What the reader accepted is exactly what the agent side may write. */
  FUZZ_CHECK (ward_wire_check_plain_line (bytes, len, &error));
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (memchr (bytes, '\n', len) == NULL && strlen (bytes) == len);

  ok = ward_parse_uint32 (bytes, &parsed);
  ref = reference_uint32 (bytes, len, &expected);
  FUZZ_CHECK (ok == ref);
  if (ok)
    FUZZ_CHECK (parsed == expected);

  /* The user name (line 0) becomes argv-free PAM input; an empty one is refused by the helper. */
  (void) index;
}

static void
check_reader (const uint8_t *data, size_t size)
{
  g_autoptr(WardSecret) line = ward_secret_new (WARD_WIRE_MAX_LINE);
  guint lines = 0;

  for (size_t i = 0; i < size && lines < MAX_LINES; i++)
    {
      char c = (char) data[i];

      if (c == '\n')
        {
          check_line (line, lines++);
          ward_secret_clear (line);
          FUZZ_CHECK (ward_secret_len (line) == 0 && ward_secret_get (line)[0] == '\0');
          continue;
        }
      if (c == '\0')
        {
          /* The helper refuses a NUL; the plain-line check must agree. */
          g_autoptr(GError) error = NULL;
          FUZZ_CHECK (!ward_wire_check_plain_line ((const char *) data + i, 1, &error));
          FUZZ_CHECK (error != NULL);
          return;
        }
      if (ward_secret_len (line) + 2 > WARD_WIRE_MAX_LINE)
        {
          /* One more byte would not leave room for the '\n': the helper refuses the line, and
           * so must the check. */
          g_autoptr(WardSecret) longer = ward_secret_new (WARD_WIRE_MAX_LINE);
          g_autoptr(GError) error = NULL;

          FUZZ_CHECK (ward_secret_append (longer, ward_secret_get (line), ward_secret_len (line)));
          if (ward_secret_append (longer, &c, 1))
            FUZZ_CHECK (!ward_wire_check_plain_line (ward_secret_get (longer),
                                                     ward_secret_len (longer), &error));
          return;
        }
      FUZZ_CHECK (ward_secret_append (line, &c, 1));
    }
}

/* The helper -> agent direction: a PAM module's text, encoded by send_message()'s rule. */
static void
check_pam_text (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  gsize text_len = strlen (text);

  for (WardWireKind kind = WARD_WIRE_PROMPT_ECHO_OFF; kind <= WARD_WIRE_TEXT_INFO; kind++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *encoded = ward_wire_encode (kind, text, &error);
      g_autoptr(WardWireMessage) message = NULL;
      gsize len, want = text_len;

      if (encoded == NULL)
        {
          /* The helper then ends the conversation: a long text is never cut silently. */
          FUZZ_CHECK (error != NULL && error->code == WARD_WIRE_ERROR_TOO_LONG);
          continue;
        }
      len = strlen (encoded);
      FUZZ_CHECK (len <= WARD_WIRE_MAX_LINE && encoded[len - 1] == '\n');
      FUZZ_CHECK (memchr (encoded, '\n', len - 1) == NULL);
      message = ward_wire_parse (encoded, len - 1, &error);
      FUZZ_CHECK (message != NULL && message->kind == kind);
      if (want > 0 && text[want - 1] == '\n')
        want--;
      FUZZ_CHECK (strlen (message->text) == want && memcmp (message->text, text, want) == 0);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* A helper connection carries at most MAX_LINES lines of WARD_WIRE_MAX_LINE bytes; longer
   * inputs only repeat the length checks. */
  if (size > 4 * WARD_WIRE_MAX_LINE)
    return 0;

  check_reader (data, size);
  check_pam_text (data, size);
  return 0;
}
