/* fuzz-helper-request.c: the helper's side of a connection, over arbitrary agent bytes.
 *
 * ward-helper reads each line one byte per read(2) and hands every byte to
 * ward_helper_line_feed() (helper/ward-helper-line.c, compiled into ward-helper and into this
 * target): that function makes every framing decision (end of line, NUL bytes, the length
 * bound, CR and other bytes kept as data). This target drives it exactly as read_line() in
 * helper/ward-helper.c does: a cleared line per call, one byte at a time, the end of the input
 * as the agent closing the connection mid-line, nothing read after a refused line; the first
 * line is the user name, the second the cookie, the rest replies, as main() and conversation()
 * take them. Since the state between two reads is only the WardSecret, feeding byte by byte
 * covers every way the agent's writes can be split into reads. An independent model of the
 * protocol (memchr over the input) must agree with the shipped reader on every outcome.
 *
 * The other direction too: the bytes, taken as PAM text, are encoded as the helper would send
 * them and parsed back as the agent reads them.
 *
 * Invariants: nothing crashes or reads out of bounds; a secret never holds more than its
 * capacity and is wiped whole after a refused or cut-off line; every accepted line is the model's
 * (byte for byte, '\r' included) and a plain line; the user name and cookie checks (helper rule
 * H6) agree with references written from RFC 3629 and polkit's cookie format, and what they let
 * through is valid UTF-8; encoding a PAM text gives one line of at most
 * WARD_WIRE_MAX_LINE bytes that parses back to the text (less one trailing '\n'). */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-helper-line.h"
#include "ward-request.h"
#include "ward-secret.h"
#include "ward-wire.h"

/* The user name, the cookie, and as many replies as the helper's MAX_MESSAGES (256) allow. */
#define MAX_LINES 258
/* The longest line the helper accepts: it and its '\n' fill WARD_WIRE_MAX_LINE. */
#define LONGEST (WARD_WIRE_MAX_LINE - 1)

typedef enum {
  OUTCOME_LINE,
  OUTCOME_NUL,
  OUTCOME_TOO_LONG,
  OUTCOME_EOF,
} Outcome;

/* The agent's side of the socket: the fuzz input, then end of file. */
typedef struct {
  const uint8_t *data;
  size_t size;
  size_t pos;
  gboolean failed; /* Conn.failed: after a refused or cut-off line nothing more is read */
} Stream;

/* read_line() of helper/ward-helper.c without the poll(2)/read(2) around it. */
static Outcome
helper_read_line (Stream *stream, WardSecret *line)
{
  ward_secret_clear (line);
  FUZZ_CHECK (!stream->failed);

  while (stream->pos < stream->size)
    {
      char c = (char) stream->data[stream->pos++];

      switch (ward_helper_line_feed (line, c))
        {
        case WARD_HELPER_LINE_MORE:
          FUZZ_CHECK (ward_secret_len (line) <= LONGEST);
          continue;
        case WARD_HELPER_LINE_END:
          FUZZ_CHECK (c == '\n');
          return OUTCOME_LINE;
        case WARD_HELPER_LINE_NUL:
          FUZZ_CHECK (c == '\0');
          stream->failed = TRUE;
          ward_secret_clear (line);
          return OUTCOME_NUL;
        case WARD_HELPER_LINE_TOO_LONG:
          FUZZ_CHECK (ward_secret_len (line) == LONGEST);
          stream->failed = TRUE;
          ward_secret_clear (line);
          return OUTCOME_TOO_LONG;
        default:
          FUZZ_CHECK (0); /* an unknown WardHelperLineStatus */
        }
    }
  /* read(2) returned 0: the agent went away mid-line or between lines. */
  stream->failed = TRUE;
  ward_secret_clear (line);
  return OUTCOME_EOF;
}

/* The model: what polkit's protocol and HACKING.md (invariants 4, 9) say the next line is. */
static Outcome
model_next_line (const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
  const uint8_t *p = data + *pos;
  size_t avail = size - *pos;
  const uint8_t *nl = memchr (p, '\n', avail);
  size_t segment = nl != NULL ? (size_t) (nl - p) : avail;
  const uint8_t *nul = memchr (p, '\0', segment);

  /* Bytes are taken in order: a NUL within the first LONGEST + 1 bytes is seen before the
   * length bound is. */
  if (nul != NULL && (size_t) (nul - p) <= LONGEST)
    return OUTCOME_NUL;
  if (segment > LONGEST)
    return OUTCOME_TOO_LONG;
  if (nl == NULL)
    return OUTCOME_EOF;
  *len = segment;
  *pos += segment + 1;
  return OUTCOME_LINE;
}

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

/* A reference for ward_wire_check_user_name, written from RFC 3629 rather than with GLib:
 * 1-255 bytes of UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF, no NUL) with
 * no C0, DEL or C1 control character. */
