/* fuzz-text.c: ward_text_sanitize() and its markup variant.
 *
 * The first input byte picks the flags and the cap; the rest is the text. Invariants: those of
 * fuzz_check_shown_text() (no controls, no invisible characters, marks bounded); at most the cap;
 * idempotent; the markup form parses as one text node equal to the plain form; on terminals
 * that do not use UTF-8 (fuzz_check_charsets()), no byte in 0x80-0x9f and exact escapes. */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-text.h"

static void
check_safe (const char *out, gsize max_chars, WardTextFlags flags)
{
  fuzz_check_shown_text (out, (flags & WARD_TEXT_MULTILINE) != 0);
  if (max_chars > 0)
    FUZZ_CHECK (g_utf8_strlen (out, -1) <= (glong) max_chars);
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

static void
check_markup (const char *markup, const char *plain)
{
  static const GMarkupParser parser = { markup_start, NULL, markup_text, NULL, NULL };
  g_autofree char *doc = g_strconcat ("<m>", markup, "</m>", NULL);
  MarkupData data = { g_string_new (NULL), 0 };
  GMarkupParseContext *context = g_markup_parse_context_new (&parser, 0, &data, NULL);
  gboolean ok;

  /* No tag can open, and every '&' starts an entity GMarkup (and so Pango) understands. */
  FUZZ_CHECK (strchr (markup, '<') == NULL && strchr (markup, '>') == NULL);
  ok = g_markup_parse_context_parse (context, doc, -1, NULL) &&
       g_markup_parse_context_end_parse (context, NULL);
  FUZZ_CHECK (ok);
  FUZZ_CHECK (data.elements == 1);
  FUZZ_CHECK (strcmp (data.text->str, plain) == 0);
  g_markup_parse_context_free (context);
  g_string_free (data.text, TRUE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  WardTextFlags flags;
  gsize max_chars;
  const char *text;
  gssize len;
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  g_autofree char *markup = NULL;

  if (size == 0)
    {
      g_autofree char *empty = ward_text_sanitize (NULL, -1, 0, 0);

      FUZZ_CHECK (strcmp (empty, "") == 0);
      return 0;
    }

  /* Bit 0: multi-line; bit 1: visible line breaks; bits 2-7: cap (0 = none). */
  flags = data[0] & (WARD_TEXT_MULTILINE | WARD_TEXT_SHOW_BREAKS);
  max_chars = data[0] >> 2;
  text = (const char *) data + 1;
  len = (gssize) size - 1;

  out = ward_text_sanitize (text, len, max_chars, flags);
  check_safe (out, max_chars, flags);

  again = ward_text_sanitize (out, -1, max_chars, flags);
  FUZZ_CHECK (strcmp (again, out) == 0);

  markup = ward_text_sanitize_markup (text, len, max_chars, flags);
  check_markup (markup, out);

  /* Terminals that do not use UTF-8: the sanitised text, and the converter on raw bytes (ward's
   * own text is converted directly; whatever it holds, no byte in 0x80-0x9f comes out). */
  fuzz_check_charsets (out);
  {
    g_autofree char *raw = g_strndup (text, (gsize) len);
    g_autofree char *restricted = ward_text_restrict_charset (raw, fuzz_charset (1));
    g_autofree char *latin1 = ward_text_to_charset (raw, fuzz_charset (1));
    g_autofree char *koi8 = ward_text_to_charset (raw, fuzz_charset (2));

    FUZZ_CHECK (g_utf8_validate (restricted, -1, NULL));
    fuzz_check_terminal_bytes (latin1, FALSE);
    fuzz_check_terminal_bytes (koi8, FALSE);
  }
  return 0;
}
