/* ward-text.c: make untrusted text safe to show (see ward-text.h).
 *
 * The input is decoded to code points first (each invalid byte becomes U+FFFD, so raw 8-bit C1
 * bytes 0x80-0x9f are never seen as controls), then an ECMA-48 state machine drops escape and
 * control sequences. The output holds no C0 control except '\n' (multi-line only), no DEL, no C1
 * control, no format character and no other invisible one (but joiners and selectors where they
 * shape a script or an emoji), no run of marks over one base: nothing a terminal or a label
 * could interpret, nothing that hides, splits or draws over text.
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
  gunichar last_char;     /* the last character written, 0 before the first */
  guint marks;            /* overlaying marks on the current base character */
  gunichar joiner;        /* a joiner waiting for the next character, or 0 */
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
  o->last_char = c;
  return TRUE;
}

typedef enum {
  CHAR_VISIBLE,
  CHAR_REMOVED,  /* invisible: default-ignorable or a format character */
  CHAR_JOINER,   /* ZWNJ, ZWJ: kept between two characters they can join */
  CHAR_SELECTOR, /* variation selectors: kept after a character they can select a form of */
} CharClass;

/* Invisible characters hide or split words ("pk<U+2060>exec" shows as "pkexec"), reorder what
 * follows (bidirectional controls, CVE-2021-42574 "Trojan Source") or carry hidden text (tag
 * characters). Every format character (general category Cf, from GLib's Unicode tables) and
 * every other Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt, listed below:
 * GLib does not expose the property) goes, but for the few that scripts and emoji need. */
static CharClass
classify (gunichar c)
{
  if (c == 0x200c || c == 0x200d)
    return CHAR_JOINER;
  if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef) ||
      (c >= 0x180b && c <= 0x180d) || c == 0x180f)
    return CHAR_SELECTOR;
  /* Cf: U+00AD, U+0600-0605, U+061C, U+06DD, U+070F, U+180E, U+200B-200F, U+202A-202E,
   * U+2060-2064, U+2066-206F, U+FEFF, U+FFF9-FFFB, U+1BCA0-1BCA3, U+1D173-1D17A, tags
   * U+E0001 and U+E0020-E007F, ... */
  if (g_unichar_type (c) == G_UNICODE_FORMAT)
    return CHAR_REMOVED;
  switch (c)
    {
    case 0x034f:                 /* combining grapheme joiner */
    case 0x115f: case 0x1160:    /* Hangul choseong and jungseong fillers */
    case 0x17b4: case 0x17b5:    /* Khmer inherent vowels */
    case 0x2065:                 /* unassigned, reserved invisible */
    case 0x3164:                 /* Hangul filler */
    case 0xffa0:                 /* halfwidth Hangul filler */
      return CHAR_REMOVED;
    default:
      break;
    }
  if ((c >= 0xfff0 && c <= 0xfff8) || (c >= 0xe0000 && c <= 0xe0fff))
    return CHAR_REMOVED;
  return CHAR_VISIBLE;
}

/* Whether a joiner or selector next to @c can do anything: ASCII needs neither. */
static gboolean
can_join (gunichar c)
{
  return c >= 0x80 && !g_unichar_isspace (c);
}

/* Writes a character that is shown. Marks on no base character (at the start, after a line
 * break) get U+25CC as their base, as fonts draw them, so they cannot sit on ward's own text;
 * at most WARD_TEXT_MAX_MARKS non-spacing or enclosing marks stay on one base ("Zalgo" text
 * draws over the lines around it). A waiting joiner is written first if it joins @c. */
static gboolean
show_char (Output *o, gunichar c)
{
  GUnicodeType type = g_unichar_type (c);
  gboolean mark = g_unichar_ismark (c);
  gboolean overlay = type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK;

  /* One overlaying mark too many is dropped as if it were not there (a waiting joiner waits on). */
  if (overlay && o->marks == WARD_TEXT_MAX_MARKS)
    return TRUE;

  if (o->joiner != 0)
    {
      gunichar joiner = o->joiner;

      o->joiner = 0;
      if (can_join (c) && !output_char (o, joiner))
        return FALSE;
    }

  if (!mark)
    {
      o->marks = 0;
      return output_char (o, c);
    }

  if (o->last_char == 0 || o->last_char == '\n')
    {
      if (!output_char (o, 0x25cc))
        return FALSE;
      o->marks = 0;
    }
  if (overlay)
    o->marks++;
  return output_char (o, c);
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
    case 0x2028: /* line separator */
    case 0x2029: /* paragraph separator */
      if (flags & WARD_TEXT_MULTILINE)
        return show_char (o, c == '\n' ? '\n' : ' ');
      if (flags & WARD_TEXT_SHOW_BREAKS)
        return show_char (o, g_utf8_get_char (WARD_TEXT_LINE_BREAK));
      return show_char (o, ' ');
    case '\t':
      return show_char (o, ' ');
    default:
      break;
    }

  if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
    return TRUE;

  switch (classify (c))
    {
    case CHAR_REMOVED:
      return TRUE;
    case CHAR_JOINER:
      if (can_join (o->last_char))
        o->joiner = c;
      return TRUE;
    case CHAR_SELECTOR:
      return can_join (o->last_char) ? show_char (o, c) : TRUE;
    case CHAR_VISIBLE:
    default:
      return show_char (o, c);
    }
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