static gboolean
reference_user_name (const uint8_t *s, size_t len)
{
  size_t i = 0;

  if (len == 0 || len > 255)
    return FALSE;
  while (i < len)
    {
      uint32_t cp;
      size_t n;

      if (s[i] < 0x80)
        {
          cp = s[i];
          n = 1;
        }
      else if (s[i] >= 0xc2 && s[i] <= 0xdf)
        {
          cp = s[i] & 0x1f;
          n = 2;
        }
      else if (s[i] >= 0xe0 && s[i] <= 0xef)
        {
          cp = s[i] & 0x0f;
          n = 3;
        }
      else if (s[i] >= 0xf0 && s[i] <= 0xf4)
        {
          cp = s[i] & 0x07;
          n = 4;
        }
      else
        return FALSE;
      if (i + n > len)
        return FALSE;
      for (size_t k = 1; k < n; k++)
        {
          if ((s[i + k] & 0xc0) != 0x80)
            return FALSE;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
          (cp >= 0xd800 && cp <= 0xdfff))
        return FALSE;
      if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return FALSE;
      i += n;
    }
  return TRUE;
}

/* A reference for ward_wire_check_cookie: 1-256 bytes of [A-Za-z0-9-]. */
static gboolean
reference_cookie (const uint8_t *s, size_t len)
{
  if (len == 0 || len > 256)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    {
      if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
        return FALSE;
    }
  return TRUE;
}

static void
check_wiped (const WardSecret *line)
{
  const char *bytes = ward_secret_get (line);

  FUZZ_CHECK (ward_secret_len (line) == 0);
  /* ward_secret_clear() wipes the whole buffer, its terminating byte included. */
  for (gsize i = 0; i <= ward_secret_capacity (line); i++)
    FUZZ_CHECK (bytes[i] == '\0');
}

static void
check_line (const WardSecret *line, const uint8_t *expected, size_t expected_len)
{
  const char *bytes = ward_secret_get (line);
  gsize len = ward_secret_len (line);
  g_autoptr(GError) error = NULL;
  guint32 parsed = 0, reference = 0;
  gboolean ok, ref;

  FUZZ_CHECK (len == expected_len && memcmp (bytes, expected, len) == 0);
  FUZZ_CHECK (len <= LONGEST && len <= ward_secret_capacity (line));
  FUZZ_CHECK (bytes[len] == '\0');
  /* What the reader accepted is exactly what the agent side may write. */
  FUZZ_CHECK (ward_wire_check_plain_line (bytes, len, &error));
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (memchr (bytes, '\n', len) == NULL && strlen (bytes) == len);

  ok = ward_parse_uint32 (bytes, &parsed);
  ref = reference_uint32 (bytes, len, &reference);
  FUZZ_CHECK (ok == ref);
  if (ok)
    FUZZ_CHECK (parsed == reference);
}

static void
check_reader (const uint8_t *data, size_t size)
{
  /* main() reads the user name and the cookie into one secret; conversation() the replies into
   * another, each copied into the malloc()ed buffer PAM wants. */
  g_autoptr(WardSecret) request = ward_secret_new (WARD_WIRE_MAX_LINE);
  g_autoptr(WardSecret) reply = ward_secret_new (WARD_WIRE_MAX_LINE);
  Stream stream = { data, size, 0, FALSE };
  size_t model_pos = 0;

  for (guint index = 0; index < MAX_LINES; index++)
    {
      WardSecret *line = index < 2 ? request : reply;
      size_t start = model_pos, model_len = 0;
      Outcome model = model_next_line (data, size, &model_pos, &model_len);
      Outcome got = helper_read_line (&stream, line);

      FUZZ_CHECK (got == model);
      if (got != OUTCOME_LINE)
        {
          check_wiped (line);
          /* A refused line ends the connection: the helper reads nothing more. */
          FUZZ_CHECK (stream.failed);
          return;
        }
      FUZZ_CHECK (stream.pos == model_pos);
      check_line (line, data + start, model_len);

      /* main() (H6): a user name or cookie that polkitd could not have sent ends the instance
       * before PAM or polkitd sees it. */
      if (index < 2)
        {
          const char *bytes = ward_secret_get (line);
          gsize len = ward_secret_len (line);
          g_autoptr(GError) error = NULL;
          gboolean valid = index == 0 ? ward_wire_check_user_name (bytes, len, &error)
                                      : ward_wire_check_cookie (bytes, len, &error);
          gboolean expected = index == 0 ? reference_user_name ((const uint8_t *) bytes, len)
                                         : reference_cookie ((const uint8_t *) bytes, len);

          FUZZ_CHECK (valid == expected);
          FUZZ_CHECK (valid == (error == NULL));
          if (!valid)
            {
              FUZZ_CHECK (error->domain == WARD_WIRE_ERROR);
              return;
            }
          /* What passes is text GVariant and syslog take as it is. */
          FUZZ_CHECK (g_utf8_validate (bytes, len, NULL));
        }
      if (index >= 2)
        {
          g_autofree char *copy = g_malloc (ward_secret_len (line) + 1);

          memcpy (copy, ward_secret_get (line), ward_secret_len (line) + 1);
          FUZZ_CHECK (strlen (copy) == ward_secret_len (line));
          explicit_bzero (copy, ward_secret_len (line));
        }
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
