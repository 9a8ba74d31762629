/* ward-text.c: make untrusted text safe to show (see ward-text.h).
 *
 * The input is decoded to code points first (each invalid byte becomes U+FFFD, so raw 8-bit C1
 * bytes 0x80-0x9f are never seen as controls), then an ECMA-48 state machine drops escape and
 * control sequences. The output holds no C0 control except '\n' (multi-line only), no DEL, no C1
 * control, no bidirectional control: nothing a terminal or a label could interpret.
 */
#include "config.h"

#include "ward-text.h"

#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

typedef enum {
  STATE_NORMAL,
  STATE_ESCAPE,        /* after ESC */
  STATE_ESCAPE_INTER,  /* ESC + intermediate bytes (nF), waiting for the final byte */
  STATE_CSI,           /* ESC [ or U+009B: parameters, intermediates, final byte */
  STATE_OSC,           /* ESC ] or U+009D: up to BEL or ST */
  STATE_STRING,        /* DCS, SOS, PM, APC (ESC P/X/^/_ or U+0090/98/9E/9F): up to ST */
  STATE_OSC_ESC,       /* ESC inside an OSC: '\\' ends it */
  STATE_STRING_ESC,    /* ESC inside a control string: '\\' ends it */
} State;

typedef struct {
  GString *out;
  gsize max_chars;
  gsize chars;
  gsize last_char_offset; /* byte offset of the last character written */
} Output;

/* Appends one character; returns FALSE once the cap is exceeded and the text is ended. */
static gboolean
output_char (Output *o, gunichar c)
{
  if (o->max_chars > 0 && o->chars == o->max_chars)
    {
      /* One character too many: the last kept one makes room for the ellipsis. */
      g_string_truncate (o->out, o->last_char_offset);
      g_string_append (o->out, ELLIPSIS);
      return FALSE;
    }
  o->last_char_offset = o->out->len;
  g_string_append_unichar (o->out, c);
  o->chars++;
  return TRUE;
}

static gboolean
is_removed_format_char (gunichar c)
{
  switch (c)
    {
    /* Bidirectional marks, embeddings, overrides and isolates: they reorder what follows
     * (CVE-2021-42574, "Trojan Source"). */
    case 0x061c:
    case 0x200e:
    case 0x200f:
    case 0x202a: case 0x202b: case 0x202c: case 0x202d: case 0x202e:
    case 0x2066: case 0x2067: case 0x2068: case 0x2069:
    /* Invisible characters that hide or split words; U+200C/U+200D stay (scripts, emoji). */
    case 0x200b:
    case 0xfeff:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Handles one code point in STATE_NORMAL; returns FALSE when the output is full. */
static gboolean
normal_char (Output *o, State *state, gunichar c, WardTextFlags flags)
{
  switch (c)
    {
    case 0x1b: *state = STATE_ESCAPE; return TRUE;
    case 0x9b: *state = STATE_CSI; return TRUE;
    case 0x9d: *state = STATE_OSC; return TRUE;
    case 0x90: case 0x98: case 0x9e: case 0x9f: *state = STATE_STRING; return TRUE;
    case '\n':
      return output_char (o, (flags & WARD_TEXT_MULTILINE) ? '\n' : ' ');
    case '\t':
    case 0x2028: /* line separator */
    case 0x2029: /* paragraph separator */
      return output_char (o, ' ');
    default:
      break;
    }

  if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || is_removed_format_char (c))
    return TRUE;

  return output_char (o, c);
}

/* Feeds one code point through the escape-sequence state machine. */
static gboolean
feed (Output *o, State *state, gunichar c, WardTextFlags flags)
{
  switch (*state)
    {
    case STATE_NORMAL:
      return normal_char (o, state, c, flags);

    case STATE_ESCAPE:
      switch (c)
        {
        case '[': *state = STATE_CSI; return TRUE;
        case ']': *state = STATE_OSC; return TRUE;
        case 'P': case 'X': case '^': case '_': *state = STATE_STRING; return TRUE;
        case 0x1b: return TRUE; /* a new ESC restarts the sequence */
        default: break;
        }
      if (c >= 0x20 && c <= 0x2f)
        {
          *state = STATE_ESCAPE_INTER;
          return TRUE;
        }
      if (c >= 0x30 && c <= 0x7e)
        {
          /* Two-character Fp, Fe or Fs sequence: complete. */
          *state = STATE_NORMAL;
          return TRUE;
        }
      /* Not a sequence after all: drop the ESC, and treat this character as text. */
      *state = STATE_NORMAL;
      return normal_char (o, state, c, flags);

    case STATE_ESCAPE_INTER:
      if (c >= 0x20 && c <= 0x2f)
        return TRUE;
      *state = STATE_NORMAL;
      if (c >= 0x30 && c <= 0x7e)
        return TRUE;
      return normal_char (o, state, c, flags);

    case STATE_CSI:
      /* Parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, final byte 0x40-0x7e. */
      if (c >= 0x20 && c <= 0x3f)
        return TRUE;
      *state = STATE_NORMAL;
      if (c >= 0x40 && c <= 0x7e)
        return TRUE;
      return normal_char (o, state, c, flags);

    case STATE_OSC:
    case STATE_STRING:
      /* Everything up to the terminator is swallowed; an unterminated string swallows the rest
       * of the text, which hides more, never less. */
      if (c == 0x9c || (c == 0x07 && *state == STATE_OSC))
        *state = STATE_NORMAL;
      else if (c == 0x1b)
        *state = *state == STATE_OSC ? STATE_OSC_ESC : STATE_STRING_ESC;
      return TRUE;

    case STATE_OSC_ESC:
    case STATE_STRING_ESC:
      if (c == '\\')
        *state = STATE_NORMAL;
      else if (c != 0x1b)
        *state = *state == STATE_OSC_ESC ? STATE_OSC : STATE_STRING;
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

char *
ward_text_sanitize (const char *text, gssize len, gsize max_chars, WardTextFlags flags)
{
  Output o = { 0, };
  State state = STATE_NORMAL;
  gsize size;
  gsize i = 0;

  if (text == NULL)
    return g_strdup ("");

  size = len < 0 ? strlen (text) : (gsize) len;
  o.out = g_string_sized_new (MIN (size, 4096) + 1);
  o.max_chars = max_chars;

  while (i < size)
    {
      gunichar c = g_utf8_get_char_validated (text + i, (gssize) (size - i));
      gsize step;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* NUL (reported as -2 by GLib) is a C0 control and simply removed. */
          step = 1;
          c = text[i] == '\0' ? 0 : 0xfffd;
        }
      else
        {
          step = (gsize) g_utf8_skip[(guchar) text[i]];
        }
      i += step;

      if (!feed (&o, &state, c, flags))
        break;
    }

  return g_string_free (o.out, FALSE);
}

char *
ward_text_sanitize_markup (const char *text, gssize len, gsize max_chars, WardTextFlags flags)
{
  g_autofree char *plain = ward_text_sanitize (text, len, max_chars, flags);

  return g_markup_escape_text (plain, -1);
}