/* ---- terminals that do not use UTF-8 ---- */

struct _WardTextCharset {
  GIConv exact;    /* (GIConv) -1 when iconv does not know the charset */
  GIConv translit; /* NAME//TRANSLIT, for ward's own text only */
};

static gboolean
is_utf8_charset (const char *name)
{
  return name == NULL || g_ascii_strcasecmp (name, "UTF-8") == 0 ||
         g_ascii_strcasecmp (name, "UTF8") == 0;
}

WardTextCharset *
ward_text_charset_new (const char *name)
{
  WardTextCharset *charset;
  g_autofree char *translit = NULL;

  if (is_utf8_charset (name))
    return NULL;
  charset = g_new0 (WardTextCharset, 1);
  translit = g_strconcat (name, "//TRANSLIT", NULL);
  charset->exact = g_iconv_open (name, "UTF-8");
  charset->translit = g_iconv_open (translit, "UTF-8");
  return charset;
}

WardTextCharset *
ward_text_charset_new_for_locale (void)
{
  const char *name = NULL;

  if (g_get_charset (&name))
    return NULL;
  return ward_text_charset_new (name);
}

void
ward_text_charset_free (WardTextCharset *charset)
{
  if (charset == NULL)
    return;
  if (charset->exact != (GIConv) -1)
    g_iconv_close (charset->exact);
  if (charset->translit != (GIConv) -1)
    g_iconv_close (charset->translit);
  g_free (charset);
}

static void
append_escape (GString *out, gunichar c)
{
  if (c <= 0xffff)
    g_string_append_printf (out, "\\u%04x", c);
  else
    g_string_append_printf (out, "\\U%08x", c);
}

/* Converts one character (@len bytes of UTF-8) on its own with @cd, from its initial shift
 * state back to it; appends the bytes to @out (when not NULL) and returns TRUE only when all of
 * it converted, exactly unless @inexact, and no byte is a control or in 0x80-0x9f. */
static gboolean
convert_char (GIConv cd, const char *utf8, gsize len, gboolean inexact, GString *out)
{
  char buffer[64];
  char *in = (char *) utf8;
  char *outp = buffer;
  gsize in_left = len;
  gsize out_left = sizeof buffer;
  gsize irreversible;

  if (cd == (GIConv) -1)
    return FALSE;
  g_iconv (cd, NULL, NULL, NULL, NULL);
  irreversible = g_iconv (cd, &in, &in_left, &outp, &out_left);
  if (irreversible == (gsize) -1 || in_left != 0 || (irreversible != 0 && !inexact))
    return FALSE;
  /* A stateful charset (ISO-2022-JP) returns to its initial state with an escape sequence:
   * refused below like any control. */
  if (g_iconv (cd, NULL, NULL, &outp, &out_left) == (gsize) -1)
    return FALSE;
  if (outp == buffer)
    return FALSE;
  /* glibc transliterates what it has no rule for to the locale's default_missing, "?": that
   * says nothing, the escape says which character it was. */
  if (inexact && outp - buffer == 1 && buffer[0] == '?')
    return FALSE;
  for (const char *p = buffer; p < outp; p++)
    {
      guchar b = (guchar) *p;

      if (b < 0x20 || b == 0x7f || (b >= 0x80 && b <= 0x9f))
        return FALSE;
    }
  if (out != NULL)
    g_string_append_len (out, buffer, outp - buffer);
  return TRUE;
}

/* Walks @text: ASCII goes to the output as it is; each other character is kept as UTF-8
 * (@convert FALSE: restricting) or converted (@convert TRUE), when it can be, else escaped. */
static char *
convert_text (const char *text, WardTextCharset *charset, gboolean convert)
{
  gsize size = strlen (text);
  GString *out = g_string_sized_new (size + 1);

  for (gsize i = 0; i < size;)
    {
      gunichar c = g_utf8_get_char_validated (text + i, (gssize) (size - i));
      gsize step;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          append_escape (out, 0xfffd);
          i++;
          continue;
        }
      step = (gsize) g_utf8_skip[(guchar) text[i]];
      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else if (!convert)
        {
          if (convert_char (charset->exact, text + i, step, FALSE, NULL))
            g_string_append_len (out, text + i, (gssize) step);
          else
            append_escape (out, c);
        }
      else if (!convert_char (charset->exact, text + i, step, FALSE, out) &&
               !convert_char (charset->translit, text + i, step, TRUE, out))
        append_escape (out, c);
      i += step;
    }
  return g_string_free (out, FALSE);
}

char *
ward_text_restrict_charset (const char *text, WardTextCharset *charset)
{
  if (text == NULL)
    return g_strdup ("");
  if (charset == NULL)
    return g_strdup (text);
  return convert_text (text, charset, FALSE);
}

char *
ward_text_to_charset (const char *text, WardTextCharset *charset)
{
  if (text == NULL)
    return g_strdup ("");
  if (charset == NULL)
    return g_strdup (text);
  return convert_text (text, charset, TRUE);
}
